//! The scanner: parallel and sequential scans agree, shards concatenate to the whole scan,
//! errors keep their place, progress is reported.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use mailsleuth::{Analyzer, Input, KeyStore, Reader, Report, Scanner, Verdict};
use mailsleuth_testkit::sample;

/// A generated mailbox of `n` messages of varied sizes.
fn mailbox(n: usize) -> Vec<u8> {
    let mut v = Vec::new();
    for i in 0..n {
        v.extend_from_slice(
            format!("From user{i}@example.org Mon Jan  1 10:00:00 2001\n").as_bytes(),
        );
        v.extend_from_slice(format!("From: User {i} <user{i}@example.org>\nSubject: message {i}\nMessage-ID: <{i}@example.org>\n\n").as_bytes());
        for _ in 0..(i * 7919 % 50) {
            v.extend_from_slice(b"some body text of a realistic line length, more or less.\n");
        }
        if i % 5 == 0 {
            v.extend_from_slice(b">From quoted\n");
        }
        v.push(b'\n');
    }
    v
}

fn json(reports: &[mailsleuth::Result<Report>]) -> Vec<String> {
    reports
        .iter()
        .map(|r| match r {
            Ok(r) => serde_json::to_string(r).unwrap(),
            Err(e) => format!("error: {e}"),
        })
        .collect()
}

fn write_temp(name: &str, data: &[u8]) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("mailsleuth-scanner-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, data).unwrap();
    p
}

#[test]
fn parallel_and_sequential_scans_give_the_same_reports_in_order() {
    let data = mailbox(500);
    let path = write_temp("par.mbox", &data);
    let (seq, s1) = Scanner::default().threads(1).scan_all(&path);
    let (par, s2) = Scanner::default().threads(4).scan_all(&path);
    assert_eq!(seq.len(), 500);
    assert_eq!(json(&seq), json(&par));
    assert_eq!(s1.messages, 500);
    assert_eq!(s1.bytes, data.len() as u64);
    assert_eq!(s2.bytes, data.len() as u64);
    let indexes: Vec<u64> = seq.iter().map(|r| r.as_ref().unwrap().index).collect();
    assert_eq!(indexes, (0..500).collect::<Vec<_>>());
}

#[test]
fn shards_concatenate_to_the_whole_scan() {
    let data = mailbox(300);
    let path = write_temp("shards.mbox", &data);
    let scanner = Scanner::default();
    let (whole, _) = scanner.scan_all(&path);
    for n in [1, 2, 3, 7] {
        let shards = scanner.shards(&path, n).unwrap();
        assert_eq!(shards.len(), n);
        assert_eq!(shards[0].range.start, 0);
        assert_eq!(shards.last().unwrap().range.end, data.len() as u64);
        for w in shards.windows(2) {
            assert_eq!(w[0].range.end, w[1].range.start);
        }
        let mut joined = Vec::new();
        let mut bytes = 0;
        for shard in shards {
            let (part, summary) = scanner.scan_all(shard);
            bytes += summary.bytes;
            joined.extend(part);
        }
        assert_eq!(json(&joined), json(&whole), "{n} shards");
        assert_eq!(bytes, data.len() as u64);
    }
}

#[test]
fn errors_keep_their_place_and_the_scan_goes_on() {
    let small = b"From a@x Mon Jan  1 10:00:00 2001\nSubject: ok\n\nfine\n\n".to_vec();
    let path = write_temp("errors-ok.mbox", &small);
    let scanner = Scanner::default();
    let mut scan = scanner.scan([
        Input::from(&path),
        Input::from("/nonexistent/leak.mbox"),
        Input::Bytes {
            name: "inline.eml".into(),
            data: bytes::Bytes::from_static(b"Subject: inline\n\nx\n"),
        },
    ]);
    let items: Vec<_> = scan.by_ref().collect();
    assert_eq!(items.len(), 3);
    assert_eq!(items[0].as_ref().unwrap().subject.as_deref(), Some("ok"));
    assert!(
        items[1]
            .as_ref()
            .unwrap_err()
            .to_string()
            .contains("/nonexistent/leak.mbox")
    );
    let third = items[2].as_ref().unwrap();
    assert_eq!((third.index, third.subject.as_deref()), (1, Some("inline")));
    assert_eq!(scan.summary().errors.len(), 1);
}

