//! Apple Mail `.emlx` and `.partial.emlx` files.
//!
//! An `.emlx` file is a line with the message's byte count, the message, and an XML property
//! list with Mail's facts about it (dates, flags, the server's id). [`parse`] gives the
//! message's exact place in the file (offset and length, so that a hash covers the bytes as
//! stored), the plist's facts, and anomalies such as a byte count that does not match.
//!
//! A `.partial.emlx` holds the message without the bodies of its attachments: Mail keeps
//! those decoded in `../Attachments/<id>/<section>/<file name>`, `<section>` being the part's
//! IMAP section number (`2`, `2.4`), and marks each part whose body it left out with an
//! `X-Apple-Content-Length` header (the length of the encoded body it removed). [`parse`]
//! lists those parts; [`rebuild_partial`] puts the attachments back, encoded with the part's
//! own `Content-Transfer-Encoding`, and checks each against `X-Apple-Content-Length`. A
//! rebuilt message is reconstructed bytes, never the stored ones.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;

use crate::read::facts::{ElidedPart, EmlxFacts, EmlxFlags, EmlxRebuild, Provenance, StoreFacts};
use crate::read::format::Format;
use crate::read::message::Message;
use crate::read::walk::{LimitKind, Result, WalkError};
use crate::span::Span;
use crate::timestamp::Timestamp;

/// The facts of the plist. Dates are Unix seconds (fractions dropped).
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Facts {
    /// `date-received`.
    pub date_received: Option<i64>,
    /// `date-sent`.
    pub date_sent: Option<i64>,
    /// `date-last-viewed`.
    pub date_last_viewed: Option<i64>,
    /// `flags`, decoded.
    pub flags: Option<EmlxFlags>,
    /// `remote-id` (the server's id of the message, an IMAP UID).
    pub remote_id: Option<String>,
    /// `conversation-id`.
    pub conversation_id: Option<i64>,
    /// `original-mailbox` (an IMAP URL).
    pub original_mailbox: Option<String>,
}

/// Something about the file that does not match its format.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Anomaly {
    /// The byte count line does not end where the plist starts: the message is taken up to
    /// the plist (the file was edited, or truncated and completed).
    ByteCountMismatch {
        /// The count on the first line.
        declared: u64,
        /// The bytes between the first line and the plist.
        actual: u64,
    },
    /// No plist after the message: the message is taken as the declared count (or up to the
    /// end of the file, when shorter: then the file is truncated).
    NoPlist,
    /// The plist is there but could not be read.
    PlistUnreadable(String),
    /// The byte count goes past the end of the file.
    Truncated {
        /// The count on the first line.
        declared: u64,
        /// Bytes after the first line.
        available: u64,
    },
}

/// An `.emlx` file read.
#[derive(Debug, Clone, PartialEq)]
pub struct Emlx {
    /// The byte count on the first line.
    pub declared_length: u64,
    /// Offset of the message's first byte in the file.
    pub message_offset: u64,
    /// Bytes of the message as stored: `[message_offset, message_offset + message_length)`.
    pub message_length: u64,
    /// Offset of the plist, when there is one.
    pub plist_offset: Option<u64>,
    /// The file is a `.partial.emlx`, or leaves out attachment bodies: the body is
    /// incomplete.
    pub partial: bool,
    /// Parts whose bodies were left out (attachments stored beside the file).
    pub elided_parts: Vec<ElidedPart>,
    /// The plist's facts.
    pub facts: Facts,
    /// What does not match the format.
    pub anomalies: Vec<Anomaly>,
}

impl Emlx {
    /// The message bytes of `data` (the file that was parsed).
    pub fn message<'d>(&self, data: &'d [u8]) -> &'d [u8] {
        let start = usize::try_from(self.message_offset).unwrap_or(usize::MAX);
        let end = usize::try_from(self.message_offset + self.message_length).unwrap_or(usize::MAX);
        data.get(start..end).unwrap_or_default()
    }
}

/// Largest byte count line accepted (digits and padding).
const MAX_COUNT_LINE: usize = 64;

