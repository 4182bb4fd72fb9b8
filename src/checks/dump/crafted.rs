//! The dump-wide pass over compact facts: each check fires on a crafted dump and stays
//! silent on a consistent one.

use super::{DumpChecks, MessageFacts};
use crate::checks::{Config, Finding, FindingCode, Severity};
use crate::read::headers::Headers;

struct Mail {
    from: &'static str,
    date: String,
    id: String,
    reply_to: Option<String>,
    signed_by: Option<&'static str>,
    body: String,
}

fn mail(from: &'static str, date: &str, id: &str) -> Mail {
    Mail {
        from,
        date: date.to_string(),
        id: id.to_string(),
        reply_to: None,
        signed_by: None,
        body: format!("body of {id}\n"),
    }
}

impl Mail {
    fn text(&self) -> String {
        let mut s = format!(
            "From: {}\nDate: {}\nMessage-ID: <{}>\n",
            self.from, self.date, self.id
        );
        if let Some(r) = &self.reply_to {
            s.push_str(&format!("In-Reply-To: <{r}>\nReferences: <root@x> <{r}>\n"));
        }
        if let Some(d) = self.signed_by {
            s.push_str(&format!("DKIM-Signature: v=1; d={d}; s=s1; b=abc\n"));
        }
        s.push('\n');
        s.push_str(&self.body);
        s
    }
}

/// Run the pass; `verified[i]` marks message i's signatures as verified.
fn pass(mails: &[Mail], verified: &[usize]) -> std::collections::BTreeMap<u64, Vec<Finding>> {
    let mut dump = DumpChecks::new(Config::default());
    for (i, m) in mails.iter().enumerate() {
        let text = m.text();
        let h = Headers::parse(text.as_bytes(), 0);
        let mut facts = MessageFacts::collect(i as u64, &h);
        if let Some(d) = m.signed_by {
            facts.set_signers([(d, verified.contains(&i))]);
        }
        dump.add(facts);
    }
    dump.finish()
}

fn codes_of(out: &std::collections::BTreeMap<u64, Vec<Finding>>, i: u64) -> Vec<&'static str> {
    out.get(&i)
        .map(|v| v.iter().map(|f| f.code.as_str()).collect())
        .unwrap_or_default()
}

#[test]
fn consistent_dump_is_silent() {
    let mut mails = vec![
        mail("a@x.org", "Mon, 27 Mar 2017 10:00:00 +0200", "1@x.org"),
        mail("b@y.org", "Mon, 27 Mar 2017 11:00:00 +0200", "2@y.org"),
    ];
    mails[1].reply_to = Some("1@x.org".into());
    // The same message stored twice (CRLF and LF, trailing space): same content.
    let mut copy = mail("a@x.org", "Mon, 27 Mar 2017 10:00:00 +0200", "1@x.org");
    copy.body = "body of 1@x.org  \r\n\r\n".into();
    mails.push(copy);
    let out = pass(&mails, &[]);
    // In-Reply-To is present, References' root is missing: no finding (an ancestor is here).
    assert!(out.is_empty(), "{out:?}");
}

#[test]
fn same_message_id_different_content() {
    let mut a = mail(
        "a@gmail.com",
        "Mon, 27 Mar 2017 10:00:00 +0200",
        "same@mail.gmail.com",
    );
    a.signed_by = Some("gmail.com");
    let mut b = mail(
        "a@gmail.com",
        "Mon, 27 Mar 2017 10:00:00 +0200",
        "same@mail.gmail.com",
    );
    b.signed_by = Some("gmail.com");
    b.body = "body of same, with a paragraph added\n".into();
    let out = pass(&[a, b], &[0]);
    let f0 = &out[&0][0];
    let f1 = &out[&1][0];
    assert_eq!(f0.code, FindingCode::DuplicateMessageId);
    assert_eq!(f0.severity, Severity::Medium);
    assert!(
        f0.detail.contains("#1") && f0.detail.contains("verifies this copy only"),
        "{}",
        f0.detail
    );
    // The copy that does not verify while the other does: high.
    assert_eq!(f1.severity, Severity::High);
    assert!(
        f1.detail.contains("#0") && f1.detail.contains("DKIM verifies #0 but not this copy"),
        "{}",
        f1.detail
    );
    assert_eq!(f1.evidence.len(), 2);
}

#[test]
fn replies_to_missing_or_later_messages() {
    let parent = mail("a@x.org", "Tue, 28 Mar 2017 10:00:00 +0200", "p@x.org");
    let mut early = mail("b@y.org", "Mon, 27 Mar 2017 10:00:00 +0200", "r@y.org");
    early.reply_to = Some("p@x.org".into());
    let mut orphan = mail("b@y.org", "Mon, 27 Mar 2017 10:00:00 +0200", "o@y.org");
    orphan.reply_to = Some("gone@x.org".into());
    let out = pass(&[parent, early, orphan], &[]);
    let r = &out[&1][0];
    assert_eq!(r.code, FindingCode::ReplyBeforeParent);
    assert_eq!(r.severity, Severity::Medium);
    assert_eq!(codes_of(&out, 2), ["reply-to-missing"]);
    assert_eq!(out[&2][0].severity, Severity::Info);
    assert!(!out.contains_key(&0));
}

#[test]
fn unsigned_where_the_domain_signs() {
    let mut mails = Vec::new();
    for day in 1..=20 {
        let mut m = mail(
            "staff@campaign.fr",
            &format!("{day} Mar 2017 10:00:00 +0100"),
            &format!("{day}@campaign.fr"),
        );
        m.signed_by = Some("campaign.fr");
        mails.push(m);
    }
    mails.push(mail(
        "staff@campaign.fr",
        "10 Mar 2017 12:00:00 +0100",
        "odd@campaign.fr",
    ));
    // Another domain that never signs: silent.
    for day in 1..=20 {
        mails.push(mail(
            "x@nosign.org",
            &format!("{day} Mar 2017 10:00:00 +0100"),
            &format!("{day}@nosign.org"),
        ));
    }
    let out = pass(&mails, &[]);
    assert_eq!(codes_of(&out, 20), ["unsigned-in-signed-period"]);
    assert_eq!(out[&20][0].severity, Severity::Medium);
    assert_eq!(out.len(), 1, "{out:?}");
}

#[test]
fn unusual_timezone_for_a_sender() {
    let mut mails = Vec::new();
    for day in 1..=20 {
        mails.push(mail(
            "a@x.org",
            &format!("{day} Mar 2017 10:00:00 +0100"),
            &format!("{day}@x.org"),
        ));
    }
    mails.push(mail("a@x.org", "21 Mar 2017 10:00:00 +0300", "msk@x.org"));
    let out = pass(&mails, &[]);
    assert_eq!(codes_of(&out, 20), ["unusual-timezone"]);
    let f = &out[&20][0];
    assert_eq!(f.severity, Severity::Low);
    assert!(
        f.detail.contains("+0300") && f.detail.contains("+0100"),
        "{}",
        f.detail
    );
    assert_eq!(out.len(), 1);
}
