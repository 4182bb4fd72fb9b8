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
//! Every message is one entry of a table, `CASES` (then the raw mbox quirks, `QUIRKS`): the
//! mail as its sender's software wrote it (a kind of mail with its headers, body and
//! attachments, or a list of header fields), how it is signed, the `Received` field the
//! receiving server adds on top, the envelope, what is done to the stored copy afterwards, what
//! mail-auth must say about it, and its row of the manifest. A small interpreter (`build`)
//! turns each entry into the stored message. Every time of an entry is relative to its `time`,
//! the mail's `Date`.
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
// The messages

/// People.
const CLAIRE: &str = "Claire Martin <claire.martin@campaign.example>";
const LEA: &str = "=?UTF-8?Q?L=C3=A9a_Dubois?= <lea.dubois@campaign.example>";
const PAUL: &str = "Paul Petit <paul.petit@campaign.example>";
const TEAM: &str = "Team <team@campaign.example>";
const SOPHIE: &str = "Sophie Laurent <sophie.laurent@partner.example>";
const JULIEN: &str = "Julien Moreau <julien.moreau@mail.example>";

/// Their addresses, as envelope senders and recipients.
const CLAIRE_AT: &str = "claire.martin@campaign.example";
const LEA_AT: &str = "lea.dubois@campaign.example";
const PAUL_AT: &str = "paul.petit@campaign.example";
const TEAM_AT: &str = "team@campaign.example";
const JULIEN_AT: &str = "julien.moreau@mail.example";

const THUNDERBIRD_WINDOWS: &str =
    "Mozilla/5.0 (Windows NT 10.0; WOW64; rv:52.0) Gecko/20100101\n Thunderbird/52.1.0";
const THUNDERBIRD_LINUX: &str =
    "Mozilla/5.0 (X11; Linux x86_64; rv:52.0) Gecko/20100101\n Thunderbird/52.1.0";
const FLOWED: &str = "text/plain; charset=utf-8; format=flowed";

const MINUTE: i64 = 60;
const DAY: i64 = 86_400;

/// The time of message 0, whose Message-ID message 16 reuses.
const AGENDA_TIME: i64 = utc(2017, 5, 1, 7, 12, 3);

/// The editor of the four documents of 19-21 (MacronLeaks pattern), and her first save.
const EDITOR: &str = "Рошка Георгий Петрович";
const EDITS_BEGIN: i64 = utc(2017, 4, 27, 9, 41, 12);

/// A signature by `key` (`relaxed/relaxed`, `t=` `at` seconds after the Date, no `x=`, no
/// `l=`); `Sig { canon: ..., ..signed(...) }` for anything else.
const fn signed(key: KeyId, at: i64) -> Sig {
    Sig {
        key,
        canon: (Canon::Relaxed, Canon::Relaxed),
        at,
        expires: None,
        body_length: false,
    }
}

