//! The results store: `scan --store` writes every target as JSON Lines would hold it, and
//! `impact --store` / `diff --store` read it back (latest report per target, and the one
//! before).

use std::process::Command;

use fixtures::servers::{
    free_port, nginx, openssl_s_server, openssl_s_server_at, postgres, self_signed, KeyType,
};
use serde_json::Value;
use tlsaudit::store::Store;

use crate::common::require;
use crate::impact::scan_to_jsonl_with;

use crate::common::tlsaudit_output as tlsaudit;

/// The latest scan run of the store at `spec` holds exactly the `count` targets of the JSON
/// Lines at `jsonl`, each field for field.
fn assert_round_trip(spec: &str, jsonl: &std::path::Path, count: usize) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let stored = rt.block_on(async {
        let store = Store::open(spec).await.unwrap();
        let scan = store.latest_scan().await.unwrap().unwrap();
        store.scan_reports(scan).await.unwrap()
    });
    let lines: Vec<Value> = std::fs::read_to_string(jsonl)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(stored.len(), count);
    assert_eq!(lines.len(), count);
    for (report, line) in stored.iter().zip(&lines) {
        assert_eq!(&serde_json::to_value(report).unwrap(), line);
    }
}

#[test]
fn scans_round_trip_through_the_store_and_impact_and_diff_read_it() {
    if !require("openssl") || !require("nginx") {
        return;
    }
    let rsa = self_signed(KeyType::Rsa2048).unwrap();
    let legacy = openssl_s_server(
        "store-legacy",
        &rsa,
        &[
            "-no_tls1_3",
            "-cipher",
            "AES128-GCM-SHA256:ECDHE-RSA-AES128-SHA",
        ],
    )
    .unwrap();
    let modern = nginx(
        "store-modern",
        &rsa,
        "ssl_protocols TLSv1.2 TLSv1.3;\n    ssl_ciphers ECDHE-RSA-AES128-GCM-SHA256;",
    )
    .unwrap();
    let dead = format!("127.0.0.1:{}", free_port().unwrap());
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("results.db");
    let db_arg = db.to_string_lossy().into_owned();
    let first = dir.path().join("first.jsonl");
    let targets = [legacy.target(), modern.target(), dead.clone()];
    scan_to_jsonl_with(&targets, &first, &["--store", &db_arg]);

    // Lossless: every stored report is its JSON Lines line, field for field.
    assert_round_trip(&db_arg, &first, 3);

    // impact --store answers as impact over the file does.
    let impact = |source: &[&str]| {
        let mut args = vec!["impact"];
        args.extend(source);
        args.extend([
            "--client",
            "multisafepay-notifier",
            "--client-without",
            "0x009c,0xc013",
            "-f",
            "json",
        ]);
        let (code, out, err) = tlsaudit(&args);
        assert_eq!(code, 1, "{err}");
        serde_json::from_str::<Value>(&out).unwrap()
    };
    let from_store = impact(&["--store", &db_arg]);
    let from_file = impact(&[first.to_str().unwrap()]);
    assert_eq!(from_store, from_file);
    assert_eq!(
        from_store["endpoints"][0]["target"],
        legacy.target().as_str()
    );
    assert_eq!(from_store["endpoints"][0]["breaks"], true);

    // The legacy server reconfigured at the same address, scanned again into the store:
    // diff --store compares each target's latest report with the one before.
    let port = legacy.port();
    drop(legacy);
    let _again = openssl_s_server_at(
        "store-legacy-again",
        port,
        &rsa,
        &[
            "-no_tls1_3",
            "-cipher",
            "AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256",
        ],
    )
    .unwrap();
    let second = dir.path().join("second.jsonl");
    scan_to_jsonl_with(&targets, &second, &["--store", &db_arg]);
    let (code, out, err) = tlsaudit(&[
        "diff",
        "--store",
        &db_arg,
        "-f",
        "json",
        "--expiry-warn-days",
        "7",
    ]);
    assert_eq!(code, 1, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    let changed = &v["endpoints"][0];
    assert_eq!(changed["target"], targets[0].as_str());
    assert_eq!(
        changed["changes"],
        serde_json::json!([
            { "id": "suite.added", "message": "TLSv1.2 now accepts TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256" },
            { "id": "suite.removed", "message": "TLSv1.2 no longer accepts TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA" },
        ])
    );
    assert_eq!(v["summary"]["changed"], 1);
    assert_eq!(v["summary"]["unchanged"], 2);
    // The same diff from the two files.
    let (_, files, _) = tlsaudit(&[
        "diff",
        first.to_str().unwrap(),
        second.to_str().unwrap(),
        "-f",
        "json",
        "--expiry-warn-days",
        "7",
    ]);
    assert_eq!(serde_json::from_str::<Value>(&files).unwrap(), v);

    // Reading a store that is not there is a usage error that says how one is made.
    let (code, _, err) = tlsaudit(&["diff", "--store", "/nonexistent/x.db"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("no such file (a store is created by `tlsaudit scan --store"),
        "{err}"
    );
}

#[test]
fn a_postgres_store_round_trips_and_serves_impact_and_diff() {
    if !require("openssl") || !require("nginx") {
        return;
    }
    if fixtures::servers::postgres_bin_dir().is_none() && !require("initdb") {
        return;
    }
    let cert = self_signed(KeyType::Rsa2048).unwrap();
    let db = postgres("store-pg", &cert, &[]).unwrap();
    let url = format!("postgres://postgres@{}/postgres", db.target());
    let legacy = openssl_s_server(
        "pg-legacy",
        &cert,
        &["-no_tls1_3", "-cipher", "AES128-GCM-SHA256"],
    )
    .unwrap();
    let modern = nginx(
        "pg-modern",
        &cert,
        "ssl_protocols TLSv1.2 TLSv1.3;\n    ssl_ciphers ECDHE-RSA-AES128-GCM-SHA256;",
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let jsonl = dir.path().join("scan.jsonl");
    let targets = [legacy.target(), modern.target()];
    scan_to_jsonl_with(&targets, &jsonl, &["--store", &url]);
    assert_round_trip(&url, &jsonl, 2);

    let (code, out, err) = tlsaudit(&[
        "impact",
        "--store",
        &url,
        "--client",
        "multisafepay-notifier",
        "--client-without",
        "0x009c",
        "-f",
        "json",
    ]);
    assert_eq!(code, 1, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["endpoints"][0]["target"], legacy.target().as_str());
    assert_eq!(v["endpoints"][0]["breaks"], true);
    assert_eq!(v["summary"]["breaks"], 1);

    // A second run into the same database (its schema already there): nothing changed.
    scan_to_jsonl_with(&targets, &jsonl, &["--store", &url]);
    let (code, out, err) = tlsaudit(&["diff", "--store", &url, "--expiry-warn-days", "7"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.ends_with(": 2 endpoints: 0 changed, 0 added, 0 removed, 2 unchanged\n"),
        "{out}"
    );
}

/// The Kubernetes Indexed Job, run here as the Job runs it: N workers started at once with the
/// same list, each with its JOB_COMPLETION_INDEX and the shard count, writing one PostgreSQL
/// store. Every target is scanned exactly once.
#[test]
fn sharded_workers_cover_the_list_exactly_once_in_one_postgres_store() {
    if !require("openssl") {
        return;
    }
    if fixtures::servers::postgres_bin_dir().is_none() && !require("initdb") {
        return;
    }
    let cert = self_signed(KeyType::Rsa2048).unwrap();
    let db = postgres("shard-pg", &cert, &[]).unwrap();
    let url = format!("postgres://postgres@{}/postgres", db.target());
    let a = openssl_s_server("shard-a", &cert, &[]).unwrap();
    let b = openssl_s_server("shard-b", &cert, &["-no_tls1_3"]).unwrap();
    let dead: Vec<u16> = (0..5).map(|_| free_port().unwrap()).collect();
    let mut ports = vec![a.port(), b.port()];
    ports.extend(&dead);
    let ports: Vec<String> = ports.iter().map(u16::to_string).collect();
    let block = format!("127.0.0.1/32:{}", ports.join(","));
    let workers: Vec<std::process::Child> = (0..3)
        .map(|index| {
            Command::new(env!("CARGO_BIN_EXE_tlsaudit"))
                .args([
                    "scan",
                    &block,
                    "--shard",
                    "auto",
                    "--store",
                    &url,
                    "--policy",
                    "none",
                    "--clients",
                    "none",
                    "--only",
                    "suites",
                    "--retries",
                    "0",
                    "-f",
                    "jsonl",
                    "-q",
                ])
                .env("JOB_COMPLETION_INDEX", index.to_string())
                .env("TLSAUDIT_SHARD_COUNT", "3")
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for w in workers {
        let out = w.wait_with_output().unwrap();
        assert!(
            matches!(out.status.code(), Some(0 | 3)),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (latest, previous) = rt.block_on(async {
        let store = Store::open(&url).await.unwrap();
        let mut latest = Vec::new();
        store
            .for_each_nth_latest(1, |t| latest.push(t.facts.target.clone()))
            .await
            .unwrap();
        let mut previous = Vec::new();
        store
            .for_each_nth_latest(2, |t| previous.push(t.facts.target.clone()))
            .await
            .unwrap();
        (latest, previous)
    });
    let mut expected: Vec<String> = ports.iter().map(|p| format!("127.0.0.1:{p}")).collect();
    expected.sort();
    assert_eq!(latest, expected, "every target scanned");
    assert!(previous.is_empty(), "none twice: {previous:?}");
}

#[test]
fn resume_by_run_name_skips_what_the_store_holds_for_that_run() {
    if !require("openssl") {
        return;
    }
    let cert = self_signed(KeyType::Rsa2048).unwrap();
    let a = openssl_s_server("run-a", &cert, &[]).unwrap();
    let dead = format!("127.0.0.1:{}", free_port().unwrap());
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("runs.db").to_string_lossy().into_owned();
    let scan = |targets: &[&str], extra: &[&str]| {
        let mut args = vec![
            "scan",
            "--store",
            &db,
            "--policy",
            "none",
            "--clients",
            "none",
            "--only",
            "suites",
            "--retries",
            "0",
            "-f",
            "jsonl",
        ];
        args.extend(extra);
        args.extend(targets);
        tlsaudit(&args)
    };
    let (code, _, err) = scan(&[&a.target()], &["--run", "night-1", "-q"]);
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = scan(&[&a.target(), &dead], &["--run", "night-1", "--resume"]);
    assert_eq!(code, 3, "{err}");
    assert!(
        err.contains(&format!(
            "resuming run 'night-1' of {db}: 1 of 2 targets already there, 1 to scan"
        )),
        "{err}"
    );
    // Another night's name resumes nothing.
    let (_, _, err) = scan(&[&a.target()], &["--run", "night-2", "--resume"]);
    assert!(
        err.contains("0 of 1 targets already there, 1 to scan"),
        "{err}"
    );
    let rt = tokio::runtime::Runtime::new().unwrap();
    let mut night1 = rt.block_on(async {
        Store::open(&db)
            .await
            .unwrap()
            .targets_in_run("night-1")
            .await
            .unwrap()
    });
    night1.sort();
    let mut expected = vec![a.target(), dead];
    expected.sort();
    assert_eq!(night1, expected, "every target in the run");
}
