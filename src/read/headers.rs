//! The header index: one pass over a message's header block.
//!
//! [`Headers`] records, for every header field in order, where its name, value and raw bytes
//! are (relative positions, reported as absolute [`Span`]s), keeps duplicates in order, and
//! finds where the body starts. It copies nothing: values borrow the message bytes. LF, CRLF,
//! lone CR (classic Mac OS) and mixed line endings are accepted; bytes that are not UTF-8 are kept as bytes.

use std::borrow::Cow;

use crate::span::Span;

/// Positions of one field, relative to the start of the message.
#[derive(Debug, Clone, Copy)]
struct FieldPos {
    start: usize,
    name_end: usize,
    /// [`name_key`] of the name: most names differ in it, so comparisons rarely read the
    /// name itself.
    key: u32,
    value_start: usize,
    value_end: usize,
    end: usize,
}

/// Reusable storage for [`Headers::parse_reusing`], so a loop over many messages allocates
/// its field vector once.
#[derive(Debug, Default)]
pub(crate) struct HeaderBuf {
    fields: Vec<FieldPos>,
}

impl HeaderBuf {
    /// Empty storage.
    pub(crate) fn new() -> Self {
        HeaderBuf::default()
    }
}

/// The index of a message's header fields, borrowing the message bytes.
#[derive(Debug)]
pub struct Headers<'a> {
    bytes: &'a [u8],
    base: u64,
    fields: Vec<FieldPos>,
    body_start: usize,
    blank_line: bool,
    stray_lines: Vec<(usize, usize)>,
}

/// One header field as stored.
#[derive(Debug, Clone, Copy)]
pub struct Field<'a> {
    bytes: &'a [u8],
    base: u64,
    pos: FieldPos,
    index: usize,
}

impl<'a> Headers<'a> {
    /// Index the header block of `bytes`, a message whose first byte is at absolute offset
    /// `offset` in its source.
    pub fn parse(bytes: &'a [u8], offset: u64) -> Self {
        Self::parse_reusing(bytes, offset, HeaderBuf::new())
    }

    /// Like [`Headers::parse`], reusing the storage of an earlier index
    /// (see [`Headers::recycle`]).
    pub(crate) fn parse_reusing(bytes: &'a [u8], base: u64, buf: HeaderBuf) -> Self {
        let mut fields = buf.fields;
        fields.clear();
        let mut stray_lines = Vec::new();
        let mut pos = 0usize;
        let mut body_start = bytes.len();
        let mut blank_line = false;
        while pos < bytes.len() {
            // A line ends with LF, CRLF, or a CR that no LF follows.
            let rest = bytes.get(pos..).unwrap_or_default();
            let (line_end, next) = match memchr::memchr2(b'\n', b'\r', rest) {
                Some(i) => {
                    let at = pos + i;
                    match (rest[i], rest.get(i + 1)) {
                        (b'\r', Some(b'\n')) => (at, at + 2),
                        _ => (at, at + 1),
                    }
                }
                None => (bytes.len(), bytes.len()),
            };
            let line = &bytes[pos..line_end];
            if line.is_empty() {
                // The empty line that ends the header block.
                blank_line = next > pos;
                body_start = next;
                break;
            }
            if line[0] == b' ' || line[0] == b'\t' {
                match fields.last_mut() {
                    Some(last) if last.end == pos => {
                        last.value_end = line_end;
                        last.end = next;
                    }
                    _ => stray_lines.push((pos, next)),
                }
                pos = next;
                continue;
            }
            match field_name_end(line) {
                Some((name_end, colon)) => fields.push(FieldPos {
                    start: pos,
                    name_end: pos + name_end,
                    key: name_key(line.get(..name_end).unwrap_or_default()),
                    value_start: pos + colon + 1,
                    value_end: line_end,
                    end: next,
                }),
                None => {
                    // Not a header line: the body starts here without an empty line.
                    body_start = pos;
                    break;
                }
            }
            pos = next;
        }
        if pos >= bytes.len() {
            body_start = bytes.len();
        }
        Headers {
            bytes,
            base,
            fields,
            body_start,
            blank_line,
            stray_lines,
        }
    }

    /// Give back the storage for the next [`Headers::parse_reusing`].
    pub(crate) fn recycle(self) -> HeaderBuf {
        HeaderBuf {
            fields: self.fields,
        }
    }

    /// The message bytes this index was built over.
    pub fn bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// Absolute offset of the message's first byte.
    pub fn offset(&self) -> u64 {
        self.base
    }

