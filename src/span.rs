//! Absolute byte ranges in a source: the unit of evidence.

use std::fmt;
use std::ops::Range;

/// A half-open byte range `[start, end)` in a source file, in absolute offsets.
///
/// Every piece of evidence the crate reports (a message, a header, a finding) points at bytes of
/// the original input through a `Span`, so a reader of a report can check it with any hex viewer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(into = "[u64; 2]", from = "[u64; 2]"))]
pub struct Span {
    /// First byte of the range.
    pub start: u64,
    /// One past the last byte of the range.
    pub end: u64,
}

impl Span {
    /// A span from `start` to `end`. If `end < start` the span is empty at `start`.
    pub fn new(start: u64, end: u64) -> Self {
        Span {
            start,
            end: end.max(start),
        }
    }

    /// A span of a range relative to a buffer that starts at absolute offset `offset`.
    /// Offsets past `u64::MAX` saturate (no real source reaches them).
    pub fn from_relative(offset: u64, range: Range<usize>) -> Self {
        Span::new(
            offset.saturating_add(range.start as u64),
            offset.saturating_add(range.end as u64),
        )
    }

    /// Number of bytes covered.
    pub fn len(&self) -> u64 {
        self.end - self.start
    }

    /// Whether the span covers no byte.
    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }

    /// Whether `other` lies entirely inside this span.
    pub fn contains(&self, other: Span) -> bool {
        self.start <= other.start && other.end <= self.end
    }

    /// This span as a range relative to a buffer that starts at absolute offset `offset`, or
    /// `None` if it starts before `offset` or does not fit in `usize`.
    pub fn relative_to(&self, offset: u64) -> Option<Range<usize>> {
        let start = usize::try_from(self.start.checked_sub(offset)?).ok()?;
        let end = usize::try_from(self.end.checked_sub(offset)?).ok()?;
        Some(start..end)
    }
}

impl fmt::Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{}, {})", self.start, self.end)
    }
}

impl From<Span> for [u64; 2] {
    fn from(s: Span) -> Self {
        [s.start, s.end]
    }
}

impl From<[u64; 2]> for Span {
    fn from(a: [u64; 2]) -> Self {
        Span::new(a[0], a[1])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_round_trip() {
        let s = Span::from_relative(100, 3..9);
        assert_eq!(s, Span::new(103, 109));
        assert_eq!(s.len(), 6);
        assert_eq!(s.relative_to(100), Some(3..9));
        assert_eq!(s.relative_to(104), None);
        assert!(Span::new(100, 120).contains(s));
        assert!(!s.contains(Span::new(100, 120)));
    }

    #[test]
    fn reversed_bounds_give_empty_span() {
        let s = Span::new(10, 5);
        assert!(s.is_empty());
        assert_eq!(s.start, 10);
    }
}
