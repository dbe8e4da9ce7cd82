//! The `tlsaudit` command: a thin binary over the library; its command line is private to it.

// Everything under cli/ is private to the binary: `pub(crate)` at most.
#![warn(unreachable_pub)]

mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}
