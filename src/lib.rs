//! tlsaudit: a TLS scanner and compliance checker.
//!
//! Data flows one way: target → probes ([`engine`]) → facts ([`report`]) → findings → report
//! renderers ([`render`]). The [`wire`] layer and the [`registry`] are sans-IO.

pub mod registry;
pub mod wire;
