//! tlsaudit: a TLS scanner and compliance checker.
//!
//! Data flows one way: target → probes ([`probe`]) → enumeration ([`enumerate`]) → facts
//! ([`facts`]) → findings ([`certs`], [`policy`], [`grade`]) → report ([`report`]) → renderers
//! ([`render`]). The [`wire`] layer (with the IANA [`wire::registry`]) is sans-IO. [`audit`]
//! runs the workflow over them (scan, grade, judge, tally) for every front end: the command
//! line (private to the binary, `src/cli/`), [`serve`] and the client check ([`client`]).

pub mod audit;
pub mod certs;
pub mod client;
pub mod enumerate;
pub mod facts;
#[doc(hidden)]
pub mod fuzzing;
pub mod grade;
pub mod policy;
pub mod probe;
pub mod render;
pub mod report;
pub mod serve;
pub mod simulate;
pub mod wire;

#[cfg(test)]
mod tests {
    use std::path::Path;

    /// Every `.rs` file under `dir`, recursively.
    fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                rust_files(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }

    /// The library's files (all of src/ but the binary's main.rs and cli/) whose code, outside
    /// comments and, when `tests_too` is false, outside `#[cfg(test)]` modules, names `krate`.
    fn library_files_naming(krate: &str, tests_too: bool) -> Vec<std::path::PathBuf> {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut files = Vec::new();
        rust_files(&src, &mut files);
        assert!(files.len() > 20, "found only {files:?}");
        // Built from pieces so that this file's own text never matches.
        let (path, import) = ([krate, "::"].concat(), ["use ", krate].concat());
        files
            .into_iter()
            .filter(|p| !p.starts_with(src.join("cli")) && *p != src.join("main.rs"))
            .filter(|p| {
                let text = std::fs::read_to_string(p).unwrap_or_default();
                let code = match text.find("#[cfg(test)]") {
                    Some(i) if !tests_too => &text[..i],
                    _ => &text[..],
                };
                code.lines()
                    .filter(|l| !l.trim_start().starts_with("//"))
                    .any(|l| l.contains(&path) || l.contains(&import))
            })
            .collect()
    }

    #[test]
    fn clap_stays_out_of_the_library() {
        let offenders = library_files_naming("clap", true);
        assert!(
            offenders.is_empty(),
            "the command line's parser belongs to the binary (src/cli/): {offenders:?}"
        );
    }

    #[test]
    fn the_library_uses_the_fixtures_in_tests_only() {
        let offenders = library_files_naming("fixtures", false);
        assert!(
            offenders.is_empty(),
            "test servers and the test PKI are for tests and the demo, not the library: {offenders:?}"
        );
    }
}
