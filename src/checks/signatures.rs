//! Findings from the signature results of one message: tampering, unsigned content, weak,
//! testing or published keys, key validity against `Date`, alignment with the From domain,
//! and authentication results not under a verified ARC seal. Findings that rest on a
//! signature check carry [`Basis::Cryptographic`](super::Basis::Cryptographic).

use super::{Finding, FindingCode, Severity};
use crate::auth::{ArcCheck, ArcResult, DkimCheck, DkimResult};
use crate::fields::date::format_utc;
use crate::fields::domain::{address, domain_of};
use crate::read::headers::Headers;
use crate::span::Span;
use crate::verdict::aligned;

/// Headers whose signing matters most to a reader: unsigned by a signature of the From
/// domain, they make a medium finding.
const KEY_HEADERS: [&str; 3] = ["from", "subject", "date"];

/// Findings from the signature results of one message: tampering, unsigned content, weak,
/// testing or published keys, key validity against `Date`, alignment with the From domain,
/// and authentication results not under a verified ARC seal.
pub(crate) fn findings(
    headers: &Headers<'_>,
    signatures: &[DkimCheck],
    arc: Option<&ArcCheck>,
) -> Vec<Finding> {
    let mut out = Vec::new();
    let body = headers.body_span();
    let from_domain = super::from_domain(headers);
    let list_route = crate::auth::transit::route_shows_list(headers);
    // Read from the body only when a signature of the From domain lost its body hash on a
    // list's route (the one case it can explain).
    let alternative_dropped = list_route
        && signatures.iter().any(|s| {
            s.result == DkimResult::BodyModified
                && from_domain
                    .as_deref()
                    .is_some_and(|f| aligned(&s.domain, f))
        })
        && crate::auth::transit::alternative_dropped(headers);
    for s in signatures {
        let d = &s.domain;
        let is_aligned = from_domain.as_deref().is_some_and(|f| aligned(d, f));
        let archived = list_route
            && is_aligned
            && alternative_dropped
            && crate::verdict::content_type_signed(s);
        match s.result {
            DkimResult::BodyModified if archived => out.push(Finding::cryptographic(
                FindingCode::DkimBodyModified,
                Severity::Medium,
                format!("The signature of {d} covers the headers but the body no longer matches its hash: the body lost an alternative part its signed Content-Type announces, as list archives do with HTML alternatives on the mailing list this message went through. The headers are verified; the body is not proven."),
                vec![s.span, body],
            )),
            DkimResult::BodyModified => out.push(Finding::cryptographic(
                FindingCode::DkimBodyModified,
                Severity::High,
                format!("The signature of {d} covers the headers but the body no longer matches its hash: the body changed after signing."),
                vec![s.span, body],
            )),
            DkimResult::HeadersModified => out.push(Finding::cryptographic(
                FindingCode::DkimHeadersModified,
                Severity::High,
                format!("The signature of {d} does not verify over the signed headers: they changed after signing (or another key was used)."),
                vec![s.span],
            )),
            _ => {}
        }
        if s.proven_after_transit() {
            let what = s.repair.map(|r| r.to_string()).unwrap_or_default();
            let mut ev = s.transit_added.clone();
            ev.push(s.span);
            out.push(if list_route && s.body_hash_valid != Some(true) {
                Finding::cryptographic(
                    FindingCode::DkimTransitChange,
                    Severity::Info,
                    format!("The signature of {d} verifies over the signed headers once the mailing list's change ({what}) is undone, proven by the header signature; the body does not match its hash (see the body finding)."),
                    ev,
                )
            } else if list_route {
                Finding::cryptographic(
                    FindingCode::DkimTransitChange,
                    Severity::Info,
                    format!("The signature of {d} verifies over the original once the mailing list's change ({what}) is undone, proven by the hash: the bytes the list added are not signed."),
                    ev,
                )
            } else {
                Finding::cryptographic(
                    FindingCode::DkimTransitChange,
                    Severity::High,
                    format!("The signature of {d} verifies only once bytes added after signing are taken out ({what}), and the route shows no mailing list that would add them: they were added by someone else."),
                    ev,
                )
            });
        }
        if s.header_valid() {
            if s.unsigned_body_bytes > 0 {
                let mut ev = vec![s.span];
                ev.extend(s.unsigned_body);
                out.push(Finding::cryptographic(
                    FindingCode::DkimUnsignedTail,
                    Severity::High,
                    format!(
                        "The signature of {d} covers only part of the body (l=): {} bytes after it are unsigned and could have been added by anyone.",
                        s.unsigned_body_bytes
                    ),
                    ev,
                ));
            }
            for dup in s.injected() {
                let mut ev = vec![dup.displayed];
                ev.extend(dup.signed.iter().copied());
                if list_route && crate::verdict::list_adds(&dup.name) {
                    out.push(Finding::cryptographic(
                        FindingCode::DkimInjectedHeader,
                        Severity::Low,
                        format!(
                            "The {} header a mail client shows is not the one the signature of {d} covers: the mailing list on the route added its own copy above the author's.",
                            dup.name
                        ),
                        ev,
                    ));
                    continue;
                }
                out.push(Finding::cryptographic(
                    FindingCode::DkimInjectedHeader,
                    Severity::High,
                    format!(
                        "The {} header a mail client shows is not the one the signature of {d} covers: an unsigned copy was added above the signed one.",
                        dup.name
                    ),
                    ev,
                ));
            }
            for field in &s.unsigned_header_fields {
                let (name, span) = (&field.name, &field.span);
                let key = KEY_HEADERS.iter().any(|k| name.eq_ignore_ascii_case(k));
                // A signer of another domain never vouched for the displayed headers.
                let severity = match (is_aligned, key) {
                    (false, _) => Severity::Info,
                    (true, true) => Severity::Medium,
                    (true, false) => Severity::Low,
                };
                out.push(Finding::cryptographic(
                    FindingCode::DkimUnsignedHeader,
                    severity,
                    format!("The {name} header is displayed but not covered by the signature of {d}: it could have been changed."),
                    vec![*span, s.span],
                ));
            }
        }
        if s.weak_key {
            out.push(Finding::cryptographic(
                FindingCode::DkimWeakKey,
                if is_aligned {
                    Severity::Medium
                } else {
                    Severity::Low
                },
                format!("The signature of {d} uses an RSA key under 1024 bits or SHA-1: it can be forged at modest cost."),
                vec![s.span],
            ));
        }
        if s.testing {
            out.push(Finding::cryptographic(
                FindingCode::DkimTestingKey,
                Severity::Low,
                format!("The key of {d} is flagged as testing (t=y): receivers were asked not to rely on it."),
                vec![s.span],
            ));
        }
        let annotations = s.key_annotations.as_ref();
        if let Some(when) = annotations.and_then(|a| a.private_key_published.as_ref()) {
            out.push(Finding::cryptographic(
                FindingCode::DkimKeyPublished,
                Severity::High,
                format!("The private key of {d} was published ({when}): anyone could have made this signature."),
                vec![s.span],
            ));
        }
        // Which key a failing signature was made with is unknown: only a verified header
        // signature ties the message to the key's period of use.
        let (valid_from, valid_until) = (
            annotations.and_then(|a| a.valid_from),
            annotations.and_then(|a| a.valid_until),
        );
        if s.header_valid()
            && (valid_from.is_some() || valid_until.is_some())
            && let Some(date) = headers.get("date")
            && let Some(t) = crate::fields::date::parse(&date.value())
        {
            let before = valid_from.is_some_and(|f| t.unix < f);
            let after = valid_until.is_some_and(|u| t.unix > u);
            if before || after {
                let edge = if before { valid_from } else { valid_until };
                out.push(Finding::heuristic(
                    FindingCode::DateOutsideKeyValidity,
                    Severity::Medium,
                    format!(
                        "The Date ({}) is {} the known period of use of the key of {d} ({} {}).",
                        format_utc(t.unix),
                        if before { "before" } else { "after" },
                        if before { "first used" } else { "last used" },
                        edge.map(format_utc).unwrap_or_default()
                    ),
                    vec![date.span(), s.span],
                ));
            }
        }
    }
    // Alignment with the From domain.
    if !signatures.is_empty()
        && let Some(from) = headers.get("from")
        && let Some(addr) = address(&from.value())
        && let Some(fd) = domain_of(&addr)
        && !signatures.iter().any(|s| aligned(&s.domain, fd))
    {
        let mut ev = vec![from.span()];
        ev.extend(signatures.iter().map(|s| s.span));
        out.push(Finding::cryptographic(
                            FindingCode::DkimNotAligned,
                            Severity::Low,
                            format!("No signature is by the From domain {fd}; the signers only vouch for their own domains."),
                            ev,
                        ));
    }
    // Authentication results not under a verified seal.
    let sealed: Vec<Span> = arc
        .filter(|a| a.result == ArcResult::Pass)
        .map(|a| {
            a.sets
                .iter()
                .filter_map(|s| s.authentication_results.as_ref().map(|r| r.span))
                .collect()
        })
        .unwrap_or_default();
    let unsealed: Vec<Span> = headers
        .iter()
        .filter(|f| {
            f.is_named("authentication-results") || f.is_named("arc-authentication-results")
        })
        .map(|f| f.span())
        .filter(|s| !sealed.contains(s))
        .collect();
    if !unsealed.is_empty() {
        out.push(Finding::cryptographic(
            FindingCode::UnsealedAuthResults,
            Severity::Info,
            format!(
                "{} Authentication-Results header(s) are not under a verified ARC seal: anyone on the path could have written them.",
                unsealed.len()
            ),
            unsealed,
        ));
    }
    super::sort(&mut out);
    out
}

