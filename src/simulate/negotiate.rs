//! One handshake, predicted: what a server with these facts ([`ServerModel`]) answers to a
//! client with this offer ([`ClientOffer`]), or the precise reason it fails. A pure function:
//! no connection, the same answer every time.
//!
//! The server picks the highest version both speak (RFC 8446 section 4.2.1, RFC 5246
//! appendix E.1); in it, a suite by its own order when it imposes one, else by the client's,
//! among those it can complete: an ECDHE suite needs a shared curve, a signed key exchange a
//! scheme both have, and every suite a certificate of its key type. The client then judges
//! what it got — the DH prime's size, the certificate's key and signature — and a failure
//! there fails the handshake: the server does not know the client's limits and tries nothing
//! else.

use super::server::{ServerCert, ServerModel};
use crate::facts::TlsVersion;
use crate::wire::{registry, CipherSuite, NamedGroup, SignatureScheme};

/// Limits a client applies after the ServerHello (key sizes, DH primes, SHA-1), from its
/// profile; `None` means no limit known.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientLimits {
    /// Smallest DHE prime the client accepts.
    pub min_dh_bits: Option<u32>,
    /// Largest DHE prime the client can handle (Java 7: 1024).
    pub max_dh_bits: Option<u32>,
    /// Smallest RSA certificate key the client accepts.
    pub min_rsa_bits: Option<u32>,
    /// False: the client rejects certificates signed with SHA-1.
    pub accepts_sha1_certificates: Option<bool>,
}

/// What a client offers, as negotiation needs it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientOffer {
    /// Versions the client takes, highest first.
    pub versions: Vec<TlsVersion>,
    /// Suites in the client's order, without GREASE or signalling values.
    pub suites: Vec<CipherSuite>,
    /// `supported_groups`, without GREASE; None when the client sends none.
    pub groups: Option<Vec<NamedGroup>>,
    /// The groups it sends key shares for (TLS 1.3).
    pub key_shares: Vec<NamedGroup>,
    /// `signature_algorithms`; None when the client sends none (TLS <= 1.1 clients).
    pub signature_schemes: Option<Vec<SignatureScheme>>,
    /// The client sends SNI.
    pub sni: bool,
    pub limits: ClientLimits,
}

/// A predicted handshake: what the server picks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Negotiation {
    pub version: TlsVersion,
    pub suite: CipherSuite,
    /// The key-exchange group (TLS 1.3, ECDHE), or "DHE 2048" style text for finite fields.
    pub group: Option<String>,
    /// The certificate the client gets, when the certificates were scanned.
    pub certificate: Option<ServerCert>,
}

/// Why a handshake fails, in words a person can act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The kind of failure, for counting many of them (fleet impact).
    pub kind: FailureKind,
    pub reason: String,
    /// What the server picked before the client gave up on it (its DH prime or certificate);
    /// `None` when the server found nothing to pick.
    pub server_pick: Option<Box<Negotiation>>,
}

/// What a handshake failed on, in the order negotiation checks it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FailureKind {
    /// The server needs SNI and the client sends none.
    NoSni,
    NoCommonVersion,
    /// No suite in common at the highest common version.
    NoCommonSuite,
    /// Suites in common, but none completes (no shared curve, signature scheme or
    /// certificate of the suite's key type).
    NothingCompletes,
    /// The server picks a suite, and the client rejects what it gets (DH prime, certificate).
    ClientRejects,
}

impl FailureKind {
    /// Every kind, in the order negotiation checks them.
    pub const ALL: [FailureKind; 5] = [
        FailureKind::NoSni,
        FailureKind::NoCommonVersion,
        FailureKind::NoCommonSuite,
        FailureKind::NothingCompletes,
        FailureKind::ClientRejects,
    ];

    /// A stable id, for JSON and CSV.
    pub fn id(self) -> &'static str {
        match self {
            FailureKind::NoSni => "no_sni",
            FailureKind::NoCommonVersion => "no_common_version",
            FailureKind::NoCommonSuite => "no_common_suite",
            FailureKind::NothingCompletes => "no_suite_completes",
            FailureKind::ClientRejects => "client_rejects_server_choice",
        }
    }

    /// A few words for a summary.
    pub fn describe(self) -> &'static str {
        match self {
            FailureKind::NoSni => "the server needs SNI, the client sends none",
            FailureKind::NoCommonVersion => "no common protocol version",
            FailureKind::NoCommonSuite => "no common cipher suite",
            FailureKind::NothingCompletes => {
                "suites in common, none completes (curve, signature scheme or certificate)"
            }
            FailureKind::ClientRejects => {
                "the client rejects what the server picks (DH prime or certificate)"
            }
        }
    }
}

impl Failure {
    fn server(kind: FailureKind, reason: String) -> Self {
        Self {
            kind,
            reason,
            server_pick: None,
        }
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.reason)
    }
}

fn names(vs: &[TlsVersion]) -> String {
    vs.iter().map(|v| v.name()).collect::<Vec<_>>().join(", ")
}

