//! The crate's error type: I/O, limits and setup. Malformed mail is never an error: it is an
//! anomaly or a finding on the message, and reading goes on.

use std::path::PathBuf;

/// Everything that can stop the crate from reading an input or setting itself up.
///
/// Each variant names the input and, where it applies, the byte offset and the limit, so the
/// message can be shown to a user as it is.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An input could not be opened or read.
    #[error("{path}: read failed at byte {offset}: {source}")]
    Io {
        /// The input concerned (`-` for standard input).
        path: PathBuf,
        /// Absolute offset at which reading failed (0 when opening failed).
        offset: u64,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A message is larger than the configured limit. Its bytes were skipped; reading goes on
    /// with the next message.
    #[error(
        "{path}: message at byte {offset} is {length} bytes, over the limit of {limit}; skipped"
    )]
    MessageTooLarge {
        /// The input concerned.
        path: PathBuf,
        /// Absolute offset of the message's record (its separator line, if any).
        offset: u64,
        /// Number of bytes skipped, up to the next message.
        length: u64,
        /// The configured limit.
        limit: u64,
    },
    /// A file in a folder tree was not read as mail (not an RFC 5322 message, a symlink loop,
    /// and so on).
    #[error("{path}: skipped: {reason}")]
    Skipped {
        /// The file concerned.
        path: PathBuf,
        /// Why it was skipped.
        reason: String,
    },
    /// A container (zip, tar, compressed file), an Outlook store or an Apple Mail file could
    /// not be read in full: corrupt data, a budget against hostile input reached (a
    /// decompression bomb, too many entries, nesting too deep), an unsafe or duplicate member
    /// name, a declared size the data contradicts. What was read before it stands; reading
    /// goes on wherever it can. `path` names the member (`leak.zip!Export/1.eml`) and
    /// `offset` the byte of the decompressed member concerned, when there is one.
    #[error("{path}: {reason}{}", at_byte(.offset))]
    Container {
        /// The container, member or store object concerned (`outer!inner`).
        path: PathBuf,
        /// Offset in the (decompressed) member, when the problem has one.
        offset: Option<u64>,
        /// What is wrong, with the limit and the values concerned.
        reason: String,
    },
    /// The analysis of a message failed (a defect of the crate that this message triggers).
    /// The message is reported as this error; the scan goes on with the next one.
    #[error("{path}: message {index} at byte {offset} could not be analysed: {reason}")]
    Analysis {
        /// The input concerned.
        path: PathBuf,
        /// Absolute offset of the message's first byte.
        offset: u64,
        /// The message's index in the scan.
        index: u64,
        /// What went wrong.
        reason: String,
    },
    /// A key archive line could not be read.
    #[error("{path}:{line}: {reason}")]
    KeyFile {
        /// The key archive file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// What was wrong.
        reason: String,
    },
    /// An output file could not be written.
    #[error("{path}: write failed: {source}")]
    Write {
        /// The file concerned.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// An option or argument was invalid.
    #[error("invalid setting: {0}")]
    Config(String),
}

/// ` at byte N` when there is an offset.
fn at_byte(offset: &Option<u64>) -> String {
    offset
        .map(|o| format!(" (at byte {o})"))
        .unwrap_or_default()
}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
