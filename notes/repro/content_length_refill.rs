//! Prints the entries of the Content-Length refill reproduction through the slice path and
//! the streaming path at several buffer sizes (run it as an example of the crate).
use bytes::Bytes;
use mailsleuth::{Entry, Reader};
fn show(e: mailsleuth::Entries) {
    for e in e { match e { Ok(Entry::Message(m)) => println!("  msg {} {} {:?}", m.span(), m.format(), m.anomalies().iter().map(|a| a.code.as_str()).collect::<Vec<_>>()), Ok(Entry::Gap(g)) => println!("  gap {}", g.span), Err(e) => println!("  err {e}") } }
}
fn main() {
    let body = b"Hi\n\nFrom c@example.org Wed Jan  3 00:00:00 2001\nSubject: not a separator\n\nstill the body\n";
    let mut data = b"From a@example.org Mon Jan  1 00:00:00 2001\nSubject: first\n\n".to_vec();
    for _ in 0..100 { data.extend_from_slice(b"padding padding padding padding padding padding\n"); }
    data.extend_from_slice(b"\nFrom b@example.org Tue Jan  2 00:00:00 2001\n");
    data.extend_from_slice(format!("Content-Length: {}\nSubject: second\n\n", body.len()).as_bytes());
    data.extend_from_slice(body);
    println!("slice:");
    show(Reader::new().read_bytes("x", Bytes::from(data.clone())));
    for b in [1usize, 7, 64, 4096, 1 << 20] {
        println!("stream, buffer {b}:");
        show(Reader::new().buffer_size(b).read_stream("x", std::io::Cursor::new(data.clone())));
    }
}
