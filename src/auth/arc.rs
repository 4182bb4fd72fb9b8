//! ARC chain verification (RFC 8617).

use super::ArcCheck;
use super::dkim::Context;

pub(crate) fn check(_ctx: &mut Context<'_>) -> Option<ArcCheck> {
    None
}
