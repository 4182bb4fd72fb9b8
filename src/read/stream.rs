//! The streaming driver: a rolling buffer over any `Read`, in bounded memory.
//!
//! Bytes are read into a window (a buffer taken from a small pool of this input's windows);
//! once a complete record is found the window is frozen into [`Bytes`], so messages are
//! zero-copy slices of the window they were read into, and the next read goes into a fresh
//! window that starts with the unfinished record's bytes. A window comes back to the pool
//! when the last message sliced from it is dropped, so the same memory is read into again
//! instead of fresh memory being zeroed and faulted in (the pool keeps a few windows; a
//! window grown for one large message is freed). Absolute offsets are kept across refills.
//! Bytes the splitter says no message will be made of are not kept: a
//! message over the size limit, once the splitter says it is certainly too large, and the
//! bytes before the first separator when they cannot be one message; bytes before
//! [`Splitter::keep_from`] are then dropped as they are read.
//!
//! Reading a regular file this way is the default: a file truncated while it is read gives an
//! error at the offset where its bytes ran out, never a fault, and a file that changed in any
//! other way is reported when its end is reached ([`FileWatch`]).

use std::io::{ErrorKind, Read};
use std::path::Path;
use std::sync::Arc;

use std::sync::Mutex;

use bytes::Bytes;

use super::file::FileWatch;
use super::format::Format;
use super::slice::not_mail;
use super::split::{RecordKind, Splitter, Step, Style};
use super::{Assembler, Entry, Kind, NOT_MAIL, Reader, SNIFF_LEN, sniff};
use crate::error::{Error, Result};

enum State {
    /// Reading the first bytes to tell what the input is.
    Sniffing,
    Mailbox(Box<Splitter>),
    Done,
}

/// Entries of one streamed input.
pub(crate) struct StreamEntries<R> {
    input: R,
    /// `window[start..filled]` holds the input not yet given out, from `base` on.
    window: Window,
    start: usize,
    filled: usize,
    /// Windows given back by dropped messages, for the next reads.
    pool: Arc<WindowPool>,
    /// Absolute offset of `window[start]`.
    base: u64,
    eof: bool,
    chunk: usize,
    skipping: bool,
    /// The file read, if it is one, checked when its end is reached.
    watch: Option<FileWatch>,
    /// Records that start before this offset are not given out (resuming inside the lead).
    skip_before: u64,
    /// An error found while filling, given out before the next entry.
    pending: Option<Error>,
    /// An item held back behind `pending`.
    requeued: Option<Result<Entry>>,
    asm: Assembler,
    state: State,
}

impl<R: Read> StreamEntries<R> {
    pub fn new(reader: Reader, source: Arc<Path>, input: R) -> Self {
        StreamEntries {
            input,
            window: Window::Open(Vec::new()),
            start: 0,
            filled: 0,
            pool: Arc::new(WindowPool::new(reader.buffer_size)),
            base: 0,
            eof: false,
            chunk: reader.buffer_size,
            skipping: false,
            watch: None,
            skip_before: 0,
            pending: None,
            requeued: None,
            asm: Assembler {
                source,
                index: 0,
                limit: reader.max_message_size,
                single: Format::Eml,
            },
            state: State::Sniffing,
        }
    }

    /// The format to give the input if it is a single message.
    pub fn single_format(&mut self, format: Format) {
        self.asm.single = format;
    }

    /// Check `watch` (the file read) when the end of input is reached.
    pub fn watch(&mut self, watch: FileWatch) {
        self.watch = Some(watch);
    }

    /// The input is positioned at `offset`, a record start at or after the first separator
    /// of a mailbox of the family `style`: read records from there.
    pub fn resume(&mut self, style: Style, offset: u64) {
        self.base = offset;
        self.state = State::Mailbox(Box::new(Splitter::starting_at(
            style,
            self.asm.limit,
            offset,
        )));
    }

