//! The target's DNS HTTPS record (RFC 9460): where and how the name says it is served
//! (ALPN, port, address hints) and its ECH configurations. Facts only.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::ech::EchConfigListInfo;
use super::SectionStatus;

/// The HTTPS records of the target's name, as a resolver answered.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq, Default)]
pub struct HttpsRecordSection {
    pub status: SectionStatus,
    /// Why the lookup failed (a timeout, SERVFAIL, an answer that does not decode), or null.
    pub error: Option<String>,
    /// The resolver asked, "127.0.0.1:53" (`--resolver`, else the first `nameserver` of
    /// /etc/resolv.conf).
    pub resolver: String,
    /// The names queried for type HTTPS (65), in order: the target's name (with the
    /// `_PORT._https.` prefix for a port other than 443, RFC 9460 section 9.1), then the
    /// target of each alias-mode record followed.
    pub queried: Vec<String>,
    /// The records found, alias and service mode, in the order the resolver gave them; empty
    /// when the name has none (NOERROR with no answer, or NXDOMAIN: see `rcode`).
    pub records: Vec<HttpsRecord>,
    /// The DNS response code of the last answer: "NOERROR", "NXDOMAIN", "SERVFAIL", …
    pub rcode: Option<String>,
}

/// One HTTPS resource record (RFC 9460 section 2.2).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq, Default)]
pub struct HttpsRecord {
    /// The owner name of the record.
    pub name: String,
    /// 0 is alias mode (the name is served as `target` says); 1+ is service mode, lower first.
    pub priority: u16,
    /// True for priority 0 (AliasMode).
    pub alias_mode: bool,
    /// The target name; "." means the owner name itself.
    pub target: String,
    /// `alpn` (key 1): the protocols the endpoint speaks ("h2", "h3").
    pub alpn: Vec<String>,
    /// `no-default-alpn` (key 2): the default ("http/1.1") is not implied.
    pub no_default_alpn: bool,
    /// `port` (key 3).
    pub port: Option<u16>,
    /// `ipv4hint` (key 4).
    pub ipv4hint: Vec<String>,
    /// `ipv6hint` (key 6).
    pub ipv6hint: Vec<String>,
    /// `mandatory` (key 0): keys a client must understand to use the record ("alpn", "key65000").
    pub mandatory: Vec<String>,
    /// `ech` (key 5): the ECHConfigList, decoded; null when absent.
    pub ech: Option<EchConfigListInfo>,
    /// Keys this build does not decode, as "key65000=<hex>".
    pub other_params: Vec<String>,
}

/// The presentation name of SvcParamKey `key` (RFC 9460 section 14.3.2).
pub fn svc_param_name(key: u16) -> String {
    match key {
        0 => "mandatory".into(),
        1 => "alpn".into(),
        2 => "no-default-alpn".into(),
        3 => "port".into(),
        4 => "ipv4hint".into(),
        5 => "ech".into(),
        6 => "ipv6hint".into(),
        other => format!("key{other}"),
    }
}
