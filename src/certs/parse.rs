//! One DER certificate → [`CertInfo`] plus the raw facts the verdicts need. A certificate that
//! does not parse, or one extension that does not, is recorded in `parse_error`; nothing here
//! panics on what a server sent.

use sha2::{Digest, Sha256};
use x509_parser::extensions::{GeneralName, ParsedExtension};
use x509_parser::oid_registry::Oid;
use x509_parser::prelude::{FromDer, X509Certificate};
use x509_parser::public_key::PublicKey;

use crate::facts::certs::{BasicConstraintsInfo, CertInfo, PublicKeyInfo};
use crate::wire::spki::Curve;

/// A parsed certificate: the report's view and the raw facts for verdicts.
#[derive(Debug, Clone)]
pub struct Parsed {
    pub der: Vec<u8>,
    pub info: CertInfo,
    /// False when the DER did not parse at all (the other raw fields are then empty).
    pub ok: bool,
    pub subject_raw: Vec<u8>,
    pub issuer_raw: Vec<u8>,
    pub subject_key_id: Option<Vec<u8>>,
    pub authority_key_id: Option<Vec<u8>>,
    pub not_before: i64,
    pub not_after: i64,
    pub is_ca: bool,
    /// None when the certificate has no EKU extension (any use allowed).
    pub eku_server_auth: Option<bool>,
}

const OID_RSA: &str = "1.2.840.113549.1.1.1";
const OID_RSA_PSS: &str = "1.2.840.113549.1.1.10";
const OID_EC: &str = "1.2.840.10045.2.1";
const OID_ED25519: &str = "1.3.101.112";
const OID_ED448: &str = "1.3.101.113";
const OID_DSA: &str = "1.2.840.10040.4.1";
const OID_TLS_FEATURE: &str = "1.3.6.1.5.5.7.1.24";
const OID_AD_OCSP: &str = "1.3.6.1.5.5.7.48.1";
const OID_AD_CA_ISSUERS: &str = "1.3.6.1.5.5.7.48.2";

/// Lower-case hex.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn sha256_hex(der: &[u8]) -> String {
    hex(&Sha256::digest(der))
}

/// RFC 3339 of a Unix time; the number itself when out of range.
pub fn rfc3339(ts: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(ts)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| ts.to_string())
}

/// Parses `der`; `now` (Unix seconds) sets `days_left`.
pub fn parse(der: &[u8], now: i64) -> Parsed {
    let sha256 = sha256_hex(der);
    let mut p = Parsed {
        der: der.to_vec(),
        info: CertInfo {
            sha256,
            ..Default::default()
        },
        ok: false,
        subject_raw: vec![],
        issuer_raw: vec![],
        subject_key_id: None,
        authority_key_id: None,
        not_before: 0,
        not_after: 0,
        is_ca: false,
        eku_server_auth: None,
    };
    let cert = match X509Certificate::from_der(der) {
        Ok((rest, c)) => {
            if !rest.is_empty() {
                p.info.parse_error = Some(format!("{} bytes after the certificate", rest.len()));
            }
            c
        }
        Err(e) => {
            p.info.parse_error = Some(format!("certificate does not parse: {e}"));
            return p;
        }
    };
    p.ok = true;
    fill(&mut p, &cert, now);
    p
}

