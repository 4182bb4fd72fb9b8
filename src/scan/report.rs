//! Per-message reports and the dump summary: what the scan example prints as JSON Lines.

use std::collections::BTreeMap;

use crate::auth::{ArcCheck, DkimCheck};
use crate::checks::{self, Finding, Verdict};
use crate::read::format::Format;
use crate::read::headers::Headers;
use crate::read::message::{Anomaly, Message};

/// What the crate found about one message. Serializes (feature `serde`) to one line of the
/// JSON Lines contract in `README.md`.
#[derive(Debug, Clone)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Report {
    /// 0-based position in the whole scan.
    pub index: u64,
    /// The input file, as given.
    pub source: String,
    /// How the message was stored.
    pub format: Format,
    /// Absolute offset of the message's first byte.
    pub offset: u64,
    /// Number of stored bytes.
    pub length: u64,
    /// Offset of the separator line, `None` for message files.
    pub separator_offset: Option<u64>,
    /// SHA-256 of the stored bytes, lowercase hex.
    pub sha256: String,
    /// Envelope sender from the separator line.
    pub envelope_from: Option<String>,
    /// Envelope date from the separator line.
    pub envelope_date: Option<String>,
    /// `Message-ID` as displayed.
    pub message_id: Option<String>,
    /// `From` as displayed (RFC 2047 decoded).
    pub from: Option<String>,
    /// `Date` as displayed.
    pub date: Option<String>,
    /// `Subject` as displayed (RFC 2047 decoded).
    pub subject: Option<String>,
    /// Structural findings of the reader (codes), in offset order.
    #[cfg_attr(feature = "serde", serde(serialize_with = "anomaly_codes"))]
    pub anomalies: Vec<Anomaly>,
    /// One entry per DKIM-Signature, in header order (empty when not verified).
    pub dkim: Vec<DkimCheck>,
    /// The ARC chain, `None` when the message has no ARC header (or was not verified).
    pub arc: Option<ArcCheck>,
    /// Forgery and consistency findings, highest severity first. Each says whether it rests
    /// on a signature or on a heuristic (`basis`).
    pub findings: Vec<Finding>,
    /// The verdict (see [`Verdict`]): a finding never overrides a cryptographic result.
    pub verdict: Verdict,
    /// Indices into `findings` of the findings that decided the verdict.
    pub verdict_because: Vec<usize>,
    /// Domain of the displayed `From` address, which signatures are aligned with.
    pub from_domain: Option<String>,
}

#[cfg(feature = "serde")]
fn anomaly_codes<S: serde::Serializer>(a: &[Anomaly], s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeSeq;
    let mut seq = s.serialize_seq(Some(a.len()))?;
    for anomaly in a {
        seq.serialize_element(anomaly.code.as_str())?;
    }
    seq.end()
}

impl Report {
    /// The reader's part of a report: where the message is and what it displays.
    pub fn of_message(message: &Message, headers: &Headers<'_>, index: u64) -> Report {
        let shown = |name: &str| headers.get(name).map(|f| f.decoded());
        let mut anomalies = message.anomalies().to_vec();
        anomalies.extend(message.content_anomalies(headers));
        anomalies.sort_by_key(|a| (a.span, a.code));
        Report {
            index,
            source: message.source().display().to_string(),
            format: message.format(),
            offset: message.offset(),
            length: message.len(),
            separator_offset: message.separator_offset(),
            sha256: message.sha256_hex(),
            envelope_from: message.envelope_sender().map(|s| s.into_owned()),
            envelope_date: message.envelope_date().map(|s| s.into_owned()),
            message_id: headers.get("message-id").map(|f| f.value().into_owned()),
            from: shown("from"),
            date: headers.get("date").map(|f| f.value().into_owned()),
            subject: shown("subject"),
            anomalies,
            dkim: Vec::new(),
            arc: None,
            findings: Vec::new(),
            verdict: Verdict::Unverified,
            verdict_because: Vec::new(),
            from_domain: checks::from_domain(headers),
        }
    }

