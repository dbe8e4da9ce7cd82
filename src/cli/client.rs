//! `tlsaudit client`: the command's flags and its two modes (listen, and one-shot `--exec`)
//! over the library's capture server ([`tlsaudit::client`]).

use std::io::{IsTerminal, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::atomic::Ordering;
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use tokio::time::Instant;

use tlsaudit::client::{
    report, CaptureLimits, CaptureServer, Certs, CheckOutcome, ClientReport, ExecReport,
    ServerOptions, ServerProfile,
};
use tlsaudit::render::{text::Style, Format};

use super::exit::Exit;

#[derive(Args, Debug, Clone)]
pub(crate) struct ClientArgs {
    /// Address the capture server listens on (point any client at https://ADDR/).
    #[arg(
        long,
        value_name = "ADDR",
        default_value = "127.0.0.1:8443",
        conflicts_with = "exec"
    )]
    listen: SocketAddr,
    /// One-shot: listen on an ephemeral loopback port, run COMMAND with `sh -c` ({url}, {host}
    /// and {port} substituted), report the ClientHellos it sent and exit by the verdict.
    #[arg(long, value_name = "COMMAND")]
    exec: Option<String>,
    /// Judge clients against this server policy: a built-in profile (`tlsaudit policy list`) or a TOML file.
    #[arg(long, default_value = "multisafepay")]
    policy: String,
    /// Output format (listen mode writes one JSON object per line for json and jsonl).
    #[arg(long, short = 'f', value_parser = super::format_parser(), default_value = "text")]
    format: Format,
    /// Seconds to wait for a client's ClientHello (and, with --exec, for COMMAND to connect
    /// and, once it has, to finish).
    #[arg(long, default_value_t = 10.0)]
    timeout: f64,
    /// PEM certificate chain to present instead of the throwaway ones made at start-up.
    #[arg(long, value_name = "FILE", requires = "key")]
    cert: Option<PathBuf>,
    /// PEM private key of --cert.
    #[arg(long, value_name = "FILE", requires = "cert")]
    key: Option<PathBuf>,
    #[command(flatten)]
    save: super::save_profile::SaveProfileArgs,
}

/// Substitutes `{url}`, `{host}` and `{port}`.
fn substitute(command: &str, addr: SocketAddr) -> String {
    let host = match addr {
        SocketAddr::V4(a) => a.ip().to_string(),
        SocketAddr::V6(a) => format!("[{}]", a.ip()),
    };
    command
        .replace("{url}", &format!("https://{host}:{}/", addr.port()))
        .replace("{host}", &host)
        .replace("{port}", &addr.port().to_string())
}

fn options(args: &ClientArgs) -> anyhow::Result<ServerOptions> {
    if !matches!(args.format, Format::Text | Format::Json | Format::Jsonl) {
        anyhow::bail!("tlsaudit client writes text, json or jsonl");
    }
    let profile = ServerProfile::load(&args.policy)?;
    if !(args.timeout.is_finite() && args.timeout > 0.0 && args.timeout <= 600.0) {
        anyhow::bail!(
            "--timeout must be between 0 and 600 seconds, not {}",
            args.timeout
        );
    }
    let certs = match (&args.cert, &args.key) {
        (Some(c), Some(k)) => Certs::user(c, k)?,
        _ => Certs::generate()?,
    };
    Ok(ServerOptions {
        profile,
        limits: CaptureLimits {
            timeout: Duration::from_secs_f64(args.timeout),
            ..CaptureLimits::default()
        },
        certs,
    })
}

fn write_report(
    out: &mut dyn Write,
    r: &ClientReport,
    format: Format,
    style: &Style,
) -> std::io::Result<()> {
    match format {
        Format::Text => {
            tlsaudit::client::text::text(out, r, style)?;
            writeln!(out)
        }
        // JSON and JSON Lines (`options` refuses the policy-report formats).
        _ => {
            serde_json::to_writer(&mut *out, r)?;
            writeln!(out)
        }
    }
}

/// `tlsaudit client`.
pub(crate) async fn run(args: ClientArgs) -> anyhow::Result<Exit> {
    let opts = options(&args)?;
    match &args.exec {
        Some(cmd) => run_exec(cmd, &args, opts).await,
        None => run_listen(&args, opts).await,
    }
}

