//! Opening input files: what may be read, and whether a file changed while it was read.
//!
//! Only regular files are read by path. A FIFO, a device or a socket named by path is refused
//! with an error naming its type (opening a FIFO with no writer would wait forever, and a
//! device such as `/dev/zero` never ends), except the paths through which a shell hands over
//! a stream: `/dev/stdin`, `/dev/fd/N` and `/proc/self/fd/N` (what `<(command)` expands to),
//! which are read as streams. The file is opened without waiting (`O_NONBLOCK`) and its type
//! is checked on the open descriptor, so a path swapped for a FIFO after a check cannot hang.
//!
//! A regular file is watched: its size, modification time, device and inode are recorded at
//! open and compared when its end is reached ([`FileWatch::check`]), so that a report says
//! when the input changed while it was read.

use std::fs::{File, Metadata};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::error::{Error, Result};

/// An input file, opened.
pub(crate) enum Opened {
    /// A regular file, with what it was when opened.
    Regular(File, FileWatch),
    /// A pipe or terminal handed over as `/dev/stdin`, `/dev/fd/N` or `/proc/self/fd/N`.
    Stream(File),
}

/// Whether `path` is one of the names through which a shell hands over an open stream.
pub(crate) fn is_stream_path(path: &Path) -> bool {
    let Some(s) = path.to_str() else {
        return false;
    };
    let fd = |prefix: &str| {
        s.strip_prefix(prefix)
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
    };
    s == "/dev/stdin" || fd("/dev/fd/") || fd("/proc/self/fd/") || fd("/proc/thread-self/fd/")
}

/// What kind of file `meta` describes, for messages ("a FIFO (named pipe)").
pub(crate) fn type_name(meta: &Metadata) -> &'static str {
    let t = meta.file_type();
    if t.is_file() {
        return "a regular file";
    }
    if t.is_dir() {
        return "a folder";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if t.is_char_device() {
            return "a character device";
        }
        if t.is_block_device() {
            return "a block device";
        }
        if t.is_socket() {
            return "a socket";
        }
    }
    "not a regular file"
}

/// The error for a file that is not read because of its type.
pub(crate) fn refused(path: &Path, meta: &Metadata) -> Error {
    Error::Skipped {
        path: path.to_path_buf(),
        reason: format!(
            "{}, not a regular file: only regular files are read by path (give a stream as - on standard input)",
            type_name(meta)
        ),
    }
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> Error + '_ {
    move |source| Error::Io {
        path: path.to_path_buf(),
        offset: 0,
        source,
    }
}

/// Open `path` for reading, without waiting on a FIFO.
fn open_without_waiting(path: &Path) -> std::io::Result<File> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    options.open(path)
}

/// Open an input file by path: a regular file, or a stream path (see the module
/// documentation); anything else is an error naming the path and the file's type.
pub(crate) fn open_input(path: &Path) -> Result<Opened> {
    if is_stream_path(path) {
        // A stream handed over by the shell: opened as it is (it has a writer).
        let file = File::open(path).map_err(io(path))?;
        let meta = file.metadata().map_err(io(path))?;
        if meta.is_file() {
            let watch = FileWatch::new(path, &file, &meta);
            return Ok(Opened::Regular(file, watch));
        }
        if meta.is_dir() {
            return Err(refused(path, &meta));
        }
        return Ok(Opened::Stream(file));
    }
    let file = open_without_waiting(path).map_err(io(path))?;
    let meta = file.metadata().map_err(io(path))?;
    if !meta.is_file() {
        return Err(refused(path, &meta));
    }
    // O_NONBLOCK means nothing for reads of a regular file.
    let watch = FileWatch::new(path, &file, &meta);
    Ok(Opened::Regular(file, watch))
}

/// What a regular file was when it was opened.
#[derive(Debug)]
pub(crate) struct FileWatch {
    path: PathBuf,
    /// The same open file, to look at it again at the end (`None` if it could not be
    /// duplicated: then only the path is looked at).
    file: Option<File>,
    len: u64,
    modified: Option<SystemTime>,
    /// Device and inode.
    id: Option<(u64, u64)>,
}

#[cfg(unix)]
fn file_id(meta: &Metadata) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    Some((meta.dev(), meta.ino()))
}

#[cfg(not(unix))]
fn file_id(_meta: &Metadata) -> Option<(u64, u64)> {
    None
}

impl FileWatch {
    /// Record what the open `file` at `path` is now (`meta` is its metadata).
    pub(crate) fn new(path: &Path, file: &File, meta: &Metadata) -> Self {
        FileWatch {
            path: path.to_path_buf(),
            file: file.try_clone().ok(),
            len: meta.len(),
            modified: meta.modified().ok(),
            id: file_id(meta),
        }
    }

    /// The file's length when it was opened.
    pub(crate) fn len(&self) -> u64 {
        self.len
    }

    /// Called when reading reached the end of the file after `got` bytes (absolute): an
    /// error saying how the file changed since it was opened, if it did. A file that shrank
    /// is named at the offset where its bytes ran out.
    pub(crate) fn check(&self, got: u64) -> Option<Error> {
        if got < self.len {
            return Some(Error::Io {
                path: self.path.clone(),
                offset: got,
                source: std::io::Error::new(
                    std::io::ErrorKind::UnexpectedEof,
                    format!(
                        "the file shrank while it was read: {} bytes when opened, {got} now",
                        self.len
                    ),
                ),
            });
        }
        let mut changes = Vec::new();
        if let Some(now) = self.file.as_ref().and_then(|f| f.metadata().ok()) {
            if now.len() != self.len {
                changes.push(format!(
                    "its size went from {} to {} bytes",
                    self.len,
                    now.len()
                ));
            }
            if now.modified().ok() != self.modified {
                changes.push("its modification time changed".to_string());
            }
        }
        if got > self.len && changes.is_empty() {
            changes.push(format!("{got} bytes were read, {} when opened", self.len));
        }
        match std::fs::metadata(&self.path) {
            Ok(meta) if self.id.is_some() && file_id(&meta) != self.id => {
                changes.push("the path now names another file".to_string())
            }
            Ok(_) => {}
            Err(_) => changes.push("the path no longer names a file".to_string()),
        }
        if changes.is_empty() {
            return None;
        }
        Some(Error::Io {
            path: self.path.clone(),
            offset: got,
            source: std::io::Error::other(format!(
                "the file changed while it was read ({}): the entries may not match the file as it is now",
                changes.join(", ")
            )),
        })
    }
}
