//! Policies: a verdict on a scan. A policy is data (TOML, see `policies/*.toml` and the README's
//! "Policies" section); [`evaluate`] is a pure function of (facts, policy) that never touches the
//! network. A rule that needs a fact the scan did not gather is *incomplete*, never a pass.
//!
//! Every rule has an `id`, a `severity`, a `message` (what to change) and optionally a `title`
//! and a `source_section` (where in its source the rule comes from: a citation, carried into
//! [`Rule`] and [`RuleResult`], never part of the judgement). Rule kinds (the `kind` key of a
//! `[[rule]]`):
//!
//! | kind | keys | fails when |
//! |---|---|---|
//! | `require_any` | `version`, `suites`, `only_if_offered` | the version accepts none of `suites` (or is not offered, unless `only_if_offered`) |
//! | `allow_only` | `version`/`versions`, `suites` | a listed version accepts a suite outside `suites` |
//! | `forbid` | `version`/`versions` (all when absent), `suites` | a listed version accepts one of `suites` |
//! | `require_version` | `version`/`versions` | none of the versions is offered |
//! | `forbid_version` | `version` | the version is offered |
//! | `min_version` / `max_version` | `version` | a version below / above it is offered |
//! | `certificate` | `forbid_findings` | the certificate analysis reported one of those `cert.*` findings |
//! | `groups` | `version`/`versions` (TLSv1.2, TLSv1.3), one of `require_any`/`allow_only`/`forbid` | the version's named groups (TLS 1.2: ECDHE curves of the highest of 1.0–1.2) break the list |
//! | `dhe` | `min_bits`, `well_known` | the TLS 1.0–1.2 DHE prime is smaller / not a published group |
//! | `signature_schemes` | `version`/`versions`, one of `require_any`/`allow_only`/`forbid` | the version's signature schemes break the list |
//! | `require_feature` / `forbid_feature` | `feature` (see [`FEATURES`]) | the feature's fact is no / yes |
//! | `certificate_key` | `key_types`, `min_rsa_bits`, `ec_curves` | a chain's leaf key is of another type, smaller, or on another curve |
//! | `post_quantum` | `require` (`hybrid` or `preferred`), `deadline` (a date, shown only) | TLS 1.3 accepts no post-quantum hybrid group (`preferred`: or the server's own order puts a classical group first) |
//!
//! Suites are IANA names, OpenSSL names or hex code points, or classes by property:
//! `@null`, `@anon`, `@export`, `@rc4`, `@des`, `@3des`, `@md5`, `@cbc`, `@no_forward_secrecy`,
//! `@not_aead`. The fact rules (groups … `certificate_key`, in [`facts`]) are INCOMPLETE when
//! their section was not scanned or the entry they need was not determined. An unknown kind is
//! an error that names it, so an old tlsaudit never silently ignores a rule.

pub mod diff;
mod eval;
pub mod facts;
pub mod pq;
pub mod profiles;

use std::fmt;
use std::path::Path;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use toml::Spanned;

use crate::facts::{Severity, SuiteResult, TlsVersion};
use crate::wire::registry;
use crate::wire::{CipherSuite, NamedGroup, SignatureScheme};

pub use eval::evaluate;
pub use facts::{ListMode, FEATURES};

/// A loaded, checked policy.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    pub name: String,
    pub title: String,
    /// Where the rules come from (a URL or document), and which version of it.
    pub source: String,
    pub source_version: String,
    pub description: String,
    pub rules: Vec<Rule>,
    /// The TOML text the policy was read from (`tlsaudit policy show`).
    pub text: String,
    /// A built-in `name@version` profile, whose meaning no release changes (see
    /// [`profiles`]); `name` is then `name@version`.
    pub pinned: bool,
}

/// One rule: a stable dotted id, how bad a failure is, and what to change.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    pub id: String,
    pub severity: Severity,
    /// What the rule checks, in a few words.
    pub title: String,
    /// What to change when it fails.
    pub message: String,
    /// Where in its source the rule comes from: document, version and section
    /// (`SP 800-52r2 §3.1`); empty when the file gives none. A citation only: it never
    /// changes a verdict (which is why a pinned file may gain one, see [`profiles`]).
    pub source_section: String,
    pub kind: RuleKind,
}

/// What a rule checks.
#[derive(Debug, Clone, PartialEq)]
pub enum RuleKind {
    RequireAny {
        version: TlsVersion,
        suites: Vec<SuiteSpec>,
        only_if_offered: bool,
    },
    AllowOnly {
        versions: Vec<TlsVersion>,
        suites: Vec<SuiteSpec>,
    },
    Forbid {
        versions: Vec<TlsVersion>,
        suites: Vec<SuiteSpec>,
    },
    RequireVersion {
        versions: Vec<TlsVersion>,
    },
    ForbidVersion {
        version: TlsVersion,
    },
    MinVersion {
        version: TlsVersion,
    },
    MaxVersion {
        version: TlsVersion,
    },
    Certificate {
        forbid_findings: Vec<String>,
    },
    /// Named groups a version accepts (`TLSv1.2`: the ECDHE curves of the highest of TLS
    /// 1.0–1.2 the server speaks).
    Groups {
        versions: Vec<TlsVersion>,
        mode: ListMode,
        groups: Vec<NamedGroup>,
    },
    /// The finite-field group of TLS 1.0–1.2 DHE suites.
    Dhe {
        min_bits: u32,
        well_known: bool,
    },
    SignatureSchemes {
        versions: Vec<TlsVersion>,
        mode: ListMode,
        schemes: Vec<SignatureScheme>,
    },
    /// Yes/no facts of the features section (or weaknesses) must each be yes (`require:
    /// true`) or no: `feature = "id"`, or `features = [...]` for several in one rule.
    Feature {
        features: Vec<String>,
        require: bool,
    },
    /// These client profiles (built-in ids, families, `captured`, `declared`, `all`; resolved
    /// to ids when the policy loads) must connect, as the handshake simulation predicts from
    /// the facts.
    ClientsConnect {
        clients: Vec<String>,
    },
    /// TLS 1.3 must accept a post-quantum hybrid group (`preferred`: and a client offering
    /// one must get it). `deadline`: the date the policy's source sets for leaving
    /// classical-only key exchange, reported with the readiness, never compared with a clock.
    PostQuantum {
        preferred: bool,
        deadline: Option<String>,
    },
    /// The leaf key of every chain.
    CertificateKey {
        key_types: Vec<&'static str>,
        min_rsa_bits: Option<u32>,
        ec_curves: Vec<&'static str>,
    },
}

