//! Renegotiation: whether the server takes a client-initiated renegotiation (a second
//! ClientHello inside the encrypted session), and whether it lacks RFC 5746's secure
//! renegotiation (CVE-2009-3555).

use crate::probe::engine::{Engine, HostHandle};
use crate::wire::{AlertDescription, CipherSuite, ExtensionType, ProtocolVersion};

use super::{config, not_tls12, usable, CheckResult, Counter, Verdict};
use crate::probe::tls12::client::Event;
use crate::probe::tls12::drive::{Reaction, Session};

/// One connection: a full handshake at `version` with a suite of `accepted`, then an
/// encrypted ClientHello (with the client verify_data in renegotiation_info when the server
/// does RFC 5746). `yes`: a ServerHello comes back (the renegotiated handshake is then
/// completed, and the evidence says whether it did); `no`: `no_renegotiation`, another alert,
/// a close, or no answer.
pub async fn check_client_renegotiation(
    engine: &Engine,
    host: &HostHandle,
    sni: Option<&str>,
    version: ProtocolVersion,
    accepted: &[CipherSuite],
) -> CheckResult {
    let count = Counter::new(host);
    if not_tls12(version) {
        return count.result(
            host,
            Verdict::NotApplicable,
            format!("{version} has no renegotiation"),
        );
    }
    let suites = usable(version, accepted, |_| true);
    if suites.is_empty() {
        return count.result(
            host,
            Verdict::NotDetermined,
            format!("no accepted {version} suite this client can complete"),
        );
    }
    let (mut s, info) = match Session::handshake(engine, host, config(version, suites, sni)).await {
        Ok(x) => x,
        Err(e) => {
            return count.result(
                host,
                Verdict::NotDetermined,
                format!("{version} handshake: {e}"),
            )
        }
    };
    let hello = match s.client().renegotiation_hello() {
        Ok(h) => h,
        Err(e) => return count.result(host, Verdict::NotDetermined, e.to_string()),
    };
    if let Err(e) = s.send(&hello).await {
        return count.result(
            host,
            Verdict::No,
            format!("{version}: sending the renegotiation hello failed: {e}"),
        );
    }
    let what = format!(
        "{version} {}: an encrypted ClientHello{}",
        info.suite,
        if info.secure_renegotiation {
            " (secure renegotiation)"
        } else {
            " (no renegotiation_info)"
        }
    );
    loop {
        let r = s.next(s.wait()).await;
        match r {
            // Data the server had in flight, or its own HelloRequest: not the answer yet.
            Reaction::Event(Event::ApplicationData(_) | Event::HelloRequest) => continue,
            Reaction::Event(Event::ServerHello(_)) => {
                let completed = match s.read_flight().await {
                    Ok(()) => match s.finish().await {
                        Ok(_) => "; the renegotiated handshake completed".to_string(),
                        Err(e) => format!("; the renegotiated handshake then failed: {e}"),
                    },
                    Err(e) => format!("; its flight then failed: {e}"),
                };
                s.close().await;
                return count.result(
                    host,
                    Verdict::Yes,
                    format!("{what} was answered by a ServerHello{completed}"),
                );
            }
            Reaction::Event(Event::Alert(a))
                if a.description == AlertDescription::NO_RENEGOTIATION =>
            {
                return count.result(
                    host,
                    Verdict::No,
                    format!("{what} was refused with {}", r.describe()),
                );
            }
            Reaction::Timeout => {
                return count.result(
                    host,
                    Verdict::No,
                    format!("{what} drew no answer within {:?}", s.wait()),
                );
            }
            r => {
                return count.result(
                    host,
                    Verdict::No,
                    format!("{what} was answered by {}", r.describe()),
                )
            }
        }
    }
}

/// One connection: a hello offering renegotiation_info at `version`. `yes`: the ServerHello
/// does not echo it (the server does not do RFC 5746 secure renegotiation); `no`: it does.
pub async fn check_insecure_renegotiation(
    engine: &Engine,
    host: &HostHandle,
    sni: Option<&str>,
    version: ProtocolVersion,
    accepted: &[CipherSuite],
) -> CheckResult {
    let count = Counter::new(host);
    if not_tls12(version) {
        return count.result(
            host,
            Verdict::NotApplicable,
            format!("{version} has no renegotiation"),
        );
    }
    let suites = usable(version, accepted, |_| true);
    if suites.is_empty() {
        return count.result(
            host,
            Verdict::NotDetermined,
            format!("no accepted {version} suite this client can offer"),
        );
    }
    let mut s = match Session::open(engine, host, config(version, suites, sni)).await {
        Ok(s) => s,
        Err(e) => {
            return count.result(
                host,
                Verdict::NotDetermined,
                format!("{version} hello: {e}"),
            )
        }
    };
    loop {
        match s.next(s.wait()).await {
            Reaction::Event(Event::ServerHello(sh)) => {
                let echoed = sh.extension(ExtensionType::RENEGOTIATION_INFO).is_some();
                let (verdict, says) = if echoed {
                    (Verdict::No, "echoes renegotiation_info (RFC 5746)")
                } else {
                    (
                        Verdict::Yes,
                        "does not echo renegotiation_info: no RFC 5746 secure renegotiation",
                    )
                };
                return count.result(host, verdict, format!("{version} ServerHello {says}"));
            }
            Reaction::Event(Event::Alert(a)) if a.level == 1 => continue,
            r => {
                return count.result(
                    host,
                    Verdict::NotDetermined,
                    format!("{version} hello answered by {}", r.describe()),
                )
            }
        }
    }
}
