//! The facts about one client: what its ClientHello offers, the policy verdict, and how the
//! real handshake went. Serialised as JSON by `tlsaudit client --format json` and `GET /json`.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::facts::{Finding, TlsVersion};

/// Bumped on any change a consumer could notice.
pub const CLIENT_SCHEMA_VERSION: &str = "1.0";

/// One client connection.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq, Default)]
pub struct ClientReport {
    pub schema_version: String,
    /// The client's address and port.
    pub peer: String,
    /// Why no ClientHello could be read (garbage, truncated, silent, timed out), or null.
    pub error: Option<String>,
    /// What the ClientHello offers; null when `error` is set.
    pub hello: Option<HelloFacts>,
    /// The policy verdict; null when no ClientHello was read.
    pub verdict: Option<Verdict>,
    /// The real TLS handshake this server then attempted; null when it did not try.
    pub handshake: Option<HandshakeFacts>,
    /// What to act on (`client.*` ids): the verdict when not compliant, insecure suites,
    /// compression, a fallback retry. Empty when nothing is wrong.
    #[serde(default)]
    pub findings: Vec<Finding>,
    /// Every byte the client sent until its ClientHello was complete (record headers
    /// included), for `--save-profile`; not part of the JSON report.
    #[serde(skip)]
    pub hello_bytes: Vec<u8>,
}

/// Everything a ClientHello offers, in the client's order, GREASE values kept and flagged.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq, Default)]
pub struct HelloFacts {
    /// "tls" (a TLS ClientHello) or "sslv2" (an SSLv2-compatible CLIENT-HELLO).
    pub format: String,
    /// Bytes of the handshake message (header included).
    pub length: usize,
    /// Records the hello was split across (1 for most clients).
    pub records: usize,
    /// The version in the first record header ("TLSv1.0" for most clients), null for SSLv2.
    pub record_version: Option<String>,
    /// `legacy_version` (`client_version`): "TLSv1.2" for every TLS 1.3 client.
    pub legacy_version: String,
    /// The `supported_versions` extension as sent (GREASE included); empty when absent.
    pub supported_versions: Vec<Code>,
    /// The versions the hello makes possible, highest first: `supported_versions` without
    /// GREASE when present, else `legacy_version` alone (a server may still pick a lower one).
    pub versions: Vec<TlsVersion>,
    /// Every cipher suite in the client's order, signalling values and GREASE included.
    pub cipher_suites: Vec<OfferedSuite>,
    /// `supported_groups`, in order.
    pub groups: Vec<OfferedGroup>,
    /// The groups the client sent a `key_share` for.
    pub key_shares: Vec<OfferedKeyShare>,
    /// `signature_algorithms`, in order.
    pub signature_schemes: Vec<Code>,
    /// ALPN protocol names, in order.
    pub alpn: Vec<String>,
    /// The host name in `server_name`, or null when the client sent none.
    pub sni: Option<String>,
    /// Compression methods (0 = null; anything else enables CRIME).
    pub compression_methods: Vec<u8>,
    /// Every extension, in wire order.
    pub extensions: Vec<OfferedExtension>,
    /// Where GREASE values (RFC 8701) appear: "cipher_suites", "extensions", "supported_groups",
    /// "key_share", "signature_algorithms", "supported_versions"; empty when none.
    pub grease: Vec<String>,
    /// MD5 of `ja3_string`; null for an SSLv2 hello.
    pub ja3: Option<String>,
    pub ja3_string: Option<String>,
    /// FoxIO JA4 (`t13d1516h2_…_…`); null for an SSLv2 hello.
    pub ja4: Option<String>,
    /// JA4's raw, sorted, unhashed form (`JA4_r`).
    pub ja4_r: Option<String>,
}

/// A code point with its registry name (or the hex id when unknown).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq, Eq)]
pub struct Code {
    /// Lower-case hex: "0x001d".
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub grease: bool,
}

/// How much to trust a suite.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum SuiteSecurity {
    /// Nothing known against it.
    Ok,
    /// Works, but has known weaknesses: CBC mode (Lucky13-class padding oracles), 3DES and
    /// IDEA (64-bit blocks, Sweet32).
    Weak,
    /// Broken: NULL or export encryption, anonymous key exchange, RC4, RC2, DES, MD5 MACs.
    Insecure,
    /// Not a suite: a signalling value (SCSV) or GREASE.
    NotASuite,
    /// Unknown code point.
    Unknown,
}

