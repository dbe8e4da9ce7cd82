//! Heartbleed (CVE-2014-0160) in the features stage: a real gnutls-serv that answers
//! heartbeats, and a default OpenSSL 3 s_server without heartbeat. The vulnerable server is
//! scripted (in `scripted.rs`): no server here is built from OpenSSL 1.0.1.

use std::collections::BTreeSet;

use fixtures::servers::{gnutls_serv_with, openssl_s_server, self_signed, KeyType};
use tlsaudit::enumerate::ScanOptions;
use tlsaudit::facts::{Fact, Stage};
use tlsaudit::probe::engine::EngineConfig;
use tlsaudit::report::TargetReport;

use crate::common::{require, scan_with};

/// The features stage alone (on top of the protocol and suite scans), `--quick`.
async fn features(target: &str, stage: bool) -> TargetReport {
    let stages: BTreeSet<Stage> = [Stage::Versions, Stage::Suites]
        .into_iter()
        .chain(stage.then_some(Stage::Features))
        .collect();
    let opts = ScanOptions {
        sni: Some("localhost".into()),
        stages,
        quick: true,
        ..Default::default()
    };
    scan_with(target, EngineConfig::default(), opts).await.0
}

/// Connections the features stage opened, and its heartbeat and heartbleed facts.
async fn heartbleed(target: &str) -> (u64, Fact, Fact) {
    let with = features(target, true).await;
    let without = features(target, false).await;
    let f = with.features.clone().expect("features section");
    (
        with.connections - without.connections,
        f.heartbeat,
        f.heartbleed,
    )
}

#[tokio::test]
async fn gnutls_with_heartbeat_is_not_vulnerable() {
    if !require("gnutls-serv") {
        return;
    }
    let cert = self_signed(KeyType::Rsa2048).unwrap();
    let s = gnutls_serv_with(
        "gnutls-heartbleed",
        &cert,
        "NORMAL:-VERS-ALL:+VERS-TLS1.2",
        &["--heartbeat"],
    )
    .unwrap();
    let (conns, heartbeat, heartbleed) = heartbleed(&s.target()).await;
    assert_eq!(heartbeat, Fact::yes("ServerHello echoes heartbeat"));
    // GnuTLS refuses a heartbeat before the handshake is done.
    assert_eq!(
        heartbleed,
        Fact::no(
            "TLSv1.2 heartbeat request claiming 16384 payload bytes with 4 sent was answered by alert unexpected_message"
        )
    );
    // TLS 1.2 only: the extension, encrypt_then_mac, compression and ALPN probes, and one more
    // for Heartbleed.
    assert_eq!(conns, 4 + 1);
}

#[tokio::test]
async fn openssl_without_heartbeat_is_not_applicable_and_costs_nothing() {
    let cert = self_signed(KeyType::Rsa2048).unwrap();
    let s = openssl_s_server("no-heartbeat", &cert, &["-no_tls1_3"]).unwrap();
    let (conns, heartbeat, heartbleed) = heartbleed(&s.target()).await;
    assert_eq!(heartbeat, Fact::no("ServerHello does not echo heartbeat"));
    assert_eq!(
        heartbleed,
        Fact::not_applicable("TLSv1.2 ServerHello does not echo heartbeat")
    );
    // The same four probes as gnutls-serv's, and none for Heartbleed: the extension probe's
    // ServerHello already said no.
    assert_eq!(conns, 4);
}
