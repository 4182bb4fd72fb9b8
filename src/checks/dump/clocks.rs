//! Clocks learned across the dump: the usual offset of each receiving host's clock against
//! its neighbours on the route, and of each sender's clock against the first receipt.
//!
//! The per-message check ([`super::super::time`]) grades a step backwards along a route (or
//! a `Date` after the first receipt) from that message alone. Here, every message's clock
//! steps are compared: a host whose clock was off shows the same offset on many messages.
//! A flagged step that matches the usual offset of one of its hosts (or of the pair of
//! hosts, or of the sender), learned from at least [`Config::clock_offset_samples`]
//! messages that agree within [`Config::clock_offset_tolerance`] and make a majority of
//! that clock's messages, is that clock: its finding is regraded (medium and high to low,
//! low to info) with a note naming the clock and how many messages showed it. A step that
//! contradicts the usual offset, or a clock seen too rarely, keeps its grade. Steps of more
//! than [`Config::large_skew`] are never regraded below low.
//!
//! Bounded: a message keeps at most [`MAX_STEPS`] steps (a hash per host and the offset; the
//! names and spans only for flagged steps), only the clocks of flagged steps are learned,
//! and at most [`MAX_CLOCKS`] of them.

use std::collections::BTreeMap;
use std::hash::{Hash, Hasher};
use std::num::NonZeroU64;

use super::keyed::KeyedMap;
use crate::checks::{Config, Finding, FindingCode, Severity};
use crate::fields::date::format_duration;
use crate::span::Span;

/// How many clock steps of one message are kept.
pub const MAX_STEPS: usize = 16;

/// How many clocks (hosts, pairs of hosts, senders) the dump-wide pass learns at most.
pub const MAX_CLOCKS: usize = 1 << 16;

/// The clock observations of one message, gathered by the per-message time check.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClockFacts {
    /// Adjacent dated `Received` hops, top-most first.
    pub steps: Vec<ClockStep>,
    /// `Date` minus the earliest receipt, seconds (positive: written after it was received).
    pub sender: Option<i32>,
    /// The `date-after-received` finding the per-message check made, if any.
    pub sender_flag: Option<Box<Flagged>>,
}

/// Two adjacent dated hops: the upper (later) and the lower (earlier) `Received` field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClockStep {
    /// Hash of the lower hop's `by` host (lowercased), if it names one.
    pub lower: Option<NonZeroU64>,
    /// Hash of the upper hop's `by` host (lowercased), if it names one.
    pub upper: Option<NonZeroU64>,
    /// The lower hop's time minus the upper hop's, seconds (positive: backwards).
    pub delta: i32,
    /// The `received-out-of-order` finding the per-message check made, if any.
    pub flag: Option<Box<Flagged>>,
}

/// A clock finding of the per-message check, as the dump-wide pass needs it to regrade it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flagged {
    /// Its severity.
    pub severity: Severity,
    /// Its evidence (the first span identifies it among the message's findings).
    pub evidence: Vec<Span>,
    /// The lower hop's `by` host (the sender's address for `date-after-received`).
    pub lower_name: Option<Box<str>>,
    /// The upper hop's `by` host.
    pub upper_name: Option<Box<str>>,
}

impl ClockFacts {
    /// About the memory these facts hold, in bytes (beyond the struct holding them).
    pub fn memory(&self) -> u64 {
        let flag = |f: &Flagged| {
            std::mem::size_of::<Flagged>()
                + f.evidence.capacity() * std::mem::size_of::<Span>()
                + f.lower_name.as_deref().map_or(0, str::len)
                + f.upper_name.as_deref().map_or(0, str::len)
        };
        let steps: usize = self
            .steps
            .iter()
            .map(|s| std::mem::size_of::<ClockStep>() + s.flag.as_deref().map_or(0, flag))
            .sum();
        (steps + self.sender_flag.as_deref().map_or(0, flag)) as u64
    }

    /// Keep a step (up to [`MAX_STEPS`]).
    pub(crate) fn push_step(&mut self, step: ClockStep) {
        if self.steps.len() < MAX_STEPS {
            self.steps.push(step);
        }
    }

    /// Give back the room the steps do not use (the facts are kept until the dump ends).
    pub(crate) fn shrink(&mut self) {
        self.steps.shrink_to_fit();
    }
}

