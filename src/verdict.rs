//! The verdict of the report contract: what a message's signatures prove, weighed with its
//! findings.
//!
//! The decision has two steps. The proof is what the signatures establish on their own
//! (cryptographic evidence of change, or a signature of the From domain that covers what a
//! reader sees); it is fixed once the message is verified. The verdict then weighs the proof
//! with every finding of the message. Findings never change a cryptographic result: a message
//! with cryptographic evidence of change is `tampered` whatever the heuristics say, and a
//! high-severity heuristic finding only withholds `verified`. Because the proof is fixed, a
//! finding added later (by the dump-wide pass) decides the verdict again from the proof and
//! the findings alone.

use crate::auth::{ArcCheck, ArcResult, DkimCheck, DkimResult};
use crate::checks::{Finding, FindingCode, Severity};
use crate::fields::domain::org_domain;

/// The verdict of the report contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "kebab-case"))]
#[non_exhaustive]
pub enum Verdict {
    /// A DKIM signature of the From domain (or a trusted ARC seal) passes with nothing
    /// unsigned that a reader sees, and no high-severity finding.
    Verified,
    /// A signature of the From domain verifies over the headers (sender, date, subject,
    /// recipients as signed) and the body is not proven: it could not be checked (a store
    /// re-encoded it) or it changed after signing in a way the message's own route explains.
    /// No high-severity finding.
    HeadersVerified,
    /// Cryptographic evidence of change after signing that nothing on the route explains.
    Tampered,
    /// No cryptographic proof of change, but a medium- or high-severity finding.
    Suspicious,
    /// Nothing above.
    Unverified,
}

impl Verdict {
    /// Every verdict, in the order reports list them.
    pub const ALL: &'static [Verdict] = &[
        Verdict::Verified,
        Verdict::HeadersVerified,
        Verdict::Tampered,
        Verdict::Suspicious,
        Verdict::Unverified,
    ];

    /// The stable name used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Verified => "verified",
            Verdict::HeadersVerified => "headers-verified",
            Verdict::Tampered => "tampered",
            Verdict::Suspicious => "suspicious",
            Verdict::Unverified => "unverified",
        }
    }
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Headers a mail client shows the reader: a signature of the From domain that leaves one
/// of them unsigned does not make a message `verified`. (`Message-ID` and `Content-Type`
/// unsigned make a finding but do not withhold the verdict.)
pub(crate) const READER_HEADERS: [&str; 7] =
    ["from", "sender", "reply-to", "to", "cc", "subject", "date"];

/// What the signatures of one message establish on their own, before any finding is weighed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Proof {
    /// Cryptographic evidence of change after signing: a body or header signature that
    /// fails, text after `l=`, or an unsigned copy of a signed single-use header on top.
    pub(crate) tampered: bool,
    /// A signature of the From domain passes and covers every header a reader sees and the
    /// whole body, or the chain of a trusted ARC sealer verifies.
    pub(crate) verified: bool,
    /// A signature of the From domain verifies over every header a reader sees, and its body
    /// hash could not be checked (`body_hash_valid` is `None`).
    pub(crate) headers_verified: bool,
}

impl Proof {
    /// The proof of a message's DKIM results and ARC chain. `from_domain` is the domain of
    /// its displayed From address; `trusted_sealers` the ARC sealers whose verified chain
    /// counts like a signature of the From domain; `list_route` whether the message's route
    /// shows a mailing list (`List-Id` and the like): only then do changes a list makes in
    /// transit (a footer, MIME wrapping, a subject tag, a list's `Reply-To`) explain a
    /// signature that verifies only over the signed original. `alternative_dropped` whether
    /// the body lost an alternative its top `Content-Type` announces (what list archives do;
    /// see `auth::transit::alternative_dropped`): on a list's route, a body hash that fails
    /// for that reason is the archive's change, unproven, and leaves the headers verified.
    pub(crate) fn of(
        from_domain: Option<&str>,
        dkim: &[DkimCheck],
        arc: Option<&ArcCheck>,
        trusted_sealers: &[String],
        list_route: bool,
        alternative_dropped: bool,
    ) -> Proof {
        // A signature of the From domain over a signed Content-Type whose body hash fails on
        // a list's route because an archive dropped an alternative.
        let archived = |s: &DkimCheck| {
            list_route
                && alternative_dropped
                && s.result == DkimResult::BodyModified
                && from_domain.is_some_and(|from| aligned(&s.domain, from))
                && content_type_signed(s)
        };
        let tampered = dkim.iter().any(|s| {
            (s.result == DkimResult::BodyModified && !archived(s))
                || s.result == DkimResult::HeadersModified
                || (s.header_valid()
                    && (s.unsigned_body_bytes > 0
                        || s.injected().any(|d| !(list_route && list_adds(&d.name)))))
                || (s.proven_after_transit() && !list_route)
        });
        let covers_reader_headers = |s: &DkimCheck| {
            from_domain.is_some_and(|from| aligned(&s.domain, from))
                && !s.unsigned_header_fields.iter().any(|h| {
                    READER_HEADERS
                        .iter()
                        .any(|r| h.name.eq_ignore_ascii_case(r))
                        // A list's own Reply-To / Sender on its route is the list's.
                        && !(list_route && list_adds(&h.name) && s.proven_after_transit())
                })
        };
        let signed = dkim.iter().any(|s| {
            s.result == DkimResult::Pass
                && covers_reader_headers(s)
                && s.unsigned_body_bytes == 0
                && !s.proven_after_transit()
        });
        let headers_verified = dkim.iter().any(|s| {
            covers_reader_headers(s)
                && ((s.header_signature_valid == Some(true) && s.body_hash_valid.is_none())
                    || (list_route && s.proven_after_transit())
                    || archived(s))
        });
        let sealed = arc.is_some_and(|a| {
            a.result == ArcResult::Pass
                && a.sets
                    .iter()
                    .max_by_key(|s| s.i)
                    .is_some_and(|s| trusted_sealers.iter().any(|t| aligned(&s.domain, t)))
        });
        Proof {
            tampered,
            verified: signed || sealed,
            headers_verified,
        }
    }
}

