//! The mail stage of an SMTP target (SMTP's STARTTLS, `smtp://`, `submission://`) when DNS is
//! given (`--resolver`, else the system's; not with `--no-dns`): the TLSA records of
//! `_PORT._tcp.HOST` (DANE, RFC 7672; matched against the chain by [`crate::certs::dane`]), and
//! the mail domain's MTA-STS record and policy (RFC 8461) and TLS-RPT record (RFC 8460).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use rustls::RootCertStore;
use simple_dns::TYPE;

use crate::facts::{
    DaneSection, Finding, MtaStsPolicy, MtaStsSection, SectionStatus, Severity, Stage, Starttls,
    TlsaRecord,
};
use crate::probe::dns::{self, is_dns_name};
use crate::probe::mail::{self, TLSA};
use crate::probe::Target;

use super::ScanOptions;

/// RFC 8461 section 3.2: `max_age` is at most 31557600 seconds (about a year).
const MAX_AGE_LIMIT: u64 = 31_557_600;

/// Whether the stage runs: an SMTP target named by a DNS name, with the DNS stage on, and a
/// resolver given when `--ip` says not to resolve.
pub fn applies(target: &Target, opts: &ScanOptions) -> bool {
    opts.runs(Stage::Dns)
        && target.starttls(opts.starttls) == Some(Starttls::Smtp)
        && is_dns_name(&target.host)
        && (opts.ip.is_none() || opts.resolver.is_some())
}

/// The mail domain: `--mail-domain`, else the host's parent domain when the host has three
/// labels or more (`mx.example.com` → `example.com`), else the host itself.
pub fn mail_domain(host: &str, given: Option<&str>) -> String {
    if let Some(d) = given {
        return d.trim_end_matches('.').to_ascii_lowercase();
    }
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    match host.split_once('.') {
        Some((_, parent)) if parent.contains('.') => parent.to_string(),
        _ => host,
    }
}

/// The TLSA name of an SMTP server (RFC 7672 section 2.2.3 via RFC 6698 section 3).
pub fn tlsa_name(host: &str, port: u16) -> String {
    format!("_{port}._tcp.{}", host.trim_end_matches('.'))
}

/// Looks everything up; `None`, `None` when the stage does not apply. `roots` is the trust
/// the scan judges certificates by (with `--ca-file`), for the policy's HTTPS fetch.
pub async fn scan(
    target: &Target,
    opts: &ScanOptions,
    wait: Duration,
    roots: Arc<RootCertStore>,
) -> (Option<DaneSection>, Option<MtaStsSection>) {
    if !applies(target, opts) {
        return (None, None);
    }
    let domain = mail_domain(&target.host, opts.mail_domain.as_deref());
    let resolver = match opts.resolver.map_or_else(dns::system_resolver, Ok) {
        Ok(r) => r,
        Err(e) => {
            return (
                Some(DaneSection {
                    status: SectionStatus::Error,
                    error: Some(e.clone()),
                    queried: tlsa_name(&target.host, target.port),
                    outcome: "error".into(),
                    ..Default::default()
                }),
                Some(MtaStsSection {
                    status: SectionStatus::Error,
                    error: Some(e),
                    domain,
                    outcome: "error".into(),
                    ..Default::default()
                }),
            )
        }
    };
    let (dane, sts) = tokio::join!(
        dane(resolver, &target.host, target.port, wait),
        mta_sts(resolver, &target.host, domain, wait, roots)
    );
    (Some(dane), Some(sts))
}

async fn dane(resolver: SocketAddr, host: &str, port: u16, wait: Duration) -> DaneSection {
    let queried = tlsa_name(host, port);
    let mut section = DaneSection {
        resolver: resolver.to_string(),
        queried: queried.clone(),
        ..Default::default()
    };
    match mail::lookup(resolver, &queried, TYPE::Unknown(TLSA), wait).await {
        Ok(answer) => {
            section.rcode = Some(answer.rcode);
            section.authenticated = answer.authenticated;
            section.records = answer
                .tlsa
                .into_iter()
                .map(|t| TlsaRecord {
                    usage: t.usage,
                    usage_name: usage_name(t.usage),
                    selector: t.selector,
                    matching_type: t.matching_type,
                    data: crate::wire::hex(&t.data),
                    ..Default::default()
                })
                .collect();
            for m in answer.malformed {
                section.findings.push(Finding {
                    id: "dane.malformed".into(),
                    severity: Severity::Warning,
                    message: "a TLSA record does not decode: fix or remove it (RFC 6698 \
                              section 2.1)"
                        .into(),
                    evidence: Some(m),
                });
            }
        }
        Err(e) => {
            section.status = SectionStatus::Error;
            section.error = Some(e.clone());
            section.outcome = "error".into();
            section.evidence = e;
        }
    }
    section
}

