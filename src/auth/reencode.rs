//! Header values written again the ways mail software writes them: a Subject's text as RFC
//! 2047 encoded words (B and Q, split and folded as common clients do) or as raw 8-bit text,
//! and any field's folding changed (unfolded, folded again at a common width, continuation
//! tab and space swapped).
//!
//! A list that tags a subject often decodes it and encodes it again in its own way; a relay
//! may unfold or fold again a long field, which breaks `simple` header canonicalization. The
//! signed original cannot be read back from the stored bytes, only rebuilt: these functions
//! list the plausible originals, and the verifier accepts one only when the header signature
//! verifies over it (see the `transit` module). Nothing here judges anything.
//!
//! Every list is bounded ([`MAX_SUBJECT_FORMS`], the [`REFOLDS`] kinds, [`MAX_VALUE_BYTES`]).

use std::collections::HashSet;

use base64ct::Encoding as _;

/// Subject values built per message at most (every text, charset, encoding and folding).
pub(crate) const MAX_SUBJECT_FORMS: usize = 96;
/// Values longer than this are not written again (a subject or field of real mail is far
/// shorter; a hostile one would multiply the bytes hashed).
pub(crate) const MAX_VALUE_BYTES: usize = 2048;
/// The longest encoded word RFC 2047 allows (section 2).
const WORD_MAX: usize = 75;
/// The line length RFC 5322 recommends (section 2.1.1), that encoders fold at.
const LINE: usize = 78;

/// How the text is written.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Style {
    /// Every character in `B` encoded words.
    B,
    /// Every character in `Q` encoded words, only `=`, `?`, `_`, controls and 8-bit bytes
    /// encoded (Thunderbird, Apple Mail).
    QMinimal,
    /// Every character in `Q` encoded words, all but letters, digits and `!*+-/` encoded
    /// (Python's `email`, Outlook).
    QStrict,
    /// Only the runs of words with 8-bit characters encoded (`Q`), the rest left as text
    /// (Apple Mail, mutt).
    PartialQ,
    /// Only the runs of words with 8-bit characters encoded (`B`).
    PartialB,
}

/// How encoded words of one subject are split.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Split {
    /// Every word at most 75 characters.
    Word,
    /// The first line (`Subject: ` and the first word) at most 78 characters, the next
    /// words at most 75.
    Line,
}

/// A charset the crate can write.
#[derive(Clone, Copy)]
enum Writable {
    Utf8,
    Ascii,
    Latin1,
}

impl Writable {
    /// The charset named `charset`, if the crate can write it.
    fn of(charset: &str) -> Option<Writable> {
        let is = |n: &str| charset.eq_ignore_ascii_case(n);
        if is("utf-8") || is("utf8") {
            Some(Writable::Utf8)
        } else if is("us-ascii") || is("ascii") {
            Some(Writable::Ascii)
        } else if is("iso-8859-1") || is("iso8859-1") || is("latin1") || is("latin-1") {
            Some(Writable::Latin1)
        } else {
            None
        }
    }

    /// The bytes of one character, appended to `out`; `None` when it has none here.
    fn push(self, c: char, out: &mut Vec<u8>) -> Option<()> {
        match self {
            Writable::Utf8 => {
                let mut buf = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            }
            Writable::Ascii => out.push(u8::try_from(u32::from(c)).ok().filter(u8::is_ascii)?),
            Writable::Latin1 => out.push(u8::try_from(u32::from(c)).ok()?),
        }
        Some(())
    }
}

/// Whether a byte stands for itself in `Q` (see [`q_byte`]).
fn q_literal(b: u8, strict: bool) -> bool {
    if strict {
        b.is_ascii_alphanumeric() || matches!(b, b'!' | b'*' | b'+' | b'-' | b'/')
    } else {
        (0x21..=0x7e).contains(&b) && !matches!(b, b'=' | b'?' | b'_')
    }
}

/// The length of one byte in `Q`.
fn q_len(b: u8, strict: bool) -> usize {
    if b == b' ' || q_literal(b, strict) {
        1
    } else {
        3
    }
}

/// One byte in `Q` (RFC 2047 section 4.2).
fn q_byte(b: u8, strict: bool, out: &mut Vec<u8>) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let literal = q_literal(b, strict);
    if b == b' ' {
        out.push(b'_');
    } else if literal {
        out.push(b);
    } else {
        out.push(b'=');
        out.push(HEX.get(usize::from(b >> 4)).copied().unwrap_or(b'0'));
        out.push(HEX.get(usize::from(b & 15)).copied().unwrap_or(b'0'));
    }
}

