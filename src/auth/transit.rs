//! Changes mail legitimately undergoes in transit, undone and proven by the hash.
//!
//! A mailing list or gateway changes the mail it passes on: it appends a footer (after the
//! signed text, inside the last text part, as a new MIME part, before `</body>` in HTML),
//! wraps a single-part message into `multipart/mixed` with a footer part (Mailman), tags the
//! subject (`[list] `, and `Re: [list]` reordered to `[list] Re:`), and adds header fields
//! above the signed ones, some under names the signature over-signs. A signature that fails
//! on the stored message is tried again on candidate originals with one such change undone,
//! and a candidate is accepted only when it is proven: its body hashes to `bh=` and its
//! headers verify under the key. Nothing is guessed from shapes alone; shapes only decide
//! which removed bytes may count as a list's: a removed block must look like a footer
//! (a known shape of ezmlm, Mailman 2/3, Google Groups, Sympa, LISTSERV, antivirus or
//! disclaimer stamps), so text appended *before* a footer, an edit inside the signed text or a
//! subject changed beyond its tag still fails. A list's own footer of no known shape is
//! learned from the dump instead: a trailing block of any shape that proves is kept pending
//! (see the `cuts` module) until the scan sees it end the mail of several senders on lists.
//!
//! Header fields are also rebuilt in the form their author's software wrote them (see the
//! `reencode` module): a subject a list decoded and encoded again (RFC 2047), its decoded
//! text unchanged but for the tag, and, under `simple` header canonicalization, fields a relay
//! folded or unfolded. These keep every character a reader sees; they too count only when
//! the header signature verifies.
//!
//! The work is bounded: trailing blocks are tried within the last [`WINDOW_LINES`] lines and
//! [`WINDOW_BYTES`] bytes before a few anchors (the end of the body, the last MIME boundary
//! lines, `</body>`), at most [`MAX_BODY_CANDIDATES`] candidates and [`MAX_HASHED_BYTES`]
//! bytes hashed per signature, and at most [`MAX_REENCODED_CANDIDATES`] header candidates
//! ([`MAX_HEADER_CANDIDATES`] on a wide `h=` selection) and [`MAX_REFOLD_CANDIDATES`]
//! refolded ones.

use std::ops::Range;

use super::reencode;
use crate::fields::mime::boundary_param;
use crate::read::headers::Headers;

/// Lines before an anchor a removed block may start at.
pub(crate) const WINDOW_LINES: usize = 64;
/// Bytes before an anchor a removed block may start at.
pub(crate) const WINDOW_BYTES: usize = 8 * 1024;
/// Body candidates hashed per signature at most.
pub(crate) const MAX_BODY_CANDIDATES: usize = 192;
/// Bytes hashed for body candidates per signature at most.
pub(crate) const MAX_HASHED_BYTES: usize = 16 * 1024 * 1024;
/// Header candidates verified per signature at most.
pub(crate) const MAX_HEADER_CANDIDATES: usize = 12;
/// Anchors of each kind (MIME boundary lines, `</body>`) tried.
const MAX_ANCHORS: usize = 3;

/// A candidate original body: the stored body with `removed` ranges taken out.
pub(crate) struct BodyCandidate {
    /// The candidate body.
    pub(crate) body: Vec<u8>,
    /// Ranges of the stored (variant) body left out: what transit added.
    pub(crate) removed: Vec<Range<usize>>,
    /// `true` for Mailman's unwrapping, `false` for a removed footer block.
    pub(crate) mime_wrap: bool,
}

/// Header fields of a candidate original: positions of the stored fields, in order, each
/// with a replacement value (`None`: the stored value).
pub(crate) struct HeaderCandidate {
    /// The fields, top to bottom.
    pub(crate) fields: Vec<(usize, Option<Vec<u8>>)>,
    /// A subject tag was undone.
    pub(crate) subject_tag: bool,
    /// A list's header field was left out.
    pub(crate) list_header: bool,
    /// The Subject was written again as its author's client would have encoded it (RFC 2047
    /// encoded words, or raw text), its decoded text unchanged but for a tag.
    pub(crate) subject_reencoded: bool,
    /// The folding of signed fields (or of the signature field) was changed back.
    pub(crate) refolded: bool,
    /// What the list added, as ranges relative to the message bytes.
    pub(crate) added: Vec<Range<usize>>,
}

/// Fields that show a mailing list (or a list-like gateway) handled the message.
const LIST_MARKERS: [&str; 7] = [
    "list-id",
    "list-post",
    "list-unsubscribe",
    "mailing-list",
    "x-mailman-version",
    "x-beenthere",
    "x-google-group-id",
];

