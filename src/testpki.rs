//! A throwaway PKI made on the spot, for tests, the demo and the benchmark: an ECDSA root and
//! intermediate (rcgen), and leaves with ECDSA keys (rcgen) or RSA keys of any size
//! (`openssl genpkey`, signed by rcgen), SHA-1-signed leaves (re-signed by `openssl x509`),
//! with fixed validity dates so verdicts never depend on the day a test runs.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{bail, Context, Result};
use rcgen::{
    BasicConstraints, Certificate, CertificateParams, DistinguishedName, DnType,
    ExtendedKeyUsagePurpose, IsCa, KeyPair, KeyUsagePurpose, PublicKeyData, SanType,
    SignatureAlgorithm,
};
use time::{Date, Month, OffsetDateTime};
use x509_parser::prelude::FromDer;

use crate::servers::CertFiles;

/// Midnight UTC on 1 January of `year`.
pub fn jan1(year: i32) -> OffsetDateTime {
    Date::from_calendar_date(year, Month::January, 1)
        .map(|d| d.midnight().assume_utc())
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// A good verdict time for certificates made here: inside every default validity window.
pub fn test_now() -> i64 {
    jan1(2030).unix_timestamp()
}

/// A root and an intermediate, both ECDSA P-256, valid 2020-2050, written as PEM files.
pub struct TestCa {
    pub dir: tempfile::TempDir,
    root: Certificate,
    root_key: KeyPair,
    intermediate: Certificate,
    intermediate_key: KeyPair,
    pub root_pem: PathBuf,
    pub intermediate_pem: PathBuf,
    pub intermediate_key_pem: PathBuf,
    serial: std::cell::Cell<u64>,
}

/// Key of a leaf.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeafKey {
    EcdsaP256,
    Rsa(u32),
}

/// Who signs a leaf.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signer {
    Intermediate,
    Root,
    SelfSigned,
}

/// What leaf to make.
#[derive(Debug, Clone)]
pub struct LeafSpec {
    /// File name prefix.
    pub name: String,
    pub key: LeafKey,
    pub dns: Vec<String>,
    pub not_before: OffsetDateTime,
    pub not_after: OffsetDateTime,
    pub signer: Signer,
    /// Re-sign with SHA-1 (`openssl x509 -sha1`).
    pub sha1: bool,
    /// Extended key usages; serverAuth by default.
    pub eku: Vec<ExtendedKeyUsagePurpose>,
    /// Authority information access: OCSP responder and CA-issuers URLs.
    pub ocsp_url: Option<String>,
    pub ca_issuers_url: Option<String>,
    pub crl_url: Option<String>,
    /// The TLS Feature extension with status_request (RFC 7633).
    pub must_staple: bool,
    /// This many (fake, unsigned) embedded SCTs (RFC 6962 section 3.3).
    pub scts: u8,
}

impl LeafSpec {
    /// A leaf for `localhost`, signed by the intermediate, valid 2025-2035.
    pub fn new(name: &str, key: LeafKey) -> Self {
        Self {
            name: name.into(),
            key,
            dns: vec!["localhost".into()],
            not_before: jan1(2025),
            not_after: jan1(2035),
            signer: Signer::Intermediate,
            sha1: false,
            eku: vec![ExtendedKeyUsagePurpose::ServerAuth],
            ocsp_url: None,
            ca_issuers_url: None,
            crl_url: None,
            must_staple: false,
            scts: 0,
        }
    }
}

/// A leaf's files: certificate, key, and the intermediate (for `-cert_chain`).
pub struct Leaf {
    pub cert: PathBuf,
    pub key: PathBuf,
    pub der: Vec<u8>,
    /// The serial given to it (0 for openssl-made self-signed leaves).
    pub serial: u64,
}

/// An RSA public key made elsewhere, for rcgen to put in a certificate it signs.
struct RsaPublicKey(Vec<u8>);

impl PublicKeyData for RsaPublicKey {
    fn der_bytes(&self) -> &[u8] {
        &self.0
    }
    fn algorithm(&self) -> &SignatureAlgorithm {
        &rcgen::PKCS_RSA_SHA256
    }
}

fn dn(cn: &str) -> DistinguishedName {
    let mut d = DistinguishedName::new();
    d.push(DnType::CommonName, cn);
    d.push(DnType::OrganizationName, "tlsaudit tests");
    d
}

fn ca_params(cn: &str) -> CertificateParams {
    let mut p = CertificateParams::default();
    p.distinguished_name = dn(cn);
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    p.not_before = jan1(2020);
    p.not_after = jan1(2050);
    p
}