/// The dump's messages, in dump order (the index is the manifest's).
const CASES: &[Case] = &[
    // 0
    Case {
        time: AGENDA_TIME,
        mail: Mail::Gmail(Gmail {
            seed: "agenda",
            from: CLAIRE,
            to: TEAM,
            subject: "Agenda for Thursday",
            reply_to: None,
            text: "Hello all,\n\nThe agenda for Thursday is below.\n\nFrom the press office: no statements before noon.\n\nClaire\n",
            attachments: &[],
        }),
        signatures: &[signed(KeyId::Campaign2017, 1)],
        received: Some(Hop::GoogleInternal {
            seed: "agenda",
            at: 2,
        }),
        envelope: (CLAIRE_AT, 2),
        tamper: Tamper::None,
        check: Check::Pass,
        row: Row {
            what: "authentic: G Suite (Gmail web), rsa-sha256 relaxed/relaxed, RSA-2048, the newer of two keys under selector `google`; a body line `From the press office` stored mboxrd-quoted. The same Message-ID is reused by message 16",
            dkim: "pass (1 signature; verified after undoing the mboxrd quoting)",
            findings: "`duplicate-message-id` (medium: the other copy, 16, does not verify)",
            verdict: "verified",
        },
    },
    // 1
    Case {
        time: utc(2017, 5, 1, 8, 40, 0),
        mail: Mail::Gmail(Gmail {
            seed: "reunion",
            from: LEA,
            to: CLAIRE,
            subject: "=?UTF-8?Q?Re=3A_Agenda_for_Thursday_=E2=80=93_r=C3=A9union?=",
            reply_to: Some("agenda"),
            text: "Bien reçu.\n\n>From your message: no statements before noon.\n\nLéa\n",
            attachments: &[],
        }),
        signatures: &[signed(KeyId::Campaign2017, 1)],
        received: Some(Hop::GoogleInternal {
            seed: "reunion",
            at: 2,
        }),
        envelope: (LEA_AT, 2),
        tamper: Tamper::None,
        check: Check::Pass,
        row: Row {
            what: "authentic: G Suite reply to 0 (In-Reply-To), RFC 2047 encoded From and Subject, a body line `>From your message` stored as `>>From` (mboxrd)",
            dkim: "pass (after undoing the mboxrd quoting)",
            findings: "none above info",
            verdict: "verified",
        },
    },
    // 2
    Case {
        time: utc(2017, 3, 8, 15, 20, 11),
        mail: Mail::Gmail(Gmail {
            seed: "devis",
            from: CLAIRE,
            to: SOPHIE,
            subject: "Devis impression affiches",
            reply_to: None,
            text: "Bonjour Sophie,\n\nPouvez-vous nous envoyer le devis pour 5 000 affiches A2 ?\n\nMerci,\nClaire\n",
            attachments: &[],
        }),
        // The OLD key of the rotated selector (before 2017-03-15).
        signatures: &[signed(KeyId::Campaign2016, 1)],
        received: Some(Hop::PostfixFromGoogle {
            seed: "devis",
            mx: "mx.partner.example",
            rcpt: "sophie.laurent@partner.example",
            at: 3,
        }),
        envelope: (CLAIRE_AT, 3),
        tamper: Tamper::None,
        check: Check::Pass,
        row: Row {
            what: "authentic: G Suite mail of 8 March 2017, signed with the OLD key of selector `google` (rotated on 15 March): the verifier must try both records under the name",
            dkim: "pass (with the first `google._domainkey.campaign.example` record of the keymap)",
            findings: "none above info",
            verdict: "verified",
        },
    },
    // 3
    Case {
        time: utc(2017, 5, 2, 9, 5, 40),
        mail: Mail::Fields {
            fields: &[
                (
                    "Received",
                    Value::Received(Hop::Postfix {
                        from: "[192.168.1.34] (88-170-12-34.isp.partner.example [88.170.12.34])",
                        by: "smtp.partner.example",
                        with: "ESMTPSA",
                        id: "4F2A1C0A12",
                        rcpt: Some(CLAIRE_AT),
                        at: 1,
                    }),
                ),
                ("Subject", Value::Text("Re: Devis impression affiches")),
                ("To", Value::Text(CLAIRE)),
                ("References", Value::GmailId("devis")),
                ("From", Value::Text(SOPHIE)),
                (
                    "Message-ID",
                    Value::Uuid("partner-devis", "partner.example"),
                ),
                ("Date", Value::Date),
                ("User-Agent", Value::Text(THUNDERBIRD_WINDOWS)),
                ("MIME-Version", Value::Text("1.0")),
                ("In-Reply-To", Value::GmailId("devis")),
                ("Content-Type", Value::Text(FLOWED)),
                ("Content-Language", Value::Text("fr")),
                ("Content-Transfer-Encoding", Value::Text("8bit")),
            ],
            body: "Bonjour Claire,\n\nVoici notre devis : 5 000 affiches A2, 2 340 EUR HT, livraison\nle 4 mai.\n\nCordialement,\n-- \nSophie Laurent\nPartner Impressions\n",
        },
        // Dual-signed: Ed25519 (RFC 8463) on top, RSA-2048 simple/simple below.
        signatures: &[
            signed(KeyId::PartnerEd, 1),
            Sig {
                canon: (Canon::Simple, Canon::Simple),
                ..signed(KeyId::PartnerRsa, 1)
            },
        ],
        received: Some(Hop::GoogleMx {
            host: "smtp.partner.example",
            ip: "185.31.40.20",
            rcpt: CLAIRE_AT,
            at: 2,
            id: MxId::Seeded("partner-rx"),
        }),
        envelope: ("sophie.laurent@partner.example", 2),
        tamper: Tamper::None,
        check: Check::Pass,
        row: Row {
            what: "authentic: Thunderbird 52 (lower-case UUID Message-ID), two signatures: ed25519-sha256 relaxed/relaxed (RFC 8463) and rsa-sha256 simple/simple, RSA-2048; reply to 2",
            dkim: "pass, pass (simple/simple verifies only on the CRLF form: repair `crlf` expected)",
            findings: "none above info",
            verdict: "verified",
        },
    },
    // 4
    Case {
        time: utc(2017, 5, 2, 16, 5, 47),
        mail: Mail::Outlook(Outlook {
            seed: "budget",
            from: PAUL,
            to: CLAIRE,
            subject: "Budget des réunions",
            text: "Claire,\n\nLe budget des réunions, comme convenu.\n\nPaul\n",
            submission: Some(Hop::GmailSubmission {
                client: "PAULPC",
                rdns: "static-88-170-40-12.isp.partner.example",
                ip: "88.170.40.12",
                seed: "budget",
                rcpt: CLAIRE_AT,
                at: 1,
            }),
            // Metadata that agrees with the mail.
            attachment: &Doc {
                file: "Budget_reunions_mai.docx",
                title: "Budget des réunions de mai",
                creator: "Paul Petit",
                editor: "Paul Petit",
                created: When::Before(3 * DAY),
                modified: When::Before(7 * MINUTE),
                company: "Campaign",
                language: "fr-FR",
                text: "Budget des réunions de mai : salles 4 200 EUR, sonorisation 1 800 EUR.",
            },
        }),
        signatures: &[signed(KeyId::Campaign2017, 2)],
        received: Some(Hop::GoogleInternal {
            seed: "budget",
            at: 3,
        }),
        envelope: (PAUL_AT, 3),
        tamper: Tamper::None,
        check: Check::Pass,
        row: Row {
            what: "authentic: Outlook 16 through G Suite (Outlook `$` Message-ID, `----=_NextPart_` boundary), with a .docx whose metadata agrees (creator and editor Paul Petit, modified 7 minutes before Date, Word)",
            dkim: "pass",
            findings: "none above info (the attachment's metadata is consistent)",
            verdict: "verified",
        },
    },
    // 5
    Case {
        time: utc(2017, 5, 3, 5, 0, 0),
        mail: Mail::Newsletter(Newsletter {
            seed: "lettre-0503",
            subject: "La Lettre du 3 mai",
            news: "Meeting in Lyon tonight at 19:00, Halle Tony Garnier.\n",
        }),
        // `l=` covering the whole body; RSA-1024.
        signatures: &[Sig {
            canon: (Canon::Relaxed, Canon::Simple),
            body_length: true,
            ..signed(KeyId::News, 3)
        }],
        received: Some(Hop::GoogleMx {
            host: "mta1.news.example",
            ip: "185.41.10.7",
            rcpt: CLAIRE_AT,
            at: 43,
            id: MxId::FromHost,
        }),
        envelope: ("bounce-3@news.example", 43),
        tamper: Tamper::None,
        check: Check::Pass,
        row: Row {
            what: "authentic: newsletter signed with `l=` equal to the whole canonical body, rsa-sha256 relaxed/simple, RSA-1024 (the RFC 8301 minimum)",
            dkim: "pass, `unsigned_body_bytes` 0",
            findings: "none above info",
            verdict: "verified",
        },
    },
    // 6
    Case {
        time: utc(2017, 4, 27, 12, 30, 0),
        mail: Mail::Fields {
            fields: &[
                (
                    "Received",
                    Value::Received(Hop::Postfix {
                        from: "localhost (localhost [127.0.0.1])",
                        by: "mail.localparty.example",
                        with: "ESMTP",
                        id: "9C1D2E3F40",
                        rcpt: Some(CLAIRE_AT),
                        at: 0,
                    }),
                ),
                (
                    "From",
                    Value::Text(
                        "=?UTF-8?Q?F=C3=A9d=C3=A9ration_locale?= <secretariat@localparty.example>",
                    ),
                ),
                ("To", Value::Text(CLAIRE)),
                ("Subject", Value::Text("Salle pour le meeting du 30 avril")),
                ("Date", Value::Date),
                (
                    "Message-ID",
                    Value::Text("<20170427123000.9C1D2E3F40@mail.localparty.example>"),
                ),
                ("MIME-Version", Value::Text("1.0")),
                ("Content-Type", Value::Text("text/plain; charset=utf-8")),
                ("Content-Transfer-Encoding", Value::Text("8bit")),
            ],
            body: "Bonjour,\n\nLa salle municipale est réservée pour le 30 avril, de 14 h à 18 h.\n\nLe secrétariat\n",
        },
        // RSA-512.
        signatures: &[signed(KeyId::LocalParty, 1)],
        received: Some(Hop::GoogleMx {
            host: "mail.localparty.example",
            ip: "91.121.30.15",
            rcpt: CLAIRE_AT,
            at: 4,
            id: MxId::FromHost,
        }),
        envelope: ("secretariat@localparty.example", 4),
        tamper: Tamper::None,
        check: Check::Pass,
        row: Row {
            what: "authentic: signed with a 512-bit RSA key (factorable for about $75 in 2012): the signature verifies but proves little",
            dkim: "pass, `key_bits` 512, `weak_key` true",
            findings: "`dkim-weak-key` (medium)",
            verdict: "verified (a medium finding does not block it; the weak key is reported beside it)",
        },
    },
    // 7
    Case {
        time: utc(2017, 4, 28, 17, 45, 10),
        mail: Mail::Fields {
            fields: &[
                (
                    "Received",
                    Value::Received(Hop::Postfix {
                        from: "app01.volunteers.example (app01.volunteers.example [10.0.4.11])",
                        by: "smtp.volunteers.example",
                        with: "ESMTP",
                        id: "1B2C3D4E5F",
                        rcpt: Some(TEAM_AT),
                        at: 0,
                    }),
                ),
                (
                    "From",
                    Value::Text("Coordination <coordination@volunteers.example>"),
                ),
                ("To", Value::Text(TEAM)),
                (
                    "Subject",
                    Value::Text("Porte-à-porte samedi : 140 inscrits"),
                ),
                ("Date", Value::Date),
                (
                    "Message-ID",
                    Value::Text("<5903b1de.1c2d.4e5f@volunteers.example>"),
                ),
                ("MIME-Version", Value::Text("1.0")),
                ("Content-Type", Value::Text("text/plain; charset=utf-8")),
                ("Content-Transfer-Encoding", Value::Text("8bit")),
            ],
            body: "140 volontaires inscrits pour samedi. Rendez-vous 9 h devant la mairie.\n",
        },
        // The key record is flagged t=y.
        signatures: &[signed(KeyId::Volunteers, 1)],
        received: Some(Hop::GoogleMx {
            host: "smtp.volunteers.example",
            ip: "37.59.20.8",
            rcpt: TEAM_AT,
            at: 3,
            id: MxId::FromHost,
        }),
        envelope: ("coordination@volunteers.example", 3),
        tamper: Tamper::None,
        check: Check::Pass,
        row: Row {
            what: "authentic: key record flagged `t=y` (testing)",
            dkim: "pass, `testing` true",
            findings: "`dkim-testing-key` (low)",
            verdict: "verified",
        },
    },
    // 8
    Case {
        time: utc(2017, 4, 29, 20, 10, 0),
        mail: Mail::Webmail(Webmail {
            seed: "julien-0429",
            to: CLAIRE,
            subject: "Ce soir",
            text: "Claire, on se voit au QG demain à 8 h ? Julien\n",
        }),
        // The retired 1024-bit key whose private half the provider later published.
        signatures: &[signed(KeyId::Mail2012, 1)],
        received: Some(Hop::GoogleMx {
            host: "out.mail.example",
            ip: "87.98.150.20",
            rcpt: CLAIRE_AT,
            at: 2,
            id: MxId::FromHost,
        }),
        envelope: (JULIEN_AT, 2),
        tamper: Tamper::None,
        check: Check::Pass,
        row: Row {
            what: "authentic: personal webmail signed with mail.example's retired RSA-1024 key `20120113`, whose private half is marked published in the keymap: anyone could have made this signature",
            dkim: "pass, key annotated `private-key-published=2019-06-01`",
            findings: "`dkim-key-published` (high)",
            verdict: "suspicious",
        },
    },
    // 9
    Case {
        time: utc(2017, 4, 30, 6, 15, 0),
        mail: Mail::Webmail(Webmail {
            seed: "julien-0430",
            to: LEA,
            subject: "Tracts",
            text: "Léa, les tracts sont chez moi, je les apporte lundi. Julien\n",
        }),
        signatures: &[signed(KeyId::Mail2016, 1)],
        received: Some(Hop::GoogleMx {
            host: "out.mail.example",
            ip: "87.98.150.21",
            rcpt: LEA_AT,
            at: 2,
            id: MxId::FromHost,
        }),
        envelope: (JULIEN_AT, 2),
        tamper: Tamper::None,
        check: Check::Pass,
        row: Row {
            what: "authentic: personal webmail, rsa-sha256 relaxed/relaxed, RSA-2048",
            dkim: "pass",
            findings: "none above info",
            verdict: "verified",
        },
    },
    // 10
    Case {
        time: utc(2017, 5, 1, 10, 0, 0),
        mail: Mail::Webmail(Webmail {
            seed: "julien-0501",
            to: PAUL,
            subject: "Facture salle",
            text: "Paul, la facture de la salle est arrivée : 1 200 EUR. Julien\n",
        }),
        // x= three days after t=: valid at receipt, expired today.
        signatures: &[Sig {
            expires: Some(3 * DAY),
            ..signed(KeyId::Mail2016, 1)
        }],
        received: Some(Hop::GoogleMx {
            host: "out.mail.example",
            ip: "87.98.150.20",
            rcpt: PAUL_AT,
            at: 2,
            id: MxId::FromHost,
        }),
        envelope: (JULIEN_AT, 2),
        tamper: Tamper::None,
        // mail-auth judges x= against the wall clock.
        check: Check::Skip,
        row: Row {
            what: "authentic with `x=` three days after `t=`: valid as of its receipt (the top Received), expired as of today",
            dkim: "pass, `expired_as_of` false as of the receipt time (true if judged now)",
            findings: "none above info",
            verdict: "verified",
        },
    },
    // 11
    Case {
        time: utc(2017, 5, 2, 7, 30, 0),
        mail: Mail::Gmail(Gmail {
            seed: "virement",
            from: CLAIRE,
            to: PAUL,
            subject: "Virement imprimeur",
            reply_to: None,
            text: "Paul,\n\nMerci de virer 2 340 EUR à l'imprimeur avant jeudi.\n\nClaire\n",
            attachments: &[],
        }),
        signatures: &[signed(KeyId::Campaign2017, 1)],
        received: Some(Hop::GoogleInternal {
            seed: "virement",
            at: 2,
        }),
        envelope: (CLAIRE_AT, 2),
        tamper: Tamper::EditText(
            "virer 2 340 EUR à l'imprimeur",
            "virer 234 000 EUR sur le compte CY17 0020 0128",
        ),
        check: Check::Fail,
        row: Row {
            what: "altered: body edited after signing (the amount and the payee of a transfer)",
            dkim: "body-modified (`header_signature_valid` true, `body_hash_valid` false)",
            findings: "`dkim-body-modified` (high)",
            verdict: "tampered",
        },
    },
    // 12
    Case {
        time: utc(2017, 5, 2, 13, 14, 0),
        mail: Mail::Gmail(Gmail {
            seed: "notes",
            from: LEA,
            to: CLAIRE,
            subject: "Notes de la réunion",
            reply_to: None,
            text: "Claire,\n\nLes notes de la réunion de ce matin : budget validé, tournée confirmée.\n\nLéa\n",
            attachments: &[],
        }),
        signatures: &[signed(KeyId::Campaign2017, 1)],
        received: Some(Hop::GoogleInternal {
            seed: "notes",
            at: 2,
        }),
        envelope: (LEA_AT, 2),
        tamper: Tamper::Replace(
            "Subject: Notes de la réunion\n",
            "Subject: Notes de la réunion - à détruire après lecture\n",
        ),
        check: Check::Fail,
        row: Row {
            what: "altered: the signed Subject edited after signing",
            dkim: "headers-modified (`header_signature_valid` false, `body_hash_valid` true)",
            findings: "`dkim-headers-modified` (high)",
            verdict: "tampered",
        },
    },
    // 13
    Case {
        time: utc(2017, 5, 2, 15, 2, 0),
        mail: Mail::Gmail(Gmail {
            seed: "consignes",
            from: LEA,
            to: TEAM,
            subject: "Consignes pour dimanche",
            reply_to: None,
            text: "Bonjour à tous,\n\nLes consignes pour dimanche suivront demain.\n\nLéa\n",
            attachments: &[],
        }),
        signatures: &[signed(KeyId::Campaign2017, 1)],
        received: Some(Hop::GoogleInternal {
            seed: "consignes",
            at: 2,
        }),
        envelope: (LEA_AT, 2),
        tamper: Tamper::InsertBelowTop(
            "From",
            "Direction de campagne <direction@campaign.example>",
        ),
        // mail-auth passes it: the extra From is not signed and DKIM signs the bottom-most.
        check: Check::Pass,
        row: Row {
            what: "altered: a second `From:` (Direction de campagne) injected above the signed one; mail clients show the injected one",
            dkim: "pass of the bottom-most From only (a stock verifier says pass)",
            findings: "`duplicate-from` (high), `dkim-injected-header` (high)",
            verdict: "tampered",
        },
    },
    // 14
    Case {
        time: utc(2017, 5, 4, 5, 0, 0),
        mail: Mail::Newsletter(Newsletter {
            seed: "lettre-0504",
            subject: "La Lettre du 4 mai",
            news: "Last meeting before the vote: Paris, Thursday 19:00.\n",
        }),
        signatures: &[Sig {
            canon: (Canon::Relaxed, Canon::Simple),
            body_length: true,
            ..signed(KeyId::News, 3)
        }],
        received: Some(Hop::GoogleMx {
            host: "mta1.news.example",
            ip: "185.41.10.7",
            rcpt: CLAIRE_AT,
            at: 43,
            id: MxId::FromHost,
        }),
        envelope: ("bounce-3@news.example", 43),
        tamper: Tamper::Append(
            "\nP.S. Le candidat a un compte aux Bahamas, voir https://leak.example.net/bahamas.pdf\n",
        ),
        // A stock verifier (measuring l= on the raw body) says pass.
        check: Check::Pass,
        row: Row {
            what: "altered: a paragraph appended after the `l=` limit of a newsletter",
            dkim: "pass of the signed part, `unsigned_body_bytes` > 0 (the appended paragraph)",
            findings: "`dkim-unsigned-tail` (high)",
            verdict: "tampered",
        },
    },
    // 15
    Case {
        time: utc(2017, 5, 4, 8, 0, 0),
        mail: Mail::Fields {
            fields: &[
                (
                    "Received",
                    Value::Received(Hop::Postfix {
                        from: "relay.example.net (relay.example.net [10.12.0.5])",
                        by: "mx.example.org",
                        with: "ESMTP",
                        id: "7D8E9F0A1B",
                        rcpt: Some(PAUL_AT),
                        at: 120,
                    }),
                ),
                (
                    "Received",
                    Value::Received(Hop::Postfix {
                        from: "smtp.example.com (smtp.example.com [93.184.216.40])",
                        by: "relay.example.net",
                        with: "ESMTP",
                        id: "2B3C4D5E6F",
                        rcpt: None,
                        at: 900,
                    }),
                ),
                (
                    "Received",
                    Value::Received(Hop::Postfix {
                        from: "[10.0.1.23] (unknown [10.0.1.23])",
                        by: "mail.example.org",
                        with: "ESMTPSA",
                        id: "0A1B2C3D4E",
                        rcpt: None,
                        at: 30,
                    }),
                ),
                (
                    "From",
                    Value::Text("Hugo Bernard <hugo.bernard@campaign.example>"),
                ),
                ("To", Value::Text(PAUL)),
                ("Subject", Value::Text("Nouveaux identifiants du serveur")),
                ("Date", Value::Date),
                ("Message-ID", Value::Uuid("serveur", "campaign.example")),
                ("User-Agent", Value::Text(THUNDERBIRD_LINUX)),
                ("MIME-Version", Value::Text("1.0")),
                ("Content-Type", Value::Text(FLOWED)),
                ("Content-Transfer-Encoding", Value::Text("8bit")),
            ],
            body: "Paul,\n\nLes nouveaux identifiants : admin / Campagne2017!\n\nHugo\n",
        },
        signatures: &[],
        received: None,
        envelope: ("hugo.bernard@campaign.example", 120),
        tamper: Tamper::None,
        check: Check::Skip,
        row: Row {
            what: "forged routing (unsigned): the middle hop's `from smtp.example.com` does not match the `by mail.example.org` of the hop below; times go backwards (the middle hop is dated after the top one); the top hop claims the public relay relay.example.net but was recorded from the private address 10.12.0.5. Hosts are under example.com/.net/.org because the checks find no organisation in `.example` names",
            dkim: "none",
            findings: "`received-out-of-order` (medium), `received-hop-mismatch` (low), `received-private-address` (low)",
            verdict: "suspicious",
        },
    },
    // 16
    Case {
        time: AGENDA_TIME,
        // Message 0's seed: its Message-ID, headers and boundary.
        mail: Mail::Gmail(Gmail {
            seed: "agenda",
            from: CLAIRE,
            to: TEAM,
            subject: "Agenda for Thursday",
            reply_to: None,
            text: "Hello all,\n\nThe agenda for Thursday is below. Destroy the donor list after the meeting.\n\nClaire\n",
            attachments: &[],
        }),
        signatures: &[],
        received: Some(Hop::GoogleInternal {
            seed: "agenda",
            at: 2,
        }),
        envelope: (CLAIRE_AT, 2),
        tamper: Tamper::None,
        check: Check::Skip,
        row: Row {
            what: "altered copy: the Message-ID, headers and Gmail boundary of 0 with a new body, and no signature",
            dkim: "none",
            findings: "`duplicate-message-id` (high: this copy does not verify, 0 does)",
            verdict: "suspicious",
        },
    },
    // 17
    Case {
        time: utc(2017, 4, 28, 8, 0, 0),
        mail: Mail::Fields {
            fields: &[
                (
                    "Received",
                    Value::Received(Hop::GoogleInternal {
                        seed: "backdated",
                        at: 3,
                    }),
                ),
                ("From", Value::Text(PAUL)),
                ("To", Value::Text(CLAIRE)),
                ("Subject", Value::Text("RE: Budget des réunions")),
                ("Date", Value::Date),
                ("Message-ID", Value::OutlookId("backdated")),
                // Message 4, dated after this reply.
                ("In-Reply-To", Value::OutlookId("budget")),
                ("References", Value::OutlookId("budget")),
                ("MIME-Version", Value::Text("1.0")),
                ("Content-Type", Value::Text("text/plain; charset=\"utf-8\"")),
                ("Content-Transfer-Encoding", Value::Text("8bit")),
                ("X-Mailer", Value::Text("Microsoft Outlook 16.0")),
            ],
            body: "Claire,\n\nAjoute 50 000 EUR en liquide au budget, comme convenu avec qui tu sais.\n\nPaul\n",
        },
        signatures: &[],
        received: None,
        envelope: (PAUL_AT, 3),
        tamper: Tamper::None,
        check: Check::Skip,
        row: Row {
            what: "back-dated reply (unsigned): dated 28 April, In-Reply-To message 4 of 2 May",
            dkim: "none",
            findings: "`reply-before-parent` (medium)",
            verdict: "suspicious",
        },
    },
    // 18
    Case {
        time: utc(2017, 5, 3, 14, 22, 0),
        mail: Mail::Fields {
            fields: &[
                (
                    "Received",
                    Value::Received(Hop::Postfix {
                        from: "[192.168.1.40] (88-170-12-35.isp.partner.example [88.170.12.35])",
                        by: "smtp.partner.example",
                        with: "ESMTPSA",
                        id: "5A6B7C8D9E",
                        rcpt: Some(CLAIRE_AT),
                        at: 1,
                    }),
                ),
                ("To", Value::Text(CLAIRE)),
                (
                    "From",
                    Value::Text("Marc Lefèvre <marc.lefevre@partner.example>"),
                ),
                ("Subject", Value::Text("Re: Paiement")),
                ("Message-ID", Value::Uuid("paiement", "partner.example")),
                ("Date", Value::Date),
                ("User-Agent", Value::Text(THUNDERBIRD_WINDOWS)),
                ("MIME-Version", Value::Text("1.0")),
                // Never in the dump.
                ("In-Reply-To", Value::GmailId("never-in-the-dump")),
                ("References", Value::GmailId("never-in-the-dump")),
                ("Content-Type", Value::Text(FLOWED)),
                ("Content-Transfer-Encoding", Value::Text("8bit")),
            ],
            body: "Bien reçu, merci. Marc\n",
        },
        signatures: &[],
        received: None,
        envelope: ("marc.lefevre@partner.example", 1),
        tamper: Tamper::None,
        check: Check::Skip,
        row: Row {
            what: "reply (unsigned) whose In-Reply-To names a message missing from the dump",
            dkim: "none",
            findings: "`reply-to-missing` (info)",
            verdict: "unverified",
        },
    },
    // 19-21: Word attachments edited by one Russian-language editor within four minutes on
    // 27 April 2017, after the mails that carry them were dated (MacronLeaks pattern).
    // 19
    Case {
        time: utc(2017, 4, 26, 16, 2, 0),
        mail: Mail::Outlook(Outlook {
            seed: "tresorerie",
            from: PAUL,
            to: CLAIRE,
            subject: "Note de trésorerie",
            text: "Claire,\n\nLa note, à ne pas diffuser.\n\nPaul\n",
            submission: None,
            attachment: &Doc {
                file: "Note_tresorerie.docx",
                title: "Note de trésorerie",
                creator: "Paul Petit",
                editor: EDITOR,
                created: When::Before(DAY),
                modified: When::At(EDITS_BEGIN),
                company: "",
                language: "ru-RU",
                text: "Note de trésorerie : versements en espèces non déclarés.",
            },
        }),
        signatures: &[],
        received: Some(Hop::GoogleInternal {
            seed: "tresorerie",
            at: 2,
        }),
        envelope: (PAUL_AT, 2),
        tamper: Tamper::None,
        check: Check::Skip,
        row: Row {
            what: "attachment (unsigned Outlook mail): Note_tresorerie.docx last modified on 27 April 09:41:12 UTC, the day after the mail's Date, by `Рошка Георгий Петрович` (Cyrillic; not the sender), language ru-RU; first of four documents edited within four minutes",
            dkim: "none",
            findings: "`attachment-modified-after-date` (medium), `attachment-author-unrelated` (low), `attachment-edit-cluster` (medium)",
            verdict: "suspicious",
        },
    },
    // 20
    Case {
        time: utc(2017, 4, 25, 9, 20, 0),
        mail: Mail::Gmail(Gmail {
            seed: "prestataires",
            from: LEA,
            to: CLAIRE,
            subject: "Contrats et donateurs",
            reply_to: None,
            text: "Claire,\n\nCi-joint les deux documents.\n\nLéa\n",
            attachments: &[
                Doc {
                    file: "Contrats_prestataires.docx",
                    title: "Contrats prestataires",
                    creator: "Alain Durand",
                    editor: EDITOR,
                    created: When::Before(20 * DAY),
                    modified: When::At(EDITS_BEGIN + 53),
                    company: "",
                    language: "ru-RU",
                    text: "Contrats prestataires : commissions versées à des sociétés écrans.",
                },
                Doc {
                    file: "Liste_donateurs.docx",
                    title: "Liste des donateurs",
                    creator: "Alain Durand",
                    editor: EDITOR,
                    created: When::Before(9 * DAY),
                    modified: When::At(EDITS_BEGIN + 148),
                    company: "",
                    language: "ru-RU",
                    text: "Liste des donateurs étrangers.",
                },
            ],
        }),
        signatures: &[],
        received: Some(Hop::GoogleInternal {
            seed: "prestataires",
            at: 2,
        }),
        envelope: (LEA_AT, 2),
        tamper: Tamper::None,
        check: Check::Skip,
        row: Row {
            what: "attachments (unsigned G Suite-shaped mail): two .docx created by `Alain Durand` (unrelated to the sender Léa Dubois), last modified two days after the mail's Date by `Рошка Георгий Петрович` at 09:42:05 and 09:43:40 UTC on 27 April",
            dkim: "none",
            findings: "`attachment-modified-after-date` (medium), `attachment-author-unrelated` (low), `attachment-edit-cluster` (medium)",
            verdict: "suspicious",
        },
    },
    // 21
    Case {
        time: utc(2017, 4, 27, 6, 30, 0),
        mail: Mail::Gmail(Gmail {
            seed: "sondage",
            from: CLAIRE,
            to: TEAM,
            subject: "Rapport sondage",
            reply_to: None,
            text: "Le rapport du sondage interne.\n\nClaire\n",
            attachments: &[Doc {
                file: "Rapport_sondage.docx",
                title: "Rapport sondage interne",
                creator: "Claire Martin",
                editor: EDITOR,
                created: When::Before(2 * DAY),
                modified: When::At(EDITS_BEGIN + 219),
                company: "",
                language: "ru-RU",
                text: "Sondage interne : résultats truqués.",
            }],
        }),
        signatures: &[],
        received: Some(Hop::GoogleInternal {
            seed: "sondage",
            at: 2,
        }),
        envelope: (CLAIRE_AT, 2),
        tamper: Tamper::None,
        check: Check::Skip,
        row: Row {
            what: "attachment (unsigned G Suite-shaped mail): Rapport_sondage.docx created by the sender but last modified 3 hours after the mail's Date (09:44:51 UTC) by `Рошка Георгий Петрович`; the fourth document of the cluster",
            dkim: "none",
            findings: "`attachment-modified-after-date` (medium), `attachment-edit-cluster` (medium)",
            verdict: "suspicious",
        },
    },
];

