//! The workflow over the layers below: scan a target (enumerate its facts, analyse its
//! certificates, grade it), judge it by a policy, tally many. The CLI, `serve` and the demo
//! all run scans through here.

use crate::certs::CertOptions;
use crate::enumerate::{self, Gathered, ScanOptions};
use crate::facts::TargetFacts;
use crate::facts::{ErrorReason, Stage};
use crate::probe::engine::Engine;
use crate::probe::Target;
use crate::report::TargetReport;

/// Scans one target, judges its certificates (by `certs`: trust stores, verdict time) and
/// grades it. Never fails: an unreachable target is a report with
/// `error` set. The [`Gathered`] side facts (flights, the SSLv2 certificate) come back too.
pub async fn scan_target(
    engine: &Engine,
    target: &Target,
    opts: &ScanOptions,
    certs: &CertOptions,
) -> (TargetReport, Gathered) {
    let (mut facts, gathered) = enumerate::scan_target(engine, target, opts).await;
    if opts.runs(Stage::Certs) {
        // The name a client checks the certificate against: SNI, else the host as given.
        let name = facts.sni.clone().unwrap_or_else(|| facts.host.clone());
        facts.certificates = Some(match &gathered.chains {
            Some(fetched) => crate::certs::section(fetched, certs, &name),
            None => crate::certs::not_scheduled(),
        });
    }
    (TargetReport::graded(facts), gathered)
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
