//! Mailing-list transit: signatures broken by a list's footer, MIME wrapping, subject tag
//! and Reply-To are proven again on the signed original (`headers-verified`), and list-style
//! forgeries are never `verified` nor `headers-verified`.

use mailsleuth::auth::KeyStore;
use mailsleuth::{Analyzer, Entry, Reader, Report, Verdict};
use mailsleuth_testkit::lists::{Kind, keymap, mbox, message};

fn analyze(text: String) -> Vec<Report> {
    let mut keys = KeyStore::new();
    assert_eq!(keys.parse_str(&keymap(), "lists").loaded, 1);
    let analyzer = Analyzer::new(keys);
    Reader::new()
        .read_bytes("lists.mbox", bytes::Bytes::from(text.into_bytes()))
        .filter_map(|e| match e {
            Ok(Entry::Message(m)) => Some(analyzer.analyze(&m)),
            _ => None,
        })
        .collect()
}

fn repair(r: &Report) -> String {
    r.dkim
        .first()
        .and_then(|d| d.repair)
        .map(|x| x.to_string())
        .unwrap_or_default()
}

#[test]
fn authentic_list_mail_is_headers_verified() {
    for (kind, i, want) in [
        (Kind::Ezmlm, 0, vec!["list-footer", "subject-tag"]),
        (Kind::Ezmlm, 1, vec!["list-footer", "subject-tag"]),
        (Kind::Ezmlm, 4, vec!["list-footer", "subject-tag"]),
        (Kind::Mailman, 2, vec!["mime-wrap", "subject-tag"]),
        (Kind::Mailman, 3, vec!["mime-wrap", "subject-tag"]),
        (Kind::GoogleGroups, 5, vec!["list-footer"]),
        (
            Kind::MailmanEncoded,
            2,
            vec!["mime-wrap", "subject-tag", "subject-reencoded"],
        ),
        (
            Kind::MailmanEncoded,
            3,
            vec!["mime-wrap", "subject-tag", "subject-reencoded"],
        ),
    ] {
        let reports = analyze(message(kind, i));
        let r = &reports[0];
        assert_eq!(r.verdict, Verdict::HeadersVerified, "{kind:?} {i}: {r:#?}");
        let rep = repair(r);
        for w in want {
            assert!(rep.contains(w), "{kind:?} {i}: repair {rep}");
        }
        let d = &r.dkim[0];
        assert!(!d.transit_added.is_empty());
        // The added bytes are shown, at info severity, on a list's route.
        let f = r
            .findings
            .iter()
            .find(|f| f.code.as_str() == "dkim-transit-change")
            .expect("transit finding");
        assert_eq!(f.severity.as_str(), "info");
        assert!(
            r.findings
                .iter()
                .all(|f| f.severity.as_str() != "high" && f.severity.as_str() != "medium"),
            "{kind:?} {i}: {:#?}",
            r.findings
        );
    }
}

#[test]
fn footer_bytes_are_the_evidence() {
    let text = message(Kind::Ezmlm, 0);
    let reports = analyze(text.clone());
    let d = &reports[0].dkim[0];
    let spans: Vec<&str> = d
        .transit_added
        .iter()
        .map(|s| &text[s.start as usize..s.end as usize])
        .collect();
    assert!(
        spans.iter().any(|s| s.contains("To unsubscribe, e-mail:")),
        "{spans:?}"
    );
    assert!(spans.contains(&"[users@httpd] "), "{spans:?}");
    assert!(spans.iter().all(|s| !s.contains("Any idea")), "{spans:?}");
}

#[test]
fn list_style_forgeries_are_never_verified() {
    for kind in [
        Kind::EditUnderFooter,
        Kind::TextBeforeFooter,
        Kind::SubjectBeyondTag,
        Kind::FooterWithoutList,
        Kind::EditUnderCustomFooter,
        Kind::TextBeforeCustomFooter,
        Kind::CustomFooterWithoutList,
        Kind::EncodedBeyondTag,
    ] {
        for i in 0..4 {
            let r = &analyze(message(kind, i))[0];
            assert_eq!(r.verdict, Verdict::Tampered, "{kind:?} {i}: {:#?}", r.dkim);
        }
    }
}

#[test]
fn a_generated_dump_splits_as_expected() {
    let (text, kinds) = mbox(44);
    // Message by message, a footer of no known shape is not explained.
    let reports = analyze(text.clone());
    assert_eq!(reports.len(), kinds.len());
    for (r, k) in reports.iter().zip(&kinds) {
        if k.authentic() && !k.custom_footer() {
            assert_eq!(r.verdict, Verdict::HeadersVerified, "{k:?}");
        } else {
            assert_eq!(r.verdict, Verdict::Tampered, "{k:?}");
        }
    }
    // A scan learns it from the dump (it ends the mail of four senders of the list).
    let mut keys = KeyStore::new();
    keys.parse_str(&keymap(), "lists");
    let (scanned, _) =
        mailsleuth::Scanner::new(Analyzer::new(keys)).scan_all(mailsleuth::Input::Bytes {
            name: "lists.mbox".into(),
            data: text.into(),
        });
    assert_eq!(scanned.len(), kinds.len());
    for (r, k) in scanned.iter().zip(&kinds) {
        let r = r.as_ref().expect("read");
        if k.authentic() {
            assert_eq!(r.verdict, Verdict::HeadersVerified, "{k:?}");
        } else {
            assert_eq!(r.verdict, Verdict::Tampered, "{k:?}");
        }
    }
}

/// The HTML alternative of multipart list mail taken out, as list archives do: the bytes
/// cannot prove the body, but the signed headers stand (`headers-verified`, the body change
/// a medium finding), while an edit of the text that keeps both alternatives is `tampered`.
#[test]
fn an_archive_dropping_the_html_alternative_leaves_the_headers_verified() {
    let original = message(Kind::Ezmlm, 1);
    let html = original
        .find("Content-Type: text/html")
        .expect("an HTML alternative");
    let part_start = original[..html].rfind("\n--").expect("its delimiter") + 1;
    let part_end = part_start
        + 1
        + original[part_start + 1..]
            .find("\n--")
            .expect("the next delimiter");
    let dropped = format!("{}{}", &original[..part_start], &original[part_end + 1..]);
    assert!(!dropped.contains("text/html"));
    let reports = analyze(dropped);
    assert_eq!(reports.len(), 1);
    let r = &reports[0];
    assert_eq!(r.verdict, Verdict::HeadersVerified, "{:?}", r.findings);
    let body = r
        .findings
        .iter()
        .find(|f| f.code.as_str() == "dkim-body-modified")
        .expect("the body change is a finding");
    assert_eq!(body.severity, mailsleuth::checks::Severity::Medium);

    // The same message with its text edited and both alternatives kept.
    let edited = original.replacen("fail with a 502", "fail with a 504", 1);
    assert_ne!(edited, original);
    let reports = analyze(edited);
    assert_eq!(reports[0].verdict, Verdict::Tampered);
}
