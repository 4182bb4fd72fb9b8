//! Escaping for the page: text and attributes of HTML, strings inside the embedded JSON
//! block, the bytes of a message shown as stored, and the base64 of the CSP hashes.
//!
//! Everything that comes from a dump (subjects, addresses, file names, message bytes) goes
//! through one of these functions before it reaches the page.

use std::fmt::Write;

/// Append `text` to `out` as HTML text or a double-quoted attribute value.
pub(super) fn html(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if hidden(c) => {
                let _ = write!(out, "\u{27e8}U+{:04X}\u{27e9}", u32::from(c));
            }
            c => out.push(c),
        }
    }
}

/// `text` escaped for HTML, as a new string.
#[cfg(test)]
pub(super) fn html_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    html(&mut out, text);
    out
}

/// Characters that would be invisible or would move other text in a page: control
/// characters (but tab and line feed), and the Unicode format characters that reorder or
/// hide text (bidirectional overrides and isolates, zero-width characters, the BOM). A
/// subject can use them to look like another; the page shows them as `⟨U+XXXX⟩`.
pub(super) fn hidden(c: char) -> bool {
    (c.is_control() && c != '\t' && c != '\n')
        || matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2060}'..='\u{2069}' | '\u{feff}')
}

/// Text from a dump for the message table: hidden characters (see [`hidden`]) and line
/// breaks written visibly, and at most `max` characters (an ellipsis marks a cut).
pub(super) fn table_text(text: &str, max: usize) -> String {
    let mut out = String::with_capacity(text.len().min(max * 4));
    for (n, c) in text.chars().enumerate() {
        if n >= max {
            out.push('\u{2026}');
            break;
        }
        if hidden(c) || c == '\n' {
            let _ = write!(out, "\u{27e8}U+{:04X}\u{27e9}", u32::from(c));
        } else {
            out.push(c);
        }
    }
    out
}

/// Append `text` to `out` as a JSON string (with its quotes) that is safe inside an HTML
/// `<script type="application/json">` block: `<`, `>` and `&` are written as `\u` escapes
/// (so neither `</script>` nor `<!--` can end or change the block), and so are U+2028 and
/// U+2029 (line terminators to older JavaScript) and every control character.
pub(super) fn json_string(out: &mut String, text: &str) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Append one character of a message's stored bytes to a `<pre>`: markup escaped, and every
/// character a reader could not see (a carriage return, a control or format character)
/// as an empty element that the style sheet draws (`␍`, `\x00`, `U+202E`), so that the
/// text of the element stays the text of the bytes.
pub(super) fn stored_char(out: &mut String, c: char) {
    match c {
        '&' => out.push_str("&amp;"),
        '<' => out.push_str("&lt;"),
        '>' => out.push_str("&gt;"),
        '\t' | '\n' => out.push(c),
        '\r' => out.push_str("<span class=\"cr\"></span>"),
        c if c.is_control() => {
            let _ = write!(
                out,
                "<span class=\"cc\" data-c=\"\\x{:02X}\"></span>",
                u32::from(c)
            );
        }
        c if hidden(c) => {
            let _ = write!(
                out,
                "<span class=\"cc\" data-c=\"U+{:04X}\"></span>",
                u32::from(c)
            );
        }
        c => out.push(c),
    }
}

/// Standard base64 with padding (RFC 4648), for the hashes of the Content-Security-Policy.
pub(super) fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk.first().copied().unwrap_or(0),
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                let sextet = ((n >> (18 - 6 * i)) & 63) as usize;
                out.push(char::from(ALPHABET.get(sextet).copied().unwrap_or(b'A')));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_escapes_markup_and_quotes() {
        assert_eq!(
            html_string(r#"<script>alert("x")</script> & 'y'"#),
            "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;"
        );
    }

    #[test]
    fn hidden_characters_are_shown() {
        // A right-to-left override would show "gpj.exe" as "exe.jpg".
        assert_eq!(html_string("a\u{202e}b\u{1b}c"), "a⟨U+202E⟩b⟨U+001B⟩c");
        assert_eq!(
            table_text("line\none\u{200b}", 100),
            "line⟨U+000A⟩one⟨U+200B⟩"
        );
        assert_eq!(table_text("abcdef", 3), "abc…");
    }

    #[test]
    fn json_cannot_end_the_script_block() {
        let mut out = String::new();
        json_string(&mut out, "</script><!-- \u{2028}\"\\\u{0}é");
        assert_eq!(out, r#""\u003c/script\u003e\u003c!-- \u2028\"\\\u0000é""#);
        assert!(!out.contains('<'));
        // And it is still the same string to a JSON reader.
        let back: String = serde_json::from_str(&out).expect("valid JSON");
        assert_eq!(back, "</script><!-- \u{2028}\"\\\u{0}é");
    }

    #[test]
    fn stored_bytes_keep_their_text() {
        let mut out = String::new();
        for c in "a<b>\r\n\u{0}\u{202e}".chars() {
            stored_char(&mut out, c);
        }
        assert_eq!(
            out,
            "a&lt;b&gt;<span class=\"cr\"></span>\n<span class=\"cc\" data-c=\"\\x00\"></span><span class=\"cc\" data-c=\"U+202E\"></span>"
        );
    }

    #[test]
    fn base64_matches_rfc4648_vectors() {
        // RFC 4648 section 10.
        for (plain, encoded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(plain.as_bytes()), encoded);
        }
    }
}