    /// Give out only records that start at or after `offset`.
    pub fn skip_before(&mut self, offset: u64) {
        self.skip_before = offset;
    }

    /// The bytes read and not yet given out (they start at `base`).
    fn pending_bytes(&self) -> &[u8] {
        self.window
            .bytes()
            .get(self.start..self.filled)
            .unwrap_or_default()
    }

    /// Make room for one read of `chunk` bytes after the pending bytes: in the open window
    /// if it has the room, else in another window (from the pool, or new: at least twice
    /// the old one when the pending bytes filled it, so a large record is copied a bounded
    /// number of times), which starts with the pending bytes.
    fn make_room(&mut self) {
        let pending = self.filled - self.start;
        if let Window::Open(v) = &mut self.window {
            if v.len() - self.filled >= self.chunk {
                return;
            }
            if pending + self.chunk <= v.len() && self.start >= v.len() / 2 {
                // Mostly given out already: move the pending bytes to the front.
                v.copy_within(self.start..self.filled, 0);
                self.start = 0;
                self.filled = pending;
                return;
            }
        }
        let old_len = self.window.bytes().len();
        let grown = if matches!(self.window, Window::Open(_)) && self.start == 0 {
            old_len.saturating_mul(2)
        } else {
            0
        };
        // Sizes rounded up to a sixteenth of a read, so that kept windows fit the next reads
        // (the pending bytes of an unfinished message differ from one read to the next).
        let need = (pending + self.chunk).max(grown);
        let mut fresh = self
            .pool
            .take(need, need.next_multiple_of((self.chunk / 16).max(1)));
        if let Some(dst) = fresh.get_mut(..pending) {
            dst.copy_from_slice(self.pending_bytes());
        }
        let old = std::mem::replace(&mut self.window, Window::Open(fresh));
        if let Window::Open(v) = old {
            self.pool.give(v);
        }
        self.start = 0;
        self.filled = pending;
    }

    /// The bytes of `len` pending bytes from `start`, as a zero-copy handle (the window is
    /// frozen: later reads go into another one).
    fn take_front(&mut self, len: usize) -> Bytes {
        if let Window::Open(v) = &mut self.window {
            let v = std::mem::take(v);
            self.window = Window::Frozen(Bytes::from_owner(Pooled {
                data: v,
                pool: Arc::clone(&self.pool),
            }));
        }
        let end = (self.start + len).min(self.filled);
        let out = match &self.window {
            Window::Frozen(b) => b.slice(self.start..end),
            Window::Open(_) => Bytes::new(),
        };
        self.start = end;
        out
    }

    /// Read once more into the buffer; sets `eof` at end of input.
    fn fill(&mut self) -> Result<()> {
        self.make_room();
        let len = self.filled;
        let Window::Open(v) = &mut self.window else {
            // make_room always leaves an open window.
            return Ok(());
        };
        // One read size is read, short reads included (a pipe gives 64 KiB at a time),
        // before messages are sliced from the window: a window frozen after one short read
        // would hold little and keep its whole size.
        let room = v.len().saturating_sub(len).min(self.chunk.max(1));
        let mut got = 0;
        while got < room {
            match self.input.read(&mut v[len + got..len + room]) {
                Ok(0) => {
                    self.eof = true;
                    let total = self.base + (len + got - self.start) as u64;
                    if let Some(watch) = self.watch.take() {
                        self.pending = watch.check(total);
                    }
                    break;
                }
                Ok(n) => got += n,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(source) => {
                    self.filled = len + got;
                    return Err(Error::Io {
                        path: self.asm.source.to_path_buf(),
                        offset: self.base + (len + got - self.start) as u64,
                        source,
                    });
                }
            }
        }
        self.filled = len + got;
        Ok(())
    }

    /// Drop the bytes before `pos` (absolute).
    fn drop_before(&mut self, pos: u64) {
        if pos > self.base {
            let n = usize::try_from(pos - self.base)
                .unwrap_or(usize::MAX)
                .min(self.filled - self.start);
            self.start += n;
            self.base += n as u64;
        }
    }

