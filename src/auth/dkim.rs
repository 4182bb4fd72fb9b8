//! The forensic DKIM check of one signature.

use std::borrow::Cow;
use std::cell::OnceCell;
use std::cmp::Ordering;
use std::collections::{HashMap, HashSet};
use std::rc::Rc;
use std::sync::Arc;

use mail_auth::common::crypto::{Algorithm, HashAlgorithm};
use mail_auth::dkim::{Canonicalization, Signature};

use super::canon::{self, BodyDigests, Canon, HashKind, Repair, Variant};
use super::cuts::{self, FooterTrace};
use super::keys::{KeyKind, KeyRecord, KeyStore, PublicKey};
use super::limits::{MAX_BODY_HASHES, MAX_KEYS_PER_NAME, MAX_SIGNED_HEADERS, MAX_TAGS};
use super::rsa::{Opened, RsaKey};
use super::transit;
use super::{DkimCheck, DkimResult, DuplicateHeader, HeaderRef, SignedHeader};
use crate::fields::tags::{duplicates, tags};
use crate::read::format::{Format, Quoting};
use crate::read::headers::Headers;
use crate::span::Span;

/// Headers a mail client shows.
const DISPLAYED: [&str; 8] = [
    "From",
    "To",
    "Cc",
    "Subject",
    "Date",
    "Reply-To",
    "Message-ID",
    "Content-Type",
];

/// Headers RFC 5322 section 3.6 allows once.
const SINGLE_USE: [&str; 11] = [
    "Date",
    "From",
    "Sender",
    "Reply-To",
    "To",
    "Cc",
    "Bcc",
    "Message-ID",
    "In-Reply-To",
    "References",
    "Subject",
];

/// RFC 6376 was published on 21 September 2011 (Unix seconds); a `v=1` signature made
/// before it is judged by RFC 4871.
const RFC_6376_PUBLISHED: i64 = 1_316_563_200;

/// A report with nothing checked yet: result `malformed`, scheme DKIM, RFC 6376 rules.
pub(crate) fn blank_check(span: Span, as_of: i64, a: &str) -> DkimCheck {
    DkimCheck {
        algorithm: super::SigningAlgorithm::from_tag(a),
        ..DkimCheck::new(String::new(), span, crate::Timestamp::from_unix(as_of))
    }
}

/// A DKIM-Signature value of a draft (no `v=`, or `v=0.5`) rewritten with `v=1` for the
/// parser; the hashed field is always the stored one.
fn as_version_1(raw: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(raw);
    let mut out = String::from("v=1;");
    for part in text.split(';') {
        if part.split_once('=').is_some_and(|(n, _)| n.trim() == "v") {
            continue;
        }
        if !part.trim().is_empty() {
            out.push_str(part);
            out.push(';');
        }
    }
    out.into_bytes()
}

/// `i=` decoded from dkim-quoted-printable (RFC 6376 section 2.11, RFC 4871 section 2.6):
/// `=XX` is the byte XX; white space is dropped. `jlong=40messiah.edu` is `jlong@messiah.edu`.
pub(crate) fn decode_dkim_qp(v: &str) -> String {
    let b = v.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut k = 0;
    while let Some(&c) = b.get(k) {
        if c == b'=' {
            let hex = b
                .get(k + 1..k + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok());
            if let Some(x) = hex {
                out.push(x);
                k += 3;
                continue;
            }
        }
        if !c.is_ascii_whitespace() {
            out.push(c);
        }
        k += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Whether a key record may verify a signature: its `s=` service list names `email` or `*`,
/// its `h=` list (when present) names `hash`, and, when `local` is given (every signature:
/// a key's `g=` restricts its signers whatever rules judge the signature), its `g=` granularity matches that local part of the signing
/// identity (`*` a wildcard; an empty `g=` matches nothing, or anything for DomainKeys:
/// `empty_g_any`). `Err` says why not.
pub(crate) fn check_key_record(
    record: &str,
    hash: &str,
    local: Option<&str>,
    empty_g_any: bool,
) -> Result<(), String> {
    let tag = |name: &str| {
        tags(record)
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.trim())
    };
    if let Some(s) = tag("s")
        && !s.split(':').any(|x| matches!(x.trim(), "email" | "*"))
    {
        return Err(format!("the key's service type s={s} is not email"));
    }
    if let Some(h) = tag("h")
        && !h.split(':').any(|x| x.trim().eq_ignore_ascii_case(hash))
    {
        return Err(format!("the key's h={h} does not list {hash}"));
    }
    if let (Some(local), Some(g)) = (local, tag("g")) {
        let matches = if g.is_empty() {
            empty_g_any
        } else if let Some((begin, end)) = g.split_once('*') {
            local.len() >= begin.len() + end.len()
                && local.starts_with(begin)
                && local.ends_with(end)
        } else {
            local == g
        };
        if !matches {
            return Err(format!(
                "the key's granularity g={g} does not match the signer's local part '{local}' (RFC 4871)"
            ));
        }
    }
    Ok(())
}

/// The detail of a signature whose keys were all refused by [`check_key_record`].
pub(crate) fn key_problem_note(name: &str, refused: &[String]) -> String {
    let mut why: Vec<&str> = refused.iter().map(String::as_str).collect();
    why.dedup();
    format!("no usable key for {name}: {}", why.join("; "))
}

/// Tolerance for `t=` after the as-of time.
const FUTURE_TOLERANCE: i64 = 300;

/// A signature-like field to check (a DKIM-Signature, an ARC-Message-Signature or an
/// ARC-Seal): what [`Context::crypto`] needs of it.
pub(crate) struct Signed<'s> {
    /// Position of the field in header order.
    pub(crate) index: usize,
    /// The names of `h=`.
    pub(crate) h: &'s [String],
    /// Header canonicalization.
    pub(crate) ch: Canon,
    /// `a=`.
    pub(crate) a: Algorithm,
    /// `b=`.
    pub(crate) b: &'s [u8],
    /// The body hash to check; `None` for an ARC-Seal, which signs no body.
    pub(crate) body: Option<BodySpec<'s>>,
    /// The keys to try, each with its position under the name, in store order.
    pub(crate) keys: &'s [(usize, &'s KeyRecord)],
    /// Fields hashed before the signature field instead of those of `h=` (an ARC-Seal's
    /// chain), by position.
    pub(crate) prefix: Option<&'s [usize]>,
}

/// The body hash a signature claims.
pub(crate) struct BodySpec<'s> {
    /// Body canonicalization.
    pub(crate) cb: Canon,
    /// `bh=`.
    pub(crate) bh: &'s [u8],
    /// `l=`.
    pub(crate) l: Option<u64>,
}

/// Outcome of checking one signature-like field on one variant.
pub(crate) struct Crypto {
    /// The header signature; `None` when no key was tried.
    pub(crate) header_valid: Option<bool>,
    /// The body hash; `None` when not checked (no body hash to check, or over
    /// [`MAX_BODY_HASHES`]).
    pub(crate) body_valid: Option<bool>,
    /// The key that verified, or else the first one tried (its position under the name).
    pub(crate) key: Option<usize>,
    /// Length of the whole canonical body (0 when not computed).
    pub(crate) canonical_len: usize,
    /// Offset in the variant's body of the first canonical byte after `l=`.
    tail: Option<usize>,
}

impl Crypto {
    /// Higher is better: the header signature counts twice the body hash.
    fn score(&self) -> u8 {
        u8::from(self.header_valid == Some(true)) * 2 + u8::from(self.body_valid == Some(true))
    }
}

pub(crate) fn canon_of(c: Canonicalization) -> Canon {
    match c {
        Canonicalization::Simple => Canon::Simple,
        Canonicalization::Relaxed => Canon::Relaxed,
    }
}

/// Whether a key may verify signatures of algorithm `a`: its kind (`k=`) matches and its
/// `h=` list, if any, names the hash (RFC 6376 section 3.6.1).
fn key_accepts(pk: &PublicKey, a: Algorithm) -> bool {
    // mail-auth keeps `h=` as flag bits: 0x01 sha1, 0x02 sha256.
    let hashes = pk.key.f & 0x03;
    let need = match a {
        Algorithm::RsaSha1 => 0x01,
        Algorithm::RsaSha256 | Algorithm::Ed25519Sha256 => 0x02,
    };
    pk.kind == key_kind_of(a) && (hashes == 0 || hashes & need != 0)
}

