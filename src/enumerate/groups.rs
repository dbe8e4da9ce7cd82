//! Key-exchange groups by elimination, using the suites the protocol stage found so only the
//! group list varies.
//!
//! - TLS 1.3: a hello with every group and an empty `key_share` makes the server answer with a
//!   HelloRetryRequest naming the group it wants (RFC 8446 section 4.1.4) — no key exchange.
//!   Remove that group and ask again until the server refuses: |accepted| + 1 handshakes, plus
//!   one with the accepted groups reversed to learn whether the server imposes its order.
//! - TLS 1.0–1.2: offer the ECDHE suites the server accepted and every curve; the curve is in
//!   the ServerKeyExchange (RFC 8422 section 5.4). Same elimination. One DHE probe reads the
//!   finite-field prime and names it when it is a well-known group (`data/dh-groups.tsv`).
//! - A server that closes on large hellos gets compact ones: the candidates go in runs that keep
//!   each hello under 256 bytes, each run eliminated, then the accepted groups once more together.

use std::sync::LazyLock;

use crate::facts::{DheGroup, GroupResult, GroupsSection, Stage, VersionGroups};
use crate::facts::{SectionStatus, TlsVersion};
use crate::probe::engine::ProbeOutcome;
use crate::wire::registry;
use crate::wire::{
    AlertDescription, CipherSuite, KeyShareEntry, NamedGroup, ServerKeyExchangeParams,
};

use super::eliminate;
use super::prior::Prior;
use super::{Ctx, ScanOptions};
use crate::probe::hello::HelloSpec;

/// The groups stage, or `None` when `--only` leaves it out.
pub async fn scan(ctx: &Ctx, prior: &Prior, opts: &ScanOptions) -> Option<GroupsSection> {
    if !opts.runs(Stage::Groups) {
        return None;
    }
    let mut section = GroupsSection::default();
    let tls13 = async {
        if prior.supported(TlsVersion::Tls13) {
            Some(tls13_groups(ctx, prior, opts.quick).await)
        } else {
            None
        }
    };
    let legacy = async {
        match prior.legacy_version() {
            Some(v) => Some(legacy_groups(ctx, prior, v, opts.quick).await),
            None => None,
        }
    };
    let (tls13, legacy) = tokio::join!(tls13, legacy);
    section.versions.extend(tls13);
    section.versions.extend(legacy);
    if let Some(e) = section.versions.iter().find_map(|v| v.error.clone()) {
        if section
            .versions
            .iter()
            .all(|v| v.status == SectionStatus::Error)
        {
            section.status = SectionStatus::Error;
            section.error = Some(e);
        }
    }
    Some(section)
}

pub(crate) fn is_ecdhe(s: &registry::SuiteInfo) -> bool {
    s.kx == "ECDHE"
}

pub(crate) fn is_dhe(s: &registry::SuiteInfo) -> bool {
    s.kx == "DHE"
}

/// How one group-enumeration answer reads: the group the server picked, or why none.
type Pick = eliminate::Pick<NamedGroup, ()>;

fn stop(outcome: &ProbeOutcome) -> Pick {
    let clean = matches!(
        outcome,
        ProbeOutcome::Alert(a) if matches!(
            a.description,
            AlertDescription::HANDSHAKE_FAILURE | AlertDescription::INSUFFICIENT_SECURITY
        )
    );
    Pick::Stop {
        why: outcome.describe(),
        clean,
    }
}

fn read_tls13_pick(outcome: ProbeOutcome, offered: &[NamedGroup]) -> Pick {
    match &outcome {
        // A HelloRetryRequest names the group it wants; a ServerHello (when we sent a real
        // key share) names the share it took.
        ProbeOutcome::ServerHello(f)
            if f.hello.negotiated_version() == crate::wire::ProtocolVersion::TLS13 =>
        {
            match f.hello.key_share_group() {
                Some(g) if offered.contains(&g) => Pick::Picked(g, ()),
                Some(g) => Pick::Failed(format!("server asked for {g}, which was not offered")),
                // An HRR for a cookie alone carries no key_share.
                None => Pick::Stop {
                    why: "HelloRetryRequest without a key_share".into(),
                    clean: false,
                },
            }
        }
        ProbeOutcome::ConnectFailed(e) => Pick::Failed(e.to_string()),
        _ => stop(&outcome),
    }
}