/// The hash of a host name, case ignored (never zero, so that an absent host costs no room).
pub(crate) fn host_hash(name: &str) -> NonZeroU64 {
    let mut h = std::hash::DefaultHasher::new();
    let mut buf = [0u8; 64];
    for chunk in name.as_bytes().chunks(buf.len()) {
        let lower = buf.get_mut(..chunk.len()).unwrap_or_default();
        lower.copy_from_slice(chunk);
        lower.make_ascii_lowercase();
        h.write(lower);
    }
    NonZeroU64::new(h.finish()).unwrap_or(NonZeroU64::MIN)
}

/// A time difference in seconds, saturated to `i32`.
pub(crate) fn seconds(diff: i64) -> i32 {
    i32::try_from(diff).unwrap_or(if diff < 0 { i32::MIN } else { i32::MAX })
}

/// Which clock a key names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Clock {
    /// A host as the lower hop of a step: its clock against the next hop's.
    Lower(u64),
    /// A host as the upper hop: its clock against the hop before it.
    Upper(u64),
    /// The pair of hosts of a step.
    Pair(u64, u64),
    /// A sender (hash of the From address): `Date` against the first receipt.
    Sender(u64),
}

impl ClockStep {
    fn clocks(&self) -> impl Iterator<Item = Clock> {
        let (lower, upper) = (
            self.lower.map(NonZeroU64::get),
            self.upper.map(NonZeroU64::get),
        );
        let pair = lower.zip(upper).map(|(l, u)| Clock::Pair(l, u));
        pair.into_iter()
            .chain(lower.map(Clock::Lower))
            .chain(upper.map(Clock::Upper))
    }
}

/// A clock's usual offset: the median of its messages' offsets, and how many of them agree
/// with it within the tolerance.
#[derive(Debug, Clone, Copy)]
struct Usual {
    offset: i32,
    agreeing: usize,
}

/// A clock's usual offset from its messages' offsets: the median, when at least
/// [`Config::clock_offset_samples`] agree with it within [`Config::clock_offset_tolerance`]
/// and make a majority.
fn learn(mut v: Vec<i32>, config: &Config) -> Option<Usual> {
    if v.len() < config.clock_offset_samples.max(1) {
        return None;
    }
    let tolerance = config.clock_offset_tolerance.max(0);
    v.sort_unstable();
    let offset = *v.get(v.len() / 2)?;
    let agreeing = v
        .iter()
        .filter(|&&d| (i64::from(d) - i64::from(offset)).abs() <= tolerance)
        .count();
    (agreeing >= config.clock_offset_samples && agreeing * 2 > v.len())
        .then_some(Usual { offset, agreeing })
}

/// The usual offsets of the clocks of `senders` (hashes of From addresses; at most
/// [`MAX_CLOCKS`] are learned): `Date` against the first receipt, in seconds (positive: the
/// sender's clock runs ahead), with the number of messages that agree, learned from every
/// message of the dump as for [`regrade`]. `facts` gives each message's sender and clock
/// facts.
pub(crate) fn sender_offsets<'f>(
    facts: impl Iterator<Item = (Option<u64>, &'f ClockFacts)>,
    senders: impl Iterator<Item = u64>,
    config: &Config,
) -> KeyedMap<u64, (i32, usize)> {
    let mut offsets: KeyedMap<u64, Vec<i32>> = KeyedMap::default();
    for s in senders {
        if offsets.len() >= MAX_CLOCKS {
            break;
        }
        offsets.entry(s).or_default();
    }
    if offsets.is_empty() {
        return KeyedMap::default();
    }
    for (from, c) in facts {
        if let (Some(from), Some(d)) = (from, c.sender)
            && let Some(v) = offsets.get_mut(&from)
        {
            v.push(d);
        }
    }
    offsets
        .into_iter()
        .filter_map(|(k, v)| learn(v, config).map(|u| (k, (u.offset, u.agreeing))))
        .collect()
}

/// `severity` lowered for a step that a learned clock explains: medium and high to low, low
/// to info, never below low beyond [`Config::large_skew`].
pub(crate) fn lowered(severity: Severity, delta: i64, config: &Config) -> Severity {
    let floor = if delta.abs() > config.large_skew {
        Severity::Low
    } else {
        Severity::Info
    };
    let down = match severity {
        Severity::High | Severity::Medium => Severity::Low,
        Severity::Low | Severity::Info => Severity::Info,
    };
    down.max(floor).min(severity)
}

