//! Golden tests: small hand-written dumps of every variant the reader handles, each read
//! through every path and buffer size (see `mailsleuth_testkit::entries::read_every_way`), with
//! exact expectations.

use mailsleuth::{Reader, Span};
use mailsleuth_testkit::entries::{Item, assert_partition, read_every_way, read_every_way_with};

fn messages(items: &[Item]) -> Vec<&Item> {
    items.iter().filter(|i| i.is_message()).collect()
}

fn format_of(item: &Item) -> &str {
    match item {
        Item::Message { format, .. } => format,
        _ => "",
    }
}

fn span_of(item: &Item) -> Span {
    match item {
        Item::Message { span, .. } => *span,
        Item::Gap { span, .. } => *span,
        Item::Error(_) => Span::default(),
    }
}

#[test]
fn mboxo_with_blank_lines_and_an_unquoted_body_line() {
    let data = b"From alice@example.org Mon Jan  1 10:00:00 2001\nSubject: one\n\nFrom Russia with love\n\nFrom bob@example.org Tue Jan  2 10:00:00 2001\nSubject: two\n\nbody\n\n";
    let items = read_every_way(data);
    assert_partition(data, &items);
    let m = messages(&items);
    assert_eq!(m.len(), 2);
    assert_eq!(m[0].bytes(), b"Subject: one\n\nFrom Russia with love\n");
    assert_eq!(m[0].anomaly_codes(), ["unquoted-from-line"]);
    assert_eq!(m[1].bytes(), b"Subject: two\n\nbody\n");
    assert_eq!(format_of(m[0]), "mboxo");
    match m[1] {
        Item::Message {
            envelope_sender,
            envelope_date,
            separator,
            ..
        } => {
            assert_eq!(envelope_sender.as_deref(), Some("bob@example.org"));
            assert_eq!(envelope_date.as_deref(), Some("Tue Jan  2 10:00:00 2001"));
            assert_eq!(separator.unwrap().start, 85);
        }
        _ => unreachable!(),
    }
}

#[test]
fn mboxrd_quoting_is_detected_and_kept_as_stored() {
    let data = b"From a@x Mon Jan  1 10:00:00 2001\nSubject: q\n\n>From here\n>>From there\n\nFrom b@x Mon Jan  1 10:00:01 2001\nSubject: r\n\nplain\n";
    let items = read_every_way(data);
    assert_partition(data, &items);
    let m = messages(&items);
    assert_eq!(m.len(), 2);
    assert_eq!(format_of(m[0]), "mboxrd");
    assert_eq!(
        format_of(m[1]),
        "mboxo",
        "each message is judged on its own bytes"
    );
    assert_eq!(m[0].bytes(), b"Subject: q\n\n>From here\n>>From there\n");
    let msg = Reader::new()
        .read_bytes("x", bytes::Bytes::copy_from_slice(data))
        .find_map(|e| e.ok()?.into_message())
        .unwrap();
    assert_eq!(&*msg.unquoted(), b"Subject: q\n\nFrom here\n>From there\n");
}

#[test]
fn content_length_is_honoured_when_consistent() {
    // mboxcl2: the body holds an unquoted separator-like line that Content-Length covers.
    let body = b"line\n\nFrom x@y Mon Jan  1 10:00:00 2001\nnot a header line\n";
    let mut data = format!(
        "From a@x Mon Jan  1 10:00:00 2001\nContent-Length: {}\n\n",
        body.len()
    )
    .into_bytes();
    data.extend_from_slice(body);
    data.extend_from_slice(b"\nFrom b@x Mon Jan  1 10:00:01 2001\nSubject: next\n\nz\n");
    let items = read_every_way(&data);
    assert_partition(&data, &items);
    let m = messages(&items);
    assert_eq!(m.len(), 2);
    assert_eq!(format_of(m[0]), "mboxcl2");
    assert!(m[0].bytes().ends_with(b"not a header line\n"));
    assert!(m[0].anomaly_codes().is_empty());
}

#[test]
fn content_length_that_contradicts_the_bytes_is_ignored() {
    let data = b"From a@x Mon Jan  1 10:00:00 2001\nContent-Length: 3\n\nlonger body\n\nFrom b@x Mon Jan  1 10:00:01 2001\nSubject: b\n\nz\n";
    let items = read_every_way(data);
    let m = messages(&items);
    assert_eq!(m.len(), 2);
    assert_eq!(m[0].bytes(), b"Content-Length: 3\n\nlonger body\n");
    assert_eq!(m[0].anomaly_codes(), ["content-length-mismatch"]);
    assert_eq!(format_of(m[0]), "mboxo");
}

