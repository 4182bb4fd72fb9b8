//! Verification throughput: messages per second, RSA-2048 and Ed25519, small and 1 MB bodies.
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

criterion_group!(benches, bench);
criterion_main!(benches);
