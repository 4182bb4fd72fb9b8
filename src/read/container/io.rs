//! Readers the walker stacks: a peek buffer, byte counters and the budget guard.

use std::cell::{Cell, RefCell};
use std::io::{self, Read, Seek, SeekFrom};
use std::rc::Rc;

use crate::read::walk::{LimitKind, WalkError};

/// A reader whose first bytes were read ahead to decide what it is, then given back.
pub struct Peeked<R> {
    prefix: Vec<u8>,
    pos: usize,
    inner: R,
}

impl<R: Read> Peeked<R> {
    /// Read up to `n` bytes ahead (fewer only at the end of the stream).
    pub fn new(mut inner: R, n: usize) -> io::Result<Self> {
        let mut prefix = vec![0u8; n];
        let mut filled = 0;
        while filled < n {
            match inner.read(prefix.get_mut(filled..).unwrap_or_default()) {
                Ok(0) => break,
                Ok(k) => filled += k,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        }
        prefix.truncate(filled);
        Ok(Peeked {
            prefix,
            pos: 0,
            inner,
        })
    }

    /// The bytes read ahead.
    pub fn head(&self) -> &[u8] {
        &self.prefix
    }
}

impl<R: Read> Read for Peeked<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if let Some(rest) = self.prefix.get(self.pos..)
            && !rest.is_empty()
        {
            let n = rest.len().min(buf.len());
            buf.get_mut(..n)
                .unwrap_or_default()
                .copy_from_slice(rest.get(..n).unwrap_or_default());
            self.pos += n;
            return Ok(n);
        }
        self.inner.read(buf)
    }
}

/// Counts the bytes read through it into a shared cell.
pub struct Counting<R> {
    inner: R,
    count: Rc<Cell<u64>>,
}

impl<R> Counting<R> {
    /// Count into `count`.
    pub fn new(inner: R, count: Rc<Cell<u64>>) -> Self {
        Counting { inner, count }
    }
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.set(self.count.get().saturating_add(n as u64));
        Ok(n)
    }
}

impl<R: Seek> Seek for Counting<R> {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        self.inner.seek(pos)
    }
}

/// State shared by every guard of one walk: the limits, the outer source's byte count, the
/// leaf byte count, and the first limit that tripped (taken by the walker to report it).
pub struct Shared {
    pub limits: super::Limits,
    /// Bytes read from the outermost input.
    pub source_bytes: Rc<Cell<u64>>,
    /// Bytes delivered to the visitor (all leaf members).
    pub leaf_bytes: Cell<u64>,
    /// A limit that tripped and is not reported yet.
    pub tripped: RefCell<Option<WalkError>>,
}

impl Shared {
    fn trip(&self, err: WalkError) -> io::Error {
        let msg = err.to_string();
        let mut slot = self.tripped.borrow_mut();
        if slot.is_none() {
            *slot = Some(err);
        }
        io::Error::other(msg)
    }
}

/// How a guard knows how many compressed bytes its output came from.
pub enum Input {
    /// A counter on the decompressor's input.
    Counted(Rc<Cell<u64>>),
    /// A size known in advance (a zip entry's compressed size).
    Fixed(u64),
    /// Not a decompression (a leaf): no ratio of its own.
    None,
}

/// Enforces the budgets on the bytes that come out of a decompressor or go to the visitor.
/// Once a budget trips, every later read fails too.
pub struct Guard<R> {
    inner: R,
    shared: Rc<Shared>,
    input: Input,
    path: String,
    out: u64,
    leaf: bool,
    dead: bool,
}

impl<R: Read> Guard<R> {
    /// A guard on a decompression layer (`leaf` false) or on a member handed to the visitor.
    pub fn new(inner: R, shared: Rc<Shared>, input: Input, path: String, leaf: bool) -> Self {
        Guard {
            inner,
            shared,
            input,
            path,
            out: 0,
            leaf,
            dead: false,
        }
    }

    /// Bytes that came out so far.
    pub fn out(&self) -> u64 {
        self.out
    }

    fn limit(&self, limit: LimitKind, value: u64, max: u64) -> WalkError {
        WalkError::Limit {
            path: self.path.clone(),
            offset: self.out,
            limit,
            value,
            max,
        }
    }

    fn check(&self) -> Option<WalkError> {
        let l = &self.shared.limits;
        if self.out > l.max_member_bytes {
            return Some(self.limit(LimitKind::MemberBytes, self.out, l.max_member_bytes));
        }
        let input = match &self.input {
            Input::Counted(c) => Some(c.get()),
            Input::Fixed(n) => Some(*n),
            Input::None => None,
        };
        if let Some(input) = input
            && self.out > l.ratio_grace_bytes
            && self.out / input.max(1) > l.max_ratio
        {
            return Some(self.limit(LimitKind::Ratio, self.out / input.max(1), l.max_ratio));
        }
        if self.leaf {
            let total = self.shared.leaf_bytes.get();
            if total > l.max_total_bytes {
                return Some(self.limit(LimitKind::TotalBytes, total, l.max_total_bytes));
            }
            let source = self.shared.source_bytes.get().max(1);
            if total > l.ratio_grace_bytes && total / source > l.max_ratio {
                return Some(self.limit(LimitKind::Ratio, total / source, l.max_ratio));
            }
        }
        None
    }
}

