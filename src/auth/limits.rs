//! The limits that keep verification of hostile input fast, in one place.
//!
//! Each bounds work an attacker controls through a message or a key archive; real mail stays
//! far below all of them. When one is reached the verifier says so (a key problem when a key
//! archive is loaded, or the `detail` of the signature's check), never silently.

/// Largest RSA modulus accepted, in bits (as mail-auth's verifier). Opening a signature costs
/// about the square of the modulus size per multiplication; 8192 bits is four times the cost
/// of the largest keys in use (4096 bits). Larger keys are refused when loaded.
pub(crate) const MAX_RSA_MODULUS_BITS: usize = 8192;

/// Largest RSA public exponent accepted, in bits: 17 bits takes every odd exponent from 3 to
/// 131071, which covers the exponents DKIM keys use (65537 = 2^16 + 1 in every key of the
/// test corpus; 3 and 17 are the other exponents key generators have offered). Opening a
/// signature takes one squaring per bit of the exponent and one multiplication per set bit,
/// so this caps an opening at twice the cost of 65537. Even exponents, 1, and longer
/// exponents are refused when loaded.
pub(crate) const MAX_RSA_EXPONENT_BITS: u32 = 17;

/// Keys tried per signature under one name (`<selector>._domainkey.<domain>`): archives keep
/// several keys under a name when keys rotate, rarely more than a few. Beyond this many usable
/// keys the rest are not tried and the signature's detail says so.
pub(crate) const MAX_KEYS_PER_NAME: usize = 16;

/// Distinct body hashes (canonicalization, hash algorithm and `l=`) computed per message: one
/// streaming pass per repair candidate, canonicalization and hash algorithm computes all of
/// them, and each costs a copy of the hash state. A message with more distinct ones is
/// hostile; signatures beyond the limit have their body hash left unchecked, and their detail
/// says so.
pub(crate) const MAX_BODY_HASHES: usize = 64;

/// `DomainKey-Signature` fields checked per message (RFC 4870, historic). Each costs its
/// own canonical copy of the message, one SHA-1 pass and an RSA opening per key; real mail
/// carries one. Fields beyond this many are not reported.
pub(crate) const MAX_DOMAINKEY_SIGNATURES: usize = 4;

/// Messages forwarded as `message/rfc822` parts verified per outer message (over all
/// depths): each is a full verification of its own.
pub(crate) const MAX_FORWARDED: usize = 8;

/// How deep forwarded messages inside forwarded messages are verified: 1 verifies the
/// messages forwarded in the outer one, 3 also those forwarded inside them, and theirs.
pub(crate) const MAX_FORWARD_DEPTH: usize = 3;

/// Nesting of `multipart/*` entities walked to find forwarded messages.
pub(crate) const MAX_MIME_DEPTH: usize = 16;

/// MIME parts visited per message to find forwarded messages.
pub(crate) const MAX_MIME_PARTS: usize = 256;

/// Test-only counts of the work done on this thread, so tests can assert that work grows
/// linearly with hostile input instead of timing it.
#[cfg(test)]
pub(crate) mod work {
    use std::cell::Cell;

    /// Units of work, each counted where it is done.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    pub(crate) struct Counts {
        /// RSA signatures opened (modular exponentiations).
        pub(crate) openings: u64,
        /// Streaming passes over a canonical body.
        pub(crate) body_passes: u64,
        /// Header fields canonicalized for a header hash.
        pub(crate) header_fields: u64,
        /// Header fields visited to select the fields of `h=` or to index them.
        pub(crate) header_visits: u64,
        /// (key, signature) pairs tried.
        pub(crate) key_tries: u64,
    }

    thread_local! {
        static COUNTS: Cell<Counts> = const {
            Cell::new(Counts {
                openings: 0,
                body_passes: 0,
                header_fields: 0,
                header_visits: 0,
                key_tries: 0,
            })
        };
    }

    /// Count some work.
    pub(crate) fn add(f: impl FnOnce(&mut Counts)) {
        COUNTS.with(|c| {
            let mut v = c.get();
            f(&mut v);
            c.set(v);
        });
    }

    /// The counts since the last call, reset to zero.
    pub(crate) fn take() -> Counts {
        COUNTS.with(|c| c.replace(Counts::default()))
    }
}
