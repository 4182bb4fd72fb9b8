//! Document metadata of attachments (feature `attachments`): Office Open XML
//! (`docProps/core.xml`, `docProps/app.xml`), OpenDocument (`meta.xml`) and PDF (Info
//! dictionary and XMP, by a byte scan).
//!
//! Flags: a document modified after the email's `Date`; an author unrelated to the sender;
//! many documents across messages last modified by one editor within a short window (how the
//! forged spreadsheets of the 2017 MacronLeaks dump were spotted).
//!
//! This is the only check that decodes the MIME tree (with mail-parser); it runs only when
//! the feature is on.

use std::collections::HashMap;
use std::io::Read;

use mail_parser::{MessageParser, MimeHeaders};

use super::{Config, Finding, FindingCode, Severity};
use crate::fields::date::{format_utc, parse_iso, parse_pdf};
use crate::fields::domain::address;
use crate::limits::Limits;
use crate::read::headers::Headers;
use crate::span::Span;

/// Text gathered for one element: metadata values are short; longer text is cut here.
const MAX_TEXT: usize = 4096;

/// Append `more` to `text`, keeping at most [`MAX_TEXT`] bytes (cut at a character).
fn push_bounded(text: &mut String, more: &str) {
    let room = MAX_TEXT.saturating_sub(text.len());
    if more.len() <= room {
        text.push_str(more);
        return;
    }
    let mut cut = room;
    while !more.is_char_boundary(cut) {
        cut -= 1;
    }
    text.push_str(more.get(..cut).unwrap_or_default());
}

/// The kind of an attached document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "kebab-case"))]
#[non_exhaustive]
pub enum DocumentKind {
    /// Office Open XML (docx, xlsx, pptx).
    Ooxml,
    /// OpenDocument (odt, ods, odp).
    Odf,
    /// PDF.
    Pdf,
}

/// Metadata of one attached document. Times are Unix seconds.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct DocumentMeta {
    /// The format.
    pub kind: DocumentKind,
    /// The author (OOXML `dc:creator`, ODF `meta:initial-creator`, PDF `/Author`).
    pub creator: Option<String>,
    /// The last editor (OOXML `cp:lastModifiedBy`, ODF `dc:creator`).
    pub last_modified_by: Option<String>,
    /// Creation time.
    pub created: Option<i64>,
    /// Last modification time.
    pub modified: Option<i64>,
    /// Whether `modified` carried a zone (ODF dates often have none: local time).
    pub modified_zone_known: bool,
    /// The application (OOXML `Application` + `AppVersion`, ODF `meta:generator`, PDF
    /// `/Creator` or `/Producer`).
    pub application: Option<String>,
    /// The language (`dc:language`).
    pub language: Option<String>,
}

impl DocumentMeta {
    fn new(kind: DocumentKind) -> Self {
        DocumentMeta {
            kind,
            creator: None,
            last_modified_by: None,
            created: None,
            modified: None,
            modified_zone_known: true,
            application: None,
            language: None,
        }
    }

    /// The last editor, else the author.
    pub fn editor(&self) -> Option<&str> {
        self.last_modified_by.as_deref().or(self.creator.as_deref())
    }
}

/// What the dump-wide pass keeps of one attached document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachmentFacts {
    /// The attachment part in the source.
    pub span: Span,
    /// The last editor (else the author), as written.
    pub editor: Option<Box<str>>,
    /// Last modification time, Unix seconds.
    pub modified: Option<i64>,
    /// The application.
    pub application: Option<Box<str>>,
}

/// Read the metadata of a document from its decoded bytes; `None` for other files. Reads
/// within the default [`Limits`].
pub fn document_metadata(data: &[u8]) -> Option<DocumentMeta> {
    document_metadata_limited(data, &Limits::default()).0
}

/// [`document_metadata`] within `limits`, and the budget reached if one was (what was not
/// read, and why).
fn document_metadata_limited(
    data: &[u8],
    limits: &Limits,
) -> (Option<DocumentMeta>, Option<String>) {
    let mut over = None;
    let meta = read_document(data, limits, &mut over);
    (meta, over)
}

