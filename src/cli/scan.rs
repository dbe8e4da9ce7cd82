//! `tlsaudit scan`: read the targets, build the engine and the options from the flags, then
//! judge and render the library's stream of reports ([`tlsaudit::audit::scan_all`]) as it
//! arrives, with a progress bar when one is wanted.

use std::io::{BufRead, IsTerminal, Write};
use std::time::{Duration, Instant};

use anyhow::Context;
use futures::StreamExt;

use tlsaudit::audit::{scan_all, AuditOptions, Judge, Tally};
use tlsaudit::enumerate::ScanOptions;
use tlsaudit::facts::{Stage, TlsVersion};
use tlsaudit::fleet::results;
use tlsaudit::fleet::targets::Block;
use tlsaudit::grade::Letter;
use tlsaudit::probe::engine::{Engine, EngineConfig};
use tlsaudit::render::{self, text::Style, Format};
use tlsaudit::report::{now_rfc3339, ScanReport, TargetReport};
use tlsaudit::simulate::profile::{self, ClientProfile};
use tlsaudit::simulate::Simulated;
use tlsaudit::store::Store;

use super::exit::{is_broken_pipe, Exit};
use super::progress::{self, Progress};
use super::{judge_from_args, resolve_shard, ScanArgs};

/// The certificates stage's options from the flags; fails on an unreadable --ca-file.
pub(crate) fn cert_options(args: &ScanArgs) -> anyhow::Result<tlsaudit::certs::CertOptions> {
    let stores = if args.trust.is_empty() {
        vec!["mozilla".to_string()]
    } else {
        args.trust.clone()
    };
    Ok(tlsaudit::certs::CertOptions {
        at: args.at,
        expiry_warn_days: args.expiry_warn_days,
        public_rules: args.public_rules,
        trust: tlsaudit::certs::verify::load(&stores, &args.ca_files)
            .map_err(anyhow::Error::msg)?,
    })
}

/// Certificate verdicts and the clients to simulate, from the flags; fails on an unreadable
/// --ca-file or an unknown client.
pub(crate) fn audit_options(args: &ScanArgs) -> anyhow::Result<AuditOptions> {
    Ok(AuditOptions {
        certs: cert_options(args)?,
        clients: clients(&args.clients)?,
        live: args.simulate == "live",
    })
}

/// `--clients`: built-in profiles by id, family or kind, and profile files, comma-separated;
/// `none` for no simulation.
pub(crate) fn clients(spec: &str) -> anyhow::Result<Vec<Simulated>> {
    if spec.trim().eq_ignore_ascii_case("none") {
        return Ok(Vec::new());
    }
    let mut profiles = Vec::new();
    let mut names = Vec::new();
    for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        if part.ends_with(".toml") {
            profiles.push(ClientProfile::load(std::path::Path::new(part))?);
        } else {
            names.push(part);
        }
    }
    if !names.is_empty() {
        profiles.extend(profile::select(&names.join(","))?);
    }
    Ok(tlsaudit::simulate::prepare(profiles)?)
}

/// The targets of shard `k` of `n`: every n-th target, starting at the k-th (deterministic;
/// a CIDR block counts as the targets it expands to).
pub(crate) fn shard<T>(
    targets: impl Iterator<Item = T>,
    shard: Option<(usize, usize)>,
) -> impl Iterator<Item = T> {
    let (k, n) = shard.unwrap_or((1, 1));
    targets
        .enumerate()
        .filter(move |(i, _)| i % n == k - 1)
        .map(|(_, t)| t)
}

/// Where target lines come from: lines already read (the arguments, stdin), or a file read
/// again on each pass over the list and never held whole (a fleet's list of 10^6 lines).
enum Source {
    Lines(Vec<String>),
    File(String),
}

/// A line of a target list without its comment and blanks; `None` when nothing is left.
fn target_line(line: &str) -> Option<String> {
    let t = line.split('#').next().unwrap_or("").trim();
    (!t.is_empty()).then(|| t.to_string())
}

/// Every target line of every source, in order.
fn list_lines(
    sources: std::sync::Arc<Vec<Source>>,
) -> impl Iterator<Item = std::io::Result<String>> + Send + 'static {
    (0..sources.len()).flat_map(
        move |i| -> Box<dyn Iterator<Item = std::io::Result<String>> + Send> {
            match &sources[i] {
                Source::Lines(lines) => Box::new(lines.clone().into_iter().map(Ok)),
                Source::File(path) => match std::fs::File::open(path) {
                    Ok(f) => Box::new(
                        std::io::BufReader::new(f)
                            .lines()
                            .filter_map(|l| l.map(|l| target_line(&l)).transpose()),
                    ),
                    Err(e) => Box::new(std::iter::once(Err(e))),
                },
            }
        },
    )
}

