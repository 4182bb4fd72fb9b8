//! The key archive: DKIM public key records kept with their provenance.
//!
//! A [`KeyStore`] holds TXT records by DNS name (`<selector>._domainkey.<domain>`). Several
//! records may live under one name, because keys rotate under the same selector; the verifier
//! tries each. Every record remembers where it came from ([`Provenance`]) and what the
//! archivist noted about it ([`KeyAnnotations`]).
//!
//! Archive files are text, one record a line:
//!
//! ```text
//! # comment
//! sel._domainkey.example.com v=DKIM1; k=rsa; p=MIIB...
//! sel._domainkey.example.com. 300 IN TXT "v=DKIM1; k=rsa; " "p=MIIB..."   valid-until=2020-01-01
//! ```
//!
//! The second form is a zone file or `dig` answer line; its quoted strings are joined. The
//! annotations `valid-from=`, `valid-until=` (RFC 3339 date or time, or Unix seconds) and
//! `private-key-published=` (free text, usually a date) may follow a record on its line.
//!
//! Public DKIM key archives export JSON: a line holding one object, or an array of them, with
//! the fields of the archive.prove.email (ZK Email) API, `domain`, `selector`, `value` (the
//! TXT record), `firstSeenAt` and `lastSeenAt` (RFC 3339), is read too, and the first and
//! last sightings become the key's known period of use (`valid-from`, `valid-until`: the
//! `date-outside-key-validity` finding and [`DkimCheck::key_in_use_as_of`] use them):
//!
//! ```text
//! [{"domain":"example.com","selector":"s1","value":"k=rsa; p=MIIB...","firstSeenAt":"2021-03-01T00:00:00Z","lastSeenAt":"2023-06-30T00:00:00Z"}]
//! ```
//!
//! [`DkimCheck::key_in_use_as_of`]: super::DkimCheck::key_in_use_as_of
//!
//! RSA keys that no verification could use in bounded time are refused when loaded, each with
//! its reason in the [`LoadReport`]: a modulus over 8192 bits (the limit of mail-auth's
//! verifier too), and a public exponent other than an odd number from 3 to 131071 (2^17 - 1;
//! DKIM keys use 65537). Smaller keys load: a 512-bit key verifies and is reported as weak.

use std::collections::BTreeMap;
use std::fmt;
use std::io::{BufRead, BufReader, ErrorKind, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use mail_auth::common::parse::TxtRecordParser;
use mail_auth::common::verify::DomainKey;

use crate::error::{Error, Result};
use crate::fields::date::{parse_timestamp, rfc3339};
use crate::fields::tags::tags;
use crate::read::file::{Opened, open_input};

/// Longest key archive line read (64 KiB). A longer line is one problem of the
/// [`LoadReport`], named by file and line with its first bytes shown, and is skipped without
/// being held in memory.
pub const MAX_KEY_LINE: usize = 64 * 1024;

/// Largest key archive read (64 MiB); a larger file, or a stream that goes on past it, is an
/// [`Error::KeyFile`] and nothing of it is loaded.
pub const MAX_KEY_FILE: u64 = 64 * 1024 * 1024;

/// Longest name or reason a [`KeyProblem`] repeats from the archive line.
const MAX_ECHO: usize = 200;

/// Where a key record came from.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Provenance {
    /// A line of a key archive file (or of text given to [`KeyStore::parse_str`]).
    File {
        /// The file (or origin name) the record was read from.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
    },
    /// A DNS lookup of the name at a time (Unix seconds).
    Dns {
        /// The name looked up.
        name: String,
        /// When it was looked up, Unix seconds.
        at: i64,
    },
    /// Given by the caller, with a free-text description.
    User(String),
}

impl fmt::Display for Provenance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Provenance::File { path, line } => write!(f, "{}:{}", path.display(), line),
            Provenance::Dns { name, at } => write!(f, "dns {} at {}", name, rfc3339(*at)),
            Provenance::User(s) => write!(f, "user: {s}"),
        }
    }
}

/// What the archivist noted about a key on its line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct KeyAnnotations {
    /// `valid-from=`: first time the key is known to be in use (Unix seconds).
    pub valid_from: Option<i64>,
    /// `valid-until=`: last time the key is known to be in use (Unix seconds).
    pub valid_until: Option<i64>,
    /// `private-key-published=`: the private half is public (value as written, usually the
    /// date it was published). Signatures by such a key prove nothing after that date.
    pub private_key_published: Option<String>,
}

impl KeyAnnotations {
    /// Whether there is no annotation.
    pub fn is_empty(&self) -> bool {
        self.valid_from.is_none()
            && self.valid_until.is_none()
            && self.private_key_published.is_none()
    }

    /// Whether `time` lies in the key's annotated use period (`None` when no period is
    /// annotated).
    pub fn covers(&self, time: i64) -> Option<bool> {
        if self.valid_from.is_none() && self.valid_until.is_none() {
            return None;
        }
        Some(
            self.valid_from.is_none_or(|f| time >= f) && self.valid_until.is_none_or(|u| time <= u),
        )
    }
}

/// The kind of public key in a record (`k=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "lowercase"))]
#[non_exhaustive]
pub enum KeyKind {
    /// `k=rsa` (the default).
    Rsa,
    /// `k=ed25519` (RFC 8463).
    Ed25519,
}

/// The usable part of a record.
#[derive(Clone)]
pub(crate) struct PublicKey {
    pub(crate) key: Arc<DomainKey>,
    pub(crate) kind: KeyKind,
    pub(crate) bits: u32,
    /// The RSA key again, for opening each signature once (`None` for Ed25519).
    pub(crate) rsa: Option<super::rsa::RsaKey>,
}

