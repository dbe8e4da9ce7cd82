//! STARTTLS and implicit TLS against Debian's own daemons on loopback: Dovecot (ManageSieve,
//! LMTP, IMAPS, POP3S), Postfix (submission), slapd (LDAP), MariaDB, INN's nnrpd (NNTP) and
//! InspIRCd (IRC); each started once for its test, with throwaway configurations
//! (`fixtures::daemons`). They need root, as their packages do.

use fixtures::daemons::{self, Daemon, GNUTLS_PRIORITY, OPENSSL_CIPHERS};
use fixtures::servers::{
    nginx_stream_limited, self_signed, CertFiles, KeyType, NGINX_STREAM_MODULE,
};
use tlsaudit::enumerate::ScanOptions;
use tlsaudit::facts::{ErrorReason, TlsVersion::*};
use tlsaudit::probe::engine::EngineConfig;
use tlsaudit::probe::starttls::Starttls;
use tlsaudit::report::TargetReport;

use crate::common::{ids, require, scan_with, sorted, suites, versions};

/// TLS 1.3 suites of OpenSSL's defaults (the OpenSSL daemons set none of their own).
const OPENSSL_TLS13: [u32; 3] = [0x1301, 0x1302, 0x1303];
/// [`OPENSSL_CIPHERS`] as ids, in the server's order.
const OPENSSL_TLS12: [u32; 2] = [0xc030, 0x002f];
/// [`GNUTLS_PRIORITY`]'s TLS 1.2 suites, sorted (its order is GnuTLS's to choose).
const GNUTLS_TLS12: [u32; 4] = [0x002f, 0x009d, 0xc013, 0xc030];

/// True when `program` is installed and this process may start daemons (root). Under
/// CI=true either missing is a failure.
fn can_start(program: &str) -> bool {
    if !require(program) {
        return false;
    }
    if daemons::daemons_can_run() {
        return true;
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "CI=true but not root: {program} cannot be started"
    );
    eprintln!("skipping: {program} needs root");
    false
}

fn cert() -> CertFiles {
    self_signed(KeyType::Rsa2048).unwrap()
}

/// Scans `target` (with `--starttls proto`, if any).
async fn scan(target: &str, proto: Option<Starttls>) -> TargetReport {
    let opts = ScanOptions {
        starttls: proto,
        sni: Some("localhost".into()),
        ..Default::default()
    };
    scan_with(target, EngineConfig::default(), opts).await.0
}

/// The OpenSSL daemons' configuration, as a scan must see it.
fn assert_openssl_daemon(r: &TargetReport, what: &str, server_preference: bool) {
    assert_eq!(r.error, None, "{what}");
    assert_eq!(versions(r), vec![Tls12, Tls13], "{what}");
    if server_preference {
        assert_eq!(suites(r, Tls12), ids(&OPENSSL_TLS12), "{what}");
        assert_eq!(r.protocol(Tls12).unwrap().server_preference, Some(true));
    } else {
        assert_eq!(
            sorted(suites(r, Tls12)),
            sorted(ids(&OPENSSL_TLS12)),
            "{what}"
        );
    }
    assert_eq!(sorted(suites(r, Tls13)), ids(&OPENSSL_TLS13), "{what}");
    assert_eq!(r.rate_limited, None, "{what}");
}

/// The GnuTLS daemons' configuration ([`GNUTLS_PRIORITY`]).
fn assert_gnutls_daemon(r: &TargetReport, what: &str) {
    assert_eq!(r.error, None, "{what}");
    assert_eq!(versions(r), vec![Tls12, Tls13], "{what}");
    assert_eq!(sorted(suites(r, Tls12)), ids(&GNUTLS_TLS12), "{what}");
    assert_eq!(suites(r, Tls13), ids(&[0x1302]), "{what}");
    assert_eq!(r.protocol(Tls12).unwrap().server_preference, Some(true));
}

