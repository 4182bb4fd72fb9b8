//! Footers learned from the dump: a list's own trailer, of no known shape, recognised
//! because the same trailing block ends the mail of several senders on lists.
//!
//! During verification, a signature whose body hash fails on a list's route, with no
//! footer-shaped block to explain it, is tried on every trailing cut point (`auth::cuts`). A
//! cut that hashes to `bh=` proves that exactly the removed block was appended after signing,
//! not who appended it; it is kept as a *pending* footer in the message's facts (the
//! block's fingerprint, and what the report becomes if it is accepted). Here, a pending block
//! is accepted when its fingerprint ends the mail of at least
//! [`Config::min_footer_senders`] distinct senders (From addresses) on list routes in the
//! dump: a list appends its footer to the mail of every author, while text one author's mail
//! carries is not shown to be the list's. Distinct senders, not distinct messages: copies
//! of one message, or several messages of one person (or one forger), never make a footer.
//! Blocks that are the same on several lists pool their senders: the fingerprint masks what
//! varies per recipient and the list's own names (`auth::cuts`), so the lists of one server
//! or one software, whose footers differ only by the list's name, share one.
//!
//! A change the list did not make is never explained away:
//! - a block that ends or starts with a block seen removed on its own (a footer-shaped
//!   one, or another pending block, on any message of the dump) is refused: the list's
//!   footer is the shorter one, and the text before or after it was added by someone else
//!   (`auth::cuts` already refuses a block ending with a footer-shaped one);
//! - an edit inside the signed text leaves no cut that proves;
//! - a message whose route shows no list keeps no pending footer, whatever it ends with.
//!
//! The limit of the method: the blocks are learned from the dump itself. Someone who altered
//! the dump could append the same text to the signed mail of several senders of one list;
//! the appended bytes are then reported as the list's (the `dkim-transit-change` finding and
//! `transit_added` show them, with how many messages the footer was learned from).
//!
//! Bounded: at most [`MAX_PENDING`] pending blocks are kept across the dump (later ones stay
//! unexplained, `body-modified`), and at most [`MAX_SEEN`] distinct blocks are remembered
//! for the refusal above (past it, a pending block that matches none is refused too).

use std::collections::{BTreeMap, HashMap, HashSet};

use crate::auth::cuts::FooterTrace;
use crate::auth::{ArcCheck, DkimCheck, LearnedFooter};
use crate::checks::{Config, Finding, FindingCode, Severity};
use crate::read::headers::Headers;
use crate::verdict::Proof;

/// Pending blocks kept across the dump, at most.
pub const MAX_PENDING: usize = 1 << 16;

/// Distinct blocks remembered as seen removed on their own, at most.
pub const MAX_SEEN: usize = 1 << 16;

/// The footer facts of one message: the blocks its signatures' body repairs removed, and
/// for the pending ones what the report becomes when they are accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FooterFacts {
    /// Hash of the list the route names (`List-Id`, or another list field), if any.
    pub(crate) list: Option<u64>,
    /// Fingerprints of every block proven removed (accepted or pending).
    pub(crate) seen: Vec<u64>,
    /// The pending blocks: fingerprint and the fingerprints of its proper suffixes and
    /// prefixes.
    pub(crate) pending: Vec<(u64, Vec<u64>)>,
    /// The report with every pending block accepted.
    pub(crate) patch: Option<Box<Patch>>,
}

/// What a report becomes when its pending footers are accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Patch {
    /// Per signature, the block to write into its check.
    pub(crate) footers: Vec<LearnedFooter>,
    /// Findings the acceptance withdraws (the body changes it explains).
    pub(crate) withdrawn: Vec<Finding>,
    /// Findings it adds (the `dkim-transit-change` of the footer).
    pub(crate) added: Vec<Finding>,
    /// Codes the report no longer has, and codes it newly has.
    pub(crate) codes_gone: Vec<FindingCode>,
    pub(crate) codes_new: Vec<FindingCode>,
    /// The proof of the patched signatures, and the highest severity of the patched
    /// findings (all, and all but the clock findings the dump-wide pass may regrade).
    pub(crate) proof: Proof,
    pub(crate) highest: Option<Severity>,
    pub(crate) unclocked: Option<Severity>,
}

