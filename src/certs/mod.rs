//! Certificates: every chain the server presents, parsed and judged.
//!
//! Chains come from handshakes ([`crate::enumerate::chains`]): TLS <= 1.2 flights read by the probe engine (in the
//! clear), with RSA-only and ECDSA-only offers to find every key type, and real TLS 1.3
//! handshakes through rustls with a verifier that records the chain and judges nothing.
//! [`analyse`] then works on bytes alone: x509-parser for the details, rustls-webpki for trust,
//! at a verdict time the caller fixes, so the same chain always gets the same verdicts.

/// Every finding id the certificates stage raises. A chain that only clients without SNI get
/// carries the same ids under `cert.no_sni.` (see [`NO_SNI_PREFIX`]). Policies name these.
pub mod ids {
    pub const PARSE_ERROR: &str = "cert.parse_error";
    pub const EXPIRED: &str = "cert.expired";
    pub const NOT_YET_VALID: &str = "cert.not_yet_valid";
    pub const EXPIRES_SOON: &str = "cert.expires_soon";
    pub const KEY_WEAK: &str = "cert.key.weak";
    pub const SIGNATURE_WEAK: &str = "cert.signature.weak";
    pub const EKU_NO_SERVER_AUTH: &str = "cert.eku.no_server_auth";
    pub const HOSTNAME_MISMATCH: &str = "cert.hostname_mismatch";
    pub const SELF_SIGNED: &str = "cert.self_signed";
    pub const CHAIN_INCOMPLETE: &str = "cert.chain.incomplete";
    pub const CHAIN_WRONG_ORDER: &str = "cert.chain.wrong_order";
    pub const CHAIN_CONTAINS_ROOT: &str = "cert.chain.contains_root";
    pub const UNTRUSTED: &str = "cert.untrusted";
    pub const OCSP_REVOKED: &str = "cert.ocsp.revoked";
    pub const OCSP_MUST_STAPLE_MISSING: &str = "cert.ocsp.must_staple_missing";
    /// The leaf names an OCSP responder (AIA) and the server staples no response.
    pub const OCSP_NOT_STAPLED: &str = "cert.ocsp.not_stapled";
    /// The leaf's Validity Period exceeds the maximum for its issue date (BRs §6.3.2, SC-081).
    pub const LIFETIME_TOO_LONG: &str = "cert.lifetime.too_long";
    /// A leaf issued on or after 2026-06-15 asserts clientAuth (Chrome Root Program Policy).
    pub const EKU_CLIENT_AUTH: &str = "cert.eku.client_auth";
    /// The server refused the handshake without SNI (no twin: it is about clients without SNI).
    pub const NO_SNI_REFUSED: &str = "cert.no_sni.refused";

    /// All of them, for validating policies.
    pub const ALL: [&str; 19] = [
        PARSE_ERROR,
        EXPIRED,
        NOT_YET_VALID,
        EXPIRES_SOON,
        KEY_WEAK,
        SIGNATURE_WEAK,
        EKU_NO_SERVER_AUTH,
        HOSTNAME_MISMATCH,
        SELF_SIGNED,
        CHAIN_INCOMPLETE,
        CHAIN_WRONG_ORDER,
        CHAIN_CONTAINS_ROOT,
        UNTRUSTED,
        OCSP_REVOKED,
        OCSP_MUST_STAPLE_MISSING,
        NO_SNI_REFUSED,
        OCSP_NOT_STAPLED,
        LIFETIME_TOO_LONG,
        EKU_CLIENT_AUTH,
    ];
}

/// The prefix of findings about the chain only clients without SNI get.
pub const NO_SNI_PREFIX: &str = "cert.no_sni.";

pub mod dane;
pub mod dates;
pub mod der;
pub mod ocsp;
pub mod parse;
pub mod verify;

use std::collections::BTreeSet;

use crate::facts::certs::{
    Capture, CertChain, ChainSource, ChainVerdicts, FetchedChains, OcspStaple, TrustVerdict,
};
use crate::facts::{CertificatesSection, Finding, SectionStatus, Severity};
use parse::Parsed;
pub use verify::TrustStores;

