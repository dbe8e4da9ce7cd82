//! The TLS client check: what this machine's TLS client really offers, and whether it can
//! reach a server that follows a policy. (`tlsaudit client`, the command, lives in the
//! binary.)
//!
//! A capture server reads each client's ClientHello with the [`crate::wire`] layer
//! ([`capture`]), names and flags everything in it ([`analysis`], [`fingerprint`]), judges it
//! from the server's side ([`verdict`]), then replays the same bytes into rustls to finish a
//! real handshake and answer HTTP with the report ([`server`]).

pub mod analysis;
pub mod capture;
pub mod fingerprint;
pub mod render;
pub mod report;
pub mod server;
pub mod verdict;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use capture::CaptureLimits;
pub use report::ClientReport;
pub use server::{CaptureServer, Certs, ServerOptions};
pub use verdict::ServerProfile;

/// What `--exec --format json` prints.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct ExecReport {
    pub schema_version: String,
    pub policy: String,
    /// The command as run, after substitution.
    pub command: String,
    /// Its exit code; null when it was killed (it ran past the timeout) or died by a signal.
    pub command_exit_code: Option<i32>,
    /// True when every ClientHello captured is compliant; null when none was captured.
    pub compliant: Option<bool>,
    /// One entry per connection, in the order they ended.
    pub clients: Vec<ClientReport>,
}

/// What a client check amounts to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckOutcome {
    /// Every ClientHello read is compliant.
    Compliant,
    /// A ClientHello read is not compliant.
    NotCompliant,
    /// No ClientHello was read.
    NoClient,
}

impl CheckOutcome {
    /// The outcome of a set of reports: no client when no ClientHello was read, else
    /// compliant when every one is, else not compliant.
    pub fn of(reports: &[ClientReport]) -> CheckOutcome {
        let verdicts: Vec<bool> = reports
            .iter()
            .filter_map(|r| r.verdict.as_ref().map(|v| v.compliant))
            .collect();
        if verdicts.is_empty() {
            CheckOutcome::NoClient
        } else if verdicts.iter().all(|c| *c) {
            CheckOutcome::Compliant
        } else {
            CheckOutcome::NotCompliant
        }
    }

    /// `ExecReport::compliant`: null when no client was read.
    pub fn compliant(self) -> Option<bool> {
        match self {
            CheckOutcome::Compliant => Some(true),
            CheckOutcome::NotCompliant => Some(false),
            CheckOutcome::NoClient => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcomes() {
        assert_eq!(CheckOutcome::of(&[]), CheckOutcome::NoClient);
        let err = ClientReport {
            error: Some("garbage".into()),
            ..Default::default()
        };
        assert_eq!(
            CheckOutcome::of(std::slice::from_ref(&err)),
            CheckOutcome::NoClient
        );
        let v = |c| ClientReport {
            verdict: Some(report::Verdict {
                policy: "p".into(),
                compliant: c,
                version: None,
                cipher_suite: None,
                message: String::new(),
                upgrade: None,
            }),
            ..Default::default()
        };
        assert_eq!(
            CheckOutcome::of(&[err.clone(), v(true)]),
            CheckOutcome::Compliant
        );
        assert_eq!(
            CheckOutcome::of(&[v(true), v(false)]),
            CheckOutcome::NotCompliant
        );
    }
}
