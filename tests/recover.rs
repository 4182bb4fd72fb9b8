//! Keys recovered from the dump itself (`auth::recover`, `Scanner::recover_keys`): RSA keys
//! generated here, messages signed with the kit's signer, no archive holding the keys.
//! Small keys (512 bits) keep `cargo test` quick; e = 65537 for the main case (the common
//! exponent and the expensive one), e = 3 where the case is about grouping and bounds.

use mailsleuth::auth::recover::{self, KeyMatch, RsaSignature};
use mailsleuth::auth::{DkimResult, KeyStore};
use mailsleuth::{Analyzer, Input, Report, Scanner, Span, Verdict};
use mailsleuth_testkit::signer::{Canon, PrivateKey, Spec, sign};
use rsa::traits::PublicKeyParts;

fn rsa_key(seed: u64, bits: usize, e: u64) -> rsa::RsaPrivateKey {
    mailsleuth_testkit::keys::generated_rsa(seed, bits, e)
}

/// One mbox message signed by `key` as `d=example.org; s=selector`.
fn message(key: &rsa::RsaPrivateKey, selector: &str, n: usize) -> String {
    let headers: Vec<(String, String)> = vec![
        ("From".into(), format!("Sender {n} <s{n}@example.org>")),
        ("To".into(), "r@example.net".into()),
        ("Subject".into(), format!("message {n}")),
        (
            "Date".into(),
            format!("Mon, 1 May 2017 09:{:02}:00 +0000", n % 60),
        ),
        ("Message-ID".into(), format!("<{n}.{selector}@example.org>")),
    ];
    let body = format!("Body of message {n}.\n");
    let key = PrivateKey::Rsa(Box::new(key.clone()));
    let spec = Spec {
        domain: "example.org",
        selector,
        key: &key,
        header_canon: Canon::Relaxed,
        body_canon: Canon::Relaxed,
        headers: &["from", "to", "subject", "date", "message-id"],
        time: 1_493_629_200,
        expires: None,
        body_length: false,
    };
    let sig = sign(&headers, &body, &spec);
    let mut out =
        format!("From s{n}@example.org Mon May  1 09:00:00 2017\nDKIM-Signature: {sig}\n");
    for (name, value) in &headers {
        out.push_str(&format!("{name}: {value}\n"));
    }
    out.push('\n');
    out.push_str(&body);
    out.push('\n');
    out
}

fn scan(dump: &str, keys: KeyStore, recover: bool) -> (Vec<Report>, mailsleuth::Finished) {
    let scanner = Scanner::new(Analyzer::new(keys))
        .threads(1)
        .recover_keys(recover);
    let mut scan = scanner.scan([Input::Bytes {
        name: "dump.mbox".into(),
        data: dump.to_string().into(),
    }]);
    let mut reports: Vec<Report> = scan.by_ref().map(|r| r.expect("report")).collect();
    let finished = scan.finish();
    for r in &mut reports {
        finished.apply(r);
    }
    (reports, finished)
}

fn has_mismatch(r: &Report) -> bool {
    r.findings
        .iter()
        .any(|f| f.code.as_str() == "dkim-recovered-key-mismatch")
}

