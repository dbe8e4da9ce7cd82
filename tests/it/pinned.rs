//! Pinned profiles keep their meaning release after release:
//!
//! - each pinned file (`policies/<name>@<version>.toml`) has the SHA-256 listed here: editing
//!   one fails this test (write a new version instead). The digest is of the file without its
//!   `source_section = "…"` lines: a citation changes no verdict, so citing the section a rule
//!   comes from (or correcting a citation) is the one edit a pinned file may take; the test
//!   checks that such a line is a citation and nothing else;
//! - a checked-in set of scan reports of real servers (`tests/data/pinned/*.json`) judged by
//!   every pinned profile gives the checked-in verdicts (`tests/data/pinned/verdicts.txt`), rule
//!   by rule. A change of the evaluator that moves a pinned verdict fails here.
//!
//! `TLSAUDIT_BLESS=1 cargo test --test it pinned` rewrites `verdicts.txt` (a reviewer reads the
//! diff); `TLSAUDIT_PINNED_RESCAN=1` scans the servers again and rewrites the reports, or
//! `TLSAUDIT_PINNED_RESCAN=name,name` only those (to add a report; the old reports must keep
//! judging as they are).

use std::path::PathBuf;
use std::process::Command;

use fixtures::servers::{gnutls_serv, nginx, openssl_s_server, CertFiles, ServerProcess};
use fixtures::testpki::{LeafKey, LeafSpec, TestCa};
use sha2::{Digest, Sha256};
use tlsaudit::facts::Severity;
use tlsaudit::policy::{evaluate, profiles, Policy, RuleStatus};
use tlsaudit::report::ScanReport;

use crate::common::require;

/// SHA-256 of every pinned profile file without its `source_section` lines ([`meaning`]). A
/// pinned file never changes: a new reading of its source, or a new rule, is a new
/// `name@version` file with its own line here.
const PINNED_SHA256: &[(&str, &str)] = &[
    (
        "mozilla-modern@5.7",
        "aa8cd48582147e4e22e363a38c231c3e0e129f74d6fbae1b9590d96a2261b5df",
    ),
    (
        "mozilla-modern@5.8",
        "7810fce80b992092fe651dd96297df76b1a0f58c83d3c2a199d8bc17a4ce92d8",
    ),
    (
        "mozilla-modern@6.0",
        "c8612a12a2507c2e8c45b2abc7f561de2abc5c7cc6783e2e7b8f9a4cb9cb03fd",
    ),
    (
        "mozilla-intermediate@5.7",
        "94c1ac9f84bc0d2abd23aeb08f86540da6a9b49ee20ae00de944364565c3ef9e",
    ),
    (
        "mozilla-intermediate@5.8",
        "cb24d22bd59eacfbc889cc8040d260940d1bcc03135a8fceb7900c61ee71fc12",
    ),
    (
        "mozilla-intermediate@6.0",
        "9cb6845147ab498e28170966811572d8860a9f9e313b3878f0fd671e550c7a42",
    ),
    (
        "mozilla-old@5.7",
        "f32530d399c99e8361712cceb35ce8c6faa66aa204ff4bf2a5f4b690e6c0d78c",
    ),
    (
        "mozilla-old@5.8",
        "42fa16a194d8e368a0d80aaae8a3275ff5195a04d01ba29e42c9107affebedfc",
    ),
    (
        "nist-800-52r2@1",
        "ed4ebce67a67af8f8ea956d563874b992784a4f8e999aef1ad77b3610b46e3b9",
    ),
    (
        "nist-800-52r2@2",
        "805366643dd427557f9a36b3230aabd4def8164929ee34a63c098fdfc889fca3",
    ),
];

#[test]
fn pinned_profiles_never_change() {
    let listed: Vec<&str> = PINNED_SHA256.iter().map(|(n, _)| *n).collect();
    assert_eq!(
        listed,
        profiles::PINNED,
        "every pinned profile has a digest"
    );
    for (name, want) in PINNED_SHA256 {
        let text = profiles::builtin(name).unwrap_or_else(|| panic!("{name} is built in"));
        let got = hex(&Sha256::digest(meaning(name, text).as_bytes()));
        assert_eq!(
            &got, want,
            "policies/{name}.toml changed: a pinned profile never changes; write a new version"
        );
        // The file on disk is the one embedded (no stale build).
        let disk = std::fs::read_to_string(
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("policies/{name}.toml")),
        )
        .unwrap_or_default();
        assert_eq!(disk, text, "{name}");
    }
}

