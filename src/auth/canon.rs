//! Message preparation (reversible repairs with an offset map back to the stored bytes) and
//! DKIM canonicalization (RFC 6376 section 3.4) with positions, so `l=` can be measured on the
//! canonical body and its unsigned tail pointed at in the original bytes.

use std::borrow::Cow;
use std::fmt;

use mail_auth::common::crypto::{Algorithm, HashAlgorithm};
use sha1::Digest as _;
use sha2::Digest as _;

use crate::read::headers::Field;

/// Canonicalization algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Canon {
    Simple,
    Relaxed,
}

/// A quoting of `From ` lines to undo.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Unquote {
    Mboxo,
    Mboxrd,
}

/// The reversible transformations applied to a stored message before verification.
///
/// Displayed (and serialized) as the names joined by `+`: `crlf`, `mboxo-unquote`,
/// `mboxrd-unquote`, `trailing-whitespace`, for example `crlf+mboxrd-unquote`; and for the
/// changes mail undergoes in transit, undone and proven by the hash (the signed original is
/// recomputed, the stored bytes are not): `list-footer`, `mime-wrap`, `subject-tag`,
/// `list-header` (see the `transit` module of the verifier); and two changes of form that
/// keep every character a reader sees, proven the same way: `subject-reencoded` (the
/// Subject's encoded words written again) and `refolded` (the folding of signed fields
/// changed under `simple` header canonicalization).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Repair {
    /// Bare LF line endings were converted to CRLF.
    pub crlf: bool,
    /// mbox `>From ` quoting was undone the mboxo way (one `>` off `>From ` lines).
    pub mboxo_unquote: bool,
    /// mbox `>From ` quoting was undone the mboxrd way (one `>` off every `>+From ` line).
    pub mboxrd_unquote: bool,
    /// Trailing spaces and tabs were removed from body lines.
    pub trailing_whitespace: bool,
    /// A block of lines appended in transit (a mailing list's or gateway's footer, after the
    /// signed text, inside the last text part, as a new MIME part or before `</body>`) was
    /// removed: the rest hashes to `bh=`.
    pub list_footer: bool,
    /// A single-part message that a list wrapped into `multipart/mixed` (Mailman) was
    /// unwrapped: its first part hashes to `bh=`.
    pub mime_wrap: bool,
    /// A list's `[tag] ` prefix was removed from the Subject (or `[tag] Re:` put back as
    /// `Re: [tag]`): the headers then verify under the key.
    pub subject_tag: bool,
    /// A header field a list added above the signed ones, under a name the signature
    /// over-signs, was left out: the headers then verify under the key.
    pub list_header: bool,
    /// The Subject was written again as its author's client would have encoded it (RFC 2047
    /// encoded words in B or Q, split and folded as common clients do, or raw 8-bit text):
    /// its decoded text is the stored one (with `subject_tag`, minus the list's tag), and
    /// the headers then verify under the key. A list or gateway had decoded and encoded it
    /// again. Alone, it changes no character a reader sees.
    pub subject_reencoded: bool,
    /// The folding of signed header fields (or of the signature field) was changed back
    /// (unfolded, folded at 78 or 76 columns, continuation tab and space swapped): under
    /// `simple` header canonicalization a relay that folds or unfolds a long field breaks the
    /// signature. The headers then verify under the key; no character but folding white
    /// space changed.
    pub refolded: bool,
}

impl Repair {
    /// Whether nothing was changed.
    pub fn is_none(&self) -> bool {
        *self == Repair::default()
    }

    /// Whether a change made in transit (a list's footer, MIME wrapping, subject tag or
    /// added header) was undone: what is proven is then the signed original, not the stored
    /// message. `subject_reencoded` and `refolded` alone are not: they change the form of
    /// the signed fields, not what a reader sees.
    pub fn is_transit(&self) -> bool {
        self.list_footer || self.mime_wrap || self.subject_tag || self.list_header
    }

    /// Whether the transit change undone is one of the body.
    pub fn changes_body(&self) -> bool {
        self.list_footer || self.mime_wrap
    }

    fn unquote(&self) -> Option<Unquote> {
        if self.mboxrd_unquote {
            Some(Unquote::Mboxrd)
        } else if self.mboxo_unquote {
            Some(Unquote::Mboxo)
        } else {
            None
        }
    }
}

