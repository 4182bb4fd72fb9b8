//! Scan email dumps and print one JSON object per message (JSON Lines) on stdout, and a
//! summary on stderr.
//!
//! ```text
//! cargo run --release --example scan                      # the bundled sample dump
//! cargo run --release --example scan -- PATH...           # mbox, .eml, maildir or folders
//! cargo run --release --example scan -- leak.zip dump.mbox.xz boss.pst Messages/
//!                                                         # archives, compressed dumps,
//!                                                         # Outlook and Apple Mail files
//! cargo run --release --example scan -- - < dump.mbox     # standard input
//! cargo run --release --example scan -- - < dump.mbox.gz  # compressed input is recognised
//! cargo run --release --example scan -- <(xzcat d.mbox.xz) # process substitution
//! cargo run --release --example scan -- --count-only PATH # split and index headers only
//! cargo run --release --example scan -- --mmap PATH       # memory map (files that cannot change)
//! cargo run --release --example scan -- --html report.html PATH  # and an HTML report
//! ```
//!
//! Files are streamed by default; `--mmap` maps them instead, which is a little faster on
//! some machines but kills the process (SIGBUS) if a file is truncated while it is read, so it
//! is only for files that cannot change. `--stream` is accepted and is the default.
//!
//! Standard input is recognised by its first bytes (gzip, xz, bzip2, zstd, tar); a zip, a PST
//! or an MSG file needs random access and is read from standard input only when it fits the
//! reader's buffer (256 MiB): give larger ones as files. `--rebuild-partial` also reports each
//! Apple Mail `.partial.emlx` rebuilt from its attachment folder (as a reconstructed message,
//! after the stored one).
//!
//! `--html FILE` also writes one self-contained HTML report of the scan (the library's
//! `html` feature): timeline, verdicts, senders, a message table and the evidence of every
//! flagged message on its bytes, which are read back from the source file by offset (for
//! standard input, the bytes of messages flagged before the dump-wide pass are kept as they
//! pass, within the evidence budget).
//!
//! `--recover-keys FILE` recovers the RSA keys of selectors no `--keys` archive holds from
//! the dump's own signatures (two or more under one name; `mailsleuth::auth::recover`), marks
//! the signatures that verify against them (`key_source: "recovered from N signatures"`,
//! result still `no-key`) and flags those that do not (`dkim-recovered-key-mismatch`), and
//! writes the keys to FILE as a key archive, each after a comment naming the messages it came
//! from (`#index source @offset`). A 2048-bit key takes a minute or more.
//!
//! Exit status: 0 when the scan completed, 1 when an input or message could not be read, an
//! input changed while it was read, or a non-empty input gave no message (everything else is
//! still scanned; the reason is on stderr), 2 for bad usage.