fn read_document(data: &[u8], limits: &Limits, over: &mut Option<String>) -> Option<DocumentMeta> {
    if data.starts_with(b"%PDF-") {
        return Some(pdf(data, limits, over));
    }
    if !data.starts_with(b"PK\x03\x04") {
        return None;
    }
    if let Some(n) = zip_entry_count(data).filter(|&n| n > limits.zip_entries) {
        *over = Some(format!(
            "its zip directory lists {n} entries, over the limit of {}: not opened",
            limits.zip_entries
        ));
        return None;
    }
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(data)).ok()?;
    if let Some(core) = member(&mut zip, "docProps/core.xml", limits) {
        let mut meta = DocumentMeta::new(DocumentKind::Ooxml);
        let fields = xml_fields(&core, limits, over);
        meta.creator = fields.get("creator").cloned();
        meta.last_modified_by = fields.get("lastModifiedBy").cloned();
        meta.created = fields
            .get("created")
            .and_then(|d| parse_iso(d))
            .map(|d| d.unix);
        if let Some(d) = fields.get("modified").and_then(|d| parse_iso(d)) {
            meta.modified = Some(d.unix);
            meta.modified_zone_known = d.tz_minutes.is_some();
        }
        meta.language = fields.get("language").cloned();
        if let Some(app) = member(&mut zip, "docProps/app.xml", limits) {
            let f = xml_fields(&app, limits, over);
            meta.application = match (f.get("Application"), f.get("AppVersion")) {
                (Some(a), Some(v)) => Some(format!("{a} {v}")),
                (Some(a), None) => Some(a.clone()),
                _ => None,
            };
        }
        return Some(meta);
    }
    if let Some(m) = member(&mut zip, "meta.xml", limits) {
        let mut meta = DocumentMeta::new(DocumentKind::Odf);
        let f = xml_fields(&m, limits, over);
        meta.creator = f.get("initial-creator").cloned();
        meta.last_modified_by = f.get("creator").cloned();
        meta.created = f
            .get("creation-date")
            .and_then(|d| parse_iso(d))
            .map(|d| d.unix);
        if let Some(d) = f.get("date").and_then(|d| parse_iso(d)) {
            meta.modified = Some(d.unix);
            meta.modified_zone_known = d.tz_minutes.is_some();
        }
        meta.application = f.get("generator").cloned();
        meta.language = f.get("language").cloned();
        return Some(meta);
    }
    None
}

/// The number of entries a zip's end of central directory record declares (the zip64 one
/// when the classic record says 0xFFFF), read before the zip reader loads the directory.
fn zip_entry_count(data: &[u8]) -> Option<u64> {
    // The record is 22 bytes plus a comment of up to 65,535 bytes at the end.
    let tail_start = data.len().saturating_sub(22 + 0xffff);
    let tail = data.get(tail_start..)?;
    let at = memchr::memmem::rfind(tail, b"PK\x05\x06")? + tail_start;
    let le16 = |p: usize| data.get(p..p + 2).map(|b| u16::from_le_bytes([b[0], b[1]]));
    let total = le16(at + 10)?;
    if total != 0xffff {
        return Some(u64::from(total));
    }
    // Zip64 end of central directory locator: 20 bytes before the classic record.
    let loc = at.checked_sub(20)?;
    if data.get(loc..loc + 4)? != b"PK\x06\x07" {
        return Some(u64::from(total));
    }
    let record = u64::from_le_bytes(data.get(loc + 8..loc + 16)?.try_into().ok()?);
    let record = usize::try_from(record).ok()?;
    if data.get(record..record + 4)? != b"PK\x06\x06" {
        // No zip64 record where the locator points: the zip reader will refuse it.
        return Some(u64::from(total));
    }
    Some(u64::from_le_bytes(
        data.get(record + 32..record + 40)?.try_into().ok()?,
    ))
}

