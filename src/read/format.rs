//! Dump formats, mbox separator (`From `) lines and `>From ` quoting.

use std::borrow::Cow;
use std::ops::Range;

/// How a message was stored in its source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "lowercase"))]
#[non_exhaustive]
pub enum Format {
    /// mbox with `From ` separators; body lines starting with `From ` quoted as `>From `
    /// (ambiguous: an original `>From ` line is stored unchanged).
    Mboxo,
    /// mbox where every `>*From ` body line gained one `>` (reversible). Reported for a
    /// message that holds a `>>From ` line, the proof of this quoting; a message with only
    /// `>From ` lines reads the same under both and is reported as [`Format::Mboxo`].
    Mboxrd,
    /// mbox with a consistent `Content-Length` header per message, and quoting.
    Mboxcl,
    /// mbox with a consistent `Content-Length` header per message and unquoted body lines.
    Mboxcl2,
    /// MMDF: messages framed by lines of four `\x01` bytes.
    Mmdf,
    /// A single message file (`.eml` or any file in a folder tree).
    Eml,
    /// A message file in a maildir (`cur/`, `new/` or `tmp/`).
    Maildir,
    /// The message inside an Apple Mail `.emlx` or `.partial.emlx` file.
    Emlx,
    /// A message of an Outlook personal store (`.pst`), rebuilt from its properties.
    Pst,
    /// A message of an Outlook offline store (`.ost`), rebuilt from its properties.
    Ost,
    /// An Outlook message file (`.msg`), rebuilt from its properties.
    Msg,
}

impl Format {
    /// The name used in reports: `mboxo`, `mboxrd`, `mboxcl`, `mboxcl2`, `mmdf`, `eml`,
    /// `maildir`, `emlx`, `pst`, `ost`, `msg`.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Mboxo => "mboxo",
            Format::Mboxrd => "mboxrd",
            Format::Mboxcl => "mboxcl",
            Format::Mboxcl2 => "mboxcl2",
            Format::Mmdf => "mmdf",
            Format::Eml => "eml",
            Format::Maildir => "maildir",
            Format::Emlx => "emlx",
            Format::Pst => "pst",
            Format::Ost => "ost",
            Format::Msg => "msg",
        }
    }

    /// Whether messages of this format come out of an mbox-family file (with separators).
    pub fn is_mbox(self) -> bool {
        !matches!(
            self,
            Format::Eml | Format::Maildir | Format::Emlx | Format::Pst | Format::Ost | Format::Msg
        )
    }

    /// The quoting the format applies to body lines, if any.
    pub fn quoting(self) -> Option<Quoting> {
        match self {
            Format::Mboxo | Format::Mboxcl => Some(Quoting::Mboxo),
            Format::Mboxrd => Some(Quoting::Mboxrd),
            _ => None,
        }
    }
}

impl std::fmt::Display for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A way of quoting body lines that start with `From ` in mbox files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Quoting {
    /// `From ` became `>From `; undoing it strips one `>` from lines that start `>From `
    /// exactly (a line stored as `>>From ` is left alone).
    Mboxo,
    /// Every `>*From ` line gained one `>`; undoing it strips one `>` from every line
    /// that starts with one or more `>` followed by `From `.
    Mboxrd,
}

/// `bytes` with the mbox quoting `quoting` undone (lines end with LF, CRLF or a lone CR).
/// Borrows when no line is quoted.
///
/// ```
/// use mailsleuth::{unquote, Quoting};
/// let body = b"a\n>From here\n>>From there\n";
/// assert_eq!(&*unquote(body, Quoting::Mboxrd), b"a\nFrom here\n>From there\n");
/// assert_eq!(&*unquote(body, Quoting::Mboxo), b"a\nFrom here\n>>From there\n");
/// assert!(matches!(unquote(b"no quoting\n", Quoting::Mboxrd), std::borrow::Cow::Borrowed(_)));
/// ```
pub fn unquote(bytes: &[u8], quoting: Quoting) -> Cow<'_, [u8]> {
    let mut out: Option<Vec<u8>> = None;
    let mut copied = 0;
    for hit in memchr::memmem::find_iter(bytes, b">From ") {
        // Walk back over the run of '>' to the line start.
        let mut start = hit;
        while start > 0 && bytes[start - 1] == b'>' {
            start -= 1;
        }
        // A line starts after LF, or after a CR of its own (classic Mac line endings).
        let at_line_start = start == 0 || matches!(bytes[start - 1], b'\n' | b'\r');
        let quoted = at_line_start && (quoting == Quoting::Mboxrd || start == hit);
        if !quoted {
            continue;
        }
        let buf = out.get_or_insert_with(|| Vec::with_capacity(bytes.len()));
        buf.extend_from_slice(&bytes[copied..start]);
        copied = start + 1; // drop one '>'
    }
    match out {
        None => Cow::Borrowed(bytes),
        Some(mut buf) => {
            buf.extend_from_slice(&bytes[copied..]);
            Cow::Owned(buf)
        }
    }
}

