//! Header fields attributed to the hop that added them: a duplicate single-use field whose
//! extra copy sits in a block a list, an ARC sealer or a relay added (above a `Received`,
//! with that hop's fields) is that hop's addition (info, naming the hop); a duplicate in the
//! author's own block, at the very top of the message or in a block without any hop's
//! fields stays flagged.

use bytes::Bytes;
use mailsleuth::checks::{Config, Finding, FindingCode, Severity, check_message};
use mailsleuth::{Entry, Reader};

fn run(msg: &str) -> Vec<Finding> {
    let mut out = Vec::new();
    for entry in Reader::new().read_bytes("t.eml", Bytes::copy_from_slice(msg.as_bytes())) {
        if let Ok(Entry::Message(m)) = entry {
            out.extend(check_message(&m, &m.headers(), &Config::default()));
        }
    }
    out
}

fn find(findings: &[Finding], code: FindingCode) -> &Finding {
    findings
        .iter()
        .find(|f| f.code == code)
        .unwrap_or_else(|| panic!("{code:?} in {findings:#?}"))
}

/// A message relayed by `hop` (`by` host) with `hop_fields` in its block above the author's
/// Received, the author's fields below.
fn relayed(hop: &str, hop_fields: &str, author_extra: &str) -> String {
    format!(
        "Received: from {hop} ({hop} [192.0.2.7])\r
\tby mx.example.org (Postfix) with ESMTPS id 4A1B2C3D4E\r
\tfor <bob@example.org>; Mon, 27 Mar 2017 10:05:14 +0200\r
{hop_fields}Received: from mail.example.com (mail.example.com [198.51.100.3])\r
\tby {hop} (Postfix) with ESMTP id 77AA\r
\tfor <team@example.net>; Mon, 27 Mar 2017 10:05:12 +0200\r
From: Alice <alice@example.com>\r
Date: Mon, 27 Mar 2017 10:05:07 +0200\r
Message-ID: <20170327080507.1@mail.example.com>\r
Subject: budget\r
To: team@example.net\r
{author_extra}MIME-Version: 1.0\r
Content-Type: text/plain; charset=us-ascii\r
\r
Hello.\r
"
    )
}

#[test]
fn a_copy_in_an_arc_sealers_block_is_that_hops() {
    // A forwarder that seals with ARC adds its own Reply-To; no list on the route.
    let msg = relayed(
        "fwd.example.net",
        "ARC-Seal: i=1; a=rsa-sha256; cv=none; d=example.net; s=arc; b=AAAA\r
ARC-Message-Signature: i=1; a=rsa-sha256; d=example.net; s=arc; h=from; bh=AAAA; b=AAAA\r
ARC-Authentication-Results: i=1; fwd.example.net; spf=pass\r
Reply-To: team@example.net\r
",
        "Reply-To: alice@example.com\r\n",
    );
    let f = run(&msg);
    let d = find(&f, FindingCode::DuplicateHeader);
    assert_eq!(d.severity, Severity::Info, "{d:#?}");
    assert!(d.detail.contains("fwd.example.net"), "{}", d.detail);
    assert!(d.detail.contains("ARC"), "{}", d.detail);
}

#[test]
fn a_copy_in_a_relays_stamped_block_is_that_hops() {
    // A gateway that stamps its checks adds its own Message-ID above the author's.
    let msg = relayed(
        "gw.example.net",
        "Authentication-Results: gw.example.net; spf=pass smtp.mailfrom=example.com\r
X-Virus-Scanned: clean\r
Message-ID: <gw.1234@gw.example.net>\r
",
        "",
    );
    let f = run(&msg);
    let d = find(&f, FindingCode::DuplicateHeader);
    assert_eq!(d.severity, Severity::Info, "{d:#?}");
    assert!(d.detail.contains("gw.example.net"), "{}", d.detail);
}

#[test]
fn a_from_in_a_lists_block_is_the_lists() {
    let msg = relayed(
        "lists.example.net",
        "List-Id: <team.lists.example.net>\r
List-Post: <mailto:team@lists.example.net>\r
From: Team list <team@lists.example.net>\r
",
        "",
    );
    let f = run(&msg);
    let d = find(&f, FindingCode::DuplicateFrom);
    assert_eq!(d.severity, Severity::Info, "{d:#?}");
    assert!(d.detail.contains("lists.example.net"), "{}", d.detail);
    // A relay's stamps alone do not explain a second From.
    let msg = relayed(
        "gw.example.net",
        "X-Virus-Scanned: clean\r\nFrom: Boss <boss@example.com>\r\n",
        "",
    );
    let f = run(&msg);
    assert_eq!(
        find(&f, FindingCode::DuplicateFrom).severity,
        Severity::High
    );
}

#[test]
fn duplicates_no_hop_explains_stay_flagged() {
    // In the author's own block, below the lowest Received.
    let msg = relayed(
        "lists.example.net",
        "List-Id: <team.lists.example.net>\r\n",
        "From: Boss <boss@example.com>\r\nDate: Mon, 27 Mar 2017 09:00:00 +0200\r\n",
    );
    let f = run(&msg);
    assert_eq!(
        find(&f, FindingCode::DuplicateFrom).severity,
        Severity::High
    );
    assert_eq!(
        find(&f, FindingCode::DuplicateHeader).severity,
        Severity::Medium
    );
    // Above every Received, where the final delivery writes and a forger adds.
    let msg = format!(
        "Delivered-To: bob@example.org\r\nSubject: wire the money\r\n{}",
        relayed("gw.example.net", "X-Virus-Scanned: clean\r\n", "")
    );
    let f = run(&msg);
    assert_eq!(
        find(&f, FindingCode::DuplicateHeader).severity,
        Severity::Medium
    );
    // In a relay's block without any of its fields.
    let msg = relayed(
        "gw.example.net",
        "Date: Mon, 27 Mar 2017 10:05:13 +0200\r\n",
        "",
    );
    let f = run(&msg);
    assert_eq!(
        find(&f, FindingCode::DuplicateHeader).severity,
        Severity::Medium
    );
}
