//! Folder trees: maildirs and arbitrary folders of message files, walked in a stable sorted
//! order (byte order of file names, depth first). Each file is read like a single input: an
//! mbox file inside a tree is split, a message file is one message, an archive, compressed
//! file, Outlook store or `.emlx` file is read as such, anything else is reported as skipped
//! with the reason. Symbolic links to folders are followed once; a loop is reported. An Apple
//! Mail `Attachments` folder (beside a `Messages` folder) holds the attachments of
//! `.partial.emlx` files, not messages: it is reported as skipped once, not file by file.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use super::format::Format;
use super::{Entries, Reader};
use crate::error::{Error, Result};
use crate::read::Entry;

/// Entries of every file under a folder.
pub(crate) struct TreeEntries {
    reader: Reader,
    /// Paths still to visit, the next one last.
    pending: Vec<PathBuf>,
    /// Folders entered so far (canonical paths), to detect loops.
    seen: HashSet<PathBuf>,
    current: Option<Entries>,
    /// Message index across the whole tree.
    index: u64,
}

impl TreeEntries {
    pub fn new(reader: Reader, root: &Path) -> Self {
        TreeEntries {
            reader,
            pending: vec![root.to_path_buf()],
            seen: HashSet::new(),
            current: None,
            index: 0,
        }
    }

    /// Visit one pending path: push a folder's children, or open a file.
    fn visit(&mut self, path: PathBuf) -> Option<Result<Entry>> {
        let io = |source| Error::Io {
            path: path.clone(),
            offset: 0,
            source,
        };
        let meta = match std::fs::metadata(&path) {
            Ok(m) => m,
            Err(e) => return Some(Err(io(e))),
        };
        if meta.is_dir() {
            let canonical = match std::fs::canonicalize(&path) {
                Ok(c) => c,
                Err(e) => return Some(Err(io(e))),
            };
            if !self.seen.insert(canonical) {
                return Some(Err(Error::Skipped {
                    path,
                    reason: "a folder already visited (symbolic link loop)".into(),
                }));
            }
            if is_apple_mail_attachments(&path) {
                return Some(Err(Error::Skipped {
                    path,
                    reason: "Apple Mail's attachment folder: the attachments of the .partial.emlx files in the Messages folder beside it (read with them when partial messages are rebuilt)".into(),
                }));
            }
            let mut children = Vec::new();
            match std::fs::read_dir(&path) {
                Ok(read) => {
                    for entry in read {
                        match entry {
                            Ok(e) => children.push(e.path()),
                            Err(e) => return Some(Err(io(e))),
                        }
                    }
                }
                Err(e) => return Some(Err(io(e))),
            }
            children.sort_by(|a, b| {
                a.as_os_str()
                    .as_encoded_bytes()
                    .cmp(b.as_os_str().as_encoded_bytes())
            });
            self.pending.extend(children.into_iter().rev());
            return None;
        }
        if !meta.is_file() {
            // FIFOs, devices and sockets: skipped with their type (never opened).
            return Some(Err(super::file::refused(&path, &meta)));
        }
        let format = if in_maildir(&path) {
            Format::Maildir
        } else {
            Format::Eml
        };
        self.current = Some(self.reader.open_file(&path, format));
        None
    }
}

/// Whether `path` is the `Attachments` folder of an Apple Mail mailbox: beside a `Messages`
/// folder, holding one folder per message id.
fn is_apple_mail_attachments(path: &Path) -> bool {
    path.file_name().is_some_and(|n| n == "Attachments")
        && path.parent().is_some_and(|p| p.join("Messages").is_dir())
}

/// Whether `path` is a file in the `cur`, `new` or `tmp` folder of a maildir.
fn in_maildir(path: &Path) -> bool {
    let Some(parent) = path.parent() else {
        return false;
    };
    let is_sub = parent
        .file_name()
        .is_some_and(|n| n == "cur" || n == "new" || n == "tmp");
    is_sub
        && parent
            .parent()
            .is_some_and(|m| m.join("cur").is_dir() && m.join("new").is_dir())
}

impl Iterator for TreeEntries {
    type Item = Result<Entry>;

    fn next(&mut self) -> Option<Result<Entry>> {
        loop {
            if let Some(current) = &mut self.current {
                match current.next() {
                    Some(Ok(Entry::Message(mut m))) => {
                        m.index = self.index;
                        self.index += 1;
                        return Some(Ok(Entry::Message(m)));
                    }
                    Some(other) => return Some(other),
                    None => self.current = None,
                }
            }
            let path = self.pending.pop()?;
            if let Some(item) = self.visit(path) {
                return Some(item);
            }
        }
    }
}
