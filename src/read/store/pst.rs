//! PST and OST files (ANSI and Unicode) through Microsoft's `outlook-pst` crate.

use std::io::{self, Read, Seek, SeekFrom};
use std::rc::Rc;

use outlook_pst::ltp::prop_context::PropertyValue;
use outlook_pst::ltp::table_context::TableContext;
use outlook_pst::messaging::attachment::{
    AnsiAttachment, Attachment as PstAttachment, AttachmentData, AttachmentProperties,
    UnicodeAttachment,
};
use outlook_pst::messaging::folder::Folder;
use outlook_pst::messaging::message::{AnsiMessage, Message, MessageProperties, UnicodeMessage};
use outlook_pst::messaging::store::{AnsiStore, EntryId, Store, UnicodeStore};
use outlook_pst::ndb::node_id::NodeId;
use outlook_pst::{AnsiPstFile, UnicodePstFile};

use super::{Attachment, ContainerLimits, RawString, Recipient, Source, StoreMessage, decode_8bit};
use crate::read::walk::Flow;
use crate::read::walk::{LimitKind, Result, WalkError};

/// Counts of one store read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoreSummary {
    /// Whether the file is a Unicode (2003+) store rather than ANSI (97-2002).
    pub unicode: bool,
    /// The store's display name (`PR_DISPLAY_NAME` of the message store).
    pub display_name: Option<String>,
    /// Folders visited.
    pub folders: u64,
    /// Messages handed to the visitor.
    pub messages: u64,
    /// Errors reported.
    pub errors: u64,
    /// Whether reading stopped early (the visitor asked, or a budget ran out).
    pub stopped: bool,
}

/// What [`read_pst`] reports, in folder order.
#[derive(Debug)]
pub enum StoreEvent {
    /// A message (with its attachments and embedded messages).
    Message(Box<StoreMessage>),
    /// A folder or message that could not be read, or a budget reached.
    Error(WalkError),
}

/// A property getter shared by messages and attachments.
pub(crate) trait Props {
    fn prop(&self, id: u16) -> Option<&PropertyValue>;
}

impl Props for MessageProperties {
    fn prop(&self, id: u16) -> Option<&PropertyValue> {
        self.get(id)
    }
}

impl Props for AttachmentProperties {
    fn prop(&self, id: u16) -> Option<&PropertyValue> {
        self.get(id)
    }
}

fn text(v: &PropertyValue, cpid: Option<i32>) -> Option<String> {
    match v {
        PropertyValue::String8(s) => Some(decode_8bit(trim_nul8(s.buffer()), cpid)),
        PropertyValue::Unicode(s) => Some(String::from_utf16_lossy(trim_nul16(s.buffer()))),
        PropertyValue::Binary(b) => Some(decode_8bit(b.buffer(), cpid)),
        _ => None,
    }
}

fn trim_nul8(b: &[u8]) -> &[u8] {
    b.strip_suffix(&[0]).unwrap_or(b)
}

fn trim_nul16(b: &[u16]) -> &[u16] {
    b.strip_suffix(&[0]).unwrap_or(b)
}

/// The shared property reader over `outlook-pst` values.
struct PstSource<'a>(&'a dyn Props);

impl Source for PstSource<'_> {
    fn int(&self, id: u16) -> Option<i32> {
        match self.0.prop(id)? {
            PropertyValue::Integer32(i) => Some(*i),
            PropertyValue::Integer16(i) => Some(i32::from(*i)),
            _ => None,
        }
    }

    fn time(&self, id: u16) -> Option<i64> {
        match self.0.prop(id)? {
            PropertyValue::Time(t) => Some(super::filetime_to_unix(*t)),
            _ => None,
        }
    }

    fn string(&self, id: u16, cp: Option<i32>) -> Option<String> {
        self.0.prop(id).and_then(|v| text(v, cp))
    }

    fn binary(&self, id: u16) -> Option<Vec<u8>> {
        match self.0.prop(id)? {
            PropertyValue::Binary(b) => Some(b.buffer().to_vec()),
            PropertyValue::String8(s) => Some(trim_nul8(s.buffer()).to_vec()),
            PropertyValue::Unicode(s) => {
                Some(String::from_utf16_lossy(trim_nul16(s.buffer())).into_bytes())
            }
            _ => None,
        }
    }

    fn raw_string(&self, id: u16) -> Option<RawString> {
        match self.0.prop(id)? {
            PropertyValue::String8(s) => Some(RawString {
                unicode: false,
                bytes: trim_nul8(s.buffer()).to_vec(),
            }),
            PropertyValue::Unicode(s) => Some(RawString {
                unicode: true,
                bytes: trim_nul16(s.buffer())
                    .iter()
                    .flat_map(|u| u.to_le_bytes())
                    .collect(),
            }),
            _ => None,
        }
    }
}

