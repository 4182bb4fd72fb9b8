//! Walker tests over archives generated here, hostile ones included.

use std::io::{Cursor, Read, Write};

use super::*;

/// An event with the member's bytes read out.
#[derive(Debug)]
enum Seen {
    Member {
        path: String,
        kind: Kind,
        bytes: Vec<u8>,
    },
    Skipped(String, SkipReason),
    Error(WalkError),
}

fn visitor(seen: &mut Vec<Seen>) -> impl FnMut(Event<'_>) -> Flow + '_ {
    move |event| {
        match event {
            Event::Member(m) => {
                let mut bytes = Vec::new();
                let _ = m.reader.read_to_end(&mut bytes);
                seen.push(Seen::Member {
                    path: m.path,
                    kind: m.kind,
                    bytes,
                });
            }
            Event::Skipped { path, reason } => seen.push(Seen::Skipped(path, reason)),
            Event::Error(e) => seen.push(Seen::Error(e)),
        }
        Flow::Continue
    }
}

fn walk_bytes(name: &str, data: &[u8], limits: &Limits) -> (Vec<Seen>, Summary) {
    let mut seen = Vec::new();
    let summary = walk_reader(name, &mut &data[..], limits, &mut visitor(&mut seen));
    (seen, summary)
}

fn walk_file(name: &str, data: &[u8], limits: &Limits) -> (Vec<Seen>, Summary) {
    let dir = std::env::temp_dir().join(format!(
        "formats-test-{}-{}",
        std::process::id(),
        name.replace('/', "_")
    ));
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
    let path = dir.join(name);
    std::fs::write(&path, data).unwrap_or_else(|e| panic!("{e}"));
    let mut seen = Vec::new();
    let summary =
        walk_path(&path, limits, &mut visitor(&mut seen)).unwrap_or_else(|e| panic!("{e}"));
    let _ = std::fs::remove_dir_all(&dir);
    // Paths carry the temporary folder: keep only what follows it.
    let prefix = format!("{}/", dir.to_string_lossy());
    for s in &mut seen {
        match s {
            Seen::Member { path, .. } | Seen::Skipped(path, _) => {
                *path = path.replacen(&prefix, "", 1);
            }
            Seen::Error(_) => {}
        }
    }
    (seen, summary)
}

fn members(seen: &[Seen]) -> Vec<(&str, Kind, &[u8])> {
    seen.iter()
        .filter_map(|s| match s {
            Seen::Member {
                path, kind, bytes, ..
            } => Some((path.as_str(), *kind, bytes.as_slice())),
            _ => None,
        })
        .collect()
}

fn errors(seen: &[Seen]) -> Vec<&WalkError> {
    seen.iter()
        .filter_map(|s| match s {
            Seen::Error(e) => Some(e),
            _ => None,
        })
        .collect()
}

fn msg(i: usize) -> Vec<u8> {
    format!(
        "From: a{i}@example.org\nSubject: message {i}\nMessage-ID: <{i}@example.org>\n\nbody of {i}\nFrom the start\n"
    )
    .into_bytes()
}

fn mbox(n: usize) -> Vec<u8> {
    let mut out = Vec::new();
    for i in 0..n {
        out.extend_from_slice(b"From a@example.org Mon Jan  1 00:00:00 2001\n");
        out.extend_from_slice(&msg(i));
        out.push(b'\n');
    }
    out
}

fn zip_of(entries: &[(&str, &[u8], zip::CompressionMethod)]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for (name, data, method) in entries {
        let opts = zip::write::SimpleFileOptions::default().compression_method(*method);
        w.start_file(*name, opts).unwrap_or_else(|e| panic!("{e}"));
        w.write_all(data).unwrap_or_else(|e| panic!("{e}"));
    }
    w.finish().unwrap_or_else(|e| panic!("{e}")).into_inner()
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(data).unwrap_or_else(|e| panic!("{e}"));
    e.finish().unwrap_or_else(|e| panic!("{e}"))
}

fn tar_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (name, data) in entries {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_entry_type(tar::EntryType::Regular);
        // Write the name bytes as they are: the builder refuses `..`, a hostile archive does not.
        let gnu = h.as_gnu_mut().unwrap_or_else(|| panic!("gnu header"));
        gnu.name[..name.len()].copy_from_slice(name.as_bytes());
        h.set_cksum();
        b.append(&h, *data).unwrap_or_else(|e| panic!("{e}"));
    }
    b.into_inner().unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn zip_members_come_out_byte_exact() {
    let a = msg(1);
    let b = msg(2);
    let c = mbox(3);
    let zip = zip_of(&[
        (
            "Export/Inbox/0001.eml",
            &a,
            zip::CompressionMethod::Deflated,
        ),
        ("Export/Inbox/0002.eml", &b, zip::CompressionMethod::Stored),
        ("Export/all.mbox", &c, zip::CompressionMethod::Deflated),
    ]);
    let (seen, summary) = walk_file("leak.zip", &zip, &Limits::default());
    assert!(errors(&seen).is_empty(), "{seen:?}");
    assert_eq!(
        members(&seen),
        vec![
            ("leak.zip!Export/Inbox/0001.eml", Kind::Eml, &a[..]),
            ("leak.zip!Export/Inbox/0002.eml", Kind::Eml, &b[..]),
            ("leak.zip!Export/all.mbox", Kind::Mbox, &c[..]),
        ]
    );
    assert_eq!(summary.members, 3);
    assert_eq!(summary.leaf_bytes, (a.len() + b.len() + c.len()) as u64);
    // The same zip from a stream is buffered (it is small) and gives the same members.
    let (streamed, _) = walk_bytes("leak.zip", &zip, &Limits::default());
    assert_eq!(members(&streamed), members(&seen));
}

#[test]
fn compressed_mbox_in_every_format() {
    let data = mbox(50);
    let mut xz = liblzma::write::XzEncoder::new(Vec::new(), 1);
    xz.write_all(&data).unwrap_or_else(|e| panic!("{e}"));
    let xz = xz.finish().unwrap_or_else(|e| panic!("{e}"));
    let mut bz = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::fast());
    bz.write_all(&data).unwrap_or_else(|e| panic!("{e}"));
    let bz = bz.finish().unwrap_or_else(|e| panic!("{e}"));
    let zst = zstd::encode_all(&data[..], 3).unwrap_or_else(|e| panic!("{e}"));
    for (name, bytes, shown) in [
        ("dump.mbox.gz", gzip(&data), "dump.mbox.gz!"),
        ("dump.mbox.xz", xz, "dump.mbox.xz!"),
        ("dump.mbox.bz2", bz, "dump.mbox.bz2!"),
        ("dump.mbox.zst", zst, "dump.mbox.zst!"),
    ] {
        let (seen, _) = walk_bytes(name, &bytes, &Limits::default());
        assert!(errors(&seen).is_empty(), "{name}: {seen:?}");
        assert_eq!(
            members(&seen),
            vec![(shown, Kind::Mbox, &data[..])],
            "{name}"
        );
    }
}

