//! The committed test keys (`tests/data/keys`) of the DKIM and ARC tests and the `auth`
//! bench. (The sample dump's keys are under `examples/data/keys`, see [`crate::sample`].)

use std::path::PathBuf;

/// `tests/data/keys`: private keys as PEM, public halves in `pub.txt`.
pub fn keys_dir() -> PathBuf {
    crate::repo_root().join("tests/data/keys")
}

/// The base64 public key (`p=` value) of the key file `name` (`rsa2048`, `ed25519`, ...).
pub fn public(name: &str) -> String {
    let text = std::fs::read_to_string(keys_dir().join("pub.txt")).expect("pub.txt");
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{name} ")))
        .expect("key listed in pub.txt")
        .to_string()
}
