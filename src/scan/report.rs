//! [`Report`]: what the crate found about one message; what the `scan` example prints as one
//! JSON line.

use crate::auth::{ArcCheck, DkimCheck, ForwardedMessage};
use crate::checks::Finding;
use crate::read::facts::{GmailFacts, StoreFacts};
use crate::read::format::Format;
use crate::read::headers::Headers;
use crate::read::message::{Anomaly, Message};
use crate::verdict::{self, Verdict};

/// What the crate found about one message. Serializes (feature `serde`) to one line of the
/// JSON Lines contract (see the README), and reads back from it without loss.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct Report {
    /// 0-based position in the whole scan.
    pub index: u64,
    /// The input file, as given.
    pub source: String,
    /// How the message was stored.
    pub format: Format,
    /// Whether the bytes were rebuilt from a store's properties rather than stored (see
    /// [`Message::is_reconstructed`]); only the header signature can then be judged.
    #[cfg_attr(feature = "serde", serde(default))]
    pub reconstructed: bool,
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
    /// Structural findings of the reader, in offset order. In JSON: `anomalies` (the codes)
    /// and `anomaly_evidence` (the span of each, in the same order).
    #[cfg_attr(feature = "serde", serde(flatten, with = "anomaly_lists"))]
    pub anomalies: Vec<Anomaly>,
    /// One entry per DKIM-Signature and DomainKey-Signature, in header order (empty when not
    /// verified).
    pub dkim: Vec<DkimCheck>,
    /// The ARC chain, `None` when the message has no ARC header (or was not verified).
    pub arc: Option<ArcCheck>,
    /// Messages forwarded inside this one as `message/rfc822` parts, verified on their own
    /// (see [`ForwardedMessage`]); they do not change this message's verdict.
    #[cfg_attr(feature = "serde", serde(default))]
    pub forwarded: Vec<ForwardedMessage>,
    /// Forgery and consistency findings, highest severity first. Each says whether it rests
    /// on a signature or on a heuristic (`basis`).
    pub findings: Vec<Finding>,
    /// The verdict (see [`Verdict`]): a finding never overrides a cryptographic result.
    pub verdict: Verdict,
    /// Indices into `findings` of the findings that decided the verdict.
    pub verdict_because: Vec<usize>,
    /// Domain of the displayed `From` address, which signatures are aligned with.
    pub from_domain: Option<String>,
    /// What the store the message came from said about it (Apple Mail, Outlook); absent
    /// from the JSON line when the message came from no store.
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Option::is_none")
    )]
    pub store: Option<StoreFacts>,
    /// What a Gmail export wrote into the headers (`X-GM-THRID`, `X-Gmail-Labels`, chat
    /// transcripts); absent from the JSON line when the message has neither header.
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Option::is_none")
    )]
    pub gmail: Option<GmailFacts>,
    /// The report as its JSON line, when the scanner rendered it on the thread that analysed
    /// the message ([`Scanner::json_lines`](crate::Scanner::json_lines)).
    #[cfg_attr(feature = "serde", serde(skip))]
    pub(crate) line: RenderedLine,
}

/// A report's JSON line rendered ahead of time. It is a cache, not part of the report:
/// reports compare equal whatever it holds.
#[derive(Clone, Default)]
pub(crate) struct RenderedLine(pub(crate) Option<String>);

impl PartialEq for RenderedLine {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl std::fmt::Debug for RenderedLine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() { "rendered" } else { "-" })
    }
}

