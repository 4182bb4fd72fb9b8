//! `Received` trace fields (RFC 5322 section 3.6.7, RFC 5321 section 4.4): the clauses
//! (`from`, `by`, `via`, `with`, `id`, `for`), the receiver's record of the peer, and the
//! date, with where each is in the stored bytes.

use std::borrow::Cow;
use std::net::IpAddr;
use std::ops::Range;

use crate::fields::date::{self, MailDate};
use crate::read::headers::Field;
use crate::span::Span;

/// One `Received` header, parsed. Names are as written (lowercased), without brackets,
/// borrowed from the message where they need no change.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Hop<'a> {
    /// Position of the field in header order (0 is the top-most, the latest hop).
    pub field_index: usize,
    /// The whole field.
    pub span: Span,
    /// The name the sending host gave (`from` clause; HELO), if any.
    pub from: Option<Cow<'a, str>>,
    /// Host names the receiver recorded for the sender (reverse DNS, in the comment after
    /// `from`).
    pub from_names: Vec<Cow<'a, str>>,
    /// Addresses the receiver recorded for the sender (in the comment after `from`; an
    /// address given as the `from` name itself is only in [`Hop::from`]).
    pub from_addresses: Vec<IpAddr>,
    /// The receiving host (`by` clause).
    pub by: Option<Cow<'a, str>>,
    /// The protocol (`with` clause).
    pub with: Option<Cow<'a, str>>,
    /// The receiver's queue id (`id` clause).
    pub id: Option<Cow<'a, str>>,
    /// The recipient (`for` clause), without angle brackets.
    pub recipient: Option<Cow<'a, str>>,
    /// The time after the last `;`.
    pub time: Option<MailDate>,
    /// Where that time is written.
    pub time_span: Option<Span>,
    /// Dotted quads written in the `from` and `by` clauses that are not valid IPv4 addresses
    /// (an octet over 255).
    pub invalid_addresses: Vec<String>,
}

/// The date of a raw `Received` value (after the last `;` outside comments) and where it is
/// in the value: what the verifier's as-of time and the time checks both read.
pub(crate) fn time_of(raw: &[u8]) -> Option<(MailDate, Range<usize>)> {
    date_after(raw, date_semicolon(raw)?)
}

/// The last `;` outside comments: the date follows it (RFC 5322 section 3.6.7).
fn date_semicolon(raw: &[u8]) -> Option<usize> {
    let mut depth = 0usize;
    let mut semi = None;
    for i in memchr::memchr3_iter(b'(', b')', b';', raw) {
        match raw.get(i) {
            Some(b'(') => depth += 1,
            Some(b')') => depth = depth.saturating_sub(1),
            Some(b';') if depth == 0 => semi = Some(i),
            _ => {}
        }
    }
    semi
}

/// The date after the `;` at `semi`, and its range without the white space around it.
fn date_after(raw: &[u8], semi: usize) -> Option<(MailDate, Range<usize>)> {
    let after = raw.get(semi + 1..)?;
    let time = date::parse_bytes(after)?;
    let lead = after.iter().take_while(|b| b.is_ascii_whitespace()).count();
    let tail = after
        .iter()
        .rev()
        .take_while(|b| b.is_ascii_whitespace())
        .count();
    let start = semi + 1 + lead;
    Some((time, start..(raw.len() - tail).max(start)))
}

/// Parse a `Received` field (see [`Hop`]).
pub(crate) fn parse_field<'a>(field: &Field<'a>) -> Hop<'a> {
    let raw = field.raw_value();
    let vstart = field.value_span().start;
    let mut hop = Hop {
        field_index: field.index(),
        span: field.span(),
        ..Hop::default()
    };
    let semi = date_semicolon(raw);
    let clauses_end = semi.unwrap_or(raw.len());
    if let Some((time, range)) = semi.and_then(|s| date_after(raw, s)) {
        hop.time = Some(time);
        hop.time_span = Some(Span::new(
            vstart + range.start as u64,
            vstart + range.end as u64,
        ));
    }
    let clauses = raw.get(..clauses_end).unwrap_or(&[]);
    match std::str::from_utf8(clauses) {
        Ok(text) if text.is_ascii() => clauses_ascii(text, &mut hop),
        // Words and comments are slices of the (usually borrowed) text: nothing is copied.
        _ => {
            let text = String::from_utf8_lossy(clauses);
            let mut owned = Hop::default();
            clauses_chars(&text, &mut owned);
            hop.take_clauses(owned);
        }
    }
    hop
}

