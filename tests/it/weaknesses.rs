//! The weaknesses section from full scans (`--only versions,suites,weaknesses`, which brings
//! the features it reads) against real servers: what each check answers, and a proven
//! vulnerability reaching the report and the grade.

use std::collections::BTreeMap;

use fixtures::servers::{gnutls_serv, openssl_s_server, self_signed, KeyType};
use tlsaudit::enumerate::ScanOptions;
use tlsaudit::facts::{Stage, Verdict};
use tlsaudit::grade::Letter;
use tlsaudit::probe::engine::EngineConfig;
use tlsaudit::report::TargetReport;

use crate::common::{require, scan_with};

async fn scan_weaknesses(target: &str) -> TargetReport {
    let opts = ScanOptions {
        sni: Some("localhost".into()),
        stages: [Stage::Versions, Stage::Suites, Stage::Weaknesses]
            .into_iter()
            .collect(),
        ..Default::default()
    };
    scan_with(target, EngineConfig::default(), opts).await.0
}

/// Each check's answer by id.
fn results(r: &TargetReport) -> BTreeMap<&str, Verdict> {
    let w = r.weaknesses.as_ref().expect("weaknesses scanned");
    w.checks.iter().map(|c| (c.id.as_str(), c.result)).collect()
}

fn evidence<'a>(r: &'a TargetReport, id: &str) -> &'a str {
    let w = r.weaknesses.as_ref().expect("weaknesses scanned");
    &w.check(id).expect(id).evidence
}

use Verdict::{No, NotApplicable as NA, NotDetermined as ND, Yes};

#[tokio::test]
async fn openssl_default_has_none() {
    let rsa = self_signed(KeyType::Rsa2048).unwrap();
    let server = openssl_s_server("weak-openssl", &rsa, &["-www"]).unwrap();
    let r = scan_weaknesses(&server.target()).await;
    let want = BTreeMap::from([
        ("heartbleed", NA),
        ("ccs_injection", No),
        ("ticketbleed", No),
        ("robot", No),
        ("client_renegotiation", No),
        ("insecure_renegotiation", No),
        ("poodle_ssl3", NA),
        ("poodle_tls", No),
        ("sweet32", No),
        ("freak", No),
        // The groups stage (which reads the DH prime) was not asked for.
        ("logjam", ND),
        ("drown", No),
        ("beast", NA),
        // OpenSSL's default list has AES-CBC suites: informational.
        ("lucky13", Yes),
        ("rc4", No),
        ("crime", No),
        // The HTTP stage was not asked for.
        ("breach", ND),
    ]);
    assert_eq!(results(&r), want);
    // Debian's OpenSSL is built without zlib: DEFLATE is offered and refused.
    assert_eq!(
        evidence(&r, "crime"),
        "TLSv1.2 ServerHello chose compression method 0 when offered DEFLATE"
    );
    assert_eq!(
        evidence(&r, "logjam"),
        "DHE suites are accepted and the groups stage (which reads the DH prime) did not run"
    );
    let caps: Vec<&str> = r
        .grade
        .as_ref()
        .unwrap()
        .caps
        .iter()
        .map(|c| c.id.as_str())
        .collect();
    assert!(
        !caps.iter().any(|c| c.contains("renegotiation")),
        "{caps:?}"
    );
}

#[tokio::test]
async fn tls10_cbc_is_beast() {
    let rsa = self_signed(KeyType::Rsa2048).unwrap();
    let server = openssl_s_server(
        "weak-tls10",
        &rsa,
        &[
            "-www",
            "-cipher",
            "AES128-SHA:@SECLEVEL=0",
            "-min_protocol",
            "TLSv1",
            "-max_protocol",
            "TLSv1",
        ],
    )
    .unwrap();
    let r = scan_weaknesses(&server.target()).await;
    let got = results(&r);
    assert_eq!(
        (
            got["beast"],
            got["lucky13"],
            got["sweet32"],
            got["poodle_tls"]
        ),
        (Yes, Yes, No, No)
    );
    assert_eq!(
        evidence(&r, "beast"),
        "accepted CBC suites in SSLv3/TLS 1.0: TLSv1.0 TLS_RSA_WITH_AES_128_CBC_SHA"
    );
}

#[tokio::test]
async fn gnutls_with_3des_and_rc4_is_sweet32_and_rc4() {
    if !require("gnutls-serv") {
        return;
    }
    let rsa = self_signed(KeyType::Rsa2048).unwrap();
    let server = gnutls_serv(
        "weak-gnutls",
        &rsa,
        "NORMAL:+3DES-CBC:+ARCFOUR-128:-VERS-ALL:+VERS-TLS1.2",
    )
    .unwrap();
    let r = scan_weaknesses(&server.target()).await;
    let got = results(&r);
    assert_eq!(
        (got["sweet32"], got["rc4"]),
        (Yes, Yes),
        "{:?}",
        r.weaknesses
    );
    assert!(
        evidence(&r, "sweet32").contains("3DES_EDE_CBC"),
        "{}",
        evidence(&r, "sweet32")
    );
    // RC4 and 3DES cap the grade at C (the suite rules).
    let g = r.grade.as_ref().unwrap();
    assert!(
        g.letter.meets(Letter::F) && !g.letter.meets(Letter::B),
        "{g:?}"
    );
}

/// GnuTLS without RFC 5746 takes a client-initiated renegotiation: insecure renegotiation,
/// proven on the wire, reaches the report and caps the grade at F.
#[tokio::test]
async fn insecure_renegotiation_reaches_the_report_and_caps_at_f() {
    if !require("gnutls-serv") {
        return;
    }
    let rsa = self_signed(KeyType::Rsa2048).unwrap();
    let server = gnutls_serv(
        "weak-unsafe-reneg",
        &rsa,
        "NORMAL:-VERS-ALL:+VERS-TLS1.2:%DISABLE_SAFE_RENEGOTIATION",
    )
    .unwrap();
    let r = scan_weaknesses(&server.target()).await;
    let got = results(&r);
    assert_eq!(
        (got["insecure_renegotiation"], got["client_renegotiation"]),
        (Yes, Yes)
    );
    let w = r.weaknesses.as_ref().unwrap();
    let entry = w.check("insecure_renegotiation").unwrap();
    assert_eq!(entry.cve.as_deref(), Some("CVE-2009-3555"));
    let g = r.grade.as_ref().unwrap();
    assert_eq!(g.letter, Letter::F);
    assert!(g
        .caps
        .iter()
        .any(|c| c.id == "grade.insecure_renegotiation"));
}
