//! One self-contained HTML report of a scan (feature `html`): the dump's timeline, verdicts,
//! senders, a message table and the evidence of every flagged message on its bytes, in a
//! single file that needs no server, no network and no external script, style or font.
//!
//! Feed an [`HtmlReport`] every final [`Report`] of a scan (after
//! [`Finished::apply`](crate::Finished::apply)) with [`HtmlReport::add`], with the message's
//! stored bytes when it is flagged, then write it with the final [`Summary`]:
//!
//! ```
//! use mailsleuth::html::HtmlReport;
//! use mailsleuth::{Analyzer, KeyStore, Scanner};
//!
//! let data = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/data");
//! let keys = KeyStore::from_file(data.join("keys.keymap"))?;
//! let mut page = HtmlReport::new().keys(&keys).input("sample.mbox", Some(55_709));
//! let scanner = Scanner::new(Analyzer::new(keys));
//! let (reports, summary) = scanner.scan_all(data.join("sample.mbox"));
//! let dump = std::fs::read(data.join("sample.mbox")).expect("the sample");
//! for report in reports.iter().flatten() {
//!     // The stored bytes of a flagged message, for its evidence.
//!     let bytes = page.wants_bytes(report).then(|| {
//!         let start = report.offset as usize;
//!         &dump[start..start + report.length as usize]
//!     });
//!     page.add(report, bytes);
//! }
//! let mut html = Vec::new();
//! page.write_to(&summary, &mut html).expect("written to memory");
//! let html = String::from_utf8(html).expect("UTF-8");
//! assert!(html.contains("Content-Security-Policy"));
//! assert!(html.contains("id=\"m11\"")); // the evidence of the tampered message 11
//! # Ok::<(), mailsleuth::Error>(())
//! ```
//!
//! # What the page holds
//!
//! - **Overview**: inputs and sizes, message counts, the count of every verdict, the
//!   finding codes, the keys (with their provenance and how many signatures each verified),
//!   the as-of policy, the crate version, the command line and the time of writing, so that
//!   a printed copy says how it was made.
//! - **Timeline**: messages per hour, day, week or month, stacked by verdict (inline SVG);
//!   a click on a bar lists its messages in the table.
//! - **Senders**: per From domain, the messages, the share signed by the domain and the
//!   share whose signature verifies, the first and last signed message, and the days of the
//!   `unsigned-in-signed-period` pattern (unsigned mail from a domain that signs the rest).
//! - **Messages**: every message (index, date, From, Subject, verdict, findings), sortable
//!   and filterable by verdict, finding, domain, text and time; only the visible rows are in
//!   the document, so 100,000 messages stay fast.
//! - **Evidence**: for each tampered or suspicious message, its findings, its DKIM results
//!   (signed and unsigned headers, the repair that was proven) and its stored bytes (the
//!   header block and a window of whole lines around each evidence span), every span
//!   highlighted and labelled with its finding and its offset. It is static HTML: a
//!   printout or a PDF has all of it.
//!
//! # Safety of the page
//!
//! Text from the dump is data: every string is escaped (in HTML, and in the embedded JSON
//! where `<` is written `\u003c`), characters that hide or reorder text are shown as
//! `⟨U+XXXX⟩`, and the page sets a Content-Security-Policy of `default-src 'none'` that
//! allows only its own inline script and style, by hash.
//!
//! # Memory and size
//!
//! The report keeps a compact row per message (numbers, the From and Subject cut to a few
//! hundred characters) and the rendered evidence of flagged messages, within a budget
//! ([`HtmlReport::evidence_budget`], 16 MiB by default, about 1,500 messages of ordinary
//! size: a page of 100,000 messages then stays near 30 MB, which Chromium loads in
//! seconds): suspicious messages stop being
//! embedded at three quarters of it, tampered ones at all of it, and the page says how
//! many were cut. Each message shows at most 256 KiB of its bytes.

mod escape;
mod evidence;
mod timeline;

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::io::{self, Write};
use std::path::Path;

use sha2::{Digest, Sha256};

use crate::auth::{AsOf, DkimResult, KeyStore};
use crate::checks::FindingCode;
use crate::error::{Error, Result};
use crate::scan::report::Report;
use crate::scan::summary::Summary;
use crate::timestamp::Timestamp;
use crate::verdict::{Verdict, aligned};

use escape::{html, json_string, table_text};
use evidence::Stored;

/// The page's style sheet (completed by [`style`] with a colour per verdict) and script;
/// their SHA-256 hashes go into the page's Content-Security-Policy.
const STYLE: &str = include_str!("page.css");
const SCRIPT: &str = include_str!("page.js");

/// Default [`HtmlReport::evidence_budget`].
pub const DEFAULT_EVIDENCE_BUDGET: u64 = 16 * 1024 * 1024;

/// Characters of From and Subject kept per message for the table.
const FROM_CHARS: usize = 200;
const SUBJECT_CHARS: usize = 300;
/// Rows of the senders and keys tables at most (the rest is counted).
const SENDER_ROWS: usize = 300;
const KEY_ROWS: usize = 300;
/// Days of `unsigned-in-signed-period` listed per domain at most.
const PERIODS: usize = 12;
/// Dates outside 1900..2200 are not placed on the timeline (a forged `Date` can say
/// anything; the table shows it as written).
const EARLIEST: i64 = -2_208_988_800;
const LATEST: i64 = 7_258_118_400;

