//! Tamper matrix and differential tests for the forensic DKIM verifier, with committed test
//! keys (tests/data/keys).

use mail_auth::common::crypto::{Ed25519Key, RsaKey, Sha256, SigningKey};
use mail_auth::common::headers::HeaderWriter;
use mail_auth::dkim::{Canonicalization, DkimSigner};
use mailsleuth::auth::{AsOf, DkimCheck, DkimResult, KeyStore, Verifier};
use mailsleuth::{Format, Span};
use mailsleuth_testkit::keys::{keys_dir, public};
use mailsleuth_testkit::signer::base64_encode;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};

fn pem(name: &str) -> PrivateKeyDer<'static> {
    PrivateKeyDer::from_pem_slice(&std::fs::read(keys_dir().join(format!("{name}.pem"))).unwrap())
        .unwrap()
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    Rsa2048,
    Rsa1024,
    Rsa512,
    Ed25519,
}

impl Kind {
    fn file(self) -> &'static str {
        match self {
            Kind::Rsa2048 => "rsa2048",
            Kind::Rsa1024 => "rsa1024",
            Kind::Rsa512 => "rsa512",
            Kind::Ed25519 => "ed25519",
        }
    }
    fn record(self) -> String {
        let k = if self == Kind::Ed25519 {
            "ed25519"
        } else {
            "rsa"
        };
        format!("v=DKIM1; k={k}; p={}", public(self.file()))
    }
    fn bits(self) -> u32 {
        match self {
            Kind::Rsa2048 => 2048,
            Kind::Rsa1024 => 1024,
            Kind::Rsa512 => 512,
            Kind::Ed25519 => 256,
        }
    }
}

struct Opts {
    canon: Canonicalization,
    l: bool,
    expire: u64,
}

const SELECTOR: &str = "sel";
const DOMAIN: &str = "example.com";
const NAME: &str = "sel._domainkey.example.com";

fn sign_with<T: SigningKey>(key: T, msg: &[u8], o: &Opts) -> String {
    let mut s = DkimSigner::from_key(key)
        .domain(DOMAIN)
        .selector(SELECTOR)
        .headers(["From", "To", "Subject", "Date", "Message-ID"])
        .header_canonicalization(o.canon)
        .body_canonicalization(o.canon)
        .body_length(o.l);
    if o.expire > 0 {
        s = s.expiration(o.expire);
    }
    s.sign(msg).unwrap().to_header()
}

fn sign(kind: Kind, msg: &[u8], o: &Opts) -> Vec<u8> {
    let header = match kind {
        Kind::Ed25519 => {
            let der = PrivatePkcs8KeyDer::from_pem_slice(
                &std::fs::read(keys_dir().join("ed25519.pem")).unwrap(),
            )
            .unwrap();
            sign_with(
                Ed25519Key::from_pkcs8_der(der.secret_pkcs8_der()).unwrap(),
                msg,
                o,
            )
        }
        k => sign_with(
            RsaKey::<Sha256>::from_key_der(pem(k.file())).unwrap(),
            msg,
            o,
        ),
    };
    let mut out = header.into_bytes();
    out.extend_from_slice(msg);
    out
}

const MSG: &[u8] = b"From: Alice <alice@example.com>\r\n\
To: bob@example.org\r\n\
Subject: Meeting\r\n\
Date: Tue, 3 Jan 2017 12:31:41 -0800\r\n\
Message-ID: <1@example.com>\r\n\
\r\n\
Hello Bob,\r\n\
From the desk of Alice: see you at noon.\r\n";