/// The targets the lines stand for, CIDR blocks expanded lazily. A bad block stays a line
/// (the scan reports it as an invalid target); [`check_list`] has refused it before.
fn expand(
    sources: std::sync::Arc<Vec<Source>>,
    default_port: u16,
) -> impl Iterator<Item = String> + Send + 'static {
    list_lines(sources)
        .map_while(|l| match l {
            Ok(l) => Some(l),
            Err(e) => {
                eprintln!("tlsaudit: reading the target list: {e}");
                None
            }
        })
        .flat_map(move |line| -> Box<dyn Iterator<Item = String> + Send> {
            match Block::parse(&line) {
                Some(Ok(b)) => Box::new(b.targets(default_port)),
                _ => Box::new(std::iter::once(line)),
            }
        })
}

/// One pass over the list before scanning: every line readable, every CIDR block valid.
fn check_list(sources: &std::sync::Arc<Vec<Source>>) -> anyhow::Result<()> {
    for line in list_lines(sources.clone()) {
        let line = line.map_err(|e| anyhow::anyhow!("cannot read the target list: {e}"))?;
        if let Some(Err(e)) = Block::parse(&line) {
            anyhow::bail!("target '{line}': {e}");
        }
    }
    Ok(())
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

/// The target list: stdin (`-`), the `-i` file (read lazily, on each pass), the arguments.
fn target_sources(args: &ScanArgs) -> anyhow::Result<Vec<Source>> {
    let stdin = || -> anyhow::Result<Source> {
        let mut lines = Vec::new();
        for line in std::io::stdin().lock().lines() {
            lines.extend(target_line(&line?));
        }
        Ok(Source::Lines(lines))
    };
    let mut sources = Vec::new();
    if args.targets.iter().any(|t| t == "-") {
        sources.push(stdin()?);
    }
    match args.input.as_deref() {
        Some("-") => sources.push(stdin()?),
        Some(path) => {
            std::fs::File::open(path)
                .map_err(|e| anyhow::anyhow!("cannot read target list {path}: {e}"))?;
            sources.push(Source::File(path.to_string()));
        }
        None => {}
    }
    sources.push(Source::Lines(
        args.targets.iter().filter(|t| *t != "-").cloned().collect(),
    ));
    Ok(sources)
}

pub(crate) fn engine_config(args: &ScanArgs) -> anyhow::Result<EngineConfig> {
    Ok(EngineConfig {
        connect_timeout: seconds("connect-timeout", args.connect_timeout)
            .map_err(anyhow::Error::msg)?,
        read_timeout: seconds("timeout", args.timeout).map_err(anyhow::Error::msg)?,
        per_host_limit: args.per_host as usize,
        global_limit: args.max_connections as usize,
        retries: args.retries,
        rate: args.rate,
        ..EngineConfig::default()
    })
}

pub(crate) fn scan_options(args: &ScanArgs) -> ScanOptions {
    let mut versions = if args.versions.is_empty() {
        TlsVersion::ALL.to_vec()
    } else {
        args.versions.clone()
    };
    versions.sort();
    versions.dedup();
    // QUIC carries TLS 1.3 alone (RFC 9001 section 4.2), and only the stages that need no
    // completed handshake run over it.
    let quic_stages = [Stage::Versions, Stage::Suites, Stage::Groups];
    if args.quic {
        versions = vec![TlsVersion::Tls13];
    }
    ScanOptions {
        versions,
        sni: args.sni.clone(),
        no_sni: args.no_sni,
        ip: args.ip,
        starttls: args.starttls,
        stages: if args.only.is_empty() {
            Stage::ALL.to_vec()
        } else {
            // Every stage but versions builds on the suites (`--only versions` alone: none).
            let suites = args.only.iter().any(|s| *s != Stage::Versions);
            args.only
                .iter()
                .copied()
                .chain([Stage::Versions])
                .chain(suites.then_some(Stage::Suites))
                .collect()
        }
        .into_iter()
        .filter(|s| !(args.no_certs && *s == Stage::Certs))
        .filter(|s| !(args.no_http && *s == Stage::Http))
        .filter(|s| !(args.no_dns && *s == Stage::Dns))
        .filter(|s| !args.quic || quic_stages.contains(s))
        .collect(),
        quick: args.quick,
        replay: Vec::new(),
        resolver: args.resolver,
        ech_config: args.ech_config.as_ref().map(|c| c.0.clone()),
        quic: args.quic,
        mail_domain: args.mail_domain.clone(),
    }
}

/// `tlsaudit scan`.
pub(crate) async fn run(args: ScanArgs) -> anyhow::Result<Exit> {
    let lines = std::sync::Arc::new(target_sources(&args)?);
    check_list(&lines)?;
    let default_port = scan_options(&args).default_port();
    let shard_of = resolve_shard(
        args.shard,
        args.shard_count,
        std::env::var("JOB_COMPLETION_INDEX").ok().as_deref(),
    )
    .map_err(anyhow::Error::msg)?;
    let targets = || shard(expand(lines.clone(), default_port), shard_of);
    // One pass to count, without keeping: the progress bar's total.
    let mut total = targets().count();
    if total == 0 {
        anyhow::bail!("no targets: give HOST[:PORT] arguments or -i FILE");
    }
    let store = match &args.store {
        Some(spec) => Some(Store::create(spec).await?),
        None => None,
    };
    // --resume: the targets the earlier output holds are done (it is cut back to its last
    // complete line, a killed run's torn tail, and appended to), and those the store holds
    // under this run's name.
    let mut done: std::collections::HashSet<String> = Default::default();
    let mut complete_len = None;
    if args.resume {
        let mut from = Vec::new();
        if let Some(p) = &args.output {
            if args.format != Format::Jsonl {
                anyhow::bail!("--resume appends to JSON Lines: give -f jsonl");
            }
            let finished = results::finished_targets(&p.to_string_lossy())?;
            complete_len = Some(finished.complete_len);
            done.extend(finished.targets);
            from.push(p.display().to_string());
        }
        if let (Some(s), Some(label), Some(spec)) = (&store, &args.run, &args.store) {
            done.extend(s.targets_in_run(label).await?);
            from.push(format!(
                "run '{label}' of {}",
                tlsaudit::store::display(spec)
            ));
        }
        if from.is_empty() {
            anyhow::bail!(
                "--resume needs what to resume: -o FILE (JSON Lines), or --store with --run NAME"
            );
        }
        let left = targets().filter(|t| !done.contains(t)).count();
        if !args.quiet {
            eprintln!(
                "tlsaudit: resuming {}: {} of {total} targets already there, {left} to scan",
                from.join(" and "),
                total - left,
            );
        }
        if left == 0 {
            return Ok(Exit::Ok);
        }
        total = left;
    }
    let raw = targets().filter(move |t| !done.contains(t));
    let judge = judge_from_args(&args.judge)?;
    if judge.is_none() && args.format.needs_policy() {
        anyhow::bail!(
            "--format {:?} reports policy results: give a --policy, not none",
            args.format
        );
    }
    let cfg = engine_config(&args)?;
    let opts = scan_options(&args);
    let audit = audit_options(&args)?;
    let out: Box<dyn Write + Send> = match &args.output {
        Some(p) => Box::new(std::io::BufWriter::new(
            open_output(p, complete_len)
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
        progress: progress::wanted(
            std::io::stderr().is_terminal(),
            args.output.is_none() && std::io::stdout().is_terminal(),
            args.format,
            args.quiet,
        ),
        store: store.as_ref(),
        run: args.run.as_deref(),
        total,
    };
    let (_, tally, interrupted) = scan_and_judge(
        raw,
        Engine::new(cfg),
        opts,
        audit,
        args.concurrency as usize,
        out,
        &how,
    )
    .await?;
    if interrupted {
        return Ok(Exit::Interrupted);
    }
    Ok(tally.outcome().into())
}

/// The output file: created afresh, or (resuming) cut back to `resume_at` bytes and appended to.
fn open_output(path: &std::path::Path, resume_at: Option<u64>) -> std::io::Result<std::fs::File> {
    use std::io::{Seek, SeekFrom};
    match resume_at {
        None => std::fs::File::create(path),
        Some(len) => {
            let mut f = std::fs::OpenOptions::new()
                .create(true)
                .truncate(false)
                .write(true)
                .open(path)?;
            f.set_len(len)?;
            f.seek(SeekFrom::End(0))?;
            Ok(f)
        }
    }
}

/// Renders one target in a per-target format (text: the verdict first, then the facts).
pub(crate) fn render_target(
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
        Format::Json
        | Format::Junit
        | Format::Sarif
        | Format::Html
        | Format::Inventory
        | Format::InventoryJson => Ok(()),
    }
}

/// How a run is judged and written.
#[derive(Clone, Copy)]
pub(crate) struct Output<'a> {
    pub(crate) format: Format,
    pub(crate) style: Style,
    /// The policy each target is judged by, if any.
    pub(crate) judge: Option<&'a Judge>,
    /// `--min-grade`.
    pub(crate) min_grade: Option<Letter>,
    /// Keep every target in the returned report even for streaming formats.
    pub(crate) keep_targets: bool,
    /// Draw a progress bar on stderr ([`progress::wanted`]).
    pub(crate) progress: bool,
    /// The run's name in the store (`--run`).
    pub(crate) run: Option<&'a str>,
    /// How many targets the run has (the progress bar's total).
    pub(crate) total: usize,
    /// `--store`: every finished target is written there too, as it arrives.
    pub(crate) store: Option<&'a Store>,
}

/// Scans every target (a bad one is an entry with an error, never the end of the run),
/// judges each by `judge` as it arrives and renders it. Streaming formats (text, JSON Lines)
/// write each target as it finishes and forget it, and the [`Tally`] says what the run
/// amounted to; the report keeps the targets, in input order, only for whole-document formats
/// (JSON, JUnit, SARIF).
pub(crate) async fn scan_and_judge(
    raw: impl Iterator<Item = String>,
    engine: Engine,
    opts: ScanOptions,
    audit: AuditOptions,
    concurrency: usize,
    mut out: Box<dyn Write + Send>,
    how: &Output<'_>,
) -> anyhow::Result<(ScanReport, Tally, bool)> {
    let Output {
        format,
        style,
        judge,
        min_grade,
        keep_targets,
        progress,
        store,
        run,
        total,
    } = *how;
    let mut progress = if progress {
        Progress::stderr(total)
    } else {
        Progress::hidden()
    };
    let started_at = now_rfc3339();
    let started = Instant::now();
    let stored_scan = match store {
        Some(s) => Some(s.begin_scan(&started_at, run).await?),
        None => None,
    };
    let stream = scan_all(raw, engine, opts, audit, concurrency, judge.cloned());
    futures::pin_mut!(stream);
    let mut targets = Vec::new();
    let mut tally = Tally::new(min_grade);
    let mut pipe_open = true;
    // Ctrl-C: stop taking targets; those finished are written whole (and stored), the ones in
    // flight are dropped, the output ends cleanly, and `--resume` picks up from there.
    let interrupt = tokio::signal::ctrl_c();
    futures::pin_mut!(interrupt);
    let mut interrupted = false;
    loop {
        let t = tokio::select! {
            t = stream.next() => match t {
                Some((i, t)) => (i, t),
                None => break,
            },
            _ = &mut interrupt => {
                interrupted = true;
                break;
            }
        };
        let (position, t) = t;
        tally.add(&t);
        if let (Some(s), Some(scan)) = (store, stored_scan) {
            // A store that misses targets silently is worse than a run that stops.
            s.put(scan, &t)
                .await
                .with_context(|| format!("writing {} to the store", t.facts.target))?;
        }
        progress.target_done(t.error.is_some());
        let written = progress.suspend(|| {
            render_target(&mut out, format, &t, &style)?;
            // With a bar drawn, stdout may be its terminal: nothing may wait in a buffer. JSON
            // Lines go out a whole line at a time, so a kill leaves at most a torn last line.
            if progress.is_shown() || format == Format::Jsonl {
                out.flush()?;
            }
            Ok(())
        });
        pipe_open &= !is_broken_pipe(written)?;
        if format.is_document() || keep_targets {
            targets.push((position, t));
        }
    }
    // Input order for a document, whatever order the scans finished in.
    targets.sort_by_key(|(position, _)| *position);
    let targets = targets.into_iter().map(|(_, t)| t).collect();
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
    if interrupted {
        eprintln!(
            "tlsaudit: interrupted: {} finished target{} written; the same command with --resume \
             (JSON Lines to -o FILE) scans the rest",
            tally.targets,
            if tally.targets == 1 { "" } else { "s" }
        );
    }
    Ok((report, tally, interrupted))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::parse_shard;

    #[test]
    fn shards_cover_the_list_exactly_once() {
        let list: Vec<usize> = (0..10).collect();
        let mut seen: Vec<usize> = (1..=3)
            .flat_map(|k| shard(list.clone().into_iter(), Some((k, 3))))
            .collect();
        seen.sort();
        assert_eq!(seen, list);
        assert_eq!(
            shard(list.clone().into_iter(), Some((2, 3))).collect::<Vec<_>>(),
            vec![1, 4, 7]
        );
        assert_eq!(parse_shard("2/8"), Ok((2, 8)));
        assert!(
            parse_shard("0/8").is_err() && parse_shard("9/8").is_err() && parse_shard("x").is_err()
        );
        // A Kubernetes Indexed Job's worker: 0-based index, 1-based shard.
        use crate::cli::{resolve_shard, ShardSpec};
        let auto = Some(ShardSpec::Auto);
        assert_eq!(resolve_shard(auto, Some(4), Some("0")), Ok(Some((1, 4))));
        assert_eq!(resolve_shard(auto, Some(4), Some("3")), Ok(Some((4, 4))));
        assert!(resolve_shard(auto, Some(4), Some("4"))
            .unwrap_err()
            .contains("not below"));
        assert!(resolve_shard(auto, None, Some("0"))
            .unwrap_err()
            .contains("--shard-count"));
        assert!(resolve_shard(auto, Some(4), None)
            .unwrap_err()
            .contains("JOB_COMPLETION_INDEX"));
    }

    // Moved from tests/it/groups.rs when the command line became private to the binary.
    #[test]
    fn only_and_quick_flags_parse_into_scan_options() {
        use crate::cli::{Cli, Command};
        use clap::Parser;
        let parse = |args: &[&str]| {
            let cli = Cli::try_parse_from([&["tlsaudit", "scan", "h"], args].concat())?;
            let Command::Scan(a) = cli.command else {
                unreachable!()
            };
            Ok::<_, clap::Error>(scan_options(&a))
        };
        let o = parse(&["--only", "groups,sigs"]).unwrap();
        assert_eq!(
            o.stages.iter().map(|s| s.name()).collect::<Vec<_>>(),
            ["versions", "suites", "groups", "sigs"]
        );
        assert!(!o.quick);
        let o = parse(&["--only", "versions"]).unwrap();
        assert_eq!(
            o.stages.iter().map(|s| s.name()).collect::<Vec<_>>(),
            ["versions"]
        );
        assert!(!o.enumerates_suites());
        let o = parse(&["--quick"]).unwrap();
        assert_eq!(o.stages.len(), 10);
        assert!(o.quick);
        let o = parse(&["--no-http"]).unwrap();
        assert_eq!(o.stages.len(), 9);
        assert!(!o.runs(tlsaudit::facts::Stage::Http));
        // The DNS stage: its resolver, off with --no-dns, which a resolver contradicts.
        let o = parse(&["--no-dns"]).unwrap();
        assert!(!o.runs(tlsaudit::facts::Stage::Dns) && o.runs(tlsaudit::facts::Stage::Ech));
        let o = parse(&["--resolver", "127.0.0.1:5353"]).unwrap();
        assert_eq!(o.resolver, Some(([127, 0, 0, 1], 5353).into()));
        assert!(parse(&["--resolver", "127.0.0.1", "--no-dns"]).is_err());
        let e = parse(&["--resolver", "dns.example"]).unwrap_err();
        assert!(e.to_string().contains("not a resolver address"), "{e}");
        // --mail-domain: MTA-STS's domain for SMTP targets; none: the host's parent.
        let o = parse(&["--mail-domain", "mail.test"]).unwrap();
        assert_eq!(o.mail_domain.as_deref(), Some("mail.test"));
        assert_eq!(parse(&[]).unwrap().mail_domain, None);
        // --ech-config: the ech= value of an HTTPS record, checked when parsed.
        let config = "AEX+DQBBqQAgACCgM6YbSWu4X2g2CXBY2Yx9ZWLTcJz5WhKC/9F7Az47OAAEAAEAAQASY2xvdWRmbGFyZS1lY2guY29tAAA=";
        let o = parse(&["--ech-config", config]).unwrap();
        assert_eq!(o.ech_config.as_ref().map(Vec::len), Some(71));
        let e = parse(&["--ech-config", "%%%"]).unwrap_err();
        assert!(e.to_string().contains("not base64"), "{e}");
        let o = parse(&["--only", "http"]).unwrap();
        assert_eq!(
            o.stages.iter().map(|s| s.name()).collect::<Vec<_>>(),
            ["versions", "suites", "http"]
        );
        let e = parse(&["--only", "groups,bogus"]).unwrap_err();
        assert!(e.to_string().contains("unknown stage 'bogus'"), "{e}");
    }
}
