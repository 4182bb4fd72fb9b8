//! An obviously correct reference splitter: the rules of [`super::split`] (the lead that
//! decides what the input is, line endings LF, CRLF and lone CR, separators, Content-Length)
//! applied line by line to a whole input held in memory, with no search tricks, no resumption
//! and no window. Property tests check that the fast core agrees with it on every input.

use super::format::{Format, parse_from_line};
use super::split::{
    GapReason, HEADER_LOOKAHEAD, HEADER_SEARCH_LIMIT, MAX_LINE, MessageBounds, Record, RecordKind,
    Style, names_message_field,
};
use crate::read::message::{Anomaly, AnomalyCode};
use crate::span::Span;

const MARKER: &[u8] = b"\x01\x01\x01\x01";

/// One line of the input.
#[derive(Clone, Copy)]
struct Line {
    start: usize,
    /// End of content (line ending excluded, or the cut at MAX_LINE bytes).
    content_end: usize,
    /// Start of the next line (for a cut line: the cut).
    next: usize,
    /// Ends with a line ending within MAX_LINE bytes.
    complete: bool,
}

/// The line starting at `pos` (which must be < data.len()). A line ends with LF, CRLF, or a
/// CR that no LF follows; it is complete when its line ending ends within MAX_LINE bytes.
fn line(data: &[u8], pos: usize) -> Line {
    let mut i = pos;
    while i < data.len() && i - pos < MAX_LINE {
        let ends = |content_end: usize, next: usize| Line {
            start: pos,
            content_end,
            next,
            complete: true,
        };
        match data[i] {
            b'\n' => return ends(i, i + 1),
            b'\r' if data.get(i + 1) == Some(&b'\n') => {
                if i + 1 - pos < MAX_LINE {
                    return ends(i, i + 2);
                }
                // The LF lies past the limit: the line is cut there.
                i += 1;
                break;
            }
            b'\r' => return ends(i, i + 1),
            _ => i += 1,
        }
    }
    Line {
        start: pos,
        content_end: i,
        next: i,
        complete: false,
    }
}

/// The start of the line after the one at `pos`, however long: `None` when no line ending
/// follows.
fn next_line(data: &[u8], pos: usize) -> Option<usize> {
    (pos + 1..=data.len()).find(|&p| ends_before(data, p))
}

/// Whether a line ending ends just before `p`: an LF, or a CR not followed by an LF.
fn ends_before(data: &[u8], p: usize) -> bool {
    p > 0
        && match data[p - 1] {
            b'\n' => true,
            b'\r' => data.get(p) != Some(&b'\n'),
            _ => false,
        }
}

fn content(data: &[u8], l: Line) -> &[u8] {
    &data[l.start..l.content_end]
}

fn is_field(text: &[u8]) -> bool {
    match text.iter().position(|&b| b == b':') {
        Some(colon) => colon > 0 && text[..colon].iter().all(|&b| (33..=126).contains(&b)),
        None => false,
    }
}

/// Whether the (complete or not) line at `pos` looks like a header field; `false` at the end.
fn field_at(data: &[u8], pos: usize) -> bool {
    pos < data.len() && is_field(content(data, line(data, pos)))
}

/// Whether a line may start a record (start of input, after a gap).
fn starts_record(data: &[u8], style: Style, l: Line) -> bool {
    if !l.complete {
        return false;
    }
    let text = content(data, l);
    match style {
        Style::Mmdf => text == MARKER,
        Style::Mbox => match parse_from_line(text) {
            Some(f) if f.bare => field_at(data, l.next),
            Some(_) => true,
            None => false,
        },
    }
}

/// Whether the line at `pos` is a strong separator: an MMDF marker, or a `From ` line with a
/// sender and a date, followed by the header of a message.
fn strong(data: &[u8], pos: usize) -> Option<Style> {
    let l = line(data, pos);
    if !l.complete {
        return None;
    }
    let text = content(data, l);
    let style = if text == MARKER {
        Style::Mmdf
    } else if parse_from_line(text).is_some_and(|f| !f.bare && f.date.is_some()) {
        Style::Mbox
    } else {
        return None;
    };
    message_header_at(data, l.next).then_some(style)
}

