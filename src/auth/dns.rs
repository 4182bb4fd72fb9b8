//! Fetching keys from DNS into a [`KeyStore`] (cargo feature `dns`).
//!
//! Verification never touches the network; this is the separate, explicit step that archives
//! a key seen today, so it can be used years later. Each fetched record keeps its provenance
//! ("dns NAME at TIME"); [`KeyStore::save_file`] writes the archive.

use std::net::SocketAddr;

use mail_auth::hickory_resolver::config::{
    ConnectionConfig, NameServerConfig, ProtocolConfig, ResolverConfig, ResolverOpts,
};
use mail_auth::hickory_resolver::net::runtime::TokioRuntimeProvider;
use mail_auth::hickory_resolver::proto::rr::RData;
use mail_auth::hickory_resolver::{Resolver, TokioResolver};

use super::keys::{KeyStore, Provenance, normalize_name};
use crate::error::{Error, Result};

/// What a lookup found.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fetched {
    /// Records stored (revoked ones, with an empty `p=`, included), and how many of them are
    /// revoked.
    Stored {
        /// Records stored.
        records: usize,
        /// Of those, revoked ones.
        revoked: usize,
    },
    /// The name does not exist or has no TXT record.
    NotFound,
    /// TXT records were found but none is a key record; the reasons.
    Malformed(Vec<String>),
}

/// A DNS client that fills a [`KeyStore`].
pub struct KeyFetcher {
    resolver: TokioResolver,
    runtime: tokio::runtime::Runtime,
}

impl std::fmt::Debug for KeyFetcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyFetcher").finish_non_exhaustive()
    }
}

fn config_err(e: impl std::fmt::Display) -> Error {
    Error::Config(format!("DNS resolver: {e}"))
}

impl KeyFetcher {
    /// A fetcher using the system's resolver configuration (`/etc/resolv.conf`).
    pub fn system() -> Result<Self> {
        let builder = TokioResolver::builder_tokio().map_err(config_err)?;
        Self::build(builder.build().map_err(config_err)?)
    }

    /// A fetcher asking one name server (UDP, then TCP for truncated answers).
    pub fn with_server(server: SocketAddr) -> Result<Self> {
        let mut udp = ConnectionConfig::new(ProtocolConfig::Udp);
        udp.port = server.port();
        let mut tcp = ConnectionConfig::new(ProtocolConfig::Tcp);
        tcp.port = server.port();
        let ns = NameServerConfig::new(server.ip(), true, vec![udp, tcp]);
        let config = ResolverConfig::from_parts(None, vec![], vec![ns]);
        let mut opts = ResolverOpts::default();
        opts.cache_size = 0;
        opts.attempts = 1;
        let resolver = Resolver::builder_with_config(config, TokioRuntimeProvider::default())
            .with_options(opts)
            .build()
            .map_err(config_err)?;
        Self::build(resolver)
    }

    fn build(resolver: TokioResolver) -> Result<Self> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(config_err)?;
        Ok(KeyFetcher { resolver, runtime })
    }

    /// Look up the TXT records of `name` (`<selector>._domainkey.<domain>`) and store the key
    /// records among them, with provenance "dns NAME at NOW". Several TXT strings of one
    /// record are joined.
    pub fn fetch(&self, store: &mut KeyStore, name: &str) -> Result<Fetched> {
        let name = normalize_name(name);
        let fqdn = format!("{name}.");
        let at = super::now();
        let lookup = self
            .runtime
            .block_on(self.resolver.txt_lookup(fqdn.as_str()));
        let lookup = match lookup {
            Ok(l) => l,
            Err(e) if e.is_nx_domain() || e.is_no_records_found() => return Ok(Fetched::NotFound),
            Err(e) => return Err(Error::Config(format!("DNS lookup of {name}: {e}"))),
        };
        let mut records = 0;
        let mut revoked = 0;
        let mut problems = Vec::new();
        for rec in lookup.answers() {
            let RData::TXT(txt) = &rec.data else { continue };
            let joined: Vec<u8> = txt
                .txt_data
                .iter()
                .flat_map(|s| s.iter().copied())
                .collect();
            let text = String::from_utf8_lossy(&joined);
            let provenance = Provenance::Dns {
                name: name.clone(),
                at,
            };
            match store.insert(&name, &text, provenance) {
                Ok(r) => {
                    records += 1;
                    revoked += usize::from(r);
                }
                Err(reason) => problems.push(reason),
            }
        }
        Ok(if records > 0 {
            Fetched::Stored { records, revoked }
        } else if problems.is_empty() {
            Fetched::NotFound
        } else {
            Fetched::Malformed(problems)
        })
    }
}