impl Hop<'_> {
    /// Take the clauses read from a temporary text (the lossy text of a value that is not
    /// ASCII), owning their names.
    fn take_clauses(&mut self, from: Hop<'_>) {
        let own = |c: Option<Cow<'_, str>>| c.map(|c| Cow::Owned(c.into_owned()));
        self.from = own(from.from);
        self.from_names = from
            .from_names
            .into_iter()
            .map(|c| Cow::Owned(c.into_owned()))
            .collect();
        self.from_addresses = from.from_addresses;
        self.by = own(from.by);
        self.with = own(from.with);
        self.id = own(from.id);
        self.recipient = own(from.recipient);
        self.invalid_addresses = from.invalid_addresses;
    }
}

/// `name` lowercased, borrowed when it has no capital letter.
fn lower(name: &str) -> Cow<'_, str> {
    if name.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(name.to_ascii_lowercase())
    } else {
        Cow::Borrowed(name)
    }
}

/// The clauses of an ASCII value: the fast path of [`clauses_chars`], by bytes, with the
/// same words and comments (ASCII white space is all the white space there is).
fn clauses_ascii<'a>(text: &'a str, hop: &mut Hop<'a>) {
    let bytes = text.as_bytes();
    let mut parser = Clauses::default();
    let mut i = 0;
    while i < bytes.len() {
        let Some(&b) = bytes.get(i) else { break };
        if b == b'(' {
            // A comment, nested comments included: jump between parentheses.
            let mut depth = 1usize;
            let start = i + 1;
            let mut j = start;
            let mut end = None;
            while let Some(k) = memchr::memchr2(b'(', b')', bytes.get(j..).unwrap_or_default()) {
                let at = j + k;
                if bytes.get(at) == Some(&b'(') {
                    depth += 1;
                } else {
                    depth -= 1;
                    if depth == 0 {
                        end = Some(at);
                        break;
                    }
                }
                j = at + 1;
            }
            match end {
                Some(at) => {
                    let comment = text.get(start..at).unwrap_or_default();
                    comment_into(comment, parser.clause, parser.comments == 0, hop);
                    parser.comments += 1;
                    i = at + 1;
                }
                // An unclosed comment runs to the end and is not read.
                None => return,
            }
        } else if is_space(b) {
            i += 1;
        } else {
            let end = bytes
                .get(i..)
                .unwrap_or_default()
                .iter()
                .position(|&c| c == b'(' || is_space(c))
                .map_or(bytes.len(), |n| i + n);
            parser.take(text.get(i..end).unwrap_or_default(), hop);
            i = end;
        }
    }
}

/// ASCII white space as `char::is_whitespace` has it (space, tab, LF, VT, FF, CR).
fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// The clauses of any value, character by character (Unicode white space ends words).
fn clauses_chars<'t>(text: &'t str, hop: &mut Hop<'t>) {
    let mut parser = Clauses::default();
    let mut depth = 0usize;
    let mut comment_start = 0;
    let mut word_start: Option<usize> = None;
    for (i, c) in text.char_indices() {
        if depth > 0 {
            match c {
                '(' => depth += 1,
                ')' => {
                    depth -= 1;
                    if depth == 0 {
                        let comment = text.get(comment_start..i).unwrap_or_default();
                        comment_into(comment, parser.clause, parser.comments == 0, hop);
                        parser.comments += 1;
                    }
                }
                _ => {}
            }
            continue;
        }
        let ends_word = c == '(' || c.is_whitespace();
        if ends_word {
            if let Some(w) = word_start.take() {
                parser.take(text.get(w..i).unwrap_or_default(), hop);
            }
            if c == '(' {
                depth = 1;
                comment_start = i + 1;
            }
        } else if word_start.is_none() {
            word_start = Some(i);
        }
    }
    if let Some(w) = word_start {
        parser.take(text.get(w..).unwrap_or_default(), hop);
    }
}

/// The clause being read (`from`, `by`, ...) and whether its value was taken.
#[derive(Default)]
struct Clauses {
    clause: Option<&'static str>,
    took: bool,
    /// Comments seen since the clause keyword.
    comments: usize,
}