use std::collections::{HashMap, VecDeque};
use std::io::{BufRead, BufWriter, IsTerminal, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use mailsleuth::auth::{AsOf, KeyStore};
use mailsleuth::html::HtmlReport;
use mailsleuth::{
    Analyzer, Entry, Finished, Input, Progress, Reader, Report, Scanner, Summary, Timestamp,
    Verdict,
};

struct Options {
    paths: Vec<PathBuf>,
    count_only: bool,
    mmap: bool,
    buffer_size: Option<usize>,
    max_message_size: Option<u64>,
    keys: Vec<PathBuf>,
    as_of: Option<Timestamp>,
    html: Option<PathBuf>,
    rebuild_partial: bool,
    recover_keys: Option<PathBuf>,
}

const USAGE: &str = "usage: scan [--keys FILE]... [--as-of TIME] [--html FILE] [--recover-keys FILE] [--count-only] [--mmap | --stream] [--rebuild-partial] [--buffer-size BYTES] [--max-message-size BYTES] [PATH|-]...";

/// Write a line to stderr, with control characters escaped (file names and message text
/// come from the dump and must not drive the terminal), ignoring a closed stderr.
macro_rules! say {
    ($($arg:tt)*) => {{
        let line = printable(&format!($($arg)*));
        let _ = writeln!(std::io::stderr(), "{line}");
    }};
}

/// `text` with every control character but tab written as an escape (`\u{1b}`).
fn printable(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() && c != '\t' {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    out
}

fn parse_args() -> Result<Options, String> {
    let mut o = Options {
        paths: Vec::new(),
        count_only: false,
        mmap: false,
        buffer_size: None,
        max_message_size: None,
        keys: Vec::new(),
        as_of: None,
        html: None,
        rebuild_partial: false,
        recover_keys: None,
    };
    let mut args = std::env::args_os().skip(1);
    while let Some(arg) = args.next() {
        let number = |v: Option<std::ffi::OsString>, name: &str| -> Result<u64, String> {
            v.and_then(|v| v.to_str()?.parse().ok())
                .ok_or_else(|| format!("{name} needs a number of bytes"))
        };
        match arg.to_str() {
            Some("--count-only") => o.count_only = true,
            Some("--stream") => o.mmap = false,
            Some("--mmap") => o.mmap = true,
            Some("--rebuild-partial") => o.rebuild_partial = true,
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
                o.as_of = Some(Timestamp::parse(&t).ok_or_else(|| {
                    format!(
                        "--as-of: cannot read {t:?} (RFC 3339, RFC 5322 or Unix seconds, between the years 1 and 9999)"
                    )
                })?);
            }
            Some("--html") => {
                o.html = Some(
                    args.next()
                        .map(PathBuf::from)
                        .ok_or("--html needs a file")?,
                )
            }
            Some("--recover-keys") => {
                o.recover_keys = Some(
                    args.next()
                        .map(PathBuf::from)
                        .ok_or("--recover-keys needs a file")?,
                )
            }
            Some("-h" | "--help") => return Err(String::new()),
            Some(s) if s.starts_with("--") => return Err(format!("unknown option {s}")),
            _ => o.paths.push(PathBuf::from(arg)),
        }
    }
    if o.count_only && o.html.is_some() {
        return Err("--html needs a scan, not --count-only".to_string());
    }
    if o.count_only && o.recover_keys.is_some() {
        return Err("--recover-keys needs a scan, not --count-only".to_string());
    }
    if o.paths.is_empty() {
        // The bundled sample dump, with its keys (named relative to the current folder when
        // it is inside, as reports then name it).
        let data = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/data");
        let data = std::env::current_dir()
            .ok()
            .and_then(|cwd| data.strip_prefix(cwd).ok().map(PathBuf::from))
            .unwrap_or(data);
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
                say!("scan: {e}");
            }
            say!("{USAGE}");
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
    reader = reader.memory_map(options.mmap);
    if options.rebuild_partial {
        reader = reader.rebuild_partial_emlx(true);
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
                    say!("scan: {problem}");
                }
            }
            Err(e) => {
                say!("scan: {e}");
                return ExitCode::from(2);
            }
        }
    }
    let mut analyzer = Analyzer::new(keys);
    if let Some(t) = options.as_of {
        analyzer = analyzer.as_of(AsOf::Fixed(t));
    }
    // Each report's JSON line is rendered on the thread that analysed it; this thread only
    // spools and writes lines.
    let mut scanner = Scanner::new(analyzer)
        .reader(reader)
        .recover_keys(options.recover_keys.is_some())
        .json_lines(true);
    let progress = std::io::stderr().is_terminal();
    if progress {
        scanner = scanner.progress(draw_progress);
    }
    // With --html, standard input is read through a window that keeps its latest bytes, so
    // that the evidence of messages flagged as they pass can show them.
    let recent = Arc::new(Mutex::new(Recent::new(RECENT_BYTES)));
    let keep_stdin = options.html.as_ref().map(|_| &recent);
    let mut watched = Watched::new(&options.paths);
    let inputs: Vec<Input> = options
        .paths
        .iter()
        .map(|p| watched.input(p, keep_stdin))
        .collect();
    let mut page = options
        .html
        .as_ref()
        .map(|_| html_report(&options, scanner.analyzer().keys()));
    let mut kept = Kept::default();
    let mut scan = scanner.scan(inputs);
    let mut failed = false;
    // The dump-wide pass (duplicate Message-IDs, replies to missing messages, ...) can add
    // findings and change a verdict, so no line is final before the whole dump is read. Each
    // report waits in the spool as its JSON line; the finished scan then applies itself to
    // the few reports it amends on the way out.
    let mut spool = Spool::new();
    for item in scan.by_ref() {
        match item {
            Ok(report) => {
                watched.count(&report.source);
                if let Err(e) = spool.push(&report) {
                    say!("scan: message {}: {e}", report.index);
                    return ExitCode::from(1);
                }
                if let Some(page) = &mut page {
                    // Flagged messages come back with the replay, final; the others are final
                    // unless the dump-wide pass amends them (then they come back too).
                    if !flagged(report.verdict) {
                        page.add(&report, None);
                    } else if report.source == "-" && page.wants_bytes(&report) {
                        kept.keep(&report, &recent);
                    }
                }
            }
            Err(e) => {
                say!("scan: {e}");
                failed = true;
            }
        }
    }
    if progress {
        let _ = write!(std::io::stderr(), "\r\x1b[K");
    }
    let finished = scan.finish();
    let mut table = Vec::new();
    let mut listed = 0usize;
    let mut sources = Sources::default();
    let written = spool.replay(&finished, |report, line| {
        writeln!(out, "{line}")?;
        if let (Some(page), Some(report)) = (&mut page, &report) {
            let bytes = match kept.take(report.index) {
                Some(b) => Some(b),
                None if page.wants_bytes(report) => sources.read(report),
                None => None,
            };
            page.add(report, bytes.as_deref());
        }
        if let Some(report) = report.filter(|r| flagged(r.verdict)) {
            listed += 1;
            if table.len() < EVIDENCE_ROWS {
                table.push(report);
            }
        }
        Ok(())
    });
    if let Err(e) = written.and_then(|()| out.flush()) {
        return broken_pipe(e);
    }
    print_summary(finished.summary());
    print_evidence(&table, listed);
    if let Some(path) = &options.recover_keys
        && let Err(e) = write_recovered(&finished, path)
    {
        say!("scan: --recover-keys {}: {e}", path.display());
        return ExitCode::from(1);
    }
    if let (Some(page), Some(path)) = (&page, &options.html) {
        match page.write_file(finished.summary(), path) {
            Ok(()) => say!("wrote the HTML report {}", path.display()),
            Err(e) => {
                say!("scan: {e}");
                return ExitCode::from(1);
            }
        }
    }
    if watched.report_empty() {
        failed = true;
    }
    if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// The inputs given as files or streams, to tell when a non-empty one gave no message.
