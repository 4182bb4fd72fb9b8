//! ARC chain verification (RFC 8617 section 5.2), offline, with the same key store.

use mail_auth::arc::{ChainValidation as Cv, Results, Seal, Signature};
use mail_auth::common::crypto::Algorithm;

use super::canon::Canon;
use super::dkim::{BodySpec, Context, Signed, body_not_computed_note, canon_of, usable_keys};
use super::keys::{KeyRecord, KeyStore};
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

/// Refuse an `i=` written as a number too large for an instance number, which mail-auth's
/// parser would wrap (`i=4294967297` read as `i=1`).
fn instance_in_range(raw: &[u8]) -> Result<(), String> {
    let text = String::from_utf8_lossy(raw);
    let Some((_, v)) = tags::tags(&text).find(|(n, _)| *n == "i") else {
        return Ok(());
    };
    let digits: String = v.chars().filter(|c| !c.is_whitespace()).collect();
    if !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
        && digits.parse::<u32>().is_err()
    {
        return Err(format!("i={digits} is out of range"));
    }
    Ok(())
}

fn parse(headers: &Headers<'_>) -> Result<Parsed, String> {
    let mut p = Parsed {
        aar: Vec::new(),
        ams: Vec::new(),
        seals: Vec::new(),
    };
    for f in headers.iter() {
        let raw = f.raw_value();
        let arc = [
            "ARC-Authentication-Results",
            "ARC-Message-Signature",
            "ARC-Seal",
        ]
        .into_iter()
        .find(|n| f.is_named(n));
        if let Some(name) = arc {
            instance_in_range(raw).map_err(|e| format!("{name}: {e}"))?;
        }
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
    // The headers of each instance 1..=n, grouped in one pass over each list.
    let slots = usize::try_from(n.max(1)).unwrap_or(0);
    let mut aar_by: Vec<Vec<&(u32, usize)>> = vec![Vec::new(); slots];
    let mut ams_by: Vec<Vec<&(u32, usize, Signature)>> = vec![Vec::new(); slots];
    let mut seal_by: Vec<Vec<&(u32, usize, Seal)>> = vec![Vec::new(); slots];
    let slot = |i: u32| usize::try_from(i).ok().and_then(|i| i.checked_sub(1));
    for a in &p.aar {
        if let Some(v) = slot(a.0).and_then(|k| aar_by.get_mut(k)) {
            v.push(a);
        }
    }
    for a in &p.ams {
        if let Some(v) = slot(a.0).and_then(|k| ams_by.get_mut(k)) {
            v.push(a);
        }
    }
    for a in &p.seals {
        if let Some(v) = slot(a.0).and_then(|k| seal_by.get_mut(k)) {
            v.push(a);
        }
    }
    for i in 1..=n.max(1) {
        let k = slot(i).unwrap_or(0);
        let none = Vec::new();
        let aar = aar_by.get(k).unwrap_or(&none);
        let ams = ams_by.get(k).map_or(&[][..], Vec::as_slice);
        let seal = seal_by.get(k).map_or(&[][..], Vec::as_slice);
        let (&[a], &[m], &[s]) = (aar.as_slice(), ams, seal) else {
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
    for (_, _, s) in &p.seals {
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
        let keys = arc_keys(ctx, &ams.s, &ams.d, ams.a);
        let l = (ams.l > 0).then_some(ams.l);
        let signed = Signed {
            index: *idx,
            h: &ams.h,
            ch: canon_of(ams.ch),
            a: ams.a,
            b: &ams.b,
            body: Some(BodySpec {
                cb: canon_of(ams.cb),
                bh: &ams.bh,
                l,
            }),
            keys: &keys,
            prefix: None,
        };
        let c = ctx.crypto(vi, &signed);
        let valid = c
            .as_ref()
            .map(|c| c.header_valid == Some(true) && c.body_valid == Some(true));
        if let Some(set) = sets.last_mut() {
            set.message_signature_valid = valid;
        }
        if valid != Some(true) {
            detail = Some(match c {
                Some(c) if c.header_valid.is_none() => {
                    format!("no key for ARC-Message-Signature i={n}")
                }
                Some(c) if c.body_valid.is_none() => {
                    format!("ARC-Message-Signature i={n}: {}", body_not_computed_note())
                }
                Some(c) if c.body_valid != Some(true) => {
                    format!("ARC-Message-Signature i={n}: body hash")
                }
                _ => format!("ARC-Message-Signature i={n}: signature"),
            });
        }
    }
    // Every seal, from the latest down.
    for (i, idx, seal) in p.seals.iter().rev() {
        // The sets up to this one, the seal being checked left out: it goes last, without b=.
        let mut prefix: Vec<usize> = chain
            .iter()
            .take(usize::try_from(*i).unwrap_or(0))
            .flat_map(|&(a, m, s)| [a, m, s])
            .collect();
        prefix.pop();
        let keys = arc_keys(ctx, &seal.s, &seal.d, seal.a);
        let signed = Signed {
            index: *idx,
            h: &[],
            ch: Canon::Relaxed,
            a: seal.a,
            b: &seal.b,
            body: None,
            keys: &keys,
            prefix: Some(&prefix),
        };
        let c = ctx.crypto(vi, &signed);
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
/// 1024 bits. At most [`MAX_KEYS_PER_NAME`](super::limits::MAX_KEYS_PER_NAME) are tried.
fn arc_keys<'k>(ctx: &Context<'k>, s: &str, d: &str, a: Algorithm) -> Vec<(usize, &'k KeyRecord)> {
    let store: &'k KeyStore = ctx.keys;
    let all = store.get(&format!("{s}._domainkey.{d}"));
    usable_keys(all, a, |k| k.bits().is_none_or(|b| b >= 1024)).0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::{KeyStore, Verifier};

    fn chain(i: &str) -> Vec<u8> {
        format!(
            "ARC-Seal: i={i}; a=rsa-sha256; cv=none; d=x.org; s=y; b=AAAA\r\n\
             ARC-Message-Signature: i={i}; a=rsa-sha256; c=relaxed/relaxed; d=x.org; s=y; h=from; bh=AAAA; b=AAAA\r\n\
             ARC-Authentication-Results: i={i}; x.org; dkim=pass\r\n\
             From: a@x.org\r\n\r\nbody\r\n"
        )
        .into_bytes()
    }

    /// An instance number too large for `u32` is an error naming it, never read wrapped
    /// (`2^32` as 0, `2^32 + 1` as 1).
    #[test]
    fn out_of_range_instances_are_errors() {
        let ks = KeyStore::new();
        for i in ["4294967296", "4294967297", "99999999999999999999999"] {
            let arc = Verifier::new(&ks)
                .verify(&chain(i), 0, None)
                .arc
                .expect("ARC");
            assert_eq!(arc.result, ArcResult::Fail);
            let detail = arc.detail.unwrap_or_default();
            assert_eq!(detail, format!("ARC-Seal: i={i} is out of range"));
        }
        // In range, the chain is read (and fails for want of a key).
        let arc = Verifier::new(&ks)
            .verify(&chain("1"), 0, None)
            .arc
            .expect("ARC");
        assert_eq!(arc.instances, 1);
        assert_eq!(
            arc.detail.as_deref(),
            Some("no key for ARC-Message-Signature i=1")
        );
        assert_eq!(instance_in_range(b" i = 4294967295 ; a=x"), Ok(()));
        assert!(instance_in_range(b"i=4294967296").is_err());
        assert_eq!(instance_in_range(b"i=x"), Ok(()));
    }
}