/// A scan's HTML report, built from its reports one at a time, written once.
///
/// Memory holds a compact row per message and the evidence of flagged messages within the
/// budget, never the reports themselves. A report added again (same index) replaces the
/// earlier one: a consumer may add each report as the scan gives it and add the few that
/// [`Finished::apply`](crate::Finished::apply) changes again at the end.
#[derive(Debug)]
pub struct HtmlReport {
    rows: BTreeMap<u64, Row>,
    domains: Interner,
    sources: Interner,
    key_sources: Interner,
    evidence: BTreeMap<u64, String>,
    evidence_bytes: u64,
    budget: u64,
    inputs: Vec<(String, Option<u64>)>,
    keys: Vec<KeyInfo>,
    command_line: Option<String>,
    as_of: AsOf,
}

/// What the table, the timeline and the senders need of one message.
#[derive(Debug)]
struct Row {
    time: Option<i64>,
    /// The `Date` as written when it gives no usable time.
    date: Box<str>,
    from: Box<str>,
    subject: Box<str>,
    verdict: Verdict,
    /// Indices into [`FindingCode::ALL`], distinct, in finding order.
    codes: Box<[u8]>,
    domain: Option<u32>,
    source: u32,
    offset: u64,
    /// A DKIM signature of the From domain (any result).
    signed: bool,
    /// A DKIM signature of the From domain that verifies.
    signed_pass: bool,
    /// Key sources of the signatures that verified (interned).
    keys: Box<[u32]>,
    evidence: Shown,
}

/// What the page shows of a message's evidence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shown {
    /// Not flagged: no evidence section.
    NotFlagged,
    /// A section with the stored bytes.
    Bytes,
    /// A section without bytes (not given, or not matching the report's hash).
    NoBytes,
    /// No section: the budget was spent.
    Cut,
}

impl Shown {
    fn code(self) -> u8 {
        match self {
            Shown::NotFlagged => 0,
            Shown::Bytes => 1,
            Shown::NoBytes => 2,
            Shown::Cut => 3,
        }
    }
}

/// A key of the store, as the overview lists it.
#[derive(Debug)]
struct KeyInfo {
    name: String,
    kind: String,
    provenance: String,
    notes: String,
}

/// Strings stored once, by number.
#[derive(Debug, Default)]
struct Interner {
    names: Vec<Box<str>>,
    ids: HashMap<Box<str>, u32>,
}

impl Interner {
    fn id(&mut self, name: &str) -> u32 {
        if let Some(&id) = self.ids.get(name) {
            return id;
        }
        let id = u32::try_from(self.names.len()).unwrap_or(u32::MAX);
        self.names.push(name.into());
        self.ids.insert(name.into(), id);
        id
    }

    fn name(&self, id: u32) -> &str {
        self.names.get(id as usize).map_or("", |n| n)
    }
}

impl Default for HtmlReport {
    fn default() -> Self {
        HtmlReport::new()
    }
}

/// Whether a message of this verdict gets an evidence section.
fn flagged(v: Verdict) -> bool {
    matches!(v, Verdict::Tampered | Verdict::Suspicious)
}

/// The contract's name of a value (its serde name: `body-modified`, `pass`, ...).
fn name<T: serde::Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        _ => "?".to_string(),
    }
}

impl HtmlReport {
    /// An empty report with the default evidence budget.
    pub fn new() -> Self {
        HtmlReport {
            rows: BTreeMap::new(),
            domains: Interner::default(),
            sources: Interner::default(),
            key_sources: Interner::default(),
            evidence: BTreeMap::new(),
            evidence_bytes: 0,
            budget: DEFAULT_EVIDENCE_BUDGET,
            inputs: Vec::new(),
            keys: Vec::new(),
            command_line: None,
            as_of: AsOf::Receipt,
        }
    }

    /// Embed at most `bytes` of rendered evidence (default [`DEFAULT_EVIDENCE_BUDGET`]).
    pub fn evidence_budget(mut self, bytes: u64) -> Self {
        self.budget = bytes;
        self
    }

    /// Name an input of the scan and its size in bytes (`None` for a folder or a stream),
    /// for the overview. Call once per input, in scan order.
    pub fn input(mut self, name: impl Into<String>, size: Option<u64>) -> Self {
        self.inputs.push((name.into(), size));
        self
    }

    /// The keys the scan verified with, for the overview (with their provenance, and how
    /// many signatures each verified).
    pub fn keys(mut self, keys: &KeyStore) -> Self {
        self.keys = keys
            .iter()
            .map(|k| {
                let mut notes = Vec::new();
                let a = k.annotations();
                if let Some(t) = a.valid_from {
                    notes.push(format!("valid from {}", Timestamp::from_unix(t)));
                }
                if let Some(t) = a.valid_until {
                    notes.push(format!("valid until {}", Timestamp::from_unix(t)));
                }
                if let Some(p) = &a.private_key_published {
                    notes.push(format!("private key published {p}"));
                }
                if k.is_revoked() {
                    notes.push("revoked".to_string());
                }
                if k.is_testing() {
                    notes.push("testing (t=y)".to_string());
                }
                let kind = match (k.kind(), k.bits()) {
                    (Some(kind), Some(bits)) => format!("{} {bits}", name(&kind)),
                    _ => "none".to_string(),
                };
                KeyInfo {
                    name: k.name().to_string(),
                    kind,
                    provenance: k.provenance().to_string(),
                    notes: notes.join(", "),
                }
            })
            .collect();
        self
    }

