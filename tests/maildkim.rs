//! Agreement with Perl Mail::DKIM, an independent implementation, on its own test corpus
//! (tests/maildkim: the messages of its `t/corpus`, the results its `t/verifier.t` states and
//! the keys of its fake DNS, extracted by `tests/maildkim/generate.pl`), and on DomainKeys
//! vectors signed by its signer (tests/maildkim/domainkeys).
//!
//! Mail::DKIM says `pass`, `fail` (a signature was checked and does not verify) or `invalid`
//! (no usable key, a signature it refuses, an expired one). Our results map to these:
//! `pass` -> pass; `body-modified`, `headers-modified` -> fail; `no-key`, `key-revoked`,
//! `malformed`, `unsupported`, and a signature whose `x=` has passed -> invalid. The result
//! of a message is the best of its signatures (pass, then fail, then invalid), as
//! Mail::DKIM's.

use std::path::{Path, PathBuf};

use mailsleuth::Timestamp;
use mailsleuth::auth::{AsOf, DkimCheck, DkimResult, KeyStore, Verifier};

/// Least share of Mail::DKIM's expected results we must agree with.
const MIN_AGREEMENT: f64 = 0.95;

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/maildkim")
}

/// Mail::DKIM's word for one of our checks.
fn word(c: &DkimCheck) -> &'static str {
    // Mail::DKIM judges `x=` against the clock of the machine.
    if c.expires_at.is_some_and(|x| x < Timestamp::now()) {
        return "invalid";
    }
    match c.result {
        DkimResult::Pass => "pass",
        DkimResult::BodyModified | DkimResult::HeadersModified => "fail",
        _ => "invalid",
    }
}

/// The result of a message: the best of its signatures.
fn overall(checks: &[DkimCheck]) -> &'static str {
    let words: Vec<&str> = checks.iter().map(word).collect();
    ["pass", "fail", "invalid"]
        .into_iter()
        .find(|w| words.contains(w))
        .unwrap_or("none")
}

fn verify(keys: &KeyStore, path: &Path, as_of: AsOf) -> Vec<DkimCheck> {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    Verifier::new(keys)
        .as_of(as_of)
        .verify(&bytes, 0, None)
        .dkim
}

struct Row {
    file: String,
    expected: String,
    scope: String,
}

fn rows(path: &Path) -> Vec<Row> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let cols: Vec<&str> = l.split('\t').collect();
            Row {
                file: cols[0].to_string(),
                expected: cols[1].to_string(),
                scope: cols.get(3).copied().unwrap_or("message").to_string(),
            }
        })
        .collect()
}

/// Run our verifier over the rows of `expected` and return (agreed, total), printing the
/// disagreements.
fn agreement(sub: &Path, as_of: AsOf) -> (usize, usize) {
    let keys = KeyStore::from_file(sub.join("keys.keymap")).unwrap();
    let rows = rows(&sub.join("expected.tsv"));
    let mut agreed = 0;
    for row in &rows {
        let file = if sub.join("corpus").is_dir() {
            sub.join("corpus").join(&row.file)
        } else {
            sub.join(&row.file)
        };
        let checks = verify(&keys, &file, as_of);
        let ours = match row.scope.strip_prefix("signature ") {
            Some(n) => {
                let n: usize = n.parse().unwrap();
                checks.get(n).map_or("none", word)
            }
            None => overall(&checks),
        };
        if ours == row.expected {
            agreed += 1;
        } else {
            let why: Vec<String> = checks
                .iter()
                .map(|c| {
                    format!(
                        "{:?}/{:?} {:?}: {}",
                        c.scheme,
                        c.result,
                        c.rules,
                        c.detail.as_deref().unwrap_or("")
                    )
                })
                .collect();
            println!(
                "DISAGREE {} ({}): Mail::DKIM {}, ours {ours} [{}]",
                row.file,
                row.scope,
                row.expected,
                why.join(" | ")
            );
        }
    }
    (agreed, rows.len())
}

#[test]
fn agrees_with_mail_dkim_on_its_corpus() {
    // Judged as of receipt, so each signature by the rules of its time (Mail::DKIM applies
    // the key rules of RFC 4871 to every signature; these were all made before RFC 6376).
    let (agreed, total) = agreement(&dir(), AsOf::Receipt);
    let rate = agreed as f64 / total as f64;
    println!(
        "agreement with Mail::DKIM: {agreed}/{total} = {:.1} %",
        rate * 100.0
    );
    assert!(total >= 73, "{total} vectors");
    assert!(rate >= MIN_AGREEMENT, "{agreed}/{total} agree");
}

#[test]
fn agrees_with_mail_dkim_when_judged_as_of_now() {
    // Judged as of today, RFC 6376 rules apply to signatures without t=; a key's g= is still
    // honoured (its publisher restricted it), as Mail::DKIM does.
    let (agreed, total) = agreement(&dir(), AsOf::Now);
    let rate = agreed as f64 / total as f64;
    println!(
        "agreement with Mail::DKIM as of now: {agreed}/{total} = {:.1} %",
        rate * 100.0
    );
    assert!(rate >= MIN_AGREEMENT, "{agreed}/{total} agree");
}

#[test]
fn domainkeys_vectors_signed_by_mail_dkim() {
    let as_of = AsOf::Fixed(Timestamp::from_unix(1_578_304_800));
    let (agreed, total) = agreement(&dir().join("domainkeys"), as_of);
    assert_eq!(agreed, total, "every DomainKeys vector as Mail::DKIM says");
    assert!(total >= 20);
}
