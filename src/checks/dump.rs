//! The dump-wide pass: compact facts collected per message during the first pass, then
//! checks across messages over those facts (the dump is not read again, but for the bodies
//! of the few messages whose Message-ID repeats, when they were streamed from a file).
//!
//! Memory stays proportional to the number of messages: a [`MessageFacts`] holds hashes,
//! times, spans and a few short domain names (a few hundred bytes); a message on a list's
//! route whose body change a learned footer may explain also keeps the report it makes then
//! (see [`footers`], at most [`footers::MAX_PENDING`] of them).
//!
//! The body fingerprint (for "same Message-ID, different body") is the one fact that costs a
//! pass over every body byte, and it matters only for the few messages whose Message-ID
//! occurs more than once. When the dump is already in memory (a memory map or a buffer), the
//! facts keep a zero-copy handle to the body instead ([`BodyFingerprint::Deferred`]); when it
//! was streamed from a regular file, they keep where the message lies in it
//! ([`BodyFingerprint::Located`]), and the bytes read back must hash to the message's SHA-256
//! as scanned. Either way the dump-wide pass hashes only the bodies of messages that share a
//! Message-ID, one per distinct message (copies with equal [`MessageFacts::sha256`] share
//! it). Only standard input and the members of containers are hashed as they are read.

use std::collections::BTreeMap;

use bytes::Bytes;
use sha2::{Digest, Sha256};

use super::{Config, Finding, FindingCode, Severity};
use crate::fields::date::{format_duration, format_utc};
use crate::fields::domain::org_domain;
use crate::fields::domain::{address, domain_of};
use crate::fields::tags::tag;
use crate::read::headers::Headers;
use crate::span::Span;

pub(crate) mod clocks;
#[cfg(test)]
mod crafted;
pub(crate) mod footers;
mod keyed;

use keyed::KeyedMap;

/// How many parent ids a message keeps (In-Reply-To, then the last References).
const MAX_PARENTS: usize = 4;

/// What the dump-wide pass keeps of one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageFacts {
    /// Position in the scan.
    pub index: u64,
    /// Hash of the Message-ID (angle brackets and case of the domain ignored).
    pub message_id: Option<u64>,
    /// The Message-ID field.
    pub message_id_span: Option<Span>,
    /// The body's fingerprint: its hash after normalisation (line endings, trailing white
    /// space, trailing empty lines and `>From ` quoting do not count), or the body bytes to
    /// hash when needed.
    pub body: BodyFingerprint,
    /// The body.
    pub body_span: Span,
    /// The first half of the whole message's SHA-256, when the scanner computed it (zeros
    /// otherwise): copies with the same hash have the same body, which is then hashed once.
    pub sha256: [u8; 16],
    /// Hashes of the ids the message replies to: In-Reply-To first, then the last
    /// References.
    pub parents: Vec<u64>,
    /// The In-Reply-To (or References) field.
    pub parent_span: Option<Span>,
    /// `Date`, Unix seconds.
    pub date: Option<i64>,
    /// The Date field.
    pub date_span: Option<Span>,
    /// The zone offset of `Date`, minutes east of UTC.
    pub tz_minutes: Option<i16>,
    /// Hash of the From address (lowercased).
    pub from: Option<u64>,
    /// Organisational domain of the From address.
    pub from_domain: Option<Box<str>>,
    /// The From field.
    pub from_span: Option<Span>,
    /// Signing domains (`d=`) and whether that signature verified.
    pub signers: Vec<(Box<str>, bool)>,
    /// The clock steps of the route and the sender's clock (see [`clocks`]); empty unless
    /// the per-message time check filled them in.
    pub clocks: clocks::ClockFacts,
    /// The blocks the body repairs of its signatures removed, and the pending footers (see
    /// [`footers`]); `None` for most messages.
    pub footers: Option<Box<footers::FooterFacts>>,
    /// Document metadata of the attachments (feature `attachments`).
    #[cfg(feature = "attachments")]
    pub attachments: Vec<super::attachments::AttachmentFacts>,
}

/// A body's fingerprint for comparing copies of one message across the dump.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum BodyFingerprint {
    /// [`normalized_body_hash`] of the body.
    Hashed([u8; 16]),
    /// The body itself, a zero-copy slice of a dump held in memory or mapped: hashed by the
    /// dump-wide pass only if another message has the same Message-ID. Never use it for a
    /// streamed dump (it would keep every body in memory): call
    /// [`BodyFingerprint::resolve`] first.
    Deferred(Bytes),
    /// Where the message lies in the regular file it was streamed from: read back and hashed
    /// by the dump-wide pass only if another message has the same Message-ID. The bytes read
    /// back must hash to the message's SHA-256 as scanned ([`MessageFacts::sha256`]); a file
    /// that changed since gives [`BodyFingerprint::Unread`].
    Located(Located),
    /// The body could not be read back (the file changed or could not be read after the
    /// scan): compared with no other copy.
    Unread,
}