#[test]
fn progress_reaches_the_total() {
    let data = mailbox(200);
    let path = write_temp("progress.mbox", &data);
    let last = Arc::new(AtomicU64::new(0));
    let seen = last.clone();
    let total = data.len() as u64;
    let scanner = Scanner::default()
        .progress(move |p| {
            assert_eq!(p.bytes_total, Some(total));
            assert!(p.bytes_done <= total);
            seen.store(p.bytes_done, Ordering::SeqCst);
        })
        .reader(Reader::new());
    let (reports, _) = scanner.scan_all(&path);
    assert_eq!(reports.len(), 200);
    assert_eq!(last.load(Ordering::SeqCst), total);
}

/// The front door end to end: scanning the bundled sample dump with its keys gives every
/// verdict of the manifest's verdict column, with the dump-wide findings merged in.
#[cfg(feature = "attachments")]
#[test]
fn scanning_the_sample_gives_the_manifest_verdicts() {
    let dir = sample::data_dir();
    let keys = KeyStore::from_file(dir.join("keys.keymap")).expect("keymap");
    for threads in [1, 2] {
        let scanner = Scanner::new(Analyzer::new(keys.clone())).threads(threads);
        let (reports, summary) = scanner.scan_all(dir.join("sample.mbox"));
        let expected = sample::manifest_verdicts();
        let got: Vec<String> = reports
            .iter()
            .map(|r| r.as_ref().unwrap().verdict.as_str().to_string())
            .collect();
        assert_eq!(got, expected, "{threads} threads");
        let total: u64 = summary.verdicts.values().sum();
        assert_eq!(total, 26);
        assert_eq!(summary.verdicts.get(&Verdict::Tampered), Some(&4));
        // The reused Message-ID is found by the dump-wide pass, on the later copy.
        let r16 = reports[16].as_ref().unwrap();
        assert!(
            r16.findings
                .iter()
                .any(|f| f.code.as_str() == "duplicate-message-id")
        );
    }
}

/// A mailbox over 1 MiB (so a mapped file's bodies are kept as zero-copy handles) where some
/// messages reuse an earlier Message-ID: with a different body, or with the same body in
/// CRLF line endings (which the normalised fingerprint ignores).
fn mailbox_with_copies() -> Vec<u8> {
    let mut v = Vec::new();
    for i in 0..1200usize {
        let (id, changed, crlf) = match i % 100 {
            7 => (i - 1, true, false),
            8 => (i - 3, false, true),
            _ => (i, false, false),
        };
        let nl = if crlf { "\r\n" } else { "\n" };
        v.extend_from_slice(
            format!("From user{id}@example.org Mon Jan  1 10:00:00 2001\n").as_bytes(),
        );
        let head = format!(
            "From: User {id} <user{id}@example.org>{nl}Subject: message {id}{nl}Message-ID: <{id}@example.org>{nl}{nl}"
        );
        v.extend_from_slice(head.as_bytes());
        for line in 0..(id * 7919 % 40 + 5) {
            v.extend_from_slice(
                format!("line {line} of message {id}, ordinary text here.{nl}").as_bytes(),
            );
        }
        if changed {
            v.extend_from_slice(format!("a sentence added to the copy.{nl}").as_bytes());
        }
        v.push(b'\n');
    }
    v
}

