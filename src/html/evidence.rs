//! The evidence of one flagged message: its findings, its DKIM and ARC results, and its
//! stored bytes (the header block and a window around every evidence span) with each span
//! highlighted and labelled, rendered once as static HTML.

use std::fmt::Write;

use super::escape::{html, stored_char};
use crate::scan::report::Report;
use crate::span::Span;

/// Bytes of the header block shown before any span window.
pub(super) const HEADER_BYTES: usize = 32 * 1024;
/// Bytes of context around a span (extended to whole lines within twice as much).
const CONTEXT: usize = 240;
/// A span longer than this is shown by its first and last [`SPAN_EDGE`] bytes.
const LONG_SPAN: usize = 16 * 1024;
/// Bytes shown at each end of a long span.
const SPAN_EDGE: usize = 4 * 1024;
/// Bytes of one message shown at most (header block and windows).
pub(super) const MESSAGE_BYTES: usize = 256 * 1024;
/// Evidence spans highlighted per message at most (findings and reader anomalies).
const SPANS: usize = 256;
/// DKIM signatures and `h=` names listed per message at most.
const SIGNATURES: usize = 16;
const SIGNED_NAMES: usize = 64;
/// Colours of finding labels (classes `k0`..).
const COLOURS: usize = 8;

/// What the page can show of a flagged message's bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Stored<'a> {
    /// The stored bytes `[offset, offset + length)`, checked against the report's SHA-256.
    Bytes(&'a [u8]),
    /// Not given (a stream whose bytes had passed, a source that could not be read back).
    Missing,
    /// Given, but their SHA-256 is not the report's: the source changed since the scan.
    Mismatch,
}

/// One highlighted span: the finding (or anomaly) it belongs to and where it is.
struct Mark {
    /// The label number or name (`1`, `2`, ... for findings, `R1`, ... for anomalies).
    label: String,
    /// The finding or anomaly code.
    code: &'static str,
    span: Span,
    colour: &'static str,
    /// Element id of its label.
    anchor: String,
}

/// Append the `<section>` of a flagged report to `out`.
pub(super) fn section(report: &Report, stored: Stored<'_>, out: &mut String) {
    let i = report.index;
    let verdict = report.verdict.as_str();
    let _ = write!(
        out,
        "<section class=\"ev\" id=\"m{i}\" data-index=\"{i}\" data-verdict=\"{verdict}\">\
         <h3><span class=\"num\">#{i}</span> <span class=\"badge v-{verdict}\">{verdict}</span> "
    );
    html(out, report.subject.as_deref().unwrap_or("(no subject)"));
    // Label and value lines of monospace text: few elements, so that thousands of
    // sections stay light for the browser.
    out.push_str("</h3><div class=\"kvt\">");
    kv(out, "From", report.from.as_deref().unwrap_or("(none)"));
    kv(out, "Date", report.date.as_deref().unwrap_or("(none)"));
    kv(
        out,
        "Message-ID",
        report.message_id.as_deref().unwrap_or("(none)"),
    );
    kv(
        out,
        "Stored",
        &format!(
            "{} @ {}, {} bytes, {}",
            report.source, report.offset, report.length, report.format
        ),
    );
    let _ = write!(out, "{:<22}", "SHA-256");
    html(out, &report.sha256);
    match stored {
        Stored::Bytes(_) => out.push_str("  (the bytes below have this hash)"),
        Stored::Missing => out.push_str(
            "\n<span class=\"warn\">The stored bytes were not available when this report was \
             written; the offsets point into the source.</span>",
        ),
        Stored::Mismatch => out.push_str(
            "\n<span class=\"warn\">The bytes read back from the source do not have this hash \
             (the file changed since the scan): they are not shown.</span>",
        ),
    }
    out.push_str("</div>");

    let marks = marks(report);
    let bytes = match stored {
        Stored::Bytes(b) => Some(b),
        _ => None,
    };
    let windows = bytes
        .map(|b| windows(b, report.offset, &marks))
        .unwrap_or_default();
    let shown = |s: Span| {
        windows.iter().any(|w| {
            let (a, b) = (report.offset + w.0 as u64, report.offset + w.1 as u64);
            s.start < b && a < s.end.max(s.start + 1)
        })
    };

    // The findings, numbered as their labels.
    out.push_str("<ol class=\"findings\">");
    for (n, f) in report.findings.iter().enumerate() {
        let decisive = report.verdict_because.contains(&n);
        let _ = write!(
            out,
            "<li class=\"{}\"><span class=\"tagn k{}\">{}</span> <span class=\"sev s-{}\">{}</span> <code>{}</code> <span class=\"basis\">{}</span>{} ",
            if decisive { "decisive" } else { "" },
            n % COLOURS,
            n + 1,
            f.severity.as_str(),
            f.severity.as_str(),
            f.code.as_str(),
            match f.basis {
                crate::checks::Basis::Cryptographic => "cryptographic",
                crate::checks::Basis::Heuristic => "heuristic",
            },
            if decisive {
                " <strong>decides the verdict</strong>"
            } else {
                ""
            },
        );
        html(out, &f.detail);
        evidence_list(out, report, &f.evidence, &format!("m{i}-{}", n + 1), &shown);
        out.push_str("</li>");
    }
    for (n, a) in report.anomalies.iter().enumerate() {
        let _ = write!(
            out,
            "<li><span class=\"tagn kr\">R{}</span> <span class=\"sev s-info\">reader</span> <code>{}</code> a structural anomaly the reader found",
            n + 1,
            a.code.as_str()
        );
        evidence_list(
            out,
            report,
            std::slice::from_ref(&a.span),
            &format!("m{i}-R{}", n + 1),
            &shown,
        );
        out.push_str("</li>");
    }
    out.push_str("</ol>");
    if report.findings.is_empty() && report.anomalies.is_empty() {
        out.push_str("<p>No finding.</p>");
    }

    dkim_table(out, report);

    if let Some(b) = bytes {
        bytes_view(out, report, b, &marks, &windows);
    }
    out.push_str("</section>\n");
}