/// A message's place in its source file (see [`BodyFingerprint::Located`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Located {
    /// The file.
    pub path: std::sync::Arc<std::path::Path>,
    /// The whole message in the file (its body is [`MessageFacts::body_span`]).
    pub message: Span,
}

impl BodyFingerprint {
    /// Hash a deferred body now and let go of its bytes. A located body stays located (see
    /// [`BodyFingerprint::resolve_from`]).
    pub fn resolve(&mut self) {
        if let BodyFingerprint::Deferred(body) = self {
            *self = BodyFingerprint::Hashed(normalized_body_hash(body));
        }
    }

    /// [`BodyFingerprint::resolve`], and read a located body back through `files` (one
    /// reader for the whole pass, which keeps its last file open); `sha256` is the first half
    /// of the message's SHA-256 as scanned and `body` where the body starts in the file.
    pub(crate) fn resolve_from(&mut self, files: &mut Rereader, sha256: &[u8; 16], body: u64) {
        match self {
            BodyFingerprint::Deferred(_) => self.resolve(),
            BodyFingerprint::Located(at) => {
                *self = match files.body_hash(at, sha256, body) {
                    Some(h) => BodyFingerprint::Hashed(h),
                    None => BodyFingerprint::Unread,
                }
            }
            BodyFingerprint::Hashed(_) | BodyFingerprint::Unread => {}
        }
    }
}

/// Reads messages back from the files they were streamed from, for the dump-wide pass.
#[derive(Default)]
pub(crate) struct Rereader {
    open: Option<(std::sync::Arc<std::path::Path>, std::fs::File)>,
    buf: Vec<u8>,
    /// Messages whose bytes could not be read back as scanned.
    pub(crate) failed: u64,
}

impl Rereader {
    /// The normalised body hash of the located message, if its bytes read back hash to the
    /// SHA-256 taken during the scan.
    fn body_hash(&mut self, at: &Located, sha256: &[u8; 16], body: u64) -> Option<[u8; 16]> {
        let out = self.read(at, sha256, body);
        if out.is_none() {
            self.failed += 1;
        }
        out
    }

    fn read(&mut self, at: &Located, sha256: &[u8; 16], body: u64) -> Option<[u8; 16]> {
        use std::io::{Read, Seek, SeekFrom};
        if self.open.as_ref().is_none_or(|(p, _)| *p != at.path) {
            let file = std::fs::File::open(&at.path).ok()?;
            self.open = Some((std::sync::Arc::clone(&at.path), file));
        }
        let (_, file) = self.open.as_mut()?;
        let len = usize::try_from(at.message.len()).ok()?;
        file.seek(SeekFrom::Start(at.message.start)).ok()?;
        self.buf.clear();
        self.buf.try_reserve_exact(len).ok()?;
        file.take(at.message.len())
            .read_to_end(&mut self.buf)
            .ok()?;
        if self.buf.len() != len {
            return None;
        }
        let digest = Sha256::digest(&self.buf);
        if digest.get(..16)? != sha256.as_slice() {
            return None;
        }
        let body = self
            .buf
            .get(usize::try_from(body.checked_sub(at.message.start)?).ok()?..)
            .unwrap_or_default();
        let hash = normalized_body_hash(body);
        if self.buf.capacity() > 1 << 24 {
            self.buf = Vec::new();
        }
        Some(hash)
    }
}

fn hash64(bytes: &[u8]) -> u64 {
    let d = Sha256::digest(bytes);
    u64::from_le_bytes([d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7]])
}

/// The hash of a message id, from its raw bytes (angle brackets and the case of the domain
/// ignored; ids that differ in any other byte, valid UTF-8 or not, differ).
fn id_hash(id: &[u8]) -> u64 {
    let id = id.trim_ascii();
    let start = id.iter().position(|&b| b != b'<').unwrap_or(id.len());
    let end = id.iter().rposition(|&b| b != b'>').map_or(start, |e| e + 1);
    let id = id.get(start..end.max(start)).unwrap_or_default();
    // The same bytes hashed as one key, the domain lowercased on the way (no copy).
    let (local, domain) = match memchr::memrchr(b'@', id) {
        Some(at) => (
            id.get(..=at).unwrap_or_default(),
            id.get(at + 1..).unwrap_or_default(),
        ),
        None => (id, &[][..]),
    };
    let mut hasher = Sha256::new();
    hasher.update(local);
    let mut lower = [0u8; 64];
    for chunk in domain.chunks(lower.len()) {
        let part = lower.get_mut(..chunk.len()).unwrap_or_default();
        part.copy_from_slice(chunk);
        part.make_ascii_lowercase();
        hasher.update(part);
    }
    let d = hasher.finalize();
    u64::from_le_bytes([d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7]])
}

/// The ids (`<...>`) in a References / In-Reply-To value, as raw bytes.
fn ids(value: &[u8]) -> impl Iterator<Item = &[u8]> {
    value.split(|&b| b == b'<').skip(1).filter_map(|s| {
        let end = memchr::memchr(b'>', s)?;
        s.get(..end)
    })
}

