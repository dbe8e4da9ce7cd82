//! Fleets: questions asked of many targets' saved reports at once. [`results`] reads what
//! `tlsaudit scan` wrote (JSON, JSON Lines, many files); [`impact`] answers "who breaks if a
//! client changes" by running the handshake simulation ([`crate::simulate`]) over every
//! endpoint's facts before and after the change. No connection: facts in, answers out.

pub mod impact;
pub mod results;
