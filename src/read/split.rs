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
//! the first separator). Records are contiguous: together they cover the input exactly.

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
    /// Bytes before the first separator, or between MMDF messages, that are not a separator.
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
    style: Style,
    max_message: u64,
    pos: u64,
    started: bool,
    phase: Phase,
    from_finder: memmem::Finder<'static>,
}

/// What the first bytes of an input say about its family.
pub(crate) fn sniff(head: &[u8]) -> Option<Style> {
    let head = head.strip_prefix(BOM).unwrap_or(head);
    let start = head
        .iter()
        .position(|&b| b != b'\n' && b != b'\r')
        .unwrap_or(head.len());
    let first = &head[start..];
    let line = &first[..memchr::memchr(b'\n', first).unwrap_or(first.len())];
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    if line == MMDF_MARKER {
        return Some(Style::Mmdf);
    }
    let parsed = parse_from_line(line)?;
    if parsed.bare {
        let after = first.get(line.len()..).unwrap_or_default();
        let after = after.strip_prefix(b"\r").unwrap_or(after);
        let after = after.strip_prefix(b"\n").unwrap_or(after);
        let next = &after[..memchr::memchr(b'\n', after).unwrap_or(after.len())];
        if !looks_like_field(next) {
            return None;
        }
    }
    Some(Style::Mbox)
}

impl Splitter {
    /// A splitter for one input of the given family, starting at absolute offset 0.
    pub fn new(style: Style, max_message: u64) -> Self {
        Self::starting_at(style, max_message, 0)
    }

    /// A splitter that starts at `offset`, which must be the start of a record (reported by
    /// an earlier scan). Byte-order marks are only looked for at offset 0.
    pub fn starting_at(style: Style, max_message: u64, offset: u64) -> Self {
        Splitter {
            style,
            max_message: max_message.max(HEADER_SEARCH_LIMIT),
            pos: offset,
            started: offset > 0,
            phase: Phase::Start,
            from_finder: memmem::Finder::new(b"From "),
        }
    }

    /// The earliest absolute offset the splitter may still read. A driver that does not need
    /// the current record's bytes (because it is over the size limit) may drop bytes before it.
    pub fn keep_from(&self) -> u64 {
        match &self.phase {
            Phase::Start => self.pos,
            Phase::Gap { scan, .. } => scan.saturating_sub(3).max(self.pos),
            Phase::Message(m) => match m.header {
                None => m.start,
                Some(h) if !h.decided => m.start,
                Some(_) => m.scan.saturating_sub(3).max(m.start),
            },
        }
    }