/// A pinned file's text without its citations: every line `source_section = "…"` removed.
/// Each such line must be exactly one single-line basic string (so that nothing else can hide
/// in it), and the file must load to the same rules, citations aside, with and without them.
fn meaning(name: &str, text: &str) -> String {
    let is_cite = |l: &str| l.trim_start().starts_with("source_section");
    for l in text.lines().filter(|l| is_cite(l)) {
        let value = l
            .strip_prefix("source_section = \"")
            .and_then(|v| v.strip_suffix('"'));
        assert!(
            value.is_some_and(|v| !v.contains(['"', '\\'])),
            "{name}: a citation is one line `source_section = \"…\"`: {l}"
        );
    }
    let stripped: String = text.split_inclusive('\n').filter(|l| !is_cite(l)).collect();
    let uncited = |p: Policy| -> Vec<_> {
        p.rules
            .into_iter()
            .map(|mut r| {
                r.source_section.clear();
                r
            })
            .collect()
    };
    assert_eq!(
        uncited(Policy::from_toml(text, name).unwrap()),
        uncited(Policy::from_toml(&stripped, name).unwrap()),
        "{name}: citations change no rule"
    );
    stripped
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/pinned")
}

/// The checked-in reports, sorted by name.
fn reports() -> Vec<(String, ScanReport)> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir())
        .expect("tests/data/pinned exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    files
        .iter()
        .map(|p| {
            let text = std::fs::read_to_string(p).unwrap();
            let r: ScanReport = serde_json::from_str(&text)
                .unwrap_or_else(|e| panic!("{}: no longer reads as a report: {e}", p.display()));
            let stem = p.file_stem().unwrap_or_default().to_string_lossy();
            (stem.into_owned(), r)
        })
        .collect()
}

/// Every report judged by every pinned profile (failing on errors, as by default): one line
/// per verdict, then one per rule that did not pass.
fn verdicts() -> String {
    let mut out = String::from(
        "# tests/data/pinned/*.json judged by every pinned profile (--fail-on error).\n\
         # <report> <profile>: <verdict>, then each rule that did not pass: <status> <severity> <id>.\n\
         # Written by TLSAUDIT_BLESS=1 cargo test --test it pinned; a pinned verdict never moves.\n",
    );
    let reports = reports();
    assert!(reports.len() >= 6, "the pinned reports are checked in");
    for (name, report) in &reports {
        assert_eq!(report.targets.len(), 1, "{name}");
        let t = &report.targets[0];
        for pin in profiles::PINNED {
            let p = Policy::load(pin).unwrap();
            let r = evaluate(t, &p, Severity::Error);
            out.push_str(&format!("{name} {pin}: {}\n", r.verdict));
            for rule in r.rules.iter().filter(|x| x.status != RuleStatus::Pass) {
                let status = match rule.status {
                    RuleStatus::Fail => "fail",
                    RuleStatus::Incomplete => "incomplete",
                    RuleStatus::Pass => "pass",
                };
                out.push_str(&format!(
                    "    {status} {} {}\n",
                    rule.severity.name(),
                    rule.id
                ));
            }
        }
    }
    out
}

#[test]
fn pinned_profiles_keep_their_verdicts() {
    if let Ok(which) = std::env::var("TLSAUDIT_PINNED_RESCAN") {
        rescan(&which);
    }
    let got = verdicts();
    let path = dir().join("verdicts.txt");
    if std::env::var("TLSAUDIT_BLESS").is_ok_and(|v| v == "1") {
        std::fs::write(&path, &got).unwrap();
        return;
    }
    let want = std::fs::read_to_string(&path).unwrap();
    if got != want {
        let line = got
            .lines()
            .zip(want.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| got.lines().count().min(want.lines().count()));
        panic!(
            "a pinned verdict moved (tests/data/pinned/verdicts.txt line {}):\n got: {}\nwant: {}",
            line + 1,
            got.lines().nth(line).unwrap_or("(end)"),
            want.lines().nth(line).unwrap_or("(end)")
        );
    }
}

/// The verdicts the pinned reports were made to show, read from the checked-in file: a
/// server configured from a guideline passes its version, and 5.8 drops DHE.
#[test]
fn pinned_verdicts_say_what_each_guideline_says() {
    let text = std::fs::read_to_string(dir().join("verdicts.txt")).unwrap();
    let verdict = |report: &str, pin: &str| {
        let head = format!("{report} {pin}: ");
        text.lines()
            .find_map(|l| l.strip_prefix(head.as_str()))
            .unwrap_or_else(|| panic!("no verdict for {report} {pin}"))
            .to_string()
    };
    assert_eq!(
        verdict("openssl-intermediate-5.7", "mozilla-intermediate@5.7"),
        "COMPLIANT"
    );
    assert_eq!(
        verdict("openssl-intermediate-5.7", "mozilla-intermediate@5.8"),
        "NOT COMPLIANT"
    );
    for pin in ["mozilla-intermediate@5.7", "mozilla-intermediate@5.8"] {
        assert_eq!(verdict("openssl-intermediate-5.8", pin), "COMPLIANT");
    }
    assert_eq!(verdict("nginx-modern", "mozilla-modern@6.0"), "COMPLIANT");
    // NIST reading 2 adds the extended master secret: the server without it fails only there.
    let rules = |report: &str, pin: &str| {
        let head = format!("{report} {pin}: ");
        text.lines()
            .skip_while(|l| !l.starts_with(head.as_str()))
            .skip(1)
            .take_while(|l| l.starts_with("    "))
            .map(str::trim)
            .collect::<Vec<_>>()
    };
    let ems = "fail warning features.extended_master_secret.missing";
    assert!(!rules("gnutls-no-ems", "nist-800-52r2@1").contains(&ems));
    assert!(rules("gnutls-no-ems", "nist-800-52r2@2").contains(&ems));
    assert!(!rules("openssl-defaults", "nist-800-52r2@2").contains(&ems));
}