/// Whether the route of a message shows a mailing list: `List-Id` or another `List-*`
/// field, `Mailing-List` (ezmlm), `X-Mailman-Version`, `X-BeenThere`, a Google Groups id,
/// ezmlm's `Delivered-To: mailing list ...`, Sympa's and LISTSERV's marks.
pub(crate) fn route_shows_list(headers: &Headers<'_>) -> bool {
    headers.iter().any(|f| {
        let name = f.name();
        LIST_MARKERS.iter().any(|m| f.is_named(m))
            || (name.len() > 5
                && name
                    .get(..5)
                    .is_some_and(|p| p.eq_ignore_ascii_case(b"list-")))
            || f.is_named("x-sympa-to")
            || f.is_named("x-listserver")
            || f.is_named("x-list-administrivia")
            || (f.is_named("delivered-to")
                && f.raw_value().trim_ascii_start().len() >= 12
                && f.raw_value()
                    .trim_ascii_start()
                    .get(..12)
                    .is_some_and(|p| p.eq_ignore_ascii_case(b"mailing list")))
    })
}

/// Whether the body lost the HTML alternative its top `Content-Type` announces: a
/// `multipart/alternative` entity with no `text/html` part (or fewer than two parts). List
/// archives drop the HTML alternative of list mail, which breaks the body hash in a way no
/// hash can prove (the dropped part is gone); on a list's route, with `Content-Type` signed,
/// this is taken as the archive's change, unproven (an edit inside the signed text keeps
/// both alternatives and stays `tampered`). One pass over the body's lines.
pub(crate) fn alternative_dropped(headers: &Headers<'_>) -> bool {
    let Some(field) = headers.get("content-type") else {
        return false;
    };
    let value = field.raw_value();
    let kind = value.trim_ascii_start();
    let prefix = b"multipart/alternative";
    if !kind
        .get(..prefix.len())
        .is_some_and(|p| p.eq_ignore_ascii_case(prefix))
    {
        return false;
    }
    let Some((boundary, _)) = boundary_param(value) else {
        return false;
    };
    let delimiter = format!("--{boundary}");
    let mut parts = 0;
    for line in headers.body().split(|b| *b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if let Some(rest) = line.strip_prefix(delimiter.as_bytes())
            && !rest.starts_with(b"--")
            && rest.iter().all(|b| *b == b' ' || *b == b'\t')
        {
            parts += 1;
        } else if line.len() >= 13
            && line
                .get(..13)
                .is_some_and(|p| p.eq_ignore_ascii_case(b"content-type:"))
            && line
                .windows(9)
                .any(|w| w.eq_ignore_ascii_case(b"text/html"))
        {
            return false;
        }
    }
    parts >= 1
}

/// Positions of the fields that show a list, top to bottom.
pub(crate) fn list_marker_positions(headers: &Headers<'_>) -> Vec<usize> {
    headers
        .iter()
        .filter(|f| {
            LIST_MARKERS.iter().any(|m| f.is_named(m))
                || (f.name().len() > 5
                    && f.name()
                        .get(..5)
                        .is_some_and(|p| p.eq_ignore_ascii_case(b"list-")))
                || f.is_named("delivered-to")
        })
        .map(|f| f.index())
        .collect()
}

/// Line starts of `body` (after each LF), the first line included.
pub(crate) fn line_starts(body: &[u8]) -> Vec<usize> {
    let mut starts = vec![0];
    starts.extend(
        memchr::memchr_iter(b'\n', body)
            .map(|i| i + 1)
            .filter(|&i| i < body.len()),
    );
    starts
}

