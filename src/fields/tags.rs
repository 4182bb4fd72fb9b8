//! DKIM-style tag-lists (`a=b; c=d`, RFC 6376 section 3.2), as signatures, key records and
//! ARC headers write them.

/// Tags of a tag-value list (`a=b; c=d`), names trimmed, values trimmed.
pub(crate) fn tags(record: &str) -> impl Iterator<Item = (&str, &str)> {
    record.split(';').filter_map(|t| {
        let (n, v) = t.split_once('=')?;
        Some((n.trim(), v.trim()))
    })
}

/// The value of tag `name` in a DKIM-style tag list (`a=b; c=d`), whitespace removed.
pub(crate) fn tag(value: &[u8], name: &[u8]) -> Option<String> {
    for part in value.split(|&b| b == b';') {
        let Some(eq) = part.iter().position(|&b| b == b'=') else {
            continue;
        };
        let (k, v) = part.split_at(eq);
        let k: Vec<u8> = k
            .iter()
            .copied()
            .filter(|b| !b.is_ascii_whitespace())
            .collect();
        if k.eq_ignore_ascii_case(name) {
            let v: Vec<u8> = v
                .get(1..)
                .unwrap_or(&[])
                .iter()
                .copied()
                .filter(|b| !b.is_ascii_whitespace())
                .collect();
            return Some(String::from_utf8_lossy(&v).into_owned());
        }
    }
    None
}