struct Watched {
    /// Messages per input (by the name reports give it), and for a stream the bytes read.
    inputs: HashMap<String, (u64, Option<Arc<AtomicU64>>)>,
    order: Vec<PathBuf>,
}

/// Whether `path` names a stream a shell hands over (`<(command)`, standard input).
fn is_stream_path(path: &Path) -> bool {
    let s = path.to_string_lossy();
    s == "-"
        || s == "/dev/stdin"
        || ["/dev/fd/", "/proc/self/fd/"].iter().any(|p| {
            s.strip_prefix(p)
                .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        })
}

/// A `Read` that counts the bytes it hands out.
struct Counting<R> {
    inner: R,
    count: Arc<AtomicU64>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

impl Watched {
    fn new(paths: &[PathBuf]) -> Watched {
        Watched {
            inputs: HashMap::new(),
            order: paths.to_vec(),
        }
    }

    /// The scan input for `path`: standard input and stream paths are read through a byte
    /// counter (their size is not known beforehand).
    /// With `keep`, standard input also passes through the window of recent bytes.
    fn input(&mut self, path: &PathBuf, keep: Option<&Arc<Mutex<Recent>>>) -> Input {
        let name = path.display().to_string();
        let stream = is_stream_path(path)
            && (path == Path::new("-") || std::fs::metadata(path).is_ok_and(|m| !m.is_file()));
        if !stream {
            self.inputs.entry(name).or_insert((0, None));
            return Input::from(path);
        }
        let count = Arc::new(AtomicU64::new(0));
        self.inputs.insert(name, (0, Some(Arc::clone(&count))));
        let reader: Box<dyn Read + Send> = if path == Path::new("-") {
            match keep {
                Some(recent) => Box::new(Counting {
                    inner: KeepRecent {
                        inner: std::io::stdin(),
                        recent: Arc::clone(recent),
                    },
                    count,
                }),
                None => Box::new(Counting {
                    inner: std::io::stdin(),
                    count,
                }),
            }
        } else {
            match std::fs::File::open(path) {
                Ok(f) => Box::new(Counting { inner: f, count }),
                // Let the reader report the error.
                Err(_) => return Input::from(path),
            }
        };
        Input::Stream {
            name: path.clone(),
            reader,
        }
    }

