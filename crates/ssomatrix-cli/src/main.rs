//! ssomatrix: the binary. Parses the command line, wires the ports (AWS or a
//! snapshot-backed simulator) to the engine, renders results and maps them to
//! exit codes.

// The apply command's future nests the executor's, reprovisioning's and the
// client's retrying futures for two port implementations; computing its
// layout goes deeper than the default limit of 128.
#![recursion_limit = "256"]

/// `eprintln!` that never panics: stderr may be a closed pipe
/// (`ssomatrix plan 2>&1 | head -1`), and a message nobody can read is no
/// reason to fail.
macro_rules! errln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

/// `eprint!` that never panics (see [`errln!`]).
macro_rules! err {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let mut e = std::io::stderr();
        let _ = write!(e, $($arg)*);
        let _ = e.flush();
    }};
}

mod cli;
mod commands;
mod delegated;
mod files;
mod output;
mod saved_plan;
mod source;
mod steps;
mod summary;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // clap exits 2 on usage errors, but 2 means "changes present" here.
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    output::init_tracing(cli.verbose);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            errln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(commands::run(cli)) {
        Ok(code) => code,
        Err(e) => {
            output::print_error(&e);
            ExitCode::from(1)
        }
    }
}