/// SHA-256 (truncated) of the body with line endings, trailing white space, trailing empty
/// lines and `>From ` quoting normalised away. One pass, no copy of the body.
pub fn normalized_body_hash(body: &[u8]) -> [u8; 16] {
    // Normalised lines are gathered and hashed in large updates, not one call per line.
    let mut h = Batched {
        hasher: Sha256::new(),
        buf: Vec::with_capacity(body.len().min(BATCH) + 1),
    };
    let mut pending_blank = 0usize;
    let mut rest = body;
    while !rest.is_empty() {
        let (line, next) = match memchr::memchr(b'\n', rest) {
            Some(i) => (&rest[..i], &rest[i + 1..]),
            None => (rest, &[][..]),
        };
        rest = next;
        let mut end = line.len();
        while end > 0 && matches!(line[end - 1], b' ' | b'\t' | b'\r') {
            end -= 1;
        }
        let mut line = &line[..end];
        if line.is_empty() {
            pending_blank += 1;
            continue;
        }
        for _ in 0..pending_blank {
            h.update(b"\n");
        }
        pending_blank = 0;
        // `>From `, `>>From ` (mboxrd) and `>From ` (mboxo) quoting.
        let quotes = line.iter().take_while(|&&b| b == b'>').count();
        if quotes > 0 && line.get(quotes..).is_some_and(|r| r.starts_with(b"From ")) {
            line = &line[1..];
        }
        h.update(line);
        h.update(b"\n");
    }
    let d = h.finalize();
    let mut out = [0u8; 16];
    out.copy_from_slice(&d[..16]);
    out
}

/// Largest batch handed to SHA-256 at once.
const BATCH: usize = 1 << 16;

/// SHA-256 fed in batches of up to [`BATCH`] bytes.
struct Batched {
    hasher: Sha256,
    buf: Vec<u8>,
}

impl Batched {
    fn update(&mut self, bytes: &[u8]) {
        if self.buf.len() + bytes.len() > BATCH {
            self.hasher.update(&self.buf);
            self.buf.clear();
        }
        if bytes.len() > BATCH {
            self.hasher.update(bytes);
        } else {
            self.buf.extend_from_slice(bytes);
        }
    }

    fn finalize(mut self) -> [u8; 32] {
        self.hasher.update(&self.buf);
        self.hasher.finalize().into()
    }
}

impl MessageFacts {
    /// Collect the facts of one message from its header index. Signing domains are read from
    /// the DKIM-Signature headers as unverified; call [`MessageFacts::set_signers`] with the
    /// verification results when they are known. The body is hashed now.
    pub fn collect(index: u64, headers: &Headers<'_>) -> Self {
        let body = BodyFingerprint::Hashed(normalized_body_hash(headers.body()));
        Self::collect_with(index, headers, body)
    }

    /// [`MessageFacts::collect`] with the body's fingerprint deferred: `body` must be the
    /// bytes of `headers.body()` as a zero-copy slice of the dump (see
    /// [`BodyFingerprint::Deferred`]).
    pub fn collect_deferred(index: u64, headers: &Headers<'_>, body: Bytes) -> Self {
        Self::collect_with(index, headers, BodyFingerprint::Deferred(body))
    }

    fn collect_with(index: u64, headers: &Headers<'_>, body: BodyFingerprint) -> Self {
        let mid = headers.get("message-id");
        let message_id = mid.as_ref().and_then(|f| {
            let v = f.raw_value().trim_ascii();
            (!v.is_empty()).then(|| id_hash(v))
        });
        let mut parents = Vec::new();
        let mut parent_span = None;
        if let Some(f) = headers.get("in-reply-to")
            && let Some(id) = ids(f.raw_value()).next()
        {
            parents.push(id_hash(id));
            parent_span = Some(f.span());
        }
        if let Some(f) = headers.get("references") {
            let all: Vec<&[u8]> = ids(f.raw_value()).collect();
            for id in all.iter().rev().take(MAX_PARENTS) {
                let h = id_hash(id);
                if !parents.contains(&h) && parents.len() < MAX_PARENTS {
                    parents.push(h);
                }
            }
            if parent_span.is_none() && !parents.is_empty() {
                parent_span = Some(f.span());
            }
        }
        let date_field = headers.get("date");
        let date = date_field
            .as_ref()
            .and_then(|f| crate::fields::date::parse(&f.value()));
        let from_field = headers.get("from");
        let from_addr = from_field.as_ref().and_then(|f| address(&f.value()));
        let from_domain = from_addr.as_deref().and_then(domain_of).map(|d| {
            org_domain(d)
                .map_or_else(|| d.to_ascii_lowercase(), std::borrow::Cow::into_owned)
                .into_boxed_str()
        });
        let signers = headers
            .get_all("dkim-signature")
            .filter_map(|s| tag(s.raw_value(), b"d"))
            .map(|d| (d.to_ascii_lowercase().into_boxed_str(), false))
            .collect();
        MessageFacts {
            index,
            message_id,
            message_id_span: mid.map(|f| f.span()),
            body,
            body_span: headers.body_span(),
            sha256: [0; 16],
            parents,
            parent_span,
            date: date.map(|d| d.unix),
            date_span: date.and(date_field.map(|f| f.span())),
            tz_minutes: date.and_then(|d| d.tz_minutes),
            from: from_addr.map(|a| hash64(a.as_bytes())),
            from_domain,
            from_span: from_field.map(|f| f.span()),
            signers,
            clocks: clocks::ClockFacts::default(),
            footers: None,
            #[cfg(feature = "attachments")]
            attachments: Vec::new(),
        }
    }

