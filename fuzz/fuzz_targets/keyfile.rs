//! The key archive reader (`KeyStore::load_reader`) on arbitrary bytes: no panic; each
//! problem names its line and repeats a bounded part of it; an error loads nothing; and on
//! text (UTF-8, no NUL byte, lines within the limit) reading line by line agrees with
//! parsing the text (`KeyStore::parse_str`).
//!
//! Each `0x7F` byte of the input (up to 16) stands for 20,000 bytes of `k` without a line
//! ending, so that lines over the 64 KiB limit are reachable under libFuzzer's length limit.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mailsleuth::KeyStore;
use mailsleuth::auth::keys::MAX_KEY_LINE;

fn inflate(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len());
    let mut n = 0;
    for &b in data {
        if b == 0x7F && n < 16 {
            n += 1;
            out.extend(std::iter::repeat_n(b'k', 20_000));
        } else {
            out.push(b);
        }
    }
    out
}

fuzz_target!(|input: &[u8]| {
    let data = inflate(input);
    let lines = data.split(|&b| b == b'\n').count();
    let mut read = KeyStore::new();
    let result = read.load_reader(&data[..], "fuzz.keys");
    match &result {
        Ok(report) => {
            assert!(read.len() <= report.loaded);
            for p in &report.problems {
                let line: usize = p
                    .origin
                    .strip_prefix("fuzz.keys:")
                    .and_then(|n| n.parse().ok())
                    .expect("a problem names its line");
                assert!((1..=lines).contains(&line), "line {line} of {lines}");
                let shown = p.to_string();
                assert!(shown.len() <= 4096, "problem of {} bytes", shown.len());
            }
        }
        Err(e) => {
            assert!(read.is_empty(), "an error loads nothing");
            assert!(e.to_string().len() <= 4096);
        }
    }
    let Ok(text) = std::str::from_utf8(&data) else {
        return;
    };
    if text.contains('\0') || text.split('\n').any(|l| l.len() > MAX_KEY_LINE) {
        return;
    }
    let mut parsed = KeyStore::new();
    let from_text = parsed.parse_str(text, "fuzz.keys");
    assert_eq!(result.ok(), Some(from_text));
    assert_eq!(read.to_archive_string(), parsed.to_archive_string());
});
