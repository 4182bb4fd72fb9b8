//! Message preparation (reversible repairs with an offset map back to the stored bytes) and
//! DKIM canonicalization (RFC 6376 section 3.4) with positions, so `l=` can be measured on the
//! canonical body and its unsigned tail pointed at in the original bytes.

use std::fmt;

use crate::read::headers::{Field, Headers};

/// Canonicalization algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
/// `mboxrd-unquote`, `trailing-whitespace`, for example `crlf+mboxrd-unquote`.
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
}

impl Repair {
    /// Whether nothing was changed.
    pub fn is_none(&self) -> bool {
        *self == Repair::default()
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
    pub(crate) bytes: std::borrow::Cow<'a, [u8]>,
    /// Segment starts `(transformed, original)`; within a segment offsets advance together.
    map: Vec<(usize, usize)>,
}

impl Variant<'_> {
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
            bytes: std::borrow::Cow::Borrowed(bytes),
            map: vec![(0, 0)],
        };
    }
    let mut out = Vec::with_capacity(bytes.len() + bytes.len() / 32);
    let mut map = Vec::new();
    for (s, ce, next) in lines(bytes, 0) {
        let in_body = s >= body_start;
        let mut cs = s;
        let mut cend = ce;
        if in_body {
            if let Some(q) = repair.unquote() {
                if quoted_prefix(bytes.get(s..ce).unwrap_or_default(), q) {
                    cs += 1;
                }
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
        bytes: std::borrow::Cow::Owned(out),
        map,
    }
}

/// A canonical body and where its lines came from.
pub(crate) struct CanonBody {
    /// The canonical body. Verification streams it instead (`canonical_body_pieces`); the
    /// built form maps `l=` back to stored bytes and is the tests' reference.
    #[cfg_attr(not(test), allow(dead_code))]
    pub(crate) bytes: Vec<u8>,
    /// `(canonical start, body offset of the line start, content end)` per line.
    lines: Vec<(usize, usize, usize)>,
    canon: Canon,
}

fn is_wsp(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

fn relaxed_line(content: &[u8], out: &mut Vec<u8>) {
    relaxed_pieces(content, &mut |piece: &[u8]| out.extend_from_slice(piece));
}

/// The relaxed form of one line's content, in pieces: runs without WSP as they are, each WSP
/// run as one SP unless it ends the line.
fn relaxed_pieces(content: &[u8], emit: &mut impl FnMut(&[u8])) {
    let mut rest = content;
    while !rest.is_empty() {
        match memchr::memchr2(b' ', b'\t', rest) {
            None => {
                emit(rest);
                break;
            }
            Some(k) => {
                emit(rest.get(..k).unwrap_or_default());
                let after = rest.get(k..).unwrap_or_default();
                let ws = after.iter().take_while(|b| is_wsp(**b)).count();
                rest = after.get(ws..).unwrap_or_default();
                if !rest.is_empty() {
                    emit(b" ");
                }
            }
        }
    }
}

/// Offset in `content` of the byte that produced canonical byte `r` of the relaxed line.
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

/// Feed the canonical form of `body` to `emit` in pieces, without building it: the
/// concatenation of the pieces is exactly [`canonical_body`]`(body, canon).bytes`.
pub(crate) fn canonical_body_pieces(body: &[u8], canon: Canon, emit: &mut impl FnMut(&[u8])) {
    let mut pending_empty = 0usize;
    let mut emitted = false;
    let mut pos = 0;
    while pos < body.len() {
        let (ce, next) = match find_crlf(body, pos) {
            Some(i) => (i, i + 2),
            None => (body.len(), body.len()),
        };
        let content = body.get(pos..ce).unwrap_or_default();
        pos = next;
        let nonempty = match canon {
            Canon::Simple => !content.is_empty(),
            Canon::Relaxed => content.iter().any(|&b| !is_wsp(b)),
        };
        if !nonempty {
            // Empty lines count only if a non-empty line follows them.
            pending_empty += 1;
            continue;
        }
        for _ in 0..pending_empty {
            emit(b"\r\n");
        }
        pending_empty = 0;
        match canon {
            Canon::Simple => emit(content),
            Canon::Relaxed => relaxed_pieces(content, emit),
        }
        emit(b"\r\n");
        emitted = true;
    }
    if canon == Canon::Simple && !emitted {
        emit(b"\r\n");
    }
}

/// The canonical body as a [`Writable`](mail_auth::common::headers::Writable) for a hash:
/// its first `limit` bytes are written (all without a limit), in batches, and `len` receives
/// the length of the whole canonical body.
pub(crate) struct CanonicalPrefix<'b, 'l> {
    pub(crate) body: &'b [u8],
    pub(crate) canon: Canon,
    pub(crate) limit: Option<usize>,
    pub(crate) len: &'l std::cell::Cell<usize>,
}

impl mail_auth::common::headers::Writable for CanonicalPrefix<'_, '_> {
    fn write(self, writer: &mut impl mail_auth::common::headers::Writer) {
        // Small pieces are gathered so the hash sees large updates.
        const BATCH: usize = 16 * 1024;
        let mut buf: Vec<u8> = Vec::with_capacity(BATCH);
        let mut len = 0usize;
        let limit = self.limit.unwrap_or(usize::MAX);
        canonical_body_pieces(self.body, self.canon, &mut |piece: &[u8]| {
            let room = limit.saturating_sub(len);
            len += piece.len();
            let piece = piece.get(..room.min(piece.len())).unwrap_or_default();
            if buf.len() + piece.len() > BATCH {
                writer.write(&buf);
                buf.clear();
            }
            if piece.len() > BATCH {
                writer.write(piece);
            } else {
                buf.extend_from_slice(piece);
            }
        });
        writer.write(&buf);
        self.len.set(len);
    }
}

/// Canonicalize a body (lines end with CRLF; a bare LF is an ordinary byte).
pub(crate) fn canonical_body(body: &[u8], canon: Canon) -> CanonBody {
    let mut out = Vec::with_capacity(body.len() + 2);
    let mut lines = Vec::new();
    let mut keep = 0;
    let mut pos = 0;
    while pos < body.len() {
        let (ce, next) = match find_crlf(body, pos) {
            Some(i) => (i, i + 2),
            None => (body.len(), body.len()),
        };
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

/// Canonical form of a whole field with its line ending (simple uses the stored bytes).
pub(crate) fn canonical_field(out: &mut Vec<u8>, canon: Canon, field: &Field<'_>) {
    match canon {
        Canon::Simple => out.extend_from_slice(field.raw()),
        Canon::Relaxed => canonical_header(out, canon, field.name(), field.raw_value(), true),
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

/// Select the fields named in `h` the DKIM way: for each name, the bottom-most copy not yet
/// used. `None` where no copy is left.
pub(crate) fn select_headers<'a>(headers: &Headers<'a>, h: &[String]) -> Vec<Option<Field<'a>>> {
    let mut used = vec![false; headers.len()];
    h.iter()
        .map(|name| {
            let f = headers.iter().rev().find(|f| {
                f.is_named(name.trim()) && !used.get(f.index()).copied().unwrap_or(true)
            })?;
            if let Some(u) = used.get_mut(f.index()) {
                *u = true;
            }
            Some(f)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use mail_auth::common::crypto::HashAlgorithm;
    use proptest::prelude::*;

    proptest! {
        /// The streamed canonical body is the built one, piece by piece; the hash of its
        /// prefix is the hash of the built body's prefix, and the length is the whole length.
        #[test]
        fn pieces_and_prefix_hash_agree_with_the_built_body(
            body in proptest::collection::vec(
                prop_oneof![Just(b'a'), Just(b' '), Just(b'\t'), Just(b'\r'), Just(b'\n'), any::<u8>()],
                0..300,
            ),
            relaxed in any::<bool>(),
            limit in proptest::option::of(0usize..320),
            sha1 in any::<bool>(),
        ) {
            let canon = if relaxed { Canon::Relaxed } else { Canon::Simple };
            let built = canonical_body(&body, canon).bytes;
            let mut streamed = Vec::new();
            canonical_body_pieces(&body, canon, &mut |p: &[u8]| streamed.extend_from_slice(p));
            prop_assert_eq!(&streamed, &built);
            let hash = if sha1 { HashAlgorithm::Sha1 } else { HashAlgorithm::Sha256 };
            let len = std::cell::Cell::new(0);
            let got = hash.hash(CanonicalPrefix { body: &body, canon, limit, len: &len });
            let prefix = &built[..limit.unwrap_or(usize::MAX).min(built.len())];
            let want = hash.hash(prefix);
            prop_assert_eq!(got.as_ref(), want.as_ref());
            prop_assert_eq!(len.get(), built.len());
        }
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
