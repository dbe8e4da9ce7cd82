//! Encrypted Client Hello on the wire (RFC 9849): the ECHConfigList a server publishes in its
//! DNS HTTPS record and sends back as `retry_configs` (section 4), and the
//! `encrypted_client_hello` extension of a ClientHello (section 5). Sans-IO; every length
//! goes through a sub-reader, so a lying one is an error, never a panic.

use super::codec::{encode_list, put_len_prefixed, read_list, Codec, DecodeError, Reader};

/// The ECHConfig version of RFC 9849 (section 4); configs of other versions are kept raw.
pub const ECH_VERSION: u16 = 0xfe0d;

/// HPKE KEM ids (RFC 9180 section 7.1).
pub const KEM_X25519_HKDF_SHA256: u16 = 0x0020;
/// HPKE KDF ids (RFC 9180 section 7.2).
pub const KDF_HKDF_SHA256: u16 = 0x0001;
/// HPKE AEAD ids (RFC 9180 section 7.3).
pub const AEAD_AES_128_GCM: u16 = 0x0001;

/// The name of an HPKE KEM id, or its hex.
pub fn kem_name(id: u16) -> String {
    match id {
        0x0010 => "DHKEM(P-256, HKDF-SHA256)".into(),
        0x0011 => "DHKEM(P-384, HKDF-SHA384)".into(),
        0x0012 => "DHKEM(P-521, HKDF-SHA512)".into(),
        0x0020 => "DHKEM(X25519, HKDF-SHA256)".into(),
        0x0021 => "DHKEM(X448, HKDF-SHA512)".into(),
        other => format!("0x{other:04x}"),
    }
}

/// The name of an HPKE KDF id, or its hex.
pub fn kdf_name(id: u16) -> String {
    match id {
        0x0001 => "HKDF-SHA256".into(),
        0x0002 => "HKDF-SHA384".into(),
        0x0003 => "HKDF-SHA512".into(),
        other => format!("0x{other:04x}"),
    }
}

/// The name of an HPKE AEAD id, or its hex.
pub fn aead_name(id: u16) -> String {
    match id {
        0x0001 => "AES-128-GCM".into(),
        0x0002 => "AES-256-GCM".into(),
        0x0003 => "ChaCha20Poly1305".into(),
        0xffff => "Export-only".into(),
        other => format!("0x{other:04x}"),
    }
}

/// `HpkeSymmetricCipherSuite` (RFC 9849 section 4): a KDF and an AEAD.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HpkeSymmetricCipherSuite {
    pub kdf_id: u16,
    pub aead_id: u16,
}

impl Codec for HpkeSymmetricCipherSuite {
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.kdf_id.to_be_bytes());
        out.extend_from_slice(&self.aead_id.to_be_bytes());
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Self {
            kdf_id: r.u16("HpkeSymmetricCipherSuite.kdf_id")?,
            aead_id: r.u16("HpkeSymmetricCipherSuite.aead_id")?,
        })
    }
}

/// `ECHConfigExtension` (RFC 9849 section 4.2): kept raw. A type with the high bit set is
/// mandatory: a client that does not know it must not use the config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EchConfigExtension {
    pub typ: u16,
    pub data: Vec<u8>,
}

impl EchConfigExtension {
    pub fn mandatory(&self) -> bool {
        self.typ & 0x8000 != 0
    }
}

impl Codec for EchConfigExtension {
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.typ.to_be_bytes());
        put_len_prefixed(out, 2, |o| o.extend_from_slice(&self.data));
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let typ = r.u16("ECHConfigExtension.type")?;
        let data = r.sub_u16("ECHConfigExtension.data")?.rest().to_vec();
        Ok(Self { typ, data })
    }
}

/// `ECHConfigContents` of version 0xfe0d (RFC 9849 section 4): the `HpkeKeyConfig`, the
/// longest name the server expects, the name the outer hello carries, and extensions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EchConfigContents {
    pub config_id: u8,
    pub kem_id: u16,
    pub public_key: Vec<u8>,
    pub cipher_suites: Vec<HpkeSymmetricCipherSuite>,
    pub maximum_name_length: u8,
    pub public_name: Vec<u8>,
    pub extensions: Vec<EchConfigExtension>,
}

