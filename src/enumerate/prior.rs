//! What earlier stages found, as the later ones read it: the versions the protocol stage found
//! supported and the suites accepted in each, typed. Stages take this, never the half-built
//! report.

use crate::facts::{ProtocolResult, TlsVersion};
use crate::wire::{registry, CipherSuite};

/// The protocol stage's findings.
#[derive(Debug, Clone, Default)]
pub struct Prior {
    /// Every supported version with its accepted suites, in the reported order.
    supported: Vec<(TlsVersion, Vec<CipherSuite>)>,
}

impl Prior {
    pub fn from_protocols(protocols: &[ProtocolResult]) -> Self {
        let supported = protocols
            .iter()
            .filter(|p| p.supported)
            .map(|p| {
                let suites = p
                    .cipher_suites
                    .iter()
                    .filter_map(|s| s.code())
                    // SSLv2 cipher kinds (three bytes) are not TLS suites.
                    .filter_map(|c| u16::try_from(c).ok())
                    .map(CipherSuite)
                    .collect();
                (p.version, suites)
            })
            .collect();
        Self { supported }
    }

    /// Whether the protocol stage found `v` supported.
    pub fn supported(&self, v: TlsVersion) -> bool {
        self.supported.iter().any(|(s, _)| *s == v)
    }

    /// The highest of TLS 1.0–1.2 the server speaks: where TLS 1.2-style facts are probed.
    pub fn legacy_version(&self) -> Option<TlsVersion> {
        [TlsVersion::Tls12, TlsVersion::Tls11, TlsVersion::Tls10]
            .into_iter()
            .find(|v| self.supported(*v))
    }

    /// The suites accepted at `v` that `keep` selects, in the reported order.
    pub fn suites(
        &self,
        v: TlsVersion,
        keep: impl Fn(&registry::SuiteInfo) -> bool,
    ) -> Vec<CipherSuite> {
        self.supported
            .iter()
            .find(|(s, _)| *s == v)
            .map(|(_, suites)| {
                suites
                    .iter()
                    .copied()
                    .filter(|c| registry::suite(*c).is_some_and(&keep))
                    .collect()
            })
            .unwrap_or_default()
    }
}