fn store(kind: Kind) -> KeyStore {
    let mut ks = KeyStore::new();
    let r = ks.parse_str(&format!("{NAME} {}\n", kind.record()), "test.keys");
    assert_eq!(r.loaded, 1, "{:?}", r.problems);
    ks
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

const BASE: u64 = 1000;

fn verify_one(ks: &KeyStore, msg: &[u8], as_of: i64, format: Option<Format>) -> DkimCheck {
    let r = Verifier::new(ks)
        .as_of(AsOf::Fixed(as_of.into()))
        .verify(msg, BASE, format);
    assert_eq!(r.dkim.len(), 1);
    r.dkim.into_iter().next().unwrap()
}

fn find(hay: &[u8], needle: &[u8]) -> usize {
    hay.windows(needle.len()).position(|w| w == needle).unwrap()
}

fn replace(msg: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    let i = find(msg, from);
    let mut out = msg[..i].to_vec();
    out.extend_from_slice(to);
    out.extend_from_slice(&msg[i + from.len()..]);
    out
}

fn sig_span(msg: &[u8]) -> Span {
    let start = find(msg, b"DKIM-Signature:");
    let end = find(msg, b"From: Alice");
    Span::new(BASE + start as u64, BASE + end as u64)
}

/// The fields every passing case shares.
fn assert_clean(c: &DkimCheck, kind: Kind) {
    assert_eq!(c.domain, DOMAIN);
    assert_eq!(c.selector, SELECTOR);
    assert_eq!(c.key_bits, Some(kind.bits()));
    assert_eq!(c.weak_key, kind == Kind::Rsa512);
    assert!(!c.testing);
    assert_eq!(c.key_source.as_deref(), Some("test.keys:1"));
    assert_eq!(c.key_index, Some(0));
}

const KINDS: [Kind; 4] = [Kind::Rsa2048, Kind::Rsa1024, Kind::Rsa512, Kind::Ed25519];
const CANONS: [Canonicalization; 2] = [Canonicalization::Relaxed, Canonicalization::Simple];

fn opts(canon: Canonicalization) -> Opts {
    Opts {
        canon,
        l: false,
        expire: 0,
    }
}

#[test]
fn intact_and_tampered() {
    for kind in KINDS {
        for canon in CANONS {
            let ks = store(kind);
            let signed = sign(kind, MSG, &opts(canon));
            let t = now();
            let ctx = format!("{kind:?} {canon:?}");

            // Intact.
            let c = verify_one(&ks, &signed, t, None);
            assert_eq!(c.result, DkimResult::Pass, "{ctx}");
            assert_eq!(c.header_signature_valid, Some(true));
            assert_eq!(c.body_hash_valid, Some(true));
            assert_eq!(c.repair, None);
            assert_eq!(c.unsigned_body_bytes, 0);
            assert_eq!(c.unsigned_body, None);
            assert!(c.unsigned_headers.is_empty());
            assert!(c.duplicate_headers.is_empty());
            assert_eq!(c.expired_as_of, None);
            assert!(!c.signed_in_future);
            assert_eq!(c.span, sig_span(&signed));
            assert_eq!(c.signed_headers.len(), 5);
            assert!(c.signed_headers.iter().all(|h| h.span.is_some()));
            assert_clean(&c, kind);

            // Body changed.
            let m = replace(&signed, b"noon", b"five");
            let c = verify_one(&ks, &m, t, None);
            assert_eq!(c.result, DkimResult::BodyModified, "{ctx}");
            assert_eq!(c.header_signature_valid, Some(true));
            assert_eq!(c.body_hash_valid, Some(false));
            assert_eq!(c.repair, None);
            assert_clean(&c, kind);

            // Signed header changed.
            let m = replace(&signed, b"Subject: Meeting", b"Subject: Meetinh");
            let c = verify_one(&ks, &m, t, None);
            assert_eq!(c.result, DkimResult::HeadersModified, "{ctx}");
            assert_eq!(c.header_signature_valid, Some(false));
            assert_eq!(c.body_hash_valid, Some(true));
            assert_eq!(c.repair, None);

            // Duplicate From and Subject injected above.
            let inject = b"From: Mallory <ceo@example.com>\r\nSubject: Urgent wire\r\n";
            let mut m = inject.to_vec();
            m.extend_from_slice(&signed);
            let c = verify_one(&ks, &m, t, None);
            assert_eq!(c.result, DkimResult::Pass, "{ctx}");
            assert_eq!(c.duplicate_headers.len(), 2);
            let from = &c.duplicate_headers[0];
            assert_eq!(from.name, "From");
            assert_eq!(from.displayed, Span::new(BASE, BASE + 33));
            let orig_from = BASE + find(&m, b"From: Alice") as u64;
            assert_eq!(from.signed, vec![Span::new(orig_from, orig_from + 33)]);
            assert!(!from.displayed_is_signed);
            let subj = &c.duplicate_headers[1];
            assert_eq!(subj.name, "Subject");
            assert_eq!(subj.displayed, Span::new(BASE + 33, BASE + 33 + 22));
            assert!(!subj.displayed_is_signed);

            // Unsigned Reply-To added.
            let m = replace(
                &signed,
                b"\r\n\r\nHello",
                b"\r\nReply-To: m@evil.example\r\n\r\nHello",
            );
            let c = verify_one(&ks, &m, t, None);
            assert_eq!(c.result, DkimResult::Pass, "{ctx}");
            assert_eq!(c.unsigned_headers, vec!["Reply-To".to_string()]);
            let rt = BASE + find(&m, b"Reply-To") as u64;
            assert_eq!(c.unsigned_header_fields[0].span, Span::new(rt, rt + 26));

            // Revoked key.
            let mut revoked = KeyStore::new();
            revoked.parse_str(&format!("{NAME} v=DKIM1; p=\n"), "revoked.keys");
            let c = verify_one(&revoked, &signed, t, None);
            assert_eq!(c.result, DkimResult::KeyRevoked, "{ctx}");
            assert_eq!(c.header_signature_valid, None);
            assert_eq!(c.body_hash_valid, Some(true));

            // No key.
            let c = verify_one(&KeyStore::new(), &signed, t, None);
            assert_eq!(c.result, DkimResult::NoKey, "{ctx}");
            assert_eq!(c.header_signature_valid, None);
            assert_eq!(c.body_hash_valid, Some(true));

            // Rotated key under the same selector: an old key first, then the signing key.
            let mut rotated = KeyStore::new();
            rotated.parse_str(
                &format!(
                    "{NAME} v=DKIM1; k=rsa; p={} valid-until=2016-01-01\n{NAME} {} valid-from=2016-01-01\n",
                    public("rsa2048-old"),
                    kind.record()
                ),
                "rotated.keys",
            );
            let c = verify_one(&rotated, &signed, t, None);
            assert_eq!(c.result, DkimResult::Pass, "{ctx}");
            assert_eq!(c.key_index, Some(1));
            assert_eq!(c.keys_tried, 2);
            assert_eq!(c.key_source.as_deref(), Some("rotated.keys:2"));
            assert_eq!(c.key_in_use_as_of, Some(true));

            // LF-stored copy.
            let lf: Vec<u8> = String::from_utf8(signed.clone())
                .unwrap()
                .replace("\r\n", "\n")
                .into_bytes();
            let c = verify_one(&ks, &lf, t, None);
            assert_eq!(c.result, DkimResult::Pass, "{ctx}");
            assert_eq!(c.repair.map(|r| r.to_string()).as_deref(), Some("crlf"));
            assert_eq!(c.span.start, BASE + find(&lf, b"DKIM-Signature") as u64);
            assert_eq!(c.span.end, BASE + find(&lf, b"From: Alice") as u64);
            // LF-stored and then edited: the headers still verify (through `crlf`), the body
            // does not, whichever candidate is tried first.
            let lf_edited = replace(&lf, b"From the desk", b"From the deck");
            let c = verify_one(&ks, &lf_edited, t, None);
            assert_eq!(c.result, DkimResult::BodyModified, "{ctx}");
            assert_eq!(c.header_signature_valid, Some(true), "{ctx}");
            assert_eq!(c.body_hash_valid, Some(false), "{ctx}");
            assert_eq!(c.repair.map(|r| r.to_string()).as_deref(), Some("crlf"));
            // Only the headers LF-stored: the body has no bare LF, so the stored bytes come
            // first, and verify when the canonicalization ignores the line endings.
            let split = find(&signed, b"\r\n\r\n");
            let mut head_lf: Vec<u8> = String::from_utf8(signed[..split].to_vec())
                .unwrap()
                .replace("\r\n", "\n")
                .into_bytes();
            head_lf.extend_from_slice(b"\n\r\n");
            head_lf.extend_from_slice(&signed[split + 4..]);
            let c = verify_one(&ks, &head_lf, t, None);
            assert_eq!(c.result, DkimResult::Pass, "{ctx}");

            // mboxrd-quoted From line in the body, CRLF and LF stored.
            let q = replace(&signed, b"\r\nFrom the desk", b"\r\n>From the desk");
            let c = verify_one(&ks, &q, t, Some(Format::Mboxrd));
            assert_eq!(c.result, DkimResult::Pass, "{ctx}");
            assert_eq!(
                c.repair.map(|r| r.to_string()).as_deref(),
                Some("mboxrd-unquote")
            );
            let qlf = replace(&lf, b"\nFrom the desk", b"\n>From the desk");
            let c = verify_one(&ks, &qlf, t, Some(Format::Mboxrd));
            assert_eq!(c.result, DkimResult::Pass, "{ctx}");
            assert_eq!(
                c.repair.map(|r| r.to_string()).as_deref(),
                Some("crlf+mboxrd-unquote")
            );
            // Without a format the repair is still tried, and still reported.
            let c = verify_one(&ks, &q, t, None);
            assert_eq!(c.result, DkimResult::Pass, "{ctx}");
            assert!(c.repair.is_some());
        }
    }
}

#[test]
fn body_length_and_time() {
    for kind in [Kind::Rsa2048, Kind::Ed25519] {
        for canon in CANONS {
            let ks = store(kind);
            let ctx = format!("{kind:?} {canon:?}");
            // Text appended after l=.
            let signed = sign(
                kind,
                MSG,
                &Opts {
                    canon,
                    l: true,
                    expire: 0,
                },
            );
            let t = now();
            let c = verify_one(&ks, &signed, t, None);
            assert_eq!(c.result, DkimResult::Pass, "{ctx}");
            assert_eq!(c.unsigned_body_bytes, 0);
            let tail = b"P.S. wire the money to IBAN XX00 0000\r\n";
            let mut m = signed.clone();
            m.extend_from_slice(tail);
            let c = verify_one(&ks, &m, t, None);
            assert_eq!(c.result, DkimResult::Pass, "{ctx}");
            assert_eq!(c.body_hash_valid, Some(true));
            assert_eq!(c.unsigned_body_bytes, tail.len() as u64);
            let start = BASE + signed.len() as u64;
            assert_eq!(
                c.unsigned_body,
                Some(Span::new(start, start + tail.len() as u64))
            );
            // Same, stored with LF: l= counts canonical (CRLF) bytes, the span stored ones.
            let lf: Vec<u8> = String::from_utf8(m.clone())
                .unwrap()
                .replace("\r\n", "\n")
                .into_bytes();
            let c = verify_one(&ks, &lf, t, None);
            assert_eq!(c.result, DkimResult::Pass, "{ctx}");
            assert_eq!(c.unsigned_body_bytes, tail.len() as u64);
            let start = BASE + find(&lf, b"P.S.") as u64;
            assert_eq!(
                c.unsigned_body,
                Some(Span::new(start, BASE + lf.len() as u64))
            );

            // Expired x=.
            let signed = sign(
                kind,
                MSG,
                &Opts {
                    canon,
                    l: false,
                    expire: 60,
                },
            );
            let c = verify_one(&ks, &signed, t + 3600, None);
            assert_eq!(c.result, DkimResult::Pass, "{ctx}");
            assert_eq!(c.expired_as_of, Some(true));
            let signed_at = c.signed_at.unwrap().unix();
            assert_eq!(c.expires_at.map(|t| t.unix()), Some(signed_at + 60));
            let c = verify_one(&ks, &signed, signed_at, None);
            assert_eq!(c.expired_as_of, Some(false));
            assert!(!c.signed_in_future);
            // t= in the future of the as-of time.
            let c = verify_one(&ks, &signed, signed_at - 3600, None);
            assert!(c.signed_in_future);
            assert_eq!(c.result, DkimResult::Pass);
        }
    }
}

#[test]
fn receipt_time_is_the_default() {
    let ks = store(Kind::Ed25519);
    let mut m = b"Received: from a by b; Tue, 3 Jan 2017 20:32:02 +0000\r\n".to_vec();
    m.extend_from_slice(&sign(Kind::Ed25519, MSG, &opts(Canonicalization::Relaxed)));
    let r = Verifier::new(&ks).verify(&m, 0, None);
    assert_eq!(r.as_of.unix(), 1_483_475_522);
    assert_eq!(r.dkim[0].as_of.to_string(), "2017-01-03T20:32:02Z");
    // Signed now, received in 2017: t= is in the future of the receipt.
    assert!(r.dkim[0].signed_in_future);
    let r = Verifier::new(&ks).verify(MSG, 0, None);
    assert_eq!(r.as_of.unix(), 1_483_475_501);
}

#[test]
fn several_signatures_in_header_order_and_testing_flag() {
    let mut ks = KeyStore::new();
    ks.parse_str(
        &format!(
            "{NAME} {}; t=y\nother._domainkey.example.com {}\n",
            Kind::Ed25519.record(),
            Kind::Rsa1024.record()
        ),
        "k",
    );
    let first = sign(Kind::Ed25519, MSG, &opts(Canonicalization::Relaxed));
    let second = DkimSigner::from_key(RsaKey::<Sha256>::from_key_der(pem("rsa1024")).unwrap())
        .domain(DOMAIN)
        .selector("other")
        .headers(["From", "Subject"])
        .sign(&first)
        .unwrap()
        .to_header();
    let mut m = second.into_bytes();
    m.extend_from_slice(&first);
    let r = Verifier::new(&ks)
        .as_of(AsOf::Fixed(now().into()))
        .verify(&m, 0, None);
    assert_eq!(r.dkim.len(), 2);
    assert_eq!(r.dkim[0].selector, "other");
    assert_eq!(r.dkim[0].result, DkimResult::Pass);
    assert_eq!(r.dkim[0].unsigned_headers, ["To", "Date", "Message-ID"]);
    assert_eq!(r.dkim[1].selector, SELECTOR);
    assert_eq!(r.dkim[1].result, DkimResult::Pass);
    assert!(r.dkim[1].testing);
}

#[test]
fn garbage_signatures_do_not_panic() {
    let ks = store(Kind::Rsa2048);
    let cases: [&[u8]; 9] = [
        b"DKIM-Signature:\r\n\r\n",
        b"DKIM-Signature: v=1\r\n\r\nbody",
        b"DKIM-Signature: v=2; a=rsa-sha256; d=x; s=y; h=from; bh=AAAA; b=AAAA\r\nFrom: a\r\n\r\n",
        b"DKIM-Signature: v=1; a=rsa-md5; d=x; s=y; h=from; bh=AAAA; b=AAAA\r\n\r\n",
        b"DKIM-Signature: v=1; a=rsa-sha256; d=example.com; s=sel; h=from; bh=AAAA; b=AAAA; l=99999999999999999999\r\n\r\n",
        b"DKIM-Signature: v=1; a=rsa-sha256; d=example.com; s=sel; h=subject; bh=AAAA; b=AAAA\r\n\r\n",
        b"DKIM-Signature: v=1; a=rsa-sha256; d=example.com; s=sel; h=from; bh=AAAA; b=AAAA; i=@evil.com\r\nFrom: a\r\n\r\n",
        b"DKIM-Signature: v=1; a=rsa-sha256; d=example.com; s=sel; h=from; bh=AAAA; b=AAAA; l=5\r\nFrom: a\r\n\r\n\xff\xfe",
        b"\xffDKIM-Signature: ;;;==;\r\n\tb=\r\n",
    ];
    let expect = [
        DkimResult::Malformed,
        DkimResult::Malformed,
        DkimResult::Unsupported,
        DkimResult::Unsupported,
        DkimResult::Malformed,
        DkimResult::Malformed,
        DkimResult::Malformed,
        DkimResult::HeadersModified,
    ];
    for (i, c) in cases.iter().enumerate() {
        let r = Verifier::new(&ks).verify(c, 0, Some(Format::Mboxrd));
        if let Some(e) = expect.get(i) {
            assert_eq!(r.dkim.len(), 1, "case {i}");
            assert_eq!(r.dkim[0].result, *e, "case {i}: {:?}", r.dkim[0].detail);
        }
    }
}

// Differential test against mail-auth's own verifier, on the cases where both apply.
mod differential {
    use super::*;
    use mail_auth::hickory_resolver::config::{ResolverConfig, ResolverOpts};
    use mail_auth::{AuthenticatedMessage, MessageAuthenticator, Parameters};
    use mailsleuth_testkit::offline::{TxtCache, block_on};

    #[test]
    fn agrees_with_mail_auth() {
        let auth = MessageAuthenticator::new(
            ResolverConfig::from_parts(None, vec![], vec![]),
            ResolverOpts::default(),
        )
        .unwrap();
        let mut n = 0;
        for kind in KINDS {
            let record = kind.record();
            let cache = TxtCache::of([(NAME, record.as_str())]);
            let ks = store(kind);
            for canon in CANONS {
                let signed = sign(kind, MSG, &opts(canon));
                let cases = [
                    signed.clone(),
                    replace(&signed, b"noon", b"five"),
                    replace(&signed, b"Subject: Meeting", b"Subject: Meetinh"),
                    replace(&signed, b"Hello Bob", b"Hello  Bob"),
                    replace(&signed, b"Hello Bob,\r\n", b"Hello Bob, \r\n"),
                    replace(&signed, b"Subject: Meeting", b"subject:   Meeting"),
                    {
                        let mut m = signed.clone();
                        m.extend_from_slice(b"\r\n\r\n");
                        m
                    },
                ];
                for m in &cases {
                    let msg = AuthenticatedMessage::parse(m).unwrap();
                    let theirs =
                        block_on(auth.verify_dkim(Parameters::new(&msg).with_txt_cache(&cache)));
                    let theirs_pass = matches!(theirs[0].result(), mail_auth::DkimResult::Pass);
                    let ours = verify_one(&ks, m, now(), None);
                    assert_eq!(
                        // A repaired pass is not a pass of the stored bytes.
                        ours.result == DkimResult::Pass && ours.repair.is_none(),
                        theirs_pass,
                        "{kind:?} {canon:?}: ours {:?} theirs {:?}\n{}",
                        ours.result,
                        theirs[0].result(),
                        String::from_utf8_lossy(m)
                    );
                    n += 1;
                }
            }
        }
        assert_eq!(n, 4 * 2 * 7);
    }
}

mod no_panic {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]
        #[test]
        fn any_signature_and_message(
            sig in "[a-z=;: \\r\\n\\t0-9A-Za-z+/@.>-]{0,200}",
            body in proptest::collection::vec(any::<u8>(), 0..300),
            keys in "[a-z=;. \\n\"0-9A-Za-z+/#-]{0,200}",
            base in 0u64..1_000_000,
        ) {
            let mut ks = store(Kind::Ed25519);
            ks.parse_str(&keys, "fuzz");
            let mut m = format!("DKIM-Signature: v=1; a=ed25519-sha256; d=example.com; s=sel; {sig}\r\n").into_bytes();
            m.extend_from_slice(&body);
            for format in [None, Some(Format::Mboxo), Some(Format::Mboxrd)] {
                let r = Verifier::new(&ks).as_of(AsOf::Fixed(0.into())).verify(&m, base, format);
                for c in &r.dkim {
                    prop_assert!(c.span.start >= base);
                    prop_assert!(c.span.end <= base + m.len() as u64);
                    if let Some(s) = c.unsigned_body {
                        prop_assert!(s.start >= base && s.end <= base + m.len() as u64);
                    }
                }
            }
        }
    }
}

