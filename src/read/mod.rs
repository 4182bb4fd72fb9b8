//! Reading dumps: one scanning core (`split`), two drivers (a rolling buffer over any `Read`,
//! the default for files, and any byte slice or memory map), a walker for folder trees, and
//! readers for the formats leaks arrive in beside mailboxes: zip, tar and compressed files
//! (feature `archives`), Apple Mail `.emlx` files, Outlook PST and MSG files (feature
//! `outlook`).
//!
//! Whatever the path, the reader yields [`Entry`] items in source order: each [`Message`] with
//! its exact place in the source, and each [`Gap`] of bytes that belong to no message, so that
//! the entries of an mbox cover the file exactly. Inputs that cannot be read, and messages over
//! the size limit, come as `Err` items naming the path and offset; reading goes on after them.
//!
//! # What an input is
//!
//! The bytes decide, not the file name and not only the first line: a file is a mailbox when
//! its first line that is not empty is a separator, or when a strong separator (an mbox
//! `From ` line with a sender and a date, or an MMDF marker, followed by a header field)
//! occurs anywhere in it; the bytes before its first separator are then a [`Gap`] (a banner
//! or header-like line put on top, a dump cut at the front, blank lines). A file with no
//! separator is one message when its first line looks like a header field, else it is
//! reported as not mail. Lines end with LF, CRLF or a lone CR. Files that are not mail by
//! their first bytes (zip, PDF, PST, OLE2, gzip, PNG) are reported as skipped.
//!
//! # Files that change, and files that are not files
//!
//! Files are read by streaming by default: a file truncated while it is read gives an error
//! naming the offset where its bytes ran out, and a file whose size, modification time or
//! identity changed by the time its end is reached gives an error saying so, after the
//! entries read. A memory map ([`Reader::memory_map`]) is only for files that cannot change.
//! Only regular files are read by path; FIFOs, devices and sockets are refused with an error
//! naming their type, except `-` and the stream paths `/dev/stdin`, `/dev/fd/N` and
//! `/proc/self/fd/N` (what a shell's `<(command)` gives), which are read as streams.
//!
//! # Containers, stores and Apple Mail files
//!
//! An input's first bytes and its name decide how it is read, the same way for a file, a
//! folder's files, standard input, bytes in memory and the members of an archive:
//!
//! | input | read as | `source` of its messages |
//! |---|---|---|
//! | zip, tar, gzip, xz, bzip2, zstd (by magic bytes), nested | a stream: each member as the file it would be when unpacked (its own name decides: a maildir inside a tar, an mbox inside a gzip); offsets are offsets in the decompressed member; nothing is written to disk | `leak.zip!Export/Inbox/0001.eml`, `dump.mbox.gz!` |
//! | `.emlx`, `.partial.emlx` | the message exactly as stored inside the file; the property list's dates and flags as [`facts::EmlxFacts`]; a partial file's body is incomplete ([`facts::Provenance::Partial`]) | the file |
//! | PST (`!BDN`), `.msg` (compound file) | every message rebuilt from the store's properties ([`facts::Provenance::Reconstructed`]): its transport headers as the store kept them and a body made from the plain, HTML or RTF body; the MAPI properties as [`facts::OutlookFacts`] | `boss.pst!Top of Personal Folders/Inbox/00012`, `note.msg` |
//! | anything else | an mbox-family mailbox or one message file, as before | the file |
//!
//! A zip needs random access: given as a file (or bytes in memory) it is read through its
//! central directory; met inside a stream (standard input, a tar) it is buffered up to
//! [`ContainerLimits::max_buffer`] and otherwise skipped with the reason. The same holds for
//! PST and MSG files inside archives. OST files are recognised but not readable (the PST
//! reader does not support them): they are reported as such.

pub mod facts;
pub(crate) mod file;
pub mod format;
pub mod headers;
pub mod message;
pub(crate) mod multipart;

#[cfg(feature = "archives")]
mod container;
// Parts of these serve only the readers of the optional features.
#[cfg_attr(
    not(all(feature = "archives", feature = "outlook")),
    allow(dead_code, unused_imports)
)]
mod detect;
#[cfg_attr(not(feature = "outlook"), allow(dead_code))]
mod emlx;
#[cfg(test)]
mod reference;
#[cfg_attr(
    not(all(feature = "archives", feature = "outlook")),
    allow(dead_code, unused_imports)
)]
mod route;
mod slice;
pub(crate) mod split;
#[cfg(feature = "outlook")]
mod store;
mod stream;
mod tree;
#[cfg_attr(
    not(all(feature = "archives", feature = "outlook")),
    allow(dead_code, unused_imports)
)]
mod walk;

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::Arc;

