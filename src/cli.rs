//! The command line: parse what the user typed, build the real objects, run, pick an exit code.
//!
//! Exit codes mean one thing each: 0 compliant (with `--policy none`: scanned), 1 not compliant,
//! 2 usage or configuration error, 3 a target could not be scanned, or not fully enough to judge
//! it. A closed pipe is not an error.

use std::io::{BufRead, IsTerminal, Write};
use std::net::IpAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::{Args, Parser, Subcommand};
use futures::StreamExt;

use crate::audit::{scan_all, Judge, RunOutcome, Tally};
use crate::enumerate::ScanOptions;
use crate::facts::Stage;
use crate::facts::{Severity, TlsVersion};
use crate::grade::Letter;
use crate::policy;
use crate::probe::engine::{Engine, EngineConfig};
use crate::progress::Progress;
use crate::render::{self, text::Style, Format};
use crate::report::{now_rfc3339, ScanReport, TargetReport};

pub const EXIT_OK: u8 = 0;
pub const EXIT_NOT_COMPLIANT: u8 = 1;
pub const EXIT_USAGE: u8 = 2;
pub const EXIT_UNREACHABLE: u8 = 3;

#[derive(Parser, Debug)]
#[command(name = "tlsaudit", version, about = "TLS scanner and compliance checker", after_help = EXIT_HELP)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

const EXIT_HELP: &str = "Exit codes: 0 compliant (with --policy none: every target scanned), 1 not compliant, \
2 usage or configuration error, 3 a target could not be scanned (or not fully enough to judge it: INCOMPLETE).";

// Parsed once per run: the size of the largest variant does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Scan servers: protocol versions and every cipher suite they accept, judged by a policy.
    #[command(after_help = EXIT_HELP)]
    Scan(ScanArgs),
    /// Check a TLS client: capture its ClientHello, judge it against a server policy
    /// (exit 0 compliant, 1 not compliant, 3 no client connected).
    Client(crate::client::ClientArgs),
    /// Start local TLS servers on loopback with contrasting configurations and scan them (offline).
    Demo(DemoArgs),
    /// Print the JSON Schema of a report: `scan` (the default) or `client`.
    Schema {
        /// Which report: `scan` (`tlsaudit scan --format json`) or `client` (`tlsaudit client --format json`).
        #[arg(value_enum, default_value_t = SchemaKind::Scan)]
        report: SchemaKind,
    },
    /// Policies: list the built-in profiles, print one as TOML, judge a saved JSON report.
    #[command(subcommand)]
    Policy(PolicyCommand),
    /// Serve a web page and a JSON API that scan servers (loopback targets only unless --allow).
    Serve(crate::serve::ServeArgs),
}

/// The reports `tlsaudit schema` describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SchemaKind {
    /// `tlsaudit scan --format json` (schema/scan-report.schema.json).
    Scan,
    /// `tlsaudit client --format json` (schema/client-report.schema.json).
    Client,
}

#[derive(Subcommand, Debug)]
pub enum PolicyCommand {
    /// List the built-in profiles.
    List,
    /// Print a profile as TOML (copy it, edit it, pass the file to --policy).
    Show {
        /// A built-in profile name or a TOML file.
        name: String,
    },
    /// Judge a saved report (`scan --format json` or `jsonl`) without scanning again.
    #[command(after_help = EXIT_HELP)]
    Check(CheckArgs),
}

