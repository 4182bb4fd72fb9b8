//! The formats leaks arrive in, read through the public API from archives, compressed dumps
//! and Apple Mail files generated here: every message comes out with the SHA-256 of its own
//! bytes, none lost, none invented, and the same entries as the unpacked files give; hostile
//! archives are bounded and reported; streams are recognised by their magic bytes.
#![cfg(all(feature = "archives", feature = "outlook"))]

use std::io::{Cursor, Write};
use std::path::{Path, PathBuf};

use bytes::Bytes;
use mailsleuth::read::ContainerLimits;
use mailsleuth::read::facts::{Provenance, StoreFacts};
use mailsleuth::{Entry, Error, Format, Input, Message, Reader, Scanner};
use mailsleuth_testkit::dumpgen::{Profile, generate};
use sha2::{Digest, Sha256};

/// 300 realistic messages (from the dump generator), as stored in its mbox, and the mbox.
fn messages() -> (Vec<Vec<u8>>, Vec<u8>) {
    let profile = Profile {
        target_bytes: 2_500_000,
        max_body: 8 * 1024,
        multipart_percent: 20,
        seed: 300,
        signed_percent: None,
    };
    let (mbox, _) = generate(profile);
    let all: Vec<Vec<u8>> = Reader::new()
        .read_bytes("gen.mbox", Bytes::from(mbox.clone()))
        .filter_map(|e| e.ok()?.into_message())
        .map(|m| m.bytes().to_vec())
        .collect();
    assert!(all.len() >= 300, "{} messages generated", all.len());
    (all.into_iter().take(300).collect(), mbox)
}

fn sha(data: &[u8]) -> String {
    Sha256::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// One message as the comparisons see it: where it is (its source relative to `strip`) and
/// what it is.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Seen {
    source: String,
    format: Format,
    offset: u64,
    length: u64,
    separator_offset: Option<u64>,
    sha256: String,
}

fn seen(m: &Message, strip: &str) -> Seen {
    let source = m.source().to_string_lossy().into_owned();
    Seen {
        source: source.strip_prefix(strip).unwrap_or(&source).to_string(),
        format: m.format(),
        offset: m.offset(),
        length: m.len(),
        separator_offset: m.separator_offset(),
        sha256: m.sha256_hex(),
    }
}

/// Every message of `path` (errors fail the test), and the SHA-256 of each as the reader
/// computed it checked against the bytes it hands out.
fn read_all(reader: &Reader, path: &Path, strip: &str) -> Vec<Seen> {
    reader
        .open(path)
        .filter_map(|e| match e {
            Ok(Entry::Message(m)) => {
                assert_eq!(m.sha256_hex(), sha(m.bytes()));
                assert_eq!(m.provenance(), Provenance::Stored);
                Some(seen(&m, strip))
            }
            Ok(Entry::Gap(_)) => None,
            Err(e) => panic!("{}: {e}", path.display()),
        })
        .collect()
}

fn zip_of(entries: &[(String, &[u8])], method: zip::CompressionMethod) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for (name, data) in entries {
        let opts = zip::write::SimpleFileOptions::default().compression_method(method);
        w.start_file(name.as_str(), opts).expect("zip entry");
        w.write_all(data).expect("zip write");
    }
    w.finish().expect("zip").into_inner()
}

fn tar_of(entries: &[(String, &[u8])]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (name, data) in entries {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_mtime(1_500_000_000);
        b.append_data(&mut h, name, *data).expect("tar entry");
    }
    b.into_inner().expect("tar")
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).expect("gzip");
    e.finish().expect("gzip")
}

fn xz(data: &[u8]) -> Vec<u8> {
    let mut e = liblzma::write::XzEncoder::new(Vec::new(), 6);
    e.write_all(data).expect("xz");
    e.finish().expect("xz")
}

fn write(dir: &Path, name: &str, data: &[u8]) -> PathBuf {
    let path = dir.join(name);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("mkdir");
    }
    std::fs::write(&path, data).expect("write");
    path
}

fn prefix(path: &Path) -> String {
    format!("{}!", path.display())
}

