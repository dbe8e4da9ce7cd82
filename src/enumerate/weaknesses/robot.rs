//! ROBOT (Return Of Bleichenbacher's Oracle Threat, 2017): does the server react differently
//! to ClientKeyExchange messages whose PKCS#1 v1.5 padding is wrong in different ways? A
//! server that is not an oracle treats every bad padding like a good one (RFC 5246 section
//! 7.4.7.1: a random premaster, and the failure only at Finished).

use std::time::Duration;

use rand::Rng;
use tokio::time::Instant;

use crate::probe::engine::{Engine, HostHandle};
use crate::wire::{CipherSuite, ProtocolVersion};

use super::{config, not_tls12, reaction_wait, usable, CheckResult, Counter, Verdict};
use crate::probe::tls12::client::{AfterKeyExchange, Event, Premaster};
use crate::probe::tls12::drive::{Reaction, Session};
use crate::probe::tls12::kx::RsaKey;
use crate::probe::tls12::suite::KeyExchangeKind;

/// The five encrypted blocks of the ROBOT paper (section 3): one well formed, four not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RobotVariant {
    /// `00 02 PS 00 version random`: a valid premaster.
    WellFormed,
    /// `41 17 …`: the first two bytes wrong.
    WrongFirstBytes,
    /// The 0x00 separator moved to the second-to-last byte: a 1-byte "premaster".
    WrongZeroPosition,
    /// No 0x00 separator at all.
    NoZero,
    /// A well-formed block whose premaster starts with version `02 02`.
    WrongVersion,
}

impl RobotVariant {
    pub const ALL: [RobotVariant; 5] = [
        RobotVariant::WellFormed,
        RobotVariant::WrongFirstBytes,
        RobotVariant::WrongZeroPosition,
        RobotVariant::NoZero,
        RobotVariant::WrongVersion,
    ];

    pub fn name(self) -> &'static str {
        match self {
            RobotVariant::WellFormed => "well-formed",
            RobotVariant::WrongFirstBytes => "wrong first bytes",
            RobotVariant::WrongZeroPosition => "0x00 in the wrong place",
            RobotVariant::NoZero => "no 0x00 separator",
            RobotVariant::WrongVersion => "wrong premaster version",
        }
    }

    /// The `k`-byte block (k the modulus length) for a hello of `version`.
    pub fn block(self, k: usize, version: ProtocolVersion) -> Vec<u8> {
        // Room for 00 02, eight bytes of padding, the separator and a 48-byte premaster: a
        // shorter modulus gets a block too long for it, which encryption then refuses.
        let k = k.max(59);
        let mut rng = rand::thread_rng();
        // Nonzero everywhere, so the only 0x00 bytes are the ones placed on purpose.
        let mut b: Vec<u8> = (0..k).map(|_| rng.gen_range(1..=255u8)).collect();
        let sep = k - 49;
        b[0] = 0x00;
        b[1] = 0x02;
        b[sep] = 0x00;
        b[sep + 1..sep + 3].copy_from_slice(&version.0.to_be_bytes());
        match self {
            RobotVariant::WellFormed => {}
            RobotVariant::WrongFirstBytes => b[..2].copy_from_slice(&[0x41, 0x17]),
            RobotVariant::WrongZeroPosition => {
                b[sep] = 0x11;
                b[k - 2] = 0x00;
            }
            RobotVariant::NoZero => b[sep] = 0x11,
            RobotVariant::WrongVersion => b[sep + 1..sep + 3].copy_from_slice(&[0x02, 0x02]),
        }
        b
    }
}

/// One reaction, as compared between variants: alert descriptions (not levels, not what
/// trails them), a close, a reset, silence.
fn signature(r: &Reaction) -> String {
    match r {
        Reaction::Event(Event::Alert(a)) => format!("alert {}", a.description),
        Reaction::Event(e) => format!("{e:?}"),
        Reaction::Closed => "close".into(),
        Reaction::Reset => "reset".into(),
        Reaction::Timeout => "silence".into(),
        Reaction::Error(_) => "unreadable answer".into(),
    }
}

