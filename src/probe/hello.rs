//! ClientHellos built so that only the variable under test can fail: everything else is the
//! broadest set we know (every group, curves *and* FFDHE, every signature scheme, point
//! formats, SNI), padded out of the 256..511-byte range.

use rand::RngCore;

use crate::probe::engine::Hello;
use crate::wire::sslv2::{CipherKind, Sslv2ClientHello};
use crate::wire::{
    CipherSuite, ClientHello, EcPointFormatList, Extension, ExtensionType, KeyShareClientHello,
    KeyShareEntry, NamedGroup, NamedGroupList, ProtocolVersion, ProtocolVersionList,
    ServerNameList, SignatureScheme, SignatureSchemeList,
};

/// Some middleboxes and old servers hang on large hellos: a compact hello stays under 256 bytes.
pub const COMPACT_CHUNK: usize = 32;

/// A compact hello's record (header included) is shorter than this.
pub const COMPACT_LIMIT: usize = 256;

/// Suites a compact hello keeps when another list (groups, schemes) is under test: any
/// accepted suite will do there, and the room goes to the list under test.
pub const COMPACT_FEW_SUITES: usize = 4;

/// A recipe for one ClientHello.
#[derive(Debug, Clone)]
pub struct HelloSpec {
    pub version: ProtocolVersion,
    pub suites: Vec<CipherSuite>,
    pub sni: Option<String>,
    pub groups: Vec<NamedGroup>,
    pub sigalgs: Vec<SignatureScheme>,
    /// TLS 1.3 key shares; empty asks the server for a HelloRetryRequest (RFC 8446 section 4.1.4).
    pub key_shares: Vec<KeyShareEntry>,
    /// Extra extensions appended as given (for feature probes).
    pub extra: Vec<Extension>,
    /// Append TLS_EMPTY_RENEGOTIATION_INFO_SCSV (RFC 5746).
    pub reneg_scsv: bool,
    /// Small lists and no padding, for servers that choke on large hellos.
    pub compact: bool,
}

impl HelloSpec {
    /// The broadest hello for `version` offering `suites`.
    pub fn new(version: ProtocolVersion, suites: Vec<CipherSuite>, sni: Option<String>) -> Self {
        let groups = if version == ProtocolVersion::TLS13 {
            NamedGroup::KNOWN
                .iter()
                .copied()
                .filter(|g| g.valid_for_tls13())
                .collect()
        } else {
            NamedGroup::KNOWN
                .iter()
                .copied()
                .filter(|g| g.valid_for_tls12_ecdhe() || g.is_ffdhe())
                .collect()
        };
        Self {
            version,
            suites,
            sni,
            groups,
            sigalgs: SignatureScheme::KNOWN.to_vec(),
            key_shares: Vec::new(),
            extra: Vec::new(),
            reneg_scsv: version != ProtocolVersion::TLS13,
            compact: false,
        }
    }

    /// A compact hello keeping only the first [`COMPACT_FEW_SUITES`] suites, for stages
    /// that vary another list; `self` unchanged when not `compact`.
    pub fn few_suites_if(mut self, compact: bool) -> Self {
        if compact {
            self = self.compact();
            self.suites.truncate(COMPACT_FEW_SUITES);
        }
        self
    }

    /// The same hello with the short lists of a compact hello.
    pub fn compact(mut self) -> Self {
        self.compact = true;
        let keep_groups = [
            NamedGroup::X25519,
            NamedGroup::SECP256R1,
            NamedGroup::SECP384R1,
            NamedGroup::SECP521R1,
            NamedGroup::FFDHE2048,
        ];
        self.groups.retain(|g| keep_groups.contains(g));
        self.sigalgs = vec![
            SignatureScheme::ECDSA_SECP256R1_SHA256,
            SignatureScheme::ECDSA_SECP384R1_SHA384,
            SignatureScheme::RSA_PSS_RSAE_SHA256,
            SignatureScheme::RSA_PSS_RSAE_SHA384,
            SignatureScheme::RSA_PKCS1_SHA256,
            SignatureScheme::RSA_PKCS1_SHA384,
            SignatureScheme::RSA_PKCS1_SHA1,
            SignatureScheme::ED25519,
        ];
        self
    }

    /// The record length (5-byte header included) of the hello this spec builds.
    pub fn encoded_len(&self) -> usize {
        use crate::wire::{Codec, HandshakeMessage};
        match self.build() {
            Hello::Tls { hello, .. } => HandshakeMessage::ClientHello(hello).to_bytes().len() + 5,
            Hello::Sslv2(_) | Hello::Recorded { .. } => 0,
        }
    }

