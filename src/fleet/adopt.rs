//! The endpoint-side change: "every merchant must adopt mozilla-intermediate" (or disable TLS
//! 1.0/1.1, a policy that says so). Which endpoints must change (the policy judges their saved
//! facts: NOT COMPLIANT ones must), and which known clients would then fail to reach them: each
//! endpoint is modelled as it would be after the least change that follows the policy, and the
//! handshake simulation runs every client against it before and after.
//!
//! The least change: versions the policy forbids go (a version it requires and the endpoint
//! lacks is added with the policy's suites); suites a `forbid` or `allow_only` rule excludes go
//! (a version left with none takes the policy's list); groups an `allow_only` or `forbid` groups
//! rule excludes go. Certificates and signature schemes stay as scanned: a policy's certificate
//! rules say what to buy, not what a client can negotiate.

use std::collections::HashMap;

use schemars::JsonSchema;
use serde::Serialize;

use super::impact::{Count, Handshake};
use crate::facts::{Severity, SuiteResult, TlsVersion};
use crate::policy::{self, ListMode, Policy, RuleKind, Verdict};
use crate::report::TargetReport;
use crate::simulate::server::ServerVersion;
use crate::simulate::{negotiate, ServerModel, SimClient};
use crate::wire::{CipherSuite, NamedGroup};

/// A rule the endpoint fails: what it must change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct RequiredChange {
    /// The policy rule's id (`protocol.tls1_0.enabled` …).
    pub rule: String,
    /// What to change, in the policy's words.
    pub message: String,
    /// What the scan found that fails it.
    pub evidence: String,
}

/// A client that reaches the endpoint today and would not after it adopts the policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct LostClient {
    /// The profile id (`java-7`, `android-4.4` …).
    pub client: String,
    pub name: String,
    /// What it negotiates today.
    pub before: Handshake,
    /// Why it fails after.
    pub reason: String,
    /// The failure's kind (`no_common_version` …).
    pub failure: String,
}

/// One endpoint's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct EndpointAdoption {
    pub target: String,
    /// The policy judges it NOT COMPLIANT: it must change.
    pub must_change: bool,
    /// The policy's verdict on the scan; null when the target was not scanned.
    pub verdict: Option<Verdict>,
    /// Some known client reaches it today and would not after the change.
    pub breaks: bool,
    /// The rules it fails, each with what to change.
    pub changes: Vec<RequiredChange>,
    pub clients_lost: Vec<LostClient>,
    /// Anything else to know (not scanned, a version the model could not build).
    pub notes: Vec<String>,
}

/// The totals.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct AdoptionSummary {
    /// The policy the endpoints adopt (`name@version` when pinned).
    pub policy: String,
    /// Client profiles simulated.
    pub clients: usize,
    pub endpoints: usize,
    /// NOT COMPLIANT: they must change.
    pub must_change: usize,
    pub compliant: usize,
    /// The scan lacks a fact a rule needs.
    pub incomplete: usize,
    pub not_scanned: usize,
    /// Endpoints some known client would no longer reach.
    pub breaks: usize,
    /// Endpoints each client would lose, most first.
    pub clients_lost: Vec<Count>,
    /// Endpoints failing each rule, most first.
    pub rules_failed: Vec<Count>,
}

/// `tlsaudit impact --endpoints-adopt POLICY --format json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Adoption {
    /// Endpoints that must change first, the worst (most rules failed) first; then by target.
    pub endpoints: Vec<EndpointAdoption>,
    pub summary: AdoptionSummary,
}

impl Adoption {
    /// True when a known client would lose an endpoint (exit status 1).
    pub fn breaks(&self) -> bool {
        self.summary.breaks > 0
    }
}

/// The analysis of one policy adopted by every endpoint, fed one target at a time.
#[derive(Debug)]
pub struct AdoptAnalysis {
    policy: Policy,
    fail_on: Severity,
    clients: Vec<SimClient>,
    endpoints: Vec<EndpointAdoption>,
    index: HashMap<String, usize>,
}

impl AdoptAnalysis {
    /// `policy` judged at `fail_on`, and the clients whose reach is checked.
    pub fn new(policy: Policy, fail_on: Severity, clients: Vec<SimClient>) -> Self {
        Self {
            policy,
            fail_on,
            clients,
            endpoints: Vec::new(),
            index: HashMap::new(),
        }
    }

