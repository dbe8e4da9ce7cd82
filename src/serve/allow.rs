//! Which addresses `tlsaudit serve` may scan: a list of CIDR blocks, loopback only by default.
//!
//! A web form that opens TLS connections wherever it is told is a server-side request forgery
//! tool; the list is checked against the address a target resolved to, and the scan is then
//! pinned to that address (see [`super::scan`]).

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// One block, e.g. `127.0.0.0/8` or `::1/128`; a bare address is a block of one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    net: IpAddr,
    prefix: u8,
}

impl Cidr {
    pub fn parse(s: &str) -> Result<Cidr, String> {
        let s = s.trim();
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let net: IpAddr = addr
            .parse()
            .map_err(|_| format!("'{s}' is not a CIDR block (e.g. 127.0.0.0/8, ::1/128)"))?;
        let max = if net.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(p) => match p.parse::<u8>() {
                Ok(n) if n <= max => n,
                _ => return Err(format!("'{s}': the prefix length must be 0 to {max}")),
            },
        };
        // Keep the network address only, so the block prints as what it covers.
        let net = match net {
            IpAddr::V4(a) => IpAddr::V4(Ipv4Addr::from(u32::from(a) & mask32(prefix))),
            IpAddr::V6(a) => IpAddr::V6(Ipv6Addr::from(u128::from(a) & mask128(prefix))),
        };
        Ok(Cidr { net, prefix })
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.net, canonical(ip)) {
            (IpAddr::V4(n), IpAddr::V4(a)) => u32::from(a) & mask32(self.prefix) == u32::from(n),
            (IpAddr::V6(n), IpAddr::V6(a)) => u128::from(a) & mask128(self.prefix) == u128::from(n),
            _ => false,
        }
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.net, self.prefix)
    }
}

fn mask32(prefix: u8) -> u32 {
    u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0)
}

fn mask128(prefix: u8) -> u128 {
    u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0)
}

/// An IPv4-mapped IPv6 address (`::ffff:127.0.0.1`) is the IPv4 address it carries: it must
/// not slip past an IPv4 block, nor be let in by an IPv6 one.
pub(crate) fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// The blocks a server may scan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowList(pub Vec<Cidr>);

impl AllowList {
    /// Loopback only: 127.0.0.0/8 and ::1.
    pub fn loopback() -> AllowList {
        AllowList(vec![
            Cidr {
                net: IpAddr::V4(Ipv4Addr::new(127, 0, 0, 0)),
                prefix: 8,
            },
            Cidr {
                net: IpAddr::V6(Ipv6Addr::LOCALHOST),
                prefix: 128,
            },
        ])
    }

    /// `--allow` when given (it replaces the default), else loopback only.
    pub fn from_flags(blocks: &[Cidr]) -> AllowList {
        if blocks.is_empty() {
            AllowList::loopback()
        } else {
            AllowList(blocks.to_vec())
        }
    }

    /// Why `ip` may not be scanned, or `None` when it may. The unspecified, multicast and
    /// broadcast addresses are never scanned, whatever the list says: they are no one host.
    pub fn refusal(&self, ip: IpAddr) -> Option<String> {
        let ip = canonical(ip);
        let special = match ip {
            IpAddr::V4(a) => a.is_unspecified() || a.is_multicast() || a.is_broadcast(),
            IpAddr::V6(a) => a.is_unspecified() || a.is_multicast(),
        };
        if special {
            return Some("not the address of one host".to_string());
        }
        if self.0.iter().any(|c| c.contains(ip)) {
            None
        } else {
            Some(format!(
                "outside the addresses this server may scan ({self}); \
                 its operator can allow more with --allow CIDR"
            ))
        }
    }
}

impl fmt::Display for AllowList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let blocks: Vec<String> = self.0.iter().map(Cidr::to_string).collect();
        f.write_str(&blocks.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn loopback_by_default() {
        let l = AllowList::from_flags(&[]);
        assert_eq!(l.to_string(), "127.0.0.0/8, ::1/128");
        assert_eq!(l.refusal(ip("127.0.0.1")), None);
        assert_eq!(l.refusal(ip("127.255.0.9")), None);
        assert_eq!(l.refusal(ip("::1")), None);
        assert_eq!(l.refusal(ip("::ffff:127.0.0.1")), None);
        for other in [
            "192.0.2.1",
            "10.0.0.1",
            "::2",
            "::ffff:192.0.2.1",
            "128.0.0.1",
        ] {
            assert!(l.refusal(ip(other)).is_some(), "{other}");
        }
        assert_eq!(
            l.refusal(ip("192.0.2.1")).unwrap(),
            "outside the addresses this server may scan (127.0.0.0/8, ::1/128); \
             its operator can allow more with --allow CIDR"
        );
    }

    #[test]
    fn blocks_parse_and_match() {
        let c = Cidr::parse("192.0.2.77/24").unwrap();
        assert_eq!(c.to_string(), "192.0.2.0/24");
        assert!(c.contains(ip("192.0.2.1")) && !c.contains(ip("192.0.3.1")));
        assert!(!c.contains(ip("::1")));
        let all = AllowList(vec![Cidr::parse("0.0.0.0/0").unwrap()]);
        assert_eq!(all.refusal(ip("198.51.100.7")), None);
        // IPv4-only: the IPv6 loopback is not in it.
        assert!(all.refusal(ip("::1")).is_some());
        assert!(all.refusal(ip("0.0.0.0")).is_some());
        assert!(all.refusal(ip("224.0.0.1")).is_some());
        assert!(all.refusal(ip("255.255.255.255")).is_some());
        assert_eq!(Cidr::parse("::1").unwrap().to_string(), "::1/128");
        assert_eq!(
            Cidr::parse("2001:db8::5/32").unwrap().to_string(),
            "2001:db8::/32"
        );
        assert!(Cidr::parse("::/0").unwrap().contains(ip("2001:db8::1")));
        for bad in ["", "x", "10.0.0.0/33", "::/129", "10.0.0.0/-1", "10.0.0/8"] {
            assert!(Cidr::parse(bad).is_err(), "{bad}");
        }
    }
}
