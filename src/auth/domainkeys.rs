//! DomainKeys (`DomainKey-Signature`, RFC 4870, historic), judged by its own rules.
//!
//! DomainKeys predates DKIM (Yahoo! 2004, Gmail until about 2010). Its one RSA-SHA1
//! signature covers the signed header fields and the body at once: there is no body hash,
//! so a check says `pass` or `headers-modified` (the signature does not verify: a signed
//! header or the body changed). What differs from DKIM:
//!
//! - Only the fields *below* the signature are signed: with `h=`, those named (in the order
//!   of `h=`, each name's copies top to bottom), without `h=`, all of them in order. The
//!   signature field itself is not hashed.
//! - Canonicalization `simple` (fields as stored) or `nofws` (every space, tab, CR and LF
//!   removed from a field, then CRLF; in the body spaces and tabs removed, and lone CRs and
//!   LFs); then the empty line, then the body, both without trailing empty lines (the empty
//!   line only when the body has a non-empty line).
//! - The signing identity is the address of the signed `Sender` field, else of the signed
//!   `From`; its domain must be `d=` or below it, and its local part must match the key's
//!   `g=` (an empty `g=` matches any, as Mail::DKIM reads RFC 4870).
//! - `q=` must be `dns` when present; `a=` is `rsa-sha1` when absent.
//!
//! Facts from RFC 4870 sections 3.3-3.5 and the behaviour of Perl Mail::DKIM (an independent
//! implementation used as the test oracle).

use mail_auth::common::crypto::{Algorithm, HashAlgorithm};

use super::dkim::{check_key_record, key_problem_note};
use super::keys::KeyStore;
use super::keys::{KeyKind, KeyRecord};
use super::limits::MAX_KEYS_PER_NAME;
use super::rsa::Opened;
use super::{DkimCheck, DkimResult, HeaderRef, Rules, Scheme, SignedHeader, SigningAlgorithm};
use crate::fields::tags::tags;
use crate::read::headers::{Field, Headers};

