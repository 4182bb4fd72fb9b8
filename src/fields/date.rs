//! Dates and times, in one place: the parser of RFC 5322 date-times (with every obsolete
//! form of RFC 5322 section 4.3 and the `asctime` form seen in real mail), the ISO 8601 /
//! RFC 3339 and PDF date parsers, the civil-date arithmetic they share, and the one
//! formatter (RFC 3339 for reports, `YYYY-MM-DD HH:MM:SS UTC` for finding sentences).
//!
//! A date is a proleptic Gregorian date of the years 1 to 9999; anything else is not a
//! date (`None`). All arithmetic saturates: no input makes it overflow.

/// A parsed date-time: Unix seconds and the zone offset it was written with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MailDate {
    /// Seconds since the Unix epoch (UTC).
    pub unix: i64,
    /// The zone offset written in the date, in minutes east of UTC. `None` when the zone was
    /// missing, `-0000` (RFC 5322) or `-00:00` (RFC 3339), or a name whose meaning is not
    /// known (RFC 5322 section 4.3): the local time is unknown, and `unix` reads the time
    /// as if it were UTC.
    pub tz_minutes: Option<i16>,
}

/// Earliest and latest Unix seconds of a date (0001-01-01T00:00:00Z, 9999-12-31T23:59:59Z).
pub(crate) const MIN_UNIX: i64 = -62_135_596_800;
/// See [`MIN_UNIX`].
pub(crate) const MAX_UNIX: i64 = 253_402_300_799;

// ---------------------------------------------------------------------------------------
// Civil-date arithmetic.

/// Whether `y` is a leap year of the proleptic Gregorian calendar.
pub(crate) fn is_leap(y: i64) -> bool {
    y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)
}

/// Number of days of month `m` (1..=12) of year `y`; 0 for a month that does not exist.
pub(crate) fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(y) => 29,
        2 => 28,
        _ => 0,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's `days_from_civil`,
/// <https://howardhinnant.github.io/date_algorithms.html>). Meaningful for valid dates;
/// saturates instead of overflowing for absurd years.
pub(crate) fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y.saturating_sub(1) } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400); // [0, 399]
    let mp = (m.rem_euclid(12) + 9) % 12; // March-based month, [0, 11]
    let doy = (153 * mp + 2) / 5 + d.clamp(1, 31) - 1; // [0, 365]
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy; // [0, 146096]
    era.saturating_mul(146_097)
        .saturating_add(doe)
        .saturating_sub(719_468)
}

/// The proleptic Gregorian date `(year, month, day)` of a day count since 1970-01-01 (the
/// inverse of [`days_from_civil`], same source). Never overflows.
pub(crate) fn civil_from_days(days: i64) -> (i64, u8, u8) {
    let z = days.saturating_add(719_468);
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097); // [0, 146096]
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // [0, 399]
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // [0, 365]
    let mp = (5 * doy + 2) / 153; // [0, 11]
    let d = doy - (153 * mp + 2) / 5 + 1; // [1, 31]
    let m = if mp < 10 { mp + 3 } else { mp - 9 }; // [1, 12]
    let y = era
        .saturating_mul(400)
        .saturating_add(yoe)
        .saturating_add(i64::from(m <= 2));
    (y, m as u8, d as u8)
}

/// A validated civil date and time of day, as written (before any zone offset).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Civil {
    year: i64,
    month: i64,
    day: i64,
    hour: i64,
    minute: i64,
    second: i64,
}

impl Civil {
    /// `None` unless the year is 1..=9999, the day exists in its month, the hour is 0..=23,
    /// the minute 0..=59 and the second 0..=60 (a leap second).
    fn new(year: i64, month: i64, day: i64, hour: i64, minute: i64, second: i64) -> Option<Civil> {
        let ok = (1..=9999).contains(&year)
            && (1..=days_in_month(year, month)).contains(&day)
            && (0..=23).contains(&hour)
            && (0..=59).contains(&minute)
            && (0..=60).contains(&second);
        ok.then_some(Civil {
            year,
            month,
            day,
            hour,
            minute,
            second,
        })
    }

    /// Unix seconds of this local time at `tz_minutes` east of UTC (UTC when unknown).
    fn at(self, tz_minutes: Option<i16>) -> MailDate {
        let local = days_from_civil(self.year, self.month, self.day)
            .saturating_mul(86_400)
            .saturating_add(self.hour * 3_600 + self.minute * 60 + self.second);
        let offset = i64::from(tz_minutes.unwrap_or(0)) * 60;
        MailDate {
            unix: local.saturating_sub(offset),
            tz_minutes,
        }
    }
}

// ---------------------------------------------------------------------------------------
// RFC 5322.

/// Parse an RFC 5322 `date-time` (section 3.3) with the obsolete syntax of section 4.3 and
/// the forms real mail shows:
///
/// - two-digit years (00-49 are 2000-2049, 50-99 are 1950-1999) and three-digit years
///   (plus 1900), decided by the number of digits written, as section 4.3 says;
/// - the obsolete zone names `UT`, `GMT` and the North American `EST` ... `PDT` with their
///   offsets (any case), `UTC` as UTC, the same names spelled out (`Pacific Standard
///   Time`); the military single letters and every other name mean an unknown local time
///   (`-0000`), as section 4.3 says; `GMT+0100` and `+01:00` are read as the offset they
///   write;
/// - comments and folding white space anywhere (nested comments, quoted pairs), white
///   space around the colons of the time;
/// - a missing day of week, missing seconds, a missing zone (an unknown local time), a
///   fraction of a second (dropped), a comma anywhere;
/// - the `asctime` form `Wed Sep 30 19:56:38 2020 +1000` (the zone before or after the
///   year) and the RFC 850 form `Wednesday, 30-Sep-20 19:56:38 GMT`.
///
/// Text after the zone (or after the time, when it is no zone) is ignored. Returns `None`
/// when the text is no date: no time, unknown month, impossible day or time, a malformed
/// numeric zone, a year outside 1..=9999.
pub fn parse(text: &str) -> Option<MailDate> {
    parse_bytes(text.as_bytes())
}

/// [`parse`] on raw bytes (a header value as stored; non-ASCII bytes never form a date).
pub(crate) fn parse_bytes(text: &[u8]) -> Option<MailDate> {
    canonical(text).or_else(|| parse_general(text))
}

