//! The defences of `tlsaudit serve` that bound what one client can ask for: scans per client
//! (a token bucket per source address) and the size of a request.
//!
//! The bucket is written here rather than taken from `governor`: one counter per address and a
//! bounded map are all it takes, and governor's keyed limiter (dashmap, quanta, …) would add a
//! dozen crates to build for it.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::allow::canonical;

/// The longest request target (path and query) accepted; longer: 414 URI Too Long. A target of
/// 300 bytes, percent-encoded three times over, and its fields fit.
pub const MAX_URI_BYTES: usize = 2048;
/// The most header bytes (names and values) accepted; more: 431. A head past
/// [`MAX_HEAD_BYTES`] is refused before hyper reads it (`head.rs`), with a page too.
pub const MAX_HEADER_BYTES: usize = 16 * 1024;
/// The whole request head read (request line and headers).
pub const MAX_HEAD_BYTES: usize = 64 * 1024;
/// The largest body announced (`Content-Length`) that is accepted; the page and the API read
/// none, so anything larger is a 413.
pub const MAX_BODY_BYTES: u64 = 16 * 1024;

/// Addresses remembered at most; past it, the buckets that have filled up again are forgotten
/// (they hold nothing a client could gain by), then the oldest.
const MAX_CLIENTS: usize = 10_000;

/// Scans per client: each address (an IPv6 client by its /64, which one host usually holds
/// whole) may start `per_minute` scans at once, then one more every `60 / per_minute` seconds.
#[derive(Debug)]
pub struct RateLimiter {
    per_minute: u32,
    clients: Mutex<HashMap<IpAddr, Bucket>>,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

impl RateLimiter {
    pub fn new(per_minute: u32) -> RateLimiter {
        RateLimiter {
            per_minute: per_minute.max(1),
            clients: Mutex::new(HashMap::new()),
        }
    }

    /// Scans per client per minute.
    pub fn per_minute(&self) -> u32 {
        self.per_minute
    }

    /// Takes one scan from `client`'s bucket, or says how long until one is there.
    pub fn take(&self, client: IpAddr) -> Result<(), Duration> {
        self.take_at(client, Instant::now())
    }

    fn take_at(&self, client: IpAddr, now: Instant) -> Result<(), Duration> {
        let capacity = f64::from(self.per_minute);
        let per_second = capacity / 60.0;
        let key = key(client);
        // A poisoned lock only means another request panicked mid-update; the map is still
        // a map of buckets.
        let mut clients = self.clients.lock().unwrap_or_else(|e| e.into_inner());
        if clients.len() >= MAX_CLIENTS && !clients.contains_key(&key) {
            clients.retain(|_, b| {
                b.tokens + now.saturating_duration_since(b.at).as_secs_f64() * per_second < capacity
            });
            if clients.len() >= MAX_CLIENTS {
                if let Some(oldest) = clients.iter().min_by_key(|(_, b)| b.at).map(|(k, _)| *k) {
                    clients.remove(&oldest);
                }
            }
        }
        let b = clients.entry(key).or_insert(Bucket {
            tokens: capacity,
            at: now,
        });
        let refill = now.saturating_duration_since(b.at).as_secs_f64() * per_second;
        b.tokens = (b.tokens + refill).min(capacity);
        b.at = now;
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - b.tokens) / per_second))
        }
    }
}

impl RateLimiter {
    /// Gives back the scan `client` took when it could not start for want of a slot (429
    /// busy): a client is not charged for the server's load.
    pub fn give_back(&self, client: IpAddr) {
        let capacity = f64::from(self.per_minute);
        let mut clients = self.clients.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(b) = clients.get_mut(&key(client)) {
            b.tokens = (b.tokens + 1.0).min(capacity);
        }
    }
}

/// The address a bucket is kept by: IPv4 (mapped or not) as it is, IPv6 by its /64.
fn key(ip: IpAddr) -> IpAddr {
    match canonical(ip) {
        IpAddr::V6(v6) => IpAddr::V6(Ipv6Addr::from(u128::from(v6) & !((1u128 << 64) - 1))),
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scan_given_back_can_be_taken_again() {
        let limit = RateLimiter::new(1);
        let client = IpAddr::from([192, 0, 2, 7]);
        assert!(limit.take(client).is_ok());
        assert!(limit.take(client).is_err());
        limit.give_back(client);
        assert!(limit.take(client).is_ok());
        // Never past the burst.
        limit.give_back(client);
        limit.give_back(client);
        assert!(limit.take(client).is_ok());
        assert!(limit.take(client).is_err());
    }

    #[test]
    fn a_client_gets_its_burst_then_one_scan_per_interval() {
        let limit = RateLimiter::new(3);
        let t0 = Instant::now();
        let a: IpAddr = "127.0.0.5".parse().unwrap();
        let b: IpAddr = "127.0.0.6".parse().unwrap();
        for _ in 0..3 {
            assert_eq!(limit.take_at(a, t0), Ok(()));
        }
        // Empty: the next token is 20 s away.
        assert_eq!(limit.take_at(a, t0), Err(Duration::from_secs(20)));
        // Another client has its own bucket.
        assert_eq!(limit.take_at(b, t0), Ok(()));
        // 10 s later, half a token: 10 s more to wait; 20 s later, one scan.
        assert_eq!(
            limit.take_at(a, t0 + Duration::from_secs(10)),
            Err(Duration::from_secs(10))
        );
        assert_eq!(limit.take_at(a, t0 + Duration::from_secs(20)), Ok(()));
        assert!(limit.take_at(a, t0 + Duration::from_secs(20)).is_err());
    }

    #[test]
    fn an_ipv6_client_is_its_64_and_a_mapped_address_its_ipv4() {
        let limit = RateLimiter::new(1);
        let t0 = Instant::now();
        assert!(limit.take_at("2001:db8::1".parse().unwrap(), t0).is_ok());
        assert!(limit.take_at("2001:db8::2".parse().unwrap(), t0).is_err());
        assert!(limit
            .take_at("2001:db8:0:1::1".parse().unwrap(), t0)
            .is_ok());
        assert!(limit.take_at("127.0.0.1".parse().unwrap(), t0).is_ok());
        assert!(limit
            .take_at("::ffff:127.0.0.1".parse().unwrap(), t0)
            .is_err());
    }

    #[test]
    fn the_map_stays_bounded() {
        let limit = RateLimiter::new(1);
        let t0 = Instant::now();
        for i in 0..(MAX_CLIENTS as u32 + 50) {
            let _ = limit.take_at(IpAddr::from(i.to_be_bytes()), t0);
        }
        assert!(limit.clients.lock().unwrap().len() <= MAX_CLIENTS);
    }
}
