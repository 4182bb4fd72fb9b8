//! Hostile inputs for the reader: files that lose messages to a naive reader (a header-like
//! line or junk on top, a dump cut at the front, pages of blank lines, classic Mac line
//! endings, a Content-Length that runs over the next messages), files that change while they
//! are read, and paths that are not regular files. Each dump is built here, small; where the
//! expectation is a count or a span, it is derived from how the dump was built.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use mailsleuth::{Analyzer, Entry, Input, KeyStore, Reader, Scanner, Span};
use mailsleuth_testkit::entries::{Item, assert_partition, read_every_way};

/// A folder for this test's files, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let dir =
            std::env::temp_dir().join(format!("mailsleuth-hostile-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    fn file(&self, name: &str, data: &[u8]) -> PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, data).unwrap();
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// One message as stored in an mbox: its separator line and its bytes.
fn message(i: usize) -> (Vec<u8>, Vec<u8>) {
    let sep = format!(
        "From sender{i}@example.org Mon Jan  1 10:00:{:02} 2001\n",
        i % 60
    );
    let msg = format!(
        "From: Sender {i} <sender{i}@example.org>\nDate: Mon, 1 Jan 2001 10:00:00 +0000\nSubject: message {i}\nMessage-ID: <{i}@example.org>\n\nbody of message {i}\n"
    );
    (sep.into_bytes(), msg.into_bytes())
}

/// An mbox of `n` messages, and each message's bytes.
fn mbox(n: usize) -> (Vec<u8>, Vec<Vec<u8>>) {
    let mut out = Vec::new();
    let mut messages = Vec::new();
    for i in 0..n {
        let (sep, msg) = message(i);
        out.extend_from_slice(&sep);
        out.extend_from_slice(&msg);
        out.push(b'\n');
        messages.push(msg);
    }
    (out, messages)
}

fn messages(items: &[Item]) -> Vec<&Item> {
    items.iter().filter(|i| i.is_message()).collect()
}

/// `head` put in front of a three-message mbox: the head is one junk gap and the three
/// messages are read whole, every way the reader offers.
fn assert_gap_then_messages(head: &[u8]) {
    let (dump, originals) = mbox(3);
    let data = [head, &dump[..]].concat();
    let items = read_every_way(&data);
    assert_partition(&data, &items);
    assert_eq!(
        items[0],
        Item::Gap {
            span: Span::new(0, head.len() as u64),
            reason: "junk".into()
        },
        "head {:?}",
        String::from_utf8_lossy(&head[..head.len().min(80)])
    );
    let read = messages(&items);
    assert_eq!(read.len(), 3);
    for (item, original) in read.iter().zip(&originals) {
        assert_eq!(item.bytes(), &original[..]);
        assert!(
            item.anomaly_codes().is_empty(),
            "{:?}",
            item.anomaly_codes()
        );
    }
}

#[test]
fn a_header_like_line_on_top_is_a_gap_not_one_big_message() {
    assert_gap_then_messages(b"X-Exported-By: x\n\n");
    assert_gap_then_messages(b"X-Exported-By: x\nX-Count: 3\n\n\n");
}

#[test]
fn a_junk_first_line_is_a_gap() {
    assert_gap_then_messages(b"junk line that is not a header\n");
    assert_gap_then_messages(b"\x00\x01binary\xff\n\n");
}

#[test]
fn a_dump_cut_at_the_front_keeps_the_messages_after_the_cut() {
    let (dump, originals) = mbox(4);
    let first = message(0);
    // Cut inside the body of the first message, and inside its header block.
    for cut in [first.0.len() + first.1.len() - 6, first.0.len() + 30] {
        let data = &dump[cut..];
        let items = read_every_way(data);
        assert_partition(data, &items);
        let next = first.0.len() + first.1.len() + 1 - cut;
        assert_eq!(
            items[0],
            Item::Gap {
                span: Span::new(0, next as u64),
                reason: "junk".into()
            }
        );
        let read = messages(&items);
        assert_eq!(read.len(), 3);
        for (item, original) in read.iter().zip(&originals[1..]) {
            assert_eq!(item.bytes(), &original[..]);
        }
    }
}

#[test]
fn leading_blank_lines_past_any_window_are_a_gap() {
    assert_gap_then_messages(&[b'\n'; 5000]);
    assert_gap_then_messages(&b"\r\n".repeat(40_000));
}

#[test]
fn classic_mac_line_endings_split_and_index() {
    let (dump, originals) = mbox(3);
    let cr = |b: &[u8]| -> Vec<u8> {
        b.iter()
            .map(|&c| if c == b'\n' { b'\r' } else { c })
            .collect()
    };
    let data = cr(&dump);
    let items = read_every_way(&data);
    assert_partition(&data, &items);
    let read = messages(&items);
    assert_eq!(read.len(), 3);
    for (item, original) in read.iter().zip(&originals) {
        assert_eq!(item.bytes(), &cr(original)[..]);
        assert!(
            item.anomaly_codes().is_empty(),
            "{:?}",
            item.anomaly_codes()
        );
    }
    // The header index sees the fields and the body.
    let m = Reader::new()
        .read_bytes("mac.mbox", bytes::Bytes::from(data))
        .find_map(|e| e.ok()?.into_message())
        .unwrap();
    let h = m.headers();
    assert_eq!(h.get("subject").unwrap().value(), "message 0");
    assert_eq!(h.len(), 4);
    assert_eq!(h.body(), b"body of message 0\r");
}

#[test]
fn a_content_length_that_would_swallow_messages_is_not_honoured() {
    // The first message's Content-Length counts its body and the next message, exactly up
    // to the third separator: consistent with the bytes, but it would swallow message 1.
    let (sep0, msg0) = message(0);
    let (sep1, msg1) = message(1);
    let (sep2, msg2) = message(2);
    let body = b"first body\n";
    let counted = [&body[..], b"\n", &sep1, &msg1].concat();
    let head = format!("Subject: zero\nContent-Length: {}\n\n", counted.len());
    let mut data = sep0.clone();
    data.extend_from_slice(head.as_bytes());
    data.extend_from_slice(&counted);
    data.extend_from_slice(b"\n");
    data.extend_from_slice(&sep2);
    data.extend_from_slice(&msg2);
    drop(msg0);
    let items = read_every_way(&data);
    assert_partition(&data, &items);
    let read = messages(&items);
    assert_eq!(read.len(), 3);
    assert_eq!(read[0].anomaly_codes(), ["content-length-mismatch"]);
    let field_start = (sep0.len() + "Subject: zero\n".len()) as u64;
    match read[0] {
        Item::Message {
            anomalies, format, ..
        } => {
            assert_eq!(
                anomalies[0].1,
                Span::new(
                    field_start,
                    field_start + format!("Content-Length: {}\n", counted.len()).len() as u64
                ),
                "the span is the Content-Length field"
            );
            assert_eq!(format, "mboxo");
        }
        _ => unreachable!(),
    }
    assert_eq!(read[1].bytes(), &msg1[..]);
    assert_eq!(read[2].bytes(), &msg2[..]);
}

#[test]
fn a_message_that_quotes_a_separator_line_stays_one_message() {
    let eml = b"From: a@example.org\nSubject: log\n\nFrom ops@example.org Wed May  3 09:00:00 2017\nstatus: ok\n";
    let items = read_every_way(eml);
    assert_eq!(items.len(), 1);
    assert!(matches!(&items[0], Item::Message { format, .. } if format == "eml"));
}

#[test]
fn many_empty_messages_are_all_reported_and_the_work_grows_with_the_input() {
    // Separator lines only: every one is an empty message. Twice the lines give exactly
    // twice the entries, each the same as its counterpart.
    let line = b"From a@example.org Mon Jan  1 10:00:00 2001\n";
    let read = |n: usize| -> Vec<(Span, Vec<String>)> {
        let data = line.repeat(n);
        Reader::new()
            .buffer_size(4096)
            .read_stream("empty.mbox", std::io::Cursor::new(data))
            .map(|e| match e.unwrap() {
                Entry::Message(m) => (
                    m.extent(),
                    m.anomalies().iter().map(|a| a.code.to_string()).collect(),
                ),
                Entry::Gap(g) => panic!("gap {:?}", g.span),
            })
            .collect()
    };
    let small = read(5_000);
    let large = read(10_000);
    assert_eq!(small.len(), 5_000);
    assert_eq!(large.len(), 10_000);
    assert_eq!(large[..5_000], small[..]);
    assert!(large.iter().all(|(_, a)| a == &["empty-message"]));
}

/// Run `f` on another thread; fail if it does not finish within 20 s (a hang).
fn within_20s<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(Duration::from_secs(20))
        .expect("finished without hanging")
}

fn errors(entries: mailsleuth::Entries) -> (usize, Vec<String>) {
    let mut messages = 0;
    let mut errors = Vec::new();
    for e in entries {
        match e {
            Ok(Entry::Message(_)) => messages += 1,
            Ok(Entry::Gap(_)) => {}
            Err(e) => errors.push(e.to_string()),
        }
    }
    (messages, errors)
}

fn mkfifo(path: &Path) -> bool {
    std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .is_ok_and(|s| s.success())
}

#[cfg(unix)]
#[test]
fn a_fifo_is_refused_without_hanging() {
    let dir = TempDir::new("fifo");
    let fifo = dir.0.join("dump.mbox");
    if !mkfifo(&fifo) {
        eprintln!("mkfifo is not available: skipped");
        return;
    }
    for mmap in [false, true] {
        let path = fifo.clone();
        let (n, errs) = within_20s(move || errors(Reader::new().memory_map(mmap).open(&path)));
        assert_eq!(n, 0);
        assert_eq!(errs.len(), 1, "{errs:?}");
        assert!(
            errs[0].contains("dump.mbox") && errs[0].contains("FIFO"),
            "{}",
            errs[0]
        );
    }
    // In a folder tree: skipped with its type, and the walk goes on.
    dir.file("z.eml", b"Subject: after\n\nx\n");
    let root = dir.0.clone();
    let (n, errs) = within_20s(move || errors(Reader::new().open(&root)));
    assert_eq!(n, 1);
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(errs[0].contains("FIFO"), "{}", errs[0]);
}

#[cfg(unix)]
#[test]
fn devices_are_refused() {
    for dev in ["/dev/zero", "/dev/null"] {
        if !Path::new(dev).exists() {
            continue;
        }
        let (n, errs) = within_20s(move || errors(Reader::new().open(dev)));
        assert_eq!(n, 0);
        assert_eq!(errs.len(), 1, "{errs:?}");
        assert!(
            errs[0].starts_with(dev) && errs[0].contains("character device"),
            "{}",
            errs[0]
        );
    }
}

#[cfg(target_os = "linux")]
#[test]
fn process_substitution_paths_are_read_as_streams() {
    use std::os::fd::AsRawFd;
    let (dump, originals) = mbox(3);
    let (reader, mut writer) = std::io::pipe().unwrap();
    let path = format!("/dev/fd/{}", reader.as_raw_fd());
    let writing = std::thread::spawn(move || {
        writer.write_all(&dump).unwrap();
    });
    let got: Vec<_> = within_20s(move || {
        Reader::new()
            .open(&path)
            .map(|e| e.map(|e| e.into_message().map(|m| m.bytes().to_vec())))
            .collect::<Vec<_>>()
    });
    writing.join().unwrap();
    drop(reader);
    let got: Vec<Vec<u8>> = got.into_iter().filter_map(|e| e.unwrap()).collect();
    assert_eq!(got, originals);
}

/// A dump of `n` messages with long bodies, big enough to need many reads.
fn big_dump(n: usize) -> Vec<u8> {
    let mut out = Vec::new();
    for i in 0..n {
        let (sep, msg) = message(i);
        out.extend_from_slice(&sep);
        out.extend_from_slice(&msg);
        for _ in 0..40 {
            out.extend_from_slice(b"a line of body text to make the message longer\n");
        }
        out.push(b'\n');
    }
    out
}

#[test]
fn a_file_truncated_while_read_by_default_is_an_error_not_a_fault() {
    let dir = TempDir::new("truncate");
    let data = big_dump(200);
    let path = dir.file("dump.mbox", &data);
    let cut = data.len() as u64 / 3;
    let mut entries = Reader::new().buffer_size(4096).open(&path);
    let first = entries.next().unwrap().unwrap().into_message().unwrap();
    assert_eq!(first.offset(), message(0).0.len() as u64);
    std::fs::OpenOptions::new()
        .write(true)
        .open(&path)
        .unwrap()
        .set_len(cut)
        .unwrap();
    let (n, errs) = errors(entries);
    assert!(n < 200, "the messages after the cut are not read");
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(
        errs[0].contains("dump.mbox") && errs[0].contains("shrank") && errs[0].contains("at byte"),
        "{}",
        errs[0]
    );
}

#[test]
fn a_file_truncated_during_a_default_scan_is_reported_and_the_scan_ends() {
    let dir = TempDir::new("scan-truncate");
    let data = big_dump(400);
    let path = dir.file("dump.mbox", &data);
    let cut = data.len() as u64 / 2;
    let victim = path.clone();
    let done = std::sync::atomic::AtomicBool::new(false);
    let scanner = Scanner::new(Analyzer::new(KeyStore::new()))
        .reader(Reader::new().buffer_size(4096))
        .threads(1)
        .batch_bytes(16 * 1024)
        .progress(move |_| {
            // After the first batch: cut the file while the scan is reading it.
            if !done.swap(true, std::sync::atomic::Ordering::SeqCst) {
                std::fs::OpenOptions::new()
                    .write(true)
                    .open(&victim)
                    .unwrap()
                    .set_len(cut)
                    .unwrap();
            }
        });
    let (results, summary) = scanner.scan_all(Input::from(&path));
    let reports: Vec<_> = results.iter().filter_map(|r| r.as_ref().ok()).collect();
    let errs: Vec<String> = results
        .iter()
        .filter_map(|r| r.as_ref().err().map(|e| e.to_string()))
        .collect();
    assert!(!reports.is_empty() && reports.len() < 400);
    assert!(reports.iter().all(|r| r.offset < cut));
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(errs[0].contains("shrank"), "{}", errs[0]);
    assert_eq!(summary.errors.len(), 1);
}

#[test]
fn a_file_changed_while_read_is_reported_after_its_entries() {
    let dir = TempDir::new("change");
    let data = big_dump(50);
    // Rewritten in place (same size, another modification time).
    let path = dir.file("dump.mbox", &data);
    let mut entries = Reader::new().buffer_size(4096).open(&path);
    assert!(entries.next().unwrap().is_ok());
    let file = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
    file.set_modified(std::time::SystemTime::UNIX_EPOCH + Duration::from_secs(86_400))
        .unwrap();
    drop(file);
    let (n, errs) = errors(entries);
    assert_eq!(n, 49);
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(
        errs[0].contains("changed while it was read") && errs[0].contains("modification time"),
        "{}",
        errs[0]
    );
    // Grown while read (a dump still being written): the new bytes are read, and the
    // change is reported.
    let path = dir.file("growing.mbox", &data);
    let mut entries = Reader::new().buffer_size(4096).open(&path);
    assert!(entries.next().unwrap().is_ok());
    let (sep, msg) = message(99);
    std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap()
        .write_all(&[&sep[..], &msg[..]].concat())
        .unwrap();
    let (n, errs) = errors(entries);
    assert_eq!(n, 50);
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(errs[0].contains("size went from"), "{}", errs[0]);
    // Unchanged: no error.
    let (n, errs) = errors(Reader::new().open(&path));
    assert_eq!((n, errs.len()), (51, 0), "{errs:?}");
}

#[test]
fn an_input_with_no_separator_and_no_header_is_an_error() {
    let (n, errs) = errors(Reader::new().read_bytes(
        "junk.txt",
        bytes::Bytes::from_static(b"just some text\nno mail here\n"),
    ));
    assert_eq!(n, 0);
    assert_eq!(errs.len(), 1);
    assert!(
        errs[0].contains("junk.txt") && errs[0].contains("not"),
        "{}",
        errs[0]
    );
}

fn scan_example() -> std::process::Command {
    mailsleuth_testkit::examples::example("scan")
}

/// Run the example (stdin from `input`), within 20 s: exit status, JSON lines, stderr.
fn run_scan(args: &[&std::ffi::OsStr], input: &[u8]) -> (i32, Vec<serde_json::Value>, String) {
    use std::process::Stdio;
    let mut child = scan_example()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("scan runs");
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_vec();
    let feeding = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let out = within_20s(move || child.wait_with_output().unwrap());
    feeding.join().unwrap();
    let lines = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON lines"))
        .collect();
    (
        out.status.code().unwrap_or(-1),
        lines,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn the_scan_example_reports_every_message_and_the_gap() {
    let dir = TempDir::new("example");
    let (dump, _) = mbox(3);
    let head = b"X-Exported-By: x\n\n";
    let path = dir.file("planted.mbox", &[&head[..], &dump].concat());
    for mode in ["--stream", "--mmap"] {
        let (status, lines, err) = run_scan(&[mode.as_ref(), path.as_os_str()], b"");
        assert_eq!(status, 0, "{err}");
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[0]["offset"], head.len() + message(0).0.len());
        assert!(err.contains("1 gaps (18 bytes)"), "{err}");
    }
    // The same dump on standard input, by `-` and by `/dev/stdin`.
    for name in ["-", "/dev/stdin"] {
        if name != "-" && !Path::new(name).exists() {
            continue;
        }
        let (status, lines, err) = run_scan(&[name.as_ref()], &[&head[..], &dump].concat());
        assert_eq!(status, 0, "{err}");
        assert_eq!(lines.len(), 3, "{name}: {err}");
        assert_eq!(lines[2]["source"], name);
    }
}

#[test]
fn the_scan_example_fails_on_a_non_empty_input_with_no_message() {
    let dir = TempDir::new("example-empty");
    let junk = dir.file("notes.txt", b"just notes\nno mail\n");
    let (dump, _) = mbox(2);
    let good = dir.file("good.mbox", &dump);
    let (status, lines, err) = run_scan(&[good.as_os_str(), junk.as_os_str()], b"");
    assert_eq!(status, 1, "{err}");
    assert_eq!(lines.len(), 2, "the other input is still scanned");
    assert!(err.contains("notes.txt"), "{err}");
    // Standard input that gives no message.
    let (status, lines, err) = run_scan(&["-".as_ref()], b"no mail here either\n");
    assert_eq!((status, lines.len()), (1, 0), "{err}");
    assert!(err.contains("no message found"), "{err}");
    // An empty input is not a failure.
    let empty = dir.file("empty.mbox", b"");
    let (status, _, err) = run_scan(&[empty.as_os_str()], b"");
    assert!(status == 0 || err.contains("empty"), "{status}: {err}");
}

#[cfg(unix)]
#[test]
fn the_scan_example_refuses_a_fifo_without_hanging() {
    let dir = TempDir::new("example-fifo");
    let fifo = dir.0.join("dump.mbox");
    if !mkfifo(&fifo) {
        return;
    }
    let (status, lines, err) = run_scan(&[fifo.as_os_str()], b"");
    assert_eq!((status, lines.len()), (1, 0));
    assert!(err.contains("FIFO"), "{err}");
}