/// Three messages signed with a key no archive holds give the genuine public key, and verify
/// against it (a shared signer, not a `verified` message); a fourth, signed with another
/// key under the same selector, does not, and is flagged with its signature as evidence.
/// The keys written as archive lines load back into a KeyStore, which then verifies them.
#[test]
fn three_signatures_give_the_key_and_a_fourth_key_is_flagged() {
    assert!(recover::available(), "built without a big-integer library");
    let genuine = rsa_key(1, 512, 65537);
    let other = rsa_key(2, 512, 65537);
    let dump: String = [
        message(&genuine, "sel", 0),
        message(&genuine, "sel", 1),
        message(&genuine, "sel", 2),
        message(&other, "sel", 3),
    ]
    .concat();
    let (reports, finished) = scan(&dump, KeyStore::new(), true);
    assert_eq!(reports.len(), 4);
    let keys = finished.recovered_keys();
    assert_eq!(keys.len(), 1, "{keys:?}");
    let key = &keys[0];
    assert_eq!(key.name(), "sel._domainkey.example.org");
    assert_eq!(key.modulus, genuine.n().to_bytes_be());
    assert_eq!(key.exponent, 65537);
    assert_eq!(key.bits(), 512);
    assert_eq!(
        key.signatures.iter().map(|s| s.index).collect::<Vec<_>>(),
        [0, 1, 2]
    );
    assert_eq!(key.disagreeing.len(), 1);
    assert_eq!(key.disagreeing[0].0.index, 3);
    assert_eq!(key.disagreeing[0].1, KeyMatch::OtherKey);
    for r in &reports[..3] {
        let d = &r.dkim[0];
        assert_eq!(d.key_source.as_deref(), Some("recovered from 3 signatures"));
        assert_eq!(d.header_signature_valid, Some(true));
        assert_eq!(d.body_hash_valid, Some(true));
        // The key shows a shared signer, not who it is.
        assert_eq!(d.result, DkimResult::NoKey);
        assert_ne!(r.verdict, Verdict::Verified);
        assert!(!has_mismatch(r), "{:?}", r.findings);
    }
    let fourth = &reports[3];
    let d = &fourth.dkim[0];
    assert_eq!(d.header_signature_valid, Some(false));
    assert_eq!(d.result, DkimResult::NoKey);
    let finding = fourth
        .findings
        .iter()
        .find(|f| f.code.as_str() == "dkim-recovered-key-mismatch")
        .expect("the fourth message is flagged");
    assert_eq!(finding.evidence, vec![d.span]);
    assert_ne!(fourth.verdict, Verdict::Verified);

    // Round trip: the archive lines load back, and then verify the three (not the fourth).
    let text = key.archive_lines().expect("record");
    assert!(text.starts_with("# sel._domainkey.example.org"));
    assert!(text.contains("#0 dump.mbox @"), "{text}");
    let mut store = KeyStore::new();
    let loaded = store.parse_str(&text, "recovered.keys");
    assert!(loaded.problems.is_empty(), "{:?}", loaded.problems);
    assert_eq!(store.get("sel._domainkey.example.org").len(), 1);
    let (again, finished) = scan(&dump, store, false);
    assert!(finished.recovered_keys().is_empty());
    for r in &again[..3] {
        assert_eq!(r.dkim[0].result, DkimResult::Pass, "{:?}", r.dkim[0]);
    }
    assert_eq!(again[3].dkim[0].result, DkimResult::HeadersModified);
}

/// Two signatures suffice; a message whose headers changed after signing is told apart from
/// one made with another key.
#[test]
fn two_signatures_and_changed_headers() {
    let key = rsa_key(3, 512, 3);
    let changed = message(&key, "two", 2).replace("Subject: message 2", "Subject: message 9");
    let dump = [message(&key, "two", 0), message(&key, "two", 1), changed].concat();
    let (reports, finished) = scan(&dump, KeyStore::new(), true);
    let keys = finished.recovered_keys();
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0].modulus, key.n().to_bytes_be());
    assert_eq!(keys[0].exponent, 3);
    assert_eq!(
        reports[0].dkim[0].key_source.as_deref(),
        Some("recovered from 2 signatures")
    );
    assert_eq!(keys[0].disagreeing[0].1, KeyMatch::HeadersChanged);
    assert!(has_mismatch(&reports[2]));
    let detail = reports[2].dkim[0].detail.as_deref().unwrap_or_default();
    assert!(detail.contains("over other headers"), "{detail}");
}

/// Signatures under different selectors are never mixed; without recovery nothing changes.
#[test]
fn selectors_are_not_mixed() {
    let a = rsa_key(4, 512, 3);
    let b = rsa_key(5, 512, 3);
    let dump = [
        message(&a, "one", 0),
        message(&b, "two", 1),
        message(&a, "one", 2),
        message(&b, "two", 3),
    ]
    .concat();
    let (reports, finished) = scan(&dump, KeyStore::new(), true);
    let keys = finished.recovered_keys();
    assert_eq!(keys.len(), 2);
    assert_eq!(keys[0].selector, "one");
    assert_eq!(keys[0].modulus, a.n().to_bytes_be());
    assert_eq!(keys[1].selector, "two");
    assert_eq!(keys[1].modulus, b.n().to_bytes_be());
    assert!(keys.iter().all(|k| k.disagreeing.is_empty()));
    assert!(reports.iter().all(|r| !has_mismatch(r)));

    let (plain, finished) = scan(&dump, KeyStore::new(), false);
    assert!(finished.recovered_keys().is_empty());
    assert!(plain.iter().all(|r| r.dkim[0].key_source.is_none()));
}

