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
pub mod report;
pub mod server;
pub mod text;
pub mod verdict;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::simulate::profile::{Limits, RecordedHello};

pub use capture::CaptureLimits;
pub use report::ClientReport;
pub use server::{CaptureServer, Certs, ServerOptions};
pub use verdict::ServerProfile;

/// The hellos `--save-profile` keeps: the first one read, then every later one that is a fallback retry.
pub fn hellos_to_save(reports: &[ClientReport]) -> Vec<Vec<u8>> {
    let mut out: Vec<Vec<u8>> = Vec::new();
    for r in reports
        .iter()
        .filter(|r| r.hello.is_some() && !r.hello_bytes.is_empty())
    {
        let fallback = RecordedHello::read(&r.hello_bytes)
            .ok()
            .and_then(|h| h.capabilities(&Limits::default()).ok())
            .is_some_and(|c| c.fallback_scsv);
        if out.is_empty() || fallback {
            out.push(r.hello_bytes.clone());
        }
    }
    out
}

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

    #[test]
    fn the_first_hello_and_later_fallbacks_are_kept() {
        use crate::client::fingerprint::tests::{unhex, CURL_HELLO_HEX};
        use crate::client::report::HelloFacts;
        let first = unhex(CURL_HELLO_HEX);
        let mut fallback = crate::simulate::profile::RecordedHello::read(&first).unwrap();
        if let crate::client::analysis::CapturedHello::Tls(h) = &mut fallback.hello {
            h.cipher_suites
                .push(crate::wire::CipherSuite::FALLBACK_SCSV);
        }
        let report = |bytes: Vec<u8>| ClientReport {
            hello: Some(HelloFacts::default()),
            hello_bytes: bytes,
            ..Default::default()
        };
        let reports = vec![
            ClientReport::default(),
            report(first.clone()),
            report(first.clone()),
            report(fallback.to_wire()),
        ];
        assert_eq!(hellos_to_save(&reports), vec![first, fallback.to_wire()]);
    }
}