impl Clauses {
    /// One word at the top level (outside comments).
    fn take<'t>(&mut self, w: &'t str, hop: &mut Hop<'t>) {
        let key = if (2..=4).contains(&w.len()) {
            ["from", "by", "via", "with", "id", "for"]
                .into_iter()
                .find(|k| w.eq_ignore_ascii_case(k))
        } else {
            None
        };
        if let Some(k) = key {
            self.clause = Some(k);
            self.took = false;
            self.comments = 0;
            return;
        }
        if self.took {
            return;
        }
        self.took = true;
        let clean = w.trim_matches(|c| c == '<' || c == '>' || c == '[' || c == ']');
        match self.clause {
            Some("from") => {
                hop.from = Some(lower(clean));
                collect_invalid(w, hop);
            }
            Some("by") => {
                hop.by = Some(lower(clean));
                collect_invalid(w, hop);
            }
            Some("with") => hop.with = Some(Cow::Borrowed(clean)),
            Some("id") => hop.id = Some(Cow::Borrowed(clean)),
            Some("for") => hop.recipient = Some(Cow::Borrowed(clean)),
            _ => {}
        }
    }
}

/// A comment after a `from` (or `by`) value: the receiver's record of the peer.
/// Only the first comment after `from` records the peer (later ones hold TLS details).
fn comment_into<'t>(
    comment: &'t str,
    clause: Option<&'static str>,
    first: bool,
    hop: &mut Hop<'t>,
) {
    if clause != Some("from") && clause != Some("by") {
        return;
    }
    collect_invalid(comment, hop);
    if clause != Some("from") || !first {
        return;
    }
    if !comment.is_ascii() {
        peer_tokens_chars(comment, hop);
        return;
    }
    // The fast path of `peer_tokens_chars` for ASCII comments, by bytes, with the same
    // tokens (ASCII white space is all the white space there is).
    let bytes = comment.as_bytes();
    let mut start = 0;
    while start <= bytes.len() {
        let end = bytes
            .get(start..)
            .unwrap_or_default()
            .iter()
            .position(|&b| is_space(b) || b == b',')
            .map_or(bytes.len(), |n| start + n);
        peer_token(comment, start, end, hop);
        start = end + 1;
    }
}

/// One token of the peer comment, `comment[start..end]` (ASCII), trimmed as
/// `peer_tokens_chars` trims it, kept when it is an address or a host name.
fn peer_token<'t>(comment: &'t str, mut start: usize, mut end: usize, hop: &mut Hop<'t>) {
    let bytes = comment.as_bytes();
    let at = |i: usize| bytes.get(i).copied().unwrap_or(0);
    let bracket = |b: u8| matches!(b, b'[' | b']' | b'(' | b')');
    while start < end && bracket(at(start)) {
        start += 1;
    }
    while end > start && bracket(at(end - 1)) {
        end -= 1;
    }
    while end > start && at(end - 1) == b'.' {
        end -= 1;
    }
    if bytes
        .get(start..end)
        .is_some_and(|t| t.starts_with(b"IPv6:"))
    {
        start += 5;
    }
    if let Some(p) = memchr::memchr(b'%', bytes.get(start..end).unwrap_or_default()) {
        end = start + p;
    }
    let Some(t) = comment.get(start..end) else {
        return;
    };
    // One pass: could it be an address, could it be a name, where is its last dot.
    let (mut address_like, mut name_like) = (!t.is_empty(), true);
    for b in t.bytes() {
        address_like &= b.is_ascii_hexdigit() || b == b'.' || b == b':';
        name_like &= b.is_ascii_alphanumeric() || b == b'-' || b == b'.';
    }
    if let Some(ip) = address_like.then(|| t.parse::<IpAddr>().ok()).flatten() {
        hop.from_addresses.push(ip);
    } else if name_like
        && let Some(dot) = memchr::memrchr(b'.', t.as_bytes())
        && t.get(dot + 1..)
            .is_some_and(|tld| tld.len() >= 2 && tld.bytes().all(|b| b.is_ascii_alphabetic()))
    {
        hop.from_names.push(lower(t));
    }
}