#[tokio::test]
async fn dovecot_sieve_lmtp_and_implicit_imaps_pop3s() {
    if !can_start("dovecot") {
        return;
    }
    let cert = cert();
    let d: Daemon = daemons::dovecot(&cert).unwrap();
    // STARTTLS by flag (sieve, lmtp), implicit TLS by scheme with the port given.
    let targets = [
        d.target_of("sieve"),
        d.target_of("lmtp"),
        format!("imaps://{}", d.target_of("imaps")),
        format!("pop3s://{}", d.target_of("pop3s")),
    ];
    // Each scan a task of its own: four scans joined in one future outgrow a test's stack.
    let protos = [
        Some(Starttls::Sieve),
        Some(Starttls::Lmtp),
        Some(Starttls::Smtp),
        None,
    ];
    let tasks: Vec<_> = targets
        .iter()
        .zip(protos)
        .map(|(t, p)| {
            let t = t.clone();
            tokio::spawn(async move { scan(&t, p).await })
        })
        .collect();
    let mut reports = Vec::new();
    for t in tasks {
        reports.push(t.await.unwrap());
    }
    let [sieve, lmtp, imaps, pop3s] = <[TargetReport; 4]>::try_from(reports).unwrap();
    assert_eq!(sieve.starttls, Some(Starttls::Sieve));
    assert_openssl_daemon(&sieve, "sieve", true);
    assert_eq!(lmtp.starttls, Some(Starttls::Lmtp));
    assert_openssl_daemon(&lmtp, "lmtp", true);
    // The scheme wins over --starttls smtp: IMAPS is TLS from the first byte.
    assert_eq!(imaps.starttls, None);
    assert_openssl_daemon(&imaps, "imaps", true);
    // A scheme that names a service other than HTTPS: no `GET /` is sent.
    assert_eq!(imaps.http, None);
    assert_eq!(pop3s.starttls, None);
    assert_openssl_daemon(&pop3s, "pop3s", true);

    // MySQL's handshake read from LMTP: its greeting is no MySQL packet.
    let r = scan(&d.target_of("lmtp"), Some(Starttls::Mysql)).await;
    assert_eq!(r.error_reason, Some(ErrorReason::StarttlsFailed));
    let e = r.error.clone().unwrap_or_default();
    assert!(
        e.contains("STARTTLS (mysql): not a MySQL handshake packet, server said \"220 "),
        "{e}"
    );
}

#[tokio::test]
async fn ldap_starttls_extended_operation() {
    if !can_start("slapd") {
        return;
    }
    let cert = cert();
    let d = daemons::slapd(&cert).unwrap();
    let r = scan(&format!("ldap://{}", d.target()), None).await;
    assert_eq!(r.starttls, Some(Starttls::Ldap));
    assert_gnutls_daemon(&r, &format!("slapd ({GNUTLS_PRIORITY})"));
}

#[tokio::test]
async fn mysql_sslrequest_to_mariadb() {
    if !can_start("mariadbd") {
        return;
    }
    let cert = cert();
    let d = daemons::mariadb(&cert).unwrap();
    let r = scan(&d.target(), Some(Starttls::Mysql)).await;
    assert_eq!(r.starttls, Some(Starttls::Mysql));
    // MariaDB sets no server preference.
    assert_openssl_daemon(&r, &format!("mariadb ({OPENSSL_CIPHERS})"), false);
}

#[tokio::test]
async fn nntp_starttls_to_inn() {
    if !daemons::have_nnrpd() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CI=true but inn2 (nnrpd) is not installed"
        );
        eprintln!("skipping: inn2's nnrpd is not installed");
        return;
    }
    if !can_start("openssl") {
        return;
    }
    let cert = cert();
    let d = daemons::nnrpd(&cert).unwrap();
    let r = scan(&format!("nntp://{}", d.target()), None).await;
    assert_eq!(r.starttls, Some(Starttls::Nntp));
    assert_openssl_daemon(&r, "nnrpd", true);

    // LDAP's StartTLS request to a news server: its greeting is the answer.
    let r = scan(&d.target(), Some(Starttls::Ldap)).await;
    assert_eq!(r.error_reason, Some(ErrorReason::StarttlsFailed));
    let e = r.error.clone().unwrap_or_default();
    assert!(
        e.contains("STARTTLS (ldap): not an LDAPMessage, server said \"200 "),
        "{e}"
    );
}

