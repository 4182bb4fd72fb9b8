//! The streaming driver: a rolling buffer over any `Read`, in bounded memory.
//!
//! Bytes are read into a `BytesMut`; each complete record is split off its front and frozen,
//! so messages are zero-copy slices of the buffer they were read into. Absolute offsets are
//! kept across refills. Bytes the splitter says no message will be made of are not kept: a
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

use bytes::{Buf, BytesMut};

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
    /// `buf[..filled]` holds input; `buf[filled..]` is zeroed spare room for the next reads,
    /// kept across reads so that each byte of the buffer is zeroed once, not once per read.
    buf: BytesMut,
    filled: usize,
    /// Absolute offset of `buf[0]`.
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
            buf: BytesMut::new(),
            filled: 0,
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

    /// Read once more into the buffer; sets `eof` at end of input.
    fn fill(&mut self) -> Result<()> {
        let len = self.filled;
        if self.buf.len() < len + self.chunk {
            // Only the bytes added here are zeroed.
            self.buf.resize(len + self.chunk, 0);
        }
        loop {
            match self.input.read(&mut self.buf[len..len + self.chunk]) {
                Ok(n) => {
                    self.filled = len + n;
                    if n == 0 {
                        self.eof = true;
                        let got = self.base + len as u64;
                        if let Some(watch) = self.watch.take() {
                            self.pending = watch.check(got);
                        }
                    }
                    return Ok(());
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(source) => {
                    return Err(Error::Io {
                        path: self.asm.source.to_path_buf(),
                        offset: self.base + len as u64,
                        source,
                    });
                }
            }
        }
    }

    /// Drop the bytes before `pos` (absolute).
    fn drop_before(&mut self, pos: u64) {
        if pos > self.base {
            let n = usize::try_from(pos - self.base)
                .unwrap_or(usize::MAX)
                .min(self.filled);
            self.buf.advance(n);
            self.filled -= n;
            self.base += n as u64;
        }
    }

    fn step(&mut self) -> Result<Option<Entry>> {
        loop {
            match &mut self.state {
                State::Done => return Ok(None),
                State::Sniffing => {
                    if self.filled < SNIFF_LEN && !self.eof {
                        self.fill()?;
                        continue;
                    }
                    let head = &self.buf[..self.filled.min(SNIFF_LEN)];
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
                    match splitter.step(&self.buf[..self.filled], self.base, self.eof) {
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
                                .min(self.filled);
                            self.filled -= n;
                            let skipped = std::mem::take(&mut self.skipping);
                            if skipped && !matches!(record.kind, RecordKind::Gap(_)) {
                                // The bytes were not kept: a message over the limit, or an
                                // input with no separator that is too large for one message.
                                self.buf.advance(n);
                                self.base = self.base.max(extent.end);
                                return Err(match record.kind {
                                    RecordKind::Whole { message: false } => {
                                        not_mail(&self.asm.source, NOT_MAIL)
                                    }
                                    _ => self.asm.too_large(extent),
                                });
                            }
                            let chunk = self.buf.split_to(n).freeze();
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
