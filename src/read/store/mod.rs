//! Outlook stores: PST/OST files (through Microsoft's `outlook-pst` crate) and MSG files
//! (compound files, through `cfb`), read into one plain [`StoreMessage`] shape, then into
//! [`Message`]s.
//!
//! A store keeps properties, not the message as received: what comes closest is
//! `PR_TRANSPORT_MESSAGE_HEADERS` (0x007D), the header block as the server delivered it.
//! [`rebuild`] puts that block (as stored) in front of a body rebuilt from what the store kept
//! (plain text, HTML, or compressed RTF, and the attachments), so the result is always
//! *reconstructed*: only the header signatures can be judged on it. Messages without
//! transport headers (drafts, sent items) get a header block made from the MAPI properties
//! and get no signature verdict (they carry no signature). The store-level findings (submit
//! and delivery times, subject, sender, Message-ID against the transport headers) are made
//! from the [`OutlookFacts`] by the analysis.

mod msg;
mod pst;
pub mod rtf;

pub use msg::read_msg_from;
pub use pst::{StoreEvent, read_pst_from};

use std::path::Path;
use std::sync::Arc;

use bytes::Bytes;

use crate::read::facts::{OutlookFacts, Provenance, StoreAttachment, StoreFacts, StoreRecipient};
use crate::read::format::Format;
use crate::read::message::Message;
use crate::read::walk::{ContainerLimits, LimitKind};
use crate::timestamp::Timestamp;

/// A string property as stored: 8-bit (`PT_STRING8`, in the message's code page) or UTF-16LE
/// (`PT_UNICODE`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawString {
    /// Whether it was `PT_UNICODE`.
    pub unicode: bool,
    /// The bytes as stored (UTF-16LE for `PT_UNICODE`), without the terminating NUL.
    pub bytes: Vec<u8>,
}

/// A recipient from the recipient table.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Recipient {
    /// `PR_RECIPIENT_TYPE`: 1 To, 2 Cc, 3 Bcc.
    pub kind: i32,
    /// `PR_DISPLAY_NAME`.
    pub name: Option<String>,
    /// `PR_SMTP_ADDRESS`, else `PR_EMAIL_ADDRESS`.
    pub address: Option<String>,
}

/// An attachment.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Attachment {
    /// `PR_ATTACH_LONG_FILENAME`, else `PR_ATTACH_FILENAME`, else `PR_DISPLAY_NAME`.
    pub name: Option<String>,
    /// `PR_ATTACH_MIME_TAG`.
    pub mime_type: Option<String>,
    /// `PR_ATTACH_CONTENT_ID`.
    pub content_id: Option<String>,
    /// `PR_ATTACH_METHOD` (1 by value, 5 embedded message, 6 OLE storage).
    pub method: i32,
    /// `PR_ATTACH_SIZE` (the size of the attachment object in the store, not of the file).
    pub size: Option<u64>,
    /// The file's bytes (`PR_ATTACH_DATA_BIN`), when read.
    pub data: Option<Vec<u8>>,
    /// An embedded message (method 5).
    pub embedded: Option<Box<StoreMessage>>,
    /// Why the data or the embedded message is missing, if it is.
    pub note: Option<String>,
}

