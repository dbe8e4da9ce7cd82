//! What the client needs to know about a suite, read from [`crate::wire::registry`]: key exchange,
//! bulk cipher, MAC and PRF. Only the suites this client can complete map to [`SuiteParams`].

use crate::wire::registry;
use crate::wire::{CipherSuite, ProtocolVersion};

use super::keys::Prf;

/// The key exchange of a TLS 1.0–1.2 suite this client can do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyExchangeKind {
    /// RSA key transport (RFC 5246 section 7.4.7.1).
    Rsa,
    /// Finite-field Diffie-Hellman, signed by the server (RFC 5246 section 7.4.3).
    Dhe,
    /// Elliptic-curve Diffie-Hellman, signed by the server (RFC 8422 section 5.4).
    Ecdhe,
}

/// The record protection of a suite.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BulkCipher {
    /// AES in CBC mode with an HMAC; `key_len` 16 or 32.
    AesCbc { key_len: usize },
    /// AES-GCM (RFC 5288); `key_len` 16 or 32.
    AesGcm { key_len: usize },
    /// ChaCha20-Poly1305 (RFC 7905).
    Chacha20Poly1305,
}

/// The HMAC of a CBC suite.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MacAlg {
    Sha1,
    Sha256,
    Sha384,
}

impl MacAlg {
    pub fn output_len(self) -> usize {
        match self {
            MacAlg::Sha1 => 20,
            MacAlg::Sha256 => 32,
            MacAlg::Sha384 => 48,
        }
    }

    pub fn ring(self) -> ring::hmac::Algorithm {
        match self {
            MacAlg::Sha1 => ring::hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY,
            MacAlg::Sha256 => ring::hmac::HMAC_SHA256,
            MacAlg::Sha384 => ring::hmac::HMAC_SHA384,
        }
    }
}

/// Everything the handshake and the record layer need to know about one suite.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SuiteParams {
    pub suite: CipherSuite,
    pub kx: KeyExchangeKind,
    pub cipher: BulkCipher,
    /// `None` for AEAD suites.
    pub mac: Option<MacAlg>,
    /// The TLS 1.2 PRF hash: SHA-384 for suites named `_SHA384`, else SHA-256 (RFC 5246
    /// section 5, RFC 5289 section 3).
    pub prf12: Prf,
}

impl SuiteParams {
    /// The parameters of `suite`, or `None` when this client cannot do it (export, PSK, SRP,
    /// static DH, anonymous, 3DES, RC4, CAMELLIA, CCM, TLS 1.3, …).
    pub fn of(suite: CipherSuite) -> Option<Self> {
        let info = registry::suite(suite)?;
        if info.tls13 || info.export {
            return None;
        }
        let kx = match (info.kx, info.auth) {
            ("RSA", "RSA") => KeyExchangeKind::Rsa,
            ("DHE", "RSA" | "DSS") => KeyExchangeKind::Dhe,
            ("ECDHE", "RSA" | "ECDSA") => KeyExchangeKind::Ecdhe,
            _ => return None,
        };
        let (cipher, mac) = match (info.cipher, info.mode, info.mac) {
            ("AES", "CBC", mac) => {
                let mac = match mac {
                    "SHA1" => MacAlg::Sha1,
                    "SHA256" => MacAlg::Sha256,
                    "SHA384" => MacAlg::Sha384,
                    _ => return None,
                };
                (
                    BulkCipher::AesCbc {
                        key_len: aes_key_len(info.bits)?,
                    },
                    Some(mac),
                )
            }
            ("AES", "GCM", _) => (
                BulkCipher::AesGcm {
                    key_len: aes_key_len(info.bits)?,
                },
                None,
            ),
            ("CHACHA20_POLY1305", _, _) => (BulkCipher::Chacha20Poly1305, None),
            _ => return None,
        };
        let prf12 = if info.iana_name.ends_with("_SHA384") {
            Prf::Sha384
        } else {
            Prf::Sha256
        };
        Some(Self {
            suite,
            kx,
            cipher,
            mac,
            prf12,
        })
    }

