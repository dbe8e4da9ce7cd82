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

/// Why a target could not be scanned, as data a caller can act on (retry later, fix the
/// name, open the port …); the `error` text beside it says it for people.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema, PartialEq, Eq, Hash)]
#[serde(rename_all = "snake_case")]
pub enum ErrorReason {
    /// The input is not a target (`host[:port]`, `[v6]:port`, a URL).
    InvalidTarget,
    /// The name did not resolve (or not in time).
    ResolveFailed,
    /// Nothing listens: the connection was refused.
    ConnectionRefused,
    /// No TCP connection before the connect timeout.
    ConnectTimeout,
    /// Any other failure to connect (unreachable network, address in use …).
    ConnectError,
    /// The plaintext STARTTLS exchange failed before TLS could start.
    StarttlsFailed,
    /// The server kept turning connections away for now (SMTP 421, "too many connections",
    /// refused TCP after answering): rate limited, even after pauses and retries.
    RateLimited,
    /// The server accepted TCP connections but sent not one byte before the read timeout:
    /// after the first probes met that silence, no other probe waited for it again.
    Silent,
}
