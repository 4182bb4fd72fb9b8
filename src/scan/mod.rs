//! The last stage: a [`Scanner`] runs the [`Analyzer`] over whole dumps, in parallel, and
//! adds the findings that need the whole dump.
//!
//! [`Scanner::scan`] gives a [`Scan`]: an iterator of per-message [`Report`]s in dump order
//! (and an error item for each input or message that could not be read or analysed), whatever
//! the number of threads. Each report has the verdict of everything the message shows on its
//! own. When the iterator is done, [`Scan::finish`] runs the dump-wide pass (duplicate
//! Message-IDs, replies to missing messages, signing patterns of a domain, ...) over compact
//! facts kept from every message and gives a [`Finished`] scan: the final [`Summary`], and
//! the [`Amendment`]s of the few reports the pass changes, which [`Finished::apply`] merges
//! into a report. A consumer that writes reports out as they come (to a temporary file, say)
//! applies the finished scan on the way out; memory holds a few bytes per message, not the
//! reports.
//!
//! Messages are read sequentially (the reader is fast and keeps offsets exact) and analysed in
//! batches, on a thread pool when the `rayon` feature is on. A scan can start at a record
//! boundary reported earlier (resume), and a dump can be cut into byte ranges aligned to
//! message boundaries ([`Scanner::shards`]) whose scans concatenate to the scan of the whole
//! dump.

pub(crate) mod analyzer;
mod finish;
mod input;
mod pipeline;
mod recovery;
pub(crate) mod report;
pub(crate) mod summary;

use std::path::Path;
use std::sync::Arc;

pub use analyzer::Analyzer;
pub use finish::{Amendment, Finished};
pub use input::{Input, Progress, Shard};
pub use pipeline::Scan;
pub use report::Report;
pub use summary::Summary;

use crate::error::{Error, Result};
use crate::read::{Entry, Reader};
use crate::span::Span;

type ProgressFn = dyn Fn(Progress) + Send + Sync;

/// Scans dumps: a [`Reader`] for the inputs, an [`Analyzer`] for each message, a thread
/// pool, and the dump-wide pass.
///
/// ```
/// use mailsleuth::{Analyzer, KeyStore, Scanner};
///
/// let data = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/data");
/// let keys = KeyStore::from_file(data.join("keys.keymap"))?;
/// let scanner = Scanner::new(Analyzer::new(keys)).threads(2);
/// let (reports, summary) = scanner.scan_all(data.join("sample.mbox"));
/// assert_eq!(reports.len(), 26);
/// assert_eq!(summary.messages, 26);
/// # Ok::<(), mailsleuth::Error>(())
/// ```
#[derive(Clone)]
pub struct Scanner {
    reader: Reader,
    analyzer: Arc<Analyzer>,
    threads: usize,
    batch_bytes: u64,
    progress: Option<Arc<ProgressFn>>,
    recover: bool,
    json_lines: bool,
}

impl std::fmt::Debug for Scanner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scanner")
            .field("reader", &self.reader)
            .field("analyzer", &self.analyzer)
            .field("threads", &self.threads)
            .field("batch_bytes", &self.batch_bytes)
            .field("recover", &self.recover)
            .finish_non_exhaustive()
    }
}

impl Default for Scanner {
    /// A scanner without keys (every signature is `no-key`), the default reader, every core.
    fn default() -> Self {
        Scanner::new(Analyzer::default())
    }
}

impl Scanner {
    /// A scanner analysing each message with `analyzer`, reading with the default
    /// [`Reader`], on every core.
    pub fn new(analyzer: Analyzer) -> Self {
        Scanner {
            reader: Reader::new(),
            analyzer: Arc::new(analyzer),
            threads: 0,
            batch_bytes: 8 * 1024 * 1024,
            progress: None,
            recover: false,
            json_lines: false,
        }
    }

    /// Recover the RSA keys of names no archive holds from the dump's own signatures, in
    /// the dump-wide pass ([`auth::recover`](crate::auth::recover); off by default: each
    /// name costs a large gcd, seconds for a 1024-bit key, a minute or more for a 2048-bit
    /// one). A signature that verifies against a recovered key gets `key_source: "recovered
    /// from N signatures"` and `header_signature_valid: true` through its report's
    /// [`Amendment`], its result stays `no-key` (the key shows a shared signer, not who it
    /// is); one that does not, under the same name, gets a `dkim-recovered-key-mismatch`
    /// finding. [`Finished::recovered_keys`] gives the keys. The scan keeps at most 64 MiB
    /// of signatures for this and recovers at most 16 names; a build without the `recover`
    /// or `recover-gmp` feature recovers nothing.
    pub fn recover_keys(mut self, on: bool) -> Self {
        self.recover = on;
        self
    }

    /// Render each report's JSON line on the thread that analysed the message (feature
    /// `serde`; off by default): [`Report::json_line`] then gives it, and the thread that
    /// consumes the scan only writes it out, so that it does not limit a scan on many
    /// cores. A report the scan changes afterwards (the dump-wide pass's memory budget
    /// reached, or [`Finished::apply`]) has no line.
    #[cfg(feature = "serde")]
    pub fn json_lines(mut self, on: bool) -> Self {
        self.json_lines = on;
        self
    }

    /// Read inputs with this reader (limits, buffer size, memory map or streaming).
    pub fn reader(mut self, reader: Reader) -> Self {
        self.reader = reader;
        self
    }

    /// Analyse with these budgets (see [`Limits`](crate::Limits); the defaults serve real
    /// mail): the analyzer's and the dump-wide pass's.
    pub fn limits(mut self, limits: crate::Limits) -> Self {
        let analyzer = (*self.analyzer).clone().limits(limits);
        self.analyzer = Arc::new(analyzer);
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

    /// The analyzer each message goes through.
    pub fn analyzer(&self) -> &Analyzer {
        &self.analyzer
    }

    /// Scan `inputs` in order. The returned [`Scan`] yields one `Ok(Report)` per message in
    /// dump order and one `Err` per input or message that could not be read or analysed
    /// (with its path and offset); [`Scan::finish`] then runs the dump-wide pass.
    pub fn scan<I>(&self, inputs: I) -> Scan<'_>
    where
        I: IntoIterator,
        I::Item: Into<Input>,
    {
        Scan::new(self, inputs.into_iter().map(Into::into).collect())
    }

    /// Scan one input and return every report, complete with the dump-wide findings, and the
    /// summary. Holds every report in memory: for small dumps and tests; large dumps go
    /// through [`Scanner::scan`].
    pub fn scan_all(&self, input: impl Into<Input>) -> (Vec<Result<Report>>, Summary) {
        let mut scan = self.scan([input.into()]);
        let mut reports: Vec<_> = scan.by_ref().collect();
        let finished = scan.finish();
        for report in reports.iter_mut().flatten() {
            finished.apply(report);
        }
        (reports, finished.into_summary())
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
}
