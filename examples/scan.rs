//! Scan email dumps and print one JSON object per message (JSON Lines) on stdout, and a
//! summary on stderr.
//!
//! ```text
//! cargo run --release --example scan                      # the bundled sample dump
//! cargo run --release --example scan -- PATH...           # mbox, .eml, maildir or folders
//! cargo run --release --example scan -- - < dump.mbox     # standard input (streaming)
//! cargo run --release --example scan -- --count-only PATH # split and index headers only
//! ```
//!
//! Exit status: 0 when the scan completed, 1 when an input or message could not be read
//! (everything else is still scanned), 2 for bad usage.

use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use std::io::IsTerminal;

use mailsleuth::auth::{AsOf, KeyStore};
use mailsleuth::{
    Entry, HeaderBuf, Headers, Input, PendingVerdict, Progress, Reader, Scanner, Summary, Verdict,
};

struct Options {
    paths: Vec<PathBuf>,
    count_only: bool,
    streaming: bool,
    buffer_size: Option<usize>,
    max_message_size: Option<u64>,
    keys: Vec<PathBuf>,
    as_of: Option<i64>,
}

const USAGE: &str = "usage: scan [--keys FILE]... [--as-of TIME] [--count-only] [--stream] [--buffer-size BYTES] [--max-message-size BYTES] [PATH|-]...";

/// A time as RFC 3339, RFC 5322 or Unix seconds.
fn parse_time(text: &str) -> Option<i64> {
    if let Ok(secs) = text.parse::<i64>() {
        return Some(secs);
    }
    let dt = mail_parser::DateTime::parse_rfc3339(text)
        .or_else(|| mail_parser::DateTime::parse_rfc822(text))?;
    dt.is_valid().then(|| dt.to_timestamp())
}

fn parse_args() -> Result<Options, String> {
    let mut o = Options {
        paths: Vec::new(),
        count_only: false,
        streaming: false,
        buffer_size: None,
        max_message_size: None,
        keys: Vec::new(),
        as_of: None,
    };
    let mut args = std::env::args_os().skip(1);
    while let Some(arg) = args.next() {
        let number = |v: Option<std::ffi::OsString>, name: &str| -> Result<u64, String> {
            v.and_then(|v| v.to_str()?.parse().ok())
                .ok_or_else(|| format!("{name} needs a number of bytes"))
        };
        match arg.to_str() {
            Some("--count-only") => o.count_only = true,
            Some("--stream") => o.streaming = true,
            Some("--buffer-size") => {
                o.buffer_size = Some(number(args.next(), "--buffer-size")? as usize)
            }
            Some("--max-message-size") => {
                o.max_message_size = Some(number(args.next(), "--max-message-size")?)
            }
            Some("--keys") => o.keys.push(
                args.next()
                    .map(PathBuf::from)
                    .ok_or("--keys needs a file")?,
            ),
            Some("--as-of") => {
                let t = args
                    .next()
                    .and_then(|v| v.into_string().ok())
                    .ok_or("--as-of needs a time")?;
                o.as_of = Some(parse_time(&t).ok_or_else(|| {
                    format!("--as-of: cannot read {t:?} (RFC 3339, RFC 5322 or Unix seconds)")
                })?);
            }
            Some("-h" | "--help") => return Err(String::new()),
            Some(s) if s.starts_with("--") => return Err(format!("unknown option {s}")),
            _ => o.paths.push(PathBuf::from(arg)),
        }
    }
    if o.paths.is_empty() {
        // The bundled sample dump, with its keys.
        let data = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/data");
        o.paths.push(data.join("sample.mbox"));
        if o.keys.is_empty() {
            o.keys.push(data.join("keys.keymap"));
        }
    }
    Ok(o)
}

