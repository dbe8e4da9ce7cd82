//! Enumeration by elimination, for every dimension (suites, groups, signature schemes): offer
//! every candidate, record the one the server picks, remove it, repeat until it refuses —
//! |accepted| + 1 probes. And the one-probe preference test: offer the accepted ones reversed;
//! a server that imposes its order picks its favourite again, one that follows the client
//! picks our new first choice.

use std::future::Future;

/// How one probe of an elimination reads.
#[derive(Debug)]
pub enum Pick<T, X> {
    /// The server picked `T` (one of the offered), and `X` came with it (its flight, the key
    /// that signed …).
    Picked(T, X),
    /// The server takes none of the offered (or answered without a pick); `clean` when it
    /// said so plainly (e.g. handshake_failure), not by closing, timing out or an odd alert.
    Stop { why: String, clean: bool },
    /// The scan could not go on: no connection, or an answer that contradicts the offer.
    Failed(String),
}

/// What an elimination found.
#[derive(Debug)]
pub struct Eliminated<T, X> {
    /// Picked, in the order picked (the server's order when it imposes one).
    pub accepted: Vec<T>,
    /// What came with each pick, in the same order.
    pub extras: Vec<X>,
    /// What ended it: the refusal that said "no more", or why it stopped early.
    pub stop: String,
    /// The stop was a clean refusal.
    pub clean: bool,
    /// Set when a probe failed ([`Pick::Failed`]); `accepted` holds what was found before.
    pub error: Option<String>,
}

impl<T, X> Default for Eliminated<T, X> {
    fn default() -> Self {
        Self {
            accepted: Vec::new(),
            extras: Vec::new(),
            stop: String::new(),
            clean: true,
            error: None,
        }
    }
}

/// Offers `remaining` through `probe`, removes each pick, and repeats until the server stops
/// picking, every candidate is accepted, or `limit` are. `what` names one candidate in the
/// stop messages ("suite", "group", "scheme"). At most `remaining.len() + 1` probes.
pub async fn eliminate<T, X, F, Fut>(
    what: &str,
    mut remaining: Vec<T>,
    limit: usize,
    mut probe: F,
) -> Eliminated<T, X>
where
    T: Copy + PartialEq,
    F: FnMut(Vec<T>) -> Fut,
    Fut: Future<Output = Pick<T, X>>,
{
    let mut out = Eliminated::default();
    // Bounded: each round removes one candidate or stops.
    for _ in 0..=remaining.len() {
        if remaining.is_empty() {
            out.stop = format!("every offered {what} was accepted");
            break;
        }
        if out.accepted.len() >= limit {
            out.stop = format!("{what}s not enumerated");
            break;
        }
        match probe(remaining.clone()).await {
            Pick::Picked(t, x) => {
                out.accepted.push(t);
                out.extras.push(x);
                remaining.retain(|c| *c != t);
            }
            Pick::Stop { why, clean } => {
                out.stop = why;
                out.clean = clean;
                break;
            }
            Pick::Failed(e) => {
                out.error = Some(e);
                break;
            }
        }
    }
    out
}

/// One probe offering `accepted` reversed: `Some(true)` when the server picks its favourite
/// (the first accepted) again, `Some(false)` when it picks our new first choice (the last
/// accepted), `None` when it says anything else.
pub async fn preference<T, X, F, Fut>(accepted: &[T], probe: F) -> Option<bool>
where
    T: Copy + PartialEq,
    F: FnOnce(Vec<T>) -> Fut,
    Fut: Future<Output = Pick<T, X>>,
{
    let reversed: Vec<T> = accepted.iter().rev().copied().collect();
    match probe(reversed).await {
        Pick::Picked(t, _) if Some(&t) == accepted.first() => Some(true),
        Pick::Picked(t, _) if Some(&t) == accepted.last() => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A server that accepts `supported`, in its own order when `own_order`, else the first
    /// offered it supports.
    fn server(supported: &[u16], own_order: bool, offered: &[u16]) -> Pick<u16, ()> {
        let pick = if own_order {
            supported.iter().find(|s| offered.contains(s))
        } else {
            offered.iter().find(|o| supported.contains(o))
        };
        match pick {
            Some(p) => Pick::Picked(*p, ()),
            None => Pick::Stop {
                why: "alert handshake_failure".into(),
                clean: true,
            },
        }
    }

    #[tokio::test]
    async fn eliminates_in_the_servers_order_with_one_probe_more_than_accepted() {
        let supported = [7, 3, 5];
        let mut probes = 0;
        let e = eliminate("suite", (1..=9).collect(), usize::MAX, |offered| {
            probes += 1;
            let pick = server(&supported, true, &offered);
            async move { pick }
        })
        .await;
        assert_eq!(e.accepted, vec![7, 3, 5]);
        assert_eq!(probes, 4);
        assert_eq!(e.stop, "alert handshake_failure");
        assert!(e.clean && e.error.is_none());
        let own = preference(&e.accepted, |o| async move { server(&supported, true, &o) }).await;
        let client = preference(
            &e.accepted,
            |o| async move { server(&supported, false, &o) },
        )
        .await;
        assert_eq!((own, client), (Some(true), Some(false)));
    }

    #[tokio::test]
    async fn stops_at_the_limit_when_everything_is_accepted_and_on_failure() {
        let e = eliminate("suite", vec![1, 2, 3], 1, |o| async move {
            server(&[1, 2, 3], false, &o)
        })
        .await;
        assert_eq!(
            (e.accepted, e.stop.as_str()),
            (vec![1], "suites not enumerated")
        );
        let e = eliminate("group", vec![1, 2], usize::MAX, |o| async move {
            server(&[1, 2], false, &o)
        })
        .await;
        assert_eq!(e.stop, "every offered group was accepted");
        let e: Eliminated<u16, ()> = eliminate("scheme", vec![1, 2], usize::MAX, |_| async {
            Pick::Failed("connect failed: refused".into())
        })
        .await;
        assert_eq!(e.error.as_deref(), Some("connect failed: refused"));
        assert!(e.accepted.is_empty());
    }
}
