//! Signature-derived findings and the verdict.
//!
//! The DKIM/ARC stage produces per-signature results; this module reads them through two
//! small views, [`SignatureFacts`] and [`ArcFacts`] (made from an
//! [`AuthReport`](crate::auth::AuthReport) by [`facts_of`]), so that the findings and the
//! verdict do not depend on how verification is done. Findings that rest on a signature check carry
//! [`Basis::Cryptographic`](super::Basis::Cryptographic).

use super::{Config, Finding, FindingCode, Severity};
use crate::fields::date::format_utc;
use crate::fields::domain::org_domain;
use crate::fields::domain::{address, domain_of};
use crate::read::headers::Headers;
use crate::span::Span;

/// The cryptographic outcome of one DKIM signature (the `result` of the report contract).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureResult {
    /// Header signature and body hash verify.
    Pass,
    /// The header signature verifies, the body hash does not.
    BodyModified,
    /// The header signature does not verify.
    HeadersModified,
    /// No key, a revoked key, a malformed or unsupported signature: nothing was proven.
    NotChecked,
}

/// A single-use header present more than once, as the signature sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DuplicateFacts {
    /// Header name.
    pub name: String,
    /// The copy a mail client shows (the top-most).
    pub displayed: Span,
    /// The copies the signature covers.
    pub signed: Vec<Span>,
    /// Whether the displayed copy is signed.
    pub displayed_is_signed: bool,
}

/// What the findings and the verdict need to know of one DKIM signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureFacts {
    /// `d=`.
    pub domain: String,
    /// The outcome.
    pub result: SignatureResult,
    /// The DKIM-Signature field.
    pub span: Span,
    /// RSA under 1024 bits, or SHA-1.
    pub weak_key: bool,
    /// The key record has `t=y`.
    pub testing: bool,
    /// The key's private half is known to be published (value as annotated).
    pub private_key_published: Option<String>,
    /// First time the key is known to be in use (Unix seconds).
    pub key_valid_from: Option<i64>,
    /// Last time the key is known to be in use (Unix seconds).
    pub key_valid_until: Option<i64>,
    /// Bytes of the canonical body after `l=`.
    pub unsigned_body_bytes: u64,
    /// The unsigned tail in the stored bytes.
    pub unsigned_body: Option<Span>,
    /// Displayed headers not covered by `h=`, with their fields.
    pub unsigned_headers: Vec<(String, Span)>,
    /// Single-use headers present more than once.
    pub duplicates: Vec<DuplicateFacts>,
}

impl SignatureFacts {
    /// A signature of `domain` with `result` and nothing else known.
    pub fn new(domain: impl Into<String>, result: SignatureResult, span: Span) -> Self {
        SignatureFacts {
            domain: domain.into(),
            result,
            span,
            weak_key: false,
            testing: false,
            private_key_published: None,
            key_valid_from: None,
            key_valid_until: None,
            unsigned_body_bytes: 0,
            unsigned_body: None,
            unsigned_headers: Vec::new(),
            duplicates: Vec::new(),
        }
    }

    /// Whether the signature proves the content it covers.
    fn header_valid(&self) -> bool {
        matches!(
            self.result,
            SignatureResult::Pass | SignatureResult::BodyModified
        )
    }

    fn injected(&self) -> impl Iterator<Item = &DuplicateFacts> {
        self.duplicates.iter().filter(|d| !d.displayed_is_signed)
    }
}

/// What the verdict needs to know of the ARC chain.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ArcFacts {
    /// The whole chain verifies.
    pub pass: bool,
    /// `d=` of the latest ARC-Seal.
    pub sealer: Option<String>,
    /// ARC-Authentication-Results fields under the verified chain.
    pub sealed_results: Vec<Span>,
}

/// The verdict of the report contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "kebab-case"))]
pub enum Verdict {
    /// A DKIM signature of the From domain (or a trusted ARC seal) passes with nothing
    /// unsigned that a reader sees, and no high-severity finding.
    Verified,
    /// Cryptographic evidence of change after signing.
    Tampered,
    /// No cryptographic proof of change, but a medium- or high-severity finding.
    Suspicious,
    /// Nothing above.
    Unverified,
}

impl Verdict {
    /// The stable name used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Verified => "verified",
            Verdict::Tampered => "tampered",
            Verdict::Suspicious => "suspicious",
            Verdict::Unverified => "unverified",
        }
    }
}

/// A verdict and the findings that decided it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// The verdict.
    pub verdict: Verdict,
    /// Indices into the findings given to [`verdict`] that decided it (for `verified`, the
    /// list is empty: a passing signature decided it).
    pub because: Vec<usize>,
}

