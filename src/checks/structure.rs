//! Structure: required and single-use headers, line endings, NUL bytes, unquoted `From `
//! lines, malformed RFC 2047 encoded words, charsets contradicted by the bytes.

use super::hops::{self, Stamp};
use super::{Ctx, Finding, FindingCode, Severity};
use crate::fields::mime::{boundary_param, param};
use crate::read::headers::Headers;
use crate::read::message::{AnomalyCode, ContentScan, Message};
use crate::span::Span;

/// Headers RFC 5322 allows at most once (section 3.6), besides From.
const SINGLE_USE: [&str; 10] = [
    "date",
    "sender",
    "reply-to",
    "to",
    "cc",
    "bcc",
    "message-id",
    "in-reply-to",
    "references",
    "subject",
];

/// How deep the MIME walk for charset checks goes.
const MAX_DEPTH: usize = 4;

pub(crate) fn check(ctx: &Ctx<'_, '_>, out: &mut Vec<Finding>) {
    let h = ctx.headers;
    let header_span = h.header_span();
    if h.get("date").is_none() {
        out.push(Finding::heuristic(
            FindingCode::MissingDate,
            Severity::Low,
            "The message has no Date header.",
            vec![header_span],
        ));
    }
    match h.count("from") {
        0 => out.push(Finding::heuristic(
            FindingCode::MissingFrom,
            Severity::Medium,
            "The message has no From header.",
            vec![header_span],
        )),
        1 => {}
        n => out.push(match added_by_hops(ctx, "from", true) {
            // A list or ARC sealer on the route added a copy above the author's block.
            Some(hops) => Finding::heuristic(
                FindingCode::DuplicateFrom,
                Severity::Info,
                format!(
                    "The message has {n} From headers: {hops}. The bottom one is the author's, the one a DKIM signature covers."
                ),
                h.get_all("from").map(|f| f.span()).collect(),
            ),
            None => Finding::heuristic(
                FindingCode::DuplicateFrom,
                Severity::High,
                format!(
                    "The message has {n} From headers: a mail client shows the top one, a DKIM signature covers the bottom one."
                ),
                h.get_all("from").map(|f| f.span()).collect(),
            ),
        }),
    }
    let list_route = crate::auth::transit::route_shows_list(h);
    let transit_markers = if list_route {
        crate::auth::transit::list_marker_positions(h)
    } else {
        Vec::new()
    };
    // One pass over the fields counts every single-use name.
    let mut counts = [0usize; SINGLE_USE.len()];
    for f in h.iter() {
        if let Some(i) = SINGLE_USE.iter().position(|n| f.is_named(n)) {
            counts[i] += 1;
        }
    }
    for (name, &n) in SINGLE_USE.iter().zip(&counts) {
        if n > 1 {
            let shown = h
                .get(name)
                .map(|f| f.name_str().into_owned())
                .unwrap_or_default();
            let spans: Vec<_> = h.get_all(name).map(|f| f.span()).collect();
            // Hop attribution: a copy above a list's fields or a relay's trace fields was
            // added by that hop. Lists add their own Reply-To (and Sender).
            let by_list = list_route
                && crate::verdict::list_adds(name)
                && h.get(name).is_some_and(|top| {
                    h.iter().any(|f| {
                        f.index() > top.index()
                            && (f.is_named("received") || transit_markers.contains(&f.index()))
                    })
                });
            if by_list {
                out.push(Finding::heuristic(
                    FindingCode::DuplicateHeader,
                    Severity::Info,
                    format!("The message has {n} {shown} headers: the top one sits in the block of the mailing list on its route, which adds its own (the author's is below)."),
                    spans,
                ));
                continue;
            }
            // The general rule: every copy above the author's sits in a hop's block.
            if let Some(hops) = added_by_hops(ctx, name, false) {
                out.push(Finding::heuristic(
                    FindingCode::DuplicateHeader,
                    Severity::Info,
                    format!("The message has {n} {shown} headers: {hops}. The bottom one is the author's."),
                    spans,
                ));
                continue;
            }
            out.push(Finding::heuristic(
                FindingCode::DuplicateHeader,
                Severity::Medium,
                format!("The message has {n} {shown} headers; only one is allowed."),
                spans,
            ));
        }
    }
    line_endings(ctx, out);
    for f in h.iter() {
        if crate::read::headers::find_pair(f.raw_value(), *b"=?").is_some() {
            encoded_words(f.raw_value(), f.value_span().start, out);
        }
    }
    // Charsets: only bodies with 8-bit bytes can contradict a declared charset.
    let body = h.body();
    if has_8bit(body) {
        part(ctx.bytes, ctx.base, h, 0, out);
    }
}

