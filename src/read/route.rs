//! The formats leaks arrive in, routed to their readers: containers and compressed files
//! (walked as streams), Apple Mail `.emlx` files, Outlook stores; everything else is a mailbox
//! or a message file, read by the splitter as before.
//!
//! What an input is comes from its first bytes and its name, the same way for a file, a
//! member of an archive, standard input or bytes in memory ([`route`]). Containers and stores
//! are read on a thread of their own that hands entries over through a bounded channel
//! ([`pump`]): the walkers are push-style (a visitor per member, `Rc`-based store readers) and
//! the reader's entries are an iterator, so decompression runs beside the analysis and memory
//! stays bounded by the channel's depth. A member is read by the same code as the file it
//! would be when unpacked: its own name decides its format (a maildir inside a tar, an mbox
//! inside a gzip), its offsets are offsets in the decompressed member, and its source is
//! `outer!inner`.

use std::io::{Cursor, Read, Seek};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::SyncSender;

use bytes::Bytes;

use super::detect::{self, Kind};
use super::file::FileWatch;
use super::format::Format;
use super::slice::SliceEntries;
use super::stream::StreamEntries;
use super::{Entries, Entry, Reader, emlx};
use crate::error::{Error, Result};

/// How an input is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Route {
    /// A mailbox or a message file: the splitter decides.
    Plain,
    /// An Apple Mail `.emlx` or `.partial.emlx` file.
    Emlx,
    /// A container or compressed file.
    Container(detect::Container),
    /// An Outlook PST or OST store (the format its messages get).
    Store(Format),
    /// An Outlook MSG file.
    Msg,
}

/// Bytes of an input looked at before deciding how to read it.
pub(crate) const HEAD_LEN: usize = detect::SNIFF_LEN;

/// How to read an input named `name` (a path, or a member's path inside its container) whose
/// first bytes are `head` (at least [`HEAD_LEN`] of them unless the input is shorter).
pub(crate) fn route(name: &str, head: &[u8]) -> Route {
    match detect::kind_of(name, head) {
        Kind::Container(c) => Route::Container(c),
        Kind::Emlx | Kind::PartialEmlx => Route::Emlx,
        Kind::Pst => Route::Store(Format::Pst),
        Kind::Ost => Route::Store(Format::Ost),
        Kind::Msg => Route::Msg,
        Kind::Mbox | Kind::Eml | Kind::Maildir | Kind::Unknown => Route::Plain,
    }
}

/// Entries handed from a reading thread.
const PUMP_DEPTH: usize = 64;

/// The sending end of a [`pump`]: numbers messages in order and tells the reading side to
/// stop once nobody takes entries any more.
pub(crate) struct Sink {
    tx: SyncSender<Result<Entry>>,
    index: u64,
    stopped: bool,
}

/// Whether a reading thread goes on.
pub(crate) use super::walk::Flow;

impl Sink {
    /// Hand over one item; `Flow::Stop` when the entries were dropped.
    pub(crate) fn push(&mut self, item: Result<Entry>) -> Flow {
        if self.stopped {
            return Flow::Stop;
        }
        let item = match item {
            Ok(Entry::Message(mut m)) => {
                m.index = self.index;
                self.index += 1;
                Ok(Entry::Message(m))
            }
            other => other,
        };
        if self.tx.send(item).is_err() {
            self.stopped = true;
            return Flow::Stop;
        }
        Flow::Continue
    }

    /// Hand over every item of `items`; `Flow::Stop` as soon as one is refused.
    pub(crate) fn push_all(&mut self, items: impl IntoIterator<Item = Result<Entry>>) -> Flow {
        for item in items {
            if self.push(item) == Flow::Stop {
                return Flow::Stop;
            }
        }
        Flow::Continue
    }
}

/// Entries produced by `work` on a thread of its own, in order, through a bounded channel.
/// A panic of `work` (a defect of a third-party reader that the input triggers) becomes an
/// error item naming `name`, after the entries handed over before it.
pub(crate) fn pump(name: &str, work: impl FnOnce(&mut Sink) + Send + 'static) -> Entries {
    let (tx, rx) = std::sync::mpsc::sync_channel(PUMP_DEPTH);
    let path = PathBuf::from(name);
    let spawned = std::thread::Builder::new()
        .name("mailsleuth-read".into())
        .spawn(move || {
            let mut sink = Sink {
                tx,
                index: 0,
                stopped: false,
            };
            let outcome =
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| work(&mut sink)));
            if let Err(panic) = outcome {
                let cause = panic
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "unknown cause".to_string());
                sink.push(Err(Error::Container {
                    path,
                    offset: None,
                    reason: format!(
                        "the reader of this input failed ({cause}); the entries before this one stand, the rest is not read"
                    ),
                }));
            }
        });
    match spawned {
        Ok(_) => Entries::new(rx.into_iter()),
        Err(source) => super::one_error(Error::Io {
            path: PathBuf::from(name),
            offset: 0,
            source,
        }),
    }
}

