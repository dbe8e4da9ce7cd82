//! A letter grade for one target, computed from the facts of its [`TargetFacts`] alone (never
//! a probe), after the SSL Labs "SSL Server Rating Guide" (revision 2009r, 16 May 2025, the
//! newest we found cited: testssl.sh moved to it in July 2025;
//! <https://github.com/ssllabs/research/wiki/SSL-Server-Rating-Guide>) and the grading changes
//! SSL Labs announced on its blog. [`GUIDE`] names the revision in every grade.
//!
//! What we follow, and where it comes from:
//!
//! - Three category scores (0–100) — protocol support, key exchange, cipher strength — combined
//!   with the weights 30 / 30 / 40; a zero in any category makes the total zero; the total maps
//!   to a letter: ≥ 80 A, ≥ 65 B, ≥ 50 C, ≥ 35 D, ≥ 20 E, else F (guide, "Methodology Overview"
//!   and "Table 1. Letter grade translation"; verified against the published guide).
//! - Protocol support and cipher strength: the score of the best plus the score of the worst,
//!   halved. Protocol scores: SSL 2.0 0, SSL 3.0 80, TLS 1.0 90, TLS 1.1 95, TLS 1.2 100.
//!   Cipher scores: no encryption 0, < 128 bits 20, < 256 bits 80, ≥ 256 bits 100. Key
//!   exchange scores by RSA-equivalent strength: anonymous 0, < 512 bits 20, export or < 1024
//!   bits 40, < 2048 bits 80, < 4096 bits 90, ≥ 4096 bits 100 (guide, sections 2–4). The guide's
//!   own tables could not be read here (only its overview); the anonymous 0 / export 40 key
//!   exchange scores are confirmed by testssl.sh's documentation of its implementation of the
//!   guide, and published testssl.sh ratings confirm the arithmetic: TLS 1.0–1.2 with AES-128
//!   and AES-256 and P-256/RSA-2048 gives 95 / 90 / 90 → 91, TLS 1.2 + 1.3 gives 100 / 90 / 90 →
//!   93 (the same numbers our tests assert for such servers). A GitHub issue on ssllabs-scan
//!   (#80) quotes the guide: "Keys below 2048 bits (e.g., 1024) are now considered weak, and the
//!   grade capped at B", and that DH parameter strength counts for DHE/ECDHE suites.
//! - Caps: TLS 1.0 or 1.1 → B (blog, "Grade Change for TLS 1.0 and TLS 1.1 Protocols",
//!   2018-11-19, live 2020-01-31: verified); no forward secrecy → B and no AEAD suite → B
//!   (blog, "Forward Secrecy, Authenticated Encryption and ROBOT Grading Update", 2018-02-02:
//!   verified); 64-bit block ciphers (3DES …) with TLS 1.1+ → C and no TLS 1.2 → C (blog, "SSL
//!   Labs Grading Changes January 2017": verified); SSL 2.0 → F, export suites → F, RC4 → C,
//!   SSL 3.0 → C (POODLE), Heartbleed → F, compression → C (CRIME), DH parameters < 1024 bits → F and < 2048
//!   bits → B (Logjam), no secure renegotiation → A- (guide's change log as we know it: not
//!   verified here); revoked certificate → F (Qualys CertView's grading page: verified);
//!   untrusted certificate → T, name mismatch → M (guide, "Methodology Overview": verified).
//!
//! Where we deviate, and why:
//!
//! - TLS 1.3 (newer than the guide) scores 100 like TLS 1.2.
//! - SSL Labs judges forward secrecy and AEAD by simulated browser handshakes; we have none, so
//!   "what a modern client gets" is read from the highest version: TLS 1.3 always has both;
//!   else the server's first suite when it imposes its order, else any suite of that version.
//! - The weak-key caps (< 1024 → F, < 2048 → B) apply to every key-exchange input — DHE
//!   prime, ECDHE group (by RSA-equivalent strength, NIST SP 800-57 part 1 table 2) and the
//!   certificate key — as the guide's key-strength rule reads.
//! - A+ is an A with no warning and HSTS with a max-age of at least 180 days (15552000 s,
//!   [`HSTS_MIN_MAX_AGE`]), read from the HTTP stage's response to `GET /` (blog, "SSL Labs:
//!   Stricter Security Requirements for 2014": "good support for HTTP Strict Transport Security
//!   (long max-age is required)"; 180 days is testssl.sh's reading of the guide). Missing,
//!   invalid or short HSTS caps at A (`grade.aplus.hsts`); HTTP not fetched (`--no-http`, a
//!   failed request) leaves A+ unjudged (incomplete); a STARTTLS target has no HTTP and so no
//!   HSTS: A at best. No TLS 1.3 also keeps A+ away (`grade.aplus.no_tls1_3`): testssl.sh's
//!   reading of 2009r makes it, like missing HSTS, a warning. Warnings there give A- where we
//!   give A; the 2009r text itself could not be read here, so we keep SSL Labs' long-standing
//!   "A without HSTS".
//! - Up to revision 2009q we required, instead of HSTS, forward secrecy and AEAD in every
//!   suite and TLS_FALLBACK_SCSV for A+. SSL Labs never asked the first two, and testssl.sh
//!   dropped the TLS_FALLBACK_SCSV cap with 2009r: none of the three is graded now (the
//!   "modern client" forward secrecy and AEAD caps at B stay).
//! - Rounding: averages and the weighted total are rounded down (never in the server's favour);
//!   testssl.sh rounds each weighted part down instead, which can be one point lower.
//! - Insecure renegotiation (no RFC 5746 *and* a client-initiated renegotiation accepted) is F;
//!   the absence of RFC 5746 alone is A-. A secure client-initiated renegotiation (a DoS
//!   concern) is reported as a weakness but not capped: no revision of the guide we could read
//!   caps it, and testssl.sh's implementation of the guide does not.
//! - The category scores are computed from what the scan judged. A fact that is missing
//!   (`--only versions`, a version not scanned, certificates off) is never assumed good or bad:
//!   it is named in `not_judged`, the grade says `incomplete`, and A+ is not given.
//! - Vulnerabilities the weaknesses stage proves on the wire cap at F: OpenSSL CCS injection,
//!   Ticketbleed, ROBOT, POODLE against TLS (bad padding accepted), insecure renegotiation,
//!   Heartbleed (testssl.sh's rating documentation, which implements the guide, lists the F
//!   caps it has and those it lacks: insecure renegotiation and the POODLE-TLS family among
//!   them). The others (RC4, SWEET32, FREAK, Logjam, DROWN, POODLE-SSLv3, CRIME) are graded by
//!   the suite, key-exchange and feature rules above. A scan without the weaknesses stage names
//!   them in `not_judged`.
//! - The revision: 2009r (above). Its text could not be read here; what changed from 2009q is
//!   taken from testssl.sh's change that adopted it (HSTS and TLS 1.3 as A+ conditions, no
//!   TLS_FALLBACK_SCSV cap).
//! - Weaknesses and their caps: Heartbleed, CCS injection, Ticketbleed, ROBOT, POODLE-TLS and
//!   insecure renegotiation F (below); DROWN is SSLv2 here (F), FREAK export suites (F),
//!   Logjam export or < 1024-bit DH (F) or < 2048-bit DH (B), POODLE-SSLv3 SSLv3 (C), SWEET32
//!   64-bit blocks with TLS 1.1+ (C), RC4 (C), CRIME compression (C), BEAST TLS 1.0 (B).
//!   LUCKY13, BREACH and client-initiated renegotiation are reported, not graded: SSL Labs
//!   grades none of them.
//! - Not graded: the certificate's own score.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::facts::http::HSTS_MIN_MAX_AGE;
use crate::facts::Answer;
use crate::facts::TargetFacts;
use crate::facts::Verdict;
use crate::facts::{SectionStatus, SuiteResult, TlsVersion};

