//! One message as stored in a dump, with its place in the source and the reader's anomalies.

use std::borrow::Cow;
use std::path::Path;
use std::sync::Arc;

use bytes::Bytes;
use sha2::{Digest, Sha256};

use crate::read::facts::{Provenance, StoreFacts};
use crate::read::format::{Format, unquote};
use crate::read::headers::Headers;
use crate::span::Span;

/// A structural finding of the reader about how a message is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Anomaly {
    /// What was found.
    pub code: AnomalyCode,
    /// The bytes concerned (absolute; may be empty for a position).
    pub span: Span,
}

/// The kinds of [`Anomaly`]. Each has a stable kebab-case name ([`AnomalyCode::as_str`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "kebab-case"))]
#[non_exhaustive]
pub enum AnomalyCode {
    /// A body line starts with `From ` but could not be a separator (mboxo damage, or a
    /// writer that did not quote): kept as body text.
    UnquotedFromLine,
    /// The message runs straight into the next separator line, with no empty line before it
    /// (the separator was accepted because a header field follows it). The span is that
    /// separator line.
    SeparatorWithoutBlankLine,
    /// A `Content-Length` header does not match the bytes and was ignored.
    ContentLengthMismatch,
    /// The message was cut short: `Content-Length` runs past the end of the file, or an MMDF
    /// message has no closing marker.
    Truncated,
    /// The separator is followed directly by the next separator.
    EmptyMessage,
    /// The file ends inside the message's last line.
    NoFinalNewline,
    /// No empty line separates the header block from the body.
    NoHeaderBodySeparator,
    /// The message mixes CRLF and bare LF line endings. The span is the first line ending
    /// of the less frequent kind, the bytes the finding `mixed-line-endings` marks.
    MixedLineEndings,
    /// The message contains NUL bytes. The span is the first one.
    NulBytes,
}

impl AnomalyCode {
    /// The stable name used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            AnomalyCode::UnquotedFromLine => "unquoted-from-line",
            AnomalyCode::SeparatorWithoutBlankLine => "separator-without-blank-line",
            AnomalyCode::ContentLengthMismatch => "content-length-mismatch",
            AnomalyCode::Truncated => "truncated",
            AnomalyCode::EmptyMessage => "empty-message",
            AnomalyCode::NoFinalNewline => "no-final-newline",
            AnomalyCode::NoHeaderBodySeparator => "no-header-body-separator",
            AnomalyCode::MixedLineEndings => "mixed-line-endings",
            AnomalyCode::NulBytes => "nul-bytes",
        }
    }
}