fn read_ecdhe_pick(outcome: ProbeOutcome, offered: &[NamedGroup]) -> Pick {
    let describe = outcome.describe();
    let why = |why: String| Pick::Stop { why, clean: false };
    match &outcome {
        ProbeOutcome::ServerHello(f) => {
            let Some(ske) = f.server_key_exchange.as_deref() else {
                return why(format!("{describe} without ServerKeyExchange"));
            };
            match ServerKeyExchangeParams::read_ecdhe(ske) {
                Ok(ServerKeyExchangeParams::Ecdhe { group, .. }) if offered.contains(&group) => {
                    Pick::Picked(group, ())
                }
                Ok(ServerKeyExchangeParams::Ecdhe { group, .. }) => {
                    Pick::Failed(format!("ServerKeyExchange uses {group}, not offered"))
                }
                Ok(ServerKeyExchangeParams::EcdheExplicit { curve_type }) => why(format!(
                    "ServerKeyExchange with an explicit curve (curve_type {curve_type})"
                )),
                Ok(_) => why("unexpected ServerKeyExchange".into()),
                Err(e) => why(format!("ServerKeyExchange does not parse: {e}")),
            }
        }
        ProbeOutcome::ConnectFailed(e) => Pick::Failed(e.to_string()),
        _ => stop(&outcome),
    }
}

/// How the hellos of one enumeration are built.
#[derive(Clone)]
struct Plan {
    base: HelloSpec,
    read: fn(ProbeOutcome, &[NamedGroup]) -> Pick,
    /// TLS 1.3: send a real key share for the first offered group we can make one for, for
    /// servers that refuse an empty `key_share`.
    real_share: bool,
    /// TLS 1.3 over QUIC: a real key share for every offered group we can make one for (the
    /// hybrids too): QUIC servers that never send HelloRetryRequest (aioquic) take the first
    /// share they support, so each round of the elimination finds one more.
    all_shares: bool,
}

impl Plan {
    /// `spec` offering exactly `groups`.
    fn offer(&self, spec: &mut HelloSpec, groups: &[NamedGroup]) {
        spec.groups = groups.to_vec();
        if self.all_shares {
            spec.key_shares = crate::probe::engine::quic::key_shares(groups).0;
        } else if self.real_share {
            spec.key_shares = real_key_share(groups).into_iter().collect();
        }
    }

    async fn probe(&self, ctx: &Ctx, groups: &[NamedGroup]) -> Pick {
        let mut spec = self.base.clone();
        self.offer(&mut spec, groups);
        let outcome = ctx.send(spec).await;
        (self.read)(outcome, groups)
    }
}

/// A valid key share for the first of `groups` the handshake library can make one for
/// (x25519, secp256r1, secp384r1). We never finish the handshake; the key is thrown away.
fn real_key_share(groups: &[NamedGroup]) -> Option<KeyShareEntry> {
    let provider = rustls::crypto::ring::default_provider();
    groups.iter().find_map(|g| {
        let kx = provider
            .kx_groups
            .iter()
            .find(|k| u16::from(k.name()) == g.0)?;
        let active = kx.start().ok()?;
        Some(KeyShareEntry {
            group: *g,
            key_exchange: active.pub_key().to_vec(),
        })
    })
}

type Elimination = eliminate::Eliminated<NamedGroup, ()>;

/// Groups by [`eliminate::eliminate`], each offer built by `plan`.
async fn eliminate(ctx: &Ctx, plan: &Plan, remaining: Vec<NamedGroup>) -> Elimination {
    eliminate::eliminate("group", remaining, usize::MAX, |offered| async move {
        plan.probe(ctx, &offered).await
    })
    .await
}

/// [`eliminate`] over every candidate; for a server that needs compact hellos, over runs of
/// candidates that keep each hello under 256 bytes, then once more over the accepted groups
/// alone to put them in the server's order.
async fn eliminate_all(ctx: &Ctx, plan: &Plan, candidates: Vec<NamedGroup>) -> Elimination {
    if !ctx.compact {
        return eliminate(ctx, plan, candidates).await;
    }
    let runs = plan
        .base
        .compact_runs(&candidates, |spec, run| plan.offer(spec, run));
    let mut out = Elimination::default();
    let mut stops = Vec::new();
    for run in &runs {
        let e = eliminate(ctx, plan, run.clone()).await;
        out.accepted.extend(e.accepted);
        out.clean &= e.clean;
        stops.push(e.stop);
        if e.error.is_some() {
            out.error = e.error;
            break;
        }
    }
    out.stop = format!("compact hellos, {} runs: {}", runs.len(), stops.join("; "));
    let mut whole = plan.base.clone();
    plan.offer(&mut whole, &out.accepted);
    if runs.len() > 1 && out.error.is_none() && out.accepted.len() >= 2 && whole.fits_compact() {
        let again = eliminate(ctx, plan, out.accepted.clone()).await;
        if again.error.is_none() && again.accepted.len() == out.accepted.len() {
            out.accepted = again.accepted;
        }
    }
    out
}

