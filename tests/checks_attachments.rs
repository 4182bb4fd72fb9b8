//! Attachment metadata (feature `attachments`): OOXML, ODF and PDF metadata; modified after
//! Date, author unrelated to the sender, one editor's cluster across messages.
#![cfg(feature = "attachments")]

use std::io::Write;

use mailsleuth::checks::attachments::{DocumentKind, document_metadata};
use mailsleuth::checks::{Finding, FindingCode, Severity};
use mailsleuth::{Input, Scanner};
use mailsleuth_testkit::signer::base64_encode;

fn zip_with(files: &[(&str, &str)]) -> Vec<u8> {
    let mut buf = std::io::Cursor::new(Vec::new());
    {
        let mut z = zip::ZipWriter::new(&mut buf);
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        for (name, text) in files {
            z.start_file(*name, opts).unwrap();
            z.write_all(text.as_bytes()).unwrap();
        }
        z.finish().unwrap();
    }
    buf.into_inner()
}

fn xlsx(editor: &str, modified: &str) -> Vec<u8> {
    let core = format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<dc:creator>Alice Martin</dc:creator><cp:lastModifiedBy>{editor}</cp:lastModifiedBy>
<dcterms:created xsi:type="dcterms:W3CDTF">2017-03-01T09:00:00Z</dcterms:created>
<dcterms:modified xsi:type="dcterms:W3CDTF">{modified}</dcterms:modified><dc:language>ru-RU</dc:language>
</cp:coreProperties>"#
    );
    let app = r#"<?xml version="1.0"?><Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"><Application>Microsoft Excel</Application><AppVersion>15.0300</AppVersion></Properties>"#;
    zip_with(&[
        ("docProps/core.xml", &core),
        ("docProps/app.xml", app),
        ("xl/workbook.xml", "<workbook/>"),
    ])
}

fn message(from: &str, date: &str, id: &str, doc: &[u8]) -> String {
    format!(
        "From: {from}\r\nDate: {date}\r\nMessage-ID: <{id}>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n--b1\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n--b1\r\nContent-Type: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet; name=\"budget.xlsx\"\r\nContent-Disposition: attachment; filename=\"budget.xlsx\"\r\nContent-Transfer-Encoding: base64\r\n\r\n{}\r\n--b1--\r\n",
        base64_encode(doc)
    )
}

/// The per-message findings of every message of `dump`, and the findings the dump-wide
/// pass adds, by message index.
fn analyze(
    dump: &str,
) -> (
    Vec<Vec<Finding>>,
    std::collections::BTreeMap<u64, Vec<Finding>>,
) {
    let scanner = Scanner::default();
    let mut scan = scanner.scan([Input::Bytes {
        name: "d.mbox".into(),
        data: dump.to_string().into(),
    }]);
    let per = scan.by_ref().map(|r| r.expect("report").findings).collect();
    let finished = scan.finish();
    let dump = finished
        .amendments()
        .map(|a| (a.index, a.findings.clone()))
        .collect();
    (per, dump)
}

fn codes(f: &[Finding]) -> Vec<&'static str> {
    f.iter().map(|f| f.code.as_str()).collect()
}

#[test]
fn ooxml_metadata() {
    let m = document_metadata(&xlsx("Рошка Георгий Петрович", "2017-03-27T10:31:00Z")).unwrap();
    assert_eq!(m.kind, DocumentKind::Ooxml);
    assert_eq!(m.creator.as_deref(), Some("Alice Martin"));
    assert_eq!(
        m.last_modified_by.as_deref(),
        Some("Рошка Георгий Петрович")
    );
    assert_eq!(m.application.as_deref(), Some("Microsoft Excel 15.0300"));
    assert_eq!(m.language.as_deref(), Some("ru-RU"));
    assert_eq!(m.modified, Some(1_490_610_660));
}

