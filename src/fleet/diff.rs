//! What changed between two scans, endpoint by endpoint: protocol versions, suites, groups,
//! the certificate (replaced, renewed, about to expire), the grade and the policy verdict.
//! For nightly monitoring: yesterday's results against tonight's.
//!
//! Each report is first reduced to a [`Snapshot`] (a few hundred bytes), so a fleet's two
//! scans are compared without holding either whole. A section one of the scans did not run
//! (groups with `--only suites`, certificates with `--no-certs`) is not compared: only facts
//! both scans have can differ.

use std::collections::{BTreeMap, HashMap};

use schemars::JsonSchema;
use serde::Serialize;

use crate::facts::{SectionStatus, TlsVersion};
use crate::policy::Verdict;
use crate::report::TargetReport;

/// What of one report a diff compares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    pub target: String,
    /// Why the target could not be scanned.
    pub error: Option<String>,
    /// Supported versions, lowest first.
    pub versions: Vec<TlsVersion>,
    /// Accepted suites per supported version (IANA names), in the report's order.
    pub suites: BTreeMap<TlsVersion, Vec<String>>,
    /// Groups per version whose groups section completed; `None` when not scanned.
    pub groups: Option<BTreeMap<TlsVersion, Vec<String>>>,
    /// The leaf of each chain; `None` when certificates were not scanned.
    pub leaves: Option<Vec<Leaf>>,
    pub grade: Option<String>,
    /// The policy and its verdict, when judged.
    pub verdict: Option<(String, Verdict)>,
}

/// A chain's leaf certificate, as a diff compares it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Leaf {
    /// "RSA", "ECDSA" …: the chain's key type, which pairs old and new chains.
    pub key_type: String,
    pub subject: String,
    pub sha256: String,
    pub not_after: String,
    /// Days left at the scan's time.
    pub days_left: i64,
}

impl Snapshot {
    pub fn of(r: &TargetReport) -> Self {
        let f = &r.facts;
        let mut versions: Vec<TlsVersion> = f
            .protocols
            .iter()
            .filter(|p| p.supported)
            .map(|p| p.version)
            .collect();
        versions.sort();
        let suites = f
            .protocols
            .iter()
            .filter(|p| p.supported)
            .map(|p| {
                (
                    p.version,
                    p.cipher_suites.iter().map(|s| s.name.clone()).collect(),
                )
            })
            .collect();
        let groups = f.groups.as_ref().map(|g| {
            g.versions
                .iter()
                .filter(|v| v.status == SectionStatus::Completed)
                .map(|v| (v.version, v.groups.iter().map(|g| g.name.clone()).collect()))
                .collect()
        });
        let leaves = f.certificates.as_ref().map(|c| {
            c.chains
                .iter()
                .filter_map(|chain| {
                    let leaf = chain.certificates.first()?;
                    Some(Leaf {
                        key_type: chain.key_type.clone(),
                        subject: leaf.subject.clone(),
                        sha256: leaf.sha256.clone(),
                        not_after: leaf.not_after.clone(),
                        days_left: leaf.days_left,
                    })
                })
                .collect()
        });
        Snapshot {
            target: f.target.clone(),
            error: f.error.clone(),
            versions,
            suites,
            groups,
            leaves,
            grade: r.grade.as_ref().map(|g| g.letter.to_string()),
            verdict: r.policy.as_ref().map(|p| (p.policy.clone(), p.verdict)),
        }
    }
}

/// One difference.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Change {
    /// A stable id: `version.enabled`, `suite.removed`, `cert.renewed`, `grade.changed` …
    /// (the README's "Diff" lists them).
    pub id: String,
    /// What changed, in words.
    pub message: String,
}

fn change(id: &str, message: String) -> Change {
    Change {
        id: id.into(),
        message,
    }
}

/// One endpoint's differences.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct EndpointDiff {
    pub target: String,
    /// "changed", "unchanged", "added" (only in the new scan) or "removed" (only in the old).
    pub status: String,
    pub changes: Vec<Change>,
}

