//! Time consistency: Date, DKIM `t=`, Received times, and timestamps hidden in the
//! Gmail MIME boundary and Outlook's Thread-Index.

use super::dump::clocks::{ClockFacts, ClockStep, Flagged, host_hash, seconds};
use super::{Ctx, Finding, FindingCode, Severity};
use crate::fields::date::{format_duration, format_utc};
use crate::fields::mime::boundary_param;
use crate::fields::tags::tag;
use crate::span::Span;

/// The time checks of one message. `clocks` gathers its clock steps and the offset of its
/// `Date` against the first receipt, for the dump-wide pass to learn each clock's usual
/// offset (see [`super::dump::clocks`]).
pub(crate) fn check(ctx: &Ctx<'_, '_>, out: &mut Vec<Finding>, clocks: &mut ClockFacts) {
    let skew = ctx.config.clock_skew;
    let date = match &ctx.date {
        Some((field, None)) => {
            out.push(Finding::heuristic(
                FindingCode::DateUnparseable,
                Severity::Low,
                "The Date header is not a valid date.",
                vec![field.span()],
            ));
            None
        }
        Some((field, Some(d))) => Some((field.span(), d.unix)),
        None => None,
    };

    // Received chain: top-most is the latest hop.
    let dated: Vec<_> = ctx
        .received
        .iter()
        .filter_map(|h| h.time.map(|t| (h, t.unix)))
        .collect();
    let by_hash = |h: &crate::fields::received::Hop| h.by.as_deref().map(host_hash);
    for pair in dated.windows(2) {
        let ((upper, ut), (lower, lt)) = (pair[0], pair[1]);
        let mut step = ClockStep {
            lower: by_hash(lower),
            upper: by_hash(upper),
            delta: seconds(lt.saturating_sub(ut)),
            flag: None,
        };
        if lt > ut.saturating_add(skew) {
            // Two servers of different organisations keep different clocks: a step of
            // minutes between them is their clocks (low); inside one organisation, or of
            // hours and days, the existing rule stands.
            let org = |h: &crate::fields::received::Hop| {
                h.by.as_deref()
                    .and_then(crate::fields::domain::org_domain)
                    .map(|d| d.to_ascii_lowercase())
            };
            // A hop without a `by` host is the sender's own machine or program: another
            // clock than the receiver's.
            // The bottom-most dated hop is the submission server next to the sender's
            // machine, often an office server without a synchronised clock.
            let submission = dated.last().is_some_and(|(h, _)| std::ptr::eq(*h, lower));
            let across = submission
                || match (org(upper), org(lower)) {
                    (Some(a), Some(b)) => a != b,
                    _ => true,
                };
            // A handoff the two hops disagree on (the upper hop names another sender than
            // the lower hop's receiver) is not two honest clocks: the rule for one
            // organisation stands.
            use crate::fields::domain::org_domain as org_of;
            let upper_from: Vec<std::borrow::Cow<'_, str>> = upper
                .from
                .iter()
                .chain(upper.from_names.iter())
                .filter_map(|n| org_of(n))
                .collect();
            let mismatch = lower
                .by
                .as_deref()
                .and_then(org_of)
                .is_some_and(|by| !upper_from.is_empty() && !upper_from.contains(&by));
            // A public host of another organisation recorded from a private address.
            let private = !upper.from_addresses.is_empty()
                && upper.from_addresses.iter().all(|a| match a {
                    std::net::IpAddr::V4(v4) => v4.is_private(),
                    std::net::IpAddr::V6(_) => false,
                })
                && upper
                    .by
                    .as_deref()
                    .and_then(org_of)
                    .is_some_and(|by| !upper_from.is_empty() && !upper_from.contains(&by));
            let broken = mismatch || private;
            let severity = if across && !broken {
                ctx.config.clock_severity(lt - ut)
            } else {
                ctx.config.server_skew_severity(lt - ut)
            };
            let evidence = vec![
                lower.time_span.unwrap_or(lower.span),
                upper.time_span.unwrap_or(upper.span),
            ];
            step.flag = Some(Box::new(Flagged {
                severity,
                evidence: evidence.clone(),
                lower_name: lower.by.as_deref().map(Into::into),
                upper_name: upper.by.as_deref().map(Into::into),
            }));
            out.push(Finding::heuristic(
                FindingCode::ReceivedOutOfOrder,
                severity,
                format!(
                    "A Received header ({}) is dated {} after the header above it ({}): time goes backwards along the route.",
                    format_utc(lt),
                    format_duration(lt - ut),
                    format_utc(ut)
                ),
                evidence,
            ));
        }
        clocks.push_step(step);
    }
    if let Some((date_span, d)) = date {
        // The earliest receipt time of the chain.
        let earliest = dated.iter().min_by_key(|(_, t)| *t);
        clocks.sender = earliest.map(|&(_, ft)| seconds(d.saturating_sub(ft)));
        if let Some(&(first, ft)) = earliest
            && d > ft.saturating_add(skew)
        {
            let severity = ctx.config.clock_severity(d - ft);
            let evidence = vec![date_span, first.time_span.unwrap_or(first.span)];
            clocks.sender_flag = Some(Box::new(Flagged {
                severity,
                evidence: evidence.clone(),
                lower_name: None,
                upper_name: None,
            }));
            out.push(Finding::heuristic(
                FindingCode::DateAfterReceived,
                severity,
                format!(
                    "The Date ({}) is {} later than the message was received ({}).",
                    format_utc(d),
                    format_duration(d - ft),
                    format_utc(ft)
                ),
                evidence,
            ));
        }
        if let Some(&(first, ft)) = dated.last() {
            let gap = ft - d;
            if gap > ctx.config.max_transit {
                let severity = if gap > 30 * 86_400 {
                    Severity::Medium
                } else {
                    Severity::Low
                };
                out.push(Finding::heuristic(
                    FindingCode::DateBeforeReceived,
                    severity,
                    format!(
                        "The Date ({}) is {} before the first receipt ({}).",
                        format_utc(d),
                        format_duration(gap),
                        format_utc(ft)
                    ),
                    vec![date_span, first.time_span.unwrap_or(first.span)],
                ));
            }
        }
    }

    // DKIM t= against Date and the Received headers around the signature.
    for sig in ctx.headers.get_all("dkim-signature") {
        // t= outside years 1970..10000 is not a time this check can compare.
        let Some(t) = tag(sig.raw_value(), b"t")
            .and_then(|v| v.parse::<i64>().ok())
            .filter(|t| (0..253_402_300_800).contains(t))
        else {
            continue;
        };
        if let Some((date_span, d)) = date
            && d > t.saturating_add(skew)
        {
            out.push(Finding::heuristic(
                FindingCode::DateAfterSignature,
                ctx.skew_severity(d - t),
                format!(
                    "The Date ({}) is {} later than the DKIM signing time t= ({}).",
                    format_utc(d),
                    format_duration(d - t),
                    format_utc(t)
                ),
                vec![date_span, sig.span()],
            ));
        }
        for (hop, ht) in &dated {
            if hop.field_index < sig.index() && ht.saturating_add(skew) < t {
                out.push(Finding::heuristic(
                    FindingCode::SignatureAfterReceived,
                    ctx.skew_severity(t - ht),
                    format!(
                        "The DKIM signing time t= ({}) is {} later than a Received header added after signing ({}).",
                        format_utc(t),
                        format_duration(t - ht),
                        format_utc(*ht)
                    ),
                    vec![sig.span(), hop.time_span.unwrap_or(hop.span)],
                ));
            } else if hop.field_index > sig.index() && *ht > t.saturating_add(skew) {
                out.push(Finding::heuristic(
                    FindingCode::ReceivedAfterSignature,
                    Severity::Low,
                    format!(
                        "A Received header below the signature ({}) is dated {} after the DKIM signing time t= ({}).",
                        format_utc(*ht),
                        format_duration(ht - t),
                        format_utc(t)
                    ),
                    vec![sig.span(), hop.time_span.unwrap_or(hop.span)],
                ));
            }
        }
    }

    let Some((date_span, d)) = date else { return };
    let tolerance = ctx.config.hidden_time_tolerance;
    // Gmail: boundary "000000000000" + 16 hex digits; hex digits 7..16 are the top bits of
    // the send time in microseconds.
    if let Some(ct) = ctx.headers.get("content-type")
        && let Some((boundary, range)) = boundary_param(ct.raw_value())
        && let Some(hidden) = gmail_boundary_time(boundary)
        && (hidden - d).abs() > tolerance.max(0)
    {
        let vs = ct.value_span().start;
        out.push(Finding::heuristic(
            FindingCode::GmailBoundaryTimeMismatch,
            Severity::Medium,
            format!(
                "The Gmail MIME boundary encodes the send time {}, {} {} the Date ({}).",
                format_utc(hidden),
                format_duration(hidden - d),
                if hidden > d { "after" } else { "before" },
                format_utc(d)
            ),
            vec![
                Span::new(vs + range.start as u64, vs + range.end as u64),
                date_span,
            ],
        ));
    }
    if let Some(ti) = ctx.headers.get("thread-index")
        && let Some(hidden) = thread_index_time(ti.value().as_bytes())
        && d.saturating_add(tolerance) < hidden
    {
        out.push(Finding::heuristic(
            FindingCode::ThreadIndexTimeMismatch,
            Severity::Medium,
            format!(
                "The Date ({}) is {} earlier than the time Outlook encoded in Thread-Index ({}).",
                format_utc(d),
                format_duration(hidden - d),
                format_utc(hidden)
            ),
            vec![ti.span(), date_span],
        ));
    }
}

