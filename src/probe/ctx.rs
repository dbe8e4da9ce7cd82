//! The per-target probe context: the engine, the host, the name to send, and the hello shape
//! the protocol stage found the server needs.

use std::net::{IpAddr, SocketAddr};

use super::engine::{Engine, HostHandle, ProbeOutcome};
use super::hello::HelloSpec;
use super::target::Target;
use crate::wire::{CipherSuite, ProtocolVersion};

/// One probe context: the engine, the host and the name to send.
#[derive(Clone)]
pub struct Ctx {
    pub engine: Engine,
    pub host: HostHandle,
    pub sni: Option<String>,
    /// Send compact hellos (under 256 bytes): the protocol stage found the server needs them.
    pub compact: bool,
}

impl Ctx {
    /// The broadest hello for `version` offering `suites`, compact when the server needs it.
    pub fn hello(&self, version: ProtocolVersion, suites: Vec<CipherSuite>) -> HelloSpec {
        let spec = HelloSpec::new(version, suites, self.sni.clone());
        if self.compact {
            spec.compact()
        } else {
            spec
        }
    }

    /// Sends `spec`; a compact hello first drops trailing suites until it fits, so a stage
    /// whose variable is not the suite list can hand over every accepted suite.
    pub async fn send(&self, spec: HelloSpec) -> ProbeOutcome {
        let spec = spec.fit_compact();
        self.engine.probe(&self.host, &spec.build()).await
    }
}

/// Resolves `target`, honouring `--ip`.
pub async fn resolve(target: &Target, pinned: Option<IpAddr>) -> Result<SocketAddr, String> {
    if let Some(ip) = pinned {
        return Ok(SocketAddr::new(ip, target.port));
    }
    if let Some(ip) = target.ip_literal() {
        return Ok(SocketAddr::new(ip, target.port));
    }
    let lookup = tokio::net::lookup_host((target.host.as_str(), target.port));
    match tokio::time::timeout(std::time::Duration::from_secs(10), lookup).await {
        Ok(Ok(mut addrs)) => addrs
            .next()
            .ok_or_else(|| format!("{}: no address found", target.host)),
        Ok(Err(e)) => Err(format!("{}: cannot resolve: {e}", target.host)),
        Err(_) => Err(format!("{}: name resolution timed out", target.host)),
    }
}

/// The name to send in SNI: `--sni`, else the host when it is a name, never an IP literal (RFC 6066 section 3).
pub fn sni_for(target: &Target, sni: Option<&str>, no_sni: bool) -> Option<String> {
    if no_sni {
        return None;
    }
    sni.map(str::to_owned)
        .or_else(|| target.ip_literal().is_none().then(|| target.host.clone()))
}
