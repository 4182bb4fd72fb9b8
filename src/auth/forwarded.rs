//! Messages forwarded inside a message as `message/rfc822` parts: each is a message of its
//! own, often signed, and is verified on its own.
//!
//! The walk goes through `multipart/*` bodies (at most `MAX_MIME_DEPTH` levels and
//! `MAX_MIME_PARTS` parts per message) to every `message/rfc822` part; the forwarded
//! message's bytes are the part's body, decoded when the part has a `base64` or
//! `quoted-printable` transfer encoding. Forwarded messages inside forwarded messages are
//! verified down to `MAX_FORWARD_DEPTH`, and at most `MAX_FORWARDED` per outer message
//! (src/auth/limits.rs).

use super::limits::{MAX_FORWARDED, MAX_MIME_DEPTH, MAX_MIME_PARTS};
use crate::fields::mime::boundary_param;
use crate::read::headers::Headers;
use crate::span::Span;

/// A `message/rfc822` part found in a message: where its body is, and its bytes.
pub(crate) struct Found {
    /// The part's body as stored, relative to the walked message's first byte.
    pub(crate) body: std::ops::Range<usize>,
    /// The transfer encoding that was undone (`base64`, `quoted-printable`), if any.
    pub(crate) decoded_from: Option<String>,
    /// The forwarded message's bytes (decoded when `decoded_from` is set).
    pub(crate) bytes: Vec<u8>,
}

/// The `message/rfc822` parts of the message indexed by `headers`, in order, at most
/// `MAX_FORWARDED`.
pub(crate) fn find(headers: &Headers<'_>) -> Vec<Found> {
    let mut out = Vec::new();
    let mut parts = 0usize;
    walk(headers, 0, 0, &mut parts, &mut out);
    out
}

/// Walk the entity indexed by `headers`, which starts at `start` in the walked message.
fn walk(
    headers: &Headers<'_>,
    start: usize,
    depth: usize,
    parts: &mut usize,
    out: &mut Vec<Found>,
) {
    if out.len() >= MAX_FORWARDED || depth > MAX_MIME_DEPTH {
        return;
    }
    let entity = headers.bytes();
    let Some(ct) = headers.get("Content-Type") else {
        return;
    };
    let raw = ct.raw_value();
    let mime = String::from_utf8_lossy(raw)
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    let body_start = headers.body_start();
    // The outer message itself is not forwarded; its parts may be.
    if mime == "message/rfc822" && depth > 0 {
        let cte = headers
            .get("Content-Transfer-Encoding")
            .map(|f| f.value().trim().to_ascii_lowercase());
        let body = entity.get(body_start..).unwrap_or_default();
        let decoded = match cte.as_deref() {
            Some("base64") => {
                super::domainkeys::base64_decode(&String::from_utf8_lossy(body)).map(|d| (d, cte))
            }
            Some("quoted-printable") => Some((decode_qp(body), cte)),
            _ => Some((body.to_vec(), None)),
        };
        if let Some((bytes, decoded_from)) = decoded {
            out.push(Found {
                body: start + body_start..start + entity.len(),
                decoded_from,
                bytes,
            });
        }
        return;
    }
    if !mime.starts_with("multipart/") {
        return;
    }
    let Some((boundary, _)) = boundary_param(raw) else {
        return;
    };
    for (s, e) in crate::read::multipart::parts(entity, body_start, boundary, MAX_MIME_PARTS) {
        *parts += 1;
        if *parts > MAX_MIME_PARTS || out.len() >= MAX_FORWARDED {
            return;
        }
        let Some(part) = entity.get(s..e) else {
            continue;
        };
        let h = Headers::parse(part, headers.offset() + s as u64);
        walk(&h, start + s, depth + 1, parts, out);
    }
}

/// Quoted-printable decoded (RFC 2045 section 6.7): `=XX` bytes, soft line breaks removed.
fn decode_qp(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len());
    let mut k = 0;
    while let Some(&c) = body.get(k) {
        if c == b'=' {
            match (body.get(k + 1), body.get(k + 2)) {
                (Some(b'\r'), Some(b'\n')) => {
                    k += 3;
                    continue;
                }
                (Some(b'\n'), _) => {
                    k += 2;
                    continue;
                }
                (Some(&a), Some(&b)) => {
                    let hex = |x: u8| (x as char).to_digit(16);
                    if let (Some(a), Some(b)) = (hex(a), hex(b)) {
                        out.push((a * 16 + b) as u8);
                        k += 3;
                        continue;
                    }
                }
                _ => {}
            }
        }
        out.push(c);
        k += 1;
    }
    out
}

/// The span of a found part's body in the source of a message starting at `offset`.
pub(crate) fn span_of(found: &Found, offset: u64) -> Span {
    Span::from_relative(offset, found.body.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qp_decoding() {
        assert_eq!(decode_qp(b"a=3Db=\r\nc=\nd =ZZ"), b"a=bcd =ZZ");
    }
}
