//! `tlsaudit policy list | show | check`.

use std::io::{IsTerminal, Read, Write};

use anyhow::Context;

use tlsaudit::audit::Tally;
use tlsaudit::policy::diff::PolicyDiff;
use tlsaudit::policy::{profiles, Policy};
use tlsaudit::render::{self, text::Style};
use tlsaudit::report::{ScanReport, TargetReport};

use super::exit::{is_broken_pipe, Exit};
use super::scan::render_target;
use super::{judge_from_args, CheckArgs, PolicyCommand};

pub(crate) fn run(cmd: PolicyCommand) -> anyhow::Result<Exit> {
    match cmd {
        PolicyCommand::List => {
            let mut out = std::io::stdout().lock();
            for name in profiles::NAMES {
                let p = Policy::load(name)?;
                let default = if name == profiles::DEFAULT {
                    " (default)"
                } else {
                    ""
                };
                let pinned = profiles::versions(name);
                let pins = if pinned.is_empty() {
                    String::new()
                } else {
                    format!(
                        "\n{:<22} pinned: {}",
                        "",
                        pinned
                            .iter()
                            .map(|v| format!("{name}@{v}"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                };
                let line = writeln!(
                    out,
                    "{name:<22} {}{default}\n{:<22} source: {}; version: {} (not pinned){pins}",
                    p.title, "", p.source, p.source_version
                );
                if is_broken_pipe(line)? {
                    break;
                }
            }
            Ok(Exit::Ok)
        }
        PolicyCommand::Show { name } => {
            let p = Policy::load(&name)?;
            is_broken_pipe(std::io::stdout().lock().write_all(p.text.as_bytes()))?;
            Ok(Exit::Ok)
        }
        PolicyCommand::Check(args) => check(args),
        PolicyCommand::Diff { from, to, json } => {
            let d = PolicyDiff::new(&Policy::load(&from)?, &Policy::load(&to)?)?;
            let text = if json {
                serde_json::to_string_pretty(&d)? + "\n"
            } else {
                d.to_string()
            };
            is_broken_pipe(std::io::stdout().lock().write_all(text.as_bytes()))?;
            Ok(Exit::Ok)
        }
    }
}

/// Reads a saved report: one JSON document, or JSON Lines of targets.
fn read_report(name: &str) -> anyhow::Result<ScanReport> {
    let mut text = String::new();
    if name == "-" {
        std::io::stdin().read_to_string(&mut text)?;
    } else {
        std::fs::File::open(name)
            .and_then(|mut f| f.read_to_string(&mut text))
            .with_context(|| format!("cannot read report {name}"))?;
    }
    let whole = match serde_json::from_str::<ScanReport>(&text) {
        Ok(r) => return Ok(r),
        Err(e) => e,
    };
    let mut targets = Vec::new();
    for (i, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        match serde_json::from_str::<TargetReport>(line) {
            Ok(t) => targets.push(t),
            Err(_) => anyhow::bail!(
                "{name}: not a tlsaudit JSON report ({whole}) nor JSON Lines of targets (line {} does not parse)",
                i + 1
            ),
        }
    }
    if targets.is_empty() {
        anyhow::bail!("{name}: no targets in the report");
    }
    Ok(ScanReport::new(String::new(), 0, targets))
}

fn check(args: CheckArgs) -> anyhow::Result<Exit> {
    let Some(judge) = judge_from_args(&args.judge)? else {
        anyhow::bail!("policy check needs a policy, not --policy none");
    };
    let mut report = read_report(&args.report)?;
    for t in &mut report.targets {
        judge.judge(t);
    }
    let mut out: Box<dyn Write> = match &args.output {
        Some(p) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(p).with_context(|| format!("cannot write {}", p.display()))?,
        )),
        None => Box::new(std::io::stdout().lock()),
    };
    let style = Style::detect(args.output.is_none() && std::io::stdout().is_terminal());
    let written = (|| -> std::io::Result<()> {
        if args.format.is_document() {
            render::document(&mut out, args.format, &report)?;
        } else {
            for t in &report.targets {
                match args.format {
                    // The facts were shown when the scan ran: the verdict is the news.
                    render::Format::Text => render::verdict::target(&mut out, t, &style)?,
                    f => render_target(&mut out, f, t, &style)?,
                }
            }
        }
        out.flush()
    })();
    is_broken_pipe(written)?;
    Ok(Tally::of(&report.targets).outcome().into())
}
