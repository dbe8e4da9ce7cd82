//! Report sections for key-exchange groups, signature schemes and protocol features: facts
//! only, serialised into [`super::TargetFacts`]. Each section carries its own status.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{SectionStatus, TlsVersion};
use crate::wire::{NamedGroup, SignatureScheme};

/// Key-exchange groups, per protocol version.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq, Default)]
pub struct GroupsSection {
    pub status: SectionStatus,
    pub error: Option<String>,
    /// TLS 1.3 (named groups by HelloRetryRequest) and the highest of TLS 1.0–1.2 the server
    /// speaks (ECDHE curves and the DHE prime by ServerKeyExchange).
    pub versions: Vec<VersionGroups>,
}

/// The groups of one protocol version.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct VersionGroups {
    pub version: TlsVersion,
    pub status: SectionStatus,
    pub error: Option<String>,
    /// Accepted named groups (TLS 1.2: ECDHE curves), in the server's order when it imposes one.
    pub groups: Vec<GroupResult>,
    /// True: the server imposes its order; false: it follows the client's; null: fewer than
    /// two groups or not determinable.
    pub server_preference: Option<bool>,
    /// TLS <= 1.2 with a DHE suite: the finite-field group the server sends.
    pub dhe: Option<DheGroup>,
    /// What ended the enumeration (the refusal that said "no more").
    pub evidence: String,
}

/// One named group.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct GroupResult {
    /// Lower-case hex code point: "0x001d".
    pub id: String,
    /// IANA name ("x25519", "secp256r1", "X25519MLKEM768"), or the hex id when unknown.
    pub name: String,
    /// "ecdhe", "ffdhe", "post_quantum_hybrid", "post_quantum" or "unknown".
    pub kind: String,
    /// Pure ML-KEM or a hybrid with it.
    pub post_quantum: bool,
}

impl GroupResult {
    pub fn from_group(g: NamedGroup) -> Self {
        let kind = if g.is_post_quantum() && matches!(g.0, 512..=514) {
            "post_quantum"
        } else if g.is_post_quantum() {
            "post_quantum_hybrid"
        } else if g.is_ffdhe() {
            "ffdhe"
        } else if g.valid_for_tls12_ecdhe() || g.valid_for_tls13() {
            "ecdhe"
        } else {
            "unknown"
        };
        Self {
            id: format!("0x{:04x}", g.0),
            name: g.to_string(),
            kind: kind.into(),
            post_quantum: g.is_post_quantum(),
        }
    }
}

/// The Diffie-Hellman group of a DHE ServerKeyExchange.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct DheGroup {
    /// The DHE suite that was offered to see it.
    pub suite: String,
    /// Size of the prime in bits.
    pub prime_bits: u32,
    /// The generator, lower-case hex.
    pub generator: String,
    /// The well-known group this prime is ("ffdhe2048", "modp_2048", "oakley_group2_1024"), or
    /// null for a custom prime.
    pub known_group: Option<String>,
    /// Where the well-known group is defined ("RFC7919", "RFC3526", "RFC2409", "RFC5114").
    pub known_source: Option<String>,
}

/// Signature schemes the server signs its key exchange with, per version.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq, Default)]
pub struct SignaturesSection {
    pub status: SectionStatus,
    pub error: Option<String>,
    pub versions: Vec<VersionSignatures>,
}

/// The signature schemes of one version.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct VersionSignatures {
    pub version: TlsVersion,
    pub status: SectionStatus,
    /// Why the schemes could not be determined, or null.
    pub error: Option<String>,
    /// Accepted schemes, in the order the server chose them when offered everything left.
    pub schemes: Vec<SignatureResult>,
    /// What ended the enumeration.
    pub evidence: String,
}

/// One signature scheme the server used, and the certificate it signed with.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct SignatureResult {
    /// Lower-case hex code point: "0x0804".
    pub id: String,
    /// IANA name ("rsa_pss_rsae_sha256"), or the hex id when unknown.
    pub name: String,
    /// Key type of the certificate the server selected for it ("RSA 2048", "EC P-256",
    /// "Ed25519"), or null when the certificate could not be read.
    pub certificate_key: Option<String>,
}

impl SignatureResult {
    pub fn new(s: SignatureScheme, certificate_key: Option<String>) -> Self {
        Self {
            id: format!("0x{:04x}", s.0),
            name: s.to_string(),
            certificate_key,
        }
    }
}

/// A yes / no / not applicable answer.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Answer {
    Yes,
    No,
    /// The question does not apply (e.g. renegotiation on a TLS 1.3-only server).
    NotApplicable,
    /// It applies but the scan could not tell; `evidence` says why.
    NotDetermined,
}

/// One feature or behaviour, with what showed it.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct Fact {
    pub answer: Answer,
    /// The server's answer that decided it (e.g. "ServerHello has renegotiation_info").
    pub evidence: String,
}

impl Fact {
    pub fn new(answer: Answer, evidence: impl Into<String>) -> Self {
        Self {
            answer,
            evidence: evidence.into(),
        }
    }
    pub fn yes(evidence: impl Into<String>) -> Self {
        Self::new(Answer::Yes, evidence)
    }
    pub fn no(evidence: impl Into<String>) -> Self {
        Self::new(Answer::No, evidence)
    }
    pub fn not_applicable(evidence: impl Into<String>) -> Self {
        Self::new(Answer::NotApplicable, evidence)
    }
    pub fn not_determined(evidence: impl Into<String>) -> Self {
        Self::new(Answer::NotDetermined, evidence)
    }
}

