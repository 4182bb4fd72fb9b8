//! Document metadata of attachments (feature `attachments`).

use super::{Config, Finding};
use crate::span::Span;

/// What the dump-wide pass keeps of one attached document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachmentFacts {
    /// The attachment part in the source.
    pub span: Span,
}

pub(crate) fn dump_checks(
    _facts: &[super::dump::MessageFacts],
    _config: &Config,
    _push: &mut impl FnMut(u64, Finding),
) {
}
