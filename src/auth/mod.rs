//! Forensic DKIM (RFC 6376, RFC 8463) and ARC (RFC 8617) verification, offline, against a
//! key archive, as of a stated time.
//!
//! Unlike a stock verifier, [`Verifier::verify`] checks every signature, checks the header
//! signature and the body hash independently, judges `x=` and `t=` as of a time (by default
//! the time the message was received), measures `l=` on the canonical body, reports unsigned
//! and duplicated headers with their spans, and tries reversible repairs of mbox-stored mail
//! (reporting which one made a signature verify). It never touches the network.
//!
//! Old mail is judged by the rules of its time ([`DkimCheck::rules`]): DomainKeys
//! (`DomainKey-Signature`, RFC 4870; [`Scheme::DomainKeys`], `pass` or `headers-modified`, no
//! body hash), the DKIM drafts without `v=` or with `v=0.5`, and RFC 4871's key granularity
//! (`g=`) for `v=1` signatures made before RFC 6376. Messages forwarded inside a message as
//! `message/rfc822` parts are verified on their own ([`AuthReport::forwarded`]). A message
//! rebuilt by a store is judged by its header signature alone
//! ([`Verifier::verify_message`]).
//!
//! ```
//! use mailsleuth::auth::{AsOf, KeyStore, Verifier};
//! let keys = KeyStore::new();
//! let report = Verifier::new(&keys)
//!     .as_of(AsOf::Fixed(mailsleuth::Timestamp::from_unix(1_500_000_000)))
//!     .verify(b"From: a@example.com\r\n\r\nhi\r\n", 0, None);
//! assert!(report.dkim.is_empty());
//! assert!(report.arc.is_none());
//! ```

mod arc;
mod canon;
pub(crate) mod cuts;
mod dkim;
#[cfg(feature = "dns")]
pub mod dns;
mod domainkeys;
mod forwarded;
pub mod keys;
mod limits;
pub mod recover;
mod reencode;
mod results;
mod rsa;
pub(crate) mod transit;

pub use canon::Repair;
pub use keys::{KeyAnnotations, KeyKind, KeyProblem, KeyRecord, KeyStore, LoadReport, Provenance};
pub use results::{
    ArcCheck, ArcResult, ArcSet, AuthReport, ChainValidation, DkimCheck, DkimResult,
    DuplicateHeader, ForwardedMessage, HeaderRef, LearnedFooter, Rules, Scheme, SealedResults,
    SignedHeader, SigningAlgorithm,
};

use crate::fields::{date, received};
use crate::read::format::Format;
use crate::read::headers::Headers;
use crate::timestamp::Timestamp;

/// The time signatures are judged at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum AsOf {
    /// When the message was received: the date of the top-most `Received` header, else the
    /// `Date` header, else now.
    #[default]
    Receipt,
    /// A given time.
    Fixed(Timestamp),
    /// The current time of this machine.
    Now,
}

/// Where the as-of time came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "kebab-case"))]
#[non_exhaustive]
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

/// Verifies messages against a [`KeyStore`]. Cheap to build; `verify` takes `&self`, so one
/// verifier can serve many threads.
#[derive(Debug, Clone)]
pub struct Verifier<'k> {
    keys: &'k KeyStore,
    as_of: AsOf,
    max_signatures: usize,
}

impl<'k> Verifier<'k> {
    /// A verifier using `keys`, judging time as of receipt.
    pub fn new(keys: &'k KeyStore) -> Self {
        Verifier {
            keys,
            as_of: AsOf::Receipt,
            max_signatures: crate::Limits::default().signatures_per_message,
        }
    }

    /// Verify at most `n` `DKIM-Signature` fields per message, the top-most first (default
    /// [`Limits::signatures_per_message`](crate::Limits::signatures_per_message)); the
    /// others are not checked.
    pub fn max_signatures(mut self, n: usize) -> Self {
        self.max_signatures = n;
        self
    }

    /// Judge `x=` and `t=` as of `as_of`.
    pub fn as_of(mut self, as_of: AsOf) -> Self {
        self.as_of = as_of;
        self
    }

    /// [`Verifier::verify`] on a message from the reader, with its offset and format. When
    /// the reader rebuilt the message from a store's properties, or Apple Mail kept its
    /// attachments apart ([`Message::provenance`](crate::Message::provenance)), its body is
    /// not the one signed: the header signature alone decides, `body_hash_valid` is `None`
    /// with the reason in `detail`, and a valid header signature over a body that no longer
    /// matches is `unsupported` rather than `body-modified`.
    pub fn verify_message(&self, message: &crate::read::message::Message) -> AuthReport {
        let mut report = self.verify(message.bytes(), message.offset(), Some(message.format()));
        judge_headers_only(message.provenance(), &mut report.dkim);
        report
    }

