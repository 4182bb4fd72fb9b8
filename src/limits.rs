//! [`Limits`]: every budget that keeps the analysis of a hostile dump bounded, in one place.

/// The budgets of an analysis: how much work and memory one message, and the dump-wide pass,
/// may cost. A leak is handed over by someone with a motive and may be built to stall or
/// blind the people who check it; each budget bounds something an attacker controls, and the
/// defaults sit far above what real mail needs.
///
/// Going over a budget is never a hang, an abort or a lost dump: the rest is skipped and the
/// message's report carries a `limit-exceeded` finding saying what was skipped and why, with
/// the evidence span. A signature whose checks were cut short by a budget never makes a
/// message `verified` or `headers-verified` (the finding is high severity then).
///
/// Set them on an [`Analyzer`](crate::Analyzer) or a [`Scanner`](crate::Scanner) with
/// `.limits(...)`:
///
/// ```
/// use mailsleuth::{Analyzer, Limits, Scanner};
///
/// let limits = Limits::default().mime_depth(20).findings_per_message(200);
/// let scanner = Scanner::new(Analyzer::default()).limits(limits.clone());
/// assert_eq!(scanner.analyzer().budgets(), &limits);
/// ```
///
/// # Budgets that can be changed
///
/// | budget | default | over it |
/// |---|---|---|
/// | [`signatures_per_message`](Limits::signatures_per_message) | 50 | later `DKIM-Signature` fields are not verified |
/// | [`findings_per_message`](Limits::findings_per_message) | 500 | the least severe findings are dropped |
/// | [`evidence_per_finding`](Limits::evidence_per_finding) | 64 | further spans of a finding are dropped |
/// | [`xml_depth`](Limits::xml_depth) | 256 | an attachment's metadata XML is read no deeper |
/// | [`xml_bytes`](Limits::xml_bytes) | 1 MiB | an attachment's metadata XML (or XMP packet) is read no further |
/// | [`mime_depth`](Limits::mime_depth) | 64 | the MIME tree is not decoded for attachment metadata |
/// | [`mime_parts`](Limits::mime_parts) | 10,000 | the MIME tree is not decoded for attachment metadata |
/// | [`zip_entries`](Limits::zip_entries) | 100,000 | an attached zip (OOXML, ODF) is not opened |
/// | [`duplicate_members_listed`](Limits::duplicate_members_listed) | 20 | a `duplicate-message-id` finding names this many other copies and counts the rest |
/// | [`dump_memory`](Limits::dump_memory) | 512 MiB | the dump-wide pass keeps no facts of later messages (they get their own reports, and a `limit-exceeded` finding) |
///
/// # Fixed budgets
///
/// Budgets of the signature verifier and the key archive are fixed (crate constants), so
/// that keys are judged once when loaded and every signature of a message shares them:
///
/// | budget | value | over it |
/// |---|---|---|
/// | RSA modulus | 8,192 bits | the key is refused when loaded (a key problem) |
/// | RSA public exponent | 17 bits, odd, at least 3 (3, 17, 65537 and every odd exponent up to 131071) | the key is refused when loaded |
/// | keys tried per name (`<selector>._domainkey.<domain>`) | 16 | the other keys are not tried; the signature's detail says so |
/// | distinct body hashes per message (canonicalization, hash, `l=`) | 64 | the body hash is left unchecked: a high `limit-exceeded` finding |
/// | ARC sets per message | 50 (RFC 8617's highest `i=`) | the chain fails (`fail`, with the reason) |
/// | tags per tag-list (`DKIM-Signature`, ARC fields, key records) | 1,000 | the field is malformed (its detail says so) |
/// | `h=` entries per signature | 1,000 | the signature is malformed (its detail says so) |
/// | key archive line / file | 64 KiB / 64 MiB | the line is skipped / nothing of the file is loaded |
/// | `DomainKey-Signature` fields per message | 4 | later ones are not reported |
/// | forwarded `message/rfc822` parts verified per message / nesting | 8 / 3 deep | later or deeper ones are not verified |
/// | MIME parts / depth walked to find forwarded messages | 256 / 16 | the walk stops there |
///
/// Work stays near-linear below them: repeated tags are found by sorting, header fields are
/// selected through a by-name index, and one pass over the body per canonicalization and
/// hash computes every `l=` at once.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// `DKIM-Signature` fields verified per message (default 50; real mail has one to a few,
    /// mailing-list mail rarely ten).
    pub signatures_per_message: usize,
    /// Findings kept per message, the most severe first (default 500).
    pub findings_per_message: usize,
    /// Evidence spans kept per finding (default 64).
    pub evidence_per_finding: usize,
    /// Nesting of elements read in an attachment's metadata XML (OOXML `docProps/*.xml`,
    /// ODF `meta.xml`, a PDF's XMP packet) (default 256; real files nest under 10).
    pub xml_depth: usize,
    /// Bytes of one metadata XML member or XMP packet read (default 1 MiB; real ones are a
    /// few KiB).
    pub xml_bytes: u64,
    /// Nesting of multiparts (and attached messages) of a message whose MIME tree is decoded
    /// for attachment metadata (default 64).
    pub mime_depth: usize,
    /// MIME parts of a message whose tree is decoded for attachment metadata (default
    /// 10,000).
    pub mime_parts: usize,
    /// Entries in the central directory of an attached zip opened for its metadata (default
    /// 100,000; the zip reader holds each entry in memory, a few hundred bytes each).
    pub zip_entries: u64,
    /// Other copies a `duplicate-message-id` finding names (default 20): the rest are counted,
    /// so that output grows linearly with the copies of one Message-ID.
    pub duplicate_members_listed: usize,
    /// Memory of the dump-wide pass, in bytes (default 512 MiB): the compact facts kept of
    /// each message (a few hundred bytes each). Past it, later messages are reported without
    /// taking part in the dump-wide checks.
    pub dump_memory: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            signatures_per_message: 50,
            findings_per_message: 500,
            evidence_per_finding: 64,
            xml_depth: 256,
            xml_bytes: 1 << 20,
            mime_depth: 64,
            mime_parts: 10_000,
            zip_entries: 100_000,
            duplicate_members_listed: 20,
            dump_memory: 512 << 20,
        }
    }
}