/// A message read from a store.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct StoreMessage {
    /// `store!folder path/NNNNN` (`boss.pst!Top of Personal Folders/Inbox/00012`); for an
    /// embedded message, its parent's path and `/attachment N`.
    pub path: String,
    /// The folder path inside the store (`Top of Personal Folders/Inbox`).
    pub folder: String,
    /// The store's node id of the message (PST/OST), for cross-reference with other tools.
    pub node_id: Option<u32>,
    /// `PR_MESSAGE_CLASS` (`IPM.Note`, `IPM.Appointment`, ...).
    pub message_class: Option<String>,
    /// `PR_SUBJECT`, with the store's subject-prefix marker removed.
    pub subject: Option<String>,
    /// `PR_TRANSPORT_MESSAGE_HEADERS` as text bytes: as stored for `PT_STRING8`, UTF-8 for
    /// `PT_UNICODE` (converted from UTF-16LE).
    pub transport_headers: Option<Vec<u8>>,
    /// `PR_TRANSPORT_MESSAGE_HEADERS` exactly as stored.
    pub transport_headers_raw: Option<RawString>,
    /// `PR_SENDER_NAME`, else `PR_SENT_REPRESENTING_NAME`.
    pub sender_name: Option<String>,
    /// `PR_SENDER_SMTP_ADDRESS`, else `PR_SENDER_EMAIL_ADDRESS`, else the sent-representing
    /// equivalents (may be an Exchange X.500 address).
    pub sender_address: Option<String>,
    /// `PR_INTERNET_MESSAGE_ID`.
    pub message_id: Option<String>,
    /// `PR_CLIENT_SUBMIT_TIME`, Unix seconds.
    pub submit_time: Option<i64>,
    /// `PR_MESSAGE_DELIVERY_TIME`, Unix seconds.
    pub delivery_time: Option<i64>,
    /// `PR_CREATION_TIME`, Unix seconds.
    pub creation_time: Option<i64>,
    /// `PR_LAST_MODIFICATION_TIME`, Unix seconds.
    pub modification_time: Option<i64>,
    /// `PR_MESSAGE_FLAGS`.
    pub message_flags: Option<i32>,
    /// `PR_DISPLAY_TO`.
    pub display_to: Option<String>,
    /// `PR_DISPLAY_CC`.
    pub display_cc: Option<String>,
    /// Recipients from the recipient table.
    pub recipients: Vec<Recipient>,
    /// `PR_BODY`.
    pub body_text: Option<String>,
    /// `PR_HTML` (bytes in the message's code page).
    pub body_html: Option<Vec<u8>>,
    /// `PR_RTF_COMPRESSED` as stored.
    pub rtf_compressed: Option<Vec<u8>>,
    /// `PR_RTF_COMPRESSED` decompressed.
    pub rtf: Option<rtf::Rtf>,
    /// `PR_INTERNET_CPID`.
    pub internet_codepage: Option<i32>,
    /// `PR_MESSAGE_CODEPAGE`.
    pub message_codepage: Option<i32>,
    /// Attachments, in attachment-table order.
    pub attachments: Vec<Attachment>,
    /// Problems met while reading this message (a property that could not be read, a
    /// budget reached, a compressed RTF that did not decompress).
    pub notes: Vec<String>,
}

impl StoreMessage {
    /// Whether the message is unsent (`MSGFLAG_UNSENT`): a draft.
    pub fn is_draft(&self) -> bool {
        self.message_flags.is_some_and(|f| f & 0x8 != 0)
    }
}

/// Typed access to one object's properties, whatever the file format.
pub(crate) trait Source {
    fn int(&self, id: u16) -> Option<i32>;
    fn time(&self, id: u16) -> Option<i64>;
    fn string(&self, id: u16, cp: Option<i32>) -> Option<String>;
    fn binary(&self, id: u16) -> Option<Vec<u8>>;
    fn raw_string(&self, id: u16) -> Option<RawString>;
}