/// What the certificates stage does.
#[derive(Debug, Clone)]
pub struct CertOptions {
    /// Verdict time (Unix seconds); None means the time of the scan.
    pub at: Option<i64>,
    /// `cert.expires_soon` when a certificate expires within this many days.
    pub expiry_warn_days: u32,
    pub trust: TrustStores,
    /// Judge the public date rules (`cert.lifetime.too_long`, `cert.eku.client_auth`) on every
    /// CA-issued leaf, not only on chains a public store trusts: for a private or staging CA
    /// that follows the public rules (`--public-rules`).
    pub public_rules: bool,
}

impl Default for CertOptions {
    fn default() -> Self {
        Self {
            at: None,
            expiry_warn_days: 30,
            trust: TrustStores::default(),
            public_rules: false,
        }
    }
}

/// Groups captures into distinct chains and judges each. `hostname` is the name a client
/// would check (SNI, else the target host); `at` is the verdict time in Unix seconds.
pub fn analyse(
    captures: &[Capture],
    hostname: Option<&str>,
    opts: &CertOptions,
    at: i64,
) -> (Vec<CertChain>, Vec<Finding>) {
    let mut groups: Vec<(Vec<Vec<u8>>, Vec<&Capture>)> = Vec::new();
    for c in captures.iter().filter(|c| !c.certs.is_empty()) {
        match groups.iter_mut().find(|(certs, _)| *certs == c.certs) {
            Some((_, list)) => list.push(c),
            None => groups.push((c.certs.clone(), vec![c])),
        }
    }
    let mut chains = Vec::new();
    let mut findings: Vec<Finding> = Vec::new();
    for (certs, sources) in groups {
        let (chain, f) = judge_chain(&certs, &sources, hostname, opts, at);
        for finding in f {
            if !findings
                .iter()
                .any(|x| x.id == finding.id && x.evidence == finding.evidence)
            {
                findings.push(finding);
            }
        }
        chains.push(chain);
    }
    (chains, findings)
}

fn finding(id: &str, severity: Severity, message: String, evidence: String) -> Finding {
    Finding {
        id: id.into(),
        severity,
        message,
        evidence: Some(evidence),
    }
}