#[test]
fn key_hash_restriction_and_kind_mismatch_are_no_key() {
    let signed = sign(Kind::Rsa2048, MSG, &opts(Canonicalization::Relaxed));
    let mut ks = KeyStore::new();
    ks.parse_str(&format!("{NAME} {}; h=sha1\n", Kind::Rsa2048.record()), "k");
    let c = verify_one(&ks, &signed, now(), None);
    assert_eq!(c.result, DkimResult::NoKey);
    assert_eq!(c.header_signature_valid, None);
    assert_eq!(c.body_hash_valid, Some(true));
    // An Ed25519 record under the name of an RSA signature.
    let c = verify_one(&store(Kind::Ed25519), &signed, now(), None);
    assert_eq!(c.result, DkimResult::NoKey);
    assert_eq!(c.keys_tried, 1);
}

/// An `rsa-sha1` signature made by hand (mail-auth's signer makes only SHA-256): relaxed
/// header and body canonicalization of a small message, RFC 6376 section 3.7.
fn sign_rsa_sha1(headers: &[(&str, &str)], body: &str) -> Vec<u8> {
    use mail_auth::common::crypto::HashAlgorithm;
    use rsa::pkcs8::DecodePrivateKey;
    let relaxed = |name: &str, value: &str| {
        let value: Vec<&str> = value.split_whitespace().collect();
        format!("{}:{}", name.to_ascii_lowercase(), value.join(" "))
    };
    let body_canon = format!("{}\r\n", body.trim_end_matches("\r\n"));
    let bh = base64_encode(HashAlgorithm::Sha1.hash(body_canon.as_bytes()).as_ref());
    let names: Vec<&str> = headers.iter().map(|(n, _)| *n).collect();
    let unsigned = format!(
        "v=1; a=rsa-sha1; c=relaxed/relaxed; d={DOMAIN}; s={SELECTOR}; h={}; bh={bh}; b=",
        names.join(":").to_ascii_lowercase()
    );
    let mut data = String::new();
    for (n, v) in headers {
        data.push_str(&relaxed(n, v));
        data.push_str("\r\n");
    }
    data.push_str(&relaxed("DKIM-Signature", &unsigned));
    let digest = HashAlgorithm::Sha1.hash(data.as_bytes());
    let key = rsa::RsaPrivateKey::from_pkcs8_pem(
        &std::fs::read_to_string(keys_dir().join("rsa1024.pem")).unwrap(),
    )
    .unwrap();
    let scheme = rsa::pkcs1v15::Pkcs1v15Sign {
        hash_len: Some(20),
        // DigestInfo prefix of SHA-1, RFC 8017 section 9.2 note 1.
        prefix: vec![
            0x30, 0x21, 0x30, 0x09, 0x06, 0x05, 0x2b, 0x0e, 0x03, 0x02, 0x1a, 0x05, 0x00, 0x04,
            0x14,
        ]
        .into(),
    };
    let b = base64_encode(&key.sign(scheme, digest.as_ref()).unwrap());
    let mut msg = format!("DKIM-Signature: {unsigned}{b}\r\n");
    for (n, v) in headers {
        msg.push_str(&format!("{n}: {v}\r\n"));
    }
    msg.push_str("\r\n");
    msg.push_str(body);
    msg.into_bytes()
}

