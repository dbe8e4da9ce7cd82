//! Everything learned about one target: the sections of the scan, each with its own status.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{
    CertificatesSection, DaneSection, EchSection, FeaturesSection, GroupsSection, HttpSection,
    HttpsRecordSection, MtaStsSection, ProtocolResult, SignaturesSection, TlsVersion,
    WeaknessesSection,
};
use super::{ErrorReason, QuicSection, ReplayAnswer, Transport};

/// Everything learned about one target. `error` is set when the target could not be scanned
/// at all; sections that failed on their own carry their own status.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq, Default)]
pub struct TargetFacts {
    /// The target as the user gave it.
    pub target: String,
    pub host: String,
    pub port: u16,
    /// How TLS was reached: "tcp", or "quic" (`--quic`: TLS 1.3 inside QUIC over UDP).
    #[serde(default)]
    pub transport: Transport,
    /// The address that was scanned.
    pub ip: Option<String>,
    /// The server name sent in SNI, or null when none was sent.
    pub sni: Option<String>,
    /// The STARTTLS protocol spoken before TLS ("smtp", "imap", "pop3", "postgres", "ftp",
    /// "xmpp", "ldap", "mysql", "nntp", "irc", "sieve", "lmtp"), or null (TLS from the first
    /// byte).
    #[serde(default)]
    pub starttls: Option<Starttls>,
    /// Why the target could not be scanned, or null.
    pub error: Option<String>,
    /// Why, as a reason code (absent when the target was scanned).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_reason: Option<ErrorReason>,
    /// One entry per protocol version, SSLv2 to TLS 1.3.
    pub protocols: Vec<ProtocolResult>,
    /// Certificate chains and their verdicts; null when not scanned.
    #[serde(default)]
    pub certificates: Option<CertificatesSection>,
    /// Connections the scan opened to this target: TCP connections, or over QUIC the QUIC
    /// handshakes begun.
    pub connections: u64,
    /// Present when the server turned connections away for a while (rate limiting): how the
    /// scan coped, and whether results may be affected. Absent when it never did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_limited: Option<RateLimited>,
    pub duration_ms: u64,
    /// QUIC versions, ALPN and transport parameters (`--quic`); null for a TCP scan.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quic: Option<QuicSection>,
    /// Key-exchange groups per version; null when not scanned.
    #[serde(default)]
    pub groups: Option<GroupsSection>,
    /// Signature schemes per version; null when not scanned.
    #[serde(default)]
    pub signature_schemes: Option<SignaturesSection>,
    /// Protocol features and behaviours; null when not scanned.
    #[serde(default)]
    pub features: Option<FeaturesSection>,
    /// Known weaknesses (Heartbleed, ROBOT, SWEET32 …), each yes / no with its evidence; null
    /// when not scanned.
    #[serde(default)]
    pub weaknesses: Option<WeaknessesSection>,
    /// One `GET /` over the scanned TLS: HSTS, HTTP compression, the server banner; null when
    /// not scanned (`--no-http`, `--only` without `http`, a STARTTLS target).
    #[serde(default)]
    pub http: Option<HttpSection>,
    /// The DNS HTTPS record of the target's name (RFC 9460), with its ECH configurations
    /// decoded; null when not looked up (an IP literal, STARTTLS, `--no-dns`, `--only`
    /// without `dns`).
    #[serde(default)]
    pub https_record: Option<HttpsRecordSection>,
    /// Encrypted Client Hello (RFC 9849): GREASE, and a real ECH handshake where a config is
    /// known; null when not scanned (STARTTLS, `--only` without `ech`).
    #[serde(default)]
    pub ech: Option<EchSection>,
    /// The server's answers to replayed client hellos (`--simulate live`); shown through the
    /// simulation section, not on their own.
    /// SMTP targets with DNS: the TLSA records of `_PORT._tcp.HOST` (DANE, RFC 7672) matched
    /// against the fetched chain; left out otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dane: Option<DaneSection>,
    /// SMTP targets with DNS: the mail domain's MTA-STS policy (RFC 8461) and TLS-RPT record;
    /// left out otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mta_sts: Option<MtaStsSection>,
    #[serde(skip)]
    pub replay: Vec<ReplayAnswer>,
}

/// A server that turned connections away during the scan (SMTP 421, "too many connections",
/// LDAP busy, refused TCP after answering …). The scan paused and asked again, one connection
/// at a time, rather than take a refusal for "not supported".
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq, Eq, Default)]
pub struct RateLimited {
    /// Always true when present: the server limited the scan's connections.
    pub detected: bool,
    /// Connections asked again after a refusal.
    pub retries: u64,
    /// Connections given up on after the last retry; their probes have no answer.
    pub gave_up: u64,
    /// What the server said or did the first time, e.g. `421 4.7.0 Error: too many connections`.
    pub evidence: String,
    /// Whether the results may be affected, in words.
    pub note: String,
}