/// A grade letter. A+ is best, F worst; T (certificate not trusted) and M (certificate name
/// mismatch) stand outside the scale.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema, PartialEq, Eq, Hash)]
pub enum Letter {
    #[serde(rename = "A+")]
    APlus,
    A,
    #[serde(rename = "A-")]
    AMinus,
    B,
    C,
    D,
    E,
    F,
    T,
    M,
}

impl Letter {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::APlus => "A+",
            Self::A => "A",
            Self::AMinus => "A-",
            Self::B => "B",
            Self::C => "C",
            Self::D => "D",
            Self::E => "E",
            Self::F => "F",
            Self::T => "T",
            Self::M => "M",
        }
    }

    /// Parses "A+", "a", "B" … (for `--min-grade`).
    pub fn parse(s: &str) -> Option<Letter> {
        let all = [
            Self::APlus,
            Self::A,
            Self::AMinus,
            Self::B,
            Self::C,
            Self::D,
            Self::E,
            Self::F,
            Self::T,
            Self::M,
        ];
        all.into_iter()
            .find(|l| l.as_str().eq_ignore_ascii_case(s.trim()))
    }

    /// True when this letter is at least as good as `min` (T and M are never good enough).
    pub fn meets(self, min: Letter) -> bool {
        !matches!(self, Self::T | Self::M) && self.rank() >= min.rank()
    }

    /// Higher is better; T and M rank with F (they mean "do not trust this server").
    fn rank(self) -> u8 {
        match self {
            Self::APlus => 8,
            Self::A => 7,
            Self::AMinus => 6,
            Self::B => 5,
            Self::C => 4,
            Self::D => 3,
            Self::E => 2,
            Self::F | Self::T | Self::M => 1,
        }
    }

    /// The worse of two letters on the A+ … F scale.
    fn min(self, other: Letter) -> Letter {
        if other.rank() < self.rank() {
            other
        } else {
            self
        }
    }

    /// The letter of a numeric score (guide, table 1). A score of 80 or more is an A that may
    /// become A+.
    pub fn of_score(score: u8) -> Letter {
        match score {
            80.. => Self::APlus,
            65..=79 => Self::B,
            50..=64 => Self::C,
            35..=49 => Self::D,
            20..=34 => Self::E,
            _ => Self::F,
        }
    }
}

