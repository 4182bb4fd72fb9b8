//! Addresses, Message-IDs and domains: the address of a From-like value, its domain, and
//! the organisational domain that decides whether two domains belong together.

use std::net::IpAddr;

/// The organisational domain of a host name: the last two labels, or three under common
/// two-level public suffixes (`co.uk`, `com.au`, `gouv.fr`, ...). `None` for addresses,
/// single labels and private top-level names.
pub(crate) fn org_domain(host: &str) -> Option<String> {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    if host.parse::<IpAddr>().is_ok() {
        return None;
    }
    let labels: Vec<&str> = host.split('.').filter(|l| !l.is_empty()).collect();
    let n = labels.len();
    if n < 2 {
        return None;
    }
    let tld = labels[n - 1];
    if !tld.bytes().all(|b| b.is_ascii_alphabetic())
        || matches!(
            tld,
            "local"
                | "localdomain"
                | "lan"
                | "internal"
                | "corp"
                | "home"
                | "intranet"
                | "localhost"
                | "private"
                | "domain"
                | "invalid"
                | "test"
                | "example"
        )
    {
        return None;
    }
    let second = labels[n - 2];
    let take = if tld.len() == 2
        && n >= 3
        && matches!(
            second,
            "co" | "com"
                | "net"
                | "org"
                | "gov"
                | "edu"
                | "ac"
                | "gouv"
                | "ne"
                | "or"
                | "go"
                | "gob"
                | "mil"
                | "nic"
                | "ltd"
                | "plc"
        ) {
        3
    } else {
        2
    };
    Some(labels[n - take..].join("."))
}

/// The address of a From-like value, lowercased (`Name <a@b>` or `a@b`).
pub(crate) fn address(value: &str) -> Option<String> {
    let v = value.trim();
    let inner = match (v.rfind('<'), v.rfind('>')) {
        (Some(s), Some(e)) if s < e => &v[s + 1..e],
        _ => v.split_whitespace().find(|w| w.contains('@')).unwrap_or(v),
    };
    let inner = inner
        .trim()
        .trim_matches(|c| c == '"' || c == '<' || c == '>');
    inner.contains('@').then(|| inner.to_ascii_lowercase())
}

/// The domain of an address.
pub(crate) fn domain_of(addr: &str) -> Option<&str> {
    addr.rsplit_once('@').map(|(_, d)| d.trim_end_matches('.'))
}

/// The local part and domain of a Message-ID value (`<local@domain>`).
pub(crate) fn split_id(value: &str) -> Option<(&str, &str)> {
    let v = value.trim();
    let start = v.find('<').map(|i| i + 1).unwrap_or(0);
    let end = v[start..].find('>').map(|i| start + i).unwrap_or(v.len());
    let inner = v.get(start..end)?;
    let at = inner.rfind('@')?;
    Some((&inner[..at], &inner[at + 1..]))
}
