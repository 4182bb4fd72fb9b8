//! Each per-message heuristic fires on a crafted message and stays silent on a clean one.

use bytes::Bytes;
use mailsleuth::checks::{Config, Finding, FindingCode, Severity, check_message};
use mailsleuth::{Entry, Message, Reader};

/// A clean Gmail message: Date, DKIM t=, Received times, boundary time agree.
const CLEAN: &str =
    "Received: from mail-wr1-f41.google.com (mail-wr1-f41.google.com [209.85.221.41])\r
        by mx.example.org (Postfix) with ESMTPS id 4A1B2C3D4E\r
        for <bob@example.org>; Mon, 27 Mar 2017 10:05:12 +0200 (CEST)\r
Received: by mail-wr1-f41.google.com with SMTP id x12so1234567wrx.1\r
        for <bob@example.org>; Mon, 27 Mar 2017 01:05:10 -0700 (PDT)\r
DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=gmail.com; s=20161025;\r
        t=1490601909; h=mime-version:from:date:message-id:subject:to;\r
        bh=Xs5slD1AzSvUJO4cW8ggPlYUA4B914Lvu7PU/CoEeBk=; b=GLgwnAAApzysQN5m\r
MIME-Version: 1.0\r
From: Alice Martin <alice.martin@gmail.com>\r
Date: Mon, 27 Mar 2017 10:05:07 +0200\r
Message-ID: <CAHGZRyXM9M63fD=WQxoQM8qUvQS4ZYqJ3YmVOKpHFu5JhFB-ug@mail.gmail.com>\r
Subject: =?UTF-8?Q?Budget_r=C3=A9vis=C3=A9?=\r
To: Bob <bob@example.org>\r
Content-Type: multipart/alternative; boundary=\"000000000000a1b2c3054bb1cd3a\"\r
\r
--000000000000a1b2c3054bb1cd3a\r
Content-Type: text/plain; charset=\"UTF-8\"\r
Content-Transfer-Encoding: 8bit\r
\r
Voici le budget r\u{e9}vis\u{e9}.\r
\r
--000000000000a1b2c3054bb1cd3a--\r
";

fn run(msg: &[u8]) -> Vec<Finding> {
    let mut out = Vec::new();
    for entry in Reader::new().read_bytes("t.eml", Bytes::copy_from_slice(msg)) {
        if let Ok(Entry::Message(m)) = entry {
            out.extend(check_message(&m, &m.headers(), &Config::default()));
        }
    }
    out
}

fn codes(f: &[Finding]) -> Vec<&'static str> {
    f.iter().map(|f| f.code.as_str()).collect()
}

fn find(f: &[Finding], code: FindingCode) -> &Finding {
    f.iter()
        .find(|x| x.code == code)
        .unwrap_or_else(|| panic!("{code} not found in {:?}", codes(f)))
}

fn edit(from: &str, to: &str) -> String {
    assert!(CLEAN.contains(from), "{from}");
    CLEAN.replacen(from, to, 1)
}

/// The text an evidence span points at.
fn text(msg: &str, span: mailsleuth::Span) -> &str {
    &msg[span.start as usize..span.end as usize]
}

#[test]
fn clean_message_is_silent() {
    let f = run(CLEAN.as_bytes());
    assert!(f.is_empty(), "{:?}", f);
}

#[test]
fn required_and_single_use_headers() {
    let m = edit("Date: Mon, 27 Mar 2017 10:05:07 +0200\r\n", "");
    assert_eq!(codes(&run(m.as_bytes())), ["missing-date"]);
    let m = edit("From: Alice Martin <alice.martin@gmail.com>\r\n", "");
    assert!(codes(&run(m.as_bytes())).contains(&"missing-from"));
    let m = edit("MIME-Version: 1.0\r\n", "From: CEO <ceo@example.org>\r\n");
    let f = run(m.as_bytes());
    let dup = find(&f, FindingCode::DuplicateFrom);
    assert_eq!(dup.severity, Severity::High);
    assert_eq!(dup.evidence.len(), 2);
    assert_eq!(text(&m, dup.evidence[0]), "From: CEO <ceo@example.org>\r\n");
    let m = edit("MIME-Version: 1.0\r\n", "Subject: other\r\n");
    let f = run(m.as_bytes());
    assert_eq!(
        find(&f, FindingCode::DuplicateHeader).severity,
        Severity::Medium
    );
    let m = edit("Date: Mon, 27 Mar 2017 10:05:07 +0200", "Date: someday");
    let f = run(m.as_bytes());
    assert_eq!(
        text(&m, find(&f, FindingCode::DateUnparseable).evidence[0]),
        "Date: someday\r\n"
    );
}

