//! What a mail store kept about a message beside its bytes, and how the bytes were obtained.
//!
//! A message read from an mbox, an `.eml` file or a maildir is its stored bytes and nothing
//! else. Stores say more, and sometimes less: Apple Mail's `.emlx` files carry a property list
//! with dates and flags ([`EmlxFacts`]) and, for `.partial.emlx` files, a message without its
//! attachments; Outlook's PST and MSG files keep properties rather than the message, which is
//! rebuilt from them ([`OutlookFacts`]). [`Provenance`] says which bytes a
//! [`Message`](crate::Message) holds; [`StoreFacts`] what the store said; [`GmailFacts`]
//! what a Gmail (Takeout) export wrote into the headers.

use crate::span::Span;
use crate::timestamp::Timestamp;

/// How the bytes of a message were obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Provenance {
    /// The bytes as stored in the source: an mbox, an `.eml` file, a maildir entry, a member of
    /// an archive, the message inside an `.emlx` file.
    #[default]
    Stored,
    /// Stored bytes of a message whose body is incomplete: a `.partial.emlx` file, whose
    /// attachments Apple Mail kept in files beside it. A body hash cannot match them.
    Partial,
    /// Bytes rebuilt, not stored: a message of an Outlook store (its transport headers as the
    /// store kept them, and a body made from the store's plain, HTML or RTF body) or a partial
    /// message with its attachments put back. Only the header signature can be judged, unless
    /// the rebuilt body happens to verify.
    Reconstructed,
}

impl Provenance {
    /// Whether the body of these bytes can be checked against a signature's body hash: the
    /// bytes are stored and complete.
    pub fn body_checkable(self) -> bool {
        self == Provenance::Stored
    }
}

/// What the store a message came from said about it. In JSON, an object whose `kind` is
/// `emlx` or `outlook`.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(tag = "kind", rename_all = "kebab-case"))]
#[non_exhaustive]
pub enum StoreFacts {
    /// An Apple Mail `.emlx` or `.partial.emlx` file.
    Emlx(EmlxFacts),
    /// An Outlook PST, OST or MSG file.
    Outlook(OutlookFacts),
}

/// The flags integer of an `.emlx` property list, decoded per the bit layout Apple Mail uses
/// (documented publicly by J. Zawinski, 2005, for bits 0 to 30). Later versions of Mail set
/// bits above 30, whose meaning is not documented: they are kept in `raw`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct EmlxFlags {
    /// The integer as stored.
    pub raw: u64,
    /// Bit 0: read.
    pub read: bool,
    /// Bit 1: deleted.
    pub deleted: bool,
    /// Bit 2: answered.
    pub answered: bool,
    /// Bit 3: encrypted.
    pub encrypted: bool,
    /// Bit 4: flagged.
    pub flagged: bool,
    /// Bit 5: recent.
    pub recent: bool,
    /// Bit 6: draft.
    pub draft: bool,
    /// Bit 8: forwarded.
    pub forwarded: bool,
    /// Bit 9: redirected.
    pub redirected: bool,
    /// Bits 10 to 15: the number of attachments.
    pub attachment_count: u8,
    /// Bits 16 to 22: the priority.
    pub priority: u8,
    /// Bit 23: signed.
    pub signed: bool,
    /// Bit 24: marked as junk.
    pub junk: bool,
    /// Bit 25: marked as not junk.
    pub not_junk: bool,
}

impl EmlxFlags {
    /// Decode the flags integer.
    pub fn from_raw(raw: u64) -> Self {
        let bit = |n: u32| raw & (1u64 << n) != 0;
        let field = |shift: u32, mask: u64| ((raw >> shift) & mask) as u8;
        EmlxFlags {
            raw,
            read: bit(0),
            deleted: bit(1),
            answered: bit(2),
            encrypted: bit(3),
            flagged: bit(4),
            recent: bit(5),
            draft: bit(6),
            forwarded: bit(8),
            redirected: bit(9),
            attachment_count: field(10, 0x3F),
            priority: field(16, 0x7F),
            signed: bit(23),
            junk: bit(24),
            not_junk: bit(25),
        }
    }
}

/// A part whose body a `.partial.emlx` file left out (Apple Mail keeps it in
/// `../Attachments/<id>/<section>/`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct ElidedPart {
    /// The part's IMAP section number (`2`, `2.4`): the name of its attachment folder.
    pub section: String,
    /// Where the part's body belongs in the file.
    pub body_offset: u64,
    /// The part's `Content-Transfer-Encoding`, lowercase.
    pub transfer_encoding: String,
    /// `X-Apple-Content-Length`: the length of the encoded body Mail left out.
    pub apple_content_length: u64,
    /// The file name the part's headers give, if any.
    pub file_name: Option<String>,
}

