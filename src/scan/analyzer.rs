//! [`Analyzer`]: the whole analysis of one message, in one call.

use std::sync::Arc;

use crate::auth::DkimCheck;
use crate::auth::{AsOf, KeyStore, Verifier};
use crate::checks::dump::{BodyFingerprint, Located, MessageFacts};
use crate::checks::{self, Config as CheckConfig, Severity};
use crate::limits::Limits;
use crate::read::headers::{HeaderBuf, Headers};
use crate::read::message::Message;
use crate::scan::report::Report;
use crate::verdict::{self, Proof};

/// The whole analysis of one message: its header index, every DKIM signature and the ARC
/// chain against a key archive, every per-message heuristic (and attachment metadata with
/// the `attachments` feature), and the verdict. Built once, it analyses any number of
/// messages, from any number of threads; a [`Scanner`](crate::Scanner) is a parallel driver
/// of it over whole dumps, which adds the findings that need the whole dump.
///
/// ```
/// use mailsleuth::{Analyzer, KeyStore, Message, Verdict};
///
/// let keys = KeyStore::new(); // or KeyStore::from_file("archived-keys.keymap")?
/// let message = Message::from_bytes("note.eml", "From: a@example.org\nSubject: hi\n\nhello\n");
/// let report = Analyzer::new(keys).analyze(&message);
/// assert_eq!(report.verdict, Verdict::Unverified);
/// assert!(report.findings.iter().any(|f| f.code.as_str() == "missing-date"));
/// # Ok::<(), mailsleuth::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Analyzer {
    keys: Arc<KeyStore>,
    as_of: AsOf,
    checks: CheckConfig,
    trusted_sealers: Vec<String>,
    limits: Limits,
}

impl Default for Analyzer {
    /// An analyzer without keys: every signature is `no-key`.
    fn default() -> Self {
        Analyzer::new(KeyStore::new())
    }
}

/// What the analysis of one message gives a scan: the report, the facts the dump-wide pass
/// needs, and what the verdict was decided from (so that findings added later decide it
/// again).
/// Where a message's bytes are once it is analysed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kept {
    /// In a buffer or memory map that stays in memory for the whole scan.
    Shared,
    /// Gone from memory, but the same bytes are in the regular file the message names, at its
    /// offset.
    InFile,
    /// Gone (standard input, a container's member, a rebuilt message).
    Gone,
}

pub(crate) struct Analysed {
    pub(crate) report: Report,
    pub(crate) facts: MessageFacts,
    pub(crate) proof: Proof,
    pub(crate) highest: Option<Severity>,
    /// RSA signatures under names without an archived key, for key recovery.
    pub(crate) unkeyed: Vec<crate::auth::recover::RsaSignature>,
}

impl Analyzer {
    /// An analyzer verifying against `keys`, judging signature times as of each message's
    /// receipt, with the default tolerances of the heuristics and no trusted ARC sealer.
    pub fn new(keys: impl Into<Arc<KeyStore>>) -> Self {
        Analyzer {
            keys: keys.into(),
            as_of: AsOf::Receipt,
            checks: CheckConfig::default(),
            trusted_sealers: Vec::new(),
            limits: Limits::default(),
        }
    }

    /// The budgets of the analysis (see [`Limits`]; the defaults serve real mail).
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// The budgets of the analysis.
    pub fn budgets(&self) -> &Limits {
        &self.limits
    }

    /// Judge signature times (`x=`, `t=`) as of this time (default: each message's receipt).
    pub fn as_of(mut self, as_of: AsOf) -> Self {
        self.as_of = as_of;
        self
    }

    /// Tolerances and thresholds of the heuristics.
    pub fn checks(mut self, config: CheckConfig) -> Self {
        self.checks = config;
        self
    }

    /// ARC sealers (domains) whose verified chain counts like a signature of the From domain
    /// and whose sealed Authentication-Results are trusted (none by default).
    pub fn trusted_sealers(mut self, domains: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.trusted_sealers = domains.into_iter().map(Into::into).collect();
        self
    }

    /// The key archive signatures are verified against.
    pub fn keys(&self) -> &KeyStore {
        &self.keys
    }

    /// The heuristics' configuration.
    pub(crate) fn check_config(&self) -> &CheckConfig {
        &self.checks
    }

    /// Analyse one message: its report, with the verdict of everything the message shows on
    /// its own (the findings that need the whole dump come from a [`Scanner`](crate::Scanner)).
    /// The report's index is the message's [`Message::index`].
    pub fn analyze(&self, message: &Message) -> Report {
        self.analyze_at(message, message.index(), HeaderBuf::new(), Kept::Gone)
            .0
            .report
    }

