//! Opt-in tests over the shared real-mail corpus (`cargo test --test auth_corpus -- --ignored`).
//! The corpus path comes from `MAILSLEUTH_CORPUS` (see `mailsleuth_testkit::corpus`).

use std::path::{Path, PathBuf};

use mailsleuth::auth::{ArcResult, AsOf, DkimResult, KeyStore, Verifier};
use mailsleuth_testkit::corpus::corpus_or_skip;

/// Keys of keys/all.keymap, dkim_verifier/keys.keymap, hunter-dkim and blaze/dns-cache.
fn keystore(c: &Path) -> KeyStore {
    let mut ks = KeyStore::new();
    let r = ks.load_file(c.join("keys/all.keymap")).unwrap();
    eprintln!(
        "all.keymap: {} loaded, {} problems",
        r.loaded,
        r.problems.len()
    );
    for p in &r.problems {
        eprintln!("  {} {:?}: {}", p.origin, p.name, p.reason);
    }
    let _ = ks.load_file(c.join("dkim/dkim_verifier/keys.keymap"));
    load_blaze_cache(&mut ks, c);
    ks
}

/// blaze's dns-cache files: `<name>.dns`, holding TXT answers.
fn load_blaze_cache(ks: &mut KeyStore, corpus: &Path) {
    let dir = corpus.join("dkim/blaze/dns-cache");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return;
    };
    for e in entries.flatten() {
        let path = e.path();
        let fname = path.file_name().unwrap().to_string_lossy().to_string();
        let Some(name) = fname.strip_suffix(".dns") else {
            continue;
        };
        if !name.contains("._domainkey.") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        // One answer a line, `txt:<TXT data>`.
        let mut lines = String::new();
        for line in text.lines() {
            if let Some(v) = line.trim().strip_prefix("txt:") {
                lines.push_str(&format!("{name} {v}\n"));
            }
        }
        ks.parse_str(&lines, &path);
    }
}

fn split_mbox(stored: &[u8]) -> (&[u8], u64, Option<mailsleuth::Format>) {
    if stored.starts_with(b"From ")
        && let Some(nl) = stored.iter().position(|&b| b == b'\n')
    {
        return (
            &stored[nl + 1..],
            nl as u64 + 1,
            Some(mailsleuth::Format::Mboxrd),
        );
    }
    (stored, 0, None)
}

fn expected(corpus: &Path) -> Vec<(String, Vec<String>)> {
    let text = std::fs::read_to_string(corpus.join("dkim/EXPECTED-dkimpy.txt")).unwrap();
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let (file, rest) = l.split_once(": ")?;
            let list = rest.split_once("-> ")?.1.trim();
            let inner = list.strip_prefix('[')?.strip_suffix(']')?;
            // Items are True / False / "ERR ..." (quoted, may hold commas).
            let mut items = Vec::new();
            let mut cur = String::new();
            let mut quoted = false;
            for ch in inner.chars() {
                match ch {
                    '"' => quoted = !quoted,
                    ',' if !quoted => {
                        items.push(cur.trim().to_string());
                        cur.clear();
                    }
                    _ => cur.push(ch),
                }
            }
            if !cur.trim().is_empty() {
                items.push(cur.trim().to_string());
            }
            Some((file.to_string(), items))
        })
        .collect()
}

