//! Count the messages of an mbox with mail-parser's own `mailbox::mbox::MessageIterator`, the
//! peer `benches/compare.sh` measures the reader against. It copies every message into a
//! `Vec`, splits on every line starting with `From ` and gives no byte offsets.
//!
//! ```text
//! cargo run --release --example mailparser_count -- PATH
//! ```

use std::io::BufReader;
use std::process::ExitCode;

use mail_parser::mailbox::mbox::MessageIterator;

fn main() -> ExitCode {
    let Some(path) = std::env::args_os().nth(1) else {
        eprintln!("usage: mailparser_count PATH");
        return ExitCode::from(2);
    };
    let file = match std::fs::File::open(&path) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("mailparser_count: {}: {e}", path.to_string_lossy());
            return ExitCode::from(1);
        }
    };
    let (mut messages, mut bytes) = (0u64, 0u64);
    for message in MessageIterator::new(BufReader::with_capacity(1 << 20, file)) {
        match message {
            Ok(m) => {
                messages += 1;
                bytes += m.contents().len() as u64;
            }
            Err(e) => {
                eprintln!("mailparser_count: read: {e}");
                return ExitCode::from(1);
            }
        }
    }
    println!("{messages} messages, {bytes} content bytes");
    ExitCode::SUCCESS
}