    /// Verify every DKIM signature and the ARC chain of `message`, the bytes exactly as
    /// stored, whose first byte is at absolute offset `offset` in its source. `format` is
    /// how it was stored (mbox quoting is undone accordingly, and reported). All spans in the
    /// report are absolute and point into the stored bytes.
    pub fn verify(&self, message: &[u8], offset: u64, format: Option<Format>) -> AuthReport {
        self.verify_indexed(&Headers::parse(message, offset), format)
    }

    /// [`Verifier::verify`] with the message's header index already built (the index holds
    /// the message bytes and their offset), so a scan indexes each message once.
    pub fn verify_indexed(&self, headers: &Headers<'_>, format: Option<Format>) -> AuthReport {
        let mut report = self.verify_collecting(headers, format).0;
        forget_footers(&mut report.dkim);
        report
    }

    /// [`Verifier::verify_message`], and the message's RSA signatures under names the key
    /// store has no record for, with the hash of their signed headers: the input of
    /// [`recover::recover_keys`] (at most 8 per message). Their `index` and `source` are the
    /// message's.
    pub fn verify_for_recovery(
        &self,
        message: &crate::read::message::Message,
    ) -> (AuthReport, Vec<recover::RsaSignature>) {
        let headers = Headers::parse(message.bytes(), message.offset());
        let (mut report, sigs) = self.verify_collecting(&headers, Some(message.format()));
        forget_footers(&mut report.dkim);
        let source = message.source().display().to_string();
        let sigs = sigs
            .into_iter()
            .map(|s| s.at(message.index(), source.clone()))
            .collect();
        (report, sigs)
    }

    /// The messages forwarded inside the message indexed by `headers`, verified (see
    /// [`AuthReport::forwarded`]); what [`Verifier::verify_indexed`] reports in `forwarded`,
    /// without verifying the outer message.
    pub fn verify_forwarded(&self, headers: &Headers<'_>) -> Vec<ForwardedMessage> {
        self.forwarded(headers, 0, &mut 0)
    }

    fn forwarded(
        &self,
        headers: &Headers<'_>,
        depth: usize,
        budget: &mut usize,
    ) -> Vec<ForwardedMessage> {
        if depth >= limits::MAX_FORWARD_DEPTH || *budget >= limits::MAX_FORWARDED {
            return Vec::new();
        }
        let mut out = Vec::new();
        for found in forwarded::find(headers) {
            if *budget >= limits::MAX_FORWARDED {
                break;
            }
            *budget += 1;
            let offset = match found.decoded_from {
                Some(_) => 0,
                None => headers.offset() + found.body.start as u64,
            };
            let inner = Headers::parse(&found.bytes, offset);
            let (mut report, _) = self.verify_nested(&inner, None, depth + 1, budget);
            // Forwarded messages take no part in the dump-wide pass.
            forget_footers(&mut report.dkim);
            out.push(ForwardedMessage {
                span: forwarded::span_of(&found, headers.offset()),
                transfer_encoding: found.decoded_from,
                depth: (depth + 1) as u32,
                dkim: report.dkim,
                arc: report.arc,
                forwarded: report.forwarded,
            });
        }
        out
    }

    /// [`Verifier::verify_indexed`] and the unkeyed RSA signatures (index and source unset).
    /// The checks keep the blocks their body repairs removed, for the scan's dump-wide pass
    /// (`checks::dump::footers` takes them out).
    pub(crate) fn verify_collecting(
        &self,
        headers: &Headers<'_>,
        format: Option<Format>,
    ) -> (AuthReport, Vec<recover::RsaSignature>) {
        self.verify_nested(headers, format, 0, &mut 0)
    }

    /// The outer message (`depth` 0) or a forwarded one, with the unkeyed RSA signatures of
    /// that message (those of forwarded messages are not collected).
    fn verify_nested(
        &self,
        headers: &Headers<'_>,
        format: Option<Format>,
        depth: usize,
        budget: &mut usize,
    ) -> (AuthReport, Vec<recover::RsaSignature>) {
        let (message, base) = (headers.bytes(), headers.offset());
        let (as_of, as_of_source) = resolve_as_of(self.as_of, headers);
        let mut ctx = dkim::Context::new(self.keys, message, base, format, headers, as_of);
        let mut dkim = Vec::new();
        let (mut signatures, mut domainkeys) = (0, 0);
        for f in headers.iter() {
            if f.is_named("DKIM-Signature") {
                // Budget: later signatures are not verified (a limit-exceeded finding).
                signatures += 1;
                if signatures <= self.max_signatures {
                    dkim.push(ctx.check(f.index()));
                }
            } else if f.is_named("DomainKey-Signature") {
                // Budget: each costs a pass over the message and an RSA opening.
                domainkeys += 1;
                if domainkeys <= limits::MAX_DOMAINKEY_SIGNATURES {
                    dkim.push(domainkeys::check(self.keys, headers, f.index(), as_of));
                }
            }
        }
        let arc = arc::check(&mut ctx);
        let report = AuthReport {
            as_of: Timestamp::from_unix(as_of),
            as_of_source,
            dkim,
            arc,
            forwarded: self.forwarded(headers, depth, budget),
        };
        (report, std::mem::take(&mut ctx.unkeyed))
    }
}

