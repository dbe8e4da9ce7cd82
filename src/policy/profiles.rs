//! The built-in profiles: TOML files checked in under `policies/`, embedded in the binary.

/// Built-in profile names, the default first.
pub const NAMES: [&str; 7] = [
    "multisafepay",
    "mozilla-modern",
    "mozilla-intermediate",
    "mozilla-old",
    "nist-800-52r2",
    "pci-dss-4",
    "bsi-tr-02102-2",
];

/// The profile used when `--policy` is not given.
pub const DEFAULT: &str = "multisafepay";

/// The TOML text of a built-in profile.
pub fn builtin(name: &str) -> Option<&'static str> {
    Some(match name {
        "multisafepay" => include_str!("../../policies/multisafepay.toml"),
        "mozilla-modern" => include_str!("../../policies/mozilla-modern.toml"),
        "mozilla-intermediate" => include_str!("../../policies/mozilla-intermediate.toml"),
        "mozilla-old" => include_str!("../../policies/mozilla-old.toml"),
        "nist-800-52r2" => include_str!("../../policies/nist-800-52r2.toml"),
        "pci-dss-4" => include_str!("../../policies/pci-dss-4.toml"),
        "bsi-tr-02102-2" => include_str!("../../policies/bsi-tr-02102-2.toml"),
        _ => return None,
    })
}
