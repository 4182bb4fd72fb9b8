//! RFC 5322 date-time parsing (with the obsolete forms seen in real mail), to Unix seconds.

/// A parsed header date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MailDate {
    /// Seconds since the Unix epoch (UTC).
    pub unix: i64,
    /// The zone offset written in the date, in minutes east of UTC. `None` when the zone was
    /// missing, `-0000`, or an unknown name (RFC 5322: the local time is unknown).
    pub tz_minutes: Option<i16>,
}

/// Parse an RFC 5322 `date-time` (also RFC 822 two-digit years, obsolete zone names, missing
/// seconds or day-of-week, comments, and the `asctime` form `Wed Sep 30 19:56:38 2020 +1000`).
/// Returns `None` when the text is not a date.
pub fn parse(text: &str) -> Option<MailDate> {
    let mut tokens = Tokens::new(text);
    let mut tok = tokens.next()?;
    // Optional day of week.
    if tok.len() >= 3 && tok.bytes().all(|b| b.is_ascii_alphabetic()) && month(tok).is_none() {
        tok = tokens.next()?;
    }
    let (day, mon, year, time_tok);
    if let Some(m) = month(tok) {
        // asctime: "Sep 30 19:56:38 2020 +1000"
        mon = m;
        day = number(tokens.next()?)?;
        let t = tokens.next()?;
        if t.contains(':') {
            time_tok = t;
            year = number(tokens.next()?)?;
        } else {
            year = number(t)?;
            time_tok = tokens.next()?;
        }
    } else {
        day = number(tok)?;
        mon = month(tokens.next()?)?;
        year = number(tokens.next()?)?;
        time_tok = tokens.next()?;
    }
    let year = match year {
        0..=49 => year + 2000,
        50..=999 => year + 1900,
        _ => year,
    };
    if !(1..=31).contains(&day) || !(1000..=9999).contains(&year) {
        return None;
    }
    let mut parts = time_tok.split(':');
    let hour = number(parts.next()?)?;
    let minute = number(parts.next()?)?;
    let second = match parts.next() {
        Some(s) => number(s)?,
        None => 0,
    };
    if parts.next().is_some() || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let tz_minutes = match tokens.next() {
        Some(z) => zone(z)?,
        None => None,
    };
    let days = days_from_civil(year, mon, day);
    let local = days * 86_400 + hour * 3_600 + minute * 60 + second;
    let unix = local - i64::from(tz_minutes.unwrap_or(0)) * 60;
    Some(MailDate { unix, tz_minutes })
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
pub fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Unix seconds as `YYYY-MM-DD HH:MM:SS UTC`, for finding details.
pub fn format_utc(unix: i64) -> String {
    let days = unix.div_euclid(86_400);
    let secs = unix.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02} UTC",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

/// A duration in seconds as a short human text (`3 h 12 min`, `2 days`).
pub fn format_duration(secs: i64) -> String {
    let s = secs.unsigned_abs();
    if s < 120 {
        format!("{s} s")
    } else if s < 7_200 {
        format!("{} min", s / 60)
    } else if s < 172_800 {
        format!("{} h {} min", s / 3600, s % 3600 / 60)
    } else {
        format!("{} days", s / 86_400)
    }
}

fn number(t: &str) -> Option<i64> {
    if t.is_empty() || t.len() > 4 || !t.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    t.parse().ok()
}

fn month(t: &str) -> Option<i64> {
    let t = t.get(..3)?;
    const NAMES: [&str; 12] = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    NAMES
        .iter()
        .position(|n| n.eq_ignore_ascii_case(t))
        .map(|i| i as i64 + 1)
}

/// `Some(Some(minutes))` for a known offset, `Some(None)` for an unknown local time,
/// `None` for text that is no zone at all.
fn zone(z: &str) -> Option<Option<i16>> {
    let b = z.as_bytes();
    if b.len() == 5 && (b[0] == b'+' || b[0] == b'-') && b[1..].iter().all(u8::is_ascii_digit) {
        let hh = i16::from(b[1] - b'0') * 10 + i16::from(b[2] - b'0');
        let mm = i16::from(b[3] - b'0') * 10 + i16::from(b[4] - b'0');
        if hh > 23 || mm > 59 {
            return None;
        }
        let total = hh * 60 + mm;
        return Some(match (b[0], total) {
            (b'-', 0) => None,
            (b'-', t) => Some(-t),
            (_, t) => Some(t),
        });
    }
    let offset = match z.to_ascii_uppercase().as_str() {
        "UT" | "UTC" | "GMT" | "Z" => Some(0),
        "EDT" => Some(-4 * 60),
        "EST" | "CDT" => Some(-5 * 60),
        "CST" | "MDT" => Some(-6 * 60),
        "MST" | "PDT" => Some(-7 * 60),
        "PST" => Some(-8 * 60),
        other if other.bytes().all(|c| c.is_ascii_alphabetic()) && other.len() <= 5 => None,
        _ => return None,
    };
    Some(offset)
}

/// Whitespace- and comma-separated tokens, skipping parenthesised comments.
struct Tokens<'a> {
    rest: &'a str,
}

