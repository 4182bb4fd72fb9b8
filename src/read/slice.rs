//! The slice driver: a whole dump in memory (or a memory map), messages as zero-copy slices.

use std::path::Path;
use std::sync::Arc;

use bytes::Bytes;

use super::file::FileWatch;
use super::format::Format;
use super::split::{Splitter, Step};
use super::{Assembler, Entry, Kind, SNIFF_LEN, sniff};
use crate::error::{Error, Result};

enum State {
    Mailbox(Box<Splitter>),
    Skip(&'static str),
    Done,
}

/// Entries of one in-memory input.
pub(crate) struct SliceEntries {
    data: Bytes,
    asm: Assembler,
    state: State,
    /// Records that start before this offset are not given out (resuming inside the lead).
    skip_before: u64,
    /// The file the data was mapped from, checked once the entries are out.
    watch: Option<FileWatch>,
}

impl SliceEntries {
    /// `single` is the format to give the input if it is one message (eml or maildir);
    /// `offset` a record start to resume from (mailboxes only: a single message gives
    /// nothing from an offset past 0).
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
            single,
        };
        let head = &data[..data.len().min(SNIFF_LEN)];
        let mut skip_before = 0;
        let state = match sniff(head) {
            Kind::NotMail(reason) => State::Skip(reason),
            Kind::Mail if offset == 0 => State::Mailbox(Box::new(Splitter::new(asm.limit))),
            Kind::Mail => {
                // What the input is, and where its first separator is: the lead decides.
                let mut probe = Splitter::new(asm.limit);
                let _ = probe.step(&data, 0, true);
                match (probe.style(), probe.first_separator()) {
                    (Some(style), Some(first)) if offset >= first => {
                        State::Mailbox(Box::new(Splitter::starting_at(style, asm.limit, offset)))
                    }
                    (Some(_), _) => {
                        skip_before = offset;
                        State::Mailbox(Box::new(Splitter::new(asm.limit)))
                    }
                    (None, _) => State::Done,
                }
            }
        };
        SliceEntries {
            data,
            asm,
            state,
            skip_before,
            watch: None,
        }
    }

    /// Check the file the data was mapped from once every entry is out.
    pub fn watch(&mut self, watch: FileWatch) {
        self.watch = Some(watch);
    }
}

impl Iterator for SliceEntries {
    type Item = Result<Entry>;

    fn next(&mut self) -> Option<Result<Entry>> {
        loop {
            match &mut self.state {
                State::Done => {
                    let watch = self.watch.take()?;
                    return watch.check(self.data.len() as u64).map(Err);
                }
                State::Skip(reason) => {
                    let e = not_mail(&self.asm.source, reason);
                    self.state = State::Done;
                    self.watch = None;
                    return Some(Err(e));
                }
                State::Mailbox(splitter) => match splitter.step(&self.data, 0, true) {
                    Step::Record(record) => {
                        if record.extent.start < self.skip_before {
                            continue;
                        }
                        let data = &self.data;
                        return Some(self.asm.entry(record, |span| {
                            let r = span.relative_to(0).unwrap_or(0..0);
                            data.slice(r)
                        }));
                    }
                    Step::Partial | Step::End => self.state = State::Done,
                },
            }
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
