//! SMTP's published TLS policy, against real servers on loopback: Postfix (STARTTLS, with a
//! chain from a throwaway CA) as the mail server, Knot DNS serving the zone `mail.test` (TLSA
//! records, `_mta-sts` and `_smtp._tls` TXT records, A records to 127.0.0.x), and nginx serving
//! the MTA-STS policy over HTTPS on 127.0.0.x:443 (RFC 8461 fixes the port: binding it needs
//! root, as Postfix does).

use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::sync::atomic::{AtomicU32, Ordering};

use fixtures::daemons;
use fixtures::dns::knot;
use fixtures::servers::{nginx_mta_sts, CertFiles, ServerProcess};
use fixtures::testpki::{test_now, LeafKey, LeafSpec, TestCa};
use sha2::{Digest, Sha256};
use tlsaudit::certs::{verify, CertOptions};
use tlsaudit::enumerate::ScanOptions;
use tlsaudit::facts::Stage;
use tlsaudit::probe::engine::EngineConfig;
use tlsaudit::report::TargetReport;

use crate::common::{require, scan_with_certs};

/// True when Postfix, knotd and nginx are installed and this process may start daemons.
fn can_run() -> bool {
    if !(require("postfix") && require("knotd") && require("nginx")) {
        return false;
    }
    if daemons::daemons_can_run() {
        return true;
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "CI=true but not root: Postfix and port 443 need root"
    );
    eprintln!("skipping: Postfix and binding 127.0.0.x:443 need root");
    false
}

/// A 127.0.44.x address whose port 443 is free: x from our pid and a counter, so that the
/// tests of this process never pick the same one (a second nginx failing to bind would
/// otherwise be taken for started by the first one's answer) and parallel runs differ.
fn free_443() -> Option<SocketAddr> {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let base = std::process::id() % 250;
    (0..50).find_map(|_| {
        let x = 2 + (base + NEXT.fetch_add(1, Ordering::Relaxed)) % 250;
        let addr = SocketAddr::from((Ipv4Addr::new(127, 0, 44, x as u8), 443));
        TcpListener::bind(addr).ok().map(|_| addr)
    })
}