fn fill_message(m: &mut StoreMessage, p: &dyn Props, limits: &ContainerLimits) {
    super::fill_message(m, &PstSource(p), limits);
}

fn fill_attachment(a: &mut Attachment, p: &dyn Props) {
    super::fill_attachment(a, &PstSource(p));
}

fn string(p: &dyn Props, id: u16, cp: Option<i32>) -> Option<String> {
    PstSource(p).string(id, cp)
}

fn int(p: &dyn Props, id: u16) -> Option<i32> {
    PstSource(p).int(id)
}

/// One table row: its id and its (property id, value) columns.
type TableRow = (u32, Vec<(u16, PropertyValue)>);
type OpenMessage<M> = Box<dyn Fn(&EntryId) -> io::Result<Rc<M>>>;
type OpenAttachment<M> = Box<dyn Fn(&Rc<M>, NodeId) -> io::Result<Rc<dyn PstAttachment>>>;

/// Rows of a table as property id -> value maps.
fn table_rows(table: &dyn TableContext) -> io::Result<Vec<TableRow>> {
    let context = table.context();
    let mut out = Vec::new();
    for row in table.rows_matrix() {
        let mut values = Vec::new();
        for (column, value) in context.columns().iter().zip(row.columns(context)?) {
            if let Some(value) = value
                && let Ok(v) = table.read_column(&value, column.prop_type())
            {
                values.push((column.prop_id(), v));
            }
        }
        out.push((u32::from(row.id()), values));
    }
    Ok(out)
}

struct Row(Vec<(u16, PropertyValue)>);

impl Props for Row {
    fn prop(&self, id: u16) -> Option<&PropertyValue> {
        self.0.iter().find(|(i, _)| *i == id).map(|(_, v)| v)
    }
}

fn recipients(message: &dyn Message, cp: Option<i32>) -> Vec<Recipient> {
    let Some(table) = message.recipient_table() else {
        return Vec::new();
    };
    let Ok(rows) = table_rows(table.as_ref()) else {
        return Vec::new();
    };
    rows.into_iter()
        .map(|(_, values)| {
            let row = Row(values);
            Recipient {
                kind: int(&row, 0x0C15).unwrap_or(1),
                name: string(&row, 0x3001, cp),
                address: string(&row, 0x39FE, cp).or_else(|| string(&row, 0x3003, cp)),
            }
        })
        .collect()
}

/// Read a message held only as a trait object (an embedded message): its properties,
/// recipients and the names of its attachments. `outlook-pst` 1.2 opens attachments only
/// through the concrete message type, which an embedded message does not expose.
fn embedded_message(
    message: &dyn Message,
    path: String,
    folder: &str,
    limits: &ContainerLimits,
) -> StoreMessage {
    let mut m = StoreMessage {
        path,
        folder: folder.to_string(),
        ..StoreMessage::default()
    };
    fill_message(&mut m, message.properties(), limits);
    m.recipients = recipients(message, m.message_codepage.or(m.internet_codepage));
    if let Some(table) = message.attachment_table()
        && let Ok(rows) = table_rows(table.as_ref())
    {
        for (_, values) in rows.into_iter().take(limits.max_attachments as usize) {
            let mut a = Attachment::default();
            fill_attachment(&mut a, &Row(values));
            a.note = Some("attachment of an embedded message: its data is not reachable through outlook-pst 1.2".into());
            m.attachments.push(a);
        }
    }
    m
}

/// How messages and attachments are opened for one store flavour.
struct Opener<M> {
    store: Rc<dyn Store>,
    open_message: OpenMessage<M>,
    open_attachment: OpenAttachment<M>,
}

struct Walk<'v, M> {
    opener: Opener<M>,
    name: String,
    limits: ContainerLimits,
    visit: &'v mut dyn FnMut(StoreEvent) -> Flow,
    summary: StoreSummary,
}

