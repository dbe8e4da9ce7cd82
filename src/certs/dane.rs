//! DANE for SMTP (RFC 7672): each TLSA record matched against the chain the server presented
//! (RFC 6698 section 2.1: selector 0 the certificate, 1 its SubjectPublicKeyInfo; matching type
//! 0 exact, 1 SHA-256, 2 SHA-512), DANE-EE (3) against the leaf, DANE-TA (2) against any
//! certificate of the chain; PKIX-TA/PKIX-EE (0/1) are unusable for SMTP (RFC 7672 section
//! 3.1.3). With DANE-EE, names and dates are not checked (RFC 7672 section 3.1.1).

use sha2::{Digest, Sha256, Sha512};

use crate::facts::{DaneSection, Finding, Severity};

/// Matches the section's records against `chain` (DER, leaf first; `None` when the scan
/// fetched none) and sets `matched`, `outcome`, `evidence` and the findings.
pub fn judge(section: &mut DaneSection, chain: Option<&[Vec<u8>]>) {
    if section.error.is_some() {
        return;
    }
    if section.records.is_empty() {
        section.outcome = "no_records".into();
        section.evidence = format!(
            "no TLSA records at {} ({})",
            section.queried,
            section.rcode.as_deref().unwrap_or("no answer")
        );
        return;
    }
    let chain = chain.unwrap_or_default();
    for r in &mut section.records {
        let data = hex_bytes(&r.data);
        let candidates: &[Vec<u8>] = match r.usage {
            3 => chain.get(..1).unwrap_or_default(),
            2 => chain,
            0 | 1 => {
                r.note = format!(
                    "usage {} ({}) is unusable for SMTP (RFC 7672 section 3.1.3)",
                    r.usage, r.usage_name
                );
                continue;
            }
            other => {
                r.note = format!("usage {other} is not defined (RFC 6698 section 2.1.1)");
                continue;
            }
        };
        if !matches!(r.selector, 0 | 1) || !matches!(r.matching_type, 0..=2) {
            r.note = format!(
                "selector {} / matching type {} is not defined (RFC 6698 sections 2.1.2-2.1.3)",
                r.selector, r.matching_type
            );
            continue;
        }
        let hit = candidates.iter().position(|der| {
            selected(der, r.selector)
                .is_some_and(|bytes| digest(&bytes, r.matching_type).as_deref() == Some(&data[..]))
        });
        match hit {
            Some(0) => {
                r.matches = true;
                r.note = "leaf".into();
            }
            Some(i) => {
                r.matches = true;
                r.note = format!("chain[{i}]");
            }
            None if chain.is_empty() => r.note = "no chain fetched to match against".into(),
            None => r.note = "matches no certificate of the chain".into(),
        }
    }
    let usable: Vec<_> = section
        .records
        .iter()
        .filter(|r| matches!(r.usage, 2 | 3))
        .collect();
    section.matched = usable.iter().any(|r| r.matches);
    let describe = |r: &crate::facts::TlsaRecord| {
        format!(
            "{} {} {} {}…",
            r.usage,
            r.selector,
            r.matching_type,
            r.data.chars().take(16).collect::<String>()
        )
    };
    let unusable: Vec<String> = section
        .records
        .iter()
        .filter(|r| matches!(r.usage, 0 | 1))
        .map(describe)
        .collect();
    if !unusable.is_empty() {
        section.findings.push(Finding {
            id: "dane.unusable_usage".into(),
            severity: Severity::Warning,
            message: format!(
                "{} publishes TLSA records with usage PKIX-TA(0)/PKIX-EE(1), which SMTP senders \
                 treat as unusable (RFC 7672 section 3.1.3): publish DANE-EE(3) \"3 1 1\" (the \
                 SHA-256 of the server's public key) or DANE-TA(2) \"2 1 1\" records instead",
                section.queried
            ),
            evidence: Some(unusable.join(", ")),
        });
    }
    if chain.is_empty() {
        section.outcome = "no_chain".into();
        section.evidence = "the scan fetched no certificate chain to match against".into();
        return;
    }
    if section.matched {
        section.outcome = "matched".into();
        section.evidence = usable
            .iter()
            .filter(|r| r.matches)
            .map(|r| format!("{} matches the {}", describe(r), r.note))
            .collect::<Vec<_>>()
            .join("; ");
    } else if usable.is_empty() {
        section.outcome = "unusable".into();
        section.evidence = "only PKIX-TA/PKIX-EE or undefined records".into();
    } else {
        section.outcome = "no_match".into();
        section.evidence = format!(
            "{} record(s) {}: none matches the chain served",
            usable.len(),
            usable
                .iter()
                .map(|r| describe(r))
                .collect::<Vec<_>>()
                .join(", ")
        );
        section.findings.push(Finding {
            id: "dane.no_match".into(),
            severity: Severity::Error,
            message: format!(
                "no TLSA record at {} matches the certificate chain the server presents, so \
                 DANE senders refuse to deliver: a certificate or key rollover left the records \
                 stale; publish a record for the current key (e.g. \"3 1 1\" of its SPKI) and \
                 keep old and new records side by side across the next rollover (RFC 7671 \
                 section 8.1)",
                section.queried
            ),
            evidence: Some(section.evidence.clone()),
        });
    }
    if !section.authenticated && !usable.is_empty() {
        section.findings.push(Finding {
            id: "dane.not_authenticated".into(),
            severity: Severity::Warning,
            message: "the resolver did not mark the TLSA answer as DNSSEC-validated (no AD bit): \
                      DANE without DNSSEC is not authenticated and senders ignore it; sign the \
                      zone, or scan through a validating resolver (--resolver) to check it"
                .into(),
            evidence: Some(format!(
                "AD bit clear in the answer for {}",
                section.queried
            )),
        });
    }
}

