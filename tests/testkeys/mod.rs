//! Test helper: the committed test keys (`tests/data/keys`), shared by the DKIM and ARC tests
//! and the `auth` bench (`#[path]`).
#![allow(dead_code)]

use std::path::PathBuf;

/// `tests/data/keys`: private keys as PEM, public halves in `pub.txt`.
pub fn keys_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/keys")
}

/// The base64 public key (`p=` value) of the key file `name` (`rsa2048`, `ed25519`, ...).
pub fn public(name: &str) -> String {
    let text = std::fs::read_to_string(keys_dir().join("pub.txt")).expect("pub.txt");
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{name} ")))
        .expect("key listed in pub.txt")
        .to_string()
}
