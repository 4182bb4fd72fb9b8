//! RSA public keys recovered from the dump itself, for selectors no archive holds.
//!
//! A PKCS#1 v1.5 signature `s` of a message whose encoded signed-header hash is `EM(m)`
//! satisfies `s^e ≡ EM(m) (mod n)`, so the modulus `n` divides `s^e − EM(m)`. Two signatures
//! made with one key give `n` as a divisor of `gcd(s1^e − EM(m1), s2^e − EM(m2))`: the gcd is
//! `n` times a small cofactor, which trial division by small primes strips (a third
//! signature strips the rest, cheaply: it is reduced modulo the first gcd). The exponents
//! tried are 3, 17 and 65537 (the cheap ones first); the modulus has the signature's byte
//! length, so `EM` is built at that length, with the DigestInfo of the signature's own hash
//! (`rsa-sha256` or `rsa-sha1`).
//!
//! The numbers are large: for a 2048-bit key and `e = 65537`, `s^e` has about 134 million
//! bits, and the gcd of two of them is nearly the whole cost: 12 to 16 s of CPU for a
//! 1024-bit key and 28 to 36 s for a 2048-bit key on a 2.6 GHz core, depending on the library
//! (see `benches/recover.rs` and the README). Each `s^e − m` is computed once per exponent,
//! the gcd is the library's own (subquadratic) one, and what follows works on the gcd, of
//! about the modulus' size: small primes stripped, further signatures reduced modulo it.
//!
//! The arithmetic comes from an optional dependency with a subquadratic gcd: the `recover`
//! feature (malachite, pure Rust, on by default) or the `recover-gmp` feature (GMP through
//! rug, linked dynamically to the system's libgmp; preferred when both are on). Both
//! libraries are LGPL-3.0: see the README. Without either, [`recover_keys`] recovers nothing
//! ([`available`] says so).
//!
//! A recovered key proves that the messages whose signatures verify against it share one
//! signer. It does not say who that signer is: it must never make a message `verified` by
//! itself. A scan ([`Scanner::recover_keys`](crate::Scanner::recover_keys)) reports it as
//! `key_source: "recovered from N signatures"` with `header_signature_valid: true` while the
//! result stays `no-key`, and flags a message whose signature under the same name does not
//! verify against the key the others share (`dkim-recovered-key-mismatch`).
//!
//! ```
//! use mailsleuth::auth::recover::{recover_keys, RsaSignature};
//! // Signatures come from Verifier::unkeyed_signatures (or a scan); none here.
//! let keys = recover_keys(&Vec::<RsaSignature>::new());
//! assert!(keys.is_empty());
//! ```

use std::collections::BTreeMap;

use super::SigningAlgorithm;
use super::rsa::{Opened, RsaKey, SHA1_PREFIX, SHA256_PREFIX};
use crate::span::Span;
use mail_auth::common::crypto::Algorithm;

/// Exponents tried, cheapest first.
pub const EXPONENTS: [u64; 3] = [3, 17, 65537];
/// The largest modulus recovered (bits). Larger signatures are not collected.
pub const MAX_MODULUS_BITS: usize = 4096;
/// The smallest modulus recovered (bits).
pub const MIN_MODULUS_BITS: usize = 512;
/// Signatures of one name used for recovery (the rest are only checked against the key).
pub const SIGNATURES_USED: usize = 8;
/// Pairs of signatures tried per exponent when a pair gives no modulus (a signature made
/// with another key, or garbage): each is one large gcd. The pairs are (0, 1), (0, 2), (1, 2)
/// of the name's signatures in scan order, so that one signature of another key among the
/// first three does not stop the recovery.
pub const MAX_PAIRS: usize = 3;

/// One RSA DKIM signature whose key no archive holds, with what recovery needs: the
/// signature bytes and the hash of the signed headers (as the verifier computed it, on the
/// stored message or its repair whose body hash verified).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RsaSignature {
    /// `d=`, lowercase.
    pub domain: String,
    /// `s=`, lowercase.
    pub selector: String,
    /// `a=` (`rsa-sha256` or `rsa-sha1`).
    pub algorithm: SigningAlgorithm,
    /// `b=`, decoded.
    pub signature: Vec<u8>,
    /// The hash of the canonical signed headers (32 bytes for SHA-256, 20 for SHA-1).
    pub digest: Vec<u8>,
    /// The DKIM-Signature field.
    pub span: Span,
    /// The message's index in the scan.
    pub index: u64,
    /// The message's source (file name, archive path).
    pub source: String,
}

