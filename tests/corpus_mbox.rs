//! Opt-in tests over the shared corpus (`cargo test -- --ignored`). The corpus lives outside
//! the repository: set `MAILSLEUTH_CORPUS` (see `mailsleuth_testkit::corpus`).

use std::path::Path;

use mailsleuth::{Entry, Message, Reader};
use mailsleuth_testkit::corpus::corpus_or_skip;

fn messages_of(entries: impl Iterator<Item = mailsleuth::Result<Entry>>) -> Vec<Message> {
    entries
        .map(|e| e.expect("no read error"))
        .filter_map(Entry::into_message)
        .collect()
}

/// Offsets from a MimeKit `*-offsets.json` file: (marker, begin, end) per message.
fn mimekit_offsets(path: &Path) -> Vec<(u64, u64, u64)> {
    let text = std::fs::read_to_string(path).expect("offsets file");
    let json: serde_json::Value = serde_json::from_str(&text).expect("json");
    json.as_array()
        .expect("array")
        .iter()
        .map(|m| {
            let n = |k: &str| m[k].as_u64().expect(k);
            (n("mboxMarkerOffset"), n("beginOffset"), n("endOffset"))
        })
        .collect()
}

/// MimeKit's end offset leaves out the line ending just before the next `From ` line; ours
/// leaves out only the empty line RFC 4155 puts there. So where a message runs straight into
/// the next separator, ours is longer by exactly that line ending.
fn check_against_mimekit(corpus: &Path, data: &[u8], offsets_file: &str) {
    let offsets = mimekit_offsets(&corpus.join("mbox/mimekit").join(offsets_file));
    let reader = Reader::new();
    let msgs = messages_of(reader.read_bytes(offsets_file, bytes::Bytes::copy_from_slice(data)));
    assert_eq!(msgs.len(), offsets.len(), "message count");
    for (m, &(marker, begin, end)) in msgs.iter().zip(&offsets) {
        assert_eq!(m.separator_offset(), Some(marker));
        assert_eq!(m.offset(), begin);
        let ours = m.offset() + m.len();
        let next = m.extent().end;
        if ours == next && next as usize != data.len() {
            let eol = if data[..ours as usize].ends_with(b"\r\n") {
                2
            } else {
                1
            };
            assert_eq!(ours - eol, end, "message at {begin}");
        } else {
            assert_eq!(ours, end, "message at {begin}");
        }
    }
}

#[test]
#[ignore = "needs the shared corpus"]
fn mimekit_files_split_at_their_offsets() {
    let Some(corpus) = corpus_or_skip() else {
        return;
    };
    for name in ["content-length", "issue1189"] {
        let unix = std::fs::read(corpus.join(format!("mbox/mimekit/{name}.mbox.txt"))).unwrap();
        check_against_mimekit(&corpus, &unix, &format!("{name}.unix-offsets.json"));
        let mut dos = Vec::new();
        for line in unix.split_inclusive(|&b| b == b'\n') {
            match line.strip_suffix(b"\n") {
                Some(l) => {
                    dos.extend_from_slice(l);
                    dos.extend_from_slice(b"\r\n");
                }
                None => dos.extend_from_slice(line),
            }
        }
        check_against_mimekit(&corpus, &dos, &format!("{name}.dos-offsets.json"));
    }
}

#[test]
#[ignore = "needs the shared corpus"]
fn mail_box_files_hold_45_messages_each() {
    let Some(corpus) = corpus_or_skip() else {
        return;
    };
    for name in ["mbox.src", "mbox.win"] {
        let path = corpus.join("mbox/mail-box").join(name);
        let mapped = messages_of(Reader::new().open(&path));
        let streamed = messages_of(Reader::new().buffer_size(4096).open_streaming(&path));
        assert_eq!(mapped.len(), 45, "{name}");
        assert_eq!(streamed.len(), 45, "{name}");
        for (a, b) in mapped.iter().zip(&streamed) {
            assert_eq!(a.span(), b.span());
            assert_eq!(a.bytes(), b.bytes());
        }
    }
}
