//! The bundled sample dump (`examples/data`, written by `examples/make_sample.rs`): where its
//! files are, and the verdicts its manifest expects.

use std::path::PathBuf;

/// `examples/data`: the sample dump `sample.mbox`, its keys (`keys/`, `keys.keymap`) and its
/// manifest `MANIFEST.md`.
pub fn data_dir() -> PathBuf {
    crate::repo_root().join("examples/data")
}

/// The verdict `MANIFEST.md` gives each message of the sample, in dump order (the first
/// word of the last column of every numbered row).
pub fn manifest_verdicts() -> Vec<String> {
    let manifest = std::fs::read_to_string(data_dir().join("MANIFEST.md")).expect("manifest");
    manifest
        .lines()
        .filter(|l| {
            l.starts_with("| ")
                && l.split('|')
                    .nth(1)
                    .is_some_and(|c| c.trim().parse::<usize>().is_ok())
        })
        .filter_map(|l| {
            let last = l.trim_end_matches('|').rsplit('|').next()?;
            last.split_whitespace().next().map(str::to_string)
        })
        .collect()
}
