//! The command line, private to the binary: what the user may type (the clap definitions,
//! here), each command's run over the library (one file each), and the exit code ([`exit`]).
//! Parse what the user typed first, build the real objects after.

mod client;
mod demo;
mod diff;
mod exit;
mod generate;
mod impact;
mod policy;
mod progress;
mod save_profile;
mod scan;
mod serve;

use std::net::IpAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
use clap::{Args, Parser, Subcommand};

use tlsaudit::audit::Judge;
use tlsaudit::facts::{Severity, Stage, TlsVersion};
use tlsaudit::grade::Letter;
use tlsaudit::policy::profiles;
use tlsaudit::probe::starttls::Starttls;
use tlsaudit::render::Format;

use exit::Exit;

#[derive(Parser, Debug)]
#[command(name = "tlsaudit", version, about = "TLS scanner and compliance checker", after_help = EXIT_HELP)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

const EXIT_HELP: &str = "Exit codes: 0 compliant (with --policy none: every target scanned), 1 not compliant, \
2 usage or configuration error, 3 a target could not be scanned (or not fully enough to judge it: INCOMPLETE).";

// Parsed once per run: the size of the largest variant does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand, Debug)]
pub(crate) enum Command {
    /// Scan servers: protocol versions and every cipher suite they accept, judged by a policy.
    #[command(after_help = EXIT_HELP)]
    Scan(ScanArgs),
    /// Check a TLS client: capture its ClientHello, judge it against a server policy
    /// (exit 0 compliant, 1 not compliant, 3 no client connected).
    Client(client::ClientArgs),
    /// Start local TLS servers on loopback with contrasting configurations and scan them (offline).
    Demo(DemoArgs),
    /// Print the JSON Schema of a report: `scan` (the default) or `client`.
    Schema {
        /// Which report: `scan` (`tlsaudit scan --format json`) or `client` (`tlsaudit client --format json`).
        #[arg(value_enum, default_value_t = SchemaKind::Scan)]
        report: SchemaKind,
    },
    /// Who breaks if a client changes: the endpoints of saved scan results a client profile
    /// no longer reaches once it stops offering some suites, versions or groups; or, with
    /// --endpoints-adopt, which endpoints must change to follow a policy and which known
    /// clients would then fail (exit 0 nothing breaks, 1 something does, 2 usage).
    Impact(impact::ImpactArgs),
    /// What changed between two scans, endpoint by endpoint: versions, suites, groups,
    /// certificates (renewed, about to expire), grade, verdict (exit 0 nothing, 1 something to
    /// look at, 2 usage).
    Diff(diff::DiffArgs),
    /// Policies: list the built-in profiles, print one as TOML, judge a saved JSON report.
    #[command(subcommand)]
    Policy(PolicyCommand),
    /// Serve a web page and a JSON API that scan servers live, keep each result under /r/ID in
    /// the results store, and describe the API at /api/openapi.json (loopback targets only
    /// unless --allow).
    Serve(serve::ServeArgs),
    /// Print a shell completion script to stdout, e.g. `tlsaudit completions bash >
    /// /etc/bash_completion.d/tlsaudit`.
    Completions {
        /// The shell: bash, zsh, fish, powershell or elvish.
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff) to stdout, e.g. `tlsaudit man > tlsaudit.1; man ./tlsaudit.1`.
    Man,
}

/// The reports `tlsaudit schema` describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum SchemaKind {
    /// `tlsaudit scan --format json` (schema/scan-report.schema.json).
    Scan,
    /// `tlsaudit client --format json` (schema/client-report.schema.json).
    Client,
    /// `GET /api/client` of `tlsaudit serve --tls-listen` (schema/client-test.schema.json).
    ClientTest,
}

#[derive(Subcommand, Debug)]
pub(crate) enum PolicyCommand {
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
    /// Show what changes between two profiles, rule by rule, e.g. `tlsaudit policy diff
    /// mozilla-intermediate@5.7 mozilla-intermediate@5.8`.
    Diff {
        /// The profile before: a built-in name (`name` or `name@version`) or a TOML file.
        from: String,
        /// The profile after.
        to: String,
        /// Print the difference as JSON.
        #[arg(long)]
        json: bool,
    },
}

