//! Rule kinds over the groups, signature-scheme, feature and certificate-key facts
//! ([`crate::facts`], [`crate::facts::certs`]): their names in TOML and their evaluation.
//!
//! Each one is INCOMPLETE when its section is missing (not scanned), did not complete, or the
//! entry it needs is "not determined"; never a silent pass.

use crate::facts::weaknesses::{weakness, WEAKNESSES};
use crate::facts::TargetFacts;
use crate::facts::{Answer, Fact, FeaturesSection, VersionGroups};
use crate::facts::{SectionStatus, TlsVersion, Verdict};
use crate::wire::{NamedGroup, SignatureScheme};

use super::RuleStatus::{self, *};

/// How a list rule judges what the server accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListMode {
    /// At least one of the list must be accepted.
    RequireAny,
    /// Nothing outside the list may be accepted.
    AllowOnly,
    /// Nothing on the list may be accepted.
    Forbid,
}

impl ListMode {
    pub fn key(self) -> &'static str {
        match self {
            Self::RequireAny => "require_any",
            Self::AllowOnly => "allow_only",
            Self::Forbid => "forbid",
        }
    }
}

/// The feature ids a `require_feature` / `forbid_feature` rule may name: the yes/no facts of
/// the features section, by their JSON field names.
pub const FEATURES: [&str; 18] = [
    "secure_renegotiation",
    "fallback_scsv",
    "compression",
    "session_id_issued",
    "session_id_resumption",
    "session_ticket_advertised",
    "session_ticket_resumption",
    "tls13_tickets_issued",
    "tls13_psk_resumption",
    "early_data_accepted",
    "ocsp_stapling",
    "extended_master_secret",
    "encrypt_then_mac",
    "heartbeat",
    "downgrade_sentinel",
    "max_fragment_length",
    "client_certificate_requested",
    "heartbleed",
];

/// The fact a feature id names.
pub fn feature_fact<'a>(f: &'a FeaturesSection, id: &str) -> Option<&'a Fact> {
    Some(match id {
        "secure_renegotiation" => &f.secure_renegotiation,
        "fallback_scsv" => &f.fallback_scsv,
        "compression" => &f.compression,
        "session_id_issued" => &f.session_id_issued,
        "session_id_resumption" => &f.session_id_resumption,
        "session_ticket_advertised" => &f.session_ticket_advertised,
        "session_ticket_resumption" => &f.session_ticket_resumption,
        "tls13_tickets_issued" => &f.tls13_tickets_issued,
        "tls13_psk_resumption" => &f.tls13_psk_resumption,
        "early_data_accepted" => &f.early_data_accepted,
        "ocsp_stapling" => &f.ocsp_stapling,
        "extended_master_secret" => &f.extended_master_secret,
        "encrypt_then_mac" => &f.encrypt_then_mac,
        "heartbeat" => &f.heartbeat,
        "downgrade_sentinel" => &f.downgrade_sentinel,
        "max_fragment_length" => &f.max_fragment_length,
        "client_certificate_requested" => &f.client_certificate_requested,
        "heartbleed" => &f.heartbleed,
        _ => return None,
    })
}

/// Certificate key algorithms as the certificate facts name them (`PublicKeyInfo.algorithm`).
pub const KEY_TYPES: [&str; 5] = ["RSA", "EC", "Ed25519", "Ed448", "DSA"];

/// A key type by its report name, or a common alias ("ECDSA" for "EC").
pub fn parse_key_type(s: &str) -> Option<&'static str> {
    if s.eq_ignore_ascii_case("ecdsa") {
        return Some("EC");
    }
    KEY_TYPES.into_iter().find(|k| k.eq_ignore_ascii_case(s))
}

/// EC curves as the certificate facts name them, with their OpenSSL and SEC aliases.
pub fn parse_cert_curve(s: &str) -> Option<&'static str> {
    let l = s.to_ascii_lowercase();
    Some(match l.as_str() {
        "p-256" | "prime256v1" | "secp256r1" => "P-256",
        "p-384" | "secp384r1" => "P-384",
        "p-521" | "secp521r1" => "P-521",
        _ => return None,
    })
}

