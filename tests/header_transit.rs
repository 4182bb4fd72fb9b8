//! Header changes made in transit that keep what a reader sees: a subject a list decoded and
//! encoded again (RFC 2047) with or without its tag, and fields a relay folded or unfolded
//! under `simple` header canonicalization. Each is proven only when the header signature
//! verifies over the rebuilt original; a change beyond it still fails.
//!
//! The originals are written here by hand (the encoded words were made with Python's
//! `base64` module, split at 75 characters per word; the folds at the last space before
//! column 78), not by the code under test.

use mailsleuth::auth::KeyStore;
use mailsleuth::{Analyzer, Entry, Reader, Report, Verdict};
use mailsleuth_testkit::keys::keys_dir;
use mailsleuth_testkit::lists::keymap;
use mailsleuth_testkit::signer::{Canon, PrivateKey, Spec, sign};

const SUBJECT_TEXT: &str =
    "Réunion du comité: ordre du jour définitif et procès-verbal de la séance précédente";
/// [`SUBJECT_TEXT`] as Gmail writes it: `B` words of at most 75 characters, folded.
const SUBJECT_GMAIL: &str = "=?UTF-8?B?UsOpdW5pb24gZHUgY29taXTDqTogb3JkcmUgZHUgam91ciBkw6lmaW5pdGlm?=\n =?UTF-8?B?IGV0IHByb2PDqHMtdmVyYmFsIGRlIGxhIHPDqWFuY2UgcHLDqWPDqWRlbnRl?=";
/// `[users@httpd] ` and [`SUBJECT_TEXT`] as Mailman (Python's `email.header`) writes them:
/// the tag inside `q` words, other splits, charset in lower case.
const SUBJECT_LIST_Q: &str = "=?utf-8?q?=5Busers=40httpd=5D_R=C3=A9union_du_comit=C3=A9=3A_ordre_?=\n =?utf-8?q?du_jour_d=C3=A9finitif_et_proc=C3=A8s-verbal_de_la_s=C3=A9ance_pr?=\n =?utf-8?q?=C3=A9c=C3=A9dente?=";

fn key() -> PrivateKey {
    PrivateKey::from_pem(
        &std::fs::read_to_string(keys_dir().join("rsa2048.pem")).expect("rsa2048.pem"),
    )
    .expect("key")
}

/// A message signed by `gmail.test` over `signed` (name, value as the author's client wrote
/// it), stored with `stored` values in place of the signed ones (by name), `top` fields
/// above the signature, and `sig_edit` applied to the signature field's value.
fn message(
    signed: &[(&str, &str)],
    stored: &[(&str, &str)],
    top: &[&str],
    canon: Canon,
    sig_edit: fn(String) -> String,
) -> String {
    let key = key();
    let headers: Vec<(String, String)> = signed
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect();
    let body = "Hello,\n\nthe minutes are attached to the wiki page.\n\nRegards,\nAlice\n";
    let names: Vec<&str> = signed.iter().map(|(n, _)| *n).collect();
    let spec = Spec {
        domain: "gmail.test",
        selector: "sel",
        key: &key,
        header_canon: canon,
        body_canon: Canon::Relaxed,
        headers: &names,
        time: 1_500_000_000,
        expires: None,
        body_length: false,
    };
    let sig = sig_edit(sign(&headers, body, &spec));
    let mut out = String::from(
        "From alice@gmail.test Fri Jul 14 02:40:00 2017\nReceived: from mail-relay.example.test (mail-relay.example.test [209.85.220.41])\n\tby mx.example.test with ESMTP id q1; Fri, 14 Jul 2017 02:40:09 +0000\n",
    );
    for t in top {
        out.push_str(t);
        out.push('\n');
    }
    out.push_str(&format!("DKIM-Signature: {sig}\n"));
    for (n, v) in &headers {
        let v = stored
            .iter()
            .find(|(s, _)| s == n)
            .map_or(v.as_str(), |(_, s)| s);
        out.push_str(&format!("{n}: {v}\n"));
    }
    out.push('\n');
    out.push_str(body);
    out
}

