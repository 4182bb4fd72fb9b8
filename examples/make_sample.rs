//! Rebuild the bundled sample dump `examples/data/sample.mbox` and its ground truth
//! `examples/data/MANIFEST.md`.
//!
//! ```text
//! cargo run --example make_sample                  # writes examples/data/sample.mbox and MANIFEST.md
//! cargo run --example make_sample -- OUT [MANIFEST] # writes OUT (and MANIFEST)
//! ```
//!
//! The dump is a small synthetic "leak" of a fictional campaign (`campaign.example`) and the
//! people it writes with, written deterministically (the same bytes on every run): authentic
//! DKIM-signed mail under the test keys of `examples/data/keys/` (RSA-2048 relaxed and
//! simple, Ed25519, `l=`, RSA-1024, RSA-512, a `t=y` key, a rotated key, a key whose private
//! half is published, an `x=` that has passed since), copies altered in one way each, forged
//! routing, a reused Message-ID, back-dated replies, Word attachments whose metadata
//! contradicts the mail (the MacronLeaks pattern), unsigned internal mail and the mbox quirks
//! (mboxrd quoting, an unquoted `From ` body line, a Content-Length message, a CRLF message, a
//! Thunderbird separator without blank line, no final newline).
//!
//! Signatures are made by the development kit's signer (`mailsleuth_testkit::signer`) with
//! fixed `t=` and `x=`. Before writing, every authentic message is verified with mail-auth
//! against the public records derived from the private keys (offline), each record is checked
//! to be in `examples/data/keys.keymap`, and the generator aborts if anything disagrees.

use std::path::{Path, PathBuf};

use mailsleuth_testkit::signer::{self, Canon, PrivateKey, Spec};
use mailsleuth_testkit::{docx, sample};
use sha2::{Digest, Sha256};

// ---------------------------------------------------------------------------------------
// Time

/// Unix seconds of a UTC civil time.
fn utc(y: i64, mo: i64, d: i64, h: i64, mi: i64, s: i64) -> i64 {
    // Days from civil (H. Hinnant).
    let y2 = if mo <= 2 { y - 1 } else { y };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let mp = (mo + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    days * 86_400 + h * 3600 + mi * 60 + s
}

/// Civil fields of Unix seconds shifted by `offset` minutes: (y, mo, d, h, mi, s, weekday).
fn civil(t: i64, offset: i64) -> (i64, i64, i64, i64, i64, i64, usize) {
    let t = t + offset * 60;
    let days = t.div_euclid(86_400);
    let secs = t.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let mo = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(mo <= 2);
    let weekday = (days + 4).rem_euclid(7) as usize; // 1970-01-01 was a Thursday
    (y, mo, d, secs / 3600, secs / 60 % 60, secs % 60, weekday)
}

const DAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// RFC 5322 date as most mailers write it: `Mon, 1 May 2017 09:12:03 +0200`.
fn date(t: i64, offset: i64) -> String {
    let (y, mo, d, h, mi, s, wd) = civil(t, offset);
    let sign = if offset < 0 { '-' } else { '+' };
    format!(
        "{}, {d} {} {y} {h:02}:{mi:02}:{s:02} {sign}{:02}{:02}",
        DAYS[wd],
        MONTHS[mo as usize - 1],
        offset.abs() / 60,
        offset.abs() % 60
    )
}

/// Google's Received dates in Pacific time: `Mon, 01 May 2017 00:12:05 -0700 (PDT)`
/// (2017: daylight time from 12 March 10:00 UTC).
fn google_date(t: i64) -> String {
    let (off, zone) = if t >= utc(2017, 3, 12, 10, 0, 0) {
        (-420, "-0700 (PDT)")
    } else {
        (-480, "-0800 (PST)")
    };
    let (y, mo, d, h, mi, s, wd) = civil(t, off);
    format!(
        "{}, {d:02} {} {y} {h:02}:{mi:02}:{s:02} {zone}",
        DAYS[wd],
        MONTHS[mo as usize - 1]
    )
}

/// The Paris offset in minutes (2017: summer time from 26 March 01:00 UTC).
fn paris(t: i64) -> i64 {
    if t >= utc(2017, 3, 26, 1, 0, 0) {
        120
    } else {
        60
    }
}

/// Postfix Received dates in Paris: `Tue,  2 May 2017 11:05:41 +0200 (CEST)`.
fn postfix_date(t: i64) -> String {
    let off = paris(t);
    let (y, mo, d, h, mi, s, wd) = civil(t, off);
    format!(
        "{}, {d:>2} {} {y} {h:02}:{mi:02}:{s:02} +0{}00 ({})",
        DAYS[wd],
        MONTHS[mo as usize - 1],
        off / 60,
        if off == 120 { "CEST" } else { "CET" }
    )
}

/// mbox separator time (asctime, UTC): `Mon May  1 07:12:05 2017`.
fn asctime(t: i64) -> String {
    let (y, mo, d, h, mi, s, wd) = civil(t, 0);
    format!(
        "{} {} {d:>2} {h:02}:{mi:02}:{s:02} {y}",
        DAYS[wd],
        MONTHS[mo as usize - 1]
    )
}

/// W3CDTF UTC, as in `docProps/core.xml`.
fn w3c(t: i64) -> String {
    let (y, mo, d, h, mi, s, _) = civil(t, 0);
    format!("{y}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
}

// ---------------------------------------------------------------------------------------
// Deterministic "random" identifiers

fn hash_of(seed: &str) -> [u8; 32] {
    Sha256::digest(seed.as_bytes()).into()
}

fn hex(seed: &str, n: usize) -> String {
    hash_of(seed)
        .iter()
        .flat_map(|b| [b >> 4, b & 15])
        .take(n)
        .map(|v| char::from_digit(u32::from(v), 16).unwrap_or('0'))
        .collect()
}

fn upper_hex(seed: &str, n: usize) -> String {
    hex(seed, n).to_ascii_uppercase()
}

/// Gmail Message-ID: `<CA` + base64-like text + `@mail.gmail.com>`.
fn gmail_id(seed: &str) -> String {
    let mut b = hash_of(seed).to_vec();
    b.extend(hash_of(&format!("{seed}/2")));
    let text: String = signer::base64_encode(&b)
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '='))
        .take(44)
        .collect();
    format!("<CA{text}@mail.gmail.com>")
}

/// Gmail MIME boundary: `000000000000` + 6 hex + the send time in microseconds >> 16.
fn gmail_boundary(seed: &str, t: i64) -> String {
    let micros = t as u64 * 1_000_000 + 345_678;
    format!("000000000000{}{:010x}", hex(seed, 6), micros >> 16)
}

/// Thunderbird Message-ID: `<lower-case uuid@domain>`.
fn uuid(seed: &str) -> String {
    let h = hex(seed, 32);
    format!(
        "{}-{}-4{}-a{}-{}",
        &h[..8],
        &h[8..12],
        &h[13..16],
        &h[17..20],
        &h[20..32]
    )
}

/// Outlook Message-ID local part: `000001d2c34a$5b1e2c40$1159c4c0$`.
fn outlook_id(seed: &str, domain: &str) -> String {
    let h = hex(seed, 24);
    format!(
        "<000001d2{}${}${}$@{domain}>",
        &h[..4],
        &h[4..12],
        &h[12..20]
    )
}

fn outlook_boundary(seed: &str) -> String {
    format!(
        "----=_NextPart_000_00{}_01D2C{}.{}",
        upper_hex(seed, 2),
        upper_hex(&format!("{seed}/b"), 3),
        upper_hex(&format!("{seed}/c"), 8)
    )
}

/// A Google SMTP id such as `l67csp1412353wmd`.
fn smtp_id(seed: &str) -> String {
    let h = hash_of(seed);
    format!(
        "{}{}csp{}wm{}",
        char::from(b'a' + h[0] % 26),
        10 + h[1] % 90,
        1_000_000 + u32::from_be_bytes([0, h[2], h[3], h[4]]) % 9_000_000,
        char::from(b'a' + h[5] % 26)
    )
}

fn private_ip(seed: &str) -> String {
    let h = hash_of(seed);
    format!("10.{}.{}.{}", 2 + h[0] % 200, h[1], 1 + h[2] % 250)
}

// ---------------------------------------------------------------------------------------
// Keys

struct Key {
    name: String,
    key: PrivateKey,
    record: String,
}

fn load_key(dir: &Path, file: &str, name: &str, flags: &str) -> Key {
    let path = dir.join(file);
    let pem =
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    let key = PrivateKey::from_pem(&pem).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let record = key.public_record(flags);
    Key {
        name: name.to_string(),
        key,
        record,
    }
}

struct Keys {
    campaign_2016: Key,
    campaign_2017: Key,
    mail_2016: Key,
    mail_2012: Key,
    partner_rsa: Key,
    partner_ed: Key,
    news: Key,
    localparty: Key,
    volunteers: Key,
}

