//! Forensic DKIM (RFC 6376, RFC 8463) and ARC (RFC 8617) verification, offline, against a
//! key archive, as of a stated time.
//!
//! Unlike a stock verifier, [`Verifier::verify`] checks every signature, checks the header
//! signature and the body hash independently, judges `x=` and `t=` as of a time (by default
//! the time the message was received), measures `l=` on the canonical body, reports unsigned
//! and duplicated headers with their spans, and tries reversible repairs of mbox-stored mail
//! (reporting which one made a signature verify). It never touches the network.
//!
//! ```
//! use mailsleuth::auth::{AsOf, KeyStore, Verifier};
//! let keys = KeyStore::new();
//! let report = Verifier::new(&keys)
//!     .as_of(AsOf::Fixed(1_500_000_000))
//!     .verify(b"From: a@example.com\r\n\r\nhi\r\n", 0, None);
//! assert!(report.dkim.is_empty());
//! assert!(report.arc.is_none());
//! ```

mod arc;
mod canon;
mod dkim;
#[cfg(feature = "dns")]
pub mod dns;
pub mod keys;
mod limits;
mod rsa;

pub use canon::Repair;
pub use keys::{KeyAnnotations, KeyKind, KeyProblem, KeyRecord, KeyStore, LoadReport, Provenance};

use crate::read::format::Format;
use crate::read::headers::Headers;
use crate::span::Span;

/// The time signatures are judged at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AsOf {
    /// When the message was received: the date of the top-most `Received` header, else the
    /// `Date` header, else now.
    #[default]
    Receipt,
    /// A given time, Unix seconds.
    Fixed(i64),
    /// The current time of this machine.
    Now,
}

/// Where the as-of time came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "kebab-case"))]
pub enum AsOfSource {
    /// Given by the caller.
    Fixed,
    /// The top-most `Received` header.
    Received,
    /// The `Date` header.
    Date,
    /// The clock of this machine.
    Now,
}

/// The cryptographic outcome of one DKIM signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "kebab-case"))]
pub enum DkimResult {
    /// Header signature and body hash verify.
    Pass,
    /// The header signature verifies, the body hash does not: the body changed after signing;
    /// the signed headers are authentic.
    BodyModified,
    /// The header signature does not verify (signed headers changed, or another key).
    HeadersModified,
    /// No key for `s=` and `d=` in the store (or none of a usable kind).
    NoKey,
    /// Every key under the name is revoked (empty `p=`).
    KeyRevoked,
    /// The signature cannot be read or breaks a rule of RFC 6376.
    Malformed,
    /// A version, algorithm or canonicalization this verifier does not know.
    Unsupported,
}

/// A header field by name and position.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct HeaderRef {
    /// The field name as stored.
    pub name: String,
    /// The whole field in the stored bytes.
    pub span: Span,
}

/// A name of `h=` and the field it covers.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct SignedHeader {
    /// The name as listed in `h=`.
    pub name: String,
    /// The field it selected, `None` when no copy was left (over-signing: the absence is
    /// signed).
    pub span: Option<Span>,
}

/// A single-use header (From, Subject, ...) present more than once.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct DuplicateHeader {
    /// The name, as of the top-most copy.
    pub name: String,
    /// The copy a mail client shows (the top-most).
    pub displayed: Span,
    /// The copies the signature covers (DKIM signs bottom-most first).
    pub signed: Vec<Span>,
    /// Whether the displayed copy is one of the signed ones.
    pub displayed_is_signed: bool,
}