/// The line at `start`, without its line ending.
pub(crate) fn line_at(body: &[u8], start: usize) -> &[u8] {
    let rest = body.get(start..).unwrap_or_default();
    let end = memchr::memchr(b'\n', rest).unwrap_or(rest.len());
    let line = rest.get(..end).unwrap_or_default();
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// Whether `hay` contains `needle`, ASCII case ignored.
fn contains_ci(hay: &[u8], needle: &[u8]) -> bool {
    needle.is_empty()
        || hay
            .windows(needle.len())
            .any(|w| w.eq_ignore_ascii_case(needle))
}

/// Phrases that open a footer on their own line (after optional separators).
const OPENERS: [&[u8]; 14] = [
    b"to unsubscribe",
    b"you received this message because you are subscribed",
    b"you are subscribed",
    b"for additional commands",
    b"list info",
    b"mailing list",
    b"this email has been scanned",
    b"this e-mail has been scanned",
    b"this message has been scanned",
    b"disclaimer",
    b"confidentiality notice",
    b"this e-mail and any attachments",
    b"this email and any attachments",
    b"the information contained in this",
];

/// Words at least one of which a line of a footer carries (after its opener).
const FOOTER_WORDS: [&[u8]; 22] = [
    b"unsubscribe",
    b"subscribe",
    b"mailing list",
    b"listinfo",
    b"list",
    b"http://",
    b"https://",
    b"mailto:",
    b"@",
    b"group",
    b"e-mail",
    b"email",
    b"options",
    b"archive",
    b"commands",
    b"disclaimer",
    b"confidential",
    b"scanned",
    b"virus",
    b"intended",
    b"recipient",
    b"signoff",
];

/// A separator line footers start with: `-- `, or a run of at least 5 of `-`, `_`, `=`,
/// `#`, `*`, `~`.
fn is_separator(line: &[u8]) -> bool {
    let t = line.trim_ascii();
    if t == b"--" {
        return true;
    }
    let Some(&c) = t.first() else { return false };
    t.len() >= 5
        && matches!(c, b'-' | b'_' | b'=' | b'#' | b'*' | b'~')
        && t.iter().all(|&b| b == c)
}

/// The text lines of a removed block, with a leading MIME part header (`--boundary`, its
/// fields, the blank line) and HTML tags taken out. `None` when the block holds more than
/// one MIME part or a part that is not text.
pub(crate) fn footer_text(block: &[u8]) -> Option<Vec<Vec<u8>>> {
    let mut lines: Vec<&[u8]> = Vec::new();
    for start in line_starts(block) {
        lines.push(line_at(block, start));
    }
    let mut i = 0;
    while lines.get(i).is_some_and(|l| l.trim_ascii().is_empty()) {
        i += 1;
    }
    if lines
        .get(i)
        .is_some_and(|l| l.starts_with(b"--") && !is_separator(l))
    {
        // A MIME part of the footer: its header fields up to the blank line.
        i += 1;
        let mut text = true;
        while let Some(l) = lines.get(i) {
            if l.trim_ascii().is_empty() {
                break;
            }
            if contains_ci(l, b"content-type:") && !contains_ci(l, b"text/") {
                text = false;
            }
            i += 1;
        }
        if !text {
            return None;
        }
    }
    let mut out = Vec::new();
    for l in lines.get(i..).unwrap_or_default() {
        if l.starts_with(b"--") && !is_separator(l) && l.len() > 2 {
            // A second boundary inside the block: more than a footer part.
            return None;
        }
        // HTML: tags and entities are not text.
        let mut text = Vec::with_capacity(l.len());
        let mut in_tag = false;
        for &b in *l {
            match b {
                b'<' => in_tag = true,
                b'>' if in_tag => in_tag = false,
                _ if !in_tag => text.push(b),
                _ => {}
            }
        }
        let text = String::from_utf8_lossy(&text)
            .replace("&nbsp;", " ")
            .into_bytes();
        if !text.trim_ascii().is_empty() {
            out.push(text);
        }
    }
    Some(out)
}

/// Whether a removed block is a footer a list, gateway or scanner adds: its first text line
/// is a separator or an opener phrase, and every further line carries a footer word (or is a
/// separator). Text written by a person before the footer fails the first rule; text slipped
/// into the footer usually fails the second.
pub(crate) fn is_footer(block: &[u8]) -> bool {
    let Some(lines) = footer_text(block) else {
        return false;
    };
    let Some((first, rest)) = lines.split_first() else {
        // Only blank lines and markup: nothing a reader sees was added.
        return true;
    };
    let opener = |l: &[u8]| OPENERS.iter().any(|o| contains_ci(l, o));
    if !(is_separator(first) || opener(first)) {
        return false;
    }
    if lines.len() > 24 {
        return false;
    }
    rest.iter()
        .all(|l| is_separator(l) || opener(l) || FOOTER_WORDS.iter().any(|w| contains_ci(l, w)))
}

/// Anchors a footer ends at: the end of the body, the starts of the last MIME boundary
/// lines, and the last `</body>` tags, nearest the end first.
pub(crate) fn anchors(body: &[u8], starts: &[usize]) -> Vec<usize> {
    let mut out = vec![body.len()];
    let floor = body.len().saturating_sub(WINDOW_BYTES * 2);
    let mut boundaries = 0;
    for &s in starts.iter().rev() {
        if s < floor || boundaries >= MAX_ANCHORS {
            break;
        }
        let l = line_at(body, s);
        if l.starts_with(b"--") && !is_separator(l) && l.len() > 2 && !l.contains(&b' ') {
            out.push(s);
            boundaries += 1;
        }
    }
    let tail = body.get(floor..).unwrap_or_default();
    let mut tags = 0;
    let mut end = tail.len();
    while tags < MAX_ANCHORS {
        let Some(i) = tail.get(..end).and_then(|t| {
            t.windows(7)
                .rposition(|w| w.eq_ignore_ascii_case(b"</body>"))
        }) else {
            break;
        };
        out.push(floor + i);
        // The line the tag is on may hold the footer's end too.
        if let Some(ls) = starts.iter().rev().find(|&&s| s <= floor + i) {
            out.push(*ls);
        }
        end = i;
        tags += 1;
    }
    out.dedup();
    out
}

/// Candidate original bodies with a trailing block removed (and Mailman's wrapping
/// undone), within the window and budget, smallest removals first per anchor.
/// `content_type` is the top-level `Content-Type` value.
pub(crate) fn body_candidates(body: &[u8], content_type: Option<&[u8]>) -> Vec<BodyCandidate> {
    let mut out = Vec::new();
    if let Some(c) = content_type.and_then(|ct| unwrap_mime(body, ct)) {
        out.push(c);
    }
    let starts = line_starts(body);
    let mut hashed = 0usize;
    for cut in window_cuts(body, &starts) {
        let block = body.get(cut.clone()).unwrap_or_default();
        if !is_footer(block) {
            continue;
        }
        if out.len() >= MAX_BODY_CANDIDATES || hashed > MAX_HASHED_BYTES {
            return out;
        }
        let mut cand = Vec::with_capacity(body.len() - cut.len());
        cand.extend_from_slice(body.get(..cut.start).unwrap_or_default());
        cand.extend_from_slice(body.get(cut.end..).unwrap_or_default());
        hashed += cand.len();
        out.push(BodyCandidate {
            body: cand,
            removed: std::iter::once(cut).collect(),
            mime_wrap: false,
        });
    }
    out
}

/// The trailing blocks a list may have added, in the order they are tried: per anchor (see
/// [`anchors`]; the end of the body first), `start..anchor` for the line starts before it,
/// nearest first, within [`WINDOW_LINES`] lines and [`WINDOW_BYTES`] bytes. `starts` are the
/// body's line starts. At most anchors x [`WINDOW_LINES`] blocks; callers keep their budgets.
pub(crate) fn window_cuts<'b>(
    body: &'b [u8],
    starts: &'b [usize],
) -> impl Iterator<Item = Range<usize>> + 'b {
    anchors(body, starts).into_iter().flat_map(move |a| {
        let before = starts.partition_point(|&s| s < a);
        starts
            .get(..before)
            .unwrap_or_default()
            .iter()
            .rev()
            .take(WINDOW_LINES)
            .take_while(move |&&s| a - s <= WINDOW_BYTES)
            .map(move |&s| s..a)
    })
}

