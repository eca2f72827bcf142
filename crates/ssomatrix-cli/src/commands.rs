//! The commands, one a file: each reads its inputs through the shared
//! `steps`, runs the engine and the planner, and renders the result. Data
//! goes to stdout, everything else to stderr.

mod access;
mod apply;
mod completions;
mod drift;
mod explain;
mod export;
mod import;
mod plan;
mod reprovision;
mod schema;
mod validate;

use std::process::ExitCode;

use crate::cli::{Cli, Command};

/// Exit code for "the plan has changes" with `--detailed-exitcode`.
const EXIT_CHANGES: u8 = 2;

pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Validate(args) => validate::validate(args).await,
        Command::Plan(args) => plan::plan(args, cli.no_color).await,
        Command::Apply(args) => apply::apply(args, cli.no_color).await,
        Command::Reprovision(args) => reprovision::reprovision(args).await,
        Command::Drift(args) => drift::drift(args, cli.no_color).await,
        Command::Access(args) => access::access(args).await,
        Command::Explain(args) => explain::explain(args).await,
        Command::Export(args) => export::export(args).await,
        Command::Import(args) => import::import(args).await,
        Command::Schema(args) => schema::schema(&args),
        Command::Completions(args) => completions::completions(args.shell),
        Command::Man(args) => completions::man(args.command.as_deref()),
    }
}