impl RsaSignature {
    /// A signature as the verifier saw it. `None` for an algorithm other than RSA, a digest
    /// of the wrong length, or a signature outside [`MIN_MODULUS_BITS`] to
    /// [`MAX_MODULUS_BITS`].
    pub fn new(
        domain: &str,
        selector: &str,
        algorithm: SigningAlgorithm,
        signature: Vec<u8>,
        digest: Vec<u8>,
        span: Span,
    ) -> Option<Self> {
        let digest_len = match algorithm {
            SigningAlgorithm::RsaSha256 => 32,
            SigningAlgorithm::RsaSha1 => 20,
            _ => return None,
        };
        let bits = signature.len() * 8;
        if digest.len() != digest_len || !(MIN_MODULUS_BITS..=MAX_MODULUS_BITS).contains(&bits) {
            return None;
        }
        Some(RsaSignature {
            domain: domain.trim().to_ascii_lowercase(),
            selector: selector.trim().to_ascii_lowercase(),
            algorithm,
            signature,
            digest,
            span,
            index: 0,
            source: String::new(),
        })
    }

    /// The same signature, placed in a scan: its message's index and source.
    pub fn at(mut self, index: u64, source: impl Into<String>) -> Self {
        self.index = index;
        self.source = source.into();
        self
    }

    /// The DNS name of its key, `<selector>._domainkey.<domain>`.
    pub fn key_name(&self) -> String {
        format!("{}._domainkey.{}", self.selector, self.domain)
    }

    fn mail_auth_algorithm(&self) -> Algorithm {
        match self.algorithm {
            SigningAlgorithm::RsaSha1 => Algorithm::RsaSha1,
            _ => Algorithm::RsaSha256,
        }
    }

    /// `EM(m)`: the PKCS#1 v1.5 encoding (RFC 8017 section 9.2) of the digest at the
    /// signature's length; `None` when the length leaves fewer than 8 padding bytes.
    fn encoded(&self) -> Option<Vec<u8>> {
        let prefix: &[u8] = match self.algorithm {
            SigningAlgorithm::RsaSha1 => &SHA1_PREFIX,
            _ => &SHA256_PREFIX,
        };
        let len = self.signature.len();
        let t_len = prefix.len() + self.digest.len();
        let ps = len.checked_sub(t_len + 3).filter(|&ps| ps >= 8)?;
        let mut em = Vec::with_capacity(len);
        em.extend_from_slice(&[0x00, 0x01]);
        em.resize(2 + ps, 0xff);
        em.push(0);
        em.extend_from_slice(prefix);
        em.extend_from_slice(&self.digest);
        Some(em)
    }
}

/// Where a signature used or checked came from: its message and field.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct SignatureRef {
    /// The message's index in the scan.
    pub index: u64,
    /// The message's source.
    pub source: String,
    /// The DKIM-Signature field.
    pub span: Span,
}

impl SignatureRef {
    fn of(s: &RsaSignature) -> Self {
        SignatureRef {
            index: s.index,
            source: s.source.clone(),
            span: s.span,
        }
    }
}

/// How a signature under a recovered key's name relates to the key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyMatch {
    /// It verifies: made with this key over these headers.
    Verifies,
    /// It opens to a valid PKCS#1 block under this key, over other headers: made with this
    /// key, the signed headers changed since.
    HeadersChanged,
    /// It was not made with this key (another key, or not a signature).
    OtherKey,
}

/// An RSA public key computed from signatures of the dump.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RecoveredKey {
    /// `d=`, lowercase.
    pub domain: String,
    /// `s=`, lowercase.
    pub selector: String,
    /// The modulus, big-endian, no leading zeros.
    pub modulus: Vec<u8>,
    /// The public exponent.
    pub exponent: u64,
    /// The signatures of the name that verify against it.
    pub signatures: Vec<SignatureRef>,
    /// The signatures of the name (and length) that do not, with how they relate.
    pub disagreeing: Vec<(SignatureRef, KeyMatch)>,
}

