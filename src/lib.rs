//! # mailsleuth
//!
//! Forensic verification of leaked email dumps: read any dump zero-copy and streaming with
//! exact byte offsets, verify every DKIM signature and ARC chain offline against archived keys
//! as of a stated time, and flag forgery with heuristics, so that every statement about a
//! message points at bytes of the original file.
//!
//! ## The types, in pipeline order
//!
//! Each stage is a module, and each can be used alone.
//!
//! 1. [`read`]: a [`Reader`] opens an input (a file, standard input or any `Read` through a
//!    rolling buffer, a folder tree, a memory map on request, or bytes in memory; zip, tar
//!    and compressed dumps as streams, Apple Mail `.emlx` files, Outlook PST and MSG files) and yields [`Entries`]: each [`Entry`] is a [`Message`] or a [`Gap`] of bytes
//!    that belong to no message, in source order, covering a mailbox exactly. A [`Message`]
//!    holds its stored bytes as a zero-copy [`bytes::Bytes`] slice (or, for a store's message,
//!    the bytes rebuilt from its properties: [`Message::is_reconstructed`]), its place in the
//!    source ([`Span`]: absolute `u64` offsets), its [`Format`] and the reader's [`Anomaly`]
//!    list; [`Headers`] indexes its header block in one pass. Inputs that cannot be read and
//!    messages over the size limit are `Err(`[`Error`]`)` items naming the path and byte
//!    offset; reading goes on.
//! 2. [`auth`]: a [`Verifier`] checks every DKIM signature ([`DkimCheck`]) and the ARC chain
//!    ([`ArcCheck`]) of a message against a [`KeyStore`] of archived keys, as of a time
//!    ([`AsOf`], [`Timestamp`]). [`auth::recover`] computes the RSA key of a selector no
//!    archive holds from two or more of its signatures in the dump (features `recover`,
//!    `recover-gmp`): a shared signer, never an identity.
//! 3. [`checks`]: the forgery heuristics turn everything else into [`Finding`]s (a stable
//!    [`FindingCode`], a [`Severity`], one sentence, evidence spans, and whether it rests on
//!    a signature or a heuristic).
//! 4. [`verdict`]: what the signatures prove, weighed with the findings: a [`Verdict`].
//! 5. [`scan`]: an [`Analyzer`] runs stages 1-4 on one message and gives its [`Report`]; a
//!    [`Scanner`] runs the analyzer over whole dumps in parallel ([`Scan`], reports in dump
//!    order, their JSON lines rendered in parallel too on request: [`Scanner::json_lines`]),
//!    then the dump-wide pass (duplicate Message-IDs, replies to missing messages,
//!    signing patterns, and on request keys recovered from the dump:
//!    [`Scanner::recover_keys`]), whose [`Finished`] scan applies its [`Amendment`]s to the reports and
//!    gives the [`Summary`].
//!
//! ## Example: the verdict of one message
//!
//! One `.eml` file is `Message::from_file("message.eml")?`; here, the first message of the
//! bundled sample dump:
//!
//! ```
//! use mailsleuth::{Analyzer, KeyStore, Reader, Verdict};
//!
//! let data = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/data");
//! let keys = KeyStore::from_file(data.join("keys.keymap"))?;
//! let first = Reader::new().open(data.join("sample.mbox")).find_map(|e| e.ok()?.into_message());
//! let report = Analyzer::new(keys).analyze(&first.expect("a message"));
//! assert_eq!(report.verdict, Verdict::Verified);
//! assert_eq!(report.dkim[0].domain, "campaign.example");
//! # Ok::<(), mailsleuth::Error>(())
//! ```
//!
//! ## Example: scan a dump, write every report as it comes, finish
//!
//! ```
//! use mailsleuth::{Analyzer, KeyStore, Scanner, Verdict};
//!
//! let data = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/data");
//! let scanner = Scanner::new(Analyzer::new(KeyStore::from_file(data.join("keys.keymap"))?));
//! let mut scan = scanner.scan([data.join("sample.mbox")]);
//! let mut reports = Vec::new(); // a large dump would spool them to a file instead
//! for item in scan.by_ref() {
//!     match item {
//!         Ok(report) => reports.push(report),
//!         Err(e) => eprintln!("{e}"), // names the path and offset; the scan goes on
//!     }
//! }
//! let finished = scan.finish(); // the dump-wide pass
//! for report in &mut reports {
//!     finished.apply(report);
//!     if report.verdict == Verdict::Tampered {
//!         println!("{} @{}: {:?}", report.source, report.offset, report.subject);
//!     }
//! }
//! assert_eq!(finished.summary().messages, 26);
//! assert_eq!(finished.summary().verdicts[&Verdict::Tampered], 4);
//! # Ok::<(), mailsleuth::Error>(())
//! ```
//!
//! Reading alone works on bytes in memory as well as on files:
//!
//! ```
//! use mailsleuth::{Entry, Reader};
//!
//! let dump = b"From alice@example.org Mon May  1 09:00:00 2017\n\
//! From: Alice <alice@example.org>\nSubject: hello\n\n>From the desk of Alice\n\n\
//! From bob@example.org Mon May  1 10:00:00 2017\n\
//! From: Bob <bob@example.org>\nSubject: re: hello\n\nthanks\n";
//!
//! for entry in Reader::new().read_bytes("dump.mbox", bytes::Bytes::from_static(dump)) {
//!     let Entry::Message(message) = entry? else { continue };
//!     let headers = message.headers();
//!     let subject = headers.get("subject").map(|f| f.value().into_owned());
//!     println!("{} bytes at offset {}: {:?}", message.len(), message.offset(), subject);
//! }
//! # Ok::<(), mailsleuth::Error>(())
//! ```
//!
//! [`Reader::open`] reads a file in bounded memory (or walks a folder tree), through a memory
//! map when [`Reader::memory_map`] asks for it (only for files that cannot change); both give
//! identical entries.
//!
//! ## Safety
//!
//! The crate has no `unsafe` code except the one call that memory-maps a file.
#![deny(missing_docs)]
#![deny(unsafe_code)]

// The stages, in pipeline order.
pub mod read;

pub(crate) mod fields;

pub mod auth;

pub mod checks;

pub mod verdict;

pub mod scan;

#[cfg(feature = "html")]
pub mod html;

// What every stage shares.
pub mod error;
mod limits;
pub mod span;
pub mod timestamp;

pub use auth::{
    ArcCheck, ArcResult, AsOf, AuthReport, DkimCheck, DkimResult, KeyStore, Repair, Verifier,
};
pub use checks::{Basis, Config as CheckConfig, Finding, FindingCode, Severity};
pub use error::{Error, Result};
pub use limits::Limits;
pub use read::format::{Format, Quoting, unquote};
pub use read::headers::{Field, Headers};
pub use read::message::{Anomaly, AnomalyCode, Message};
pub use read::{Entries, Entry, Gap, GapReason, Reader};
pub use scan::{
    Amendment, Analyzer, Finished, Input, Progress, Report, Scan, Scanner, Shard, Summary,
};
pub use span::Span;
pub use timestamp::Timestamp;
pub use verdict::Verdict;

/// The README's code examples, compiled and run as doctests.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
