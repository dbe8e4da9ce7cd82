use super::server::{ServerCert, ServerVersion};
use super::*;
use crate::wire::{CipherSuite, NamedGroup, SignatureScheme};

const ECDHE_RSA_AES128_GCM: CipherSuite = CipherSuite(0xc02f);
const ECDHE_RSA_AES256_GCM: CipherSuite = CipherSuite(0xc030);
const DHE_RSA_AES128_GCM: CipherSuite = CipherSuite(0x009e);
const RSA_AES128_SHA: CipherSuite = CipherSuite(0x002f);
const TLS_AES_128_GCM: CipherSuite = CipherSuite(0x1301);
const TLS_AES_256_GCM: CipherSuite = CipherSuite(0x1302);

fn rsa_cert(bits: u32) -> ServerCert {
    ServerCert {
        key_type: "RSA".into(),
        bits,
        signature_algorithm: "sha256WithRSAEncryption".into(),
        complete: true,
        without_sni: false,
        describe: format!("RSA {bits} (sha256WithRSAEncryption)"),
    }
}

/// TLS 1.2 with the given suites in the server's order, P-256 and x25519, RSA 2048.
fn tls12_server(suites: &[CipherSuite], server_order: bool) -> ServerModel {
    ServerModel {
        versions: vec![ServerVersion {
            version: TlsVersion::Tls12,
            suites: suites.to_vec(),
            server_order,
        }],
        ecdhe_curves: Some(vec![NamedGroup::X25519, NamedGroup::SECP256R1]),
        ecdhe_curve_order: true,
        dhe_bits: Some(2048),
        tls12_schemes: Some(vec![(
            SignatureScheme::RSA_PSS_RSAE_SHA256,
            Some("RSA 2048".into()),
        )]),
        certificates: vec![rsa_cert(2048)],
        ..Default::default()
    }
}

fn tls13_server() -> ServerModel {
    ServerModel {
        versions: vec![ServerVersion {
            version: TlsVersion::Tls13,
            suites: vec![TLS_AES_256_GCM, TLS_AES_128_GCM],
            server_order: true,
        }],
        tls13_groups: Some(vec![NamedGroup::X25519, NamedGroup::SECP256R1]),
        tls13_group_order: true,
        tls13_schemes: Some(vec![SignatureScheme::RSA_PSS_RSAE_SHA256]),
        certificates: vec![rsa_cert(2048)],
        ..Default::default()
    }
}

fn modern_client() -> ClientOffer {
    ClientOffer {
        versions: vec![TlsVersion::Tls13, TlsVersion::Tls12],
        suites: vec![
            TLS_AES_128_GCM,
            TLS_AES_256_GCM,
            ECDHE_RSA_AES128_GCM,
            ECDHE_RSA_AES256_GCM,
        ],
        groups: Some(vec![NamedGroup::X25519, NamedGroup::SECP256R1]),
        key_shares: vec![NamedGroup::X25519],
        signature_schemes: Some(vec![
            SignatureScheme::ECDSA_SECP256R1_SHA256,
            SignatureScheme::RSA_PSS_RSAE_SHA256,
        ]),
        sni: true,
        limits: ClientLimits::default(),
    }
}

/// Java 7's defaults: TLS 1.0 only enabled by default on the client side, no ECDHE curves
/// beyond the NIST ones, DH primes up to 1024 bits.
fn java7() -> ClientOffer {
    ClientOffer {
        versions: vec![TlsVersion::Tls11, TlsVersion::Tls10],
        suites: vec![CipherSuite(0xc013), DHE_RSA_AES128_GCM, RSA_AES128_SHA],
        groups: Some(vec![NamedGroup::SECP256R1]),
        key_shares: vec![],
        signature_schemes: None,
        sni: true,
        limits: ClientLimits {
            max_dh_bits: Some(1024),
            ..Default::default()
        },
    }
}

#[test]
fn no_common_version_names_both_sides() {
    let e = negotiate(&java7(), &tls13_server()).unwrap_err().reason;
    assert_eq!(
        e,
        "no common version: the server offers TLSv1.3; the client speaks TLSv1.1, TLSv1.0"
    );
}

#[test]
fn server_order_or_client_order_decides_the_suite() {
    let mut client = modern_client();
    client.versions = vec![TlsVersion::Tls12];
    let suites = [ECDHE_RSA_AES256_GCM, ECDHE_RSA_AES128_GCM];
    let own = negotiate(&client, &tls12_server(&suites, true)).unwrap();
    assert_eq!(own.suite, ECDHE_RSA_AES256_GCM);
    assert_eq!(own.group.as_deref(), Some("x25519"));
    assert_eq!(
        own.certificate.map(|c| c.describe).as_deref(),
        Some("RSA 2048 (sha256WithRSAEncryption)")
    );
    let follows = negotiate(&client, &tls12_server(&suites, false)).unwrap();
    assert_eq!(follows.suite, ECDHE_RSA_AES128_GCM);
}