/// Read at most `max` bytes of `input` into memory; `Ok(None)` when it holds more.
pub(crate) fn read_bounded(input: &mut dyn Read, max: u64) -> std::io::Result<Option<Vec<u8>>> {
    let mut data = Vec::new();
    input.take(max.saturating_add(1)).read_to_end(&mut data)?;
    Ok((data.len() as u64 <= max).then_some(data))
}

/// Bytes an `.emlx` file may hold beyond its message: the byte count line and the property
/// list.
const EMLX_SLACK: u64 = 1 << 20;

impl Reader {
    /// Entries of an input held in memory (a memory-mapped file, a caller's buffer, a member
    /// or standard input buffered because its reader needs random access).
    /// `watch` is the file's watch when `data` maps a file: a mailbox is then checked for
    /// changes as it is read.
    pub(crate) fn bytes_entries(
        &self,
        source: Arc<Path>,
        data: Bytes,
        single: Format,
        watch: Option<FileWatch>,
    ) -> Entries {
        let name = source.to_string_lossy().into_owned();
        let head = data.get(..data.len().min(HEAD_LEN)).unwrap_or_default();
        match route(&name, head) {
            Route::Plain => self.plain_bytes(source, data, single, watch),
            Route::Emlx => {
                let limit = self.max_message_size;
                let items = emlx::file_messages(&source, data.clone(), limit, self.rebuild_partial);
                match items {
                    Some(items) => Entries::new(items.into_iter().map(|m| m.map(Entry::Message))),
                    // Named .emlx but without a byte count line: read it as what it is.
                    None => self.plain_bytes(source, data, single, watch),
                }
            }
            Route::Container(c) => self.container_bytes(&name, c, data),
            Route::Store(format) => self.store_bytes(&name, format, data),
            Route::Msg => self.msg_bytes(&name, data),
        }
    }

    fn plain_bytes(
        &self,
        source: Arc<Path>,
        data: Bytes,
        single: Format,
        watch: Option<FileWatch>,
    ) -> Entries {
        let mut entries = SliceEntries::new(self.clone(), source, data, single, 0);
        if let Some(w) = watch {
            entries.watch(w);
        }
        Entries {
            inner: Box::new(entries),
            slices_input: true,
            file_backed: false,
        }
    }

    /// Entries of a stream (standard input, any `Read`, a file read without a memory map):
    /// its first bytes decide how it is read; a mailbox is read in bounded memory as before.
    pub(crate) fn stream_entries<R: Read + Send + 'static>(
        &self,
        source: Arc<Path>,
        input: R,
        single: Format,
        watch: Option<FileWatch>,
    ) -> Entries {
        let mut input = Peek::new(input);
        if let Err(source_err) = input.fill(HEAD_LEN) {
            return super::one_error(Error::Io {
                path: source.to_path_buf(),
                offset: input.head.len() as u64,
                source: source_err,
            });
        }
        let name = source.to_string_lossy().into_owned();
        match route(&name, &input.head) {
            Route::Plain => {
                let mut entries = StreamEntries::new(self.clone(), source, input);
                if let Some(w) = watch {
                    entries.watch(w);
                }
                entries.single_format(single);
                Entries::new(entries)
            }
            Route::Container(c) => self.container_stream(&name, c, input),
            route => {
                // An .emlx file or a store: its reader needs the whole input.
                let max = match route {
                    Route::Emlx => self.max_message_size.saturating_add(EMLX_SLACK),
                    _ => self.limits.max_buffer,
                };
                match read_bounded(&mut input, max) {
                    Ok(Some(data)) => self.bytes_entries(source, Bytes::from(data), single, None),
                    Ok(None) => super::one_error(Error::Skipped {
                        path: source.to_path_buf(),
                        reason: needs_seek(route, max),
                    }),
                    Err(e) => super::one_error(Error::Io {
                        path: source.to_path_buf(),
                        offset: 0,
                        source: e,
                    }),
                }
            }
        }
    }
}

