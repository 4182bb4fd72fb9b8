//! Trailing blocks of any shape, proven by the body hash, for the footers a scan learns from
//! the dump itself.
//!
//! The [`transit`](super::transit) module removes only blocks shaped like a footer (ezmlm,
//! Mailman, Google Groups, ...). A list's own trailer (a company's list server, a custom
//! Mailman `msg_footer`) matches none of those shapes, and its mail stays `body-modified`.
//! Here, when a signature's body hash fails on a list's route and no footer-shaped block
//! proves, every trailing cut point is tried instead: line starts within the same window
//! before the same anchors (the end of the body, the last MIME boundary lines, `</body>`) and
//! within the same budgets ([`MAX_BODY_CANDIDATES`] cuts, [`MAX_HASHED_BYTES`] bytes hashed).
//! The body is canonicalized and hashed once, line by line; the running hash is copied at
//! each cut point and finished there (with the bytes after the anchor fed to the copy), so
//! the cost is one pass over the body and the short tails after the anchors.
//!
//! A cut that hashes to `bh=` proves that exactly the removed block was appended after
//! signing; it does not prove that the list appended it (anyone can append text). So the cut
//! is not accepted here: it becomes a *pending* proof, which the dump-wide pass
//! (`checks::dump::footers`) accepts only when the same block (its [`Fingerprint`]) ends the
//! mail of several senders on lists. A block is not recorded at all when it has more than
//! [`MAX_BLOCK_LINES`] lines of text, is not text (an attachment, two MIME parts), or ends
//! with a footer-shaped block: then the list's footer is that shape, it was tried alone and
//! failed, and the text before it was added by someone else.

use std::ops::Range;

use sha2::{Digest, Sha256};

use super::canon::{self, Canon, HashKind, Hasher};
use super::transit::{
    MAX_BODY_CANDIDATES, MAX_HASHED_BYTES, footer_text, is_footer, line_at, line_starts,
    window_cuts,
};

/// Lines of text (blank lines aside) a recorded block has at most.
pub(crate) const MAX_BLOCK_LINES: usize = 32;

/// Canonical bytes gathered before the hash sees them.
const BATCH: usize = 16 * 1024;

/// What identifies a removed block across messages: a hash of its text lines, normalised
/// (see [`normalise_line`]), and the same hash of each of its proper suffixes (the block
/// without its first line, without its first two lines, ...) and proper prefixes, to tell a
/// block that merely extends another one with text before or after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Fingerprint {
    /// The hash of the whole block.
    pub(crate) block: u64,
    /// The hashes of its proper suffixes (longest first), then of its proper prefixes
    /// (shortest first).
    pub(crate) parts: Vec<u64>,
}

/// The footer evidence of one signature, for the dump-wide pass: the fingerprint of a block
/// proven removed (a footer-shaped one already accepted, or one of any shape still pending).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FooterTrace {
    /// The removed block.
    pub(crate) fingerprint: Fingerprint,
    /// For a block of no known shape: the bytes it spans in the stored message (what the
    /// signature's `transit_added` becomes if the block is accepted). `None` for a
    /// footer-shaped block, accepted on the message itself.
    pub(crate) pending: Option<Vec<crate::span::Span>>,
}

/// The canonical body fed line by line to a running hash, the way
/// [`canon::canonical_body_pieces`] emits it: empty lines count only once a non-empty line
/// follows them.
#[derive(Clone)]
struct Stream {
    hasher: Hasher,
    buf: Vec<u8>,
    canon: Canon,
    /// Empty lines not emitted yet.
    blanks: usize,
    /// Whether a non-empty line was emitted.
    emitted: bool,
}

impl Stream {
    fn new(canon: Canon, hash: HashKind) -> Self {
        Stream {
            hasher: Hasher::new(hash),
            buf: Vec::with_capacity(BATCH),
            canon,
            blanks: 0,
            emitted: false,
        }
    }

