//! Active weakness checks that need our own TLS 1.0–1.2 client. Each is one function that
//! opens its connections through the engine (so they are counted) and folds the server's
//! reactions into a [`CheckResult`]. Inputs from the scan (accepted suites, whether tickets
//! are issued) are plain parameters; no check reads the report.

use serde::{Deserialize, Serialize};

use crate::engine::HostHandle;

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
