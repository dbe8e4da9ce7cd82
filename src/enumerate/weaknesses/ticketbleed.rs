//! Ticketbleed (CVE-2016-9244): F5 BIG-IP echoed 32 bytes of session id whatever the length
//! the client sent with its session ticket: the rest was its memory.

use crate::probe::engine::{Engine, HostHandle};
use crate::wire::codec::hex;
use crate::wire::{CipherSuite, ProtocolVersion};

use super::{config, not_tls12, usable, CheckResult, Counter, Verdict};
use crate::probe::tls12::client::Event;
use crate::probe::tls12::drive::{Reaction, Session};

/// The session id sent with the ticket: 16 bytes, so a fresh 32-byte id that merely starts
/// like ours cannot happen by chance.
const SESSION_ID: [u8; 16] = *b"tlsaudit-tktblee";

/// What one resumption attempt showed.
enum Echo {
    /// Our id back, as RFC 5077 section 3.4 says, or a new one: not vulnerable.
    Clean(String),
    /// 32 bytes starting with ours: the 16 after ours.
    Leak(Vec<u8>),
}

/// Up to three connections: a full handshake at `version` asking for a ticket, then a hello
/// offering that ticket with a 16-byte session id, twice when the first answer echoes 32
/// bytes. `not_applicable` (no connection) when `tickets_issued` is false, or when the full
/// handshake brings no ticket. `yes`: both answers echo 32 bytes starting with ours and the
/// tails differ (memory); `not_determined`: only one did, or the tails were equal.
pub async fn check_ticketbleed(
    engine: &Engine,
    host: &HostHandle,
    sni: Option<&str>,
    version: ProtocolVersion,
    accepted: &[CipherSuite],
    tickets_issued: bool,
) -> CheckResult {
    let count = Counter::new(host);
    if not_tls12(version) {
        return count.result(
            host,
            Verdict::NotApplicable,
            format!("{version} has no TLS 1.2 session tickets"),
        );
    }
    if !tickets_issued {
        return count.result(
            host,
            Verdict::NotApplicable,
            "the server issues no session tickets",
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
    let mut cfg = config(version, suites, sni);
    cfg.session_ticket = Some(Vec::new());
    let ticket = match Session::handshake(engine, host, cfg.clone()).await {
        Ok((s, info)) => {
            s.close().await;
            match info.ticket {
                Some(t) if !t.is_empty() => t,
                _ => {
                    return count.result(
                        host,
                        Verdict::NotApplicable,
                        format!("a {version} handshake brought no session ticket"),
                    )
                }
            }
        }
        Err(e) => {
            return count.result(
                host,
                Verdict::NotDetermined,
                format!("{version} handshake for a ticket: {e}"),
            )
        }
    };
    cfg.session_ticket = Some(ticket);
    cfg.session_id = SESSION_ID.to_vec();
    let mut leaks: Vec<Vec<u8>> = Vec::new();
    for _ in 0..2 {
        match resume(engine, host, cfg.clone()).await {
            Ok(Echo::Clean(why)) if leaks.is_empty() => {
                return count.result(
                    host,
                    Verdict::No,
                    format!(
                        "{version}: a hello with the ticket and a 16-byte session id got {why}"
                    ),
                );
            }
            Ok(Echo::Clean(why)) => {
                return count.result(
                    host,
                    Verdict::NotDetermined,
                    format!(
                        "{version}: a first resumption echoed 32 bytes ({}), a second got {why}",
                        hex(&leaks[0])
                    ),
                );
            }
            Ok(Echo::Leak(tail)) => leaks.push(tail),
            Err(e) => {
                return count.result(
                    host,
                    Verdict::NotDetermined,
                    format!("{version} resumption: {e}"),
                )
            }
        }
    }
    let (a, b) = (hex(&leaks[0]), hex(&leaks[1]));
    if a != b {
        count.result(host, Verdict::Yes, format!(
            "{version}: a 16-byte session id with the ticket came back as 32 bytes, twice, with different tails (memory): {a}, {b}"
        ))
    } else {
        count.result(host, Verdict::NotDetermined, format!(
            "{version}: a 16-byte session id with the ticket came back as 32 bytes, twice with the same tail {a}"
        ))
    }
}

async fn resume(
    engine: &Engine,
    host: &HostHandle,
    cfg: crate::probe::tls12::ClientConfig,
) -> Result<Echo, String> {
    let mut s = Session::open(engine, host, cfg)
        .await
        .map_err(|e| e.to_string())?;
    loop {
        match s.next(s.wait()).await {
            Reaction::Event(Event::ServerHello(sh)) => {
                let id = sh.session_id;
                return Ok(if id.len() == 32 && id.starts_with(&SESSION_ID) {
                    Echo::Leak(id[SESSION_ID.len()..].to_vec())
                } else if id == SESSION_ID {
                    Echo::Clean("our session id back (resumed)".into())
                } else {
                    Echo::Clean(format!("a new {}-byte session id (not resumed)", id.len()))
                });
            }
            Reaction::Event(Event::Alert(a)) if a.level == 1 => continue,
            r => return Err(format!("answered by {}", r.describe())),
        }
    }
}