// ---------------------------------------------------------------------------------------
// Messages

type Fields = Vec<(String, String)>;

fn fields(list: &[(&str, &str)]) -> Fields {
    list.iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect()
}

fn render(h: &Fields, body: &str) -> String {
    let mut s = String::new();
    for (n, v) in h {
        s.push_str(n);
        s.push_str(": ");
        s.push_str(v);
        s.push('\n');
    }
    s.push('\n');
    s.push_str(body);
    s
}

/// Present header names for `h=`, in a signer's usual order.
fn signed_names(h: &Fields) -> Vec<&'static str> {
    const ORDER: [&str; 12] = [
        "mime-version",
        "in-reply-to",
        "references",
        "from",
        "date",
        "message-id",
        "subject",
        "to",
        "cc",
        "reply-to",
        "content-type",
        "content-transfer-encoding",
    ];
    ORDER
        .into_iter()
        .filter(|n| h.iter().any(|(m, _)| m.eq_ignore_ascii_case(n)))
        .collect()
}

/// Signature options of one message.
struct Sign<'k> {
    key: &'k Key,
    domain: &'static str,
    selector: &'static str,
    canon: (Canon, Canon),
    time: i64,
    expires: Option<i64>,
    body_length: bool,
}

fn sign<'k>(key: &'k Key, domain: &'static str, selector: &'static str, time: i64) -> Sign<'k> {
    Sign {
        key,
        domain,
        selector,
        canon: (Canon::Relaxed, Canon::Relaxed),
        time,
        expires: None,
        body_length: false,
    }
}

/// Prepend one DKIM-Signature per `Sign` (the first in the list ends up on top).
fn add_signatures(h: &mut Fields, body: &str, sigs: &[Sign<'_>]) {
    for s in sigs.iter().rev() {
        let names = signed_names(h);
        let value = signer::sign(
            h,
            body,
            &Spec {
                domain: s.domain,
                selector: s.selector,
                key: &s.key.key,
                header_canon: s.canon.0,
                body_canon: s.canon.1,
                headers: &names,
                time: s.time,
                expires: s.expires,
                body_length: s.body_length,
            },
        );
        h.insert(0, ("DKIM-Signature".to_string(), value));
    }
}

/// How the generator checks a message with mail-auth before writing it.
enum Check {
    /// Every signature must pass under these (name, record) pairs.
    Pass(Vec<(String, String)>),
    /// At least one signature must fail under these records.
    Fail(Vec<(String, String)>),
    /// Not checked (unsigned, or judged against the wall clock by mail-auth).
    None,
}

fn records(keys: &[&Key]) -> Vec<(String, String)> {
    keys.iter()
        .map(|k| (k.name.clone(), k.record.clone()))
        .collect()
}

/// What the manifest says about a message.
struct Expect {
    what: String,
    dkim: &'static str,
    findings: &'static str,
    verdict: &'static str,
}

struct Item {
    envelope: String,
    /// The message as the sender's software wrote it (LF line endings, not yet quoted).
    text: String,
    check: Check,
    expect: Expect,
}

fn expect(what: &str, dkim: &'static str, findings: &'static str, verdict: &'static str) -> Expect {
    Expect {
        what: what.to_string(),
        dkim,
        findings,
        verdict,
    }
}

fn envelope(addr: &str, t: i64) -> String {
    format!("From {addr} {}", asctime(t))
}

/// People.
const CLAIRE: &str = "Claire Martin <claire.martin@campaign.example>";
const LEA: &str = "=?UTF-8?Q?L=C3=A9a_Dubois?= <lea.dubois@campaign.example>";
const PAUL: &str = "Paul Petit <paul.petit@campaign.example>";
const TEAM: &str = "Team <team@campaign.example>";
const SOPHIE: &str = "Sophie Laurent <sophie.laurent@partner.example>";
const JULIEN: &str = "Julien Moreau <julien.moreau@mail.example>";

/// A G Suite (Gmail web) message of campaign.example: Gmail Message-ID and boundary,
/// multipart/alternative, submission hop below the signature.
struct Gmail<'a> {
    seed: &'a str,
    from: &'a str,
    to: &'a str,
    time: i64,
    subject: &'a str,
    in_reply_to: Option<&'a str>,
    text: &'a str,
    attachments: &'a [(String, Vec<u8>)],
}

fn gmail_message(g: &Gmail<'_>) -> (Fields, String) {
    let boundary = gmail_boundary(g.seed, g.time);
    let mut h = fields(&[
        (
            "Received",
            &format!(
                "by {} with HTTP; {}",
                private_ip(g.seed),
                google_date(g.time)
            ),
        ),
        ("MIME-Version", "1.0"),
    ]);
    if let Some(parent) = g.in_reply_to {
        h.push(("In-Reply-To".into(), parent.into()));
        h.push(("References".into(), parent.into()));
    }
    h.extend(fields(&[
        ("From", g.from),
        ("Date", &date(g.time, paris(g.time))),
        ("Message-ID", &gmail_id(g.seed)),
        ("Subject", g.subject),
        ("To", g.to),
    ]));
    let html: String = g
        .text
        .trim_end()
        .split("\n\n")
        .map(|p| format!("<div>{}</div>", p.replace('\n', "<br>")))
        .collect::<Vec<_>>()
        .join("<div><br></div>");
    let alternative = format!(
        "Content-Type: text/plain; charset=\"UTF-8\"\nContent-Transfer-Encoding: quoted-printable\n\n{}\n",
        qp(g.text)
    );
    let html_part = format!(
        "Content-Type: text/html; charset=\"UTF-8\"\nContent-Transfer-Encoding: quoted-printable\n\n{}\n",
        qp(&format!("<div dir=\"ltr\">{html}</div>"))
    );
    let body = if g.attachments.is_empty() {
        h.push((
            "Content-Type".into(),
            format!("multipart/alternative; boundary=\"{boundary}\""),
        ));
        format!("--{boundary}\n{alternative}--{boundary}\n{html_part}--{boundary}--\n")
    } else {
        let inner = gmail_boundary(&format!("{}/alt", g.seed), g.time);
        h.push((
            "Content-Type".into(),
            format!("multipart/mixed; boundary=\"{boundary}\""),
        ));
        let mut b = format!(
            "--{boundary}\nContent-Type: multipart/alternative; boundary=\"{inner}\"\n\n--{inner}\n{alternative}--{inner}\n{html_part}--{inner}--\n"
        );
        for (i, (name, data)) in g.attachments.iter().enumerate() {
            b.push_str(&attachment_part(
                &boundary,
                name,
                data,
                &format!("f_j2{}{i}", hex(g.seed, 6)),
            ));
        }
        b.push_str(&format!("--{boundary}--\n"));
        b
    };
    (h, body)
}

fn attachment_part(boundary: &str, name: &str, data: &[u8], id: &str) -> String {
    let mut s = format!(
        "--{boundary}\nContent-Type: application/vnd.openxmlformats-officedocument.wordprocessingml.document; \n\tname=\"{name}\"\nContent-Disposition: attachment; \n\tfilename=\"{name}\"\nContent-Transfer-Encoding: base64\nX-Attachment-Id: {id}\n\n"
    );
    let b64 = signer::base64_encode(data);
    for chunk in b64.as_bytes().chunks(76) {
        s.push_str(std::str::from_utf8(chunk).unwrap_or_default());
        s.push('\n');
    }
    s
}

/// Quoted-printable for UTF-8 text with short lines (no soft breaks needed in the sample).
fn qp(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        match c {
            '=' => out.push_str("=3D"),
            c if c.is_ascii() => out.push(c),
            c => {
                let mut buf = [0; 4];
                for b in c.encode_utf8(&mut buf).bytes() {
                    out.push_str(&format!("={b:02X}"));
                }
            }
        }
    }
    out
}

/// Google's receipt of a message sent by G Suite to another G Suite user.
fn google_internal_hop(seed: &str, t: i64) -> String {
    format!(
        "by {} with SMTP id {};\n        {}",
        private_ip(&format!("{seed}/rx")),
        smtp_id(seed),
        google_date(t)
    )
}

/// Receipt of G Suite mail by another domain's Postfix.
fn postfix_from_google(seed: &str, mx: &str, rcpt: &str, t: i64) -> String {
    let h = hash_of(seed);
    let n = 128 + h[0] % 64;
    format!(
        "from mail-wr0-f{n}.google.com (mail-wr0-f{n}.google.com [209.85.128.{n}])\n\tby {mx} (Postfix) with ESMTPS id 3w{}\n\tfor <{rcpt}>; {}",
        &upper_hex(seed, 9),
        postfix_date(t)
    )
}

fn docx_part(name: &str, m: &docx::DocMeta<'_>) -> (String, Vec<u8>) {
    (name.to_string(), docx::docx(m))
}

