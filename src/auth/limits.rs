//! The limits that keep verification of hostile input fast: the constants are documented
//! with every other budget in [`Limits`](crate::Limits) (`src/limits.rs`); this module keeps
//! the test-only work counters.
//!
//! Each bounds work an attacker controls through a message or a key archive; real mail stays
//! far below all of them. When one is reached the verifier says so (a key problem when a key
//! archive is loaded, or the `detail` of the signature's check), never silently.

pub(crate) use crate::limits::{
    MAX_BODY_HASHES, MAX_KEYS_PER_NAME, MAX_RSA_EXPONENT_BITS, MAX_RSA_MODULUS_BITS,
    MAX_SIGNED_HEADERS, MAX_TAGS,
};

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