    /// One endpoint; a target already added is replaced.
    pub fn add(&mut self, report: &TargetReport) {
        let e = self.analyse(report);
        match self.index.get(&e.target) {
            Some(&i) => self.endpoints[i] = e,
            None => {
                self.index.insert(e.target.clone(), self.endpoints.len());
                self.endpoints.push(e);
            }
        }
    }

    fn analyse(&self, report: &TargetReport) -> EndpointAdoption {
        let mut e = EndpointAdoption {
            target: report.facts.target.clone(),
            must_change: false,
            verdict: None,
            breaks: false,
            changes: Vec::new(),
            clients_lost: Vec::new(),
            notes: Vec::new(),
        };
        if let Some(error) = &report.facts.error {
            e.notes.push(format!("not scanned: {error}"));
            return e;
        }
        let judged = policy::evaluate(&report.facts, &self.policy, self.fail_on);
        e.verdict = Some(judged.verdict);
        e.must_change = judged.verdict == Verdict::NotCompliant;
        e.changes = judged
            .failed()
            .filter(|r| judged.counts(r))
            .map(|r| RequiredChange {
                rule: r.id.clone(),
                message: r.message.clone(),
                evidence: r.evidence.clone(),
            })
            .collect();
        let before = ServerModel::from_facts(&report.facts);
        let (after, notes) = adopted(&before, &self.policy);
        e.notes = notes;
        for c in &self.clients {
            let (Ok(was), Err(why)) = (negotiate(&c.offer, &before), negotiate(&c.offer, &after))
            else {
                continue;
            };
            e.clients_lost.push(LostClient {
                client: c.id.clone(),
                name: format!("{} {}", c.name, c.version),
                before: Handshake::of(&was),
                reason: why.reason,
                failure: why.kind.id().into(),
            });
        }
        e.breaks = !e.clients_lost.is_empty();
        e
    }

    pub fn finish(self) -> Adoption {
        let mut endpoints = self.endpoints;
        endpoints.sort_by(|a, b| {
            (
                !a.must_change,
                std::cmp::Reverse(a.changes.len()),
                &a.target,
            )
                .cmp(&(
                    !b.must_change,
                    std::cmp::Reverse(b.changes.len()),
                    &b.target,
                ))
        });
        let mut clients_lost: Vec<Count> = Vec::new();
        let mut rules_failed: Vec<Count> = Vec::new();
        for e in &endpoints {
            for l in &e.clients_lost {
                bump(&mut clients_lost, &l.client, &l.name);
            }
            for c in &e.changes {
                let title = self
                    .policy
                    .rules
                    .iter()
                    .find(|r| r.id == c.rule)
                    .map_or(c.rule.as_str(), |r| r.title.as_str());
                bump(&mut rules_failed, &c.rule, title);
            }
        }
        let most_first = |v: &mut Vec<Count>| {
            v.sort_by(|a, b| b.endpoints.cmp(&a.endpoints).then(a.id.cmp(&b.id)))
        };
        most_first(&mut clients_lost);
        most_first(&mut rules_failed);
        let verdicts = |v: Verdict| endpoints.iter().filter(|e| e.verdict == Some(v)).count();
        let summary = AdoptionSummary {
            policy: self.policy.name.clone(),
            clients: self.clients.len(),
            endpoints: endpoints.len(),
            must_change: verdicts(Verdict::NotCompliant),
            compliant: verdicts(Verdict::Compliant),
            incomplete: verdicts(Verdict::Incomplete),
            not_scanned: endpoints.iter().filter(|e| e.verdict.is_none()).count(),
            breaks: endpoints.iter().filter(|e| e.breaks).count(),
            clients_lost,
            rules_failed,
        };
        Adoption { endpoints, summary }
    }
}

fn bump(counts: &mut Vec<Count>, id: &str, description: &str) {
    match counts.iter_mut().find(|c| c.id == id) {
        Some(c) => c.endpoints += 1,
        None => counts.push(Count {
            id: id.into(),
            description: description.into(),
            endpoints: 1,
        }),
    }
}

/// Whether a server following `policy` keeps `suite` at `version`.
fn suite_allowed(policy: &Policy, version: TlsVersion, suite: CipherSuite) -> bool {
    let s = SuiteResult::from_suite(suite);
    policy.rules.iter().all(|r| match &r.kind {
        RuleKind::Forbid { versions, suites } if versions.contains(&version) => {
            !suites.iter().any(|spec| spec.matches(&s))
        }
        RuleKind::AllowOnly { versions, suites } if versions.contains(&version) => {
            suites.iter().any(|spec| spec.matches(&s))
        }
        _ => true,
    })
}

