//! ARC chain verification (RFC 8617 section 5.2), offline, with the same key store.

use mail_auth::arc::{ChainValidation as Cv, Results, Seal, Signature};

use super::canon::{self, Canon};
use super::dkim::{Context, canon_of};
use super::keys::KeyRecord;
use super::{ArcCheck, ArcResult, ArcSet, ChainValidation, SealedResults};
use crate::fields::tags;
use crate::read::headers::Headers;

/// Highest instance number RFC 8617 allows.
const MAX_INSTANCES: u32 = 50;

struct Parsed {
    aar: Vec<(u32, usize)>,
    ams: Vec<(u32, usize, Signature)>,
    seals: Vec<(u32, usize, Seal)>,
}

/// Parse an ARC-Message-Signature, accepting an empty `h=` (the signature then covers only
/// itself), which mail-auth's parser refuses.
fn parse_ams(raw: &[u8]) -> Result<Signature, String> {
    match Signature::parse(raw) {
        Ok(s) => Ok(s),
        Err(e) => {
            let h = tags::parse(raw).find(|t| t.name == b"h" && t.value.is_empty());
            let Some(h) = h else {
                return Err(e.to_string());
            };
            let mut patched = raw.get(..h.value_range.start).unwrap_or_default().to_vec();
            patched.extend_from_slice(b"x-mailsleuth-none");
            patched.extend_from_slice(raw.get(h.value_range.end..).unwrap_or_default());
            let mut s = Signature::parse(&patched).map_err(|e| e.to_string())?;
            s.h.clear();
            Ok(s)
        }
    }
}

fn parse(headers: &Headers<'_>) -> Result<Parsed, String> {
    let mut p = Parsed {
        aar: Vec::new(),
        ams: Vec::new(),
        seals: Vec::new(),
    };
    for f in headers.iter() {
        let raw = f.raw_value();
        if f.is_named("ARC-Authentication-Results") {
            let r = Results::parse(raw).map_err(|e| format!("ARC-Authentication-Results: {e}"))?;
            p.aar.push((r.i, f.index()));
        } else if f.is_named("ARC-Message-Signature") {
            tags::validate(raw, &["a", "b", "bh", "d", "h", "i", "s"])
                .map_err(|e| format!("ARC-Message-Signature: {e}"))?;
            let s = parse_ams(raw).map_err(|e| format!("ARC-Message-Signature: {e}"))?;
            if s.i == 0 {
                return Err("ARC-Message-Signature without i=".into());
            }
            if s.h
                .iter()
                .any(|h| h.trim().eq_ignore_ascii_case("arc-seal"))
            {
                return Err("ARC-Message-Signature signs ARC-Seal".into());
            }
            p.ams.push((s.i, f.index(), s));
        } else if f.is_named("ARC-Seal") {
            tags::validate(raw, &["a", "b", "cv", "d", "i", "s"])
                .map_err(|e| format!("ARC-Seal: {e}"))?;
            let s = Seal::parse(raw).map_err(|e| format!("ARC-Seal: {e}"))?;
            p.seals.push((s.i, f.index(), s));
        }
    }
    Ok(p)
}

fn cv_of(cv: &Cv) -> ChainValidation {
    match cv {
        Cv::None => ChainValidation::None,
        Cv::Fail => ChainValidation::Fail,
        Cv::Pass => ChainValidation::Pass,
    }
}

/// Verify the ARC chain of the message in `ctx`; `None` when it has no ARC header.
pub(crate) fn check(ctx: &mut Context<'_>) -> Option<ArcCheck> {
    let headers = ctx.headers;
    let any = headers.iter().any(|f| {
        f.is_named("ARC-Seal")
            || f.is_named("ARC-Message-Signature")
            || f.is_named("ARC-Authentication-Results")
    });
    if !any {
        return None;
    }
    let fail = |detail: String, sets: Vec<ArcSet>| ArcCheck {
        result: ArcResult::Fail,
        instances: u32::try_from(sets.len()).unwrap_or(u32::MAX),
        sets,
        detail: Some(detail),
        repair: None,
    };
    let p = match parse(headers) {
        Ok(p) => p,
        Err(e) => return Some(fail(e, Vec::new())),
    };
    let n = p.seals.iter().map(|s| s.0).max().unwrap_or(0);
    if n > MAX_INSTANCES {
        return Some(fail(
            format!("{n} instances, over {MAX_INSTANCES}"),
            Vec::new(),
        ));
    }
    // Exactly one of each header per instance 1..=n.
    let mut sets = Vec::new();
    let mut chain: Vec<(usize, usize, usize)> = Vec::new();
    for i in 1..=n.max(1) {
        let aar: Vec<_> = p.aar.iter().filter(|a| a.0 == i).collect();
        let ams: Vec<_> = p.ams.iter().filter(|a| a.0 == i).collect();
        let seal: Vec<_> = p.seals.iter().filter(|a| a.0 == i).collect();
        let (&[a], &[m], &[s]) = (aar.as_slice(), ams.as_slice(), seal.as_slice()) else {
            return Some(fail(
                format!(
                    "instance {i} has {} ARC-Authentication-Results, {} ARC-Message-Signature, {} ARC-Seal",
                    aar.len(),
                    ams.len(),
                    seal.len()
                ),
                sets,
            ));
        };
        sets.push(ArcSet {
            i,
            domain: s.2.d.clone(),
            selector: s.2.s.clone(),
            cv: cv_of(&s.2.cv),
            seal_valid: None,
            message_signature_valid: None,
            seal_span: headers.field(s.1).map(|f| f.span()),
            message_signature_span: headers.field(m.1).map(|f| f.span()),
            authentication_results: None,
        });
        chain.push((a.1, m.1, s.1));
    }
    if p.aar.iter().any(|a| a.0 > n) || p.ams.iter().any(|a| a.0 > n) {
        return Some(fail("instance without an ARC-Seal".into(), sets));
    }
    for (k, (_, _, s)) in p.seals.iter().enumerate() {
        let _ = k;
        let ok = match (s.i, &s.cv) {
            (_, Cv::Fail) => false,
            (1, Cv::None) => true,
            (i, Cv::Pass) => i > 1,
            _ => false,
        };
        if !ok {
            return Some(fail(
                format!("instance {} has cv={}", s.i, cv_of(&s.cv).as_str()),
                sets,
            ));
        }
    }

    // Try the stored message, then each repair.
    let mut first: Option<ArcCheck> = None;
    for vi in 0..ctx.candidate_count() {
        let result = verify_variant(ctx, vi, &p, &chain, n, sets.clone());
        if result.result == ArcResult::Pass {
            let mut r = result;
            if vi > 0 {
                r.repair = ctx.repair_of(vi);
            }
            return Some(r);
        }
        first.get_or_insert(result);
    }
    first
}