/// A named group by IANA name (any case), a common alias (OpenSSL's `prime256v1`, `P-256`),
/// or a hex code point.
pub fn parse_group(s: &str) -> Option<NamedGroup> {
    let l = s.to_ascii_lowercase();
    if let Some(hex) = l.strip_prefix("0x") {
        return u16::from_str_radix(hex, 16).ok().map(NamedGroup);
    }
    let alias = match l.as_str() {
        "prime256v1" | "p-256" => Some(NamedGroup::SECP256R1),
        "p-384" => Some(NamedGroup::SECP384R1),
        "p-521" => Some(NamedGroup::SECP521R1),
        _ => None,
    };
    alias.or_else(|| {
        NamedGroup::KNOWN
            .iter()
            .copied()
            .find(|g| g.name().is_some_and(|n| n.eq_ignore_ascii_case(s)))
    })
}

/// A signature scheme by IANA name (any case) or hex code point.
pub fn parse_scheme(s: &str) -> Option<SignatureScheme> {
    let l = s.to_ascii_lowercase();
    if let Some(hex) = l.strip_prefix("0x") {
        return u16::from_str_radix(hex, 16).ok().map(SignatureScheme);
    }
    SignatureScheme::KNOWN
        .iter()
        .copied()
        .find(|g| g.name().is_some_and(|n| n.eq_ignore_ascii_case(s)))
}

/// The code point of a report entry's hex id ("0x001d").
fn code(id: &str) -> Option<u16> {
    id.strip_prefix("0x")
        .and_then(|h| u16::from_str_radix(h, 16).ok())
}

fn join(v: &[String]) -> String {
    if v.is_empty() {
        "nothing".into()
    } else {
        v.join(", ")
    }
}

/// Judges what a version accepts (`accepted`: names and code points) against a list.
fn judge_list(
    what: &str,
    mode: ListMode,
    list: &[u16],
    accepted: &[(String, Option<u16>)],
) -> (RuleStatus, String) {
    let on_list = |c: &Option<u16>| c.is_some_and(|c| list.contains(&c));
    let names = |f: &dyn Fn(&Option<u16>) -> bool| -> Vec<String> {
        accepted
            .iter()
            .filter(|(_, c)| f(c))
            .map(|(n, _)| n.clone())
            .collect()
    };
    let all: Vec<String> = accepted.iter().map(|(n, _)| n.clone()).collect();
    match mode {
        ListMode::RequireAny => {
            let hits = names(&on_list);
            if hits.is_empty() {
                (
                    Fail,
                    format!(
                        "{what} accepts {}; none of them is one of the {} required",
                        join(&all),
                        list.len()
                    ),
                )
            } else {
                (Pass, format!("{what} accepts {}", hits.join(", ")))
            }
        }
        ListMode::AllowOnly => {
            let extra = names(&|c| !on_list(c));
            if extra.is_empty() {
                (Pass, format!("{what} accepts {}", join(&all)))
            } else {
                (Fail, format!("{what} also accepts {}", extra.join(", ")))
            }
        }
        ListMode::Forbid => {
            let bad = names(&on_list);
            if bad.is_empty() {
                (Pass, format!("{what}: none of them"))
            } else {
                (Fail, format!("{what} accepts {}", bad.join(", ")))
            }
        }
    }
}

/// Whether the protocol stage shows `v` offered; `Err` when it cannot tell.
fn offered(t: &TargetFacts, v: TlsVersion) -> Result<bool, String> {
    match t.protocol(v) {
        None => Err(format!("{v} was not scanned")),
        Some(p) => match p.status {
            SectionStatus::Completed => Ok(p.supported),
            SectionStatus::NotScheduled => Err(format!("{v} was not scanned (not scheduled)")),
            SectionStatus::Error => Err(format!(
                "{v} could not be scanned: {}",
                p.error.as_deref().unwrap_or("error")
            )),
        },
    }
}

/// The highest of TLS 1.0–1.2 offered (where the scan probes TLS 1.2-style facts), `Ok(None)`
/// when none is, `Err` when the protocol stage cannot tell.
fn legacy_version(t: &TargetFacts) -> Result<Option<TlsVersion>, String> {
    let mut missing = Vec::new();
    for v in [TlsVersion::Tls12, TlsVersion::Tls11, TlsVersion::Tls10] {
        match offered(t, v) {
            Ok(true) if missing.is_empty() => return Ok(Some(v)),
            Ok(true) => return Err(missing.join("; ")),
            Ok(false) => {}
            Err(e) => missing.push(e),
        }
    }
    if missing.is_empty() {
        Ok(None)
    } else {
        Err(missing.join("; "))
    }
}

