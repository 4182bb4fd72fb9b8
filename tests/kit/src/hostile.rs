//! Generators of the hostile inputs of issue 10: one function per row of its table, each
//! taking the size that the attack grows with. `tests/hostile.rs` builds them small and
//! asserts that work and output grow linearly; `benches/hostile.sh` (through
//! `examples/gen_hostile.rs`) builds them at the sizes and measures the scan example.
//!
//! Every input is an mbox (bytes) plus, where the row needs one, a key archive in the keymap
//! format (`<name> <TXT value>` lines).

use crate::signer::base64_encode;

/// One hostile input: the dump and the key archive it is scanned with (empty: none).
pub struct Hostile {
    /// The mbox (or, for [`zip_input`], the zip file).
    pub dump: Vec<u8>,
    /// Keymap lines; empty when the row needs no key.
    pub keymap: String,
}

impl Hostile {
    fn dump(dump: Vec<u8>) -> Hostile {
        Hostile {
            dump,
            keymap: String::new(),
        }
    }
}

const FROM_LINE: &str = "From mallory@example.org Mon Jan  1 00:00:00 2024\n";

fn header_block(out: &mut Vec<u8>, id: &str) {
    out.extend_from_slice(FROM_LINE.as_bytes());
    out.extend_from_slice(
        format!(
            "From: Mallory <mallory@example.org>\nTo: a@example.net\nSubject: hostile\n\
             Date: Mon, 1 Jan 2024 00:00:00 +0000\nMessage-ID: <{id}@example.org>\n"
        )
        .as_bytes(),
    );
}

/// Base64 in lines of 76 characters.
fn base64_lines(data: &[u8]) -> String {
    let text = base64_encode(data);
    let mut out = String::with_capacity(text.len() + text.len() / 76 + 1);
    for chunk in text.as_bytes().chunks(76) {
        out.push_str(std::str::from_utf8(chunk).unwrap_or(""));
        out.push('\n');
    }
    out
}

/// A message with one attachment of these bytes, base64-encoded.
fn with_attachment(name: &str, data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() * 4 / 3 + 1024);
    header_block(&mut out, "attachment");
    out.extend_from_slice(
        format!(
            "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"b\"\n\n--b\n\
             Content-Type: text/plain\n\nsee attached\n--b\nContent-Type: application/octet-stream\n\
             Content-Disposition: attachment; filename=\"{name}\"\n\
             Content-Transfer-Encoding: base64\n\n"
        )
        .as_bytes(),
    );
    out.extend_from_slice(base64_lines(data).as_bytes());
    out.extend_from_slice(b"--b--\n\n");
    out
}

/// A PDF whose XMP packet opens `depth` nested tags (the issue: 30M tags, 121 MB).
pub fn pdf_nested_xmp(depth: usize) -> Hostile {
    let mut pdf = Vec::with_capacity(depth * 3 + 256);
    pdf.extend_from_slice(b"%PDF-1.7\n1 0 obj\n<< /Type /Metadata >>\nstream\n<x:xmpmeta>");
    for _ in 0..depth {
        pdf.extend_from_slice(b"<a>");
    }
    pdf.extend_from_slice(b"</x:xmpmeta>\nendstream\nendobj\n%%EOF\n");
    Hostile::dump(with_attachment("deep.pdf", &pdf))
}

/// An OOXML document whose `docProps/core.xml` nests `depth` tags.
pub fn docx_nested_xml(depth: usize) -> Hostile {
    let mut core = Vec::with_capacity(depth * 3 + 64);
    core.extend_from_slice(b"<cp:coreProperties>");
    for _ in 0..depth {
        core.extend_from_slice(b"<a>");
    }
    let zip = crate::docx::zip_stored(&[("docProps/core.xml", &core)], 0, 0x21);
    Hostile::dump(with_attachment("deep.docx", &zip))
}

/// A zip attachment whose central directory lists `entries` empty entries (the issue: 2M
/// entries, 1.4 GB). More than 65,534 entries use the zip64 end records.
pub fn zip_many_entries(entries: usize) -> Hostile {
    Hostile::dump(with_attachment("many.docx", &zip_of_empty_entries(entries)))
}

/// A zip input (not an attachment) whose central directory lists `entries` empty entries.
pub fn zip_input(entries: usize) -> Hostile {
    Hostile::dump(zip_of_empty_entries(entries))
}

