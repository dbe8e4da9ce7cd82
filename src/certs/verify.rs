//! Trust: rustls-webpki path building against Mozilla's roots (webpki-roots), the system
//! store and extra CA files, at a verdict time the caller sets.

use std::sync::Arc;
use std::time::Duration;

use rustls_pki_types::{CertificateDer, ServerName, TrustAnchor, UnixTime};
use webpki::{EndEntityCert, KeyUsage};

use super::der::Der;
use super::parse::Parsed;

/// Debian's bundle of the system's trusted roots.
pub const SYSTEM_BUNDLE: &str = "/etc/ssl/certs/ca-certificates.crt";

/// One named set of trust anchors.
#[derive(Debug)]
pub struct TrustStore {
    pub name: String,
    pub anchors: Vec<TrustAnchor<'static>>,
}

/// The stores a scan judges chains against; cheap to clone.
#[derive(Debug, Clone)]
pub struct TrustStores(pub Arc<Vec<TrustStore>>);

impl Default for TrustStores {
    fn default() -> Self {
        Self(Arc::new(vec![mozilla()]))
    }
}

impl TrustStores {
    /// Every anchor of every store, as one rustls root store: what a client trusting what
    /// the scan trusts (with `--ca-file`) would verify with (the MTA-STS policy fetch).
    pub fn root_store(&self) -> rustls::RootCertStore {
        rustls::RootCertStore {
            roots: self
                .0
                .iter()
                .flat_map(|s| s.anchors.iter().cloned())
                .collect(),
        }
    }
}

/// Mozilla's root program, as shipped in webpki-roots.
pub fn mozilla() -> TrustStore {
    TrustStore {
        name: "mozilla".into(),
        anchors: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    }
}

/// The trust anchors in a PEM file (every CERTIFICATE block; others are skipped).
pub fn from_pem_file(name: &str, path: &std::path::Path) -> Result<TrustStore, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let mut anchors = Vec::new();
    let mut bad = 0;
    for pem in x509_parser::pem::Pem::iter_from_buffer(&bytes) {
        let Ok(pem) = pem else {
            bad += 1;
            break;
        };
        if pem.label != "CERTIFICATE" && pem.label != "TRUSTED CERTIFICATE" {
            continue;
        }
        let der = CertificateDer::from(pem.contents.as_slice());
        match webpki::anchor_from_trusted_cert(&der) {
            Ok(a) => anchors.push(a.to_owned()),
            Err(_) => bad += 1,
        }
    }
    if anchors.is_empty() {
        return Err(format!(
            "{}: no usable certificate in it ({bad} could not be read)",
            path.display()
        ));
    }
    Ok(TrustStore {
        name: name.into(),
        anchors,
    })
}

/// Builds the stores: `names` from "mozilla", "system", "none", then each CA file.
pub fn load(names: &[String], ca_files: &[std::path::PathBuf]) -> Result<TrustStores, String> {
    let mut stores = Vec::new();
    for n in names {
        match n.as_str() {
            "mozilla" => stores.push(mozilla()),
            "system" => stores.push(from_pem_file(
                "system",
                std::path::Path::new(SYSTEM_BUNDLE),
            )?),
            "none" => {}
            other => {
                return Err(format!(
                    "unknown trust store '{other}' (use mozilla, system or none)"
                ))
            }
        }
    }
    for f in ca_files {
        stores.push(from_pem_file(&format!("ca-file:{}", f.display()), f)?);
    }
    Ok(TrustStores(Arc::new(stores)))
}

/// The outcome of path building against one store.
#[derive(Debug, Clone)]
pub struct StoreResult {
    pub store: String,
    /// Ok: the path's subjects, leaf to anchor.
    pub result: Result<Vec<String>, webpki::Error>,
}

pub fn unix_time(secs: i64) -> UnixTime {
    UnixTime::since_unix_epoch(Duration::from_secs(secs.max(0) as u64))
}