    /// Add findings (those of the dump-wide pass, say) and decide the verdict again from the
    /// signatures and all findings. `trusted_sealers` are ARC sealers whose results count.
    pub fn amend(&mut self, more: impl IntoIterator<Item = Finding>, trusted_sealers: &[&str]) {
        self.findings.extend(more);
        checks::sort(&mut self.findings);
        self.decide(trusted_sealers);
    }

    /// Decide the verdict from `dkim`, `arc` and `findings`.
    pub fn decide(&mut self, trusted_sealers: &[&str]) {
        let mut pending = self.pending();
        pending.decide(trusted_sealers);
        self.verdict = pending.verdict;
        self.verdict_because = pending.verdict_because;
    }

    /// What the dump-wide pass may still change (findings and verdict), with what the
    /// verdict is decided from, apart from the rest of the report. A consumer that writes
    /// reports out before [`Scan::finish`](crate::Scan::finish) keeps this (a few hundred
    /// bytes) and the serialized rest ([`Report::json_head`]), amends it with
    /// [`PendingVerdict::amend`], and completes the line with
    /// [`PendingVerdict::json_tail`]: the same line as [`Report::amend`] then serializing.
    pub fn pending(&self) -> PendingVerdict {
        PendingVerdict {
            index: self.index,
            findings: self.findings.clone(),
            verdict: self.verdict,
            verdict_because: self.verdict_because.clone(),
            from_domain: self.from_domain.clone(),
            signatures: self
                .dkim
                .iter()
                .map(checks::signatures::SignatureFacts::from)
                .collect(),
            arc: self.arc.as_ref().map(checks::signatures::ArcFacts::from),
        }
    }

    /// The report's JSON line (no newline) up to the fields that [`PendingVerdict::json_tail`]
    /// writes (`findings`, `verdict`, `verdict_because`, `from_domain`, the last ones).
    #[cfg(feature = "serde")]
    pub fn json_head(&self) -> serde_json::Result<String> {
        let mut line = serde_json::to_string(self)?;
        let tail = self.pending().json_tail()?;
        match line.len().checked_sub(tail.len()) {
            Some(cut) if line.ends_with(&tail) && line.is_char_boundary(cut) => {
                line.truncate(cut);
                Ok(line)
            }
            _ => Err(serde::ser::Error::custom(
                "the report does not end with its pending fields",
            )),
        }
    }
}

/// The part of a [`Report`] the dump-wide pass can change, and what its verdict is decided
/// from. See [`Report::pending`].
#[derive(Debug, Clone)]
pub struct PendingVerdict {
    /// The report's index.
    pub index: u64,
    /// As [`Report::findings`].
    pub findings: Vec<Finding>,
    /// As [`Report::verdict`].
    pub verdict: Verdict,
    /// As [`Report::verdict_because`].
    pub verdict_because: Vec<usize>,
    /// As [`Report::from_domain`].
    pub from_domain: Option<String>,
    signatures: Vec<checks::signatures::SignatureFacts>,
    arc: Option<checks::signatures::ArcFacts>,
}

impl PendingVerdict {
    /// As [`Report::amend`]: add findings, decide the verdict again.
    pub fn amend(&mut self, more: impl IntoIterator<Item = Finding>, trusted_sealers: &[&str]) {
        self.findings.extend(more);
        checks::sort(&mut self.findings);
        self.decide(trusted_sealers);
    }

    fn decide(&mut self, trusted_sealers: &[&str]) {
        let decision = checks::verdict(
            self.from_domain.as_deref(),
            &self.signatures,
            self.arc.as_ref(),
            trusted_sealers,
            &self.findings,
        );
        self.verdict = decision.verdict;
        self.verdict_because = decision.because;
    }