#[test]
fn every_input_path_gives_the_same_dump_findings() {
    let data = mailbox_with_copies();
    assert!(data.len() > 1 << 20);
    let path = write_temp("copies.mbox", &data);
    let scanner = Scanner::default().threads(2);
    let (mapped, _) = scanner.scan_all(&path);
    let (bytes, _) = scanner.scan_all(Input::Bytes {
        name: path.clone(),
        data: data.clone().into(),
    });
    let (stream, _) = scanner.scan_all(Input::Stream {
        name: path.clone(),
        reader: Box::new(std::io::Cursor::new(data.clone())),
    });
    let unmapped = Scanner::default()
        .reader(Reader::new().memory_map(false))
        .scan_all(&path)
        .0;
    let expected = json(&mapped);
    assert_eq!(json(&bytes), expected);
    assert_eq!(json(&stream), expected);
    assert_eq!(json(&unmapped), expected);
    // The changed copies (and their originals) are found; the CRLF copies are not.
    let flagged: Vec<u64> = mapped
        .iter()
        .map(|r| r.as_ref().unwrap())
        .filter(|r| {
            r.findings
                .iter()
                .any(|f| f.code.as_str() == "duplicate-message-id")
        })
        .map(|r| r.index)
        .collect();
    let want: Vec<u64> = (0..12u64)
        .flat_map(|k| [k * 100 + 6, k * 100 + 7])
        .collect();
    assert_eq!(flagged, want);
}

/// A streamed file's bodies are read back only for repeated Message-IDs, and only when
/// they are still the bytes that were scanned: a file changed after its messages were read
/// gives an informational finding for that copy, never a "different body" accusation.
#[test]
fn bodies_read_back_after_a_stream_must_be_the_scanned_bytes() {
    let data = mailbox_with_copies();
    let path = write_temp("changed-after.mbox", &data);
    let scanner = Scanner::default()
        .threads(1)
        .reader(Reader::new().memory_map(false));
    let mut scan = scanner.scan([Input::from(path.clone())]);
    let reports: Vec<Report> = scan.by_ref().map(|r| r.unwrap()).collect();
    // Message #8 is a CRLF copy of #5: the same body. Change one byte of #8's body now,
    // keeping its length, as a file being rewritten under the scan would.
    let eight = &reports[8];
    let mut changed = data.clone();
    let at = usize::try_from(eight.offset + eight.length).unwrap() - 10;
    changed[at] ^= 0x20;
    std::fs::write(&path, &changed).unwrap();
    let finished = scan.finish();
    let finding = |i: usize| {
        let mut r = reports[i].clone();
        finished.apply(&mut r);
        r.findings
            .into_iter()
            .filter(|f| f.code.as_str() == "duplicate-message-id")
            .map(|f| (f.severity, f.detail))
            .collect::<Vec<_>>()
    };
    let eight = finding(8);
    assert_eq!(eight.len(), 1, "{eight:?}");
    assert_eq!(eight[0].0, mailsleuth::Severity::Info);
    assert!(eight[0].1.contains("could not be read back"), "{eight:?}");
    // Its original is compared with no other copy: no finding either way.
    assert!(finding(5).is_empty(), "{:?}", finding(5));
    // Untouched copies are still compared from the file: #6 and #7 differ.
    assert_eq!(finding(7).len(), 1);
    assert_eq!(finding(7)[0].0, mailsleuth::Severity::Medium);
}

/// Lines rendered on the analysing threads are the reports' own JSON lines, in a parallel and
/// a sequential scan; a scanner not asked to render gives none.
#[test]
fn json_lines_rendered_on_workers_are_the_reports_lines() {
    // Copies with a changed body: the dump-wide pass amends 24 reports after they were
    // rendered, and their lines must go.
    let data = mailbox_with_copies();
    for threads in [1, 2] {
        let scanner = Scanner::default()
            .threads(threads)
            .batch_bytes(1 << 16)
            .json_lines(true);
        let (reports, _) = scanner.scan_all(Input::Bytes {
            name: "rendered.mbox".into(),
            data: data.clone().into(),
        });
        assert_eq!(reports.len(), 1200);
        let mut rendered = 0;
        for r in &reports {
            let r = r.as_ref().unwrap();
            if let Some(line) = r.json_line() {
                assert_eq!(line, serde_json::to_string(r).unwrap());
                rendered += 1;
            }
        }
        assert_eq!(rendered, 1200 - 24);
    }
    let (plain, _) = Scanner::default().scan_all(Input::Bytes {
        name: "rendered.mbox".into(),
        data: data.into(),
    });
    assert!(
        plain
            .iter()
            .all(|r| r.as_ref().unwrap().json_line().is_none())
    );
}

