//! The hostile inputs of issue 10 (one generator per row of its table, in
//! `tests/kit/src/hostile.rs`), built small: every message is reported, a budget that is
//! reached is a `limit-exceeded` finding of that message, and the output grows linearly with
//! the input (sizes and counts compared, never seconds). `benches/hostile.sh` runs the same
//! generators at the sizes and measures time and memory.

use mailsleuth::{Analyzer, Input, KeyStore, Limits, Report, Scanner, Verdict};
use mailsleuth_testkit::hostile::{self, Hostile};

/// Every report of a scan of `input` (dump-wide amendments applied), and the length of their
/// JSON lines.
fn scan_with(input: &Hostile, name: &str, limits: Limits) -> (Vec<Report>, usize) {
    let mut keys = KeyStore::new();
    if !input.keymap.is_empty() {
        keys.parse_str(&input.keymap, "hostile");
    }
    let scanner = Scanner::new(Analyzer::new(keys)).limits(limits).threads(1);
    let mut scan = scanner.scan([Input::Bytes {
        name: name.into(),
        data: input.dump.clone().into(),
    }]);
    let mut reports: Vec<Report> = scan.by_ref().map(|r| r.expect("a report")).collect();
    let finished = scan.finish();
    let mut bytes = 0;
    for r in &mut reports {
        finished.apply(r);
        bytes += serde_json::to_string(r).expect("json").len() + 1;
    }
    (reports, bytes)
}

fn scan(input: &Hostile) -> (Vec<Report>, usize) {
    scan_with(input, "hostile.mbox", Limits::default())
}

fn limit_findings(r: &Report) -> Vec<&str> {
    r.findings
        .iter()
        .filter(|f| f.code.as_str() == "limit-exceeded")
        .map(|f| f.detail.as_str())
        .collect()
}

/// Output for `k` times the input is at most `k` times the output (plus slack) for the
/// small input: linear, not quadratic.
fn assert_linear(name: &str, small: (usize, usize), large: (usize, usize)) {
    let (in_small, out_small) = small;
    let (in_large, out_large) = large;
    let k = in_large as f64 / in_small as f64;
    let grew = out_large as f64 / out_small as f64;
    assert!(
        grew <= k * 1.25 + 0.5,
        "{name}: input x{k:.1} gave output x{grew:.1} ({out_small} -> {out_large} bytes)"
    );
}

#[test]
fn deep_xml_in_a_pdf_or_a_docx_is_read_to_the_depth_budget() {
    for (name, make) in [
        ("pdf", hostile::pdf_nested_xmp as fn(usize) -> Hostile),
        ("docx", hostile::docx_nested_xml),
    ] {
        let mut sizes = Vec::new();
        for depth in [2_000, 8_000] {
            let (reports, out) = scan(&make(depth));
            assert_eq!(reports.len(), 1, "{name}");
            let limits = limit_findings(&reports[0]);
            assert!(
                limits.iter().any(|d| d.contains("nests deeper than 256")),
                "{name}: {limits:?}"
            );
            sizes.push((depth, out));
        }
        // The report does not grow with the nesting at all.
        assert!(sizes[1].1 < sizes[0].1 + 64, "{name}: {sizes:?}");
    }
}

#[test]
fn many_signatures_over_many_fields_are_checked_up_to_the_budget() {
    let mut sizes = Vec::new();
    for n in [100, 400] {
        let (reports, out) = scan(&hostile::signatures_over_to(n));
        assert_eq!(reports.len(), 1);
        let r = &reports[0];
        assert_eq!(r.dkim.len(), 50, "signatures checked");
        let limits = limit_findings(r);
        assert!(
            limits.iter().any(|d| d.contains(&format!(
                "{} DKIM-Signature fields past the first 50",
                n - 50
            ))),
            "{limits:?}"
        );
        assert!(r.findings.len() <= 500);
        sizes.push((n, out));
    }
    assert_linear("signatures-over-to", sizes[0], sizes[1]);
}

#[test]
fn a_signature_with_too_many_tags_is_not_read() {
    let mut sizes = Vec::new();
    for n in [2_000, 8_000] {
        let (reports, out) = scan(&hostile::many_tags(n));
        let r = &reports[0];
        assert_eq!(r.dkim.len(), 1);
        assert!(
            limit_findings(r)
                .iter()
                .any(|d| d.contains("over the limit of 1000 per tag-list")),
            "{:?}",
            limit_findings(r)
        );
        assert_ne!(r.verdict, Verdict::Verified);
        sizes.push((n, out));
    }
    assert!(sizes[1].1 < sizes[0].1 + 64, "{sizes:?}");
}

#[test]
fn a_wide_h_list_is_a_limit_and_stays_linear() {
    let mut sizes = Vec::new();
    for n in [1_500, 6_000] {
        let (reports, out) = scan(&hostile::wide_h(5, n));
        let r = &reports[0];
        assert_eq!(r.dkim.len(), 5);
        assert!(
            limit_findings(r)
                .iter()
                .any(|d| d.contains("over the limit of 1000")),
            "{:?}",
            limit_findings(r)
        );
        sizes.push((n, out));
    }
    assert_linear("wide-h", sizes[0], sizes[1]);
}

