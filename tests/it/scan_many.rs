//! Scanning many: `scan --resume` (a run killed while writing its JSON Lines is resumed; only
//! the targets missing from the output are scanned, the torn last line is cut off), CIDR
//! blocks with port lists as targets, and `--rate`.

use std::process::Command;

use fixtures::servers::{free_port, openssl_s_server, self_signed, KeyType};

use crate::common::{require, sorted};

fn scan(args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_tlsaudit"))
        .arg("scan")
        .args(args)
        .args([
            "--policy",
            "none",
            "--sni",
            "localhost",
            "--clients",
            "none",
            "--only",
            "suites",
            "--retries",
            "0",
            "-f",
            "jsonl",
        ])
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The targets of a JSON Lines output, sorted: lines are written as scans finish, in
/// whatever order that is.
fn targets_of(text: &str) -> Vec<String> {
    sorted(
        text.lines()
            .map(|l| {
                let v: serde_json::Value = serde_json::from_str(l).unwrap();
                v["target"].as_str().unwrap().to_string()
            })
            .collect(),
    )
}

#[test]
fn resume_after_a_killed_run_scans_only_what_is_missing() {
    if !require("openssl") {
        return;
    }
    let cert = self_signed(KeyType::Rsa2048).unwrap();
    let a = openssl_s_server("resume-a", &cert, &[]).unwrap();
    let b = openssl_s_server("resume-b", &cert, &["-no_tls1_3"]).unwrap();
    let dead = format!("127.0.0.1:{}", free_port().unwrap());
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.jsonl");
    let out_arg = out.to_string_lossy().into_owned();
    let (code, err) = scan(&[&a.target(), "-o", &out_arg, "-q"]);
    assert_eq!(code, 0, "{err}");
    let first = std::fs::read_to_string(&out).unwrap();
    // The run was killed while writing b's line.
    let torn = format!("{first}{{\"target\":\"{}\",\"host\":\"127.0", b.target());
    std::fs::write(&out, &torn).unwrap();
    let list = dir.path().join("targets.txt");
    std::fs::write(&list, format!("{}\n{}\n{dead}\n", a.target(), b.target())).unwrap();
    let list_arg = list.to_string_lossy().into_owned();

    let (code, err) = scan(&["-i", &list_arg, "-o", &out_arg, "--resume"]);
    assert_eq!(code, 3, "the dead target is unreachable: exit 3 ({err})");
    assert!(
        err.contains(&format!(
            "resuming {out_arg}: 1 of 3 targets already there, 2 to scan"
        )),
        "{err}"
    );
    let resumed = std::fs::read_to_string(&out).unwrap();
    assert!(
        resumed.starts_with(&first),
        "the earlier line is kept byte for byte"
    );
    assert_eq!(
        targets_of(&resumed),
        sorted(vec![a.target(), b.target(), dead.clone()])
    );

    // Nothing left: nothing scanned, the file untouched.
    let (code, err) = scan(&["-i", &list_arg, "-o", &out_arg, "--resume"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("3 of 3 targets already there, 0 to scan"),
        "{err}"
    );
    assert_eq!(std::fs::read_to_string(&out).unwrap(), resumed);

    // --resume appends JSON Lines to a file, nothing else.
    let (code, err) = scan(&[&a.target(), "--resume"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("--resume needs what to resume: -o FILE"),
        "{err}"
    );
}

#[test]
fn a_cidr_block_with_ports_is_every_address_at_every_port_and_shards_by_target() {
    if !require("openssl") {
        return;
    }
    let cert = self_signed(KeyType::Rsa2048).unwrap();
    let a = openssl_s_server("cidr-a", &cert, &[]).unwrap();
    let b = openssl_s_server("cidr-b", &cert, &[]).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.jsonl");
    let out_arg = out.to_string_lossy().into_owned();
    let block = format!("127.0.0.1/32:{},{}", a.port(), b.port());
    let (code, err) = scan(&[&block, "-o", &out_arg, "-q"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        targets_of(&std::fs::read_to_string(&out).unwrap()),
        sorted(vec![a.target(), b.target()])
    );
    // The same block in a list file (read as the scan goes), beside a comment.
    let list = dir.path().join("targets.txt");
    std::fs::write(&list, format!("# the estate\n\n{block}  # two ports\n")).unwrap();
    let list_arg = list.to_string_lossy().into_owned();
    let (code, err) = scan(&["-i", &list_arg, "-o", &out_arg, "-q", "--shard", "2/2"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        targets_of(&std::fs::read_to_string(&out).unwrap()),
        [b.target()]
    );
    let (code, err) = scan(&["127.0.0.1/33:443", "-q"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("target '127.0.0.1/33:443': '/33' is not a prefix length (0 to 32)"),
        "{err}"
    );
}

#[test]
fn rate_spaces_new_connections_evenly() {
    if !require("openssl") {
        return;
    }
    let cert = self_signed(KeyType::Rsa2048).unwrap();
    let s = openssl_s_server("rate", &cert, &[]).unwrap();
    let run = |rate: Option<&str>| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_tlsaudit"));
        cmd.args([
            "scan",
            &s.target(),
            "--policy",
            "none",
            "--clients",
            "none",
            "--only",
            "versions",
            "-f",
            "json",
            "-q",
        ]);
        if let Some(r) = rate {
            cmd.args(["--rate", r]);
        }
        let out = cmd.output().unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        (
            v["targets"][0]["connections"].as_u64().unwrap(),
            v["targets"][0]["duration_ms"].as_u64().unwrap(),
        )
    };
    let (connections, fast) = run(None);
    assert!(connections >= 5, "{connections}");
    // Ten a second: the n-th connection opens no sooner than (n - 1) / 10 s after the first.
    let (paced_connections, paced) = run(Some("10"));
    assert_eq!(paced_connections, connections);
    assert!(
        paced >= (connections - 1) * 100 - 20,
        "{connections} connections at 10/s took {paced} ms (unpaced {fast} ms)"
    );
    let out = Command::new(env!("CARGO_BIN_EXE_tlsaudit"))
        .args(["scan", &s.target(), "--rate", "0"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn ctrl_c_writes_every_finished_target_and_resume_scans_the_rest() {
    if !require("openssl") {
        return;
    }
    let cert = self_signed(KeyType::Rsa2048).unwrap();
    let s = openssl_s_server("interrupt", &cert, &[]).unwrap();
    // Accepts TCP (the kernel's backlog) and never answers: the scan waits on it.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let silent_target = silent.local_addr().unwrap().to_string();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.jsonl");
    let out_arg = out.to_string_lossy().into_owned();
    let list = dir.path().join("targets.txt");
    std::fs::write(&list, format!("{}\n{silent_target}\n", s.target())).unwrap();
    let list_arg = list.to_string_lossy().into_owned();
    let args = |timeout: &str| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_tlsaudit"));
        c.args([
            "scan",
            "-i",
            &list_arg,
            "-o",
            &out_arg,
            "-f",
            "jsonl",
            "--policy",
            "none",
            "--sni",
            "localhost",
            "--clients",
            "none",
            "--only",
            "suites",
            "--retries",
            "0",
            "--timeout",
            timeout,
            "-q",
        ]);
        c
    };
    let child = args("60")
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Wait for the first target's line, then Ctrl-C.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !std::fs::read_to_string(&out)
        .unwrap_or_default()
        .contains('\n')
    {
        assert!(std::time::Instant::now() < deadline, "no target written");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let done = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&done.stderr);
    assert_eq!(done.status.code(), Some(130), "{err}");
    assert!(
        err.contains("interrupted: 1 finished target written; the same command with --resume"),
        "{err}"
    );
    let first = std::fs::read_to_string(&out).unwrap();
    assert_eq!(targets_of(&first), [s.target()]);
    assert!(first.ends_with('\n'), "nothing half-written");

    // The silent server gone (refused at once), the same command with --resume finishes.
    drop(silent);
    let resumed = args("5").arg("--resume").output().unwrap();
    assert_eq!(
        resumed.status.code(),
        Some(3),
        "the last target is unreachable"
    );
    let all = std::fs::read_to_string(&out).unwrap();
    assert!(all.starts_with(&first));
    assert_eq!(targets_of(&all), sorted(vec![s.target(), silent_target]));
}