/// The send time (Unix seconds) encoded in a Gmail boundary `000000000000` + 16 hex digits.
pub(crate) fn gmail_boundary_time(boundary: &str) -> Option<i64> {
    let b = boundary.as_bytes();
    if b.len() != 28
        || !b.starts_with(b"000000000000")
        || !b[12..]
            .iter()
            .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(c))
    {
        return None;
    }
    let high = u64::from_str_radix(boundary.get(18..)?, 16).ok()?;
    let micros = high.checked_shl(16)?;
    let secs = i64::try_from(micros / 1_000_000).ok()?;
    // Plausible only between 2010 and 2100.
    (1_262_304_000..4_102_444_800)
        .contains(&secs)
        .then_some(secs)
}

/// The time (Unix seconds) encoded in an Outlook `Thread-Index` (base64 of a 22-byte header
/// block holding a FILETIME, then 5-byte child blocks holding time deltas).
pub(crate) fn thread_index_time(b64: &[u8]) -> Option<i64> {
    let raw = base64_decode(b64)?;
    if raw.len() < 22 || (raw.len() - 22) % 5 != 0 {
        return None;
    }
    let mut ft: u64 = 0;
    for &b in raw.get(1..6)? {
        ft = (ft << 8) | u64::from(b);
    }
    let mut ft = ft << 24;
    for child in raw.get(22..)?.chunks_exact(5) {
        let v = u32::from_be_bytes([child[0], child[1], child[2], child[3]]);
        let delta = u64::from(v & 0x7fff_ffff);
        let delta = if v & 0x8000_0000 == 0 {
            delta << 18
        } else {
            delta << 23
        };
        ft = ft.checked_add(delta)?;
    }
    let secs = i64::try_from(ft / 10_000_000).ok()? - 11_644_473_600;
    (946_684_800..4_102_444_800).contains(&secs).then_some(secs)
}

