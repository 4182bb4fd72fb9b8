//! What a member is: container or compression by magic bytes (and name), mail format by name
//! and first bytes, the way the file tree reader decides for a file on disk.

/// A container or compression layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Container {
    /// PKZIP archive (needs random access: the central directory is at the end).
    Zip,
    /// POSIX/GNU tar archive.
    Tar,
    /// gzip (one or more concatenated members).
    Gzip,
    /// xz (one or more concatenated streams).
    Xz,
    /// bzip2 (one or more concatenated streams).
    Bzip2,
    /// Zstandard (one or more frames).
    Zstd,
}

impl Container {
    /// A short name for messages.
    pub fn as_str(self) -> &'static str {
        match self {
            Container::Zip => "zip",
            Container::Tar => "tar",
            Container::Gzip => "gzip",
            Container::Xz => "xz",
            Container::Bzip2 => "bzip2",
            Container::Zstd => "zstd",
        }
    }
}

/// How a member (or a file) should be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// A container or compressed stream: walked, not handed to the visitor.
    Container(Container),
    /// An mbox-family file (starts with a `From ` line).
    Mbox,
    /// A single message file.
    Eml,
    /// A message file in a maildir (`cur/`, `new/` or `tmp/`).
    Maildir,
    /// Apple Mail `.emlx`.
    Emlx,
    /// Apple Mail `.partial.emlx` (attachments stored beside it).
    PartialEmlx,
    /// Outlook personal store (`!BDN` with client magic `SM`).
    Pst,
    /// Outlook offline store (`!BDN` with client magic `SO`).
    Ost,
    /// Outlook message (compound file named `.msg`).
    Msg,
    /// Not recognised as mail (the visitor decides; a tree reader would skip it with a reason).
    Unknown,
}

/// Bytes worth peeking at before deciding (tar's `ustar` magic sits at 257..263).
pub const SNIFF_LEN: usize = 512;

const CFB_MAGIC: &[u8] = &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

/// The container or compression that `first` (the first bytes of a stream) starts with.
/// Magic bytes only; see [`kind_of`] for the name's part.
pub fn sniff_container(first: &[u8]) -> Option<Container> {
    if first.starts_with(&[0x1f, 0x8b]) {
        return Some(Container::Gzip);
    }
    if first.starts_with(&[0xFD, b'7', b'z', b'X', b'Z', 0x00]) {
        return Some(Container::Xz);
    }
    if first.starts_with(&[0x28, 0xB5, 0x2F, 0xFD]) {
        return Some(Container::Zstd);
    }
    if is_bzip2(first) {
        return Some(Container::Bzip2);
    }
    if first.starts_with(b"PK\x03\x04")
        || first.starts_with(b"PK\x05\x06")
        || first.starts_with(b"PK\x07\x08")
    {
        return Some(Container::Zip);
    }
    if is_tar(first) {
        return Some(Container::Tar);
    }
    None
}

fn is_bzip2(first: &[u8]) -> bool {
    // "BZh" + block size digit + the block magic (pi) or the end-of-stream magic (sqrt pi).
    match first.get(..10) {
        Some([b'B', b'Z', b'h', level, rest @ ..]) if (b'1'..=b'9').contains(level) => {
            rest == [0x31, 0x41, 0x59, 0x26, 0x53, 0x59]
                || rest == [0x17, 0x72, 0x45, 0x38, 0x50, 0x90]
        }
        _ => false,
    }
}

/// A tar header: `ustar` magic at 257, or a valid header checksum (old v7 archives).
fn is_tar(first: &[u8]) -> bool {
    let Some(header) = first.get(..512) else {
        return false;
    };
    let magic = header.get(257..263);
    if magic == Some(b"ustar\0") || magic == Some(b"ustar ") {
        return tar_checksum_ok(header);
    }
    // v7: no magic; demand a plausible name and a correct checksum.
    header.first().is_some_and(|&b| b != 0) && tar_checksum_ok(header)
}

fn tar_checksum_ok(header: &[u8]) -> bool {
    let Some(field) = header.get(148..156) else {
        return false;
    };
    let digits: Vec<u8> = field
        .iter()
        .copied()
        .skip_while(|b| *b == b' ')
        .take_while(|b| (b'0'..=b'7').contains(b))
        .collect();
    if digits.is_empty() {
        return false;
    }
    let Ok(text) = std::str::from_utf8(&digits) else {
        return false;
    };
    let Ok(stored) = u32::from_str_radix(text, 8) else {
        return false;
    };
    let sum: u32 = header
        .iter()
        .enumerate()
        .map(|(i, &b)| {
            if (148..156).contains(&i) {
                32
            } else {
                u32::from(b)
            }
        })
        .sum();
    sum == stored
}