/// A key an archive holds is used, and its signatures are not collected for recovery.
#[test]
fn archived_keys_are_not_recovered() {
    let key = rsa_key(6, 512, 3);
    let dump = [message(&key, "kept", 0), message(&key, "kept", 1)].concat();
    let record = PrivateKey::Rsa(Box::new(key.clone())).public_record("");
    let mut store = KeyStore::new();
    store.parse_str(&format!("kept._domainkey.example.org {record}\n"), "a.keys");
    let (reports, finished) = scan(&dump, store, true);
    assert!(finished.recovered_keys().is_empty());
    assert!(reports.iter().all(|r| r.dkim[0].result == DkimResult::Pass));
}

/// Hostile input: many signatures under one name with garbage `b=` and huge `l=` recover
/// nothing, flag nothing, and the work stays bounded (at most a few pairs per exponent).
#[test]
fn garbage_signatures_stay_bounded() {
    let mut dump = String::new();
    for n in 0..40 {
        let garbage: String = (0..64)
            .map(|i| char::from(b'A' + ((n * 7 + i * 13) % 26) as u8))
            .collect::<String>()
            .repeat(2)
            .chars()
            .take(86)
            .collect();
        dump.push_str(&format!(
            "From x@example.org Mon May  1 09:00:00 2017\n\
             DKIM-Signature: v=1; a=rsa-sha256; d=example.org; s=junk; c=relaxed/relaxed;\n\
             \th=from; l=99999999999999999999999; bh=AAAA; b={garbage}==\n\
             From: x@example.org\nDate: Mon, 1 May 2017 09:00:00 +0000\n\nbody {n}\n\n"
        ));
    }
    let (reports, finished) = scan(&dump, KeyStore::new(), true);
    assert_eq!(reports.len(), 40);
    assert!(finished.recovered_keys().is_empty());
    assert!(reports.iter().all(|r| !has_mismatch(r)));
    assert!(reports.iter().all(|r| r.dkim[0].key_source.is_none()));
}

/// The library API on its own: signatures built by hand from the digests.
#[test]
fn recover_keys_from_hand_made_signatures() {
    use sha2::{Digest, Sha256};
    let key = rsa_key(7, 512, 17);
    let sigs: Vec<RsaSignature> = (0..3)
        .map(|i| {
            let digest = Sha256::digest(format!("data {i}")).to_vec();
            // DigestInfo of SHA-256 (RFC 8017 section 9.2), then PKCS#1 v1.5 padding.
            let mut info = vec![
                0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
                0x01, 0x05, 0x00, 0x04, 0x20,
            ];
            info.extend_from_slice(&digest);
            let sig = key
                .sign(rsa::Pkcs1v15Sign::new_unprefixed(), &info)
                .expect("sign");
            RsaSignature::new(
                "Example.org",
                "S",
                mailsleuth::auth::SigningAlgorithm::RsaSha256,
                sig,
                digest,
                Span::new(i * 100, i * 100 + 50),
            )
            .expect("usable")
            .at(i, "hand")
        })
        .collect();
    let keys = recover::recover_keys(&sigs);
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0].name(), "s._domainkey.example.org");
    assert_eq!(keys[0].modulus, key.n().to_bytes_be());
    assert_eq!(keys[0].exponent, 17);
    assert_eq!(keys[0].signatures.len(), 3);
    // One signature alone gives nothing.
    assert!(recover::recover_keys(&sigs[..1]).is_empty());
}

