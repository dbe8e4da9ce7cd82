//! Getting the chains: TLS <= 1.2 flights through the probe engine (certificates travel in the
//! clear), TLS 1.3 through a real rustls handshake whose verifier records the chain and the
//! stapled OCSP response and accepts everything, judging nothing. Every connection is opened
//! by the engine, so it is counted and limited like any probe.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::time::timeout_at;

use super::model::ChainSource;
use super::Capture;
use crate::engine::{Engine, HostHandle, ProbeOutcome};
use crate::registry;
use crate::report::{ProtocolResult, SuiteResult, TlsVersion};
use crate::scan::hello::HelloSpec;
use crate::scan::Gathered;
use crate::wire::{Extension, ExtensionType, SignatureScheme as WireScheme};

/// Which server keys a hello allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyOffer {
    Any,
    Rsa,
    Ecdsa,
}

impl KeyOffer {
    pub fn name(self) -> &'static str {
        match self {
            KeyOffer::Any => "any",
            KeyOffer::Rsa => "RSA",
            KeyOffer::Ecdsa => "ECDSA",
        }
    }

    fn allows_wire(self, s: WireScheme) -> bool {
        let n = s.name().unwrap_or("");
        match self {
            KeyOffer::Any => true,
            KeyOffer::Rsa => n.starts_with("rsa_"),
            KeyOffer::Ecdsa => n.starts_with("ecdsa_"),
        }
    }

    fn allows_suite_auth(self, auth: &str) -> bool {
        match self {
            KeyOffer::Any => true,
            KeyOffer::Rsa => auth == "RSA",
            KeyOffer::Ecdsa => auth == "ECDSA",
        }
    }
}

/// status_request (RFC 6066 section 8): type ocsp, no responder ids, no extensions.
fn status_request() -> Extension {
    Extension {
        typ: ExtensionType::STATUS_REQUEST,
        data: vec![1, 0, 0, 0, 0],
    }
}

/// Captures from the flights the protocol scan already read.
pub fn from_gathered(gathered: &Gathered) -> Vec<Capture> {
    let mut out = Vec::new();
    for (v, f) in &gathered.flights {
        if let Some(certs) = f.certificates.as_ref().filter(|c| !c.is_empty()) {
            out.push(Capture {
                source: ChainSource {
                    version: *v,
                    offered: KeyOffer::Any.name().into(),
                    cipher_suite: Some(SuiteResult::from_suite(f.hello.cipher_suite).name),
                },
                certs: certs.clone(),
                // The protocol scan does not ask for stapling; a staple it got anyway counts.
                ocsp: f
                    .certificate_status
                    .as_ref()
                    .map(|s| Some(s.response.clone())),
            });
        }
    }
    if let Some(c) = &gathered.sslv2_certificate {
        out.push(Capture {
            source: ChainSource {
                version: TlsVersion::Ssl2,
                offered: KeyOffer::Any.name().into(),
                cipher_suite: None,
            },
            certs: vec![c.clone()],
            ocsp: None,
        });
    }
    out
}

/// One TLS <= 1.2 hello offering only `offer`'s suites and signature schemes, asking for
/// stapling. `compact` (a server that closes on large hellos): a hello under 256 bytes
/// offering the suites of `accepted` (what the protocol stage found) instead of every candidate.
pub async fn probe_tls12(
    engine: &Engine,
    host: &HostHandle,
    sni: Option<String>,
    version: TlsVersion,
    offer: KeyOffer,
    compact: Option<&[SuiteResult]>,
) -> Option<Capture> {
    let pool: Vec<_> = match compact {
        None => registry::candidates(version.wire()),
        Some(accepted) => accepted
            .iter()
            .filter_map(|s| s.code())
            .filter_map(|c| u16::try_from(c).ok())
            .map(crate::wire::CipherSuite)
            .collect(),
    };
    let suites: Vec<_> = pool
        .into_iter()
        .filter(|s| registry::suite(*s).is_some_and(|i| offer.allows_suite_auth(i.auth)))
        .collect();
    if suites.is_empty() {
        return None;
    }
    let mut spec = HelloSpec::new(version.wire(), suites, sni);
    if compact.is_some() {
        spec = spec.compact();
    }
    spec.sigalgs.retain(|s| offer.allows_wire(*s));
    let asked = version != TlsVersion::Ssl3;
    if asked {
        spec.extra.push(status_request());
    }
    let spec = spec.fit_compact();
    match engine.probe(host, &spec.build()).await {
        ProbeOutcome::ServerHello(f) => {
            let certs = f.certificates.clone().filter(|c| !c.is_empty())?;
            Some(Capture {
                source: ChainSource {
                    version,
                    offered: offer.name().into(),
                    cipher_suite: Some(SuiteResult::from_suite(f.hello.cipher_suite).name),
                },
                certs,
                ocsp: asked.then(|| f.certificate_status.as_ref().map(|s| s.response.clone())),
            })
        }
        _ => None,
    }
}

