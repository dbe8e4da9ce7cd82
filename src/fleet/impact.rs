//! "Who breaks if we change X": a client profile (the notifier that calls merchants' servers,
//! a Java 8 fleet…) stops offering some suites, versions or groups; every endpoint's saved
//! facts say whether the client reached it before, and the same negotiation
//! ([`crate::simulate::negotiate`]) says whether it still does after. An endpoint *breaks* when
//! it was reached before and is not after.
//!
//! Built a target at a time ([`ImpactAnalysis::add`]), so a fleet's JSON Lines stream through;
//! a target seen twice (two scans, per-shard files) keeps its last report.

use std::collections::HashMap;

use schemars::JsonSchema;
use serde::Serialize;

use crate::facts::TlsVersion;
use crate::report::TargetReport;
use crate::simulate::{
    negotiate, ClientOffer, FailureKind, Negotiation, ServerModel, SimClient, SuiteName,
};
use crate::wire::{registry, CipherSuite, NamedGroup};

/// One thing a client stops offering.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Removal {
    Version(TlsVersion),
    Suite(CipherSuite),
    Group(NamedGroup),
}

impl Removal {
    /// Reads one item of `--client-without`: a version (`tls1.2`, `TLSv1.0`), a cipher suite
    /// (hex id `0x009c`, IANA or OpenSSL name) or a group by name (`x25519`, `secp256r1`,
    /// `ffdhe2048`). A hex id is always a suite: groups go by name.
    pub fn parse(token: &str) -> Result<Removal, String> {
        let t = token.trim();
        if let Some(hex) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
            return u16::from_str_radix(hex, 16)
                .ok()
                .filter(|_| hex.len() == 4)
                .map(|v| Removal::Suite(CipherSuite(v)))
                .ok_or_else(|| {
                    format!("'{t}' is not a cipher suite id (four hex digits: 0x009c)")
                });
        }
        if let Some(v) = TlsVersion::parse(t) {
            return Ok(Removal::Version(v));
        }
        if let Some(s) = registry::suite_by_name(t) {
            return Ok(Removal::Suite(s.id));
        }
        if let Some(g) = NamedGroup::KNOWN
            .iter()
            .find(|g| g.name().is_some_and(|n| n.eq_ignore_ascii_case(t)))
        {
            return Ok(Removal::Group(*g));
        }
        Err(format!(
            "'{t}' is not a protocol version (tls1.2), a cipher suite (0x009c, \
             TLS_RSA_WITH_AES_128_GCM_SHA256, AES128-GCM-SHA256) or a group (x25519, secp256r1)"
        ))
    }

    /// A comma-separated list, as `--client-without` takes it.
    pub fn parse_list(list: &str) -> Result<Vec<Removal>, String> {
        let mut out = Vec::new();
        for token in list.split(',').map(str::trim).filter(|t| !t.is_empty()) {
            let r = Removal::parse(token)?;
            if !out.contains(&r) {
                out.push(r);
            }
        }
        Ok(out)
    }

    /// "TLSv1.2", "TLS_RSA_WITH_AES_128_GCM_SHA256 (0x009c)", "group x25519".
    pub fn describe(&self) -> String {
        match self {
            Removal::Version(v) => v.to_string(),
            Removal::Suite(s) => format!("{s} ({})", s.hex_id()),
            Removal::Group(g) => format!("group {g}"),
        }
    }

    /// The client offers this today.
    fn offered_by(&self, offer: &ClientOffer) -> bool {
        match self {
            Removal::Version(v) => offer.versions.contains(v),
            Removal::Suite(s) => offer.suites.contains(s),
            Removal::Group(g) => offer.groups.as_ref().is_some_and(|gs| gs.contains(g)),
        }
    }

    /// The negotiated handshake used this.
    fn used_by(&self, n: &Negotiation) -> bool {
        match self {
            Removal::Version(v) => n.version == *v,
            Removal::Suite(s) => n.suite == *s,
            Removal::Group(g) => n.group.as_deref() == g.name(),
        }
    }
}

/// `offer` without `removals`: versions, suites and groups dropped (a dropped group's key
/// share too).
pub fn without(offer: &ClientOffer, removals: &[Removal]) -> ClientOffer {
    let mut out = offer.clone();
    for r in removals {
        match r {
            Removal::Version(v) => out.versions.retain(|x| x != v),
            Removal::Suite(s) => out.suites.retain(|x| x != s),
            Removal::Group(g) => {
                if let Some(gs) = &mut out.groups {
                    gs.retain(|x| x != g);
                }
                out.key_shares.retain(|x| x != g);
            }
        }
    }
    out
}

