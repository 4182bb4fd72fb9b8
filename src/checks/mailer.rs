//! Mailer fingerprints: Message-ID and MIME boundary shapes versus the claimed
//! `X-Mailer` / `User-Agent`, and the Message-ID domain versus the sender.

use super::{Ctx, Finding, FindingCode, Severity};
use crate::fields::domain::org_domain;
use crate::fields::domain::{address, domain_of, split_id};
use crate::fields::mime::boundary_param;
use crate::fields::tags::tag;
use crate::read::headers::Field;
use crate::span::Span;

/// A mail program whose Message-ID and boundary shapes are known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mailer {
    Gmail,
    Outlook,
    OutlookMac,
    AppleMail,
    Thunderbird,
}

impl Mailer {
    fn name(self) -> &'static str {
        match self {
            Mailer::Gmail => "Gmail",
            Mailer::Outlook => "Microsoft Outlook",
            Mailer::OutlookMac => "Outlook for Mac",
            Mailer::AppleMail => "Apple Mail",
            Mailer::Thunderbird => "Thunderbird",
        }
    }
}

/// The mailer an `X-Mailer` / `User-Agent` value claims.
pub(crate) fn claimed(value: &str) -> Option<Mailer> {
    let v = value.to_ascii_lowercase();
    if v.contains("iphone mail") || v.contains("ipad mail") || v.starts_with("apple mail") {
        Some(Mailer::AppleMail)
    } else if v.contains("macoutlook") {
        Some(Mailer::OutlookMac)
    } else if v.contains("microsoft outlook")
        || v.contains("microsoft office outlook")
        || v.contains("windows live mail")
        || v.contains("microsoft windows mail")
    {
        Some(Mailer::Outlook)
    } else if v.contains("thunderbird") {
        Some(Mailer::Thunderbird)
    } else {
        None
    }
}

/// Known Message-ID shapes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum IdShape {
    /// `<CA...@mail.gmail.com>`
    Gmail,
    /// `<000001d2a6c1$2f0e8d40$8d2ba7c0$@domain>` (Outlook, Outlook Express)
    OutlookDollar,
    /// Made by an Exchange server: `<AM0PR...@...outlook.com>` or a long upper-case local part.
    Exchange,
    /// `<NDBBJJFDMKFOAIFBEPPJIELLCBAA.user@domain>` (Outlook 2000 in Internet-only mode).
    OutlookImo,
    /// Upper-case UUID (Apple Mail, Outlook for Mac).
    UpperUuid,
    /// Lower-case UUID (Thunderbird since about 2018).
    LowerUuid,
    /// `<3E43EB00.7040006@domain>` (Netscape, Mozilla, older Thunderbird).
    MozillaHex,
}

impl IdShape {
    fn made_by(self) -> &'static str {
        match self {
            IdShape::Gmail => "Gmail",
            IdShape::OutlookDollar | IdShape::OutlookImo => "Microsoft Outlook",
            IdShape::Exchange => "an Exchange server",
            IdShape::UpperUuid => "Apple Mail",
            IdShape::LowerUuid | IdShape::MozillaHex => "Thunderbird",
        }
    }
}

fn is_uuid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| {
            if matches!(i, 8 | 13 | 18 | 23) {
                *c == b'-'
            } else {
                c.is_ascii_hexdigit()
            }
        })
}