/// How a policy judges: which one, which severity fails, which rules to leave out.
#[derive(Args, Debug, Clone)]
pub(crate) struct JudgeArgs {
    /// Policy: a built-in profile (see `tlsaudit policy list`), a TOML file, or `none` for facts only.
    #[arg(long, value_name = "NAME|FILE", default_value = profiles::DEFAULT)]
    pub(crate) policy: String,
    /// The lowest severity of a failed rule that makes a target NOT COMPLIANT.
    #[arg(long, value_enum, default_value_t = FailOn::Error)]
    pub(crate) fail_on: FailOn,
    /// Leave out these rules (ids, comma-separated or repeated), e.g. a waiver in CI.
    #[arg(long, value_name = "ID", value_delimiter = ',')]
    pub(crate) ignore_rule: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum FailOn {
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
pub(crate) struct CheckArgs {
    /// A JSON report from `tlsaudit scan --format json` (or JSON Lines from `--format jsonl`); `-` reads stdin.
    pub(crate) report: String,
    #[command(flatten)]
    pub(crate) judge: JudgeArgs,
    /// Output format.
    #[arg(long, short = 'f', value_parser = format_parser(), default_value = "text")]
    pub(crate) format: Format,
    /// Write the result to FILE instead of stdout.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub(crate) output: Option<PathBuf>,
}

/// The judge `--policy`, `--fail-on` and `--ignore-rule` name; `None` for `--policy none`.
pub(crate) fn judge_from_args(args: &JudgeArgs) -> anyhow::Result<Option<Judge>> {
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
pub(crate) struct ScanArgs {
    /// HOST[:PORT] targets (port 443 by default; IPv6 as [::1]:443), or CIDR blocks with
    /// ports (10.0.0.0/24:443,8443: every address at every port, expanded as scanned). `-`
    /// reads targets from stdin.
    pub(crate) targets: Vec<String>,
    /// Read targets from FILE, one per line (`-` for stdin; blank lines and # comments skipped).
    #[arg(short = 'i', long = "input", value_name = "FILE")]
    pub(crate) input: Option<String>,
    /// Send NAME in SNI instead of the target's host name.
    #[arg(long, value_name = "NAME", conflicts_with = "no_sni")]
    pub(crate) sni: Option<String>,
    /// Send no SNI.
    #[arg(long)]
    pub(crate) no_sni: bool,
    /// Connect to ADDR instead of resolving the host name (SNI still names the host).
    #[arg(long, value_name = "ADDR")]
    pub(crate) ip: Option<IpAddr>,
    /// Speak PROTO's STARTTLS before TLS on every connection (default port: smtp 25, imap 143,
    /// pop3 110, postgres 5432 (SSLRequest), ftp 21 (AUTH TLS), xmpp 5222 (client
    /// stream to the SNI name or the host), ldap 389 (StartTLS extended operation), mysql 3306
    /// (SSLRequest), nntp 119, irc 6667, sieve 4190 (ManageSieve), lmtp 24). A target's
    /// scheme (`submission://host`, `imaps://host`) names its own protocol and port instead.
    #[arg(long, value_name = "PROTO", value_parser = starttls_parser())]
    pub(crate) starttls: Option<Starttls>,
    /// Scan over QUIC (UDP, port 443 by default): TLS 1.3 suites and groups carried in QUIC
    /// Initial packets, the QUIC versions the server accepts, its ALPN (h3) and transport
    /// parameters. Certificates, signature schemes, features, HTTP and weaknesses are not
    /// scanned over QUIC (scan the host over TCP for those).
    #[arg(long, conflicts_with = "starttls")]
    pub(crate) quic: bool,
    /// Output format.
    #[arg(long, short = 'f', value_parser = format_parser(), default_value = "text")]
    pub(crate) format: Format,
    /// Write the report to FILE instead of stdout.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub(crate) output: Option<PathBuf>,
    /// Protocol versions to scan, comma-separated (e.g. tls1.2,tls1.3). Default: SSLv2 to TLS 1.3.
    #[arg(long, value_delimiter = ',', value_parser = parse_version)]
    pub(crate) versions: Vec<TlsVersion>,
    /// Connections open at once to one host.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..=64))]
    pub(crate) per_host: u32,
    /// Connections open at once across all hosts.
    #[arg(long, default_value_t = 256, value_parser = clap::value_parser!(u32).range(1..=65536))]
    pub(crate) max_connections: u32,
    /// New connections per second across all hosts, spaced evenly (e.g. 50, or 0.5 for one
    /// every two seconds); beside --per-host and --max-connections, which limit connections
    /// open at once. Default: no rate limit.
    #[arg(long, value_name = "N", value_parser = parse_rate)]
    pub(crate) rate: Option<f64>,
    /// Targets scanned at once.
    #[arg(long, default_value_t = 32, value_parser = clap::value_parser!(u32).range(1..=10000))]
    pub(crate) concurrency: u32,
    /// Seconds to wait for a TCP connection.
    #[arg(long, default_value_t = 5.0)]
    pub(crate) connect_timeout: f64,
    /// Seconds to wait for a server's whole answer to one hello.
    #[arg(long, default_value_t = 8.0)]
    pub(crate) timeout: f64,
    /// Extra attempts after a connect failure or a silent server.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(0..=5))]
    pub(crate) retries: u32,
    /// Fail (exit 1) when a target's grade is below LETTER (A+, A, A-, B, C, D, E, F); a T or M
    /// grade (certificate not trusted / not for this name) never meets it.
    #[arg(long, value_name = "LETTER", value_parser = parse_grade)]
    pub(crate) min_grade: Option<Letter>,
    /// Scan only shard K of N of the target list (1-based), e.g. 2/8: N workers with the same
    /// list and K = 1..N cover it exactly once, with no coordination. `auto`: a Kubernetes
    /// Indexed Job's worker, K from JOB_COMPLETION_INDEX (0-based) and N from --shard-count.
    #[arg(long, value_name = "K/N|auto", value_parser = parse_shard_spec)]
    pub(crate) shard: Option<ShardSpec>,
    /// N for `--shard auto`: the Job's completions.
    #[arg(
        long,
        value_name = "N",
        env = "TLSAUDIT_SHARD_COUNT",
        requires = "shard"
    )]
    pub(crate) shard_count: Option<usize>,
    #[command(flatten)]
    pub(crate) judge: JudgeArgs,
    /// Resume an interrupted run: skip the targets the -o FILE (JSON Lines) of an earlier run
    /// already holds (a line it was killed while writing is cut off, the rest appended), and
    /// with --store and --run those the store holds under that run's name.
    #[arg(long)]
    pub(crate) resume: bool,
    /// Name this run in the store (e.g. the night's date; every worker of a Job the same), so
    /// that `--resume --run NAME` skips what any of them finished.
    #[arg(long, value_name = "NAME", env = "TLSAUDIT_RUN", requires = "store")]
    pub(crate) run: Option<String>,
    /// Also write every finished target to the results store at PATH, as it finishes: a
    /// SQLite file (created when missing) or a postgres://USER@HOST/DB URL (the schema is
    /// created when missing); `impact --store` and `diff --store` read it.
    #[arg(long, value_name = "PATH|URL")]
    pub(crate) store: Option<String>,
    /// Skip the certificates stage.
    #[arg(long)]
    pub(crate) no_certs: bool,
    /// Skip the HTTP stage (one `GET /` over TLS for HSTS, BREACH and the server banner). A+
    /// then cannot be judged (it needs HSTS): the grade says incomplete.
    #[arg(long)]
    pub(crate) no_http: bool,
    /// The DNS resolver that answers the HTTPS record query (RFC 9460), IP[:PORT] (port 53 by
    /// default). Default: the first nameserver of /etc/resolv.conf. With --ip, the record is
    /// looked up only when this is given.
    #[arg(long, value_name = "IP[:PORT]", value_parser = tlsaudit::probe::dns::parse_resolver)]
    pub(crate) resolver: Option<std::net::SocketAddr>,
    /// Skip the DNS stage (the target's HTTPS record, and with it the ECH config it publishes;
    /// for SMTP targets, the DANE and MTA-STS checks).
    #[arg(long, conflicts_with = "resolver")]
    pub(crate) no_dns: bool,
    /// The mail domain whose MTA-STS policy (RFC 8461) and TLS-RPT record an SMTP target is
    /// checked against. Default: the host's parent domain (mx.example.com → example.com), or
    /// the host itself when it has two labels.
    #[arg(long, value_name = "DOMAIN")]
    pub(crate) mail_domain: Option<String>,
    /// An ECHConfigList in base64 (as in an HTTPS record's ech= value) for a real ECH
    /// handshake, instead of the one the HTTPS record publishes.
    #[arg(long, value_name = "BASE64", value_parser = parse_ech_config)]
    pub(crate) ech_config: Option<EchConfigArg>,
    /// Trust stores to judge chains against, comma-separated: mozilla (webpki-roots), system
    /// (/etc/ssl/certs/ca-certificates.crt), none. Default: mozilla.
    #[arg(long, value_delimiter = ',', value_name = "STORES")]
    pub(crate) trust: Vec<String>,
    /// Also trust the CA certificates in this PEM file (repeatable).
    #[arg(long = "ca-file", value_name = "PEM")]
    pub(crate) ca_files: Vec<PathBuf>,
    /// Judge certificates at this RFC 3339 time instead of now (e.g. 2030-01-01T00:00:00Z).
    #[arg(long, value_name = "TIME", value_parser = tlsaudit::certs::parse_at)]
    pub(crate) at: Option<i64>,
    /// Judge the CA/Browser Forum and root-program date rules (certificate lifetime by issue
    /// date, clientAuth from 2026-06-15) on chains no public store trusts too: for a private
    /// or staging CA that follows the public rules. Public chains are always judged.
    #[arg(long)]
    pub(crate) public_rules: bool,
    /// Warn (cert.expires_soon) when a certificate expires within N days.
    #[arg(long, value_name = "N", default_value_t = 30)]
    pub(crate) expiry_warn_days: u32,
    /// Scan only these stages, comma-separated:
    /// versions,suites,groups,sigs,certs,features,weaknesses,http,dns,ech. Versions always run, and
    /// suites with any stage but versions (the others build on them), features with weaknesses;
    /// `--only versions` alone: one hello per version, suites not enumerated.
    /// Default: all.
    #[arg(long, value_delimiter = ',', value_parser = parse_stage)]
    pub(crate) only: Vec<Stage>,
    /// Fewer connections: no preference-order probes for groups, no full handshakes
    /// (resumption, 0-RTT, TLS 1.3 signature schemes) and no ROBOT ClientKeyExchange-alone round.
    #[arg(long)]
    pub(crate) quick: bool,
    /// Clients to simulate ("who can connect"), comma-separated: profile ids (java-8,
    /// curl-7.88), families (java, android, browser), all, captured, declared, none, or a
    /// profile file (.toml). Default: all built-in profiles.
    #[arg(long, value_name = "LIST", default_value = "all")]
    pub(crate) clients: String,
    /// How to simulate them: predict (from the scan's facts, no connection) or live (also
    /// replay each client's hello to the server, one connection per client, and show where
    /// the answer differs from the prediction).
    #[arg(long, value_name = "MODE", default_value = "predict", value_parser = ["predict", "live"])]
    pub(crate) simulate: String,
    /// No progress bar on stderr. Without it, one is shown only when stderr is a terminal and
    /// the report is not text written to a terminal (see README, "Progress").
    #[arg(long, short = 'q')]
    pub(crate) quiet: bool,
}

fn parse_stage(s: &str) -> Result<Stage, String> {
    Stage::parse(s).ok_or_else(|| {
        format!("unknown stage '{s}' (use versions, suites, groups, sigs, certs, features, weaknesses, http, dns, ech)")
    })
}

/// The bytes of an ECHConfigList given with `--ech-config` (a newtype: clap would read a
/// bare `Vec<u8>` as many values).
#[derive(Debug, Clone)]
pub(crate) struct EchConfigArg(pub(crate) Vec<u8>);

/// `--ech-config`: base64 of an ECHConfigList that decodes (RFC 9849 section 4).
fn parse_ech_config(s: &str) -> Result<EchConfigArg, String> {
    use base64::Engine;
    use tlsaudit::wire::Codec;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(s.trim())
        .map_err(|e| format!("not base64: {e}"))?;
    tlsaudit::wire::ech::EchConfigList::from_bytes(&bytes).map_err(|e| {
        format!("not an ECHConfigList (RFC 9849 section 4): {e}; give the ech= value of an HTTPS record")
    })?;
    Ok(EchConfigArg(bytes))
}

#[derive(Args, Debug, Clone)]
pub(crate) struct DemoArgs {
    /// Output format.
    #[arg(long, short = 'f', value_parser = format_parser(), default_value = "text")]
    pub(crate) format: Format,
}

fn parse_version(s: &str) -> Result<TlsVersion, String> {
    TlsVersion::parse(s)
        .ok_or_else(|| format!("unknown protocol version '{s}' (use ssl2, ssl3, tls1.0 … tls1.3)"))
}

fn parse_rate(s: &str) -> Result<f64, String> {
    s.parse::<f64>()
        .ok()
        .filter(|r| r.is_finite() && *r >= 0.01 && *r <= 1_000_000.0)
        .ok_or_else(|| format!("--rate takes connections per second, 0.01 to 1000000, not '{s}'"))
}

fn parse_grade(s: &str) -> Result<Letter, String> {
    Letter::parse(s)
        .filter(|l| !matches!(l, Letter::T | Letter::M))
        .ok_or_else(|| format!("--min-grade takes A+, A, A-, B, C, D, E or F, not '{s}'"))
}

/// `--shard`: K/N, or `auto` (resolved from the environment when the scan runs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ShardSpec {
    Fixed(usize, usize),
    Auto,
}

