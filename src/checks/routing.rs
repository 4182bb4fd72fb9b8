//! Routing heuristics over the `Received` chain (parsed in `fields/received.rs`).

use std::net::{IpAddr, Ipv4Addr};

use super::{Ctx, Finding, FindingCode, Severity};
use crate::fields::domain::org_domain;
use crate::fields::received::Hop;

fn is_private(ip: &IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || (o[0] == 100 && (64..128).contains(&o[1]))
        }
        IpAddr::V6(v6) => {
            let s = v6.segments();
            v6.is_loopback() || (s[0] & 0xfe00) == 0xfc00 || (s[0] & 0xffc0) == 0xfe80
        }
    }
}

/// Why an IPv4 address cannot be a host on the Internet, if it cannot.
fn impossible_v4(ip: Ipv4Addr) -> Option<&'static str> {
    let o = ip.octets();
    if o[0] == 0 {
        Some("in 0.0.0.0/8 (\"this network\")")
    } else if (224..240).contains(&o[0]) {
        Some("a multicast address")
    } else if o[0] >= 240 {
        Some("in the reserved range 240.0.0.0/4")
    } else if (o[0], o[1], o[2]) == (192, 0, 2)
        || (o[0], o[1], o[2]) == (198, 51, 100)
        || (o[0], o[1], o[2]) == (203, 0, 113)
    {
        Some("in a documentation range (RFC 5737)")
    } else if o[0] == 198 && (o[1] == 18 || o[1] == 19) {
        Some("in the benchmarking range 198.18.0.0/15")
    } else {
        None
    }
}

pub(crate) fn check(ctx: &Ctx<'_, '_>, out: &mut Vec<Finding>) {
    let hops = &ctx.received;
    for hop in hops {
        // Impossible addresses.
        let mut bad: Vec<String> = hop
            .invalid_addresses
            .iter()
            .map(|a| format!("{a} (an octet over 255)"))
            .collect();
        let helo = hop.from.as_deref().and_then(literal_ip);
        for ip in hop.from_addresses.iter().chain(helo.as_ref()) {
            if let IpAddr::V4(v4) = ip
                && let Some(why) = impossible_v4(*v4)
            {
                bad.push(format!("{v4} ({why})"));
            }
        }
        if let Some(by) = hop.by.as_deref().and_then(|b| b.parse::<Ipv4Addr>().ok())
            && let Some(why) = impossible_v4(by)
        {
            bad.push(format!("{by} ({why})"));
        }
        if !bad.is_empty() {
            bad.dedup();
            out.push(Finding::heuristic(
                FindingCode::ReceivedImpossibleAddress,
                Severity::Medium,
                format!(
                    "A Received header names an address that cannot occur on the Internet: {}.",
                    bad.join(", ")
                ),
                vec![hop.span],
            ));
        }
        // A public host of another organisation recorded from a private address.
        let recorded = &hop.from_addresses;
        if let Some(first_recorded) = recorded.first()
            && recorded.iter().all(is_private)
        {
            let by_org = hop.by.as_deref().and_then(org_domain);
            let from_orgs: Vec<std::borrow::Cow<'_, str>> = hop
                .from
                .iter()
                .chain(hop.from_names.iter())
                .filter_map(|n| org_domain(n))
                .collect();
            if let Some(by_org) = by_org
                && !from_orgs.is_empty()
                && from_orgs.iter().all(|o| *o != by_org)
            {
                out.push(Finding::heuristic(
                    FindingCode::ReceivedPrivateAddress,
                    Severity::Low,
                    format!(
                        "A hop claims a host of {} but {} recorded it from the private address {}.",
                        from_orgs[0],
                        hop.by.as_deref().unwrap_or("the receiver"),
                        first_recorded
                    ),
                    vec![hop.span],
                ));
            }
        }
    }
    // by/from continuity: hops[i] is above (later than) hops[i + 1].
    for pair in hops.windows(2) {
        let (upper, lower) = (&pair[0], &pair[1]);
        let Some(by) = lower.by.as_deref() else {
            continue;
        };
        if upper.from.is_none() {
            continue;
        }
        let names = || {
            upper
                .from
                .iter()
                .chain(upper.from_names.iter())
                .map(AsRef::as_ref)
        };
        if let Ok(by_ip) = by.parse::<IpAddr>() {
            // An address as `by`: matches when the next hop recorded that address.
            let helo = upper.from.as_deref().and_then(literal_ip);
            if !upper.from_addresses.is_empty()
                && !upper.from_addresses.contains(&by_ip)
                && helo != Some(by_ip)
                && is_public(&by_ip)
                && names().any(|n: &str| org_domain(n).is_some())
            {
                push_mismatch(out, upper, lower, by);
            }
            continue;
        }
        let Some(by_org) = org_domain(by) else {
            continue;
        };
        let mut any_org = false;
        let mut same_org = false;
        for org in names().filter_map(|n: &str| org_domain(n)) {
            any_org = true;
            if org == by_org {
                same_org = true;
                break;
            }
        }
        if !any_org || same_org {
            continue;
        }
        push_mismatch(out, upper, lower, by);
    }
}

/// An address written as a host name (`10.0.0.1`, `IPv6:fe80::1`).
fn literal_ip(name: &str) -> Option<IpAddr> {
    name.trim_start_matches("ipv6:").parse().ok()
}

fn is_public(ip: &IpAddr) -> bool {
    !is_private(ip)
}

fn push_mismatch(out: &mut Vec<Finding>, upper: &Hop, lower: &Hop, by: &str) {
    out.push(Finding::heuristic(
        FindingCode::ReceivedHopMismatch,
        Severity::Low,
        format!(
            "A hop says the message came from {} but the hop below says {} received it.",
            upper.from.as_deref().unwrap_or("?"),
            by
        ),
        vec![lower.span, upper.span],
    ));
}