/// When every copy of `name` but the bottom-most (the author's) sits in a block a hop added
/// (see [`hops`]), higher on the route than the author's copy: how each is attributed, for
/// the finding's detail. With `strong`, only a list's fields or an ARC set mark a hop's block
/// (a relay's stamps alone do not).
fn added_by_hops(ctx: &Ctx<'_, '_>, name: &str, strong: bool) -> Option<String> {
    let h = ctx.headers;
    let copies: Vec<_> = h.get_all(name).collect();
    let (author, extras) = copies.split_last()?;
    if extras.is_empty() {
        return None;
    }
    let author_depth = hops::depth(&ctx.received, author.index());
    let mut parts = Vec::new();
    for (k, e) in extras.iter().enumerate() {
        let a = hops::attribute(h, &ctx.received, e.index())?;
        if hops::depth(&ctx.received, e.index()) <= author_depth
            || (strong && a.stamp == Stamp::Relay)
        {
            return None;
        }
        let by = a.below.by.as_deref().unwrap_or("an unnamed host");
        let which = if k == 0 { "the top one" } else { "another" };
        parts.push(format!(
            "{which} sits in a block added after the hop by {by} (above its Received, with {}): that hop's addition, not a forgery",
            a.stamp.describe()
        ));
    }
    Some(parts.join("; "))
}

/// Findings for the reader's framing anomalies that bear on forgery.
pub(crate) fn reader_anomalies(message: &Message, out: &mut Vec<Finding>) {
    let unquoted: Vec<Span> = message
        .anomalies()
        .iter()
        .filter(|a| a.code == AnomalyCode::UnquotedFromLine)
        .map(|a| a.span)
        .collect();
    if !unquoted.is_empty() {
        out.push(Finding::heuristic(
            FindingCode::UnquotedFromLine,
            Severity::Info,
            format!(
                "{} body line(s) start with an unquoted \"From \": mbox export damage, not a sign of tampering by itself.",
                unquoted.len()
            ),
            unquoted,
        ));
    }
}

/// The findings of the one line-ending and NUL detection ([`ContentScan`]), with the spans
/// the reader's anomalies of the same names carry.
fn line_endings(ctx: &Ctx<'_, '_>, out: &mut Vec<Finding>) {
    let scan = ContentScan::of(ctx.bytes);
    if let Some(at) = scan.mixed_line_endings() {
        let (crlf, lf) = (scan.crlf, scan.lf);
        let kinds = if at.len() == 2 { "CRLF" } else { "bare LF" };
        out.push(Finding::heuristic(
            FindingCode::MixedLineEndings,
            Severity::Low,
            format!(
                "The message mixes {crlf} CRLF and {lf} bare LF line endings; the first {kinds} is marked (hand editing, or an export that converted only part of it)."
            ),
            vec![ctx.span(at)],
        ));
    }
    if let Some(at) = scan.first_nul() {
        let count = scan.nuls;
        out.push(Finding::heuristic(
            FindingCode::NulBytes,
            Severity::Low,
            format!(
                "The message contains {count} NUL byte(s) (binary damage or a partial download)."
            ),
            vec![ctx.span(at)],
        ));
    }
}

/// Whether any byte is 8-bit (the standard library reads a word at a time).
fn has_8bit(bytes: &[u8]) -> bool {
    !bytes.is_ascii()
}

/// Check every `=?charset?enc?text?=` in a raw header value.
fn encoded_words(raw: &[u8], base: u64, out: &mut Vec<Finding>) {
    let mut pos = 0;
    while let Some(i) = raw
        .get(pos..)
        .and_then(|r| crate::read::headers::find_pair(r, *b"=?"))
    {
        let start = pos + i;
        let Some(word) = parse_word(raw, start) else {
            pos = start + 2;
            continue;
        };
        let (end, problem) = word;
        if let Some(problem) = problem {
            out.push(Finding::heuristic(
                FindingCode::MalformedEncodedWord,
                Severity::Low,
                format!("An RFC 2047 encoded word does not decode: {problem}."),
                vec![Span::new(base + start as u64, base + end as u64)],
            ));
        }
        pos = end.max(start + 2);
    }
}