    /// About the memory these facts hold, in bytes (the struct and what it owns; a deferred
    /// body is a handle to bytes held anyway).
    pub fn memory(&self) -> u64 {
        let signers: usize = self.signers.iter().map(|(d, _)| d.len() + 24).sum();
        #[cfg(feature = "attachments")]
        let docs: usize = self
            .attachments
            .iter()
            .map(|a| {
                std::mem::size_of_val(a)
                    + a.editor.as_deref().map_or(0, str::len)
                    + a.application.as_deref().map_or(0, str::len)
            })
            .sum();
        #[cfg(not(feature = "attachments"))]
        let docs = 0;
        (std::mem::size_of::<Self>()
            + self.parents.capacity() * 8
            + self.from_domain.as_deref().map_or(0, str::len)
            + signers
            + docs) as u64
            + self.clocks.memory()
            + self
                .footers
                .as_deref()
                .map_or(0, footers::FooterFacts::memory)
    }

    /// Replace the signing domains with verification results: `(d=, verified)`.
    pub fn set_signers<'s>(&mut self, signers: impl IntoIterator<Item = (&'s str, bool)>) {
        self.signers = signers
            .into_iter()
            .map(|(d, ok)| (d.to_ascii_lowercase().into_boxed_str(), ok))
            .collect();
    }

    fn verified(&self) -> bool {
        self.signers.iter().any(|(_, ok)| *ok)
    }

    fn signed_by_from_domain(&self) -> bool {
        let Some(fd) = self.from_domain.as_deref() else {
            return false;
        };
        self.signers
            .iter()
            .any(|(d, _)| org_domain(d).as_deref().unwrap_or(d) == fd)
    }
}

/// What the dump-wide pass gives, by message index.
#[derive(Debug, Default)]
pub struct DumpOutcome {
    /// Findings to add to a message.
    pub findings: BTreeMap<u64, Vec<Finding>>,
    /// A message's own clock findings, regraded by the clocks learned across the dump.
    pub regrades: BTreeMap<u64, clocks::Regrade>,
    /// Messages whose pending footers the dump-wide pass accepts (see [`footers`]).
    pub footers: BTreeMap<u64, footers::Learned>,
}

/// The dump-wide pass: feed it every message's facts with [`DumpChecks::add`], then
/// [`DumpChecks::finish`].
#[derive(Debug)]
pub struct DumpChecks {
    config: Config,
    facts: Vec<MessageFacts>,
    /// Other copies a `duplicate-message-id` finding names.
    listed: usize,
    /// Pending footers kept (at most [`footers::MAX_PENDING`]).
    pending_footers: usize,
}

impl DumpChecks {
    /// An empty pass with these thresholds.
    pub fn new(config: Config) -> Self {
        DumpChecks {
            config,
            facts: Vec::new(),
            listed: crate::Limits::default().duplicate_members_listed,
            pending_footers: 0,
        }
    }

    /// Name at most `n` other copies in a `duplicate-message-id` finding (the rest are
    /// counted).
    pub fn listing(mut self, n: usize) -> Self {
        self.listed = n;
        self
    }

    /// How many messages' facts are kept.
    pub fn len(&self) -> usize {
        self.facts.len()
    }

    /// Add the facts of one message (any order).
    pub fn add(&mut self, mut facts: MessageFacts) {
        if let Some(f) = facts.footers.as_deref_mut() {
            let n = f.pending_count();
            if self.pending_footers + n > footers::MAX_PENDING {
                f.drop_pending();
            } else {
                self.pending_footers += n;
            }
        }
        self.facts.push(facts);
    }

    /// Run the checks across messages. Findings are keyed by message index.
    #[cfg(test)]
    pub fn finish(self) -> BTreeMap<u64, Vec<Finding>> {
        self.finish_all().findings
    }

