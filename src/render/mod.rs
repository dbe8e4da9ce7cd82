//! Report renderers: they read facts and never probe.
//!
//! [`view`] decides what both the text and the HTML report say (ratings, labels, notes, feature
//! rows); [`text`] (with [`style`] for colour) and [`html`] each show those decisions in their
//! format and never import each other. [`junit`] and [`sarif`] write policy results for CI;
//! [`impact`] and [`diff`] show the fleet commands' answers;
//! [`client`] is the text form of a `tlsaudit client` report.

pub mod diff;
pub mod html;
pub mod impact;
pub mod inventory;
pub mod junit;
mod markup;
pub mod sarif;
pub mod style;
pub mod text;
pub mod view;

#[cfg(test)]
mod samples;

/// The policy verdict in text, at the path the CLI calls it by (its home is [`text::verdict`]).
pub use text::verdict;

use std::io::Write;

use crate::report::{ScanReport, TargetReport};

/// Output formats, chosen by one enum.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// A readable report (colour on a terminal unless NO_COLOR is set).
    Text,
    /// One JSON document; its `targets` array holds one object per target.
    Json,
    /// JSON Lines: one target object per line, written as each target finishes.
    Jsonl,
    /// JUnit XML: one test case per policy rule per target (needs a policy).
    Junit,
    /// SARIF 2.1.0: one result per policy rule per target (needs a policy).
    Sarif,
    /// One self-contained HTML page (inline CSS, no scripts): verdicts first, then the facts.
    Html,
    /// CSV, one row per protocol, suite, group, certificate and verdict of every target (PCI DSS
    /// 12.3.3 inventory).
    Inventory,
    /// The inventory's rows as one JSON array.
    InventoryJson,
}

impl Format {
    /// Every format, in the order help lists them.
    pub const ALL: [Format; 8] = [
        Format::Text,
        Format::Json,
        Format::Jsonl,
        Format::Junit,
        Format::Sarif,
        Format::Html,
        Format::Inventory,
        Format::InventoryJson,
    ];

    /// The name `--format` and the API take.
    pub fn name(self) -> &'static str {
        match self {
            Format::Text => "text",
            Format::Json => "json",
            Format::Jsonl => "jsonl",
            Format::Junit => "junit",
            Format::Sarif => "sarif",
            Format::Html => "html",
            Format::Inventory => "inventory",
            Format::InventoryJson => "inventory-json",
        }
    }

    /// One line on what the format is, for help.
    pub fn about(self) -> &'static str {
        match self {
            Format::Text => "A readable report (colour on a terminal unless NO_COLOR is set)",
            Format::Json => "One JSON document; its `targets` array holds one object per target",
            Format::Jsonl => {
                "JSON Lines: one target object per line, written as each target finishes"
            }
            Format::Junit => {
                "JUnit XML: one test case per policy rule per target (needs a policy)"
            }
            Format::Sarif => "SARIF 2.1.0: one result per policy rule per target (needs a policy)",
            Format::Html => {
                "One self-contained HTML page (inline CSS, no scripts): verdicts first, then the facts"
            }
            Format::Inventory => {
                "CSV inventory (PCI DSS 12.3.3): one row per protocol, suite, group, certificate and verdict"
            }
            Format::InventoryJson => "The inventory's rows as one JSON array",
        }
    }

    /// Formats written once at the end, from the whole report.
    pub fn is_document(self) -> bool {
        matches!(
            self,
            Format::Json
                | Format::Junit
                | Format::Sarif
                | Format::Html
                | Format::Inventory
                | Format::InventoryJson
        )
    }

    /// Formats made of policy results only.
    pub fn needs_policy(self) -> bool {
        matches!(self, Format::Junit | Format::Sarif)
    }
}

/// A name that is not a format's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown format '{0}' (use text, json, jsonl, junit, sarif, html, inventory or inventory-json)"
)]
pub struct UnknownFormat(pub String);

/// Parses a format's [`Format::name`], in any case.
impl std::str::FromStr for Format {
    type Err = UnknownFormat;
    fn from_str(s: &str) -> Result<Format, UnknownFormat> {
        Format::ALL
            .into_iter()
            .find(|f| f.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| UnknownFormat(s.to_string()))
    }
}

/// Writes a whole-report format (JSON, JUnit, SARIF, HTML, inventory); the others are written
/// per target.
pub fn document(out: &mut dyn Write, format: Format, report: &ScanReport) -> std::io::Result<()> {
    match format {
        Format::Json => json(out, report),
        Format::Junit => junit::write(out, report),
        Format::Sarif => sarif::write(out, report),
        Format::Html => html::write(out, report),
        Format::Inventory => inventory::csv(out, report),
        Format::InventoryJson => inventory::json(out, report),
        Format::Text | Format::Jsonl => Ok(()),
    }
}

/// Writes one JSON document.
pub fn json(out: &mut dyn Write, report: &ScanReport) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, report)?;
    writeln!(out)
}

/// Writes one JSON Lines record.
pub fn jsonl(out: &mut dyn Write, target: &TargetReport) -> std::io::Result<()> {
    serde_json::to_writer(&mut *out, target)?;
    writeln!(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_format_parses_from_its_name() {
        for f in Format::ALL {
            assert_eq!(f.name().parse::<Format>(), Ok(f));
            assert_eq!(f.name().to_uppercase().parse::<Format>(), Ok(f));
        }
        assert!("xml".parse::<Format>().is_err());
    }
}