/// The finished scan applied to reports handed out earlier gives the reports of
/// `scan_all`, its summary counts what it applies, and a report read back from its JSON line
/// is the report: a consumer that spools lines and applies the finished scan on the way out
/// writes the same lines as one that holds every report.
#[test]
fn a_finished_scan_applies_itself_to_spooled_reports() {
    let dir = sample::data_dir();
    let keys = KeyStore::from_file(dir.join("keys.keymap")).expect("keymap");
    let scanner = Scanner::new(Analyzer::new(keys));
    let mut scan = scanner.scan([Input::from(dir.join("sample.mbox"))]);
    let spooled: Vec<String> = scan
        .by_ref()
        .map(|r| serde_json::to_string(&r.unwrap()).unwrap())
        .collect();
    let before = scan.summary().clone();
    let finished = scan.finish();
    let (all, summary) = scanner.scan_all(dir.join("sample.mbox"));
    assert_eq!(&summary, finished.summary());
    let mut changed = 0;
    for (line, want) in spooled.iter().zip(&all) {
        let mut report: Report = serde_json::from_str(line).unwrap();
        assert_eq!(&serde_json::to_string(&report).unwrap(), line);
        if finished.apply(&mut report) {
            changed += 1;
            assert!(
                !finished.apply(&mut report),
                "applying twice changes nothing"
            );
        }
        assert_eq!(&report, want.as_ref().unwrap());
    }
    // The sample's dump-wide findings (a reused Message-ID, a back-dated reply, the
    // attachment edit cluster) change some reports, and some verdicts with them.
    assert!(changed >= 4, "{changed}");
    assert_eq!(changed, finished.amendments().count());
    assert_ne!(before.verdicts, summary.verdicts);
    let counted: u64 = summary.verdicts.values().sum();
    assert_eq!(counted, 26);
}

/// Small batches, several in flight on the pool: the same reports, errors and summary as the
/// sequential scan, in the same order.
#[test]
fn batches_read_ahead_give_the_sequential_scan() {
    let data = mailbox(300);
    let path = write_temp("ahead.mbox", &data);
    let inputs = || {
        vec![
            Input::from(&path),
            Input::from("/nonexistent/one.mbox"),
            Input::Bytes {
                name: "inline.mbox".into(),
                data: mailbox(40).into(),
            },
            Input::from("/nonexistent/two.mbox"),
            Input::from(&path),
        ]
    };
    let run = |threads: usize, batch: u64| {
        let scanner = Scanner::default().threads(threads).batch_bytes(batch);
        let mut scan = scanner.scan(inputs());
        let items: Vec<_> = scan.by_ref().collect();
        let finished = scan.finish();
        let amended = finished.amendments().count();
        let summary = finished.into_summary();
        (json(&items), summary.messages, summary.errors, amended)
    };
    let sequential = run(1, 8 << 20);
    assert_eq!(sequential.0.len(), 300 + 1 + 40 + 1 + 300);
    assert!(sequential.0[300].starts_with("error: "));
    assert!(sequential.0[341].starts_with("error: "));
    for (threads, batch) in [(2, 1), (2, 4096), (3, 20_000), (1, 1)] {
        assert_eq!(
            run(threads, batch),
            sequential,
            "{threads} threads, {batch} bytes"
        );
    }
}
