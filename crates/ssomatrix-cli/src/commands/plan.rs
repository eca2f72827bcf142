//! `plan`: today's plan as text, Markdown or JSON, and `--out` to save it
//! for `apply --plan`.

use std::process::ExitCode;

use ssomatrix_core::policy;
use ssomatrix_core::render::{self, TextStyle};

use super::EXIT_CHANGES;
use crate::cli::{PlanArgs, PlanFormat};
use crate::files::{Named, check_outputs, write_atomic};
use crate::output;
use crate::source::Source;
use crate::steps::{load_config_bound, plan_on, plan_people, read_live_of, today};

pub async fn plan(args: PlanArgs, no_color: bool) -> anyhow::Result<ExitCode> {
    let mut inputs = vec![Named::new("the assignments file (-c)", &args.config)];
    if let Some(path) = &args.source.snapshot {
        inputs.push(Named::new("the snapshot (--snapshot)", path));
    }
    let outputs: Vec<Named<'_>> = args.out.iter().map(|p| Named::new("--out", p)).collect();
    check_outputs(&inputs, &outputs)?;
    let loaded = load_config_bound(&args.config)?;
    let config = &loaded.config;
    let source = Source::open(&args.source).await?;
    let live = read_live_of(
        &source,
        &args.source,
        config,
        &args.accounts.accounts,
        false,
    )
    .await?;
    let today = today()?;
    let mut plan = plan_on(config, &live, today)?;
    plan.people = plan_people(&source, &args.source, &live, &plan).await?;
    let saved = policy::saved_plan_json(&plan, today, &loaded.sha256);
    let out = match args.format {
        PlanFormat::Text => render::text(
            &plan,
            TextStyle {
                color: output::stdout_colour(no_color),
            },
        ),
        PlanFormat::Markdown => render::markdown(&plan, &live),
        PlanFormat::Json => saved.clone(),
    };
    output::stdout(&out)?;
    if let Some(path) = &args.out {
        write_atomic(path, &saved)?;
        errln!(
            "saved the plan to {}; `ssomatrix apply --plan {}` applies exactly it",
            path.display(),
            path.display()
        );
    }
    if args.detailed_exitcode && !plan.is_empty() {
        return Ok(ExitCode::from(EXIT_CHANGES));
    }
    Ok(ExitCode::SUCCESS)
}
