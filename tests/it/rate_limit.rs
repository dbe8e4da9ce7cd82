//! The engine's patience with a host that refuses TCP connections after it answered others
//! (a firewall's connection limit, a server restarting). No server here refuses TCP by count,
//! so these tests close and reopen a listener of their own: a scripted server in that sense.
//! STARTTLS "busy" refusals are tested against Postfix's real limits in `starttls_daemons.rs`.

use std::net::TcpListener;
use std::time::Duration;

use tlsaudit::facts::ErrorReason;
use tlsaudit::probe::engine::{Engine, EngineConfig, RateLimit};

/// An engine whose pauses are short: the tests wait for the listener, not for politeness.
fn engine(retries: u32, backoff_ms: u64) -> Engine {
    Engine::new(EngineConfig {
        rate_limit_retries: retries,
        rate_limit_backoff: Duration::from_millis(backoff_ms),
        ..Default::default()
    })
}

#[tokio::test]
async fn a_port_that_refuses_after_answering_is_asked_again() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    // 50 ms doubling up to 4 s, 8 times: about 10 s to wait for the listener to come back.
    let engine = engine(8, 50);
    let host = engine.host(addr);
    drop(engine.connect(&host).await.unwrap());
    host.heard_from();
    drop(listener);
    // The listener comes back while the engine waits.
    let back = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(200)).await;
        TcpListener::bind(addr).unwrap()
    });
    let second = engine.connect(&host).await;
    let _listener = back.await.unwrap();
    assert!(second.is_ok(), "{:?}", second.err());
    let rl = host.rate_limit().expect("the refusals are recorded");
    assert_eq!(
        rl.evidence,
        format!("{addr}: connection refused after earlier connections were answered")
    );
    assert!(rl.retries >= 1 && rl.gave_up == 0, "{rl:?}");
    assert_eq!(host.connections(), 2);
}

#[tokio::test]
async fn a_port_that_stays_shut_is_given_up_on_once() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let engine = engine(3, 1);
    let host = engine.host(addr);
    drop(engine.connect(&host).await.unwrap());
    host.heard_from();
    drop(listener);

    let e = engine.connect(&host).await.err().unwrap();
    assert_eq!(e.reason, ErrorReason::RateLimited);
    assert!(
        e.message.starts_with(&format!(
            "{addr}: connection refused after earlier connections were answered (still \
             refused after 3 retries over "
        )) && e
            .message
            .ends_with(": the server limits connections; scan again later or with a lower --rate)"),
        "{e}"
    );
    // The next connection is not retried: the limit outlasted our patience once.
    let e = engine.connect(&host).await.err().unwrap();
    assert_eq!(e.reason, ErrorReason::RateLimited);
    assert!(
        e.message
            .contains("(not retried: an earlier connection was still refused after every retry"),
        "{e}"
    );
    assert_eq!(
        host.rate_limit(),
        Some(RateLimit {
            evidence: format!("{addr}: connection refused after earlier connections were answered"),
            retries: 3,
            gave_up: 2,
        })
    );
    assert_eq!(host.last_failure(), Some(ErrorReason::RateLimited));
}

#[tokio::test]
async fn a_port_that_never_answered_is_refused_at_once() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let engine = engine(3, 1);
    let host = engine.host(addr);
    let e = engine.connect(&host).await.err().unwrap();
    assert_eq!(e.reason, ErrorReason::ConnectionRefused);
    assert_eq!(host.rate_limit(), None);
}