#[test]
#[ignore]
fn dkimpy_passes_are_passes() {
    let Some(corpus) = corpus_or_skip() else {
        return;
    };
    let ks = keystore(&corpus);
    let mut agree = 0;
    let mut total = 0;
    let mut failures = Vec::new();
    for (file, items) in expected(&corpus) {
        let path = corpus.join(&file);
        let Ok(stored) = std::fs::read(&path) else {
            continue;
        };
        // A one-message mbox (notmuch): the message starts after the `From ` line.
        let (msg, base, format) = split_mbox(&stored);
        let r = Verifier::new(&ks).verify(msg, base, format);
        eprintln!(
            "{file}: dkimpy {items:?} ours {:?}",
            r.dkim
                .iter()
                .map(|c| (c.result, c.repair.map(|x| x.to_string()), c.expired_as_of))
                .collect::<Vec<_>>()
        );
        if let Some(arc) = &r.arc {
            eprintln!("  arc {:?} {:?}", arc.result, arc.detail);
        }
        for (i, item) in items.iter().enumerate() {
            if item == "True" {
                total += 1;
                match r.dkim.get(i) {
                    Some(c) if c.result == DkimResult::Pass => agree += 1,
                    c => failures.push(format!(
                        "{file} sig {i}: {:?}",
                        c.map(|c| (c.result, &c.detail))
                    )),
                }
            }
        }
    }
    eprintln!("dkimpy passes: {agree}/{total} agree");
    assert!(failures.is_empty(), "{failures:#?}");
}

fn check(corpus: &Path, file: &str, as_of: AsOf) -> mailsleuth::AuthReport {
    let ks = keystore(corpus);
    let msg = std::fs::read(corpus.join(file)).unwrap();
    Verifier::new(&ks).as_of(as_of).verify(&msg, 0, None)
}

#[test]
#[ignore]
fn expired_signatures_are_valid_and_expired_now() {
    let Some(corpus) = corpus_or_skip() else {
        return;
    };
    for file in [
        "dkim/dkim_verifier/Fastmail from Fastmail - How to keep your email private.eml",
        "dkim/dkim_verifier/Fastmail from Fastmail - Welcome! Get set up in 3 steps..eml",
        "dkim/zk-email/multi-dkim-sig.eml",
    ] {
        let now = check(&corpus, file, AsOf::Now);
        assert_eq!(now.dkim.len(), 2, "{file}");
        for c in &now.dkim {
            // The archive has no key for some of these (messagingengine.com fm3, HubSpot,
            // starknet.org): those can only be no-key; every other one must pass.
            assert!(
                matches!(c.result, DkimResult::Pass | DkimResult::NoKey),
                "{file}: {c:?}"
            );
            eprintln!("{file}: {} {:?}", c.domain, c.result);
            assert_eq!(c.expired_as_of, Some(true), "{file}");
        }
        let t = now.dkim[0].signed_at.unwrap();
        let then = check(&corpus, file, AsOf::Fixed(t));
        for (c, n) in then.dkim.iter().zip(&now.dkim) {
            assert_eq!(c.result, n.result, "{file}");
            assert_eq!(c.expired_as_of, Some(false), "{file}");
        }
        // By default, as of receipt: not expired.
        let rcv = check(&corpus, file, AsOf::Receipt);
        for c in &rcv.dkim {
            assert_eq!(
                c.expired_as_of,
                Some(false),
                "{file} {:?}",
                rcv.as_of_source
            );
        }
    }
}

#[test]
#[ignore]
fn zk_email_tampered() {
    let Some(corpus) = corpus_or_skip() else {
        return;
    };
    let cases = [
        (
            "dkim/zk-email/email-body-tampered.eml",
            DkimResult::BodyModified,
        ),
        ("dkim/zk-email/email-bodyless.eml", DkimResult::BodyModified),
        // The From domain was rewritten; d= and s= still name icloud.com's key.
        (
            "dkim/zk-email/email-invalid-domain.eml",
            DkimResult::HeadersModified,
        ),
        (
            "dkim/zk-email/email-invalid-selector.eml",
            DkimResult::NoKey,
        ),
        ("dkim/zk-email/email-good.eml", DkimResult::Pass),
    ];
    for (file, want) in cases {
        let r = check(&corpus, file, AsOf::Receipt);
        eprintln!("{file}: {:?}", r.dkim[0]);
        assert_eq!(r.dkim[0].result, want, "{file}: {:?}", r.dkim[0].detail);
        if want == DkimResult::BodyModified {
            assert_eq!(r.dkim[0].header_signature_valid, Some(true));
            assert_eq!(r.dkim[0].body_hash_valid, Some(false));
        }
    }
}

