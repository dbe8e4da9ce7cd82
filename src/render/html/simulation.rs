//! "Who can connect" as a table: client, result, what it negotiates or why it fails.

use std::fmt::Write;

use super::{escape, phrase, section_head};
use crate::render::view::{client_rows, client_summary};
use crate::simulate::SimulationSection;

pub(super) fn section(h: &mut String, s: &SimulationSection) -> std::fmt::Result {
    if !section_head(h, "Who can connect", s.status, &s.error)? {
        return Ok(());
    }
    writeln!(h, "<p class=\"dim\">{}</p>", escape(&client_summary(s)))?;
    writeln!(
        h,
        "<table><tr><th>client</th><th>source</th><th>connects</th><th>version, suite, group, certificate — or why not</th></tr>"
    )?;
    for r in client_rows(s) {
        write!(
            h,
            "<tr><td>{} <span class=\"dim\">{}</span></td><td class=\"dim\">{}</td><td>{}</td><td>{}",
            escape(&r.client),
            escape(&r.full_name),
            escape(&r.source),
            phrase(&r.result),
            escape(&r.detail)
        )?;
        if let Some(l) = &r.live {
            write!(h, " {}", phrase(l))?;
        }
        writeln!(h, "</td></tr>")?;
    }
    writeln!(h, "</table>")
}