impl std::fmt::Display for AnomalyCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One message of a dump: its stored bytes (a zero-copy [`Bytes`] slice of the memory map or
/// of the stream buffer), where they are in the source, and what the reader noticed.
#[derive(Debug, Clone)]
pub struct Message {
    pub(crate) index: u64,
    pub(crate) source: Arc<Path>,
    pub(crate) format: Format,
    pub(crate) offset: u64,
    pub(crate) extent: Span,
    pub(crate) data: Bytes,
    pub(crate) separator: Option<(u64, Bytes)>,
    pub(crate) envelope_sender: Option<Span>,
    pub(crate) envelope_date: Option<Span>,
    pub(crate) anomalies: Vec<Anomaly>,
    pub(crate) provenance: Provenance,
    pub(crate) store: Option<Arc<StoreFacts>>,
}

impl Message {
    /// One message held in memory (an `.eml` file's bytes, say), named `source` in reports.
    /// Its offsets are relative to the start of `bytes`; its index is 0.
    pub fn from_bytes(source: impl AsRef<Path>, bytes: impl Into<Bytes>) -> Message {
        Message::whole(Arc::from(source.as_ref()), bytes.into(), Format::Eml, 0)
    }

    /// A whole buffer as one message file of `format`.
    pub(crate) fn whole(source: Arc<Path>, data: Bytes, format: Format, index: u64) -> Message {
        let len = data.len() as u64;
        Message::placed(source, data, 0, Span::new(0, len), format, index)
    }

    /// The bytes `data` found at `offset` of `source`, accounting for the bytes `extent` of it
    /// (a whole `.emlx` file for the message inside it), with no separator line.
    pub(crate) fn placed(
        source: Arc<Path>,
        data: Bytes,
        offset: u64,
        extent: Span,
        format: Format,
        index: u64,
    ) -> Message {
        let end = offset + data.len() as u64;
        let mut anomalies = Vec::new();
        // A last line ended by LF, CRLF or a lone CR is complete.
        if data.last().is_some_and(|&b| b != b'\n' && b != b'\r') {
            anomalies.push(Anomaly {
                code: AnomalyCode::NoFinalNewline,
                span: Span::new(end - 1, end),
            });
        }
        Message {
            index,
            source,
            format,
            offset,
            extent,
            data,
            separator: None,
            envelope_sender: None,
            envelope_date: None,
            anomalies,
            provenance: Provenance::Stored,
            store: None,
        }
    }

    /// One message file (`.eml`, a maildir entry), read whole. For mailboxes and folders use
    /// a [`Reader`](crate::Reader).
    pub fn from_file(path: impl AsRef<Path>) -> crate::Result<Message> {
        let path = path.as_ref();
        let data = std::fs::read(path).map_err(|source| crate::Error::Io {
            path: path.to_path_buf(),
            offset: 0,
            source,
        })?;
        Ok(Message::from_bytes(path, data))
    }

    /// Position of the message among the messages of its reader (0-based).
    pub fn index(&self) -> u64 {
        self.index
    }

    /// The input file the message was read from (as given; `-` for standard input).
    pub fn source(&self) -> &Path {
        &self.source
    }

    /// How the message was stored.
    pub fn format(&self) -> Format {
        self.format
    }

    /// Absolute offset of the message's first byte in its source (after any separator line).
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// Number of stored bytes: from the first header byte to the line ending of the last line.
    pub fn len(&self) -> u64 {
        self.data.len() as u64
    }

    /// Whether the message has no byte at all.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// The absolute span of the stored bytes.
    pub fn span(&self) -> Span {
        Span::new(self.offset, self.offset + self.len())
    }

    /// All bytes of the source this message accounts for: its separator line, the message,
    /// and the empty line or MMDF marker that closes it. The extents of a mailbox's entries
    /// cover the file exactly.
    pub fn extent(&self) -> Span {
        self.extent
    }

    /// The stored bytes, exactly `[offset, offset + len)` of the source.
    pub fn bytes(&self) -> &Bytes {
        &self.data
    }

    /// The separator line (`From ...` or the MMDF marker) with its line ending, and its span.
    pub fn separator(&self) -> Option<(Span, &[u8])> {
        self.separator
            .as_ref()
            .map(|(at, line)| (Span::new(*at, at + line.len() as u64), &line[..]))
    }

    /// Absolute offset of the separator line, `None` for message files.
    pub fn separator_offset(&self) -> Option<u64> {
        self.separator.as_ref().map(|(at, _)| *at)
    }

    /// The envelope sender of the `From ` line (`-` for Thunderbird markers).
    pub fn envelope_from(&self) -> Option<Cow<'_, str>> {
        self.envelope_part(self.envelope_sender)
    }

    /// The envelope date of the `From ` line, as written.
    pub fn envelope_date(&self) -> Option<Cow<'_, str>> {
        self.envelope_part(self.envelope_date)
    }

    fn envelope_part(&self, span: Option<Span>) -> Option<Cow<'_, str>> {
        let (at, line) = self.separator.as_ref()?;
        let range = span?.relative_to(*at)?;
        line.get(range).map(String::from_utf8_lossy)
    }

    /// How the bytes were obtained: stored (the default), stored with an incomplete body (a
    /// `.partial.emlx`), or rebuilt from a store's properties.
    pub fn provenance(&self) -> Provenance {
        self.provenance
    }

    /// Whether the bytes were rebuilt rather than stored (a message of an Outlook store, a
    /// partial Apple Mail message with its attachments put back). Its offsets are then offsets
    /// in the rebuilt bytes, which [`Message::source`] names (`boss.pst!Inbox/00012`).
    pub fn is_reconstructed(&self) -> bool {
        self.provenance == Provenance::Reconstructed
    }

    /// What the store the message came from said about it (an `.emlx` property list, an
    /// Outlook store's properties), if it came from one.
    pub fn store_facts(&self) -> Option<&StoreFacts> {
        self.store.as_deref()
    }

    /// The reader's anomalies, in offset order.
    pub fn anomalies(&self) -> &[Anomaly] {
        &self.anomalies
    }

    /// The message with its mbox quoting undone (`>From ` back to `From `), as the sender's
    /// system stored it before the mbox writer touched it. Borrows when nothing is quoted or
    /// the format does not quote.
    pub fn unquoted(&self) -> Cow<'_, [u8]> {
        match self.format.quoting() {
            Some(q) => unquote(&self.data, q),
            None => Cow::Borrowed(&self.data),
        }
    }

    /// Index the header block (one pass; see [`Headers`]).
    pub fn headers(&self) -> Headers<'_> {
        Headers::parse(&self.data, self.offset)
    }

    /// SHA-256 of exactly the stored bytes.
    pub fn sha256(&self) -> [u8; 32] {
        Sha256::digest(&self.data).into()
    }

    /// SHA-256 of the stored bytes as lowercase hex.
    pub fn sha256_hex(&self) -> String {
        hex(&self.sha256())
    }

    /// Anomalies that need a look at the whole message rather than its framing: a missing
    /// empty line after the headers, mixed line endings, NUL bytes. Costs one pass over the
    /// message; [`Message::anomalies`] does not include these.
    pub fn content_anomalies(&self, headers: &Headers<'_>) -> Vec<Anomaly> {
        let mut out = Vec::new();
        let data = &self.data[..];
        if !headers.has_blank_line() && !data.is_empty() {
            let at = self.offset + headers.body_start() as u64;
            out.push(Anomaly {
                code: AnomalyCode::NoHeaderBodySeparator,
                span: Span::new(at, at),
            });
        }
        let scan = ContentScan::of(data);
        if let Some(at) = scan.mixed_line_endings() {
            out.push(Anomaly {
                code: AnomalyCode::MixedLineEndings,
                span: Span::from_relative(self.offset, at),
            });
        }
        if let Some(at) = scan.first_nul() {
            out.push(Anomaly {
                code: AnomalyCode::NulBytes,
                span: Span::from_relative(self.offset, at),
            });
        }
        out
    }
}

