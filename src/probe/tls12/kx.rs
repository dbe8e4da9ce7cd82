//! The client's side of the three key exchanges: RSA key transport (RFC 5246 section
//! 7.4.7.1), finite-field DHE (RFC 5246 section 8.1.2) and ECDHE on x25519, secp256r1 and
//! secp384r1 (RFC 8422 section 5.10). Each returns the premaster secret and the body of the
//! ClientKeyExchange.

use num_bigint::BigUint;
use rand::RngCore;
use ring::agreement;
use rsa::traits::PublicKeyParts;
use x509_parser::prelude::FromDer;
use x509_parser::public_key::PublicKey;

use crate::wire::codec::put_len_prefixed;
use crate::wire::NamedGroup;

/// The smallest and largest DH prime this client works with, in bits. 512-bit primes are
/// still served by export-era configurations a scanner must reach; 8192 is RFC 7919's largest.
pub const MIN_DH_BITS: u64 = 512;
pub const MAX_DH_BITS: u64 = 8192;

/// Why a key exchange could not be done.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KxError {
    #[error("{0}")]
    Invalid(String),
}

fn invalid(s: impl Into<String>) -> KxError {
    KxError::Invalid(s.into())
}

/// The server's RSA public key, from the leaf certificate's subjectPublicKeyInfo.
#[derive(Clone, PartialEq, Eq)]
pub struct RsaKey {
    pub modulus: Vec<u8>,
    pub exponent: Vec<u8>,
}

impl std::fmt::Debug for RsaKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RsaKey({} bits)", self.bits())
    }
}

impl RsaKey {
    /// The RSA key of a DER certificate, or why there is none.
    pub fn from_certificate(der: &[u8]) -> Result<Self, KxError> {
        let (_, cert) = x509_parser::certificate::X509Certificate::from_der(der)
            .map_err(|e| invalid(format!("leaf certificate does not parse: {e}")))?;
        match cert.public_key().parsed() {
            Ok(PublicKey::RSA(k)) => Ok(Self {
                modulus: strip_zeros(k.modulus).to_vec(),
                exponent: strip_zeros(k.exponent).to_vec(),
            }),
            Ok(_) => Err(invalid("leaf certificate has no RSA key")),
            Err(e) => Err(invalid(format!("leaf public key does not parse: {e}"))),
        }
    }

    /// The modulus length in bytes (k in RFC 8017).
    pub fn len(&self) -> usize {
        self.modulus.len()
    }

    pub fn is_empty(&self) -> bool {
        self.modulus.is_empty()
    }

    pub fn bits(&self) -> u64 {
        BigUint::from_bytes_be(&self.modulus).bits()
    }

    fn public(&self) -> Result<rsa::RsaPublicKey, KxError> {
        rsa::RsaPublicKey::new_with_max_size(
            rsa::BigUint::from_bytes_be(&self.modulus),
            rsa::BigUint::from_bytes_be(&self.exponent),
            16384,
        )
        .map_err(|e| invalid(format!("unusable RSA key: {e}")))
    }

    /// PKCS#1 v1.5 encryption of `message` (RFC 8017 section 7.2.1).
    pub fn encrypt_pkcs1(&self, message: &[u8]) -> Result<Vec<u8>, KxError> {
        self.public()?
            .encrypt(&mut rand::thread_rng(), rsa::Pkcs1v15Encrypt, message)
            .map_err(|e| invalid(format!("RSA encryption failed: {e}")))
    }

    /// Textbook RSA on a whole encoded block (`block`^e mod n), for ROBOT's malformed
    /// paddings. `block` must be exactly the modulus length.
    pub fn encrypt_raw(&self, block: &[u8]) -> Result<Vec<u8>, KxError> {
        let key = self.public()?;
        let k = key.size();
        if block.len() != k {
            return Err(invalid(format!(
                "block of {} bytes for a {k}-byte modulus",
                block.len()
            )));
        }
        let c = rsa::hazmat::rsa_encrypt(&key, &rsa::BigUint::from_bytes_be(block))
            .map_err(|e| invalid(format!("RSA encryption failed: {e}")))?;
        Ok(left_pad(&c.to_bytes_be(), k))
    }
}