    /// A lower bound on the length of the message being read: once it passes the size limit,
    /// the message is certainly too large and its bytes need not be kept.
    pub fn min_message_len(&self) -> u64 {
        match &self.phase {
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

    fn start(&mut self, win: &Window<'_>) -> Next {
        let pos = self.pos;
        if pos >= win.end() {
            return if win.eof {
                Next::End
            } else {
                Next::Wait(Phase::Start)
            };
        }
        if !self.started {
            let head = win.from(pos);
            if head.len() < BOM.len() && BOM.starts_with(head) && !win.eof {
                return Next::Wait(Phase::Start);
            }
            self.started = true;
            if head.starts_with(BOM) {
                return Next::Emit(Record {
                    extent: Span::new(pos, pos + BOM.len() as u64),
                    kind: RecordKind::Gap(GapReason::ByteOrderMark),
                });
            }
        }
        let Some(line) = win.line_at(pos) else {
            return Next::Wait(Phase::Start);
        };
        let Ok(separator) = self.separator_at(win, &line) else {
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

    /// Whether the line starts a record (at the start of input or after a gap); for mbox,
    /// the separator's parts. `Err(())` when more input is needed to tell.
    #[allow(clippy::result_unit_err)]
    fn separator_at(&self, win: &Window<'_>, line: &Line) -> Result<Option<Option<FromLine>>, ()> {
        if !line.complete {
            return Ok(None);
        }
        let content = win.slice(line.start..line.content_end);
        match self.style {
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

    fn gap(&mut self, win: &Window<'_>, start: u64, reason: GapReason, mut scan: u64) -> Next {
        loop {
            let candidate = match self.style {
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
            let Ok(separator) = self.separator_at(win, &line) else {
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
                // Scan up to the Content-Length target, keeping the first separator found
                // in case the length turns out to be wrong.
                if m.found.is_none() {
                    match self.scan_body(win, &mut m, target) {
                        ScanResult::Found(b) => m.found = Some(b),
                        ScanResult::Reached => {}
                        ScanResult::NeedMore if win.eof => {}
                        ScanResult::NeedMore => {
                            // Judge every line before the target first, so the outcome does
                            // not depend on how the input was cut into windows.
                            header.decided = false;
                            m.header = Some(header);
                            return Next::Wait(Phase::Message(m));
                        }
                    }
                }
                match content_length_end(win, target) {
                    CheckResult::NeedMore => {
                        header.decided = false;
                        m.header = Some(header);
                        return Next::Wait(Phase::Message(m));
                    }
                    CheckResult::Consistent(b) => {
                        // Unquoted From lines (even ones that would have split the message)
                        // inside the counted body, and no quoting: mboxcl2.
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
            m.header = Some(header);
        }
        if let Some(b) = m.found {
            return Next::Emit(self.finish(win, *m, b, None));
        }
        match self.scan_body(win, &mut m, u64::MAX) {
            ScanResult::Found(b) => Next::Emit(self.finish(win, *m, b, None)),
            ScanResult::NeedMore | ScanResult::Reached => {
                if win.eof {
                    let b = if self.style == Style::Mmdf {
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
        if self.style == Style::Mmdf {
            return Some(no_length);
        }
        let limit = m.sep_end + HEADER_SEARCH_LIMIT;
        let mut pos = m.header_scan;
        if pos >= limit {
            return Some(no_length);
        }
        // One pass over the line ends of the header block.
        let from = pos;
        for i in memchr::memchr_iter(b'\n', win.from(from)) {
            let nl = from + i as u64;
            let start = pos;
            pos = nl + 1;
            m.header_scan = pos;
            if nl - start >= MAX_LINE as u64 {
                // A line too long to matter: skipped.
            } else {
                let content_end = if nl > start && win.byte(nl - 1) == Some(b'\r') {
                    nl - 1
                } else {
                    nl
                };
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
                    if !digits.is_empty()
                        && digits.len() <= 15
                        && digits.iter().all(u8::is_ascii_digit)
                    {
                        let value = digits
                            .iter()
                            .fold(0u64, |v, d| v * 10 + u64::from(d - b'0'));
                        m.length_field = Some((value, Span::new(start, pos)));
                    }
                }
            }
            if pos >= limit {
                return Some(no_length);
            }
        }
        // No line end in the rest of the window.
        if win.eof {
            return Some(no_length);
        }
        None
    }

    /// Search for the next accepted separator at or after `m.scan`, not looking at separator
    /// candidates that start at or after `stop`.
    fn scan_body(&mut self, win: &Window<'_>, m: &mut MessageState, stop: u64) -> ScanResult {
        loop {
            if m.scan >= stop {
                return ScanResult::Reached;
            }
            if m.scan >= win.end() {
                return ScanResult::NeedMore;
            }
            // The first line of the message is a line start too.
            let candidate = match self.style {
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
                Judgement::Separator(b) => {
                    m.scan = cand;
                    return ScanResult::Found(b);
                }
                Judgement::Body(next) => m.scan = next,
            }
        }
    }

    /// The next `From ` at a line start (noting `>From ` quoting on the way).
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
            if at == m.sep_end || win.byte(at - 1) == Some(b'\n') {
                return Some(at);
            }
            // Quoted `>From ` lines: how deep?
            let mut q = at;
            while q > m.sep_end && win.byte(q - 1) == Some(b'>') {
                q -= 1;
            }
            if q < at && (q == m.sep_end || win.byte(q - 1) == Some(b'\n')) {
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
        if !line.complete {
            // An unterminated last line, or a line too long to be a separator: text,
            // unless it is a closing MMDF marker at the very end.
            if self.style == Style::Mmdf && content == MMDF_MARKER && line.next == win.end() {
                return Judgement::Separator(mmdf_boundary(at, win.end()));
            }
            if self.style == Style::Mmdf {
                return Judgement::Body(line.next);
            }
            return self.body_line(m, at, line.next);
        }
        if self.style == Style::Mmdf {
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
        m.unquoted += 1;
        m.anomalies.push(Anomaly {
            code: AnomalyCode::UnquotedFromLine,
            span: Span::new(at, next),
        });
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
            (Style::Mmdf, _) => Format::Mmdf,
            (_, Some(f)) => f,
            _ if m.deep_quoted => Format::Mboxrd,
            _ => Format::Mboxo,
        };
        if b.without_blank {
            if let Some(next) = win.line_at(b.next) {
                m.anomalies.push(Anomaly {
                    code: AnomalyCode::SeparatorWithoutBlankLine,
                    span: Span::new(b.next, next.next),
                });
            }
        }
        if message.is_empty() {
            m.anomalies.push(Anomaly {
                code: AnomalyCode::EmptyMessage,
                span: message,
            });
        } else if b.next >= win.end() && win.byte(message.end - 1) != Some(b'\n') {
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

enum Next {
    Continue(Phase),
    Wait(Phase),
    Emit(Record),
    End,
}

enum ScanResult {
    Found(Boundary),
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
        match memchr::memchr(b'\n', look) {
            Some(i) => {
                let nl = pos + i as u64;
                let content_end = if i > 0 && look[i - 1] == b'\r' {
                    nl - 1
                } else {
                    nl
                };
                Some(Line {
                    start: pos,
                    content_end,
                    next: nl + 1,
                    complete: true,
                })
            }
            None if (self.eof && !rest.is_empty()) || rest.len() >= MAX_LINE => {
                let end = pos + look.len() as u64;
                Some(Line {
                    start: pos,
                    content_end: end,
                    next: end,
                    complete: false,
                })
            }
            None => None,
        }
    }
}

/// Whether the line starting at `at` follows an empty line (inside the message, which starts
/// at `msg_start`), and the length of that empty line.
fn blank_line_before(win: &Window<'_>, at: u64, msg_start: u64) -> (bool, u64) {
    if at >= msg_start + 2 && win.byte(at - 1) == Some(b'\n') {
        if win.byte(at - 2) == Some(b'\n') {
            return (true, 1);
        }
        if at >= msg_start + 3 && win.byte(at - 2) == Some(b'\r') && win.byte(at - 3) == Some(b'\n')
        {
            return (true, 2);
        }
    }
    if at == msg_start + 1 && win.byte(msg_start) == Some(b'\n') {
        return (true, 1);
    }
    if at == msg_start + 2 && win.slice(msg_start..at) == b"\r\n" {
        return (true, 2);
    }
    (false, 0)
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
        .find(|&at| at == region_start || win.byte(at - 1) == Some(b'\n'))
}

/// The next MMDF marker at or after `from` that starts a line (`region_start` counts as one).
fn next_mmdf_candidate(win: &Window<'_>, from: u64, region_start: u64) -> Option<u64> {
    memmem::find_iter(win.from(from), MMDF_MARKER)
        .map(|i| from + i as u64)
        .find(|&at| at == region_start || win.byte(at - 1) == Some(b'\n'))
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
    for (prefix, skip) in [(&b""[..], 0u64), (b"\n", 1), (b"\r\n", 2)] {
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