    /// The time signatures were judged at, for the overview (default: each message's
    /// receipt, as [`Analyzer`](crate::Analyzer) does).
    pub fn as_of(mut self, as_of: AsOf) -> Self {
        self.as_of = as_of;
        self
    }

    /// The command line that made the scan, for the overview.
    pub fn command_line(mut self, line: impl Into<String>) -> Self {
        self.command_line = Some(line.into());
        self
    }

    /// Whether [`HtmlReport::add`] would show this report's stored bytes: it is tampered or
    /// suspicious and the evidence budget is not spent. A consumer that must read the bytes
    /// back (from a file, by offset) asks first.
    pub fn wants_bytes(&self, report: &Report) -> bool {
        flagged(report.verdict) && self.evidence_bytes < self.limit(report.verdict)
    }

    /// The budget a message of this verdict may fill: suspicious ones leave the last quarter
    /// to tampered ones.
    fn limit(&self, verdict: Verdict) -> u64 {
        if verdict == Verdict::Tampered {
            self.budget
        } else {
            self.budget / 4 * 3
        }
    }

    /// Add a report, final (after [`Finished::apply`](crate::Finished::apply)), with the
    /// message's stored bytes `[offset, offset + length)` when it is flagged (see
    /// [`HtmlReport::wants_bytes`]); `None` makes its evidence say that the bytes were not
    /// available. Bytes whose SHA-256 is not the report's are not shown (the page says so).
    /// A report with the index of one added before replaces it.
    pub fn add(&mut self, report: &Report, message: Option<&[u8]>) {
        if let Some(old) = self.evidence.remove(&report.index) {
            self.evidence_bytes = self.evidence_bytes.saturating_sub(old.len() as u64);
        }
        let mut evidence = Shown::NotFlagged;
        if flagged(report.verdict) {
            evidence = Shown::Cut;
            if self.wants_bytes(report) {
                let stored = match message {
                    Some(b) if sha256_hex(b) == report.sha256 => Stored::Bytes(b),
                    Some(_) => Stored::Mismatch,
                    None => Stored::Missing,
                };
                let mut section = String::new();
                evidence::section(report, stored, &mut section);
                let size = section.len() as u64;
                if self.evidence_bytes.saturating_add(size) <= self.limit(report.verdict) {
                    self.evidence_bytes += size;
                    self.evidence.insert(report.index, section);
                    evidence = match stored {
                        Stored::Bytes(_) => Shown::Bytes,
                        _ => Shown::NoBytes,
                    };
                }
            }
        }
        let time = report
            .date
            .as_deref()
            .and_then(Timestamp::parse)
            .map(Timestamp::unix)
            .filter(|t| (EARLIEST..=LATEST).contains(t));
        let mut codes: Vec<u8> = Vec::new();
        for f in &report.findings {
            let Some(k) = FindingCode::ALL.iter().position(|c| *c == f.code) else {
                continue;
            };
            let k = u8::try_from(k).unwrap_or(u8::MAX);
            if !codes.contains(&k) {
                codes.push(k);
            }
        }
        let from_domain = report.from_domain.as_deref().map(str::to_ascii_lowercase);
        let of_from = |d: &str| from_domain.as_deref().is_some_and(|f| aligned(d, f));
        let mut keys = Vec::new();
        for s in &report.dkim {
            if s.result == DkimResult::Pass
                && let Some(src) = &s.key_source
            {
                keys.push(self.key_sources.id(src));
            }
        }
        let row = Row {
            time,
            date: if time.is_none() {
                table_text(report.date.as_deref().unwrap_or(""), 60).into()
            } else {
                "".into()
            },
            from: table_text(report.from.as_deref().unwrap_or(""), FROM_CHARS).into(),
            subject: table_text(report.subject.as_deref().unwrap_or(""), SUBJECT_CHARS).into(),
            verdict: report.verdict,
            codes: codes.into(),
            domain: from_domain.as_deref().map(|d| self.domains.id(d)),
            source: self.sources.id(&report.source),
            offset: report.offset,
            signed: report.dkim.iter().any(|s| of_from(&s.domain)),
            signed_pass: report
                .dkim
                .iter()
                .any(|s| s.result == DkimResult::Pass && of_from(&s.domain)),
            keys: keys.into(),
            evidence,
        };
        self.rows.insert(report.index, row);
    }

    /// Write the page to `out`, with the scan's final `summary`.
    pub fn write_to(&self, summary: &Summary, mut out: impl Write) -> io::Result<()> {
        let verdicts: Vec<&str> = Verdict::ALL.iter().map(|v| v.as_str()).collect();
        let mut page = String::with_capacity(64 * 1024);
        self.head(summary, &mut page);
        self.overview(summary, &mut page);
        self.timeline(&verdicts, &mut page);
        self.senders(&mut page);
        self.table_controls(summary, &mut page);
        out.write_all(page.as_bytes())?;
        page.clear();
        self.data(&verdicts, &mut out)?;
        self.evidence_part(&mut page);
        out.write_all(page.as_bytes())?;
        for section in self.evidence.values() {
            out.write_all(section.as_bytes())?;
        }
        page.clear();
        let _ = writeln!(
            page,
            "</div></section><footer>Written by mailsleuth {} at {}.</footer><script>{SCRIPT}</script></body></html>",
            env!("CARGO_PKG_VERSION"),
            Timestamp::now()
        );
        out.write_all(page.as_bytes())?;
        out.flush()
    }