pub(crate) fn id_shape(local: &str, domain: &str) -> Option<IdShape> {
    let domain = domain.to_ascii_lowercase();
    if domain == "mail.gmail.com" {
        return Some(IdShape::Gmail);
    }
    if domain.ends_with(".outlook.com") || domain.ends_with(".exchangelabs.com") {
        return Some(IdShape::Exchange);
    }
    let parts: Vec<&str> = local.split('$').collect();
    if parts.len() >= 3
        && parts
            .iter()
            .take(3)
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_hexdigit()))
    {
        return Some(IdShape::OutlookDollar);
    }
    if local.len() > 29
        && local.as_bytes().get(28) == Some(&b'.')
        && local.bytes().take(28).all(|b| (b'A'..=b'P').contains(&b))
    {
        return Some(IdShape::OutlookImo);
    }
    if is_uuid(local) {
        if local.bytes().any(|b| b.is_ascii_lowercase()) {
            return Some(IdShape::LowerUuid);
        }
        return Some(IdShape::UpperUuid);
    }
    if let Some((a, b)) = local.split_once('.')
        && a.len() == 8
        && a.bytes()
            .all(|c| c.is_ascii_digit() || (b'A'..=b'F').contains(&c))
        && !b.is_empty()
        && b.len() <= 10
        && b.bytes().all(|c| c.is_ascii_digit())
    {
        return Some(IdShape::MozillaHex);
    }
    if local.len() >= 30
        && local
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        && local.bytes().any(|b| b.is_ascii_uppercase())
    {
        return Some(IdShape::Exchange);
    }
    None
}

fn expected_ids(m: Mailer) -> &'static [IdShape] {
    match m {
        Mailer::Gmail => &[IdShape::Gmail],
        Mailer::Outlook => &[
            IdShape::OutlookDollar,
            IdShape::OutlookImo,
            IdShape::Exchange,
        ],
        Mailer::OutlookMac => &[IdShape::UpperUuid, IdShape::Exchange],
        Mailer::AppleMail => &[IdShape::UpperUuid, IdShape::Exchange],
        Mailer::Thunderbird => &[IdShape::LowerUuid, IdShape::MozillaHex],
    }
}

/// Known MIME boundary shapes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BoundaryShape {
    Gmail,
    OutlookNextPart,
    Exchange,
    Apple,
    Thunderbird,
}

impl BoundaryShape {
    fn made_by(self) -> &'static str {
        match self {
            BoundaryShape::Gmail => "Gmail",
            BoundaryShape::OutlookNextPart => "Microsoft Outlook",
            BoundaryShape::Exchange => "an Exchange server",
            BoundaryShape::Apple => "Apple Mail",
            BoundaryShape::Thunderbird => "Thunderbird",
        }
    }
}

pub(crate) fn boundary_shape(b: &str) -> Option<BoundaryShape> {
    let bytes = b.as_bytes();
    if bytes.len() == 28
        && bytes
            .iter()
            .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(c))
    {
        return Some(BoundaryShape::Gmail);
    }
    if b.starts_with("----=_NextPart_") {
        return Some(BoundaryShape::OutlookNextPart);
    }
    if bytes.len() > 5
        && bytes[0] == b'_'
        && bytes[1..4].iter().all(u8::is_ascii_digit)
        && bytes[4] == b'_'
    {
        return Some(BoundaryShape::Exchange);
    }
    if b.starts_with("Apple-Mail") {
        return Some(BoundaryShape::Apple);
    }
    if b.len() >= 24
        && b.starts_with("------------")
        && b[12..].bytes().all(|c| c.is_ascii_alphanumeric())
    {
        return Some(BoundaryShape::Thunderbird);
    }
    None
}

fn expected_boundaries(m: Mailer) -> &'static [BoundaryShape] {
    match m {
        Mailer::Gmail => &[BoundaryShape::Gmail],
        Mailer::Outlook => &[BoundaryShape::OutlookNextPart, BoundaryShape::Exchange],
        Mailer::OutlookMac => &[BoundaryShape::Exchange],
        Mailer::AppleMail => &[BoundaryShape::Apple, BoundaryShape::Exchange],
        Mailer::Thunderbird => &[BoundaryShape::Thunderbird, BoundaryShape::Exchange],
    }
}

fn mailer_field<'a>(ctx: &Ctx<'a, '_>) -> Option<(Field<'a>, Mailer)> {
    ["x-mailer", "user-agent"]
        .into_iter()
        .filter_map(|n| ctx.headers.get(n))
        .find_map(|f| claimed(&f.value()).map(|m| (f, m)))
}

