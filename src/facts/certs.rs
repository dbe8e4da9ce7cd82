//! The certificate facts as the report carries them (serde + JSON Schema). Built by
//! [`crate::certs::analyse`], read by the renderers.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Finding, SectionStatus, TlsVersion};

/// One distinct chain the server presents (the same certificates in the same order).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq, Default)]
pub struct CertChain {
    /// Every handshake that returned this chain.
    pub obtained: Vec<ChainSource>,
    /// Key type of the leaf: "RSA", "ECDSA", "Ed25519", "Ed448", "DSA" or "unknown".
    pub key_type: String,
    /// The certificates in the order the server sent them, leaf first.
    pub certificates: Vec<CertInfo>,
    pub verdicts: ChainVerdicts,
    /// The OCSP response stapled to this chain, if one was asked for.
    pub ocsp_staple: OcspStaple,
}

impl OcspStaple {
    /// "OCSP staple: good", "no OCSP staple", … for reports.
    pub fn describe(&self) -> String {
        match (self.present, &self.cert_status, self.requested) {
            (true, Some(s), _) => format!("OCSP staple: {s}"),
            (true, None, _) => format!(
                "OCSP staple: {}",
                self.response_status
                    .as_deref()
                    .or(self.error.as_deref())
                    .unwrap_or("?")
            ),
            (false, _, true) => "no OCSP staple".into(),
            (false, _, false) => "OCSP stapling not asked".into(),
        }
    }
}

impl CertChain {
    /// Every handshake that returned this chain left out SNI: only clients that send no server
    /// name get it (the server's default certificate), clients that do get another chain.
    pub fn only_without_sni(&self) -> bool {
        !self.obtained.is_empty() && self.obtained.iter().all(|o| o.without_sni)
    }
}

/// One handshake that returned a chain.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct ChainSource {
    pub version: TlsVersion,
    /// Which server keys the hello allowed: "any", "RSA" or "ECDSA" (by cipher suites for
    /// TLS <= 1.2 and signature schemes for both).
    pub offered: String,
    /// The suite the server chose (IANA name or hex), when known.
    #[serde(default)]
    pub cipher_suite: Option<String>,
    /// This handshake left out the server name (SNI) that the scan's other handshakes send, to
    /// see what a client without SNI gets. False for every other handshake (including all of a
    /// scan that sends no SNI at all, e.g. of an IP address).
    #[serde(default)]
    pub without_sni: bool,
}

impl ChainSource {
    /// "TLSv1.2 offering RSA", "TLSv1.3 offering any without SNI".
    pub fn describe(&self) -> String {
        let sni = if self.without_sni { " without SNI" } else { "" };
        format!("{} offering {}{sni}", self.version, self.offered)
    }
}

/// One certificate, as parsed.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq, Default)]
pub struct CertInfo {
    /// RFC 4514 form, e.g. "CN=www.example.com, O=Example".
    pub subject: String,
    pub issuer: String,
    /// Colon-separated hex.
    pub serial: String,
    /// Subject alternative names: "DNS:name", "IP:addr", "email:…", "URI:…".
    pub sans: Vec<String>,
    /// RFC 3339.
    pub not_before: String,
    /// RFC 3339.
    pub not_after: String,
    /// Whole days from the verdict time to `not_after` (negative once expired).
    pub days_left: i64,
    /// The Validity Period in days as the CA/Browser Forum Baseline Requirements count it
    /// (notBefore through notAfter inclusive; a started day counts).
    #[serde(default)]
    pub validity_days: i64,
    /// Valid for at most 10 days (864,000 seconds): near its end is its normal state, so it is
    /// never `cert.expires_soon`.
    #[serde(default)]
    pub short_lived: bool,
    pub public_key: PublicKeyInfo,
    /// e.g. "sha256WithRSAEncryption", "ecdsa-with-SHA256", or the OID.
    pub signature_algorithm: String,
    /// SHA-256 of the DER, lower-case hex.
    pub sha256: String,
    /// Key usage bits by RFC 5280 name: "digitalSignature", "keyCertSign" …
    pub key_usage: Vec<String>,
    /// Extended key usages: "serverAuth", "clientAuth" … or the OID.
    pub extended_key_usage: Vec<String>,
    /// Null when the extension is absent.
    pub basic_constraints: Option<BasicConstraintsInfo>,
    pub ocsp_urls: Vec<String>,
    pub crl_urls: Vec<String>,
    pub ca_issuers_urls: Vec<String>,
    /// TLS Feature extension asks for status_request (RFC 7633).
    pub must_staple: bool,
    /// Signed certificate timestamps embedded in the certificate (RFC 6962).
    pub sct_count: u32,
    /// Subject equals issuer and the certificate names its own key as the issuer's.
    pub self_signed: bool,
    /// Why the certificate (or one extension) could not be parsed; null when it parsed.
    pub parse_error: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq, Default)]