/// Parse an `.emlx` or `.partial.emlx` file's bytes. `name` is the file's name or path (for
/// errors, and `.partial.emlx` marks a partial file). `Err` only when the first line is not a
/// byte count: then it is not an `.emlx` file.
pub fn parse(name: &str, data: &[u8]) -> Result<Emlx> {
    let corrupt = |reason: &str| WalkError::Corrupt {
        path: name.to_string(),
        offset: 0,
        reason: reason.to_string(),
    };
    let newline = data
        .iter()
        .take(MAX_COUNT_LINE)
        .position(|&b| b == b'\n')
        .ok_or_else(|| corrupt("no byte count line"))?;
    let line = data.get(..newline).unwrap_or_default();
    let digits: Vec<u8> = line
        .iter()
        .copied()
        .take_while(u8::is_ascii_digit)
        .collect();
    let padding_ok = line
        .get(digits.len()..)
        .unwrap_or_default()
        .iter()
        .all(|b| matches!(b, b' ' | b'\t' | b'\r'));
    if digits.is_empty() || !padding_ok {
        return Err(corrupt("first line is not a byte count"));
    }
    let declared: u64 = std::str::from_utf8(&digits)
        .ok()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| corrupt("byte count out of range"))?;
    let start = newline + 1;
    let available = (data.len() - start) as u64;
    let mut anomalies = Vec::new();

    let at_count = usize::try_from(declared)
        .ok()
        .and_then(|d| start.checked_add(d))
        .filter(|&end| end <= data.len());
    let plist_at_count = at_count.filter(|&end| plist_starts(data.get(end..).unwrap_or_default()));
    let (length, plist) = match plist_at_count {
        Some(end) => ((end - start) as u64, Some(end)),
        None => match find_plist(data, start) {
            Some(p) => {
                anomalies.push(Anomaly::ByteCountMismatch {
                    declared,
                    actual: (p - start) as u64,
                });
                ((p - start) as u64, Some(p))
            }
            None => {
                anomalies.push(Anomaly::NoPlist);
                if declared > available {
                    anomalies.push(Anomaly::Truncated {
                        declared,
                        available,
                    });
                }
                (declared.min(available), None)
            }
        },
    };
    let mut facts = Facts::default();
    if let Some(p) = plist {
        match read_facts(data.get(p..).unwrap_or_default()) {
            Ok(f) => facts = f,
            Err(reason) => anomalies.push(Anomaly::PlistUnreadable(reason)),
        }
    }
    let end = start + usize::try_from(length).unwrap_or(0);
    let message = data.get(start..end).unwrap_or_default();
    let elided_parts = elided_parts(message, start as u64);
    let lower = name.to_ascii_lowercase();
    Ok(Emlx {
        declared_length: declared,
        message_offset: start as u64,
        message_length: length,
        plist_offset: plist.map(|p| p as u64),
        partial: lower.ends_with(".partial.emlx") || !elided_parts.is_empty(),
        elided_parts,
        facts,
        anomalies,
    })
}

/// Whether `rest` starts with an XML plist (after optional whitespace).
fn plist_starts(rest: &[u8]) -> bool {
    let trimmed = rest
        .get(
            rest.iter()
                .position(|b| !b.is_ascii_whitespace())
                .unwrap_or(rest.len())..,
        )
        .unwrap_or_default();
    trimmed.starts_with(b"<?xml")
        || trimmed.starts_with(b"<!DOCTYPE plist")
        || trimmed.starts_with(b"<plist")
}

/// The start of the plist at the end of the file: the last `<?xml` (or `<!DOCTYPE plist`, or
/// `<plist`) at a line start after `from`, when the file ends with `</plist>`.
fn find_plist(data: &[u8], from: usize) -> Option<usize> {
    let tail_end = data.iter().rposition(|b| !b.is_ascii_whitespace())? + 1;
    if !data.get(..tail_end)?.ends_with(b"</plist>") {
        return None;
    }
    let body = data.get(from..tail_end)?;
    for needle in [&b"<?xml"[..], b"<!DOCTYPE plist", b"<plist"] {
        let found = memchr::memmem::rfind_iter(body, needle)
            .find(|&i| i == 0 || body.get(i - 1) == Some(&b'\n'));
        if let Some(i) = found {
            return Some(from + i);
        }
    }
    None
}

/// A value of the plist's top-level dictionary; nested arrays and dictionaries are skipped.
#[derive(Debug, Clone, PartialEq)]
enum Value {
    Integer(i128),
    Real(f64),
    Text(String),
    Date(i64),
    Other,
}

/// Largest number of keys read from a plist.
const MAX_KEYS: usize = 10_000;