#[test]
#[ignore]
fn blaze_arc_chains() {
    let Some(corpus) = corpus_or_skip() else {
        return;
    };
    let ks = keystore(&corpus);
    let dir = corpus.join("dkim/blaze");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "mail"))
        .collect();
    files.push(dir.join("maildir/new/1622812170.M896292P49016Q20332Rda344fc2d5d959f6.blaze"));
    files.sort();
    let mut with_arc = 0;
    for f in files {
        let msg = std::fs::read(&f).unwrap();
        let r = Verifier::new(&ks).verify(&msg, 0, None);
        if let Some(arc) = &r.arc {
            with_arc += 1;
            eprintln!(
                "{}: arc {:?} {:?} sets {:?}",
                f.display(),
                arc.result,
                arc.detail,
                arc.sets
                    .iter()
                    .map(|s| (
                        s.i,
                        s.domain.clone(),
                        s.seal_valid,
                        s.message_signature_valid
                    ))
                    .collect::<Vec<_>>()
            );
            assert_ne!(arc.result, ArcResult::None);
            if arc.result == ArcResult::Pass {
                assert!(arc.sets.iter().all(|s| s.authentication_results.is_some()));
            }
        }
    }
    assert!(with_arc > 0);
}

// ValiMail ARC validation suite.

struct ArcCase {
    name: String,
    message: String,
    cv: String,
}

/// A hand parser for the suite's YAML subset: documents of `tests:` (name -> `message: |`
/// block and `cv:`) and `txt-records:` (name -> `>-` folded value).
/// Cases, TXT records per document, and the document of each case.
type Suite = (Vec<ArcCase>, Vec<Vec<(String, String)>>, Vec<usize>);

fn parse_suite(text: &str) -> Suite {
    let mut cases = Vec::new();
    let mut records_per_doc: Vec<Vec<(String, String)>> = vec![Vec::new()];
    let mut doc_of_case = Vec::new();
    let lines: Vec<&str> = text.lines().collect();
    let mut i = 0;
    let mut section = "";
    let mut cur: Option<ArcCase> = None;
    let indent = |l: &str| l.len() - l.trim_start().len();
    while i < lines.len() {
        let l = lines[i];
        if l.starts_with("---") {
            if let Some(c) = cur.take() {
                cases.push(c);
                doc_of_case.push(records_per_doc.len() - 1);
            }
            records_per_doc.push(Vec::new());
            section = "";
            i += 1;
            continue;
        }
        if indent(l) == 0 && !l.trim().is_empty() {
            section = if l.starts_with("tests:") {
                "tests"
            } else if l.starts_with("txt-records:") {
                "txt"
            } else {
                ""
            };
            if let Some(c) = cur.take() {
                cases.push(c);
                doc_of_case.push(records_per_doc.len() - 1);
            }
            i += 1;
            continue;
        }
        if section == "tests" && indent(l) == 2 && l.trim_end().ends_with(':') {
            if let Some(c) = cur.take() {
                cases.push(c);
                doc_of_case.push(records_per_doc.len() - 1);
            }
            cur = Some(ArcCase {
                name: l.trim().trim_end_matches(':').to_string(),
                message: String::new(),
                cv: String::new(),
            });
            i += 1;
            continue;
        }
        if section == "tests" && indent(l) == 4 {
            let t = l.trim();
            if let Some(rest) = t.strip_prefix("message:") {
                let block = rest.trim() == "|";
                i += 1;
                if block {
                    let mut msg_lines = Vec::new();
                    while i < lines.len() {
                        let m = lines[i];
                        if !m.trim().is_empty() && indent(m) < 6 {
                            break;
                        }
                        msg_lines.push(m.get(6..).unwrap_or(""));
                        i += 1;
                    }
                    while msg_lines.last().is_some_and(|l| l.is_empty()) {
                        msg_lines.pop();
                    }
                    let mut m = msg_lines.join("\r\n");
                    if !m.is_empty() {
                        m.push_str("\r\n");
                    }
                    if let Some(c) = cur.as_mut() {
                        c.message = m;
                    }
                }
                continue;
            }
            if let Some(rest) = t.strip_prefix("cv:")
                && let Some(c) = cur.as_mut()
            {
                c.cv = rest.trim().to_string();
            }
            i += 1;
            continue;
        }
        if section == "txt" && indent(l) == 2 {
            let (name, rest) = l.trim().split_once(':').unwrap();
            let rest = rest.trim();
            let mut value = String::new();
            i += 1;
            if rest == ">-" || rest == ">" || rest == "|" {
                let mut parts = Vec::new();
                while i < lines.len() && (indent(lines[i]) >= 4 || lines[i].trim().is_empty()) {
                    if !lines[i].trim().is_empty() {
                        parts.push(lines[i].trim());
                    }
                    i += 1;
                }
                value = parts.join(" ");
            } else {
                value.push_str(rest.trim_matches('"'));
            }
            if let Some(d) = records_per_doc.last_mut() {
                d.push((name.to_string(), value));
            }
            continue;
        }
        i += 1;
    }
    if let Some(c) = cur.take() {
        cases.push(c);
        doc_of_case.push(records_per_doc.len() - 1);
    }
    (cases, records_per_doc, doc_of_case)
}