    /// Whether the suite may be negotiated at `version`: AEAD suites and SHA-256/384 MACs
    /// exist only in TLS 1.2 (RFC 5246 appendix A.5, RFC 5288, RFC 5289).
    pub fn valid_for(&self, version: ProtocolVersion) -> bool {
        let tls12_only =
            !matches!(self.cipher, BulkCipher::AesCbc { .. }) || self.mac != Some(MacAlg::Sha1);
        version == ProtocolVersion::TLS12
            || (!tls12_only
                && (version == ProtocolVersion::TLS10 || version == ProtocolVersion::TLS11))
    }

    /// The PRF at `version`.
    pub fn prf(&self, version: ProtocolVersion) -> Prf {
        if version == ProtocolVersion::TLS12 {
            self.prf12
        } else {
            Prf::Md5Sha1
        }
    }

    pub fn is_cbc(&self) -> bool {
        matches!(self.cipher, BulkCipher::AesCbc { .. })
    }

    /// Lengths of the MAC key, the encryption key and the fixed IV in the key block.
    pub fn key_block_lengths(&self) -> (usize, usize, usize) {
        match self.cipher {
            BulkCipher::AesCbc { key_len } => (self.mac.map_or(0, MacAlg::output_len), key_len, 16),
            // RFC 5288 section 3: a 4-byte salt; RFC 7905 section 2: a 12-byte IV.
            BulkCipher::AesGcm { key_len } => (0, key_len, 4),
            BulkCipher::Chacha20Poly1305 => (0, 32, 12),
        }
    }
}

fn aes_key_len(bits: u16) -> Option<usize> {
    match bits {
        128 => Some(16),
        256 => Some(32),
        _ => None,
    }
}

/// Every registered suite this client can complete at `version`, in code-point order.
pub fn supported_suites(version: ProtocolVersion) -> Vec<CipherSuite> {
    registry::all_suites()
        .filter_map(|s| SuiteParams::of(s.id))
        .filter(|p| p.valid_for(version))
        .map(|p| p.suite)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suites_map_to_their_parameters() {
        let p = SuiteParams::of(CipherSuite(0xc02f)).unwrap();
        assert_eq!(p.kx, KeyExchangeKind::Ecdhe);
        assert_eq!(p.cipher, BulkCipher::AesGcm { key_len: 16 });
        assert_eq!(p.prf12, Prf::Sha256);
        let p = SuiteParams::of(CipherSuite(0x009f)).unwrap(); // DHE-RSA-AES256-GCM-SHA384
        assert_eq!(
            (p.kx, p.cipher, p.prf12),
            (
                KeyExchangeKind::Dhe,
                BulkCipher::AesGcm { key_len: 32 },
                Prf::Sha384
            )
        );
        let p = SuiteParams::of(CipherSuite(0x002f)).unwrap(); // AES128-SHA
        assert_eq!(
            (p.kx, p.cipher, p.mac),
            (
                KeyExchangeKind::Rsa,
                BulkCipher::AesCbc { key_len: 16 },
                Some(MacAlg::Sha1)
            )
        );
        assert!(p.valid_for(ProtocolVersion::TLS10));
        let p = SuiteParams::of(CipherSuite(0xcca9)).unwrap(); // ECDHE-ECDSA-CHACHA20-POLY1305
        assert_eq!(p.cipher, BulkCipher::Chacha20Poly1305);
        assert!(!p.valid_for(ProtocolVersion::TLS11));
        let p = SuiteParams::of(CipherSuite(0x003d)).unwrap(); // AES256-SHA256
        assert_eq!(p.mac, Some(MacAlg::Sha256));
        assert!(!p.valid_for(ProtocolVersion::TLS10));
        // 3DES, RC4, TLS 1.3 and signalling values are not ours.
        for id in [0x000a, 0x0005, 0x1301, 0x00ff] {
            assert_eq!(SuiteParams::of(CipherSuite(id)), None, "{id:04x}");
        }
    }

    #[test]
    fn supported_suites_per_version() {
        let v12 = supported_suites(ProtocolVersion::TLS12);
        let v10 = supported_suites(ProtocolVersion::TLS10);
        assert!(v12.contains(&CipherSuite(0xc030)));
        assert!(!v10.contains(&CipherSuite(0xc030)));
        assert!(v10.contains(&CipherSuite(0xc014)));
        assert!(v10.iter().all(|s| v12.contains(s)));
    }
}