fn build(keys: &Keys) -> Vec<Item> {
    let mut items = Vec::new();

    // 0. Authentic G Suite message, RSA-2048 relaxed/relaxed, current key of a rotated
    // selector; a body line starting with "From " (mboxrd-quoted in the file).
    let t0 = utc(2017, 5, 1, 7, 12, 3);
    let (mut h, body) = gmail_message(&Gmail {
        seed: "agenda",
        from: CLAIRE,
        to: TEAM,
        time: t0,
        subject: "Agenda for Thursday",
        in_reply_to: None,
        text: "Hello all,\n\nThe agenda for Thursday is below.\n\nFrom the press office: no statements before noon.\n\nClaire\n",
        attachments: &[],
    });
    add_signatures(
        &mut h,
        &body,
        &[sign(
            &keys.campaign_2017,
            "campaign.example",
            "google",
            t0 + 1,
        )],
    );
    h.insert(
        0,
        ("Received".into(), google_internal_hop("agenda", t0 + 2)),
    );
    let agenda_id = gmail_id("agenda");
    items.push(Item {
        envelope: envelope("claire.martin@campaign.example", t0 + 2),
        text: render(&h, &body),
        check: Check::Pass(records(&[&keys.campaign_2017])),
        expect: expect(
            "authentic: G Suite (Gmail web), rsa-sha256 relaxed/relaxed, RSA-2048, the newer of two keys under selector `google`; a body line `From the press office` stored mboxrd-quoted. The same Message-ID is reused by message 16",
            "pass (1 signature; verified after undoing the mboxrd quoting)",
            "`duplicate-message-id` (medium: the other copy, 16, does not verify)",
            "verified",
        ),
    });

    // 1. Authentic reply, RFC 2047 From and Subject, a quoted ">From" line.
    let t1 = utc(2017, 5, 1, 8, 40, 0);
    let (mut h, body) = gmail_message(&Gmail {
        seed: "reunion",
        from: LEA,
        to: CLAIRE,
        time: t1,
        subject: "=?UTF-8?Q?Re=3A_Agenda_for_Thursday_=E2=80=93_r=C3=A9union?=",
        in_reply_to: Some(&agenda_id),
        text: "Bien reçu.\n\n>From your message: no statements before noon.\n\nLéa\n",
        attachments: &[],
    });
    add_signatures(
        &mut h,
        &body,
        &[sign(
            &keys.campaign_2017,
            "campaign.example",
            "google",
            t1 + 1,
        )],
    );
    h.insert(
        0,
        ("Received".into(), google_internal_hop("reunion", t1 + 2)),
    );
    items.push(Item {
        envelope: envelope("lea.dubois@campaign.example", t1 + 2),
        text: render(&h, &body),
        check: Check::Pass(records(&[&keys.campaign_2017])),
        expect: expect(
            "authentic: G Suite reply to 0 (In-Reply-To), RFC 2047 encoded From and Subject, a body line `>From your message` stored as `>>From` (mboxrd)",
            "pass (after undoing the mboxrd quoting)",
            "none above info",
            "verified",
        ),
    });

    // 2. Authentic, signed with the OLD key of the rotated selector (before 2017-03-15).
    let t2 = utc(2017, 3, 8, 15, 20, 11);
    let (mut h, body) = gmail_message(&Gmail {
        seed: "devis",
        from: CLAIRE,
        to: SOPHIE,
        time: t2,
        subject: "Devis impression affiches",
        in_reply_to: None,
        text: "Bonjour Sophie,\n\nPouvez-vous nous envoyer le devis pour 5 000 affiches A2 ?\n\nMerci,\nClaire\n",
        attachments: &[],
    });
    let mut s = sign(&keys.campaign_2016, "campaign.example", "google", t2 + 1);
    s.canon = (Canon::Relaxed, Canon::Relaxed);
    add_signatures(&mut h, &body, &[s]);
    h.insert(
        0,
        (
            "Received".into(),
            postfix_from_google(
                "devis",
                "mx.partner.example",
                "sophie.laurent@partner.example",
                t2 + 3,
            ),
        ),
    );
    let devis_id = gmail_id("devis");
    items.push(Item {
        envelope: envelope("claire.martin@campaign.example", t2 + 3),
        text: render(&h, &body),
        check: Check::Pass(records(&[&keys.campaign_2016])),
        expect: expect(
            "authentic: G Suite mail of 8 March 2017, signed with the OLD key of selector `google` (rotated on 15 March): the verifier must try both records under the name",
            "pass (with the first `google._domainkey.campaign.example` record of the keymap)",
            "none above info",
            "verified",
        ),
    });

    // 3. Authentic Thunderbird mail from partner.example, dual-signed: RSA-2048 simple/simple
    // and Ed25519 (RFC 8463).
    let t3 = utc(2017, 5, 2, 9, 5, 40);
    let sophie_id = format!("<{}@partner.example>", uuid("partner-devis"));
    let mut h = fields(&[
        (
            "Received",
            &format!(
                "from [192.168.1.34] (88-170-12-34.isp.partner.example [88.170.12.34])\n\tby smtp.partner.example (Postfix) with ESMTPSA id 4F2A1C0A12\n\tfor <claire.martin@campaign.example>; {}",
                postfix_date(t3 + 1)
            ),
        ),
        ("Subject", "Re: Devis impression affiches"),
        ("To", CLAIRE),
        ("References", &devis_id),
        ("From", SOPHIE),
        ("Message-ID", &sophie_id),
        ("Date", &date(t3, 120)),
        (
            "User-Agent",
            "Mozilla/5.0 (Windows NT 10.0; WOW64; rv:52.0) Gecko/20100101\n Thunderbird/52.1.0",
        ),
        ("MIME-Version", "1.0"),
        ("In-Reply-To", &devis_id),
        ("Content-Type", "text/plain; charset=utf-8; format=flowed"),
        ("Content-Language", "fr"),
        ("Content-Transfer-Encoding", "8bit"),
    ]);
    let body = "Bonjour Claire,\n\nVoici notre devis : 5 000 affiches A2, 2 340 EUR HT, livraison\nle 4 mai.\n\nCordialement,\n-- \nSophie Laurent\nPartner Impressions\n";
    let mut rsa = sign(&keys.partner_rsa, "partner.example", "rsa2017", t3 + 1);
    rsa.canon = (Canon::Simple, Canon::Simple);
    let ed = sign(&keys.partner_ed, "partner.example", "ed2017", t3 + 1);
    add_signatures(&mut h, body, &[ed, rsa]);
    h.insert(
        0,
        (
            "Received".into(),
            format!(
                "from smtp.partner.example (smtp.partner.example. [185.31.40.20])\n        by mx.google.com with ESMTPS id {}.{}.2017.05.02.02.05.42\n        for <claire.martin@campaign.example>;\n        {}",
                smtp_id("partner-rx"),
                20 + hash_of("partner-rx")[9] % 70,
                google_date(t3 + 2)
            ),
        ),
    );
    items.push(Item {
        envelope: envelope("sophie.laurent@partner.example", t3 + 2),
        text: render(&h, body),
        check: Check::Pass(records(&[&keys.partner_ed, &keys.partner_rsa])),
        expect: expect(
            "authentic: Thunderbird 52 (lower-case UUID Message-ID), two signatures: ed25519-sha256 relaxed/relaxed (RFC 8463) and rsa-sha256 simple/simple, RSA-2048; reply to 2",
            "pass, pass (simple/simple verifies only on the CRLF form: repair `crlf` expected)",
            "none above info",
            "verified",
        ),
    });

    // 4. Authentic Outlook mail sent through G Suite, with a Word attachment whose metadata
    // agrees with the mail.
    let t4 = utc(2017, 5, 2, 16, 5, 47);
    let budget = docx::docx(&docx::DocMeta {
        title: "Budget des réunions de mai",
        creator: "Paul Petit",
        last_modified_by: "Paul Petit",
        created: &w3c(t4 - 3 * 86_400),
        modified: &w3c(t4 - 7 * 60),
        application: "Microsoft Office Word",
        app_version: "16.0000",
        company: "Campaign",
        language: "fr-FR",
        text: "Budget des réunions de mai : salles 4 200 EUR, sonorisation 1 800 EUR.",
    });
    let boundary = outlook_boundary("budget");
    let paul_budget_id = outlook_id("budget", "campaign.example");
    let mut h = fields(&[
        (
            "Received",
            &format!(
                "from PAULPC ({} [88.170.40.12])\n        by smtp.gmail.com with ESMTPSA id {}\n        for <claire.martin@campaign.example>\n        (version=TLS1_2 cipher=ECDHE-RSA-AES128-GCM-SHA256 bits=128/128);\n        {}",
                "static-88-170-40-12.isp.partner.example",
                smtp_id("budget"),
                google_date(t4 + 1)
            ),
        ),
        ("From", PAUL),
        ("To", CLAIRE),
        ("Subject", "Budget des réunions"),
        ("Date", &date(t4, 120)),
        ("Message-ID", &paul_budget_id),
        ("MIME-Version", "1.0"),
        (
            "Content-Type",
            &format!("multipart/mixed;\n\tboundary=\"{boundary}\""),
        ),
        ("X-Mailer", "Microsoft Outlook 16.0"),
        ("Content-Language", "fr"),
    ]);
    let mut body = format!(
        "This is a multipart message in MIME format.\n\n--{boundary}\nContent-Type: text/plain;\n\tcharset=\"utf-8\"\nContent-Transfer-Encoding: quoted-printable\n\n{}\n",
        qp("Claire,\n\nLe budget des réunions, comme convenu.\n\nPaul\n")
    );
    body.push_str(
        &attachment_part(&boundary, "Budget_reunions_mai.docx", &budget, "budget")
            .replace("X-Attachment-Id: budget\n", ""),
    );
    body.push_str(&format!("--{boundary}--\n\n"));
    // Strip the trailing blank line Outlook adds; mboxrd adds its own separator line.
    let body = body.trim_end_matches('\n').to_string() + "\n";
    add_signatures(
        &mut h,
        &body,
        &[sign(
            &keys.campaign_2017,
            "campaign.example",
            "google",
            t4 + 2,
        )],
    );
    h.insert(
        0,
        ("Received".into(), google_internal_hop("budget", t4 + 3)),
    );
    items.push(Item {
        envelope: envelope("paul.petit@campaign.example", t4 + 3),
        text: render(&h, &body),
        check: Check::Pass(records(&[&keys.campaign_2017])),
        expect: expect(
            "authentic: Outlook 16 through G Suite (Outlook `$` Message-ID, `----=_NextPart_` boundary), with a .docx whose metadata agrees (creator and editor Paul Petit, modified 7 minutes before Date, Word)",
            "pass",
            "none above info (the attachment's metadata is consistent)",
            "verified",
        ),
    });

    // 5. Authentic newsletter with l= (the whole body), RSA-1024.
    let t5 = utc(2017, 5, 3, 5, 0, 0);
    let (h5, body5, t5s) = newsletter(
        t5,
        "lettre-0503",
        "La Lettre du 3 mai",
        "Meeting in Lyon tonight at 19:00, Halle Tony Garnier.\n",
    );
    let mut h = h5.clone();
    let mut s = sign(&keys.news, "news.example", "mc1", t5s);
    s.body_length = true;
    s.canon = (Canon::Relaxed, Canon::Simple);
    add_signatures(&mut h, &body5, &[s]);
    h.insert(
        0,
        (
            "Received".into(),
            postfix_from(
                "mta1.news.example",
                "185.41.10.7",
                "mx.google.com",
                "claire.martin@campaign.example",
                t5s + 40,
            ),
        ),
    );
    items.push(Item {
        envelope: envelope("bounce-3@news.example", t5s + 40),
        text: render(&h, &body5),
        check: Check::Pass(records(&[&keys.news])),
        expect: expect(
            "authentic: newsletter signed with `l=` equal to the whole canonical body, rsa-sha256 relaxed/simple, RSA-1024 (the RFC 8301 minimum)",
            "pass, `unsigned_body_bytes` 0",
            "none above info",
            "verified",
        ),
    });

    // 6. Authentic, RSA-512 key.
    let t6 = utc(2017, 4, 27, 12, 30, 0);
    let mut h = fields(&[
        (
            "Received",
            &format!(
                "from localhost (localhost [127.0.0.1])\n\tby mail.localparty.example (Postfix) with ESMTP id 9C1D2E3F40\n\tfor <claire.martin@campaign.example>; {}",
                postfix_date(t6)
            ),
        ),
        (
            "From",
            "=?UTF-8?Q?F=C3=A9d=C3=A9ration_locale?= <secretariat@localparty.example>",
        ),
        ("To", CLAIRE),
        ("Subject", "Salle pour le meeting du 30 avril"),
        ("Date", &date(t6, 120)),
        (
            "Message-ID",
            "<20170427123000.9C1D2E3F40@mail.localparty.example>",
        ),
        ("MIME-Version", "1.0"),
        ("Content-Type", "text/plain; charset=utf-8"),
        ("Content-Transfer-Encoding", "8bit"),
    ]);
    let body = "Bonjour,\n\nLa salle municipale est réservée pour le 30 avril, de 14 h à 18 h.\n\nLe secrétariat\n";
    add_signatures(
        &mut h,
        body,
        &[sign(&keys.localparty, "localparty.example", "old", t6 + 1)],
    );
    h.insert(
        0,
        (
            "Received".into(),
            postfix_from(
                "mail.localparty.example",
                "91.121.30.15",
                "mx.google.com",
                "claire.martin@campaign.example",
                t6 + 4,
            ),
        ),
    );
    items.push(Item {
        envelope: envelope("secretariat@localparty.example", t6 + 4),
        text: render(&h, body),
        check: Check::Pass(records(&[&keys.localparty])),
        expect: expect(
            "authentic: signed with a 512-bit RSA key (factorable for about $75 in 2012): the signature verifies but proves little",
            "pass, `key_bits` 512, `weak_key` true",
            "`dkim-weak-key` (medium)",
            "verified (a medium finding does not block it; the weak key is reported beside it)",
        ),
    });

    // 7. Authentic, key record with t=y.
    let t7 = utc(2017, 4, 28, 17, 45, 10);
    let mut h = fields(&[
        (
            "Received",
            &format!(
                "from app01.volunteers.example (app01.volunteers.example [10.0.4.11])\n\tby smtp.volunteers.example (Postfix) with ESMTP id 1B2C3D4E5F\n\tfor <team@campaign.example>; {}",
                postfix_date(t7)
            ),
        ),
        ("From", "Coordination <coordination@volunteers.example>"),
        ("To", TEAM),
        ("Subject", "Porte-à-porte samedi : 140 inscrits"),
        ("Date", &date(t7, 120)),
        ("Message-ID", "<5903b1de.1c2d.4e5f@volunteers.example>"),
        ("MIME-Version", "1.0"),
        ("Content-Type", "text/plain; charset=utf-8"),
        ("Content-Transfer-Encoding", "8bit"),
    ]);
    let body = "140 volontaires inscrits pour samedi. Rendez-vous 9 h devant la mairie.\n";
    add_signatures(
        &mut h,
        body,
        &[sign(&keys.volunteers, "volunteers.example", "test", t7 + 1)],
    );
    h.insert(
        0,
        (
            "Received".into(),
            postfix_from(
                "smtp.volunteers.example",
                "37.59.20.8",
                "mx.google.com",
                "team@campaign.example",
                t7 + 3,
            ),
        ),
    );
    items.push(Item {
        envelope: envelope("coordination@volunteers.example", t7 + 3),
        text: render(&h, body),
        check: Check::Pass(records(&[&keys.volunteers])),
        expect: expect(
            "authentic: key record flagged `t=y` (testing)",
            "pass, `testing` true",
            "`dkim-testing-key` (low)",
            "verified",
        ),
    });

    // 8. Authentic personal webmail, signed with a retired 1024-bit key whose private half
    // the provider later published.
    let t8 = utc(2017, 4, 29, 20, 10, 0);
    let (h8, body8) = webmail(
        t8,
        "julien-0429",
        CLAIRE,
        "Ce soir",
        "Claire, on se voit au QG demain à 8 h ? Julien\n",
    );
    let mut h = h8;
    add_signatures(
        &mut h,
        &body8,
        &[sign(&keys.mail_2012, "mail.example", "20120113", t8 + 1)],
    );
    h.insert(
        0,
        (
            "Received".into(),
            postfix_from(
                "out.mail.example",
                "87.98.150.20",
                "mx.google.com",
                "claire.martin@campaign.example",
                t8 + 2,
            ),
        ),
    );
    items.push(Item {
        envelope: envelope("julien.moreau@mail.example", t8 + 2),
        text: render(&h, &body8),
        check: Check::Pass(records(&[&keys.mail_2012])),
        expect: expect(
            "authentic: personal webmail signed with mail.example's retired RSA-1024 key `20120113`, whose private half is marked published in the keymap: anyone could have made this signature",
            "pass, key annotated `private-key-published=2019-06-01`",
            "`dkim-key-published` (high)",
            "suspicious",
        ),
    });

    // 9. Authentic personal webmail, RSA-2048.
    let t9 = utc(2017, 4, 30, 6, 15, 0);
    let (mut h, body9) = webmail(
        t9,
        "julien-0430",
        LEA,
        "Tracts",
        "Léa, les tracts sont chez moi, je les apporte lundi. Julien\n",
    );
    add_signatures(
        &mut h,
        &body9,
        &[sign(&keys.mail_2016, "mail.example", "20161025", t9 + 1)],
    );
    h.insert(
        0,
        (
            "Received".into(),
            postfix_from(
                "out.mail.example",
                "87.98.150.21",
                "mx.google.com",
                "lea.dubois@campaign.example",
                t9 + 2,
            ),
        ),
    );
    items.push(Item {
        envelope: envelope("julien.moreau@mail.example", t9 + 2),
        text: render(&h, &body9),
        check: Check::Pass(records(&[&keys.mail_2016])),
        expect: expect(
            "authentic: personal webmail, rsa-sha256 relaxed/relaxed, RSA-2048",
            "pass",
            "none above info",
            "verified",
        ),
    });

    // 10. Authentic, x= three days after t=: valid at receipt, expired today.
    let t10 = utc(2017, 5, 1, 10, 0, 0);
    let (mut h, body10) = webmail(
        t10,
        "julien-0501",
        PAUL,
        "Facture salle",
        "Paul, la facture de la salle est arrivée : 1 200 EUR. Julien\n",
    );
    let mut s = sign(&keys.mail_2016, "mail.example", "20161025", t10 + 1);
    s.expires = Some(t10 + 1 + 3 * 86_400);
    add_signatures(&mut h, &body10, &[s]);
    h.insert(
        0,
        (
            "Received".into(),
            postfix_from(
                "out.mail.example",
                "87.98.150.20",
                "mx.google.com",
                "paul.petit@campaign.example",
                t10 + 2,
            ),
        ),
    );
    items.push(Item {
        envelope: envelope("julien.moreau@mail.example", t10 + 2),
        text: render(&h, &body10),
        check: Check::None,
        expect: expect(
            "authentic with `x=` three days after `t=`: valid as of its receipt (the top Received), expired as of today",
            "pass, `expired_as_of` false as of the receipt time (true if judged now)",
            "none above info",
            "verified",
        ),
    });

    // 11. Body edited after signing.
    let t11 = utc(2017, 5, 2, 7, 30, 0);
    let (mut h, body) = gmail_message(&Gmail {
        seed: "virement",
        from: CLAIRE,
        to: PAUL,
        time: t11,
        subject: "Virement imprimeur",
        in_reply_to: None,
        text: "Paul,\n\nMerci de virer 2 340 EUR à l'imprimeur avant jeudi.\n\nClaire\n",
        attachments: &[],
    });
    add_signatures(
        &mut h,
        &body,
        &[sign(
            &keys.campaign_2017,
            "campaign.example",
            "google",
            t11 + 1,
        )],
    );
    h.insert(
        0,
        ("Received".into(), google_internal_hop("virement", t11 + 2)),
    );
    let signed = render(&h, &body);
    let altered = signed.replace(
        "virer 2 340 EUR à l'imprimeur",
        "virer 234 000 EUR sur le compte CY17 0020 0128",
    );
    let altered = altered.replace(
        &qp("virer 2 340 EUR à l'imprimeur"),
        &qp("virer 234 000 EUR sur le compte CY17 0020 0128"),
    );
    assert_ne!(signed, altered);
    items.push(Item {
        envelope: envelope("claire.martin@campaign.example", t11 + 2),
        text: altered,
        check: Check::Fail(records(&[&keys.campaign_2017])),
        expect: expect(
            "altered: body edited after signing (the amount and the payee of a transfer)",
            "body-modified (`header_signature_valid` true, `body_hash_valid` false)",
            "`dkim-body-modified` (high)",
            "tampered",
        ),
    });

    // 12. A signed header (Subject) edited.
    let t12 = utc(2017, 5, 2, 13, 14, 0);
    let (mut h, body) = gmail_message(&Gmail {
        seed: "notes",
        from: LEA,
        to: CLAIRE,
        time: t12,
        subject: "Notes de la réunion",
        in_reply_to: None,
        text: "Claire,\n\nLes notes de la réunion de ce matin : budget validé, tournée confirmée.\n\nLéa\n",
        attachments: &[],
    });
    add_signatures(
        &mut h,
        &body,
        &[sign(
            &keys.campaign_2017,
            "campaign.example",
            "google",
            t12 + 1,
        )],
    );
    h.insert(
        0,
        ("Received".into(), google_internal_hop("notes", t12 + 2)),
    );
    let altered = render(&h, &body).replace(
        "Subject: Notes de la réunion\n",
        "Subject: Notes de la réunion - à détruire après lecture\n",
    );
    items.push(Item {
        envelope: envelope("lea.dubois@campaign.example", t12 + 2),
        text: altered,
        check: Check::Fail(records(&[&keys.campaign_2017])),
        expect: expect(
            "altered: the signed Subject edited after signing",
            "headers-modified (`header_signature_valid` false, `body_hash_valid` true)",
            "`dkim-headers-modified` (high)",
            "tampered",
        ),
    });

    // 13. A second From injected above the signed one.
    let t13 = utc(2017, 5, 2, 15, 2, 0);
    let (mut h, body) = gmail_message(&Gmail {
        seed: "consignes",
        from: LEA,
        to: TEAM,
        time: t13,
        subject: "Consignes pour dimanche",
        in_reply_to: None,
        text: "Bonjour à tous,\n\nLes consignes pour dimanche suivront demain.\n\nLéa\n",
        attachments: &[],
    });
    add_signatures(
        &mut h,
        &body,
        &[sign(
            &keys.campaign_2017,
            "campaign.example",
            "google",
            t13 + 1,
        )],
    );
    h.insert(
        0,
        ("Received".into(), google_internal_hop("consignes", t13 + 2)),
    );
    h.insert(
        1,
        (
            "From".into(),
            "Direction de campagne <direction@campaign.example>".into(),
        ),
    );
    items.push(Item {
        envelope: envelope("lea.dubois@campaign.example", t13 + 2),
        text: render(&h, &body),
        // mail-auth passes it: the extra From is not signed and DKIM signs the bottom-most.
        check: Check::Pass(records(&[&keys.campaign_2017])),
        expect: expect(
            "altered: a second `From:` (Direction de campagne) injected above the signed one; mail clients show the injected one",
            "pass of the bottom-most From only (a stock verifier says pass)",
            "`duplicate-from` (high), `dkim-injected-header` (high)",
            "tampered",
        ),
    });

    // 14. Text appended after the l= limit.
    let t14 = utc(2017, 5, 4, 5, 0, 0);
    let (mut h, body14, t14s) = newsletter(
        t14,
        "lettre-0504",
        "La Lettre du 4 mai",
        "Last meeting before the vote: Paris, Thursday 19:00.\n",
    );
    let mut s = sign(&keys.news, "news.example", "mc1", t14s);
    s.body_length = true;
    s.canon = (Canon::Relaxed, Canon::Simple);
    add_signatures(&mut h, &body14, &[s]);
    h.insert(
        0,
        (
            "Received".into(),
            postfix_from(
                "mta1.news.example",
                "185.41.10.7",
                "mx.google.com",
                "claire.martin@campaign.example",
                t14s + 40,
            ),
        ),
    );
    let appended = format!(
        "{}\nP.S. Le candidat a un compte aux Bahamas, voir https://leak.example.net/bahamas.pdf\n",
        render(&h, &body14)
    );
    items.push(Item {
        envelope: envelope("bounce-3@news.example", t14s + 40),
        text: appended,
        // A stock verifier (measuring l= on the raw body) says pass.
        check: Check::Pass(records(&[&keys.news])),
        expect: expect(
            "altered: a paragraph appended after the `l=` limit of a newsletter",
            "pass of the signed part, `unsigned_body_bytes` > 0 (the appended paragraph)",
            "`dkim-unsigned-tail` (high)",
            "tampered",
        ),
    });

    // 15. Forged Received chain (unsigned).
    let t15 = utc(2017, 5, 4, 8, 0, 0);
    let h = fields(&[
        (
            "Received",
            &format!(
                "from relay.example.net (relay.example.net [10.12.0.5])\n\tby mx.example.org (Postfix) with ESMTP id 7D8E9F0A1B\n\tfor <paul.petit@campaign.example>; {}",
                postfix_date(t15 + 120)
            ),
        ),
        (
            "Received",
            &format!(
                "from smtp.example.com (smtp.example.com [93.184.216.40])\n\tby relay.example.net (Postfix) with ESMTP id 2B3C4D5E6F; {}",
                postfix_date(t15 + 900)
            ),
        ),
        (
            "Received",
            &format!(
                "from [10.0.1.23] (unknown [10.0.1.23])\n\tby mail.example.org (Postfix) with ESMTPSA id 0A1B2C3D4E; {}",
                postfix_date(t15 + 30)
            ),
        ),
        ("From", "Hugo Bernard <hugo.bernard@campaign.example>"),
        ("To", PAUL),
        ("Subject", "Nouveaux identifiants du serveur"),
        ("Date", &date(t15, 120)),
        (
            "Message-ID",
            &format!("<{}@campaign.example>", uuid("serveur")),
        ),
        (
            "User-Agent",
            "Mozilla/5.0 (X11; Linux x86_64; rv:52.0) Gecko/20100101\n Thunderbird/52.1.0",
        ),
        ("MIME-Version", "1.0"),
        ("Content-Type", "text/plain; charset=utf-8; format=flowed"),
        ("Content-Transfer-Encoding", "8bit"),
    ]);
    items.push(Item {
        envelope: envelope("hugo.bernard@campaign.example", t15 + 120),
        text: render(&h, "Paul,\n\nLes nouveaux identifiants : admin / Campagne2017!\n\nHugo\n"),
        check: Check::None,
        expect: expect(
            "forged routing (unsigned): the middle hop's `from smtp.example.com` does not match the `by mail.example.org` of the hop below; times go backwards (the middle hop is dated after the top one); the top hop claims the public relay relay.example.net but was recorded from the private address 10.12.0.5. Hosts are under example.com/.net/.org because the checks find no organisation in `.example` names",
            "none",
            "`received-out-of-order` (medium), `received-hop-mismatch` (low), `received-private-address` (low)",
            "suspicious",
        ),
    });

    // 16. The Message-ID of 0 reused with new content (unsigned).
    let (mut h, body) = gmail_message(&Gmail {
        seed: "agenda",
        from: CLAIRE,
        to: TEAM,
        time: t0,
        subject: "Agenda for Thursday",
        in_reply_to: None,
        text: "Hello all,\n\nThe agenda for Thursday is below. Destroy the donor list after the meeting.\n\nClaire\n",
        attachments: &[],
    });
    h.insert(
        0,
        ("Received".into(), google_internal_hop("agenda", t0 + 2)),
    );
    items.push(Item {
        envelope: envelope("claire.martin@campaign.example", t0 + 2),
        text: render(&h, &body),
        check: Check::None,
        expect: expect(
            "altered copy: the Message-ID, headers and Gmail boundary of 0 with a new body, and no signature",
            "none",
            "`duplicate-message-id` (high: this copy does not verify, 0 does)",
            "suspicious",
        ),
    });

    // 17. A back-dated reply: In-Reply-To names 4, which is dated after it.
    let t17 = utc(2017, 4, 28, 8, 0, 0);
    let h = fields(&[
        ("Received", &google_internal_hop("backdated", t17 + 3)),
        ("From", PAUL),
        ("To", CLAIRE),
        ("Subject", "RE: Budget des réunions"),
        ("Date", &date(t17, 120)),
        ("Message-ID", &outlook_id("backdated", "campaign.example")),
        ("In-Reply-To", &paul_budget_id),
        ("References", &paul_budget_id),
        ("MIME-Version", "1.0"),
        ("Content-Type", "text/plain; charset=\"utf-8\""),
        ("Content-Transfer-Encoding", "8bit"),
        ("X-Mailer", "Microsoft Outlook 16.0"),
    ]);
    items.push(Item {
        envelope: envelope("paul.petit@campaign.example", t17 + 3),
        text: render(&h, "Claire,\n\nAjoute 50 000 EUR en liquide au budget, comme convenu avec qui tu sais.\n\nPaul\n"),
        check: Check::None,
        expect: expect(
            "back-dated reply (unsigned): dated 28 April, In-Reply-To message 4 of 2 May",
            "none",
            "`reply-before-parent` (medium)",
            "suspicious",
        ),
    });

    // 18. A reply to a message that is not in the dump.
    let t18 = utc(2017, 5, 3, 14, 22, 0);
    let missing = gmail_id("never-in-the-dump");
    let h = fields(&[
        (
            "Received",
            &format!(
                "from [192.168.1.40] (88-170-12-35.isp.partner.example [88.170.12.35])\n\tby smtp.partner.example (Postfix) with ESMTPSA id 5A6B7C8D9E\n\tfor <claire.martin@campaign.example>; {}",
                postfix_date(t18 + 1)
            ),
        ),
        ("To", CLAIRE),
        ("From", "Marc Lefèvre <marc.lefevre@partner.example>"),
        ("Subject", "Re: Paiement"),
        (
            "Message-ID",
            &format!("<{}@partner.example>", uuid("paiement")),
        ),
        ("Date", &date(t18, 120)),
        (
            "User-Agent",
            "Mozilla/5.0 (Windows NT 10.0; WOW64; rv:52.0) Gecko/20100101\n Thunderbird/52.1.0",
        ),
        ("MIME-Version", "1.0"),
        ("In-Reply-To", &missing),
        ("References", &missing),
        ("Content-Type", "text/plain; charset=utf-8; format=flowed"),
        ("Content-Transfer-Encoding", "8bit"),
    ]);
    items.push(Item {
        envelope: envelope("marc.lefevre@partner.example", t18 + 1),
        text: render(&h, "Bien reçu, merci. Marc\n"),
        check: Check::None,
        expect: expect(
            "reply (unsigned) whose In-Reply-To names a message missing from the dump",
            "none",
            "`reply-to-missing` (info)",
            "unverified",
        ),
    });

    // 19-21. Word attachments edited by one Russian-language editor within four minutes on
    // 27 April 2017, after the mails that carry them were dated (MacronLeaks pattern).
    let editor = "Рошка Георгий Петрович";
    let base = utc(2017, 4, 27, 9, 41, 12);
    let t19 = utc(2017, 4, 26, 16, 2, 0);
    let note = docx_part(
        "Note_tresorerie.docx",
        &docx::DocMeta {
            title: "Note de trésorerie",
            creator: "Paul Petit",
            last_modified_by: editor,
            created: &w3c(t19 - 86_400),
            modified: &w3c(base),
            application: "Microsoft Office Word",
            app_version: "16.0000",
            company: "",
            language: "ru-RU",
            text: "Note de trésorerie : versements en espèces non déclarés.",
        },
    );
    let boundary = outlook_boundary("tresorerie");
    let h = fields(&[
        ("Received", &google_internal_hop("tresorerie", t19 + 2)),
        ("From", PAUL),
        ("To", CLAIRE),
        ("Subject", "Note de trésorerie"),
        ("Date", &date(t19, 120)),
        ("Message-ID", &outlook_id("tresorerie", "campaign.example")),
        ("MIME-Version", "1.0"),
        (
            "Content-Type",
            &format!("multipart/mixed;\n\tboundary=\"{boundary}\""),
        ),
        ("X-Mailer", "Microsoft Outlook 16.0"),
        ("Content-Language", "fr"),
    ]);
    let mut body = format!(
        "This is a multipart message in MIME format.\n\n--{boundary}\nContent-Type: text/plain;\n\tcharset=\"utf-8\"\nContent-Transfer-Encoding: quoted-printable\n\n{}\n",
        qp("Claire,\n\nLa note, à ne pas diffuser.\n\nPaul\n")
    );
    body.push_str(
        &attachment_part(&boundary, &note.0, &note.1, "x").replace("X-Attachment-Id: x\n", ""),
    );
    body.push_str(&format!("--{boundary}--\n"));
    items.push(Item {
        envelope: envelope("paul.petit@campaign.example", t19 + 2),
        text: render(&h, &body),
        check: Check::None,
        expect: expect(
            "attachment (unsigned Outlook mail): Note_tresorerie.docx last modified on 27 April 09:41:12 UTC, the day after the mail's Date, by `Рошка Георгий Петрович` (Cyrillic; not the sender), language ru-RU; first of four documents edited within four minutes",
            "none",
            "`attachment-modified-after-date` (medium), `attachment-author-unrelated` (low), `attachment-edit-cluster` (medium)",
            "suspicious",
        ),
    });

    let t20 = utc(2017, 4, 25, 9, 20, 0);
    let contrats = docx_part(
        "Contrats_prestataires.docx",
        &docx::DocMeta {
            title: "Contrats prestataires",
            creator: "Alain Durand",
            last_modified_by: editor,
            created: &w3c(t20 - 20 * 86_400),
            modified: &w3c(base + 53),
            application: "Microsoft Office Word",
            app_version: "16.0000",
            company: "",
            language: "ru-RU",
            text: "Contrats prestataires : commissions versées à des sociétés écrans.",
        },
    );
    let donateurs = docx_part(
        "Liste_donateurs.docx",
        &docx::DocMeta {
            title: "Liste des donateurs",
            creator: "Alain Durand",
            last_modified_by: editor,
            created: &w3c(t20 - 9 * 86_400),
            modified: &w3c(base + 148),
            application: "Microsoft Office Word",
            app_version: "16.0000",
            company: "",
            language: "ru-RU",
            text: "Liste des donateurs étrangers.",
        },
    );
    let (mut h, body) = gmail_message(&Gmail {
        seed: "prestataires",
        from: LEA,
        to: CLAIRE,
        time: t20,
        subject: "Contrats et donateurs",
        in_reply_to: None,
        text: "Claire,\n\nCi-joint les deux documents.\n\nLéa\n",
        attachments: &[contrats, donateurs],
    });
    h.insert(
        0,
        (
            "Received".into(),
            google_internal_hop("prestataires", t20 + 2),
        ),
    );
    items.push(Item {
        envelope: envelope("lea.dubois@campaign.example", t20 + 2),
        text: render(&h, &body),
        check: Check::None,
        expect: expect(
            "attachments (unsigned G Suite-shaped mail): two .docx created by `Alain Durand` (unrelated to the sender Léa Dubois), last modified two days after the mail's Date by `Рошка Георгий Петрович` at 09:42:05 and 09:43:40 UTC on 27 April",
            "none",
            "`attachment-modified-after-date` (medium), `attachment-author-unrelated` (low), `attachment-edit-cluster` (medium)",
            "suspicious",
        ),
    });

    let t21 = utc(2017, 4, 27, 6, 30, 0);
    let sondage = docx_part(
        "Rapport_sondage.docx",
        &docx::DocMeta {
            title: "Rapport sondage interne",
            creator: "Claire Martin",
            last_modified_by: editor,
            created: &w3c(t21 - 2 * 86_400),
            modified: &w3c(base + 219),
            application: "Microsoft Office Word",
            app_version: "16.0000",
            company: "",
            language: "ru-RU",
            text: "Sondage interne : résultats truqués.",
        },
    );
    let (mut h, body) = gmail_message(&Gmail {
        seed: "sondage",
        from: CLAIRE,
        to: TEAM,
        time: t21,
        subject: "Rapport sondage",
        in_reply_to: None,
        text: "Le rapport du sondage interne.\n\nClaire\n",
        attachments: &[sondage],
    });
    h.insert(
        0,
        ("Received".into(), google_internal_hop("sondage", t21 + 2)),
    );
    items.push(Item {
        envelope: envelope("claire.martin@campaign.example", t21 + 2),
        text: render(&h, &body),
        check: Check::None,
        expect: expect(
            "attachment (unsigned G Suite-shaped mail): Rapport_sondage.docx created by the sender but last modified 3 hours after the mail's Date (09:44:51 UTC) by `Рошка Георгий Петрович`; the fourth document of the cluster",
            "none",
            "`attachment-modified-after-date` (medium), `attachment-edit-cluster` (medium)",
            "suspicious",
        ),
    });
    items
}

