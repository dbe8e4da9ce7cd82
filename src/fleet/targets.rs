//! Target lists for fleets: a CIDR block with ports (`10.0.0.0/24:443,8443`,
//! `[2001:db8::]/120:443`) stands for every address of the block at every port, expanded
//! lazily (address by address, as the scan takes them), never held as a list.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The largest block (addresses times ports) one line may name: 2^24, a /8 at one port. A
/// bigger one is more likely a typo (an IPv6 /64) than a scan anyone means to run.
pub const MAX_BLOCK: u128 = 1 << 24;

/// A CIDR block and the ports to scan on each of its addresses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    /// The first address (host bits cleared).
    first: IpAddr,
    /// Addresses in the block.
    addresses: u128,
    /// Ports, in the order given; empty: the scan's default port.
    ports: Vec<u16>,
}

impl Block {
    /// Reads `ADDR/LEN[:PORT,PORT…]` (IPv6 with or without brackets). `None` when `line` is
    /// not a block (no `/`, or a target with a scheme such as `smtp://host`): an ordinary target.
    pub fn parse(line: &str) -> Option<Result<Block, String>> {
        if line.contains("://") {
            return None;
        }
        let (addr, rest) = line.trim().split_once('/')?;
        Some(Self::parse_parts(addr, rest))
    }

    fn parse_parts(addr: &str, rest: &str) -> Result<Block, String> {
        let addr = addr.trim_start_matches('[').trim_end_matches(']');
        let ip: IpAddr = addr.parse().map_err(|_| {
            format!("'{addr}' is not an IP address (a CIDR block is ADDR/LEN:PORTS)")
        })?;
        let (len, ports) = match rest.split_once(':') {
            Some((len, ports)) => (len, ports),
            None => (rest, ""),
        };
        let bits: u32 = if ip.is_ipv4() { 32 } else { 128 };
        let len: u32 = len
            .parse()
            .ok()
            .filter(|l| *l <= bits)
            .ok_or_else(|| format!("'/{len}' is not a prefix length (0 to {bits})"))?;
        let ports = ports
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(|p| {
                p.parse::<u16>()
                    .ok()
                    .filter(|p| *p > 0)
                    .ok_or_else(|| format!("'{p}' is not a port (1 to 65535)"))
            })
            .collect::<Result<Vec<u16>, String>>()?;
        let host_bits = bits - len;
        let addresses: u128 = if host_bits >= 128 {
            u128::MAX
        } else {
            1u128 << host_bits
        };
        let first = match ip {
            IpAddr::V4(v4) => {
                let mask = u32::MAX.checked_shl(host_bits).unwrap_or(0);
                IpAddr::V4(Ipv4Addr::from(u32::from(v4) & mask))
            }
            IpAddr::V6(v6) => {
                let mask = u128::MAX.checked_shl(host_bits).unwrap_or(0);
                IpAddr::V6(Ipv6Addr::from(u128::from(v6) & mask))
            }
        };
        let block = Block {
            first,
            addresses,
            ports,
        };
        if block.len() > MAX_BLOCK {
            return Err(format!(
                "{} targets in one block (more than {MAX_BLOCK}): split it",
                block.len()
            ));
        }
        Ok(block)
    }

    /// Targets the block stands for: addresses times ports.
    pub fn len(&self) -> u128 {
        self.addresses
            .saturating_mul(self.ports.len().max(1) as u128)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every target, `ADDR:PORT` (`[ADDR]:PORT` for IPv6), address by address and port by
    /// port within each; `default_port` when the block names none.
    pub fn targets(&self, default_port: u16) -> impl Iterator<Item = String> + Send + 'static {
        let ports = if self.ports.is_empty() {
            vec![default_port]
        } else {
            self.ports.clone()
        };
        let first = self.first;
        (0..self.addresses).flat_map(move |i| {
            let addr = match first {
                IpAddr::V4(v4) => {
                    format!("{}", Ipv4Addr::from(u32::from(v4).wrapping_add(i as u32)))
                }
                IpAddr::V6(v6) => format!("[{}]", Ipv6Addr::from(u128::from(v6).wrapping_add(i))),
            };
            ports
                .clone()
                .into_iter()
                .map(move |p| format!("{addr}:{p}"))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expand(line: &str) -> Vec<String> {
        Block::parse(line).unwrap().unwrap().targets(443).collect()
    }

    #[test]
    fn a_block_with_ports_expands_address_by_address() {
        assert_eq!(
            expand("10.0.0.0/30:443,8443"),
            [
                "10.0.0.0:443",
                "10.0.0.0:8443",
                "10.0.0.1:443",
                "10.0.0.1:8443",
                "10.0.0.2:443",
                "10.0.0.2:8443",
                "10.0.0.3:443",
                "10.0.0.3:8443",
            ]
        );
        assert_eq!(expand("127.0.0.5/31"), ["127.0.0.4:443", "127.0.0.5:443"]);
        assert_eq!(
            expand("[2001:db8::]/127:25"),
            ["[2001:db8::]:25", "[2001:db8::1]:25"]
        );
        assert_eq!(expand("192.0.2.7/32:993"), ["192.0.2.7:993"]);
        assert_eq!(
            Block::parse("10.0.0.0/8:443").unwrap().unwrap().len(),
            1 << 24
        );
    }

    #[test]
    fn lazily_even_when_large() {
        let b = Block::parse("10.0.0.0/8").unwrap().unwrap();
        assert_eq!(b.targets(443).nth(70000).unwrap(), "10.1.17.112:443");
    }

    #[test]
    fn ordinary_targets_and_bad_blocks() {
        assert!(Block::parse("example.com:443").is_none());
        // A scheme's slashes are no prefix length.
        assert!(Block::parse("smtp://mx.example.com:25").is_none());
        let err = |s: &str| Block::parse(s).unwrap().unwrap_err();
        assert!(err("10.0.0.0/33").contains("not a prefix length (0 to 32)"));
        assert!(err("host/24").contains("not an IP address"));
        assert!(err("10.0.0.0/24:0").contains("not a port"));
        assert!(err("2001:db8::/64:443").contains("split it"));
        assert!(err("10.0.0.0/7:443,8443").contains("split it"));
    }
}