    /// Count a message of `source`: an input's name, or for a member of a container, a
    /// compressed stream or a store, the input's name followed by `!` and the member's.
    fn count(&mut self, source: &str) {
        // The inputs are the few paths on the command line: compare with each, whatever
        // the number of `!` in a member's name.
        // The longest name that matches decides (an input may itself hold a `!`).
        let counted = self
            .inputs
            .iter_mut()
            .filter(|(name, _)| {
                source
                    .strip_prefix(name.as_str())
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with('!'))
            })
            .max_by_key(|(name, _)| name.len());
        if let Some((_, (n, _))) = counted {
            *n += 1;
        }
    }

    /// Say which non-empty inputs gave no message; whether there was one.
    fn report_empty(&self) -> bool {
        let mut any = false;
        for path in &self.order {
            let name = path.display().to_string();
            let Some((messages, stream)) = self.inputs.get(&name) else {
                continue;
            };
            if *messages > 0 {
                continue;
            }
            let bytes = match stream {
                Some(count) => count.load(Ordering::Relaxed),
                None => match std::fs::metadata(path) {
                    Ok(m) if m.is_file() => m.len(),
                    _ => 0,
                },
            };
            if bytes > 0 {
                say!(
                    "scan: {name}: no message found in its {bytes} bytes (not mail, or every message failed: see the errors above)"
                );
                any = true;
            }
        }
        any
    }
}

/// Whether the evidence table lists a message of this verdict.
fn flagged(v: Verdict) -> bool {
    matches!(v, Verdict::Tampered | Verdict::Suspicious)
}

/// Reports waiting for the dump-wide pass, as JSON lines: in an unnamed temporary file
/// (created in `$TMPDIR` with owner-only permissions and no name, so nothing is left behind
/// however the process ends), or in memory when no temporary file can be made.
///
/// Each record is the report's index (8 bytes), its verdict (1 byte), the line's length
/// (4 bytes) and the line.
struct Spool {
    file: Option<BufWriter<std::fs::File>>,
    memory: Vec<u8>,
}

impl Spool {
    fn new() -> Spool {
        match tempfile::tempfile() {
            Ok(f) => Spool {
                file: Some(BufWriter::with_capacity(1 << 16, f)),
                memory: Vec::new(),
            },
            Err(e) => {
                say!("scan: no temporary file ({e}): reports wait in memory");
                Spool {
                    file: None,
                    memory: Vec::new(),
                }
            }
        }
    }

    fn push(&mut self, report: &Report) -> std::io::Result<()> {
        let rendered;
        let line = match report.json_line() {
            Some(line) => line,
            None => {
                rendered = serde_json::to_string(report)?;
                rendered.as_str()
            }
        };
        let len = u32::try_from(line.len())
            .map_err(|_| std::io::Error::other("report line over 4 GiB"))?;
        let verdict = Verdict::ALL
            .iter()
            .position(|v| *v == report.verdict)
            .unwrap_or(0) as u8;
        let mut head = [0u8; 13];
        head[..8].copy_from_slice(&report.index.to_le_bytes());
        head[8] = verdict;
        head[9..].copy_from_slice(&len.to_le_bytes());
        match &mut self.file {
            Some(f) => {
                f.write_all(&head)?;
                f.write_all(line.as_bytes())
            }
            None => {
                self.memory.extend_from_slice(&head);
                self.memory.extend_from_slice(line.as_bytes());
                Ok(())
            }
        }
    }

