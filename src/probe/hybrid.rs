//! The post-quantum hybrid groups of draft-ietf-tls-ecdhe-mlkem for our rustls handshake
//! client: X25519MLKEM768 (0x11EC) and SecP256r1MLKEM768 (0x11EB), each an ECDH exchange from
//! ring joined with ML-KEM-768 (FIPS 203, RustCrypto `ml-kem`). A server that speaks only a
//! hybrid group (Node.js 24 on OpenSSL 3.5 with `ecdhCurve: 'X25519MLKEM768'`) can then be
//! handshaken: its chain, signature scheme and tickets are read like any other server's.
//!
//! Client side only: the scanner never answers a ClientHello with these groups.

use ml_kem::{Decapsulate, KeyExport};
use ring::rand::SecureRandom;
use rustls::crypto::{ActiveKeyExchange, CryptoProvider, SharedSecret, SupportedKxGroup};
use rustls::{NamedGroup, PeerMisbehaved, ProtocolVersion};

/// ML-KEM-768 sizes (FIPS 203 table 3): encapsulation key, ciphertext.
const MLKEM768_EK_LEN: usize = 1184;
const MLKEM768_CT_LEN: usize = 1088;

/// X25519MLKEM768: the ML-KEM part comes first in both shares and in the secret
/// (draft-ietf-tls-ecdhe-mlkem section 4.1): client share = encapsulation key (1,184) ‖ X25519
/// (32), server share = ciphertext (1,088) ‖ X25519 (32), secret = ML-KEM secret ‖ X25519 secret.
pub static X25519MLKEM768: &dyn SupportedKxGroup = &X25519_MLKEM768;

static X25519_MLKEM768: Hybrid = Hybrid {
    name: NamedGroup::X25519MLKEM768,
    ecdh: rustls::crypto::ring::kx_group::X25519,
    ecdh_first: false,
};

/// SecP256r1MLKEM768: the ECDH part (an uncompressed P-256 point, 65 bytes) comes first in the
/// shares and in the secret (draft-ietf-tls-ecdhe-mlkem section 4.1).
pub static SECP256R1MLKEM768: &dyn SupportedKxGroup = &SECP256R1_MLKEM768;

static SECP256R1_MLKEM768: Hybrid = Hybrid {
    name: NamedGroup::secp256r1MLKEM768,
    ecdh: rustls::crypto::ring::kx_group::SECP256R1,
    ecdh_first: true,
};

/// The handshake client's crypto: ring's provider with the two hybrid groups added *after* its
/// classical ones. rustls sends a key share for the first group only, so hellos stay small
/// (no 1.2 KB share that old middleboxes drop, TLS-NOTES "tldr.fail") and servers that speak
/// X25519 answer as before; a server that speaks only a hybrid group asks for it with a
/// HelloRetryRequest, one round trip more.
pub fn provider() -> CryptoProvider {
    let mut p = rustls::crypto::ring::default_provider();
    p.kx_groups.extend([X25519MLKEM768, SECP256R1MLKEM768]);
    p
}

/// The named groups [`provider`] offers, in its order, for evidence.
pub fn group_names() -> Vec<String> {
    provider()
        .kx_groups
        .iter()
        .map(|g| format!("{:?}", g.name()))
        .collect()
}

/// One hybrid group: `ecdh` (from ring) and ML-KEM-768.
#[derive(Debug)]
struct Hybrid {
    name: NamedGroup,
    ecdh: &'static dyn SupportedKxGroup,
    /// Whether the ECDH part comes first in the shares and the secret.
    ecdh_first: bool,
}

impl Hybrid {
    fn join(&self, ecdh: &[u8], mlkem: &[u8]) -> Vec<u8> {
        let (a, b) = if self.ecdh_first {
            (ecdh, mlkem)
        } else {
            (mlkem, ecdh)
        };
        [a, b].concat()
    }
}

impl SupportedKxGroup for Hybrid {
    fn start(&self) -> Result<Box<dyn ActiveKeyExchange>, rustls::Error> {
        let ecdh = self.ecdh.start()?;
        // FIPS 203 ML-KEM.KeyGen from the 64-byte seed (d ‖ z).
        let mut seed = [0u8; 64];
        ring::rand::SystemRandom::new()
            .fill(&mut seed)
            .map_err(|_| rustls::Error::FailedToGetRandomBytes)?;
        let dk = ml_kem::ml_kem_768::DecapsulationKey::from_seed(seed.into());
        seed.fill(0);
        let ek = dk.encapsulation_key().to_bytes();
        debug_assert_eq!(ek.len(), MLKEM768_EK_LEN);
        let share = self.join(ecdh.pub_key(), &ek);
        Ok(Box::new(ActiveHybrid {
            name: self.name,
            ecdh_first: self.ecdh_first,
            ecdh,
            dk: Box::new(dk),
            share,
        }))
    }

    /// The server side, which the scanner never is.
    fn start_and_complete(
        &self,
        _client_share: &[u8],
    ) -> Result<rustls::crypto::CompletedKeyExchange, rustls::Error> {
        Err(rustls::Error::General(format!(
            "{:?}: client side only",
            self.name
        )))
    }

    fn name(&self) -> NamedGroup {
        self.name
    }

