//! Saved scan results as a stream of targets: one `tlsaudit scan -f json` document, or JSON
//! Lines of targets (`-f jsonl`), from files or stdin. JSON Lines are read a line at a time,
//! so a fleet's file of a million targets is never held whole. A line that does not parse is
//! an error naming the file and the line, never a panic: result files are user input.

use std::io::{BufRead, BufReader, Read};

use crate::report::{ScanReport, TargetReport};

/// Why saved results cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum ResultsError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{path} line {line}: not a target of `tlsaudit scan -f jsonl` ({error})")]
    BadLine {
        path: String,
        line: usize,
        error: serde_json::Error,
    },
    #[error("{path}: not a `tlsaudit scan -f json` report nor JSON Lines of targets ({error})")]
    BadDocument {
        path: String,
        error: serde_json::Error,
    },
    #[error("{path}: no targets")]
    Empty { path: String },
}

/// Calls `each` with every target of the results at `path` (`-` for stdin), in file order;
/// returns how many there were. An empty file is an error: it is more likely a scan that
/// never ran than a fleet of none.
pub fn for_each_target(
    path: &str,
    mut each: impl FnMut(TargetReport),
) -> Result<usize, ResultsError> {
    let io = |source| ResultsError::Io {
        path: path.to_string(),
        source,
    };
    let input: Box<dyn Read> = if path == "-" {
        Box::new(std::io::stdin())
    } else {
        Box::new(std::fs::File::open(path).map_err(io)?)
    };
    let mut reader = BufReader::new(input);
    let mut line = String::new();
    let mut number = 0;
    // The first line that is not blank tells JSON Lines (a whole target) from a document.
    loop {
        line.clear();
        if reader.read_line(&mut line).map_err(io)? == 0 {
            return Err(ResultsError::Empty {
                path: path.to_string(),
            });
        }
        number += 1;
        if !line.trim().is_empty() {
            break;
        }
    }
    if let Ok(first) = serde_json::from_str::<TargetReport>(&line) {
        each(first);
        let mut count = 1;
        loop {
            line.clear();
            if reader.read_line(&mut line).map_err(io)? == 0 {
                return Ok(count);
            }
            number += 1;
            if line.trim().is_empty() {
                continue;
            }
            let target = serde_json::from_str::<TargetReport>(&line).map_err(|error| {
                ResultsError::BadLine {
                    path: path.to_string(),
                    line: number,
                    error,
                }
            })?;
            each(target);
            count += 1;
        }
    }
    // A document: the rest of the file with the first line.
    reader.read_to_string(&mut line).map_err(io)?;
    let report: ScanReport = match serde_json::from_str(&line) {
        Ok(r) => r,
        Err(error) => return Err(bad_first_line(path, number, &line, error)),
    };
    if report.targets.is_empty() {
        return Err(ResultsError::Empty {
            path: path.to_string(),
        });
    }
    let count = report.targets.len();
    report.targets.into_iter().for_each(each);
    Ok(count)
}

/// A document that does not parse: when its first line is a complete JSON value on its own,
/// the file was meant as JSON Lines, and the first line is the one to fix.
fn bad_first_line(path: &str, number: usize, text: &str, error: serde_json::Error) -> ResultsError {
    let first = text.lines().next().unwrap_or_default();
    match serde_json::from_str::<serde_json::Value>(first) {
        Ok(_) => match serde_json::from_str::<TargetReport>(first) {
            Err(error) => ResultsError::BadLine {
                path: path.to_string(),
                line: number,
                error,
            },
            Ok(_) => ResultsError::BadDocument {
                path: path.to_string(),
                error,
            },
        },
        Err(_) => ResultsError::BadDocument {
            path: path.to_string(),
            error,
        },
    }
}

/// What an earlier JSON Lines output holds, for `scan --resume`: the targets of its complete
/// lines, and the length of the file up to the end of the last of them. A run killed while
/// writing leaves a last line without its newline (or one that does not parse): that line is
/// not counted, and the caller cuts the file back to `complete_len` before appending. A bad
/// line before the last is an error: the file is not ours to cut.
#[derive(Debug, Default)]
pub struct Finished {
    pub targets: std::collections::HashSet<String>,
    pub complete_len: u64,
}

