//! The front door: a [`Scanner`] built once, scanning one or more inputs into per-message
//! [`Report`]s in dump order, then a [`Summary`].
//!
//! Messages are read sequentially (the reader is fast and keeps offsets exact) and analysed in
//! batches, in parallel when the `rayon` feature is on; reports always come out in dump order,
//! whatever the number of threads. A scan can start at a record boundary reported earlier
//! (resume), and a dump can be cut into byte ranges aligned to message boundaries
//! ([`Scanner::shards`]) whose scans concatenate to the scan of the whole dump.

pub mod report;

use std::collections::VecDeque;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;

use std::collections::BTreeMap;

use crate::auth::{AsOf, KeyStore, Verifier};
use crate::checks::dump::{DumpChecks, MessageFacts};
use crate::checks::{self, Config as CheckConfig, Finding};
use crate::error::{Error, Result};
use crate::read::headers::{HeaderBuf, Headers};
use crate::read::message::Message;
use crate::read::{Entries, Entry, Reader};
use crate::scan::report::{Report, Summary};
use crate::span::Span;

/// How far a scan has got, for progress displays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// Bytes of the inputs accounted for so far.
    pub bytes_done: u64,
    /// Total bytes of the inputs, when known (files), else `None` (streams).
    pub bytes_total: Option<u64>,
    /// Messages reported so far.
    pub messages: u64,
}

type ProgressFn = dyn Fn(Progress) + Send + Sync;

/// One input of a scan.
pub enum Input {
    /// A file or folder tree, by path (`-` for standard input).
    Path(PathBuf),
    /// Part of an mbox file: the records that start in `range` (a [`Shard`] or a resume
    /// point). `first_index` is the scan index of the first message in it.
    Range {
        /// The mbox file.
        path: PathBuf,
        /// Byte range; both ends must be record boundaries (or the file's end).
        range: Span,
        /// Index given to the first message of the range.
        first_index: u64,
    },
    /// Bytes in memory, named `name` in reports.
    Bytes {
        /// Name used as the source.
        name: PathBuf,
        /// The dump.
        data: Bytes,
    },
    /// Any byte stream, read in bounded memory.
    Stream {
        /// Name used as the source.
        name: PathBuf,
        /// The stream.
        reader: Box<dyn Read + Send>,
    },
}

impl std::fmt::Debug for Input {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Input::Path(p) => f.debug_tuple("Path").field(p).finish(),
            Input::Range {
                path,
                range,
                first_index,
            } => f
                .debug_struct("Range")
                .field("path", path)
                .field("range", range)
                .field("first_index", first_index)
                .finish(),
            Input::Bytes { name, data } => f
                .debug_struct("Bytes")
                .field("name", name)
                .field("len", &data.len())
                .finish(),
            Input::Stream { name, .. } => f.debug_struct("Stream").field("name", name).finish(),
        }
    }
}

impl<P: AsRef<Path>> From<P> for Input {
    fn from(p: P) -> Self {
        Input::Path(p.as_ref().to_path_buf())
    }
}

/// A part of an mbox file that can be scanned on its own: see [`Scanner::shards`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shard {
    /// The file.
    pub path: PathBuf,
    /// The bytes of the shard: from a record boundary to the next shard's start.
    pub range: Span,
    /// Scan index of the shard's first message.
    pub first_index: u64,
}

impl From<Shard> for Input {
    fn from(s: Shard) -> Self {
        Input::Range {
            path: s.path,
            range: s.range,
            first_index: s.first_index,
        }
    }
}

/// Scans dumps. Build one with [`Scanner::builder`], then call [`Scanner::scan`].
pub struct Scanner {
    reader: Reader,
    keys: Arc<KeyStore>,
    as_of: AsOf,
    checks: CheckConfig,
    trusted_sealers: Vec<String>,
    threads: usize,
    batch_bytes: u64,
    progress: Option<Arc<ProgressFn>>,
}

impl std::fmt::Debug for Scanner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scanner")
            .field("reader", &self.reader)
            .field("threads", &self.threads)
            .finish_non_exhaustive()
    }
}

