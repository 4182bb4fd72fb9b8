//! OpenDocument metadata: arbitrary bytes as `meta.xml` of a stored zip: no panic, no hang,
//! bounded memory.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mailsleuth::checks::attachments::{DocumentKind, document_metadata};
use mailsleuth_fuzz::stored_zip;

fuzz_target!(|data: &[u8]| {
    let zip = stored_zip(&[("meta.xml", data)]);
    let meta = document_metadata(&zip).expect("an ODF document");
    assert_eq!(meta.kind, DocumentKind::Odf);
});
