//! The workflow over the layers below: scan a target (enumerate its facts, analyse its
//! certificates, grade it), judge it by a policy, tally many. The CLI, `serve` and the demo
//! all run scans through here.

use crate::enumerate::{self, Gathered, ScanOptions};
use crate::facts::TargetFacts;
use crate::probe::engine::Engine;
use crate::probe::Target;
use crate::report::TargetReport;

/// Scans one target and grades it. Never fails: an unreachable target is a report with
/// `error` set. The [`Gathered`] side facts (flights, the SSLv2 certificate) come back too.
pub async fn scan_target(
    engine: &Engine,
    target: &Target,
    opts: &ScanOptions,
) -> (TargetReport, Gathered) {
    let (facts, gathered) = enumerate::scan_target(engine, target, opts).await;
    (TargetReport::graded(facts), gathered)
}

/// The report of an input that is not a target at all (it does not parse).
pub fn unparsable(input: String, error: String) -> TargetReport {
    TargetReport {
        facts: TargetFacts {
            target: input,
            error: Some(error),
            ..Default::default()
        },
        ..Default::default()
    }
}