impl Codec for EchConfigContents {
    fn encode(&self, out: &mut Vec<u8>) {
        out.push(self.config_id);
        out.extend_from_slice(&self.kem_id.to_be_bytes());
        put_len_prefixed(out, 2, |o| o.extend_from_slice(&self.public_key));
        encode_list(out, 2, &self.cipher_suites);
        out.push(self.maximum_name_length);
        put_len_prefixed(out, 1, |o| o.extend_from_slice(&self.public_name));
        encode_list(out, 2, &self.extensions);
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let config_id = r.u8("HpkeKeyConfig.config_id")?;
        let kem_id = r.u16("HpkeKeyConfig.kem_id")?;
        let public_key = r.sub_u16("HpkeKeyConfig.public_key")?.rest().to_vec();
        if public_key.is_empty() {
            return Err(DecodeError::Invalid(
                "HpkeKeyConfig.public_key",
                "empty (at least 1 byte)".into(),
            ));
        }
        // cipher_suites<4..2^16-4>: whole 4-byte entries, at least one.
        let mut suites = r.sub_u16("HpkeKeyConfig.cipher_suites")?;
        if suites.remaining() == 0 || suites.remaining() % 4 != 0 {
            return Err(DecodeError::Invalid(
                "HpkeKeyConfig.cipher_suites",
                format!("{} bytes (a non-zero multiple of 4)", suites.remaining()),
            ));
        }
        let mut cipher_suites = Vec::new();
        while !suites.is_empty() {
            cipher_suites.push(HpkeSymmetricCipherSuite::read(&mut suites)?);
        }
        let maximum_name_length = r.u8("ECHConfigContents.maximum_name_length")?;
        let public_name = r.sub_u8("ECHConfigContents.public_name")?.rest().to_vec();
        if public_name.is_empty() {
            return Err(DecodeError::Invalid(
                "ECHConfigContents.public_name",
                "empty (at least 1 byte)".into(),
            ));
        }
        let extensions = read_list(r, 2, "ECHConfigContents.extensions")?;
        Ok(Self {
            config_id,
            kem_id,
            public_key,
            cipher_suites,
            maximum_name_length,
            public_name,
            extensions,
        })
    }
}

impl EchConfigContents {
    /// The public name as text (lossy for non-UTF-8 bytes, which make it invalid anyway).
    pub fn public_name_text(&self) -> String {
        String::from_utf8_lossy(&self.public_name).into_owned()
    }

    /// Why a client must ignore this config (RFC 9849 sections 4 and 6.1), if it must: a public
    /// name that is not a host name made of LDH labels (or is an IPv4 address), or a mandatory
    /// extension (none is defined yet, so every mandatory one is unknown to us).
    pub fn problem(&self) -> Option<String> {
        let name = self.public_name_text();
        let ldh = |l: &str| {
            !l.is_empty()
                && l.len() <= 63
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !l.starts_with('-')
                && !l.ends_with('-')
        };
        if name.starts_with('.') || name.ends_with('.') || !name.split('.').all(ldh) {
            return Some(format!(
                "public_name \"{}\" is not a dot-separated sequence of LDH labels",
                name.escape_default()
            ));
        }
        // Section 4: a last label that is all digits (or hex with 0x) reads as an IPv4 address.
        let last = name.rsplit('.').next().unwrap_or_default();
        if last.bytes().all(|b| b.is_ascii_digit())
            || (last.len() > 2
                && last[..2].eq_ignore_ascii_case("0x")
                && last[2..].bytes().all(|b| b.is_ascii_hexdigit()))
        {
            return Some(format!(
                "public_name \"{name}\" ends in a numeric label (an IPv4 address)"
            ));
        }
        if let Some(e) = self.extensions.iter().find(|e| e.mandatory()) {
            return Some(format!(
                "mandatory extension 0x{:04x}, which no client here knows",
                e.typ
            ));
        }
        None
    }
}

/// One `ECHConfig` (RFC 9849 section 4): a version and its contents. Contents of a version
/// other than 0xfe0d are kept raw (`contents` is `None`), as a client skips them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EchConfig {
    pub version: u16,
    pub contents: Option<EchConfigContents>,
    /// The contents' bytes as received.
    pub raw_contents: Vec<u8>,
}

impl EchConfig {
    /// A 0xfe0d config with `contents`.
    pub fn new(contents: EchConfigContents) -> Self {
        Self {
            version: ECH_VERSION,
            raw_contents: contents.to_bytes(),
            contents: Some(contents),
        }
    }
}