    /// Write the page to a file at `path` (created or truncated).
    pub fn write_file(&self, summary: &Summary, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        let fail = |source| Error::Write {
            path: path.to_path_buf(),
            source,
        };
        let file = std::fs::File::create(path).map_err(fail)?;
        let mut out = io::BufWriter::with_capacity(1 << 16, file);
        self.write_to(summary, &mut out).map_err(fail)?;
        out.into_inner().map_err(|e| fail(e.into_error()))?;
        Ok(())
    }

    fn head(&self, summary: &Summary, page: &mut String) {
        let style = style();
        let title = match self.inputs.as_slice() {
            [] => format!("{} messages", summary.messages),
            [(one, _)] => one.clone(),
            [(first, _), rest @ ..] => format!("{first} and {} more inputs", rest.len()),
        };
        let _ = write!(
            page,
            "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
             <meta http-equiv=\"Content-Security-Policy\" content=\"{}\">\
             <meta name=\"referrer\" content=\"no-referrer\">\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
             <meta name=\"generator\" content=\"mailsleuth {}\"><title>mailsleuth report: ",
            content_security_policy(&style),
            env!("CARGO_PKG_VERSION")
        );
        html(page, &title);
        let _ = write!(
            page,
            "</title><style>{style}</style></head><body>\
             <header><h1>mailsleuth report</h1><p class=\"sub\">"
        );
        html(page, &title);
        page.push_str(
            "</p><nav><a href=\"#overview\">Overview</a><a href=\"#timeline\">Timeline</a>\
             <a href=\"#senders\">Senders</a><a href=\"#messages\">Messages</a>\
             <a href=\"#evidence\">Evidence</a></nav></header>",
        );
    }

    fn overview(&self, summary: &Summary, page: &mut String) {
        page.push_str("<section id=\"overview\"><h2>Overview</h2><div class=\"cards\">");
        let _ = write!(
            page,
            "<div class=\"card total\"><b>{}</b><span>messages</span></div>",
            summary.messages
        );
        for v in Verdict::ALL {
            let n = summary.verdicts.get(v).copied().unwrap_or(0);
            let name = v.as_str();
            let _ = write!(
                page,
                "<button class=\"card v-{name}\" data-verdict=\"{name}\" title=\"list the {name} messages\"><b class=\"count\">{n}</b><span class=\"vname\">{name}</span></button>"
            );
        }
        page.push_str("</div><dl class=\"verdicts\">");
        for v in Verdict::ALL {
            let _ = write!(
                page,
                "<dt><span class=\"badge v-{0}\">{0}</span></dt><dd>",
                v.as_str()
            );
            html(page, verdict_meaning(*v));
            page.push_str("</dd>");
        }
        page.push_str("</dl>");

        // How the report was made.
        page.push_str(
            "<div class=\"ov2\"><div><h3>How this report was made</h3><table class=\"kv\">",
        );
        let _ = write!(
            page,
            "<tr><th>tool</th><td>mailsleuth {} (Rust library crate; this page is its <code>html</code> feature)</td></tr>",
            env!("CARGO_PKG_VERSION")
        );
        if let Some(line) = &self.command_line {
            page.push_str("<tr><th>command line</th><td><code>");
            html(page, line);
            page.push_str("</code></td></tr>");
        }
        page.push_str("<tr><th>signatures judged as of</th><td>");
        html(page, &as_of_text(self.as_of));
        let _ = write!(
            page,
            "</td></tr><tr><th>written at</th><td>{}</td></tr>",
            Timestamp::now()
        );
        page.push_str("</table>");

        // Inputs.
        page.push_str("<h3>Inputs</h3><table class=\"grid\"><thead><tr><th>input</th><th class=\"n\">bytes</th><th class=\"n\">messages</th></tr></thead><tbody>");
        let mut per_source: HashMap<u32, u64> = HashMap::new();
        for r in self.rows.values() {
            *per_source.entry(r.source).or_default() += 1;
        }
        if self.inputs.is_empty() {
            let mut sources: Vec<(u32, u64)> = per_source.iter().map(|(k, v)| (*k, *v)).collect();
            sources.sort_unstable();
            for (id, n) in sources.iter().take(20) {
                page.push_str("<tr><td><code>");
                html(page, self.sources.name(*id));
                let _ = write!(
                    page,
                    "</code></td><td class=\"n\"></td><td class=\"n\">{n}</td></tr>"
                );
            }
            if sources.len() > 20 {
                let _ = write!(
                    page,
                    "<tr><td>and {} more files</td><td></td><td></td></tr>",
                    sources.len() - 20
                );
            }
        }
        for (name, size) in &self.inputs {
            // Messages of the input: from the file itself, or from the files under a folder.
            let mut n = 0u64;
            for (id, count) in &per_source {
                let source = self.sources.name(*id);
                let under = source
                    .strip_prefix(name.as_str())
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with(['/', '\\', '!']));
                if under {
                    n += count;
                }
            }
            page.push_str("<tr><td><code>");
            html(page, name);
            let _ = write!(
                page,
                "</code></td><td class=\"n\">{}</td><td class=\"n\">{n}</td></tr>",
                size.map_or_else(|| "folder or stream".to_string(), group_digits)
            );
        }
        let _ = write!(
            page,
            "</tbody></table><p>{} messages in {} bytes",
            group_digits(summary.messages),
            group_digits(summary.bytes)
        );
        if !summary.formats.is_empty() {
            let formats: Vec<String> = summary
                .formats
                .iter()
                .map(|(f, n)| format!("{f} {n}"))
                .collect();
            let _ = write!(page, " (formats: {})", formats.join(", "));
        }
        page.push('.');
        if summary.gaps > 0 {
            let _ = write!(
                page,
                " {} gaps ({} bytes) belong to no message.",
                summary.gaps, summary.gap_bytes
            );
        }
        if !summary.anomalies.is_empty() {
            let a: Vec<String> = summary
                .anomalies
                .iter()
                .map(|(c, n)| format!("{c} {n}"))
                .collect();
            page.push_str(" Reader anomalies (messages): ");
            html(page, &a.join(", "));
            page.push('.');
        }
        page.push_str("</p>");
        if !summary.errors.is_empty() {
            let _ = write!(
                page,
                "<p class=\"warn\">{} inputs or messages could not be read or analysed:</p><ul class=\"errors\">",
                summary.errors.len()
            );
            for e in summary.errors.iter().take(20) {
                page.push_str("<li>");
                html(page, e);
                page.push_str("</li>");
            }
            if summary.errors.len() > 20 {
                let _ = write!(page, "<li>and {} more</li>", summary.errors.len() - 20);
            }
            page.push_str("</ul>");
        }
        let added = self.rows.len() as u64;
        if added != summary.messages {
            let _ = write!(
                page,
                "<p class=\"warn\">The table holds {added} messages, the summary counts {}.</p>",
                summary.messages
            );
        }