fn analyze(text: String) -> Report {
    let mut keys = KeyStore::new();
    assert_eq!(keys.parse_str(&keymap(), "lists").loaded, 1);
    let analyzer = Analyzer::new(keys);
    let mut reports: Vec<Report> = Reader::new()
        .read_bytes("t.mbox", bytes::Bytes::from(text.into_bytes()))
        .filter_map(|e| match e {
            Ok(Entry::Message(m)) => Some(analyzer.analyze(&m)),
            _ => None,
        })
        .collect();
    assert_eq!(reports.len(), 1);
    reports.remove(0)
}

/// The repair of the first signature, without `crlf` (the mbox stores LF line ends).
fn repair(r: &Report) -> String {
    r.dkim
        .first()
        .and_then(|d| d.repair)
        .map(|x| x.to_string())
        .unwrap_or_default()
        .split('+')
        .filter(|p| *p != "crlf")
        .collect::<Vec<_>>()
        .join("+")
}

fn signed_with(subject: &str) -> Vec<(&'static str, String)> {
    vec![
        ("MIME-Version", "1.0".into()),
        ("From", "Alice <alice@gmail.test>".into()),
        ("Date", "Fri, 14 Jul 2017 02:40:00 +0000".into()),
        ("Message-ID", "<CAx1@mail.gmail.test>".into()),
        ("Subject", subject.into()),
        ("To", "users@httpd.apache.test".into()),
        ("Content-Type", "text/plain; charset=\"UTF-8\"".into()),
    ]
}

fn pairs<'a>(v: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    v.iter().map(|(n, s)| (*n, s.as_str())).collect()
}

const EZMLM: [&str; 4] = [
    "Mailing-List: contact users-help@httpd.apache.test; run by ezmlm",
    "Precedence: bulk",
    "List-Id: <users.httpd.apache.test>",
    "Delivered-To: mailing list users@httpd.apache.test",
];

fn same(s: String) -> String {
    s
}

#[test]
fn a_subject_the_list_encoded_again_with_its_tag_is_proven() {
    // Gmail's B words, stored as Mailman's q words with the tag inside them.
    let signed = signed_with(SUBJECT_GMAIL);
    let r = analyze(message(
        &pairs(&signed),
        &[("Subject", SUBJECT_LIST_Q)],
        &EZMLM,
        Canon::Relaxed,
        same,
    ));
    assert_eq!(r.verdict, Verdict::HeadersVerified, "{:#?}", r.dkim);
    let rep = repair(&r);
    assert!(
        rep.contains("subject-tag") && rep.contains("subject-reencoded"),
        "{rep}"
    );
    // The whole stored value is what the list wrote (the tag is inside its encoded words).
    assert!(!r.dkim[0].transit_added.is_empty());

    // The raw 8-bit original, stored as a plain tag before q words.
    let signed = signed_with(SUBJECT_TEXT);
    let stored = "[users@httpd] =?utf-8?q?R=C3=A9union_du_comit=C3=A9=3A_ordre_du_jour_d=C3=A9finit?=\n =?utf-8?q?if_et_proc=C3=A8s-verbal_de_la_s=C3=A9ance_pr=C3=A9c=C3=A9dente?=";
    let text = message(
        &pairs(&signed),
        &[("Subject", stored)],
        &EZMLM,
        Canon::Relaxed,
        same,
    );
    let r = analyze(text.clone());
    assert_eq!(r.verdict, Verdict::HeadersVerified, "{:#?}", r.dkim);
    let rep = repair(&r);
    assert!(
        rep.contains("subject-tag") && rep.contains("subject-reencoded"),
        "{rep}"
    );
    let spans: Vec<&str> = r.dkim[0]
        .transit_added
        .iter()
        .map(|s| &text[s.start as usize..s.end as usize])
        .collect();
    assert_eq!(spans, ["[users@httpd] "]);
}