/// A list newsletter of news.example: headers and body, and the signing time.
fn newsletter(t: i64, seed: &str, subject: &str, news: &str) -> (Fields, String, i64) {
    let h = fields(&[
        (
            "Received",
            &format!(
                "from app3.news.example (app3.news.example [10.8.0.3])\n\tby mta1.news.example (Postfix) with ESMTP id {}\n\tfor <claire.martin@campaign.example>; {}",
                upper_hex(seed, 10),
                postfix_date(t + 2)
            ),
        ),
        ("From", "La Lettre <lettre@news.example>"),
        ("To", CLAIRE),
        ("Subject", subject),
        ("Date", &date(t, 120)),
        (
            "Message-ID",
            &format!("<{}.{}@news.example>", t, hex(seed, 8)),
        ),
        ("List-Unsubscribe", "<mailto:unsubscribe-3@news.example>"),
        ("MIME-Version", "1.0"),
        ("Content-Type", "text/plain; charset=utf-8"),
        ("Content-Transfer-Encoding", "8bit"),
    ]);
    let body = format!("{subject}\n\n{news}\nTo unsubscribe: mailto:unsubscribe-3@news.example\n");
    (h, body, t + 3)
}

/// Personal webmail of mail.example.
fn webmail(t: i64, seed: &str, to: &str, subject: &str, text: &str) -> (Fields, String) {
    let h = fields(&[
        (
            "Received",
            &format!(
                "from webmail.mail.example (webmail.mail.example [10.20.0.8])\n\tby out.mail.example (Postfix) with ESMTPA id {}; {}",
                upper_hex(seed, 10),
                postfix_date(t)
            ),
        ),
        ("MIME-Version", "1.0"),
        ("Content-Type", "text/plain; charset=UTF-8"),
        ("Content-Transfer-Encoding", "8bit"),
        ("Date", &date(t, 120)),
        ("From", JULIEN),
        ("To", to),
        ("Subject", subject),
        (
            "Message-ID",
            &format!("<{}.{}@webmail.mail.example>", t, hex(seed, 12)),
        ),
        ("X-Mailer", "mail.example webmail 4.2"),
    ]);
    (h, text.to_string())
}

