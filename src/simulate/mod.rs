//! Who can connect: real clients as data, to predict (and replay) each one's handshake with a
//! scanned server. A [`profile::ClientProfile`] is either *captured* (the client's own
//! ClientHello bytes, recorded here by `tlsaudit client --save-profile`) or *declared* (its
//! versions, suites, groups and signature schemes as a vendor documents them); both give the
//! simulation one typed view, [`profile::ClientCapabilities`], and the hello bytes to replay.
//! The built-in profiles live in `data/clients/`, one TOML file per client, embedded in the
//! binary.

pub mod profile;
