//! RSA signatures opened once, compared many times.
//!
//! A PKCS#1 v1.5 signature (RFC 8017 section 8.2.2) verifies when `s^e mod n` equals the
//! encoded message `00 01 FF..FF 00 DigestInfo(hash)`. The exponentiation depends only on the
//! signature and the key, not on the signed data, so the forensic verifier does it once per
//! signature and key ([`Opened::open`]) and then compares the opened block with the digest of
//! each candidate repair of the message ([`Opened::matches`]). That is the same decision a
//! stock verifier makes, at one exponentiation per signature instead of one per attempt; the
//! tests check both against mail-auth's own verification.

use mail_auth::common::crypto::Algorithm;
use rsa::BigUint;
use rsa::traits::PublicKeyParts;

/// DigestInfo prefix of SHA-256 (RFC 8017 section 9.2, note 1).
const SHA256_PREFIX: [u8; 19] = [
    0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05,
    0x00, 0x04, 0x20,
];
/// DigestInfo prefix of SHA-1 (RFC 8017 section 9.2, note 1).
const SHA1_PREFIX: [u8; 15] = [
    0x30, 0x21, 0x30, 0x09, 0x06, 0x05, 0x2b, 0x0e, 0x03, 0x02, 0x1a, 0x05, 0x00, 0x04, 0x14,
];

/// Largest modulus opened, as mail-auth's verifier accepts.
const MAX_MODULUS_BITS: usize = 8192;

/// An RSA public key parsed from a DKIM `p=` value (SubjectPublicKeyInfo or bare PKCS#1),
/// with its Montgomery context for the public operation.
#[derive(Clone, Debug)]
pub(crate) struct RsaKey(rsa::RsaPublicKey, Option<Montgomery>);

impl RsaKey {
    /// Parse the DER bytes of a `p=` value; `None` if they are not an RSA key.
    pub(crate) fn from_der(der: &[u8]) -> Option<Self> {
        use rsa::pkcs1::der::Decode;
        let pkcs1 = match rsa::pkcs8::SubjectPublicKeyInfoRef::try_from(der) {
            Ok(spki) => rsa::pkcs1::RsaPublicKey::from_der(spki.subject_public_key.as_bytes()?),
            Err(_) => rsa::pkcs1::RsaPublicKey::from_der(der),
        }
        .ok()?;
        let n = BigUint::from_bytes_be(pkcs1.modulus.as_bytes());
        let e = BigUint::from_bytes_be(pkcs1.public_exponent.as_bytes());
        let key = rsa::RsaPublicKey::new_with_max_size(n, e, MAX_MODULUS_BITS).ok()?;
        let mont = Montgomery::new(key.n(), key.e());
        Some(RsaKey(key, mont))
    }

    /// `s^e mod n`, big-endian without leading zeros: through the Montgomery context when the
    /// key has one (odd modulus, exponent under 2^64), else with the bignum crate.
    fn public_op(&self, s: &BigUint) -> Vec<u8> {
        match &self.1 {
            Some(m) => m.pow(s),
            None => s.modpow(self.0.e(), self.0.n()).to_bytes_be(),
        }
    }
}

/// Montgomery arithmetic modulo one RSA modulus (CIOS multiplication, 64-bit limbs), set up
/// once per key: the public operation `s^e mod n` with a small `e` (65537 in practice) is
/// 17 multiplications. Only public values go through it, so it need not be constant-time.
/// The bignum crate's `modpow` is its reference (property tests below).
#[derive(Clone, Debug)]
struct Montgomery {
    /// The modulus, little-endian limbs.
    n: Vec<u64>,
    /// `-n^-1 mod 2^64`.
    n0: u64,
    /// `R^2 mod n`, `R = 2^(64 * limbs)`.
    r2: Vec<u64>,
    /// The public exponent.
    e: u64,
}

/// `x` as `len` little-endian limbs (`x` must fit).
fn to_limbs(x: &BigUint, len: usize) -> Vec<u64> {
    let mut out = vec![0u64; len];
    for (limb, chunk) in out.iter_mut().zip(x.to_bytes_le().chunks(8)) {
        let mut b = [0u8; 8];
        b[..chunk.len()].copy_from_slice(chunk);
        *limb = u64::from_le_bytes(b);
    }
    out
}

