//! A deterministic generator of realistic mbox dumps, shared by the criterion benches
//! (`benches/reader.rs`, `benches/scan.rs`) and the comparison script (through
//! `examples/gen_dump.rs`).
//!
//! Messages look like real mail as far as a reader is concerned: a `From ` separator line,
//! 1-3 KB of headers (folded `Received` chains, a DKIM signature, list headers, encoded
//! subjects), bodies from about 1 KB up to a configurable maximum drawn from a long-tailed
//! distribution, some multipart messages with base64 attachments, and body lines starting
//! with `From ` quoted as `>From ` (and a few `>>From `), as an mboxrd writer stores them.
//! Nothing here depends on the crate: the output is plain bytes, the same for a given seed
//! and profile on every machine.
//!
//! By default 40 % of the messages carry a DKIM-Signature field with random `bh=` and `b=`
//! (realistic for a reader, meaningless for a verifier). With [`Profile::signed_percent`] set,
//! that share is drawn instead, and each chosen message is handed to a [`Signer`] (the one that
//! signs for real is in `examples/gen_dump.rs`, on top of [`crate::signer`]); the others
//! carry no signature. The default profiles leave it unset and write the same bytes as before.

use std::io::{self, Write};

/// The shape of a generated dump.
#[derive(Debug, Clone, Copy)]
pub struct Profile {
    /// Stop after the first message that brings the dump to at least this many bytes.
    pub target_bytes: u64,
    /// Largest body (before the message framing), in bytes.
    pub max_body: usize,
    /// Share of multipart messages with a base64 attachment, in percent.
    pub multipart_percent: u32,
    /// PRNG seed.
    pub seed: u64,
    /// `None`: 40 % of the messages carry a fake DKIM-Signature (random `bh=`/`b=`).
    /// `Some(p)`: p % are handed to the [`Signer`] and the others carry no signature.
    pub signed_percent: Option<u32>,
}

impl Profile {
    /// The criterion corpus: bodies from 1 KB to a few hundred KB.
    pub fn bench(target_bytes: u64) -> Self {
        Profile {
            target_bytes,
            max_body: 384 * 1024,
            multipart_percent: 20,
            seed: 0x6d61_696c_736c_6575,
            signed_percent: None,
        }
    }

    /// The comparison dump: bodies from 1 KB to several MB.
    pub fn compare(target_bytes: u64, seed: u64) -> Self {
        Profile {
            target_bytes,
            max_body: 6 * 1024 * 1024,
            multipart_percent: 20,
            seed,
            signed_percent: None,
        }
    }
}

/// What was written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Messages written.
    pub messages: u64,
    /// Bytes written.
    pub bytes: u64,
    /// Body lines written quoted (`>From `, `>>From `).
    pub quoted_lines: u64,
    /// Multipart messages.
    pub multipart: u64,
    /// Sum of the stored lengths of the messages, as a reader reports them: from the first
    /// header byte up to and including the line ending of the last line, without the `From `
    /// separator line and without the empty line written after each message.
    pub message_bytes: u64,
}

/// Where a [`Signer`] may act in one generated message (offsets into the message buffer,
/// which starts with the `From ` separator line).
#[derive(Debug, Clone, Copy)]
pub struct SignSite {
    /// First byte of the first header field (after the separator line).
    pub fields_start: usize,
    /// Where a DKIM-Signature field goes: below the `Received` chain, above the rest.
    pub at: usize,
    /// The empty line that ends the header block (its `\n`); the body starts after it.
    pub header_end: usize,
}

/// Signs the messages chosen by [`Profile::signed_percent`].
pub trait Signer {
    /// Insert a DKIM-Signature field at `site.at` (and alter the message after signing if
    /// the signer wants a tampered copy). `msg` holds the separator line, the header block and
    /// the body with `\n` line endings; the empty line that ends an mbox message is added after
    /// this call. `choice` is 64 random bits drawn from the dump's seed for this message.
    fn sign(&mut self, msg: &mut Vec<u8>, site: SignSite, choice: u64);
}