pub fn finished_targets(path: &str) -> Result<Finished, ResultsError> {
    let io = |source| ResultsError::Io {
        path: path.to_string(),
        source,
    };
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        // Nothing written yet: everything is to do.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Finished::default()),
        Err(e) => return Err(io(e)),
    };
    let mut reader = BufReader::new(file);
    let mut out = Finished::default();
    let mut line = String::new();
    let mut number = 0;
    let mut pending: Option<(usize, serde_json::Error)> = None;
    loop {
        line.clear();
        let n = reader.read_line(&mut line).map_err(io)?;
        if n == 0 {
            return Ok(out);
        }
        number += 1;
        if let Some((line, error)) = pending.take() {
            // A bad line with more after it: not a torn tail.
            return Err(ResultsError::BadLine {
                path: path.to_string(),
                line,
                error,
            });
        }
        if !line.ends_with('\n') {
            // The torn tail of a killed run.
            return Ok(out);
        }
        if line.trim().is_empty() {
            out.complete_len += n as u64;
            continue;
        }
        match serde_json::from_str::<TargetReport>(&line) {
            Ok(t) => {
                out.targets.insert(t.facts.target);
                out.complete_len += n as u64;
            }
            Err(error) => pending = Some((number, error)),
        }
    }
}

/// Every target of the results at `paths`, in order (files read one after the other).
pub fn read_all(paths: &[String]) -> Result<Vec<TargetReport>, ResultsError> {
    let mut out = Vec::new();
    for p in paths {
        for_each_target(p, |t| out.push(t))?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(text: &str) -> tempfile::NamedTempFile {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        std::io::Write::write_all(&mut f, text.as_bytes()).unwrap();
        f
    }

    fn target(name: &str) -> String {
        let mut t = TargetReport::default();
        t.facts.target = name.into();
        serde_json::to_string(&t).unwrap()
    }

    fn read(f: &tempfile::NamedTempFile) -> Result<Vec<String>, String> {
        let path = f.path().to_string_lossy().into_owned();
        let mut names = Vec::new();
        for_each_target(&path, |t| names.push(t.facts.target.clone()))
            .map_err(|e| e.to_string().replace(&path, "FILE"))?;
        Ok(names)
    }

    #[test]
    fn json_lines_with_blank_lines() {
        let f = write(&format!("\n{}\n\n{}\n", target("a:443"), target("b:443")));
        assert_eq!(read(&f).unwrap(), ["a:443", "b:443"]);
    }

    #[test]
    fn one_document_pretty_or_compact() {
        let report = ScanReport::new(
            String::new(),
            0,
            vec![serde_json::from_str(&target("a:443")).unwrap()],
        );
        let pretty = write(&serde_json::to_string_pretty(&report).unwrap());
        assert_eq!(read(&pretty).unwrap(), ["a:443"]);
        let compact = write(&serde_json::to_string(&report).unwrap());
        assert_eq!(read(&compact).unwrap(), ["a:443"]);
    }

    #[test]
    fn a_bad_line_names_the_file_and_the_line() {
        let f = write(&format!("{}\n\n{{\"target\": 5}}\n", target("a:443")));
        let e = read(&f).unwrap_err();
        assert!(
            e.starts_with("FILE line 3: not a target of `tlsaudit scan -f jsonl` ("),
            "{e}"
        );
        let f = write("{\"target\": 5}\n");
        let e = read(&f).unwrap_err();
        assert!(e.starts_with("FILE line 1: not a target"), "{e}");
        let f = write(&format!("{}\n{{truncat", target("a:443")));
        let e = read(&f).unwrap_err();
        assert!(e.starts_with("FILE line 2: "), "{e}");
    }

    #[test]
    fn finished_targets_skip_a_torn_tail_and_refuse_a_bad_middle() {
        let whole = format!("{}\n{}\n", target("a:443"), target("b:443"));
        let torn = format!("{whole}{}", &target("c:443")[..20]);
        let f = write(&torn);
        let done = finished_targets(&f.path().to_string_lossy()).unwrap();
        let mut names: Vec<_> = done.targets.into_iter().collect();
        names.sort();
        assert_eq!(names, ["a:443", "b:443"]);
        assert_eq!(done.complete_len, whole.len() as u64);
        // A complete last line that does not parse is torn too (killed before the newline
        // is impossible, but a partial flush is not).
        let f = write(&format!("{whole}{{\"target\"\n"));
        let done = finished_targets(&f.path().to_string_lossy()).unwrap();
        assert_eq!(done.complete_len, whole.len() as u64);
        let f = write(&format!("{{\"target\"\n{whole}"));
        let path = f.path().to_string_lossy().into_owned();
        let e = finished_targets(&path).unwrap_err().to_string();
        assert!(e.starts_with(&format!("{path} line 1: ")), "{e}");
        let missing = finished_targets("/nonexistent/out.jsonl").unwrap();
        assert!(missing.targets.is_empty() && missing.complete_len == 0);
    }

    #[test]
    fn not_json_and_empty_files_are_errors() {
        let e = read(&write("hello\nworld\n")).unwrap_err();
        assert!(
            e.starts_with("FILE: not a `tlsaudit scan -f json` report"),
            "{e}"
        );
        assert_eq!(read(&write("\n\n")).unwrap_err(), "FILE: no targets");
    }
}
