//! The pure splitting core: given the bytes seen so far, where does the next record end?
//!
//! [`Splitter`] knows nothing about files or buffers. A driver hands it a window of the input
//! (`buf`, starting at absolute offset `base`) and whether more bytes may follow, and it answers
//! [`Step::Record`] (a complete record, every position absolute), [`Step::Partial`] (feed me
//! more) or [`Step::End`]. It remembers how far it has searched, so a driver that feeds one byte
//! at a time costs no rescans, and it never needs bytes before [`Splitter::keep_from`].
//!
//! A record is one message with the bytes that frame it (separator line, trailing blank line,
//! MMDF markers), or a gap of bytes that belong to no message (a byte-order mark, text before
//! the first separator), or, for an input with no separator at all, the whole input
//! ([`RecordKind::Whole`]: one message file, or not mail). Records are contiguous: together
//! they cover the input exactly.
//!
//! # Line endings
//!
//! A line ends with LF, CRLF, or a CR that no LF follows (classic Mac OS files), so a line
//! starts after any of the three.
//!
//! # What kind of input it is (the lead)
//!
//! A splitter made with [`Splitter::new`] decides from the bytes themselves whether the input
//! is a mailbox, and of which family, before it gives its first record:
//!
//! 1. A UTF-8 byte-order mark at the start is put aside (it becomes a gap of its own).
//! 2. Empty lines are skipped. If the first line that is not empty is a separator (an MMDF
//!    marker, or a `From ` line as [`parse_from_line`] reads it; a bare `From sender` line only
//!    when a header field follows), the input is a mailbox of that family.
//! 3. Otherwise the rest of the input is searched, line by line, for a *strong separator*: an
//!    MMDF marker line, or a `From ` line with a sender and an asctime date, followed in both
//!    cases by the header of a message (header field lines, one of them a `From`, `Date`,
//!    `Subject`, `Message-ID`, `To`, `Received`, `Return-Path` or `Sender` field, within
//!    [`HEADER_LOOKAHEAD`] lines). The first one makes the input a mailbox;
//!    the bytes before it are a [`GapReason::Junk`] gap (a banner or a header-like line put on
//!    top, a dump cut at the front, blank lines, a partial message).
//! 4. An input with no separator at all is one [`RecordKind::Whole`] record: one message when
//!    its first line looks like a header field, else not mail.
//!
//! Inside a mailbox, separators are judged by the rules of the family (see `judge`).
//!
//! # Content-Length
//!
//! A `Content-Length` field (mboxcl, mboxcl2) is honoured when the bytes it counts end at a
//! separator or at the end of input, and they hold no strong separator: honouring a length
//! that runs over a `From ` line followed by the header of a message would swallow that
//! message, so the length is ignored, the message ends at its first separator and carries
//! [`AnomalyCode::ContentLengthMismatch`] on the field. A separator-like body line followed by
//! other text (a forwarded log, say) stays in the counted body (mboxcl2).

use std::ops::Range;

use memchr::memmem;

use super::format::{Format, FromLine, parse_from_line};
use crate::read::message::{Anomaly, AnomalyCode};
use crate::span::Span;

/// Headers larger than this are not searched for `Content-Length`.
pub(crate) const HEADER_SEARCH_LIMIT: u64 = 256 * 1024;

/// Separator candidates are judged on their first `MAX_LINE` bytes; a longer line is text.
pub(crate) const MAX_LINE: usize = 4096;

const MMDF_MARKER: &[u8] = b"\x01\x01\x01\x01";
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// The two families of separators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Style {
    /// `From ` lines.
    Mbox,
    /// Lines of four `\x01`.
    Mmdf,
}

/// Why bytes belong to no message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "kebab-case"))]
#[non_exhaustive]
pub enum GapReason {
    /// A UTF-8 byte-order mark at the start of the file.
    ByteOrderMark,
    /// Bytes before the first separator (a header-like line or banner put on top, a dump cut
    /// at the front, blank lines), or between MMDF messages, that are not a separator.
    Junk,
}

impl GapReason {
    /// The name used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            GapReason::ByteOrderMark => "byte-order-mark",
            GapReason::Junk => "junk",
        }
    }
}

/// A complete record found by the splitter. All positions are absolute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Record {
    /// All bytes of the record: the next record starts at `extent.end`.
    pub extent: Span,
    /// What the record is.
    pub kind: RecordKind,
}

/// What a record holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RecordKind {
    /// Bytes that belong to no message.
    Gap(GapReason),
    /// One message.
    Message(MessageBounds),
    /// The whole input, which holds no separator: one message file when `message` (its first
    /// line looks like a header field), else not mail.
    Whole {
        /// Whether the first line looks like a header field.
        message: bool,
    },
}

/// Where a message lies inside its record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct MessageBounds {
    /// The separator line with its line ending.
    pub separator: Span,
    /// The message as stored.
    pub message: Span,
    /// Envelope sender and date, absolute ranges inside the separator line.
    pub envelope_sender: Option<Span>,
    /// See `envelope_sender`.
    pub envelope_date: Option<Span>,
    /// The mbox variant this message was stored in.
    pub format: Format,
    /// Structural findings of the splitter, in offset order.
    pub anomalies: Vec<Anomaly>,
}

/// The splitter's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Step {
    /// A complete record.
    Record(Record),
    /// More input is needed (never returned when `eof` is true).
    Partial,
    /// The input is exhausted.
    End,
}

