//! SSL 2.0 CLIENT-HELLO and SERVER-HELLO (draft-hickman-netscape-ssl-00, appendix E of RFC 6101
//! for the compatible hello). One SERVER-HELLO lists every cipher kind the server supports.

use super::codec::{put_u16, Codec, DecodeError, Reader};

/// SSLv2 message types.
pub const MSG_CLIENT_HELLO: u8 = 1;
pub const MSG_SERVER_HELLO: u8 = 4;

/// A 3-byte SSLv2 cipher kind (or, with a leading zero byte, a TLS suite in a compatible hello).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CipherKind(pub u32);

impl CipherKind {
    pub fn hex_id(self) -> String {
        format!("0x{:06x}", self.0)
    }
}

impl Codec for CipherKind {
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.0.to_be_bytes()[1..]);
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Self(r.u24("CipherKind")?))
    }
}

fn read_kinds(bytes: &[u8]) -> Result<Vec<CipherKind>, DecodeError> {
    if !bytes.len().is_multiple_of(3) {
        return Err(DecodeError::Invalid(
            "cipher specs",
            format!("length {} is not a multiple of 3", bytes.len()),
        ));
    }
    let mut r = Reader::new(bytes);
    let mut out = Vec::new();
    while !r.is_empty() {
        out.push(CipherKind::read(&mut r)?);
    }
    Ok(out)
}

/// CLIENT-HELLO: the message inside an SSLv2 record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sslv2ClientHello {
    pub version: u16,
    pub cipher_specs: Vec<CipherKind>,
    pub session_id: Vec<u8>,
    pub challenge: Vec<u8>,
}

impl Codec for Sslv2ClientHello {
    fn encode(&self, out: &mut Vec<u8>) {
        out.push(MSG_CLIENT_HELLO);
        put_u16(out, self.version);
        put_u16(out, (self.cipher_specs.len() * 3) as u16);
        put_u16(out, self.session_id.len() as u16);
        put_u16(out, self.challenge.len() as u16);
        for k in &self.cipher_specs {
            k.encode(out);
        }
        out.extend_from_slice(&self.session_id);
        out.extend_from_slice(&self.challenge);
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let typ = r.u8("SSLv2 message type")?;
        if typ != MSG_CLIENT_HELLO {
            return Err(DecodeError::Invalid(
                "SSLv2 CLIENT-HELLO",
                format!("message type {typ}"),
            ));
        }
        let version = r.u16("CLIENT-HELLO.version")?;
        let specs_len = r.u16("CLIENT-HELLO.cipher_specs_length")? as usize;
        let sid_len = r.u16("CLIENT-HELLO.session_id_length")? as usize;
        let ch_len = r.u16("CLIENT-HELLO.challenge_length")? as usize;
        let cipher_specs = read_kinds(r.take(specs_len, "CLIENT-HELLO.cipher_specs")?)?;
        let session_id = r.take(sid_len, "CLIENT-HELLO.session_id")?.to_vec();
        let challenge = r.take(ch_len, "CLIENT-HELLO.challenge")?.to_vec();
        Ok(Self {
            version,
            cipher_specs,
            session_id,
            challenge,
        })
    }
}

impl Sslv2ClientHello {
    /// The hello inside its two-byte SSLv2 record header.
    pub fn to_record(&self) -> Vec<u8> {
        let body = self.to_bytes();
        let mut out = vec![0x80 | ((body.len() >> 8) as u8 & 0x7f), body.len() as u8];
        out.extend(body);
        out
    }
}

/// SERVER-HELLO.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sslv2ServerHello {
    pub session_id_hit: u8,
    pub certificate_type: u8,
    pub version: u16,
    pub certificate: Vec<u8>,
    pub cipher_specs: Vec<CipherKind>,
    pub connection_id: Vec<u8>,
}

impl Codec for Sslv2ServerHello {
    fn encode(&self, out: &mut Vec<u8>) {
        out.push(MSG_SERVER_HELLO);
        out.push(self.session_id_hit);
        out.push(self.certificate_type);
        put_u16(out, self.version);
        put_u16(out, self.certificate.len() as u16);
        put_u16(out, (self.cipher_specs.len() * 3) as u16);
        put_u16(out, self.connection_id.len() as u16);
        out.extend_from_slice(&self.certificate);
        for k in &self.cipher_specs {
            k.encode(out);
        }
        out.extend_from_slice(&self.connection_id);
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let typ = r.u8("SSLv2 message type")?;
        if typ != MSG_SERVER_HELLO {
            return Err(DecodeError::Invalid(
                "SSLv2 SERVER-HELLO",
                format!("message type {typ}"),
            ));
        }
        let session_id_hit = r.u8("SERVER-HELLO.session_id_hit")?;
        let certificate_type = r.u8("SERVER-HELLO.certificate_type")?;
        let version = r.u16("SERVER-HELLO.version")?;
        let cert_len = r.u16("SERVER-HELLO.certificate_length")? as usize;
        let specs_len = r.u16("SERVER-HELLO.cipher_specs_length")? as usize;
        let cid_len = r.u16("SERVER-HELLO.connection_id_length")? as usize;
        let certificate = r.take(cert_len, "SERVER-HELLO.certificate")?.to_vec();
        let cipher_specs = read_kinds(r.take(specs_len, "SERVER-HELLO.cipher_specs")?)?;
        let connection_id = r.take(cid_len, "SERVER-HELLO.connection_id")?.to_vec();
        Ok(Self {
            session_id_hit,
            certificate_type,
            version,
            certificate,
            cipher_specs,
            connection_id,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_truncation() {
        let ch = Sslv2ClientHello {
            version: 2,
            cipher_specs: vec![CipherKind(0x010080), CipherKind(0x0700c0)],
            session_id: vec![],
            challenge: vec![1; 16],
        };
        let sh = Sslv2ServerHello {
            session_id_hit: 0,
            certificate_type: 1,
            version: 2,
            certificate: vec![0x30, 3, 1, 2, 3],
            cipher_specs: vec![CipherKind(0x060040)],
            connection_id: vec![9; 16],
        };
        let chb = ch.to_bytes();
        let shb = sh.to_bytes();
        assert_eq!(Sslv2ClientHello::from_bytes(&chb).unwrap(), ch);
        assert_eq!(Sslv2ServerHello::from_bytes(&shb).unwrap(), sh);
        for cut in 0..chb.len() {
            assert!(Sslv2ClientHello::from_bytes(&chb[..cut]).is_err());
        }
        for cut in 0..shb.len() {
            assert!(Sslv2ServerHello::from_bytes(&shb[..cut]).is_err());
        }
        assert_eq!(ch.to_record()[0], 0x80);
        assert_eq!(ch.to_record()[1] as usize, chb.len());
    }
}
