//! The leaf parsers: one parser for each kind of field that several stages read (dates,
//! DKIM tag-lists, domains, `Received` trace fields). Nothing here depends on another module
//! of the crate except [`Span`](crate::Span) and the header index.

pub(crate) mod date;
pub(crate) mod domain;
pub(crate) mod tags;