    /// Feed one line (its content, without the CR LF).
    fn line(&mut self, content: &[u8]) {
        let nonempty = match self.canon {
            Canon::Simple => !content.is_empty(),
            Canon::Relaxed => content.iter().any(|&b| !canon::is_wsp(b)),
        };
        if !nonempty {
            self.blanks += 1;
            return;
        }
        for _ in 0..self.blanks {
            self.buf.extend_from_slice(b"\r\n");
            if self.buf.len() >= BATCH {
                self.flush();
            }
        }
        self.blanks = 0;
        match self.canon {
            Canon::Simple => self.buf.extend_from_slice(content),
            Canon::Relaxed => canon::relaxed_line(content, &mut self.buf),
        }
        self.buf.extend_from_slice(b"\r\n");
        self.emitted = true;
        if self.buf.len() >= BATCH {
            self.flush();
        }
    }

    /// Feed every line of `body`.
    fn lines(&mut self, body: &[u8]) {
        let mut pos = 0;
        while pos < body.len() {
            let (end, next) = canon::body_line(body, pos);
            self.line(body.get(pos..end).unwrap_or_default());
            pos = next;
        }
    }

    fn flush(&mut self) {
        if !self.buf.is_empty() {
            self.hasher.update(&self.buf);
            self.buf.clear();
        }
    }

    /// The body hash of what was fed.
    fn digest(mut self) -> Vec<u8> {
        self.flush();
        if self.canon == Canon::Simple && !self.emitted {
            self.hasher.update(b"\r\n");
        }
        self.hasher.finish()
    }

    /// A copy to finish separately (the pending bytes are hashed first, so the copy is
    /// small).
    fn fork(&mut self) -> Stream {
        self.flush();
        Stream {
            hasher: self.hasher.clone(),
            buf: Vec::new(),
            canon: self.canon,
            blanks: self.blanks,
            emitted: self.emitted,
        }
    }
}

/// The cut points tried, in the order they are preferred: per anchor (the end of the body
/// first), the line starts before it, nearest first, within the window of
/// [`window_cuts`]; at most [`MAX_BODY_CANDIDATES`]. Each is `start..anchor`: the
/// candidate original is the body without that range. Only line starts after a CR LF count
/// (a bare LF does not end a line of the canonical body).
fn cut_points(body: &[u8]) -> Vec<Range<usize>> {
    let starts = line_starts(body);
    let mut out = Vec::new();
    for cut in window_cuts(body, &starts) {
        if out.len() >= MAX_BODY_CANDIDATES {
            break;
        }
        let s = cut.start;
        let at_line = s == 0 || body.get(s.saturating_sub(2)..s) == Some(b"\r\n");
        if at_line && !cut.is_empty() && !out.contains(&cut) {
            out.push(cut);
        }
    }
    out
}

/// The trailing block whose removal makes `body` hash to `bh` under `canon` and `hash`, if a
/// cut point proves one (the preferred one when several do: nearest the end of the body,
/// smallest). One pass over the body.
pub(crate) fn proving_cut(
    body: &[u8],
    canon: Canon,
    hash: HashKind,
    bh: &[u8],
) -> Option<Range<usize>> {
    let cuts = cut_points(body);
    if cuts.is_empty() || body.len() > MAX_HASHED_BYTES {
        return None;
    }
    // By start, each with its rank among the preferred.
    let mut by_start: Vec<(usize, Range<usize>)> = cuts.into_iter().enumerate().collect();
    by_start.sort_by_key(|(rank, r)| (r.start, *rank));
    let mut hashed = body.len();
    let mut best: Option<(usize, Range<usize>)> = None;
    let mut stream = Stream::new(canon, hash);
    let mut next = by_start.iter().peekable();
    let mut pos = 0;
    loop {
        while let Some((rank, cut)) = next.next_if(|(_, c)| c.start <= pos) {
            if cut.start < pos {
                // A cut not at a line start of the canonical body (cannot happen: the cut
                // points are after CR LF); skipped.
                continue;
            }
            let tail = body.get(cut.end..).unwrap_or_default();
            if hashed.saturating_add(tail.len()) > MAX_HASHED_BYTES {
                continue;
            }
            hashed += tail.len();
            let mut fork = stream.fork();
            fork.lines(tail);
            if fork.digest() == bh && best.as_ref().is_none_or(|(r, _)| rank < r) {
                best = Some((*rank, cut.clone()));
            }
        }
        if pos >= body.len() || next.peek().is_none() {
            break;
        }
        let (end, after) = canon::body_line(body, pos);
        stream.line(body.get(pos..end).unwrap_or_default());
        pos = after;
    }
    best.map(|(_, r)| r)
}