#[test]
fn rsa_sha1_signatures_verify_and_are_weak() {
    let ks = store(Kind::Rsa1024);
    let headers = [
        ("From", "Alice <alice@example.com>"),
        ("To", "bob@example.org"),
        ("Subject", "Quarterly   figures"),
    ];
    let msg = sign_rsa_sha1(&headers, "The figures are attached.\r\nRegards\r\n");
    let c = verify_one(&ks, &msg, now(), None);
    assert_eq!(c.algorithm.as_str(), "rsa-sha1");
    assert_eq!(c.result, DkimResult::Pass, "{c:?}");
    assert_eq!(c.header_signature_valid, Some(true));
    assert_eq!(c.body_hash_valid, Some(true));
    assert!(c.weak_key, "SHA-1 is weak");
    assert_eq!(c.key_bits, Some(1024));

    let body = replace(&msg, b"figures are", b"figures were");
    let c = verify_one(&ks, &body, now(), None);
    assert_eq!(c.result, DkimResult::BodyModified);
    assert_eq!(c.header_signature_valid, Some(true));

    let header = replace(&msg, b"Quarterly", b"Annual");
    let c = verify_one(&ks, &header, now(), None);
    assert_eq!(c.result, DkimResult::HeadersModified);
    assert_eq!(c.body_hash_valid, Some(true));

    // Relaxed canonicalization: folding the Subject does not matter.
    let folded = replace(
        &msg,
        b"Subject: Quarterly   figures",
        b"Subject: Quarterly\r\n figures",
    );
    assert_eq!(
        verify_one(&ks, &folded, now(), None).result,
        DkimResult::Pass
    );
}

