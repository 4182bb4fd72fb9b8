//! Clocks learned across the dump: a server whose clock runs ahead shows the same step
//! backwards on many messages, and the dump-wide pass puts that step down to the clock; a
//! step that contradicts the clock, or a clock seen too rarely, stays flagged, and forgeries
//! are still caught.

use mailsleuth::auth::KeyStore;
use mailsleuth::{Analyzer, Finding, Input, Report, Scanner, Severity, Verdict};
use mailsleuth_testkit::lists::{self, Kind};
use mailsleuth_testkit::routes::{Hop, rfc5322, routed};

/// The office route of message `i`: the gateway's clock is `ahead` seconds ahead of the
/// others (a few seconds of transit at each hop).
fn office(i: usize, ahead: i64) -> String {
    let jitter = (i % 3) as i64;
    routed(
        i,
        "ann@example.com",
        &[
            Hop {
                by: "smtp.example.com",
                from: "pc7.example.com",
                after: 5,
            },
            Hop {
                by: "gw.example.com",
                from: "smtp.example.com",
                after: 8 + jitter + ahead,
            },
            Hop {
                by: "mx.example.com",
                from: "gw.example.com",
                after: 12 + jitter,
            },
        ],
    )
}

/// Every report of the dump, with the finished scan applied.
fn scan_with(scanner: &Scanner, dump: String) -> Vec<Report> {
    let mut scan = scanner.scan([Input::Bytes {
        name: "clocks.mbox".into(),
        data: dump.into_bytes().into(),
    }]);
    let mut reports: Vec<Report> = scan.by_ref().map(|r| r.expect("report")).collect();
    let finished = scan.finish();
    for r in &mut reports {
        finished.apply(r);
        // Applying twice changes nothing.
        assert!(!finished.apply(r));
    }
    let counted = finished
        .summary()
        .verdicts
        .get(&Verdict::Suspicious)
        .copied();
    let suspicious = reports
        .iter()
        .filter(|r| r.verdict == Verdict::Suspicious)
        .count() as u64;
    assert_eq!(
        counted.unwrap_or(0),
        suspicious,
        "summary counts the regrades"
    );
    reports
}

fn scan(dump: String) -> Vec<Report> {
    scan_with(&Scanner::default(), dump)
}

fn steps(r: &Report) -> Vec<&Finding> {
    r.findings
        .iter()
        .filter(|f| f.code.as_str() == "received-out-of-order")
        .collect()
}

#[test]
fn one_message_alone_is_flagged() {
    let reports = scan(office(0, 780));
    let s = steps(&reports[0]);
    assert_eq!(s.len(), 1);
    assert_eq!(s[0].severity, Severity::Medium);
    assert_eq!(reports[0].verdict, Verdict::Suspicious);
}

#[test]
fn a_consistent_offset_is_the_gateways_clock() {
    let dump: String = (0..5).map(|i| office(i, 780)).collect();
    let reports = scan(dump);
    assert_eq!(reports.len(), 5);
    for r in &reports {
        let s = steps(r);
        assert_eq!(s.len(), 1, "{:#?}", r.findings);
        assert_eq!(s[0].severity, Severity::Low, "{}", s[0].detail);
        assert!(
            s[0].detail.contains("learned from 5 messages")
                && s[0].detail.contains("gw.example.com"),
            "{}",
            s[0].detail
        );
        // The evidence still points at both Received times.
        assert_eq!(s[0].evidence.len(), 2);
        assert_eq!(r.verdict, Verdict::Unverified, "{:#?}", r.findings);
        assert!(r.verdict_because.is_empty());
    }
}

#[test]
fn four_messages_are_not_enough() {
    let dump: String = (0..4).map(|i| office(i, 780)).collect();
    for r in scan(dump) {
        assert_eq!(steps(&r)[0].severity, Severity::Medium);
        assert_eq!(r.verdict, Verdict::Suspicious);
    }
}

#[test]
fn a_step_that_contradicts_the_clock_stays() {
    // Five messages show the gateway 13 minutes ahead; a sixth shows it 45 minutes ahead.
    let mut dump: String = (0..5).map(|i| office(i, 780)).collect();
    dump.push_str(&office(5, 2700));
    let reports = scan(dump);
    for r in &reports[..5] {
        assert_eq!(r.verdict, Verdict::Unverified);
    }
    let odd = &reports[5];
    let s = steps(odd);
    assert_eq!(s[0].severity, Severity::Medium, "{}", s[0].detail);
    assert!(!s[0].detail.contains("learned"));
    assert_eq!(odd.verdict, Verdict::Suspicious);

    // The gateway's clock in order on most messages: a step on one of them is no clock.
    let mut dump: String = (0..6).map(|i| office(i, 0)).collect();
    dump.push_str(&office(6, 780));
    let reports = scan(dump);
    assert!(reports[..6].iter().all(|r| steps(r).is_empty()));
    assert_eq!(steps(&reports[6])[0].severity, Severity::Medium);
    assert_eq!(reports[6].verdict, Verdict::Suspicious);
}