impl FooterFacts {
    /// About the memory these facts hold, in bytes.
    pub fn memory(&self) -> u64 {
        let pending: usize = self.pending.iter().map(|(_, p)| 32 + p.len() * 8).sum();
        let patch = self.patch.as_deref().map_or(0, |p| {
            let finding = |f: &Finding| {
                std::mem::size_of::<Finding>() + f.detail.len() + f.evidence.len() * 16
            };
            std::mem::size_of::<Patch>()
                + p.footers
                    .iter()
                    .map(|l| std::mem::size_of::<LearnedFooter>() + l.added.len() * 16)
                    .sum::<usize>()
                + p.withdrawn.iter().map(finding).sum::<usize>()
                + p.added.iter().map(finding).sum::<usize>()
                + (p.codes_gone.len() + p.codes_new.len()) * 2
        });
        (std::mem::size_of::<Self>() + self.seen.len() * 8 + pending + patch) as u64
    }

    /// How many pending blocks these facts hold.
    pub(crate) fn pending_count(&self) -> usize {
        self.pending.len()
    }

    /// Let the pending blocks go (over the cap): the message keeps its report as it is.
    pub(crate) fn drop_pending(&mut self) {
        self.pending = Vec::new();
        self.patch = None;
    }
}

/// Fields naming the list, in order of preference: the first present names it.
const LIST_NAMES: [&str; 5] = [
    "list-id",
    "x-beenthere",
    "mailing-list",
    "x-google-group-id",
    "list-post",
];

/// The hash of the list the route names: the `<...>` part of `List-Id` (or the whole value
/// of another list field), case ignored.
fn list_key(headers: &Headers<'_>) -> Option<u64> {
    let f = LIST_NAMES.iter().find_map(|n| headers.get(n))?;
    let v = f.raw_value().trim_ascii();
    let inner = match (memchr::memchr(b'<', v), memchr::memrchr(b'>', v)) {
        (Some(a), Some(b)) if a < b => v.get(a + 1..b).unwrap_or(v),
        _ => v,
    };
    Some(super::hash64(&inner.to_ascii_lowercase()))
}

/// Take the footer traces out of a message's checks into its facts. `findings` are the
/// report's findings, `proof_of` the proof of a set of checks (as the message's verdict is
/// decided). Pending blocks are kept only on a list's route, with the report they make when
/// accepted: the signatures' findings again over the patched checks.
pub(crate) fn collect(
    headers: &Headers<'_>,
    dkim: &mut [DkimCheck],
    arc: Option<&ArcCheck>,
    findings: &[Finding],
    proof_of: impl Fn(&[DkimCheck]) -> Proof,
) -> Option<Box<FooterFacts>> {
    let traces: Vec<(usize, FooterTrace)> = dkim
        .iter_mut()
        .enumerate()
        .filter_map(|(i, d)| d.footer.take().map(|t| (i, *t)))
        .collect();
    if traces.is_empty() {
        return None;
    }
    let list_route = crate::auth::transit::route_shows_list(headers);
    let mut facts = FooterFacts {
        list: list_route.then(|| list_key(headers)).flatten(),
        seen: traces.iter().map(|(_, t)| t.fingerprint.block).collect(),
        pending: Vec::new(),
        patch: None,
    };
    let mut footers = Vec::new();
    for (i, t) in &traces {
        let (Some(added), Some(check)) = (&t.pending, dkim.get(*i)) else {
            continue;
        };
        if !list_route {
            continue;
        }
        facts
            .pending
            .push((t.fingerprint.block, t.fingerprint.parts.clone()));
        footers.push(LearnedFooter {
            span: check.span,
            added: added.clone(),
            note: String::new(),
        });
    }
    if footers.is_empty() {
        return Some(Box::new(facts));
    }
    let mut patched = dkim.to_vec();
    for d in &mut patched {
        for f in &footers {
            f.apply(d);
        }
    }
    let before = super::super::signatures::findings(headers, dkim, arc);
    let after = super::super::signatures::findings(headers, &patched, arc);
    let withdrawn: Vec<Finding> = before
        .iter()
        .filter(|f| !after.contains(f) && findings.contains(f))
        .cloned()
        .collect();
    let added: Vec<Finding> = after
        .iter()
        .filter(|f| !before.contains(f))
        .cloned()
        .collect();
    let result: Vec<&Finding> = findings
        .iter()
        .filter(|f| !withdrawn.contains(f))
        .chain(added.iter())
        .collect();
    let codes = |fs: &mut dyn Iterator<Item = &Finding>| -> HashSet<FindingCode> {
        fs.map(|f| f.code).collect()
    };
    let had = codes(&mut findings.iter());
    let has = codes(&mut result.iter().copied());
    let mut codes_gone: Vec<FindingCode> = had.difference(&has).copied().collect();
    let mut codes_new: Vec<FindingCode> = has.difference(&had).copied().collect();
    codes_gone.sort_unstable();
    codes_new.sort_unstable();
    let highest = result.iter().map(|f| f.severity).max();
    let unclocked = result
        .iter()
        .filter(|f| !super::clocks::is_clock_code(f.code))
        .map(|f| f.severity)
        .max();
    facts.patch = Some(Box::new(Patch {
        footers,
        withdrawn,
        added,
        codes_gone,
        codes_new,
        proof: proof_of(&patched),
        highest,
        unclocked,
    }));
    Some(Box::new(facts))
}

