//! The streaming driver: a rolling buffer over any `Read`, in bounded memory.
//!
//! Bytes are read into a `BytesMut`; each complete record is split off its front and frozen,
//! so messages are zero-copy slices of the buffer they were read into. Absolute offsets are
//! kept across refills. A message over the size limit is not kept: once the splitter says it
//! is certainly too large, bytes before [`Splitter::keep_from`] are dropped as they are read.

use std::io::{ErrorKind, Read};
use std::path::Path;
use std::sync::Arc;

use bytes::{Buf, BytesMut};

use super::format::Format;
use super::slice::not_mail;
use super::split::{Splitter, Step};
use super::{Assembler, Entry, Kind, Reader, SNIFF_LEN, sniff};
use crate::error::{Error, Result};
use crate::span::Span;

enum State {
    /// Reading the first bytes to tell what the input is.
    Sniffing,
    Mailbox(Box<Splitter>),
    /// A single message: read to the end; `over` once it passed the limit.
    Single {
        over: bool,
    },
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
    /// The length the input had when opened, if it is a file.
    expected_len: Option<u64>,
    /// An error found while filling, given out before the next entry.
    pending: Option<Error>,
    /// An item held back behind `pending`.
    requeued: Option<Result<Entry>>,
    single: Format,
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
            expected_len: None,
            pending: None,
            requeued: None,
            single: Format::Eml,
            asm: Assembler {
                source,
                index: 0,
                limit: reader.max_message_size,
            },
            state: State::Sniffing,
        }
    }

    /// The format to give the input if it is a single message.
    pub fn single_format(&mut self, format: Format) {
        self.single = format;
    }

    /// Report an error if the input ends before `len` bytes (a file that shrank).
    pub fn expect_len(&mut self, len: Option<u64>) {
        self.expected_len = len;
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
                        if let Some(expected) = self.expected_len.filter(|&e| got < e) {
                            self.pending = Some(Error::Io {
                                path: self.asm.source.to_path_buf(),
                                offset: got,
                                source: std::io::Error::new(
                                    ErrorKind::UnexpectedEof,
                                    format!(
                                        "the file shrank while it was read: {expected} bytes when opened, {got} now"
                                    ),
                                ),
                            });
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
                    self.state = match sniff(head) {
                        Kind::Mailbox(style) => {
                            State::Mailbox(Box::new(Splitter::new(style, self.asm.limit)))
                        }
                        Kind::Single => State::Single { over: false },
                        Kind::NotMail(reason) => {
                            self.state = State::Done;
                            return Err(not_mail(&self.asm.source, reason));
                        }
                    };
                }
                State::Single { over } => {
                    if !self.eof {
                        if self.filled as u64 > self.asm.limit {
                            *over = true;
                            let keep = self.base + self.filled as u64;
                            self.drop_before(keep);
                        }
                        self.fill()?;
                        continue;
                    }
                    let over = *over;
                    self.state = State::Done;
                    let total = self.base + self.filled as u64;
                    if over {
                        return Err(self.asm.too_large(Span::new(0, total)));
                    }
                    self.buf.truncate(self.filled);
                    self.filled = 0;
                    let data = std::mem::take(&mut self.buf).freeze();
                    return self.asm.single(data, self.single).map(Some);
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
                            let n = usize::try_from(extent.end - self.base)
                                .unwrap_or(usize::MAX)
                                .min(self.filled);
                            self.filled -= n;
                            if std::mem::take(&mut self.skipping) {
                                self.buf.advance(n);
                                self.base = extent.end;
                                return Err(self.asm.too_large(extent));
                            }
                            let chunk = self.buf.split_to(n).freeze();
                            let base = self.base;
                            self.base = extent.end;
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
            // The input ended early while reading ahead: say so before what follows.
            self.requeued = item;
            return Some(Err(e));
        }
        item
    }
}