impl std::fmt::Display for Letter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The revision of SSL Labs' "SSL Server Rating Guide" the grade follows.
pub const GUIDE: &str = "2009r";

/// The date of [`GUIDE`].
pub const GUIDE_DATE: &str = "2025-05-16";

fn guide() -> String {
    GUIDE.to_string()
}

/// The grade of one target.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct Grade {
    /// The revision of SSL Labs' "SSL Server Rating Guide" followed: "2009r" (absent in
    /// reports made before it was named).
    #[serde(default = "guide")]
    pub guide: String,
    /// "A+", "A", "A-", "B", "C", "D", "E", "F", "T" (certificate not trusted) or "M"
    /// (certificate does not cover the name).
    pub letter: Letter,
    /// 0–100: 30% protocol support, 30% key exchange, 40% cipher strength (over the categories
    /// that could be judged), before caps.
    pub score: u8,
    pub protocol_score: u8,
    /// Null when no key-exchange input could be judged (certificates and groups not scanned).
    pub key_exchange_score: Option<u8>,
    pub cipher_score: u8,
    /// Each rule that holds the letter down, with what to change.
    pub caps: Vec<GradeCap>,
    /// With letter T or M: the letter the configuration earns once the certificate is fixed.
    pub ignoring_certificate: Option<Letter>,
    /// True when facts the grade needs were not scanned: `not_judged` names them. An
    /// incomplete grade is never A+.
    pub incomplete: bool,
    /// The parts of the grade that could not be judged, and why.
    pub not_judged: Vec<String>,
}

/// A rule that caps the grade.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct GradeCap {
    /// Stable dotted id: "grade.tls1_0_or_1_1", "grade.rc4", "grade.aplus.no_tls1_3" …
    pub id: String,
    /// The best letter the target can have while this holds.
    pub cap: Letter,
    /// What is wrong and what to change.
    pub reason: String,
}

/// The grade of a scanned target; `None` when it could not be scanned at all.
pub fn grade(t: &TargetFacts) -> Option<Grade> {
    if t.error.is_some() {
        return None;
    }
    let mut g = Grader::default();
    g.protocols(t);
    g.suites(t);
    g.key_exchange(t);
    g.features(t);
    g.weaknesses(t);
    g.hsts(t);
    g.certificates(t);
    Some(g.finish())
}

#[derive(Default)]
struct Grader {
    protocol_score: u8,
    cipher_score: u8,
    /// RSA-equivalent bits of each key-exchange input, with what it is.
    kx_inputs: Vec<(u32, String)>,
    /// Anonymous or export key exchange seen: their fixed scores.
    kx_fixed: Vec<u8>,
    caps: Vec<GradeCap>,
    not_judged: Vec<String>,
    /// A fact A+ needs was not judged.
    aplus_unknown: bool,
    no_protocol: bool,
}

impl Grader {
    fn cap(&mut self, id: &str, cap: Letter, reason: impl Into<String>) {
        self.caps.push(GradeCap {
            id: id.into(),
            cap,
            reason: reason.into(),
        });
    }

