//! Synthetic mailing-list mail: messages signed as a webmail provider signs them (the
//! [`signer`](crate::signer) with the committed `rsa2048` test key, `d=gmail.test`), then
//! passed through simulated list software (ezmlm's footer and subject tag, Mailman's
//! footer, subject tag, `Reply-To` and MIME wrapping, Mailman writing an 8-bit subject again
//! in its own encoded words, Google Groups' footer), and list-style forgeries of them (an
//! edit inside the signed text under the footer, text added before the footer, a subject
//! rewritten beyond the tag, encoded or not, a footer on mail that never saw a list).
//! A company's list server appends a trailer of its own that matches no known footer shape
//! (`Kind::CustomList`): only a scan learns it, from the dump (it recurs on the mail of every
//! sender of the list); its forgeries mirror ezmlm's.
//!
//! Used by `tests/list_transit.rs` and the `calibrate` example.

use crate::keys::{keys_dir, public};
use crate::signer::{Canon, PrivateKey, Spec, sign};

/// The signing domain and selector of the generated mail.
pub const DOMAIN: &str = "gmail.test";
/// The selector.
pub const SELECTOR: &str = "sel";

/// The key archive line that verifies the generated signatures.
pub fn keymap() -> String {
    format!(
        "{SELECTOR}._domainkey.{DOMAIN} v=DKIM1; k=rsa; p={}\n",
        public("rsa2048")
    )
}

/// What a list did to a message, or what a forger did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// ezmlm (Apache): subject tag, list headers, footer appended (plain) or as a new part
    /// (multipart).
    Ezmlm,
    /// Mailman 2: subject tag, its own `Reply-To`, single part wrapped into
    /// `multipart/mixed` with a footer part.
    Mailman,
    /// Google Groups: list headers, footer appended to the text.
    GoogleGroups,
    /// Mailman 2 on a subject with 8-bit text (written by the author's client as a Gmail
    /// `B` word or Apple Mail's partial `Q` words): Mailman decodes it and writes its tag and
    /// the text again as Python's `email` does (a plain tag, then strict `q` words in lower
    /// case); otherwise as [`Kind::Mailman`].
    MailmanEncoded,
    /// Forgery: a word of the signed text edited, then ezmlm's footer.
    EditUnderFooter,
    /// Forgery: a sentence added before ezmlm's footer.
    TextBeforeFooter,
    /// Forgery: the subject rewritten beyond the tag.
    SubjectBeyondTag,
    /// Forgery: ezmlm's footer on mail whose route shows no list.
    FooterWithoutList,
    /// A company's list server: subject tag, list headers, a trailer of its own (no known
    /// footer shape, naming the recipient) appended to the text (plain) or as a new part
    /// (multipart).
    CustomList,
    /// Forgery: a word of the signed text edited, then the company list's trailer.
    EditUnderCustomFooter,
    /// Forgery: a sentence added before the company list's trailer.
    TextBeforeCustomFooter,
    /// Forgery: the company list's trailer on mail whose route shows no list.
    CustomFooterWithoutList,
    /// Forgery: as [`Kind::MailmanEncoded`], the decoded subject changed beyond the tag.
    EncodedBeyondTag,
}

impl Kind {
    /// Every kind, the authentic ones first.
    pub const ALL: [Kind; 13] = [
        Kind::Ezmlm,
        Kind::Mailman,
        Kind::GoogleGroups,
        Kind::CustomList,
        Kind::MailmanEncoded,
        Kind::EditUnderFooter,
        Kind::TextBeforeFooter,
        Kind::SubjectBeyondTag,
        Kind::FooterWithoutList,
        Kind::EditUnderCustomFooter,
        Kind::TextBeforeCustomFooter,
        Kind::CustomFooterWithoutList,
        Kind::EncodedBeyondTag,
    ];

    /// Whether the list's change is the only change (authentic list mail).
    pub fn authentic(self) -> bool {
        matches!(
            self,
            Kind::Ezmlm
                | Kind::Mailman
                | Kind::GoogleGroups
                | Kind::CustomList
                | Kind::MailmanEncoded
        )
    }

    /// Whether the list's footer is of no known shape, so that only the footers a scan
    /// learns from the dump explain it (the message alone stays `tampered`).
    pub fn custom_footer(self) -> bool {
        matches!(
            self,
            Kind::CustomList
                | Kind::EditUnderCustomFooter
                | Kind::TextBeforeCustomFooter
                | Kind::CustomFooterWithoutList
        )
    }

