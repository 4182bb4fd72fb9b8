//! Verification throughput: messages per second, RSA-2048 and Ed25519, small and 1 MB bodies.
//! `cargo bench --bench auth`; `cargo bench --bench auth -- --test` runs each once.

#[path = "../tests/testkeys/mod.rs"]
mod testkeys;
use testkeys::{keys_dir, public};

use std::hint::black_box;

#[path = "../examples/support/offline.rs"]
mod offline;
use offline::{TxtCache, block_on};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use mail_auth::common::crypto::{Ed25519Key, RsaKey, Sha256, SigningKey};
use mail_auth::common::headers::HeaderWriter;
use mail_auth::dkim::DkimSigner;
use mail_auth::hickory_resolver::config::{ResolverConfig, ResolverOpts};
use mail_auth::{AuthenticatedMessage, MessageAuthenticator, Parameters};
use mailsleuth::auth::{AsOf, KeyStore, Verifier};
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
            let verifier = Verifier::new(&ks).as_of(AsOf::Fixed(1_500_000_000));
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

/// The RSA candidates on the same keys and signatures: the crate's own opening
/// (`src/auth/rsa.rs`), crypto-bigint, the rsa crate's `modpow`, and the verifiers of ring,
/// aws-lc-rs and mail-auth (which verify a message instead of exposing `s^e mod n`).
mod candidates {
    use crypto_bigint::modular::{BoxedMontyForm, BoxedMontyParams};
    use crypto_bigint::{BoxedUint, Odd};

    /// `s^e mod n` by left-to-right square-and-multiply over crypto-bigint's Montgomery
    /// multiplication.
    pub struct CbKey {
        n: BoxedUint,
        params: BoxedMontyParams,
        e: u64,
    }

    impl CbKey {
        pub fn new(n: &[u8], e: u64) -> CbKey {
            let n = BoxedUint::from_be_slice_vartime(n);
            let params = BoxedMontyParams::new_vartime(Odd::new(n.clone()).unwrap());
            CbKey { n, params, e }
        }

        fn base(&self, sig: &[u8]) -> Option<BoxedMontyForm> {
            let s = BoxedUint::from_be_slice(sig, self.n.bits_precision()).ok()?;
            (s < self.n).then(|| BoxedMontyForm::new(s, &self.params))
        }

        pub fn open_ladder(&self, sig: &[u8]) -> Option<Box<[u8]>> {
            let x = self.base(sig)?;
            let mut acc = x.clone();
            for i in (0..63 - self.e.leading_zeros()).rev() {
                acc = acc.square();
                if (self.e >> i) & 1 == 1 {
                    acc = acc.mul(&x);
                }
            }
            Some(acc.retrieve().to_be_bytes())
        }

        pub fn open_pow(&self, sig: &[u8]) -> Option<Box<[u8]>> {
            let x = self.base(sig)?;
            let e = BoxedUint::from(self.e);
            Some(
                x.pow_bounded_exp(&e, 64 - self.e.leading_zeros())
                    .retrieve()
                    .to_be_bytes(),
            )
        }
    }
}

#[path = "../src/auth/rsa.rs"]
#[allow(dead_code)]
mod crate_rsa;
#[path = "../src/auth/limits.rs"]
#[allow(dead_code)]
mod limits;

fn rsa_candidates(c: &mut Criterion) {
    use rsa::pkcs1::EncodeRsaPublicKey;
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
        let n = public.n().to_bytes_be();
        let e = public.e().to_bytes_be();
        let e64 = e.iter().fold(0u64, |a, &b| (a << 8) | u64::from(b));
        let spki = public.to_public_key_der().unwrap().into_vec();
        let pkcs1 = public.to_pkcs1_der().unwrap().into_vec();
        let alg = mail_auth::common::crypto::Algorithm::RsaSha256;

        // Every candidate must agree before it is timed.
        let mine = crate_rsa::RsaKey::from_der(&spki).unwrap();
        let opened = crate_rsa::Opened::open(&mine, &sig);
        assert!(opened.matches(alg, digest.as_ref()));
        let cb = candidates::CbKey::new(&n, e64);
        let reference = rsa::BigUint::from_bytes_be(&sig).modpow(public.e(), public.n());
        let mut want = vec![0u8; n.len()];
        let r = reference.to_bytes_be();
        want[n.len() - r.len()..].copy_from_slice(&r);
        assert_eq!(&*cb.open_ladder(&sig).unwrap(), &want[..]);
        assert_eq!(&*cb.open_pow(&sig).unwrap(), &want[..]);
        let ring_key = ring::signature::RsaPublicKeyComponents {
            n: n.as_slice(),
            e: e.as_slice(),
        };
        let ring_ok = ring_key
            .verify(
                &ring::signature::RSA_PKCS1_1024_8192_SHA256_FOR_LEGACY_USE_ONLY,
                data,
                &sig,
            )
            .is_ok();
        assert_eq!(ring_ok, bits >= 1024, "ring");
        let aws = aws_lc_rs::signature::ParsedPublicKey::new(
            &aws_lc_rs::signature::RSA_PKCS1_1024_8192_SHA256_FOR_LEGACY_USE_ONLY,
            &pkcs1,
        );
        let aws_ok = aws.as_ref().is_ok_and(|k| k.verify_sig(data, &sig).is_ok());
        assert_eq!(aws_ok, bits >= 1024, "aws-lc-rs");
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
        g.bench_function("crypto-bigint", |b| {
            b.iter(|| black_box(cb.open_ladder(black_box(&sig))))
        });
        g.bench_function("crypto-bigint-pow", |b| {
            b.iter(|| black_box(cb.open_pow(black_box(&sig))))
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
        if ring_ok {
            g.bench_function("ring-verify", |b| {
                b.iter(|| {
                    black_box(ring_key.verify(
                        &ring::signature::RSA_PKCS1_1024_8192_SHA256_FOR_LEGACY_USE_ONLY,
                        data,
                        black_box(&sig),
                    ))
                })
            });
        }
        if let (true, Ok(aws)) = (aws_ok, &aws) {
            g.bench_function("aws-lc-verify", |b| {
                b.iter(|| black_box(aws.verify_sig(data, black_box(&sig))))
            });
        }
        g.bench_function("mail-auth-verify", |b| {
            b.iter(|| black_box(theirs.verify_bytes(&data[..], black_box(&sig), alg)))
        });
        g.finish();
    }
}

criterion_group!(benches, bench, rsa_candidates);
criterion_main!(benches);