#[cfg(test)]
mod tests {
    //! Signature-derived findings and the verdict of the report contract, on crafted results.

    use super::*;
    use crate::auth::{
        ArcSet, ChainValidation, DuplicateHeader, HeaderRef, KeyAnnotations, SealedResults,
    };
    use crate::checks::Basis;
    use crate::timestamp::Timestamp;
    use crate::verdict::{Proof, Verdict, because, decide};

    const MSG: &str = "ARC-Authentication-Results: i=1; mx.google.com; dkim=pass\r\n\
        Authentication-Results: mx.example.org; dkim=pass\r\n\
        DKIM-Signature: v=1; d=example.org; s=s1; b=abc\r\n\
        From: Alice <alice@example.org>\r\n\
        Subject: hello\r\n\
        Date: Mon, 27 Mar 2017 10:05:07 +0200\r\n\
        To: bob@example.net\r\n\
        \r\n\
        body\r\n";

    fn headers() -> Headers<'static> {
        Headers::parse(MSG.as_bytes(), 0)
    }

    fn check(domain: &str, result: DkimResult) -> DkimCheck {
        let span = headers().get("dkim-signature").unwrap().span();
        let mut c = DkimCheck::new(domain, span, Timestamp::from_unix(0));
        c.result = result;
        c
    }

    fn sig(result: DkimResult) -> DkimCheck {
        check("example.org", result)
    }

    fn unsigned(name: &str, span: Span) -> HeaderRef {
        HeaderRef {
            name: name.into(),
            span,
        }
    }

    /// The verdict of these signatures, ARC chain and findings for a message from example.org.
    fn verdict(
        sigs: &[DkimCheck],
        arc: Option<&ArcCheck>,
        trusted: &[&str],
        findings: &[Finding],
    ) -> Verdict {
        let trusted: Vec<String> = trusted.iter().map(|t| t.to_string()).collect();
        decide(
            Proof::of(Some("example.org"), sigs, arc, &trusted, false, false),
            findings,
        )
    }

    fn codes(f: &[Finding]) -> Vec<&'static str> {
        f.iter().map(|f| f.code.as_str()).collect()
    }

    fn run(sigs: &[DkimCheck], arc: Option<&ArcCheck>) -> (Vec<Finding>, Verdict) {
        let h = headers();
        let mut f = findings(&h, sigs, arc);
        f.retain(|f| f.code != FindingCode::UnsealedAuthResults);
        let v = verdict(sigs, arc, &[], &f);
        (f, v)
    }

    #[test]
    fn passing_aligned_signature_is_verified_and_silent() {
        let (f, v) = run(&[sig(DkimResult::Pass)], None);
        assert!(f.is_empty(), "{f:?}");
        assert_eq!(v, Verdict::Verified);
    }

    #[test]
    fn modified_body_or_headers_is_tampered_with_cryptographic_basis() {
        for (r, code) in [
            (DkimResult::BodyModified, FindingCode::DkimBodyModified),
            (
                DkimResult::HeadersModified,
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
        let mut s = sig(DkimResult::Pass);
        s.unsigned_body_bytes = 42;
        s.unsigned_body = Some(Span::new(200, 242));
        let (f, v) = run(&[s], None);
        assert_eq!(codes(&f), ["dkim-unsigned-tail"]);
        assert_eq!(f[0].evidence[1], Span::new(200, 242));
        assert_eq!(v, Verdict::Tampered);

        let mut s = sig(DkimResult::Pass);
        s.duplicate_headers.push(DuplicateHeader {
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
        let mut s = sig(DkimResult::Pass);
        s.unsigned_header_fields
            .push(unsigned("To", h.get("to").unwrap().span()));
        let (f, v) = run(std::slice::from_ref(&s), None);
        assert_eq!(f[0].severity, Severity::Low);
        assert_eq!(v, Verdict::Unverified);
        s.unsigned_header_fields
            .push(unsigned("Subject", h.get("subject").unwrap().span()));
        let (f, v) = run(&[s], None);
        assert_eq!(f[0].severity, Severity::Medium);
        assert_eq!(v, Verdict::Suspicious);
    }

    #[test]
    fn key_problems() {
        let mut s = sig(DkimResult::Pass);
        s.weak_key = true;
        s.testing = true;
        let (f, v) = run(&[s], None);
        assert_eq!(codes(&f), ["dkim-weak-key", "dkim-testing-key"]);
        // A weak key is medium: the signature still verifies, the verdict stays verified.
        assert_eq!(v, Verdict::Verified);
        let mut s = sig(DkimResult::Pass);
        s.key_annotations = Some(KeyAnnotations {
            private_key_published: Some("2020-01-01".into()),
            ..KeyAnnotations::default()
        });
        let (f, v) = run(&[s], None);
        assert_eq!(codes(&f), ["dkim-key-published"]);
        assert_eq!(v, Verdict::Suspicious);
        let mut s = sig(DkimResult::Pass);
        s.key_annotations = Some(KeyAnnotations {
            valid_from: Some(1_500_000_000),
            ..KeyAnnotations::default()
        });
        let (f, _) = run(std::slice::from_ref(&s), None);
        assert_eq!(codes(&f), ["date-outside-key-validity"]);
        assert_eq!(f[0].basis, Basis::Heuristic);
        let mut failing = s.clone();
        failing.result = DkimResult::HeadersModified;
        assert_eq!(codes(&run(&[failing], None).0), ["dkim-headers-modified"]);
        s.key_annotations = Some(KeyAnnotations {
            valid_from: Some(1_400_000_000),
            ..KeyAnnotations::default()
        });
        assert!(run(&[s], None).0.is_empty());
    }

    #[test]
    fn alignment_and_unverifiable_signatures() {
        let other = check("esp.example.com", DkimResult::Pass);
        let (f, v) = run(&[other], None);
        assert_eq!(codes(&f), ["dkim-not-aligned"]);
        assert_eq!(v, Verdict::Unverified);
        let (f, v) = run(&[sig(DkimResult::NoKey)], None);
        assert!(f.is_empty());
        assert_eq!(v, Verdict::Unverified);
        let sub = check("mail.example.org", DkimResult::Pass);
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
        let pass = [sig(DkimResult::Pass)];
        assert_eq!(
            verdict(&pass, None, &[], std::slice::from_ref(&medium)),
            Verdict::Verified
        );
        let v = verdict(&pass, None, &[], std::slice::from_ref(&high));
        assert_eq!(v, Verdict::Suspicious);
        assert_eq!(because(v, std::slice::from_ref(&high)), [0]);
        let body = [sig(DkimResult::BodyModified)];
        assert_eq!(verdict(&body, None, &[], &[]), Verdict::Tampered);
        assert_eq!(decide(Proof::default(), &[medium]), Verdict::Suspicious);
    }

    #[test]
    fn arc_seal_and_authentication_results() {
        let h = headers();
        let aar = h.get("arc-authentication-results").unwrap().span();
        let ar = h.get("authentication-results").unwrap().span();
        let f = findings(&h, &[], None);
        assert_eq!(codes(&f), ["unsealed-auth-results"]);
        assert_eq!(f[0].evidence, [aar, ar]);
        let arc = ArcCheck {
            result: ArcResult::Pass,
            instances: 1,
            sets: vec![ArcSet {
                i: 1,
                domain: "google.com".into(),
                selector: "arc-20160816".into(),
                cv: ChainValidation::None,
                seal_valid: Some(true),
                message_signature_valid: Some(true),
                seal_span: None,
                message_signature_span: None,
                authentication_results: Some(SealedResults {
                    value: String::new(),
                    span: aar,
                }),
            }],
            detail: None,
            repair: None,
        };
        let f = findings(&h, &[], Some(&arc));
        assert_eq!(f[0].evidence, [ar]);
        // A trusted sealer's verified chain counts like a signature; an untrusted one does not.
        assert_eq!(
            verdict(&[], Some(&arc), &["google.com"], &[]),
            Verdict::Verified
        );
        assert_eq!(verdict(&[], Some(&arc), &[], &[]), Verdict::Unverified);
    }

    #[cfg(feature = "serde")]
    #[test]
    fn verdict_names() {
        for (v, s) in [
            (Verdict::Verified, "verified"),
            (Verdict::HeadersVerified, "headers-verified"),
            (Verdict::Tampered, "tampered"),
            (Verdict::Suspicious, "suspicious"),
            (Verdict::Unverified, "unverified"),
        ] {
            assert_eq!(v.as_str(), s);
            assert_eq!(serde_json::to_value(v).unwrap(), s);
        }
    }

    #[test]
    fn header_signature_alone_proves_the_headers() {
        // The header signature verifies and the body could not be checked.
        let mut s = sig(DkimResult::Pass);
        s.header_signature_valid = Some(true);
        s.body_hash_valid = None;
        assert_eq!(
            verdict(std::slice::from_ref(&s), None, &[], &[]),
            Verdict::Verified
        );
        s.result = DkimResult::BodyModified;
        let headers_only = verdict(std::slice::from_ref(&s), None, &[], &[]);
        // A body-modified result is a change; a body that was not checked is not.
        assert_eq!(headers_only, Verdict::Tampered);
        let mut unchecked = check("example.org", DkimResult::Malformed);
        unchecked.header_signature_valid = Some(true);
        assert_eq!(
            verdict(std::slice::from_ref(&unchecked), None, &[], &[]),
            Verdict::HeadersVerified
        );
        let high = Finding::heuristic(FindingCode::DuplicateFrom, Severity::High, "x", vec![]);
        assert_eq!(
            verdict(std::slice::from_ref(&unchecked), None, &[], &[high]),
            Verdict::Suspicious
        );
        // Another domain's header signature proves nothing the reader sees.
        let mut other = check("esp.example.com", DkimResult::Malformed);
        other.header_signature_valid = Some(true);
        assert_eq!(verdict(&[other], None, &[], &[]), Verdict::Unverified);
    }

    #[test]
    fn from_domain_of_the_displayed_from() {
        let h = Headers::parse(
            b"From: \"Dupont, J.\" <J.Dupont@Example.ORG>\nFrom: x@y.z\n\n",
            0,
        );
        assert_eq!(
            crate::checks::from_domain(&h).as_deref(),
            Some("example.org")
        );
        assert_eq!(
            crate::checks::from_domain(&Headers::parse(b"From: nobody\n\n", 0)),
            None
        );
    }

    #[test]
    fn unsigned_headers_a_reader_does_not_see_or_of_other_signers() {
        let h = headers();
        // Content-Type / Message-ID unsigned: a low finding, the verdict stays verified.
        let mut s = sig(DkimResult::Pass);
        s.unsigned_header_fields
            .push(unsigned("Content-Type", Span::new(0, 1)));
        let (f, v) = run(&[s], None);
        assert_eq!(f[0].severity, Severity::Low);
        assert_eq!(v, Verdict::Verified);
        // A signer of another domain that leaves Subject unsigned vouched for nothing displayed.
        let mut other = check("esp.example.com", DkimResult::Pass);
        other
            .unsigned_header_fields
            .push(unsigned("Subject", h.get("subject").unwrap().span()));
        other.weak_key = true;
        let (f, v) = run(&[sig(DkimResult::Pass), other], None);
        let sevs: Vec<_> = f.iter().map(|f| (f.code.as_str(), f.severity)).collect();
        assert!(
            sevs.contains(&("dkim-unsigned-header", Severity::Info)),
            "{sevs:?}"
        );
        assert!(sevs.contains(&("dkim-weak-key", Severity::Low)), "{sevs:?}");
        assert_eq!(v, Verdict::Verified);
    }
}