pub(crate) fn check(ctx: &Ctx<'_, '_>, out: &mut Vec<Finding>) {
    let mid = ctx.headers.get("message-id");
    let parsed = mid.as_ref().and_then(|f| {
        let v = f.value();
        split_id(&v).map(|(l, d)| (l.to_string(), d.to_string()))
    });
    let shape = parsed.as_ref().and_then(|(l, d)| id_shape(l, d));
    let mailer = mailer_field(ctx);
    let claim = mailer.map(|(_, m)| m).or(match shape {
        Some(IdShape::Gmail)
            if ctx.headers.get("x-mailer").is_none() && ctx.headers.get("user-agent").is_none() =>
        {
            Some(Mailer::Gmail)
        }
        _ => None,
    });

    if let (Some(mid), Some((local, _))) = (&mid, &parsed) {
        if let Some((mfield, m)) = mailer {
            let expected = expected_ids(m);
            match shape {
                Some(s) if !expected.contains(&s) => out.push(Finding::heuristic(
                    FindingCode::MessageIdMailerMismatch,
                    Severity::Medium,
                    format!(
                        "The message claims to be written with {} but its Message-ID has the shape {} makes.",
                        m.name(),
                        s.made_by()
                    ),
                    vec![mid.span(), mfield.span()],
                )),
                None => out.push(Finding::heuristic(
                    FindingCode::MessageIdMailerMismatch,
                    Severity::Low,
                    format!(
                        "The message claims to be written with {} but its Message-ID does not have that program's usual shape.",
                        m.name()
                    ),
                    vec![mid.span(), mfield.span()],
                )),
                _ => {}
            }
        } else if shape == Some(IdShape::Gmail) && !gmail_local(local) {
            out.push(Finding::heuristic(
                FindingCode::MessageIdMailerMismatch,
                Severity::Low,
                "The Message-ID ends in @mail.gmail.com but its local part does not have Gmail's shape.",
                vec![mid.span()],
            ));
        }
    }

    // Boundary versus the claimed mailer.
    if let (Some(m), Some(ct)) = (claim, ctx.headers.get("content-type"))
        && let Some((b, range)) = boundary_param(ct.raw_value())
        && let Some(s) = boundary_shape(b)
        && !expected_boundaries(m).contains(&s)
    {
        let vs = ct.value_span().start;
        let mut evidence = vec![Span::new(vs + range.start as u64, vs + range.end as u64)];
        if let Some((f, _)) = mailer {
            evidence.push(f.span());
        } else if let Some(mid) = &mid {
            evidence.push(mid.span());
        }
        out.push(Finding::heuristic(
                        FindingCode::BoundaryMailerMismatch,
                        Severity::Medium,
                        format!(
                            "The message claims to be written with {} but its MIME boundary has the shape {} makes.",
                            m.name(),
                            s.made_by()
                        ),
                        evidence,
                    ));
    }

    // Message-ID domain versus the sender and the signers.
    if let (Some(mid), Some((_, mid_domain)), Some(from)) = (&mid, &parsed, ctx.headers.get("from"))
    {
        let Some(mid_org) = org_domain(mid_domain) else {
            return;
        };
        let Some(addr) = address(&from.value()) else {
            return;
        };
        let Some(from_org) = domain_of(&addr).and_then(org_domain) else {
            return;
        };
        if mid_org == from_org {
            return;
        }
        let signer = ctx.headers.get_all("dkim-signature").any(|s| {
            tag(s.raw_value(), b"d")
                .and_then(|d| org_domain(&d).map(std::borrow::Cow::into_owned))
                .as_deref()
                == Some(&*mid_org)
        });
        let gmail_pair = mid_org == "gmail.com" && from_org == "googlemail.com";
        if !signer && !gmail_pair {
            out.push(Finding::heuristic(
                FindingCode::MessageIdDomainUnrelated,
                Severity::Info,
                format!(
                    "The Message-ID was made under {mid_org}, which is neither the sender's domain ({from_org}) nor a signing domain."
                ),
                vec![mid.span(), from.span()],
            ));
        }
    }
}