impl Reader {
    /// Entries of a file read without a memory map: a mailbox through the streaming path,
    /// a container or store from the file itself (it can seek).
    pub(crate) fn file_entries(
        &self,
        source: Arc<Path>,
        mut file: std::fs::File,
        single: Format,
        watch: Option<FileWatch>,
    ) -> Entries {
        use std::io::{Seek, SeekFrom};
        let mut head = Vec::with_capacity(HEAD_LEN);
        let peeked = (&mut file)
            .take(HEAD_LEN as u64)
            .read_to_end(&mut head)
            .and_then(|_| file.seek(SeekFrom::Start(0)));
        if let Err(e) = peeked {
            return super::one_error(Error::Io {
                path: source.to_path_buf(),
                offset: 0,
                source: e,
            });
        }
        let name = source.to_string_lossy().into_owned();
        match route(&name, &head) {
            Route::Plain => {
                let mut entries = self.stream_entries(source, file, single, watch);
                entries.file_backed = true;
                entries
            }
            Route::Emlx => self.stream_entries(source, file, single, watch),
            Route::Container(c) => self.container_file(&name, c, file),
            Route::Store(format) => self.store_file(&name, format, file),
            Route::Msg => self.msg_file(&name, file),
        }
    }
}

/// Why an input that needs random access was not read from a stream.
fn needs_seek(route: Route, max: u64) -> String {
    let what = match route {
        Route::Emlx => "an .emlx file larger than the largest message".to_string(),
        Route::Store(Format::Ost) => "an Outlook OST store".to_string(),
        Route::Store(_) => "an Outlook PST store".to_string(),
        Route::Msg => "an Outlook MSG file".to_string(),
        Route::Container(c) => format!("a {} archive", c.as_str()),
        Route::Plain => "this input".to_string(),
    };
    format!(
        "{what} needs random access: over the {max}-byte buffer allowed for a stream; give it as a file"
    )
}

/// A stream whose first bytes were read ahead, then given back.
pub(crate) struct Peek<R> {
    head: Vec<u8>,
    pos: usize,
    inner: R,
}

impl<R: Read> Peek<R> {
    fn new(inner: R) -> Self {
        Peek {
            head: Vec::new(),
            pos: 0,
            inner,
        }
    }

    /// Read ahead until `n` bytes are held or the stream ends.
    fn fill(&mut self, n: usize) -> std::io::Result<()> {
        let mut chunk = [0u8; 1024];
        while self.head.len() < n {
            let want = (n - self.head.len()).min(chunk.len());
            match self.inner.read(chunk.get_mut(..want).unwrap_or_default()) {
                Ok(0) => break,
                Ok(k) => self
                    .head
                    .extend_from_slice(chunk.get(..k).unwrap_or_default()),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
}

impl<R: Read> Read for Peek<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if let Some(rest) = self.head.get(self.pos..)
            && !rest.is_empty()
        {
            let n = rest.len().min(buf.len());
            buf.get_mut(..n)
                .unwrap_or_default()
                .copy_from_slice(rest.get(..n).unwrap_or_default());
            self.pos += n;
            return Ok(n);
        }
        self.inner.read(buf)
    }
}

// ---------------------------------------------------------------------------------------------
// Containers.

#[cfg(feature = "archives")]
mod archives {
    use super::*;
    use crate::read::container::{self, Event, Member};

    impl Reader {
        pub(crate) fn container_bytes(
            &self,
            name: &str,
            _container: detect::Container,
            data: Bytes,
        ) -> Entries {
            let reader = self.clone();
            let outer = name.to_string();
            pump(name, move |sink| {
                let limits = reader.limits.clone();
                container::walk_seekable(&outer, Cursor::new(data), &limits, &mut |event| {
                    visit(&reader, event, sink)
                });
            })
        }

        pub(crate) fn container_file(
            &self,
            name: &str,
            _container: detect::Container,
            file: std::fs::File,
        ) -> Entries {
            let reader = self.clone();
            let outer = name.to_string();
            pump(name, move |sink| {
                let limits = reader.limits.clone();
                container::walk_seekable(
                    &outer,
                    container::SeekBuf::new(file, 1 << 16),
                    &limits,
                    &mut |event| visit(&reader, event, sink),
                );
            })
        }

        pub(crate) fn container_stream<R: Read + Send + 'static>(
            &self,
            name: &str,
            _container: detect::Container,
            mut input: R,
        ) -> Entries {
            let reader = self.clone();
            let outer = name.to_string();
            pump(name, move |sink| {
                let limits = reader.limits.clone();
                container::walk_reader(&outer, &mut input, &limits, &mut |event| {
                    visit(&reader, event, sink)
                });
            })
        }
    }