/// Builds a [`Scanner`].
pub struct ScannerBuilder {
    reader: Reader,
    keys: Arc<KeyStore>,
    as_of: AsOf,
    checks: CheckConfig,
    trusted_sealers: Vec<String>,
    threads: usize,
    batch_bytes: u64,
    progress: Option<Arc<ProgressFn>>,
}

impl Default for ScannerBuilder {
    fn default() -> Self {
        ScannerBuilder {
            reader: Reader::new(),
            keys: Arc::new(KeyStore::new()),
            as_of: AsOf::Receipt,
            checks: CheckConfig::default(),
            trusted_sealers: Vec::new(),
            threads: 0,
            batch_bytes: 8 * 1024 * 1024,
            progress: None,
        }
    }
}

impl ScannerBuilder {
    /// Read inputs with this reader (limits, buffer size).
    pub fn reader(mut self, reader: Reader) -> Self {
        self.reader = reader;
        self
    }

    /// Verify DKIM signatures and ARC chains against these keys (by default an empty store:
    /// every signature is `no-key`).
    pub fn keys(mut self, keys: impl Into<Arc<KeyStore>>) -> Self {
        self.keys = keys.into();
        self
    }

    /// Judge signature times (`x=`, `t=`) as of this time (default: each message's receipt).
    pub fn as_of(mut self, as_of: AsOf) -> Self {
        self.as_of = as_of;
        self
    }

    /// Tolerances of the forgery heuristics.
    pub fn checks(mut self, config: CheckConfig) -> Self {
        self.checks = config;
        self
    }

    /// ARC sealers (domains) whose sealed Authentication-Results are trusted when their chain
    /// verifies (none by default).
    pub fn trusted_sealers(mut self, domains: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.trusted_sealers = domains.into_iter().map(Into::into).collect();
        self
    }

    /// Analyse messages on `n` threads; 0 (the default) uses every core, 1 analyses on the
    /// calling thread. Without the `rayon` feature every scan is sequential.
    pub fn threads(mut self, n: usize) -> Self {
        self.threads = n;
        self
    }

    /// Analyse messages in batches of about `bytes` (default 8 MiB, at least one message per
    /// batch). With a thread pool, two batches are read ahead of the one being handed out;
    /// smaller batches mean less memory in flight, larger ones less coordination.
    pub fn batch_bytes(mut self, bytes: u64) -> Self {
        self.batch_bytes = bytes.max(1);
        self
    }

    /// Call `f` after each batch of messages with the scan's progress.
    pub fn progress(mut self, f: impl Fn(Progress) + Send + Sync + 'static) -> Self {
        self.progress = Some(Arc::new(f));
        self
    }

    /// The scanner.
    pub fn build(self) -> Scanner {
        Scanner {
            reader: self.reader,
            keys: self.keys,
            as_of: self.as_of,
            checks: self.checks,
            trusted_sealers: self.trusted_sealers,
            threads: self.threads,
            batch_bytes: self.batch_bytes,
            progress: self.progress,
        }
    }
}

impl Scanner {
    /// A builder with the defaults: default reader limits, every core.
    pub fn builder() -> ScannerBuilder {
        ScannerBuilder::default()
    }

    /// Scan `inputs` in order. The returned [`Scan`] yields one `Ok(Report)` per message in
    /// dump order and one `Err` per input or message that could not be read (with its path
    /// and offset); [`Scan::summary`] has the counts.
    pub fn scan<I>(&self, inputs: I) -> Scan<'_>
    where
        I: IntoIterator,
        I::Item: Into<Input>,
    {
        let inputs: Vec<Input> = inputs.into_iter().map(Into::into).collect();
        let bytes_total = inputs.iter().try_fold(0u64, |sum, input| {
            let len = match input {
                Input::Path(p) => std::fs::metadata(p)
                    .ok()
                    .filter(|m| m.is_file())
                    .map(|m| m.len()),
                Input::Range { range, .. } => Some(range.len()),
                Input::Bytes { data, .. } => Some(data.len() as u64),
                Input::Stream { .. } => None,
            };
            len.map(|l| sum + l)
        });
        Scan {
            scanner: self,
            inputs: inputs.into(),
            current: None,
            next_index: 0,
            pending: VecDeque::new(),
            ready: VecDeque::new(),
            summary: Summary::default(),
            bytes_total,
            pool: self.pool(),
            job: Arc::new(Job {
                keys: Arc::clone(&self.keys),
                as_of: self.as_of,
                checks: self.checks.clone(),
                trusted: self.trusted_sealers.clone(),
            }),
            dump: DumpChecks::new(self.checks.clone()),
        }
    }