/// A section's own status as a reason it is missing: `name` was not scanned / did not complete.
fn section_missing(
    name: &str,
    status: Option<(SectionStatus, Option<&str>)>,
) -> Option<(RuleStatus, String)> {
    match status {
        None => Some((Incomplete, format!("the {name} were not scanned"))),
        Some((SectionStatus::Completed, _)) => None,
        Some((SectionStatus::NotScheduled, _)) => Some((
            Incomplete,
            format!("the {name} were not scanned (not scheduled)"),
        )),
        Some((SectionStatus::Error, e)) => Some((
            Incomplete,
            format!("the {name} could not be scanned: {}", e.unwrap_or("error")),
        )),
    }
}

/// The groups entry a rule on `v` (TLS 1.2 meaning "the highest of TLS 1.0–1.2") judges:
/// `Ok(None)` when that version is not offered.
fn groups_entry(t: &TargetFacts, v: TlsVersion) -> Result<Option<&VersionGroups>, String> {
    let probed = if v == TlsVersion::Tls13 {
        match offered(t, v)? {
            true => v,
            false => return Ok(None),
        }
    } else {
        match legacy_version(t)? {
            Some(l) => l,
            None => return Ok(None),
        }
    };
    let Some(g) = &t.groups else {
        return Err("the groups were not scanned".into());
    };
    match g.versions.iter().find(|e| e.version == probed) {
        None => Err(match &g.error {
            Some(e) => format!("the groups could not be scanned: {e}"),
            None => format!("the groups of {probed} were not scanned"),
        }),
        Some(e) if e.status != SectionStatus::Completed => Err(format!(
            "the groups of {probed} could not be determined: {}",
            e.error.as_deref().unwrap_or("not scheduled")
        )),
        Some(e) => Ok(Some(e)),
    }
}

fn not_offered(v: TlsVersion) -> String {
    if v == TlsVersion::Tls13 {
        "TLSv1.3 is not offered".into()
    } else {
        "TLS 1.0-1.2 are not offered".into()
    }
}

/// `groups` rule on one version.
pub fn check_groups(
    t: &TargetFacts,
    v: TlsVersion,
    mode: ListMode,
    list: &[NamedGroup],
) -> (RuleStatus, String) {
    let e = match groups_entry(t, v) {
        Err(e) => return (Incomplete, e),
        Ok(None) => return (Pass, not_offered(v)),
        Ok(Some(e)) => e,
    };
    let list: Vec<u16> = list.iter().map(|g| g.0).collect();
    let accepted: Vec<(String, Option<u16>)> = e
        .groups
        .iter()
        .map(|g| (g.name.clone(), code(&g.id)))
        .collect();
    let what = if e.version == TlsVersion::Tls13 {
        "TLSv1.3".to_string()
    } else {
        format!("{} ECDHE", e.version)
    };
    if accepted.is_empty() && e.version != TlsVersion::Tls13 && mode != ListMode::RequireAny {
        return (Pass, format!("{what}: {}", e.evidence));
    }
    judge_list(&what, mode, &list, &accepted)
}

/// `dhe` rule: the finite-field group of TLS 1.0–1.2 DHE suites.
pub fn check_dhe(t: &TargetFacts, min_bits: u32, well_known: bool) -> (RuleStatus, String) {
    let v = match legacy_version(t) {
        Err(e) => return (Incomplete, e),
        Ok(None) => return (Pass, not_offered(TlsVersion::Tls12)),
        Ok(Some(v)) => v,
    };
    let dhe_suites = t
        .protocol(v)
        .map(|p| p.cipher_suites.iter().filter(|s| s.kx == "DHE").count())
        .unwrap_or(0);
    if dhe_suites == 0 {
        return (Pass, format!("{v} accepts no DHE suite"));
    }
    let e = match groups_entry(t, TlsVersion::Tls12) {
        Err(e) => return (Incomplete, e),
        Ok(None) => return (Pass, not_offered(TlsVersion::Tls12)),
        Ok(Some(e)) => e,
    };
    let Some(d) = &e.dhe else {
        return (
            Incomplete,
            format!("the DHE group of {v} could not be read ({})", e.evidence),
        );
    };
    let name = match &d.known_group {
        Some(k) => format!(
            "{k} ({}, {} bits)",
            d.known_source.as_deref().unwrap_or("?"),
            d.prime_bits
        ),
        None => format!("a custom {}-bit prime", d.prime_bits),
    };
    let mut problems = Vec::new();
    if d.prime_bits < min_bits {
        problems.push(format!("smaller than {min_bits} bits"));
    }
    if well_known && d.known_group.is_none() {
        problems.push("not a well-known group".to_string());
    }
    if problems.is_empty() {
        (Pass, format!("{v} DHE uses {name}"))
    } else {
        (
            Fail,
            format!("{v} DHE uses {name}: {}", problems.join(", ")),
        )
    }
}