async fn run_listen(args: &ClientArgs, opts: ServerOptions) -> anyhow::Result<Exit> {
    let policy = opts.profile.name.clone();
    let server = CaptureServer::bind(args.listen, opts).await?;
    let addr = server.local_addr()?;
    eprintln!(
        "tlsaudit client: listening on {} (policy {policy}); point a client at it, Ctrl-C to stop",
        substitute("{url}", addr)
    );
    let mut rx = server.spawn();
    let style = Style::detect(std::io::stdout().is_terminal());
    let mut out = std::io::stdout();
    let mut saved = args.save.save_profile.is_none();
    loop {
        tokio::select! {
            r = rx.recv() => {
                let Some(r) = r else { return Ok(Exit::Ok) };
                if !saved && r.hello.is_some() {
                    saved = args.save.save(std::slice::from_ref(&r), None)?;
                }
                match write_report(&mut out, &r, args.format, &style).and_then(|_| out.flush()) {
                    Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => return Ok(Exit::Ok),
                    Err(e) => return Err(e.into()),
                    Ok(()) => {}
                }
            }
            _ = tokio::signal::ctrl_c() => return Ok(Exit::Ok),
        }
    }
}

async fn run_exec(command: &str, args: &ClientArgs, opts: ServerOptions) -> anyhow::Result<Exit> {
    let timeout = opts.limits.timeout;
    let policy = opts.profile.name.clone();
    let server = CaptureServer::bind(([127, 0, 0, 1], 0).into(), opts).await?;
    let addr = server.local_addr()?;
    let in_flight = server.in_flight();
    let mut rx = server.spawn();
    let command = substitute(command, addr);
    // The command's output goes to our stderr so that stdout carries only the report.
    let mut child = tokio::process::Command::new("sh")
        .arg("-c")
        .arg(&command)
        .stdin(Stdio::null())
        .stdout(Stdio::from(std::io::stderr()))
        // Its own process group, so that a timeout stops the whole pipeline, not just `sh`.
        .process_group(0)
        .kill_on_drop(true)
        .spawn()
        .with_context(|| format!("running sh -c {command:?}"))?;
    let mut reports: Vec<ClientReport> = Vec::new();
    let mut status = None;
    let started = Instant::now();
    let mut last_activity = started;
    let mut exited_at = None;
    // Every connection handler ends on its own (each of its waits is bounded by `timeout`),
    // so: stop when the command has exited and no connection is open, or when nothing has
    // happened for `timeout`, with a hard cap in case a client keeps reconnecting.
    loop {
        tokio::select! {
            r = rx.recv() => match r {
                Some(r) => {
                    reports.push(r);
                    last_activity = Instant::now();
                }
                None => break,
            },
            s = child.wait(), if status.is_none() => {
                status = Some(s.context("waiting for the command")?);
                exited_at = Some(Instant::now());
            }
            _ = tokio::time::sleep(Duration::from_millis(50)) => {}
        }
        let now = Instant::now();
        let open = in_flight.load(Ordering::SeqCst);
        if open > 0 {
            last_activity = now;
        }
        let settled = exited_at.is_some_and(|t| now >= t + Duration::from_millis(200));
        let idle = open == 0 && (settled || now >= last_activity + timeout);
        if idle || now >= started + timeout * 4 {
            break;
        }
    }
    while let Ok(r) = rx.try_recv() {
        reports.push(r);
    }
    if status.is_none() {
        if let Some(pgid) = child.id() {
            let _ = std::process::Command::new("kill")
                .args(["-KILL", "--", &format!("-{pgid}")])
                .stderr(Stdio::null())
                .status();
        }
        let _ = child.start_kill();
        let _ = child.wait().await;
        eprintln!(
            "tlsaudit client: the command was still running after {} s; stopped it",
            timeout.as_secs_f64()
        );
    }
    args.save.save(&reports, args.exec.as_deref())?;
    let outcome = CheckOutcome::of(&reports);
    if outcome == CheckOutcome::NoClient && reports.is_empty() {
        eprintln!(
            "tlsaudit client: no client connected to {} within {} s",
            substitute("{url}", addr),
            timeout.as_secs_f64()
        );
    }
    let style = Style::detect(std::io::stdout().is_terminal());
    let mut out = std::io::stdout().lock();
    let written = match args.format {
        Format::Json => {
            let doc = ExecReport {
                schema_version: report::CLIENT_SCHEMA_VERSION.into(),
                policy,
                command,
                command_exit_code: status.and_then(|s| s.code()),
                compliant: outcome.compliant(),
                clients: reports,
            };
            serde_json::to_writer_pretty(&mut out, &doc)
                .map_err(std::io::Error::from)
                .and_then(|_| writeln!(out))
        }
        f => reports
            .iter()
            .try_for_each(|r| write_report(&mut out, r, f, &style)),
    };
    match written.and_then(|_| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => return Err(e.into()),
        _ => {}
    }
    Ok(outcome.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn substitution() {
        let a: SocketAddr = "127.0.0.1:4433".parse().unwrap();
        assert_eq!(
            substitute("curl -sk {url} # {host} {port}", a),
            "curl -sk https://127.0.0.1:4433/ # 127.0.0.1 4433"
        );
        let a: SocketAddr = "[::1]:8443".parse().unwrap();
        assert_eq!(substitute("{url}", a), "https://[::1]:8443/");
    }
}