        // Findings.
        page.push_str("</div><div>");
        if !summary.findings.is_empty() {
            page.push_str("<h3>Findings</h3><table class=\"grid findings-count\"><thead><tr><th>code</th><th class=\"n\">messages</th></tr></thead><tbody>");
            let mut codes: Vec<(&FindingCode, &u64)> = summary.findings.iter().collect();
            codes.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
            for (code, n) in codes {
                let _ = write!(
                    page,
                    "<tr><td><button class=\"lnk\" data-code=\"{0}\">{0}</button></td><td class=\"n\">{n}</td></tr>",
                    code.as_str()
                );
            }
            page.push_str("</tbody></table><p class=\"hint\">The meaning of each code, its evidence and its known false-positive causes are tabled in the crate documentation of <code>mailsleuth::checks</code>.</p>");
        }

        page.push_str("</div></div>");
        self.keys_table(page);
        page.push_str("</section>");
    }

    fn keys_table(&self, page: &mut String) {
        let mut used: HashMap<u32, u64> = HashMap::new();
        for r in self.rows.values() {
            for k in r.keys.iter() {
                *used.entry(*k).or_default() += 1;
            }
        }
        page.push_str("<h3>Keys</h3>");
        if self.keys.is_empty() && used.is_empty() {
            page.push_str("<p>No key: every signature is <code>no-key</code>.</p>");
            return;
        }
        page.push_str("<table class=\"grid keys\"><thead><tr><th>key record</th><th>kind</th><th>provenance</th><th>notes</th><th class=\"n\">signatures verified</th></tr></thead><tbody>");
        let mut listed = 0usize;
        let mut seen = std::collections::HashSet::new();
        // Keys that verified signatures first, then the others of the store.
        let mut order: Vec<(u64, usize)> = self
            .keys
            .iter()
            .enumerate()
            .map(|(i, k)| {
                let n = self
                    .key_sources
                    .ids
                    .get(k.provenance.as_str())
                    .and_then(|id| used.get(id))
                    .copied()
                    .unwrap_or(0);
                (n, i)
            })
            .collect();
        order.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        for (n, i) in &order {
            let Some(k) = self.keys.get(*i) else { continue };
            seen.insert(k.provenance.as_str());
            if listed >= KEY_ROWS {
                continue;
            }
            listed += 1;
            page.push_str("<tr><td><code>");
            html(page, &k.name);
            page.push_str("</code></td><td>");
            html(page, &k.kind);
            page.push_str("</td><td><code>");
            html(page, &k.provenance);
            page.push_str("</code></td><td>");
            html(page, &k.notes);
            let _ = write!(page, "</td><td class=\"n\">{n}</td></tr>");
        }
        // Sources of keys not in the store (looked up in DNS, recovered from signatures).
        let mut others: Vec<(u64, u32)> = used
            .iter()
            .filter(|(id, _)| !seen.contains(self.key_sources.name(**id)))
            .map(|(id, n)| (*n, *id))
            .collect();
        others.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        for (n, id) in &others {
            if listed >= KEY_ROWS {
                break;
            }
            listed += 1;
            page.push_str("<tr><td></td><td></td><td><code>");
            html(page, self.key_sources.name(*id));
            let _ = write!(
                page,
                "</code></td><td>not in the key store given</td><td class=\"n\">{n}</td></tr>"
            );
        }
        page.push_str("</tbody></table>");
        let total = self.keys.len() + others.len();
        if total > listed {
            let _ = write!(
                page,
                "<p>and {} more keys, listed in the key files.</p>",
                total - listed
            );
        }
    }

    fn timeline(&self, verdicts: &[&str], page: &mut String) {
        page.push_str("<section id=\"timeline\"><h2>Timeline</h2>");
        let points: Vec<(Option<i64>, usize)> = self
            .rows
            .values()
            .map(|r| (r.time, verdict_index(r.verdict)))
            .collect();
        let colours: Vec<&str> = Verdict::ALL.iter().map(|v| verdict_colour(*v)).collect();
        timeline::svg(&points, verdicts, &colours, page);
        page.push_str("<p class=\"legend\">");
        for (v, c) in verdicts.iter().zip(&colours) {
            let _ = write!(
                page,
                "<span><svg class=\"sw\" viewBox=\"0 0 10 10\"><rect width=\"10\" height=\"10\" fill=\"{c}\"/></svg>{v}</span>"
            );
        }
        page.push_str("</p></section>");
    }

    fn senders(&self, page: &mut String) {
        #[derive(Default)]
        struct Agg {
            messages: u64,
            signed: u64,
            pass: u64,
            first: Option<(i64, u64)>,
            last: Option<(i64, u64)>,
            unsigned_days: BTreeMap<i64, Vec<u64>>,
        }
        let period_code = FindingCode::ALL
            .iter()
            .position(|c| *c == FindingCode::UnsignedInSignedPeriod)
            .and_then(|k| u8::try_from(k).ok());
        let mut by: HashMap<Option<u32>, Agg> = HashMap::new();
        for (index, r) in &self.rows {
            let a = by.entry(r.domain).or_default();
            a.messages += 1;
            if r.signed {
                a.signed += 1;
                if let Some(t) = r.time {
                    if a.first.is_none_or(|f| t < f.0) {
                        a.first = Some((t, *index));
                    }
                    if a.last.is_none_or(|l| t > l.0) {
                        a.last = Some((t, *index));
                    }
                }
            }
            if r.signed_pass {
                a.pass += 1;
            }
            if period_code.is_some_and(|c| r.codes.contains(&c)) {
                let day = r.time.map_or(i64::MIN, |t| t.div_euclid(86_400));
                let list = a.unsigned_days.entry(day).or_default();
                if list.len() < 20 {
                    list.push(*index);
                }
            }
        }
        let mut domains: Vec<(Option<u32>, Agg)> = by.into_iter().collect();
        domains.sort_by(|a, b| {
            b.1.messages
                .cmp(&a.1.messages)
                .then_with(|| self.domain_name(a.0).cmp(self.domain_name(b.0)))
        });
        page.push_str(
            "<section id=\"senders\"><h2>Senders</h2><p class=\"hint\">Per From domain: how much of its mail carries a DKIM signature of the domain, and how much of that verifies. \
             A domain that signs its mail but has unsigned messages in the middle of its signed ones (<code>unsigned-in-signed-period</code>) is where a planted message would stand out.</p>\
             <table class=\"grid senders\"><thead><tr><th>From domain</th><th class=\"n\">messages</th><th>signed by the domain</th><th>signature verifies</th><th>first signed</th><th>last signed</th><th>unsigned in a signed period</th></tr></thead><tbody>",
        );
        for (domain, a) in domains.iter().take(SENDER_ROWS) {
            let name = self.domain_name(*domain);
            page.push_str("<tr><td>");
            match domain {
                Some(_) => {
                    page.push_str("<button class=\"lnk\" data-domain=\"");
                    html(page, name);
                    page.push_str("\">");
                    html(page, name);
                    page.push_str("</button>");
                }
                None => page.push_str("<span class=\"none\">no From domain</span>"),
            }
            let _ = write!(page, "</td><td class=\"n\">{}</td>", a.messages);
            share(page, a.signed, a.messages);
            share(page, a.pass, a.messages);
            for end in [a.first, a.last] {
                match end {
                    Some((t, i)) => {
                        let _ = write!(
                            page,
                            "<td><a href=\"#messages\" data-index=\"{i}\" class=\"goto\">#{i}</a> {}</td>",
                            day_text(t)
                        );
                    }
                    None => page.push_str("<td></td>"),
                }
            }
            page.push_str("<td>");
            let days = a.unsigned_days.len();
            for (k, (day, list)) in a.unsigned_days.iter().enumerate() {
                if k >= PERIODS {
                    let _ = write!(page, " and {} more days", days - k);
                    break;
                }
                let (label, from, to) = if *day == i64::MIN {
                    (
                        "undated".to_string(),
                        "undated".to_string(),
                        "undated".to_string(),
                    )
                } else {
                    (
                        day_text(day * 86_400),
                        (day * 86_400).to_string(),
                        ((day + 1) * 86_400).to_string(),
                    )
                };
                page.push_str("<button class=\"lnk period\" data-domain=\"");
                html(page, name);
                let _ = write!(
                    page,
                    "\" data-code=\"unsigned-in-signed-period\" data-from=\"{from}\" data-to=\"{to}\">{label}: {}</button> ",
                    list.iter()
                        .map(|i| format!("#{i}"))
                        .collect::<Vec<_>>()
                        .join(" ")
                );
            }
            page.push_str("</td></tr>");
        }
        page.push_str("</tbody></table>");
        if domains.len() > SENDER_ROWS {
            let rest: u64 = domains.iter().skip(SENDER_ROWS).map(|d| d.1.messages).sum();
            let _ = write!(
                page,
                "<p>and {} more domains with {rest} messages (filter the table by domain to see them).</p>",
                domains.len() - SENDER_ROWS
            );
        }
        page.push_str("</section>");
    }

    fn domain_name(&self, id: Option<u32>) -> &str {
        id.map_or("", |id| self.domains.name(id))
    }

    fn table_controls(&self, summary: &Summary, page: &mut String) {
        let _ = write!(
            page,
            "<section id=\"messages\"><h2>Messages</h2>\
             <div class=\"controls\"><label>verdict <select id=\"f-verdict\"><option value=\"\">all</option>"
        );
        for v in Verdict::ALL {
            let n = summary.verdicts.get(v).copied().unwrap_or(0);
            let _ = write!(page, "<option value=\"{0}\">{0} ({n})</option>", v.as_str());
        }
        page.push_str(
            "</select></label><label>finding <select id=\"f-code\"><option value=\"\">any</option>",
        );
        for (code, n) in &summary.findings {
            let _ = write!(
                page,
                "<option value=\"{0}\">{0} ({n})</option>",
                code.as_str()
            );
        }
        page.push_str(
            "</select></label><label>From domain <input id=\"f-domain\" list=\"domains\" size=\"22\" placeholder=\"e.g. example.com\"></label><datalist id=\"domains\">",
        );
        let mut counts: HashMap<u32, u64> = HashMap::new();
        for r in self.rows.values() {
            if let Some(d) = r.domain {
                *counts.entry(d).or_default() += 1;
            }
        }
        let mut top: Vec<(u64, u32)> = counts.into_iter().map(|(d, n)| (n, d)).collect();
        top.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        for (_, d) in top.iter().take(SENDER_ROWS) {
            page.push_str("<option value=\"");
            html(page, self.domains.name(*d));
            page.push_str("\">");
        }
        page.push_str(
            "</datalist><label>text <input id=\"f-text\" type=\"search\" size=\"24\" placeholder=\"From or Subject contains\"></label>\
             <span id=\"f-time\" class=\"chip\" hidden></span><button id=\"f-clear\" type=\"button\">clear filters</button>\
             <span id=\"f-count\" class=\"count\"></span></div>\
             <noscript><p class=\"warn\">The message table needs JavaScript. Every other part of this report (overview, timeline, senders and evidence) is static.</p></noscript>\
             <div class=\"vt\" id=\"vt\" tabindex=\"0\"><div class=\"vrow vhead\" id=\"vhead\">\
             <span data-sort=\"index\" class=\"c-i\">index</span><span data-sort=\"date\" class=\"c-d\">date (UTC)</span>\
             <span data-sort=\"from\" class=\"c-f\">from</span><span data-sort=\"subject\" class=\"c-s\">subject</span>\
             <span data-sort=\"verdict\" class=\"c-v\">verdict</span><span data-sort=\"findings\" class=\"c-x\">findings</span></div>\
             <div id=\"vbody\" class=\"vbody\"></div></div>\
             <p class=\"print-note\">The message table is interactive: open the file in a browser to list and sort all messages. The evidence of every flagged message follows.</p>",
        );
    }

    /// The rows as JSON, in a data block the script reads: one array per message
    /// `[index, time, date, from, subject, verdict, [codes], domain, source, offset, evidence]`.
    fn data(&self, verdicts: &[&str], out: &mut impl Write) -> io::Result<()> {
        let mut buf = String::with_capacity(1 << 16);
        buf.push_str("<script type=\"application/json\" id=\"data\">{\"verdicts\":[");
        for (k, v) in verdicts.iter().enumerate() {
            if k > 0 {
                buf.push(',');
            }
            json_string(&mut buf, v);
        }
        buf.push_str("],\"colours\":[");
        for (k, v) in Verdict::ALL.iter().enumerate() {
            if k > 0 {
                buf.push(',');
            }
            json_string(&mut buf, verdict_colour(*v));
        }
        buf.push_str("],\"codes\":[");
        for (k, c) in FindingCode::ALL.iter().enumerate() {
            if k > 0 {
                buf.push(',');
            }
            json_string(&mut buf, c.as_str());
        }
        buf.push_str("],\"domains\":[");
        for (k, d) in self.domains.names.iter().enumerate() {
            if k > 0 {
                buf.push(',');
            }
            json_string(&mut buf, d);
            if buf.len() > 60_000 {
                out.write_all(buf.as_bytes())?;
                buf.clear();
            }
        }
        buf.push_str("],\"sources\":[");
        for (k, s) in self.sources.names.iter().enumerate() {
            if k > 0 {
                buf.push(',');
            }
            json_string(&mut buf, s);
            if buf.len() > 60_000 {
                out.write_all(buf.as_bytes())?;
                buf.clear();
            }
        }
        buf.push_str("],\"rows\":[");
        for (k, (index, r)) in self.rows.iter().enumerate() {
            if k > 0 {
                buf.push(',');
            }
            let _ = write!(buf, "[{index},");
            match r.time {
                Some(t) => {
                    let _ = write!(buf, "{t},");
                }
                None => buf.push_str("null,"),
            }
            json_string(&mut buf, &r.date);
            buf.push(',');
            json_string(&mut buf, &r.from);
            buf.push(',');
            json_string(&mut buf, &r.subject);
            let _ = write!(buf, ",{},[", verdict_index(r.verdict));
            for (j, c) in r.codes.iter().enumerate() {
                if j > 0 {
                    buf.push(',');
                }
                let _ = write!(buf, "{c}");
            }
            let domain = r.domain.map_or(-1, i64::from);
            let _ = write!(
                buf,
                "],{domain},{},{},{}]",
                r.source,
                r.offset,
                r.evidence.code()
            );
            if buf.len() > 60_000 {
                out.write_all(buf.as_bytes())?;
                buf.clear();
            }
        }
        buf.push_str("]}</script>");
        out.write_all(buf.as_bytes())?;
        Ok(())
    }

    fn evidence_part(&self, page: &mut String) {
        let mut count = [0u64; 4];
        let mut cut = Vec::new();
        for (index, r) in &self.rows {
            if let Some(n) = count.get_mut(usize::from(r.evidence.code())) {
                *n += 1;
            }
            if r.evidence == Shown::Cut && cut.len() < 2_000 {
                cut.push(*index);
            }
        }
        let [_, bytes, no_bytes, cut_count] = count;
        let _ = write!(
            page,
            "</section><section id=\"evidence\"><h2>Evidence</h2><p class=\"hint\">Every tampered or suspicious message: its findings (those that decide the verdict in bold), \
             the result of each DKIM signature, and the bytes as stored: the header block and the lines around each evidence span. \
             Each span is highlighted and labelled with the number of its finding and its offset in the source; \
             <span class=\"cr-demo\"></span> marks a carriage return. Offsets count bytes from the start of the source file.</p>\
             <p>{} flagged messages: {bytes} with their bytes, {no_bytes} without",
            bytes + no_bytes + cut_count
        );
        if cut_count > 0 {
            let _ = write!(
                page,
                ", and <b class=\"warn\">{cut_count} not embedded</b>: the evidence budget of {} MiB was spent (the message table lists them; the JSON output has their findings and spans)",
                self.budget / (1024 * 1024)
            );
        }
        page.push_str(".</p>");
        if !cut.is_empty() {
            page.push_str("<details class=\"cut\"><summary>Messages not embedded</summary><p>");
            for i in &cut {
                let _ = write!(page, "#{i} ");
            }
            if cut_count > cut.len() as u64 {
                let _ = write!(page, "and {} more", cut_count - cut.len() as u64);
            }
            page.push_str("</p></details>");
        }
        page.push_str("<div class=\"evs\">");
    }
}

