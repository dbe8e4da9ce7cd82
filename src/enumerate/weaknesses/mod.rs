//! The weaknesses stage. Active checks need our own TLS 1.0–1.2 client: each is one function
//! that opens its connections through the engine (so they are counted) and folds the server's
//! reactions into a [`CheckResult`]. Inputs from the scan (accepted suites, whether tickets
//! are issued) are plain parameters; no check reads the report. The rest follow from facts
//! with no connection ([`predicates`]). [`scan`] runs both, only the active checks that
//! apply, and folds them into the report's [`WeaknessesSection`].

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::facts::weaknesses::WEAKNESSES;
pub use crate::facts::Verdict;
use crate::facts::{Answer, SectionStatus, Stage, TlsVersion, WeaknessCheck, WeaknessesSection};
use crate::probe::engine::{Engine, HostHandle};
use crate::wire::{CipherSuite, ProtocolVersion};

use super::prior::Prior;
use super::{Ctx, ScanOptions};

use crate::probe::tls12::client::ClientConfig;
use crate::probe::tls12::suite::SuiteParams;

mod ccs;
mod padding;
pub mod predicates;
mod renegotiation;
mod robot;
mod ticketbleed;

pub use ccs::check_ccs_injection;
pub use padding::check_padding_oracle;
pub use predicates::Known;
pub use renegotiation::{check_client_renegotiation, check_insecure_renegotiation};
pub use robot::{check_robot, RobotVariant};
pub use ticketbleed::check_ticketbleed;

/// One check's result, its evidence and the connections it opened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CheckResult {
    pub result: Verdict,
    pub evidence: String,
    pub connections: u64,
}

impl CheckResult {
    fn new(result: Verdict, evidence: impl Into<String>, connections: u64) -> Self {
        Self {
            result,
            evidence: evidence.into(),
            connections,
        }
    }
}

impl CheckResult {
    /// The report entry for check `id`.
    pub fn entry(&self, id: &str) -> WeaknessCheck {
        WeaknessCheck::new(id, self.result, self.evidence.clone())
    }
}

/// The weaknesses stage: the predicates on `known` (the sections scanned so far), and the
/// active checks at the highest of TLS 1.0–1.2 the server speaks, with its accepted suites;
/// each active check opens connections only when it applies.
pub async fn scan(
    ctx: &Ctx,
    prior: &Prior,
    known: &Known<'_>,
    opts: &ScanOptions,
) -> Option<WeaknessesSection> {
    if !opts.runs(Stage::Weaknesses) {
        return None;
    }
    let mut checks = predicates::all(known);
    checks.push(predicates::heartbleed(known));
    match prior.legacy_version() {
        None => {
            let why = "no TLS 1.0–1.2 version is supported";
            for id in [
                "ccs_injection",
                "ticketbleed",
                "robot",
                "client_renegotiation",
                "insecure_renegotiation",
                "poodle_tls",
            ] {
                checks.push(WeaknessCheck::new(id, Verdict::NotApplicable, why));
            }
        }
        Some(v) => checks.extend(active(ctx, prior, known, v, opts).await),
    }
    let order = |c: &WeaknessCheck| WEAKNESSES.iter().position(|w| w.id == c.id);
    checks.sort_by_key(order);
    Some(WeaknessesSection {
        status: SectionStatus::Completed,
        error: None,
        checks,
    })
}

/// The active checks at `version`, concurrently (the engine bounds the connections per host).
async fn active(
    ctx: &Ctx,
    prior: &Prior,
    known: &Known<'_>,
    legacy: TlsVersion,
    opts: &ScanOptions,
) -> Vec<WeaknessCheck> {
    let (engine, host, sni) = (&ctx.engine, &ctx.host, ctx.sni.as_deref());
    let quick = opts.quick;
    let version = legacy.wire();
    let accepted = prior.suites(legacy, |_| true);
    let accepted = accepted.as_slice();
    let features = known
        .features
        .filter(|f| f.status == SectionStatus::Completed);
    // Without the features stage the check asks for a ticket itself (one connection).
    let tickets = features.is_none_or(|f| {
        f.session_ticket_advertised.answer == Answer::Yes
            || f.session_ticket_resumption.answer == Answer::Yes
    });
    let secure = predicates::secure_renegotiation(known).cloned();
    let rfc5746 = async {
        match &secure {
            Some(f) if matches!(f.answer, Answer::Yes | Answer::No) => CheckResult::new(
                if f.answer == Answer::Yes {
                    Verdict::No
                } else {
                    Verdict::Yes
                },
                f.evidence.clone(),
                0,
            ),
            _ => check_insecure_renegotiation(engine, host, sni, version, accepted).await,
        }
    };
    let (ccs, ticketbleed, robot, client_reneg, rfc5746, padding) = tokio::join!(
        check_ccs_injection(engine, host, sni, version, accepted),
        check_ticketbleed(engine, host, sni, version, accepted, tickets),
        check_robot(engine, host, sni, version, accepted, !quick),
        check_client_renegotiation(engine, host, sni, version, accepted),
        rfc5746,
        check_padding_oracle(engine, host, sni, version, accepted),
    );
    vec![
        ccs.entry("ccs_injection"),
        ticketbleed.entry("ticketbleed"),
        robot.entry("robot"),
        client_reneg.entry("client_renegotiation"),
        insecure_renegotiation(&rfc5746, &client_reneg),
        padding.entry("poodle_tls"),
    ]
}

