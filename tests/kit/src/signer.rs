//! A small deterministic DKIM signer (RFC 6376, RFC 8463) for the dump generators
//! (`examples/make_sample.rs`, `examples/gen_dump.rs`), and the standard base64 the tests
//! encode with.
//!
//! mail-auth's signer stamps `t=` with the wall clock, so the sample could not be rebuilt
//! byte for byte. This one takes `t=` and `x=` as arguments. It covers what the generators
//! need: `simple` and `relaxed` canonicalization of header and body (RFC 6376 section 3.4),
//! SHA-256, RSA PKCS#1 v1.5 and Ed25519 (PureEdDSA over the SHA-256 hash, RFC 8463), `l=`.
//! It signs test data with the project's own keys: a key or a message it cannot handle is a
//! panic, not an error.

use ed25519_dalek::Signer as _;
use rsa::pkcs8::{DecodePrivateKey, EncodePublicKey};
use sha2::{Digest, Sha256};

/// A private signing key.
pub enum PrivateKey {
    /// An RSA key (signatures `rsa-sha256`).
    Rsa(Box<rsa::RsaPrivateKey>),
    /// An Ed25519 key (signatures `ed25519-sha256`, RFC 8463).
    Ed25519(Box<ed25519_dalek::SigningKey>),
}

impl PrivateKey {
    /// Read a PKCS#8 PEM file as written by `openssl genpkey`.
    pub fn from_pem(pem: &str) -> Result<PrivateKey, String> {
        if let Ok(k) = rsa::RsaPrivateKey::from_pkcs8_pem(pem) {
            return Ok(PrivateKey::Rsa(Box::new(k)));
        }
        // Ed25519 PKCS#8 (RFC 8410): a fixed 16-byte prefix, then the 32-byte seed.
        let b64: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
        let der = base64_decode(&b64).ok_or("bad base64 in PEM")?;
        const PREFIX: [u8; 16] = [
            0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22,
            0x04, 0x20,
        ];
        if der.len() == 48 && der[..16] == PREFIX {
            let mut seed = [0u8; 32];
            seed.copy_from_slice(&der[16..]);
            return Ok(PrivateKey::Ed25519(Box::new(
                ed25519_dalek::SigningKey::from_bytes(&seed),
            )));
        }
        Err("neither an RSA nor an Ed25519 PKCS#8 key".into())
    }

    /// `a=` of signatures made with this key.
    pub fn algorithm(&self) -> &'static str {
        match self {
            PrivateKey::Rsa(_) => "rsa-sha256",
            PrivateKey::Ed25519(_) => "ed25519-sha256",
        }
    }

    /// The DNS TXT record of the public half (`v=DKIM1; k=...; p=...`), before any flags.
    pub fn public_record(&self, flags: &str) -> String {
        let (k, p) = match self {
            PrivateKey::Rsa(k) => (
                "rsa",
                k.to_public_key()
                    .to_public_key_der()
                    .expect("encode RSA public key")
                    .as_bytes()
                    .to_vec(),
            ),
            PrivateKey::Ed25519(k) => ("ed25519", k.verifying_key().to_bytes().to_vec()),
        };
        format!("v=DKIM1; k={k}; {flags}p={}", base64_encode(&p))
    }

    fn sign_hash(&self, hash: &[u8]) -> Vec<u8> {
        match self {
            PrivateKey::Rsa(k) => {
                // DigestInfo of SHA-256 (RFC 8017 section 9.2), then PKCS#1 v1.5 padding.
                let mut info = vec![
                    0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04,
                    0x02, 0x01, 0x05, 0x00, 0x04, 0x20,
                ];
                info.extend_from_slice(hash);
                k.sign(rsa::Pkcs1v15Sign::new_unprefixed(), &info)
                    .expect("RSA signing")
            }
            PrivateKey::Ed25519(k) => k.sign(hash).to_bytes().to_vec(),
        }
    }
}

/// A canonicalization algorithm.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Canon {
    /// `simple` (RFC 6376 sections 3.4.1 and 3.4.3).
    Simple,
    /// `relaxed` (RFC 6376 sections 3.4.2 and 3.4.4).
    Relaxed,
}

impl Canon {
    /// The name as written in `c=`.
    pub fn name(self) -> &'static str {
        match self {
            Canon::Simple => "simple",
            Canon::Relaxed => "relaxed",
        }
    }
}

/// What to sign, and how.
pub struct Spec<'a> {
    /// `d=`.
    pub domain: &'a str,
    /// `s=`.
    pub selector: &'a str,
    /// The key that signs (its kind gives `a=`).
    pub key: &'a PrivateKey,
    /// Header canonicalization (first half of `c=`).
    pub header_canon: Canon,
    /// Body canonicalization (second half of `c=`).
    pub body_canon: Canon,
    /// Header names for `h=`, in order; names absent from the message are still listed
    /// (they then sign the absence of the header).
    pub headers: &'a [&'a str],
    /// `t=`, Unix seconds.
    pub time: i64,
    /// `x=`, Unix seconds.
    pub expires: Option<i64>,
    /// Add `l=` with the length of the whole canonical body.
    pub body_length: bool,
}