/// The date as most mail writes it, `[Ddd, ]D[D] Mon YYYY HH:MM:SS +HHMM` with single spaces
/// (text after the zone ignored, as [`parse_general`] ignores it), read without the
/// tokenizer. `None` for anything else, valid or not: [`parse_general`] then decides. Where
/// this gives a date it is the date [`parse_general`] gives (a property test holds them to
/// it).
fn canonical(text: &[u8]) -> Option<MailDate> {
    const WEEKDAYS: [&[u8; 3]; 7] = [b"Mon", b"Tue", b"Wed", b"Thu", b"Fri", b"Sat", b"Sun"];
    let start = text.iter().position(|&b| b != b' ' && b != b'\t')?;
    let mut t = text.get(start..)?;
    if let [a, b, c, b',', b' ', rest @ ..] = t {
        if !WEEKDAYS.contains(&&[*a, *b, *c]) {
            return None;
        }
        t = rest;
    }
    let digit = |b: u8| b.is_ascii_digit().then(|| i64::from(b - b'0'));
    let two = |a: u8, b: u8| Some(digit(a)? * 10 + digit(b)?);
    let (day, t) = match t {
        [d, b' ', rest @ ..] => (digit(*d)?, rest),
        [d, e, b' ', rest @ ..] => (two(*d, *e)?, rest),
        _ => return None,
    };
    let [
        m1,
        m2,
        m3,
        b' ',
        y1,
        y2,
        y3,
        y4,
        b' ',
        h1,
        h2,
        b':',
        i1,
        i2,
        b':',
        s1,
        s2,
        b' ',
        sign,
        z1,
        z2,
        z3,
        z4,
        rest @ ..,
    ] = t
    else {
        return None;
    };
    if !matches!(
        rest.first(),
        None | Some(b' ' | b'\t' | b'\r' | b'\n' | b'(')
    ) {
        return None;
    }
    let sign = match sign {
        b'+' | b'-' => *sign,
        _ => return None,
    };
    let month = month_of([*m1, *m2, *m3])?;
    let year = two(*y1, *y2)? * 100 + two(*y3, *y4)?;
    let (zh, zm) = (two(*z1, *z2)?, two(*z3, *z4)?);
    if zh > 23 || zm > 59 {
        return None;
    }
    let minutes = i16::try_from(zh * 60 + zm).ok()?;
    let tz = signed(sign, minutes);
    let civil = Civil::new(
        year,
        month,
        day,
        two(*h1, *h2)?,
        two(*i1, *i2)?,
        two(*s1, *s2)?,
    )?;
    Some(civil.at(tz.minutes()))
}

/// [`parse_bytes`] by the tokenizer: every form [`parse`] reads.
fn parse_general(text: &[u8]) -> Option<MailDate> {
    let mut t = Tokens::new(text);
    let mut tok = t.next()?;
    // Optional day of week (any word that is not a month).
    if let Tok::Word(w) = tok
        && month(w).is_none()
    {
        tok = t.next()?;
    }
    let (day, mon, year, time, tz);
    match tok {
        Tok::Num(d) => {
            // day ["-"] month ["-"] year time [zone]
            day = d;
            let mut next = t.next()?;
            if next == Tok::Sign(b'-') {
                next = t.next()?;
            }
            let Tok::Word(m) = next else { return None };
            mon = month(m)?;
            let mut next = t.next()?;
            if next == Tok::Sign(b'-') {
                next = t.next()?;
            }
            let Tok::Num(y) = next else { return None };
            year = y;
            time = time_of_day(&mut t)?;
            tz = zone(&mut t)?;
        }
        Tok::Word(m) => {
            // asctime: month day (time [zone] year | year time) [zone]
            mon = month(m)?;
            let Tok::Num(d) = t.next()? else { return None };
            day = d;
            let mut ahead = t.clone();
            let starts_time =
                matches!(ahead.next(), Some(Tok::Num(_))) && ahead.next() == Some(Tok::Colon);
            if starts_time {
                time = time_of_day(&mut t)?;
                let before = zone(&mut t)?;
                let Tok::Num(y) = t.next()? else { return None };
                year = y;
                tz = match before {
                    Zone::Absent => zone(&mut t)?,
                    z => z,
                };
            } else {
                let Tok::Num(y) = t.next()? else { return None };
                year = y;
                time = time_of_day(&mut t)?;
                tz = zone(&mut t)?;
            }
        }
        _ => return None,
    }
    if day.len() > 2 {
        return None;
    }
    let year = obs_year(year)?;
    let civil = Civil::new(year, mon, num(day)?, time.0, time.1, time.2)?;
    Some(civil.at(tz.minutes()))
}

/// A year as RFC 5322 section 4.3 reads it: by the number of digits written.
fn obs_year(digits: &str) -> Option<i64> {
    let y = num(digits)?;
    Some(match digits.len() {
        2 if y < 50 => y + 2000,
        2 => y + 1900,
        3 => y + 1900,
        1 => return None,
        _ => y,
    })
}

/// `hour ":" minute [":" second]`, white space and comments allowed around the colons.
fn time_of_day(t: &mut Tokens<'_>) -> Option<(i64, i64, i64)> {
    let Tok::Num(h) = t.next()? else { return None };
    if t.next()? != Tok::Colon {
        return None;
    }
    let Tok::Num(m) = t.next()? else { return None };
    let mut ahead = t.clone();
    let s = if ahead.next() == Some(Tok::Colon) {
        let Some(Tok::Num(s)) = ahead.next() else {
            return None;
        };
        *t = ahead;
        // A fraction of a second (not RFC 5322, but Google's servers write it): dropped.
        let mut frac = t.clone();
        if frac.next() == Some(Tok::Dot) && matches!(frac.next(), Some(Tok::Num(_))) {
            *t = frac;
        }
        s
    } else {
        "0"
    };
    if h.len() > 2 || m.len() > 2 || s.len() > 2 {
        return None;
    }
    Some((num(h)?, num(m)?, num(s)?))
}

/// What follows the time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Zone {
    /// No zone written.
    Absent,
    /// A zone whose offset is unknown (`-0000`, military letters, unknown names).
    Unknown,
    /// A known offset, minutes east of UTC.
    Offset(i16),
}

impl Zone {
    fn minutes(self) -> Option<i16> {
        match self {
            Zone::Offset(m) => Some(m),
            Zone::Absent | Zone::Unknown => None,
        }
    }
}

/// The zone after the time, if one is there: a numeric offset, or a name (the next word;
/// the spelled-out North American names take three). Anything else (the year of an
/// `asctime` date, trailing text) leaves the zone absent and the cursor where it was.
/// `None` only for a malformed numeric offset (`+9999`, `+01`): the time is then unknown.
fn zone(t: &mut Tokens<'_>) -> Option<Zone> {
    let mut ahead = t.clone();
    match ahead.next() {
        Some(Tok::Sign(sign)) => {
            let minutes = numeric_offset(&mut ahead)?;
            *t = ahead;
            Some(signed(sign, minutes))
        }
        Some(Tok::Word(w)) => {
            *t = ahead;
            if let Some(z) = spelled_zone(w, t) {
                return Some(z);
            }
            let named = zone_name(w);
            // `GMT+0100`, `UTC-05:00`: the offset written after a name of UTC.
            if named == Zone::Offset(0) {
                let mut after = t.clone();
                if let Some(Tok::Sign(sign)) = after.next()
                    && let Some(minutes) = numeric_offset(&mut after)
                {
                    *t = after;
                    return Some(signed(sign, minutes));
                }
            }
            Some(named)
        }
        _ => Some(Zone::Absent),
    }
}

