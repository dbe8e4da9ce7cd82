//! CCS injection (CVE-2014-0224): a ChangeCipherSpec right after the server's flight, before
//! any key exchange. A fixed OpenSSL answers `unexpected_message`; a vulnerable one takes it,
//! switches to keys made from an empty master secret and fails to decrypt the next record
//! (`bad_record_mac` or `decryption_failed`).

use crate::probe::engine::{Engine, HostHandle};
use crate::wire::{AlertDescription, CipherSuite, ProtocolVersion};

use super::{config, not_tls12, reaction_wait, usable, CheckResult, Counter, Verdict};
use crate::probe::tls12::client::Event;
use crate::probe::tls12::drive::{Reaction, Session};

/// One connection: the flight for `accepted` (suites the server takes at `version`), a
/// ChangeCipherSpec, and when that draws no answer a second one. `yes`: the second is answered
/// with `bad_record_mac` or `decryption_failed`; `no`: an alert or a close after the first, or
/// silence (a fixed server may ignore it).
pub async fn check_ccs_injection(
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
            format!("{version} has no ChangeCipherSpec to inject"),
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
    if let Err(e) = s.read_flight().await {
        return count.result(
            host,
            Verdict::NotDetermined,
            format!("{version} flight: {e}"),
        );
    }
    let wait = reaction_wait(engine);
    let ccs = s.client().change_cipher_spec_record();
    if let Err(e) = s.send(&ccs).await {
        return count.result(
            host,
            Verdict::No,
            format!("{version}: sending the early ChangeCipherSpec failed: {e}"),
        );
    }
    let first = s.next(wait).await;
    match &first {
        Reaction::Timeout => {}
        Reaction::Error(e) => {
            return count.result(
                host,
                Verdict::NotDetermined,
                format!(
                "{version}: an early ChangeCipherSpec was answered by something unreadable: {e}"
            ),
            )
        }
        r => {
            return count.result(
                host,
                Verdict::No,
                format!(
                    "{version}: an early ChangeCipherSpec was answered by {}",
                    r.describe()
                ),
            )
        }
    }
    // No answer: send another; a server that took the first now decrypts this one.
    if let Err(e) = s.send(&ccs).await {
        return count.result(host, Verdict::No, format!("{version}: the early ChangeCipherSpec drew no answer; sending a second failed: {e}"));
    }
    let second = s.next(wait).await;
    let verdict = match &second {
        Reaction::Event(Event::Alert(a))
            if a.description == AlertDescription::BAD_RECORD_MAC
                || a.description == AlertDescription::DECRYPTION_FAILED =>
        {
            Verdict::Yes
        }
        _ => Verdict::No,
    };
    count.result(
        host,
        verdict,
        format!(
            "{version}: an early ChangeCipherSpec drew no answer, a second one {}",
            second.describe()
        ),
    )
}