#[derive(Debug)]
enum Phase {
    /// Deciding what the input is (see the module documentation).
    Lead(Lead),
    /// Between records.
    Start,
    /// Inside a gap; `scan` is where the search for a separator line resumes.
    Gap {
        start: u64,
        reason: GapReason,
        scan: u64,
    },
    /// Inside a message record.
    Message(Box<MessageState>),
}

#[derive(Debug, Clone, Copy)]
struct Lead {
    stage: LeadStage,
    /// Whether the first line looks like a header field.
    message: bool,
    /// Length of the byte-order mark at the start (0 or 3).
    bom: u64,
}

#[derive(Debug, Clone, Copy)]
enum LeadStage {
    /// Nothing read yet.
    First,
    /// Skipping empty lines; `at` is the next line start.
    Blank { at: u64 },
    /// Looking for a strong separator: `cand` is a line start still to judge; otherwise the
    /// search for the next line ending resumes at `scan`.
    Search { cand: Option<u64>, scan: u64 },
}

#[derive(Debug)]
struct MessageState {
    start: u64,
    sep_end: u64,
    from_line: Option<FromLine>,
    anomalies: Vec<Anomaly>,
    /// `None` while the header block's end has not been found.
    header: Option<HeaderInfo>,
    /// Where the header search resumes.
    header_scan: u64,
    /// A Content-Length field seen so far in the header block: its value and span.
    length_field: Option<(u64, Span)>,
    /// Where the separator search resumes.
    scan: u64,
    /// First separator accepted by scanning, kept while a Content-Length is being checked.
    found: Option<Boundary>,
    /// The search up to the Content-Length target is done.
    length_scanned: bool,
    quoted: bool,
    deep_quoted: bool,
    unquoted: usize,
}

#[derive(Debug, Clone, Copy)]
struct HeaderInfo {
    /// Where Content-Length says the message ends, and the field's span.
    content_length: Option<(u64, Span)>,
    decided: bool,
}

/// A place where the current message ends and a new record starts.
#[derive(Debug, Clone, Copy)]
struct Boundary {
    /// End of the message bytes.
    message_end: u64,
    /// Start of the next record.
    next: u64,
    /// The next separator was not preceded by a blank line.
    without_blank: bool,
}

/// The splitting state machine. See the module documentation.
#[derive(Debug)]
pub(crate) struct Splitter {
    /// The family of separators, `None` while the lead is undecided.
    style: Option<Style>,
    max_message: u64,
    pos: u64,
    phase: Phase,
    /// End of the gap the lead decided on, given out by the next `start`.
    lead_gap_end: Option<u64>,
    /// Where the first separator is, once the lead decided.
    first: Option<u64>,
    from_finder: memmem::Finder<'static>,
}

impl Splitter {
    /// A splitter for a whole input, starting at absolute offset 0: it decides what the input
    /// is from its bytes (see the module documentation).
    pub fn new(max_message: u64) -> Self {
        Splitter {
            style: None,
            max_message: max_message.max(HEADER_SEARCH_LIMIT),
            pos: 0,
            phase: Phase::Lead(Lead {
                stage: LeadStage::First,
                message: false,
                bom: 0,
            }),
            lead_gap_end: None,
            first: None,
            from_finder: memmem::Finder::new(b"From "),
        }
    }

    /// A splitter for an input of a known family that starts at `offset`, which must be the
    /// start of a record at or after the first separator (as reported by an earlier scan,
    /// with [`Splitter::style`] and [`Splitter::first_separator`]).
    pub fn starting_at(style: Style, max_message: u64, offset: u64) -> Self {
        Splitter {
            style: Some(style),
            max_message: max_message.max(HEADER_SEARCH_LIMIT),
            pos: offset,
            phase: Phase::Start,
            lead_gap_end: None,
            first: None,
            from_finder: memmem::Finder::new(b"From "),
        }
    }

    /// The family of separators, once decided.
    pub fn style(&self) -> Option<Style> {
        self.style
    }

    /// The offset of the first separator, once the lead decided (`None` for a splitter made
    /// with [`Splitter::starting_at`]).
    pub fn first_separator(&self) -> Option<u64> {
        self.first
    }

    /// The earliest absolute offset the splitter may still read. A driver that does not need
    /// the current record's bytes (because it is over the size limit, or not a message) may
    /// drop bytes before it.
    pub fn keep_from(&self) -> u64 {
        match &self.phase {
            Phase::Lead(lead) => match lead.stage {
                LeadStage::First => 0,
                LeadStage::Blank { at } => at,
                LeadStage::Search { cand, scan } => cand.unwrap_or(scan),
            },
            // A gap the lead decided on needs no bytes.
            Phase::Start => self.lead_gap_end.map_or(self.pos, |end| end.max(self.pos)),
            Phase::Gap { scan, .. } => scan.saturating_sub(3).max(self.pos),
            Phase::Message(m) => match m.header {
                None => m.start,
                Some(h) if !h.decided => m.start,
                Some(_) => m.scan.saturating_sub(3).max(m.start),
            },
        }
    }

    /// A lower bound on the length of the message being read: once it passes the size limit,
    /// the message is certainly too large and bytes before [`Splitter::keep_from`] need not
    /// be kept. While the lead is undecided, the input may still turn out to be one message
    /// (if its first line looks like a header field: the bytes read so far are a lower bound)
    /// or cannot be one (`u64::MAX`: its bytes become a gap or are not mail).
    pub fn min_message_len(&self) -> u64 {
        match &self.phase {
            Phase::Lead(lead) => match lead.stage {
                LeadStage::First => 0,
                _ if !lead.message => u64::MAX,
                LeadStage::Blank { at } => at,
                LeadStage::Search { cand, scan } => cand.unwrap_or(scan),
            },
            Phase::Message(m) if matches!(m.header, Some(h) if h.decided) => {
                m.scan.saturating_sub(3).saturating_sub(m.sep_end)
            }
            _ => 0,
        }
    }