/// What the dump-wide pass changes in a message's own clock findings.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Regrade {
    /// The regraded findings: each replaces the message's finding with the same code and
    /// first evidence span.
    pub findings: Vec<Finding>,
    /// The highest severity among the message's clock findings (`received-out-of-order`,
    /// `date-after-received`) after the regrade.
    pub clock_highest: Option<Severity>,
}

/// The codes whose findings [`regrade`] may change.
pub(crate) fn is_clock_code(code: FindingCode) -> bool {
    matches!(
        code,
        FindingCode::ReceivedOutOfOrder | FindingCode::DateAfterReceived
    )
}

/// Learn the clocks of the flagged steps from every message's steps, and regrade the flagged
/// steps that match their clock's usual offset. `facts` gives each message's index, its
/// sender (hash of the From address) and its clock facts.
pub(crate) fn regrade<'f>(
    facts: impl Iterator<Item = (u64, Option<u64>, &'f ClockFacts)> + Clone,
    config: &Config,
) -> BTreeMap<u64, Regrade> {
    // The clocks worth learning: those of flagged steps, up to the cap.
    let mut offsets: KeyedMap<Clock, Vec<i32>> = KeyedMap::default();
    for (_, from, c) in facts.clone() {
        for s in c.steps.iter().filter(|s| s.flag.is_some()) {
            for k in s.clocks() {
                if offsets.len() < MAX_CLOCKS {
                    offsets.entry(k).or_default();
                }
            }
        }
        if let (Some(from), Some(_)) = (from, &c.sender_flag)
            && offsets.len() < MAX_CLOCKS
        {
            offsets.entry(Clock::Sender(from)).or_default();
        }
    }
    if offsets.is_empty() {
        return BTreeMap::new();
    }
    // Their offsets on every message.
    for (_, from, c) in facts.clone() {
        for s in &c.steps {
            for k in s.clocks() {
                if let Some(v) = offsets.get_mut(&k) {
                    v.push(s.delta);
                }
            }
        }
        if let (Some(from), Some(d)) = (from, c.sender)
            && let Some(v) = offsets.get_mut(&Clock::Sender(from))
        {
            v.push(d);
        }
    }
    let tolerance = config.clock_offset_tolerance.max(0);
    let usual: KeyedMap<Clock, Usual> = offsets
        .into_iter()
        .filter_map(|(k, v)| Some((k, learn(v, config)?)))
        .collect();
    let matching = |k: Clock, delta: i32| {
        usual
            .get(&k)
            .filter(|u| (i64::from(delta) - i64::from(u.offset)).abs() <= tolerance)
            .copied()
    };
    let lowered = |severity: Severity, delta: i32| lowered(severity, i64::from(delta), config);

    // A flagged step the usual offset of a clock explains: its finding again, graded down,
    // the clock and its evidence named by `explain`; the step's severity either way.
    let regraded = |findings: &mut Vec<Finding>,
                    flag: &Flagged,
                    code: FindingCode,
                    delta: i32,
                    explained: Option<Usual>,
                    explain: &dyn Fn(Usual) -> String| {
        match explained {
            Some(u) if lowered(flag.severity, delta) < flag.severity => {
                let severity = lowered(flag.severity, delta);
                findings.push(Finding::heuristic(
                    code,
                    severity,
                    explain(u),
                    flag.evidence.clone(),
                ));
                severity
            }
            _ => flag.severity,
        }
    };

    let mut out = BTreeMap::new();
    for (index, from, c) in facts {
        let mut regrade = Regrade::default();
        let mut highest: Option<Severity> = None;
        for s in &c.steps {
            let Some(flag) = s.flag.as_deref() else {
                continue;
            };
            let found = s
                .clocks()
                .find_map(|k| matching(k, s.delta).map(|u| (k, u)));
            let name =
                |n: &Option<Box<str>>| n.as_deref().unwrap_or("the unnamed host").to_string();
            let clock = match found.map(|(k, _)| k) {
                Some(Clock::Pair(..)) => format!(
                    "between {} and {}",
                    name(&flag.lower_name),
                    name(&flag.upper_name)
                ),
                Some(Clock::Lower(_)) => {
                    format!("of {} against the next hop", name(&flag.lower_name))
                }
                Some(Clock::Upper(_)) => {
                    format!("of {} against the hop before it", name(&flag.upper_name))
                }
                Some(Clock::Sender(_)) | None => String::new(),
            };
            let severity = regraded(
                &mut regrade.findings,
                flag,
                FindingCode::ReceivedOutOfOrder,
                s.delta,
                found.map(|(_, u)| u),
                &|u| {
                    format!(
                        "A Received header is dated {} after the header above it: time goes backwards along the route, by the usual clock offset {clock} ({}), learned from {} messages of the dump.",
                        format_duration(i64::from(s.delta)),
                        signed_duration(u.offset),
                        u.agreeing
                    )
                },
            );
            highest = highest.max(Some(severity));
        }
        if let Some(flag) = c.sender_flag.as_deref() {
            let delta = c.sender.unwrap_or(0);
            let severity = regraded(
                &mut regrade.findings,
                flag,
                FindingCode::DateAfterReceived,
                delta,
                from.and_then(|f| matching(Clock::Sender(f), delta)),
                &|u| {
                    format!(
                        "The Date is {} later than the message was received, by the usual offset of this sender's clock ({}), learned from {} messages of the dump.",
                        format_duration(i64::from(delta)),
                        signed_duration(u.offset),
                        u.agreeing
                    )
                },
            );
            highest = highest.max(Some(severity));
        }
        if !regrade.findings.is_empty() {
            regrade.clock_highest = highest;
            out.insert(index, regrade);
        }
    }
    out
}

