//! mailsleuth: forensic verification of leaked email dumps.
#![deny(missing_docs)]
#![deny(unsafe_code)]

pub mod error;
pub mod headers;
pub mod message;
pub mod report;
pub mod source;
pub mod span;

pub use error::{Error, Result};
pub use headers::{Field, HeaderBuf, Headers};
pub use message::{Anomaly, AnomalyCode, Message};
pub use source::format::{Format, Quoting, unquote};
pub use source::{Entries, Entry, Gap, GapReason, Reader};
pub use span::Span;
