//! Report renderers: they read facts and never probe.

pub mod facts_text;
pub mod text;

use std::io::Write;

use crate::report::{ScanReport, TargetReport};

/// Output formats, chosen by one enum.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// A readable report (colour on a terminal unless NO_COLOR is set).
    Text,
    /// One JSON document; its `targets` array holds one object per target.
    Json,
    /// JSON Lines: one target object per line, written as each target finishes.
    Jsonl,
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
