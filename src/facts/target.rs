//! Everything learned about one target: the sections of the scan, each with its own status.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{
    CertificatesSection, FeaturesSection, GroupsSection, ProtocolResult, SignaturesSection,
    TlsVersion,
};

/// Everything learned about one target. `error` is set when the target could not be scanned
/// at all; sections that failed on their own carry their own status.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq, Default)]
pub struct TargetFacts {
    /// The target as the user gave it.
    pub target: String,
    pub host: String,
    pub port: u16,
    /// The address that was scanned.
    pub ip: Option<String>,
    /// The server name sent in SNI, or null when none was sent.
    pub sni: Option<String>,
    /// The STARTTLS protocol spoken before TLS ("smtp", "imap", "pop3", "postgres", "ftp", "xmpp"), or null.
    #[serde(default)]
    pub starttls: Option<crate::probe::starttls::Starttls>,
    /// Why the target could not be scanned, or null.
    pub error: Option<String>,
    /// One entry per protocol version, SSLv2 to TLS 1.3.
    pub protocols: Vec<ProtocolResult>,
    /// Certificate chains and their verdicts; null when not scanned.
    #[serde(default)]
    pub certificates: Option<CertificatesSection>,
    /// TCP connections the scan opened to this target.
    pub connections: u64,
    pub duration_ms: u64,
    /// Key-exchange groups per version; null when not scanned.
    #[serde(default)]
    pub groups: Option<GroupsSection>,
    /// Signature schemes per version; null when not scanned.
    #[serde(default)]
    pub signature_schemes: Option<SignaturesSection>,
    /// Protocol features and behaviours; null when not scanned.
    #[serde(default)]
    pub features: Option<FeaturesSection>,
}

impl TargetFacts {
    pub fn protocol(&self, v: TlsVersion) -> Option<&ProtocolResult> {
        self.protocols.iter().find(|p| p.version == v)
    }
}