fn verify_variant(
    ctx: &mut Context<'_>,
    vi: usize,
    p: &Parsed,
    chain: &[(usize, usize, usize)],
    n: u32,
    mut sets: Vec<ArcSet>,
) -> ArcCheck {
    let mut detail = None;
    // The latest ARC-Message-Signature.
    if let Some((_, idx, ams)) = p.ams.iter().find(|a| a.0 == n) {
        let keys = arc_keys(ctx, &ams.s, &ams.d);
        let l = (ams.l > 0).then_some(ams.l);
        let c = ctx.crypto(
            vi,
            *idx,
            &ams.h,
            canon_of(ams.ch),
            canon_of(ams.cb),
            ams.a,
            &ams.bh,
            &ams.b,
            l,
            &keys,
            None,
        );
        let valid = c
            .as_ref()
            .map(|c| c.header_valid == Some(true) && c.body_valid);
        if let Some(set) = sets.last_mut() {
            set.message_signature_valid = valid;
        }
        if valid != Some(true) {
            detail = Some(match c {
                Some(c) if c.header_valid.is_none() => {
                    format!("no key for ARC-Message-Signature i={n}")
                }
                Some(c) if !c.body_valid => format!("ARC-Message-Signature i={n}: body hash"),
                _ => format!("ARC-Message-Signature i={n}: signature"),
            });
        }
    }
    // Every seal, from the latest down.
    for (pos, (i, idx, seal)) in p.seals.iter().enumerate().rev() {
        let _ = pos;
        let upto: Vec<(usize, usize, usize)> = chain
            .iter()
            .take(usize::try_from(*i).unwrap_or(0))
            .copied()
            .collect();
        let prefix = move |h: &Headers<'_>, out: &mut Vec<u8>| {
            let last = upto.len().saturating_sub(1);
            for (j, (a, m, s)) in upto.iter().enumerate() {
                for (k, idx) in [a, m, s].into_iter().enumerate() {
                    if j == last && k == 2 {
                        continue; // the seal being checked goes last, without b=
                    }
                    if let Some(f) = h.field(*idx) {
                        canon::canonical_field(out, Canon::Relaxed, &f);
                    }
                }
            }
        };
        let keys = arc_keys(ctx, &seal.s, &seal.d);
        let c = ctx.crypto(
            vi,
            *idx,
            &[],
            Canon::Relaxed,
            Canon::Relaxed,
            seal.a,
            &[],
            &seal.b,
            None,
            &keys,
            Some(&prefix),
        );
        let valid = c.and_then(|c| c.header_valid);
        if let Some(set) = sets.iter_mut().find(|s| s.i == *i) {
            set.seal_valid = valid;
        }
        if valid != Some(true) && detail.is_none() {
            detail = Some(if valid.is_none() {
                format!("no key for ARC-Seal i={i}")
            } else {
                format!("ARC-Seal i={i}: signature")
            });
        }
    }
    let result = if detail.is_none() {
        ArcResult::Pass
    } else {
        ArcResult::Fail
    };
    if result == ArcResult::Pass {
        for (set, (a, _, _)) in sets.iter_mut().zip(chain) {
            set.authentication_results = ctx.headers.field(*a).map(|f| SealedResults {
                value: f.value().into_owned(),
                span: f.span(),
            });
        }
    }
    ArcCheck {
        result,
        instances: n,
        sets,
        detail,
        repair: None,
    }
}

/// Keys usable for ARC: RFC 8617 section 5.1 (by reference to RFC 8301) refuses RSA keys under
/// 1024 bits.
fn arc_keys(ctx: &Context<'_>, s: &str, d: &str) -> Vec<KeyRecord> {
    ctx.keys
        .get(&format!("{s}._domainkey.{d}"))
        .iter()
        .filter(|k| k.bits().is_none_or(|b| b >= 1024))
        .cloned()
        .collect()
}
