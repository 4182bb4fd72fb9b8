//! The committed sample dump and its manifest are exactly what the generator writes: run
//! `examples/make_sample.rs` into a temporary directory and compare byte for byte.

use std::process::Command;

use mailsleuth_testkit::sample;

fn generator() -> Command {
    mailsleuth_testkit::examples::example("make_sample")
}

#[test]
fn committed_sample_matches_its_generator() {
    let data = sample::data_dir();
    let tmp = std::env::temp_dir().join(format!("mailsleuth-sample-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).unwrap();
    let (mbox, manifest) = (tmp.join("sample.mbox"), tmp.join("MANIFEST.md"));
    let status = generator()
        .arg(&mbox)
        .arg(&manifest)
        .status()
        .expect("run make_sample");
    assert!(
        status.success(),
        "make_sample failed (its DKIM self-check?)"
    );
    for (generated, committed) in [
        (&mbox, data.join("sample.mbox")),
        (&manifest, data.join("MANIFEST.md")),
    ] {
        let a = std::fs::read(generated).unwrap();
        let b = std::fs::read(&committed).unwrap();
        let first_difference = a.iter().zip(&b).position(|(x, y)| x != y);
        assert!(
            a == b,
            "{} differs from the generator's output (lengths {} and {}, first difference at byte {:?}): run `cargo run --example make_sample` and commit",
            committed.display(),
            b.len(),
            a.len(),
            first_difference
        );
    }
    std::fs::remove_dir_all(&tmp).ok();
}
