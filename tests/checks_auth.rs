//! Signature-derived findings and the verdict of the report contract.

use mailsleuth::checks::signatures::{
    ArcFacts, DuplicateFacts, SignatureFacts, SignatureResult, Verdict, findings, verdict,
};
use mailsleuth::checks::{Basis, Config, Finding, FindingCode, Severity};
use mailsleuth::{Headers, Span};

const MSG: &str = "ARC-Authentication-Results: i=1; mx.google.com; dkim=pass\r
Authentication-Results: mx.example.org; dkim=pass\r
DKIM-Signature: v=1; d=example.org; s=s1; b=abc\r
From: Alice <alice@example.org>\r
Subject: hello\r
Date: Mon, 27 Mar 2017 10:05:07 +0200\r
To: bob@example.net\r
\r
body\r
";

fn headers() -> Headers<'static> {
    Headers::parse(MSG.as_bytes(), 0)
}

fn sig(result: SignatureResult) -> SignatureFacts {
    let span = headers().get("dkim-signature").unwrap().span();
    SignatureFacts::new("example.org", result, span)
}

fn codes(f: &[Finding]) -> Vec<&'static str> {
    f.iter().map(|f| f.code.as_str()).collect()
}

fn run(sigs: &[SignatureFacts], arc: Option<&ArcFacts>) -> (Vec<Finding>, Verdict) {
    let h = headers();
    let mut f = findings(&h, sigs, arc, &Config::default());
    f.retain(|f| f.code != FindingCode::UnsealedAuthResults);
    let d = verdict(Some("example.org"), sigs, arc, &[], &f);
    (f, d.verdict)
}

#[test]
fn passing_aligned_signature_is_verified_and_silent() {
    let (f, v) = run(&[sig(SignatureResult::Pass)], None);
    assert!(f.is_empty(), "{f:?}");
    assert_eq!(v, Verdict::Verified);
}

#[test]
fn modified_body_or_headers_is_tampered_with_cryptographic_basis() {
    for (r, code) in [
        (SignatureResult::BodyModified, FindingCode::DkimBodyModified),
        (
            SignatureResult::HeadersModified,
            FindingCode::DkimHeadersModified,
        ),
    ] {
        let (f, v) = run(&[sig(r)], None);
        assert_eq!(f[0].code, code);
        assert_eq!(f[0].severity, Severity::High);
        assert_eq!(f[0].basis, Basis::Cryptographic);
        assert_eq!(v, Verdict::Tampered);
    }
}

#[test]
fn unsigned_tail_and_injected_header_are_tampered() {
    let mut s = sig(SignatureResult::Pass);
    s.unsigned_body_bytes = 42;
    s.unsigned_body = Some(Span::new(200, 242));
    let (f, v) = run(&[s], None);
    assert_eq!(codes(&f), ["dkim-unsigned-tail"]);
    assert_eq!(f[0].evidence[1], Span::new(200, 242));
    assert_eq!(v, Verdict::Tampered);

    let mut s = sig(SignatureResult::Pass);
    s.duplicates.push(DuplicateFacts {
        name: "From".into(),
        displayed: Span::new(0, 10),
        signed: vec![Span::new(20, 30)],
        displayed_is_signed: false,
    });
    let (f, v) = run(&[s], None);
    assert_eq!(codes(&f), ["dkim-injected-header"]);
    assert_eq!(f[0].evidence, [Span::new(0, 10), Span::new(20, 30)]);
    assert_eq!(v, Verdict::Tampered);
}

#[test]
fn unsigned_displayed_headers_withhold_verified() {
    let h = headers();
    let mut s = sig(SignatureResult::Pass);
    s.unsigned_headers
        .push(("To".into(), h.get("to").unwrap().span()));
    let (f, v) = run(std::slice::from_ref(&s), None);
    assert_eq!(f[0].severity, Severity::Low);
    assert_eq!(v, Verdict::Unverified);
    s.unsigned_headers
        .push(("Subject".into(), h.get("subject").unwrap().span()));
    let (f, v) = run(&[s], None);
    assert_eq!(f[0].severity, Severity::Medium);
    assert_eq!(v, Verdict::Suspicious);
}

#[test]
fn key_problems() {
    let mut s = sig(SignatureResult::Pass);
    s.weak_key = true;
    s.testing = true;
    let (f, v) = run(&[s], None);
    assert_eq!(codes(&f), ["dkim-weak-key", "dkim-testing-key"]);
    // A weak key is medium: the signature still verifies, the verdict stays verified.
    assert_eq!(v, Verdict::Verified);
    let mut s = sig(SignatureResult::Pass);
    s.private_key_published = Some("2020-01-01".into());
    let (f, v) = run(&[s], None);
    assert_eq!(codes(&f), ["dkim-key-published"]);
    assert_eq!(v, Verdict::Suspicious);
    let mut s = sig(SignatureResult::Pass);
    s.key_valid_from = Some(1_500_000_000);
    let (f, _) = run(std::slice::from_ref(&s), None);
    assert_eq!(codes(&f), ["date-outside-key-validity"]);
    assert_eq!(f[0].basis, Basis::Heuristic);
    let mut failing = s.clone();
    failing.result = SignatureResult::HeadersModified;
    assert_eq!(codes(&run(&[failing], None).0), ["dkim-headers-modified"]);
    s.key_valid_from = Some(1_400_000_000);
    assert!(run(&[s], None).0.is_empty());
}

