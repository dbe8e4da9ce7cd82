//! Just enough DER for what x509-parser does not hand us: a bounds-checked TLV cursor,
//! used to read stapled OCSP responses and a few certificate extensions.

/// A cursor over DER TLVs. Every read is bounds-checked; a bad length ends the walk.
pub struct Der<'a> {
    rest: &'a [u8],
}

impl<'a> Der<'a> {
    pub fn new(bytes: &'a [u8]) -> Self {
        Self { rest: bytes }
    }

    /// The next TLV as (tag, value). Only short tags (one byte) occur in OCSP.
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> Option<(u8, &'a [u8])> {
        let (&tag, rest) = self.rest.split_first()?;
        let (&first, mut rest) = rest.split_first()?;
        let len = if first < 0x80 {
            first as usize
        } else {
            let n = (first & 0x7f) as usize;
            if n == 0 || n > 4 || rest.len() < n {
                return None;
            }
            let len = rest[..n]
                .iter()
                .fold(0usize, |acc, b| (acc << 8) | *b as usize);
            rest = &rest[n..];
            len
        };
        if rest.len() < len {
            return None;
        }
        let (value, after) = rest.split_at(len);
        self.rest = after;
        Some((tag, value))
    }

    /// The value of the next TLV when it is a SEQUENCE.
    pub fn sequence(&mut self) -> Option<&'a [u8]> {
        match self.next()? {
            (0x30, v) => Some(v),
            _ => None,
        }
    }

    /// The value of the next TLV when its tag is `tag`; None otherwise.
    pub fn expect_tag(&mut self, tag: u8) -> Option<&'a [u8]> {
        match self.next()? {
            (t, v) if t == tag => Some(v),
            _ => None,
        }
    }
}
