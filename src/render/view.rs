//! What the reports decide before any format shows it: how a suite, a version, a grade or a
//! finding reads (its [`Tone`]), which notes a chain gets, which features are listed and which
//! answer is good. The text report shows a tone as a colour and the HTML report as a CSS class;
//! both take the words from here, so that the two never disagree.

use std::fmt::Write as _;

use crate::facts::certs::{CertChain, CertInfo, ChainVerdicts, PublicKeyInfo};
use crate::facts::weaknesses::weakness;
use crate::facts::{Answer, DheGroup, Fact, FeaturesSection, GroupResult, Severity};
use crate::facts::{HttpSection, Verdict as WeaknessVerdict, WeaknessesSection};
use crate::facts::{SuiteResult, TlsVersion};
use crate::grade::{Grade, Letter};
use crate::policy::{RuleStatus, Verdict};

/// How a piece of a report reads to a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    Good,
    Weak,
    Bad,
    /// Secondary: said, but not a judgement.
    Dim,
}

impl Tone {
    /// "good", "weak", "bad", "dim".
    pub fn name(self) -> &'static str {
        match self {
            Tone::Good => "good",
            Tone::Weak => "weak",
            Tone::Bad => "bad",
            Tone::Dim => "dim",
        }
    }
}

/// Words for the report, and how they read (None: plain).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phrase {
    pub text: String,
    pub tone: Option<Tone>,
}

impl Phrase {
    fn plain(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            tone: None,
        }
    }

    fn toned(tone: Tone, text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            tone: Some(tone),
        }
    }
}

/// How a cipher suite or a protocol version reads: broken, weak, or fine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rating {
    Good,
    Weak,
    Insecure,
}

impl Rating {
    /// "good", "weak", "insecure".
    pub fn name(self) -> &'static str {
        match self {
            Rating::Good => "good",
            Rating::Weak => "weak",
            Rating::Insecure => "insecure",
        }
    }

    pub fn tone(self) -> Tone {
        match self {
            Rating::Good => Tone::Good,
            Rating::Weak => Tone::Weak,
            Rating::Insecure => Tone::Bad,
        }
    }
}

/// How a suite reads to a person: broken, weak, or fine.
pub fn suite_rating(s: &SuiteResult) -> Rating {
    let broken = s.export
        || matches!(s.cipher.as_str(), "NULL" | "RC4" | "RC2" | "DES")
        || s.auth == "anon"
        || s.mac == "MD5" && !s.aead
        || (s.bits > 0 && s.bits < 112);
    if broken {
        Rating::Insecure
    } else if !s.forward_secrecy || s.mode == "CBC" || s.cipher == "3DES" {
        Rating::Weak
    } else {
        Rating::Good
    }
}

/// "ECDHE/RSA"; None for TLS 1.3 suites, which leave key exchange and authentication open.
pub fn suite_key_exchange(s: &SuiteResult) -> Option<String> {
    (s.kx != "any").then(|| format!("{}/{}", s.kx, s.auth))
}

/// How an offered version reads, and the word that says why ("" when it is fine).
pub fn version_rating(v: TlsVersion) -> (Rating, &'static str) {
    match v {
        TlsVersion::Ssl2 | TlsVersion::Ssl3 => (Rating::Insecure, "insecure"),
        TlsVersion::Tls10 | TlsVersion::Tls11 => (Rating::Weak, "deprecated"),
        TlsVersion::Tls12 | TlsVersion::Tls13 => (Rating::Good, ""),
    }
}

/// Whose order the cipher suites of a version are chosen in.
pub fn suite_order(server_preference: Option<bool>) -> &'static str {
    match server_preference {
        Some(true) => "server order",
        Some(false) => "client order (server has no preference)",
        None => "order not determined",
    }
}

/// Whose order the groups of a version are chosen in; nothing when not determined.
pub fn group_order(server_preference: Option<bool>) -> &'static str {
    match server_preference {
        Some(true) => "server order",
        Some(false) => "client order",
        None => "",
    }
}

/// A group's name; post-quantum hybrids are marked, and read as good.
pub fn group(g: &GroupResult) -> Phrase {
    if g.post_quantum {
        Phrase::toned(Tone::Good, format!("{} (PQ)", g.name))
    } else {
        Phrase::plain(g.name.clone())
    }
}

