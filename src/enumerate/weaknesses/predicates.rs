//! Weaknesses that follow from facts the scan already has, with no connection: the accepted
//! suites per version (SWEET32, RC4, FREAK, BEAST, LUCKY13, POODLE against SSLv3), SSLv2
//! (DROWN), the DHE group (Logjam), the features (CRIME, Heartbleed, RFC 5746) and the HTTP
//! response (BREACH).

use sha2::{Digest, Sha256};

use crate::facts::http::is_compressed;
use crate::facts::{
    Answer, Fact, FeaturesSection, GroupsSection, HttpSection, ProtocolResult, SectionStatus,
    SuiteResult, TlsVersion, Verdict, WeaknessCheck,
};

/// What the predicates read: the sections of the scan so far.
#[derive(Debug, Clone, Copy, Default)]
pub struct Known<'a> {
    pub protocols: &'a [ProtocolResult],
    pub groups: Option<&'a GroupsSection>,
    pub features: Option<&'a FeaturesSection>,
    /// The certificate the SSLv2 server sent (DER), if any.
    pub sslv2_certificate: Option<&'a [u8]>,
    /// The HTTP section, when it was scanned.
    pub http: Option<&'a HttpSection>,
    /// The target speaks STARTTLS: no HTTP runs over it.
    pub starttls: bool,
}

/// How many suites evidence names before it says "and N more".
const NAMED: usize = 3;

/// Every predicate, in report order.
pub fn all(k: &Known) -> Vec<WeaknessCheck> {
    vec![
        poodle_ssl3(k),
        sweet32(k),
        freak(k),
        logjam(k),
        drown(k),
        beast(k),
        lucky13(k),
        rc4(k),
        crime(k),
        breach(k),
    ]
}

/// A cipher with a 64-bit block (SWEET32): 3DES, IDEA, DES, RC2.
fn is_64bit_block(s: &SuiteResult) -> bool {
    matches!(s.cipher.as_str(), "3DES" | "IDEA" | "DES" | "RC2")
}

fn is_cbc(s: &SuiteResult) -> bool {
    s.mode == "CBC"
}

fn is_export_dh(s: &SuiteResult) -> bool {
    s.export && (s.kx.starts_with("DHE") || s.kx.starts_with("DH_") || s.kx == "DH")
}

/// `id` is yes when a version of `versions` accepts a suite `pick` selects; no when every
/// such version was enumerated and none does; not determined when one was not.
fn suites_check(
    k: &Known,
    id: &str,
    versions: &[TlsVersion],
    what: &str,
    pick: impl Fn(&SuiteResult) -> bool,
) -> WeaknessCheck {
    let mut found = Vec::new();
    let mut unknown = Vec::new();
    let mut checked = Vec::new();
    for p in k.protocols.iter().filter(|p| versions.contains(&p.version)) {
        match p.status {
            SectionStatus::Completed => {}
            SectionStatus::Error => {
                unknown.push(format!(
                    "{} failed: {}",
                    p.version,
                    p.error.as_deref().unwrap_or("error")
                ));
                continue;
            }
            SectionStatus::NotScheduled => continue,
        }
        if !p.supported {
            continue;
        }
        if !p.suites_enumerated {
            unknown.push(format!("{} suites not enumerated", p.version));
            continue;
        }
        checked.push(p.version.to_string());
        found.extend(
            p.cipher_suites
                .iter()
                .filter(|s| pick(s))
                .map(|s| format!("{} {}", p.version, s.name)),
        );
    }
    if !found.is_empty() {
        let more = found.len().saturating_sub(NAMED);
        let mut named = found[..found.len().min(NAMED)].join(", ");
        if more > 0 {
            named.push_str(&format!(" and {more} more"));
        }
        return WeaknessCheck::new(id, Verdict::Yes, format!("accepted {what}: {named}"));
    }
    if !unknown.is_empty() {
        return WeaknessCheck::new(id, Verdict::NotDetermined, unknown.join("; "));
    }
    if checked.is_empty() {
        let names: Vec<String> = versions.iter().map(ToString::to_string).collect();
        return WeaknessCheck::new(
            id,
            Verdict::NotApplicable,
            format!("none of {} is supported", names.join(", ")),
        );
    }
    WeaknessCheck::new(
        id,
        Verdict::No,
        format!("no {what} accepted in {}", checked.join(", ")),
    )
}

/// Every version before TLS 1.3 (TLS 1.3 suites are all AEAD).
const LEGACY: [TlsVersion; 5] = [
    TlsVersion::Ssl2,
    TlsVersion::Ssl3,
    TlsVersion::Tls10,
    TlsVersion::Tls11,
    TlsVersion::Tls12,
];

/// SWEET32 (CVE-2016-2183): a 64-bit block cipher collides after 2^32 blocks.
pub fn sweet32(k: &Known) -> WeaknessCheck {
    suites_check(
        k,
        "sweet32",
        &LEGACY,
        "64-bit block cipher suites (3DES, IDEA, DES, RC2)",
        is_64bit_block,
    )
}