    /// Find the next record in `buf`, which holds the input from absolute offset `base`
    /// (`base <= self.keep_from()`) up to `base + buf.len()`. `eof` says no byte follows.
    pub fn step(&mut self, buf: &[u8], base: u64, eof: bool) -> Step {
        let win = Window { buf, base, eof };
        debug_assert!(base <= self.keep_from());
        loop {
            let next = match std::mem::replace(&mut self.phase, Phase::Start) {
                Phase::Lead(lead) => self.lead(&win, lead),
                Phase::Start => self.start(&win),
                Phase::Gap {
                    start,
                    reason,
                    scan,
                } => self.gap(&win, start, reason, scan),
                Phase::Message(m) => self.message(&win, m),
            };
            match next {
                Next::Continue(phase) => self.phase = phase,
                Next::Wait(phase) => {
                    self.phase = phase;
                    return if eof { Step::End } else { Step::Partial };
                }
                Next::Emit(record) => {
                    self.pos = record.extent.end;
                    self.phase = Phase::Start;
                    return Step::Record(record);
                }
                Next::End => return Step::End,
            }
        }
    }

    /// Decide what the input is; see the module documentation.
    fn lead(&mut self, win: &Window<'_>, mut lead: Lead) -> Next {
        loop {
            match lead.stage {
                LeadStage::First => {
                    let Some(line) = win.line_at(0) else {
                        return if win.eof {
                            Next::End
                        } else {
                            Next::Wait(Phase::Lead(lead))
                        };
                    };
                    // A line is there, so the first bytes tell whether a byte-order mark is.
                    lead.message = looks_like_field(win.slice(line.start..line.content_end));
                    lead.bom = if win.from(0).starts_with(BOM) {
                        BOM.len() as u64
                    } else {
                        0
                    };
                    lead.stage = LeadStage::Blank { at: lead.bom };
                }
                LeadStage::Blank { at } => {
                    if at >= win.end() && win.eof {
                        return Next::Emit(whole(win, lead));
                    }
                    let Some(line) = win.line_at(at) else {
                        return Next::Wait(Phase::Lead(lead));
                    };
                    if line.complete && line.content_end == line.start {
                        lead.stage = LeadStage::Blank { at: line.next };
                        continue;
                    }
                    let mmdf = separator_at(Style::Mmdf, win, &line);
                    let mbox = separator_at(Style::Mbox, win, &line);
                    match (mmdf, mbox) {
                        (Ok(Some(_)), _) => return self.decide(Style::Mmdf, at, lead),
                        (_, Ok(Some(_))) => return self.decide(Style::Mbox, at, lead),
                        (Err(()), _) | (_, Err(())) => return Next::Wait(Phase::Lead(lead)),
                        _ => {
                            lead.stage = LeadStage::Search {
                                cand: None,
                                scan: at,
                            }
                        }
                    }
                }
                LeadStage::Search {
                    cand: Some(at),
                    scan,
                } => {
                    if at >= win.end() && win.eof {
                        return Next::Emit(whole(win, lead));
                    }
                    match strong_separator_at(win, at) {
                        Err(()) => return Next::Wait(Phase::Lead(lead)),
                        Ok(Some(style)) => return self.decide(style, at, lead),
                        Ok(None) => {
                            lead.stage = LeadStage::Search {
                                cand: None,
                                scan: scan.max(at),
                            }
                        }
                    }
                }
                LeadStage::Search { cand: None, scan } => match next_line_start(win, scan) {
                    Ok(Some(next)) => {
                        lead.stage = LeadStage::Search {
                            cand: Some(next),
                            scan: next,
                        }
                    }
                    Ok(None) => return Next::Emit(whole(win, lead)),
                    Err(resume) => {
                        lead.stage = LeadStage::Search {
                            cand: None,
                            scan: resume,
                        };
                        return Next::Wait(Phase::Lead(lead));
                    }
                },
            }
        }
    }

    /// The lead found the first separator, at `at`, of the family `style`: give out the
    /// byte-order mark and the bytes before it as gaps, then read records from it.
    fn decide(&mut self, style: Style, at: u64, lead: Lead) -> Next {
        self.style = Some(style);
        self.first = Some(at);
        if lead.bom > 0 {
            self.lead_gap_end = (at > lead.bom).then_some(at);
            return Next::Emit(Record {
                extent: Span::new(0, lead.bom),
                kind: RecordKind::Gap(GapReason::ByteOrderMark),
            });
        }
        if at > 0 {
            return Next::Emit(Record {
                extent: Span::new(0, at),
                kind: RecordKind::Gap(GapReason::Junk),
            });
        }
        self.pos = 0;
        Next::Continue(Phase::Start)
    }