/// "DHE 2048-bit prime, ffdhe2048 (RFC 7919)"; bad below 2048 bits.
pub fn dhe(d: &DheGroup) -> Phrase {
    let known = match (&d.known_group, &d.known_source) {
        (Some(n), Some(s)) => format!("{n} ({s})"),
        _ => "custom prime".into(),
    };
    let text = format!("DHE {}-bit prime, {}", d.prime_bits, known);
    if d.prime_bits < 2048 {
        Phrase::toned(Tone::Bad, text)
    } else {
        Phrase::plain(text)
    }
}

/// Signature schemes on SHA-1 or MD5 read as weak.
pub fn signature_scheme_tone(name: &str) -> Option<Tone> {
    (name.contains("sha1") || name.contains("md5")).then_some(Tone::Weak)
}

/// A feature's answer as a word ("yes", "no", "n/a", "?"), good or bad when the row says which
/// answer is good.
pub fn answer(f: &Fact, good_when_yes: Option<bool>) -> (&'static str, Option<Tone>) {
    let (word, good) = match f.answer {
        Answer::Yes => ("yes", good_when_yes),
        Answer::No => ("no", good_when_yes.map(|g| !g)),
        Answer::NotApplicable => ("n/a", None),
        Answer::NotDetermined => ("?", None),
    };
    let tone = good.map(|g| if g { Tone::Good } else { Tone::Bad });
    (word, tone)
}

/// The features, one row each: label, the fact, and whether "yes" is good (None: neither).
pub fn feature_rows(f: &FeaturesSection) -> Vec<(&'static str, Fact, Option<bool>)> {
    let mut ticket_resumption = f.session_ticket_resumption.clone();
    if let Some(l) = f.session_ticket_lifetime_hint {
        ticket_resumption
            .evidence
            .push_str(&format!("; lifetime hint {l} s"));
    }
    let alpn = Fact::new(
        if !f.alpn.is_empty() {
            Answer::Yes
        } else if f.alpn_evidence.starts_with("no protocol selected") {
            Answer::No
        } else {
            Answer::NotDetermined
        },
        if f.alpn.is_empty() {
            f.alpn_evidence.clone()
        } else {
            f.alpn.join(", ")
        },
    );
    vec![
        (
            "secure renegotiation",
            f.secure_renegotiation.clone(),
            Some(true),
        ),
        (
            "TLS_FALLBACK_SCSV honoured",
            f.fallback_scsv.clone(),
            Some(true),
        ),
        ("TLS compression", f.compression.clone(), Some(false)),
        ("session id issued", f.session_id_issued.clone(), None),
        (
            "session id resumption",
            f.session_id_resumption.clone(),
            None,
        ),
        (
            "session ticket advertised",
            f.session_ticket_advertised.clone(),
            None,
        ),
        ("session ticket resumption", ticket_resumption, None),
        ("TLS 1.3 tickets", f.tls13_tickets_issued.clone(), None),
        (
            "TLS 1.3 PSK resumption",
            f.tls13_psk_resumption.clone(),
            None,
        ),
        (
            "0-RTT early data accepted",
            f.early_data_accepted.clone(),
            None,
        ),
        ("OCSP stapling", f.ocsp_stapling.clone(), Some(true)),
        (
            "extended master secret",
            f.extended_master_secret.clone(),
            Some(true),
        ),
        ("encrypt-then-MAC", f.encrypt_then_mac.clone(), None),
        ("heartbeat", f.heartbeat.clone(), Some(false)),
        (
            "Heartbleed (CVE-2014-0160)",
            f.heartbleed.clone(),
            Some(false),
        ),
        (
            "TLS 1.3 downgrade sentinel",
            f.downgrade_sentinel.clone(),
            Some(true),
        ),
        ("max_fragment_length", f.max_fragment_length.clone(), None),
        (
            "client certificate requested",
            f.client_certificate_requested.clone(),
            None,
        ),
        ("ALPN", alpn, None),
    ]
}

