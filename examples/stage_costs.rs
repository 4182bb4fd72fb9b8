//! The cost per message of each stage of the forensic scan, on one thread, over a mailbox
//! held in memory: what reading costs, and what each later stage adds to it.
//!
//! ```text
//! cargo run --release --example stage_costs -- DUMP.mbox [MIB] [RUNS]
//! ```
//!
//! Reads the first `MIB` MiB of the mailbox (default 128; cut at the last separator before
//! that size so no message is truncated), then times, best of `RUNS` (default 3):
//!
//! 1. `read+index`: split the mailbox and index every header field;
//! 2. `+heuristics`: plus every per-message heuristic (`checks::check_message`);
//! 3. `+analysis`: the whole analysis of each message instead (`Analyzer::analyze`: the
//!    heuristics, the message hash, DKIM/ARC, the verdict, the report);
//! 4. `+json`: plus the report's JSON line;
//! 5. `scanner`: the `Scanner` on one thread (the analysis, the dump-wide facts and pass, the
//!    pipeline), writing each report's JSON line (rendered by the scanner, as the `scan`
//!    example has it).
//!
//! Prints each stage's time per message and what it adds to the stage before it. Used by
//! `benches/compare.sh` for the per-stage table of BENCHMARKS.md.

use std::hint::black_box;
use std::io::Write;
use std::time::{Duration, Instant};

use bytes::Bytes;
use mailsleuth::checks::{self, Config};
use mailsleuth::{Analyzer, Entry, Input, KeyStore, Reader, Scanner};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(path) = args.first() else {
        eprintln!("usage: stage_costs DUMP.mbox [MIB] [RUNS]");
        std::process::exit(2);
    };
    let mib: usize = args.get(1).and_then(|v| v.parse().ok()).unwrap_or(128);
    let runs: usize = args.get(2).and_then(|v| v.parse().ok()).unwrap_or(3).max(1);
    let mut data = match std::fs::read(path) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("stage_costs: {path}: {e}");
            std::process::exit(1);
        }
    };
    let limit = mib << 20;
    if data.len() > limit {
        // Cut before the last separator that starts a line within the limit.
        let head = &data[..limit];
        let cut = memchr::memmem::rfind(head, b"\nFrom ").map_or(limit, |i| i + 1);
        data.truncate(cut);
    }
    let data = Bytes::from(data);
    let config = Config::default();
    let analyzer = Analyzer::new(KeyStore::new());
    let messages = Reader::new()
        .read_bytes("dump.mbox", data.clone())
        .filter(|e| matches!(e, Ok(Entry::Message(_))))
        .count()
        .max(1);

    let best = |f: &dyn Fn() -> usize| -> Duration {
        (0..runs)
            .map(|_| {
                let start = Instant::now();
                black_box(f());
                start.elapsed()
            })
            .min()
            .unwrap_or_default()
    };
    let each = |visit: &dyn Fn(&mailsleuth::Message) -> usize| -> usize {
        Reader::new()
            .read_bytes("dump.mbox", data.clone())
            .filter_map(|e| match e {
                Ok(Entry::Message(m)) => Some(visit(&m)),
                _ => None,
            })
            .sum()
    };
    let stages: Vec<(&str, Duration)> = vec![
        ("read+index", best(&|| each(&|m| m.headers().len()))),
        (
            "+heuristics",
            best(&|| each(&|m| checks::check_message(m, &m.headers(), &config).len())),
        ),
        (
            "+analysis",
            best(&|| each(&|m| analyzer.analyze(m).findings.len())),
        ),
        (
            "+json",
            best(&|| {
                each(&|m| {
                    let report = analyzer.analyze(m);
                    serde_json::to_vec(&report).map_or(0, |v| v.len())
                })
            }),
        ),
        (
            "scanner",
            best(&|| {
                let scanner = Scanner::new(analyzer.clone()).threads(1).json_lines(true);
                let mut scan = scanner.scan([Input::Bytes {
                    name: "dump.mbox".into(),
                    data: data.clone(),
                }]);
                let mut out = Vec::new();
                for report in scan.by_ref().flatten() {
                    match report.json_line() {
                        Some(line) => out.extend_from_slice(line.as_bytes()),
                        None => {
                            let _ = serde_json::to_writer(&mut out, &report);
                        }
                    }
                    out.push(b'\n');
                }
                black_box(scan.finish());
                out.len()
            }),
        ),
    ];
    let per = |d: Duration| d.as_secs_f64() * 1e6 / messages as f64;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(
        out,
        "stage costs: {messages} messages, {} bytes ({:.0} bytes a message), best of {runs}, one thread",
        data.len(),
        data.len() as f64 / messages as f64
    );
    let _ = writeln!(
        out,
        "{:<14} {:>10} {:>12} {:>10} {:>10}",
        "stage", "s", "µs/message", "adds µs", "MB/s"
    );
    let mut before = None;
    for (name, d) in &stages {
        // The scanner row adds to the analysis with JSON (both write a JSON line).
        let base = match *name {
            "scanner" => stages.iter().find(|(n, _)| *n == "+json").map(|s| s.1),
            _ => before,
        };
        let adds = base.map_or(per(*d), |b: Duration| per(*d) - per(b));
        let _ = writeln!(
            out,
            "{:<14} {:>10.3} {:>12.2} {:>10.2} {:>10.0}",
            name,
            d.as_secs_f64(),
            per(*d),
            adds,
            data.len() as f64 / d.as_secs_f64() / 1e6
        );
        before = Some(*d);
    }
}