impl fmt::Display for Repair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        if self.crlf {
            parts.push("crlf");
        }
        if self.mboxo_unquote {
            parts.push("mboxo-unquote");
        }
        if self.mboxrd_unquote {
            parts.push("mboxrd-unquote");
        }
        if self.trailing_whitespace {
            parts.push("trailing-whitespace");
        }
        if self.mime_wrap {
            parts.push("mime-wrap");
        }
        if self.list_footer {
            parts.push("list-footer");
        }
        if self.subject_tag {
            parts.push("subject-tag");
        }
        if self.list_header {
            parts.push("list-header");
        }
        if self.subject_reencoded {
            parts.push("subject-reencoded");
        }
        if self.refolded {
            parts.push("refolded");
        }
        if parts.is_empty() {
            parts.push("none");
        }
        f.write_str(&parts.join("+"))
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for Repair {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl std::str::FromStr for Repair {
    type Err = crate::Error;

    /// Read the form [`Repair`] displays: names joined by `+`, or `none`.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let mut r = Repair::default();
        for name in text.split('+') {
            match name {
                "crlf" => r.crlf = true,
                "mboxo-unquote" => r.mboxo_unquote = true,
                "mboxrd-unquote" => r.mboxrd_unquote = true,
                "trailing-whitespace" => r.trailing_whitespace = true,
                "list-footer" => r.list_footer = true,
                "mime-wrap" => r.mime_wrap = true,
                "subject-tag" => r.subject_tag = true,
                "list-header" => r.list_header = true,
                "subject-reencoded" => r.subject_reencoded = true,
                "refolded" => r.refolded = true,
                "none" => {}
                other => {
                    return Err(crate::Error::Config(format!("unknown repair {other:?}")));
                }
            }
        }
        Ok(r)
    }
}

#[cfg(feature = "serde")]
impl<'de> serde::Deserialize<'de> for Repair {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// A message after some repairs, with the map from its bytes back to the stored bytes.
pub(crate) struct Variant<'a> {
    pub(crate) bytes: Cow<'a, [u8]>,
    /// Where the body starts in `bytes` (repairs change only line ends above it, so the
    /// header fields are those of the stored message).
    pub(crate) body_start: usize,
    /// Segment starts `(transformed, original)`; within a segment offsets advance together.
    map: Vec<(usize, usize)>,
}

impl Variant<'_> {
    /// The body.
    pub(crate) fn body(&self) -> &[u8] {
        self.bytes.get(self.body_start..).unwrap_or_default()
    }

    /// The stored offset of transformed offset `t`.
    pub(crate) fn original_offset(&self, t: usize) -> usize {
        let i = self.map.partition_point(|&(ts, _)| ts <= t);
        match i.checked_sub(1).and_then(|i| self.map.get(i)) {
            Some(&(ts, os)) => os + (t - ts),
            None => t,
        }
    }
}

/// What repairs could change anything in a stored message.
pub(crate) struct Applicable {
    pub(crate) bare_lf: bool,
    /// A bare LF in the body: the stored body and its `crlf` repair then canonicalize to
    /// different bytes, so at most one of them matches a body hash.
    pub(crate) body_bare_lf: bool,
    pub(crate) mboxo: bool,
    pub(crate) mboxrd: bool,
    pub(crate) trailing_ws: bool,
    /// Some line is quoted more than once (`>>From `): mboxo and mboxrd differ.
    pub(crate) deep: bool,
}

fn lines(bytes: &[u8], from: usize) -> impl Iterator<Item = (usize, usize, usize)> + '_ {
    // (line start, content end (before CR LF or LF), next line start)
    let mut pos = from;
    std::iter::from_fn(move || {
        if pos >= bytes.len() {
            return None;
        }
        let start = pos;
        let rest = bytes.get(start..)?;
        let (content_end, next) = match memchr::memchr(b'\n', rest) {
            Some(i) => {
                let nl = start + i;
                let ce = if nl > start && bytes.get(nl - 1) == Some(&b'\r') {
                    nl - 1
                } else {
                    nl
                };
                (ce, nl + 1)
            }
            None => (bytes.len(), bytes.len()),
        };
        pos = next;
        Some((start, content_end, next))
    })
}

fn quoted_prefix(line: &[u8], q: Unquote) -> bool {
    match q {
        Unquote::Mboxo => line.starts_with(b">From "),
        Unquote::Mboxrd => {
            let gt = line.iter().take_while(|&&b| b == b'>').count();
            gt > 0 && line.get(gt..).is_some_and(|r| r.starts_with(b"From "))
        }
    }
}

pub(crate) fn applicable(bytes: &[u8], body_start: usize) -> Applicable {
    let mut a = Applicable {
        bare_lf: false,
        body_bare_lf: false,
        mboxo: false,
        mboxrd: false,
        trailing_ws: false,
        deep: false,
    };
    for i in memchr::memchr_iter(b'\n', bytes) {
        if i == 0 || bytes.get(i - 1) != Some(&b'\r') {
            a.bare_lf = true;
            if i >= body_start {
                a.body_bare_lf = true;
                break;
            }
        }
    }
    for (s, ce, _) in lines(bytes, body_start) {
        let line = bytes.get(s..ce).unwrap_or_default();
        a.mboxo |= quoted_prefix(line, Unquote::Mboxo);
        a.mboxrd |= quoted_prefix(line, Unquote::Mboxrd);
        a.trailing_ws |= matches!(line.last(), Some(b' ' | b'\t'));
        a.deep |= line.starts_with(b">>") && quoted_prefix(line, Unquote::Mboxrd);
    }
    a
}