    /// Whether this hello stays under [`COMPACT_LIMIT`].
    pub fn fits_compact(&self) -> bool {
        self.encoded_len() < COMPACT_LIMIT
    }

    /// A compact hello with trailing suites dropped until it fits (one suite always stays,
    /// and TLS_FALLBACK_SCSV is kept):
    /// for stages where the suites are not the variable under test.
    pub fn fit_compact(mut self) -> Self {
        if !self.compact {
            return self;
        }
        // Signalling values (TLS_FALLBACK_SCSV) are the point of their probe: they stay.
        let real = |s: &CipherSuite| *s != CipherSuite::FALLBACK_SCSV;
        while self.suites.iter().filter(|s| real(s)).count() > 1 && !self.fits_compact() {
            match self.suites.iter().rposition(real) {
                Some(i) => {
                    self.suites.remove(i);
                }
                None => break,
            }
        }
        self
    }

    /// `items` split into runs, in order, such that this hello with `set` applied to each run
    /// stays under [`COMPACT_LIMIT`]: how a stage offers its own long list (groups, schemes)
    /// to a server that needs compact hellos. A single item that alone is too big is its own run.
    pub fn compact_runs<T: Clone>(
        &self,
        items: &[T],
        set: impl Fn(&mut Self, &[T]),
    ) -> Vec<Vec<T>> {
        let fits = |run: &[T]| {
            let mut spec = self.clone();
            set(&mut spec, run);
            spec.fits_compact()
        };
        let mut runs: Vec<Vec<T>> = Vec::new();
        let mut run: Vec<T> = Vec::new();
        for item in items {
            run.push(item.clone());
            if run.len() > 1 && !fits(&run) {
                run.pop();
                runs.push(std::mem::take(&mut run));
                run.push(item.clone());
            }
        }
        if !run.is_empty() {
            runs.push(run);
        }
        runs
    }

    pub fn build(&self) -> Hello {
        let mut rng = rand::thread_rng();
        let mut random = [0u8; 32];
        rng.fill_bytes(&mut random);
        let tls13 = self.version == ProtocolVersion::TLS13;
        let ssl3 = self.version == ProtocolVersion::SSLV3;
        // RFC 8446 appendix D.4: a non-empty session id keeps middleboxes calm in TLS 1.3.
        let mut session_id = Vec::new();
        if tls13 {
            session_id = vec![0; 32];
            rng.fill_bytes(&mut session_id);
        }
        let mut suites = self.suites.clone();
        if self.reneg_scsv {
            suites.push(CipherSuite::EMPTY_RENEGOTIATION_INFO_SCSV);
        }
        // SSLv3 servers may abort on any extension, so an SSLv3 hello has none.
        let extensions = if ssl3 {
            None
        } else {
            let mut exts = Vec::new();
            if let Some(name) = &self.sni {
                exts.push(Extension::new(
                    ExtensionType::SERVER_NAME,
                    &ServerNameList::host(name),
                ));
            }
            exts.push(Extension::new(
                ExtensionType::SUPPORTED_GROUPS,
                &NamedGroupList(self.groups.clone()),
            ));
            exts.push(Extension::new(
                ExtensionType::EC_POINT_FORMATS,
                &EcPointFormatList(vec![0, 1, 2]),
            ));
            exts.push(Extension::new(
                ExtensionType::SIGNATURE_ALGORITHMS,
                &SignatureSchemeList(self.sigalgs.clone()),
            ));
            if tls13 {
                exts.push(Extension::new(
                    ExtensionType::SUPPORTED_VERSIONS,
                    &ProtocolVersionList(vec![ProtocolVersion::TLS13]),
                ));
                exts.push(Extension::new(
                    ExtensionType::KEY_SHARE,
                    &KeyShareClientHello(self.key_shares.clone()),
                ));
                // psk_dhe_ke: some servers want the PSK modes listed even without a PSK.
                exts.push(Extension {
                    typ: ExtensionType::PSK_KEY_EXCHANGE_MODES,
                    data: vec![1, 1],
                });
            }
            exts.extend(self.extra.iter().cloned());
            Some(exts)
        };
        let mut hello = ClientHello {
            legacy_version: if tls13 {
                ProtocolVersion::TLS12
            } else {
                self.version
            },
            random,
            session_id,
            cipher_suites: suites,
            compression_methods: vec![0],
            extensions,
        };
        if !self.compact && !ssl3 {
            hello.pad_past_512();
        }
        let record_version = if ssl3 {
            ProtocolVersion::SSLV3
        } else {
            ProtocolVersion::TLS10
        };
        Hello::Tls {
            record_version,
            hello,
        }
    }
}