/// The chain (DER, as served) and the stapled OCSP response (empty when none).
type Seen = (Vec<Vec<u8>>, Vec<u8>);

/// Records what the server presents and accepts it: judgement comes later, from bytes.
#[derive(Debug)]
struct Recorder {
    schemes: Vec<SignatureScheme>,
    seen: Mutex<Option<Seen>>,
}

impl ServerCertVerifier for Recorder {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let chain = std::iter::once(end_entity)
            .chain(intermediates)
            .map(|c| c.as_ref().to_vec())
            .collect();
        if let Ok(mut seen) = self.seen.lock() {
            *seen = Some((chain, ocsp_response.to_vec()));
        }
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        _message: &[u8],
        _cert: &CertificateDer<'_>,
        _dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Ok(HandshakeSignatureValid::assertion())
    }

    fn verify_tls13_signature(
        &self,
        _message: &[u8],
        _cert: &CertificateDer<'_>,
        _dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Ok(HandshakeSignatureValid::assertion())
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.schemes.clone()
    }
}

fn rustls_schemes(offer: KeyOffer) -> Vec<SignatureScheme> {
    use SignatureScheme::*;
    let rsa = [
        RSA_PSS_SHA256,
        RSA_PSS_SHA384,
        RSA_PSS_SHA512,
        RSA_PKCS1_SHA256,
        RSA_PKCS1_SHA384,
        RSA_PKCS1_SHA512,
    ];
    let ecdsa = [
        ECDSA_NISTP256_SHA256,
        ECDSA_NISTP384_SHA384,
        ECDSA_NISTP521_SHA512,
    ];
    match offer {
        KeyOffer::Rsa => rsa.to_vec(),
        KeyOffer::Ecdsa => ecdsa.to_vec(),
        KeyOffer::Any => ecdsa
            .into_iter()
            .chain([ED25519, ED448])
            .chain(rsa)
            .collect(),
    }
}

/// A TLS 1.3 handshake with rustls over an engine connection; the chain the server sent, if any.
/// rustls always asks for OCSP stapling (status_request), so a staple shows up here.
pub async fn handshake_tls13(
    engine: &Engine,
    host: &HostHandle,
    sni: Option<String>,
    offer: KeyOffer,
) -> Result<Option<Capture>, String> {
    let recorder = Arc::new(Recorder {
        schemes: rustls_schemes(offer),
        seen: Mutex::new(None),
    });
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13])
        .map_err(|e| e.to_string())?
        .dangerous()
        .with_custom_certificate_verifier(recorder.clone())
        .with_no_client_auth();
    let server_name = match &sni {
        Some(name) => ServerName::try_from(name.clone()).map_err(|e| e.to_string())?,
        None => {
            config.enable_sni = false;
            ServerName::IpAddress(host.addr.ip().into())
        }
    };
    let mut tls =
        rustls::ClientConnection::new(Arc::new(config), server_name).map_err(|e| e.to_string())?;
    let mut conn = engine.connect(host).await?;
    let deadline = tokio::time::Instant::now() + engine.config().read_timeout;
    let suite = drive(&mut tls, &mut conn.stream, deadline).await;
    let seen = recorder.seen.lock().ok().and_then(|mut s| s.take());
    Ok(seen.map(|(certs, ocsp)| Capture {
        source: ChainSource {
            version: TlsVersion::Tls13,
            offered: offer.name().into(),
            cipher_suite: suite,
        },
        certs,
        ocsp: Some((!ocsp.is_empty()).then_some(ocsp)),
    }))
}