impl Montgomery {
    fn new(n: &BigUint, e: &BigUint) -> Option<Montgomery> {
        let n_bytes = n.to_bytes_le();
        let e_bytes = e.to_bytes_le();
        if n_bytes.first().is_none_or(|b| b & 1 == 0) || n_bytes.len() < 2 || e_bytes.len() > 8 {
            return None;
        }
        let e = e_bytes
            .iter()
            .rev()
            .fold(0u64, |acc, &b| (acc << 8) | u64::from(b));
        if e == 0 {
            return None;
        }
        let len = n_bytes.len().div_ceil(8);
        let limbs = to_limbs(n, len);
        // Newton's iteration doubles the correct low bits of n^-1 mod 2^64 each step
        // (n * n ≡ 1 mod 8 for odd n gives three bits to start).
        let n_first = *limbs.first()?;
        let mut inv = n_first;
        for _ in 0..5 {
            inv = inv.wrapping_mul(2u64.wrapping_sub(n_first.wrapping_mul(inv)));
        }
        let r2 = (BigUint::from(1u32) << (128 * len)) % n;
        Some(Montgomery {
            n: limbs,
            n0: inv.wrapping_neg(),
            r2: to_limbs(&r2, len),
            e,
        })
    }

    /// `a * b * R^-1 mod n` for `a, b < n`.
    fn mul(&self, a: &[u64], b: &[u64]) -> Vec<u64> {
        let len = self.n.len();
        let mut t = vec![0u64; len + 2];
        for &bi in b {
            // t += a * bi
            let mut carry = 0u64;
            for (tj, &aj) in t.iter_mut().zip(a) {
                let x = u128::from(*tj) + u128::from(aj) * u128::from(bi) + u128::from(carry);
                *tj = x as u64;
                carry = (x >> 64) as u64;
            }
            let x = u128::from(t[len]) + u128::from(carry);
            t[len] = x as u64;
            t[len + 1] = (x >> 64) as u64;
            // t = (t + m * n) / 2^64, with m chosen so that the low limb becomes zero.
            let m = t[0].wrapping_mul(self.n0);
            let x = u128::from(t[0]) + u128::from(m) * u128::from(self.n[0]);
            let mut carry = (x >> 64) as u64;
            for j in 1..len {
                let x =
                    u128::from(t[j]) + u128::from(m) * u128::from(self.n[j]) + u128::from(carry);
                t[j - 1] = x as u64;
                carry = (x >> 64) as u64;
            }
            let x = u128::from(t[len]) + u128::from(carry);
            t[len - 1] = x as u64;
            let x = u128::from(t[len + 1]) + (x >> 64);
            t[len] = x as u64;
            t[len + 1] = 0;
        }
        // t < 2n: subtract n once if t >= n.
        let over = t[len] != 0 || !less_than(&t[..len], &self.n);
        t.truncate(len);
        if over {
            let mut borrow = false;
            for (tj, &nj) in t.iter_mut().zip(&self.n) {
                let (d, b1) = tj.overflowing_sub(nj);
                let (d, b2) = d.overflowing_sub(u64::from(borrow));
                *tj = d;
                borrow = b1 || b2;
            }
        }
        t
    }

    /// `s^e mod n` for `s < n`, big-endian without leading zeros (zero is `[0]`).
    fn pow(&self, s: &BigUint) -> Vec<u8> {
        let len = self.n.len();
        let x = self.mul(&to_limbs(s, len), &self.r2);
        let mut acc = x.clone();
        let bits = 64 - self.e.leading_zeros();
        for k in (0..bits.saturating_sub(1)).rev() {
            acc = self.mul(&acc, &acc);
            if (self.e >> k) & 1 == 1 {
                acc = self.mul(&acc, &x);
            }
        }
        let mut one = vec![0u64; len];
        one[0] = 1;
        let plain = self.mul(&acc, &one);
        let mut out: Vec<u8> = plain.iter().rev().flat_map(|l| l.to_be_bytes()).collect();
        // As the bignum crate writes numbers: no leading zeros, and zero as one byte.
        let zeros = out.iter().take_while(|&&b| b == 0).count();
        out.drain(..zeros.min(out.len().saturating_sub(1)));
        out
    }
}

/// `a < b` for little-endian limbs of equal length.
fn less_than(a: &[u64], b: &[u64]) -> bool {
    for (x, y) in a.iter().rev().zip(b.iter().rev()) {
        if x != y {
            return x < y;
        }
    }
    false
}

/// The block a signature opens to under one key, or the reason it cannot match anything.
#[derive(Clone, Debug)]
pub(crate) struct Opened {
    /// `s^e mod n`, big-endian, left-padded to the modulus length; `None` when the signature
    /// is out of range (longer or shorter than the modulus, or not below it).
    block: Option<Vec<u8>>,
}

impl Opened {
    /// Open `signature` with `key`: the one modular exponentiation.
    pub(crate) fn open(key: &RsaKey, signature: &[u8]) -> Self {
        let k = key.0.size();
        let s = BigUint::from_bytes_be(signature);
        if signature.len() != k || &s >= key.0.n() {
            return Opened { block: None };
        }
        let m = key.public_op(&s);
        let block = (m.len() <= k).then(|| {
            let mut b = vec![0u8; k - m.len()];
            b.extend_from_slice(&m);
            b
        });
        Opened { block }
    }

