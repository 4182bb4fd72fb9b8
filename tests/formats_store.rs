//! Outlook messages rebuilt from a store's properties: written here as MSG files (compound
//! files, with `cfb`), their transport headers signed with the test kit's signer and their
//! body re-encoded the way a store keeps it. The header signature decides (the verdict is
//! `headers-verified`), the body hash is unknown and says why, and the store's properties
//! are facts with findings when they contradict the headers.
#![cfg(feature = "outlook")]

use std::io::{Cursor, Write};

use bytes::Bytes;
use mailsleuth::auth::{AsOf, DkimResult, KeyStore, Verifier};
use mailsleuth::read::facts::{Provenance, StoreFacts};
use mailsleuth::{Analyzer, Entry, Format, Message, Reader, Timestamp, Verdict};
use mailsleuth_testkit::keys::keys_dir;
use mailsleuth_testkit::signer::{Canon, PrivateKey, Spec, sign};

const DOMAIN: &str = "example.org";
const SELECTOR: &str = "store";
/// 2017-05-01T09:00:00Z.
const SIGNED_AT: i64 = 1_493_629_200;

/// Property ids of MS-OXPROPS used here.
const PR_SUBJECT: u16 = 0x0037;
const PR_TRANSPORT_MESSAGE_HEADERS: u16 = 0x007D;
const PR_BODY: u16 = 0x1000;
const PR_INTERNET_MESSAGE_ID: u16 = 0x1035;
const PR_SENDER_SMTP_ADDRESS: u16 = 0x5D01;
const PR_CLIENT_SUBMIT_TIME: u16 = 0x0039;
const PR_MESSAGE_DELIVERY_TIME: u16 = 0x0E06;

fn key() -> PrivateKey {
    let pem = std::fs::read_to_string(keys_dir().join("rsa2048.pem")).expect("test key");
    PrivateKey::from_pem(&pem).expect("key")
}

fn keys(key: &PrivateKey) -> KeyStore {
    let mut store = KeyStore::new();
    let report = store.parse_str(
        &format!("{SELECTOR}._domainkey.{DOMAIN} {}\n", key.public_record("")),
        "test",
    );
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    store
}

/// A message as sent: its header fields and its body (quoted-printable, as the sender's
/// client encoded it), signed by `example.org`. Returns the header block with the signature
/// on top (CRLF line endings, as a server hands it to the store) and the body.
fn signed_message(key: &PrivateKey) -> (String, String) {
    let fields: Vec<(String, String)> = [
        ("From", "Alice <alice@example.org>"),
        ("To", "Bob <bob@example.net>"),
        ("Subject", "Quarterly figures"),
        ("Date", "Mon, 1 May 2017 11:00:00 +0200"),
        ("Message-ID", "<q1-2017@example.org>"),
        ("MIME-Version", "1.0"),
        ("Content-Type", "text/plain; charset=utf-8"),
        ("Content-Transfer-Encoding", "quoted-printable"),
    ]
    .iter()
    .map(|(n, v)| (n.to_string(), v.to_string()))
    .collect();
    let body = "Caf=C3=A9 figures are in: revenue up =E2=80=94 see the attachment.=\n Regards\n";
    let spec = Spec {
        domain: DOMAIN,
        selector: SELECTOR,
        key,
        header_canon: Canon::Relaxed,
        body_canon: Canon::Relaxed,
        headers: &[
            "from",
            "to",
            "subject",
            "date",
            "message-id",
            "content-type",
        ],
        time: SIGNED_AT,
        expires: None,
        body_length: false,
    };
    let signature = sign(&fields, body, &spec);
    let mut block = format!(
        "Received: from mx.example.org by mail.example.net; Mon, 1 May 2017 09:00:05 +0000\r\nDKIM-Signature: {}\r\n",
        signature.replace('\n', "\r\n")
    );
    for (n, v) in &fields {
        block.push_str(&format!("{n}: {v}\r\n"));
    }
    block.push_str("\r\n");
    (block, body.to_string())
}

