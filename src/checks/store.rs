//! Findings from what a store said about a message beside its bytes: an Outlook store's times
//! and properties against the transport headers it kept, an Apple Mail property list against
//! the message, a Gmail export's chat transcripts. Made by the analysis of each message
//! ([`findings`]); the codes are documented with the others in [`checks`](super).
//!
//! Evidence spans are bytes of the message's source: for an Outlook message, the rebuilt
//! message (its source names it inside the store); the store's own times and properties are
//! not bytes of it, so the evidence is the header field they are compared with, and the
//! detail gives the store's value.

use super::{Config, Finding, FindingCode, Severity};
use crate::fields::date::parse as parse_date;
use crate::fields::received::parse_field as parse_received;
use crate::read::facts::{EmlxFacts, GmailFacts, OutlookFacts, Provenance, StoreFacts};
use crate::read::headers::Headers;
use crate::read::message::Message;
use crate::span::Span;
use crate::timestamp::Timestamp;

/// Largest plausible time from the top `Received` stamp to delivery into a mailbox.
const DELIVERY_SLACK: i64 = 24 * 3600;

/// Evidence spans listed for the left-out parts of one partial message.
const MAX_PART_SPANS: usize = 16;

/// The store-level findings of one message (none for a message that came from no store and
/// is no Gmail chat).
pub(crate) fn findings(message: &Message, headers: &Headers<'_>, config: &Config) -> Vec<Finding> {
    let mut out = Vec::new();
    match message.store_facts() {
        Some(StoreFacts::Outlook(f)) => outlook(f, headers, config, &mut out),
        Some(StoreFacts::Emlx(f)) if message.provenance() != Provenance::Reconstructed => {
            emlx(f, message, headers, config, &mut out)
        }
        _ => {}
    }
    if let Some(gmail) = GmailFacts::of(headers)
        && gmail.chat
        && let Some(field) = headers.get("x-gmail-labels")
    {
        out.push(Finding::heuristic(
            FindingCode::GmailChatTranscript,
            Severity::Info,
            "A chat transcript that Gmail stored as a message (label Chat): its headers were written by Gmail, not sent as mail.",
            vec![field.span()],
        ));
    }
    out
}

/// Keep, of the per-message findings of a message rebuilt from an Outlook store, those about
/// bytes the store kept: with transport headers, the findings whose evidence lies in the
/// header block; always the store's own findings and those on attachments (their files are
/// as stored). The rest speak of bytes the reader wrote when it rebuilt the message (a body
/// laid out anew, a header block made from properties) and would describe the rebuild, not
/// the message. Messages from anywhere else keep every finding.
pub(crate) fn retain_kept(message: &Message, headers: &Headers<'_>, findings: &mut Vec<Finding>) {
    let Some(StoreFacts::Outlook(f)) = message.store_facts() else {
        return;
    };
    let body_start = headers.body_span().start;
    findings.retain(|finding| {
        use FindingCode as C;
        matches!(
            finding.code,
            C::StoreSubmitTimeMismatch
                | C::StoreDeliveryTimeMismatch
                | C::StorePropertyMismatch
                | C::StoreNoTransportHeaders
                | C::AttachmentModifiedAfterDate
                | C::AttachmentAuthorUnrelated
        ) || (f.transport_headers && finding.evidence.iter().all(|s| s.end <= body_start))
    });
}

/// `Date` of the header block: the field and its time.
fn date(headers: &Headers<'_>) -> Option<(Span, i64)> {
    let field = headers.get("date")?;
    let parsed = parse_date(&field.value())?;
    Some((field.span(), parsed.unix))
}

fn show(t: i64) -> String {
    Timestamp::from_unix(t).to_string()
}