impl RecoveredKey {
    /// The DNS name, `<selector>._domainkey.<domain>`.
    pub fn name(&self) -> String {
        format!("{}._domainkey.{}", self.selector, self.domain)
    }

    /// The modulus size in bits.
    pub fn bits(&self) -> u32 {
        let lead = self.modulus.first().map_or(0, |b| b.leading_zeros());
        (self.modulus.len() as u32 * 8).saturating_sub(lead)
    }

    /// What reports write as `key_source`: `recovered from N signatures`.
    pub fn source_text(&self) -> String {
        format!("recovered from {} signatures", self.signatures.len())
    }

    /// The SubjectPublicKeyInfo DER of the key (what a DKIM `p=` holds, base64).
    pub fn spki_der(&self) -> Option<Vec<u8>> {
        use rsa::pkcs8::EncodePublicKey;
        let n = rsa::BigUint::from_bytes_be(&self.modulus);
        let e = rsa::BigUint::from(self.exponent);
        let key = rsa::RsaPublicKey::new_with_max_size(n, e, MAX_MODULUS_BITS).ok()?;
        key.to_public_key_der().ok().map(|d| d.into_vec())
    }

    /// The DKIM TXT record: `v=DKIM1; k=rsa; p=<base64 SubjectPublicKeyInfo>`.
    pub fn record(&self) -> Option<String> {
        use base64ct::{Base64, Encoding};
        let der = self.spki_der()?;
        Some(format!("v=DKIM1; k=rsa; p={}", Base64::encode_string(&der)))
    }

    /// The key as key-archive text ([`KeyStore`](super::KeyStore) reads it back): a comment
    /// line naming the messages it came from (index, source, offset of the signature), then
    /// `<name> <record>`.
    pub fn archive_lines(&self) -> Option<String> {
        let record = self.record()?;
        let from: Vec<String> = self
            .signatures
            .iter()
            .map(|s| {
                let source = s.source.replace(['\n', '\r'], " ");
                format!("#{} {} @{}", s.index, source, s.span.start)
            })
            .collect();
        Some(format!(
            "# {}: {}-bit RSA key (e={}) {}, not from DNS or an archive: messages {}\n{} {}\n",
            self.name(),
            self.bits(),
            self.exponent,
            self.source_text(),
            from.join(", "),
            self.name(),
            record
        ))
    }

    /// How `signature` relates to this key.
    pub fn check(&self, signature: &RsaSignature) -> KeyMatch {
        let Ok(key) = RsaKey::from_parts(&self.modulus, &self.exponent.to_be_bytes()) else {
            return KeyMatch::OtherKey;
        };
        let opened = Opened::open(&key, &signature.signature);
        let a = signature.mail_auth_algorithm();
        if opened.matches(a, &signature.digest) {
            KeyMatch::Verifies
        } else if opened.is_block_of(a) {
            KeyMatch::HeadersChanged
        } else {
            KeyMatch::OtherKey
        }
    }
}

/// Whether this build can recover keys (the `recover` or `recover-gmp` feature).
pub fn available() -> bool {
    cfg!(any(feature = "recover", feature = "recover-gmp"))
}

/// Group signatures by name and length, and recover the key of each name that has at least
/// two signatures made with one key. Each name uses at most [`SIGNATURES_USED`] of its
/// signatures (in the order given) for the computation, and tries at most [`MAX_PAIRS`]
/// pairs per exponent; every signature of the name is then checked against the key.
/// Returns the keys in name order. Costs one large gcd per pair tried and name (for e =
/// 65537 12 to 16 s of CPU for a 1024-bit key, 28 to 36 s for a 2048-bit one): see the
/// module docs.
pub fn recover_keys(signatures: &[RsaSignature]) -> Vec<RecoveredKey> {
    recover_keys_limited(signatures, usize::MAX)
}