    /// Whether the opened block is exactly the PKCS#1 v1.5 encoding of `digest` for `a`.
    pub(crate) fn matches(&self, a: Algorithm, digest: &[u8]) -> bool {
        let Some(block) = &self.block else {
            return false;
        };
        let prefix: &[u8] = match a {
            Algorithm::RsaSha256 if digest.len() == 32 => &SHA256_PREFIX,
            Algorithm::RsaSha1 if digest.len() == 20 => &SHA1_PREFIX,
            _ => return false,
        };
        let t_len = prefix.len() + digest.len();
        // RFC 8017 section 9.2 step 4: at least eight 0xFF bytes of padding.
        let Some(ps_len) = block.len().checked_sub(t_len + 3) else {
            return false;
        };
        if ps_len < 8 {
            return false;
        }
        let (head, rest) = block.split_at(2);
        let (ps, rest) = rest.split_at(ps_len);
        let (zero, rest) = rest.split_at(1);
        let (p, d) = rest.split_at(prefix.len());
        head == [0x00, 0x01]
            && ps.iter().all(|&b| b == 0xff)
            && zero == [0]
            && p == prefix
            && d == digest
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mail_auth::common::crypto::{HashAlgorithm, VerifyingKey};
    use mail_auth::common::parse::TxtRecordParser;
    use proptest::prelude::*;
    use rsa::pkcs1v15::Pkcs1v15Sign;
    use rsa::pkcs8::EncodePublicKey;
    use std::sync::OnceLock;

    fn private() -> &'static rsa::RsaPrivateKey {
        static KEY: OnceLock<rsa::RsaPrivateKey> = OnceLock::new();
        KEY.get_or_init(|| {
            use rsa::pkcs8::DecodePrivateKey;
            // The sample dump's 1024-bit test key.
            let pem = include_str!("../../examples/data/keys/news-mc1.pem");
            rsa::RsaPrivateKey::from_pkcs8_pem(pem).expect("key")
        })
    }

    fn keys() -> (RsaKey, Box<dyn VerifyingKey + Send + Sync>) {
        let der = private()
            .to_public_key()
            .to_public_key_der()
            .expect("der")
            .into_vec();
        let mine = RsaKey::from_der(&der).expect("parse");
        // A PEM body is the base64 of the DER, which is what `p=` holds.
        let pem = private()
            .to_public_key()
            .to_public_key_pem(rsa::pkcs8::LineEnding::LF)
            .expect("pem");
        let p: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
        let record = format!("v=DKIM1; k=rsa; p={p}");
        let theirs = mail_auth::common::verify::DomainKey::parse(record.as_bytes())
            .expect("mail-auth parse")
            .p;
        (mine, theirs)
    }

    fn sign(a: Algorithm, data: &[u8]) -> Vec<u8> {
        let digest = HashAlgorithm::from(a).hash(data);
        let (prefix, len): (&[u8], usize) = match a {
            Algorithm::RsaSha1 => (&SHA1_PREFIX, 20),
            _ => (&SHA256_PREFIX, 32),
        };
        let scheme = Pkcs1v15Sign {
            hash_len: Some(len),
            prefix: prefix.into(),
        };
        private().sign(scheme, digest.as_ref()).expect("sign")
    }

    /// Both algorithms: a good signature matches, and every other digest does not, exactly
    /// as mail-auth's verifier decides.
    #[test]
    fn agrees_with_mail_auth_on_good_and_bad_digests() {
        let (mine, theirs) = keys();
        for a in [Algorithm::RsaSha256, Algorithm::RsaSha1] {
            let sig = sign(a, b"signed data");
            let opened = Opened::open(&mine, &sig);
            for data in [&b"signed data"[..], b"signed datA", b""] {
                let digest = HashAlgorithm::from(a).hash(data);
                let ok = theirs.verify_bytes(data, &sig, a).is_ok();
                assert_eq!(opened.matches(a, digest.as_ref()), ok, "{a:?} {data:?}");
                assert_eq!(ok, data == b"signed data");
            }
            // The same block never matches the other algorithm's digest.
            let other = match a {
                Algorithm::RsaSha1 => Algorithm::RsaSha256,
                _ => Algorithm::RsaSha1,
            };
            let digest = HashAlgorithm::from(other).hash(&b"signed data"[..]);
            assert!(!opened.matches(other, digest.as_ref()));
            assert!(!opened.matches(Algorithm::Ed25519Sha256, &[0; 32]));
        }
    }

