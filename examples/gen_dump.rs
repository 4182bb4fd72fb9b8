//! Write a realistic synthetic mbox dump with a fixed seed (the generator of the benches).
//!
//! ```text
//! cargo run --release --example gen_dump -- [--seed N] [--bench] [--max-body BYTES]
//!     [--multipart PERCENT] SIZE[K|M|G] OUT
//! ```
//!
//! `--max-body` and `--multipart` override the profile's largest body and share of multipart
//! messages (e.g. `--max-body 8192 --multipart 0` for a dump of many small messages).
//! `--bench` uses the criterion corpus's profile (bodies up to a few hundred KB); the default
//! is the comparison profile of `benches/compare.sh` (bodies up to several MB). The same seed,
//! profile and size give the same bytes on every machine. Prints what was written on stderr
//! (`messages=N bytes=B quoted_lines=Q multipart=M`), and `-` as OUT writes to stdout.

use std::io::{BufWriter, Write};
use std::process::ExitCode;

#[path = "../benches/dumpgen/mod.rs"]
mod dumpgen;

const USAGE: &str =
    "usage: gen_dump [--seed N] [--bench] [--max-body BYTES] [--multipart PERCENT] SIZE[K|M|G] OUT";

fn parse_size(s: &str) -> Option<u64> {
    let (digits, unit) = match s.as_bytes().last()? {
        b'K' | b'k' => (&s[..s.len() - 1], 1 << 10),
        b'M' | b'm' => (&s[..s.len() - 1], 1 << 20),
        b'G' | b'g' => (&s[..s.len() - 1], 1 << 30),
        _ => (s, 1),
    };
    digits.parse::<u64>().ok()?.checked_mul(unit)
}

fn main() -> ExitCode {
    let mut seed = 1u64;
    let mut bench = false;
    let mut max_body = None;
    let mut multipart = None;
    let mut positional = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--seed" => match args.next().and_then(|v| v.parse().ok()) {
                Some(v) => seed = v,
                None => {
                    eprintln!("gen_dump: --seed needs a number\n{USAGE}");
                    return ExitCode::from(2);
                }
            },
            "--bench" => bench = true,
            "--max-body" => match args.next().as_deref().and_then(parse_size) {
                Some(v) => max_body = Some(v.max(2048) as usize),
                None => {
                    eprintln!("gen_dump: --max-body needs a size\n{USAGE}");
                    return ExitCode::from(2);
                }
            },
            "--multipart" => match args.next().and_then(|v| v.parse().ok()) {
                Some(v) => multipart = Some(v),
                None => {
                    eprintln!("gen_dump: --multipart needs a percentage\n{USAGE}");
                    return ExitCode::from(2);
                }
            },
            "-h" | "--help" => {
                eprintln!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            _ => positional.push(a),
        }
    }
    let [size, out] = positional.as_slice() else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    let Some(size) = parse_size(size) else {
        eprintln!("gen_dump: bad size {size}\n{USAGE}");
        return ExitCode::from(2);
    };
    let mut profile = if bench {
        dumpgen::Profile {
            seed,
            ..dumpgen::Profile::bench(size)
        }
    } else {
        dumpgen::Profile::compare(size, seed)
    };
    if let Some(m) = max_body {
        profile.max_body = m;
    }
    if let Some(p) = multipart {
        profile.multipart_percent = p;
    }
    let result = if out == "-" {
        let stdout = std::io::stdout();
        let mut w = BufWriter::with_capacity(1 << 20, stdout.lock());
        dumpgen::Generator::new(profile)
            .write_dump(&mut w)
            .and_then(|s| w.flush().map(|()| s))
    } else {
        std::fs::File::create(out).and_then(|f| {
            let mut w = BufWriter::with_capacity(1 << 20, f);
            dumpgen::Generator::new(profile)
                .write_dump(&mut w)
                .and_then(|s| w.flush().map(|()| s))
        })
    };
    match result {
        Ok(s) => {
            eprintln!(
                "messages={} bytes={} quoted_lines={} multipart={}",
                s.messages, s.bytes, s.quoted_lines, s.multipart
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("gen_dump: {out}: {e}");
            ExitCode::from(1)
        }
    }
}