pub struct PublicKeyInfo {
    /// "RSA", "EC", "Ed25519", "Ed448", "DSA" or the OID.
    pub algorithm: String,
    pub bits: u32,
    /// RSA public exponent.
    pub exponent: Option<u64>,
    /// EC curve: "P-256", "P-384", "P-521" or the OID.
    pub curve: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct BasicConstraintsInfo {
    pub ca: bool,
    pub path_len: Option<u32>,
}

/// What a client would make of the chain.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq, Default)]
pub struct ChainVerdicts {
    /// A path to an anchor of at least one trust store was built and is valid at the verdict
    /// time (the host name is judged separately).
    pub trusted: bool,
    /// One verdict per trust store.
    pub trust: Vec<TrustVerdict>,
    /// The path that was built, leaf to trust anchor (subjects); empty when none was.
    pub path: Vec<String>,
    /// The name the leaf was checked against (SNI, else the target host); null when none.
    pub hostname: Option<String>,
    /// Null when there was no name to check.
    pub hostname_matches: Option<bool>,
    /// Each certificate is followed by its issuer.
    pub order_correct: bool,
    /// The served certificates reach a trust anchor or a root without a gap.
    pub complete: bool,
    /// The issuer that should have been served, when the chain is incomplete.
    pub missing_issuer: Option<String>,
    /// The leaf is self-signed.
    pub self_signed: bool,
    /// The server sends a self-signed root as well, which clients never need.
    pub contains_root: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct TrustVerdict {
    /// "mozilla" (webpki-roots), "system" (/etc/ssl/certs/ca-certificates.crt) or "ca-file:PATH".
    pub store: String,
    pub trusted: bool,
    /// rustls-webpki's reason when not trusted.
    pub error: Option<String>,
}

/// A stapled OCSP response (RFC 6066 section 8 for TLS 1.2, RFC 8446 section 4.4.2.1 for TLS 1.3).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq, Default)]
pub struct OcspStaple {
    /// A handshake that returned this chain asked for stapling.
    pub requested: bool,
    pub present: bool,
    /// OCSPResponseStatus: "successful", "malformedRequest", "internalError", "tryLater",
    /// "sigRequired", "unauthorized".
    pub response_status: Option<String>,
    /// The leaf's status: "good", "revoked" or "unknown". The responder's signature is not checked.
    pub cert_status: Option<String>,
    pub produced_at: Option<String>,
    pub this_update: Option<String>,
    pub next_update: Option<String>,
    /// Why the response could not be read.
    pub error: Option<String>,
}

/// The one handshake without SNI (made only when the scan itself sends SNI): what a client
/// that sends no server name (Java 6, Android 2, Python 2, Windows XP-era stacks) gets.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq, Default)]
pub struct NoSniProbe {
    /// The handshake was made (false when the scan sends no SNI, or the section did not run).
    #[serde(default)]
    pub attempted: bool,
    /// true: the server refused it, answering with an alert (e.g. nginx
    /// `ssl_reject_handshake on;`: unrecognized_name); false: it answered with a ServerHello;
    /// null: not determined (not attempted, timeout, connection failure, closed connection or
    /// an answer that does not parse).
    #[serde(default)]
    pub refused: Option<bool>,
    /// What the server answered, e.g. "TLSv1.2 hello without SNI: alert unrecognized_name".
    #[serde(default)]
    pub evidence: Option<String>,
}

impl NoSniProbe {
    /// One line for the renderers, when there is something to say beyond the chains: "refused
    /// (…)" or "not determined (…)". None when not attempted or when the server answered (its
    /// chain, if any, is listed with the others).
    pub fn describe(&self) -> Option<String> {
        if !self.attempted {
            return None;
        }
        let why = self.evidence.as_deref().unwrap_or("no answer");
        match self.refused {
            Some(true) => Some(format!("without SNI: refused ({why})")),
            Some(false) => None,
            None => Some(format!("without SNI: not determined ({why})")),
        }
    }
}

/// Certificates: every distinct chain the server presents, and what is wrong with them.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq, Default)]
pub struct CertificatesSection {
    pub status: SectionStatus,
    pub error: Option<String>,
    /// Findings about the certificates (`cert.*` ids); empty when nothing is wrong.
    pub findings: Vec<Finding>,
    /// The time verdicts were computed at (RFC 3339): the scan's time, or `--at`.
    #[serde(default)]
    pub at: Option<String>,
    /// One entry per distinct chain the server presents.
    #[serde(default)]
    pub chains: Vec<CertChain>,
    /// TCP connections this section opened itself (on top of the protocol scan's).
    #[serde(default)]
    pub connections: u64,
    /// The handshake without SNI (made when the scan sends SNI): refused or not.
    #[serde(default)]
    pub no_sni: NoSniProbe,
}

/// One chain as one handshake returned it.
#[derive(Debug, Clone)]
pub struct Capture {
    pub source: ChainSource,
    /// DER, in the order served.
    pub certs: Vec<Vec<u8>>,
    /// None: stapling was not asked for. Some(None): asked, nothing stapled.
    pub ocsp: Option<Option<Vec<u8>>>,
}

/// What the certificate stage fetched: every capture, the handshake without SNI, and the
/// connections it took. Not serialised: [`crate::certs::section`] turns it into the report's
/// [`CertificatesSection`].
#[derive(Debug, Clone, Default)]
pub struct FetchedChains {
    pub captures: Vec<Capture>,
    pub no_sni: NoSniProbe,
    /// Why each of the stage's own handshakes that returned no chain returned none (e.g.
    /// "TLSv1.3 handshake offering RSA: received fatal alert: HandshakeFailure").
    pub failures: Vec<String>,
    pub connections: u64,
}