fn key_kind_of(a: Algorithm) -> KeyKind {
    match a {
        Algorithm::Ed25519Sha256 => KeyKind::Ed25519,
        Algorithm::RsaSha1 | Algorithm::RsaSha256 => KeyKind::Rsa,
    }
}

/// The records of `all` that can verify algorithm `a` and pass `filter`, each with its
/// position: the first [`MAX_KEYS_PER_NAME`], and how many more there are.
pub(crate) fn usable_keys(
    all: &[KeyRecord],
    a: Algorithm,
    filter: impl Fn(&KeyRecord) -> bool,
) -> (Vec<(usize, &KeyRecord)>, usize) {
    let mut usable = all
        .iter()
        .enumerate()
        .filter(|(_, k)| k.public().is_some_and(|p| key_accepts(p, a)) && filter(k));
    let tried: Vec<_> = usable.by_ref().take(MAX_KEYS_PER_NAME).collect();
    (tried, usable.count())
}

/// The note for a signature whose name holds more usable keys than are tried.
pub(crate) fn keys_skipped_note(name: &str, tried: usize, skipped: usize) -> String {
    format!(
        "only the first {tried} of {} usable keys under {name} were tried (limit {MAX_KEYS_PER_NAME})",
        tried + skipped
    )
}

/// The note for a signature whose body hash was not computed.
pub(crate) fn body_not_computed_note() -> String {
    format!(
        "body hash not computed: the message asks for more than {MAX_BODY_HASHES} distinct body hashes (canonicalization, hash and l=)"
    )
}

/// The keys under a signature's name.
struct KeyLookup<'k> {
    /// `<selector>._domainkey.<domain>`.
    name: String,
    /// Every record under the name.
    all: &'k [KeyRecord],
    /// The usable ones to try, with their positions.
    tried: Vec<(usize, &'k KeyRecord)>,
    /// Usable records not tried because of [`MAX_KEYS_PER_NAME`].
    skipped: usize,
    /// Why records of the right kind were refused (service, hash or granularity).
    refused: Vec<String>,
}

/// A DKIM-Signature after parsing and the structural rules, before any key or hash.
struct Parsed {
    sig: Signature,
    /// The report so far.
    out: DkimCheck,
    /// Rules of RFC 6376 the signature breaks.
    problems: Vec<String>,
    /// `l=`.
    l: Option<u64>,
    /// A subdomain of `d=` in `i=`, which a key with `t=s` forbids.
    i_subdomain: Option<String>,
    /// The local part of `i=` (decoded), empty without one.
    local: String,
}

/// A body hash limit as a length (`l=` beyond the address space is the whole body anyway).
fn limit_of(l: Option<u64>) -> Option<usize> {
    l.map(|l| usize::try_from(l).unwrap_or(usize::MAX))
}

/// The canonical signed headers of a signature-like field, and their hash (computed when an
/// RSA key needs it; other keys hash the data themselves).
struct SignedHeaders {
    data: Vec<u8>,
    hash: HashAlgorithm,
    digest: OnceCell<Vec<u8>>,
}

impl SignedHeaders {
    fn digest(&self) -> &[u8] {
        self.digest
            .get_or_init(|| self.hash.hash(self.data.as_slice()).as_ref().to_vec())
    }
}

/// ASCII case-insensitive order of two field names.
fn cmp_names(a: &[u8], b: &[u8]) -> Ordering {
    a.iter()
        .map(u8::to_ascii_lowercase)
        .cmp(b.iter().map(u8::to_ascii_lowercase))
}

/// The header fields grouped by name (ASCII case-insensitive), built once per message: a
/// name's copies are a run of positions, top to bottom, found by binary search.
struct NameIndex {
    /// Field positions, sorted by name, then top to bottom.
    sorted: Vec<usize>,
    /// Each name's run in `sorted`, `(start, end)`, in name order.
    runs: Vec<(usize, usize)>,
    /// Copies of each run taken by the selection in progress.
    used: Vec<usize>,
    /// The runs the selection in progress took from, to reset.
    touched: Vec<usize>,
}

impl NameIndex {
    fn new(headers: &Headers<'_>) -> Self {
        #[cfg(test)]
        super::limits::work::add(|c| c.header_visits += headers.len() as u64);
        let name = |i: usize| headers.field(i).map(|f| f.name()).unwrap_or_default();
        let mut sorted: Vec<usize> = (0..headers.len()).collect();
        sorted.sort_by(|&a, &b| cmp_names(name(a), name(b)).then(a.cmp(&b)));
        let mut runs = Vec::new();
        let mut start = 0;
        for (k, pair) in sorted.windows(2).enumerate() {
            if let [a, b] = pair
                && cmp_names(name(*a), name(*b)) != Ordering::Equal
            {
                runs.push((start, k + 1));
                start = k + 1;
            }
        }
        if start < sorted.len() {
            runs.push((start, sorted.len()));
        }
        NameIndex {
            used: vec![0; runs.len()],
            sorted,
            runs,
            touched: Vec::new(),
        }
    }

    /// The bottom-most copy of `name` not yet taken by this selection.
    fn take(&mut self, headers: &Headers<'_>, name: &[u8]) -> Option<usize> {
        let sorted = &self.sorted;
        let run_name = |start: usize| {
            sorted
                .get(start)
                .and_then(|&i| headers.field(i))
                .map(|f| f.name())
                .unwrap_or_default()
        };
        let r = self
            .runs
            .binary_search_by(|&(start, _)| cmp_names(run_name(start), name))
            .ok()?;
        let (start, end) = *self.runs.get(r)?;
        let taken = self.used.get_mut(r)?;
        let pos = end.checked_sub(*taken + 1).filter(|&p| p >= start)?;
        if *taken == 0 {
            self.touched.push(r);
        }
        *taken += 1;
        self.sorted.get(pos).copied()
    }

    /// Forget the copies taken, for the next selection.
    fn reset(&mut self) {
        for r in self.touched.drain(..) {
            if let Some(u) = self.used.get_mut(r) {
                *u = 0;
            }
        }
    }
}

/// A change made in transit, undone and proven by the hash: the repair and the bytes the
/// change added to the stored message.
struct TransitProof {
    repair: Repair,
    added: Vec<Span>,
    /// Whether the body hashes to `bh=` (a header repair can be proven by the header
    /// signature while the body stays unproven).
    body_proven: bool,
}

/// Body hash outcome of one signature on one variant.
struct BodyOutcome {
    valid: Option<bool>,
    canonical_len: usize,
    tail: Option<usize>,
}

/// The message, its repaired variants (built on demand), and what is computed once per
/// message: the parsed DKIM-Signatures, the header fields by name, the body hashes (one pass
/// per variant, canonicalization and hash), the signed-header hashes and the opened RSA
/// signatures.
pub(crate) struct Context<'a> {
    pub(crate) keys: &'a KeyStore,
    pub(crate) orig: &'a [u8],
    pub(crate) base: u64,
    pub(crate) headers: &'a Headers<'a>,
    pub(crate) as_of: i64,
    candidates: Vec<Repair>,
    /// Try the `crlf` candidate (index 1) before the stored bytes (see `candidate_order`).
    crlf_first: bool,
    variants: Vec<Option<Variant<'a>>>,
    /// The header fields by name; built on first use.
    names: Option<NameIndex>,
    /// The DKIM-Signatures by position, parsed when the context is built.
    parsed: HashMap<usize, Result<Parsed, Box<DkimCheck>>>,
    /// Distinct body hashes (canonicalization, hash, `l=`) the message asks for, at most
    /// [`MAX_BODY_HASHES`].
    admitted: HashSet<(Canon, HashKind, Option<usize>)>,
    /// The body passes done: (variant, canonicalization, hash) -> digests.
    bodies: HashMap<(usize, Canon, HashKind), BodyDigests>,
    /// Canonical signed headers and their hash, per (signature field, `crlf` repair): the
    /// header fields of every variant are those of the stored message, line ends aside.
    header_hashes: HashMap<(usize, bool), Rc<SignedHeaders>>,
    /// RSA signatures opened: key identity -> signature -> opened block.
    opened: HashMap<usize, HashMap<Box<[u8]>, Opened>>,
    /// Other (Ed25519) verifications: (key identity, signature field, `crlf`) -> valid.
    verified: HashMap<(usize, usize, bool), bool>,
    /// RSA signatures under names no archive holds, with their signed-header hash, for key
    /// recovery (at most [`MAX_UNKEYED_PER_MESSAGE`]; see `recover.rs`).
    pub(crate) unkeyed: Vec<super::recover::RsaSignature>,
    /// Blocks a body repair removed, per signature field (see [`cuts`]).
    footers: HashMap<usize, FooterTrace>,
    /// Whether the route shows a mailing list; read on first use.
    list_route: Option<bool>,
}