/// One row of the weaknesses block: the decisions both formats show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WeaknessRow {
    /// The name people know it by ("Heartbleed"), or the id when unknown.
    pub title: &'static str,
    pub cve: Option<String>,
    /// "yes", "no", "n/a", "?".
    pub word: &'static str,
    /// Yes is bad (weak for an informational one, LUCKY13), no is good.
    pub tone: Option<Tone>,
    pub evidence: String,
}

/// The weaknesses, present ones first (then undetermined, absent, not applicable), each in
/// report order within its kind.
pub fn weakness_rows(w: &WeaknessesSection) -> Vec<WeaknessRow> {
    let rank = |v: WeaknessVerdict| match v {
        WeaknessVerdict::Yes => 0,
        WeaknessVerdict::NotDetermined => 1,
        WeaknessVerdict::No => 2,
        WeaknessVerdict::NotApplicable => 3,
    };
    let mut checks: Vec<_> = w.checks.iter().collect();
    checks.sort_by_key(|c| rank(c.result));
    checks
        .into_iter()
        .map(|c| {
            let (word, tone) = match c.result {
                WeaknessVerdict::Yes if c.severity == Severity::Info => ("yes", Some(Tone::Weak)),
                WeaknessVerdict::Yes => ("yes", Some(Tone::Bad)),
                WeaknessVerdict::No => ("no", Some(Tone::Good)),
                WeaknessVerdict::NotApplicable => ("n/a", None),
                WeaknessVerdict::NotDetermined => ("?", None),
            };
            WeaknessRow {
                title: weakness(&c.id).map_or("unknown", |i| i.title),
                cve: c.cve.clone(),
                word,
                tone,
                evidence: c.evidence.clone(),
            }
        })
        .collect()
}

/// "trusted (mozilla, system)" or "not trusted".
pub fn chain_trust(v: &ChainVerdicts) -> Phrase {
    if v.trusted {
        let stores: Vec<&str> = v
            .trust
            .iter()
            .filter(|t| t.trusted)
            .map(|t| t.store.as_str())
            .collect();
        Phrase::toned(Tone::Good, format!("trusted ({})", stores.join(", ")))
    } else {
        Phrase::toned(Tone::Bad, "not trusted")
    }
}

/// "matches NAME", "does not match NAME" or "no name checked".
pub fn chain_host(v: &ChainVerdicts) -> Phrase {
    match (v.hostname_matches, &v.hostname) {
        (Some(true), Some(h)) => Phrase::toned(Tone::Good, format!("matches {h}")),
        (Some(false), Some(h)) => Phrase::toned(Tone::Bad, format!("does not match {h}")),
        _ => Phrase::plain("no name checked"),
    }
}

/// "TLSv1.2 offering RSA, TLSv1.3 offering any": the handshakes that returned the chain.
pub fn chain_sources(c: &CertChain) -> String {
    let via: Vec<String> = c.obtained.iter().map(|o| o.describe()).collect();
    via.join(", ")
}

/// What else to say about a chain: how it is served, what is wrong with it, its OCSP staple.
pub fn chain_notes(c: &CertChain) -> Vec<Phrase> {
    let v = &c.verdicts;
    let mut notes = Vec::new();
    if c.only_without_sni() {
        notes.push(Phrase::plain(
            "default chain: only clients without SNI get it",
        ));
    }
    if !v.order_correct {
        notes.push(Phrase::toned(Tone::Bad, "served out of order"));
    }
    if let Some(m) = &v.missing_issuer {
        notes.push(Phrase::toned(
            Tone::Bad,
            format!("missing intermediate {m}"),
        ));
    }
    if v.self_signed {
        notes.push(Phrase::plain("self-signed"));
    }
    if v.contains_root {
        notes.push(Phrase::plain("contains the root"));
    }
    notes.push(Phrase::plain(c.ocsp_staple.describe()));
    notes
}

/// "path: leaf → intermediate → root", when a path was built.
pub fn chain_path(v: &ChainVerdicts) -> Option<String> {
    (!v.path.is_empty()).then(|| format!("path: {}", v.path.join(" → ")))
}

/// "RSA 2048", "EC P-256".
pub fn public_key(k: &PublicKeyInfo) -> String {
    match &k.curve {
        Some(curve) => format!("{} {curve}", k.algorithm),
        None => format!("{} {}", k.algorithm, k.bits),
    }
}

