//! The HTML report writer (`mailsleuth::html`, feature `html`): escaping of everything that
//! comes from the dump, the Content-Security-Policy hashes, the embedded data, the evidence
//! highlights on the bytes, the evidence budget, an empty dump and a single message.

#![cfg(feature = "html")]

#[allow(dead_code)]
use mailsleuth_testkit::sample;

use std::collections::BTreeMap;

use mailsleuth::html::HtmlReport;
use mailsleuth::{Analyzer, Input, KeyStore, Report, Scanner, Summary, Verdict};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// Scan a dump held in memory; every report final.
fn scan(name: &str, dump: &[u8], keys: KeyStore) -> (Vec<Report>, Summary) {
    let scanner = Scanner::new(Analyzer::new(keys)).threads(1);
    let (reports, summary) = scanner.scan_all(Input::Bytes {
        name: name.into(),
        data: bytes::Bytes::copy_from_slice(dump),
    });
    let reports = reports
        .into_iter()
        .collect::<Result<Vec<_>, _>>()
        .expect("every message analysed");
    (reports, summary)
}

/// The page of `reports`, each flagged one with its stored bytes from `dump`.
fn page(mut html: HtmlReport, reports: &[Report], dump: &[u8], summary: &Summary) -> String {
    for r in reports {
        let bytes = html.wants_bytes(r).then(|| stored(dump, r));
        html.add(r, bytes);
    }
    let mut out = Vec::new();
    html.write_to(summary, &mut out).expect("written to memory");
    String::from_utf8(out).expect("the page is UTF-8")
}

fn stored<'a>(dump: &'a [u8], r: &Report) -> &'a [u8] {
    let start = usize::try_from(r.offset).expect("offset");
    let end = start + usize::try_from(r.length).expect("length");
    &dump[start..end]
}

fn sample() -> (Vec<u8>, Vec<Report>, Summary) {
    let data = sample::data_dir();
    let dump = std::fs::read(data.join("sample.mbox")).expect("the sample dump");
    let keys = KeyStore::from_file(data.join("keys.keymap")).expect("the sample's keys");
    let (reports, summary) = scan("sample.mbox", &dump, keys);
    (dump, reports, summary)
}

/// The text between `start` and the next `end` after it.
fn between<'a>(text: &'a str, start: &str, end: &str) -> &'a str {
    let from = text
        .find(start)
        .unwrap_or_else(|| panic!("{start:?} in the page"))
        + start.len();
    let len = text[from..]
        .find(end)
        .unwrap_or_else(|| panic!("{end:?} after {start:?}"));
    &text[from..from + len]
}

fn data(page: &str) -> Value {
    let json = between(
        page,
        "<script type=\"application/json\" id=\"data\">",
        "</script>",
    );
    serde_json::from_str(json).expect("the data block is JSON")
}

fn b64(bytes: &[u8]) -> String {
    // The test's own base64 (RFC 4648), to check the page's.
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for c in bytes.chunks(3) {
        let n = c.iter().fold(0u32, |n, b| n << 8 | u32::from(*b)) << (8 * (3 - c.len()));
        for i in 0..=c.len() {
            out.push(A[(n >> (18 - 6 * i) & 63) as usize] as char);
        }
        for _ in c.len()..3 {
            out.push('=');
        }
    }
    out
}