/// SplitMix64: small, fast, and good enough for test data.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n > 0`).
    pub fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo + 1)
    }

    /// True with probability `percent`/100.
    pub fn chance(&mut self, percent: u32) -> bool {
        self.below(100) < u64::from(percent)
    }

    /// One element of a non-empty slice.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    /// Log-uniform in `lo..=hi`: as many 1-2 KB bodies as 1-2 MB ones per doubling.
    pub fn log_uniform(&mut self, lo: u64, hi: u64) -> u64 {
        if hi <= lo {
            return lo;
        }
        let (l, h) = ((lo as f64).ln(), (hi as f64).ln());
        let u = (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
        ((l + (h - l) * u).exp() as u64).clamp(lo, hi)
    }
}

const WORDS: &[&str] = &[
    "the",
    "of",
    "and",
    "to",
    "a",
    "in",
    "for",
    "is",
    "on",
    "that",
    "by",
    "this",
    "with",
    "you",
    "it",
    "not",
    "or",
    "be",
    "are",
    "from",
    "at",
    "as",
    "your",
    "all",
    "have",
    "new",
    "more",
    "an",
    "was",
    "we",
    "will",
    "can",
    "us",
    "about",
    "if",
    "my",
    "has",
    "but",
    "our",
    "one",
    "other",
    "do",
    "no",
    "information",
    "time",
    "they",
    "he",
    "up",
    "may",
    "what",
    "which",
    "their",
    "out",
    "use",
    "any",
    "there",
    "see",
    "only",
    "so",
    "his",
    "when",
    "contact",
    "here",
    "business",
    "who",
    "also",
    "now",
    "help",
    "get",
    "view",
    "first",
    "been",
    "would",
    "how",
    "were",
    "me",
    "some",
    "these",
    "click",
    "its",
    "like",
    "service",
    "than",
    "find",
    "price",
    "date",
    "back",
    "top",
    "people",
    "had",
    "list",
    "name",
    "just",
    "over",
    "state",
    "year",
    "day",
    "into",
    "email",
    "two",
    "health",
    "world",
    "next",
    "used",
    "go",
    "work",
    "last",
    "most",
    "products",
    "music",
    "buy",
    "data",
    "make",
    "them",
    "should",
    "product",
    "system",
    "post",
    "her",
    "city",
    "add",
    "policy",
    "number",
    "such",
    "please",
    "available",
    "copyright",
    "support",
    "message",
    "after",
    "best",
    "software",
    "then",
    "jan",
    "good",
    "video",
    "well",
    "where",
    "info",
    "rights",
    "public",
    "books",
    "high",
    "school",
    "through",
    "meeting",
    "quarterly",
    "budget",
    "attached",
    "review",
    "contract",
    "invoice",
    "draft",
    "confidential",
    "regards",
    "thanks",
    "schedule",
    "deadline",
    "forecast",
    "approval",
];