    /// Number of fields.
    pub fn len(&self) -> usize {
        self.fields.len()
    }

    /// Whether the message has no header field at all.
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// All fields in the order they are stored (top to bottom).
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = Field<'a>> + ExactSizeIterator + '_ {
        let (bytes, base) = (self.bytes, self.base);
        self.fields
            .iter()
            .enumerate()
            .map(move |(index, &pos)| Field {
                bytes,
                base,
                pos,
                index,
            })
    }

    /// The field at position `index` in header order.
    pub fn field(&self, index: usize) -> Option<Field<'a>> {
        self.fields.get(index).map(|&pos| Field {
            bytes: self.bytes,
            base: self.base,
            pos,
            index,
        })
    }

    /// Every field named `name` (ASCII case-insensitive), top to bottom.
    pub fn get_all<'s>(&'s self, name: &'s str) -> impl DoubleEndedIterator<Item = Field<'a>> + 's {
        let key = name_key(name.as_bytes());
        self.iter()
            .filter(move |f| f.pos.key == key && f.name().eq_ignore_ascii_case(name.as_bytes()))
    }

    /// The first (top-most) field named `name`: the one a mail client displays.
    pub fn get(&self, name: &str) -> Option<Field<'a>> {
        self.get_all(name).next()
    }

    /// The last (bottom-most) field named `name`: the one a DKIM signature covers first.
    pub fn last(&self, name: &str) -> Option<Field<'a>> {
        self.get_all(name).next_back()
    }

    /// Number of fields named `name`.
    pub fn count(&self, name: &str) -> usize {
        self.get_all(name).count()
    }

    /// Position of the body's first byte, relative to the message start.
    pub fn body_start(&self) -> usize {
        self.body_start
    }

    /// The body's bytes (possibly empty).
    pub fn body(&self) -> &'a [u8] {
        &self.bytes[self.body_start..]
    }

    /// Absolute span of the header block, including the empty line that ends it.
    pub fn header_span(&self) -> Span {
        Span::from_relative(self.base, 0..self.body_start)
    }

    /// Absolute span of the body.
    pub fn body_span(&self) -> Span {
        Span::from_relative(self.base, self.body_start..self.bytes.len())
    }

    /// Whether an empty line separates the header block from the body, as RFC 5322 requires.
    /// `false` when the headers run to the end of the message or straight into body text.
    pub fn has_blank_line(&self) -> bool {
        self.blank_line
    }

    /// Absolute spans of continuation lines that follow no field (a folded line at the very
    /// top of the message): bytes the index could not attach to any field.
    pub fn stray_lines(&self) -> impl Iterator<Item = Span> + '_ {
        self.stray_lines
            .iter()
            .map(|&(s, e)| Span::from_relative(self.base, s..e))
    }
}

/// Where a field name ends and where its colon is, or `None` when the line is not a field.
/// A digest of a field name that ignores ASCII case: its length and its first and last
/// bytes, lowercased. Equal names have equal keys.
fn name_key(name: &[u8]) -> u32 {
    let len = u32::try_from(name.len()).unwrap_or(u32::MAX) & 0xffff;
    let first = name.first().map_or(0, u8::to_ascii_lowercase);
    let last = name.last().map_or(0, u8::to_ascii_lowercase);
    len | u32::from(first) << 16 | u32::from(last) << 24
}

/// RFC 5322 names are printable ASCII except the colon; whitespace before the colon is
/// tolerated (an obsolete form still seen in old mail).
fn field_name_end(line: &[u8]) -> Option<(usize, usize)> {
    // One pass over the name (short), not three over the line: printable ASCII up to the
    // colon, then optional spaces or tabs, then the colon.
    let name_end = line
        .iter()
        .position(|&b| !(33..=126).contains(&b) || b == b':')
        .unwrap_or(line.len());
    let colon = name_end
        + line[name_end..]
            .iter()
            .position(|&b| b != b' ' && b != b'\t')
            .unwrap_or(line.len() - name_end);
    (name_end > 0 && line.get(colon) == Some(&b':')).then_some((name_end, colon))
}

impl<'a> Field<'a> {
    /// Position of this field in header order (0 is the top-most).
    pub fn index(&self) -> usize {
        self.index
    }

