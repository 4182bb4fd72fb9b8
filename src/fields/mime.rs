//! MIME header parameters (RFC 2045 section 5.1): `boundary` and `charset` of a raw
//! `Content-Type` value, with where the value is.

use std::ops::Range;

/// The value of parameter `name` (case-insensitive) in a raw header value, and its range in
/// that value. The name must start a parameter (after `;` or white space) and be followed,
/// white space allowed, by `=`; the value is a quoted string (up to the next `"`, which
/// must be there) or a token (up to `;` or white space). `None` when no such parameter has
/// a non-empty UTF-8 value (the first occurrence decides).
pub(crate) fn param<'a>(raw: &'a [u8], name: &str) -> Option<(&'a str, Range<usize>)> {
    let name = name.as_bytes();
    let mut from = 0;
    while let Some(at) = find_ignore_case(raw, name, from) {
        from = at + name.len();
        // Must start a parameter: preceded by `;` or white space.
        if at > 0 && !matches!(raw.get(at - 1), Some(b';' | b' ' | b'\t' | b'\n' | b'\r')) {
            continue;
        }
        let mut p = at + name.len();
        while raw.get(p).is_some_and(|b| *b == b' ' || *b == b'\t') {
            p += 1;
        }
        if raw.get(p) != Some(&b'=') {
            continue;
        }
        p += 1;
        while raw.get(p).is_some_and(|b| *b == b' ' || *b == b'\t') {
            p += 1;
        }
        let (start, end) = if raw.get(p) == Some(&b'"') {
            let start = p + 1;
            let len = memchr::memchr(b'"', raw.get(start..)?)?;
            (start, start + len)
        } else {
            let rest = raw.get(p..)?;
            let len = rest
                .iter()
                .position(|b| matches!(b, b';' | b' ' | b'\t' | b'\r' | b'\n'))
                .unwrap_or(rest.len());
            (p, p + len)
        };
        let s = std::str::from_utf8(raw.get(start..end)?).ok()?;
        if s.is_empty() {
            return None;
        }
        return Some((s, start..end));
    }
    None
}

/// The `boundary` parameter of a raw `Content-Type` value and its range in that value.
pub(crate) fn boundary_param(raw: &[u8]) -> Option<(&str, Range<usize>)> {
    param(raw, "boundary")
}

/// The first position at or after `from` where `needle` occurs, ASCII case ignored.
fn find_ignore_case(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    let first = *needle.first()?;
    let mut i = from;
    while let Some(rel) = memchr::memchr2(
        first.to_ascii_lowercase(),
        first.to_ascii_uppercase(),
        hay.get(i..)?,
    ) {
        let at = i + rel;
        if hay
            .get(at..at + needle.len())
            .is_some_and(|w| w.eq_ignore_ascii_case(needle))
        {
            return Some(at);
        }
        i = at + 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn boundaries() {
        let raw = b" multipart/alternative; boundary=\"000000000000eb957105992df7ad\"";
        let (b, r) = boundary_param(raw).unwrap();
        assert_eq!(b, "000000000000eb957105992df7ad");
        assert_eq!(&raw[r], b.as_bytes());
        // Any case, folded, a token ended by `;`.
        let raw = b" multipart/mixed;\r\n\tBoundary=abc;x=y";
        let (b, r) = boundary_param(raw).unwrap();
        assert_eq!(b, "abc");
        assert_eq!(r, 29..32);
        assert_eq!(
            boundary_param(b"multipart/mixed; BOUNDARY = \"a b;c\"").map(|x| x.0),
            Some("a b;c")
        );
        // RFC 2046 section 5.1.1 example.
        assert_eq!(
            boundary_param(b" multipart/mixed; boundary=gc0p4Jq0M2Yt08jU534c0p").map(|x| x.0),
            Some("gc0p4Jq0M2Yt08jU534c0p")
        );
        // Not a parameter name, the first occurrence is not one: the next one counts.
        assert_eq!(
            boundary_param(b"multipart/mixed; xboundary=no; boundary=yes").map(|x| x.0),
            Some("yes")
        );
        assert_eq!(
            boundary_param(b"multipart/mixed; boundaryx=no; boundary=yes").map(|x| x.0),
            Some("yes")
        );
        assert_eq!(boundary_param(b" text/plain; xboundary=abc"), None);
        // Unclosed quote, empty value, no value, invalid UTF-8.
        assert_eq!(boundary_param(b" multipart/mixed; boundary=\"abc"), None);
        assert_eq!(boundary_param(b" multipart/mixed; boundary=\"\""), None);
        assert_eq!(boundary_param(b" multipart/mixed; boundary="), None);
        assert_eq!(boundary_param(b" multipart/mixed; boundary"), None);
        assert_eq!(boundary_param(b"multipart/mixed; boundary=\xff\xfe"), None);
        assert_eq!(boundary_param(b""), None);
    }

    #[test]
    fn charsets() {
        assert_eq!(
            param(b"text/plain; charset=\"utf-8\"; format=flowed", "charset").map(|x| x.0),
            Some("utf-8")
        );
        assert_eq!(
            param(b"text/plain; CHARSET=ISO-8859-1", "charset").map(|x| x.0),
            Some("ISO-8859-1")
        );
        assert_eq!(param(b"text/plain", "charset"), None);
    }

    proptest! {
        #[test]
        fn ranges_point_at_the_value(raw in "[a-zA-Z=;\" \\t\\r\\n/é]{0,40}") {
            if let Some((v, r)) = boundary_param(raw.as_bytes()) {
                prop_assert_eq!(&raw.as_bytes()[r], v.as_bytes());
                prop_assert!(!v.is_empty());
            }
        }
    }
}
