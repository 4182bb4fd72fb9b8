//! Header text of a store's transport headers, read just enough to rebuild a body under it
//! (the top-level `Content-Type` and its boundary), and dates written for header blocks made
//! from MAPI properties.

/// The first occurrence of header `name` in `headers` (unfolded, trimmed).
pub fn header_value(headers: &str, name: &str) -> Option<String> {
    all_values(headers, name).into_iter().next()
}

/// Every occurrence of header `name`, unfolded, in order.
pub fn all_values(headers: &str, name: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current: Option<String> = None;
    for line in headers.split('\n') {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.is_empty() {
            break;
        }
        if line.starts_with([' ', '\t']) {
            if let Some(c) = current.as_mut() {
                c.push(' ');
                c.push_str(line.trim());
            }
            continue;
        }
        if let Some(c) = current.take() {
            out.push(c);
        }
        if let Some((n, v)) = line.split_once(':')
            && n.trim().eq_ignore_ascii_case(name)
        {
            current = Some(v.trim().to_string());
        }
    }
    if let Some(c) = current {
        out.push(c);
    }
    out
}

/// A parameter of a structured header value (`boundary`, `charset`), quoted strings and
/// their escapes understood.
pub fn param(value: &str, key: &str) -> Option<String> {
    let mut chars = value.chars().peekable();
    // Skip the type itself.
    for c in chars.by_ref() {
        if c == ';' {
            break;
        }
    }
    loop {
        let mut name = String::new();
        for c in chars.by_ref() {
            if c == '=' || c == ';' {
                break;
            }
            name.push(c);
        }
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        let mut val = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => {
                        if let Some(e) = chars.next() {
                            val.push(e);
                        }
                    }
                    '"' => break,
                    _ => val.push(c),
                }
            }
            for c in chars.by_ref() {
                if c == ';' {
                    break;
                }
            }
        } else {
            for c in chars.by_ref() {
                if c == ';' {
                    break;
                }
                val.push(c);
            }
        }
        if name.trim().eq_ignore_ascii_case(key) {
            return Some(val.trim().to_string());
        }
        chars.peek()?;
    }
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Format Unix seconds as an RFC 5322 date in UTC.
pub fn format_rfc5322_date(t: i64) -> String {
    let days = t.div_euclid(86_400);
    let secs = t.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    let weekday = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"][days.rem_euclid(7) as usize];
    let month = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ][(m - 1).clamp(0, 11) as usize];
    format!(
        "{weekday}, {d} {month} {y} {:02}:{:02}:{:02} +0000",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_written() {
        assert_eq!(format_rfc5322_date(0), "Thu, 1 Jan 1970 00:00:00 +0000");
        assert_eq!(
            format_rfc5322_date(951_782_400),
            "Tue, 29 Feb 2000 00:00:00 +0000"
        );
        for t in [0, 951_782_400, 1_517_000_476, 4_102_444_800, -86_400] {
            let parsed = crate::checks::parse_date(&format_rfc5322_date(t)).map(|d| d.unix);
            assert_eq!(parsed, Some(t));
        }
    }

    #[test]
    fn headers_unfold() {
        let h = "Subject: a\r\n b\r\nReceived: x; Mon, 1 Jan 2001 00:00:00 +0000\r\nReceived: y\r\n\r\nSubject: body";
        assert_eq!(header_value(h, "subject").as_deref(), Some("a b"));
        assert_eq!(all_values(h, "received").len(), 2);
        assert_eq!(
            param("multipart/mixed; boundary=\"a;b\"", "boundary").as_deref(),
            Some("a;b")
        );
        assert_eq!(
            param("multipart/mixed; x=1; boundary=plain", "boundary").as_deref(),
            Some("plain")
        );
        assert_eq!(param("text/plain", "boundary"), None);
        assert_eq!(
            param("text/plain; charset=utf-8", "CHARSET").as_deref(),
            Some("utf-8")
        );
    }
}