/// [`recover_keys`] for at most `max_names` names (the first in name order).
pub fn recover_keys_limited(signatures: &[RsaSignature], max_names: usize) -> Vec<RecoveredKey> {
    let mut groups: BTreeMap<(&str, &str, usize), Vec<&RsaSignature>> = BTreeMap::new();
    for s in signatures {
        groups
            .entry((&s.domain, &s.selector, s.signature.len()))
            .or_default()
            .push(s);
    }
    groups
        .into_iter()
        .filter(|(_, g)| g.len() >= 2)
        .take(max_names)
        .filter_map(|((domain, selector, _), group)| {
            let used: Vec<&RsaSignature> = group.iter().copied().take(SIGNATURES_USED).collect();
            let (modulus, exponent) = math::recover(&used)?;
            let mut key = RecoveredKey {
                domain: domain.to_string(),
                selector: selector.to_string(),
                modulus,
                exponent,
                signatures: Vec::new(),
                disagreeing: Vec::new(),
            };
            for s in &group {
                match key.check(s) {
                    KeyMatch::Verifies => key.signatures.push(SignatureRef::of(s)),
                    other => key.disagreeing.push((SignatureRef::of(s), other)),
                }
            }
            // A key must be shared: two signatures at least verify against it.
            (key.signatures.len() >= 2).then_some(key)
        })
        .collect()
}

/// What key recovery changes in one DKIM check of a report (see
/// [`Amendment::dkim`](crate::scan::Amendment::dkim)).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct KeyRecovery {
    /// The DKIM-Signature field (the check's `span`).
    pub span: Span,
    /// `recovered from N signatures`.
    pub key_source: String,
    /// The recovered modulus size.
    pub key_bits: u32,
    /// Whether the signature verifies against the recovered key.
    pub header_signature_valid: bool,
    /// The note added to the check's `detail`.
    pub note: String,
}

impl KeyRecovery {
    /// Write this into `check` (the one with the same span, still without a key). Returns
    /// whether it changed anything.
    pub(crate) fn apply(&self, check: &mut super::DkimCheck) -> bool {
        if check.span != self.span || check.key_source.as_deref() == Some(&self.key_source) {
            return false;
        }
        if check.key_source.is_some() {
            // An archive's key decided this check: recovery does not speak over it.
            return false;
        }
        check.key_source = Some(self.key_source.clone());
        check.key_bits = Some(self.key_bits);
        check.header_signature_valid = Some(self.header_signature_valid);
        if self.key_bits < 1024 {
            check.weak_key = true;
        }
        check.detail = Some(match check.detail.take() {
            Some(d) => format!("{d}; {}", self.note),
            None => self.note.clone(),
        });
        true
    }
}

/// The small primes stripped from a gcd (all primes below this bound).
const SMALL_PRIME_BOUND: u32 = 20_000;

fn small_primes() -> Vec<u32> {
    let n = SMALL_PRIME_BOUND as usize;
    let mut sieve = vec![true; n];
    let mut primes = Vec::new();
    for i in 2..n {
        if sieve.get(i) == Some(&true) {
            primes.push(i as u32);
            let mut j = i * i;
            while j < n {
                if let Some(x) = sieve.get_mut(j) {
                    *x = false;
                }
                j += i;
            }
        }
    }
    primes
}

/// Whether a candidate of `bits` bits can be the modulus of `len`-byte signatures.
fn fits(bits: u64, len: usize) -> bool {
    let top = len as u64 * 8;
    bits <= top && bits + 8 > top
}

#[cfg(any(feature = "recover", feature = "recover-gmp"))]
mod math {
    //! The gcd computation, on whichever big-integer library is built in.

    use super::{EXPONENTS, MAX_PAIRS, RsaSignature, fits, small_primes};

    #[cfg(feature = "recover-gmp")]
    use gmp as big;
    #[cfg(all(feature = "recover", not(feature = "recover-gmp")))]
    use malachite as big;

    /// GMP through rug.
    #[cfg(feature = "recover-gmp")]
    mod gmp {
        use rug::Integer;
        use rug::integer::Order;
        use rug::ops::Pow;

        pub(super) type Big = Integer;

