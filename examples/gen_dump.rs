//! Write a realistic synthetic mbox dump with a fixed seed (the generator of the benches).
//!
//! ```text
//! cargo run --release --example gen_dump -- [--seed N] [--bench] [--max-body BYTES]
//!     [--multipart PERCENT] [--signed PERCENT [--tampered PERCENT] [--keymap FILE]]
//!     SIZE[K|M|G] OUT
//! ```
//!
//! `--max-body` and `--multipart` override the profile's largest body and share of multipart
//! messages (e.g. `--max-body 8192 --multipart 0` for a dump of many small messages).
//! `--bench` uses the criterion corpus's profile (bodies up to a few hundred KB); the default
//! is the comparison profile of `benches/compare.sh` (bodies up to several MB). The same seed,
//! profile, options and size give the same bytes on every machine. Prints what was written on
//! stderr (`messages=N bytes=B message_bytes=L quoted_lines=Q multipart=M`, where `L` is the
//! sum of the messages' stored lengths as the `length` field of a scan report counts them),
//! and `-` as OUT writes to stdout.
//!
//! Without `--signed`, 40 % of the messages carry a DKIM-Signature with random `bh=` and `b=`
//! (the bytes are the same as before the option existed). With `--signed PERCENT`, that share
//! of the messages carries a real DKIM-Signature of its From domain, made with the project's
//! test keys (`examples/data/keys/`, signer `mailsleuth_testkit::signer`), and the others none.
//! Every choice comes from the seed: key (RSA-2048 70 % over two keys, RSA-1024 15 %,
//! Ed25519 15 %), canonicalization (relaxed/relaxed 70 %, simple/simple 20 %, relaxed/simple
//! 10 %), `l=` (5 %, the whole canonical body). `--tampered PERCENT` (default 4) of the signed
//! messages are altered after signing, half in the body (one letter of the first words
//! changed: `body-modified`), half in the signed Subject (one letter of a word
//! upper-cased: `headers-modified`). Signatures are computed over the CRLF form of the stored bytes
//! (quoted `>From ` lines included), which is what a verifier reading the mbox sees once it
//! turns LF into CRLF. The public keys go to a keymap (`--keymap FILE`, default `OUT.keymap`;
//! the format of `examples/data/keys.keymap`, one line per selector and domain used), and the
//! counts to stderr: `signed=S tampered_body=TB tampered_header=TH expected_pass=P` and the
//! signatures per key and canonicalization.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::io::{BufWriter, Write};
use std::process::ExitCode;
use std::rc::Rc;

use mailsleuth_testkit::dumpgen;
use mailsleuth_testkit::signer::{self, Canon, PrivateKey, Spec};

const USAGE: &str = "usage: gen_dump [--seed N] [--bench] [--max-body BYTES] [--multipart PERCENT] [--signed PERCENT [--tampered PERCENT] [--keymap FILE]] SIZE[K|M|G] OUT";

fn parse_size(s: &str) -> Option<u64> {
    let (digits, unit) = match s.as_bytes().last()? {
        b'K' | b'k' => (&s[..s.len() - 1], 1 << 10),
        b'M' | b'm' => (&s[..s.len() - 1], 1 << 20),
        b'G' | b'g' => (&s[..s.len() - 1], 1 << 30),
        _ => (s, 1),
    };
    digits.parse::<u64>().ok()?.checked_mul(unit)
}

/// The test keys signatures are made with: selector (the same under every domain), PEM, and
/// what the counts call it.
const KEYS: [(&str, &str, &str); 4] = [
    (
        "s2048a",
        include_str!("data/keys/campaign-google-2017.pem"),
        "rsa-2048",
    ),
    (
        "s2048b",
        include_str!("data/keys/mail-20161025.pem"),
        "rsa-2048",
    ),
    ("s1024", include_str!("data/keys/news-mc1.pem"), "rsa-1024"),
    (
        "ed",
        include_str!("data/keys/partner-ed2017.pem"),
        "ed25519",
    ),
];

/// Header fields every signature covers (absent ones sign their absence).
const SIGNED_HEADERS: &[&str] = &[
    "from",
    "to",
    "cc",
    "subject",
    "date",
    "message-id",
    "mime-version",
    "content-type",
    "content-transfer-encoding",
    "reply-to",
];

/// What the signer did, read after the dump is written.
#[derive(Default)]
struct Counts {
    signed: u64,
    tampered_body: u64,
    tampered_header: u64,
    with_length: u64,
    /// By key and canonicalization.
    kinds: BTreeMap<String, u64>,
    /// Key records used: name -> TXT value.
    records: BTreeMap<String, String>,
}

struct DumpSigner {
    keys: Vec<(&'static str, PrivateKey, &'static str)>,
    tampered_percent: u64,
    counts: Rc<RefCell<Counts>>,
}

impl DumpSigner {
    fn new(tampered_percent: u64, counts: Rc<RefCell<Counts>>) -> Result<Self, String> {
        let mut keys = Vec::new();
        for (selector, pem, kind) in KEYS {
            keys.push((selector, PrivateKey::from_pem(pem)?, kind));
        }
        Ok(DumpSigner {
            keys,
            tampered_percent,
            counts,
        })
    }
}

