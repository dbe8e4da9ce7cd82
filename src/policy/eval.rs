//! Evaluation: (facts, policy) -> rule results and a verdict. Pure: no network, no clock.

use crate::facts::TargetFacts;
use crate::facts::{ProtocolResult, SectionStatus, Severity, SuiteResult, TlsVersion};

use super::facts as f;
use super::{verdict, Policy, PolicyResult, Rule, RuleKind, RuleResult, RuleStatus, SuiteSpec};

/// Judges one target. A rule whose facts the scan did not gather (the target failed, the
/// version was not scanned or its scan failed, the certificates were not analysed) is
/// [`RuleStatus::Incomplete`]. `fail_on` is the lowest severity whose failures count.
pub fn evaluate(target: &TargetFacts, policy: &Policy, fail_on: Severity) -> PolicyResult {
    let rules: Vec<RuleResult> = policy
        .rules
        .iter()
        .map(|rule| {
            let (status, evidence) = match &target.error {
                Some(e) => (
                    RuleStatus::Incomplete,
                    format!("the target could not be scanned: {e}"),
                ),
                None => check(target, rule),
            };
            RuleResult {
                id: rule.id.clone(),
                severity: rule.severity,
                status,
                title: rule.title.clone(),
                message: rule.message.clone(),
                evidence,
                source_section: rule.source_section.clone(),
            }
        })
        .collect();
    PolicyResult {
        policy: policy.name.clone(),
        version: policy.source_version.clone(),
        pinned: policy.pinned,
        verdict: verdict(&rules, fail_on),
        fail_on,
        ignored: Vec::new(),
        rules,
    }
}

/// A version's facts, or why they are missing.
fn section(t: &TargetFacts, v: TlsVersion) -> Result<&ProtocolResult, String> {
    match t.protocol(v) {
        None => Err(format!("{v} was not scanned")),
        Some(p) => match p.status {
            SectionStatus::Completed => Ok(p),
            SectionStatus::NotScheduled => Err(format!("{v} was not scanned (not scheduled)")),
            SectionStatus::Error => Err(format!(
                "{v} could not be scanned: {}",
                p.error.as_deref().unwrap_or("error")
            )),
        },
    }
}

fn names<'a>(suites: impl IntoIterator<Item = &'a SuiteResult>) -> String {
    let v: Vec<&str> = suites.into_iter().map(|s| s.name.as_str()).collect();
    if v.is_empty() {
        "nothing".into()
    } else {
        v.join(", ")
    }
}

/// Why a conclusion resting on a suite's absence cannot be drawn: `--only versions` recorded
/// only the suite the server chose, not every suite it accepts.
fn not_enumerated(p: &ProtocolResult) -> Option<String> {
    (!p.suites_enumerated).then(|| {
        format!(
            "{} suites were not enumerated (only {} is known): scan with suites",
            p.version,
            names(&p.cipher_suites)
        )
    })
}

fn matches_any(specs: &[SuiteSpec], s: &SuiteResult) -> bool {
    specs.iter().any(|spec| spec.matches(s))
}

/// Folds per-version outcomes: any failure fails the rule (a definite fact), else any missing
/// version makes it incomplete, else it passes.
fn fold(parts: Vec<(RuleStatus, String)>) -> (RuleStatus, String) {
    let pick = |st: RuleStatus| {
        parts
            .iter()
            .filter(|(s, _)| *s == st)
            .map(|(_, e)| e.as_str())
            .collect::<Vec<_>>()
    };
    for st in [RuleStatus::Fail, RuleStatus::Incomplete] {
        let mut e = pick(st);
        // One missing section explains every version: say it once.
        e.dedup();
        if !e.is_empty() {
            return (st, e.join("; "));
        }
    }
    (RuleStatus::Pass, pick(RuleStatus::Pass).join("; "))
}