fn judge_chain(
    certs: &[Vec<u8>],
    sources: &[&Capture],
    hostname: Option<&str>,
    opts: &CertOptions,
    at: i64,
) -> (CertChain, Vec<Finding>) {
    let parsed: Vec<Parsed> = certs.iter().map(|d| parse::parse(d, at)).collect();
    let leaf = &parsed[0];
    let key_type = parse::key_type(&leaf.info.public_key);
    let label = |p: &Parsed| {
        if p.ok {
            format!("{} (sha256 {})", p.info.subject, &p.info.sha256[..16])
        } else {
            format!("certificate sha256 {}", &p.info.sha256[..16])
        }
    };
    let mut out = Vec::new();
    let all_ok = parsed.iter().all(|p| p.ok);

    // Per certificate.
    for p in &parsed {
        if !p.ok {
            out.push(finding(
                ids::PARSE_ERROR,
                Severity::Error,
                "A served certificate is not valid DER: clients will reject it. Re-issue or re-export the certificate.".into(),
                format!("{}: {}", label(p), p.info.parse_error.clone().unwrap_or_default()),
            ));
            continue;
        }
        if let Some(e) = &p.info.parse_error {
            out.push(finding(
                ids::PARSE_ERROR,
                Severity::Warning,
                "An extension of a served certificate does not parse; strict clients reject it. Re-issue the certificate.".into(),
                format!("{}: {e}", label(p)),
            ));
        }
        if at > p.not_after {
            out.push(finding(
                ids::EXPIRED,
                Severity::Error,
                "A served certificate has expired: renew it and install the new one.".into(),
                format!("{}: notAfter {}", label(p), p.info.not_after),
            ));
        } else if at < p.not_before {
            out.push(finding(
                ids::NOT_YET_VALID,
                Severity::Error,
                "A served certificate is not valid yet: check the server's clock or the certificate's notBefore, or serve the previous certificate until then.".into(),
                format!("{}: notBefore {}", label(p), p.info.not_before),
            ));
        } else if p.not_after - at <= i64::from(opts.expiry_warn_days) * 86_400
            && !p.info.short_lived
        {
            out.push(finding(
                ids::EXPIRES_SOON,
                Severity::Warning,
                format!(
                    "A served certificate expires within {} days: renew it now.",
                    opts.expiry_warn_days
                ),
                format!(
                    "{}: notAfter {} ({} days left)",
                    label(p),
                    p.info.not_after,
                    p.info.days_left
                ),
            ));
        }
        let k = &p.info.public_key;
        let weak_key = match k.algorithm.as_str() {
            "RSA" | "DSA" => k.bits < 2048,
            "EC" => k.bits < 256,
            _ => false,
        };
        if weak_key {
            out.push(finding(
                ids::KEY_WEAK,
                Severity::Error,
                "A served certificate has a weak key: re-issue it with RSA of at least 2048 bits or ECDSA P-256 or stronger.".into(),
                format!("{}: {} {} bits", label(p), k.algorithm, k.bits),
            ));
        }
        if !p.info.self_signed && parse::weak_signature(&p.info.signature_algorithm) {
            out.push(finding(
                ids::SIGNATURE_WEAK,
                Severity::Error,
                "A served certificate is signed with SHA-1 or MD5, which clients reject: re-issue it signed with SHA-256 or stronger.".into(),
                format!("{}: {}", label(p), p.info.signature_algorithm),
            ));
        }
    }
    if leaf.ok && leaf.eku_server_auth == Some(false) {
        out.push(finding(
            ids::EKU_NO_SERVER_AUTH,
            Severity::Error,
            "The server certificate's extended key usage does not allow TLS server authentication: re-issue it with serverAuth.".into(),
            format!("{}: EKU {}", label(leaf), leaf.info.extended_key_usage.join(", ")),
        ));
    }

    // The chain as served.
    let self_signed = leaf.ok && leaf.info.self_signed;
    let order_correct = !all_ok
        || parsed
            .windows(2)
            .all(|w| w[1].subject_raw == w[0].issuer_raw);
    let contains_root = parsed.len() > 1 && parsed[1..].iter().any(|p| p.ok && p.info.self_signed);
    let results = verify::verify(&parsed, &opts.trust, at);
    let trusted_path = results.iter().find_map(|r| r.result.as_ref().ok().cloned());
    let trusted = trusted_path.is_some();
    // Follow issuers through the served certificates, in any order, to the top one.
    let mut top = 0;
    let mut seen = vec![0];
    while let Some(next) = (0..parsed.len()).find(|&j| {
        !seen.contains(&j) && parsed[j].ok && parsed[j].subject_raw == parsed[top].issuer_raw
    }) {
        seen.push(next);
        top = next;
    }
    let top_cert = &parsed[top];
    let complete = trusted
        || !top_cert.ok
        || top_cert.info.self_signed
        || top_cert.is_ca
        || verify::is_anchor_subject(&opts.trust, &top_cert.issuer_raw);
    let missing_issuer = (!complete).then(|| top_cert.info.issuer.clone());
    let hostname_matches = match hostname {
        Some(name) if leaf.ok => Some(verify::hostname_matches(leaf, name)),
        _ => None,
    };
    let chain_label = format!("{key_type} chain, leaf {}", label(leaf));
    if hostname_matches == Some(false) {
        out.push(finding(
            ids::HOSTNAME_MISMATCH,
            Severity::Error,
            "The certificate does not cover the name clients connect to: re-issue it with this name in its subject alternative names.".into(),
            format!(
                "{}: name {} not in [{}]",
                label(leaf),
                hostname.unwrap_or_default(),
                leaf.info.sans.join(", ")
            ),
        ));
    }
    if self_signed {
        out.push(finding(
            ids::SELF_SIGNED,
            Severity::Error,
            "The server certificate is self-signed, so no client trusts it: install a certificate issued by a trusted CA.".into(),
            label(leaf),
        ));
    }
    if let Some(missing) = &missing_issuer {
        out.push(finding(
            ids::CHAIN_INCOMPLETE,
            Severity::Error,
            format!("The server does not send the intermediate certificate \"{missing}\": add it to the served chain (after the leaf)."),
            chain_label.clone(),
        ));
    }
    if !order_correct {
        out.push(finding(
            ids::CHAIN_WRONG_ORDER,
            Severity::Warning,
            "The chain is not served in order (each certificate followed by its issuer): reorder the chain file, leaf first.".into(),
            format!(
                "{chain_label}: served [{}]",
                parsed.iter().map(|p| p.info.subject.as_str()).collect::<Vec<_>>().join(" | ")
            ),
        ));
    }
    if contains_root {
        out.push(finding(
            ids::CHAIN_CONTAINS_ROOT,
            Severity::Info,
            "The server also sends the root certificate, which clients already have: drop it from the chain to save bytes.".into(),
            chain_label.clone(),
        ));
    }
    if !trusted && !self_signed && complete && all_ok {
        // Is the path itself untrusted, or only outside its validity (already reported)?
        let mid = parsed.iter().map(|p| p.not_before).max().unwrap_or(at) + 1;
        let timeless_ok = mid < parsed.iter().map(|p| p.not_after).min().unwrap_or(at)
            && verify::verify(&parsed, &opts.trust, mid)
                .iter()
                .any(|r| r.result.is_ok());
        let has = |id: &str| out.iter().any(|f| f.id == id);
        let explained = timeless_ok
            || results.iter().any(|r| match &r.result {
                Err(e) => {
                    (verify::is_signature_algorithm_error(e) && has(ids::SIGNATURE_WEAK))
                        || (verify::is_eku_error(e) && has(ids::EKU_NO_SERVER_AUTH))
                }
                Ok(_) => false,
            });
        if !explained {
            let why: Vec<String> = results
                .iter()
                .map(|r| match &r.result {
                    Err(e) => format!("{}: {}", r.store, verify::describe(e)),
                    Ok(_) => format!("{}: trusted", r.store),
                })
                .collect();
            out.push(finding(
                ids::UNTRUSTED,
                Severity::Error,
                "No trust store accepts this chain: serve a certificate from a publicly trusted CA (with its intermediates), or pass a private CA with --ca-file.".into(),
                format!("{chain_label}: {}", why.join("; ")),
            ));
        }
    }

    // OCSP stapling, from the first handshake that asked for it.
    let mut staple = OcspStaple::default();
    for c in sources {
        match &c.ocsp {
            Some(Some(resp)) => {
                let serial = leaf_serial(leaf);
                staple = ocsp::read(resp, serial.as_deref());
                break;
            }
            Some(None) => staple.requested = true,
            None => {}
        }
    }
    if staple.cert_status.as_deref() == Some("revoked") {
        out.push(finding(
            ids::OCSP_REVOKED,
            Severity::Error,
            "The stapled OCSP response says the certificate is revoked: replace the certificate."
                .into(),
            label(leaf),
        ));
    }
    if leaf.info.must_staple && staple.requested && !staple.present {
        out.push(finding(
            ids::OCSP_MUST_STAPLE_MISSING,
            Severity::Error,
            "The certificate requires OCSP stapling (must-staple) but the server staples nothing: enable stapling.".into(),
            label(leaf),
        ));
    } else if leaf.ok && !leaf.info.ocsp_urls.is_empty() && staple.requested && !staple.present {
        // Only a certificate that names a responder can be stapled: one without (Let's
        // Encrypt's since 2025) is not asked to.
        out.push(finding(
            ids::OCSP_NOT_STAPLED,
            Severity::Warning,
            "The certificate names an OCSP responder but the server staples no OCSP response: enable OCSP stapling (nginx: ssl_stapling on; Apache: SSLUseStapling on) so clients need not ask the CA.".into(),
            format!("{}: OCSP {}", label(leaf), leaf.info.ocsp_urls.join(", ")),
        ));
    }
    out.extend(date_rules(leaf, &results, opts.public_rules, &label(leaf)));

    if sources.iter().all(|c| c.source.without_sni) {
        out = out.into_iter().map(without_sni).collect();
    }

    let verdicts = ChainVerdicts {
        trusted,
        trust: results
            .iter()
            .map(|r| TrustVerdict {
                store: r.store.clone(),
                trusted: r.result.is_ok(),
                error: r.result.as_ref().err().map(verify::describe),
            })
            .collect(),
        path: trusted_path.unwrap_or_default(),
        hostname: hostname.map(str::to_string),
        hostname_matches,
        order_correct,
        complete,
        missing_issuer,
        self_signed,
        contains_root,
    };
    let mut obtained: Vec<ChainSource> = Vec::new();
    for c in sources {
        if !obtained.contains(&c.source) {
            obtained.push(c.source.clone());
        }
    }
    let chain = CertChain {
        obtained,
        key_type,
        certificates: parsed.into_iter().map(|p| p.info).collect(),
        verdicts,
        ocsp_staple: staple,
    };
    (chain, out)
}

