//! Live handshake simulation: each recorded client hello sent to the server byte for byte
//! (SNI already rewritten to the target), one connection per client, and the answer read up to
//! the ServerHello or HelloRetryRequest. Nothing is finished: the answer says what the server
//! chose for that client.

use futures::future::join_all;

use crate::facts::{ReplayAnswer, TlsVersion};
use crate::probe::engine::{Hello, ProbeOutcome};
use crate::probe::Ctx;

/// One hello to replay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplayHello {
    /// The client profile it comes from.
    pub id: String,
    /// The ClientHello record(s) as the client sends them.
    pub bytes: Vec<u8>,
    /// An SSLv2-format CLIENT-HELLO.
    pub sslv2: bool,
}

/// Sends every hello (in parallel, under the engine's per-host limit) and reads each answer.
pub async fn replay(ctx: &Ctx, hellos: &[ReplayHello]) -> Vec<ReplayAnswer> {
    join_all(hellos.iter().map(|h| async move {
        let hello = Hello::Recorded {
            bytes: h.bytes.clone(),
            sslv2: h.sslv2,
        };
        read(h.id.clone(), ctx.engine.probe(&ctx.host, &hello).await)
    }))
    .await
}

/// What one answer says.
pub fn read(id: String, outcome: ProbeOutcome) -> ReplayAnswer {
    let evidence = outcome.describe();
    let mut answer = ReplayAnswer {
        id,
        accepted: false,
        version: None,
        suite: None,
        group: None,
        evidence,
    };
    match outcome {
        ProbeOutcome::ServerHello(f) => {
            answer.accepted = true;
            answer.version = TlsVersion::from_wire(f.hello.negotiated_version());
            answer.suite = Some(f.hello.cipher_suite);
            answer.group = f.hello.key_share_group();
            if f.hello.is_hello_retry_request() {
                answer.evidence = format!("HelloRetryRequest {}", answer.evidence);
            }
        }
        ProbeOutcome::Sslv2ServerHello(_) => {
            answer.accepted = true;
            answer.version = Some(TlsVersion::Ssl2);
        }
        _ => {}
    }
    answer
}
