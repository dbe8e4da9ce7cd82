//! "Who can connect": one line per simulated client, failures first, with the reason.

use std::io::Write;

use super::Style;
use crate::facts::SectionStatus;
use crate::render::view::{client_rows, client_summary};
use crate::simulate::SimulationSection;

pub fn section(out: &mut dyn Write, s: &SimulationSection, style: &Style) -> std::io::Result<()> {
    if s.status != SectionStatus::Completed {
        return Ok(());
    }
    writeln!(
        out,
        "  {}  {}",
        style.bold("Who can connect"),
        style.dim(&client_summary(s))
    )?;
    let rows = client_rows(s);
    let width = rows.iter().map(|r| r.client.len()).max().unwrap_or(0);
    for r in rows {
        write!(
            out,
            "    {:width$}  {:3}  {}",
            r.client,
            style.phrase(&r.result),
            r.detail
        )?;
        if let Some(l) = &r.live {
            write!(out, "  {}", style.phrase(l))?;
        }
        writeln!(out)?;
    }
    Ok(())
}
