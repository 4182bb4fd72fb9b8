//! DKIM-style tag-lists (`a=b; c=d`, RFC 6376 section 3.2), as DKIM signatures, key
//! records and ARC headers write them: the one parser, and the strict check of the syntax.
//!
//! ```text
//! tag-list  =  tag-spec *( ";" tag-spec ) [ ";" ]
//! tag-spec  =  [FWS] tag-name [FWS] "=" [FWS] tag-value [FWS]
//! tag-name  =  ALPHA *ALNUMPUNC
//! ```
//!
//! White space (folding included) around names and values is not part of them; white space
//! inside a value is (section 3.2). Names are case-sensitive.

use std::borrow::Cow;
use std::collections::HashSet;
use std::ops::Range;

/// One tag of a tag-list: name and value, trimmed, with their places in the list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Tag<'a> {
    /// The name, without the white space around it.
    pub name: &'a [u8],
    /// The value, without the white space around it (inner white space kept).
    pub value: &'a [u8],
    /// Where the name is in the list.
    pub name_range: Range<usize>,
    /// Where the value is in the list (empty, after the `=`, for an empty value).
    pub value_range: Range<usize>,
}

impl<'a> Tag<'a> {
    /// The value with all white space removed (folded base64, numbers), as text.
    pub fn compact(&self) -> Cow<'a, str> {
        if self.value.iter().any(|b| is_fws(*b)) {
            let v: Vec<u8> = self.value.iter().copied().filter(|b| !is_fws(*b)).collect();
            Cow::Owned(String::from_utf8_lossy(&v).into_owned())
        } else {
            String::from_utf8_lossy(self.value)
        }
    }
}

/// One `;`-separated part of a list: its trimmed text and where it is.
#[derive(Debug, Clone, Copy)]
struct Spec<'a> {
    /// The part without the white space around it.
    text: &'a [u8],
    /// Where the trimmed text starts in the list.
    start: usize,
    /// Whether this is the part after the last `;`.
    last: bool,
}

/// White space of a tag-list: WSP and the CR LF of folding.
fn is_fws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

/// `bytes` without white space at either end, and the offset of what is left.
fn trim(bytes: &[u8]) -> (&[u8], usize) {
    let lead = bytes.iter().take_while(|b| is_fws(**b)).count();
    let rest = bytes.get(lead..).unwrap_or_default();
    let tail = rest.iter().rev().take_while(|b| is_fws(**b)).count();
    (rest.get(..rest.len() - tail).unwrap_or_default(), lead)
}

/// Every `;`-separated part of a list, in order (one pass).
fn specs(list: &[u8]) -> impl Iterator<Item = Spec<'_>> {
    let mut start = 0;
    let mut done = false;
    std::iter::from_fn(move || {
        if done {
            return None;
        }
        let rest = list.get(start..)?;
        let (part, last) = match memchr::memchr(b';', rest) {
            Some(i) => (rest.get(..i)?, false),
            None => (rest, true),
        };
        let (text, lead) = trim(part);
        let spec = Spec {
            text,
            start: start + lead,
            last,
        };
        start += part.len() + 1;
        done = last;
        Some(spec)
    })
}

impl<'a> Spec<'a> {
    /// The tag of this part, `None` when it has no `=`.
    fn tag(self) -> Option<Tag<'a>> {
        let eq = memchr::memchr(b'=', self.text)?;
        let (name, _) = trim(self.text.get(..eq)?);
        let (value, lead) = trim(self.text.get(eq + 1..)?);
        let name_start = self.start;
        let value_start = self.start + eq + 1 + lead;
        Some(Tag {
            name,
            value,
            name_range: name_start..name_start + name.len(),
            value_range: value_start..value_start + value.len(),
        })
    }
}

/// The tags of a tag-list, in order; parts without `=` (and empty parts) are not tags and
/// are skipped ([`validate`] reports them). One pass, no allocation.
pub(crate) fn parse(list: &[u8]) -> impl Iterator<Item = Tag<'_>> {
    specs(list).filter_map(Spec::tag)
}

/// [`parse`] over text: each tag's name and value.
pub(crate) fn tags(list: &str) -> impl Iterator<Item = (&str, &str)> {
    // Tags are cut at ASCII bytes only, so every range is a character boundary.
    parse(list.as_bytes()).filter_map(move |t| {
        Some((
            list.get(t.name_range.clone())?,
            list.get(t.value_range.clone())?,
        ))
    })
}

