//! Containers and compressed dumps, walked as streams with bounded memory.
//!
//! [`walk_path`] (a file: zip is read through its central directory) and [`walk_reader`] (any
//! byte stream, standard input included) detect zip, tar, gzip, xz, bzip2 and zstd by their
//! magic bytes, nest as deep as [`Limits::max_depth`] allows (an `mbox.gz` in a zip, a maildir
//! in a `.tar.xz`), and hand every leaf member to a visitor as a [`Read`] of its decompressed
//! bytes. Nothing is written to disk and no member is held in memory, except a zip met inside
//! a stream (a zip in a tar, a zip in a zip): zip needs random access, so such a zip is
//! buffered up to [`Limits::max_buffer`] and skipped with a reason beyond that.
//!
//! Paths name the outer input and the member with `!` between nesting levels:
//! `leak.zip!Export/Inbox/0001.eml`. A compression layer adds no level of its own when its
//! content is an archive (`x.tar.gz!cur/1`), and ends the path with `!` when its content is a
//! single file (`dump.mbox.gz!`, `leak.zip!a/dump.mbox.gz!`), so that offsets are always in
//! the decompressed bytes the path names.
//!
//! Hostile input is bounded and reported through [`Event`]s, never followed blindly:
//! decompression bombs (output per layer, per member, in total, and the ratio of output to
//! compressed input), declared sizes that differ from the bytes read, too many entries,
//! nesting too deep, unsafe names (`../`, absolute paths: reported, then read under a
//! sanitized name), encrypted or unsupported members (skipped with the reason), zip entries
//! whose data overlap (the "overlapping files" bomb).

mod io;

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, HashSet};
use std::io::{Cursor, Read, Seek, SeekFrom};
use std::rc::Rc;

pub(crate) use super::detect::{Container, Kind, SNIFF_LEN, kind_of, sniff_container};
use super::detect::{sanitize_name, strip_compression_suffix};
pub(crate) use io::SeekBuf;
use io::{Counting, Guard, Input, Peeked, Shared};

#[cfg(test)]
use crate::read::walk::Result;
use crate::read::walk::{ContainerLimits as Limits, Flow, LimitKind, WalkError};

/// Why a member was not read.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SkipReason {
    /// The member is encrypted (zip traditional or AES encryption).
    Encrypted,
    /// The member's compression method is not supported.
    UnsupportedMethod(String),
    /// A symbolic or hard link; links are never followed.
    Link {
        /// Where it points (lossy UTF-8).
        target: String,
    },
    /// A device, FIFO or other special entry.
    Special(String),
    /// The member is a container nested deeper than [`Limits::max_depth`].
    TooDeep {
        /// Its depth.
        depth: u32,
    },
    /// A zip inside a stream is larger than [`Limits::max_buffer`]: zip needs random
    /// access, so it must be given as a seekable file (unpacked from its container, or as a
    /// path instead of standard input).
    NeedsSeek {
        /// The buffer budget it went over.
        budget: u64,
    },
    /// The member's name is longer than [`Limits::max_path_len`].
    PathTooLong {
        /// Its length in bytes.
        len: usize,
    },
    /// A zip entry whose data overlap an earlier entry's (a decompression bomb technique, or
    /// a damaged archive).
    Overlapping {
        /// The earlier entry.
        other: String,
    },
}

impl std::fmt::Display for SkipReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SkipReason::Encrypted => f.write_str("encrypted member"),
            SkipReason::UnsupportedMethod(m) => write!(f, "unsupported compression method {m}"),
            SkipReason::Link { target } => write!(f, "link to {target:?}, not followed"),
            SkipReason::Special(k) => write!(f, "special entry ({k})"),
            SkipReason::TooDeep { depth } => write!(f, "container nested {depth} levels deep"),
            SkipReason::NeedsSeek { budget } => write!(
                f,
                "zip needs a seekable file; this one is inside a stream and over the {budget}-byte buffer"
            ),
            SkipReason::PathTooLong { len } => write!(f, "member name of {len} bytes"),
            SkipReason::Overlapping { other } => {
                write!(f, "data overlaps the earlier entry {other:?}")
            }
        }
    }
}