/// The date of an RFC 3339 time.
pub fn date(rfc3339: &str) -> &str {
    rfc3339.get(..10).unwrap_or(rfc3339)
}

/// "90 days left", or "expired 3 days ago" (bad).
pub fn days_left(c: &CertInfo) -> Phrase {
    if c.days_left < 0 {
        Phrase::toned(Tone::Bad, format!("expired {} days ago", -c.days_left))
    } else {
        Phrase::plain(format!("{} days left", c.days_left))
    }
}

/// "valid 90 days" or "valid 6 days, short-lived"; nothing when the dates were not read.
pub fn validity(c: &CertInfo) -> Option<String> {
    (c.validity_days > 0).then(|| {
        let short = if c.short_lived { ", short-lived" } else { "" };
        format!("valid {} days{short}", c.validity_days)
    })
}

/// Where the certificate says its revocation status is published: "OCSP http://… · CRL
/// http://…"; nothing when it names neither.
pub fn revocation(c: &CertInfo) -> Option<String> {
    let mut parts = Vec::new();
    if !c.ocsp_urls.is_empty() {
        parts.push(format!("OCSP {}", c.ocsp_urls.join(", ")));
    }
    if !c.crl_urls.is_empty() {
        parts.push(format!("CRL {}", c.crl_urls.join(", ")));
    }
    (!parts.is_empty()).then(|| parts.join(" · "))
}

/// Post-quantum readiness in one line: the status (toned), the post-quantum groups, the
/// classical certificate keys and the policy's deadlines.
pub fn post_quantum(pq: &crate::policy::pq::PostQuantum) -> (Phrase, String) {
    use crate::policy::pq::PqStatus;
    let groups: Vec<&str> = pq
        .hybrid_groups
        .iter()
        .chain(&pq.pure_groups)
        .map(String::as_str)
        .collect();
    let status = match pq.status {
        PqStatus::Preferred => Phrase::toned(
            Tone::Good,
            format!("{} offered and preferred", groups.join(", ")),
        ),
        PqStatus::Offered => Phrase::plain(format!(
            "{} offered, not preferred by the server",
            groups.join(", ")
        )),
        PqStatus::ClassicalOnly => Phrase::toned(Tone::Weak, "classical key exchange only"),
        PqStatus::NotDetermined => Phrase::plain("not determined"),
    };
    let mut rest = vec![pq.evidence.clone()];
    if !pq.classical_certificate_keys.is_empty() {
        rest.push(format!(
            "classical certificate keys: {}",
            pq.classical_certificate_keys.join(", ")
        ));
    }
    for d in &pq.deadlines {
        rest.push(format!(
            "{} sets {} for leaving classical-only key exchange ({})",
            d.policy, d.date, d.rule
        ));
    }
    (status, rest.join("; "))
}

/// How a finding or a rule of that severity reads.
pub fn severity_tone(s: Severity) -> Tone {
    match s {
        Severity::Error => Tone::Bad,
        Severity::Warning => Tone::Weak,
        Severity::Info => Tone::Dim,
    }
}

/// How a policy verdict reads.
pub fn verdict_tone(v: Verdict) -> Tone {
    match v {
        Verdict::Compliant => Tone::Good,
        Verdict::NotCompliant => Tone::Bad,
        Verdict::Incomplete => Tone::Weak,
    }
}

/// "FAIL" or "INCOMPLETE": a rule that did not pass.
pub fn rule_label(status: RuleStatus) -> &'static str {
    match status {
        RuleStatus::Fail => "FAIL",
        _ => "INCOMPLETE",
    }
}

/// How a grade letter reads: good, weak or bad.
pub fn grade_tone(l: Letter) -> Tone {
    match l {
        Letter::APlus | Letter::A | Letter::AMinus => Tone::Good,
        Letter::B | Letter::C => Tone::Weak,
        Letter::D | Letter::E | Letter::F | Letter::T | Letter::M => Tone::Bad,
    }
}