/// Header fields of `block` (`Name: value` lines with `\n` folding) as (name, value after
/// `: `, folding kept, final `\n` dropped).
fn fields(block: &[u8]) -> Vec<(String, String)> {
    let text = String::from_utf8_lossy(block);
    let mut out: Vec<(String, String)> = Vec::new();
    for line in text.split_inclusive('\n') {
        if line.starts_with([' ', '\t']) {
            if let Some(last) = out.last_mut() {
                last.1.push('\n');
                last.1.push_str(line.trim_end_matches('\n'));
            }
        } else if let Some((name, value)) = line.split_once(':') {
            let value = value.strip_prefix(' ').unwrap_or(value);
            out.push((name.to_string(), value.trim_end_matches('\n').to_string()));
        }
    }
    out
}

/// Unix time of the generator's `Date:` value (`Tue, 2 Jan 1998 17:58:26 -0800`).
fn date_value(value: &str) -> Option<i64> {
    let date = mail_parser::DateTime::parse_rfc822(value)?;
    date.is_valid().then(|| date.to_timestamp())
}

impl dumpgen::Signer for DumpSigner {
    fn sign(&mut self, msg: &mut Vec<u8>, site: dumpgen::SignSite, choice: u64) {
        let headers = fields(&msg[site.fields_start..site.header_end]);
        let get = |name: &str| {
            headers
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.as_str())
        };
        let from = get("From").unwrap_or("<nobody@example.com>");
        let domain = from
            .rsplit('@')
            .next()
            .unwrap_or("example.com")
            .trim_end_matches('>')
            .to_ascii_lowercase();
        // Signed when the message was written: the Date (the generator's Received hops carry
        // the same time, so t= is never after a hop added later).
        let time = get("Date").and_then(date_value).unwrap_or(1_000_000_000);
        let roll = |shift: u32| (choice >> shift) % 100;
        let key = match roll(0) {
            0..40 => 0,
            40..70 => 1,
            70..85 => 2,
            _ => 3,
        };
        let (header_canon, body_canon) = match roll(8) {
            0..70 => (Canon::Relaxed, Canon::Relaxed),
            70..90 => (Canon::Simple, Canon::Simple),
            _ => (Canon::Relaxed, Canon::Simple),
        };
        let body_length = roll(16) < 5;
        let tamper = roll(24) < self.tampered_percent;
        let tamper_body = roll(32) < 50;
        let (selector, private, kind) = &self.keys[key];
        // The body exactly as stored (the trailing mbox empty line is not there yet).
        let body = String::from_utf8_lossy(&msg[site.header_end + 1..]).into_owned();
        let value = signer::sign(
            &headers,
            &body,
            &Spec {
                domain: &domain,
                selector,
                key: private,
                header_canon,
                body_canon,
                headers: SIGNED_HEADERS,
                time,
                expires: None,
                body_length,
            },
        );
        let field = format!("DKIM-Signature: {value}\n");
        msg.splice(site.at..site.at, field.bytes());
        let shift = field.len();
        let mut counts = self.counts.borrow_mut();
        counts.signed += 1;
        counts.with_length += u64::from(body_length);
        *counts
            .kinds
            .entry(format!(
                "{kind} {}/{}",
                header_canon.name(),
                body_canon.name()
            ))
            .or_default() += 1;
        counts
            .records
            .entry(format!("{selector}._domainkey.{domain}"))
            .or_insert_with(|| private.public_record(""));
        if !tamper {
            return;
        }
        if tamper_body {
            // Upper-case one letter inside a word near the start of the body (never at a line
            // start: that could make a `From ` line). Relaxed canonicalization keeps case.
            let body_start = site.header_end + 1 + shift;
            let at = (body_start + 1..msg.len())
                .find(|&i| msg[i].is_ascii_lowercase() && msg[i - 1].is_ascii_lowercase());
            if let Some(i) = at {
                msg[i] = msg[i].to_ascii_uppercase();
                counts.tampered_body += 1;
            }
        } else {
            // Edit the signed Subject as a forger would: upper-case one letter inside a word
            // (a tag put in front, like a gateway's `[EXTERNAL] `, is a transit change the
            // verifier proves and reports as such, not a forgery).
            let block = &msg[site.at + shift..site.header_end + shift];
            let subject = block
                .windows(10)
                .position(|w| w == b"\nSubject: ")
                .map(|p| site.at + shift + p + 10);
            let end = site.header_end + shift;
            let at = subject.and_then(|pos| {
                (pos + 1..end)
                    .find(|&i| msg[i].is_ascii_lowercase() && msg[i - 1].is_ascii_lowercase())
            });
            if let Some(i) = at {
                msg[i] = msg[i].to_ascii_uppercase();
                counts.tampered_header += 1;
            }
        }
    }
}