/// Whether the lines from `pos` on are the header of a message: field lines (folded or
/// not), at most HEADER_LOOKAHEAD, one of them named like a message's field.
fn message_header_at(data: &[u8], mut pos: usize) -> bool {
    for i in 0..HEADER_LOOKAHEAD {
        if pos >= data.len() {
            return false;
        }
        let l = line(data, pos);
        let text = content(data, l);
        let folded = i > 0 && (text.first() == Some(&b' ') || text.first() == Some(&b'\t'));
        if !folded {
            if !is_field(text) {
                return false;
            }
            if names_message_field(text) {
                return true;
            }
        }
        if !l.complete {
            return false;
        }
        pos = l.next;
    }
    false
}

/// The empty line just before `at` inside a message starting at `msg`, and its length.
fn blank_before(data: &[u8], at: usize, msg: usize) -> usize {
    let inside = &data[msg..at];
    let len = if inside.ends_with(b"\r\n") {
        2
    } else if inside.ends_with(b"\n") || inside.ends_with(b"\r") {
        1
    } else {
        return 0;
    };
    let before = &inside[..inside.len() - len];
    if before.is_empty() || before.ends_with(b"\n") || before.ends_with(b"\r") {
        len
    } else {
        0
    }
}

/// Every line start in `[from, to)`: `from` itself and each position after a line ending.
fn line_starts(data: &[u8], from: usize, to: usize) -> impl Iterator<Item = usize> + '_ {
    (from..to.min(data.len())).filter(move |&p| p == from || ends_before(data, p))
}