/// A suite in a rule: one code point, or a class of suites by property.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SuiteSpec {
    Suite(CipherSuite),
    Class(SuiteClass),
}

/// Classes of suites by property (`@export`, `@rc4` …), matched on the report's suite metadata.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SuiteClass {
    Null,
    Anon,
    Export,
    Rc4,
    Des,
    TripleDes,
    Md5,
    Cbc,
    NoForwardSecrecy,
    NotAead,
}

impl SuiteClass {
    const ALL: [(&'static str, SuiteClass); 10] = [
        ("@null", Self::Null),
        ("@anon", Self::Anon),
        ("@export", Self::Export),
        ("@rc4", Self::Rc4),
        ("@des", Self::Des),
        ("@3des", Self::TripleDes),
        ("@md5", Self::Md5),
        ("@cbc", Self::Cbc),
        ("@no_forward_secrecy", Self::NoForwardSecrecy),
        ("@not_aead", Self::NotAead),
    ];

    pub fn name(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(_, c)| *c == self)
            .map(|(n, _)| *n)
            .unwrap_or("@?")
    }

    fn parse(s: &str) -> Option<Self> {
        Self::ALL
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(s))
            .map(|(_, c)| *c)
    }

    fn matches(self, s: &SuiteResult) -> bool {
        match self {
            Self::Null => s.cipher == "NULL",
            Self::Anon => s.auth == "anon",
            Self::Export => s.export,
            Self::Rc4 => s.cipher == "RC4",
            Self::Des => s.cipher == "DES",
            Self::TripleDes => s.cipher == "3DES",
            Self::Md5 => s.mac == "MD5",
            Self::Cbc => s.mode == "CBC",
            Self::NoForwardSecrecy => !s.forward_secrecy,
            Self::NotAead => !s.aead,
        }
    }
}

impl SuiteSpec {
    /// Whether an accepted suite of the report falls under this spec.
    pub fn matches(&self, s: &SuiteResult) -> bool {
        match self {
            Self::Suite(cs) => s.code() == Some(u32::from(cs.0)),
            Self::Class(c) => c.matches(s),
        }
    }
}

impl fmt::Display for SuiteSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Suite(cs) => write!(f, "{cs}"),
            Self::Class(c) => f.write_str(c.name()),
        }
    }
}

/// The certificate finding ids a `certificate` rule may forbid: every id the certificates
/// stage raises, and the same under `cert.no_sni.` for the chain clients without SNI get.
pub fn is_cert_finding(id: &str) -> bool {
    use crate::certs::{ids::ALL, NO_SNI_PREFIX};
    if ALL.contains(&id) {
        return true;
    }
    // The no-SNI twin of an id that has one (not of a `cert.no_sni.*` id itself).
    id.strip_prefix(NO_SNI_PREFIX)
        .map(|rest| format!("cert.{rest}"))
        .is_some_and(|base| !base.starts_with(NO_SNI_PREFIX) && ALL.contains(&base.as_str()))
}

// ---- The judgement, as it appears in the JSON report ----

/// The outcome of one rule on one target.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum RuleStatus {
    Pass,
    Fail,
    /// The scan did not gather the facts this rule needs (section not scanned, failed, or
    /// not scheduled): never counted as a pass.
    Incomplete,
}

/// A target's verdict under a policy.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Compliant,
    NotCompliant,
    Incomplete,
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Compliant => "COMPLIANT",
            Self::NotCompliant => "NOT COMPLIANT",
            Self::Incomplete => "INCOMPLETE",
        })
    }
}

/// One rule's result, with the fact that decided it.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct RuleResult {
    /// The rule's stable dotted id (`suites.tls1_2.none_required`, `protocol.tls1_0.offered` …).
    pub id: String,
    pub severity: Severity,
    pub status: RuleStatus,
    /// What the rule checks.
    pub title: String,
    /// What to change when it fails.
    pub message: String,
    /// The facts that decided the status, for people.
    pub evidence: String,
    /// Where in the policy's source the rule comes from (`SP 800-52r2 §3.1`); absent when the
    /// policy file cites none.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub source_section: String,
}

/// A target judged by one policy.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct PolicyResult {
    /// The policy's name (`multisafepay`, `mozilla-intermediate`, `mozilla-intermediate@5.8`
    /// when pinned, or a custom one).
    pub policy: String,
    /// The version of its source the policy follows (`5.7` for Mozilla's guideline 5.7), as
    /// its file's `source_version` says; empty when the file says none.
    #[serde(default)]
    pub version: String,
    /// Whether the policy was a pinned built-in (`name@version`), whose verdicts no tlsaudit
    /// release changes. A bare name (`mozilla-intermediate`) follows its default version as
    /// the release that judged read it, and may gain rules in a later release.
    #[serde(default)]
    pub pinned: bool,
    pub verdict: Verdict,
    /// The lowest severity that makes a failed rule count against the verdict.
    pub fail_on: Severity,
    /// Rules left out on request (`--ignore-rule`).
    #[serde(default)]
    pub ignored: Vec<String>,
    /// Every rule's result, in the policy's order.
    pub rules: Vec<RuleResult>,
}

