//! RSA signatures opened once, compared many times.
//!
//! A PKCS#1 v1.5 signature (RFC 8017 section 8.2.2) verifies when `s^e mod n` equals the
//! encoded message `00 01 FF..FF 00 DigestInfo(hash)`. The exponentiation depends only on the
//! signature and the key, not on the signed data, so the forensic verifier does it once per
//! signature and key ([`Opened::open`]) and then compares the opened block with the digest of
//! each candidate repair of the message ([`Opened::matches`]). That is the same decision a
//! stock verifier makes, at one exponentiation per signature instead of one per attempt; the
//! tests check both against mail-auth's own verification.
//!
//! The arithmetic is crypto-bigint's Montgomery multiplication; the exponent is walked here,
//! left to right, because a public exponent is short and public (65537: 16 squarings and one
//! multiplication), which crypto-bigint's constant-time `pow` cannot take advantage of. Keys
//! are limited in modulus and exponent size ([`MAX_RSA_MODULUS_BITS`],
//! [`MAX_RSA_EXPONENT_BITS`]), so no opening costs more than a bounded number of
//! multiplications. `benches/auth.rs` (`rsa/open/*`) compares this with the other candidates.

use crypto_bigint::modular::{BoxedMontyForm, BoxedMontyParams};
use crypto_bigint::{BoxedUint, Odd};
use mail_auth::common::crypto::Algorithm;

use super::limits::{MAX_RSA_EXPONENT_BITS, MAX_RSA_MODULUS_BITS};

/// DigestInfo prefix of SHA-256 (RFC 8017 section 9.2, note 1).
pub(crate) const SHA256_PREFIX: [u8; 19] = [
    0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05,
    0x00, 0x04, 0x20,
];
/// DigestInfo prefix of SHA-1 (RFC 8017 section 9.2, note 1).
pub(crate) const SHA1_PREFIX: [u8; 15] = [
    0x30, 0x21, 0x30, 0x09, 0x06, 0x05, 0x2b, 0x0e, 0x03, 0x02, 0x1a, 0x05, 0x00, 0x04, 0x14,
];

/// An RSA public key parsed from a DKIM `p=` value (SubjectPublicKeyInfo or bare PKCS#1),
/// with its Montgomery parameters for the public operation.
#[derive(Clone, Debug)]
pub(crate) struct RsaKey {
    /// The modulus, at the precision of the Montgomery parameters.
    n: BoxedUint,
    params: BoxedMontyParams,
    /// The public exponent: odd, at least 3, at most [`MAX_RSA_EXPONENT_BITS`] bits.
    e: u64,
    /// The modulus length in bytes (the length of a signature).
    len: usize,
}

/// `bytes` without leading zero bytes.
fn trim_zeros(bytes: &[u8]) -> &[u8] {
    let zeros = bytes.iter().take_while(|&&b| b == 0).count();
    bytes.get(zeros..).unwrap_or_default()
}

impl RsaKey {
    /// Parse the DER bytes of a `p=` value. `Err` says why the key is refused: not an RSA
    /// key, or outside the limits.
    pub(crate) fn from_der(der: &[u8]) -> Result<Self, String> {
        use rsa::pkcs1::der::Decode;
        let pkcs1 = match rsa::pkcs8::SubjectPublicKeyInfoRef::try_from(der) {
            Ok(spki) => spki
                .subject_public_key
                .as_bytes()
                .ok_or_else(|| "the key is not a whole number of bytes".to_string())
                .and_then(|b| rsa::pkcs1::RsaPublicKey::from_der(b).map_err(|e| e.to_string())),
            Err(_) => rsa::pkcs1::RsaPublicKey::from_der(der).map_err(|e| e.to_string()),
        }
        .map_err(|e| format!("not an RSA public key: {e}"))?;
        Self::from_parts(pkcs1.modulus.as_bytes(), pkcs1.public_exponent.as_bytes())
    }

