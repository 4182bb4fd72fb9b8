//! The hasher of the dump-wide pass's maps: their keys are mostly 64-bit hashes already
//! (Message-IDs, senders, hosts), so SipHash's thorough mixing buys nothing but time there.
//!
//! Each map gets two secret keys drawn from the standard library's per-process random state;
//! a key is mixed by one 64x64->128-bit multiplication with a secret, its two halves folded.
//! Without the secrets, a dump cannot be crafted so that its Message-IDs or host names fall
//! into the same buckets (the ids' hashes are known to anyone, the buckets are not).

use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher, RandomState};

/// A map of the dump-wide pass (see the module docs).
pub(crate) type KeyedMap<K, V> = HashMap<K, V, KeyedState>;

/// Builds [`KeyedHasher`]s with this map's two secrets.
#[derive(Clone, Copy, Debug)]
pub(crate) struct KeyedState {
    seed: u64,
    multiplier: u64,
}

impl Default for KeyedState {
    fn default() -> KeyedState {
        let random = RandomState::new();
        KeyedState {
            seed: random.hash_one(0x6d61_696c_u64),
            // Odd, so that multiplying by it loses no bit of the low half.
            multiplier: random.hash_one(0x736c_6575_u64) | 1,
        }
    }
}

impl BuildHasher for KeyedState {
    type Hasher = KeyedHasher;

    fn build_hasher(&self) -> KeyedHasher {
        KeyedHasher {
            state: self.seed,
            multiplier: self.multiplier,
        }
    }
}

/// The two halves of `a * b` (128 bits), folded into 64 by exclusive or.
fn fold(a: u64, b: u64) -> u64 {
    let product = u128::from(a) * u128::from(b);
    (product as u64) ^ ((product >> 64) as u64)
}

/// See the module docs.
#[derive(Clone, Copy, Debug)]
pub(crate) struct KeyedHasher {
    state: u64,
    multiplier: u64,
}

impl Hasher for KeyedHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in chunks.by_ref() {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(word));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut word = [0u8; 8];
            word.get_mut(..rest.len())
                .unwrap_or_default()
                .copy_from_slice(rest);
            // The length is mixed in too: "ab" and "ab\0" differ.
            self.write_u64(u64::from_le_bytes(word) ^ ((rest.len() as u64) << 59));
        }
    }

    fn write_u8(&mut self, n: u8) {
        self.write_u64(u64::from(n));
    }

    fn write_u16(&mut self, n: u16) {
        self.write_u64(u64::from(n));
    }

    fn write_u32(&mut self, n: u32) {
        self.write_u64(u64::from(n));
    }

    fn write_u64(&mut self, n: u64) {
        self.state = fold(self.state ^ n, self.multiplier);
    }

    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }

    fn finish(&self) -> u64 {
        // Once more, so that the last word reaches every bit (the table takes its bucket
        // from the low bits and its tag from the top seven).
        fold(self.state, self.multiplier.rotate_left(32) | 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_keys_hash_equal_and_the_secrets_differ_per_map() {
        let (a, b) = (KeyedState::default(), KeyedState::default());
        assert_eq!(a.hash_one(42u64), a.hash_one(42u64));
        assert_eq!(a.hash_one("mx.example"), a.hash_one("mx.example"));
        assert_ne!(a.hash_one(42u64), b.hash_one(42u64));
        assert_ne!(a.hash_one("ab"), a.hash_one("ab\0"));
        assert_ne!(a.hash_one((1u64, 2u64)), a.hash_one((2u64, 1u64)));
    }

    #[test]
    fn keys_that_differ_in_high_bits_only_spread_over_buckets() {
        // Ids ground so that their hashes share the low 20 bits: with a plain modulus they
        // would all land in one bucket of a table of a million.
        let state = KeyedState::default();
        let mut buckets: Vec<u64> = (0..4096u64)
            .map(|i| state.hash_one(i << 20) & 0xfffff)
            .collect();
        buckets.sort_unstable();
        buckets.dedup();
        assert!(buckets.len() > 4000, "{}", buckets.len());
    }

    #[test]
    fn maps_work_with_it() {
        let mut m: KeyedMap<u64, usize> = KeyedMap::default();
        for i in 0..1000u64 {
            *m.entry(i % 100).or_default() += 1;
        }
        assert_eq!(m.len(), 100);
        assert!(m.values().all(|&n| n == 10));
    }
}
