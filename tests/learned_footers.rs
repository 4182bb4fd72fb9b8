//! Footers learned from the dump: a company list's trailer of no known shape is proven once
//! the same block ends the signed mail of several senders of the list (a scan's dump-wide
//! pass), and never explains text added before it, an edit inside the signed text, or a
//! trailer on mail that saw no list.

use mailsleuth::auth::KeyStore;
use mailsleuth::{Analyzer, Input, Report, Scanner, Verdict};
use mailsleuth_testkit::lists::{Kind, custom_footer, keymap, message};

fn analyzer() -> Analyzer {
    let mut keys = KeyStore::new();
    assert_eq!(keys.parse_str(&keymap(), "lists").loaded, 1);
    Analyzer::new(keys)
}

/// Scan these messages as one mbox (the dump-wide pass included): the final reports, and
/// the text of the dump.
fn scan(messages: &[(Kind, usize)]) -> (Vec<Report>, String) {
    let mut text = String::new();
    for &(kind, i) in messages {
        text.push_str(&message(kind, i));
        text.push('\n');
    }
    let scanner = Scanner::new(analyzer()).threads(1);
    let (reports, summary) = scanner.scan_all(Input::Bytes {
        name: "lists.mbox".into(),
        data: text.clone().into(),
    });
    let reports: Vec<Report> = reports.into_iter().map(|r| r.expect("read")).collect();
    assert_eq!(reports.len(), messages.len());
    // The summary counts the reports as amended.
    for v in Verdict::ALL {
        let n = reports.iter().filter(|r| r.verdict == *v).count() as u64;
        assert_eq!(summary.verdicts.get(v).copied().unwrap_or(0), n, "{v}");
    }
    (reports, text)
}

fn codes(r: &Report) -> Vec<(&'static str, &'static str)> {
    r.findings
        .iter()
        .map(|f| (f.code.as_str(), f.severity.as_str()))
        .collect()
}

/// Three senders of the company list (plain and multipart), each trailer naming another
/// subscriber.
const LEARNED: [(Kind, usize); 3] = [
    (Kind::CustomList, 0),
    (Kind::CustomList, 1),
    (Kind::CustomList, 2),
];

#[test]
fn a_trailer_of_no_known_shape_stays_unexplained_on_its_own() {
    let text = message(Kind::CustomList, 0);
    assert!(text.contains(&custom_footer(0)));
    // Without the mbox separator line: one stored message.
    let eml = text
        .split_once('\n')
        .map(|(_, m)| m.to_string())
        .unwrap_or_default();
    let m = mailsleuth::Message::from_bytes("one.eml", eml);
    let r = analyzer().analyze(&m);
    assert_eq!(r.verdict, Verdict::Tampered, "{:#?}", r.dkim);
    assert_eq!(r.dkim[0].result, mailsleuth::DkimResult::BodyModified);
    // Two senders are not enough either.
    let (reports, _) = scan(&LEARNED[..2]);
    for r in &reports {
        assert_eq!(r.verdict, Verdict::Tampered, "{:?}", codes(r));
    }
}

#[test]
fn a_trailer_recurring_on_three_senders_is_learned() {
    let (reports, text) = scan(&LEARNED);
    for r in &reports {
        assert_eq!(r.verdict, Verdict::HeadersVerified, "{:#?}", r.findings);
        let d = &r.dkim[0];
        assert_eq!(d.result, mailsleuth::DkimResult::Pass);
        assert_eq!(d.body_hash_valid, Some(true));
        let repair = d.repair.expect("a repair").to_string();
        assert!(repair.contains("list-footer"), "{repair}");
        assert!(repair.contains("subject-tag"), "{repair}");
        assert!(
            d.detail.as_deref().unwrap_or_default().contains("learned"),
            "{:?}",
            d.detail
        );
        // The trailer is the evidence, and nothing the author wrote.
        let added: Vec<&str> = d
            .transit_added
            .iter()
            .map(|s| &text[s.start as usize..s.end as usize])
            .collect();
        assert!(
            added.iter().any(|a| a.contains("ACME engineering talk")),
            "{added:?}"
        );
        assert!(added.iter().all(|a| !a.contains("Any idea")), "{added:?}");
        // The body change is withdrawn; the trailer is shown at info.
        let c = codes(r);
        assert!(
            !c.iter().any(|(code, _)| *code == "dkim-body-modified"),
            "{c:?}"
        );
        let f = r
            .findings
            .iter()
            .find(|f| f.code.as_str() == "dkim-transit-change")
            .expect("transit finding");
        assert_eq!(f.severity.as_str(), "info");
        assert!(f.detail.contains("3 senders"), "{}", f.detail);
        assert!(
            f.evidence
                .iter()
                .any(|s| text[s.start as usize..s.end as usize].contains("ACME list server")),
            "{:?}",
            f.evidence
        );
    }
}

