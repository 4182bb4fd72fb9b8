//! `scan --html FILE`: the JSON Lines stay as they are, and the page has every message and
//! the evidence of the flagged ones, read back from the file or kept from standard input.

#![cfg(feature = "html")]

#[allow(dead_code)]
use mailsleuth_testkit::sample;

use std::io::Write;
use std::process::{Command, Stdio};

use serde_json::Value;

fn scan() -> Command {
    mailsleuth_testkit::examples::example("scan")
}

fn between<'a>(text: &'a str, start: &str, end: &str) -> &'a str {
    let from = text
        .find(start)
        .unwrap_or_else(|| panic!("{start:?} in the page"))
        + start.len();
    let len = text[from..]
        .find(end)
        .unwrap_or_else(|| panic!("{end:?} after {start:?}"));
    &text[from..from + len]
}

fn section(page: &str, index: u64) -> Option<&str> {
    let start = format!("<section class=\"ev\" id=\"m{index}\"");
    page.contains(&start)
        .then(|| between(page, &start, "</section>"))
}

#[test]
fn the_sample_s_report_beside_unchanged_json() {
    let data = sample::data_dir();
    let dir = tempfile::tempdir().expect("a temporary folder");
    let html = dir.path().join("r.html");
    let keys = data.join("keys.keymap");
    let mbox = data.join("sample.mbox");
    let plain = scan()
        .arg("--keys")
        .arg(&keys)
        .arg(&mbox)
        .output()
        .expect("scan runs");
    let with = scan()
        .arg("--keys")
        .arg(&keys)
        .arg("--html")
        .arg(&html)
        .arg(&mbox)
        .output()
        .expect("scan runs");
    assert!(
        with.status.success(),
        "{}",
        String::from_utf8_lossy(&with.stderr)
    );
    assert_eq!(plain.stdout, with.stdout, "the JSON Lines do not change");
    let page = std::fs::read_to_string(&html).expect("the page");
    let reports: Vec<Value> = String::from_utf8(with.stdout)
        .expect("UTF-8")
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON"))
        .collect();
    assert_eq!(reports.len(), 26);
    let data: Value = serde_json::from_str(between(
        &page,
        "<script type=\"application/json\" id=\"data\">",
        "</script>",
    ))
    .expect("data block");
    assert_eq!(data["rows"].as_array().map(Vec::len), Some(26));
    for r in &reports {
        let index = r["index"].as_u64().expect("index");
        let verdict = r["verdict"].as_str().expect("verdict");
        let ev = section(&page, index);
        match verdict {
            "tampered" | "suspicious" => {
                let ev = ev.unwrap_or_else(|| panic!("evidence of {index}"));
                assert!(ev.contains("(the bytes below have this hash)"), "{index}");
                assert!(ev.contains(r["sha256"].as_str().expect("sha256")));
            }
            _ => assert!(ev.is_none(), "{index}"),
        }
    }
    // How it was made.
    assert!(page.contains("--html"));
    assert!(page.contains(&format!("mailsleuth {}", env!("CARGO_PKG_VERSION"))));
    assert!(page.contains("keys.keymap:6"));
}

#[test]
fn standard_input_keeps_the_bytes_of_messages_flagged_as_they_pass() {
    let data = sample::data_dir();
    let dir = tempfile::tempdir().expect("a temporary folder");
    let html = dir.path().join("r.html");
    let dump = std::fs::read(data.join("sample.mbox")).expect("the sample");
    let mut child = scan()
        .arg("--keys")
        .arg(data.join("keys.keymap"))
        .arg("--html")
        .arg(&html)
        .arg("-")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("scan runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(&dump)
        .expect("dump written");
    let out = child.wait_with_output().expect("scan ends");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let page = std::fs::read_to_string(&html).expect("the page");
    // Message 11 is tampered on its own: its bytes were kept as they passed.
    let eleven = section(&page, 11).expect("evidence of 11");
    assert!(eleven.contains("<mark"));
    assert!(eleven.contains("<code>- @ 22375</code>"));
    // Message 16 becomes suspicious only in the dump-wide pass, when its bytes are gone.
    let sixteen = section(&page, 16).expect("evidence of 16");
    assert!(sixteen.contains("were not available"));
    assert!(sixteen.contains("duplicate-message-id"));
    assert!(page.contains("folder or stream"));
}

#[test]
fn html_with_count_only_is_bad_usage() {
    let out = scan()
        .args(["--count-only", "--html", "r.html", "x.mbox"])
        .output()
        .expect("scan runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--html"));
}
