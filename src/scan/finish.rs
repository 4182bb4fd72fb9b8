//! [`Finished`]: a scan after its dump-wide pass, which applies itself to reports.

use std::collections::BTreeMap;

use super::recovery::Recovery;
use super::report::Report;
use super::summary::Summary;
use crate::auth::LearnedFooter;
use crate::auth::recover::{KeyRecovery, RecoveredKey};
use crate::checks::dump::DumpOutcome;
use crate::checks::{Finding, FindingCode, Severity};
use crate::verdict::{self, Proof, Verdict};

/// What the verdict of each message was decided from, in scan order: enough to decide it
/// again when the dump-wide pass adds findings (a few bytes per message).
#[derive(Debug, Default)]
pub(super) struct VerdictInputs {
    /// `(index, proof, highest severity among its own findings, highest among those but
    /// the clock findings the dump-wide pass may regrade)`, indices increasing within each
    /// input.
    entries: Vec<(u64, Proof, Option<Severity>, Option<Severity>)>,
}

impl VerdictInputs {
    pub(super) fn push(
        &mut self,
        index: u64,
        proof: Proof,
        highest: Option<Severity>,
        unclocked: Option<Severity>,
    ) {
        self.entries.push((index, proof, highest, unclocked));
    }

    /// Sorted by index for [`VerdictInputs::get`] (no map: a few bytes per message).
    fn sorted(mut self) -> Self {
        self.entries.sort_unstable_by_key(|e| e.0);
        self
    }

    fn get(&self, index: u64) -> Option<(Proof, Option<Severity>, Option<Severity>)> {
        let at = self.entries.binary_search_by_key(&index, |e| e.0).ok()?;
        self.entries.get(at).map(|&(_, p, h, u)| (p, h, u))
    }
}

/// What the dump-wide pass changes in one report: the findings it adds, the report's own
/// clock findings it regrades, and the verdict the report has with them.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct Amendment {
    /// The report's index.
    pub index: u64,
    /// The findings added, highest severity first.
    pub findings: Vec<Finding>,
    /// The report's own findings regraded by the clocks learned across the dump (a step
    /// backwards along the route, or a `Date` after the first receipt, that matches its
    /// clock's usual offset): each replaces the report's finding with the same code and
    /// first evidence span.
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Vec::is_empty")
    )]
    pub regraded: Vec<Finding>,
    /// The verdict with them.
    pub verdict: Verdict,
    /// DKIM checks completed by key recovery ([`Scanner::recover_keys`](crate::Scanner::recover_keys)),
    /// by the signature's span.
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Vec::is_empty")
    )]
    pub dkim: Vec<KeyRecovery>,
    /// Footers learned from the dump and accepted for the report's signatures, by the
    /// signature's span: each check's body is proven once the list's block is removed (see
    /// [`LearnedFooter`]).
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Vec::is_empty")
    )]
    pub footers: Vec<LearnedFooter>,
    /// The report's own findings the pass withdraws: the body changes a learned footer
    /// explains (`dkim-body-modified`), replaced by the footer's `dkim-transit-change` among
    /// [`Amendment::findings`].
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Vec::is_empty")
    )]
    pub withdrawn: Vec<Finding>,
}

/// A scan after its dump-wide pass: the final [`Summary`], and the [`Amendment`]s of the
/// reports the pass changes. Apply it to each report on the way out with
/// [`Finished::apply`]; the summary already counts the amendments.
///
/// ```
/// use mailsleuth::{Input, Scanner};
///
/// // Two copies of one Message-ID with different bodies.
/// let dump = "From a@example.org Mon May  1 09:00:00 2017\n\
///     Message-ID: <1@example.org>\nFrom: a@example.org\nDate: Mon, 1 May 2017 09:00:00 +0000\n\nfirst\n\n\
///     From a@example.org Mon May  1 10:00:00 2017\n\
///     Message-ID: <1@example.org>\nFrom: a@example.org\nDate: Mon, 1 May 2017 09:00:00 +0000\n\nsecond\n";
/// let scanner = Scanner::default();
/// let mut scan = scanner.scan([Input::Bytes { name: "dump.mbox".into(), data: dump.into() }]);
/// let mut reports: Vec<_> = scan.by_ref().collect::<Result<_, _>>()?;
/// let finished = scan.finish();
/// for report in &mut reports {
///     finished.apply(report);
///     assert!(report.findings.iter().any(|f| f.code.as_str() == "duplicate-message-id"));
/// }
/// assert_eq!(finished.summary().messages, 2);
/// # Ok::<(), mailsleuth::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Finished {
    summary: Summary,
    amendments: BTreeMap<u64, Amendment>,
    recovered: Vec<RecoveredKey>,
    recovery_dropped: u64,
}