impl PolicyResult {
    /// Which version of its source the policy follows and whether that is pinned, for
    /// reports: `version 5.8, pinned`, or for a bare name with pinned versions `version 5.7, not
    /// pinned (pin --policy mozilla-intermediate@5.7 for rules no release changes)`.
    pub fn version_note(&self) -> String {
        let version = if self.version.is_empty() {
            "version not stated".to_string()
        } else {
            format!("version {}", self.version)
        };
        if self.pinned {
            return format!("{version}, pinned");
        }
        match profiles::default_version(&self.policy) {
            Some(v) => format!(
                "{version}, not pinned (pin --policy {}@{v} for rules no release changes)",
                self.policy
            ),
            None => format!("{version}, not pinned"),
        }
    }

    /// "5 of 7 rules passed; failing on error and above; ignored: a.b", for reports.
    pub fn summary(&self) -> String {
        let passed = self
            .rules
            .iter()
            .filter(|r| r.status == RuleStatus::Pass)
            .count();
        let ignored = if self.ignored.is_empty() {
            String::new()
        } else {
            format!("; ignored: {}", self.ignored.join(", "))
        };
        format!(
            "{passed} of {} rules passed; failing on {} and above{ignored}",
            self.rules.len(),
            self.fail_on.name()
        )
    }
}

impl PolicyResult {
    pub fn failed(&self) -> impl Iterator<Item = &RuleResult> {
        self.rules.iter().filter(|r| r.status == RuleStatus::Fail)
    }

    /// Whether a rule's result counts against the verdict at this `fail_on`.
    pub fn counts(&self, r: &RuleResult) -> bool {
        r.severity >= self.fail_on
    }
}

/// The verdict from the rule results: a counted failure makes it NOT COMPLIANT; otherwise a
/// counted incomplete rule makes it INCOMPLETE.
pub fn verdict(rules: &[RuleResult], fail_on: Severity) -> Verdict {
    let counted = || rules.iter().filter(|r| r.severity >= fail_on);
    if counted().any(|r| r.status == RuleStatus::Fail) {
        Verdict::NotCompliant
    } else if counted().any(|r| r.status == RuleStatus::Incomplete) {
        Verdict::Incomplete
    } else {
        Verdict::Compliant
    }
}

// ---- Loading ----

/// A policy that could not be loaded: says which file, line and field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyError(pub String);

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for PolicyError {}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPolicy {
    policy: RawMeta,
    #[serde(default)]
    rule: Vec<RawRule>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMeta {
    name: Spanned<String>,
    #[serde(default)]
    title: String,
    #[serde(default)]
    source: String,
    #[serde(default)]
    source_version: String,
    #[serde(default)]
    description: String,
}

/// A TOML list of strings, each with its place in the file.
type SpannedList = Spanned<Vec<Spanned<String>>>;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    id: Spanned<String>,
    kind: Spanned<String>,
    severity: Severity,
    message: String,
    #[serde(default)]
    title: Option<String>,
    /// A citation (any kind may have one): never part of the judgement.
    #[serde(default)]
    source_section: Option<String>,
    #[serde(default)]
    version: Option<Spanned<String>>,
    #[serde(default)]
    versions: Option<Spanned<Vec<Spanned<String>>>>,
    #[serde(default)]
    suites: Option<Spanned<Vec<Spanned<String>>>>,
    #[serde(default)]
    only_if_offered: Option<bool>,
    #[serde(default)]
    forbid_findings: Option<Spanned<Vec<Spanned<String>>>>,
    #[serde(default)]
    require_any: Option<Spanned<Vec<Spanned<String>>>>,
    #[serde(default)]
    allow_only: Option<Spanned<Vec<Spanned<String>>>>,
    #[serde(default)]
    forbid: Option<Spanned<Vec<Spanned<String>>>>,
    #[serde(default)]
    min_bits: Option<Spanned<u32>>,
    #[serde(default)]
    well_known: Option<Spanned<bool>>,
    #[serde(default)]
    feature: Option<Spanned<String>>,
    #[serde(default)]
    features: Option<SpannedList>,
    #[serde(default)]
    key_types: Option<Spanned<Vec<Spanned<String>>>>,
    #[serde(default)]
    min_rsa_bits: Option<Spanned<u32>>,
    #[serde(default)]
    ec_curves: Option<Spanned<Vec<Spanned<String>>>>,
    #[serde(default)]
    clients: Option<Spanned<Vec<Spanned<String>>>>,
    #[serde(default)]
    require: Option<Spanned<String>>,
    #[serde(default)]
    deadline: Option<Spanned<String>>,
}

/// Line and column (1-based) of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    // toml's spans fall on character boundaries; be safe if one does not.
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let col = before.chars().rev().take_while(|c| *c != '\n').count() + 1;
    (line, col)
}

/// The key of the `key = value` line that holds `offset`, or of the nearest one above it (for
/// an offset inside a multi-line array); `None` at a table header.
fn key_before(text: &str, offset: usize) -> Option<String> {
    let before = text.get(..offset).unwrap_or(text);
    let end_of_line = text[before.len()..]
        .find('\n')
        .map_or(text.len(), |i| before.len() + i);
    let upto = text.get(..end_of_line).unwrap_or(text);
    for line in upto.lines().rev() {
        let t = line.trim_start();
        if t.starts_with('[') && !t.starts_with("[\"") {
            return None;
        }
        if let Some((k, _)) = t.split_once('=') {
            let k = k.trim();
            if !k.is_empty()
                && k.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c))
            {
                return Some(k.to_string());
            }
        }
    }
    None
}