#[tokio::test]
async fn irc_starttls_to_inspircd() {
    if !can_start("inspircd") {
        return;
    }
    let cert = cert();
    let d = daemons::inspircd(&cert).unwrap();
    let r = scan(&format!("irc://{}", d.target()), None).await;
    assert_eq!(r.starttls, Some(Starttls::Irc));
    assert_gnutls_daemon(&r, "inspircd");
}

/// Postfix: SMTP submission named by its scheme, and the same server behind anvil's limits.
/// The limited listener turns away a third connection at once and a thirty-first in a second
/// (`421 4.7.0 … too many connections`); the scan backs off and must see exactly what the
/// unlimited one sees, and say it was rate limited.
#[tokio::test]
async fn postfix_submission_and_its_rate_limit() {
    if !can_start("postfix") {
        return;
    }
    let cert = cert();
    let d = daemons::postfix(&cert, 2, 30).unwrap();
    let free = scan(&format!("submission://{}", d.target_of("submission")), None).await;
    assert_eq!(free.starttls, Some(Starttls::Smtp));
    assert_openssl_daemon(&free, "postfix", true);

    let limited = scan(&format!("submission://{}", d.target_of("limited")), None).await;
    assert_eq!(limited.error, None);
    assert_eq!(limited.protocols, free.protocols);
    assert_eq!(limited.groups, free.groups);
    assert_eq!(limited.features, free.features);
    let rl = limited
        .rate_limited
        .clone()
        .expect("rate limiting reported");
    assert!(rl.detected && rl.retries > 0 && rl.gave_up == 0, "{rl:?}");
    assert!(
        rl.evidence.contains("421 4.7.0") && rl.evidence.contains("too many connections"),
        "{rl:?}"
    );
    assert!(rl.note.contains("the results are complete"), "{rl:?}");

    // The text and HTML reports say it; the free listener's say nothing of it.
    let text = |r: &TargetReport| {
        let mut out = Vec::new();
        let plain = tlsaudit::render::text::Style { color: false };
        tlsaudit::render::text::target(&mut out, r, &plain).unwrap();
        String::from_utf8(out).unwrap()
    };
    let line = format!(
        "  Rate limited: {} connection(s) retried after refusals (first: {})  {}\n",
        rl.retries, rl.evidence, rl.note
    );
    assert!(text(&limited).contains(&line), "{}", text(&limited));
    assert!(!text(&free).contains("Rate limited"));
    let report =
        tlsaudit::report::ScanReport::new("2026-12-02T00:00:00Z".into(), 0, vec![limited.clone()]);
    let mut html = Vec::new();
    tlsaudit::render::html::write(&mut html, &report).unwrap();
    let html = String::from_utf8(html).unwrap();
    assert!(
        html.contains("<p class=\"weak\"><strong>Rate limited:</strong>"),
        "{html}"
    );

    // nginx's stream proxy in front of the free listener, two connections at once per client:
    // it closes the others before a byte, which no STARTTLS server does as an answer.
    if !have_stream_module() {
        return;
    }
    let proxy = nginx_stream_limited("smtp-limit-conn", &d.target_of("submission"), 2).unwrap();
    let proxied = scan(&format!("submission://{}", proxy.target()), None).await;
    assert_eq!(proxied.error, None);
    assert_eq!(proxied.protocols, free.protocols);
    assert_eq!(proxied.groups, free.groups);
    assert_eq!(proxied.features, free.features);
    let rl = proxied
        .rate_limited
        .clone()
        .expect("rate limiting reported");
    assert!(rl.detected && rl.retries > 0 && rl.gave_up == 0, "{rl:?}");
    assert_eq!(
        rl.evidence,
        format!(
            "{}: STARTTLS (smtp): the server closed the connection without sending a byte \
             (server closed the connection during STARTTLS)",
            proxy.target()
        )
    );
}

/// nginx and its stream module (libnginx-mod-stream); under CI=true a missing one fails.
fn have_stream_module() -> bool {
    if !require("nginx") {
        return false;
    }
    if std::path::Path::new(NGINX_STREAM_MODULE).exists() {
        return true;
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "CI=true but libnginx-mod-stream is not installed"
    );
    eprintln!("skipping: {NGINX_STREAM_MODULE} missing");
    false
}
