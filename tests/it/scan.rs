//! Versions and suites against real servers with known configurations: each test asserts the
//! exact set, and the exact order where the server imposes one, derived from the configuration.

use fixtures::servers::{gnutls_serv, nginx, openssl_s_server, self_signed, KeyType};
use tlsaudit::enumerate::ScanOptions;
use tlsaudit::facts::TlsVersion::{self, *};
use tlsaudit::probe::engine::EngineConfig;

use crate::common::{dhparam, ids, require, scan, scan_with, sorted, suites, versions};

const SEED_TLS12: &str = fixtures::servers::SEED_TLS12_OPENSSL;

#[tokio::test]
async fn tls13_only_server_follows_client_order() {
    let cert = self_signed(KeyType::Rsa2048).unwrap();
    let s = openssl_s_server("tls13", &cert, &["-tls1_3"]).unwrap();
    let (r, _) = scan(&s.target()).await;
    assert_eq!(r.error, None);
    assert_eq!(versions(&r), vec![Tls13]);
    // OpenSSL's default TLS 1.3 suites; without -serverpref it takes the client's first.
    assert_eq!(suites(&r, Tls13), ids(&[0x1301, 0x1302, 0x1303]));
    assert_eq!(r.protocol(Tls13).unwrap().server_preference, Some(false));
    let p = r.protocol(Tls12).unwrap();
    assert!(!p.supported && p.cipher_suites.is_empty());
}

#[tokio::test]
async fn seed_policy_server_in_server_order() {
    let cert = self_signed(KeyType::Rsa2048).unwrap();
    let s = openssl_s_server(
        "seed",
        &cert,
        &[
            "-min_protocol",
            "TLSv1.2",
            "-cipher",
            SEED_TLS12,
            "-serverpref",
            "-ciphersuites",
            "TLS_CHACHA20_POLY1305_SHA256:TLS_AES_256_GCM_SHA384:TLS_AES_128_GCM_SHA256",
        ],
    )
    .unwrap();
    // Versions and suites only: the budget below is theirs.
    let (r, _) = scan_with(
        &s.target(),
        EngineConfig::default(),
        ScanOptions {
            sni: Some("localhost".into()),
            stages: [
                tlsaudit::facts::Stage::Versions,
                tlsaudit::facts::Stage::Suites,
            ]
            .into_iter()
            .collect(),
            ..Default::default()
        },
    )
    .await;
    assert_eq!(versions(&r), vec![Tls12, Tls13]);
    // The seed's six TLS 1.2 suites, in the order of the -cipher string.
    assert_eq!(
        suites(&r, Tls12),
        ids(&[0xcca8, 0xc02f, 0xc030, 0xc013, 0x009c, 0x009d])
    );
    assert_eq!(r.protocol(Tls12).unwrap().server_preference, Some(true));
    assert_eq!(suites(&r, Tls13), ids(&[0x1303, 0x1302, 0x1301]));
    assert_eq!(r.protocol(Tls13).unwrap().server_preference, Some(true));
    let names: Vec<_> = r
        .protocol(Tls12)
        .unwrap()
        .cipher_suites
        .iter()
        .map(|s| s.name.as_str())
        .collect();
    assert_eq!(names[0], "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256");
    // Budget: (accepted + 1) per version, one preference probe per version with 2+ suites,
    // one each for SSLv2, SSLv3, TLS 1.0, TLS 1.1.
    // The certificates stage counts its own handshakes separately.
    let cert_connections = r.certificates.as_ref().map_or(0, |c| c.connections);
    assert_eq!(
        r.connections - cert_connections,
        (6 + 1 + 1) + (3 + 1 + 1) + 4
    );
}

#[tokio::test]
async fn legacy_cbc_camellia_seed_static_rsa_at_seclevel_0() {
    let cert = self_signed(KeyType::Rsa2048).unwrap();
    let s = openssl_s_server(
        "legacy",
        &cert,
        &["-provider", "default", "-provider", "legacy", "-min_protocol", "TLSv1", "-max_protocol", "TLSv1.2",
          "-cipher", "AES128-SHA:CAMELLIA256-SHA:SEED-SHA:DHE-RSA-AES128-SHA:ECDHE-RSA-AES256-SHA:AES256-SHA256:@SECLEVEL=0",
          "-serverpref"],
    )
    .unwrap();
    let (r, _) = scan(&s.target()).await;
    assert_eq!(versions(&r), vec![Tls10, Tls11, Tls12]);
    // AES256-SHA256 exists only in TLS 1.2.
    let old = ids(&[0x002f, 0x0084, 0x0096, 0x0033, 0xc014]);
    assert_eq!(suites(&r, Tls10), old);
    assert_eq!(suites(&r, Tls11), old);
    assert_eq!(
        suites(&r, Tls12),
        ids(&[0x002f, 0x0084, 0x0096, 0x0033, 0xc014, 0x003d])
    );
    let seed = &r.protocol(Tls12).unwrap().cipher_suites[2];
    assert_eq!(
        (seed.name.as_str(), seed.kx.as_str(), seed.forward_secrecy),
        ("TLS_RSA_WITH_SEED_CBC_SHA", "RSA", false)
    );
}