/// The encoded word of `bytes`.
fn word(bytes: &[u8], charset: &str, b: bool, strict: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len() * 2 + charset.len() + 8);
    out.extend_from_slice(b"=?");
    out.extend_from_slice(charset.as_bytes());
    if b {
        out.extend_from_slice(b"?B?");
        out.extend_from_slice(base64ct::Base64::encode_string(bytes).as_bytes());
    } else {
        out.extend_from_slice(b"?Q?");
        for &x in bytes {
            q_byte(x, strict, &mut out);
        }
    }
    out.extend_from_slice(b"?=");
    out
}

/// Encoded words of `text`, split at character boundaries so each stays within its limit
/// (`first` for the first word, [`WORD_MAX`] for the others). `None` when a character
/// cannot be written in `charset`.
fn words(text: &str, charset: &str, b: bool, strict: bool, first: usize) -> Option<Vec<Vec<u8>>> {
    let writable = Writable::of(charset)?;
    let mut out = Vec::new();
    let mut current: Vec<u8> = Vec::new();
    // The encoded length of `current`'s payload (`Q` only).
    let mut q_current = 0;
    let overhead = charset.len() + 7;
    let mut cb = Vec::with_capacity(4);
    for c in text.chars() {
        cb.clear();
        writable.push(c, &mut cb)?;
        let limit = if out.is_empty() { first } else { WORD_MAX };
        let q_more: usize = cb.iter().map(|&x| q_len(x, strict)).sum();
        let len = if b {
            (current.len() + cb.len()).div_ceil(3) * 4 + overhead
        } else {
            q_current + q_more + overhead
        };
        if !current.is_empty() && len > limit {
            out.push(word(&current, charset, b, strict));
            current.clear();
            q_current = 0;
        }
        current.extend_from_slice(&cb);
        q_current += q_more;
    }
    if !current.is_empty() || out.is_empty() {
        out.push(word(&current, charset, b, strict));
    }
    Some(out)
}

/// `text` written in `style`: the pieces of the value (encoded words or plain words) and
/// whether they sit on lines of their own (encoded words of one run) or are joined by
/// spaces and folded where a line grows too long.
fn pieces(text: &str, charset: &str, style: Style, split: Split) -> Option<(Vec<Vec<u8>>, bool)> {
    // `Subject: ` takes 9 characters of the first line.
    let first = match split {
        Split::Word => WORD_MAX,
        Split::Line => LINE.saturating_sub(9).min(WORD_MAX),
    };
    match style {
        Style::B => Some((words(text, charset, true, false, first)?, true)),
        Style::QMinimal => Some((words(text, charset, false, false, first)?, true)),
        Style::QStrict => Some((words(text, charset, false, true, first)?, true)),
        Style::PartialQ | Style::PartialB => {
            let b = style == Style::PartialB;
            let mut out: Vec<Vec<u8>> = Vec::new();
            let mut run: Vec<&str> = Vec::new();
            let flush = |run: &mut Vec<&str>, out: &mut Vec<Vec<u8>>| -> Option<()> {
                if !run.is_empty() {
                    let joined = run.join(" ");
                    out.extend(words(&joined, charset, b, false, WORD_MAX)?);
                    run.clear();
                }
                Some(())
            };
            for token in text.split(' ') {
                if token.is_ascii() {
                    flush(&mut run, &mut out)?;
                    out.push(token.as_bytes().to_vec());
                } else {
                    run.push(token);
                }
            }
            flush(&mut run, &mut out)?;
            Some((out, false))
        }
    }
}

/// Pieces joined into a field value (leading space included): one piece per line joined
/// by `eol` and `cont` (`None`: joined by a space on one line), or joined by spaces and
/// folded at [`LINE`] with `cont` (`None`: not folded). `name_len` is the length of the
/// field name and its colon.
fn join(
    pieces: &[Vec<u8>],
    own_lines: bool,
    eol: &[u8],
    cont: Option<u8>,
    name_len: usize,
) -> Vec<u8> {
    let mut out = vec![b' '];
    let mut line = name_len + 1;
    for (i, p) in pieces.iter().enumerate() {
        if i > 0 {
            match cont {
                Some(c) if own_lines || line + 1 + p.len() > LINE => {
                    out.extend_from_slice(eol);
                    out.push(c);
                    line = 1;
                }
                _ => {
                    out.push(b' ');
                    line += 1;
                }
            }
        }
        out.extend_from_slice(p);
        line += p.len();
    }
    out
}