#[test]
fn concatenated_streams_are_read_whole() {
    let one = mbox(2);
    let two = mbox(3);
    let mut gz = gzip(&one);
    gz.extend_from_slice(&gzip(&two));
    let mut xz = Vec::new();
    for part in [&one, &two] {
        let mut e = liblzma::write::XzEncoder::new(Vec::new(), 1);
        e.write_all(part).unwrap_or_else(|e| panic!("{e}"));
        xz.extend_from_slice(&e.finish().unwrap_or_else(|e| panic!("{e}")));
    }
    let mut zst = zstd::encode_all(&one[..], 1).unwrap_or_else(|e| panic!("{e}"));
    zst.extend_from_slice(&zstd::encode_all(&two[..], 1).unwrap_or_else(|e| panic!("{e}")));
    let whole = [one.clone(), two.clone()].concat();
    for (name, bytes) in [("m.gz", gz), ("m.xz", xz), ("m.zst", zst)] {
        let (seen, _) = walk_bytes(name, &bytes, &Limits::default());
        let got = members(&seen);
        assert_eq!(got.len(), 1, "{name}");
        assert_eq!(got[0].2, &whole[..], "{name}: every member of the stream");
    }
}

#[test]
fn maildir_in_tar_gz_keeps_member_names() {
    let a = msg(1);
    let b = msg(2);
    let tar = tar_of(&[
        ("Mail/cur/1700000000.1.host:2,S", &a),
        ("Mail/new/1700000001.2.host", &b),
    ]);
    let (seen, _) = walk_bytes("mail.tar.gz", &gzip(&tar), &Limits::default());
    assert!(errors(&seen).is_empty(), "{seen:?}");
    assert_eq!(
        members(&seen),
        vec![
            (
                "mail.tar.gz!Mail/cur/1700000000.1.host:2,S",
                Kind::Maildir,
                &a[..]
            ),
            (
                "mail.tar.gz!Mail/new/1700000001.2.host",
                Kind::Maildir,
                &b[..]
            ),
        ]
    );
}

