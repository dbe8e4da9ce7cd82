//! What the server answered to recorded client hellos replayed byte for byte (live handshake
//! simulation). Facts, read by [`crate::simulate`] beside its prediction.

use crate::wire::{CipherSuite, NamedGroup};

use super::TlsVersion;

/// The server's answer to one client's replayed hello.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplayAnswer {
    /// The profile whose hello was sent.
    pub id: String,
    /// The server chose a version and a suite (ServerHello or HelloRetryRequest).
    pub accepted: bool,
    pub version: Option<TlsVersion>,
    pub suite: Option<CipherSuite>,
    /// TLS 1.3: the group of the key share the server took or asked for.
    pub group: Option<NamedGroup>,
    /// The answer as read, for people.
    pub evidence: String,
}