    /// The analysis as a scan needs it: `index` is the message's position in the scan, `buf`
    /// a reused header index buffer (given back), and `kept` says where the message's bytes
    /// are once it is analysed (the dump-wide facts keep a zero-copy handle to a body that
    /// stays in memory, the place of one that can be read again from its file, and hash any
    /// other body now).
    pub(crate) fn analyze_at(
        &self,
        message: &Message,
        index: u64,
        buf: HeaderBuf,
        kept: Kept,
    ) -> (Analysed, HeaderBuf) {
        let headers = Headers::parse_reusing(message.bytes(), message.offset(), buf);
        let digest = message.sha256();
        let mut report = Report::of_message(message, &headers, index, &digest);
        let (mut findings, mut facts) =
            checks::analyze_message(message, &headers, index, &self.checks, &self.limits);
        crate::checks::store::retain_kept(message, &headers, &mut findings);
        findings.extend(crate::checks::store::findings(
            message,
            &headers,
            &self.checks,
        ));
        facts.sha256.copy_from_slice(&digest[..16]);
        match kept {
            Kept::Shared => {}
            Kept::InFile => {
                // A streamed message's buffer must not outlive it; its file can be read again.
                facts.body = BodyFingerprint::Located(Located {
                    path: message.source.clone(),
                    message: message.span(),
                });
            }
            // A streamed message's buffer must not outlive it: hash the body now.
            Kept::Gone => facts.body.resolve(),
        }
        let signed = headers.iter().any(|f| {
            f.is_named("DKIM-Signature")
                || f.is_named("DomainKey-Signature")
                || f.is_named("ARC-Seal")
                || f.is_named("ARC-Message-Signature")
        });
        let mut unkeyed = Vec::new();
        if signed {
            let (mut auth, sigs) = Verifier::new(&self.keys)
                .as_of(self.as_of)
                .max_signatures(self.limits.signatures_per_message)
                .verify_collecting(&headers, Some(message.format()));
            unkeyed = sigs
                .into_iter()
                .map(|s| s.at(index, report.source.clone()))
                .collect();
            findings.extend(signature_budget_findings(
                &headers,
                &auth.dkim,
                self.limits.signatures_per_message,
            ));
            // Bodies a store rebuilt are not the signed ones; the signed headers are.
            crate::auth::judge_headers_only(message.provenance(), &mut auth.dkim);
            findings.extend(checks::signatures::findings(
                &headers,
                &auth.dkim,
                auth.arc.as_ref(),
            ));
            facts.set_signers(
                auth.dkim
                    .iter()
                    .map(|d| (d.domain.as_str(), d.result == crate::auth::DkimResult::Pass)),
            );
            report.dkim = auth.dkim;
            report.arc = auth.arc;
            report.forwarded = auth.forwarded;
        } else {
            report.forwarded = Verifier::new(&self.keys)
                .as_of(self.as_of)
                .verify_forwarded(&headers);
        }
        let list_route = crate::auth::transit::route_shows_list(&headers);
        // The body is read for this only when a body hash failed on a list's route.
        let alternative_dropped = list_route
            && report
                .dkim
                .iter()
                .any(|d| d.result == crate::auth::DkimResult::BodyModified)
            && crate::auth::transit::alternative_dropped(&headers);
        let proof = Proof::of(
            report.from_domain.as_deref(),
            &report.dkim,
            report.arc.as_ref(),
            &self.trusted_sealers,
            list_route,
            alternative_dropped,
        );
        checks::limit_findings(&mut findings, &self.limits, headers.header_span());
        // Blocks the body repairs removed, and the pending footers with the report they
        // make if the dump-wide pass accepts them.
        facts.footers = crate::checks::dump::footers::collect(
            &headers,
            &mut report.dkim,
            report.arc.as_ref(),
            &findings,
            |dkim| {
                let dropped = alternative_dropped
                    && dkim
                        .iter()
                        .any(|d| d.result == crate::auth::DkimResult::BodyModified);
                Proof::of(
                    report.from_domain.as_deref(),
                    dkim,
                    report.arc.as_ref(),
                    &self.trusted_sealers,
                    list_route,
                    dropped,
                )
            },
        );
        let highest = findings.iter().map(|f| f.severity).max();
        report.conclude(findings, verdict::decide_by_severity(proof, highest));
        let analysed = Analysed {
            report,
            facts,
            proof,
            highest,
            unkeyed,
        };
        (analysed, headers.recycle())
    }
}

/// `limit-exceeded` findings of the signatures: each check a budget cut short, and the
/// `DKIM-Signature` fields past `max` that were not checked. All are high: a signature not
/// fully checked must not let the message count as verified.
fn signature_budget_findings(
    headers: &Headers<'_>,
    dkim: &[DkimCheck],
    max: usize,
) -> Vec<checks::Finding> {
    use checks::{Finding, FindingCode};
    let mut out: Vec<Finding> = dkim
        .iter()
        .filter_map(|c| {
            let why = c.over_budget.as_deref()?;
            Some(Finding::heuristic(
                FindingCode::LimitExceeded,
                Severity::High,
                format!(
                    "The DKIM signature of {} was not fully checked: {why}.",
                    if c.domain.is_empty() {
                        "an unknown domain"
                    } else {
                        &c.domain
                    }
                ),
                vec![c.span],
            ))
        })
        .collect();
    let mut skipped = headers
        .iter()
        .filter(|f| f.is_named("DKIM-Signature"))
        .skip(max);
    if let Some(first) = skipped.next() {
        let more = skipped.count();
        out.push(Finding::heuristic(
            FindingCode::LimitExceeded,
            Severity::High,
            format!(
                "{} DKIM-Signature fields past the first {max} were not checked (limit of signatures per message).",
                more + 1
            ),
            vec![first.span()],
        ));
    }
    out
}