/// Whether the server imposes its group order ([`eliminate::preference`]).
async fn preference(ctx: &Ctx, plan: &Plan, accepted: &[NamedGroup]) -> Option<bool> {
    eliminate::preference(accepted, |offered| async move {
        plan.probe(ctx, &offered).await
    })
    .await
}

fn version_result(v: TlsVersion, e: &Elimination) -> VersionGroups {
    VersionGroups {
        version: v,
        status: if e.error.is_some() {
            SectionStatus::Error
        } else {
            SectionStatus::Completed
        },
        error: e.error.clone(),
        groups: e
            .accepted
            .iter()
            .map(|g| GroupResult::from_group(*g))
            .collect(),
        server_preference: None,
        dhe: None,
        evidence: e.stop.clone(),
    }
}

/// Every group a TLS 1.3 hello may carry.
pub fn tls13_candidates() -> Vec<NamedGroup> {
    NamedGroup::KNOWN
        .iter()
        .copied()
        .filter(|g| g.valid_for_tls13())
        .collect()
}

/// Every curve a TLS 1.0–1.2 ECDHE hello may carry.
pub fn ecdhe_candidates() -> Vec<NamedGroup> {
    NamedGroup::KNOWN
        .iter()
        .copied()
        .filter(|g| g.valid_for_tls12_ecdhe())
        .collect()
}

async fn tls13_groups(ctx: &Ctx, prior: &Prior, quick: bool) -> VersionGroups {
    let v = TlsVersion::Tls13;
    let mut suites = prior.suites(v, |_| true);
    if suites.is_empty() {
        suites = registry::candidates(v.wire());
    }
    let mut plan = Plan {
        base: HelloSpec::new(v.wire(), suites, ctx.sni.clone()).few_suites_if(ctx.compact),
        read: read_tls13_pick,
        real_share: false,
        all_shares: ctx.host.quic.is_some(),
    };
    let mut e = eliminate_all(ctx, &plan, tls13_candidates()).await;
    if e.accepted.is_empty() && e.error.is_none() && !e.clean && !plan.all_shares {
        // No clean answer to an empty key_share: some servers insist on a share.
        plan.real_share = true;
        e = eliminate_all(ctx, &plan, tls13_candidates()).await;
    }
    let mut result = version_result(v, &e);
    if e.error.is_none() && e.accepted.len() >= 2 && !quick {
        result.server_preference = preference(ctx, &plan, &e.accepted).await;
    }
    if plan.all_shares {
        result.evidence = format!(
            "{} (QUIC hellos with a real key share for each offered group we can make)",
            result.evidence
        );
    } else if plan.real_share {
        result.evidence = format!("{} (hellos with a real key share)", result.evidence);
    }
    result
}

async fn legacy_groups(ctx: &Ctx, prior: &Prior, v: TlsVersion, quick: bool) -> VersionGroups {
    let ecdhe = prior.suites(v, is_ecdhe);
    let dhe = prior.suites(v, is_dhe);
    let ecdhe_part = async {
        if ecdhe.is_empty() {
            return None;
        }
        let plan = Plan {
            base: HelloSpec::new(v.wire(), ecdhe.clone(), ctx.sni.clone())
                .few_suites_if(ctx.compact),
            read: read_ecdhe_pick,
            real_share: false,
            all_shares: false,
        };
        let e = eliminate_all(ctx, &plan, ecdhe_candidates()).await;
        let pref = if e.error.is_none() && e.accepted.len() >= 2 && !quick {
            preference(ctx, &plan, &e.accepted).await
        } else {
            None
        };
        Some((e, pref))
    };
    let dhe_part = async {
        if dhe.is_empty() {
            None
        } else {
            Some(dhe_group(ctx, v, &dhe).await)
        }
    };
    let (ecdhe_result, dhe_result) = tokio::join!(ecdhe_part, dhe_part);
    let mut result = match ecdhe_result {
        Some((e, pref)) => {
            let mut r = version_result(v, &e);
            r.server_preference = pref;
            r
        }
        None => VersionGroups {
            version: v,
            status: SectionStatus::Completed,
            error: None,
            groups: vec![],
            server_preference: None,
            dhe: None,
            evidence: "no ECDHE suite accepted".into(),
        },
    };
    match dhe_result {
        Some(Ok(d)) => result.dhe = Some(d),
        Some(Err(e)) => {
            if !result.evidence.is_empty() {
                result.evidence.push_str("; ");
            }
            result.evidence.push_str(&format!("DHE: {e}"));
        }
        None => {}
    }
    result
}