/// What rebuilding a partial message from its attachment folders did.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct EmlxRebuild {
    /// Sections put back whose encoded length is the `X-Apple-Content-Length` Mail recorded.
    pub restored: Vec<String>,
    /// Sections put back with another length (a substitute file, or an encoding laid out
    /// differently from the original): the body differs from the one Mail received.
    pub length_differs: Vec<String>,
    /// Sections not put back, with the reason (no attachment folder, file too large).
    pub missing: Vec<String>,
}

/// What an Apple Mail `.emlx` file says beside the message it holds.
#[derive(Debug, Clone, PartialEq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct EmlxFacts {
    /// The file is a `.partial.emlx`, or leaves out attachment bodies: the body is
    /// incomplete.
    pub partial: bool,
    /// The byte count on the file's first line.
    pub declared_length: u64,
    /// Where the property list is in the file (`None` when the file has none).
    pub plist: Option<Span>,
    /// `date-received`: when Mail received the message.
    pub date_received: Option<Timestamp>,
    /// `date-sent`.
    pub date_sent: Option<Timestamp>,
    /// `date-last-viewed`.
    pub date_last_viewed: Option<Timestamp>,
    /// `flags`, decoded.
    pub flags: Option<EmlxFlags>,
    /// `remote-id`: the server's id of the message (an IMAP UID).
    pub remote_id: Option<String>,
    /// `conversation-id`.
    pub conversation_id: Option<i64>,
    /// `original-mailbox` (an IMAP URL).
    pub original_mailbox: Option<String>,
    /// Parts whose bodies the file left out.
    pub elided_parts: Vec<ElidedPart>,
    /// What does not match the format: a byte count that does not end where the property
    /// list starts (the file was changed after Mail wrote it), no property list, a property
    /// list that cannot be read.
    pub problems: Vec<String>,
    /// For a rebuilt message: what was put back.
    pub rebuild: Option<EmlxRebuild>,
}

/// A recipient from an Outlook store's recipient table.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct StoreRecipient {
    /// `to`, `cc`, `bcc` (from `PR_RECIPIENT_TYPE`), or the number when unknown.
    pub kind: String,
    /// `PR_DISPLAY_NAME`.
    pub name: Option<String>,
    /// `PR_SMTP_ADDRESS`, else `PR_EMAIL_ADDRESS` (may be an Exchange X.500 address).
    pub address: Option<String>,
}

/// An attachment of an Outlook store message.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct StoreAttachment {
    /// The file name (long, else short, else display name).
    pub name: Option<String>,
    /// `PR_ATTACH_MIME_TAG`.
    pub mime_type: Option<String>,
    /// Bytes of the file, when read.
    pub size: Option<u64>,
    /// `PR_ATTACH_METHOD` (1 by value, 5 an embedded message, 6 an OLE object).
    pub method: i32,
    /// The subject of an embedded message.
    pub embedded_subject: Option<String>,
    /// Why the data or the embedded message is missing from the rebuilt message, if it is.
    pub note: Option<String>,
}

/// What an Outlook store (PST, OST or MSG file) says about a message: the MAPI properties
/// that are not in its header block, and how its bytes were rebuilt.
#[derive(Debug, Clone, PartialEq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct OutlookFacts {
    /// The folder path inside the store (empty for an MSG file).
    pub folder: String,
    /// The store's node id of the message (PST/OST), for cross-reference with other tools.
    pub node_id: Option<u32>,
    /// `PR_MESSAGE_CLASS` (`IPM.Note`, `IPM.Appointment`, ...).
    pub message_class: Option<String>,
    /// `PR_SUBJECT`.
    pub subject: Option<String>,
    /// `PR_SENDER_NAME`, else `PR_SENT_REPRESENTING_NAME`.
    pub sender_name: Option<String>,
    /// The sender's SMTP address, else its e-mail address (may be an Exchange X.500
    /// address).
    pub sender_address: Option<String>,
    /// `PR_INTERNET_MESSAGE_ID`.
    pub message_id: Option<String>,
    /// `PR_CLIENT_SUBMIT_TIME`: when the sender's client submitted it.
    pub submit_time: Option<Timestamp>,
    /// `PR_MESSAGE_DELIVERY_TIME`: when it was delivered to this mailbox.
    pub delivery_time: Option<Timestamp>,
    /// `PR_CREATION_TIME` of the store object.
    pub creation_time: Option<Timestamp>,
    /// `PR_LAST_MODIFICATION_TIME` of the store object.
    pub modification_time: Option<Timestamp>,
    /// `PR_MESSAGE_FLAGS`.
    pub message_flags: Option<i32>,
    /// The message is unsent (a draft).
    pub draft: bool,
    /// Recipients from the recipient table.
    pub recipients: Vec<StoreRecipient>,
    /// Whether the header block is the store's `PR_TRANSPORT_MESSAGE_HEADERS` (the header
    /// block as received: its signatures can be judged) rather than one made from the MAPI
    /// properties (no signature verdict).
    pub transport_headers: bool,
    /// Where the rebuilt body came from: `plain` (`PR_BODY`), `html` (`PR_HTML`), `rtf`
    /// (`PR_RTF_COMPRESSED`) or `none`.
    pub body: String,
    /// How the body was laid out.
    pub rebuild: String,
    /// Attachments, in attachment-table order.
    pub attachments: Vec<StoreAttachment>,
    /// Problems met while reading the message (a property that could not be read, a budget
    /// reached, an RTF body that did not decompress).
    pub notes: Vec<String>,
}