/// The parts of an mbox separator line, as ranges into the line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FromLine {
    /// The envelope sender (`-` for Netscape/Thunderbird markers), if any.
    pub sender: Option<Range<usize>>,
    /// The envelope date, if any.
    pub date: Option<Range<usize>>,
    /// Whether the line has a sender and a recognisable date (not just `From -`).
    pub complete: bool,
    /// A sender and nothing else (`From 1844347792267117879@xxx`, as some exporters write):
    /// a separator only where a header field follows.
    pub bare: bool,
}

const WEEKDAYS: [&[u8]; 7] = [b"mon", b"tue", b"wed", b"thu", b"fri", b"sat", b"sun"];
const MONTHS: [&[u8]; 12] = [
    b"jan", b"feb", b"mar", b"apr", b"may", b"jun", b"jul", b"aug", b"sep", b"oct", b"nov", b"dec",
];

/// Parse a separator line (without its line ending). `None` when the line does not start
/// with `From ` or has neither a sender-and-date nor the `From -` marker form.
pub(crate) fn parse_from_line(line: &[u8]) -> Option<FromLine> {
    let rest = line.strip_prefix(b"From ")?;
    let offset = 5;
    // Separator lines have a handful of tokens: split them without allocating.
    let mut stack: [Range<usize>; 16] = Default::default();
    let heap;
    let tokens: &[Range<usize>] = match tokens_into(rest, &mut stack) {
        Some(n) => &stack[..n],
        None => {
            heap = tokens(rest);
            &heap
        }
    };
    if tokens.is_empty() {
        return None;
    }
    // Find the asctime-like date: a weekday followed by a month name.
    let date_at = (0..tokens.len().saturating_sub(1)).find(|&i| {
        is_one_of(&rest[tokens[i].clone()], &WEEKDAYS)
            && is_one_of(&rest[tokens[i + 1].clone()], &MONTHS)
    });
    let shift = |r: &Range<usize>| r.start + offset..r.end + offset;
    let first = &rest[tokens[0].clone()];
    match date_at {
        Some(d) if date_tail_ok(rest, &tokens[d + 2..]) => {
            let date = shift(&(tokens[d].start..tokens[tokens.len() - 1].end));
            if d == 0 {
                // A date with no sender: still a separator, though an incomplete one.
                Some(FromLine {
                    sender: None,
                    date: Some(date),
                    complete: false,
                    bare: false,
                })
            } else {
                Some(FromLine {
                    sender: Some(shift(&(tokens[0].start..tokens[d - 1].end))),
                    date: Some(date),
                    complete: true,
                    bare: false,
                })
            }
        }
        _ if first == b"-" => Some(FromLine {
            sender: Some(shift(&tokens[0])),
            date: if tokens.len() > 1 {
                Some(shift(&(tokens[1].start..tokens[tokens.len() - 1].end)))
            } else {
                None
            },
            complete: false,
            bare: false,
        }),
        _ if tokens.len() == 1 && first.contains(&b'@') => Some(FromLine {
            sender: Some(shift(&tokens[0])),
            date: None,
            complete: false,
            bare: true,
        }),
        _ => None,
    }
}

/// After weekday and month: a day of month, a time `h:mm[:ss]`, and a year, with time zone
/// tokens allowed in between (`Wed Feb  9 22:02 MET 2000`, `Fri Jul  8 12:08:34 -0700 2011`).
fn date_tail_ok(rest: &[u8], tail: &[Range<usize>]) -> bool {
    let mut day = false;
    let mut time = false;
    let mut year = false;
    for (i, r) in tail.iter().enumerate() {
        let t = &rest[r.clone()];
        if i == 0 {
            day = (1..=2).contains(&t.len()) && t.iter().all(u8::is_ascii_digit);
            if !day {
                return false;
            }
        } else if !time && is_time(t) {
            time = true;
        } else if time && t.len() == 4 && t.iter().all(u8::is_ascii_digit) {
            year = true;
        }
    }
    day && time && year
}

