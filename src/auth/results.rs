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

/// The signing scheme of a signature field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "lowercase"))]
#[non_exhaustive]
pub enum Scheme {
    /// A `DKIM-Signature` (RFC 6376, and RFC 4871 and its drafts before it).
    #[default]
    Dkim,
    /// A `DomainKey-Signature` (RFC 4870, historic): no body hash, the signature covers the
    /// signed headers and the body at once.
    DomainKeys,
}

/// The rules a signature was judged by, where they differ from RFC 6376: a signature is
/// judged by the rules of its time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub enum Rules {
    /// RFC 4871 (2007), for a `v=1` signature made before RFC 6376 (September 2011; by `t=`,
    /// else the as-of time): the key's `g=` granularity must match the local part of `i=`.
    #[cfg_attr(feature = "serde", serde(rename = "rfc4871"))]
    Rfc4871,
    /// The DKIM drafts before `v=` existed (draft-ietf-dkim-base-01 era, 2006): no `v=`
    /// tag, `q=dns` accepted for `dns/txt`, and the rules of RFC 4871 for the key.
    #[cfg_attr(feature = "serde", serde(rename = "dkim-draft"))]
    DkimDraft,
    /// The DKIM drafts with `v=0.5` (draft-ietf-dkim-base-05 to -10, 2006-2007), judged as
    /// RFC 4871.
    #[cfg_attr(feature = "serde", serde(rename = "dkim-draft-0.5"))]
    DkimDraft05,
    /// RFC 4870, DomainKeys (the rules of every `DomainKey-Signature`).
    #[cfg_attr(feature = "serde", serde(rename = "rfc4870"))]
    Rfc4870,
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
    /// The scheme: a `DKIM-Signature` or a `DomainKey-Signature`.
    pub scheme: Scheme,
    /// The rules the signature was judged by when they differ from RFC 6376 (`None`: RFC
    /// 6376).
    pub rules: Option<Rules>,
    /// `d=`.
    pub domain: String,
    /// `s=`.
    pub selector: String,
    /// `a=`.
    pub algorithm: SigningAlgorithm,
    /// The cryptographic outcome.
    pub result: DkimResult,
    /// The signature over the signed headers; `None` when not checked (no key, malformed).
    /// For DomainKeys, whose one signature covers the signed headers and the body, this is
    /// that signature.
    pub header_signature_valid: Option<bool>,
    /// The body hash (`bh=`), checked even when the header signature fails; `None`: see
    /// `detail` (always `None` for DomainKeys, which has no body hash, and for a message
    /// whose body was rebuilt by a store).
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
    /// The reversible transformation that made it verify (`crlf`, `mboxrd-unquote`, ...,
    /// and for changes made in transit `list-footer`, `mime-wrap`, `subject-tag`,
    /// `list-header`, `subject-reencoded`, `refolded`; see [`Repair`]), `None` when none was
    /// needed or none helped.
    pub repair: Option<Repair>,
    /// Bytes of the stored message that a change made in transit added and that the
    /// signature therefore does not cover, when a transit `repair` (`list-footer`,
    /// `mime-wrap`, `subject-tag`, `list-header`) proved the signed original: the footer
    /// block, the MIME wrapping, the subject tag, the list's header field.
    pub transit_added: Vec<Span>,
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
    /// The block a body repair removed, for the footers a scan learns from the dump (see
    /// `auth::cuts`): taken out of the check into the message's dump-wide facts.
    #[cfg_attr(feature = "serde", serde(skip))]
    pub(crate) footer: Option<Box<super::cuts::FooterTrace>>,
}