struct Ctx<'a> {
    origin: &'a str,
    text: &'a str,
}

impl Ctx<'_> {
    fn err(&self, span: std::ops::Range<usize>, field: &str, msg: String) -> PolicyError {
        let (line, col) = line_col(self.text, span.start);
        PolicyError(format!(
            "{}:{line}:{col}: field `{field}`: {msg}",
            self.origin
        ))
    }

    fn version(&self, s: &Spanned<String>, field: &str) -> Result<TlsVersion, PolicyError> {
        TlsVersion::parse(s.get_ref()).ok_or_else(|| {
            self.err(
                s.span(),
                field,
                format!(
                    "unknown protocol version '{}' (use SSLv2, SSLv3, TLSv1.0, TLSv1.1, TLSv1.2, TLSv1.3)",
                    s.get_ref()
                ),
            )
        })
    }

    fn suites(
        &self,
        list: &Option<Spanned<Vec<Spanned<String>>>>,
        kind: &Spanned<String>,
    ) -> Result<Vec<SuiteSpec>, PolicyError> {
        let Some(list) = list else {
            return Err(self.err(
                kind.span(),
                "suites",
                format!("a `{}` rule needs a `suites` list", kind.get_ref()),
            ));
        };
        if list.get_ref().is_empty() {
            return Err(self.err(list.span(), "suites", "the list is empty".into()));
        }
        list.get_ref()
            .iter()
            .map(|s| parse_suite(s.get_ref()).ok_or_else(|| {
                self.err(
                    s.span(),
                    "suites",
                    format!(
                        "unknown cipher suite '{}' (use an IANA or OpenSSL name, a hex code like 0xc02f, or a class: {})",
                        s.get_ref(),
                        SuiteClass::ALL.map(|(n, _)| n).join(", ")
                    ),
                )
            }))
            .collect()
    }

    /// `version = "…"` or `versions = [...]`; `None` when neither is given.
    fn versions(&self, r: &RawRule) -> Result<Option<Vec<TlsVersion>>, PolicyError> {
        match (&r.version, &r.versions) {
            (Some(v), None) => Ok(Some(vec![self.version(v, "version")?])),
            (None, Some(vs)) => {
                if vs.get_ref().is_empty() {
                    return Err(self.err(vs.span(), "versions", "the list is empty".into()));
                }
                let mut out = vs
                    .get_ref()
                    .iter()
                    .map(|v| self.version(v, "versions"))
                    .collect::<Result<Vec<_>, _>>()?;
                out.sort();
                out.dedup();
                Ok(Some(out))
            }
            (Some(v), Some(_)) => Err(self.err(
                v.span(),
                "version",
                "give `version` or `versions`, not both".into(),
            )),
            (None, None) => Ok(None),
        }
    }

    fn one_version(&self, r: &RawRule) -> Result<TlsVersion, PolicyError> {
        match self.versions(r)? {
            Some(v) if v.len() == 1 => Ok(v[0]),
            Some(_) => Err(self.err(
                r.versions
                    .as_ref()
                    .map(|v| v.span())
                    .unwrap_or(r.kind.span()),
                "versions",
                format!("a `{}` rule takes one `version`", r.kind.get_ref()),
            )),
            None => Err(self.err(
                r.kind.span(),
                "version",
                format!("a `{}` rule needs a `version`", r.kind.get_ref()),
            )),
        }
    }
}

impl Ctx<'_> {
    /// Exactly one of `require_any`, `allow_only`, `forbid`, not empty.
    fn mode_list<'r>(&self, r: &'r RawRule) -> Result<(ListMode, &'r SpannedList), PolicyError> {
        let given: Vec<_> = [
            (ListMode::RequireAny, &r.require_any),
            (ListMode::AllowOnly, &r.allow_only),
            (ListMode::Forbid, &r.forbid),
        ]
        .into_iter()
        .filter_map(|(m, l)| l.as_ref().map(|l| (m, l)))
        .collect();
        match given.as_slice() {
            [(m, l)] => {
                if l.get_ref().is_empty() {
                    Err(self.err(l.span(), m.key(), "the list is empty".into()))
                } else {
                    Ok((*m, l))
                }
            }
            [] => Err(self.err(
                r.kind.span(),
                "require_any",
                format!(
                    "a `{}` rule needs one of `require_any`, `allow_only`, `forbid`",
                    r.kind.get_ref()
                ),
            )),
            [_, (m, l), ..] => Err(self.err(
                l.span(),
                m.key(),
                format!(
                    "a `{}` rule takes one of `require_any`, `allow_only`, `forbid`",
                    r.kind.get_ref()
                ),
            )),
        }
    }

    fn names<T>(
        &self,
        list: &SpannedList,
        field: &str,
        what: &str,
        parse: impl Fn(&str) -> Option<T>,
    ) -> Result<Vec<T>, PolicyError> {
        if list.get_ref().is_empty() {
            return Err(self.err(list.span(), field, "the list is empty".into()));
        }
        list.get_ref()
            .iter()
            .map(|s| {
                parse(s.get_ref()).ok_or_else(|| {
                    self.err(s.span(), field, format!("unknown {what} '{}'", s.get_ref()))
                })
            })
            .collect()
    }

    /// Versions for group and signature-scheme rules: TLSv1.2 and/or TLSv1.3 (both when absent).
    fn fact_versions(&self, r: &RawRule) -> Result<Vec<TlsVersion>, PolicyError> {
        let vs = self
            .versions(r)?
            .unwrap_or(vec![TlsVersion::Tls12, TlsVersion::Tls13]);
        if let Some(bad) = vs
            .iter()
            .find(|v| !matches!(v, TlsVersion::Tls12 | TlsVersion::Tls13))
        {
            let span = r
                .version
                .as_ref()
                .map(|v| v.span())
                .or(r.versions.as_ref().map(|v| v.span()))
                .unwrap_or(r.kind.span());
            return Err(self.err(
                span,
                if r.version.is_some() {
                    "version"
                } else {
                    "versions"
                },
                format!(
                    "a `{}` rule judges TLSv1.2 and TLSv1.3 only, not {bad}",
                    r.kind.get_ref()
                ),
            ));
        }
        Ok(vs)
    }
}