/// `groups` after the policy's groups rules for `version`.
fn groups_allowed(policy: &Policy, tls13: bool, groups: &[NamedGroup]) -> Vec<NamedGroup> {
    let mut out = groups.to_vec();
    for r in &policy.rules {
        let RuleKind::Groups {
            versions,
            mode,
            groups: listed,
        } = &r.kind
        else {
            continue;
        };
        let applies = versions.iter().any(|v| (*v == TlsVersion::Tls13) == tls13);
        if !applies {
            continue;
        }
        match mode {
            ListMode::AllowOnly => {
                out.retain(|g| listed.contains(g));
                if out.is_empty() {
                    out = listed.clone();
                }
            }
            ListMode::Forbid => out.retain(|g| !listed.contains(g)),
            ListMode::RequireAny => {
                if !out.iter().any(|g| listed.contains(g)) {
                    out.extend(listed.iter().copied());
                }
            }
        }
    }
    out
}

/// The server as it would be after the least change that follows `policy`, and notes on
/// what could not be modelled.
pub fn adopted(server: &ServerModel, policy: &Policy) -> (ServerModel, Vec<String>) {
    let allowed = policy.allowed_versions();
    let required: Vec<TlsVersion> = policy
        .rules
        .iter()
        .filter_map(|r| match &r.kind {
            RuleKind::RequireVersion { versions } => Some(versions.clone()),
            _ => None,
        })
        .flatten()
        .collect();
    let mut notes = Vec::new();
    let mut versions = Vec::new();
    for v in TlsVersion::ALL.into_iter().rev() {
        let current = server.version(v);
        if v == TlsVersion::Ssl2 || !allowed.contains(&v) {
            continue;
        }
        if current.is_none() && !required.contains(&v) {
            continue;
        }
        let mut suites: Vec<CipherSuite> = current.map(|c| c.suites.clone()).unwrap_or_default();
        suites.retain(|s| suite_allowed(policy, v, *s));
        if suites.is_empty() {
            suites = policy.server_suites(v).unwrap_or_default();
        }
        if suites.is_empty() {
            notes.push(format!(
                "{v}: the policy requires it but names no suites for it: left out of the model"
            ));
            continue;
        }
        versions.push(ServerVersion {
            version: v,
            suites,
            server_order: current.is_none_or(|c| c.server_order),
        });
    }
    let mut after = server.clone();
    after.versions = versions;
    if let Some(g) = &server.tls13_groups {
        after.tls13_groups = Some(groups_allowed(policy, true, g));
    }
    if let Some(g) = &server.ecdhe_curves {
        after.ecdhe_curves = Some(groups_allowed(policy, false, g));
    }
    (after, notes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::simulate::builtin_client;

    fn model(versions: &[(TlsVersion, &[u16])]) -> ServerModel {
        ServerModel {
            versions: versions
                .iter()
                .map(|(v, s)| ServerVersion {
                    version: *v,
                    suites: s.iter().map(|x| CipherSuite(*x)).collect(),
                    server_order: true,
                })
                .collect(),
            ..Default::default()
        }
    }

    #[test]
    fn intermediate_drops_old_versions_and_cbc_adds_tls13_and_keeps_the_rest() {
        let policy = Policy::load("mozilla-intermediate").unwrap();
        let server = model(&[
            (TlsVersion::Tls12, &[0xc02f, 0x002f]),
            (TlsVersion::Tls11, &[0x002f]),
            (TlsVersion::Tls10, &[0x002f]),
        ]);
        let (after, notes) = adopted(&server, &policy);
        assert!(notes.is_empty(), "{notes:?}");
        let got: Vec<(TlsVersion, Vec<CipherSuite>)> = after
            .versions
            .iter()
            .map(|v| (v.version, v.suites.clone()))
            .collect();
        // TLS 1.3 is required: added with the policy's suites.
        assert_eq!(
            got,
            [
                (
                    TlsVersion::Tls13,
                    vec![
                        CipherSuite(0x1301),
                        CipherSuite(0x1302),
                        CipherSuite(0x1303)
                    ]
                ),
                (TlsVersion::Tls12, vec![CipherSuite(0xc02f)])
            ]
        );
        // Java 6 speaks TLS 1.0 with CBC suites only: it loses the endpoint.
        let java6 = builtin_client("java-6").unwrap();
        assert!(negotiate(&java6.offer, &server).is_ok());
        assert!(negotiate(&java6.offer, &after).is_err());
    }
}