/// Subject values a mail client could have written for `texts` (decoded subjects, tag
/// undone): raw text, and every encoding style, split and folding, in the charsets given
/// (the spelling of the stored value first), without duplicates and within
/// [`MAX_SUBJECT_FORMS`]. Each value starts with the space after the colon; `eol` is the
/// line ending folded lines use. With `simple` false (relaxed canonicalization) foldings
/// that relaxed canonicalization makes equal are not repeated. Returns (text index, value).
pub(crate) fn subject_forms(
    texts: &[String],
    charsets: &[String],
    eol: &[u8],
    simple: bool,
) -> Vec<(usize, Vec<u8>)> {
    let mut out = Vec::new();
    let mut seen: HashSet<Vec<u8>> = HashSet::new();
    let conts: &[Option<u8>] = if simple {
        &[Some(b' '), Some(b'\t'), None]
    } else {
        &[Some(b' ')]
    };
    let name_len = "Subject:".len();
    let mut push = |t: usize, v: Vec<u8>, out: &mut Vec<(usize, Vec<u8>)>| {
        if out.len() < MAX_SUBJECT_FORMS && seen.insert(v.clone()) {
            out.push((t, v));
        }
    };
    for (t, text) in texts.iter().enumerate() {
        if text.len() > MAX_VALUE_BYTES {
            continue;
        }
        // Raw text, as written by a client that sends 8-bit headers (or plain ASCII).
        let mut raw = vec![b' '];
        raw.extend_from_slice(text.as_bytes());
        push(t, raw, &mut out);
        if text.is_ascii() {
            // Plain ASCII needs no encoding; an encoded original of ASCII text is rare.
            continue;
        }
        // Each text gets its share of the budget (a subject that starts with its own
        // `[PATCH]` is as likely as a list's tag); the common forms first.
        let share = MAX_SUBJECT_FORMS / texts.len().max(1);
        let before = out.len();
        for style in [
            Style::B,
            Style::QMinimal,
            Style::PartialQ,
            Style::QStrict,
            Style::PartialB,
        ] {
            for split in [Split::Word, Split::Line] {
                for charset in charsets {
                    let Some((p, own_lines)) = pieces(text, charset, style, split) else {
                        continue;
                    };
                    for &cont in conts {
                        if out.len() - before < share {
                            push(t, join(&p, own_lines, eol, cont, name_len), &mut out);
                        }
                    }
                }
            }
        }
    }
    out
}

/// The charset spellings to encode in: those of the encoded words of `raw` (first seen
/// first) each also in upper and lower case, then `UTF-8`, `utf-8`, `ISO-8859-1` and
/// `iso-8859-1`; at most 8.
pub(crate) fn charsets_of(raw: &[u8]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let add = |s: String, out: &mut Vec<String>| {
        if out.len() < 8 && !s.is_empty() && !out.contains(&s) {
            out.push(s);
        }
    };
    let mut pos = 0;
    let mut found = 0;
    while found < 4
        && let Some(i) = raw
            .get(pos..)
            .and_then(|r| crate::read::headers::find_pair(r, *b"=?"))
    {
        let start = pos + i + 2;
        let rest = raw.get(start..).unwrap_or_default();
        let end = rest
            .iter()
            .position(|&b| b == b'?' || b == b'*' || b.is_ascii_whitespace())
            .unwrap_or(rest.len());
        if let Some(name) = rest.get(..end).filter(|n| (1..=40).contains(&n.len()))
            && let Ok(name) = std::str::from_utf8(name)
        {
            add(name.to_string(), &mut out);
            add(name.to_ascii_uppercase(), &mut out);
            add(name.to_ascii_lowercase(), &mut out);
            found += 1;
        }
        pos = start;
    }
    for c in ["UTF-8", "utf-8", "ISO-8859-1", "iso-8859-1"] {
        add(c.into(), &mut out);
    }
    out
}

/// Where folding line breaks are in `value`: the positions of each line ending (CRLF or LF)
/// followed by a space or tab, with the ending's length.
fn folds(value: &[u8]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    for i in memchr::memchr_iter(b'\n', value) {
        if matches!(value.get(i + 1), Some(b' ' | b'\t')) {
            let cr = i > 0 && value.get(i - 1) == Some(&b'\r');
            out.push(if cr { (i - 1, 2) } else { (i, 1) });
        }
    }
    out
}