/// Insecure renegotiation (CVE-2009-3555) is the attack on a server that renegotiates
/// without RFC 5746: yes only when it lacks RFC 5746 (`no_rfc5746` yes) *and* takes a
/// client-initiated renegotiation. Without RFC 5746 but refusing renegotiation it is no
/// (the missing extension is graded on its own, from the features).
fn insecure_renegotiation(no_rfc5746: &CheckResult, client: &CheckResult) -> WeaknessCheck {
    let id = "insecure_renegotiation";
    match (no_rfc5746.result, client.result) {
        (Verdict::Yes, Verdict::Yes) => WeaknessCheck::new(
            id,
            Verdict::Yes,
            format!("{}; {}", no_rfc5746.evidence, client.evidence),
        ),
        (Verdict::Yes, Verdict::No) => WeaknessCheck::new(
            id,
            Verdict::No,
            format!(
                "{}, but client-initiated renegotiation is refused: {}",
                no_rfc5746.evidence, client.evidence
            ),
        ),
        (Verdict::Yes, _) => WeaknessCheck::new(
            id,
            Verdict::NotDetermined,
            format!(
                "{}; client-initiated renegotiation: {}",
                no_rfc5746.evidence, client.evidence
            ),
        ),
        (v, _) => WeaknessCheck::new(id, v, no_rfc5746.evidence.clone()),
    }
}

/// Counts the connections a check opens to one host.
struct Counter {
    start: u64,
}

impl Counter {
    fn new(host: &HostHandle) -> Self {
        Self {
            start: host.connections(),
        }
    }

    fn result(
        &self,
        host: &HostHandle,
        result: Verdict,
        evidence: impl Into<String>,
    ) -> CheckResult {
        CheckResult::new(result, evidence, host.connections() - self.start)
    }
}

/// The suites of `accepted` this client can complete at `version` and that `keep` accepts.
fn usable(
    version: ProtocolVersion,
    accepted: &[CipherSuite],
    keep: impl Fn(&SuiteParams) -> bool,
) -> Vec<CipherSuite> {
    accepted
        .iter()
        .filter_map(|s| SuiteParams::of(*s))
        .filter(|p| p.valid_for(version) && keep(p))
        .map(|p| p.suite)
        .collect()
}

/// A hello at `version` offering `suites` and naming `sni`.
fn config(version: ProtocolVersion, suites: Vec<CipherSuite>, sni: Option<&str>) -> ClientConfig {
    ClientConfig::new(version, suites).with_sni(sni.map(str::to_string))
}

/// How long a check waits for a reaction after its crafted record: the read timeout, at most
/// 3 s (every server here answers a bad record at once; only silence takes the whole wait).
fn reaction_wait(engine: &Engine) -> Duration {
    engine.config().read_timeout.min(Duration::from_secs(3))
}

/// Why a check does not apply below TLS 1.3 only.
fn not_tls12(version: ProtocolVersion) -> bool {
    !(ProtocolVersion::TLS10..=ProtocolVersion::TLS12).contains(&version)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_serialise_in_snake_case() {
        let r = CheckResult::new(Verdict::NotDetermined, "why", 3);
        assert_eq!(
            serde_json::to_string(&r).unwrap(),
            r#"{"result":"not_determined","evidence":"why","connections":3}"#
        );
        for (v, s) in [
            (Verdict::Yes, "\"yes\""),
            (Verdict::No, "\"no\""),
            (Verdict::NotApplicable, "\"not_applicable\""),
        ] {
            assert_eq!(serde_json::to_string(&v).unwrap(), s);
            assert_eq!(serde_json::from_str::<Verdict>(s).unwrap(), v);
        }
    }
}
