//! Post-quantum readiness of a target, from its facts: which hybrid or pure ML-KEM groups TLS
//! 1.3 accepts and whether the server would pick one, which signature algorithms are classical
//! (all of today's certificates), and the dates the judging policy sets for leaving
//! classical-only key exchange. Plus the `post_quantum` rule kind ("must offer a post-quantum
//! hybrid"). Pure: no network, no clock.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::facts::{SectionStatus, TargetFacts, TlsVersion};

use super::{Policy, RuleKind, RuleStatus};

/// Where a target stands.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum PqStatus {
    /// TLS 1.3 accepts a post-quantum group, and a client that offers one gets it: the server
    /// puts it first in its own order, or follows the client's (browsers list the hybrid first).
    Preferred,
    /// TLS 1.3 accepts a post-quantum group but the server's own order puts a classical group
    /// first: a client offering both gets the classical one.
    Offered,
    /// No post-quantum group (or no TLS 1.3, which hybrids need).
    ClassicalOnly,
    /// The TLS 1.3 groups were not determined.
    NotDetermined,
}

/// A date a policy sets for leaving classical-only key exchange (a `post_quantum` rule's
/// `deadline`).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq, Eq)]
pub struct PqDeadline {
    pub policy: String,
    pub rule: String,
    /// `YYYY-MM-DD`.
    pub date: String,
}

/// A target's post-quantum readiness (`post_quantum` in JSON).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq, Eq)]
pub struct PostQuantum {
    pub status: PqStatus,
    /// Hybrid groups TLS 1.3 accepts (X25519MLKEM768, SecP256r1MLKEM768, SecP384r1MLKEM1024).
    pub hybrid_groups: Vec<String>,
    /// Pure ML-KEM groups TLS 1.3 accepts (MLKEM512/768/1024).
    pub pure_groups: Vec<String>,
    /// Whether a client offering a post-quantum group and classical ones gets the post-quantum
    /// one; null when no post-quantum group is accepted or the order was not determined.
    pub preferred: Option<bool>,
    /// The leaf keys of the served chains: every one classical today (RSA, ECDSA, EdDSA).
    pub classical_certificate_keys: Vec<String>,
    /// ML-DSA signature schemes TLS 1.3 accepts (draft-ietf-tls-mldsa); empty on today's
    /// servers, whose handshake signatures are all classical.
    pub pq_signature_schemes: Vec<String>,
    /// The dates the judging policy sets for leaving classical-only key exchange.
    #[serde(default)]
    pub deadlines: Vec<PqDeadline>,
    /// The facts, for people.
    pub evidence: String,
}

/// ML-DSA code points (draft-ietf-tls-mldsa): mldsa44, mldsa65, mldsa87.
const MLDSA: [u16; 3] = [0x0904, 0x0905, 0x0906];