fn member<R: std::io::Read + std::io::Seek>(
    zip: &mut zip::ZipArchive<R>,
    name: &str,
    limits: &Limits,
) -> Option<Vec<u8>> {
    let file = zip.by_name(name).ok()?;
    let mut out = Vec::new();
    file.take(limits.xml_bytes).read_to_end(&mut out).ok()?;
    Some(out)
}

/// The text of the first element of each local name (namespace prefixes dropped), read no
/// deeper than [`Limits::xml_depth`] (the reading stops there, and `over` says so).
fn xml_fields(xml: &[u8], limits: &Limits, over: &mut Option<String>) -> HashMap<String, String> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_reader(xml);
    let mut buf = Vec::new();
    let mut out: HashMap<String, String> = HashMap::new();
    let mut stack: Vec<String> = Vec::new();
    let mut text = String::new();
    loop {
        match reader.read_event_into(&mut buf) {
            Ok(Event::Start(e)) => {
                if stack.len() >= limits.xml_depth {
                    over.get_or_insert_with(|| {
                        format!(
                            "its metadata XML nests deeper than {} elements: read up to there",
                            limits.xml_depth
                        )
                    });
                    break;
                }
                stack.push(String::from_utf8_lossy(e.local_name().as_ref()).into_owned());
                text.clear();
            }
            Ok(Event::Text(t)) => {
                if let Ok(s) = t.decode() {
                    push_bounded(&mut text, &s);
                }
            }
            Ok(Event::CData(t)) => push_bounded(&mut text, &String::from_utf8_lossy(&t)),
            Ok(Event::GeneralRef(r)) => {
                if let Ok(Some(c)) = r.resolve_char_ref() {
                    text.push(c);
                } else {
                    let name = r.decode().unwrap_or_default();
                    text.push_str(match name.as_ref() {
                        "amp" => "&",
                        "lt" => "<",
                        "gt" => ">",
                        "quot" => "\"",
                        "apos" => "'",
                        _ => "",
                    });
                }
            }
            Ok(Event::End(_)) => {
                if let Some(name) = stack.pop() {
                    let v = text.trim();
                    if !v.is_empty() {
                        out.entry(name).or_insert_with(|| v.to_string());
                    }
                }
                text.clear();
            }
            Ok(Event::Eof) | Err(_) => break,
            _ => {}
        }
        buf.clear();
    }
    out
}

/// PDF metadata by a byte scan of the Info dictionary and the XMP packet (at most
/// [`Limits::xml_bytes`] of it).
fn pdf(data: &[u8], limits: &Limits, over: &mut Option<String>) -> DocumentMeta {
    let mut meta = DocumentMeta::new(DocumentKind::Pdf);
    meta.creator = pdf_string(data, b"/Author");
    meta.application = pdf_string(data, b"/Creator").or_else(|| pdf_string(data, b"/Producer"));
    meta.created = pdf_string(data, b"/CreationDate")
        .and_then(|d| parse_pdf(&d))
        .map(|d| d.unix);
    meta.modified = pdf_string(data, b"/ModDate")
        .and_then(|d| parse_pdf(&d))
        .map(|d| d.unix);
    // XMP, when the Info dictionary lacks a field.
    if let Some(start) = memchr::memmem::find(data, b"<x:xmpmeta") {
        let max = usize::try_from(limits.xml_bytes).unwrap_or(usize::MAX);
        let window = data.get(start..).unwrap_or_default();
        let window = window.get(..max).unwrap_or(window);
        let end = memchr::memmem::find(window, b"</x:xmpmeta>").map(|e| e + 12);
        if end.is_none() && window.len() == max {
            *over = Some(format!(
                "its XMP packet is longer than {} bytes: read up to there",
                limits.xml_bytes
            ));
        }
        let packet = window.get(..end.unwrap_or(window.len())).unwrap_or(window);
        let f = xml_fields(packet, limits, over);
        if meta.modified.is_none() {
            meta.modified = f
                .get("ModifyDate")
                .and_then(|d| parse_iso(d))
                .map(|d| d.unix);
        }
        if meta.created.is_none() {
            meta.created = f
                .get("CreateDate")
                .and_then(|d| parse_iso(d))
                .map(|d| d.unix);
        }
        if meta.creator.is_none() {
            meta.creator = f.get("li").cloned();
        }
        if meta.application.is_none() {
            meta.application = f.get("CreatorTool").or(f.get("Producer")).cloned();
        }
    }
    meta
}