    /// Scan one input and return all reports and the summary (convenient for small dumps).
    ///
    /// The dump-wide findings are merged into the reports and the verdicts decided again.
    pub fn scan_all(&self, input: impl Into<Input>) -> (Vec<Result<Report>>, Summary) {
        let mut scan = self.scan([input.into()]);
        let mut reports: Vec<_> = scan.by_ref().collect();
        let (mut summary, dump) = scan.finish();
        for report in reports.iter_mut().flatten() {
            if let Some(more) = dump.get(&report.index) {
                summary.remove(report);
                report.amend(more.iter().cloned(), &self.trusted_sealer_names());
                summary.add(report);
            }
        }
        (reports, summary)
    }

    /// The trusted ARC sealers as given to [`Report::amend`].
    pub fn trusted_sealer_names(&self) -> Vec<&str> {
        self.trusted_sealers.iter().map(String::as_str).collect()
    }

    /// Cut an mbox file into at most `n` shards of about equal size, each starting at a record
    /// boundary, with the index of its first message. Scanning the shards one after the other
    /// (or in separate processes) gives the same reports as scanning the file. Costs one
    /// reading pass over the file (splitting only).
    pub fn shards(&self, path: impl AsRef<Path>, n: usize) -> Result<Vec<Shard>> {
        let path = path.as_ref();
        let len = std::fs::metadata(path)
            .map_err(|source| Error::Io {
                path: path.to_path_buf(),
                offset: 0,
                source,
            })?
            .len();
        let n = n.max(1) as u64;
        let mut shards = vec![Shard {
            path: path.to_path_buf(),
            range: Span::new(0, len),
            first_index: 0,
        }];
        let mut messages = 0u64;
        for entry in self.reader.open(path) {
            let (start, is_message) = match &entry {
                Ok(Entry::Message(m)) => (m.extent().start, true),
                Ok(Entry::Gap(g)) => (g.span.start, false),
                Err(Error::MessageTooLarge { offset, .. }) => (*offset, false),
                Err(_) => continue,
            };
            let k = shards.len() as u64;
            if k < n && start >= len * k / n && start > 0 {
                if let Some(last) = shards.last_mut() {
                    last.range.end = start;
                }
                shards.push(Shard {
                    path: path.to_path_buf(),
                    range: Span::new(start, len),
                    first_index: messages,
                });
            }
            if is_message {
                messages += 1;
            }
        }
        Ok(shards)
    }

    #[cfg(feature = "rayon")]
    fn pool(&self) -> Option<rayon::ThreadPool> {
        if self.threads == 1 {
            return None;
        }
        rayon::ThreadPoolBuilder::new()
            .num_threads(self.threads)
            .build()
            .ok()
    }

    #[cfg(not(feature = "rayon"))]
    fn pool(&self) -> Option<()> {
        None
    }