    fn start(&mut self, win: &Window<'_>) -> Next {
        let pos = self.pos;
        if let Some(end) = self.lead_gap_end.take()
            && end > pos
        {
            return Next::Emit(Record {
                extent: Span::new(pos, end),
                kind: RecordKind::Gap(GapReason::Junk),
            });
        }
        let Some(style) = self.style else {
            // Only after a whole-input record: nothing follows.
            return Next::End;
        };
        if pos >= win.end() {
            return if win.eof {
                Next::End
            } else {
                Next::Wait(Phase::Start)
            };
        }
        let Some(line) = win.line_at(pos) else {
            return Next::Wait(Phase::Start);
        };
        let Ok(separator) = separator_at(style, win, &line) else {
            return Next::Wait(Phase::Start);
        };
        match separator {
            Some(from_line) => Next::Continue(Phase::Message(Box::new(MessageState {
                start: pos,
                sep_end: line.next,
                from_line,
                anomalies: Vec::new(),
                header: None,
                header_scan: line.next,
                length_field: None,
                scan: line.next,
                found: None,
                length_scanned: false,
                quoted: false,
                deep_quoted: false,
                unquoted: 0,
            }))),
            None => Next::Continue(Phase::Gap {
                start: pos,
                reason: GapReason::Junk,
                scan: if line.complete { line.next } else { pos + 1 },
            }),
        }
    }

    fn gap(&mut self, win: &Window<'_>, start: u64, reason: GapReason, mut scan: u64) -> Next {
        let style = self.style.unwrap_or(Style::Mbox);
        loop {
            let candidate = match style {
                Style::Mbox => next_line_start_hit(win, &self.from_finder, scan, start),
                Style::Mmdf => next_mmdf_candidate(win, scan, start),
            };
            let Some(at) = candidate else {
                if win.eof {
                    return Next::Emit(Record {
                        extent: Span::new(start, win.end()),
                        kind: RecordKind::Gap(reason),
                    });
                }
                scan = scan.max(win.end().saturating_sub(5));
                return Next::Wait(Phase::Gap {
                    start,
                    reason,
                    scan,
                });
            };
            let Some(line) = win.line_at(at) else {
                return Next::Wait(Phase::Gap {
                    start,
                    reason,
                    scan: at,
                });
            };
            let Ok(separator) = separator_at(style, win, &line) else {
                return Next::Wait(Phase::Gap {
                    start,
                    reason,
                    scan: at,
                });
            };
            if separator.is_some() {
                return Next::Emit(Record {
                    extent: Span::new(start, at),
                    kind: RecordKind::Gap(reason),
                });
            }
            scan = at + 1;
        }
    }

    fn message(&mut self, win: &Window<'_>, mut m: Box<MessageState>) -> Next {
        if m.header.is_none() {
            match self.find_header_end(win, &mut m) {
                Some(h) => m.header = Some(h),
                None => return Next::Wait(Phase::Message(m)),
            }
        }
        let Some(mut header) = m.header else {
            return Next::Wait(Phase::Message(m));
        };
        if !header.decided {
            header.decided = true;
            if let Some((target, field)) = header.content_length {
                // Scan up to the Content-Length target: keep the first separator found in
                // case the length turns out to be wrong, and look on for a separator that
                // a header field follows (honouring the length would swallow a message).
                if !m.length_scanned {
                    match self.scan_body(win, &mut m, target, true) {
                        ScanResult::Swallowed => {
                            m.anomalies.push(Anomaly {
                                code: AnomalyCode::ContentLengthMismatch,
                                span: field,
                            });
                            m.header = Some(header);
                            if let Some(b) = m.found {
                                return Next::Emit(self.finish(win, *m, b, None));
                            }
                        }
                        ScanResult::Found(_) | ScanResult::Reached => m.length_scanned = true,
                        ScanResult::NeedMore if win.eof => m.length_scanned = true,
                        ScanResult::NeedMore => {
                            // Judge every line before the target first, so the outcome does
                            // not depend on how the input was cut into windows.
                            header.decided = false;
                            m.header = Some(header);
                            return Next::Wait(Phase::Message(m));
                        }
                    }
                }
                if m.length_scanned {
                    match content_length_end(win, target) {
                        CheckResult::NeedMore => {
                            header.decided = false;
                            m.header = Some(header);
                            return Next::Wait(Phase::Message(m));
                        }
                        CheckResult::Consistent(b) => {
                            // Unquoted From lines (even ones that would have split the
                            // message) inside the counted body, and no quoting: mboxcl2.
                            let cl2 = (m.unquoted > 0 || m.found.is_some()) && !m.quoted;
                            m.anomalies
                                .retain(|a| a.code != AnomalyCode::UnquotedFromLine);
                            let format = if cl2 { Format::Mboxcl2 } else { Format::Mboxcl };
                            return Next::Emit(self.finish(win, *m, b, Some(format)));
                        }
                        CheckResult::Inconsistent { truncated } => m.anomalies.push(Anomaly {
                            code: if truncated {
                                AnomalyCode::Truncated
                            } else {
                                AnomalyCode::ContentLengthMismatch
                            },
                            span: field,
                        }),
                    }
                }
            }
            m.header = Some(header);
        }
        if let Some(b) = m.found {
            return Next::Emit(self.finish(win, *m, b, None));
        }
        match self.scan_body(win, &mut m, u64::MAX, false) {
            ScanResult::Found(b) => Next::Emit(self.finish(win, *m, b, None)),
            ScanResult::NeedMore | ScanResult::Reached | ScanResult::Swallowed => {
                if win.eof {
                    let b = if self.style == Some(Style::Mmdf) {
                        // No closing marker: the message was cut short.
                        m.anomalies.push(Anomaly {
                            code: AnomalyCode::Truncated,
                            span: Span::new(win.end(), win.end()),
                        });
                        Boundary {
                            message_end: win.end(),
                            next: win.end(),
                            without_blank: false,
                        }
                    } else {
                        eof_boundary(win, m.sep_end)
                    };
                    Next::Emit(self.finish(win, *m, b, None))
                } else {
                    Next::Wait(Phase::Message(m))
                }
            }
        }
    }

