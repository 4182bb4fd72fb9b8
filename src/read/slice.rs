//! The slice driver: a whole dump in memory (or a memory map), messages as zero-copy slices.

use std::path::Path;
use std::sync::Arc;

use bytes::Bytes;

use super::format::Format;
use super::split::{Splitter, Step};
use super::{Assembler, Entry, Kind, SNIFF_LEN, sniff};
use crate::error::{Error, Result};

enum State {
    Mailbox(Box<Splitter>),
    Skip(&'static str),
    Single(Format),
    Done,
}

/// Entries of one in-memory input.
pub(crate) struct SliceEntries {
    data: Bytes,
    asm: Assembler,
    state: State,
}

impl SliceEntries {
    /// `single` is the format to give the input if it is one message (eml or maildir);
    /// `offset` a record start to resume from (mailboxes only).
    pub fn new(
        reader: super::Reader,
        source: Arc<Path>,
        data: Bytes,
        single: Format,
        offset: u64,
    ) -> Self {
        let asm = Assembler {
            source,
            index: 0,
            limit: reader.max_message_size,
        };
        let head = &data[..data.len().min(SNIFF_LEN)];
        let state = match sniff(head) {
            Kind::Mailbox(style) => {
                State::Mailbox(Box::new(Splitter::starting_at(style, asm.limit, offset)))
            }
            Kind::Single if offset == 0 => State::Single(single),
            Kind::Single => State::Done,
            Kind::NotMail(reason) => State::Skip(reason),
        };
        SliceEntries { data, asm, state }
    }
}

impl Iterator for SliceEntries {
    type Item = Result<Entry>;

    fn next(&mut self) -> Option<Result<Entry>> {
        match &mut self.state {
            State::Done => None,
            State::Skip(reason) => {
                let e = not_mail(&self.asm.source, reason);
                self.state = State::Done;
                Some(Err(e))
            }
            State::Single(format) => {
                let format = *format;
                self.state = State::Done;
                Some(self.asm.single(self.data.clone(), format))
            }
            State::Mailbox(splitter) => match splitter.step(&self.data, 0, true) {
                Step::Record(record) => {
                    let data = &self.data;
                    Some(self.asm.entry(record, |span| {
                        let r = span.relative_to(0).unwrap_or(0..0);
                        data.slice(r)
                    }))
                }
                Step::Partial | Step::End => {
                    self.state = State::Done;
                    None
                }
            },
        }
    }
}

/// The error for an input that is not mail.
pub(crate) fn not_mail(source: &Path, reason: &str) -> Error {
    Error::Skipped {
        path: source.to_path_buf(),
        reason: reason.to_string(),
    }
}
