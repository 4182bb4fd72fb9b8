//! What the walkers of containers, Outlook stores and Apple Mail files share: the problems
//! they report ([`WalkError`], with the budget concerned as a [`LimitKind`]) and whether a
//! walk goes on after an event ([`Flow`]). Each problem names the input (`outer!inner` path)
//! and, where it applies, the byte offset (in the decompressed member) and the limit; at the
//! crate's boundary it becomes an [`Error`](crate::Error) ([`WalkError::into_error`]).

use std::fmt;
use std::io;

/// A budget that was exhausted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum LimitKind {
    /// Decompressed bytes of one member (or of one decompression layer).
    MemberBytes,
    /// Decompressed bytes of all leaf members together.
    TotalBytes,
    /// Decompressed bytes per compressed byte (a decompression bomb).
    Ratio,
    /// Entries of one archive.
    Entries,
    /// Folders of a store.
    Folders,
    /// Messages of a store.
    Messages,
    /// Attachments of a message.
    Attachments,
    /// Depth of messages embedded in messages.
    Recursion,
    /// Bytes of one property or attachment.
    PropertyBytes,
}

impl LimitKind {
    /// A short name for messages.
    pub fn as_str(self) -> &'static str {
        match self {
            LimitKind::MemberBytes => "member size",
            LimitKind::TotalBytes => "total decompressed size",
            LimitKind::Ratio => "compression ratio",
            LimitKind::Entries => "entries per archive",
            LimitKind::Folders => "folders per store",
            LimitKind::Messages => "messages per store",
            LimitKind::Attachments => "attachments per message",
            LimitKind::Recursion => "embedded message depth",
            LimitKind::PropertyBytes => "property size",
        }
    }
}

impl fmt::Display for LimitKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Budgets for reading containers (zip, tar, gzip, xz, bzip2, zstd) and Outlook stores,
/// against hostile input: decompression bombs, archives that lie about sizes or list millions
/// of entries, nesting without end, stores with endless folders. Each budget that is reached
/// is reported as an [`Error::Container`](crate::Error::Container) naming the member, the
/// offset and the values; what was read before stands. The defaults suit real dumps (tens of
/// GB of mail) on a small machine. Set with [`Reader::container_limits`](crate::Reader::container_limits).
///
/// ```
/// let mut limits = mailsleuth::read::ContainerLimits::default();
/// limits.max_ratio = 50;
/// let reader = mailsleuth::Reader::new().container_limits(limits);
/// # let _ = reader;
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ContainerLimits {
    /// Decompressed bytes of one member, and of one decompression layer (default 64 GiB).
    pub max_member_bytes: u64,
    /// Decompressed bytes of all leaf members of one input (default 4 TiB).
    pub max_total_bytes: u64,
    /// Largest ratio of decompressed to compressed bytes, per layer, per zip entry and for the
    /// whole input (default 200; deflate reaches about 1030 on zeros, real mail 3 to 20).
    pub max_ratio: u64,
    /// Output below which the ratio is not judged, so that small, very repetitive members
    /// pass (default 16 MiB).
    pub ratio_grace_bytes: u64,
    /// Entries of one archive, directories included (default 1,000,000; the zip reader holds
    /// its central directory in memory, a few hundred bytes per entry).
    pub max_entries: u64,
    /// Levels of containers and compression (default 8; `x.tar.gz` uses two).
    pub max_depth: u32,
    /// Bytes of a member name (default 4096).
    pub max_path_len: usize,
    /// Bytes held in memory for an input that needs random access but comes as a stream: a
    /// zip inside a tar or on standard input, a PST or MSG file inside an archive (default
    /// 256 MiB). Larger ones are skipped with the reason: give them as files.
    pub max_buffer: u64,
    /// Read every member to its end, so that declared sizes and checksums are checked even
    /// when the member's reader stopped early (default true).
    pub verify_sizes: bool,
    /// Folders of one store visited (default 100,000).
    pub max_folders: u64,
    /// Folder nesting followed in a store (default 64).
    pub max_folder_depth: u32,
    /// Messages read from one store (default 10,000,000).
    pub max_messages: u64,
    /// Attachments read per store message (default 1,000).
    pub max_attachments: u32,
    /// Levels of messages embedded in messages followed (default 8).
    pub max_recursion: u32,
    /// Bytes of one store property (a body, an attachment) kept (default 256 MiB); larger
    /// ones are listed without their data.
    pub max_property_bytes: u64,
}

impl Default for ContainerLimits {
    fn default() -> Self {
        ContainerLimits {
            max_member_bytes: 64 << 30,
            max_total_bytes: 4 << 40,
            max_ratio: 200,
            ratio_grace_bytes: 16 << 20,
            max_entries: 1_000_000,
            max_depth: 8,
            max_path_len: 4096,
            max_buffer: 256 << 20,
            verify_sizes: true,
            max_folders: 100_000,
            max_folder_depth: 64,
            max_messages: 10_000_000,
            max_attachments: 1_000,
            max_recursion: 8,
            max_property_bytes: 256 << 20,
        }
    }
}

/// Whether a walk goes on after an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flow {
    /// Go on.
    Continue,
    /// Stop the walk now.
    Stop,
}

