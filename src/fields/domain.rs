//! Addresses, Message-IDs and domains: the address of a From-like value, its domain, and
//! the organisational domain that decides whether two domains belong together.

use std::borrow::Cow;
use std::net::IpAddr;

/// Top-level names that are not on the Internet: the special-use names of RFC 6761 and
/// RFC 6762 (`test`, `example`, `invalid`, `localhost`, `local`) and names used inside
/// organisations (`lan`, `internal`, `corp`, `home`, ...). Hosts under them belong to no
/// organisation that DNS could name.
const PRIVATE_TLDS: [&str; 13] = [
    "local",
    "localdomain",
    "lan",
    "internal",
    "corp",
    "home",
    "intranet",
    "localhost",
    "private",
    "domain",
    "invalid",
    "test",
    "example",
];

/// The organisational domain of a host name: its registrable domain under the Public
/// Suffix List (ICANN and private sections, compiled in by the `psl` crate), so
/// `mail.bbc.co.uk` gives `bbc.co.uk` and `alice.github.io` gives `alice.github.io`.
/// A name under a top-level name the list does not know is read with the list's default
/// rule (the last two labels). `None` for IP addresses, single labels, public suffixes
/// themselves (`co.uk`, `github.io`) and names under [`PRIVATE_TLDS`].
pub(crate) fn org_domain(host: &str) -> Option<Cow<'_, str>> {
    let host = host.trim_end_matches('.');
    let mut host = if host.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(host.to_ascii_lowercase())
    } else {
        Cow::Borrowed(host)
    };
    // Only digits, dots, colons and hex letters can be an address: parse those only.
    let address_like = host
        .bytes()
        .all(|b| b.is_ascii_hexdigit() || b == b'.' || b == b':');
    if address_like && host.parse::<IpAddr>().is_ok() {
        return None;
    }
    if host.starts_with('.') || host.contains("..") {
        let labels: Vec<&str> = host.split('.').filter(|l| !l.is_empty()).collect();
        host = Cow::Owned(labels.join("."));
    }
    let (_, tld) = host.rsplit_once('.')?;
    let is_name =
        tld.starts_with("xn--") || (!tld.is_empty() && tld.chars().all(char::is_alphabetic));
    if !is_name || PRIVATE_TLDS.contains(&tld) {
        return None;
    }
    match host {
        Cow::Borrowed(h) => psl::domain_str(h).map(Cow::Borrowed),
        Cow::Owned(h) => psl::domain_str(&h).map(|d| Cow::Owned(d.to_string())),
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn org(host: &str) -> Option<String> {
        org_domain(host).map(Cow::into_owned)
    }

    #[test]
    fn public_suffix_list() {
        assert_eq!(
            org("mail-pl1-f178.google.com").as_deref(),
            Some("google.com")
        );
        assert_eq!(org("Google.COM.").as_deref(), Some("google.com"));
        // ICANN section: two-level suffixes.
        assert_eq!(org("smtp.bbc.co.uk.").as_deref(), Some("bbc.co.uk"));
        assert_eq!(org("bbc.co.uk").as_deref(), Some("bbc.co.uk"));
        assert_eq!(org("a.b.example.com.au").as_deref(), Some("example.com.au"));
        assert_eq!(
            org("www.interieur.gouv.fr").as_deref(),
            Some("interieur.gouv.fr")
        );
        assert_eq!(
            org("mx.city.kawasaki.jp").as_deref(),
            Some("city.kawasaki.jp")
        );
        // Private section: every github.io site is its own organisation.
        assert_eq!(org("alice.github.io").as_deref(), Some("alice.github.io"));
        assert_eq!(
            org("www.alice.github.io").as_deref(),
            Some("alice.github.io")
        );
        assert_ne!(org("alice.github.io"), org("mallory.github.io"));
        assert_eq!(org("x.blogspot.com").as_deref(), Some("x.blogspot.com"));
        // A public suffix itself has no organisation.
        for suffix in ["co.uk", "github.io", "com", "uk", "gouv.fr"] {
            assert_eq!(org(suffix), None, "{suffix}");
        }
        // A top-level name the list does not know: the default rule.
        assert_eq!(org("mail.example.zzzz").as_deref(), Some("example.zzzz"));
        // Internationalised names, in ASCII form.
        assert_eq!(
            org("www.xn--80ak6aa92e.com").as_deref(),
            Some("xn--80ak6aa92e.com")
        );
        assert_eq!(
            org("xn--h1alffa9f.xn--p1ai").as_deref(),
            Some("xn--h1alffa9f.xn--p1ai")
        );
        // Empty labels do not count.
        assert_eq!(org("mail..google.com").as_deref(), Some("google.com"));
    }

    #[test]
    fn reserved_and_private_names() {
        for host in [
            "mail.example",
            "a.b.example",
            "x.test",
            "host.invalid",
            "localhost",
            "www.localhost",
            "exch01.corp.local",
            "nas.lan",
            "db.internal",
            "mail.corp",
            "router.home",
            "qcbii10",
            "",
            ".",
        ] {
            assert_eq!(org(host), None, "{host}");
        }
        // example.com and friends are ordinary registered names.
        assert_eq!(org("mail.example.com").as_deref(), Some("example.com"));
    }

    #[test]
    fn ip_literals() {
        for host in [
            "10.0.0.1",
            "209.85.214.178",
            "::1",
            "fe80::1",
            "2001:db8::1",
            "[10.0.0.1]",
            "1.2.3.999",
        ] {
            assert_eq!(org(host), None, "{host}");
        }
    }
}