/// What happens to one endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Reached before the change, not after.
    Breaks,
    /// Reached before and after, with another version, suite or group.
    Changes,
    /// Not reached even before the change.
    UnreachableBefore,
    /// The saved report has no facts (the scan failed): nothing to predict.
    NotScanned,
    /// Reached before and after, the same way.
    Unaffected,
}

impl Status {
    /// Every status, in the order reports list them: what needs action first.
    pub const ALL: [Status; 5] = [
        Status::Breaks,
        Status::Changes,
        Status::UnreachableBefore,
        Status::NotScanned,
        Status::Unaffected,
    ];

    pub fn id(self) -> &'static str {
        match self {
            Status::Breaks => "breaks",
            Status::Changes => "changes",
            Status::UnreachableBefore => "unreachable_before",
            Status::NotScanned => "not_scanned",
            Status::Unaffected => "unaffected",
        }
    }

    /// A heading for the endpoints of this status.
    pub fn heading(self) -> &'static str {
        match self {
            Status::Breaks => "Break (reached today, not after the change)",
            Status::Changes => "Still reached, negotiating something else",
            Status::UnreachableBefore => "Not reached even before the change",
            Status::NotScanned => "Not scanned (no facts to predict from)",
            Status::Unaffected => "Unaffected",
        }
    }
}

/// A predicted handshake, as the impact report shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Handshake {
    pub protocol: TlsVersion,
    pub cipher_suite: SuiteName,
    /// The key-exchange group ("x25519", "DHE 2048"), when there is one.
    pub group: Option<String>,
}

impl Handshake {
    pub(crate) fn of(n: &Negotiation) -> Self {
        Handshake {
            protocol: n.version,
            cipher_suite: SuiteName::of(n.suite),
            group: n.group.clone(),
        }
    }
}

impl std::fmt::Display for Handshake {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.protocol, self.cipher_suite.name)?;
        if let Some(g) = &self.group {
            write!(f, " ({g})")?;
        }
        Ok(())
    }
}

/// One endpoint's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct EndpointImpact {
    /// The target as it was scanned.
    pub target: String,
    /// Reached before the change and not after.
    pub breaks: bool,
    pub status: Status,
    /// Why, in words an owner can act on: what the endpoint used that the change removes, and
    /// the negotiation's failure after it (or, for an endpoint not reached before, that
    /// failure).
    pub reasons: Vec<String>,
    /// The failure's kind (`no_common_suite` …): after the change for an endpoint that breaks,
    /// before it for one not reached before.
    pub failure: Option<String>,
    /// The handshake before the change, when there is one.
    pub before: Option<Handshake>,
    /// The handshake after the change, when there is one.
    pub after: Option<Handshake>,
}

/// How many endpoints share one thing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Count {
    /// A stable id (a failure kind, a suite's hex id…).
    pub id: String,
    /// What it is, in words.
    pub description: String,
    pub endpoints: usize,
}

/// The totals.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Summary {
    /// The client profile's id and name.
    pub client: String,
    pub client_name: String,
    /// What the change removes from the client's offer.
    pub without: Vec<String>,
    /// Items of the change the client does not offer today: they change nothing.
    pub not_offered: Vec<String>,
    /// Endpoints read (a target seen twice counts once: its last report).
    pub endpoints: usize,
    pub breaks: usize,
    pub changes: usize,
    pub unreachable_before: usize,
    pub not_scanned: usize,
    pub unaffected: usize,
    /// Endpoints that break, by why the handshake fails after the change; most first.
    pub breaks_by_reason: Vec<Count>,
    /// Endpoints that break, by the suite they negotiate today; most first.
    pub breaks_by_suite_before: Vec<Count>,
}

/// The whole answer: `tlsaudit impact --format json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Impact {
    /// Endpoints that break first, then those that change, those not reached before, those
    /// not scanned, the unaffected; by target within each.
    pub endpoints: Vec<EndpointImpact>,
    pub summary: Summary,
}

impl Impact {
    /// True when any endpoint breaks (the command's exit status 1).
    pub fn breaks(&self) -> bool {
        self.summary.breaks > 0
    }
}

/// The analysis of one client change, fed one target at a time.
#[derive(Debug)]
pub struct ImpactAnalysis {
    client: SimClient,
    changed: ClientOffer,
    removals: Vec<Removal>,
    endpoints: Vec<EndpointImpact>,
    index: HashMap<String, usize>,
}

impl ImpactAnalysis {
    /// `client` as it is today, and what the change removes from its offer.
    pub fn new(client: SimClient, removals: Vec<Removal>) -> Self {
        let changed = without(&client.offer, &removals);
        Self {
            client,
            changed,
            removals,
            endpoints: Vec::new(),
            index: HashMap::new(),
        }
    }