fn strip_zeros(b: &[u8]) -> &[u8] {
    let first = b.iter().position(|&x| x != 0).unwrap_or(b.len());
    &b[first..]
}

fn left_pad(b: &[u8], len: usize) -> Vec<u8> {
    let mut out = vec![0u8; len.saturating_sub(b.len())];
    out.extend_from_slice(b);
    out
}

/// A key exchange's result: what the premaster is and what the ClientKeyExchange carries.
#[derive(Clone, PartialEq, Eq)]
pub struct KxOutput {
    pub premaster: Vec<u8>,
    /// The ClientKeyExchange body.
    pub client_key_exchange: Vec<u8>,
}

impl std::fmt::Debug for KxOutput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "KxOutput({} bytes)", self.client_key_exchange.len())
    }
}

/// The ClientKeyExchange body of RSA key transport around an encrypted premaster: a 2-byte
/// length prefix from TLS 1.0 on (RFC 5246 section 7.4.7.1).
pub fn rsa_client_key_exchange(encrypted: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(encrypted.len() + 2);
    put_len_prefixed(&mut out, 2, |o| o.extend_from_slice(encrypted));
    out
}

/// RSA key transport: a premaster of `client_version` and 46 random bytes, encrypted.
pub fn rsa(key: &RsaKey, client_version: u16) -> Result<KxOutput, KxError> {
    let mut premaster = vec![0u8; 48];
    premaster[..2].copy_from_slice(&client_version.to_be_bytes());
    rand::thread_rng().fill_bytes(&mut premaster[2..]);
    let encrypted = key.encrypt_pkcs1(&premaster)?;
    Ok(KxOutput {
        premaster,
        client_key_exchange: rsa_client_key_exchange(&encrypted),
    })
}

/// Finite-field DHE with whatever prime the server sent, within [`MIN_DH_BITS`]..=[`MAX_DH_BITS`].
pub fn dhe(p: &[u8], g: &[u8], ys: &[u8]) -> Result<KxOutput, KxError> {
    let p = BigUint::from_bytes_be(p);
    let g = BigUint::from_bytes_be(g);
    let ys = BigUint::from_bytes_be(ys);
    let bits = p.bits();
    if !(MIN_DH_BITS..=MAX_DH_BITS).contains(&bits) {
        return Err(invalid(format!(
            "DH prime of {bits} bits is outside {MIN_DH_BITS}..={MAX_DH_BITS}"
        )));
    }
    let one = BigUint::from(1u8);
    let p_minus_1 = &p - &one;
    if g <= one || g >= p_minus_1 {
        return Err(invalid("DH generator out of range"));
    }
    // RFC 7919 section 5.1 / NIST SP 800-56A: 1 < Ys < p - 1.
    if ys <= one || ys >= p_minus_1 {
        return Err(invalid("server DH public value out of range"));
    }
    // A 512-bit exponent (or the prime's size if smaller) is plenty for a scanner's session
    // and keeps an 8192-bit exchange fast.
    let mut x_bytes = vec![0u8; (bits as usize / 8).clamp(16, 64)];
    rand::thread_rng().fill_bytes(&mut x_bytes);
    let x = BigUint::from_bytes_be(&x_bytes) % &p_minus_1 + &one;
    let yc = g.modpow(&x, &p);
    let z = ys.modpow(&x, &p);
    if z <= one {
        return Err(invalid("DH shared secret is degenerate"));
    }
    // RFC 5246 section 8.1.2: leading zero bytes of Z are stripped.
    let premaster = z.to_bytes_be();
    let mut cke = Vec::new();
    put_len_prefixed(&mut cke, 2, |o| o.extend_from_slice(&yc.to_bytes_be()));
    Ok(KxOutput {
        premaster,
        client_key_exchange: cke,
    })
}

