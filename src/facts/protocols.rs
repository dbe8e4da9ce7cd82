//! Protocol versions and the cipher suites accepted in each.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{SectionStatus, TlsVersion};
use crate::wire::registry;
use crate::wire::sslv2::CipherKind;
use crate::wire::CipherSuite;

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
    /// False when the suites were not enumerated (`--only versions`), or the enumeration was
    /// cut short by a server that stopped answering: `cipher_suites` then holds only the
    /// suites the server chose, and suite rules are incomplete. Absent in older reports: true.
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