#[test]
fn date_after_and_long_before_receipt() {
    // Date three days after the receipt.
    let m = edit(
        "Date: Mon, 27 Mar 2017 10:05:07 +0200",
        "Date: Thu, 30 Mar 2017 10:05:07 +0200",
    );
    let f = run(m.as_bytes());
    let d = find(&f, FindingCode::DateAfterReceived);
    assert_eq!(d.severity, Severity::Medium);
    assert_eq!(
        text(&m, d.evidence[0]),
        "Date: Thu, 30 Mar 2017 10:05:07 +0200\r\n"
    );
    assert_eq!(
        text(&m, d.evidence[1]),
        "Mon, 27 Mar 2017 01:05:10 -0700 (PDT)"
    );
    // A wrong zone (exactly one hour) is low.
    let m = edit(
        "Date: Mon, 27 Mar 2017 10:05:07 +0200",
        "Date: Mon, 27 Mar 2017 10:05:07 +0100",
    );
    let f = run(m.as_bytes());
    assert_eq!(
        find(&f, FindingCode::DateAfterReceived).severity,
        Severity::Low
    );
    // Forty days before the first receipt.
    let m = edit(
        "Date: Mon, 27 Mar 2017 10:05:07 +0200",
        "Date: Fri, 17 Feb 2017 10:05:07 +0100",
    );
    let f = run(m.as_bytes());
    assert_eq!(
        find(&f, FindingCode::DateBeforeReceived).severity,
        Severity::Medium
    );
}

#[test]
fn received_going_backwards() {
    let m = edit(
        "Mon, 27 Mar 2017 01:05:10 -0700 (PDT)",
        "Tue, 28 Mar 2017 01:05:10 -0700 (PDT)",
    );
    let f = run(m.as_bytes());
    let r = find(&f, FindingCode::ReceivedOutOfOrder);
    assert_eq!(r.severity, Severity::Medium);
    assert_eq!(
        text(&m, r.evidence[0]),
        "Tue, 28 Mar 2017 01:05:10 -0700 (PDT)"
    );
}

#[test]
fn signing_time_against_date_and_received() {
    // t= one day before Date.
    let m = edit("t=1490601909", "t=1490515509");
    let f = run(m.as_bytes());
    assert_eq!(
        find(&f, FindingCode::DateAfterSignature).severity,
        Severity::Medium
    );
    // A hop below the signature (before signing) dated a day after t=.
    let m = edit(
        "MIME-Version: 1.0\r\n",
        "Received: from [10.0.0.2] ([198.51.99.7]) by smtp.gmail.com with ESMTPSA id q1;\r\n Tue, 28 Mar 2017 08:05:00 +0000\r\nMIME-Version: 1.0\r\n",
    );
    let f = run(m.as_bytes());
    let r = find(&f, FindingCode::ReceivedAfterSignature);
    assert_eq!(r.severity, Severity::Low);
    assert_eq!(text(&m, r.evidence[1]), "Tue, 28 Mar 2017 08:05:00 +0000");
    // t= one day after the receipt above the signature.
    let m = edit("t=1490601909", "t=1490688309");
    let f = run(m.as_bytes());
    let s = find(&f, FindingCode::SignatureAfterReceived);
    assert_eq!(s.severity, Severity::Medium);
    assert!(text(&m, s.evidence[0]).starts_with("DKIM-Signature:"));
    assert_eq!(
        text(&m, s.evidence[1]),
        "Mon, 27 Mar 2017 10:05:12 +0200 (CEST)"
    );
}

#[test]
fn gmail_boundary_time() {
    // The Date moved one day back: the boundary still says 27 March.
    let m = edit(
        "Date: Mon, 27 Mar 2017 10:05:07 +0200",
        "Date: Sun, 26 Mar 2017 10:05:07 +0200",
    );
    let f = run(m.as_bytes());
    let g = find(&f, FindingCode::GmailBoundaryTimeMismatch);
    assert_eq!(g.severity, Severity::Medium);
    assert_eq!(text(&m, g.evidence[0]), "000000000000a1b2c3054bb1cd3a");
}