/// The curves this client does ECDHE on.
pub const ECDHE_GROUPS: [NamedGroup; 3] = [
    NamedGroup::X25519,
    NamedGroup::SECP256R1,
    NamedGroup::SECP384R1,
];

/// ECDHE with the server's public point on `group`.
pub fn ecdhe(group: NamedGroup, server_public: &[u8]) -> Result<KxOutput, KxError> {
    let alg = match group {
        NamedGroup::X25519 => &agreement::X25519,
        NamedGroup::SECP256R1 => &agreement::ECDH_P256,
        NamedGroup::SECP384R1 => &agreement::ECDH_P384,
        other => return Err(invalid(format!("ECDHE on {other} is not supported"))),
    };
    let rng = ring::rand::SystemRandom::new();
    let private = agreement::EphemeralPrivateKey::generate(alg, &rng)
        .map_err(|_| invalid("key generation failed"))?;
    let public = private
        .compute_public_key()
        .map_err(|_| invalid("key generation failed"))?;
    let premaster = agreement::agree_ephemeral(
        private,
        &agreement::UnparsedPublicKey::new(alg, server_public),
        |z| z.to_vec(),
    )
    .map_err(|_| invalid(format!("server's {group} public key is invalid")))?;
    let mut cke = Vec::new();
    // RFC 8422 section 5.7: ECPoint behind a one-byte length.
    put_len_prefixed(&mut cke, 1, |o| o.extend_from_slice(public.as_ref()));
    Ok(KxOutput {
        premaster,
        client_key_exchange: cke,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dhe_agrees_with_the_server_side() {
        // RFC 3526 group 5's prime is too big to type; a 521-bit Mersenne prime will do.
        let p = (BigUint::from(1u8) << 521u32) - BigUint::from(1u8);
        let g = BigUint::from(3u8);
        let y = BigUint::from(123456789u64);
        let ys = g.modpow(&y, &p);
        let out = dhe(&p.to_bytes_be(), &g.to_bytes_be(), &ys.to_bytes_be()).unwrap();
        let mut r = crate::wire::Reader::new(&out.client_key_exchange);
        let yc = BigUint::from_bytes_be(r.sub_u16("Yc").unwrap().rest());
        assert_eq!(yc.modpow(&y, &p).to_bytes_be(), out.premaster);
    }

    #[test]
    fn dhe_rejects_bad_parameters() {
        let p = (BigUint::from(1u8) << 521u32) - BigUint::from(1u8);
        let pb = p.to_bytes_be();
        assert!(dhe(&pb, &[2], &[1]).is_err(), "Ys = 1");
        assert!(dhe(&pb, &[1], &[5]).is_err(), "g = 1");
        assert!(dhe(&[0xff; 32], &[2], &[5]).is_err(), "256-bit prime");
        assert!(dhe(&[0xff; 1100], &[2], &[5]).is_err(), "8800-bit prime");
        assert!(dhe(&[], &[], &[]).is_err());
    }

    #[test]
    fn ecdhe_agrees_with_the_server_side() {
        let rng = ring::rand::SystemRandom::new();
        for (group, alg) in [
            (NamedGroup::X25519, &agreement::X25519),
            (NamedGroup::SECP256R1, &agreement::ECDH_P256),
            (NamedGroup::SECP384R1, &agreement::ECDH_P384),
        ] {
            let server = agreement::EphemeralPrivateKey::generate(alg, &rng).unwrap();
            let server_pub = server.compute_public_key().unwrap();
            let out = ecdhe(group, server_pub.as_ref()).unwrap();
            let client_pub = &out.client_key_exchange[1..];
            let z = agreement::agree_ephemeral(
                server,
                &agreement::UnparsedPublicKey::new(alg, client_pub),
                |z| z.to_vec(),
            )
            .unwrap();
            assert_eq!(z, out.premaster, "{group}");
        }
        assert!(ecdhe(NamedGroup::X25519, &[1, 2, 3]).is_err());
        assert!(ecdhe(NamedGroup::SECP521R1, &[4; 133]).is_err());
    }
}
