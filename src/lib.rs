//! # mailsleuth
//!
//! Forensic verification of leaked email dumps: read any dump zero-copy and streaming with
//! exact byte offsets, verify every DKIM signature and ARC chain offline against archived keys
//! as of a stated time, and flag forgery with heuristics, so that every statement about a
//! message points at bytes of the original file.
//!
//! ## The types, in pipeline order
//!
//! 1. [`Reader`] opens an input (an mbox file through a memory map, a folder tree, standard
//!    input or any `Read` through a rolling buffer, or bytes in memory) and yields
//!    [`Entries`]: each [`Entry`] is a [`Message`] or a [`Gap`] of bytes that belong to no
//!    message. Entries come in source order and cover a mailbox exactly. Inputs that cannot
//!    be read and messages over the size limit are `Err(`[`Error`]`)` items naming the path
//!    and byte offset; reading goes on after them.
//! 2. [`Message`] holds its stored bytes as a zero-copy [`bytes::Bytes`] slice, its place in
//!    the source ([`Span`], absolute `u64` offsets), its [`Format`] (mbox variant, eml,
//!    maildir), its envelope, and the reader's [`Anomaly`] list. [`Message::unquoted`]
//!    undoes mbox `>From ` quoting.
//! 3. [`Headers`] indexes a message's header block in one pass: every [`Field`] with its
//!    name, value and spans, duplicates kept in order.
//! 4. [`Verifier`] checks every DKIM signature ([`DkimCheck`]) and the ARC chain
//!    ([`ArcCheck`]) against a [`KeyStore`] of archived keys, as of a time ([`AsOf`]).
//! 5. [`checks`] turns everything known into [`Finding`]s (code, severity, sentence,
//!    evidence spans, cryptographic or heuristic basis), per message and across the dump,
//!    and decides a [`Verdict`].
//! 6. [`Scanner`] runs all of it over whole dumps, in parallel, and yields a [`Report`] per
//!    message in dump order ([`Scan`]), then a [`Summary`] and the dump-wide findings
//!    ([`Scan::finish`]) that [`Report::amend`] merges. A consumer that writes reports out
//!    as they come keeps only each report's [`PendingVerdict`] (a few hundred bytes) for
//!    that last step, as the `scan` example does.
//!
//! ## Example: open a dump, load keys, scan, print verdicts
//!
//! ```
//! use mailsleuth::{KeyStore, Scanner};
//!
//! let data = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/data");
//! let mut keys = KeyStore::new();
//! keys.load_file(data.join("keys.keymap"))?;
//! let scanner = Scanner::builder().keys(keys).build();
//! let (reports, summary) = scanner.scan_all(data.join("sample.mbox"));
//! for report in reports {
//!     let report = report?;
//!     println!("{:>3} {:<10} {:?}", report.index, report.verdict.as_str(), report.subject);
//! }
//! assert_eq!(summary.messages, 26);
//! # Ok::<(), mailsleuth::Error>(())
//! ```
//!
//! Reading alone is as simple, and works on bytes in memory:
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
//! Reading a file works the same way with [`Reader::open`] (memory map, or folder tree) or
//! [`Reader::open_streaming`] (bounded memory); both give identical entries.
//!
//! ## Safety
//!
//! The crate has no `unsafe` code except the one call that memory-maps a file.
#![deny(missing_docs)]
#![deny(unsafe_code)]

pub mod auth;
pub mod checks;
pub mod error;
pub(crate) mod fields;
pub mod read;
pub mod scan;
pub mod span;

pub use auth::{
    ArcCheck, ArcResult, AsOf, AuthReport, DkimCheck, DkimResult, KeyStore, Repair, Verifier,
};
pub use checks::{Basis, Config as CheckConfig, Finding, FindingCode, Severity, Verdict};
pub use error::{Error, Result};
pub use read::format::{Format, Quoting, unquote};
pub use read::headers::{Field, HeaderBuf, Headers};
pub use read::message::{Anomaly, AnomalyCode, Message};
pub use read::{Entries, Entry, Gap, GapReason, Reader};
pub use scan::report::{PendingVerdict, Report, Summary};
pub use scan::{Input, Progress, Scan, Scanner, ScannerBuilder, Shard};
pub use span::Span;