/// The peer's names and addresses in a comment of any text, character by character
/// (Unicode white space and commas end tokens).
fn peer_tokens_chars<'t>(comment: &'t str, hop: &mut Hop<'t>) {
    for tok in comment.split(|c: char| c.is_whitespace() || c == ',') {
        let t = tok
            .trim_matches(|c: char| c == '[' || c == ']' || c == '(' || c == ')')
            .trim_end_matches('.');
        let t = t.strip_prefix("IPv6:").unwrap_or(t);
        let t = t.split('%').next().unwrap_or(t);
        // Only digits, dots, colons and hex letters can be an address: parse those only.
        let address_like = !t.is_empty()
            && t.bytes()
                .all(|b| b.is_ascii_hexdigit() || b == b'.' || b == b':');
        if let Some(ip) = address_like.then(|| t.parse::<IpAddr>().ok()).flatten() {
            hop.from_addresses.push(ip);
        } else if t.contains('.')
            && !t.contains('=')
            && !t.contains('@')
            && t.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
            && t.rsplit('.')
                .next()
                .is_some_and(|tld| tld.len() >= 2 && tld.bytes().all(|b| b.is_ascii_alphabetic()))
        {
            hop.from_names.push(lower(t));
        }
    }
}

/// Dotted quads with an octet over 255 (runs of digits and dots: four groups of one to three
/// digits, one of them over 255). No allocation unless one is found.
fn collect_invalid(text: &str, hop: &mut Hop<'_>) {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if !(bytes[i].is_ascii_digit() || bytes[i] == b'.') {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && (bytes[i].is_ascii_digit() || bytes[i] == b'.') {
            i += 1;
        }
        if invalid_quad(&bytes[start..i]) {
            hop.invalid_addresses.push(text[start..i].to_string());
        }
    }
}