    fn protocols(&mut self, t: &TargetFacts) {
        let supported: Vec<TlsVersion> = t
            .protocols
            .iter()
            .filter(|p| p.supported)
            .map(|p| p.version)
            .collect();
        for p in t
            .protocols
            .iter()
            .filter(|p| p.status != SectionStatus::Completed)
        {
            self.not_judged.push(match &p.error {
                Some(e) => format!("{}: the probe failed ({e})", p.version),
                None => format!("{}: not scanned", p.version),
            });
        }
        for v in TlsVersion::ALL {
            if t.protocol(v).is_none() {
                self.not_judged.push(format!("{v}: not scanned"));
            }
        }
        let scores: Vec<u8> = supported.iter().map(|&v| protocol_score(v)).collect();
        let (Some(best), Some(worst)) = (scores.iter().max(), scores.iter().min()) else {
            self.no_protocol = true;
            self.cap(
                "grade.no_protocol",
                Letter::F,
                "The server accepted no SSL/TLS version that was scanned: enable TLS 1.2 and TLS 1.3.",
            );
            return;
        };
        self.protocol_score = half(*best, *worst);
        let has = |v| supported.contains(&v);
        let judged = |v| {
            t.protocol(v)
                .is_some_and(|p| p.status == SectionStatus::Completed)
        };
        if has(TlsVersion::Ssl2) {
            self.cap(
                "grade.ssl2",
                Letter::F,
                "SSLv2 is enabled (DROWN, broken since 1996): disable it.",
            );
        }
        if has(TlsVersion::Ssl3) {
            self.cap(
                "grade.ssl3",
                Letter::C,
                "SSLv3 is enabled (POODLE): disable it.",
            );
        }
        // Only when both were scanned: an unscanned version is not judged absent.
        if !has(TlsVersion::Tls12)
            && !has(TlsVersion::Tls13)
            && judged(TlsVersion::Tls12)
            && judged(TlsVersion::Tls13)
        {
            self.cap(
                "grade.no_tls1_2",
                Letter::C,
                "Neither TLS 1.2 nor TLS 1.3 is supported: enable TLS 1.2 and TLS 1.3.",
            );
        }
        let old: Vec<&str> = [TlsVersion::Tls10, TlsVersion::Tls11]
            .into_iter()
            .filter(|&v| has(v))
            .map(TlsVersion::name)
            .collect();
        if !old.is_empty() {
            self.cap(
                "grade.tls1_0_or_1_1",
                Letter::B,
                format!(
                    "{} enabled (deprecated by RFC 8996): disable TLS 1.0 and TLS 1.1.",
                    if old.len() == 1 {
                        format!("{} is", old[0])
                    } else {
                        format!("{} are", old.join(" and "))
                    }
                ),
            );
        }
        if !has(TlsVersion::Tls13) {
            if judged(TlsVersion::Tls13) {
                self.cap(
                    "grade.aplus.no_tls1_3",
                    Letter::A,
                    "TLS 1.3 is not supported: enable it (A+ needs TLS 1.3).",
                );
            } else {
                self.aplus_unknown = true;
            }
        }
    }

