//! What the user typed, parsed: `host`, `host:port`, `[v6]:port`, `1.2.3.4:port`, `https://host/`,
//! and `SCHEME://host[:port]` for the schemes in [`SCHEMES`] (`imaps://host` is TLS from the
//! first byte on 993, `submission://host` SMTP's STARTTLS on 587).

use std::net::IpAddr;

use crate::facts::Starttls;

/// A URL scheme a target may start with: the service it names, that service's port, and the
/// STARTTLS preamble it needs (`None`: TLS from the first byte, "implicit TLS").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scheme {
    pub name: &'static str,
    pub port: u16,
    pub starttls: Option<Starttls>,
}

const fn scheme(name: &'static str, port: u16, starttls: Option<Starttls>) -> Scheme {
    Scheme {
        name,
        port,
        starttls,
    }
}

/// The schemes a target may name, with their IANA-registered ports. A plaintext protocol's
/// name means its STARTTLS; its `…s` sibling is implicit TLS (RFC 8314 for mail).
pub const SCHEMES: [Scheme; 23] = [
    scheme("https", 443, None),
    scheme("smtp", 25, Some(Starttls::Smtp)),
    // RFC 6409: message submission, SMTP's STARTTLS on its own port.
    scheme("submission", 587, Some(Starttls::Smtp)),
    scheme("smtps", 465, None),
    // RFC 8314 section 7.3: submission over implicit TLS.
    scheme("submissions", 465, None),
    scheme("lmtp", 24, Some(Starttls::Lmtp)),
    scheme("imap", 143, Some(Starttls::Imap)),
    scheme("imaps", 993, None),
    scheme("pop3", 110, Some(Starttls::Pop3)),
    scheme("pop3s", 995, None),
    scheme("ftp", 21, Some(Starttls::Ftp)),
    scheme("ftps", 990, None),
    scheme("ldap", 389, Some(Starttls::Ldap)),
    scheme("ldaps", 636, None),
    scheme("mysql", 3306, Some(Starttls::Mysql)),
    scheme("postgres", 5432, Some(Starttls::Postgres)),
    scheme("postgresql", 5432, Some(Starttls::Postgres)),
    scheme("nntp", 119, Some(Starttls::Nntp)),
    scheme("nntps", 563, None),
    scheme("irc", 6667, Some(Starttls::Irc)),
    scheme("ircs", 6697, None),
    scheme("sieve", 4190, Some(Starttls::Sieve)),
    scheme("xmpp", 5222, Some(Starttls::Xmpp)),
];

/// A parsed target, not yet resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// As the user gave it.
    pub input: String,
    pub host: String,
    pub port: u16,
    /// The scheme the target was given with, if any: it decides the STARTTLS preamble for
    /// this target over `--starttls`.
    pub scheme: Option<Scheme>,
}

impl Target {
    pub fn parse(input: &str, default_port: u16) -> Result<Target, String> {
        let raw = input.trim();
        if raw.is_empty() {
            return Err("empty target".into());
        }
        let mut s = raw;
        let mut scheme = None;
        let mut default_port = default_port;
        if let Some((name, rest)) = s.split_once("://") {
            let known = SCHEMES
                .into_iter()
                .find(|k| k.name.eq_ignore_ascii_case(name))
                .ok_or_else(|| {
                    let names: Vec<&str> = SCHEMES.iter().map(|k| k.name).collect();
                    format!(
                        "{raw}: unknown scheme '{name}://' (use one of {}, or none)",
                        names.join(", ")
                    )
                })?;
            default_port = known.port;
            scheme = Some(known);
            s = rest;
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
            scheme,
        })
    }

    /// The STARTTLS preamble for this target: its scheme's (none for an implicit-TLS scheme),
    /// else `asked` (`--starttls`).
    pub fn starttls(&self, asked: Option<Starttls>) -> Option<Starttls> {
        self.scheme.map_or(asked, |s| s.starttls)
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

    #[test]
    fn a_scheme_names_port_and_preamble() {
        let t = |s: &str| Target::parse(s, 443).map(|t| (t.port, t.starttls(None)));
        assert_eq!(t("imaps://mail.example"), Ok((993, None)));
        assert_eq!(t("IMAPS://mail.example"), Ok((993, None)));
        assert_eq!(t("smtps://mail.example"), Ok((465, None)));
        assert_eq!(t("pop3s://mail.example"), Ok((995, None)));
        assert_eq!(t("ldaps://dir.example"), Ok((636, None)));
        assert_eq!(
            t("submission://mail.example"),
            Ok((587, Some(Starttls::Smtp)))
        );
        assert_eq!(
            t("ldap://dir.example:3389"),
            Ok((3389, Some(Starttls::Ldap)))
        );
        assert_eq!(t("sieve://mail.example"), Ok((4190, Some(Starttls::Sieve))));
        // The scheme wins over --starttls; without one, --starttls stands.
        let imaps = Target::parse("imaps://mail.example", 25).unwrap();
        assert_eq!(imaps.starttls(Some(Starttls::Smtp)), None);
        let bare = Target::parse("mail.example", 25).unwrap();
        assert_eq!(bare.starttls(Some(Starttls::Smtp)), Some(Starttls::Smtp));
        let e = Target::parse("gopher://a.example", 443).unwrap_err();
        assert!(
            e.starts_with(
                "gopher://a.example: unknown scheme 'gopher://' (use one of https, smtp,"
            ),
            "{e}"
        );
        // Every STARTTLS protocol has a scheme, and names match their protocol's.
        for p in Starttls::ALL {
            let k = SCHEMES.iter().find(|k| k.name == p.name()).unwrap();
            assert_eq!((k.port, k.starttls), (p.default_port(), Some(p)));
        }
    }
}