impl<M: Message + 'static> Walk<'_, M> {
    fn emit(&mut self, event: StoreEvent) {
        if self.summary.stopped {
            return;
        }
        match &event {
            StoreEvent::Message(_) => self.summary.messages += 1,
            StoreEvent::Error(_) => self.summary.errors += 1,
        }
        if (self.visit)(event) == Flow::Stop {
            self.summary.stopped = true;
        }
    }

    fn error(&mut self, path: &str, reason: String) {
        self.emit(StoreEvent::Error(WalkError::Store {
            path: path.to_string(),
            reason,
        }));
    }

    fn limit(&mut self, path: &str, limit: LimitKind, value: u64, max: u64) {
        self.emit(StoreEvent::Error(WalkError::Limit {
            path: path.to_string(),
            offset: 0,
            limit,
            value,
            max,
        }));
        self.summary.stopped = true;
    }

    fn folder(&mut self, folder: Rc<dyn Folder>, path: &str, depth: u32) {
        if self.summary.stopped {
            return;
        }
        self.summary.folders += 1;
        if self.summary.folders > self.limits.max_folders {
            let (v, m) = (self.summary.folders, self.limits.max_folders);
            self.limit(path, LimitKind::Folders, v, m);
            return;
        }
        if let Some(contents) = folder.contents_table() {
            match table_rows(contents.as_ref()) {
                Ok(rows) => {
                    for (i, (id, _)) in rows.iter().enumerate() {
                        if self.summary.stopped {
                            return;
                        }
                        if self.summary.messages >= self.limits.max_messages {
                            let m = self.limits.max_messages;
                            self.limit(path, LimitKind::Messages, m + 1, m);
                            return;
                        }
                        self.message(*id, path, i + 1);
                    }
                }
                Err(e) => self.error(
                    &format!("{}!{path}", self.name),
                    format!("contents table: {e}"),
                ),
            }
        }
        let Some(hierarchy) = folder.hierarchy_table() else {
            return;
        };
        if depth + 1 > self.limits.max_folder_depth {
            let m = self.limits.max_folder_depth;
            self.emit(StoreEvent::Error(WalkError::Limit {
                path: format!("{}!{path}", self.name),
                offset: 0,
                limit: LimitKind::Recursion,
                value: u64::from(depth + 1),
                max: u64::from(m),
            }));
            return;
        }
        let ids: Vec<u32> = hierarchy.rows_matrix().map(|r| u32::from(r.id())).collect();
        for id in ids {
            if self.summary.stopped {
                return;
            }
            let opened = self
                .opener
                .store
                .properties()
                .make_entry_id(NodeId::from(id))
                .and_then(|e| self.opener.store.open_folder(&e));
            match opened {
                Ok(child) => {
                    let name = child.properties().display_name().unwrap_or_default();
                    let child_path = if path.is_empty() {
                        name
                    } else {
                        format!("{path}/{name}")
                    };
                    self.folder(child, &child_path, depth + 1);
                }
                Err(e) => {
                    let shown = format!("{}!{path}", self.name);
                    self.error(&shown, format!("subfolder node 0x{id:X}: {e}"));
                }
            }
        }
    }

    fn message(&mut self, id: u32, folder: &str, index: usize) {
        let path = format!("{}!{folder}/{index:05}", self.name);
        let opened = self
            .opener
            .store
            .properties()
            .make_entry_id(NodeId::from(id))
            .and_then(|e| (self.opener.open_message)(&e));
        let message = match opened {
            Ok(m) => m,
            Err(e) => {
                self.error(&path, format!("message node 0x{id:X}: {e}"));
                return;
            }
        };
        let mut m = StoreMessage {
            path: path.clone(),
            folder: folder.to_string(),
            node_id: Some(id),
            ..StoreMessage::default()
        };
        fill_message(&mut m, message.properties(), &self.limits);
        m.recipients = recipients(message.as_ref(), m.message_codepage.or(m.internet_codepage));
        if let Some(table) = message.attachment_table() {
            let rows = table_rows(table.as_ref()).unwrap_or_default();
            let ids: Vec<u32> = table.rows_matrix().map(|r| u32::from(r.id())).collect();
            if ids.len() > self.limits.max_attachments as usize {
                m.notes.push(format!(
                    "{} attachments, over the {} limit of {}: the rest are not read",
                    ids.len(),
                    LimitKind::Attachments,
                    self.limits.max_attachments
                ));
            }
            for (k, aid) in ids
                .into_iter()
                .take(self.limits.max_attachments as usize)
                .enumerate()
            {
                let row = rows
                    .iter()
                    .find(|(id, _)| *id == aid)
                    .map(|(_, v)| v.clone());
                m.attachments
                    .push(self.attachment(&message, aid, row, &path, folder, k + 1));
            }
        }
        self.emit(StoreEvent::Message(Box::new(m)));
    }