    /// Run the checks across messages: the findings they add, and the messages' own clock
    /// findings they regrade (see [`clocks`]), keyed by message index.
    pub fn finish_all(mut self) -> DumpOutcome {
        self.facts.sort_by_key(|f| f.index);
        let by_id = self.index_message_ids();
        let (facts, config, listed) = (&self.facts, &self.config, self.listed);
        // The checks read the facts only: on a thread pool (when the pass runs in one), the
        // checks by Message-ID and the clocks run beside the others.
        let ((mut found, regrades), (more, footers)) = both(
            || {
                let mut found = Vec::new();
                let mut push = |i: u64, f: Finding| found.push((i, f));
                duplicate_message_ids(facts, &by_id, listed, &mut push);
                replies(facts, &by_id, config, &mut push);
                let regrades =
                    clocks::regrade(facts.iter().map(|f| (f.index, f.from, &f.clocks)), config);
                (found, regrades)
            },
            || {
                let mut found = Vec::new();
                let mut push = |i: u64, f: Finding| found.push((i, f));
                unsigned_in_signed_period(facts, config, &mut push);
                unusual_timezones(facts, config, &mut push);
                #[cfg(feature = "attachments")]
                super::attachments::dump_checks(
                    facts.iter().map(|f| (f.index, f.attachments.as_slice())),
                    config,
                    &mut push,
                );
                let footers = footers::learn(
                    facts
                        .iter()
                        .filter_map(|f| f.footers.as_deref().map(|t| (f.index, f.from, t))),
                    config,
                );
                (found, footers)
            },
        );
        found.extend(more);
        let mut out: BTreeMap<u64, Vec<Finding>> = BTreeMap::new();
        for (i, f) in found {
            out.entry(i).or_default().push(f);
        }
        for v in out.values_mut() {
            super::sort(v);
        }
        DumpOutcome {
            findings: out,
            regrades,
            footers,
        }
    }

    /// Positions of the messages of each Message-ID (hashed). Bodies are hashed only where a
    /// Message-ID repeats, and once per distinct message among its copies (copies whose
    /// whole-message hashes are equal are the same bytes); the others' bytes are let go.
    fn index_message_ids(&mut self) -> ById {
        let by_id = ById::new(self.facts.iter().map(|f| f.message_id));
        // One copy of each distinct message of a repeated Message-ID is hashed, in dump order
        // (a streamed file is read back front to back); the other copies take its hash.
        let mut first_of: KeyedMap<[u8; 16], usize> = KeyedMap::default();
        let mut hashed = Vec::new();
        let mut copies = Vec::new();
        for group in by_id.repeated() {
            first_of.clear();
            for &p in group {
                let Some(f) = self.facts.get(p) else { continue };
                if f.sha256 == [0; 16] {
                    hashed.push(p);
                    continue;
                }
                match first_of.get(&f.sha256) {
                    Some(&first) => copies.push((p, first)),
                    None => {
                        first_of.insert(f.sha256, p);
                        hashed.push(p);
                    }
                }
            }
        }
        hashed.sort_unstable();
        let mut files = Rereader::default();
        for p in hashed {
            if let Some(f) = self.facts.get_mut(p) {
                f.body
                    .resolve_from(&mut files, &f.sha256, f.body_span.start);
            }
        }
        for (p, first) in copies {
            if let Some(body) = self.facts.get(first).map(|f| f.body.clone())
                && let Some(f) = self.facts.get_mut(p)
            {
                f.body = body;
            }
        }
        for f in &mut self.facts {
            let repeated = f
                .message_id
                .and_then(|id| by_id.get(&id))
                .is_some_and(|g| g.len() > 1);
            if !repeated {
                f.body = BodyFingerprint::Hashed([0; 16]);
            }
        }
        by_id
    }
}

/// `a` and `b`, side by side when called on a thread pool (see `Scan::finish`), one after
/// the other otherwise.
fn both<A: Send, B: Send>(a: impl FnOnce() -> A + Send, b: impl FnOnce() -> B + Send) -> (A, B) {
    #[cfg(feature = "rayon")]
    if rayon::current_thread_index().is_some() {
        return rayon::join(a, b);
    }
    (a(), b())
}

/// Positions of the messages of each Message-ID: every (id, position) pair sorted, so that
/// the messages of an id are one run (in dump order) found by binary search; no map, and no
/// allocation per id.
struct ById {
    /// The ids, sorted.
    ids: Vec<u64>,
    /// The position of the message of each id in `ids`.
    positions: Vec<usize>,
}

impl ById {
    /// From the Message-ID (hashed) of each message, in dump order.
    fn new(ids: impl Iterator<Item = Option<u64>>) -> ById {
        let mut pairs: Vec<(u64, usize)> = ids
            .enumerate()
            .filter_map(|(p, id)| id.map(|id| (id, p)))
            .collect();
        pairs.sort_unstable();
        let (ids, positions) = pairs.into_iter().unzip();
        ById { ids, positions }
    }

    /// The positions of the messages with Message-ID `id`, in dump order.
    fn get(&self, id: &u64) -> Option<&[usize]> {
        let start = self.ids.partition_point(|x| x < id);
        let end = start + self.ids.get(start..)?.partition_point(|x| x == id);
        self.positions.get(start..end).filter(|g| !g.is_empty())
    }

    fn contains_key(&self, id: &u64) -> bool {
        self.get(id).is_some()
    }