/// Mailman's wrapping of a single-part message into `multipart/mixed` with a footer part,
/// undone: the first part's content, when the only other part is a footer.
fn unwrap_mime(body: &[u8], content_type: &[u8]) -> Option<BodyCandidate> {
    if !contains_ci(content_type, b"multipart/mixed") {
        return None;
    }
    let (boundary, _) = boundary_param(content_type)?;
    let delim = format!("--{boundary}");
    let starts = line_starts(body);
    let delims: Vec<usize> = starts
        .iter()
        .copied()
        .filter(|&s| {
            line_at(body, s)
                .trim_ascii_end()
                .starts_with(delim.as_bytes())
        })
        .collect();
    // Opening, between the two parts, closing.
    let [open, middle, close] = delims.as_slice() else {
        return None;
    };
    if !line_at(body, *close).trim_ascii_end().ends_with(b"--") {
        return None;
    }
    // The first part's header fields, then its content.
    let mut pos = starts.partition_point(|&s| s <= *open);
    let mut content_start = None;
    while let Some(&s) = starts.get(pos) {
        if s >= *middle {
            break;
        }
        let l = line_at(body, s);
        if l.trim_ascii().is_empty() {
            content_start = starts.get(pos + 1).copied();
            break;
        }
        let allowed = [
            b"content-type:".as_slice(),
            b"content-transfer-encoding:",
            b"mime-version:",
            b"content-disposition:",
        ];
        let continuation = matches!(l.first(), Some(b' ' | b'\t'));
        if !continuation
            && !allowed.iter().any(|a| {
                l.len() >= a.len() && l.get(..a.len()).is_some_and(|p| p.eq_ignore_ascii_case(a))
            })
        {
            return None;
        }
        pos += 1;
    }
    let content_start = content_start.filter(|&c| c <= *middle)?;
    // The footer part: from the middle delimiter to the closing one.
    if !is_footer(body.get(*middle..*close)?) {
        return None;
    }
    let content = body.get(content_start..*middle)?;
    Some(BodyCandidate {
        body: content.to_vec(),
        removed: vec![0..content_start, *middle..body.len()],
        mime_wrap: true,
    })
}

/// Names a list adds that a signature may over-sign (name them in `h=` while the author's
/// message had none).
const LIST_ADDED: [&str; 9] = [
    "reply-to",
    "sender",
    "list-id",
    "list-post",
    "list-help",
    "list-unsubscribe",
    "list-subscribe",
    "list-archive",
    "precedence",
];