/// What a Gmail export (Google Takeout) wrote into a message's headers.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct GmailFacts {
    /// `X-GM-THRID`: Gmail's conversation (thread) id.
    pub thread_id: Option<String>,
    /// `X-Gmail-Labels`, split at commas (quoted labels kept whole).
    pub labels: Vec<String>,
    /// The message is a chat transcript that Gmail stored as a message (label `Chat`), not
    /// an email: its headers were made by Gmail, not sent.
    pub chat: bool,
}

impl GmailFacts {
    /// The Gmail facts of a header block, `None` when it has neither `X-GM-THRID` nor
    /// `X-Gmail-Labels`.
    pub(crate) fn of(headers: &crate::read::headers::Headers<'_>) -> Option<GmailFacts> {
        let thread_id = headers
            .get("x-gm-thrid")
            .map(|f| f.value().trim().to_string());
        let labels = headers
            .get("x-gmail-labels")
            .map(|f| split_labels(&f.decoded()));
        if thread_id.is_none() && labels.is_none() {
            return None;
        }
        let labels = labels.unwrap_or_default();
        let chat = labels.iter().any(|l| l.eq_ignore_ascii_case("chat"));
        Some(GmailFacts {
            thread_id,
            labels,
            chat,
        })
    }
}

/// Largest number of labels kept from one header.
const MAX_LABELS: usize = 1024;

/// Split an `X-Gmail-Labels` value at commas outside double quotes; quotes are removed.
fn split_labels(value: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    for c in value.chars() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => {
                push_label(&mut out, &mut current);
                if out.len() >= MAX_LABELS {
                    return out;
                }
            }
            _ => current.push(c),
        }
    }
    push_label(&mut out, &mut current);
    out
}

fn push_label(out: &mut Vec<String>, current: &mut String) {
    let label = current.trim();
    if !label.is_empty() {
        out.push(label.to_string());
    }
    current.clear();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::read::headers::Headers;

    #[test]
    fn gmail_labels_and_chats() {
        let h = Headers::parse(
            b"X-GM-THRID: 1512345678901234567\nX-Gmail-Labels: Archived,\"Work, old\",Opened\nFrom: a@b\n\n",
            0,
        );
        let f = GmailFacts::of(&h).expect("facts");
        assert_eq!(f.thread_id.as_deref(), Some("1512345678901234567"));
        assert_eq!(f.labels, ["Archived", "Work, old", "Opened"]);
        assert!(!f.chat);
        let chat = Headers::parse(b"X-Gmail-Labels: Chat\nFrom: a@b\n\n", 0);
        assert!(GmailFacts::of(&chat).expect("facts").chat);
        assert_eq!(GmailFacts::of(&Headers::parse(b"From: a@b\n\n", 0)), None);
        let many = format!("X-Gmail-Labels: {}\n\n", "a,".repeat(5000));
        let f = GmailFacts::of(&Headers::parse(many.as_bytes(), 0)).expect("facts");
        assert_eq!(f.labels.len(), MAX_LABELS);
    }

    #[test]
    fn flags_decode() {
        let f = EmlxFlags::from_raw(8_623_489_089);
        assert!(f.read);
        assert!(!f.deleted);
        assert_eq!(f.raw, 8_623_489_089);
        let g = EmlxFlags::from_raw((3 << 10) | (1 << 2) | (1 << 24));
        assert_eq!(g.attachment_count, 3);
        assert!(g.answered && g.junk && !g.read);
    }
}