fn parse_shard_spec(s: &str) -> Result<ShardSpec, String> {
    if s.trim().eq_ignore_ascii_case("auto") {
        return Ok(ShardSpec::Auto);
    }
    parse_shard(s).map(|(k, n)| ShardSpec::Fixed(k, n))
}

/// `--shard auto`: K from a Kubernetes Indexed Job's JOB_COMPLETION_INDEX (0-based), N from
/// `--shard-count` (or TLSAUDIT_SHARD_COUNT).
pub(crate) fn resolve_shard(
    spec: Option<ShardSpec>,
    count: Option<usize>,
    index: Option<&str>,
) -> Result<Option<(usize, usize)>, String> {
    match spec {
        None => Ok(None),
        Some(ShardSpec::Fixed(k, n)) => Ok(Some((k, n))),
        Some(ShardSpec::Auto) => {
            let index = index.ok_or(
                "--shard auto needs JOB_COMPLETION_INDEX (set by a Kubernetes Indexed Job)",
            )?;
            let index: usize = index
                .trim()
                .parse()
                .map_err(|_| format!("JOB_COMPLETION_INDEX is not a number: '{index}'"))?;
            let n = count.filter(|n| *n >= 1).ok_or(
                "--shard auto needs the number of shards: --shard-count N or TLSAUDIT_SHARD_COUNT \
                 (the Job's completions)",
            )?;
            if index >= n {
                return Err(format!(
                    "JOB_COMPLETION_INDEX {index} is not below the shard count {n}"
                ));
            }
            Ok(Some((index + 1, n)))
        }
    }
}