fn outlook(f: &OutlookFacts, headers: &Headers<'_>, config: &Config, out: &mut Vec<Finding>) {
    let skew = config.clock_skew;
    let submit = f.submit_time.map(Timestamp::unix);
    let delivery = f.delivery_time.map(Timestamp::unix);
    let date = date(headers);
    if let (Some(s), Some(d)) = (submit, delivery)
        && s > d + skew
    {
        out.push(Finding::heuristic(
            FindingCode::StoreDeliveryTimeMismatch,
            config.skew_severity(s - d),
            format!(
                "The store says the message was delivered at {} but submitted at {}, later; the store's times are properties, not bytes of the message: the evidence is its header block.",
                show(d),
                show(s)
            ),
            vec![headers.header_span()],
        ));
    }
    if !f.transport_headers {
        if delivery.is_some() && !f.draft {
            out.push(Finding::heuristic(
                FindingCode::StoreNoTransportHeaders,
                Severity::Info,
                "A delivered message without transport headers: its header block was made from the store's properties, so no signature can be judged.",
                vec![headers.header_span()],
            ));
        }
        return;
    }
    if let (Some((span, d)), Some(s)) = (date, submit)
        && (d - s).abs() > skew
    {
        out.push(Finding::heuristic(
            FindingCode::StoreSubmitTimeMismatch,
            config.skew_severity(d - s),
            format!(
                "Date says {} but the store's submit time (PR_CLIENT_SUBMIT_TIME, a property, not bytes of the message) is {}.",
                show(d),
                show(s)
            ),
            vec![span],
        ));
    }
    if let (Some((span, d)), Some(dl)) = (date, delivery)
        && dl + skew < d
    {
        out.push(Finding::heuristic(
            FindingCode::StoreDeliveryTimeMismatch,
            config.skew_severity(d - dl),
            format!(
                "The store's delivery time (PR_MESSAGE_DELIVERY_TIME, a property) {} is before the message's Date {}.",
                show(dl),
                show(d)
            ),
            vec![span],
        ));
    }
    let top = headers
        .get("received")
        .map(|field| (field.span(), parse_received(&field).time.map(|t| t.unix)));
    if let (Some((span, Some(r))), Some(dl)) = (top, delivery) {
        if dl + skew < r {
            out.push(Finding::heuristic(
                FindingCode::StoreDeliveryTimeMismatch,
                config.skew_severity(r - dl),
                format!(
                    "The store's delivery time {} is before the top Received stamp {}: the message was delivered before its last server received it.",
                    show(dl),
                    show(r)
                ),
                vec![span],
            ));
        } else if dl > r + DELIVERY_SLACK {
            out.push(Finding::heuristic(
                FindingCode::StoreDeliveryTimeMismatch,
                Severity::Low,
                format!(
                    "The store's delivery time {} is more than a day after the top Received stamp {} (an import into the store, or a changed header).",
                    show(dl),
                    show(r)
                ),
                vec![span],
            ));
        }
    }
    let mut contradict = |field: &str, what: &str, header: String, store: &str, property: &str| {
        if let Some(field) = headers.get(field) {
            out.push(Finding::heuristic(
                FindingCode::StorePropertyMismatch,
                Severity::Medium,
                format!(
                    "The transport headers' {what} is {header:?} but the store's {property} is {store:?}."
                ),
                vec![field.span()],
            ));
        }
    };
    if let (Some(h), Some(s)) = (headers.get("subject"), &f.subject) {
        let h = h.decoded();
        if squeeze(&h) != squeeze(s) {
            contradict("subject", "Subject", h, s, "PR_SUBJECT");
        }
    }
    if let (Some(h), Some(s)) = (headers.get("message-id"), &f.message_id) {
        let h = h.value().trim().to_string();
        if h != s.trim() {
            contradict("message-id", "Message-ID", h, s, "PR_INTERNET_MESSAGE_ID");
        }
    }
    if let (Some(h), Some(s)) = (
        headers
            .get("from")
            .and_then(|f| crate::fields::domain::address(&f.value())),
        f.sender_address.as_deref().filter(|a| a.contains('@')),
    ) && !h.eq_ignore_ascii_case(s.trim())
    {
        contradict("from", "From address", h, s, "sender address");
    }
}

