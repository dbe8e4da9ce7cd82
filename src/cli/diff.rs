//! `tlsaudit diff OLD NEW`: what changed, endpoint by endpoint, between two scans.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use clap::Args;

use tlsaudit::fleet::diff::{DiffBuilder, DiffOptions};
use tlsaudit::fleet::results;
use tlsaudit::render;
use tlsaudit::store::Store;

use super::exit::{is_broken_pipe, Exit};

#[derive(Args, Debug, Clone)]
pub(crate) struct DiffArgs {
    /// The earlier results: `tlsaudit scan -f jsonl` (or `-f json`); `-` reads stdin.
    #[arg(required_unless_present = "store", requires = "new")]
    pub(crate) old: Option<String>,
    /// The later results.
    pub(crate) new: Option<String>,
    /// Compare, in the results store at PATH (written by `scan --store`), each target's
    /// latest report with its previous one, instead of two files.
    #[arg(long, value_name = "PATH|URL", conflicts_with = "old")]
    pub(crate) store: Option<String>,
    /// Report a certificate of the new scan that expires within N days (`cert.expires_soon`),
    /// changed or not.
    #[arg(long, value_name = "N", default_value_t = 30)]
    pub(crate) expiry_warn_days: u32,
    /// Output format: text (totals, then each endpoint that changed) or json
    /// ({endpoints: [{target, status, changes: [{id, message}]}], summary}).
    #[arg(long, short = 'f', value_enum, default_value_t = DiffFormat::Text)]
    pub(crate) format: DiffFormat,
    /// Write the result to FILE instead of stdout.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub(crate) output: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum DiffFormat {
    Text,
    Json,
}

pub(crate) async fn run(args: DiffArgs) -> anyhow::Result<Exit> {
    let mut builder = DiffBuilder::default();
    let (old_name, new_name) = match (&args.store, &args.old, &args.new) {
        (Some(spec), _, _) => {
            let store = Store::open(spec).await?;
            // A target stored once has no previous report: it shows as added.
            store.for_each_nth_latest(2, |t| builder.old(&t)).await?;
            store
                .for_each_nth_latest(1, |t| builder.new_report(&t))
                .await?;
            let shown = tlsaudit::store::display(spec);
            (format!("{shown} (previous)"), format!("{shown} (latest)"))
        }
        (None, Some(old), Some(new)) => {
            if old == "-" && new == "-" {
                anyhow::bail!("diff: only one of OLD and NEW can be stdin (-)");
            }
            results::for_each_target(old, |t| builder.old(&t))?;
            results::for_each_target(new, |t| builder.new_report(&t))?;
            (old.clone(), new.clone())
        }
        _ => anyhow::bail!("diff needs OLD and NEW, or --store PATH"),
    };
    let diff = builder.finish(DiffOptions {
        expiry_warn_days: i64::from(args.expiry_warn_days),
    });
    let mut out: Box<dyn Write> = match &args.output {
        Some(p) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(p).with_context(|| format!("cannot write {}", p.display()))?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    };
    let written = (|| -> std::io::Result<()> {
        match args.format {
            DiffFormat::Text => render::diff::text(&mut out, &diff, &old_name, &new_name)?,
            DiffFormat::Json => {
                serde_json::to_writer_pretty(&mut out, &diff)?;
                writeln!(out)?;
            }
        }
        out.flush()
    })();
    is_broken_pipe(written)?;
    Ok(if diff.any() {
        Exit::NotCompliant
    } else {
        Exit::Ok
    })
}
