//! [`Analyzer`]: the whole analysis of one message, in one call.

use std::sync::Arc;

use crate::auth::{AsOf, DkimCheck, DkimResult, KeyStore, Verifier};
use crate::checks::dump::MessageFacts;
use crate::checks::{self, Config as CheckConfig, Severity};
use crate::read::facts::Provenance;
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
        }
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
        self.analyze_at(message, message.index(), HeaderBuf::new(), false)
            .0
            .report
    }

    /// The analysis as a scan needs it: `index` is the message's position in the scan, `buf`
    /// a reused header index buffer (given back), and `shared` says whether the message is a
    /// slice of a buffer that stays in memory (then the dump-wide facts may keep a zero-copy
    /// handle to its body instead of hashing it now).
    pub(crate) fn analyze_at(
        &self,
        message: &Message,
        index: u64,
        buf: HeaderBuf,
        shared: bool,
    ) -> (Analysed, HeaderBuf) {
        let headers = Headers::parse_reusing(message.bytes(), message.offset(), buf);
        let mut report = Report::of_message(message, &headers, index);
        let (mut findings, mut facts) =
            checks::analyze_message(message, &headers, index, &self.checks);
        crate::read::store_checks::retain_kept(message, &headers, &mut findings);
        findings.extend(crate::read::store_checks::findings(
            message,
            &headers,
            &self.checks,
        ));
        if !shared {
            // A streamed message's buffer must not outlive it: hash the body now.
            facts.body.resolve();
        }
        let signed = headers.iter().any(|f| {
            f.is_named("DKIM-Signature")
                || f.is_named("ARC-Seal")
                || f.is_named("ARC-Message-Signature")
        });
        let mut unkeyed = Vec::new();
        if signed {
            let (mut auth, sigs) = Verifier::new(&self.keys)
                .as_of(self.as_of)
                .verify_collecting(&headers, Some(message.format()));
            // Bodies a store rebuilt are not the signed ones; the signed headers are.
            unkeyed = sigs
                .into_iter()
                .map(|s| s.at(index, report.source.clone()))
                .collect();
            if let Some(why) = body_not_checkable(message.provenance()) {
                for check in &mut auth.dkim {
                    headers_only(check, why);
                }
            }
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
        }
        let proof = Proof::of(
            report.from_domain.as_deref(),
            &report.dkim,
            report.arc.as_ref(),
            &self.trusted_sealers,
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

/// Why the body of bytes of this provenance cannot be checked against a body hash, if it
/// cannot.
fn body_not_checkable(provenance: Provenance) -> Option<&'static str> {
    match provenance {
        Provenance::Reconstructed => Some("body re-encoded by the store: not checkable"),
        Provenance::Partial => {
            Some("body incomplete (Apple Mail kept the attachments apart): not checkable")
        }
        _ => None,
    }
}

/// A signature over bytes whose body is not the one signed (rebuilt by a store, or stored
/// without its attachments): only the header signature speaks. A body hash that verifies
/// anyway stands; otherwise the body hash is unknown (`None`), no body length limit is
/// judged, and a valid header signature is reported with `result` `unsupported` (the body
/// check is not possible) rather than `body-modified`, so that the verdict rests on the
/// header signature alone (`headers-verified` for a signature of the From domain).
fn headers_only(check: &mut DkimCheck, why: &str) {
    if check.body_hash_valid == Some(true) {
        return;
    }
    check.body_hash_valid = None;
    check.unsigned_body_bytes = 0;
    check.unsigned_body = None;
    if check.result == DkimResult::BodyModified {
        check.result = DkimResult::Unsupported;
    }
    check.detail = Some(match check.detail.take() {
        Some(d) => format!("{why}; {d}"),
        None => why.to_string(),
    });
}