/// An encoded word starting at `start`: its end and what is wrong with it. `None` when the
/// text is no encoded word at all (`=?` in ordinary text).
fn parse_word(raw: &[u8], start: usize) -> Option<(usize, Option<String>)> {
    let rest = raw.get(start + 2..)?;
    let q1 = memchr::memchr(b'?', rest)?;
    let charset = rest.get(..q1)?;
    if charset.is_empty()
        || charset.len() > 40
        || !charset
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':' | b'*'))
    {
        return None;
    }
    let enc = *rest.get(q1 + 1)?;
    if rest.get(q1 + 2) != Some(&b'?') || !matches!(enc, b'B' | b'b' | b'Q' | b'q') {
        return None;
    }
    let text_start = q1 + 3;
    let text_rel = rest.get(text_start..)?;
    let Some(close) = crate::read::headers::find_pair(text_rel, *b"?=") else {
        let end = start + 2 + rest.len();
        return Some((end, Some("the word is not closed by \"?=\"".to_string())));
    };
    let text = &text_rel[..close];
    let end = start + 2 + text_start + close + 2;
    let cs = String::from_utf8_lossy(charset);
    let cs = cs.split('*').next().unwrap_or("");
    if !known_charset(cs) {
        return Some((end, Some(format!("unknown charset \"{cs}\""))));
    }
    if text.iter().any(|b| b.is_ascii_whitespace()) {
        return Some((end, Some("it contains white space".to_string())));
    }
    let problem = if enc.eq_ignore_ascii_case(&b'b') {
        let clean = text
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='));
        let data_len = text.iter().take_while(|&&b| b != b'=').count();
        if !clean || data_len % 4 == 1 || text[data_len..].iter().any(|&b| b != b'=') {
            Some("invalid base64 text".to_string())
        } else {
            None
        }
    } else {
        let mut bad = false;
        let mut i = 0;
        while i < text.len() {
            if text[i] == b'=' {
                let ok = text
                    .get(i + 1..i + 3)
                    .is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit));
                if !ok {
                    bad = true;
                    break;
                }
                i += 3;
            } else {
                if text[i] < 0x21 || text[i] > 0x7e {
                    bad = true;
                    break;
                }
                i += 1;
            }
        }
        bad.then(|| "invalid quoted-printable text".to_string())
    };
    Some((end, problem))
}

fn known_charset(cs: &str) -> bool {
    let l = cs.to_ascii_lowercase();
    matches!(
        l.as_str(),
        "utf-8" | "utf8" | "us-ascii" | "ascii" | "utf-7"
    ) || mail_parser::decoders::charsets::map::charset_decoder(cs.as_bytes()).is_some()
}