/// Path building from `chain[0]` with the other served certificates as intermediates.
pub fn verify(chain: &[Parsed], stores: &TrustStores, at: i64) -> Vec<StoreResult> {
    let Some(leaf) = chain.first() else {
        return vec![];
    };
    let leaf_der = CertificateDer::from(leaf.der.as_slice());
    let intermediates: Vec<CertificateDer<'_>> = chain[1..]
        .iter()
        .map(|p| CertificateDer::from(p.der.as_slice()))
        .collect();
    let algs = rustls::crypto::ring::default_provider()
        .signature_verification_algorithms
        .all;
    stores
        .0
        .iter()
        .map(|store| {
            let result = EndEntityCert::try_from(&leaf_der).and_then(|ee| {
                ee.verify_for_usage(
                    algs,
                    &store.anchors,
                    &intermediates,
                    unix_time(at),
                    KeyUsage::server_auth(),
                    None,
                    None,
                )
                .map(|path| {
                    let mut subjects = vec![leaf.info.subject.clone()];
                    for c in path.intermediate_certificates() {
                        let der = c.der();
                        let name = chain
                            .iter()
                            .find(|p| p.der == der.as_ref())
                            .map(|p| p.info.subject.clone())
                            .unwrap_or_default();
                        subjects.push(name);
                    }
                    subjects.push(name_string(path.anchor().subject.as_ref()));
                    subjects
                })
            });
            StoreResult {
                store: store.name.clone(),
                result,
            }
        })
        .collect()
}

/// Whether the leaf is valid for `name` (a DNS name or an IP address), per RFC 6125 via webpki.
pub fn hostname_matches(leaf: &Parsed, name: &str) -> bool {
    let der = CertificateDer::from(leaf.der.as_slice());
    let Ok(server_name) = ServerName::try_from(name) else {
        return false;
    };
    EndEntityCert::try_from(&der)
        .and_then(|ee| ee.verify_is_valid_for_subject_name(&server_name))
        .is_ok()
}

/// Whether some store has an anchor whose subject is `issuer_raw` (a DER Name with its tag).
pub fn is_anchor_subject(stores: &TrustStores, issuer_raw: &[u8]) -> bool {
    let Some(inner) = Der::new(issuer_raw).sequence() else {
        return false;
    };
    stores
        .0
        .iter()
        .any(|s| s.anchors.iter().any(|a| a.subject.as_ref() == inner))
}

/// An anchor's subject (the Name without its SEQUENCE header) as RFC 4514 text.
fn name_string(inner: &[u8]) -> String {
    use x509_parser::prelude::FromDer;
    let der = yasna::construct_der(|w| w.write_sequence(|w| w.next().write_der(inner)));
    x509_parser::x509::X509Name::from_der(&der)
        .map(|(_, n)| n.to_string())
        .unwrap_or_else(|_| super::parse::hex(inner))
}

/// webpki's error, shortened for people.
pub fn describe(e: &webpki::Error) -> String {
    match e {
        webpki::Error::UnknownIssuer => "unknown issuer: no path to a trusted root".into(),
        webpki::Error::CertExpired { .. } => "a certificate in the path has expired".into(),
        webpki::Error::CertNotValidYet { .. } => {
            "a certificate in the path is not valid yet".into()
        }
        other => {
            let s = format!("{other:?}");
            s.split([' ', '{', '(']).next().unwrap_or(&s).to_string()
        }
    }
}

/// Errors a more specific finding already explains.
#[allow(deprecated)] // webpki still returns the unit variants in places.
pub fn is_signature_algorithm_error(e: &webpki::Error) -> bool {
    matches!(
        e,
        webpki::Error::UnsupportedSignatureAlgorithm
            | webpki::Error::UnsupportedSignatureAlgorithmContext(_)
            | webpki::Error::UnsupportedSignatureAlgorithmForPublicKey
            | webpki::Error::UnsupportedSignatureAlgorithmForPublicKeyContext(_)
    )
}

#[allow(deprecated)]
pub fn is_eku_error(e: &webpki::Error) -> bool {
    matches!(
        e,
        webpki::Error::RequiredEkuNotFound | webpki::Error::RequiredEkuNotFoundContext(_)
    )
}