/// Whether a block proven removed may be recorded as a pending footer: text (no attachment,
/// at most one MIME part), one to [`MAX_BLOCK_LINES`] lines of it, and no proper suffix
/// shaped like a footer (then text was added before a footer: the footer alone was tried
/// and did not prove, so the rest is not the list's).
pub(crate) fn recordable(block: &[u8]) -> bool {
    let Some(lines) = footer_text(block) else {
        return false;
    };
    if lines.is_empty() || lines.len() > MAX_BLOCK_LINES {
        return false;
    }
    // The text starts after a leading MIME part header (`--boundary`, fields, blank line).
    let starts = line_starts(block);
    let mut i = 0;
    while starts
        .get(i)
        .is_some_and(|&s| line_at(block, s).trim_ascii().is_empty())
    {
        i += 1;
    }
    if starts.get(i).is_some_and(|&s| {
        let l = line_at(block, s);
        l.starts_with(b"--") && l.len() > 2 && !l.iter().all(|&b| b == b'-')
    }) {
        while starts
            .get(i)
            .is_some_and(|&s| !line_at(block, s).trim_ascii().is_empty())
        {
            i += 1;
        }
    }
    // Each text line after the first: the block from there on must not be a footer.
    let mut first_text = true;
    for &s in starts.get(i..).unwrap_or_default() {
        if line_at(block, s).trim_ascii().is_empty() {
            continue;
        }
        if first_text {
            first_text = false;
            continue;
        }
        if is_footer(block.get(s..).unwrap_or_default()) {
            return false;
        }
    }
    true
}

/// A line of a block as it is compared across messages: e-mail addresses, the path and query
/// of URLs and the digits vary per recipient and per message in lists' footers (the
/// subscriber's address, an unsubscribe token, a message number), so an address becomes
/// `@`, a URL its scheme and host, and each run of digits `0`; runs of white space become
/// one space. The rest, case included, is kept.
pub(crate) fn normalise_line(line: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(line.len());
    for word in line
        .split(|b| b.is_ascii_whitespace())
        .filter(|w| !w.is_empty())
    {
        if !out.is_empty() {
            out.push(b' ');
        }
        let inner = word.trim_ascii();
        let lower_starts = |p: &[u8]| {
            let at = inner
                .iter()
                .position(|b| b.is_ascii_alphanumeric())
                .unwrap_or(inner.len());
            inner
                .get(at..)
                .and_then(|r| r.get(..p.len()))
                .is_some_and(|r| r.eq_ignore_ascii_case(p))
        };
        if lower_starts(b"http://") || lower_starts(b"https://") {
            let at = inner
                .iter()
                .position(|b| b.is_ascii_alphanumeric())
                .unwrap_or(0);
            let rest = inner.get(at..).unwrap_or_default();
            let host_start = memchr::memmem::find(rest, b"://").map_or(0, |i| i + 3);
            let host_end = rest
                .get(host_start..)
                .and_then(|h| {
                    h.iter()
                        .position(|b| matches!(b, b'/' | b'?' | b'#' | b'>' | b')' | b'"'))
                })
                .map_or(rest.len(), |e| host_start + e);
            out.extend(
                rest.get(..host_end)
                    .unwrap_or_default()
                    .iter()
                    .map(u8::to_ascii_lowercase),
            );
            continue;
        }
        if let Some(at) = memchr::memchr(b'@', inner)
            && at > 0
            && at + 1 < inner.len()
        {
            out.push(b'@');
            continue;
        }
        let mut digits = false;
        for &b in word {
            if b.is_ascii_digit() {
                if !digits {
                    out.push(b'0');
                }
                digits = true;
            } else {
                out.push(b);
                digits = false;
            }
        }
    }
    out
}