/// A leaf member handed to the visitor.
pub struct Member<'a> {
    /// `outer!inner` path (see the module docs).
    pub path: String,
    /// How it should be read.
    pub kind: Kind,
    /// The size its container declared, if any (checked against the bytes read: a mismatch
    /// is reported as [`WalkError::SizeMismatch`]).
    pub declared_size: Option<u64>,
    /// The decompressed bytes, from offset 0. Reads fail once a budget is exhausted.
    pub reader: &'a mut dyn Read,
}

impl std::fmt::Debug for Member<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Member")
            .field("path", &self.path)
            .field("kind", &self.kind)
            .field("declared_size", &self.declared_size)
            .finish_non_exhaustive()
    }
}

/// What the walker reports, in input order.
#[derive(Debug)]
pub enum Event<'a> {
    /// A leaf member to read.
    Member(Member<'a>),
    /// A member that was not read, and why.
    Skipped {
        /// The member.
        path: String,
        /// Why.
        reason: SkipReason,
    },
    /// A problem: corrupt data, a budget exhausted, a size mismatch, an unsafe or duplicate
    /// name. It names the path and, where known, the offset in the decompressed member.
    Error(WalkError),
}

/// Counts of one walk.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    /// Members handed to the visitor.
    pub members: u64,
    /// Members skipped.
    pub skipped: u64,
    /// Error events.
    pub errors: u64,
    /// Decompressed bytes read from leaf members (the visitor's and the verification's).
    pub leaf_bytes: u64,
    /// Bytes read from the outer input.
    pub source_bytes: u64,
    /// Whether the walk stopped early (the visitor asked, or a walk-wide budget ran out).
    pub stopped: bool,
}

type Visitor<'v> = dyn FnMut(Event<'_>) -> Flow + 'v;

/// Walk the file at `path`: a container, a compressed file, or a plain file (one member whose
/// path is `path` itself). A zip is read through its central directory.
///
/// `Err` only when `path` cannot be opened; everything else is an [`Event`].
#[cfg(test)]
pub(crate) fn walk_path(
    path: &std::path::Path,
    limits: &Limits,
    visit: &mut Visitor<'_>,
) -> Result<Summary> {
    let display = path.to_string_lossy().into_owned();
    let file = std::fs::File::open(path).map_err(|source| WalkError::Io {
        path: display.clone(),
        offset: 0,
        source,
    })?;
    Ok(walk_seekable(
        &display,
        SeekBuf::new(file, 1 << 16),
        limits,
        visit,
    ))
}

/// Walk a seekable input named `name` (a file, a memory map): a container, a compressed file,
/// or a plain file (one member named `name`). A zip is read through its central directory.
pub(crate) fn walk_seekable<R: Read + Seek>(
    name: &str,
    mut input: R,
    limits: &Limits,
    visit: &mut Visitor<'_>,
) -> Summary {
    let mut walker = Walker::new(limits, visit);
    let start = (|| {
        let len = input.seek(SeekFrom::End(0))?;
        input.seek(SeekFrom::Start(0))?;
        let mut head = Vec::with_capacity(SNIFF_LEN);
        (&mut input).take(SNIFF_LEN as u64).read_to_end(&mut head)?;
        input.seek(SeekFrom::Start(0))?;
        Ok::<_, std::io::Error>((len, head))
    })();
    let (len, head) = match start {
        Ok(v) => v,
        Err(source) => {
            walker.error(WalkError::Io {
                path: name.to_string(),
                offset: 0,
                source,
            });
            return walker.finish();
        }
    };
    let counted = Counting::new(input, walker.shared.source_bytes.clone());
    if sniff_container(&head) == Some(Container::Zip) {
        walker.walk_zip(name, counted, 0);
    } else {
        let mut counted = counted;
        walker.walk_stream(name, name, &mut counted, 0, Some(len), false);
    }
    walker.finish()
}

/// Walk a byte stream named `name` (standard input, a socket, a member of something else).
/// Compression is recognised by its magic bytes; a zip is buffered up to
/// [`Limits::max_buffer`] and otherwise skipped with [`SkipReason::NeedsSeek`].
pub fn walk_reader(
    name: &str,
    reader: &mut dyn Read,
    limits: &Limits,
    visit: &mut Visitor<'_>,
) -> Summary {
    let mut walker = Walker::new(limits, visit);
    let mut counted = Counting::new(reader, walker.shared.source_bytes.clone());
    walker.walk_stream(name, name, &mut counted, 0, None, false);
    walker.finish()
}