    /// The input's entries, its first index and end (ranges), and whether its messages are
    /// slices of one buffer that stays in memory anyway (a memory-mapped mailbox or a
    /// caller's buffer), so that the dump-wide facts may keep zero-copy handles to bodies.
    fn open(&self, input: Input) -> (Entries, u64, Option<u64>, bool) {
        // A mailbox this large is mapped once for all its messages; smaller files (single
        // messages given one by one) are hashed at once, not kept mapped until the end.
        const SHARED_MAP: u64 = 1 << 20;
        let mapped = |p: &Path| {
            self.reader.maps_files()
                && p != Path::new("-")
                && std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.len() >= SHARED_MAP)
        };
        match input {
            Input::Path(p) => {
                let shared = mapped(&p);
                (self.reader.open(&p), 0, None, shared)
            }
            Input::Range {
                path,
                range,
                first_index,
            } => {
                let shared = mapped(&path);
                (
                    self.reader.open_at(&path, range.start),
                    first_index,
                    Some(range.end),
                    shared,
                )
            }
            Input::Bytes { name, data } => (self.reader.read_bytes(name, data), 0, None, true),
            Input::Stream { name, reader } => {
                (self.reader.read_stream(name, reader), 0, None, false)
            }
        }
    }
}

/// What the per-message analysis needs from the scanner.
struct Analysis<'a> {
    verifier: Verifier<'a>,
    checks: &'a CheckConfig,
    trusted: Vec<&'a str>,
}

/// Analyse one message: index its headers once, verify its signatures, run the heuristics,
/// decide a verdict (the dump-wide pass may add findings later), collect its dump facts.
fn analyze(a: &Analysis<'_>, queued: &Queued, buf: HeaderBuf) -> (Report, MessageFacts, HeaderBuf) {
    let Queued {
        index,
        ref message,
        shared,
    } = *queued;
    let headers = Headers::parse_reusing(message.bytes(), message.offset(), buf);
    let mut report = Report::of_message(message, &headers, index);
    let (mut findings, mut facts) = checks::analyze_message(message, &headers, index, a.checks);
    if !shared {
        // A streamed message's buffer must not outlive it: hash the body now.
        facts.body.resolve();
    }
    let signed = headers.iter().any(|f| {
        f.is_named("DKIM-Signature")
            || f.is_named("ARC-Seal")
            || f.is_named("ARC-Message-Signature")
    });
    if signed {
        let auth = a.verifier.verify_indexed(&headers, Some(message.format()));
        let (signatures, arc) = checks::signatures::facts_of(&auth);
        findings.extend(checks::signatures::findings(
            &headers,
            &signatures,
            arc.as_ref(),
            a.checks,
        ));
        facts.set_signers(
            auth.dkim
                .iter()
                .map(|d| (d.domain.as_str(), d.result == crate::auth::DkimResult::Pass)),
        );
        report.dkim = auth.dkim;
        report.arc = auth.arc;
    }
    report.findings = findings;
    checks::sort(&mut report.findings);
    report.decide(&a.trusted);
    (report, facts, headers.recycle())
}

/// A message waiting in a batch.
struct Queued {
    index: u64,
    message: Message,
    /// The message is a slice of a buffer that stays in memory (see [`Scanner::open`]).
    shared: bool,
}

/// What analysing a message needs, owned, so that batches can be analysed on the pool while
/// the scan reads the next one.
struct Job {
    keys: Arc<KeyStore>,
    as_of: AsOf,
    checks: CheckConfig,
    trusted: Vec<String>,
}

impl Job {
    fn analysis(&self) -> Analysis<'_> {
        Analysis {
            verifier: Verifier::new(&self.keys).as_of(self.as_of),
            checks: &self.checks,
            trusted: self.trusted.iter().map(String::as_str).collect(),
        }
    }
}

/// The results of one batch, in batch order.
type Analysed = Vec<(Report, MessageFacts)>;

/// A step of the scan waiting to be handed out, in dump order.
enum Pending {
    /// A batch being analysed on the pool; its results (or its panic) arrive on the channel.
    #[cfg_attr(not(feature = "rayon"), allow(dead_code))]
    Running(
        std::sync::mpsc::Receiver<std::thread::Result<Analysed>>,
        Arc<Vec<Queued>>,
    ),
    /// A batch analysed already (no pool).
    Done(Analysed),
    /// An input or message that could not be read, behind the messages read before it.
    Failed(Error),
}

/// Batches read ahead and analysed while the consumer takes the reports of earlier ones.
const BATCHES_IN_FLIGHT: usize = 2;

