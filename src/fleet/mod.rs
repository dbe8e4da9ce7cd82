//! Fleets: questions asked of many targets' saved reports at once. [`results`] reads what
//! `tlsaudit scan` wrote (JSON, JSON Lines, many files); [`impact`] answers "who breaks if a
//! client changes" by running the handshake simulation ([`crate::simulate`]) over every
//! endpoint's facts before and after the change; [`diff`] says what changed between two scans.
//! No connection: facts in, answers out.

pub mod diff;
pub mod impact;
pub mod results;
