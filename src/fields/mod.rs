//! The leaf parsers: one parser for each kind of field that several stages read (dates,
//! DKIM tag-lists, domains, `Received` trace fields, MIME parameters). Nothing here depends on another module
//! of the crate except [`Span`](crate::Span) and the header index.

pub(crate) mod date;
pub(crate) mod domain;
pub(crate) mod mime;
pub(crate) mod received;
pub(crate) mod tags;