/// One archived key record.
#[derive(Clone)]
pub struct KeyRecord {
    name: String,
    record: String,
    provenance: Provenance,
    annotations: KeyAnnotations,
    testing: bool,
    strict_identity: bool,
    public: Option<PublicKey>,
}

impl fmt::Debug for KeyRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyRecord")
            .field("name", &self.name)
            .field("record", &self.record)
            .field("provenance", &self.provenance)
            .field("annotations", &self.annotations)
            .field("kind", &self.kind())
            .field("bits", &self.bits())
            .finish()
    }
}

impl KeyRecord {
    /// The DNS name, lowercase, without the trailing dot.
    pub fn name(&self) -> &str {
        &self.name
    }
    /// The TXT value as archived (strings joined).
    pub fn record(&self) -> &str {
        &self.record
    }
    /// Where the record came from.
    pub fn provenance(&self) -> &Provenance {
        &self.provenance
    }
    /// The annotations on its line.
    pub fn annotations(&self) -> &KeyAnnotations {
        &self.annotations
    }
    /// Whether the record is revoked (an empty `p=`).
    pub fn is_revoked(&self) -> bool {
        self.public.is_none()
    }
    /// Whether the record has the testing flag `t=y`.
    pub fn is_testing(&self) -> bool {
        self.testing
    }

    /// Whether the record has the flag `t=s`: the domain of a signature's `i=` must be `d=`
    /// itself, not a subdomain (RFC 6376 section 3.6.1).
    pub fn is_strict_identity(&self) -> bool {
        self.strict_identity
    }
    /// The key kind, `None` when revoked.
    pub fn kind(&self) -> Option<KeyKind> {
        self.public.as_ref().map(|p| p.kind)
    }
    /// The key size in bits (RSA modulus size, 256 for Ed25519), `None` when revoked.
    pub fn bits(&self) -> Option<u32> {
        self.public.as_ref().map(|p| p.bits)
    }
    pub(crate) fn public(&self) -> Option<&PublicKey> {
        self.public.as_ref()
    }
}

/// A record that was not loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct KeyProblem {
    /// Where the record was (file and line, or a DNS name).
    pub origin: String,
    /// The record's name, when it could be read.
    pub name: Option<String>,
    /// What was wrong.
    pub reason: String,
}

impl std::fmt::Display for KeyProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.name {
            Some(name) => write!(f, "{}: key {name} not loaded: {}", self.origin, self.reason),
            None => write!(f, "{}: not loaded: {}", self.origin, self.reason),
        }
    }
}

/// What loading a key archive did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct LoadReport {
    /// Records stored (revoked ones included).
    pub loaded: usize,
    /// Of those, records with an empty `p=` (revoked keys).
    pub revoked: usize,
    /// Records that were not stored, each with its reason.
    pub problems: Vec<KeyProblem>,
}

/// An archive of DKIM public keys, by DNS name.
#[derive(Debug, Clone, Default)]
pub struct KeyStore {
    keys: BTreeMap<String, Vec<KeyRecord>>,
}

const ANNOTATIONS: [&str; 3] = ["valid-from=", "valid-until=", "private-key-published="];

impl KeyStore {
    /// A store with the keys of one archive file (see [`KeyStore::load_file`]); records that
    /// could not be read are skipped (load the file with [`KeyStore::load_file`] to see them).
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self> {
        let mut store = KeyStore::new();
        store.load_file(path)?;
        Ok(store)
    }

    /// An empty store.
    pub fn new() -> Self {
        KeyStore::default()
    }

    /// Number of records stored.
    pub fn len(&self) -> usize {
        self.keys.values().map(Vec::len).sum()
    }

    /// Whether the store holds no record.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The records under `name` (`<selector>._domainkey.<domain>`, any case, trailing dot
    /// optional), in the order they were added.
    pub fn get(&self, name: &str) -> &[KeyRecord] {
        self.keys
            .get(&normalize_name(name))
            .map(Vec::as_slice)
            .unwrap_or_default()
    }

    /// All records, by name.
    pub fn iter(&self) -> impl Iterator<Item = &KeyRecord> {
        self.keys.values().flatten()
    }

    /// Load a key archive file. Malformed records are listed in the report and the rest
    /// loads; a file that cannot be read, that is not text, or that is larger than
    /// [`MAX_KEY_FILE`] is an error naming the file (and the line), and then nothing of it is
    /// loaded. Only regular files are read by path (a FIFO or a device such as `/dev/zero` is
    /// an error naming its type), except the stream paths `/dev/stdin`, `/dev/fd/N` and
    /// `/proc/self/fd/N` that a shell's `<(command)` gives. Lines longer than
    /// [`MAX_KEY_LINE`] are problems of the report.
    pub fn load_file(&mut self, path: impl AsRef<Path>) -> Result<LoadReport> {
        let path = path.as_ref();
        match open_input(path)? {
            Opened::Regular(file, watch) if watch.len() > MAX_KEY_FILE => {
                drop(file);
                Err(too_large(path, 1))
            }
            Opened::Regular(file, _) => self.load_reader(file, path),
            Opened::Stream(file) => self.load_reader(file, path),
        }
    }

