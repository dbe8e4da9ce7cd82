//! What a scan learned about Encrypted Client Hello (RFC 9849): the ECH configurations it
//! read (from the DNS HTTPS record, `--ech-config` or the server's `retry_configs`), decoded,
//! and how the server answered a GREASE ECH hello and a real ECH handshake. Facts only.

use base64::Engine;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::SectionStatus;
use crate::wire::ech::{self, EchConfigList};
use crate::wire::{hex, Codec};

/// An ECHConfigList (RFC 9849 section 4), decoded, with its bytes for reuse.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq, Default)]
pub struct EchConfigListInfo {
    /// The ECHConfigList as sent (with its length prefix), base64: what `--ech-config` takes.
    pub base64: String,
    /// Each ECHConfig in it, in order.
    pub configs: Vec<EchConfigInfo>,
    /// Why the bytes could not be decoded (then `configs` is empty), or null.
    pub error: Option<String>,
}

/// One ECHConfig.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq, Default)]
pub struct EchConfigInfo {
    /// "0xfe0d" for RFC 9849; other versions are listed with nothing else decoded.
    pub version: String,
    pub config_id: Option<u8>,
    /// HPKE KEM: {"id": "0x0020", "name": "DHKEM(X25519, HKDF-SHA256)"}.
    pub kem: Option<HpkeAlgorithm>,
    /// The HPKE public key, lower-case hex.
    pub public_key: Option<String>,
    /// The HPKE symmetric suites, each a KDF and an AEAD.
    pub cipher_suites: Vec<HpkeSuiteInfo>,
    pub maximum_name_length: Option<u8>,
    /// The name the outer (clear) ClientHello carries in SNI.
    pub public_name: Option<String>,
    /// ECHConfig extensions: type (hex), whether mandatory, length.
    pub extensions: Vec<EchExtensionInfo>,
    /// Whether this scanner's ECH client can use it (version 0xfe0d, DHKEM(X25519,
    /// HKDF-SHA256), HKDF-SHA256 with AES-128-GCM, a valid public name, no unknown mandatory
    /// extension).
    pub usable: bool,
    /// Why a client must ignore it (an invalid public name, an unknown mandatory extension),
    /// or null.
    pub problem: Option<String>,
}

/// An HPKE algorithm id and its name (RFC 9180 section 7).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq, Default)]
pub struct HpkeAlgorithm {
    /// Lower-case hex code point: "0x0001".
    pub id: String,
    pub name: String,
}

/// One `HpkeSymmetricCipherSuite`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq, Default)]
pub struct HpkeSuiteInfo {
    pub kdf: HpkeAlgorithm,
    pub aead: HpkeAlgorithm,
}

/// One ECHConfig extension.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq, Default)]
pub struct EchExtensionInfo {
    /// Lower-case hex: "0x1234".
    pub id: String,
    /// The high bit of the type: a client that does not know it must skip the config.
    pub mandatory: bool,
    pub length: usize,
}

fn algorithm(id: u16, name: String) -> HpkeAlgorithm {
    HpkeAlgorithm {
        id: format!("0x{id:04x}"),
        name,
    }
}

impl EchConfigListInfo {
    /// Decodes `bytes` (an ECHConfigList with its length prefix); a decoding error is kept
    /// in `error`, never raised.
    pub fn from_wire(bytes: &[u8]) -> Self {
        let base64 = base64::engine::general_purpose::STANDARD.encode(bytes);
        match EchConfigList::from_bytes(bytes) {
            Ok(list) => Self::from_list(&list, base64),
            Err(e) => Self {
                base64,
                configs: Vec::new(),
                error: Some(format!("not an ECHConfigList (RFC 9849 section 4): {e}")),
            },
        }
    }

    fn from_list(list: &EchConfigList, base64: String) -> Self {
        let usable_id = list.usable().map(|(_, c)| c.config_id);
        let configs = list
            .0
            .iter()
            .map(|c| {
                let version = format!("0x{:04x}", c.version);
                let Some(contents) = &c.contents else {
                    return EchConfigInfo {
                        version,
                        problem: Some("a version this client does not speak".into()),
                        ..Default::default()
                    };
                };
                let problem = contents.problem();
                EchConfigInfo {
                    version,
                    config_id: Some(contents.config_id),
                    kem: Some(algorithm(contents.kem_id, ech::kem_name(contents.kem_id))),
                    public_key: Some(hex(&contents.public_key)),
                    cipher_suites: contents
                        .cipher_suites
                        .iter()
                        .map(|s| HpkeSuiteInfo {
                            kdf: algorithm(s.kdf_id, ech::kdf_name(s.kdf_id)),
                            aead: algorithm(s.aead_id, ech::aead_name(s.aead_id)),
                        })
                        .collect(),
                    maximum_name_length: Some(contents.maximum_name_length),
                    public_name: Some(contents.public_name_text()),
                    extensions: contents
                        .extensions
                        .iter()
                        .map(|e| EchExtensionInfo {
                            id: format!("0x{:04x}", e.typ),
                            mandatory: e.mandatory(),
                            length: e.data.len(),
                        })
                        .collect(),
                    usable: usable_id == Some(contents.config_id) && problem.is_none(),
                    problem,
                }
            })
            .collect();
        Self {
            base64,
            configs,
            error: None,
        }
    }
}