    /// Hand out every line in order, with the finished scan applied: `emit` gets the final
    /// line and, for a tampered or suspicious message or one the finished scan amends, its
    /// final report.
    fn replay(
        self,
        finished: &Finished,
        mut emit: impl FnMut(Option<Report>, &str) -> std::io::Result<()>,
    ) -> std::io::Result<()> {
        let source: Box<dyn BufRead> = match self.file {
            Some(f) => {
                let mut f = f.into_inner().map_err(|e| e.into_error())?;
                f.rewind()?;
                Box::new(std::io::BufReader::with_capacity(1 << 16, f))
            }
            None => Box::new(std::io::Cursor::new(self.memory)),
        };
        let mut source = source;
        let mut head = [0u8; 13];
        let mut line = Vec::new();
        loop {
            match source.read_exact(&mut head) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(()),
                Err(e) => return Err(e),
            }
            let mut index = [0u8; 8];
            index.copy_from_slice(&head[..8]);
            let index = u64::from_le_bytes(index);
            let stored = Verdict::ALL
                .get(usize::from(head[8]))
                .copied()
                .unwrap_or(Verdict::Unverified);
            let mut len = [0u8; 4];
            len.copy_from_slice(&head[9..]);
            line.resize(u32::from_le_bytes(len) as usize, 0);
            source.read_exact(&mut line)?;
            let text = std::str::from_utf8(&line).map_err(std::io::Error::other)?;
            let amendment = finished.amendment(index);
            let verdict = amendment.map_or(stored, |a| a.verdict);
            if amendment.is_none() && !flagged(verdict) {
                emit(None, text)?;
                continue;
            }
            let mut report: Report = serde_json::from_str(text)?;
            finished.apply(&mut report);
            let text = match amendment {
                Some(_) => serde_json::to_string(&report)?,
                None => text.to_string(),
            };
            emit(Some(report), &text)?;
        }
    }
}

/// The HTML report's setup: inputs, keys, as-of policy and the command line.
fn html_report(options: &Options, keys: &KeyStore) -> HtmlReport {
    let mut page = HtmlReport::new()
        .keys(keys)
        .as_of(options.as_of.map_or(AsOf::Receipt, AsOf::Fixed))
        .command_line(command_line());
    for p in &options.paths {
        let size = std::fs::metadata(p)
            .ok()
            .filter(|m| m.is_file())
            .map(|m| m.len());
        page = page.input(p.display().to_string(), size);
    }
    page
}

/// This process's command line, each argument quoted for a POSIX shell where needed.
fn command_line() -> String {
    let args: Vec<String> = std::env::args_os()
        .map(|a| {
            let a = a.to_string_lossy().into_owned();
            let plain = !a.is_empty()
                && a.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_./=:,+@%".contains(&b));
            if plain {
                a
            } else {
                format!("'{}'", a.replace('\'', "'\\''"))
            }
        })
        .collect();
    args.join(" ")
}

/// Bytes of standard input kept behind the reader for the HTML evidence: more than the
/// scan reads ahead of the report it hands out (two batches of 8 MiB and the message).
const RECENT_BYTES: usize = 64 * 1024 * 1024;

/// The latest bytes read from a stream, and the offset of the first.
struct Recent {
    start: u64,
    bytes: VecDeque<u8>,
    cap: usize,
}

impl Recent {
    fn new(cap: usize) -> Recent {
        Recent {
            start: 0,
            bytes: VecDeque::new(),
            cap,
        }
    }

    fn push(&mut self, data: &[u8]) {
        self.bytes.extend(data);
        let over = self.bytes.len().saturating_sub(self.cap);
        if over > 0 {
            self.bytes.drain(..over);
            self.start += over as u64;
        }
    }

    /// Bytes `[offset, offset + len)`, if they are still here.
    fn get(&self, offset: u64, len: u64) -> Option<Vec<u8>> {
        let from = usize::try_from(offset.checked_sub(self.start)?).ok()?;
        let to = from.checked_add(usize::try_from(len).ok()?)?;
        (to <= self.bytes.len()).then(|| self.bytes.range(from..to).copied().collect())
    }
}

/// A reader that copies what it reads into a [`Recent`] window.
struct KeepRecent<R> {
    inner: R,
    recent: Arc<Mutex<Recent>>,
}

impl<R: Read> Read for KeepRecent<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let (Ok(mut recent), Some(data)) = (self.recent.lock(), buf.get(..n)) {
            recent.push(data);
        }
        Ok(n)
    }
}

