//! Office Open XML metadata: arbitrary bytes as `docProps/core.xml` and (after the first NUL
//! byte) `docProps/app.xml` of a stored zip, and the bytes themselves as a zip: no panic, no
//! hang, bounded memory.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mailsleuth::checks::attachments::document_metadata;
use mailsleuth_fuzz::stored_zip;

fuzz_target!(|data: &[u8]| {
    let (core, app) = match data.iter().position(|&b| b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[][..]),
    };
    let zip = stored_zip(&[("docProps/core.xml", core), ("docProps/app.xml", app)]);
    let meta = document_metadata(&zip).expect("an OOXML document");
    assert_eq!(meta.kind, mailsleuth::checks::attachments::DocumentKind::Ooxml);
    let _ = document_metadata(data);
});