    fn suites(&mut self, t: &TargetFacts) {
        let supported: Vec<_> = t.protocols.iter().filter(|p| p.supported).collect();
        for p in &supported {
            if !p.suites_enumerated {
                self.not_judged.push(format!(
                    "{}: cipher suites not enumerated (only the suite chosen from a full offer is known)",
                    p.version
                ));
                self.aplus_unknown = true;
            }
        }
        let all: Vec<(TlsVersion, &SuiteResult)> = supported
            .iter()
            .flat_map(|p| p.cipher_suites.iter().map(move |s| (p.version, s)))
            .collect();
        let known: Vec<&SuiteResult> = all
            .iter()
            .map(|(_, s)| *s)
            .filter(|s| s.cipher != "unknown")
            .collect();
        let unknown = all.len() - known.len();
        if unknown > 0 {
            self.not_judged.push(format!(
                "{unknown} accepted suite(s) unknown to the registry: their strength is not scored"
            ));
        }
        let scores: Vec<u8> = known.iter().map(|s| cipher_score(s)).collect();
        if let (Some(best), Some(worst)) = (scores.iter().max(), scores.iter().min()) {
            self.cipher_score = half(*best, *worst);
        }
        let names = |pred: &dyn Fn(&SuiteResult) -> bool| -> Vec<String> {
            let mut v: Vec<String> = known
                .iter()
                .filter(|s| pred(s))
                .map(|s| s.name.clone())
                .collect();
            v.sort();
            v.dedup();
            v
        };
        let list = |v: &[String]| {
            if v.len() > 3 {
                format!("{} and {} more", v[..3].join(", "), v.len() - 3)
            } else {
                v.join(", ")
            }
        };
        let null = names(&|s| s.cipher == "NULL" || s.bits == 0);
        if !null.is_empty() {
            self.cap(
                "grade.null_cipher",
                Letter::F,
                format!(
                    "Suites without encryption are accepted ({}): remove them.",
                    list(&null)
                ),
            );
        }
        let anon = names(&|s| s.auth == "anon" || s.kx.ends_with("_anon"));
        if !anon.is_empty() {
            self.cap(
                "grade.anonymous",
                Letter::F,
                format!(
                    "Anonymous (unauthenticated) key exchange is accepted ({}): remove these suites.",
                    list(&anon)
                ),
            );
        }
        let export = names(&|s| s.export);
        if !export.is_empty() {
            self.cap(
                "grade.export",
                Letter::F,
                format!(
                    "Export-grade suites are accepted (FREAK, Logjam) ({}): remove them.",
                    list(&export)
                ),
            );
        }
        let rc4 = names(&|s| s.cipher == "RC4");
        if !rc4.is_empty() {
            self.cap(
                "grade.rc4",
                Letter::C,
                format!(
                    "RC4 is accepted (RFC 7465 prohibits it) ({}): remove RC4 suites.",
                    list(&rc4)
                ),
            );
        }
        let mut block64: Vec<String> = all
            .iter()
            .filter(|(v, s)| {
                *v >= TlsVersion::Tls11
                    && matches!(s.cipher.as_str(), "3DES" | "DES" | "IDEA" | "RC2")
            })
            .map(|(_, s)| s.name.clone())
            .collect();
        block64.sort();
        block64.dedup();
        if !block64.is_empty() {
            self.cap(
                "grade.64bit_block",
                Letter::C,
                format!(
                    "64-bit block ciphers are accepted with TLS 1.1 or later (Sweet32) ({}): remove 3DES, DES, IDEA and RC2 suites.",
                    list(&block64)
                ),
            );
        }

        // What a modern client gets: TLS 1.3 if offered, else the best the top version gives.
        let Some(top) = supported.iter().max_by_key(|p| p.version) else {
            return;
        };
        let modern_gets = |pred: fn(&SuiteResult) -> bool| -> bool {
            top.version == TlsVersion::Tls13
                || if top.server_preference == Some(true) {
                    top.cipher_suites.first().is_some_and(pred)
                } else {
                    top.cipher_suites.iter().any(pred)
                }
        };
        let why = |prop: &str| match top.cipher_suites.first() {
            Some(first) if top.server_preference == Some(true) => {
                format!("the server prefers {} at {}", first.name, top.version)
            }
            _ => format!("no suite accepted at {} has {prop}", top.version),
        };
        if !top.cipher_suites.is_empty() {
            if !modern_gets(|s| s.forward_secrecy) {
                self.cap(
                    "grade.no_forward_secrecy",
                    Letter::B,
                    format!(
                        "Modern clients get no forward secrecy ({}): enable and prefer ECDHE suites, or TLS 1.3.",
                        why("it")
                    ),
                );
            }
            if !modern_gets(|s| s.aead) {
                self.cap(
                    "grade.no_aead",
                    Letter::B,
                    format!(
                        "Modern clients get no authenticated encryption ({}): enable and prefer AES-GCM or ChaCha20-Poly1305 suites, or TLS 1.3.",
                        why("AEAD")
                    ),
                );
            }
        }
    }

    fn key_exchange(&mut self, t: &TargetFacts) {
        let suites: Vec<(TlsVersion, &SuiteResult)> = t
            .protocols
            .iter()
            .filter(|p| p.supported)
            .flat_map(|p| p.cipher_suites.iter().map(move |s| (p.version, s)))
            .collect();
        if suites
            .iter()
            .any(|(_, s)| s.auth == "anon" || s.kx.ends_with("_anon"))
        {
            self.kx_fixed.push(0);
        }
        if suites.iter().any(|(_, s)| s.export) {
            self.kx_fixed.push(40);
        }
        let ephemeral = suites.iter().any(|(v, s)| {
            *v == TlsVersion::Tls13 || s.kx.starts_with("ECDHE") || s.kx.starts_with("DHE")
        });
        match &t.groups {
            Some(g) if g.status == SectionStatus::Completed => {
                for vg in &g.versions {
                    if vg.status != SectionStatus::Completed {
                        self.not_judged.push(format!(
                            "key-exchange groups of {}: {}",
                            vg.version,
                            vg.error.as_deref().unwrap_or("not determined")
                        ));
                    }
                    for gr in &vg.groups {
                        match group_strength(&gr.id) {
                            Some(bits) => self
                                .kx_inputs
                                .push((bits, format!("group {} ({})", gr.name, vg.version))),
                            None => self
                                .not_judged
                                .push(format!("group {}: strength unknown, not scored", gr.name)),
                        }
                    }
                    if let Some(d) = &vg.dhe {
                        self.kx_inputs.push((
                            d.prime_bits,
                            format!("DHE prime of {} bits ({})", d.prime_bits, vg.version),
                        ));
                    }
                }
            }
            _ if ephemeral => self
                .not_judged
                .push("key-exchange groups not scanned: ECDHE/DHE strength not scored".into()),
            _ => {}
        }
        match &t.certificates {
            Some(c) if c.status == SectionStatus::Completed => {
                for chain in &c.chains {
                    if let Some(leaf) = chain.certificates.first() {
                        if let Some(bits) = key_strength(&leaf.public_key) {
                            self.kx_inputs.push((
                                bits,
                                format!(
                                    "certificate key {} {}",
                                    leaf.public_key.algorithm,
                                    leaf.public_key
                                        .curve
                                        .clone()
                                        .unwrap_or_else(|| leaf.public_key.bits.to_string())
                                ),
                            ));
                        }
                    }
                }
            }
            // Named once, by `certificates`.
            _ => {}
        }
        let weakest = self.kx_inputs.iter().min_by_key(|(b, _)| *b).cloned();
        if let Some((bits, what)) = weakest {
            if bits < 1024 {
                self.cap(
                    "grade.kx_below_1024",
                    Letter::F,
                    format!(
                        "Key exchange weaker than 1024 bits ({what}, {bits}-bit RSA equivalent): use ECDHE with x25519 or secp256r1, DH groups of 2048 bits or more, and a 2048-bit RSA or P-256 key."
                    ),
                );
            } else if bits < 2048 {
                self.cap(
                    "grade.kx_below_2048",
                    Letter::B,
                    format!(
                        "Key exchange weaker than 2048 bits ({what}, {bits}-bit RSA equivalent): use ECDHE with x25519 or secp256r1, DH groups of 2048 bits or more, and a 2048-bit RSA or P-256 key."
                    ),
                );
            }
        }
    }

