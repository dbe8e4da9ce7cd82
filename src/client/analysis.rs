//! From a captured ClientHello to [`HelloFacts`]: every field named and flagged. Sans-IO.

use crate::facts::TlsVersion;
use crate::facts::{Finding, Severity};
use crate::wire::registry;
use crate::wire::sslv2::CipherKind;
use crate::wire::{
    is_grease_u16, CipherSuite, ExtensionType, KeyShareClientHello, NamedGroup, NamedGroupList,
    ProtocolNameList, ProtocolVersion, ProtocolVersionList, ServerNameList, SignatureSchemeList,
};

pub use crate::wire::captured::{CapturedHello, Offer};

use super::fingerprint;
use super::report::{
    Code, HelloFacts, OfferedExtension, OfferedGroup, OfferedKeyShare, OfferedSuite, SuiteSecurity,
    Verdict,
};

/// A ClientHello and how it arrived.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Captured {
    pub hello: CapturedHello,
    /// Bytes of the handshake message (header included), or of the SSLv2 message.
    pub length: usize,
    /// Records it spanned.
    pub records: usize,
    /// The first record header's version; None for SSLv2.
    pub record_version: Option<ProtocolVersion>,
}

fn hex16(v: u16) -> String {
    format!("0x{v:04x}")
}

fn code(v: u16, name: Option<&str>) -> Code {
    let grease = is_grease_u16(v);
    Code {
        id: hex16(v),
        name: if grease {
            "GREASE".into()
        } else {
            name.map(str::to_string).unwrap_or_else(|| hex16(v))
        },
        grease,
    }
}

fn group(g: NamedGroup) -> OfferedGroup {
    let c = code(g.0, g.name());
    OfferedGroup {
        id: c.id,
        name: c.name,
        post_quantum: g.is_post_quantum(),
        grease: c.grease,
    }
}

/// How much to trust `id`, and why.
pub fn classify(id: CipherSuite) -> (SuiteSecurity, Vec<String>) {
    if id.is_grease() || id.is_signalling() {
        return (SuiteSecurity::NotASuite, Vec::new());
    }
    let Some(s) = registry::suite(id) else {
        return (SuiteSecurity::Unknown, Vec::new());
    };
    let mut insecure = Vec::new();
    if s.export {
        insecure.push("export-grade");
    }
    if s.cipher == "NULL" {
        insecure.push("no encryption");
    }
    if s.auth == "anon" || s.kx.ends_with("anon") {
        insecure.push("anonymous key exchange");
    }
    match s.cipher {
        "RC4" | "RC2" | "DES" => insecure.push(s.cipher),
        _ => {}
    }
    if s.mac == "MD5" {
        insecure.push("MD5 MAC");
    }
    if !insecure.is_empty() {
        return (
            SuiteSecurity::Insecure,
            insecure.into_iter().map(String::from).collect(),
        );
    }
    let mut weak = Vec::new();
    match s.cipher {
        "3DES" | "IDEA" => weak.push(format!("{} (64-bit block)", s.cipher)),
        _ => {}
    }
    if s.mode == "CBC" {
        weak.push("CBC mode".into());
    }
    if weak.is_empty() {
        (SuiteSecurity::Ok, weak)
    } else {
        (SuiteSecurity::Weak, weak)
    }
}

fn offered_suite(id: CipherSuite) -> OfferedSuite {
    let (security, reasons) = classify(id);
    let info = registry::suite(id);
    OfferedSuite {
        id: id.hex_id(),
        name: if id.is_grease() {
            "GREASE".into()
        } else {
            info.map(|s| s.iana_name.to_string())
                .unwrap_or_else(|| id.hex_id())
        },
        openssl_name: info.and_then(|s| s.openssl_name).map(String::from),
        security,
        reasons,
        forward_secrecy: security != SuiteSecurity::NotASuite
            && info.is_some_and(|s| s.forward_secrecy),
        tls13: info.is_some_and(|s| s.tls13),
        grease: id.is_grease(),
    }
}

