//! `readpst` (Debian `pst-utils`, libpst), a reference reader of Outlook PST files for the
//! opt-in tests over the shared corpus: the messages it writes for a store, each as the bytes
//! of one RFC 5322 message.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Every message `readpst -e` writes for the store at `pst` (one `.eml` file per message, in
/// a folder per store folder), in path order. Panics with the reason when `readpst` is not
/// installed or fails: a test that asks for it must not pass without it.
pub fn messages(pst: &Path) -> Vec<Vec<u8>> {
    static RUN: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "mailsleuth-readpst-{}-{}",
        std::process::id(),
        RUN.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temporary folder");
    let status = Command::new("readpst")
        .arg("-e")
        .arg("-q")
        .arg("-o")
        .arg(&dir)
        .arg(pst)
        .status()
        .unwrap_or_else(|e| panic!("readpst (Debian package pst-utils) is needed: {e}"));
    assert!(status.success(), "readpst failed on {}", pst.display());
    let mut files: Vec<PathBuf> = Vec::new();
    let mut folders = vec![dir.clone()];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).expect("readpst output") {
            let path = entry.expect("readpst output").path();
            if path.is_dir() {
                folders.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files.sort();
    let out = files
        .iter()
        .map(|f| std::fs::read(f).expect("readpst output"))
        .collect();
    let _ = std::fs::remove_dir_all(&dir);
    out
}
