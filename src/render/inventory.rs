//! The inventory (`--format inventory`, CSV; `--format inventory-json`): every endpoint's
//! protocols, cipher suites, key-exchange groups, certificates and verdicts, one row per item,
//! for auditors' spreadsheets: PCI DSS v4.0.1 requirement 12.3.3 asks for an inventory of the
//! cryptographic cipher suites and protocols in use, 4.2.1.1 for one of trusted keys and
//! certificates.
//!
//! Columns, in this order (the CSV header names them):
//!
//! | column | holds |
//! |---|---|
//! | `target` | the endpoint as scanned (`host:port`) |
//! | `ip` | the address connected to |
//! | `kind` | `protocol`, `cipher_suite`, `group`, `dhe_group`, `certificate`, `certificate_finding`, `policy`, `policy_rule`, `post_quantum`, `grade` or `error` |
//! | `version` | the protocol version the item belongs to (suites, groups) |
//! | `item` | its name: `TLSv1.2`, an IANA suite or group name, a certificate subject, a policy, a rule or finding id, a grade letter |
//! | `status` | `offered` / `not offered` / `not determined` (protocols), `accepted` (suites, groups), `leaf` / `intermediate` / `root` (certificates), a verdict, a rule status, a finding's severity |
//! | `key` | a certificate's public key (`RSA 2048`, `EC P-256`); a suite's key exchange and authentication |
//! | `algorithm` | a certificate's signature algorithm; a suite's cipher, mode and bits; a group's kind (`ecdhe`, `ffdhe`, `post_quantum_hybrid`, `post_quantum`) |
//! | `expires` | a certificate's notAfter (RFC 3339) |
//! | `detail` | the rest, for people: OpenSSL suite name, issuer and fingerprint, evidence |
//!
//! Spreadsheets run cells that start with `=`, `+`, `-`, `@`, tab or carriage return as
//! formulas; a server chooses its certificate's subject, so such a cell is written with a
//! leading `'` (OWASP's advice on CSV injection). Fields are quoted as RFC 4180 says.

use std::io::Write;

use serde::Serialize;

use crate::facts::SectionStatus;
use crate::policy::RuleStatus;
use crate::render::view;
use crate::report::{ScanReport, TargetReport};

/// One row of the inventory.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Row {
    pub target: String,
    pub ip: String,
    pub kind: &'static str,
    pub version: String,
    pub item: String,
    pub status: String,
    pub key: String,
    pub algorithm: String,
    pub expires: String,
    pub detail: String,
}

const HEADER: [&str; 10] = [
    "target",
    "ip",
    "kind",
    "version",
    "item",
    "status",
    "key",
    "algorithm",
    "expires",
    "detail",
];

impl Row {
    fn fields(&self) -> [&str; 10] {
        [
            &self.target,
            &self.ip,
            self.kind,
            &self.version,
            &self.item,
            &self.status,
            &self.key,
            &self.algorithm,
            &self.expires,
            &self.detail,
        ]
    }
}

