//! Header fields attributed to the hop that added them.
//!
//! Each relay prepends its `Received` field and whatever else it adds (a list its `List-*`,
//! `X-Mailman-*` and `Reply-To` fields, a sealer its ARC set, a filter its stamps), so the
//! header is a stack of blocks separated by `Received` fields. The author's block is below
//! the lowest `Received`; a block with a `Received` below it was added after that hop had
//! the message. A field's block is the run of fields between the nearest `Received` above
//! it and the nearest below it.
//!
//! A copy of a single-use field that sits in a block carrying a list's fields, an ARC set or
//! a relay's stamps, higher than the author's copy, is that hop's addition. The block above
//! the top-most `Received` (where the final delivery writes `Return-Path` and
//! `Delivered-To`, and where a forger editing a stored message would add a field) counts
//! only for a list's fields there.

use crate::fields::received::Hop;
use crate::read::headers::{Field, Headers};

/// What marks a block as added by a hop.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Stamp {
    /// Stamps of a relay or filter (`Authentication-Results`, `X-Spam-*`, `X-Virus-*`,
    /// `X-MS-Exchange-*`, `Resent-*`, ...).
    Relay,
    /// An ARC set (`ARC-Seal`, `ARC-Message-Signature`, `ARC-Authentication-Results`).
    Arc,
    /// A mailing list's fields (`List-*`, `X-Mailman-*`, `Mailing-List`, `X-BeenThere`, ...).
    List,
}

impl Stamp {
    /// How the block is described to a reader.
    pub(crate) fn describe(self) -> &'static str {
        match self {
            Stamp::Relay => "a relay's stamps",
            Stamp::Arc => "an ARC set",
            Stamp::List => "a mailing list's fields",
        }
    }
}

/// Name prefixes of a list's fields.
const LIST_PREFIXES: [&str; 5] = [
    "list-",
    "x-mailman-",
    "x-sympa-",
    "x-google-group",
    "x-ezmlm-",
];
/// Names of a list's fields.
const LIST_NAMES: [&str; 5] = [
    "mailing-list",
    "x-beenthere",
    "x-listserver",
    "x-list-administrivia",
    "x-loop",
];
/// Name prefixes of an ARC set.
const ARC_PREFIXES: [&str; 1] = ["arc-"];
/// Name prefixes of a relay's or filter's stamps.
const RELAY_PREFIXES: [&str; 8] = [
    "x-spam-",
    "x-virus-",
    "x-ms-exchange-",
    "x-forwarded-",
    "resent-",
    "x-original-",
    "x-barracuda-",
    "x-ironport-",
];
/// Names of a relay's or filter's stamps.
const RELAY_NAMES: [&str; 5] = [
    "authentication-results",
    "x-received",
    "delivered-to",
    "x-scanned-by",
    "received-spf",
];

fn has_prefix(name: &[u8], prefix: &str) -> bool {
    name.len() >= prefix.len()
        && name
            .get(..prefix.len())
            .is_some_and(|p| p.eq_ignore_ascii_case(prefix.as_bytes()))
}

/// The stamp a field is, if any.
fn stamp_of(f: &Field<'_>) -> Option<Stamp> {
    let name = f.name();
    if LIST_PREFIXES.iter().any(|p| has_prefix(name, p)) || LIST_NAMES.iter().any(|n| f.is_named(n))
    {
        return Some(Stamp::List);
    }
    if f.is_named("delivered-to") {
        let v = f.raw_value().trim_ascii_start();
        if v.len() >= 12
            && v.get(..12)
                .is_some_and(|p| p.eq_ignore_ascii_case(b"mailing list"))
        {
            return Some(Stamp::List);
        }
    }
    if ARC_PREFIXES.iter().any(|p| has_prefix(name, p)) {
        return Some(Stamp::Arc);
    }
    if RELAY_PREFIXES.iter().any(|p| has_prefix(name, p))
        || RELAY_NAMES.iter().any(|n| f.is_named(n))
    {
        return Some(Stamp::Relay);
    }
    None
}

/// A field attributed to a hop: what marks its block, and the `Received` just below it (the
/// hop that had the message before the field was added).
pub(crate) struct Attribution<'h, 'a> {
    /// The strongest mark of the block (a list's fields over an ARC set over a relay's
    /// stamps).
    pub(crate) stamp: Stamp,
    /// The `Received` just below the field.
    pub(crate) below: &'h Hop<'a>,
}

/// The hop block of the field at `index`, when it is one a hop added: a `Received` below
/// it, and a stamp among the fields between the nearest `Received` above and below (the
/// block above the top-most `Received` counts only with a list's fields). `received` are the
/// parsed `Received` fields, top to bottom.
pub(crate) fn attribute<'h, 'a>(
    headers: &Headers<'a>,
    received: &'h [Hop<'a>],
    index: usize,
) -> Option<Attribution<'h, 'a>> {
    let below = received.iter().find(|h| h.field_index > index)?;
    let above = received
        .iter()
        .rev()
        .find(|h| h.field_index < index)
        .map(|h| h.field_index);
    let top_block = above.is_none();
    let start = above.map_or(0, |a| a + 1);
    let stamp = headers
        .iter()
        .skip(start)
        .take(below.field_index.saturating_sub(start))
        .filter_map(|f| stamp_of(&f))
        .max()?;
    if top_block && stamp != Stamp::List {
        return None;
    }
    Some(Attribution { stamp, below })
}

/// How many `Received` fields sit below the field at `index`: its block, counted from the
/// author's (0).
pub(crate) fn depth(received: &[Hop<'_>], index: usize) -> usize {
    received.iter().filter(|h| h.field_index > index).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hops<'a>(h: &Headers<'a>) -> Vec<Hop<'a>> {
        h.iter()
            .filter(|f| f.is_named("received"))
            .map(|f| crate::fields::received::parse_field(&f))
            .collect()
    }

    #[test]
    fn blocks_between_received_fields() {
        let text = b"Return-Path: <x@a.example>\nDelivered-To: me@b.example\nReceived: from list.example by mx.b.example; Fri, 14 Jul 2017 02:40:09 +0000\nSubject: list copy\nList-Id: <dev.list.example>\nReceived: from mail.a.example by list.example; Fri, 14 Jul 2017 02:40:05 +0000\nSubject: author\nFrom: a@a.example\n\nbody\n";
        let h = Headers::parse(text, 0);
        let r = hops(&h);
        let subjects: Vec<_> = h.get_all("subject").collect();
        let top = attribute(&h, &r, subjects[0].index()).expect("the list's block");
        assert_eq!(top.stamp, Stamp::List);
        assert_eq!(top.below.by.as_deref(), Some("list.example"));
        // The author's copy has no Received below it.
        assert!(attribute(&h, &r, subjects[1].index()).is_none());
        assert_eq!(depth(&r, subjects[0].index()), 1);
        assert_eq!(depth(&r, subjects[1].index()), 0);
        // The final delivery's block (above every Received) has only relay stamps.
        assert!(attribute(&h, &r, 0).is_none());
    }

    #[test]
    fn a_block_without_stamps_is_no_hops() {
        let text = b"Received: from b by c; Fri, 14 Jul 2017 02:40:09 +0000\nSubject: added\nReceived: from a by b; Fri, 14 Jul 2017 02:40:05 +0000\nSubject: author\n\nbody\n";
        let h = Headers::parse(text, 0);
        let r = hops(&h);
        let top = h.get("subject").unwrap();
        assert!(attribute(&h, &r, top.index()).is_none());
    }
}