/// Apply `repair` to `bytes` (whose body starts at `body_start`).
pub(crate) fn transform(bytes: &[u8], body_start: usize, repair: Repair) -> Variant<'_> {
    if repair.is_none() {
        return Variant {
            bytes: Cow::Borrowed(bytes),
            body_start: body_start.min(bytes.len()),
            map: vec![(0, 0)],
        };
    }
    let mut out = Vec::with_capacity(bytes.len() + bytes.len() / 32);
    let mut map = Vec::new();
    let mut variant_body = None;
    for (s, ce, next) in lines(bytes, 0) {
        let in_body = s >= body_start;
        if in_body && variant_body.is_none() {
            variant_body = Some(out.len());
        }
        let mut cs = s;
        let mut cend = ce;
        if in_body {
            if let Some(q) = repair.unquote()
                && quoted_prefix(bytes.get(s..ce).unwrap_or_default(), q)
            {
                cs += 1;
            }
            if repair.trailing_whitespace {
                while cend > cs && matches!(bytes.get(cend - 1), Some(b' ' | b'\t')) {
                    cend -= 1;
                }
            }
        }
        map.push((out.len(), cs));
        out.extend_from_slice(bytes.get(cs..cend).unwrap_or_default());
        let term = bytes.get(ce..next).unwrap_or_default();
        if term == b"\n" && repair.crlf {
            map.push((out.len(), ce));
            out.push(b'\r');
            map.push((out.len(), ce));
            out.push(b'\n');
        } else if !term.is_empty() {
            map.push((out.len(), ce));
            out.extend_from_slice(term);
        }
    }
    Variant {
        body_start: variant_body.unwrap_or(out.len()),
        bytes: Cow::Owned(out),
        map,
    }
}

pub(crate) fn is_wsp(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

pub(crate) fn relaxed_line(content: &[u8], out: &mut Vec<u8>) {
    relaxed_pieces(content, 0, &mut |piece: &[u8], _| {
        out.extend_from_slice(piece)
    });
}

/// Where a piece of a canonical body comes from in the body it was made of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Src {
    /// The piece is the body's bytes from this offset on.
    At(usize),
    /// Every byte of the piece stands for the body byte at this offset (the SP that replaces
    /// a run of WSP, the CR LF that ends a line, at the end of the line's content).
    Fixed(usize),
}

impl Src {
    /// Body offset of byte `k` of the piece. The LF of a CR LF stands for the end of its
    /// line's content, as the CR does.
    fn offset(self, body: &[u8], k: usize) -> usize {
        match self {
            Src::Fixed(at) => at,
            Src::At(at) => {
                let q = at + k;
                if q > 0 && body.get(q - 1..=q) == Some(b"\r\n") {
                    q - 1
                } else {
                    q
                }
            }
        }
    }
}

/// The relaxed form of one line's content (starting at body offset `at`), in pieces: the
/// runs that need no change as they are, each other WSP run as one SP, trailing WSP dropped.
/// A single SP between other bytes is already canonical, so prose comes out as one piece.
fn relaxed_pieces(content: &[u8], at: usize, emit: &mut impl FnMut(&[u8], Src)) {
    let mut start = 0; // the run not yet emitted
    let mut from = 0; // where to look for the next WSP
    while let Some(k) = content
        .get(from..)
        .and_then(|rest| memchr::memchr2(b' ', b'\t', rest))
    {
        let w = from + k;
        let run = content
            .get(w..)
            .unwrap_or_default()
            .iter()
            .take_while(|b| is_wsp(**b))
            .count();
        let end = w + run;
        if end == content.len() {
            // Trailing WSP: dropped.
            emit_nonempty(content.get(start..w).unwrap_or_default(), at + start, emit);
            return;
        }
        if run > 1 || content.get(w) == Some(&b'\t') {
            emit_nonempty(content.get(start..w).unwrap_or_default(), at + start, emit);
            emit(b" ", Src::Fixed(at + w));
            start = end;
        }
        from = end;
    }
    emit_nonempty(content.get(start..).unwrap_or_default(), at + start, emit);
}

fn emit_nonempty(piece: &[u8], at: usize, emit: &mut impl FnMut(&[u8], Src)) {
    if !piece.is_empty() {
        emit(piece, Src::At(at));
    }
}