    /// Find the empty line that ends the header block and read Content-Length.
    /// `None` means more input is needed.
    fn find_header_end(&self, win: &Window<'_>, m: &mut MessageState) -> Option<HeaderInfo> {
        let no_length = HeaderInfo {
            content_length: None,
            decided: false,
        };
        if self.style == Some(Style::Mmdf) {
            return Some(no_length);
        }
        let limit = m.sep_end + HEADER_SEARCH_LIMIT;
        let mut pos = m.header_scan;
        // One pass over the line ends of the header block.
        loop {
            if pos >= limit {
                return Some(no_length);
            }
            let (content_end, next) = match line_end_from(win, pos) {
                LineEnd::At { content_end, next } => (content_end, next),
                LineEnd::None => return Some(no_length),
                LineEnd::NeedMore => return None,
            };
            let start = pos;
            pos = next;
            m.header_scan = pos;
            if next - 1 - start >= MAX_LINE as u64 {
                // A line too long to matter: skipped.
                continue;
            }
            let content = win.slice(start..content_end);
            if content.is_empty() {
                let content_length = m.length_field.and_then(|(len, span): (u64, Span)| {
                    let target = pos.checked_add(len)?;
                    (target - m.start <= self.max_message).then_some((target, span))
                });
                return Some(HeaderInfo {
                    content_length,
                    decided: false,
                });
            }
            if content.starts_with(b"From ") || content == MMDF_MARKER {
                // A possible separator before any empty line: no usable header block.
                return Some(no_length);
            }
            if content.len() > 15 && content[..15].eq_ignore_ascii_case(b"content-length:") {
                let digits = trim(&content[15..]);
                if !digits.is_empty() && digits.len() <= 15 && digits.iter().all(u8::is_ascii_digit)
                {
                    let value = digits
                        .iter()
                        .fold(0u64, |v, d| v * 10 + u64::from(d - b'0'));
                    m.length_field = Some((value, Span::new(start, pos)));
                }
            }
        }
    }

    /// Search for the next accepted separator at or after `m.scan`, not looking at separator
    /// candidates that start at or after `stop`. With `to_stop` (checking a Content-Length),
    /// the first separator found is kept in `m.found` and the search goes on to `stop`,
    /// noting nothing more about the message, unless a separator that the header of a
    /// message follows (`message_header_after`) comes first ([`ScanResult::Swallowed`]).
    fn scan_body(
        &mut self,
        win: &Window<'_>,
        m: &mut MessageState,
        stop: u64,
        to_stop: bool,
    ) -> ScanResult {
        loop {
            if m.scan >= stop {
                return ScanResult::Reached;
            }
            if m.scan >= win.end() {
                return ScanResult::NeedMore;
            }
            // The first line of the message is a line start too.
            let candidate = match self.style.unwrap_or(Style::Mbox) {
                Style::Mbox => self.next_from_candidate(win, m, stop),
                Style::Mmdf => next_mmdf_candidate(win, m.scan, m.sep_end),
            };
            let Some(cand) = candidate else {
                // Nothing in the window: keep the last few bytes in view for a split needle.
                m.scan = m.scan.max(win.end().saturating_sub(5));
                return ScanResult::NeedMore;
            };
            if cand >= stop {
                m.scan = stop;
                return ScanResult::Reached;
            }
            match self.judge(win, m, cand) {
                Judgement::NeedMore => {
                    m.scan = cand;
                    return ScanResult::NeedMore;
                }
                Judgement::Separator(b) if !to_stop => {
                    m.scan = cand;
                    return ScanResult::Found(b);
                }
                Judgement::Separator(b) => {
                    match message_header_after(win, cand) {
                        Err(()) => {
                            m.scan = cand;
                            return ScanResult::NeedMore;
                        }
                        Ok(true) => {
                            m.found.get_or_insert(b);
                            m.scan = cand;
                            return ScanResult::Swallowed;
                        }
                        Ok(false) => {}
                    }
                    m.found.get_or_insert(b);
                    m.scan = cand + 1;
                }
                Judgement::Body(next) => m.scan = next,
            }
        }
    }

    /// The next `From ` at a line start (noting `>From ` quoting on the way, up to the first
    /// separator found).
    fn next_from_candidate(
        &mut self,
        win: &Window<'_>,
        m: &mut MessageState,
        stop: u64,
    ) -> Option<u64> {
        let from = m.scan;
        let hay = win.from(from);
        for i in self.from_finder.find_iter(hay) {
            let at = from + i as u64;
            if at >= stop {
                return Some(at);
            }
            if at == m.sep_end || ends_line(win.byte(at - 1)) {
                return Some(at);
            }
            if m.found.is_some() {
                continue;
            }
            // Quoted `>From ` lines: how deep?
            let mut q = at;
            while q > m.sep_end && win.byte(q - 1) == Some(b'>') {
                q -= 1;
            }
            if q < at && (q == m.sep_end || ends_line(win.byte(q - 1))) {
                m.quoted = true;
                if at - q >= 2 {
                    m.deep_quoted = true;
                }
            }
        }
        None
    }