fn parse_suite(s: &str) -> Option<SuiteSpec> {
    if s.starts_with('@') {
        return SuiteClass::parse(s).map(SuiteSpec::Class);
    }
    let lower = s.to_ascii_lowercase();
    if let Some(hex) = lower.strip_prefix("0x") {
        // A code point the registry does not know is still a valid thing to name.
        return u16::from_str_radix(hex, 16)
            .ok()
            .map(|v| SuiteSpec::Suite(CipherSuite(v)));
    }
    registry::suite_by_name(s).map(|i| SuiteSpec::Suite(i.id))
}

/// Only keys that only some kinds take; a key a kind does not use is an error, not ignored.
fn reject_unused(ctx: &Ctx<'_>, r: &RawRule, allowed: &[&str]) -> Result<(), PolicyError> {
    let present: [(&str, Option<std::ops::Range<usize>>); 18] = [
        ("version", r.version.as_ref().map(|v| v.span())),
        ("versions", r.versions.as_ref().map(|v| v.span())),
        ("suites", r.suites.as_ref().map(|v| v.span())),
        ("only_if_offered", r.only_if_offered.map(|_| r.kind.span())),
        (
            "forbid_findings",
            r.forbid_findings.as_ref().map(|v| v.span()),
        ),
        ("require_any", r.require_any.as_ref().map(|v| v.span())),
        ("allow_only", r.allow_only.as_ref().map(|v| v.span())),
        ("forbid", r.forbid.as_ref().map(|v| v.span())),
        ("min_bits", r.min_bits.as_ref().map(|v| v.span())),
        ("well_known", r.well_known.as_ref().map(|v| v.span())),
        ("feature", r.feature.as_ref().map(|v| v.span())),
        ("features", r.features.as_ref().map(|v| v.span())),
        ("key_types", r.key_types.as_ref().map(|v| v.span())),
        ("min_rsa_bits", r.min_rsa_bits.as_ref().map(|v| v.span())),
        ("ec_curves", r.ec_curves.as_ref().map(|v| v.span())),
        ("clients", r.clients.as_ref().map(|v| v.span())),
        ("require", r.require.as_ref().map(|v| v.span())),
        ("deadline", r.deadline.as_ref().map(|v| v.span())),
    ];
    for (name, span) in present {
        if let Some(span) = span {
            if !allowed.contains(&name) {
                return Err(ctx.err(
                    span,
                    name,
                    format!("a `{}` rule does not take `{name}`", r.kind.get_ref()),
                ));
            }
        }
    }
    Ok(())
}