/// Counts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct DiffSummary {
    pub endpoints: usize,
    pub changed: usize,
    pub unchanged: usize,
    pub added: usize,
    pub removed: usize,
    /// How many endpoints have each change id, most first.
    pub by_change: Vec<ChangeCount>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct ChangeCount {
    pub id: String,
    pub endpoints: usize,
}

/// `tlsaudit diff --format json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct FleetDiff {
    /// Changed, added and removed endpoints first (by target), then the unchanged.
    pub endpoints: Vec<EndpointDiff>,
    pub summary: DiffSummary,
}

impl FleetDiff {
    /// Something to look at: a change, an endpoint added or gone, a certificate about to expire.
    pub fn any(&self) -> bool {
        self.summary.changed + self.summary.added + self.summary.removed > 0
    }
}

/// The options of a diff.
#[derive(Debug, Clone, Copy)]
pub struct DiffOptions {
    /// A leaf that expires within this many days of the new scan is reported
    /// (`cert.expires_soon`), changed or not.
    pub expiry_warn_days: i64,
}

impl Default for DiffOptions {
    fn default() -> Self {
        Self {
            expiry_warn_days: 30,
        }
    }
}

/// Old snapshots, then new ones, then the answer. A target seen twice on one side keeps its
/// last snapshot.
#[derive(Debug, Default)]
pub struct DiffBuilder {
    old: HashMap<String, Snapshot>,
    new: Vec<Snapshot>,
    new_index: HashMap<String, usize>,
}

impl DiffBuilder {
    pub fn old(&mut self, r: &TargetReport) {
        let s = Snapshot::of(r);
        self.old.insert(s.target.clone(), s);
    }

    pub fn new_report(&mut self, r: &TargetReport) {
        let s = Snapshot::of(r);
        match self.new_index.get(&s.target) {
            Some(&i) => self.new[i] = s,
            None => {
                self.new_index.insert(s.target.clone(), self.new.len());
                self.new.push(s);
            }
        }
    }

    pub fn finish(mut self, opts: DiffOptions) -> FleetDiff {
        let mut endpoints: Vec<EndpointDiff> = Vec::new();
        for new in &self.new {
            let (status, changes) = match self.old.remove(&new.target) {
                Some(old) => {
                    let c = compare(&old, new, opts);
                    (if c.is_empty() { "unchanged" } else { "changed" }, c)
                }
                None => {
                    let mut c = vec![change("endpoint.added", "not in the old scan".to_string())];
                    c.extend(expiry(new, opts));
                    ("added", c)
                }
            };
            endpoints.push(EndpointDiff {
                target: new.target.clone(),
                status: status.into(),
                changes,
            });
        }
        for old in self.old.into_values() {
            endpoints.push(EndpointDiff {
                target: old.target,
                status: "removed".into(),
                changes: vec![change("endpoint.removed", "not in the new scan".into())],
            });
        }
        endpoints.sort_by(|a, b| {
            (a.status == "unchanged", &a.target).cmp(&(b.status == "unchanged", &b.target))
        });
        let count = |s: &str| endpoints.iter().filter(|e| e.status == s).count();
        let mut by_change: BTreeMap<&str, usize> = BTreeMap::new();
        for e in &endpoints {
            let mut ids: Vec<&str> = e.changes.iter().map(|c| c.id.as_str()).collect();
            ids.dedup();
            for id in ids {
                *by_change.entry(id).or_default() += 1;
            }
        }
        let mut by_change: Vec<ChangeCount> = by_change
            .into_iter()
            .map(|(id, endpoints)| ChangeCount {
                id: id.into(),
                endpoints,
            })
            .collect();
        by_change.sort_by_key(|c| std::cmp::Reverse(c.endpoints));
        let summary = DiffSummary {
            endpoints: endpoints.len(),
            changed: count("changed"),
            unchanged: count("unchanged"),
            added: count("added"),
            removed: count("removed"),
            by_change,
        };
        FleetDiff { endpoints, summary }
    }
}