/// Check the `DomainKey-Signature` at header position `index`.
pub(crate) fn check(keys: &KeyStore, headers: &Headers<'_>, index: usize, as_of: i64) -> DkimCheck {
    let field = headers.field(index);
    let span = field.as_ref().map(|f| f.span()).unwrap_or_default();
    let value = field.as_ref().map(|f| f.value()).unwrap_or_default();
    let tag = |name: &str| {
        tags(&value)
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.trim())
    };
    let mut out = super::dkim::blank_check(span, as_of, tag("a").unwrap_or("rsa-sha1"));
    out.scheme = Scheme::DomainKeys;
    out.rules = Some(Rules::Rfc4870);
    out.weak_key = true;
    out.domain = tag("d").unwrap_or_default().to_string();
    out.selector = tag("s").unwrap_or_default().to_string();
    let fail = |mut out: DkimCheck, result: DkimResult, why: String| {
        out.result = result;
        out.detail = Some(why);
        out
    };
    if out.algorithm != SigningAlgorithm::RsaSha1 {
        return fail(
            out,
            DkimResult::Unsupported,
            "DomainKeys signs with rsa-sha1 only".into(),
        );
    }
    let nofws = match tag("c").map(str::to_ascii_lowercase).as_deref() {
        None | Some("") | Some("simple") => false,
        Some("nofws") => true,
        Some(c) => {
            return fail(
                out,
                DkimResult::Unsupported,
                format!("unknown canonicalization c={c}"),
            );
        }
    };
    if let Some(q) = tag("q")
        && !q.eq_ignore_ascii_case("dns")
    {
        return fail(
            out,
            DkimResult::Unsupported,
            format!("unknown query method q={q}"),
        );
    }
    if out.domain.is_empty() || out.selector.is_empty() {
        return fail(out, DkimResult::Malformed, "no d= or s= tag".into());
    }
    let b: Vec<u8> = match tag("b").map(|b| {
        let b: String = b.chars().filter(|c| !c.is_whitespace()).collect();
        base64_decode(&b)
    }) {
        Some(Some(b)) if !b.is_empty() => b,
        _ => return fail(out, DkimResult::Malformed, "no readable b= tag".into()),
    };

    // The signed fields: below the signature, by h= when present.
    let below: Vec<Field<'_>> = headers.iter().filter(|f| f.index() > index).collect();
    let h: Option<Vec<String>> = tag("h").map(|h| {
        h.split(':')
            .map(|n| n.trim().to_ascii_lowercase())
            .filter(|n| !n.is_empty())
            .collect()
    });
    let signed = select(&below, h.as_deref());
    out.signed_headers = match &h {
        Some(names) => names
            .iter()
            .map(|n| SignedHeader {
                name: n.clone(),
                span: signed.iter().find(|f| f.is_named(n)).map(|f| f.span()),
            })
            .collect(),
        None => signed
            .iter()
            .map(|f| SignedHeader {
                name: f.name_str().into_owned(),
                span: Some(f.span()),
            })
            .collect(),
    };
    for name in [
        "From",
        "To",
        "Cc",
        "Subject",
        "Date",
        "Reply-To",
        "Message-ID",
        "Content-Type",
    ] {
        let fields: Vec<_> = headers.get_all(name).collect();
        let uncovered: Vec<_> = fields
            .iter()
            .filter(|f| !signed.iter().any(|s| s.index() == f.index()))
            .collect();
        if let Some(first) = uncovered.first() {
            out.unsigned_headers.push(first.name_str().into_owned());
        }
        out.unsigned_header_fields
            .extend(uncovered.iter().map(|f| HeaderRef {
                name: f.name_str().into_owned(),
                span: f.span(),
            }));
    }

    // The signing identity: the signed Sender, else the signed From.
    let identity = ["sender", "from"].iter().find_map(|n| {
        signed
            .iter()
            .rev()
            .find(|f| f.is_named(n))
            .and_then(|f| address(&f.value()))
    });
    let Some(identity) = identity else {
        return fail(
            out,
            DkimResult::Malformed,
            "no signed Sender or From to name the signer".into(),
        );
    };
    let (local, domain) = identity.rsplit_once('@').unwrap_or(("", identity.as_str()));
    let d = out.domain.to_ascii_lowercase();
    let domain = domain.to_ascii_lowercase();
    if domain != d && !domain.ends_with(&format!(".{d}")) {
        return fail(
            out,
            DkimResult::Malformed,
            format!("the signer {identity} is not in d= {d} or below it"),
        );
    }

    // Keys.
    let name = format!("{}._domainkey.{}", out.selector, out.domain).to_ascii_lowercase();
    let all: &[KeyRecord] = keys.get(&name);
    out.keys_tried = all.len();
    if all.is_empty() {
        return fail(out, DkimResult::NoKey, format!("no key for {name}"));
    }
    let mut refused = Vec::new();
    let usable: Vec<(usize, &KeyRecord)> = all
        .iter()
        .enumerate()
        .filter(|(_, k)| k.kind() == Some(KeyKind::Rsa))
        .filter(
            |(_, k)| match check_key_record(k.record(), "sha1", Some(local), true) {
                Ok(()) => true,
                Err(why) => {
                    refused.push(why);
                    false
                }
            },
        )
        .take(MAX_KEYS_PER_NAME)
        .collect();
    if usable.is_empty() {
        if all.iter().all(KeyRecord::is_revoked) {
            return fail(
                out,
                DkimResult::KeyRevoked,
                format!("every key for {name} is revoked"),
            );
        }
        return fail(out, DkimResult::NoKey, key_problem_note(&name, &refused));
    }

    // The hash: canonical signed fields, the empty line and the body.
    let mut data = Vec::with_capacity(headers.bytes().len());
    for f in &signed {
        canonical_field(&mut data, f.raw(), nofws);
    }
    canonical_body(&mut data, headers.body(), nofws);
    let digest = HashAlgorithm::from(Algorithm::RsaSha1).hash(data.as_slice());
    let digest = digest.as_ref();
    let mut valid = false;
    let mut used = None;
    for &(ki, rec) in &usable {
        let Some(rsa) = rec.public().and_then(|p| p.rsa.as_ref()) else {
            continue;
        };
        if used.is_none() {
            used = Some(ki);
        }
        if Opened::open(rsa, &b).matches(Algorithm::RsaSha1, digest) {
            valid = true;
            used = Some(ki);
            break;
        }
    }
    if let Some(rec) = used.and_then(|k| all.get(k)) {
        out.key_index = used;
        out.key_bits = rec.bits();
        out.key_source = Some(rec.provenance().to_string());
        out.testing = rec.is_testing();
        if !rec.annotations().is_empty() {
            out.key_annotations = Some(rec.annotations().clone());
        }
        out.key_in_use_as_of = rec.annotations().covers(as_of);
    }
    let bare_lf = headers
        .bytes()
        .windows(2)
        .any(|w| w[1] == b'\n' && w[0] != b'\r')
        || headers.bytes().first() == Some(&b'\n');
    if valid && bare_lf {
        out.repair = Some(super::Repair {
            crlf: true,
            ..super::Repair::default()
        });
    }
    out.header_signature_valid = Some(valid);
    out.result = if valid {
        DkimResult::Pass
    } else {
        DkimResult::HeadersModified
    };
    if !valid {
        out.detail =
            Some("the signature over the signed headers and the body does not verify".into());
    }
    out
}