/// Fill the message-level fields of a [`StoreMessage`] from its properties.
pub(crate) fn fill_message(m: &mut StoreMessage, p: &dyn Source, limits: &ContainerLimits) {
    m.internet_codepage = p.int(0x3FDE);
    m.message_codepage = p.int(0x3FFD);
    let cp = m.message_codepage.or(m.internet_codepage);
    m.message_class = p.string(0x001A, cp);
    m.subject = p.string(0x0037, cp).map(|s| strip_subject_marker(&s));
    if let Some(raw) = p.raw_string(0x007D) {
        m.transport_headers = Some(if raw.unicode {
            let units: Vec<u16> = raw
                .bytes
                .chunks_exact(2)
                .map(|c| u16::from_le_bytes([c[0], c[1]]))
                .collect();
            String::from_utf16_lossy(&units).into_bytes()
        } else {
            raw.bytes.clone()
        });
        m.transport_headers_raw = Some(raw);
    }
    m.sender_name = p.string(0x0C1A, cp).or_else(|| p.string(0x0042, cp));
    m.sender_address = p
        .string(0x5D01, cp)
        .or_else(|| p.string(0x0C1F, cp))
        .or_else(|| p.string(0x5D02, cp))
        .or_else(|| p.string(0x0065, cp));
    m.message_id = p.string(0x1035, cp);
    m.submit_time = p.time(0x0039);
    m.delivery_time = p.time(0x0E06);
    m.creation_time = p.time(0x3007);
    m.modification_time = p.time(0x3008);
    m.message_flags = p.int(0x0E07);
    m.display_to = p.string(0x0E04, cp);
    m.display_cc = p.string(0x0E03, cp);
    let max = usize::try_from(limits.max_property_bytes).unwrap_or(usize::MAX);
    m.body_text = p.string(0x1000, cp);
    m.body_html = p.binary(0x1013);
    m.rtf_compressed = p.binary(0x1009);
    if m.body_text.as_ref().is_some_and(|b| b.len() > max) {
        m.notes.push(format!(
            "PR_BODY over the {} limit; dropped",
            LimitKind::PropertyBytes
        ));
        m.body_text = None;
    }
    if m.body_html.as_ref().is_some_and(|b| b.len() > max) {
        m.notes.push(format!(
            "PR_HTML over the {} limit; dropped",
            LimitKind::PropertyBytes
        ));
        m.body_html = None;
    }
    if let Some(c) = &m.rtf_compressed {
        match rtf::decompress(c, max) {
            Ok(r) => {
                if !r.crc_ok {
                    m.notes.push("PR_RTF_COMPRESSED: CRC mismatch".into());
                }
                if !r.size_ok {
                    m.notes.push(format!(
                        "PR_RTF_COMPRESSED: declared {} bytes, gave {}",
                        r.declared_size,
                        r.bytes.len()
                    ));
                }
                m.rtf = Some(r);
            }
            Err(e) => m.notes.push(format!("PR_RTF_COMPRESSED: {e}")),
        }
    }
}

/// Fill an attachment's fields (not its data).
pub(crate) fn fill_attachment(a: &mut Attachment, p: &dyn Source) {
    a.name = p
        .string(0x3707, None)
        .or_else(|| p.string(0x3704, None))
        .or_else(|| p.string(0x3001, None))
        .filter(|s| !s.is_empty());
    a.mime_type = p.string(0x370E, None);
    a.content_id = p.string(0x3712, None);
    a.method = p.int(0x3705).unwrap_or(0);
    a.size = p.int(0x0E20).and_then(|s| u64::try_from(s).ok());
}

/// Unix seconds of a FILETIME (100-nanosecond intervals since 1601-01-01).
pub fn filetime_to_unix(filetime: i64) -> i64 {
    filetime.div_euclid(10_000_000) - 11_644_473_600
}

/// Decode 8-bit text in a Windows code page (`cpid`), UTF-8 when it is valid UTF-8 and no
/// code page is known, Windows-1252 otherwise.
pub fn decode_8bit(bytes: &[u8], cpid: Option<i32>) -> String {
    let encoding = cpid
        .and_then(|c| u16::try_from(c).ok())
        .and_then(codepage::to_encoding);
    match encoding {
        Some(e) => e.decode_without_bom_handling(bytes).0.into_owned(),
        None => match std::str::from_utf8(bytes) {
            Ok(s) => s.to_string(),
            Err(_) => encoding_rs::WINDOWS_1252
                .decode_without_bom_handling(bytes)
                .0
                .into_owned(),
        },
    }
}