impl Default for Fact {
    fn default() -> Self {
        Self::not_determined("not probed")
    }
}

/// Protocol features and behaviours. TLS 1.2 facts are probed at the highest of TLS 1.0–1.2
/// the server speaks (`legacy_version`).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq, Default)]
pub struct FeaturesSection {
    pub status: SectionStatus,
    pub error: Option<String>,
    /// The pre-TLS 1.3 version the TLS 1.2-style facts were probed at, or null.
    pub legacy_version: Option<TlsVersion>,
    /// RFC 5746 renegotiation_info in the ServerHello.
    pub secure_renegotiation: Fact,
    /// RFC 7507: an inappropriate_fallback alert for a lower version with TLS_FALLBACK_SCSV.
    pub fallback_scsv: Fact,
    /// The server accepted DEFLATE compression (CRIME).
    pub compression: Fact,
    /// TLS <= 1.2: a non-empty session id in the ServerHello.
    pub session_id_issued: Fact,
    /// TLS <= 1.2: a real abbreviated handshake with the session id.
    pub session_id_resumption: Fact,
    /// TLS <= 1.2: the session_ticket extension in the ServerHello (RFC 5077).
    pub session_ticket_advertised: Fact,
    /// TLS <= 1.2: a real abbreviated handshake with a session ticket.
    pub session_ticket_resumption: Fact,
    /// TLS <= 1.2 NewSessionTicket lifetime hint in seconds.
    pub session_ticket_lifetime_hint: Option<u32>,
    /// TLS 1.3: the server issued NewSessionTicket messages.
    pub tls13_tickets_issued: Fact,
    /// TLS 1.3: how many tickets the server sent after one handshake.
    pub tls13_ticket_count: Option<u32>,
    /// TLS 1.3: the ticket_lifetime of the first NewSessionTicket, in seconds.
    pub tls13_ticket_lifetime: Option<u32>,
    /// TLS 1.3: a real PSK resumption.
    pub tls13_psk_resumption: Fact,
    /// TLS 1.3: max_early_data_size the tickets allow (0 = no 0-RTT).
    pub tls13_max_early_data: Option<u32>,
    /// TLS 1.3: 0-RTT early data sent on resumption was accepted.
    pub early_data_accepted: Fact,
    /// ALPN protocols the server selects, in the order probed ("h2", "http/1.1").
    pub alpn: Vec<String>,
    /// Evidence for `alpn`.
    pub alpn_evidence: String,
    /// OCSP response stapled (status_request answered with CertificateStatus).
    pub ocsp_stapling: Fact,
    /// RFC 7627 extended_master_secret echoed.
    pub extended_master_secret: Fact,
    /// RFC 7366 encrypt_then_mac echoed with a CBC suite.
    pub encrypt_then_mac: Fact,
    /// RFC 6520 heartbeat extension echoed.
    pub heartbeat: Fact,
    /// RFC 8446 section 4.1.3 downgrade sentinel in a TLS 1.2 ServerHello of a TLS 1.3 server.
    pub downgrade_sentinel: Fact,
    /// RFC 6066 max_fragment_length echoed.
    pub max_fragment_length: Fact,
    /// The server asks for a client certificate (CertificateRequest).
    pub client_certificate_requested: Fact,
    /// Distinguished names of the CAs the server lists in its CertificateRequest (RFC 4514 text).
    pub client_certificate_cas: Vec<String>,
    /// Heartbleed (CVE-2014-0160): a heartbeat request claiming more payload than it carries
    /// was answered with a heartbeat response longer than the request.
    #[serde(default)]
    pub heartbleed: Fact,
}

/// Scan stages `--only` selects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Stage {
    Versions,
    Suites,
    Groups,
    Sigs,
    Certs,
    Features,
    Weaknesses,
    Http,
    /// The DNS HTTPS record of the target's name (RFC 9460).
    Dns,
    /// Encrypted Client Hello: GREASE, and a real ECH handshake where a config is known.
    Ech,
}

impl Stage {
    pub const ALL: [Stage; 10] = [
        Stage::Versions,
        Stage::Suites,
        Stage::Groups,
        Stage::Sigs,
        Stage::Certs,
        Stage::Features,
        Stage::Weaknesses,
        Stage::Http,
        Stage::Dns,
        Stage::Ech,
    ];

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s.trim().to_ascii_lowercase().as_str() {
            "versions" | "protocols" => Self::Versions,
            "suites" | "ciphers" => Self::Suites,
            "groups" | "curves" => Self::Groups,
            "sigs" | "signatures" => Self::Sigs,
            "certs" | "certificates" => Self::Certs,
            "features" => Self::Features,
            "weaknesses" | "vulnerabilities" => Self::Weaknesses,
            "http" => Self::Http,
            "dns" => Self::Dns,
            "ech" => Self::Ech,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Versions => "versions",
            Self::Suites => "suites",
            Self::Groups => "groups",
            Self::Sigs => "sigs",
            Self::Certs => "certs",
            Self::Features => "features",
            Self::Weaknesses => "weaknesses",
            Self::Http => "http",
            Self::Dns => "dns",
            Self::Ech => "ech",
        }
    }
}