    /// Load a key archive from any byte stream, read line by line in bounded memory (lines
    /// up to [`MAX_KEY_LINE`], at most [`MAX_KEY_FILE`] bytes); `origin` names it in
    /// provenance, problems and errors. Errors as [`KeyStore::load_file`]; on an error
    /// nothing is loaded.
    pub fn load_reader(
        &mut self,
        input: impl Read,
        origin: impl AsRef<Path>,
    ) -> Result<LoadReport> {
        let origin = origin.as_ref();
        let mut loaded = KeyStore::new();
        let mut report = LoadReport::default();
        let mut lines = BoundedLines::new(input);
        let mut line_no = 0usize;
        loop {
            let offset = lines.consumed;
            let line = lines.next_line().map_err(|source| Error::Io {
                path: origin.to_path_buf(),
                offset,
                source,
            })?;
            line_no += 1;
            let bytes = match line {
                None => break,
                Some(KeyLine::Overflow) => return Err(too_large(origin, line_no)),
                Some(KeyLine::TooLong { len, head }) => {
                    report.problems.push(KeyProblem {
                        origin: format!("{}:{}", origin.display(), line_no),
                        name: None,
                        reason: format!(
                            "a line of {len} bytes, over the limit of {MAX_KEY_LINE}, skipped (it starts with \"{}\")",
                            head.escape_ascii()
                        ),
                    });
                    continue;
                }
                Some(KeyLine::Text(bytes)) => bytes,
            };
            let key_file = |reason: &str| Error::KeyFile {
                path: origin.to_path_buf(),
                line: line_no,
                reason: reason.into(),
            };
            if memchr::memchr(0, bytes).is_some() {
                return Err(key_file("binary data (NUL byte)"));
            }
            let text = std::str::from_utf8(bytes).map_err(|_| key_file("not UTF-8 text"))?;
            // As `str::lines`: one CR before the LF belongs to the line ending.
            let text = text.strip_suffix('\r').unwrap_or(text);
            loaded.load_line(text, origin, line_no, &mut report);
        }
        for record in loaded.keys.into_values().flatten() {
            let list = self.keys.entry(record.name.clone()).or_default();
            if !list
                .iter()
                .any(|k| k.record == record.record && k.annotations == record.annotations)
            {
                list.push(record);
            }
        }
        Ok(report)
    }

    /// Load records from archive text; `origin` names it in provenance and problems.
    pub fn parse_str(&mut self, text: &str, origin: impl AsRef<Path>) -> LoadReport {
        let origin = origin.as_ref();
        let mut report = LoadReport::default();
        for (i, line) in text.lines().enumerate() {
            self.load_line(line, origin, i + 1, &mut report);
        }
        report
    }

    /// Load one archive line (without its line ending) into the store and the report.
    /// Problems repeat at most [`MAX_ECHO`] bytes of the line (escaped when shortened).
    fn load_line(&mut self, line: &str, origin: &Path, line_no: usize, report: &mut LoadReport) {
        let where_ = || format!("{}:{}", origin.display(), line_no);
        if line.trim_start().starts_with(['{', '[']) {
            self.load_json_line(line, origin, line_no, report);
            return;
        }
        match parse_line(line) {
            Ok(None) => {}
            Ok(Some((name, record, annotations))) => {
                let provenance = Provenance::File {
                    path: origin.to_path_buf(),
                    line: line_no,
                };
                match self.insert_annotated(&name, &record, provenance, annotations) {
                    Ok(revoked) => {
                        report.loaded += 1;
                        report.revoked += usize::from(revoked);
                    }
                    Err(reason) => report.problems.push(KeyProblem {
                        origin: where_(),
                        name: Some(shorten(&normalize_name(&name))),
                        reason: shorten(&reason),
                    }),
                }
            }
            Err((name, reason)) => report.problems.push(KeyProblem {
                origin: where_(),
                name: name.map(|n| shorten(&n)),
                reason: shorten(&reason),
            }),
        }
    }

    /// Load a line of a DKIM key archive's JSON export: one object, or an array of them, of
    /// the fields the archive.prove.email API answers with (`domain`, `selector`, `value`:
    /// the TXT record, `firstSeenAt`, `lastSeenAt`: RFC 3339 times). The first and last
    /// sightings become the key's known period of use (`valid-from`, `valid-until`).
    fn load_json_line(
        &mut self,
        line: &str,
        origin: &Path,
        line_no: usize,
        report: &mut LoadReport,
    ) {
        let problem = |report: &mut LoadReport, name: Option<String>, reason: String| {
            report.problems.push(KeyProblem {
                origin: format!("{}:{}", origin.display(), line_no),
                name: name.map(|n| shorten(&n)),
                reason: shorten(&reason),
            });
        };
        let records = match json_records(line) {
            Ok(r) => r,
            Err(e) => return problem(report, None, e),
        };
        for r in records {
            let name = format!("{}._domainkey.{}", r.selector, r.domain);
            let provenance = Provenance::File {
                path: origin.to_path_buf(),
                line: line_no,
            };
            match self.insert_annotated(&name, &r.value, provenance, r.annotations) {
                Ok(revoked) => {
                    report.loaded += 1;
                    report.revoked += usize::from(revoked);
                }
                Err(reason) => problem(report, Some(normalize_name(&name)), reason),
            }
        }
    }

    /// Add one record under `name`. Returns whether it is revoked (empty `p=`), or why it
    /// was not stored.
    pub fn insert(
        &mut self,
        name: &str,
        record: &str,
        provenance: Provenance,
    ) -> std::result::Result<bool, String> {
        self.insert_annotated(name, record, provenance, KeyAnnotations::default())
    }

