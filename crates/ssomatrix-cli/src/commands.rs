//! The commands: each reads its inputs, runs the engine and the planner, and
//! renders the result. Data goes to stdout, everything else to stderr.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use ssomatrix_core::config::Config;
use ssomatrix_core::date::Date;
use ssomatrix_core::drift;
use ssomatrix_core::live::LiveState;
use ssomatrix_core::plan::{self, Plan};
use ssomatrix_core::render::{self, TextStyle};
use ssomatrix_core::snapshot::Snapshot;
use ssomatrix_engine::inventory::{self, Progress};
use ssomatrix_engine::{Client, ReadOptions};

use crate::cli::{
    Cli, Command, DriftArgs, ExportArgs, Inventory, PlanArgs, PlanFormat, SchemaArgs,
    SnapshotFormat, SourceArgs, ValidateArgs,
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

/// Today's date in UTC, or `SSOMATRIX_TODAY` (YYYY-MM-DD) for reproducible
/// runs and tests.
fn today() -> anyhow::Result<Date> {
    if let Ok(s) = std::env::var("SSOMATRIX_TODAY") {
        return Date::parse(&s).map_err(|e| anyhow::anyhow!("SSOMATRIX_TODAY: {e}"));
    }
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .context("the system clock is before 1970")?
        .as_secs();
    Ok(Date::from_days_since_epoch(
        i64::try_from(secs / 86_400).unwrap_or(0),
    ))
}

pub(crate) fn load_config(path: &Path) -> anyhow::Result<Config> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    Config::parse(&path.display().to_string(), &text)
        .map_err(|e| problems(&path.display().to_string(), &e.0))
}

fn problems(file: &str, diagnostics: &[ssomatrix_core::yaml::Diagnostic]) -> anyhow::Error {
    let n = diagnostics.len();
    let list = diagnostics
        .iter()
        .map(|d| format!("  {d}"))
        .collect::<Vec<_>>()
        .join("\n");
    anyhow::anyhow!(
        "{n} problem{} in {file}; nothing was planned:\n{list}",
        if n == 1 { "" } else { "s" }
    )
}

/// Reads the live state the file needs, with progress on a terminal and call
/// counts at `-v`.
pub(crate) async fn read_live(
    source: &Source,
    args: &SourceArgs,
    config: &Config,
) -> anyhow::Result<LiveState> {
    read_live_sets(source, args, config, false).await
}

/// [`read_live`], and with `all_sets` the assignments of every permission
/// set, not only those the file needs (drift counts those outside the scope).
async fn read_live_sets(
    source: &Source,
    args: &SourceArgs,
    config: &Config,
    all_sets: bool,
) -> anyhow::Result<LiveState> {
    let options = ReadOptions {
        strategy: strategy(args.inventory),
        provisioning_status: true,
    };
    let progress = Progress::default();
    let budget = source.budget(args);
    with_client!(source, budget, |client| {
        let read = async {
            if all_sets {
                inventory::read_live_state_all_sets(&client, config, &options, &progress).await
            } else {
                inventory::read_live_state(&client, config, &options, &progress).await
            }
        };
        let live = output::with_progress(&progress, read).await;
        report_calls(&client);
        Ok(live?)
    })
}

pub(crate) fn report_calls<S, I, O>(client: &Client<S, I, O>) {
    let stats = client.stats.snapshot();
    let total: u64 = stats.calls.values().sum();
    tracing::info!("{total} API calls");
    for (op, n) in &stats.calls {
        tracing::info!("  {n:>6}  {op}");
    }
    for (kind, n) in &stats.retries {
        tracing::info!("  {n:>6}  retries after {kind}");
    }
}

pub(crate) fn make_plan(config: &Config, live: &LiveState) -> anyhow::Result<Plan> {
    plan::plan(config, live, today()?).map_err(|e| problems(&config.file, &e.0))
}

async fn validate(args: ValidateArgs) -> anyhow::Result<ExitCode> {
    let config = load_config(&args.config)?;
    let rules = config.rules.len();
    if args.source.snapshot.is_none() && !args.live {
        eprintln!(
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
        use plan::WarningKind as K;
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
        eprintln!("{}: warning: {}", config.file, w.message);
    }
    eprintln!(
        "{}: valid ({rules} rule{}); every name resolves; {} assignment(s) declared in ACTIVE accounts",
        config.file,
        if rules == 1 { "" } else { "s" },
        plan.summary.unchanged + plan.summary.create
    );
    Ok(ExitCode::SUCCESS)
}

async fn plan_cmd(args: PlanArgs, no_color: bool) -> anyhow::Result<ExitCode> {
    let config = load_config(&args.config)?;
    let source = Source::open(&args.source).await?;
    let live = read_live(&source, &args.source, &config).await?;
    let plan = make_plan(&config, &live)?;
    let out = match args.format {
        PlanFormat::Text => render::text(
            &plan,
            TextStyle {
                color: output::stdout_colour(no_color),
            },
        ),
        PlanFormat::Markdown => render::markdown(&plan, &live),
        PlanFormat::Json => render::json(&plan),
    };
    print!("{out}");
    if let Some(path) = &args.out {
        output::write_atomic(path, &render::json(&plan))?;
        eprintln!(
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
    print!("{out}");
    if args.detailed_exitcode && report.needs_action() {
        return Ok(ExitCode::from(EXIT_CHANGES));
    }
    Ok(ExitCode::SUCCESS)
}

async fn export(args: ExportArgs) -> anyhow::Result<ExitCode> {
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
        s?
    });
    let text = match args.format {
        SnapshotFormat::Yaml => snapshot.to_yaml(),
        SnapshotFormat::Json => snapshot.to_json(),
    };
    match &args.out {
        Some(path) => {
            output::write_atomic(path, &text)?;
            eprintln!(
                "exported {} accounts, {} permission sets, {} assignments to {}",
                snapshot.organization.accounts.len(),
                snapshot.permission_sets.len(),
                snapshot.assignments.len(),
                path.display()
            );
        }
        None => print!("{text}"),
    }
    Ok(ExitCode::SUCCESS)
}

fn schema(args: &SchemaArgs) -> anyhow::Result<ExitCode> {
    let schema = if args.snapshot {
        ssomatrix_core::schema::snapshot_schema_json()
    } else {
        ssomatrix_core::schema::config_schema_json()
    };
    print!("{schema}");
    Ok(ExitCode::SUCCESS)
}