/// Offset in `content` of the byte that produced canonical byte `r` of the relaxed line.
#[cfg(test)]
fn relaxed_pos(content: &[u8], r: usize) -> usize {
    let mut count = 0;
    let mut ws_start: Option<usize> = None;
    for (i, &b) in content.iter().enumerate() {
        if is_wsp(b) {
            ws_start.get_or_insert(i);
        } else {
            if let Some(w) = ws_start.take() {
                if count == r {
                    return w;
                }
                count += 1;
            }
            if count == r {
                return i;
            }
            count += 1;
        }
    }
    content.len()
}

/// Offset of the next CR LF at or after `from`.
fn find_crlf(bytes: &[u8], from: usize) -> Option<usize> {
    let mut at = from;
    loop {
        let i = at + memchr::memchr(b'\n', bytes.get(at..)?)?;
        if i > from && bytes.get(i - 1) == Some(&b'\r') {
            return Some(i - 1);
        }
        at = i + 1;
    }
}

/// The line starting at `pos`: (content end, next line start). Lines end with CR LF; a bare
/// LF is an ordinary byte.
pub(crate) fn body_line(body: &[u8], pos: usize) -> (usize, usize) {
    match find_crlf(body, pos) {
        Some(i) => (i, i + 2),
        None => (body.len(), body.len()),
    }
}

/// Feed the canonical form of `body` to `emit` in pieces, each with where it comes from,
/// without building it: the concatenation of the pieces is the canonical body.
pub(crate) fn canonical_body_pieces(body: &[u8], canon: Canon, emit: &mut impl FnMut(&[u8], Src)) {
    // Empty lines count only if a non-empty line follows them: (first line start, count).
    let mut pending: Option<(usize, usize)> = None;
    let mut emitted = false;
    let mut pos = 0;
    while pos < body.len() {
        let (ce, next) = body_line(body, pos);
        let content = body.get(pos..ce).unwrap_or_default();
        let nonempty = match canon {
            Canon::Simple => !content.is_empty(),
            Canon::Relaxed => content.iter().any(|&b| !is_wsp(b)),
        };
        if !nonempty {
            pending.get_or_insert((pos, 0)).1 += 1;
            pos = next;
            continue;
        }
        if let Some((first, count)) = pending.take() {
            // Walk those lines again for where each ends (each line is walked twice at most).
            let mut p = first;
            for _ in 0..count {
                let (pce, pnext) = body_line(body, p);
                emit(b"\r\n", Src::Fixed(pce));
                p = pnext;
            }
        }
        match canon {
            Canon::Simple => emit(content, Src::At(pos)),
            Canon::Relaxed => relaxed_pieces(content, pos, emit),
        }
        emit(b"\r\n", Src::Fixed(ce));
        emitted = true;
        pos = next;
    }
    if canon == Canon::Simple && !emitted {
        emit(b"\r\n", Src::Fixed(0));
    }
}

/// When the canonical body is `body[..end]` followed by `suffix`, those two: always for
/// simple canonicalization, and for relaxed when no line needs a change (no tab, no run of
/// spaces, no space at a line end). The hash then reads the body in place.
fn verbatim(body: &[u8], canon: Canon) -> Option<(usize, &'static [u8])> {
    let mut end = body.len();
    while end >= 2 && body.get(end - 2..end) == Some(b"\r\n") {
        end -= 2;
    }
    let t = body.get(..end)?;
    if t.is_empty() {
        return Some((0, if canon == Canon::Simple { b"\r\n" } else { b"" }));
    }
    if canon == Canon::Relaxed
        && (memchr::memchr(b'\t', t).is_some()
            || memchr::memmem::find(t, b"  ").is_some()
            || memchr::memmem::find(t, b" \r\n").is_some()
            || t.last() == Some(&b' '))
    {
        return None;
    }
    Some((end, b"\r\n"))
}

/// The hash algorithm of a body or header hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum HashKind {
    Sha1,
    Sha256,
}

impl HashKind {
    /// The hash of signature algorithm `a`.
    pub(crate) fn of(a: Algorithm) -> Self {
        match HashAlgorithm::from(a) {
            HashAlgorithm::Sha1 => HashKind::Sha1,
            HashAlgorithm::Sha256 => HashKind::Sha256,
        }
    }
}

/// A running hash whose state can be copied, to finish several prefixes in one pass.
#[derive(Clone)]
pub(crate) enum Hasher {
    Sha1(sha1::Sha1),
    Sha256(sha2::Sha256),
}

impl Hasher {
    pub(crate) fn new(kind: HashKind) -> Self {
        match kind {
            HashKind::Sha1 => Hasher::Sha1(sha1::Sha1::new()),
            HashKind::Sha256 => Hasher::Sha256(sha2::Sha256::new()),
        }
    }