fn lower_name(name: &str) -> String {
    name.rsplit('/').next().unwrap_or(name).to_ascii_lowercase()
}

/// How a member named `name` (its path inside the container, `/`-separated) whose content
/// starts with `first` should be read. Magic bytes win over the name for containers and
/// stores; for mail formats the name decides as it would on disk (`.emlx`, a file in a
/// maildir's `cur/`), then the content (`From ` starts an mbox, a header line an eml).
pub fn kind_of(name: &str, first: &[u8]) -> Kind {
    if let Some(c) = sniff_container(first) {
        return Kind::Container(c);
    }
    let base = lower_name(name);
    if first.starts_with(b"!BDN") {
        return match first.get(8..10) {
            Some(b"SO") => Kind::Ost,
            _ if base.ends_with(".ost") => Kind::Ost,
            _ => Kind::Pst,
        };
    }
    if first.starts_with(CFB_MAGIC) {
        return if base.ends_with(".msg") {
            Kind::Msg
        } else {
            Kind::Unknown
        };
    }
    if base.ends_with(".partial.emlx") {
        return Kind::PartialEmlx;
    }
    if base.ends_with(".emlx") {
        return Kind::Emlx;
    }
    if first.starts_with(b"From ") {
        return Kind::Mbox;
    }
    if in_maildir(name) {
        return Kind::Maildir;
    }
    if base.ends_with(".eml") || looks_like_header(first) {
        return Kind::Eml;
    }
    Kind::Unknown
}

/// Whether `name`'s parent folder is `cur`, `new` or `tmp`.
fn in_maildir(name: &str) -> bool {
    let mut parts = name.rsplit('/');
    let _file = parts.next();
    matches!(parts.next(), Some("cur" | "new" | "tmp"))
}

/// Whether `first` starts with an RFC 5322 header field (`Name:` with printable name bytes).
fn looks_like_header(first: &[u8]) -> bool {
    let Some(colon) = first.iter().take(80).position(|&b| b == b':') else {
        return false;
    };
    colon > 0
        && first
            .get(..colon)
            .is_some_and(|n| n.iter().all(|&b| (33..=126).contains(&b)))
}

/// The name of a compressed file's content: `dump.mbox.gz` gives `dump.mbox`, `x.tgz` gives
/// `x.tar`. A name without a known suffix is kept.
pub fn strip_compression_suffix(name: &str, c: Container) -> String {
    let lower = name.to_ascii_lowercase();
    let pairs: &[(&str, &str)] = match c {
        Container::Gzip => &[(".tgz", ".tar"), (".gz", ""), (".gzip", "")],
        Container::Xz => &[(".txz", ".tar"), (".xz", "")],
        Container::Bzip2 => &[(".tbz2", ".tar"), (".tbz", ".tar"), (".bz2", "")],
        Container::Zstd => &[(".tzst", ".tar"), (".zst", ""), (".zstd", "")],
        Container::Zip | Container::Tar => &[],
    };
    for (suffix, replacement) in pairs {
        if lower.ends_with(suffix) && name.len() >= suffix.len() {
            let stem = name.get(..name.len() - suffix.len()).unwrap_or(name);
            return format!("{stem}{replacement}");
        }
    }
    name.to_string()
}

