//! Who can connect: handshake simulation. Client profiles ([`profile`], data in
//! `data/clients/`, captured from the real programs or declared from their documentation)
//! say what real clients offer; [`negotiate`] predicts, from a scan's facts
//! alone ([`server::ServerModel`]), what the server answers each of them, or why it fails. No
//! connection: it runs in every full scan. A live replay of the same hellos
//! ([`crate::enumerate::replay`]) checks the prediction.

pub mod negotiate;
pub mod profile;
pub mod server;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::facts::{ReplayAnswer, SectionStatus, TargetFacts, TlsVersion};
pub use negotiate::{negotiate, ClientLimits, ClientOffer, Failure, FailureKind, Negotiation};
pub use server::ServerModel;

/// A client to simulate: who it is and what it offers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimClient {
    pub id: String,
    pub name: String,
    pub version: String,
    pub library: String,
    /// "captured" (recorded here from the real program) or "declared" (from a published table).
    pub source: String,
    pub offer: ClientOffer,
}

/// A profile ready to simulate: what it offers, and the profile itself for live replay.
#[derive(Debug, Clone)]
pub struct Simulated {
    pub client: SimClient,
    pub profile: profile::ClientProfile,
}

/// Reads each profile's offer once, for every target of a run.
pub fn prepare(
    profiles: Vec<profile::ClientProfile>,
) -> Result<Vec<Simulated>, profile::ProfileError> {
    profiles
        .into_iter()
        .map(|p| {
            Ok(Simulated {
                client: sim_client(&p)?,
                profile: p,
            })
        })
        .collect()
}

/// A built-in profile by id, read once per process.
pub fn builtin_client(id: &str) -> Option<SimClient> {
    static BUILTIN: std::sync::OnceLock<Vec<SimClient>> = std::sync::OnceLock::new();
    BUILTIN
        .get_or_init(|| {
            profile::builtin()
                .map(|all| all.iter().filter_map(|p| sim_client(p).ok()).collect())
                .unwrap_or_default()
        })
        .iter()
        .find(|c| c.id == id)
        .cloned()
}

/// A profile as the negotiation reads it.
pub fn sim_client(p: &profile::ClientProfile) -> Result<SimClient, profile::ProfileError> {
    let caps = p.capabilities()?;
    let listed: Vec<TlsVersion> = caps
        .versions
        .iter()
        .filter_map(|v| TlsVersion::from_wire(*v))
        .collect();
    let versions = if caps.versions_listed {
        listed
    } else {
        // `legacy_version` alone means "this or lower" (RFC 5246 appendix E.1); no client
        // that sends a TLS hello goes below SSLv3, and none here below TLS 1.0 unless it says
        // SSLv3.
        let top = listed.first().copied().unwrap_or(TlsVersion::Tls10);
        let floor = if top == TlsVersion::Ssl3 {
            TlsVersion::Ssl3
        } else {
            TlsVersion::Tls10
        };
        TlsVersion::ALL
            .into_iter()
            .rev()
            .filter(|v| *v <= top && *v >= floor)
            .collect()
    };
    Ok(SimClient {
        id: p.id.clone(),
        name: p.name.clone(),
        version: p.version.clone(),
        library: p.library.clone(),
        source: p.source.to_string(),
        offer: ClientOffer {
            versions,
            suites: caps.cipher_suites,
            groups: (!caps.groups.is_empty()).then_some(caps.groups),
            key_shares: caps.key_share_groups,
            signature_schemes: (!caps.signature_schemes.is_empty())
                .then_some(caps.signature_schemes),
            sni: caps.sni,
            limits: ClientLimits {
                min_dh_bits: caps.limits.min_dh_bits,
                max_dh_bits: caps.limits.max_dh_bits,
                min_rsa_bits: caps.limits.min_rsa_bits,
                accepts_sha1_certificates: caps.limits.accepts_sha1_certificates,
            },
        },
    })
}

/// "Who can connect": one entry per simulated client, failures first.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq, Default)]
pub struct SimulationSection {
    pub status: SectionStatus,
    pub error: Option<String>,
    pub clients: Vec<ClientResult>,
}

/// A suite as the simulation reports it.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq, Eq)]
pub struct SuiteName {
    /// Lower-case hex: "0xc02f".
    pub id: String,
    pub name: String,
}