    /// Like [`KeyStore::insert`], with annotations.
    pub fn insert_annotated(
        &mut self,
        name: &str,
        record: &str,
        provenance: Provenance,
        annotations: KeyAnnotations,
    ) -> std::result::Result<bool, String> {
        let name = normalize_name(name);
        if name.is_empty() || name.contains(char::is_whitespace) {
            return Err("invalid DNS name".into());
        }
        let rec = parse_record(&name, record, provenance, annotations)?;
        let revoked = rec.is_revoked();
        let list = self.keys.entry(name).or_default();
        if !list
            .iter()
            .any(|k| k.record == rec.record && k.annotations == rec.annotations)
        {
            list.push(rec);
        }
        Ok(revoked)
    }

    /// The store as archive text (one record a line, annotations and provenance kept), which
    /// [`KeyStore::parse_str`] reads back.
    pub fn to_archive_string(&self) -> String {
        let mut out = String::from("# mailsleuth key archive\n");
        for k in self.iter() {
            out.push_str(&format!("# from {}\n", k.provenance));
            out.push_str(&k.name);
            out.push(' ');
            out.push_str(&k.record);
            let a = &k.annotations;
            if let Some(t) = a.valid_from {
                out.push_str(&format!(" valid-from={}", rfc3339(t)));
            }
            if let Some(t) = a.valid_until {
                out.push_str(&format!(" valid-until={}", rfc3339(t)));
            }
            if let Some(p) = &a.private_key_published {
                out.push_str(&format!(" private-key-published={p}"));
            }
            out.push('\n');
        }
        out
    }

    /// Write the store as an archive file (see [`KeyStore::to_archive_string`]).
    pub fn save_file(&self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        std::fs::write(path, self.to_archive_string()).map_err(|source| Error::Io {
            path: path.to_path_buf(),
            offset: 0,
            source,
        })
    }
}

fn too_large(path: &Path, line: usize) -> Error {
    Error::KeyFile {
        path: path.to_path_buf(),
        line,
        reason: format!("larger than {MAX_KEY_FILE} bytes: not a key archive; nothing loaded"),
    }
}

/// `text` if it is at most [`MAX_ECHO`] bytes, else its first bytes, escaped, and how long
/// it was.
fn shorten(text: &str) -> String {
    if text.len() <= MAX_ECHO {
        return text.to_string();
    }
    let mut end = MAX_ECHO;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!(
        "{}... ({} bytes)",
        text.get(..end).unwrap_or_default().escape_debug(),
        text.len()
    )
}

/// One line of a key archive as [`BoundedLines`] reads it.
enum KeyLine<'a> {
    /// The line's bytes, without the LF.
    Text(&'a [u8]),
    /// A line over [`MAX_KEY_LINE`]: its length and first bytes.
    TooLong { len: u64, head: Vec<u8> },
    /// The input went past [`MAX_KEY_FILE`].
    Overflow,
}

/// Lines of a byte stream, each held in memory only up to [`MAX_KEY_LINE`] bytes.
struct BoundedLines<R> {
    input: BufReader<R>,
    line: Vec<u8>,
    /// Bytes consumed so far.
    consumed: u64,
}

impl<R: Read> BoundedLines<R> {
    fn new(input: R) -> Self {
        BoundedLines {
            input: BufReader::with_capacity(64 * 1024, input),
            line: Vec::new(),
            consumed: 0,
        }
    }

    /// The next line, `None` at the end of input.
    fn next_line(&mut self) -> std::io::Result<Option<KeyLine<'_>>> {
        const HEAD: usize = 40;
        self.line.clear();
        let mut len = 0u64;
        let mut head: Option<Vec<u8>> = None;
        let mut any = false;
        loop {
            if self.consumed > MAX_KEY_FILE {
                return Ok(Some(KeyLine::Overflow));
            }
            let available = match self.input.fill_buf() {
                Ok(b) => b,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if available.is_empty() {
                if !any {
                    return Ok(None);
                }
                break;
            }
            any = true;
            let (take, ends) = match memchr::memchr(b'\n', available) {
                Some(i) => (i, true),
                None => (available.len(), false),
            };
            let part = available.get(..take).unwrap_or_default();
            match &mut head {
                Some(_) => {}
                None if self.line.len() + take <= MAX_KEY_LINE => self.line.extend_from_slice(part),
                None => {
                    let mut h = std::mem::take(&mut self.line);
                    h.extend_from_slice(part.get(..HEAD.min(take)).unwrap_or_default());
                    h.truncate(HEAD);
                    head = Some(h);
                }
            }
            len += take as u64;
            let used = take + usize::from(ends);
            self.input.consume(used);
            self.consumed += used as u64;
            if ends {
                break;
            }
        }
        if self.consumed > MAX_KEY_FILE {
            return Ok(Some(KeyLine::Overflow));
        }
        Ok(Some(match head {
            Some(head) => KeyLine::TooLong { len, head },
            None => KeyLine::Text(&self.line),
        }))
    }
}

/// A record of a JSON key archive line.
struct JsonRecord {
    domain: String,
    selector: String,
    value: String,
    annotations: KeyAnnotations,
}

/// The records of a JSON archive line (see [`KeyStore::load_json_line`]).
#[cfg(feature = "serde")]
fn json_records(line: &str) -> std::result::Result<Vec<JsonRecord>, String> {
    use serde_json::Value;
    let v: Value = serde_json::from_str(line.trim()).map_err(|e| format!("not JSON: {e}"))?;
    let items = match v {
        Value::Array(items) => items,
        other => vec![other],
    };
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        let text = |k: &str| item.get(k).and_then(Value::as_str).map(str::to_string);
        let (Some(domain), Some(selector), Some(value)) =
            (text("domain"), text("selector"), text("value"))
        else {
            return Err("a JSON key record needs domain, selector and value".into());
        };
        let time = |k: &str| -> std::result::Result<Option<i64>, String> {
            match text(k) {
                None => Ok(None),
                Some(t) => parse_timestamp(&t)
                    .map(Some)
                    .ok_or_else(|| format!("bad time in {k}: {t}")),
            }
        };
        out.push(JsonRecord {
            domain,
            selector,
            value,
            annotations: KeyAnnotations {
                valid_from: time("firstSeenAt")?,
                valid_until: time("lastSeenAt")?,
                private_key_published: None,
            },
        });
    }
    Ok(out)
}

