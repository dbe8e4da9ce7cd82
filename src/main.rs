//! The `tlsaudit` command: a thin binary over the library; its command line is private to it.

mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}
