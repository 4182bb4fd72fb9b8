//! What verification reports: one [`DkimCheck`] per signature, the [`ArcCheck`] of the
//! chain, both in an [`AuthReport`].

use super::{AsOfSource, KeyAnnotations, Repair};
use crate::span::Span;
use crate::timestamp::Timestamp;

/// The cryptographic outcome of one DKIM signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
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
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct HeaderRef {
    /// The field name as stored.
    pub name: String,
    /// The whole field in the stored bytes.
    pub span: Span,
}

/// A name of `h=` and the field it covers.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct SignedHeader {
    /// The name as listed in `h=`.
    pub name: String,
    /// The field it selected, `None` when no copy was left (over-signing: the absence is
    /// signed).
    pub span: Option<Span>,
}

/// A single-use header (From, Subject, ...) present more than once.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
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
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct DkimCheck {
    /// `d=`.
    pub domain: String,
    /// `s=`.
    pub selector: String,
    /// `a=`.
    pub algorithm: SigningAlgorithm,
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
    /// `t=`.
    pub signed_at: Option<Timestamp>,
    /// `x=`.
    pub expires_at: Option<Timestamp>,
    /// Whether `x=` had passed at the as-of time (`None` without `x=`).
    pub expired_as_of: Option<bool>,
    /// Whether `t=` lies after the as-of time (by more than five minutes).
    pub signed_in_future: bool,
    /// The time the signature was judged at.
    pub as_of: Timestamp,
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
    /// The budget ([`Limits`](crate::Limits)) that cut this check short, if one did: what
    /// was skipped and why. The report shows it as a `limit-exceeded` finding; such a check
    /// never counts as a verification.
    #[cfg_attr(feature = "serde", serde(skip))]
    pub(crate) over_budget: Option<String>,
}

/// Result of an ARC chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
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
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct ArcSet {
    /// `i=`.
    pub i: u32,
    /// `d=` of the seal.
    pub domain: String,
    /// `s=` of the seal.
    pub selector: String,
    /// `cv=` of the seal.
    pub cv: ChainValidation,
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
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct SealedResults {
    /// The value, unfolded.
    pub value: String,
    /// The field in the stored bytes.
    pub span: Span,
}

/// The ARC verdict on a message.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
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
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct AuthReport {
    /// The time signatures were judged at.
    pub as_of: Timestamp,
    /// Where that time came from.
    pub as_of_source: AsOfSource,
    /// One entry per DKIM-Signature, in header order.
    pub dkim: Vec<DkimCheck>,
    /// The ARC chain, `None` when the message has no ARC header.
    pub arc: Option<ArcCheck>,
}

impl DkimCheck {
    /// A check of the signature field at `span` by `domain`, judged at `as_of`, with nothing
    /// found yet (result `malformed` until the verification says otherwise).
    #[cfg_attr(not(test), allow(dead_code))]
    pub(crate) fn new(domain: impl Into<String>, span: Span, as_of: Timestamp) -> DkimCheck {
        DkimCheck {
            domain: domain.into(),
            selector: String::new(),
            algorithm: SigningAlgorithm::Other(String::new()),
            result: DkimResult::Malformed,
            header_signature_valid: None,
            body_hash_valid: None,
            key_bits: None,
            key_source: None,
            key_index: None,
            keys_tried: 0,
            key_annotations: None,
            key_in_use_as_of: None,
            weak_key: false,
            testing: false,
            signed_at: None,
            expires_at: None,
            expired_as_of: None,
            signed_in_future: false,
            as_of,
            body_length: None,
            unsigned_body_bytes: 0,
            unsigned_body: None,
            unsigned_headers: Vec::new(),
            unsigned_header_fields: Vec::new(),
            signed_headers: Vec::new(),
            duplicate_headers: Vec::new(),
            repair: None,
            span,
            detail: None,
            over_budget: None,
        }
    }

    /// Whether the header signature verifies (`pass` or `body-modified`): the signed headers
    /// and the `bh=` value are authentic.
    pub fn header_valid(&self) -> bool {
        matches!(self.result, DkimResult::Pass | DkimResult::BodyModified)
    }

    /// The duplicated single-use headers whose displayed copy is not signed: a copy added
    /// above the signed one.
    pub fn injected(&self) -> impl Iterator<Item = &DuplicateHeader> {
        self.duplicate_headers
            .iter()
            .filter(|d| !d.displayed_is_signed)
    }
}

/// A DKIM signing algorithm (`a=`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SigningAlgorithm {
    /// `rsa-sha256` (RFC 6376).
    RsaSha256,
    /// `rsa-sha1` (RFC 6376; weak, removed by RFC 8301).
    RsaSha1,
    /// `ed25519-sha256` (RFC 8463).
    Ed25519Sha256,
    /// Anything else, as written (empty when `a=` is missing).
    Other(String),
}

impl SigningAlgorithm {
    /// The algorithm named by an `a=` value (case-insensitive, as RFC 6376 compares it).
    pub fn from_tag(value: &str) -> SigningAlgorithm {
        let v = value.trim();
        if v.eq_ignore_ascii_case("rsa-sha256") {
            SigningAlgorithm::RsaSha256
        } else if v.eq_ignore_ascii_case("rsa-sha1") {
            SigningAlgorithm::RsaSha1
        } else if v.eq_ignore_ascii_case("ed25519-sha256") {
            SigningAlgorithm::Ed25519Sha256
        } else {
            SigningAlgorithm::Other(v.to_string())
        }
    }

    /// The name as reports write it.
    pub fn as_str(&self) -> &str {
        match self {
            SigningAlgorithm::RsaSha256 => "rsa-sha256",
            SigningAlgorithm::RsaSha1 => "rsa-sha1",
            SigningAlgorithm::Ed25519Sha256 => "ed25519-sha256",
            SigningAlgorithm::Other(s) => s,
        }
    }
}

impl std::fmt::Display for SigningAlgorithm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for SigningAlgorithm {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

#[cfg(feature = "serde")]
impl<'de> serde::Deserialize<'de> for SigningAlgorithm {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Ok(SigningAlgorithm::from_tag(&text))
    }
}

/// The chain validation status an ARC-Seal records (`cv=`, RFC 8617 section 4.1.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "kebab-case"))]
pub enum ChainValidation {
    /// `cv=none`: the first set of a chain.
    None,
    /// `cv=pass`: the sealer found the chain below intact.
    Pass,
    /// `cv=fail`: the sealer found the chain below broken.
    Fail,
}

impl ChainValidation {
    /// The name as reports write it.
    pub fn as_str(self) -> &'static str {
        match self {
            ChainValidation::None => "none",
            ChainValidation::Pass => "pass",
            ChainValidation::Fail => "fail",
        }
    }
}