/// Ten connections (twenty at most): the five variants, each followed by ChangeCipherSpec and
/// a garbage Finished, then each alone (unless `alone` is false: `--quick`, five connections,
/// as sslyze's default does), at `version` with the first RSA key-transport suite
/// of `accepted`. Only with such a suite (else `not_applicable`, no connection). `yes`: the
/// reactions differ between variants, and the same again when that round is repeated with
/// twice the wait; `not_determined`: they differed, and the repeat did not agree.
pub async fn check_robot(
    engine: &Engine,
    host: &HostHandle,
    sni: Option<&str>,
    version: ProtocolVersion,
    accepted: &[CipherSuite],
    alone: bool,
) -> CheckResult {
    let count = Counter::new(host);
    if not_tls12(version) {
        return count.result(
            host,
            Verdict::NotApplicable,
            format!("{version} has no RSA key transport"),
        );
    }
    let rsa = usable(version, accepted, |p| p.kx == KeyExchangeKind::Rsa);
    let Some(&suite) = rsa.first() else {
        return count.result(
            host,
            Verdict::NotApplicable,
            format!("no {version} RSA key-transport suite is accepted"),
        );
    };
    let cfg = || config(version, vec![suite], sni);
    let rounds = [
        (
            AfterKeyExchange::GarbageFinished,
            "with ChangeCipherSpec and Finished",
        ),
        (AfterKeyExchange::Nothing, "alone"),
    ];
    let mut evidence = Vec::new();
    let mut oracle = false;
    // The slowest reaction the server gave so far to a ClientKeyExchange.
    let mut slowest = Duration::ZERO;
    let asked = if alone { &rounds[..] } else { &rounds[..1] };
    for &(after, label) in asked {
        // A server that reacts to a ClientKeyExchange alone does so at once; most wait for the
        // rest of the flight, so that round's silence is its normal answer and need not be
        // waited out long: ten times the slowest reaction of the first round, at least 100 ms
        // and at most 1 s. A difference is asked again with twice the wait.
        let wait = match after {
            AfterKeyExchange::Nothing => (slowest * 10)
                .clamp(ALONE_MIN_WAIT, ALONE_MAX_WAIT)
                .min(reaction_wait(engine)),
            _ => reaction_wait(engine),
        };
        let first = match round(engine, host, &cfg, after, wait).await {
            Ok((r, took)) => {
                slowest = slowest.max(took);
                r
            }
            Err(e) => {
                return count.result(
                    host,
                    Verdict::NotDetermined,
                    format!("{version} {suite}: {e}"),
                )
            }
        };
        if first.iter().all(|s| *s == first[0]) {
            evidence.push(format!("{label}: {} for all five", first[0]));
            continue;
        }
        // Differences can be a slow or flaky server: ask again, waiting twice as long for
        // each answer, and compare.
        let again = match round(engine, host, &cfg, after, wait * 2).await {
            Ok((r, _)) => r,
            Err(e) => {
                return count.result(
                    host,
                    Verdict::NotDetermined,
                    format!("{version} {suite}: {e}"),
                )
            }
        };
        let listing = |r: &[String]| {
            RobotVariant::ALL
                .iter()
                .zip(r)
                .map(|(v, s)| format!("{}: {s}", v.name()))
                .collect::<Vec<_>>()
                .join(", ")
        };
        if again != first {
            return count.result(
                host,
                Verdict::NotDetermined,
                format!(
                "{version} {suite}, ClientKeyExchange {label}: inconsistent answers ({}; then {})",
                listing(&first), listing(&again)
            ),
            );
        }
        oracle = true;
        evidence.push(format!("{label}: {} (twice)", listing(&first)));
    }
    if !alone {
        evidence.push("alone: not asked (--quick)".into());
    }
    let verdict = if oracle { Verdict::Yes } else { Verdict::No };
    count.result(
        host,
        verdict,
        format!(
            "{version} {suite}, ClientKeyExchange {}",
            evidence.join("; ")
        ),
    )
}

/// The wait for a reaction to a ClientKeyExchange alone: bounds on ten times the slowest
/// reaction of the first round.
const ALONE_MIN_WAIT: Duration = Duration::from_millis(100);
const ALONE_MAX_WAIT: Duration = Duration::from_secs(1);

