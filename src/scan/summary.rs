//! [`Summary`]: counts over a whole scan.

use std::collections::BTreeMap;

use crate::checks::FindingCode;
use crate::read::format::Format;
use crate::read::message::AnomalyCode;
use crate::scan::report::Report;
use crate::verdict::Verdict;

/// Counts over a whole scan. [`Scan::summary`](crate::Scan::summary) has the counts so far;
/// [`Finished::summary`](crate::Finished::summary) the final ones, with the dump-wide
/// findings counted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct Summary {
    /// Messages read.
    pub messages: u64,
    /// Bytes of all inputs accounted for (messages, framing and gaps).
    pub bytes: u64,
    /// Messages per storage format.
    pub formats: BTreeMap<Format, u64>,
    /// Messages per reader anomaly.
    pub anomalies: BTreeMap<AnomalyCode, u64>,
    /// Gaps (bytes that belong to no message).
    pub gaps: u64,
    /// Bytes in gaps.
    pub gap_bytes: u64,
    /// Inputs or messages that could not be read or analysed, with the reason (the same
    /// errors the scan yields).
    pub errors: Vec<String>,
    /// Messages per verdict.
    pub verdicts: BTreeMap<Verdict, u64>,
    /// Messages per finding code (a message counts once per code).
    pub findings: BTreeMap<FindingCode, u64>,
}

impl Summary {
    /// Count one report.
    pub(crate) fn add(&mut self, report: &Report) {
        self.messages += 1;
        *self.formats.entry(report.format).or_default() += 1;
        let mut anomalies: Vec<AnomalyCode> = report.anomalies.iter().map(|a| a.code).collect();
        anomalies.sort_unstable();
        anomalies.dedup();
        for code in anomalies {
            *self.anomalies.entry(code).or_default() += 1;
        }
        *self.verdicts.entry(report.verdict).or_default() += 1;
        for code in distinct_codes(report.findings.iter().map(|f| f.code)) {
            *self.findings.entry(code).or_default() += 1;
        }
    }

    /// Count a message's amendment: its verdict goes from `before` to `after`, it gains
    /// the finding codes `added` (codes it did not have before) and loses the codes `gone`.
    pub(crate) fn amend(
        &mut self,
        before: Verdict,
        after: Verdict,
        added: impl IntoIterator<Item = FindingCode>,
        gone: impl IntoIterator<Item = FindingCode>,
    ) {
        if before != after {
            if let Some(n) = self.verdicts.get_mut(&before) {
                *n = n.saturating_sub(1);
                if *n == 0 {
                    self.verdicts.remove(&before);
                }
            }
            *self.verdicts.entry(after).or_default() += 1;
        }
        for code in distinct_codes(added) {
            *self.findings.entry(code).or_default() += 1;
        }
        for code in distinct_codes(gone) {
            if let Some(n) = self.findings.get_mut(&code) {
                *n = n.saturating_sub(1);
                if *n == 0 {
                    self.findings.remove(&code);
                }
            }
        }
    }
}

fn distinct_codes(codes: impl IntoIterator<Item = FindingCode>) -> Vec<FindingCode> {
    let mut codes: Vec<FindingCode> = codes.into_iter().collect();
    codes.sort_unstable();
    codes.dedup();
    codes
}