/// A subject tag at the start of `value` (after leading white space): the range of
/// `[tag]` and the one space after it.
fn tag_at(value: &[u8], from: usize) -> Option<Range<usize>> {
    let rest = value.get(from..)?;
    if rest.first() != Some(&b'[') {
        return None;
    }
    let close = memchr::memchr(b']', rest)?;
    if !(2..=64).contains(&close)
        || rest
            .get(1..close)?
            .iter()
            .any(|&b| b == b'\r' || b == b'\n')
    {
        return None;
    }
    let mut end = close + 1;
    if rest.get(end) == Some(&b' ') {
        end += 1;
    }
    Some(from..from + end)
}

/// A reply prefix (`Re:`, `RE:`, `Fwd:`, `AW:`, `Sv:`) at `from`: its length with the space.
fn reply_prefix(value: &[u8], from: usize) -> Option<usize> {
    let rest = value.get(from..)?;
    for p in [b"re:".as_slice(), b"fwd:", b"fw:", b"aw:", b"sv:"] {
        if rest.len() >= p.len() && rest.get(..p.len())?.eq_ignore_ascii_case(p) {
            let mut n = p.len();
            if rest.get(n) == Some(&b' ') {
                n += 1;
            }
            return Some(n);
        }
    }
    None
}

/// Subject values of candidate originals: the tag removed, `[tag] Re: x` as `Re: [tag] x`,
/// and `Re: [tag] x` as `Re: x`; each with the tag's range in the stored value.
fn subject_originals(value: &[u8]) -> Vec<(Vec<u8>, Range<usize>)> {
    let lead = value
        .iter()
        .take_while(|b| matches!(b, b' ' | b'\t'))
        .count();
    let mut out = Vec::new();
    if let Some(tag) = tag_at(value, lead) {
        let (Some(head), Some(rest)) = (value.get(..lead), value.get(tag.end..)) else {
            return out;
        };
        let mut plain = head.to_vec();
        plain.extend_from_slice(rest);
        out.push((plain, tag.clone()));
        if let Some(n) = reply_prefix(value, tag.end) {
            // `[tag] Re: x` was `Re: [tag] x`.
            let mut moved = head.to_vec();
            moved.extend_from_slice(value.get(tag.end..tag.end + n).unwrap_or_default());
            let t = value.get(tag.clone()).unwrap_or_default();
            moved.extend_from_slice(t);
            if !t.ends_with(b" ") {
                moved.push(b' ');
            }
            moved.extend_from_slice(value.get(tag.end + n..).unwrap_or_default());
            out.push((moved, tag));
        }
    } else if let Some(n) = reply_prefix(value, lead)
        && let Some(tag) = tag_at(value, lead + n)
    {
        let mut plain = value.get(..lead + n).unwrap_or_default().to_vec();
        plain.extend_from_slice(value.get(tag.end..).unwrap_or_default());
        out.push((plain, tag));
    }
    out
}

/// Header candidates (subject tags, list fields, re-encoded subjects) verified per
/// signature at most, on a selection that is not wide. Each costs one hash of the signed
/// headers (the signature is opened once).
pub(crate) const MAX_REENCODED_CANDIDATES: usize = 160;
/// `h=` names times header fields above which a selection counts as wide: it then gets
/// [`MAX_HEADER_CANDIDATES`] (tags and list fields only).
pub(crate) const WIDE_SELECTION: usize = 10_000;
/// Bytes of the fields under signed names above which a selection counts as wide too (each
/// candidate hashes them all).
pub(crate) const WIDE_SIGNED_BYTES: usize = 64 * 1024;
/// Refolded header candidates (`simple` header canonicalization) verified per signature at
/// most, besides the others.
pub(crate) const MAX_REFOLD_CANDIDATES: usize = 48;

/// A subject of a candidate original: the stored field's position, the value, the range of
/// the stored message the list added (its tag), whether a tag was undone and whether the
/// value was encoded again.
struct SubjectOriginal {
    index: usize,
    value: Vec<u8>,
    added: Option<Range<usize>>,
    tag: bool,
    reencoded: bool,
    /// The value's folding was changed back too (a list that tags a long subject folds it
    /// again, which `simple` canonicalization sees).
    refolded: bool,
}

/// The line ending of a stored field (its last one).
fn eol_of(raw: &[u8]) -> &'static [u8] {
    if raw.ends_with(b"\r\n") {
        b"\r\n"
    } else {
        b"\n"
    }
}