/// A member name made safe to show and to use as a relative path: `\` read as `/`, empty,
/// `.` and `..` components and a leading `/` or drive letter dropped, control characters
/// replaced by `_`. Returns the name and whether anything unsafe was removed (path traversal,
/// absolute path, control characters); plain redundancies (`a//b`, `./a`) are not unsafe.
pub fn sanitize_name(raw: &[u8]) -> (String, bool) {
    let text = String::from_utf8_lossy(raw);
    let mut unsafe_found = false;
    let text = text.replace('\\', "/");
    if text.starts_with('/') {
        unsafe_found = true;
    }
    let mut parts: Vec<String> = Vec::new();
    for (i, part) in text.split('/').enumerate() {
        if part.is_empty() || part == "." {
            continue;
        }
        if part == ".." {
            unsafe_found = true;
            continue;
        }
        let mut part = part.to_string();
        if i == 0 && part.len() == 2 && part.ends_with(':') {
            // A drive letter such as `C:`.
            unsafe_found = true;
            continue;
        }
        if part.chars().any(|c| c.is_control()) {
            unsafe_found = true;
            part = part
                .chars()
                .map(|c| if c.is_control() { '_' } else { c })
                .collect();
        }
        parts.push(part);
    }
    if parts.is_empty() {
        return ("_".to_string(), true);
    }
    (parts.join("/"), unsafe_found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn magic_bytes_win_over_names() {
        assert_eq!(
            kind_of("a.eml", &[0x1f, 0x8b, 8, 0]),
            Kind::Container(Container::Gzip)
        );
        assert_eq!(
            kind_of("x", b"\xFD7zXZ\x00\x00"),
            Kind::Container(Container::Xz)
        );
        assert_eq!(
            kind_of("x", b"PK\x03\x04rest"),
            Kind::Container(Container::Zip)
        );
        assert_eq!(
            kind_of("x", &[0x28, 0xB5, 0x2F, 0xFD, 0]),
            Kind::Container(Container::Zstd)
        );
        assert_eq!(
            kind_of("x", b"BZh91AY&SY"),
            Kind::Container(Container::Bzip2)
        );
        // "BZh" followed by text is not bzip2.
        assert_eq!(kind_of("x", b"BZh9 hello: x"), Kind::Unknown);
    }

    #[test]
    fn mail_formats_by_name_then_content() {
        assert_eq!(kind_of("a/b.emlx", b"123\nSubject: x"), Kind::Emlx);
        assert_eq!(kind_of("a/1.partial.emlx", b"123\n"), Kind::PartialEmlx);
        assert_eq!(kind_of("dump.mbox", b"From a@b Mon"), Kind::Mbox);
        assert_eq!(kind_of("m/cur/1:2,S", b"Subject: x\n"), Kind::Maildir);
        assert_eq!(kind_of("Inbox/0001.eml", b"\n\nbody"), Kind::Eml);
        assert_eq!(kind_of("notes.txt", b"Received: from x"), Kind::Eml);
        assert_eq!(kind_of("photo.jpg", b"\xff\xd8\xff\xe0"), Kind::Unknown);
        assert_eq!(kind_of("boss.pst", b"!BDN\0\0\0\0SM\x17\0"), Kind::Pst);
        assert_eq!(kind_of("boss.ost", b"!BDN\0\0\0\0SO\x17\0"), Kind::Ost);
        let mut cfb = CFB_MAGIC.to_vec();
        cfb.extend_from_slice(&[0; 8]);
        assert_eq!(kind_of("x.MSG", &cfb), Kind::Msg);
        assert_eq!(kind_of("x.doc", &cfb), Kind::Unknown);
    }

    #[test]
    fn tar_by_ustar_magic_and_checksum() {
        let mut header = [0u8; 512];
        header[..5].copy_from_slice(b"a.eml");
        header[257..263].copy_from_slice(b"ustar\0");
        let sum: u32 = header.iter().map(|&b| u32::from(b)).sum::<u32>() + 8 * 32;
        let field = format!("{sum:06o}\0 ");
        header[148..156].copy_from_slice(field.as_bytes());
        assert_eq!(kind_of("x", &header), Kind::Container(Container::Tar));
        header[0] = b'b';
        assert_eq!(
            kind_of("x", &header),
            Kind::Unknown,
            "bad checksum is not tar"
        );
    }

    #[test]
    fn compression_suffixes() {
        assert_eq!(
            strip_compression_suffix("dump.mbox.gz", Container::Gzip),
            "dump.mbox"
        );
        assert_eq!(strip_compression_suffix("m.TGZ", Container::Gzip), "m.tar");
        assert_eq!(
            strip_compression_suffix("a.mbox.xz", Container::Xz),
            "a.mbox"
        );
        assert_eq!(strip_compression_suffix("noext", Container::Zstd), "noext");
    }

    #[test]
    fn sanitizing_names() {
        assert_eq!(
            sanitize_name(b"Export/Inbox/1.eml"),
            ("Export/Inbox/1.eml".into(), false)
        );
        assert_eq!(sanitize_name(b"./a//b.eml"), ("a/b.eml".into(), false));
        assert_eq!(
            sanitize_name(b"../../etc/passwd"),
            ("etc/passwd".into(), true)
        );
        assert_eq!(sanitize_name(b"/abs/x"), ("abs/x".into(), true));
        assert_eq!(
            sanitize_name(b"C:\\Users\\x.eml"),
            ("Users/x.eml".into(), true)
        );
        assert_eq!(sanitize_name(b"a\x07b"), ("a_b".into(), true));
        assert_eq!(sanitize_name(b".."), ("_".into(), true));
    }
}