/// The rules on the leaf's own dates ([`dates`]): a Validity Period longer than its issue
/// date allows, and clientAuth in a leaf issued from 2026-06-15. They bind publicly trusted
/// certificates, so they are judged when a public store (Mozilla's, the system's) trusts the
/// chain, or on request (`public_rules`) for a chain only `--ca-file` or nothing trusts; a
/// private CA may otherwise do as it likes. Self-signed leaves are not judged.
fn date_rules(
    leaf: &Parsed,
    results: &[verify::StoreResult],
    public_rules: bool,
    label: &str,
) -> Vec<Finding> {
    if !leaf.ok || leaf.info.self_signed {
        return vec![];
    }
    let public: Vec<&str> = results
        .iter()
        .filter(|r| r.result.is_ok() && !r.store.starts_with("ca-file"))
        .map(|r| r.store.as_str())
        .collect();
    let scope = match (public.is_empty(), public_rules) {
        (false, _) => format!("trusted by {}", public.join(", ")),
        (true, true) => "judged as public on request (--public-rules)".to_string(),
        (true, false) => return vec![],
    };
    let severity = Severity::Error;
    let mut out = Vec::new();
    let days = leaf.info.validity_days;
    if let Some((max, from)) = dates::max_validity_days(leaf.not_before) {
        if days > i64::from(max) {
            out.push(finding(
                ids::LIFETIME_TOO_LONG,
                severity,
                format!(
                    "The certificate is valid for {days} days; a publicly trusted certificate issued on or after {from} may be valid for at most {max} days (CA/Browser Forum Baseline Requirements 6.3.2): re-issue it with a shorter validity, and automate renewal (ACME)."
                ),
                format!(
                    "{label}: notBefore {}, notAfter {} ({days} days; {scope})",
                    leaf.info.not_before, leaf.info.not_after
                ),
            ));
        }
    }
    let client_auth = leaf
        .info
        .extended_key_usage
        .iter()
        .any(|e| e == "clientAuth");
    if client_auth && leaf.not_before >= dates::SERVER_AUTH_ONLY_FROM {
        out.push(finding(
            ids::EKU_CLIENT_AUTH,
            severity,
            "The certificate, issued on or after 2026-06-15, asserts clientAuth: Chrome's root program accepts publicly trusted server certificates from then on only with serverAuth alone (Chrome Root Program Policy 3.2.2). Re-issue it with serverAuth only, and use a separate (private) certificate for client authentication.".into(),
            format!(
                "{label}: EKU {}; notBefore {} ({scope})",
                leaf.info.extended_key_usage.join(", "),
                leaf.info.not_before
            ),
        ));
    }
    out
}

