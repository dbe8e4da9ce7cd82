//! The server as a negotiation partner, read from a scan's facts: what it accepts per version
//! (in its order when it imposes one), its groups, the schemes it signs with, its certificates.
//! A section the scan did not run is `None`: the negotiation then does not judge that part.

use crate::facts::certs::CertChain;
use crate::facts::{SectionStatus, TargetFacts, TlsVersion};
use crate::wire::{CipherSuite, NamedGroup, SignatureScheme};

/// One protocol version the server speaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerVersion {
    pub version: TlsVersion,
    /// Accepted suites, in the server's order when it imposes one.
    pub suites: Vec<CipherSuite>,
    /// True: the server picks by its own order; false or unknown: by the client's.
    pub server_order: bool,
}

/// The key of a certificate the server can present.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerCert {
    /// "RSA", "ECDSA", "Ed25519" … (the chain's key type).
    pub key_type: String,
    pub bits: u32,
    /// The leaf's signature algorithm ("sha256WithRSAEncryption" …).
    pub signature_algorithm: String,
    /// The chain has every intermediate a client needs.
    pub complete: bool,
    /// Only clients that send no SNI get this chain.
    pub without_sni: bool,
    /// "RSA 2048 (sha256WithRSAEncryption)": what the report shows.
    pub describe: String,
}

/// Everything a negotiation needs from the server.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServerModel {
    /// Supported versions, highest first.
    pub versions: Vec<ServerVersion>,
    /// TLS 1.3 groups (server order when it imposes one); None when not scanned.
    pub tls13_groups: Option<Vec<NamedGroup>>,
    pub tls13_group_order: bool,
    /// TLS 1.2 ECDHE curves; None when not scanned.
    pub ecdhe_curves: Option<Vec<NamedGroup>>,
    pub ecdhe_curve_order: bool,
    /// The DHE prime size, when a DHE suite was seen.
    pub dhe_bits: Option<u32>,
    /// TLS 1.2 schemes with the key type that signed them; None when not scanned.
    pub tls12_schemes: Option<Vec<(SignatureScheme, Option<String>)>>,
    /// TLS 1.3 schemes; None when not scanned or not determined.
    pub tls13_schemes: Option<Vec<SignatureScheme>>,
    /// Certificates the server presents; empty when not scanned.
    pub certificates: Vec<ServerCert>,
    /// The server refuses handshakes without SNI.
    pub needs_sni: bool,
}

fn code(id: &str) -> Option<u16> {
    u16::from_str_radix(id.trim_start_matches("0x"), 16).ok()
}

impl ServerModel {
    pub fn from_facts(t: &TargetFacts) -> Self {
        let mut versions: Vec<ServerVersion> = t
            .protocols
            .iter()
            .filter(|p| p.supported && p.version != TlsVersion::Ssl2)
            .map(|p| ServerVersion {
                version: p.version,
                suites: p
                    .cipher_suites
                    .iter()
                    .filter_map(|s| code(&s.id))
                    .map(CipherSuite)
                    .collect(),
                server_order: p.server_preference == Some(true),
            })
            .collect();
        versions.sort_by_key(|v| std::cmp::Reverse(v.version));
        let mut model = ServerModel {
            versions,
            ..Default::default()
        };
        if let Some(g) = &t.groups {
            for v in &g.versions {
                if v.status != SectionStatus::Completed {
                    continue;
                }
                let groups: Vec<NamedGroup> = v
                    .groups
                    .iter()
                    .filter_map(|g| code(&g.id))
                    .map(NamedGroup)
                    .collect();
                if v.version == TlsVersion::Tls13 {
                    model.tls13_groups = Some(groups);
                    model.tls13_group_order = v.server_preference == Some(true);
                } else {
                    model.ecdhe_curves = Some(groups);
                    model.ecdhe_curve_order = v.server_preference == Some(true);
                    model.dhe_bits = v.dhe.as_ref().map(|d| d.prime_bits);
                }
            }
        }
        if let Some(s) = &t.signature_schemes {
            for v in &s.versions {
                if v.status != SectionStatus::Completed {
                    continue;
                }
                let schemes = v.schemes.iter().filter_map(|s| {
                    Some((SignatureScheme(code(&s.id)?), s.certificate_key.clone()))
                });
                if v.version == TlsVersion::Tls13 {
                    model.tls13_schemes = Some(schemes.map(|(s, _)| s).collect());
                } else {
                    model.tls12_schemes = Some(schemes.collect());
                }
            }
        }
        if let Some(c) = &t.certificates {
            model.certificates = c.chains.iter().filter_map(ServerCert::from_chain).collect();
            model.needs_sni = c.no_sni.refused == Some(true);
        }
        model
    }

    pub fn version(&self, v: TlsVersion) -> Option<&ServerVersion> {
        self.versions.iter().find(|s| s.version == v)
    }
}

impl ServerCert {
    fn from_chain(chain: &CertChain) -> Option<Self> {
        let leaf = chain.certificates.first()?;
        Some(ServerCert {
            key_type: chain.key_type.clone(),
            bits: leaf.public_key.bits,
            signature_algorithm: leaf.signature_algorithm.clone(),
            complete: chain.verdicts.complete,
            without_sni: chain.only_without_sni(),
            describe: format!(
                "{} {} ({})",
                chain.key_type, leaf.public_key.bits, leaf.signature_algorithm
            ),
        })
    }
}