/// `Pacific Standard Time` and the like (Exchange wrote them in `Received`): the offsets of
/// the RFC's North American abbreviations, spelled out. Consumes the two words after
/// `first` only when they complete such a name.
fn spelled_zone(first: &str, t: &mut Tokens<'_>) -> Option<Zone> {
    const REGIONS: [(&str, i16); 4] = [
        ("eastern", -5),
        ("central", -6),
        ("mountain", -7),
        ("pacific", -8),
    ];
    let (_, standard) = REGIONS
        .iter()
        .find(|(r, _)| r.eq_ignore_ascii_case(first))?;
    let mut ahead = t.clone();
    let (Some(Tok::Word(kind)), Some(Tok::Word(time))) = (ahead.next(), ahead.next()) else {
        return None;
    };
    if !time.eq_ignore_ascii_case("time") {
        return None;
    }
    let hours = if kind.eq_ignore_ascii_case("standard") {
        *standard
    } else if kind.eq_ignore_ascii_case("daylight") {
        standard + 1
    } else {
        return None;
    };
    *t = ahead;
    Some(Zone::Offset(hours * 60))
}

/// `-0000` is an unknown local time (RFC 5322 section 3.3); other offsets are signed.
fn signed(sign: u8, minutes: i16) -> Zone {
    match (sign, minutes) {
        (b'-', 0) => Zone::Unknown,
        (b'-', m) => Zone::Offset(-m),
        (_, m) => Zone::Offset(m),
    }
}

/// `HHMM` or `HH:MM` after a sign, as minutes; `None` for anything else or an hour over 23
/// or a minute over 59.
fn numeric_offset(t: &mut Tokens<'_>) -> Option<i16> {
    let Tok::Num(n) = t.next()? else { return None };
    let (hh, mm) = match n.len() {
        4 => (n.get(..2)?, n.get(2..)?),
        2 => {
            if t.next()? != Tok::Colon {
                return None;
            }
            let Tok::Num(m) = t.next()? else { return None };
            if m.len() != 2 {
                return None;
            }
            (n, m)
        }
        _ => return None,
    };
    let (hh, mm) = (num(hh)?, num(mm)?);
    if hh > 23 || mm > 59 {
        return None;
    }
    i16::try_from(hh * 60 + mm).ok()
}

/// An alphabetic zone: the names RFC 5322 section 4.3 lists (and `UTC`) with their offsets;
/// the military single letters and every other name mean an unknown local time, as section
/// 4.3 says ("SHOULD be considered equivalent to -0000").
fn zone_name(w: &str) -> Zone {
    const KNOWN: [(&str, i16); 11] = [
        ("UT", 0),
        ("UTC", 0),
        ("GMT", 0),
        ("EDT", -4 * 60),
        ("EST", -5 * 60),
        ("CDT", -5 * 60),
        ("CST", -6 * 60),
        ("MDT", -6 * 60),
        ("MST", -7 * 60),
        ("PDT", -7 * 60),
        ("PST", -8 * 60),
    ];
    KNOWN
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(w))
        .map_or(Zone::Unknown, |(_, m)| Zone::Offset(*m))
}

/// The month of a word: its first three letters name one (`Sep`, `sept`, `September`).
fn month(w: &str) -> Option<i64> {
    let [a, b, c] = *w.as_bytes().get(..3)? else {
        return None;
    };
    month_of([a, b, c])
}

/// The month of its first three letters, in any case.
fn month_of(letters: [u8; 3]) -> Option<i64> {
    let m = match letters.map(|b| b.to_ascii_lowercase()) {
        [b'j', b'a', b'n'] => 1,
        [b'f', b'e', b'b'] => 2,
        [b'm', b'a', b'r'] => 3,
        [b'a', b'p', b'r'] => 4,
        [b'm', b'a', b'y'] => 5,
        [b'j', b'u', b'n'] => 6,
        [b'j', b'u', b'l'] => 7,
        [b'a', b'u', b'g'] => 8,
        [b's', b'e', b'p'] => 9,
        [b'o', b'c', b't'] => 10,
        [b'n', b'o', b'v'] => 11,
        [b'd', b'e', b'c'] => 12,
        _ => return None,
    };
    Some(m)
}

/// A run of ASCII digits as a number; `None` when empty, not digits, or too long to be a
/// date part.
fn num(digits: &str) -> Option<i64> {
    if digits.is_empty() || digits.len() > 9 {
        return None;
    }
    digits.bytes().try_fold(0i64, |n, b| {
        b.is_ascii_digit().then(|| n * 10 + i64::from(b - b'0'))
    })
}

/// A token of an RFC 5322 date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tok<'a> {
    /// A run of ASCII digits.
    Num(&'a str),
    /// A run of ASCII letters.
    Word(&'a str),
    /// `:`.
    Colon,
    /// `+` or `-`.
    Sign(u8),
    /// `.`.
    Dot,
    /// Any other byte.
    Other,
}

/// The tokens of a date, skipping white space (folding included), commas and comments
/// (nested, with quoted pairs).
#[derive(Clone)]
struct Tokens<'a> {
    text: &'a [u8],
    pos: usize,
}

impl<'a> Tokens<'a> {
    fn new(text: &'a [u8]) -> Self {
        Tokens { text, pos: 0 }
    }

    fn skip_cfws(&mut self) {
        let mut depth = 0usize;
        while let Some(&b) = self.text.get(self.pos) {
            match b {
                b'(' => depth += 1,
                b')' if depth > 0 => depth -= 1,
                b'\\' if depth > 0 => self.pos += 1,
                b' ' | b'\t' | b'\r' | b'\n' | b',' => {}
                _ if depth > 0 => {}
                _ => return,
            }
            self.pos += 1;
        }
    }

    /// The run of bytes from the current position that satisfy `f`, as text.
    fn run(&mut self, f: impl Fn(&u8) -> bool) -> &'a str {
        let start = self.pos;
        let len = self
            .text
            .get(start..)
            .map_or(0, |r| r.iter().take_while(|b| f(b)).count());
        self.pos = start + len;
        // ASCII only, so always valid UTF-8.
        self.text
            .get(start..start + len)
            .and_then(|r| std::str::from_utf8(r).ok())
            .unwrap_or("")
    }
}

impl<'a> Iterator for Tokens<'a> {
    type Item = Tok<'a>;