impl Codec for EchConfig {
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.version.to_be_bytes());
        put_len_prefixed(out, 2, |o| o.extend_from_slice(&self.raw_contents));
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let version = r.u16("ECHConfig.version")?;
        let mut sub = r.sub_u16("ECHConfig.contents")?;
        let raw_contents = sub.clone().rest().to_vec();
        let contents = if version == ECH_VERSION {
            let c = EchConfigContents::read(&mut sub)?;
            sub.expect_empty("ECHConfigContents")?;
            Some(c)
        } else {
            None
        };
        Ok(Self {
            version,
            contents,
            raw_contents,
        })
    }
}

/// `ECHConfigList` (RFC 9849 section 4): `ECHConfig configs<4..2^16-1>`, as published in the
/// `ech` SvcParam of an HTTPS record and sent as `retry_configs`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EchConfigList(pub Vec<EchConfig>);

impl Codec for EchConfigList {
    fn encode(&self, out: &mut Vec<u8>) {
        encode_list(out, 2, &self.0);
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let configs: Vec<EchConfig> = read_list(r, 2, "ECHConfigList")?;
        if configs.is_empty() {
            return Err(DecodeError::Invalid(
                "ECHConfigList",
                "no ECHConfig in it".into(),
            ));
        }
        Ok(Self(configs))
    }
}

impl EchConfigList {
    /// The first config this client can use (RFC 9849 section 6.1): version 0xfe0d, KEM
    /// DHKEM(X25519, HKDF-SHA256), a suite of HKDF-SHA256 with AES-128-GCM, and no
    /// [`EchConfigContents::problem`]; with the serialized ECHConfig (the HPKE `info` needs it).
    pub fn usable(&self) -> Option<(&EchConfig, &EchConfigContents)> {
        self.0.iter().find_map(|c| {
            let contents = c.contents.as_ref()?;
            let ok = contents.kem_id == KEM_X25519_HKDF_SHA256
                && contents.public_key.len() == 32
                && contents.cipher_suites.contains(&SUPPORTED_SUITE)
                && contents.problem().is_none();
            ok.then_some((c, contents))
        })
    }
}

/// The one HPKE suite the ECH client here speaks (RFC 9849 section 9 makes it mandatory).
pub const SUPPORTED_SUITE: HpkeSymmetricCipherSuite = HpkeSymmetricCipherSuite {
    kdf_id: KDF_HKDF_SHA256,
    aead_id: AEAD_AES_128_GCM,
};

/// The `encrypted_client_hello` extension of a ClientHello (RFC 9849 section 5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EchClientHello {
    /// In ClientHelloOuter: which config and suite, the HPKE encapsulated key and the
    /// encrypted EncodedClientHelloInner.
    Outer {
        cipher_suite: HpkeSymmetricCipherSuite,
        config_id: u8,
        enc: Vec<u8>,
        payload: Vec<u8>,
    },
    /// In ClientHelloInner: an empty marker.
    Inner,
}

impl Codec for EchClientHello {
    fn encode(&self, out: &mut Vec<u8>) {
        match self {
            EchClientHello::Outer {
                cipher_suite,
                config_id,
                enc,
                payload,
            } => {
                out.push(0);
                cipher_suite.encode(out);
                out.push(*config_id);
                put_len_prefixed(out, 2, |o| o.extend_from_slice(enc));
                put_len_prefixed(out, 2, |o| o.extend_from_slice(payload));
            }
            EchClientHello::Inner => out.push(1),
        }
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        match r.u8("ECHClientHello.type")? {
            0 => Ok(EchClientHello::Outer {
                cipher_suite: HpkeSymmetricCipherSuite::read(r)?,
                config_id: r.u8("ECHClientHello.config_id")?,
                enc: r.sub_u16("ECHClientHello.enc")?.rest().to_vec(),
                payload: r.sub_u16("ECHClientHello.payload")?.rest().to_vec(),
            }),
            1 => Ok(EchClientHello::Inner),
            other => Err(DecodeError::Invalid(
                "ECHClientHello.type",
                format!("{other} (0 outer or 1 inner)"),
            )),
        }
    }
}

