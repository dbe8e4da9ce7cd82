//! The facts of a scan: frozen, typed, serde, versioned. Renderers read this and nothing else.
//! `schema/scan-report.schema.json` is generated from these types (`tlsaudit schema`) and a
//! test keeps the checked-in copy equal to them.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::wire::registry;
use crate::wire::sslv2::CipherKind;
use crate::wire::{CipherSuite, ProtocolVersion};

/// Bumped on any change a consumer could notice: new fields raise the minor, renames and removals the major.
pub const SCHEMA_VERSION: &str = "1.0";

/// One run of `tlsaudit scan`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct ScanReport {
    pub schema_version: String,
    pub tool: ToolInfo,
    /// RFC 3339 time the scan started.
    pub started_at: String,
    pub duration_ms: u64,
    pub targets: Vec<TargetReport>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct ToolInfo {
    pub name: String,
    pub version: String,
}

impl Default for ToolInfo {
    fn default() -> Self {
        Self {
            name: "tlsaudit".into(),
            version: env!("CARGO_PKG_VERSION").into(),
        }
    }
}

/// Everything learned about one target. `error` is set when the target could not be scanned
/// at all; sections that failed on their own carry their own status.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq, Default)]
pub struct TargetReport {
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
    /// The verdict of the policy the target was judged by (`--policy`); null with `--policy none`.
    #[serde(default)]
    pub policy: Option<crate::policy::PolicyResult>,
    /// Key-exchange groups per version; null when not scanned.
    #[serde(default)]
    pub groups: Option<crate::facts::GroupsSection>,
    /// Signature schemes per version; null when not scanned.
    #[serde(default)]
    pub signature_schemes: Option<crate::facts::SignaturesSection>,
    /// Protocol features and behaviours; null when not scanned.
    #[serde(default)]
    pub features: Option<crate::facts::FeaturesSection>,
    /// The letter grade, from the facts above (see the README's "Grade" section); null when
    /// the target could not be scanned.
    #[serde(default)]
    pub grade: Option<crate::grade::Grade>,
}

/// How bad a finding is.
#[derive(
    Debug, Clone, Copy, Serialize, Deserialize, JsonSchema, PartialEq, Eq, PartialOrd, Ord, Hash,
)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    /// "error", "warning" or "info", as JSON and the reports write it.
    pub fn name(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// A fact worth acting on, with a stable dotted id (`cert.expired`, `protocol.tls1_0.offered`)
/// and a message that says what to change.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct Finding {
    pub id: String,
    pub severity: Severity,
    /// What is wrong and what to change.
    pub message: String,
    /// The fact that shows it, for people (e.g. "notAfter 2026-01-01T00:00:00Z").
    #[serde(default)]
    pub evidence: Option<String>,
}

/// Certificates: every distinct chain the server presents, and what is wrong with them.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq, Default)]
pub struct CertificatesSection {
    pub status: SectionStatus,
    pub error: Option<String>,
    /// Findings about the certificates (`cert.*` ids); empty when nothing is wrong.
    pub findings: Vec<Finding>,
    /// The time verdicts were computed at (RFC 3339): the scan's time, or `--at`.
    #[serde(default)]
    pub at: Option<String>,
    /// One entry per distinct chain the server presents.
    #[serde(default)]
    pub chains: Vec<crate::certs::model::CertChain>,
    /// TCP connections this section opened itself (on top of the protocol scan's).
    #[serde(default)]
    pub connections: u64,
    /// The handshake without SNI (made when the scan sends SNI): refused or not.
    #[serde(default)]
    pub no_sni: crate::certs::model::NoSniProbe,
}

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

/// Whether a section of the scan ran.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum SectionStatus {
    #[default]
    Completed,
    /// It ran and failed; the section's `error` says why.
    Error,
    /// The user asked for less (or the target failed before it).
    NotScheduled,
}

