//! The TLS 1.0–1.2 key schedule: the PRF (RFC 2246 section 5, RFC 5246 section 5), the master
//! secret (RFC 5246 section 8.1, and the extended one of RFC 7627 section 4), the key block
//! (RFC 5246 section 6.3) and the Finished verify_data (RFC 5246 section 7.4.9).

use md5::{Digest, Md5};
use ring::{digest, hmac};

/// Which PRF a session uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prf {
    /// TLS 1.0 and 1.1: P_MD5 XOR P_SHA-1 over the two halves of the secret (RFC 2246 section 5).
    Md5Sha1,
    /// TLS 1.2 with SHA-256 (every suite not named `_SHA384`).
    Sha256,
    /// TLS 1.2 suites named `_SHA384`.
    Sha384,
}

impl Prf {
    /// The transcript hash the PRF pairs with: MD5 || SHA-1 for TLS 1.0/1.1 (RFC 2246 section
    /// 7.4.9), the PRF hash for TLS 1.2.
    pub fn transcript_hash(self, transcript: &[u8]) -> Vec<u8> {
        match self {
            Prf::Md5Sha1 => {
                let mut out = Md5::digest(transcript).to_vec();
                out.extend_from_slice(
                    digest::digest(&digest::SHA1_FOR_LEGACY_USE_ONLY, transcript).as_ref(),
                );
                out
            }
            Prf::Sha256 => digest::digest(&digest::SHA256, transcript)
                .as_ref()
                .to_vec(),
            Prf::Sha384 => digest::digest(&digest::SHA384, transcript)
                .as_ref()
                .to_vec(),
        }
    }

    /// PRF(secret, label, seed) truncated to `len` bytes.
    pub fn derive(self, secret: &[u8], label: &[u8], seed: &[u8], len: usize) -> Vec<u8> {
        let mut label_seed = label.to_vec();
        label_seed.extend_from_slice(seed);
        match self {
            Prf::Sha256 => p_hash(HmacAlg::Ring(hmac::HMAC_SHA256), secret, &label_seed, len),
            Prf::Sha384 => p_hash(HmacAlg::Ring(hmac::HMAC_SHA384), secret, &label_seed, len),
            Prf::Md5Sha1 => {
                // RFC 2246 section 5: S1 and S2 are the two halves, sharing the middle byte
                // when the length is odd.
                let half = secret.len().div_ceil(2);
                let s1 = &secret[..half];
                let s2 = &secret[secret.len() - half..];
                let mut out = p_hash(HmacAlg::Md5, s1, &label_seed, len);
                let sha = p_hash(
                    HmacAlg::Ring(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY),
                    s2,
                    &label_seed,
                    len,
                );
                for (o, s) in out.iter_mut().zip(sha) {
                    *o ^= s;
                }
                out
            }
        }
    }
}

#[derive(Clone, Copy)]
enum HmacAlg {
    Ring(hmac::Algorithm),
    /// ring has no MD5; TLS 1.0/1.1's PRF needs HMAC-MD5 (RFC 2104 over the md-5 crate).
    Md5,
}

fn hmac_once(alg: HmacAlg, key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    match alg {
        HmacAlg::Ring(a) => {
            let k = hmac::Key::new(a, key);
            let mut ctx = hmac::Context::with_key(&k);
            for p in parts {
                ctx.update(p);
            }
            ctx.sign().as_ref().to_vec()
        }
        HmacAlg::Md5 => {
            const BLOCK: usize = 64;
            let mut k = [0u8; BLOCK];
            if key.len() > BLOCK {
                k[..16].copy_from_slice(&Md5::digest(key));
            } else {
                k[..key.len()].copy_from_slice(key);
            }
            let mut inner = Md5::new();
            inner.update(k.map(|b| b ^ 0x36));
            for p in parts {
                inner.update(p);
            }
            let mut outer = Md5::new();
            outer.update(k.map(|b| b ^ 0x5c));
            outer.update(inner.finalize());
            outer.finalize().to_vec()
        }
    }
}

/// P_hash (RFC 5246 section 5): A(i) = HMAC(secret, A(i-1)), output HMAC(secret, A(i) + seed).
fn p_hash(alg: HmacAlg, secret: &[u8], seed: &[u8], len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len + 48);
    let mut a = hmac_once(alg, secret, &[seed]);
    while out.len() < len {
        out.extend(hmac_once(alg, secret, &[&a, seed]));
        a = hmac_once(alg, secret, &[&a]);
    }
    out.truncate(len);
    out
}