/// A Postfix receipt from a named public host.
fn postfix_from(host: &str, ip: &str, by: &str, rcpt: &str, t: i64) -> String {
    if by == "mx.google.com" {
        format!(
            "from {host} ({host}. [{ip}])\n        by mx.google.com with ESMTPS id {}.{}.2017\n        for <{rcpt}>;\n        {}",
            smtp_id(&format!("{host}{t}")),
            20 + hash_of(host)[0] % 70,
            google_date(t)
        )
    } else {
        format!(
            "from {host} ({host} [{ip}])\n\tby {by} (Postfix) with ESMTPS id {}\n\tfor <{rcpt}>; {}",
            upper_hex(&format!("{host}{t}"), 10),
            postfix_date(t)
        )
    }
}

/// mboxrd quoting: one more `>` on every `>*From ` line.
fn quote(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    for line in message.split_inclusive('\n') {
        if line.trim_start_matches('>').starts_with("From ") {
            out.push('>');
        }
        out.push_str(line);
    }
    out
}

// ---------------------------------------------------------------------------------------
// Self-check with mail-auth

mod verify {
    use super::*;
    use mail_auth::hickory_resolver::config::{ResolverConfig, ResolverOpts};
    use mail_auth::{AuthenticatedMessage, DkimResult, MessageAuthenticator, Parameters};
    use mailsleuth_testkit::offline::{TxtCache, block_on};