    /// The field name as stored.
    pub fn name(&self) -> &'a [u8] {
        &self.bytes[self.pos.start..self.pos.name_end]
    }

    /// The field name as text (lossy for bytes that are not UTF-8, which a name cannot
    /// contain).
    pub fn name_str(&self) -> Cow<'a, str> {
        String::from_utf8_lossy(self.name())
    }

    /// Whether the name equals `name`, ignoring ASCII case.
    pub fn is_named(&self, name: &str) -> bool {
        self.pos.key == name_key(name.as_bytes())
            && self.name().eq_ignore_ascii_case(name.as_bytes())
    }

    /// The value as stored: everything after the colon, folding line breaks included, the
    /// final line ending excluded.
    pub fn raw_value(&self) -> &'a [u8] {
        &self.bytes[self.pos.value_start..self.pos.value_end]
    }

    /// The whole field as stored, from the first byte of the name to its final line ending.
    pub fn raw(&self) -> &'a [u8] {
        &self.bytes[self.pos.start..self.pos.end]
    }

    /// The value unfolded (line breaks removed) and trimmed, lossy for bytes that are not
    /// UTF-8. Borrows when nothing needs to change.
    pub fn value(&self) -> Cow<'a, str> {
        let raw = trim_ascii(self.raw_value());
        if memchr::memchr2(b'\r', b'\n', raw).is_none() {
            return String::from_utf8_lossy(raw);
        }
        let unfolded: Vec<u8> = raw
            .iter()
            .copied()
            .filter(|&b| b != b'\r' && b != b'\n')
            .collect();
        Cow::Owned(String::from_utf8_lossy(&unfolded).into_owned())
    }

    /// The value as a mail client displays it: unfolded, with RFC 2047 encoded words decoded.
    pub fn decoded(&self) -> String {
        let raw = self.raw_value();
        if find_pair(raw, *b"=?").is_none() {
            return self.value().into_owned();
        }
        let mut input = Vec::with_capacity(raw.len() + 2);
        input.extend_from_slice(raw);
        input.extend_from_slice(b"\r\n");
        let mut stream = mail_parser::parsers::MessageStream::new(&input);
        match stream.parse_unstructured() {
            mail_parser::HeaderValue::Text(t) => t.trim().to_string(),
            mail_parser::HeaderValue::TextList(list) => list.join(" ").trim().to_string(),
            _ => self.value().into_owned(),
        }
    }

    /// Absolute span of the whole field, final line ending included.
    pub fn span(&self) -> Span {
        Span::from_relative(self.base, self.pos.start..self.pos.end)
    }

    /// Absolute span of the name.
    pub fn name_span(&self) -> Span {
        Span::from_relative(self.base, self.pos.start..self.pos.name_end)
    }

    /// Absolute span of the raw value (after the colon, final line ending excluded).
    pub fn value_span(&self) -> Span {
        Span::from_relative(self.base, self.pos.value_start..self.pos.value_end)
    }

    /// Whether the value spans several lines.
    pub fn is_folded(&self) -> bool {
        memchr::memchr(b'\n', self.raw_value()).is_some()
    }
}

fn trim_ascii(mut b: &[u8]) -> &[u8] {
    while let [first, rest @ ..] = b {
        if first.is_ascii_whitespace() {
            b = rest;
        } else {
            break;
        }
    }
    while let [rest @ .., last] = b {
        if last.is_ascii_whitespace() {
            b = rest;
        } else {
            break;
        }
    }
    b
}