/// Standard base64 (RFC 4648 section 4) with white space ignored and the padding optional,
/// through the `base64ct` crate. `None` for anything else.
fn base64_decode(input: &[u8]) -> Option<Vec<u8>> {
    use base64ct::{Base64, Base64Unpadded, Encoding};
    let text: String = std::str::from_utf8(input)
        .ok()?
        .chars()
        .filter(|c| !c.is_ascii_whitespace())
        .collect();
    if text.len().is_multiple_of(4) {
        Base64::decode_vec(&text).ok()
    } else {
        Base64Unpadded::decode_vec(&text).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64() {
        assert_eq!(base64_decode(b"aGVsbG8=").as_deref(), Some(&b"hello"[..]));
        assert_eq!(base64_decode(b"aGVs bG8").as_deref(), Some(&b"hello"[..]));
        assert_eq!(base64_decode(b"").as_deref(), Some(&b""[..]));
        assert_eq!(base64_decode(b"aGVsbG8=x"), None);
        assert_eq!(base64_decode(b"a"), None);
        assert_eq!(base64_decode(b"\xff\xfe"), None);
    }

    #[test]
    fn hidden_times_decode() {
        // Real Gmail message: Date Sun, 8 Dec 2019 10:33:04 +0100, received 09:33:15 UTC.
        let t = gmail_boundary_time("000000000000eb957105992df7ad").unwrap();
        assert_eq!(
            crate::fields::date::format_utc(t),
            "2019-12-08 09:33:11 UTC"
        );
        assert_eq!(gmail_boundary_time("----=_NextPart_000"), None);
        assert_eq!(gmail_boundary_time("000000000000000000000000000g"), None);
        // Real Outlook.com message: Date Sun, 8 Dec 2019 09:34:23 +0000.
        let t = thread_index_time(b"AQHVraqsfF1n/ybDhUeAU8vsv9+SRQ==").unwrap();
        assert_eq!(
            crate::fields::date::format_utc(t),
            "2019-12-08 09:34:21 UTC"
        );
        assert_eq!(thread_index_time(b"not base64!"), None);
        // Folded, and without its padding: the same time.
        assert_eq!(
            thread_index_time(b"AQHVraqsfF1n/ybD\r\n hUeAU8vsv9+SRQ"),
            Some(t)
        );
        assert_eq!(thread_index_time(b"AQID"), None);
    }
}
