//! The ECH stage (RFC 9849): one GREASE ECH hello on every TLS 1.3 target, and one real ECH
//! handshake when a config is known (`--ech-config`, else the first service-mode HTTPS
//! record that carries one), folded into the [`EchSection`]. A hello that breaks is asked
//! again without the extension (one more connection), so that intolerance of ECH is told
//! apart from a refusal of something else in the hello.

use crate::facts::ech::EchConfigListInfo;
use crate::facts::{
    EchOutcome, EchProbe, EchSection, HttpsRecordSection, ProtocolResult, SectionStatus, Stage,
    TlsVersion,
};
use crate::facts::{Finding, Severity};
use crate::probe::ech::{self, EchAnswer};
use crate::probe::Ctx;
use crate::wire::ech::EchConfigList;
use crate::wire::Codec;

use super::ScanOptions;

/// The stage, when scheduled and the target is not STARTTLS.
pub async fn scan(
    ctx: &Ctx,
    protocols: &[ProtocolResult],
    https_record: Option<&HttpsRecordSection>,
    opts: &ScanOptions,
) -> Option<EchSection> {
    if !opts.runs(Stage::Ech) || opts.starttls.is_some() {
        return None;
    }
    let tls13 = protocols.iter().find(|p| p.version == TlsVersion::Tls13);
    match tls13 {
        Some(p) if p.supported => {}
        Some(p) if p.status == SectionStatus::Completed => {
            return Some(EchSection {
                summary: "not applicable: the server does not offer TLS 1.3, which ECH needs"
                    .into(),
                ..Default::default()
            })
        }
        _ => {
            return Some(EchSection {
                status: SectionStatus::NotScheduled,
                summary: "not scanned: ECH needs TLS 1.3, which was not scanned (--versions)"
                    .into(),
                ..Default::default()
            })
        }
    }
    let grease_answer = ech::grease(&ctx.engine, &ctx.host, ctx.sni.clone()).await;
    let grease = judge(ctx, grease_answer).await;

    let (config, source) = match (&opts.ech_config, https_record) {
        (Some(bytes), _) => (Some(bytes.clone()), Some("ech_config")),
        (None, Some(record)) => (dns_config(record), Some("dns")),
        (None, None) => (None, None),
    };
    let mut section = EchSection {
        grease: Some(grease),
        ..Default::default()
    };
    let mut note = None;
    if let (Some(bytes), Some(source)) = (config, source) {
        section.config_source = Some(source.into());
        match EchConfigList::from_bytes(&bytes) {
            Err(e) => note = Some(format!("the ECH config ({source}) does not decode: {e}")),
            Ok(list) => match ech::real(&ctx.engine, &ctx.host, ctx.sni.clone(), &list).await {
                Ok(answer) => section.handshake = Some(judge(ctx, answer).await),
                Err(e) => note = Some(format!("no real ECH handshake: {e}")),
            },
        }
    }
    section.summary = summary(&section, note);
    section.findings = findings(&section, https_record);
    Some(section)
}

fn finding(id: &str, severity: Severity, message: &str, evidence: String) -> Finding {
    Finding {
        id: id.into(),
        severity,
        message: message.into(),
        evidence: Some(evidence),
    }
}

/// What to act on, from the outcomes and the HTTPS record.
fn findings(section: &EchSection, https_record: Option<&HttpsRecordSection>) -> Vec<Finding> {
    let mut out = Vec::new();
    if let Some(p) = [&section.grease, &section.handshake]
        .into_iter()
        .flatten()
        .find(|p| p.outcome == EchOutcome::Intolerant)
    {
        out.push(finding(
            "ech.intolerant",
            Severity::Warning,
            "the server breaks TLS 1.3 handshakes that carry an encrypted_client_hello \
             extension, so clients that send ECH or GREASE ECH (current browsers) fail: update \
             the TLS stack or the middlebox in front of it so that it ignores unknown extensions \
             (RFC 8446 section 4.2)",
            p.evidence.clone(),
        ));
    }
    let from_dns = section.config_source.as_deref() == Some("dns");
    match section.handshake.as_ref().map(|h| (h.outcome, h)) {
        Some((EchOutcome::RetryConfigs, h)) if from_dns => out.push(finding(
            "ech.dns_config_rejected",
            Severity::Warning,
            "the ECH config in the HTTPS record is not one the server takes: every client \
             pays a retry (and uses the server's retry_configs); publish the server's current \
             ECHConfigList in the record's ech= value",
            h.evidence.clone(),
        )),
        Some((EchOutcome::Ignored, h)) if from_dns => out.push(finding(
            "ech.dns_config_ignored",
            Severity::Warning,
            "the HTTPS record publishes an ECH config but the server ignores ECH: clients \
             encrypt their hello in vain and the name is not hidden; enable ECH on the server \
             or remove ech= from the record",
            h.evidence.clone(),
        )),
        _ => {}
    }
    // A record whose ech= no client can use (it does not decode, or every config has a problem).
    let unusable = https_record
        .into_iter()
        .flat_map(|r| &r.records)
        .filter_map(|r| r.ech.as_ref())
        .find(|e| e.error.is_some() || !e.configs.iter().any(|c| c.usable));
    if let Some(e) = unusable {
        let why = e.error.clone().unwrap_or_else(|| {
            e.configs
                .iter()
                .map(|c| {
                    c.problem
                        .clone()
                        .unwrap_or_else(|| "not usable by this client".into())
                })
                .collect::<Vec<_>>()
                .join("; ")
        });
        out.push(finding(
            "ech.dns_config_unusable",
            Severity::Warning,
            "the HTTPS record's ech= value holds no ECH config a client can use: fix it (a \
             valid ECHConfigList of version 0xfe0d with an LDH public name) or remove it",
            why,
        ));
    }
    out
}