    /// What becomes of one event of a container walk.
    fn visit(reader: &Reader, event: Event<'_>, sink: &mut Sink) -> Flow {
        match event {
            Event::Member(m) => member(reader, m, sink),
            Event::Skipped { path, reason } => sink.push(Err(Error::Skipped {
                path: path.into(),
                reason: reason.to_string(),
            })),
            Event::Error(e) => sink.push(Err(e.into_error())),
        }
    }

    /// Read one member as the file it would be when unpacked.
    fn member(reader: &Reader, m: Member<'_>, sink: &mut Sink) -> Flow {
        let source: Arc<Path> = Arc::from(Path::new(&m.path));
        let route = match m.kind {
            Kind::Emlx | Kind::PartialEmlx => Route::Emlx,
            Kind::Pst => Route::Store(Format::Pst),
            Kind::Ost => Route::Store(Format::Ost),
            Kind::Msg => Route::Msg,
            _ => Route::Plain,
        };
        if route == Route::Plain {
            // The splitter reads the member from its stream; a small member gets a read
            // buffer of its own size rather than the full one.
            let single = if m.kind == Kind::Maildir {
                Format::Maildir
            } else {
                Format::Eml
            };
            let mut member_reader = reader.clone();
            if let Some(size) = m.declared_size {
                let fit = usize::try_from(size.saturating_add(1)).unwrap_or(usize::MAX);
                member_reader = member_reader.buffer_size(reader.buffer_size.min(fit.max(4096)));
            }
            let mut entries = StreamEntries::new(member_reader, source, m.reader);
            entries.single_format(single);
            return sink.push_all(entries);
        }
        let max = match route {
            Route::Emlx => reader.max_message_size.saturating_add(EMLX_SLACK),
            _ => reader.limits.max_buffer,
        };
        if m.declared_size.is_some_and(|d| d > max) {
            return sink.push(Err(Error::Skipped {
                path: source.to_path_buf(),
                reason: needs_seek(route, max),
            }));
        }
        match read_bounded(m.reader, max) {
            Ok(Some(data)) => {
                let data = Bytes::from(data);
                match route {
                    Route::Emlx => {
                        let limit = reader.max_message_size;
                        match emlx::file_messages(&source, data.clone(), limit, false) {
                            Some(items) => {
                                sink.push_all(items.into_iter().map(|m| m.map(Entry::Message)))
                            }
                            None => sink.push_all(SliceEntries::new(
                                reader.clone(),
                                source,
                                data,
                                Format::Eml,
                                0,
                            )),
                        }
                    }
                    Route::Store(format) => {
                        reader.read_store(&m.path, format, Cursor::new(data), sink)
                    }
                    _ => reader.read_msg(&m.path, Cursor::new(data), sink),
                }
            }
            Ok(None) => sink.push(Err(Error::Skipped {
                path: source.to_path_buf(),
                reason: needs_seek(route, max),
            })),
            // The walker reports the failure of the member's stream itself.
            Err(_) => Flow::Continue,
        }
    }
}

#[cfg(not(feature = "archives"))]
impl Reader {
    pub(crate) fn container_file(
        &self,
        name: &str,
        container: detect::Container,
        _file: std::fs::File,
    ) -> Entries {
        without_feature(name, container.as_str(), "archives")
    }

    pub(crate) fn container_bytes(
        &self,
        name: &str,
        container: detect::Container,
        _data: Bytes,
    ) -> Entries {
        without_feature(name, container.as_str(), "archives")
    }

    pub(crate) fn container_stream<R: Read + Send + 'static>(
        &self,
        name: &str,
        container: detect::Container,
        _input: R,
    ) -> Entries {
        without_feature(name, container.as_str(), "archives")
    }
}

#[cfg(not(all(feature = "archives", feature = "outlook")))]
fn without_feature(name: &str, what: &str, feature: &str) -> Entries {
    super::one_error(Error::Skipped {
        path: PathBuf::from(name),
        reason: format!("a {what} file: reading it needs the crate feature `{feature}`"),
    })
}

// ---------------------------------------------------------------------------------------------
// Outlook stores.

#[cfg(feature = "outlook")]
impl Reader {
    fn store_bytes(&self, name: &str, format: Format, data: Bytes) -> Entries {
        self.store_file(name, format, Cursor::new(data))
    }

    fn msg_bytes(&self, name: &str, data: Bytes) -> Entries {
        self.msg_file(name, Cursor::new(data))
    }

