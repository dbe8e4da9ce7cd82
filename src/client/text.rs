//! The readable form of a [`ClientReport`] of `tlsaudit client`, for the terminal and for
//! `GET /`, built from the renderers' style and format-neutral decisions (render sits below
//! the client check, so the check renders its own report).

use std::io::Write;

use crate::client::report::{ClientReport, Code, SuiteSecurity};
use crate::render::style::Style;
use crate::render::view::severity_tone;

fn names(codes: &[Code]) -> String {
    if codes.is_empty() {
        return "none".into();
    }
    codes
        .iter()
        .map(|c| c.name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Writes one client's report.
pub fn text(out: &mut dyn Write, r: &ClientReport, style: &Style) -> std::io::Result<()> {
    writeln!(out, "{}", style.bold(&format!("client {}", r.peer)))?;
    if let Some(e) = &r.error {
        writeln!(out, "  {}  {e}", style.red("error"))?;
        return Ok(());
    }
    if let Some(h) = &r.hello {
        let record = h.record_version.as_deref().unwrap_or("SSLv2");
        writeln!(
            out,
            "  hello         {} ClientHello, {} bytes in {} record{} (record version {record}), legacy_version {}",
            if h.format == "sslv2" { "SSLv2-format" } else { "TLS" },
            h.length,
            h.records,
            if h.records == 1 { "" } else { "s" },
            h.legacy_version
        )?;
        let versions: Vec<&str> = h.versions.iter().map(|v| v.name()).collect();
        let source = if h.supported_versions.is_empty() {
            "legacy_version: this or lower"
        } else {
            "supported_versions"
        };
        writeln!(out, "  versions      {} ({source})", versions.join(", "))?;
        writeln!(
            out,
            "  sni           {}",
            h.sni.as_deref().unwrap_or("none")
        )?;
        writeln!(
            out,
            "  alpn          {}",
            if h.alpn.is_empty() {
                "none".into()
            } else {
                h.alpn.join(", ")
            }
        )?;
        writeln!(
            out,
            "  cipher suites ({}, in the client's order)",
            h.cipher_suites.len()
        )?;
        for s in &h.cipher_suites {
            let mut notes: Vec<String> = Vec::new();
            match s.security {
                SuiteSecurity::Insecure => {
                    notes.push(style.red(&format!("insecure: {}", s.reasons.join(", "))))
                }
                SuiteSecurity::Weak => {
                    notes.push(style.yellow(&format!("weak: {}", s.reasons.join(", "))))
                }
                SuiteSecurity::NotASuite => notes.push(style.dim("not a suite")),
                SuiteSecurity::Unknown => notes.push(style.dim("unknown")),
                SuiteSecurity::Ok => {}
            }
            if !s.forward_secrecy && !matches!(s.security, SuiteSecurity::NotASuite) {
                notes.push(style.yellow("no forward secrecy"));
            }
            writeln!(out, "    {:<8} {:<48} {}", s.id, s.name, notes.join("; "))?;
        }
        let groups: Vec<String> = h
            .groups
            .iter()
            .map(|g| {
                if g.post_quantum {
                    format!("{} (post-quantum hybrid)", g.name)
                } else {
                    g.name.clone()
                }
            })
            .collect();
        writeln!(
            out,
            "  groups        {}",
            if groups.is_empty() {
                "none".into()
            } else {
                groups.join(", ")
            }
        )?;
        let shares: Vec<String> = h
            .key_shares
            .iter()
            .map(|k| format!("{} ({} bytes)", k.group.name, k.length))
            .collect();
        writeln!(
            out,
            "  key shares    {}",
            if shares.is_empty() {
                "none".into()
            } else {
                shares.join(", ")
            }
        )?;
        writeln!(out, "  signatures    {}", names(&h.signature_schemes))?;
        let comp: Vec<String> = h
            .compression_methods
            .iter()
            .map(|c| {
                if *c == 0 {
                    "null".into()
                } else {
                    c.to_string()
                }
            })
            .collect();
        writeln!(out, "  compression   {}", comp.join(", "))?;
        let exts: Vec<String> = h
            .extensions
            .iter()
            .map(|e| format!("{} ({})", e.name, e.id))
            .collect();
        writeln!(out, "  extensions    {}", exts.join(", "))?;
        writeln!(
            out,
            "  GREASE        {}",
            if h.grease.is_empty() {
                "none".into()
            } else {
                h.grease.join(", ")
            }
        )?;
        if let (Some(ja3), Some(ja4)) = (&h.ja3, &h.ja4) {
            writeln!(out, "  JA3           {ja3}")?;
            writeln!(out, "  JA4           {ja4}")?;
        }
    }
    if let Some(v) = &r.verdict {
        let head = if v.compliant {
            style.green(&format!("COMPLIANT with {}", v.policy))
        } else {
            style.red(&format!("NOT COMPLIANT with {}", v.policy))
        };
        writeln!(out, "  verdict       {head}: {}", v.message)?;
        if let Some(u) = &v.upgrade {
            writeln!(out, "  upgrade       {u}")?;
        }
    }
    // The verdict above already says what `client.policy.not_compliant` says.
    for f in r
        .findings
        .iter()
        .filter(|f| f.id != "client.policy.not_compliant")
    {
        let sev = style.tone(severity_tone(f.severity), f.severity.name());
        writeln!(out, "  {sev:<13} {} [{}]", f.message, f.id)?;
    }
    if let Some(hs) = &r.handshake {
        if hs.completed {
            writeln!(
                out,
                "  handshake     completed: {} {} ({} certificate){}",
                hs.version.map(|v| v.name()).unwrap_or("?"),
                hs.cipher_suite.as_deref().unwrap_or("?"),
                hs.certificate,
                hs.http_request
                    .as_ref()
                    .map(|r| format!(", request {r:?}"))
                    .unwrap_or_default()
            )?;
        } else {
            writeln!(
                out,
                "  handshake     failed: {}",
                hs.error.as_deref().unwrap_or("unknown")
            )?;
        }
    }
    Ok(())
}
