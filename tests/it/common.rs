//! Shared test helpers: real servers on loopback, and the rule that a missing server program
//! skips a test on a laptop but fails it under CI=true.

use tlsaudit::certs::CertOptions;
use tlsaudit::enumerate::{Gathered, ScanOptions, Target};
use tlsaudit::facts::TlsVersion;
use tlsaudit::probe::engine::{Engine, EngineConfig};
use tlsaudit::report::TargetReport;

/// True when `program` is installed. Under CI=true a missing program is a test failure.
pub fn require(program: &str) -> bool {
    if fixtures::servers::have(program) {
        return true;
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{program} is not installed, and CI=true: .ci/run must install it");
    }
    eprintln!("skipping: {program} is not installed");
    false
}

/// True when `python3` can import `module` (a PyPI package `.ci/run` installs, e.g.
/// aioquic). Under CI=true a missing module is a test failure.
pub fn require_python_module(module: &str) -> bool {
    if fixtures::servers::have_python_module(module) {
        return true;
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("the Python module {module} is not installed, and CI=true: .ci/run must install it");
    }
    eprintln!("skipping: the Python module {module} is not installed");
    false
}

/// Where `.ci/run` installs Node.js 24 (npm package `node@24`, whose OpenSSL 3.5 speaks
/// X25519MLKEM768); `TLSAUDIT_NODE24` names another binary.
const NODE24: &str = "/opt/node24/node_modules/node/bin/node";

/// The Node.js 24 binary, when installed. Under CI=true a missing one is a test failure.
pub fn node24() -> Option<std::path::PathBuf> {
    let path = std::env::var_os("TLSAUDIT_NODE24").map_or_else(|| NODE24.into(), Into::into);
    let version = std::process::Command::new(&path)
        .args([
            "-p",
            "process.versions.node + ' ' + process.versions.openssl",
        ])
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    if version.starts_with("24.") {
        return Some(path);
    }
    let what = format!("Node.js 24 ({}: '{version}')", path.display());
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{what} is not installed, and CI=true: .ci/run must install it");
    }
    eprintln!("skipping: {what} is not installed");
    None
}

/// Scans `target` (e.g. "127.0.0.1:4433") with default limits, SNI "localhost".
pub async fn scan(target: &str) -> (TargetReport, Gathered) {
    scan_with(
        target,
        EngineConfig::default(),
        ScanOptions {
            sni: Some("localhost".into()),
            ..Default::default()
        },
    )
    .await
}

pub async fn scan_with(
    target: &str,
    cfg: EngineConfig,
    opts: ScanOptions,
) -> (TargetReport, Gathered) {
    scan_with_certs(target, cfg, opts, CertOptions::default()).await
}

/// [`scan_with`], judging certificates by `certs` (trust stores, verdict time).
pub async fn scan_with_certs(
    target: &str,
    cfg: EngineConfig,
    opts: ScanOptions,
    certs: CertOptions,
) -> (TargetReport, Gathered) {
    let t = Target::parse(target, 443).expect("target parses");
    let audit = tlsaudit::audit::AuditOptions {
        certs,
        ..Default::default()
    };
    tlsaudit::audit::scan_target(&Engine::new(cfg), &t, &opts, &audit).await
}

/// The supported versions, in order.
pub fn versions(r: &TargetReport) -> Vec<TlsVersion> {
    r.protocols
        .iter()
        .filter(|p| p.supported)
        .map(|p| p.version)
        .collect()
}

/// The accepted suites of `v` as lower-case hex ids, in reported order.
pub fn suites(r: &TargetReport, v: TlsVersion) -> Vec<String> {
    r.protocol(v)
        .map(|p| p.cipher_suites.iter().map(|s| s.id.clone()).collect())
        .unwrap_or_default()
}

/// Hex ids from numbers, for readable expectations.
pub fn ids(codes: &[u32]) -> Vec<String> {
    codes
        .iter()
        .map(|c| {
            if *c > 0xffff {
                format!("0x{c:06x}")
            } else {
                format!("0x{c:04x}")
            }
        })
        .collect()
}

/// The steps `tlsaudit serve`'s scan page shows as they finish, in order, for a TLS 1.3 server
/// scanned by address (no DNS, no mail step): what `web.rs` reads from the events and
/// `browser.rs` from the page.
pub const SERVE_STEPS: [&str; 12] = [
    "versions",
    "suites",
    "certs",
    "groups",
    "sigs",
    "features",
    "ech",
    "http",
    "weaknesses",
    "grade",
    "simulation",
    "policy",
];

/// Sorted copy, for set comparisons where the server follows the client's order.
pub fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

/// Generates DH parameters with `openssl genpkey` into `dir`.
pub fn dhparam(dir: &std::path::Path, name: &str, pkeyopt: &str) -> String {
    let path = dir.join(name);
    let out = std::process::Command::new("openssl")
        .args([
            "genpkey",
            "-genparam",
            "-algorithm",
            "DH",
            "-pkeyopt",
            pkeyopt,
            "-out",
        ])
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    path.to_string_lossy().into_owned()
}

/// Fails with every failure of a table-driven test, one per line, after all its cases ran.
pub fn assert_no_failures(failures: &[String], cases: usize) {
    assert!(
        failures.is_empty(),
        "{} of {cases} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Runs the `tlsaudit` binary with `args`: (exit code, -1 for a signal; stdout; stderr).
pub fn tlsaudit_output(args: &[&str]) -> (i32, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_tlsaudit"))
        .args(args)
        .output()
        .expect("the tlsaudit binary runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}