fn fill(p: &mut Parsed, cert: &X509Certificate<'_>, now: i64) {
    let info = &mut p.info;
    info.subject = cert.subject().to_string();
    info.issuer = cert.issuer().to_string();
    info.serial = cert.raw_serial_as_string();
    p.subject_raw = cert.subject().as_raw().to_vec();
    p.issuer_raw = cert.issuer().as_raw().to_vec();
    p.not_before = cert.validity().not_before.timestamp();
    p.not_after = cert.validity().not_after.timestamp();
    info.not_before = rfc3339(p.not_before);
    info.not_after = rfc3339(p.not_after);
    info.days_left = (p.not_after - now).div_euclid(86_400);
    info.validity_days = super::dates::validity_days(p.not_before, p.not_after);
    info.short_lived = super::dates::short_lived(p.not_before, p.not_after);
    info.public_key = public_key(cert);
    info.signature_algorithm = oid_name(&cert.signature_algorithm.algorithm);
    let mut errors = Vec::new();
    for ext in cert.extensions() {
        let oid = ext.oid.to_id_string();
        match ext.parsed_extension() {
            ParsedExtension::SubjectAlternativeName(san) => {
                info.sans = san.general_names.iter().map(general_name).collect();
            }
            ParsedExtension::KeyUsage(ku) => {
                let bits = [
                    (ku.digital_signature(), "digitalSignature"),
                    (ku.non_repudiation(), "nonRepudiation"),
                    (ku.key_encipherment(), "keyEncipherment"),
                    (ku.data_encipherment(), "dataEncipherment"),
                    (ku.key_agreement(), "keyAgreement"),
                    (ku.key_cert_sign(), "keyCertSign"),
                    (ku.crl_sign(), "cRLSign"),
                    (ku.encipher_only(), "encipherOnly"),
                    (ku.decipher_only(), "decipherOnly"),
                ];
                info.key_usage = bits
                    .iter()
                    .filter(|(on, _)| *on)
                    .map(|(_, n)| n.to_string())
                    .collect();
            }
            ParsedExtension::ExtendedKeyUsage(eku) => {
                let named = [
                    (eku.any, "anyExtendedKeyUsage"),
                    (eku.server_auth, "serverAuth"),
                    (eku.client_auth, "clientAuth"),
                    (eku.code_signing, "codeSigning"),
                    (eku.email_protection, "emailProtection"),
                    (eku.time_stamping, "timeStamping"),
                    (eku.ocsp_signing, "OCSPSigning"),
                ];
                info.extended_key_usage = named
                    .iter()
                    .filter(|(on, _)| *on)
                    .map(|(_, n)| n.to_string())
                    .chain(eku.other.iter().map(|o| o.to_id_string()))
                    .collect();
                p.eku_server_auth = Some(eku.server_auth || eku.any);
            }
            ParsedExtension::BasicConstraints(bc) => {
                info.basic_constraints = Some(BasicConstraintsInfo {
                    ca: bc.ca,
                    path_len: bc.path_len_constraint,
                });
                p.is_ca = bc.ca;
            }
            ParsedExtension::AuthorityInfoAccess(aia) => {
                for ad in &aia.accessdescs {
                    let url = general_name(&ad.access_location);
                    let url = url.strip_prefix("URI:").unwrap_or(&url).to_string();
                    match ad.access_method.to_id_string().as_str() {
                        OID_AD_OCSP => info.ocsp_urls.push(url),
                        OID_AD_CA_ISSUERS => info.ca_issuers_urls.push(url),
                        _ => {}
                    }
                }
            }
            ParsedExtension::CRLDistributionPoints(points) => {
                for point in points.iter() {
                    if let Some(x509_parser::extensions::DistributionPointName::FullName(names)) =
                        &point.distribution_point
                    {
                        for n in names {
                            let s = general_name(n);
                            info.crl_urls
                                .push(s.strip_prefix("URI:").unwrap_or(&s).to_string());
                        }
                    }
                }
            }
            ParsedExtension::SCT(scts) => info.sct_count = scts.len() as u32,
            ParsedExtension::SubjectKeyIdentifier(kid) => p.subject_key_id = Some(kid.0.to_vec()),
            ParsedExtension::AuthorityKeyIdentifier(aki) => {
                p.authority_key_id = aki.key_identifier.as_ref().map(|k| k.0.to_vec());
            }
            ParsedExtension::ParseError { error } => {
                errors.push(format!("extension {oid}: {error}"))
            }
            _ => {
                // RFC 7633: the TLS Feature extension is a SEQUENCE OF INTEGER; 5 is status_request.
                if oid == OID_TLS_FEATURE {
                    info.must_staple = tls_feature_has_status_request(ext.value);
                }
            }
        }
    }
    if !errors.is_empty() {
        info.parse_error = Some(errors.join("; "));
    }
    info.self_signed = p.subject_raw == p.issuer_raw
        && match (&p.authority_key_id, &p.subject_key_id) {
            (Some(a), Some(s)) => a == s,
            _ => true,
        };
}

/// Reads `SEQUENCE OF INTEGER` and says whether 5 (status_request) is in it.
fn tls_feature_has_status_request(value: &[u8]) -> bool {
    let Some(body) = super::der::Der::new(value).sequence() else {
        return false;
    };
    let mut r = super::der::Der::new(body);
    while let Some((tag, v)) = r.next() {
        if tag == 0x02 && v == [5] {
            return true;
        }
    }
    false
}

