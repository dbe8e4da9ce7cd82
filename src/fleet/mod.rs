//! Fleets: questions asked of many targets' saved reports at once. [`results`] reads what
//! `tlsaudit scan` wrote (JSON, JSON Lines, many files); [`impact`] answers "who breaks if a
//! client changes" by running the handshake simulation ([`crate::simulate`]) over every
//! endpoint's facts before and after the change, and [`adopt`] the endpoint-side change (every
//! endpoint adopts a policy: which must change, which clients then fail); [`diff`] says what
//! changed between two scans. No connection: facts in, answers out.

pub mod adopt;
pub mod diff;
pub mod impact;
pub mod results;
pub mod targets;