    /// The positions of the messages of each Message-ID that occurs more than once.
    fn repeated(&self) -> impl Iterator<Item = &[usize]> {
        let mut start = 0;
        self.ids
            .chunk_by(|a, b| a == b)
            .filter_map(move |run| {
                let group = self.positions.get(start..start + run.len());
                start += run.len();
                group
            })
            .filter(|g| g.len() > 1)
    }
}

/// `duplicate-message-id`: another message has the same Message-ID and a different body.
/// Each finding names at most `listed` other copies (and counts the rest), and the work per
/// copy does not grow with the group: copies are grouped by body first.
fn duplicate_message_ids(
    facts: &[MessageFacts],
    by_id: &ById,
    listed: usize,
    push: &mut impl FnMut(u64, Finding),
) {
    struct Body<'f> {
        fingerprint: &'f BodyFingerprint,
        members: usize,
        verified: usize,
        /// The first `listed` copies, and the first `listed` verified copies.
        first: Vec<u64>,
        first_verified: Vec<u64>,
    }
    for group in by_id.repeated() {
        let mut bodies: Vec<Body<'_>> = Vec::new();
        let mut body_of: KeyedMap<&BodyFingerprint, usize> = KeyedMap::default();
        for &p in group {
            let Some(f) = facts.get(p) else { continue };
            if f.body == BodyFingerprint::Unread {
                push(
                    f.index,
                    duplicate_id(
                        f,
                        Severity::Info,
                        format!(
                            "{} other messages of the dump have the same Message-ID; this copy's body could not be read back from its file after the scan (the file changed or could not be read), so it was compared with none of them.",
                            group.len() - 1
                        ),
                    ),
                );
                continue;
            }
            let b = *body_of.entry(&f.body).or_insert_with(|| {
                bodies.push(Body {
                    fingerprint: &f.body,
                    members: 0,
                    verified: 0,
                    first: Vec::new(),
                    first_verified: Vec::new(),
                });
                bodies.len() - 1
            });
            let Some(body) = bodies.get_mut(b) else {
                continue;
            };
            body.members += 1;
            if body.first.len() < listed {
                body.first.push(f.index);
            }
            if f.verified() {
                body.verified += 1;
                if body.first_verified.len() < listed {
                    body.first_verified.push(f.index);
                }
            }
        }
        if bodies.len() < 2 {
            continue;
        }
        let total: usize = bodies.iter().map(|b| b.members).sum();
        let total_verified: usize = bodies.iter().map(|b| b.verified).sum();
        let name_others = |mine: &BodyFingerprint, verified: bool| -> Vec<String> {
            let mut out = Vec::new();
            for b in bodies.iter().filter(|b| b.fingerprint != mine) {
                let list = if verified {
                    &b.first_verified
                } else {
                    &b.first
                };
                for i in list {
                    if out.len() >= listed {
                        return out;
                    }
                    out.push(format!("#{i}"));
                }
            }
            out
        };
        let listing = |names: Vec<String>, count: usize| -> String {
            let more = count.saturating_sub(names.len());
            if more > 0 {
                format!("{} and {more} more", names.join(", "))
            } else {
                names.join(", ")
            }
        };
        for &p in group {
            let Some(me) = facts.get(p) else { continue };
            let Some(mine) = body_of.get(&me.body).and_then(|&b| bodies.get(b)) else {
                continue;
            };
            let others = total.saturating_sub(mine.members);
            if others == 0 {
                continue;
            }
            let others_verified = total_verified - mine.verified;
            let names = listing(name_others(&me.body, false), others);
            let which = match (me.verified(), others_verified == 0) {
                (true, true) => "DKIM verifies this copy only".to_string(),
                (true, false) => "DKIM verifies this copy and other copies".to_string(),
                (false, false) => format!(
                    "DKIM verifies {} but not this copy",
                    listing(name_others(&me.body, true), others_verified)
                ),
                (false, true) => "DKIM verifies no copy".to_string(),
            };
            let severity = if !me.verified() && others_verified > 0 {
                Severity::High
            } else {
                Severity::Medium
            };
            push(
                me.index,
                duplicate_id(
                    me,
                    severity,
                    format!(
                        "Message {names} of the dump has the same Message-ID and a different body; {which}."
                    ),
                ),
            );
        }
    }
}

/// A `duplicate-message-id` finding on `f`, its Message-ID and body as evidence.
fn duplicate_id(f: &MessageFacts, severity: Severity, detail: String) -> Finding {
    let mut ev: Vec<Span> = f.message_id_span.into_iter().collect();
    ev.push(f.body_span);
    Finding::heuristic(FindingCode::DuplicateMessageId, severity, detail, ev)
}

