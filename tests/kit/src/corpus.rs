//! Where the shared reference corpus is: real leaked mail and its archived keys, MimeKit's
//! offset ground truth, Mail::Box mailboxes, the ValiMail ARC suite. It lives outside the
//! repository; the tests over it are `#[ignore]` and find it through the environment
//! variable `MAILSLEUTH_CORPUS`:
//!
//! ```text
//! MAILSLEUTH_CORPUS=/path/to/corpus cargo test -- --ignored
//! ```
//!
//! A corpus test starts with
//!
//! ```ignore
//! let Some(corpus) = mailsleuth_testkit::corpus::corpus_or_skip() else { return };
//! ```

use std::io::Write;
use std::path::PathBuf;

/// The environment variable that names the corpus directory.
pub const VAR: &str = "MAILSLEUTH_CORPUS";

/// The corpus directory named by `MAILSLEUTH_CORPUS`, or `None` when the variable is unset
/// or empty. Panics when it names something that is not a directory: a test asked to run over
/// the corpus must not pass without reading it.
#[track_caller]
pub fn corpus() -> Option<PathBuf> {
    let dir = PathBuf::from(std::env::var_os(VAR).filter(|v| !v.is_empty())?);
    assert!(
        dir.is_dir(),
        "{VAR}={} is not a directory: point it at the shared reference corpus",
        dir.display()
    );
    Some(dir)
}

/// [`corpus`] for a test: when `MAILSLEUTH_CORPUS` is unset, says on stderr that the test is
/// skipped and why, and returns `None` (the test then returns without checking anything).
///
/// The message names the test (the test harness names each test's thread after it) and is
/// written to the process's stderr in one piece, not with `eprintln!`, which the harness
/// captures and shows only for failing tests.
#[track_caller]
pub fn corpus_or_skip() -> Option<PathBuf> {
    let dir = corpus();
    if dir.is_none() {
        let at = std::panic::Location::caller();
        let thread = std::thread::current();
        let line = format!(
            "{} skipped ({}:{}): {VAR} is not set; run `{VAR}=/path/to/corpus cargo test -- --ignored`\n",
            thread.name().unwrap_or("test"),
            at.file(),
            at.line()
        );
        let _ = std::io::stderr().write_all(line.as_bytes());
    }
    dir
}