    fn step(&mut self) -> Result<Option<Entry>> {
        loop {
            match &mut self.state {
                State::Done => return Ok(None),
                State::Sniffing => {
                    let pending = self.pending_bytes();
                    if pending.len() < SNIFF_LEN && !self.eof {
                        self.fill()?;
                        continue;
                    }
                    let head = &pending[..pending.len().min(SNIFF_LEN)];
                    match sniff(head) {
                        Kind::Mail => {
                            self.state = State::Mailbox(Box::new(Splitter::new(self.asm.limit)));
                        }
                        Kind::NotMail(reason) => {
                            self.state = State::Done;
                            return Err(not_mail(&self.asm.source, reason));
                        }
                    }
                }
                State::Mailbox(splitter) => {
                    let pending = self
                        .window
                        .bytes()
                        .get(self.start..self.filled)
                        .unwrap_or_default();
                    match splitter.step(pending, self.base, self.eof) {
                        Step::End => {
                            self.state = State::Done;
                            return Ok(None);
                        }
                        Step::Partial => {
                            if !self.skipping && splitter.min_message_len() > self.asm.limit {
                                self.skipping = true;
                            }
                            if self.skipping {
                                let keep = splitter.keep_from();
                                self.drop_before(keep);
                            }
                            self.fill()?;
                        }
                        Step::Record(record) => {
                            let extent = record.extent;
                            let n = usize::try_from(extent.end.saturating_sub(self.base))
                                .unwrap_or(usize::MAX)
                                .min(self.filled - self.start);
                            let skipped = std::mem::take(&mut self.skipping);
                            if skipped && !matches!(record.kind, RecordKind::Gap(_)) {
                                // The bytes were not kept: a message over the limit, or an
                                // input with no separator that is too large for one message.
                                self.start += n;
                                self.base = self.base.max(extent.end);
                                return Err(match record.kind {
                                    RecordKind::Whole { message: false } => {
                                        not_mail(&self.asm.source, NOT_MAIL)
                                    }
                                    _ => self.asm.too_large(extent),
                                });
                            }
                            let chunk = self.take_front(n);
                            let base = self.base;
                            self.base = self.base.max(extent.end);
                            if extent.start < self.skip_before {
                                continue;
                            }
                            return self
                                .asm
                                .entry(record, |span| {
                                    chunk.slice(span.relative_to(base).unwrap_or(0..0))
                                })
                                .map(Some);
                        }
                    }
                }
            }
        }
    }
}

impl<R: Read> Iterator for StreamEntries<R> {
    type Item = Result<Entry>;

    fn next(&mut self) -> Option<Result<Entry>> {
        if let Some(item) = self.requeued.take() {
            return Some(item);
        }
        let item = match self.step() {
            Ok(entry) => entry.map(Ok),
            Err(e) => {
                if matches!(e, Error::Io { .. }) {
                    // A failed read ends this input: the bytes after it are unknown.
                    self.state = State::Done;
                }
                Some(Err(e))
            }
        };
        if let Some(e) = self.pending.take() {
            // The input ended early or changed while reading ahead: say so before what
            // follows.
            self.requeued = item;
            return Some(Err(e));
        }
        item
    }
}

/// The buffer reads go into: open (still read into) or frozen (messages are slices of it).
enum Window {
    Open(Vec<u8>),
    Frozen(Bytes),
}

impl Window {
    fn bytes(&self) -> &[u8] {
        match self {
            Window::Open(v) => v,
            Window::Frozen(b) => b,
        }
    }
}

/// Windows that no message refers to any more, kept for the next reads of the same input.
/// Their bytes stay written (they are overwritten by the next read, never zeroed again).
/// At most [`POOLED_WINDOWS`] are kept, each at most twice the read size: a window grown for
/// one large message is freed, so the pool holds a few megabytes at most.
struct WindowPool {
    free: Mutex<Vec<Vec<u8>>>,
    max_len: usize,
}

