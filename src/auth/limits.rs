//! The limits that keep verification of hostile input fast: the constants are documented
//! with every other budget in [`Limits`](crate::Limits) (`src/limits.rs`); this module keeps
//! a path to them and to the test-only work counters (defined there too, so that
//! `benches/auth.rs` can include `src/limits.rs` with `src/auth/rsa.rs`).
//!
//! Each bounds work an attacker controls through a message or a key archive; real mail stays
//! far below all of them. When one is reached the verifier says so (a key problem when a key
//! archive is loaded, or the `detail` of the signature's check), never silently.

pub(crate) use crate::limits::{
    MAX_BODY_HASHES, MAX_DOMAINKEY_SIGNATURES, MAX_FORWARD_DEPTH, MAX_FORWARDED, MAX_KEYS_PER_NAME,
    MAX_MIME_DEPTH, MAX_MIME_PARTS, MAX_RSA_EXPONENT_BITS, MAX_RSA_MODULUS_BITS,
    MAX_SIGNED_HEADERS, MAX_TAGS,
};

#[cfg(test)]
pub(crate) use crate::limits::work;
