//! The commands: each reads its inputs, runs the engine and the planner, and
//! renders the result. Data goes to stdout, everything else to stderr.

use std::process::ExitCode;

use ssomatrix_core::drift;
use ssomatrix_core::policy;
use ssomatrix_core::render::{self, TextStyle};
use ssomatrix_core::snapshot::Snapshot;
use ssomatrix_engine::ReadOptions;
use ssomatrix_engine::inventory::{self, Progress};

use crate::cli::{
    Cli, Command, DriftArgs, ExportArgs, Inventory, PlanArgs, PlanFormat, SchemaArgs,
    SnapshotFormat, ValidateArgs,
};
use crate::files::{Named, check_outputs};
use crate::load::{
    load_config, load_config_bound, make_plan, plan_on, read_live, read_live_sets, report_calls,
    today,
};
use crate::output;
use crate::source::{Source, strategy, with_client};

/// Exit code for "the plan has changes" with `--detailed-exitcode`.
const EXIT_CHANGES: u8 = 2;

pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Validate(args) => validate(args).await,
        Command::Plan(args) => plan_cmd(args, cli.no_color).await,
        Command::Apply(args) => crate::apply::apply(args, cli.no_color).await,
        Command::Reprovision(args) => crate::apply::reprovision_only(args).await,
        Command::Drift(args) => drift_cmd(args, cli.no_color).await,
        Command::Export(args) => export(args).await,
        Command::Schema(args) => schema(&args),
    }
}

async fn validate(args: ValidateArgs) -> anyhow::Result<ExitCode> {
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
        use ssomatrix_core::plan::WarningKind as K;
        matches!(
            w.kind,
            K::EmptyTarget
                | K::DuplicateRule
                | K::ExpiresSoon
                | K::InactiveAccount
                | K::OutsideScope
                | K::UnmatchedExclude
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

async fn plan_cmd(args: PlanArgs, no_color: bool) -> anyhow::Result<ExitCode> {
    let mut inputs = vec![Named::new("the assignments file (-c)", &args.config)];
    if let Some(path) = &args.source.snapshot {
        inputs.push(Named::new("the snapshot (--snapshot)", path));
    }
    let outputs: Vec<Named<'_>> = args.out.iter().map(|p| Named::new("--out", p)).collect();
    check_outputs(&inputs, &outputs)?;
    let loaded = load_config_bound(&args.config)?;
    let config = &loaded.config;
    let source = Source::open(&args.source).await?;
    let live = read_live(&source, &args.source, config).await?;
    let today = today()?;
    let plan = plan_on(config, &live, today)?;
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
        crate::files::write_atomic(path, &saved)?;
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

async fn drift_cmd(args: DriftArgs, no_color: bool) -> anyhow::Result<ExitCode> {
    let config = load_config(&args.config)?;
    let source = Source::open(&args.source).await?;
    let live = read_live_sets(&source, &args.source, &config, true).await?;
    let mut report = drift::drift(&config, &live, today()?, args.warn_expiring);
    report.read_strategy = Some(match args.source.inventory {
        Inventory::Provisioned => drift::ReadStrategy::Provisioned,
        Inventory::Exhaustive => drift::ReadStrategy::Exhaustive,
    });
    let out = match args.format {
        PlanFormat::Text => drift::text(
            &report,
            TextStyle {
                color: output::stdout_colour(no_color),
            },
        ),
        PlanFormat::Markdown => drift::markdown(&report),
        PlanFormat::Json => drift::json(&report),
    };
    output::stdout(&out)?;
    if args.detailed_exitcode && report.needs_action() {
        return Ok(ExitCode::from(EXIT_CHANGES));
    }
    Ok(ExitCode::SUCCESS)
}

async fn export(args: ExportArgs) -> anyhow::Result<ExitCode> {
    let inputs: Vec<Named<'_>> = args
        .source
        .snapshot
        .iter()
        .map(|p| Named::new("the snapshot (--snapshot)", p))
        .collect();
    let outputs: Vec<Named<'_>> = args.out.iter().map(|p| Named::new("--out", p)).collect();
    check_outputs(&inputs, &outputs)?;
    let source = Source::open(&args.source).await?;
    let instance = match &args.instance_arn {
        Some(s) => Some(ssomatrix_core::ids::InstanceArn::typed(s.as_str())?),
        None => None,
    };
    let options = ReadOptions {
        strategy: strategy(args.source.inventory),
        provisioning_status: true,
    };
    let progress = Progress::default();
    let budget = source.budget(&args.source);
    let snapshot: Snapshot = with_client!(&source, budget, |client| {
        let s = output::with_progress(
            &progress,
            inventory::export_snapshot(&client, instance.as_ref(), &options, &progress),
        )
        .await;
        report_calls(&client);
        s.map_err(|e| source.explain(e.into()))?
    });
    let text = match args.format {
        SnapshotFormat::Yaml => snapshot.to_yaml(),
        SnapshotFormat::Json => snapshot.to_json(),
    };
    match &args.out {
        Some(path) => {
            crate::files::write_atomic(path, &text)?;
            errln!(
                "exported {} accounts, {} permission sets, {} assignments to {}",
                snapshot.organization.accounts.len(),
                snapshot.permission_sets.len(),
                snapshot.assignments.len(),
                path.display()
            );
        }
        None => output::stdout(&text)?,
    }
    Ok(ExitCode::SUCCESS)
}

fn schema(args: &SchemaArgs) -> anyhow::Result<ExitCode> {
    let schema = if args.snapshot {
        ssomatrix_core::schema::snapshot_schema_json()
    } else {
        ssomatrix_core::schema::config_schema_json()
    };
    output::stdout(&schema)?;
    Ok(ExitCode::SUCCESS)
}