/// Split a whole input the reference way.
pub(crate) fn split(data: &[u8], max_message: u64) -> Vec<Record> {
    let max_message = max_message.max(HEADER_SEARCH_LIMIT);
    let mut out = Vec::new();
    if data.is_empty() {
        return out;
    }
    // The lead: what the input is, and where its first separator is.
    let bom = if data.starts_with(b"\xEF\xBB\xBF") {
        3
    } else {
        0
    };
    let mut first = bom;
    while first < data.len() {
        let l = line(data, first);
        if !(l.complete && l.content_end == l.start) {
            break;
        }
        first = l.next;
    }
    let decided = if first >= data.len() {
        None
    } else if starts_record(data, Style::Mmdf, line(data, first)) {
        Some((Style::Mmdf, first))
    } else if starts_record(data, Style::Mbox, line(data, first)) {
        Some((Style::Mbox, first))
    } else {
        (first + 1..data.len())
            .filter(|&p| ends_before(data, p))
            .find_map(|p| strong(data, p).map(|s| (s, p)))
    };
    let Some((style, first)) = decided else {
        out.push(Record {
            extent: span(0, data.len()),
            kind: RecordKind::Whole {
                message: is_field(content(data, line(data, 0))),
            },
        });
        return out;
    };
    if bom > 0 {
        out.push(Record {
            extent: span(0, 3),
            kind: RecordKind::Gap(GapReason::ByteOrderMark),
        });
    }
    if first > bom {
        out.push(Record {
            extent: span(bom, first),
            kind: RecordKind::Gap(GapReason::Junk),
        });
    }
    let mut pos = first;
    while pos < data.len() {
        let first = line(data, pos);
        if !starts_record(data, style, first) {
            // A gap up to the next line that starts a record.
            let from = if first.complete { first.next } else { pos + 1 };
            let end = (from..data.len())
                .filter(|&p| ends_before(data, p))
                .find(|&p| starts_record(data, style, line(data, p)))
                .unwrap_or(data.len());
            out.push(Record {
                extent: span(pos, end),
                kind: RecordKind::Gap(GapReason::Junk),
            });
            pos = end;
            continue;
        }
        let start = pos;
        let msg = first.next;
        let mut anomalies = Vec::new();
        // Content-Length, read from the header block (up to its empty line, if any).
        let mut length = None;
        if style == Style::Mbox {
            let mut candidate = None;
            let mut p = msg;
            while p < data.len() && p < msg + HEADER_SEARCH_LIMIT as usize {
                let l = line(data, p);
                if !l.complete {
                    // Skip a long line; an unterminated last line ends the search.
                    match next_line(data, p) {
                        Some(n) => {
                            p = n;
                            continue;
                        }
                        None => break,
                    }
                }
                let text = content(data, l);
                if text.is_empty() {
                    let body = l.next as u64;
                    length = candidate.and_then(|(len, field): (u64, Span)| {
                        let target = body.checked_add(len)?;
                        (target - start as u64 <= max_message).then_some((target, field))
                    });
                    break;
                }
                if text.starts_with(b"From ") || text == MARKER {
                    break;
                }
                if text.len() > 15 && text[..15].eq_ignore_ascii_case(b"content-length:") {
                    let digits = text[15..].trim_ascii();
                    if !digits.is_empty()
                        && digits.len() <= 15
                        && digits.iter().all(u8::is_ascii_digit)
                    {
                        let value = std::str::from_utf8(digits)
                            .ok()
                            .and_then(|d| d.parse().ok());
                        candidate = value.map(|v| (v, span(p, l.next)));
                    }
                }
                p = l.next;
            }
        }
        // Judge the lines of the message until a separator is accepted.
        let stop = length.map_or(data.len(), |(t, _): (u64, Span)| {
            (t as usize).min(data.len())
        });
        let mut quoted = false;
        let mut deep = false;
        let mut unquoted = Vec::new();
        let mut found: Option<(usize, usize, bool)>; // (message end, next, without blank)
        let judge = |at: usize, unquoted: &mut Vec<Span>| -> Option<(usize, usize, bool)> {
            let l = line(data, at);
            let text = content(data, l);
            if style == Style::Mmdf {
                let closes = text == MARKER && (l.complete || l.next == data.len());
                return closes.then_some((at, l.next, false));
            }
            if !text.starts_with(b"From ") {
                return None;
            }
            let body = |u: &mut Vec<Span>| {
                u.push(span(at, l.next));
                None
            };
            if !l.complete {
                return body(unquoted);
            }
            let Some(parsed) = parse_from_line(text) else {
                return body(unquoted);
            };
            let blank = blank_before(data, at, msg);
            let boundary = blank > 0 || at == msg;
            if parsed.bare && !boundary {
                return body(unquoted);
            }
            if boundary && !parsed.bare {
                return Some((at - blank, at, false));
            }
            if field_at(data, l.next) {
                Some((at - blank, at, !boundary))
            } else {
                body(unquoted)
            }
        };
        // One pass over the line starts in [lo, hi): note quoting of `>From ` lines whose
        // `From ` lies in the range, judge unquoted candidates that start in it.
        let pass =
            |lo: usize, hi: usize, quoted: &mut bool, deep: &mut bool, unquoted: &mut Vec<Span>| {
                for at in line_starts(data, msg, data.len()) {
                    let text = &data[at..];
                    let q = text.iter().take_while(|&&b| b == b'>').count();
                    if style == Style::Mbox
                        && q > 0
                        && text[q..].starts_with(b"From ")
                        && (lo..hi).contains(&(at + q))
                    {
                        *quoted = true;
                        *deep |= q >= 2;
                    }
                    if at < lo {
                        continue;
                    }
                    if at >= hi {
                        return None;
                    }
                    if let Some(f) = judge(at, unquoted) {
                        return Some(f);
                    }
                }
                None
            };
        found = pass(
            msg,
            if length.is_some() { stop } else { usize::MAX },
            &mut quoted,
            &mut deep,
            &mut unquoted,
        );
        // Honouring the length would swallow a message: a separator that a message's header
        // follows lies between the first separator and the target.
        let swallowed = match (found, length) {
            (Some((_, first_at, _)), Some(_)) => line_starts(data, msg, stop)
                .filter(|&at| at >= first_at)
                .any(|at| {
                    judge(at, &mut Vec::new()).is_some()
                        && message_header_at(data, line(data, at).next)
                }),
            _ => false,
        };
        let mut format = None;
        let mut end = None;
        match length {
            Some((_, field)) if swallowed => anomalies.push(Anomaly {
                code: AnomalyCode::ContentLengthMismatch,
                span: field,
            }),
            Some((target, field)) => {
                let target = target as usize;
                let rest = data.get(target..).unwrap_or_default();
                let consistent = [(&b""[..], 0usize), (b"\n", 1), (b"\r\n", 2), (b"\r", 1)]
                    .iter()
                    .find_map(|&(prefix, skip)| {
                        let follows = rest.strip_prefix(prefix)?;
                        (follows.starts_with(b"From ") || follows.is_empty()).then_some(skip)
                    });
                match consistent {
                    Some(skip) if target <= data.len() => {
                        end = Some((target, target + skip, false));
                        format = Some(if (!unquoted.is_empty() || found.is_some()) && !quoted {
                            Format::Mboxcl2
                        } else {
                            Format::Mboxcl
                        });
                        unquoted.clear();
                    }
                    _ => {
                        let code = if target > data.len() {
                            AnomalyCode::Truncated
                        } else {
                            AnomalyCode::ContentLengthMismatch
                        };
                        anomalies.push(Anomaly { code, span: field });
                        if found.is_none() {
                            // Go on judging lines after the target.
                            found = pass(stop, usize::MAX, &mut quoted, &mut deep, &mut unquoted);
                        }
                    }
                }
            }
            None => {}
        }
        let (message_end, next, wb) = match end.or(found) {
            Some(e) => e,
            None if style == Style::Mmdf => {
                anomalies.push(Anomaly {
                    code: AnomalyCode::Truncated,
                    span: span(data.len(), data.len()),
                });
                (data.len(), data.len(), false)
            }
            None => (
                data.len() - blank_before(data, data.len(), msg),
                data.len(),
                false,
            ),
        };
        if wb {
            let l = line(data, next);
            anomalies.push(Anomaly {
                code: AnomalyCode::SeparatorWithoutBlankLine,
                span: span(next, l.next),
            });
        }
        anomalies.extend(unquoted.into_iter().map(|s| Anomaly {
            code: AnomalyCode::UnquotedFromLine,
            span: s,
        }));
        let format = match (style, format) {
            (Style::Mmdf, _) => Format::Mmdf,
            (_, Some(f)) => f,
            _ if deep => Format::Mboxrd,
            _ => Format::Mboxo,
        };
        if message_end == msg {
            anomalies.push(Anomaly {
                code: AnomalyCode::EmptyMessage,
                span: span(msg, msg),
            });
        } else if next == data.len() && !matches!(data[message_end - 1], b'\n' | b'\r') {
            anomalies.push(Anomaly {
                code: AnomalyCode::NoFinalNewline,
                span: span(message_end - 1, message_end),
            });
        }
        anomalies.sort_by_key(|a| a.span);
        let envelope = match style {
            Style::Mbox => parse_from_line(content(data, first)),
            Style::Mmdf => None,
        };
        let abs =
            |r: Option<std::ops::Range<usize>>| r.map(|r| span(start + r.start, start + r.end));
        let (sender, date) = envelope.map_or((None, None), |f| (abs(f.sender), abs(f.date)));
        out.push(Record {
            extent: span(start, next),
            kind: RecordKind::Message(MessageBounds {
                separator: span(start, msg),
                message: span(msg, message_end),
                envelope_sender: sender,
                envelope_date: date,
                format,
                anomalies,
            }),
        });
        pos = next;
    }
    out
}