/// Every row of one target, in a fixed order: protocols, suites, groups, certificates, policy,
/// grade.
pub fn rows(t: &TargetReport) -> Vec<Row> {
    let base = Row {
        target: t.target.clone(),
        ip: t.ip.clone().unwrap_or_default(),
        ..Row::default()
    };
    let row = |kind: &'static str| Row {
        kind,
        ..base.clone()
    };
    let mut out = Vec::new();
    if let Some(e) = &t.error {
        out.push(Row {
            status: "not scanned".into(),
            detail: e.clone(),
            ..row("error")
        });
    }
    for p in &t.protocols {
        let status = match p.status {
            SectionStatus::Completed if p.supported => "offered",
            SectionStatus::Completed => "not offered",
            _ => "not determined",
        };
        out.push(Row {
            item: p.version.name().into(),
            status: status.into(),
            detail: p.error.clone().unwrap_or_default(),
            ..row("protocol")
        });
    }
    for p in t.protocols.iter().filter(|p| p.supported) {
        for s in &p.cipher_suites {
            out.push(Row {
                version: p.version.name().into(),
                item: s.name.clone(),
                status: "accepted".into(),
                key: format!("{} {}", s.kx, s.auth),
                algorithm: format!("{} {} {} bits", s.cipher, s.mode, s.bits),
                detail: s.openssl_name.clone().unwrap_or_default(),
                ..row("cipher_suite")
            });
        }
    }
    for v in t.groups.iter().flat_map(|g| &g.versions) {
        for g in &v.groups {
            out.push(Row {
                version: v.version.name().into(),
                item: g.name.clone(),
                status: "accepted".into(),
                algorithm: g.kind.clone(),
                detail: if g.post_quantum {
                    "post-quantum".into()
                } else {
                    String::new()
                },
                ..row("group")
            });
        }
        if let Some(d) = &v.dhe {
            out.push(Row {
                version: v.version.name().into(),
                item: d
                    .known_group
                    .clone()
                    .unwrap_or_else(|| format!("DHE {} bits", d.prime_bits)),
                status: "accepted".into(),
                key: format!("{} bits", d.prime_bits),
                algorithm: "ffdhe".into(),
                detail: d.suite.clone(),
                ..row("dhe_group")
            });
        }
    }
    if let Some(c) = &t.certificates {
        for chain in &c.chains {
            let n = chain.certificates.len();
            for (i, cert) in chain.certificates.iter().enumerate() {
                let position = match i {
                    0 => "leaf",
                    _ if i + 1 == n && cert.self_signed => "root",
                    _ => "intermediate",
                };
                out.push(Row {
                    item: cert.subject.clone(),
                    status: position.into(),
                    key: view::public_key(&cert.public_key),
                    algorithm: cert.signature_algorithm.clone(),
                    expires: cert.not_after.clone(),
                    detail: format!(
                        "{} chain; issuer {}; sha256 {}; trusted {}",
                        chain.key_type,
                        cert.issuer,
                        cert.sha256,
                        if chain.verdicts.trusted { "yes" } else { "no" }
                    ),
                    ..row("certificate")
                });
            }
        }
        for f in &c.findings {
            out.push(Row {
                item: f.id.clone(),
                status: f.severity.name().into(),
                detail: f.evidence.clone().unwrap_or_default(),
                ..row("certificate_finding")
            });
        }
    }
    if let Some(p) = &t.policy {
        out.push(Row {
            item: p.policy.clone(),
            status: p.verdict.to_string(),
            detail: format!("{}; {}", p.summary(), p.version_note()),
            ..row("policy")
        });
        for r in &p.rules {
            out.push(Row {
                item: r.id.clone(),
                status: match r.status {
                    RuleStatus::Pass => "pass",
                    RuleStatus::Fail => "fail",
                    RuleStatus::Incomplete => "incomplete",
                }
                .into(),
                key: r.severity.name().into(),
                detail: r.evidence.clone(),
                ..row("policy_rule")
            });
        }
    }
    if let Some(pq) = &t.post_quantum {
        let groups: Vec<&str> = pq
            .hybrid_groups
            .iter()
            .chain(&pq.pure_groups)
            .map(String::as_str)
            .collect();
        out.push(Row {
            version: "TLSv1.3".into(),
            item: groups.join(" "),
            status: view::post_quantum(pq).0.text,
            key: pq.classical_certificate_keys.join(" "),
            detail: pq.evidence.clone(),
            ..row("post_quantum")
        });
    }
    if let Some(g) = &t.grade {
        out.push(Row {
            item: g.letter.to_string(),
            status: format!("score {}", g.score),
            ..row("grade")
        });
    }
    out
}

/// One CSV field: quoted when it holds a comma, a quote or a line break (RFC 4180), and kept
/// from being read as a formula.
pub(crate) fn field(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_string()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

fn line(out: &mut dyn Write, fields: &[&str]) -> std::io::Result<()> {
    let cells: Vec<String> = fields.iter().map(|f| field(f)).collect();
    write!(out, "{}\r\n", cells.join(","))
}

/// The whole report as CSV, header first (CRLF line ends, as RFC 4180 and spreadsheets expect).
pub fn csv(out: &mut dyn Write, report: &ScanReport) -> std::io::Result<()> {
    line(out, &HEADER)?;
    for t in &report.targets {
        for r in rows(t) {
            line(out, &r.fields())?;
        }
    }
    Ok(())
}

/// The whole report as one JSON array of rows (the CSV's columns as keys).
pub fn json(out: &mut dyn Write, report: &ScanReport) -> std::io::Result<()> {
    let all: Vec<Row> = report.targets.iter().flat_map(rows).collect();
    serde_json::to_writer_pretty(&mut *out, &all)?;
    writeln!(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_quoted_and_never_formulas() {
        assert_eq!(field("plain"), "plain");
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(field("two\nlines"), "\"two\nlines\"");
        assert_eq!(field("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(field("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(field("-1"), "'-1");
        assert_eq!(field(""), "");
    }
}