/// The names a list goes by in its own footer, from its `List-Id`: the phrase before the
/// id (`ACME engineering talk`) and the id's first label (`eng-talk` of
/// `<eng-talk.lists.acme.test>`), each of at least 3 characters. Masked in footers, so that
/// lists run by one server or one software, whose footers differ only by the list's name,
/// share a fingerprint.
pub(crate) fn list_names(headers: &crate::read::headers::Headers<'_>) -> Vec<Vec<u8>> {
    let Some(f) = headers.get("list-id") else {
        return Vec::new();
    };
    let v = f.raw_value();
    let mut out = Vec::new();
    let (phrase, id) = match memchr::memchr(b'<', v) {
        Some(a) => (
            v.get(..a).unwrap_or_default(),
            v.get(a + 1..).unwrap_or_default(),
        ),
        None => (&b""[..], v),
    };
    let phrase = phrase.trim_ascii();
    let phrase = phrase
        .strip_prefix(b"\"")
        .and_then(|p| p.strip_suffix(b"\""))
        .unwrap_or(phrase);
    let label = id
        .trim_ascii()
        .split(|&b| b == b'.' || b == b'>')
        .next()
        .unwrap_or_default();
    for name in [phrase, label] {
        if name.len() >= 3 && name.len() <= 128 && !out.iter().any(|n: &Vec<u8>| n == name) {
            out.push(name.to_vec());
        }
    }
    // The longer name first, so that a label inside the phrase does not split it.
    out.sort_by_key(|n| std::cmp::Reverse(n.len()));
    out
}

/// `line` with each occurrence of a list name (ASCII case ignored, not inside a longer word)
/// replaced by `<list>`.
fn mask_names(line: &[u8], names: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::with_capacity(line.len());
    let mut i = 0;
    let word = |b: Option<&u8>| b.is_some_and(|b| b.is_ascii_alphanumeric());
    'outer: while i < line.len() {
        if i == 0 || !word(line.get(i - 1)) {
            for n in names {
                if line
                    .get(i..i + n.len())
                    .is_some_and(|w| w.eq_ignore_ascii_case(n))
                    && !word(line.get(i + n.len()))
                {
                    out.extend_from_slice(b"<list>");
                    i += n.len();
                    continue 'outer;
                }
            }
        }
        if let Some(&b) = line.get(i) {
            out.push(b);
        }
        i += 1;
    }
    out
}

/// The hash of a run of normalised lines.
fn lines_hash(lines: &[Vec<u8>]) -> u64 {
    let mut d = Sha256::new();
    for line in lines {
        d.update((line.len() as u64).to_le_bytes());
        d.update(line);
    }
    let full = d.finalize();
    let mut h = [0u8; 8];
    h.copy_from_slice(full.get(..8).unwrap_or(&[0; 8]));
    u64::from_le_bytes(h)
}

