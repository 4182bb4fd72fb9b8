//! [`Timestamp`]: a point in time as the crate reports it.

use std::fmt;

/// A point in time, in whole seconds since the Unix epoch (UTC). Reports write it as RFC 3339
/// (`2017-05-04T08:15:00Z`); years outside 0..=9999 are clamped to that range when written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(i64);

impl Timestamp {
    /// The time `secs` seconds after 1970-01-01T00:00:00Z (negative: before).
    pub const fn from_unix(secs: i64) -> Self {
        Timestamp(secs)
    }

    /// Seconds since the Unix epoch.
    pub const fn unix(self) -> i64 {
        self.0
    }

    /// The current time of this machine.
    pub fn now() -> Self {
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
        Timestamp(secs)
    }

    /// Read an RFC 3339 / ISO 8601 time (`2017-05-04T08:15:00Z`, `2017-05-04`), an
    /// RFC 5322 date (`Thu, 4 May 2017 10:15:00 +0200`) or Unix seconds. Times outside the
    /// years 1 to 9999 (which no date format writes) are `None`.
    pub fn parse(text: &str) -> Option<Self> {
        crate::fields::date::parse_any(text)
            .filter(|t| (Self::MIN_UNIX..=Self::MAX_UNIX).contains(t))
            .map(Timestamp)
    }

    /// 0001-01-01T00:00:00Z, the earliest time [`Timestamp::parse`] accepts.
    pub const MIN_UNIX: i64 = -62_135_596_800;

    /// 9999-12-31T23:59:59Z, the latest time [`Timestamp::parse`] accepts.
    pub const MAX_UNIX: i64 = 253_402_300_799;
}

impl From<i64> for Timestamp {
    fn from(secs: i64) -> Self {
        Timestamp(secs)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&crate::fields::date::rfc3339(self.0))
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(feature = "serde")]
impl<'de> serde::Deserialize<'de> for Timestamp {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Timestamp::parse(&text)
            .ok_or_else(|| serde::de::Error::custom(format!("not a time: {text:?}")))
    }
}