#[test]
fn text_before_a_learned_trailer_stays_tampered() {
    // The forger's sentence before the trailer, on messages of three other senders: the
    // trailer alone is seen on the list's authentic mail, so the longer block is not the
    // list's.
    let mut messages = LEARNED.to_vec();
    messages.extend((10..13).map(|i| (Kind::TextBeforeCustomFooter, i)));
    let (reports, _) = scan(&messages);
    for (r, (kind, _)) in reports.iter().zip(&messages) {
        let want = if kind.authentic() {
            Verdict::HeadersVerified
        } else {
            Verdict::Tampered
        };
        assert_eq!(r.verdict, want, "{kind:?}: {:?}", codes(r));
    }
}

#[test]
fn text_after_a_learned_trailer_stays_tampered() {
    // The forger's sentence after the trailer (plain messages end with it), on three other
    // senders: the block starts with the list's trailer, seen alone on its authentic mail.
    let mut text = String::new();
    for &(kind, i) in &LEARNED {
        text.push_str(&message(kind, i));
        text.push('\n');
    }
    for i in [10, 12, 14] {
        let m = message(Kind::CustomList, i);
        assert!(m.ends_with(&custom_footer(i % 5)));
        text.push_str(&m);
        text.push_str("PS: send the admin password to me.\n\n");
    }
    let scanner = Scanner::new(analyzer()).threads(1);
    let (reports, _) = scanner.scan_all(Input::Bytes {
        name: "lists.mbox".into(),
        data: text.into(),
    });
    let verdicts: Vec<Verdict> = reports
        .into_iter()
        .map(|r| r.expect("read").verdict)
        .collect();
    assert_eq!(
        verdicts,
        [
            Verdict::HeadersVerified,
            Verdict::HeadersVerified,
            Verdict::HeadersVerified,
            Verdict::Tampered,
            Verdict::Tampered,
            Verdict::Tampered
        ]
    );
}

#[test]
fn an_edit_under_a_learned_trailer_stays_tampered() {
    let mut messages = LEARNED.to_vec();
    messages.extend((10..13).map(|i| (Kind::EditUnderCustomFooter, i)));
    let (reports, _) = scan(&messages);
    for (r, (kind, _)) in reports.iter().zip(&messages) {
        if !kind.authentic() {
            assert_eq!(r.verdict, Verdict::Tampered, "{kind:?}");
            assert_eq!(r.dkim[0].result, mailsleuth::DkimResult::BodyModified);
            assert!(
                codes(r).contains(&("dkim-body-modified", "high")),
                "{:?}",
                codes(r)
            );
        }
    }
}

#[test]
fn a_learned_trailer_on_mail_without_a_list_is_not_excused() {
    let mut messages = LEARNED.to_vec();
    messages.extend((10..14).map(|i| (Kind::CustomFooterWithoutList, i)));
    let (reports, _) = scan(&messages);
    for (r, (kind, _)) in reports.iter().zip(&messages) {
        if kind.authentic() {
            assert_eq!(r.verdict, Verdict::HeadersVerified);
        } else {
            assert_eq!(r.verdict, Verdict::Tampered, "{kind:?}");
            assert!(r.dkim[0].transit_added.is_empty());
        }
    }
}

