//! Compressed RTF (MS-OXRTFCP), the form in which Outlook stores RTF bodies
//! (`PR_RTF_COMPRESSED`): a 16-byte header, then LZ77 tokens over a 4096-byte ring dictionary
//! that starts with a fixed 207-byte RTF prefix.
//!
//! Written here rather than taken from the `compressed-rtf` crate, which slices its input
//! without checking its length (it panics on a short or lying header) and reserves as much
//! memory as the header's raw size claims; this one is bounded and never panics. The tests
//! check it on the specification's example and, over the shared corpus, against the RTF
//! bodies `readpst` writes.

/// The dictionary's initial content (MS-OXRTFCP section 3.1.3.1).
const PREFIX: &[u8; 207] = b"{\\rtf1\\ansi\\mac\\deff0\\deftab720{\\fonttbl;}{\\f0\\fnil \\froman \\fswiss \\fmodern \\fscript \\fdecor MS Sans SerifSymbolArialTimes New RomanCourier{\\colortbl\\red0\\green0\\blue0\r\n\\par \\pard\\plain\\f0\\fs20\\b\\i\\u\\tab\\tx";

const LZFU: u32 = 0x7546_5A4C;
const MELA: u32 = 0x414C_454D;

/// A decompressed RTF body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rtf {
    /// The RTF bytes.
    pub bytes: Vec<u8>,
    /// Whether the stream was compressed (`LZFu`) rather than stored (`MELA`).
    pub compressed: bool,
    /// The raw size the header declares.
    pub declared_size: u32,
    /// Whether the header's CRC matches the compressed bytes (always true for `MELA`).
    pub crc_ok: bool,
    /// Whether the output has the declared size.
    pub size_ok: bool,
}

/// Why a compressed RTF stream could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RtfError {
    /// Shorter than its 16-byte header.
    #[error("compressed RTF of {0} bytes, shorter than its header")]
    Short(usize),
    /// Neither `LZFu` nor `MELA`.
    #[error("unknown compressed RTF type 0x{0:08X}")]
    UnknownType(u32),
    /// The output would exceed the budget.
    #[error("decompressed RTF over {0} bytes")]
    TooLarge(usize),
}

const fn crc_table() -> [u32; 256] {
    let mut table = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 != 0 {
                0xEDB8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
            k += 1;
        }
        table[i] = c;
        i += 1;
    }
    table
}

static CRC_TABLE: [u32; 256] = crc_table();

/// The CRC of MS-OXRTFCP: CRC-32's table, starting from 0, without the final inversion.
fn crc(data: &[u8]) -> u32 {
    data.iter().fold(0u32, |c, &b| {
        CRC_TABLE[((c ^ u32::from(b)) & 0xFF) as usize] ^ (c >> 8)
    })
}

fn le32(data: &[u8], at: usize) -> u32 {
    data.get(at..at + 4)
        .and_then(|b| b.try_into().ok())
        .map(u32::from_le_bytes)
        .unwrap_or(0)
}