/// Without the `serde` feature JSON archives are not read.
#[cfg(not(feature = "serde"))]
fn json_records(_line: &str) -> std::result::Result<Vec<JsonRecord>, String> {
    Err("a JSON key archive line needs the serde feature".into())
}

pub(crate) fn normalize_name(name: &str) -> String {
    name.trim().trim_end_matches('.').to_ascii_lowercase()
}

type Line = (String, String, KeyAnnotations);

/// Why a line was not loaded: the record's name when it could be read, and the reason.
type LineError = (Option<String>, String);

/// Parse one archive line: `Ok(None)` for blank and comment lines and non-TXT zone records.
///
/// Three forms, told apart by what follows the name: a keymap line (the TXT value as it is,
/// or as quoted strings), a zone-file line (`[ttl] [class] TXT "..." "..."`, strings joined),
/// or a dig answer line (the zone form with both TTL and class). Annotations may follow the
/// record on any form (see [`take_annotations`]).
fn parse_line(line: &str) -> std::result::Result<Option<Line>, LineError> {
    let line = line.trim();
    if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
        return Ok(None);
    }
    let (name, rest) = match line.split_once(char::is_whitespace) {
        Some((n, r)) => (n, r.trim_start()),
        None => return Err((Some(line.to_string()), "no record after the name".into())),
    };
    let name_s = Some(name.to_string());
    let tokens = split_tokens(rest).map_err(|e| (name_s.clone(), e))?;
    let (annotations, kept) = take_annotations(&tokens, &name_s)?;
    let body = match record_form(&kept) {
        RecordForm::Keymap => keymap_value(&kept),
        RecordForm::Txt { data } => zone_value(kept.get(data..).unwrap_or_default()),
        RecordForm::Other => return Ok(None),
    }
    .map_err(|e| (name_s.clone(), e))?;
    Ok(Some((name.to_string(), body, annotations)))
}

/// The whitespace-separated tokens of what follows the name; a quoted string (with its
/// escapes) is one token even with spaces inside.
fn split_tokens(rest: &str) -> std::result::Result<Vec<&str>, String> {
    let mut tokens: Vec<&str> = Vec::new();
    let mut token_start: Option<usize> = None;
    let mut in_quote = false;
    let mut escaped = false;
    for (i, c) in rest.char_indices() {
        if in_quote {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_quote = false;
            }
            continue;
        }
        if c == '"' {
            in_quote = true;
            token_start.get_or_insert(i);
        } else if c.is_whitespace() {
            if let Some(s) = token_start.take() {
                tokens.extend(rest.get(s..i));
            }
        } else {
            token_start.get_or_insert(i);
        }
    }
    if in_quote {
        return Err("unterminated quoted string".into());
    }
    if let Some(s) = token_start {
        tokens.extend(rest.get(s..));
    }
    Ok(tokens)
}

/// The annotations among `tokens` (`valid-from=`, `valid-until=`, `private-key-published=`,
/// possibly after a `#`), and the tokens that are neither annotations nor comment words.
fn take_annotations<'t>(
    tokens: &[&'t str],
    name_s: &Option<String>,
) -> std::result::Result<(KeyAnnotations, Vec<&'t str>), LineError> {
    let mut annotations = KeyAnnotations::default();
    let mut kept: Vec<&str> = Vec::new();
    for &t in tokens {
        let t2 = t.trim_start_matches('#');
        if let Some(a) = ANNOTATIONS.iter().find(|a| t2.starts_with(**a)) {
            let v = t2.get(a.len()..).unwrap_or_default();
            match *a {
                "private-key-published=" => annotations.private_key_published = Some(v.into()),
                _ => {
                    let time = parse_timestamp(v)
                        .ok_or_else(|| (name_s.clone(), format!("bad time in {t2}")))?;
                    if a.starts_with("valid-from") {
                        annotations.valid_from = Some(time);
                    } else {
                        annotations.valid_until = Some(time);
                    }
                }
            }
        } else if t == "#" || t.starts_with('#') {
            // Comment words that are not annotations.
        } else {
            kept.push(t);
        }
    }
    Ok((annotations, kept))
}

/// Which form a line's record has.
#[derive(Debug, PartialEq, Eq)]
enum RecordForm {
    /// The TXT value follows the name directly.
    Keymap,
    /// A zone-file or dig answer line of type TXT, whose strings start at token `data`.
    Txt { data: usize },
    /// A zone-file or dig answer line of another type (A, MX, ...): not a key.
    Other,
}

/// The form of a record from its tokens: `[ttl] [class] TYPE data` (TTL and class in either
/// order, as zone files allow; dig prints both) for zone and dig lines, else a keymap line.
fn record_form(tokens: &[&str]) -> RecordForm {
    for (idx, tok) in tokens.iter().enumerate() {
        if tok.starts_with('"') {
            break;
        }
        let up = tok.to_ascii_uppercase();
        if up == "TXT" {
            return RecordForm::Txt { data: idx + 1 };
        }
        if tok.bytes().all(|b| b.is_ascii_digit()) || matches!(up.as_str(), "IN" | "CH" | "HS") {
            continue;
        }
        if matches!(
            up.as_str(),
            "A" | "AAAA" | "CNAME" | "MX" | "NS" | "SOA" | "PTR" | "SRV" | "CAA" | "RRSIG"
        ) {
            return RecordForm::Other;
        }
        break;
    }
    RecordForm::Keymap
}