    fn next(&mut self) -> Option<Tok<'a>> {
        self.skip_cfws();
        let b = *self.text.get(self.pos)?;
        Some(match b {
            b'0'..=b'9' => Tok::Num(self.run(u8::is_ascii_digit)),
            b'a'..=b'z' | b'A'..=b'Z' => Tok::Word(self.run(u8::is_ascii_alphabetic)),
            b':' => {
                self.pos += 1;
                Tok::Colon
            }
            b'+' | b'-' => {
                self.pos += 1;
                Tok::Sign(b)
            }
            b'.' => {
                self.pos += 1;
                Tok::Dot
            }
            _ => {
                self.pos += 1;
                Tok::Other
            }
        })
    }
}

// ---------------------------------------------------------------------------------------
// ISO 8601 / RFC 3339 and PDF.

/// Parse an ISO 8601 calendar date or date-time in the extended format, as RFC 3339 and the
/// W3C profile (Office and OpenDocument metadata, XMP) write it: `2017-03-27`,
/// `2017-03-27T10:05`, `2017-03-27T10:05:07`, with a fraction (`.25` or `,25`, dropped), a
/// zone (`Z`, `+02:00`, `+0200`, `+02`) or none, `T`, `t` or a space between date and time.
/// `-00:00` is an unknown local offset (RFC 3339 section 4.3), as is a missing zone.
pub(crate) fn parse_iso(text: &str) -> Option<MailDate> {
    let s = text.trim().as_bytes();
    let digits = |r: std::ops::Range<usize>| -> Option<i64> {
        let d = s.get(r)?;
        if !d.iter().all(u8::is_ascii_digit) {
            return None;
        }
        std::str::from_utf8(d).ok()?.parse().ok()
    };
    if s.get(4) != Some(&b'-') || s.get(7) != Some(&b'-') {
        return None;
    }
    let (year, month, day) = (digits(0..4)?, digits(5..7)?, digits(8..10)?);
    let (mut hour, mut minute, mut second) = (0, 0, 0);
    let mut p = 10;
    if matches!(s.get(10), Some(b'T' | b't' | b' ')) {
        if s.get(13) != Some(&b':') {
            return None;
        }
        hour = digits(11..13)?;
        minute = digits(14..16)?;
        p = 16;
        if s.get(16) == Some(&b':') {
            second = digits(17..19)?;
            p = 19;
            if matches!(s.get(19), Some(b'.' | b',')) {
                let frac = s
                    .get(20..)
                    .map_or(0, |r| r.iter().take_while(|b| b.is_ascii_digit()).count());
                if frac == 0 {
                    return None;
                }
                p = 20 + frac;
            }
        }
    }
    let tz = match s.get(p..)? {
        [] => Zone::Absent,
        [b'Z' | b'z'] => Zone::Offset(0),
        [sign @ (b'+' | b'-'), rest @ ..] => {
            let (hh, mm) = match *rest {
                [a, b] => ([a, b], *b"00"),
                [a, b, c, d] | [a, b, b':', c, d] => ([a, b], [c, d]),
                _ => return None,
            };
            signed(*sign, offset_minutes(hh, mm)?)
        }
        _ => return None,
    };
    Some(Civil::new(year, month, day, hour, minute, second)?.at(tz.minutes()))
}

/// Minutes of a zone offset written as two-digit hours (up to 23) and minutes (up to 59).
fn offset_minutes(hh: [u8; 2], mm: [u8; 2]) -> Option<i16> {
    let two = |[a, b]: [u8; 2]| -> Option<i16> {
        (a.is_ascii_digit() && b.is_ascii_digit())
            .then(|| i16::from(a - b'0') * 10 + i16::from(b - b'0'))
    };
    let (h, m) = (two(hh)?, two(mm)?);
    (h <= 23 && m <= 59).then_some(h * 60 + m)
}

/// A time as key archives annotate it: Unix seconds (digits only), or an ISO 8601 date or
/// date-time ([`parse_iso`]). Both must lie in the years 1..=9999.
pub(crate) fn parse_timestamp(text: &str) -> Option<i64> {
    let t = text.trim();
    if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) {
        return t
            .parse::<i64>()
            .ok()
            .filter(|s| (MIN_UNIX..=MAX_UNIX).contains(s));
    }
    parse_iso(t).map(|d| d.unix)
}

/// Parse a PDF date (ISO 32000-1 section 7.9.4): `D:YYYYMMDDHHmmSSOHH'mm'`, where every
/// part after the year is optional (month and day default to 1, the rest to 0), the `D:`
/// prefix too, `O` is `+`, `-` or `Z`, and the apostrophes may be missing. Without a zone
/// the local time is unknown (`tz_minutes` is `None`).
pub(crate) fn parse_pdf(text: &str) -> Option<MailDate> {
    let t = text.trim();
    let s = t.strip_prefix("D:").unwrap_or(t).as_bytes();
    let digits = s.iter().take_while(|b| b.is_ascii_digit()).count();
    // The year and then whole two-digit fields only.
    if !(4..=14).contains(&digits) || digits % 2 != 0 {
        return None;
    }
    let field = |i: usize, default: i64| -> i64 {
        match s.get(i..i + 2) {
            Some(&[a, b]) if i + 2 <= digits => i64::from(a - b'0') * 10 + i64::from(b - b'0'),
            _ => default,
        }
    };
    let year = s
        .get(..4)?
        .iter()
        .fold(0i64, |y, d| y * 10 + i64::from(d - b'0'));
    let (month, day) = (field(4, 1), field(6, 1));
    let (hour, minute, second) = (field(8, 0), field(10, 0), field(12, 0));
    let tz = match s.get(digits..)? {
        [] => Zone::Absent,
        [b'Z', rest @ ..] if rest.iter().all(|b| matches!(b, b'0' | b'\'')) => Zone::Offset(0),
        [sign @ (b'+' | b'-'), rest @ ..] => {
            let (hh, mm) = match *rest {
                [a, b] | [a, b, b'\''] => ([a, b], *b"00"),
                [a, b, b'\'', c, d] | [a, b, b'\'', c, d, b'\''] | [a, b, c, d] => ([a, b], [c, d]),
                _ => return None,
            };
            signed(*sign, offset_minutes(hh, mm)?)
        }
        _ => return None,
    };
    Some(Civil::new(year, month, day, hour, minute, second)?.at(tz.minutes()))
}

// ---------------------------------------------------------------------------------------
// Formatting.

/// Month abbreviations of RFC 5322 dates, January first.
const MONTH_NAMES: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// The output forms of [`format`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Style {
    /// RFC 3339 in UTC, for reports: `2019-12-08T09:33:04Z`.
    Rfc3339,
    /// For finding sentences: `2019-12-08 09:33:04 UTC`.
    Sentence,
    /// An RFC 5322 date in UTC, for header blocks rebuilt from a store's properties:
    /// `Sun, 8 Dec 2019 09:33:04 +0000`.
    Rfc5322,
}