/// RC4 (CVE-2013-2566, CVE-2015-2808): keystream biases.
pub fn rc4(k: &Known) -> WeaknessCheck {
    suites_check(k, "rc4", &LEGACY, "RC4 suites", |s| s.cipher == "RC4")
}

/// FREAK (CVE-2015-0204): export-grade (512-bit) RSA key exchange.
pub fn freak(k: &Known) -> WeaknessCheck {
    suites_check(k, "freak", &LEGACY, "export RSA suites", |s| {
        s.export && s.kx == "RSA"
    })
}

/// BEAST (CVE-2011-3389): CBC with an IV chained from the previous record (SSLv3, TLS 1.0).
pub fn beast(k: &Known) -> WeaknessCheck {
    suites_check(
        k,
        "beast",
        &[TlsVersion::Ssl3, TlsVersion::Tls10],
        "CBC suites in SSLv3/TLS 1.0",
        is_cbc,
    )
}

/// Lucky Thirteen (CVE-2013-0169): MAC-then-encrypt CBC has a timing side channel unless
/// the implementation is constant-time. Informational: every CBC suite has it in principle.
pub fn lucky13(k: &Known) -> WeaknessCheck {
    suites_check(
        k,
        "lucky13",
        &[
            TlsVersion::Ssl3,
            TlsVersion::Tls10,
            TlsVersion::Tls11,
            TlsVersion::Tls12,
        ],
        "CBC suites",
        is_cbc,
    )
}

/// POODLE (CVE-2014-3566): SSLv3 CBC padding is not covered by the MAC.
pub fn poodle_ssl3(k: &Known) -> WeaknessCheck {
    suites_check(
        k,
        "poodle_ssl3",
        &[TlsVersion::Ssl3],
        "SSLv3 CBC suites",
        is_cbc,
    )
}

/// Well-known 1024-bit (and smaller) DH primes a nation-state may have precomputed (the Logjam
/// paper, section 3.5): the names `data/dh-groups.tsv` gives them.
const COMMON_WEAK_PRIMES: [&str; 3] = ["oakley_group1_768", "oakley_group2_1024", "dh_1024_160"];

/// Logjam (CVE-2015-4000): export DHE suites, a DHE prime under 1024 bits, or a common
/// 1024-bit prime.
pub fn logjam(k: &Known) -> WeaknessCheck {
    let export = suites_check(k, "logjam", &LEGACY, "export DHE suites", is_export_dh);
    if export.result == Verdict::Yes {
        return export;
    }
    let dhe_accepted = k.protocols.iter().any(|p| {
        p.supported
            && p.version != TlsVersion::Tls13
            && p.cipher_suites.iter().any(|s| s.kx.starts_with("DHE"))
    });
    if !dhe_accepted {
        return match export.result {
            Verdict::No => WeaknessCheck::new(
                "logjam",
                Verdict::No,
                "no DHE suite accepted (export or not)",
            ),
            _ => export,
        };
    }
    let Some(g) = k.groups.filter(|g| g.status == SectionStatus::Completed) else {
        return WeaknessCheck::new(
            "logjam",
            Verdict::NotDetermined,
            "DHE suites are accepted and the groups stage (which reads the DH prime) did not run",
        );
    };
    let Some(dhe) = g.versions.iter().find_map(|v| v.dhe.as_ref()) else {
        return WeaknessCheck::new(
            "logjam",
            Verdict::NotDetermined,
            "DHE suites are accepted and no DHE ServerKeyExchange was read",
        );
    };
    let known = dhe.known_group.as_deref();
    let name = known.map_or_else(|| "a custom prime".to_string(), str::to_string);
    if dhe.prime_bits < 1024 {
        return WeaknessCheck::new(
            "logjam",
            Verdict::Yes,
            format!("{}: {}-bit DH prime ({name})", dhe.suite, dhe.prime_bits),
        );
    }
    if let Some(n) = known.filter(|n| COMMON_WEAK_PRIMES.contains(n)) {
        return WeaknessCheck::new(
            "logjam",
            Verdict::Yes,
            format!(
                "{}: {}-bit DH prime is the common {n} ({})",
                dhe.suite,
                dhe.prime_bits,
                dhe.known_source.as_deref().unwrap_or("well known")
            ),
        );
    }
    WeaknessCheck::new(
        "logjam",
        Verdict::No,
        format!(
            "no export DHE suite; {}: {}-bit DH prime ({name})",
            dhe.suite, dhe.prime_bits
        ),
    )
}