/// One `label  value` line of a `kvt` block.
fn kv(out: &mut String, label: &str, value: &str) {
    let _ = write!(out, "{label:<22}");
    html(out, value);
    out.push('\n');
}

/// The spans of one finding: a link to each label shown below, or why it is not shown.
fn evidence_list(
    out: &mut String,
    report: &Report,
    spans: &[Span],
    anchor: &str,
    shown: &dyn Fn(Span) -> bool,
) {
    if spans.is_empty() {
        return;
    }
    let end = report.offset.saturating_add(report.length);
    out.push_str("<div class=\"spans\">evidence: ");
    for (j, s) in spans.iter().enumerate() {
        if j > 0 {
            out.push_str(", ");
        }
        if j >= SPANS {
            let _ = write!(out, "and {} more", spans.len() - j);
            break;
        }
        let inside = s.start >= report.offset && s.end <= end;
        if inside && shown(*s) {
            let _ = write!(
                out,
                "<a href=\"#{anchor}-{j}\"><code>[{}, {})</code></a>",
                s.start, s.end
            );
        } else {
            let _ = write!(out, "<code>[{}, {})</code>", s.start, s.end);
            out.push_str(if inside {
                " (not shown)"
            } else {
                " (outside this message)"
            });
        }
    }
    out.push_str("</div>");
}

/// Every span to highlight, in finding order, then the reader's anomalies.
fn marks(report: &Report) -> Vec<Mark> {
    let mut marks = Vec::new();
    let i = report.index;
    'findings: for (n, f) in report.findings.iter().enumerate() {
        for (j, s) in f.evidence.iter().enumerate() {
            if marks.len() >= SPANS {
                break 'findings;
            }
            marks.push(Mark {
                label: (n + 1).to_string(),
                code: f.code.as_str(),
                span: *s,
                colour: COLOUR_CLASSES.get(n % COLOURS).copied().unwrap_or("k0"),
                anchor: format!("m{i}-{}-{j}", n + 1),
            });
        }
    }
    for (n, a) in report.anomalies.iter().enumerate() {
        if marks.len() >= SPANS {
            break;
        }
        marks.push(Mark {
            label: format!("R{}", n + 1),
            code: a.code.as_str(),
            span: a.span,
            colour: "kr",
            anchor: format!("m{i}-R{}-0", n + 1),
        });
    }
    marks
}