/// "A+", "A (incomplete)", "T (A+ once the certificate is fixed)".
pub fn grade_label(g: &Grade) -> String {
    let mut s = g.letter.to_string();
    if let Some(l) = g.ignoring_certificate {
        let _ = write!(s, " ({l} once the certificate is fixed)");
    }
    if g.incomplete {
        s.push_str(" (incomplete)");
    }
    s
}

/// "score 91: protocol 95, key exchange 90, cipher 90".
pub fn score_line(g: &Grade) -> String {
    format!(
        "score {}: protocol {}, key exchange {}, cipher {} (SSL Labs rating guide {})",
        g.score,
        g.protocol_score,
        g.key_exchange_score
            .map_or_else(|| "not judged".to_string(), |k| k.to_string()),
        g.cipher_score,
        g.guide
    )
}

/// The HTTP section as label / value rows, for both formats (a completed section only).
pub fn http_rows(h: &HttpSection) -> Vec<(&'static str, String)> {
    let hsts = match &h.hsts {
        None => "none".to_string(),
        Some(hsts) => {
            let mut parts = vec![match hsts.max_age {
                Some(a) => format!("max-age={a} ({} days)", a / 86_400),
                None => format!("invalid, ignored by browsers (\"{}\")", hsts.header),
            }];
            if hsts.include_subdomains {
                parts.push("includeSubDomains".into());
            }
            if hsts.preload {
                parts.push("preload".into());
            }
            parts.join(", ")
        }
    };
    let compression = match h.compression.as_deref() {
        Some(c) if crate::facts::http::is_compressed(c) => format!("{c} (BREACH)"),
        Some(c) => c.to_string(),
        None => "none".into(),
    };
    vec![
        (
            "status",
            h.status_code.map_or_else(|| "-".into(), |c| c.to_string()),
        ),
        ("HSTS", hsts),
        ("compression", compression),
        ("server", h.server.clone().unwrap_or_else(|| "-".into())),
        ("over", h.fetched_over.clone().unwrap_or_else(|| "-".into())),
    ]
}

/// One ECHConfig in a line: "id 7, DHKEM(X25519, HKDF-SHA256), HKDF-SHA256/AES-128-GCM,
/// public name public.example (max name 64), usable".
pub fn ech_config_line(c: &crate::facts::ech::EchConfigInfo) -> String {
    let Some(id) = c.config_id else {
        return format!("version {}: not decoded", c.version);
    };
    let suites: Vec<String> = c
        .cipher_suites
        .iter()
        .map(|s| format!("{}/{}", s.kdf.name, s.aead.name))
        .collect();
    let mut line = format!(
        "id {id}, {}, {}, public name {} (max name {})",
        c.kem.as_ref().map_or("-", |k| k.name.as_str()),
        suites.join(" "),
        c.public_name.as_deref().unwrap_or("-"),
        c.maximum_name_length.unwrap_or(0)
    );
    if !c.extensions.is_empty() {
        let _ = write!(line, ", {} extension(s)", c.extensions.len());
    }
    match (&c.problem, c.usable) {
        (Some(p), _) => {
            let _ = write!(line, ", unusable: {p}");
        }
        (None, true) => line.push_str(", usable"),
        (None, false) => line.push_str(", not usable by this client"),
    }
    line
}

/// The lines of an ECHConfigList: one per config, or why it did not decode.
pub fn ech_config_lines(list: &crate::facts::ech::EchConfigListInfo) -> Vec<String> {
    match &list.error {
        Some(e) => vec![e.clone()],
        None => list.configs.iter().map(ech_config_line).collect(),
    }
}