/// One protocol version.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct ProtocolResult {
    pub version: TlsVersion,
    pub supported: bool,
    pub status: SectionStatus,
    /// Why this section could not complete, or null.
    pub error: Option<String>,
    /// True: the server imposes its order (the list is in it). False: it follows the
    /// client's order. Null: fewer than two suites, or not determinable.
    pub server_preference: Option<bool>,
    /// Accepted suites, in the server's order when it imposes one.
    pub cipher_suites: Vec<SuiteResult>,
    /// What the server answered that decided `supported`: e.g. "alert protocol_version".
    pub evidence: String,
    /// False when the suites were not enumerated (`--only versions`): `cipher_suites` then
    /// holds only the suite the server chose from the full offer, and suite rules are
    /// incomplete. Absent in older reports: true.
    #[serde(default = "enumerated_by_default")]
    pub suites_enumerated: bool,
}

fn enumerated_by_default() -> bool {
    true
}

/// One accepted cipher suite (or SSLv2 cipher kind), with its registry metadata.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct SuiteResult {
    /// Lower-case hex: "0xc02f" (SSLv2 kinds have three bytes: "0x0700c0").
    pub id: String,
    /// IANA name, or the hex id when the registry does not know the code point.
    pub name: String,
    pub openssl_name: Option<String>,
    pub kx: String,
    pub auth: String,
    pub cipher: String,
    /// "CBC", "GCM", "CCM", "AEAD" (ChaCha20-Poly1305), "stream", "none" …
    pub mode: String,
    pub bits: u16,
    pub mac: String,
    pub aead: bool,
    pub forward_secrecy: bool,
    pub export: bool,
}

impl SuiteResult {
    pub fn from_suite(id: CipherSuite) -> Self {
        match registry::suite(id) {
            Some(s) => Self {
                id: id.hex_id(),
                name: s.iana_name.into(),
                openssl_name: s.openssl_name.map(Into::into),
                kx: s.kx.into(),
                auth: s.auth.into(),
                cipher: s.cipher.into(),
                mode: s.mode.into(),
                bits: s.bits,
                mac: s.mac.into(),
                aead: s.aead,
                forward_secrecy: s.forward_secrecy,
                export: s.export,
            },
            None => Self::unknown(id.hex_id()),
        }
    }

    pub fn from_sslv2(kind: CipherKind) -> Self {
        match registry::sslv2_kind(kind) {
            Some(k) => Self {
                id: kind.hex_id(),
                name: k.name.into(),
                openssl_name: Some(k.openssl_name.into()),
                kx: "RSA".into(),
                auth: "RSA".into(),
                cipher: k.cipher.into(),
                mode: if k.cipher == "RC4" {
                    "stream".into()
                } else {
                    "CBC".into()
                },
                bits: k.bits,
                mac: "MD5".into(),
                aead: false,
                forward_secrecy: false,
                export: k.export,
            },
            None => Self::unknown(kind.hex_id()),
        }
    }

    fn unknown(id: String) -> Self {
        Self {
            name: id.clone(),
            id,
            openssl_name: None,
            kx: "unknown".into(),
            auth: "unknown".into(),
            cipher: "unknown".into(),
            mode: "unknown".into(),
            bits: 0,
            mac: "unknown".into(),
            aead: false,
            forward_secrecy: false,
            export: false,
        }
    }

    /// The code point as a number.
    pub fn code(&self) -> Option<u32> {
        u32::from_str_radix(self.id.trim_start_matches("0x"), 16).ok()
    }
}

impl TargetReport {
    pub fn protocol(&self, v: TlsVersion) -> Option<&ProtocolResult> {
        self.protocols.iter().find(|p| p.version == v)
    }
}

/// The JSON Schema of [`ScanReport`], pretty-printed.
pub fn json_schema() -> String {
    let schema = schemars::schema_for!(ScanReport);
    serde_json::to_string_pretty(&schema).unwrap_or_default() + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_serialise_as_the_documented_names() {
        assert_eq!(
            serde_json::to_string(&TlsVersion::Tls12).unwrap(),
            "\"TLSv1.2\""
        );
        assert_eq!(
            serde_json::to_string(&TlsVersion::Ssl2).unwrap(),
            "\"SSLv2\""
        );
        assert_eq!(TlsVersion::parse("tls1.3"), Some(TlsVersion::Tls13));
        assert_eq!(TlsVersion::Tls10.name(), "TLSv1.0");
    }

    #[test]
    fn checked_in_schema_matches_the_types() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/schema/scan-report.schema.json"
        );
        let on_disk = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            on_disk == json_schema(),
            "schema/scan-report.schema.json is stale: run `cargo run -- schema > schema/scan-report.schema.json`"
        );
    }
}