/// Runs the handshake until it completes, fails, the peer closes, or the deadline; returns the
/// negotiated suite's name. Bounded: rustls caps its own buffers, and we stop at the deadline.
async fn drive(
    tls: &mut rustls::ClientConnection,
    stream: &mut tokio::net::TcpStream,
    deadline: tokio::time::Instant,
) -> Option<String> {
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        while tls.wants_write() {
            let mut out = Vec::new();
            if tls.write_tls(&mut out).is_err() {
                return None;
            }
            match timeout_at(deadline, stream.write_all(&out)).await {
                Ok(Ok(())) => {}
                _ => return None,
            }
        }
        if !tls.is_handshaking() {
            break;
        }
        let n = match timeout_at(deadline, stream.read(&mut buf)).await {
            Ok(Ok(n)) if n > 0 => n,
            _ => return None,
        };
        let mut data = &buf[..n];
        while !data.is_empty() {
            if tls.read_tls(&mut data).is_err() {
                return None;
            }
            if tls.process_new_packets().is_err() {
                // Send the alert rustls queued, then stop.
                let mut out = Vec::new();
                let _ = tls.write_tls(&mut out);
                let _ =
                    tokio::time::timeout(Duration::from_millis(200), stream.write_all(&out)).await;
                return None;
            }
        }
    }
    tls.send_close_notify();
    let mut out = Vec::new();
    let _ = tls.write_tls(&mut out);
    let _ = tokio::time::timeout(Duration::from_millis(200), stream.write_all(&out)).await;
    tls.negotiated_cipher_suite()
        .map(|s| SuiteResult::from_suite(crate::wire::CipherSuite(u16::from(s.suite()))).name)
}

/// Every handshake the certificates stage runs itself, in parallel: at the highest TLS <= 1.2
/// version the server speaks, one RSA-only and one ECDSA-only hello; with TLS 1.3, one rustls
/// handshake per key type (and one open to any key when both find nothing). `compact`: the
/// server needs hellos under 256 bytes (rustls's TLS 1.3 hellos are not made smaller).
pub async fn probe_all(
    engine: &Engine,
    host: &HostHandle,
    sni: Option<String>,
    protocols: &[ProtocolResult],
    compact: bool,
) -> Vec<Capture> {
    let supported = |v| protocols.iter().any(|p| p.version == v && p.supported);
    let legacy = [
        TlsVersion::Tls12,
        TlsVersion::Tls11,
        TlsVersion::Tls10,
        TlsVersion::Ssl3,
    ]
    .into_iter()
    .find(|v| supported(*v));
    let tls12 = async {
        let Some(v) = legacy else { return vec![] };
        let accepted = compact.then(|| {
            protocols
                .iter()
                .find(|p| p.version == v)
                .map(|p| p.cipher_suites.as_slice())
                .unwrap_or_default()
        });
        let (a, b) = tokio::join!(
            probe_tls12(engine, host, sni.clone(), v, KeyOffer::Rsa, accepted),
            probe_tls12(engine, host, sni.clone(), v, KeyOffer::Ecdsa, accepted),
        );
        [a, b].into_iter().flatten().collect::<Vec<_>>()
    };
    let tls13 = async {
        if !supported(TlsVersion::Tls13) {
            return vec![];
        }
        let (a, b) = tokio::join!(
            handshake_tls13(engine, host, sni.clone(), KeyOffer::Rsa),
            handshake_tls13(engine, host, sni.clone(), KeyOffer::Ecdsa),
        );
        let mut got: Vec<Capture> = [a, b]
            .into_iter()
            .filter_map(|r| r.ok().flatten())
            .collect();
        if got.is_empty() {
            if let Ok(Some(c)) = handshake_tls13(engine, host, sni.clone(), KeyOffer::Any).await {
                got.push(c);
            }
        }
        got
    };
    let (mut a, b) = tokio::join!(tls12, tls13);
    a.extend(b);
    a
}
