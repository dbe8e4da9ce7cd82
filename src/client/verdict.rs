//! The verdict seen from the server's side: what a server that follows a policy would pick
//! with this client's hello, or why it cannot. A pure function of (hello, profile).

use crate::facts::TlsVersion;
use crate::wire::registry;
use crate::wire::{CipherSuite, NamedGroup, ProtocolVersion};

use super::analysis::Offer;
use super::report::{Code, Verdict};

/// What a server following a policy accepts: per version, its suites in its order of
/// preference, and the groups it can do (EC)DHE with. The policy engine produces one of these
/// from `Policy::allowed_versions()` and `Policy::server_suites(v)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerProfile {
    pub name: String,
    /// Versions with their suites in the server's order; the highest common version wins.
    /// An empty list means "any suite valid for that version": such a server takes the
    /// client's first (what `Policy::server_suites` returning None means).
    pub versions: Vec<(TlsVersion, Vec<CipherSuite>)>,
    /// Groups for ECDHE and TLS 1.3 key exchange.
    pub groups: Vec<NamedGroup>,
}

/// Groups a typical server configured for such a policy supports (OpenSSL 3.0's and rustls's
/// defaults share these).
pub const DEFAULT_SERVER_GROUPS: [NamedGroup; 3] = [
    NamedGroup::X25519,
    NamedGroup::SECP256R1,
    NamedGroup::SECP384R1,
];

impl ServerProfile {
    pub fn new(name: &str, versions: Vec<(TlsVersion, Vec<CipherSuite>)>) -> Self {
        Self {
            name: name.into(),
            versions,
            groups: DEFAULT_SERVER_GROUPS.to_vec(),
        }
    }

    /// A server following `policy`: the versions it allows, each with the suites it accepts in
    /// the policy's order (an empty list: any valid suite, the client's first).
    pub fn from_policy(policy: &crate::policy::Policy) -> Self {
        let versions = policy
            .allowed_versions()
            .into_iter()
            .map(|v| (v, policy.server_suites(v).unwrap_or_default()))
            .collect();
        Self::new(&policy.name, versions)
    }

    /// A policy by built-in name or TOML file, as `--policy` takes it.
    pub fn load(name_or_path: &str) -> anyhow::Result<Self> {
        let policy =
            crate::policy::Policy::load(name_or_path).map_err(|e| anyhow::anyhow!("{}", e.0))?;
        Ok(Self::from_policy(&policy))
    }

    /// The seed's rule (`shared/seed/tls-protocols.md`, the built-in `multisafepay` profile):
    /// TLS 1.2 with one of six suites, or TLS 1.3 with one of three, each in the page's order.
    pub fn multisafepay() -> Self {
        match Self::load("multisafepay") {
            Ok(p) => p,
            // The profile is compiled in and tested; failing to load it is a build defect.
            Err(e) => panic!("built-in multisafepay profile: {e}"),
        }
    }

    fn sorted_versions(&self) -> Vec<&(TlsVersion, Vec<CipherSuite>)> {
        let mut v: Vec<_> = self.versions.iter().collect();
        v.sort_by_key(|x| std::cmp::Reverse(x.0));
        v
    }
}

/// "TLS 1.2": the form used in sentences.
pub fn human(v: TlsVersion) -> String {
    v.name().replace("TLSv", "TLS ").replace("SSLv", "SSL ")
}

fn human_wire(v: ProtocolVersion) -> String {
    match TlsVersion::from_wire(v) {
        Some(t) => human(t),
        None => format!("version 0x{:04x}", v.0),
    }
}

