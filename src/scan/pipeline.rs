//! [`Scan`]: the reading loop, the batches analysed on the pool, and the order reports come
//! out in.

use std::collections::VecDeque;
use std::path::Path;
use std::sync::Arc;

use super::Scanner;
use super::analyzer::{Analysed, Analyzer, Kept};
use super::finish::{Finished, VerdictInputs};
use super::input::{Input, Progress};
use super::report::Report;
use super::summary::Summary;
use crate::checks::dump::{DumpChecks, MessageFacts};
use crate::checks::{Finding, FindingCode, Severity};
use crate::error::{Error, Result};
use crate::read::headers::HeaderBuf;
use crate::read::message::Message;
use crate::read::{Entries, Entry};
use crate::span::Span;

/// A message waiting in a batch.
struct Queued {
    index: u64,
    message: Message,
    /// Where its bytes are once it is analysed (see [`Scanner::open`]).
    kept: Kept,
}

/// What became of one message of a batch.
type Outcome = Result<Analysed>;

/// A step of the scan waiting to be handed out, in dump order.
enum Pending {
    /// A batch being analysed on the pool; its outcomes arrive on the channel.
    #[cfg_attr(not(feature = "rayon"), allow(dead_code))]
    Running(std::sync::mpsc::Receiver<Vec<Outcome>>, Arc<Vec<Queued>>),
    /// A batch analysed already (no pool).
    Done(Vec<Outcome>),
    /// An input or message that could not be read, behind the messages read before it.
    Failed(Error),
}

/// Batches read ahead and analysed while the consumer takes the reports of earlier ones.
const BATCHES_IN_FLIGHT: usize = 2;

/// A scan in progress: an iterator of reports in dump order, then [`Scan::finish`]. See
/// [`Scanner::scan`].
///
/// With a thread pool, the scan reads up to two batches ahead: while the caller consumes the
/// reports of one batch (writing them out, say), the pool analyses the next ones.
pub struct Scan<'s> {
    scanner: &'s Scanner,
    inputs: VecDeque<Input>,
    /// The input being read, where it ends (ranges), and where its messages' bytes are
    /// once analysed.
    current: Option<(Entries, Option<u64>, Kept)>,
    next_index: u64,
    pending: VecDeque<Pending>,
    ready: VecDeque<Result<Report>>,
    summary: Summary,
    bytes_total: Option<u64>,
    #[cfg(feature = "rayon")]
    pool: Option<rayon::ThreadPool>,
    #[cfg(not(feature = "rayon"))]
    pool: Option<()>,
    dump: DumpChecks,
    /// Memory the dump-wide facts hold, and whether the budget was reached.
    dump_memory: u64,
    dump_full: bool,
    verdicts: VerdictInputs,
    /// Unkeyed RSA signatures, when the scanner recovers keys.
    recovery: Option<super::recovery::Collector>,
    /// Emptied outcome vectors of earlier batches, for the next ones.
    spare: std::sync::Mutex<Vec<Vec<Outcome>>>,
}

impl std::fmt::Debug for Scan<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scan")
            .field("summary", &self.summary)
            .finish_non_exhaustive()
    }
}

