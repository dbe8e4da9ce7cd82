//! `tlsaudit impact` as text (a summary a manager reads: totals, counts by reason, the
//! endpoints that break first, each with its reasons) and CSV (one row per endpoint, for a
//! spreadsheet or a mail merge to owners). The JSON form is [`Impact`] serialised. The
//! endpoint-side change ([`Adoption`]) the same way: [`adoption_text`], [`adoption_csv`]. Both
//! also as one self-contained HTML page ([`html`], [`adoption_html`]).

use std::io::Write;

use crate::fleet::adopt::Adoption;
use crate::fleet::impact::{Impact, Status};

/// The impact as text. Unaffected endpoints are counted, not listed.
pub fn text(out: &mut dyn Write, impact: &Impact) -> std::io::Result<()> {
    let s = &impact.summary;
    let change = if s.without.is_empty() {
        "unchanged (no --client-without)".to_string()
    } else {
        format!("without {}", s.without.join(", "))
    };
    writeln!(out, "Impact on {} ({}) {change}", s.client, s.client_name)?;
    if !s.not_offered.is_empty() {
        writeln!(
            out,
            "  not offered by {} today, so no change: {}",
            s.client,
            s.not_offered.join(", ")
        )?;
    }
    writeln!(out)?;
    writeln!(
        out,
        "{} endpoint{}: {} break{}, {} still reached differently, {} not reached even before, \
         {} not scanned, {} unaffected",
        s.endpoints,
        plural(s.endpoints),
        s.breaks,
        if s.breaks == 1 { "s" } else { "" },
        s.changes,
        s.unreachable_before,
        s.not_scanned,
        s.unaffected
    )?;
    if !s.breaks_by_reason.is_empty() {
        writeln!(out, "\nWhy they break:")?;
        for c in &s.breaks_by_reason {
            writeln!(out, "  {:>6}  {}", c.endpoints, c.description)?;
        }
        writeln!(out, "What they negotiate today:")?;
        for c in &s.breaks_by_suite_before {
            writeln!(out, "  {:>6}  {} ({})", c.endpoints, c.description, c.id)?;
        }
    }
    for status in Status::ALL {
        if status == Status::Unaffected {
            continue;
        }
        let mut listed = impact
            .endpoints
            .iter()
            .filter(|e| e.status == status)
            .peekable();
        if listed.peek().is_none() {
            continue;
        }
        let n = impact
            .endpoints
            .iter()
            .filter(|e| e.status == status)
            .count();
        writeln!(out, "\n{} ({n}):", status.heading())?;
        for e in listed {
            writeln!(out, "  {}", e.target)?;
            for r in &e.reasons {
                writeln!(out, "      {r}")?;
            }
        }
    }
    Ok(())
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// One row per endpoint, in the report's order, header first (CRLF line ends, RFC 4180).
pub fn csv(out: &mut dyn Write, impact: &Impact) -> std::io::Result<()> {
    let header = [
        "target", "status", "breaks", "failure", "before", "after", "reasons",
    ];
    line(out, &header.map(String::from))?;
    for e in &impact.endpoints {
        line(
            out,
            &[
                e.target.clone(),
                e.status.id().into(),
                e.breaks.to_string(),
                e.failure.clone().unwrap_or_default(),
                e.before.as_ref().map(|h| h.to_string()).unwrap_or_default(),
                e.after.as_ref().map(|h| h.to_string()).unwrap_or_default(),
                e.reasons.join("; "),
            ],
        )?;
    }
    Ok(())
}

fn line(out: &mut dyn Write, fields: &[String]) -> std::io::Result<()> {
    let cells: Vec<String> = fields.iter().map(|f| super::inventory::field(f)).collect();
    write!(out, "{}\r\n", cells.join(","))
}

/// The endpoint-side change as text: totals, the clients that would lose endpoints and the
/// rules failed (most first), then the endpoints that must change, the worst first.
pub fn adoption_text(out: &mut dyn Write, a: &Adoption) -> std::io::Result<()> {
    let s = &a.summary;
    writeln!(
        out,
        "Every endpoint adopts {} ({} client profile{} checked)\n",
        s.policy,
        s.clients,
        plural(s.clients)
    )?;
    writeln!(
        out,
        "{} endpoint{}: {} must change, {} compliant, {} incomplete, {} not scanned; {} would \
         lose known clients",
        s.endpoints,
        plural(s.endpoints),
        s.must_change,
        s.compliant,
        s.incomplete,
        s.not_scanned,
        s.breaks
    )?;
    if !s.clients_lost.is_empty() {
        writeln!(out, "\nClients that would lose endpoints:")?;
        for c in &s.clients_lost {
            writeln!(out, "  {:>6}  {} ({})", c.endpoints, c.id, c.description)?;
        }
    }
    if !s.rules_failed.is_empty() {
        writeln!(out, "\nRules failed:")?;
        for c in &s.rules_failed {
            writeln!(out, "  {:>6}  {} ({})", c.endpoints, c.id, c.description)?;
        }
    }
    let listed: Vec<_> = a
        .endpoints
        .iter()
        .filter(|e| e.must_change || e.breaks || !e.notes.is_empty())
        .collect();
    if !listed.is_empty() {
        writeln!(out, "\nEndpoints to change, the worst first:")?;
    }
    for e in listed {
        let verdict = e
            .verdict
            .map_or("not scanned".to_string(), |v| v.to_string());
        writeln!(
            out,
            "  {} ({verdict}, {} rule{} failed)",
            e.target,
            e.changes.len(),
            plural(e.changes.len())
        )?;
        for c in &e.changes {
            writeln!(out, "      {}: {}", c.rule, c.message)?;
        }
        for l in &e.clients_lost {
            writeln!(
                out,
                "      would lose {} ({}, today {}): {}",
                l.client, l.name, l.before, l.reason
            )?;
        }
        for n in &e.notes {
            writeln!(out, "      {n}")?;
        }
    }
    Ok(())
}

/// One row per endpoint, in the report's order, header first.
pub fn adoption_csv(out: &mut dyn Write, a: &Adoption) -> std::io::Result<()> {
    let header = [
        "target",
        "must_change",
        "verdict",
        "breaks",
        "rules_failed",
        "clients_lost",
        "notes",
    ];
    line(out, &header.map(String::from))?;
    for e in &a.endpoints {
        line(
            out,
            &[
                e.target.clone(),
                e.must_change.to_string(),
                e.verdict.map(|v| v.to_string()).unwrap_or_default(),
                e.breaks.to_string(),
                e.changes
                    .iter()
                    .map(|c| c.rule.as_str())
                    .collect::<Vec<_>>()
                    .join(" "),
                e.clients_lost
                    .iter()
                    .map(|c| c.client.as_str())
                    .collect::<Vec<_>>()
                    .join(" "),
                e.notes.join("; "),
            ],
        )?;
    }
    Ok(())
}

fn h(s: &str) -> String {
    super::markup::escape(s, super::markup::Dialect::Html)
}

/// The page's frame: a self-contained HTML page (inline CSS, no scripts).
fn page(out: &mut dyn Write, title: &str, body: &str) -> std::io::Result<()> {
    write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n\
         <style>\nbody{{font-family:system-ui,sans-serif;margin:2em;max-width:80em}}\n\
         table{{border-collapse:collapse;margin:1em 0}}\n\
         th,td{{border:1px solid #ccc;padding:.3em .6em;text-align:left;vertical-align:top}}\n\
         .breaks{{background:#fde2e1}}.changes{{background:#fff4d6}}\n\
         td.n{{text-align:right}}ul{{margin:0;padding-left:1.2em}}\n</style>\n</head>\n<body>\n{body}</body>\n</html>\n",
        h(title)
    )
}

fn counts_table(title: &str, rows: &[crate::fleet::impact::Count]) -> String {
    if rows.is_empty() {
        return String::new();
    }
    let mut s = format!(
        "<h2>{}</h2>\n<table>\n<tr><th>endpoints</th><th>what</th></tr>\n",
        h(title)
    );
    for c in rows {
        s += &format!(
            "<tr><td class=\"n\">{}</td><td>{} <code>{}</code></td></tr>\n",
            c.endpoints,
            h(&c.description),
            h(&c.id)
        );
    }
    s + "</table>\n"
}

fn list(items: &[String]) -> String {
    if items.is_empty() {
        return String::new();
    }
    let li: String = items.iter().map(|i| format!("<li>{}</li>", h(i))).collect();
    format!("<ul>{li}</ul>")
}

/// The client-side impact as one HTML page: the totals, the counts by reason, then every
/// endpoint that is not unaffected, those that break first.
pub fn html(out: &mut dyn Write, impact: &Impact) -> std::io::Result<()> {
    let s = &impact.summary;
    let title = format!("Impact on {} without {}", s.client, s.without.join(", "));
    let mut b = format!("<h1>{}</h1>\n", h(&title));
    b += &format!(
        "<p><strong>{} of {} endpoints break</strong>; {} still reached differently, {} not \
         reached even before, {} not scanned, {} unaffected.</p>\n",
        s.breaks, s.endpoints, s.changes, s.unreachable_before, s.not_scanned, s.unaffected
    );
    if !s.not_offered.is_empty() {
        b += &format!(
            "<p>Not offered by {} today, so no change: {}</p>\n",
            h(&s.client),
            h(&s.not_offered.join(", "))
        );
    }
    b += &counts_table("Why they break", &s.breaks_by_reason);
    b += &counts_table("What they negotiate today", &s.breaks_by_suite_before);
    b += "<h2>Endpoints</h2>\n<table>\n<tr><th>target</th><th>status</th><th>reasons</th></tr>\n";
    for e in impact
        .endpoints
        .iter()
        .filter(|e| e.status != Status::Unaffected)
    {
        b += &format!(
            "<tr class=\"{}\"><td>{}</td><td>{}</td><td>{}</td></tr>\n",
            e.status.id().replace('_', "-"),
            h(&e.target),
            e.status.id(),
            list(&e.reasons)
        );
    }
    b += "</table>\n";
    page(out, &title, &b)
}

/// The endpoint-side change as one HTML page: the totals, the clients that would lose
/// endpoints and the rules failed, then the endpoints to change, the worst first.
pub fn adoption_html(out: &mut dyn Write, a: &Adoption) -> std::io::Result<()> {
    let s = &a.summary;
    let title = format!("Every endpoint adopts {}", s.policy);
    let mut b = format!("<h1>{}</h1>\n", h(&title));
    b += &format!(
        "<p><strong>{} of {} endpoints must change</strong>; {} would lose known clients \
         ({} client profiles checked). {} compliant, {} incomplete, {} not scanned.</p>\n",
        s.must_change, s.endpoints, s.breaks, s.clients, s.compliant, s.incomplete, s.not_scanned
    );
    b += &counts_table("Clients that would lose endpoints", &s.clients_lost);
    b += &counts_table("Rules failed", &s.rules_failed);
    b += "<h2>Endpoints to change</h2>\n<table>\n<tr><th>target</th><th>verdict</th>\
          <th>what to change</th><th>clients lost</th></tr>\n";
    for e in a
        .endpoints
        .iter()
        .filter(|e| e.must_change || e.breaks || !e.notes.is_empty())
    {
        let changes: Vec<String> = e
            .changes
            .iter()
            .map(|c| format!("{}: {}", c.rule, c.message))
            .chain(e.notes.iter().cloned())
            .collect();
        let lost: Vec<String> = e
            .clients_lost
            .iter()
            .map(|l| format!("{} ({}): {}", l.client, l.name, l.reason))
            .collect();
        b += &format!(
            "<tr class=\"{}\"><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
            if e.breaks { "breaks" } else { "changes" },
            h(&e.target),
            e.verdict
                .map_or("not scanned".to_string(), |v| v.to_string()),
            list(&changes),
            list(&lost)
        );
    }
    b += "</table>\n";
    page(out, &title, &b)
}