use bytes::Bytes;

use crate::error::{Error, Result};
use crate::read::message::Message;
use crate::span::Span;
pub use split::GapReason;
use split::{MessageBounds, Record, RecordKind};
pub use walk::ContainerLimits;

/// Default largest message the reader accepts: 256 MiB.
pub const DEFAULT_MAX_MESSAGE_SIZE: u64 = 256 * 1024 * 1024;
/// Default size of one read on the streaming path: 1 MiB.
pub const DEFAULT_BUFFER_SIZE: usize = 1024 * 1024;

/// Bytes of a source that belong to no message.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Gap {
    /// The input file.
    pub source: Arc<Path>,
    /// The bytes concerned.
    pub span: Span,
    /// Why they belong to no message.
    pub reason: GapReason,
}

/// One item of a dump, in source order.
#[derive(Debug, Clone)]
pub enum Entry {
    /// A message.
    Message(Message),
    /// Bytes between messages that belong to none.
    Gap(Gap),
}

impl Entry {
    /// The message, if this entry is one.
    pub fn into_message(self) -> Option<Message> {
        match self {
            Entry::Message(m) => Some(m),
            Entry::Gap(_) => None,
        }
    }

    /// The bytes of the source this entry accounts for, separator lines and trailing blank
    /// lines included for messages.
    pub fn extent(&self) -> Span {
        match self {
            Entry::Gap(g) => g.span,
            Entry::Message(m) => m.extent(),
        }
    }
}

/// How dumps are read: limits and buffer sizes. Build one, then open inputs with it.
///
/// ```
/// use mailsleuth::{Reader, Entry};
/// let mbox = b"From a@example.org Mon Jan  1 00:00:00 2001\nSubject: hi\n\nbody\n\n";
/// let reader = Reader::new();
/// let messages: Vec<_> = reader
///     .read_bytes("inline.mbox", bytes::Bytes::from_static(mbox))
///     .filter_map(|e| e.ok()?.into_message())
///     .collect();
/// assert_eq!(messages.len(), 1);
/// assert_eq!(messages[0].offset(), 44);
/// assert_eq!(&messages[0].bytes()[..], b"Subject: hi\n\nbody\n");
/// ```
#[derive(Debug, Clone)]
pub struct Reader {
    max_message_size: u64,
    buffer_size: usize,
    memory_map: bool,
    limits: ContainerLimits,
    rebuild_partial: bool,
}

impl Default for Reader {
    fn default() -> Self {
        Reader {
            max_message_size: DEFAULT_MAX_MESSAGE_SIZE,
            buffer_size: DEFAULT_BUFFER_SIZE,
            memory_map: false,
            limits: ContainerLimits::default(),
            rebuild_partial: false,
        }
    }
}

/// Iterator over the entries of one or more inputs. See [`Reader`].
pub struct Entries {
    inner: Box<dyn Iterator<Item = Result<Entry>> + Send>,
    /// Whether the messages are slices of the input's own bytes (a mailbox read from memory
    /// or a memory map), rather than of buffers filled while reading (streams, members of
    /// containers, rebuilt messages).
    slices_input: bool,
    /// Whether each message's bytes are the bytes of the regular file its source names, at
    /// its offset (a mailbox or message file streamed from disk), so that they can be read
    /// again after the scan.
    file_backed: bool,
}

impl Entries {
    /// Entries whose messages live in buffers of their own.
    pub(crate) fn new(inner: impl Iterator<Item = Result<Entry>> + Send + 'static) -> Entries {
        Entries {
            inner: Box::new(inner),
            slices_input: false,
            file_backed: false,
        }
    }

    /// Whether the messages are slices of the input's own bytes (a mailbox or message file
    /// read from memory or a memory map).
    pub(crate) fn slices_input(&self) -> bool {
        self.slices_input
    }

    /// Whether the messages can be read again from their source file at their offsets (a
    /// plain mailbox or message file streamed from disk; not standard input, a container's
    /// member or a store's rebuilt message).
    pub(crate) fn file_backed(&self) -> bool {
        self.file_backed
    }
}

impl Iterator for Entries {
    type Item = Result<Entry>;
    fn next(&mut self) -> Option<Self::Item> {
        self.inner.next()
    }
}

impl std::fmt::Debug for Entries {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Entries")
    }
}