/// What one look at a message's bytes finds about line endings and NUL bytes: the one
/// detection behind the anomalies [`AnomalyCode::MixedLineEndings`] and
/// [`AnomalyCode::NulBytes`] and the findings of the same names, so both mark the same bytes.
/// Line endings are counted only when the bytes hold a CR (without one nothing can mix).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct ContentScan {
    /// Line endings that are CRLF.
    pub crlf: usize,
    /// Line endings that are a bare LF.
    pub lf: usize,
    /// The first CRLF (the position of its CR).
    pub first_crlf: Option<usize>,
    /// The first bare LF.
    pub first_lf: Option<usize>,
    /// NUL bytes.
    pub nuls: usize,
    /// The first NUL byte.
    pub first_nul_at: Option<usize>,
}

impl ContentScan {
    /// Scan `data`. Mail without CR and NUL bytes (the common case of mbox) costs one
    /// memchr-speed pass that finds nothing; otherwise the rest is searched for NUL bytes and
    /// CRs, and line endings are counted only when a CR is there to mix with.
    pub(crate) fn of(data: &[u8]) -> Self {
        let mut scan = ContentScan::default();
        let Some(first) = memchr::memchr2(b'\r', 0, data) else {
            return scan;
        };
        let rest = data.get(first..).unwrap_or_default();
        if let Some(nul) = memchr::memchr(0, rest) {
            scan.first_nul_at = Some(first + nul);
            scan.nuls = memchr::memchr_iter(0, rest.get(nul..).unwrap_or_default()).count();
        }
        if memchr::memchr(b'\r', rest).is_some() {
            for i in memchr::memchr_iter(b'\n', data) {
                if i > 0 && data.get(i - 1) == Some(&b'\r') {
                    scan.crlf += 1;
                    scan.first_crlf.get_or_insert(i - 1);
                } else {
                    scan.lf += 1;
                    scan.first_lf.get_or_insert(i);
                }
            }
        }
        scan
    }

