//! Certificates against real `openssl s_server` processes serving chains from a throwaway CA
//! made at test time (fixtures::testpki). Verdicts are computed at a fixed time
//! (2030-01-01, inside every default validity window), so no test depends on today's date.
//! Each test asserts the exact set of finding ids; a valid chain raises none.

use std::path::PathBuf;

use fixtures::servers::{nginx_reject_without_sni, openssl_s_server, ServerProcess};
use fixtures::testpki::{jan1, test_now, LeafKey, LeafSpec, Signer, TestCa};
use tlsaudit::certs::{finding_ids, verify, CertOptions};
use tlsaudit::enumerate::ScanOptions;
use tlsaudit::facts::certs::{CertChain, NoSniProbe};
use tlsaudit::facts::{CertificatesSection, Severity, TlsVersion};
use tlsaudit::probe::engine::EngineConfig;
use tlsaudit::report::TargetReport;

use crate::common::{require, scan_with_certs};

/// Scans TLS 1.2 and 1.3 with SNI "localhost", trusting Mozilla's roots and `ca_file`.
async fn scan_certs(s: &ServerProcess, ca_file: Option<&PathBuf>) -> TargetReport {
    scan_opts(s, ca_file, 30).await
}

async fn scan_opts(s: &ServerProcess, ca_file: Option<&PathBuf>, warn_days: u32) -> TargetReport {
    let ca_files: Vec<PathBuf> = ca_file.into_iter().cloned().collect();
    let opts = ScanOptions {
        sni: Some("localhost".into()),
        versions: vec![TlsVersion::Tls12, TlsVersion::Tls13],
        ..Default::default()
    };
    let certs = CertOptions {
        at: Some(test_now()),
        expiry_warn_days: warn_days,
        trust: verify::load(&["mozilla".into()], &ca_files).expect("trust stores load"),
        public_rules: false,
    };
    scan_with_certs(&s.target(), EngineConfig::default(), opts, certs)
        .await
        .0
}

fn section(r: &TargetReport) -> &CertificatesSection {
    let c = r.certificates.as_ref().expect("certificates section");
    assert_eq!(c.error, None);
    c
}

fn ids(r: &TargetReport) -> Vec<String> {
    finding_ids(&section(r).findings)
}

fn one_chain(r: &TargetReport) -> &CertChain {
    let chains = &section(r).chains;
    assert_eq!(chains.len(), 1, "{chains:#?}");
    &chains[0]
}