struct Walker<'a, 'v> {
    shared: Rc<Shared>,
    visit: &'a mut Visitor<'v>,
    summary: Summary,
    stop: bool,
}

impl<'a, 'v> Walker<'a, 'v> {
    fn new(limits: &Limits, visit: &'a mut Visitor<'v>) -> Self {
        Walker {
            shared: Rc::new(Shared {
                limits: limits.clone(),
                source_bytes: Rc::new(Cell::new(0)),
                leaf_bytes: Cell::new(0),
                tripped: RefCell::new(None),
            }),
            visit,
            summary: Summary::default(),
            stop: false,
        }
    }

    fn finish(mut self) -> Summary {
        self.summary.leaf_bytes = self.shared.leaf_bytes.get();
        self.summary.source_bytes = self.shared.source_bytes.get();
        self.summary.stopped = self.stop;
        self.summary
    }

    fn limits(&self) -> &Limits {
        &self.shared.limits
    }

    fn emit(&mut self, event: Event<'_>) {
        if self.stop {
            return;
        }
        match &event {
            Event::Member(_) => self.summary.members += 1,
            Event::Skipped { .. } => self.summary.skipped += 1,
            Event::Error(_) => self.summary.errors += 1,
        }
        if (self.visit)(event) == Flow::Stop {
            self.stop = true;
        }
    }

    fn skip(&mut self, path: &str, reason: SkipReason) {
        self.emit(Event::Skipped {
            path: path.to_string(),
            reason,
        });
    }

    fn error(&mut self, err: WalkError) {
        self.emit(Event::Error(err));
    }

    /// Report a budget that tripped, if any. Walk-wide budgets stop the walk. Returns whether
    /// one had tripped.
    fn report_trip(&mut self) -> bool {
        let tripped = self.shared.tripped.borrow_mut().take();
        let Some(err) = tripped else {
            return false;
        };
        let walk_wide = matches!(
            &err,
            WalkError::Limit {
                limit: LimitKind::TotalBytes,
                ..
            }
        ) || self.shared.leaf_bytes.get() > self.limits().max_total_bytes
            || (self.shared.leaf_bytes.get() > self.limits().ratio_grace_bytes
                && self.shared.leaf_bytes.get() / self.shared.source_bytes.get().max(1)
                    > self.limits().max_ratio);
        self.error(err);
        if walk_wide {
            self.stop = true;
        }
        true
    }

