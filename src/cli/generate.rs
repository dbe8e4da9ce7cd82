//! `tlsaudit completions SHELL` and `tlsaudit man`: generated from the same clap definitions
//! the command line parses with, so they never drift from it.

use std::io::Write;

use clap::CommandFactory;

use super::exit::{is_broken_pipe, Exit};
use super::Cli;

/// Writes the completion script for `shell` to stdout.
pub(crate) fn completions(shell: clap_complete::Shell) -> anyhow::Result<Exit> {
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "tlsaudit", &mut script);
    is_broken_pipe(std::io::stdout().lock().write_all(&script))?;
    Ok(Exit::Ok)
}

/// Writes the man page, roff, to stdout: tlsaudit(1), then one page per subcommand
/// (tlsaudit-scan(1), …) with its every option, one after the other as `man -l` reads them.
pub(crate) fn man() -> anyhow::Result<Exit> {
    let mut page = Vec::new();
    let cmd = Cli::command();
    clap_mangen::Man::new(cmd.clone()).render(&mut page)?;
    for sub in cmd.get_subcommands() {
        let sub = sub
            .clone()
            .bin_name(format!("tlsaudit {}", sub.get_name()))
            .version(env!("CARGO_PKG_VERSION"));
        clap_mangen::Man::new(sub.clone())
            .title(format!("tlsaudit-{}", sub.get_name()))
            .render(&mut page)?;
    }
    is_broken_pipe(std::io::stdout().lock().write_all(&page))?;
    Ok(Exit::Ok)
}
