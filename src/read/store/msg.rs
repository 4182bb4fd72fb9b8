//! Outlook MSG files (MS-OXMSG): a compound file whose storages hold one message's properties:
//! fixed-size values in `__properties_version1.0`, the others in `__substg1.0_IIIITTTT`
//! streams (`IIII` the property id, `TTTT` its type), recipients in `__recip_version1.0_#N`,
//! attachments in `__attach_version1.0_#N`, and an embedded message in an attachment's
//! `__substg1.0_3701000D` storage.

use std::collections::HashMap;
use std::io::{Read, Seek};

use super::{
    Attachment, ContainerLimits, RawString, Recipient, Source, StoreMessage, decode_8bit,
    fill_attachment, fill_message,
};
use crate::read::walk::{LimitKind, Result, WalkError};

const PT_SHORT: u16 = 0x0002;
const PT_LONG: u16 = 0x0003;
const PT_BOOLEAN: u16 = 0x000B;
const PT_STRING8: u16 = 0x001E;
const PT_UNICODE: u16 = 0x001F;
const PT_SYSTIME: u16 = 0x0040;
const PT_BINARY: u16 = 0x0102;

/// One property value of an MSG storage.
#[derive(Debug, Clone)]
enum Value {
    Int(i32),
    Time(i64),
    String8(Vec<u8>),
    Unicode(Vec<u16>),
    Binary(Vec<u8>),
}

/// The properties of one storage (message, attachment or recipient).
#[derive(Debug, Default)]
struct Props(HashMap<u16, Value>);

impl Source for Props {
    fn int(&self, id: u16) -> Option<i32> {
        match self.0.get(&id)? {
            Value::Int(i) => Some(*i),
            _ => None,
        }
    }

    fn time(&self, id: u16) -> Option<i64> {
        match self.0.get(&id)? {
            Value::Time(t) => Some(super::filetime_to_unix(*t)),
            _ => None,
        }
    }

    fn string(&self, id: u16, cp: Option<i32>) -> Option<String> {
        match self.0.get(&id)? {
            Value::String8(b) => Some(decode_8bit(b, cp)),
            Value::Unicode(u) => Some(String::from_utf16_lossy(u)),
            Value::Binary(b) => Some(decode_8bit(b, cp)),
            _ => None,
        }
    }

    fn binary(&self, id: u16) -> Option<Vec<u8>> {
        match self.0.get(&id)? {
            Value::Binary(b) | Value::String8(b) => Some(b.clone()),
            Value::Unicode(u) => Some(String::from_utf16_lossy(u).into_bytes()),
            _ => None,
        }
    }

    fn raw_string(&self, id: u16) -> Option<RawString> {
        match self.0.get(&id)? {
            Value::String8(b) => Some(RawString {
                unicode: false,
                bytes: b.clone(),
            }),
            Value::Unicode(u) => Some(RawString {
                unicode: true,
                bytes: u.iter().flat_map(|x| x.to_le_bytes()).collect(),
            }),
            _ => None,
        }
    }
}

struct Reader<'l, F> {
    file: cfb::CompoundFile<F>,
    limits: &'l ContainerLimits,
    name: String,
    notes: Vec<String>,
}