    #[allow(clippy::too_many_arguments)]
    fn walk_stream(
        &mut self,
        path: &str,
        name: &str,
        reader: &mut dyn Read,
        depth: u32,
        declared: Option<u64>,
        decompressed: bool,
    ) {
        if self.stop {
            return;
        }
        let mut peeked = match Peeked::new(reader, SNIFF_LEN) {
            Ok(p) => p,
            Err(source) => {
                if !self.report_trip() {
                    let shown = if decompressed {
                        format!("{path}!")
                    } else {
                        path.to_string()
                    };
                    self.error(WalkError::Io {
                        path: shown,
                        offset: 0,
                        source,
                    });
                }
                return;
            }
        };
        let kind = kind_of(name, peeked.head());
        let Kind::Container(container) = kind else {
            let shown = if decompressed {
                format!("{path}!")
            } else {
                path.to_string()
            };
            self.leaf(shown, kind, &mut peeked, declared);
            return;
        };
        if depth + 1 > self.limits().max_depth {
            self.skip(path, SkipReason::TooDeep { depth: depth + 1 });
            return;
        }
        match container {
            Container::Tar => self.walk_tar(path, &mut peeked, depth),
            Container::Zip => self.zip_from_stream(path, &mut peeked, depth, declared),
            c => {
                let consumed = Rc::new(Cell::new(0u64));
                let input = Counting::new(&mut peeked, consumed.clone());
                let decoder: Box<dyn Read + '_> = match c {
                    Container::Gzip => Box::new(flate2::read::MultiGzDecoder::new(input)),
                    Container::Xz => Box::new(liblzma::read::XzDecoder::new_multi_decoder(input)),
                    Container::Bzip2 => Box::new(bzip2::read::MultiBzDecoder::new(input)),
                    _ => match zstd::stream::read::Decoder::new(input) {
                        Ok(d) => Box::new(d),
                        Err(source) => {
                            self.error(WalkError::Io {
                                path: format!("{path}!"),
                                offset: 0,
                                source,
                            });
                            return;
                        }
                    },
                };
                let mut guard = Guard::new(
                    decoder,
                    self.shared.clone(),
                    Input::Counted(consumed),
                    format!("{path}!"),
                    false,
                );
                let inner = strip_compression_suffix(name, c);
                self.walk_stream(path, &inner, &mut guard, depth + 1, None, true);
                self.report_trip();
            }
        }
    }

    fn leaf(&mut self, path: String, kind: Kind, reader: &mut dyn Read, declared: Option<u64>) {
        let mut guard = LeafReader {
            inner: Guard::new(reader, self.shared.clone(), Input::None, path.clone(), true),
            failure: None,
            eof: false,
        };
        self.emit(Event::Member(Member {
            path: path.clone(),
            kind,
            declared_size: declared,
            reader: &mut guard,
        }));
        if self.limits().verify_sizes && !self.stop && guard.failure.is_none() && !guard.eof {
            // Read what the visitor left, so that sizes and checksums are checked.
            let _ = std::io::copy(&mut guard, &mut std::io::sink());
        }
        if self.report_trip() {
            return;
        }
        let out = guard.inner.out();
        if let Some((offset, message)) = guard.failure.take() {
            self.error(WalkError::Io {
                path,
                offset,
                source: std::io::Error::other(message),
            });
            return;
        }
        if guard.eof
            && let Some(declared) = declared
            && declared != out
        {
            self.error(WalkError::SizeMismatch {
                path,
                declared,
                actual: out,
            });
        }
    }

    fn walk_tar(&mut self, path: &str, reader: &mut dyn Read, depth: u32) {
        let mut archive = tar::Archive::new(reader);
        let entries = match archive.entries() {
            Ok(e) => e,
            Err(source) => {
                self.error(WalkError::Io {
                    path: path.to_string(),
                    offset: 0,
                    source,
                });
                return;
            }
        };
        let mut count = 0u64;
        let mut names = HashSet::new();
        let mut position = 0u64;
        for entry in entries {
            if self.stop {
                return;
            }
            let mut entry = match entry {
                Ok(e) => e,
                Err(source) => {
                    if !self.report_trip() {
                        self.error(WalkError::Io {
                            path: path.to_string(),
                            offset: position,
                            source,
                        });
                    }
                    return;
                }
            };
            position = entry.raw_header_position();
            count += 1;
            if count > self.limits().max_entries {
                let max = self.limits().max_entries;
                self.error(WalkError::Limit {
                    path: path.to_string(),
                    offset: position,
                    limit: LimitKind::Entries,
                    value: count,
                    max,
                });
                return;
            }
            let raw = entry.path_bytes().into_owned();
            let kind = entry.header().entry_type();
            let Some((member, name)) = self.member_name(path, &raw, &mut names) else {
                continue;
            };
            use tar::EntryType as T;
            match kind {
                T::Regular | T::Continuous | T::GNUSparse => {}
                T::Directory | T::XGlobalHeader | T::XHeader | T::GNULongName | T::GNULongLink => {
                    continue;
                }
                T::Symlink | T::Link => {
                    let target = entry
                        .link_name_bytes()
                        .map(|t| String::from_utf8_lossy(&t).into_owned())
                        .unwrap_or_default();
                    self.skip(&member, SkipReason::Link { target });
                    continue;
                }
                other => {
                    self.skip(&member, SkipReason::Special(format!("{other:?}")));
                    continue;
                }
            }
            let size = entry.size();
            self.walk_stream(&member, &name, &mut entry, depth + 1, Some(size), false);
            if self.report_trip() {
                return;
            }
        }
    }

    /// Sanitize a member name, report it when unsafe, duplicate or too long. `None` when the
    /// member must be skipped.
    fn member_name(
        &mut self,
        container: &str,
        raw: &[u8],
        seen: &mut HashSet<String>,
    ) -> Option<(String, String)> {
        let (name, unsafe_found) = sanitize_name(raw);
        let member = format!("{container}!{name}");
        if raw.len() > self.limits().max_path_len {
            self.skip(&member, SkipReason::PathTooLong { len: raw.len() });
            return None;
        }
        if unsafe_found {
            self.error(WalkError::UnsafeName {
                path: member.clone(),
                original: String::from_utf8_lossy(raw).into_owned(),
            });
        }
        if !seen.insert(name.clone()) {
            self.error(WalkError::DuplicateName {
                path: member.clone(),
            });
        }
        Some((member, name))
    }

    fn zip_from_stream(
        &mut self,
        path: &str,
        reader: &mut dyn Read,
        depth: u32,
        declared: Option<u64>,
    ) {
        let budget = self.limits().max_buffer;
        if declared.is_some_and(|d| d > budget) {
            self.skip(path, SkipReason::NeedsSeek { budget });
            return;
        }
        let mut buffer = Vec::new();
        if let Err(source) = reader
            .take(budget.saturating_add(1))
            .read_to_end(&mut buffer)
        {
            if !self.report_trip() {
                self.error(WalkError::Io {
                    path: path.to_string(),
                    offset: buffer.len() as u64,
                    source,
                });
            }
            return;
        }
        if buffer.len() as u64 > budget {
            self.skip(path, SkipReason::NeedsSeek { budget });
            return;
        }
        self.walk_zip(path, Cursor::new(buffer), depth);
    }

    fn walk_zip<R: Read + Seek>(&mut self, path: &str, mut reader: R, depth: u32) {
        if depth + 1 > self.limits().max_depth {
            self.skip(path, SkipReason::TooDeep { depth: depth + 1 });
            return;
        }
        let max_entries = self.limits().max_entries;
        if let Some(declared) = zip_declared_entries(&mut reader)
            && declared > max_entries
        {
            self.error(WalkError::Limit {
                path: path.to_string(),
                offset: 0,
                limit: LimitKind::Entries,
                value: declared,
                max: max_entries,
            });
            return;
        }
        let mut archive = match zip::ZipArchive::new(reader) {
            Ok(a) => a,
            Err(e) => {
                self.error(WalkError::Corrupt {
                    path: path.to_string(),
                    offset: 0,
                    reason: format!("zip: {e}"),
                });
                return;
            }
        };
        if archive.len() as u64 > max_entries {
            self.error(WalkError::Limit {
                path: path.to_string(),
                offset: 0,
                limit: LimitKind::Entries,
                value: archive.len() as u64,
                max: max_entries,
            });
            return;
        }
        let mut names = HashSet::new();
        // Data ranges of the entries read so far: start -> (end, name).
        let mut ranges: BTreeMap<u64, (u64, usize)> = BTreeMap::new();
        for index in 0..archive.len() {
            if self.stop {
                return;
            }
            let meta = match archive.by_index_raw(index) {
                Ok(f) => ZipMeta {
                    raw_name: f.name_raw().to_vec(),
                    encrypted: f.encrypted(),
                    method: f.compression(),
                    size: f.size(),
                    compressed: f.compressed_size(),
                    is_dir: f.is_dir(),
                    is_symlink: f.is_symlink(),
                    header_start: f.header_start(),
                    data_start: f.data_start(),
                },
                Err(e) => {
                    self.error(WalkError::Corrupt {
                        path: path.to_string(),
                        offset: 0,
                        reason: format!("zip entry {index}: {e}"),
                    });
                    continue;
                }
            };
            if meta.is_dir {
                continue;
            }
            let Some((member, name)) = self.member_name(path, &meta.raw_name, &mut names) else {
                continue;
            };
            if meta.encrypted {
                self.skip(&member, SkipReason::Encrypted);
                continue;
            }
            if !zip_method_supported(meta.method) {
                self.skip(
                    &member,
                    SkipReason::UnsupportedMethod(format!("{:?}", meta.method)),
                );
                continue;
            }
            if meta.is_symlink {
                self.skip(
                    &member,
                    SkipReason::Link {
                        target: String::new(),
                    },
                );
                continue;
            }
            let start = meta.header_start;
            let end = meta
                .data_start
                .unwrap_or(start)
                .saturating_add(meta.compressed);
            if let Some(other) = overlapping(&ranges, start, end) {
                let other = archive
                    .name_for_index(other)
                    .unwrap_or_default()
                    .to_string();
                self.skip(&member, SkipReason::Overlapping { other });
                continue;
            }
            ranges.insert(start, (end, index));
            let file = match archive.by_index(index) {
                Ok(f) => f,
                Err(e) => {
                    self.error(WalkError::Corrupt {
                        path: member,
                        offset: 0,
                        reason: format!("zip: {e}"),
                    });
                    continue;
                }
            };
            let mut guard = Guard::new(
                file,
                self.shared.clone(),
                Input::Fixed(meta.compressed),
                member.clone(),
                false,
            );
            self.walk_stream(
                &member,
                &name,
                &mut guard,
                depth + 1,
                Some(meta.size),
                false,
            );
            self.report_trip();
        }
    }
}