    /// mail-auth's results for a message (stored form, LF) under the given records.
    pub fn results(text: &str, keys: &[(String, String)]) -> Vec<String> {
        let auth = MessageAuthenticator::new(
            ResolverConfig::from_parts(None, vec![], vec![]),
            ResolverOpts::default(),
        )
        .expect("resolver without servers");
        let cache = TxtCache::of(keys.iter().map(|(n, r)| (n.as_str(), r.as_str())));
        let raw = signer::crlf(text);
        // Not strict: accept `l=`.
        let msg = AuthenticatedMessage::parse_with_opts(&raw, None, false).expect("parses");
        block_on(auth.verify_dkim(Parameters::new(&msg).with_txt_cache(&cache)))
            .iter()
            .map(|o| match o.result() {
                DkimResult::Pass => "pass".to_string(),
                other => format!("{other:?}"),
            })
            .collect()
    }
}

// ---------------------------------------------------------------------------------------

fn main() {
    let root = sample::data_dir();
    let mut args = std::env::args_os().skip(1);
    let out = args
        .next()
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("sample.mbox"));
    let manifest_out = args
        .next()
        .map(PathBuf::from)
        .or_else(|| (out == root.join("sample.mbox")).then(|| root.join("MANIFEST.md")));

    let dir = root.join("keys");
    let keys = Keys {
        campaign_2016: load_key(
            &dir,
            "campaign-google-2016.pem",
            "google._domainkey.campaign.example",
            "",
        ),
        campaign_2017: load_key(
            &dir,
            "campaign-google-2017.pem",
            "google._domainkey.campaign.example",
            "",
        ),
        mail_2016: load_key(
            &dir,
            "mail-20161025.pem",
            "20161025._domainkey.mail.example",
            "",
        ),
        mail_2012: load_key(
            &dir,
            "mail-20120113.pem",
            "20120113._domainkey.mail.example",
            "",
        ),
        partner_rsa: load_key(
            &dir,
            "partner-rsa2017.pem",
            "rsa2017._domainkey.partner.example",
            "",
        ),
        partner_ed: load_key(
            &dir,
            "partner-ed2017.pem",
            "ed2017._domainkey.partner.example",
            "",
        ),
        news: load_key(&dir, "news-mc1.pem", "mc1._domainkey.news.example", ""),
        localparty: load_key(
            &dir,
            "localparty-old.pem",
            "old._domainkey.localparty.example",
            "",
        ),
        volunteers: load_key(
            &dir,
            "volunteers-test.pem",
            "test._domainkey.volunteers.example",
            "t=y; ",
        ),
    };
    // Every derived public record must be in the committed keymap under its name.
    let keymap = std::fs::read_to_string(root.join("keys.keymap")).expect("read keys.keymap");
    for k in [
        &keys.campaign_2016,
        &keys.campaign_2017,
        &keys.mail_2016,
        &keys.mail_2012,
        &keys.partner_rsa,
        &keys.partner_ed,
        &keys.news,
        &keys.localparty,
        &keys.volunteers,
    ] {
        let line = format!("{} {}", k.name, k.record);
        assert!(
            keymap
                .lines()
                .any(|l| l == line || l.starts_with(&format!("{line} "))),
            "keys.keymap lacks the record of {}: {line}",
            k.name
        );
    }

    let items = build(&keys);
    let mut failed = false;
    for (i, item) in items.iter().enumerate() {
        match &item.check {
            Check::Pass(records) => {
                let r = verify::results(&item.text, records);
                if r.is_empty() || r.iter().any(|x| x != "pass") {
                    eprintln!(
                        "message {i}: mail-auth says {r:?}, expected every signature to pass"
                    );
                    failed = true;
                }
            }
            Check::Fail(records) => {
                let r = verify::results(&item.text, records);
                if r.is_empty() || r.iter().all(|x| x == "pass") {
                    eprintln!("message {i}: mail-auth says {r:?}, expected a failure");
                    failed = true;
                }
            }
            Check::None => {}
        }
    }
    if failed {
        eprintln!("make_sample: the self-check failed; nothing written");
        std::process::exit(1);
    }

    let mut dump = String::new();
    for item in &items {
        dump.push_str(&item.envelope);
        dump.push('\n');
        dump.push_str(&quote(&item.text));
        dump.push('\n');
    }
    let first_quirk = items.len();
    // A message whose writer did not quote a body line starting with "From ".
    dump.push_str("From press@campaign.example Wed May  3 08:00:00 2017\nFrom: Press <press@campaign.example>\nDate: Wed, 3 May 2017 08:00:00 +0200\nMessage-ID: <press-0503@campaign.example>\nSubject: Quote of the day\n\nThe candidate said:\n\nFrom Paris to Marseille, we will be there.\n\n");
    // A Content-Length message (mboxcl2 style: the body keeps its From line unquoted).
    let body = "Forwarded log:\n\nFrom ops@campaign.example Wed May  3 09:00:00 2017\nstatus: ok\n";
    dump.push_str(&format!(
        "From ops@campaign.example Wed May  3 09:30:00 2017\nFrom: Ops <ops@campaign.example>\nDate: Wed, 3 May 2017 09:30:00 +0200\nMessage-ID: <ops-0503@campaign.example>\nSubject: Nightly log\nContent-Length: {}\n\n{}\n",
        body.len(),
        body
    ));
    // A message stored with CRLF line endings inside an LF file, then a Thunderbird-style
    // separator without a blank line before it.
    dump.push_str("From it@campaign.example Thu May  4 11:00:00 2017\r\nFrom: IT <it@campaign.example>\r\nDate: Thu, 4 May 2017 11:00:00 +0200\r\nMessage-ID: <it-0504@campaign.example>\r\nSubject: Password reset\r\n\r\nPlease reset your password.\r\n");
    dump.push_str("From - Fri May  5 07:45:00 2017\nFrom: Claire Martin <claire.martin@campaign.example>\nDate: Fri, 5 May 2017 07:45:00 +0200\nMessage-ID: <20170505074500.9f9f@campaign.example>\nSubject: Last one\n\nThe file ends inside this line");
    std::fs::write(&out, &dump).unwrap_or_else(|e| panic!("write {}: {e}", out.display()));
    eprintln!("wrote {} ({} messages)", out.display(), first_quirk + 4);

    if let Some(path) = manifest_out {
        let text = manifest(&items, first_quirk);
        std::fs::write(&path, text).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
        eprintln!("wrote {}", path.display());
    }
}