/// The literal string after `key` in the first place it appears: `/Key (text)`, with PDF
/// escapes and UTF-16BE (byte order mark) decoded.
fn pdf_string(data: &[u8], key: &[u8]) -> Option<String> {
    let mut from = 0;
    while let Some(i) = memchr::memmem::find(data.get(from..)?, key) {
        let at = from + i + key.len();
        from = at;
        // The key must end here (not `/CreatorTool`).
        if data.get(at).is_some_and(|b| b.is_ascii_alphanumeric()) {
            continue;
        }
        let mut p = at;
        while data.get(p).is_some_and(|b| b.is_ascii_whitespace()) {
            p += 1;
        }
        if data.get(p) != Some(&b'(') {
            continue;
        }
        p += 1;
        let mut out = Vec::new();
        let mut depth = 1usize;
        while let Some(&c) = data.get(p) {
            p += 1;
            match c {
                b'\\' => {
                    let Some(&n) = data.get(p) else { break };
                    p += 1;
                    match n {
                        b'n' => out.push(b'\n'),
                        b'r' => out.push(b'\r'),
                        b't' => out.push(b'\t'),
                        b'0'..=b'7' => {
                            let mut v = u32::from(n - b'0');
                            for _ in 0..2 {
                                match data.get(p) {
                                    Some(&d @ b'0'..=b'7') => {
                                        v = v * 8 + u32::from(d - b'0');
                                        p += 1;
                                    }
                                    _ => break,
                                }
                            }
                            out.push((v & 0xff) as u8);
                        }
                        other => out.push(other),
                    }
                }
                b'(' => {
                    depth += 1;
                    out.push(c);
                }
                b')' => {
                    depth -= 1;
                    if depth == 0 {
                        break;
                    }
                    out.push(c);
                }
                _ => out.push(c),
            }
            if out.len() > 4096 {
                break;
            }
        }
        let text = if out.starts_with(&[0xfe, 0xff]) {
            let units: Vec<u16> = out[2..]
                .chunks_exact(2)
                .map(|c| u16::from_be_bytes([c[0], c[1]]))
                .collect();
            String::from_utf16_lossy(&units)
        } else {
            // PDFDocEncoding is Latin-1 for the printable range.
            out.iter().map(|&b| char::from(b)).collect()
        };
        let text = text.trim().to_string();
        return (!text.is_empty()).then_some(text);
    }
    None
}

/// Decode the message's MIME tree and read the metadata of every attached document. Spans
/// are absolute (the message starts at `base`). Reads within the default [`Limits`].
pub fn attachments(message: &[u8], base: u64) -> Vec<(Span, Option<String>, DocumentMeta)> {
    attachments_limited(message, base, &Limits::default()).0
}

/// One attached document: its part, its file name, its metadata.
type Document = (Span, Option<String>, DocumentMeta);

/// [`attachments`] within `limits`, and a note for each budget reached (the span of the part
/// or message, and what was not read).
fn attachments_limited(
    message: &[u8],
    base: u64,
    limits: &Limits,
) -> (Vec<Document>, Vec<(Span, String)>) {
    // Only messages that can hold a ZIP or PDF document (raw, or base64 at a line start) are
    // decoded: mail without one costs a few memchr-speed scans.
    let candidate = [&b"UEsDB"[..], b"JVBERi0", b"PK\x03\x04", b"%PDF-"]
        .iter()
        .any(|sig| memchr::memmem::find(message, sig).is_some());
    if !candidate {
        return (Vec::new(), Vec::new());
    }
    let whole = Span::from_relative(base, 0..message.len());
    if let Some(why) = mime_over_budget(message, limits) {
        return (Vec::new(), vec![(whole, why)]);
    }
    // mail-parser 0.11.9 panics on some malformed multipart nesting ("Invalid part ID"): a
    // message it cannot decode has no attachment metadata, never a crash of the scan.
    std::panic::catch_unwind(|| documents(message, base, limits)).unwrap_or_default()
}