/// A footer the dump-wide pass learned from the dump itself and accepted for one signature:
/// the signature's body hash failed, and the stored body without one trailing block (of no
/// known footer shape) hashes to `bh=`; the same block ends the mail of several senders on
/// mailing lists in the dump (see [`Config::min_footer_senders`](crate::CheckConfig::min_footer_senders)),
/// so it is taken as a list's footer. [`Finished::apply`](crate::Finished::apply) writes it
/// into the check: result `pass`, repair `list-footer`, the block in `transit_added`, and
/// the note in `detail`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct LearnedFooter {
    /// The DKIM-Signature field (the check's `span`).
    pub span: Span,
    /// The block the list appended (bytes of the stored message).
    pub added: Vec<Span>,
    /// Where the footer was learned (added to the check's `detail`).
    pub note: String,
}

impl LearnedFooter {
    /// Write this into `check` (the one with the same span, its body still failing).
    /// Returns whether it changed anything.
    pub(crate) fn apply(&self, check: &mut DkimCheck) -> bool {
        if check.span != self.span
            || check.result != DkimResult::BodyModified
            || check.header_signature_valid != Some(true)
        {
            return false;
        }
        check.result = DkimResult::Pass;
        check.body_hash_valid = Some(true);
        let mut repair = check.repair.unwrap_or_default();
        repair.list_footer = true;
        check.repair = Some(repair);
        check.transit_added.extend(self.added.iter().copied());
        if !self.note.is_empty() {
            check.detail = Some(match check.detail.take() {
                Some(d) => format!("{d}; {}", self.note),
                None => self.note.clone(),
            });
        }
        true
    }
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
    /// One entry per DKIM-Signature and DomainKey-Signature (see [`DkimCheck::scheme`]), in
    /// header order.
    pub dkim: Vec<DkimCheck>,
    /// The ARC chain, `None` when the message has no ARC header.
    pub arc: Option<ArcCheck>,
    /// Messages forwarded inside this one as `message/rfc822` parts, each verified on its
    /// own, in order (a bounded number, a bounded depth).
    pub forwarded: Vec<ForwardedMessage>,
}

/// A message forwarded inside another as a `message/rfc822` part, verified on its own (its
/// signatures judged as of its own receipt unless a fixed time was given).
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct ForwardedMessage {
    /// The part's body in the outer message's source, as stored (encoded when
    /// `transfer_encoding` is set).
    pub span: Span,
    /// The transfer encoding undone to get the forwarded message (`base64`,
    /// `quoted-printable`); `None` when its bytes are the stored ones. When set, the spans in
    /// `dkim`, `arc` and `forwarded` are offsets in the decoded bytes (0 is their first
    /// byte), not in the source: the decoded bytes come from `span`.
    pub transfer_encoding: Option<String>,
    /// 1 for a message forwarded in the outer one, 2 for one forwarded inside that, ...
    pub depth: u32,
    /// Its DKIM-Signatures and DomainKey-Signatures.
    pub dkim: Vec<DkimCheck>,
    /// Its ARC chain.
    pub arc: Option<ArcCheck>,
    /// The messages forwarded inside it.
    pub forwarded: Vec<ForwardedMessage>,
}

impl DkimCheck {
    /// A check of the signature field at `span` by `domain`, judged at `as_of`, with nothing
    /// found yet (result `malformed` until the verification says otherwise).
    pub(crate) fn new(domain: impl Into<String>, span: Span, as_of: Timestamp) -> DkimCheck {
        DkimCheck {
            scheme: Scheme::Dkim,
            rules: None,
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
            transit_added: Vec::new(),
            span,
            detail: None,
            over_budget: None,
            footer: None,
        }
    }

    /// Whether the header signature verifies (`pass` or `body-modified`): the signed headers
    /// and the `bh=` value are authentic.
    pub fn header_valid(&self) -> bool {
        matches!(self.result, DkimResult::Pass | DkimResult::BodyModified)
    }

    /// Whether the signature verifies only over the signed original recovered by undoing a
    /// change made in transit (a list's footer, MIME wrapping, subject tag or added header):
    /// the bytes in [`DkimCheck::transit_added`] are unsigned.
    pub fn proven_after_transit(&self) -> bool {
        self.result == DkimResult::Pass && self.repair.is_some_and(|r| r.is_transit())
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
