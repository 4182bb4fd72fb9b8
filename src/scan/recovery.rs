//! Key recovery in a scan: the unkeyed RSA signatures kept within a budget, and what the
//! keys recovered from them ([`crate::auth::recover`]) change in the reports.

use std::collections::BTreeMap;

use crate::auth::recover::{
    KeyMatch, KeyRecovery, RecoveredKey, RsaSignature, recover_keys_limited,
};

/// Bytes of signatures a scan keeps for recovery (signature, digest, names, source).
pub(crate) const MAX_COLLECTED_BYTES: usize = 64 << 20;
/// Names whose key a scan recovers, at most (each costs a large gcd).
pub(crate) const MAX_RECOVERED_NAMES: usize = 16;

/// The unkeyed RSA signatures of a scan, within [`MAX_COLLECTED_BYTES`].
#[derive(Debug, Default)]
pub(crate) struct Collector {
    sigs: Vec<RsaSignature>,
    bytes: usize,
    dropped: u64,
}

/// What recovery gives a finished scan.
#[derive(Debug, Default)]
pub(crate) struct Recovery {
    pub(crate) keys: Vec<RecoveredKey>,
    pub(crate) checks: BTreeMap<u64, Vec<KeyRecovery>>,
    pub(crate) findings: BTreeMap<u64, Vec<crate::checks::Finding>>,
    /// Signatures not kept (over the byte budget): neither used nor checked.
    pub(crate) dropped: u64,
}

impl Collector {
    pub(crate) fn add(&mut self, sigs: Vec<RsaSignature>) {
        for s in sigs {
            let cost = s.signature.len()
                + s.digest.len()
                + s.domain.len()
                + s.selector.len()
                + s.source.len()
                + std::mem::size_of::<RsaSignature>();
            if self.bytes + cost > MAX_COLLECTED_BYTES {
                self.dropped += 1;
                continue;
            }
            self.bytes += cost;
            self.sigs.push(s);
        }
    }

    /// Recover the keys and decide what they change in the reports.
    pub(crate) fn finish(self) -> Recovery {
        use crate::checks::{Finding, FindingCode, Severity};
        let keys = recover_keys_limited(&self.sigs, MAX_RECOVERED_NAMES);
        let mut out = Recovery {
            dropped: self.dropped,
            ..Recovery::default()
        };
        for key in &keys {
            let source = key.source_text();
            let shared = key.signatures.len();
            for r in &key.signatures {
                out.checks.entry(r.index).or_default().push(KeyRecovery {
                    span: r.span,
                    key_source: source.clone(),
                    key_bits: key.bits(),
                    header_signature_valid: true,
                    note: format!(
                        "the signature verifies against the key of {} recovered from {shared} signatures of this dump: it shares their signer, whom no archive vouches for",
                        key.name()
                    ),
                });
            }
            for (r, how) in &key.disagreeing {
                let why = match how {
                    KeyMatch::HeadersChanged => {
                        "was made with that key, but over other headers: the signed headers changed after signing"
                    }
                    _ => "was not made with that key (another key, or not a signature)",
                };
                let detail = format!(
                    "{shared} other signatures of {} in this dump share one key (recovered from them; no archive holds it); this signature {why}",
                    key.name()
                );
                out.checks.entry(r.index).or_default().push(KeyRecovery {
                    span: r.span,
                    key_source: source.clone(),
                    key_bits: key.bits(),
                    header_signature_valid: false,
                    note: detail.clone(),
                });
                out.findings
                    .entry(r.index)
                    .or_default()
                    .push(Finding::cryptographic(
                        FindingCode::DkimRecoveredKeyMismatch,
                        Severity::Medium,
                        detail,
                        vec![r.span],
                    ));
            }
        }
        out.keys = keys;
        out
    }
}
