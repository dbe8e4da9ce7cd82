//! `tlsaudit diff` as text: the totals, the changes counted by kind, then each endpoint that
//! changed with its changes (unchanged endpoints are counted, not listed). The JSON form is
//! [`FleetDiff`] serialised.

use std::io::Write;

use crate::fleet::diff::FleetDiff;

pub fn text(out: &mut dyn Write, diff: &FleetDiff, old: &str, new: &str) -> std::io::Result<()> {
    let s = &diff.summary;
    writeln!(
        out,
        "{old} → {new}: {} endpoint{}: {} changed, {} added, {} removed, {} unchanged",
        s.endpoints,
        if s.endpoints == 1 { "" } else { "s" },
        s.changed,
        s.added,
        s.removed,
        s.unchanged
    )?;
    if !s.by_change.is_empty() {
        writeln!(out, "\nEndpoints by change:")?;
        for c in &s.by_change {
            writeln!(out, "  {:>6}  {}", c.endpoints, c.id)?;
        }
    }
    for e in diff.endpoints.iter().filter(|e| !e.changes.is_empty()) {
        writeln!(out, "\n{} ({})", e.target, e.status)?;
        for c in &e.changes {
            writeln!(out, "  {:<20} {}", c.id, c.message)?;
        }
    }
    Ok(())
}