#[tokio::test]
async fn server_preference_on_and_off() {
    let cert = self_signed(KeyType::Rsa2048).unwrap();
    // Deliberately not in code-point order, so both orders are distinguishable.
    let cipher = "AES256-GCM-SHA384:ECDHE-RSA-AES128-GCM-SHA256:AES128-SHA";
    let on = openssl_s_server(
        "pref",
        &cert,
        &["-tls1_2", "-cipher", cipher, "-serverpref"],
    )
    .unwrap();
    let off = openssl_s_server("nopref", &cert, &["-tls1_2", "-cipher", cipher]).unwrap();
    let (r_on, _) = scan(&on.target()).await;
    let (r_off, _) = scan(&off.target()).await;
    assert_eq!(suites(&r_on, Tls12), ids(&[0x009d, 0xc02f, 0x002f]));
    assert_eq!(r_on.protocol(Tls12).unwrap().server_preference, Some(true));
    // Client order: ours, which is code-point order.
    assert_eq!(suites(&r_off, Tls12), ids(&[0x002f, 0x009d, 0xc02f]));
    assert_eq!(
        r_off.protocol(Tls12).unwrap().server_preference,
        Some(false)
    );
}

#[tokio::test]
async fn ecdsa_certificate_accepts_only_ecdsa_suites() {
    let cert = self_signed(KeyType::EcdsaP256).unwrap();
    let s = openssl_s_server(
        "ecdsa",
        &cert,
        &["-tls1_2", "-serverpref", "-cipher",
          "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES128-SHA"],
    )
    .unwrap();
    let (r, _) = scan(&s.target()).await;
    assert_eq!(versions(&r), vec![Tls12]);
    // No RSA certificate, so the ECDHE-RSA suite cannot be chosen.
    assert_eq!(suites(&r, Tls12), ids(&[0xc02c, 0xcca9, 0xc009]));
    assert!(r
        .protocol(Tls12)
        .unwrap()
        .cipher_suites
        .iter()
        .all(|s| s.auth == "ECDSA"));
}

#[tokio::test]
async fn chacha20_only_server() {
    let cert = self_signed(KeyType::Rsa2048).unwrap();
    let s = openssl_s_server(
        "chacha",
        &cert,
        &[
            "-cipher",
            "ECDHE-RSA-CHACHA20-POLY1305",
            "-ciphersuites",
            "TLS_CHACHA20_POLY1305_SHA256",
        ],
    )
    .unwrap();
    let (r, _) = scan(&s.target()).await;
    assert_eq!(versions(&r), vec![Tls12, Tls13]);
    assert_eq!(suites(&r, Tls12), ids(&[0xcca8]));
    assert_eq!(suites(&r, Tls13), ids(&[0x1303]));
    assert_eq!(
        r.protocol(Tls13).unwrap().server_preference,
        None,
        "one suite has no order"
    );
    let c = &r.protocol(Tls13).unwrap().cipher_suites[0];
    assert_eq!(
        (c.cipher.as_str(), c.bits, c.aead),
        ("CHACHA20_POLY1305", 256, true)
    );
}

#[tokio::test]
async fn nginx_mozilla_intermediate() {
    if !require("nginx") {
        return;
    }
    let cert = self_signed(KeyType::Rsa2048).unwrap();
    // nginx offers DHE only with ssl_dhparam; Mozilla recommends the RFC 7919 ffdhe2048 group.
    let dh = dhparam(cert.dir.path(), "dh.pem", "group:ffdhe2048");
    let s = nginx(
        "nginx",
        &cert,
        &format!("ssl_dhparam {};\n    ssl_protocols TLSv1.2 TLSv1.3;\n    ssl_prefer_server_ciphers on;\n    \
         ssl_ciphers ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384;",
            dh
        ),
    )
    .unwrap();
    let (r, _) = scan(&s.target()).await;
    assert_eq!(versions(&r), vec![Tls12, Tls13]);
    // RSA certificate: the ECDSA suites drop out; the rest keep the configured order.
    assert_eq!(
        suites(&r, Tls12),
        ids(&[0xc02f, 0xc030, 0xcca8, 0x009e, 0x009f])
    );
    assert_eq!(r.protocol(Tls12).unwrap().server_preference, Some(true));
    assert_eq!(sorted(suites(&r, Tls13)), ids(&[0x1301, 0x1302, 0x1303]));
}