fn cell(s: &str) -> String {
    s.replace('|', "\\|")
}

fn manifest(items: &[Item], first_quirk: usize) -> String {
    let mut m = String::from(
        "# The bundled sample dump: what each message is and what the crate should report\n\n\
<!-- Written by `cargo run --example make_sample`; do not edit by hand (edit the generator). -->\n\n\
`sample.mbox` is a synthetic \"leak\" of a fictional campaign (`campaign.example`) and the people it\n\
writes with, built deterministically by `examples/make_sample.rs` with the test keys of `keys/`\n\
(public records in `keys.keymap`). It is the ground truth of the end-to-end test: scan it with\n\
the keymap (`cargo run --release --example scan`) and compare.\n\n\
How to read the columns:\n\n\
- **index**: the `index` of the scan report (0-based, dump order).\n\
- **DKIM**: the expected `dkim[].result` per signature, in header order, and the fields that matter.\n\
  \"none\" means no DKIM-Signature (`dkim` is empty). Verification is offline against `keys.keymap`,\n\
  as of the message's receipt time (its top `Received`).\n\
- **findings**: the codes that must appear (severity in brackets). Informational findings\n\
  (`message-id-domain-unrelated` for Gmail Message-IDs, and the like) may appear too and are not\n\
  listed unless they are the point of the message.\n\
- **verdict**: per the report contract (`verified`, `tampered`, `suspicious`, `unverified`).\n\n\
Times: the campaign's mail is dated in Paris summer time (+0200, +0100 before 26 March); Google\n\
hops in Pacific time (PST before 12 March, PDT after). For authentic messages Date <= `t=` <= every Received above the signature,\n\
within seconds. The attachment documents of 19-21 were all last modified by one editor between\n\
09:41:12 and 09:44:51 UTC on 27 April 2017.\n\n\
| index | what it is | DKIM | findings | verdict |\n|---|---|---|---|---|\n",
    );
    for (i, item) in items.iter().enumerate() {
        m.push_str(&format!(
            "| {i} | {} | {} | {} | {} |\n",
            cell(&item.expect.what),
            cell(item.expect.dkim),
            cell(item.expect.findings),
            item.expect.verdict
        ));
    }
    let quirks = [
        (
            "mbox quirk, unsigned internal mail: a body line `From Paris to Marseille` left unquoted by the writer",
            "reader anomaly `unquoted-from-line`; finding `unquoted-from-line` (info)",
        ),
        (
            "mbox quirk, unsigned internal mail: a `Content-Length` message (mboxcl2) whose body holds an unquoted `From ` line that must not split it",
            "format `mboxcl2`, no anomaly",
        ),
        (
            "mbox quirk, unsigned internal mail stored with CRLF line endings inside the LF file, followed by a Thunderbird separator (`From - ...`) without a blank line",
            "reader anomaly `separator-without-blank-line`",
        ),
        (
            "mbox quirk, unsigned internal mail: the last message, without final newline, after a Thunderbird separator",
            "reader anomaly `no-final-newline`",
        ),
    ];
    for (j, (what, found)) in quirks.iter().enumerate() {
        m.push_str(&format!(
            "| {} | {} | none | {} | unverified |\n",
            first_quirk + j,
            what,
            found
        ));
    }
    m.push_str(
        "\n## Dump-wide expectations\n\n\
- `duplicate-message-id`: 0 and 16 share a Message-ID with different bodies.\n\
- `reply-before-parent`: 17 replies to 4, which is dated after it. `reply-to-missing`: 18.\n\
- `attachment-edit-cluster`: the four documents of 19, 20 (two) and 21, all last modified by\n\
  `Рошка Георгий Петрович` within four minutes, across three messages.\n\
- No `unsigned-in-signed-period`: campaign.example sends much unsigned mail in the sample.\n\n\
## Keys\n\n\
| name | key | used by | note |\n|---|---|---|---|\n\
| `google._domainkey.campaign.example` | RSA-2048 `keys/campaign-google-2016.pem` | 2 | rotated out on 2017-03-15 (`valid-until`) |\n\
| `google._domainkey.campaign.example` | RSA-2048 `keys/campaign-google-2017.pem` | 0, 1, 4, 11, 12, 13 | current from 2017-03-15 (`valid-from`) |\n\
| `20161025._domainkey.mail.example` | RSA-2048 `keys/mail-20161025.pem` | 9, 10 (10 with `x=`) | |\n\
| `20120113._domainkey.mail.example` | RSA-1024 `keys/mail-20120113.pem` | 8 | `private-key-published=2019-06-01` |\n\
| `rsa2017._domainkey.partner.example` | RSA-2048 `keys/partner-rsa2017.pem` | 3 (simple/simple) | |\n\
| `ed2017._domainkey.partner.example` | Ed25519 `keys/partner-ed2017.pem` | 3 | RFC 8463 |\n\
| `mc1._domainkey.news.example` | RSA-1024 `keys/news-mc1.pem` | 5, 14 (`l=`) | |\n\
| `old._domainkey.localparty.example` | RSA-512 `keys/localparty-old.pem` | 6 | weak |\n\
| `test._domainkey.volunteers.example` | RSA-2048 `keys/volunteers-test.pem` | 7 | `t=y` |\n",
    );
    m
}