    /// Predicts one endpoint before and after the change. A target already added is replaced.
    pub fn add(&mut self, report: &TargetReport) {
        let e = self.predict(report);
        match self.index.get(&e.target) {
            Some(&i) => self.endpoints[i] = e,
            None => {
                self.index.insert(e.target.clone(), self.endpoints.len());
                self.endpoints.push(e);
            }
        }
    }

    fn predict(&self, report: &TargetReport) -> EndpointImpact {
        let mut e = EndpointImpact {
            target: report.facts.target.clone(),
            breaks: false,
            status: Status::Unaffected,
            reasons: Vec::new(),
            failure: None,
            before: None,
            after: None,
        };
        if let Some(error) = &report.facts.error {
            e.status = Status::NotScanned;
            e.reasons.push(format!("not scanned: {error}"));
            return e;
        }
        let server = ServerModel::from_facts(&report.facts);
        let before = negotiate(&self.client.offer, &server);
        let after = negotiate(&self.changed, &server);
        e.before = before.as_ref().ok().map(Handshake::of);
        e.after = after.as_ref().ok().map(Handshake::of);
        match (&before, &after) {
            (Err(why), _) => {
                e.status = Status::UnreachableBefore;
                e.failure = Some(why.kind.id().into());
                e.reasons
                    .push(format!("not reached before the change: {}", why.reason));
            }
            (Ok(was), Err(why)) => {
                e.status = Status::Breaks;
                e.breaks = true;
                e.failure = Some(why.kind.id().into());
                let used: Vec<String> = self
                    .removals
                    .iter()
                    .filter(|r| r.used_by(was))
                    .map(Removal::describe)
                    .collect();
                let today = Handshake::of(was);
                e.reasons.push(if used.is_empty() {
                    format!("reached today with {today}")
                } else {
                    format!(
                        "reached today with {today}; the change removes {}",
                        used.join(" and ")
                    )
                });
                e.reasons.push(format!("after the change: {}", why.reason));
            }
            (Ok(was), Ok(now)) => {
                let (was, now) = (Handshake::of(was), Handshake::of(now));
                if was != now {
                    e.status = Status::Changes;
                    e.reasons
                        .push(format!("still reached, with {now} instead of {was}"));
                }
            }
        }
        // The prediction is only as good as the suites the scan saw.
        let partial: Vec<String> = report
            .facts
            .protocols
            .iter()
            .filter(|p| p.supported && !p.suites_enumerated)
            .map(|p| p.version.to_string())
            .collect();
        if !partial.is_empty() {
            e.reasons.push(format!(
                "the scan did not enumerate every suite at {} (--only versions, or the server \
                 stopped answering): the prediction knows only the suites it saw",
                partial.join(", ")
            ));
        }
        e
    }