    #[test]
    fn out_of_range_signatures_match_nothing() {
        let (mine, _) = keys();
        let digest = HashAlgorithm::from(Algorithm::RsaSha256).hash(&b"x"[..]);
        for sig in [vec![], vec![1u8; 127], vec![0xffu8; 128], vec![1u8; 129]] {
            assert!(!Opened::open(&mine, &sig).matches(Algorithm::RsaSha256, digest.as_ref()));
        }
    }

    /// The bignum crate's `modpow`, the reference of `Montgomery::pow`.
    fn reference_pow(s: &BigUint, e: &BigUint, n: &BigUint) -> Vec<u8> {
        s.modpow(e, n).to_bytes_be()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]
        /// Random odd moduli of 2 to 40 bytes, random bases below them, random exponents.
        #[test]
        fn montgomery_pow_agrees_with_modpow(
            n_bytes in proptest::collection::vec(any::<u8>(), 2..40),
            s_bytes in proptest::collection::vec(any::<u8>(), 0..48),
            e in 1u64..,
            small_e in 1u64..70_000,
        ) {
            let mut n_bytes = n_bytes;
            n_bytes[0] |= 0x80; // full length
            let last = n_bytes.len() - 1;
            n_bytes[last] |= 1; // odd
            let n = BigUint::from_bytes_be(&n_bytes);
            let s = BigUint::from_bytes_be(&s_bytes) % &n;
            for e in [e, small_e, 65_537, 3, 1] {
                let e = BigUint::from(e);
                let m = Montgomery::new(&n, &e).expect("odd modulus");
                prop_assert_eq!(m.pow(&s), reference_pow(&s, &e, &n));
            }
        }

        /// The sample dump's real keys (1024 and 2048 bits) and random signatures.
        #[test]
        fn montgomery_pow_agrees_on_real_keys(sig in proptest::collection::vec(any::<u8>(), 256)) {
            for pem in [
                include_str!("../../examples/data/keys/news-mc1.pem"),
                include_str!("../../examples/data/keys/campaign-google-2017.pem"),
            ] {
                use rsa::pkcs8::DecodePrivateKey;
                let public = rsa::RsaPrivateKey::from_pkcs8_pem(pem).expect("key").to_public_key();
                let m = Montgomery::new(public.n(), public.e()).expect("RSA modulus");
                let s = BigUint::from_bytes_be(&sig) % public.n();
                prop_assert_eq!(m.pow(&s), reference_pow(&s, public.e(), public.n()));
            }
        }
    }

    #[test]
    fn montgomery_zero_one_and_n_minus_one() {
        let n = BigUint::from(0x8001u32);
        let m = Montgomery::new(&n, &BigUint::from(65_537u32)).expect("odd");
        assert_eq!(m.pow(&BigUint::from(0u32)), [0]);
        assert_eq!(m.pow(&BigUint::from(1u32)), [1]);
        let minus_one = &n - BigUint::from(1u32);
        assert_eq!(m.pow(&minus_one), minus_one.to_bytes_be()); // odd exponent
    }

    #[test]
    fn montgomery_refuses_what_it_cannot_do() {
        let even = BigUint::from(1000u32);
        let odd = BigUint::from(1001u32);
        assert!(Montgomery::new(&even, &BigUint::from(3u32)).is_none());
        assert!(Montgomery::new(&odd, &BigUint::from(0u32)).is_none());
        assert!(Montgomery::new(&odd, &(BigUint::from(1u32) << 64)).is_none());
        assert!(Montgomery::new(&BigUint::from(7u32), &BigUint::from(3u32)).is_none());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        /// Flipping any bit of the signature or the data: the opened comparison and
        /// mail-auth's verification always agree.
        #[test]
        fn agrees_with_mail_auth_on_tampering(
            data in proptest::collection::vec(any::<u8>(), 0..64),
            sha1 in any::<bool>(),
            flip_sig in proptest::option::of(0usize..1024),
            flip_data in proptest::option::of(0usize..512),
        ) {
            let (mine, theirs) = keys();
            let a = if sha1 { Algorithm::RsaSha1 } else { Algorithm::RsaSha256 };
            let mut sig = sign(a, &data);
            if let Some(bit) = flip_sig {
                sig[bit / 8] ^= 1 << (bit % 8);
            }
            let mut checked = data.clone();
            if let Some(bit) = flip_data.filter(|_| !checked.is_empty()) {
                let len = checked.len();
                checked[(bit / 8) % len] ^= 1 << (bit % 8);
            }
            let digest = HashAlgorithm::from(a).hash(checked.as_slice());
            let ok = theirs.verify_bytes(&checked, &sig, a).is_ok();
            prop_assert_eq!(Opened::open(&mine, &sig).matches(a, digest.as_ref()), ok);
        }
    }
}