#[test]
fn a_suite_that_cannot_complete_gives_way_to_the_next() {
    // The client shares no curve: the ECDHE suite fails, static RSA completes.
    let mut client = java7();
    client.versions = vec![TlsVersion::Tls12];
    client.groups = Some(vec![NamedGroup::SECP384R1]);
    client.suites = vec![ECDHE_RSA_AES128_GCM, RSA_AES128_SHA];
    let server = tls12_server(&[ECDHE_RSA_AES128_GCM, RSA_AES128_SHA], true);
    let n = negotiate(&client, &server).unwrap();
    assert_eq!((n.suite, n.group), (RSA_AES128_SHA, None));
    // Without the RSA suite, the reason names the curves.
    let server = tls12_server(&[ECDHE_RSA_AES128_GCM], true);
    let e = negotiate(&client, &server).unwrap_err().reason;
    assert!(
        e.contains("no common ECDHE curve: the server has x25519, secp256r1"),
        "{e}"
    );
}

#[test]
fn a_dh_prime_too_large_for_the_client_fails_the_dhe_suite() {
    let mut client = java7();
    client.versions = vec![TlsVersion::Tls12];
    client.suites = vec![DHE_RSA_AES128_GCM];
    let e = negotiate(&client, &tls12_server(&[DHE_RSA_AES128_GCM], true))
        .unwrap_err()
        .reason;
    assert!(
        e.contains("the server picks TLSv1.2 with TLS_DHE_RSA_WITH_AES_128_GCM_SHA256, but its DH prime has 2048 bits and the client handles at most 1024"),
        "{e}"
    );
}

#[test]
fn sni_refusal_small_keys_and_signature_schemes() {
    let mut server = tls12_server(&[ECDHE_RSA_AES128_GCM], true);
    server.needs_sni = true;
    let mut client = modern_client();
    client.sni = false;
    assert!(negotiate(&client, &server)
        .unwrap_err()
        .reason
        .contains("refuses clients that send no server name"));
    let mut server = tls12_server(&[ECDHE_RSA_AES128_GCM], true);
    server.certificates = vec![rsa_cert(1024)];
    let mut client = modern_client();
    client.limits.min_rsa_bits = Some(2048);
    assert!(negotiate(&client, &server)
        .unwrap_err()
        .reason
        .contains("its RSA key has 1024 bits and the client needs at least 2048"));
    let server = tls12_server(&[ECDHE_RSA_AES128_GCM], true);
    let mut client = modern_client();
    client.signature_schemes = Some(vec![SignatureScheme::ECDSA_SECP256R1_SHA256]);
    assert!(negotiate(&client, &server)
        .unwrap_err()
        .reason
        .contains("no signature scheme in common for the RSA key"));
}

#[test]
fn tls13_prefers_a_key_share_and_names_missing_groups() {
    let mut client = modern_client();
    client.key_shares = vec![NamedGroup::SECP256R1];
    let n = negotiate(&client, &tls13_server()).unwrap();
    assert_eq!(n.version, TlsVersion::Tls13);
    assert_eq!(n.suite, TLS_AES_256_GCM, "the server's order");
    assert_eq!(
        n.group.as_deref(),
        Some("secp256r1"),
        "the share it was sent"
    );
    client.key_shares = vec![];
    client.groups = Some(vec![NamedGroup::SECP384R1]);
    let e = negotiate(&client, &tls13_server()).unwrap_err().reason;
    assert!(e.contains("no common TLS 1.3 group"), "{e}");
}

#[test]
fn simulation_puts_failures_first() {
    let facts = TargetFacts::default();
    let clients = [
        SimClient {
            id: "modern".into(),
            name: "modern".into(),
            version: "1".into(),
            library: "x".into(),
            source: "declared".into(),
            offer: modern_client(),
        },
        SimClient {
            id: "java-7".into(),
            name: "Java".into(),
            version: "7".into(),
            library: "JSSE".into(),
            source: "declared".into(),
            offer: java7(),
        },
    ];
    // No supported version at all: both fail, with the reason.
    let s = simulate(&facts, &clients);
    assert_eq!(s.status, SectionStatus::Completed);
    assert!(s.clients.iter().all(|c| !c.connects && c.reason.is_some()));
    let mut server = tls13_server();
    server.versions.push(ServerVersion {
        version: TlsVersion::Tls10,
        suites: vec![RSA_AES128_SHA],
        server_order: false,
    });
    let results: Vec<ClientResult> = clients.iter().map(|c| predict(c, &server)).collect();
    assert!(results.iter().all(|r| r.connects), "{results:?}");
    assert_eq!(results[1].protocol, Some(TlsVersion::Tls10));
}