/// Encrypted Client Hello: GREASE and, where a config is known, a real ECH handshake.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq, Default)]
pub struct EchSection {
    pub status: SectionStatus,
    pub error: Option<String>,
    /// A TLS 1.3 hello with a GREASE `encrypted_client_hello` extension (random content
    /// shaped like a real one, RFC 9849 section 6.2); null when TLS 1.3 is not offered.
    pub grease: Option<EchProbe>,
    /// A real ECH handshake with the config named by `config_source`; null when no usable
    /// config was known.
    pub handshake: Option<EchProbe>,
    /// Where the config of the real handshake came from: "dns" (the HTTPS record),
    /// "ech_config" (`--ech-config`), or null.
    pub config_source: Option<String>,
    /// What the scan says about the server's ECH, for people.
    pub summary: String,
    /// What to act on: `ech.intolerant` (the server breaks on the extension),
    /// `ech.dns_config_rejected`, `ech.dns_config_ignored`, `ech.dns_config_unusable` (the
    /// HTTPS record publishes a config the server does not take, or none a client can use).
    #[serde(default)]
    pub findings: Vec<super::Finding>,
}

/// How the server answered one ECH hello.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct EchProbe {
    pub outcome: EchOutcome,
    /// The server's answer, for people ("ServerHello TLSv1.3 TLS_AES_128_GCM_SHA256,
    /// EncryptedExtensions without encrypted_client_hello", "alert decode_error").
    pub evidence: String,
    /// The `retry_configs` the server sent in EncryptedExtensions, decoded; null when none.
    pub retry_configs: Option<EchConfigListInfo>,
}

/// The outcome of one ECH hello.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum EchOutcome {
    /// The server accepted the encrypted inner hello: ServerHello.random ends with the
    /// acceptance confirmation (RFC 9849 section 7.2).
    Accepted,
    /// The server handshook on the outer hello and sent `retry_configs`: it speaks ECH, but
    /// not with the config offered (for GREASE, the expected answer of an ECH server).
    RetryConfigs,
    /// The server handshook on the outer hello and sent no ECH extension: it does not speak
    /// ECH (or not on this name), and tolerates the extension as RFC 8446 asks.
    Ignored,
    /// The server broke the handshake (an alert, a close, a reset) although a TLS 1.3 hello
    /// without the extension succeeds: clients that send GREASE ECH (browsers) fail here.
    Intolerant,
    /// No clear answer (a timeout, a HelloRetryRequest, records that do not decrypt).
    NotDetermined,
}

impl EchOutcome {
    /// The JSON name: "accepted", "retry_configs", …
    pub fn name(self) -> &'static str {
        match self {
            EchOutcome::Accepted => "accepted",
            EchOutcome::RetryConfigs => "retry_configs",
            EchOutcome::Ignored => "ignored",
            EchOutcome::Intolerant => "intolerant",
            EchOutcome::NotDetermined => "not_determined",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_config_list_is_decoded_for_the_report_and_garbage_is_an_error_in_it() {
        let bytes = crate::wire::ech::sample_config_list().to_bytes();
        let info = EchConfigListInfo::from_wire(&bytes);
        assert_eq!(info.error, None);
        assert_eq!(info.configs.len(), 2);
        let c = &info.configs[0];
        assert_eq!(c.version, "0xfe0d");
        assert_eq!(c.public_name.as_deref(), Some("public.example"));
        assert_eq!(c.kem.as_ref().unwrap().name, "DHKEM(X25519, HKDF-SHA256)");
        assert_eq!(c.cipher_suites[1].aead.name, "ChaCha20Poly1305");
        assert!(c.usable);
        assert!(!info.configs[1].usable && info.configs[1].config_id.is_none());
        let bad = EchConfigListInfo::from_wire(&[0, 5, 1]);
        assert!(bad.error.unwrap().contains("truncated"));
        assert_eq!(bad.base64, "AAUB");
    }
}