/// The first position of the two-byte sequence `pair` in `hay`: memchr on its first byte.
/// Header values are short, where a general substring search costs more to set up than to
/// run.
pub(crate) fn find_pair(hay: &[u8], pair: [u8; 2]) -> Option<usize> {
    memchr::memchr_iter(pair[0], hay).find(|&i| hay.get(i + 1) == Some(&pair[1]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn find_pair_agrees_with_a_window_search(
            hay in proptest::collection::vec(prop_oneof![Just(b'='), Just(b'?'), any::<u8>()], 0..80),
        ) {
            let reference = hay.windows(2).position(|w| w == b"=?");
            prop_assert_eq!(find_pair(&hay, *b"=?"), reference);
        }
    }

    fn spans(h: &Headers<'_>) -> Vec<(Span, Span, Span)> {
        h.iter()
            .map(|f| (f.span(), f.name_span(), f.value_span()))
            .collect()
    }

    proptest! {
        /// A recycled buffer gives the index a fresh parse gives.
        #[test]
        fn a_reused_buffer_gives_the_same_index(
            data in proptest::collection::vec(
                prop_oneof![Just(b':'), Just(b' '), Just(b'\r'), Just(b'\n'), Just(b'a'), any::<u8>()],
                0..400,
            ),
            base in 0u64..1 << 40,
        ) {
            let fresh = Headers::parse(&data, base);
            let buf = Headers::parse(b"A: 1\nB: 2\nC: 3\n\n", 0).recycle();
            let again = Headers::parse_reusing(&data, base, buf);
            prop_assert_eq!(spans(&again), spans(&fresh));
            prop_assert_eq!(again.body_start(), fresh.body_start());
            prop_assert_eq!(again.has_blank_line(), fresh.has_blank_line());
        }
    }

    #[test]
    fn indexes_fields_with_spans_and_body() {
        let m = b"From: a@b\r\nSubject: one\r\n two\r\nsubject: dup\r\n\r\nbody\r\n";
        let h = Headers::parse(m, 1000);
        assert_eq!(h.len(), 3);
        let s = h.get("SUBJECT").unwrap();
        assert_eq!(s.raw_value(), b" one\r\n two");
        assert_eq!(s.value(), "one two");
        assert!(s.is_folded());
        assert_eq!(s.span(), Span::new(1011, 1031));
        assert_eq!(h.last("subject").unwrap().value(), "dup");
        assert_eq!(h.count("Subject"), 2);
        assert_eq!(h.body(), b"body\r\n");
        assert_eq!(h.body_span(), Span::new(1000 + 47, 1000 + m.len() as u64));
        assert!(h.has_blank_line());
    }

    #[test]
    fn lf_and_mixed_endings() {
        let m = b"A: 1\nB: 2\r\nC:3\n\nx";
        let h = Headers::parse(m, 0);
        let names: Vec<_> = h.iter().map(|f| f.name_str().into_owned()).collect();
        assert_eq!(names, ["A", "B", "C"]);
        assert_eq!(h.get("c").unwrap().value(), "3");
        assert_eq!(h.body(), b"x");
    }

    #[test]
    fn cr_only_line_endings() {
        let m = b"From: a@b\rSubject: one\r two\r\rbody\r";
        let h = Headers::parse(m, 0);
        assert_eq!(h.len(), 2);
        assert_eq!(h.get("subject").unwrap().raw_value(), b" one\r two");
        assert_eq!(h.get("subject").unwrap().value(), "one two");
        assert!(h.has_blank_line());
        assert_eq!(h.body(), b"body\r");
        // A CRLF is one line ending, not a CR line and an empty LF line.
        let h = Headers::parse(b"A: 1\r\nB: 2\r\n\r\nx", 0);
        assert_eq!((h.len(), h.body()), (2, &b"x"[..]));
    }

    #[test]
    fn no_blank_line_before_body() {
        let h = Headers::parse(b"A: 1\nthis is body text\nmore\n", 0);
        assert_eq!(h.len(), 1);
        assert_eq!(h.body(), b"this is body text\nmore\n");
        assert!(!h.has_blank_line());
        let h = Headers::parse(b"A: 1\nB: 2", 0);
        assert_eq!(h.len(), 2);
        assert_eq!(h.get("b").unwrap().raw_value(), b" 2");
        assert!(h.body().is_empty());
        assert!(!h.has_blank_line());
    }

    #[test]
    fn eight_bit_and_encoded_words() {
        let m = b"Subject: caf\xe9\nFrom: =?UTF-8?B?w6lsaXNl?= <e@x.fr>\n\n";
        let h = Headers::parse(m, 0);
        assert_eq!(h.get("subject").unwrap().raw_value(), b" caf\xe9");
        assert_eq!(h.get("subject").unwrap().value(), "caf\u{fffd}");
        assert_eq!(h.get("from").unwrap().decoded(), "élise <e@x.fr>");
    }

    #[test]
    fn stray_continuation_at_top() {
        let h = Headers::parse(b" folded\nA: 1\n\n", 5);
        assert_eq!(h.stray_lines().collect::<Vec<_>>(), [Span::new(5, 13)]);
        assert_eq!(h.len(), 1);
    }

    #[test]
    fn reuse_keeps_capacity() {
        let h = Headers::parse(b"A: 1\nB: 2\n\n", 0);
        let buf = h.recycle();
        let h2 = Headers::parse_reusing(b"C: 3\n\n", 0, buf);
        assert_eq!(h2.len(), 1);
        assert_eq!(h2.get("c").unwrap().value(), "3");
    }
}