/// The mbox quirks after the cases: unsigned internal mail stored as given, separator line
/// included.
const QUIRKS: &[Quirk] = &[
    Quirk {
        // The writer did not quote a body line starting with "From ".
        stored: Stored::Raw(
            "From press@campaign.example Wed May  3 08:00:00 2017\nFrom: Press <press@campaign.example>\nDate: Wed, 3 May 2017 08:00:00 +0200\nMessage-ID: <press-0503@campaign.example>\nSubject: Quote of the day\n\nThe candidate said:\n\nFrom Paris to Marseille, we will be there.\n\n",
        ),
        what: "mbox quirk, unsigned internal mail: a body line `From Paris to Marseille` left unquoted by the writer",
        found: "reader anomaly `unquoted-from-line`; finding `unquoted-from-line` (info)",
    },
    Quirk {
        // mboxcl2 style: the body keeps its From line unquoted.
        stored: Stored::ContentLength {
            head: "From ops@campaign.example Wed May  3 09:30:00 2017\nFrom: Ops <ops@campaign.example>\nDate: Wed, 3 May 2017 09:30:00 +0200\nMessage-ID: <ops-0503@campaign.example>\nSubject: Nightly log\n",
            body: "Forwarded log:\n\nFrom ops@campaign.example Wed May  3 09:00:00 2017\nstatus: ok\n",
        },
        what: "mbox quirk, unsigned internal mail: a `Content-Length` message (mboxcl2) whose body holds an unquoted `From ` line that must not split it",
        found: "format `mboxcl2`, no anomaly",
    },
    Quirk {
        // CRLF line endings inside the LF file, and no blank line before the next separator.
        stored: Stored::Raw(
            "From it@campaign.example Thu May  4 11:00:00 2017\r\nFrom: IT <it@campaign.example>\r\nDate: Thu, 4 May 2017 11:00:00 +0200\r\nMessage-ID: <it-0504@campaign.example>\r\nSubject: Password reset\r\n\r\nPlease reset your password.\r\n",
        ),
        what: "mbox quirk, unsigned internal mail stored with CRLF line endings inside the LF file, followed by a Thunderbird separator (`From - ...`) without a blank line",
        found: "reader anomaly `separator-without-blank-line`",
    },
    Quirk {
        stored: Stored::Raw(
            "From - Fri May  5 07:45:00 2017\nFrom: Claire Martin <claire.martin@campaign.example>\nDate: Fri, 5 May 2017 07:45:00 +0200\nMessage-ID: <20170505074500.9f9f@campaign.example>\nSubject: Last one\n\nThe file ends inside this line",
        ),
        what: "mbox quirk, unsigned internal mail: the last message, without final newline, after a Thunderbird separator",
        found: "reader anomaly `no-final-newline`",
    },
];