impl Policy {
    /// Parses a policy from TOML text. `origin` (a file name) prefixes every error, which also
    /// names the line, column and field.
    pub fn from_toml(text: &str, origin: &str) -> Result<Policy, PolicyError> {
        let raw: RawPolicy = toml::from_str(text).map_err(|e| {
            let start = e.span().map(|s| s.start);
            let (line, col) = start.map(|s| line_col(text, s)).unwrap_or((0, 0));
            let field = start
                .and_then(|s| key_before(text, s))
                .map(|k| format!("field `{k}`: "))
                .unwrap_or_default();
            PolicyError(format!(
                "{origin}:{line}:{col}: {field}{}",
                e.message().trim_end()
            ))
        })?;
        let ctx = Ctx { origin, text };
        let name = raw.policy.name.get_ref().trim().to_string();
        if name.is_empty() || name.contains(char::is_whitespace) {
            return Err(ctx.err(
                raw.policy.name.span(),
                "name",
                "a policy name is one word (like `my-api`)".into(),
            ));
        }
        let mut rules = Vec::with_capacity(raw.rule.len());
        let mut seen = std::collections::HashSet::new();
        for r in &raw.rule {
            let id = r.id.get_ref().trim().to_string();
            if id.is_empty()
                || !id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
            {
                return Err(ctx.err(
                    r.id.span(),
                    "id",
                    format!("'{id}' is not a dotted id (letters, digits, `.`, `_`, `-`)"),
                ));
            }
            if !seen.insert(id.clone()) {
                return Err(ctx.err(r.id.span(), "id", format!("duplicate rule id '{id}'")));
            }
            let kind = match r.kind.get_ref().as_str() {
                "require_any" => {
                    reject_unused(&ctx, r, &["version", "versions", "suites", "only_if_offered"])?;
                    RuleKind::RequireAny {
                        version: ctx.one_version(r)?,
                        suites: ctx.suites(&r.suites, &r.kind)?,
                        only_if_offered: r.only_if_offered.unwrap_or(false),
                    }
                }
                "allow_only" => {
                    reject_unused(&ctx, r, &["version", "versions", "suites"])?;
                    let Some(versions) = ctx.versions(r)? else {
                        return Err(ctx.err(
                            r.kind.span(),
                            "version",
                            "an `allow_only` rule needs a `version` or `versions`".into(),
                        ));
                    };
                    RuleKind::AllowOnly {
                        versions,
                        suites: ctx.suites(&r.suites, &r.kind)?,
                    }
                }
                "forbid" => {
                    reject_unused(&ctx, r, &["version", "versions", "suites"])?;
                    RuleKind::Forbid {
                        versions: ctx.versions(r)?.unwrap_or_else(|| TlsVersion::ALL.to_vec()),
                        suites: ctx.suites(&r.suites, &r.kind)?,
                    }
                }
                "require_version" => {
                    reject_unused(&ctx, r, &["version", "versions"])?;
                    let Some(versions) = ctx.versions(r)? else {
                        return Err(ctx.err(
                            r.kind.span(),
                            "versions",
                            "a `require_version` rule needs a `version` or `versions`".into(),
                        ));
                    };
                    RuleKind::RequireVersion { versions }
                }
                "forbid_version" => {
                    reject_unused(&ctx, r, &["version", "versions"])?;
                    RuleKind::ForbidVersion {
                        version: ctx.one_version(r)?,
                    }
                }
                "min_version" => {
                    reject_unused(&ctx, r, &["version", "versions"])?;
                    RuleKind::MinVersion {
                        version: ctx.one_version(r)?,
                    }
                }
                "max_version" => {
                    reject_unused(&ctx, r, &["version", "versions"])?;
                    RuleKind::MaxVersion {
                        version: ctx.one_version(r)?,
                    }
                }
                "certificate" => {
                    reject_unused(&ctx, r, &["forbid_findings"])?;
                    let Some(list) = &r.forbid_findings else {
                        return Err(ctx.err(
                            r.kind.span(),
                            "forbid_findings",
                            "a `certificate` rule needs a `forbid_findings` list".into(),
                        ));
                    };
                    if list.get_ref().is_empty() {
                        return Err(ctx.err(
                            list.span(),
                            "forbid_findings",
                            "the list is empty".into(),
                        ));
                    }
                    let mut ids = Vec::new();
                    for f in list.get_ref() {
                        if !is_cert_finding(f.get_ref()) {
                            return Err(ctx.err(
                                f.span(),
                                "forbid_findings",
                                format!(
                                    "unknown certificate finding '{}' (known: {})",
                                    f.get_ref(),
                                    crate::certs::ids::ALL.join(", ")
                                ),
                            ));
                        }
                        ids.push(f.get_ref().clone());
                    }
                    RuleKind::Certificate { forbid_findings: ids }
                }
                "groups" => {
                    reject_unused(&ctx, r, &["version", "versions", "require_any", "allow_only", "forbid"])?;
                    let (mode, list) = ctx.mode_list(r)?;
                    RuleKind::Groups {
                        versions: ctx.fact_versions(r)?,
                        mode,
                        groups: ctx.names(list, mode.key(), "named group", facts::parse_group)?,
                    }
                }
                "signature_schemes" => {
                    reject_unused(&ctx, r, &["version", "versions", "require_any", "allow_only", "forbid"])?;
                    let (mode, list) = ctx.mode_list(r)?;
                    RuleKind::SignatureSchemes {
                        versions: ctx.fact_versions(r)?,
                        mode,
                        schemes: ctx.names(list, mode.key(), "signature scheme", facts::parse_scheme)?,
                    }
                }
                "dhe" => {
                    reject_unused(&ctx, r, &["min_bits", "well_known"])?;
                    if r.min_bits.is_none() && r.well_known.is_none() {
                        return Err(ctx.err(
                            r.kind.span(),
                            "min_bits",
                            "a `dhe` rule needs `min_bits` or `well_known = true`".into(),
                        ));
                    }
                    RuleKind::Dhe {
                        min_bits: r.min_bits.as_ref().map_or(0, |b| *b.get_ref()),
                        well_known: r.well_known.as_ref().is_some_and(|b| *b.get_ref()),
                    }
                }
                "require_feature" | "forbid_feature" => {
                    reject_unused(&ctx, r, &["feature", "features"])?;
                    let named: Vec<&Spanned<String>> = match (&r.feature, &r.features) {
                        (Some(f), None) => vec![f],
                        (None, Some(list)) if !list.get_ref().is_empty() => {
                            list.get_ref().iter().collect()
                        }
                        (Some(_), Some(list)) => {
                            return Err(ctx.err(
                                list.span(),
                                "features",
                                "give `feature` or `features`, not both".into(),
                            ))
                        }
                        _ => {
                            return Err(ctx.err(
                                r.kind.span(),
                                "feature",
                                format!(
                                    "a `{}` rule needs a `feature` (or a non-empty `features` list)",
                                    r.kind.get_ref()
                                ),
                            ))
                        }
                    };
                    let mut features = Vec::new();
                    for f in named {
                        if !facts::is_feature(f.get_ref()) {
                            return Err(ctx.err(
                                f.span(),
                                "feature",
                                format!(
                                    "unknown feature '{}' (known: {})",
                                    f.get_ref(),
                                    facts::feature_ids().join(", ")
                                ),
                            ));
                        }
                        features.push(f.get_ref().clone());
                    }
                    RuleKind::Feature {
                        features,
                        require: r.kind.get_ref() == "require_feature",
                    }
                }
                "clients_connect" => {
                    reject_unused(&ctx, r, &["clients"])?;
                    let Some(list) = &r.clients else {
                        return Err(ctx.err(
                            r.kind.span(),
                            "clients",
                            "a `clients_connect` rule needs `clients`".into(),
                        ));
                    };
                    let mut clients = Vec::new();
                    for name in list.get_ref() {
                        let chosen = crate::simulate::profile::select(name.get_ref())
                            .map_err(|e| ctx.err(name.span(), "clients", e.to_string()))?;
                        for p in chosen {
                            if !clients.contains(&p.id) {
                                clients.push(p.id);
                            }
                        }
                    }
                    RuleKind::ClientsConnect { clients }
                }
                "post_quantum" => {
                    reject_unused(&ctx, r, &["require", "deadline"])?;
                    let preferred = match r.require.as_ref().map(|s| (s.get_ref().as_str(), s.span())) {
                        None | Some(("hybrid", _)) => false,
                        Some(("preferred", _)) => true,
                        Some((other, span)) => {
                            return Err(ctx.err(
                                span,
                                "require",
                                format!("unknown requirement '{other}' (use hybrid or preferred)"),
                            ))
                        }
                    };
                    let deadline = match &r.deadline {
                        None => None,
                        Some(d) if is_date(d.get_ref()) => Some(d.get_ref().clone()),
                        Some(d) => {
                            return Err(ctx.err(
                                d.span(),
                                "deadline",
                                format!("'{}' is not a date (YYYY-MM-DD)", d.get_ref()),
                            ))
                        }
                    };
                    RuleKind::PostQuantum { preferred, deadline }
                }
                "certificate_key" => {
                    reject_unused(&ctx, r, &["key_types", "min_rsa_bits", "ec_curves"])?;
                    if r.key_types.is_none() && r.min_rsa_bits.is_none() && r.ec_curves.is_none() {
                        return Err(ctx.err(
                            r.kind.span(),
                            "key_types",
                            "a `certificate_key` rule needs `key_types`, `min_rsa_bits` or `ec_curves`".into(),
                        ));
                    }
                    let key_types = match &r.key_types {
                        None => vec![],
                        Some(l) => ctx.names(l, "key_types", "key type", facts::parse_key_type)?,
                    };
                    let ec_curves = match &r.ec_curves {
                        None => vec![],
                        Some(l) => ctx.names(l, "ec_curves", "certificate curve", facts::parse_cert_curve)?,
                    };
                    RuleKind::CertificateKey {
                        key_types,
                        min_rsa_bits: r.min_rsa_bits.as_ref().map(|b| *b.get_ref()),
                        ec_curves,
                    }
                }
                other => {
                    return Err(ctx.err(
                        r.kind.span(),
                        "kind",
                        format!(
                            "unknown rule kind '{other}' (known: require_any, allow_only, forbid, require_version, forbid_version, min_version, max_version, certificate, groups, dhe, signature_schemes, require_feature, forbid_feature, certificate_key, clients_connect, post_quantum)"
                        ),
                    ))
                }
            };
            let title = r.title.clone().unwrap_or_else(|| default_title(&kind));
            rules.push(Rule {
                id,
                severity: r.severity,
                title,
                message: r.message.trim().to_string(),
                source_section: r
                    .source_section
                    .as_deref()
                    .unwrap_or_default()
                    .trim()
                    .to_string(),
                kind,
            });
        }
        Ok(Policy {
            name,
            title: raw.policy.title,
            source: raw.policy.source,
            source_version: raw.policy.source_version,
            description: raw.policy.description,
            rules,
            text: text.to_string(),
            pinned: false,
        })
    }