/// master_secret = PRF(pre_master_secret, "master secret", client_random + server_random)[0..48]
/// (RFC 5246 section 8.1).
pub fn master_secret(
    prf: Prf,
    premaster: &[u8],
    client_random: &[u8; 32],
    server_random: &[u8; 32],
) -> [u8; 48] {
    let mut seed = client_random.to_vec();
    seed.extend_from_slice(server_random);
    to48(prf.derive(premaster, b"master secret", &seed, 48))
}

/// The extended master secret: PRF(pre_master_secret, "extended master secret", session_hash)
/// (RFC 7627 section 4), `session_hash` the transcript hash up to and including the
/// ClientKeyExchange.
pub fn extended_master_secret(prf: Prf, premaster: &[u8], session_hash: &[u8]) -> [u8; 48] {
    to48(prf.derive(premaster, b"extended master secret", session_hash, 48))
}

fn to48(v: Vec<u8>) -> [u8; 48] {
    let mut out = [0u8; 48];
    out.copy_from_slice(&v[..48]);
    out
}

/// key_block = PRF(master_secret, "key expansion", server_random + client_random)
/// (RFC 5246 section 6.3; note the randoms' order is the other way round).
pub fn key_block(
    prf: Prf,
    master: &[u8; 48],
    client_random: &[u8; 32],
    server_random: &[u8; 32],
    len: usize,
) -> Vec<u8> {
    let mut seed = server_random.to_vec();
    seed.extend_from_slice(client_random);
    prf.derive(master, b"key expansion", &seed, len)
}

/// The key block cut into its six parts, in RFC 5246 section 6.3's order.
#[derive(Clone, PartialEq, Eq)]
pub struct KeyMaterial {
    pub client_mac: Vec<u8>,
    pub server_mac: Vec<u8>,
    pub client_key: Vec<u8>,
    pub server_key: Vec<u8>,
    pub client_iv: Vec<u8>,
    pub server_iv: Vec<u8>,
}

impl std::fmt::Debug for KeyMaterial {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyMaterial(..)")
    }
}

impl KeyMaterial {
    pub fn split(block: &[u8], mac_len: usize, key_len: usize, iv_len: usize) -> Option<Self> {
        let mut r = crate::wire::Reader::new(block);
        let mut take = |n: usize| r.take(n, "key block").map(|b| b.to_vec()).ok();
        Some(Self {
            client_mac: take(mac_len)?,
            server_mac: take(mac_len)?,
            client_key: take(key_len)?,
            server_key: take(key_len)?,
            client_iv: take(iv_len)?,
            server_iv: take(iv_len)?,
        })
    }
}

