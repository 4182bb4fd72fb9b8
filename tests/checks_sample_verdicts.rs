//! End to end over the bundled sample dump: verification, signature findings, heuristics,
//! the dump-wide pass and the verdict, against the verdict column of its MANIFEST.md.

use mailsleuth::auth::{KeyStore, Verifier};
use mailsleuth::checks::from_domain;
use mailsleuth::checks::signatures::{facts_of, findings, verdict};
use mailsleuth::checks::{Config, analyze_message};
use mailsleuth::{Entry, Reader};
use mailsleuth_testkit::corpus::corpus_or_skip;
use mailsleuth_testkit::sample;

/// Needs the `attachments` feature: the verdicts of messages 19-21 rest on attachment
/// metadata.
#[cfg(feature = "attachments")]
#[test]
fn sample_verdicts_match_the_manifest() {
    use mailsleuth::checks::Finding;
    use mailsleuth::checks::dump::DumpChecks;
    let dir = sample::data_dir();
    let mut keys = KeyStore::new();
    keys.load_file(dir.join("keys.keymap")).expect("keymap");
    let verifier = Verifier::new(&keys);
    let config = Config::default();
    let mut dump = DumpChecks::new(config.clone());
    let mut per: Vec<(Vec<Finding>, _, _, Option<String>)> = Vec::new();
    for (i, e) in Reader::new().open(dir.join("sample.mbox")).enumerate() {
        let Ok(Entry::Message(m)) = e else { continue };
        let h = m.headers();
        let report = verifier.verify(m.bytes(), m.offset(), Some(m.format()));
        let (sigs, arc) = facts_of(&report);
        let (mut f, mut facts) = analyze_message(&m, &h, i as u64, &config);
        f.extend(findings(&h, &sigs, arc.as_ref(), &config));
        facts.set_signers(
            report
                .dkim
                .iter()
                .map(|c| (c.domain.as_str(), c.result == mailsleuth::DkimResult::Pass)),
        );
        dump.add(facts);
        per.push((f, sigs, arc, from_domain(&h)));
    }
    let extra = dump.finish();
    let expected = sample::manifest_verdicts();
    let mut bad = Vec::new();
    for (i, (mut f, sigs, arc, from)) in per.into_iter().enumerate() {
        f.extend(extra.get(&(i as u64)).cloned().unwrap_or_default());
        let d = verdict(from.as_deref(), &sigs, arc.as_ref(), &[], &f);
        let want = expected[i].as_str();
        if d.verdict.as_str() != want {
            bad.push(format!(
                "{i}: got {} want {want}: {:?}",
                d.verdict.as_str(),
                f.iter()
                    .map(|x| (x.code.as_str(), x.severity.as_str()))
                    .collect::<Vec<_>>()
            ));
        }
        println!(
            "{i:2} {:10} {:?}",
            d.verdict.as_str(),
            f.iter()
                .map(|x| (x.code.as_str(), x.severity.as_str()))
                .collect::<Vec<_>>()
        );
    }
    assert!(bad.is_empty(), "\n{}", bad.join("\n"));
}

/// Signature-derived findings and verdicts on the real mail of the shared corpus
/// (`cargo test --test checks_sample_verdicts -- --ignored --nocapture`).
#[test]
#[ignore]
fn corpus_dkim_with_verification() {
    let Some(corpus) = corpus_or_skip() else {
        return;
    };
    let mut keys = KeyStore::new();
    keys.load_file(corpus.join("keys/all.keymap"))
        .expect("keymap");
    let verifier = Verifier::new(&keys);
    let config = Config::default();
    let mut counts = std::collections::BTreeMap::new();
    let mut verdicts = std::collections::BTreeMap::new();
    for e in Reader::new().open(corpus.join("dkim")) {
        let Ok(Entry::Message(m)) = e else { continue };
        let ext = m
            .source()
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or("");
        let name = m
            .source()
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("");
        if ["dns", "json", "keymap", "gitkeep"].contains(&ext)
            || name.starts_with("LICENSE")
            || name.starts_with("EXPECTED")
            || name.ends_with("-TXT.txt")
        {
            continue;
        }
        let h = m.headers();
        let report = verifier.verify(m.bytes(), m.offset(), Some(m.format()));
        let (sigs, arc) = facts_of(&report);
        let (mut f, _) = analyze_message(&m, &h, 0, &config);
        f.extend(findings(&h, &sigs, arc.as_ref(), &config));
        let d = verdict(from_domain(&h).as_deref(), &sigs, arc.as_ref(), &[], &f);
        *verdicts.entry(d.verdict.as_str()).or_insert(0) += 1;
        let mut seen = std::collections::BTreeSet::new();
        for x in &f {
            if seen.insert(x.code) {
                *counts
                    .entry((x.code.as_str(), x.severity.as_str()))
                    .or_insert(0) += 1;
            }
        }
        println!(
            "{:60} {:10} {:?}",
            m.source()
                .strip_prefix(&corpus)
                .unwrap_or(m.source())
                .display(),
            d.verdict.as_str(),
            f.iter()
                .filter(|x| x.severity >= mailsleuth::Severity::Low)
                .map(|x| (
                    x.code.as_str(),
                    x.severity.as_str(),
                    x.detail.chars().take(110).collect::<String>()
                ))
                .collect::<Vec<_>>()
        );
    }
    println!("{verdicts:?}");
    for ((c, s), n) in counts {
        println!("  {c:32} {s:7} {n}");
    }
}