/// Subjects an author's client could have written whose decoded text is the stored
/// subject's decoded text, a list's tag undone or not: the stored value holds encoded words
/// or 8-bit text that a list may have decoded and encoded again (see
/// [`reencode::subject_forms`]). `value_start` is where the stored value starts, relative
/// to the message.
fn reencoded_subjects(
    f: &crate::read::headers::Field<'_>,
    value_start: usize,
    simple: bool,
) -> Vec<SubjectOriginal> {
    let raw = f.raw_value();
    let encoded = crate::read::headers::find_pair(raw, *b"=?").is_some();
    if (!encoded && raw.is_ascii()) || raw.len() > reencode::MAX_VALUE_BYTES {
        return Vec::new();
    }
    let decoded = f.decoded();
    let mut texts: Vec<String> = subject_originals(format!(" {decoded}").as_bytes())
        .into_iter()
        .filter_map(|(v, _)| String::from_utf8(v.get(1..).unwrap_or_default().to_vec()).ok())
        .collect();
    let tagged = texts.len();
    texts.push(decoded);
    // The tag's bytes in the stored value: a plain `[tag] ` before the encoded words, or
    // else the whole value (the tag is inside an encoded word the list wrote).
    let lead = raw.iter().take_while(|b| matches!(b, b' ' | b'\t')).count();
    let tag_range = tag_at(raw, lead)
        .map(|t| value_start + t.start..value_start + t.end)
        .unwrap_or(value_start..value_start + raw.len());
    reencode::subject_forms(&texts, &reencode::charsets_of(raw), eol_of(f.raw()), simple)
        .into_iter()
        .filter(|(_, v)| v.as_slice() != raw)
        .map(|(t, value)| SubjectOriginal {
            index: f.index(),
            value,
            added: (t < tagged).then(|| tag_range.clone()),
            tag: t < tagged,
            reencoded: true,
            refolded: false,
        })
        .collect()
}

/// Candidate original header blocks whose folding a relay changed (`simple` header
/// canonicalization only): for each kind of [`reencode::Refold`], the signed fields (the
/// instances `h=` selects) in that form together, then with the signature field, then each
/// alone; at most [`MAX_REFOLD_CANDIDATES`].
fn refolded_candidates(
    headers: &Headers<'_>,
    sig_index: usize,
    h: &[String],
) -> Vec<HeaderCandidate> {
    // The instances the signature selects: bottom-most unused per name, and itself.
    let mut targets: Vec<usize> = Vec::new();
    for name in h {
        let name = name.trim();
        if let Some(f) = headers
            .iter()
            .rev()
            .find(|f| f.is_named(name) && !targets.contains(&f.index()))
        {
            targets.push(f.index());
        }
    }
    targets.push(sig_index);
    let mut out = Vec::new();
    for kind in reencode::REFOLDS {
        let forms: Vec<(usize, Vec<u8>)> = targets
            .iter()
            .filter_map(|&i| {
                let f = headers.field(i)?;
                let name_len = f.name().len() + 1;
                reencode::refold(f.raw_value(), kind, name_len, eol_of(f.raw())).map(|v| (i, v))
            })
            .collect();
        // The signed fields together (a relay refolds every long field), with and without
        // the signature field (whose folding its signer chose), then each alone.
        let mut sets: Vec<Vec<&(usize, Vec<u8>)>> =
            vec![forms.iter().filter(|x| x.0 != sig_index).collect()];
        if forms.iter().any(|x| x.0 == sig_index) {
            sets.push(forms.iter().collect());
        }
        if forms.len() > 1 {
            sets.extend(forms.iter().map(|x| vec![x]));
        }
        sets.dedup();
        for set in sets {
            if set.is_empty() {
                continue;
            }
            if out.len() >= MAX_REFOLD_CANDIDATES {
                return out;
            }
            let fields = headers
                .iter()
                .map(|f| {
                    let i = f.index();
                    (i, set.iter().find(|x| x.0 == i).map(|x| x.1.clone()))
                })
                .collect();
            out.push(HeaderCandidate {
                fields,
                subject_tag: false,
                list_header: false,
                subject_reencoded: false,
                refolded: true,
                added: Vec::new(),
            });
        }
    }
    out
}

