//! The command line: parse what the user typed, build the real objects, run, pick an exit code.
//!
//! Exit codes mean one thing each: 0 done (and compliant, once policies judge), 2 usage or
//! configuration error, 3 a target could not be scanned. A closed pipe is not an error.

use std::io::{BufRead, IsTerminal, Write};
use std::net::IpAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::{Args, Parser, Subcommand};
use futures::StreamExt;

use crate::engine::{Engine, EngineConfig};
use crate::render::{self, text::Style, Format};
use crate::report::{ScanReport, TargetReport, TlsVersion, ToolInfo, SCHEMA_VERSION};
use crate::scan::{self, ScanOptions, Target};

pub const EXIT_OK: u8 = 0;
pub const EXIT_USAGE: u8 = 2;
pub const EXIT_UNREACHABLE: u8 = 3;

#[derive(Parser, Debug)]
#[command(name = "tlsaudit", version, about = "TLS scanner and compliance checker", after_help = EXIT_HELP)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

const EXIT_HELP: &str = "Exit codes: 0 scan completed, 2 usage or configuration error, 3 a target could not be scanned.";

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Scan servers: protocol versions and every cipher suite they accept.
    Scan(ScanArgs),
    /// Check a TLS client: capture its ClientHello, judge it against a server policy
    /// (exit 0 compliant, 1 not compliant, 3 no client connected).
    Client(crate::client::ClientArgs),
    /// Start local TLS servers on loopback with contrasting configurations and scan them (offline).
    Demo(DemoArgs),
    /// Print the JSON Schema of the scan report.
    Schema,
}

#[derive(Args, Debug, Clone)]
pub struct ScanArgs {
    /// HOST[:PORT] targets (port 443 by default; IPv6 as [::1]:443). `-` reads targets from stdin.
    pub targets: Vec<String>,
    /// Read targets from FILE, one per line (`-` for stdin; blank lines and # comments skipped).
    #[arg(short = 'i', long = "input", value_name = "FILE")]
    pub input: Option<String>,
    /// Send NAME in SNI instead of the target's host name.
    #[arg(long, value_name = "NAME", conflicts_with = "no_sni")]
    pub sni: Option<String>,
    /// Send no SNI.
    #[arg(long)]
    pub no_sni: bool,
    /// Connect to ADDR instead of resolving the host name (SNI still names the host).
    #[arg(long, value_name = "ADDR")]
    pub ip: Option<IpAddr>,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Write the report to FILE instead of stdout.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Protocol versions to scan, comma-separated (e.g. tls1.2,tls1.3). Default: SSLv2 to TLS 1.3.
    #[arg(long, value_delimiter = ',', value_parser = parse_version)]
    pub versions: Vec<TlsVersion>,
    /// Connections open at once to one host.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..=64))]
    pub per_host: u32,
    /// Connections open at once across all hosts.
    #[arg(long, default_value_t = 256, value_parser = clap::value_parser!(u32).range(1..=65536))]
    pub max_connections: u32,
    /// Targets scanned at once.
    #[arg(long, default_value_t = 32, value_parser = clap::value_parser!(u32).range(1..=10000))]
    pub concurrency: u32,
    /// Seconds to wait for a TCP connection.
    #[arg(long, default_value_t = 5.0)]
    pub connect_timeout: f64,
    /// Seconds to wait for a server's whole answer to one hello.
    #[arg(long, default_value_t = 8.0)]
    pub timeout: f64,
    /// Extra attempts after a connect failure or a silent server.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(0..=5))]
    pub retries: u32,
}

#[derive(Args, Debug, Clone)]
pub struct DemoArgs {
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

fn parse_version(s: &str) -> Result<TlsVersion, String> {
    TlsVersion::parse(s)
        .ok_or_else(|| format!("unknown protocol version '{s}' (use ssl2, ssl3, tls1.0 … tls1.3)"))
}

fn seconds(what: &str, s: f64) -> Result<Duration, String> {
    if s.is_finite() && s > 0.0 && s <= 600.0 {
        Ok(Duration::from_secs_f64(s))
    } else {
        Err(format!(
            "--{what} must be between 0 and 600 seconds, not {s}"
        ))
    }
}

/// Entry point of the binary.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { EXIT_USAGE } else { EXIT_OK };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("tlsaudit: cannot start the runtime: {e}");
            return ExitCode::from(EXIT_USAGE);
        }
    };
    let code = rt.block_on(async {
        match cli.command {
            Command::Scan(args) => run_scan(args).await,
            Command::Client(args) => crate::client::run(args).await,
            Command::Demo(args) => crate::demo::run(args.format).await,
            Command::Schema => {
                print!("{}", crate::report::json_schema());
                Ok(EXIT_OK)
            }
        }
    });
    match code {
        Ok(c) => ExitCode::from(c),
        Err(e) => {
            eprintln!("tlsaudit: {e:#}");
            ExitCode::from(EXIT_USAGE)
        }
    }
}

