//! The workflow over the layers below: scan a target (enumerate its facts, analyse its
//! certificates, grade it), judge it by a policy ([`Judge`]), run over many targets
//! ([`scan_all`]) and say what the run amounts to ([`Tally`], [`RunOutcome`]). The CLI, `serve`
//! and the demo all run scans through here; none of it knows about a terminal or a flag.

use futures::{Stream, StreamExt};

use crate::certs::CertOptions;
use crate::enumerate::replay::ReplayHello;
use crate::enumerate::{self, Gathered, ScanOptions};
use crate::facts::{ErrorReason, SectionStatus, Severity, Stage, TargetFacts};
use crate::grade::Letter;
use crate::policy::{self, Policy, PolicyError, Verdict};
use crate::probe::engine::Engine;
use crate::probe::Target;
use crate::report::TargetReport;
use crate::simulate::{self, SimClient, Simulated, SimulationSection};

/// Scans one target, judges its certificates (`audit.certs`: trust stores, verdict time),
/// grades it and simulates `audit.clients` against it (replaying their hellos with
/// `audit.live`). Never fails: an unreachable target is a report with `error` set. The
/// [`Gathered`] side facts (flights, the SSLv2 certificate) come back too.
///
/// ```no_run
/// use tlsaudit::audit::{scan_target, AuditOptions};
/// use tlsaudit::enumerate::{ScanOptions, Target};
/// use tlsaudit::probe::engine::{Engine, EngineConfig};
///
/// # async fn example() -> Result<(), Box<dyn std::error::Error>> {
/// let engine = Engine::new(EngineConfig::default());
/// let target = Target::parse("example.com", 443).expect("a HOST[:PORT]");
/// let audit = AuditOptions {
///     clients: tlsaudit::simulate::prepare(tlsaudit::simulate::profile::builtin()?)?,
///     ..AuditOptions::default()
/// };
/// let (report, _gathered) = scan_target(&engine, &target, &ScanOptions::default(), &audit).await;
/// if let Some(grade) = &report.grade {
///     println!("{}: {}", report.target, grade.letter);
/// }
/// for client in report.simulation.iter().flat_map(|s| &s.clients) {
///     println!("{}: {}", client.id, if client.connects { "connects" } else { "fails" });
/// }
/// # Ok(())
/// # }
/// ```
pub async fn scan_target(
    engine: &Engine,
    target: &Target,
    opts: &ScanOptions,
    audit: &AuditOptions,
) -> (TargetReport, Gathered) {
    scan(engine, target, opts, audit, None).await
}

/// A finished step of [`scan_target_observed`]: an enumeration stage (its certificates already
/// judged), the grade, the simulated clients, or (told by whoever judges, e.g. `serve`) the
/// policy verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Stage(Stage),
    /// An SMTP target's DANE records and MTA-STS policy ([`enumerate::mail`]).
    Mail,
    Grade,
    Simulation,
    Policy,
}

impl Step {
    /// The step's name: a stage's as `--only` spells it, then `mail`, `grade`, `simulation`,
    /// `policy`.
    pub fn name(self) -> &'static str {
        match self {
            Step::Stage(s) => s.name(),
            Step::Mail => "mail",
            Step::Grade => "grade",
            Step::Simulation => "simulation",
            Step::Policy => "policy",
        }
    }
}

/// Told of each [`Step`] as it finishes, with the report so far (facts of the stages done,
/// certificates judged; the grade from [`Step::Grade`] on).
pub type StepObserver<'a> = &'a (dyn Fn(Step, &TargetReport) + Sync);

/// [`scan_target`], telling `observer` of each step as it finishes (`serve`'s live progress).
pub async fn scan_target_observed(
    engine: &Engine,
    target: &Target,
    opts: &ScanOptions,
    audit: &AuditOptions,
    observer: StepObserver<'_>,
) -> (TargetReport, Gathered) {
    scan(engine, target, opts, audit, Some(observer)).await
}

