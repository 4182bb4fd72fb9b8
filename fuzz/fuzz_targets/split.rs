//! The splitter on arbitrary bytes (slice path): entries sorted, disjoint, in bounds and
//! covering the input exactly; every message's bytes inside its extent; no panic.
#![no_main]

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use mailsleuth::Reader;
use mailsleuth_fuzz::{check_partition, collect};

fuzz_target!(|data: &[u8]| {
    let reader = Reader::new();
    let items = collect(
        reader.read_bytes("fuzz.mbox", Bytes::copy_from_slice(data)),
        data,
    );
    check_partition(&items, data.len());
});