    /// When both kinds occur: the first line ending of the less frequent kind (bare LF on a
    /// tie), relative to the scanned bytes.
    pub(crate) fn mixed_line_endings(&self) -> Option<std::ops::Range<usize>> {
        let (crlf, lf) = (self.first_crlf?, self.first_lf?);
        Some(if self.crlf < self.lf {
            crlf..crlf + 2
        } else {
            lf..lf + 1
        })
    }

    /// The first NUL byte, relative to the scanned bytes.
    pub(crate) fn first_nul(&self) -> Option<std::ops::Range<usize>> {
        self.first_nul_at.map(|at| at..at + 1)
    }
}

/// Bytes as lowercase hex.
pub(crate) fn hex(bytes: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        s.push(char::from(HEX[usize::from(b >> 4)]));
        s.push(char::from(HEX[usize::from(b & 15)]));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The obvious version: look at every byte (line endings counted only when there is a
    /// CR to mix with).
    fn reference(data: &[u8]) -> ContentScan {
        let mut s = ContentScan::default();
        let has_cr = data.contains(&b'\r');
        for (i, &b) in data.iter().enumerate() {
            if b == 0 {
                s.nuls += 1;
                s.first_nul_at.get_or_insert(i);
            } else if b == b'\n' && has_cr {
                if i > 0 && data[i - 1] == b'\r' {
                    s.crlf += 1;
                    s.first_crlf.get_or_insert(i - 1);
                } else {
                    s.lf += 1;
                    s.first_lf.get_or_insert(i);
                }
            }
        }
        s
    }

    #[test]
    fn line_endings_and_nuls() {
        let s = ContentScan::of(b"a\r\nb\nc\nd\r\n");
        assert_eq!((s.crlf, s.lf), (2, 2));
        // A tie marks the first bare LF.
        assert_eq!(s.mixed_line_endings(), Some(4..5));
        let s = ContentScan::of(b"a\r\nb\nc\r\nd\r\n");
        assert_eq!(s.mixed_line_endings(), Some(4..5));
        let s = ContentScan::of(b"a\nb\r\nc\nd\n");
        assert_eq!(s.mixed_line_endings(), Some(3..5));
        assert_eq!(ContentScan::of(b"a\r\nb\r\n").mixed_line_endings(), None);
        assert_eq!(ContentScan::of(b"a\nb\n"), ContentScan::default());
        let s = ContentScan::of(b"a\nb\0c\0\n");
        assert_eq!((s.nuls, s.first_nul()), (2, Some(3..4)));
        assert_eq!(s.mixed_line_endings(), None);
        let s = ContentScan::of(b"\0\r\n\n");
        assert_eq!((s.nuls, s.crlf, s.lf), (1, 1, 1));
    }

    proptest! {
        #[test]
        fn scan_agrees_with_reference(data in proptest::collection::vec(
            prop_oneof![Just(b'\r'), Just(b'\n'), Just(0u8), Just(b'a')], 0..64)) {
            prop_assert_eq!(ContentScan::of(&data), reference(&data));
        }
    }
}
