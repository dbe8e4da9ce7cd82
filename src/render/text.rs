//! The terminal report: one block per target, one table per protocol version.

use std::io::Write;

use crate::facts::{ProtocolResult, SuiteResult, TlsVersion};
use crate::report::TargetReport;

/// ANSI colours, or none.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    pub color: bool,
}

impl Style {
    /// Colour when `stdout` is a terminal and NO_COLOR (https://no-color.org) is unset or empty.
    pub fn detect(is_tty: bool) -> Self {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Self {
            color: is_tty && !no_color,
        }
    }

    fn paint(&self, code: &str, s: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
    pub fn bold(&self, s: &str) -> String {
        self.paint("1", s)
    }
    pub fn red(&self, s: &str) -> String {
        self.paint("31", s)
    }
    pub fn green(&self, s: &str) -> String {
        self.paint("32", s)
    }
    pub fn yellow(&self, s: &str) -> String {
        self.paint("33", s)
    }
    pub fn dim(&self, s: &str) -> String {
        self.paint("2", s)
    }
}

/// How a suite reads to a person: broken, weak, or fine.
pub fn suite_rating(s: &SuiteResult) -> (&'static str, &'static str) {
    let broken = s.export
        || matches!(s.cipher.as_str(), "NULL" | "RC4" | "RC2" | "DES")
        || s.auth == "anon"
        || s.mac == "MD5" && !s.aead
        || (s.bits > 0 && s.bits < 112);
    if broken {
        ("insecure", "red")
    } else if !s.forward_secrecy || s.mode == "CBC" || s.cipher == "3DES" {
        ("weak", "yellow")
    } else {
        ("good", "green")
    }
}

fn version_rating(v: TlsVersion) -> (&'static str, &'static str) {
    match v {
        TlsVersion::Ssl2 | TlsVersion::Ssl3 => ("insecure", "red"),
        TlsVersion::Tls10 | TlsVersion::Tls11 => ("deprecated", "yellow"),
        TlsVersion::Tls12 | TlsVersion::Tls13 => ("", "green"),
    }
}

fn colour(style: &Style, which: &str, s: &str) -> String {
    match which {
        "red" => style.red(s),
        "yellow" => style.yellow(s),
        "green" => style.green(s),
        _ => s.to_string(),
    }
}

/// Writes one target's block.
pub fn target(out: &mut dyn Write, t: &TargetReport, style: &Style) -> std::io::Result<()> {
    let ip = t.ip.as_deref().unwrap_or("-");
    let sni = t.sni.as_deref().unwrap_or("(none)");
    writeln!(
        out,
        "{}{}",
        style.bold(&format!("{}  [{}]:{}  SNI {}", t.target, ip, t.port, sni)),
        t.grade.as_ref().map_or_else(String::new, |g| format!(
            "  {}",
            style.bold(&super::grade::text_letter(g, style))
        ))
    )?;
    if let Some(e) = &t.error {
        writeln!(out, "  {} {}", style.red("error:"), e)?;
    }
    if let Some(g) = &t.grade {
        super::grade::text(out, g, style)?;
    }
    let scanned = t
        .protocols
        .iter()
        .any(|p| p.status == crate::facts::SectionStatus::Completed);
    for p in t.protocols.iter().filter(|_| scanned) {
        protocol(out, p, style)?;
    }
    if let Some(c) = &t.certificates {
        super::certs::section(out, c, style)?;
    }
    super::facts_text::sections(out, t, style)?;
    writeln!(
        out,
        "  {}",
        style.dim(&format!(
            "{} connections, {} ms",
            t.connections, t.duration_ms
        ))
    )?;
    writeln!(out)
}

fn protocol(out: &mut dyn Write, p: &ProtocolResult, style: &Style) -> std::io::Result<()> {
    let name = format!("{:<8}", p.version.name());
    if p.status == crate::facts::SectionStatus::NotScheduled {
        return writeln!(out, "  {} {}", name, style.dim("not scanned"));
    }
    if let Some(e) = &p.error {
        return writeln!(out, "  {} {} {}", name, style.red("error:"), e);
    }
    if !p.supported {
        let evidence = style.dim(&format!("({})", p.evidence));
        return writeln!(out, "  {name} not offered  {evidence}");
    }
    let (label, col) = version_rating(p.version);
    let order = match p.server_preference {
        _ if !p.suites_enumerated => {
            "suites not enumerated (--only versions): the suite the server chose"
        }
        Some(true) => "server order",
        Some(false) => "client order (server has no preference)",
        None => "order not determined",
    };
    let offered = if label.is_empty() {
        "offered".to_string()
    } else {
        format!("offered ({label})")
    };
    writeln!(
        out,
        "  {} {}  {}",
        style.bold(&name),
        colour(style, col, &offered),
        style.dim(order)
    )?;
    let w_name = p
        .cipher_suites
        .iter()
        .map(|s| s.name.len())
        .max()
        .unwrap_or(0);
    let w_ossl = p
        .cipher_suites
        .iter()
        .map(|s| s.openssl_name.as_deref().unwrap_or("-").len())
        .max()
        .unwrap_or(0);
    for s in &p.cipher_suites {
        let (rating, col) = suite_rating(s);
        let kx = if s.kx == "any" {
            String::new()
        } else {
            format!("{}/{}", s.kx, s.auth)
        };
        let detail = format!(
            "{:<14} {:<26} {:<3} {}",
            kx,
            format!("{}-{} {}", s.cipher, s.bits, s.mode),
            if s.forward_secrecy { "FS" } else { "" },
            rating
        );
        writeln!(
            out,
            "    {:<8} {:<w_name$}  {:<w_ossl$}  {}",
            s.id,
            colour(style, col, &s.name),
            s.openssl_name.as_deref().unwrap_or("-"),
            detail,
            w_name = w_name + if style.color { 9 } else { 0 },
        )?;
    }
    Ok(())
}