/// RSA signatures without a key collected per message for key recovery.
const MAX_UNKEYED_PER_MESSAGE: usize = 8;

impl<'a> Context<'a> {
    pub(crate) fn new(
        keys: &'a KeyStore,
        orig: &'a [u8],
        base: u64,
        format: Option<Format>,
        headers: &'a Headers<'a>,
        as_of: i64,
    ) -> Self {
        let a = canon::applicable(orig, headers.body_start());
        let mut candidates = vec![Repair::default()];
        if a.bare_lf {
            candidates.push(Repair {
                crlf: true,
                ..Repair::default()
            });
        }
        let preferred = format.and_then(Format::quoting);
        let order = match preferred {
            Some(Quoting::Mboxrd) => [Quoting::Mboxrd, Quoting::Mboxo],
            _ => [Quoting::Mboxo, Quoting::Mboxrd],
        };
        for q in order {
            // `>>From` lines are only unquoted by mboxrd; without them both agree.
            let useful = match q {
                Quoting::Mboxo => a.mboxo && (a.deep || q == order[0]),
                Quoting::Mboxrd => a.mboxrd && (a.deep || q == order[0]),
            };
            if useful {
                candidates.push(Repair {
                    crlf: a.bare_lf,
                    mboxo_unquote: q == Quoting::Mboxo,
                    mboxrd_unquote: q == Quoting::Mboxrd,
                    ..Repair::default()
                });
            }
        }
        if a.trailing_ws {
            candidates.push(Repair {
                crlf: a.bare_lf,
                trailing_whitespace: true,
                ..Repair::default()
            });
        }
        let variants = candidates.iter().map(|_| None).collect();
        let mut ctx = Context {
            crlf_first: a.body_bare_lf,
            keys,
            orig,
            base,
            headers,
            as_of,
            candidates,
            variants,
            names: None,
            parsed: HashMap::new(),
            admitted: HashSet::new(),
            bodies: HashMap::new(),
            header_hashes: HashMap::new(),
            opened: HashMap::new(),
            verified: HashMap::new(),
            unkeyed: Vec::new(),
            footers: HashMap::new(),
            list_route: None,
        };
        // Every body hash the signatures ask for is known before the first pass, so one
        // pass computes them all.
        for f in headers.iter().filter(|f| f.is_named("DKIM-Signature")) {
            let parsed = ctx.parse(f.index());
            if let Ok(p) = &parsed {
                ctx.admit(canon_of(p.sig.cb), HashKind::of(p.sig.a), limit_of(p.l));
            }
            ctx.parsed.insert(f.index(), parsed);
        }
        ctx
    }

    pub(crate) fn repair_of(&self, i: usize) -> Option<Repair> {
        self.candidates.get(i).copied().filter(|r| !r.is_none())
    }

    pub(crate) fn candidate_count(&self) -> usize {
        self.candidates.len()
    }

    /// The order to try candidates in for one DKIM signature. Stored first, then each repair, except when the body
    /// has a bare LF (mail stored by an mbox writer): then `crlf` goes first, because a
    /// stored body with a bare LF canonicalizes to other bytes than its `crlf` repair, so
    /// when `crlf` verifies completely the stored bytes cannot, and trying them would only
    /// cost a second pass over the body. Results are still ranked in the stored-first order
    /// (`prefer`), so the reported repair is the same as when trying every candidate.
    pub(crate) fn candidate_order(&self) -> Vec<usize> {
        let mut order: Vec<usize> = (0..self.candidates.len()).collect();
        if self.crlf_first && order.len() > 1 {
            order.swap(0, 1);
        }
        order
    }