const FIRST: &[&str] = &[
    "alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy", "mallory",
    "nina", "oscar", "peggy", "rupert", "sybil", "trent", "victor", "walter", "ken", "louise",
    "jeff", "sherron", "vince", "kay", "sara", "tana", "mark", "susan",
];
const LAST: &[&str] = &[
    "smith",
    "jones",
    "lay",
    "skilling",
    "kaminski",
    "mann",
    "shackleton",
    "watkins",
    "dasovich",
    "germany",
    "taylor",
    "jones",
    "haedicke",
    "symes",
    "beck",
    "kitchen",
    "lavorato",
    "presto",
];
const DOMAINS: &[&str] = &[
    "example.com",
    "example.org",
    "enron.com",
    "mail.example.net",
    "corp.example.co.uk",
    "lists.example.org",
    "gmail.com",
    "yahoo.com",
    "hotmail.com",
    "exchange.example.com",
];
const WEEKDAYS: &[&str] = &["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
const MONTHS: &[&str] = &[
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];
const ZONES: &[&str] = &[
    "+0000", "-0700", "-0800", "+0100", "+0200", "-0500", "+0900",
];
const MAILERS: &[&str] = &[
    "Microsoft Outlook 16.0",
    "Apple Mail (2.3696.120.41.1.1)",
    "Mozilla/5.0 (X11; Linux x86_64; rv:115.0) Gecko/20100101 Thunderbird/115.3.1",
    "Lotus Notes Release 5.0.8 June 18, 2001",
    "Roundcube Webmail/1.6.5",
];
const ATTACHMENTS: &[(&str, &str)] = &[
    ("application/pdf", "report.pdf"),
    ("image/jpeg", "IMG_2041.jpg"),
    ("image/png", "screenshot.png"),
    (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "Q3 forecast.xlsx",
    ),
    ("application/zip", "archive.zip"),
    (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "contract draft v2.docx",
    ),
];
const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// The generator: call [`Generator::write_dump`] once.
pub struct Generator {
    rng: Rng,
    signer: Option<Box<dyn Signer>>,
    profile: Profile,
    /// Scratch for one message.
    msg: Vec<u8>,
    /// Days since an arbitrary epoch; grows through the dump.
    clock: u64,
}

impl Generator {
    /// A generator for `profile`.
    pub fn new(profile: Profile) -> Self {
        Generator {
            rng: Rng::new(profile.seed),
            signer: None,
            profile,
            msg: Vec::with_capacity(1 << 20),
            clock: 0,
        }
    }

    /// Sign the messages chosen by [`Profile::signed_percent`] with `signer`.
    pub fn with_signer(mut self, signer: Box<dyn Signer>) -> Self {
        self.signer = Some(signer);
        self
    }

    /// Write the whole dump to `out`.
    pub fn write_dump(&mut self, out: &mut impl Write) -> io::Result<Stats> {
        let mut stats = Stats::default();
        while stats.bytes < self.profile.target_bytes {
            self.msg.clear();
            self.message(&mut stats);
            out.write_all(&self.msg)?;
            stats.bytes += self.msg.len() as u64;
            // Less the separator line and the empty line after the message.
            let separator = self
                .msg
                .iter()
                .position(|&b| b == b'\n')
                .map_or(0, |i| i + 1);
            stats.message_bytes += (self.msg.len() - separator - 1) as u64;
            stats.messages += 1;
        }
        Ok(stats)
    }

    fn address(&mut self) -> (String, String) {
        let f = *self.rng.pick(FIRST);
        let l = *self.rng.pick(LAST);
        let d = *self.rng.pick(DOMAINS);
        let display = format!(
            "{}{} {}{}",
            &f[..1].to_uppercase(),
            &f[1..],
            &l[..1].to_uppercase(),
            &l[1..]
        );
        (display, format!("{f}.{l}@{d}"))
    }

    fn date_parts(&mut self) -> (usize, usize, u64, u64, u64, u64, u64) {
        self.clock += self.rng.below(3);
        let day_of_year = self.clock % 336;
        let year = 1998 + (self.clock / 336) % 27;
        (
            (self.clock % 7) as usize,
            (day_of_year / 28) as usize,
            day_of_year % 28 + 1,
            year,
            self.rng.below(24),
            self.rng.below(60),
            self.rng.below(60),
        )
    }

    fn message(&mut self, stats: &mut Stats) {
        let (wd, mon, day, year, h, mi, s) = self.date_parts();
        let (from_name, from_addr) = self.address();
        let (to_name, to_addr) = self.address();
        let zone = *self.rng.pick(ZONES);
        let weekday = WEEKDAYS[wd];
        let month = MONTHS[mon];
        let m = &mut self.msg;
        // Separator line: asctime date, day padded to two columns.
        let _ = writeln!(
            m,
            "From {from_addr} {weekday} {month} {day:>2} {h:02}:{mi:02}:{s:02} {year}"
        );
        let fields_start = m.len();
        let _ = writeln!(m, "Return-Path: <{from_addr}>");
        let header_target = self.rng.range(1000, 3000) as usize;
        let header_start = m.len();
        let hops = self.rng.range(2, 6);
        for hop in 0..hops {
            let a = self.rng.range(10, 250);
            let b = self.rng.range(0, 255);
            let id = self.rng.next_u64();
            let host = *self.rng.pick(DOMAINS);
            let _ = write!(
                self.msg,
                "Received: from mx{hop}.{host} (mx{hop}.{host} [192.0.{a}.{b}])\n\
                 \tby smtp{b}.{host} (Postfix) with ESMTPS id {id:016X}\n\
                 \tfor <{to_addr}>; {weekday}, {day} {month} {year} {h:02}:{mi:02}:{s:02} {zone}\n"
            );
        }
        let sign_at = self.msg.len();
        let sign = match self.profile.signed_percent {
            None => {
                if self.rng.chance(40) {
                    self.dkim_signature(&from_addr);
                }
                None
            }
            Some(p) => self.rng.chance(p).then(|| self.rng.next_u64()),
        };
        let mid = self.rng.next_u64();
        let m = &mut self.msg;
        let _ = writeln!(m, "Message-ID: <{mid:016x}.JavaMail.evans@thyme>");
        let _ = writeln!(
            m,
            "Date: {weekday}, {day} {month} {year} {h:02}:{mi:02}:{s:02} {zone}"
        );
        let _ = writeln!(m, "From: \"{from_name}\" <{from_addr}>");
        let _ = writeln!(m, "To: \"{to_name}\" <{to_addr}>");
        let subject_words = self.rng.range(2, 9) as usize;
        let mut subject = String::new();
        for i in 0..subject_words {
            if i > 0 {
                subject.push(' ');
            }
            let word = *self.rng.pick(WORDS);
            subject.push_str(word);
        }
        if self.rng.chance(15) {
            let _ = writeln!(
                self.msg,
                "Subject: =?UTF-8?Q?Re=3A_{}?=",
                subject.replace(' ', "_")
            );
        } else {
            let _ = writeln!(self.msg, "Subject: RE: {subject}");
        }
        if self.rng.chance(30) {
            let n = self.rng.range(1, 6);
            let _ = write!(self.msg, "Cc: ");
            for i in 0..n {
                let (name, addr) = self.address();
                let sep = if i + 1 < n { ",\n\t" } else { "\n" };
                let _ = write!(self.msg, "\"{name}\" <{addr}>{sep}");
            }
        }
        let mailer = *self.rng.pick(MAILERS);
        let _ = writeln!(self.msg, "X-Mailer: {mailer}");
        let _ = writeln!(self.msg, "MIME-Version: 1.0");
        let multipart = self.rng.chance(self.profile.multipart_percent);
        let boundary = format!("----=_Part_{:x}", self.rng.next_u64());
        if multipart {
            let _ = write!(
                self.msg,
                "Content-Type: multipart/mixed;\n\tboundary=\"{boundary}\"\n"
            );
        } else {
            let _ = writeln!(self.msg, "Content-Type: text/plain; charset=us-ascii");
            let _ = writeln!(self.msg, "Content-Transfer-Encoding: 7bit");
        }
        // List and tracking headers up to the header size drawn above.
        let mut n = 0;
        while self.msg.len() - header_start < header_target {
            let v = self.rng.next_u64();
            let _ = match n % 6 {
                0 => writeln!(
                    self.msg,
                    "List-Id: Team discussion <team-{}.lists.example.org>",
                    v % 97
                ),
                1 => writeln!(
                    self.msg,
                    "List-Unsubscribe: <mailto:leave-{v:x}@lists.example.org>,\n <https://lists.example.org/unsubscribe/{v:x}>"
                ),
                2 => writeln!(
                    self.msg,
                    "X-Originating-IP: [10.{}.{}.{}]",
                    v % 256,
                    (v >> 8) % 256,
                    (v >> 16) % 256
                ),
                3 => writeln!(self.msg, "X-MS-Exchange-Organization-SCL: {}", v % 10),
                4 => writeln!(self.msg, "Thread-Index: AcH{v:016x}{:08x}==", v >> 32),
                _ => writeln!(
                    self.msg,
                    "X-Spam-Status: No, score=-{}.{} required=5.0 tests=BAYES_00,DKIM_SIGNED,\n\tDKIM_VALID,SPF_PASS autolearn=ham version=3.4.6",
                    v % 5,
                    v % 10
                ),
            };
            n += 1;
        }
        let header_end = self.msg.len();
        self.msg.push(b'\n');

        // Plain messages are mostly small (1-96 KB, a few long threads up to a quarter of the
        // largest body); multipart ones carry an attachment of 4 KB up to the largest body.
        let max = self.profile.max_body as u64;
        let body = if multipart {
            self.rng.log_uniform(4096, max)
        } else if self.rng.chance(5) {
            self.rng.log_uniform(1024, (max / 4).max(2048))
        } else {
            self.rng.log_uniform(1024, max.min(96 * 1024))
        } as usize;
        if multipart {
            stats.multipart += 1;
            let text = (body / 8).max(512);
            let _ = write!(
                self.msg,
                "This is a multi-part message in MIME format.\n\n--{boundary}\n\
                 Content-Type: text/plain; charset=us-ascii\n\n"
            );
            self.text(text, stats);
            let (ctype, name) = *self.rng.pick(ATTACHMENTS);
            let _ = write!(
                self.msg,
                "\n--{boundary}\nContent-Type: {ctype}; name=\"{name}\"\n\
                 Content-Transfer-Encoding: base64\n\
                 Content-Disposition: attachment; filename=\"{name}\"\n\n"
            );
            self.base64(body.saturating_sub(text));
            let _ = write!(self.msg, "\n--{boundary}--\n");
        } else {
            self.text(body, stats);
        }
        if let (Some(choice), Some(signer)) = (sign, self.signer.as_mut()) {
            let site = SignSite {
                fields_start,
                at: sign_at,
                header_end,
            };
            signer.sign(&mut self.msg, site, choice);
        }
        // The empty line that ends an mbox message.
        self.msg.push(b'\n');
    }

    fn dkim_signature(&mut self, from_addr: &str) {
        let domain = from_addr
            .rsplit('@')
            .next()
            .unwrap_or("example.com")
            .to_string();
        let t = 900_000_000 + self.rng.below(800_000_000);
        let _ = write!(
            self.msg,
            "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d={domain};\n\
             \ts=selector{}; t={t};\n\
             \th=from:to:subject:date:message-id:mime-version:content-type;\n\
             \tbh=",
            t % 3
        );
        self.b64_chars(44);
        self.msg.extend_from_slice(b";\n\tb=");
        for i in 0..5 {
            if i > 0 {
                self.msg.extend_from_slice(b"\n\t  ");
            }
            self.b64_chars(70);
        }
        self.msg.extend_from_slice(b"\n");
    }

    fn b64_chars(&mut self, n: usize) {
        let mut v = 0u64;
        for i in 0..n {
            if i % 10 == 0 {
                v = self.rng.next_u64();
            }
            self.msg.push(B64[(v & 63) as usize]);
            v >>= 6;
        }
    }

    /// About `bytes` of wrapped text, with quoted `From ` lines and quoted replies.
    fn text(&mut self, bytes: usize, stats: &mut Stats) {
        let end = self.msg.len() + bytes;
        while self.msg.len() < end {
            let roll = self.rng.below(1000);
            if roll < 8 {
                // A body line that started with "From ": stored quoted.
                let deep = self.rng.chance(10);
                self.msg
                    .extend_from_slice(if deep { b">>From " } else { b">From " });
                stats.quoted_lines += 1;
            } else if roll < 60 {
                self.msg.extend_from_slice(b"> ");
            } else if roll < 100 {
                self.msg.push(b'\n');
                continue;
            }
            let width = self.rng.range(40, 76) as usize;
            let line_start = self.msg.len();
            loop {
                let w = self.rng.pick(WORDS);
                self.msg.extend_from_slice(w.as_bytes());
                if self.msg.len() - line_start >= width {
                    break;
                }
                self.msg.push(b' ');
            }
            self.msg.push(b'\n');
        }
    }

    /// About `bytes` of base64 in 76-column lines.
    fn base64(&mut self, bytes: usize) {
        let lines = bytes.div_ceil(77).max(1);
        self.msg.reserve(lines * 77);
        for _ in 0..lines {
            for _ in 0..7 {
                let v = self.rng.next_u64();
                for k in 0..10 {
                    self.msg.push(B64[((v >> (6 * k)) & 63) as usize]);
                }
            }
            let v = self.rng.next_u64();
            for k in 0..6 {
                self.msg.push(B64[((v >> (6 * k)) & 63) as usize]);
            }
            self.msg.push(b'\n');
        }
    }
}

/// A whole dump in memory.
pub fn generate(profile: Profile) -> (Vec<u8>, Stats) {
    let mut out = Vec::with_capacity(profile.target_bytes as usize + profile.max_body * 2);
    let stats = Generator::new(profile)
        .write_dump(&mut out)
        .expect("writing to a Vec cannot fail");
    (out, stats)
}
