//! The crate's example programs, run by the integration tests.

use std::path::Path;
use std::process::Command;

/// A command that runs example `name` of the crate: the binary `cargo test` built beside the
/// test binaries when it is there, else `cargo run --example name --` from the crate root.
/// Arguments added to the command go to the example.
pub fn example(name: &str) -> Command {
    let built = std::env::current_exe()
        .ok()
        .as_deref()
        .and_then(Path::parent)
        .and_then(Path::parent)
        .map(|dir| {
            dir.join("examples")
                .join(format!("{name}{}", std::env::consts::EXE_SUFFIX))
        });
    match built {
        Some(path) if path.exists() => Command::new(path),
        _ => {
            let mut c = Command::new(env!("CARGO"));
            c.args(["run", "--quiet", "--example", name, "--"]);
            c.current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("../.."));
            c
        }
    }
}
