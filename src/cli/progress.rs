//! The progress bar of `tlsaudit scan` on stderr: targets done / total, how many errored,
//! elapsed time and ETA. It is redrawn once per finished target (and by a one-second tick so
//! the clock moves while a slow target holds the line), never per probe.
//!
//! When it is shown is [`wanted`]'s answer alone; a hidden [`Progress`] does nothing.

use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use tlsaudit::render::Format;

/// Whether `tlsaudit scan` shows a progress bar on stderr. Never with `--quiet`; never when
/// stderr is not a terminal (pipes, CI logs and tests stay clean); never when the text report
/// is written to a terminal (`stdout_tty`: stdout is a terminal *and* no `-o FILE`), because
/// that report already prints each target as it finishes. Otherwise it is shown: e.g. any
/// format with `-o FILE`, stdout piped, or `--format json`/`jsonl`/… on a terminal (the bar is
/// then cleared around each write, so the two never garble one another).
pub(crate) fn wanted(stderr_tty: bool, stdout_tty: bool, format: Format, quiet: bool) -> bool {
    !quiet && stderr_tty && !(stdout_tty && format == Format::Text)
}

/// A progress bar, or nothing.
pub(crate) struct Progress {
    bar: Option<ProgressBar>,
    errored: u64,
}

impl Progress {
    /// Shows nothing.
    pub(crate) fn hidden() -> Progress {
        Progress {
            bar: None,
            errored: 0,
        }
    }

    /// A bar on stderr for `total` targets.
    pub(crate) fn stderr(total: usize) -> Progress {
        let style = ProgressStyle::with_template(
            "{elapsed_precise} [{bar:30}] {pos}/{len} targets, {msg}, ETA {eta}",
        )
        .map(|s| s.progress_chars("=> "))
        .unwrap_or_else(|_| ProgressStyle::default_bar());
        let bar = ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::stderr())
            .with_style(style)
            .with_message("0 errored");
        bar.enable_steady_tick(Duration::from_secs(1));
        Progress {
            bar: Some(bar),
            errored: 0,
        }
    }

    /// Whether a bar is drawn.
    pub(crate) fn is_shown(&self) -> bool {
        self.bar.is_some()
    }

    /// One more target finished; `errored` when it could not be scanned.
    pub(crate) fn target_done(&mut self, errored: bool) {
        if let Some(bar) = &self.bar {
            if errored {
                self.errored += 1;
                bar.set_message(format!("{} errored", self.errored));
            }
            bar.inc(1);
        }
    }

    /// Runs `f` (a write to a terminal) with the bar cleared, then redraws it.
    pub(crate) fn suspend<R>(&self, f: impl FnOnce() -> R) -> R {
        match &self.bar {
            Some(bar) => bar.suspend(f),
            None => f(),
        }
    }

    /// Ends the bar: its last line stays on stderr when `keep`, else it is cleared (so a
    /// report written to the same terminal after it starts on a clean line).
    pub(crate) fn finish(self, keep: bool) {
        if let Some(bar) = self.bar {
            if keep {
                bar.finish();
            } else {
                bar.finish_and_clear();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shown_only_on_a_terminal_stderr_when_the_report_does_not_show_progress() {
        // (stderr tty, stdout tty, format, quiet) -> shown
        let cases = [
            // --quiet: never.
            (true, false, Format::Jsonl, true, false),
            (true, true, Format::Json, true, false),
            // stderr not a terminal (CI, tests, 2>file): never.
            (false, false, Format::Jsonl, false, false),
            (false, true, Format::Json, false, false),
            (false, false, Format::Text, false, false),
            // The text report on a terminal shows progress itself.
            (true, true, Format::Text, false, false),
            // Text to a file or a pipe: the bar.
            (true, false, Format::Text, false, true),
            // Every other format: the bar, on a terminal stdout too.
            (true, false, Format::Jsonl, false, true),
            (true, true, Format::Jsonl, false, true),
            (true, true, Format::Json, false, true),
            (true, false, Format::Json, false, true),
            (true, true, Format::Junit, false, true),
            (true, true, Format::Sarif, false, true),
            (true, false, Format::Html, false, true),
        ];
        for (stderr_tty, stdout_tty, format, quiet, want) in cases {
            assert_eq!(
                wanted(stderr_tty, stdout_tty, format, quiet),
                want,
                "stderr tty {stderr_tty}, stdout tty {stdout_tty}, {format:?}, quiet {quiet}"
            );
        }
    }

    #[test]
    fn a_hidden_bar_counts_nothing_and_runs_what_it_suspends() {
        let mut p = Progress::hidden();
        assert!(!p.is_shown());
        p.target_done(true);
        assert_eq!(p.errored, 0);
        assert_eq!(p.suspend(|| 7), 7);
        p.finish(true);
    }
}