// ---------------------------------------------------------------------------------------
// What a case is

/// One message of the dump. Every time in it is in seconds after `time`, except `When::At`.
struct Case {
    /// The mail's `Date`, Unix seconds.
    time: i64,
    /// The mail as its sender's software wrote it.
    mail: Mail,
    /// DKIM signatures, top first (none: unsigned). Each covers the header fields present
    /// then, in a signer's usual order (`signed_names`).
    signatures: &'static [Sig],
    /// The `Received` field the receiving server adds on top, after signing.
    received: Option<Hop>,
    /// The envelope sender of the `From ` line, and its time.
    envelope: (&'static str, i64),
    /// What was done to the stored copy afterwards.
    tamper: Tamper,
    /// What mail-auth must say, under the records of the signing keys, before anything is
    /// written.
    check: Check,
    /// The message's row of the manifest.
    row: Row,
}

/// A kind of mail, with what varies between messages of that kind.
enum Mail {
    Gmail(Gmail),
    Outlook(Outlook),
    Newsletter(Newsletter),
    Webmail(Webmail),
    /// Any other mail: its header fields in order, and its body.
    Fields {
        fields: &'static [(&'static str, Value)],
        body: &'static str,
    },
}

/// G Suite (Gmail web) mail of campaign.example: Gmail Message-ID and boundary,
/// multipart/alternative (inside a multipart/mixed when there are attachments), the HTTP
/// submission hop on top.
struct Gmail {
    /// Seeds the Message-ID, the boundaries and the hop.
    seed: &'static str,
    from: &'static str,
    to: &'static str,
    subject: &'static str,
    /// The seed of the Gmail message this one replies to (In-Reply-To, References).
    reply_to: Option<&'static str>,
    text: &'static str,
    attachments: &'static [Doc],
}