fn run(cmd: &mut Command, what: &str) -> Result<Vec<u8>> {
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("running {what} (is the openssl command installed?)"))?;
    if !out.status.success() {
        bail!("{what} failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    Ok(out.stdout)
}

impl TestCa {
    /// A new root and intermediate named after `label`.
    pub fn new(label: &str) -> Result<Self> {
        let dir = tempfile::tempdir()?;
        let root_key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)?;
        let root = ca_params(&format!("{label} Test Root")).self_signed(&root_key)?;
        let intermediate_key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)?;
        let mut ip = ca_params(&format!("{label} Test Intermediate"));
        ip.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        ip.use_authority_key_identifier_extension = true;
        let intermediate = ip.signed_by(&intermediate_key, &root, &root_key)?;
        let root_pem = dir.path().join("root.pem");
        let intermediate_pem = dir.path().join("intermediate.pem");
        let intermediate_key_pem = dir.path().join("intermediate.key");
        std::fs::write(&root_pem, root.pem())?;
        std::fs::write(&intermediate_pem, intermediate.pem())?;
        std::fs::write(&intermediate_key_pem, intermediate_key.serialize_pem())?;
        Ok(Self {
            dir,
            root,
            root_key,
            intermediate,
            intermediate_key,
            root_pem,
            intermediate_pem,
            intermediate_key_pem,
            serial: std::cell::Cell::new(0x1000),
        })
    }

    pub fn root_der(&self) -> Vec<u8> {
        self.root.der().to_vec()
    }

    pub fn intermediate_der(&self) -> Vec<u8> {
        self.intermediate.der().to_vec()
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Makes a leaf and writes `NAME.pem` and `NAME.key`.
    pub fn leaf(&self, spec: &LeafSpec) -> Result<Leaf> {
        let serial = self.serial.get() + 1;
        self.serial.set(serial);
        let mut p = CertificateParams::new(spec.dns.clone())?;
        p.distinguished_name = dn(spec.dns.first().map(String::as_str).unwrap_or("leaf"));
        p.not_before = spec.not_before;
        p.not_after = spec.not_after;
        p.serial_number = Some(serial.into());
        p.is_ca = IsCa::ExplicitNoCa;
        p.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyEncipherment,
        ];
        p.extended_key_usages = spec.eku.clone();
        p.use_authority_key_identifier_extension = spec.signer != Signer::SelfSigned;
        add_extensions(&mut p, spec);
        for name in &spec.dns {
            if let Ok(ip) = name.parse::<std::net::IpAddr>() {
                p.subject_alt_names.push(SanType::IpAddress(ip));
            }
        }
        let key_path = self.path(&format!("{}.key", spec.name));
        let cert_path = self.path(&format!("{}.pem", spec.name));
        let cert = match spec.key {
            LeafKey::EcdsaP256 => {
                let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)?;
                std::fs::write(&key_path, key.serialize_pem())?;
                match spec.signer {
                    Signer::SelfSigned => p.self_signed(&key)?,
                    Signer::Root => p.signed_by(&key, &self.root, &self.root_key)?,
                    Signer::Intermediate => {
                        p.signed_by(&key, &self.intermediate, &self.intermediate_key)?
                    }
                }
            }
            LeafKey::Rsa(bits) => {
                run(
                    Command::new("openssl")
                        .args(["genpkey", "-algorithm", "RSA", "-pkeyopt"])
                        .arg(format!("rsa_keygen_bits:{bits}"))
                        .arg("-out")
                        .arg(&key_path),
                    "openssl genpkey",
                )?;
                let spki = run(
                    Command::new("openssl")
                        .args(["pkey", "-pubout", "-outform", "DER", "-in"])
                        .arg(&key_path),
                    "openssl pkey",
                )?;
                let (_, info) = x509_parser::x509::SubjectPublicKeyInfo::from_der(&spki)
                    .map_err(|e| anyhow::anyhow!("public key of {}: {e}", spec.name))?;
                let public = RsaPublicKey(info.subject_public_key.data.to_vec());
                match spec.signer {
                    // rcgen's ring backend cannot sign with RSA keys below 2048 bits, so a
                    // self-signed RSA leaf comes from openssl instead.
                    Signer::SelfSigned => {
                        return self.openssl_self_signed(spec, &key_path, &cert_path)
                    }
                    Signer::Root => p.signed_by(&public, &self.root, &self.root_key)?,
                    Signer::Intermediate => {
                        p.signed_by(&public, &self.intermediate, &self.intermediate_key)?
                    }
                }
            }
        };
        std::fs::write(&cert_path, cert.pem())?;
        if spec.sha1 {
            self.resign_sha1(spec, &cert_path, &key_path)?;
        }
        let der = pem_to_der(&std::fs::read(&cert_path)?)?;
        Ok(Leaf {
            cert: cert_path,
            key: key_path,
            der,
            serial,
        })
    }

    fn openssl_self_signed(&self, spec: &LeafSpec, key: &Path, cert: &Path) -> Result<Leaf> {
        let cn = spec.dns.first().cloned().unwrap_or_else(|| "leaf".into());
        run(
            Command::new("openssl")
                .args(["req", "-x509", "-new", "-days", "3650", "-key"])
                .arg(key)
                .args(["-subj", &format!("/CN={cn}")])
                .args(["-addext", &format!("subjectAltName=DNS:{cn}")])
                .arg("-out")
                .arg(cert),
            "openssl req -x509",
        )?;
        let der = pem_to_der(&std::fs::read(cert)?)?;
        Ok(Leaf {
            cert: cert.into(),
            key: key.into(),
            der,
            serial: 0,
        })
    }

    /// Re-signs `cert` with the intermediate and SHA-1, keeping its dates and extensions:
    /// `openssl x509 -x509toreq` then `openssl ca -md sha1` (the one command that takes dates).
    fn resign_sha1(&self, spec: &LeafSpec, cert: &Path, key: &Path) -> Result<()> {
        if spec.signer != Signer::Intermediate {
            bail!("SHA-1 leaves are signed by the intermediate");
        }
        let work = self.path(&format!("{}.sha1", spec.name));
        std::fs::create_dir_all(&work)?;
        let csr = work.join("leaf.csr");
        run(
            Command::new("openssl")
                .args(["x509", "-x509toreq", "-copy_extensions", "copy", "-in"])
                .arg(cert)
                .arg("-key")
                .arg(key)
                .arg("-out")
                .arg(&csr),
            "openssl x509 -x509toreq",
        )?;
        std::fs::write(work.join("index.txt"), "")?;
        std::fs::write(work.join("serial"), "1000\n")?;
        let cnf = work.join("ca.cnf");
        std::fs::write(
            &cnf,
            format!(
                "[ca]\ndefault_ca = d\n[d]\ndatabase = {dir}/index.txt\nnew_certs_dir = {dir}\n\
                 serial = {dir}/serial\npolicy = p\ncopy_extensions = copy\nunique_subject = no\n\
                 [p]\ncommonName = supplied\norganizationName = optional\n",
                dir = work.display()
            ),
        )?;
        let asn1 = |t: OffsetDateTime| {
            format!(
                "{:04}{:02}{:02}{:02}{:02}{:02}Z",
                t.year(),
                u8::from(t.month()),
                t.day(),
                t.hour(),
                t.minute(),
                t.second()
            )
        };
        let out = work.join("leaf.pem");
        run(
            Command::new("openssl")
                .args(["ca", "-batch", "-notext", "-md", "sha1", "-config"])
                .arg(&cnf)
                .arg("-in")
                .arg(&csr)
                .arg("-cert")
                .arg(&self.intermediate_pem)
                .arg("-keyfile")
                .arg(&self.intermediate_key_pem)
                .args(["-startdate", &asn1(spec.not_before)])
                .args(["-enddate", &asn1(spec.not_after)])
                .arg("-out")
                .arg(&out),
            "openssl ca -md sha1",
        )?;
        std::fs::rename(&out, cert)?;
        Ok(())
    }

    /// A DER OCSP response for `leaf` (issued by the intermediate) from `openssl ocsp`, saying
    /// "good", or "revoked" since 2025-06-01; for `s_server -status_file`.
    pub fn ocsp_response(&self, leaf: &Leaf, revoked: bool) -> Result<PathBuf> {
        let work = self.path(&format!("ocsp-{:x}-{revoked}", leaf.serial));
        std::fs::create_dir_all(&work)?;
        let req = work.join("req.der");
        run(
            Command::new("openssl")
                .args(["ocsp", "-no_nonce", "-issuer"])
                .arg(&self.intermediate_pem)
                .arg("-cert")
                .arg(&leaf.cert)
                .arg("-reqout")
                .arg(&req),
            "openssl ocsp (request)",
        )?;
        // The index format of `openssl ca`: status, expiry, revocation, serial, file, subject.
        let (status, when) = if revoked {
            ("R", "250601000000Z")
        } else {
            ("V", "")
        };
        std::fs::write(
            work.join("index.txt"),
            format!(
                "{status}\t350101000000Z\t{when}\t{:X}\tunknown\t/CN=localhost\n",
                leaf.serial
            ),
        )?;
        let resp = work.join("resp.der");
        run(
            Command::new("openssl")
                .args(["ocsp", "-ndays", "7", "-index"])
                .arg(work.join("index.txt"))
                .arg("-rsigner")
                .arg(&self.intermediate_pem)
                .arg("-rkey")
                .arg(&self.intermediate_key_pem)
                .arg("-CA")
                .arg(&self.intermediate_pem)
                .arg("-reqin")
                .arg(&req)
                .arg("-respout")
                .arg(&resp),
            "openssl ocsp (response)",
        )?;
        Ok(resp)
    }

    /// A PEM file with these certificates concatenated, for `-cert_chain` or `--ca-file`.
    pub fn bundle(&self, name: &str, ders: &[&[u8]]) -> Result<PathBuf> {
        let path = self.path(name);
        let mut text = String::new();
        for der in ders {
            text.push_str(&pem::encode_cert(der));
        }
        std::fs::write(&path, text)?;
        Ok(path)
    }

    /// `CertFiles` for a leaf, for the `servers` helpers. The directory stays with the CA.
    pub fn cert_files(&self, leaf: &Leaf) -> Result<CertFiles> {
        let dir = tempfile::tempdir()?;
        let cert = dir.path().join("cert.pem");
        let key = dir.path().join("key.pem");
        std::fs::copy(&leaf.cert, &cert)?;
        std::fs::copy(&leaf.key, &key)?;
        Ok(CertFiles { dir, cert, key })
    }
}

