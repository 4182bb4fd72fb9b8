//! Messages forwarded as `message/rfc822` parts are verified on their own, with spans in the
//! outer file (or in the decoded bytes of a base64 part, said so), within a bounded depth.
//! The forwarded message is a DomainKeys vector signed by Mail::DKIM (tests/maildkim).

use std::path::Path;

use mailsleuth::Timestamp;
use mailsleuth::auth::{AsOf, DkimResult, KeyStore, Scheme, Verifier};

fn data(name: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/maildkim/domainkeys")
            .join(name),
    )
    .unwrap()
}

fn keys() -> KeyStore {
    KeyStore::from_file(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/maildkim/domainkeys/keys.keymap"),
    )
    .unwrap()
}

fn base64(data: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for (k, chunk) in data.chunks(3).enumerate() {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(A[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
        if k % 19 == 18 {
            out.push_str("\r\n");
        }
    }
    out
}

/// An outer message forwarding `parts` (content, transfer encoding).
fn outer(parts: &[(&[u8], Option<&str>)]) -> Vec<u8> {
    outer_with(parts, "outer")
}

/// [`outer`] with the MIME boundary `b`.
fn outer_with(parts: &[(&[u8], Option<&str>)], b: &str) -> Vec<u8> {
    let m = outer_raw(parts);
    String::from_utf8(m)
        .unwrap()
        .replace("outer", b)
        .into_bytes()
}

fn outer_raw(parts: &[(&[u8], Option<&str>)]) -> Vec<u8> {
    let mut m = b"From: bob@example.net\r\nTo: carol@example.net\r\nSubject: Fwd: numbers\r\nDate: Tue, 7 Jan 2020 10:00:00 +0000\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"outer\"\r\n\r\nSee below.\r\n--outer\r\nContent-Type: text/plain\r\n\r\nForwarding.\r\n".to_vec();
    for (content, cte) in parts {
        m.extend_from_slice(b"--outer\r\nContent-Type: message/rfc822\r\n");
        match cte {
            Some("base64") => {
                m.extend_from_slice(b"Content-Transfer-Encoding: base64\r\n\r\n");
                m.extend_from_slice(base64(content).as_bytes());
                m.extend_from_slice(b"\r\n");
            }
            _ => {
                m.extend_from_slice(b"\r\n");
                m.extend_from_slice(content);
            }
        }
    }
    m.extend_from_slice(b"--outer--\r\n");
    m
}

fn verifier(keys: &KeyStore) -> Verifier<'_> {
    Verifier::new(keys).as_of(AsOf::Fixed(Timestamp::from_unix(1_578_304_800)))
}

#[test]
fn forwarded_parts_are_verified_with_spans_in_the_outer_file() {
    let keys = keys();
    let good = data("nofws_h.eml");
    let bad = data("nofws_h-body.eml");
    let msg = outer(&[(&good, None), (&good, Some("base64")), (&bad, None)]);
    let base = 1000;
    let report = verifier(&keys).verify(&msg, base, None);
    assert!(report.dkim.is_empty(), "the outer message is not signed");
    assert_eq!(report.forwarded.len(), 3);

    let plain = &report.forwarded[0];
    assert_eq!(plain.depth, 1);
    assert_eq!(plain.transfer_encoding, None);
    assert_eq!(plain.dkim.len(), 1);
    assert_eq!(plain.dkim[0].scheme, Scheme::DomainKeys);
    assert_eq!(plain.dkim[0].result, DkimResult::Pass);
    // Spans point into the outer file: the signature field is there.
    let s = plain.dkim[0].span;
    let at = (s.start - base) as usize..(s.end - base) as usize;
    assert!(msg[at].starts_with(b"DomainKey-Signature:"));
    let part = plain.span;
    assert_eq!(
        &msg[(part.start - base) as usize..(part.end - base) as usize],
        &good[..good.len() - 2]
    );

    let encoded = &report.forwarded[1];
    assert_eq!(encoded.transfer_encoding.as_deref(), Some("base64"));
    assert_eq!(encoded.dkim[0].result, DkimResult::Pass);
    // Spans are offsets in the decoded bytes, which come from the part's span.
    let s = encoded.dkim[0].span;
    assert!(good[s.start as usize..s.end as usize].starts_with(b"DomainKey-Signature:"));
    let stored = &msg[(encoded.span.start - base) as usize..(encoded.span.end - base) as usize];
    assert!(stored.starts_with(&base64(&good).as_bytes()[..40]));

    assert_eq!(
        report.forwarded[2].dkim[0].result,
        DkimResult::HeadersModified
    );
}

#[test]
fn forwarding_depth_and_count_are_bounded() {
    let keys = keys();
    // Five levels of forwarding around the signed message: three are verified.
    let mut msg = data("simple_h.eml");
    for k in 0..5 {
        msg = outer_with(&[(&msg, None)], &format!("level{k}"));
    }
    let report = verifier(&keys).verify(&msg, 0, None);
    let mut depth = 0;
    let mut level = &report.forwarded;
    while let Some(f) = level.first() {
        depth += 1;
        assert_eq!(f.depth, depth);
        level = &f.forwarded;
    }
    assert_eq!(depth, 3);

    // Twenty forwarded parts: eight are verified.
    let good = data("simple_h.eml");
    let parts: Vec<(&[u8], Option<&str>)> = (0..20).map(|_| (&good[..], None)).collect();
    let report = verifier(&keys).verify(&outer(&parts), 0, None);
    assert_eq!(report.forwarded.len(), 8);
    assert!(
        report
            .forwarded
            .iter()
            .all(|f| f.dkim[0].result == DkimResult::Pass)
    );
}
