//! The sans-IO wire layer: build any ClientHello, parse whatever a server sends back.
//! Nothing here touches a socket, and nothing here panics on input.

pub mod captured;
pub mod codec;
pub mod ech;
pub mod handshake;
pub mod quic;
pub mod record;
pub mod registry;
pub mod spki;
pub mod sslv2;
pub mod types;

pub use codec::{bit_length, hex, strip_leading_zeros, Codec, DecodeError, Reader};
pub use handshake::*;
pub use record::{encode_records, Alert, Deframer, Frame, HandshakeJoiner};
pub use types::*;

/// Mutation tests: every parser fed with damaged copies of valid messages and with random
/// bytes must answer Ok or Err, never panic, never allocate without bound. Deterministic (a
/// fixed seed), so a failure reproduces; run as part of `cargo test`.
#[cfg(test)]
mod mutation_tests {
    use rand::{Rng, SeedableRng};

    use super::handshake::samples;
    use super::sslv2::{Sslv2ClientHello, Sslv2ServerHello};
    use super::*;
    use crate::probe::engine::FlightReader;

    fn all_parsers(bytes: &[u8]) {
        let _ = HandshakeMessage::from_bytes(bytes);
        let _ = ClientHello::from_bytes(bytes);
        let _ = ServerHello::from_bytes(bytes);
        let _ = Sslv2ClientHello::from_bytes(bytes);
        let _ = Sslv2ServerHello::from_bytes(bytes);
        let _ = ServerKeyExchangeParams::read_ecdhe(bytes);
        let _ = ServerKeyExchangeParams::read_dhe(bytes);
        let _ = CertificateRequest12::read(bytes, true);
        let _ = Alert::from_bytes(bytes);
        let _ = ech::EchConfigList::from_bytes(bytes);
        let _ = ech::EchClientHello::from_bytes(bytes);
        if let Ok(sh) = ServerHello::from_bytes(bytes) {
            let _ = (
                sh.negotiated_version(),
                sh.key_share_group(),
                sh.downgrade_sentinel(),
            );
        }
        let mut d = Deframer::default();
        d.push(bytes);
        while let Ok(Some(_)) = d.pop() {}
        let mut j = HandshakeJoiner::new(1 << 16);
        j.push(bytes);
        while let Ok(Some(_)) = j.pop() {}
        // The whole read path of a probe, as records and as a raw stream.
        let mut r = FlightReader::new(1 << 16, false);
        let _ = r.feed(&encode_records(
            ContentType::HANDSHAKE,
            ProtocolVersion::TLS12,
            bytes,
        ));
        let mut r = FlightReader::new(1 << 16, true);
        let _ = r.feed(bytes);
    }

    #[test]
    fn damaged_messages_never_panic() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(0x7153);
        let originals: Vec<Vec<u8>> = samples().iter().map(|m| m.to_bytes()).collect();
        for _ in 0..20_000 {
            let mut m = originals[rng.gen_range(0..originals.len())].clone();
            for _ in 0..rng.gen_range(1..8) {
                let i = rng.gen_range(0..m.len());
                match rng.gen_range(0..4) {
                    0 => m[i] ^= 1 << rng.gen_range(0..8),
                    1 => m[i] = rng.gen(),
                    2 => m.truncate(i.max(1)),
                    _ => m.insert(i, rng.gen()),
                }
            }
            all_parsers(&m);
        }
    }

    #[test]
    fn random_bytes_never_panic() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(0x5eed);
        for _ in 0..20_000 {
            let len = rng.gen_range(0..300);
            let mut m: Vec<u8> = (0..len).map(|_| rng.gen()).collect();
            // Make some of them look like the start of a record or a handshake message.
            if len > 5 && rng.gen_bool(0.5) {
                m[0] = [22u8, 21, 0x80, 1, 2][rng.gen_range(0..5)];
            }
            all_parsers(&m);
        }
    }
}