#[test]
fn forgeries_are_still_caught() {
    // List-style forgeries among messages whose clock steps are learned: the signature
    // evidence decides, whatever the clocks.
    let mut keys = KeyStore::new();
    assert_eq!(keys.parse_str(&lists::keymap(), "lists").loaded, 1);
    let scanner = Scanner::new(Analyzer::new(keys));
    let mut dump: String = (0..5).map(|i| office(i, 780)).collect();
    let forged = [
        Kind::EditUnderFooter,
        Kind::TextBeforeFooter,
        Kind::SubjectBeyondTag,
        Kind::FooterWithoutList,
    ];
    for (n, kind) in forged.iter().enumerate() {
        dump.push_str(&lists::message(*kind, n));
        dump.push('\n');
    }
    let reports = scan_with(&scanner, dump);
    assert_eq!(reports.len(), 9);
    for r in &reports[..5] {
        assert_eq!(r.verdict, Verdict::Unverified);
    }
    for (r, kind) in reports[5..].iter().zip(forged) {
        assert!(
            !matches!(r.verdict, Verdict::Verified | Verdict::HeadersVerified),
            "{kind:?}: {:?}",
            r.verdict
        );
    }
}

/// Message `i` of a sender whose clock runs `ahead` seconds ahead: it is received `ahead`
/// seconds before its own `Date` says (a few seconds of transit at each hop).
fn fast_sender(i: usize, ahead: i64) -> String {
    routed(
        i,
        "ann@fast.example",
        &[
            Hop {
                by: "smtp.fast.example",
                from: "pc1.fast.example",
                after: 5 - ahead,
            },
            Hop {
                by: "mx.example.net",
                from: "smtp.fast.example",
                after: 9 - ahead,
            },
        ],
    )
}

/// A reply to message 0 of [`fast_sender`] from a sender with a right clock, dated `at`
/// (seconds after midnight of the same day) and received a few seconds later.
fn reply(at: i64) -> String {
    format!(
        "From bob@other.example Mon Sep  2 08:00:00 2002\n\
         Received: from smtp.other.example (smtp.other.example [81.2.69.99])\n\tby mx.example.net with ESMTP id r1; {}\n\
         From: bob@other.example\nTo: ann@fast.example\nSubject: Re: note 0\nDate: {}\n\
         Message-ID: <reply@other.example>\nIn-Reply-To: <0.note@fast.example>\n\nThanks.\n\n",
        rfc5322(at + 6),
        rfc5322(at)
    )
}

fn reply_step(r: &Report) -> &Finding {
    r.findings
        .iter()
        .find(|f| f.code.as_str() == "reply-before-parent")
        .expect("reply-before-parent")
}

#[test]
fn a_reply_before_its_parent_by_the_senders_clock_is_that_clock() {
    // Ann's clock runs 40 minutes ahead on six messages; Bob answers her first message ten
    // minutes after it arrived (07:20), so his reply (07:30) is dated 30 minutes before her
    // Date (08:00): her clock, learned across the dump, explains it.
    let mut dump: String = (0..6).map(|i| fast_sender(i, 2400)).collect();
    dump.push_str(&reply(7 * 3600 + 1800));
    let reports = scan(dump);
    let step = reply_step(&reports[6]);
    assert_eq!(step.severity, Severity::Info, "{}", step.detail);
    assert!(
        step.detail.contains("senders' clocks explain it"),
        "{}",
        step.detail
    );
    assert!(step.detail.contains("6 messages"), "{}", step.detail);
}

#[test]
fn a_reply_before_its_parent_beyond_the_senders_clock_stays() {
    // The same clock, but the reply is dated an hour before her Date: 20 minutes before her
    // message arrived, which no clock explains.
    let mut dump: String = (0..6).map(|i| fast_sender(i, 2400)).collect();
    dump.push_str(&reply(7 * 3600));
    let reports = scan(dump);
    let step = reply_step(&reports[6]);
    assert_eq!(step.severity, Severity::Low, "{}", step.detail);
    assert!(!step.detail.contains("explain"), "{}", step.detail);
    // With four of her messages only, her clock is not learned and nothing is explained.
    let mut dump: String = (0..4).map(|i| fast_sender(i, 2400)).collect();
    dump.push_str(&reply(7 * 3600 + 1800));
    let reports = scan(dump);
    let step = reply_step(&reports[4]);
    assert_eq!(step.severity, Severity::Low, "{}", step.detail);
}
