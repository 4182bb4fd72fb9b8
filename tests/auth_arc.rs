//! ARC chains sealed by mail-auth with committed test keys, verified offline.

use mail_auth::arc::ArcSealer;
use mail_auth::common::crypto::{RsaKey, Sha256};
use mail_auth::common::headers::HeaderWriter;
use mail_auth::hickory_resolver::config::{ResolverConfig, ResolverOpts};
use mail_auth::{AuthenticatedMessage, AuthenticationResults, MessageAuthenticator, Parameters};
use mailsleuth::auth::{ArcResult, AsOf, KeyStore, Verifier};
use mailsleuth_testkit::keys::{keys_dir, public};
use mailsleuth_testkit::offline::block_on;
use rustls_pki_types::PrivateKeyDer;
use rustls_pki_types::pem::PemObject;

const MSG: &[u8] = b"From: Alice <alice@example.com>\r\n\
To: list@lists.example.org\r\n\
Subject: Minutes\r\n\
Date: Tue, 3 Jan 2017 12:31:41 -0800\r\n\
Message-ID: <2@example.com>\r\n\
\r\n\
The minutes are attached.\r\n";

/// `MSG` sealed once by lists.example.org (i=1, cv=none).
fn sealed() -> Vec<u8> {
    let auth = MessageAuthenticator::new(
        ResolverConfig::from_parts(None, vec![], vec![]),
        ResolverOpts::default(),
    )
    .unwrap();
    let msg = AuthenticatedMessage::parse(MSG).unwrap();
    // No ARC headers yet: nothing to look up.
    let arc = block_on(auth.verify_arc(Parameters::new(&msg)));
    let results = AuthenticationResults::new("lists.example.org");
    let pem = std::fs::read(keys_dir().join("rsa2048.pem")).unwrap();
    let key = RsaKey::<Sha256>::from_key_der(PrivateKeyDer::from_pem_slice(&pem).unwrap()).unwrap();
    let set = ArcSealer::from_key(key)
        .domain("lists.example.org")
        .selector("arc")
        .headers(["From", "To", "Subject", "Date", "Message-ID"])
        .seal(&msg, &results, &arc)
        .unwrap();
    let mut out = set.to_header().into_bytes();
    out.extend_from_slice(MSG);
    out
}

fn store() -> KeyStore {
    let mut ks = KeyStore::new();
    let r = ks.parse_str(
        &format!(
            "arc._domainkey.lists.example.org v=DKIM1; k=rsa; p={}\n",
            public("rsa2048")
        ),
        "arc.keys",
    );
    assert_eq!(r.loaded, 1);
    ks
}

fn replace(msg: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    let i = msg.windows(from.len()).position(|w| w == from).unwrap();
    let mut out = msg[..i].to_vec();
    out.extend_from_slice(to);
    out.extend_from_slice(&msg[i + from.len()..]);
    out
}

#[test]
fn sealed_chain_passes_and_exposes_results() {
    let ks = store();
    let m = sealed();
    let r = Verifier::new(&ks)
        .as_of(AsOf::Fixed(1_500_000_000.into()))
        .verify(&m, 500, None);
    let arc = r.arc.expect("ARC headers present");
    assert_eq!(arc.result, ArcResult::Pass, "{:?}", arc.detail);
    assert_eq!(arc.instances, 1);
    assert_eq!(arc.repair, None);
    let set = &arc.sets[0];
    assert_eq!(set.i, 1);
    assert_eq!(set.domain, "lists.example.org");
    assert_eq!(set.selector, "arc");
    assert_eq!(set.cv.as_str(), "none");
    assert_eq!(set.seal_valid, Some(true));
    assert_eq!(set.message_signature_valid, Some(true));
    let aar = set.authentication_results.as_ref().unwrap();
    assert!(
        aar.value.starts_with("i=1; lists.example.org"),
        "{}",
        aar.value
    );
    let at = m
        .windows(26)
        .position(|w| w == b"ARC-Authentication-Results")
        .unwrap() as u64;
    assert_eq!(aar.span.start, 500 + at);
    // No DKIM-Signature in this message.
    assert!(r.dkim.is_empty());
}

#[test]
fn tampering_breaks_the_chain() {
    let ks = store();
    let m = sealed();
    let v = Verifier::new(&ks).as_of(AsOf::Fixed(1_500_000_000.into()));

    let body = replace(&m, b"attached", b"missing!");
    let arc = v.verify(&body, 0, None).arc.unwrap();
    assert_eq!(arc.result, ArcResult::Fail);
    assert_eq!(arc.sets[0].message_signature_valid, Some(false));
    assert_eq!(arc.sets[0].seal_valid, Some(true));
    assert!(arc.sets[0].authentication_results.is_none());

    let aar = replace(&m, b"lists.example.org;", b"lists.example.org; dkim=pass;");
    let arc = v.verify(&aar, 0, None).arc.unwrap();
    assert_eq!(arc.result, ArcResult::Fail);
    assert_eq!(arc.sets[0].seal_valid, Some(false));

    let no_key = v.verify(&m, 0, None);
    assert_eq!(no_key.arc.unwrap().result, ArcResult::Pass);
    let arc = Verifier::new(&KeyStore::new())
        .verify(&m, 0, None)
        .arc
        .unwrap();
    assert_eq!(arc.result, ArcResult::Fail);
    assert_eq!(arc.sets[0].seal_valid, None);
}

#[test]
fn lf_stored_chain_passes_with_repair() {
    let ks = store();
    let lf = String::from_utf8(sealed())
        .unwrap()
        .replace("\r\n", "\n")
        .into_bytes();
    let arc = Verifier::new(&ks).verify(&lf, 0, None).arc.unwrap();
    assert_eq!(arc.result, ArcResult::Pass, "{:?}", arc.detail);
    assert_eq!(arc.repair.map(|r| r.to_string()).as_deref(), Some("crlf"));
}

#[test]
fn broken_structure_fails() {
    let ks = store();
    let m = sealed();
    // A second ARC-Seal for i=1.
    let dup = replace(
        &m,
        b"ARC-Seal: ",
        b"ARC-Seal: i=1; a=rsa-sha256; cv=none; d=x.org; s=y; b=AAAA\r\nARC-Seal: ",
    );
    let arc = Verifier::new(&ks).verify(&dup, 0, None).arc.unwrap();
    assert_eq!(arc.result, ArcResult::Fail);
    assert!(arc.detail.unwrap().contains("instance 1"));
    // Garbage ARC headers never panic.
    for g in [
        &b"ARC-Seal: \r\n\r\n"[..],
        b"ARC-Seal: i=99; cv=pass\r\nARC-Message-Signature: i=0\r\n\r\n",
        b"ARC-Authentication-Results: i=1\r\n\r\nbody",
    ] {
        let arc = Verifier::new(&ks).verify(g, 0, None).arc.unwrap();
        assert_eq!(arc.result, ArcResult::Fail);
    }
}
