//! `completions` and `man`: generated from the command line's own
//! definition, so they never disagree with `--help`.

use std::process::ExitCode;

use anyhow::{Context, bail};
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

/// A manual page (roff), on stdout: ssomatrix's own, which lists every
/// command, or with `command` that command's page (`ssomatrix-plan(1)`).
pub fn man(command: Option<&str>) -> anyhow::Result<ExitCode> {
    // Built, subcommands are named `ssomatrix-plan` as their pages are.
    let mut cli = Cli::command().disable_help_subcommand(true);
    cli.build();
    let page_of = match command {
        None => cli,
        Some(name) => match cli.find_subcommand(name) {
            Some(sub) => sub.clone(),
            None => bail!(
                "`{name}` is not a command; give one of: {}",
                cli.get_subcommands()
                    .map(|c| c.get_name())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        },
    };
    let mut page = Vec::new();
    clap_mangen::Man::new(page_of)
        .render(&mut page)
        .context("cannot render the manual page")?;
    output::stdout(&String::from_utf8_lossy(&page))?;
    Ok(ExitCode::SUCCESS)
}