impl RateLimited {
    /// The record of a scan whose connections were refused `retries + gave_up` times.
    pub fn new(evidence: String, retries: u64, gave_up: u64) -> Self {
        let note = if gave_up == 0 {
            "every refused connection was answered after a pause (then one connection at a \
             time): the results are complete"
                .to_string()
        } else {
            format!(
                "{gave_up} connection(s) were still refused after the last retry: answers \
                 missing from those probes (a version, suite or feature shown as not supported, \
                 or a section with an error) may be the limit's doing; scan again later or with \
                 a lower --rate"
            )
        };
        Self {
            detected: true,
            retries,
            gave_up,
            evidence,
            note,
        }
    }

    /// Whether some answers may be missing because of the limit.
    pub fn may_affect_results(&self) -> bool {
        self.gave_up > 0
    }
}

impl TargetFacts {
    pub fn protocol(&self, v: TlsVersion) -> Option<&ProtocolResult> {
        self.protocols.iter().find(|p| p.version == v)
    }
}

/// Protocols whose STARTTLS we speak.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    serde::Serialize,
    serde::Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Starttls {
    Smtp,
    Imap,
    Pop3,
    // PostgreSQL's SSLRequest (protocol section 53.2.10), answered `S` before TLS.
    Postgres,
    // FTP's `AUTH TLS` (RFC 4217 section 4), answered 234 before TLS.
    Ftp,
    // XMPP client-to-server STARTTLS (RFC 6120 section 5), answered `<proceed/>` before TLS.
    Xmpp,
    // LDAP's StartTLS extended operation (RFC 4511 section 4.14), answered success.
    Ldap,
    // MySQL / MariaDB: the SSLRequest packet in answer to the server's handshake packet.
    Mysql,
    // NNTP `STARTTLS` (RFC 4642), answered 382.
    Nntp,
    // IRC `STARTTLS` (IRCv3 tls extension), answered with numeric 670.
    Irc,
    // ManageSieve `STARTTLS` (RFC 5804 section 2.2), answered `OK`.
    Sieve,
    // LMTP (RFC 2033): SMTP's STARTTLS after `LHLO`.
    Lmtp,
}

impl Starttls {
    /// Every protocol, in the order help lists them.
    pub const ALL: [Starttls; 12] = [
        Starttls::Smtp,
        Starttls::Imap,
        Starttls::Pop3,
        Starttls::Postgres,
        Starttls::Ftp,
        Starttls::Xmpp,
        Starttls::Ldap,
        Starttls::Mysql,
        Starttls::Nntp,
        Starttls::Irc,
        Starttls::Sieve,
        Starttls::Lmtp,
    ];

    /// The port the protocol's plaintext service listens on.
    pub fn default_port(self) -> u16 {
        match self {
            Starttls::Smtp => 25,
            Starttls::Imap => 143,
            Starttls::Pop3 => 110,
            Starttls::Postgres => 5432,
            Starttls::Ftp => 21,
            Starttls::Xmpp => 5222,
            Starttls::Ldap => 389,
            Starttls::Mysql => 3306,
            Starttls::Nntp => 119,
            Starttls::Irc => 6667,
            Starttls::Sieve => 4190,
            Starttls::Lmtp => 24,
        }
    }

    /// The name `--starttls` and the API take.
    pub fn name(self) -> &'static str {
        match self {
            Starttls::Smtp => "smtp",
            Starttls::Imap => "imap",
            Starttls::Pop3 => "pop3",
            Starttls::Postgres => "postgres",
            Starttls::Ftp => "ftp",
            Starttls::Xmpp => "xmpp",
            Starttls::Ldap => "ldap",
            Starttls::Mysql => "mysql",
            Starttls::Nntp => "nntp",
            Starttls::Irc => "irc",
            Starttls::Sieve => "sieve",
            Starttls::Lmtp => "lmtp",
        }
    }
}

/// A name that is not a STARTTLS protocol's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown STARTTLS protocol '{0}' (use smtp, imap, pop3, postgres, ftp, xmpp, ldap, mysql, \
     nntp, irc, sieve or lmtp)"
)]
pub struct UnknownStarttls(pub String);

/// Parses a protocol's [`Starttls::name`], in any case.
impl std::str::FromStr for Starttls {
    type Err = UnknownStarttls;
    fn from_str(s: &str) -> Result<Starttls, UnknownStarttls> {
        Starttls::ALL
            .into_iter()
            .find(|p| p.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| UnknownStarttls(s.to_string()))
    }
}