/// The readiness of a scanned target; `None` when it could not be scanned.
pub fn readiness(t: &TargetFacts) -> Option<PostQuantum> {
    if t.error.is_some() {
        return None;
    }
    let tls13 = t
        .groups
        .iter()
        .flat_map(|g| &g.versions)
        .find(|v| v.version == TlsVersion::Tls13);
    let tls13_offered = t.protocol(TlsVersion::Tls13).map(|p| p.supported);
    let mut r = PostQuantum {
        status: PqStatus::NotDetermined,
        hybrid_groups: vec![],
        pure_groups: vec![],
        preferred: None,
        classical_certificate_keys: t
            .certificates
            .iter()
            .flat_map(|c| &c.chains)
            .filter_map(|ch| ch.certificates.first())
            .map(|c| match &c.public_key.curve {
                Some(curve) => format!("{} {curve}", c.public_key.algorithm),
                None => format!("{} {}", c.public_key.algorithm, c.public_key.bits),
            })
            .collect(),
        pq_signature_schemes: t
            .signature_schemes
            .iter()
            .flat_map(|s| &s.versions)
            .filter(|v| v.version == TlsVersion::Tls13)
            .flat_map(|v| &v.schemes)
            .filter(|s| {
                u16::from_str_radix(s.id.trim_start_matches("0x"), 16)
                    .is_ok_and(|c| MLDSA.contains(&c))
            })
            .map(|s| s.name.clone())
            .collect(),
        deadlines: vec![],
        evidence: String::new(),
    };
    match (tls13_offered, tls13) {
        (Some(false), _) => {
            r.status = PqStatus::ClassicalOnly;
            r.evidence = "TLS 1.3 is not offered (post-quantum groups need it)".into();
        }
        (_, Some(v)) if v.status == SectionStatus::Completed => {
            for g in &v.groups {
                match g.kind.as_str() {
                    "post_quantum_hybrid" => r.hybrid_groups.push(g.name.clone()),
                    "post_quantum" => r.pure_groups.push(g.name.clone()),
                    _ => {}
                }
            }
            let names: Vec<&str> = v.groups.iter().map(|g| g.name.as_str()).collect();
            let pq_first = v.groups.first().is_some_and(|g| g.post_quantum);
            let any_pq = v.groups.iter().any(|g| g.post_quantum);
            let all_pq = v.groups.iter().all(|g| g.post_quantum);
            r.preferred = match (any_pq, v.server_preference) {
                (false, _) => None,
                (true, _) if all_pq => Some(true),
                (true, Some(true)) => Some(pq_first),
                (true, Some(false)) => Some(true),
                (true, None) => None,
            };
            r.status = match (any_pq, r.preferred) {
                (false, _) => PqStatus::ClassicalOnly,
                (true, Some(false)) => PqStatus::Offered,
                (true, _) => PqStatus::Preferred,
            };
            let order = match v.server_preference {
                Some(true) => "in the server's order",
                Some(false) => "the server follows the client's order",
                None => "order not determined",
            };
            r.evidence = format!("TLSv1.3 accepts {} ({order})", names.join(", "));
            if r.status == PqStatus::Preferred && r.preferred.is_none() {
                // Accepted, order unknown: say only what is known.
                r.status = PqStatus::Offered;
            }
        }
        (_, Some(v)) => {
            r.evidence = format!(
                "the TLS 1.3 groups were not determined: {}",
                v.error.as_deref().unwrap_or("not scanned")
            );
        }
        (_, None) => {
            r.evidence = "the TLS 1.3 groups were not scanned".into();
        }
    }
    Some(r)
}

/// The deadlines a policy's `post_quantum` rules set.
pub fn deadlines(p: &Policy) -> Vec<PqDeadline> {
    p.rules
        .iter()
        .filter_map(|r| match &r.kind {
            RuleKind::PostQuantum {
                deadline: Some(d), ..
            } => Some(PqDeadline {
                policy: p.name.clone(),
                rule: r.id.clone(),
                date: d.clone(),
            }),
            _ => None,
        })
        .collect()
}

/// The `post_quantum` rule: TLS 1.3 must accept a hybrid group (`require = "hybrid"`), and
/// with `require = "preferred"` a client offering one must get it.
pub fn check(t: &TargetFacts, preferred: bool) -> (RuleStatus, String) {
    let Some(r) = readiness(t) else {
        return (RuleStatus::Incomplete, "the target was not scanned".into());
    };
    let hybrid = !r.hybrid_groups.is_empty();
    let status = match (r.status, hybrid, preferred) {
        (PqStatus::NotDetermined, _, _) => RuleStatus::Incomplete,
        (_, false, _) => RuleStatus::Fail,
        (PqStatus::Preferred, true, _) | (_, true, false) => RuleStatus::Pass,
        (_, true, true) if r.preferred.is_none() => RuleStatus::Incomplete,
        (_, true, true) => RuleStatus::Fail,
    };
    (status, r.evidence)
}