/// The value of the first tag named exactly `name`, with all white space removed (as the
/// values checks read are numbers, domains and base64), lossily as text.
pub(crate) fn tag<'a>(list: &'a [u8], name: &[u8]) -> Option<Cow<'a, str>> {
    parse(list).find(|t| t.name == name).map(|t| t.compact())
}

/// The names that occur more than once, each once, in the order of their second
/// occurrence. Linear: one pass with a set.
pub(crate) fn duplicates(list: &[u8]) -> Vec<&[u8]> {
    let mut seen: HashSet<&[u8]> = HashSet::new();
    let mut reported: HashSet<&[u8]> = HashSet::new();
    let mut out = Vec::new();
    for t in parse(list) {
        if !seen.insert(t.name) && reported.insert(t.name) {
            out.push(t.name);
        }
    }
    out
}

/// Why a tag-list breaks the syntax of RFC 6376 section 3.2.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TagError {
    /// An empty tag-spec before the last `;`.
    Empty,
    /// A tag-spec without `=` (the text, trimmed).
    NoEquals(String),
    /// A name that is not `ALPHA *(ALPHA / DIGIT / "_")`.
    InvalidName(String),
    /// A name that occurs twice.
    Duplicate(String),
    /// A required tag that is missing.
    Missing(String),
}

impl std::fmt::Display for TagError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TagError::Empty => f.write_str("empty tag"),
            TagError::NoEquals(t) => write!(f, "tag without '=': {t}"),
            TagError::InvalidName(n) => write!(f, "invalid tag name {n:?}"),
            TagError::Duplicate(n) => write!(f, "tag {n}= twice"),
            TagError::Missing(n) => write!(f, "no {n}= tag"),
        }
    }
}

/// Whether `name` is `ALPHA *(ALPHA / DIGIT / "_")`.
fn valid_name(name: &[u8]) -> bool {
    name.first().is_some_and(u8::is_ascii_alphabetic)
        && name.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'_')
}

