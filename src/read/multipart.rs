//! The parts of a multipart body (RFC 2046 section 5.1.1), found by their delimiter lines:
//! the one splitter of the walkers that look inside messages (forwarded messages, the parts
//! an Apple Mail partial file left out).

/// The parts of a multipart body starting at `body` in `bytes`, delimited by `--boundary`
/// lines: for each, the first byte after its delimiter line and the offset of the line break
/// that precedes the next delimiter. Stops at the closing delimiter (`--boundary--`), and
/// after `max_parts` delimiter lines (the input decides how many there are). A delimiter
/// must start a line; the preamble before the first one and the epilogue after the closing
/// one are not parts.
pub(crate) fn parts(
    bytes: &[u8],
    body: usize,
    boundary: &str,
    max_parts: usize,
) -> Vec<(usize, usize)> {
    let delimiter = format!("--{boundary}");
    let mut lines = Vec::new(); // (line start, line end, closing)
    let mut pos = body;
    while let Some(i) =
        memchr::memmem::find(bytes.get(pos..).unwrap_or_default(), delimiter.as_bytes())
    {
        let at = pos + i;
        let after = at + delimiter.len();
        if at == body || bytes.get(at.wrapping_sub(1)) == Some(&b'\n') {
            let end = memchr::memchr(b'\n', bytes.get(after..).unwrap_or_default())
                .map_or(bytes.len(), |j| after + j + 1);
            let closing = bytes.get(after..after + 2) == Some(b"--");
            lines.push((at, end, closing));
            if closing || lines.len() > max_parts {
                break;
            }
        }
        pos = after;
    }
    let mut out = Vec::new();
    for pair in lines.windows(2) {
        let ((_, open_end, closing), (next, _, _)) = (pair[0], pair[1]);
        if closing {
            break;
        }
        let mut end = next;
        if end > open_end && bytes.get(end - 1) == Some(&b'\n') {
            end -= 1;
            if end > open_end && bytes.get(end - 1) == Some(&b'\r') {
                end -= 1;
            }
        }
        out.push((open_end, end.max(open_end)));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::parts;

    #[test]
    fn parts_between_delimiter_lines() {
        let body =
            b"preamble\r\n--b\r\none\r\n--b\r\ntwo\n--b--\r\nepilogue\r\n--b\r\nnot a part\r\n";
        let got: Vec<&[u8]> = parts(body, 0, "b", 100)
            .into_iter()
            .map(|(s, e)| &body[s..e])
            .collect();
        assert_eq!(got, [&b"one"[..], &b"two"[..]]);
    }

    #[test]
    fn a_delimiter_inside_a_line_is_text_and_the_count_is_bounded() {
        let body = b"--b\nx --b y\n--b\nz\n--b\n";
        let got: Vec<&[u8]> = parts(body, 0, "b", 100)
            .into_iter()
            .map(|(s, e)| &body[s..e])
            .collect();
        assert_eq!(got, [&b"x --b y"[..], &b"z"[..]]);
        let many = b"--b\n".repeat(50);
        assert!(parts(&many, 0, "b", 10).len() <= 10);
    }
}