#[test]
fn eml_files_in_a_zip_come_out_with_their_own_hashes() {
    let (msgs, _) = messages();
    let dir = tempfile::tempdir().expect("tmp");
    let names: Vec<(String, &[u8])> = msgs
        .iter()
        .enumerate()
        .map(|(i, m)| (format!("Export/Inbox/{:04}.eml", i + 1), &m[..]))
        .collect();
    // The same files unpacked, for comparison.
    for (name, data) in &names {
        write(&dir.path().join("unpacked"), name, data);
    }
    let unpacked = read_all(
        &Reader::new(),
        &dir.path().join("unpacked"),
        &format!("{}/", dir.path().join("unpacked").display()),
    );
    for method in [
        zip::CompressionMethod::Deflated,
        zip::CompressionMethod::Stored,
    ] {
        let zip = write(dir.path(), "leak.zip", &zip_of(&names, method));
        for reader in [Reader::new(), Reader::new().memory_map(false)] {
            let got = read_all(&reader, &zip, &prefix(&zip));
            assert_eq!(got.len(), 300, "none lost, none invented");
            for (i, s) in got.iter().enumerate() {
                assert_eq!(s.source, format!("Export/Inbox/{:04}.eml", i + 1));
                assert_eq!(s.sha256, sha(&msgs[i]));
                assert_eq!((s.offset, s.length), (0, msgs[i].len() as u64));
                assert_eq!(s.format, Format::Eml);
            }
            assert_eq!(got, unpacked, "the same entries as the unpacked files");
        }
    }
}

#[test]
fn a_maildir_in_a_tar_gz_reads_like_the_maildir() {
    let (msgs, _) = messages();
    let dir = tempfile::tempdir().expect("tmp");
    let names: Vec<(String, &[u8])> = msgs
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let name = if i % 2 == 0 {
                format!("Maildir/cur/{}.M{i}P1.host:2,S", 1_500_000_000 + i)
            } else {
                format!("Maildir/new/{}.M{i}P1.host", 1_500_000_000 + i)
            };
            (name, &m[..])
        })
        .collect();
    for (name, data) in &names {
        write(dir.path(), name, data);
    }
    std::fs::create_dir_all(dir.path().join("Maildir/tmp")).expect("tmp folder");
    let mut unpacked = read_all(
        &Reader::new(),
        &dir.path().join("Maildir"),
        &format!("{}/", dir.path().display()),
    );
    let tgz = write(dir.path(), "mail.tar.gz", &gzip(&tar_of(&names)));
    let mut got = read_all(&Reader::new(), &tgz, &prefix(&tgz));
    assert_eq!(got.len(), 300);
    assert!(got.iter().all(|s| s.format == Format::Maildir));
    let by_hash: std::collections::HashSet<&str> = got.iter().map(|s| s.sha256.as_str()).collect();
    for m in &msgs {
        assert!(by_hash.contains(sha(m).as_str()));
    }
    // The tar lists the files in the order written, the folder walk in name order.
    got.sort();
    unpacked.sort();
    assert_eq!(got, unpacked);
}

#[test]
fn compressed_mboxes_read_like_the_mbox() {
    let (_, mbox) = messages();
    let dir = tempfile::tempdir().expect("tmp");
    let plain_path = write(dir.path(), "dump.mbox", &mbox);
    let plain = read_all(
        &Reader::new(),
        &plain_path,
        &plain_path.display().to_string(),
    );
    assert!(plain.len() >= 300);
    let mut zst = Vec::new();
    zstd::stream::copy_encode(&mbox[..], &mut zst, 3).expect("zstd");
    let mut bz = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::fast());
    bz.write_all(&mbox).expect("bzip2");
    let bz = bz.finish().expect("bzip2");
    for (name, data) in [
        ("dump.mbox.gz", gzip(&mbox)),
        ("dump.mbox.xz", xz(&mbox)),
        ("dump.mbox.zst", zst),
        ("dump.mbox.bz2", bz),
    ] {
        let path = write(dir.path(), name, &data);
        for reader in [Reader::new(), Reader::new().memory_map(false)] {
            // A compressed file's content is one member: `dump.mbox.gz!`.
            let got = read_all(&reader, &path, &prefix(&path));
            assert_eq!(
                got, plain,
                "{name}: offsets are those of the decompressed mbox"
            );
        }
        // From a stream (standard input takes this path), sniffed by its magic bytes.
        let streamed: Vec<Seen> = Reader::new()
            .read_stream("-", Cursor::new(data))
            .filter_map(|e| e.expect("no error").into_message())
            .map(|m| seen(&m, "-!"))
            .collect();
        assert_eq!(streamed, plain, "{name} from a stream");
    }
}