/// A finding on a chain that only handshakes without SNI returned: what clients that send no
/// server name get (the server's default certificate), while clients that do get another chain.
/// Its id moves to `cert.no_sni.*` so policies, the grade and `cert.*` consumers keep judging
/// the chain the scanned name gets. Not covering the scanned name is expected of a default
/// certificate (another virtual host's) and only `info`; anything else is at most a `warning`,
/// since a client without SNI would still fail on it.
fn without_sni(f: Finding) -> Finding {
    let rest = f.id.strip_prefix("cert.").unwrap_or(&f.id);
    let id = format!("{NO_SNI_PREFIX}{rest}");
    let evidence = f.evidence.map(|e| format!("without SNI: {e}"));
    if f.id == ids::HOSTNAME_MISMATCH {
        return Finding {
            id,
            severity: Severity::Info,
            message: "Clients that send no server name (SNI) get the server's default certificate, which does not cover this name: expected when the name has a virtual host of its own. If clients without SNI (Java 6, Android 2, Python 2, Windows XP) must reach this name, make its certificate the default.".into(),
            evidence,
        };
    }
    Finding {
        id,
        severity: f.severity.min(Severity::Warning),
        message: format!(
            "Only clients that send no server name (SNI) get this chain, the server's default: {}",
            f.message
        ),
        evidence,
    }
}

