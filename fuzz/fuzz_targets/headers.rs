//! The header index on arbitrary bytes with an arbitrary base offset (the first 8 bytes,
//! little-endian, limited so that `base + len` fits in a u64 as it does for any real source):
//! spans in bounds and increasing, the body after the headers, lookups and decoding never
//! panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mailsleuth::{Field, Headers, Span};

fuzz_target!(|input: &[u8]| {
    if input.len() < 8 {
        return;
    }
    let (head, bytes) = input.split_at(8);
    let base = u64::from_le_bytes(head.try_into().unwrap()).min(u64::MAX - bytes.len() as u64);
    let end = base + bytes.len() as u64;
    let h = Headers::parse(bytes, base);

    assert!(h.body_start() <= bytes.len());
    assert_eq!(
        h.header_span(),
        Span::new(base, base + h.body_start() as u64)
    );
    assert_eq!(h.body_span(), Span::new(base + h.body_start() as u64, end));
    assert_eq!(h.body(), &bytes[h.body_start()..]);
    assert_eq!(h.is_empty(), h.len() == 0);

    let mut prev_end = base;
    for (i, f) in h.iter().enumerate() {
        let span = f.span();
        assert_eq!(f.index(), i);
        assert!(
            span.start >= prev_end,
            "field {i} at {span} overlaps the one before"
        );
        assert!(
            span.end <= base + h.body_start() as u64,
            "field {i} runs into the body"
        );
        assert!(span.contains(f.name_span()) && span.contains(f.value_span()));
        assert!(f.name_span().end <= f.value_span().start);
        assert!(!f.name().is_empty());
        assert_eq!(
            f.raw(),
            &bytes[(span.start - base) as usize..(span.end - base) as usize]
        );
        assert_eq!(
            f.raw_value(),
            &bytes[(f.value_span().start - base) as usize..(f.value_span().end - base) as usize]
        );
        prev_end = span.end;
        let _ = (f.name_str(), f.value(), f.decoded(), f.is_folded());
        // Lookups by this field's own name find it.
        let name = f.name_str().into_owned();
        let first = h.get(&name).expect("a field is found by its name");
        let last = h.last(&name).expect("and from the bottom");
        assert!(first.index() <= i && i <= last.index());
        assert!(h.count(&name) >= 1);
        assert_eq!(h.get_all(&name).count(), h.count(&name));
        assert!(h.field(i).map(|g: Field<'_>| g.span()) == Some(span));
    }
    assert!(h.field(h.len()).is_none());
    for s in h.stray_lines() {
        assert!(
            h.header_span().contains(s),
            "stray line {s} outside the header block"
        );
    }
    for name in ["From", "subject", "DKIM-Signature", "", ":", "\u{e9}"] {
        let _ = (h.get(name), h.last(name), h.count(name));
    }
});
