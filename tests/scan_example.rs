//! The `scan` example end to end: its JSON Lines follow the contract of `README.md` (every
//! field present, `null` when absent), lengths and hashes point at the right bytes, verdicts
//! match the sample's manifest, and an unreadable input is reported while the others are
//! still scanned, with exit status 1.

use std::path::PathBuf;
use std::process::{Command, Output};

use mailsleuth_testkit::sample;
use serde_json::Value;
use sha2::Digest;

fn scan() -> Command {
    mailsleuth_testkit::examples::example("scan")
}

fn data() -> PathBuf {
    sample::data_dir()
}

fn lines(out: &Output) -> Vec<Value> {
    String::from_utf8(out.stdout.clone())
        .expect("UTF-8 output")
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect()
}

const MESSAGE_FIELDS: [&str; 21] = [
    "index",
    "source",
    "format",
    "reconstructed",
    "offset",
    "length",
    "separator_offset",
    "sha256",
    "envelope_from",
    "envelope_date",
    "message_id",
    "from",
    "date",
    "subject",
    "anomalies",
    "dkim",
    "arc",
    "findings",
    "verdict",
    "verdict_because",
    "from_domain",
];

const DKIM_FIELDS: [&str; 14] = [
    "domain",
    "selector",
    "algorithm",
    "result",
    "header_signature_valid",
    "body_hash_valid",
    "key_bits",
    "key_source",
    "weak_key",
    "testing",
    "expired_as_of",
    "as_of",
    "unsigned_body_bytes",
    "unsigned_headers",
];

#[test]
fn the_sample_scan_follows_the_report_contract() {
    let sample = data().join("sample.mbox");
    let out = scan()
        .arg("--keys")
        .arg(data().join("keys.keymap"))
        .arg(&sample)
        .output()
        .expect("run scan");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let reports = lines(&out);
    assert_eq!(reports.len(), 26);
    let bytes = std::fs::read(&sample).unwrap();
    let mut verdicts = std::collections::BTreeMap::new();
    for (i, r) in reports.iter().enumerate() {
        let o = r.as_object().expect("an object");
        for f in MESSAGE_FIELDS {
            assert!(o.contains_key(f), "line {i} lacks {f}");
        }
        assert_eq!(r["index"], i);
        let offset = r["offset"].as_u64().unwrap() as usize;
        let length = r["length"].as_u64().unwrap() as usize;
        let stored = &bytes[offset..offset + length];
        // The message's first byte is a header, its last a line ending (unless the reader
        // says the file ends without one).
        assert!(stored.first().is_some_and(|b| b.is_ascii_alphabetic()));
        let unterminated = r["anomalies"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a == "no-final-newline");
        assert_eq!(stored.last() == Some(&b'\n'), !unterminated, "line {i}");
        assert_eq!(unterminated, offset + length == bytes.len() && i == 25);
        let digest: String = sha2::Sha256::digest(stored)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(r["sha256"], digest.as_str(), "line {i}");
        if let Some(sep) = r["separator_offset"].as_u64() {
            assert!(bytes[sep as usize..].starts_with(b"From "), "line {i}");
        }
        for d in r["dkim"].as_array().unwrap() {
            for f in DKIM_FIELDS {
                assert!(
                    d.as_object().unwrap().contains_key(f),
                    "line {i} dkim lacks {f}"
                );
            }
        }
        for f in r["findings"].as_array().unwrap() {
            for span in f["evidence"].as_array().unwrap() {
                let (s, e) = (span[0].as_u64().unwrap(), span[1].as_u64().unwrap());
                assert!(s <= e && e as usize <= bytes.len(), "line {i}: {span}");
            }
        }
        *verdicts
            .entry(r["verdict"].as_str().unwrap().to_string())
            .or_insert(0) += 1;
    }
    // The manifest's totals.
    let mut expected = std::collections::BTreeMap::new();
    for v in sample::manifest_verdicts() {
        *expected.entry(v).or_insert(0) += 1;
    }
    assert_eq!(verdicts, expected);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("scanned 26 messages in 55709 bytes"),
        "{stderr}"
    );
    assert!(stderr.contains("dkim-body-modified"), "{stderr}");
}

#[test]
fn an_unreadable_input_is_reported_and_the_others_are_scanned() {
    let missing = std::env::temp_dir().join(format!(
        "mailsleuth-no-such-dump-{}.mbox",
        std::process::id()
    ));
    let out = scan()
        .arg(&missing)
        .arg(data().join("sample.mbox"))
        .output()
        .expect("run scan");
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(&missing.display().to_string()), "{stderr}");
    assert_eq!(lines(&out).len(), 26);
}