/// The leaf's serial as raw INTEGER bytes (from the colon-hex form).
fn leaf_serial(leaf: &Parsed) -> Option<Vec<u8>> {
    leaf.info
        .serial
        .split(':')
        .map(|h| u8::from_str_radix(h, 16).ok())
        .collect()
}

/// The certificates section of one target from the chains the scan fetched
/// ([`crate::enumerate::chains`]), judged at `opts.at` (or now). `hostname` is what a client
/// checks (SNI, else the target host).
pub fn section(fetched: &FetchedChains, opts: &CertOptions, hostname: &str) -> CertificatesSection {
    let at = opts
        .at
        .unwrap_or_else(|| time::OffsetDateTime::now_utc().unix_timestamp());
    let (chains, mut findings) = analyse(&fetched.captures, Some(hostname), opts, at);
    findings.extend(no_sni_finding(&fetched.no_sni));
    // The section's fact is the chain: without one it did not complete, whatever else ran.
    let error = chains.is_empty().then(|| {
        if fetched.failures.is_empty() {
            "no certificate chain was obtained: no handshake could be attempted (no protocol \
             version the certificate stage speaks is offered)"
                .to_string()
        } else {
            format!(
                "no certificate chain was obtained: {}",
                fetched.failures.join("; ")
            )
        }
    });
    CertificatesSection {
        status: if error.is_some() {
            SectionStatus::Error
        } else {
            SectionStatus::Completed
        },
        error,
        findings,
        at: Some(parse::rfc3339(at)),
        chains,
        connections: fetched.connections,
        no_sni: fetched.no_sni.clone(),
    }
}

/// `cert.no_sni.refused` (info) when the server refused the handshake without SNI; nothing
/// when it answered, or when that is not determined (timeout, failed connection).
pub fn no_sni_finding(p: &crate::facts::certs::NoSniProbe) -> Option<Finding> {
    (p.refused == Some(true)).then(|| Finding {
        id: ids::NO_SNI_REFUSED.into(),
        severity: Severity::Info,
        message: "The server refuses clients that send no server name (SNI): clients without SNI (Java 6, Android 2, Python 2, Windows XP-era stacks) cannot connect. Fine if none of them must.".into(),
        evidence: p.evidence.clone(),
    })
}

/// The section of a target that could not be scanned.
pub fn not_scheduled() -> CertificatesSection {
    CertificatesSection {
        status: SectionStatus::NotScheduled,
        ..Default::default()
    }
}

/// Parses `--at`: RFC 3339 ("2030-01-01T00:00:00Z") to Unix seconds.
pub fn parse_at(s: &str) -> Result<i64, String> {
    ocsp::parse_rfc3339(s)
        .ok_or_else(|| format!("'{s}' is not an RFC 3339 time (e.g. 2030-01-01T00:00:00Z)"))
}