/// What one client gets from the server.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct ClientResult {
    /// Profile id: program and major version ("curl-7.88", "java-8", "multisafepay-notifier").
    pub id: String,
    pub name: String,
    pub version: String,
    /// TLS library and version.
    pub library: String,
    /// "captured" or "declared".
    pub source: String,
    pub connects: bool,
    /// The version negotiated, when it connects.
    pub protocol: Option<TlsVersion>,
    pub cipher_suite: Option<SuiteName>,
    /// The key-exchange group ("x25519", "DHE 2048"), when there is one.
    pub group: Option<String>,
    /// The certificate the client gets ("RSA 2048 (sha256WithRSAEncryption)"), when known.
    pub certificate: Option<String>,
    /// Why it cannot connect, when it cannot.
    pub reason: Option<String>,
    /// The live replay of the client's hello (`--simulate live`), when it ran.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub live: Option<LiveAnswer>,
}

/// What the server answered to the replayed hello, beside the prediction.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct LiveAnswer {
    /// The server answered with a ServerHello (or a HelloRetryRequest) the client takes.
    pub connects: bool,
    pub protocol: Option<TlsVersion>,
    pub cipher_suite: Option<SuiteName>,
    pub group: Option<String>,
    /// The answer as read ("ServerHello TLSv1.3 TLS_AES_128_GCM_SHA256", "alert handshake_failure").
    pub evidence: String,
    /// The live answer agrees with the prediction (version, suite and, where both name one,
    /// group; or both fail).
    pub agrees: bool,
}

impl SuiteName {
    pub fn of(s: crate::wire::CipherSuite) -> Self {
        Self {
            id: s.hex_id(),
            name: s.to_string(),
        }
    }
}

/// Predicts every client against `facts`. A target that could not be scanned gets a section
/// that did not run.
pub fn simulate(facts: &TargetFacts, clients: &[SimClient]) -> SimulationSection {
    if facts.error.is_some() {
        return SimulationSection {
            status: SectionStatus::NotScheduled,
            ..Default::default()
        };
    }
    let server = ServerModel::from_facts(facts);
    let mut results: Vec<ClientResult> = clients
        .iter()
        .map(|c| {
            let replayed = facts.replay.iter().find(|a| a.id == c.id);
            predict_and_compare(c, &server, replayed)
        })
        .collect();
    // Failures first, so they stand out; otherwise the profiles' order.
    results.sort_by_key(|r| r.connects);
    SimulationSection {
        status: SectionStatus::Completed,
        error: None,
        clients: results,
    }
}

/// One client's predicted result.
pub fn predict(client: &SimClient, server: &ServerModel) -> ClientResult {
    predict_and_compare(client, server, None)
}

/// One client's predicted result, beside the live answer to its replayed hello when there is
/// one.
pub fn predict_and_compare(
    client: &SimClient,
    server: &ServerModel,
    replayed: Option<&ReplayAnswer>,
) -> ClientResult {
    let mut r = ClientResult {
        id: client.id.clone(),
        name: client.name.clone(),
        version: client.version.clone(),
        library: client.library.clone(),
        source: client.source.clone(),
        connects: false,
        protocol: None,
        cipher_suite: None,
        group: None,
        certificate: None,
        reason: None,
        live: None,
    };
    let prediction = negotiate(&client.offer, server);
    r.live = replayed.map(|a| compare(&prediction, a));
    match prediction {
        Ok(n) => {
            r.connects = true;
            r.protocol = Some(n.version);
            r.cipher_suite = Some(SuiteName::of(n.suite));
            r.group = n.group;
            r.certificate = n.certificate.map(|c| c.describe);
        }
        Err(why) => r.reason = Some(why.reason),
    }
    r
}

/// The live answer beside the prediction: they agree when the server picked what was
/// predicted (version, suite and, in TLS 1.3, group), or refused when nothing was predicted.
pub fn compare(prediction: &Result<Negotiation, Failure>, answer: &ReplayAnswer) -> LiveAnswer {
    let pick = match prediction {
        Ok(n) => Some(n),
        Err(f) => f.server_pick.as_deref(),
    };
    let group = answer.group.map(|g| g.to_string());
    let agrees = match (pick, answer.accepted) {
        (Some(n), true) => {
            answer.version == Some(n.version)
                && answer.suite == Some(n.suite)
                && (n.version != TlsVersion::Tls13
                    || n.group.is_none()
                    || group.is_none()
                    || n.group == group)
        }
        (None, false) => true,
        _ => false,
    };
    LiveAnswer {
        // The client still judges what it got as predicted (its DH and certificate limits).
        connects: answer.accepted && (prediction.is_ok() || pick.is_none()),
        protocol: answer.version,
        cipher_suite: answer.suite.map(SuiteName::of),
        group,
        evidence: answer.evidence.clone(),
        agrees,
    }
}

#[cfg(test)]
mod tests;