/// The HTTPS record section as label / value rows, for both formats (a completed section).
pub fn https_record_rows(s: &crate::facts::HttpsRecordSection) -> Vec<(String, String)> {
    let mut rows = vec![(
        "asked".to_string(),
        format!("{} (resolver {})", s.queried.join(" → "), s.resolver),
    )];
    if s.records.is_empty() {
        rows.push((
            "records".into(),
            format!("none ({})", s.rcode.as_deref().unwrap_or("no answer")),
        ));
    }
    for (i, r) in s.records.iter().enumerate() {
        let mut line = if r.alias_mode {
            format!("{} alias → {}", r.name, r.target)
        } else {
            format!("{} priority {} target {}", r.name, r.priority, r.target)
        };
        if !r.alpn.is_empty() {
            let _ = write!(line, " alpn={}", r.alpn.join(","));
        }
        if r.no_default_alpn {
            line.push_str(" no-default-alpn");
        }
        if let Some(p) = r.port {
            let _ = write!(line, " port={p}");
        }
        if !r.ipv4hint.is_empty() {
            let _ = write!(line, " ipv4hint={}", r.ipv4hint.join(","));
        }
        if !r.ipv6hint.is_empty() {
            let _ = write!(line, " ipv6hint={}", r.ipv6hint.join(","));
        }
        if !r.mandatory.is_empty() {
            let _ = write!(line, " mandatory={}", r.mandatory.join(","));
        }
        for p in &r.other_params {
            let _ = write!(line, " {p}");
        }
        if r.ech.is_some() {
            line.push_str(" ech=…");
        }
        rows.push((format!("record {}", i + 1), line));
        if let Some(list) = &r.ech {
            for l in ech_config_lines(list) {
                rows.push(("  ech config".into(), l));
            }
        }
    }
    rows
}

/// The ECH section as label / value rows, for both formats (a completed section).
pub fn ech_rows(s: &crate::facts::EchSection) -> Vec<(String, String)> {
    let mut rows = vec![("summary".to_string(), s.summary.clone())];
    let probes = [("GREASE", &s.grease), ("handshake", &s.handshake)];
    for (label, probe) in probes {
        let Some(p) = probe else { continue };
        let mut line = format!("{} ({})", p.outcome.name(), p.evidence);
        if let (Some(source), "handshake") = (&s.config_source, label) {
            let _ = write!(line, ", config from {source}");
        }
        rows.push((label.to_string(), line));
        if let Some(list) = &p.retry_configs {
            for l in ech_config_lines(list) {
                rows.push(("  retry config".into(), l));
            }
        }
    }
    for f in &s.findings {
        rows.push((
            f.severity.name().to_string(),
            format!("{}: {}", f.id, f.message),
        ));
    }
    rows
}

/// The DANE section as label / value rows, for both formats: the question, the outcome,
/// each TLSA record and how it fared, the findings.
pub fn dane_rows(s: &crate::facts::DaneSection) -> Vec<(String, String)> {
    let validated = if s.authenticated {
        "AD bit set: the resolver validated it with DNSSEC"
    } else {
        "AD bit clear: not DNSSEC-validated, so not authenticated"
    };
    let mut rows = vec![
        (
            "asked".to_string(),
            format!(
                "{} TLSA (resolver {}, {}; {validated})",
                s.queried,
                s.resolver,
                s.rcode.as_deref().unwrap_or("no answer")
            ),
        ),
        ("outcome".into(), format!("{}: {}", s.outcome, s.evidence)),
    ];
    for r in &s.records {
        let data: String = r.data.chars().take(24).collect();
        let more = if r.data.len() > 24 { "…" } else { "" };
        rows.push((
            "record".into(),
            format!(
                "{} {} {} {data}{more} ({}): {}",
                r.usage,
                r.selector,
                r.matching_type,
                r.usage_name,
                if r.matches {
                    format!("matches the {}", r.note)
                } else {
                    r.note.clone()
                }
            ),
        ));
    }
    finding_rows(&mut rows, &s.findings);
    rows
}

/// The MTA-STS section as label / value rows, for both formats.
pub fn mta_sts_rows(s: &crate::facts::MtaStsSection) -> Vec<(String, String)> {
    let mut rows = vec![(
        "outcome".to_string(),
        format!("{}: {}", s.outcome, s.evidence),
    )];
    rows.push(("TXT".into(), s.txt.clone().unwrap_or_else(|| "none".into())));
    if let Some(url) = &s.policy_url {
        rows.push(("policy".into(), url.clone()));
    }
    if let Some(p) = &s.policy {
        rows.push((
            "mode".into(),
            p.mode.clone().unwrap_or_else(|| "invalid".into()),
        ));
        rows.push(("mx".into(), p.mx.join(", ")));
        if let Some(age) = p.max_age {
            rows.push(("max_age".into(), format!("{age} s")));
        }
        for problem in &p.problems {
            rows.push(("problem".into(), problem.clone()));
        }
    }
    if let Some(m) = s.mx_matches {
        rows.push(("mx match".into(), if m { "yes" } else { "no" }.to_string()));
    }
    rows.push((
        "TLS-RPT".into(),
        s.tls_rpt.clone().unwrap_or_else(|| "none".into()),
    ));
    finding_rows(&mut rows, &s.findings);
    rows
}