#[test]
fn content_length_past_the_end_means_truncated() {
    let data = b"From a@x Mon Jan  1 10:00:00 2001\nContent-Length: 5000\n\ncut short\n";
    let items = read_every_way(data);
    let m = messages(&items);
    assert_eq!(m.len(), 1);
    assert_eq!(m[0].anomaly_codes(), ["truncated"]);
    assert_eq!(m[0].bytes(), b"Content-Length: 5000\n\ncut short\n");
}

#[test]
fn mmdf_messages_and_a_missing_closing_marker() {
    let data = b"\x01\x01\x01\x01\nSubject: one\n\nbody\n\x01\x01\x01\x01\n\x01\x01\x01\x01\nSubject: two\n\ncut";
    let items = read_every_way(data);
    assert_partition(data, &items);
    let m = messages(&items);
    assert_eq!(m.len(), 2);
    assert_eq!(format_of(m[0]), "mmdf");
    assert_eq!(m[0].bytes(), b"Subject: one\n\nbody\n");
    assert_eq!(span_of(m[0]), Span::new(5, 24));
    assert_eq!(m[1].bytes(), b"Subject: two\n\ncut");
    assert_eq!(m[1].anomaly_codes(), ["no-final-newline", "truncated"]);
}

#[test]
fn thunderbird_markers_without_blank_lines() {
    let data = b"From - Mon Jun  3 12:50:27 1996\nFrom: a@x\n\none\nFrom - \nFrom: b@x\n\ntwo\n";
    let items = read_every_way(data);
    assert_partition(data, &items);
    let m = messages(&items);
    assert_eq!(m.len(), 2);
    assert_eq!(m[0].bytes(), b"From: a@x\n\none\n");
    // The first message runs straight into the next separator line.
    assert_eq!(m[0].anomaly_codes(), ["separator-without-blank-line"]);
    assert!(m[1].anomaly_codes().is_empty());
    match m[1] {
        Item::Message {
            envelope_sender,
            envelope_date,
            ..
        } => {
            assert_eq!(envelope_sender.as_deref(), Some("-"));
            assert_eq!(envelope_date, &None);
        }
        _ => unreachable!(),
    }
}

#[test]
fn separator_like_line_without_blank_line_and_no_header_is_body_text() {
    let data = b"From a@x Mon Jan  1 10:00:00 2001\nA: 1\n\ntext\nFrom b@x Mon Jan  1 10:00:00 2001\nmore text\n";
    let items = read_every_way(data);
    let m = messages(&items);
    assert_eq!(m.len(), 1);
    assert_eq!(m[0].anomaly_codes(), ["unquoted-from-line"]);
}

#[test]
fn crlf_mailbox() {
    let data = b"From a@x Mon Jan  1 10:00:00 2001\r\nSubject: one\r\n\r\nbody\r\n\r\nFrom b@x Mon Jan  1 10:00:01 2001\r\nSubject: two\r\n\r\nbody\r\n\r\n";
    let items = read_every_way(data);
    assert_partition(data, &items);
    let m = messages(&items);
    assert_eq!(m.len(), 2);
    assert_eq!(m[0].bytes(), b"Subject: one\r\n\r\nbody\r\n");
    assert_eq!(m[1].bytes(), b"Subject: two\r\n\r\nbody\r\n");
}

#[test]
fn last_message_without_final_newline_and_empty_messages() {
    let data = b"From a@x Mon Jan  1 10:00:00 2001\nFrom b@x Mon Jan  1 10:00:01 2001\n\nFrom c@x Mon Jan  1 10:00:02 2001\nSubject: last\n\nno newline";
    let items = read_every_way(data);
    assert_partition(data, &items);
    let m = messages(&items);
    assert_eq!(m.len(), 3);
    assert_eq!(m[0].bytes(), b"");
    assert_eq!(m[0].anomaly_codes(), ["empty-message"]);
    assert_eq!(m[1].bytes(), b"");
    assert_eq!(m[2].bytes(), b"Subject: last\n\nno newline");
    assert_eq!(m[2].anomaly_codes(), ["no-final-newline"]);
}