    /// A built-in profile by name, or a TOML file by path. `none` is not a policy (the CLI
    /// handles it).
    ///
    /// ```
    /// use tlsaudit::policy::{profiles, Policy};
    ///
    /// let policy = Policy::load(profiles::DEFAULT).unwrap();
    /// assert_eq!(policy.name, "multisafepay");
    /// assert!(!policy.rules.is_empty());
    /// // An unknown name that is not a path either says what exists.
    /// let e = Policy::load("no-such-profile").unwrap_err();
    /// assert!(e.to_string().contains("no built-in policy"));
    /// // A pinned version: its meaning never changes from one release to the next.
    /// let pinned = Policy::load("mozilla-intermediate@5.8").unwrap();
    /// assert!(pinned.pinned);
    /// assert_eq!(pinned.source_version, "5.8");
    /// ```
    pub fn load(name_or_path: &str) -> Result<Policy, PolicyError> {
        if let Some(text) = profiles::builtin(name_or_path) {
            let mut p = Policy::from_toml(text, &format!("built-in policy {name_or_path}"))?;
            if name_or_path.contains('@') {
                // The file names itself; a copy under the wrong name would pin the wrong rules.
                if p.name != name_or_path {
                    return Err(PolicyError(format!(
                        "built-in policy {name_or_path} names itself {}",
                        p.name
                    )));
                }
                p.pinned = true;
            }
            return Ok(p);
        }
        let path = Path::new(name_or_path);
        if name_or_path.contains('@') && !path.exists() {
            return Err(PolicyError(profiles::unknown_pinned(name_or_path)));
        }
        if !path.exists() && !name_or_path.contains(['/', '.']) {
            return Err(PolicyError(format!(
                "no built-in policy '{name_or_path}' and no such file (built-in: {}, or none)",
                profiles::NAMES.join(", ")
            )));
        }
        let text = std::fs::read_to_string(path)
            .map_err(|e| PolicyError(format!("cannot read policy {name_or_path}: {e}")))?;
        Policy::from_toml(&text, name_or_path)
    }