/// The fields of `below` that `h` selects, in the order of `h` (each name's copies top to
/// bottom; a name listed twice takes its copies one by one from the bottom, the first
/// listing the rest), or all of them without `h=`.
fn select<'a>(below: &[Field<'a>], h: Option<&[String]>) -> Vec<Field<'a>> {
    let Some(names) = h else {
        return below.to_vec();
    };
    let mut pools: Vec<(String, Vec<Field<'a>>)> = Vec::new();
    for n in names {
        if !pools.iter().any(|(p, _)| p == n) {
            let copies = below.iter().filter(|f| f.is_named(n)).cloned().collect();
            pools.push((n.clone(), copies));
        }
    }
    let mut remaining: Vec<(String, usize)> = Vec::new();
    for n in names {
        match remaining.iter_mut().find(|(p, _)| p == n) {
            Some((_, c)) => *c += 1,
            None => remaining.push((n.clone(), 1)),
        }
    }
    let mut out: Vec<Vec<Field<'a>>> = Vec::new();
    for n in names.iter().rev() {
        let Some((_, count)) = remaining.iter_mut().find(|(p, _)| p == n) else {
            continue;
        };
        *count -= 1;
        let Some((_, pool)) = pools.iter_mut().find(|(p, _)| p == n) else {
            continue;
        };
        if *count > 0 {
            out.push(pool.pop().into_iter().collect());
        } else {
            out.push(std::mem::take(pool));
        }
    }
    out.into_iter().rev().flatten().collect()
}

/// The address of a `From` or `Sender` value: inside the last `<...>`, else the value
/// (its first mailbox, comments dropped).
fn address(value: &str) -> Option<String> {
    let inner = match (value.rfind('<'), value.rfind('>')) {
        (Some(a), Some(b)) if a < b => value.get(a + 1..b)?,
        _ => {
            let first = value.split(',').next()?;
            first.split('(').next()?
        }
    };
    let addr = inner.trim();
    (addr.contains('@') && !addr.is_empty()).then(|| addr.to_string())
}

/// One field, canonical: as stored with a CRLF end (`simple`), or without any space, tab,
/// CR or LF, then CRLF (`nofws`).
fn canonical_field(out: &mut Vec<u8>, raw: &[u8], nofws: bool) {
    let body = raw
        .strip_suffix(b"\r\n")
        .or_else(|| raw.strip_suffix(b"\n"))
        .unwrap_or(raw);
    if nofws {
        out.extend(
            body.iter()
                .filter(|b| !matches!(b, b' ' | b'\t' | b'\r' | b'\n')),
        );
    } else {
        // Folded lines keep their breaks, as CRLF.
        let mut prev = 0u8;
        for &b in body {
            if b == b'\n' && prev != b'\r' {
                out.push(b'\r');
            }
            out.push(b);
            prev = b;
        }
    }
    out.extend_from_slice(b"\r\n");
}

/// The empty line and the body, canonical, without trailing empty lines; nothing when the
/// body has no non-empty line.
fn canonical_body(out: &mut Vec<u8>, body: &[u8], nofws: bool) {
    let mut lines: Vec<Vec<u8>> = Vec::new();
    for line in body.split(|&b| b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let line: Vec<u8> = if nofws {
            line.iter()
                .copied()
                .filter(|b| !matches!(b, b' ' | b'\t' | b'\r'))
                .collect()
        } else {
            line.to_vec()
        };
        lines.push(line);
    }
    // The split leaves an empty piece after a final line end; a body without one keeps its
    // last line as is.
    while lines.last().is_some_and(Vec::is_empty) {
        lines.pop();
    }
    if lines.is_empty() {
        return;
    }
    out.extend_from_slice(b"\r\n");
    for line in lines {
        out.extend_from_slice(&line);
        out.extend_from_slice(b"\r\n");
    }
}

/// Base64 decoded, white space (line breaks of MIME) skipped, up to the first `=`; `None` on
/// any other byte outside the alphabet.
pub(crate) fn base64_decode(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in s.bytes() {
        if c.is_ascii_whitespace() {
            continue;
        }
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' => break,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canon(body: &str, nofws: bool) -> String {
        let mut out = Vec::new();
        canonical_body(&mut out, body.as_bytes(), nofws);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn body_canonicalization() {
        assert_eq!(canon("a b\r\n\r\n\r\n", false), "\r\na b\r\n");
        assert_eq!(canon("\r\na b \r\n \r\n", true), "\r\n\r\nab\r\n");
        assert_eq!(canon("\r\n\r\n", false), "");
        assert_eq!(canon("", true), "");
        assert_eq!(canon("x", false), "\r\nx\r\n");
    }

    #[test]
    fn field_canonicalization() {
        let mut out = Vec::new();
        canonical_field(&mut out, b"Subject:  a  b\r\n c\r\n", true);
        assert_eq!(out, b"Subject:abc\r\n");
        out.clear();
        canonical_field(&mut out, b"Subject:  a\n c\n", false);
        assert_eq!(out, b"Subject:  a\r\n c\r\n");
    }

    #[test]
    fn addresses() {
        assert_eq!(
            address("Jane <jane@example.org>").as_deref(),
            Some("jane@example.org")
        );
        assert_eq!(
            address(" jane@example.org (Jane)").as_deref(),
            Some("jane@example.org")
        );
        assert_eq!(address("undisclosed"), None);
    }
}
