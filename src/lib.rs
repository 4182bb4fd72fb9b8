//! mailsleuth: forensic verification of leaked email dumps.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod error;
pub mod headers;
pub mod source;
pub mod span;

pub use error::{Error, Result};
pub use headers::{Field, HeaderBuf, Headers};
pub use source::format::{unquote, Format, Quoting};
pub use span::Span;
