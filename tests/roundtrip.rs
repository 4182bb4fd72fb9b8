//! Property tests: random messages written by a reference mbox writer read back as the same
//! messages, through every reading path; with LF, CRLF or classic Mac (CR) line endings, and
//! with bytes in front of the first separator (a header-like line, junk, pages of blank
//! lines) that must come back as one gap.

use mailsleuth::{Quoting, unquote};
use mailsleuth_testkit::entries::{Item, assert_partition, read_every_way};
use proptest::prelude::*;

/// One random message: header lines and body lines (without line endings), and its line
/// ending.
#[derive(Debug, Clone)]
struct Msg {
    headers: Vec<String>,
    body: Vec<Vec<u8>>,
    eol: &'static [u8],
}

fn eol() -> impl Strategy<Value = &'static [u8]> {
    prop_oneof![Just(&b"\n"[..]), Just(&b"\r\n"[..]), Just(&b"\r"[..])]
}

fn body_line() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        "[ -~]{0,80}".prop_map(String::into_bytes),
        Just(b"From someone@example.org Mon Jan  1 10:00:00 2001".to_vec()),
        Just(b"From here".to_vec()),
        Just(b">From quoted already".to_vec()),
        Just(b">>From twice".to_vec()),
        Just(Vec::new()),
        proptest::collection::vec(
            any::<u8>().prop_filter("no line breaks", |b| *b != b'\n' && *b != b'\r'),
            0..40
        ),
        (1000usize..20000).prop_map(|n| vec![b'y'; n]),
    ]
}

fn message() -> impl Strategy<Value = Msg> {
    (
        proptest::collection::vec("[A-Z][a-z]{1,8}: [ -~]{0,40}", 1..6),
        proptest::collection::vec(body_line(), 0..12),
        eol(),
    )
        .prop_map(|(mut headers, body, eol)| {
            // A field every message has, so that the first separator is found after any
            // bytes put in front of the dump.
            headers.insert(0, "Subject: roundtrip".into());
            Msg { headers, body, eol }
        })
}

/// The message as its sender stored it.
fn original(m: &Msg) -> Vec<u8> {
    let eol = m.eol;
    let mut v = Vec::new();
    for h in &m.headers {
        v.extend_from_slice(h.as_bytes());
        v.extend_from_slice(eol);
    }
    v.extend_from_slice(eol);
    for l in &m.body {
        v.extend_from_slice(l);
        v.extend_from_slice(eol);
    }
    v
}

/// A reference mboxrd writer (RFC 4155 with mboxrd quoting): separator, message with every
/// `>*From ` line quoted once more, and one empty line.
fn write_mboxrd(messages: &[Vec<u8>], eol: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, m) in messages.iter().enumerate() {
        out.extend_from_slice(
            format!("From sender{i}@example.org Mon Jan  1 10:00:00 2001").as_bytes(),
        );
        out.extend_from_slice(eol);
        // Lines end with LF, or with CR where no LF follows (the messages' own endings).
        let lines = m.split_inclusive(|&b| b == b'\n').flat_map(|l| {
            if l.ends_with(b"\n") {
                vec![l]
            } else {
                l.split_inclusive(|&b| b == b'\r').collect()
            }
        });
        for line in lines {
            let quotes = line.iter().take_while(|&&b| b == b'>').count();
            if line[quotes..].starts_with(b"From ") {
                out.push(b'>');
            }
            out.extend_from_slice(line);
        }
        out.extend_from_slice(eol);
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(48),
        ..ProptestConfig::default()
    })]

    #[test]
    fn written_messages_read_back_identical(
        msgs in proptest::collection::vec(message(), 1..6),
        eol in eol(),
        head in prop_oneof![
            Just(Vec::new()),
            Just(b"X-Exported-By: x\n\n".to_vec()),
            Just(b"junk that is not a header\r\n".to_vec()),
            Just(b"\r".repeat(5000)),
        ],
    ) {
        // A CR-ended line before an LF would read as one CRLF: classic Mac line endings are
        // a whole file's, not mixed with the others.
        let msgs: Vec<Msg> = msgs
            .into_iter()
            .map(|mut m| {
                if eol == b"\r" || m.eol == b"\r" {
                    m.eol = eol;
                }
                m
            })
            .collect();
        let originals: Vec<Vec<u8>> = msgs.iter().map(original).collect();
        let dump = [head.clone(), write_mboxrd(&originals, eol)].concat();
        let items = read_every_way(&dump);
        assert_partition(&dump, &items);
        if !head.is_empty() {
            prop_assert_eq!(
                &items[0],
                &Item::Gap { span: mailsleuth::Span::new(0, head.len() as u64), reason: "junk".into() }
            );
        }
        let read: Vec<&Item> = items.iter().filter(|i| i.is_message()).collect();
        prop_assert_eq!(read.len(), originals.len());
        for (item, orig) in read.iter().zip(&originals) {
            prop_assert_eq!(&*unquote(item.bytes(), Quoting::Mboxrd), &orig[..]);
        }
    }
}