/// The `scan` example end to end: `--recover-keys FILE` writes the recovered key as
/// key-archive lines (a comment naming the messages it came from, then the record), the
/// record is the genuine public key, it loads back into a `KeyStore`, and given to `--keys`
/// it verifies the three messages and not the fourth (signed with another key under the same
/// selector, and flagged by the recovering scan). Small keys and e = 65537: the example
/// recovers in about as long as `three_signatures_give_the_key_and_a_fourth_key_is_flagged`.
#[test]
fn scan_example_writes_the_recovered_key_as_archive_lines() {
    use mailsleuth_testkit::examples::example;
    let genuine = rsa_key(11, 512, 65537);
    let other = rsa_key(12, 512, 65537);
    let dir = tempfile::tempdir().expect("temporary directory");
    let dump = dir.path().join("dump.mbox");
    let text = [
        message(&genuine, "cli", 0),
        message(&genuine, "cli", 1),
        message(&genuine, "cli", 2),
        message(&other, "cli", 3),
    ]
    .concat();
    std::fs::write(&dump, text).expect("write the dump");
    let keys_file = dir.path().join("recovered.keys");

    let out = example("scan")
        .arg("--recover-keys")
        .arg(&keys_file)
        .arg(&dump)
        .output()
        .expect("run the scan example");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("wrote 1 recovered key(s)"), "{stderr}");
    let reports = json_lines(&out.stdout);
    assert_eq!(reports.len(), 4);
    for r in &reports[..3] {
        let d = &r["dkim"][0];
        assert_eq!(d["key_source"], "recovered from 3 signatures", "{d}");
        assert_eq!(d["header_signature_valid"], true);
        assert_eq!(d["result"], "no-key");
        assert_ne!(r["verdict"], "verified");
    }
    assert_eq!(reports[3]["dkim"][0]["header_signature_valid"], false);
    assert!(
        reports[3]["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .any(|f| f["code"] == "dkim-recovered-key-mismatch"),
        "{}",
        reports[3]
    );

    // The file: comments, and one record, which is the genuine key's.
    let written = std::fs::read_to_string(&keys_file).expect("the keys file");
    let records: Vec<&str> = written
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .collect();
    let genuine_record = PrivateKey::Rsa(Box::new(genuine.clone())).public_record("");
    assert_eq!(
        records,
        [format!("cli._domainkey.example.org {genuine_record}").as_str()],
        "{written}"
    );
    let origin = written
        .lines()
        .find(|l| l.starts_with("# cli._domainkey.example.org"))
        .expect("a comment names the key's messages");
    let dump_name = dump.display().to_string();
    for n in 0..3 {
        assert!(origin.contains(&format!("#{n} {dump_name} @")), "{origin}");
    }
    assert!(!origin.contains("#3 "), "{origin}");
    let mut store = KeyStore::new();
    let loaded = store.parse_str(&written, "recovered.keys");
    assert!(loaded.problems.is_empty(), "{:?}", loaded.problems);
    assert_eq!(store.get("cli._domainkey.example.org").len(), 1);

    // Given back as an archive, the key verifies the three and not the fourth.
    let out = example("scan")
        .arg("--keys")
        .arg(&keys_file)
        .arg(&dump)
        .output()
        .expect("run the scan example");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let again = json_lines(&out.stdout);
    assert_eq!(again.len(), 4);
    for r in &again[..3] {
        assert_eq!(r["dkim"][0]["result"], "pass", "{}", r["dkim"][0]);
        let source = r["dkim"][0]["key_source"].as_str().expect("a key source");
        assert!(!source.starts_with("recovered from"), "{source}");
    }
    assert_ne!(again[3]["dkim"][0]["result"], "pass");
}

fn json_lines(stdout: &[u8]) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect()
}

/// A signature made with another key that comes first under the name does not stop the
/// recovery: of the three pairs tried, (1, 2) leaves it out (e = 3: cheap).
#[test]
fn another_key_first_is_passed_over() {
    let genuine = rsa_key(8, 512, 3);
    let other = rsa_key(9, 512, 3);
    let dump = [
        message(&other, "first", 0),
        message(&genuine, "first", 1),
        message(&genuine, "first", 2),
        message(&genuine, "first", 3),
    ]
    .concat();
    let (reports, finished) = scan(&dump, KeyStore::new(), true);
    let keys = finished.recovered_keys();
    assert_eq!(keys.len(), 1, "{keys:?}");
    assert_eq!(keys[0].modulus, genuine.n().to_bytes_be());
    assert_eq!(
        keys[0]
            .signatures
            .iter()
            .map(|s| s.index)
            .collect::<Vec<_>>(),
        [1, 2, 3]
    );
    assert_eq!(keys[0].disagreeing.len(), 1);
    assert_eq!(keys[0].disagreeing[0].0.index, 0);
    assert!(has_mismatch(&reports[0]));
    assert!(reports[1..].iter().all(|r| !has_mismatch(r)));
}