/// The server's answer to `client`, or why there is none.
pub fn negotiate(client: &ClientOffer, server: &ServerModel) -> Result<Negotiation, Failure> {
    if server.needs_sni && !client.sni {
        return Err(Failure::server(
            FailureKind::NoSni,
            "the server refuses clients that send no server name (SNI), and this client sends none"
                .into(),
        ));
    }
    let server_versions: Vec<TlsVersion> = server.versions.iter().map(|v| v.version).collect();
    let Some(sv) = server
        .versions
        .iter()
        .find(|v| client.versions.contains(&v.version))
    else {
        return Err(Failure::server(
            FailureKind::NoCommonVersion,
            format!(
                "no common version: the server offers {}; the client speaks {}",
                if server_versions.is_empty() {
                    "none".into()
                } else {
                    names(&server_versions)
                },
                names(&client.versions)
            ),
        ));
    };
    // A server answers at the highest common version and does not fall back by itself: a
    // failure there is the handshake's failure.
    let candidates = order(sv, &client.suites);
    if candidates.is_empty() {
        return Err(Failure::server(
            FailureKind::NoCommonSuite,
            format!(
                "no common cipher suite at {}: the server accepts {}; the client offers none of them",
                sv.version,
                suite_list(&sv.suites)
            ),
        ));
    }
    let mut why = Vec::new();
    for suite in candidates {
        match server_pick(sv.version, suite, client, server) {
            Ok(n) => {
                return match client_accepts(client, &n, server) {
                    Ok(()) => Ok(n),
                    Err(e) => Err(Failure {
                        kind: FailureKind::ClientRejects,
                        reason: format!("the server picks {} with {}, but {e}", n.version, n.suite),
                        server_pick: Some(Box::new(n)),
                    }),
                }
            }
            Err(e) => {
                if !why.contains(&e) {
                    why.push(e)
                }
            }
        }
    }
    Err(Failure::server(
        FailureKind::NothingCompletes,
        format!(
            "{} suites in common at {}, but none completes: {}",
            if why.len() == 1 { "the" } else { "all" },
            sv.version,
            why.join("; ")
        ),
    ))
}

/// The suites both accept, in the order the server picks them.
fn order(sv: &super::server::ServerVersion, client: &[CipherSuite]) -> Vec<CipherSuite> {
    if sv.server_order {
        sv.suites
            .iter()
            .copied()
            .filter(|s| client.contains(s))
            .collect()
    } else {
        client
            .iter()
            .copied()
            .filter(|s| sv.suites.contains(s))
            .collect()
    }
}

fn suite_list(suites: &[CipherSuite]) -> String {
    let names: Vec<String> = suites.iter().take(6).map(|s| s.to_string()).collect();
    let more = suites.len().saturating_sub(6);
    if more > 0 {
        format!("{} and {more} more", names.join(", "))
    } else {
        names.join(", ")
    }
}

