//! Hostile key archives: devices and FIFOs given as `--keys`, a line of a gigabyte, a file
//! or stream past the size limit, binary data. Loading must refuse quickly with an error
//! naming the file, or report the line as a problem without repeating it, and load the rest.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use mailsleuth::auth::keys::{MAX_KEY_FILE, MAX_KEY_LINE};
use mailsleuth::{Error, KeyStore};

const ED: &str = "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=";

fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mailsleuth-keys-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Run `f` on another thread; fail if it does not finish within 20 s.
fn within_20s<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(Duration::from_secs(20))
        .expect("finished without hanging")
}

fn load(path: &Path) -> mailsleuth::Result<(mailsleuth::auth::keys::LoadReport, usize)> {
    let path = path.to_path_buf();
    within_20s(move || {
        let mut ks = KeyStore::new();
        ks.load_file(&path).map(|r| (r, ks.len()))
    })
}

#[cfg(unix)]
#[test]
fn devices_and_fifos_are_refused_at_once() {
    for dev in ["/dev/zero", "/dev/urandom"] {
        if !Path::new(dev).exists() {
            continue;
        }
        let e = load(Path::new(dev)).unwrap_err();
        let text = e.to_string();
        assert!(
            text.starts_with(dev) && text.contains("character device"),
            "{text}"
        );
    }
    let dir = temp("fifo");
    let fifo = dir.join("keys.keymap");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .is_ok_and(|s| s.success());
    if made {
        let text = load(&fifo).unwrap_err().to_string();
        assert!(
            text.contains("keys.keymap") && text.contains("FIFO"),
            "{text}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn an_overlong_line_is_a_problem_shown_by_its_first_bytes_and_the_rest_loads() {
    let dir = temp("long");
    let path = dir.join("keys.keymap");
    let mut f = std::fs::File::create(&path).unwrap();
    writeln!(f, "a._domainkey.example.org {ED}").unwrap();
    // A line four times the limit, without whitespace (once taken whole as a key name).
    f.write_all(&vec![b'x'; 4 * MAX_KEY_LINE]).unwrap();
    writeln!(f).unwrap();
    // A line just under the limit: read, and its name not repeated whole.
    f.write_all(&vec![b'y'; MAX_KEY_LINE - 10]).unwrap();
    writeln!(f).unwrap();
    writeln!(f, "b._domainkey.example.org {ED}").unwrap();
    drop(f);
    let (report, stored) = load(&path).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!((report.loaded, stored), (2, 2));
    assert_eq!(report.problems.len(), 2, "{:?}", report.problems);
    let long = report.problems[0].to_string();
    assert!(long.contains("keys.keymap:2"), "{long}");
    assert!(
        long.contains(&format!("{} bytes", 4 * MAX_KEY_LINE)),
        "{long}"
    );
    assert!(long.contains(&"x".repeat(40)) && !long.contains(&"x".repeat(41)));
    let under = report.problems[1].to_string();
    assert!(under.contains("keys.keymap:3"), "{under}");
    assert!(under.len() < 600, "{} bytes", under.len());
}

#[test]
fn a_file_past_the_size_limit_is_refused_without_loading_anything() {
    let dir = temp("big");
    let path = dir.join("keys.keymap");
    let f = std::fs::File::create(&path).unwrap();
    // Sparse: no data written, the size alone is over the limit.
    f.set_len(MAX_KEY_FILE + 1).unwrap();
    drop(f);
    let e = load(&path).unwrap_err();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(matches!(e, Error::KeyFile { .. }), "{e}");
    assert!(e.to_string().contains("larger than"), "{e}");
}

#[test]
fn a_stream_past_the_size_limit_is_refused_and_nothing_is_loaded() {
    // Valid lines first, then an endless run of zero bytes without a line ending.
    let mut ks = KeyStore::new();
    let valid = format!("a._domainkey.example.org {ED}\n").into_bytes();
    let input = std::io::Read::chain(std::io::Cursor::new(valid), std::io::repeat(0));
    let e = within_20s(move || {
        let r = ks.load_reader(input, "stream");
        (r.map(|_| ()), ks.len())
    });
    let (result, stored) = e;
    let e = result.unwrap_err();
    assert!(e.to_string().contains("larger than"), "{e}");
    assert_eq!(stored, 0, "nothing is loaded on an error");
}

#[cfg(target_os = "linux")]
#[test]
fn keys_from_a_process_substitution_path_load() {
    use std::os::fd::AsRawFd;
    let (reader, mut writer) = std::io::pipe().unwrap();
    let path = PathBuf::from(format!("/dev/fd/{}", reader.as_raw_fd()));
    let writing = std::thread::spawn(move || {
        writeln!(writer, "# piped\na._domainkey.example.org {ED}").unwrap();
    });
    let (report, stored) = load(&path).unwrap();
    writing.join().unwrap();
    drop(reader);
    assert_eq!((report.loaded, stored), (1, 1));
}

#[test]
fn binary_and_non_utf8_files_are_errors_naming_the_line() {
    let mut ks = KeyStore::new();
    let e = ks
        .load_reader(&b"# ok\n\x00\x00\n"[..], "bin.keys")
        .unwrap_err();
    assert!(matches!(e, Error::KeyFile { line: 2, .. }), "{e}");
    let e = ks
        .load_reader(&b"# ok\n# ok\nx \xff\n"[..], "latin.keys")
        .unwrap_err();
    assert!(matches!(e, Error::KeyFile { line: 3, .. }), "{e}");
    assert!(ks.is_empty());
}

#[test]
fn reading_line_by_line_agrees_with_parsing_the_text() {
    let text = format!(
        "# archive\r\n\na._domainkey.example.org {ED}\r\nbad line\nb._domainkey.example.org. 300 IN TXT \"{ED}\" valid-until=2020-01-01\nlast._domainkey.example.org {ED}"
    );
    let mut read = KeyStore::new();
    let from_reader = read.load_reader(text.as_bytes(), "k").unwrap();
    let mut parsed = KeyStore::new();
    let from_text = parsed.parse_str(&text, "k");
    assert_eq!(from_reader, from_text);
    assert_eq!(read.to_archive_string(), parsed.to_archive_string());
    assert_eq!(from_reader.loaded, 3);
}
