//! The two primitives every message is built on: a bounds-checked [`Reader`] and the
//! [`Codec`] trait. Every length prefix goes through a sub-reader, so a lying length can
//! never read past its parent, and a struct parse that leaves bytes behind names itself.

use std::fmt;

/// Why bytes from the network could not be decoded. Never a panic.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// More bytes are needed to finish `0`.
    #[error("truncated {0}")]
    Truncated(&'static str),
    /// `0` parsed but bytes were left over inside its length.
    #[error("trailing data after {0}")]
    TrailingData(&'static str),
    /// The bytes are well framed but their value is not allowed.
    #[error("invalid {0}: {1}")]
    Invalid(&'static str, String),
}

/// A cursor over a borrowed byte slice; never reads past its end.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        Self { buf, pos: 0 }
    }

    pub fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], DecodeError> {
        let end = self
            .pos
            .checked_add(n)
            .ok_or(DecodeError::Truncated(what))?;
        let out = self
            .buf
            .get(self.pos..end)
            .ok_or(DecodeError::Truncated(what))?;
        self.pos = end;
        Ok(out)
    }

    pub fn u8(&mut self, what: &'static str) -> Result<u8, DecodeError> {
        Ok(self.take(1, what)?[0])
    }

    pub fn u16(&mut self, what: &'static str) -> Result<u16, DecodeError> {
        let b = self.take(2, what)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }

    pub fn u24(&mut self, what: &'static str) -> Result<u32, DecodeError> {
        let b = self.take(3, what)?;
        Ok(u32::from_be_bytes([0, b[0], b[1], b[2]]))
    }

    pub fn u32(&mut self, what: &'static str) -> Result<u32, DecodeError> {
        let b = self.take(4, what)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// A sub-reader over the next `len` bytes.
    pub fn sub(&mut self, len: usize, what: &'static str) -> Result<Reader<'a>, DecodeError> {
        Ok(Reader::new(self.take(len, what)?))
    }

    /// A sub-reader over a vector whose length is a `u8` prefix.
    pub fn sub_u8(&mut self, what: &'static str) -> Result<Reader<'a>, DecodeError> {
        let len = self.u8(what)? as usize;
        self.sub(len, what)
    }

    /// A sub-reader over a vector whose length is a `u16` prefix.
    pub fn sub_u16(&mut self, what: &'static str) -> Result<Reader<'a>, DecodeError> {
        let len = self.u16(what)? as usize;
        self.sub(len, what)
    }

    /// A sub-reader over a vector whose length is a `u24` prefix.
    pub fn sub_u24(&mut self, what: &'static str) -> Result<Reader<'a>, DecodeError> {
        let len = self.u24(what)? as usize;
        self.sub(len, what)
    }

    pub fn rest(&mut self) -> &'a [u8] {
        let out = &self.buf[self.pos..];
        self.pos = self.buf.len();
        out
    }

    pub fn is_empty(&self) -> bool {
        self.pos >= self.buf.len()
    }

    pub fn remaining(&self) -> usize {
        self.buf.len().saturating_sub(self.pos)
    }

    /// Rejects trailing bytes, naming the structure that should have consumed them.
    pub fn expect_empty(&self, what: &'static str) -> Result<(), DecodeError> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(DecodeError::TrailingData(what))
        }
    }
}

/// A wire type: encodes into a buffer and reads itself from a [`Reader`].
pub trait Codec: Sized {
    fn encode(&self, out: &mut Vec<u8>);
    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError>;

    fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.encode(&mut out);
        out
    }

    /// Reads exactly one value from `bytes`, rejecting trailing data.
    fn from_bytes(bytes: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(bytes);
        let v = Self::read(&mut r)?;
        r.expect_empty(
            std::any::type_name::<Self>()
                .rsplit("::")
                .next()
                .unwrap_or("value"),
        )?;
        Ok(v)
    }
}

/// Writes `body` behind a big-endian length prefix of `prefix_len` bytes (1, 2 or 3).
pub fn put_len_prefixed(out: &mut Vec<u8>, prefix_len: usize, body: impl FnOnce(&mut Vec<u8>)) {
    let at = out.len();
    out.extend(std::iter::repeat_n(0, prefix_len));
    body(out);
    let len = out.len() - at - prefix_len;
    let bytes = (len as u32).to_be_bytes();
    out[at..at + prefix_len].copy_from_slice(&bytes[4 - prefix_len..]);
}

pub fn put_u16(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_be_bytes());
}

pub fn put_u24(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_be_bytes()[1..]);
}