const OUTLOOK: &str = "From: Bob <bob@example.org>\r
Date: Mon, 27 Mar 2017 08:05:07 +0000\r
Message-ID: <000001d2a6c1$2f0e8d40$8d2ba7c0$@example.org>\r
Thread-Index: AQHSptDYAAAAAAAAAAAAAAAAAAAAAA==\r
X-Mailer: Microsoft Outlook 16.0\r
Content-Type: multipart/mixed; boundary=\"----=_NextPart_000_0001_01D2A6C1.2F0E8D40\"\r
\r
------=_NextPart_000_0001_01D2A6C1.2F0E8D40\r
Content-Type: text/plain; charset=\"us-ascii\"\r
\r
hello\r
------=_NextPart_000_0001_01D2A6C1.2F0E8D40--\r
";

#[test]
fn outlook_thread_index_time() {
    assert!(
        run(OUTLOOK.as_bytes()).is_empty(),
        "{:?}",
        run(OUTLOOK.as_bytes())
    );
    let m = OUTLOOK.replace("Mon, 27 Mar 2017 08:05:07", "Sun, 26 Mar 2017 08:05:07");
    let f = run(m.as_bytes());
    let t = find(&f, FindingCode::ThreadIndexTimeMismatch);
    assert_eq!(t.severity, Severity::Medium);
    assert!(text(&m, t.evidence[0]).starts_with("Thread-Index:"));
    // A later Date (a draft sent later) is not flagged.
    let m = OUTLOOK.replace("Mon, 27 Mar 2017 08:05:07", "Tue, 28 Mar 2017 08:05:07");
    assert!(run(m.as_bytes()).is_empty());
}

#[test]
fn routing_hops() {
    // The upper hop says the mail came from a host of another organisation.
    let m = edit(
        "from mail-wr1-f41.google.com (mail-wr1-f41.google.com [209.85.221.41])",
        "from relay.attacker.example.net (relay.attacker.example.net [209.85.221.41])",
    );
    let f = run(m.as_bytes());
    let h = find(&f, FindingCode::ReceivedHopMismatch);
    assert_eq!(h.severity, Severity::Low);
    assert_eq!(h.evidence.len(), 2);
    // A Google host recorded from a private address.
    let m = edit("[209.85.221.41]", "[192.168.1.20]");
    let f = run(m.as_bytes());
    assert_eq!(codes(&f), ["received-private-address"]);
    // Addresses that cannot exist.
    for bad in [
        "[209.85.300.41]",
        "[203.0.113.5]",
        "[0.1.2.3]",
        "[239.1.1.1]",
    ] {
        let m = edit("[209.85.221.41]", bad);
        let f = run(m.as_bytes());
        let r = find(&f, FindingCode::ReceivedImpossibleAddress);
        assert_eq!(r.severity, Severity::Medium, "{bad}");
        assert!(text(&m, r.evidence[0]).starts_with("Received: from mail-wr1"));
    }
}

#[test]
fn exchange_internal_hops_are_silent() {
    let m = "Received: from HE1EUR02FT058.eop-EUR02.prod.protection.outlook.com\r
 (10.152.10.53) by HE1EUR02HT165.eop-EUR02.prod.protection.outlook.com\r
 (10.152.10.239) with Microsoft SMTP Server id 15.20.2495.18; Sun, 8 Dec\r
 2019 09:34:23 +0000\r
Received: from HE1PR0401MB2427.eurprd04.prod.outlook.com (10.152.10.57) by\r
 HE1EUR02FT058.mail.protection.outlook.com (10.152.11.31) with Microsoft SMTP\r
 Server id 15.20.2495.18 via Frontend Transport; Sun, 8 Dec 2019 09:34:23 +0000\r
From: devopsix <devopsix@outlook.com>\r
Date: Sun, 8 Dec 2019 09:34:22 +0000\r
Thread-Index: AQHVraqsfF1n/ybDhUeAU8vsv9+SRQ==\r
Message-ID: <HE1PR0401MB24279B86E7353F5886A73526D6590@HE1PR0401MB2427.eurprd04.prod.outlook.com>\r
\r
hi\r
";
    assert!(run(m.as_bytes()).is_empty(), "{:?}", run(m.as_bytes()));
}