    fn attachment(
        &mut self,
        message: &Rc<M>,
        id: u32,
        row: Option<Vec<(u16, PropertyValue)>>,
        path: &str,
        folder: &str,
        n: usize,
    ) -> Attachment {
        let mut a = Attachment::default();
        let opened = (self.opener.open_attachment)(message, NodeId::from(id));
        let att = match opened {
            Ok(att) => att,
            Err(e) => {
                // What the attachment table says about it is all there is.
                if let Some(row) = row {
                    fill_attachment(&mut a, &Row(row));
                }
                a.note = Some(format!(
                    "attachment node 0x{id:X} not readable by outlook-pst: {e}"
                ));
                return a;
            }
        };
        fill_attachment(&mut a, att.properties());
        match att.data() {
            Some(AttachmentData::Binary(b)) => {
                if b.buffer().len() as u64 > self.limits.max_property_bytes {
                    a.note = Some(format!(
                        "{} bytes, over the {} limit",
                        b.buffer().len(),
                        LimitKind::PropertyBytes
                    ));
                } else {
                    a.data = Some(b.buffer().to_vec());
                }
            }
            Some(AttachmentData::Message(inner)) => {
                if self.limits.max_recursion == 0 {
                    a.note = Some(format!(
                        "embedded message over the {} limit",
                        LimitKind::Recursion
                    ));
                } else {
                    let inner_path = format!("{path}/attachment {n}");
                    a.embedded = Some(Box::new(embedded_message(
                        inner.as_ref(),
                        inner_path,
                        folder,
                        &self.limits,
                    )));
                }
            }
            None => a.note = Some("no data (a reference or an unknown method)".into()),
        }
        a
    }
}

/// Read the PST or OST file `reader` named `name` (Unicode, else ANSI), handing each message
/// to `visit` in folder order (depth first from the root folder; messages in contents-table
/// order). Paths are `<name>!<folder path>/<NNNNN>`, `NNNNN` being the message's 1-based
/// position in its folder. The file is only read (`outlook-pst`'s own `open` asks for write
/// access as well: not used).
///
/// `Err` only when the input is not a store that `outlook-pst` opens.
pub fn read_pst_from<R: Read + Seek + 'static>(
    name: &str,
    mut reader: R,
    limits: &ContainerLimits,
    visit: &mut dyn FnMut(StoreEvent) -> Flow,
) -> Result<StoreSummary> {
    let fail = |e: io::Error| WalkError::Store {
        path: name.to_string(),
        reason: e.to_string(),
    };
    // What outlook-pst 1.2 refuses, said plainly: OST files (client magic "SO") and the
    // 4K-page format of Outlook 2013+ (wVer 36 and 37).
    let mut head = [0u8; 12];
    let read_head = (|| {
        reader.seek(SeekFrom::Start(0))?;
        let mut filled = 0;
        while filled < head.len() {
            match reader.read(head.get_mut(filled..).unwrap_or_default())? {
                0 => break,
                n => filled += n,
            }
        }
        reader.seek(SeekFrom::Start(0))
    })();
    read_head.map_err(|source| WalkError::Io {
        path: name.to_string(),
        offset: 0,
        source,
    })?;
    if head.get(..4) != Some(b"!BDN") {
        return Err(WalkError::Store {
            path: name.to_string(),
            reason: "not a PST/OST file (no !BDN magic)".into(),
        });
    }
    let version = u16::from_le_bytes([head[10], head[11]]);
    let ost = head.get(8..10) == Some(b"SO");
    if ost || version >= 36 {
        return Err(WalkError::Unsupported {
            path: name.to_string(),
            reason: format!(
                "{} (format version {version}): outlook-pst 1.2 reads PST files of versions 14, 15 and 23 only",
                if ost { "OST file" } else { "PST file" }
            ),
        });
    }
    // The Unicode reader is tried first (Outlook 2003 and later); wVer 14 and 15 are ANSI.
    let mut reader = Some(reader);
    if version >= 23 {
        let file = UnicodePstFile::read_from(Box::new(
            reader
                .take()
                .ok_or_else(|| fail(io::Error::other("reader already used")))?,
        ))
        .map_err(fail)?;
        let store = UnicodeStore::read(Rc::new(file)).map_err(fail)?;
        let s2 = store.clone();
        let opener = Opener {
            store: store.clone(),
            open_message: Box::new(move |e| UnicodeMessage::read(s2.clone(), e, None)),
            open_attachment: Box::new(|m, id| {
                UnicodeAttachment::read(m.clone(), id, None).map(|a| a as Rc<dyn PstAttachment>)
            }),
        };
        return Ok(walk_store(opener, name.to_string(), limits, visit, true));
    }
    let file = AnsiPstFile::read_from(Box::new(
        reader
            .take()
            .ok_or_else(|| fail(io::Error::other("reader already used")))?,
    ))
    .map_err(fail)?;
    let store = AnsiStore::read(Rc::new(file)).map_err(fail)?;
    let s2 = store.clone();
    let opener = Opener {
        store: store.clone(),
        open_message: Box::new(move |e| AnsiMessage::read(s2.clone(), e, None)),
        open_attachment: Box::new(|m, id| {
            AnsiAttachment::read(m.clone(), id, None).map(|a| a as Rc<dyn PstAttachment>)
        }),
    };
    Ok(walk_store(opener, name.to_string(), limits, visit, false))
}

