//! Fetching keys from a real DNS server started in-process on 127.0.0.1 (hickory-server).
#![cfg(feature = "dns")]

use std::net::SocketAddr;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use hickory_server::Server;
use hickory_server::proto::rr::rdata::{SOA, TXT};
use hickory_server::proto::rr::{LowerName, Name, RData, Record};
use hickory_server::store::in_memory::InMemoryZoneHandler;
use hickory_server::zone_handler::{AxfrPolicy, Catalog, ZoneType};
use mailsleuth::auth::dns::{Fetched, KeyFetcher};
use mailsleuth::auth::{KeyStore, Provenance};

const ED: &str = "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=";

/// Serve the zone example.test on an ephemeral port; returns the runtime (keep it alive) and
/// the address.
fn serve() -> (tokio::runtime::Runtime, SocketAddr) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let addr = rt.block_on(async {
        let origin = Name::from_str("example.test.").unwrap();
        let mut zone =
            InMemoryZoneHandler::<hickory_server::net::runtime::TokioRuntimeProvider>::empty(
                origin.clone(),
                ZoneType::Primary,
                AxfrPolicy::Deny,
            );
        let soa = SOA::new(
            Name::from_str("ns.example.test.").unwrap(),
            Name::from_str("admin.example.test.").unwrap(),
            1,
            3600,
            600,
            86400,
            60,
        );
        zone.upsert_mut(Record::from_rdata(origin.clone(), 60, RData::SOA(soa)), 1);
        let txt = |name: &str, strings: &[&str]| {
            Record::from_rdata(
                Name::from_str(name).unwrap(),
                60,
                RData::TXT(TXT::new(strings.iter().map(|s| s.to_string()).collect())),
            )
        };
        // A served key, split into several strings.
        zone.upsert_mut(
            txt(
                "sel._domainkey.example.test.",
                &["v=DKIM1; k=ed25519; ", "p=", ED],
            ),
            1,
        );
        // A revoked key.
        zone.upsert_mut(txt("old._domainkey.example.test.", &["v=DKIM1; p="]), 1);
        // A TXT record that is not a key.
        zone.upsert_mut(txt("junk._domainkey.example.test.", &["v=spf1 -all"]), 1);
        let mut catalog = Catalog::new();
        catalog.upsert(LowerName::new(&origin), vec![Arc::new(zone)]);
        let mut server = Server::new(catalog);
        let udp = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let addr = udp.local_addr().unwrap();
        let tcp = tokio::net::TcpListener::bind(addr).await.unwrap();
        server.register_socket(udp);
        server.register_listener(tcp, Duration::from_secs(5), 4096);
        // Keep the server alive for the runtime's lifetime.
        std::mem::forget(server);
        addr
    });
    (rt, addr)
}

#[test]
fn fetch_keys_from_a_real_server_and_archive_them() {
    let (_rt, addr) = serve();
    let fetcher = KeyFetcher::with_server(addr).unwrap();
    let mut store = KeyStore::new();

    let got = fetcher
        .fetch(&mut store, "sel._domainkey.example.test")
        .unwrap();
    assert_eq!(
        got,
        Fetched::Stored {
            records: 1,
            revoked: 0
        }
    );
    let k = &store.get("sel._domainkey.example.test")[0];
    assert_eq!(k.record(), format!("v=DKIM1; k=ed25519; p={ED}"));
    assert_eq!(k.bits(), Some(256));
    match k.provenance() {
        Provenance::Dns { name, at } => {
            assert_eq!(name, "sel._domainkey.example.test");
            assert!(*at > 1_700_000_000);
        }
        p => panic!("{p:?}"),
    }
    assert!(
        k.provenance()
            .to_string()
            .starts_with("dns sel._domainkey.example.test at ")
    );

    let got = fetcher
        .fetch(&mut store, "missing._domainkey.example.test")
        .unwrap();
    assert_eq!(got, Fetched::NotFound);

    let got = fetcher
        .fetch(&mut store, "old._domainkey.example.test")
        .unwrap();
    assert_eq!(
        got,
        Fetched::Stored {
            records: 1,
            revoked: 1
        }
    );
    assert!(store.get("old._domainkey.example.test")[0].is_revoked());

    let got = fetcher
        .fetch(&mut store, "junk._domainkey.example.test")
        .unwrap();
    assert!(matches!(got, Fetched::Malformed(_)), "{got:?}");

    // Save as an archive and read it back: the key is usable years later.
    let path = std::env::temp_dir().join(format!("mailsleuth-dns-{}.keys", std::process::id()));
    store.save_file(&path).unwrap();
    let mut back = KeyStore::new();
    let r = back.load_file(&path).unwrap();
    std::fs::remove_file(&path).ok();
    assert_eq!(r.loaded, 2, "{:?}", r.problems);
    assert_eq!(
        back.get("sel._domainkey.example.test")[0].record(),
        store.get("sel._domainkey.example.test")[0].record()
    );
}
