//! Protocol versions as the report names them.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::wire::ProtocolVersion;

/// Protocol versions as the report names them.
#[derive(
    Debug, Clone, Copy, Serialize, Deserialize, JsonSchema, PartialEq, Eq, Hash, PartialOrd, Ord,
)]
pub enum TlsVersion {
    #[serde(rename = "SSLv2")]
    Ssl2,
    #[serde(rename = "SSLv3")]
    Ssl3,
    #[serde(rename = "TLSv1.0")]
    Tls10,
    #[serde(rename = "TLSv1.1")]
    Tls11,
    #[serde(rename = "TLSv1.2")]
    Tls12,
    #[serde(rename = "TLSv1.3")]
    Tls13,
}

impl TlsVersion {
    pub const ALL: [TlsVersion; 6] = [
        Self::Ssl2,
        Self::Ssl3,
        Self::Tls10,
        Self::Tls11,
        Self::Tls12,
        Self::Tls13,
    ];

    pub fn wire(self) -> ProtocolVersion {
        match self {
            Self::Ssl2 => ProtocolVersion::SSLV2,
            Self::Ssl3 => ProtocolVersion::SSLV3,
            Self::Tls10 => ProtocolVersion::TLS10,
            Self::Tls11 => ProtocolVersion::TLS11,
            Self::Tls12 => ProtocolVersion::TLS12,
            Self::Tls13 => ProtocolVersion::TLS13,
        }
    }

    pub fn from_wire(v: ProtocolVersion) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.wire() == v)
    }

    /// "TLSv1.2": the name used in JSON and on screen.
    pub fn name(self) -> &'static str {
        self.wire().name().unwrap_or("?")
    }

    /// "tls1_2": the form used in finding ids.
    pub fn id_part(self) -> &'static str {
        match self {
            Self::Ssl2 => "ssl2",
            Self::Ssl3 => "ssl3",
            Self::Tls10 => "tls1_0",
            Self::Tls11 => "tls1_1",
            Self::Tls12 => "tls1_2",
            Self::Tls13 => "tls1_3",
        }
    }

    /// Parses "TLSv1.2", "tls1.2", "tls1_2", "1.2", "ssl3" …
    pub fn parse(s: &str) -> Option<Self> {
        let norm: String = s
            .to_ascii_lowercase()
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .collect();
        Some(match norm.as_str() {
            "sslv2" | "ssl2" => Self::Ssl2,
            "sslv3" | "ssl3" => Self::Ssl3,
            "tlsv10" | "tls10" | "10" | "tlsv1" | "tls1" => Self::Tls10,
            "tlsv11" | "tls11" | "11" => Self::Tls11,
            "tlsv12" | "tls12" | "12" => Self::Tls12,
            "tlsv13" | "tls13" | "13" => Self::Tls13,
            _ => return None,
        })
    }
}

impl std::fmt::Display for TlsVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