    /// Whether the list is Mailman (single part wrapped, `Content-Type` not signed).
    fn mailman(self) -> bool {
        matches!(
            self,
            Kind::Mailman | Kind::MailmanEncoded | Kind::EncodedBeyondTag
        )
    }
}

/// `text` as one Gmail `B` word (RFC 2047; the texts here are short enough for one).
fn gmail_b(text: &str) -> String {
    format!(
        "=?UTF-8?B?{}?=",
        crate::signer::base64_encode(text.as_bytes())
    )
}

/// `text` as Apple Mail writes it: ASCII words as they are, each run of words with 8-bit
/// characters as one `Q` word (spaces inside as `_`).
fn apple_partial_q(text: &str) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut run: Vec<&str> = Vec::new();
    let flush = |run: &mut Vec<&str>, out: &mut Vec<String>| {
        if !run.is_empty() {
            let mut w = String::from("=?utf-8?Q?");
            for b in run.join(" ").bytes() {
                match b {
                    b' ' => w.push('_'),
                    b'=' | b'?' | b'_' => w.push_str(&format!("={b:02X}")),
                    0x21..=0x7e => w.push(b as char),
                    _ => w.push_str(&format!("={b:02X}")),
                }
            }
            w.push_str("?=");
            out.push(w);
            run.clear();
        }
    };
    for t in text.split(' ') {
        if t.is_ascii() {
            flush(&mut run, &mut out);
            out.push(t.to_string());
        } else {
            run.push(t);
        }
    }
    flush(&mut run, &mut out);
    out.join(" ")
}

/// `text` as Python's `email.header` writes it in Mailman 2: strict `q` words (all but
/// letters, digits and `!*+-/` encoded) in lower case, at most 75 characters, folded.
fn python_q(text: &str) -> String {
    let mut words: Vec<String> = Vec::new();
    let mut cur = String::new();
    for c in text.chars() {
        let mut enc = String::new();
        let mut buf = [0u8; 4];
        for &b in c.encode_utf8(&mut buf).as_bytes() {
            if b == b' ' {
                enc.push('_');
            } else if b.is_ascii_alphanumeric() || b"!*+-/".contains(&b) {
                enc.push(b as char);
            } else {
                enc.push_str(&format!("={b:02X}"));
            }
        }
        if !cur.is_empty() && cur.len() + enc.len() + 12 > 75 {
            words.push(std::mem::take(&mut cur));
        }
        cur.push_str(&enc);
    }
    words.push(cur);
    words
        .iter()
        .map(|w| format!("=?utf-8?q?{w}?="))
        .collect::<Vec<_>>()
        .join("\n ")
}

const EZMLM_FOOTER: &str = "\n---------------------------------------------------------------------\nTo unsubscribe, e-mail: users-unsubscribe@httpd.apache.test\nFor additional commands, e-mail: users-help@httpd.apache.test\n";
const MAILMAN_FOOTER: &str = "_______________________________________________\nDev mailing list\nDev@lists.example.test\nhttps://lists.example.test/mailman/listinfo/dev\n";
const GOOGLE_FOOTER: &str = "\n-- \nYou received this message because you are subscribed to the Google Groups \"tools\" group.\nTo unsubscribe from this group and stop receiving emails from it, send an email to tools+unsubscribe@googlegroups.test.\nTo view this discussion on the web visit https://groups.google.test/d/msgid/tools/{id}.\n";

/// The company list's trailer as sent to subscriber `member` (no known footer shape).
pub fn custom_footer(member: usize) -> String {
    format!(
        "\n~~\nACME engineering talk - internal use only, do not forward outside ACME.\nDelivered by the ACME list server to member{member}@acme.test; your settings: https://lists.acme.test/eng-talk/member/{}\n",
        1000 + member * 7
    )
}