/// The result of one DKIM-Signature, with everything a forensic report needs.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct DkimCheck {
    /// `d=`.
    pub domain: String,
    /// `s=`.
    pub selector: String,
    /// `a=`, as written.
    pub algorithm: String,
    /// The cryptographic outcome.
    pub result: DkimResult,
    /// The signature over the signed headers; `None` when not checked (no key, malformed).
    pub header_signature_valid: Option<bool>,
    /// The body hash (`bh=`), checked even when the header signature fails; `None`: see `detail`.
    pub body_hash_valid: Option<bool>,
    /// RSA modulus size, 256 for Ed25519.
    pub key_bits: Option<u32>,
    /// Where the key came from.
    pub key_source: Option<String>,
    /// Which of the keys under the name was used (0-based, in store order).
    pub key_index: Option<usize>,
    /// How many keys the store holds under the name.
    pub keys_tried: usize,
    /// Annotations of the key used.
    pub key_annotations: Option<KeyAnnotations>,
    /// Whether the as-of time lies in the key's annotated use period (`None` when none).
    pub key_in_use_as_of: Option<bool>,
    /// RSA under 1024 bits, or SHA-1.
    pub weak_key: bool,
    /// The key record has `t=y`.
    pub testing: bool,
    /// `t=`, Unix seconds.
    pub signed_at: Option<i64>,
    /// `x=`, Unix seconds.
    pub expires_at: Option<i64>,
    /// Whether `x=` had passed at the as-of time (`None` without `x=`).
    pub expired_as_of: Option<bool>,
    /// Whether `t=` lies after the as-of time (by more than five minutes).
    pub signed_in_future: bool,
    /// The time the signature was judged at (RFC 3339).
    pub as_of: String,
    /// `l=`, when present.
    pub body_length: Option<u64>,
    /// Bytes of the canonical body after the `l=` limit (0 when none).
    pub unsigned_body_bytes: u64,
    /// The unsigned tail in the stored bytes.
    pub unsigned_body: Option<Span>,
    /// Displayed headers present but not covered by `h=`.
    pub unsigned_headers: Vec<String>,
    /// The uncovered displayed fields, with spans.
    pub unsigned_header_fields: Vec<HeaderRef>,
    /// `h=` resolved to fields.
    pub signed_headers: Vec<SignedHeader>,
    /// Single-use headers present more than once.
    pub duplicate_headers: Vec<DuplicateHeader>,
    /// The reversible transformation that made it verify (`crlf`, `mboxrd-unquote`, ...),
    /// `None` when none was needed or none helped.
    pub repair: Option<Repair>,
    /// The DKIM-Signature field itself.
    pub span: Span,
    /// Why the result is `malformed`, `unsupported`, `no-key` or `key-revoked`, or a note on
    /// the key or the signature.
    pub detail: Option<String>,
}

/// Result of an ARC chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "kebab-case"))]
pub enum ArcResult {
    /// Every seal and the latest message signature verify, and the chain is well formed.
    Pass,
    /// Something is broken.
    Fail,
    /// No ARC headers.
    None,
}

/// One ARC set (instance).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct ArcSet {
    /// `i=`.
    pub i: u32,
    /// `d=` of the seal.
    pub domain: String,
    /// `s=` of the seal.
    pub selector: String,
    /// `cv=` of the seal (`none`, `pass`, `fail`).
    pub cv: String,
    /// The seal's signature; `None` where not checked.
    pub seal_valid: Option<bool>,
    /// The ARC-Message-Signature; only the latest one is checked (RFC 8617 5.2).
    pub message_signature_valid: Option<bool>,
    /// The ARC-Seal field.
    pub seal_span: Option<Span>,
    /// The ARC-Message-Signature field.
    pub message_signature_span: Option<Span>,
    /// The sealed ARC-Authentication-Results, set only when the whole chain passes.
    pub authentication_results: Option<SealedResults>,
}

/// An ARC-Authentication-Results field under a verified chain.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct SealedResults {
    /// The value, unfolded.
    pub value: String,
    /// The field in the stored bytes.
    pub span: Span,
}

/// The ARC verdict on a message.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct ArcCheck {
    /// Overall result.
    pub result: ArcResult,
    /// Number of ARC sets.
    pub instances: u32,
    /// Per instance, in `i=` order.
    pub sets: Vec<ArcSet>,
    /// Why the chain fails, when it does.
    pub detail: Option<String>,
    /// The reversible transformation that made it verify, if any.
    pub repair: Option<Repair>,
}