/// `reply-to-missing` and `reply-before-parent`: the message a reply names is not in the
/// dump, or is dated after the reply.
fn replies(
    facts: &[MessageFacts],
    by_id: &ById,
    config: &Config,
    push: &mut impl FnMut(u64, Finding),
) {
    let mut inversions = Vec::new();
    for me in facts {
        let Some(&parent) = me.parents.first() else {
            continue;
        };
        let span = me.parent_span.map(|s| vec![s]).unwrap_or_default();
        match by_id.get(&parent) {
            None => {
                // The direct parent is missing; say so only if no other listed
                // ancestor is present either.
                if me.parents.iter().skip(1).any(|p| by_id.contains_key(p)) {
                    continue;
                }
                push(
                    me.index,
                    Finding::heuristic(
                        FindingCode::ReplyToMissing,
                        Severity::Info,
                        "The message replies to a message that is not in the dump.",
                        span,
                    ),
                );
            }
            Some(group) => {
                let (Some(d), Some(&first)) = (me.date, group.first()) else {
                    continue;
                };
                let Some(p) = facts.get(first) else { continue };
                if p.index == me.index {
                    continue;
                }
                if let Some(pd) = p.date
                    && pd > d.saturating_add(config.clock_skew)
                {
                    inversions.push((me, p, d, pd, span));
                }
            }
        }
    }
    if inversions.is_empty() {
        return;
    }
    // The senders' clocks (Date against the first receipt) learned across the dump: a reply
    // dated before its parent only because one sender's clock runs ahead or the other's
    // behind, by their usual offsets, is those clocks.
    let senders = inversions
        .iter()
        .flat_map(|(me, p, ..)| me.from.into_iter().chain(p.from));
    let offsets =
        clocks::sender_offsets(facts.iter().map(|f| (f.from, &f.clocks)), senders, config);
    for (me, p, d, pd, span) in inversions {
        let offset_of = |f: &MessageFacts| f.from.and_then(|h| offsets.get(&h)).copied();
        let (mine, theirs) = (offset_of(me), offset_of(p));
        let corrected =
            |date: i64, o: Option<(i32, usize)>| date - o.map_or(0, |(o, _)| i64::from(o));
        let explained = (mine.is_some() || theirs.is_some())
            && corrected(pd, theirs) <= corrected(d, mine).saturating_add(config.clock_skew);
        let mut severity = config.clock_severity(pd - d);
        let mut why = String::new();
        if explained {
            severity = clocks::lowered(severity, pd - d, config);
            let clock = |who: &str, o: Option<(i32, usize)>| {
                o.map(|(offset, n)| {
                    format!(
                        "{who} Date runs {} against its first receipt on {n} messages of the dump",
                        clocks::signed_duration(offset)
                    )
                })
            };
            let parts: Vec<String> = [
                clock("this sender's", mine),
                clock("the parent's sender's", theirs),
            ]
            .into_iter()
            .flatten()
            .collect();
            why = format!(
                "; the senders' clocks explain it ({}), the reply being {} after the parent once corrected",
                parts.join("; "),
                format_duration((corrected(d, mine) - corrected(pd, theirs)).max(0))
            );
        }
        let mut ev = span;
        ev.extend(me.date_span);
        push(
            me.index,
            Finding::heuristic(
                FindingCode::ReplyBeforeParent,
                severity,
                format!(
                    "The message replies to message #{} but is dated {} before it ({} versus {}){why}.",
                    p.index,
                    format_duration(pd - d),
                    format_utc(d),
                    format_utc(pd)
                ),
                ev,
            ),
        );
    }
}

/// `unsigned-in-signed-period`: unsigned mail where the From domain signed the rest of the
/// period.
fn unsigned_in_signed_period(
    facts: &[MessageFacts],
    config: &Config,
    push: &mut impl FnMut(u64, Finding),
) {
    let mut by_domain: KeyedMap<&str, (Vec<i64>, Vec<i64>)> = KeyedMap::default();
    for f in facts {
        let (Some(d), Some(dom)) = (f.date, f.from_domain.as_deref()) else {
            continue;
        };
        let e = by_domain.entry(dom).or_default();
        if f.signed_by_from_domain() {
            e.0.push(d);
        } else {
            e.1.push(d);
        }
    }
    for (signed, unsigned) in by_domain.values_mut() {
        signed.sort_unstable();
        unsigned.sort_unstable();
    }
    let count_in = |v: &[i64], lo: i64, hi: i64| -> usize {
        v.partition_point(|&x| x <= hi) - v.partition_point(|&x| x < lo)
    };
    for me in facts {
        let (Some(d), Some(dom)) = (me.date, me.from_domain.as_deref()) else {
            continue;
        };
        if me.signed_by_from_domain() {
            continue;
        }
        let Some((signed, unsigned)) = by_domain.get(dom) else {
            continue;
        };
        let (lo, hi) = (
            d.saturating_sub(config.signing_period),
            d.saturating_add(config.signing_period),
        );
        let before = count_in(signed, lo, d);
        let after = count_in(signed, d, hi);
        let n_signed = count_in(signed, lo, hi);
        let n_unsigned = count_in(unsigned, lo, hi);
        if before > 0
            && after > 0
            && n_signed >= config.min_signed_in_period
            && n_unsigned * 10 <= n_signed
        {
            push(
                me.index,
                Finding::heuristic(
                    FindingCode::UnsignedInSignedPeriod,
                    Severity::Medium,
                    format!(
                        "The message from {dom} carries no signature of {dom}, while {n_signed} other messages from {dom} within {} of it are signed and only {} are not.",
                        format_duration(config.signing_period),
                        n_unsigned.saturating_sub(1)
                    ),
                    me.from_span.into_iter().collect(),
                ),
            );
        }
    }
}