#[test]
fn a_subject_encoded_again_without_a_tag_keeps_the_message_verified() {
    // An 8-bit subject turned into an encoded word by a relay, charset in other case.
    let signed = signed_with("Café crème");
    let r = analyze(message(
        &pairs(&signed),
        &[("Subject", "=?utf-8?b?Q2Fmw6kgY3LDqG1l?=")],
        &[],
        Canon::Relaxed,
        same,
    ));
    assert_eq!(r.verdict, Verdict::Verified, "{:#?}", r.dkim);
    assert_eq!(repair(&r), "subject-reencoded");
    // Apple Mail's partial Q words, encoded again whole by a gateway.
    let signed = signed_with("Re: =?utf-8?Q?Caf=C3=A9_cr=C3=A8me?= demain");
    let r = analyze(message(
        &pairs(&signed),
        &[("Subject", "=?UTF-8?B?UmU6IENhZsOpIGNyw6htZSBkZW1haW4=?=")],
        &[],
        Canon::Relaxed,
        same,
    ));
    assert_eq!(r.verdict, Verdict::Verified, "{:#?}", r.dkim);
    assert_eq!(repair(&r), "subject-reencoded");
}

#[test]
fn other_charsets_and_bracketed_subjects_are_rebuilt() {
    // Outlook's ISO-8859-1 Q word, encoded again in UTF-8 by a list with its tag.
    let signed = signed_with("=?iso-8859-1?Q?R=E9union_budget?=");
    let mut top = EZMLM.to_vec();
    top.push("X-Mailman-Version: 2.1.29");
    let r = analyze(message(
        &pairs(&signed),
        &[("Subject", "[Dev] =?utf-8?q?R=C3=A9union_budget?=")],
        &top,
        Canon::Relaxed,
        same,
    ));
    assert_eq!(r.verdict, Verdict::HeadersVerified, "{:#?}", r.dkim);
    let rep = repair(&r);
    assert!(
        rep.contains("subject-tag") && rep.contains("subject-reencoded"),
        "{rep}"
    );
    // A subject that starts with its own brackets, encoded by a relay: not a list's tag.
    let signed = signed_with("[PATCH] caf\u{e9} au lait");
    let r = analyze(message(
        &pairs(&signed),
        &[("Subject", "=?utf-8?q?=5BPATCH=5D_caf=C3=A9_au_lait?=")],
        &[],
        Canon::Relaxed,
        same,
    ));
    assert_eq!(r.verdict, Verdict::Verified, "{:#?}", r.dkim);
    assert_eq!(repair(&r), "subject-reencoded");
}

#[test]
fn a_subject_changed_beyond_tag_and_encoding_still_fails() {
    let signed = signed_with(SUBJECT_GMAIL);
    // "définitif" made "annulé": the decoded text differs beyond the tag.
    let forged = "[users@httpd] =?utf-8?q?R=C3=A9union_du_comit=C3=A9=3A_ordre_du_jour_annul=C3=A9?=\n =?utf-8?q?_et_proc=C3=A8s-verbal_de_la_s=C3=A9ance_pr=C3=A9c=C3=A9dente?=";
    let r = analyze(message(
        &pairs(&signed),
        &[("Subject", forged)],
        &EZMLM,
        Canon::Relaxed,
        same,
    ));
    assert_eq!(r.verdict, Verdict::Tampered, "{:#?}", r.dkim);
    assert!(!repair(&r).contains("subject"), "{}", repair(&r));
    // Encoded again, no tag, one letter changed, on mail that saw no list.
    let signed = signed_with("Café crème");
    let r = analyze(message(
        &pairs(&signed),
        &[("Subject", "=?utf-8?b?Q2Fmw6kgY3LDqG1m?=")],
        &[],
        Canon::Relaxed,
        same,
    ));
    assert_eq!(r.verdict, Verdict::Tampered, "{:#?}", r.dkim);
}

const TO_LONG: &str = "Alice Example <alice@example.test>, Bob Example <bob@example.test>, Carol Example <carol@example.test>, Dave Example <dave@example.test>";
const TO_OUTLOOK: &str = "Alice Example <alice@example.test>, Bob Example <bob@example.test>, Carol\n\tExample <carol@example.test>, Dave Example <dave@example.test>";
const SUBJECT_LONG: &str = "Minutes of the steering committee meeting: agenda, decisions and the follow-up actions for next quarter";
const SUBJECT_FOLDED: &str = "Minutes of the steering committee meeting: agenda, decisions and the\n follow-up actions for next quarter";
const SUBJECT_OUTLOOK: &str = "Minutes of the steering committee meeting: agenda, decisions and the\n\tfollow-up actions for next quarter";

