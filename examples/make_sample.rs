//! Rebuild the bundled sample dump `examples/data/sample.mbox`.
//!
//! ```text
//! cargo run --example make_sample            # writes examples/data/sample.mbox
//! cargo run --example make_sample -- OUT     # writes OUT
//! ```
//!
//! The dump is a small synthetic "leak" of a fictional campaign (`campaign.example`), written
//! deterministically, that shows what the reader reports: mboxrd quoting, a Thunderbird-style
//! separator, a Content-Length message, an unquoted `From ` body line, a CRLF message inside an
//! LF file, an attachment, and a last message without final newline.

use std::fmt::Write as _;
use std::path::PathBuf;

struct Mail<'a> {
    from: &'a str,
    to: &'a str,
    date: &'a str,
    id: &'a str,
    subject: &'a str,
    extra: &'a str,
    body: &'a str,
}

fn render(m: &Mail<'_>) -> String {
    let mut s = String::new();
    let _ = write!(
        s,
        "From: {}\nTo: {}\nDate: {}\nMessage-ID: <{}>\nSubject: {}\n{}MIME-Version: 1.0\n",
        m.from, m.to, m.date, m.id, m.subject, m.extra
    );
    if !m.extra.contains("Content-Type") {
        s.push_str("Content-Type: text/plain; charset=utf-8\n");
    }
    s.push('\n');
    s.push_str(m.body);
    s
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

fn main() -> std::io::Result<()> {
    let out = std::env::args_os()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/data/sample.mbox")
        });
    let mails = [
        Mail {
            from: "Claire Martin <claire.martin@campaign.example>",
            to: "Team <team@campaign.example>",
            date: "Mon, 1 May 2017 09:12:03 +0200",
            id: "20170501091203.1a2b@campaign.example",
            subject: "Agenda for Thursday",
            extra: "",
            body: "Hello all,\n\nThe agenda for Thursday is attached below.\n\nFrom the press office: no statements before noon.\n\nClaire\n",
        },
        Mail {
            from: "=?UTF-8?Q?L=C3=A9a_Dubois?= <lea.dubois@campaign.example>",
            to: "Claire Martin <claire.martin@campaign.example>",
            date: "Mon, 1 May 2017 10:40:00 +0200",
            id: "20170501104000.77aa@campaign.example",
            subject: "=?UTF-8?Q?R=C3=A9union_de_jeudi?=",
            extra: "In-Reply-To: <20170501091203.1a2b@campaign.example>\n",
            body: "Bien reçu.\n\n>From your message: no statements before noon.\n\nLéa\n",
        },
        Mail {
            from: "Paul Petit <paul.petit@campaign.example>",
            to: "Claire Martin <claire.martin@campaign.example>",
            date: "Tue, 2 May 2017 18:05:47 +0200",
            id: "20170502180547.0c0c@campaign.example",
            subject: "Budget spreadsheet",
            extra: "Content-Type: multipart/mixed; boundary=\"b1\"\n",
            body: "--b1\nContent-Type: text/plain\n\nThe spreadsheet, as discussed.\n--b1\nContent-Type: application/octet-stream; name=\"budget.csv\"\nContent-Transfer-Encoding: base64\n\nbGluZSxhbW91bnQKZXZlbnRzLDEyMDAwCnRyYXZlbCw0NTAwCg==\n--b1--\n",
        },
    ];
    let mut dump = String::new();
    for (i, m) in mails.iter().enumerate() {
        let _ = writeln!(
            dump,
            "From {} Mon May  {} 10:00:00 2017",
            m.from
                .rsplit('<')
                .next()
                .unwrap_or("")
                .trim_end_matches('>'),
            i + 1
        );
        dump.push_str(&quote(&render(m)));
        dump.push('\n');
    }
    // A message whose writer did not quote a body line starting with "From ".
    dump.push_str("From press@campaign.example Wed May  3 08:00:00 2017\nFrom: Press <press@campaign.example>\nDate: Wed, 3 May 2017 08:00:00 +0200\nMessage-ID: <press-0503@campaign.example>\nSubject: Quote of the day\n\nThe candidate said:\n\nFrom Paris to Marseille, we will be there.\n\n");
    // A Content-Length message (mboxcl2 style: the body keeps its From line unquoted).
    let body = "Forwarded log:\n\nFrom ops@campaign.example Wed May  3 09:00:00 2017\nstatus: ok\n";
    let _ = write!(
        dump,
        "From ops@campaign.example Wed May  3 09:30:00 2017\nFrom: Ops <ops@campaign.example>\nDate: Wed, 3 May 2017 09:30:00 +0200\nMessage-ID: <ops-0503@campaign.example>\nSubject: Nightly log\nContent-Length: {}\n\n{}\n",
        body.len(),
        body
    );
    // A message stored with CRLF line endings inside an LF file, then a Thunderbird-style
    // separator without a blank line before it.
    dump.push_str("From it@campaign.example Thu May  4 11:00:00 2017\r\nFrom: IT <it@campaign.example>\r\nDate: Thu, 4 May 2017 11:00:00 +0200\r\nMessage-ID: <it-0504@campaign.example>\r\nSubject: Password reset\r\n\r\nPlease reset your password.\r\n");
    dump.push_str("From - Fri May  5 07:45:00 2017\nFrom: Claire Martin <claire.martin@campaign.example>\nDate: Fri, 5 May 2017 07:45:00 +0200\nMessage-ID: <20170505074500.9f9f@campaign.example>\nSubject: Last one\n\nThe file ends inside this line");
    std::fs::write(&out, dump)?;
    eprintln!("wrote {}", out.display());
    Ok(())
}