/// Stored bytes of streamed messages flagged before the dump-wide pass, until the replay
/// hands their final reports to the HTML report; at most the evidence budget in all.
#[derive(Default)]
struct Kept {
    bytes: HashMap<u64, Vec<u8>>,
    total: u64,
}

impl Kept {
    fn keep(&mut self, report: &Report, recent: &Mutex<Recent>) {
        if self.total.saturating_add(report.length) > mailsleuth::html::DEFAULT_EVIDENCE_BUDGET {
            return;
        }
        let bytes = recent
            .lock()
            .ok()
            .and_then(|r| r.get(report.offset, report.length));
        if let Some(b) = bytes {
            self.total += b.len() as u64;
            self.bytes.insert(report.index, b);
        }
    }

    fn take(&mut self, index: u64) -> Option<Vec<u8>> {
        let b = self.bytes.remove(&index)?;
        self.total = self.total.saturating_sub(b.len() as u64);
        Some(b)
    }
}

/// Reads the stored bytes of a message back from its source file, by offset. Keeps the
/// last file open (a mailbox holds many messages; a maildir one each).
#[derive(Default)]
struct Sources {
    open: Option<(String, std::fs::File)>,
    failures: usize,
}

impl Sources {
    /// Messages larger than this are not read back (their evidence lists offsets only).
    const MAX: u64 = 64 * 1024 * 1024;

    fn read(&mut self, report: &Report) -> Option<Vec<u8>> {
        if report.source == "-" || report.length > Self::MAX {
            return None;
        }
        match self.read_at(report) {
            Ok(b) => Some(b),
            Err(e) => {
                self.failures += 1;
                if self.failures <= 5 {
                    say!(
                        "scan: --html: message {} not read back from {} at byte {}: {e}",
                        report.index,
                        report.source,
                        report.offset
                    );
                }
                None
            }
        }
    }

    fn read_at(&mut self, report: &Report) -> std::io::Result<Vec<u8>> {
        if self.open.as_ref().is_none_or(|(s, _)| *s != report.source) {
            let path = Path::new(&report.source);
            if !std::fs::metadata(path)?.is_file() {
                return Err(std::io::Error::other("not a regular file"));
            }
            self.open = Some((report.source.clone(), std::fs::File::open(path)?));
        }
        let Some((_, file)) = &mut self.open else {
            return Err(std::io::Error::other("not open"));
        };
        file.seek(SeekFrom::Start(report.offset))?;
        let mut bytes = vec![0; usize::try_from(report.length).map_err(std::io::Error::other)?];
        file.read_exact(&mut bytes)?;
        Ok(bytes)
    }
}

/// How many messages the evidence table lists (the JSON output has them all).
const EVIDENCE_ROWS: usize = 50;

