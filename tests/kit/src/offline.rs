//! Running mail-auth's own verifier offline, as a reference: a TXT cache that answers every
//! name from memory (NXDOMAIN for a name it does not hold, so nothing falls through to DNS),
//! and a `block_on` for its futures, which complete on the first poll when every answer is
//! cached. Used by the sample generator's self-check, the differential tests and the `auth`
//! bench.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Arc;

use mail_auth::common::parse::TxtRecordParser;
use mail_auth::common::verify::DomainKey;
use mail_auth::{ResolverCache, Txt};

/// DKIM key records by DNS name, answered without a network.
pub struct TxtCache(HashMap<Box<str>, Txt>);

impl TxtCache {
    /// A cache of `(name, record)` pairs (names without the final dot). Panics on a record
    /// mail-auth cannot parse: the callers pass their own test keys.
    pub fn of<'a>(records: impl IntoIterator<Item = (&'a str, &'a str)>) -> TxtCache {
        let map = records
            .into_iter()
            .map(|(name, record)| {
                let key = DomainKey::parse(record.as_bytes()).expect("key record parses");
                (
                    format!("{name}.").into_boxed_str(),
                    Txt::DomainKey(Arc::new(key)),
                )
            })
            .collect();
        TxtCache(map)
    }
}

impl ResolverCache<Box<str>, Txt> for TxtCache {
    fn get<Q>(&self, name: &Q) -> Option<Txt>
    where
        Box<str>: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        Some(
            self.0
                .get(name)
                .cloned()
                .unwrap_or(Txt::Error(mail_auth::Error::Dns(
                    mail_auth::DnsError::RecordNotFound(
                        mail_auth::hickory_resolver::proto::op::ResponseCode::NXDomain,
                    ),
                ))),
        )
    }
    fn remove<Q>(&self, _: &Q) -> Option<Txt>
    where
        Box<str>: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        None
    }
    fn insert(&self, _: Box<str>, _: Txt, _: std::time::Instant) {}
}

/// Run a future that completes on its first poll (mail-auth with every answer cached).
pub fn block_on<F: std::future::Future>(f: F) -> F::Output {
    let mut f = std::pin::pin!(f);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    match f.as_mut().poll(&mut cx) {
        std::task::Poll::Ready(v) => v,
        std::task::Poll::Pending => panic!("did not complete on the first poll"),
    }
}