/// Finished.verify_data = PRF(master_secret, finished_label, Hash(handshake_messages))[0..12]
/// (RFC 5246 section 7.4.9; TLS 1.0 uses MD5 || SHA-1 as the hash, RFC 2246 section 7.4.9).
pub fn verify_data(prf: Prf, master: &[u8; 48], client: bool, transcript: &[u8]) -> Vec<u8> {
    let label: &[u8] = if client {
        b"client finished"
    } else {
        b"server finished"
    };
    prf.derive(master, label, &prf.transcript_hash(transcript), 12)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unhex(s: &str) -> Vec<u8> {
        let s: String = s.split_whitespace().collect();
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    // The TLS 1.2 PRF test vectors published on the IETF TLS list (SHA-256 and SHA-384); each
    // expected value was also checked with `openssl kdf -kdfopt digest:SHA256 … TLS1-PRF`.
    #[test]
    fn tls12_prf_sha256_vector() {
        let secret = unhex("9b be 43 6b a9 40 f0 17 b1 76 52 84 9a 71 db 35");
        let seed = unhex("a0 ba 9f 93 6c da 31 18 27 a6 f7 96 ff d5 19 8c");
        let out = Prf::Sha256.derive(&secret, b"test label", &seed, 100);
        let want = unhex(
            "e3 f2 29 ba 72 7b e1 7b 8d 12 26 20 55 7c d4 53 c2 aa b2 1d 07 c3 d4 95 32 9b 52 d4 e6 1e db 5a
             6b 30 17 91 e9 0d 35 c9 c9 a4 6b 4e 14 ba f9 af 0f a0 22 f7 07 7d ef 17 ab fd 37 97 c0 56 4b ab
             4f bc 91 66 6e 9d ef 9b 97 fc e3 4f 79 67 89 ba a4 80 82 d1 22 ee 42 c5 a7 2e 5a 51 10 ff f7 01
             87 34 7b 66",
        );
        assert_eq!(out, want);
    }

    #[test]
    fn tls12_prf_sha384_vector() {
        let secret = unhex("b8 0b 73 3d 6c ee fc dc 71 56 6e a4 8e 55 67 df");
        let seed = unhex("cd 66 5c f6 a8 44 7d d6 ff 8b 27 55 5e db 74 65");
        let out = Prf::Sha384.derive(&secret, b"test label", &seed, 148);
        let want = unhex(
            "7b 0c 18 e9 ce d4 10 ed 18 04 f2 cf a3 4a 33 6a 1c 14 df fb 49 00 bb 5f d7 94 21 07 e8 1c 83 cd
             e9 ca 0f aa 60 be 9f e3 4f 82 b1 23 3c 91 46 a0 e5 34 cb 40 0f ed 27 00 88 4f 9d c2 36 f8 0e dd
             8b fa 96 11 44 c9 e8 d7 92 ec a7 22 a7 b3 2f c3 d4 16 d4 73 eb c2 c5 fd 4a bf da d0 5d 91 84 25
             9b 5b f8 cd 4d 90 fa 0d 31 e2 de c4 79 e4 f1 a2 60 66 f2 ee a9 a6 92 36 a3 e5 26 55 c9 e9 ae e6
             91 c8 f3 a2 68 54 30 8d 5e aa 3b e8 5e 09 90 70 3d 73 e5 6f",
        );
        assert_eq!(out, want);
    }

    #[test]
    fn hmac_md5_matches_rfc2202() {
        // RFC 2202 section 2, test cases 1 and 6 (a key longer than the block).
        assert_eq!(
            hmac_once(HmacAlg::Md5, &[0x0b; 16], &[b"Hi There"]),
            unhex("9294727a3638bb1c13f48ef8158bfc9d")
        );
        assert_eq!(
            hmac_once(
                HmacAlg::Md5,
                &[0xaa; 80],
                &[b"Test Using Larger Than Block-Size Key - Hash Key First"]
            ),
            unhex("6b1ab7fe4bd7bf8f0b62e6ce61b9d0cd")
        );
    }

    /// TLS 1.0's PRF on the inputs of the well-known TLS 1.0 PRF test vector (48 bytes of 0xab
    /// as the secret, "PRF Testvector", 64 bytes of 0xcd as the seed); the expected value is
    /// also what `openssl kdf -kdfopt digest:MD5-SHA1 … TLS1-PRF` gives.
    #[test]
    fn tls10_prf_vector() {
        let out = Prf::Md5Sha1.derive(&[0xab; 48], b"PRF Testvector", &[0xcd; 64], 104);
        let want = unhex(
            "d3 d4 d1 e3 49 b5 d5 15 04 46 66 d5 1d e3 2b ab 25 8c b5 21 b6 b0 53 46 3e 35 48 32 fd 97 67 54
             44 3b cf 9a 29 65 19 bc 28 9a bc bc 11 87 e4 eb d3 1e 60 23 53 77 6c 40 8a af b7 4c bc 85 ef f6
             92 55 f9 78 8f aa 18 4c bb 95 7a 98 19 d8 4a 5d 7e b0 06 eb 45 9d 3a e8 de 98 10 45 4b 8b 2d 8f
             1a fb c6 55 a8 c9 a0 13",
        );
        assert_eq!(out, want);
    }

    #[test]
    fn odd_secret_halves_share_the_middle_byte() {
        // With a 3-byte secret, S1 = s[0..2] and S2 = s[1..3] (RFC 2246 section 5).
        let out = Prf::Md5Sha1.derive(&[1, 2, 3], b"l", b"s", 20);
        let mut want = p_hash(HmacAlg::Md5, &[1, 2], b"ls", 20);
        let sha = p_hash(
            HmacAlg::Ring(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY),
            &[2, 3],
            b"ls",
            20,
        );
        for (w, s) in want.iter_mut().zip(sha) {
            *w ^= s;
        }
        assert_eq!(out, want);
    }

    #[test]
    fn key_block_splits_in_rfc_order() {
        let block: Vec<u8> = (0..=103).collect();
        let k = KeyMaterial::split(&block, 20, 16, 16).unwrap();
        assert_eq!(k.client_mac, (0..20).collect::<Vec<u8>>());
        assert_eq!(k.server_mac, (20..40).collect::<Vec<u8>>());
        assert_eq!(k.client_key, (40..56).collect::<Vec<u8>>());
        assert_eq!(k.server_key, (56..72).collect::<Vec<u8>>());
        assert_eq!(k.client_iv, (72..88).collect::<Vec<u8>>());
        assert_eq!(k.server_iv, (88..104).collect::<Vec<u8>>());
        assert!(KeyMaterial::split(&block[..50], 20, 16, 16).is_none());
    }
}