/// Whether a run of digits and dots is a dotted quad with an octet over 255.
fn invalid_quad(run: &[u8]) -> bool {
    let (mut groups, mut over) = (0, false);
    for part in run.split(|&b| b == b'.') {
        groups += 1;
        if groups > 4 || !(1..=3).contains(&part.len()) {
            return false;
        }
        let n = part.iter().fold(0u16, |n, &d| n * 10 + u16::from(d - b'0'));
        over |= n > 255;
    }
    groups == 4 && over
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::read::headers::Headers;
    use proptest::prelude::*;

    /// The obviously correct version of `collect_invalid`: split, collect, parse.
    fn collect_invalid_reference(text: &str) -> Vec<String> {
        let mut out = Vec::new();
        for run in text.split(|c: char| !(c.is_ascii_digit() || c == '.')) {
            let parts: Vec<&str> = run.split('.').collect();
            if parts.len() == 4
                && parts.iter().all(|p| (1..=3).contains(&p.len()))
                && parts
                    .iter()
                    .any(|p| p.parse::<u16>().is_ok_and(|n| n > 255))
            {
                out.push(run.to_string());
            }
        }
        out
    }

    /// The obviously correct tokenizer of `parse_field`: characters pushed into owned
    /// words and comments. Only the clause loop differs from the fast version.
    fn parse_field_reference(field: &Field<'_>) -> Hop<'static> {
        // The date part is shared with the fast version; only the clauses are redone.
        let fast = parse_field(field);
        let mut hop = Hop {
            field_index: fast.field_index,
            span: fast.span,
            time: fast.time,
            time_span: fast.time_span,
            ..Hop::default()
        };
        let raw = field.raw_value();
        let mut depth = 0usize;
        let mut semi = None;
        for (i, &b) in raw.iter().enumerate() {
            match b {
                b'(' => depth += 1,
                b')' => depth = depth.saturating_sub(1),
                b';' if depth == 0 => semi = Some(i),
                _ => {}
            }
        }
        let text = String::from_utf8_lossy(&raw[..semi.unwrap_or(raw.len())]);
        assert_eq!(semi, date_semicolon(raw));
        // Words and comments as owned strings, in order (true: a comment).
        let mut events: Vec<(bool, String)> = Vec::new();
        let mut depth = 0usize;
        let mut comment = String::new();
        let mut word = String::new();
        for c in text.chars() {
            if depth > 0 {
                match c {
                    '(' => {
                        depth += 1;
                        comment.push(c);
                    }
                    ')' => {
                        depth -= 1;
                        if depth == 0 {
                            events.push((true, std::mem::take(&mut comment)));
                        } else {
                            comment.push(c);
                        }
                    }
                    _ => comment.push(c),
                }
                continue;
            }
            match c {
                '(' => {
                    if !word.is_empty() {
                        events.push((false, std::mem::take(&mut word)));
                    }
                    depth = 1;
                }
                c if c.is_whitespace() => {
                    if !word.is_empty() {
                        events.push((false, std::mem::take(&mut word)));
                    }
                }
                c => word.push(c),
            }
        }
        if !word.is_empty() {
            events.push((false, word));
        }
        let mut parser = Clauses::default();
        let mut clauses = Hop::default();
        for (is_comment, text) in &events {
            if *is_comment {
                comment_into(text, parser.clause, parser.comments == 0, &mut clauses);
                parser.comments += 1;
            } else {
                parser.take(text, &mut clauses);
            }
        }
        hop.take_clauses(clauses);
        hop
    }

    #[test]
    fn peer_tokens_of_common_comments() {
        for comment in [
            "mail.example.com. [192.0.2.1].",
            "HELO.Example.ORG [IPv6:2001:db8::1%eth0], (x.y.zz)",
            "unknown [10.0.0.300]",
            "a.b, c.de.\tbeef.cafe",
        ] {
            let (mut fast, mut chars) = (Hop::default(), Hop::default());
            comment_into(comment, Some("from"), true, &mut fast);
            collect_invalid(comment, &mut chars);
            peer_tokens_chars(comment, &mut chars);
            assert_eq!(fast, chars, "{comment}");
            let found = fast.from_names.len() + fast.from_addresses.len();
            assert!(found > 0 || !fast.invalid_addresses.is_empty(), "{comment}");
        }
    }

    proptest! {
        #[test]
        fn peer_tokens_agree_with_the_char_version(
            comment in "[ a-fA-F0-9.:,\\[\\]()%=@IPv6xyz-]{0,48}",
        ) {
            let (mut fast, mut chars) = (Hop::default(), Hop::default());
            comment_into(&comment, Some("from"), true, &mut fast);
            collect_invalid(&comment, &mut chars);
            peer_tokens_chars(&comment, &mut chars);
            prop_assert_eq!(fast, chars);
        }
    }

    proptest! {
        #[test]
        fn parse_field_agrees_with_reference(
            words in proptest::collection::vec(
                prop_oneof![
                    Just("from".to_string()), Just("by".to_string()), Just("with".to_string()),
                    Just("id".to_string()), Just("for".to_string()), Just("(".to_string()),
                    Just(")".to_string()), Just(";".to_string()), Just(" ".to_string()),
                    Just("\u{a0}".to_string()), Just("\r\n\t".to_string()),
                    Just("\u{b}\u{c}".to_string()), Just("((".to_string()),
                    "[a-z0-9.\\[\\]<>@:-]{1,12}",
                    "[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}",
                ],
                0..24,
            ),
        ) {
            let value = words.join("");
            let m = format!("Received: {value}\n\n");
            let h = Headers::parse(m.as_bytes(), 7);
            if let Some(f) = h.get("received") {
                prop_assert_eq!(parse_field(&f), parse_field_reference(&f));
            }
        }
    }

    proptest! {
        #[test]
        fn collect_invalid_agrees_with_reference(text in "[0-9.a (\\[\\]é]{0,40}") {
            let mut hop = Hop::default();
            collect_invalid(&text, &mut hop);
            prop_assert_eq!(hop.invalid_addresses, collect_invalid_reference(&text));
        }
    }

    #[test]
    fn collect_invalid_finds_octets_over_255() {
        let mut hop = Hop::default();
        collect_invalid(
            "from x ([10.0.0.256] 1.2.3.4 999.1.1.1.1 300.2.3.4)",
            &mut hop,
        );
        assert_eq!(hop.invalid_addresses, ["10.0.0.256", "300.2.3.4"]);
    }

    fn hop(v: &str) -> Hop<'static> {
        let m = format!("Received: {v}\n\n");
        let h = Headers::parse(m.as_bytes(), 100);
        let parsed = parse_field(&h.get("received").unwrap());
        let mut out = Hop {
            field_index: parsed.field_index,
            span: parsed.span,
            time: parsed.time,
            time_span: parsed.time_span,
            ..Hop::default()
        };
        out.take_clauses(parsed);
        out
    }

    #[test]
    fn parses_postfix_hop() {
        let h = hop(
            "from mail-pl1-f178.google.com (mail-pl1-f178.google.com [209.85.214.178])\n    (using TLSv1.2 with cipher ECDHE-RSA-AES128-GCM-SHA256 (128/128 bits))\n    (No client certificate requested)\n    by mail-tester.com (Postfix) with ESMTPS id 446789FF9D\n    for <test-hicvi@mail-tester.com>; Sun,  8 Dec 2019 10:33:17 +0100 (CET)",
        );
        assert_eq!(h.from.as_deref(), Some("mail-pl1-f178.google.com"));
        assert_eq!(h.from_names, ["mail-pl1-f178.google.com"]);
        assert_eq!(
            h.from_addresses,
            ["209.85.214.178".parse::<IpAddr>().unwrap()]
        );
        assert_eq!(h.by.as_deref(), Some("mail-tester.com"));
        assert_eq!(h.with.as_deref(), Some("ESMTPS"));
        assert_eq!(h.id.as_deref(), Some("446789FF9D"));
        assert_eq!(h.recipient.as_deref(), Some("test-hicvi@mail-tester.com"));
        assert_eq!(h.time.unwrap().unix, 1_575_797_597);
        assert!(h.invalid_addresses.is_empty());
        let ts = h.time_span.unwrap();
        assert_eq!(ts.end, h.span.end - 1);
    }

    #[test]
    fn parses_exchange_and_gmail_hops() {
        let h = hop(
            "from HE1PR0401MB2427.eurprd04.prod.outlook.com (10.152.10.57) by\n HE1EUR02FT058.mail.protection.outlook.com (10.152.11.31) with Microsoft SMTP\n Server (version=TLS1_2, cipher=TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384) id\n 15.20.2495.18 via Frontend Transport; Sun, 8 Dec 2019 09:34:23 +0000",
        );
        assert_eq!(
            h.from.as_deref(),
            Some("he1pr0401mb2427.eurprd04.prod.outlook.com")
        );
        assert_eq!(
            h.from_addresses,
            ["10.152.10.57".parse::<IpAddr>().unwrap()]
        );
        assert_eq!(
            h.by.as_deref(),
            Some("he1eur02ft058.mail.protection.outlook.com")
        );
        assert_eq!(h.id.as_deref(), Some("15.20.2495.18"));
        assert!(h.time.is_some());
        let h = hop(
            "by 10.36.47.149 with SMTP id j143csp13601itj;\n        Fri, 17 Apr 2015 06:00:53 -0700 (PDT)",
        );
        assert_eq!(h.from, None);
        assert_eq!(h.by.as_deref(), Some("10.36.47.149"));
        let h = hop(
            "from [10.199.10.31] ([12.238.56.12])\n by mx.google.com with ESMTPSA id e70sm7925958qka.40.2015.04.17.06.00.51",
        );
        assert_eq!(h.from.as_deref(), Some("10.199.10.31"));
        assert_eq!(
            h.from_addresses,
            ["12.238.56.12".parse::<IpAddr>().unwrap()]
        );
        assert!(h.time.is_none());
    }

    #[test]
    fn garbage_does_not_panic() {
        for v in [
            "",
            ";",
            "((((",
            "from",
            "from (",
            ")))) by ;;; x",
            "from [999.1.1.1] by x.y",
        ] {
            let _ = hop(v);
        }
        assert_eq!(
            hop("from [999.1.1.1] by x.y").invalid_addresses,
            ["999.1.1.1"]
        );
    }

    #[test]
    fn time_of_reads_the_date_after_the_last_semicolon_outside_comments() {
        let raw = b"from a (b; c) by d; Sun, 8 Dec 2019 10:33:17 +0100 (CET; x) \r\n";
        let (t, r) = time_of(raw).unwrap();
        assert_eq!(t.unix, 1_575_797_597);
        assert_eq!(&raw[r], &b"Sun, 8 Dec 2019 10:33:17 +0100 (CET; x)"[..]);
        assert_eq!(time_of(b"from a by b"), None);
        assert_eq!(time_of(b"from a by b; not a date"), None);
        assert_eq!(time_of(b"by b;"), None);
    }
}