#[test]
#[ignore]
fn valimail_arc_suite() {
    let Some(corpus) = corpus_or_skip() else {
        return;
    };
    let text = std::fs::read_to_string(corpus.join("arc/arc-draft-validation-tests.yml")).unwrap();
    let (cases, records, doc_of) = parse_suite(&text);
    // A name repeated inside one document's `tests:` mapping: YAML keeps the last one.
    let keep: Vec<bool> = (0..cases.len())
        .map(|i| {
            !(i + 1..cases.len()).any(|j| cases[j].name == cases[i].name && doc_of[j] == doc_of[i])
        })
        .collect();
    let (cases, doc_of): (Vec<&ArcCase>, Vec<usize>) = cases
        .iter()
        .zip(doc_of)
        .zip(keep)
        .filter(|(_, k)| *k)
        .map(|(c, _)| c)
        .unzip();
    let mut agree = 0;
    let mut disagree = Vec::new();
    let mut skipped = 0;
    for (case, doc) in cases.iter().copied().zip(doc_of) {
        // Three tests (cv=fail seals) have an empty `cv:` block: no expected result. We
        // report fail for them (the chain holds a cv=fail seal).
        if case.cv.is_empty() || case.cv == "|" {
            skipped += 1;
            continue;
        }
        let mut ks = KeyStore::new();
        for (name, value) in records.get(doc).into_iter().flatten() {
            let _ = ks.insert(
                name,
                value,
                mailsleuth::auth::Provenance::User("suite".into()),
            );
        }
        let r = Verifier::new(&ks)
            .as_of(AsOf::Fixed(1_500_000_000.into()))
            .verify(case.message.as_bytes(), 0, None);
        let ours = match r.arc.as_ref().map(|a| a.result) {
            None | Some(ArcResult::None) => "None",
            Some(ArcResult::Pass) => "Pass",
            Some(ArcResult::Fail) => "Fail",
        };
        if ours.eq_ignore_ascii_case(&case.cv) {
            agree += 1;
        } else {
            disagree.push(format!(
                "{}: expected {} got {} ({:?})",
                case.name,
                case.cv,
                ours,
                r.arc.as_ref().and_then(|a| a.detail.clone())
            ));
        }
    }
    let total = cases.len() - skipped;
    eprintln!("ValiMail ARC: {agree}/{total} agree");
    for d in &disagree {
        eprintln!("  {d}");
    }
    eprintln!("{skipped} tests without an expected result");
    assert_eq!(cases.len(), 170, "parsed {} tests", cases.len());
    assert!(disagree.is_empty());
}