/// The RFC 7218 acronym of a TLSA certificate usage.
pub fn usage_name(usage: u8) -> String {
    match usage {
        0 => "PKIX-TA".into(),
        1 => "PKIX-EE".into(),
        2 => "DANE-TA".into(),
        3 => "DANE-EE".into(),
        other => format!("usage{other}"),
    }
}

fn finding(id: &str, severity: Severity, message: String, evidence: String) -> Finding {
    Finding {
        id: id.into(),
        severity,
        message,
        evidence: Some(evidence),
    }
}

async fn mta_sts(
    resolver: SocketAddr,
    host: &str,
    domain: String,
    wait: Duration,
    roots: Arc<RootCertStore>,
) -> MtaStsSection {
    let mut s = MtaStsSection {
        domain: domain.clone(),
        ..Default::default()
    };
    let sts_name = format!("_mta-sts.{domain}");
    let rpt_name = format!("_smtp._tls.{domain}");
    let (sts, rpt) = tokio::join!(
        mail::lookup(resolver, &sts_name, TYPE::TXT, wait),
        mail::lookup(resolver, &rpt_name, TYPE::TXT, wait)
    );
    let sts = match sts {
        Ok(a) => a,
        Err(e) => {
            s.status = SectionStatus::Error;
            s.error = Some(e.clone());
            s.outcome = "error".into();
            s.evidence = e;
            return s;
        }
    };
    // RFC 8460 section 3: the record starts with v=TLSRPTv1.
    s.tls_rpt = rpt.ok().and_then(|a| {
        a.txt
            .into_iter()
            .find(|t| t.trim_start().starts_with("v=TLSRPTv1"))
    });
    // RFC 8461 section 3.1: records not starting with v=STSv1 are ignored; more than one
    // that does means no policy.
    let records: Vec<String> = sts
        .txt
        .into_iter()
        .filter(|t| t.trim_start().starts_with("v=STSv1"))
        .collect();
    let txt = match records.as_slice() {
        [] => {
            s.outcome = "no_policy".into();
            s.evidence = format!("no v=STSv1 TXT record at {sts_name} ({})", sts.rcode);
            s.findings.push(finding(
                "mta_sts.absent",
                Severity::Info,
                format!(
                    "{domain} publishes no MTA-STS policy, so senders deliver over TLS only \
                     opportunistically (an active attacker can strip STARTTLS): publish \
                     {sts_name} TXT \"v=STSv1; id=...\" and a policy at \
                     https://mta-sts.{domain}/.well-known/mta-sts.txt (RFC 8461)"
                ),
                s.evidence.clone(),
            ));
            tls_rpt_finding(&mut s, &rpt_name);
            return s;
        }
        [one] => one.clone(),
        many => {
            s.outcome = "invalid_policy".into();
            s.evidence = format!("{} v=STSv1 TXT records at {sts_name}", many.len());
            s.findings.push(finding(
                "mta_sts.invalid_policy",
                Severity::Error,
                format!(
                    "{sts_name} has more than one v=STSv1 TXT record, which senders treat as \
                     no policy at all (RFC 8461 section 3.1): keep exactly one"
                ),
                s.evidence.clone(),
            ));
            return s;
        }
    };
    s.id = txt
        .split(';')
        .filter_map(|f| f.trim().strip_prefix("id="))
        .map(|v| v.trim().to_string())
        .next();
    s.txt = Some(txt);
    tls_rpt_finding(&mut s, &rpt_name);
    let policy_host = format!("mta-sts.{domain}");
    let url = format!("https://{policy_host}/.well-known/mta-sts.txt");
    s.policy_url = Some(url.clone());
    let fetched = match mail::lookup(resolver, &policy_host, TYPE::A, wait).await {
        Ok(a) => match a.a.first() {
            Some(ip) => {
                // RFC 8461 section 3.3: HTTPS on the default port, nothing else.
                let addr = SocketAddr::new((*ip).into(), 443);
                mail::fetch_policy(addr, &policy_host, roots, wait)
                    .await
                    .map(|f| (f, addr))
            }
            None => Err(format!("{policy_host} has no A record ({})", a.rcode)),
        },
        Err(e) => Err(e),
    };
    let (fetched, addr) = match fetched {
        Ok(f) => f,
        Err(e) => return fetch_failed(s, &url, e),
    };
    if fetched.status != 200 {
        let e = format!("{url} ({addr}) answered HTTP {}", fetched.status);
        return fetch_failed(s, &url, e);
    }
    let text = String::from_utf8_lossy(&fetched.body);
    let mut policy = parse_policy(&text);
    // RFC 8461 section 3.3: the media type is text/plain.
    if !fetched
        .content_type
        .as_deref()
        .is_some_and(|c| c.to_ascii_lowercase().starts_with("text/plain"))
    {
        policy.problems.push(format!(
            "Content-Type is {} (RFC 8461 section 3.3 asks for text/plain)",
            fetched.content_type.as_deref().unwrap_or("absent")
        ));
    }
    s.mode = policy.mode.clone();
    s.mx_matches = Some(policy.mx.iter().any(|p| mx_matches(p, host)));
    judge_policy(&mut s, &policy, host, &url);
    s.policy = Some(policy);
    s
}