/// DROWN (CVE-2016-0800): SSLv2 on this host lets an attacker decrypt TLS sessions made
/// with the same RSA key. Other hosts that share the key are not checked: the evidence names
/// the certificate so they can be looked up.
pub fn drown(k: &Known) -> WeaknessCheck {
    let Some(p) = k.protocols.iter().find(|p| p.version == TlsVersion::Ssl2) else {
        return WeaknessCheck::new("drown", Verdict::NotDetermined, "SSLv2 was not scanned");
    };
    match p.status {
        SectionStatus::Completed if p.supported => {
            let cert = k.sslv2_certificate.map_or_else(
                || "no certificate was sent".to_string(),
                |der| {
                    let hex: String = Sha256::digest(der)
                        .iter()
                        .map(|b| format!("{b:02x}"))
                        .collect();
                    format!("certificate SHA-256 {hex}")
                },
            );
            WeaknessCheck::new(
                "drown",
                Verdict::Yes,
                format!(
                    "SSLv2 is enabled ({}); {cert}: every server with this key is exposed",
                    p.evidence
                ),
            )
        }
        SectionStatus::Completed => WeaknessCheck::new(
            "drown",
            Verdict::No,
            format!(
                "SSLv2 is not enabled on this host ({}); hosts sharing the key are not checked",
                p.evidence
            ),
        ),
        SectionStatus::Error => WeaknessCheck::new(
            "drown",
            Verdict::NotDetermined,
            format!(
                "SSLv2 probe failed: {}",
                p.error.as_deref().unwrap_or("error")
            ),
        ),
        SectionStatus::NotScheduled => {
            WeaknessCheck::new("drown", Verdict::NotDetermined, "SSLv2 was not scanned")
        }
    }
}

/// A feature's fact as a check's verdict.
pub fn from_fact(id: &str, fact: &Fact) -> WeaknessCheck {
    let result = match fact.answer {
        Answer::Yes => Verdict::Yes,
        Answer::No => Verdict::No,
        Answer::NotApplicable => Verdict::NotApplicable,
        Answer::NotDetermined => Verdict::NotDetermined,
    };
    WeaknessCheck::new(id, result, fact.evidence.clone())
}

/// The features section, when it completed.
fn features<'a>(k: &Known<'a>) -> Option<&'a FeaturesSection> {
    k.features.filter(|f| f.status == SectionStatus::Completed)
}

/// CRIME (CVE-2012-4929): TLS compression (DEFLATE) chosen when offered.
pub fn crime(k: &Known) -> WeaknessCheck {
    match features(k) {
        Some(f) => from_fact("crime", &f.compression),
        None => WeaknessCheck::new(
            "crime",
            Verdict::NotDetermined,
            "the features stage (which offers DEFLATE) did not complete",
        ),
    }
}

/// Heartbleed (CVE-2014-0160), probed by the features stage.
pub fn heartbleed(k: &Known) -> WeaknessCheck {
    match features(k) {
        Some(f) => from_fact("heartbleed", &f.heartbleed),
        None => WeaknessCheck::new(
            "heartbleed",
            Verdict::NotDetermined,
            "the features stage (which sends the heartbeat request) did not complete",
        ),
    }
}

/// BREACH (CVE-2013-3587): the response to `GET /`, asked with `Accept-Encoding: gzip,
/// deflate, br`, has a compressed body. Whether a page also reflects input and carries a
/// secret (what the attack needs) no scanner can tell; the compression is the part to fix or
/// to rule out per page.
pub fn breach(k: &Known) -> WeaknessCheck {
    let id = "breach";
    if k.starttls {
        return WeaknessCheck::new(
            id,
            Verdict::NotApplicable,
            "a STARTTLS target: no HTTP runs over it",
        );
    }
    let Some(h) = k.http else {
        return WeaknessCheck::new(
            id,
            Verdict::NotDetermined,
            "HTTP was not scanned (--no-http, or --only without http)",
        );
    };
    if h.status != SectionStatus::Completed {
        return WeaknessCheck::new(
            id,
            Verdict::NotDetermined,
            format!(
                "no HTTP response to read: {}",
                h.error
                    .as_deref()
                    .unwrap_or("the HTTP stage did not complete")
            ),
        );
    }
    match h.compression.as_deref() {
        Some(c) if is_compressed(c) => WeaknessCheck::new(
            id,
            Verdict::Yes,
            format!("the response to GET / is compressed (Content-Encoding: {c}): pages that reflect input and carry a secret (a CSRF token) leak it"),
        ),
        Some(c) => WeaknessCheck::new(
            id,
            Verdict::No,
            format!("the response to GET / is not compressed (Content-Encoding: {c}) though the request allowed gzip, deflate and br"),
        ),
        None => WeaknessCheck::new(
            id,
            Verdict::No,
            "the response to GET / is not compressed (no Content-Encoding) though the request allowed gzip, deflate and br",
        ),
    }
}

/// Whether the server does RFC 5746 secure renegotiation, when the features stage knows.
pub fn secure_renegotiation<'a>(k: &Known<'a>) -> Option<&'a Fact> {
    features(k).map(|f| &f.secure_renegotiation)
}

#[cfg(test)]
mod tests;
