//! Reader throughput on a generated corpus (about 64 MiB, built at bench time with a fixed
//! seed by `mailsleuth_testkit::dumpgen`; nothing is committed).
//!
//! ```text
//! cargo bench --bench reader            # measure
//! cargo bench --bench reader -- --test  # smoke: run each bench once
//! MAILSLEUTH_BENCH_MIB=256 cargo bench --bench reader   # a larger corpus
//! ```
//!
//! - `split`: the slice path (as over a memory map), messages only.
//! - `split+index`: the same, plus the header index of every message (what
//!   `scan --count-only` does).
//! - `stream` / `stream+index`: the streaming path over an in-memory `Read` with the default
//!   1 MiB buffer.

use std::hint::black_box;
use std::io::Cursor;

use bytes::Bytes;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use mailsleuth::{Entry, Reader};
use mailsleuth_testkit::dumpgen;

fn corpus() -> (Bytes, dumpgen::Stats) {
    let mib: u64 = std::env::var("MAILSLEUTH_BENCH_MIB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(64);
    let (data, stats) = dumpgen::generate(dumpgen::Profile::bench(mib << 20));
    (Bytes::from(data), stats)
}

/// Messages and header fields of all entries; panics on a read error.
fn consume(entries: mailsleuth::Entries, index: bool) -> (u64, u64) {
    let (mut messages, mut fields) = (0u64, 0u64);
    for entry in entries {
        if let Entry::Message(m) = entry.expect("no read error") {
            messages += 1;
            if index {
                fields += m.headers().len() as u64;
            }
            black_box(&m);
        }
    }
    (messages, fields)
}

fn reader(c: &mut Criterion) {
    let (data, stats) = corpus();
    let reader = Reader::new();
    // Check once that the reader sees what was generated.
    let (messages, _) = consume(reader.read_bytes("bench.mbox", data.clone()), false);
    assert_eq!(messages, stats.messages, "message count");
    let (streamed, _) = consume(
        reader.read_stream("bench.mbox", Cursor::new(data.clone())),
        false,
    );
    assert_eq!(streamed, stats.messages, "message count, streaming");

    let mut group = c.benchmark_group("reader");
    group.throughput(Throughput::Bytes(data.len() as u64));
    group.sample_size(10);
    group.bench_function("split", |b| {
        b.iter(|| consume(reader.read_bytes("bench.mbox", data.clone()), false))
    });
    group.bench_function("split+index", |b| {
        b.iter(|| consume(reader.read_bytes("bench.mbox", data.clone()), true))
    });
    group.bench_function("stream", |b| {
        b.iter(|| {
            consume(
                reader.read_stream("bench.mbox", Cursor::new(data.clone())),
                false,
            )
        })
    });
    group.bench_function("stream+index", |b| {
        b.iter(|| {
            consume(
                reader.read_stream("bench.mbox", Cursor::new(data.clone())),
                true,
            )
        })
    });
    group.finish();
}

criterion_group!(benches, reader);
criterion_main!(benches);