impl Reader {
    /// A reader with the default limits.
    pub fn new() -> Self {
        Reader::default()
    }

    /// Messages larger than `bytes` are reported as [`Error::MessageTooLarge`] and skipped.
    /// Values under 256 KiB are raised to 256 KiB.
    pub fn max_message_size(mut self, bytes: u64) -> Self {
        self.max_message_size = bytes.max(split::HEADER_SEARCH_LIMIT);
        self
    }

    /// Size of each read on the streaming path (at least 1).
    pub fn buffer_size(mut self, bytes: usize) -> Self {
        self.buffer_size = bytes.max(1);
        self
    }

    /// Whether [`Reader::open`] reads regular files through a memory map instead of the
    /// streaming path (the default).
    ///
    /// Only for files that cannot change while they are read: if another process truncates
    /// a mapped file, reading the missing pages raises `SIGBUS` and the whole process dies.
    /// The streaming path reports the same entries, and a truncated file as an error at the
    /// offset where its bytes ran out.
    pub fn memory_map(mut self, on: bool) -> Self {
        self.memory_map = on;
        self
    }

    /// Whether [`Reader::open`] reads files through a memory map.
    pub(crate) fn maps_files(&self) -> bool {
        self.memory_map
    }

    /// Budgets for containers and stores, against hostile input (see [`ContainerLimits`]).
    pub fn container_limits(mut self, limits: ContainerLimits) -> Self {
        self.limits = limits;
        self
    }

    /// Whether a `.partial.emlx` file read from a folder also gives the message rebuilt from
    /// its attachment folders (`../Attachments/<id>/<section>/`), after the stored one: named
    /// `<file>!rebuilt`, [`Message::is_reconstructed`], with what was put back in its facts.
    /// Off by default: a scan then counts each file once.
    pub fn rebuild_partial_emlx(mut self, on: bool) -> Self {
        self.rebuild_partial = on;
        self
    }

    /// Open an input by path: an mbox or message file (streamed, or memory-mapped when
    /// [`Reader::memory_map`] says so), a container, store or `.emlx` file, a folder tree
    /// (maildir or any folders of such files, walked in sorted order), `-` for standard input,
    /// or a stream path (`/dev/fd/N`, as `<(command)` gives; compressed streams are recognised
    /// by their magic bytes, a zip needs a file unless it fits [`ContainerLimits::max_buffer`]).
    /// Other files that are not regular files (FIFOs, devices, sockets) give one error naming
    /// their type. See the [module documentation](self) for what is read as what, and how a
    /// file that changes while it is read is reported.
    pub fn open(&self, path: impl AsRef<Path>) -> Entries {
        let path = path.as_ref();
        if path == Path::new("-") {
            return self.read_stream("-", std::io::stdin());
        }
        match std::fs::metadata(path) {
            Ok(meta) if meta.is_dir() => Entries::new(tree::TreeEntries::new(self.clone(), path)),
            Ok(_) => self.open_file(path, Format::Eml),
            Err(source) => one_error(Error::Io {
                path: path.to_path_buf(),
                offset: 0,
                source,
            }),
        }
    }

    /// Open a file through the streaming path (a rolling buffer over `read` calls) whatever
    /// [`Reader::memory_map`] says. Gives the same entries as [`Reader::open`]. A file that
    /// shrinks while it is read (a truncated download still being written, say) gives an
    /// [`Error::Io`] naming the offset where its bytes ran out, instead of the fault a memory
    /// map would raise; a file that changed otherwise gives an [`Error::Io`] saying how, when
    /// its end is reached.
    pub fn open_streaming(&self, path: impl AsRef<Path>) -> Entries {
        self.clone()
            .memory_map(false)
            .open_file(path.as_ref(), Format::Eml)
    }