/// Whether the MIME structure of `message` is deeper or wider than the budget, by a scan of
/// its lines before any decoding: boundaries declared (`boundary=`) and not yet closed give
/// the depth, delimiter lines of an open boundary the parts. Attached messages count through
/// their own boundaries.
fn mime_over_budget(message: &[u8], limits: &Limits) -> Option<String> {
    let mut open: Vec<Vec<u8>> = Vec::new();
    let mut parts = 0usize;
    for line in message.split(|&b| b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if let Some(rest) = line.strip_prefix(b"--") {
            let rest = trim_end(rest);
            let (name, closing) = match rest.strip_suffix(b"--") {
                Some(n) if open.iter().any(|b| b == n) => (n, true),
                _ => (rest, false),
            };
            if let Some(level) = open.iter().rposition(|b| b == name) {
                if closing {
                    open.truncate(level);
                } else {
                    parts += 1;
                    if parts > limits.mime_parts {
                        return Some(format!(
                            "more than {} MIME parts: its attachments were not decoded",
                            limits.mime_parts
                        ));
                    }
                }
                continue;
            }
        }
        if let Some(b) = boundary_parameter(line) {
            open.push(b);
            if open.len() > limits.mime_depth {
                return Some(format!(
                    "multiparts nested deeper than {}: its attachments were not decoded",
                    limits.mime_depth
                ));
            }
        }
    }
    None
}

fn trim_end(b: &[u8]) -> &[u8] {
    let end = b
        .iter()
        .rposition(|c| !c.is_ascii_whitespace())
        .map_or(0, |i| i + 1);
    b.get(..end).unwrap_or(b)
}

/// The value of a `boundary=` parameter on this line, if there is one.
fn boundary_parameter(line: &[u8]) -> Option<Vec<u8>> {
    const KEY: &[u8] = b"boundary=";
    let at = line
        .windows(KEY.len())
        .position(|w| w.eq_ignore_ascii_case(KEY))?;
    let value = line.get(at + KEY.len()..)?;
    let value = if let Some(quoted) = value.strip_prefix(b"\"") {
        quoted.split(|&b| b == b'"').next().unwrap_or_default()
    } else {
        value
            .split(|&b| b == b';' || b.is_ascii_whitespace())
            .next()
            .unwrap_or_default()
    };
    (!value.is_empty()).then(|| value.to_vec())
}

fn documents(message: &[u8], base: u64, limits: &Limits) -> (Vec<Document>, Vec<(Span, String)>) {
    let Some(parsed) = MessageParser::default().parse(message) else {
        return (Vec::new(), Vec::new());
    };
    let mut notes = Vec::new();
    let docs = parsed
        .attachments()
        .filter_map(|part| {
            let span = Span::new(
                base + u64::from(part.raw_header_offset()),
                base + u64::from(part.raw_end_offset()),
            );
            let (meta, over) = document_metadata_limited(part.contents(), limits);
            if let Some(why) = over {
                notes.push((span, why));
            }
            Some((span, part.attachment_name().map(str::to_string), meta?))
        })
        .collect();
    (docs, notes)
}

/// Name tokens: lowercased alphanumeric runs of three characters or more.
fn tokens(s: &str) -> Vec<String> {
    s.split(|c: char| !c.is_alphanumeric())
        .filter(|t| t.chars().count() >= 3)
        .map(|t| t.to_lowercase())
        .collect()
}