fn is_time(t: &[u8]) -> bool {
    let mut parts = 0;
    for p in t.split(|&b| b == b':') {
        parts += 1;
        if parts > 3 || !(1..=2).contains(&p.len()) || !p.iter().all(u8::is_ascii_digit) {
            return false;
        }
    }
    parts == 2 || parts == 3
}

fn is_one_of(token: &[u8], names: &[&[u8]]) -> bool {
    token.len() == 3 && names.iter().any(|n| token.eq_ignore_ascii_case(n))
}

/// The whitespace-separated tokens of `s` into `out`; their number, or `None` when there are
/// more than `out` holds.
fn tokens_into(s: &[u8], out: &mut [Range<usize>]) -> Option<usize> {
    let mut n = 0;
    let mut i = 0;
    while i < s.len() {
        while i < s.len() && s[i].is_ascii_whitespace() {
            i += 1;
        }
        let start = i;
        while i < s.len() && !s[i].is_ascii_whitespace() {
            i += 1;
        }
        if i > start {
            *out.get_mut(n)? = start..i;
            n += 1;
        }
    }
    Some(n)
}

fn tokens(s: &[u8]) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < s.len() {
        while i < s.len() && s[i].is_ascii_whitespace() {
            i += 1;
        }
        let start = i;
        while i < s.len() && !s[i].is_ascii_whitespace() {
            i += 1;
        }
        if i > start {
            out.push(start..i);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(line: &str) -> Option<(Option<String>, Option<String>, bool)> {
        let l = line.as_bytes();
        parse_from_line(l).map(|f| {
            let s = |r: Option<Range<usize>>| r.map(|r| line[r].to_string());
            (s(f.sender), s(f.date), f.complete)
        })
    }

    #[test]
    fn from_lines_in_the_wild() {
        assert_eq!(
            parts("From magick-owner@unca-don.wizards.dupont.com Wed Feb  9 22:02 MET 2000"),
            Some((
                Some("magick-owner@unca-don.wizards.dupont.com".into()),
                Some("Wed Feb  9 22:02 MET 2000".into()),
                true
            ))
        );
        assert_eq!(
            parts("From 1844347792267117879@xxx Fri Sep 26 10:18:40 +0000 2025").map(|p| p.2),
            Some(true)
        );
        assert_eq!(
            parts("From MAILER-DAEMON Fri Jul  8 12:08:34 2011").map(|p| p.1),
            Some(Some("Fri Jul  8 12:08:34 2011".into()))
        );
        assert_eq!(
            parts("From - Mon Jun  3 12:50:27 1996"),
            Some((
                Some("-".into()),
                Some("Mon Jun  3 12:50:27 1996".into()),
                true
            ))
        );
        assert_eq!(parts("From - "), Some((Some("-".into()), None, false)));
        assert_eq!(parts("From Russia with love"), None);
        assert_eq!(parts("From Russia"), None);
        assert_eq!(
            parts("From 1844347792267117879@xxx"),
            Some((Some("1844347792267117879@xxx".into()), None, false))
        );
        assert_eq!(parts("From the desk of Bob, Mon Jan 1"), None);
        assert_eq!(parts("Fromage"), None);
        assert_eq!(parts("From "), None);
    }

    #[test]
    fn unquote_after_classic_mac_line_endings() {
        let b = b"a\r>From b\r>>From c\r";
        assert_eq!(&*unquote(b, Quoting::Mboxrd), b"a\rFrom b\r>From c\r");
        assert_eq!(&*unquote(b, Quoting::Mboxo), b"a\rFrom b\r>>From c\r");
    }

    #[test]
    fn unquote_only_at_line_starts() {
        let b = b">From a\nx>From b\n>>>From c\n";
        assert_eq!(
            &*unquote(b, Quoting::Mboxrd),
            b"From a\nx>From b\n>>From c\n"
        );
        assert_eq!(
            &*unquote(b, Quoting::Mboxo),
            b"From a\nx>From b\n>>>From c\n"
        );
    }
}