#[test]
fn distinct_body_lengths_past_the_budget_are_a_high_limit_finding() {
    let limits = Limits::default().signatures_per_message(200);
    let (reports, _) = scan_with(
        &hostile::distinct_lengths(100, 20_000),
        "lengths.mbox",
        limits,
    );
    let r = &reports[0];
    assert_eq!(r.dkim.len(), 100);
    let over: Vec<_> = r
        .dkim
        .iter()
        .filter(|c| c.body_hash_valid.is_none())
        .collect();
    assert_eq!(over.len(), 100 - 64);
    let high = r
        .findings
        .iter()
        .filter(|f| f.code.as_str() == "limit-exceeded" && f.severity.as_str() == "high")
        .count();
    assert_eq!(high, over.len());
}

/// A signature that verifies over the headers, whose body hash is pushed past the budget by
/// signatures above it, never makes the message `verified` or `headers-verified`.
#[test]
fn a_signature_past_the_body_hash_budget_never_verifies() {
    use mailsleuth_testkit::signer::{Canon, PrivateKey, Spec, sign};
    let pem = std::fs::read_to_string(
        mailsleuth_testkit::sample::data_dir().join("keys/partner-rsa2017.pem"),
    )
    .expect("the sample key");
    let key = PrivateKey::from_pem(&pem).expect("a key");
    let headers: Vec<(String, String)> = [
        ("From", "A <a@example.org>"),
        ("To", "b@example.net"),
        ("Subject", "signed"),
        ("Date", "Mon, 1 Jan 2024 00:00:00 +0000"),
        ("Message-ID", "<signed@example.org>"),
    ]
    .iter()
    .map(|(n, v)| (n.to_string(), v.to_string()))
    .collect();
    let body = "the signed body\n".repeat(20);
    let spec = Spec {
        domain: "example.org",
        selector: "sel",
        key: &key,
        header_canon: Canon::Relaxed,
        body_canon: Canon::Relaxed,
        headers: &[
            "from",
            "to",
            "subject",
            "date",
            "message-id",
            "reply-to",
            "cc",
            "sender",
        ],
        time: 1_704_067_200,
        expires: None,
        body_length: false,
    };
    let signature = sign(&headers, &body, &spec);
    let keymap = format!("sel._domainkey.example.org {}\n", key.public_record(""));
    for padding in [0, 64] {
        let mut m = b"From a@example.org Mon Jan  1 00:00:00 2024\n".to_vec();
        for k in 0..padding {
            m.extend_from_slice(
                format!(
                    "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=junk.example; s=s; h=from; l={}; bh=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=; b=AAAA\n",
                    k + 1
                )
                .as_bytes(),
            );
        }
        m.extend_from_slice(format!("DKIM-Signature: {signature}\n").as_bytes());
        for (n, v) in &headers {
            m.extend_from_slice(format!("{n}: {v}\n").as_bytes());
        }
        m.extend_from_slice(format!("\n{body}").as_bytes());
        let input = Hostile {
            dump: m,
            keymap: keymap.clone(),
        };
        let (reports, _) = scan_with(
            &input,
            "signed.mbox",
            Limits::default().signatures_per_message(100),
        );
        let r = &reports[0];
        let real = r.dkim.last().expect("the real signature");
        assert_eq!(real.domain, "example.org");
        assert_eq!(real.header_signature_valid, Some(true), "padding {padding}");
        if padding == 0 {
            assert_eq!(real.body_hash_valid, Some(true));
            assert_eq!(r.verdict, Verdict::Verified);
        } else {
            assert_eq!(real.body_hash_valid, None);
            assert!(
                !matches!(r.verdict, Verdict::Verified | Verdict::HeadersVerified),
                "{:?}",
                r.verdict
            );
            assert!(
                r.findings
                    .iter()
                    .any(|f| f.code.as_str() == "limit-exceeded"
                        && f.severity.as_str() == "high"
                        && f.evidence == vec![real.span])
            );
        }
    }
}

#[test]
fn many_keys_under_one_name_are_tried_up_to_the_budget() {
    let (reports, _) = scan(&hostile::keys_per_name(40, 4));
    let r = &reports[0];
    assert_eq!(r.dkim.len(), 4);
    for c in &r.dkim {
        assert!(c.detail.as_deref().unwrap_or_default().contains("limit 16"));
    }
}

#[test]
fn rsa_keys_with_huge_exponents_are_refused_when_loaded() {
    let input = hostile::huge_exponent(1);
    let mut keys = KeyStore::new();
    let report = keys.parse_str(&input.keymap, "hostile");
    assert_eq!(report.loaded, 0, "{:?}", report.problems);
    assert!(!report.problems.is_empty());
}