        pub(super) fn from_be(b: &[u8]) -> Big {
            Integer::from_digits(b, Order::Msf)
        }
        pub(super) fn to_be(x: &Big) -> Vec<u8> {
            x.to_digits::<u8>(Order::Msf)
        }
        pub(super) fn bits(x: &Big) -> u64 {
            u64::from(x.significant_bits())
        }
        /// `s^e − m`, `None` when not positive.
        pub(super) fn power_minus(s: &Big, e: u64, m: &Big) -> Option<Big> {
            let e = u32::try_from(e).ok()?;
            let x = Integer::from(s.pow(e)) - m;
            (x > 0).then_some(x)
        }
        pub(super) fn gcd(a: &Big, b: &Big) -> Big {
            Integer::from(a.gcd_ref(b))
        }
        /// `(s^e − m) mod g`.
        pub(super) fn power_minus_mod(s: &Big, e: u64, m: &Big, g: &Big) -> Big {
            let p = s.clone().pow_mod(&Integer::from(e), g).unwrap_or_default();
            let mut r = (p - m) % g;
            if r < 0 {
                r += g;
            }
            r
        }
        /// `x` without factors `p`.
        pub(super) fn strip(mut x: Big, p: u32) -> Big {
            if x == 0 {
                return x;
            }
            while x.is_divisible_u(p) {
                x.div_exact_u_mut(p);
            }
            x
        }
        pub(super) fn is_odd(x: &Big) -> bool {
            x.is_odd()
        }
    }

    /// malachite (pure Rust).
    #[cfg(all(feature = "recover", not(feature = "recover-gmp")))]
    mod malachite {
        use malachite_base::num::arithmetic::traits::{
            DivExactAssign, DivisibleBy, Gcd, ModPow, Parity, Pow,
        };
        use malachite_base::num::conversion::traits::PowerOf2Digits;
        use malachite_base::num::logic::traits::SignificantBits;
        use malachite_nz::natural::Natural;

        pub(super) type Big = Natural;

        pub(super) fn from_be(b: &[u8]) -> Big {
            Natural::from_power_of_2_digits_desc(8, b.iter().copied()).unwrap_or_default()
        }
        pub(super) fn to_be(x: &Big) -> Vec<u8> {
            PowerOf2Digits::<u8>::to_power_of_2_digits_desc(x, 8)
        }
        pub(super) fn bits(x: &Big) -> u64 {
            x.significant_bits()
        }
        /// `s^e − m`, `None` when not positive.
        pub(super) fn power_minus(s: &Big, e: u64, m: &Big) -> Option<Big> {
            let p = s.pow(e);
            (p > *m).then(|| p - m)
        }
        pub(super) fn gcd(a: &Big, b: &Big) -> Big {
            a.gcd(b)
        }
        /// `(s^e − m) mod g`.
        pub(super) fn power_minus_mod(s: &Big, e: u64, m: &Big, g: &Big) -> Big {
            if *g == 0u32 {
                return Natural::default();
            }
            let p = (s % g).mod_pow(Natural::from(e), g);
            let m = m % g;
            if p >= m { p - m } else { p + g - m }
        }
        /// `x` without factors `p`.
        pub(super) fn strip(mut x: Big, p: u32) -> Big {
            if x == 0u32 {
                return x;
            }
            let p = Natural::from(p);
            while (&x).divisible_by(&p) {
                x.div_exact_assign(&p);
            }
            x
        }
        pub(super) fn is_odd(x: &Big) -> bool {
            x.odd()
        }
    }

    use big::Big;

    fn strip_small(mut g: Big, primes: &[u32]) -> Big {
        for &p in primes {
            g = big::strip(g, p);
        }
        g
    }