/// What the server does with `suite` at `version`: the group and certificate it uses, or why
/// it cannot complete the suite with this client (it then tries its next).
fn server_pick(
    version: TlsVersion,
    suite: CipherSuite,
    client: &ClientOffer,
    server: &ServerModel,
) -> Result<Negotiation, String> {
    if version == TlsVersion::Tls13 {
        return tls13_pick(suite, client, server);
    }
    let (kx, auth) = registry::suite(suite).map_or(("unknown", "unknown"), |i| (i.kx, i.auth));
    let group = match kx {
        "ECDHE" => Some(
            ecdhe_curve(client, server)
                .map_err(|e| format!("{suite}: {e}"))?
                .to_string(),
        ),
        "DHE" => server.dhe_bits.map(|b| format!("DHE {b}")),
        _ => None,
    };
    let key = match auth {
        "ECDSA" => Some("ECDSA"),
        "RSA" => Some("RSA"),
        "DSS" => Some("DSA"),
        _ => None,
    };
    let certificate = match key {
        Some(k) => certificate(k, client, server).map_err(|e| format!("{suite}: {e}"))?,
        None => None,
    };
    if matches!(kx, "ECDHE" | "DHE") && version == TlsVersion::Tls12 {
        if let (Some(k), Some(ours), Some(theirs)) =
            (key, &client.signature_schemes, &server.tls12_schemes)
        {
            let usable = theirs.iter().any(|(s, signer)| {
                ours.contains(s) && signer.as_deref().is_none_or(|sk| key_matches(k, sk))
            });
            if !usable {
                return Err(format!(
                    "{suite}: no signature scheme in common for the {k} key (the server signs with {})",
                    theirs
                        .iter()
                        .map(|(s, _)| s.to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
        }
    }
    Ok(Negotiation {
        version,
        suite,
        group,
        certificate,
    })
}

/// The client's own checks of what the server picked: the DH prime, the certificate.
fn client_accepts(
    client: &ClientOffer,
    n: &Negotiation,
    server: &ServerModel,
) -> Result<(), String> {
    let dhe = registry::suite(n.suite).is_some_and(|i| i.kx == "DHE");
    if let (true, Some(bits)) = (dhe, server.dhe_bits) {
        if let Some(max) = client.limits.max_dh_bits.filter(|m| bits > *m) {
            return Err(format!(
                "its DH prime has {bits} bits and the client handles at most {max}"
            ));
        }
        if let Some(min) = client.limits.min_dh_bits.filter(|m| bits < *m) {
            return Err(format!(
                "its DH prime has {bits} bits and the client needs at least {min}"
            ));
        }
    }
    if let Some(c) = &n.certificate {
        if c.key_type == "RSA" {
            if let Some(min) = client.limits.min_rsa_bits.filter(|m| c.bits < *m) {
                return Err(format!(
                    "its RSA key has {} bits and the client needs at least {min}",
                    c.bits
                ));
            }
        }
        if client.limits.accepts_sha1_certificates == Some(false)
            && c.signature_algorithm.to_ascii_lowercase().contains("sha1")
        {
            return Err(format!(
                "its certificate is signed with {}, which the client rejects",
                c.signature_algorithm
            ));
        }
    }
    Ok(())
}

fn key_matches(auth_key: &str, signer: &str) -> bool {
    match auth_key {
        "ECDSA" => signer.starts_with("EC"),
        other => signer.starts_with(other),
    }
}

fn ecdhe_curve(client: &ClientOffer, server: &ServerModel) -> Result<NamedGroup, String> {
    let Some(curves) = &server.ecdhe_curves else {
        // Not scanned: the server accepted the suite, so it shares the client's first curve
        // (or P-256, which a client without supported_groups gets).
        return Ok(client
            .groups
            .as_ref()
            .and_then(|g| g.first().copied())
            .unwrap_or(NamedGroup::SECP256R1));
    };
    let Some(offered) = &client.groups else {
        // No supported_groups: servers fall back to P-256 (RFC 8422 section 4).
        return curves
            .iter()
            .copied()
            .find(|c| *c == NamedGroup::SECP256R1)
            .ok_or_else(|| {
                "the client sends no supported_groups and the server has no secp256r1".into()
            });
    };
    let pick = if server.ecdhe_curve_order {
        curves.iter().copied().find(|c| offered.contains(c))
    } else {
        offered.iter().copied().find(|c| curves.contains(c))
    };
    pick.ok_or_else(|| {
        format!(
            "no common ECDHE curve: the server has {}",
            group_list(curves)
        )
    })
}

fn group_list(groups: &[NamedGroup]) -> String {
    groups
        .iter()
        .map(|g| g.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The certificate with a `key` ("RSA", "ECDSA") key the server presents to this client (the
/// chain for clients without SNI when it sends none); `None` when the certificates were not
/// scanned (a server that accepted the suite has one).
fn certificate(
    key: &str,
    client: &ClientOffer,
    server: &ServerModel,
) -> Result<Option<ServerCert>, String> {
    if server.certificates.is_empty() {
        return Ok(None);
    }
    let of_type = |c: &&ServerCert| c.key_type == key;
    server
        .certificates
        .iter()
        .filter(of_type)
        .find(|c| c.without_sni != client.sni)
        .or_else(|| server.certificates.iter().find(of_type))
        .cloned()
        .map(Some)
        .ok_or_else(|| format!("the server has no {key} certificate"))
}

fn tls13_pick(
    suite: CipherSuite,
    client: &ClientOffer,
    server: &ServerModel,
) -> Result<Negotiation, String> {
    let offered = client.groups.clone().unwrap_or_default();
    let group = match &server.tls13_groups {
        Some(groups) => {
            // A key share the server takes avoids a HelloRetryRequest (OpenSSL, GnuTLS and
            // nginx pick it); otherwise the server asks for its choice among the offered.
            let shared = client
                .key_shares
                .iter()
                .copied()
                .find(|g| groups.contains(g));
            let pick = shared.or_else(|| {
                if server.tls13_group_order {
                    groups.iter().copied().find(|g| offered.contains(g))
                } else {
                    offered.iter().copied().find(|g| groups.contains(g))
                }
            });
            match pick {
                Some(g) => Some(g),
                None => {
                    return Err(format!(
                        "no common TLS 1.3 group: the server has {}; the client offers {}",
                        group_list(groups),
                        group_list(&offered)
                    ))
                }
            }
        }
        None => None,
    };
    if let (Some(ours), Some(theirs)) = (&client.signature_schemes, &server.tls13_schemes) {
        if !theirs.iter().any(|s| ours.contains(s)) {
            return Err(format!(
                "no common TLS 1.3 signature scheme: the server signs with {}",
                theirs
                    .iter()
                    .map(|s| s.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
    }
    // TLS 1.3 certificates are chosen by signature scheme, not suite: the first key type the
    // client's schemes allow (ECDSA before RSA when it offers both).
    let wants = |prefix: &str| {
        client
            .signature_schemes
            .as_ref()
            .is_none_or(|s| s.iter().any(|x| x.to_string().starts_with(prefix)))
    };
    let certificate = [("ECDSA", "ecdsa_"), ("RSA", "rsa_")]
        .into_iter()
        .filter(|(_, prefix)| wants(prefix))
        .find_map(|(key, _)| certificate(key, client, server).ok().flatten());
    Ok(Negotiation {
        version: TlsVersion::Tls13,
        suite,
        group: group.map(|g| g.to_string()),
        certificate,
    })
}