/// All authentication results of one message.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct AuthReport {
    /// The time signatures were judged at, Unix seconds.
    pub as_of: i64,
    /// Where that time came from.
    pub as_of_source: AsOfSource,
    /// One entry per DKIM-Signature, in header order.
    pub dkim: Vec<DkimCheck>,
    /// The ARC chain, `None` when the message has no ARC header.
    pub arc: Option<ArcCheck>,
}

/// Verifies messages against a [`KeyStore`]. Cheap to build; `verify` takes `&self`, so one
/// verifier can serve many threads.
#[derive(Debug, Clone)]
pub struct Verifier<'k> {
    keys: &'k KeyStore,
    as_of: AsOf,
}

impl<'k> Verifier<'k> {
    /// A verifier using `keys`, judging time as of receipt.
    pub fn new(keys: &'k KeyStore) -> Self {
        Verifier {
            keys,
            as_of: AsOf::Receipt,
        }
    }

    /// Judge `x=` and `t=` as of `as_of`.
    pub fn as_of(mut self, as_of: AsOf) -> Self {
        self.as_of = as_of;
        self
    }

    /// [`Verifier::verify`] on a message from the reader, with its offset and format.
    pub fn verify_message(&self, message: &crate::read::message::Message) -> AuthReport {
        self.verify(message.bytes(), message.offset(), Some(message.format()))
    }

    /// Verify every DKIM signature and the ARC chain of `message`, the bytes exactly as
    /// stored, whose first byte is at absolute offset `base` in its source. `format` is how
    /// it was stored (mbox quoting is undone accordingly, and reported). All spans in the
    /// report are absolute and point into the stored bytes.
    pub fn verify(&self, message: &[u8], base: u64, format: Option<Format>) -> AuthReport {
        self.verify_indexed(&Headers::parse(message, base), format)
    }

    /// [`Verifier::verify`] with the message's header index already built (the index holds
    /// the message bytes and their offset), so a scan indexes each message once.
    pub fn verify_indexed(&self, headers: &Headers<'_>, format: Option<Format>) -> AuthReport {
        let (message, base) = (headers.bytes(), headers.base());
        let (as_of, as_of_source) = resolve_as_of(self.as_of, headers);
        let mut ctx = dkim::Context::new(self.keys, message, base, format, headers, as_of);
        let dkim = headers
            .iter()
            .filter(|f| f.is_named("DKIM-Signature"))
            .map(|f| ctx.check(f.index()))
            .collect();
        let arc = arc::check(&mut ctx);
        AuthReport {
            as_of,
            as_of_source,
            dkim,
            arc,
        }
    }
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// Parse an RFC 5322 date (as in `Date:` or after the `;` of `Received:`).
pub(crate) fn parse_mail_date(value: &str) -> Option<i64> {
    let dt = mail_parser::DateTime::parse_rfc822(value.trim())?;
    dt.is_valid().then(|| dt.to_timestamp())
}

fn resolve_as_of(as_of: AsOf, headers: &Headers<'_>) -> (i64, AsOfSource) {
    match as_of {
        AsOf::Fixed(t) => (t, AsOfSource::Fixed),
        AsOf::Now => (now(), AsOfSource::Now),
        AsOf::Receipt => {
            if let Some(t) = headers.get("Received").and_then(|f| {
                let v = f.value();
                let (_, date) = v.rsplit_once(';')?;
                parse_mail_date(date)
            }) {
                return (t, AsOfSource::Received);
            }
            if let Some(t) = headers
                .get("Date")
                .and_then(|f| parse_mail_date(&f.value()))
            {
                return (t, AsOfSource::Date);
            }
            (now(), AsOfSource::Now)
        }
    }
}

/// RFC 3339 (UTC) form of Unix seconds.
pub(crate) fn rfc3339(t: i64) -> String {
    mail_parser::DateTime::from_timestamp(t).to_rfc3339()
}
