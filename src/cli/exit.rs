//! Exit codes, decided here alone: each means one thing, for every command.
//!
//! 0 compliant (with `--policy none`: scanned), 1 not compliant, 2 usage or configuration
//! error, 3 a target could not be scanned, or not fully enough to judge it (for `tlsaudit
//! client`: no client connected), 130 a scan interrupted by Ctrl-C (the finished targets are
//! written). A closed pipe is not an error.

use std::process::ExitCode;

use tlsaudit::audit::RunOutcome;
use tlsaudit::client::CheckOutcome;

/// The exit status of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Exit {
    /// Compliant, or (judged by nothing) done.
    Ok = 0,
    /// A target or a client is NOT COMPLIANT, or a grade is below `--min-grade`; for
    /// `impact`, an endpoint breaks; for `diff`, something changed.
    NotCompliant = 1,
    /// The command line or a file it names is wrong (also any other error).
    Usage = 2,
    /// A target could not be scanned, a verdict lacks facts, or no client connected.
    Incomplete = 3,
    /// Interrupted (Ctrl-C, SIGINT) before every target was scanned: 128 + 2, as shells do.
    Interrupted = 130,
}

impl From<RunOutcome> for Exit {
    fn from(o: RunOutcome) -> Exit {
        match o {
            RunOutcome::Compliant => Exit::Ok,
            RunOutcome::NotCompliant => Exit::NotCompliant,
            RunOutcome::Incomplete | RunOutcome::Unreachable => Exit::Incomplete,
        }
    }
}

impl From<CheckOutcome> for Exit {
    fn from(o: CheckOutcome) -> Exit {
        match o {
            CheckOutcome::Compliant => Exit::Ok,
            CheckOutcome::NotCompliant => Exit::NotCompliant,
            CheckOutcome::NoClient => Exit::Incomplete,
        }
    }
}

impl From<Exit> for ExitCode {
    fn from(e: Exit) -> ExitCode {
        ExitCode::from(e as u8)
    }
}

/// The exit status of a command's result: an error is printed and is a usage error.
pub(crate) fn exit(result: anyhow::Result<Exit>) -> ExitCode {
    match result {
        Ok(e) => e.into(),
        Err(e) => {
            eprintln!("tlsaudit: {e:#}");
            Exit::Usage.into()
        }
    }
}

/// A closed pipe (e.g. `| head`) is not an error: stop writing quietly. True when it closed.
pub(crate) fn is_broken_pipe(r: std::io::Result<()>) -> anyhow::Result<bool> {
    match r {
        Ok(()) => Ok(false),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(true),
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_the_documented_numbers() {
        assert_eq!(
            [Exit::Ok, Exit::NotCompliant, Exit::Usage, Exit::Incomplete].map(|e| e as u8),
            [0, 1, 2, 3]
        );
        assert_eq!(Exit::from(RunOutcome::Unreachable), Exit::Incomplete);
        assert_eq!(Exit::from(RunOutcome::Incomplete), Exit::Incomplete);
        assert_eq!(Exit::from(CheckOutcome::NoClient), Exit::Incomplete);
        assert_eq!(Exit::from(CheckOutcome::NotCompliant), Exit::NotCompliant);
    }
}