/// Let go of the blocks the body repairs removed (kept for a scan's dump-wide pass only).
fn forget_footers(dkim: &mut [DkimCheck]) {
    for d in dkim {
        d.footer = None;
    }
}

/// Judge the checks of a message of `provenance` on their header signatures alone when its
/// body cannot be checked (see [`Verifier::verify_message`]).
pub(crate) fn judge_headers_only(
    provenance: crate::read::facts::Provenance,
    checks: &mut [DkimCheck],
) {
    if let Some(why) = body_not_checkable(provenance) {
        for check in checks {
            headers_only(check, why);
        }
    }
}

/// Why the body of bytes of this provenance cannot be checked against a body hash, if it
/// cannot.
fn body_not_checkable(provenance: crate::read::facts::Provenance) -> Option<&'static str> {
    match provenance {
        crate::read::facts::Provenance::Reconstructed => {
            Some("body re-encoded by the store: not checkable")
        }
        crate::read::facts::Provenance::Partial => {
            Some("body incomplete (Apple Mail kept the attachments apart): not checkable")
        }
        _ => None,
    }
}

/// A signature over bytes whose body is not the one signed (rebuilt by a store, or stored
/// without its attachments): only the header signature speaks. A body hash that verifies
/// anyway stands; otherwise the body hash is unknown (`None`), no body length limit is
/// judged, and a valid header signature is reported with `result` `unsupported` (the body
/// check is not possible) rather than `body-modified`, so that the verdict rests on the
/// header signature alone (`headers-verified` for a signature of the From domain).
///
/// A DomainKeys signature covers the body in its one signature: unless it verifies anyway,
/// nothing can be judged (`header_signature_valid` unknown, `result` `unsupported`).
fn headers_only(check: &mut DkimCheck, why: &str) {
    if check.scheme == Scheme::DomainKeys {
        if check.result == DkimResult::HeadersModified {
            check.header_signature_valid = None;
            check.result = DkimResult::Unsupported;
            check.detail = Some(why.to_string());
        }
        return;
    }
    if check.body_hash_valid == Some(true) {
        return;
    }
    check.body_hash_valid = None;
    check.unsigned_body_bytes = 0;
    check.unsigned_body = None;
    if check.result == DkimResult::BodyModified {
        check.result = DkimResult::Unsupported;
    }
    check.detail = Some(match check.detail.take() {
        Some(d) => format!("{why}; {d}"),
        None => why.to_string(),
    });
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

fn resolve_as_of(as_of: AsOf, headers: &Headers<'_>) -> (i64, AsOfSource) {
    match as_of {
        AsOf::Fixed(t) => (t.unix(), AsOfSource::Fixed),
        AsOf::Now => (now(), AsOfSource::Now),
        AsOf::Receipt => {
            if let Some((t, _)) = headers
                .get("Received")
                .and_then(|f| received::time_of(f.raw_value()))
            {
                let t = t.unix;
                return (t, AsOfSource::Received);
            }
            if let Some(t) = headers
                .get("Date")
                .and_then(|f| date::parse(&f.value()).map(|d| d.unix))
            {
                return (t, AsOfSource::Date);
            }
            (now(), AsOfSource::Now)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::read::facts::Provenance;
    use crate::span::Span;

    /// A DomainKeys signature covers the body: over a rebuilt body a failure says nothing
    /// (unsupported, signature unknown), a pass stands; stored messages are left alone.
    #[test]
    fn domainkeys_over_a_rebuilt_body_is_not_judged() {
        let mut failed = DkimCheck::new("example.org", Span::default(), Timestamp::from_unix(0));
        failed.scheme = Scheme::DomainKeys;
        failed.result = DkimResult::HeadersModified;
        failed.header_signature_valid = Some(false);
        let mut passed = failed.clone();
        passed.result = DkimResult::Pass;
        passed.header_signature_valid = Some(true);
        let mut checks = vec![failed.clone(), passed.clone()];
        judge_headers_only(Provenance::Stored, &mut checks);
        assert_eq!(checks, vec![failed.clone(), passed.clone()]);
        judge_headers_only(Provenance::Reconstructed, &mut checks);
        assert_eq!(checks[0].result, DkimResult::Unsupported);
        assert_eq!(checks[0].header_signature_valid, None);
        assert!(
            checks[0]
                .detail
                .as_deref()
                .is_some_and(|d| d.contains("not checkable"))
        );
        assert_eq!(checks[1], passed);
    }
}