    /// A mailbox read through the rolling buffer (no container or store detection).
    fn mailbox_stream<R: Read + Send + 'static>(
        &self,
        path: &Path,
        input: R,
        single_format: Format,
        watch: Option<file::FileWatch>,
    ) -> stream::StreamEntries<R> {
        let mut entries = stream::StreamEntries::new(self.clone(), Arc::from(path), input);
        entries.single_format(single_format);
        if let Some(w) = watch {
            entries.watch(w);
        }
        entries
    }

    /// Read a dump held in memory (or in a memory map wrapped with `Bytes::from_owner`);
    /// messages are zero-copy slices of `data`. `source` names it in reports.
    /// A container, store or `.emlx` file in memory is read as such (see the
    /// [module documentation](self)).
    pub fn read_bytes(&self, source: impl AsRef<Path>, data: Bytes) -> Entries {
        self.bytes_entries(Arc::from(source.as_ref()), data, Format::Eml, None)
    }

    /// Read a dump from any byte stream in bounded memory. `source` names it in reports.
    /// Compressed streams and tar archives are recognised by their magic bytes and read as
    /// such; a zip, a PST or an MSG file needs random access and is buffered up to
    /// [`ContainerLimits::max_buffer`] (else skipped with the reason: give it as a file).
    pub fn read_stream<R: Read + Send + 'static>(
        &self,
        source: impl AsRef<Path>,
        input: R,
    ) -> Entries {
        self.stream_entries(Arc::from(source.as_ref()), input, Format::Eml, None)
    }

    /// Read an mbox file starting at `offset`, the start of a record reported by an earlier
    /// read ([`Message::separator_offset`] or a gap's start): resumes an interrupted scan.
    /// Only the first bytes of the file are read again, to tell what it is.
    pub fn open_at(&self, path: impl AsRef<Path>, offset: u64) -> Entries {
        let path = path.as_ref();
        if offset == 0 {
            return self.open_file(path, Format::Eml);
        }
        let (mut file, watch) = match file::open_input(path) {
            Ok(file::Opened::Regular(f, w)) => (f, w),
            Ok(file::Opened::Stream(_)) => {
                return one_error(Error::Skipped {
                    path: path.to_path_buf(),
                    reason: format!("a stream cannot be read from byte {offset}"),
                });
            }
            Err(e) => return one_error(e),
        };
        if self.memory_map {
            return match map_file(path, &file, watch.len()) {
                Ok(data) => self.mapped_mailbox(path, data, watch, Format::Eml, offset),
                Err(e) => one_error(e),
            };
        }
        let probe = match stream::probe(&file, self, path) {
            Ok(p) => p,
            Err(e) => return one_error(e),
        };
        let (style, first) = match probe {
            stream::Probe::NotMail(reason) => return one_error(slice::not_mail(path, reason)),
            stream::Probe::Whole => return Entries::new(std::iter::empty()),
            stream::Probe::Mailbox(style, first) => (style, first),
        };
        let start = if offset >= first { offset } else { 0 };
        if let Err(source) = file.seek(SeekFrom::Start(start)) {
            return one_error(Error::Io {
                path: path.to_path_buf(),
                offset: start,
                source,
            });
        }
        let mut entries = self.mailbox_stream(path, file, Format::Eml, Some(watch));
        if start > 0 {
            entries.resume(style, start);
        } else {
            entries.skip_before(offset);
        }
        let mut entries = Entries::new(entries);
        entries.file_backed = true;
        entries
    }

    /// Open a file (not a folder) by path; `single_format` is the format of a single message.
    /// Its first bytes and name decide whether it is a mailbox, a container, a store or an
    /// `.emlx` file.
    fn open_file(&self, path: &Path, single_format: Format) -> Entries {
        match file::open_input(path) {
            Ok(file::Opened::Stream(f)) => {
                self.stream_entries(Arc::from(path), f, single_format, None)
            }
            Ok(file::Opened::Regular(f, watch)) if self.memory_map => {
                match map_file(path, &f, watch.len()) {
                    Ok(data) => {
                        self.bytes_entries(Arc::from(path), data, single_format, Some(watch))
                    }
                    Err(e) => one_error(e),
                }
            }
            Ok(file::Opened::Regular(f, watch)) => {
                self.file_entries(Arc::from(path), f, single_format, Some(watch))
            }
            Err(e) => one_error(e),
        }
    }

    /// Entries of a memory-mapped mailbox from the record at `offset`, watched for changes.
    fn mapped_mailbox(
        &self,
        path: &Path,
        data: Bytes,
        watch: file::FileWatch,
        single_format: Format,
        offset: u64,
    ) -> Entries {
        let mut entries =
            slice::SliceEntries::new(self.clone(), Arc::from(path), data, single_format, offset);
        entries.watch(watch);
        Entries {
            inner: Box::new(entries),
            slices_input: true,
            file_backed: false,
        }
    }
}

fn one_error(e: Error) -> Entries {
    Entries::new(std::iter::once(Err(e)))
}