/// A message that is one text part (Content-Type `text/*` or none, and no
/// Content-Disposition) has no attachment: its body need not be searched.
fn single_text_part(headers: &Headers<'_>) -> bool {
    let text = headers.get("content-type").is_none_or(|f| {
        let v = f.raw_value();
        let start = v
            .iter()
            .position(|b| !b.is_ascii_whitespace())
            .unwrap_or(v.len());
        v.get(start..start + 5)
            .is_some_and(|t| t.eq_ignore_ascii_case(b"text/"))
    });
    text && headers.get("content-disposition").is_none()
}

/// Per-message attachment findings and the facts kept for the dump-wide pass.
pub fn check(
    message: &[u8],
    base: u64,
    headers: &Headers<'_>,
    config: &Config,
    limits: &Limits,
) -> (Vec<Finding>, Vec<AttachmentFacts>) {
    let mut out = Vec::new();
    let mut facts = Vec::new();
    if single_text_part(headers) {
        return (out, facts);
    }
    let (docs, over) = attachments_limited(message, base, limits);
    for (span, why) in over {
        out.push(Finding::heuristic(
            FindingCode::LimitExceeded,
            Severity::Medium,
            format!("The attachment metadata was not fully read: {why}."),
            vec![span],
        ));
    }
    if docs.is_empty() {
        return (out, facts);
    }
    let date = headers
        .get("date")
        .and_then(|f| crate::fields::date::parse(&f.value()).map(|d| (f.span(), d.unix)));
    let from = headers.get("from");
    let sender_tokens: Vec<String> = from
        .as_ref()
        .map(|f| {
            let v = f.decoded();
            let mut t = tokens(&v);
            if let Some(a) = address(&v) {
                t.extend(tokens(a.split('@').next().unwrap_or("")));
            }
            t
        })
        .unwrap_or_default();
    for (span, name, meta) in docs {
        let label = name.unwrap_or_else(|| "an attachment".to_string());
        if let (Some((dspan, d)), Some(m)) = (date, meta.modified) {
            let tolerance = if meta.modified_zone_known {
                config.clock_skew
            } else {
                14 * 3600
            };
            if m > d.saturating_add(tolerance) {
                out.push(Finding::heuristic(
                    FindingCode::AttachmentModifiedAfterDate,
                    Severity::Medium,
                    format!(
                        "{label} was last modified {} , after the email's Date ({}).",
                        format_utc(m),
                        format_utc(d)
                    )
                    .replace(" ,", ","),
                    vec![span, dspan],
                ));
            }
        }
        // The last editor (else the author): the person who last touched the document.
        if let (false, Some(editor)) = (sender_tokens.is_empty(), meta.editor())
            && !tokens(editor).iter().any(|t| sender_tokens.contains(t))
        {
            let role = if meta.last_modified_by.is_some() {
                "last edited"
            } else {
                "written"
            };
            let mut ev = vec![span];
            ev.extend(from.as_ref().map(|f| f.span()));
            out.push(Finding::heuristic(
                    FindingCode::AttachmentAuthorUnrelated,
                    Severity::Low,
                    format!(
                        "{label} was {role} by \"{editor}\", a name that shares nothing with the sender's."
                    ),
                    ev,
                ));
        }
        facts.push(AttachmentFacts {
            span,
            editor: meta.editor().map(|e| e.into()),
            modified: meta.modified,
            application: meta.application.as_deref().map(Into::into),
        });
    }
    (out, facts)
}

/// A document's last modification time, its message and its part.
type EditedDoc = (i64, u64, Span);