    /// The end of the report's JSON line: `,"findings":...,"from_domain":...}`. Appended to
    /// [`Report::json_head`] it gives the whole line.
    #[cfg(feature = "serde")]
    pub fn json_tail(&self) -> serde_json::Result<String> {
        #[derive(serde::Serialize)]
        struct Tail<'a> {
            findings: &'a [Finding],
            verdict: Verdict,
            verdict_because: &'a [usize],
            from_domain: Option<&'a str>,
        }
        let json = serde_json::to_string(&Tail {
            findings: &self.findings,
            verdict: self.verdict,
            verdict_because: &self.verdict_because,
            from_domain: self.from_domain.as_deref(),
        })?;
        // `{"findings":...}` becomes `,"findings":...}`.
        Ok(format!(",{}", json.get(1..).unwrap_or_default()))
    }
}

/// Counts over a whole scan.
#[derive(Debug, Clone, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Summary {
    /// Messages read.
    pub messages: u64,
    /// Bytes of all inputs accounted for (messages, framing and gaps).
    pub bytes: u64,
    /// Messages per storage format.
    pub formats: BTreeMap<String, u64>,
    /// Reader anomalies per code.
    pub anomalies: BTreeMap<String, u64>,
    /// Gaps (bytes that belong to no message) and their total size.
    pub gaps: u64,
    /// Bytes in gaps.
    pub gap_bytes: u64,
    /// Inputs or messages that could not be read, with the reason.
    pub errors: Vec<String>,
    /// Messages per verdict.
    pub verdicts: BTreeMap<String, u64>,
    /// Messages per finding code.
    pub findings: BTreeMap<String, u64>,
}

impl Summary {
    /// Count one report.
    pub fn add(&mut self, report: &Report) {
        self.messages += 1;
        *self
            .formats
            .entry(report.format.as_str().to_string())
            .or_default() += 1;
        for a in &report.anomalies {
            *self
                .anomalies
                .entry(a.code.as_str().to_string())
                .or_default() += 1;
        }
        *self
            .verdicts
            .entry(report.verdict.as_str().to_string())
            .or_default() += 1;
        for code in finding_codes(report) {
            *self.findings.entry(code.to_string()).or_default() += 1;
        }
    }

    /// Take back the counts of a report, before it is amended (see [`Report::amend`]) and
    /// added again.
    pub fn remove(&mut self, report: &Report) {
        self.messages = self.messages.saturating_sub(1);
        dec(&mut self.formats, report.format.as_str());
        for a in &report.anomalies {
            dec(&mut self.anomalies, a.code.as_str());
        }
        dec(&mut self.verdicts, report.verdict.as_str());
        for code in finding_codes(report) {
            dec(&mut self.findings, code);
        }
    }

    /// Count a report's amendment (see [`Report::pending`]): its verdict and finding codes
    /// `before` and `after` it.
    pub fn amended(&mut self, before: &PendingVerdict, after: &PendingVerdict) {
        dec(&mut self.verdicts, before.verdict.as_str());
        for code in distinct_codes(&before.findings) {
            dec(&mut self.findings, code);
        }
        *self
            .verdicts
            .entry(after.verdict.as_str().to_string())
            .or_default() += 1;
        for code in distinct_codes(&after.findings) {
            *self.findings.entry(code.to_string()).or_default() += 1;
        }
    }
}

/// Count one less of `key`, dropping it at zero.
fn dec(map: &mut BTreeMap<String, u64>, key: &str) {
    if let Some(n) = map.get_mut(key) {
        *n = n.saturating_sub(1);
        if *n == 0 {
            map.remove(key);
        }
    }
}

/// The distinct finding codes of a report.
fn finding_codes(report: &Report) -> Vec<&'static str> {
    distinct_codes(&report.findings)
}

fn distinct_codes(findings: &[Finding]) -> Vec<&'static str> {
    let mut codes: Vec<&'static str> = findings.iter().map(|f| f.code.as_str()).collect();
    codes.sort_unstable();
    codes.dedup();
    codes
}