/// The page's Content-Security-Policy: nothing may load, only the page's own script and
/// style (by hash) run.
fn content_security_policy(style: &str) -> String {
    format!(
        "default-src 'none'; script-src 'sha256-{}'; style-src 'sha256-{}'; img-src 'none'; base-uri 'none'; form-action 'none'",
        escape::base64(&Sha256::digest(SCRIPT.as_bytes())),
        escape::base64(&Sha256::digest(style.as_bytes()))
    )
}

/// The style sheet with the colour of every verdict (badges, cards).
fn style() -> String {
    let mut css = String::from(STYLE);
    for v in Verdict::ALL {
        let _ = writeln!(
            css,
            ".badge.v-{0} {{ background: {1}; }} .card.v-{0} {{ border-left-color: {1}; }}",
            v.as_str(),
            verdict_colour(*v)
        );
    }
    css
}

fn sha256_hex(bytes: &[u8]) -> String {
    crate::read::message::hex(&Sha256::digest(bytes))
}

fn verdict_index(v: Verdict) -> usize {
    Verdict::ALL
        .iter()
        .position(|x| *x == v)
        .unwrap_or(Verdict::ALL.len())
}

/// The fill colour of a verdict (by its name, so that a verdict added later gets one).
fn verdict_colour(v: Verdict) -> &'static str {
    match v.as_str() {
        "verified" => "#2e7d32",
        "headers-verified" => "#7cb342",
        "tampered" => "#c62828",
        "suspicious" => "#ef8f00",
        "unverified" => "#9e9e9e",
        _ => "#5c6bc0",
    }
}

