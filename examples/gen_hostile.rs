//! Write the hostile inputs of issue 10 (one per row of its table) into a folder, for
//! `benches/hostile.sh`:
//!
//! ```text
//! cargo run --release --example gen_hostile -- OUT_DIR [SCALE]   # SCALE 1.0: the issue's sizes
//! ```
//!
//! Each row gives `NAME.mbox` (`NAME.zip` for the zip input) and, when it needs keys,
//! `NAME.keymap`.

use std::path::PathBuf;

fn main() -> std::io::Result<()> {
    let mut args = std::env::args_os().skip(1);
    let dir = PathBuf::from(args.next().unwrap_or_else(|| "target/hostile".into()));
    let scale: f64 = args
        .next()
        .and_then(|s| s.to_str()?.parse().ok())
        .unwrap_or(1.0);
    std::fs::create_dir_all(&dir)?;
    for (name, input) in mailsleuth_testkit::hostile::rows(scale) {
        let ext = if name == "zip-input-entries" {
            "zip"
        } else {
            "mbox"
        };
        std::fs::write(dir.join(format!("{name}.{ext}")), &input.dump)?;
        if !input.keymap.is_empty() {
            std::fs::write(dir.join(format!("{name}.keymap")), &input.keymap)?;
        }
        println!("{name} {}", input.dump.len());
    }
    Ok(())
}