fn spki_sha256(der: &[u8]) -> String {
    let (_, cert) = x509_parser::parse_x509_certificate(der).unwrap();
    hex(&Sha256::digest(cert.tbs_certificate.subject_pki.raw))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

struct Setup {
    ca: TestCa,
    _postfix: daemons::Daemon,
    _nginx: ServerProcess,
    dns: ServerProcess,
    smtp_port: u16,
}

fn chain_files(ca: &TestCa, name: &str) -> CertFiles {
    let mut spec = LeafSpec::new(name, LeafKey::EcdsaP256);
    spec.dns = vec![format!("{name}.mail.test")];
    let leaf = ca.leaf(&spec).unwrap();
    let files = ca.cert_files(&leaf).unwrap();
    let chain = ca
        .bundle(
            &format!("{name}-chain.pem"),
            &[&leaf.der, &ca.intermediate_der()],
        )
        .unwrap();
    std::fs::copy(chain, &files.cert).unwrap();
    files
}

/// Postfix with a chain for mx.mail.test; nginx with the policy `policy` for
/// mta-sts.mail.test; knotd with `records` plus the A records (names relative to mail.test;
/// `{port}` is Postfix's port).
fn setup(policy: &str, records: &str) -> Setup {
    let ca = TestCa::new("mail").unwrap();
    let mx = chain_files(&ca, "mx");
    let postfix = daemons::postfix(&mx, 100, 1000).unwrap();
    let smtp_port: u16 = postfix
        .target_of("submission")
        .rsplit(':')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let https = free_443().expect("a 127.0.44.x:443 to bind (as root)");
    let nginx =
        nginx_mta_sts("mta-sts-nginx", https, &chain_files(&ca, "mta-sts"), policy).unwrap();
    let leaf_der = fixtures::testpki::pem_to_der(&std::fs::read(&mx.cert).unwrap()).unwrap();
    let zone = format!(
        "mx A 127.0.0.1\nstale A 127.0.0.1\nmta-sts A {}\n{}\n",
        https.ip(),
        records
            .replace("{port}", &smtp_port.to_string())
            .replace("{leaf_spki}", &spki_sha256(&leaf_der))
            .replace(
                "{intermediate}",
                &hex(&Sha256::digest(ca.intermediate_der()))
            )
    );
    let dns = knot("mail-knot", "mail.test", &zone).unwrap();
    Setup {
        ca,
        _postfix: postfix,
        _nginx: nginx,
        dns,
        smtp_port,
    }
}

async fn scan(s: &Setup, host: &str) -> TargetReport {
    let opts = ScanOptions {
        ip: Some([127, 0, 0, 1].into()),
        resolver: Some(s.dns.addr),
        stages: [Stage::Certs, Stage::Dns].into_iter().collect(),
        ..Default::default()
    };
    let certs = CertOptions {
        at: Some(test_now()),
        trust: verify::load(&["mozilla".into()], std::slice::from_ref(&s.ca.root_pem)).unwrap(),
        ..Default::default()
    };
    let target = format!("smtp://{host}:{}", s.smtp_port);
    scan_with_certs(&target, EngineConfig::default(), opts, certs)
        .await
        .0
}

const ENFORCE: &str = "version: STSv1\nmode: enforce\nmx: mx.mail.test\nmax_age: 86400\n";

#[tokio::test(flavor = "multi_thread")]
async fn dane_matches_the_chain_and_mta_sts_enforces_for_the_mx() {
    if !can_run() {
        return;
    }
    let s = setup(
        ENFORCE,
        "_{port}._tcp.mx TLSA 3 1 1 {leaf_spki}\n\
         _{port}._tcp.mx TLSA 2 0 1 {intermediate}\n\
         _{port}._tcp.mx TLSA 1 1 1 {leaf_spki}\n\
         _{port}._tcp.stale TLSA 3 1 1 00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n\
         _mta-sts TXT \"v=STSv1; id=20261202\"\n\
         _smtp._tls TXT \"v=TLSRPTv1; rua=mailto:tls@mail.test\"",
    );
    let r = scan(&s, "mx.mail.test").await;
    let dane = r.dane.as_ref().expect("a DANE section for an SMTP target");
    assert_eq!(dane.error, None);
    assert_eq!(dane.queried, format!("_{}._tcp.mx.mail.test", s.smtp_port));
    assert_eq!(dane.outcome, "matched", "{dane:#?}");
    assert!(dane.matched);
    // Knot is authoritative, not a validating resolver: no AD bit.
    assert!(!dane.authenticated);
    let mut by_usage: Vec<_> = dane
        .records
        .iter()
        .map(|r| (r.usage, r.matches, r.note.clone()))
        .collect();
    by_usage.sort();
    assert_eq!(by_usage[0].0, 1);
    assert!(by_usage[0].2.contains("unusable for SMTP"));
    assert_eq!(by_usage[1], (2, true, "chain[1]".into()));
    assert_eq!(by_usage[2], (3, true, "leaf".into()));
    let mut ids: Vec<_> = dane.findings.iter().map(|f| f.id.as_str()).collect();
    ids.sort();
    assert_eq!(ids, ["dane.not_authenticated", "dane.unusable_usage"]);

    let sts = r.mta_sts.as_ref().expect("an MTA-STS section");
    assert_eq!(sts.error, None);
    assert_eq!(sts.domain, "mail.test");
    assert_eq!(sts.txt.as_deref(), Some("v=STSv1; id=20261202"));
    assert_eq!(sts.id.as_deref(), Some("20261202"));
    assert_eq!(sts.outcome, "valid", "{sts:#?}");
    assert_eq!(sts.mode.as_deref(), Some("enforce"));
    assert_eq!(sts.mx_matches, Some(true));
    let policy = sts.policy.as_ref().unwrap();
    assert_eq!(
        (policy.mx.clone(), policy.max_age),
        (vec!["mx.mail.test".to_string()], Some(86400))
    );
    assert_eq!(
        sts.tls_rpt.as_deref(),
        Some("v=TLSRPTv1; rua=mailto:tls@mail.test")
    );
    assert!(sts.findings.is_empty(), "{:#?}", sts.findings);

    // The text report says both.
    let mut out = Vec::new();
    tlsaudit::render::text::target(
        &mut out,
        &r,
        &tlsaudit::render::text::Style { color: false },
    )
    .unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(text.contains("  DANE (RFC 7672)\n"), "{text}");
    assert!(text.contains("    outcome        matched: "), "{text}");
    assert!(
        text.contains(" (DANE-EE): matches the leaf\n")
            && text.contains(" (DANE-TA): matches the chain[1]\n"),
        "{text}"
    );
    assert!(text.contains("  MTA-STS (mail.test)\n"), "{text}");
    assert!(
        text.contains("    outcome        valid: mode enforce, mx mx.mail.test, max_age 86400\n"),
        "{text}"
    );
    // And the HTML report.
    let report = tlsaudit::report::ScanReport::new(String::new(), 0, vec![r.clone()]);
    let html = tlsaudit::render::html::body(&report);
    assert!(html.contains("DANE (RFC 7672)") && html.contains("MTA-STS (mail.test)"));
    assert!(
        html.contains("<tr><th>mx match</th><td>yes</td></tr>"),
        "{html}"
    );
    // serve's live page shows both as the `mail` step.
    let step = tlsaudit::render::html::step(tlsaudit::audit::Step::Mail, &r);
    assert!(
        step.contains("DANE (RFC 7672)") && step.contains("MTA-STS (mail.test)"),
        "{step}"
    );
    assert_eq!(tlsaudit::audit::Step::Mail.name(), "mail");

    // The command line: --resolver, --ca-file (the policy host's trust) and --mail-domain.
    let (_, json, err) = crate::common::tlsaudit_output(&[
        "scan",
        &format!("smtp://mx.mail.test:{}", s.smtp_port),
        "--ip",
        "127.0.0.1",
        "--resolver",
        &s.dns.addr.to_string(),
        "--ca-file",
        &s.ca.root_pem.display().to_string(),
        "--mail-domain",
        "mail.test",
        "--only",
        "certs,dns",
        "-f",
        "json",
    ]);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}: {err}"));
    let t = &v["targets"][0];
    assert_eq!(t["dane"]["matched"], true, "{t}");
    assert_eq!(t["mta_sts"]["outcome"], "valid", "{t}");
    assert_eq!(t["mta_sts"]["mode"], "enforce", "{t}");

    // A host whose TLSA record was left behind by a rollover, and not in the policy's mx.
    let stale = scan(&s, "stale.mail.test").await;
    let dane = stale.dane.as_ref().unwrap();
    assert_eq!((dane.outcome.as_str(), dane.matched), ("no_match", false));
    assert!(dane
        .findings
        .iter()
        .any(|f| f.id == "dane.no_match" && f.message.contains("rollover")));
    let sts = stale.mta_sts.as_ref().unwrap();
    assert_eq!(
        (sts.outcome.as_str(), sts.mx_matches),
        ("mx_mismatch", Some(false))
    );
    assert!(sts
        .findings
        .iter()
        .any(|f| f.id == "mta_sts.mx_mismatch" && f.message.contains("mx: stale.mail.test")));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_untrusted_policy_host_and_absent_records_are_findings() {
    if !can_run() {
        return;
    }
    let s = setup(ENFORCE, "_mta-sts TXT \"v=STSv1; id=1\"");
    // Judged without the test CA: the policy's certificate is not trusted, so there is none.
    let opts = ScanOptions {
        ip: Some([127, 0, 0, 1].into()),
        resolver: Some(s.dns.addr),
        stages: [Stage::Certs, Stage::Dns].into_iter().collect(),
        ..Default::default()
    };
    let target = format!("smtp://mx.mail.test:{}", s.smtp_port);
    let r = scan_with_certs(
        &target,
        EngineConfig::default(),
        opts,
        CertOptions::default(),
    )
    .await
    .0;
    let dane = r.dane.as_ref().unwrap();
    assert_eq!(
        (dane.outcome.as_str(), dane.records.len()),
        ("no_records", 0)
    );
    let sts = r.mta_sts.as_ref().unwrap();
    assert_eq!(sts.outcome, "fetch_failed", "{sts:#?}");
    assert!(
        sts.evidence.contains("TLS with mta-sts.mail.test"),
        "{}",
        sts.evidence
    );
    let ids: Vec<_> = sts.findings.iter().map(|f| f.id.as_str()).collect();
    assert_eq!(ids, ["tls_rpt.absent", "mta_sts.fetch_failed"]);
}
