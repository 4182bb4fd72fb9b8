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
//!     .as_of(AsOf::Fixed(mailsleuth::Timestamp::from_unix(1_500_000_000)))
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
pub mod recover;
mod results;
mod rsa;

pub use canon::Repair;
pub use keys::{KeyAnnotations, KeyKind, KeyProblem, KeyRecord, KeyStore, LoadReport, Provenance};
pub use results::{
    ArcCheck, ArcResult, ArcSet, AuthReport, ChainValidation, DkimCheck, DkimResult,
    DuplicateHeader, HeaderRef, SealedResults, SignedHeader, SigningAlgorithm,
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
    /// stored, whose first byte is at absolute offset `offset` in its source. `format` is
    /// how it was stored (mbox quoting is undone accordingly, and reported). All spans in the
    /// report are absolute and point into the stored bytes.
    pub fn verify(&self, message: &[u8], offset: u64, format: Option<Format>) -> AuthReport {
        self.verify_indexed(&Headers::parse(message, offset), format)
    }

    /// [`Verifier::verify`] with the message's header index already built (the index holds
    /// the message bytes and their offset), so a scan indexes each message once.
    pub fn verify_indexed(&self, headers: &Headers<'_>, format: Option<Format>) -> AuthReport {
        self.verify_collecting(headers, format).0
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
        let (report, sigs) = self.verify_collecting(&headers, Some(message.format()));
        let source = message.source().display().to_string();
        let sigs = sigs
            .into_iter()
            .map(|s| s.at(message.index(), source.clone()))
            .collect();
        (report, sigs)
    }

    /// [`Verifier::verify_indexed`] and the unkeyed RSA signatures (index and source unset).
    pub(crate) fn verify_collecting(
        &self,
        headers: &Headers<'_>,
        format: Option<Format>,
    ) -> (AuthReport, Vec<recover::RsaSignature>) {
        let (message, base) = (headers.bytes(), headers.offset());
        let (as_of, as_of_source) = resolve_as_of(self.as_of, headers);
        let mut ctx = dkim::Context::new(self.keys, message, base, format, headers, as_of);
        let dkim = headers
            .iter()
            .filter(|f| f.is_named("DKIM-Signature"))
            .map(|f| ctx.check(f.index()))
            .collect();
        let arc = arc::check(&mut ctx);
        let report = AuthReport {
            as_of: Timestamp::from_unix(as_of),
            as_of_source,
            dkim,
            arc,
        };
        (report, std::mem::take(&mut ctx.unkeyed))
    }
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