/// A keymap line's value: quoted strings joined (as in a zone file), or the tokens as they
/// are, joined by single spaces.
fn keymap_value(tokens: &[&str]) -> std::result::Result<String, String> {
    if tokens.is_empty() {
        return Err("no record after the name".into());
    }
    if tokens.iter().all(|t| t.starts_with('"')) {
        return Ok(tokens.iter().map(|t| unquote_txt(t)).collect());
    }
    Ok(tokens.join(" "))
}

/// A TXT record's data in a zone or dig line: quoted strings, joined (a DKIM key is longer
/// than one 255-byte string, so zone files split it).
fn zone_value(tokens: &[&str]) -> std::result::Result<String, String> {
    if tokens.is_empty() {
        return Err("no record after the name".into());
    }
    if !tokens.iter().all(|t| t.starts_with('"')) {
        return Err("TXT data is not quoted".into());
    }
    Ok(tokens.iter().map(|t| unquote_txt(t)).collect())
}

/// The content of one `"..."` string with `\"`, `\\` and `\DDD` escapes undone.
fn unquote_txt(t: &str) -> String {
    let inner = t
        .strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .unwrap_or(t);
    let mut out = Vec::with_capacity(inner.len());
    let b = inner.as_bytes();
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        if c == b'\\' {
            let d: Option<Vec<u8>> = b.get(i + 1..i + 4).map(|s| s.to_vec());
            if let Some(d) = d.filter(|d| d.iter().all(u8::is_ascii_digit)) {
                let v = d.iter().fold(0u32, |acc, x| acc * 10 + u32::from(x - b'0'));
                out.push(u8::try_from(v).unwrap_or(b'?'));
                i += 4;
                continue;
            }
            if let Some(&n) = b.get(i + 1) {
                out.push(n);
            }
            i += 2;
            continue;
        }
        out.push(c);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn parse_record(
    name: &str,
    record: &str,
    provenance: Provenance,
    annotations: KeyAnnotations,
) -> std::result::Result<KeyRecord, String> {
    let record = record.trim().to_string();
    let mut kind = KeyKind::Rsa;
    let mut p: Option<String> = None;
    let mut testing = false;
    let mut strict_identity = false;
    for (n, v) in tags(&record) {
        match n {
            "v" if v != "DKIM1" => return Err(format!("unsupported version v={v}")),
            "k" => {
                kind = match v.to_ascii_lowercase().as_str() {
                    "rsa" | "" => KeyKind::Rsa,
                    "ed25519" => KeyKind::Ed25519,
                    other => return Err(format!("unsupported key type k={other}")),
                }
            }
            "p" => p = Some(v.chars().filter(|c| !c.is_whitespace()).collect()),
            "t" => {
                let flag = |x: &str| v.split(':').any(|f| f.trim().eq_ignore_ascii_case(x));
                testing = flag("y");
                strict_identity = flag("s");
            }
            _ => {}
        }
    }
    let public = match p.as_deref() {
        None => return Err("no p= tag".into()),
        Some("") => None,
        Some(_) => {
            let key = DomainKey::parse(record.as_bytes()).map_err(|e| format!("bad key: {e}"))?;
            let bits = match kind {
                KeyKind::Ed25519 => 256,
                KeyKind::Rsa => u32::try_from(key.p.public_key_bits()).unwrap_or(u32::MAX),
            };
            let rsa = match kind {
                KeyKind::Ed25519 => None,
                KeyKind::Rsa => {
                    let der = p
                        .as_deref()
                        .and_then(|p| mail_parser::decoders::base64::base64_decode(p.as_bytes()))
                        .ok_or_else(|| "bad key: p= is not base64".to_string())?;
                    let rsa = super::rsa::RsaKey::from_der(&der)
                        .map_err(|e| format!("key refused: {e}"))?;
                    Some(rsa)
                }
            };
            Some(PublicKey {
                key: Arc::new(key),
                kind,
                bits,
                rsa,
            })
        }
    };
    Ok(KeyRecord {
        name: name.to_string(),
        record,
        provenance,
        annotations,
        testing,
        strict_identity,
        public,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const ED: &str = "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=";
    const RSA: &str = "v=DKIM1; k=rsa; p=MFwwDQYJKoZIhvcNAQEBBQADSwAwSAJBANeAJb+LJAyBUq9n2g+x6Obok/dDiVjw2hpEXKLn5LlPgDYepE3QffTR9o0nBQzBdEpiNZiuXxJM1sHGz7SKH/kCAwEAAQ==";

    #[test]
    fn keymap_lines_comments_and_several_keys() {
        let text = format!(
            "# archive\n\nsel._domainkey.Example.com {RSA}\nsel._domainkey.example.com. {ED}\n"
        );
        let mut ks = KeyStore::new();
        let r = ks.parse_str(&text, "keys.txt");
        assert_eq!(r.loaded, 2);
        assert!(r.problems.is_empty(), "{:?}", r.problems);
        let keys = ks.get("SEL._domainkey.example.com.");
        assert_eq!(keys.len(), 2);
        assert_eq!(keys[0].kind(), Some(KeyKind::Rsa));
        assert_eq!(keys[0].bits(), Some(512));
        assert_eq!(keys[1].kind(), Some(KeyKind::Ed25519));
        assert_eq!(keys[1].bits(), Some(256));
        assert_eq!(keys[1].provenance().to_string(), "keys.txt:4");
    }

    /// The JSON export of a public key archive (archive.prove.email's API fields): an array
    /// on one line, one object on the next; two keys under one name, each with its period.
    #[cfg(feature = "serde")]
    #[test]
    fn json_archive_lines_keep_first_and_last_seen() {
        let text = format!(
            "[{{\"domain\":\"Example.com\",\"selector\":\"s1\",\"value\":\"{RSA}\",\"firstSeenAt\":\"2019-01-01T00:00:00Z\",\"lastSeenAt\":\"2020-06-30T00:00:00.000Z\"}},\n\
             {{\"domain\":\"example.com\",\"selector\":\"s2\",\"value\":\"{ED}\"}}]\n\
             {{\"domain\":\"example.com\",\"selector\":\"s1\",\"value\":\"{ED}\",\"firstSeenAt\":\"2020-07-01T00:00:00Z\"}}\n\
             {{\"domain\":\"example.com\",\"value\":\"{ED}\"}}\n\
             {{\"domain\":\"example.com\",\"selector\":\"s3\",\"value\":\"{ED}\",\"lastSeenAt\":\"soon\"}}\n"
        );
        let mut ks = KeyStore::new();
        let r = ks.parse_str(&text, "archive.json");
        // The array spans two lines here, so its first line is not JSON on its own.
        assert_eq!(r.loaded, 1, "{:?}", r.problems);
        assert_eq!(r.problems.len(), 4, "{:?}", r.problems);
        let one_line = text.replacen(",\n", ",", 1);
        let mut ks = KeyStore::new();
        let r = ks.parse_str(&one_line, "archive.json");
        assert_eq!(r.loaded, 3, "{:?}", r.problems);
        assert_eq!(r.problems.len(), 2, "{:?}", r.problems);
        assert!(
            r.problems[0]
                .reason
                .contains("needs domain, selector and value")
        );
        assert!(r.problems[1].reason.contains("bad time in lastSeenAt"));
        let s1 = ks.get("s1._domainkey.example.com");
        assert_eq!(s1.len(), 2);
        assert_eq!(s1[0].annotations().valid_from, Some(1_546_300_800));
        assert_eq!(s1[0].annotations().valid_until, Some(1_593_475_200));
        assert_eq!(s1[0].annotations().covers(1_580_000_000), Some(true));
        assert_eq!(s1[0].annotations().covers(1_600_000_000), Some(false));
        assert_eq!(s1[1].annotations().valid_from, Some(1_593_561_600));
        assert_eq!(s1[1].annotations().valid_until, None);
        assert_eq!(
            ks.get("s2._domainkey.example.com")[0]
                .annotations()
                .covers(0),
            None
        );
    }

    #[test]
    fn zone_lines_with_split_strings_and_annotations() {
        let text = "s1._domainkey.example.org. 300 IN TXT \"v=DKIM1; k=ed25519; \" \"p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=\" valid-from=2017-01-01 valid-until=2018-06-30T12:00:00Z private-key-published=2020-03-01\n\
                    example.org. 300 IN A 192.0.2.1\n\
                    ; dig comment\n\
                    s2._domainkey.example.org IN TXT \"v=DKIM1; p=\"\n";
        let mut ks = KeyStore::new();
        let r = ks.parse_str(text, "zone");
        assert_eq!(r.loaded, 2, "{:?}", r.problems);
        assert_eq!(r.revoked, 1);
        let k = &ks.get("s1._domainkey.example.org")[0];
        assert_eq!(k.record(), ED);
        assert_eq!(k.annotations().valid_from, Some(1_483_228_800));
        assert_eq!(k.annotations().valid_until, Some(1_530_360_000));
        assert_eq!(
            k.annotations().private_key_published.as_deref(),
            Some("2020-03-01")
        );
        assert_eq!(k.annotations().covers(1_500_000_000), Some(true));
        assert_eq!(k.annotations().covers(1_600_000_000), Some(false));
        assert!(ks.get("s2._domainkey.example.org")[0].is_revoked());
    }

    #[test]
    fn malformed_records_are_reported_and_the_rest_loads() {
        let text = format!(
            "bad._domainkey.x.com v=DKIM1; p=!!!notbase64\nnop._domainkey.x.com v=DKIM1; k=rsa\n\
             odd._domainkey.x.com k=dsa; p=AAAA\nlonely\nq._domainkey.x.com TXT \"unterminated\n\
             ok._domainkey.x.com {RSA}\nv2._domainkey.x.com v=DKIM2; p=AAAA\nbt._domainkey.x.com {RSA} valid-from=yesterday\n"
        );
        let mut ks = KeyStore::new();
        let r = ks.parse_str(&text, "k");
        assert_eq!(r.loaded, 1);
        let lines: Vec<&str> = r.problems.iter().map(|p| p.origin.as_str()).collect();
        assert_eq!(lines, ["k:1", "k:2", "k:3", "k:4", "k:5", "k:7", "k:8"]);
        assert_eq!(ks.get("ok._domainkey.x.com").len(), 1);
    }

    /// The `p=` value of an RSA public key with modulus `n` and exponent `e` (not checked).
    fn rsa_p(n: &rsa::BigUint, e: u64) -> String {
        use rsa::pkcs8::EncodePublicKey;
        let key = rsa::RsaPublicKey::new_unchecked(n.clone(), rsa::BigUint::from(e));
        let pem = key
            .to_public_key_pem(rsa::pkcs8::LineEnding::LF)
            .expect("pem");
        pem.lines().filter(|l| !l.starts_with("-----")).collect()
    }

    /// Keys outside the limits are refused when loaded, each with its reason; the limits
    /// themselves load.
    #[test]
    fn rsa_keys_outside_the_limits_are_refused() {
        let one = rsa::BigUint::from(1u32);
        let n8192 = (&one << 8192usize) - 1u32; // odd, 8192 bits
        let n9000 = (&one << 9000usize) - 1u32;
        let text = format!(
            "a._domainkey.x.com v=DKIM1; k=rsa; p={}\n\
             b._domainkey.x.com v=DKIM1; k=rsa; p={}\n\
             c._domainkey.x.com v=DKIM1; k=rsa; p={}\n\
             d._domainkey.x.com v=DKIM1; k=rsa; p={}\n\
             e._domainkey.x.com v=DKIM1; k=rsa; p={}\n",
            rsa_p(&n8192, (1 << 33) - 1),
            rsa_p(&n8192, 65_537),
            rsa_p(&n8192, 3),
            rsa_p(&n8192, 65_538),
            rsa_p(&n9000, 65_537),
        );
        let mut ks = KeyStore::new();
        let r = ks.parse_str(&text, "k");
        assert_eq!(r.loaded, 2, "{:?}", r.problems);
        assert_eq!(ks.get("b._domainkey.x.com")[0].bits(), Some(8192));
        assert_eq!(ks.get("c._domainkey.x.com").len(), 1);
        let reasons: Vec<(&str, &str)> = r
            .problems
            .iter()
            .map(|p| (p.origin.as_str(), p.reason.as_str()))
            .collect();
        assert_eq!(reasons.len(), 3, "{reasons:?}");
        assert_eq!(reasons[0].0, "k:1");
        assert!(
            reasons[0]
                .1
                .starts_with("key refused: RSA public exponent 8589934591 is not one"),
            "{reasons:?}"
        );
        // mail-auth's parser refuses an even exponent first.
        assert_eq!(reasons[1].0, "k:4");
        assert!(reasons[1].1.contains("exponent"), "{reasons:?}");
        assert_eq!(reasons[2].0, "k:5");
        assert_eq!(r.problems[2].name.as_deref(), Some("e._domainkey.x.com"));
    }

    #[test]
    fn line_forms() {
        assert_eq!(
            split_tokens(r#"300 IN TXT "a \" b" "c"  x"#),
            Ok(vec!["300", "IN", "TXT", r#""a \" b""#, r#""c""#, "x"])
        );
        assert!(split_tokens(r#"TXT "open"#).is_err());
        // dig prints TTL then class; zone files may give either, both or neither.
        for (tokens, form) in [
            (
                &["3600", "IN", "TXT", "\"v\""][..],
                RecordForm::Txt { data: 3 },
            ),
            (&["IN", "300", "txt", "\"v\""], RecordForm::Txt { data: 3 }),
            (&["TXT", "\"v\""], RecordForm::Txt { data: 1 }),
            (&["300", "IN", "MX", "10", "mx"], RecordForm::Other),
            (&["v=DKIM1;", "p=AAAA"], RecordForm::Keymap),
            (&["\"v=DKIM1;\"", "TXT"], RecordForm::Keymap),
        ] {
            assert_eq!(record_form(tokens), form, "{tokens:?}");
        }
        assert_eq!(
            keymap_value(&["v=DKIM1;", "p=A"]),
            Ok("v=DKIM1; p=A".into())
        );
        assert_eq!(
            keymap_value(&["\"v=DKIM1; \"", "\"p=A\""]),
            Ok("v=DKIM1; p=A".into())
        );
        assert_eq!(zone_value(&["\"v=\\068KIM1\""]), Ok("v=DKIM1".into()));
        assert!(zone_value(&["v=DKIM1"]).is_err());
        assert!(zone_value(&[]).is_err());
        let name = Some("n".to_string());
        let (a, kept) = take_annotations(
            &[
                "v=DKIM1;",
                "#",
                "valid-from=1970-01-02",
                "#note",
                "private-key-published=x",
            ],
            &name,
        )
        .expect("annotations");
        assert_eq!(kept, ["v=DKIM1;"]);
        assert_eq!(a.valid_from, Some(86_400));
        assert_eq!(a.private_key_published.as_deref(), Some("x"));
        assert!(take_annotations(&["valid-until=soon"], &name).is_err());
    }

    #[test]
    fn archive_round_trip() {
        let mut ks = KeyStore::new();
        ks.parse_str(
            &format!("a._domainkey.x.com {ED} valid-until=2019-01-01 private-key-published=yes\n"),
            "in",
        );
        let text = ks.to_archive_string();
        let mut back = KeyStore::new();
        let r = back.parse_str(&text, "out");
        assert_eq!(r.loaded, 1);
        assert_eq!(
            back.get("a._domainkey.x.com")[0].annotations(),
            ks.get("a._domainkey.x.com")[0].annotations()
        );
    }

    #[test]
    fn unreadable_files_are_errors() {
        let mut ks = KeyStore::new();
        assert!(matches!(
            ks.load_file("/nonexistent/keys"),
            Err(Error::Io { .. })
        ));
        let dir = std::env::temp_dir().join(format!("mailsleuth-keys-{}", std::process::id()));
        std::fs::write(&dir, b"a b\nc \xff\n").unwrap();
        let e = ks.load_file(&dir).unwrap_err();
        std::fs::remove_file(&dir).ok();
        assert!(matches!(e, Error::KeyFile { line: 2, .. }), "{e}");
    }
}