/// For each tampered or suspicious message (the first `EVIDENCE_ROWS` of `listed`): its
/// verdict and the findings that decided it, with their evidence spans.
fn print_evidence(rows: &[Report], listed: usize) {
    if rows.is_empty() {
        return;
    }
    say!("");
    say!(
        "{:>5}  {:<10}  {:<40}  evidence",
        "index",
        "verdict",
        "subject"
    );
    for r in rows {
        let subject: String = r
            .subject
            .as_deref()
            .unwrap_or("(no subject)")
            .chars()
            .take(40)
            .collect();
        say!(
            "{:>5}  {:<10}  {:<40}  {} @{}",
            r.index,
            r.verdict.as_str(),
            subject,
            r.source,
            r.offset
        );
        for f in r.decisive_findings() {
            let spans: Vec<String> = f
                .evidence
                .iter()
                .take(3)
                .map(|s| format!("[{}, {})", s.start, s.end))
                .collect();
            say!(
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
        say!(
            "... and {} more tampered or suspicious messages: see the JSON output.",
            listed - rows.len()
        );
    }
}

/// Split and index headers only: the reading speed test.
fn count_only(reader: &Reader, options: &Options, out: &mut impl Write) -> ExitCode {
    let mut failed = false;
    let (mut messages, mut bytes, mut header_fields) = (0u64, 0u64, 0u64);
    for path in &options.paths {
        let before = messages;
        for entry in reader.open(path) {
            match entry {
                Ok(Entry::Message(m)) => {
                    bytes += m.extent().len();
                    header_fields += m.headers().len() as u64;
                    messages += 1;
                }
                Ok(Entry::Gap(g)) => bytes += g.span.len(),
                Err(e) => {
                    say!("scan: {e}");
                    failed = true;
                }
            }
        }
        let size = std::fs::metadata(path).map_or(0, |m| if m.is_file() { m.len() } else { 0 });
        if messages == before && size > 0 {
            say!(
                "scan: {}: no message found in its {size} bytes (not mail, or every message failed: see the errors above)",
                path.display()
            );
            failed = true;
        }
    }
    if let Err(e) = writeln!(
        out,
        "{messages} messages, {header_fields} header fields, {bytes} bytes"
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
    let mut err = std::io::stderr();
    let _ = match p.bytes_total {
        Some(total) if total > 0 => {
            let frac = p.bytes_done as f64 / total as f64;
            let width = 30;
            let filled = ((frac * width as f64) as usize).min(width);
            write!(
                err,
                "\r[{}{}] {:5.1}% {:.0} MiB, {} messages",
                "#".repeat(filled),
                " ".repeat(width - filled),
                frac * 100.0,
                done,
                p.messages
            )
        }
        _ => write!(err, "\r{:.0} MiB, {} messages", done, p.messages),
    };
}

fn broken_pipe(e: std::io::Error) -> ExitCode {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        ExitCode::SUCCESS
    } else {
        say!("scan: writing output: {e}");
        ExitCode::from(1)
    }
}

fn print_summary(s: &Summary) {
    fn counts<K: std::fmt::Display>(map: &std::collections::BTreeMap<K, u64>) -> String {
        let parts: Vec<String> = map.iter().map(|(k, v)| format!("{k} {v}")).collect();
        parts.join(", ")
    }
    say!("scanned {} messages in {} bytes", s.messages, s.bytes);
    if !s.formats.is_empty() {
        say!("  formats: {}", counts(&s.formats));
    }
    if !s.anomalies.is_empty() {
        say!("  reader anomalies (messages): {}", counts(&s.anomalies));
    }
    if s.gaps > 0 {
        say!(
            "  {} gaps ({} bytes) belong to no message",
            s.gaps,
            s.gap_bytes
        );
    }
    if !s.errors.is_empty() {
        say!(
            "  {} inputs or messages could not be read or analysed (see above)",
            s.errors.len()
        );
    }
    if !s.verdicts.is_empty() {
        say!("  verdicts: {}", counts(&s.verdicts));
    }
    if !s.findings.is_empty() {
        let mut codes: Vec<_> = s.findings.iter().collect();
        codes.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        let top: Vec<String> = codes
            .iter()
            .take(10)
            .map(|(k, v)| format!("{k} {v}"))
            .collect();
        say!("  most frequent findings (messages): {}", top.join(", "));
    }
}

/// Write the keys recovered from the dump as a key archive that `--keys` (and
/// `KeyStore::from_file`) reads back: for each, a comment naming the messages it came from,
/// then `<selector>._domainkey.<domain> v=DKIM1; k=rsa; p=...`.
fn write_recovered(finished: &Finished, path: &Path) -> std::io::Result<()> {
    let keys = finished.recovered_keys();
    let mut text = String::from(
        "# RSA keys recovered by mailsleuth from signatures of the scanned dump: each shows that\n\
         # the messages listed share one signer, not who it is; compare them with public archives.\n",
    );
    if !mailsleuth::auth::recover::available() {
        text.push_str("# (this build has no big-integer library: nothing recovered)\n");
    }
    for key in keys {
        if let Some(lines) = key.archive_lines() {
            text.push_str(&lines);
        }
    }
    std::fs::write(path, text)?;
    say!(
        "wrote {} recovered key(s) to {}",
        keys.len(),
        path.display()
    );
    if finished.recovery_dropped() > 0 {
        say!(
            "key recovery: {} signatures over the memory budget were neither used nor checked",
            finished.recovery_dropped()
        );
    }
    Ok(())
}
