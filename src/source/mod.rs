//! Reading dumps: one scanning core, two drivers (slice and stream), one folder walker.

pub mod format;