fn main() -> ExitCode {
    let mut seed = 1u64;
    let mut bench = false;
    let mut max_body = None;
    let mut multipart = None;
    let mut signed = None;
    let mut tampered = 4u64;
    let mut keymap = None;
    let mut positional = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--seed" => match args.next().and_then(|v| v.parse().ok()) {
                Some(v) => seed = v,
                None => {
                    eprintln!("gen_dump: --seed needs a number\n{USAGE}");
                    return ExitCode::from(2);
                }
            },
            "--bench" => bench = true,
            "--max-body" => match args.next().as_deref().and_then(parse_size) {
                Some(v) => max_body = Some(v.max(2048) as usize),
                None => {
                    eprintln!("gen_dump: --max-body needs a size\n{USAGE}");
                    return ExitCode::from(2);
                }
            },
            "--multipart" => match args.next().and_then(|v| v.parse().ok()) {
                Some(v) => multipart = Some(v),
                None => {
                    eprintln!("gen_dump: --multipart needs a percentage\n{USAGE}");
                    return ExitCode::from(2);
                }
            },
            "--signed" => match args.next().and_then(|v| v.parse::<u32>().ok()) {
                Some(v) if v <= 100 => signed = Some(v),
                _ => {
                    eprintln!("gen_dump: --signed needs a percentage\n{USAGE}");
                    return ExitCode::from(2);
                }
            },
            "--tampered" => match args.next().and_then(|v| v.parse::<u64>().ok()) {
                Some(v) if v <= 100 => tampered = v,
                _ => {
                    eprintln!("gen_dump: --tampered needs a percentage\n{USAGE}");
                    return ExitCode::from(2);
                }
            },
            "--keymap" => match args.next() {
                Some(v) => keymap = Some(v),
                None => {
                    eprintln!("gen_dump: --keymap needs a file\n{USAGE}");
                    return ExitCode::from(2);
                }
            },
            "-h" | "--help" => {
                eprintln!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            _ => positional.push(a),
        }
    }
    let [size, out] = positional.as_slice() else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    let Some(size) = parse_size(size) else {
        eprintln!("gen_dump: bad size {size}\n{USAGE}");
        return ExitCode::from(2);
    };
    let mut profile = if bench {
        dumpgen::Profile {
            seed,
            ..dumpgen::Profile::bench(size)
        }
    } else {
        dumpgen::Profile::compare(size, seed)
    };
    if let Some(m) = max_body {
        profile.max_body = m;
    }
    if let Some(p) = multipart {
        profile.multipart_percent = p;
    }
    profile.signed_percent = signed;
    let keymap = match (signed, keymap) {
        (None, _) => None,
        (Some(_), Some(k)) => Some(k),
        (Some(_), None) if out != "-" => Some(format!("{out}.keymap")),
        (Some(_), None) => {
            eprintln!("gen_dump: --signed with OUT `-` needs --keymap FILE\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let counts = Rc::new(RefCell::new(Counts::default()));
    let mut generator = dumpgen::Generator::new(profile);
    if signed.is_some() {
        match DumpSigner::new(tampered, Rc::clone(&counts)) {
            Ok(s) => generator = generator.with_signer(Box::new(s)),
            Err(e) => {
                eprintln!("gen_dump: test key: {e}");
                return ExitCode::from(1);
            }
        }
    }
    let result = if out == "-" {
        let stdout = std::io::stdout();
        let mut w = BufWriter::with_capacity(1 << 20, stdout.lock());
        generator
            .write_dump(&mut w)
            .and_then(|s| w.flush().map(|()| s))
    } else {
        std::fs::File::create(out).and_then(|f| {
            let mut w = BufWriter::with_capacity(1 << 20, f);
            generator
                .write_dump(&mut w)
                .and_then(|s| w.flush().map(|()| s))
        })
    };
    let s = match result {
        Ok(s) => s,
        Err(e) => {
            eprintln!("gen_dump: {out}: {e}");
            return ExitCode::from(1);
        }
    };
    eprintln!(
        "messages={} bytes={} message_bytes={} quoted_lines={} multipart={}",
        s.messages, s.bytes, s.message_bytes, s.quoted_lines, s.multipart
    );
    if let Some(keymap) = keymap {
        let c = counts.borrow();
        let mut text = format!(
            "# Public halves of the test keys (examples/data/keys/) that sign the generated dump {out}\n\
             # (examples/gen_dump.rs, seed {seed}). Format: examples/data/keys.keymap.\n"
        );
        for (name, record) in &c.records {
            text.push_str(&format!("{name} {record}\n"));
        }
        if let Err(e) = std::fs::write(&keymap, text) {
            eprintln!("gen_dump: {keymap}: {e}");
            return ExitCode::from(1);
        }
        let tampered = c.tampered_body + c.tampered_header;
        eprintln!(
            "signed={} tampered_body={} tampered_header={} expected_pass={} with_l={} keymap={keymap}",
            c.signed,
            c.tampered_body,
            c.tampered_header,
            c.signed - tampered,
            c.with_length
        );
        let kinds: Vec<String> = c.kinds.iter().map(|(k, v)| format!("{k}: {v}")).collect();
        eprintln!("signatures: {}", kinds.join(", "));
    }
    ExitCode::SUCCESS
}