    /// A key from its big-endian modulus and exponent, within the limits.
    pub(crate) fn from_parts(n: &[u8], e: &[u8]) -> Result<Self, String> {
        let n = trim_zeros(n);
        let e = trim_zeros(e);
        let bits = n.first().map_or(0, |&b| {
            (n.len() * 8).saturating_sub(b.leading_zeros() as usize)
        });
        if bits > MAX_RSA_MODULUS_BITS {
            return Err(format!(
                "RSA modulus of {bits} bits, over the limit of {MAX_RSA_MODULUS_BITS}"
            ));
        }
        let e_bits = e.first().map_or(0, |&b| {
            (e.len() * 8).saturating_sub(b.leading_zeros() as usize)
        });
        let max_e = (1u64 << MAX_RSA_EXPONENT_BITS) - 1;
        let exponent = e.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b));
        if e_bits > MAX_RSA_EXPONENT_BITS as usize || exponent < 3 || exponent % 2 == 0 {
            let shown = if e.len() <= 8 {
                exponent.to_string()
            } else {
                format!("of {e_bits} bits")
            };
            return Err(format!(
                "RSA public exponent {shown} is not one of the accepted odd exponents from 3 to {max_e}"
            ));
        }
        if n.last().is_none_or(|b| b & 1 == 0) || bits < 2 {
            return Err("RSA modulus is even or too small".into());
        }
        let n = BoxedUint::from_be_slice_vartime(n);
        let modulus = Odd::new(n.clone())
            .into_option()
            .ok_or_else(|| "RSA modulus is even".to_string())?;
        Ok(RsaKey {
            params: BoxedMontyParams::new_vartime(modulus),
            n,
            e: exponent,
            len: bits.div_ceil(8),
        })
    }

    /// The modulus size in bits.
    #[cfg(test)]
    fn bits(&self) -> u32 {
        self.n.bit_width()
    }

    /// `s^e mod n`, big-endian, `len` bytes; `None` when the signature is not `len` bytes or
    /// not below the modulus.
    fn public_op(&self, signature: &[u8]) -> Option<Vec<u8>> {
        if signature.len() != self.len {
            return None;
        }
        let s = BoxedUint::from_be_slice(signature, self.n.bits_precision()).ok()?;
        if s >= self.n {
            return None;
        }
        #[cfg(test)]
        super::limits::work::add(|c| c.openings += 1);
        let x = BoxedMontyForm::new(s, &self.params);
        let mut acc = x.clone();
        for k in (0..63 - self.e.leading_zeros()).rev() {
            acc = acc.square();
            if (self.e >> k) & 1 == 1 {
                acc = acc.mul(&x);
            }
        }
        // The value is below the modulus: the bytes above its length are zero.
        let out = acc.retrieve().to_be_bytes();
        let extra = out.len().checked_sub(self.len)?;
        out.get(extra..).map(<[u8]>::to_vec)
    }
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
        Opened {
            block: key.public_op(signature),
        }
    }

    /// Whether the opened block is a PKCS#1 v1.5 encoding of some digest for `a` (made with
    /// this key, over other data): what key recovery tells apart from another key.
    pub(crate) fn is_block_of(&self, a: Algorithm) -> bool {
        let (prefix, len): (&[u8], usize) = match a {
            Algorithm::RsaSha256 => (&SHA256_PREFIX, 32),
            Algorithm::RsaSha1 => (&SHA1_PREFIX, 20),
            _ => return false,
        };
        let Some(block) = &self.block else {
            return false;
        };
        let Some(start) = block.len().checked_sub(len) else {
            return false;
        };
        block.get(..start).is_some_and(|head| {
            Opened {
                block: Some(head.to_vec()),
            }
            .is_padding(prefix)
        })
    }

    /// Whether this block (without its digest) is `00 01 FF..FF 00 prefix` with at least
    /// eight bytes of padding.
    fn is_padding(&self, prefix: &[u8]) -> bool {
        let Some(block) = &self.block else {
            return false;
        };
        let Some(ps_len) = block.len().checked_sub(prefix.len() + 3) else {
            return false;
        };
        ps_len >= 8
            && block.get(..2) == Some(&[0x00, 0x01][..])
            && block
                .get(2..2 + ps_len)
                .is_some_and(|ps| ps.iter().all(|&b| b == 0xff))
            && block.get(2 + ps_len) == Some(&0)
            && block.get(3 + ps_len..) == Some(prefix)
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
    use rsa::BigUint;
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

    /// The bignum crate's `modpow`, the reference of the opening, left-padded to `len` bytes.
    fn reference_pow(s: &[u8], e: u64, n: &[u8], len: usize) -> Vec<u8> {
        let (s, n) = (BigUint::from_bytes_be(s), BigUint::from_bytes_be(n));
        let m = s.modpow(&BigUint::from(e), &n).to_bytes_be();
        let mut out = vec![0u8; len - m.len()];
        out.extend_from_slice(&m);
        out
    }

    /// `x` as `len` big-endian bytes (`x` must fit).
    fn padded(x: &BigUint, len: usize) -> Vec<u8> {
        let b = x.to_bytes_be();
        let mut out = vec![0u8; len - b.len()];
        out.extend_from_slice(&b);
        out
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]
        /// Random odd moduli of 2 to 80 bytes, random bases below them, every accepted kind
        /// of exponent.
        #[test]
        fn opening_agrees_with_modpow(
            n_bytes in proptest::collection::vec(any::<u8>(), 2..80),
            s_bytes in proptest::collection::vec(any::<u8>(), 0..96),
            small_e in 1u64..65_536,
        ) {
            let mut n_bytes = n_bytes;
            n_bytes[0] |= 0x80; // full length
            let last = n_bytes.len() - 1;
            n_bytes[last] |= 1; // odd
            let n = BigUint::from_bytes_be(&n_bytes);
            let s = padded(&(BigUint::from_bytes_be(&s_bytes) % &n), n_bytes.len());
            for e in [small_e * 2 + 1, 65_537, 131_071, 3, 17] {
                let key = RsaKey::from_parts(&n_bytes, &e.to_be_bytes()).expect("accepted");
                prop_assert_eq!(key.public_op(&s), Some(reference_pow(&s, e, &n_bytes, n_bytes.len())));
            }
        }

        /// The sample dump's real keys (1024 and 2048 bits) and random signatures.
        #[test]
        fn opening_agrees_on_real_keys(sig in proptest::collection::vec(any::<u8>(), 256)) {
            for pem in [
                include_str!("../../examples/data/keys/news-mc1.pem"),
                include_str!("../../examples/data/keys/campaign-google-2017.pem"),
            ] {
                use rsa::pkcs8::DecodePrivateKey;
                use rsa::traits::PublicKeyParts;
                let public = rsa::RsaPrivateKey::from_pkcs8_pem(pem).expect("key").to_public_key();
                let der = public.to_public_key_der().expect("der").into_vec();
                let key = RsaKey::from_der(&der).expect("RSA key");
                let n = public.n().to_bytes_be();
                let s = padded(&(BigUint::from_bytes_be(&sig) % public.n()), n.len());
                prop_assert_eq!(key.public_op(&s), Some(reference_pow(&s, 65_537, &n, n.len())));
            }
        }
    }

    #[test]
    fn opening_zero_one_and_n_minus_one() {
        let n = 0x8001u32.to_be_bytes();
        let key = RsaKey::from_parts(&n, &[1, 0, 1]).expect("odd");
        assert_eq!(key.public_op(&[0, 0]), Some(vec![0, 0]));
        assert_eq!(key.public_op(&[0, 1]), Some(vec![0, 1]));
        // An odd exponent keeps n - 1.
        assert_eq!(key.public_op(&[0x80, 0x00]), Some(vec![0x80, 0x00]));
        // Not below the modulus, or not the modulus length: nothing to open.
        assert_eq!(key.public_op(&[0x80, 0x01]), None);
        assert_eq!(key.public_op(&[0xff, 0xff]), None);
        assert_eq!(key.public_op(&[1]), None);
        assert_eq!(key.public_op(&[0, 0, 1]), None);
    }

    #[test]
    fn keys_outside_the_limits_are_refused() {
        let odd = [0xc5u8; 64]; // 512 bits, odd
        for e in [3u64, 5, 17, 35, 65_537, 131_071] {
            assert!(RsaKey::from_parts(&odd, &e.to_be_bytes()).is_ok(), "e={e}");
        }
        for e in [0u64, 1, 2, 65_536, 131_073, (1 << 33) - 1, u64::MAX] {
            let err = RsaKey::from_parts(&odd, &e.to_be_bytes()).expect_err("refused");
            assert!(err.contains("exponent"), "{err}");
        }
        // An exponent longer than 64 bits is refused by its length.
        let err = RsaKey::from_parts(&odd, &[1; 20]).expect_err("refused");
        assert!(err.contains("of 153 bits"), "{err}");
        let mut even = odd;
        even[63] = 0xc4;
        assert!(RsaKey::from_parts(&even, &[1, 0, 1]).is_err());
        assert!(RsaKey::from_parts(&[], &[1, 0, 1]).is_err());
        assert!(RsaKey::from_parts(&[1], &[1, 0, 1]).is_err());
        // 8192 bits is the largest modulus; leading zero bytes do not count.
        let mut big = vec![0xffu8; 1024];
        assert_eq!(
            RsaKey::from_parts(&big, &[1, 0, 1]).map(|k| k.bits()),
            Ok(8192)
        );
        big.insert(0, 0);
        assert!(RsaKey::from_parts(&big, &[1, 0, 1]).is_ok());
        big[0] = 1;
        let err = RsaKey::from_parts(&big, &[1, 0, 1]).expect_err("8193 bits");
        assert!(err.contains("8193 bits"), "{err}");
        assert!(RsaKey::from_der(b"not der").is_err());
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