/// How a policy judges: which one, which severity fails, which rules to leave out.
#[derive(Args, Debug, Clone)]
pub struct JudgeArgs {
    /// Policy: a built-in profile (see `tlsaudit policy list`), a TOML file, or `none` for facts only.
    #[arg(long, value_name = "NAME|FILE", default_value = policy::profiles::DEFAULT)]
    pub policy: String,
    /// The lowest severity of a failed rule that makes a target NOT COMPLIANT.
    #[arg(long, value_enum, default_value_t = FailOn::Error)]
    pub fail_on: FailOn,
    /// Leave out these rules (ids, comma-separated or repeated), e.g. a waiver in CI.
    #[arg(long, value_name = "ID", value_delimiter = ',')]
    pub ignore_rule: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FailOn {
    Error,
    Warning,
    Info,
}

impl From<FailOn> for Severity {
    fn from(f: FailOn) -> Severity {
        match f {
            FailOn::Error => Severity::Error,
            FailOn::Warning => Severity::Warning,
            FailOn::Info => Severity::Info,
        }
    }
}

#[derive(Args, Debug, Clone)]
pub struct CheckArgs {
    /// A JSON report from `tlsaudit scan --format json` (or JSON Lines from `--format jsonl`); `-` reads stdin.
    pub report: String,
    #[command(flatten)]
    pub judge: JudgeArgs,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Write the result to FILE instead of stdout.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// The judge `--policy`, `--fail-on` and `--ignore-rule` name; `None` for `--policy none`.
pub fn judge_from_args(args: &JudgeArgs) -> anyhow::Result<Option<Judge>> {
    if args.policy == "none" {
        if !args.ignore_rule.is_empty() {
            anyhow::bail!("--ignore-rule needs a policy, not --policy none");
        }
        return Ok(None);
    }
    Ok(Some(Judge::load(
        &args.policy,
        args.fail_on.into(),
        &args.ignore_rule,
    )?))
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
    /// Speak PROTO's STARTTLS before TLS on every connection (default port: smtp 25, imap 143,
    /// pop3 110, postgres 5432 (SSLRequest), ftp 21 (AUTH TLS), xmpp 5222 (client
    /// stream to the SNI name or the host)).
    #[arg(long, value_enum, value_name = "PROTO")]
    pub starttls: Option<crate::probe::starttls::Starttls>,
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
    /// Fail (exit 1) when a target's grade is below LETTER (A+, A, A-, B, C, D, E, F); a T or M
    /// grade (certificate not trusted / not for this name) never meets it.
    #[arg(long, value_name = "LETTER", value_parser = parse_grade)]
    pub min_grade: Option<Letter>,
    /// Scan only shard K of N of the target list (1-based), e.g. 2/8: N workers with the same
    /// list and K = 1..N cover it exactly once, with no coordination.
    #[arg(long, value_name = "K/N", value_parser = parse_shard)]
    pub shard: Option<(usize, usize)>,
    #[command(flatten)]
    pub judge: JudgeArgs,
    /// Skip the certificates stage.
    #[arg(long)]
    pub no_certs: bool,
    /// Trust stores to judge chains against, comma-separated: mozilla (webpki-roots), system
    /// (/etc/ssl/certs/ca-certificates.crt), none. Default: mozilla.
    #[arg(long, value_delimiter = ',', value_name = "STORES")]
    pub trust: Vec<String>,
    /// Also trust the CA certificates in this PEM file (repeatable).
    #[arg(long = "ca-file", value_name = "PEM")]
    pub ca_files: Vec<PathBuf>,
    /// Judge certificates at this RFC 3339 time instead of now (e.g. 2030-01-01T00:00:00Z).
    #[arg(long, value_name = "TIME", value_parser = crate::certs::parse_at)]
    pub at: Option<i64>,
    /// Warn (cert.expires_soon) when a certificate expires within N days.
    #[arg(long, value_name = "N", default_value_t = 30)]
    pub expiry_warn_days: u32,
    /// Scan only these stages, comma-separated: versions,suites,groups,sigs,certs,features.
    /// Versions always run, and suites with any stage but versions (the others build on
    /// them); `--only versions` alone: one hello per version, suites not enumerated.
    /// Default: all.
    #[arg(long, value_delimiter = ',', value_parser = parse_stage)]
    pub only: Vec<Stage>,
    /// Fewer connections: no preference-order probes for groups and no full handshakes
    /// (resumption, 0-RTT, TLS 1.3 signature schemes).
    #[arg(long)]
    pub quick: bool,
    /// No progress bar on stderr. Without it, one is shown only when stderr is a terminal and
    /// the report is not text written to a terminal (see README, "Progress").
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

/// The certificates stage's options from the flags; fails on an unreadable --ca-file.
pub fn cert_options(args: &ScanArgs) -> anyhow::Result<crate::certs::CertOptions> {
    let stores = if args.trust.is_empty() {
        vec!["mozilla".to_string()]
    } else {
        args.trust.clone()
    };
    Ok(crate::certs::CertOptions {
        enabled: !args.no_certs,
        at: args.at,
        expiry_warn_days: args.expiry_warn_days,
        trust: crate::certs::verify::load(&stores, &args.ca_files).map_err(anyhow::Error::msg)?,
    })
}

fn parse_stage(s: &str) -> Result<Stage, String> {
    Stage::parse(s).ok_or_else(|| {
        format!("unknown stage '{s}' (use versions, suites, groups, sigs, certs, features)")
    })
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

fn parse_grade(s: &str) -> Result<Letter, String> {
    Letter::parse(s)
        .filter(|l| !matches!(l, Letter::T | Letter::M))
        .ok_or_else(|| format!("--min-grade takes A+, A, A-, B, C, D, E or F, not '{s}'"))
}

fn parse_shard(s: &str) -> Result<(usize, usize), String> {
    let (k, n) = s
        .split_once('/')
        .ok_or_else(|| format!("--shard takes K/N, not '{s}'"))?;
    let (k, n) = (k.trim().parse::<usize>(), n.trim().parse::<usize>());
    match (k, n) {
        (Ok(k), Ok(n)) if n >= 1 && (1..=n).contains(&k) => Ok((k, n)),
        _ => Err(format!("--shard K/N needs 1 <= K <= N, not '{s}'")),
    }
}

/// The targets of shard `k` of `n`: every n-th line, starting at line k (deterministic).
pub fn shard<T>(targets: Vec<T>, shard: Option<(usize, usize)>) -> Vec<T> {
    match shard {
        None => targets,
        Some((k, n)) => targets
            .into_iter()
            .enumerate()
            .filter(|(i, _)| i % n == k - 1)
            .map(|(_, t)| t)
            .collect(),
    }
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
            Command::Schema { report } => {
                print!(
                    "{}",
                    match report {
                        SchemaKind::Scan => crate::report::json_schema(),
                        SchemaKind::Client => crate::client::report::json_schema(),
                    }
                );
                Ok(EXIT_OK)
            }
            Command::Policy(cmd) => crate::policy::cli::run(cmd),
            Command::Serve(args) => crate::serve::run(args).await,
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
        starttls: args.starttls,
        certificates: crate::certs::CertOptions {
            enabled: !args.no_certs,
            ..Default::default()
        },
        stages: if args.only.is_empty() {
            Stage::ALL.into_iter().collect()
        } else {
            // Every stage but versions builds on the suites (`--only versions` alone: none).
            let suites = args.only.iter().any(|s| *s != Stage::Versions);
            args.only
                .iter()
                .copied()
                .chain([Stage::Versions])
                .chain(suites.then_some(Stage::Suites))
                .collect()
        },
        quick: args.quick,
    }
}

/// `tlsaudit scan`.
pub async fn run_scan(args: ScanArgs) -> anyhow::Result<u8> {
    let raw = shard(collect_targets(&args)?, args.shard);
    if raw.is_empty() {
        anyhow::bail!("no targets: give HOST[:PORT] arguments or -i FILE");
    }
    let judge = judge_from_args(&args.judge)?;
    if judge.is_none() && args.format.needs_policy() {
        anyhow::bail!(
            "--format {:?} reports policy results: give a --policy, not none",
            args.format
        );
    }
    let cfg = engine_config(&args)?;
    let mut opts = scan_options(&args);
    opts.certificates = cert_options(&args)?;
    let out: Box<dyn Write + Send> = match &args.output {
        Some(p) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(p)
                .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", p.display()))?,
        )),
        None => Box::new(std::io::stdout()),
    };
    let style = Style::detect(args.output.is_none() && std::io::stdout().is_terminal());
    let how = Output {
        format: args.format,
        style,
        judge: judge.as_ref(),
        min_grade: args.min_grade,
        keep_targets: false,
        progress: crate::progress::wanted(
            std::io::stderr().is_terminal(),
            args.output.is_none() && std::io::stdout().is_terminal(),
            args.format,
            args.quiet,
        ),
    };
    let (_, tally) = scan_and_judge(
        raw,
        Engine::new(cfg),
        opts,
        args.concurrency as usize,
        out,
        &how,
    )
    .await?;
    Ok(outcome_code(tally.outcome()))
}

/// The exit code of a run's outcome.
pub fn outcome_code(outcome: RunOutcome) -> u8 {
    match outcome {
        RunOutcome::Compliant => EXIT_OK,
        RunOutcome::NotCompliant => EXIT_NOT_COMPLIANT,
        RunOutcome::Incomplete | RunOutcome::Unreachable => EXIT_UNREACHABLE,
    }
}

/// The exit code of a run: see [`Tally::outcome`].
pub fn exit_code(report: &ScanReport) -> u8 {
    outcome_code(Tally::of(&report.targets).outcome())
}

/// Renders one target in a per-target format (text: the verdict first, then the facts).
pub fn render_target(
    out: &mut dyn Write,
    format: Format,
    t: &TargetReport,
    style: &Style,
) -> std::io::Result<()> {
    match format {
        Format::Text => {
            render::verdict::target(out, t, style)?;
            render::text::target(out, t, style)
        }
        Format::Jsonl => render::jsonl(out, t),
        Format::Json | Format::Junit | Format::Sarif | Format::Html => Ok(()),
    }
}

/// How a run is judged and written.
#[derive(Clone, Copy)]
pub struct Output<'a> {
    pub format: Format,
    pub style: Style,
    /// The policy each target is judged by, if any.
    pub judge: Option<&'a Judge>,
    /// `--min-grade`.
    pub min_grade: Option<Letter>,
    /// Keep every target in the returned report even for streaming formats.
    pub keep_targets: bool,
    /// Draw a progress bar on stderr ([`crate::progress::wanted`]).
    pub progress: bool,
}