pub(crate) fn parse_shard(s: &str) -> Result<(usize, usize), String> {
    let (k, n) = s
        .split_once('/')
        .ok_or_else(|| format!("--shard takes K/N, not '{s}'"))?;
    let (k, n) = (k.trim().parse::<usize>(), n.trim().parse::<usize>());
    match (k, n) {
        (Ok(k), Ok(n)) if n >= 1 && (1..=n).contains(&k) => Ok((k, n)),
        _ => Err(format!("--shard K/N needs 1 <= K <= N, not '{s}'")),
    }
}

/// `--format`: the library's formats, each with its one-line help.
pub(crate) fn format_parser() -> impl TypedValueParser<Value = Format> {
    PossibleValuesParser::new(Format::ALL.map(|f| PossibleValue::new(f.name()).help(f.about())))
        .try_map(|s| s.parse::<Format>())
}

/// `--starttls`: the library's protocols.
fn starttls_parser() -> impl TypedValueParser<Value = Starttls> {
    PossibleValuesParser::new(Starttls::ALL.map(|p| PossibleValue::new(p.name())))
        .try_map(|s| s.parse::<Starttls>())
}

/// Entry point of the binary: parse, run the command, map its result to an exit code.
pub(crate) fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() {
                Exit::Usage
            } else {
                Exit::Ok
            };
            let _ = e.print();
            return code.into();
        }
    };
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("tlsaudit: cannot start the runtime: {e}");
            return Exit::Usage.into();
        }
    };
    exit::exit(rt.block_on(async {
        match cli.command {
            Command::Scan(args) => scan::run(args).await,
            Command::Client(args) => client::run(args).await,
            Command::Demo(args) => demo::run(args.format).await,
            Command::Schema { report } => {
                print!(
                    "{}",
                    match report {
                        SchemaKind::Scan => tlsaudit::report::json_schema(),
                        SchemaKind::Client => tlsaudit::client::report::json_schema(),
                        SchemaKind::ClientTest => tlsaudit::serve::client_test::json_schema(),
                    }
                );
                Ok(Exit::Ok)
            }
            Command::Policy(cmd) => policy::run(cmd),
            Command::Impact(args) => impact::run(args).await,
            Command::Diff(args) => diff::run(args).await,
            Command::Serve(args) => serve::run(args).await,
            Command::Completions { shell } => generate::completions(shell),
            Command::Man => generate::man(),
        }
    }))
}