    pub(crate) fn variant(&mut self, i: usize) -> Option<&Variant<'a>> {
        let repair = *self.candidates.get(i)?;
        let slot = self.variants.get_mut(i)?;
        if slot.is_none() {
            *slot = Some(canon::transform(
                self.orig,
                self.headers.body_start(),
                repair,
            ));
        }
        slot.as_ref()
    }

    /// Admit a body hash: whether it is (or now is) among the at most [`MAX_BODY_HASHES`]
    /// distinct ones computed for this message.
    fn admit(&mut self, canon: Canon, hash: HashKind, limit: Option<usize>) -> bool {
        let key = (canon, hash, limit);
        if self.admitted.contains(&key) {
            return true;
        }
        if self.admitted.len() >= MAX_BODY_HASHES {
            return false;
        }
        self.admitted.insert(key);
        true
    }

    /// The body hash of `spec` on variant `vi`, from the one pass over that variant for the
    /// canonicalization and hash, which computes every admitted `l=` at once. A body hash
    /// admitted after its pass (an ARC-Message-Signature's) costs one more pass.
    fn body(&mut self, vi: usize, spec: &BodySpec<'_>, a: Algorithm) -> Option<BodyOutcome> {
        let hash = HashKind::of(a);
        let limit = limit_of(spec.l);
        if !self.admit(spec.cb, hash, limit) {
            return Some(BodyOutcome {
                valid: None,
                canonical_len: 0,
                tail: None,
            });
        }
        let key = (vi, spec.cb, hash);
        let missing = self.bodies.get(&key).is_none_or(|d| d.get(limit).is_none());
        if missing {
            let limits: Vec<usize> = self
                .admitted
                .iter()
                .filter(|r| r.0 == spec.cb && r.1 == hash)
                .filter_map(|r| r.2)
                .collect();
            let digests = canon::body_digests(self.variant(vi)?.body(), spec.cb, hash, &limits);
            self.bodies.insert(key, digests);
        }
        let d = self.bodies.get(&key)?;
        let (digest, tail) = d.get(limit)?;
        let signed = limit.unwrap_or(d.len);
        Some(BodyOutcome {
            valid: Some(signed <= d.len && digest == spec.bh),
            canonical_len: d.len,
            tail,
        })
    }

    /// Select the fields named in `h` the DKIM way: for each name, the bottom-most copy not
    /// yet used; `None` where no copy is left. Work in proportion to `h` (a binary search per
    /// name in the index by name, built once per message), not to the header block.
    fn select(&mut self, h: &[String]) -> Vec<Option<usize>> {
        #[cfg(test)]
        super::limits::work::add(|c| c.header_visits += h.len() as u64);
        let headers = self.headers;
        let index = self.names.get_or_insert_with(|| NameIndex::new(headers));
        let mut out = Vec::with_capacity(h.len());
        for name in h {
            out.push(index.take(headers, name.trim().as_bytes()));
        }
        index.reset();
        out
    }

    /// The canonical signed headers of `s` as in a variant with (or without) the `crlf`
    /// repair, and their hash: built once per signature field and line-end form.
    fn header_hash(&mut self, s: &Signed<'_>, crlf: bool) -> Option<Rc<SignedHeaders>> {
        if let Some(h) = self.header_hashes.get(&(s.index, crlf)) {
            return Some(h.clone());
        }
        let headers = self.headers;
        let sig_field = headers.field(s.index)?;
        let mut data = Vec::with_capacity(1024);
        let fields: Vec<usize> = match s.prefix {
            Some(prefix) => prefix.to_vec(),
            None => self.select(s.h).into_iter().flatten().collect(),
        };
        for f in fields.into_iter().filter_map(|i| headers.field(i)) {
            canon::canonical_field(&mut data, s.ch, &f, crlf);
        }
        let value = canon::with_crlf(sig_field.raw_value(), crlf);
        let stripped = canon::strip_tag_value(&value, b"b");
        canon::canonical_header(&mut data, s.ch, sig_field.name(), &stripped, false);
        let hashed = Rc::new(SignedHeaders {
            data,
            hash: HashAlgorithm::from(s.a),
            digest: OnceCell::new(),
        });
        self.header_hashes.insert((s.index, crlf), hashed.clone());
        Some(hashed)
    }

    /// Whether the RSA signature `b`, opened with key `rsa` (identified by `id`), is the
    /// PKCS#1 encoding of `digest`. Each (key, signature) is opened once per message and
    /// reused by every repair candidate and every field that carries the same signature.
    fn rsa_matches(
        &mut self,
        id: usize,
        rsa: &RsaKey,
        b: &[u8],
        a: Algorithm,
        digest: &[u8],
    ) -> bool {
        let by_sig = self.opened.entry(id).or_default();
        if let Some(opened) = by_sig.get(b) {
            return opened.matches(a, digest);
        }
        let opened = Opened::open(rsa, b);
        let ok = opened.matches(a, digest);
        by_sig.insert(b.into(), opened);
        ok
    }

    /// Check a signature-like field on variant `vi`: the body hash, and the header
    /// signature with each key of `s.keys` until one verifies.
    pub(crate) fn crypto(&mut self, vi: usize, s: &Signed<'_>) -> Option<Crypto> {
        let crlf = self.candidates.get(vi)?.crlf;
        let body = match &s.body {
            Some(spec) => Some(self.body(vi, spec, s.a)?),
            None => None,
        };
        let mut header_valid = None;
        let mut key = None;
        if !s.keys.is_empty() {
            let hashed = self.header_hash(s, crlf)?;
            for &(ki, rec) in s.keys {
                let Some(pk) = rec.public() else { continue };
                #[cfg(test)]
                super::limits::work::add(|c| c.key_tries += 1);
                let id = Arc::as_ptr(&pk.key) as usize;
                let ok = match &pk.rsa {
                    Some(rsa) => self.rsa_matches(id, rsa, s.b, s.a, hashed.digest()),
                    None => *self
                        .verified
                        .entry((id, s.index, crlf))
                        .or_insert_with(|| pk.key.p.verify_bytes(&hashed.data, s.b, s.a).is_ok()),
                };
                if header_valid.is_none() {
                    key = Some(ki);
                }
                header_valid = Some(ok);
                if ok {
                    key = Some(ki);
                    break;
                }
            }
        }
        Some(Crypto {
            header_valid,
            body_valid: body.as_ref().and_then(|b| b.valid),
            key,
            canonical_len: body.as_ref().map_or(0, |b| b.canonical_len),
            tail: body.and_then(|b| b.tail),
        })
    }

    /// The full forensic check of the DKIM-Signature at header `index`: the parsed signature
    /// and its structural rules (from [`Context::new`]), its keys, the crypto over the
    /// repair candidates, and the report.
    pub(crate) fn check(&mut self, index: usize) -> DkimCheck {
        let parsed = match self.parsed.remove(&index) {
            Some(p) => p,
            None => self.parse(index),
        };
        let mut p = match parsed {
            Ok(p) => p,
            Err(out) => return *out,
        };
        self.header_report(&p.sig.h, &mut p.out);
        let keys = self.lookup_keys(&p);
        let mut best = self.try_candidates(index, &p, &keys);
        if keys.all.is_empty() {
            self.collect_unkeyed(index, &p, best.as_ref().map(|b| b.0));
        }
        let proven = self.try_transit(index, &p, &keys, &mut best);
        let mut out = self.report(p, &keys, best);
        if let Some(t) = proven {
            let mut repair = out.repair.unwrap_or_default();
            repair.list_footer |= t.repair.list_footer;
            repair.mime_wrap |= t.repair.mime_wrap;
            repair.subject_tag |= t.repair.subject_tag;
            repair.list_header |= t.repair.list_header;
            repair.subject_reencoded |= t.repair.subject_reencoded;
            repair.refolded |= t.repair.refolded;
            out.repair = Some(repair);
            out.transit_added = t.added;
        }
        if let Some(trace) = self.footers.remove(&index) {
            // A pending block only for a body that still fails under a valid header
            // signature; a footer-shaped one only where it was accepted.
            let keep = match trace.pending {
                Some(_) => {
                    out.result == DkimResult::BodyModified
                        && out.header_signature_valid == Some(true)
                }
                None => out.proven_after_transit(),
            };
            if keep {
                out.footer = Some(Box::new(trace));
            }
        }
        out
    }

    /// The signature at `index` checked again on candidate originals with a change made in
    /// transit undone (see [`transit`]): accepted only when the header signature verifies
    /// under the key and the body hashes to `bh=`. On success `best` is updated and the
    /// repair and the bytes added are returned.
    fn try_transit(
        &mut self,
        index: usize,
        p: &Parsed,
        keys: &KeyLookup<'_>,
        best: &mut Option<(usize, Crypto)>,
    ) -> Option<TransitProof> {
        let (bvi, c) = best.as_ref()?;
        if c.score() == 3 || keys.tried.is_empty() || c.header_valid.is_none() {
            return None;
        }
        // The best variant, then the others (when nothing verified, the stored bytes rank
        // first although a repaired variant is the one transit changed).
        let mut order = vec![*bvi];
        order.extend(self.candidate_order().into_iter().filter(|v| v != bvi));
        let (header_valid, body_valid) = (c.header_valid, c.body_valid);
        for vi in order {
            if let Some(proof) = self.try_transit_on(vi, index, p, keys, header_valid, body_valid) {
                let body_valid = Some(proof.body_proven || body_valid == Some(true));
                *best = Some((
                    vi,
                    Crypto {
                        header_valid: Some(true),
                        body_valid,
                        key: best.as_ref().and_then(|(_, c)| c.key),
                        canonical_len: best.as_ref().map_or(0, |(_, c)| c.canonical_len),
                        tail: None,
                    },
                ));
                return Some(proof);
            }
        }
        None
    }

    /// [`Context::try_transit`] on variant `vi`.
    fn try_transit_on(
        &mut self,
        vi: usize,
        index: usize,
        p: &Parsed,
        keys: &KeyLookup<'_>,
        header_valid: Option<bool>,
        body_valid: Option<bool>,
    ) -> Option<TransitProof> {
        let c = Crypto {
            header_valid,
            body_valid,
            key: None,
            canonical_len: 0,
            tail: None,
        };
        // Body changes are only tried on whole-body signatures whose hash was computed.
        let body_needed = c.body_valid != Some(true);
        if body_needed && (p.l.is_some() || c.body_valid.is_none()) {
            return None;
        }
        // Header selection costs names times fields per candidate: bounded.
        if p.sig.h.len().saturating_mul(self.headers.len()) > 100_000 {
            return None;
        }
        let signed = Signed {
            index,
            h: &p.sig.h,
            ch: canon_of(p.sig.ch),
            a: p.sig.a,
            b: &p.sig.b,
            body: None,
            keys: &keys.tried,
            prefix: None,
        };
        let mut proof = TransitProof {
            repair: Repair::default(),
            added: Vec::new(),
            body_proven: !body_needed,
        };
        let header_repaired = c.header_valid != Some(true);
        if c.header_valid != Some(true) {
            let crlf = self.candidates.get(vi)?.crlf;
            let mut ok = false;
            let simple = signed.ch == Canon::Simple;
            for hc in transit::header_candidates(self.headers, index, &p.sig.h, simple) {
                let data = self.candidate_header_data(&signed, &hc.fields, crlf)?;
                if self.verify_data(&signed, &data) {
                    proof.repair.subject_tag = hc.subject_tag;
                    proof.repair.list_header = hc.list_header;
                    proof.repair.subject_reencoded = hc.subject_reencoded;
                    proof.repair.refolded = hc.refolded;
                    proof.added.extend(
                        hc.added
                            .into_iter()
                            .map(|r| Span::from_relative(self.base, r)),
                    );
                    ok = true;
                    break;
                }
            }
            if !ok {
                return None;
            }
        }
        if body_needed {
            let ct = self.headers.get("content-type").map(|f| f.raw_value());
            let (cb, hash) = (canon_of(p.sig.cb), HashKind::of(p.sig.a));
            let (base, len) = (self.base, self.orig.len());
            let v = self.variant(vi)?;
            let found = transit::body_candidates(v.body(), ct)
                .into_iter()
                .find(|bc| canon::body_digests(&bc.body, cb, hash, &[]).full == p.sig.bh);
            let Some(found) = found else {
                // A block of no known shape whose removal proves is kept as pending, for
                // the dump-wide pass to accept if it recurs (see [`cuts`]).
                self.pending_footer(vi, index, &p.sig.bh, cb, hash);
                // A header repair proven by the header signature stands on its own; the
                // body stays unproven (body-modified).
                return header_repaired.then_some(proof);
            };
            let headers = self.headers;
            let v = self.variant(vi)?;
            proof.body_proven = true;
            if !found.mime_wrap
                && let Some(r) = found.removed.first()
                && let Some(fingerprint) = v
                    .body()
                    .get(r.clone())
                    .and_then(|b| cuts::fingerprint(b, &cuts::list_names(headers)))
            {
                self.footers.insert(
                    index,
                    FooterTrace {
                        fingerprint,
                        pending: None,
                    },
                );
            }
            let v = self.variant(vi)?;
            for r in &found.removed {
                let at = |x: usize| v.original_offset(v.body_start + x).min(len);
                let (start, end) = (at(r.start), at(r.end));
                let end = if r.end >= v.body().len() { len } else { end };
                if end > start {
                    proof.added.push(Span::from_relative(base, start..end));
                }
            }
            proof.repair.mime_wrap = found.mime_wrap;
            proof.repair.list_footer = !found.mime_wrap;
        }
        Some(proof)
    }

    /// On a list's route, the trailing block of any shape whose removal makes the body of
    /// variant `vi` hash to `bh`, kept as the pending footer of the signature at `index`
    /// (the first variant that proves one; see [`cuts`]).
    fn pending_footer(&mut self, vi: usize, index: usize, bh: &[u8], cb: Canon, hash: HashKind) {
        if self.footers.contains_key(&index) {
            return;
        }
        let headers = self.headers;
        if !*self
            .list_route
            .get_or_insert_with(|| transit::route_shows_list(headers))
        {
            return;
        }
        let (base, len) = (self.base, self.orig.len());
        let Some(v) = self.variant(vi) else { return };
        let body = v.body();
        let Some(cut) = cuts::proving_cut(body, cb, hash, bh) else {
            return;
        };
        let Some(block) = body.get(cut.clone()) else {
            return;
        };
        if !cuts::recordable(block) {
            return;
        }
        let Some(fingerprint) = cuts::fingerprint(block, &cuts::list_names(headers)) else {
            return;
        };
        let at = |x: usize| v.original_offset(v.body_start + x).min(len);
        let start = at(cut.start);
        let end = if cut.end >= body.len() {
            len
        } else {
            at(cut.end)
        };
        if end <= start {
            return;
        }
        self.footers.insert(
            index,
            FooterTrace {
                fingerprint,
                pending: Some(vec![Span::from_relative(base, start..end)]),
            },
        );
    }

    /// The canonical signed headers of `s` over candidate fields (stored positions, each
    /// with a replacement value or the stored one), selected the DKIM way.
    fn candidate_header_data(
        &self,
        s: &Signed<'_>,
        fields: &[(usize, Option<Vec<u8>>)],
        crlf: bool,
    ) -> Option<Vec<u8>> {
        let headers = self.headers;
        let mut used = vec![false; fields.len()];
        let mut data = Vec::with_capacity(1024);
        for name in s.h {
            let name = name.trim().as_bytes();
            let pick = fields.iter().enumerate().rev().find(|(k, (i, _))| {
                !used.get(*k).copied().unwrap_or(true)
                    && headers
                        .field(*i)
                        .is_some_and(|f| f.name().eq_ignore_ascii_case(name))
            });
            let Some((k, (i, value))) = pick else {
                continue;
            };
            if let Some(u) = used.get_mut(k) {
                *u = true;
            }
            let f = headers.field(*i)?;
            match value {
                None => canon::canonical_field(&mut data, s.ch, &f, crlf),
                Some(v) => match s.ch {
                    Canon::Simple => {
                        data.extend_from_slice(f.name());
                        data.push(b':');
                        data.extend_from_slice(&canon::with_crlf(v, crlf));
                        let raw = f.raw();
                        let ending: &[u8] = if raw.ends_with(b"\r\n") {
                            b"\r\n"
                        } else if raw.ends_with(b"\n") {
                            b"\n"
                        } else {
                            b""
                        };
                        data.extend_from_slice(&canon::with_crlf(ending, crlf));
                    }
                    Canon::Relaxed => canon::canonical_header(
                        &mut data,
                        s.ch,
                        f.name(),
                        &canon::with_crlf(v, crlf),
                        true,
                    ),
                },
            }
        }
        let sig_field = headers.field(s.index)?;
        // The signature field itself, refolded in a candidate, or as stored.
        let sig_value = fields
            .iter()
            .find(|(i, _)| *i == s.index)
            .and_then(|(_, v)| v.as_deref())
            .unwrap_or(sig_field.raw_value());
        let value = canon::with_crlf(sig_value, crlf);
        let stripped = canon::strip_tag_value(&value, b"b");
        canon::canonical_header(&mut data, s.ch, sig_field.name(), &stripped, false);
        Some(data)
    }

    /// Whether canonical signed-header `data` verifies under one of the keys of `s`.
    fn verify_data(&mut self, s: &Signed<'_>, data: &[u8]) -> bool {
        let digest = HashAlgorithm::from(s.a).hash(data).as_ref().to_vec();
        for &(_, rec) in s.keys {
            let Some(pk) = rec.public() else { continue };
            let id = Arc::as_ptr(&pk.key) as usize;
            let ok = match &pk.rsa {
                Some(rsa) => self.rsa_matches(id, rsa, s.b, s.a, &digest),
                None => pk.key.p.verify_bytes(data, s.b, s.a).is_ok(),
            };
            if ok {
                return true;
            }
        }
        false
    }

    /// Keep an RSA signature whose name no archive holds, with the hash of its signed
    /// headers on candidate `vi` (the one whose body hash verified, else the stored bytes),
    /// for key recovery.
    fn collect_unkeyed(&mut self, index: usize, p: &Parsed, vi: Option<usize>) {
        if self.unkeyed.len() >= MAX_UNKEYED_PER_MESSAGE
            || !matches!(p.sig.a, Algorithm::RsaSha256 | Algorithm::RsaSha1)
        {
            return;
        }
        let algorithm = super::SigningAlgorithm::from_tag(p.sig.a.name());
        // Refuse before hashing what cannot be recovered (length outside the limits).
        let bits = p.sig.b.len() * 8;
        if !(super::recover::MIN_MODULUS_BITS..=super::recover::MAX_MODULUS_BITS).contains(&bits) {
            return;
        }
        let crlf = vi
            .and_then(|vi| self.candidates.get(vi))
            .is_some_and(|r| r.crlf);
        let signed = Signed {
            index,
            h: &p.sig.h,
            ch: canon_of(p.sig.ch),
            a: p.sig.a,
            b: &p.sig.b,
            body: None,
            keys: &[],
            prefix: None,
        };
        let Some(hashed) = self.header_hash(&signed, crlf) else {
            return;
        };
        if let Some(sig) = super::recover::RsaSignature::new(
            &p.sig.d,
            &p.sig.s,
            algorithm,
            p.sig.b.clone(),
            hashed.digest().to_vec(),
            p.out.span,
        ) {
            self.unkeyed.push(sig);
        }
    }

    /// Parse the DKIM-Signature at `index` and check the structural rules of RFC 6376 (the
    /// crypto still runs when one is broken). `Err` is the finished report of a signature
    /// that cannot be read.
    fn parse(&self, index: usize) -> Result<Parsed, Box<DkimCheck>> {
        let field = self.headers.field(index);
        let span = field.map(|f| f.span()).unwrap_or_default();
        let raw = field.map(|f| f.raw_value()).unwrap_or_default();
        // Unfolded: the value without its line breaks.
        let mut flat: Cow<'_, [u8]> = Cow::Borrowed(raw);
        if memchr::memchr2(b'\r', b'\n', raw).is_some() {
            let mut bytes = Vec::with_capacity(raw.len());
            for piece in raw.split(|&b| b == b'\r' || b == b'\n') {
                bytes.extend_from_slice(piece);
            }
            flat = Cow::Owned(bytes);
        }
        let unfolded = String::from_utf8_lossy(&flat);
        let tag = |name: &str| tags(&unfolded).find(|(n, _)| *n == name).map(|(_, v)| v);
        let a_tag = tag("a");
        let mut out = blank_check(span, self.as_of, a_tag.unwrap_or_default());
        let tag_count = memchr::memchr_iter(b';', &flat).count() + 1;
        if tag_count > MAX_TAGS {
            let why =
                format!("{tag_count} tags, over the limit of {MAX_TAGS} per tag-list: not read");
            out.detail = Some(why.clone());
            out.over_budget = Some(why);
            out.domain = tag("d").unwrap_or_default().to_string();
            out.selector = tag("s").unwrap_or_default().to_string();
            return Err(Box::new(out));
        }
        // The version decides the rules: no v= (the drafts of 2006) and v=0.5 (drafts -05 to
        // -10) are read as v=1 with their own differences; v=1 signed before RFC 6376 is
        // judged by RFC 4871.
        let version = tag("v").map(str::trim);
        let draft = match version {
            None => Some(super::Rules::DkimDraft),
            Some("0.5") => Some(super::Rules::DkimDraft05),
            _ => None,
        };
        let patched: Cow<'_, [u8]> = match draft {
            None => Cow::Borrowed(raw),
            Some(_) => Cow::Owned(as_version_1(raw)),
        };
        out.rules = draft;
        let sig = match Signature::parse(&patched) {
            Ok(s) => s,
            Err(e) => {
                use mail_auth::Error as E;
                use mail_auth::dkim::DkimError as D;
                out.result = match e {
                    E::Dkim(
                        D::UnsupportedVersion
                        | D::UnsupportedAlgorithm
                        | D::UnsupportedCanonicalization,
                    ) => DkimResult::Unsupported,
                    _ => DkimResult::Malformed,
                };
                out.detail = Some(e.to_string());
                out.domain = tag("d").unwrap_or_default().to_string();
                out.selector = tag("s").unwrap_or_default().to_string();
                return Err(Box::new(out));
            }
        };
        out.domain = sig.d.clone();
        out.selector = sig.s.clone();
        let mut problems: Vec<String> = Vec::new();
        for n in duplicates(unfolded.as_bytes()) {
            problems.push(format!("tag {}= appears twice", String::from_utf8_lossy(n)));
        }
        // q=: dns/txt, or before v= existed plain dns (RFC 4871 3.5, Mail::DKIM).
        if let Some(q) = tag("q") {
            let known = q.split(':').any(|m| {
                let m = m.trim();
                m.eq_ignore_ascii_case("dns/txt")
                    || (draft == Some(super::Rules::DkimDraft) && m.eq_ignore_ascii_case("dns"))
            });
            if !known {
                out.result = DkimResult::Unsupported;
                out.detail = Some(format!("unknown key query method q={}", q.trim()));
                out.domain = sig.d.clone();
                out.selector = sig.s.clone();
                return Err(Box::new(out));
            }
        }
        if a_tag.is_none() {
            problems.push("no a= tag".into());
        }
        if !sig.h.iter().any(|h| h.trim().eq_ignore_ascii_case("from")) {
            problems.push("h= does not cover From".into());
        }
        if sig.h.len() > MAX_SIGNED_HEADERS {
            let why = format!(
                "h= lists {} header fields, over the limit of {MAX_SIGNED_HEADERS}",
                sig.h.len()
            );
            problems.push(why.clone());
            out.over_budget = Some(why);
        }
        // A subdomain in i=, which a key with t=s forbids.
        let mut i_subdomain = None;
        let identity = tag("i").map(|i| decode_dkim_qp(i.trim()));
        if let Some(i) = identity.as_deref() {
            let dom = i
                .rsplit_once('@')
                .map_or(i, |(_, d)| d)
                .to_ascii_lowercase();
            let d = sig.d.to_ascii_lowercase();
            if dom != d && !dom.ends_with(&format!(".{d}")) {
                problems.push(format!("i= domain {dom} is not d= {d} or below it"));
            } else if dom != d {
                i_subdomain = Some(dom);
            }
        }
        let num = |n: &str, problems: &mut Vec<String>| -> Option<u64> {
            let v = tag(n)?;
            let v: String = v.chars().filter(|c| !c.is_whitespace()).collect();
            match v.parse::<u64>() {
                Ok(x) => Some(x),
                Err(_) => {
                    problems.push(format!("{n}= is not a number"));
                    None
                }
            }
        };
        let l = num("l", &mut problems);
        let t = num("t", &mut problems).map(|x| i64::try_from(x).unwrap_or(i64::MAX));
        let x = num("x", &mut problems).map(|x| i64::try_from(x).unwrap_or(i64::MAX));
        if let (Some(t), Some(x)) = (t, x)
            && x < t
        {
            problems.push("x= is before t=".into());
        }
        out.body_length = l;
        out.signed_at = t.map(crate::Timestamp::from_unix);
        out.expires_at = x.map(crate::Timestamp::from_unix);
        out.expired_as_of = x.map(|x| self.as_of > x);
        out.signed_in_future = t.is_some_and(|t| t > self.as_of.saturating_add(FUTURE_TOLERANCE));
        out.weak_key = sig.a == Algorithm::RsaSha1;
        if draft.is_none() && t.unwrap_or(self.as_of) < RFC_6376_PUBLISHED {
            out.rules = Some(super::Rules::Rfc4871);
        }
        // The local part of the identity, for the key's g= (RFC 4871 only).
        let local = identity
            .as_deref()
            .map_or("", |i| i.rsplit_once('@').map_or("", |(l, _)| l))
            .to_string();
        Ok(Parsed {
            sig,
            out,
            problems,
            l,
            i_subdomain,
            local,
        })
    }

    /// The records under the signature's name, and the usable ones to try.
    fn lookup_keys(&self, p: &Parsed) -> KeyLookup<'a> {
        let sig = &p.sig;
        let store: &'a KeyStore = self.keys;
        let name = format!("{}._domainkey.{}", sig.s, sig.d);
        let all = store.get(&name);
        let hash = match sig.a {
            Algorithm::RsaSha1 => "sha1",
            Algorithm::RsaSha256 | Algorithm::Ed25519Sha256 => "sha256",
        };
        // g= is a rule of RFC 4871 and the drafts, dropped by RFC 6376; but a key that carries
        // a restrictive g= was published to refuse other signers, and verifiers of its time
        // (Mail::DKIM among them) enforce it: honoured whatever rules judge the signature.
        let local = Some(p.local.as_str());
        let refused = std::cell::RefCell::new(Vec::new());
        let (tried, skipped) = usable_keys(all, sig.a, |k| {
            match check_key_record(k.record(), hash, local, false) {
                Ok(()) => true,
                Err(why) => {
                    refused.borrow_mut().push(why);
                    false
                }
            }
        });
        KeyLookup {
            name,
            all,
            tried,
            skipped,
            refused: refused.into_inner(),
        }
    }

    /// Try the stored message, then each repair, and keep the best outcome with its
    /// candidate: a higher score wins; on equal scores, the earlier candidate (stored first).
    fn try_candidates(
        &mut self,
        index: usize,
        p: &Parsed,
        keys: &KeyLookup<'_>,
    ) -> Option<(usize, Crypto)> {
        let signed = Signed {
            index,
            h: &p.sig.h,
            ch: canon_of(p.sig.ch),
            a: p.sig.a,
            b: &p.sig.b,
            body: Some(BodySpec {
                cb: canon_of(p.sig.cb),
                bh: &p.sig.bh,
                l: p.l,
            }),
            keys: &keys.tried,
            prefix: None,
        };
        let usable = !keys.tried.is_empty();
        let mut best: Option<(usize, Crypto)> = None;
        for vi in self.candidate_order() {
            let Some(c) = self.crypto(vi, &signed) else {
                continue;
            };
            let score = c.score();
            if best
                .as_ref()
                .is_none_or(|(bvi, b)| score > b.score() || (score == b.score() && vi < *bvi))
            {
                best = Some((vi, c));
            }
            // Without a usable key only the body hash can be checked: stop at the first
            // candidate whose body verifies, as a full pass stops when both verify.
            if score == 3 || (score == 1 && !usable) {
                break;
            }
        }
        best
    }

    /// The report of one DKIM-Signature from its best outcome.
    fn report(
        &mut self,
        p: Parsed,
        keys: &KeyLookup<'_>,
        best: Option<(usize, Crypto)>,
    ) -> DkimCheck {
        let Parsed {
            sig,
            mut out,
            mut problems,
            l,
            i_subdomain,
            local: _,
        } = p;
        out.keys_tried = keys.all.len();
        let Some((vi, c)) = best else {
            out.detail = Some("message could not be prepared".into());
            return out;
        };
        out.body_hash_valid = c.body_valid;
        out.header_signature_valid = c.header_valid;
        let repair = self.candidates.get(vi).copied().unwrap_or_default();
        if !repair.is_none() && (c.header_valid == Some(true) || c.body_valid == Some(true)) {
            out.repair = Some(repair);
        }
        if let Some(l) = limit_of(l)
            && l < c.canonical_len
        {
            out.unsigned_body_bytes = (c.canonical_len - l) as u64;
            out.unsigned_body = self.tail_span(vi, c.tail);
        }
        if let Some(rec) = c.key.and_then(|k| keys.all.get(k)) {
            out.key_index = c.key;
            out.key_bits = rec.bits();
            out.key_source = Some(rec.provenance().to_string());
            out.testing = rec.is_testing();
            if !rec.annotations().is_empty() {
                out.key_annotations = Some(rec.annotations().clone());
            }
            out.key_in_use_as_of = rec.annotations().covers(self.as_of);
            if rec.kind() == Some(KeyKind::Rsa) && rec.bits().is_some_and(|b| b < 1024) {
                out.weak_key = true;
            }
            if let (true, Some(dom)) = (rec.is_strict_identity(), &i_subdomain) {
                problems.push(format!(
                    "the key record has t=s but i= names {dom}, a subdomain of d= {}",
                    sig.d.to_ascii_lowercase()
                ));
            }
        }
        let name = &keys.name;
        let usable = !keys.tried.is_empty();
        out.result = if !problems.is_empty() {
            out.detail = Some(problems.join("; "));
            DkimResult::Malformed
        } else if keys.all.is_empty() {
            out.detail = Some(format!("no key for {name}"));
            DkimResult::NoKey
        } else if !usable {
            if keys.all.iter().all(KeyRecord::is_revoked) {
                out.detail = Some(format!("every key for {name} is revoked"));
                DkimResult::KeyRevoked
            } else if !keys.refused.is_empty() {
                out.detail = Some(key_problem_note(name, &keys.refused));
                DkimResult::NoKey
            } else {
                out.detail = Some(format!(
                    "no key for {name} accepts {} (k= or h= of the record)",
                    sig.a.name()
                ));
                DkimResult::NoKey
            }
        } else if c.header_valid != Some(true) {
            DkimResult::HeadersModified
        } else if c.body_valid.is_none() {
            // The header signature verifies, but the body was not checked: not a pass.
            DkimResult::Malformed
        } else if c.body_valid != Some(true) {
            DkimResult::BodyModified
        } else {
            DkimResult::Pass
        };
        let mut notes = Vec::new();
        if c.body_valid.is_none() {
            notes.push(body_not_computed_note());
            out.over_budget.get_or_insert_with(body_not_computed_note);
        }
        if keys.skipped > 0 {
            notes.push(keys_skipped_note(name, keys.tried.len(), keys.skipped));
        }
        if !notes.is_empty() {
            let mut detail: Vec<String> = out.detail.take().into_iter().collect();
            detail.extend(notes);
            out.detail = Some(detail.join("; "));
        }
        out
    }

    /// Span in the stored bytes from the first unsigned canonical byte (`tail`, an offset in
    /// variant `vi`'s body) to the end.
    fn tail_span(&mut self, vi: usize, tail: Option<usize>) -> Option<Span> {
        let (base, len) = (self.base, self.orig.len());
        let tail = tail?;
        let v = self.variant(vi)?;
        let start = v.original_offset(v.body_start + tail).min(len);
        Some(Span::from_relative(base, start..len))
    }

    /// Unsigned displayed headers, `h=` resolved, duplicated single-use headers.
    fn header_report(&mut self, h: &[String], out: &mut DkimCheck) {
        let covered = |name: &str| {
            h.iter()
                .filter(|x| x.trim().eq_ignore_ascii_case(name))
                .count()
        };
        for name in DISPLAYED {
            if covered(name) > 0 {
                continue;
            }
            let fields: Vec<_> = self.headers.get_all(name).collect();
            if let Some(first) = fields.first() {
                out.unsigned_headers.push(first.name_str().into_owned());
            }
            out.unsigned_header_fields
                .extend(fields.iter().map(|f| HeaderRef {
                    name: f.name_str().into_owned(),
                    span: f.span(),
                }));
        }
        let selected = self.select(h);
        out.signed_headers = h
            .iter()
            .zip(selected)
            .map(|(n, f)| SignedHeader {
                name: n.trim().to_string(),
                span: f.and_then(|i| self.headers.field(i)).map(|f| f.span()),
            })
            .collect();
        for name in SINGLE_USE {
            let copies: Vec<_> = self.headers.get_all(name).collect();
            if copies.len() < 2 {
                continue;
            }
            let k = covered(name).min(copies.len());
            let signed: Vec<Span> = copies.iter().rev().take(k).map(|f| f.span()).collect();
            let Some(top) = copies.first() else { continue };
            out.duplicate_headers.push(DuplicateHeader {
                name: top.name_str().into_owned(),
                displayed: top.span(),
                displayed_is_signed: signed.contains(&top.span()),
                signed,
            });
        }
    }
}