fn main() -> ExitCode {
    let options = match parse_args() {
        Ok(o) => o,
        Err(e) => {
            if !e.is_empty() {
                eprintln!("scan: {e}");
            }
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    let mut reader = Reader::new();
    if let Some(n) = options.buffer_size {
        reader = reader.buffer_size(n);
    }
    if let Some(n) = options.max_message_size {
        reader = reader.max_message_size(n);
    }
    if options.streaming {
        reader = reader.memory_map(false);
    }
    let stdout = std::io::stdout();
    let mut out = BufWriter::with_capacity(1 << 16, stdout.lock());
    if options.count_only {
        return count_only(&reader, &options, &mut out);
    }
    let mut keys = KeyStore::new();
    for file in &options.keys {
        match keys.load_file(file) {
            Ok(report) => {
                for problem in &report.problems {
                    eprintln!("scan: {problem}");
                }
            }
            Err(e) => {
                eprintln!("scan: {e}");
                return ExitCode::from(2);
            }
        }
    }
    let mut builder = Scanner::builder().reader(reader).keys(keys);
    if let Some(t) = options.as_of {
        builder = builder.as_of(AsOf::Fixed(t));
    }
    if std::io::stderr().is_terminal() {
        builder = builder.progress(draw_progress);
    }
    let scanner = builder.build();
    let inputs: Vec<Input> = options.paths.iter().map(Input::from).collect();
    let mut scan = scanner.scan(inputs);
    let mut failed = false;
    // The dump-wide pass (duplicate Message-IDs, replies to missing messages, ...) can add
    // findings and change a verdict, so no line is final before the whole dump is read. Each
    // report's line waits in a temporary file; memory keeps only what decides its verdict
    // (`PendingVerdict` without its findings, which the file has). The few lines the pass
    // amends are read back, completed and rewritten on the way out.
    let mut spill = match Spill::create() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("scan: temporary file: {e}");
            return ExitCode::from(1);
        }
    };
    let mut pending: Vec<PendingVerdict> = Vec::new();
    for item in scan.by_ref() {
        match item {
            Ok(mut report) => {
                let line = match serde_json::to_string(&report) {
                    Ok(l) => l,
                    Err(e) => {
                        eprintln!("scan: message {}: {e}", report.index);
                        failed = true;
                        continue;
                    }
                };
                if let Err(e) = spill.push(&line) {
                    eprintln!("scan: temporary file: {e}");
                    return ExitCode::from(1);
                }
                // The findings are in the line; what stays in memory is without them.
                report.findings = Vec::new();
                pending.push(report.pending());
            }
            Err(e) => {
                eprintln!("scan: {e}");
                failed = true;
            }
        }
    }
    if std::io::stderr().is_terminal() {
        eprint!("\r\x1b[K");
    }
    let (mut summary, dump) = scan.finish();
    let trusted = scanner.trusted_sealer_names();
    let mut lines = match spill.rewind() {
        Ok(h) => h,
        Err(e) => {
            eprintln!("scan: temporary file: {e}");
            return ExitCode::from(1);
        }
    };
    let mut table = Vec::new();
    let mut listed = 0usize;
    for mut verdict in pending {
        let line = match lines.next() {
            Some(Ok(l)) => l,
            Some(Err(e)) => {
                eprintln!("scan: temporary file: {e}");
                return ExitCode::from(1);
            }
            None => {
                eprintln!("scan: temporary file: a report is missing");
                return ExitCode::from(1);
            }
        };
        let more = dump.get(&verdict.index);
        let shown = matches!(verdict.verdict, Verdict::Tampered | Verdict::Suspicious);
        if more.is_none() && !shown {
            if let Err(e) = writeln!(out, "{line}") {
                return broken_pipe(e);
            }
            continue;
        }
        let mut parsed = match Parsed::of(&line) {
            Ok(p) => p,
            Err(e) => {
                eprintln!("scan: message {}: {e}", verdict.index);
                failed = true;
                continue;
            }
        };
        verdict.findings = std::mem::take(&mut parsed.findings);
        let line = match more {
            Some(more) => {
                let before = verdict.clone();
                verdict.amend(more.iter().cloned(), &trusted);
                summary.amended(&before, &verdict);
                match (line.rfind(",\"findings\":["), verdict.json_tail()) {
                    (Some(cut), Ok(tail)) => format!("{}{tail}", &line[..cut]),
                    _ => {
                        eprintln!("scan: message {}: cannot amend its report", verdict.index);
                        failed = true;
                        line
                    }
                }
            }
            None => line,
        };
        if let Err(e) = writeln!(out, "{line}") {
            return broken_pipe(e);
        }
        if matches!(verdict.verdict, Verdict::Tampered | Verdict::Suspicious) {
            listed += 1;
            if table.len() < EVIDENCE_ROWS {
                table.push((verdict, parsed));
            }
        }
    }
    if let Err(e) = out.flush() {
        return broken_pipe(e);
    }
    print_summary(&summary);
    print_evidence(&table, listed);
    if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// What the evidence table shows of a message, read back from its JSON line.
struct Parsed {
    subject: String,
    source: String,
    offset: u64,
    findings: Vec<mailsleuth::Finding>,
}

impl Parsed {
    fn of(line: &str) -> serde_json::Result<Parsed> {
        let mut v: serde_json::Value = serde_json::from_str(line)?;
        Ok(Parsed {
            subject: v["subject"]
                .as_str()
                .unwrap_or("(no subject)")
                .chars()
                .take(40)
                .collect(),
            source: v["source"].as_str().unwrap_or_default().to_string(),
            offset: v["offset"].as_u64().unwrap_or_default(),
            findings: serde_json::from_value(v["findings"].take())?,
        })
    }
}

/// Report lines in a temporary file, in order.
struct Spill {
    path: PathBuf,
    file: BufWriter<std::fs::File>,
}

impl Spill {
    fn create() -> std::io::Result<Spill> {
        let dir = std::env::temp_dir();
        let mut n = 0u32;
        loop {
            let path = dir.join(format!("mailsleuth-scan-{}-{n}.jsonl", std::process::id()));
            match std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .create_new(true)
                .open(&path)
            {
                Ok(file) => {
                    return Ok(Spill {
                        path,
                        file: BufWriter::with_capacity(1 << 16, file),
                    });
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && n < 1000 => n += 1,
                Err(e) => return Err(e),
            }
        }
    }

    fn push(&mut self, line: &str) -> std::io::Result<()> {
        self.file.write_all(line.as_bytes())?;
        self.file.write_all(b"\n")
    }

    /// The lines in order (the file is removed once opened for reading).
    fn rewind(mut self) -> std::io::Result<impl Iterator<Item = std::io::Result<String>>> {
        use std::io::{BufRead, Seek};
        self.file.flush()?;
        let mut file = self.file.get_ref().try_clone()?;
        file.seek(std::io::SeekFrom::Start(0))?;
        Ok(std::io::BufReader::with_capacity(1 << 16, file).lines())
    }
}

impl Drop for Spill {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// How many messages the evidence table lists (the JSON output has them all).
const EVIDENCE_ROWS: usize = 50;

/// For each tampered or suspicious message (the first `EVIDENCE_ROWS` of `listed`): its
/// verdict and the findings that decided it, with their evidence spans.
fn print_evidence(rows: &[(PendingVerdict, Parsed)], listed: usize) {
    if rows.is_empty() {
        return;
    }
    let stderr = std::io::stderr();
    let mut err = BufWriter::new(stderr.lock());
    let _ = writeln!(err);
    let _ = writeln!(
        err,
        "{:>5}  {:<10}  {:<40}  evidence",
        "index", "verdict", "subject"
    );
    for (v, row) in rows {
        let _ = writeln!(
            err,
            "{:>5}  {:<10}  {:<40}  {} @{}",
            v.index,
            v.verdict.as_str(),
            row.subject,
            row.source,
            row.offset
        );
        for f in v.verdict_because.iter().filter_map(|&i| v.findings.get(i)) {
            let spans: Vec<String> = f
                .evidence
                .iter()
                .take(3)
                .map(|s| format!("[{}, {})", s.start, s.end))
                .collect();
            let _ = writeln!(
                err,
                "{:>19}{:<6} {}: {} {}",
                "",
                f.severity.as_str(),
                f.code.as_str(),
                f.detail,
                spans.join(" ")
            );
        }
    }
    if listed > rows.len() {
        let _ = writeln!(
            err,
            "... and {} more tampered or suspicious messages: see the JSON output.",
            listed - rows.len()
        );
    }
}

/// Split and index headers only: the reading speed test.
fn count_only(reader: &Reader, options: &Options, out: &mut impl Write) -> ExitCode {
    let mut summary = Summary::default();
    let mut failed = false;
    let mut header_buf = HeaderBuf::new();
    let mut header_fields = 0u64;
    for path in &options.paths {
        let entries = reader.open(path);
        for entry in entries {
            match entry {
                Ok(Entry::Message(m)) => {
                    summary.bytes += m.extent().len();
                    let headers = Headers::parse_reusing(m.bytes(), m.offset(), header_buf);
                    header_fields += headers.len() as u64;
                    header_buf = headers.recycle();
                    summary.messages += 1;
                }
                Ok(Entry::Gap(g)) => summary.bytes += g.span.len(),
                Err(e) => {
                    eprintln!("scan: {e}");
                    failed = true;
                }
            }
        }
    }
    if let Err(e) = writeln!(
        out,
        "{} messages, {} header fields, {} bytes",
        summary.messages, header_fields, summary.bytes
    ) {
        return broken_pipe(e);
    }
    if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn draw_progress(p: Progress) {
    let done = p.bytes_done as f64 / (1024.0 * 1024.0);
    match p.bytes_total {
        Some(total) if total > 0 => {
            let frac = p.bytes_done as f64 / total as f64;
            let width = 30;
            let filled = ((frac * width as f64) as usize).min(width);
            eprint!(
                "\r[{}{}] {:5.1}% {:.0} MiB, {} messages",
                "#".repeat(filled),
                " ".repeat(width - filled),
                frac * 100.0,
                done,
                p.messages
            );
        }
        _ => eprint!("\r{:.0} MiB, {} messages", done, p.messages),
    }
}

fn broken_pipe(e: std::io::Error) -> ExitCode {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        ExitCode::SUCCESS
    } else {
        eprintln!("scan: writing output: {e}");
        ExitCode::from(1)
    }
}

fn print_summary(s: &Summary) {
    eprintln!("scanned {} messages in {} bytes", s.messages, s.bytes);
    if !s.formats.is_empty() {
        let formats: Vec<String> = s.formats.iter().map(|(k, v)| format!("{k} {v}")).collect();
        eprintln!("  formats: {}", formats.join(", "));
    }
    if !s.anomalies.is_empty() {
        let anomalies: Vec<String> = s
            .anomalies
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect();
        eprintln!("  reader anomalies: {}", anomalies.join(", "));
    }
    if s.gaps > 0 {
        eprintln!(
            "  {} gaps ({} bytes) belong to no message",
            s.gaps, s.gap_bytes
        );
    }
    if !s.errors.is_empty() {
        eprintln!(
            "  {} inputs or messages could not be read (see above)",
            s.errors.len()
        );
    }
    if !s.verdicts.is_empty() {
        let verdicts: Vec<String> = s.verdicts.iter().map(|(k, v)| format!("{k} {v}")).collect();
        eprintln!("  verdicts: {}", verdicts.join(", "));
    }
    if !s.findings.is_empty() {
        let mut codes: Vec<(&String, &u64)> = s.findings.iter().collect();
        codes.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        let top: Vec<String> = codes
            .iter()
            .take(10)
            .map(|(k, v)| format!("{k} {v}"))
            .collect();
        eprintln!("  most frequent findings (messages): {}", top.join(", "));
    }
}