/// Map an open file of `len` bytes into memory as `Bytes` (empty files are not mapped).
fn map_file(path: &Path, file: &File, len: u64) -> Result<Bytes> {
    if len == 0 {
        return Ok(Bytes::new());
    }
    // SAFETY: the map is read-only. Another process truncating the file while it is mapped
    // makes reads fault; `Reader::memory_map` documents this (only for files that cannot
    // change), and the default streaming path avoids it.
    #[allow(unsafe_code)]
    let map = unsafe { memmap2::Mmap::map(file) }.map_err(|source| Error::Io {
        path: path.to_path_buf(),
        offset: 0,
        source,
    })?;
    Ok(Bytes::from_owner(map))
}

/// What kind of input the first bytes announce.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Text that may be mail: the splitter decides (a mailbox, one message, or not mail).
    Mail,
    /// Not mail; the reason.
    NotMail(&'static str),
}

/// Bytes needed to tell the kind of an input.
pub(crate) const SNIFF_LEN: usize = 4096;

/// Why an input with no separator whose first line is not a header field is not read.
pub(crate) const NOT_MAIL: &str = "no mbox separator anywhere, and it does not start with a header field: not an RFC 5322 message or mailbox";

/// Tell the kind of an input from its first bytes (at most [`SNIFF_LEN`], or all of it).
pub(crate) fn sniff(head: &[u8]) -> Kind {
    const MAGIC: [(&[u8], &str); 6] = [
        (
            b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1",
            "an OLE2 compound file (Outlook .msg or Office document), not an RFC 5322 message",
        ),
        (b"PK\x03\x04", "a zip archive, not an RFC 5322 message"),
        (b"%PDF", "a PDF document, not an RFC 5322 message"),
        (b"!BDN", "an Outlook PST file, not an RFC 5322 message"),
        (b"\x1F\x8B", "a gzip file, not an RFC 5322 message"),
        (b"\x89PNG", "a PNG image, not an RFC 5322 message"),
    ];
    for (magic, reason) in MAGIC {
        if head.starts_with(magic) {
            return Kind::NotMail(reason);
        }
    }
    if head.is_empty() {
        return Kind::NotMail("an empty file");
    }
    Kind::Mail
}

use format::Format;

/// Turns the splitter's records into entries: the one place where relative positions in a
/// buffer become a `Message`.
pub(crate) struct Assembler {
    pub source: Arc<Path>,
    pub index: u64,
    pub limit: u64,
    /// The format of an input that is one message (eml or maildir).
    pub single: Format,
}

impl Assembler {
    /// Build the entry for `record`; `take` slices absolute spans out of the buffer that holds
    /// the record (only called for records within the size limit).
    pub fn entry(&mut self, record: Record, take: impl Fn(Span) -> Bytes) -> Result<Entry> {
        match record.kind {
            RecordKind::Gap(reason) => Ok(Entry::Gap(Gap {
                source: self.source.clone(),
                span: record.extent,
                reason,
            })),
            RecordKind::Message(b) => {
                if b.message.len() > self.limit {
                    return Err(self.too_large(record.extent));
                }
                Ok(Entry::Message(self.message(b, record.extent, take)))
            }
            RecordKind::Whole { message: true } => {
                if record.extent.len() > self.limit {
                    return Err(self.too_large(record.extent));
                }
                self.single(take(record.extent), self.single)
            }
            RecordKind::Whole { message: false } => Err(slice::not_mail(&self.source, NOT_MAIL)),
        }
    }

    pub fn too_large(&self, extent: Span) -> Error {
        Error::MessageTooLarge {
            path: self.source.to_path_buf(),
            offset: extent.start,
            length: extent.len(),
            limit: self.limit,
        }
    }

    fn message(&mut self, b: MessageBounds, extent: Span, take: impl Fn(Span) -> Bytes) -> Message {
        let index = self.index;
        self.index += 1;
        Message {
            index,
            source: self.source.clone(),
            format: b.format,
            offset: b.message.start,
            extent,
            data: take(b.message),
            separator: Some((b.separator.start, take(b.separator))),
            envelope_sender: b.envelope_sender,
            envelope_date: b.envelope_date,
            anomalies: b.anomalies,
            provenance: crate::read::facts::Provenance::Stored,
            store: None,
        }
    }

    /// A whole buffer as one message file.
    pub fn single(&mut self, data: Bytes, format: Format) -> Result<Entry> {
        if data.len() as u64 > self.limit {
            return Err(self.too_large(Span::new(0, data.len() as u64)));
        }
        let index = self.index;
        self.index += 1;
        Ok(Entry::Message(Message::whole(
            self.source.clone(),
            data,
            format,
            index,
        )))
    }
}