    fn features(&mut self, t: &TargetFacts) {
        let Some(f) = t
            .features
            .as_ref()
            .filter(|f| f.status == SectionStatus::Completed)
        else {
            self.not_judged.push(
                "protocol features not scanned: compression, secure renegotiation and Heartbleed not judged".into(),
            );
            self.aplus_unknown = true;
            return;
        };
        if f.heartbleed.answer == Answer::Yes {
            self.cap(
                "grade.heartbleed",
                Letter::F,
                "The server answers heartbeat requests with memory it was not sent (Heartbleed, CVE-2014-0160): upgrade OpenSSL (1.0.1g or later) and replace the private key and certificate.",
            );
        }
        if f.compression.answer == Answer::Yes {
            self.cap(
                "grade.compression",
                Letter::C,
                "TLS compression is enabled (CRIME): disable it.",
            );
        }
        if f.secure_renegotiation.answer == Answer::No {
            self.cap(
                "grade.no_secure_renegotiation",
                Letter::AMinus,
                "Secure renegotiation (RFC 5746) is not supported: upgrade the TLS library, or enable renegotiation_info.",
            );
        }
        for (name, fact) in [
            ("compression", &f.compression),
            ("secure renegotiation", &f.secure_renegotiation),
            ("Heartbleed", &f.heartbleed),
        ] {
            if fact.answer == Answer::NotDetermined {
                self.not_judged
                    .push(format!("{name}: not determined ({})", fact.evidence));
                self.aplus_unknown = true;
            }
        }
    }

    /// The active weakness checks the other rules do not already grade, each an F (guide:
    /// "vulnerabilities" caps; testssl.sh's rating documentation lists insecure renegotiation
    /// and the POODLE-TLS family as F). RC4, 64-bit ciphers, export suites, SSLv2 (DROWN),
    /// SSLv3 (POODLE), compression (CRIME), small DH primes (Logjam) and Heartbleed are graded
    /// from the suites, groups and features above: their weakness entries add no second cap.
    fn weaknesses(&mut self, t: &TargetFacts) {
        const GRADED: [(&str, &str); 5] = [
            ("ccs_injection", "The server accepts an early ChangeCipherSpec (OpenSSL CCS injection, CVE-2014-0224): upgrade OpenSSL (1.0.1h or later)."),
            ("ticketbleed", "The server echoes 32 bytes of session id with a shorter one (Ticketbleed, CVE-2016-9244): upgrade the F5 BIG-IP software or disable session tickets."),
            ("robot", "The server's answers to malformed RSA key exchanges differ (ROBOT, a Bleichenbacher oracle): upgrade the TLS stack, or disable RSA key-transport suites."),
            ("poodle_tls", "The server accepts CBC records with wrong padding bytes (POODLE against TLS, CVE-2014-8730): upgrade the TLS stack (or the load balancer's firmware)."),
            ("insecure_renegotiation", "The server renegotiates without RFC 5746 (insecure renegotiation, CVE-2009-3555): upgrade the TLS library, or disable renegotiation."),
        ];
        let Some(w) = t
            .weaknesses
            .as_ref()
            .filter(|w| w.status == SectionStatus::Completed)
        else {
            self.not_judged.push(
                "weaknesses not scanned: CCS injection, Ticketbleed, ROBOT, POODLE-TLS and insecure renegotiation not judged".into(),
            );
            self.aplus_unknown = true;
            return;
        };
        for (id, reason) in GRADED {
            let Some(c) = w.check(id) else { continue };
            match c.result {
                Verdict::Yes => self.cap(&format!("grade.{id}"), Letter::F, reason),
                Verdict::NotDetermined => {
                    self.not_judged
                        .push(format!("{id}: not determined ({})", c.evidence));
                    self.aplus_unknown = true;
                }
                Verdict::No | Verdict::NotApplicable => {}
            }
        }
    }

