//! Active weakness checks that need our own TLS 1.0–1.2 client. Each is one function that
//! opens its connections through the engine (so they are counted) and folds the server's
//! reactions into a [`CheckResult`]. Inputs from the scan (accepted suites, whether tickets
//! are issued) are plain parameters; no check reads the report.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::probe::engine::{Engine, HostHandle};
use crate::wire::{CipherSuite, ProtocolVersion};

use crate::probe::tls12::client::ClientConfig;
use crate::probe::tls12::suite::SuiteParams;

mod ccs;
mod padding;
mod renegotiation;
mod robot;
mod ticketbleed;

pub use ccs::check_ccs_injection;
pub use padding::check_padding_oracle;
pub use renegotiation::{check_client_renegotiation, check_insecure_renegotiation};
pub use robot::{check_robot, RobotVariant};
pub use ticketbleed::check_ticketbleed;

/// The answer of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Vulnerable, or the weakness is present.
    Yes,
    No,
    /// The check does not apply (no such suite, no tickets, no version below TLS 1.3).
    NotApplicable,
    /// The server's answers did not decide it; `evidence` says why.
    NotDetermined,
}

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