fn count_word(n: usize) -> String {
    const WORDS: [&str; 11] = [
        "no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    ];
    WORDS.get(n).map(|w| w.to_string()).unwrap_or(n.to_string())
}

fn suite_name(s: CipherSuite) -> String {
    registry::suite(s)
        .map(|i| i.iana_name.to_string())
        .unwrap_or_else(|| s.hex_id())
}

fn join_human(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// Whether the version can be negotiated with this offer: listed in `supported_versions`, or,
/// without it, at most `legacy_version` and never TLS 1.3 (RFC 8446 section 4.2.1).
fn version_possible(offer: &Offer, v: TlsVersion) -> bool {
    if offer.has_supported_versions {
        offer.versions.contains(&v.wire())
    } else {
        v != TlsVersion::Tls13 && offer.versions.iter().any(|o| o.0 >= v.wire().0)
    }
}

/// Whether the suite's key exchange has a group both sides support. A hello without
/// `supported_groups` lets the server choose (RFC 8422 section 4).
fn group_possible(offer: &Offer, profile: &ServerProfile, s: CipherSuite) -> bool {
    let needs_group = registry::suite(s).is_some_and(|i| i.tls13 || i.kx == "ECDHE");
    match &offer.groups {
        Some(g) if needs_group => g.iter().any(|g| profile.groups.contains(g)),
        _ => true,
    }
}

/// Whether `s` is a suite a server may pick in `v`: TLS 1.3 suites only in TLS 1.3, AEAD and
/// SHA-256 suites only from TLS 1.2, never a signalling value or GREASE.
fn valid_for(s: CipherSuite, v: TlsVersion) -> bool {
    if s.is_signalling() || s.is_grease() {
        return false;
    }
    match registry::suite(s) {
        Some(i) if v == TlsVersion::Tls13 => i.tls13,
        Some(i) => !i.tls13 && (!i.tls12_only || v == TlsVersion::Tls12),
        None => false,
    }
}

/// What a server following `profile` does with `offer`: the highest version both support with
/// a suite they share, taking its own first suite in its order that the client offers.
pub fn verdict(offer: &Offer, profile: &ServerProfile) -> Verdict {
    let versions = profile.sorted_versions();
    let mut problems = Vec::new();
    let mut upgrades = Vec::new();
    let mut any_version = false;
    for (v, suites) in &versions {
        if !version_possible(offer, *v) {
            continue;
        }
        any_version = true;
        let shared: Vec<CipherSuite> = if suites.is_empty() {
            offer
                .suites
                .iter()
                .copied()
                .filter(|s| valid_for(*s, *v))
                .collect()
        } else {
            suites
                .iter()
                .copied()
                .filter(|s| offer.suites.contains(s))
                .collect()
        };
        if let Some(&pick) = shared.iter().find(|s| group_possible(offer, profile, **s)) {
            return Verdict {
                policy: profile.name.clone(),
                compliant: true,
                version: Some(*v),
                cipher_suite: Some(Code {
                    id: pick.hex_id(),
                    name: suite_name(pick),
                    grease: false,
                }),
                message: format!(
                    "a server following {} picks {} with {}",
                    profile.name,
                    human(*v),
                    suite_name(pick)
                ),
                upgrade: None,
            };
        }
        let names: Vec<String> = suites.iter().map(|s| suite_name(*s)).collect();
        if shared.is_empty() && suites.is_empty() {
            problems.push(format!("offers {} but no suite valid for it", human(*v)));
            upgrades.push(format!("enable {} suites in the client", human(*v)));
        } else if shared.is_empty() {
            problems.push(format!(
                "offers {} but none of the {} suites {} accepts for it ({})",
                human(*v),
                count_word(suites.len()),
                profile.name,
                names.join(", ")
            ));
            let openssl: Vec<String> = suites
                .iter()
                .map(|s| {
                    registry::suite(*s)
                        .and_then(|i| i.openssl_name)
                        .map(String::from)
                        .unwrap_or_else(|| suite_name(*s))
                })
                .collect();
            upgrades.push(format!(
                "enable at least one of these {} suites in the client ({})",
                human(*v),
                openssl.join(":")
            ));
        } else {
            let groups: Vec<String> = profile.groups.iter().map(|g| g.to_string()).collect();
            problems.push(format!(
                "offers {} suites {} accepts but no key-exchange group it supports ({})",
                human(*v),
                profile.name,
                groups.join(", ")
            ));
            upgrades.push(format!(
                "enable one of the groups {} in the client",
                groups.join(", ")
            ));
        }
    }
    let wanted: Vec<String> = versions.iter().rev().map(|(v, _)| human(*v)).collect();
    let (message, upgrade) = if !any_version {
        let offered: Vec<String> = offer.versions.iter().map(|v| human_wire(*v)).collect();
        let offered = if offered.is_empty() {
            "no known version".to_string()
        } else if offer.has_supported_versions {
            format!("only {}", join_human(&offered))
        } else {
            format!("only {} (or lower)", join_human(&offered))
        };
        (
            format!(
                "the client offers {offered}; {} needs {}",
                profile.name,
                wanted.join(" or ")
            ),
            format!(
                "enable {} in the client: upgrade its TLS library or operating system, or stop forcing an old protocol version",
                wanted.join(" or ")
            ),
        )
    } else {
        (
            format!("the client {}", problems.join("; and ")),
            upgrades.join("; "),
        )
    };
    Verdict {
        policy: profile.name.clone(),
        compliant: false,
        version: None,
        cipher_suite: None,
        message,
        upgrade: Some(upgrade),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn offer(sv: Option<&[u16]>, legacy: u16, suites: &[u16]) -> Offer {
        Offer {
            has_supported_versions: sv.is_some(),
            versions: sv
                .map(|v| v.iter().map(|x| ProtocolVersion(*x)).collect())
                .unwrap_or(vec![ProtocolVersion(legacy)]),
            suites: suites.iter().map(|s| CipherSuite(*s)).collect(),
            groups: Some(vec![NamedGroup::X25519]),
        }
    }

    #[test]
    fn tls13_client_gets_the_policy_first_tls13_suite() {
        let o = offer(
            Some(&[0x0304, 0x0303]),
            0x0303,
            &[0x1302, 0x1303, 0x1301, 0xc02f],
        );
        let v = verdict(&o, &ServerProfile::multisafepay());
        assert!(v.compliant);
        assert_eq!(v.version, Some(TlsVersion::Tls13));
        assert_eq!(v.cipher_suite.unwrap().name, "TLS_CHACHA20_POLY1305_SHA256");
        assert_eq!(v.upgrade, None);
    }

    #[test]
    fn server_order_wins_over_client_order() {
        let o = offer(None, 0x0303, &[0x009d, 0xc013, 0xc030]);
        let v = verdict(&o, &ServerProfile::multisafepay());
        assert_eq!(v.version, Some(TlsVersion::Tls12));
        assert_eq!(v.cipher_suite.unwrap().id, "0xc030");
    }

    #[test]
    fn tls10_only_client_is_told_to_enable_tls12() {
        let o = offer(None, 0x0301, &[0x002f]);
        let v = verdict(&o, &ServerProfile::multisafepay());
        assert!(!v.compliant);
        assert_eq!(
            v.message,
            "the client offers only TLS 1.0 (or lower); multisafepay needs TLS 1.2 or TLS 1.3"
        );
        assert!(v.upgrade.unwrap().starts_with("enable TLS 1.2 or TLS 1.3"));
    }

    #[test]
    fn tls12_client_without_the_six_suites() {
        let o = offer(None, 0x0303, &[0x009f, 0x00ff]);
        let v = verdict(&o, &ServerProfile::multisafepay());
        assert!(!v.compliant);
        assert_eq!(
            v.message,
            "the client offers TLS 1.2 but none of the six suites multisafepay accepts for it (TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256, TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA, TLS_RSA_WITH_AES_128_GCM_SHA256, TLS_RSA_WITH_AES_256_GCM_SHA384)"
        );
        assert!(v.upgrade.unwrap().contains("ECDHE-RSA-AES128-GCM-SHA256"));
    }

    #[test]
    fn tls13_listed_but_unusable_falls_back_to_tls12() {
        // TLS 1.3 offered with only a suite the profile lacks; TLS 1.2 with a static-RSA one.
        let o = offer(Some(&[0x0304, 0x0303]), 0x0303, &[0x1304, 0x009c]);
        let v = verdict(&o, &ServerProfile::multisafepay());
        assert_eq!(v.version, Some(TlsVersion::Tls12));
        assert_eq!(v.cipher_suite.unwrap().id, "0x009c");
    }

    #[test]
    fn ecdhe_needs_a_shared_group_but_static_rsa_does_not() {
        let mut o = offer(None, 0x0303, &[0xc02f]);
        o.groups = Some(vec![NamedGroup::SECP521R1]);
        let v = verdict(&o, &ServerProfile::multisafepay());
        assert!(!v.compliant);
        assert!(v.message.contains("no key-exchange group"), "{}", v.message);
        o.suites.push(CipherSuite(0x009d));
        assert_eq!(
            verdict(&o, &ServerProfile::multisafepay())
                .cipher_suite
                .unwrap()
                .id,
            "0x009d"
        );
    }

    #[test]
    fn an_empty_suite_list_accepts_the_client_first_valid_suite() {
        let p = ServerProfile::new(
            "lenient",
            vec![(TlsVersion::Tls12, vec![]), (TlsVersion::Tls10, vec![])],
        );
        let o = offer(None, 0x0303, &[0x0a0a, 0x1301, 0x009f, 0x002f]);
        let v = verdict(&o, &p);
        assert_eq!(v.version, Some(TlsVersion::Tls12));
        assert_eq!(v.cipher_suite.unwrap().id, "0x009f");
        // In TLS 1.0 a GCM suite is not valid: the server takes AES128-SHA.
        let o = offer(None, 0x0301, &[0x009f, 0x002f]);
        let v = verdict(&o, &p);
        assert_eq!(v.version, Some(TlsVersion::Tls10));
        assert_eq!(v.cipher_suite.unwrap().id, "0x002f");
    }

    #[test]
    fn sslv3_with_supported_versions_absent_and_unknown_versions() {
        let o = offer(Some(&[0x7f1c]), 0x0303, &[0xc02f]);
        let v = verdict(&o, &ServerProfile::multisafepay());
        assert!(v.message.contains("only version 0x7f1c"), "{}", v.message);
    }
}