const COLOUR_CLASSES: [&str; COLOURS] = ["k0", "k1", "k2", "k3", "k4", "k5", "k6", "k7"];

/// The byte ranges of the message to show, relative to its first byte, in order and
/// disjoint: the header block, and a window of whole lines around every span (the two ends
/// of a long span), within [`MESSAGE_BYTES`].
fn windows(bytes: &[u8], base: u64, marks: &[Mark]) -> Vec<(usize, usize)> {
    let len = bytes.len();
    let mut wanted = vec![(0, header_end(bytes).min(HEADER_BYTES))];
    for m in marks {
        let Some(r) = m.span.relative_to(base) else {
            continue;
        };
        if r.start > len {
            continue;
        }
        let (s, e) = (r.start, r.end.min(len));
        let lo = line_start(bytes, s.saturating_sub(CONTEXT), CONTEXT);
        let hi = line_end(bytes, e.saturating_add(CONTEXT).min(len), CONTEXT);
        if e - s <= LONG_SPAN {
            wanted.push((lo, hi));
        } else {
            wanted.push((lo, s + SPAN_EDGE));
            wanted.push((e - SPAN_EDGE, hi));
        }
    }
    wanted.sort_unstable();
    let mut merged: Vec<(usize, usize)> = Vec::with_capacity(wanted.len());
    let mut total = 0usize;
    for (a, b) in wanted {
        if b <= a {
            continue;
        }
        match merged.last_mut() {
            // Windows closer than a short line are shown as one.
            Some(last) if a <= last.1 + 80 => {
                if b > last.1 {
                    let grow = (b - last.1).min(MESSAGE_BYTES.saturating_sub(total));
                    last.1 += grow;
                    total += grow;
                }
            }
            _ => {
                let take = (b - a).min(MESSAGE_BYTES.saturating_sub(total));
                if take == 0 {
                    break;
                }
                merged.push((a, a + take));
                total += take;
            }
        }
    }
    merged
}

/// Relative offset just past the empty line that ends the header block (the whole message
/// when there is none).
pub(super) fn header_end(bytes: &[u8]) -> usize {
    let lf = memchr::memmem::find(bytes, b"\n\n").map(|p| p + 2);
    let crlf = memchr::memmem::find(bytes, b"\n\r\n").map(|p| p + 3);
    match (lf, crlf) {
        (Some(a), Some(b)) => a.min(b),
        (a, b) => a.or(b).unwrap_or(bytes.len()),
    }
}

/// The start of the line holding `x`, looking back at most `limit` bytes.
fn line_start(bytes: &[u8], x: usize, limit: usize) -> usize {
    let lo = x.saturating_sub(limit);
    match bytes.get(lo..x).and_then(|s| memchr::memrchr(b'\n', s)) {
        Some(p) => lo + p + 1,
        None => lo,
    }
}

/// The end of the line holding `x` (past its line feed), looking ahead at most `limit` bytes.
fn line_end(bytes: &[u8], x: usize, limit: usize) -> usize {
    let hi = x.saturating_add(limit).min(bytes.len());
    match bytes.get(x..hi).and_then(|s| memchr::memchr(b'\n', s)) {
        Some(p) => x + p + 1,
        None => hi,
    }
}

/// The stored bytes: each window as a `<pre>` headed by its place in the source, every
/// span in it highlighted.
fn bytes_view(
    out: &mut String,
    report: &Report,
    bytes: &[u8],
    marks: &[Mark],
    windows: &[(usize, usize)],
) {
    let base = report.offset;
    let header_end = header_end(bytes);
    out.push_str("<div class=\"bytes\"><h4>As stored</h4>");
    let mut at = 0usize;
    for &(ws, we) in windows {
        if ws > at {
            skipped(out, base, at, ws);
        }
        out.push_str("<div class=\"at\"><code>");
        html(out, &report.source);
        let _ = write!(
            out,
            " @ {}</code> to {}{}</div><pre class=\"raw\">",
            base + ws as u64,
            base + we as u64,
            match (ws, we <= header_end) {
                (0, true) => " (header block)",
                (0, false) => " (header block and body)",
                _ => "",
            }
        );
        window(out, bytes, base, ws, we, marks);
        out.push_str("</pre>");
        at = we;
    }
    if at < bytes.len() {
        skipped(out, base, at, bytes.len());
    }
    out.push_str("</div>");
}