/// Walk a MIME entity (the message or a part) whose headers are `h`, checking text parts
/// stored as 7bit / 8bit / binary against their declared charset.
fn part(bytes: &[u8], base: u64, h: &Headers<'_>, depth: usize, out: &mut Vec<Finding>) {
    let ct = h.get("content-type");
    let ct_raw = ct.map(|f| f.raw_value()).unwrap_or(b"");
    let ct_lower = ct_raw.to_ascii_lowercase();
    let mime = ct_lower
        .split(|&b| b == b';')
        .next()
        .map(|t| t.trim_ascii().to_vec())
        .unwrap_or_default();
    if mime.starts_with(b"multipart/") {
        if depth >= MAX_DEPTH {
            return;
        }
        let Some((boundary, _)) = boundary_param(ct_raw) else {
            return;
        };
        let body_start = h.body_start();
        let body = h.body();
        let mut delim = Vec::with_capacity(boundary.len() + 2);
        delim.extend_from_slice(b"--");
        delim.extend_from_slice(boundary.as_bytes());
        let mut starts = Vec::new();
        for at in memchr::memmem::find_iter(body, &delim) {
            if at == 0 || body.get(at - 1) == Some(&b'\n') {
                starts.push(at);
            }
        }
        for pair in starts.windows(2) {
            let (a, b) = (pair[0], pair[1]);
            let Some(line_end) = body.get(a..b).and_then(|s| memchr::memchr(b'\n', s)) else {
                continue;
            };
            let ps = a + line_end + 1;
            if ps >= b {
                continue;
            }
            let Some(part_bytes) = body.get(ps..b) else {
                continue;
            };
            let abs = base + (body_start + ps) as u64;
            let ph = Headers::parse(part_bytes, abs);
            if has_8bit(ph.body()) {
                part(part_bytes, abs, &ph, depth + 1, out);
            }
        }
        return;
    }
    if !(mime.is_empty() || mime.starts_with(b"text/")) {
        return;
    }
    let cte = h
        .get("content-transfer-encoding")
        .map(|f| f.value().trim().to_ascii_lowercase())
        .unwrap_or_default();
    if !(cte.is_empty() || cte == "7bit" || cte == "8bit" || cte == "binary") {
        return;
    }
    let Some((charset, _)) = param(ct_raw, "charset") else {
        return;
    };
    let charset = charset.to_ascii_lowercase();
    let body = h.body();
    let problem = match charset.as_str() {
        "us-ascii" | "ascii" => body
            .iter()
            .position(|&b| b >= 0x80)
            .map(|p| (p, "declares us-ascii but contains 8-bit bytes".to_string())),
        "utf-8" | "utf8" => match std::str::from_utf8(body) {
            Ok(_) => None,
            Err(e) => Some((
                e.valid_up_to(),
                "declares UTF-8 but its bytes are not valid UTF-8".to_string(),
            )),
        },
        _ => None,
    };
    let _ = bytes;
    if let Some((at, what)) = problem {
        let span = h.body_span();
        let at_abs = span.start + at as u64;
        out.push(Finding::heuristic(
            FindingCode::CharsetMismatch,
            Severity::Low,
            format!("A text part {what} (first at byte {at_abs})."),
            vec![span],
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(v: &[u8]) -> Vec<Finding> {
        let mut out = Vec::new();
        encoded_words(v, 0, &mut out);
        out
    }

    #[test]
    fn encoded_word_validation() {
        assert!(words(b" =?UTF-8?B?w6lsaXNl?= <e@x.fr>").is_empty());
        assert!(words(b" =?iso-8859-1?Q?caf=E9?=").is_empty());
        assert!(words(b" price =? not a word").is_empty());
        assert_eq!(words(b" =?UTF-8?B?w6l!saXNl?=").len(), 1);
        assert_eq!(words(b" =?UTF-8?Q?caf=G9?=").len(), 1);
        assert_eq!(words(b" =?no-such-charset?Q?x?=").len(), 1);
        assert_eq!(words(b" =?UTF-8?B?w6lsaXNl").len(), 1);
        let f = &words(b"xx =?UTF-8?Q?a=Z?= yy")[0];
        assert_eq!(f.evidence, [Span::new(3, 18)]);
    }

    #[test]
    fn anomaly_and_finding_mark_the_same_bytes() {
        use crate::checks::{Config, check_message};
        use crate::read::message::AnomalyCode;
        use crate::read::{Entry, Reader};
        let dump = b"From: a@x\r\nDate: Mon, 1 Jan 2018 10:00:00 +0000\r\n\r\nbody\nmore\0\n";
        let entry = Reader::new()
            .read_bytes("x.eml", bytes::Bytes::from_static(dump))
            .next()
            .unwrap();
        let Ok(Entry::Message(m)) = entry else {
            panic!("no message")
        };
        let h = m.headers();
        let anomalies = m.content_anomalies(&h);
        let findings = check_message(&m, &h, &Config::default());
        for (a, f) in [
            (AnomalyCode::MixedLineEndings, FindingCode::MixedLineEndings),
            (AnomalyCode::NulBytes, FindingCode::NulBytes),
        ] {
            let a = anomalies.iter().find(|x| x.code == a).unwrap();
            let f = findings.iter().find(|x| x.code == f).unwrap();
            assert_eq!(f.evidence, [a.span]);
        }
        // Three CRLF, two bare LF: the first bare LF is marked.
        let mixed = anomalies
            .iter()
            .find(|x| x.code == AnomalyCode::MixedLineEndings)
            .unwrap();
        let at = dump.windows(5).position(|w| w == b"body\n").unwrap() as u64 + 4;
        assert_eq!(mixed.span, Span::new(at, at + 1));
    }
}