#[test]
fn an_mbox_gz_inside_a_zip() {
    let (_, mbox) = messages();
    let dir = tempfile::tempdir().expect("tmp");
    let plain_path = write(dir.path(), "dump.mbox", &mbox);
    let plain = read_all(
        &Reader::new(),
        &plain_path,
        &plain_path.display().to_string(),
    );
    let gz = gzip(&mbox);
    let zip = write(
        dir.path(),
        "takeout.zip",
        &zip_of(
            &[("Takeout/Mail/All mail.mbox.gz".to_string(), &gz[..])],
            zip::CompressionMethod::Stored,
        ),
    );
    let got = read_all(
        &Reader::new(),
        &zip,
        &format!("{}Takeout/Mail/All mail.mbox.gz!", prefix(&zip)),
    );
    assert_eq!(got, plain);
}

/// An `.emlx` file: the byte count, the message, Mail's property list.
fn emlx(message: &[u8], received: i64) -> Vec<u8> {
    let mut out = format!("{}       \n", message.len()).into_bytes();
    out.extend_from_slice(message);
    out.extend_from_slice(
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE plist PUBLIC \"-//Apple//DTD PLIST 1.0//EN\" \"http://www.apple.com/DTDs/PropertyList-1.0.dtd\">\n<plist version=\"1.0\">\n<dict>\n\t<key>date-received</key>\n\t<integer>{received}</integer>\n\t<key>flags</key>\n\t<integer>8590195713</integer>\n\t<key>remote-id</key>\n\t<string>{}</string>\n</dict>\n</plist>\n",
            received - 1_000_000_000
        )
        .as_bytes(),
    );
    out
}

#[test]
fn a_hundred_emlx_files_give_the_message_inside_each() {
    let (msgs, _) = messages();
    let dir = tempfile::tempdir().expect("tmp");
    let mut files = Vec::new();
    for (i, m) in msgs.iter().take(100).enumerate() {
        let data = emlx(m, 1_600_000_000 + i as i64);
        write(dir.path(), &format!("Messages/{}.emlx", 1000 + i), &data);
        files.push((format!("Messages/{}.emlx", 1000 + i), data));
    }
    let root = format!("{}/", dir.path().display());
    let got: Vec<Message> = Reader::new()
        .open(dir.path().join("Messages"))
        .map(|e| e.expect("no error").into_message().expect("a message"))
        .collect();
    assert_eq!(got.len(), 100);
    for (i, m) in got.iter().enumerate() {
        let count_line = format!("{}       \n", msgs[i].len()).len() as u64;
        assert_eq!(m.format(), Format::Emlx);
        assert_eq!(
            m.offset(),
            count_line,
            "the message starts after the count line"
        );
        assert_eq!(m.len(), msgs[i].len() as u64);
        assert_eq!(m.sha256_hex(), sha(&msgs[i]));
        assert_eq!(m.extent().len(), files[i].1.len() as u64, "the whole file");
        let Some(StoreFacts::Emlx(f)) = m.store_facts() else {
            panic!("emlx facts")
        };
        assert_eq!(
            f.date_received.map(|t| t.unix()),
            Some(1_600_000_000 + i as i64)
        );
        assert_eq!(
            f.remote_id.as_deref(),
            Some((600_000_000 + i).to_string().as_str())
        );
        assert!(f.flags.is_some_and(|fl| fl.read));
        assert!(!f.partial);
        let span = f.plist.expect("plist span");
        assert!(files[i].1[span.start as usize..].starts_with(b"<?xml"));
        assert_eq!(
            m.source().to_string_lossy().strip_prefix(&root),
            Some(files[i].0.as_str())
        );
    }
    // The same files in a zip: the same messages, offsets inside each member.
    let entries: Vec<(String, &[u8])> = files.iter().map(|(n, d)| (n.clone(), &d[..])).collect();
    let zip = write(
        dir.path(),
        "mail.zip",
        &zip_of(&entries, zip::CompressionMethod::Deflated),
    );
    let in_zip = read_all(&Reader::new(), &zip, &prefix(&zip));
    assert_eq!(in_zip.len(), 100);
    for (i, s) in in_zip.iter().enumerate() {
        assert_eq!(s.sha256, sha(&msgs[i]));
        assert_eq!(s.format, Format::Emlx);
    }
}