impl<F: Read + Seek> Reader<'_, F> {
    fn stream(&mut self, path: &str) -> Option<Vec<u8>> {
        let len = self.file.entry(path).ok()?.len();
        if len > self.limits.max_property_bytes {
            self.notes.push(format!(
                "{path}: {len} bytes, over the {} limit; not read",
                LimitKind::PropertyBytes
            ));
            return None;
        }
        let mut data = Vec::new();
        match self.file.open_stream(path) {
            Ok(mut s) => {
                if let Err(e) = s.read_to_end(&mut data) {
                    self.notes.push(format!("{path}: {e}"));
                    return None;
                }
            }
            Err(e) => {
                self.notes.push(format!("{path}: {e}"));
                return None;
            }
        }
        Some(data)
    }

    /// Names of the entries directly inside storage `dir`.
    fn children(&mut self, dir: &str) -> Vec<(String, bool)> {
        match self.file.read_storage(dir) {
            Ok(entries) => entries
                .map(|e| (e.name().to_string(), e.is_stream()))
                .collect(),
            Err(_) => Vec::new(),
        }
    }

    /// The properties of storage `dir`, whose property stream header is `header` bytes long
    /// (32 for the top-level message, 24 for an embedded one, 8 for attachments and
    /// recipients).
    fn props(&mut self, dir: &str, header: usize) -> Props {
        let mut props = Props::default();
        let base = if dir == "/" {
            String::new()
        } else {
            dir.to_string()
        };
        if let Some(fixed) = self.stream(&format!("{base}/__properties_version1.0")) {
            for entry in fixed.get(header..).unwrap_or_default().chunks_exact(16) {
                let tag = u32::from_le_bytes([entry[0], entry[1], entry[2], entry[3]]);
                let (id, ty) = ((tag >> 16) as u16, (tag & 0xFFFF) as u16);
                let value = &entry[8..16];
                let v = match ty {
                    PT_LONG => {
                        Value::Int(i32::from_le_bytes([value[0], value[1], value[2], value[3]]))
                    }
                    PT_SHORT => Value::Int(i32::from(i16::from_le_bytes([value[0], value[1]]))),
                    PT_BOOLEAN => Value::Int(i32::from(value[0] != 0)),
                    PT_SYSTIME => {
                        let mut b = [0u8; 8];
                        b.copy_from_slice(value);
                        Value::Time(i64::from_le_bytes(b))
                    }
                    _ => continue,
                };
                props.0.insert(id, v);
            }
        }
        for (name, is_stream) in self.children(if dir.is_empty() { "/" } else { dir }) {
            let Some(hex) = name.strip_prefix("__substg1.0_") else {
                continue;
            };
            if !is_stream || hex.len() != 8 {
                continue;
            }
            let Ok(tag) = u32::from_str_radix(hex, 16) else {
                continue;
            };
            let (id, ty) = ((tag >> 16) as u16, (tag & 0xFFFF) as u16);
            if !matches!(ty, PT_STRING8 | PT_UNICODE | PT_BINARY) {
                continue;
            }
            let Some(data) = self.stream(&format!("{base}/{name}")) else {
                continue;
            };
            let v = match ty {
                PT_STRING8 => Value::String8(data.strip_suffix(&[0]).unwrap_or(&data).to_vec()),
                PT_UNICODE => {
                    let mut units: Vec<u16> = data
                        .chunks_exact(2)
                        .map(|c| u16::from_le_bytes([c[0], c[1]]))
                        .collect();
                    if units.last() == Some(&0) {
                        units.pop();
                    }
                    Value::Unicode(units)
                }
                _ => Value::Binary(data),
            };
            props.0.insert(id, v);
        }
        props
    }

    fn message(&mut self, dir: &str, header: usize, path: String, depth: u32) -> StoreMessage {
        let props = self.props(dir, header);
        let mut m = StoreMessage {
            path: path.clone(),
            ..StoreMessage::default()
        };
        fill_message(&mut m, &props, self.limits);
        let cp = m.message_codepage.or(m.internet_codepage);
        let base = if dir == "/" {
            String::new()
        } else {
            dir.to_string()
        };
        let mut recips: Vec<String> = Vec::new();
        let mut attachments: Vec<String> = Vec::new();
        for (name, is_stream) in self.children(if dir.is_empty() { "/" } else { dir }) {
            if is_stream {
                continue;
            }
            if name.starts_with("__recip_version1.0_#") {
                recips.push(name);
            } else if name.starts_with("__attach_version1.0_#") {
                attachments.push(name);
            }
        }
        recips.sort();
        attachments.sort();
        for r in recips {
            let p = self.props(&format!("{base}/{r}"), 8);
            m.recipients.push(Recipient {
                kind: p.int(0x0C15).unwrap_or(1),
                name: p.string(0x3001, cp),
                address: p.string(0x39FE, cp).or_else(|| p.string(0x3003, cp)),
            });
        }
        if attachments.len() > self.limits.max_attachments as usize {
            m.notes.push(format!(
                "{} attachments, over the {} limit of {}: the rest are not read",
                attachments.len(),
                LimitKind::Attachments,
                self.limits.max_attachments
            ));
        }
        for (k, a) in attachments
            .into_iter()
            .take(self.limits.max_attachments as usize)
            .enumerate()
        {
            let adir = format!("{base}/{a}");
            let p = self.props(&adir, 8);
            let mut att = Attachment::default();
            fill_attachment(&mut att, &p);
            match p.0.get(&0x3701) {
                Some(Value::Binary(b)) => att.data = Some(b.clone()),
                _ => {
                    let embedded = format!("{adir}/__substg1.0_3701000D");
                    if self.file.is_storage(&embedded) {
                        if depth + 1 > self.limits.max_recursion {
                            att.note = Some(format!(
                                "embedded message over the {} limit",
                                LimitKind::Recursion
                            ));
                        } else {
                            let inner_path = format!("{path}/attachment {}", k + 1);
                            let inner = self.message(&embedded, 24, inner_path, depth + 1);
                            att.embedded = Some(Box::new(inner));
                        }
                    } else if att.method == 6 || p.0.contains_key(&0x3701) {
                        att.note = Some("OLE storage attachment: not read".into());
                    } else {
                        att.note = Some("no data".into());
                    }
                }
            }
            m.attachments.push(att);
        }
        m.notes.append(&mut self.notes);
        m
    }
}

/// Read an MSG file from any seekable reader (a member buffered in memory, say).
pub fn read_msg_from<F: Read + Seek>(
    name: &str,
    reader: F,
    limits: &ContainerLimits,
) -> Result<StoreMessage> {
    let file = cfb::CompoundFile::open(reader).map_err(|e| WalkError::Store {
        path: name.to_string(),
        reason: format!("not a compound file: {e}"),
    })?;
    let mut reader = Reader {
        file,
        limits,
        name: name.to_string(),
        notes: Vec::new(),
    };
    if !reader.file.is_stream("/__properties_version1.0") {
        return Err(WalkError::Store {
            path: reader.name.clone(),
            reason: "a compound file without __properties_version1.0: not an Outlook message"
                .into(),
        });
    }
    Ok(reader.message("/", 32, name.to_string(), 0))
}
