//! Verification throughput: messages per second, RSA-2048 and Ed25519, small and 1 MB bodies,
//! against mail-auth's verify loop on the same messages (`verify/*`); the RSA public operation
//! at 512 to 4096 bits (`rsa/open/*`); hostile inputs (`hostile/*`).
//! `cargo bench --bench auth`; `cargo bench --bench auth -- --test` runs each once.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use mail_auth::common::crypto::{Ed25519Key, RsaKey, Sha256, SigningKey};
use mail_auth::common::headers::HeaderWriter;
use mail_auth::dkim::DkimSigner;
use mail_auth::hickory_resolver::config::{ResolverConfig, ResolverOpts};
use mail_auth::{AuthenticatedMessage, MessageAuthenticator, Parameters};
use mailsleuth::auth::{AsOf, KeyStore, Verifier};
use mailsleuth_testkit::keys::{keys_dir, public};
use mailsleuth_testkit::offline::{TxtCache, block_on};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};

fn message(body_bytes: usize) -> Vec<u8> {
    let mut m = b"From: Alice <alice@example.com>\r\nTo: bob@example.org\r\nSubject: bench\r\nDate: Tue, 3 Jan 2017 12:31:41 -0800\r\nMessage-ID: <b@example.com>\r\n\r\n".to_vec();
    let line = b"The quick brown fox jumps over the lazy dog, again and again.\r\n";
    while m.len() < body_bytes {
        m.extend_from_slice(line);
    }
    m
}

fn sign<T: SigningKey>(key: T, msg: &[u8]) -> Vec<u8> {
    let sig = DkimSigner::from_key(key)
        .domain("example.com")
        .selector("sel")
        .headers(["From", "To", "Subject", "Date", "Message-ID"])
        .sign(msg)
        .unwrap()
        .to_header();
    let mut out = sig.into_bytes();
    out.extend_from_slice(msg);
    out
}

fn bench(c: &mut Criterion) {
    let rsa_pem = std::fs::read(keys_dir().join("rsa2048.pem")).unwrap();
    let ed_pem = std::fs::read(keys_dir().join("ed25519.pem")).unwrap();
    for (kind, record) in [
        (
            "rsa2048",
            format!("v=DKIM1; k=rsa; p={}", public("rsa2048")),
        ),
        (
            "ed25519",
            format!("v=DKIM1; k=ed25519; p={}", public("ed25519")),
        ),
    ] {
        let mut ks = KeyStore::new();
        ks.parse_str(&format!("sel._domainkey.example.com {record}\n"), "bench");
        for (size_name, size) in [("small", 1_000), ("1mb", 1 << 20)] {
            let msg = message(size);
            let signed = match kind {
                "rsa2048" => sign(
                    RsaKey::<Sha256>::from_key_der(
                        PrivateKeyDer::from_pem_slice(&rsa_pem).unwrap(),
                    )
                    .unwrap(),
                    &msg,
                ),
                _ => sign(
                    Ed25519Key::from_pkcs8_der(
                        PrivatePkcs8KeyDer::from_pem_slice(&ed_pem)
                            .unwrap()
                            .secret_pkcs8_der(),
                    )
                    .unwrap(),
                    &msg,
                ),
            };
            let verifier = Verifier::new(&ks).as_of(AsOf::Fixed(1_500_000_000.into()));
            let mut g = c.benchmark_group(format!("verify/{kind}"));
            g.throughput(Throughput::Elements(1));
            if size > 100_000 {
                g.sample_size(20);
            }
            g.bench_function(size_name, |b| {
                b.iter(|| black_box(verifier.verify(black_box(&signed), 0, None)))
            });
            // mail-auth's own verifier on the same message, for comparison.
            let cache = TxtCache::of([("sel._domainkey.example.com", record.as_str())]);
            let auth = MessageAuthenticator::new(
                ResolverConfig::from_parts(None, vec![], vec![]),
                ResolverOpts::default(),
            )
            .unwrap();
            // Both sides must measure a passing verification.
            let msg = AuthenticatedMessage::parse(&signed).unwrap();
            let first = block_on(auth.verify_dkim(Parameters::new(&msg).with_txt_cache(&cache)));
            assert!(matches!(first[0].result(), mail_auth::DkimResult::Pass));
            g.bench_function(format!("{size_name}/mail-auth"), |b| {
                b.iter(|| {
                    let msg = AuthenticatedMessage::parse(black_box(&signed)).unwrap();
                    let out =
                        block_on(auth.verify_dkim(Parameters::new(&msg).with_txt_cache(&cache)));
                    black_box(out.len())
                })
            });
            g.finish();
        }
    }
}

