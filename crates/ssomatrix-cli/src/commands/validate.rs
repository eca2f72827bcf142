//! `validate`: the file alone, or its names against an instance too.

use std::process::ExitCode;

use ssomatrix_core::plan::WarningKind;

use crate::cli::ValidateArgs;
use crate::source::Source;
use crate::steps::{load_config, make_plan, read_live};

pub async fn validate(args: ValidateArgs) -> anyhow::Result<ExitCode> {
    let config = load_config(&args.config)?;
    let rules = config.rules.len();
    if args.source.snapshot.is_none() && !args.live {
        errln!(
            "{}: valid ({rules} rule{}); names were not checked against an instance (add --snapshot FILE or --live)",
            config.file,
            if rules == 1 { "" } else { "s" }
        );
        return Ok(ExitCode::SUCCESS);
    }
    let source = Source::open(&args.source).await?;
    let live = read_live(&source, &args.source, &config).await?;
    let plan = make_plan(&config, &live)?;
    // What the file says that is likely a mistake; warnings about what an
    // apply would do (deletes, roles, budgets) belong to `plan`.
    let about_the_file = plan.warnings.iter().filter(|w| {
        matches!(
            w.kind,
            WarningKind::EmptyTarget
                | WarningKind::DuplicateRule
                | WarningKind::ExpiresSoon
                | WarningKind::InactiveAccount
                | WarningKind::OutsideScope
                | WarningKind::UnmatchedExclude
        )
    });
    for w in about_the_file {
        errln!("{}: warning: {}", config.file, w.message);
    }
    errln!(
        "{}: valid ({rules} rule{}); every name resolves; {} assignment(s) declared in ACTIVE accounts",
        config.file,
        if rules == 1 { "" } else { "s" },
        plan.summary.unchanged + plan.summary.create
    );
    Ok(ExitCode::SUCCESS)
}