fn refold_signed(to: &str, subject: &str) -> Vec<(&'static str, String)> {
    let mut v = signed_with(subject);
    for (n, s) in v.iter_mut() {
        if *n == "To" {
            *s = to.into();
        }
    }
    v
}

#[test]
fn fields_a_relay_folded_are_proven_under_simple_canonicalization() {
    // Signed unfolded, stored folded at 78 by a relay.
    let signed = refold_signed(TO_LONG, SUBJECT_LONG);
    let text = message(
        &pairs(&signed),
        &[("Subject", SUBJECT_FOLDED)],
        &[],
        Canon::Simple,
        same,
    );
    let r = analyze(text);
    assert_eq!(r.verdict, Verdict::Verified, "{:#?}", r.dkim);
    assert_eq!(repair(&r), "refolded");
    // Signed folded by Outlook (a tab in place of the space), stored unfolded.
    let signed = refold_signed(TO_OUTLOOK, SUBJECT_OUTLOOK);
    let r = analyze(message(
        &pairs(&signed),
        &[("To", TO_LONG), ("Subject", SUBJECT_LONG)],
        &[],
        Canon::Simple,
        same,
    ));
    assert_eq!(r.verdict, Verdict::Verified, "{:#?}", r.dkim);
    assert_eq!(repair(&r), "refolded");
    // The signature field's continuation tabs made spaces.
    let signed = refold_signed(TO_LONG, SUBJECT_LONG);
    let r = analyze(message(&pairs(&signed), &[], &[], Canon::Simple, |s| {
        s.replace("\n\t", "\n ")
    }));
    assert_eq!(r.verdict, Verdict::Verified, "{:#?}", r.dkim);
    assert_eq!(repair(&r), "refolded");
}

#[test]
fn a_tag_that_made_the_list_fold_the_subject_is_proven() {
    // Signed unfolded under simple canonicalization; the list's tag pushed the line past 78
    // columns and the list folded it.
    let signed = refold_signed(TO_LONG, SUBJECT_LONG);
    let stored = "[users@httpd] Minutes of the steering committee meeting: agenda,\n decisions and the follow-up actions for next quarter";
    let r = analyze(message(
        &pairs(&signed),
        &[("Subject", stored)],
        &EZMLM,
        Canon::Simple,
        same,
    ));
    assert_eq!(r.verdict, Verdict::HeadersVerified, "{:#?}", r.dkim);
    let rep = repair(&r);
    assert!(
        rep.contains("subject-tag") && rep.contains("refolded"),
        "{rep}"
    );
    // The same with a word changed.
    let forged = stored.replace("next quarter", "this quarter");
    let r = analyze(message(
        &pairs(&signed),
        &[("Subject", &forged)],
        &EZMLM,
        Canon::Simple,
        same,
    ));
    assert_eq!(r.verdict, Verdict::Tampered, "{:#?}", r.dkim);
}

#[test]
fn a_refold_with_a_word_changed_still_fails() {
    let signed = refold_signed(TO_LONG, SUBJECT_LONG);
    let forged = SUBJECT_FOLDED.replace("next quarter", "this quarter");
    let r = analyze(message(
        &pairs(&signed),
        &[("Subject", &forged)],
        &[],
        Canon::Simple,
        same,
    ));
    assert_eq!(r.verdict, Verdict::Tampered, "{:#?}", r.dkim);
    assert!(!repair(&r).contains("refolded"));
    // A recipient added while unfolding Outlook's To.
    let signed = refold_signed(TO_OUTLOOK, SUBJECT_LONG);
    let forged = format!("{TO_LONG}, Eve <eve@example.test>");
    let r = analyze(message(
        &pairs(&signed),
        &[("To", &forged)],
        &[],
        Canon::Simple,
        same,
    ));
    assert_eq!(r.verdict, Verdict::Tampered, "{:#?}", r.dkim);
}
