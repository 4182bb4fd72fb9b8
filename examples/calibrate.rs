//! Calibrate the findings on authentic mail: for each corpus given, how often each finding
//! code fires (per severity, on how many messages) and the verdict distribution.
//!
//! ```text
//! cargo run --release --example calibrate -- PATH...            # each PATH one corpus
//! cargo run --release --example calibrate -- --keys K.keymap PATH...
//! cargo run --release --example calibrate -- --lists 700        # synthetic list mail
//! cargo run --release --example calibrate -- --lists 1100 --footer-senders 0
//!                                                 # without footers learned from the dump
//! ```
//!
//! `--lists N` also generates N messages signed like webmail and passed through simulated
//! list software (ezmlm, Mailman, Google Groups, a company list server with a trailer of its
//! own) or forged in list style (the test kit's `lists` module), and reports the authentic
//! ones and the forgeries apart: no forgery may come out `verified` or `headers-verified`.
//! `--footer-senders N` sets how many senders must show a trailer before the scan learns it
//! as a list's footer (`CheckConfig::min_footer_senders`, default 3; 0 turns learning off).
//!
//! A code may make a message `suspicious` (medium or high) only when it fires at that
//! severity on less than 0.5 % of authentic messages: the table marks the codes that break
//! the rule with `!`.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

use mailsleuth::auth::KeyStore;
use mailsleuth::{Analyzer, Report, Scanner, Verdict};
use mailsleuth_testkit::lists;

/// The counts of one corpus.
#[derive(Default)]
struct Tally {
    messages: usize,
    /// (code, severity) -> messages it fired on.
    codes: BTreeMap<(String, String), usize>,
    verdicts: BTreeMap<String, usize>,
    /// Signatures proven again after a change in transit, by repair.
    repairs: BTreeMap<String, usize>,
    /// Of those, the ones whose footer was learned from the dump.
    learned: usize,
}

impl Tally {
    fn add(&mut self, r: &Report) {
        self.messages += 1;
        *self
            .verdicts
            .entry(r.verdict.as_str().to_string())
            .or_default() += 1;
        let mut seen = std::collections::BTreeSet::new();
        for f in &r.findings {
            seen.insert((f.code.as_str().to_string(), f.severity.as_str().to_string()));
        }
        for k in seen {
            *self.codes.entry(k).or_default() += 1;
        }
        for d in &r.dkim {
            if let Some(rep) = d
                .repair
                .filter(|r| r.is_transit() || r.subject_reencoded || r.refolded)
            {
                *self.repairs.entry(rep.to_string()).or_default() += 1;
                if d.detail
                    .as_deref()
                    .is_some_and(|n| n.contains("footer learned from the dump"))
                {
                    self.learned += 1;
                }
            }
        }
    }

    fn print(&self, name: &str, authentic: bool) {
        let n = self.messages.max(1) as f64;
        println!("\n## {name}: {} messages", self.messages);
        println!("\n| verdict | messages | rate |\n|---|---|---|");
        for v in Verdict::ALL {
            let c = self.verdicts.get(v.as_str()).copied().unwrap_or(0);
            println!("| {} | {c} | {:.2} % |", v.as_str(), 100.0 * c as f64 / n);
        }
        println!("\n| code | severity | messages | rate |\n|---|---|---|---|");
        let mut rows: Vec<_> = self.codes.iter().collect();
        rows.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        for ((code, sev), c) in rows {
            let rate = 100.0 * *c as f64 / n;
            let flag = if authentic && (sev == "medium" || sev == "high") && rate >= 0.5 {
                " !"
            } else {
                ""
            };
            println!("| {code} | {sev} | {c} | {rate:.2} %{flag} |");
        }
        if !self.repairs.is_empty() {
            println!("\n| transit repair proven | signatures |\n|---|---|");
            for (r, c) in &self.repairs {
                println!("| {r} | {c} |");
            }
            println!(
                "\nOf those, footers learned from the dump: {}",
                self.learned
            );
        }
    }
}

fn scan(analyzer: Analyzer, path: PathBuf, footer_senders: Option<usize>) -> Vec<Report> {
    let analyzer = match footer_senders {
        Some(n) => analyzer.checks(mailsleuth::CheckConfig {
            min_footer_senders: if n == 0 { usize::MAX } else { n },
            ..mailsleuth::CheckConfig::default()
        }),
        None => analyzer,
    };
    let scanner = Scanner::new(analyzer);
    let (reports, _) = scanner.scan_all(path);
    reports.into_iter().flatten().collect()
}

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let mut paths = Vec::new();
    let mut keys = KeyStore::new();
    let mut lists_n = 0usize;
    let mut footer_senders = None;
    while let Some(a) = args.next() {
        match a.as_str() {
            "--keys" => {
                let Some(k) = args.next() else {
                    eprintln!("--keys needs a file");
                    return ExitCode::from(2);
                };
                match std::fs::read_to_string(&k) {
                    Ok(text) => {
                        keys.parse_str(&text, &k);
                    }
                    Err(e) => {
                        eprintln!("{k}: {e}");
                        return ExitCode::from(1);
                    }
                }
            }
            "--footer-senders" => {
                footer_senders = args.next().and_then(|n| n.parse().ok());
                if footer_senders.is_none() {
                    eprintln!("--footer-senders needs a number");
                    return ExitCode::from(2);
                }
            }
            "--lists" => {
                lists_n = args.next().and_then(|n| n.parse().ok()).unwrap_or(700);
            }
            _ => paths.push(PathBuf::from(a)),
        }
    }
    if paths.is_empty() && lists_n == 0 {
        eprintln!("usage: calibrate [--keys FILE] [--lists N] [--footer-senders N] PATH...");
        return ExitCode::from(2);
    }
    println!("# Calibration of the findings on authentic mail");
    for p in paths {
        let mut t = Tally::default();
        for r in scan(Analyzer::new(keys.clone()), p.clone(), footer_senders) {
            t.add(&r);
        }
        t.print(&p.display().to_string(), true);
    }
    let mut failed = false;
    if lists_n > 0 {
        let (text, kinds) = lists::mbox(lists_n);
        let file =
            std::env::temp_dir().join(format!("calibrate-lists-{}.mbox", std::process::id()));
        if let Err(e) = std::fs::write(&file, text) {
            eprintln!("{}: {e}", file.display());
            return ExitCode::from(1);
        }
        let mut lk = keys.clone();
        lk.parse_str(&lists::keymap(), "lists");
        let reports = scan(Analyzer::new(lk), file.clone(), footer_senders);
        let _ = std::fs::remove_file(&file);
        let (mut authentic, mut forged) = (Tally::default(), Tally::default());
        for (r, k) in reports.iter().zip(&kinds) {
            if k.authentic() {
                authentic.add(r);
            } else {
                if matches!(r.verdict, Verdict::Verified | Verdict::HeadersVerified) {
                    eprintln!("forgery {k:?} at #{} came out {}", r.index, r.verdict);
                    failed = true;
                }
                forged.add(r);
            }
        }
        authentic.print(
            "synthetic list mail (ezmlm, Mailman, Mailman re-encoding the subject, Google Groups, a company list)",
            true,
        );
        forged.print("list-style forgeries", false);
    }
    if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