    /// The modulus and exponent shared by signatures among `sigs` (same name and length),
    /// if two of them give one.
    pub(super) fn recover(sigs: &[&RsaSignature]) -> Option<(Vec<u8>, u64)> {
        let len = sigs.first()?.signature.len();
        // (s, EM(m)) of every usable signature: s above 1, the encoding possible.
        let pairs: Vec<(Big, Big)> = sigs
            .iter()
            .filter(|s| s.signature.len() == len)
            .filter_map(|s| {
                let em = s.encoded()?;
                let sv = big::from_be(&s.signature);
                (big::bits(&sv) > 1).then(|| (sv, big::from_be(&em)))
            })
            .collect();
        if pairs.len() < 2 {
            return None;
        }
        let primes = small_primes();
        let k = pairs.len();
        // The pairs among the first signatures first: (0,1), (0,2), (1,2), (0,3)...: with
        // three pairs, one signature of another key among the first three is passed over.
        let candidates: Vec<(usize, usize)> = (1..k)
            .flat_map(|j| (0..j).map(move |i| (i, j)))
            .take(MAX_PAIRS)
            .collect();
        for e in EXPONENTS {
            // `s^e − m` of each signature, computed once per exponent (the pairs share them)
            // and only for the signatures a pair uses: for a 2048-bit key and e = 65537 each
            // is a number of 134 million bits.
            let mut powers: Vec<Option<Option<Big>>> = (0..k).map(|_| None).collect();
            for &(i, j) in &candidates {
                for x in [i, j] {
                    if let (Some(slot @ None), Some((s, m))) = (powers.get_mut(x), pairs.get(x)) {
                        *slot = Some(big::power_minus(s, e, m));
                    }
                }
                let (Some(Some(Some(a))), Some(Some(Some(b)))) = (powers.get(i), powers.get(j))
                else {
                    continue;
                };
                let mut g = strip_small(big::gcd(a, b), &primes);
                if big::bits(&g) < len as u64 * 8 - 7 {
                    continue;
                }
                // More signatures strip what small primes left; one that collapses the
                // candidate was made with another key and is left out.
                for (x, (s, m)) in pairs.iter().enumerate() {
                    if fits(big::bits(&g), len) || x == i || x == j {
                        continue;
                    }
                    let r = big::power_minus_mod(s, e, m, &g);
                    let g2 = strip_small(big::gcd(&r, &g), &primes);
                    if big::bits(&g2) + 8 > len as u64 * 8 {
                        g = g2;
                    }
                }
                if fits(big::bits(&g), len) && big::is_odd(&g) {
                    return Some((big::to_be(&g), e));
                }
            }
        }
        None
    }
}

#[cfg(not(any(feature = "recover", feature = "recover-gmp")))]
mod math {
    use super::RsaSignature;

    /// No big-integer library built in: nothing is recovered.
    pub(super) fn recover(_sigs: &[&RsaSignature]) -> Option<(Vec<u8>, u64)> {
        let _ = (
            super::small_primes,
            super::fits,
            super::MAX_PAIRS,
            super::EXPONENTS,
        );
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoding_is_pkcs1_v15() {
        let s = RsaSignature::new(
            "Example.COM",
            "Sel",
            SigningAlgorithm::RsaSha256,
            vec![1; 128],
            vec![7; 32],
            Span::new(0, 1),
        )
        .expect("valid");
        assert_eq!(s.key_name(), "sel._domainkey.example.com");
        let em = s.encoded().expect("fits");
        assert_eq!(em.len(), 128);
        assert_eq!(&em[..2], &[0, 1]);
        let ps = 128 - 3 - 19 - 32;
        assert!(em[2..2 + ps].iter().all(|&b| b == 0xff));
        assert_eq!(em[2 + ps], 0);
        assert_eq!(&em[3 + ps..3 + ps + 19], &SHA256_PREFIX);
        assert_eq!(&em[128 - 32..], &[7; 32]);
    }

    #[test]
    fn refuses_what_cannot_be_a_signature() {
        let new = |a, sig: usize, dig: usize| {
            RsaSignature::new("d", "s", a, vec![1; sig], vec![0; dig], Span::new(0, 0))
        };
        assert!(new(SigningAlgorithm::Ed25519Sha256, 64, 32).is_none());
        assert!(new(SigningAlgorithm::RsaSha256, 128, 20).is_none());
        assert!(new(SigningAlgorithm::RsaSha256, 32, 32).is_none());
        assert!(new(SigningAlgorithm::RsaSha256, 513, 32).is_none());
        assert!(new(SigningAlgorithm::RsaSha1, 64, 20).is_some());
    }

    #[test]
    fn candidate_sizes() {
        assert!(fits(1024, 128));
        assert!(fits(1017, 128));
        assert!(!fits(1016, 128));
        assert!(!fits(1025, 128));
        let p = small_primes();
        assert_eq!(p.first(), Some(&2));
        assert!(p.iter().all(|&x| x < SMALL_PRIME_BOUND));
        assert!(p.contains(&19_997));
    }
}