/// A scan in progress: an iterator of reports in dump order. See [`Scanner::scan`].
///
/// With a thread pool, the scan reads up to two batches ahead: while the caller consumes the
/// reports of one batch (writing them out, say), the pool analyses the next ones.
pub struct Scan<'s> {
    scanner: &'s Scanner,
    inputs: VecDeque<Input>,
    /// The input being read, where it ends (ranges), and whether its messages share one
    /// buffer that stays in memory.
    current: Option<(Entries, Option<u64>, bool)>,
    next_index: u64,
    pending: VecDeque<Pending>,
    ready: VecDeque<Result<Report>>,
    summary: Summary,
    bytes_total: Option<u64>,
    #[cfg(feature = "rayon")]
    pool: Option<rayon::ThreadPool>,
    #[cfg(not(feature = "rayon"))]
    pool: Option<()>,
    job: Arc<Job>,
    dump: DumpChecks,
}

impl std::fmt::Debug for Scan<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scan")
            .field("summary", &self.summary)
            .finish_non_exhaustive()
    }
}

impl Scan<'_> {
    /// Counts so far (complete once the iterator is exhausted).
    pub fn summary(&self) -> &Summary {
        &self.summary
    }

    /// The summary, consuming the scan.
    pub fn into_summary(self) -> Summary {
        self.summary
    }

    /// Finish the scan: run the dump-wide pass over the facts gathered from every message and
    /// return the summary and the findings it adds, by message index. Merge them with
    /// [`Report::amend`] (as [`Scanner::scan_all`] does), or [`PendingVerdict::amend`](crate::PendingVerdict::amend).
    ///
    /// The pass works on compact facts, not on the dump; the only bytes it reads again are
    /// the bodies of messages whose Message-ID repeats, hashed from the memory map or buffer
    /// that holds them (streamed input was hashed during the scan).
    pub fn finish(mut self) -> (Summary, BTreeMap<u64, Vec<Finding>>) {
        // Batches already read count, as if their reports had been taken.
        while self.take_pending() {}
        let mut dump = self.dump.finish();
        for list in dump.values_mut() {
            checks::sort(list);
        }
        (self.summary, dump)
    }

    /// Read the next batch of messages (up to the batch size, an error, or the end of the
    /// inputs) and queue it for analysis; `false` when every input is done.
    fn read_batch(&mut self) -> bool {
        let mut batch: Vec<Queued> = Vec::new();
        let mut batch_bytes = 0u64;
        let mut failed = None;
        while batch_bytes < self.scanner.batch_bytes && failed.is_none() {
            if self.current.is_none() {
                let Some(input) = self.inputs.pop_front() else {
                    break;
                };
                let (entries, first_index, end, shared) = self.scanner.open(input);
                if end.is_some() {
                    self.next_index = first_index;
                }
                self.current = Some((entries, end, shared));
            }
            let Some((entries, end, shared)) = &mut self.current else {
                break;
            };
            let (end, shared) = (*end, *shared);
            match entries.next() {
                None => self.current = None,
                Some(Ok(Entry::Message(m))) => {
                    if end.is_some_and(|e| m.extent().start >= e) {
                        self.current = None;
                        continue;
                    }
                    self.summary.bytes += m.extent().len();
                    batch_bytes += m.len().max(1024);
                    batch.push(Queued {
                        index: self.next_index,
                        message: m,
                        shared,
                    });
                    self.next_index += 1;
                }
                Some(Ok(Entry::Gap(g))) => {
                    if end.is_some_and(|e| g.span.start >= e) {
                        self.current = None;
                        continue;
                    }
                    self.summary.bytes += g.span.len();
                    self.summary.gaps += 1;
                    self.summary.gap_bytes += g.span.len();
                }
                Some(Err(e)) => {
                    if let Error::MessageTooLarge { offset, length, .. } = &e {
                        if end.is_some_and(|end| *offset >= end) {
                            self.current = None;
                            continue;
                        }
                        self.summary.bytes += length;
                    }
                    self.summary.errors.push(e.to_string());
                    failed = Some(e);
                }
            }
        }
        let read = !batch.is_empty() || failed.is_some();
        if !batch.is_empty() {
            let step = self.start(batch);
            self.pending.push_back(step);
        }
        if let Some(e) = failed {
            self.pending.push_back(Pending::Failed(e));
        }
        read || self.current.is_some() || !self.inputs.is_empty()
    }

    /// Start analysing a batch: on the pool when there is one (the results come later),
    /// else now.
    #[cfg(feature = "rayon")]
    fn start(&self, batch: Vec<Queued>) -> Pending {
        use rayon::prelude::*;
        match &self.pool {
            Some(pool) => {
                let (tx, rx) = std::sync::mpsc::sync_channel(1);
                let job = Arc::clone(&self.job);
                let batch = Arc::new(batch);
                let shared = Arc::clone(&batch);
                pool.spawn(move || {
                    let analysed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        let analysis = job.analysis();
                        shared
                            .par_iter()
                            .map_init(HeaderBuf::new, |buf, q| {
                                let (report, facts, back) =
                                    analyze(&analysis, q, std::mem::take(buf));
                                *buf = back;
                                (report, facts)
                            })
                            .collect()
                    }));
                    // The scan may have been dropped; then nobody waits for the results.
                    let _ = tx.send(analysed);
                });
                Pending::Running(rx, batch)
            }
            None => Pending::Done(sequential(&self.job.analysis(), &batch)),
        }
    }

    #[cfg(not(feature = "rayon"))]
    fn start(&self, batch: Vec<Queued>) -> Pending {
        Pending::Done(sequential(&self.job.analysis(), &batch))
    }

    /// Hand out the oldest pending step: its reports (counted in the summary, their facts
    /// kept for the dump-wide pass) or its error. `false` when nothing was pending.
    fn take_pending(&mut self) -> bool {
        let Some(step) = self.pending.pop_front() else {
            return false;
        };
        let analysed = match step {
            Pending::Done(a) => a,
            Pending::Running(rx, batch) => match rx.recv() {
                Ok(Ok(a)) => a,
                Ok(Err(panic)) => std::panic::resume_unwind(panic),
                // The pool dropped the job without running it (it cannot while the scan owns
                // the pool): analyse the batch here rather than lose its messages.
                Err(_) => sequential(&self.job.analysis(), &batch),
            },
            Pending::Failed(e) => {
                self.ready.push_back(Err(e));
                return true;
            }
        };
        for (report, facts) in analysed {
            self.summary.add(&report);
            self.dump.add(facts);
            self.ready.push_back(Ok(report));
        }
        if let Some(progress) = &self.scanner.progress {
            progress(Progress {
                bytes_done: self.summary.bytes,
                bytes_total: self.bytes_total,
                messages: self.summary.messages,
            });
        }
        true
    }

    /// Keep up to [`BATCHES_IN_FLIGHT`] batches read ahead, then hand out the oldest;
    /// `false` when the scan is over.
    fn fill(&mut self) -> bool {
        let ahead = if self.pool.is_some() {
            BATCHES_IN_FLIGHT
        } else {
            1
        };
        let mut more = true;
        while self.pending.len() < ahead && more {
            more = self.read_batch();
        }
        self.take_pending() || more || !self.pending.is_empty()
    }
}

fn sequential(analysis: &Analysis<'_>, batch: &[Queued]) -> Analysed {
    let mut buf = HeaderBuf::new();
    batch
        .iter()
        .map(|q| {
            let (report, facts, back) = analyze(analysis, q, std::mem::take(&mut buf));
            buf = back;
            (report, facts)
        })
        .collect()
}

impl Iterator for Scan<'_> {
    type Item = Result<Report>;

    fn next(&mut self) -> Option<Result<Report>> {
        loop {
            if let Some(item) = self.ready.pop_front() {
                return Some(item);
            }
            if !self.fill() {
                return None;
            }
        }
    }
}