#[test]
fn mbox_gz_inside_zip_and_zip_inside_tar() {
    let data = mbox(10);
    let zip = zip_of(&[(
        "dumps/a.mbox.gz",
        &gzip(&data),
        zip::CompressionMethod::Stored,
    )]);
    let (seen, _) = walk_file("leak.zip", &zip, &Limits::default());
    assert_eq!(
        members(&seen),
        vec![("leak.zip!dumps/a.mbox.gz!", Kind::Mbox, &data[..])]
    );

    // A zip inside a tar can only be read from the stream: it is buffered.
    let tar = tar_of(&[("x/leak.zip", &zip)]);
    let (seen, _) = walk_bytes("outer.tar", &tar, &Limits::default());
    assert_eq!(
        members(&seen),
        vec![(
            "outer.tar!x/leak.zip!dumps/a.mbox.gz!",
            Kind::Mbox,
            &data[..]
        )]
    );
    // Over the buffer budget it is skipped with the reason, and the walk goes on.
    let limits = Limits {
        max_buffer: 100,
        ..Limits::default()
    };
    let tar = tar_of(&[("x/leak.zip", &zip), ("x/after.eml", &msg(9))]);
    let (seen, _) = walk_bytes("outer.tar", &tar, &limits);
    assert!(matches!(
        &seen[0],
        Seen::Skipped(p, SkipReason::NeedsSeek { budget: 100 }) if p == "outer.tar!x/leak.zip"
    ));
    assert_eq!(members(&seen).len(), 1);
}

#[test]
fn zip_on_a_stream_over_budget_says_it_needs_a_file() {
    let zip = zip_of(&[("a.eml", &msg(1), zip::CompressionMethod::Deflated)]);
    let limits = Limits {
        max_buffer: 10,
        ..Limits::default()
    };
    let (seen, _) = walk_bytes("-", &zip, &limits);
    assert!(
        matches!(&seen[..], [Seen::Skipped(p, SkipReason::NeedsSeek { .. })] if p == "-"),
        "{seen:?}"
    );
}

#[test]
fn gzip_bomb_is_stopped_by_the_ratio() {
    let zeros = vec![0u8; 32 << 20];
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    e.write_all(&zeros).unwrap_or_else(|e| panic!("{e}"));
    let bomb = e.finish().unwrap_or_else(|e| panic!("{e}"));
    assert!(bomb.len() < 200_000, "{}", bomb.len());
    let limits = Limits {
        ratio_grace_bytes: 1 << 20,
        ..Limits::default()
    };
    let (seen, summary) = walk_bytes("bomb.gz", &bomb, &limits);
    let errs = errors(&seen);
    assert!(
        errs.iter().any(|e| matches!(
            e,
            WalkError::Limit {
                limit: LimitKind::Ratio,
                ..
            }
        )),
        "{errs:?}"
    );
    // Stopped long before the 32 MiB.
    assert!(summary.leaf_bytes < 8 << 20, "{}", summary.leaf_bytes);
}

