//! The report: each target's facts ([`crate::facts`]) with the judgements made of them (the
//! policy verdict, the grade), built in one place. Renderers read this and nothing else.
//! `schema/scan-report.schema.json` is generated from these types (`tlsaudit schema`) and a
//! test keeps the checked-in copy equal to them.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::facts::TargetFacts;
use crate::grade::Grade;
use crate::policy::PolicyResult;

/// Bumped on any change a consumer could notice: new fields raise the minor, renames and removals the major.
pub const SCHEMA_VERSION: &str = "1.5";

/// One run of `tlsaudit scan`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct ScanReport {
    pub schema_version: String,
    pub tool: ToolInfo,
    /// RFC 3339 time the scan started.
    pub started_at: String,
    pub duration_ms: u64,
    pub targets: Vec<TargetReport>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct ToolInfo {
    pub name: String,
    pub version: String,
}

impl Default for ToolInfo {
    fn default() -> Self {
        Self {
            name: "tlsaudit".into(),
            version: env!("CARGO_PKG_VERSION").into(),
        }
    }
}

impl ScanReport {
    /// A report of `targets`, started at `started_at` (RFC 3339), taking `duration_ms`: the
    /// one place the envelope (schema version, tool) is filled in.
    ///
    /// ```
    /// use tlsaudit::report::{now_rfc3339, ScanReport, TargetReport, SCHEMA_VERSION};
    ///
    /// let report = ScanReport::new(now_rfc3339(), 0, vec![TargetReport::default()]);
    /// assert_eq!(report.schema_version, SCHEMA_VERSION);
    /// assert_eq!(report.tool.name, "tlsaudit");
    /// assert_eq!(report.targets.len(), 1);
    /// ```
    pub fn new(started_at: String, duration_ms: u64, targets: Vec<TargetReport>) -> Self {
        Self {
            schema_version: SCHEMA_VERSION.into(),
            tool: ToolInfo::default(),
            started_at,
            duration_ms,
            targets,
        }
    }
}

/// The current time in RFC 3339, as a report's `started_at` (empty if it cannot be written).
pub fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// One target: its facts, and the verdicts made of them. The facts' fields are the entry's
/// own in JSON (flattened), so a consumer reads `protocols` and `policy` side by side.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq, Default)]
pub struct TargetReport {
    #[serde(flatten)]
    pub facts: TargetFacts,
    /// The verdict of the policy the target was judged by (`--policy`); null with `--policy none`.
    #[serde(default)]
    pub policy: Option<PolicyResult>,
    /// The letter grade, from the facts (see the README's "Grade" section); null when the
    /// target could not be scanned.
    #[serde(default)]
    pub grade: Option<Grade>,
    /// Who can connect: each simulated client's predicted handshake (and, with `--simulate
    /// live`, the server's answer to its replayed hello); null when no client was simulated.
    #[serde(default)]
    pub simulation: Option<crate::simulate::SimulationSection>,
    /// Post-quantum readiness, from the facts (see the README's "Post-quantum readiness"); null
    /// when the target could not be scanned.
    #[serde(default)]
    pub post_quantum: Option<crate::policy::pq::PostQuantum>,
}

impl TargetReport {
    /// The facts graded, not yet judged by a policy.
    pub fn graded(facts: TargetFacts) -> Self {
        let grade = crate::grade::grade(&facts);
        let post_quantum = crate::policy::pq::readiness(&facts);
        Self {
            facts,
            policy: None,
            grade,
            simulation: None,
            post_quantum,
        }
    }
}

/// Reading a report reads its facts: `report.protocols` is `report.facts.protocols`.
impl std::ops::Deref for TargetReport {
    type Target = TargetFacts;
    fn deref(&self) -> &TargetFacts {
        &self.facts
    }
}

impl std::ops::DerefMut for TargetReport {
    fn deref_mut(&mut self) -> &mut TargetFacts {
        &mut self.facts
    }
}

/// The JSON Schema of [`ScanReport`], pretty-printed.
pub fn json_schema() -> String {
    let schema = schemars::schema_for!(ScanReport);
    serde_json::to_string_pretty(&schema).unwrap_or_default() + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::TlsVersion;

    #[test]
    fn versions_serialise_as_the_documented_names() {
        assert_eq!(
            serde_json::to_string(&TlsVersion::Tls12).unwrap(),
            "\"TLSv1.2\""
        );
        assert_eq!(
            serde_json::to_string(&TlsVersion::Ssl2).unwrap(),
            "\"SSLv2\""
        );
        assert_eq!(TlsVersion::parse("tls1.3"), Some(TlsVersion::Tls13));
        assert_eq!(TlsVersion::Tls10.name(), "TLSv1.0");
    }

    #[test]
    fn checked_in_schema_matches_the_types() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/schema/scan-report.schema.json"
        );
        let on_disk = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            on_disk == json_schema(),
            "schema/scan-report.schema.json is stale: run `cargo run -- schema > schema/scan-report.schema.json`"
        );
    }
}