    /// Entries of the PST or OST store `input` named `name`, read on a thread of their own.
    fn store_file<R: Read + Seek + Send + 'static>(
        &self,
        name: &str,
        format: Format,
        input: R,
    ) -> Entries {
        let reader = self.clone();
        let outer = name.to_string();
        pump(name, move |sink| {
            reader.read_store(&outer, format, input, sink);
        })
    }

    /// The message of the MSG file `input` named `name`, read on a thread of its own.
    fn msg_file<R: Read + Seek + Send + 'static>(&self, name: &str, input: R) -> Entries {
        let reader = self.clone();
        let outer = name.to_string();
        pump(name, move |sink| {
            reader.read_msg(&outer, input, sink);
        })
    }

    /// Read every message of the PST or OST store `input` named `name` into `sink`.
    pub(crate) fn read_store<R: Read + Seek + 'static>(
        &self,
        name: &str,
        format: Format,
        input: R,
        sink: &mut Sink,
    ) -> Flow {
        use crate::read::store::{self, StoreEvent};
        let limit = self.max_message_size;
        let mut flow = Flow::Continue;
        let read = store::read_pst_from(name, input, &self.limits, &mut |event| {
            flow = match event {
                StoreEvent::Message(m) => {
                    sink.push(store::message(&m, format, limit).map(Entry::Message))
                }
                StoreEvent::Error(e) => sink.push(Err(e.into_error())),
            };
            flow
        });
        match read {
            Ok(_) => flow,
            Err(e) => sink.push(Err(e.into_error())),
        }
    }

    /// Read the MSG file `input` named `name` into `sink`.
    pub(crate) fn read_msg<R: Read + Seek>(&self, name: &str, input: R, sink: &mut Sink) -> Flow {
        use crate::read::store;
        match store::read_msg_from(name, input, &self.limits) {
            Ok(m) => sink
                .push(store::message(&m, Format::Msg, self.max_message_size).map(Entry::Message)),
            Err(e) => sink.push(Err(e.into_error())),
        }
    }
}

#[cfg(not(feature = "outlook"))]
impl Reader {
    fn store_bytes(&self, name: &str, format: Format, _data: Bytes) -> Entries {
        without_feature(name, format.as_str(), "outlook")
    }

    fn msg_bytes(&self, name: &str, _data: Bytes) -> Entries {
        without_feature(name, "msg", "outlook")
    }

    fn store_file<R>(&self, name: &str, format: Format, _input: R) -> Entries {
        without_feature(name, format.as_str(), "outlook")
    }

    fn msg_file<R>(&self, name: &str, _input: R) -> Entries {
        without_feature(name, "msg", "outlook")
    }

    #[cfg(feature = "archives")]
    pub(crate) fn read_store<R>(
        &self,
        name: &str,
        format: Format,
        _input: R,
        sink: &mut Sink,
    ) -> Flow {
        sink.push_all(without_feature(name, format.as_str(), "outlook"))
    }

    #[cfg(feature = "archives")]
    pub(crate) fn read_msg<R>(&self, name: &str, _input: R, sink: &mut Sink) -> Flow {
        sink.push_all(without_feature(name, "msg", "outlook"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_by_magic_then_name() {
        assert_eq!(
            route("a.mbox.gz", &[0x1f, 0x8b, 8, 0]),
            Route::Container(detect::Container::Gzip)
        );
        assert_eq!(route("x/1.emlx", b"12\nSubject: x\n"), Route::Emlx);
        assert_eq!(
            route("boss.pst", b"!BDN\0\0\0\0SM\x17\0"),
            Route::Store(Format::Pst)
        );
        assert_eq!(
            route("dump.mbox", b"From a@b Mon Jan  1 00:00:00 2001\n"),
            Route::Plain
        );
        assert_eq!(route("notes.txt", b"hello"), Route::Plain);
    }

    #[test]
    fn peek_gives_every_byte_back() {
        let data: Vec<u8> = (0..=255u8).cycle().take(5000).collect();
        let mut p = Peek::new(&data[..]);
        p.fill(HEAD_LEN).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(p.head, &data[..HEAD_LEN]);
        let mut all = Vec::new();
        p.read_to_end(&mut all).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(all, data);
    }

    #[test]
    fn bounded_reads() {
        let data = vec![7u8; 100];
        assert_eq!(
            read_bounded(&mut &data[..], 100).unwrap_or_else(|e| panic!("{e}")),
            Some(data.clone())
        );
        assert_eq!(
            read_bounded(&mut &data[..], 99).unwrap_or_else(|e| panic!("{e}")),
            None
        );
    }
}