    pub(crate) fn update(&mut self, data: &[u8]) {
        match self {
            Hasher::Sha1(h) => h.update(data),
            Hasher::Sha256(h) => h.update(data),
        }
    }

    pub(crate) fn finish(self) -> Vec<u8> {
        match self {
            Hasher::Sha1(h) => h.finalize().to_vec(),
            Hasher::Sha256(h) => h.finalize().to_vec(),
        }
    }
}

/// The body hashes of one canonical body, from one pass.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BodyDigests {
    /// Length of the whole canonical body.
    pub(crate) len: usize,
    /// Digest of the whole canonical body.
    pub(crate) full: Vec<u8>,
    /// Per requested limit, ascending: the limit, the digest of the first `limit` bytes (of
    /// the whole body when it is shorter), and the body offset of canonical byte `limit`
    /// (`None` when the body has no byte there).
    pub(crate) prefixes: Vec<(usize, Vec<u8>, Option<usize>)>,
}

impl BodyDigests {
    /// The digest and tail offset of limit `l` (the whole body for `None`), when computed.
    pub(crate) fn get(&self, l: Option<usize>) -> Option<(&[u8], Option<usize>)> {
        match l {
            None => Some((&self.full, None)),
            Some(l) => {
                let i = self.prefixes.binary_search_by_key(&l, |p| p.0).ok()?;
                self.prefixes.get(i).map(|p| (p.1.as_slice(), p.2))
            }
        }
    }
}

/// The hash of a canonical body fed in pieces, copied at each limit it passes.
struct PrefixHasher<'b, 'l> {
    body: &'b [u8],
    hasher: Hasher,
    /// Small pieces gathered so the hash sees large updates.
    buf: Vec<u8>,
    /// Canonical bytes fed so far.
    pos: usize,
    limits: &'l [usize],
    next: usize,
    out: Vec<(usize, Vec<u8>, Option<usize>)>,
    /// Entries of `out` whose limit fell at the end of a piece: the next piece's first byte.
    unresolved: Vec<usize>,
}

const BATCH: usize = 16 * 1024;

impl PrefixHasher<'_, '_> {
    fn write(&mut self, data: &[u8]) {
        if self.buf.len() + data.len() > BATCH {
            self.hasher.update(&self.buf);
            self.buf.clear();
        }
        if data.len() > BATCH {
            self.hasher.update(data);
        } else {
            self.buf.extend_from_slice(data);
        }
    }

    fn snapshot(&mut self) -> Vec<u8> {
        self.hasher.update(&self.buf);
        self.buf.clear();
        self.hasher.clone().finish()
    }

    fn feed(&mut self, piece: &[u8], src: Src) {
        if piece.is_empty() {
            return;
        }
        for i in self.unresolved.drain(..) {
            if let Some(entry) = self.out.get_mut(i) {
                entry.2 = Some(src.offset(self.body, 0));
            }
        }
        let mut k = 0;
        while let Some(&limit) = self.limits.get(self.next) {
            let take = limit.saturating_sub(self.pos);
            if take > piece.len() - k {
                break;
            }
            self.write(piece.get(k..k + take).unwrap_or_default());
            self.pos += take;
            k += take;
            let digest = self.snapshot();
            let offset = (k < piece.len()).then(|| src.offset(self.body, k));
            if offset.is_none() {
                self.unresolved.push(self.out.len());
            }
            self.out.push((limit, digest, offset));
            self.next += 1;
        }
        let rest = piece.get(k..).unwrap_or_default();
        self.write(rest);
        self.pos += rest.len();
    }

    fn finish(mut self) -> BodyDigests {
        let full = self.snapshot();
        for &limit in self.limits.get(self.next..).unwrap_or_default() {
            self.out.push((limit, full.clone(), None));
        }
        BodyDigests {
            len: self.pos,
            full,
            prefixes: self.out,
        }
    }
}

/// One streaming pass over `body`: the hash of its canonical form, of each prefix of
/// `limits` bytes, and where in the body each limit falls. The canonical body is never built;
/// when it is the body itself (see [`verbatim`]) the hash reads the body in place.
pub(crate) fn body_digests(
    body: &[u8],
    canon: Canon,
    hash: HashKind,
    limits: &[usize],
) -> BodyDigests {
    #[cfg(test)]
    super::limits::work::add(|c| c.body_passes += 1);
    let mut limits = limits.to_vec();
    limits.sort_unstable();
    limits.dedup();
    let mut h = PrefixHasher {
        body,
        hasher: Hasher::new(hash),
        buf: Vec::with_capacity(BATCH),
        pos: 0,
        limits: &limits,
        next: 0,
        out: Vec::with_capacity(limits.len()),
        unresolved: Vec::new(),
    };
    match verbatim(body, canon) {
        Some((end, suffix)) => {
            h.feed(body.get(..end).unwrap_or_default(), Src::At(0));
            h.feed(suffix, Src::Fixed(end));
        }
        None => canonical_body_pieces(body, canon, &mut |piece, src| h.feed(piece, src)),
    }
    h.finish()
}

