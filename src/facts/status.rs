//! Whether a section of the scan ran, and if not, why.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Whether a section of the scan ran.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum SectionStatus {
    #[default]
    Completed,
    /// It ran and failed; the section's `error` says why.
    Error,
    /// The user asked for less (or the target failed before it).
    NotScheduled,
}