#[test]
fn a_partial_emlx_says_its_body_is_incomplete() {
    let message = b"From: a@example.org\nDate: Mon, 1 Jan 2001 10:00:00 +0000\nContent-Type: multipart/mixed; boundary=B\n\n--B\nContent-Type: text/plain\n\nhello\n--B\nContent-Type: application/pdf; name=x.pdf\nContent-Transfer-Encoding: base64\nX-Apple-Content-Length: 8\n\n\n--B--\n";
    let data = emlx(message, 978_343_300);
    let dir = tempfile::tempdir().expect("tmp");
    let path = write(dir.path(), "Messages/7.partial.emlx", &data);
    write(dir.path(), "Attachments/7/2/x.pdf", b"hello!");
    let got: Vec<Message> = Reader::new()
        .open(&path)
        .map(|e| e.expect("no error").into_message().expect("message"))
        .collect();
    assert_eq!(got.len(), 1, "the stored message only, by default");
    assert_eq!(got[0].provenance(), Provenance::Partial);
    assert_eq!(got[0].bytes(), &message[..]);
    let (reports, _) = Scanner::default().scan_all(&path);
    let report = reports[0].as_ref().expect("report");
    assert!(!report.reconstructed);
    let line = serde_json::to_string(report).expect("json");
    assert!(
        line.contains(r#""store":{"kind":"emlx","partial":true,"#),
        "{line}"
    );
    let back: mailsleuth::Report = serde_json::from_str(&line).expect("reads back");
    assert_eq!(&back, report);
    assert!(
        report
            .findings
            .iter()
            .any(|f| f.code.as_str() == "emlx-partial-body")
    );
    // Rebuilt on request, from the attachment folder, as a reconstructed message.
    let got: Vec<Message> = Reader::new()
        .rebuild_partial_emlx(true)
        .open(&path)
        .map(|e| e.expect("no error").into_message().expect("message"))
        .collect();
    assert_eq!(got.len(), 2);
    assert!(got[1].is_reconstructed());
    assert!(
        got[1]
            .source()
            .to_string_lossy()
            .ends_with("7.partial.emlx!rebuilt")
    );
    assert!(
        got[1]
            .bytes()
            .windows(b"aGVsbG8h".len())
            .any(|w| w == b"aGVsbG8h"),
        "the attachment put back in base64"
    );
    let Some(StoreFacts::Emlx(f)) = got[1].store_facts() else {
        panic!("facts")
    };
    let rebuild = f.rebuild.as_ref().expect("rebuild facts");
    assert_eq!(rebuild.restored, ["2"]);
    // A folder of Apple Mail's: the Attachments folder is reported once, not read as mail.
    let items: Vec<_> = Reader::new().open(dir.path()).collect();
    assert_eq!(items.len(), 2, "{items:?}");
    assert!(
        matches!(&items[0], Err(Error::Skipped { path, reason }) if path.ends_with("Attachments") && reason.contains("Apple Mail"))
    );
}

#[test]
fn folders_read_the_archives_stores_and_apple_mail_files_they_hold() {
    let (msgs, mbox) = messages();
    let dir = tempfile::tempdir().expect("tmp");
    write(dir.path(), "a.eml", &msgs[0]);
    write(dir.path(), "b.mbox.gz", &gzip(&mbox));
    write(
        dir.path(),
        "c.zip",
        &zip_of(
            &[("x/1.eml".to_string(), &msgs[1][..])],
            zip::CompressionMethod::Deflated,
        ),
    );
    write(dir.path(), "d.emlx", &emlx(&msgs[2], 1_600_000_000));
    let plain = Reader::new()
        .read_bytes("m", Bytes::from(mbox.clone()))
        .filter(|e| matches!(e, Ok(Entry::Message(_))))
        .count();
    let got = read_all(
        &Reader::new(),
        dir.path(),
        &format!("{}/", dir.path().display()),
    );
    assert_eq!(got.len(), 1 + plain + 1 + 1);
    assert_eq!(got[0].source, "a.eml");
    assert_eq!(got[1].source, "b.mbox.gz!");
    assert_eq!(got[plain + 1].source, "c.zip!x/1.eml");
    assert_eq!(got[plain + 2].source, "d.emlx");
    assert_eq!(got[plain + 2].sha256, sha(&msgs[2]));
    // Indices run across the whole tree.
    let indices: Vec<u64> = Reader::new()
        .open(dir.path())
        .filter_map(|e| e.ok()?.into_message())
        .map(|m| m.index())
        .collect();
    assert_eq!(indices, (0..indices.len() as u64).collect::<Vec<_>>());
}

#[test]
fn scans_report_member_sources_and_stored_bytes() {
    let (msgs, _) = messages();
    let names: Vec<(String, &[u8])> = msgs
        .iter()
        .take(20)
        .enumerate()
        .map(|(i, m)| (format!("Inbox/{i:02}.eml"), &m[..]))
        .collect();
    let zip = zip_of(&names, zip::CompressionMethod::Deflated);
    let scanner = Scanner::default().threads(2);
    let (reports, summary) = scanner.scan_all(Input::Bytes {
        name: "leak.zip".into(),
        data: Bytes::from(zip),
    });
    assert_eq!(summary.messages, 20);
    for (i, r) in reports.iter().enumerate() {
        let r = r.as_ref().expect("report");
        assert_eq!(r.source, format!("leak.zip!Inbox/{i:02}.eml"));
        assert_eq!(r.sha256, sha(&msgs[i]));
        assert!(!r.reconstructed);
        assert_eq!(r.index, i as u64);
        let line = serde_json::to_string(r).expect("json");
        assert!(line.contains(r#""format":"eml","reconstructed":false,"offset":0"#));
        assert!(
            !line.contains("\"store\""),
            "no store facts for stored files"
        );
    }
}

#[test]
fn zip_on_a_stream_is_buffered_within_its_budget_else_skipped() {
    let (msgs, _) = messages();
    let zip = zip_of(
        &[("a.eml".to_string(), &msgs[0][..])],
        zip::CompressionMethod::Deflated,
    );
    let got: Vec<_> = Reader::new()
        .read_stream("-", Cursor::new(zip.clone()))
        .collect();
    assert_eq!(got.len(), 1);
    let m = got[0].as_ref().expect("message").clone();
    let m = m.into_message().expect("message");
    assert_eq!(m.source(), Path::new("-!a.eml"));
    assert_eq!(m.sha256_hex(), sha(&msgs[0]));
    let mut limits = ContainerLimits::default();
    limits.max_buffer = 100;
    let got: Vec<_> = Reader::new()
        .container_limits(limits)
        .read_stream("-", Cursor::new(zip))
        .collect();
    assert!(
        matches!(&got[..], [Err(Error::Skipped { reason, .. })] if reason.contains("seekable file")),
        "{got:?}"
    );
}

#[test]
fn hostile_archives_are_bounded_and_reported() {
    // A gzip bomb: 64 MiB of zeros in about 64 KB.
    let bomb = gzip(&vec![0u8; 64 << 20]);
    let mut limits = ContainerLimits::default();
    limits.ratio_grace_bytes = 1 << 20;
    let items: Vec<_> = Reader::new()
        .container_limits(limits)
        .read_bytes("bomb.mbox.gz", Bytes::from(bomb))
        .collect();
    assert!(
        items.iter().any(|e| matches!(e, Err(Error::Container { reason, .. }) if reason.contains("compression ratio"))),
        "{items:?}"
    );
    // Path traversal: reported, then read under the sanitized name.
    let msg = b"From: a@example.org\nSubject: x\n\nbody\n";
    let zip = zip_of(
        &[("../../etc/evil.eml".to_string(), &msg[..])],
        zip::CompressionMethod::Deflated,
    );
    let items: Vec<_> = Reader::new()
        .read_bytes("t.zip", Bytes::from(zip))
        .collect();
    assert!(
        matches!(&items[0], Err(Error::Container { path, reason, .. }) if path == Path::new("t.zip!etc/evil.eml") && reason.contains("unsafe member name"))
    );
    let m = items[1]
        .as_ref()
        .expect("message")
        .clone()
        .into_message()
        .expect("message");
    assert_eq!(m.source(), Path::new("t.zip!etc/evil.eml"));
    // Nesting: twelve gzip layers stop at the depth limit, with the reason.
    let mut nested = msg.to_vec();
    for _ in 0..12 {
        nested = gzip(&nested);
    }
    let items: Vec<_> = Reader::new()
        .read_bytes("deep.gz", Bytes::from(nested))
        .collect();
    assert!(
        matches!(&items[..], [Err(Error::Skipped { reason, .. })] if reason.contains("nested")),
        "{items:?}"
    );
    // An encrypted member is skipped with the reason; the others are read.
    let mut zip = zip_of(
        &[
            ("secret.eml".to_string(), &msg[..]),
            ("open.eml".to_string(), &msg[..]),
        ],
        zip::CompressionMethod::Stored,
    );
    let local = zip
        .windows(4)
        .position(|w| w == b"PK\x03\x04")
        .expect("local");
    zip[local + 6] |= 1;
    let central = zip
        .windows(4)
        .position(|w| w == b"PK\x01\x02")
        .expect("central");
    zip[central + 8] |= 1;
    let items: Vec<_> = Reader::new()
        .read_bytes("enc.zip", Bytes::from(zip))
        .collect();
    assert!(
        matches!(&items[0], Err(Error::Skipped { path, reason }) if path == Path::new("enc.zip!secret.eml") && reason.contains("encrypted"))
    );
    assert!(
        matches!(&items[1], Ok(Entry::Message(m)) if m.source() == Path::new("enc.zip!open.eml"))
    );
    // A truncated gzip: what came before the damage is read, then the failure with its offset.
    let (_, mbox) = messages();
    let gz = gzip(&mbox);
    let cut = Bytes::from(gz[..gz.len() / 2].to_vec());
    let items: Vec<_> = Reader::new().read_bytes("cut.mbox.gz", cut).collect();
    let read = items
        .iter()
        .filter(|e| matches!(e, Ok(Entry::Message(_))))
        .count();
    assert!(read > 10, "{read} messages before the damage");
    assert!(
        items
            .iter()
            .any(|e| matches!(e, Err(Error::Io { path, .. }) if path == Path::new("cut.mbox.gz!"))),
        "the failure names the member"
    );
}

#[test]
fn an_ost_or_a_broken_store_is_reported_not_read() {
    let mut ost = b"!BDN\0\0\0\0SO\x17\0".to_vec();
    ost.resize(4096, 0);
    let items: Vec<_> = Reader::new()
        .read_bytes("boss.ost", Bytes::from(ost))
        .collect();
    assert!(
        matches!(&items[..], [Err(Error::Container { reason, .. })] if reason.contains("OST file")),
        "{items:?}"
    );
    let mut pst = b"!BDN\0\0\0\0SM\x17\0".to_vec();
    pst.resize(4096, 0);
    let items: Vec<_> = Reader::new()
        .read_bytes("boss.pst", Bytes::from(pst))
        .collect();
    assert!(
        matches!(&items[..], [Err(Error::Container { .. })]),
        "{items:?}"
    );
}

#[test]
fn gmail_takeout_labels_threads_and_chats_are_facts() {
    let takeout = "From 1512345678901234567@xxx Mon May  1 09:00:00 +0000 2017\n\
X-GM-THRID: 1566001122334455667\n\
X-Gmail-Labels: Archived,\"Projects, 2017\",Opened\n\
From: Alice <alice@example.org>\nTo: bob@example.org\nDate: Mon, 1 May 2017 09:00:00 +0000\n\
Message-ID: <a1@example.org>\nSubject: plans\n\nsee you\n\n\
From 1512345678901234568@xxx Mon May  1 10:00:00 +0000 2017\n\
X-GM-THRID: 1566001122334455668\n\
X-Gmail-Labels: Chat\n\
From: Bob <bob@example.org>\nDate: Mon, 1 May 2017 10:00:00 +0000\nSubject: Chat with Bob\n\n\
<con:conversation xmlns:con=\"google:archive:conversation\"/>\n";
    let (reports, _) = Scanner::default().scan_all(Input::Bytes {
        name: "All mail Including Spam and Trash.mbox".into(),
        data: Bytes::from_static(takeout.as_bytes()),
    });
    let first = reports[0].as_ref().expect("report");
    let gmail = first.gmail.as_ref().expect("gmail facts");
    assert_eq!(gmail.thread_id.as_deref(), Some("1566001122334455667"));
    assert_eq!(gmail.labels, ["Archived", "Projects, 2017", "Opened"]);
    assert!(!gmail.chat);
    assert!(
        first
            .findings
            .iter()
            .all(|f| f.code.as_str() != "gmail-chat-transcript")
    );
    let chat = reports[1].as_ref().expect("report");
    assert!(chat.gmail.as_ref().expect("gmail facts").chat);
    let finding = chat
        .findings
        .iter()
        .find(|f| f.code.as_str() == "gmail-chat-transcript")
        .expect("the chat is recognised");
    let span = finding.evidence[0];
    assert!(takeout[span.start as usize..span.end as usize].starts_with("X-Gmail-Labels: Chat"));
    let line = serde_json::to_string(chat).expect("json");
    assert!(
        line.contains(
            r#""gmail":{"thread_id":"1566001122334455668","labels":["Chat"],"chat":true}"#
        )
    );
    let back: mailsleuth::Report = serde_json::from_str(&line).expect("reads back");
    assert_eq!(&back, chat);
}

fn scan_example() -> std::process::Command {
    mailsleuth_testkit::examples::example("scan")
}

fn run_scan(args: &[&str], stdin: Option<Vec<u8>>) -> (Vec<serde_json::Value>, i32) {
    use std::process::Stdio;
    let mut cmd = scan_example();
    cmd.args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        });
    let mut child = cmd.spawn().expect("scan example");
    if let Some(data) = stdin {
        let mut pipe = child.stdin.take().expect("stdin");
        std::thread::spawn(move || {
            let _ = pipe.write_all(&data);
        });
    }
    let out = child.wait_with_output().expect("scan output");
    let lines = String::from_utf8(out.stdout)
        .expect("UTF-8")
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    (lines, out.status.code().unwrap_or(-1))
}

#[test]
fn the_scan_example_reads_compressed_standard_input() {
    let sample = "examples/data/sample.mbox";
    let keys = "examples/data/keys.keymap";
    let data = std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join(sample)).expect("sample");
    let (direct, status) = run_scan(&["--keys", keys, sample], None);
    assert_eq!(status, 0);
    for (compressed, source) in [(gzip(&data), "-!"), (xz(&data), "-!")] {
        let (piped, status) = run_scan(&["--keys", keys, "-"], Some(compressed));
        assert_eq!(status, 0);
        assert_eq!(piped.len(), direct.len());
        for (mut p, d) in piped.into_iter().zip(&direct) {
            assert_eq!(p["source"], source);
            p["source"] = d["source"].clone();
            assert_eq!(&p, d, "the same report, offsets in the decompressed mbox");
        }
    }
    // A small zip on standard input is buffered and read.
    let zip = zip_of(
        &[("dump/sample.mbox".to_string(), &data[..])],
        zip::CompressionMethod::Deflated,
    );
    let (piped, status) = run_scan(&["--keys", keys, "-"], Some(zip));
    assert_eq!(status, 0);
    assert_eq!(piped.len(), direct.len());
    assert_eq!(piped[0]["source"], "-!dump/sample.mbox");
    assert_eq!(piped[0]["sha256"], direct[0]["sha256"]);
}