/// Work grows linearly with hostile input: counted (`limits::work`), not timed.
#[cfg(test)]
mod tests {
    use super::super::limits::work::{self, Counts};
    use super::super::limits::{MAX_BODY_HASHES, MAX_KEYS_PER_NAME};
    use crate::auth::{AsOf, DkimCheck, DkimResult, KeyStore, Verifier};

    /// The sample's 1024-bit key record (`mc1._domainkey.news.example`).
    fn record() -> &'static str {
        include_str!("../../examples/data/keys.keymap")
            .lines()
            .find_map(|l| l.strip_prefix("mc1._domainkey.news.example "))
            .expect("mc1 key in the sample keymap")
    }

    /// A store with `n` records of that key under one name, distinct by annotation.
    fn store(n: usize) -> KeyStore {
        let text: String = (0..n)
            .map(|k| {
                format!(
                    "mc1._domainkey.news.example {} valid-from={}\n",
                    record(),
                    1_000_000 + k
                )
            })
            .collect();
        let mut ks = KeyStore::new();
        assert_eq!(ks.parse_str(&text, "test").loaded, n);
        ks
    }

    /// A `b=` for a 1024-bit key that opens (below any modulus: leading zero bytes) and is
    /// distinct for each `k`.
    fn b(k: usize) -> String {
        const DIGITS: &[u8; 64] =
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut s = vec![b'A'; 171];
        for (pos, shift) in [(167, 0), (166, 6), (165, 12)] {
            s[pos] = DIGITS[(k >> shift) % 64];
        }
        format!("{}=", String::from_utf8(s).expect("ASCII"))
    }

    fn signature(h: &str, k: usize, l: Option<usize>) -> String {
        let l = l.map(|l| format!("; l={l}")).unwrap_or_default();
        format!(
            "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=news.example; s=mc1; h={h}; bh={}={l}; b={}\r\n",
            "A".repeat(43),
            b(k)
        )
    }

    /// Verify `msg` and count the work.
    fn run(ks: &KeyStore, msg: &[u8]) -> (Vec<DkimCheck>, Counts) {
        work::take();
        let report = Verifier::new(ks)
            .as_of(AsOf::Fixed(1_500_000_000.into()))
            .verify(msg, 0, None);
        (report.dkim, work::take())
    }

    /// `sigs` signatures whose `h=` names each of `headers` header fields, over them.
    fn many_headers(sigs: usize, headers: usize) -> Vec<u8> {
        let names: Vec<String> = (0..headers).map(|k| format!("x-{k}")).collect();
        let h = format!("from:{}", names.join(":"));
        let mut m = String::new();
        for k in 0..sigs {
            m.push_str(&signature(&h, k, None));
        }
        m.push_str("From: a@news.example\r\n");
        for n in &names {
            m.push_str(&format!("{n}: v\r\n"));
        }
        m.push_str("\r\nbody\r\n");
        m.into_bytes()
    }

    /// `i=` in dkim-quoted-printable decodes before its domain is compared with `d=`.
    #[test]
    fn identity_is_decoded_from_dkim_quoted_printable() {
        use super::decode_dkim_qp;
        assert_eq!(decode_dkim_qp("jlong=40messiah.edu"), "jlong@messiah.edu");
        assert_eq!(decode_dkim_qp("=6Along@messiah=2Eedu"), "jlong@messiah.edu");
        assert_eq!(decode_dkim_qp("a =3D b"), "a=b");
        // Not an escape: kept as it is.
        assert_eq!(decode_dkim_qp("x=zz@y"), "x=zz@y");
        assert_eq!(decode_dkim_qp("x="), "x=");
    }

    /// The key record rules: s= service, h= hashes, and g= only when a local part is given
    /// (RFC 4871 and DomainKeys); an empty g= matches nothing but for DomainKeys.
    #[test]
    fn key_record_rules() {
        use super::check_key_record as c;
        assert!(c("p=AAAA", "sha1", Some("x"), false).is_ok());
        assert!(c("s=email:web; p=AAAA", "sha1", None, false).is_ok());
        assert!(c("s=*; p=AAAA", "sha1", None, false).is_ok());
        assert!(c("s=chat; p=AAAA", "sha1", None, false).is_err());
        assert!(c("h=sha256; p=AAAA", "sha1", None, false).is_err());
        assert!(c("h=sha1:sha256; p=AAAA", "sha1", None, false).is_ok());
        assert!(c("g=jl*g; p=AAAA", "sha1", Some("jlong"), false).is_ok());
        assert!(c("g=jl*g; p=AAAA", "sha1", Some("JLONG"), false).is_err());
        assert!(c("g=*poe; p=AAAA", "sha1", Some("jlong"), false).is_err());
        assert!(c("g=jlong; p=AAAA", "sha1", Some("foo"), false).is_err());
        assert!(c("g=; p=AAAA", "sha1", Some(""), false).is_err());
        assert!(c("g=; p=AAAA", "sha1", Some("jane"), true).is_ok());
        // RFC 6376 dropped g=: no local part given, no check.
        assert!(c("g=*poe; p=AAAA", "sha1", None, false).is_ok());
    }

    /// Draft signatures are read as v=1, whatever their v= said.
    #[test]
    fn drafts_read_as_version_1() {
        assert_eq!(
            String::from_utf8(super::as_version_1(b" v=0.5; a=rsa-sha1; d=x")).unwrap(),
            "v=1; a=rsa-sha1; d=x;"
        );
        assert_eq!(
            String::from_utf8(super::as_version_1(b"a=rsa-sha1;\r\n d=x;")).unwrap(),
            "v=1;a=rsa-sha1;\r\n d=x;"
        );
    }

    /// Signatures with long `h=` over many headers: each name costs a look-up, not a scan
    /// of the header block, and each selected field is canonicalized once per signature.
    #[test]
    fn header_selection_is_linear() {
        let ks = store(1);
        for (sigs, headers) in [(4, 50), (4, 100), (8, 100), (8, 400)] {
            let (checks, w) = run(&ks, &many_headers(sigs, headers));
            assert_eq!(checks.len(), sigs);
            assert!(
                checks
                    .iter()
                    .all(|c| c.result == DkimResult::HeadersModified)
            );
            let fields = (sigs + 1 + headers) as u64;
            let names = (headers + 1) as u64;
            // The index (every field once), then two selections per signature (the report's
            // and the hash's), one look-up per name.
            assert_eq!(w.header_visits, fields + sigs as u64 * 2 * names);
            assert_eq!(w.header_fields, sigs as u64 * names);
            assert_eq!(w.openings, sigs as u64);
            assert_eq!(w.body_passes, 1);
        }
    }

    /// Signatures with distinct `l=` and no key: one body pass computes every prefix; past
    /// MAX_BODY_HASHES distinct ones the body hash is left unchecked, and said so.
    #[test]
    fn distinct_body_lengths_share_one_pass() {
        let ks = KeyStore::new();
        let body: String = (0..40)
            .map(|k| format!("line {k}  with two spaces \r\n"))
            .collect();
        for sigs in [10, 40, MAX_BODY_HASHES + 6] {
            let mut m = String::new();
            for k in 0..sigs {
                m.push_str(&signature("from", k, Some(k * 7)));
            }
            m.push_str("From: a@news.example\r\n\r\n");
            m.push_str(&body);
            let (checks, w) = run(&ks, m.as_bytes());
            // One candidate (the stored bytes) and one trailing-whitespace repair: a pass
            // each, whatever the number of signatures.
            assert_eq!(w.body_passes, 2, "{sigs} signatures");
            assert_eq!(w.openings, 0);
            let len = checks[0].unsigned_body_bytes as usize; // l=0: all of it unsigned
            assert!(len > 0);
            for (k, c) in checks.iter().enumerate() {
                assert_eq!(c.result, DkimResult::NoKey);
                if k < MAX_BODY_HASHES {
                    assert_eq!(c.body_hash_valid, Some(false), "signature {k}");
                    assert_eq!(c.unsigned_body_bytes as usize, len.saturating_sub(k * 7));
                    assert_eq!(c.unsigned_body.is_some(), k * 7 < len);
                } else {
                    assert_eq!(c.body_hash_valid, None, "signature {k}");
                    let detail = c.detail.as_deref().unwrap_or_default();
                    assert!(detail.contains("body hash not computed"), "{detail}");
                }
            }
        }
    }

    /// Many keys under one name: at most MAX_KEYS_PER_NAME tried per signature (and said
    /// so), and a signature carried twice is opened once per key.
    #[test]
    fn keys_per_name_are_capped_and_openings_shared() {
        let cap = MAX_KEYS_PER_NAME as u64;
        for keys in [cap as usize / 2, cap as usize * 3] {
            let ks = store(keys);
            let tried = keys.min(MAX_KEYS_PER_NAME) as u64;
            let mut m = String::new();
            for k in [0, 1, 2, 0] {
                m.push_str(&signature("from", k, None));
            }
            m.push_str("From: a@news.example\r\n\r\nbody\r\n");
            let (checks, w) = run(&ks, m.as_bytes());
            assert_eq!(w.key_tries, 4 * tried);
            assert_eq!(w.openings, 3 * tried, "the fourth repeats the first");
            for c in &checks {
                assert_eq!(c.result, DkimResult::HeadersModified);
                assert_eq!(c.key_index, Some(0));
                assert_eq!(c.keys_tried, keys);
                let detail = c.detail.as_deref().unwrap_or_default();
                assert_eq!(
                    detail.contains(&format!("only the first {cap} of {keys} usable keys")),
                    keys > MAX_KEYS_PER_NAME,
                    "{detail}"
                );
            }
        }
    }

    /// Every repair candidate is tried for a failing signature, yet it is opened once, its
    /// signed headers hashed once per line-end form, and its body passed once per candidate.
    #[test]
    fn repair_candidates_open_once() {
        let ks = store(1);
        let m = format!(
            "{}From: a@news.example\nSubject: s\n\nx \n>From here\nbody\n",
            signature("from:subject", 0, None)
        );
        let (checks, w) = run(&ks, m.as_bytes());
        // Stored, crlf, crlf+mboxo-unquote, crlf+trailing-whitespace.
        assert_eq!(w.body_passes, 4);
        assert_eq!(w.openings, 1);
        assert_eq!(w.header_fields, 2 * 2);
        assert_eq!(checks[0].result, DkimResult::HeadersModified);
    }
}
