//! Helpers shared by the fuzz targets: the reader invariants and a normal form of entries
//! for comparing the slice and streaming paths.

use std::io::{ErrorKind, Read};

use bytes::Bytes;
use mailsleuth::{Anomaly, AnomalyCode, Entries, Entry, Error, Format, GapReason, Span};

/// One reader item in a form that can be compared and printed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    /// A message.
    Message {
        index: u64,
        format: Format,
        extent: Span,
        span: Span,
        /// Length and FNV-1a hash of the bytes (which `collect` checks are the input's bytes
        /// at `span`); kept short so that a failing comparison prints readably.
        bytes: (usize, u64),
        separator: Option<(Span, Vec<u8>)>,
        envelope_sender: Option<String>,
        envelope_date: Option<String>,
        anomalies: Vec<Anomaly>,
    },
    /// A gap.
    Gap { span: Span, reason: GapReason },
    /// A message over the size limit.
    TooLarge {
        offset: u64,
        length: u64,
        limit: u64,
    },
    /// A message of a container or store the input turned out to be (its source names a
    /// member: `fuzz.mbox!...`): its bytes are not the input's, so only its place is kept.
    Member {
        index: u64,
        source: String,
        format: Format,
        span: Span,
        bytes: (usize, u64),
    },
    /// Anything else that went wrong, as displayed.
    Error(String),
}

impl Item {
    /// The bytes of the input this item accounts for, if it accounts for any.
    pub fn extent(&self) -> Option<Span> {
        match self {
            Item::Message { extent, .. } => Some(*extent),
            Item::Gap { span, .. } => Some(*span),
            Item::TooLarge { offset, length, .. } => Some(Span::new(*offset, offset + length)),
            Item::Member { .. } | Item::Error(_) => None,
        }
    }
}

