//! PDF attachment metadata (Info dictionary strings, XMP packet) on arbitrary bytes after
//! `%PDF-`, and the same bytes as a whole message whose MIME tree is checked against the
//! budgets before it is decoded: no panic, no hang, bounded memory.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mailsleuth::checks::attachments::{attachments, document_metadata};

fuzz_target!(|data: &[u8]| {
    let mut pdf = b"%PDF-".to_vec();
    pdf.extend_from_slice(data);
    let meta = document_metadata(&pdf).expect("a PDF always has metadata, maybe empty");
    for text in [&meta.creator, &meta.application].into_iter().flatten() {
        assert!(text.len() <= 4 * 4097, "a PDF string is cut at 4 KiB");
    }
    for (span, _, _) in attachments(data, 1000) {
        assert!(span.start >= 1000 && span.end <= 1000 + data.len() as u64);
    }
});