/// Gmail's local parts: base64-like, 30 or more characters, starting with an upper-case
/// letter (`CA...`, older `AANLkTi...`).
fn gmail_local(local: &str) -> bool {
    local.len() >= 30
        && local.starts_with(|c: char| c.is_ascii_uppercase())
        && local
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'=' | b'_' | b'-' | b'.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        assert_eq!(
            id_shape(
                "CAHGZRyXM9M63fD=WQxoQM8qUvQS4ZYqJ3YmVOKpHFu5JhFB-ug",
                "mail.gmail.com"
            ),
            Some(IdShape::Gmail)
        );
        assert_eq!(
            id_shape("001401c2cec7$4eb5b460$941c10ac", "ok6f6gr01ta4hv"),
            Some(IdShape::OutlookDollar)
        );
        assert_eq!(
            id_shape("000001d2a6c1$2f0e8d40$8d2ba7c0$", "x.fr"),
            Some(IdShape::OutlookDollar)
        );
        assert_eq!(
            id_shape("308AB1BA-9F61-4A92-9422-83578528A508", "gmail.com"),
            Some(IdShape::UpperUuid)
        );
        assert_eq!(
            id_shape("4538ba23-ee8b-4e15-8857-d653d581bc18", "arm.com"),
            Some(IdShape::LowerUuid)
        );
        assert_eq!(
            id_shape("3E43EB00.7040006", "pcnet.ro"),
            Some(IdShape::MozillaHex)
        );
        assert_eq!(
            id_shape(
                "HE1PR0401MB24279B86E7353F5886A73526D6590",
                "HE1PR0401MB2427.eurprd04.prod.outlook.com"
            ),
            Some(IdShape::Exchange)
        );
        assert_eq!(
            id_shape("20030712040037.46341.5F8J", "football.example.com"),
            None
        );
        assert_eq!(
            boundary_shape("000000000000eb957105992df7ad"),
            Some(BoundaryShape::Gmail)
        );
        assert_eq!(
            boundary_shape("----=_NextPart_000_0001_01D2A6C1.2F0E8D40"),
            Some(BoundaryShape::OutlookNextPart)
        );
        assert_eq!(
            boundary_shape("_000_HE1PR0401MB24279B86E7353F5886A73526D6590HE1PR0401MB2427_"),
            Some(BoundaryShape::Exchange)
        );
        assert_eq!(
            boundary_shape("Apple-Mail=_1B0E0F6A-6E0D-4E8B-9B51-4B7D7C1E0A11"),
            Some(BoundaryShape::Apple)
        );
        assert_eq!(
            boundary_shape("------------8Xu5BwKd1nlEqhrVh0Hi8Tyl"),
            Some(BoundaryShape::Thunderbird)
        );
        assert_eq!(claimed("iPhone Mail (12B440)"), Some(Mailer::AppleMail));
        assert_eq!(claimed("Microsoft Outlook 16.0"), Some(Mailer::Outlook));
        assert_eq!(
            claimed("Mozilla/5.0 (X11; Linux x86_64; rv:91.0) Gecko/20100101 Thunderbird/91.1.0"),
            Some(Mailer::Thunderbird)
        );
        assert_eq!(claimed("Sylpheed version 0.8.6"), None);
    }

    #[test]
    fn addresses() {
        assert_eq!(
            address("Alice <Alice@Example.org>").as_deref(),
            Some("alice@example.org")
        );
        assert_eq!(address("bob@x.y (Bob)").as_deref(), Some("bob@x.y"));
        assert_eq!(address("undisclosed"), None);
        assert_eq!(split_id("<a@b.c>"), Some(("a", "b.c")));
        assert_eq!(split_id("<nodomain>"), None);
    }
}