    /// A+ needs HSTS with a long max-age, from the HTTP stage's response.
    fn hsts(&mut self, t: &TargetFacts) {
        let id = "grade.aplus.hsts";
        let min_days = HSTS_MIN_MAX_AGE / 86_400;
        if t.starttls.is_some() {
            self.cap(
                id,
                Letter::A,
                "A STARTTLS target speaks no HTTP, so it has no HSTS (A+ needs HSTS).",
            );
            return;
        }
        let Some(h) = &t.http else {
            self.not_judged.push(
                "HTTP not scanned (--no-http, or --only without http): HSTS, which A+ needs, not judged".into(),
            );
            self.aplus_unknown = true;
            return;
        };
        if h.status != SectionStatus::Completed {
            self.not_judged.push(format!(
                "HSTS not judged: no HTTP response ({})",
                h.error
                    .as_deref()
                    .unwrap_or("the HTTP stage did not complete")
            ));
            self.aplus_unknown = true;
            return;
        }
        let fix = format!(
            "send Strict-Transport-Security: max-age=31536000; includeSubDomains on every HTTPS response (A+ needs a max-age of at least {HSTS_MIN_MAX_AGE} s, {min_days} days)"
        );
        let why = match &h.hsts {
            None => "The response to GET / has no Strict-Transport-Security header".to_string(),
            Some(hsts) => match hsts.max_age {
                None => format!(
                    "The Strict-Transport-Security header has no valid max-age (\"{}\"), so browsers ignore it",
                    hsts.header
                ),
                Some(age) if age < HSTS_MIN_MAX_AGE => {
                    format!("HSTS max-age is {age} s, under {min_days} days")
                }
                Some(_) => return,
            },
        };
        self.cap(id, Letter::A, format!("{why}: {fix}."));
    }

    fn certificates(&mut self, t: &TargetFacts) {
        let Some(c) = t
            .certificates
            .as_ref()
            .filter(|c| c.status == SectionStatus::Completed)
        else {
            self.not_judged.push(
                "certificates not scanned: trust (T), host name (M) and the server key not judged"
                    .into(),
            );
            return;
        };
        let finding = |ids: &[&str]| {
            ids.iter()
                .find_map(|id| c.findings.iter().find(|f| f.id == *id))
        };
        if finding(&["cert.ocsp.revoked"]).is_some() {
            self.cap(
                "grade.cert.revoked",
                Letter::F,
                "The stapled OCSP response says the certificate is revoked: install a new certificate.",
            );
        }
        // A chain only clients without SNI get (the default certificate) is reported in
        // `cert.no_sni.*` findings and does not cap the grade of the scanned name.
        let named = || c.chains.iter().filter(|ch| !ch.only_without_sni());
        if named().any(|ch| !ch.verdicts.trusted) {
            let reason = finding(&[
                "cert.expired",
                "cert.not_yet_valid",
                "cert.self_signed",
                "cert.chain.incomplete",
                "cert.signature.weak",
                "cert.eku.no_server_auth",
                "cert.parse_error",
                "cert.untrusted",
            ])
            .map(|f| f.message.clone())
            .unwrap_or_else(|| {
                "No trust store accepts the certificate chain: serve a certificate from a trusted CA with its intermediates, or pass a private CA with --ca-file.".into()
            });
            self.cap("grade.cert.untrusted", Letter::T, reason);
        }
        if named().any(|ch| ch.verdicts.hostname_matches == Some(false)) {
            let reason = finding(&["cert.hostname_mismatch"])
                .map(|f| f.message.clone())
                .unwrap_or_else(|| {
                    "The certificate does not cover the name clients connect to: re-issue it with this name.".into()
                });
            self.cap("grade.cert.hostname_mismatch", Letter::M, reason);
        }
        if c.chains.is_empty() && !self.no_protocol {
            self.not_judged
                .push("no certificate was obtained: trust (T) and host name (M) not judged".into());
        }
    }