/// Whether signature `s` signs the `Content-Type` field a reader sees (present in `h=`, and
/// no unsigned copy displayed above it).
pub(crate) fn content_type_signed(s: &DkimCheck) -> bool {
    let name = "content-type";
    s.signed_headers
        .iter()
        .any(|h| h.name.eq_ignore_ascii_case(name) && h.span.is_some())
        && !s
            .duplicate_headers
            .iter()
            .any(|d| d.name.eq_ignore_ascii_case(name) && !d.displayed_is_signed)
}

/// The verdict of a message whose signatures establish `proof` and whose findings are
/// `findings`.
#[cfg(test)]
pub(crate) fn decide(proof: Proof, findings: &[Finding]) -> Verdict {
    decide_by_severity(proof, findings.iter().map(|f| f.severity).max())
}

/// [`decide`] from the highest severity among the findings alone (all the verdict reads of
/// them).
pub(crate) fn decide_by_severity(proof: Proof, highest: Option<Severity>) -> Verdict {
    if proof.tampered {
        Verdict::Tampered
    } else if proof.verified && highest < Some(Severity::High) {
        Verdict::Verified
    } else if proof.headers_verified && highest < Some(Severity::High) {
        Verdict::HeadersVerified
    } else if highest >= Some(Severity::Medium) {
        Verdict::Suspicious
    } else {
        Verdict::Unverified
    }
}

/// Indices of the findings that decided `verdict`: the cryptographic evidence of change for
/// `tampered`, every medium- or high-severity finding for `suspicious`, none otherwise (a
/// passing signature decides `verified`).
pub(crate) fn because(verdict: Verdict, findings: &[Finding]) -> Vec<usize> {
    let pick = |pred: &dyn Fn(&Finding) -> bool| -> Vec<usize> {
        findings
            .iter()
            .enumerate()
            .filter(|(_, f)| pred(f))
            .map(|(i, _)| i)
            .collect()
    };
    match verdict {
        Verdict::Tampered => pick(&|f| {
            matches!(
                f.code,
                FindingCode::DkimBodyModified
                    | FindingCode::DkimHeadersModified
                    | FindingCode::DkimUnsignedTail
                    | FindingCode::DkimInjectedHeader
                    | FindingCode::DkimTransitChange
            ) && f.severity == Severity::High
        }),
        Verdict::Suspicious => pick(&|f| f.severity >= Severity::Medium),
        Verdict::Verified | Verdict::HeadersVerified | Verdict::Unverified => Vec::new(),
    }
}

/// Single-use headers that mailing lists add to the mail they pass on (`Reply-To` munging,
/// `Sender`): a copy above the author's on a list's route is the list's, not an injection.
pub(crate) fn list_adds(name: &str) -> bool {
    name.eq_ignore_ascii_case("reply-to") || name.eq_ignore_ascii_case("sender")
}

/// Whether a signing domain is aligned with the From domain (the same domain, or the same
/// organisational domain).
pub(crate) fn aligned(signing_domain: &str, from_domain: &str) -> bool {
    let s = signing_domain.trim_end_matches('.').to_ascii_lowercase();
    let f = from_domain.trim_end_matches('.').to_ascii_lowercase();
    s == f || (org_domain(&s).is_some() && org_domain(&s) == org_domain(&f))
}