/// Windows kept for reuse: enough for the batches a scanner keeps in flight (three of 8 MiB,
/// in windows of one 1 MiB read and the pending bytes), which are in memory at once anyway.
const POOLED_WINDOWS: usize = 32;

impl WindowPool {
    fn new(chunk: usize) -> Self {
        WindowPool {
            free: Mutex::new(Vec::new()),
            max_len: chunk.saturating_mul(2),
        }
    }

    /// A window of at least `len` bytes: a kept one if one is large enough, else a new one
    /// of `new_len` bytes.
    fn take(&self, len: usize, new_len: usize) -> Vec<u8> {
        if let Ok(mut free) = self.free.lock()
            && let Some(i) = free.iter().position(|v| v.len() >= len)
        {
            return free.swap_remove(i);
        }
        vec![0; new_len.max(len)]
    }

    fn give(&self, v: Vec<u8>) {
        if v.len() > self.max_len || v.is_empty() {
            return;
        }
        if let Ok(mut free) = self.free.lock()
            && free.len() < POOLED_WINDOWS
        {
            free.push(v);
        }
    }
}

/// A frozen window's owner: gives the window back to its pool when the last message sliced
/// from it is dropped.
struct Pooled {
    data: Vec<u8>,
    pool: Arc<WindowPool>,
}

impl AsRef<[u8]> for Pooled {
    fn as_ref(&self) -> &[u8] {
        &self.data
    }
}

impl Drop for Pooled {
    fn drop(&mut self) {
        self.pool.give(std::mem::take(&mut self.data));
    }
}

/// What the first bytes of a mailbox file say, read from its start: whether it is mail, and
/// if it is a mailbox, its family and where its first separator is. Reads only up to the
/// point where the lead decides (usually the first line), in bounded memory.
pub(crate) enum Probe {
    /// Not mail: the reason.
    NotMail(&'static str),
    /// No separator at all (one message, or not mail).
    Whole,
    /// A mailbox: the family of separators and the offset of the first one.
    Mailbox(Style, u64),
}

/// Probe `input` from its start (see [`Probe`]); `source` names it in errors.
pub(crate) fn probe(mut input: impl Read, reader: &Reader, source: &Path) -> Result<Probe> {
    let mut splitter = Splitter::new(reader.max_message_size);
    let mut buf: Vec<u8> = Vec::new();
    let mut base = 0u64;
    let mut eof = false;
    let mut sniffed = false;
    let chunk = reader.buffer_size.max(SNIFF_LEN);
    loop {
        if !sniffed && (buf.len() >= SNIFF_LEN || eof) {
            sniffed = true;
            if let Kind::NotMail(reason) = sniff(&buf[..buf.len().min(SNIFF_LEN)]) {
                return Ok(Probe::NotMail(reason));
            }
        }
        if sniffed {
            let step = splitter.step(&buf, base, eof);
            if let (Some(style), Some(first)) = (splitter.style(), splitter.first_separator()) {
                return Ok(Probe::Mailbox(style, first));
            }
            if !matches!(step, Step::Partial) {
                return Ok(Probe::Whole);
            }
            // Only the lead's bytes from `keep_from` on are needed here.
            let keep = splitter.keep_from();
            let drop = usize::try_from(keep.saturating_sub(base))
                .unwrap_or(usize::MAX)
                .min(buf.len());
            buf.drain(..drop);
            base += drop as u64;
        }
        let len = buf.len();
        buf.resize(len + chunk, 0);
        let n = loop {
            match input.read(&mut buf[len..]) {
                Ok(n) => break n,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) => {
                    return Err(Error::Io {
                        path: source.to_path_buf(),
                        offset: base + len as u64,
                        source: e,
                    });
                }
            }
        };
        buf.truncate(len + n);
        eof = n == 0;
    }
}