fn utf16(text: &str) -> Vec<u8> {
    text.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

/// FILETIME (100 ns since 1601) of Unix seconds.
fn filetime(unix: i64) -> [u8; 8] {
    ((unix + 11_644_473_600) * 10_000_000).to_le_bytes()
}

/// An MSG file: the fixed-size properties stream (a 32-byte header, then 16 bytes per
/// property) and one `__substg1.0_IIIITTTT` stream per string property (UTF-16LE).
fn msg_file(strings: &[(u16, &str)], times: &[(u16, i64)]) -> Vec<u8> {
    let mut file = cfb::CompoundFile::create(Cursor::new(Vec::new())).expect("compound file");
    let mut fixed = vec![0u8; 32];
    for (id, t) in times {
        let tag = (u32::from(*id) << 16) | 0x0040; // PT_SYSTIME
        fixed.extend_from_slice(&tag.to_le_bytes());
        fixed.extend_from_slice(&6u32.to_le_bytes()); // readable and writable
        fixed.extend_from_slice(&filetime(*t));
    }
    file.create_stream("/__properties_version1.0")
        .expect("stream")
        .write_all(&fixed)
        .expect("write");
    for (id, text) in strings {
        let name = format!("/__substg1.0_{id:04X}001F");
        let mut data = utf16(text);
        data.extend_from_slice(&[0, 0]);
        file.create_stream(&name)
            .expect("stream")
            .write_all(&data)
            .expect("write");
    }
    file.flush().expect("flush");
    file.into_inner().into_inner()
}

fn read_one(name: &str, data: Vec<u8>) -> Message {
    let items: Vec<_> = Reader::new().read_bytes(name, Bytes::from(data)).collect();
    assert_eq!(items.len(), 1, "{items:?}");
    match items.into_iter().next() {
        Some(Ok(Entry::Message(m))) => m,
        other => panic!("{other:?}"),
    }
}

fn analyzer(key: &PrivateKey) -> Analyzer {
    Analyzer::new(keys(key)).as_of(AsOf::Fixed(Timestamp::from_unix(SIGNED_AT + 60)))
}

#[test]
fn a_signed_message_rebuilt_from_a_store_is_headers_verified() {
    let key = key();
    let (headers, qp_body) = signed_message(&key);
    // The store kept the body decoded, as text: the bytes the signature covered are gone.
    let stored_body = "Café figures are in: revenue up — see the attachment. Regards\r\n";
    let data = msg_file(
        &[
            (PR_TRANSPORT_MESSAGE_HEADERS, &headers),
            (PR_SUBJECT, "Quarterly figures"),
            (PR_BODY, stored_body),
            (PR_INTERNET_MESSAGE_ID, "<q1-2017@example.org>"),
            (PR_SENDER_SMTP_ADDRESS, "alice@example.org"),
        ],
        &[
            (PR_CLIENT_SUBMIT_TIME, SIGNED_AT - 1),
            (PR_MESSAGE_DELIVERY_TIME, SIGNED_AT + 10),
        ],
    );
    let message = read_one("quarterly.msg", data);
    assert_eq!(message.format(), Format::Msg);
    assert_eq!(message.provenance(), Provenance::Reconstructed);
    assert!(message.is_reconstructed());
    assert!(
        message.bytes().starts_with(headers.as_bytes()),
        "the transport headers come first, byte for byte"
    );
    assert!(!String::from_utf8_lossy(message.bytes()).contains(&qp_body));

    let report = analyzer(&key).analyze(&message);
    assert!(report.reconstructed);
    assert_eq!(report.source, "quarterly.msg");
    let sig = &report.dkim[0];
    // The verifier on its own judges a rebuilt message by its header signature too.
    let store = keys(&key);
    let auth = Verifier::new(&store)
        .as_of(AsOf::Fixed(Timestamp::from_unix(SIGNED_AT + 60)))
        .verify_message(&message);
    assert_eq!(auth.dkim.len(), 1);
    assert_eq!(auth.dkim[0].header_signature_valid, Some(true));
    assert_eq!(auth.dkim[0].body_hash_valid, None);
    assert_eq!(auth.dkim[0].result, sig.result);
    assert_eq!(auth.dkim[0].detail, sig.detail);
    assert_eq!(sig.domain, DOMAIN);
    assert_eq!(sig.header_signature_valid, Some(true));
    assert_eq!(sig.body_hash_valid, None, "the body cannot be checked");
    assert_ne!(sig.result, DkimResult::BodyModified);
    assert_ne!(sig.result, DkimResult::Pass);
    assert!(
        sig.detail
            .as_deref()
            .is_some_and(|d| d.contains("body re-encoded by the store: not checkable")),
        "{:?}",
        sig.detail
    );
    assert_eq!(
        report.verdict,
        Verdict::HeadersVerified,
        "{:?}",
        report.findings
    );
    assert!(
        report
            .findings
            .iter()
            .all(|f| f.code.as_str() != "dkim-body-modified")
    );
    let Some(StoreFacts::Outlook(facts)) = &report.store else {
        panic!("outlook facts")
    };
    assert!(facts.transport_headers);
    assert_eq!(facts.body, "plain");
    assert_eq!(facts.subject.as_deref(), Some("Quarterly figures"));
    assert_eq!(facts.submit_time, Some(Timestamp::from_unix(SIGNED_AT - 1)));
    // The JSON line carries the facts and reads back without loss.
    let line = serde_json::to_string(&report).expect("json");
    assert!(
        line.contains(r#""format":"msg","reconstructed":true,"#),
        "{line}"
    );
    assert!(line.contains(r#""store":{"kind":"outlook","#), "{line}");
    let back: mailsleuth::Report = serde_json::from_str(&line).expect("reads back");
    assert_eq!(back, report);
    // The same message as stored (before the store re-encoded it) passes outright: the
    // signature itself is sound.
    let original = format!("{headers}{}", qp_body.replace('\n', "\r\n"));
    let stored = analyzer(&key).analyze(&Message::from_bytes("original.eml", original));
    assert_eq!(stored.verdict, Verdict::Verified);
    assert_eq!(stored.dkim[0].result, DkimResult::Pass);
}

#[test]
fn a_changed_signed_header_in_the_store_is_still_tampered() {
    let key = key();
    let (headers, _) = signed_message(&key);
    let forged = headers.replace(
        "Subject: Quarterly figures",
        "Subject: Quarterly figures (final)",
    );
    let data = msg_file(
        &[
            (PR_TRANSPORT_MESSAGE_HEADERS, &forged),
            (PR_BODY, "text\r\n"),
        ],
        &[],
    );
    let report = analyzer(&key).analyze(&read_one("forged.msg", data));
    assert_eq!(report.dkim[0].result, DkimResult::HeadersModified);
    assert_eq!(report.dkim[0].header_signature_valid, Some(false));
    assert_eq!(report.verdict, Verdict::Tampered);
}

#[test]
fn store_properties_that_contradict_the_headers_are_findings() {
    let key = key();
    let (headers, _) = signed_message(&key);
    let data = msg_file(
        &[
            (PR_TRANSPORT_MESSAGE_HEADERS, &headers),
            (PR_SUBJECT, "Quarterly figures (revised)"),
            (PR_BODY, "text\r\n"),
            (PR_SENDER_SMTP_ADDRESS, "mallory@example.com"),
        ],
        &[
            // Submitted a day after the Date, delivered before the last server received it.
            (PR_CLIENT_SUBMIT_TIME, SIGNED_AT + 86_400),
            (PR_MESSAGE_DELIVERY_TIME, SIGNED_AT - 3_600),
        ],
    );
    let message = read_one("odd.msg", data);
    let report = analyzer(&key).analyze(&message);
    let codes: Vec<&str> = report.findings.iter().map(|f| f.code.as_str()).collect();
    for code in [
        "store-submit-time-mismatch",
        "store-delivery-time-mismatch",
        "store-property-mismatch",
    ] {
        assert!(codes.contains(&code), "{code} missing from {codes:?}");
    }
    // Evidence points at the header fields of the rebuilt message.
    for f in &report.findings {
        for span in &f.evidence {
            assert!(span.end <= message.len(), "{f:?}");
        }
    }
    // Medium findings, but the header signature still proves the headers: a finding never
    // overrides it, yet it withholds nothing below high severity.
    assert_eq!(report.verdict, Verdict::HeadersVerified);
}

#[test]
fn a_draft_without_transport_headers_gets_no_signature_verdict() {
    let data = msg_file(
        &[
            (PR_SUBJECT, "Draft: plans"),
            (PR_BODY, "not sent yet\r\n"),
            (PR_SENDER_SMTP_ADDRESS, "alice@example.org"),
        ],
        &[(PR_CLIENT_SUBMIT_TIME, SIGNED_AT)],
    );
    let message = read_one("draft.msg", data);
    let text = String::from_utf8_lossy(message.bytes()).into_owned();
    assert!(text.contains("Subject: Draft: plans\r\n"), "{text}");
    assert!(text.contains("From: <alice@example.org>\r\n"), "{text}");
    assert!(
        text.contains("Date: Mon, 1 May 2017 09:00:00 +0000\r\n"),
        "{text}"
    );
    let report = Analyzer::default().analyze(&message);
    assert!(report.dkim.is_empty());
    assert_eq!(report.verdict, Verdict::Unverified);
    let Some(StoreFacts::Outlook(facts)) = &report.store else {
        panic!("outlook facts")
    };
    assert!(!facts.transport_headers);
}

#[test]
fn a_msg_file_inside_a_zip_is_read_from_a_buffer() {
    let key = key();
    let (headers, _) = signed_message(&key);
    let msg = msg_file(
        &[(PR_TRANSPORT_MESSAGE_HEADERS, &headers), (PR_BODY, "x\r\n")],
        &[],
    );
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    w.start_file(
        "Outlook/quarterly.msg",
        zip::write::SimpleFileOptions::default(),
    )
    .expect("entry");
    w.write_all(&msg).expect("write");
    let zip = w.finish().expect("zip").into_inner();
    let message = read_one("mail.zip", zip);
    assert_eq!(
        message.source().to_string_lossy(),
        "mail.zip!Outlook/quarterly.msg"
    );
    assert!(message.is_reconstructed());
    assert_eq!(
        analyzer(&key).analyze(&message).verdict,
        Verdict::HeadersVerified
    );
}