/// DER: tag, length, value.
fn der(tag: u8, value: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = value.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes: Vec<u8> = len
            .to_be_bytes()
            .into_iter()
            .skip_while(|b| *b == 0)
            .collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend(bytes);
    }
    out.extend_from_slice(value);
    out
}

fn add_extensions(p: &mut CertificateParams, spec: &LeafSpec) {
    // id-ad-ocsp 1.3.6.1.5.5.7.48.1 and id-ad-caIssuers 1.3.6.1.5.5.7.48.2, DER-encoded OIDs.
    const OCSP: &[u8] = &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x01];
    const CA_ISSUERS: &[u8] = &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x02];
    let mut descriptions = Vec::new();
    for (oid, url) in [(OCSP, &spec.ocsp_url), (CA_ISSUERS, &spec.ca_issuers_url)] {
        if let Some(url) = url {
            let body = [der(0x06, oid), der(0x86, url.as_bytes())].concat();
            descriptions.extend(der(0x30, &body));
        }
    }
    if !descriptions.is_empty() {
        p.custom_extensions
            .push(rcgen::CustomExtension::from_oid_content(
                &[1, 3, 6, 1, 5, 5, 7, 1, 1],
                der(0x30, &descriptions),
            ));
    }
    if let Some(url) = &spec.crl_url {
        p.crl_distribution_points = vec![rcgen::CrlDistributionPoint {
            uris: vec![url.clone()],
        }];
    }
    if spec.must_staple {
        p.custom_extensions
            .push(rcgen::CustomExtension::from_oid_content(
                &[1, 3, 6, 1, 5, 5, 7, 1, 24],
                der(0x30, &der(0x02, &[5])),
            ));
    }
    if spec.scts > 0 {
        // SignedCertificateTimestampList: u16 length, then u16-prefixed SCTs of version 0,
        // a 32-byte log id, a timestamp, no extensions and an ECDSA-SHA256 "signature".
        let mut list = Vec::new();
        for i in 0..spec.scts {
            let mut sct = vec![0u8];
            sct.extend([i; 32]);
            sct.extend(1_700_000_000_000u64.to_be_bytes());
            sct.extend([0, 0, 4, 3, 0, 2, 0xde, 0xad]);
            list.extend((sct.len() as u16).to_be_bytes());
            list.extend(sct);
        }
        let mut tls = (list.len() as u16).to_be_bytes().to_vec();
        tls.extend(list);
        p.custom_extensions
            .push(rcgen::CustomExtension::from_oid_content(
                &[1, 3, 6, 1, 4, 1, 11129, 2, 4, 2],
                der(0x04, &tls),
            ));
    }
}