/// Sample values for the round-trip and truncation tests.
#[cfg(test)]
pub(crate) fn sample_config_list() -> EchConfigList {
    EchConfigList(vec![
        EchConfig::new(EchConfigContents {
            config_id: 7,
            kem_id: KEM_X25519_HKDF_SHA256,
            public_key: vec![0x42; 32],
            cipher_suites: vec![
                SUPPORTED_SUITE,
                HpkeSymmetricCipherSuite {
                    kdf_id: 1,
                    aead_id: 3,
                },
            ],
            maximum_name_length: 64,
            public_name: b"public.example".to_vec(),
            extensions: vec![EchConfigExtension {
                typ: 0x1234,
                data: vec![1, 2],
            }],
        }),
        EchConfig {
            version: 0xfe0a,
            contents: None,
            raw_contents: vec![9, 9, 9],
        },
    ])
}

#[cfg(test)]
mod tests {
    use base64::Engine;

    use super::*;

    #[test]
    fn a_config_list_round_trips_and_every_truncation_is_an_error() {
        let list = sample_config_list();
        let bytes = list.to_bytes();
        assert_eq!(EchConfigList::from_bytes(&bytes).unwrap(), list);
        for len in 0..bytes.len() {
            assert!(EchConfigList::from_bytes(&bytes[..len]).is_err(), "{len}");
        }
        let (config, contents) = list.usable().unwrap();
        assert_eq!((config.version, contents.config_id), (ECH_VERSION, 7));
    }

    /// A config list of the shape a large public deployment publishes (public name
    /// `cloudflare-ech.com`), decoded field by field and encoded back byte for byte.
    #[test]
    fn decodes_a_published_config() {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(
                "AEX+DQBBqQAgACCgM6YbSWu4X2g2CXBY2Yx9ZWLTcJz5WhKC/9F7Az47OAAEAAEAAQASY2xvdWRmbGFyZS1lY2guY29tAAA=",
            )
            .unwrap();
        let list = EchConfigList::from_bytes(&bytes).unwrap();
        let c = list.0[0].contents.as_ref().unwrap();
        assert_eq!(c.config_id, 0xa9);
        assert_eq!(kem_name(c.kem_id), "DHKEM(X25519, HKDF-SHA256)");
        assert_eq!(c.public_key.len(), 32);
        assert_eq!(c.cipher_suites, vec![SUPPORTED_SUITE]);
        assert_eq!(c.maximum_name_length, 0);
        assert_eq!(c.public_name_text(), "cloudflare-ech.com");
        assert!(c.extensions.is_empty() && c.problem().is_none());
        assert_eq!(list.to_bytes(), bytes);
    }

    #[test]
    fn bad_configs_are_errors_or_problems_never_panics() {
        // A list that claims more bytes than it has, an empty list, a config of zero suites.
        assert!(EchConfigList::from_bytes(&[0, 9, 0xfe, 0x0d]).is_err());
        assert!(EchConfigList::from_bytes(&[0, 0]).is_err());
        let mut c = sample_config_list().0[0].contents.clone().unwrap();
        c.cipher_suites.clear();
        let bytes = EchConfigList(vec![EchConfig::new(c.clone())]).to_bytes();
        assert!(EchConfigList::from_bytes(&bytes).is_err());
        for (name, bad) in [
            ("192.0.2.1", true),
            ("a..b", true),
            (".lead", true),
            ("under_score.example", true),
            ("ok-name.example", false),
        ] {
            c.public_name = name.as_bytes().to_vec();
            assert_eq!(c.problem().is_some(), bad, "{name}");
        }
        c.public_name = b"ok.example".to_vec();
        c.extensions = vec![EchConfigExtension {
            typ: 0x8001,
            data: vec![],
        }];
        assert!(c.problem().unwrap().contains("mandatory"));
    }

    #[test]
    fn the_client_hello_extension_round_trips() {
        for ext in [
            EchClientHello::Outer {
                cipher_suite: SUPPORTED_SUITE,
                config_id: 3,
                enc: vec![1; 32],
                payload: vec![2; 200],
            },
            EchClientHello::Inner,
        ] {
            let bytes = ext.to_bytes();
            assert_eq!(EchClientHello::from_bytes(&bytes).unwrap(), ext);
            for len in 0..bytes.len() {
                assert!(EchClientHello::from_bytes(&bytes[..len]).is_err());
            }
        }
        assert!(EchClientHello::from_bytes(&[2]).is_err());
    }
}