    /// The endpoints in report order, with the totals.
    pub fn finish(self) -> Impact {
        let mut endpoints = self.endpoints;
        endpoints.sort_by(|a, b| (a.status, &a.target).cmp(&(b.status, &b.target)));
        let count = |s: Status| endpoints.iter().filter(|e| e.status == s).count();
        let broken = || endpoints.iter().filter(|e| e.breaks);
        let mut by_reason: Vec<Count> = FailureKind::ALL
            .iter()
            .map(|k| Count {
                id: k.id().into(),
                description: k.describe().into(),
                endpoints: broken()
                    .filter(|e| e.failure.as_deref() == Some(k.id()))
                    .count(),
            })
            .filter(|c| c.endpoints > 0)
            .collect();
        by_reason.sort_by_key(|c| std::cmp::Reverse(c.endpoints));
        let mut by_suite: Vec<Count> = Vec::new();
        for e in broken() {
            let Some(h) = &e.before else { continue };
            match by_suite.iter_mut().find(|c| c.id == h.cipher_suite.id) {
                Some(c) => c.endpoints += 1,
                None => by_suite.push(Count {
                    id: h.cipher_suite.id.clone(),
                    description: h.cipher_suite.name.clone(),
                    endpoints: 1,
                }),
            }
        }
        by_suite.sort_by(|a, b| b.endpoints.cmp(&a.endpoints).then(a.id.cmp(&b.id)));
        let summary = Summary {
            client: self.client.id.clone(),
            client_name: self.client.name.clone(),
            without: self.removals.iter().map(Removal::describe).collect(),
            not_offered: self
                .removals
                .iter()
                .filter(|r| !r.offered_by(&self.client.offer))
                .map(Removal::describe)
                .collect(),
            endpoints: endpoints.len(),
            breaks: count(Status::Breaks),
            changes: count(Status::Changes),
            unreachable_before: count(Status::UnreachableBefore),
            not_scanned: count(Status::NotScanned),
            unaffected: count(Status::Unaffected),
            breaks_by_reason: by_reason,
            breaks_by_suite_before: by_suite,
        };
        Impact { endpoints, summary }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::{ProtocolResult, SectionStatus, SuiteResult};
    use crate::simulate::builtin_client;

    fn notifier() -> SimClient {
        builtin_client("multisafepay-notifier").expect("built in")
    }

    /// A target that accepts `suites` at TLS 1.2 alone, in its own order.
    fn tls12_server(target: &str, suites: &[u16]) -> TargetReport {
        let mut t = TargetReport::default();
        t.facts.target = target.into();
        t.facts.protocols = vec![ProtocolResult {
            version: TlsVersion::Tls12,
            supported: true,
            status: SectionStatus::Completed,
            error: None,
            server_preference: Some(true),
            cipher_suites: suites
                .iter()
                .map(|s| SuiteResult::from_suite(CipherSuite(*s)))
                .collect(),
            evidence: String::new(),
            suites_enumerated: true,
        }];
        t
    }

    #[test]
    fn removals_parse_versions_suites_and_groups() {
        assert_eq!(
            Removal::parse_list(
                "tls1.2, 0x009c,TLS_RSA_WITH_AES_256_GCM_SHA384,ECDHE-RSA-AES128-SHA,x25519,0x009c"
            )
            .unwrap(),
            vec![
                Removal::Version(TlsVersion::Tls12),
                Removal::Suite(CipherSuite(0x009c)),
                Removal::Suite(CipherSuite(0x009d)),
                Removal::Suite(CipherSuite(0xc013)),
                Removal::Group(NamedGroup::X25519),
            ]
        );
        assert!(Removal::parse("0x9c")
            .unwrap_err()
            .contains("four hex digits"));
        assert!(Removal::parse("tls9")
            .unwrap_err()
            .contains("not a protocol version"));
    }

    #[test]
    fn only_endpoints_reached_with_a_removed_suite_break() {
        let mut a = ImpactAnalysis::new(notifier(), Removal::parse_list("0x009c,0x009d").unwrap());
        a.add(&tls12_server("static-rsa:443", &[0x009c]));
        a.add(&tls12_server("modern:443", &[0xc02f]));
        a.add(&tls12_server("both:443", &[0x009d, 0xc030]));
        a.add(&tls12_server("cbc-only:443", &[0x002f]));
        let impact = a.finish();
        let by: Vec<(&str, Status)> = impact
            .endpoints
            .iter()
            .map(|e| (e.target.as_str(), e.status))
            .collect();
        assert_eq!(
            by,
            [
                ("static-rsa:443", Status::Breaks),
                ("both:443", Status::Changes),
                ("cbc-only:443", Status::UnreachableBefore),
                ("modern:443", Status::Unaffected),
            ]
        );
        let broken = &impact.endpoints[0];
        assert_eq!(
            broken.reasons,
            [
                "reached today with TLSv1.2 TLS_RSA_WITH_AES_128_GCM_SHA256; the change removes \
                 TLS_RSA_WITH_AES_128_GCM_SHA256 (0x009c)",
                "after the change: no common cipher suite at TLSv1.2: the server accepts \
                 TLS_RSA_WITH_AES_128_GCM_SHA256; the client offers none of them",
            ]
        );
        assert_eq!(impact.summary.breaks, 1);
        assert_eq!(impact.summary.breaks_by_reason[0].id, "no_common_suite");
        assert_eq!(impact.summary.breaks_by_suite_before[0].id, "0x009c");
        assert!(impact.breaks());
    }

    #[test]
    fn a_target_seen_twice_keeps_its_last_report_and_unoffered_items_are_named() {
        let mut a = ImpactAnalysis::new(notifier(), Removal::parse_list("0x009c,0x002f").unwrap());
        a.add(&tls12_server("m:443", &[0x009c]));
        a.add(&tls12_server("m:443", &[0xc02f]));
        let impact = a.finish();
        assert_eq!(impact.summary.endpoints, 1);
        assert_eq!(impact.endpoints[0].status, Status::Unaffected);
        assert_eq!(
            impact.summary.not_offered,
            ["TLS_RSA_WITH_AES_128_CBC_SHA (0x002f)"]
        );
        assert!(!impact.breaks());
    }

    #[test]
    fn a_failed_scan_is_not_scanned_and_never_breaks() {
        let mut t = tls12_server("down:443", &[]);
        t.facts.error = Some("connection refused".into());
        let mut a = ImpactAnalysis::new(notifier(), vec![Removal::Version(TlsVersion::Tls12)]);
        a.add(&t);
        let impact = a.finish();
        assert_eq!(impact.endpoints[0].status, Status::NotScanned);
        assert_eq!(
            impact.endpoints[0].reasons,
            ["not scanned: connection refused"]
        );
        assert!(!impact.breaks());
    }
}