/// Clusters of documents last modified by one editor within a short window, across at least
/// two messages. `documents` gives each message's index and the facts of its attachments.
pub(crate) fn dump_checks<'a>(
    documents: impl IntoIterator<Item = (u64, &'a [AttachmentFacts])>,
    config: &Config,
    push: &mut impl FnMut(u64, Finding),
) {
    let mut by_editor: HashMap<String, (&str, Vec<EditedDoc>)> = HashMap::new();
    for (index, attachments) in documents {
        for a in attachments {
            if let (Some(e), Some(t)) = (a.editor.as_deref(), a.modified) {
                let entry = by_editor
                    .entry(e.trim().to_lowercase())
                    .or_insert_with(|| (e.trim(), Vec::new()));
                entry.1.push((t, index, a.span));
            }
        }
    }
    let mut editors: Vec<_> = by_editor.into_values().collect();
    editors.sort_unstable_by(|a, b| a.0.cmp(b.0));
    for (editor, mut docs) in editors {
        docs.sort_unstable();
        let mut flagged = vec![false; docs.len()];
        let mut lo = 0;
        for hi in 0..docs.len() {
            while docs[hi].0 - docs[lo].0 > config.attachment_window && lo < hi {
                lo += 1;
            }
            let window = &docs[lo..=hi];
            let mut messages: Vec<u64> = window.iter().map(|d| d.1).collect();
            messages.sort_unstable();
            messages.dedup();
            if window.len() >= config.attachment_cluster_min && messages.len() >= 2 {
                for f in &mut flagged[lo..=hi] {
                    *f = true;
                }
            }
        }
        let cluster: Vec<&EditedDoc> = docs
            .iter()
            .zip(&flagged)
            .filter(|(_, f)| **f)
            .map(|(d, _)| d)
            .collect();
        if cluster.is_empty() {
            continue;
        }
        let (first, last) = (cluster[0].0, cluster[cluster.len() - 1].0);
        let mut per_message: HashMap<u64, Vec<Span>> = HashMap::new();
        for d in &cluster {
            per_message.entry(d.1).or_default().push(d.2);
        }
        let n_messages = per_message.len();
        let mut keys: Vec<u64> = per_message.keys().copied().collect();
        keys.sort_unstable();
        for index in keys {
            let spans = per_message.remove(&index).unwrap_or_default();
            push(
                index,
                Finding::heuristic(
                    FindingCode::AttachmentEditCluster,
                    Severity::Medium,
                    format!(
                        "{} attachments in {n_messages} messages were last modified by \"{editor}\" between {} and {}.",
                        cluster.len(),
                        format_utc(first),
                        format_utc(last)
                    ),
                    spans,
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pdf_strings() {
        let pdf = b"%PDF-1.4\n1 0 obj << /Author (Jean \\(JD\\) Dupont) /CreatorTool (x) /Creator <aa> /Producer (\xfe\xff\x00A\x00b) /ModDate (D:20170327100507+02'00') >>";
        let m = document_metadata(pdf).unwrap();
        assert_eq!(m.creator.as_deref(), Some("Jean (JD) Dupont"));
        assert_eq!(m.application.as_deref(), Some("Ab"));
        assert_eq!(m.modified, Some(1_490_601_907));
        assert_eq!(document_metadata(b"plain text"), None);
        assert_eq!(document_metadata(b"PK\x03\x04broken"), None);
    }
}
#[cfg(test)]
mod no_panic {
    /// Shaped like a 1996 Netscape mbox message on which mail-parser 0.11.9 panics: a
    /// message/rfc822 part followed by another part. `UEsDB` makes it a candidate.
    const NESTED: &str = "From: a@x\nContent-Type: multipart/mixed; boundary=\"--b\"\n\n----b\nContent-Type: message/rfc822\n\nFrom: b@x\nContent-Type: text/plain\n\nUEsDB\n\n----b\nContent-Type: image/gif\nContent-Transfer-Encoding: base64\n\nR0lGODdh\n----b--\n";

    #[test]
    fn decoder_panic_is_contained() {
        let direct = std::panic::catch_unwind(|| {
            super::documents(NESTED.as_bytes(), 0, &crate::Limits::default())
        });
        // Whether or not this mail-parser version panics here, the public path must not.
        let _ = direct;

        assert!(super::attachments(NESTED.as_bytes(), 0).is_empty());
    }
}