/// Scans every target (a bad one is an entry with an error, never the end of the run) and
/// renders as results arrive, in input order. No policy judges them.
pub async fn scan_and_render(
    raw: Vec<String>,
    engine: Engine,
    opts: ScanOptions,
    concurrency: usize,
    format: Format,
    out: Box<dyn Write + Send>,
    style: Style,
) -> anyhow::Result<ScanReport> {
    let how = Output {
        format,
        style,
        judge: None,
        min_grade: None,
        keep_targets: true,
        progress: false,
    };
    Ok(scan_and_judge(raw, engine, opts, concurrency, out, &how)
        .await?
        .0)
}

/// [`scan_and_render`], judging each target by `judge` as it arrives. The report keeps the
/// targets only for whole-document formats (JSON, JUnit, SARIF); streaming formats (text, JSON
/// Lines) write each target and forget it, and the [`Tally`] says what the run amounted to.
pub async fn scan_and_judge(
    raw: Vec<String>,
    engine: Engine,
    opts: ScanOptions,
    concurrency: usize,
    mut out: Box<dyn Write + Send>,
    how: &Output<'_>,
) -> anyhow::Result<(ScanReport, Tally)> {
    let Output {
        format,
        style,
        judge,
        min_grade,
        keep_targets,
        progress,
    } = *how;
    let mut progress = if progress {
        Progress::stderr(raw.len())
    } else {
        Progress::hidden()
    };
    let started_at = now_rfc3339();
    let started = Instant::now();
    let stream = scan_all(raw, engine, opts, concurrency, judge.cloned());
    futures::pin_mut!(stream);
    let mut targets = Vec::new();
    let mut tally = Tally::new(min_grade);
    let mut pipe_open = true;
    while let Some(t) = stream.next().await {
        tally.add(&t);
        progress.target_done(t.error.is_some());
        let written = progress.suspend(|| {
            render_target(&mut out, format, &t, &style)?;
            // With a bar drawn, stdout may be its terminal: nothing may wait in a buffer.
            if progress.is_shown() {
                out.flush()?;
            }
            Ok(())
        });
        pipe_open &= !is_broken_pipe(written)?;
        if format.is_document() || keep_targets {
            targets.push(t);
        }
    }
    let report = ScanReport::new(started_at, started.elapsed().as_millis() as u64, targets);
    progress.finish(true);
    if format.is_document() && pipe_open {
        is_broken_pipe(render::document(&mut out, format, &report))?;
    }
    if format == Format::Text && pipe_open {
        pipe_open &= !is_broken_pipe(render::verdict::summary(&mut out, &tally))?;
        if let (Some(min), n @ 1..) = (tally.min_grade, tally.below_grade) {
            let s = if n == 1 { "" } else { "s" };
            pipe_open &= !is_broken_pipe(writeln!(
                out,
                "{n} target{s} graded below --min-grade {min}"
            ))?;
        }
    }
    if pipe_open {
        is_broken_pipe(out.flush())?;
    }
    Ok((report, tally))
}

/// A closed pipe (e.g. `| head`) is not an error: stop writing quietly.
pub(crate) fn is_broken_pipe(r: std::io::Result<()>) -> anyhow::Result<bool> {
    match r {
        Ok(()) => Ok(false),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(true),
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_cover_the_list_exactly_once() {
        let list: Vec<usize> = (0..10).collect();
        let mut seen: Vec<usize> = (1..=3)
            .flat_map(|k| shard(list.clone(), Some((k, 3))))
            .collect();
        seen.sort();
        assert_eq!(seen, list);
        assert_eq!(shard(list.clone(), Some((2, 3))), vec![1, 4, 7]);
        assert_eq!(parse_shard("2/8"), Ok((2, 8)));
        assert!(
            parse_shard("0/8").is_err() && parse_shard("9/8").is_err() && parse_shard("x").is_err()
        );
    }
}
