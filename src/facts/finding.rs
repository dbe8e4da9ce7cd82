//! Findings: a fact worth acting on, with a stable id and a severity.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// How bad a finding is.
#[derive(
    Debug, Clone, Copy, Serialize, Deserialize, JsonSchema, PartialEq, Eq, PartialOrd, Ord, Hash,
)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    /// "error", "warning" or "info", as JSON and the reports write it.
    pub fn name(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// A fact worth acting on, with a stable dotted id (`cert.expired`, `protocol.tls1_0.offered`)
/// and a message that says what to change.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct Finding {
    pub id: String,
    pub severity: Severity,
    /// What is wrong and what to change.
    pub message: String,
    /// The fact that shows it, for people (e.g. "notAfter 2026-01-01T00:00:00Z").
    #[serde(default)]
    pub evidence: Option<String>,
}