/// Strip the subject-prefix marker a store may put in `PR_SUBJECT` (`\x01` and a length
/// character before the text).
pub fn strip_subject_marker(subject: &str) -> String {
    let mut chars = subject.chars();
    if chars.next() == Some('\u{1}') {
        chars.next();
        return chars.as_str().to_string();
    }
    subject.to_string()
}

/// Where the body of a rebuilt message came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodySource {
    /// `PR_BODY`.
    Plain,
    /// `PR_HTML`.
    Html,
    /// `PR_RTF_COMPRESSED`, decompressed, as an RTF part.
    Rtf,
    /// Nothing: the store kept no body.
    None,
}

/// RFC 5322 bytes rebuilt from a store message. Always reconstructed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rebuilt {
    /// The message: header block, empty line, body; CRLF line breaks in what was generated.
    pub bytes: Vec<u8>,
    /// Whether the header block is the stored transport headers (a signature over them can be
    /// judged) or was made from MAPI properties (no signature verdict).
    pub headers_from_transport: bool,
    /// Where the main body came from.
    pub body: BodySource,
    /// Attachments included (base64 parts).
    pub attachments: usize,
    /// How the body was laid out, for the report.
    pub method: String,
}

/// Rebuild RFC 5322 bytes for `message`.
///
/// The header block is `PR_TRANSPORT_MESSAGE_HEADERS` byte for byte (only an empty line is
/// added when the block lacks one), or, without it, fields made from the MAPI properties
/// (`From`, `To`, `Cc`, `Subject`, `Date`, `Message-ID`). The body follows the top-level
/// `Content-Type` of the header block: for `multipart/*` with a boundary, the parts are
/// rebuilt under that boundary (text from `PR_BODY`, HTML from `PR_HTML`, the RTF body when
/// neither exists, each attachment in base64); for a single part, the text the type names
/// (HTML or plain) in UTF-8 (8bit). The original transfer encodings, charsets and part
/// headers are not known to the store and are not reproduced: the body hash of a signature
/// cannot match a rebuilt body.
pub fn rebuild(message: &StoreMessage) -> Rebuilt {
    let (mut out, from_transport) = match &message.transport_headers {
        Some(h) if !h.is_empty() => (h.clone(), true),
        _ => (synthesize_headers(message), false),
    };
    // End the header block with exactly one empty line.
    while out.ends_with(b"\r\n\r\n\r\n") || out.ends_with(b"\n\n\n") {
        out.pop();
        if out.ends_with(b"\r") {
            out.pop();
        }
    }
    if !(out.ends_with(b"\r\n\r\n") || out.ends_with(b"\n\n")) {
        if !(out.ends_with(b"\n")) {
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(b"\r\n");
    }
    let content_type = crate::read::headers::Headers::parse(&out, 0)
        .get("content-type")
        .map(|f| f.value().into_owned())
        .unwrap_or_default();
    let lower = content_type.to_ascii_lowercase();
    let boundary =
        crate::fields::mime::boundary_param(content_type.as_bytes()).map(|(b, _)| b.to_string());
    let html = message
        .body_html
        .as_ref()
        .map(|h| decode_8bit(h, message.internet_codepage).into_bytes());
    let text = message.body_text.as_ref().map(|t| t.as_bytes().to_vec());
    let rtf = message.rtf.as_ref().map(|r| r.bytes.clone());
    let mut attachments = 0;
    let (body, method) = if let (true, Some(boundary)) =
        (lower.trim_start().starts_with("multipart/"), &boundary)
    {
        let mut body = Vec::new();
        let part = |body: &mut Vec<u8>, ctype: &str, extra: &str, data: &[u8], base64: bool| {
            body.extend_from_slice(
                format!("--{boundary}\r\nContent-Type: {ctype}\r\n{extra}").as_bytes(),
            );
            if base64 {
                body.extend_from_slice(b"Content-Transfer-Encoding: base64\r\n\r\n");
                body.extend_from_slice(&crate::read::emlx::encode_base64(data, b"\r\n"));
                body.extend_from_slice(b"\r\n");
            } else {
                body.extend_from_slice(b"Content-Transfer-Encoding: 8bit\r\n\r\n");
                body.extend_from_slice(data);
                if !data.ends_with(b"\n") {
                    body.extend_from_slice(b"\r\n");
                }
            }
        };
        let mut kinds = Vec::new();
        if let Some(t) = &text {
            part(&mut body, "text/plain; charset=utf-8", "", t, false);
            kinds.push("plain");
        }
        if let Some(h) = &html {
            part(&mut body, "text/html; charset=utf-8", "", h, false);
            kinds.push("html");
        }
        if text.is_none()
            && html.is_none()
            && let Some(r) = &rtf
        {
            part(&mut body, "application/rtf", "", r, false);
            kinds.push("rtf");
        }
        for a in &message.attachments {
            if let Some(inner) = &a.embedded {
                let inner = rebuild(inner);
                body.extend_from_slice(
                        format!("--{boundary}\r\nContent-Type: message/rfc822\r\nContent-Disposition: attachment\r\n\r\n").as_bytes(),
                    );
                body.extend_from_slice(&inner.bytes);
                if !inner.bytes.ends_with(b"\n") {
                    body.extend_from_slice(b"\r\n");
                }
                attachments += 1;
                continue;
            }
            let Some(data) = &a.data else { continue };
            let name = a
                .name
                .clone()
                .unwrap_or_else(|| "attachment".to_string())
                .replace('"', "'");
            let ctype = a
                .mime_type
                .clone()
                .unwrap_or_else(|| "application/octet-stream".to_string());
            let mut extra = format!("Content-Disposition: attachment; filename=\"{name}\"\r\n");
            if let Some(cid) = &a.content_id {
                extra.push_str(&format!("Content-ID: <{cid}>\r\n"));
            }
            part(
                &mut body,
                &format!("{ctype}; name=\"{name}\""),
                &extra,
                data,
                true,
            );
            attachments += 1;
        }
        body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        (
            body,
            format!("multipart under the stored boundary: {}", kinds.join("+")),
        )
    } else if lower.contains("text/html") && html.is_some() {
        (
            html.clone().unwrap_or_default(),
            "single part: html".to_string(),
        )
    } else if let Some(t) = &text {
        (t.clone(), "single part: plain".to_string())
    } else if let Some(h) = &html {
        (h.clone(), "single part: html".to_string())
    } else if let Some(r) = &rtf {
        (r.clone(), "single part: rtf".to_string())
    } else {
        (Vec::new(), "no body".to_string())
    };
    let source = if method.contains("plain") {
        BodySource::Plain
    } else if method.contains("html") {
        BodySource::Html
    } else if method.contains("rtf") {
        BodySource::Rtf
    } else {
        BodySource::None
    };
    // The body is re-encoded anyway: give it the header block's line endings, so that the
    // rebuilt message does not mix them (which would read as a sign of editing).
    let crlf = out.ends_with(b"\r\n");
    out.extend_from_slice(&line_endings(&body, crlf));
    Rebuilt {
        bytes: out,
        headers_from_transport: from_transport,
        body: source,
        attachments,
        method,
    }
}

/// `text` with every line ending made CRLF (`crlf`) or LF.
fn line_endings(text: &[u8], crlf: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len() + text.len() / 32);
    let mut lines = text.split(|&b| b == b'\n').peekable();
    while let Some(line) = lines.next() {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        out.extend_from_slice(line);
        if lines.peek().is_some() {
            out.extend_from_slice(if crlf { b"\r\n" } else { b"\n" });
        }
    }
    out
}