/// `&lt;` and friends back to text, and the page's empty elements for CR and hidden
/// characters dropped (their text is empty).
fn text_of(html: &str) -> String {
    let mut out = String::new();
    let mut rest = html;
    while let Some(p) = rest.find('<') {
        out.push_str(&rest[..p]);
        let q = rest[p..].find('>').expect("a closed tag");
        rest = &rest[p + q + 1..];
    }
    out.push_str(rest);
    out.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// The marks of the evidence section of message `index`: `(start, end, text)`.
fn marks(page: &str, index: u64) -> Vec<(u64, u64, String)> {
    let section = between(
        page,
        &format!("<section class=\"ev\" id=\"m{index}\""),
        "</section>",
    );
    let mut out = Vec::new();
    for part in section.split("<mark ").skip(1) {
        let start: u64 = between(part, "data-start=\"", "\"").parse().expect("start");
        let end: u64 = between(part, "data-end=\"", "\"").parse().expect("end");
        let open = part.find('>').expect("mark tag") + 1;
        let close = part.find("</mark>").expect("closed mark");
        out.push((start, end, text_of(&part[open..close])));
    }
    out
}

#[test]
fn the_sample_page_holds_every_message_and_the_verdict_counts() {
    let (dump, reports, summary) = sample();
    let page = page(HtmlReport::new(), &reports, &dump, &summary);
    let data = data(&page);
    let rows = data["rows"].as_array().expect("rows");
    assert_eq!(rows.len(), 26);
    for (row, r) in rows.iter().zip(&reports) {
        assert_eq!(row[0], r.index);
        assert_eq!(row[4], r.subject.clone().unwrap_or_default().as_str());
        let verdict = &data["verdicts"][row[5].as_u64().expect("verdict") as usize];
        assert_eq!(verdict, r.verdict.as_str());
    }
    // Every verdict has its card with the summary's count, zero included.
    let names: Vec<&str> = Verdict::ALL.iter().map(|v| v.as_str()).collect();
    assert_eq!(data["verdicts"], serde_json::json!(names));
    for v in Verdict::ALL {
        let card = between(
            &page,
            &format!("data-verdict=\"{}\"", v.as_str()),
            "</button>",
        );
        let count = between(card, "<b class=\"count\">", "</b>");
        assert_eq!(
            count,
            summary.verdicts.get(v).copied().unwrap_or(0).to_string()
        );
    }
    // One evidence section per tampered or suspicious message, none for the others.
    for r in &reports {
        let flagged = matches!(r.verdict, Verdict::Tampered | Verdict::Suspicious);
        assert_eq!(
            page.contains(&format!("<section class=\"ev\" id=\"m{}\"", r.index)),
            flagged,
            "message {}",
            r.index
        );
    }
}

#[test]
fn every_evidence_span_of_a_tampered_message_is_highlighted_on_its_bytes() {
    let (dump, reports, summary) = sample();
    let page = page(HtmlReport::new(), &reports, &dump, &summary);
    let mut tampered = 0;
    for r in reports.iter().filter(|r| r.verdict == Verdict::Tampered) {
        tampered += 1;
        let marks = marks(&page, r.index);
        for f in r.decisive_findings() {
            for span in &f.evidence {
                // The marks inside the span cover it without a hole, and their text is the
                // text of its bytes (carriage returns are drawn, not written).
                let mut inside: Vec<&(u64, u64, String)> = marks
                    .iter()
                    .filter(|m| m.0 >= span.start && m.1 <= span.end)
                    .collect();
                inside.sort_by_key(|m| m.0);
                let mut at = span.start;
                let mut text = String::new();
                for m in &inside {
                    if m.0 == at {
                        text.push_str(&m.2);
                        at = m.1;
                    }
                }
                assert_eq!(at, span.end, "message {} span {span}", r.index);
                let bytes = &dump[span.start as usize..span.end as usize];
                let expected = String::from_utf8_lossy(bytes).replace('\r', "");
                assert_eq!(text, expected, "message {} span {span}", r.index);
            }
        }
        // The label of each decisive finding names its code and offset.
        for f in r.decisive_findings() {
            let first = f.evidence.first().expect("a span");
            assert!(
                page.contains(&format!("{} @{}\"", f.code.as_str(), first.start)),
                "label of {} in message {}",
                f.code.as_str(),
                r.index
            );
        }
    }
    assert_eq!(tampered, 4);
}

#[test]
fn the_policy_allows_exactly_the_page_s_own_script_and_style() {
    let (dump, reports, summary) = sample();
    let page = page(HtmlReport::new(), &reports, &dump, &summary);
    let csp = between(
        &page,
        "<meta http-equiv=\"Content-Security-Policy\" content=\"",
        "\"",
    );
    let script = between(&page, "<script>", "</script>");
    let style = between(&page, "<style>", "</style>");
    assert!(csp.starts_with("default-src 'none'; "), "{csp}");
    assert!(csp.contains(&format!(
        "script-src 'sha256-{}'",
        b64(&Sha256::digest(script.as_bytes()))
    )));
    assert!(csp.contains(&format!(
        "style-src 'sha256-{}'",
        b64(&Sha256::digest(style.as_bytes()))
    )));
    assert!(!csp.contains("unsafe"));
    // Two script elements: the data block and the script; no style attribute; every
    // element of a kind that cannot load anything, every link inside the page.
    assert_eq!(page.matches("<script").count(), 2);
    assert!(!page.contains(" style=\""));
    for (name, tag) in tags(&page) {
        assert!(ALLOWED.contains(&name.as_str()), "element {name}: {tag}");
        assert!(!tag.contains(" src="), "{tag}");
        if let Some(p) = tag.find(" href=\"") {
            assert!(tag[p + 7..].starts_with('#'), "{tag}");
        }
    }
}

/// Elements the page may have: none of them loads a resource by itself.
const ALLOWED: &[&str] = &[
    "html", "head", "meta", "title", "style", "body", "header", "h1", "h2", "h3", "h4", "p", "nav",
    "a", "section", "div", "span", "b", "strong", "code", "pre", "mark", "sup", "table", "thead",
    "tbody", "tr", "th", "td", "caption", "dl", "dt", "dd", "ol", "ul", "li", "button", "svg", "g",
    "rect", "line", "text", "title", "label", "select", "option", "input", "datalist", "noscript",
    "details", "summary", "footer", "script",
];

/// The start tags of the page (name, whole tag), outside the script elements.
fn tags(page: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = page;
    while let Some(p) = rest.find('<') {
        rest = &rest[p + 1..];
        if rest.starts_with("script") {
            let tag_end = rest.find('>').expect("tag end");
            out.push(("script".to_string(), rest[..tag_end].to_string()));
            let close = rest.find("</script>").expect("closed script");
            rest = &rest[close + 9..];
            continue;
        }
        let name: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        if name.is_empty() {
            continue;
        }
        let end = rest.find('>').expect("tag end");
        out.push((name, rest[..end].to_string()));
    }
    out
}

/// A message with markup everywhere a dump can put it, flagged (two From headers).
const HOSTILE: &[u8] = b"From: <script>alert(1)</script> <a@example.org>\n\
From: Mallory \"><img src=x onerror=alert(2)> <m@example.org>\n\
Date: Tue, 2 May 2017 09:30:00 +0200\n\
Subject: </script><script>alert(3)</script> \xe2\x80\xae fdp.exe <!--\n\
Message-ID: <x@example.org>\n\
\n\
<b>body</b> \r\n\x1b[31m\n";

#[test]
fn text_from_the_dump_is_shown_as_text() {
    let (reports, summary) = scan("hostile.mbox", HOSTILE, KeyStore::new());
    assert_eq!(reports.len(), 1);
    assert_eq!(
        reports[0].verdict,
        Verdict::Suspicious,
        "{:?}",
        reports[0].findings
    );
    let page = page(HtmlReport::new(), &reports, HOSTILE, &summary);
    // Nothing of the dump became markup.
    assert!(!page.contains("<script>alert"));
    assert!(!page.contains("<img"));
    assert!(!page.contains("<b>body"));
    assert!(!page.contains("<!--"));
    assert_eq!(page.matches("<script").count(), 2);
    // It is there as text: in the evidence, escaped ...
    assert!(page.contains("&lt;/script&gt;&lt;script&gt;alert(3)&lt;/script&gt;"));
    assert!(page.contains("&lt;b&gt;body&lt;/b&gt;"));
    // ... the right-to-left override shown, not obeyed, and the control characters drawn ...
    assert!(page.contains("⟨U+202E⟩ fdp.exe"));
    assert!(page.contains("data-c=\"U+202E\""));
    assert!(page.contains("data-c=\"\\x1B\""));
    assert!(page.contains("<span class=\"cr\"></span>"));
    // ... and in the data, where it reads back as the subject (with the override shown).
    let data = data(&page);
    assert_eq!(
        data["rows"][0][4],
        "</script><script>alert(3)</script> ⟨U+202E⟩ fdp.exe <!--"
    );
    let block = between(&page, "id=\"data\">", "</script>");
    assert!(!block.contains('<'));
}

#[test]
fn an_empty_dump_gives_a_page_that_says_so() {
    let mut out = Vec::new();
    HtmlReport::new()
        .write_to(&Summary::default(), &mut out)
        .expect("written");
    let page = String::from_utf8(out).expect("UTF-8");
    assert!(page.starts_with("<!DOCTYPE html>"));
    assert!(page.trim_end().ends_with("</html>"));
    assert!(page.contains("<p>No message.</p>"));
    assert!(page.contains("0 flagged messages"));
    let data = data(&page);
    assert_eq!(data["rows"], serde_json::json!([]));
    for v in Verdict::ALL {
        let card = between(
            &page,
            &format!("data-verdict=\"{}\"", v.as_str()),
            "</button>",
        );
        assert_eq!(between(card, "<b class=\"count\">", "</b>"), "0");
    }
}

#[test]
fn one_message() {
    let dump = b"From: Alice <alice@example.org>\nDate: Tue, 2 May 2017 09:30:00 +0200\nSubject: hello\nMessage-ID: <1@example.org>\n\nhi\n";
    let (reports, summary) = scan("one.eml", dump, KeyStore::new());
    let page = page(
        HtmlReport::new().input("one.eml", Some(dump.len() as u64)),
        &reports,
        dump,
        &summary,
    );
    let data = data(&page);
    assert_eq!(data["rows"].as_array().map(Vec::len), Some(1));
    // 2017-05-02 07:30 UTC.
    assert_eq!(data["rows"][0][1], 1_493_710_200);
    assert_eq!(data["domains"], serde_json::json!(["example.org"]));
    // One bar, per hour.
    assert!(page.contains("Messages per hour"));
    assert_eq!(page.matches("<g class=\"bucket\"").count(), 1);
    assert!(page.contains("data-label=\"2017-05-02 07:00\""));
    assert!(page.contains("<code>one.eml</code></td><td class=\"n\">"));
    assert!(page.contains("0 flagged messages"));
}

#[test]
fn the_budget_keeps_tampered_messages_before_suspicious_ones() {
    let (dump, reports, summary) = sample();
    // Sections are a few KB each: room for some, not all.
    let budget = 40_000;
    let page = page(
        HtmlReport::new().evidence_budget(budget),
        &reports,
        &dump,
        &summary,
    );
    let sections: Vec<u64> = page
        .split("<section class=\"ev\" id=\"m")
        .skip(1)
        .map(|s| s[..s.find('"').expect("id")].parse().expect("index"))
        .collect();
    let verdict: BTreeMap<u64, Verdict> = reports.iter().map(|r| (r.index, r.verdict)).collect();
    let flagged = reports
        .iter()
        .filter(|r| matches!(r.verdict, Verdict::Tampered | Verdict::Suspicious))
        .count();
    assert!(
        !sections.is_empty() && sections.len() < flagged,
        "{sections:?}"
    );
    let evidence_bytes: usize = page
        .split("<section class=\"ev\"")
        .skip(1)
        .map(|s| s.find("</section>").expect("closed") + "<section class=\"ev\"</section>\n".len())
        .sum();
    assert!(evidence_bytes as u64 <= budget);
    // Suspicious messages stop at three quarters of the budget.
    let suspicious_bytes: usize = page
        .split("<section class=\"ev\"")
        .skip(1)
        .filter(|s| s.contains("data-verdict=\"suspicious\""))
        .map(|s| s.find("</section>").expect("closed"))
        .sum();
    assert!(suspicious_bytes as u64 <= budget / 4 * 3);
    let cut = flagged - sections.len();
    assert!(page.contains(&format!("<b class=\"warn\">{cut} not embedded</b>")));
    // The table says which ones.
    let data = data(&page);
    for row in data["rows"].as_array().expect("rows") {
        let index = row[0].as_u64().expect("index");
        let state = row[10].as_u64().expect("evidence state");
        let embedded = sections.contains(&index);
        match verdict[&index] {
            Verdict::Tampered | Verdict::Suspicious => {
                assert_eq!(state, if embedded { 1 } else { 3 })
            }
            _ => assert_eq!(state, 0),
        }
    }

    // No budget at all: no section, every flagged message counted as cut.
    let page = self::page(
        HtmlReport::new().evidence_budget(0),
        &reports,
        &dump,
        &summary,
    );
    assert!(!page.contains("<section class=\"ev\""));
    assert!(page.contains(&format!("<b class=\"warn\">{flagged} not embedded</b>")));
}

#[test]
fn bytes_that_do_not_match_the_report_are_not_shown() {
    let (dump, reports, summary) = sample();
    let tampered = reports
        .iter()
        .find(|r| r.verdict == Verdict::Tampered)
        .expect("a tampered message");
    let mut html = HtmlReport::new();
    let mut changed = stored(&dump, tampered).to_vec();
    changed[0] ^= 1;
    html.add(tampered, Some(&changed));
    let mut missing = tampered.clone();
    missing.index += 1000;
    html.add(&missing, None);
    let mut out = Vec::new();
    html.write_to(&summary, &mut out).expect("written");
    let page = String::from_utf8(out).expect("UTF-8");
    let first = between(&page, &format!("id=\"m{}\"", tampered.index), "</section>");
    assert!(first.contains("do not have this hash"));
    assert!(!first.contains("<mark"));
    let second = between(&page, &format!("id=\"m{}\"", missing.index), "</section>");
    assert!(second.contains("were not available"));
    // Both still list their findings and spans.
    for s in [first, second] {
        assert!(s.contains(tampered.findings[0].code.as_str()));
    }
}

#[test]
fn a_report_added_again_replaces_the_first() {
    let (dump, reports, summary) = sample();
    let mut html = HtmlReport::new();
    for r in &reports {
        html.add(r, None);
    }
    for r in &reports {
        let bytes = html.wants_bytes(r).then(|| stored(&dump, r));
        html.add(r, bytes);
    }
    let mut out = Vec::new();
    html.write_to(&summary, &mut out).expect("written");
    let page = String::from_utf8(out).expect("UTF-8");
    assert_eq!(data(&page)["rows"].as_array().map(Vec::len), Some(26));
    assert!(!page.contains("were not available"));
    assert!(!page.contains("The table holds"));
}

#[test]
fn write_file_names_the_path_when_it_fails() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let path = dir.path().join("missing-folder").join("r.html");
    let err = HtmlReport::new()
        .write_file(&Summary::default(), &path)
        .expect_err("no such folder");
    assert!(matches!(err, mailsleuth::Error::Write { .. }));
    assert!(err.to_string().contains("missing-folder"), "{err}");
    let ok = dir.path().join("r.html");
    HtmlReport::new()
        .write_file(&Summary::default(), &ok)
        .expect("written");
    assert!(
        std::fs::read_to_string(&ok)
            .expect("read")
            .contains("</html>")
    );
}
