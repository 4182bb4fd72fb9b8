//! The committed test keys (`tests/data/keys`) of the DKIM and ARC tests and the `auth`
//! bench. (The sample dump's keys are under `examples/data/keys`, see [`crate::sample`].)

use std::path::PathBuf;

/// `tests/data/keys`: private keys as PEM, public halves in `pub.txt`.
pub fn keys_dir() -> PathBuf {
    crate::repo_root().join("tests/data/keys")
}

/// The base64 public key (`p=` value) of the key file `name` (`rsa2048`, `ed25519`, ...).
pub fn public(name: &str) -> String {
    let text = std::fs::read_to_string(keys_dir().join("pub.txt")).expect("pub.txt");
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{name} ")))
        .expect("key listed in pub.txt")
        .to_string()
}

/// A deterministic generator for test keys (SplitMix64); never for real keys.
struct TestRng(u64);

impl rsa::rand_core::RngCore for TestRng {
    fn next_u32(&mut self) -> u32 {
        self.next_u64() as u32
    }
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        for chunk in dest.chunks_mut(8) {
            let v = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&v[..chunk.len()]);
        }
    }
    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rsa::rand_core::Error> {
        self.fill_bytes(dest);
        Ok(())
    }
}

impl rsa::rand_core::CryptoRng for TestRng {}

/// A fresh RSA key of `bits` bits and public exponent `e`, the same for the same `seed`
/// (deterministic, for tests and benches only).
pub fn generated_rsa(seed: u64, bits: usize, e: u64) -> rsa::RsaPrivateKey {
    rsa::RsaPrivateKey::new_with_exp(&mut TestRng(seed), bits, &rsa::BigUint::from(e))
        .expect("test key")
}
