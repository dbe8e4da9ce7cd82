//! tlsaudit: a TLS scanner and compliance checker.
//!
//! Data flows one way: target → probes ([`engine`]) → facts ([`report`]) → findings → report
//! renderers ([`render`]). The [`wire`] layer and the [`registry`] are sans-IO.

pub mod certs;
pub mod cli;
pub mod client;
pub mod demo;
pub mod engine;
pub mod facts;
pub mod grade;
pub mod policy;
pub mod progress;
pub mod registry;
pub mod render;
pub mod report;
pub mod scan;
pub mod serve;
pub mod servers;
pub mod starttls;
pub mod testpki;
pub mod tls12;
pub mod wire;