impl<'a> Tokens<'a> {
    fn new(s: &'a str) -> Self {
        Tokens { rest: s }
    }
}

impl<'a> Iterator for Tokens<'a> {
    type Item = &'a str;
    fn next(&mut self) -> Option<&'a str> {
        loop {
            self.rest = self
                .rest
                .trim_start_matches(|c: char| c.is_ascii_whitespace() || c == ',');
            if self.rest.starts_with('(') {
                let mut depth = 0usize;
                let mut end = self.rest.len();
                for (i, c) in self.rest.char_indices() {
                    match c {
                        '(' => depth += 1,
                        ')' => {
                            depth = depth.saturating_sub(1);
                            if depth == 0 {
                                end = i + 1;
                                break;
                            }
                        }
                        _ => {}
                    }
                }
                self.rest = self.rest.get(end..).unwrap_or("");
                continue;
            }
            if self.rest.is_empty() {
                return None;
            }
            let end = self
                .rest
                .find(|c: char| c.is_ascii_whitespace() || c == ',' || c == '(')
                .unwrap_or(self.rest.len());
            let (tok, rest) = self.rest.split_at(end);
            self.rest = rest;
            return Some(tok);
        }
    }
}

/// Unix seconds as RFC 3339 (UTC), as reports write times.
pub(crate) fn rfc3339(unix: i64) -> String {
    mail_parser::DateTime::from_timestamp(unix).to_rfc3339()
}

/// A time written as Unix seconds, RFC 3339 / ISO 8601 or an RFC 5322 date.
pub(crate) fn parse_any(text: &str) -> Option<i64> {
    let text = text.trim();
    if let Ok(secs) = text.parse::<i64>() {
        return Some(secs);
    }
    if let Some(dt) = mail_parser::DateTime::parse_rfc3339(text).filter(|d| d.is_valid()) {
        return Some(dt.to_timestamp());
    }
    parse(text).map(|d| d.unix)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_forms() {
        let d = parse("Sun, 8 Dec 2019 10:33:04 +0100").unwrap();
        assert_eq!(d.unix, 1_575_797_584);
        assert_eq!(d.tz_minutes, Some(60));
        let d = parse("Sun,  8 Dec 2019 10:33:19 +0100 (CET)").unwrap();
        assert_eq!(d.unix, 1_575_797_599);
        assert_eq!(
            parse("08 Feb 2003 01:58:32 +0200").unwrap().unix,
            1_044_662_312
        );
        let d = parse("23 Oct 2023 21:18:34 -0000").unwrap();
        assert_eq!(d.tz_minutes, None);
        assert_eq!(
            parse("Fri, 11 Jul 2003 21:00:37 -0700 (PDT)")
                .unwrap()
                .tz_minutes,
            Some(-420)
        );
        assert_eq!(
            parse("Wed Sep 30 19:56:38 2020 +1000").unwrap().unix,
            parse("Wed, 30 Sep 2020 19:56:38 +1000").unwrap().unix
        );
        assert_eq!(parse("1 Jan 70 00:00 GMT").unwrap().unix, 0);
        assert_eq!(
            parse("Thu, 1 Jan 1970 00:00:00 EST").unwrap().unix,
            5 * 3600
        );
    }

    #[test]
    fn rejects_garbage() {
        for s in [
            "",
            "yesterday",
            "32 Dec 2019 10:00 +0000",
            "1 Foo 2019 10:00",
            "1 Jan 2019 25:00",
        ] {
            assert!(parse(s).is_none(), "{s}");
        }
        assert!(parse("1 Jan 2019 10:00 +9999").is_none());
    }

    #[test]
    fn formats() {
        assert_eq!(format_utc(1_575_797_584), "2019-12-08 09:33:04 UTC");
        assert_eq!(format_utc(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(format_duration(90), "90 s");
        assert_eq!(format_duration(-3 * 86_400), "3 days");
    }
}