/// Decompress `data` (the value of `PR_RTF_COMPRESSED`), producing at most `max_out` bytes.
pub fn decompress(data: &[u8], max_out: usize) -> Result<Rtf, RtfError> {
    if data.len() < 16 {
        return Err(RtfError::Short(data.len()));
    }
    let declared_size = le32(data, 4);
    let kind = le32(data, 8);
    let stored_crc = le32(data, 12);
    // COMPSIZE counts the bytes after itself; a larger value means the data was cut.
    let comp_size = le32(data, 0) as usize;
    let body_end = comp_size.saturating_add(4).min(data.len()).max(16);
    let body = data.get(16..body_end).unwrap_or_default();
    match kind {
        MELA => {
            let n = (declared_size as usize).min(body.len());
            if n > max_out {
                return Err(RtfError::TooLarge(max_out));
            }
            let bytes = body.get(..n).unwrap_or_default().to_vec();
            Ok(Rtf {
                size_ok: bytes.len() == declared_size as usize,
                bytes,
                compressed: false,
                declared_size,
                crc_ok: true,
            })
        }
        LZFU => {
            let crc_ok = crc(body) == stored_crc;
            let mut dict = [0u8; 4096];
            dict.get_mut(..PREFIX.len())
                .unwrap_or_default()
                .copy_from_slice(PREFIX);
            let mut write = PREFIX.len();
            let mut out = Vec::with_capacity(
                (declared_size as usize)
                    .min(max_out)
                    .min(body.len().saturating_mul(8)),
            );
            let mut pos = 0;
            'tokens: while let Some(&control) = body.get(pos) {
                pos += 1;
                for bit in 0..8 {
                    if control & (1 << bit) == 0 {
                        let Some(&byte) = body.get(pos) else {
                            break 'tokens;
                        };
                        pos += 1;
                        if out.len() >= max_out {
                            return Err(RtfError::TooLarge(max_out));
                        }
                        out.push(byte);
                        if let Some(slot) = dict.get_mut(write) {
                            *slot = byte;
                        }
                        write = (write + 1) % 4096;
                    } else {
                        let (Some(&hi), Some(&lo)) = (body.get(pos), body.get(pos + 1)) else {
                            break 'tokens;
                        };
                        pos += 2;
                        let reference = (u16::from(hi) << 8) | u16::from(lo);
                        let offset = usize::from(reference >> 4);
                        let length = usize::from(reference & 0xF) + 2;
                        if offset == write {
                            break 'tokens; // the end marker
                        }
                        if out.len().saturating_add(length) > max_out {
                            return Err(RtfError::TooLarge(max_out));
                        }
                        for k in 0..length {
                            let byte = dict.get((offset + k) % 4096).copied().unwrap_or(0);
                            out.push(byte);
                            if let Some(slot) = dict.get_mut(write) {
                                *slot = byte;
                            }
                            write = (write + 1) % 4096;
                        }
                    }
                }
            }
            Ok(Rtf {
                size_ok: out.len() == declared_size as usize,
                bytes: out,
                compressed: true,
                declared_size,
                crc_ok,
            })
        }
        other => Err(RtfError::UnknownType(other)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example of MS-OXRTFCP section 4.1: "{\rtf1\ansi\ansicpg1252\pard hello world}\r\n".
    const SPEC_EXAMPLE: [u8; 62] = [
        0x2d, 0x00, 0x00, 0x00, 0x2b, 0x00, 0x00, 0x00, 0x4c, 0x5a, 0x46, 0x75, 0xf1, 0xc5, 0xc7,
        0xa7, 0x03, 0x00, 0x0a, 0x00, 0x72, 0x63, 0x70, 0x67, 0x31, 0x32, 0x35, 0x42, 0x32, 0x0a,
        0xf3, 0x20, 0x68, 0x65, 0x6c, 0x09, 0x00, 0x20, 0x62, 0x77, 0x05, 0xb0, 0x6c, 0x64, 0x7d,
        0x0a, 0x80, 0x0f, 0xa0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00,
    ];

    #[test]
    fn specification_example() {
        let data = &SPEC_EXAMPLE[..0x2d + 4];
        let rtf = decompress(data, 1 << 20).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            String::from_utf8_lossy(&rtf.bytes),
            "{\\rtf1\\ansi\\ansicpg1252\\pard hello world}\r\n"
        );
        assert!(rtf.compressed && rtf.crc_ok && rtf.size_ok);
    }

    #[test]
    fn hostile_headers_never_panic() {
        assert_eq!(decompress(b"short", 100), Err(RtfError::Short(5)));
        let mut lying = SPEC_EXAMPLE[..0x2d + 4].to_vec();
        lying[4..8].copy_from_slice(&u32::MAX.to_le_bytes());
        let rtf = decompress(&lying, 1 << 20).unwrap_or_else(|e| panic!("{e}"));
        assert!(!rtf.size_ok, "the lie is visible");
        let mut mela = Vec::new();
        mela.extend_from_slice(&16u32.to_le_bytes());
        mela.extend_from_slice(&1000u32.to_le_bytes()); // claims 1000, holds 4
        mela.extend_from_slice(&MELA.to_le_bytes());
        mela.extend_from_slice(&0u32.to_le_bytes());
        mela.extend_from_slice(b"{\\rt");
        let rtf = decompress(&mela, 1 << 20).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(rtf.bytes, b"{\\rt");
        assert!(!rtf.size_ok);
        let mut bad_crc = SPEC_EXAMPLE[..0x2d + 4].to_vec();
        bad_crc[12] ^= 1;
        assert!(
            !decompress(&bad_crc, 1 << 20)
                .map(|r| r.crc_ok)
                .unwrap_or(true)
        );
        assert_eq!(
            decompress(&SPEC_EXAMPLE[..49], 10),
            Err(RtfError::TooLarge(10))
        );
        let mut unknown = SPEC_EXAMPLE[..49].to_vec();
        unknown[8] = b'X';
        assert!(matches!(
            decompress(&unknown, 100),
            Err(RtfError::UnknownType(_))
        ));
    }

    /// The RTF bodies of the corpus's PST files against the `rtf-body.rtf` attachment that
    /// `readpst` (Debian `pst-utils`) writes for each. Opt-in:
    /// `MAILSLEUTH_CORPUS=/path/to/corpus cargo test --lib -- --ignored`.
    #[test]
    #[ignore = "needs MAILSLEUTH_CORPUS and readpst"]
    fn corpus_rtf_bodies_are_readpsts() {
        use crate::read::store::{StoreEvent, read_pst_from};
        use crate::read::walk::{ContainerLimits, Flow};
        use mail_parser::MimeHeaders;
        let Some(corpus) = std::env::var_os("MAILSLEUTH_CORPUS") else {
            eprintln!("MAILSLEUTH_CORPUS is not set: skipped");
            return;
        };
        let dir = std::path::Path::new(&corpus).join("stores/ruby-msg");
        let mut compared = 0;
        for name in ["200 recipients.pst", "attachAndInline.pst", "msgInMsg.pst"] {
            let path = dir.join(name);
            let file = std::fs::File::open(&path).expect("corpus PST");
            let mut ours = Vec::new();
            read_pst_from(name, file, &ContainerLimits::default(), &mut |e| {
                if let StoreEvent::Message(m) = e {
                    ours.push(m);
                }
                Flow::Continue
            })
            .expect("read");
            let out = std::env::temp_dir()
                .join(format!("mailsleuth-rtf-{}-{compared}", std::process::id()));
            let _ = std::fs::remove_dir_all(&out);
            std::fs::create_dir_all(&out).expect("tmp");
            let status = std::process::Command::new("readpst")
                .args(["-e", "-q", "-o"])
                .arg(&out)
                .arg(&path)
                .status()
                .expect("readpst (Debian pst-utils) must be installed");
            assert!(status.success());
            let mut eml = None;
            let mut folders = vec![out.clone()];
            while let Some(f) = folders.pop() {
                for entry in std::fs::read_dir(&f).expect("output").flatten() {
                    if entry.path().is_dir() {
                        folders.push(entry.path());
                    } else {
                        eml = Some(std::fs::read(entry.path()).expect("eml"));
                    }
                }
            }
            let _ = std::fs::remove_dir_all(&out);
            let eml = eml.expect("one message");
            let parsed = mail_parser::MessageParser::default()
                .parse(&eml[..])
                .expect("readpst's message");
            let theirs = parsed
                .attachments()
                .find(|a| a.attachment_name() == Some("rtf-body.rtf"))
                .expect("rtf-body.rtf")
                .contents()
                .to_vec();
            let rtf = ours[0].rtf.as_ref().expect("an RTF body");
            assert_eq!(rtf.bytes, theirs, "{name}");
            assert!(rtf.crc_ok && rtf.size_ok, "{name}");
            compared += 1;
        }
        assert_eq!(compared, 3);
    }
}