/// The finding ids, sorted and without repeats: what tests compare.
pub fn finding_ids(findings: &[Finding]) -> Vec<String> {
    let set: BTreeSet<String> = findings.iter().map(|f| f.id.clone()).collect();
    set.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::TlsVersion;
    use fixtures::testpki::{jan1, test_now, LeafKey, LeafSpec, TestCa};

    fn capture(certs: Vec<Vec<u8>>) -> Capture {
        Capture {
            source: ChainSource {
                version: TlsVersion::Tls12,
                offered: "any".into(),
                cipher_suite: None,
                without_sni: false,
            },
            certs,
            ocsp: None,
        }
    }

    fn opts_trusting(ca: &TestCa) -> CertOptions {
        CertOptions {
            trust: verify::load(&["mozilla".into()], std::slice::from_ref(&ca.root_pem)).unwrap(),
            ..Default::default()
        }
    }

    #[test]
    fn garbage_in_a_chain_is_a_finding_not_a_crash() {
        let ca = TestCa::new("unit").unwrap();
        let leaf = ca.leaf(&LeafSpec::new("leaf", LeafKey::EcdsaP256)).unwrap();
        let mut truncated = ca.intermediate_der();
        truncated.truncate(truncated.len() / 2);
        for chain in [
            vec![leaf.der.clone(), vec![0x30, 0x03, 1, 2, 3]],
            vec![leaf.der.clone(), truncated],
            vec![b"not a certificate".to_vec()],
            vec![vec![]],
        ] {
            let (chains, findings) = analyse(
                &[capture(chain)],
                Some("localhost"),
                &opts_trusting(&ca),
                test_now(),
            );
            assert_eq!(chains.len(), 1);
            assert!(
                finding_ids(&findings).contains(&"cert.parse_error".to_string()),
                "{findings:?}"
            );
        }
    }

    #[test]
    fn every_truncation_and_bit_flip_of_a_certificate_is_survived() {
        let ca = TestCa::new("unit").unwrap();
        let mut spec = LeafSpec::new("leaf", LeafKey::EcdsaP256);
        spec.ocsp_url = Some("http://ocsp.example.test/".into());
        spec.must_staple = true;
        spec.scts = 1;
        let leaf = ca.leaf(&spec).unwrap();
        let opts = opts_trusting(&ca);
        for n in 0..leaf.der.len() {
            let (_, findings) = analyse(
                &[capture(vec![leaf.der[..n].to_vec(), ca.intermediate_der()])],
                Some("localhost"),
                &opts,
                test_now(),
            );
            assert!(
                finding_ids(&findings).contains(&"cert.parse_error".to_string()),
                "{n}"
            );
        }
        for i in 0..leaf.der.len() {
            let mut der = leaf.der.clone();
            der[i] ^= 0x41;
            let _ = analyse(&[capture(vec![der])], Some("localhost"), &opts, test_now());
        }
    }

    #[test]
    fn same_chain_from_two_handshakes_is_one_entry_and_verdict_time_matters() {
        let ca = TestCa::new("unit").unwrap();
        let leaf = ca.leaf(&LeafSpec::new("leaf", LeafKey::EcdsaP256)).unwrap();
        let chain = vec![leaf.der.clone(), ca.intermediate_der()];
        let mut second = capture(chain.clone());
        second.source.version = TlsVersion::Tls13;
        let opts = opts_trusting(&ca);
        let (chains, findings) = analyse(
            &[capture(chain.clone()), second],
            Some("localhost"),
            &opts,
            test_now(),
        );
        assert_eq!((chains.len(), chains[0].obtained.len()), (1, 2));
        assert!(findings.is_empty() && chains[0].verdicts.trusted);
        // 2036: the leaf (2025-2035) has expired; only that is reported.
        let (_, findings) = analyse(
            &[capture(chain.clone())],
            Some("localhost"),
            &opts,
            jan1(2036).unix_timestamp(),
        );
        assert_eq!(finding_ids(&findings), vec!["cert.expired"]);
        // By IP address: the leaf only names localhost.
        let (chains, findings) = analyse(&[capture(chain)], Some("127.0.0.1"), &opts, test_now());
        assert_eq!(finding_ids(&findings), vec!["cert.hostname_mismatch"]);
        assert_eq!(chains[0].verdicts.hostname_matches, Some(false));
    }

    #[test]
    fn a_chain_only_clients_without_sni_get_has_its_own_finding_ids() {
        let ca = TestCa::new("unit").unwrap();
        let mut spec = LeafSpec::new("default", LeafKey::EcdsaP256);
        spec.dns = vec!["default.test".into()];
        let default = ca.leaf(&spec).unwrap();
        let named = ca.leaf(&LeafSpec::new("leaf", LeafKey::EcdsaP256)).unwrap();
        let mut bare = capture(vec![default.der, ca.intermediate_der()]);
        bare.source.without_sni = true;
        let opts = opts_trusting(&ca);
        let caps = [capture(vec![named.der, ca.intermediate_der()]), bare];
        let (chains, findings) = analyse(&caps, Some("localhost"), &opts, test_now());
        assert_eq!(chains.len(), 2);
        assert!(!chains[0].only_without_sni() && chains[1].only_without_sni());
        assert_eq!(chains[1].verdicts.hostname_matches, Some(false));
        let got: Vec<_> = findings
            .iter()
            .map(|f| (f.id.as_str(), f.severity))
            .collect();
        assert_eq!(got, [("cert.no_sni.hostname_mismatch", Severity::Info)]);
        // Expired (2036): an error on the named chain, a warning on the default one.
        let (_, findings) = analyse(&caps, Some("localhost"), &opts, jan1(2036).unix_timestamp());
        let got: Vec<_> = findings
            .iter()
            .map(|f| (f.id.as_str(), f.severity))
            .collect();
        assert_eq!(
            got,
            [
                ("cert.expired", Severity::Error),
                ("cert.no_sni.expired", Severity::Warning),
                ("cert.no_sni.hostname_mismatch", Severity::Info),
            ]
        );
    }

    #[test]
    fn only_a_refusal_of_the_hello_without_sni_is_a_finding() {
        let probe = |refused, evidence: &str| crate::facts::certs::NoSniProbe {
            attempted: true,
            refused,
            evidence: Some(evidence.into()),
        };
        let refusal = probe(
            Some(true),
            "TLSv1.2 hello without SNI: alert unrecognized_name",
        );
        let f = no_sni_finding(&refusal).unwrap();
        assert_eq!(
            (f.id.as_str(), f.severity),
            (ids::NO_SNI_REFUSED, Severity::Info)
        );
        assert_eq!(
            f.evidence.as_deref(),
            Some("TLSv1.2 hello without SNI: alert unrecognized_name")
        );
        assert_eq!(
            refusal.describe().as_deref(),
            Some("without SNI: refused (TLSv1.2 hello without SNI: alert unrecognized_name)")
        );
        let timeout = probe(
            None,
            "TLSv1.2 hello without SNI: no answer before the timeout",
        );
        assert_eq!(no_sni_finding(&timeout), None);
        assert_eq!(
            timeout.describe().as_deref(),
            Some("without SNI: not determined (TLSv1.2 hello without SNI: no answer before the timeout)")
        );
        assert_eq!(
            no_sni_finding(&crate::facts::certs::NoSniProbe::default()),
            None
        );
        assert_eq!(crate::facts::certs::NoSniProbe::default().describe(), None);
    }

    #[test]
    fn leaf_issued_by_the_root_is_complete() {
        let ca = TestCa::new("unit").unwrap();
        let mut spec = LeafSpec::new("leaf", LeafKey::EcdsaP256);
        spec.signer = fixtures::testpki::Signer::Root;
        let leaf = ca.leaf(&spec).unwrap();
        let (chains, findings) = analyse(
            &[capture(vec![leaf.der])],
            Some("localhost"),
            &opts_trusting(&ca),
            test_now(),
        );
        assert!(findings.is_empty(), "{findings:?}");
        assert_eq!(chains[0].verdicts.path.len(), 2);
    }
}
