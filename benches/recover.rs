//! Key recovery (`auth::recover`): the time to recover an RSA modulus from two signatures,
//! with the big-integer library this build uses (`recover`: malachite; `recover-gmp`: GMP).
//!
//! ```text
//! cargo bench --bench recover                                  # 512, 1024, 2048 bits, e = 65537
//! cargo bench --bench recover --no-default-features --features recover-gmp
//! MAILSLEUTH_RECOVER_BITS=1024 cargo bench --bench recover     # only the keys up to 1024 bits
//! MAILSLEUTH_RECOVER_BITS=1024,2048 cargo bench --bench recover # exactly these sizes
//! cargo bench --bench recover -- --test                        # smoke: 512-bit keys, e = 3 and 17
//! ```
//!
//! One recovery is one run (tens of seconds for a 2048-bit key), so this is a script, not a
//! criterion loop: each size is recovered once and its wall time, the CPU time of the thread
//! that recovered (Linux) and the load average of the machine printed with the library. On a
//! shared machine the CPU time is the number to compare. `benches/recover_floor/` times the
//! library alone on the same computation (C against GMP, Python against gmpy2 or FLINT): the
//! floor under this bench.
//! The keys are the committed test keys (`tests/data/keys`, e = 65537); the smoke mode
//! generates small keys with cheap exponents so that CI stays quick.

use std::time::Instant;

use mailsleuth::Span;
use mailsleuth::auth::SigningAlgorithm;
use mailsleuth::auth::recover::{self, RsaSignature};
use mailsleuth_testkit::keys::keys_dir;
use rsa::pkcs8::DecodePrivateKey;
use rsa::traits::PublicKeyParts;
use sha2::{Digest, Sha256};

/// DigestInfo of SHA-256 (RFC 8017 section 9.2).
const SHA256_INFO: [u8; 19] = [
    0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05,
    0x00, 0x04, 0x20,
];

fn signatures(key: &rsa::RsaPrivateKey, n: u64) -> Vec<RsaSignature> {
    (0..n)
        .map(|i| {
            let digest = Sha256::digest(format!("signed headers {i}")).to_vec();
            let mut info = SHA256_INFO.to_vec();
            info.extend_from_slice(&digest);
            let sig = key
                .sign(rsa::Pkcs1v15Sign::new_unprefixed(), &info)
                .expect("sign");
            RsaSignature::new(
                "example.com",
                "sel",
                SigningAlgorithm::RsaSha256,
                sig,
                digest,
                Span::new(0, 0),
            )
            .expect("usable")
            .at(i, "bench")
        })
        .collect()
}

fn backend() -> &'static str {
    if cfg!(feature = "recover-gmp") {
        "gmp (rug)"
    } else if cfg!(feature = "recover") {
        "malachite"
    } else {
        "none"
    }
}

/// The CPU time this thread has used so far (Linux: `/proc/thread-self/schedstat`, in
/// nanoseconds); `None` elsewhere. The machine may be shared: the wall time alone says
/// little about the library.
fn thread_cpu_seconds() -> Option<f64> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: u64 = text.split_whitespace().next()?.parse().ok()?;
    Some(ns as f64 / 1e9)
}

/// The load averages (1, 5, 15 minutes) as `/proc/loadavg` gives them, or `?`.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .map(|t| t.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|| "?".to_string())
}

/// Recover once; the seconds taken. Panics if the key is not the genuine one.
fn run(label: &str, key: &rsa::RsaPrivateKey) -> f64 {
    let sigs = signatures(key, 2);
    let load_before = load_average();
    let cpu_start = thread_cpu_seconds();
    let start = Instant::now();
    let keys = recover::recover_keys(&sigs);
    let secs = start.elapsed().as_secs_f64();
    let cpu = match (cpu_start, thread_cpu_seconds()) {
        (Some(a), Some(b)) => format!("{:.2} s", b - a),
        _ => "?".to_string(),
    };
    assert_eq!(keys.len(), 1, "{label}: no key recovered");
    assert_eq!(
        keys[0].modulus,
        key.n().to_bytes_be(),
        "{label}: wrong modulus"
    );
    println!(
        "recover/{label}: wall {secs:.2} s, cpu {cpu} from 2 signatures ({}, e={}); load average {load_before} before, {} after",
        backend(),
        keys[0].exponent,
        load_average()
    );
    secs
}

fn main() {
    let smoke = std::env::args().any(|a| a == "--test");
    if !recover::available() {
        println!("recover: this build has no big-integer library (features recover, recover-gmp)");
        return;
    }
    if smoke {
        for (seed, e) in [(1u64, 3u64), (2, 17)] {
            let key = mailsleuth_testkit::keys::generated_rsa(seed, 512, e);
            run(&format!("rsa512-e{e}"), &key);
        }
        return;
    }
    // `N`: every size up to N bits; `N,M,...`: exactly these.
    let wanted = std::env::var("MAILSLEUTH_RECOVER_BITS").unwrap_or_default();
    let listed: Vec<usize> = wanted
        .split(',')
        .filter_map(|v| v.trim().parse().ok())
        .collect();
    let chosen = |bits: usize| match listed.as_slice() {
        [] => true,
        [max] if !wanted.contains(',') => bits <= *max,
        many => many.contains(&bits),
    };
    for (name, bits) in [("rsa512", 512), ("rsa1024", 1024), ("rsa2048", 2048)] {
        if !chosen(bits) {
            continue;
        }
        let pem = std::fs::read_to_string(keys_dir().join(format!("{name}.pem"))).expect("key");
        let key = rsa::RsaPrivateKey::from_pkcs8_pem(&pem).expect("pkcs8");
        run(&format!("{name}-e65537"), &key);
    }
}