/// The top-level dictionary of an XML property list: its keys and scalar values, in order.
/// Written for the plists Apple Mail appends to `.emlx` files (a flat dictionary of
/// integers, reals, strings and dates); nested values are read over and kept as
/// [`Value::Other`]. Linear in the input.
fn read_plist(xml: &[u8]) -> std::result::Result<Vec<(String, Value)>, String> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_reader(xml);
    let mut buf = Vec::new();
    let mut out: Vec<(String, Value)> = Vec::new();
    // Element names open from the root, and the text of the innermost one.
    let mut stack: Vec<Vec<u8>> = Vec::new();
    let mut text = String::new();
    let mut key: Option<String> = None;
    let mut saw_dict = false;
    loop {
        let event = reader
            .read_event_into(&mut buf)
            .map_err(|e| format!("XML error at byte {}: {e}", reader.buffer_position()))?;
        match event {
            Event::Start(e) => {
                let name = e.local_name().as_ref().to_vec();
                if stack.len() == 1 && name == b"dict" {
                    saw_dict = true;
                }
                stack.push(name);
                text.clear();
            }
            Event::Empty(e) => {
                // `<true/>`, `<false/>`, an empty `<string/>` or `<dict/>`.
                if stack.len() == 2
                    && let Some(k) = key.take()
                {
                    let v = match e.local_name().as_ref() {
                        b"string" => Value::Text(String::new()),
                        _ => Value::Other,
                    };
                    out.push((k, v));
                }
            }
            Event::Text(t) => {
                if let Ok(s) = t.decode() {
                    text.push_str(&s);
                }
            }
            Event::CData(t) => text.push_str(&String::from_utf8_lossy(&t)),
            Event::GeneralRef(r) => {
                if let Ok(Some(c)) = r.resolve_char_ref() {
                    text.push(c);
                } else {
                    text.push_str(match r.decode().unwrap_or_default().as_ref() {
                        "amp" => "&",
                        "lt" => "<",
                        "gt" => ">",
                        "quot" => "\"",
                        "apos" => "'",
                        _ => "",
                    });
                }
            }
            Event::End(_) => {
                let name = stack.pop().unwrap_or_default();
                // Depth 2 is inside `<plist><dict>`: a key, or the value of the last key.
                if stack.len() == 2 && stack.get(1).is_some_and(|d| d == b"dict") {
                    if name == b"key" {
                        key = Some(std::mem::take(&mut text));
                    } else if let Some(k) = key.take() {
                        let t = text.trim();
                        let v = match name.as_slice() {
                            b"integer" => t.parse().map(Value::Integer).unwrap_or(Value::Other),
                            b"real" => t.parse().map(Value::Real).unwrap_or(Value::Other),
                            b"string" => Value::Text(text.clone()),
                            b"date" => crate::timestamp::Timestamp::parse(t)
                                .map(|d| Value::Date(d.unix()))
                                .unwrap_or(Value::Other),
                            _ => Value::Other,
                        };
                        out.push((k, v));
                        if out.len() >= MAX_KEYS {
                            break;
                        }
                    }
                } else if stack.len() == 2 {
                    // The value of a key was a nested array or dictionary.
                    if let Some(k) = key.take() {
                        out.push((k, Value::Other));
                    }
                }
                text.clear();
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    if !saw_dict {
        return Err("the plist holds no dictionary".to_string());
    }
    Ok(out)
}

fn read_facts(plist: &[u8]) -> std::result::Result<Facts, String> {
    let dict = read_plist(plist)?;
    let get = |key: &str| dict.iter().find(|(k, _)| k == key).map(|(_, v)| v);
    let seconds = |key: &str| -> Option<i64> {
        match get(key)? {
            Value::Integer(i) => i64::try_from(*i).ok(),
            Value::Real(r) if r.is_finite() && r.abs() < 1e15 => Some(r.floor() as i64),
            Value::Date(d) => Some(*d),
            _ => None,
        }
    };
    let text = |key: &str| -> Option<String> {
        match get(key)? {
            Value::Text(s) => Some(s.clone()),
            Value::Integer(i) => Some(i.to_string()),
            _ => None,
        }
    };
    let flags = match get("flags") {
        Some(Value::Integer(i)) => u64::try_from(*i).ok(),
        _ => None,
    };
    let conversation_id = match get("conversation-id") {
        Some(Value::Integer(i)) => i64::try_from(*i).ok(),
        _ => None,
    };
    Ok(Facts {
        date_received: seconds("date-received"),
        date_sent: seconds("date-sent"),
        date_last_viewed: seconds("date-last-viewed"),
        flags: flags.map(EmlxFlags::from_raw),
        remote_id: text("remote-id"),
        conversation_id,
        original_mailbox: text("original-mailbox"),
    })
}

// ---------------------------------------------------------------------------------------------
// A small MIME walker: just enough to find the parts a partial file left out.

/// Largest number of MIME parts looked at in one message.
const MAX_PARTS: usize = 10_000;
/// Largest multipart nesting followed.
const MAX_MIME_DEPTH: usize = 32;

struct Headers {
    /// Unfolded fields: lowercase name, value.
    fields: Vec<(String, String)>,
    /// Offset (relative to the entity) of the body's first byte.
    body_start: usize,
}

impl Headers {
    fn get(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Read the header block of an entity (`bytes` from its first byte).
fn headers(bytes: &[u8]) -> Headers {
    let mut fields: Vec<(String, String)> = Vec::new();
    let mut pos = 0;
    while pos < bytes.len() {
        let line_end = memchr::memchr(b'\n', bytes.get(pos..).unwrap_or_default())
            .map(|i| pos + i + 1)
            .unwrap_or(bytes.len());
        let line = bytes.get(pos..line_end).unwrap_or_default();
        let content = line
            .strip_suffix(b"\n")
            .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
            .unwrap_or(line);
        if content.is_empty() {
            return Headers {
                fields,
                body_start: line_end,
            };
        }
        let text = String::from_utf8_lossy(content);
        if content.first().is_some_and(|b| *b == b' ' || *b == b'\t') {
            if let Some((_, v)) = fields.last_mut() {
                v.push(' ');
                v.push_str(text.trim());
            }
        } else if let Some((n, v)) = text.split_once(':') {
            fields.push((n.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
        pos = line_end;
    }
    Headers {
        fields,
        body_start: bytes.len(),
    }
}

/// A parameter of a structured header value (`boundary`, `name`, `filename`; RFC 2231
/// `name*=` forms are returned raw).
fn param(value: &str, key: &str) -> Option<String> {
    for piece in value.split(';').skip(1) {
        let Some((k, v)) = piece.split_once('=') else {
            continue;
        };
        let k = k.trim().to_ascii_lowercase();
        if k == key || k == format!("{key}*") {
            let v = v.trim();
            let v = v
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .unwrap_or(v);
            return Some(v.to_string());
        }
    }
    None
}

fn elided_parts(message: &[u8], base: u64) -> Vec<ElidedPart> {
    let mut out = Vec::new();
    let mut budget = MAX_PARTS;
    walk_entity(
        message,
        0..message.len(),
        base,
        "",
        0,
        &mut budget,
        &mut out,
    );
    out
}

/// Walk the entity at `bytes[range]` (whose section number is `section`; empty for the
/// top-level message). Each level of nesting reads the bytes of its own part only, so the work
/// is at most the message's length times [`MAX_MIME_DEPTH`].
fn walk_entity(
    bytes: &[u8],
    range: std::ops::Range<usize>,
    base: u64,
    section: &str,
    depth: usize,
    budget: &mut usize,
    out: &mut Vec<ElidedPart>,
) {
    if depth > MAX_MIME_DEPTH || *budget == 0 {
        return;
    }
    *budget -= 1;
    let (start, end) = (range.start, range.end.min(bytes.len()));
    let bytes = bytes.get(..end).unwrap_or_default();
    let entity = bytes.get(start..).unwrap_or_default();
    let h = headers(entity);
    let content_type = h.get("content-type").unwrap_or("text/plain").to_string();
    let is_multipart = content_type
        .trim_start()
        .to_ascii_lowercase()
        .starts_with("multipart/");
    if is_multipart && let Some(boundary) = param(&content_type, "boundary") {
        let body = start + h.body_start;
        for (i, (part_start, part_end)) in
            super::multipart::parts(bytes, body, &boundary, MAX_PARTS)
                .into_iter()
                .enumerate()
        {
            let child = if section.is_empty() {
                format!("{}", i + 1)
            } else {
                format!("{section}.{}", i + 1)
            };
            walk_entity(
                bytes,
                part_start..part_end,
                base,
                &child,
                depth + 1,
                budget,
                out,
            );
        }
        return;
    }
    let Some(length) = h
        .get("x-apple-content-length")
        .and_then(|v| v.trim().parse::<u64>().ok())
    else {
        return;
    };
    // The body must be empty: it runs from the end of the headers to the next delimiter.
    let body_start = start + h.body_start;
    let rest = bytes.get(body_start..).unwrap_or_default();
    let empty = rest.is_empty()
        || rest.starts_with(b"\n--")
        || rest.starts_with(b"\r\n--")
        || rest.iter().all(|b| b.is_ascii_whitespace());
    if !empty {
        return;
    }
    let file_name = h
        .get("content-disposition")
        .and_then(|v| param(v, "filename"))
        .or_else(|| h.get("content-type").and_then(|v| param(v, "name")));
    out.push(ElidedPart {
        section: if section.is_empty() {
            "1".to_string()
        } else {
            section.to_string()
        },
        body_offset: base + body_start as u64,
        transfer_encoding: h
            .get("content-transfer-encoding")
            .map(|v| v.trim().to_ascii_lowercase())
            .unwrap_or_else(|| "7bit".to_string()),
        apple_content_length: length,
        file_name,
    });
}

// ---------------------------------------------------------------------------------------------
// Rebuilding a partial message.

/// One part put back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestoredPart {
    /// IMAP section number.
    pub section: String,
    /// The attachment file used.
    pub file: PathBuf,
    /// Length of the encoded body inserted.
    pub encoded_length: u64,
    /// `X-Apple-Content-Length` of the part: equal to `encoded_length` when the rebuilt
    /// body has the length of the one Mail left out.
    pub apple_content_length: u64,
    /// How the body was laid out: `base64/76` (line width), `quoted-printable`, `as is`, with
    /// `+eol` when a final line break was added. The first layout whose length equals
    /// `X-Apple-Content-Length` is chosen (Apple Mail writes base64 in 76-character lines
    /// without a final break; other mailers differ), else the Apple Mail one.
    pub layout: String,
}

impl RestoredPart {
    /// Whether the inserted body has the length Mail recorded.
    pub fn length_matches(&self) -> bool {
        self.encoded_length == self.apple_content_length
    }
}

/// A partial message rebuilt from its attachment folders. These bytes are reconstructed:
/// report them as such, never as stored bytes.
#[derive(Debug, Clone, PartialEq)]
pub struct Rebuilt {
    /// The message read from the file.
    pub emlx: Emlx,
    /// The rebuilt message.
    pub bytes: Vec<u8>,
    /// Parts put back.
    pub restored: Vec<RestoredPart>,
    /// Parts left out for want of their attachment file (section and reason).
    pub missing: Vec<(String, String)>,
}

#[cfg(test)]
impl Rebuilt {
    /// Every left-out part was put back with the length Mail recorded.
    pub fn complete(&self) -> bool {
        self.missing.is_empty() && self.restored.iter().all(RestoredPart::length_matches)
    }
}

/// Rebuild the full message of the `.partial.emlx` at `path` from
/// `<path's folder>/../Attachments/<id>/<section>/`, `<id>` being the file name up to its
/// first dot. Attachments larger than `max_attachment` bytes are left out (listed in
/// [`Rebuilt::missing`]). A file that is not partial comes back as it is stored.
///
/// Each part's body is encoded with its own `Content-Transfer-Encoding`: base64 in lines of
/// 76 characters, quoted-printable wrapped as Apple Mail wraps it (lines of at most 76
/// characters, broken after a space where one fits), anything else as the file's bytes; line
/// breaks are the message's own (LF or CRLF).
pub(crate) fn rebuild_partial(
    path: &Path,
    data: &[u8],
    emlx: Emlx,
    max_attachment: u64,
) -> Result<Rebuilt> {
    let message = emlx.message(data);
    let crlf = message
        .iter()
        .position(|&b| b == b'\n')
        .is_some_and(|i| i > 0 && message.get(i - 1) == Some(&b'\r'));
    let eol: &[u8] = if crlf { b"\r\n" } else { b"\n" };
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let id = file_name.split('.').next().unwrap_or_default().to_string();
    let folder = path
        .parent()
        .and_then(Path::parent)
        .map(|p| p.join("Attachments").join(&id));

    let mut bytes = Vec::with_capacity(message.len());
    let mut copied = emlx.message_offset;
    let mut restored = Vec::new();
    let mut missing = Vec::new();
    for part in &emlx.elided_parts {
        let at = part.body_offset;
        bytes.extend_from_slice(slice(data, copied, at));
        copied = at;
        let Some(folder) = &folder else {
            missing.push((part.section.clone(), "no parent folder".to_string()));
            continue;
        };
        let dir = folder.join(&part.section);
        let file = match attachment_file(&dir, part.file_name.as_deref()) {
            Ok(f) => f,
            Err(reason) => {
                missing.push((part.section.clone(), reason));
                continue;
            }
        };
        let size = std::fs::metadata(&file).map(|m| m.len()).unwrap_or(0);
        if size > max_attachment {
            missing.push((
                part.section.clone(),
                format!(
                    "{}: {size} bytes, over the {} limit of {max_attachment}",
                    file.display(),
                    LimitKind::PropertyBytes
                ),
            ));
            continue;
        }
        let content = std::fs::read(&file).map_err(|source| WalkError::Io {
            path: file.to_string_lossy().into_owned(),
            offset: 0,
            source,
        })?;
        let (encoded, layout) = encode_part(&content, part, eol);
        restored.push(RestoredPart {
            section: part.section.clone(),
            file,
            encoded_length: encoded.len() as u64,
            apple_content_length: part.apple_content_length,
            layout,
        });
        bytes.extend_from_slice(&encoded);
    }
    bytes.extend_from_slice(slice(
        data,
        copied,
        emlx.message_offset + emlx.message_length,
    ));
    Ok(Rebuilt {
        emlx,
        bytes,
        restored,
        missing,
    })
}

/// Base64 line widths tried, Apple Mail's first.
const BASE64_WIDTHS: [usize; 4] = [76, 72, 64, 60];

/// Encode an attachment for its part: the first layout whose length is the one Mail recorded.
fn encode_part(content: &[u8], part: &ElidedPart, eol: &[u8]) -> (Vec<u8>, String) {
    let mut candidates: Vec<(Vec<u8>, String)> = match part.transfer_encoding.as_str() {
        "base64" => BASE64_WIDTHS
            .iter()
            .map(|&w| (encode_base64_width(content, eol, w), format!("base64/{w}")))
            .collect(),
        "quoted-printable" => vec![(
            encode_quoted_printable(content, eol),
            "quoted-printable".to_string(),
        )],
        _ => vec![(content.to_vec(), "as is".to_string())],
    };
    let wanted = part.apple_content_length;
    for (bytes, name) in &mut candidates {
        if bytes.len() as u64 == wanted {
            return (std::mem::take(bytes), name.clone());
        }
        if bytes.len() as u64 + eol.len() as u64 == wanted && !bytes.ends_with(eol) {
            bytes.extend_from_slice(eol);
            return (std::mem::take(bytes), format!("{name}+eol"));
        }
    }
    candidates.swap_remove(0)
}

fn slice(data: &[u8], from: u64, to: u64) -> &[u8] {
    let from = usize::try_from(from).unwrap_or(usize::MAX);
    let to = usize::try_from(to).unwrap_or(usize::MAX);
    data.get(from..to).unwrap_or_default()
}

/// The attachment file in `dir`: the only regular file, or the one named like the part.
fn attachment_file(dir: &Path, wanted: Option<&str>) -> std::result::Result<PathBuf, String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    match files.len() {
        0 => Err(format!("{}: no file", dir.display())),
        1 => Ok(files.remove(0)),
        _ => wanted
            .and_then(|w| {
                files
                    .iter()
                    .find(|f| f.file_name().is_some_and(|n| n.to_string_lossy() == w))
                    .cloned()
            })
            .ok_or_else(|| {
                format!(
                    "{}: {} files, none named as the part",
                    dir.display(),
                    files.len()
                )
            }),
    }
}

const BASE64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Base64 in lines of 76 characters separated by `eol`, without a final line break.
pub fn encode_base64(data: &[u8], eol: &[u8]) -> Vec<u8> {
    encode_base64_width(data, eol, 76)
}

/// Base64 in lines of `width` characters (a multiple of 4, at least 4) separated by `eol`,
/// without a final line break.
pub fn encode_base64_width(data: &[u8], eol: &[u8], width: usize) -> Vec<u8> {
    let per_line = (width / 4).max(1) * 3;
    let mut out = Vec::with_capacity(data.len() * 4 / 3 + data.len() / per_line * eol.len() + 4);
    for (i, chunk) in data.chunks(per_line).enumerate() {
        if i > 0 {
            out.extend_from_slice(eol);
        }
        for group in chunk.chunks(3) {
            let b = [
                group.first().copied().unwrap_or(0),
                group.get(1).copied().unwrap_or(0),
                group.get(2).copied().unwrap_or(0),
            ];
            let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
            let sym = |shift: u32| BASE64[((n >> shift) & 63) as usize];
            out.push(sym(18));
            out.push(sym(12));
            out.push(if group.len() > 1 { sym(6) } else { b'=' });
            out.push(if group.len() > 2 { sym(0) } else { b'=' });
        }
    }
    out
}

/// Quoted-printable as Apple Mail writes it: each line of `data` (LF or CRLF) encoded, then
/// wrapped with soft breaks (`=`) after the last space that keeps the line's text within 73
/// characters (74 with the `=`), or, in a run without spaces, after 75 characters; a line
/// that fits in 76 characters is not broken. Line breaks are `eol`. The widths were measured
/// on Apple Mail's own output (the lengths Mail records in `X-Apple-Content-Length` match).
pub fn encode_quoted_printable(data: &[u8], eol: &[u8]) -> Vec<u8> {
    const MAX: usize = 76;
    const SOFT_TEXT: usize = 73;
    const HARD_TEXT: usize = 75;
    let mut out = Vec::with_capacity(data.len() * 11 / 10);
    let mut lines = data.split(|&b| b == b'\n').peekable();
    while let Some(line) = lines.next() {
        let last = lines.peek().is_none();
        if last && line.is_empty() {
            break; // data ended with a line break
        }
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        // Encode into tokens (each a literal byte or an =XX triple).
        let mut tokens: Vec<Vec<u8>> = Vec::with_capacity(line.len());
        for (i, &b) in line.iter().enumerate() {
            let at_end = i + 1 == line.len();
            let literal =
                (b == b' ' || b == b'\t') && !at_end || (33..=126).contains(&b) && b != b'=';
            if literal {
                tokens.push(vec![b]);
            } else {
                tokens.push(format!("={b:02X}").into_bytes());
            }
        }
        let mut start = 0;
        while start < tokens.len() {
            let rest: usize = tokens
                .get(start..)
                .unwrap_or_default()
                .iter()
                .map(Vec::len)
                .sum();
            if rest <= MAX {
                for t in tokens.get(start..).unwrap_or_default() {
                    out.extend_from_slice(t);
                }
                break;
            }
            // The longest run of tokens whose text fits in `width`.
            let fits = |width: usize| {
                let mut used = 0;
                let mut end = start;
                while let Some(t) = tokens.get(end) {
                    if used + t.len() > width {
                        break;
                    }
                    used += t.len();
                    end += 1;
                }
                end
            };
            let soft_end = fits(SOFT_TEXT);
            let cut = (start + 1..=soft_end)
                .rev()
                .find(|&k| tokens.get(k - 1).is_some_and(|t| t == b" "))
                .unwrap_or_else(|| fits(HARD_TEXT).max(start + 1));
            for t in tokens.get(start..cut).unwrap_or_default() {
                out.extend_from_slice(t);
            }
            out.push(b'=');
            out.extend_from_slice(eol);
            start = cut;
        }
        if !last {
            out.extend_from_slice(eol);
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Messages for the reader.

impl Emlx {
    /// The store facts of this file (`file_len` bytes long).
    fn store_facts(&self, file_len: u64) -> EmlxFacts {
        let t = |s: Option<i64>| s.map(Timestamp::from_unix);
        let problems = self
            .anomalies
            .iter()
            .map(|a| match a {
                Anomaly::ByteCountMismatch { declared, actual } => format!(
                    "the byte count line says {declared} bytes, but the property list starts after {actual}: the file was changed after Mail wrote it (the message is taken up to the property list)"
                ),
                Anomaly::NoPlist => "no property list after the message".to_string(),
                Anomaly::PlistUnreadable(reason) => {
                    format!("the property list cannot be read: {reason}")
                }
                Anomaly::Truncated {
                    declared,
                    available,
                } => format!(
                    "the byte count line says {declared} bytes, but only {available} follow it: the file is truncated"
                ),
            })
            .collect();
        EmlxFacts {
            partial: self.partial,
            declared_length: self.declared_length,
            plist: self.plist_offset.map(|p| Span::new(p, file_len)),
            date_received: t(self.facts.date_received),
            date_sent: t(self.facts.date_sent),
            date_last_viewed: t(self.facts.date_last_viewed),
            flags: self.facts.flags,
            remote_id: self.facts.remote_id.clone(),
            conversation_id: self.facts.conversation_id,
            original_mailbox: self.facts.original_mailbox.clone(),
            elided_parts: self.elided_parts.clone(),
            problems,
            rebuild: None,
        }
    }
}

/// The message inside the `.emlx` file `data` (its whole bytes) named `source`: the stored
/// bytes, exactly `[message_offset, message_offset + length)` of the file, with the file's
/// facts. `limit` is the reader's largest message.
fn stored_message(
    source: Arc<Path>,
    data: Bytes,
    emlx: &Emlx,
    limit: u64,
) -> crate::Result<Message> {
    let file_len = data.len() as u64;
    if emlx.message_length > limit {
        return Err(crate::Error::MessageTooLarge {
            path: source.to_path_buf(),
            offset: emlx.message_offset,
            length: emlx.message_length,
            limit,
        });
    }
    let start = usize::try_from(emlx.message_offset).unwrap_or(usize::MAX);
    let end = start.saturating_add(usize::try_from(emlx.message_length).unwrap_or(usize::MAX));
    let bytes = data.slice(start.min(data.len())..end.min(data.len()));
    let mut m = Message::placed(
        source,
        bytes,
        emlx.message_offset,
        Span::new(0, file_len),
        Format::Emlx,
        0,
    );
    if emlx
        .anomalies
        .iter()
        .any(|a| matches!(a, Anomaly::Truncated { .. }))
    {
        let at = emlx.message_offset + emlx.message_length;
        m.anomalies.push(crate::read::message::Anomaly {
            code: crate::read::message::AnomalyCode::Truncated,
            span: Span::new(at, at),
        });
    }
    if emlx.partial {
        m.provenance = Provenance::Partial;
    }
    m.store = Some(Arc::new(StoreFacts::Emlx(emlx.store_facts(file_len))));
    Ok(m)
}

/// The message of the `.emlx` file at `path` (held whole in `data`), and, when `rebuild` is
/// set and the file is partial, the message rebuilt from its attachment folders (named
/// `<path>!rebuilt`, its offsets in the rebuilt bytes). `None` when the file has no byte
/// count line: it is not an `.emlx` file, whatever its name.
pub(crate) fn file_messages(
    path: &Path,
    data: Bytes,
    limit: u64,
    rebuild: bool,
) -> Option<Vec<crate::Result<Message>>> {
    let source: Arc<Path> = Arc::from(path);
    let name = path.to_string_lossy().into_owned();
    let emlx = parse(&name, &data).ok()?;
    let mut out = vec![stored_message(source, data.clone(), &emlx, limit)];
    if rebuild && emlx.partial {
        out.push(rebuilt_message(path, &data, emlx, limit));
    }
    Some(out)
}

fn rebuilt_message(path: &Path, data: &[u8], emlx: Emlx, limit: u64) -> crate::Result<Message> {
    let mut name = path.as_os_str().to_os_string();
    name.push("!rebuilt");
    let rebuilt_path = PathBuf::from(name);
    let file_len = data.len() as u64;
    let rebuilt = rebuild_partial(path, data, emlx, limit).map_err(WalkError::into_error)?;
    if rebuilt.bytes.len() as u64 > limit {
        return Err(crate::Error::MessageTooLarge {
            path: rebuilt_path,
            offset: 0,
            length: rebuilt.bytes.len() as u64,
            limit,
        });
    }
    let mut facts = rebuilt.emlx.store_facts(file_len);
    let mut summary = EmlxRebuild {
        restored: Vec::new(),
        length_differs: Vec::new(),
        missing: Vec::new(),
    };
    for part in &rebuilt.restored {
        if part.length_matches() {
            summary.restored.push(part.section.clone());
        } else {
            summary.length_differs.push(format!(
                "{}: {} bytes encoded ({}), X-Apple-Content-Length {}",
                part.section, part.encoded_length, part.layout, part.apple_content_length
            ));
        }
    }
    for (section, reason) in &rebuilt.missing {
        summary.missing.push(format!("{section}: {reason}"));
    }
    facts.rebuild = Some(summary);
    let mut m = Message::whole(
        Arc::from(rebuilt_path.as_path()),
        Bytes::from(rebuilt.bytes),
        Format::Emlx,
        0,
    );
    m.provenance = Provenance::Reconstructed;
    m.store = Some(Arc::new(StoreFacts::Emlx(facts)));
    Ok(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PLIST: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE plist PUBLIC \"-//Apple//DTD PLIST 1.0//EN\" \"http://www.apple.com/DTDs/PropertyList-1.0.dtd\">\n<plist version=\"1.0\">\n<dict>\n\t<key>date-received</key>\n\t<integer>1496862878</integer>\n\t<key>date-sent</key>\n\t<real>1496862800.5</real>\n\t<key>flags</key>\n\t<integer>8623685633</integer>\n\t<key>remote-id</key>\n\t<string>4806</string>\n</dict>\n</plist>\n";

    fn file(message: &str, count: usize) -> Vec<u8> {
        format!("{count}      \n{message}{PLIST}").into_bytes()
    }

    #[test]
    fn exact_offsets_and_facts() {
        let message = "Subject: hi\nFrom: a@b\n\nbody\n";
        let data = file(message, message.len());
        let e = parse("1.emlx", &data).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            e.message_offset,
            format!("{}      \n", message.len()).len() as u64
        );
        assert_eq!(e.message_length, message.len() as u64);
        assert_eq!(e.message(&data), message.as_bytes());
        assert!(e.anomalies.is_empty());
        assert!(!e.partial);
        assert_eq!(e.facts.date_received, Some(1496862878));
        assert_eq!(e.facts.date_sent, Some(1496862800));
        assert_eq!(e.facts.remote_id.as_deref(), Some("4806"));
        let f = e.facts.flags.unwrap_or_default();
        assert_eq!(f.raw, 8623685633);
        // 8623685633 = 2^33 + 2^25 + 2^17 + 2^16 + 2^0.
        assert!(f.read && f.not_junk);
        assert!(!f.deleted && !f.answered && !f.junk && !f.draft && !f.forwarded);
        assert_eq!(f.priority, 3);
    }

    #[test]
    fn flag_fields() {
        let f = EmlxFlags::from_raw((5 << 10) | (0x7F << 16) | (7 << 26) | (1 << 23) | (1 << 30));
        assert_eq!(f.attachment_count, 5);
        assert_eq!(f.priority, 0x7F);
        assert!(f.signed && !f.junk);
    }

    #[test]
    fn wrong_byte_count_is_an_anomaly() {
        let message = "Subject: hi\n\nbody\n";
        let data = file(message, 500);
        let e = parse("1.partial.emlx", &data).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(e.message(&data), message.as_bytes());
        assert_eq!(
            e.anomalies,
            vec![Anomaly::ByteCountMismatch {
                declared: 500,
                actual: message.len() as u64
            }]
        );
        assert!(e.partial, "the name says partial");
        let data = format!("40\n{message}").into_bytes();
        let e = parse("x.emlx", &data).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(e.message(&data), message.as_bytes());
        assert!(e.anomalies.contains(&Anomaly::NoPlist));
        assert!(e.anomalies.contains(&Anomaly::Truncated {
            declared: 40,
            available: message.len() as u64
        }));
        assert!(parse("x.emlx", b"Subject: no count\n").is_err());
    }

    #[test]
    fn elided_parts_and_sections() {
        let message = "Content-Type: multipart/mixed; boundary=\"B\"\n\n--B\nContent-Type: text/plain\n\nhello\n--B\nContent-Type: multipart/alternative; boundary=C\n\n--C\nContent-Type: text/plain\n\nx\n--C\nContent-Transfer-Encoding: base64\nContent-Disposition: attachment;\n\tfilename=a.bin\nX-Apple-Content-Length: 8\n\n\n--C--\n\n--B--\n";
        let data = file(message, message.len());
        let e = parse("7.partial.emlx", &data).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(e.elided_parts.len(), 1);
        let p = &e.elided_parts[0];
        assert_eq!(p.section, "2.2");
        assert_eq!(p.transfer_encoding, "base64");
        assert_eq!(p.apple_content_length, 8);
        assert_eq!(p.file_name.as_deref(), Some("a.bin"));
        let at = p.body_offset as usize;
        assert!(
            data[at..].starts_with(b"\n--C--"),
            "inserted before the delimiter's line break"
        );
    }

    #[test]
    fn rebuild_from_attachment_folder() {
        let dir = std::env::temp_dir().join(format!("formats-emlx-{}", std::process::id()));
        let messages = dir.join("Messages");
        let attachments = dir.join("Attachments/7/2");
        std::fs::create_dir_all(&messages).unwrap_or_else(|e| panic!("{e}"));
        std::fs::create_dir_all(&attachments).unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(attachments.join("a.bin"), b"hello!").unwrap_or_else(|e| panic!("{e}"));
        let message = "Content-Type: multipart/mixed; boundary=B\n\n--B\n\nhi\n--B\nContent-Transfer-Encoding: base64\nX-Apple-Content-Length: 8\n\n\n--B--\n";
        let path = messages.join("7.partial.emlx");
        let data = file(message, message.len());
        std::fs::write(&path, &data).unwrap_or_else(|e| panic!("{e}"));
        let emlx = parse("7.partial.emlx", &data).unwrap_or_else(|e| panic!("{e}"));
        let r = rebuild_partial(&path, &data, emlx, 1 << 20).unwrap_or_else(|e| panic!("{e}"));
        let _ = std::fs::remove_dir_all(&dir);
        assert_eq!(
            String::from_utf8_lossy(&r.bytes),
            "Content-Type: multipart/mixed; boundary=B\n\n--B\n\nhi\n--B\nContent-Transfer-Encoding: base64\nX-Apple-Content-Length: 8\n\naGVsbG8h\n--B--\n"
        );
        assert!(r.complete());
        assert_eq!(r.restored[0].section, "2");
    }

    #[test]
    fn base64_lines() {
        assert_eq!(encode_base64(b"", b"\n"), b"");
        assert_eq!(encode_base64(b"f", b"\n"), b"Zg==");
        assert_eq!(encode_base64(b"foobar", b"\n"), b"Zm9vYmFy");
        let long = encode_base64(&[0u8; 120], b"\r\n");
        let lines: Vec<&[u8]> = long.split(|&b| b == b'\n').collect();
        assert_eq!(lines[0].len(), 77, "76 characters and the CR");
        assert_eq!(lines.len(), 3);
    }

    #[test]
    fn quoted_printable_wraps_after_spaces() {
        let text = "word ".repeat(30) + "end\n";
        let qp = encode_quoted_printable(text.as_bytes(), b"\n");
        for line in qp.split(|&b| b == b'\n') {
            assert!(line.len() <= 74, "{}", line.len());
        }
        let lines: Vec<&[u8]> = qp.split(|&b| b == b'\n').collect();
        assert!(lines[0].ends_with(b" ="));
        assert_eq!(
            encode_quoted_printable("caf\u{e9} = 1 \n".as_bytes(), b"\n"),
            b"caf=C3=A9 =3D 1=20\n"
        );
        // Decoding gives the text back.
        let mut decoded = Vec::new();
        let joined = String::from_utf8_lossy(&qp).replace("=\n", "");
        decoded.extend_from_slice(joined.as_bytes());
        assert_eq!(decoded, text.as_bytes());
    }
}