/// The five variants, one connection each, and the slowest reaction of the round (to the
/// ClientKeyExchange, not counting silence).
///
/// With the full flight, one after another: servers answer it at once, and in order the
/// answers of a server that counts connections read the same on every run. Alone, at once
/// (as many as the engine allows per host), since each may wait out its silence: a server that
/// serves one connection at a time (`openssl s_server`) answers them one after another, and
/// each variant's wait starts only once its own flight has arrived, so a queued one costs no
/// more than it would in sequence. A variant whose flight did not come at all (a queue longer
/// than the read timeout) is asked again by itself, after the others.
async fn round(
    engine: &Engine,
    host: &HostHandle,
    cfg: &impl Fn() -> crate::probe::tls12::ClientConfig,
    after: AfterKeyExchange,
    wait: Duration,
) -> Result<(Vec<String>, Duration), String> {
    let mut results = Vec::new();
    if after == AfterKeyExchange::Nothing {
        let at_once = RobotVariant::ALL
            .iter()
            .map(|v| variant(engine, host, cfg(), *v, after, wait));
        results = futures::future::join_all(at_once).await;
        for (v, r) in RobotVariant::ALL.iter().zip(results.iter_mut()) {
            if r.is_err() {
                *r = variant(engine, host, cfg(), *v, after, wait).await;
            }
        }
    } else {
        for v in RobotVariant::ALL {
            results.push(variant(engine, host, cfg(), v, after, wait).await);
        }
    }
    let mut out = Vec::new();
    let mut slowest = Duration::ZERO;
    for r in results {
        let (signature, took) = r?;
        slowest = slowest.max(took);
        out.push(signature);
    }
    Ok((out, slowest))
}

/// One variant's reaction.
async fn variant(
    engine: &Engine,
    host: &HostHandle,
    c: crate::probe::tls12::ClientConfig,
    v: RobotVariant,
    after: AfterKeyExchange,
    wait: Duration,
) -> Result<(String, Duration), String> {
    let version = c.version;
    let mut s = Session::open(engine, host, c)
        .await
        .map_err(|e| format!("hello: {e}"))?;
    s.read_flight().await.map_err(|e| format!("flight: {e}"))?;

    let leaf = s
        .client()
        .certificates()
        .first()
        .cloned()
        .ok_or("no certificate in the flight")?;
    let key = RsaKey::from_certificate(&leaf).map_err(|e| e.to_string())?;
    if key.len() < 64 {
        return Err(format!("RSA key of {} bits is too small", key.bits()));
    }
    let block = v.block(key.len(), version);
    if let Err(e) = s
        .send_key_exchange(&Premaster::RsaBlock(block), after)
        .await
    {
        let reaction = match e {
            crate::probe::tls12::Tls12Error::Reset => Reaction::Reset,
            e => Reaction::Error(e),
        };
        return Ok((signature(&reaction), Duration::ZERO));
    }
    let sent = Instant::now();
    let reaction = s.next(wait).await;
    let took = match reaction {
        Reaction::Timeout => Duration::ZERO,
        _ => sent.elapsed(),
    };
    Ok((signature(&reaction), took))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_are_malformed_exactly_as_named() {
        let v = ProtocolVersion::TLS12;
        let k = 256;
        let sep = k - 49;
        let good = RobotVariant::WellFormed.block(k, v);
        assert_eq!(good.len(), k);
        assert_eq!(&good[..2], &[0, 2]);
        assert_eq!(good.iter().skip(2).position(|&b| b == 0), Some(sep - 2));
        assert_eq!(&good[sep + 1..sep + 3], &[3, 3]);
        assert_eq!(
            &RobotVariant::WrongFirstBytes.block(k, v)[..2],
            &[0x41, 0x17]
        );
        let wz = RobotVariant::WrongZeroPosition.block(k, v);
        assert_eq!(wz.iter().skip(2).position(|&b| b == 0), Some(k - 4));
        let nz = RobotVariant::NoZero.block(k, v);
        assert!(nz.iter().skip(2).all(|&b| b != 0));
        let wv = RobotVariant::WrongVersion.block(k, v);
        assert_eq!(&wv[sep..sep + 3], &[0, 2, 2]);
        assert_eq!(RobotVariant::NoZero.block(3, v).len(), 59, "never a panic");
    }
}