fn serve(ca: &TestCa, leaf: &fixtures::testpki::Leaf, extra: &[&str]) -> ServerProcess {
    let files = ca.cert_files(leaf).unwrap();
    let mut args: Vec<String> = Vec::new();
    args.extend(extra.iter().map(|s| s.to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    openssl_s_server("certs", &files, &args).unwrap()
}

fn chain_arg(ca: &TestCa) -> String {
    ca.intermediate_pem.display().to_string()
}

#[tokio::test]
async fn valid_rsa_chain_raises_nothing_and_is_found_in_both_versions() {
    if !require("openssl") {
        return;
    }
    let ca = TestCa::new("rsa").unwrap();
    let leaf = ca.leaf(&LeafSpec::new("rsa", LeafKey::Rsa(2048))).unwrap();
    let s = serve(&ca, &leaf, &["-cert_chain", &chain_arg(&ca)]);
    let r = scan_certs(&s, Some(&ca.root_pem)).await;
    assert_eq!(ids(&r), Vec::<String>::new(), "{:#?}", section(&r).findings);
    let c = one_chain(&r);
    assert_eq!(c.key_type, "RSA");
    assert_eq!(c.certificates.len(), 2);
    let leaf_info = &c.certificates[0];
    assert_eq!(leaf_info.subject, "CN=localhost, O=tlsaudit tests");
    assert_eq!(
        leaf_info.issuer,
        "CN=rsa Test Intermediate, O=tlsaudit tests"
    );
    assert_eq!(leaf_info.sans, vec!["DNS:localhost"]);
    assert_eq!(leaf_info.public_key.algorithm, "RSA");
    assert_eq!(leaf_info.public_key.bits, 2048);
    assert_eq!(leaf_info.public_key.exponent, Some(65537));
    assert_eq!(leaf_info.signature_algorithm, "ecdsa-with-SHA256");
    assert_eq!(leaf_info.extended_key_usage, vec!["serverAuth"]);
    assert_eq!(leaf_info.not_after, "2035-01-01T00:00:00Z");
    assert_eq!(leaf_info.days_left, 1826);
    assert_eq!(leaf_info.sha256.len(), 64);
    assert_eq!(
        c.certificates[1].basic_constraints.as_ref().map(|b| b.ca),
        Some(true)
    );
    let v = &c.verdicts;
    assert!(v.trusted && v.order_correct && v.complete && !v.self_signed && !v.contains_root);
    assert_eq!(v.hostname_matches, Some(true));
    assert_eq!(
        v.path,
        vec![
            "CN=localhost, O=tlsaudit tests",
            "CN=rsa Test Intermediate, O=tlsaudit tests",
            "CN=rsa Test Root, O=tlsaudit tests"
        ]
    );
    let stores: Vec<(&str, bool)> = v
        .trust
        .iter()
        .map(|t| (t.store.as_str(), t.trusted))
        .collect();
    assert_eq!(stores[0], ("mozilla", false));
    assert!(stores[1].0.starts_with("ca-file:") && stores[1].1);
    // Seen in TLS 1.2 (protocol scan and the RSA-only probe) and TLS 1.3 (RSA-only handshake).
    let versions: Vec<TlsVersion> = c.obtained.iter().map(|o| o.version).collect();
    assert!(versions.contains(&TlsVersion::Tls12) && versions.contains(&TlsVersion::Tls13));
    assert!(!c.ocsp_staple.present && c.ocsp_staple.requested);
}

#[tokio::test]
async fn same_chain_without_the_ca_file_is_untrusted() {
    if !require("openssl") {
        return;
    }
    let ca = TestCa::new("untrusted").unwrap();
    let leaf = ca.leaf(&LeafSpec::new("leaf", LeafKey::EcdsaP256)).unwrap();
    let s = serve(&ca, &leaf, &["-cert_chain", &chain_arg(&ca)]);
    let r = scan_certs(&s, None).await;
    assert_eq!(ids(&r), vec!["cert.untrusted"]);
    let c = one_chain(&r);
    assert!(!c.verdicts.trusted && c.verdicts.complete && c.verdicts.path.is_empty());
    assert_eq!(
        c.verdicts.trust[0].error.as_deref(),
        Some("unknown issuer: no path to a trusted root")
    );
}

#[tokio::test]
async fn valid_ecdsa_chain_raises_nothing() {
    if !require("openssl") {
        return;
    }
    let ca = TestCa::new("ecdsa").unwrap();
    let leaf = ca.leaf(&LeafSpec::new("ec", LeafKey::EcdsaP256)).unwrap();
    let s = serve(&ca, &leaf, &["-cert_chain", &chain_arg(&ca)]);
    let r = scan_certs(&s, Some(&ca.root_pem)).await;
    assert_eq!(ids(&r), Vec::<String>::new());
    let c = one_chain(&r);
    assert_eq!(c.key_type, "ECDSA");
    assert_eq!(c.certificates[0].public_key.curve.as_deref(), Some("P-256"));
    assert_eq!(c.certificates[0].public_key.bits, 256);
    assert!(c.verdicts.trusted);
}

#[tokio::test]
async fn rsa_and_ecdsa_on_one_server_are_two_chains() {
    if !require("openssl") {
        return;
    }
    let ca = TestCa::new("dual").unwrap();
    let rsa = ca.leaf(&LeafSpec::new("rsa", LeafKey::Rsa(2048))).unwrap();
    let ec = ca.leaf(&LeafSpec::new("ec", LeafKey::EcdsaP256)).unwrap();
    let chain = chain_arg(&ca);
    let s = serve(
        &ca,
        &rsa,
        &[
            "-cert_chain",
            &chain,
            "-dcert",
            &ec.cert.display().to_string(),
            "-dkey",
            &ec.key.display().to_string(),
            "-dcert_chain",
            &chain,
        ],
    );
    let r = scan_certs(&s, Some(&ca.root_pem)).await;
    assert_eq!(ids(&r), Vec::<String>::new());
    let chains = &section(&r).chains;
    let mut types: Vec<&str> = chains.iter().map(|c| c.key_type.as_str()).collect();
    types.sort();
    assert_eq!(types, vec!["ECDSA", "RSA"]);
    for c in chains {
        assert!(c.verdicts.trusted, "{c:#?}");
        let offered: Vec<(TlsVersion, &str)> = c
            .obtained
            .iter()
            .map(|o| (o.version, o.offered.as_str()))
            .collect();
        // Each key type was found by its own offer in both versions.
        assert!(
            offered.contains(&(TlsVersion::Tls12, c.key_type.as_str())),
            "{offered:?}"
        );
        assert!(
            offered.contains(&(TlsVersion::Tls13, c.key_type.as_str())),
            "{offered:?}"
        );
    }
}

#[tokio::test]
async fn expired_leaf() {
    if !require("openssl") {
        return;
    }
    let ca = TestCa::new("expired").unwrap();
    let mut spec = LeafSpec::new("old", LeafKey::EcdsaP256);
    spec.not_before = jan1(2020);
    spec.not_after = jan1(2021);
    let leaf = ca.leaf(&spec).unwrap();
    let s = serve(&ca, &leaf, &["-cert_chain", &chain_arg(&ca)]);
    let r = scan_certs(&s, Some(&ca.root_pem)).await;
    assert_eq!(ids(&r), vec!["cert.expired"]);
    let c = one_chain(&r);
    assert!(!c.verdicts.trusted);
    assert_eq!(c.certificates[0].days_left, -3287);
}

#[tokio::test]
async fn not_yet_valid_leaf() {
    if !require("openssl") {
        return;
    }
    let ca = TestCa::new("future").unwrap();
    let mut spec = LeafSpec::new("future", LeafKey::EcdsaP256);
    spec.not_before = jan1(2031);
    spec.not_after = jan1(2033);
    let leaf = ca.leaf(&spec).unwrap();
    let s = serve(&ca, &leaf, &["-cert_chain", &chain_arg(&ca)]);
    let r = scan_certs(&s, Some(&ca.root_pem)).await;
    assert_eq!(ids(&r), vec!["cert.not_yet_valid"]);
}

#[tokio::test]
async fn expiring_leaf_warns_within_the_configured_days() {
    if !require("openssl") {
        return;
    }
    let ca = TestCa::new("soon").unwrap();
    let mut spec = LeafSpec::new("soon", LeafKey::EcdsaP256);
    spec.not_after = jan1(2030) + time::Duration::days(20);
    let leaf = ca.leaf(&spec).unwrap();
    let s = serve(&ca, &leaf, &["-cert_chain", &chain_arg(&ca)]);
    let r = scan_opts(&s, Some(&ca.root_pem), 30).await;
    assert_eq!(ids(&r), vec!["cert.expires_soon"]);
    let r = scan_opts(&s, Some(&ca.root_pem), 10).await;
    assert_eq!(ids(&r), Vec::<String>::new());
}

#[tokio::test]
async fn wrong_hostname() {
    if !require("openssl") {
        return;
    }
    let ca = TestCa::new("name").unwrap();
    let mut spec = LeafSpec::new("other", LeafKey::EcdsaP256);
    spec.dns = vec!["www.example.org".into()];
    let leaf = ca.leaf(&spec).unwrap();
    let s = serve(&ca, &leaf, &["-cert_chain", &chain_arg(&ca)]);
    let r = scan_certs(&s, Some(&ca.root_pem)).await;
    assert_eq!(ids(&r), vec!["cert.hostname_mismatch"]);
    let c = one_chain(&r);
    assert_eq!(c.verdicts.hostname.as_deref(), Some("localhost"));
    assert_eq!(c.verdicts.hostname_matches, Some(false));
    assert!(c.verdicts.trusted);
}

#[tokio::test]
async fn self_signed_leaf() {
    if !require("openssl") {
        return;
    }
    let ca = TestCa::new("self").unwrap();
    let mut spec = LeafSpec::new("self", LeafKey::EcdsaP256);
    spec.signer = Signer::SelfSigned;
    let leaf = ca.leaf(&spec).unwrap();
    let s = serve(&ca, &leaf, &[]);
    let r = scan_certs(&s, Some(&ca.root_pem)).await;
    assert_eq!(ids(&r), vec!["cert.self_signed"]);
    let c = one_chain(&r);
    assert!(c.verdicts.self_signed && !c.verdicts.trusted && c.certificates[0].self_signed);
}

#[tokio::test]
async fn missing_intermediate_names_the_missing_issuer() {
    if !require("openssl") {
        return;
    }
    let ca = TestCa::new("gap").unwrap();
    let leaf = ca.leaf(&LeafSpec::new("leaf", LeafKey::EcdsaP256)).unwrap();
    let s = serve(&ca, &leaf, &[]);
    let r = scan_certs(&s, Some(&ca.root_pem)).await;
    assert_eq!(ids(&r), vec!["cert.chain.incomplete"]);
    let c = one_chain(&r);
    assert!(!c.verdicts.complete && !c.verdicts.trusted);
    assert_eq!(
        c.verdicts.missing_issuer.as_deref(),
        Some("CN=gap Test Intermediate, O=tlsaudit tests")
    );
}

#[tokio::test]
async fn chain_in_the_wrong_order_with_the_root() {
    if !require("openssl") {
        return;
    }
    let ca = TestCa::new("order").unwrap();
    let leaf = ca.leaf(&LeafSpec::new("leaf", LeafKey::EcdsaP256)).unwrap();
    let bundle = ca
        .bundle(
            "root-then-intermediate.pem",
            &[&ca.root_der(), &ca.intermediate_der()],
        )
        .unwrap();
    let s = serve(&ca, &leaf, &["-cert_chain", &bundle.display().to_string()]);
    let r = scan_certs(&s, Some(&ca.root_pem)).await;
    assert_eq!(
        ids(&r),
        vec!["cert.chain.contains_root", "cert.chain.wrong_order"]
    );
    let c = one_chain(&r);
    assert_eq!(c.certificates.len(), 3);
    assert!(!c.verdicts.order_correct && c.verdicts.contains_root && c.verdicts.trusted);
}

#[tokio::test]
async fn rsa_1024_leaf_is_a_weak_key() {
    if !require("openssl") {
        return;
    }
    let ca = TestCa::new("weak").unwrap();
    let leaf = ca
        .leaf(&LeafSpec::new("rsa1024", LeafKey::Rsa(1024)))
        .unwrap();
    let s = serve(
        &ca,
        &leaf,
        &[
            "-cert_chain",
            &chain_arg(&ca),
            "-cipher",
            "DEFAULT:@SECLEVEL=0",
        ],
    );
    let r = scan_certs(&s, Some(&ca.root_pem)).await;
    assert_eq!(ids(&r), vec!["cert.key.weak"]);
    assert_eq!(one_chain(&r).certificates[0].public_key.bits, 1024);
}

#[tokio::test]
async fn sha1_signed_leaf_is_a_weak_signature() {
    if !require("openssl") {
        return;
    }
    let ca = TestCa::new("sha1").unwrap();
    let mut spec = LeafSpec::new("sha1", LeafKey::EcdsaP256);
    spec.sha1 = true;
    let leaf = ca.leaf(&spec).unwrap();
    let s = serve(
        &ca,
        &leaf,
        &[
            "-cert_chain",
            &chain_arg(&ca),
            "-cipher",
            "DEFAULT:@SECLEVEL=0",
        ],
    );
    let r = scan_certs(&s, Some(&ca.root_pem)).await;
    assert_eq!(ids(&r), vec!["cert.signature.weak"]);
    let c = one_chain(&r);
    assert_eq!(c.certificates[0].signature_algorithm, "ecdsa-with-SHA1");
    assert_eq!(c.certificates[0].not_after, "2035-01-01T00:00:00Z");
}

#[tokio::test]
async fn leaf_without_server_auth() {
    if !require("openssl") {
        return;
    }
    let ca = TestCa::new("eku").unwrap();
    let mut spec = LeafSpec::new("client", LeafKey::EcdsaP256);
    spec.eku = vec![rcgen::ExtendedKeyUsagePurpose::ClientAuth];
    let leaf = ca.leaf(&spec).unwrap();
    let s = serve(&ca, &leaf, &["-cert_chain", &chain_arg(&ca)]);
    let r = scan_certs(&s, Some(&ca.root_pem)).await;
    assert_eq!(ids(&r), vec!["cert.eku.no_server_auth"]);
}

#[tokio::test]
async fn tls13_only_server_shows_both_chains() {
    if !require("openssl") {
        return;
    }
    let ca = TestCa::new("tls13").unwrap();
    let rsa = ca.leaf(&LeafSpec::new("rsa", LeafKey::Rsa(2048))).unwrap();
    let ec = ca.leaf(&LeafSpec::new("ec", LeafKey::EcdsaP256)).unwrap();
    let chain = chain_arg(&ca);
    let s = serve(
        &ca,
        &rsa,
        &[
            "-tls1_3",
            "-cert_chain",
            &chain,
            "-dcert",
            &ec.cert.display().to_string(),
            "-dkey",
            &ec.key.display().to_string(),
            "-dcert_chain",
            &chain,
        ],
    );
    let r = scan_certs(&s, Some(&ca.root_pem)).await;
    assert_eq!(ids(&r), Vec::<String>::new());
    let chains = &section(&r).chains;
    assert_eq!(chains.len(), 2, "{chains:#?}");
    for c in chains {
        assert_eq!(c.obtained[0].version, TlsVersion::Tls13);
        assert_eq!(c.obtained[0].offered, c.key_type);
        assert!(!c.obtained[0].without_sni);
        assert!(c.verdicts.trusted && c.certificates.len() == 2);
        assert!(c.ocsp_staple.requested && !c.ocsp_staple.present);
    }
    // The handshake without SNI (rustls given the IP address) got one of the same two chains.
    let bare: Vec<String> = chains
        .iter()
        .flat_map(|c| c.obtained.iter().skip(1).map(|o| o.describe()))
        .collect();
    assert_eq!(bare, vec!["TLSv1.3 offering any without SNI"]);
    // Two rustls handshakes, one per key type, and one without SNI.
    assert_eq!(section(&r).connections, 3);
}

/// A leaf signed by the test root itself (a complete chain of one certificate), for `dns`.
fn root_signed(ca: &TestCa, name: &str, dns: &str) -> fixtures::testpki::Leaf {
    let mut spec = LeafSpec::new(name, LeafKey::EcdsaP256);
    spec.signer = Signer::Root;
    spec.dns = vec![dns.into()];
    if name == "default" {
        // The default certificate has expired as well (2029 < the verdict time, 2030).
        spec.not_after = jan1(2029);
    }
    ca.leaf(&spec).unwrap()
}

#[tokio::test]
async fn a_different_default_chain_without_sni_is_its_own_chain_with_milder_findings() {
    if !require("openssl") {
        return;
    }
    let ca = TestCa::new("sni").unwrap();
    let default = root_signed(&ca, "default", "default.test");
    let named = root_signed(&ca, "named", "localhost");
    // -cert2 is served only to clients that name `localhost`; everyone else gets -cert.
    let s = serve(
        &ca,
        &default,
        &[
            "-servername",
            "localhost",
            "-cert2",
            &named.cert.display().to_string(),
            "-key2",
            &named.key.display().to_string(),
        ],
    );
    let r = scan_certs(&s, Some(&ca.root_pem)).await;
    let c = section(&r);
    assert_eq!(c.chains.len(), 2, "{:#?}", c.chains);
    let (with, without) = (&c.chains[0], &c.chains[1]);
    assert_eq!(with.certificates[0].sans, vec!["DNS:localhost"]);
    assert!(with.obtained.iter().all(|o| !o.without_sni));
    assert!(!with.only_without_sni());
    assert!(with.verdicts.trusted && with.verdicts.hostname_matches == Some(true));
    assert_eq!(without.certificates[0].sans, vec!["DNS:default.test"]);
    let via: Vec<String> = without.obtained.iter().map(|o| o.describe()).collect();
    assert_eq!(via, vec!["TLSv1.2 offering any without SNI"]);
    assert!(without.only_without_sni());
    assert_eq!(without.verdicts.hostname_matches, Some(false));
    assert!(!without.verdicts.trusted);
    // The scanned name's chain raises nothing; the default chain's problems are reported under
    // their own ids: the expiry as a warning, the other name as information.
    let found: Vec<(&str, Severity)> = c
        .findings
        .iter()
        .map(|f| (f.id.as_str(), f.severity))
        .collect();
    assert_eq!(
        found,
        vec![
            ("cert.no_sni.expired", Severity::Warning),
            ("cert.no_sni.hostname_mismatch", Severity::Info),
        ]
    );
    assert!(c.findings.iter().all(|f| f
        .evidence
        .as_deref()
        .is_some_and(|e| e.starts_with("without SNI: CN=default.test"))));
    // TLS 1.2: RSA-only and ECDSA-only hellos; TLS 1.3: one rustls handshake per key type;
    // and the one hello without SNI.
    assert_eq!(c.connections, 2 + 2 + 1);
    let mut text = Vec::new();
    tlsaudit::render::text::target(
        &mut text,
        &r,
        &tlsaudit::render::text::Style { color: false },
    )
    .unwrap();
    let text = String::from_utf8(text).unwrap();
    assert!(
        text.contains("does not match localhost  via TLSv1.2 offering any without SNI"),
        "{text}"
    );
    assert!(
        text.contains("default chain: only clients without SNI get it"),
        "{text}"
    );
}

#[tokio::test]
async fn the_same_chain_without_sni_is_one_chain_with_both_sources() {
    if !require("openssl") {
        return;
    }
    let ca = TestCa::new("plain").unwrap();
    let leaf = ca.leaf(&LeafSpec::new("leaf", LeafKey::EcdsaP256)).unwrap();
    let s = serve(&ca, &leaf, &["-cert_chain", &chain_arg(&ca)]);
    let r = scan_certs(&s, Some(&ca.root_pem)).await;
    assert_eq!(ids(&r), Vec::<String>::new());
    let c = one_chain(&r);
    let via: Vec<String> = c.obtained.iter().map(|o| o.describe()).collect();
    assert_eq!(
        via,
        vec![
            "TLSv1.2 offering any",
            "TLSv1.2 offering ECDSA",
            "TLSv1.3 offering ECDSA",
            "TLSv1.2 offering any without SNI",
        ]
    );
    assert!(!c.only_without_sni());
    assert_eq!(section(&r).connections, 2 + 2 + 1);
    // The server answered the hello without SNI: no refusal, no finding about it.
    assert_eq!(
        section(&r).no_sni,
        NoSniProbe {
            attempted: true,
            refused: Some(false),
            evidence: None,
        }
    );
}

#[tokio::test]
async fn nginx_refusing_clients_without_sni_is_a_fact_and_an_info_finding() {
    if !require("nginx") {
        return;
    }
    let ca = TestCa::new("reject").unwrap();
    let leaf = ca.leaf(&LeafSpec::new("leaf", LeafKey::EcdsaP256)).unwrap();
    let files = ca.cert_files(&leaf).unwrap();
    // nginx serves the chain from one file: the leaf, then the intermediate.
    let mut chain = std::fs::read(&files.cert).unwrap();
    chain.extend(std::fs::read(&ca.intermediate_pem).unwrap());
    std::fs::write(&files.cert, chain).unwrap();
    let s =
        nginx_reject_without_sni("nginx-reject", &files, "ssl_protocols TLSv1.2 TLSv1.3;").unwrap();
    let r = scan_certs(&s, Some(&ca.root_pem)).await;
    let c = section(&r);
    // Clients that name localhost get its chain, trusted through the test CA.
    let chain = one_chain(&r);
    assert_eq!(chain.certificates[0].sans, vec!["DNS:localhost"]);
    assert_eq!(chain.certificates.len(), 2);
    assert!(chain.verdicts.trusted && chain.verdicts.hostname_matches == Some(true));
    assert!(chain.obtained.iter().all(|o| !o.without_sni));
    // The hello without SNI is refused with the alert nginx sends for an unknown name.
    let evidence = "TLSv1.2 hello without SNI: alert unrecognized_name";
    assert_eq!(
        c.no_sni,
        NoSniProbe {
            attempted: true,
            refused: Some(true),
            evidence: Some(evidence.into()),
        }
    );
    let found: Vec<(&str, Severity, Option<&str>)> = c
        .findings
        .iter()
        .map(|f| (f.id.as_str(), f.severity, f.evidence.as_deref()))
        .collect();
    assert_eq!(
        found,
        vec![("cert.no_sni.refused", Severity::Info, Some(evidence))]
    );
    assert!(c.findings[0].message.contains("cannot connect"));
    // TLS 1.2: RSA-only and ECDSA-only hellos; TLS 1.3: one rustls handshake per key type;
    // and the one hello without SNI.
    assert_eq!(c.connections, 2 + 2 + 1);
    let via: Vec<String> = chain.obtained.iter().map(|o| o.describe()).collect();
    assert_eq!(
        via,
        vec![
            "TLSv1.2 offering any",
            "TLSv1.2 offering ECDSA",
            "TLSv1.3 offering ECDSA",
        ]
    );
    let mut text = Vec::new();
    tlsaudit::render::text::target(
        &mut text,
        &r,
        &tlsaudit::render::text::Style { color: false },
    )
    .unwrap();
    let text = String::from_utf8(text).unwrap();
    assert!(
        text.contains(&format!("without SNI: refused ({evidence})")),
        "{text}"
    );
}

#[tokio::test]
async fn nginx_tls13_only_refusing_clients_without_sni_is_told_by_rustls() {
    if !require("nginx") {
        return;
    }
    let ca = TestCa::new("reject13").unwrap();
    let leaf = root_signed(&ca, "named", "localhost");
    let files = ca.cert_files(&leaf).unwrap();
    let s = nginx_reject_without_sni("nginx-reject13", &files, "ssl_protocols TLSv1.3;").unwrap();
    let r = scan_certs(&s, Some(&ca.root_pem)).await;
    let c = section(&r);
    let chain = one_chain(&r);
    assert!(chain.verdicts.trusted && chain.verdicts.hostname_matches == Some(true));
    // No TLS <= 1.2: the handshake without SNI is rustls's, and it names the alert it got.
    let evidence = "TLSv1.3 handshake without SNI: received fatal alert: UnrecognisedName";
    assert_eq!(
        c.no_sni,
        NoSniProbe {
            attempted: true,
            refused: Some(true),
            evidence: Some(evidence.into()),
        }
    );
    let found: Vec<(&str, Severity, Option<&str>)> = c
        .findings
        .iter()
        .map(|f| (f.id.as_str(), f.severity, f.evidence.as_deref()))
        .collect();
    assert_eq!(
        found,
        vec![("cert.no_sni.refused", Severity::Info, Some(evidence))]
    );
    // One rustls handshake per key type (the RSA-only one finds nothing) and one without SNI.
    assert_eq!(c.connections, 2 + 1);
}

#[tokio::test]
async fn stapled_ocsp_is_read_in_tls12_and_tls13() {
    if !require("openssl") {
        return;
    }
    let ca = TestCa::new("ocsp").unwrap();
    let leaf = ca.leaf(&LeafSpec::new("leaf", LeafKey::EcdsaP256)).unwrap();
    let good = ca.ocsp_response(&leaf, false).unwrap();
    for (versions, version) in [
        ("-tls1_2", TlsVersion::Tls12),
        ("-tls1_3", TlsVersion::Tls13),
    ] {
        let s = serve(
            &ca,
            &leaf,
            &[
                versions,
                "-cert_chain",
                &chain_arg(&ca),
                "-status_file",
                &good.display().to_string(),
            ],
        );
        let r = scan_certs(&s, Some(&ca.root_pem)).await;
        assert_eq!(ids(&r), Vec::<String>::new(), "{version}");
        let c = one_chain(&r);
        let st = &c.ocsp_staple;
        assert!(st.requested && st.present, "{version}: {st:?}");
        assert_eq!(st.response_status.as_deref(), Some("successful"));
        assert_eq!(st.cert_status.as_deref(), Some("good"), "{version}: {st:?}");
        assert!(st.this_update.is_some() && st.next_update.is_some() && st.error.is_none());
    }
    // Every truncation of a real response reads as an error, never a panic.
    let bytes = std::fs::read(&good).unwrap();
    for n in 0..bytes.len() {
        let st = tlsaudit::certs::ocsp::read(&bytes[..n], None);
        assert!(st.error.is_some() || st.cert_status.is_some(), "{n}");
    }
    let revoked = ca.ocsp_response(&leaf, true).unwrap();
    let s = serve(
        &ca,
        &leaf,
        &[
            "-cert_chain",
            &chain_arg(&ca),
            "-status_file",
            &revoked.display().to_string(),
        ],
    );
    let r = scan_certs(&s, Some(&ca.root_pem)).await;
    assert_eq!(ids(&r), vec!["cert.ocsp.revoked"]);
    assert_eq!(
        one_chain(&r).ocsp_staple.cert_status.as_deref(),
        Some("revoked")
    );
}

#[test]
fn cli_flags_ca_file_at_trust_and_no_certs() {
    if !require("openssl") {
        return;
    }
    let ca = TestCa::new("cli").unwrap();
    let mut spec = LeafSpec::new("leaf", LeafKey::EcdsaP256);
    spec.not_after = jan1(2030) + time::Duration::days(20);
    let leaf = ca.leaf(&spec).unwrap();
    let s = serve(&ca, &leaf, &["-cert_chain", &chain_arg(&ca)]);
    let target = s.target();
    let root = ca.root_pem.display().to_string();
    let run = |extra: &[&str]| {
        let mut args = vec![
            "scan",
            target.as_str(),
            "--sni",
            "localhost",
            "--versions",
            "tls1.2,tls1.3",
            "--policy",
            "none",
        ];
        args.extend_from_slice(extra);

        std::process::Command::new(env!("CARGO_BIN_EXE_tlsaudit"))
            .args(&args)
            .output()
            .unwrap()
    };
    let json = |out: &std::process::Output| -> serde_json::Value {
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let ids = |v: &serde_json::Value| -> Vec<String> {
        let mut ids: Vec<String> = v["targets"][0]["certificates"]["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["id"].as_str().unwrap().to_string())
            .collect();
        ids.sort();
        ids.dedup();
        ids
    };
    let at = ["--at", "2030-01-01T00:00:00Z"];
    let v = json(&run(
        &[&at[..], &["--ca-file", &root, "-f", "json"]].concat()
    ));
    assert_eq!(ids(&v), vec!["cert.expires_soon"]);
    let certs = &v["targets"][0]["certificates"];
    assert_eq!(certs["at"], "2030-01-01T00:00:00Z");
    assert_eq!(certs["chains"][0]["verdicts"]["trusted"], true);
    assert_eq!(certs["chains"][0]["certificates"][0]["days_left"], 20);
    // Without the CA file the same chain is untrusted; with a shorter warning window it is not "soon".
    let v = json(&run(&[
        &at[..],
        &["--expiry-warn-days", "10", "-f", "json"],
    ]
    .concat()));
    assert_eq!(ids(&v), vec!["cert.untrusted"]);
    // --trust none with the CA file: the CA file alone decides.
    let v = json(&run(&[
        &at[..],
        &["--trust", "none", "--ca-file", &root, "-f", "json"],
    ]
    .concat()));
    let trust = &v["targets"][0]["certificates"]["chains"][0]["verdicts"]["trust"];
    assert_eq!(trust.as_array().map(Vec::len), Some(1));
    assert_eq!(trust[0]["trusted"], true);
    // Text output has the block; --no-certs drops it.
    let text = run(&[&at[..], &["--ca-file", &root]].concat());
    let text = String::from_utf8_lossy(&text.stdout).to_string();
    assert!(
        text.contains("Certificates") && text.contains("cert.expires_soon"),
        "{text}"
    );
    let text = run(&["--no-certs"]);
    assert!(!String::from_utf8_lossy(&text.stdout).contains("Certificates"));
    // A CA file that cannot be read is a usage error, before any scan.
    let out = run(&["--ca-file", "/nonexistent/ca.pem"]);
    assert_eq!(out.status.code(), Some(2));
    let out = run(&["--at", "yesterday"]);
    assert_eq!(out.status.code(), Some(2));
}

#[tokio::test]
async fn system_store_is_loaded_and_judged_beside_the_ca_file() {
    if !require("openssl") {
        return;
    }
    if !std::path::Path::new(verify::SYSTEM_BUNDLE).exists() {
        assert!(
            std::env::var("CI").map_or(true, |v| v != "true"),
            "{} is missing under CI=true: install ca-certificates",
            verify::SYSTEM_BUNDLE
        );
        eprintln!("skipping: no {}", verify::SYSTEM_BUNDLE);
        return;
    }
    let ca = TestCa::new("system").unwrap();
    let leaf = ca.leaf(&LeafSpec::new("leaf", LeafKey::EcdsaP256)).unwrap();
    let s = serve(&ca, &leaf, &["-cert_chain", &chain_arg(&ca)]);
    let stores = verify::load(&["system".into()], std::slice::from_ref(&ca.root_pem)).unwrap();
    assert!(
        stores.0[0].anchors.len() > 50,
        "system store has {}",
        stores.0[0].anchors.len()
    );
    let opts = ScanOptions {
        sni: Some("localhost".into()),
        versions: vec![TlsVersion::Tls12],
        ..Default::default()
    };
    let certs = CertOptions {
        at: Some(test_now()),
        trust: stores,
        ..Default::default()
    };
    let r = scan_with_certs(&s.target(), EngineConfig::default(), opts, certs)
        .await
        .0;
    assert_eq!(ids(&r), Vec::<String>::new());
    let trust: Vec<(String, bool)> = one_chain(&r)
        .verdicts
        .trust
        .iter()
        .map(|t| {
            (
                t.store.split(':').next().unwrap_or("").to_string(),
                t.trusted,
            )
        })
        .collect();
    assert_eq!(
        trust,
        vec![("system".into(), false), ("ca-file".into(), true)]
    );
}

#[tokio::test]
async fn urls_must_staple_and_scts_are_read_and_a_missing_staple_is_a_finding() {
    if !require("openssl") {
        return;
    }
    let ca = TestCa::new("ext").unwrap();
    let mut spec = LeafSpec::new("leaf", LeafKey::EcdsaP256);
    spec.ocsp_url = Some("http://ocsp.example.test/".into());
    spec.ca_issuers_url = Some("http://ca.example.test/int.der".into());
    spec.crl_url = Some("http://crl.example.test/int.crl".into());
    spec.must_staple = true;
    spec.scts = 2;
    let leaf = ca.leaf(&spec).unwrap();
    let s = serve(&ca, &leaf, &["-cert_chain", &chain_arg(&ca)]);
    let r = scan_certs(&s, Some(&ca.root_pem)).await;
    assert_eq!(ids(&r), vec!["cert.ocsp.must_staple_missing"]);
    let c = &one_chain(&r).certificates[0];
    assert_eq!(c.ocsp_urls, vec!["http://ocsp.example.test/"]);
    assert_eq!(c.ca_issuers_urls, vec!["http://ca.example.test/int.der"]);
    assert_eq!(c.crl_urls, vec!["http://crl.example.test/int.crl"]);
    assert!(c.must_staple);
    assert_eq!(c.sct_count, 2);
    assert_eq!(c.parse_error, None);
    // With a staple the must-staple finding goes away.
    let good = ca.ocsp_response(&leaf, false).unwrap();
    let s = serve(
        &ca,
        &leaf,
        &[
            "-cert_chain",
            &chain_arg(&ca),
            "-status_file",
            &good.display().to_string(),
        ],
    );
    let r = scan_certs(&s, Some(&ca.root_pem)).await;
    assert_eq!(ids(&r), Vec::<String>::new());
}