/// Whether a signing domain is aligned with the From domain (same organisational domain).
pub fn aligned(signing_domain: &str, from_domain: &str) -> bool {
    let s = signing_domain.trim_end_matches('.').to_ascii_lowercase();
    let f = from_domain.trim_end_matches('.').to_ascii_lowercase();
    s == f || (org_domain(&s).is_some() && org_domain(&s) == org_domain(&f))
}

/// The verdict of the report contract, from the signature results and every finding of the
/// message (heuristic and cryptographic). Findings never change a cryptographic result: a
/// message with cryptographic evidence of change is `tampered` whatever the heuristics say,
/// and a high-severity heuristic finding only withholds `verified`.
///
/// `trusted_sealers` lists the ARC sealing domains whose verified seal counts like a
/// signature of the From domain.
pub fn verdict(
    from_domain: Option<&str>,
    signatures: &[SignatureFacts],
    arc: Option<&ArcFacts>,
    trusted_sealers: &[&str],
    findings: &[Finding],
) -> Decision {
    let tampered = signatures.iter().any(|s| {
        matches!(
            s.result,
            SignatureResult::BodyModified | SignatureResult::HeadersModified
        ) || (s.header_valid() && (s.unsigned_body_bytes > 0 || s.injected().next().is_some()))
    });
    let pick = |pred: &dyn Fn(&Finding) -> bool| -> Vec<usize> {
        findings
            .iter()
            .enumerate()
            .filter(|(_, f)| pred(f))
            .map(|(i, _)| i)
            .collect()
    };
    if tampered {
        return Decision {
            verdict: Verdict::Tampered,
            because: pick(&|f| {
                matches!(
                    f.code,
                    FindingCode::DkimBodyModified
                        | FindingCode::DkimHeadersModified
                        | FindingCode::DkimUnsignedTail
                        | FindingCode::DkimInjectedHeader
                )
            }),
        };
    }
    let high = pick(&|f| f.severity == Severity::High);
    let signed_ok = from_domain.is_some_and(|from| {
        signatures.iter().any(|s| {
            s.result == SignatureResult::Pass
                && aligned(&s.domain, from)
                && !s
                    .unsigned_headers
                    .iter()
                    .any(|(name, _)| READER_HEADERS.iter().any(|r| name.eq_ignore_ascii_case(r)))
                && s.unsigned_body_bytes == 0
        })
    });
    let arc_ok = arc.is_some_and(|a| {
        a.pass
            && a.sealer
                .as_deref()
                .is_some_and(|d| trusted_sealers.iter().any(|t| aligned(d, t)))
    });
    if (signed_ok || arc_ok) && high.is_empty() {
        return Decision {
            verdict: Verdict::Verified,
            because: Vec::new(),
        };
    }
    let serious = pick(&|f| f.severity >= Severity::Medium);
    if !serious.is_empty() {
        return Decision {
            verdict: Verdict::Suspicious,
            because: serious,
        };
    }
    Decision {
        verdict: Verdict::Unverified,
        because: Vec::new(),
    }
}

/// Headers whose signing matters most to a reader: unsigned by a signature of the From
/// domain, they make a medium finding.
const KEY_HEADERS: [&str; 3] = ["from", "subject", "date"];

/// Headers a mail client shows the reader: a signature of the From domain that leaves one
/// of them unsigned does not make a message `verified`. (`Message-ID` and `Content-Type`
/// unsigned make a finding but do not withhold the verdict.)
const READER_HEADERS: [&str; 7] = ["from", "sender", "reply-to", "to", "cc", "subject", "date"];