fn public_key(cert: &X509Certificate<'_>) -> PublicKeyInfo {
    let spki = cert.public_key();
    let alg = spki.algorithm.algorithm.to_id_string();
    let mut info = PublicKeyInfo {
        algorithm: match alg.as_str() {
            OID_RSA | OID_RSA_PSS => "RSA".into(),
            OID_EC => "EC".into(),
            OID_ED25519 => "Ed25519".into(),
            OID_ED448 => "Ed448".into(),
            OID_DSA => "DSA".into(),
            other => other.to_string(),
        },
        ..Default::default()
    };
    match spki.parsed() {
        Ok(PublicKey::RSA(rsa)) => {
            info.bits = crate::wire::bit_length(rsa.modulus);
            info.exponent = rsa.try_exponent().ok();
        }
        Ok(PublicKey::EC(point)) => {
            let (name, bits) = match crate::wire::spki::curve(spki) {
                Curve::Named { name, bits } => (name.to_string(), bits),
                Curve::Oid(oid) => (oid, point.key_size() as u32),
                Curve::Explicit => ("explicit parameters".to_string(), point.key_size() as u32),
            };
            info.curve = Some(name);
            info.bits = bits;
        }
        Ok(PublicKey::DSA(y)) => info.bits = crate::wire::bit_length(y),
        _ => {
            info.bits = match alg.as_str() {
                OID_ED25519 => 256,
                OID_ED448 => 456,
                _ => 0,
            }
        }
    }
    info
}

fn oid_name(oid: &Oid<'_>) -> String {
    let id = oid.to_id_string();
    let known = match id.as_str() {
        "1.2.840.10045.4.1" => Some("ecdsa-with-SHA1"),
        "1.2.840.10045.4.3.2" => Some("ecdsa-with-SHA256"),
        "1.2.840.10045.4.3.3" => Some("ecdsa-with-SHA384"),
        "1.2.840.10045.4.3.4" => Some("ecdsa-with-SHA512"),
        "1.2.840.113549.1.1.4" => Some("md5WithRSAEncryption"),
        "1.2.840.113549.1.1.5" => Some("sha1WithRSAEncryption"),
        "1.2.840.113549.1.1.10" => Some("rsassaPss"),
        "1.2.840.113549.1.1.11" => Some("sha256WithRSAEncryption"),
        "1.2.840.113549.1.1.12" => Some("sha384WithRSAEncryption"),
        "1.2.840.113549.1.1.13" => Some("sha512WithRSAEncryption"),
        "1.3.101.112" => Some("Ed25519"),
        "1.3.101.113" => Some("Ed448"),
        _ => None,
    };
    if let Some(name) = known {
        return name.into();
    }
    x509_parser::objects::oid2sn(oid, x509_parser::objects::oid_registry())
        .map(str::to_string)
        .unwrap_or_else(|_| oid.to_id_string())
}

fn general_name(n: &GeneralName<'_>) -> String {
    match n {
        GeneralName::DNSName(s) => format!("DNS:{s}"),
        GeneralName::RFC822Name(s) => format!("email:{s}"),
        GeneralName::URI(s) => format!("URI:{s}"),
        GeneralName::IPAddress(b) => match b.len() {
            4 => format!("IP:{}", std::net::Ipv4Addr::new(b[0], b[1], b[2], b[3])),
            16 => {
                let mut a = [0u8; 16];
                a.copy_from_slice(b);
                format!("IP:{}", std::net::Ipv6Addr::from(a))
            }
            _ => format!("IP:{}", hex(b)),
        },
        GeneralName::DirectoryName(name) => format!("DirName:{name}"),
        GeneralName::RegisteredID(oid) => format!("RID:{}", oid.to_id_string()),
        GeneralName::OtherName(oid, _) => format!("othername:{}", oid.to_id_string()),
        other => format!("{other:?}"),
    }
}

/// "RSA", "ECDSA", "Ed25519" … for the leaf's key.
pub fn key_type(info: &PublicKeyInfo) -> String {
    match info.algorithm.as_str() {
        "EC" => "ECDSA".into(),
        "" => "unknown".into(),
        other => other.into(),
    }
}

/// True for SHA-1 and MD5 (and older) signature algorithms.
pub fn weak_signature(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    n.contains("sha1")
        || n.contains("md5")
        || n.contains("md2")
        || n.contains("md4")
        || n == "1.2.840.113549.1.1.5"
        || n == "1.2.840.10045.4.1"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_is_a_parse_error_not_a_panic() {
        for der in [
            &b""[..],
            &[0x30],
            &[0x30, 0x82, 0xff, 0xff, 0x00],
            &[0x30, 0x03, 0x02, 0x01, 0x05],
        ] {
            let p = parse(der, 0);
            assert!(!p.ok);
            assert!(p.info.parse_error.is_some());
            assert_eq!(p.info.sha256.len(), 64);
        }
    }

    #[test]
    fn weak_signature_names() {
        assert!(weak_signature("sha1WithRSAEncryption"));
        assert!(weak_signature("ecdsa-with-SHA1"));
        assert!(weak_signature("md5WithRSAEncryption"));
        assert!(!weak_signature("sha256WithRSAEncryption"));
        assert!(!weak_signature("ecdsa-with-SHA384"));
    }
}