/// The RSA public operation of the crate (`src/auth/rsa.rs`, crypto-bigint's Montgomery
/// arithmetic), the rsa crate's `modpow` (its test reference) and mail-auth's verification of
/// one signature, on the same keys and signatures. ring and aws-lc-rs, which verify a message
/// instead of exposing `s^e mod n` and refuse keys under 1024 bits, were measured in the same
/// run when the implementation was chosen (commit "auth bench: RSA candidates ...").
#[path = "../src/auth/rsa.rs"]
#[allow(dead_code)]
mod crate_rsa;
#[path = "../src/limits.rs"]
#[allow(dead_code)]
mod limits;

fn rsa_open(c: &mut Criterion) {
    use rsa::pkcs8::{DecodePrivateKey, EncodePublicKey};
    use rsa::traits::PublicKeyParts;
    const SHA256_PREFIX: [u8; 19] = [
        0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01,
        0x05, 0x00, 0x04, 0x20,
    ];
    let data = b"the signed header fields of a message";
    let bench_dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("benches/data");
    for (bits, path) in [
        (512, keys_dir().join("rsa512.pem")),
        (1024, keys_dir().join("rsa1024.pem")),
        (2048, keys_dir().join("rsa2048.pem")),
        (4096, bench_dir.join("rsa4096.pem")),
    ] {
        let pem = std::fs::read_to_string(path).unwrap();
        let private = rsa::RsaPrivateKey::from_pkcs8_pem(&pem).unwrap();
        let public = private.to_public_key();
        assert_eq!(public.n().bits(), bits);
        let digest = mail_auth::common::crypto::HashAlgorithm::Sha256.hash(&data[..]);
        let scheme = rsa::pkcs1v15::Pkcs1v15Sign {
            hash_len: Some(32),
            prefix: SHA256_PREFIX.into(),
        };
        let sig = private.sign(scheme, digest.as_ref()).unwrap();
        let spki = public.to_public_key_der().unwrap().into_vec();
        let alg = mail_auth::common::crypto::Algorithm::RsaSha256;
        // Every candidate must verify before it is timed.
        let mine = crate_rsa::RsaKey::from_der(&spki).unwrap();
        assert!(crate_rsa::Opened::open(&mine, &sig).matches(alg, digest.as_ref()));
        // A PEM body is the base64 of the DER, which is what `p=` holds.
        let pem = public
            .to_public_key_pem(rsa::pkcs8::LineEnding::LF)
            .unwrap();
        let p: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
        let record = format!("v=DKIM1; k=rsa; p={p}");
        use mail_auth::common::parse::TxtRecordParser;
        let theirs = mail_auth::common::verify::DomainKey::parse(record.as_bytes())
            .unwrap()
            .p;
        assert!(theirs.verify_bytes(&data[..], &sig, alg).is_ok());

        let mut g = c.benchmark_group(format!("rsa/open/{bits}"));
        g.throughput(Throughput::Elements(1));
        g.bench_function("crate", |b| {
            b.iter(|| black_box(crate_rsa::Opened::open(&mine, black_box(&sig))))
        });
        g.bench_function("rsa-modpow", |b| {
            b.iter(|| {
                black_box(
                    rsa::BigUint::from_bytes_be(black_box(&sig))
                        .modpow(public.e(), public.n())
                        .to_bytes_be(),
                )
            })
        });
        g.bench_function("mail-auth-verify", |b| {
            b.iter(|| black_box(theirs.verify_bytes(&data[..], black_box(&sig), alg)))
        });
        g.finish();
    }
}

