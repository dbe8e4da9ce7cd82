//! The protocol versions and cipher suites of the HTML report.

use std::fmt::Write as _;

use crate::facts::{ProtocolResult, SectionStatus};
use crate::render::html::escape;
use crate::render::view::{suite_key_exchange, suite_order, suite_rating, version_rating};

pub(super) fn protocols(h: &mut String, ps: &[ProtocolResult]) -> std::fmt::Result {
    writeln!(
        h,
        "<h3>Protocol versions</h3>\n<table><thead><tr><th>version</th><th>offered</th>\
         <th>suites</th><th>evidence</th></tr></thead><tbody>"
    )?;
    for p in ps {
        let (state, class) = if p.status == SectionStatus::NotScheduled {
            ("not scanned".to_string(), "dim")
        } else if p.error.is_some() {
            ("error".to_string(), "error")
        } else if !p.supported {
            ("no".to_string(), "dim")
        } else {
            let (rating, label) = version_rating(p.version);
            if label.is_empty() {
                ("yes".to_string(), rating.name())
            } else {
                (format!("yes ({label})"), rating.name())
            }
        };
        let evidence = p.error.as_deref().unwrap_or(&p.evidence);
        writeln!(
            h,
            "<tr><td><strong>{}</strong></td><td class=\"rating {class}\">{state}</td>\
             <td>{}</td><td class=\"dim\">{}</td></tr>",
            p.version.name(),
            if p.supported {
                p.cipher_suites.len().to_string()
            } else {
                String::new()
            },
            escape(evidence)
        )?;
    }
    writeln!(h, "</tbody></table>")
}

pub(super) fn suites(h: &mut String, ps: &[ProtocolResult]) -> std::fmt::Result {
    let offered: Vec<_> = ps.iter().filter(|p| p.supported).collect();
    if offered.is_empty() {
        return Ok(());
    }
    // One table for every version, so that the columns line up from one version to the next.
    writeln!(
        h,
        "<h3>Cipher suites</h3>\n<table><thead><tr><th>id</th><th>IANA name</th>\
         <th>OpenSSL name</th><th>key exchange</th><th>cipher</th><th>FS</th><th>rating</th>\
         </tr></thead>"
    )?;
    for p in offered {
        writeln!(
            h,
            "<tbody><tr class=\"version\"><th colspan=\"7\">{} \
             <span class=\"dim\">&middot; {} suite{} &middot; {}</span></th></tr>",
            p.version.name(),
            p.cipher_suites.len(),
            if p.cipher_suites.len() == 1 { "" } else { "s" },
            suite_order(p.server_preference)
        )?;
        for s in &p.cipher_suites {
            let rating = suite_rating(s).name();
            let kx = suite_key_exchange(s).unwrap_or_else(|| "any".to_string());
            writeln!(
                h,
                "<tr><td class=\"mono nowrap\">{}</td><td class=\"mono {rating}\">{}</td>\
                 <td class=\"mono\">{}</td><td>{}</td><td>{}-{} {}</td><td>{}</td>\
                 <td class=\"rating {rating}\">{rating}</td></tr>",
                escape(&s.id),
                escape(&s.name),
                escape(s.openssl_name.as_deref().unwrap_or("-")),
                escape(&kx),
                escape(&s.cipher),
                s.bits,
                escape(&s.mode),
                if s.forward_secrecy { "yes" } else { "no" },
            )?;
        }
        writeln!(h, "</tbody>")?;
    }
    writeln!(h, "</table>")
}
