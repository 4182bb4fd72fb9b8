//! A normal form of the reader's entries, for tests that read the same input every way the
//! reader offers (the slice path, the streaming path at several buffer sizes, a memory-mapped
//! file, a streamed file, resuming at each record boundary), check that every way agrees, and
//! then assert on what they agree on.

use std::io::Write;

use bytes::Bytes;
use mailsleuth::{Entry, Reader, Span};

/// What a reading path produced for one entry, in a form that can be compared and printed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    /// A message.
    Message {
        /// Its format, as displayed (`mboxrd`, `eml`, ...).
        format: String,
        /// The bytes it accounts for, separator line included.
        extent: Span,
        /// The message itself.
        span: Span,
        /// The separator line, if it has one.
        separator: Option<Span>,
        /// The bytes at `span`.
        bytes: Vec<u8>,
        /// The envelope sender of the separator line.
        envelope_sender: Option<String>,
        /// The envelope date of the separator line.
        envelope_date: Option<String>,
        /// The reader's anomalies: code (as displayed) and span.
        anomalies: Vec<(String, Span)>,
    },
    /// A gap: bytes that belong to no message.
    Gap {
        /// The bytes of the gap.
        span: Span,
        /// Why they are a gap (`GapReason::as_str`).
        reason: String,
    },
    /// An error, as displayed (with the input named `slice.mbox` on every path).
    Error(String),
}

impl Item {
    /// Whether it is a message.
    pub fn is_message(&self) -> bool {
        matches!(self, Item::Message { .. })
    }

    /// The bytes of a message; empty for anything else.
    pub fn bytes(&self) -> &[u8] {
        match self {
            Item::Message { bytes, .. } => bytes,
            _ => &[],
        }
    }

    /// The anomaly codes of a message, in order; empty for anything else.
    pub fn anomaly_codes(&self) -> Vec<String> {
        match self {
            Item::Message { anomalies, .. } => anomalies.iter().map(|a| a.0.clone()).collect(),
            _ => Vec::new(),
        }
    }
}

fn items(entries: impl Iterator<Item = mailsleuth::Result<Entry>>) -> Vec<Item> {
    entries
        .map(|e| match e {
            Ok(Entry::Message(m)) => Item::Message {
                format: m.format().to_string(),
                extent: m.extent(),
                span: m.span(),
                separator: m.separator().map(|(s, _)| s),
                bytes: m.bytes().to_vec(),
                envelope_sender: m.envelope_from().map(|s| s.into_owned()),
                envelope_date: m.envelope_date().map(|s| s.into_owned()),
                anomalies: m
                    .anomalies()
                    .iter()
                    .map(|a| (a.code.to_string(), a.span))
                    .collect(),
            },
            Ok(Entry::Gap(g)) => Item::Gap {
                span: g.span,
                reason: g.reason.as_str().to_string(),
            },
            // The path differs between drivers only in how the source is named.
            Err(e) => Item::Error(e.to_string().replace("stream.mbox", "slice.mbox")),
        })
        .collect()
}

/// A reader that gives at most `step` bytes a call, like a pipe or a socket.
struct Trickle {
    data: Vec<u8>,
    pos: usize,
    step: usize,
}

impl std::io::Read for Trickle {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let rest = self.data.get(self.pos..).unwrap_or_default();
        let n = rest.len().min(buf.len()).min(self.step);
        buf[..n].copy_from_slice(&rest[..n]);
        self.pos += n;
        Ok(n)
    }
}

/// Read `data` through the slice path, the streaming path at buffer sizes 1, 7, 64 and the
/// default (and with short reads), and from a file through the default reader, the memory map and the streaming file
/// path, and resumed at every record start both ways. All must give the same items; they are
/// returned.
pub fn read_every_way(data: &[u8]) -> Vec<Item> {
    read_every_way_with(Reader::new(), data)
}

/// [`read_every_way`] with a configured reader.
pub fn read_every_way_with(reader: Reader, data: &[u8]) -> Vec<Item> {
    let expected = items(reader.read_bytes("slice.mbox", Bytes::copy_from_slice(data)));
    for size in [1usize, 7, 64, mailsleuth::read::DEFAULT_BUFFER_SIZE] {
        let r = reader.clone().buffer_size(size);
        let got = items(r.read_stream("stream.mbox", std::io::Cursor::new(data.to_vec())));
        assert_eq!(got, expected, "streaming path with buffer size {size}");
    }
    // Short reads, as from a pipe: the reader reads on until its buffer is full.
    for (size, step) in [
        (64usize, 5usize),
        (mailsleuth::read::DEFAULT_BUFFER_SIZE, 4093),
    ] {
        let r = reader.clone().buffer_size(size);
        let trickle = Trickle {
            data: data.to_vec(),
            pos: 0,
            step,
        };
        let got = items(r.read_stream("stream.mbox", trickle));
        assert_eq!(
            got, expected,
            "streaming path with buffer size {size}, {step} bytes a read"
        );
    }
    let dir = std::env::temp_dir().join(format!("mailsleuth-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{:016x}.mbox", fxhash(data)));
    std::fs::File::create(&path)
        .unwrap()
        .write_all(data)
        .unwrap();
    let rename = |items: Vec<Item>| -> Vec<Item> {
        items
            .into_iter()
            .map(|i| match i {
                Item::Error(e) => Item::Error(e.replace(&path.display().to_string(), "slice.mbox")),
                other => other,
            })
            .collect()
    };
    let mapped = rename(items(reader.clone().memory_map(true).open(&path)));
    let opened = rename(items(reader.open(&path)));
    let streamed = rename(items(
        reader.clone().buffer_size(4096).open_streaming(&path),
    ));
    // Resuming at any record boundary of a mailbox gives the rest of the full read.
    let is_mailbox = expected.iter().any(|i| {
        matches!(
            i,
            Item::Message {
                separator: Some(_),
                ..
            }
        )
    });
    if is_mailbox {
        for (k, item) in expected.iter().enumerate().skip(1) {
            let start = match item {
                Item::Message { extent, .. } => extent.start,
                Item::Gap { span, .. } => span.start,
                Item::Error(_) => continue,
            };
            if matches!(expected[k - 1], Item::Error(_)) {
                continue;
            }
            let resumed = rename(items(reader.open_at(&path, start)));
            assert_eq!(resumed, expected[k..], "resumed at {start}");
            let resumed = rename(items(reader.clone().memory_map(true).open_at(&path, start)));
            assert_eq!(resumed, expected[k..], "resumed at {start}, memory map");
        }
    }
    let _ = std::fs::remove_file(&path);
    assert_eq!(mapped, expected, "memory-mapped file");
    assert_eq!(opened, expected, "file opened with the default reader");
    assert_eq!(streamed, expected, "streamed file");
    expected
}

/// Check that the items of a mailbox cover its bytes exactly and each message is where it
/// says it is.
pub fn assert_partition(data: &[u8], items: &[Item]) {
    let mut at = 0u64;
    for item in items {
        let extent = match item {
            Item::Message {
                extent,
                span,
                bytes,
                ..
            } => {
                assert_eq!(&data[span.start as usize..span.end as usize], &bytes[..]);
                assert!(extent.contains(*span));
                *extent
            }
            Item::Gap { span, .. } => *span,
            Item::Error(e) => panic!("unexpected error {e}"),
        };
        assert_eq!(extent.start, at, "entries are contiguous");
        at = extent.end;
    }
    assert_eq!(at, data.len() as u64, "entries cover the input");
}

fn fxhash(data: &[u8]) -> u64 {
    data.iter().fold(0xcbf29ce484222325u64, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x100000001b3)
    })
}