fn span(a: usize, b: usize) -> Span {
    Span::new(a as u64, b as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::read::split::{Splitter, Step};
    use proptest::prelude::*;

    /// The fast core over a whole input in one window.
    fn fast(data: &[u8], max: u64) -> Vec<Record> {
        let mut s = Splitter::new(max);
        let mut out = Vec::new();
        loop {
            match s.step(data, 0, true) {
                Step::Record(r) => out.push(r),
                Step::End => return out,
                Step::Partial => panic!("partial at end of input"),
            }
        }
    }

    /// The fast core fed `chunk` bytes at a time, dropping what it no longer needs once a
    /// record is out (as the streaming driver does); with `drop_lead`, also dropping the bytes
    /// before [`Splitter::keep_from`] while the lead is undecided (as the streaming driver
    /// does when the lead cannot become a message).
    fn fast_chunked(data: &[u8], max: u64, chunk: usize, drop_lead: bool) -> Vec<Record> {
        let mut s = Splitter::new(max);
        let mut out = Vec::new();
        let mut base = 0usize;
        let mut end = 0usize;
        loop {
            let eof = end == data.len();
            match s.step(&data[base..end], base as u64, eof) {
                Step::Record(r) => {
                    base = base.max(r.extent.end as usize);
                    out.push(r);
                }
                Step::End => return out,
                Step::Partial => {
                    if drop_lead && s.style().is_none() {
                        base = base.max(s.keep_from() as usize);
                    }
                    end = (end + chunk).min(data.len());
                }
            }
        }
    }

    const PIECES: &[&[u8]] = &[
        b"From a@b.example Mon Jan  1 00:00:00 2001",
        b"From - ",
        b"From - Mon Jun  3 12:50:27 1996",
        b"From 1844347792267117879@xxx",
        b"\x01\x01\x01\x01",
        b"Subject: x",
        b"From: a@b",
        b"X-Test: y",
        b" folded",
        b"Content-Length: 0",
        b"Content-Length: 7",
        b"Content-Length: 30",
        b"content-length: 12",
        b"From Russia with love",
        b">From here",
        b">>From there",
        b"body text",
        b"",
        b"",
        b"\xEF\xBB\xBF",
        b"\x00\xFF\r",
        b"\r",
    ];

    /// First lines: separators of both families, and what the lead must see through (a
    /// header-like line put on top, junk, a dump cut inside a line, empty lines, a BOM).
    const FIRST: &[&[u8]] = &[
        b"From a@b.example Mon Jan  1 00:00:00 2001",
        b"From - ",
        b"From - Mon Jun  3 12:50:27 1996",
        b"From 1844347792267117879@xxx",
        b"\x01\x01\x01\x01",
        b"X-Exported-By: x",
        b"junk, not a header",
        b"ived: from a by b; Mon, 1 Jan 2001 00:00:00 +0000",
        b"",
        b"\xEF\xBB\xBFFrom a@b.example Mon Jan  1 00:00:00 2001",
        b"\xEF\xBB\xBFjunk",
    ];

    fn input() -> impl Strategy<Value = Vec<u8>> {
        let line = (0..PIECES.len() + 1, 0..4u8).prop_map(|(i, ending)| {
            let mut v = match PIECES.get(i) {
                Some(p) => p.to_vec(),
                None => vec![b'x'; MAX_LINE + 3],
            };
            v.extend_from_slice(match ending {
                0 => b"\n",
                1 => b"\r\n",
                2 => b"\r",
                _ => b"",
            });
            v
        });
        (
            0..FIRST.len(),
            0..3u8,
            proptest::collection::vec(line, 0..40),
        )
            .prop_map(|(first, ending, lines)| {
                let mut v = FIRST[first].to_vec();
                v.extend_from_slice(match ending {
                    0 => b"\n",
                    1 => b"\r\n",
                    _ => b"\r",
                });
                lines.into_iter().for_each(|l| v.extend(l));
                v
            })
    }

    fn check_partition(data: &[u8], records: &[Record]) {
        let mut at = 0;
        for r in records {
            assert_eq!(r.extent.start, at, "records are contiguous");
            assert!(r.extent.end > r.extent.start, "no empty record");
            if let RecordKind::Message(m) = &r.kind {
                assert!(r.extent.contains(m.separator) && r.extent.contains(m.message));
                assert_eq!(m.separator.end, m.message.start);
            }
            at = r.extent.end;
        }
        assert_eq!(at, data.len() as u64, "records cover the input");
    }

    proptest! {
        #![proptest_config(ProptestConfig {
            cases: std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(1000),
            ..ProptestConfig::default()
        })]

        #[test]
        fn fast_core_agrees_with_reference(data in input(), small_limit in any::<bool>()) {
            let max = if small_limit { 0 } else { u64::MAX };
            let expected = split(&data, max);
            check_partition(&data, &expected);
            prop_assert_eq!(&fast(&data, max), &expected);
            for chunk in [1, 7, 64] {
                prop_assert_eq!(&fast_chunked(&data, max, chunk, false), &expected, "chunk {}", chunk);
                prop_assert_eq!(&fast_chunked(&data, max, chunk, true), &expected, "chunk {}, lead dropped", chunk);
            }
        }
    }

    fn kinds(records: &[Record]) -> Vec<String> {
        records
            .iter()
            .map(|r| match &r.kind {
                RecordKind::Gap(reason) => format!("gap {} {}", reason.as_str(), r.extent),
                RecordKind::Message(m) => format!("message {}", m.message),
                RecordKind::Whole { message } => format!("whole {message}"),
            })
            .collect()
    }

    #[test]
    fn reference_on_a_plain_mailbox() {
        let data = b"From a@b Mon Jan  1 00:00:00 2001\nA: 1\n\nx\n\nFrom c@d Mon Jan  1 00:00:00 2001\nB: 2\n\ny\n";
        let r = split(data, u64::MAX);
        assert_eq!(r.len(), 2);
        let RecordKind::Message(m) = &r[0].kind else {
            panic!("message expected")
        };
        assert_eq!(
            &data[m.message.start as usize..m.message.end as usize],
            b"A: 1\n\nx\n"
        );
        assert_eq!(r[0].extent, Span::new(0, 43));
    }

    #[test]
    fn the_lead_finds_separators_anywhere() {
        let mbox = b"From a@b Mon Jan  1 00:00:00 2001\nSubject: 1\n\nx\n\nFrom c@d Mon Jan  1 00:00:00 2001\nDate: 2\n\ny\n";
        // A header-like line put on top, junk, a cut line, leading empty lines past 4 KiB.
        for head in [
            &b"X-Exported-By: x\n\n"[..],
            b"junk\n",
            b"ody of a message cut at the front\n\n",
            &[b'\n'; 5000][..],
        ] {
            let data = [head, &mbox[..]].concat();
            let r = split(&data, u64::MAX);
            assert_eq!(
                kinds(&r),
                [
                    format!("gap junk [0, {})", head.len()),
                    format!("message [{}, {})", head.len() + 34, head.len() + 48),
                    format!("message [{}, {})", head.len() + 83, head.len() + 94),
                ],
                "{:?}",
                String::from_utf8_lossy(head)
            );
            assert_eq!(fast(&data, u64::MAX), r);
        }
        // A message that only quotes a separator line in its body stays one message; a
        // separator that a header field follows makes a mailbox.
        let eml = b"Subject: hi\n\nFrom a@b Mon Jan  1 00:00:00 2001\nsaid hello\n";
        assert_eq!(kinds(&split(eml, u64::MAX)), ["whole true"]);
        assert_eq!(kinds(&split(b"junk\n", u64::MAX)), ["whole false"]);
        let bare = b"junk\nFrom 1844347792267117879@xxx\nSubject: 1\n";
        assert_eq!(kinds(&split(bare, u64::MAX)), ["whole false"]);
        let log = b"Subject: log\n\nFrom a@b Mon Jan  1 00:00:00 2001\nstatus: ok\n";
        assert_eq!(kinds(&split(log, u64::MAX)), ["whole true"]);
        let other = b"junk\nFrom a@b Mon Jan  1 00:00:00 2001\nX-A: 1\n y\nDate: 2\n";
        assert_eq!(
            kinds(&split(other, u64::MAX)),
            ["gap junk [0, 5)", "message [39, 57)"]
        );
        assert_eq!(kinds(&split(bare, u64::MAX)), ["whole false"]);
    }

    #[test]
    fn cr_only_line_endings_split_like_lf() {
        let lf = b"From a@b Mon Jan  1 00:00:00 2001\nA: 1\n\nx\n\nFrom c@d Mon Jan  1 00:00:00 2001\nB: 2\n\ny\n";
        let cr: Vec<u8> = lf
            .iter()
            .map(|&b| if b == b'\n' { b'\r' } else { b })
            .collect();
        assert_eq!(split(&cr, u64::MAX), split(lf, u64::MAX));
        assert_eq!(fast(&cr, u64::MAX), split(lf, u64::MAX));
    }

    #[test]
    fn content_length_that_would_swallow_a_message_is_not_honoured() {
        let data = b"From a@b Mon Jan  1 00:00:00 2001\nContent-Length: 47\n\nx\n\nFrom c@d Mon Jan  1 00:00:00 2001\nTo: 2\n\ny\n\nFrom e@f Mon Jan  1 00:00:00 2001\nC: 3\n\nz\n";
        let r = split(data, u64::MAX);
        assert_eq!(r.len(), 3, "{}", kinds(&r).join("; "));
        let RecordKind::Message(m) = &r[0].kind else {
            panic!("message expected")
        };
        assert_eq!(m.anomalies.len(), 1);
        assert_eq!(m.anomalies[0].code, AnomalyCode::ContentLengthMismatch);
        assert_eq!(m.anomalies[0].span, Span::new(34, 53));
        assert_eq!(fast(data, u64::MAX), r);
    }
}