#[tokio::test]
async fn gnutls_serves_3des_and_rc4() {
    if !require("gnutls-serv") {
        return;
    }
    let cert = self_signed(KeyType::Rsa2048).unwrap();
    let s = gnutls_serv(
        "gnutls",
        &cert,
        "NONE:+VERS-TLS1.2:+VERS-TLS1.1:+VERS-TLS1.0:+3DES-CBC:+ARCFOUR-128:+AES-128-CBC:+CAMELLIA-128-GCM:+SHA1:+AEAD:+RSA:+ECDHE-RSA:+SIGN-ALL:+GROUP-ALL:+COMP-NULL:%SERVER_PRECEDENCE",
    )
    .unwrap();
    let (r, _) = scan(&s.target()).await;
    assert_eq!(versions(&r), vec![Tls10, Tls11, Tls12]);
    let t12 = sorted(suites(&r, Tls12));
    let expected = sorted(ids(&[
        0x000a, 0x0005, 0x002f, // RSA: 3DES, RC4, AES-128-CBC
        0xc012, 0xc011, 0xc013, // ECDHE-RSA: 3DES, RC4, AES-128-CBC
        0xc07a, 0xc08a, // CAMELLIA-128-GCM with RSA and ECDHE-RSA
    ]));
    assert_eq!(t12, expected);
    // GCM suites do not exist before TLS 1.2.
    assert_eq!(
        sorted(suites(&r, Tls10)),
        sorted(ids(&[0x000a, 0x0005, 0x002f, 0xc012, 0xc011, 0xc013]))
    );
    assert_eq!(r.protocol(Tls12).unwrap().server_preference, Some(true));
}

#[tokio::test]
async fn results_do_not_depend_on_parallelism() {
    let cert = self_signed(KeyType::Rsa2048).unwrap();
    let s = openssl_s_server("par", &cert, &["-cipher", SEED_TLS12, "-serverpref"]).unwrap();
    let opts = ScanOptions {
        sni: Some("localhost".into()),
        ..Default::default()
    };
    let one = scan_with(
        &s.target(),
        EngineConfig {
            per_host_limit: 1,
            ..Default::default()
        },
        opts.clone(),
    )
    .await
    .0;
    let eight = scan_with(
        &s.target(),
        EngineConfig {
            per_host_limit: 8,
            ..Default::default()
        },
        opts,
    )
    .await
    .0;
    assert_eq!(one.protocols, eight.protocols);
    assert_eq!(one.connections, eight.connections);
}

#[tokio::test]
async fn unreachable_target_is_an_entry_with_an_error_and_the_others_still_scan() {
    let cert = self_signed(KeyType::Rsa2048).unwrap();
    let s = openssl_s_server("ok", &cert, &["-tls1_3"]).unwrap();
    // A port nothing listens on: bind, learn it, release it.
    let dead = fixtures::servers::free_port().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_tlsaudit"))
        .args([
            "scan",
            "--format",
            "json",
            &format!("127.0.0.1:{dead}"),
            &s.target(),
            "not a host",
        ])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(3),
        "exit 3 when a target could not be scanned"
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let t = v["targets"].as_array().unwrap();
    assert_eq!(t.len(), 3);
    assert!(
        t[0]["error"].as_str().unwrap().contains("refused"),
        "{}",
        t[0]["error"]
    );
    assert_eq!(t[0]["error_reason"], "connection_refused");
    assert_eq!(t[1]["error"], serde_json::Value::Null);
    assert!(t[1].get("error_reason").is_none(), "absent when scanned");
    assert_eq!(t[1]["protocols"][5]["version"], "TLSv1.3");
    assert_eq!(t[1]["protocols"][5]["supported"], true);
    assert_eq!(t[1]["protocols"][5]["cipher_suites"][0]["id"], "0x1301");
    assert!(t[2]["error"].as_str().unwrap().contains("not a host name"));
    assert_eq!(t[2]["error_reason"], "invalid_target");
    assert_eq!(v["schema_version"], "1.5");
}

#[test]
fn every_version_is_reported_once_in_order() {
    assert_eq!(TlsVersion::ALL.len(), 6);
}