fn sslv2_kind(k: CipherKind) -> OfferedSuite {
    if k.0 >> 16 == 0 {
        return offered_suite(CipherSuite(k.0 as u16));
    }
    let info = registry::sslv2_kind(k);
    OfferedSuite {
        id: k.hex_id(),
        name: info
            .map(|i| i.name.to_string())
            .unwrap_or_else(|| k.hex_id()),
        openssl_name: info.map(|i| i.openssl_name.to_string()),
        security: SuiteSecurity::Insecure,
        reasons: vec!["SSLv2 cipher kind".into()],
        forward_secrecy: false,
        tls13: false,
        grease: false,
    }
}

/// The name the report uses for a wire version: "TLSv1.2", or the hex id when unknown.
pub fn version_name(v: ProtocolVersion) -> String {
    if v.is_grease() {
        return "GREASE".into();
    }
    v.name().map(String::from).unwrap_or_else(|| hex16(v.0))
}

/// Every fact about the hello.
pub fn facts(c: &Captured) -> HelloFacts {
    let offer = c.hello.offer();
    let versions = offer
        .versions
        .iter()
        .filter_map(|v| TlsVersion::from_wire(*v))
        .collect();
    let mut f = HelloFacts {
        length: c.length,
        records: c.records,
        record_version: c.record_version.map(version_name),
        versions,
        ..Default::default()
    };
    match &c.hello {
        CapturedHello::Sslv2(h) => {
            f.format = "sslv2".into();
            f.legacy_version = version_name(ProtocolVersion(h.version));
            f.cipher_suites = h.cipher_specs.iter().map(|k| sslv2_kind(*k)).collect();
        }
        CapturedHello::Tls(h) => {
            f.format = "tls".into();
            f.legacy_version = version_name(h.legacy_version);
            f.cipher_suites = h.cipher_suites.iter().map(|s| offered_suite(*s)).collect();
            f.compression_methods = h.compression_methods.clone();
            let mut grease = Vec::new();
            if h.cipher_suites.iter().any(|s| s.is_grease()) {
                grease.push("cipher_suites");
            }
            if h.extensions().iter().any(|e| is_grease_u16(e.typ.0)) {
                grease.push("extensions");
            }
            for e in h.extensions() {
                f.extensions.push(OfferedExtension {
                    id: hex16(e.typ.0),
                    name: code(e.typ.0, e.typ.name()).name,
                    length: e.data.len(),
                    grease: is_grease_u16(e.typ.0),
                });
                match e.typ {
                    ExtensionType::SUPPORTED_VERSIONS => {
                        if let Ok(l) = e.parse::<ProtocolVersionList>() {
                            f.supported_versions =
                                l.0.iter().map(|v| code(v.0, v.name())).collect();
                            if l.0.iter().any(|v| v.is_grease()) {
                                grease.push("supported_versions");
                            }
                        }
                    }
                    ExtensionType::SUPPORTED_GROUPS => {
                        if let Ok(l) = e.parse::<NamedGroupList>() {
                            f.groups = l.0.iter().map(|g| group(*g)).collect();
                            if l.0.iter().any(|g| is_grease_u16(g.0)) {
                                grease.push("supported_groups");
                            }
                        }
                    }
                    ExtensionType::KEY_SHARE => {
                        if let Ok(l) = e.parse::<KeyShareClientHello>() {
                            f.key_shares =
                                l.0.iter()
                                    .map(|k| OfferedKeyShare {
                                        group: group(k.group),
                                        length: k.key_exchange.len(),
                                    })
                                    .collect();
                            if l.0.iter().any(|k| is_grease_u16(k.group.0)) {
                                grease.push("key_share");
                            }
                        }
                    }
                    ExtensionType::SIGNATURE_ALGORITHMS => {
                        if let Ok(l) = e.parse::<SignatureSchemeList>() {
                            f.signature_schemes = l.0.iter().map(|s| code(s.0, s.name())).collect();
                            if l.0.iter().any(|s| is_grease_u16(s.0)) {
                                grease.push("signature_algorithms");
                            }
                        }
                    }
                    ExtensionType::ALPN => {
                        if let Ok(l) = e.parse::<ProtocolNameList>() {
                            f.alpn =
                                l.0.iter()
                                    .map(|p| String::from_utf8_lossy(&p.0).into_owned())
                                    .collect();
                        }
                    }
                    ExtensionType::SERVER_NAME => {
                        f.sni = e.parse::<ServerNameList>().ok().and_then(|l| l.host_name());
                    }
                    _ => {}
                }
            }
            f.grease = grease.into_iter().map(String::from).collect();
            let (ja3s, ja3) = fingerprint::ja3(h);
            let (ja4, ja4_r) = fingerprint::ja4(h);
            f.ja3 = Some(ja3);
            f.ja3_string = Some(ja3s);
            f.ja4 = Some(ja4);
            f.ja4_r = Some(ja4_r);
        }
    }
    f
}