impl<'s> Scan<'s> {
    pub(super) fn new(scanner: &'s Scanner, inputs: Vec<Input>) -> Self {
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
            scanner,
            inputs: inputs.into(),
            current: None,
            next_index: 0,
            pending: VecDeque::new(),
            ready: VecDeque::new(),
            summary: Summary::default(),
            bytes_total,
            pool: pool(scanner.threads),
            dump: DumpChecks::new(scanner.analyzer.check_config().clone())
                .listing(scanner.analyzer.budgets().duplicate_members_listed),
            dump_memory: 0,
            dump_full: false,
            verdicts: VerdictInputs::default(),
            recovery: scanner.recover.then(Default::default),
            spare: Default::default(),
        }
    }

    /// Counts so far: the reports handed out, before the dump-wide pass.
    pub fn summary(&self) -> &Summary {
        &self.summary
    }

    /// Finish the scan: run the dump-wide pass over the facts gathered from every message and
    /// give the [`Finished`] scan, with the final summary and the amendments the pass makes
    /// to reports already handed out ([`Finished::apply`] merges one).
    ///
    /// Messages not yet handed out (when the iterator was not run to its end) are analysed
    /// and counted, as if their reports had been taken. The pass works on compact facts, not
    /// on the dump; the only bytes it reads again are the bodies of messages whose
    /// Message-ID repeats, hashed from the memory map or buffer that holds them (streamed
    /// input was hashed during the scan).
    pub fn finish(mut self) -> Finished {
        while self.fill() {}
        let recovery = self.recovery.map(|c| c.finish()).unwrap_or_default();
        let dump = self.dump;
        // On the scan's pool, when it has one: the pass runs some of its checks side by side.
        #[cfg(feature = "rayon")]
        let outcome = match &self.pool {
            Some(pool) => pool.install(|| dump.finish_all()),
            None => dump.finish_all(),
        };
        #[cfg(not(feature = "rayon"))]
        let outcome = dump.finish_all();
        Finished::new(self.summary, outcome, self.verdicts, recovery)
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
                let (entries, first_index, end, kept) = self.scanner.open(input);
                if end.is_some() {
                    self.next_index = first_index;
                }
                self.current = Some((entries, end, kept));
            }
            let Some((entries, end, kept)) = &mut self.current else {
                break;
            };
            let (end, kept) = (*end, *kept);
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
                        kept,
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
                let analyzer = Arc::clone(&self.scanner.analyzer);
                let render = self.scanner.json_lines;
                let batch = Arc::new(batch);
                let shared = Arc::clone(&batch);
                // The outcomes go into a vector of an earlier batch: its memory is reused,
                // not allocated on a worker and freed on this thread for every batch.
                let mut outcomes = self
                    .spare
                    .lock()
                    .ok()
                    .and_then(|mut s| s.pop())
                    .unwrap_or_default();
                pool.spawn(move || {
                    shared
                        .par_iter()
                        .map_init(HeaderBuf::new, |buf, q| {
                            analyze_one(&analyzer, q, buf, render)
                        })
                        .collect_into_vec(&mut outcomes);
                    // The scan may have been dropped; then nobody waits for the results.
                    let _ = tx.send(outcomes);
                });
                Pending::Running(rx, batch)
            }
            None => Pending::Done(sequential(
                &self.scanner.analyzer,
                &batch,
                self.scanner.json_lines,
            )),
        }
    }

    #[cfg(not(feature = "rayon"))]
    fn start(&self, batch: Vec<Queued>) -> Pending {
        Pending::Done(sequential(
            &self.scanner.analyzer,
            &batch,
            self.scanner.json_lines,
        ))
    }

    /// Hand out the oldest pending step: its reports (counted in the summary, their facts
    /// kept for the dump-wide pass) and errors. `false` when nothing was pending.
    fn take_pending(&mut self) -> bool {
        let Some(step) = self.pending.pop_front() else {
            return false;
        };
        let mut outcomes = match step {
            Pending::Done(a) => a,
            Pending::Running(rx, batch) => match rx.recv() {
                Ok(a) => a,
                // The pool dropped the job without running it (it cannot while the scan owns
                // the pool): analyse the batch here rather than lose its messages.
                Err(_) => sequential(&self.scanner.analyzer, &batch, self.scanner.json_lines),
            },
            Pending::Failed(e) => {
                self.summary.errors.push(e.to_string());
                self.ready.push_back(Err(e));
                return true;
            }
        };
        for outcome in outcomes.drain(..) {
            match outcome {
                Ok(Analysed {
                    mut report,
                    facts,
                    proof,
                    highest,
                    unkeyed,
                }) => {
                    let findings = report.findings.len();
                    self.keep_facts(&mut report, facts);
                    if report.findings.len() != findings {
                        // The line rendered by the worker no longer says what the report does.
                        report.line = Default::default();
                    }
                    self.summary.add(&report);
                    // The highest severity but the clock findings the dump-wide pass may
                    // regrade.
                    let unclocked = report
                        .findings
                        .iter()
                        .filter(|f| !crate::checks::dump::clocks::is_clock_code(f.code))
                        .map(|f| f.severity)
                        .max();
                    self.verdicts.push(report.index, proof, highest, unclocked);
                    if let Some(c) = &mut self.recovery {
                        c.add(unkeyed);
                    }
                    self.ready.push_back(Ok(report));
                }
                Err(e) => {
                    self.summary.errors.push(e.to_string());
                    self.ready.push_back(Err(e));
                }
            }
        }
        if let Ok(mut spare) = self.spare.lock()
            && spare.len() <= BATCHES_IN_FLIGHT
        {
            spare.push(outcomes);
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

    /// Keep a message's facts for the dump-wide pass, within
    /// [`Limits::dump_memory`](crate::Limits::dump_memory): the first message past it gets
    /// an informational `limit-exceeded` finding, and neither it nor any later message takes
    /// part in the dump-wide checks.
    fn keep_facts(&mut self, report: &mut Report, facts: MessageFacts) {
        let budget = self.scanner.analyzer.budgets().dump_memory;
        let cost = facts.memory();
        if !self.dump_full && self.dump_memory.saturating_add(cost) <= budget {
            self.dump_memory += cost;
            self.dump.add(facts);
            return;
        }
        if !self.dump_full {
            self.dump_full = true;
            report.findings.push(Finding::heuristic(
                FindingCode::LimitExceeded,
                Severity::Info,
                format!(
                    "The dump-wide pass keeps the facts of {} messages ({} bytes, the limit of its memory): this message and those after it are not compared across the dump (duplicate Message-IDs, replies, signing patterns, time zones).",
                    self.dump.len(),
                    budget
                ),
                vec![Span::new(report.offset, report.offset + report.length)],
            ));
        }
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

impl Scanner {
    /// The input's entries, its first index and end (ranges), and where its messages' bytes
    /// are once analysed: slices of one buffer that stays in memory anyway (a memory-mapped
    /// mailbox or a caller's buffer), so that the dump-wide facts may keep zero-copy handles
    /// to bodies; or in the regular file they were streamed from, so that the dump-wide pass
    /// may read back the few bodies it compares.
    fn open(&self, input: Input) -> (Entries, u64, Option<u64>, Kept) {
        // A mailbox this large is mapped once for all its messages; smaller files (single
        // messages given one by one) are hashed at once, not kept mapped until the end.
        const SHARED_MAP: u64 = 1 << 20;
        let mapped = |p: &Path| {
            self.reader.maps_files()
                && p != Path::new("-")
                && std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.len() >= SHARED_MAP)
        };
        let kept = |shared: bool, entries: &Entries| {
            if shared {
                Kept::Shared
            } else if entries.file_backed() {
                Kept::InFile
            } else {
                Kept::Gone
            }
        };
        match input {
            Input::Path(p) => {
                let entries = self.reader.open(&p);
                // Containers and stores give messages in buffers of their own.
                let shared = mapped(&p) && entries.slices_input();
                let kept = kept(shared, &entries);
                (entries, 0, None, kept)
            }
            Input::Range {
                path,
                range,
                first_index,
            } => {
                let shared = mapped(&path);
                let entries = self.reader.open_at(&path, range.start);
                let kept = kept(shared, &entries);
                (entries, first_index, Some(range.end), kept)
            }
            Input::Bytes { name, data } => {
                let entries = self.reader.read_bytes(name, data);
                let kept = kept(entries.slices_input(), &entries);
                (entries, 0, None, kept)
            }
            Input::Stream { name, reader } => {
                (self.reader.read_stream(name, reader), 0, None, Kept::Gone)
            }
        }
    }
}

#[cfg(feature = "rayon")]
fn pool(threads: usize) -> Option<rayon::ThreadPool> {
    if threads == 1 {
        return None;
    }
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .ok()
}

#[cfg(not(feature = "rayon"))]
fn pool(_threads: usize) -> Option<()> {
    None
}

/// The report's JSON line, written into a buffer each worker keeps (grown once to the size
/// of its largest report), then copied out at its exact length.
#[cfg(feature = "serde")]
fn render_line(report: &crate::Report) -> Option<String> {
    thread_local! {
        static LINE: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    LINE.with_borrow_mut(|buf| {
        buf.clear();
        serde_json::to_writer(&mut *buf, report).ok()?;
        let line = std::str::from_utf8(buf).ok()?.to_owned();
        // A huge report leaves no huge buffer behind.
        if buf.capacity() > 1 << 20 {
            *buf = Vec::new();
        }
        Some(line)
    })
}

/// Analyse one queued message. A panic in the analysis (a bug the input triggered) becomes
/// an error item for that message, and the scan goes on with the next one.
/// With `render`, the report's JSON line is rendered here too.
fn analyze_one(analyzer: &Analyzer, q: &Queued, buf: &mut HeaderBuf, render: bool) -> Outcome {
    let taken = std::mem::take(buf);
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        #[cfg_attr(not(feature = "serde"), allow(unused_mut))]
        let (mut analysed, buf) = analyzer.analyze_at(&q.message, q.index, taken, q.kept);
        #[cfg(feature = "serde")]
        if render {
            analysed.report.line.0 = render_line(&analysed.report);
        }
        #[cfg(not(feature = "serde"))]
        let _ = render;
        (analysed, buf)
    }));
    match result {
        Ok((analysed, back)) => {
            *buf = back;
            Ok(analysed)
        }
        Err(panic) => {
            let reason = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown cause".to_string());
            Err(Error::Analysis {
                path: q.message.source().to_path_buf(),
                offset: q.message.offset(),
                index: q.index,
                reason,
            })
        }
    }
}

fn sequential(analyzer: &Analyzer, batch: &[Queued], render: bool) -> Vec<Outcome> {
    let mut buf = HeaderBuf::new();
    batch
        .iter()
        .map(|q| analyze_one(analyzer, q, &mut buf, render))
        .collect()
}