/// `signature_schemes` rule on one version (TLS 1.2 or 1.3).
pub fn check_schemes(
    t: &TargetFacts,
    v: TlsVersion,
    mode: ListMode,
    list: &[SignatureScheme],
) -> (RuleStatus, String) {
    match offered(t, v) {
        Err(e) => return (Incomplete, e),
        Ok(false) => return (Pass, format!("{v} is not offered")),
        Ok(true) => {}
    }
    let Some(s) = &t.signature_schemes else {
        return (Incomplete, "the signature schemes were not scanned".into());
    };
    let e = match s.versions.iter().find(|e| e.version == v) {
        None => {
            return (
                Incomplete,
                match &s.error {
                    Some(e) => format!("the signature schemes could not be scanned: {e}"),
                    None => format!("the signature schemes of {v} were not scanned"),
                },
            )
        }
        Some(e) if e.status != SectionStatus::Completed => {
            return (
                Incomplete,
                format!(
                    "the signature schemes of {v} could not be determined: {}",
                    e.error.as_deref().unwrap_or("not scheduled")
                ),
            )
        }
        Some(e) => e,
    };
    let list: Vec<u16> = list.iter().map(|g| g.0).collect();
    let accepted: Vec<(String, Option<u16>)> = e
        .schemes
        .iter()
        .map(|g| (g.name.clone(), code(&g.id)))
        .collect();
    judge_list(&v.to_string(), mode, &list, &accepted)
}

/// `require_feature` / `forbid_feature` over several ids: fails when any one fails (its
/// evidence, each failing one's), else incomplete when any one is, else passes.
pub fn check_features(t: &TargetFacts, ids: &[String], want: bool) -> (RuleStatus, String) {
    if let [one] = ids {
        return check_feature(t, one, want);
    }
    let results: Vec<(RuleStatus, String)> =
        ids.iter().map(|id| check_feature(t, id, want)).collect();
    for status in [Fail, Incomplete] {
        let mut hits: Vec<&str> = Vec::new();
        for (_, e) in results.iter().filter(|(s, _)| *s == status) {
            // The same reason once ("the weaknesses were not scanned").
            if !hits.contains(&e.as_str()) {
                hits.push(e);
            }
        }
        if !hits.is_empty() {
            return (status, hits.join("; "));
        }
    }
    let (quantifier, state) = if want {
        ("each of", "present")
    } else {
        ("none of", "present (or it does not apply)")
    };
    (Pass, format!("{quantifier} {} is {state}", ids.join(", ")))
}

/// `require_feature` (`want` yes) / `forbid_feature` (`want` no).
pub fn check_feature(t: &TargetFacts, id: &str, want: bool) -> (RuleStatus, String) {
    // Weakness ids read the weaknesses section; `heartbleed` also the features when the
    // weaknesses were not scanned (it was a feature first).
    if weakness(id).is_some() && (t.weaknesses.is_some() || id != "heartbleed") {
        return check_weakness(t, id, want);
    }
    let f = match &t.features {
        None => return (Incomplete, "the features were not scanned".into()),
        Some(f) => f,
    };
    if let Some(r) = section_missing("features", Some((f.status, f.error.as_deref()))) {
        return r;
    }
    let Some(fact) = feature_fact(f, id) else {
        return (Incomplete, format!("no feature '{id}' in the report"));
    };
    let e = &fact.evidence;
    match (fact.answer, want) {
        (Answer::Yes, true) | (Answer::No, false) => (Pass, format!("{id}: {e}")),
        (Answer::Yes, false) | (Answer::No, true) => (Fail, format!("{id}: {e}")),
        (Answer::NotApplicable, _) => (Pass, format!("{id} does not apply: {e}")),
        (Answer::NotDetermined, _) => (Incomplete, format!("{id} not determined: {e}")),
    }
}

/// `clients_connect`: each named client profile connects, as the handshake simulation
/// predicts it from the facts. Incomplete when the suites were not enumerated.
pub fn check_clients(t: &TargetFacts, ids: &[String]) -> (RuleStatus, String) {
    if let Some(e) = &t.error {
        return (Incomplete, format!("the target was not scanned: {e}"));
    }
    if t.protocols
        .iter()
        .any(|p| p.supported && !p.suites_enumerated)
    {
        return (
            Incomplete,
            "the suites were not enumerated (--only versions): nothing to predict from".into(),
        );
    }
    let server = crate::simulate::ServerModel::from_facts(t);
    let mut failing = Vec::new();
    let mut fine = Vec::new();
    for id in ids {
        let Some(client) = crate::simulate::builtin_client(id) else {
            return (Incomplete, format!("no built-in client profile '{id}'"));
        };
        match crate::simulate::negotiate(&client.offer, &server) {
            Ok(n) => fine.push(format!("{id}: {} {}", n.version, n.suite)),
            Err(f) => failing.push(format!("{id}: {}", f.reason)),
        }
    }
    if failing.is_empty() {
        (Pass, fine.join("; "))
    } else {
        (Fail, failing.join("; "))
    }
}