/// The first certificate of a PEM file as DER.
pub fn pem_to_der(pem: &[u8]) -> Result<Vec<u8>> {
    for p in x509_parser::pem::Pem::iter_from_buffer(pem) {
        let p = p.map_err(|e| anyhow::anyhow!("PEM: {e}"))?;
        if p.label == "CERTIFICATE" {
            return Ok(p.contents);
        }
    }
    bail!("no CERTIFICATE in PEM")
}

mod pem {
    /// PEM text for one DER certificate (RFC 7468).
    pub fn encode_cert(der: &[u8]) -> String {
        let b64 = base64(der);
        let mut s = String::from("-----BEGIN CERTIFICATE-----\n");
        for line in b64.as_bytes().chunks(64) {
            s.push_str(&String::from_utf8_lossy(line));
            s.push('\n');
        }
        s.push_str("-----END CERTIFICATE-----\n");
        s
    }

    fn base64(data: &[u8]) -> String {
        const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut out = String::new();
        for c in data.chunks(3) {
            let b = [c[0], *c.get(1).unwrap_or(&0), *c.get(2).unwrap_or(&0)];
            let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
            for i in 0..4 {
                if i <= c.len() {
                    out.push(T[((n >> (18 - 6 * i)) & 63) as usize] as char);
                } else {
                    out.push('=');
                }
            }
        }
        out
    }
}
