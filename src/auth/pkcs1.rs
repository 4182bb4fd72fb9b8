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

/// An RSA public key parsed from a DKIM `p=` value (SubjectPublicKeyInfo or bare PKCS#1).
#[derive(Clone, Debug)]
pub(crate) struct RsaKey(rsa::RsaPublicKey);

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
        rsa::RsaPublicKey::new_with_max_size(n, e, MAX_MODULUS_BITS)
            .ok()
            .map(Self)
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
        let k = key.0.size();
        let s = BigUint::from_bytes_be(signature);
        if signature.len() != k || &s >= key.0.n() {
            return Opened { block: None };
        }
        let m = s.modpow(key.0.e(), key.0.n()).to_bytes_be();
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
        let record = format!("v=DKIM1; k=rsa; p={}", base64(&der));
        let theirs = mail_auth::common::verify::DomainKey::parse(record.as_bytes())
            .expect("mail-auth parse")
            .p;
        (mine, theirs)
    }

    /// Standard base64 with padding, for the test record.
    fn base64(data: &[u8]) -> String {
        const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut out = String::new();
        for chunk in data.chunks(3) {
            let b = [
                chunk[0],
                *chunk.get(1).unwrap_or(&0),
                *chunk.get(2).unwrap_or(&0),
            ];
            let n = u32::from(b[0]) << 16 | u32::from(b[1]) << 8 | u32::from(b[2]);
            for i in 0..4 {
                if i <= chunk.len() {
                    out.push(char::from(ABC[(n >> (18 - 6 * i) & 63) as usize]));
                } else {
                    out.push('=');
                }
            }
        }
        out
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