/// Whether `id` names a feature a `require_feature` / `forbid_feature` rule may use: a fact of
/// the features section or a weakness ([`crate::facts::weaknesses::WEAKNESSES`]).
pub fn is_feature(id: &str) -> bool {
    FEATURES.contains(&id) || weakness(id).is_some()
}

/// Every feature id, features first, then the weaknesses.
pub fn feature_ids() -> Vec<&'static str> {
    let mut ids = FEATURES.to_vec();
    ids.extend(
        WEAKNESSES
            .iter()
            .map(|w| w.id)
            .filter(|id| !FEATURES.contains(id)),
    );
    ids
}

/// A weakness as a feature: `yes` means the server has it.
fn check_weakness(t: &TargetFacts, id: &str, want: bool) -> (RuleStatus, String) {
    let w = match &t.weaknesses {
        None => return (Incomplete, "the weaknesses were not scanned".into()),
        Some(w) => w,
    };
    if let Some(r) = section_missing("weaknesses", Some((w.status, w.error.as_deref()))) {
        return r;
    }
    let Some(c) = w.check(id) else {
        return (Incomplete, format!("no weakness '{id}' in the report"));
    };
    let e = &c.evidence;
    match (c.result, want) {
        (Verdict::Yes, true) | (Verdict::No, false) => (Pass, format!("{id}: {e}")),
        (Verdict::Yes, false) | (Verdict::No, true) => (Fail, format!("{id}: {e}")),
        (Verdict::NotApplicable, _) => (Pass, format!("{id} does not apply: {e}")),
        (Verdict::NotDetermined, _) => (Incomplete, format!("{id} not determined: {e}")),
    }
}

/// `certificate_key`: every chain's leaf key.
pub fn check_cert_key(
    t: &TargetFacts,
    key_types: &[&'static str],
    min_rsa_bits: Option<u32>,
    ec_curves: &[&'static str],
) -> (RuleStatus, String) {
    let c = match &t.certificates {
        None => return (Incomplete, "the certificates were not analysed".into()),
        Some(c) => c,
    };
    if c.status != SectionStatus::Completed {
        return (
            Incomplete,
            format!(
                "the certificate analysis did not complete: {}",
                c.error.as_deref().unwrap_or("not scheduled")
            ),
        );
    }
    if c.chains.is_empty() {
        return (Incomplete, "no certificate chain was obtained".into());
    }
    let mut bad = Vec::new();
    let mut good = Vec::new();
    for chain in &c.chains {
        let Some(leaf) = chain.certificates.first() else {
            return (Incomplete, "a chain without certificates".into());
        };
        let k = &leaf.public_key;
        if k.algorithm.is_empty() {
            return (
                Incomplete,
                format!(
                    "the key of {} could not be read: {}",
                    leaf.subject,
                    leaf.parse_error.as_deref().unwrap_or("unknown")
                ),
            );
        }
        let desc = match &k.curve {
            Some(curve) => format!("{} {curve}", k.algorithm),
            None => format!("{} {}", k.algorithm, k.bits),
        };
        let mut why = Vec::new();
        if !key_types.is_empty() && !key_types.contains(&k.algorithm.as_str()) {
            why.push(format!("not one of {}", key_types.join(", ")));
        }
        if let Some(min) = min_rsa_bits {
            if k.algorithm == "RSA" && k.bits < min {
                why.push(format!("smaller than {min} bits"));
            }
        }
        if !ec_curves.is_empty()
            && k.algorithm == "EC"
            && !k.curve.as_deref().is_some_and(|c| ec_curves.contains(&c))
        {
            why.push(format!("curve not one of {}", ec_curves.join(", ")));
        }
        if why.is_empty() {
            good.push(format!("leaf key {desc}"));
        } else {
            bad.push(format!("leaf key {desc}: {}", why.join(", ")));
        }
    }
    if bad.is_empty() {
        (Pass, good.join("; "))
    } else {
        (Fail, bad.join("; "))
    }
}