/// Unix seconds as a UTC date-time in `style`. Years outside 0..=9999 (which only a time
/// given by a caller can reach) are written in the ISO 8601 expanded form with a sign
/// (`+292277026596-12-04T15:30:07Z`) rather than wrapped or clamped.
pub(crate) fn format(unix: i64, style: Style) -> String {
    let (y, m, d) = civil_from_days(unix.div_euclid(86_400));
    let secs = unix.rem_euclid(86_400);
    let (hh, mm, ss) = (secs / 3_600, secs % 3_600 / 60, secs % 60);
    let (sep, zone) = match style {
        Style::Rfc3339 => ('T', "Z"),
        Style::Sentence => (' ', " UTC"),
        Style::Rfc5322 => {
            let days = unix.div_euclid(86_400);
            // 1970-01-01 was a Thursday.
            let weekday = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"]
                .get(days.rem_euclid(7) as usize)
                .copied()
                .unwrap_or("Thu");
            let month = MONTH_NAMES
                .get(usize::from(m).saturating_sub(1))
                .copied()
                .unwrap_or("Jan");
            return format!("{weekday}, {d} {month} {y:04} {hh:02}:{mm:02}:{ss:02} +0000");
        }
    };
    if (0..=9999).contains(&y) {
        format!("{y:04}-{m:02}-{d:02}{sep}{hh:02}:{mm:02}:{ss:02}{zone}")
    } else {
        format!("{y:+05}-{m:02}-{d:02}{sep}{hh:02}:{mm:02}:{ss:02}{zone}")
    }
}

/// Unix seconds as `YYYY-MM-DD HH:MM:SS UTC`, for finding details ([`format`]).
pub(crate) fn format_utc(unix: i64) -> String {
    format(unix, Style::Sentence)
}

/// Unix seconds as RFC 3339 in UTC (`YYYY-MM-DDTHH:MM:SSZ`), for reports ([`format`]).
pub(crate) fn rfc3339(unix: i64) -> String {
    format(unix, Style::Rfc3339)
}

