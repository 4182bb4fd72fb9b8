//! Development kit of mailsleuth: the code that the integration tests (`tests/*.rs`), the
//! benches (`benches/*.rs`) and the examples (`examples/*.rs`) share. It is never published
//! (`publish = false`) and nothing in the library depends on it.
//!
//! | module | what |
//! |---|---|
//! | [`signer`] | a deterministic DKIM signer (fixed `t=` and `x=`), canonicalization, base64 |
//! | [`docx`] | a minimal Word document with chosen metadata, and a STORED zip writer |
//! | [`offline`] | mail-auth's own verifier run offline, as a reference: a TXT cache, `block_on` |
//! | [`keys`] | the committed test keys of `tests/data/keys` |
//! | [`corpus`] | where the shared reference corpus is (`MAILSLEUTH_CORPUS`) |
//! | [`dumpgen`] | a deterministic generator of realistic mbox dumps |
//! | [`readpst`] | `readpst` (Debian `pst-utils`) as a reference reader of PST files |
//! | [`entries`] | a normal form of reader entries, read every way and compared |
//! | [`hostile`] | the hostile inputs of issue 10, one generator per row, at any size |
//! | [`sample`] | the bundled sample dump's files and the verdicts its manifest expects |
//! | [`routes`] | messages with a chosen route of `Received` hops and times (clock checks) |
//!
//! # Where it can be used
//!
//! The root package lists the kit as a path dev-dependency, and the kit depends on
//! `mailsleuth` for the types of its entry normal form. Cargo allows this cycle through a
//! dev-dependency: an integration test, a bench or an example links the library once, and the
//! kit links that same build of it, so a `mailsleuth::Reader` made by a test and one handled by
//! the kit are one type.
//!
//! The library's own unit tests (`#[cfg(test)]` modules under `src/`) must not use the kit.
//! There the library is compiled a second time, with `--test`, as the crate under test, while
//! the kit is still linked against the ordinary build of `mailsleuth`: the two builds' types
//! have the same names but are different types (a `Span` of one is not a `Span` of the other),
//! and anything passed between them fails to compile: "expected `mailsleuth::Span`, found
//! `Span`", with the note "there are multiple different versions of crate `mailsleuth` in the
//! dependency graph".
//!
//! The kit depends on `mailsleuth` without its default features, so that it never switches on
//! a feature of the crate under test (features of one package unify across a build).
//!
//! The fuzz crate (`fuzz/`, its own workspace) does not use the kit: its targets are built
//! with instrumentation for every dependency, and its reader helpers compare entries in a form
//! of their own (lengths and hashes instead of bytes, the reader's own anomaly types, messages
//! over the size limit as items).
//!
//! Paths: the kit finds the repository's files (`tests/data/keys`, `examples/data`) from its
//! own location, [`repo_root`], so they are the same whoever calls it.

#![deny(missing_docs)]

pub mod corpus;
pub mod docx;
pub mod dumpgen;
pub mod entries;
pub mod examples;
pub mod hostile;
pub mod keys;
pub mod lists;
pub mod offline;
pub mod readpst;
pub mod routes;
pub mod sample;
pub mod signer;

use std::path::{Path, PathBuf};

/// The root of the repository (the directory of the root `Cargo.toml`), two levels above the
/// kit's own manifest (`tests/kit`).
pub fn repo_root() -> PathBuf {
    let kit = Path::new(env!("CARGO_MANIFEST_DIR"));
    kit.parent()
        .and_then(Path::parent)
        .expect("the kit lives at tests/kit")
        .to_path_buf()
}