/// What a verdict means, for the overview (from the report contract).
fn verdict_meaning(v: Verdict) -> &'static str {
    match v.as_str() {
        "verified" => {
            "A DKIM signature of the From domain (or a trusted ARC seal) verifies, with nothing unsigned that a reader sees, and no high-severity finding."
        }
        "headers-verified" => {
            "A signature of the From domain verifies over the headers; the body changed after signing in a way the message's own route explains, and is not proven."
        }
        "tampered" => {
            "Cryptographic evidence of change after signing that nothing on the route explains."
        }
        "suspicious" => {
            "No cryptographic proof of change, but at least one medium- or high-severity finding."
        }
        "unverified" => {
            "Nothing above: no signature of the From domain verifies, and no finding of weight."
        }
        _ => "See the crate documentation of mailsleuth::Verdict.",
    }
}

fn as_of_text(as_of: AsOf) -> String {
    match as_of {
        AsOf::Receipt => "each message's receipt: the time of its top-most Received header, else its Date, else the time of the scan".to_string(),
        AsOf::Fixed(t) => format!("a fixed time: {t}"),
        AsOf::Now => "the time of the scan (this machine's clock)".to_string(),
    }
}

/// A share as a percentage cell with a small bar.
fn share(page: &mut String, part: u64, whole: u64) {
    let pct = if whole == 0 {
        0.0
    } else {
        part as f64 * 100.0 / whole as f64
    };
    let _ = write!(
        page,
        "<td class=\"share\"><svg class=\"bar\" viewBox=\"0 0 100 8\" preserveAspectRatio=\"none\"><rect class=\"bg\" width=\"100\" height=\"8\"/><rect class=\"fg\" width=\"{pct:.1}\" height=\"8\"/></svg> {pct:.0} % <span class=\"of\">({part})</span></td>"
    );
}

fn day_text(t: i64) -> String {
    let d = mail_parser::DateTime::from_timestamp(t);
    format!("{:04}-{:02}-{:02}", d.year, d.month, d.day)
}

/// `1234567` as `1,234,567`.
fn group_digits(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (k, c) in digits.chars().enumerate() {
        if k > 0 && (digits.len() - k).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}