/// The findings about one client, most severe first.
pub fn findings(f: &HelloFacts, verdict: &Verdict) -> Vec<Finding> {
    let mut out = Vec::new();
    if !verdict.compliant {
        out.push(Finding {
            id: "client.policy.not_compliant".into(),
            severity: Severity::Error,
            message: match &verdict.upgrade {
                Some(u) => format!(
                    "cannot reach a server following {}: {}; to fix: {u}",
                    verdict.policy, verdict.message
                ),
                None => format!(
                    "cannot reach a server following {}: {}",
                    verdict.policy, verdict.message
                ),
            },
            evidence: Some(format!(
                "versions {}; {} suites offered",
                f.versions
                    .iter()
                    .map(|v| v.name())
                    .collect::<Vec<_>>()
                    .join(", "),
                f.cipher_suites.len()
            )),
        });
    }
    let legacy: Vec<&str> = f
        .versions
        .iter()
        .filter(|v| matches!(v, TlsVersion::Ssl2 | TlsVersion::Ssl3))
        .map(|v| v.name())
        .collect();
    if !legacy.is_empty() {
        out.push(Finding {
            id: "client.protocol.ssl_offered".into(),
            severity: Severity::Warning,
            message: format!(
                "the client offers {}, broken since 2014 (POODLE): upgrade its TLS library",
                legacy.join(" and ")
            ),
            evidence: None,
        });
    }
    let insecure: Vec<&str> = f
        .cipher_suites
        .iter()
        .filter(|s| s.security == SuiteSecurity::Insecure)
        .map(|s| s.name.as_str())
        .collect();
    if !insecure.is_empty() {
        out.push(Finding {
            id: "client.suites.insecure_offered".into(),
            severity: Severity::Warning,
            message: format!(
                "the client offers {} insecure suite{}: remove them from its cipher list",
                insecure.len(),
                if insecure.len() == 1 { "" } else { "s" }
            ),
            evidence: Some(insecure.join(", ")),
        });
    }
    let real_suites = || {
        f.cipher_suites
            .iter()
            .filter(|s| s.security != SuiteSecurity::NotASuite)
    };
    if real_suites().next().is_some() && !real_suites().any(|s| s.forward_secrecy) {
        out.push(Finding {
            id: "client.suites.no_forward_secrecy".into(),
            severity: Severity::Warning,
            message: "no offered suite has forward secrecy: enable ECDHE suites (or TLS 1.3)"
                .into(),
            evidence: None,
        });
    }
    if f.compression_methods.iter().any(|m| *m != 0) {
        out.push(Finding {
            id: "client.compression.offered".into(),
            severity: Severity::Warning,
            message: "the client offers TLS compression, which exposes secrets (CRIME): disable it"
                .into(),
            evidence: Some(format!("compression methods {:?}", f.compression_methods)),
        });
    }
    if f.cipher_suites.iter().any(|s| s.id == "0x5600") {
        out.push(Finding {
            id: "client.fallback_retry".into(),
            severity: Severity::Info,
            message: "this hello carries TLS_FALLBACK_SCSV (RFC 7507): the client is retrying with a lower version after a failed attempt".into(),
            evidence: None,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::fingerprint::tests::curl_hello;
    use crate::wire::sslv2::Sslv2ClientHello;

    #[test]
    fn curl_hello_facts() {
        let c = Captured {
            hello: CapturedHello::Tls(curl_hello()),
            length: 512,
            records: 1,
            record_version: Some(ProtocolVersion::TLS10),
        };
        let f = facts(&c);
        assert_eq!(f.format, "tls");
        assert_eq!(f.record_version.as_deref(), Some("TLSv1.0"));
        assert_eq!(f.legacy_version, "TLSv1.2");
        // Debian's OpenSSL still lists TLS 1.1 and 1.0 (refused later by its security level).
        assert_eq!(
            f.versions,
            vec![
                TlsVersion::Tls13,
                TlsVersion::Tls12,
                TlsVersion::Tls11,
                TlsVersion::Tls10
            ]
        );
        assert_eq!(f.cipher_suites.len(), 31);
        assert_eq!(f.cipher_suites[0].name, "TLS_AES_256_GCM_SHA384");
        assert!(f.cipher_suites[0].tls13 && f.cipher_suites[0].forward_secrecy);
        let scsv = f.cipher_suites.last().unwrap();
        assert_eq!(
            (scsv.id.as_str(), scsv.security),
            ("0x00ff", SuiteSecurity::NotASuite)
        );
        let rsa_cbc = f.cipher_suites.iter().find(|s| s.id == "0x002f").unwrap();
        assert_eq!(rsa_cbc.security, SuiteSecurity::Weak);
        assert_eq!(rsa_cbc.reasons, vec!["CBC mode".to_string()]);
        assert!(!rsa_cbc.forward_secrecy);
        assert_eq!(f.sni.as_deref(), Some("localhost"));
        assert_eq!(f.alpn, vec!["h2", "http/1.1"]);
        assert_eq!(f.compression_methods, vec![0]);
        assert_eq!(f.key_shares.len(), 1);
        assert_eq!(
            (f.key_shares[0].group.name.as_str(), f.key_shares[0].length),
            ("x25519", 32)
        );
        assert_eq!(f.groups.len(), 10);
        assert!(f.groups.iter().all(|g| !g.post_quantum));
        assert_eq!(f.signature_schemes[0].name, "ecdsa_secp256r1_sha256");
        assert_eq!(f.extensions.len(), 12);
        assert_eq!(f.extensions.last().unwrap().name, "padding");
        assert!(f.grease.is_empty());
        assert_eq!(
            f.ja4.as_deref(),
            Some("t13d3112h2_e8f1e7e78f70_b26ce05bbdd6")
        );
    }

    #[test]
    fn post_quantum_hybrids_and_grease_are_named() {
        use crate::wire::{Extension, KeyShareEntry};
        let mut h = curl_hello();
        for e in h.extensions.iter_mut().flatten() {
            if e.typ == ExtensionType::SUPPORTED_GROUPS {
                *e = Extension::new(
                    e.typ,
                    &NamedGroupList(vec![
                        NamedGroup(0x3a3a),
                        NamedGroup::X25519MLKEM768,
                        NamedGroup::X25519,
                    ]),
                );
            }
            if e.typ == ExtensionType::KEY_SHARE {
                *e = Extension::new(
                    e.typ,
                    &KeyShareClientHello(vec![
                        KeyShareEntry {
                            group: NamedGroup(0x3a3a),
                            key_exchange: vec![0],
                        },
                        KeyShareEntry {
                            group: NamedGroup::X25519MLKEM768,
                            key_exchange: vec![1; 1216],
                        },
                    ]),
                );
            }
        }
        let f = facts(&Captured {
            hello: CapturedHello::Tls(h),
            length: 0,
            records: 1,
            record_version: Some(ProtocolVersion::TLS10),
        });
        let groups: Vec<(&str, bool, bool)> = f
            .groups
            .iter()
            .map(|g| (g.name.as_str(), g.post_quantum, g.grease))
            .collect();
        assert_eq!(
            groups,
            vec![
                ("GREASE", false, true),
                ("X25519MLKEM768", true, false),
                ("x25519", false, false)
            ]
        );
        assert_eq!(f.key_shares[1].group.name, "X25519MLKEM768");
        assert_eq!(f.key_shares[1].length, 1216);
        assert!(f.key_shares[1].group.post_quantum);
        assert_eq!(f.grease, vec!["supported_groups", "key_share"]);
    }

    #[test]
    fn findings_of_an_old_client() {
        let h = Sslv2ClientHello {
            version: 0x0300,
            cipher_specs: vec![
                CipherKind(0x010080),
                CipherKind(0x000004),
                CipherKind(0x005600),
            ],
            session_id: vec![],
            challenge: vec![1; 16],
        };
        let c = Captured {
            hello: CapturedHello::Sslv2(h),
            length: 30,
            records: 1,
            record_version: None,
        };
        let f = facts(&c);
        let v = crate::client::verdict::verdict(
            &c.hello.offer(),
            &crate::client::verdict::ServerProfile::multisafepay(),
        );
        let ids: Vec<String> = findings(&f, &v).into_iter().map(|f| f.id).collect();
        assert_eq!(
            ids,
            vec![
                "client.policy.not_compliant",
                "client.protocol.ssl_offered",
                "client.suites.insecure_offered",
                "client.suites.no_forward_secrecy",
                "client.fallback_retry"
            ]
        );
        let curl = facts(&Captured {
            hello: CapturedHello::Tls(curl_hello()),
            length: 512,
            records: 1,
            record_version: None,
        });
        let ok = crate::client::verdict::verdict(
            &CapturedHello::Tls(curl_hello()).offer(),
            &crate::client::verdict::ServerProfile::multisafepay(),
        );
        assert!(findings(&curl, &ok).is_empty());
    }

    #[test]
    fn classification() {
        let (s, r) = classify(CipherSuite(0x0005));
        assert_eq!((s, r), (SuiteSecurity::Insecure, vec!["RC4".to_string()]));
        assert_eq!(classify(CipherSuite(0x000a)).0, SuiteSecurity::Weak);
        assert_eq!(classify(CipherSuite(0xc02f)).0, SuiteSecurity::Ok);
        assert_eq!(classify(CipherSuite(0x0a0a)).0, SuiteSecurity::NotASuite);
        assert_eq!(classify(CipherSuite(0xfeee)).0, SuiteSecurity::Unknown);
        assert_eq!(
            classify(CipherSuite(0x0018)).1,
            vec![
                "anonymous key exchange".to_string(),
                "RC4".into(),
                "MD5 MAC".into()
            ]
        );
    }

    #[test]
    fn sslv2_compatible_hello_offers_its_tls_suites() {
        let h = Sslv2ClientHello {
            version: 0x0301,
            cipher_specs: vec![CipherKind(0x0700c0), CipherKind(0x00002f)],
            session_id: vec![],
            challenge: vec![1; 16],
        };
        let offer = CapturedHello::Sslv2(h.clone()).offer();
        assert_eq!(offer.versions, vec![ProtocolVersion::TLS10]);
        assert_eq!(offer.suites, vec![CipherSuite(0x002f)]);
        let f = facts(&Captured {
            hello: CapturedHello::Sslv2(h),
            length: 25,
            records: 1,
            record_version: None,
        });
        assert_eq!(f.format, "sslv2");
        assert_eq!(f.cipher_suites[0].name, "SSL_CK_DES_192_EDE3_CBC_WITH_MD5");
        assert_eq!(f.cipher_suites[1].name, "TLS_RSA_WITH_AES_128_CBC_SHA");
        assert_eq!(f.ja3, None);
    }
}