/// Everything that can go wrong while reading containers, Apple Mail files and Outlook stores.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub(crate) enum WalkError {
    /// Reading failed (the input, or a decompressor reporting corrupt data).
    #[error("{path}: read failed at byte {offset}: {source}")]
    Io {
        /// The input or member (`outer!inner`).
        path: String,
        /// Offset in the (decompressed) member where reading failed.
        offset: u64,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
    /// A budget was exhausted; what was read before stands, the rest is not read.
    #[error("{path}: {limit} limit reached at byte {offset} ({value} > {max})")]
    Limit {
        /// The input or member.
        path: String,
        /// Offset in the (decompressed) member where the limit was reached.
        offset: u64,
        /// Which budget.
        limit: LimitKind,
        /// The value that went over.
        value: u64,
        /// The configured maximum.
        max: u64,
    },
    /// The input is not what its format says (bad header, truncated structure, overlapping
    /// archive entries, ...).
    #[error("{path}: corrupt at byte {offset}: {reason}")]
    Corrupt {
        /// The input or member.
        path: String,
        /// Offset of the problem (0 when unknown).
        offset: u64,
        /// What is wrong.
        reason: String,
    },
    /// A member's declared size differs from the bytes it gave.
    #[error("{path}: declared {declared} bytes, gave {actual}")]
    SizeMismatch {
        /// The member.
        path: String,
        /// Size the container declared.
        declared: u64,
        /// Bytes actually read.
        actual: u64,
    },
    /// A member name was unsafe (`../`, absolute, drive letter, control characters) and was
    /// read under a sanitized name.
    #[error("{path}: unsafe member name {original:?} read as the sanitized name")]
    UnsafeName {
        /// The sanitized path the member is reported under.
        path: String,
        /// The name as stored (lossy UTF-8).
        original: String,
    },
    /// Two members of one archive have the same name.
    #[error("{path}: a second member with this name")]
    DuplicateName {
        /// The member path.
        path: String,
    },
    /// A format feature this reader does not support.
    #[error("{path}: unsupported: {reason}")]
    Unsupported {
        /// The input or member.
        path: String,
        /// What is unsupported.
        reason: String,
    },
    /// An Outlook store or compound file could not be read.
    #[error("{path}: store: {reason}")]
    Store {
        /// The store and the folder/message path inside it.
        path: String,
        /// What went wrong.
        reason: String,
    },
}

impl WalkError {
    /// The input or member concerned.
    pub fn path(&self) -> &str {
        match self {
            WalkError::Io { path, .. }
            | WalkError::Limit { path, .. }
            | WalkError::Corrupt { path, .. }
            | WalkError::SizeMismatch { path, .. }
            | WalkError::UnsafeName { path, .. }
            | WalkError::DuplicateName { path }
            | WalkError::Unsupported { path, .. }
            | WalkError::Store { path, .. } => path,
        }
    }

    /// The byte offset concerned, where there is one.
    pub fn offset(&self) -> Option<u64> {
        match self {
            WalkError::Io { offset, .. }
            | WalkError::Limit { offset, .. }
            | WalkError::Corrupt { offset, .. } => Some(*offset),
            _ => None,
        }
    }
}

impl WalkError {
    /// What is wrong, without the path.
    fn reason(&self) -> String {
        match self {
            WalkError::Io { offset, source, .. } => {
                format!("read failed at byte {offset}: {source}")
            }
            WalkError::Limit {
                limit, value, max, ..
            } => format!("{limit} limit reached ({value} > {max}); the rest is not read"),
            WalkError::Corrupt { reason, .. } => format!("corrupt: {reason}"),
            WalkError::SizeMismatch {
                declared, actual, ..
            } => format!("the container declares {declared} bytes, the member gave {actual}"),
            WalkError::UnsafeName { original, .. } => {
                format!(
                    "unsafe member name {original:?} (path traversal, absolute or control characters): read under the sanitized name"
                )
            }
            WalkError::DuplicateName { .. } => {
                "a second member with this name in the same archive (both are read)".to_string()
            }
            WalkError::Unsupported { reason, .. } => format!("unsupported: {reason}"),
            WalkError::Store { reason, .. } => format!("store: {reason}"),
        }
    }

    /// The crate's error for this problem: [`Error::Io`](crate::Error::Io) for a failed read
    /// of the input itself, [`Error::Container`](crate::Error::Container) for the rest.
    pub(crate) fn into_error(self) -> crate::Error {
        let offset = match &self {
            WalkError::Io { .. } | WalkError::Limit { .. } | WalkError::Corrupt { .. } => {
                self.offset()
            }
            _ => None,
        };
        let reason = self.reason();
        match self {
            WalkError::Io {
                path,
                offset,
                source,
            } => crate::Error::Io {
                path: path.into(),
                offset,
                source,
            },
            other => crate::Error::Container {
                path: other.path().into(),
                offset: offset.filter(|_| !matches!(other, WalkError::Corrupt { offset: 0, .. })),
                reason,
            },
        }
    }
}

/// The result type of the walkers.
pub(crate) type Result<T, E = WalkError> = std::result::Result<T, E>;
