//! Key recovery (`auth::recover`): the time to recover an RSA modulus from two signatures,
//! with the big-integer library this build uses (`recover`: malachite; `recover-gmp`: GMP).
//!
//! ```text
//! cargo bench --bench recover                                  # 512, 1024, 2048 bits, e = 65537
//! cargo bench --bench recover --no-default-features --features recover-gmp
//! MAILSLEUTH_RECOVER_BITS=1024 cargo bench --bench recover     # only the keys up to 1024 bits
//! cargo bench --bench recover -- --test                        # smoke: 512-bit keys, e = 3 and 17
//! ```
//!
//! One recovery is one run (tens of seconds for a 2048-bit key), so this is a script, not a
//! criterion loop: each size is recovered once and its wall time printed with the library.
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

/// Recover once; the seconds taken. Panics if the key is not the genuine one.
fn run(label: &str, key: &rsa::RsaPrivateKey) -> f64 {
    let sigs = signatures(key, 2);
    let start = Instant::now();
    let keys = recover::recover_keys(&sigs);
    let secs = start.elapsed().as_secs_f64();
    assert_eq!(keys.len(), 1, "{label}: no key recovered");
    assert_eq!(
        keys[0].modulus,
        key.n().to_bytes_be(),
        "{label}: wrong modulus"
    );
    println!(
        "recover/{label}: {secs:.2} s from 2 signatures ({} , e={})",
        backend(),
        keys[0].exponent
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
    let max_bits: usize = std::env::var("MAILSLEUTH_RECOVER_BITS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2048);
    for (name, bits) in [("rsa512", 512), ("rsa1024", 1024), ("rsa2048", 2048)] {
        if bits > max_bits {
            continue;
        }
        let pem = std::fs::read_to_string(keys_dir().join(format!("{name}.pem"))).expect("key");
        let key = rsa::RsaPrivateKey::from_pkcs8_pem(&pem).expect("pkcs8");
        run(&format!("{name}-e65537"), &key);
    }
}
