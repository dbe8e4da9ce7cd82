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
pub mod grade;
pub mod policy;
pub mod probe;
pub mod render;
pub mod report;
pub mod serve;
pub mod servers;
pub mod testpki;
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

    #[test]
    fn clap_stays_out_of_the_library() {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut files = Vec::new();
        rust_files(&src, &mut files);
        // Spelt in pieces so that this test does not find itself.
        let (path, import) = (["clap", "::"].concat(), ["use ", "clap"].concat());
        let offenders: Vec<_> = files
            .iter()
            .filter(|p| !p.starts_with(src.join("cli")) && **p != src.join("main.rs"))
            .filter(|p| {
                std::fs::read_to_string(p).is_ok_and(|text| {
                    text.lines()
                        .filter(|l| !l.trim_start().starts_with("//"))
                        .any(|l| l.contains(&path) || l.contains(&import))
                })
            })
            .collect();
        assert!(files.len() > 20, "found only {files:?}");
        assert!(
            offenders.is_empty(),
            "the command line's parser belongs to the binary (src/cli/): {offenders:?}"
        );
    }
}