/// The ECHConfigList of the first service-mode record that carries one.
fn dns_config(record: &HttpsRecordSection) -> Option<Vec<u8>> {
    use base64::Engine;
    record
        .records
        .iter()
        .filter(|r| !r.alias_mode)
        .find_map(|r| r.ech.as_ref())
        .and_then(|e| {
            base64::engine::general_purpose::STANDARD
                .decode(&e.base64)
                .ok()
        })
}

/// The outcome of one answer; a broken handshake is asked again without ECH.
async fn judge(ctx: &Ctx, answer: EchAnswer) -> EchProbe {
    let evidence = answer.describe();
    let retry_configs = answer
        .retry_configs()
        .map(|b| EchConfigListInfo::from_wire(&b));
    let outcome = match &answer {
        EchAnswer::Flight {
            accepted: Some(true),
            ..
        } => EchOutcome::Accepted,
        EchAnswer::Flight {
            encrypted_extensions: Ok(_),
            ..
        } if retry_configs.is_some() => EchOutcome::RetryConfigs,
        EchAnswer::Flight {
            encrypted_extensions: Ok(_),
            ..
        } => EchOutcome::Ignored,
        a if a.broke() => {
            let control = ech::control(&ctx.engine, &ctx.host, ctx.sni.clone()).await;
            if matches!(control, EchAnswer::Flight { .. }) {
                EchOutcome::Intolerant
            } else {
                return EchProbe {
                    outcome: EchOutcome::NotDetermined,
                    evidence: format!(
                        "{evidence}; the same hello without ECH fails too ({})",
                        control.describe()
                    ),
                    retry_configs,
                };
            }
        }
        _ => EchOutcome::NotDetermined,
    };
    EchProbe {
        outcome,
        evidence,
        retry_configs,
    }
}

/// One sentence for people.
fn summary(section: &EchSection, note: Option<String>) -> String {
    let grease = section.grease.as_ref().map(|g| g.outcome);
    let handshake = section.handshake.as_ref().map(|h| h.outcome);
    let mut s = match (handshake, grease) {
        (Some(EchOutcome::Accepted), _) => {
            "ECH accepted: the server decrypted the inner hello".to_string()
        }
        (Some(EchOutcome::RetryConfigs), _) => {
            "ECH supported, but the config offered was rejected: the server sent retry_configs"
                .into()
        }
        (Some(EchOutcome::Ignored), _) => {
            "ECH config known, but the server ignored the encrypted hello".into()
        }
        (_, Some(EchOutcome::RetryConfigs)) => {
            "ECH supported: GREASE ECH was answered with retry_configs".into()
        }
        (_, Some(EchOutcome::Intolerant)) => {
            "ECH-intolerant: the server breaks handshakes that carry an encrypted_client_hello \
             extension; fix or update it (RFC 8446 asks servers to ignore unknown extensions)"
                .into()
        }
        (_, Some(EchOutcome::Ignored)) => "no ECH: GREASE ECH ignored".into(),
        _ => "not determined".into(),
    };
    if matches!(handshake, Some(EchOutcome::Intolerant)) {
        s.push_str("; the real ECH handshake failed");
    }
    if let Some(n) = note {
        s.push_str("; ");
        s.push_str(&n);
    }
    s
}
