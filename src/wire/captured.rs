//! A client's hello as a server reads it: a TLS ClientHello or an SSLv2(-compatible)
//! CLIENT-HELLO, and what a server needs of it to choose a version and a suite. Shared by the
//! client check (which captures hellos) and the handshake simulation (which replays them).

use super::sslv2::Sslv2ClientHello;
use super::{
    is_grease_u16, CipherSuite, ClientHello, ExtensionType, NamedGroup, NamedGroupList,
    ProtocolVersion, ProtocolVersionList,
};

/// The hello as read off the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CapturedHello {
    Tls(ClientHello),
    /// An SSLv2 or SSLv2-compatible CLIENT-HELLO (RFC 5246 appendix E.2).
    Sslv2(Sslv2ClientHello),
}

/// What a server needs from a hello to choose a version and a suite.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Offer {
    /// True when the versions come from `supported_versions` (RFC 8446 section 4.2.1).
    pub has_supported_versions: bool,
    /// Without GREASE, highest first. Without `supported_versions`: `legacy_version` alone,
    /// which means "this or lower" to a server (RFC 5246 appendix E.1).
    pub versions: Vec<ProtocolVersion>,
    /// Offered suites in the client's order (SSLv2 cipher kinds left out).
    pub suites: Vec<CipherSuite>,
    /// `supported_groups` without GREASE; None when the extension is absent.
    pub groups: Option<Vec<NamedGroup>>,
}

impl CapturedHello {
    pub fn offer(&self) -> Offer {
        match self {
            CapturedHello::Tls(h) => {
                let sv = h
                    .extension(ExtensionType::SUPPORTED_VERSIONS)
                    .and_then(|e| e.parse::<ProtocolVersionList>().ok());
                let (has_sv, mut versions) = match sv {
                    Some(l) => (true, l.0.into_iter().filter(|v| !v.is_grease()).collect()),
                    None => (false, vec![h.legacy_version]),
                };
                versions.sort_by_key(|v| std::cmp::Reverse(v.0));
                versions.dedup();
                let groups = h
                    .extension(ExtensionType::SUPPORTED_GROUPS)
                    .and_then(|e| e.parse::<NamedGroupList>().ok())
                    .map(|l| l.0.into_iter().filter(|g| !is_grease_u16(g.0)).collect());
                Offer {
                    has_supported_versions: has_sv,
                    versions,
                    suites: h.cipher_suites.clone(),
                    groups,
                }
            }
            CapturedHello::Sslv2(h) => Offer {
                has_supported_versions: false,
                versions: vec![ProtocolVersion(h.version)],
                suites: h
                    .cipher_specs
                    .iter()
                    .filter(|k| k.0 >> 16 == 0)
                    .map(|k| CipherSuite(k.0 as u16))
                    .collect(),
                groups: None,
            },
        }
    }
}