/// One offered cipher suite.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct OfferedSuite {
    /// "0xc02f".
    pub id: String,
    /// IANA name, "GREASE", or the hex id when unknown.
    pub name: String,
    pub openssl_name: Option<String>,
    pub security: SuiteSecurity,
    /// Why it is weak or insecure ("CBC mode", "RC4", …); empty when ok.
    pub reasons: Vec<String>,
    /// False for static-RSA and static-DH key exchange (and for non-suites).
    pub forward_secrecy: bool,
    /// True for TLS 1.3 suites.
    pub tls13: bool,
    #[serde(default)]
    pub grease: bool,
}

/// One supported group.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq, Eq)]
pub struct OfferedGroup {
    pub id: String,
    pub name: String,
    /// ML-KEM or a hybrid with it (X25519MLKEM768, SecP256r1MLKEM768, …) or a Kyber draft.
    pub post_quantum: bool,
    #[serde(default)]
    pub grease: bool,
}

/// One key share.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq, Eq)]
pub struct OfferedKeyShare {
    pub group: OfferedGroup,
    /// Length of the key-exchange value in bytes (32 for x25519, 1216 for X25519MLKEM768).
    pub length: usize,
}

/// One extension.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq, Eq)]
pub struct OfferedExtension {
    pub id: String,
    pub name: String,
    /// Payload length in bytes.
    pub length: usize,
    #[serde(default)]
    pub grease: bool,
}

/// The verdict against a server profile: what a server that follows it would do with this hello.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct Verdict {
    /// The profile's name ("multisafepay").
    pub policy: String,
    pub compliant: bool,
    /// The version such a server picks, or null when none.
    pub version: Option<TlsVersion>,
    /// The suite it picks (its first in its own order that the client offers), or null.
    pub cipher_suite: Option<Code>,
    /// One sentence: what it picks, or why the client cannot reach it.
    pub message: String,
    /// What to change on the client, or null when compliant.
    pub upgrade: Option<String>,
}

/// The real TLS handshake attempted after the capture.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq, Default)]
pub struct HandshakeFacts {
    pub completed: bool,
    pub version: Option<TlsVersion>,
    pub cipher_suite: Option<String>,
    /// "ecdsa-p256", "rsa-2048" (made at start-up) or "user" (`--cert`).
    pub certificate: String,
    /// Why it failed, or null.
    pub error: Option<String>,
    /// The first line of the HTTP request the client sent over it, or null.
    pub http_request: Option<String>,
}

// `schema/client-report.schema.json` is generated from this type (`tlsaudit schema client`)
// and a test keeps the checked-in copy equal to it; the doc comment below is its description.
/// What `tlsaudit client --format json` writes: with `--exec`, one ExecReport document holding
/// every client; in listen mode (and with `--format jsonl`, and from `GET /json`), one
/// ClientReport object per client, one per line.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(untagged)]
#[schemars(rename = "ClientCheckReport")]
pub enum ClientOutput {
    Exec(super::ExecReport),
    Client(Box<ClientReport>),
}

/// The JSON Schema of [`ClientOutput`], pretty-printed.
pub fn json_schema() -> String {
    let schema = schemars::schema_for!(ClientOutput);
    serde_json::to_string_pretty(&schema).unwrap_or_default() + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checked_in_client_schema_matches_the_types() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/schema/client-report.schema.json"
        );
        let on_disk = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            on_disk == json_schema(),
            "schema/client-report.schema.json is stale: run `cargo run -- schema client > schema/client-report.schema.json`"
        );
    }

    #[test]
    fn both_client_shapes_read_back_as_the_schema_root() {
        let one = ClientReport {
            schema_version: CLIENT_SCHEMA_VERSION.into(),
            peer: "127.0.0.1:5000".into(),
            error: Some("garbage".into()),
            ..Default::default()
        };
        let line = serde_json::to_string(&one).unwrap();
        assert_eq!(
            serde_json::from_str::<ClientOutput>(&line).unwrap(),
            ClientOutput::Client(Box::new(one.clone()))
        );
        let exec = super::super::ExecReport {
            schema_version: CLIENT_SCHEMA_VERSION.into(),
            policy: "multisafepay".into(),
            command: "true".into(),
            command_exit_code: Some(0),
            compliant: None,
            clients: vec![one],
        };
        let doc = serde_json::to_string(&exec).unwrap();
        assert_eq!(
            serde_json::from_str::<ClientOutput>(&doc).unwrap(),
            ClientOutput::Exec(exec)
        );
    }
}