#[test]
fn byte_order_mark_is_a_gap_and_nul_and_8bit_bytes_are_kept() {
    let data = b"\xEF\xBB\xBFFrom a@x Mon Jan  1 10:00:00 2001\nSubject: caf\xE9\n\nnul\x00byte\n";
    let items = read_every_way(data);
    assert_partition(data, &items);
    assert_eq!(
        items[0],
        Item::Gap {
            span: Span::new(0, 3),
            reason: "byte-order-mark".into()
        }
    );
    let m = messages(&items);
    assert_eq!(m[0].bytes(), b"Subject: caf\xE9\n\nnul\x00byte\n");
}

#[test]
fn leading_blank_lines_are_a_junk_gap() {
    let data = b"\n\nFrom a@x Mon Jan  1 10:00:00 2001\nA: 1\n\nx\n";
    let items = read_every_way(data);
    assert_partition(data, &items);
    assert_eq!(
        items[0],
        Item::Gap {
            span: Span::new(0, 2),
            reason: "junk".into()
        }
    );
    assert_eq!(messages(&items).len(), 1);
}

#[test]
fn gmail_takeout_separators_without_date() {
    let data = b"From 1844347792267117879@xxx\nX-GM-THRID: 1\nSubject: a\n\nx\n\nFrom 1844347839636459560@xxx\nX-GM-THRID: 2\nSubject: b\n\ny\n";
    let items = read_every_way(data);
    assert_partition(data, &items);
    let m = messages(&items);
    assert_eq!(m.len(), 2);
    assert_eq!(m[1].bytes(), b"X-GM-THRID: 2\nSubject: b\n\ny\n");
}

#[test]
fn oversized_message_is_an_error_and_reading_goes_on() {
    let limit = 256 * 1024;
    let mut data = b"From a@x Mon Jan  1 10:00:00 2001\nSubject: big\n\n".to_vec();
    let line = [b'x'; 99];
    while data.len() < 3 * limit {
        data.extend_from_slice(&line);
        data.push(b'\n');
    }
    data.extend_from_slice(b"\nFrom b@x Mon Jan  1 10:00:01 2001\nSubject: small\n\nok\n");
    let items = read_every_way_with(Reader::new().max_message_size(limit as u64), &data);
    assert_eq!(items.len(), 2);
    match &items[0] {
        Item::Error(e) => {
            assert!(e.contains("message at byte 0"), "{e}");
            assert!(e.contains(&format!("over the limit of {limit}")), "{e}");
        }
        other => panic!("expected an error, got {other:?}"),
    }
    assert_eq!(items[1].bytes(), b"Subject: small\n\nok\n");
}