/// Candidate original header blocks for a signature at `sig_index` whose `h=` is `h`: the
/// subject's tag undone, and fields of names a list adds (and `h=` names) that sit above the
/// signature left out; each alone and both together; the subject encoded again as its
/// author's client would have written it (tag undone or not); and, under `simple` header
/// canonicalization, the signed fields' folding changed back. Within the budget
/// ([`MAX_REENCODED_CANDIDATES`] and [`MAX_REFOLD_CANDIDATES`]; [`MAX_HEADER_CANDIDATES`],
/// tags and list fields only, on a wide selection).
pub(crate) fn header_candidates(
    headers: &Headers<'_>,
    sig_index: usize,
    h: &[String],
    simple: bool,
) -> Vec<HeaderCandidate> {
    let names = |n: &str| h.iter().any(|x| x.trim().eq_ignore_ascii_case(n));
    let base = headers.offset();
    let rel = |s: crate::span::Span| {
        let start = usize::try_from(s.start.saturating_sub(base)).unwrap_or(usize::MAX);
        let end = usize::try_from(s.end.saturating_sub(base)).unwrap_or(usize::MAX);
        start..end
    };
    // Each candidate costs a selection of `h=` names over the fields: a wide selection gets
    // the small budget.
    let wide = h.len().saturating_mul(headers.len()) > WIDE_SELECTION
        || headers
            .iter()
            .filter(|f| h.iter().any(|n| f.is_named(n.trim())))
            .map(|f| f.raw().len())
            .sum::<usize>()
            > WIDE_SIGNED_BYTES;
    let budget = if wide {
        MAX_HEADER_CANDIDATES
    } else {
        MAX_REENCODED_CANDIDATES
    };
    // The subject the signature selects: the bottom-most copy.
    let mut subjects: Vec<SubjectOriginal> = Vec::new();
    if names("subject")
        && let Some(f) = headers.last("subject")
    {
        let vs = rel(f.value_span());
        let tags = subject_originals(f.raw_value());
        for (value, tag) in &tags {
            subjects.push(SubjectOriginal {
                index: f.index(),
                value: value.clone(),
                added: Some(vs.start + tag.start..vs.start + tag.end),
                tag: true,
                reencoded: false,
                refolded: false,
            });
        }
        if !wide {
            subjects.extend(reencoded_subjects(&f, vs.start, simple));
            // Under `simple` canonicalization, the tag undone and the folding changed back
            // (after the re-encoded forms, within the same budget).
            if simple {
                for (value, tag) in &tags {
                    for kind in reencode::REFOLDS {
                        let name_len = f.name().len() + 1;
                        if let Some(v) = reencode::refold(value, kind, name_len, eol_of(f.raw())) {
                            subjects.push(SubjectOriginal {
                                index: f.index(),
                                value: v,
                                added: Some(vs.start + tag.start..vs.start + tag.end),
                                tag: true,
                                reencoded: false,
                                refolded: true,
                            });
                        }
                    }
                }
            }
        }
    }
    // List-added fields above the signature under over-signed names: the top-most copy of
    // each name when the signature would otherwise select it.
    let mut dropped: Vec<(usize, Range<usize>)> = Vec::new();
    for name in LIST_ADDED {
        if !names(name) {
            continue;
        }
        let copies: Vec<_> = headers.get_all(name).collect();
        let named = h
            .iter()
            .filter(|x| x.trim().eq_ignore_ascii_case(name))
            .count();
        // With fewer copies than h= names, every copy is selected, the list's included.
        if copies.len() > named {
            continue;
        }
        if let Some(top) = copies.first().filter(|f| f.index() < sig_index) {
            dropped.push((top.index(), rel(top.span())));
        }
    }
    let mut out = Vec::new();
    let build = |subject: Option<&SubjectOriginal>, drop: bool| {
        let mut fields = Vec::with_capacity(headers.len());
        let mut added = Vec::new();
        for f in headers.iter() {
            let i = f.index();
            if drop && dropped.iter().any(|(d, _)| *d == i) {
                continue;
            }
            let replaced = subject.filter(|s| s.index == i).map(|s| s.value.clone());
            fields.push((i, replaced));
        }
        if let Some(r) = subject.and_then(|s| s.added.clone()) {
            added.push(r);
        }
        if drop {
            added.extend(dropped.iter().map(|(_, r)| r.clone()));
        }
        HeaderCandidate {
            fields,
            subject_tag: subject.is_some_and(|s| s.tag),
            list_header: drop,
            subject_reencoded: subject.is_some_and(|s| s.reencoded),
            refolded: subject.is_some_and(|s| s.refolded),
            added,
        }
    };
    // The plain tag first, then the list's fields, then each re-encoded (or refolded)
    // subject with and without them.
    let plain = subjects
        .iter()
        .take_while(|s| !s.reencoded && !s.refolded)
        .count();
    let (tags, reencoded) = subjects.split_at(plain);
    for s in tags {
        out.push(build(Some(s), false));
    }
    if !dropped.is_empty() {
        out.push(build(None, true));
        for s in tags {
            out.push(build(Some(s), true));
        }
    }
    for s in reencoded {
        if out.len() >= budget {
            break;
        }
        out.push(build(Some(s), false));
        if !dropped.is_empty() {
            out.push(build(Some(s), true));
        }
    }
    out.truncate(budget);
    if simple && !wide {
        out.extend(refolded_candidates(headers, sig_index, h));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn footer_shapes() {
        let ezmlm = b"\r\n---------------------------------------------------------------------\r\nTo unsubscribe, e-mail: users-unsubscribe@httpd.apache.org\r\nFor additional commands, e-mail: users-help@httpd.apache.org\r\n";
        assert!(is_footer(ezmlm));
        let mailman = b"_______________________________________________\r\nDev mailing list\r\nDev@lists.example.org\r\nhttps://lists.example.org/mailman/listinfo/dev\r\n";
        assert!(is_footer(mailman));
        let google = b"\r\n-- \r\nYou received this message because you are subscribed to the Google Groups \"x\" group.\r\nTo unsubscribe from this group and stop receiving emails from it, send an email to x+unsubscribe@googlegroups.com.\r\n";
        assert!(is_footer(google));
        // A person's text before the footer is not a footer.
        let before = b"PS: wire the money to account 12345 today.\r\n---------------------------------------------------------------------\r\nTo unsubscribe, e-mail: users-unsubscribe@httpd.apache.org\r\n";
        assert!(!is_footer(before));
        // Nor is text slipped into a footer.
        let inside = b"---------------------------------------------------------------------\r\nWire the money to account 12345 today.\r\nTo unsubscribe, e-mail: users-unsubscribe@httpd.apache.org\r\n";
        assert!(!is_footer(inside));
        // A MIME part holding a footer is one; holding an attachment is not.
        let part = b"--b1\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n---------\r\nTo unsubscribe, e-mail: a-unsubscribe@x.org\r\n";
        assert!(is_footer(part));
        let attach = b"--b1\r\nContent-Type: application/pdf\r\n\r\nJVBERi0x\r\n";
        assert!(!is_footer(attach));
    }

    #[test]
    fn subject_tags() {
        let o = subject_originals(b" [users@httpd] Re: mod_proxy");
        let values: Vec<&[u8]> = o.iter().map(|(v, _)| v.as_slice()).collect();
        assert_eq!(
            values,
            [
                b" Re: mod_proxy".as_slice(),
                b" Re: [users@httpd] mod_proxy"
            ]
        );
        assert_eq!(o[0].1, 1..15);
        let o = subject_originals(b" Re: [dev] x");
        assert_eq!(o[0].0, b" Re: x");
        assert!(subject_originals(b" plain subject").is_empty());
    }

    #[test]
    fn candidates_remove_footer_blocks_only() {
        let body = b"Hello,\r\nsee you.\r\n\r\n---------------------------------------------------------------------\r\nTo unsubscribe, e-mail: u-unsubscribe@x.org\r\nFor additional commands, e-mail: u-help@x.org\r\n";
        let c = body_candidates(body, None);
        assert!(c.iter().any(|c| c.body == b"Hello,\r\nsee you.\r\n"));
        // No candidate removes the person's text.
        assert!(
            c.iter()
                .all(|c| c.body.starts_with(b"Hello,\r\nsee you.\r\n"))
        );
    }

    #[test]
    fn header_candidates_are_bounded() {
        let h: Vec<String> = ["from", "to", "subject", "date"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let long = "word ".repeat(40);
        let text = format!(
            "DKIM-Signature: v=1; a=rsa-sha256; c=simple/simple; d=x.test; s=s;\n\th=from:to:subject:date; bh=; b=\nFrom: a@x.test\nTo: {long}\nSubject: [dev] =?utf-8?q?R=C3=A9union_{}?=\nDate: Fri, 14 Jul 2017 02:40:00 +0000\n\nbody\n",
            "_caf=C3=A9".repeat(20)
        );
        let headers = Headers::parse(text.as_bytes(), 0);
        let c = header_candidates(&headers, 0, &h, true);
        assert!(c.iter().any(|c| c.subject_reencoded));
        assert!(c.iter().any(|c| c.refolded));
        assert!(c.len() <= MAX_REENCODED_CANDIDATES + MAX_REFOLD_CANDIDATES);
        // Relaxed canonicalization: no refolds.
        assert!(
            header_candidates(&headers, 0, &h, false)
                .iter()
                .all(|c| !c.refolded)
        );
        // A huge signed field makes the selection wide: tags and list fields only.
        let huge = text.replace(&long, &"word ".repeat(14_000));
        let headers = Headers::parse(huge.as_bytes(), 0);
        let c = header_candidates(&headers, 0, &h, true);
        assert!(c.len() <= MAX_HEADER_CANDIDATES);
        assert!(c.iter().all(|c| !c.subject_reencoded && !c.refolded));
    }

    #[test]
    fn mailman_wrap_is_undone() {
        let body = b"--===1==\r\nContent-Type: text/plain; charset=\"us-ascii\"\r\nMIME-Version: 1.0\r\nContent-Transfer-Encoding: 7bit\r\nContent-Disposition: inline\r\n\r\nHello\r\n\r\n--===1==\r\nContent-Type: text/plain; charset=\"us-ascii\"\r\n\r\n_______________________________________________\r\nDev mailing list\r\nhttps://x.org/mailman/listinfo/dev\r\n\r\n--===1==--\r\n";
        let c = unwrap_mime(body, b" multipart/mixed; boundary=\"===1==\"").expect("unwrapped");
        assert_eq!(c.body, b"Hello\r\n\r\n");
        assert!(c.mime_wrap);
    }
}
