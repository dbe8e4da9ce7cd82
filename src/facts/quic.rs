//! What a scan over QUIC learned beyond TLS (RFC 9000, RFC 9001): the QUIC versions the server
//! accepts or lists, the application protocol it chose and its transport parameters.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::SectionStatus;

/// How the scan reached the server's TLS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Transport {
    /// TLS records over TCP (after a STARTTLS preamble when `starttls` is set).
    #[default]
    Tcp,
    /// TLS 1.3 handshake messages in CRYPTO frames of QUIC packets over UDP (`--quic`).
    Quic,
}

impl Transport {
    pub fn is_tcp(&self) -> bool {
        *self == Transport::Tcp
    }

    pub fn name(self) -> &'static str {
        match self {
            Transport::Tcp => "tcp",
            Transport::Quic => "quic",
        }
    }
}

/// The QUIC section of a `--quic` scan.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq, Default)]
pub struct QuicSection {
    pub status: SectionStatus,
    pub error: Option<String>,
    /// The versions the server listed in Version Negotiation when sent a reserved version
    /// (RFC 9000 section 6), as hex ("0x00000001"); null when it sent none.
    pub versions_offered: Option<Vec<String>>,
    /// QUIC v1 (RFC 9000) and v2 (RFC 9369), each tried with a handshake.
    pub versions: Vec<QuicVersionResult>,
    /// The QUIC version the TLS scan used (the first accepted), as hex.
    pub scanned_version: Option<String>,
    /// The application protocol the server chose from ours (`h3`), from its
    /// EncryptedExtensions; null when it chose none or they could not be read.
    pub alpn: Option<String>,
    /// The server's transport parameters (RFC 9000 section 18), in the order sent.
    pub transport_parameters: Vec<TransportParameterFact>,
    /// How the ALPN and the transport parameters were read, or why they were not.
    pub evidence: String,
}

/// One QUIC version, tried.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct QuicVersionResult {
    /// The version number as hex ("0x00000001").
    pub id: String,
    /// "QUIC v1", "QUIC v2".
    pub name: String,
    /// The server answered a hello in this version with a ServerHello (or HelloRetryRequest).
    pub accepted: bool,
    /// What the server answered.
    pub evidence: String,
}

/// One transport parameter as the server sent it.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct TransportParameterFact {
    /// The parameter id (RFC 9000 section 22.3 registry).
    pub id: u64,
    /// Its registered name (`initial_max_data`), or `unknown_0x…`.
    pub name: String,
    /// Integers in decimal, flags empty, versions by name, anything else in hex.
    pub value: String,
}
