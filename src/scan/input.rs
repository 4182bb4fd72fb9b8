//! What a scan reads: [`Input`]s, [`Shard`]s of big mailboxes, and its [`Progress`].

use std::io::Read;
use std::path::{Path, PathBuf};

use bytes::Bytes;

use crate::span::Span;

/// How far a scan has got, for progress displays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Progress {
    /// Bytes of the inputs accounted for so far.
    pub bytes_done: u64,
    /// Total bytes of the inputs, when known (files), else `None` (streams).
    pub bytes_total: Option<u64>,
    /// Messages reported so far.
    pub messages: u64,
}

/// One input of a scan.
#[non_exhaustive]
pub enum Input {
    /// A file or folder tree, by path (`-` for standard input).
    Path(PathBuf),
    /// Part of an mbox file: the records that start in `range` (a [`Shard`] or a resume
    /// point). `first_index` is the scan index of the first message in it.
    Range {
        /// The mbox file.
        path: PathBuf,
        /// Byte range; both ends must be record boundaries (or the file's end).
        range: Span,
        /// Index given to the first message of the range.
        first_index: u64,
    },
    /// Bytes in memory, named `name` in reports.
    Bytes {
        /// Name used as the source.
        name: PathBuf,
        /// The dump.
        data: Bytes,
    },
    /// Any byte stream, read in bounded memory.
    Stream {
        /// Name used as the source.
        name: PathBuf,
        /// The stream.
        reader: Box<dyn Read + Send>,
    },
}

impl std::fmt::Debug for Input {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Input::Path(p) => f.debug_tuple("Path").field(p).finish(),
            Input::Range {
                path,
                range,
                first_index,
            } => f
                .debug_struct("Range")
                .field("path", path)
                .field("range", range)
                .field("first_index", first_index)
                .finish(),
            Input::Bytes { name, data } => f
                .debug_struct("Bytes")
                .field("name", name)
                .field("len", &data.len())
                .finish(),
            Input::Stream { name, .. } => f.debug_struct("Stream").field("name", name).finish(),
        }
    }
}

impl<P: AsRef<Path>> From<P> for Input {
    fn from(p: P) -> Self {
        Input::Path(p.as_ref().to_path_buf())
    }
}

/// A part of an mbox file that can be scanned on its own: see [`Scanner::shards`](crate::Scanner::shards).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shard {
    /// The file.
    pub path: PathBuf,
    /// The bytes of the shard: from a record boundary to the next shard's start.
    pub range: Span,
    /// Scan index of the shard's first message.
    pub first_index: u64,
}

impl From<Shard> for Input {
    fn from(s: Shard) -> Self {
        Input::Range {
            path: s.path,
            range: s.range,
            first_index: s.first_index,
        }
    }
}