/// Reads the targets from the arguments and `-i`.
fn collect_targets(args: &ScanArgs) -> anyhow::Result<Vec<String>> {
    let mut raw = Vec::new();
    let mut read_list = |name: &str| -> anyhow::Result<()> {
        let reader: Box<dyn BufRead> = if name == "-" {
            Box::new(std::io::BufReader::new(std::io::stdin()))
        } else {
            Box::new(std::io::BufReader::new(std::fs::File::open(name).map_err(
                |e| anyhow::anyhow!("cannot read target list {name}: {e}"),
            )?))
        };
        for line in reader.lines() {
            let line = line?;
            let t = line.split('#').next().unwrap_or("").trim();
            if !t.is_empty() {
                raw.push(t.to_string());
            }
        }
        Ok(())
    };
    for t in &args.targets {
        if t == "-" {
            read_list("-")?;
        }
    }
    if let Some(i) = &args.input {
        read_list(i)?;
    }
    raw.extend(args.targets.iter().filter(|t| *t != "-").cloned());
    Ok(raw)
}

pub fn engine_config(args: &ScanArgs) -> anyhow::Result<EngineConfig> {
    Ok(EngineConfig {
        connect_timeout: seconds("connect-timeout", args.connect_timeout)
            .map_err(anyhow::Error::msg)?,
        read_timeout: seconds("timeout", args.timeout).map_err(anyhow::Error::msg)?,
        per_host_limit: args.per_host as usize,
        global_limit: args.max_connections as usize,
        retries: args.retries,
        ..EngineConfig::default()
    })
}

pub fn scan_options(args: &ScanArgs) -> ScanOptions {
    let mut versions = if args.versions.is_empty() {
        TlsVersion::ALL.to_vec()
    } else {
        args.versions.clone()
    };
    versions.sort();
    versions.dedup();
    ScanOptions {
        versions,
        sni: args.sni.clone(),
        no_sni: args.no_sni,
        ip: args.ip,
    }
}

/// `tlsaudit scan`.
pub async fn run_scan(args: ScanArgs) -> anyhow::Result<u8> {
    let raw = collect_targets(&args)?;
    if raw.is_empty() {
        anyhow::bail!("no targets: give HOST[:PORT] arguments or -i FILE");
    }
    let cfg = engine_config(&args)?;
    let opts = scan_options(&args);
    let out: Box<dyn Write + Send> = match &args.output {
        Some(p) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(p)
                .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", p.display()))?,
        )),
        None => Box::new(std::io::stdout()),
    };
    let style = Style::detect(args.output.is_none() && std::io::stdout().is_terminal());
    let report = scan_and_render(
        raw,
        Engine::new(cfg),
        opts,
        args.concurrency as usize,
        args.format,
        out,
        style,
    )
    .await?;
    Ok(if report.targets.iter().any(|t| t.error.is_some()) {
        EXIT_UNREACHABLE
    } else {
        EXIT_OK
    })
}

/// Scans every target (a bad one is an entry with an error, never the end of the run) and
/// renders as results arrive, in input order.
pub async fn scan_and_render(
    raw: Vec<String>,
    engine: Engine,
    opts: ScanOptions,
    concurrency: usize,
    format: Format,
    mut out: Box<dyn Write + Send>,
    style: Style,
) -> anyhow::Result<ScanReport> {
    let started_at = time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    let started = Instant::now();
    let mut stream = futures::stream::iter(raw.into_iter().map(|input| {
        let engine = engine.clone();
        let opts = opts.clone();
        async move {
            match Target::parse(&input, 443) {
                Ok(t) => scan::scan_target(&engine, &t, &opts).await.0,
                Err(e) => TargetReport {
                    target: input,
                    error: Some(e),
                    ..Default::default()
                },
            }
        }
    }))
    .buffered(concurrency.max(1));
    let mut targets = Vec::new();
    let mut pipe_open = true;
    while let Some(t) = stream.next().await {
        let written = match format {
            Format::Text => render::text::target(&mut out, &t, &style),
            Format::Jsonl => render::jsonl(&mut out, &t),
            Format::Json => Ok(()),
        };
        pipe_open &= !is_broken_pipe(written)?;
        targets.push(t);
    }
    let report = ScanReport {
        schema_version: SCHEMA_VERSION.into(),
        tool: ToolInfo::default(),
        started_at,
        duration_ms: started.elapsed().as_millis() as u64,
        targets,
    };
    if format == Format::Json && pipe_open {
        is_broken_pipe(render::json(&mut out, &report))?;
    }
    if pipe_open {
        is_broken_pipe(out.flush())?;
    }
    Ok(report)
}

/// A closed pipe (e.g. `| head`) is not an error: stop writing quietly.
fn is_broken_pipe(r: std::io::Result<()>) -> anyhow::Result<bool> {
    match r {
        Ok(()) => Ok(false),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(true),
        Err(e) => Err(e.into()),
    }
}