impl Report {
    /// The reader's part of a report: where the message is and what it displays. Signatures,
    /// findings and the verdict are filled in by the analysis.
    pub(crate) fn of_message(
        message: &Message,
        headers: &Headers<'_>,
        index: u64,
        sha256: &[u8; 32],
    ) -> Report {
        let shown = |name: &str| headers.get(name).map(|f| f.decoded());
        let mut anomalies = message.anomalies().to_vec();
        anomalies.extend(message.content_anomalies(headers));
        anomalies.sort_by_key(|a| (a.span, a.code));
        Report {
            index,
            source: message.source().display().to_string(),
            format: message.format(),
            reconstructed: message.is_reconstructed(),
            offset: message.offset(),
            length: message.len(),
            separator_offset: message.separator_offset(),
            sha256: crate::read::message::hex(sha256),
            envelope_from: message.envelope_from().map(|s| s.into_owned()),
            envelope_date: message.envelope_date().map(|s| s.into_owned()),
            message_id: headers.get("message-id").map(|f| f.value().into_owned()),
            from: shown("from"),
            date: headers.get("date").map(|f| f.value().into_owned()),
            subject: shown("subject"),
            anomalies,
            dkim: Vec::new(),
            forwarded: Vec::new(),
            arc: None,
            findings: Vec::new(),
            verdict: Verdict::Unverified,
            verdict_because: Vec::new(),
            from_domain: crate::checks::from_domain(headers),
            store: message.store_facts().cloned(),
            gmail: GmailFacts::of(headers),
            line: RenderedLine::default(),
        }
    }

    /// The report's JSON line (without the newline) as rendered on the thread that analysed
    /// the message, when the scanner was asked to
    /// ([`Scanner::json_lines`](crate::Scanner::json_lines)) and nothing has changed the
    /// report since; `None` otherwise (serialize the report then).
    pub fn json_line(&self) -> Option<&str> {
        self.line.0.as_deref()
    }

    /// The findings that decided the verdict (see [`Report::verdict_because`]).
    pub fn decisive_findings(&self) -> impl Iterator<Item = &Finding> {
        self.verdict_because
            .iter()
            .filter_map(|&i| self.findings.get(i))
    }

    /// Set the findings and the verdict they decide with `proof`, keeping
    /// [`Report::verdict_because`] consistent.
    pub(crate) fn conclude(&mut self, mut findings: Vec<Finding>, verdict: Verdict) {
        crate::checks::sort(&mut findings);
        self.verdict_because = verdict::because(verdict, &findings);
        self.findings = findings;
        self.verdict = verdict;
    }
}

/// `anomalies` as the contract writes them: the codes, and their spans beside them.
#[cfg(feature = "serde")]
mod anomaly_lists {
    use crate::read::message::{Anomaly, AnomalyCode};
    use crate::span::Span;
    use serde::ser::SerializeMap;

    pub(super) fn serialize<S: serde::Serializer>(a: &[Anomaly], s: S) -> Result<S::Ok, S::Error> {
        struct Codes<'a>(&'a [Anomaly]);
        impl serde::Serialize for Codes<'_> {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_seq(self.0.iter().map(|a| a.code))
            }
        }
        struct Spans<'a>(&'a [Anomaly]);
        impl serde::Serialize for Spans<'_> {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_seq(self.0.iter().map(|a| a.span))
            }
        }
        let mut map = s.serialize_map(Some(2))?;
        map.serialize_entry("anomalies", &Codes(a))?;
        map.serialize_entry("anomaly_evidence", &Spans(a))?;
        map.end()
    }

    pub(super) fn deserialize<'de, D: serde::Deserializer<'de>>(
        d: D,
    ) -> Result<Vec<Anomaly>, D::Error> {
        #[derive(serde::Deserialize)]
        struct Lists {
            anomalies: Vec<AnomalyCode>,
            #[serde(default)]
            anomaly_evidence: Option<Vec<Span>>,
        }
        let lists = <Lists as serde::Deserialize>::deserialize(d)?;
        let spans = lists.anomaly_evidence.unwrap_or_default();
        if !spans.is_empty() && spans.len() != lists.anomalies.len() {
            return Err(serde::de::Error::custom(
                "anomaly_evidence does not match anomalies",
            ));
        }
        Ok(lists
            .anomalies
            .into_iter()
            .enumerate()
            .map(|(i, code)| Anomaly {
                code,
                span: spans.get(i).copied().unwrap_or_default(),
            })
            .collect())
    }
}