#[test]
fn single_message_files_and_non_mail() {
    let eml = b"From: a@x\nSubject: one\n\nbody\n";
    let items = read_every_way(eml);
    assert_eq!(items.len(), 1);
    assert_eq!(format_of(&items[0]), "eml");
    assert_eq!(span_of(&items[0]), Span::new(0, eml.len() as u64));
    // Read as the zip it announces itself as: a broken one is one error saying so.
    let zip = b"PK\x03\x04rest of a zip";
    match &read_every_way(zip)[..] {
        [Item::Error(e)] => assert!(e.contains("corrupt: zip"), "{e}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn folder_trees_in_sorted_order_with_skips() {
    let root = std::env::temp_dir().join(format!("mailsleuth-tree-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let md = root.join("b-maildir");
    for sub in ["cur", "new", "tmp"] {
        std::fs::create_dir_all(md.join(sub)).unwrap();
    }
    std::fs::write(md.join("new/2.eml"), b"Subject: new\n\nn\n").unwrap();
    std::fs::write(md.join("cur/1.eml"), b"Subject: cur\n\nc\n").unwrap();
    std::fs::write(root.join("a.eml"), b"Subject: a\n\na\n").unwrap();
    std::fs::write(
        root.join("c.msg"),
        b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1 outlook",
    )
    .unwrap();
    std::fs::write(root.join("d.mbox"), b"From x@y Mon Jan  1 10:00:00 2001\nSubject: d1\n\n1\n\nFrom x@y Mon Jan  1 10:00:00 2001\nSubject: d2\n\n2\n").unwrap();
    let mut subjects = Vec::new();
    let mut skipped = Vec::new();
    for e in Reader::new().open(&root) {
        match e {
            Ok(mailsleuth::Entry::Message(m)) => subjects.push((
                m.index(),
                m.headers().get("subject").unwrap().value().into_owned(),
                m.format().to_string(),
            )),
            Ok(_) => {}
            Err(e) => skipped.push(e.to_string()),
        }
    }
    let _ = std::fs::remove_dir_all(&root);
    let expect = [
        (0, "a", "eml"),
        (1, "cur", "maildir"),
        (2, "new", "maildir"),
        (3, "d1", "mboxo"),
        (4, "d2", "mboxo"),
    ];
    let got: Vec<_> = subjects
        .iter()
        .map(|(i, s, f)| (*i, s.as_str(), f.as_str()))
        .collect();
    assert_eq!(got, expect);
    assert_eq!(skipped.len(), 1);
    // Read as the Outlook message it is named: a broken one is one error saying so.
    assert!(
        skipped[0].contains("c.msg") && skipped[0].contains("not a compound file"),
        "{}",
        skipped[0]
    );
}

#[test]
fn unreadable_input_is_an_error_naming_the_path() {
    let errs: Vec<_> = Reader::new().open("/nonexistent/dump.mbox").collect();
    assert_eq!(errs.len(), 1);
    let e = errs[0].as_ref().unwrap_err().to_string();
    assert!(e.starts_with("/nonexistent/dump.mbox:"), "{e}");
}

#[cfg(unix)]
#[test]
fn symbolic_link_loop_is_reported_once_and_the_walk_goes_on() {
    let root = std::env::temp_dir().join(format!("mailsleuth-loop-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(root.join("a")).unwrap();
    std::fs::write(root.join("a/m.eml"), b"Subject: in a\n\nx\n").unwrap();
    std::os::unix::fs::symlink(&root, root.join("a/back-to-root")).unwrap();
    std::fs::write(root.join("z.eml"), b"Subject: z\n\ny\n").unwrap();
    let mut subjects = Vec::new();
    let mut errors = Vec::new();
    for e in Reader::new().open(&root) {
        match e {
            Ok(mailsleuth::Entry::Message(m)) => {
                subjects.push(m.headers().get("subject").unwrap().value().into_owned())
            }
            Ok(_) => {}
            Err(e) => errors.push(e.to_string()),
        }
    }
    let _ = std::fs::remove_dir_all(&root);
    assert_eq!(subjects, ["in a", "z"]);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].contains("back-to-root") && errors[0].contains("loop"),
        "{}",
        errors[0]
    );
}

/// A reader that gives the first bytes of a file and then pretends the rest was cut off, as
/// when a file shrinks while it is read.
#[test]
fn a_file_that_shrinks_while_read_is_reported() {
    let mut data = b"From a@x Mon Jan  1 10:00:00 2001\nSubject: one\n\n".to_vec();
    data.extend(std::iter::repeat_n(b"body line\n".as_slice(), 600).flatten());
    let second = data.len() as u64 + 1;
    data.extend_from_slice(b"\nFrom b@x Mon Jan  1 10:00:01 2001\nSubject: two\n\nbody two\n");
    let dir = std::env::temp_dir().join(format!("mailsleuth-shrink-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("shrinking.mbox");
    std::fs::write(&path, &data).unwrap();
    let reader = Reader::new().buffer_size(16);
    let mut entries = reader.open_streaming(&path);
    // Read the first message, then cut the file inside the second.
    let first = entries.next().unwrap().unwrap().into_message().unwrap();
    assert!(first.bytes().starts_with(b"Subject: one\n\nbody line\n"));
    let file = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
    file.set_len(second + 40).unwrap();
    let rest: Vec<_> = entries.collect();
    let _ = std::fs::remove_dir_all(&dir);
    let errors: Vec<String> = rest
        .iter()
        .filter_map(|e| e.as_ref().err().map(|e| e.to_string()))
        .collect();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].contains("shrinking.mbox") && errors[0].contains("shrank"),
        "{}",
        errors[0]
    );
    let messages: Vec<_> = rest
        .into_iter()
        .filter_map(|e| e.ok()?.into_message())
        .collect();
    assert_eq!(messages.len(), 1, "the cut message is still reported");
}
