//! An SMTP server's published TLS policy: DANE TLSA records for its port (RFC 7672, RFC 6698,
//! RFC 7671) and the mail domain's MTA-STS policy (RFC 8461) and TLS-RPT record (RFC 8460).
//! Facts, with the findings they lead to.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Finding, SectionStatus};

/// The TLSA records of `_PORT._tcp.HOST` and whether one matches the chain the scan fetched.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq, Default)]
pub struct DaneSection {
    pub status: SectionStatus,
    /// Why the lookup failed, or null.
    pub error: Option<String>,
    /// The resolver asked, "127.0.0.1:53".
    pub resolver: String,
    /// The name queried for type TLSA (52): `_25._tcp.mx.example.com`.
    pub queried: String,
    /// The DNS response code: "NOERROR", "NXDOMAIN", …
    pub rcode: Option<String>,
    /// The resolver set the AD bit: it validated the answer with DNSSEC. Validation is the
    /// resolver's job; without it the records are not authenticated and RFC 7672 section 2.2
    /// has senders ignore them.
    pub authenticated: bool,
    pub records: Vec<TlsaRecord>,
    /// A usable record (DANE-TA or DANE-EE) matches the chain the server presented.
    pub matched: bool,
    /// "matched", "no_match" (records, none matching), "unusable" (only PKIX usages),
    /// "no_records", "no_chain" (no certificate was fetched to match against), or "error".
    pub outcome: String,
    /// What was found, for people.
    pub evidence: String,
    /// `dane.no_match`, `dane.unusable_usage`, `dane.not_authenticated`, `dane.malformed`.
    #[serde(default)]
    pub findings: Vec<Finding>,
}

/// One TLSA record (RFC 6698 section 2.1) and how it fared against the chain.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq, Default)]
pub struct TlsaRecord {
    /// 0 PKIX-TA, 1 PKIX-EE, 2 DANE-TA, 3 DANE-EE (RFC 7218 names).
    pub usage: u8,
    pub usage_name: String,
    /// 0 the full certificate, 1 the SubjectPublicKeyInfo.
    pub selector: u8,
    /// 0 exact, 1 SHA-256, 2 SHA-512.
    pub matching_type: u8,
    /// The association data, hex.
    pub data: String,
    /// The record matches a certificate of the chain: the leaf for DANE-EE, any for DANE-TA.
    pub matches: bool,
    /// Which certificate matched ("leaf", "chain[1]"), or why the record cannot be used
    /// ("usage 1 (PKIX-EE) is unusable for SMTP (RFC 7672 section 3.1.3)").
    pub note: String,
}

/// The mail domain's MTA-STS TXT record and policy, and its TLS-RPT record.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq, Default)]
pub struct MtaStsSection {
    pub status: SectionStatus,
    pub error: Option<String>,
    /// The mail domain (`--mail-domain`, else the target host's parent domain).
    pub domain: String,
    /// The `_mta-sts.DOMAIN` TXT record that starts with `v=STSv1`, or null.
    pub txt: Option<String>,
    /// Its `id=` value.
    pub id: Option<String>,
    /// Where the policy was fetched from, or null when no TXT record announced one.
    pub policy_url: Option<String>,
    /// The policy as parsed; null when none was fetched.
    pub policy: Option<MtaStsPolicy>,
    /// The policy's mode: "enforce", "testing", "none"; null without a policy.
    pub mode: Option<String>,
    /// The scanned host matches one of the policy's `mx` patterns; null without a policy.
    pub mx_matches: Option<bool>,
    /// The `_smtp._tls.DOMAIN` TXT record (TLS-RPT, RFC 8460) that starts with `v=TLSRPTv1`.
    pub tls_rpt: Option<String>,
    /// "valid", "testing", "none" (mode none), "no_policy" (no TXT record), "mx_mismatch",
    /// "fetch_failed", "invalid_policy", or "error".
    pub outcome: String,
    pub evidence: String,
    /// `mta_sts.fetch_failed`, `mta_sts.invalid_policy`, `mta_sts.mx_mismatch`,
    /// `mta_sts.testing`, `mta_sts.absent`, `tls_rpt.absent`.
    #[serde(default)]
    pub findings: Vec<Finding>,
}

/// An MTA-STS policy (RFC 8461 section 3.2).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq, Default)]
pub struct MtaStsPolicy {
    pub version: Option<String>,
    pub mode: Option<String>,
    /// `mx` patterns, in order ("mail.example.com", "*.example.net").
    pub mx: Vec<String>,
    /// Seconds a sender may cache the policy.
    pub max_age: Option<u64>,
    /// Lines that are not `key: value` or whose value is invalid.
    pub problems: Vec<String>,
}