async fn scan(
    engine: &Engine,
    target: &Target,
    opts: &ScanOptions,
    audit: &AuditOptions,
    observer: Option<StepObserver<'_>>,
) -> (TargetReport, Gathered) {
    let replaying;
    let opts = if audit.live && !audit.clients.is_empty() && opts.enumerates_suites() {
        replaying = ScanOptions {
            replay: replay_hellos(target, opts, &audit.clients),
            ..opts.clone()
        };
        &replaying
    } else {
        opts
    };
    let (mut facts, gathered) = match observer {
        None => enumerate::scan_target(engine, target, opts).await,
        Some(tell) => {
            // Certificates are judged as soon as they are fetched, so the step told carries
            // the verdicts; the section is kept for the report rather than judged twice.
            let judged = std::sync::Mutex::new(None);
            let stage_done = |stage: Stage, facts: &TargetFacts, gathered: &Gathered| {
                let mut so_far = TargetReport {
                    facts: facts.clone(),
                    ..Default::default()
                };
                if stage == Stage::Certs {
                    let section = certificates(facts, gathered, audit);
                    so_far.facts.certificates = Some(section.clone());
                    if let Ok(mut j) = judged.lock() {
                        *j = Some(section);
                    }
                }
                tell(Step::Stage(stage), &so_far);
            };
            let (mut facts, gathered) =
                enumerate::scan_target_observed(engine, target, opts, &stage_done).await;
            facts.certificates = judged.into_inner().ok().flatten();
            (facts, gathered)
        }
    };
    if opts.runs(Stage::Certs) && facts.certificates.is_none() {
        facts.certificates = Some(certificates(&facts, &gathered, audit));
    }
    let mailed = enumerate::mail::applies(target, opts);
    if mailed {
        mail(engine, target, opts, audit, &mut facts, &gathered).await;
    }
    let mut report = TargetReport::graded(facts);
    if let (Some(tell), true) = (observer, mailed) {
        tell(Step::Mail, &report);
    }
    if let Some(tell) = observer {
        if report.grade.is_some() {
            tell(Step::Grade, &report);
        }
    }
    if !audit.clients.is_empty() {
        // The client profiles are hellos over TCP: a QUIC scan does not predict them.
        report.simulation = Some(if opts.enumerates_suites() && !opts.quic {
            let clients: Vec<SimClient> = audit.clients.iter().map(|c| c.client.clone()).collect();
            simulate::simulate(&report.facts, &clients)
        } else {
            // `--only versions`: one suite per version is too little to predict from.
            // `--quic`: not the transport the clients' hellos were recorded on.
            SimulationSection {
                status: SectionStatus::NotScheduled,
                ..Default::default()
            }
        });
        if let Some(tell) = observer {
            tell(Step::Simulation, &report);
        }
    }
    (report, gathered)
}

/// An SMTP target's DANE records (matched against the chain fetched) and MTA-STS policy
/// (fetched trusting what the certificates are judged by).
async fn mail(
    engine: &Engine,
    target: &Target,
    opts: &ScanOptions,
    audit: &AuditOptions,
    facts: &mut TargetFacts,
    gathered: &Gathered,
) {
    let roots = std::sync::Arc::new(audit.certs.trust.root_store());
    let wait = engine.config().read_timeout;
    let (dane, mta_sts) = enumerate::mail::scan(target, opts, wait, roots).await;
    facts.dane = dane.map(|mut d| {
        let chain = gathered
            .chains
            .as_ref()
            .and_then(|c| c.captures.iter().find(|c| !c.certs.is_empty()))
            .map(|c| c.certs.as_slice());
        crate::certs::dane::judge(&mut d, chain);
        d
    });
    facts.mta_sts = mta_sts;
}

/// The judged certificates section of what was fetched (not scheduled when nothing was).
fn certificates(
    facts: &TargetFacts,
    gathered: &Gathered,
    audit: &AuditOptions,
) -> crate::facts::CertificatesSection {
    // The name a client checks the certificate against: SNI, else the host as given.
    let name = facts.sni.clone().unwrap_or_else(|| facts.host.clone());
    match &gathered.chains {
        Some(fetched) => crate::certs::section(fetched, &audit.certs, &name),
        None => crate::certs::not_scheduled(),
    }
}