    /// Decide whether the line at `at` (a line start beginning with `From ` or an MMDF marker)
    /// separates messages.
    fn judge(&self, win: &Window<'_>, m: &mut MessageState, at: u64) -> Judgement {
        let Some(line) = win.line_at(at) else {
            return Judgement::NeedMore;
        };
        let content = win.slice(line.start..line.content_end);
        let mmdf = self.style == Some(Style::Mmdf);
        if !line.complete {
            // An unterminated last line, or a line too long to be a separator: text,
            // unless it is a closing MMDF marker at the very end.
            if mmdf && content == MMDF_MARKER && line.next == win.end() {
                return Judgement::Separator(mmdf_boundary(at, win.end()));
            }
            if mmdf {
                return Judgement::Body(line.next);
            }
            return self.body_line(m, at, line.next);
        }
        if mmdf {
            if content == MMDF_MARKER {
                return Judgement::Separator(mmdf_boundary(at, line.next));
            }
            return Judgement::Body(line.next);
        }
        let Some(parsed) = parse_from_line(content) else {
            return self.body_line(m, at, line.next);
        };
        let (blank, blank_len) = blank_line_before(win, at, m.sep_end);
        let after_boundary = at == m.sep_end;
        if parsed.bare && !(blank || after_boundary) {
            return self.body_line(m, at, line.next);
        }
        if (blank || after_boundary) && !parsed.bare {
            return Judgement::Separator(Boundary {
                message_end: at - blank_len,
                next: at,
                without_blank: false,
            });
        }
        // No blank line before: a separator only if a header field follows.
        match win.line_at(line.next) {
            None if !win.eof => Judgement::NeedMore,
            None => self.body_line(m, at, line.next),
            Some(next) => {
                // Judged on its first MAX_LINE bytes, whether complete or not.
                if looks_like_field(win.slice(next.start..next.content_end)) {
                    Judgement::Separator(Boundary {
                        message_end: at - blank_len,
                        next: at,
                        without_blank: !(blank || after_boundary),
                    })
                } else {
                    self.body_line(m, at, line.next)
                }
            }
        }
    }

    fn body_line(&self, m: &mut MessageState, at: u64, next: u64) -> Judgement {
        if m.found.is_none() {
            m.unquoted += 1;
            m.anomalies.push(Anomaly {
                code: AnomalyCode::UnquotedFromLine,
                span: Span::new(at, next),
            });
        }
        Judgement::Body(next)
    }

    fn finish(
        &mut self,
        win: &Window<'_>,
        mut m: MessageState,
        b: Boundary,
        cl_format: Option<Format>,
    ) -> Record {
        let message = Span::new(m.sep_end, b.message_end);
        // Each message is judged on its own bytes, so that reading can start at any record.
        let format = match (self.style, cl_format) {
            (Some(Style::Mmdf), _) => Format::Mmdf,
            (_, Some(f)) => f,
            _ if m.deep_quoted => Format::Mboxrd,
            _ => Format::Mboxo,
        };
        if b.without_blank
            && let Some(next) = win.line_at(b.next)
        {
            m.anomalies.push(Anomaly {
                code: AnomalyCode::SeparatorWithoutBlankLine,
                span: Span::new(b.next, next.next),
            });
        }
        if message.is_empty() {
            m.anomalies.push(Anomaly {
                code: AnomalyCode::EmptyMessage,
                span: message,
            });
        } else if b.next >= win.end() && !ends_line(win.byte(message.end - 1)) {
            m.anomalies.push(Anomaly {
                code: AnomalyCode::NoFinalNewline,
                span: Span::new(message.end - 1, message.end),
            });
        }
        m.anomalies.sort_by_key(|a| a.span);
        let abs = |r: &Range<usize>| Span::new(m.start + r.start as u64, m.start + r.end as u64);
        let (envelope_sender, envelope_date) = match &m.from_line {
            Some(f) => (f.sender.as_ref().map(abs), f.date.as_ref().map(abs)),
            None => (None, None),
        };
        Record {
            extent: Span::new(m.start, b.next),
            kind: RecordKind::Message(MessageBounds {
                separator: Span::new(m.start, m.sep_end),
                message,
                envelope_sender,
                envelope_date,
                format,
                anomalies: m.anomalies,
            }),
        }
    }
}

/// The record for an input that holds no separator.
fn whole(win: &Window<'_>, lead: Lead) -> Record {
    Record {
        extent: Span::new(0, win.end()),
        kind: RecordKind::Whole {
            message: lead.message,
        },
    }
}

/// Whether the line starts a record of `style` (at the start of input or after a gap); for
/// mbox, the separator's parts. `Err(())` when more input is needed to tell.
fn separator_at(
    style: Style,
    win: &Window<'_>,
    line: &Line,
) -> Result<Option<Option<FromLine>>, ()> {
    if !line.complete {
        return Ok(None);
    }
    let content = win.slice(line.start..line.content_end);
    match style {
        Style::Mmdf => Ok((content == MMDF_MARKER).then_some(None)),
        Style::Mbox => match parse_from_line(content) {
            Some(f) if f.bare => match win.line_at(line.next) {
                None if !win.eof => Err(()),
                Some(next) if looks_like_field(win.slice(next.start..next.content_end)) => {
                    Ok(Some(Some(f)))
                }
                _ => Ok(None),
            },
            other => Ok(other.map(Some)),
        },
    }
}

/// Whether the line at `at` is a strong separator (see the module documentation), and of
/// which family. `Err(())` when more input is needed to tell.
fn strong_separator_at(win: &Window<'_>, at: u64) -> Result<Option<Style>, ()> {
    let Some(line) = win.line_at(at) else {
        return Err(());
    };
    if !line.complete {
        return Ok(None);
    }
    let content = win.slice(line.start..line.content_end);
    let style = if content == MMDF_MARKER {
        Style::Mmdf
    } else if content.starts_with(b"From ")
        && parse_from_line(content).is_some_and(|f| !f.bare && f.date.is_some())
    {
        Style::Mbox
    } else {
        return Ok(None);
    };
    Ok(message_header_after(win, at)?.then_some(style))
}

