//! The `daactl` binary: parse arguments, run the command, turn the result into an exit code.

mod cli;
mod command;

use std::io::Write as _;
use std::process::ExitCode;

use clap::Parser as _;

use command::Outcome;

// Rendering allocates many small strings and maps; mimalloc makes that, and the page
// faults of a growing heap, markedly cheaper than the system allocator (see docs/performance.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    match command::run(cli) {
        Ok(Outcome::Success) => ExitCode::SUCCESS,
        Ok(Outcome::Drift | Outcome::Findings | Outcome::Rejected) => ExitCode::from(1),
        // A reader that stops early (`daactl render --stdout | head`) is not an error.
        Err(err) if is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            let _ = writeln!(std::io::stderr(), "{err:#}");
            ExitCode::from(2)
        }
    }
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