/// A duration in seconds as a short human text (`3 h 12 min`, `2 days`).
pub(crate) fn format_duration(secs: i64) -> String {
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

/// A time written as Unix seconds, ISO 8601 / RFC 3339 ([`parse_timestamp`]) or an RFC 5322
/// date ([`parse`]).
pub(crate) fn parse_any(text: &str) -> Option<i64> {
    parse_timestamp(text).or_else(|| parse(text).map(|d| d.unix))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Unix seconds of a UTC date-time, by the civil arithmetic (checked against the naive
    /// reference by the property tests below).
    fn utc(y: i64, mo: i64, d: i64, h: i64, mi: i64, s: i64) -> i64 {
        days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + s
    }

    fn unix(text: &str) -> Option<i64> {
        parse(text).map(|d| d.unix)
    }

    fn tz(text: &str) -> Option<i16> {
        parse(text).and_then(|d| d.tz_minutes)
    }

    #[test]
    fn rfc5322_dates_written_read_back() {
        let w = |t| format(t, Style::Rfc5322);
        assert_eq!(w(0), "Thu, 1 Jan 1970 00:00:00 +0000");
        assert_eq!(w(951_782_400), "Tue, 29 Feb 2000 00:00:00 +0000");
        for t in [0, 951_782_400, 1_517_000_476, 4_102_444_800, -86_400] {
            assert_eq!(parse(&w(t)).map(|d| d.unix), Some(t));
        }
    }

    #[test]
    fn rfc5322_current_syntax() {
        // Section 3.3, and Appendix A.1.1 of RFC 5322.
        let d = parse("Fri, 21 Nov 1997 09:55:06 -0600").unwrap();
        assert_eq!(d.unix, utc(1997, 11, 21, 15, 55, 6));
        assert_eq!(d.tz_minutes, Some(-360));
        // A real Gmail Date (known Unix time).
        assert_eq!(unix("Sun, 8 Dec 2019 10:33:04 +0100"), Some(1_575_797_584));
        assert_eq!(tz("Sun, 8 Dec 2019 10:33:04 +0100"), Some(60));
        assert_eq!(unix("08 Feb 2003 01:58:32 +0200"), Some(1_044_662_312));
        assert_eq!(tz("Tue, 1 Jul 2003 10:52:37 +0000"), Some(0));
        // `-0000`: UTC, local zone unknown.
        assert_eq!(
            unix("23 Oct 2023 21:18:34 -0000"),
            Some(utc(2023, 10, 23, 21, 18, 34))
        );
        assert_eq!(tz("23 Oct 2023 21:18:34 -0000"), None);
        assert_eq!(tz("1 Jan 2019 10:00 -0130"), Some(-90));
    }

    #[test]
    fn rfc5322_obsolete_years() {
        // Section 4.3: 00-49 are 2000-2049, 50-99 are 1950-1999, three digits add 1900;
        // decided by the digits written, so `0049` is the year 49.
        assert_eq!(unix("1 Jan 70 00:00 GMT"), Some(0));
        assert_eq!(
            unix("30 Sep 20 19:56 +0000"),
            Some(utc(2020, 9, 30, 19, 56, 0))
        );
        assert_eq!(unix("1 Jan 49 00:00 +0000"), Some(utc(2049, 1, 1, 0, 0, 0)));
        assert_eq!(unix("1 Jan 50 00:00 +0000"), Some(utc(1950, 1, 1, 0, 0, 0)));
        assert_eq!(unix("1 Jan 99 00:00 +0000"), Some(utc(1999, 1, 1, 0, 0, 0)));
        assert_eq!(
            unix("1 Jan 103 00:00 +0000"),
            Some(utc(2003, 1, 1, 0, 0, 0))
        );
        assert_eq!(unix("1 Jan 0049 00:00 +0000"), Some(utc(49, 1, 1, 0, 0, 0)));
        // One digit is no year; the year 0 and years after 9999 are not dates.
        assert_eq!(unix("1 Jan 7 00:00 +0000"), None);
        assert_eq!(unix("1 Jan 0000 00:00 +0000"), None);
        assert_eq!(unix("1 Jan 10000 00:00 +0000"), None);
        assert_eq!(unix("1 Jan 999999999 00:00 +0000"), None);
    }

    #[test]
    fn rfc5322_obsolete_zones() {
        // Section 4.3: UT and GMT are UTC; the North American names have fixed offsets.
        let base = utc(2020, 9, 30, 19, 56, 0);
        for (name, hours) in [
            ("UT", 0),
            ("GMT", 0),
            ("EDT", -4),
            ("EST", -5),
            ("CDT", -5),
            ("CST", -6),
            ("MDT", -6),
            ("MST", -7),
            ("PDT", -7),
            ("PST", -8),
        ] {
            let d = parse(&format!("30 Sep 20 19:56 {name}")).unwrap();
            assert_eq!(d.unix, base - hours * 3600, "{name}");
            assert_eq!(d.tz_minutes, Some((hours * 60) as i16), "{name}");
            let lower = parse(&format!("30 Sep 2020 19:56 {}", name.to_lowercase())).unwrap();
            assert_eq!(lower, d, "{name} in lower case");
        }
        // Military single letters (A-I, K-Z, either case): their meaning was botched in
        // RFC 822, so they are "-0000", an unknown local time. Z included.
        for letter in ('A'..='Z')
            .chain('a'..='z')
            .filter(|c| !c.eq_ignore_ascii_case(&'j'))
        {
            let d = parse(&format!("30 Sep 2020 19:56:00 {letter}")).unwrap();
            assert_eq!(d.unix, base, "{letter}");
            assert_eq!(d.tz_minutes, None, "{letter}");
        }
        // Other names: unknown too, whatever their length.
        assert_eq!(tz("Thu, 13 Feb 2003 10:00:00 CEST"), None);
        assert_eq!(
            unix("Thu, 13 Feb 2003 10:00:00 AEST"),
            Some(utc(2003, 2, 13, 10, 0, 0))
        );
        assert_eq!(
            unix("1 Jan 2019 10:00 Pacific"),
            Some(utc(2019, 1, 1, 10, 0, 0))
        );
        assert_eq!(tz("1 Jan 2019 10:00 Pacific"), None);
        // The North American names spelled out (Exchange, 1996).
        assert_eq!(
            parse("Fri, 13 Dec 1996 15:01:02 Pacific Standard Time"),
            Some(MailDate {
                unix: utc(1996, 12, 13, 23, 1, 2),
                tz_minutes: Some(-480)
            })
        );
        assert_eq!(tz("1 Jan 2019 10:00 eastern daylight time"), Some(-240));
        assert_eq!(tz("1 Jan 2019 10:00 Central Time"), None);
        // Names are case-insensitive.
        assert_eq!(tz("Tue, 28 May 1996 12:24:23 cst"), Some(-360));
        // UTC is not in the RFC's list but unambiguous.
        assert_eq!(tz("1 Jan 2019 10:00 UTC"), Some(0));
        // An offset after a name of UTC, and the RFC 3339 colon form.
        assert_eq!(tz("1 Jan 2019 10:00 GMT+0100"), Some(60));
        assert_eq!(tz("1 Jan 2019 10:00 UTC-05:00"), Some(-300));
        assert_eq!(tz("1 Jan 2019 10:00 +01:00"), Some(60));
        // No zone at all: unknown local time, read as UTC.
        let d = parse("Mon, 1 Jan 2018 10:00:00").unwrap();
        assert_eq!((d.unix, d.tz_minutes), (utc(2018, 1, 1, 10, 0, 0), None));
    }

    #[test]
    fn rfc5322_comments_and_folding() {
        let plain = unix("Sun, 8 Dec 2019 10:33:04 +0100");
        for text in [
            "Sun,  8 Dec 2019 10:33:04 +0100 (CET)",
            "(c) Sun (c), (c) 8 (c) Dec (c) 2019 (c) 10:33:04 (c) +0100 (c)",
            "Sun, 8 Dec 2019\r\n 10:33:04\r\n\t+0100",
            "Sun, 8 Dec 2019 10 : 33 : 04 +0100",
            "Sun, 8 Dec 2019 10(a):(b)33:04 +0100",
            "Sun, 8 (nested (comment \\) with a quoted pair) here) Dec 2019 10:33:04 +0100",
            "Sun 8 Dec 2019 10:33:04 +0100",
            "Sun, 08 Dec 2019 10:33:04 +0100 +0200 trailing words",
        ] {
            assert_eq!(unix(text), plain, "{text:?}");
        }
        // An unclosed comment hides the rest.
        assert_eq!(unix("Sun, 8 Dec 2019 (10:33:04 +0100"), None);
    }

    #[test]
    fn rfc5322_missing_parts() {
        // Missing seconds, missing day of week, both.
        assert_eq!(
            unix("Sun, 8 Dec 2019 10:33 +0100"),
            Some(utc(2019, 12, 8, 9, 33, 0))
        );
        assert_eq!(unix("8 Dec 2019 10:33:04 +0100"), Some(1_575_797_584));
        assert_eq!(
            unix("8 Dec 2019 10:33 +0100"),
            Some(utc(2019, 12, 8, 9, 33, 0))
        );
        // A fraction of a second (Google's Received headers).
        assert_eq!(
            unix("Wed, 09 Nov 2016 20:10:27.367 +0000 (UTC)"),
            Some(utc(2016, 11, 9, 20, 10, 27))
        );
        assert_eq!(
            unix("1 Jan 2019 10:00:27. +0000"),
            Some(utc(2019, 1, 1, 10, 0, 27))
        );
        // Text after the time that is no zone: ignored, the zone is unknown.
        assert_eq!(
            parse("1 Jan 2019 10:00 \u{20ac}").map(|d| d.tz_minutes),
            Some(None)
        );
        // The disagreement the old verifier had: two-digit year, no seconds, old zone.
        assert_eq!(
            unix("30 Sep 20 19:56 EDT"),
            Some(utc(2020, 9, 30, 23, 56, 0))
        );
    }

    #[test]
    fn asctime_and_rfc850() {
        let want = Some(utc(2020, 9, 30, 9, 56, 38));
        assert_eq!(unix("Wed Sep 30 19:56:38 2020 +1000"), want);
        assert_eq!(unix("Wed, 30 Sep 2020 19:56:38 +1000"), want);
        assert_eq!(unix("Sep 30 19:56:38 2020 +1000"), want);
        assert_eq!(unix("Wed Sep 30 19:56:38 +1000 2020"), want);
        // date(1): the zone name before the year.
        let d = parse("Wed Sep 30 19:56:38 AEST 2020").unwrap();
        assert_eq!((d.unix, d.tz_minutes), (utc(2020, 9, 30, 19, 56, 38), None));
        // asctime with the year before the time.
        assert_eq!(unix("Wed Sep 30 2020 19:56:38 +1000"), want);
        // RFC 850 (Usenet).
        assert_eq!(
            unix("Wednesday, 30-Sep-20 19:56:38 GMT"),
            Some(utc(2020, 9, 30, 19, 56, 38))
        );
        assert_eq!(unix("Thu, 1 Jan 1970 00:00:00 EST"), Some(5 * 3600));
        // Full month names.
        assert_eq!(unix("30 September 2020 19:56:38 +1000"), want);
    }

    #[test]
    fn rfc5322_not_dates() {
        for s in [
            "",
            "yesterday",
            "Sun, 8 Dec 2019",
            "32 Dec 2019 10:00 +0000",
            "29 Feb 2019 10:00 +0000",
            "31 Apr 2019 10:00 +0000",
            "1 Foo 2019 10:00",
            "1 Jan 2019 25:00",
            "1 Jan 2019 10:60",
            "1 Jan 2019 10:00:61",
            "1 Jan 2019 10:00 +9999",
            "1 Jan 2019 10:00 +0160",
            "1 Jan 2019 10:00 +01",
            "123 Jan 2019 10:00",
            "1 Jan 2019 100:00",
            "Ω 1 Jan 2019 10:00",
        ] {
            assert!(parse(s).is_none(), "{s:?}");
        }
        // 29 February of a leap year is a date; a leap second is accepted.
        assert_eq!(
            unix("29 Feb 2020 10:00 +0000"),
            Some(utc(2020, 2, 29, 10, 0, 0))
        );
        assert_eq!(
            unix("31 Dec 2016 23:59:60 +0000"),
            Some(utc(2017, 1, 1, 0, 0, 0))
        );
    }

    #[test]
    fn iso_dates() {
        let t = utc(2017, 3, 27, 8, 5, 7);
        for (text, zone) in [
            ("2017-03-27T08:05:07Z", Some(0)),
            ("2017-03-27t08:05:07z", Some(0)),
            ("2017-03-27T10:05:07+02:00", Some(120)),
            ("2017-03-27T10:05:07.25+02:00", Some(120)),
            ("2017-03-27T10:05:07,25+0200", Some(120)),
            ("2017-03-27T10:05:07+02", Some(120)),
            ("2017-03-27T06:35:07-01:30", Some(-90)),
            ("2017-03-27 08:05:07", None),
            ("2017-03-27T08:05:07.123456789", None),
            ("2017-03-27T08:05:07-00:00", None),
            ("  2017-03-27T08:05:07Z  ", Some(0)),
        ] {
            let d = parse_iso(text).unwrap_or_else(|| panic!("{text}"));
            assert_eq!((d.unix, d.tz_minutes), (t, zone), "{text}");
        }
        assert_eq!(parse_iso("2017-03-27T08:05Z").unwrap().unix, t - 7);
        assert_eq!(parse_iso("1970-01-02").unwrap().unix, 86_400);
        assert_eq!(
            parse_iso("2000-03-01T00:00:00+01:00").unwrap().unix,
            951_865_200
        );
        for bad in [
            "garbage",
            "2017-13-01",
            "2017-02-29",
            "2017-00-10",
            "0000-01-01",
            "2017-3-27",
            "2017-03-27T8:05:07Z",
            "2017-03-27T24:00:00Z",
            "2017-03-27T08:05:07.Z",
            "2017-03-27T08:05:07+2:00",
            "2017-03-27T08:05:07+02:0",
            "2017-03-27T08:05:07+24:00",
            "2017-03-27T08:05:07 Z",
            "2017-03-27X08:05:07",
            "2017-03-27T08:05:07Zjunk",
        ] {
            assert_eq!(parse_iso(bad), None, "{bad}");
        }
    }

    #[test]
    fn timestamps() {
        assert_eq!(parse_timestamp("12345"), Some(12345));
        assert_eq!(parse_timestamp(" 0 "), Some(0));
        assert_eq!(parse_timestamp("1970-01-02"), Some(86400));
        assert_eq!(
            parse_timestamp("2000-03-01T00:00:00+01:00"),
            Some(951_865_200)
        );
        assert_eq!(parse_timestamp("2000-13-01"), None);
        assert_eq!(parse_timestamp("x"), None);
        assert_eq!(parse_timestamp(""), None);
        // Beyond the year 9999, and beyond i64.
        assert_eq!(parse_timestamp("253402300799"), Some(MAX_UNIX));
        assert_eq!(parse_timestamp("253402300800"), None);
        assert_eq!(parse_timestamp("99999999999999999999999"), None);
    }

    #[test]
    fn pdf_dates() {
        let t = utc(2017, 3, 27, 8, 5, 7);
        assert_eq!(t, 1_490_601_907);
        for (text, zone) in [
            ("D:20170327100507+02'00'", Some(120)),
            ("D:20170327100507+02'00", Some(120)),
            ("D:20170327100507+0200", Some(120)),
            ("D:20170327100507+02'", Some(120)),
            ("D:20170327100507+02", Some(120)),
            ("D:20170327080507Z", Some(0)),
            ("D:20170327080507Z00'00'", Some(0)),
            ("20170327080507Z", Some(0)),
            ("D:20170327060507-02'00'", Some(-120)),
            ("D:20170327080507", None),
        ] {
            let d = parse_pdf(text).unwrap_or_else(|| panic!("{text}"));
            assert_eq!((d.unix, d.tz_minutes), (t, zone), "{text}");
        }
        // Missing parts default: month and day to 1, times to 0.
        assert_eq!(parse_pdf("D:2017").unwrap().unix, 1_483_228_800);
        assert_eq!(
            parse_pdf("D:201703").unwrap().unix,
            utc(2017, 3, 1, 0, 0, 0)
        );
        assert_eq!(
            parse_pdf("D:2017032708").unwrap().unix,
            utc(2017, 3, 27, 8, 0, 0)
        );
        for bad in [
            "D:2017x1",
            "D:20171",
            "D:201",
            "D:0000",
            "D:20171301",
            "D:20170230",
            "D:20170327250000",
            "D:2017032710050799",
            "D:20170327100507+2'00'",
            "D:20170327100507+02'00'x",
            "D:20170327100507*",
            "",
        ] {
            assert_eq!(parse_pdf(bad), None, "{bad}");
        }
    }

    #[test]
    fn formats() {
        assert_eq!(format_utc(1_575_797_584), "2019-12-08 09:33:04 UTC");
        assert_eq!(rfc3339(1_575_797_584), "2019-12-08T09:33:04Z");
        assert_eq!(format_utc(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(rfc3339(-1), "1969-12-31T23:59:59Z");
        assert_eq!(rfc3339(MIN_UNIX), "0001-01-01T00:00:00Z");
        assert_eq!(rfc3339(MAX_UNIX), "9999-12-31T23:59:59Z");
        // Outside the years of dates: the expanded form, never a panic or a wrapped year.
        assert_eq!(rfc3339(MAX_UNIX + 1), "+10000-01-01T00:00:00Z");
        assert_eq!(rfc3339(MIN_UNIX - 366 * 86_400), "0000-01-01T00:00:00Z");
        assert_eq!(rfc3339(MIN_UNIX - 731 * 86_400), "-0001-01-01T00:00:00Z");
        assert_eq!(rfc3339(i64::MAX), "+292277026596-12-04T15:30:07Z");
        assert!(rfc3339(i64::MIN).starts_with("-292277022657-"));
        assert_eq!(format_duration(90), "90 s");
        assert_eq!(format_duration(-3 * 86_400), "3 days");
        assert_eq!(format_duration(i64::MIN), "106751991167300 days");
    }

    #[test]
    fn arithmetic_saturates() {
        for y in [i64::MIN, -1 << 40, 0, 1 << 40, i64::MAX] {
            for m in [i64::MIN, 0, 1, 2, 3, 12, 13, i64::MAX] {
                let _ = days_from_civil(y, m, 1);
            }
        }
        for d in [i64::MIN, -1, 0, 1, i64::MAX] {
            let _ = civil_from_days(d);
        }
    }

    /// Days since 1970-01-01 by counting: whole years, then whole months, then days.
    fn naive_days(y: i64, m: i64, d: i64) -> i64 {
        let year_days = |y: i64| if is_leap_naive(y) { 366 } else { 365 };
        let mut days = 0;
        if y >= 1970 {
            for yy in 1970..y {
                days += year_days(yy);
            }
        } else {
            for yy in y..1970 {
                days -= year_days(yy);
            }
        }
        let lengths = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
        for mm in 1..m {
            days += lengths[(mm - 1) as usize] + i64::from(mm == 2 && is_leap_naive(y));
        }
        days + d - 1
    }

    /// The leap-year rule, as the calendar states it.
    fn is_leap_naive(y: i64) -> bool {
        if y % 400 == 0 {
            true
        } else if y % 100 == 0 {
            false
        } else {
            y % 4 == 0
        }
    }

    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];

    /// Dates in the canonical shape and near it: every field drawn from valid and invalid
    /// values, single or double spaces, tails after the zone.
    fn near_canonical() -> impl Strategy<Value = String> {
        (
            prop::sample::select(vec![
                "", "Thu, ", "Mon, ", "Xyz, ", "thu, ", "Thu,", "Jan, ", " ", "Thu ",
            ]),
            0u32..40,
            prop::sample::select(vec!["Jan", "feb", "MAR", "Aug", "Sept", "Xyz", "Dec"]),
            prop::sample::select(vec![" ", "  "]),
            prop_oneof![0u32..100, 1900u32..2100, 9990u32..10000],
            (0u32..30, 0u32..70, 0u32..70),
            prop::sample::select(vec!["+", "-", " ", "GMT"]),
            0u32..3000,
            prop::sample::select(vec!["", " (PDT)", "(CET)", "0", " junk", "\r\n", ":"]),
        )
            .prop_map(|(wd, d, m, sp, y, (h, mi, s), sign, z, tail)| {
                format!("{wd}{d} {m}{sp}{y:04} {h:02}:{mi:02}:{s:02} {sign}{z:04}{tail}")
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4096))]
        #[test]
        fn canonical_dates_agree_with_the_general_parser(text in near_canonical()) {
            let fast = canonical(text.as_bytes());
            if fast.is_some() {
                prop_assert_eq!(fast, parse_general(text.as_bytes()));
            }
        }
    }

    proptest! {

        #[test]
        fn canonical_dates_take_the_fast_path(t in MIN_UNIX..=MAX_UNIX, zone in -1439i64..=1439) {
            let local = t + zone * 60;
            prop_assume!((MIN_UNIX..=MAX_UNIX).contains(&local));
            let (y, m, d) = civil_from_days(local.div_euclid(86_400));
            let s = local.rem_euclid(86_400);
            let text = format!(
                "Thu, {d} {} {y:04} {:02}:{:02}:{:02} {}{:02}{:02}",
                MONTHS[usize::from(m) - 1], s / 3600, s / 60 % 60, s % 60,
                if zone < 0 { '-' } else { '+' }, zone.abs() / 60, zone.abs() % 60
            );
            let fast = canonical(text.as_bytes());
            prop_assert!(fast.is_some(), "{}", text);
            prop_assert_eq!(fast, parse_general(text.as_bytes()));
            prop_assert_eq!(fast.map(|d| d.unix), Some(t));
        }

        #[test]
        fn civil_arithmetic_agrees_with_counting(y in 1i64..=9999, m in 1i64..=12, d in 1i64..=31) {
            prop_assume!(d <= days_in_month(y, m));
            let days = days_from_civil(y, m, d);
            prop_assert_eq!(days, naive_days(y, m, d));
            prop_assert_eq!(civil_from_days(days), (y, m as u8, d as u8));
        }

        #[test]
        fn formats_parse_back(t in MIN_UNIX..=MAX_UNIX) {
            prop_assert_eq!(parse_iso(&rfc3339(t)).map(|d| (d.unix, d.tz_minutes)), Some((t, Some(0))));
            let (y, m, d) = civil_from_days(t.div_euclid(86_400));
            let s = t.rem_euclid(86_400);
            let text = format!(
                "{d} {} {y:04} {:02}:{:02}:{:02} +0000",
                MONTHS[usize::from(m) - 1], s / 3600, s / 60 % 60, s % 60
            );
            prop_assert_eq!(unix(&text), Some(t));
        }

        #[test]
        fn rfc5322_zones_shift_by_their_offset(
            y in 1000i64..=9999, m in 1i64..=12, d in 1i64..=28,
            h in 0i64..24, mi in 0i64..60, s in 0i64..60,
            sign in prop::bool::ANY, zh in 0i64..24, zm in 0i64..60,
        ) {
            let offset = (zh * 60 + zm) * if sign { 1 } else { -1 };
            let text = format!(
                "Mon, {d} {} {y} {h:02}:{mi:02}:{s:02} {}{zh:02}{zm:02}",
                MONTHS[(m - 1) as usize], if sign { '+' } else { '-' }
            );
            let got = parse(&text).unwrap();
            let local = naive_days(y, m, d) * 86_400 + h * 3600 + mi * 60 + s;
            prop_assert_eq!(got.unix, local - offset * 60);
            let zone = if offset == 0 && !sign { None } else { Some(offset as i16) };
            prop_assert_eq!(got.tz_minutes, zone);
        }

        #[test]
        fn parsers_never_panic(text in "\\PC{0,48}") {
            let _ = parse(&text);
            let _ = parse_iso(&text);
            let _ = parse_pdf(&text);
            let _ = parse_timestamp(&text);
        }

        #[test]
        fn date_like_noise_never_panics(text in "[0-9A-Za-z :+,()\\-'.TZ]{0,40}") {
            let _ = parse(&text);
            let _ = parse_iso(&text);
            let _ = parse_pdf(&text);
        }
    }
}