/// Sign a message given as header fields (name, value as stored after `Name: `, with `\n`
/// folding) and a body with `\n` line endings, as it will be stored. The signature is
/// computed over the CRLF form. Returns the `DKIM-Signature` field value, folded with `\n\t`.
pub fn sign(headers: &[(String, String)], body: &str, spec: &Spec<'_>) -> String {
    let body = canonical_body(&crlf(body), spec.body_canon);
    let bh = base64_encode(&Sha256::digest(&body));
    let mut value = format!(
        "v=1; a={}; c={}/{}; d={}; s={};\n\tt={};",
        spec.key.algorithm(),
        spec.header_canon.name(),
        spec.body_canon.name(),
        spec.domain,
        spec.selector,
        spec.time
    );
    if let Some(x) = spec.expires {
        value.push_str(&format!(" x={x};"));
    }
    if spec.body_length {
        value.push_str(&format!(" l={};", body.len()));
    }
    value.push_str(&format!(
        "\n\th={};\n\tbh={bh};\n\tb=",
        spec.headers.join(":")
    ));
    // Header hash input: the h= fields, each name taking the bottom-most unused instance.
    let mut data = Vec::new();
    let mut used = vec![false; headers.len()];
    for name in spec.headers {
        let found = (0..headers.len())
            .rev()
            .find(|&i| !used[i] && headers[i].0.eq_ignore_ascii_case(name));
        if let Some(i) = found {
            used[i] = true;
            data.extend(canonical_header(
                &headers[i].0,
                &headers[i].1,
                spec.header_canon,
            ));
        }
    }
    let mut own = canonical_header("DKIM-Signature", &value, spec.header_canon);
    own.truncate(own.len() - 2); // no CRLF after the signature's own field
    data.extend(own);
    let hash = Sha256::digest(&data);
    value.push_str(&base64_encode(&spec.key.sign_hash(&hash)));
    value
}

/// `\n` to `\r\n`.
pub fn crlf(s: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len() + s.len() / 16);
    for b in s.bytes() {
        if b == b'\n' {
            out.push(b'\r');
        }
        out.push(b);
    }
    out
}

/// One header field canonicalized, with its CRLF.
pub fn canonical_header(name: &str, value: &str, canon: Canon) -> Vec<u8> {
    match canon {
        Canon::Simple => {
            let mut out = crlf(&format!("{name}: {value}"));
            out.extend_from_slice(b"\r\n");
            out
        }
        Canon::Relaxed => {
            let unfolded: String = value.chars().filter(|&c| c != '\r' && c != '\n').collect();
            let mut v = String::new();
            let mut space = false;
            for c in unfolded.chars() {
                if c == ' ' || c == '\t' {
                    space = true;
                } else {
                    if space && !v.is_empty() {
                        v.push(' ');
                    }
                    space = false;
                    v.push(c);
                }
            }
            format!("{}:{v}\r\n", name.to_ascii_lowercase()).into_bytes()
        }
    }
}

/// A CRLF body canonicalized (RFC 6376 sections 3.4.3 and 3.4.4).
pub fn canonical_body(body: &[u8], canon: Canon) -> Vec<u8> {
    let mut lines: Vec<Vec<u8>> = Vec::new();
    let mut rest = body;
    while !rest.is_empty() {
        let end = rest.windows(2).position(|w| w == b"\r\n");
        let (line, next) = match end {
            Some(e) => (&rest[..e], &rest[e + 2..]),
            None => (rest, &rest[rest.len()..]),
        };
        lines.push(match canon {
            Canon::Simple => line.to_vec(),
            Canon::Relaxed => {
                let mut l = Vec::new();
                let mut space = false;
                for &b in line {
                    if b == b' ' || b == b'\t' {
                        space = true;
                    } else {
                        if space {
                            l.push(b' ');
                        }
                        space = false;
                        l.push(b);
                    }
                }
                l
            }
        });
        rest = next;
    }
    while lines.last().is_some_and(|l| l.is_empty()) {
        lines.pop();
    }
    if lines.is_empty() {
        return match canon {
            Canon::Simple => b"\r\n".to_vec(),
            Canon::Relaxed => Vec::new(),
        };
    }
    let mut out = Vec::new();
    for l in lines {
        out.extend(l);
        out.extend_from_slice(b"\r\n");
    }
    out
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard base64 with padding.
pub fn base64_encode(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(B64[(n >> (18 - 6 * i)) as usize & 63] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Standard base64, padding optional, whitespace ignored.
pub fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let mut acc = 0u32;
    let mut bits = 0;
    for c in text.bytes() {
        if c.is_ascii_whitespace() || c == b'=' {
            continue;
        }
        let v = B64.iter().position(|&x| x == c)? as u32;
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    Some(out)
}