/// Each client's first hello, its server name rewritten to what this scan sends.
fn replay_hellos(target: &Target, opts: &ScanOptions, clients: &[Simulated]) -> Vec<ReplayHello> {
    let sni = crate::probe::ctx::sni_for(target, opts.sni.as_deref(), opts.no_sni);
    clients
        .iter()
        .filter_map(|c| {
            let bytes = c
                .profile
                .hello_bytes(sni.as_deref())
                .ok()?
                .into_iter()
                .next()?;
            Some(ReplayHello {
                id: c.client.id.clone(),
                bytes,
                sslv2: c.profile.sslv2_compatible_hello.unwrap_or(false),
            })
        })
        .collect()
}

/// What an audit judges a target with, beyond the scan plan.
#[derive(Debug, Clone, Default)]
pub struct AuditOptions {
    /// Certificate verdicts: trust stores, verdict time, expiry warning.
    pub certs: CertOptions,
    /// Clients to simulate ("who can connect"); none: no simulation section.
    pub clients: Vec<Simulated>,
    /// Also replay each client's hello to the server (one connection per client) and set the
    /// live answer beside the prediction.
    pub live: bool,
}

/// The report of an input that is not a target at all (it does not parse).
pub fn unparsable(input: String, error: String) -> TargetReport {
    TargetReport {
        facts: TargetFacts {
            target: input,
            error: Some(error),
            error_reason: Some(ErrorReason::InvalidTarget),
            ..Default::default()
        },
        ..Default::default()
    }
}

/// Scans every input (`HOST[:PORT]`, parsed with the options' default port), up to
/// `concurrency` at once, and yields each target's report as it finishes, with the input's
/// position (0-based), judged by `judge` when there is one. A bad input or an unreachable
/// server is a report with `error` set, never the end of the stream. `inputs` is taken
/// lazily: a fleet's list (a CIDR block's expansion) is never held whole.
///
/// Finishing order, not input order: a target that holds its slot for a read timeout (a
/// silent listener) must not hold back the reports behind it, nor the scans that would start
/// in their place. Whoever needs input order sorts by the position.
pub fn scan_all<I>(
    inputs: I,
    engine: Engine,
    opts: ScanOptions,
    audit: AuditOptions,
    concurrency: usize,
    judge: Option<Judge>,
) -> impl Stream<Item = (usize, TargetReport)>
where
    I: IntoIterator<Item = String>,
{
    let audit = std::sync::Arc::new(audit);
    futures::stream::iter(inputs.into_iter().enumerate().map(move |(i, input)| {
        let engine = engine.clone();
        let opts = opts.clone();
        let audit = audit.clone();
        async move {
            let report = match Target::parse(&input, opts.default_port()) {
                Ok(t) => scan_target(&engine, &t, &opts, &audit).await.0,
                Err(e) => unparsable(input, e),
            };
            (i, report)
        }
    }))
    .buffer_unordered(concurrency.max(1))
    .map(move |(i, mut t)| {
        if let Some(j) = &judge {
            j.judge(&mut t);
        }
        (i, t)
    })
}

/// A loaded policy with its threshold: what a scan, a saved report or a web request is judged
/// with.
///
/// ```
/// use tlsaudit::audit::Judge;
/// use tlsaudit::facts::Severity;
/// use tlsaudit::policy::Verdict;
/// use tlsaudit::report::TargetReport;
///
/// let judge = Judge::load("mozilla-intermediate", Severity::Error, &[]).unwrap();
/// // A target that could not be scanned lacks every fact a rule needs.
/// let mut target = tlsaudit::audit::unparsable("not a target".into(), "no port".into());
/// judge.judge(&mut target);
/// assert_eq!(target.policy.as_ref().map(|p| p.verdict), Some(Verdict::Incomplete));
/// ```
#[derive(Debug, Clone)]
pub struct Judge {
    pub policy: Policy,
    /// The lowest severity of a failed rule that makes a target NOT COMPLIANT.
    pub fail_on: Severity,
    /// Rules left out of the policy (recorded in each result).
    pub ignored: Vec<String>,
}

impl Judge {
    /// Judges by `policy`, failing on errors, with no rule left out.
    pub fn new(policy: Policy) -> Judge {
        Judge {
            policy,
            fail_on: Severity::Error,
            ignored: Vec::new(),
        }
    }

