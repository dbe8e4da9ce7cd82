//! Probes: everything below the enumeration stages that touches a socket or builds what is
//! sent on one. The [`engine`] alone opens connections (limits, timeouts, retries, counts);
//! [`hello`] builds ClientHellos; [`full`] runs rustls handshakes over engine connections
//! (with the post-quantum hybrid groups of [`hybrid`]; [`tickets`] reads TLS 1.3 session
//! tickets); [`starttls`] speaks the plaintext preambles; [`http`] is one HTTP request over a
//! completed handshake; [`dns`] reads the target's DNS HTTPS record and [`ech`] sends
//! Encrypted Client Hellos (GREASE and real, with [`tls13`]'s key schedule);
//! [`ctx`] is the per-target probe context. Over QUIC the engine carries every hello in a
//! QUIC handshake ([`engine::quic`]).

pub mod ctx;
pub mod dns;
pub mod ech;
pub mod engine;
pub mod full;
pub mod hello;
pub mod http;
pub mod hybrid;
pub mod mail;
pub mod starttls;
pub mod target;
pub mod tickets;
pub mod tls12;
pub mod tls13;

pub use ctx::Ctx;
pub use target::Target;
