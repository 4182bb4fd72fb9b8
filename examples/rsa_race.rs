//! Interleaved timing of the RSA candidates of `benches/auth.rs` (`rsa/open/*`): the minimum over
//! 15 rounds per candidate, steadier than a mean on a shared machine.
//! `cargo run --release --example rsa_race`.
#[path = "../tests/testkeys/mod.rs"]
mod testkeys;
use std::hint::black_box;
use std::time::Instant;
use testkeys::keys_dir;
#[allow(dead_code)]
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

fn main() {
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
        let mine = crate_rsa::RsaKey::from_der(&spki).unwrap();
        let cb = candidates::CbKey::new(&n, e64);
        let ring_key = ring::signature::RsaPublicKeyComponents {
            n: n.as_slice(),
            e: e.as_slice(),
        };
        let iters = 200_000_000 / (bits * bits) as u32;
        let mut best = [f64::MAX; 4];
        for _round in 0..15 {
            for (c, best) in best.iter_mut().enumerate() {
                let t = Instant::now();
                for _ in 0..iters {
                    match c {
                        0 => {
                            black_box(crate_rsa::Opened::open(&mine, black_box(&sig)));
                        }
                        1 => {
                            black_box(cb.open_ladder(black_box(&sig)));
                        }
                        2 => {
                            black_box(ring_key.verify(&ring::signature::RSA_PKCS1_1024_8192_SHA256_FOR_LEGACY_USE_ONLY, data, black_box(&sig)).is_ok());
                        }
                        _ => {
                            black_box(
                                rsa::BigUint::from_bytes_be(black_box(&sig))
                                    .modpow(public.e(), public.n()),
                            );
                        }
                    }
                }
                let per = t.elapsed().as_secs_f64() * 1e6 / f64::from(iters);
                *best = best.min(per);
            }
        }
        println!(
            "{bits}: hand {:.2} µs, crypto-bigint {:.2} µs, ring {:.2} µs, modpow {:.2} µs",
            best[0], best[1], best[2], best[3]
        );
    }
}