#[test]
fn mailer_fingerprints() {
    // iPhone Mail does not make Gmail Message-IDs.
    let m = edit("MIME-Version: 1.0\r\n", "X-Mailer: iPhone Mail (14F89)\r\n");
    let f = run(m.as_bytes());
    let x = find(&f, FindingCode::MessageIdMailerMismatch);
    assert_eq!(x.severity, Severity::Medium);
    assert!(text(&m, x.evidence[1]).starts_with("X-Mailer: iPhone"));
    // ... nor Gmail boundaries.
    assert_eq!(
        find(&f, FindingCode::BoundaryMailerMismatch).severity,
        Severity::Medium
    );
    // With its own Message-ID and boundary shapes it is silent.
    let m = m
        .replace(
            "CAHGZRyXM9M63fD=WQxoQM8qUvQS4ZYqJ3YmVOKpHFu5JhFB-ug@mail.gmail.com",
            "C0DFCCDD-E615-4542-8D51-71B3BE840CF4@gmail.com",
        )
        .replace(
            "000000000000a1b2c3054bb1cd3a",
            "Apple-Mail-5E2A1F0C-77D1-4C51-9F0B-2A4C1B7A9E11",
        );
    assert!(run(m.as_bytes()).is_empty(), "{:?}", run(m.as_bytes()));
    // Outlook with a Message-ID of no known shape: low.
    let m = OUTLOOK.replace(
        "000001d2a6c1$2f0e8d40$8d2ba7c0$@example.org",
        "1234.abcd@example.org",
    );
    assert_eq!(
        find(&run(m.as_bytes()), FindingCode::MessageIdMailerMismatch).severity,
        Severity::Low
    );
    // Thunderbird with a Thunderbird-shaped id.
    let m = OUTLOOK
        .replace(
            "X-Mailer: Microsoft Outlook 16.0",
            "User-Agent: Mozilla Thunderbird",
        )
        .replace(
            "000001d2a6c1$2f0e8d40$8d2ba7c0$@example.org",
            "4538ba23-ee8b-4e15-8857-d653d581bc18@example.org",
        )
        .replace("Thread-Index: AQHSptDYAAAAAAAAAAAAAAAAAAAAAA==\r\n", "");
    let f = run(m.as_bytes());
    // ... but Outlook's boundary.
    assert_eq!(codes(&f), ["boundary-mailer-mismatch"]);
    // A Gmail-domain Message-ID whose local part is not Gmail's.
    let m = edit(
        "CAHGZRyXM9M63fD=WQxoQM8qUvQS4ZYqJ3YmVOKpHFu5JhFB-ug",
        "12345",
    );
    assert_eq!(
        find(&run(m.as_bytes()), FindingCode::MessageIdMailerMismatch).severity,
        Severity::Low
    );
    // A Message-ID domain unrelated to the sender.
    let m = edit(
        "CAHGZRyXM9M63fD=WQxoQM8qUvQS4ZYqJ3YmVOKpHFu5JhFB-ug@mail.gmail.com",
        "x1@mail.unrelated.example.net",
    );
    assert_eq!(
        find(&run(m.as_bytes()), FindingCode::MessageIdDomainUnrelated).severity,
        Severity::Info
    );
}

#[test]
fn line_endings_nul_and_unquoted_from() {
    let m = edit(
        "Subject: =?UTF-8?Q?Budget_r=C3=A9vis=C3=A9?=\r\n",
        "Subject: edited\n",
    );
    let f = run(m.as_bytes());
    let x = find(&f, FindingCode::MixedLineEndings);
    assert_eq!(x.severity, Severity::Low);
    assert_eq!(text(&m, x.evidence[0]), "\n");
    let m = edit("Voici", "Voi\0ci");
    let f = run(m.as_bytes());
    assert_eq!(text(&m, find(&f, FindingCode::NulBytes).evidence[0]), "\0");
    // mboxo: a body line "From " that is not a separator.
    let mbox = "From alice@example.org Mon Mar 27 08:05:07 2017\nFrom: alice@example.org\nDate: Mon, 27 Mar 2017 10:05:07 +0200\n\nline\nFrom here on\n";
    let f = run(mbox.as_bytes());
    assert_eq!(
        find(&f, FindingCode::UnquotedFromLine).severity,
        Severity::Info
    );
    let clean = "From alice@example.org Mon Mar 27 08:05:07 2017\nFrom: alice@example.org\nDate: Mon, 27 Mar 2017 10:05:07 +0200\n\nline\n";
    assert!(run(clean.as_bytes()).is_empty());
}