/// A header block made from the MAPI properties, for a message without transport headers.
fn synthesize_headers(m: &StoreMessage) -> Vec<u8> {
    let mut h = String::new();
    let from = match (&m.sender_name, &m.sender_address) {
        (Some(n), Some(a)) => Some(format!("\"{}\" <{a}>", n.replace('"', "'"))),
        (None, Some(a)) => Some(format!("<{a}>")),
        (Some(n), None) => Some(format!("\"{}\"", n.replace('"', "'"))),
        (None, None) => None,
    };
    if let Some(f) = from {
        h.push_str(&format!("From: {f}\r\n"));
    }
    let list = |kind: i32| -> Vec<String> {
        m.recipients
            .iter()
            .filter(|r| r.kind == kind)
            .map(|r| match (&r.name, &r.address) {
                (Some(n), Some(a)) => format!("\"{}\" <{a}>", n.replace('"', "'")),
                (None, Some(a)) => format!("<{a}>"),
                (Some(n), None) => format!("\"{}\"", n.replace('"', "'")),
                (None, None) => String::new(),
            })
            .filter(|s| !s.is_empty())
            .collect()
    };
    let to = list(1);
    if !to.is_empty() {
        h.push_str(&format!("To: {}\r\n", to.join(", ")));
    } else if let Some(t) = &m.display_to
        && !t.is_empty()
    {
        h.push_str(&format!("To: {t}\r\n"));
    }
    let cc = list(2);
    if !cc.is_empty() {
        h.push_str(&format!("Cc: {}\r\n", cc.join(", ")));
    }
    if let Some(s) = &m.subject {
        h.push_str(&format!("Subject: {s}\r\n"));
    }
    if let Some(t) = m.submit_time.or(m.delivery_time).or(m.creation_time) {
        h.push_str(&format!(
            "Date: {}\r\n",
            crate::fields::date::format(t, crate::fields::date::Style::Rfc5322)
        ));
    }
    if let Some(id) = &m.message_id {
        h.push_str(&format!("Message-ID: {id}\r\n"));
    }
    h.push_str("MIME-Version: 1.0\r\n");
    h.push_str("Content-Type: multipart/mixed; boundary=\"=_rebuilt_from_store\"\r\n");
    h.into_bytes()
}