/// Header fields whose presence makes lines after a separator the header of a message.
const MESSAGE_FIELDS: [&[u8]; 8] = [
    b"from",
    b"date",
    b"subject",
    b"message-id",
    b"to",
    b"received",
    b"return-path",
    b"sender",
];

/// How many lines after a separator are looked at for a message's header.
pub(crate) const HEADER_LOOKAHEAD: usize = 64;

/// Whether `line` is a header field named in [`MESSAGE_FIELDS`].
pub(crate) fn names_message_field(line: &[u8]) -> bool {
    looks_like_field(line)
        && memchr::memchr(b':', line)
            .and_then(|colon| line.get(..colon))
            .is_some_and(|name| MESSAGE_FIELDS.iter().any(|f| name.eq_ignore_ascii_case(f)))
}

/// Whether the (complete) line at `at` is followed by the header of a message: header field
/// lines (folded or not, at most [`HEADER_LOOKAHEAD`]) among which one is named in
/// [`MESSAGE_FIELDS`]. `Err(())` when more input is needed to tell.
fn message_header_after(win: &Window<'_>, at: u64) -> Result<bool, ()> {
    let Some(line) = win.line_at(at) else {
        return Err(());
    };
    let mut pos = line.next;
    for i in 0..HEADER_LOOKAHEAD {
        let Some(l) = win.line_at(pos) else {
            return if win.eof { Ok(false) } else { Err(()) };
        };
        let content = win.slice(l.start..l.content_end);
        let folded = i > 0 && matches!(content.first(), Some(b' ' | b'\t'));
        if !folded {
            if !looks_like_field(content) {
                return Ok(false);
            }
            if names_message_field(content) {
                return Ok(true);
            }
        }
        if !l.complete {
            return Ok(false);
        }
        pos = l.next;
    }
    Ok(false)
}

enum Next {
    Continue(Phase),
    Wait(Phase),
    Emit(Record),
    End,
}

enum ScanResult {
    Found(Boundary),
    /// A separator that a message's header follows lies before the Content-Length target.
    Swallowed,
    NeedMore,
    Reached,
}

enum Judgement {
    Separator(Boundary),
    Body(u64),
    NeedMore,
}

enum CheckResult {
    Consistent(Boundary),
    Inconsistent { truncated: bool },
    NeedMore,
}

/// A line: its start, the end of its content (line ending excluded), and the next line's start.
struct Line {
    start: u64,
    content_end: u64,
    next: u64,
    /// Whether the line ends with a line ending within [`MAX_LINE`] bytes.
    complete: bool,
}

/// The next line ending, searched without a length limit.
enum LineEnd {
    /// Found: the end of the line's content and the start of the next line.
    At { content_end: u64, next: u64 },
    /// None before the end of input.
    None,
    /// None in the window, or a CR at its end: more input is needed.
    NeedMore,
}

/// Whether `b` is a byte that ends a line (LF, or CR: a CR at a line start's left is a CR
/// that no LF follows, since the line start itself is not an LF).
fn ends_line(b: Option<u8>) -> bool {
    matches!(b, Some(b'\n' | b'\r'))
}

/// The bytes the driver has handed over.
struct Window<'a> {
    buf: &'a [u8],
    base: u64,
    eof: bool,
}

impl Window<'_> {
    fn end(&self) -> u64 {
        self.base + self.buf.len() as u64
    }

    fn idx(&self, pos: u64) -> usize {
        // Callers never ask for bytes before `base`; clamp instead of panicking.
        usize::try_from(pos.saturating_sub(self.base))
            .unwrap_or(usize::MAX)
            .min(self.buf.len())
    }

    fn from(&self, pos: u64) -> &[u8] {
        &self.buf[self.idx(pos)..]
    }

    fn slice(&self, r: Range<u64>) -> &[u8] {
        let s = self.idx(r.start);
        let e = self.idx(r.end).max(s);
        &self.buf[s..e]
    }

    fn byte(&self, pos: u64) -> Option<u8> {
        if pos < self.base {
            return None;
        }
        self.buf
            .get(usize::try_from(pos - self.base).ok()?)
            .copied()
    }

    /// The line starting at `pos`, seen through at most [`MAX_LINE`] bytes. At end of input
    /// the unterminated last line; a line longer than the limit is returned cut, with
    /// `complete` false. `None` when more input is needed to tell.
    fn line_at(&self, pos: u64) -> Option<Line> {
        let rest = self.from(pos);
        let look = &rest[..rest.len().min(MAX_LINE)];
        if let Some(i) = memchr::memchr2(b'\n', b'\r', look) {
            let at = pos + i as u64;
            let complete = |content_end: u64, next: u64| Line {
                start: pos,
                content_end,
                next,
                complete: true,
            };
            if look[i] == b'\n' {
                return Some(complete(at, at + 1));
            }
            match rest.get(i + 1) {
                // CRLF, with the LF inside the limit.
                Some(b'\n') if i + 1 < MAX_LINE => return Some(complete(at, at + 2)),
                // CRLF whose LF lies past the limit: a line too long, cut below.
                Some(b'\n') => {}
                // A CR of its own.
                Some(_) => return Some(complete(at, at + 1)),
                None if self.eof => return Some(complete(at, at + 1)),
                None => return None,
            }
        }
        if (self.eof && !rest.is_empty()) || rest.len() >= MAX_LINE {
            let end = pos + look.len() as u64;
            return Some(Line {
                start: pos,
                content_end: end,
                next: end,
                complete: false,
            });
        }
        None
    }
}

