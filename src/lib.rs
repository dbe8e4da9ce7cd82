//! tlsaudit: a TLS scanner and compliance checker.
//!
//! Data flows one way: target → probes ([`probe`]) → enumeration ([`enumerate`]) → facts
//! ([`facts`]) → findings ([`certs`], [`policy`], [`grade`]) → report ([`report`]) → renderers
//! ([`render`]). The [`wire`] layer (with the IANA [`wire::registry`]) is sans-IO.

pub mod audit;
pub mod certs;
pub mod cli;
pub mod client;
pub mod demo;
pub mod enumerate;
pub mod facts;
pub mod grade;
pub mod policy;
pub mod probe;
pub mod progress;
pub mod render;
pub mod report;
pub mod serve;
pub mod servers;
pub mod simulate;
pub mod testpki;
pub mod wire;
