//! End to end over the bundled sample dump: verification, signature findings, heuristics,
//! the dump-wide pass and the verdict, against the verdict column of its MANIFEST.md.

use mailsleuth::{Analyzer, Entry, KeyStore, Reader, Scanner};
use mailsleuth_testkit::corpus::corpus_or_skip;
use mailsleuth_testkit::sample;

/// Every message of the sample, analysed alone with the public one-message call, gives the
/// report the scanner gives it, except for what the dump-wide pass adds (applied from the
/// finished scan); and the verdicts, dump-wide findings included, are the manifest's.
///
/// Needs the `attachments` feature: the verdicts of messages 19-21 rest on attachment
/// metadata.
#[cfg(feature = "attachments")]
#[test]
fn one_message_analysis_gives_the_scanners_reports_and_the_manifest_verdicts() {
    let dir = sample::data_dir();
    let keys = KeyStore::from_file(dir.join("keys.keymap")).expect("keymap");
    let analyzer = Analyzer::new(keys);
    let scanner = Scanner::new(analyzer.clone());
    let mut scan = scanner.scan([dir.join("sample.mbox")]);
    let scanned: Vec<_> = scan.by_ref().map(|r| r.expect("report")).collect();
    let finished = scan.finish();
    let expected = sample::manifest_verdicts();
    let mut bad = Vec::new();
    let mut n = 0;
    for (e, from_scan) in Reader::new().open(dir.join("sample.mbox")).zip(&scanned) {
        let Ok(Entry::Message(m)) = e else {
            panic!("the sample reads without gaps or errors")
        };
        let mut alone = analyzer.analyze(&m);
        assert_eq!(&alone, from_scan, "message {}", m.index());
        finished.apply(&mut alone);
        let i = n;
        n += 1;
        if alone.verdict.as_str() != expected[i] {
            bad.push(format!(
                "{i}: got {} want {}: {:?}",
                alone.verdict,
                expected[i],
                alone
                    .findings
                    .iter()
                    .map(|x| (x.code.as_str(), x.severity.as_str()))
                    .collect::<Vec<_>>()
            ));
        }
    }
    assert_eq!(n, 26);
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
    let keys = KeyStore::from_file(corpus.join("keys/all.keymap")).expect("keymap");
    let analyzer = Analyzer::new(keys);
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
        let report = analyzer.analyze(&m);
        let f = &report.findings;
        *verdicts.entry(report.verdict.as_str()).or_insert(0) += 1;
        let mut seen = std::collections::BTreeSet::new();
        for x in f {
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
            report.verdict.as_str(),
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
