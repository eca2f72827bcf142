//! `completions` and `man`: generated from the command line's own
//! definition, so they never disagree with `--help`.

use std::process::ExitCode;

use anyhow::Context;
use clap::CommandFactory;
use clap_complete::Shell;

use crate::cli::Cli;
use crate::output;

/// The completion script for `shell`, on stdout.
pub fn completions(shell: Shell) -> anyhow::Result<ExitCode> {
    let mut command = Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut command, "ssomatrix", &mut script);
    output::stdout(&String::from_utf8_lossy(&script))?;
    Ok(ExitCode::SUCCESS)
}

/// The manual page (roff), on stdout: the top-level page lists every
/// command with its summary; `ssomatrix COMMAND --help` has the details.
pub fn man() -> anyhow::Result<ExitCode> {
    let mut page = Vec::new();
    clap_mangen::Man::new(Cli::command())
        .render(&mut page)
        .context("cannot render the manual page")?;
    output::stdout(&String::from_utf8_lossy(&page))?;
    Ok(ExitCode::SUCCESS)
}