/// The first line ending at or after `pos`, however far.
fn line_end_from(win: &Window<'_>, pos: u64) -> LineEnd {
    let hay = win.from(pos);
    let Some(i) = memchr::memchr2(b'\n', b'\r', hay) else {
        return if win.eof {
            LineEnd::None
        } else {
            LineEnd::NeedMore
        };
    };
    let at = pos + i as u64;
    if hay[i] == b'\n' {
        return LineEnd::At {
            content_end: at,
            next: at + 1,
        };
    }
    match win.byte(at + 1) {
        Some(b'\n') => LineEnd::At {
            content_end: at,
            next: at + 2,
        },
        Some(_) => LineEnd::At {
            content_end: at,
            next: at + 1,
        },
        None if win.eof => LineEnd::At {
            content_end: at,
            next: at + 1,
        },
        None => LineEnd::NeedMore,
    }
}

/// The start of the line after the one that `pos` is in: `Ok(None)` when no line follows,
/// `Err(resume)` when more input is needed (the search resumes at `resume`).
fn next_line_start(win: &Window<'_>, pos: u64) -> Result<Option<u64>, u64> {
    match line_end_from(win, pos) {
        LineEnd::At { next, .. } if next >= win.end() && win.eof => Ok(None),
        LineEnd::At { next, .. } => Ok(Some(next)),
        LineEnd::None => Ok(None),
        // Resume at the CR that may be the first half of a CRLF, or at the window's end.
        LineEnd::NeedMore => Err(win.end().saturating_sub(1).max(pos)),
    }
}

/// Whether the line starting at `at` follows an empty line (inside the message, which starts
/// at `msg_start`), and the length of that empty line.
fn blank_line_before(win: &Window<'_>, at: u64, msg_start: u64) -> (bool, u64) {
    if at <= msg_start {
        return (false, 0);
    }
    // The line ending just before `at`.
    let len = match win.byte(at - 1) {
        Some(b'\n') if at >= msg_start + 2 && win.byte(at - 2) == Some(b'\r') => 2,
        Some(b'\n' | b'\r') => 1,
        _ => return (false, 0),
    };
    let before = at - len;
    if before == msg_start || ends_line(win.byte(before - 1)) {
        (true, len)
    } else {
        (false, 0)
    }
}

/// The boundary at end of input: the message keeps everything but one trailing empty line.
fn eof_boundary(win: &Window<'_>, msg_start: u64) -> Boundary {
    let end = win.end();
    let (_, blank_len) = blank_line_before(win, end, msg_start);
    Boundary {
        message_end: end - blank_len,
        next: end,
        without_blank: false,
    }
}

fn mmdf_boundary(marker: u64, after: u64) -> Boundary {
    Boundary {
        message_end: marker,
        next: after,
        without_blank: false,
    }
}

/// The next `From ` hit at or after `from` that starts a line (`region_start` counts as one).
fn next_line_start_hit(
    win: &Window<'_>,
    finder: &memmem::Finder<'_>,
    from: u64,
    region_start: u64,
) -> Option<u64> {
    finder
        .find_iter(win.from(from))
        .map(|i| from + i as u64)
        .find(|&at| at == region_start || ends_line(win.byte(at - 1)))
}

/// The next MMDF marker at or after `from` that starts a line (`region_start` counts as one).
fn next_mmdf_candidate(win: &Window<'_>, from: u64, region_start: u64) -> Option<u64> {
    memmem::find_iter(win.from(from), MMDF_MARKER)
        .map(|i| from + i as u64)
        .find(|&at| at == region_start || ends_line(win.byte(at - 1)))
}

/// Check the bytes where Content-Length says the message ends: the end of input or a `From `
/// line, right there or after one empty line.
fn content_length_end(win: &Window<'_>, target: u64) -> CheckResult {
    if target > win.end() {
        return if win.eof {
            CheckResult::Inconsistent { truncated: true }
        } else {
            CheckResult::NeedMore
        };
    }
    let rest = win.from(target);
    for (prefix, skip) in [(&b""[..], 0u64), (b"\n", 1), (b"\r\n", 2), (b"\r", 1)] {
        let boundary = CheckResult::Consistent(Boundary {
            message_end: target,
            next: target + skip,
            without_blank: false,
        });
        let mut pattern = prefix.to_vec();
        pattern.extend_from_slice(b"From ");
        if rest.starts_with(&pattern) {
            return boundary;
        }
        if rest.len() < pattern.len() {
            if win.eof && rest == prefix {
                return boundary;
            }
            if !win.eof && pattern.starts_with(rest) {
                return CheckResult::NeedMore;
            }
        }
    }
    CheckResult::Inconsistent { truncated: false }
}

fn looks_like_field(line: &[u8]) -> bool {
    match memchr::memchr(b':', line) {
        Some(colon) if colon > 0 => line[..colon].iter().all(|&b| (33..=126).contains(&b)),
        _ => false,
    }
}

fn trim(b: &[u8]) -> &[u8] {
    let s = b
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(b.len());
    let e = b
        .iter()
        .rposition(|c| !c.is_ascii_whitespace())
        .map_or(s, |i| i + 1);
    &b[s..e]
}