impl<R: Read> Read for Guard<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.dead {
            return Err(io::Error::other(format!("{}: budget exhausted", self.path)));
        }
        let n = self.inner.read(buf)?;
        self.out = self.out.saturating_add(n as u64);
        if self.leaf {
            let total = self.shared.leaf_bytes.get().saturating_add(n as u64);
            self.shared.leaf_bytes.set(total);
        }
        if let Some(err) = self.check() {
            self.dead = true;
            return Err(self.shared.trip(err));
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peeked_gives_back_every_byte() {
        let data: Vec<u8> = (0..=255u8).cycle().take(2000).collect();
        let mut p = Peeked::new(&data[..], 512).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(p.head(), &data[..512]);
        let mut all = Vec::new();
        p.read_to_end(&mut all).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(all, data);
        let short = Peeked::new(&b"abc"[..], 512).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(short.head(), b"abc");
    }
}

/// A read buffer that survives seeks inside the bytes it holds (a `BufReader` throws its
/// buffer away on every seek, which makes a zip of many small entries read each buffer
/// twice per entry).
pub struct SeekBuf<R> {
    inner: R,
    buf: Vec<u8>,
    /// File offset of `buf[0]`.
    start: u64,
    /// Valid bytes in `buf`.
    len: usize,
    /// Read position in `buf`.
    pos: usize,
    /// Where `inner` is positioned (the end of the buffered bytes).
    inner_pos: u64,
}

impl<R: Read + Seek> SeekBuf<R> {
    /// Buffer `inner` (positioned at offset 0) with `capacity` bytes.
    pub fn new(inner: R, capacity: usize) -> Self {
        SeekBuf {
            inner,
            buf: vec![0; capacity.max(1)],
            start: 0,
            len: 0,
            pos: 0,
            inner_pos: 0,
        }
    }
}

impl<R: Read + Seek> Read for SeekBuf<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.pos >= self.len {
            let at = self.start + self.pos as u64;
            if self.inner_pos != at {
                self.inner.seek(SeekFrom::Start(at))?;
                self.inner_pos = at;
            }
            if out.len() >= self.buf.len() {
                let n = self.inner.read(out)?;
                self.inner_pos += n as u64;
                self.start = self.inner_pos;
                self.len = 0;
                self.pos = 0;
                return Ok(n);
            }
            let n = self.inner.read(&mut self.buf)?;
            self.inner_pos += n as u64;
            self.start = at;
            self.len = n;
            self.pos = 0;
            if n == 0 {
                return Ok(0);
            }
        }
        let avail = self.buf.get(self.pos..self.len).unwrap_or_default();
        let n = avail.len().min(out.len());
        out.get_mut(..n)
            .unwrap_or_default()
            .copy_from_slice(avail.get(..n).unwrap_or_default());
        self.pos += n;
        Ok(n)
    }
}

impl<R: Read + Seek> Seek for SeekBuf<R> {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        let current = self.start + self.pos as u64;
        let target = match pos {
            SeekFrom::Start(p) => p,
            SeekFrom::Current(d) => current
                .checked_add_signed(d)
                .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "seek before 0"))?,
            SeekFrom::End(_) => {
                let t = self.inner.seek(pos)?;
                self.inner_pos = t;
                self.start = t;
                self.len = 0;
                self.pos = 0;
                return Ok(t);
            }
        };
        if target >= self.start && target <= self.start + self.len as u64 {
            self.pos = (target - self.start) as usize;
        } else {
            self.start = target;
            self.len = 0;
            self.pos = 0;
        }
        Ok(target)
    }
}

#[cfg(test)]
mod seekbuf_tests {
    use super::*;
    use std::io::Cursor;

    #[test]
    fn seeks_inside_and_outside_the_buffer() {
        let data: Vec<u8> = (0..10_000u32).map(|i| (i % 251) as u8).collect();
        let mut r = SeekBuf::new(Cursor::new(data.clone()), 64);
        let mut b = [0u8; 10];
        r.read_exact(&mut b).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(&b, &data[..10]);
        r.seek(SeekFrom::Start(5)).unwrap_or_else(|e| panic!("{e}"));
        r.read_exact(&mut b).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(&b, &data[5..15]);
        r.seek(SeekFrom::Start(9000))
            .unwrap_or_else(|e| panic!("{e}"));
        r.read_exact(&mut b).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(&b, &data[9000..9010]);
        r.seek(SeekFrom::Current(-20))
            .unwrap_or_else(|e| panic!("{e}"));
        r.read_exact(&mut b).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(&b, &data[8990..9000]);
        let end = r.seek(SeekFrom::End(-3)).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(end, 9997);
        let mut rest = Vec::new();
        r.read_to_end(&mut rest).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(rest, &data[9997..]);
        let mut big = vec![0u8; 200];
        r.seek(SeekFrom::Start(100))
            .unwrap_or_else(|e| panic!("{e}"));
        r.read_exact(&mut big).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(&big[..], &data[100..300]);
    }
}