    fn usable_for_version(&self, version: ProtocolVersion) -> bool {
        version == ProtocolVersion::TLSv1_3
    }
}

struct ActiveHybrid {
    name: NamedGroup,
    ecdh_first: bool,
    ecdh: Box<dyn ActiveKeyExchange>,
    dk: Box<ml_kem::ml_kem_768::DecapsulationKey>,
    share: Vec<u8>,
}

impl ActiveKeyExchange for ActiveHybrid {
    fn complete(self: Box<Self>, server_share: &[u8]) -> Result<SharedSecret, rustls::Error> {
        // The server's ECDH share has the length of ours (32 for X25519, 65 for P-256).
        let ecdh_len = self.ecdh.pub_key().len();
        if server_share.len() != ecdh_len + MLKEM768_CT_LEN {
            return Err(PeerMisbehaved::InvalidKeyShare.into());
        }
        let (ecdh_share, ct) = if self.ecdh_first {
            server_share.split_at(ecdh_len)
        } else {
            let (ct, ecdh_share) = server_share.split_at(MLKEM768_CT_LEN);
            (ecdh_share, ct)
        };
        let ct = ml_kem::ml_kem_768::Ciphertext::try_from(ct)
            .map_err(|_| rustls::Error::from(PeerMisbehaved::InvalidKeyShare))?;
        // Decapsulation never fails: a bad ciphertext yields a pseudo-random secret (FIPS 203
        // implicit rejection), and the handshake then fails on the server's Finished.
        let mlkem = self.dk.decapsulate(&ct);
        let ecdh = self.ecdh.complete(ecdh_share)?;
        let (a, b): (&[u8], &[u8]) = if self.ecdh_first {
            (ecdh.secret_bytes(), &mlkem)
        } else {
            (&mlkem, ecdh.secret_bytes())
        };
        Ok(SharedSecret::from([a, b].concat()))
    }

    /// The ECDH part alone, so rustls may offer it as its own share too.
    fn hybrid_component(&self) -> Option<(NamedGroup, &[u8])> {
        Some((self.ecdh.group(), self.ecdh.pub_key()))
    }

    fn complete_hybrid_component(
        self: Box<Self>,
        server_share: &[u8],
    ) -> Result<SharedSecret, rustls::Error> {
        self.ecdh.complete(server_share)
    }

    fn pub_key(&self) -> &[u8] {
        &self.share
    }

    fn group(&self) -> NamedGroup {
        self.name
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Plays the server of draft-ietf-tls-ecdhe-mlkem with `ml-kem` and ring: encapsulates to
    /// the client's key, answers with its own ECDH share, and returns (server share, secret).
    fn serve(group: &Hybrid, client_share: &[u8]) -> (Vec<u8>, Vec<u8>) {
        let ecdh_len = if group.ecdh_first { 65 } else { 32 };
        assert_eq!(client_share.len(), ecdh_len + MLKEM768_EK_LEN);
        let (ecdh_client, ek) = if group.ecdh_first {
            client_share.split_at(ecdh_len)
        } else {
            let (ek, e) = client_share.split_at(MLKEM768_EK_LEN);
            (e, ek)
        };
        let ek = ml_kem::ml_kem_768::EncapsulationKey::new(ek.try_into().unwrap()).unwrap();
        let (ct, mlkem) = ek.encapsulate_deterministic(&[7u8; 32].into());
        let server = group.ecdh.start_and_complete(ecdh_client).unwrap();
        (
            group.join(&server.pub_key, &ct),
            group.join(server.secret.secret_bytes(), &mlkem),
        )
    }

    #[test]
    fn both_hybrid_groups_agree_with_a_server_on_the_draft_layout() {
        for g in [&X25519_MLKEM768, &SECP256R1_MLKEM768] {
            let client = g.start().unwrap();
            let share = client.pub_key().to_vec();
            let (server_share, server_secret) = serve(g, &share);
            assert_eq!(
                server_share.len(),
                share.len() - MLKEM768_EK_LEN + MLKEM768_CT_LEN
            );
            let secret = client.complete(&server_share).unwrap();
            assert_eq!(
                secret.secret_bytes(),
                server_secret.as_slice(),
                "{:?}",
                g.name
            );
            assert_eq!(secret.secret_bytes().len(), 64);
        }
    }

    #[test]
    fn a_server_share_of_the_wrong_length_is_refused_not_a_panic() {
        for g in [X25519MLKEM768, SECP256R1MLKEM768] {
            for len in [0, 1, 32, 65, 1088, 1119, 1121, 1152, 1154, 4000] {
                let expected =
                    g.start().unwrap().pub_key().len() - MLKEM768_EK_LEN + MLKEM768_CT_LEN;
                if len == expected {
                    continue;
                }
                let client = g.start().unwrap();
                assert!(client.complete(&vec![1u8; len]).is_err(), "{len}");
            }
        }
    }

    #[test]
    fn the_provider_offers_the_classical_groups_first() {
        let names: Vec<_> = provider().kx_groups.iter().map(|g| g.name()).collect();
        assert_eq!(
            names,
            [
                NamedGroup::X25519,
                NamedGroup::secp256r1,
                NamedGroup::secp384r1,
                NamedGroup::X25519MLKEM768,
                NamedGroup::secp256r1MLKEM768,
            ]
        );
    }
}