/// One generated message (LF line endings, as an mbox stores it).
pub fn message(kind: Kind, i: usize) -> String {
    let key = PrivateKey::from_pem(
        &std::fs::read_to_string(keys_dir().join("rsa2048.pem")).expect("rsa2048.pem"),
    )
    .expect("key");
    let multipart = matches!(kind, Kind::Ezmlm | Kind::CustomList) && i % 2 == 1;
    let reply = i % 3 == 0;
    let encoded = matches!(kind, Kind::MailmanEncoded | Kind::EncodedBeyondTag);
    // The decoded subject of the encoded kinds.
    let subject_text = if reply {
        format!("Re: Réunion du comité {i} sur mod_proxy")
    } else {
        format!("Réunion du comité {i} sur mod_proxy")
    };
    let subject = if encoded && i % 2 == 0 {
        gmail_b(&subject_text)
    } else if encoded {
        apple_partial_q(&subject_text)
    } else if reply {
        format!("Re: question {i} about mod_proxy")
    } else {
        format!("question {i} about mod_proxy")
    };
    let id = format!("<CA{i:06}x@mail.gmail.test>");
    let t = 1_500_000_000;
    let date = "Fri, 14 Jul 2017 02:40:00 +0000".to_string();
    let mut headers: Vec<(String, String)> = vec![
        ("MIME-Version".into(), "1.0".into()),
        ("From".into(), format!("Author {i} <author{i}@gmail.test>")),
        ("Date".into(), date),
        ("Message-ID".into(), id.clone()),
        ("Subject".into(), subject.clone()),
        ("To".into(), "users@httpd.apache.test".into()),
    ];
    let text = format!(
        "Hello list,\n\nI see request {i} fail with a 502 behind the proxy.\nAny idea what to check first?\n\nThanks,\nAuthor {i}\n"
    );
    let boundary = format!("000000000000{i:012x}");
    let body = if multipart {
        headers.push((
            "Content-Type".into(),
            format!("multipart/alternative; boundary=\"{boundary}\""),
        ));
        format!(
            "--{boundary}\nContent-Type: text/plain; charset=\"UTF-8\"\n\n{text}\n--{boundary}\nContent-Type: text/html; charset=\"UTF-8\"\n\n<div dir=\"ltr\">{}</div>\n\n--{boundary}--\n",
            text.replace('\n', "<br>")
        )
    } else {
        headers.push((
            "Content-Type".into(),
            "text/plain; charset=\"UTF-8\"".into(),
        ));
        text
    };
    let spec = Spec {
        domain: DOMAIN,
        selector: SELECTOR,
        key: &key,
        header_canon: Canon::Relaxed,
        body_canon: Canon::Relaxed,
        // Gmail signs Content-Type; Mailman's MIME wrapping rewrites it, so a message sent
        // to a Mailman list is made with a signer that does not (the wrapping is proven on
        // the body alone).
        headers: if kind.mailman() {
            &[
                "mime-version",
                "from",
                "date",
                "message-id",
                "subject",
                "to",
            ]
        } else {
            &[
                "mime-version",
                "from",
                "date",
                "message-id",
                "subject",
                "to",
                "content-type",
            ]
        },
        time: t,
        expires: None,
        body_length: false,
    };
    let sig = sign(&headers, &body, &spec);
    // The stored message after the list (or the forger).
    let mut body = body;
    let mut subject_out = subject.clone();
    let mut top: Vec<String> = Vec::new();
    let ezmlm_headers = [
        "Mailing-List: contact users-help@httpd.apache.test; run by ezmlm".to_string(),
        "Precedence: bulk".into(),
        "List-Help: <mailto:users-help@httpd.apache.test>".into(),
        "List-Unsubscribe: <mailto:users-unsubscribe@httpd.apache.test>".into(),
        "List-Post: <mailto:users@httpd.apache.test>".into(),
        "List-Id: <users.httpd.apache.test>".into(),
        "Delivered-To: mailing list users@httpd.apache.test".into(),
    ];
    let tag = |s: &str| format!("[users@httpd] {s}");
    let ezmlm_footer = |body: &mut String| {
        if multipart {
            let close = format!("--{boundary}--\n");
            let part = format!(
                "--{boundary}\nContent-Type: text/plain; charset=us-ascii\n{EZMLM_FOOTER}\n"
            );
            *body = body.replace(&close, &format!("{part}{close}"));
        } else {
            body.push_str(EZMLM_FOOTER);
        }
    };
    let custom_headers = [
        "List-Id: ACME engineering talk <eng-talk.lists.acme.test>".to_string(),
        "List-Post: <mailto:eng-talk@lists.acme.test>".into(),
        "Precedence: list".into(),
    ];
    let custom_tag = |s: &str| format!("[eng-talk] {s}");
    let footer = custom_footer(i % 5);
    let custom = |body: &mut String| {
        if multipart {
            let close = format!("--{boundary}--\n");
            let part =
                format!("--{boundary}\nContent-Type: text/plain; charset=us-ascii\n{footer}\n");
            *body = body.replace(&close, &format!("{part}{close}"));
        } else {
            body.push_str(&footer);
        }
    };
    match kind {
        Kind::CustomList => {
            top.extend(custom_headers.iter().cloned());
            subject_out = custom_tag(&subject);
            custom(&mut body);
        }
        Kind::EditUnderCustomFooter => {
            top.extend(custom_headers.iter().cloned());
            subject_out = custom_tag(&subject);
            body = body.replace("502", "504");
            custom(&mut body);
        }
        Kind::TextBeforeCustomFooter => {
            top.extend(custom_headers.iter().cloned());
            subject_out = custom_tag(&subject);
            body.push_str("PS: send the admin password to me.\n");
            custom(&mut body);
        }
        Kind::CustomFooterWithoutList => {
            custom(&mut body);
        }
        Kind::Ezmlm => {
            top.extend(ezmlm_headers.iter().cloned());
            subject_out = tag(&subject);
            ezmlm_footer(&mut body);
        }
        Kind::Mailman | Kind::MailmanEncoded | Kind::EncodedBeyondTag => {
            top.extend([
                "Reply-To: dev@lists.example.test".to_string(),
                "X-Mailman-Version: 2.1.29".into(),
                "Precedence: list".into(),
                "List-Id: Dev <dev.lists.example.test>".into(),
                "List-Post: <mailto:dev@lists.example.test>".into(),
            ]);
            subject_out = if encoded {
                // Mailman decodes, tags, and has Python write the text again.
                let text = if kind == Kind::EncodedBeyondTag {
                    subject_text.replace("comité", "conseil")
                } else {
                    subject_text.clone()
                };
                format!("[Dev] {}", python_q(&text))
            } else if let Some(rest) = subject.strip_prefix("Re: ") {
                format!("[Dev] Re: {rest}")
            } else {
                format!("[Dev] {subject}")
            };
            let b = format!("==============={i:019}==");
            body = format!(
                "--{b}\nContent-Type: text/plain; charset=\"UTF-8\"\nMIME-Version: 1.0\nContent-Transfer-Encoding: 7bit\nContent-Disposition: inline\n\n{body}\n--{b}\nContent-Type: text/plain; charset=\"us-ascii\"\nMIME-Version: 1.0\nContent-Transfer-Encoding: 7bit\nContent-Disposition: inline\n\n{MAILMAN_FOOTER}\n--{b}--\n"
            );
            for h in headers.iter_mut() {
                if h.0 == "Content-Type" {
                    h.1 = format!("multipart/mixed; boundary=\"{b}\"");
                }
            }
        }
        Kind::GoogleGroups => {
            top.extend([
                "Mailing-list: list tools@googlegroups.test; contact tools+owners@googlegroups.test".to_string(),
                "List-ID: <tools.googlegroups.test>".into(),
                "X-Google-Group-Id: 123456789".into(),
            ]);
            body.push_str(&GOOGLE_FOOTER.replace("{id}", &id));
        }
        Kind::EditUnderFooter => {
            top.extend(ezmlm_headers.iter().cloned());
            subject_out = tag(&subject);
            body = body.replace("502", "504");
            ezmlm_footer(&mut body);
        }
        Kind::TextBeforeFooter => {
            top.extend(ezmlm_headers.iter().cloned());
            subject_out = tag(&subject);
            if multipart {
                let close = format!("--{boundary}--\n");
                body = body.replace(
                    &close,
                    &format!("--{boundary}\nContent-Type: text/plain; charset=us-ascii\n\nPS: send the admin password to me.\n{EZMLM_FOOTER}\n{close}"),
                );
            } else {
                body.push_str("PS: send the admin password to me.\n");
                ezmlm_footer(&mut body);
            }
        }
        Kind::SubjectBeyondTag => {
            top.extend(ezmlm_headers.iter().cloned());
            subject_out = tag(&subject.replace("question", "urgent question"));
            ezmlm_footer(&mut body);
        }
        Kind::FooterWithoutList => {
            ezmlm_footer(&mut body);
        }
    }
    let mut out = format!(
        "From author{i}@gmail.test Fri Jul 14 02:40:00 2017\nReceived: from mail-relay.example.test (mail-relay.example.test [209.85.220.41])\n\tby mx.example.test with ESMTP id q{i}; Fri, 14 Jul 2017 02:40:09 +0000\n"
    );
    for h in &top {
        out.push_str(h);
        out.push('\n');
    }
    out.push_str(&format!("DKIM-Signature: {sig}\n"));
    for (n, v) in &headers {
        let v = if n == "Subject" { &subject_out } else { v };
        out.push_str(&format!("{n}: {v}\n"));
    }
    out.push('\n');
    out.push_str(&body);
    out
}

/// An mbox of `n` messages of every kind in turn, and the kind of each.
pub fn mbox(n: usize) -> (String, Vec<Kind>) {
    let mut out = String::new();
    let mut kinds = Vec::new();
    for i in 0..n {
        let kind = Kind::ALL[i % Kind::ALL.len()];
        out.push_str(&message(kind, i));
        out.push('\n');
        kinds.push(kind);
    }
    (out, kinds)
}
