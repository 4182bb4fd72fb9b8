//! The practical speed limit of splitting an mbox: count lines that start with `From ` with
//! `memchr::memmem` through a reused 1 MiB read buffer, and nothing else (no separator
//! parsing, no headers). Used by `benches/compare.sh` as the yardstick.
//!
//! ```text
//! cargo run --release --example memchr_count -- [--mmap] PATH
//! ```

use std::io::Read;
use std::process::ExitCode;

use memchr::memmem::Finder;

/// Count `From ` at line starts in `data`; `at_line_start` says whether `data[0]` starts a line.
fn count(finder: &Finder<'_>, data: &[u8], at_line_start: bool) -> u64 {
    finder
        .find_iter(data)
        .filter(|&i| {
            if i == 0 {
                at_line_start
            } else {
                data[i - 1] == b'\n'
            }
        })
        .count() as u64
}

fn main() -> ExitCode {
    let mut mmap = false;
    let mut path = None;
    for a in std::env::args_os().skip(1) {
        if a == "--mmap" {
            mmap = true;
        } else {
            path = Some(a);
        }
    }
    let Some(path) = path else {
        eprintln!("usage: memchr_count [--mmap] PATH");
        return ExitCode::from(2);
    };
    let finder = Finder::new(b"From ");
    let mut file = match std::fs::File::open(&path) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("memchr_count: {}: {e}", path.to_string_lossy());
            return ExitCode::from(1);
        }
    };
    let (n, bytes) = if mmap {
        // SAFETY: read-only map of a file nobody truncates while we count.
        let map = match unsafe { memmap2::Mmap::map(&file) } {
            Ok(m) => m,
            Err(e) => {
                eprintln!("memchr_count: mmap: {e}");
                return ExitCode::from(1);
            }
        };
        (count(&finder, &map, true), map.len() as u64)
    } else {
        // Keep the last 5 bytes of each read in front of the next so a needle split across
        // two reads is still found once.
        const KEEP: usize = 5;
        let mut buf = vec![0u8; (1 << 20) + KEEP];
        let (mut n, mut bytes, mut have, mut line_start) = (0u64, 0u64, 0usize, true);
        loop {
            let got = match file.read(&mut buf[have..]) {
                Ok(0) => break,
                Ok(got) => got,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    eprintln!("memchr_count: read: {e}");
                    return ExitCode::from(1);
                }
            };
            bytes += got as u64;
            let len = have + got;
            let keep = KEEP.min(len);
            // Count hits that start before the kept tail; the tail is searched next time.
            let searched = len - keep;
            n += finder
                .find_iter(&buf[..len])
                .filter(|&i| {
                    i < searched
                        && if i == 0 {
                            line_start
                        } else {
                            buf[i - 1] == b'\n'
                        }
                })
                .count() as u64;
            if searched > 0 {
                line_start = buf[searched - 1] == b'\n';
            }
            buf.copy_within(searched..len, 0);
            have = keep;
        }
        n += count(&finder, &buf[..have], line_start);
        (n, bytes)
    };
    println!("{n} separators in {bytes} bytes");
    ExitCode::SUCCESS
}