#[test]
fn encoded_words_and_charsets() {
    let m = edit(
        "=?UTF-8?Q?Budget_r=C3=A9vis=C3=A9?=",
        "=?UTF-8?B?QnVk!Z2V0?=",
    );
    let f = run(m.as_bytes());
    let e = find(&f, FindingCode::MalformedEncodedWord);
    assert_eq!(text(&m, e.evidence[0]), "=?UTF-8?B?QnVk!Z2V0?=");
    let m = edit(
        "=?UTF-8?Q?Budget_r=C3=A9vis=C3=A9?=",
        "=?x-no-such?Q?Budget?=",
    );
    assert!(codes(&run(m.as_bytes())).contains(&"malformed-encoded-word"));
    // UTF-8 declared, Latin-1 bytes stored.
    let mut m = CLEAN.as_bytes().to_vec();
    let at = m.windows(2).position(|w| w == "\u{e9}".as_bytes()).unwrap();
    m.splice(at..at + 2, [0xe9u8]);
    let f = run(&m);
    let c = find(&f, FindingCode::CharsetMismatch);
    assert!(c.detail.contains("UTF-8"));
    // us-ascii declared, 8-bit bytes stored.
    let m = OUTLOOK.replace("hello", "h\u{e9}llo");
    assert!(codes(&run(m.as_bytes())).contains(&"charset-mismatch"));
}

/// The heuristics of a message given as bytes (`Message::from_bytes`) without a reader.
fn check_bytes(bytes: &[u8], config: &Config) -> Vec<Finding> {
    let m = Message::from_bytes("x.eml", bytes.to_vec());
    check_message(&m, &m.headers(), config)
}

#[test]
fn a_message_from_bytes_is_checked_like_one_from_the_reader() {
    assert!(check_bytes(CLEAN.as_bytes(), &Config::default()).is_empty());
    let m = edit("[209.85.221.41]", "[192.0.2.1]");
    assert_eq!(
        check_bytes(m.as_bytes(), &Config::default()),
        run(m.as_bytes())
    );
}

#[test]
fn extreme_values_do_not_overflow() {
    for t in [
        "t=9223372036854775807",
        "t=-9223372036854775808",
        "t=99999999999999999999",
    ] {
        let m = edit("t=1490601909", t);
        let f = run(m.as_bytes());
        assert!(
            !codes(&f).iter().any(|c| c.contains("signature")),
            "{t}: {:?}",
            codes(&f)
        );
    }
    let wild = Config {
        clock_skew: i64::MAX,
        large_skew: i64::MIN,
        max_transit: i64::MIN,
        hidden_time_tolerance: i64::MIN,
        signing_period: i64::MAX,
        ..Config::default()
    };
    let _ = check_bytes(CLEAN.as_bytes(), &wild);
}

#[test]
fn tolerance_is_settable() {
    let m = edit(
        "Date: Mon, 27 Mar 2017 10:05:07 +0200",
        "Date: Mon, 27 Mar 2017 10:25:07 +0200",
    );
    let strict = check_bytes(m.as_bytes(), &Config::default());
    assert!(codes(&strict).contains(&"date-after-received"));
    let loose = Config {
        clock_skew: 3600,
        hidden_time_tolerance: 3600,
        ..Config::default()
    };
    assert!(check_bytes(m.as_bytes(), &loose).is_empty());
}

#[cfg(feature = "serde")]
#[test]
fn serializes_to_the_report_contract() {
    let m = edit("MIME-Version: 1.0\r\n", "From: CEO <ceo@example.org>\r\n");
    let f = run(m.as_bytes());
    let v = serde_json::to_value(&f[0]).unwrap();
    assert_eq!(v["code"], "duplicate-from");
    assert_eq!(v["severity"], "high");
    assert_eq!(v["basis"], "heuristic");
    assert!(v["detail"].is_string());
    assert!(v["evidence"][0].as_array().unwrap().len() == 2);
}

#[test]
fn every_code_has_a_unique_kebab_case_name_documented_in_the_table() {
    let doc = include_str!("../src/checks/mod.rs");
    let mut seen = std::collections::HashSet::new();
    for c in FindingCode::ALL {
        let s = c.as_str();
        assert!(
            s.bytes().all(|b| b.is_ascii_lowercase() || b == b'-'),
            "{s}"
        );
        assert!(seen.insert(s), "{s} twice");
        assert!(
            doc.contains(&format!("//! | `{s}` |")),
            "{s} missing from the rustdoc table"
        );
    }
}

mod no_panic {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn arbitrary_bytes(data in proptest::collection::vec(any::<u8>(), 0..2048)) {
            let _ = check_bytes(&data, &Config::default());
        }

        #[test]
        fn mutated_clean_message(pos in 0usize..1400, byte in any::<u8>(), cut in 0usize..1400) {
            let mut m = CLEAN.as_bytes().to_vec();
            if pos < m.len() { m[pos] = byte; }
            m.truncate(cut.max(1));
            for f in check_bytes(&m, &Config::default()) {
                for s in f.evidence {
                    prop_assert!(s.end as usize <= m.len());
                }
            }
        }
    }
}