fn check(t: &TargetFacts, rule: &Rule) -> (RuleStatus, String) {
    use RuleStatus::*;
    match &rule.kind {
        RuleKind::RequireAny {
            version,
            suites,
            only_if_offered,
        } => match section(t, *version) {
            Err(e) => (Incomplete, e),
            Ok(p) if !p.supported => {
                if *only_if_offered {
                    (Pass, format!("{version} is not offered"))
                } else {
                    (Fail, format!("{version} is not offered ({})", p.evidence))
                }
            }
            Ok(p) => {
                let hits: Vec<_> = p
                    .cipher_suites
                    .iter()
                    .filter(|s| matches_any(suites, s))
                    .collect();
                if let (true, Some(e)) = (hits.is_empty(), not_enumerated(p)) {
                    (Incomplete, e)
                } else if hits.is_empty() {
                    (
                        Fail,
                        format!(
                            "{version} accepts {}; none of them is one of the {} required",
                            names(&p.cipher_suites),
                            suites.len()
                        ),
                    )
                } else {
                    (Pass, format!("{version} accepts {}", names(hits)))
                }
            }
        },
        RuleKind::AllowOnly { versions, suites } => fold(
            versions
                .iter()
                .map(|v| match section(t, *v) {
                    Err(e) => (Incomplete, e),
                    Ok(p) if !p.supported => (Pass, format!("{v} is not offered")),
                    Ok(p) => {
                        let extra: Vec<_> = p
                            .cipher_suites
                            .iter()
                            .filter(|s| !matches_any(suites, s))
                            .collect();
                        if let (true, Some(e)) = (extra.is_empty(), not_enumerated(p)) {
                            (Incomplete, e)
                        } else if extra.is_empty() {
                            (Pass, format!("{v} accepts only listed suites"))
                        } else {
                            (Fail, format!("{v} also accepts {}", names(extra)))
                        }
                    }
                })
                .collect(),
        ),
        RuleKind::Forbid { versions, suites } => fold(
            versions
                .iter()
                .map(|v| match section(t, *v) {
                    Err(e) => (Incomplete, e),
                    Ok(p) => {
                        let bad: Vec<_> = p
                            .cipher_suites
                            .iter()
                            .filter(|s| p.supported && matches_any(suites, s))
                            .collect();
                        if let (true, true, Some(e)) =
                            (bad.is_empty(), p.supported, not_enumerated(p))
                        {
                            (Incomplete, e)
                        } else if bad.is_empty() {
                            (Pass, format!("{v}: none"))
                        } else {
                            (Fail, format!("{v} accepts {}", names(bad)))
                        }
                    }
                })
                .collect(),
        ),
        RuleKind::RequireVersion { versions } => {
            let mut missing = Vec::new();
            let mut not_offered = Vec::new();
            for v in versions {
                match section(t, *v) {
                    Ok(p) if p.supported => return (Pass, format!("{v} is offered")),
                    Ok(_) => not_offered.push(v.name()),
                    Err(e) => missing.push(e),
                }
            }
            if missing.is_empty() {
                (Fail, format!("{} not offered", not_offered.join(", ")))
            } else {
                (Incomplete, missing.join("; "))
            }
        }
        RuleKind::ForbidVersion { version } => match section(t, *version) {
            Err(e) => (Incomplete, e),
            Ok(p) if p.supported => (Fail, format!("{version} is offered ({})", p.evidence)),
            Ok(_) => (Pass, format!("{version} is not offered")),
        },
        RuleKind::MinVersion { version } => versions_outside(t, |v| v < *version),
        RuleKind::MaxVersion { version } => versions_outside(t, |v| v > *version),
        RuleKind::Certificate { forbid_findings } => match &t.certificates {
            None => (Incomplete, "the certificates were not analysed".into()),
            Some(c) if c.status != SectionStatus::Completed => (
                Incomplete,
                format!(
                    "the certificate analysis did not complete: {}",
                    c.error.as_deref().unwrap_or("not scheduled")
                ),
            ),
            // No chain was judged: "no such finding" would be a pass on a missing fact.
            Some(c) if c.chains.is_empty() => {
                (Incomplete, "no certificate chain was obtained".into())
            }
            Some(c) => {
                let hits: Vec<String> = c
                    .findings
                    .iter()
                    .filter(|f| forbid_findings.contains(&f.id))
                    .map(|f| match &f.evidence {
                        Some(e) => format!("{} ({e})", f.id),
                        None => f.id.clone(),
                    })
                    .collect();
                if hits.is_empty() {
                    (Pass, "no such certificate finding".into())
                } else {
                    (Fail, hits.join("; "))
                }
            }
        },
        RuleKind::Groups {
            versions,
            mode,
            groups,
        } => fold(
            versions
                .iter()
                .map(|v| f::check_groups(t, *v, *mode, groups))
                .collect(),
        ),
        RuleKind::SignatureSchemes {
            versions,
            mode,
            schemes,
        } => fold(
            versions
                .iter()
                .map(|v| f::check_schemes(t, *v, *mode, schemes))
                .collect(),
        ),
        RuleKind::Dhe {
            min_bits,
            well_known,
        } => f::check_dhe(t, *min_bits, *well_known),
        RuleKind::Feature { features, require } => f::check_features(t, features, *require),
        RuleKind::ClientsConnect { clients } => f::check_clients(t, clients),
        RuleKind::PostQuantum { preferred, .. } => super::pq::check(t, *preferred),
        RuleKind::CertificateKey {
            key_types,
            min_rsa_bits,
            ec_curves,
        } => f::check_cert_key(t, key_types, *min_rsa_bits, ec_curves),
    }
}

/// `min_version` / `max_version`: every version the predicate selects must be known not offered.
fn versions_outside(t: &TargetFacts, outside: impl Fn(TlsVersion) -> bool) -> (RuleStatus, String) {
    let mut offered = Vec::new();
    let mut missing = Vec::new();
    for v in TlsVersion::ALL.into_iter().filter(|v| outside(*v)) {
        match section(t, v) {
            Ok(p) if p.supported => offered.push(v.name()),
            Ok(_) => {}
            Err(e) => missing.push(e),
        }
    }
    if !offered.is_empty() {
        (RuleStatus::Fail, format!("{} offered", offered.join(", ")))
    } else if !missing.is_empty() {
        (RuleStatus::Incomplete, missing.join("; "))
    } else {
        (RuleStatus::Pass, "no such version is offered".into())
    }
}