fn finding_rows(rows: &mut Vec<(String, String)>, findings: &[crate::facts::Finding]) {
    for f in findings {
        rows.push((
            f.severity.name().to_string(),
            format!("{}: {}", f.id, f.message),
        ));
    }
}

/// The QUIC section as label / value rows, for both formats: the versions tried and listed,
/// the ALPN and the transport parameters.
pub fn quic_rows(q: &crate::facts::QuicSection) -> Vec<(&'static str, String)> {
    let versions = q
        .versions
        .iter()
        .map(|v| {
            format!(
                "{} {}",
                v.name,
                if v.accepted {
                    "accepted"
                } else {
                    "not accepted"
                }
            )
        })
        .collect::<Vec<_>>()
        .join(", ");
    let listed = match &q.versions_offered {
        Some(vs) => vs
            .iter()
            .map(|v| {
                u32::from_str_radix(v.trim_start_matches("0x"), 16)
                    .map_or_else(|_| v.clone(), crate::wire::quic::version_name)
            })
            .collect::<Vec<_>>()
            .join(", "),
        None => "no Version Negotiation".into(),
    };
    let params = if q.transport_parameters.is_empty() {
        "-".to_string()
    } else {
        q.transport_parameters
            .iter()
            .map(|p| {
                if p.value.is_empty() {
                    p.name.clone()
                } else {
                    format!("{}={}", p.name, p.value)
                }
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    vec![
        ("versions", versions),
        ("listed", listed),
        ("ALPN", q.alpn.clone().unwrap_or_else(|| "-".into())),
        ("parameters", params),
    ]
}

/// One row of "Who can connect", as both formats show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientRow {
    /// The profile id ("java-8").
    pub client: String,
    /// Its name and version ("Java (JSSE) 8u161").
    pub full_name: String,
    pub source: String,
    /// "yes" / "NO", and how it reads.
    pub result: Phrase,
    /// "TLSv1.3 TLS_AES_128_GCM_SHA256 x25519", or the reason it fails.
    pub detail: String,
    /// With a live replay: "live: agrees" or "live: DIFFERS (…)", and how it reads.
    pub live: Option<Phrase>,
}

/// The rows of a simulation section, in its order (failures first).
pub fn client_rows(s: &crate::simulate::SimulationSection) -> Vec<ClientRow> {
    s.clients
        .iter()
        .map(|c| {
            let detail = if c.connects {
                [
                    c.protocol.map(|v| v.name().to_string()),
                    c.cipher_suite.as_ref().map(|s| s.name.clone()),
                    c.group.clone(),
                    c.certificate.clone(),
                ]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join("  ")
            } else {
                c.reason.clone().unwrap_or_default()
            };
            let live = c.live.as_ref().map(|l| {
                if l.agrees {
                    Phrase {
                        text: "live: agrees".into(),
                        tone: Some(Tone::Dim),
                    }
                } else {
                    Phrase {
                        text: format!("live: DIFFERS ({})", l.evidence),
                        tone: Some(Tone::Weak),
                    }
                }
            });
            ClientRow {
                client: c.id.clone(),
                full_name: format!("{} {}", c.name, c.version),
                source: c.source.clone(),
                result: if c.connects {
                    Phrase {
                        text: "yes".into(),
                        tone: Some(Tone::Good),
                    }
                } else {
                    Phrase {
                        text: "NO".into(),
                        tone: Some(Tone::Bad),
                    }
                },
                detail,
                live,
            }
        })
        .collect()
}

/// "34 of 36 clients connect": the section's one-line summary.
pub fn client_summary(s: &crate::simulate::SimulationSection) -> String {
    let ok = s.clients.iter().filter(|c| c.connects).count();
    format!("{ok} of {} clients connect", s.clients.len())
}