    /// The policy without the rules whose ids are listed (`--ignore-rule`). Unknown ids are an
    /// error so that a typo never waives nothing in silence.
    pub fn without(mut self, ids: &[String]) -> Result<Policy, PolicyError> {
        for id in ids {
            if !self.rules.iter().any(|r| &r.id == id) {
                return Err(PolicyError(format!(
                    "--ignore-rule {id}: policy {} has no such rule (its rules: {})",
                    self.name,
                    self.rules
                        .iter()
                        .map(|r| r.id.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )));
            }
        }
        self.rules.retain(|r| !ids.contains(&r.id));
        Ok(self)
    }

    /// The protocol versions a server following this policy would offer, oldest first: every
    /// version no rule forbids (`forbid_version` of any severity, `min_version`, `max_version`).
    /// A policy that says nothing about versions allows them all.
    pub fn allowed_versions(&self) -> Vec<TlsVersion> {
        TlsVersion::ALL
            .into_iter()
            .filter(|v| {
                self.rules.iter().all(|r| match &r.kind {
                    RuleKind::ForbidVersion { version } => version != v,
                    RuleKind::MinVersion { version } => v >= version,
                    RuleKind::MaxVersion { version } => v <= version,
                    _ => true,
                })
            })
            .collect()
    }

    /// The cipher suites a server following this policy would accept in `version`, in the
    /// policy's order of preference (the order its list gives them): the `allow_only` list for
    /// that version when there is one, otherwise the `require_any` lists; minus every suite a
    /// `forbid` rule names. Classes (`@cbc` …) are not suites and are left out of the lists.
    ///
    /// `None` when the version is not allowed, or when the policy names no suites for it
    /// (then any suite is acceptable to it).
    ///
    /// For the client check: a client that shares at least one of these suites in one of
    /// [`Policy::allowed_versions`] can talk to such a server.
    pub fn server_suites(&self, version: TlsVersion) -> Option<Vec<CipherSuite>> {
        if !self.allowed_versions().contains(&version) {
            return None;
        }
        let concrete = |specs: &[SuiteSpec], out: &mut Vec<CipherSuite>| {
            for s in specs {
                if let SuiteSpec::Suite(cs) = s {
                    if !out.contains(cs) {
                        out.push(*cs);
                    }
                }
            }
        };
        let mut list = Vec::new();
        let allow: Vec<_> = self
            .rules
            .iter()
            .filter_map(|r| match &r.kind {
                RuleKind::AllowOnly { versions, suites } if versions.contains(&version) => {
                    Some(suites)
                }
                _ => None,
            })
            .collect();
        if allow.is_empty() {
            for r in &self.rules {
                if let RuleKind::RequireAny {
                    version: v, suites, ..
                } = &r.kind
                {
                    if *v == version {
                        concrete(suites, &mut list);
                    }
                }
            }
        } else {
            // Several allow_only rules for one version: a suite must pass each of them.
            concrete(allow[0], &mut list);
            list.retain(|cs| {
                allow[1..].iter().all(|a| {
                    a.iter()
                        .any(|s| matches!(s, SuiteSpec::Suite(x) if x == cs))
                })
            });
        }
        if list.is_empty() {
            return None;
        }
        let forbidden: Vec<&SuiteSpec> = self
            .rules
            .iter()
            .filter_map(|r| match &r.kind {
                RuleKind::Forbid { versions, suites } if versions.contains(&version) => {
                    Some(suites)
                }
                _ => None,
            })
            .flatten()
            .collect();
        list.retain(|cs| {
            let s = SuiteResult::from_suite(*cs);
            !forbidden.iter().any(|f| f.matches(&s))
        });
        Some(list)
    }
}

/// `YYYY-MM-DD` with a month 01-12 and a day 01-31.
fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && digits(0..4)
        && digits(5..7)
        && digits(8..10)
        && (1..=12).contains(&s[5..7].parse::<u8>().unwrap_or(0))
        && (1..=31).contains(&s[8..10].parse::<u8>().unwrap_or(0))
}

fn mode_words(mode: ListMode) -> &'static str {
    match mode {
        ListMode::RequireAny => "at least one of the",
        ListMode::AllowOnly => "only the",
        ListMode::Forbid => "none of the",
    }
}

fn default_title(kind: &RuleKind) -> String {
    let names = |vs: &[TlsVersion]| vs.iter().map(|v| v.name()).collect::<Vec<_>>().join(", ");
    match kind {
        RuleKind::RequireAny {
            version, suites, ..
        } => format!(
            "{version} must accept at least one of {} listed suites",
            suites.len()
        ),
        RuleKind::AllowOnly { versions, .. } => {
            format!("{} must accept only the listed suites", names(versions))
        }
        RuleKind::Forbid { .. } => "none of the listed suites may be accepted".into(),
        RuleKind::RequireVersion { versions } => {
            format!("one of {} must be offered", names(versions))
        }
        RuleKind::ForbidVersion { version } => format!("{version} must not be offered"),
        RuleKind::MinVersion { version } => format!("nothing older than {version} may be offered"),
        RuleKind::MaxVersion { version } => format!("nothing newer than {version} may be offered"),
        RuleKind::Certificate { .. } => {
            "the certificate must have none of the listed problems".into()
        }
        RuleKind::Groups {
            versions,
            mode,
            groups,
        } => format!(
            "{} groups: {} {} listed",
            names(versions),
            mode_words(*mode),
            groups.len()
        ),
        RuleKind::SignatureSchemes {
            versions,
            mode,
            schemes,
        } => format!(
            "{} signature schemes: {} {} listed",
            names(versions),
            mode_words(*mode),
            schemes.len()
        ),
        RuleKind::Dhe {
            min_bits,
            well_known,
        } => match (*min_bits, *well_known) {
            (0, _) => "the DHE group must be a well-known group".into(),
            (b, false) => format!("the DHE prime must have at least {b} bits"),
            (b, true) => format!("the DHE group must be a well-known group of at least {b} bits"),
        },
        RuleKind::Feature { features, require } => {
            format!(
                "{} {}",
                features.join(", "),
                if *require { "required" } else { "forbidden" }
            )
        }
        RuleKind::CertificateKey { .. } => "the certificate key must be of the listed kind".into(),
        RuleKind::ClientsConnect { clients } => {
            format!("these clients must connect: {}", clients.join(", "))
        }
        RuleKind::PostQuantum {
            preferred,
            deadline,
        } => {
            let what = if *preferred {
                "a post-quantum hybrid group must be offered and preferred"
            } else {
                "a post-quantum hybrid group must be offered"
            };
            match deadline {
                Some(d) => format!("{what} (deadline {d})"),
                None => what.to_string(),
            }
        }
    }
}

#[cfg(test)]
mod tests;