/// Read every item, checking the per-message invariants on the way (each message against
/// the `input` it was read from; a message of a container or store the input turned out to
/// be, against its own bytes only).
pub fn collect(entries: Entries, input: &[u8]) -> Vec<Item> {
    entries
        .map(|e| match e {
            Ok(Entry::Message(m)) if m.source() != std::path::Path::new("fuzz.mbox") => {
                assert!(m.source().to_string_lossy().starts_with("fuzz.mbox!"));
                let _ = m.headers();
                Item::Member {
                    index: m.index(),
                    source: m.source().to_string_lossy().into_owned(),
                    format: m.format(),
                    span: m.span(),
                    bytes: (m.bytes().len(), fnv1a(m.bytes())),
                }
            }
            Ok(Entry::Message(m)) => {
                check_message(&m, input);
                Item::Message {
                    index: m.index(),
                    format: m.format(),
                    extent: m.extent(),
                    span: m.span(),
                    bytes: (m.bytes().len(), fnv1a(m.bytes())),
                    separator: m.separator().map(|(s, b)| (s, b.to_vec())),
                    envelope_sender: m.envelope_from().map(|s| s.into_owned()),
                    envelope_date: m.envelope_date().map(|s| s.into_owned()),
                    anomalies: m.anomalies().to_vec(),
                }
            }
            Ok(Entry::Gap(g)) => Item::Gap {
                span: g.span,
                reason: g.reason,
            },
            Err(Error::MessageTooLarge {
                offset,
                length,
                limit,
                ..
            }) => Item::TooLarge {
                offset,
                length,
                limit,
            },
            Err(e @ Error::Container { .. }) => Item::Error(format!("[container] {e}")),
            Err(e) => Item::Error(e.to_string()),
        })
        .collect()
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

fn slice(input: &[u8], span: Span) -> &[u8] {
    let r = span.relative_to(0).expect("span fits");
    &input[r]
}

/// Invariants of one message read from `input`.
fn check_message(m: &mailsleuth::Message, input: &[u8]) {
    let len = input.len() as u64;
    let extent = m.extent();
    let span = m.span();
    assert!(
        extent.end <= len,
        "extent {extent} past the input ({len} bytes)"
    );
    assert!(extent.contains(span), "span {span} outside extent {extent}");
    assert_eq!(m.len(), m.bytes().len() as u64);
    assert_eq!(&m.bytes()[..], slice(input, span), "bytes of {span}");
    if let Some((sep, line)) = m.separator() {
        assert!(
            extent.contains(sep),
            "separator {sep} outside extent {extent}"
        );
        assert!(
            sep.end <= span.start,
            "separator {sep} overlaps message {span}"
        );
        assert_eq!(line, slice(input, sep), "separator bytes");
        assert_eq!(m.separator_offset(), Some(sep.start));
    } else {
        assert_eq!(m.separator_offset(), None);
    }
    let mut last = None;
    for a in m.anomalies() {
        if a.code == AnomalyCode::SeparatorWithoutBlankLine {
            // Documented: the message that runs straight into the next separator carries
            // the anomaly, and its span is that next separator line.
            assert_eq!(a.span.start, extent.end, "{:?} at {}", a.code, a.span);
            assert!(
                a.span.end <= len && !a.span.is_empty(),
                "{:?} at {}",
                a.code,
                a.span
            );
        } else {
            assert!(
                extent.contains(a.span),
                "anomaly {:?} at {} outside extent {extent}",
                a.code,
                a.span
            );
        }
        if let Some(prev) = last {
            assert!(prev <= a.span, "anomalies out of order");
        }
        last = Some(a.span);
    }
    // Derived views must not panic.
    let _ = m.envelope_from();
    let _ = m.envelope_date();
    let unquoted = m.unquoted();
    assert!(unquoted.len() <= m.bytes().len());
    let headers = m.headers();
    assert!(headers.body_start() <= m.bytes().len());
    assert_eq!(headers.body_span().end, span.end);
    let _ = m.content_anomalies(&headers);
}

/// The entries of a mailbox (or single message) must cover the input exactly, in order;
/// an input that is not mail is one `Skipped` error and nothing else.
pub fn check_partition(items: &[Item], input_len: usize) {
    if items.iter().any(|i| matches!(i, Item::Member { .. }))
        || items.iter().any(|i| {
            matches!(i, Item::Error(e) if e.starts_with("fuzz.mbox!") || e.starts_with("[container]"))
        })
    {
        // A container or store: its members are checked against their own bytes, and any
        // number of them may fail on their own.
        return;
    }
    if items.iter().any(|i| matches!(i, Item::Error(_))) {
        assert_eq!(items.len(), 1, "an error item among others: {items:?}");
        return;
    }
    let mut at = 0u64;
    let mut index = 0u64;
    for item in items {
        let extent = item.extent().expect("entries account for bytes");
        assert_eq!(extent.start, at, "entries not contiguous at {at}: {item:?}");
        assert!(
            !extent.is_empty() || input_len == 0,
            "empty extent at {at}: {item:?}"
        );
        at = extent.end;
        if let Item::Message {
            index: i, format, ..
        } = item
        {
            assert_eq!(*i, index, "message indexes are sequential");
            index += 1;
            if *format == Format::Eml {
                assert_eq!(items.len(), 1, "a single message file is one entry");
            }
        }
    }
    assert_eq!(at, input_len as u64, "entries do not cover the input");
}

/// Replace each `0x7F` byte (up to 16 of them) with 64 KiB of text lines, so that inputs under
/// libFuzzer's length limit can still hold messages over the reader's smallest size limit
/// (256 KiB).
pub fn inflate(data: &[u8]) -> Vec<u8> {
    const FILL: usize = 64 * 1024;
    let mut out = Vec::with_capacity(data.len());
    let mut n = 0;
    for &b in data {
        if b == 0x7F && n < 16 {
            n += 1;
            for _ in 0..FILL / 64 {
                out.extend_from_slice(&[b'x'; 63]);
                out.push(b'\n');
            }
        } else {
            out.push(b);
        }
    }
    out
}

/// A `Read` that hands out its bytes in irregular short reads, and sometimes fails with
/// `Interrupted` (which the reader must retry).
pub struct Trickle {
    data: Bytes,
    pos: usize,
    state: u64,
    max: usize,
    interrupts: bool,
}

impl Trickle {
    /// Reads of 1..=`max` bytes, sizes drawn from `seed`.
    pub fn new(data: Bytes, seed: u64, max: usize, interrupts: bool) -> Self {
        Trickle {
            data,
            pos: 0,
            state: seed | 1,
            max: max.max(1),
            interrupts,
        }
    }

    fn next(&mut self) -> u64 {
        // xorshift64
        self.state ^= self.state << 13;
        self.state ^= self.state >> 7;
        self.state ^= self.state << 17;
        self.state
    }
}

impl Read for Trickle {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let r = self.next();
        if self.interrupts && r % 7 == 0 {
            return Err(ErrorKind::Interrupted.into());
        }
        let n = (1 + (r >> 8) as usize % self.max)
            .min(buf.len())
            .min(self.data.len() - self.pos);
        buf[..n].copy_from_slice(&self.data[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// A zip of STORED entries, for the attachment metadata targets (enough for the zip reader:
/// local headers, central directory, end record; CRCs computed).
pub fn stored_zip(files: &[(&str, &[u8])]) -> Vec<u8> {
    fn crc32(data: &[u8]) -> u32 {
        let mut crc = !0u32;
        for &b in data {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 != 0 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
            }
        }
        !crc
    }
    let mut out = Vec::new();
    let mut central = Vec::new();
    for (name, data) in files {
        let crc = crc32(data);
        let offset = out.len() as u32;
        let size = data.len() as u32;
        let fixed = |v: &mut Vec<u8>| {
            v.extend_from_slice(&[20, 0, 0, 0, 0, 0, 0, 0, 0x21, 0]);
            v.extend_from_slice(&crc.to_le_bytes());
            v.extend_from_slice(&size.to_le_bytes());
            v.extend_from_slice(&size.to_le_bytes());
            v.extend_from_slice(&(name.len() as u16).to_le_bytes());
        };
        out.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
        fixed(&mut out);
        out.extend_from_slice(&0u16.to_le_bytes());
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(data);
        central.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
        central.extend_from_slice(&20u16.to_le_bytes());
        fixed(&mut central);
        central.extend_from_slice(&[0; 12]);
        central.extend_from_slice(&offset.to_le_bytes());
        central.extend_from_slice(name.as_bytes());
    }
    let cd = out.len() as u32;
    out.extend_from_slice(&central);
    out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    out.extend_from_slice(&[0; 4]);
    out.extend_from_slice(&(files.len() as u16).to_le_bytes());
    out.extend_from_slice(&(files.len() as u16).to_le_bytes());
    out.extend_from_slice(&(central.len() as u32).to_le_bytes());
    out.extend_from_slice(&cd.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out
}