// ---- Making the reports (TLSAUDIT_PINNED_RESCAN=1) ----

/// Scans `s` with the CLI (`--policy none`: facts only) and writes `tests/data/pinned/<name>.json`.
fn save(name: &str, s: &ServerProcess, ca: &TestCa) {
    eprintln!("rescanning {name}");
    let out = Command::new(env!("CARGO_BIN_EXE_tlsaudit"))
        .args([
            "scan",
            &s.target(),
            "--sni",
            "localhost",
            "--policy",
            "none",
        ])
        .args(["--ca-file", &ca.root_pem.display().to_string()])
        .args(["--at", "2030-01-01T00:00:00Z", "--format", "json", "-q"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{name}: {e}: {}", String::from_utf8_lossy(&out.stderr)));
    let text = serde_json::to_string_pretty(&v).unwrap() + "\n";
    std::fs::write(dir().join(format!("{name}.json")), text).unwrap();
}

/// The leaf with the intermediate after it, for servers that read one chain file.
fn chain_files(ca: &TestCa, leaf: &fixtures::testpki::Leaf, name: &str) -> CertFiles {
    let files = ca.cert_files(leaf).unwrap();
    let bundle = ca
        .bundle(name, &[&leaf.der, &ca.intermediate_der()])
        .unwrap();
    std::fs::copy(bundle, &files.cert).unwrap();
    files
}

/// Rescans every report (`which` = "1") or those named (comma-separated).
fn rescan(which: &str) {
    for p in ["openssl", "nginx", "gnutls-serv"] {
        assert!(require(p), "rescanning the pinned reports needs {p}");
    }
    let wanted = |name: &str| which == "1" || which.split(',').any(|w| w == name);
    let ca = TestCa::new("pinned").unwrap();
    let rsa = ca.leaf(&LeafSpec::new("rsa", LeafKey::Rsa(2048))).unwrap();
    let ec = ca.leaf(&LeafSpec::new("ec", LeafKey::EcdsaP256)).unwrap();
    let chain = ca.intermediate_pem.display().to_string();
    let rsa_files = ca.cert_files(&rsa).unwrap();
    let s_server = |name: &str, args: &[&str]| {
        if !wanted(name) {
            return;
        }
        let mut all = vec!["-cert_chain", chain.as_str()];
        all.extend_from_slice(args);
        let s = openssl_s_server(name, &rsa_files, &all).unwrap();
        save(name, &s, &ca);
    };
    // OpenSSL 3's defaults: CBC and CCM suites, ffdhe groups, x448 and P-521.
    s_server("openssl-defaults", &[]);
    // Configured from Mozilla 5.7 Intermediate: three DHE suites among the nine.
    s_server(
        "openssl-intermediate-5.7",
        &[
            "-cipher",
            "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:\
             ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:\
             DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384:DHE-RSA-CHACHA20-POLY1305",
            "-groups",
            "X25519:P-256:P-384",
        ],
    );
    // Configured from Mozilla 5.8 Intermediate as far as OpenSSL 3.0 goes (no X25519MLKEM768).
    s_server(
        "openssl-intermediate-5.8",
        &[
            "-cipher",
            "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:\
             ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305",
            "-groups",
            "X25519:P-256:P-384",
        ],
    );
    // Mozilla Modern on nginx: TLS 1.3 only, ECDSA P-256.
    if wanted("nginx-modern") {
        let s = nginx(
            "pinned-modern",
            &chain_files(&ca, &ec, "ec-chain.pem"),
            "ssl_protocols TLSv1.3;\n    ssl_ecdh_curve X25519:prime256v1:secp384r1;\n    ssl_prefer_server_ciphers off;",
        )
        .unwrap();
        save("nginx-modern", &s, &ca);
    }
    // A legacy GnuTLS: TLS 1.0 to 1.2 with CBC suites and 3DES.
    if wanted("gnutls-legacy") {
        let s = gnutls_serv(
            "pinned-gnutls",
            &chain_files(&ca, &rsa, "rsa-chain.pem"),
            "NORMAL:-VERS-TLS-ALL:+VERS-TLS1.2:+VERS-TLS1.1:+VERS-TLS1.0:+3DES-CBC",
        )
        .unwrap();
        save("gnutls-legacy", &s, &ca);
    }
    // GnuTLS with TLS 1.2 and 1.3 but without the extended master secret (RFC 7627): what
    // nist-800-52r2@2 adds a rule for.
    if wanted("gnutls-no-ems") {
        let s = gnutls_serv(
            "pinned-gnutls-no-ems",
            &chain_files(&ca, &rsa, "rsa-chain.pem"),
            "NORMAL:-VERS-TLS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:%NO_SESSION_HASH",
        )
        .unwrap();
        save("gnutls-no-ems", &s, &ca);
    }
}

// ---- The command line ----

fn run(args: &[&str]) -> (Option<i32>, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_tlsaudit"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn policy_diff_prints_rule_by_rule_changes() {
    let (code, out, err) = run(&["policy", "diff", "mozilla-old@5.7", "mozilla-old@5.8"]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(
        out,
        "mozilla-old@5.7 -> mozilla-old@5.8
  source: https://ssl-config.mozilla.org/guidelines/5.7.json -> https://ssl-config.mozilla.org/guidelines/5.8.json
  source_version: 5.7 -> 5.8
  title: reworded
changed  suites.not_allowed
           message: reworded
           suites: -TLS_DHE_RSA_WITH_AES_128_GCM_SHA256 -TLS_DHE_RSA_WITH_AES_256_GCM_SHA384 -TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256 -TLS_DHE_RSA_WITH_AES_128_CBC_SHA256 -TLS_DHE_RSA_WITH_AES_256_CBC_SHA256
added    cert.ocsp.not_stapled (certificate, warning): OCSP stapling when the certificate names an OCSP responder
added    cert.dates (certificate, error): the certificate keeps the public date rules (lifetime by issue date, serverAuth only)
changed  groups.not_allowed
           allow_only: +X25519MLKEM768
           message: reworded
           title: reworded
added    groups.pq_hybrid.not_offered (groups, info): the hybrid group X25519MLKEM768 should be offered (advisory)
changed  dh.too_small
           message: reworded
           min_bits: 1024 -> 2048
           title: reworded
7 rules unchanged
"
    );
    let (code, out, _) = run(&[
        "policy",
        "diff",
        "mozilla-intermediate@5.7",
        "mozilla-intermediate@6.0",
        "--json",
    ]);
    assert_eq!(code, Some(0));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["unchanged"], 9);
    assert_eq!(v["rules"][0]["change"], "changed");
    assert_eq!(v["rules"][0]["id"], "suites.tls1_2.not_allowed");
    let (code, _, err) = run(&["policy", "diff", "mozilla-old@5.7", "mozilla-old@6.0"]);
    assert_eq!(code, Some(2), "a usage error");
    assert_eq!(
        err,
        "tlsaudit: no pinned policy 'mozilla-old@6.0' (Mozilla's guideline 6.0 removes the Old \
         configuration): mozilla-old has versions 5.7, 5.8\n"
    );
}

/// `policy check` of a pinned report: the same facts pass 5.7 and fail 5.8, and each report
/// names the version it was judged by.
#[test]
fn policy_check_names_the_pinned_version() {
    let report = dir().join("openssl-intermediate-5.7.json");
    let report = report.to_str().unwrap();
    let (code, out, err) = run(&[
        "policy",
        "check",
        report,
        "--policy",
        "mozilla-intermediate@5.7",
    ]);
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(
        out.contains("policy mozilla-intermediate@5.7: COMPLIANT  (12 of 12 rules passed; failing on error and above)\n  version 5.7, pinned\n"),
        "{out}"
    );
    let (code, out, _) = run(&[
        "policy",
        "check",
        report,
        "--policy",
        "mozilla-intermediate@5.8",
        "--format",
        "json",
    ]);
    assert_eq!(code, Some(1), "NOT COMPLIANT");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let p = &v["targets"][0]["policy"];
    assert_eq!(
        (&p["policy"], &p["version"], &p["pinned"], &p["verdict"]),
        (
            &serde_json::json!("mozilla-intermediate@5.8"),
            &serde_json::json!("5.8"),
            &serde_json::json!(true),
            &serde_json::json!("not_compliant")
        )
    );
    // The bare name follows 5.7, says so, and says how to pin it.
    let (code, out, _) = run(&[
        "policy",
        "check",
        report,
        "--policy",
        "mozilla-intermediate",
    ]);
    assert_eq!(code, Some(0));
    assert!(
        out.contains("\n  version 5.7, not pinned (pin --policy mozilla-intermediate@5.7 for rules no release changes)\n"),
        "{out}"
    );
}