fn walk_store<M: Message + 'static>(
    opener: Opener<M>,
    name: String,
    limits: &ContainerLimits,
    visit: &mut dyn FnMut(StoreEvent) -> Flow,
    unicode: bool,
) -> StoreSummary {
    let display_name = opener.store.properties().display_name().ok();
    let mut walk = Walk {
        opener,
        name: name.clone(),
        limits: limits.clone(),
        visit,
        summary: StoreSummary {
            unicode,
            display_name,
            ..StoreSummary::default()
        },
    };
    // The root folder (NID_ROOT_FOLDER): its name is empty; its subfolders are the top level
    // ("Top of Personal Folders", search roots, ...).
    let root = walk
        .opener
        .store
        .properties()
        .make_entry_id(NodeId::from(0x122u32))
        .and_then(|e| walk.opener.store.open_folder(&e));
    match root {
        Ok(root) => {
            let root_name = root.properties().display_name().unwrap_or_default();
            walk.folder(root, &root_name, 0);
        }
        Err(e) => walk.error(&name, format!("root folder: {e}")),
    }
    walk.summary
}

#[cfg(test)]
mod tests {
    use super::*;

    fn try_read(head: &[u8]) -> Result<StoreSummary> {
        let mut data = head.to_vec();
        data.resize(1024, 0);
        read_pst_from(
            "x.ost",
            io::Cursor::new(data),
            &ContainerLimits::default(),
            &mut |_| Flow::Continue,
        )
    }

    #[test]
    fn what_outlook_pst_refuses_is_said_plainly() {
        let ost = try_read(b"!BDN\0\0\0\0SO\x17\0");
        assert!(
            matches!(&ost, Err(WalkError::Unsupported { reason, .. }) if reason.starts_with("OST file")),
            "{ost:?}"
        );
        let new_pst = try_read(b"!BDN\0\0\0\0SM\x24\0!");
        assert!(
            matches!(&new_pst, Err(WalkError::Unsupported { reason, .. }) if reason.contains("version 36")),
            "{new_pst:?}"
        );
        let not_pst = try_read(b"hello");
        assert!(matches!(not_pst, Err(WalkError::Store { .. })));
        let broken = try_read(b"!BDN\0\0\0\0SM\x17\0");
        assert!(broken.is_err(), "a header without a store behind it");
        let broken_ansi = try_read(b"!BDN\0\0\0\0SM\x0e\0");
        assert!(
            broken_ansi.is_err(),
            "an ANSI header without a store behind it"
        );
    }
}