impl Finished {
    /// Decide the amended verdicts from the dump-wide findings and count them in `summary`.
    pub(super) fn new(
        mut summary: Summary,
        dump: DumpOutcome,
        inputs: VerdictInputs,
        recovery: Recovery,
    ) -> Self {
        let inputs = inputs.sorted();
        let mut amendments = BTreeMap::new();
        let DumpOutcome {
            findings: mut dump,
            mut regrades,
            mut footers,
        } = dump;
        for index in regrades.keys().chain(footers.keys()) {
            dump.entry(*index).or_default();
        }
        for (index, findings) in recovery.findings {
            dump.entry(index).or_default().extend(findings);
        }
        let mut checks = recovery.checks;
        for index in checks.keys() {
            dump.entry(*index).or_default();
        }
        for (index, mut findings) in dump {
            let Some((proof, highest, unclocked)) = inputs.get(index) else {
                // A message the scan did not report (it failed): nothing to amend.
                continue;
            };
            let before = verdict::decide_by_severity(proof, highest);
            // A learned footer: the report as patched decides from here.
            let learned = footers.remove(&index).map(|l| l.patch);
            let (proof, highest, unclocked) = match &learned {
                Some(p) => (p.proof, p.highest, p.unclocked),
                None => (proof, highest, unclocked),
            };
            let mut codes: Vec<FindingCode> = findings.iter().map(|f| f.code).collect();
            let mut gone = Vec::new();
            if let Some(p) = &learned {
                findings.extend(p.added.iter().cloned());
                codes.extend(p.codes_new.iter().copied());
                gone.clone_from(&p.codes_gone);
            }
            crate::checks::sort(&mut findings);
            let added = findings.iter().map(|f| f.severity).max();
            let regrade = regrades.remove(&index).unwrap_or_default();
            // Regraded clock findings: the highest severity is the other findings' and the
            // clock findings' as regraded.
            let own = if regrade.findings.is_empty() {
                highest
            } else {
                unclocked.max(regrade.clock_highest)
            };
            let after = verdict::decide_by_severity(proof, own.max(added));
            summary.amend(before, after, codes, gone);
            let (footers, withdrawn) = learned
                .map(|p| (p.footers, p.withdrawn))
                .unwrap_or_default();
            amendments.insert(
                index,
                Amendment {
                    index,
                    findings,
                    regraded: regrade.findings,
                    verdict: after,
                    dkim: checks.remove(&index).unwrap_or_default(),
                    footers,
                    withdrawn,
                },
            );
        }
        Finished {
            summary,
            amendments,
            recovered: recovery.keys,
            recovery_dropped: recovery.dropped,
        }
    }

    /// The final counts of the scan, amendments included.
    pub fn summary(&self) -> &Summary {
        &self.summary
    }

    /// The final counts, consuming the finished scan.
    pub fn into_summary(self) -> Summary {
        self.summary
    }

    /// Every amendment, by report index.
    pub fn amendments(&self) -> impl Iterator<Item = &Amendment> {
        self.amendments.values()
    }

    /// The RSA keys recovered from the dump's signatures (with
    /// [`Scanner::recover_keys`](crate::Scanner::recover_keys)), in name order.
    pub fn recovered_keys(&self) -> &[RecoveredKey] {
        &self.recovered
    }

    /// Unkeyed RSA signatures key recovery could not keep (over its 64 MiB budget): neither
    /// used nor checked against a recovered key.
    pub fn recovery_dropped(&self) -> u64 {
        self.recovery_dropped
    }

    /// The amendment of the report at `index`, if the dump-wide pass changes it.
    pub fn amendment(&self, index: u64) -> Option<&Amendment> {
        self.amendments.get(&index)
    }

    /// Merge the dump-wide findings into a report this scan gave: its findings, verdict and
    /// the findings that decided it become final. Returns whether the report changed.
    /// Applying twice does nothing the second time.
    /// A JSON line rendered before ([`Report::json_line`]) is dropped when the report changes.
    pub fn apply(&self, report: &mut Report) -> bool {
        let changed = self.amend(report);
        if changed {
            report.line = Default::default();
        }
        changed
    }

    fn amend(&self, report: &mut Report) -> bool {
        let Some(a) = self.amendments.get(&report.index) else {
            return false;
        };
        let mut changed = false;
        for k in &a.dkim {
            for check in &mut report.dkim {
                changed |= k.apply(check);
            }
        }
        for footer in &a.footers {
            for check in &mut report.dkim {
                changed |= footer.apply(check);
            }
        }
        let regraded = |f: &Finding| {
            a.regraded
                .iter()
                .find(|r| r.code == f.code && r.evidence.first() == f.evidence.first())
        };
        let stale = report
            .findings
            .iter()
            .any(|f| regraded(f).is_some_and(|r| r != f));
        let withdrawn = |f: &Finding| a.withdrawn.contains(f);
        if !stale
            && !report.findings.iter().any(withdrawn)
            && a.findings.iter().all(|f| report.findings.contains(f))
        {
            return changed;
        }
        let mut findings = std::mem::take(&mut report.findings);
        findings.retain(|f| !withdrawn(f));
        for f in &mut findings {
            if let Some(r) = regraded(f) {
                f.clone_from(r);
            }
        }
        for f in &a.findings {
            if !findings.contains(f) {
                findings.push(f.clone());
            }
        }
        report.conclude(findings, a.verdict);
        true
    }
}