#[test]
fn member_and_total_budgets() {
    let data = mbox(200);
    let limits = Limits {
        max_member_bytes: 1000,
        ..Limits::default()
    };
    let (seen, _) = walk_bytes("m.gz", &gzip(&data), &limits);
    assert!(errors(&seen).iter().any(|e| matches!(
        e,
        WalkError::Limit {
            limit: LimitKind::MemberBytes,
            ..
        }
    )));
    let a = msg(1);
    let zip = zip_of(&[
        ("1.eml", &a, zip::CompressionMethod::Stored),
        ("2.eml", &a, zip::CompressionMethod::Stored),
        ("3.eml", &a, zip::CompressionMethod::Stored),
    ]);
    let limits = Limits {
        max_total_bytes: a.len() as u64 + 10,
        ..Limits::default()
    };
    let (seen, summary) = walk_file("t.zip", &zip, &limits);
    assert!(summary.stopped, "a walk-wide budget stops the walk");
    assert!(errors(&seen).iter().any(|e| matches!(
        e,
        WalkError::Limit {
            limit: LimitKind::TotalBytes,
            ..
        }
    )));
    assert_eq!(members(&seen).len(), 2, "the third member is never offered");
}

#[test]
fn many_entries_are_refused_before_loading() {
    // An end record that declares five million entries (and a central directory that is not
    // there): refused from the declaration alone.
    let mut fake = b"PK\x05\x06".to_vec();
    fake.extend_from_slice(&[0, 0, 0, 0]);
    fake.extend_from_slice(&0xFFFFu16.to_le_bytes());
    fake.extend_from_slice(&0xFFFFu16.to_le_bytes());
    fake.extend_from_slice(&[0; 10]);
    let mut z64 = b"PK\x06\x06".to_vec();
    z64.extend_from_slice(&44u64.to_le_bytes());
    z64.extend_from_slice(&[45, 0, 45, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    z64.extend_from_slice(&5_000_000u64.to_le_bytes());
    z64.extend_from_slice(&5_000_000u64.to_le_bytes());
    z64.extend_from_slice(&[0; 16]);
    let mut loc = b"PK\x06\x07".to_vec();
    loc.extend_from_slice(&[0; 4]);
    loc.extend_from_slice(&0u64.to_le_bytes());
    loc.extend_from_slice(&1u32.to_le_bytes());
    let data = [z64, loc, fake].concat();
    assert_eq!(
        zip_declared_entries(&mut Cursor::new(&data)),
        Some(5_000_000)
    );

    // A real zip with more entries than allowed.
    let names: Vec<String> = (0..50).map(|i| format!("{i}.eml")).collect();
    let a = msg(0);
    let entries: Vec<_> = names
        .iter()
        .map(|n| (n.as_str(), &a[..], zip::CompressionMethod::Stored))
        .collect();
    let zip = zip_of(&entries);
    let limits = Limits {
        max_entries: 20,
        ..Limits::default()
    };
    let (seen, _) = walk_file("many.zip", &zip, &limits);
    assert!(members(&seen).is_empty());
    assert!(matches!(
        errors(&seen)[..],
        [WalkError::Limit {
            limit: LimitKind::Entries,
            value: 50,
            max: 20,
            ..
        }]
    ));
}

#[test]
fn traversal_names_are_reported_and_read_sanitized() {
    let a = msg(1);
    let zip = zip_of(&[("../../evil.eml", &a, zip::CompressionMethod::Deflated)]);
    let (seen, _) = walk_file("x.zip", &zip, &Limits::default());
    assert!(matches!(
        errors(&seen)[..],
        [WalkError::UnsafeName { original, .. }] if original == "../../evil.eml"
    ));
    assert_eq!(members(&seen), vec![("x.zip!evil.eml", Kind::Eml, &a[..])]);

    let tar = tar_of(&[("/etc/../../cur/x.eml", &a)]);
    let (seen, _) = walk_bytes("t.tar", &tar, &Limits::default());
    assert_eq!(
        members(&seen),
        vec![("t.tar!etc/cur/x.eml", Kind::Maildir, &a[..])]
    );
    assert_eq!(errors(&seen).len(), 1);
}

/// Patch a little-endian u32 at every occurrence of a zip record signature.
fn patch_u32(data: &mut [u8], signature: &[u8; 4], at: usize, value: u32) {
    let positions: Vec<usize> = data
        .windows(4)
        .enumerate()
        .filter(|(_, w)| w == signature)
        .map(|(i, _)| i)
        .collect();
    for p in positions {
        data[p + at..p + at + 4].copy_from_slice(&value.to_le_bytes());
    }
}

#[test]
fn lying_declared_size_is_reported() {
    let a = msg(1);
    let mut zip = zip_of(&[("a.eml", &a, zip::CompressionMethod::Deflated)]);
    // Uncompressed size: offset 22 in the local header, 24 in the central header.
    patch_u32(&mut zip, b"PK\x03\x04", 22, 5);
    patch_u32(&mut zip, b"PK\x01\x02", 24, 5);
    let (seen, _) = walk_file("lie.zip", &zip, &Limits::default());
    let got = members(&seen);
    assert_eq!(got.len(), 1, "{seen:?}");
    assert!(
        errors(&seen).iter().any(|e| matches!(
            e,
            WalkError::SizeMismatch { declared: 5, actual, .. } if *actual == a.len() as u64
        )) || got[0].2.len() == 5,
        "{seen:?}"
    );
    assert!(
        errors(&seen)
            .iter()
            .any(|e| matches!(e, WalkError::SizeMismatch { declared: 5, .. })),
        "the lie is reported: {seen:?}"
    );
}

#[test]
fn corrupt_member_reports_the_offset() {
    let data = mbox(100);
    let gz = gzip(&data);
    let cut = &gz[..gz.len() / 2];
    let (seen, _) = walk_bytes("cut.mbox.gz", cut, &Limits::default());
    let got = members(&seen);
    assert_eq!(got.len(), 1);
    let errs = errors(&seen);
    assert_eq!(errs.len(), 1, "{seen:?}");
    assert_eq!(errs[0].path(), "cut.mbox.gz!");
    assert_eq!(
        errs[0].offset(),
        Some(got[0].2.len() as u64),
        "offset = bytes read"
    );
    assert!(got[0].2.len() < data.len());
    assert_eq!(got[0].2, &data[..got[0].2.len()], "what was read is right");

    // A zip entry whose checksum is wrong.
    let a = msg(3);
    let mut zip = zip_of(&[("a.eml", &a, zip::CompressionMethod::Stored)]);
    let p = zip
        .windows(5)
        .position(|w| w == b"body ")
        .unwrap_or_else(|| panic!("no body"));
    zip[p] = b'B';
    let (seen, _) = walk_file("crc.zip", &zip, &Limits::default());
    assert!(
        errors(&seen)
            .iter()
            .any(|e| e.to_string().contains("checksum")),
        "{seen:?}"
    );
}

#[test]
fn nesting_depth_is_bounded() {
    let mut data = msg(1);
    for _ in 0..12 {
        data = gzip(&data);
    }
    let limits = Limits {
        max_depth: 5,
        ..Limits::default()
    };
    let (seen, _) = walk_bytes("deep.gz", &data, &limits);
    assert!(members(&seen).is_empty());
    assert!(
        seen.iter()
            .any(|s| matches!(s, Seen::Skipped(_, SkipReason::TooDeep { depth: 6 }))),
        "{seen:?}"
    );
    // Within the limit it is read.
    let mut data = msg(1);
    for _ in 0..3 {
        data = gzip(&data);
    }
    let (seen, _) = walk_bytes("ok.eml.gz.gz.gz", &data, &limits);
    assert_eq!(members(&seen).len(), 1);
}

#[test]
fn encrypted_zip_member_is_skipped() {
    let a = msg(1);
    let mut zip = zip_of(&[
        ("secret.eml", &a, zip::CompressionMethod::Stored),
        ("open.eml", &a, zip::CompressionMethod::Stored),
    ]);
    // Set the "encrypted" flag of the first entry (general purpose bit 0) in both headers.
    let local = zip.windows(4).position(|w| w == b"PK\x03\x04").unwrap_or(0);
    zip[local + 6] |= 1;
    let central = zip.windows(4).position(|w| w == b"PK\x01\x02").unwrap_or(0);
    zip[central + 8] |= 1;
    let (seen, _) = walk_file("enc.zip", &zip, &Limits::default());
    assert!(
        matches!(&seen[0], Seen::Skipped(p, SkipReason::Encrypted) if p == "enc.zip!secret.eml")
    );
    assert_eq!(
        members(&seen),
        vec![("enc.zip!open.eml", Kind::Eml, &a[..])]
    );
}

#[test]
fn overlapping_zip_entries_are_skipped() {
    let a = msg(1);
    let mut zip = zip_of(&[
        ("one.eml", &a, zip::CompressionMethod::Stored),
        ("two.eml", &a, zip::CompressionMethod::Stored),
    ]);
    // Point the second central entry at the first entry's local header (offset 42).
    let centrals: Vec<usize> = zip
        .windows(4)
        .enumerate()
        .filter(|(_, w)| w == b"PK\x01\x02")
        .map(|(i, _)| i)
        .collect();
    let second = centrals[1];
    zip[second + 42..second + 46].copy_from_slice(&0u32.to_le_bytes());
    let (seen, _) = walk_file("overlap.zip", &zip, &Limits::default());
    assert_eq!(members(&seen).len(), 1, "{seen:?}");
    assert!(
        seen.iter().any(|s| matches!(
            s,
            Seen::Skipped(p, SkipReason::Overlapping { other }) if p == "overlap.zip!two.eml" && other == "one.eml"
        )),
        "{seen:?}"
    );
}

#[test]
fn tar_links_and_duplicates() {
    let a = msg(1);
    let mut b = tar::Builder::new(Vec::new());
    let mut h = tar::Header::new_gnu();
    h.set_entry_type(tar::EntryType::Symlink);
    h.set_size(0);
    b.append_link(&mut h, "link.eml", "/etc/passwd")
        .unwrap_or_else(|e| panic!("{e}"));
    for _ in 0..2 {
        let mut h = tar::Header::new_gnu();
        h.set_size(a.len() as u64);
        h.set_entry_type(tar::EntryType::Regular);
        h.set_mode(0o644);
        b.append_data(&mut h, "same.eml", &a[..])
            .unwrap_or_else(|e| panic!("{e}"));
    }
    let tar = b.into_inner().unwrap_or_else(|e| panic!("{e}"));
    let (seen, _) = walk_bytes("t.tar", &tar, &Limits::default());
    assert!(
        matches!(&seen[0], Seen::Skipped(_, SkipReason::Link { target }) if target == "/etc/passwd")
    );
    assert_eq!(members(&seen).len(), 2);
    assert!(
        errors(&seen)
            .iter()
            .any(|e| matches!(e, WalkError::DuplicateName { .. }))
    );
}

#[test]
fn visitor_may_stop_and_may_read_partially() {
    let zip = zip_of(&[
        ("1.eml", &msg(1), zip::CompressionMethod::Deflated),
        ("2.eml", &msg(2), zip::CompressionMethod::Deflated),
    ]);
    let mut count = 0;
    let mut stop_after_first = |event: Event<'_>| {
        if let Event::Member(m) = event {
            let mut two = [0u8; 2];
            let _ = m.reader.read(&mut two);
            count += 1;
            return Flow::Stop;
        }
        Flow::Continue
    };
    let dir = std::env::temp_dir().join(format!("formats-stop-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
    let path = dir.join("s.zip");
    std::fs::write(&path, &zip).unwrap_or_else(|e| panic!("{e}"));
    let summary = walk_path(&path, &Limits::default(), &mut stop_after_first)
        .unwrap_or_else(|e| panic!("{e}"));
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(count, 1);
    assert!(summary.stopped);
}

#[test]
fn plain_file_is_one_member_with_its_own_path() {
    let data = mbox(3);
    let (seen, _) = walk_file("plain.mbox", &data, &Limits::default());
    assert_eq!(members(&seen), vec![("plain.mbox", Kind::Mbox, &data[..])]);
    let (seen, _) = walk_bytes("-", &data, &Limits::default());
    assert_eq!(members(&seen), vec![("-", Kind::Mbox, &data[..])]);
    let _ = Read::bytes(&b""[..]);
}