    /// Loads a built-in profile or a TOML file ([`Policy::load`]) without the rules `ignored`
    /// names (an unknown id is an error, so a typo never waives nothing in silence).
    pub fn load(name: &str, fail_on: Severity, ignored: &[String]) -> Result<Judge, PolicyError> {
        Ok(Judge {
            policy: Policy::load(name)?.without(ignored)?,
            fail_on,
            ignored: ignored.to_vec(),
        })
    }

    /// Judges one target and stores the result in it.
    pub fn judge(&self, t: &mut TargetReport) {
        let mut r = policy::evaluate(t, &self.policy, self.fail_on);
        r.ignored = self.ignored.clone();
        t.policy = Some(r);
        // The readiness names the dates the judging policy sets (a saved report judged again
        // gets the new policy's).
        let deadlines = policy::pq::deadlines(&self.policy);
        if let Some(pq) = t.post_quantum.as_mut() {
            pq.deadlines = deadlines;
        } else if let Some(mut pq) = policy::pq::readiness(t) {
            pq.deadlines = deadlines;
            t.post_quantum = Some(pq);
        }
    }
}

/// What a run over targets amounts to, from the worst target's point of view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunOutcome {
    /// Every target scanned, and compliant (or, judged by nothing, just scanned).
    Compliant,
    /// A target is NOT COMPLIANT, or graded below the minimum.
    NotCompliant,
    /// Every target scanned, but a verdict or a grade lacks facts a rule needs.
    Incomplete,
    /// A target could not be scanned.
    Unreachable,
}

/// What a run amounts to, counted as targets stream past (so a run of a hundred thousand
/// targets in a streaming format keeps none of them in memory).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    /// The minimum grade: a target graded below it fails the run.
    pub min_grade: Option<Letter>,
    pub targets: usize,
    pub unreachable: usize,
    pub compliant: usize,
    pub not_compliant: usize,
    pub incomplete: usize,
    /// Targets whose grade is below `min_grade`.
    pub below_grade: usize,
    /// Targets whose grade meets `min_grade` only as far as it could be judged.
    pub grade_incomplete: usize,
}

impl Tally {
    pub fn new(min_grade: Option<Letter>) -> Tally {
        Tally {
            min_grade,
            ..Tally::default()
        }
    }

    pub fn add(&mut self, t: &TargetReport) {
        self.targets += 1;
        if t.error.is_some() {
            self.unreachable += 1;
        }
        match t.policy.as_ref().map(|p| p.verdict) {
            Some(Verdict::Compliant) => self.compliant += 1,
            Some(Verdict::NotCompliant) => self.not_compliant += 1,
            Some(Verdict::Incomplete) => self.incomplete += 1,
            None => {}
        }
        if let (Some(min), Some(g)) = (self.min_grade, &t.grade) {
            // A letter already below the bar is a definite failure; more facts only add caps.
            if !g.letter.meets(min) {
                self.below_grade += 1;
            } else if g.incomplete {
                self.grade_incomplete += 1;
            }
        }
    }

    /// The tally of targets already in hand (no minimum grade).
    pub fn of(targets: &[TargetReport]) -> Tally {
        let mut t = Tally::default();
        targets.iter().for_each(|x| t.add(x));
        t
    }

    /// Unreachable when a target could not be scanned; else not compliant when a target is NOT
    /// COMPLIANT or graded below the minimum; else incomplete when a verdict or a grade is
    /// INCOMPLETE (the scan lacks facts a rule needs); else compliant.
    pub fn outcome(&self) -> RunOutcome {
        if self.unreachable > 0 {
            RunOutcome::Unreachable
        } else if self.not_compliant > 0 || self.below_grade > 0 {
            RunOutcome::NotCompliant
        } else if self.incomplete > 0 || self.grade_incomplete > 0 {
            RunOutcome::Incomplete
        } else {
            RunOutcome::Compliant
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unreachable_target_outweighs_a_failed_one() {
        let mut tally = Tally::default();
        assert_eq!(tally.outcome(), RunOutcome::Compliant);
        tally.incomplete = 1;
        assert_eq!(tally.outcome(), RunOutcome::Incomplete);
        tally.not_compliant = 1;
        assert_eq!(tally.outcome(), RunOutcome::NotCompliant);
        tally.unreachable = 1;
        assert_eq!(tally.outcome(), RunOutcome::Unreachable);
    }
}