/// `value` unfolded: every line ending before a space or tab removed, the white space kept.
pub(crate) fn unfold(value: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(value.len());
    let mut at = 0;
    for (i, n) in folds(value) {
        out.extend_from_slice(value.get(at..i).unwrap_or_default());
        at = i + n;
    }
    out.extend_from_slice(value.get(at..).unwrap_or_default());
    out
}

/// An unfolded `value` folded at `width` (line length without its ending, the field name
/// and colon counted on the first line, `name_len`): a line ending goes before the last
/// space or tab that keeps a line within `width`; with `replace` the white space itself
/// becomes the line ending and a tab (Outlook), else the ending goes before it (RFC 5322
/// section 2.2.3). A word longer than a line stays whole.
pub(crate) fn fold_at(
    value: &[u8],
    width: usize,
    name_len: usize,
    eol: &[u8],
    replace: bool,
) -> Vec<u8> {
    let mut out = Vec::with_capacity(value.len() + value.len() / 32 + 4);
    let mut line = name_len;
    // Candidate break: the position in `out` of the last white space on the current line.
    let mut last_ws: Option<usize> = None;
    for &b in value {
        if (b == b' ' || b == b'\t') && line > name_len {
            last_ws = Some(out.len());
        }
        out.push(b);
        line += 1;
        if line > width
            && let Some(ws) = last_ws.take()
        {
            // Break at `ws`: what follows it moves to the next line.
            let tail: Vec<u8> = out.split_off(ws);
            let tail = if replace {
                let mut t = vec![b'\t'];
                t.extend_from_slice(tail.get(1..).unwrap_or_default());
                t
            } else {
                tail
            };
            out.extend_from_slice(eol);
            line = tail.len();
            out.extend_from_slice(&tail);
            // A space or tab later on this new line is a break candidate again.
            last_ws = tail
                .iter()
                .rposition(|&x| x == b' ' || x == b'\t')
                .filter(|&p| p > 0)
                .map(|p| out.len() - tail.len() + p);
        }
    }
    out
}

/// What a refolded form changed.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Refold {
    /// Every fold taken out.
    Unfolded,
    /// Unfolded, then folded at this width with the line ending before the white space.
    Folded(usize),
    /// Unfolded, then folded at this width, the white space replaced by a line ending and a
    /// tab (Outlook).
    FoldedTab(usize),
    /// Continuation tabs and spaces swapped, folds kept.
    Swapped,
}

/// Every kind of [`Refold`] tried, in order.
pub(crate) const REFOLDS: [Refold; 6] = [
    Refold::Unfolded,
    Refold::Folded(LINE),
    Refold::FoldedTab(LINE),
    Refold::Folded(76),
    Refold::FoldedTab(76),
    Refold::Swapped,
];

/// The form of a stored field value (raw, after the colon) that `kind` rebuilds: what the
/// value was before a relay changed its folding that way. `None` when the form equals the
/// stored value or the value is longer than [`MAX_VALUE_BYTES`]. `name_len` is the length of
/// the field name and its colon, `eol` the line ending folds use.
pub(crate) fn refold(value: &[u8], kind: Refold, name_len: usize, eol: &[u8]) -> Option<Vec<u8>> {
    if value.len() > MAX_VALUE_BYTES {
        return None;
    }
    let v = match kind {
        Refold::Unfolded => unfold(value),
        Refold::Folded(w) => fold_at(&unfold(value), w, name_len, eol, false),
        Refold::FoldedTab(w) => fold_at(&unfold(value), w, name_len, eol, true),
        Refold::Swapped => {
            let mut swapped = value.to_vec();
            for (i, n) in folds(value) {
                if let Some(c) = swapped.get_mut(i + n) {
                    *c = if *c == b'\t' { b' ' } else { b'\t' };
                }
            }
            swapped
        }
    };
    (v != value).then_some(v)
}