fn skipped(out: &mut String, base: u64, from: usize, to: usize) {
    let _ = write!(
        out,
        "<div class=\"skip\">\u{22ef} {} bytes not shown ({} to {}) \u{22ef}</div>",
        to - from,
        base + from as u64,
        base + to as u64
    );
}

/// One window `[ws, we)` of the message (relative offsets): the text of the bytes, cut into
/// segments at every span boundary; a segment inside spans is a `<mark>` carrying its
/// absolute offsets and the labels of its spans, and a label precedes the first byte of
/// each span.
fn window(out: &mut String, bytes: &[u8], base: u64, ws: usize, we: usize, marks: &[Mark]) {
    let Some(text) = bytes.get(ws..we) else {
        return;
    };
    // Each mark clipped to the window, relative to the message.
    let clipped: Vec<Option<(usize, usize)>> = marks
        .iter()
        .map(|m| {
            let r = m.span.relative_to(base)?;
            let (s, e) = (r.start.max(ws), r.end.min(we));
            (s < e || (r.start == r.end && (ws..we).contains(&r.start))).then_some((s, e))
        })
        .collect();
    let mut points: Vec<usize> = vec![ws, we];
    for &(s, e) in clipped.iter().flatten() {
        points.push(s);
        points.push(e);
    }
    points.sort_unstable();
    points.dedup();

    // Opening and closing text of each segment [points[k], points[k+1]).
    let segment = |k: usize| -> (String, &'static str) {
        let (Some(&p), Some(&q)) = (points.get(k), points.get(k + 1)) else {
            return (String::new(), "");
        };
        let mut open = String::new();
        let mut covering: Vec<&Mark> = Vec::new();
        for (m, c) in marks.iter().zip(&clipped) {
            let Some((s, e)) = *c else { continue };
            if s == p {
                let real_start = m.span.start == base + p as u64;
                let _ = write!(
                    open,
                    "<sup class=\"tag {}\" id=\"{}\" data-l=\"{} {}{} @{}\"></sup>",
                    m.colour,
                    if real_start { m.anchor.as_str() } else { "" },
                    m.label,
                    if real_start { "" } else { "\u{2026} " },
                    m.code,
                    m.span.start,
                );
            }
            if s <= p && q <= e && s < e {
                covering.push(m);
            }
        }
        // An id may not be empty: drop the attribute of continued labels.
        let open = open.replace(" id=\"\"", "");
        if covering.is_empty() {
            return (open, "");
        }
        let mut tag = open;
        let labels: Vec<&str> = covering.iter().map(|m| m.label.as_str()).collect();
        let mut title = String::new();
        for m in &covering {
            let _ = write!(
                title,
                "{} {} [{}, {}); ",
                m.label, m.code, m.span.start, m.span.end
            );
        }
        let _ = write!(
            tag,
            "<mark class=\"{}{}\" data-start=\"{}\" data-end=\"{}\" data-f=\"{}\" title=\"",
            covering.first().map_or("k0", |m| m.colour),
            if covering.len() > 1 { " multi" } else { "" },
            base + p as u64,
            base + q as u64,
            labels.join(" "),
        );
        html(&mut tag, title.trim_end_matches("; "));
        tag.push_str("\">");
        (tag, "</mark>")
    };

    let mut k = 0usize;
    let (open, mut close) = segment(k);
    out.push_str(&open);
    let mut next = points.get(k + 1).copied().unwrap_or(we);
    let mut pos = ws;
    for chunk in text.utf8_chunks() {
        for (o, c) in chunk.valid().char_indices() {
            let at = pos + o;
            while at >= next && next < we {
                out.push_str(close);
                k += 1;
                let (open, c2) = segment(k);
                out.push_str(&open);
                close = c2;
                next = points.get(k + 1).copied().unwrap_or(we);
            }
            stored_char(out, c);
        }
        pos += chunk.valid().len();
        if !chunk.invalid().is_empty() {
            while pos >= next && next < we {
                out.push_str(close);
                k += 1;
                let (open, c2) = segment(k);
                out.push_str(&open);
                close = c2;
                next = points.get(k + 1).copied().unwrap_or(we);
            }
            out.push('\u{fffd}');
            pos += chunk.invalid().len();
        }
    }
    out.push_str(close);
}

