//! The TLS padding check (POODLE against TLS, CVE-2014-8730 and its kin): a CBC record whose
//! padding bytes are wrong but whose length byte and MAC are right. RFC 5246 section 6.2.3.2
//! makes every padding byte count; a server that looks only at the last one accepts it.

use crate::probe::engine::{Engine, HostHandle};
use crate::wire::{CipherSuite, ProtocolVersion};

use super::{config, not_tls12, reaction_wait, usable, CheckResult, Counter, Verdict};
use crate::probe::tls12::client::Event;
use crate::probe::tls12::drive::{Reaction, Session};
use crate::probe::tls12::record::Padding;

/// One connection: a full handshake at `version` with a CBC suite of `accepted` (MAC then
/// encrypt: encrypt_then_mac is not offered), then `GET /` in one record with wrong padding
/// bytes. `yes`: the server answers it with data; `no`: an alert (`bad_record_mac` is
/// right) or a close; `not_determined`: silence or an answer that does not decrypt.
pub async fn check_padding_oracle(
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
            format!("{version} has no CBC padding"),
        );
    }
    let suites = usable(version, accepted, |p| p.is_cbc());
    if suites.is_empty() {
        return count.result(
            host,
            Verdict::NotApplicable,
            format!("no accepted {version} CBC suite"),
        );
    }
    let mut cfg = config(version, suites, sni);
    cfg.encrypt_then_mac = false;
    let (mut s, info) = match Session::handshake(engine, host, cfg).await {
        Ok(x) => x,
        Err(e) => {
            return count.result(
                host,
                Verdict::NotDetermined,
                format!("{version} handshake: {e}"),
            )
        }
    };
    let request = format!(
        "GET / HTTP/1.1\r\nHost: {}\r\nUser-Agent: tlsaudit\r\nConnection: close\r\n\r\n",
        sni.unwrap_or("localhost")
    );
    let record = match s
        .client()
        .application_data_with(request.as_bytes(), Padding::WrongBytes)
    {
        Ok(r) => r,
        Err(e) => return count.result(host, Verdict::NotDetermined, e.to_string()),
    };
    let what = format!(
        "{version} {}: a record with wrong padding bytes",
        info.suite
    );
    if let Err(e) = s.send(&record).await {
        return count.result(host, Verdict::No, format!("{what} could not be sent: {e}"));
    }
    let r = s.next(reaction_wait(engine)).await;
    let verdict = match &r {
        Reaction::Event(Event::ApplicationData(_)) => Verdict::Yes,
        Reaction::Timeout | Reaction::Error(_) => Verdict::NotDetermined,
        _ => Verdict::No,
    };
    count.result(
        host,
        verdict,
        format!("{what} was answered by {}", r.describe()),
    )
}