/// Every refolded form of `value` (see [`refold`]), without duplicates.
#[cfg(test)]
fn refolds(value: &[u8], name_len: usize, eol: &[u8]) -> Vec<Vec<u8>> {
    let mut out: Vec<Vec<u8>> = Vec::new();
    for kind in REFOLDS {
        if let Some(v) = refold(value, kind, name_len, eol)
            && !out.contains(&v)
        {
            out.push(v);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn b_words_split_at_characters() {
        let text =
            "Réunion du comité de pilotage: ordre du jour, compte rendu et décisions à prendre";
        let w = words(text, "UTF-8", true, false, WORD_MAX).expect("utf-8");
        assert!(w.len() > 1);
        for x in &w {
            assert!(x.len() <= WORD_MAX, "{}", String::from_utf8_lossy(x));
            assert!(x.starts_with(b"=?UTF-8?B?") && x.ends_with(b"?="));
        }
        // Each word decodes to whole characters, and together to the text.
        let mut all = Vec::new();
        for x in &w {
            let payload = &x[10..x.len() - 2];
            let bytes =
                base64ct::Base64::decode_vec(std::str::from_utf8(payload).unwrap()).unwrap();
            assert!(std::str::from_utf8(&bytes).is_ok());
            all.extend(bytes);
        }
        assert_eq!(all, text.as_bytes());
    }

    #[test]
    fn q_words_encode_what_they_must() {
        let w = words("Café_= ok?", "utf-8", false, false, WORD_MAX).unwrap();
        assert_eq!(w, vec![b"=?utf-8?Q?Caf=C3=A9=5F=3D_ok=3F?=".to_vec()]);
        let w = words("a.b (c)", "utf-8", false, true, WORD_MAX).unwrap();
        assert_eq!(w, vec![b"=?utf-8?Q?a=2Eb_=28c=29?=".to_vec()]);
        // Latin-1 writes é as one byte; a character outside it cannot be written.
        let w = words("é", "ISO-8859-1", false, false, WORD_MAX).unwrap();
        assert_eq!(w, vec![b"=?ISO-8859-1?Q?=E9?=".to_vec()]);
        assert!(words("€", "iso-8859-1", false, false, WORD_MAX).is_none());
    }

    #[test]
    fn partial_encoding_keeps_ascii_words() {
        let (p, own) = pieces(
            "Re: Café crème demain",
            "utf-8",
            Style::PartialQ,
            Split::Word,
        )
        .unwrap();
        assert!(!own);
        let v = join(&p, own, b"\r\n", Some(b' '), 8);
        assert_eq!(v, b" Re: =?utf-8?Q?Caf=C3=A9_cr=C3=A8me?= demain".to_vec());
    }

    #[test]
    fn folding_round_trips() {
        let long = b" a fairly long subject line that goes on and on past the width of seventy-eight columns for sure";
        let f = fold_at(long, 78, 8, b"\r\n", false);
        assert!(f.windows(3).any(|w| w == b"\r\n "));
        for line in f.split(|&b| b == b'\n') {
            assert!(line.len() <= 79);
        }
        assert_eq!(unfold(&f), long.to_vec());
        let t = fold_at(long, 78, 8, b"\r\n", true);
        assert!(t.windows(3).any(|w| w == b"\r\n\t"));
        assert_eq!(t.len(), long.len() + 2 * folds(&t).len());
        let r = refolds(&f, 8, b"\r\n");
        assert!(r.contains(&long.to_vec()));
        assert!(r.iter().all(|v| v != &f));
        // A short value has nothing to fold: no forms but the swap of its (absent) folds.
        assert!(refolds(b" short", 8, b"\r\n").is_empty());
    }

    #[test]
    fn latin1_originals_are_written() {
        let texts = vec!["Réunion budget".to_string()];
        let cs = charsets_of(b" [Dev] =?utf-8?q?R=C3=A9union_budget?=");
        assert!(cs.contains(&"iso-8859-1".to_string()), "{cs:?}");
        let f = subject_forms(&texts, &cs, b"\n", false);
        let want = b" =?iso-8859-1?Q?R=E9union_budget?=".to_vec();
        assert!(
            f.iter().any(|(_, v)| *v == want),
            "{:?}",
            f.iter()
                .map(|(_, v)| String::from_utf8_lossy(v).into_owned())
                .collect::<Vec<_>>()
        );
    }

    #[test]
    fn forms_are_bounded_and_distinct() {
        let texts = vec!["Réunion".to_string(), "x".repeat(3000)];
        let f = subject_forms(&texts, &charsets_of(b" =?utf-8?q?x?="), b"\n", true);
        assert!(f.len() <= MAX_SUBJECT_FORMS);
        assert!(f.iter().all(|(t, _)| *t == 0));
        let set: HashSet<_> = f.iter().map(|(_, v)| v.clone()).collect();
        assert_eq!(set.len(), f.len());
        assert!(f.iter().any(|(_, v)| v == b" =?UTF-8?B?UsOpdW5pb24=?="));
        assert!(f.iter().any(|(_, v)| v == " Réunion".as_bytes()));
        assert_eq!(
            charsets_of(b" =?Utf-8?Q?x?=")[..3],
            ["Utf-8", "UTF-8", "utf-8"]
        );
    }
}