/// Findings from the signature results of one message: tampering, unsigned content, weak,
/// testing or published keys, key validity against `Date`, alignment with the From domain,
/// and authentication results not under a verified ARC seal.
pub fn findings(
    headers: &Headers<'_>,
    signatures: &[SignatureFacts],
    arc: Option<&ArcFacts>,
    _config: &Config,
) -> Vec<Finding> {
    let mut out = Vec::new();
    let body = headers.body_span();
    let from_domain = super::from_domain(headers);
    for s in signatures {
        let d = &s.domain;
        let is_aligned = from_domain.as_deref().is_some_and(|f| aligned(d, f));
        match s.result {
            SignatureResult::BodyModified => out.push(Finding::cryptographic(
                FindingCode::DkimBodyModified,
                Severity::High,
                format!("The signature of {d} covers the headers but the body no longer matches its hash: the body changed after signing."),
                vec![s.span, body],
            )),
            SignatureResult::HeadersModified => out.push(Finding::cryptographic(
                FindingCode::DkimHeadersModified,
                Severity::High,
                format!("The signature of {d} does not verify over the signed headers: they changed after signing (or another key was used)."),
                vec![s.span],
            )),
            _ => {}
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
            for (name, span) in &s.unsigned_headers {
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
        if let Some(when) = &s.private_key_published {
            out.push(Finding::cryptographic(
                FindingCode::DkimKeyPublished,
                Severity::High,
                format!("The private key of {d} was published ({when}): anyone could have made this signature."),
                vec![s.span],
            ));
        }
        // Which key a failing signature was made with is unknown: only a verified header
        // signature ties the message to the key's period of use.
        if s.header_valid() && (s.key_valid_from.is_some() || s.key_valid_until.is_some()) {
            if let Some(date) = headers.get("date") {
                if let Some(t) = crate::fields::date::parse(&date.value()) {
                    let before = s.key_valid_from.is_some_and(|f| t.unix < f);
                    let after = s.key_valid_until.is_some_and(|u| t.unix > u);
                    if before || after {
                        let edge = if before {
                            s.key_valid_from
                        } else {
                            s.key_valid_until
                        };
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
        }
    }
    // Alignment with the From domain.
    if !signatures.is_empty() {
        if let Some(from) = headers.get("from") {
            if let Some(addr) = address(&from.value()) {
                if let Some(fd) = domain_of(&addr) {
                    if !signatures.iter().any(|s| aligned(&s.domain, fd)) {
                        let mut ev = vec![from.span()];
                        ev.extend(signatures.iter().map(|s| s.span));
                        out.push(Finding::cryptographic(
                            FindingCode::DkimNotAligned,
                            Severity::Low,
                            format!("No signature is by the From domain {fd}; the signers only vouch for their own domains."),
                            ev,
                        ));
                    }
                }
            }
        }
    }
    // Authentication results not under a verified seal.
    let sealed: &[Span] = arc
        .filter(|a| a.pass)
        .map(|a| &a.sealed_results[..])
        .unwrap_or(&[]);
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
impl From<&crate::auth::DkimCheck> for SignatureFacts {
    fn from(c: &crate::auth::DkimCheck) -> Self {
        use crate::auth::DkimResult;
        let annotations = c.key_annotations.as_ref();
        SignatureFacts {
            domain: c.domain.clone(),
            result: match c.result {
                DkimResult::Pass => SignatureResult::Pass,
                DkimResult::BodyModified => SignatureResult::BodyModified,
                DkimResult::HeadersModified => SignatureResult::HeadersModified,
                _ => SignatureResult::NotChecked,
            },
            span: c.span,
            weak_key: c.weak_key,
            testing: c.testing,
            private_key_published: annotations.and_then(|a| a.private_key_published.clone()),
            key_valid_from: annotations.and_then(|a| a.valid_from),
            key_valid_until: annotations.and_then(|a| a.valid_until),
            unsigned_body_bytes: c.unsigned_body_bytes,
            unsigned_body: c.unsigned_body,
            unsigned_headers: c
                .unsigned_header_fields
                .iter()
                .map(|h| (h.name.clone(), h.span))
                .collect(),
            duplicates: c
                .duplicate_headers
                .iter()
                .map(|d| DuplicateFacts {
                    name: d.name.clone(),
                    displayed: d.displayed,
                    signed: d.signed.clone(),
                    displayed_is_signed: d.displayed_is_signed,
                })
                .collect(),
        }
    }
}

impl From<&crate::auth::ArcCheck> for ArcFacts {
    fn from(c: &crate::auth::ArcCheck) -> Self {
        ArcFacts {
            pass: c.result == crate::auth::ArcResult::Pass,
            sealer: c.sets.iter().max_by_key(|s| s.i).map(|s| s.domain.clone()),
            sealed_results: c
                .sets
                .iter()
                .filter_map(|s| s.authentication_results.as_ref().map(|r| r.span))
                .collect(),
        }
    }
}

/// The views of an [`AuthReport`](crate::auth::AuthReport) that [`findings`] and [`verdict`]
/// read: one [`SignatureFacts`] per DKIM-Signature, and the ARC chain.
pub fn facts_of(report: &crate::auth::AuthReport) -> (Vec<SignatureFacts>, Option<ArcFacts>) {
    (
        report.dkim.iter().map(SignatureFacts::from).collect(),
        report.arc.as_ref().map(ArcFacts::from),
    )
}