/// Lower-case hex, for fingerprints and unknown values.
pub fn hex(bytes: &[u8]) -> String {
    use fmt::Write;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// A big-endian unsigned integer without its leading zero bytes (DER INTEGERs, DH primes).
pub fn strip_leading_zeros(be: &[u8]) -> &[u8] {
    let start = be.iter().position(|b| *b != 0).unwrap_or(be.len());
    &be[start..]
}

/// Bits of a big-endian unsigned integer, leading zeros skipped: 0x00 0x80 0x00 is 16.
pub fn bit_length(be: &[u8]) -> u32 {
    match strip_leading_zeros(be) {
        [] => 0,
        [first, rest @ ..] => rest.len() as u32 * 8 + (8 - first.leading_zeros()),
    }
}

/// Declares an open IANA registry: a newtype over the wire integer, with named constants.
/// Unknown values survive a round trip and print as hex.
macro_rules! open_enum {
    ($(#[$meta:meta])* $name:ident($int:ty), $what:literal, width = $width:literal {
        $($(#[$cmeta:meta])* $konst:ident = $val:literal => $text:literal,)*
    }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub $int);

        impl $name {
            $($(#[$cmeta])* pub const $konst: $name = $name($val);)*

            /// Every value this build has a name for.
            pub const KNOWN: &'static [$name] = &[$($name($val),)*];

            /// The registry name, if this build knows the value.
            pub fn name(self) -> Option<&'static str> {
                match self.0 {
                    $($val => Some($text),)*
                    _ => None,
                }
            }

            /// Looks a value up by its registry name.
            pub fn from_name(name: &str) -> Option<$name> {
                match name {
                    $($text => Some($name($val)),)*
                    _ => None,
                }
            }
        }

        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                match self.name() {
                    Some(n) => write!(f, "{}", n),
                    None => write!(f, "{}(0x{:0w$x})", stringify!($name), self.0, w = $width),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                match self.name() {
                    Some(n) => write!(f, "{}", n),
                    None => write!(f, "0x{:0w$x}", self.0, w = $width),
                }
            }
        }

        impl $crate::wire::codec::Codec for $name {
            fn encode(&self, out: &mut Vec<u8>) {
                out.extend_from_slice(&self.0.to_be_bytes());
            }
            fn read(r: &mut $crate::wire::codec::Reader<'_>) -> Result<Self, $crate::wire::codec::DecodeError> {
                let b = r.take(std::mem::size_of::<$int>(), $what)?;
                let mut arr = [0u8; std::mem::size_of::<$int>()];
                arr.copy_from_slice(b);
                Ok($name(<$int>::from_be_bytes(arr)))
            }
        }
    };
}
pub(crate) use open_enum;

/// Reads a vector of fixed-size codec items behind a length prefix of `prefix_len` bytes.
pub fn read_list<T: Codec>(
    r: &mut Reader<'_>,
    prefix_len: usize,
    what: &'static str,
) -> Result<Vec<T>, DecodeError> {
    let mut sub = match prefix_len {
        1 => r.sub_u8(what)?,
        2 => r.sub_u16(what)?,
        _ => r.sub_u24(what)?,
    };
    let mut out = Vec::new();
    while !sub.is_empty() {
        out.push(T::read(&mut sub)?);
    }
    Ok(out)
}

/// Encodes a vector of codec items behind a length prefix of `prefix_len` bytes.
pub fn encode_list<T: Codec>(out: &mut Vec<u8>, prefix_len: usize, items: &[T]) {
    put_len_prefixed(out, prefix_len, |o| {
        for it in items {
            it.encode(o);
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bit_length_skips_leading_zeros() {
        assert_eq!(bit_length(&[0, 0x80, 0]), 16);
        assert_eq!(bit_length(&[0x01]), 1);
        assert_eq!(bit_length(&[0, 0]), 0);
    }

    #[test]
    fn reader_never_reads_past_end() {
        let mut r = Reader::new(&[0, 5, 1, 2]);
        assert_eq!(
            r.sub_u16("x").unwrap_err(),
            DecodeError::Truncated("x"),
            "a length of 5 with 2 bytes left is truncated"
        );
    }

    #[test]
    fn length_prefix_roundtrip() {
        let mut out = Vec::new();
        put_len_prefixed(&mut out, 3, |o| o.extend_from_slice(&[9, 9]));
        assert_eq!(out, vec![0, 0, 2, 9, 9]);
        let mut r = Reader::new(&out);
        assert_eq!(r.sub_u24("y").unwrap().rest(), &[9, 9]);
    }
}