fn list(items: &[&String]) -> String {
    items
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Every difference between two snapshots of one endpoint.
pub fn compare(old: &Snapshot, new: &Snapshot, opts: DiffOptions) -> Vec<Change> {
    let mut out = Vec::new();
    match (&old.error, &new.error) {
        (None, Some(e)) => {
            out.push(change(
                "endpoint.unreachable",
                format!("no longer scanned: {e}"),
            ));
            return out;
        }
        (Some(_), None) => out.push(change(
            "endpoint.reachable",
            "scanned again (the old scan failed)".into(),
        )),
        (Some(_), Some(_)) => return out,
        (None, None) => {
            for v in new.versions.iter().filter(|v| !old.versions.contains(v)) {
                out.push(change("version.enabled", format!("{v} now accepted")));
            }
            for v in old.versions.iter().filter(|v| !new.versions.contains(v)) {
                out.push(change(
                    "version.disabled",
                    format!("{v} no longer accepted"),
                ));
            }
            // Suites of versions both scans support: a version's own change says the rest.
            for (v, now) in &new.suites {
                let Some(was) = old.suites.get(v) else {
                    continue;
                };
                let added: Vec<&String> = now.iter().filter(|s| !was.contains(s)).collect();
                let removed: Vec<&String> = was.iter().filter(|s| !now.contains(s)).collect();
                if !added.is_empty() {
                    out.push(change(
                        "suite.added",
                        format!("{v} now accepts {}", list(&added)),
                    ));
                }
                if !removed.is_empty() {
                    out.push(change(
                        "suite.removed",
                        format!("{v} no longer accepts {}", list(&removed)),
                    ));
                }
            }
            if let (Some(was), Some(now)) = (&old.groups, &new.groups) {
                for (v, now) in now {
                    let Some(was) = was.get(v) else { continue };
                    let added: Vec<&String> = now.iter().filter(|g| !was.contains(g)).collect();
                    let removed: Vec<&String> = was.iter().filter(|g| !now.contains(g)).collect();
                    if !added.is_empty() {
                        out.push(change(
                            "group.added",
                            format!("{v} now offers {}", list(&added)),
                        ));
                    }
                    if !removed.is_empty() {
                        out.push(change(
                            "group.removed",
                            format!("{v} no longer offers {}", list(&removed)),
                        ));
                    }
                }
            }
            if let (Some(was), Some(now)) = (&old.leaves, &new.leaves) {
                for leaf in now {
                    let Some(before) = was.iter().find(|l| l.key_type == leaf.key_type) else {
                        out.push(change(
                            "cert.added",
                            format!(
                                "a {} certificate now served: {}, valid to {}",
                                leaf.key_type, leaf.subject, leaf.not_after
                            ),
                        ));
                        continue;
                    };
                    if before.sha256 == leaf.sha256 {
                        continue;
                    }
                    let (id, what) = if before.subject == leaf.subject {
                        ("cert.renewed", "renewed")
                    } else {
                        ("cert.replaced", "replaced")
                    };
                    out.push(change(
                        id,
                        format!(
                            "{} certificate {what}: {}, valid to {} (was {}, valid to {})",
                            leaf.key_type,
                            leaf.subject,
                            leaf.not_after,
                            before.subject,
                            before.not_after
                        ),
                    ));
                }
                for gone in was
                    .iter()
                    .filter(|l| !now.iter().any(|n| n.key_type == l.key_type))
                {
                    out.push(change(
                        "cert.removed",
                        format!(
                            "the {} certificate is no longer served ({})",
                            gone.key_type, gone.subject
                        ),
                    ));
                }
            }
        }
    }
    if old.grade != new.grade {
        if let (Some(was), Some(now)) = (&old.grade, &new.grade) {
            out.push(change("grade.changed", format!("grade {was} → {now}")));
        }
    }
    if let (Some((p0, was)), Some((p1, now))) = (&old.verdict, &new.verdict) {
        if was != now {
            let by = if p0 == p1 {
                format!("by {p1}")
            } else {
                format!("by {p0} then {p1}")
            };
            out.push(change("verdict.changed", format!("{was} → {now} ({by})")));
        }
    }
    out.extend(expiry(new, opts));
    out
}

/// A leaf of the new scan that expires within the warning window (or has expired).
fn expiry(new: &Snapshot, opts: DiffOptions) -> Vec<Change> {
    let Some(leaves) = &new.leaves else {
        return Vec::new();
    };
    leaves
        .iter()
        .filter(|l| l.days_left <= opts.expiry_warn_days)
        .map(|l| {
            if l.days_left < 0 {
                change(
                    "cert.expired",
                    format!(
                        "the {} certificate ({}) expired on {}",
                        l.key_type, l.subject, l.not_after
                    ),
                )
            } else {
                change(
                    "cert.expires_soon",
                    format!(
                        "the {} certificate ({}) expires on {}, in {} day{}",
                        l.key_type,
                        l.subject,
                        l.not_after,
                        l.days_left,
                        if l.days_left == 1 { "" } else { "s" }
                    ),
                )
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::{ProtocolResult, SuiteResult};
    use crate::wire::CipherSuite;

    fn report(target: &str, versions: &[(TlsVersion, &[u16])]) -> TargetReport {
        let mut t = TargetReport::default();
        t.facts.target = target.into();
        t.facts.protocols = versions
            .iter()
            .map(|(v, suites)| ProtocolResult {
                version: *v,
                supported: true,
                status: SectionStatus::Completed,
                error: None,
                server_preference: None,
                cipher_suites: suites
                    .iter()
                    .map(|s| SuiteResult::from_suite(CipherSuite(*s)))
                    .collect(),
                evidence: String::new(),
                suites_enumerated: true,
            })
            .collect();
        t
    }

    #[test]
    fn versions_and_suites_added_and_removed() {
        let mut b = DiffBuilder::default();
        b.old(&report(
            "a:443",
            &[
                (TlsVersion::Tls10, &[0x002f]),
                (TlsVersion::Tls12, &[0x002f, 0xc02f]),
            ],
        ));
        b.old(&report("same:443", &[(TlsVersion::Tls12, &[0xc02f])]));
        b.old(&report("gone:443", &[(TlsVersion::Tls12, &[0xc02f])]));
        b.new_report(&report(
            "a:443",
            &[
                (TlsVersion::Tls12, &[0xc02f, 0xc030]),
                (TlsVersion::Tls13, &[0x1301]),
            ],
        ));
        b.new_report(&report("same:443", &[(TlsVersion::Tls12, &[0xc02f])]));
        b.new_report(&report("fresh:443", &[(TlsVersion::Tls12, &[0xc02f])]));
        let d = b.finish(DiffOptions::default());
        let got: Vec<(&str, &str, Vec<&str>)> = d
            .endpoints
            .iter()
            .map(|e| {
                (
                    e.target.as_str(),
                    e.status.as_str(),
                    e.changes.iter().map(|c| c.message.as_str()).collect(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                (
                    "a:443",
                    "changed",
                    vec![
                        "TLSv1.3 now accepted",
                        "TLSv1.0 no longer accepted",
                        "TLSv1.2 now accepts TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
                        "TLSv1.2 no longer accepts TLS_RSA_WITH_AES_128_CBC_SHA",
                    ]
                ),
                ("fresh:443", "added", vec!["not in the old scan"]),
                ("gone:443", "removed", vec!["not in the new scan"]),
                ("same:443", "unchanged", vec![]),
            ]
        );
        assert_eq!(
            (
                d.summary.changed,
                d.summary.added,
                d.summary.removed,
                d.summary.unchanged
            ),
            (1, 1, 1, 1)
        );
        assert!(d.any());
    }

    #[test]
    fn a_target_that_stops_answering_is_one_change() {
        let old = Snapshot::of(&report("a:443", &[(TlsVersion::Tls12, &[0xc02f])]));
        let mut down = report("a:443", &[]);
        down.facts.error = Some("connection refused".into());
        let c = compare(&old, &Snapshot::of(&down), DiffOptions::default());
        assert_eq!(
            c,
            [change(
                "endpoint.unreachable",
                "no longer scanned: connection refused".into()
            )]
        );
    }
}