#[test]
fn forgeries_alone_on_a_list_are_never_verified() {
    // Without the list's authentic mail, forged text before the trailer on three senders is
    // the limit of learning from the dump: it may pass as the list's block, shown as such,
    // but never as `verified`.
    let messages: Vec<_> = (10..13)
        .map(|i| (Kind::TextBeforeCustomFooter, i))
        .collect();
    let (reports, text) = scan(&messages);
    for r in &reports {
        assert_ne!(r.verdict, Verdict::Verified);
        if r.verdict == Verdict::HeadersVerified {
            let f = r
                .findings
                .iter()
                .find(|f| f.code.as_str() == "dkim-transit-change")
                .expect("shown");
            assert!(
                f.evidence
                    .iter()
                    .any(|s| text[s.start as usize..s.end as usize].contains("PS: send")),
                "the appended text is shown as evidence"
            );
        }
    }
}

#[test]
fn lists_of_one_server_pool_their_senders() {
    // Two lists of the company's server, two senders each: the trailers differ only by the
    // list's name, which is masked, so four senders show the same block.
    let ops = |i: usize| {
        message(Kind::CustomList, i)
            .replace("eng-talk", "ops-talk")
            .replace("ACME engineering talk", "ACME operations talk")
    };
    let mut text = String::new();
    for m in [
        message(Kind::CustomList, 0),
        message(Kind::CustomList, 1),
        ops(2),
        ops(3),
    ] {
        text.push_str(&m);
        text.push('\n');
    }
    assert!(text.contains("ACME operations talk - internal use only"));
    let scanner = Scanner::new(analyzer()).threads(1);
    let (reports, _) = scanner.scan_all(Input::Bytes {
        name: "lists.mbox".into(),
        data: text.into(),
    });
    for r in reports {
        let r = r.expect("read");
        assert_eq!(r.verdict, Verdict::HeadersVerified, "{:?}", codes(&r));
        let f = r
            .findings
            .iter()
            .find(|f| f.code.as_str() == "dkim-transit-change")
            .expect("transit finding");
        assert!(
            f.detail.contains("4 senders on 2 mailing lists"),
            "{}",
            f.detail
        );
    }
}

#[test]
fn the_threshold_is_a_setting() {
    let config = mailsleuth::CheckConfig {
        min_footer_senders: 4,
        ..mailsleuth::CheckConfig::default()
    };
    let mut text = String::new();
    for &(kind, i) in &LEARNED {
        text.push_str(&message(kind, i));
        text.push('\n');
    }
    let scanner = Scanner::new(analyzer().checks(config)).threads(1);
    let (reports, _) = scanner.scan_all(Input::Bytes {
        name: "lists.mbox".into(),
        data: text.into(),
    });
    for r in reports {
        assert_eq!(r.expect("read").verdict, Verdict::Tampered);
    }
}

#[test]
fn the_scan_example_writes_the_amended_lines() {
    let dir = tempfile::tempdir().expect("temp dir");
    let keys = dir.path().join("lists.keymap");
    std::fs::write(&keys, keymap()).expect("keys");
    let mut text = String::new();
    let messages = [
        (Kind::CustomList, 0),
        (Kind::TextBeforeCustomFooter, 10),
        (Kind::CustomList, 1),
        (Kind::CustomList, 2),
    ];
    for &(kind, i) in &messages {
        text.push_str(&message(kind, i));
        text.push('\n');
    }
    let dump = dir.path().join("lists.mbox");
    std::fs::write(&dump, &text).expect("dump");
    let out = mailsleuth_testkit::examples::example("scan")
        .arg("--keys")
        .arg(&keys)
        .arg(&dump)
        .output()
        .expect("scan runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .expect("UTF-8")
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON"))
        .collect();
    assert_eq!(lines.len(), messages.len());
    for (line, (kind, _)) in lines.iter().zip(&messages) {
        let codes: Vec<&str> = line["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .filter_map(|f| f["code"].as_str())
            .collect();
        if kind.authentic() {
            assert_eq!(line["verdict"], "headers-verified", "{line}");
            assert_eq!(line["dkim"][0]["result"], "pass");
            let repair = line["dkim"][0]["repair"].as_str().expect("repair");
            assert!(repair.contains("list-footer"), "{repair}");
            assert!(!codes.contains(&"dkim-body-modified"), "{codes:?}");
            assert!(codes.contains(&"dkim-transit-change"), "{codes:?}");
        } else {
            assert_eq!(line["verdict"], "tampered", "{line}");
            assert!(codes.contains(&"dkim-body-modified"), "{codes:?}");
        }
    }
}
