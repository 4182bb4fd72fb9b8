//! The whole scanner on arbitrary bytes, with the sample's keys: no panic, one report per
//! message in order, and every byte of the input accounted for (messages with their framing,
//! gaps, and messages over the limit) unless the input was skipped as not mail.
#![no_main]

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use mailsleuth::auth::KeyStore;
use mailsleuth::{Analyzer, Input, Reader, Scanner};

const KEYS: &str = include_str!("../../examples/data/keys.keymap");

fuzz_target!(|data: &[u8]| {
    let mut keys = KeyStore::new();
    keys.parse_str(KEYS, "keys.keymap");
    let scanner = Scanner::new(Analyzer::new(keys))
        .threads(1)
        .reader(Reader::new().max_message_size(256 * 1024));
    let input = Input::Bytes {
        name: "fuzz.mbox".into(),
        data: Bytes::copy_from_slice(data),
    };
    let mut scan = scanner.scan([input]);
    let mut expected_index = 0;
    let mut skipped = false;
    // An input that turns out to be a container or store (gzip, tar, zip, PST magic) gives
    // messages of its members, whose offsets are in the members, not in the input.
    let mut container = false;
    for item in scan.by_ref() {
        match item {
            Ok(report) => {
                assert_eq!(report.index, expected_index);
                expected_index += 1;
                if report.source != "fuzz.mbox" {
                    assert!(report.source.starts_with("fuzz.mbox!"));
                    container = true;
                    continue;
                }
                assert!(report.offset + report.length <= data.len() as u64);
                for d in &report.dkim {
                    assert!(d.span.end <= data.len() as u64);
                }
            }
            Err(mailsleuth::Error::Skipped { .. }) => skipped = true,
            Err(mailsleuth::Error::Container { .. }) => container = true,
            Err(e) => container |= e.to_string().starts_with("fuzz.mbox!"),
        }
    }
    let summary = scan.finish().into_summary();
    assert_eq!(summary.messages, expected_index);
    if !skipped && !container {
        assert_eq!(summary.bytes, data.len() as u64, "every byte accounted for");
    }
});
