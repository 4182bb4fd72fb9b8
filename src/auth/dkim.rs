//! The forensic DKIM check of one signature.

use mail_auth::common::crypto::{Algorithm, HashAlgorithm};
use mail_auth::dkim::{Canonicalization, Signature};
use std::sync::Arc;

use super::canon::{self, Canon, Repair, Variant};
use super::keys::{KeyKind, KeyRecord, KeyStore, PublicKey};
use super::rsa::{Opened, RsaKey};
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

/// Writes the canonical headers hashed before a signature field (ARC-Seal chains).
pub(crate) type HeaderPrefix<'p> = dyn Fn(&Headers<'_>, &mut Vec<u8>) + 'p;

/// Tolerance for `t=` after the as-of time.
const FUTURE_TOLERANCE: i64 = 300;

/// The message, its repaired variants (built on demand) and cached canonical bodies.
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
    /// Body hashes computed so far: (variant, canonicalization, hash, `l=`) -> (digest,
    /// length of the whole canonical body).
    bodies: Vec<(BodyKey, Vec<u8>, usize)>,
    /// RSA signatures already opened: (key identity, signature, opened block).
    opened: Vec<(usize, Vec<u8>, Opened)>,
}

/// Which body hash: of which variant, canonicalization, hash algorithm and `l=`.
#[derive(Clone, Copy, PartialEq, Eq)]
struct BodyKey {
    variant: usize,
    canon: Canon,
    hash: HashAlgorithm,
    limit: Option<usize>,
}

/// Outcome of checking one signature-like field on one variant.
pub(crate) struct Crypto {
    pub(crate) header_valid: Option<bool>,
    pub(crate) body_valid: bool,
    pub(crate) key: Option<usize>,
    pub(crate) canonical_len: usize,
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
        Context {
            crlf_first: a.body_bare_lf,
            keys,
            orig,
            base,
            headers,
            as_of,
            candidates,
            variants,
            bodies: Vec::new(),
            opened: Vec::new(),
        }
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

    /// Hash of the first `l` bytes (all without `l`) of variant `i`'s canonical body, and
    /// the canonical body's whole length. Streamed, never built; cached per message.
    fn body_hash(
        &mut self,
        i: usize,
        c: Canon,
        hash: HashAlgorithm,
        l: Option<usize>,
    ) -> Option<(&[u8], usize)> {
        let key = BodyKey {
            variant: i,
            canon: c,
            hash,
            limit: l,
        };
        let pos = match self.bodies.iter().position(|b| b.0 == key) {
            Some(pos) => pos,
            None => {
                let v = self.variant(i)?;
                let h = Headers::parse(&v.bytes, 0);
                let len = std::cell::Cell::new(0);
                let digest = hash.hash(canon::CanonicalPrefix {
                    body: h.body(),
                    canon: c,
                    limit: l,
                    len: &len,
                });
                self.bodies.push((key, digest.as_ref().to_vec(), len.get()));
                self.bodies.len() - 1
            }
        };
        self.bodies.get(pos).map(|b| (b.1.as_slice(), b.2))
    }

    /// The RSA signature `b` opened with key `rsa` (identified by `id`), computed once per
    /// message and reused by every repair candidate.
    fn open(&mut self, id: usize, rsa: &RsaKey, b: &[u8]) -> &Opened {
        let pos = match self.opened.iter().position(|(k, s, _)| *k == id && s == b) {
            Some(pos) => pos,
            None => {
                self.opened.push((id, b.to_vec(), Opened::open(rsa, b)));
                self.opened.len() - 1
            }
        };
        &self.opened[pos].2
    }