/// Outlook 16 mail of campaign.example (sent through G Suite): `$` Message-ID,
/// `----=_NextPart_` boundary, one Word document attached.
struct Outlook {
    seed: &'static str,
    from: &'static str,
    to: &'static str,
    subject: &'static str,
    text: &'static str,
    /// The submission hop on top, if the mail went out through Gmail's SMTP server.
    submission: Option<Hop>,
    attachment: &'static Doc,
}

/// A list newsletter of news.example to Claire: the subject, a line of news, the unsubscribe
/// footer.
struct Newsletter {
    seed: &'static str,
    subject: &'static str,
    news: &'static str,
}

/// Julien's personal webmail at mail.example: plain text.
struct Webmail {
    seed: &'static str,
    to: &'static str,
    subject: &'static str,
    text: &'static str,
}

/// The value of a header field of `Mail::Fields`.
enum Value {
    Text(&'static str),
    /// The mail's time in Paris (RFC 5322).
    Date,
    Received(Hop),
    /// The Gmail Message-ID of a seed.
    GmailId(&'static str),
    /// The Outlook Message-ID of a seed, at campaign.example.
    OutlookId(&'static str),
    /// A Thunderbird Message-ID: the UUID of a seed, at a domain.
    Uuid(&'static str, &'static str),
}

/// A `Received` field, dated `at` seconds after the mail's time.
enum Hop {
    /// Google passing G Suite mail to another G Suite user (`by 10.x.x.x with SMTP id ...`).
    GoogleInternal { seed: &'static str, at: i64 },
    /// Google's MX receiving from a named host.
    GoogleMx {
        host: &'static str,
        ip: &'static str,
        rcpt: &'static str,
        at: i64,
        id: MxId,
    },
    /// Gmail's SMTP submission server receiving from a desktop client.
    GmailSubmission {
        client: &'static str,
        rdns: &'static str,
        ip: &'static str,
        seed: &'static str,
        rcpt: &'static str,
        at: i64,
    },
    /// Another domain's Postfix receiving G Suite mail from Google's outbound servers.
    PostfixFromGoogle {
        seed: &'static str,
        mx: &'static str,
        rcpt: &'static str,
        at: i64,
    },
    /// A Postfix hop: `from FROM by BY (Postfix) with WITH id ID [for <RCPT>]; DATE`.
    Postfix {
        from: &'static str,
        by: &'static str,
        with: &'static str,
        id: &'static str,
        rcpt: Option<&'static str>,
        at: i64,
    },
}

/// The SMTP id of a Google MX hop.
enum MxId {
    /// Derived from the sending host and the time, ending in the year.
    FromHost,
    /// Derived from a seed, ending in the Pacific receipt time (`.2017.05.02.02.05.42`).
    Seeded(&'static str),
}

/// A DKIM signature.
#[derive(Clone, Copy)]
struct Sig {
    key: KeyId,
    /// Header and body canonicalization.
    canon: (Canon, Canon),
    /// `t=`, seconds after the mail's time.
    at: i64,
    /// `x=`, seconds after `t=`.
    expires: Option<i64>,
    /// `l=` with the length of the whole canonical body.
    body_length: bool,
}

/// A change to the stored copy after delivery.
enum Tamper {
    None,
    /// Text of the stored message replaced (every occurrence); it must occur.
    Replace(&'static str, &'static str),
    /// Body text edited: replaced as written and in its quoted-printable form; it must occur.
    EditText(&'static str, &'static str),
    /// A header field inserted right below the top one.
    InsertBelowTop(&'static str, &'static str),
    /// Text appended to the stored message.
    Append(&'static str),
}

/// How the generator checks a message with mail-auth, under the public records of the keys
/// that signed it, before writing it.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Check {
    /// Every signature must pass.
    Pass,
    /// At least one signature must fail.
    Fail,
    /// Not checked (unsigned, or judged against the wall clock by mail-auth).
    Skip,
}

/// A row of the manifest.
struct Row {
    what: &'static str,
    /// The expected `dkim[].result` per signature and the fields that matter.
    dkim: &'static str,
    /// The findings that must appear.
    findings: &'static str,
    verdict: &'static str,
}

/// A Word document attached to a mail (application `Microsoft Office Word` 16).
struct Doc {
    file: &'static str,
    title: &'static str,
    creator: &'static str,
    /// Who saved it last.
    editor: &'static str,
    created: When,
    modified: When,
    company: &'static str,
    language: &'static str,
    text: &'static str,
}

/// A time of a document's metadata.
enum When {
    /// Seconds before the mail's time.
    Before(i64),
    /// Unix seconds.
    At(i64),
}

/// A raw mbox quirk and its manifest row.
struct Quirk {
    stored: Stored,
    what: &'static str,
    /// What the reader or the checks must report.
    found: &'static str,
}

/// How a quirk is stored.
enum Stored {
    /// As given.
    Raw(&'static str),
    /// `head` (separator line and header fields), a `Content-Length` field with the length of
    /// `body`, the blank line, `body` and the blank line that ends the message.
    ContentLength {
        head: &'static str,
        body: &'static str,
    },
}

// ---------------------------------------------------------------------------------------
// The interpreter

/// A message ready to be checked and written.
struct Item {
    envelope: String,
    /// The message as delivered and then tampered with (LF line endings, not yet quoted).
    text: String,
    check: Check,
    /// The (name, record) pairs of the keys that signed it.
    records: Vec<(String, String)>,
    row: &'static Row,
}

/// Every case of the table, in order.
fn build(keys: &[Key]) -> Vec<Item> {
    CASES.iter().map(|case| build_case(case, keys)).collect()
}

/// One case: the mail as written, signed (the last signature first, so that the first ends
/// up on top), delivered (the top `Received`), then tampered with.
fn build_case(case: &'static Case, keys: &[Key]) -> Item {
    let t = case.time;
    let (mut h, body) = case.mail.write(t);
    for sig in case.signatures.iter().rev() {
        let value = sig.sign(&h, &body, t, keys);
        h.insert(0, ("DKIM-Signature".to_string(), value));
    }
    if let Some(hop) = &case.received {
        h.insert(0, ("Received".to_string(), hop.render(t)));
    }
    let text = case.tamper.apply(h, &body);
    let records = case
        .signatures
        .iter()
        .map(|s| {
            let k = s.key.of(keys);
            (k.name.clone(), k.record.clone())
        })
        .collect();
    Item {
        envelope: format!("From {} {}", case.envelope.0, asctime(t + case.envelope.1)),
        text,
        check: case.check,
        records,
        row: &case.row,
    }
}

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

impl Mail {
    /// Header fields and body, as written at `t`.
    fn write(&self, t: i64) -> (Fields, String) {
        match self {
            Mail::Gmail(m) => m.write(t),
            Mail::Outlook(m) => m.write(t),
            Mail::Newsletter(m) => m.write(t),
            Mail::Webmail(m) => m.write(t),
            Mail::Fields { fields, body } => {
                let h = fields
                    .iter()
                    .map(|(name, value)| (name.to_string(), value.render(t)))
                    .collect();
                (h, body.to_string())
            }
        }
    }
}

impl Value {
    fn render(&self, t: i64) -> String {
        match self {
            Value::Text(s) => s.to_string(),
            Value::Date => paris_date(t),
            Value::Received(hop) => hop.render(t),
            Value::GmailId(seed) => gmail_id(seed),
            Value::OutlookId(seed) => outlook_id(seed, "campaign.example"),
            Value::Uuid(seed, domain) => format!("<{}@{domain}>", uuid(seed)),
        }
    }
}

impl Hop {
    /// The field's value, for a mail written at `t`.
    fn render(&self, t: i64) -> String {
        match *self {
            Hop::GoogleInternal { seed, at } => format!(
                "by {} with SMTP id {};\n        {}",
                private_ip(&format!("{seed}/rx")),
                smtp_id(seed),
                google_date(t + at)
            ),
            Hop::GoogleMx {
                host,
                ip,
                rcpt,
                at,
                ref id,
            } => {
                let t = t + at;
                let id = match id {
                    MxId::FromHost => format!(
                        "{}.{}.2017",
                        smtp_id(&format!("{host}{t}")),
                        20 + hash_of(host)[0] % 70
                    ),
                    MxId::Seeded(seed) => {
                        let (y, mo, d, h, mi, s, _) = civil(t, pacific(t).0);
                        format!(
                            "{}.{}.{y}.{mo:02}.{d:02}.{h:02}.{mi:02}.{s:02}",
                            smtp_id(seed),
                            20 + hash_of(seed)[9] % 70
                        )
                    }
                };
                format!(
                    "from {host} ({host}. [{ip}])\n        by mx.google.com with ESMTPS id {id}\n        for <{rcpt}>;\n        {}",
                    google_date(t)
                )
            }
            Hop::GmailSubmission {
                client,
                rdns,
                ip,
                seed,
                rcpt,
                at,
            } => format!(
                "from {client} ({rdns} [{ip}])\n        by smtp.gmail.com with ESMTPSA id {}\n        for <{rcpt}>\n        (version=TLS1_2 cipher=ECDHE-RSA-AES128-GCM-SHA256 bits=128/128);\n        {}",
                smtp_id(seed),
                google_date(t + at)
            ),
            Hop::PostfixFromGoogle { seed, mx, rcpt, at } => {
                let n = 128 + hash_of(seed)[0] % 64;
                postfix_hop(
                    &format!(
                        "mail-wr0-f{n}.google.com (mail-wr0-f{n}.google.com [209.85.128.{n}])"
                    ),
                    mx,
                    "ESMTPS",
                    &format!("3w{}", upper_hex(seed, 9)),
                    Some(rcpt),
                    t + at,
                )
            }
            Hop::Postfix {
                from,
                by,
                with,
                id,
                rcpt,
                at,
            } => postfix_hop(from, by, with, id, rcpt, t + at),
        }
    }
}

/// A Postfix `Received` value.
fn postfix_hop(from: &str, by: &str, with: &str, id: &str, rcpt: Option<&str>, t: i64) -> String {
    let rcpt = rcpt.map(|r| format!("\n\tfor <{r}>")).unwrap_or_default();
    format!(
        "from {from}\n\tby {by} (Postfix) with {with} id {id}{rcpt}; {}",
        postfix_date(t)
    )
}

impl Sig {
    /// The `DKIM-Signature` value over the fields and body of a mail written at `t`.
    fn sign(&self, h: &Fields, body: &str, t: i64, keys: &[Key]) -> String {
        let key = self.key.of(keys);
        let (selector, domain) = key
            .name
            .split_once("._domainkey.")
            .expect("key names are selector._domainkey.domain");
        let names = signed_names(h);
        let time = t + self.at;
        signer::sign(
            h,
            body,
            &Spec {
                domain,
                selector,
                key: &key.key,
                header_canon: self.canon.0,
                body_canon: self.canon.1,
                headers: &names,
                time,
                expires: self.expires.map(|x| time + x),
                body_length: self.body_length,
            },
        )
    }
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

impl Tamper {
    /// The stored message: the delivered fields and body, tampered with.
    fn apply(&self, mut h: Fields, body: &str) -> String {
        let changed = |before: String, after: String| {
            assert_ne!(before, after, "the tampering changes nothing");
            after
        };
        match *self {
            Tamper::None => render(&h, body),
            Tamper::Replace(from, to) => {
                let before = render(&h, body);
                let after = before.replace(from, to);
                changed(before, after)
            }
            Tamper::EditText(from, to) => {
                let before = render(&h, body);
                let after = before.replace(from, to).replace(&qp(from), &qp(to));
                changed(before, after)
            }
            Tamper::InsertBelowTop(name, value) => {
                h.insert(1, (name.to_string(), value.to_string()));
                render(&h, body)
            }
            Tamper::Append(text) => render(&h, body) + text,
        }
    }
}

impl Doc {
    /// The .docx of a document attached to a mail written at `t`.
    fn bytes(&self, t: i64) -> Vec<u8> {
        let time = |w: &When| match *w {
            When::Before(s) => w3c(t - s),
            When::At(at) => w3c(at),
        };
        docx::docx(&docx::DocMeta {
            title: self.title,
            creator: self.creator,
            last_modified_by: self.editor,
            created: &time(&self.created),
            modified: &time(&self.modified),
            application: "Microsoft Office Word",
            app_version: "16.0000",
            company: self.company,
            language: self.language,
            text: self.text,
        })
    }
}

impl Stored {
    fn text(&self) -> String {
        match self {
            Stored::Raw(text) => text.to_string(),
            Stored::ContentLength { head, body } => {
                format!("{head}Content-Length: {}\n\n{body}\n", body.len())
            }
        }
    }
}

impl Gmail {
    fn write(&self, t: i64) -> (Fields, String) {
        let Gmail {
            seed,
            from,
            to,
            subject,
            reply_to,
            text,
            attachments,
        } = *self;
        let boundary = gmail_boundary(seed, t);
        let mut h = fields(&[
            (
                "Received",
                &format!("by {} with HTTP; {}", private_ip(seed), google_date(t)),
            ),
            ("MIME-Version", "1.0"),
        ]);
        if let Some(parent) = reply_to.map(gmail_id) {
            h.push(("In-Reply-To".into(), parent.clone()));
            h.push(("References".into(), parent));
        }
        h.extend(fields(&[
            ("From", from),
            ("Date", &paris_date(t)),
            ("Message-ID", &gmail_id(seed)),
            ("Subject", subject),
            ("To", to),
        ]));
        let html: String = text
            .trim_end()
            .split("\n\n")
            .map(|p| format!("<div>{}</div>", p.replace('\n', "<br>")))
            .collect::<Vec<_>>()
            .join("<div><br></div>");
        let alternative = format!(
            "Content-Type: text/plain; charset=\"UTF-8\"\nContent-Transfer-Encoding: quoted-printable\n\n{}\n",
            qp(text)
        );
        let html_part = format!(
            "Content-Type: text/html; charset=\"UTF-8\"\nContent-Transfer-Encoding: quoted-printable\n\n{}\n",
            qp(&format!("<div dir=\"ltr\">{html}</div>"))
        );
        let body = if attachments.is_empty() {
            h.push((
                "Content-Type".into(),
                format!("multipart/alternative; boundary=\"{boundary}\""),
            ));
            format!("--{boundary}\n{alternative}--{boundary}\n{html_part}--{boundary}--\n")
        } else {
            let inner = gmail_boundary(&format!("{seed}/alt"), t);
            h.push((
                "Content-Type".into(),
                format!("multipart/mixed; boundary=\"{boundary}\""),
            ));
            let mut b = format!(
                "--{boundary}\nContent-Type: multipart/alternative; boundary=\"{inner}\"\n\n--{inner}\n{alternative}--{inner}\n{html_part}--{inner}--\n"
            );
            for (i, doc) in attachments.iter().enumerate() {
                b.push_str(&attachment_part(
                    &boundary,
                    doc.file,
                    &doc.bytes(t),
                    Some(&format!("f_j2{}{i}", hex(seed, 6))),
                ));
            }
            b.push_str(&format!("--{boundary}--\n"));
            b
        };
        (h, body)
    }
}

impl Outlook {
    fn write(&self, t: i64) -> (Fields, String) {
        let Outlook {
            seed,
            from,
            to,
            subject,
            text,
            ref submission,
            attachment: doc,
        } = *self;
        let boundary = outlook_boundary(seed);
        let mut h = Fields::new();
        if let Some(hop) = submission {
            h.push(("Received".into(), hop.render(t)));
        }
        h.extend(fields(&[
            ("From", from),
            ("To", to),
            ("Subject", subject),
            ("Date", &paris_date(t)),
            ("Message-ID", &outlook_id(seed, "campaign.example")),
            ("MIME-Version", "1.0"),
            (
                "Content-Type",
                &format!("multipart/mixed;\n\tboundary=\"{boundary}\""),
            ),
            ("X-Mailer", "Microsoft Outlook 16.0"),
            ("Content-Language", "fr"),
        ]));
        let mut body = format!(
            "This is a multipart message in MIME format.\n\n--{boundary}\nContent-Type: text/plain;\n\tcharset=\"utf-8\"\nContent-Transfer-Encoding: quoted-printable\n\n{}\n",
            qp(text)
        );
        body.push_str(&attachment_part(&boundary, doc.file, &doc.bytes(t), None));
        body.push_str(&format!("--{boundary}--\n"));
        (h, body)
    }
}

/// A base64 Word attachment part, with Gmail's `X-Attachment-Id` if given.
fn attachment_part(boundary: &str, name: &str, data: &[u8], id: Option<&str>) -> String {
    let id = id
        .map(|id| format!("X-Attachment-Id: {id}\n"))
        .unwrap_or_default();
    let mut s = format!(
        "--{boundary}\nContent-Type: application/vnd.openxmlformats-officedocument.wordprocessingml.document; \n\tname=\"{name}\"\nContent-Disposition: attachment; \n\tfilename=\"{name}\"\nContent-Transfer-Encoding: base64\n{id}\n"
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

impl Newsletter {
    fn write(&self, t: i64) -> (Fields, String) {
        let Newsletter {
            seed,
            subject,
            news,
        } = *self;
        let h = fields(&[
            (
                "Received",
                &postfix_hop(
                    "app3.news.example (app3.news.example [10.8.0.3])",
                    "mta1.news.example",
                    "ESMTP",
                    &upper_hex(seed, 10),
                    Some(CLAIRE_AT),
                    t + 2,
                ),
            ),
            ("From", "La Lettre <lettre@news.example>"),
            ("To", CLAIRE),
            ("Subject", subject),
            ("Date", &paris_date(t)),
            (
                "Message-ID",
                &format!("<{}.{}@news.example>", t, hex(seed, 8)),
            ),
            ("List-Unsubscribe", "<mailto:unsubscribe-3@news.example>"),
            ("MIME-Version", "1.0"),
            ("Content-Type", "text/plain; charset=utf-8"),
            ("Content-Transfer-Encoding", "8bit"),
        ]);
        let body =
            format!("{subject}\n\n{news}\nTo unsubscribe: mailto:unsubscribe-3@news.example\n");
        (h, body)
    }
}

impl Webmail {
    fn write(&self, t: i64) -> (Fields, String) {
        let Webmail {
            seed,
            to,
            subject,
            text,
        } = *self;
        let h = fields(&[
            (
                "Received",
                &postfix_hop(
                    "webmail.mail.example (webmail.mail.example [10.20.0.8])",
                    "out.mail.example",
                    "ESMTPA",
                    &upper_hex(seed, 10),
                    None,
                    t,
                ),
            ),
            ("MIME-Version", "1.0"),
            ("Content-Type", "text/plain; charset=UTF-8"),
            ("Content-Transfer-Encoding", "8bit"),
            ("Date", &paris_date(t)),
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
// Time

/// Unix seconds of a UTC civil time.
const fn utc(y: i64, mo: i64, d: i64, h: i64, mi: i64, s: i64) -> i64 {
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

/// The Pacific offset in minutes and its zone (2017: daylight time from 12 March 10:00 UTC).
fn pacific(t: i64) -> (i64, &'static str) {
    if t >= utc(2017, 3, 12, 10, 0, 0) {
        (-420, "-0700 (PDT)")
    } else {
        (-480, "-0800 (PST)")
    }
}

/// Google's Received dates in Pacific time: `Mon, 01 May 2017 00:12:05 -0700 (PDT)`.
fn google_date(t: i64) -> String {
    let (off, zone) = pacific(t);
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

/// The `Date` of the campaign's mail and its correspondents': Paris time.
fn paris_date(t: i64) -> String {
    date(t, paris(t))
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

/// The sample's signing keys.
#[derive(Clone, Copy, PartialEq, Eq)]
enum KeyId {
    Campaign2016,
    Campaign2017,
    Mail2016,
    Mail2012,
    PartnerRsa,
    PartnerEd,
    News,
    LocalParty,
    Volunteers,
}

/// Where a key is (`examples/data/keys/`), the DNS name of its public record
/// (`selector._domainkey.domain`, which also gives `s=` and `d=`) and the record's flags.
struct KeyFile {
    id: KeyId,
    file: &'static str,
    name: &'static str,
    flags: &'static str,
}

const KEYS: [KeyFile; 9] = [
    KeyFile {
        id: KeyId::Campaign2016,
        file: "campaign-google-2016.pem",
        name: "google._domainkey.campaign.example",
        flags: "",
    },
    KeyFile {
        id: KeyId::Campaign2017,
        file: "campaign-google-2017.pem",
        name: "google._domainkey.campaign.example",
        flags: "",
    },
    KeyFile {
        id: KeyId::Mail2016,
        file: "mail-20161025.pem",
        name: "20161025._domainkey.mail.example",
        flags: "",
    },
    KeyFile {
        id: KeyId::Mail2012,
        file: "mail-20120113.pem",
        name: "20120113._domainkey.mail.example",
        flags: "",
    },
    KeyFile {
        id: KeyId::PartnerRsa,
        file: "partner-rsa2017.pem",
        name: "rsa2017._domainkey.partner.example",
        flags: "",
    },
    KeyFile {
        id: KeyId::PartnerEd,
        file: "partner-ed2017.pem",
        name: "ed2017._domainkey.partner.example",
        flags: "",
    },
    KeyFile {
        id: KeyId::News,
        file: "news-mc1.pem",
        name: "mc1._domainkey.news.example",
        flags: "",
    },
    KeyFile {
        id: KeyId::LocalParty,
        file: "localparty-old.pem",
        name: "old._domainkey.localparty.example",
        flags: "",
    },
    KeyFile {
        id: KeyId::Volunteers,
        file: "volunteers-test.pem",
        name: "test._domainkey.volunteers.example",
        flags: "t=y; ",
    },
];

/// A loaded key and its public record.
struct Key {
    id: KeyId,
    name: String,
    key: PrivateKey,
    record: String,
}

impl KeyId {
    fn of(self, keys: &[Key]) -> &Key {
        keys.iter()
            .find(|k| k.id == self)
            .expect("every key of KEYS is loaded")
    }
}

fn load_keys(dir: &Path) -> Vec<Key> {
    KEYS.iter()
        .map(|k| {
            let path = dir.join(k.file);
            let pem = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
            let key =
                PrivateKey::from_pem(&pem).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let record = key.public_record(k.flags);
            Key {
                id: k.id,
                name: k.name.to_string(),
                key,
                record,
            }
        })
        .collect()
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

    let keys = load_keys(&root.join("keys"));
    // Every derived public record must be in the committed keymap under its name.
    let keymap = std::fs::read_to_string(root.join("keys.keymap")).expect("read keys.keymap");
    for k in &keys {
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
        if item.check == Check::Skip {
            continue;
        }
        let r = verify::results(&item.text, &item.records);
        let all_pass = !r.is_empty() && r.iter().all(|x| x == "pass");
        match item.check {
            Check::Pass if !all_pass => {
                eprintln!("message {i}: mail-auth says {r:?}, expected every signature to pass");
                failed = true;
            }
            Check::Fail if r.is_empty() || all_pass => {
                eprintln!("message {i}: mail-auth says {r:?}, expected a failure");
                failed = true;
            }
            _ => {}
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
    for quirk in QUIRKS {
        dump.push_str(&quirk.stored.text());
    }
    std::fs::write(&out, &dump).unwrap_or_else(|e| panic!("write {}: {e}", out.display()));
    eprintln!(
        "wrote {} ({} messages)",
        out.display(),
        items.len() + QUIRKS.len()
    );

    if let Some(path) = manifest_out {
        let text = manifest(&items);
        std::fs::write(&path, text).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
        eprintln!("wrote {}", path.display());
    }
}

fn cell(s: &str) -> String {
    s.replace('|', "\\|")
}

fn manifest(items: &[Item]) -> String {
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
            cell(item.row.what),
            cell(item.row.dkim),
            cell(item.row.findings),
            item.row.verdict
        ));
    }
    for (j, quirk) in QUIRKS.iter().enumerate() {
        m.push_str(&format!(
            "| {} | {} | none | {} | unverified |\n",
            items.len() + j,
            cell(quirk.what),
            cell(quirk.found)
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
