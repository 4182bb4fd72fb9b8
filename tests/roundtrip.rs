//! Property tests: random messages written by a reference mbox writer read back as the same
//! messages, through every reading path.

use mailsleuth::{Quoting, unquote};
use mailsleuth_testkit::entries::{Item, assert_partition, read_every_way};
use proptest::prelude::*;

/// One random message: header lines and body lines (without line endings), and whether it
/// uses CRLF.
#[derive(Debug, Clone)]
struct Msg {
    headers: Vec<String>,
    body: Vec<Vec<u8>>,
    crlf: bool,
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
        any::<bool>(),
    )
        .prop_map(|(headers, body, crlf)| Msg {
            headers,
            body,
            crlf,
        })
}

/// The message as its sender stored it.
fn original(m: &Msg) -> Vec<u8> {
    let eol: &[u8] = if m.crlf { b"\r\n" } else { b"\n" };
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
fn write_mboxrd(messages: &[Vec<u8>], crlf: bool) -> Vec<u8> {
    let eol: &[u8] = if crlf { b"\r\n" } else { b"\n" };
    let mut out = Vec::new();
    for (i, m) in messages.iter().enumerate() {
        out.extend_from_slice(
            format!("From sender{i}@example.org Mon Jan  1 10:00:00 2001").as_bytes(),
        );
        out.extend_from_slice(eol);
        for line in m.split_inclusive(|&b| b == b'\n') {
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
    fn written_messages_read_back_identical(msgs in proptest::collection::vec(message(), 1..6), crlf in any::<bool>()) {
        let originals: Vec<Vec<u8>> = msgs.iter().map(original).collect();
        let dump = write_mboxrd(&originals, crlf);
        let items = read_every_way(&dump);
        assert_partition(&dump, &items);
        let read: Vec<&Item> = items.iter().filter(|i| i.is_message()).collect();
        prop_assert_eq!(read.len(), originals.len());
        for (item, orig) in read.iter().zip(&originals) {
            prop_assert_eq!(&*unquote(item.bytes(), Quoting::Mboxrd), &orig[..]);
        }
    }
}
