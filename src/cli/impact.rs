//! `tlsaudit impact`: who breaks if a client stops offering some suites, versions or groups
//! (`--client`), or if every endpoint adopts a policy (`--endpoints-adopt`), over saved scan
//! results.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Args;

use tlsaudit::facts::Severity;
use tlsaudit::fleet::adopt::AdoptAnalysis;
use tlsaudit::fleet::impact::{ImpactAnalysis, Removal};
use tlsaudit::fleet::results;
use tlsaudit::policy::Policy;
use tlsaudit::render;
use tlsaudit::report::TargetReport;
use tlsaudit::simulate::profile::{self, ClientProfile};
use tlsaudit::simulate::{sim_client, SimClient};
use tlsaudit::store::Store;

use super::exit::{is_broken_pipe, Exit};

#[derive(Args, Debug, Clone)]
pub(crate) struct ImpactArgs {
    /// Saved scan results: files of `tlsaudit scan -f jsonl` (or `-f json`), several at once
    /// (per-shard files); `-` reads stdin. A target found twice counts once: its last report.
    #[arg(required_unless_present = "store", value_name = "RESULTS")]
    pub(crate) results: Vec<String>,
    /// Read each target's latest report from the results store at PATH (written by `scan
    /// --store`) instead of files.
    #[arg(long, value_name = "PATH|URL", conflicts_with = "results")]
    pub(crate) store: Option<String>,
    /// The client that changes: a built-in profile id (multisafepay-notifier, java-8 …; see
    /// data/clients/) or a profile file (.toml, e.g. from `tlsaudit client --save-profile`).
    #[arg(
        long,
        value_name = "NAME|FILE",
        required_unless_present = "endpoints_adopt",
        conflicts_with = "endpoints_adopt"
    )]
    pub(crate) client: Option<String>,
    /// What the client stops offering, comma-separated or repeated: protocol versions
    /// (tls1.2), cipher suites (hex id 0x009c, IANA or OpenSSL name) and groups by name
    /// (x25519, secp256r1). Without it: who the client reaches today.
    #[arg(long, value_name = "LIST", requires = "client")]
    pub(crate) client_without: Vec<String>,
    /// The endpoint-side change instead: every endpoint adopts POLICY (a built-in profile such
    /// as mozilla-intermediate, or a TOML file). Says which endpoints must change (NOT
    /// COMPLIANT) and which known clients would then fail to reach them.
    #[arg(long, value_name = "POLICY")]
    pub(crate) endpoints_adopt: Option<String>,
    /// With --endpoints-adopt: the clients whose reach is checked, as `scan --clients` takes
    /// them (ids, families, all, captured, declared, profile files).
    #[arg(
        long,
        value_name = "LIST",
        default_value = "all",
        requires = "endpoints_adopt"
    )]
    pub(crate) clients: String,
    /// Output format: text (a summary, the endpoints that break first), json
    /// ({endpoints: [{target, breaks, reasons, …}], summary}), csv (one row per endpoint) or
    /// html (one page).
    #[arg(long, short = 'f', value_enum, default_value_t = ImpactFormat::Text)]
    pub(crate) format: ImpactFormat,
    /// Write the result to FILE instead of stdout.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub(crate) output: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum ImpactFormat {
    Text,
    Json,
    Csv,
    /// One self-contained page (inline CSS, no scripts), to send to a manager.
    Html,
}

/// The one client `--client` names: a built-in id or a profile file.
pub(crate) fn one_client(spec: &str) -> anyhow::Result<SimClient> {
    let path = Path::new(spec);
    let p = if spec.ends_with(".toml") || path.is_file() {
        ClientProfile::load(path)?
    } else {
        let mut chosen = profile::select(spec)?;
        if chosen.len() != 1 {
            anyhow::bail!(
                "--client takes one profile; '{spec}' names {}: {}",
                chosen.len(),
                chosen
                    .iter()
                    .map(|p| p.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        chosen.remove(0)
    };
    Ok(sim_client(&p)?)
}

/// Calls `each` with every target of the results the arguments name.
async fn for_each_target(
    args: &ImpactArgs,
    mut each: impl FnMut(&TargetReport),
) -> anyhow::Result<()> {
    match &args.store {
        Some(spec) => {
            Store::open(spec)
                .await?
                .for_each_nth_latest(1, |t| each(&t))
                .await?;
        }
        None => {
            for path in &args.results {
                results::for_each_target(path, |t| each(&t))?;
            }
        }
    }
    Ok(())
}

fn output(args: &ImpactArgs) -> anyhow::Result<Box<dyn Write>> {
    Ok(match &args.output {
        Some(p) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(p).with_context(|| format!("cannot write {}", p.display()))?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    })
}

/// `--endpoints-adopt POLICY`.
async fn adopt(args: &ImpactArgs, policy: &str) -> anyhow::Result<Exit> {
    let clients = super::scan::clients(&args.clients)?
        .into_iter()
        .map(|s| s.client)
        .collect();
    let mut analysis = AdoptAnalysis::new(Policy::load(policy)?, Severity::Error, clients);
    for_each_target(args, |t| analysis.add(t)).await?;
    let adoption = analysis.finish();
    let mut out = output(args)?;
    let written = (|| -> std::io::Result<()> {
        match args.format {
            ImpactFormat::Text => render::impact::adoption_text(&mut out, &adoption)?,
            ImpactFormat::Csv => render::impact::adoption_csv(&mut out, &adoption)?,
            ImpactFormat::Html => render::impact::adoption_html(&mut out, &adoption)?,
            ImpactFormat::Json => {
                serde_json::to_writer_pretty(&mut out, &adoption)?;
                writeln!(out)?;
            }
        }
        out.flush()
    })();
    is_broken_pipe(written)?;
    Ok(if adoption.breaks() {
        Exit::NotCompliant
    } else {
        Exit::Ok
    })
}

pub(crate) async fn run(args: ImpactArgs) -> anyhow::Result<Exit> {
    let client = match (&args.endpoints_adopt, &args.client) {
        (Some(policy), _) => return adopt(&args, policy).await,
        (None, Some(client)) => one_client(client)?,
        (None, None) => {
            anyhow::bail!("impact needs --client NAME|FILE or --endpoints-adopt POLICY")
        }
    };
    let removals = Removal::parse_list(&args.client_without.join(","))
        .map_err(|e| anyhow::anyhow!("--client-without: {e}"))?;
    let mut analysis = ImpactAnalysis::new(client, removals);
    for_each_target(&args, |t| analysis.add(t)).await?;
    let impact = analysis.finish();
    let mut out = output(&args)?;
    let written = (|| -> std::io::Result<()> {
        match args.format {
            ImpactFormat::Text => render::impact::text(&mut out, &impact)?,
            ImpactFormat::Csv => render::impact::csv(&mut out, &impact)?,
            ImpactFormat::Html => render::impact::html(&mut out, &impact)?,
            ImpactFormat::Json => {
                serde_json::to_writer_pretty(&mut out, &impact)?;
                writeln!(out)?;
            }
        }
        out.flush()
    })();
    is_broken_pipe(written)?;
    Ok(if impact.breaks() {
        Exit::NotCompliant
    } else {
        Exit::Ok
    })
}