/// The message rebuilt from `m` (read from a store of kind `format`), named by its path in
/// the store, with the store's facts. `limit` is the reader's largest message.
pub(crate) fn message(m: &StoreMessage, format: Format, limit: u64) -> crate::Result<Message> {
    let rebuilt = rebuild(m);
    let path = Path::new(&m.path);
    if rebuilt.bytes.len() as u64 > limit {
        return Err(crate::Error::MessageTooLarge {
            path: path.to_path_buf(),
            offset: 0,
            length: rebuilt.bytes.len() as u64,
            limit,
        });
    }
    let facts = facts(m, &rebuilt);
    let mut message = Message::whole(Arc::from(path), Bytes::from(rebuilt.bytes), format, 0);
    message.provenance = Provenance::Reconstructed;
    message.store = Some(Arc::new(StoreFacts::Outlook(facts)));
    Ok(message)
}

/// The report's view of a store message.
fn facts(m: &StoreMessage, rebuilt: &Rebuilt) -> OutlookFacts {
    let t = |s: Option<i64>| s.map(Timestamp::from_unix);
    OutlookFacts {
        folder: m.folder.clone(),
        node_id: m.node_id,
        message_class: m.message_class.clone(),
        subject: m.subject.clone(),
        sender_name: m.sender_name.clone(),
        sender_address: m.sender_address.clone(),
        message_id: m.message_id.clone(),
        submit_time: t(m.submit_time),
        delivery_time: t(m.delivery_time),
        creation_time: t(m.creation_time),
        modification_time: t(m.modification_time),
        message_flags: m.message_flags,
        draft: m.is_draft(),
        recipients: m
            .recipients
            .iter()
            .map(|r| StoreRecipient {
                kind: match r.kind {
                    1 => "to".to_string(),
                    2 => "cc".to_string(),
                    3 => "bcc".to_string(),
                    n => n.to_string(),
                },
                name: r.name.clone(),
                address: r.address.clone(),
            })
            .collect(),
        transport_headers: rebuilt.headers_from_transport,
        body: match rebuilt.body {
            BodySource::Plain => "plain",
            BodySource::Html => "html",
            BodySource::Rtf => "rtf",
            BodySource::None => "none",
        }
        .to_string(),
        rebuild: rebuilt.method.clone(),
        attachments: m
            .attachments
            .iter()
            .map(|a| StoreAttachment {
                name: a.name.clone(),
                mime_type: a.mime_type.clone(),
                size: a.data.as_ref().map(|d| d.len() as u64),
                method: a.method,
                embedded_subject: a.embedded.as_ref().and_then(|e| e.subject.clone()),
                note: a.note.clone(),
            })
            .collect(),
        notes: m.notes.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filetime_and_subject_marker() {
        // 2006-03-11 00:43:00 UTC as a FILETIME.
        assert_eq!(filetime_to_unix(127_865_113_800_000_000), 1_142_037_780);
        assert_eq!(strip_subject_marker("\u{1}\u{5}RE: x"), "RE: x");
        assert_eq!(strip_subject_marker("plain"), "plain");
        assert_eq!(decode_8bit(b"caf\xe9", Some(1252)), "café");
        assert_eq!(decode_8bit("café".as_bytes(), None), "café");
        assert_eq!(decode_8bit(b"\x82\xa0", Some(932)), "あ");
    }

    #[test]
    fn rebuild_keeps_the_transport_headers_byte_for_byte() {
        let headers = b"Received: from a by b; Mon, 1 Jan 2001 00:00:00 +0000\r\nFrom: x@example.org\r\nSubject: hi\r\nContent-Type: multipart/alternative; boundary=\"XYZ\"\r\n\r\n".to_vec();
        let m = StoreMessage {
            transport_headers: Some(headers.clone()),
            body_text: Some("hello\r\n".into()),
            body_html: Some(b"<p>hello</p>".to_vec()),
            ..StoreMessage::default()
        };
        let r = rebuild(&m);
        assert!(r.bytes.starts_with(&headers));
        assert!(r.headers_from_transport);
        let body = String::from_utf8_lossy(&r.bytes[headers.len()..]).into_owned();
        assert!(
            body.starts_with("--XYZ\r\nContent-Type: text/plain"),
            "{body}"
        );
        assert!(body.contains("--XYZ\r\nContent-Type: text/html"));
        assert!(body.ends_with("--XYZ--\r\n"));
        assert_eq!(r.body, BodySource::Plain);
    }

    #[test]
    fn rebuilt_bodies_take_the_header_blocks_line_endings() {
        assert_eq!(line_endings(b"a\nb\r\nc", true), b"a\r\nb\r\nc");
        assert_eq!(line_endings(b"a\nb\r\nc\n", false), b"a\nb\nc\n");
        let m = StoreMessage {
            transport_headers: Some(b"Subject: x\r\nContent-Type: text/html\r\n\r\n".to_vec()),
            body_html: Some(b"<p>\nhello\n</p>\n".to_vec()),
            ..StoreMessage::default()
        };
        let r = rebuild(&m);
        assert!(r.bytes.ends_with(b"\r\n\r\n<p>\r\nhello\r\n</p>\r\n"));
        let lone_lf = r
            .bytes
            .iter()
            .enumerate()
            .any(|(i, &b)| b == b'\n' && (i == 0 || r.bytes[i - 1] != b'\r'));
        assert!(!lone_lf);
    }

    #[test]
    fn rebuild_without_transport_headers_says_so() {
        let m = StoreMessage {
            subject: Some("draft".into()),
            sender_name: Some("A".into()),
            sender_address: Some("a@example.org".into()),
            submit_time: Some(0),
            body_text: Some("text".into()),
            ..StoreMessage::default()
        };
        let r = rebuild(&m);
        assert!(!r.headers_from_transport);
        let text = String::from_utf8_lossy(&r.bytes);
        assert!(text.starts_with("From: \"A\" <a@example.org>\r\nSubject: draft\r\nDate: Thu, 1 Jan 1970 00:00:00 +0000\r\n"), "{text}");
    }
}