macro_rules! setters {
    ($($(#[$doc:meta])* $name:ident: $ty:ty,)*) => {
        impl Limits {
            $(
                $(#[$doc])*
                pub fn $name(mut self, value: $ty) -> Self {
                    self.$name = value;
                    self
                }
            )*
        }
    };
}

setters! {
    /// Set [`Limits::signatures_per_message`].
    signatures_per_message: usize,
    /// Set [`Limits::findings_per_message`] (at least 1: the `limit-exceeded` finding).
    findings_per_message: usize,
    /// Set [`Limits::evidence_per_finding`].
    evidence_per_finding: usize,
    /// Set [`Limits::xml_depth`].
    xml_depth: usize,
    /// Set [`Limits::xml_bytes`].
    xml_bytes: u64,
    /// Set [`Limits::mime_depth`].
    mime_depth: usize,
    /// Set [`Limits::mime_parts`].
    mime_parts: usize,
    /// Set [`Limits::zip_entries`].
    zip_entries: u64,
    /// Set [`Limits::duplicate_members_listed`].
    duplicate_members_listed: usize,
    /// Set [`Limits::dump_memory`].
    dump_memory: u64,
}

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

/// Tags read per tag-list (`DKIM-Signature`, ARC fields): a signature has about a dozen.
/// A field with more is malformed, not read, and a `limit-exceeded` finding.
pub(crate) const MAX_TAGS: usize = 1_000;

/// Header field names in a signature's `h=`: real signatures list up to a few dozen. A
/// signature with more is malformed (still checked, through the by-name index) and a
/// `limit-exceeded` finding.
pub(crate) const MAX_SIGNED_HEADERS: usize = 1_000;

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