/// The fingerprint of a removed block: its text lines (a leading MIME part header, HTML tags
/// and blank lines left out), each with the list's names masked (`names`, see
/// [`list_names`]) and normalised, hashed whole and for each proper suffix and prefix (at
/// most [`MAX_BLOCK_LINES`] lines are split so; a longer block has no parts). `None` when the
/// block is not text.
pub(crate) fn fingerprint(block: &[u8], names: &[Vec<u8>]) -> Option<Fingerprint> {
    let lines: Vec<Vec<u8>> = footer_text(block)?
        .iter()
        .map(|l| normalise_line(&mask_names(l, names)))
        .filter(|l| !l.is_empty())
        .collect();
    let mut parts = Vec::new();
    if lines.len() <= MAX_BLOCK_LINES {
        for k in 1..lines.len() {
            parts.push(lines_hash(lines.get(k..).unwrap_or_default()));
        }
        for k in 1..lines.len() {
            parts.push(lines_hash(lines.get(..k).unwrap_or_default()));
        }
    }
    Some(Fingerprint {
        block: lines_hash(&lines),
        parts,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn digest(body: &[u8], canon: Canon) -> Vec<u8> {
        canon::body_digests(body, canon, HashKind::Sha256, &[]).full
    }

    #[test]
    fn the_stream_hashes_as_the_canonical_body() {
        for body in [
            &b""[..],
            b"\r\n\r\n",
            b"a\r\n",
            b"a  b \t\r\n\r\n \r\nc\r\n\r\n",
            b"no line end",
            b"x\r\n\r\n\r\n",
        ] {
            for c in [Canon::Simple, Canon::Relaxed] {
                let mut s = Stream::new(c, HashKind::Sha256);
                s.lines(body);
                assert_eq!(s.digest(), digest(body, c), "{body:?} {c:?}");
            }
        }
    }

    #[test]
    fn a_cut_proves_the_block_added_after_signing() {
        let signed = b"Hello,\r\nthe meeting is at 10.\r\n\r\nAnn\r\n";
        let trailer = b"\r\n==\r\nACME internal list - keep it friendly\r\n";
        let mut stored = signed.to_vec();
        stored.extend_from_slice(trailer);
        for c in [Canon::Simple, Canon::Relaxed] {
            let bh = digest(signed, c);
            let cut = proving_cut(&stored, c, HashKind::Sha256, &bh).expect("a cut proves");
            assert_eq!(cut.end, stored.len());
            // The smallest block that proves (the blank line is not signed text either).
            assert_eq!(&stored[cut.clone()], &trailer[2..], "{c:?}");
            // The signed text edited: no cut proves.
            let edited: Vec<u8> = String::from_utf8_lossy(&stored)
                .replace("at 10", "at 11")
                .into_bytes();
            assert!(proving_cut(&edited, c, HashKind::Sha256, &bh).is_none());
        }
    }

    #[test]
    fn a_cut_before_the_closing_boundary_keeps_the_tail() {
        let signed = b"--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n--b--\r\n";
        let stored = b"--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n--b\r\nContent-Type: text/plain\r\n\r\nACME list trailer\r\n--b--\r\n";
        let bh = digest(signed, Canon::Relaxed);
        let cut = proving_cut(stored, Canon::Relaxed, HashKind::Sha256, &bh).expect("proves");
        assert_eq!(
            &stored[cut.clone()],
            b"--b\r\nContent-Type: text/plain\r\n\r\nACME list trailer\r\n"
        );
        assert!(recordable(&stored[cut]));
    }

    #[test]
    fn the_cut_points_are_bounded() {
        // Many short lines, MIME boundary lines and `</body>` tags near the end: the cut
        // points stay within the window and the budget.
        let mut body = Vec::new();
        for i in 0..20_000 {
            match i % 7 {
                0 => body.extend_from_slice(b"--b\r\n"),
                1 => body.extend_from_slice(b"</body>\r\n"),
                _ => body.extend_from_slice(b"x\r\n"),
            }
        }
        let cuts = cut_points(&body);
        assert!(!cuts.is_empty());
        assert!(cuts.len() <= MAX_BODY_CANDIDATES);
        assert!(
            cuts.iter()
                .all(|c| c.end - c.start <= super::super::transit::WINDOW_BYTES)
        );
        assert!(proving_cut(&body, Canon::Relaxed, HashKind::Sha256, &[0; 32]).is_none());
    }

    #[test]
    fn recordable_blocks() {
        assert!(recordable(b"ACME list trailer\r\nBe kind.\r\n"));
        // Text before a footer-shaped block.
        assert!(!recordable(
            b"PS: send the password.\r\n-----------\r\nTo unsubscribe, e-mail: x-unsubscribe@y.org\r\n"
        ));
        // An attachment.
        assert!(!recordable(
            b"--b\r\nContent-Type: application/pdf\r\n\r\nJVBERi0x\r\n"
        ));
        assert!(!recordable(b"\r\n\r\n"));
        let long: Vec<u8> = (0..40)
            .flat_map(|i| format!("line {i}\r\n").into_bytes())
            .collect();
        assert!(!recordable(&long));
    }

    #[test]
    fn fingerprints_ignore_what_varies_per_recipient() {
        let a = fingerprint(b"\r\nSent to bob@example.org by ACME lists\r\nLeave: https://lists.acme.test/u?t=8f3a1 (msg 1234)\r\n", &[]).unwrap();
        let b = fingerprint(b"Sent to   eve@example.net by ACME lists\r\n\r\nLeave: https://lists.acme.test/u?t=77 (msg 98)\r\n", &[]).unwrap();
        assert_eq!(a, b);
        let c = fingerprint(b"Sent to bob@example.org by EVIL lists\r\nLeave: https://lists.acme.test/u?t=8f3a1 (msg 1234)\r\n", &[]).unwrap();
        assert_ne!(a.block, c.block);
        // A host differs: another block.
        let d = fingerprint(
            b"Sent to bob@example.org by ACME lists\r\nLeave: https://evil.test/u (msg 1)\r\n",
            &[],
        )
        .unwrap();
        assert_ne!(a.block, d.block);
        // A block that ends with another one has its fingerprint among its parts, and so
        // does a block that starts with it.
        let longer = fingerprint(b"PS: call me\r\nSent to bob@example.org by ACME lists\r\nLeave: https://lists.acme.test/x (msg 5)\r\n", &[]).unwrap();
        assert_eq!(longer.parts.first(), Some(&a.block));
        let after = fingerprint(b"Sent to bob@example.org by ACME lists\r\nLeave: https://lists.acme.test/x (msg 5)\r\nPS: call me\r\n", &[]).unwrap();
        assert!(after.parts.contains(&a.block));
        assert_ne!(after.block, longer.block);
        // Two lines: one suffix, one prefix.
        assert_eq!(a.parts.len(), 2);
    }

    #[test]
    fn list_names_are_masked() {
        let h = crate::read::headers::Headers::parse(
            b"List-Id: ACME engineering talk <eng-talk.lists.acme.test>\n\nx\n",
            0,
        );
        let eng = list_names(&h);
        assert_eq!(
            eng,
            [b"ACME engineering talk".to_vec(), b"eng-talk".to_vec()]
        );
        let h = crate::read::headers::Headers::parse(
            b"List-Id: \"ACME sales talk\" <sales-talk.lists.acme.test>\n\nx\n",
            0,
        );
        let sales = list_names(&h);
        assert_eq!(sales, [b"ACME sales talk".to_vec(), b"sales-talk".to_vec()]);
        let footer = |name: &str, id: &str| {
            format!("{name} - internal use only.\r\nPost to {id}: mailto:{id}@lists.acme.test\r\n")
        };
        let a = fingerprint(footer("ACME engineering talk", "eng-talk").as_bytes(), &eng);
        let b = fingerprint(footer("ACME sales talk", "sales-talk").as_bytes(), &sales);
        assert_eq!(a, b);
        // Not inside a longer word, and only the list's own names.
        assert_eq!(mask_names(b"eng-talks eng-talk", &eng), b"eng-talks <list>");
        assert_ne!(
            fingerprint(footer("ACME engineering talk", "eng-talk").as_bytes(), &[]),
            fingerprint(footer("ACME sales talk", "sales-talk").as_bytes(), &[])
        );
    }
}