fn tls_rpt_finding(s: &mut MtaStsSection, rpt_name: &str) {
    if s.tls_rpt.is_none() {
        s.findings.push(finding(
            "tls_rpt.absent",
            Severity::Info,
            format!(
                "{} publishes no TLS-RPT record, so senders cannot report failed TLS \
                 deliveries to you: publish {rpt_name} TXT \"v=TLSRPTv1; rua=mailto:...\" \
                 (RFC 8460)",
                s.domain
            ),
            format!("no v=TLSRPTv1 TXT record at {rpt_name}"),
        ));
    }
}

fn fetch_failed(mut s: MtaStsSection, url: &str, e: String) -> MtaStsSection {
    s.outcome = "fetch_failed".into();
    s.evidence = e.clone();
    s.findings.push(finding(
        "mta_sts.fetch_failed",
        Severity::Error,
        format!(
            "the _mta-sts record announces a policy but {url} cannot be fetched, so senders \
             without a cached policy deliver without it: serve the policy over HTTPS with a \
             certificate valid for the mta-sts name (RFC 8461 section 3.3)"
        ),
        e,
    ));
    s
}

fn judge_policy(s: &mut MtaStsSection, policy: &MtaStsPolicy, host: &str, url: &str) {
    let invalid = policy.version.as_deref() != Some("STSv1")
        || policy.mode.is_none()
        || policy.max_age.is_none()
        || (policy.mx.is_empty() && policy.mode.as_deref() != Some("none"));
    if invalid {
        s.outcome = "invalid_policy".into();
        s.evidence = policy.problems.join("; ");
        s.findings.push(finding(
            "mta_sts.invalid_policy",
            Severity::Error,
            format!(
                "the policy at {url} is not a valid MTA-STS policy, so senders ignore it: it \
                 needs version: STSv1, mode: enforce|testing|none, max_age (at most \
                 {MAX_AGE_LIMIT}) and an mx line per MX host (RFC 8461 section 3.2)"
            ),
            s.evidence.clone(),
        ));
        return;
    }
    let mode = policy.mode.as_deref().unwrap_or_default();
    let evidence = format!(
        "mode {mode}, mx {}, max_age {}",
        policy.mx.join(" "),
        policy.max_age.unwrap_or_default()
    );
    if mode == "none" {
        s.outcome = "none".into();
        s.evidence = evidence;
        return;
    }
    if s.mx_matches == Some(false) {
        s.outcome = "mx_mismatch".into();
        s.evidence = format!("{host} matches none of: {}", policy.mx.join(", "));
        let severity = if mode == "enforce" {
            Severity::Error
        } else {
            Severity::Warning
        };
        s.findings.push(finding(
            "mta_sts.mx_mismatch",
            severity,
            format!(
                "{host} matches no mx pattern of the MTA-STS policy, so senders applying it \
                 refuse to deliver here (in testing mode, they report it): add \"mx: {host}\" \
                 to the policy at {url}, change its id in the TXT record, or take the host \
                 out of the MX set"
            ),
            s.evidence.clone(),
        ));
        return;
    }
    s.evidence = evidence;
    if mode == "testing" {
        s.outcome = "testing".into();
        s.findings.push(finding(
            "mta_sts.testing",
            Severity::Info,
            format!(
                "the MTA-STS policy is in testing mode: senders report failures but still \
                 deliver without TLS; once TLS-RPT shows no failures, set \"mode: enforce\" at \
                 {url} and change the id in the TXT record"
            ),
            s.evidence.clone(),
        ));
    } else {
        s.outcome = "valid".into();
    }
}

