//! The built-in profiles: TOML files checked in under `policies/`, embedded in the binary.
//!
//! Two kinds of name:
//!
//! - **pinned**, `name@version` (`mozilla-intermediate@5.8`): the file
//!   `policies/<name>@<version>.toml`, whose meaning never changes from one tlsaudit release to
//!   the next (the test `pinned_profiles_never_change` checks each file's SHA-256). A new reading
//!   of a source, or a new rule, is a new file with a new version. The one edit a pinned file
//!   takes is a rule's `source_section` line: a citation changes no verdict, so the digest is
//!   taken without those lines (and the test checks they hold nothing else).
//! - **bare**, `name` (`mozilla-intermediate`): the file `policies/<name>.toml`, the profile's
//!   *default version* as this release reads it ([`default_version`]). It may gain rules or move
//!   to a newer version in a later release; the report names the version it follows and says the
//!   profile was not pinned. CI gates that must not change with an upgrade pin a version.

/// Built-in bare profile names, the default first.
pub const NAMES: [&str; 9] = [
    "multisafepay",
    "mozilla-modern",
    "mozilla-intermediate",
    "mozilla-old",
    "nist-800-52r2",
    "pci-dss-4",
    "bsi-tr-02102-2",
    "ncsc-nl",
    "cnsa-2.0",
];

/// The profile used when `--policy` is not given.
pub const DEFAULT: &str = "multisafepay";

/// Every pinned profile, `name@version`, grouped by name, oldest version first.
pub const PINNED: [&str; 10] = [
    "mozilla-modern@5.7",
    "mozilla-modern@5.8",
    "mozilla-modern@6.0",
    "mozilla-intermediate@5.7",
    "mozilla-intermediate@5.8",
    "mozilla-intermediate@6.0",
    "mozilla-old@5.7",
    "mozilla-old@5.8",
    "nist-800-52r2@1",
    "nist-800-52r2@2",
];

/// The pinned version a bare name follows in this release (it keeps every rule of it), for
/// the names that have pinned versions. Mozilla's stay at guideline 5.7 so that an upgrade of
/// tlsaudit does not move a bare name's verdicts to a guideline published after it; 5.8 and
/// 6.0 are a pin away. NIST's versions number tlsaudit's readings of SP 800-52 Rev. 2.
pub fn default_version(name: &str) -> Option<&'static str> {
    match name {
        "mozilla-modern" | "mozilla-intermediate" | "mozilla-old" => Some("5.7"),
        "nist-800-52r2" => Some("1"),
        _ => None,
    }
}

/// The pinned versions of a bare name, oldest first (empty when it has none).
pub fn versions(name: &str) -> Vec<&'static str> {
    PINNED
        .iter()
        .filter_map(|p| p.split_once('@'))
        .filter(|(n, _)| *n == name)
        .map(|(_, v)| v)
        .collect()
}

/// The TOML text of a built-in profile, bare or pinned.
pub fn builtin(name: &str) -> Option<&'static str> {
    Some(match name {
        "multisafepay" => include_str!("../../policies/multisafepay.toml"),
        "mozilla-modern" => include_str!("../../policies/mozilla-modern.toml"),
        "mozilla-intermediate" => include_str!("../../policies/mozilla-intermediate.toml"),
        "mozilla-old" => include_str!("../../policies/mozilla-old.toml"),
        "nist-800-52r2" => include_str!("../../policies/nist-800-52r2.toml"),
        "pci-dss-4" => include_str!("../../policies/pci-dss-4.toml"),
        "bsi-tr-02102-2" => include_str!("../../policies/bsi-tr-02102-2.toml"),
        "ncsc-nl" => include_str!("../../policies/ncsc-nl.toml"),
        "cnsa-2.0" => include_str!("../../policies/cnsa-2.0.toml"),
        "mozilla-modern@5.7" => include_str!("../../policies/mozilla-modern@5.7.toml"),
        "mozilla-modern@5.8" => include_str!("../../policies/mozilla-modern@5.8.toml"),
        "mozilla-modern@6.0" => include_str!("../../policies/mozilla-modern@6.0.toml"),
        "mozilla-intermediate@5.7" => include_str!("../../policies/mozilla-intermediate@5.7.toml"),
        "mozilla-intermediate@5.8" => include_str!("../../policies/mozilla-intermediate@5.8.toml"),
        "mozilla-intermediate@6.0" => include_str!("../../policies/mozilla-intermediate@6.0.toml"),
        "mozilla-old@5.7" => include_str!("../../policies/mozilla-old@5.7.toml"),
        "mozilla-old@5.8" => include_str!("../../policies/mozilla-old@5.8.toml"),
        "nist-800-52r2@1" => include_str!("../../policies/nist-800-52r2@1.toml"),
        "nist-800-52r2@2" => include_str!("../../policies/nist-800-52r2@2.toml"),
        _ => return None,
    })
}

/// Why a `name@version` is not a pinned profile, naming what exists.
pub fn unknown_pinned(name_at_version: &str) -> String {
    let (name, version) = name_at_version
        .split_once('@')
        .unwrap_or((name_at_version, ""));
    let known = versions(name);
    if known.is_empty() {
        return format!(
            "no pinned policy '{name_at_version}': {name} has no pinned versions (pinned: {})",
            PINNED.join(", ")
        );
    }
    let why = if name == "mozilla-old" && version == "6.0" {
        " (Mozilla's guideline 6.0 removes the Old configuration)"
    } else {
        ""
    };
    format!(
        "no pinned policy '{name_at_version}'{why}: {name} has versions {}",
        known.join(", ")
    )
}