    /// Check a DKIM-style signature field (`index` in header order) on variant `vi`:
    /// the body hash, and the header signature with each usable key in `keys`.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn crypto(
        &mut self,
        vi: usize,
        index: usize,
        h: &[String],
        ch: Canon,
        cb: Canon,
        a: Algorithm,
        bh: &[u8],
        b: &[u8],
        l: Option<u64>,
        keys: &[KeyRecord],
        extra_prefix: Option<&HeaderPrefix<'_>>,
    ) -> Option<Crypto> {
        let hash = HashAlgorithm::from(a);
        let limit = l.map(|l| usize::try_from(l).unwrap_or(usize::MAX));
        let (digest, canonical_len) = self.body_hash(vi, cb, hash, limit)?;
        let signed_len = limit.unwrap_or(canonical_len);
        let body_valid = signed_len <= canonical_len && digest == bh;
        let v = self.variant(vi)?;
        let headers = Headers::parse(&v.bytes, 0);
        let sig_field = headers.field(index)?;
        let mut data = Vec::with_capacity(1024);
        if let Some(f) = extra_prefix {
            f(&headers, &mut data);
        } else {
            for f in canon::select_headers(&headers, h).into_iter().flatten() {
                canon::canonical_field(&mut data, ch, &f);
            }
        }
        let stripped = canon::strip_tag_value(sig_field.raw_value(), b"b");
        canon::canonical_header(&mut data, ch, sig_field.name(), &stripped, false);
        let mut header_valid = None;
        let mut key = None;
        for (ki, rec) in keys.iter().enumerate() {
            let Some(pk) = rec.public() else { continue };
            if !key_accepts(pk, a) {
                continue;
            }
            let ok = match &pk.rsa {
                Some(rsa) => {
                    let id = Arc::as_ptr(&pk.key) as usize;
                    let digest = HashAlgorithm::from(a).hash(data.as_slice());
                    self.open(id, rsa, b).matches(a, digest.as_ref())
                }
                None => pk.key.p.verify_bytes(&data, b, a).is_ok(),
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
        Some(Crypto {
            header_valid,
            body_valid,
            key,
            canonical_len,
        })
    }

    /// The full forensic check of the DKIM-Signature at header `index`.
    pub(crate) fn check(&mut self, index: usize) -> DkimCheck {
        let field = self.headers.field(index);
        let span = field.map(|f| f.span()).unwrap_or_default();
        let raw = field.map(|f| f.raw_value()).unwrap_or_default();
        let unfolded: String = String::from_utf8_lossy(raw)
            .chars()
            .filter(|c| *c != '\r' && *c != '\n')
            .collect();
        let tag = |name: &str| tags(&unfolded).find(|(n, _)| *n == name).map(|(_, v)| v);
        let mut out = DkimCheck {
            domain: tag("d").unwrap_or_default().to_string(),
            selector: tag("s").unwrap_or_default().to_string(),
            algorithm: super::SigningAlgorithm::from_tag(tag("a").unwrap_or_default()),
            result: DkimResult::Malformed,
            header_signature_valid: None,
            body_hash_valid: None,
            key_bits: None,
            key_source: None,
            key_index: None,
            keys_tried: 0,
            key_annotations: None,
            key_in_use_as_of: None,
            weak_key: false,
            testing: false,
            signed_at: None,
            expires_at: None,
            expired_as_of: None,
            signed_in_future: false,
            as_of: crate::Timestamp::from_unix(self.as_of),
            body_length: None,
            unsigned_body_bytes: 0,
            unsigned_body: None,
            unsigned_headers: Vec::new(),
            unsigned_header_fields: Vec::new(),
            signed_headers: Vec::new(),
            duplicate_headers: Vec::new(),
            repair: None,
            span,
            detail: None,
        };
        let sig = match Signature::parse(raw) {
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
                return out;
            }
        };
        out.domain = sig.d.clone();
        out.selector = sig.s.clone();
        // Structural rules of RFC 6376 (checked, the crypto still runs).
        let mut problems: Vec<String> = Vec::new();
        for n in duplicates(unfolded.as_bytes()) {
            problems.push(format!("tag {}= appears twice", String::from_utf8_lossy(n)));
        }
        if tag("v").is_none() {
            problems.push("no v= tag".into());
        }
        if tag("a").is_none() {
            problems.push("no a= tag".into());
        }
        if !sig.h.iter().any(|h| h.trim().eq_ignore_ascii_case("from")) {
            problems.push("h= does not cover From".into());
        }
        // A subdomain in i=, which a key with t=s forbids.
        let mut i_subdomain = None;
        if let Some(i) = tag("i") {
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
        if let (Some(t), Some(x)) = (t, x) {
            if x < t {
                problems.push("x= is before t=".into());
            }
        }
        out.body_length = l;
        out.signed_at = t.map(crate::Timestamp::from_unix);
        out.expires_at = x.map(crate::Timestamp::from_unix);
        out.expired_as_of = x.map(|x| self.as_of > x);
        out.signed_in_future = t.is_some_and(|t| t > self.as_of.saturating_add(FUTURE_TOLERANCE));
        out.weak_key = sig.a == Algorithm::RsaSha1;
        self.header_report(&sig.h, &mut out);

        let name = format!("{}._domainkey.{}", sig.s, sig.d);
        let keys = self.keys.get(&name);
        out.keys_tried = keys.len();
        let usable = keys
            .iter()
            .any(|k| k.public().is_some_and(|p| key_accepts(p, sig.a)));
        let ch = canon_of(sig.ch);
        let cb = canon_of(sig.cb);

        // Try the stored message, then each repair; keep the best outcome.
        let mut best: Option<(u8, usize, Crypto)> = None;
        for vi in self.candidate_order() {
            let Some(c) = self.crypto(
                vi, index, &sig.h, ch, cb, sig.a, &sig.bh, &sig.b, l, keys, None,
            ) else {
                continue;
            };
            let score = u8::from(c.header_valid == Some(true)) * 2 + u8::from(c.body_valid);
            // A higher score wins; on equal scores, the earlier candidate (stored first).
            if best
                .as_ref()
                .is_none_or(|b| score > b.0 || (score == b.0 && vi < b.1))
            {
                best = Some((score, vi, c));
            }
            // Without a usable key only the body hash can be checked: stop at the first
            // candidate whose body verifies, as a full pass stops when both verify.
            if score == 3 || (score == 1 && !usable) {
                break;
            }
        }
        let Some((_, vi, c)) = best else {
            out.detail = Some("message could not be prepared".into());
            return out;
        };
        out.body_hash_valid = Some(c.body_valid);
        out.header_signature_valid = c.header_valid;
        let repair = self.candidates.get(vi).copied().unwrap_or_default();
        if !repair.is_none() && (c.header_valid == Some(true) || c.body_valid) {
            out.repair = Some(repair);
        }
        if let Some(l) = l {
            let l = usize::try_from(l).unwrap_or(usize::MAX);
            if l < c.canonical_len {
                out.unsigned_body_bytes = (c.canonical_len - l) as u64;
                out.unsigned_body = self.tail_span(vi, cb, l);
            }
        }
        if let Some(rec) = c.key.and_then(|k| keys.get(k)) {
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
        out.result = if !problems.is_empty() {
            out.detail = Some(problems.join("; "));
            DkimResult::Malformed
        } else if keys.is_empty() {
            out.detail = Some(format!("no key for {name}"));
            DkimResult::NoKey
        } else if !usable {
            if keys.iter().all(KeyRecord::is_revoked) {
                out.detail = Some(format!("every key for {name} is revoked"));
                DkimResult::KeyRevoked
            } else {
                out.detail = Some(format!(
                    "no key for {name} accepts {} (k= or h= of the record)",
                    sig.a.name()
                ));
                DkimResult::NoKey
            }
        } else if c.header_valid != Some(true) {
            DkimResult::HeadersModified
        } else if !c.body_valid {
            DkimResult::BodyModified
        } else {
            DkimResult::Pass
        };
        out
    }

    /// Span in the stored bytes of the canonical body from offset `l` to the end.
    fn tail_span(&mut self, vi: usize, cb: Canon, l: usize) -> Option<Span> {
        let (base, len) = (self.base, self.orig.len());
        let body_start = {
            let v = self.variant(vi)?;
            Headers::parse(&v.bytes, 0).body_start()
        };
        let body_off = {
            let v = self.variant(vi)?;
            let body = v.bytes.get(body_start..).unwrap_or_default();
            // Recomputing keeps the borrow simple; bodies are cached by `crypto` anyway.
            let cbody = canon::canonical_body(body, cb);
            cbody.body_offset(body, l)
        };
        let v = self.variant(vi)?;
        let start = v.original_offset(body_start + body_off).min(len);
        Some(Span::from_relative(base, start..len))
    }

    /// Unsigned displayed headers, `h=` resolved, duplicated single-use headers.
    fn header_report(&self, h: &[String], out: &mut DkimCheck) {
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
        out.signed_headers = h
            .iter()
            .zip(canon::select_headers(self.headers, h))
            .map(|(n, f)| SignedHeader {
                name: n.trim().to_string(),
                span: f.map(|f| f.span()),
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