/// A `b=` for a 1024-bit key that opens (leading zero bytes keep it below the modulus),
/// distinct for each `k`.
fn fake_b(k: usize) -> String {
    const DIGITS: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut s = vec![b'A'; 171];
    for (pos, shift) in [(167, 0), (166, 6), (165, 12)] {
        s[pos] = DIGITS[(k >> shift) % 64];
    }
    format!("{}=", String::from_utf8(s).unwrap())
}

fn fake_signature(h: &str, k: usize, extra: &str) -> String {
    format!(
        "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.com; s=sel; h={h}; bh={}={extra}; b={}\r\n",
        "A".repeat(43),
        fake_b(k)
    )
}

/// The hostile inputs of the robustness issue at a size the code before the fix finished
/// in about a second: long `h=` over many headers, many distinct `l=` over a large body
/// without a key, many keys under one name, many tags in one signature. Per message.
fn hostile(c: &mut Criterion) {
    let record = format!("v=DKIM1; k=rsa; p={}", public("rsa1024"));
    let mut one_key = KeyStore::new();
    one_key.parse_str(&format!("sel._domainkey.example.com {record}\n"), "bench");
    let mut many_keys = KeyStore::new();
    let text: String = (0..100)
        .map(|k| {
            format!(
                "sel._domainkey.example.com {record} valid-from={}\n",
                1_000_000 + k
            )
        })
        .collect();
    many_keys.parse_str(&text, "bench");
    let empty = KeyStore::new();

    // 10 signatures, each with an h= of 1,000 names, over 1,000 headers.
    let names: Vec<String> = (0..1000).map(|k| format!("x-{k}")).collect();
    let h = format!("from:{}", names.join(":"));
    let mut h_names = String::new();
    for k in 0..10 {
        h_names.push_str(&fake_signature(&h, k, ""));
    }
    h_names.push_str("From: a@example.com\r\n");
    for n in &names {
        h_names.push_str(&format!("{n}: v\r\n"));
    }
    h_names.push_str("\r\nbody\r\n");

    // 200 signatures with distinct l= over a 512 KB body, no key.
    let mut l_values = String::new();
    for k in 0..200 {
        l_values.push_str(&fake_signature("from", k, &format!("; l={}", k * 1000)));
    }
    l_values.push_str("From: a@example.com\r\n\r\n");
    while l_values.len() < 512 * 1024 {
        l_values.push_str("The quick brown fox  jumps over the lazy dog, again and again.\r\n");
    }

    // 50 signatures, 100 keys under their name.
    let mut keys = String::new();
    for k in 0..50 {
        keys.push_str(&fake_signature("from", k, ""));
    }
    keys.push_str("From: a@example.com\r\n\r\nbody\r\n");

    // One signature with 20,000 tags.
    let tags: String = (0..20_000).map(|k| format!("; x{k}=y")).collect();
    let mut many_tags = fake_signature("from", 0, &tags);
    many_tags.push_str("From: a@example.com\r\n\r\nbody\r\n");

    let mut g = c.benchmark_group("hostile");
    g.throughput(Throughput::Elements(1));
    g.sample_size(10);
    for (name, msg, ks) in [
        ("h-names", h_names, &one_key),
        ("l-values", l_values, &empty),
        ("keys", keys, &many_keys),
        ("tags", many_tags, &one_key),
    ] {
        let verifier = Verifier::new(ks).as_of(AsOf::Fixed(1_500_000_000.into()));
        let msg = msg.into_bytes();
        g.bench_function(name, |b| {
            b.iter(|| black_box(verifier.verify(black_box(&msg), 0, None)))
        });
    }
    g.finish();
}

criterion_group!(benches, bench, rsa_open, hostile);
criterion_main!(benches);