/// `text` with runs of white space made one space, trimmed.
fn squeeze(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn emlx(
    f: &EmlxFacts,
    message: &Message,
    headers: &Headers<'_>,
    config: &Config,
    out: &mut Vec<Finding>,
) {
    if f.partial {
        let spans: Vec<Span> = f
            .elided_parts
            .iter()
            .take(MAX_PART_SPANS)
            .map(|p| Span::new(p.body_offset, p.body_offset))
            .collect();
        out.push(Finding::heuristic(
            FindingCode::EmlxPartialBody,
            Severity::Info,
            format!(
                "A partial message: Apple Mail kept {} attachment bodies apart, so the stored body is incomplete and body hashes cannot be checked.",
                f.elided_parts.len()
            ),
            spans,
        ));
    }
    if f.plist.is_some() && f.declared_length != message.len() {
        out.push(Finding::heuristic(
            FindingCode::EmlxLengthMismatch,
            Severity::Medium,
            format!(
                "The byte count line says {} bytes, but the property list starts after {}: the file was changed after Mail wrote it.",
                f.declared_length,
                message.len()
            ),
            vec![Span::new(0, message.offset())],
        ));
    }
    let Some((span, d)) = date(headers) else {
        return;
    };
    let mut evidence = vec![span];
    evidence.extend(f.plist);
    if let Some(r) = f.date_received.map(Timestamp::unix)
        && r + config.clock_skew < d
    {
        out.push(Finding::heuristic(
            FindingCode::EmlxDateMismatch,
            config.skew_severity(d - r),
            format!(
                "Mail's property list says it received the message at {}, before its Date {}.",
                show(r),
                show(d)
            ),
            evidence.clone(),
        ));
    }
    if let Some(s) = f.date_sent.map(Timestamp::unix)
        && (s - d).abs() > config.clock_skew
    {
        out.push(Finding::heuristic(
            FindingCode::EmlxDateMismatch,
            config.skew_severity(s - d),
            format!(
                "Mail's property list gives the sending date {}, but Date says {}.",
                show(s),
                show(d)
            ),
            evidence,
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::read::facts::ElidedPart;
    use std::sync::Arc;

    fn with_facts(bytes: &'static [u8], facts: StoreFacts, provenance: Provenance) -> Message {
        let mut m = Message::from_bytes("x", bytes);
        m.store = Some(Arc::new(facts));
        m.provenance = provenance;
        m
    }

    fn codes(m: &Message) -> Vec<(&'static str, Severity)> {
        findings(m, &m.headers(), &Config::default())
            .iter()
            .map(|f| (f.code.as_str(), f.severity))
            .collect()
    }

    const HEADERS: &[u8] = b"Received: from a by b; Mon, 1 Jan 2001 10:00:00 +0000\r\nDate: Mon, 1 Jan 2001 09:59:00 +0000\r\nFrom: A <a@example.org>\r\nSubject: hello\r\n  world\r\nMessage-ID: <1@x>\r\n\r\nbody\r\n";

    fn outlook_facts() -> OutlookFacts {
        OutlookFacts {
            transport_headers: true,
            submit_time: Some(Timestamp::from_unix(978_343_140)),
            delivery_time: Some(Timestamp::from_unix(978_343_205)),
            subject: Some("hello world".into()),
            message_id: Some("<1@x>".into()),
            sender_address: Some("A@Example.org".into()),
            ..OutlookFacts::default()
        }
    }

    #[test]
    fn consistent_store_facts_give_nothing() {
        let m = with_facts(
            HEADERS,
            StoreFacts::Outlook(outlook_facts()),
            Provenance::Reconstructed,
        );
        assert_eq!(codes(&m), vec![]);
    }

    #[test]
    fn store_times_and_properties_against_the_headers() {
        let mut f = outlook_facts();
        f.subject = Some("changed".into());
        f.submit_time = Some(Timestamp::from_unix(978_343_140 + 86_400));
        f.delivery_time = Some(Timestamp::from_unix(978_343_140 - 7_200));
        f.sender_address = Some("b@example.org".into());
        f.message_id = Some("<2@x>".into());
        let m = with_facts(HEADERS, StoreFacts::Outlook(f), Provenance::Reconstructed);
        let found = codes(&m);
        let count = |c: &str| found.iter().filter(|(k, _)| *k == c).count();
        assert_eq!(count("store-submit-time-mismatch"), 1, "{found:?}");
        // Delivered before submission, before Date, and before the top Received stamp.
        assert_eq!(count("store-delivery-time-mismatch"), 3, "{found:?}");
        assert_eq!(count("store-property-mismatch"), 3, "{found:?}");
        assert!(found.contains(&("store-submit-time-mismatch", Severity::Medium)));
        // Evidence is the header field, a span of the (rebuilt) message.
        let all = findings(&m, &m.headers(), &Config::default());
        let subject = all
            .iter()
            .find(|f| f.detail.contains("PR_SUBJECT"))
            .expect("subject finding");
        let span = subject.evidence[0];
        assert!(m.bytes()[span.start as usize..span.end as usize].starts_with(b"Subject:"));
    }

    #[test]
    fn a_delivered_message_without_transport_headers() {
        let f = OutlookFacts {
            transport_headers: false,
            delivery_time: Some(Timestamp::from_unix(0)),
            ..OutlookFacts::default()
        };
        let m = with_facts(
            HEADERS,
            StoreFacts::Outlook(f.clone()),
            Provenance::Reconstructed,
        );
        assert_eq!(
            codes(&m),
            vec![("store-no-transport-headers", Severity::Info)]
        );
        let draft = OutlookFacts { draft: true, ..f };
        let m = with_facts(
            HEADERS,
            StoreFacts::Outlook(draft),
            Provenance::Reconstructed,
        );
        assert_eq!(codes(&m), vec![]);
    }

    #[test]
    fn emlx_property_list_against_the_message() {
        let message: &[u8] = b"Date: Mon, 1 Jan 2001 10:00:00 +0000\nFrom: a@b\n\nx\n";
        let mut f = EmlxFacts {
            declared_length: message.len() as u64,
            plist: Some(Span::new(100, 200)),
            date_received: Some(Timestamp::from_unix(978_343_200 + 60)),
            ..EmlxFacts::default()
        };
        let m = with_facts(message, StoreFacts::Emlx(f.clone()), Provenance::Stored);
        assert_eq!(codes(&m), vec![]);
        f.date_received = Some(Timestamp::from_unix(978_343_200 - 86_400));
        f.declared_length += 10;
        f.partial = true;
        f.elided_parts.push(ElidedPart {
            section: "2".into(),
            body_offset: 40,
            transfer_encoding: "base64".into(),
            apple_content_length: 100,
            file_name: None,
        });
        let m = with_facts(message, StoreFacts::Emlx(f.clone()), Provenance::Partial);
        let found = codes(&m);
        assert!(
            found.contains(&("emlx-partial-body", Severity::Info)),
            "{found:?}"
        );
        assert!(
            found.contains(&("emlx-length-mismatch", Severity::Medium)),
            "{found:?}"
        );
        assert!(
            found.contains(&("emlx-date-mismatch", Severity::Medium)),
            "{found:?}"
        );
        // The rebuilt copy repeats none of them: the stored one carries them.
        let rebuilt = with_facts(message, StoreFacts::Emlx(f), Provenance::Reconstructed);
        assert_eq!(codes(&rebuilt), vec![]);
    }

    #[test]
    fn findings_on_rebuilt_bytes_are_dropped() {
        let finding = |code, start, end| {
            Finding::heuristic(code, Severity::Low, "x", vec![Span::new(start, end)])
        };
        let all = || {
            vec![
                finding(FindingCode::MissingFrom, 0, 10),
                finding(FindingCode::MixedLineEndings, 200, 201),
                finding(FindingCode::StoreSubmitTimeMismatch, 0, 10),
                finding(FindingCode::AttachmentAuthorUnrelated, 200, 300),
            ]
        };
        let kept = |m: &Message| {
            let mut f = all();
            retain_kept(m, &m.headers(), &mut f);
            f.iter().map(|f| f.code.as_str()).collect::<Vec<_>>()
        };
        let transport = with_facts(
            HEADERS,
            StoreFacts::Outlook(outlook_facts()),
            Provenance::Reconstructed,
        );
        assert_eq!(
            kept(&transport),
            [
                "missing-from",
                "store-submit-time-mismatch",
                "attachment-author-unrelated"
            ]
        );
        let made = OutlookFacts {
            transport_headers: false,
            ..outlook_facts()
        };
        let made = with_facts(
            HEADERS,
            StoreFacts::Outlook(made),
            Provenance::Reconstructed,
        );
        assert_eq!(
            kept(&made),
            ["store-submit-time-mismatch", "attachment-author-unrelated"]
        );
        let plain = Message::from_bytes("x", HEADERS);
        assert_eq!(kept(&plain).len(), 4);
    }

    #[test]
    fn gmail_chat_transcripts() {
        let m = Message::from_bytes(
            "x",
            &b"X-Gmail-Labels: Chat,Archived\nFrom: a@b\n\nhi\n"[..],
        );
        assert_eq!(codes(&m), vec![("gmail-chat-transcript", Severity::Info)]);
        let m = Message::from_bytes("x", &b"X-Gmail-Labels: Inbox\nFrom: a@b\n\nhi\n"[..]);
        assert_eq!(codes(&m), vec![]);
    }
}