#[test]
fn odf_metadata() {
    let meta = r#"<office:document-meta xmlns:office="o" xmlns:meta="m" xmlns:dc="d"><office:meta><meta:initial-creator>Bob</meta:initial-creator><dc:creator>Eve &amp; Co</dc:creator><meta:creation-date>2017-03-01T09:00:00</meta:creation-date><dc:date>2017-03-27T10:31:00</dc:date><meta:generator>LibreOffice/5.3</meta:generator></office:meta></office:document-meta>"#;
    let m = document_metadata(&zip_with(&[
        ("mimetype", "application/vnd.oasis.opendocument.text"),
        ("meta.xml", meta),
    ]))
    .unwrap();
    assert_eq!(m.kind, DocumentKind::Odf);
    assert_eq!(m.creator.as_deref(), Some("Bob"));
    assert_eq!(m.last_modified_by.as_deref(), Some("Eve & Co"));
    assert!(!m.modified_zone_known);
    assert_eq!(m.application.as_deref(), Some("LibreOffice/5.3"));
}

#[test]
fn modified_after_date_and_unrelated_author() {
    // Clean: edited by the sender before sending.
    let clean = message(
        "Alice Martin <alice@en-marche.fr>",
        "Mon, 27 Mar 2017 12:00:00 +0200",
        "1@x",
        &xlsx("Alice Martin", "2017-03-27T09:00:00Z"),
    );
    let (per, dump) = analyze(&clean);
    assert!(per[0].is_empty(), "{:?}", per[0]);
    assert!(dump.is_empty());
    // Edited after the email was sent, by someone else.
    let bad = message(
        "Alice Martin <alice@en-marche.fr>",
        "Mon, 20 Mar 2017 12:00:00 +0100",
        "2@x",
        &xlsx("Рошка Георгий Петрович", "2017-03-27T10:31:00Z"),
    );
    let (per, _) = analyze(&bad);
    assert_eq!(
        codes(&per[0]),
        [
            "attachment-modified-after-date",
            "attachment-author-unrelated"
        ]
    );
    assert_eq!(per[0][0].severity, Severity::Medium);
    let span = per[0][0].evidence[0];
    assert!(
        bad[span.start as usize..span.end as usize]
            .starts_with("Content-Type: application/vnd.openxml")
    );
    let bob = message(
        "Bob <bob@en-marche.fr>",
        "Mon, 27 Mar 2017 12:00:00 +0200",
        "3@x",
        &xlsx("Рошка Георгий Петрович", "2017-03-27T09:00:00Z"),
    );
    let (per, _) = analyze(&bob);
    assert_eq!(codes(&per[0]), ["attachment-author-unrelated"]);
    assert_eq!(per[0][0].severity, Severity::Low);
}

#[test]
fn one_editor_in_a_short_window_across_messages() {
    let mut dump = String::new();
    for (i, minute) in [31, 32, 33, 34].iter().enumerate() {
        dump.push_str("From x@y Mon Mar 27 12:00:00 2017\r\n");
        dump.push_str(&message(
            "Alice Martin <alice@en-marche.fr>",
            "Mon, 27 Mar 2017 14:00:00 +0200",
            &format!("{i}@x"),
            &xlsx(
                "Рошка Георгий Петрович",
                &format!("2017-03-27T10:{minute}:00Z"),
            ),
        ));
        dump.push_str("\r\n");
    }
    let (_, out) = analyze(&dump);
    assert_eq!(out.len(), 4, "{out:?}");
    let f = &out[&0][0];
    assert_eq!(f.code, FindingCode::AttachmentEditCluster);
    assert!(
        f.detail.contains("4 attachments in 4 messages"),
        "{}",
        f.detail
    );
    // Spread over hours: no cluster.
    let mut dump = String::new();
    for (i, hour) in [10, 12, 14, 16].iter().enumerate() {
        dump.push_str("From x@y Mon Mar 27 12:00:00 2017\r\n");
        dump.push_str(&message(
            "Alice Martin <alice@en-marche.fr>",
            "Mon, 27 Mar 2017 20:00:00 +0200",
            &format!("{i}@x"),
            &xlsx("Alice Martin", &format!("2017-03-27T{hour}:00:00Z")),
        ));
        dump.push_str("\r\n");
    }
    assert!(analyze(&dump).1.is_empty());
}
