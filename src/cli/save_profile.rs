//! `tlsaudit client --save-profile FILE`: the first ClientHello captured, written as a captured
//! client profile ([`crate::simulate::profile`]), so that scans can tell whether that client
//! connects. Later hellos that carry TLS_FALLBACK_SCSV (the client retrying lower after a
//! failure) are kept after it, in order.

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Args;

use tlsaudit::simulate::profile::{CaptureMeta, ClientProfile};

use tlsaudit::client::ClientReport;

#[derive(Args, Debug, Clone, Default)]
pub(crate) struct SaveProfileArgs {
    /// Write the first ClientHello captured as a client profile (TOML) to FILE.
    #[arg(long, value_name = "FILE")]
    pub save_profile: Option<PathBuf>,
    /// The profile's id: program name and major version, e.g. `curl-7.88` (default: the
    /// command's program name).
    #[arg(long, value_name = "ID", requires = "save_profile")]
    pub profile_id: Option<String>,
    /// The client's name for people (default: the command's program name).
    #[arg(long, value_name = "NAME", requires = "save_profile")]
    pub profile_name: Option<String>,
    /// The client's full version (default: "unknown").
    #[arg(long, value_name = "VERSION", requires = "save_profile")]
    pub profile_version: Option<String>,
    /// The family `--clients` selects it by (default: the name, lowercase).
    #[arg(long, value_name = "FAMILY", requires = "save_profile")]
    pub profile_family: Option<String>,
    /// Its TLS library and version, e.g. "OpenSSL 3.0.17" (default: "unknown").
    #[arg(long, value_name = "LIBRARY", requires = "save_profile")]
    pub profile_library: Option<String>,
    /// Free text kept in the profile's `notes`.
    #[arg(long, value_name = "TEXT", requires = "save_profile")]
    pub profile_notes: Option<String>,
}

/// The program a shell command runs: its first word that is not a variable assignment,
/// without its directory. None for an empty command.
pub(crate) fn program(command: &str) -> Option<String> {
    let word = command.split_whitespace().find(|w| !w.contains('='))?;
    let base = Path::new(word).file_name()?.to_string_lossy().into_owned();
    Some(base)
}

/// `s` as a profile id: lowercase, anything but letters, digits, '.', '-', '_' made '-'.
fn as_id(s: &str) -> String {
    let id: String = s
        .to_lowercase()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '-'
            }
        })
        .collect();
    let id = id.trim_matches(|c: char| !c.is_ascii_alphanumeric());
    if id.is_empty() {
        "client".into()
    } else {
        id.to_string()
    }
}

/// "Debian GNU/Linux 12 (bookworm), x86_64", from /etc/os-release.
fn platform() -> String {
    let os = std::fs::read_to_string("/etc/os-release")
        .ok()
        .and_then(|t| {
            t.lines()
                .find_map(|l| l.strip_prefix("PRETTY_NAME="))
                .map(|v| v.trim_matches('"').to_string())
        })
        .unwrap_or_else(|| std::env::consts::OS.to_string());
    format!("{os}, {}", std::env::consts::ARCH)
}

fn today() -> anyhow::Result<toml::value::Datetime> {
    let d = time::OffsetDateTime::now_utc().date();
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
        .parse()
        .context("today's date as TOML")
}

/// Single-quotes `s` for a POSIX shell.
fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

impl SaveProfileArgs {
    /// Writes the profile when `--save-profile` was given. `command` is the `--exec` command
    /// as typed (None in listen mode). Ok(false) when no client sent a ClientHello.
    pub(crate) fn save(
        &self,
        reports: &[ClientReport],
        command: Option<&str>,
    ) -> anyhow::Result<bool> {
        let Some(path) = &self.save_profile else {
            return Ok(false);
        };
        let hellos = tlsaudit::client::hellos_to_save(reports);
        if hellos.is_empty() {
            eprintln!(
                "tlsaudit client: no ClientHello captured, so no profile written to {}",
                path.display()
            );
            return Ok(false);
        }
        let program = command.and_then(program).unwrap_or_else(|| "client".into());
        let name = self.profile_name.clone().unwrap_or_else(|| program.clone());
        let meta = CaptureMeta {
            id: self.profile_id.clone().unwrap_or_else(|| as_id(&program)),
            family: self.profile_family.clone().unwrap_or_else(|| as_id(&name)),
            name,
            version: self
                .profile_version
                .clone()
                .unwrap_or_else(|| "unknown".into()),
            library: self
                .profile_library
                .clone()
                .unwrap_or_else(|| "unknown".into()),
            platform: platform(),
            captured_at: today()?,
            capture: match command {
                Some(c) => format!("tlsaudit client --exec {}", shell_quote(c)),
                None => "tlsaudit client (listen mode): the first client that connected".into(),
            },
            notes: self.profile_notes.clone(),
        };
        let profile = ClientProfile::captured(meta, &hellos)?;
        if !profile.capabilities()?.sni {
            eprintln!(
                "tlsaudit client: warning: the hello carries no SNI (was the client pointed at an IP address?); \
                 point it at a name, e.g. https://localhost:{{port}}/, so the profile records the SNI it sends"
            );
        }
        let text = format!(
            "# A client profile captured by `tlsaudit client --save-profile` (README: \"Client profiles\").\n{}",
            profile.to_toml()?
        );
        std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))?;
        eprintln!(
            "tlsaudit client: saved profile {} ({} hello{}) to {}",
            profile.id,
            hellos.len(),
            if hellos.len() == 1 { "" } else { "s" },
            path.display()
        );
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_come_from_the_command() {
        assert_eq!(program("curl -sk {url}").as_deref(), Some("curl"));
        assert_eq!(
            program("SSLKEYLOGFILE=/tmp/k /usr/bin/openssl s_client").as_deref(),
            Some("openssl")
        );
        assert_eq!(program("  "), None);
        assert_eq!(as_id("Python3"), "python3");
        assert_eq!(as_id("gnutls cli!"), "gnutls-cli");
        assert_eq!(as_id("--"), "client");
        assert_eq!(shell_quote("echo 'a'"), r"'echo '\''a'\'''");
    }
}