/// Check a tag-list strictly against RFC 6376 section 3.2: an empty tag-spec only after the
/// last `;`, every tag-spec with `=`, names `ALPHA *(ALPHA / DIGIT / "_")`, no name twice
/// (case-sensitive), and every name of `required` present. The first problem in list order
/// is returned, then the first missing required name. Linear in the list's length.
pub(crate) fn validate(list: &[u8], required: &[&str]) -> Result<(), TagError> {
    let lossy = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    let mut seen: HashSet<&[u8]> = HashSet::new();
    for spec in specs(list) {
        if spec.text.is_empty() {
            if spec.last {
                continue;
            }
            return Err(TagError::Empty);
        }
        let Some(tag) = spec.tag() else {
            return Err(TagError::NoEquals(lossy(spec.text)));
        };
        if !valid_name(tag.name) {
            return Err(TagError::InvalidName(lossy(tag.name)));
        }
        if !seen.insert(tag.name) {
            return Err(TagError::Duplicate(lossy(tag.name)));
        }
    }
    match required.iter().find(|r| !seen.contains(r.as_bytes())) {
        Some(r) => Err(TagError::Missing((*r).to_string())),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The example signature of RFC 6376 section 3.5, as folded there.
    const RFC_SIGNATURE: &[u8] = b" v=1; a=rsa-sha256; d=example.net; s=brisbane;\r\n     \
c=simple; q=dns/txt; i=@eng.example.net;\r\n     t=1117574938; x=1118006938;\r\n     \
h=from:to:subject:date;\r\n     z=From:foo@eng.example.net|To:joe@example.com|\r\n      \
Subject:demo=20run|Date:July=205,=202005=203:44:08=20PM=20-0700;\r\n     \
bh=MTIzNDU2Nzg5MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTI=;\r\n     \
b=dzdVyOfAKCdLXdJOc9G2q8LoXSlEniSbav+yuU4zGeeruD00lszZVoG4ZHRNiYzR";

    fn pairs(list: &[u8]) -> Vec<(String, String)> {
        parse(list)
            .map(|t| {
                (
                    String::from_utf8_lossy(t.name).into_owned(),
                    String::from_utf8_lossy(t.value).into_owned(),
                )
            })
            .collect()
    }

    #[test]
    fn rfc_example_signature() {
        let p = pairs(RFC_SIGNATURE);
        let names: Vec<&str> = p.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "v", "a", "d", "s", "c", "q", "i", "t", "x", "h", "z", "bh", "b"
            ]
        );
        assert_eq!(p[2].1, "example.net");
        assert_eq!(p[9].1, "from:to:subject:date");
        // Folding inside a value is part of it; `=` inside a value does not split it.
        assert_eq!(
            p[10].1,
            "From:foo@eng.example.net|To:joe@example.com|\r\n      Subject:demo=20run|Date:July=205,=202005=203:44:08=20PM=20-0700"
        );
        assert_eq!(p[11].1, "MTIzNDU2Nzg5MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTI=");
        assert_eq!(
            validate(RFC_SIGNATURE, &["v", "a", "b", "bh", "d", "h", "s"]),
            Ok(())
        );
        assert!(duplicates(RFC_SIGNATURE).is_empty());
        assert_eq!(tag(RFC_SIGNATURE, b"t").as_deref(), Some("1117574938"));
        assert_eq!(
            tag(RFC_SIGNATURE, b"z").as_deref(),
            Some(
                "From:foo@eng.example.net|To:joe@example.com|Subject:demo=20run|Date:July=205,=202005=203:44:08=20PM=20-0700"
            )
        );
    }

    #[test]
    fn rfc_example_key_record() {
        // RFC 6376 section 3.6.1 and Appendix C: a key record is a tag-list too.
        let record = "v=DKIM1; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDwIRP/UC3SBsEmGqZ9ZJW3/DkMoGeLnQg1fWn7/zYtIxN2SnFCjxOCKG9v3b4jYfcTNh5ijSsq631uBItLa7od+v/RtdC2UzJ1lWT947qR+Rcac2gbto/NMqJ0fzfVjH4OuKhitdY9tf6mcwGjaNBcWToIMmPSPDdQPNUYckcQ2QIDAQAB";
        let t: Vec<(&str, &str)> = tags(record).collect();
        assert_eq!(t.len(), 2);
        assert_eq!(t[0], ("v", "DKIM1"));
        assert!(t[1].1.starts_with("MIGfMA0") && t[1].1.ends_with("QIDAQAB"));
        assert_eq!(validate(record.as_bytes(), &["p"]), Ok(()));
    }

    #[test]
    fn white_space_and_folding() {
        // Section 3.2: white space around names and values is not part of them, inside a
        // value it is.
        let list = b"\r\n\ta \r\n = \r\n\t b  c \r\n ;\td=\t;e = f";
        assert_eq!(
            pairs(list),
            [
                ("a".into(), "b  c".into()),
                ("d".into(), String::new()),
                ("e".into(), "f".into())
            ]
        );
        let t: Vec<Tag<'_>> = parse(list).collect();
        assert_eq!(&list[t[0].name_range.clone()], b"a");
        assert_eq!(&list[t[0].value_range.clone()], b"b  c");
        // An empty value is an empty range right after the `=`.
        assert!(t[1].value_range.is_empty());
        assert_eq!(list[t[1].value_range.start - 1], b'=');
        assert_eq!(&list[t[2].value_range.clone()], b"f");
        assert_eq!(tag(list, b"a").as_deref(), Some("bc"));
        assert_eq!(
            tags("x = 1 ; y=2").collect::<Vec<_>>(),
            [("x", "1"), ("y", "2")]
        );
        // Non-ASCII text survives as text.
        assert_eq!(
            tags("n=é ;m= ü").collect::<Vec<_>>(),
            [("n", "é"), ("m", "ü")]
        );
    }

    #[test]
    fn lookups_are_case_sensitive_and_take_the_first() {
        let list = b"D=upper.example; d=lower.example; d=second.example";
        assert_eq!(tag(list, b"d").as_deref(), Some("lower.example"));
        assert_eq!(tag(list, b"D").as_deref(), Some("upper.example"));
        assert_eq!(tag(list, b"x"), None);
        assert_eq!(duplicates(list), [&b"d"[..]]);
    }

    #[test]
    fn strict_violations() {
        let err = |l: &str| validate(l.as_bytes(), &[]).unwrap_err();
        // An empty tag-spec is allowed only after the last `;`.
        assert_eq!(validate(b"a=1;", &[]), Ok(()));
        assert_eq!(validate(b"a=1; \r\n ", &[]), Ok(()));
        assert_eq!(validate(b"", &[]), Ok(()));
        assert_eq!(err("a=1;;b=2"), TagError::Empty);
        assert_eq!(err("a=1; ;"), TagError::Empty);
        assert_eq!(err(";a=1"), TagError::Empty);
        // Every tag-spec has `=`.
        assert_eq!(err("a=1; b ; c=3"), TagError::NoEquals("b".into()));
        // Names: ALPHA *(ALPHA / DIGIT / "_").
        assert_eq!(validate(b"a_1=x; B2=y", &[]), Ok(()));
        assert_eq!(err("1a=x"), TagError::InvalidName("1a".into()));
        assert_eq!(err("a-b=x"), TagError::InvalidName("a-b".into()));
        assert_eq!(err("_a=x"), TagError::InvalidName("_a".into()));
        assert_eq!(err("=x"), TagError::InvalidName(String::new()));
        assert_eq!(err("a b=x"), TagError::InvalidName("a b".into()));
        assert_eq!(err("\u{e9}=x"), TagError::InvalidName("\u{e9}".into()));
        // No name twice (names are case-sensitive).
        assert_eq!(err("a=1; b=2; a=3"), TagError::Duplicate("a".into()));
        assert_eq!(validate(b"a=1; A=2", &[]), Ok(()));
        // Required names; the syntax is reported first.
        assert_eq!(
            validate(b"a=1", &["a", "b"]),
            Err(TagError::Missing("b".into()))
        );
        assert_eq!(validate(b"a=1;;", &["b"]), Err(TagError::Empty));
        // The sentences of the ARC checks.
        assert_eq!(TagError::Empty.to_string(), "empty tag");
        assert_eq!(
            TagError::NoEquals("b".into()).to_string(),
            "tag without '=': b"
        );
        assert_eq!(
            TagError::InvalidName("1a".into()).to_string(),
            "invalid tag name \"1a\""
        );
        assert_eq!(TagError::Duplicate("a".into()).to_string(), "tag a= twice");
        assert_eq!(TagError::Missing("b".into()).to_string(), "no b= tag");
    }

    #[test]
    fn many_tags() {
        // 300,000 tags, one name twice at the very end: found, once.
        let mut list = Vec::new();
        for i in 0..300_000u32 {
            list.extend_from_slice(format!("t{i}=v;").as_bytes());
        }
        list.extend_from_slice(b"t7=again");
        assert_eq!(duplicates(&list), [&b"t7"[..]]);
        assert_eq!(validate(&list, &[]), Err(TagError::Duplicate("t7".into())));
        // The same name 300,000 times is reported once.
        let same = b"a=1;".repeat(300_000);
        assert_eq!(duplicates(&same), [&b"a"[..]]);
    }

    /// The obvious versions: split, trim, compare with every earlier name.
    fn pairs_reference(list: &[u8]) -> Vec<(Vec<u8>, Vec<u8>)> {
        let trim = |b: &[u8]| -> Vec<u8> {
            let s = String::from_utf8_lossy(b).into_owned();
            s.trim_matches(|c| matches!(c, ' ' | '\t' | '\r' | '\n'))
                .as_bytes()
                .to_vec()
        };
        list.split(|b| *b == b';')
            .filter_map(|part| {
                let eq = part.iter().position(|b| *b == b'=')?;
                Some((trim(&part[..eq]), trim(&part[eq + 1..])))
            })
            .collect()
    }

    fn duplicates_reference(list: &[u8]) -> Vec<Vec<u8>> {
        let mut seen: Vec<Vec<u8>> = Vec::new();
        let mut out: Vec<Vec<u8>> = Vec::new();
        for (n, _) in pairs_reference(list) {
            if seen.contains(&n) && !out.contains(&n) {
                out.push(n.clone());
            }
            seen.push(n);
        }
        out
    }

    proptest! {
        #[test]
        fn parse_agrees_with_reference(list in "[abAB_1= ;\\t\\r\\n]{0,40}") {
            let got: Vec<(Vec<u8>, Vec<u8>)> = parse(list.as_bytes())
                .map(|t| (t.name.to_vec(), t.value.to_vec()))
                .collect();
            prop_assert_eq!(got, pairs_reference(list.as_bytes()));
            let dups: Vec<Vec<u8>> = duplicates(list.as_bytes()).into_iter().map(<[u8]>::to_vec).collect();
            prop_assert_eq!(dups, duplicates_reference(list.as_bytes()));
            for t in parse(list.as_bytes()) {
                prop_assert_eq!(&list.as_bytes()[t.name_range.clone()], t.name);
                prop_assert_eq!(&list.as_bytes()[t.value_range.clone()], t.value);
            }
        }

        #[test]
        fn validate_never_panics(list in "\\PC{0,40}") {
            let _ = validate(list.as_bytes(), &["a"]);
            let _ = tag(list.as_bytes(), b"a");
        }
    }
}
