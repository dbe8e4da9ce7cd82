//! The weaknesses section: known attacks on TLS deployments, each answered yes / no / not
//! applicable / not determined with the evidence it rests on. Some are proven on the wire by
//! an active check (CCS injection, Ticketbleed, ROBOT, renegotiation, the TLS padding check,
//! Heartbleed); the rest follow from the accepted suites and features with no connection.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{SectionStatus, Severity};

/// The answer of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
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

impl Verdict {
    /// "yes", "no", "not_applicable" or "not_determined", as JSON writes it.
    pub fn name(self) -> &'static str {
        match self {
            Verdict::Yes => "yes",
            Verdict::No => "no",
            Verdict::NotApplicable => "not_applicable",
            Verdict::NotDetermined => "not_determined",
        }
    }
}

/// Known weaknesses, each checked by the scan.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq, Default)]
pub struct WeaknessesSection {
    pub status: SectionStatus,
    pub error: Option<String>,
    /// One entry per check, in [`WEAKNESSES`] order.
    pub checks: Vec<WeaknessCheck>,
}

impl WeaknessesSection {
    /// The entry of check `id`.
    pub fn check(&self, id: &str) -> Option<&WeaknessCheck> {
        self.checks.iter().find(|c| c.id == id)
    }
}

/// One weakness and whether the server has it.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct WeaknessCheck {
    /// Stable id: "heartbleed", "ccs_injection", "sweet32" … (see [`WEAKNESSES`]).
    pub id: String,
    /// "yes" means vulnerable (or the weakness is present).
    pub result: Verdict,
    /// How bad a "yes" is: "error" (exploitable, fix now), "warning", "info".
    pub severity: Severity,
    /// The CVE that names it, or null when none does.
    pub cve: Option<String>,
    /// What decided it: the server's reaction, or the facts it follows from.
    pub evidence: String,
}

impl WeaknessCheck {
    /// The entry for `id` (one of [`WEAKNESSES`]; an unknown id gets no CVE and severity info).
    pub fn new(id: &str, result: Verdict, evidence: impl Into<String>) -> Self {
        let info = weakness(id);
        Self {
            id: id.into(),
            result,
            severity: info.map_or(Severity::Info, |i| i.severity),
            cve: info.and_then(|i| i.cve).map(str::to_string),
            evidence: evidence.into(),
        }
    }
}

/// What a weakness id stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WeaknessInfo {
    pub id: &'static str,
    /// The name people know it by.
    pub title: &'static str,
    pub cve: Option<&'static str>,
    pub severity: Severity,
}

const fn w(
    id: &'static str,
    title: &'static str,
    cve: Option<&'static str>,
    severity: Severity,
) -> WeaknessInfo {
    WeaknessInfo {
        id,
        title,
        cve,
        severity,
    }
}

/// Every check, in report order. ROBOT has one CVE per affected product; the first
/// published (F5, CVE-2017-6168) names it here.
pub const WEAKNESSES: [WeaknessInfo; 17] = [
    w(
        "heartbleed",
        "Heartbleed",
        Some("CVE-2014-0160"),
        Severity::Error,
    ),
    w(
        "ccs_injection",
        "OpenSSL CCS injection",
        Some("CVE-2014-0224"),
        Severity::Error,
    ),
    w(
        "ticketbleed",
        "Ticketbleed",
        Some("CVE-2016-9244"),
        Severity::Error,
    ),
    w(
        "robot",
        "ROBOT (Bleichenbacher oracle)",
        Some("CVE-2017-6168"),
        Severity::Error,
    ),
    w(
        "client_renegotiation",
        "Client-initiated renegotiation",
        Some("CVE-2011-1473"),
        Severity::Warning,
    ),
    w(
        "insecure_renegotiation",
        "Insecure renegotiation",
        Some("CVE-2009-3555"),
        Severity::Error,
    ),
    w(
        "poodle_ssl3",
        "POODLE (SSLv3)",
        Some("CVE-2014-3566"),
        Severity::Error,
    ),
    w(
        "poodle_tls",
        "POODLE (TLS padding)",
        Some("CVE-2014-8730"),
        Severity::Error,
    ),
    w(
        "sweet32",
        "SWEET32 (64-bit block ciphers)",
        Some("CVE-2016-2183"),
        Severity::Warning,
    ),
    w(
        "freak",
        "FREAK (export RSA)",
        Some("CVE-2015-0204"),
        Severity::Error,
    ),
    w(
        "logjam",
        "Logjam (weak DH)",
        Some("CVE-2015-4000"),
        Severity::Error,
    ),
    w(
        "drown",
        "DROWN (SSLv2)",
        Some("CVE-2016-0800"),
        Severity::Error,
    ),
    w(
        "beast",
        "BEAST (CBC in TLS 1.0)",
        Some("CVE-2011-3389"),
        Severity::Warning,
    ),
    w(
        "lucky13",
        "Lucky Thirteen (CBC)",
        Some("CVE-2013-0169"),
        Severity::Info,
    ),
    w("rc4", "RC4", Some("CVE-2013-2566"), Severity::Warning),
    w(
        "crime",
        "CRIME (TLS compression)",
        Some("CVE-2012-4929"),
        Severity::Error,
    ),
    w(
        "breach",
        "BREACH (HTTP compression)",
        Some("CVE-2013-3587"),
        Severity::Warning,
    ),
];

/// What `id` stands for, if it is a weakness id.
pub fn weakness(id: &str) -> Option<&'static WeaknessInfo> {
    WEAKNESSES.iter().find(|w| w.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_serialise_with_snake_case_results_and_their_cve() {
        let c = WeaknessCheck::new("rc4", Verdict::NotApplicable, "no TLS below 1.3");
        assert_eq!(
            serde_json::to_string(&c).unwrap(),
            r#"{"id":"rc4","result":"not_applicable","severity":"warning","cve":"CVE-2013-2566","evidence":"no TLS below 1.3"}"#
        );
        for v in [
            Verdict::Yes,
            Verdict::No,
            Verdict::NotApplicable,
            Verdict::NotDetermined,
        ] {
            assert_eq!(
                serde_json::to_string(&v).unwrap(),
                format!("\"{}\"", v.name())
            );
        }
    }

    #[test]
    fn ids_are_unique() {
        let mut ids: Vec<_> = WEAKNESSES.iter().map(|w| w.id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), WEAKNESSES.len());
    }
}
