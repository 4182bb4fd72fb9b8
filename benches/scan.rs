//! The whole per-message analysis against reading alone, on the bundled sample dump repeated
//! to about 8 MiB (signed and unsigned mail, attachments, altered copies; its keys).
//!
//! ```text
//! cargo bench --bench scan            # measure
//! cargo bench --bench scan -- --test  # smoke: run each bench once
//! ```
//!
//! - `read+index`: split and index every header (the floor).
//! - `read+index+heuristics`: plus every per-message heuristic and the dump facts
//!   (`checks::check_message`, attachments included), no signature verification.
//! - `full/1 thread`, `full/all cores`: the `Scanner` with every check, DKIM and ARC on every
//!   signature, and the dump-wide pass.
//!
//! The ratio of the first two is what the heuristics add to reading; the last two give the
//! forensic scan's throughput per core and on all cores.

use std::hint::black_box;

use bytes::Bytes;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use mailsleuth::checks::{self, Config};
use mailsleuth::{Analyzer, Entry, Input, KeyStore, Reader, Scanner};
use mailsleuth_testkit::dumpgen;
use mailsleuth_testkit::sample::data_dir;

/// The sample dump repeated to about 8 MiB (each copy ends with a newline and blank line so
/// the next copy's first separator stands after an empty line).
fn corpus() -> Bytes {
    let sample = std::fs::read(data_dir().join("sample.mbox")).expect("sample dump");
    let mut out = Vec::with_capacity(8 << 20);
    while out.len() < 8 << 20 {
        out.extend_from_slice(&sample);
        out.extend_from_slice(b"\n\n");
    }
    Bytes::from(out)
}

/// A generated dump of list and office mail (`mailsleuth_testkit::dumpgen`, the reader bench's
/// profile, fixed seed): long Received chains, DKIM headers without keys, 20 % attachments.
fn generated() -> Bytes {
    let mib: u64 = std::env::var("MAILSLEUTH_BENCH_MIB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(32);
    Bytes::from(dumpgen::generate(dumpgen::Profile::bench(mib << 20)).0)
}

fn bench(c: &mut Criterion) {
    let mut keys = KeyStore::new();
    keys.load_file(data_dir().join("keys.keymap"))
        .expect("keys");
    stages(c, "scan/sample", &corpus(), &keys);
    stages(c, "scan/generated", &generated(), &keys);
}

/// Reading alone, reading plus the heuristics, and the full scan, on one corpus.
fn stages(c: &mut Criterion, name: &str, data: &Bytes, keys: &KeyStore) {
    let config = Config::default();
    let mut group = c.benchmark_group(name);
    group.throughput(Throughput::Bytes(data.len() as u64));
    group.sample_size(10);
    group.bench_function("read+index", |b| {
        b.iter(|| {
            let mut fields = 0usize;
            for entry in Reader::new().read_bytes("bench.mbox", data.clone()) {
                if let Ok(Entry::Message(m)) = entry {
                    fields += m.headers().len();
                }
            }
            black_box(fields)
        })
    });
    group.bench_function("read+index+heuristics", |b| {
        b.iter(|| {
            let mut findings = 0usize;
            for entry in Reader::new().read_bytes("bench.mbox", data.clone()) {
                if let Ok(Entry::Message(m)) = entry {
                    findings += checks::check_message(&m, &m.headers(), &config).len();
                }
            }
            black_box(findings)
        })
    });
    for (name, threads) in [("full/1 thread", 1), ("full/all cores", 0)] {
        let scanner = Scanner::new(Analyzer::new(keys.clone())).threads(threads);
        group.bench_function(name, |b| {
            b.iter(|| {
                let input = Input::Bytes {
                    name: "bench.mbox".into(),
                    data: data.clone(),
                };
                let mut scan = scanner.scan([input]);
                let reports = scan.by_ref().count();
                black_box((reports, scan.finish()))
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