/// A zip of `n` empty STORED entries named by number, with zip64 end records when needed.
pub fn zip_of_empty_entries(n: usize) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for i in 0..n {
        let name = format!("{i:x}");
        let offset = out.len() as u32;
        out.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
        out.extend_from_slice(&[20, 0, 0, 0, 0, 0, 0, 0, 0x21, 0]);
        out.extend_from_slice(&[0; 12]); // crc, sizes
        out.extend_from_slice(&(name.len() as u16).to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        out.extend_from_slice(name.as_bytes());
        central.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
        central.extend_from_slice(&[20, 0, 20, 0, 0, 0, 0, 0, 0, 0, 0x21, 0]);
        central.extend_from_slice(&[0; 12]);
        central.extend_from_slice(&(name.len() as u16).to_le_bytes());
        central.extend_from_slice(&[0; 12]);
        central.extend_from_slice(&offset.to_le_bytes());
        central.extend_from_slice(name.as_bytes());
    }
    let cd_offset = out.len() as u64;
    out.extend_from_slice(&central);
    let count16 = u16::try_from(n).ok().filter(|&c| c < 0xffff);
    if count16.is_none() {
        let record = out.len() as u64;
        out.extend_from_slice(&0x0606_4b50u32.to_le_bytes());
        out.extend_from_slice(&44u64.to_le_bytes());
        out.extend_from_slice(&[45, 0, 45, 0]);
        out.extend_from_slice(&[0; 8]); // disk numbers
        out.extend_from_slice(&(n as u64).to_le_bytes());
        out.extend_from_slice(&(n as u64).to_le_bytes());
        out.extend_from_slice(&(central.len() as u64).to_le_bytes());
        out.extend_from_slice(&cd_offset.to_le_bytes());
        out.extend_from_slice(&0x0706_4b50u32.to_le_bytes());
        out.extend_from_slice(&0u32.to_le_bytes());
        out.extend_from_slice(&record.to_le_bytes());
        out.extend_from_slice(&1u32.to_le_bytes());
    }
    let c = count16.unwrap_or(0xffff);
    out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    out.extend_from_slice(&[0; 4]);
    out.extend_from_slice(&c.to_le_bytes());
    out.extend_from_slice(&c.to_le_bytes());
    out.extend_from_slice(
        &u32::try_from(central.len())
            .unwrap_or(u32::MAX)
            .to_le_bytes(),
    );
    out.extend_from_slice(&u32::try_from(cd_offset).unwrap_or(u32::MAX).to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out
}

/// One message of `depth` nested multiparts (the issue: 2M, 2.4 GB RSS).
pub fn nested_multipart(depth: usize) -> Hostile {
    let mut out = Vec::with_capacity(depth * 60 + 256);
    header_block(&mut out, "nested");
    out.extend_from_slice(b"MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"0\"\n\n");
    for i in 1..=depth {
        out.extend_from_slice(
            format!(
                "--{}\nContent-Type: multipart/mixed; boundary=\"{i}\"\n\n",
                i - 1
            )
            .as_bytes(),
        );
    }
    out.extend_from_slice(
        format!("--{depth}\nContent-Type: application/pdf\n\n%PDF-1.4\n").as_bytes(),
    );
    out.push(b'\n');
    Hostile::dump(out)
}

/// A DKIM-Signature header field (no key needed: the body hash or the key lookup fails).
fn signature(tags: &str) -> String {
    format!(
        "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; {tags}; bh=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=; b=AAAA\n"
    )
}

/// `n` signatures, each signing `h=from:to`, over `n` `To:` fields (the issue: 2,000; 4 GB
/// RSS, a 150 MB JSON line).
pub fn signatures_over_to(n: usize) -> Hostile {
    let mut out = Vec::new();
    out.extend_from_slice(FROM_LINE.as_bytes());
    for i in 0..n {
        out.extend_from_slice(signature(&format!("d=example.org; s=s{i}; h=from:to")).as_bytes());
    }
    for i in 0..n {
        out.extend_from_slice(format!("To: r{i}@example.net\n").as_bytes());
    }
    out.extend_from_slice(
        b"From: m@example.org\nSubject: to\nMessage-ID: <to@example.org>\n\nbody\n\n",
    );
    Hostile::dump(out)
}

/// One signature with `n` tags (the issue: 300,000; 113 s). The ARC counterpart in the same
/// message: an ARC-Seal with `n` tags.
pub fn many_tags(n: usize) -> Hostile {
    let mut tags = String::from("d=example.org; s=s; h=from");
    let mut arc = String::from("i=1; a=rsa-sha256; cv=none; d=example.org; s=s");
    for i in 0..n {
        tags.push_str(&format!("; x{i}=v"));
        arc.push_str(&format!("; y{i}=v"));
    }
    arc.push_str("; b=AAAA");
    let mut out = Vec::new();
    header_block(&mut out, "tags");
    out.extend_from_slice(format!("ARC-Seal: {arc}\n").as_bytes());
    out.extend_from_slice(signature(&tags).as_bytes());
    out.extend_from_slice(b"\nbody\n\n");
    Hostile::dump(out)
}

/// `signatures` signatures whose `h=` lists `names` names over `names` header fields (the
/// issue: 50 over 10,000; killed after 120 s).
pub fn wide_h(signatures: usize, names: usize) -> Hostile {
    let mut h = String::from("from");
    for i in 0..names {
        h.push_str(&format!(":x-h{i}"));
    }
    let mut out = Vec::new();
    header_block(&mut out, "wide-h");
    for i in 0..signatures {
        out.extend_from_slice(signature(&format!("d=example.org; s=s{i}; h={h}")).as_bytes());
    }
    for i in 0..names {
        out.extend_from_slice(format!("X-H{i}: v\n").as_bytes());
    }
    out.extend_from_slice(b"\nbody\n\n");
    Hostile::dump(out)
}

/// `signatures` signatures with distinct `l=` over a body of `body_bytes` (the issue: 5,000
/// over 10 MB; killed after 120 s).
pub fn distinct_lengths(signatures: usize, body_bytes: usize) -> Hostile {
    let mut out = Vec::new();
    header_block(&mut out, "lengths");
    for i in 0..signatures {
        out.extend_from_slice(
            signature(&format!("d=example.org; s=s; h=from; l={}", i + 1)).as_bytes(),
        );
    }
    out.push(b'\n');
    let line = b"the quick brown fox jumps over the lazy dog, again and again and again\n";
    let mut written = 0;
    while written < body_bytes {
        out.extend_from_slice(line);
        written += line.len();
    }
    out.push(b'\n');
    Hostile::dump(out)
}

/// DER length octets.
fn der_len(out: &mut Vec<u8>, len: usize) {
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|&&b| b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
}

fn der(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    der_len(&mut out, content.len());
    out.extend_from_slice(content);
    out
}

fn der_uint(be: &[u8]) -> Vec<u8> {
    let be: Vec<u8> = be.iter().copied().skip_while(|&b| b == 0).collect();
    let mut content = Vec::with_capacity(be.len() + 1);
    if be.first().is_none_or(|&b| b & 0x80 != 0) {
        content.push(0);
    }
    content.extend_from_slice(&be);
    der(0x02, &content)
}

/// A DKIM key record (`v=DKIM1; k=rsa; p=...`) of an RSA public key with this modulus and
/// exponent (big-endian), as a SubjectPublicKeyInfo. The modulus need not be a product of
/// primes: verification only uses the public operation.
pub fn rsa_record(modulus: &[u8], exponent: &[u8]) -> String {
    let mut key = der_uint(modulus);
    key.extend(der_uint(exponent));
    let key = der(0x30, &key);
    let mut bits = vec![0u8];
    bits.extend(key);
    let algorithm = der(
        0x30,
        &[
            0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00,
        ],
    );
    let mut spki = algorithm;
    spki.extend(der(0x03, &bits));
    format!("v=DKIM1; k=rsa; p={}", base64_encode(&der(0x30, &spki)))
}

/// A deterministic odd modulus of `bits` bits (top bit set).
fn modulus(bits: usize, seed: u64) -> Vec<u8> {
    let mut state = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    let mut out: Vec<u8> = (0..bits / 8)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect();
    if let Some(b) = out.first_mut() {
        *b |= 0x80;
    }
    if let Some(b) = out.last_mut() {
        *b |= 1;
    }
    out
}

/// A signature of `d=example.org; s=sel` with a `b=` of `bytes` random-looking bytes.
fn keyed_signature(i: usize, bytes: usize) -> String {
    let b = base64_encode(&modulus(bytes * 8, i as u64 + 7));
    format!(
        "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.org; s=sel; h=from:subject; bh=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=; b={b}\n"
    )
}

/// `keys` keys under one name and `signatures` signatures of that name in one message (the
/// issue: 1,000 keys, 200 signatures; 56 s).
pub fn keys_per_name(keys: usize, signatures: usize) -> Hostile {
    let mut keymap = String::new();
    for k in 0..keys {
        keymap.push_str(&format!(
            "sel._domainkey.example.org {}\n",
            rsa_record(&modulus(1024, k as u64 + 1), &[1, 0, 1])
        ));
    }
    let mut out = Vec::new();
    header_block(&mut out, "keys");
    for i in 0..signatures {
        out.extend_from_slice(keyed_signature(i, 128).as_bytes());
    }
    out.extend_from_slice(b"\nbody\n\n");
    Hostile { dump: out, keymap }
}

/// `messages` messages signed under an RSA-8192 key with e = 2^33 - 1 (the issue: 5
/// messages, 37 s).
pub fn huge_exponent(messages: usize) -> Hostile {
    let exponent = ((1u64 << 33) - 1).to_be_bytes();
    let keymap = format!(
        "sel._domainkey.example.org {}\n",
        rsa_record(&modulus(8192, 3), &exponent)
    );
    let mut out = Vec::new();
    for i in 0..messages {
        header_block(&mut out, &format!("exp{i}"));
        out.extend_from_slice(keyed_signature(i, 1024).as_bytes());
        out.extend_from_slice(b"\nbody\n\n");
    }
    Hostile { dump: out, keymap }
}

/// `copies` messages with one Message-ID (the issue: 20,000; 82 s, 3 GB RSS, 3 GB output).
pub fn duplicate_ids(copies: usize) -> Hostile {
    let mut out = Vec::new();
    for i in 0..copies {
        out.extend_from_slice(FROM_LINE.as_bytes());
        out.extend_from_slice(
            format!(
                "From: a@example.org\nTo: b@example.net\nSubject: copy {i}\n\
                 Date: Mon, 1 Jan 2024 00:00:00 +0000\nMessage-ID: <same@example.org>\n\nbody {i}\n\n"
            )
            .as_bytes(),
        );
    }
    Hostile::dump(out)
}

/// `count` bare `From ` lines (50 bytes each): that many empty messages (the issue: 200 MB,
/// 4.7M messages; the target 1.2M within 60 s).
pub fn empty_messages(count: usize) -> Hostile {
    let line = FROM_LINE.as_bytes();
    let mut out = Vec::with_capacity(count * line.len());
    for _ in 0..count {
        out.extend_from_slice(line);
    }
    Hostile::dump(out)
}

/// Every row of the table at a scale: `(name, input)`, with `scale` 1.0 the issue's
/// sizes. The key file row (`--keys /dev/zero`) needs no generator.
pub fn rows(scale: f64) -> Vec<(&'static str, Hostile)> {
    let n = |full: usize| ((full as f64 * scale) as usize).max(2);
    vec![
        ("pdf-nested-xmp", pdf_nested_xmp(n(30_000_000))),
        ("docx-nested-xml", docx_nested_xml(n(30_000_000))),
        ("signatures-over-to", signatures_over_to(n(2_000))),
        ("many-tags", many_tags(n(300_000))),
        ("wide-h", wide_h(50, n(10_000))),
        (
            "distinct-lengths",
            distinct_lengths(n(5_000), n(10_000_000)),
        ),
        ("keys-per-name", keys_per_name(n(1_000), n(200))),
        ("huge-exponent", huge_exponent(5)),
        ("duplicate-ids", duplicate_ids(n(20_000))),
        ("zip-attachment-entries", zip_many_entries(n(2_000_000))),
        ("zip-input-entries", zip_input(n(2_000_000))),
        ("nested-multipart", nested_multipart(n(2_000_000))),
        ("empty-messages", empty_messages(n(1_200_000))),
        ("empty-messages-200mb", empty_messages(n(4_000_000))),
    ]
}