/// The DKIM result of every signature and the ARC chain.
fn dkim_table(out: &mut String, report: &Report) {
    if report.dkim.is_empty() {
        out.push_str("<p class=\"dkim-none\">No DKIM signature.</p>");
    }
    for (n, s) in report.dkim.iter().enumerate() {
        if n >= SIGNATURES {
            let _ = write!(
                out,
                "<p>{} more signatures are not listed here (see the JSON output).</p>",
                report.dkim.len() - n
            );
            break;
        }
        let result = super::name(&s.result);
        let _ = write!(
            out,
            "<div class=\"kvt dkim\"><b>DKIM signature {} of {}:</b> <span class=\"res r-{result}\">{result}</span>",
            n + 1,
            report.dkim.len()
        );
        out.push('\n');
        kv(
            out,
            "signer",
            &format!("d={} s={} a={}", s.domain, s.selector, s.algorithm),
        );
        kv(
            out,
            "checks",
            &format!(
                "header signature {}, body hash {}",
                yes_no(s.header_signature_valid),
                yes_no(s.body_hash_valid)
            ),
        );
        let mut key = match s.key_bits {
            Some(b) => format!("{b} bits"),
            None => "no key".to_string(),
        };
        if let Some(src) = &s.key_source {
            key.push_str(", from ");
            key.push_str(src);
        }
        if s.weak_key {
            key.push_str(", weak");
        }
        if s.testing {
            key.push_str(", testing (t=y)");
        }
        if let Some(p) = s
            .key_annotations
            .as_ref()
            .and_then(|a| a.private_key_published.as_ref())
        {
            key.push_str(", private key published ");
            key.push_str(p);
        }
        kv(out, "key", &key);
        kv(out, "judged as of", &s.as_of.to_string());
        let mut signed: Vec<String> = s
            .signed_headers
            .iter()
            .take(SIGNED_NAMES)
            .map(|h| match h.span {
                Some(sp) => format!("{} @{}", h.name, sp.start),
                None => format!("({} absent: its absence is signed)", h.name),
            })
            .collect();
        if s.signed_headers.len() > SIGNED_NAMES {
            signed.push(format!(
                "and {} more",
                s.signed_headers.len() - SIGNED_NAMES
            ));
        }
        kv(out, "signed headers (h=)", &signed.join(", "));
        let unsigned: Vec<String> = s
            .unsigned_header_fields
            .iter()
            .take(SIGNED_NAMES)
            .map(|h| format!("{} @{}", h.name, h.span.start))
            .collect();
        kv(
            out,
            "displayed, unsigned",
            &if unsigned.is_empty() {
                "none".to_string()
            } else {
                unsigned.join(", ")
            },
        );
        kv(
            out,
            "body",
            &match (s.body_length, s.unsigned_body_bytes) {
                (None, _) => "whole body signed".to_string(),
                (Some(l), 0) => format!("l={l}: the whole body"),
                (Some(l), u) => format!("l={l}: {u} bytes after it are unsigned"),
            },
        );
        kv(
            out,
            "repair proven",
            &s.repair
                .as_ref()
                .map_or_else(|| "none needed".to_string(), |r| r.to_string()),
        );
        if let Some(d) = &s.detail {
            kv(out, "note", d);
        }
        out.push_str("</div>");
    }
    if let Some(arc) = &report.arc {
        let _ = write!(
            out,
            "<p class=\"arc\">ARC chain: <b>{}</b>, {} sets",
            super::name(&arc.result),
            arc.instances
        );
        for set in arc.sets.iter().take(SIGNATURES) {
            let _ = write!(out, "; i={} d=", set.i);
            html(out, &set.domain);
            let _ = write!(
                out,
                " cv={} seal {}",
                set.cv.as_str(),
                yes_no(set.seal_valid)
            );
        }
        if let Some(d) = &arc.detail {
            out.push_str(" (");
            html(out, d);
            out.push(')');
        }
        out.push_str("</p>");
    }
}

fn yes_no(v: Option<bool>) -> &'static str {
    match v {
        Some(true) => "valid",
        Some(false) => "INVALID",
        None => "not checked",
    }
}