/// An SSLv2 CLIENT-HELLO offering `kinds`.
pub fn sslv2_hello(kinds: &[CipherKind]) -> Hello {
    let mut challenge = vec![0u8; 16];
    rand::thread_rng().fill_bytes(&mut challenge);
    Hello::Sslv2(Sslv2ClientHello {
        version: 0x0002,
        cipher_specs: kinds.to_vec(),
        session_id: vec![],
        challenge,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::{Codec, HandshakeMessage};

    fn hello_of(h: Hello) -> (ProtocolVersion, ClientHello) {
        match h {
            Hello::Tls {
                record_version,
                hello,
            } => (record_version, hello),
            Hello::Sslv2(_) | Hello::Recorded { .. } => unreachable!(),
        }
    }

    #[test]
    fn tls13_hello_has_the_mandatory_extensions() {
        let (rv, ch) = hello_of(
            HelloSpec::new(
                ProtocolVersion::TLS13,
                vec![CipherSuite(0x1301)],
                Some("a.example".into()),
            )
            .build(),
        );
        assert_eq!(rv, ProtocolVersion::TLS10);
        assert_eq!(ch.legacy_version, ProtocolVersion::TLS12);
        for t in [
            ExtensionType::SUPPORTED_VERSIONS,
            ExtensionType::SUPPORTED_GROUPS,
            ExtensionType::SIGNATURE_ALGORITHMS,
            ExtensionType::KEY_SHARE,
        ] {
            assert!(ch.extension(t).is_some(), "{t:?}");
        }
        let groups: NamedGroupList = ch
            .extension(ExtensionType::SUPPORTED_GROUPS)
            .unwrap()
            .parse()
            .unwrap();
        assert!(
            groups.0.contains(&NamedGroup::X25519MLKEM768)
                && groups.0.contains(&NamedGroup::FFDHE2048)
        );
        let ks: KeyShareClientHello = ch
            .extension(ExtensionType::KEY_SHARE)
            .unwrap()
            .parse()
            .unwrap();
        assert!(ks.0.is_empty());
    }

    #[test]
    fn sslv3_hello_has_no_extensions_and_compact_stays_small() {
        let (rv, ch) = hello_of(
            HelloSpec::new(ProtocolVersion::SSLV3, vec![CipherSuite(0x000a)], None).build(),
        );
        assert_eq!(
            (rv, ch.extensions.is_none()),
            (ProtocolVersion::SSLV3, true)
        );
        let suites: Vec<CipherSuite> = crate::wire::registry::candidates(ProtocolVersion::TLS12)
            .into_iter()
            .take(COMPACT_CHUNK)
            .collect();
        let (_, ch) = hello_of(
            HelloSpec::new(
                ProtocolVersion::TLS12,
                suites,
                Some("host.example.com".into()),
            )
            .compact()
            .build(),
        );
        let len = HandshakeMessage::ClientHello(ch).to_bytes().len() + 5;
        assert!(len < 256, "compact hello is {len} bytes");
    }

    #[test]
    fn compact_runs_keep_every_hello_small_and_every_item_once() {
        let suites: Vec<CipherSuite> = crate::wire::registry::candidates(ProtocolVersion::TLS12)
            .into_iter()
            .filter(|s| crate::wire::registry::suite(*s).is_some_and(|i| i.kx == "ECDHE"))
            .take(8)
            .collect();
        let long_name = format!("{}.example.com", "a".repeat(120));
        let base = HelloSpec::new(ProtocolVersion::TLS12, suites, Some(long_name)).compact();
        let groups: Vec<NamedGroup> = NamedGroup::KNOWN.to_vec();
        let runs = base.compact_runs(&groups, |s, run| s.groups = run.to_vec());
        assert!(runs.len() >= 2, "{} runs", runs.len());
        assert_eq!(runs.concat(), groups);
        for run in &runs {
            let mut spec = base.clone();
            spec.groups = run.clone();
            assert!(spec.fits_compact(), "{} bytes", spec.encoded_len());
        }
        // Suites are trimmed, never emptied, to make room.
        let all = crate::wire::registry::candidates(ProtocolVersion::TLS12);
        let fitted = HelloSpec::new(ProtocolVersion::TLS12, all, None)
            .compact()
            .fit_compact();
        assert!(fitted.fits_compact() && !fitted.suites.is_empty());
        assert!(fitted.encoded_len() >= COMPACT_LIMIT - 2);
    }
}