#[test]
fn strict_identity_flag_refuses_a_subdomain_in_i() {
    let header = DkimSigner::from_key(RsaKey::<Sha256>::from_key_der(pem("rsa2048")).unwrap())
        .domain(DOMAIN)
        .selector(SELECTOR)
        .headers(["From", "To", "Subject"])
        .agent_user_identifier(format!("alice@news.{DOMAIN}"))
        .sign(MSG)
        .unwrap()
        .to_header();
    let mut msg = header.into_bytes();
    msg.extend_from_slice(MSG);
    let record = Kind::Rsa2048.record();
    for (flags, want) in [
        ("", DkimResult::Pass),
        ("t=y; ", DkimResult::Pass),
        ("t=s; ", DkimResult::Malformed),
        ("t=y:s; ", DkimResult::Malformed),
    ] {
        let mut ks = KeyStore::new();
        ks.parse_str(
            &format!(
                "{NAME} {}",
                record.replacen("v=DKIM1; ", &format!("v=DKIM1; {flags}"), 1)
            ),
            "flags.keys",
        );
        let c = verify_one(&ks, &msg, now(), None);
        assert_eq!(c.result, want, "{flags}: {c:?}");
        // The cryptography is reported either way.
        assert_eq!(c.header_signature_valid, Some(true), "{flags}");
        assert_eq!(c.body_hash_valid, Some(true), "{flags}");
        if want == DkimResult::Malformed {
            assert!(
                c.detail.as_deref().unwrap_or_default().contains("t=s"),
                "{c:?}"
            );
        }
    }
}