/// The bytes a selector picks: 0 the whole certificate, 1 its SubjectPublicKeyInfo.
fn selected(der: &[u8], selector: u8) -> Option<Vec<u8>> {
    match selector {
        0 => Some(der.to_vec()),
        1 => {
            let (_, cert) = x509_parser::parse_x509_certificate(der).ok()?;
            Some(cert.tbs_certificate.subject_pki.raw.to_vec())
        }
        _ => None,
    }
}

fn digest(bytes: &[u8], matching_type: u8) -> Option<Vec<u8>> {
    match matching_type {
        0 => Some(bytes.to_vec()),
        1 => Some(Sha256::digest(bytes).to_vec()),
        2 => Some(Sha512::digest(bytes).to_vec()),
        _ => None,
    }
}

fn hex_bytes(hex: &str) -> Vec<u8> {
    (0..hex.len() / 2)
        .filter_map(|i| u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::TlsaRecord;

    fn record(usage: u8, selector: u8, matching_type: u8, data: &[u8]) -> TlsaRecord {
        TlsaRecord {
            usage,
            usage_name: format!("u{usage}"),
            selector,
            matching_type,
            data: crate::wire::hex(data),
            ..Default::default()
        }
    }

    #[test]
    fn records_match_the_leaf_or_the_chain_and_stale_ones_are_found() {
        let leaf = rcgen::generate_simple_self_signed(vec!["mx.mail.test".into()]).unwrap();
        let ca = rcgen::generate_simple_self_signed(vec!["ca.mail.test".into()]).unwrap();
        let leaf_der = leaf.cert.der().to_vec();
        let ca_der = ca.cert.der().to_vec();
        let spki = selected(&leaf_der, 1).unwrap();
        let chain = vec![leaf_der.clone(), ca_der.clone()];
        let mut s = DaneSection {
            queried: "_25._tcp.mx.mail.test".into(),
            authenticated: true,
            records: vec![
                record(3, 1, 1, &Sha256::digest(&spki)),
                record(2, 0, 2, &Sha512::digest(&ca_der)),
                record(3, 0, 0, &ca_der),
                record(1, 1, 1, &Sha256::digest(&spki)),
            ],
            ..Default::default()
        };
        judge(&mut s, Some(&chain));
        let m: Vec<_> = s
            .records
            .iter()
            .map(|r| (r.matches, r.note.as_str()))
            .collect();
        assert_eq!(m[0], (true, "leaf"));
        assert_eq!(m[1], (true, "chain[1]"));
        assert_eq!(m[2], (false, "matches no certificate of the chain"));
        assert!(!m[3].0 && m[3].1.contains("unusable for SMTP"));
        assert!(s.matched);
        assert_eq!(s.outcome, "matched");
        let ids: Vec<_> = s.findings.iter().map(|f| f.id.as_str()).collect();
        assert_eq!(ids, ["dane.unusable_usage"]);

        let mut stale = DaneSection {
            records: vec![record(3, 1, 1, &[0xab; 32])],
            ..Default::default()
        };
        judge(&mut stale, Some(&chain));
        assert_eq!(stale.outcome, "no_match");
        let ids: Vec<_> = stale.findings.iter().map(|f| f.id.as_str()).collect();
        assert_eq!(ids, ["dane.no_match", "dane.not_authenticated"]);
    }
}