/// A canonical body built whole, with where its lines came from: the reference of the
/// streamed pieces and of the offsets [`body_digests`] finds, in the tests.
#[cfg(test)]
pub(crate) struct CanonBody {
    pub(crate) bytes: Vec<u8>,
    /// `(canonical start, body offset of the line start, content end)` per line.
    lines: Vec<(usize, usize, usize)>,
    canon: Canon,
}

/// Canonicalize a body (lines end with CRLF; a bare LF is an ordinary byte).
#[cfg(test)]
pub(crate) fn canonical_body(body: &[u8], canon: Canon) -> CanonBody {
    let mut out = Vec::with_capacity(body.len() + 2);
    let mut lines = Vec::new();
    let mut keep = 0;
    let mut pos = 0;
    while pos < body.len() {
        let (ce, next) = body_line(body, pos);
        let content = body.get(pos..ce).unwrap_or_default();
        lines.push((out.len(), pos, ce));
        match canon {
            Canon::Simple => out.extend_from_slice(content),
            Canon::Relaxed => relaxed_line(content, &mut out),
        }
        let nonempty = out.len() > lines.last().map_or(0, |l| l.0);
        out.extend_from_slice(b"\r\n");
        if nonempty {
            keep = out.len();
        }
        pos = next;
    }
    out.truncate(keep);
    if canon == Canon::Simple && out.is_empty() {
        out.extend_from_slice(b"\r\n");
    }
    CanonBody {
        bytes: out,
        lines,
        canon,
    }
}

#[cfg(test)]
impl CanonBody {
    /// Body offset of canonical offset `p` (for `p` inside the canonical body).
    pub(crate) fn body_offset(&self, body: &[u8], p: usize) -> usize {
        let i = self.lines.partition_point(|l| l.0 <= p);
        let Some(&(cs, ls, ce)) = i.checked_sub(1).and_then(|i| self.lines.get(i)) else {
            return 0;
        };
        let r = p - cs;
        let content = body.get(ls..ce).unwrap_or_default();
        let within = match self.canon {
            Canon::Simple => r.min(content.len()),
            Canon::Relaxed => relaxed_pos(content, r),
        };
        ls + within
    }
}

/// Canonicalize one header field for hashing; `value` is everything after the colon, without
/// the final line ending; `raw` the whole field as stored (for simple).
pub(crate) fn canonical_header(
    out: &mut Vec<u8>,
    canon: Canon,
    name: &[u8],
    value: &[u8],
    crlf: bool,
) {
    match canon {
        Canon::Simple => {
            out.extend_from_slice(name);
            out.push(b':');
            out.extend_from_slice(value);
        }
        Canon::Relaxed => {
            out.extend(
                name.iter()
                    .filter(|b| !is_wsp(**b))
                    .map(u8::to_ascii_lowercase),
            );
            out.push(b':');
            // Unfold (remove CRLF pairs), compress WSP, trim.
            let mut unfolded = Vec::with_capacity(value.len());
            let mut i = 0;
            while let Some(&b) = value.get(i) {
                if b == b'\r' && value.get(i + 1) == Some(&b'\n') {
                    i += 2;
                    continue;
                }
                unfolded.push(b);
                i += 1;
            }
            let start = unfolded
                .iter()
                .position(|b| !is_wsp(*b))
                .unwrap_or(unfolded.len());
            relaxed_line(unfolded.get(start..).unwrap_or_default(), out);
        }
    }
    if crlf {
        out.extend_from_slice(b"\r\n");
    }
}

/// `raw` as the `crlf` repair writes it when `crlf` is set: every bare LF as CR LF. Header
/// fields are otherwise the same in every repaired variant, so they are read from the stored
/// message and converted here, instead of indexing each variant again.
pub(crate) fn with_crlf(raw: &[u8], crlf: bool) -> Cow<'_, [u8]> {
    let bare = |i: usize| i == 0 || raw.get(i - 1) != Some(&b'\r');
    if !crlf || !memchr::memchr_iter(b'\n', raw).any(bare) {
        return Cow::Borrowed(raw);
    }
    let mut out = Vec::with_capacity(raw.len() + 8);
    let mut from = 0;
    for i in memchr::memchr_iter(b'\n', raw).filter(|&i| bare(i)) {
        out.extend_from_slice(raw.get(from..i).unwrap_or_default());
        out.extend_from_slice(b"\r\n");
        from = i + 1;
    }
    out.extend_from_slice(raw.get(from..).unwrap_or_default());
    Cow::Owned(out)
}

