//! Fuzz the signature and key-record paths: the input is split at the first NUL byte into a
//! key archive text (parsed by `KeyStore::parse_str`) and a message (verified by
//! `Verifier::verify` as stored in an mboxrd file at a nonzero offset). Nothing may panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mailsleuth::auth::{AsOf, KeyStore, Verifier};
use mailsleuth::Format;

const KEYS: &str = "sel._domainkey.example.com v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=\n";

fuzz_target!(|data: &[u8]| {
    let (keys, message) = match data.iter().position(|&b| b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (&b""[..], data),
    };
    let mut store = KeyStore::new();
    store.parse_str(KEYS, "fuzz-fixed");
    let report = store.parse_str(&String::from_utf8_lossy(keys), "fuzz");
    let _ = report.problems.len();
    let _ = store.to_archive_string();
    for format in [None, Some(Format::Mboxrd)] {
        let r = Verifier::new(&store)
            .as_of(AsOf::Fixed(1_500_000_000.into()))
            .verify(message, 4096, format);
        for c in &r.dkim {
            assert!(c.span.start >= 4096);
            if let Some(s) = c.unsigned_body {
                assert!(s.end <= 4096 + message.len() as u64);
            }
        }
    }
});