/// A pending footer accepted for one message: the patch, with the notes written.
#[derive(Debug, Clone, PartialEq)]
pub struct Learned {
    pub(crate) patch: Patch,
}

/// Learn the footers: the pending blocks that end the mail of enough distinct senders, and
/// are not a known block with text before it. `facts` gives each message's index, sender
/// (hash of the From address) and footer facts. Returns the messages whose every pending
/// block is accepted, with their patch (notes written).
pub(crate) fn learn<'f>(
    facts: impl Iterator<Item = (u64, Option<u64>, &'f FooterFacts)> + Clone,
    config: &Config,
) -> BTreeMap<u64, Learned> {
    let mut seen: HashSet<u64> = HashSet::new();
    let mut seen_full = false;
    for (_, _, f) in facts.clone() {
        for b in &f.seen {
            if seen.len() < MAX_SEEN {
                seen.insert(*b);
            } else if !seen.contains(b) {
                seen_full = true;
            }
        }
    }
    // A block that ends (or starts) with a block seen on its own carries text before (or
    // after) a footer.
    let extends_known = |parts: &[u64]| seen_full || parts.iter().any(|s| seen.contains(s));
    struct Block {
        senders: HashSet<u64>,
        lists: HashSet<u64>,
        messages: usize,
    }
    let mut blocks: HashMap<u64, Block> = HashMap::new();
    let mut kept = 0usize;
    for (_, from, f) in facts.clone() {
        for (block, parts) in &f.pending {
            if kept >= MAX_PENDING {
                break;
            }
            kept += 1;
            if extends_known(parts) {
                continue;
            }
            let b = blocks.entry(*block).or_insert_with(|| Block {
                senders: HashSet::new(),
                lists: HashSet::new(),
                messages: 0,
            });
            b.messages += 1;
            if let Some(from) = from {
                b.senders.insert(from);
            }
            if let Some(l) = f.list {
                b.lists.insert(l);
            }
        }
    }
    let need = config.min_footer_senders.max(2);
    let mut out = BTreeMap::new();
    let mut taken = 0usize;
    for (index, _, f) in facts {
        if f.pending.is_empty() {
            continue;
        }
        taken += f.pending.len();
        if taken > MAX_PENDING {
            break;
        }
        let Some(patch) = f.patch.as_deref() else {
            continue;
        };
        let learned: Option<Vec<&Block>> = f
            .pending
            .iter()
            .map(|(block, parts)| {
                if extends_known(parts) {
                    return None;
                }
                blocks.get(block).filter(|b| b.senders.len() >= need)
            })
            .collect();
        let Some(learned) = learned else { continue };
        let Some(b) = learned.first() else { continue };
        let lists = match b.lists.len() {
            0 | 1 => "on this mailing list".to_string(),
            n => format!("on {n} mailing lists"),
        };
        let note = format!(
            "footer learned from the dump: the same block ends {} messages of {} senders {lists}",
            b.messages,
            b.senders.len()
        );
        let mut patch = patch.clone();
        for lf in &mut patch.footers {
            lf.note.clone_from(&note);
        }
        for finding in &mut patch.added {
            if finding.code == FindingCode::DkimTransitChange {
                finding.detail = format!(
                    "{} The footer matches no known shape; it was learned from the dump: the same block ends {} messages of {} senders {lists}.",
                    finding.detail,
                    b.messages,
                    b.senders.len()
                );
            }
        }
        out.insert(index, Learned { patch });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pending(block: u64, parts: &[u64]) -> FooterFacts {
        FooterFacts {
            list: Some(7),
            seen: vec![block],
            pending: vec![(block, parts.to_vec())],
            patch: Some(Box::new(Patch {
                footers: Vec::new(),
                withdrawn: Vec::new(),
                added: Vec::new(),
                codes_gone: Vec::new(),
                codes_new: Vec::new(),
                proof: Proof::default(),
                highest: None,
                unclocked: None,
            })),
        }
    }

    fn run(messages: &[(Option<u64>, FooterFacts)], config: &Config) -> Vec<u64> {
        learn(
            messages
                .iter()
                .enumerate()
                .map(|(i, (from, f))| (i as u64, *from, f)),
            config,
        )
        .into_keys()
        .collect()
    }

    #[test]
    fn a_block_is_learned_from_enough_distinct_senders() {
        let config = Config::default();
        assert_eq!(config.min_footer_senders, 3);
        let two: Vec<_> = (0..2).map(|s| (Some(s), pending(1, &[11]))).collect();
        assert!(run(&two, &config).is_empty());
        let three: Vec<_> = (0..3).map(|s| (Some(s), pending(1, &[11]))).collect();
        assert_eq!(run(&three, &config), [0, 1, 2]);
        // Many messages of one sender (or copies of one message) never make a footer.
        let one: Vec<_> = (0..10).map(|_| (Some(5), pending(1, &[11]))).collect();
        assert!(run(&one, &config).is_empty());
        // Messages without a From address count for no sender, but are explained once the
        // block is learned from others.
        let mut mixed = three.clone();
        mixed.push((None, pending(1, &[11])));
        assert_eq!(run(&mixed, &config), [0, 1, 2, 3]);
        // Another block does not count.
        let mut other = two.clone();
        other.push((Some(9), pending(2, &[])));
        assert!(run(&other, &config).is_empty());
        // A higher threshold.
        let strict = Config {
            min_footer_senders: 4,
            ..Config::default()
        };
        assert!(run(&three, &strict).is_empty());
    }

    #[test]
    fn text_before_a_known_block_is_not_learned() {
        let config = Config::default();
        // Block 1 (text + footer 2) on three senders; footer 2 is seen on its own elsewhere.
        let mut messages: Vec<_> = (0..3).map(|s| (Some(s), pending(1, &[2, 21]))).collect();
        assert_eq!(run(&messages, &config).len(), 3);
        let mut footer_alone = pending(2, &[21]);
        footer_alone.pending.clear();
        footer_alone.patch = None;
        messages.push((Some(3), footer_alone));
        assert!(run(&messages, &config).is_empty());
    }

    #[test]
    fn pending_blocks_are_capped() {
        let config = Config::default();
        let mut messages: Vec<_> = (0..MAX_PENDING as u64)
            .map(|s| (Some(s), pending(1, &[])))
            .collect();
        messages.push((Some(u64::MAX), pending(1, &[])));
        let learned = run(&messages, &config);
        assert_eq!(learned.len(), MAX_PENDING);
        assert!(!learned.contains(&(MAX_PENDING as u64)));
    }
}