    fn finish(mut self) -> Grade {
        let key_exchange_score = {
            let mut scores: Vec<u8> = self.kx_inputs.iter().map(|(b, _)| kx_score(*b)).collect();
            scores.extend(&self.kx_fixed);
            match (scores.iter().max(), scores.iter().min()) {
                (Some(best), Some(worst)) => Some(half(*best, *worst)),
                _ => None,
            }
        };
        let score = if self.no_protocol {
            0
        } else {
            total(self.protocol_score, key_exchange_score, self.cipher_score)
        };
        let mut letter = Letter::of_score(score);
        for c in self
            .caps
            .iter()
            .filter(|c| !matches!(c.cap, Letter::T | Letter::M))
        {
            letter = letter.min(c.cap);
        }
        // Worst first: what holds the letter down most leads.
        self.caps.sort_by_key(|c| c.cap.rank());
        let incomplete = !self.not_judged.is_empty();
        if letter == Letter::APlus && (self.aplus_unknown || incomplete) {
            letter = Letter::A;
        }
        let mut ignoring_certificate = None;
        for outside in [Letter::T, Letter::M] {
            if self.caps.iter().any(|c| c.cap == outside) {
                ignoring_certificate = Some(letter);
                letter = outside;
                break;
            }
        }
        self.not_judged.dedup();
        Grade {
            guide: guide(),
            letter,
            score,
            protocol_score: self.protocol_score,
            key_exchange_score,
            cipher_score: self.cipher_score,
            caps: self.caps,
            ignoring_certificate,
            incomplete,
            not_judged: self.not_judged,
        }
    }
}

/// (best + worst) / 2, rounded down.
fn half(best: u8, worst: u8) -> u8 {
    ((u16::from(best) + u16::from(worst)) / 2) as u8
}

/// 30% protocol, 30% key exchange, 40% cipher, rounded down; over the judged categories; zero
/// when any category is zero.
pub fn total(protocol: u8, key_exchange: Option<u8>, cipher: u8) -> u8 {
    let mut parts = vec![(30u32, protocol), (40, cipher)];
    if let Some(k) = key_exchange {
        parts.push((30, k));
    }
    if parts.iter().any(|(_, s)| *s == 0) {
        return 0;
    }
    let weights: u32 = parts.iter().map(|(w, _)| w).sum();
    let sum: u32 = parts.iter().map(|(w, s)| w * u32::from(*s)).sum();
    (sum / weights) as u8
}

pub fn protocol_score(v: TlsVersion) -> u8 {
    match v {
        TlsVersion::Ssl2 => 0,
        TlsVersion::Ssl3 => 80,
        TlsVersion::Tls10 => 90,
        TlsVersion::Tls11 => 95,
        TlsVersion::Tls12 | TlsVersion::Tls13 => 100,
    }
}

pub fn cipher_score(s: &SuiteResult) -> u8 {
    match s.bits {
        _ if s.cipher == "NULL" => 0,
        0 => 0,
        1..=127 => 20,
        128..=255 => 80,
        _ => 100,
    }
}

/// Key-exchange score of an RSA-equivalent strength in bits.
pub fn kx_score(bits: u32) -> u8 {
    match bits {
        0..=511 => 20,
        512..=1023 => 40,
        1024..=2047 => 80,
        2048..=4095 => 90,
        _ => 100,
    }
}

/// RSA-equivalent bits of a named group (NIST SP 800-57 part 1, table 2: a 256-bit curve is
/// 3072-bit RSA, 384 → 7680, 512+ → 15360). A post-quantum hybrid is as strong as its stronger
/// part; ML-KEM-512/768/1024 match AES-128/192/256.
pub fn group_strength(hex_id: &str) -> Option<u32> {
    let id = u16::from_str_radix(hex_id.trim_start_matches("0x"), 16).ok()?;
    Some(match id {
        1..=5 | 15..=19 => 1024,
        6..=8 | 20 | 21 => 2048,
        9 | 10 | 22 | 23 | 26 | 29 | 31 | 34..=37 | 41 => 3072,
        11 | 12 | 24 | 27 | 30 | 32 => 7680,
        13 | 14 | 25 | 28 | 33 | 38..=40 => 15360,
        256 => 2048,
        257 => 3072,
        258 => 4096,
        259 => 6144,
        260 => 8192,
        512 => 3072,
        513 | 4587 | 4588 | 25497 | 25498 => 7680,
        514 | 4589 => 15360,
        _ => return None,
    })
}

/// RSA-equivalent bits of a certificate key.
fn key_strength(k: &crate::facts::certs::PublicKeyInfo) -> Option<u32> {
    match k.algorithm.as_str() {
        "RSA" | "DSA" => Some(k.bits),
        "Ed25519" => Some(3072),
        "Ed448" => Some(7680),
        "EC" => Some(match k.bits {
            0..=159 => 512,
            160..=223 => 1024,
            224..=255 => 2048,
            256..=383 => 3072,
            384..=511 => 7680,
            _ => 15360,
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests;
