//! The DNS stage: the target's HTTPS record (RFC 9460), read through `--resolver` or the
//! system's resolver, into the [`HttpsRecordSection`]. Only names are looked up: an IP
//! literal has no HTTPS record, special-use names (`localhost`, `*.invalid`, RFC 6761) never
//! reach DNS, a STARTTLS target is no HTTPS service, and `--ip` (the user said not to
//! resolve) skips it unless a resolver is named too.

use std::time::Duration;

use crate::facts::{HttpsRecordSection, SectionStatus, Stage};
use crate::probe::dns::{self, https_query_name, is_dns_name};
use crate::probe::Target;

use super::ScanOptions;

/// Whether the stage runs for `target` with `opts`.
pub fn applies(target: &Target, opts: &ScanOptions) -> bool {
    opts.runs(Stage::Dns)
        && opts.starttls.is_none()
        && is_dns_name(&target.host)
        && (opts.ip.is_none() || opts.resolver.is_some())
}

/// Looks the record up, each DNS exchange bounded by `wait`; `None` when the stage does not
/// apply (see [`applies`]).
pub async fn scan(
    target: &Target,
    opts: &ScanOptions,
    wait: Duration,
) -> Option<HttpsRecordSection> {
    if !applies(target, opts) {
        return None;
    }
    let name = https_query_name(&target.host, target.port);
    let resolver = match opts.resolver {
        Some(r) => r,
        None => match dns::system_resolver() {
            Ok(r) => r,
            Err(e) => {
                return Some(HttpsRecordSection {
                    status: SectionStatus::Error,
                    error: Some(e),
                    queried: vec![name],
                    ..Default::default()
                })
            }
        },
    };
    Some(match dns::lookup_https(resolver, &name, wait).await {
        Ok(found) => HttpsRecordSection {
            status: SectionStatus::Completed,
            error: None,
            resolver: resolver.to_string(),
            queried: found.queried,
            records: found.records,
            rcode: Some(found.rcode),
        },
        Err(e) => HttpsRecordSection {
            status: SectionStatus::Error,
            error: Some(e.message),
            resolver: resolver.to_string(),
            queried: e.queried,
            records: Vec::new(),
            rcode: None,
        },
    })
}