/// Parses a policy (RFC 8461 section 3.2): `key: value` lines, CRLF or LF; unknown keys are
/// ignored as the RFC says, bad values and lines are listed in `problems`.
pub fn parse_policy(text: &str) -> MtaStsPolicy {
    let mut p = MtaStsPolicy::default();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let Some((key, value)) = line.split_once(':') else {
            p.problems.push(format!("line without ':': {}", clip(line)));
            continue;
        };
        let value = value.trim();
        match key.trim() {
            "version" => p.version = Some(value.to_string()),
            "mode" => p.mode = Some(value.to_string()),
            "mx" => p.mx.push(value.to_ascii_lowercase()),
            "max_age" => match value.parse::<u64>() {
                Ok(n) if n <= MAX_AGE_LIMIT => p.max_age = Some(n),
                _ => p.problems.push(format!(
                    "max_age {} is not a number of seconds up to {MAX_AGE_LIMIT}",
                    clip(value)
                )),
            },
            _ => {}
        }
    }
    if p.version.as_deref() != Some("STSv1") {
        p.problems.push(format!(
            "version is {} (STSv1 expected)",
            p.version.as_deref().map_or("absent".into(), clip)
        ));
    }
    match p.mode.as_deref() {
        Some("enforce" | "testing" | "none") => {}
        other => {
            p.problems.push(format!(
                "mode is {} (enforce, testing or none expected)",
                other.map_or("absent".into(), clip)
            ));
            p.mode = None;
        }
    }
    if p.max_age.is_none() && !p.problems.iter().any(|x| x.starts_with("max_age")) {
        p.problems.push("max_age is absent".into());
    }
    if p.mx.is_empty() && p.mode.as_deref() != Some("none") {
        p.problems
            .push("no mx line (every mode but none needs one)".into());
    }
    p
}

fn clip(s: &str) -> String {
    s.chars().take(60).collect()
}

/// Whether `host` matches an `mx` pattern (RFC 8461 section 4.1): equal, or `*.` standing
/// for exactly one left-most label.
pub fn mx_matches(pattern: &str, host: &str) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    let pattern = pattern.trim_end_matches('.').to_ascii_lowercase();
    match pattern.strip_prefix("*.") {
        Some(suffix) => host
            .split_once('.')
            .is_some_and(|(label, rest)| !label.is_empty() && rest == suffix),
        None => host == pattern,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mail_domain_and_names() {
        assert_eq!(mail_domain("mx.mail.test", None), "mail.test");
        assert_eq!(mail_domain("mail.test", None), "mail.test");
        assert_eq!(
            mail_domain("mx.mail.test", Some("Other.Test.")),
            "other.test"
        );
        assert_eq!(tlsa_name("mx.mail.test.", 25), "_25._tcp.mx.mail.test");
    }

    #[test]
    fn mx_patterns_match_one_label() {
        assert!(mx_matches("mx.mail.test", "MX.mail.test."));
        assert!(mx_matches("*.mail.test", "mx.mail.test"));
        assert!(!mx_matches("*.mail.test", "a.mx.mail.test"));
        assert!(!mx_matches("*.mail.test", "mail.test"));
        assert!(!mx_matches("mx.mail.test", "mx2.mail.test"));
    }

    #[test]
    fn policies_parse_and_bad_ones_say_why() {
        let p = parse_policy(
            "version: STSv1\r\nmode: enforce\r\nmx: mx.mail.test\r\nmx: *.backup.test\r\nmax_age: 86400\r\nextension: ignored\r\n",
        );
        assert_eq!(p.version.as_deref(), Some("STSv1"));
        assert_eq!(p.mode.as_deref(), Some("enforce"));
        assert_eq!(p.mx, ["mx.mail.test", "*.backup.test"]);
        assert_eq!(p.max_age, Some(86400));
        assert!(p.problems.is_empty(), "{:?}", p.problems);
        let bad = parse_policy("version: STSv2\nmode: strict\nmax_age: 99999999999\ngarbage");
        assert_eq!(bad.mode, None);
        assert_eq!(bad.problems.len(), 5, "{:?}", bad.problems);
    }
}
