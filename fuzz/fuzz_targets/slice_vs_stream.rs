//! The slice path and the streaming path must give identical entries (spans, bytes,
//! anomalies, formats, errors and their offsets) on the same bytes.
//!
//! The first input byte sets the stream up: bits 0-5 the buffer size (1..=64 bytes),
//! bit 6 the smallest size limit (256 KiB) with each `0x7F` byte of the rest expanded to
//! 64 KiB of text (so messages over the limit are reachable), bit 7 irregular short reads
//! with `Interrupted` errors. The second byte seeds the read sizes.
#![no_main]

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use mailsleuth::Reader;
use mailsleuth_fuzz::{Trickle, check_partition, collect, inflate};

fuzz_target!(|input: &[u8]| {
    let Some((&control, rest)) = input.split_first() else {
        return;
    };
    let (seed, rest) = match rest.split_first() {
        Some((&s, r)) if control & 0x80 != 0 => (u64::from(s), r),
        _ => (0, rest),
    };
    let mut buffer_size = usize::from(control & 0x3F) + 1;
    let mut reader = Reader::new();
    let data = if control & 0x40 != 0 {
        reader = reader.max_message_size(0); // raised to the smallest limit, 256 KiB
        buffer_size *= 512; // keep megabyte inputs quick
        Bytes::from(inflate(rest))
    } else {
        Bytes::copy_from_slice(rest)
    };
    let reader = reader.buffer_size(buffer_size);

    let sliced = collect(reader.read_bytes("fuzz.mbox", data.clone()), &data);
    check_partition(&sliced, data.len());
    let streamed = if control & 0x80 != 0 {
        let input = Trickle::new(data.clone(), seed + 1, buffer_size * 2, true);
        collect(reader.read_stream("fuzz.mbox", input), &data)
    } else {
        collect(
            reader.read_stream("fuzz.mbox", std::io::Cursor::new(data.clone())),
            &data,
        )
    };
    assert_eq!(sliced.len(), streamed.len(), "number of entries");
    for (i, (a, b)) in sliced.iter().zip(&streamed).enumerate() {
        assert_eq!(a, b, "entry {i} differs (left: slice, right: stream)");
    }
});