#[test]
fn alignment_and_unverifiable_signatures() {
    let span = headers().get("dkim-signature").unwrap().span();
    let other = SignatureFacts::new("esp.example.com", SignatureResult::Pass, span);
    let (f, v) = run(&[other], None);
    assert_eq!(codes(&f), ["dkim-not-aligned"]);
    assert_eq!(v, Verdict::Unverified);
    let (f, v) = run(&[sig(SignatureResult::NotChecked)], None);
    assert!(f.is_empty());
    assert_eq!(v, Verdict::Unverified);
    let sub = SignatureFacts::new("mail.example.org", SignatureResult::Pass, span);
    assert_eq!(run(&[sub], None).1, Verdict::Verified);
}

#[test]
fn heuristics_never_change_a_cryptographic_result() {
    let high = Finding::heuristic(FindingCode::DuplicateFrom, Severity::High, "x", vec![]);
    let medium = Finding::heuristic(
        FindingCode::ReceivedOutOfOrder,
        Severity::Medium,
        "x",
        vec![],
    );
    let pass = [sig(SignatureResult::Pass)];
    let d = verdict(
        Some("example.org"),
        &pass,
        None,
        &[],
        std::slice::from_ref(&medium),
    );
    assert_eq!(d.verdict, Verdict::Verified);
    let d = verdict(
        Some("example.org"),
        &pass,
        None,
        &[],
        std::slice::from_ref(&high),
    );
    assert_eq!(d.verdict, Verdict::Suspicious);
    assert_eq!(d.because, [0]);
    let body = [sig(SignatureResult::BodyModified)];
    let d = verdict(Some("example.org"), &body, None, &[], &[]);
    assert_eq!(d.verdict, Verdict::Tampered);
    let d = verdict(None, &[], None, &[], &[medium]);
    assert_eq!(d.verdict, Verdict::Suspicious);
}

#[test]
fn arc_seal_and_authentication_results() {
    let h = headers();
    let aar = h.get("arc-authentication-results").unwrap().span();
    let ar = h.get("authentication-results").unwrap().span();
    let f = findings(&h, &[], None, &Config::default());
    assert_eq!(codes(&f), ["unsealed-auth-results"]);
    assert_eq!(f[0].evidence, [aar, ar]);
    let arc = ArcFacts {
        pass: true,
        sealer: Some("google.com".into()),
        sealed_results: vec![aar],
    };
    let f = findings(&h, &[], Some(&arc), &Config::default());
    assert_eq!(f[0].evidence, [ar]);
    // A trusted sealer's verified chain counts like a signature; an untrusted one does not.
    assert_eq!(
        verdict(Some("example.org"), &[], Some(&arc), &["google.com"], &[]).verdict,
        Verdict::Verified
    );
    assert_eq!(
        verdict(Some("example.org"), &[], Some(&arc), &[], &[]).verdict,
        Verdict::Unverified
    );
}

#[cfg(feature = "serde")]
#[test]
fn verdict_names() {
    for (v, s) in [
        (Verdict::Verified, "verified"),
        (Verdict::Tampered, "tampered"),
        (Verdict::Suspicious, "suspicious"),
        (Verdict::Unverified, "unverified"),
    ] {
        assert_eq!(v.as_str(), s);
        assert_eq!(serde_json::to_value(v).unwrap(), s);
    }
}

#[test]
fn from_domain_of_the_displayed_from() {
    let h = Headers::parse(
        b"From: \"Dupont, J.\" <J.Dupont@Example.ORG>\nFrom: x@y.z\n\n",
        0,
    );
    assert_eq!(
        mailsleuth::checks::from_domain(&h).as_deref(),
        Some("example.org")
    );
    assert_eq!(
        mailsleuth::checks::from_domain(&Headers::parse(b"From: nobody\n\n", 0)),
        None
    );
}

#[test]
fn unsigned_headers_a_reader_does_not_see_or_of_other_signers() {
    let h = headers();
    // Content-Type / Message-ID unsigned: a low finding, the verdict stays verified.
    let mut s = sig(SignatureResult::Pass);
    s.unsigned_headers
        .push(("Content-Type".into(), Span::new(0, 1)));
    let (f, v) = run(&[s], None);
    assert_eq!(f[0].severity, Severity::Low);
    assert_eq!(v, Verdict::Verified);
    // A signer of another domain that leaves Subject unsigned vouched for nothing displayed.
    let span = h.get("dkim-signature").unwrap().span();
    let mut other = SignatureFacts::new("esp.example.com", SignatureResult::Pass, span);
    other
        .unsigned_headers
        .push(("Subject".into(), h.get("subject").unwrap().span()));
    other.weak_key = true;
    let (f, v) = run(&[sig(SignatureResult::Pass), other], None);
    let sevs: Vec<_> = f.iter().map(|f| (f.code.as_str(), f.severity)).collect();
    assert!(
        sevs.contains(&("dkim-unsigned-header", Severity::Info)),
        "{sevs:?}"
    );
    assert!(sevs.contains(&("dkim-weak-key", Severity::Low)), "{sevs:?}");
    assert_eq!(v, Verdict::Verified);
}