/// Canonical form of a whole field with its line ending (simple uses the stored bytes), as
/// in the variant with the `crlf` repair when `crlf` is set.
pub(crate) fn canonical_field(out: &mut Vec<u8>, canon: Canon, field: &Field<'_>, crlf: bool) {
    #[cfg(test)]
    super::limits::work::add(|c| c.header_fields += 1);
    match canon {
        Canon::Simple => out.extend_from_slice(&with_crlf(field.raw(), crlf)),
        Canon::Relaxed => canonical_header(
            out,
            canon,
            field.name(),
            &with_crlf(field.raw_value(), crlf),
            true,
        ),
    }
}

/// `value` with the value of the tag `tag` emptied (everything between its `=` and the next
/// `;`), as RFC 6376 section 3.5 says for `b=`.
pub(crate) fn strip_tag_value(value: &[u8], tag: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(value.len());
    let mut pos = 0;
    while pos <= value.len() {
        let rest = value.get(pos..).unwrap_or_default();
        let end = memchr::memchr(b';', rest).map_or(value.len(), |i| pos + i);
        let seg = value.get(pos..end).unwrap_or_default();
        match memchr::memchr(b'=', seg) {
            Some(eq) if seg.get(..eq).map(|n| n.trim_ascii()) == Some(tag) => {
                out.extend_from_slice(seg.get(..=eq).unwrap_or_default());
            }
            _ => out.extend_from_slice(seg),
        }
        if end < value.len() {
            out.push(b';');
        }
        pos = end + 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use mail_auth::common::crypto::HashAlgorithm;
    use proptest::prelude::*;

    /// Bodies made of the bytes that matter to canonicalization.
    fn body_strategy() -> impl Strategy<Value = Vec<u8>> {
        let token = prop_oneof![
            Just(b"a".to_vec()),
            Just(b" ".to_vec()),
            Just(b"\t".to_vec()),
            Just(b"\r\n".to_vec()),
            Just(b"\r".to_vec()),
            Just(b"\n".to_vec()),
            any::<u8>().prop_map(|b| vec![b]),
        ];
        proptest::collection::vec(token, 0..150).prop_map(|t| t.concat())
    }

    proptest! {
        /// The streamed canonical body is the built one, piece by piece, and every piece says
        /// where its bytes come from as the built body's line table does.
        #[test]
        fn pieces_agree_with_the_built_body(body in body_strategy(), relaxed in any::<bool>()) {
            let canon = if relaxed { Canon::Relaxed } else { Canon::Simple };
            let built = canonical_body(&body, canon);
            let mut streamed = Vec::new();
            let mut offsets = Vec::new();
            canonical_body_pieces(&body, canon, &mut |p: &[u8], src| {
                streamed.extend_from_slice(p);
                offsets.extend((0..p.len()).map(|k| src.offset(&body, k)));
            });
            prop_assert_eq!(&streamed, &built.bytes);
            for (p, &offset) in offsets.iter().enumerate() {
                prop_assert_eq!(offset, built.body_offset(&body, p), "canonical byte {}", p);
            }
        }

        /// One pass gives the hash of the whole canonical body and of each prefix, and where
        /// each limit falls, as the built body says; read in place or in pieces alike.
        #[test]
        fn one_pass_hashes_every_prefix(
            body in body_strategy(),
            relaxed in any::<bool>(),
            limits in proptest::collection::vec(0usize..200, 0..6),
            sha1 in any::<bool>(),
        ) {
            let canon = if relaxed { Canon::Relaxed } else { Canon::Simple };
            let built = canonical_body(&body, canon);
            let (kind, hash) = if sha1 {
                (HashKind::Sha1, HashAlgorithm::Sha1)
            } else {
                (HashKind::Sha256, HashAlgorithm::Sha256)
            };
            let mut limits = limits;
            limits.push(built.bytes.len() / 2);
            let got = body_digests(&body, canon, kind, &limits);
            let mut in_pieces = PrefixHasher {
                body: &body,
                hasher: Hasher::new(kind),
                buf: Vec::new(),
                pos: 0,
                limits: &{
                    let mut l = limits.clone();
                    l.sort_unstable();
                    l.dedup();
                    l
                },
                next: 0,
                out: Vec::new(),
                unresolved: Vec::new(),
            };
            canonical_body_pieces(&body, canon, &mut |p, src| in_pieces.feed(p, src));
            prop_assert_eq!(&in_pieces.finish(), &got);
            prop_assert_eq!(got.len, built.bytes.len());
            let want = hash.hash(built.bytes.as_slice());
            prop_assert_eq!(&got.full[..], want.as_ref());
            for &l in &limits {
                let (digest, offset) = got.get(Some(l)).expect("every limit computed");
                let prefix = &built.bytes[..l.min(built.bytes.len())];
                let want_digest = hash.hash(prefix);
                prop_assert_eq!(digest, want_digest.as_ref());
                let want = (l < built.bytes.len()).then(|| built.body_offset(&body, l));
                prop_assert_eq!(offset, want, "limit {}", l);
            }
        }
    }

    #[test]
    fn verbatim_bodies_are_read_in_place() {
        assert_eq!(
            verbatim(b"a b\r\nc\r\n\r\n", Canon::Relaxed),
            Some((6, &b"\r\n"[..]))
        );
        assert_eq!(verbatim(b"a  b\r\n", Canon::Relaxed), None);
        assert_eq!(verbatim(b"a\tb\r\n", Canon::Relaxed), None);
        assert_eq!(verbatim(b"a \r\nb", Canon::Relaxed), None);
        assert_eq!(verbatim(b"a ", Canon::Relaxed), None);
        assert_eq!(
            verbatim(b"a  b \r\n", Canon::Simple),
            Some((5, &b"\r\n"[..]))
        );
        assert_eq!(
            verbatim(b"\r\n\r\n", Canon::Simple),
            Some((0, &b"\r\n"[..]))
        );
        assert_eq!(verbatim(b"\r\n", Canon::Relaxed), Some((0, &b""[..])));
    }

    #[test]
    fn crlf_repair_of_header_bytes() {
        assert_eq!(&*with_crlf(b"a\n b\r\n", true), b"a\r\n b\r\n");
        assert_eq!(&*with_crlf(b"\nx\r\r\n", true), b"\r\nx\r\r\n");
        assert!(matches!(with_crlf(b"a\n b", false), Cow::Borrowed(_)));
        assert!(matches!(with_crlf(b"a\r\n b", true), Cow::Borrowed(_)));
    }

    #[test]
    fn bodies() {
        let b = b" C \r\nD \t E\r\n\r\n\r\n";
        assert_eq!(canonical_body(b, Canon::Relaxed).bytes, b" C\r\nD E\r\n");
        assert_eq!(canonical_body(b, Canon::Simple).bytes, b" C \r\nD \t E\r\n");
        assert_eq!(canonical_body(b"", Canon::Simple).bytes, b"\r\n");
        assert_eq!(canonical_body(b"", Canon::Relaxed).bytes, b"");
        assert_eq!(canonical_body(b"\r\n\r\n", Canon::Relaxed).bytes, b"");
        assert_eq!(canonical_body(b"abc", Canon::Relaxed).bytes, b"abc\r\n");
        assert_eq!(canonical_body(b"abc", Canon::Simple).bytes, b"abc\r\n");
        assert_eq!(canonical_body(b"a\nb", Canon::Simple).bytes, b"a\nb\r\n");
    }

    #[test]
    fn positions() {
        let body = b"ab  c\r\nxyz\r\n";
        let c = canonical_body(body, Canon::Relaxed);
        assert_eq!(c.bytes, b"ab c\r\nxyz\r\n");
        assert_eq!(c.body_offset(body, 2), 2);
        assert_eq!(c.body_offset(body, 3), 4);
        assert_eq!(c.body_offset(body, 6), 7);
        assert_eq!(c.body_offset(body, 7), 8);
    }

    #[test]
    fn repairs_and_map() {
        let m = b"A: b\n\nx \n>From y\n";
        let r = Repair {
            crlf: true,
            mboxrd_unquote: true,
            trailing_whitespace: true,
            ..Repair::default()
        };
        let v = transform(m, 6, r);
        assert_eq!(&*v.bytes, b"A: b\r\n\r\nx\r\nFrom y\r\n");
        assert_eq!(v.body(), b"x\r\nFrom y\r\n");
        assert_eq!(r.to_string(), "crlf+mboxrd-unquote+trailing-whitespace");
        // "From" in the variant maps to after the '>' in the original.
        let t = v.bytes.windows(4).position(|w| w == b"From").unwrap();
        assert_eq!(v.original_offset(t), 10);
        // "x" maps to "x".
        assert_eq!(v.original_offset(8), 6);
    }

    #[test]
    fn strip_b() {
        assert_eq!(
            strip_tag_value(b" a=1; b=abc\r\n def; bh=x", b"b"),
            b" a=1; b=; bh=x".to_vec()
        );
        assert_eq!(strip_tag_value(b"b=zz", b"b"), b"b=".to_vec());
    }
}
