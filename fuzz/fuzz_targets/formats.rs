//! The readers of the formats leaks arrive in (zip, tar, gzip/xz/bzip2/zstd, Apple Mail
//! `.emlx`, Outlook PST and MSG) on arbitrary bytes, from memory and from a stream, under
//! small budgets: no panic, no hang, every message's bytes and spans consistent, indices in
//! order, and every member named inside its input.
//!
//! The first input byte picks the name the rest is read under (which decides `.emlx` and
//! `.msg`; the others are recognised by their magic bytes).
#![no_main]

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use mailsleuth::read::ContainerLimits;
use mailsleuth::{Entries, Entry, Reader};

const NAMES: [&str; 7] = [
    "fuzz.zip",
    "fuzz.tar",
    "fuzz.mbox.gz",
    "fuzz.emlx",
    "fuzz.partial.emlx",
    "fuzz.msg",
    "fuzz.pst",
];

fn check(name: &str, entries: Entries) {
    let mut index = 0;
    for entry in entries {
        let Ok(Entry::Message(m)) = entry else { continue };
        assert_eq!(m.index(), index);
        index += 1;
        assert!(m.source().to_string_lossy().starts_with(name));
        assert_eq!(m.len(), m.bytes().len() as u64);
        assert!(m.extent().contains(m.span()));
        let headers = m.headers();
        assert!(headers.body_start() <= m.bytes().len());
        let _ = m.content_anomalies(&headers);
        let _ = m.store_facts();
    }
}

fuzz_target!(|input: &[u8]| {
    let Some((&pick, rest)) = input.split_first() else {
        return;
    };
    let name = NAMES[usize::from(pick) % NAMES.len()];
    let mut limits = ContainerLimits::default();
    limits.max_member_bytes = 4 << 20;
    limits.max_total_bytes = 16 << 20;
    limits.ratio_grace_bytes = 1 << 20;
    limits.max_buffer = 1 << 20;
    limits.max_entries = 1000;
    limits.max_messages = 1000;
    limits.max_folders = 1000;
    let reader = Reader::new()
        .max_message_size(256 * 1024)
        .container_limits(limits);
    let data = Bytes::copy_from_slice(rest);
    check(name, reader.read_bytes(name, data.clone()));
    check(name, reader.read_stream(name, std::io::Cursor::new(data)));
});