/// `+13 min` / `-2 min 5 s`: an offset with its sign.
pub(crate) fn signed_duration(offset: i32) -> String {
    let sign = if offset < 0 { '-' } else { '+' };
    format!("{sign}{}", format_duration(i64::from(offset).abs()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A message with one step between `lower` and `upper` of `delta` seconds, flagged at
    /// `severity` when given.
    fn step(lower: &str, upper: &str, delta: i32, severity: Option<Severity>) -> ClockFacts {
        let flag = severity.map(|severity| {
            Box::new(Flagged {
                severity,
                evidence: vec![Span::new(10, 20), Span::new(0, 5)],
                lower_name: Some(lower.into()),
                upper_name: Some(upper.into()),
            })
        });
        ClockFacts {
            steps: vec![ClockStep {
                lower: Some(host_hash(lower)),
                upper: Some(host_hash(upper)),
                delta,
                flag,
            }],
            sender: None,
            sender_flag: None,
        }
    }

    fn run(messages: &[ClockFacts]) -> BTreeMap<u64, Regrade> {
        regrade(
            messages
                .iter()
                .enumerate()
                .map(|(i, c)| (i as u64, None, c)),
            &Config::default(),
        )
    }

    #[test]
    fn a_consistent_offset_is_the_hosts_clock() {
        // mx.office.example's clock runs 13 minutes ahead of the relay above it, on five
        // messages (with a few seconds of jitter).
        let messages: Vec<_> = (0..5)
            .map(|i| {
                step(
                    "mx.office.example",
                    "relay.isp.example",
                    780 + i * 7,
                    Some(Severity::Medium),
                )
            })
            .collect();
        let out = run(&messages);
        assert_eq!(out.len(), 5);
        let r = &out[&0];
        assert_eq!(r.clock_highest, Some(Severity::Low));
        let f = &r.findings[0];
        assert_eq!(f.code, FindingCode::ReceivedOutOfOrder);
        assert_eq!(f.severity, Severity::Low);
        assert_eq!(f.evidence, [Span::new(10, 20), Span::new(0, 5)]);
        assert!(f.detail.contains("learned from 5 messages"), "{}", f.detail);
        assert!(f.detail.contains("mx.office.example"), "{}", f.detail);
        // A low step becomes info.
        let mut low = messages.clone();
        for m in &mut low {
            if let Some(f) = m.steps[0].flag.as_deref_mut() {
                f.severity = Severity::Low;
            }
        }
        assert_eq!(run(&low)[&0].findings[0].severity, Severity::Info);
    }

    #[test]
    fn host_names_ignore_case() {
        assert_eq!(host_hash("MX1.Example.ORG"), host_hash("mx1.example.org"));
        assert_ne!(host_hash("mx1.example.org"), host_hash("mx2.example.org"));
        let long = "a".repeat(200);
        assert_eq!(host_hash(&long.to_uppercase()), host_hash(&long));
    }

    #[test]
    fn too_few_messages_teach_nothing() {
        let messages: Vec<_> = (0..4)
            .map(|_| step("a.example", "b.example", 780, Some(Severity::Medium)))
            .collect();
        assert!(run(&messages).is_empty());
    }

    #[test]
    fn a_step_against_the_usual_offset_stays() {
        // Six messages through the same pair of hosts in order (a few seconds of transit),
        // then one with a step of 13 minutes backwards: the clock says otherwise.
        let mut messages: Vec<_> = (0..6)
            .map(|i| step("a.example", "b.example", -3 - i, None))
            .collect();
        messages.push(step("a.example", "b.example", 780, Some(Severity::Medium)));
        assert!(run(&messages).is_empty());
        // And against a learned offset of 13 minutes, a step of 45 minutes stays.
        let mut messages: Vec<_> = (0..6)
            .map(|_| step("a.example", "b.example", 780, Some(Severity::Medium)))
            .collect();
        messages.push(step("a.example", "b.example", 2700, Some(Severity::Medium)));
        let out = run(&messages);
        assert_eq!(out.len(), 6);
        assert!(!out.contains_key(&6));
    }

    #[test]
    fn a_minority_offset_is_not_the_clock() {
        // Five messages at +13 min, six in order: no majority, nothing learned.
        let mut messages: Vec<_> = (0..5)
            .map(|_| step("a.example", "b.example", 780, Some(Severity::Medium)))
            .collect();
        messages.extend((0..6).map(|_| step("a.example", "b.example", -2, None)));
        assert!(run(&messages).is_empty());
    }

    #[test]
    fn hours_stay_low() {
        let messages: Vec<_> = (0..5)
            .map(|_| step("a.example", "b.example", 5 * 3600, Some(Severity::Medium)))
            .collect();
        let out = run(&messages);
        assert_eq!(out[&0].findings[0].severity, Severity::Low);
        let low: Vec<_> = (0..5)
            .map(|_| step("a.example", "b.example", 5 * 3600, Some(Severity::Low)))
            .collect();
        // Low already, and not put lower for hours.
        assert!(run(&low).is_empty());
    }

    #[test]
    fn sender_clocks() {
        let sender = |delta: i32, flagged: bool| ClockFacts {
            steps: Vec::new(),
            sender: Some(delta),
            sender_flag: flagged.then(|| {
                Box::new(Flagged {
                    severity: Severity::Medium,
                    evidence: vec![Span::new(1, 2), Span::new(3, 4)],
                    lower_name: None,
                    upper_name: None,
                })
            }),
        };
        let messages: Vec<_> = (0..5).map(|_| sender(3 * 3600, true)).collect();
        let out = regrade(
            messages
                .iter()
                .enumerate()
                .map(|(i, c)| (i as u64, Some(7), c)),
            &Config::default(),
        );
        assert_eq!(out.len(), 5);
        let f = &out[&0].findings[0];
        assert_eq!(f.code, FindingCode::DateAfterReceived);
        assert_eq!(f.severity, Severity::Low);
        // Another sender's messages do not count.
        let out = regrade(
            messages
                .iter()
                .enumerate()
                .map(|(i, c)| (i as u64, Some(i as u64), c)),
            &Config::default(),
        );
        assert!(out.is_empty());
    }

    #[test]
    fn the_clocks_learned_are_capped() {
        // More clocks than the cap (two of their own per message, one shared): the shared
        // one, met first, is learned; the others past the cap are not tracked.
        let n = MAX_CLOCKS / 2 + 10;
        let messages: Vec<_> = (0..n)
            .map(|i| {
                step(
                    &format!("h{i}.example"),
                    "top.example",
                    780,
                    Some(Severity::Medium),
                )
            })
            .collect();
        let out = run(&messages);
        assert_eq!(out.len(), n);
        let last = &out[&(n as u64 - 1)].findings[0];
        assert!(
            last.detail
                .contains("of top.example against the hop before it")
                && last.detail.contains(&format!("learned from {n} messages")),
            "{}",
            last.detail
        );
    }
}