#[test]
fn copies_of_one_message_id_name_a_bounded_number_of_others() {
    let mut sizes = Vec::new();
    for n in [100, 400] {
        let (reports, out) = scan(&hostile::duplicate_ids(n));
        assert_eq!(reports.len(), n);
        for r in &reports {
            let dup: Vec<_> = r
                .findings
                .iter()
                .filter(|f| f.code.as_str() == "duplicate-message-id")
                .collect();
            assert_eq!(dup.len(), 1);
            let named = dup[0].detail.matches('#').count();
            assert_eq!(named, 20, "{}", dup[0].detail);
            assert!(
                dup[0].detail.contains(&format!("and {} more", n - 1 - 20)),
                "{}",
                dup[0].detail
            );
        }
        sizes.push((n, out));
    }
    assert_linear("duplicate-ids", sizes[0], sizes[1]);
}

#[test]
fn ids_that_differ_only_in_invalid_utf8_are_not_duplicates() {
    let mut dump = Vec::new();
    for (i, b) in [0xffu8, 0xfe].iter().enumerate() {
        dump.extend_from_slice(
            b"From x Mon Jan  1 00:00:00 2024\nFrom: a@example.org\nMessage-ID: <a",
        );
        dump.push(*b);
        dump.extend_from_slice(format!("@example.org>\n\nbody {i}\n\n").as_bytes());
    }
    let (reports, _) = scan(&Hostile {
        dump,
        keymap: String::new(),
    });
    assert_eq!(reports.len(), 2);
    for r in &reports {
        assert!(
            !r.findings
                .iter()
                .any(|f| f.code.as_str() == "duplicate-message-id"),
            "{:?}",
            r.findings
        );
    }
}

#[test]
fn a_zip_attachment_with_too_many_entries_is_not_opened() {
    for n in [100, 70_000] {
        let limits = Limits::default().zip_entries(50);
        let (reports, _) = scan_with(&hostile::zip_many_entries(n), "zip.mbox", limits);
        let r = &reports[0];
        assert!(
            limit_findings(r)
                .iter()
                .any(|d| d.contains(&format!("lists {n} entries, over the limit of 50"))),
            "{n}: {:?}",
            limit_findings(r)
        );
    }
}

#[test]
fn deeply_nested_multiparts_are_not_decoded() {
    let mut sizes = Vec::new();
    for n in [1_000, 4_000] {
        let (reports, out) = scan(&hostile::nested_multipart(n));
        assert_eq!(reports.len(), 1);
        assert!(
            limit_findings(&reports[0])
                .iter()
                .any(|d| d.contains("nested deeper than 64")),
            "{:?}",
            limit_findings(&reports[0])
        );
        sizes.push((n, out));
    }
    assert!(sizes[1].1 < sizes[0].1 + 64, "{sizes:?}");
}

#[test]
fn empty_messages_are_all_reported_and_the_output_is_linear() {
    let mut sizes = Vec::new();
    for n in [1_000, 4_000] {
        let (reports, out) = scan(&hostile::empty_messages(n));
        assert_eq!(reports.len(), n);
        sizes.push((n, out));
    }
    assert_linear("empty-messages", sizes[0], sizes[1]);
}

#[test]
fn past_the_dump_memory_budget_messages_are_still_reported() {
    let limits = Limits::default().dump_memory(100_000);
    let (reports, _) = scan_with(&hostile::duplicate_ids(2_000), "dup.mbox", limits);
    assert_eq!(reports.len(), 2_000);
    let flagged: Vec<_> = reports
        .iter()
        .filter(|r| !limit_findings(r).is_empty())
        .collect();
    assert_eq!(
        flagged.len(),
        1,
        "one message says where the budget was reached"
    );
    let first = flagged[0].index as usize;
    assert!(first > 0 && first < 2_000);
    // Messages past it take no part in the dump-wide checks.
    assert!(reports[first..].iter().all(|r| {
        !r.findings
            .iter()
            .any(|f| f.code.as_str() == "duplicate-message-id")
    }));
    assert!(reports[..first].iter().all(|r| {
        r.findings
            .iter()
            .any(|f| f.code.as_str() == "duplicate-message-id")
    }));
}

#[test]
fn findings_and_evidence_are_kept_within_their_budgets() {
    let limits = Limits::default()
        .findings_per_message(2)
        .evidence_per_finding(3);
    let (reports, _) = scan_with(&hostile::signatures_over_to(40), "to.mbox", limits);
    let r = &reports[0];
    assert_eq!(r.findings.len(), 2, "{:#?}", r.findings);
    assert!(r.findings.iter().all(|f| f.evidence.len() <= 3));
    assert!(
        limit_findings(r)
            .iter()
            .any(|d| d.contains("less severe findings dropped")),
        "{:?}",
        limit_findings(r)
    );
}

#[test]
fn an_as_of_beyond_the_year_9999_is_not_a_time() {
    assert!(mailsleuth::Timestamp::parse("253402300799").is_some());
    assert!(mailsleuth::Timestamp::parse("253402300800").is_none());
    assert!(mailsleuth::Timestamp::parse("99999999999999999").is_none());
}