struct ZipMeta {
    raw_name: Vec<u8>,
    encrypted: bool,
    method: zip::CompressionMethod,
    size: u64,
    compressed: u64,
    is_dir: bool,
    is_symlink: bool,
    header_start: u64,
    data_start: Option<u64>,
}

fn zip_method_supported(method: zip::CompressionMethod) -> bool {
    use zip::CompressionMethod as M;
    matches!(
        method,
        M::Stored | M::Deflated | M::Deflate64 | M::Bzip2 | M::Zstd
    )
}

/// The index of an entry in `ranges` that overlaps `[start, end)`.
fn overlapping(ranges: &BTreeMap<u64, (u64, usize)>, start: u64, end: u64) -> Option<usize> {
    if let Some((_, (prev_end, index))) = ranges.range(..=start).next_back()
        && *prev_end > start
    {
        return Some(*index);
    }
    if let Some((next_start, (_, index))) = ranges.range(start..).next()
        && *next_start < end
    {
        return Some(*index);
    }
    None
}

/// The entry count that a zip's end of central directory record declares (zip64 aware), read
/// before the central directory itself is parsed, so that a central directory listing
/// millions of entries is refused before it is loaded. Leaves the reader at offset 0.
fn zip_declared_entries<R: Read + Seek>(reader: &mut R) -> Option<u64> {
    let len = reader.seek(SeekFrom::End(0)).ok()?;
    let tail_len = len.min(22 + 65535);
    reader.seek(SeekFrom::Start(len - tail_len)).ok()?;
    let mut tail = Vec::new();
    reader.by_ref().take(tail_len).read_to_end(&mut tail).ok()?;
    let _ = reader.seek(SeekFrom::Start(0));
    let pos = (0..tail.len().saturating_sub(21))
        .rev()
        .find(|&i| tail.get(i..i + 4) == Some(b"PK\x05\x06"))?;
    let le16 = |b: &[u8], at: usize| -> Option<u64> {
        Some(u64::from(u16::from_le_bytes(
            b.get(at..at + 2)?.try_into().ok()?,
        )))
    };
    let le64 = |b: &[u8], at: usize| -> Option<u64> {
        Some(u64::from_le_bytes(b.get(at..at + 8)?.try_into().ok()?))
    };
    let entries = le16(&tail, pos + 10)?;
    if entries != 0xFFFF {
        return Some(entries);
    }
    // zip64: the locator sits just before the end record.
    let loc = pos.checked_sub(20)?;
    if tail.get(loc..loc + 4) != Some(b"PK\x06\x07") {
        return Some(entries);
    }
    let record = le64(&tail, loc + 8)?;
    reader.seek(SeekFrom::Start(record)).ok()?;
    let mut rec = [0u8; 56];
    let ok = reader.read_exact(&mut rec).is_ok();
    let _ = reader.seek(SeekFrom::Start(0));
    if !ok || rec.get(..4) != Some(b"PK\x06\x06") {
        return Some(entries);
    }
    le64(&rec, 32)
}

/// The reader handed to the visitor: the leaf guard, remembering the first failure and
/// whether the end was reached.
struct LeafReader<R> {
    inner: Guard<R>,
    failure: Option<(u64, String)>,
    eof: bool,
}

impl<R: Read> Read for LeafReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if let Some((_, message)) = &self.failure {
            return Err(std::io::Error::other(message.clone()));
        }
        match self.inner.read(buf) {
            Ok(0) if !buf.is_empty() => {
                self.eof = true;
                Ok(0)
            }
            Ok(n) => Ok(n),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => Err(e),
            Err(e) => {
                self.failure = Some((self.inner.out(), e.to_string()));
                Err(e)
            }
        }
    }
}

#[cfg(test)]
mod tests;
