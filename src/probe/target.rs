//! What the user typed, parsed: `host`, `host:port`, `[v6]:port`, `1.2.3.4:port`, `https://host/`.

use std::net::IpAddr;

/// A parsed target, not yet resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// As the user gave it.
    pub input: String,
    pub host: String,
    pub port: u16,
}

impl Target {
    pub fn parse(input: &str, default_port: u16) -> Result<Target, String> {
        let raw = input.trim();
        if raw.is_empty() {
            return Err("empty target".into());
        }
        let mut s = raw;
        if let Some((scheme, rest)) = s.split_once("://") {
            if scheme.chars().all(|c| c.is_ascii_alphanumeric()) {
                s = rest;
            }
        }
        let s = s.split('/').next().unwrap_or(s);
        let (host, port) = if let Some(rest) = s.strip_prefix('[') {
            let (h, after) = rest
                .split_once(']')
                .ok_or_else(|| format!("{raw}: missing ']' after an IPv6 address"))?;
            let port = match after.strip_prefix(':') {
                Some(p) => parse_port(raw, p)?,
                None if after.is_empty() => default_port,
                None => return Err(format!("{raw}: unexpected text after ']'")),
            };
            (h.to_string(), port)
        } else if s.matches(':').count() > 1 {
            // A bare IPv6 address: no port can be given without brackets.
            (s.to_string(), default_port)
        } else if let Some((h, p)) = s.split_once(':') {
            (h.to_string(), parse_port(raw, p)?)
        } else {
            (s.to_string(), default_port)
        };
        if host.is_empty() {
            return Err(format!("{raw}: no host"));
        }
        if host.contains(':') && host.parse::<IpAddr>().is_err() {
            return Err(format!("{raw}: '{host}' is not an IPv6 address"));
        }
        if !host.contains(':')
            && !host
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-._".contains(c))
        {
            return Err(format!("{raw}: '{host}' is not a host name or address"));
        }
        Ok(Target {
            input: raw.to_string(),
            host,
            port,
        })
    }

    /// The literal address, when the host is one.
    pub fn ip_literal(&self) -> Option<IpAddr> {
        self.host.parse().ok()
    }
}

fn parse_port(raw: &str, p: &str) -> Result<u16, String> {
    match p.parse::<u16>() {
        Ok(0) | Err(_) => Err(format!("{raw}: '{p}' is not a port (1-65535)")),
        Ok(n) => Ok(n),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_documented_form() {
        let t = |s: &str| Target::parse(s, 443).map(|t| (t.host, t.port));
        assert_eq!(t("example.com"), Ok(("example.com".into(), 443)));
        assert_eq!(t("example.com:8443"), Ok(("example.com".into(), 8443)));
        assert_eq!(t("127.0.0.1:4433"), Ok(("127.0.0.1".into(), 4433)));
        assert_eq!(t("[::1]:4433"), Ok(("::1".into(), 4433)));
        assert_eq!(t("[::1]"), Ok(("::1".into(), 443)));
        assert_eq!(t("::1"), Ok(("::1".into(), 443)));
        assert_eq!(
            t("https://a.example:444/path"),
            Ok(("a.example".into(), 444))
        );
        assert!(t("host:0").is_err());
        assert!(t("host:99999").is_err());
        assert!(t("").is_err());
        assert!(t("[::1").is_err());
        assert!(t("bad host").is_err());
    }
}