/// `unusual-timezone`: a `Date` zone offset that is rare for its sender.
fn unusual_timezones(facts: &[MessageFacts], config: &Config, push: &mut impl FnMut(u64, Finding)) {
    let mut zones: KeyedMap<u64, KeyedMap<i16, usize>> = KeyedMap::default();
    for f in facts {
        if let (Some(from), Some(tz)) = (f.from, f.tz_minutes) {
            *zones.entry(from).or_default().entry(tz).or_default() += 1;
        }
    }
    for me in facts {
        let (Some(from), Some(tz)) = (me.from, me.tz_minutes) else {
            continue;
        };
        let Some(counts) = zones.get(&from) else {
            continue;
        };
        let total: usize = counts.values().sum();
        let mine = counts.get(&tz).copied().unwrap_or(0);
        if total >= config.min_timezone_samples
            && (mine as f64) <= config.rare_timezone_share * total as f64
        {
            let (usual, n) = counts
                .iter()
                .max_by_key(|(z, n)| (**n, std::cmp::Reverse(**z)))
                .map(|(z, n)| (*z, *n))
                .unwrap_or((tz, 0));
            push(
                me.index,
                Finding::heuristic(
                    FindingCode::UnusualTimezone,
                    Severity::Low,
                    format!(
                        "The Date zone {} is used by {mine} of this sender's {total} dated messages; the usual zone is {} ({n} messages).",
                        fmt_tz(tz),
                        fmt_tz(usual)
                    ),
                    me.date_span.into_iter().collect(),
                ),
            );
        }
    }
}

fn fmt_tz(m: i16) -> String {
    let sign = if m < 0 { '-' } else { '+' };
    let a = m.unsigned_abs();
    format!("{sign}{:02}{:02}", a / 60, a % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_hash_normalises() {
        let a = normalized_body_hash(b"hello  \r\nFrom x\r\n\r\n\r\n");
        let b = normalized_body_hash(b"hello\n>From x\n");
        assert_eq!(a, b);
        assert_ne!(a, normalized_body_hash(b"hello\nFrom y\n"));
        assert_ne!(
            normalized_body_hash(b"a\n\nb\n"),
            normalized_body_hash(b"a\nb\n")
        );
    }

    #[test]
    fn messages_are_grouped_by_id_in_dump_order() {
        let ids = [
            Some(7),
            None,
            Some(3),
            Some(7),
            Some(u64::MAX),
            Some(3),
            Some(7),
            Some(0),
        ];
        let by_id = ById::new(ids.into_iter());
        assert_eq!(by_id.get(&7), Some(&[0, 3, 6][..]));
        assert_eq!(by_id.get(&3), Some(&[2, 5][..]));
        assert_eq!(by_id.get(&u64::MAX), Some(&[4][..]));
        assert_eq!(by_id.get(&0), Some(&[7][..]));
        assert_eq!(by_id.get(&5), None);
        assert!(!by_id.contains_key(&1) && by_id.contains_key(&0));
        let repeated: Vec<&[usize]> = by_id.repeated().collect();
        assert_eq!(repeated, [&[2, 5][..], &[0, 3, 6][..]]);
        assert_eq!(ById::new(std::iter::empty()).repeated().count(), 0);
    }

    #[test]
    fn id_hash_ignores_brackets_and_domain_case() {
        assert_eq!(id_hash(b"<a@Example.ORG>"), id_hash(b"a@example.org"));
        assert_ne!(id_hash(b"<A@example.org>"), id_hash(b"<a@example.org>"));
        assert_eq!(
            ids(b"<a@b> <c@d>").collect::<Vec<_>>(),
            [&b"a@b"[..], &b"c@d"[..]]
        );
    }

    #[test]
    fn ids_that_differ_only_in_invalid_utf8_differ() {
        // Both decode to the same text with U+FFFD; the bytes differ.
        assert_ne!(
            id_hash(b"<a\xff@example.org>"),
            id_hash(b"<a\xfe@example.org>")
        );
        assert_eq!(
            String::from_utf8_lossy(b"a\xff"),
            String::from_utf8_lossy(b"a\xfe")
        );
    }

    #[test]
    fn facts_are_small() {
        // The clock facts are held inline (40 bytes): boxed, they would cost a pointer, a
        // 40-byte allocation and its header for every message of the dump.
        // The message hash (16 bytes) lets copies share one body hash; a pending footer is
        // one pointer (8 bytes), its facts boxed, since few messages have one.
        let size = std::mem::size_of::<MessageFacts>();
        assert!(size <= 368, "{size}");
    }
}