/// One probe with the accepted DHE suites: the prime and generator of the ServerKeyExchange.
async fn dhe_group(ctx: &Ctx, v: TlsVersion, suites: &[CipherSuite]) -> Result<DheGroup, String> {
    let outcome = ctx.send(ctx.hello(v.wire(), suites.to_vec())).await;
    let describe = outcome.describe();
    let ProbeOutcome::ServerHello(f) = outcome else {
        return Err(describe);
    };
    let ske = f
        .server_key_exchange
        .as_deref()
        .ok_or_else(|| format!("{describe} without ServerKeyExchange"))?;
    match ServerKeyExchangeParams::read_dhe(ske) {
        Ok(ServerKeyExchangeParams::Dhe { p, g, .. }) => {
            let p = crate::wire::strip_leading_zeros(&p);
            let known = known_dh_group(p);
            Ok(DheGroup {
                suite: f.hello.cipher_suite.to_string(),
                prime_bits: crate::wire::bit_length(p),
                generator: crate::wire::hex(crate::wire::strip_leading_zeros(&g)),
                known_group: known.map(|k| k.name.to_string()),
                known_source: known.map(|k| k.source.to_string()),
            })
        }
        Ok(_) => Err("unexpected ServerKeyExchange".into()),
        Err(e) => Err(format!("ServerKeyExchange does not parse: {e}")),
    }
}

/// A well-known finite-field group from `data/dh-groups.tsv`.
#[derive(Debug)]
pub struct KnownDhGroup {
    pub name: &'static str,
    pub source: &'static str,
    pub prime: Vec<u8>,
}

static DH_GROUPS_TSV: &str = include_str!("../../data/dh-groups.tsv");

static KNOWN_DH_GROUPS: LazyLock<Vec<KnownDhGroup>> = LazyLock::new(|| {
    DH_GROUPS_TSV
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .filter_map(|l| {
            let mut cols = l.split('\t');
            let name = cols.next()?;
            let source = cols.next()?;
            let _bits = cols.next()?;
            let prime = decode_hex(cols.next()?.trim())?;
            Some(KnownDhGroup {
                name,
                source,
                prime,
            })
        })
        .collect()
});

fn decode_hex(s: &str) -> Option<Vec<u8>> {
    let s = if s.len() % 2 == 1 {
        format!("0{s}")
    } else {
        s.to_string()
    };
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

/// The well-known group whose prime is `p` (big-endian, no leading zeros).
pub fn known_dh_group(p: &[u8]) -> Option<&'static KnownDhGroup> {
    KNOWN_DH_GROUPS.iter().find(|k| k.prime == p)
}

/// Every well-known group, for tests and documentation.
pub fn known_dh_groups() -> &'static [KnownDhGroup] {
    &KNOWN_DH_GROUPS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dh_table_parses_and_sizes_match() {
        let all = known_dh_groups();
        assert_eq!(all.len(), 16);
        for k in all {
            let declared: u32 = DH_GROUPS_TSV
                .lines()
                .find(|l| l.starts_with(&format!("{}\t", k.name)))
                .and_then(|l| l.split('\t').nth(2))
                .and_then(|b| b.parse().ok())
                .unwrap();
            assert_eq!(crate::wire::bit_length(&k.prime), declared, "{}", k.name);
        }
        let ffdhe2048 = all.iter().find(|k| k.name == "ffdhe2048").unwrap();
        assert_eq!(known_dh_group(&ffdhe2048.prime).unwrap().source, "RFC7919");
        assert!(known_dh_group(&[0xff; 128]).is_none());
    }

    #[test]
    fn candidates_cover_pq_and_ffdhe_for_tls13_only() {
        let t13 = tls13_candidates();
        for g in [
            NamedGroup::X25519MLKEM768,
            NamedGroup::SECP256R1MLKEM768,
            NamedGroup::SECP384R1MLKEM1024,
            NamedGroup::MLKEM768,
            NamedGroup::FFDHE8192,
            NamedGroup::BRAINPOOLP256R1TLS13,
            NamedGroup::X448,
        ] {
            assert!(t13.contains(&g), "{g}");
        }
        let t12 = ecdhe_candidates();
        assert!(t12.contains(&NamedGroup::SECP256R1) && !t12.contains(&NamedGroup::FFDHE2048));
        assert!(!t12.contains(&NamedGroup::X25519MLKEM768));
    }

    #[test]
    fn group_kinds() {
        assert_eq!(
            GroupResult::from_group(NamedGroup::X25519MLKEM768).kind,
            "post_quantum_hybrid"
        );
        assert_eq!(
            GroupResult::from_group(NamedGroup::MLKEM1024).kind,
            "post_quantum"
        );
        assert_eq!(GroupResult::from_group(NamedGroup::FFDHE3072).kind, "ffdhe");
        assert_eq!(GroupResult::from_group(NamedGroup::X25519).id, "0x001d");
    }
}
