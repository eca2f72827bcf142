//! `apply` and `reprovision`: the write path, with its safety gates (delete
//! budget, confirmation, stale saved plans), signal handling, progress and
//! the final report.

use std::io::{BufRead, IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;
use std::sync::atomic::Ordering;
use std::time::Duration;

use anyhow::{Context, bail};
use serde::Serialize;
use std::collections::BTreeMap;

use ssomatrix_core::config::Config;
use ssomatrix_core::ids::PermissionSetArn;
use ssomatrix_core::live::LiveState;
use ssomatrix_core::plan::{Action, Plan, owned_permission_sets};
use ssomatrix_core::render::{self, TextStyle};
use ssomatrix_engine::executor::{self, ApplyControl, ApplyOptions, ApplyReport, Outcome};
use ssomatrix_engine::reprovision::{self, AccountFacts, ProvisionReport};

use crate::cli::{ApplyArgs, ReprovisionArgs};
use crate::commands::{load_config, make_plan, read_live};
use crate::output;
use crate::source::{Source, with_client};

#[derive(Debug, Serialize)]
struct Report<'a> {
    instance_arn: &'a str,
    interrupted: bool,
    operations: &'a [executor::OperationReport],
    reprovisioning: &'a [ProvisionReport],
}

fn load_saved_plan(path: &Path) -> anyhow::Result<Plan> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read saved plan {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| {
        format!(
            "{} is not a plan written by `ssomatrix plan --out`",
            path.display()
        )
    })
}

/// Asks for `yes` on the terminal; `Ok(false)` for anything else.
fn confirm(plan: &Plan) -> anyhow::Result<bool> {
    let mut err = std::io::stderr();
    write!(
        err,
        "\nApply {} change(s) to {}? Only `yes` is accepted: ",
        plan.changes.len(),
        plan.instance_arn
    )?;
    err.flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    Ok(answer.trim() == "yes")
}

/// Stops new submissions on SIGINT or SIGTERM; the executor waits for what
/// is in flight.
fn watch_signals(control: std::sync::Arc<ApplyControl>) {
    tokio::spawn(async move {
        #[cfg(unix)]
        let terminate = async {
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(mut s) => {
                    s.recv().await;
                }
                Err(_) => std::future::pending::<()>().await,
            }
        };
        #[cfg(not(unix))]
        let terminate = std::future::pending::<()>();
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            () = terminate => {}
        }
        eprintln!("\nstopping: no new operations are submitted; waiting for those in flight");
        control.request_stop();
    });
}

/// Progress on stderr: a live line on a terminal, a log line every 10 s otherwise.
async fn show_progress(control: &ApplyControl) {
    let tty = std::io::stderr().is_terminal();
    let started = tokio::time::Instant::now();
    let tick = if tty {
        Duration::from_millis(200)
    } else {
        Duration::from_secs(10)
    };
    loop {
        tokio::time::sleep(tick).await;
        let (done, failed, in_flight, total) = (
            control.done.load(Ordering::Relaxed),
            control.failed.load(Ordering::Relaxed),
            control.in_flight.load(Ordering::Relaxed),
            control.total.load(Ordering::Relaxed),
        );
        let eta = if done > 0 && total > done {
            let per = started.elapsed().as_secs_f64() / done as f64;
            format!(", ETA {:.0} s", per * (total - done) as f64)
        } else {
            String::new()
        };
        let line = format!("applied {done}/{total} ({failed} failed, {in_flight} in flight{eta})");
        if tty {
            eprint!("\r\x1b[2K{line}");
        } else {
            eprintln!("{line}");
        }
    }
}

pub async fn apply(args: ApplyArgs, no_color: bool) -> anyhow::Result<ExitCode> {
    let config = load_config(&args.config)?;
    let source = Source::open(&args.source).await?;
    let live = read_live(&source, &args.source, &config).await?;
    let fresh = make_plan(&config, &live)?;
    let plan = match &args.plan {
        Some(path) => {
            let saved = load_saved_plan(path)?;
            if saved.instance_arn != fresh.instance_arn {
                bail!(
                    "{} was made for instance {}, not {}; plan again against this instance",
                    path.display(),
                    saved.instance_arn,
                    fresh.instance_arn
                );
            }
            if saved.fingerprint != fresh.fingerprint {
                bail!(
                    "the live state changed since {} was made (fingerprint {}… is now {}…); nothing was applied: \
                     run `ssomatrix plan --out {}` again and review the new plan",
                    path.display(),
                    &saved.fingerprint[..saved.fingerprint.len().min(12)],
                    &fresh.fingerprint[..12],
                    path.display()
                );
            }
            saved
        }
        None => fresh,
    };
    let deletes = plan
        .changes
        .iter()
        .filter(|c| c.action == Action::Delete)
        .count();
    let budget = args.allow_deletes.unwrap_or(config.max_deletes) as usize;
    if deletes > budget {
        bail!(
            "the plan deletes {deletes} assignments, more than the {} of {budget}; nothing was applied: \
             review the plan and re-run with `--allow-deletes {deletes}` if it is right",
            if args.allow_deletes.is_some() {
                "--allow-deletes budget"
            } else {
                "`safety.max_deletes` budget"
            }
        );
    }
    print!(
        "{}",
        render::text(
            &plan,
            TextStyle {
                color: output::stdout_colour(no_color)
            }
        )
    );
    if !plan.is_empty() && !args.auto_approve {
        if !std::io::stdin().is_terminal() {
            bail!(
                "refusing to apply without confirmation: stdin is not a terminal; pass --auto-approve (in CI, apply a reviewed plan with --plan)"
            );
        }
        if !confirm(&plan)? {
            bail!("apply cancelled; nothing was changed");
        }
    }
    let control = std::sync::Arc::new(ApplyControl::default());
    watch_signals(control.clone());
    let options = ApplyOptions {
        max_in_flight: usize::from(args.max_in_flight),
        ..ApplyOptions::default()
    };
    let owned = owned_names(&config, &live);
    let instance = plan.instance_arn.clone();
    let budget = source.budget(&args.source);
    let (report, provisioned) = with_client!(&source, budget, |client| {
        let report = tokio::select! {
            report = executor::apply(&client, &instance, &plan, &options, &control) => report,
            () = show_progress(&control) => unreachable_progress(),
        };
        if std::io::stderr().is_terminal() {
            eprint!("\r\x1b[2K");
        }
        let provisioned = if args.no_reprovision || report.interrupted {
            Vec::new()
        } else {
            let facts = AccountFacts::after_apply(&live, &report);
            reprovision::reprovision(&client, &instance, &owned, &facts, &options).await?
        };
        crate::commands::report_calls(&client);
        (report, provisioned)
    });
    source.save()?;
    summarise(&report, &provisioned);
    if let Some(path) = &args.report {
        let r = Report {
            instance_arn: instance.as_str(),
            interrupted: report.interrupted,
            operations: &report.operations,
            reprovisioning: &provisioned,
        };
        output::write_atomic(path, &(serde_json::to_string_pretty(&r)? + "\n"))?;
    }
    let ok = report.all_succeeded() && provisioned.iter().all(|p| p.outcome == Outcome::Succeeded);
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// The owned permission sets, ARN → name: what apply may reprovision.
fn owned_names(config: &Config, live: &LiveState) -> BTreeMap<PermissionSetArn, String> {
    owned_permission_sets(config, &live.permission_sets)
        .into_iter()
        .map(|arn| {
            let name = live.permission_set_name(&arn).to_owned();
            (arn, name)
        })
        .collect()
}

/// `show_progress` loops until the executor's arm of the select wins.
fn unreachable_progress() -> ApplyReport {
    ApplyReport::default()
}

fn summarise(report: &ApplyReport, provisioned: &[ProvisionReport]) {
    let created = report
        .operations
        .iter()
        .filter(|o| o.change.action == Action::Create && o.outcome == Outcome::Succeeded)
        .count();
    let deleted = report
        .operations
        .iter()
        .filter(|o| o.change.action == Action::Delete && o.outcome == Outcome::Succeeded)
        .count();
    let not_started = report.count(|o| *o == Outcome::NotStarted);
    let failed = report.operations.len() - created - deleted - not_started;
    eprintln!(
        "{}: {created} created, {deleted} deleted, {failed} failed{}; {} permission set(s) reprovisioned",
        if report.interrupted {
            "Apply interrupted"
        } else {
            "Apply complete"
        },
        if not_started > 0 {
            format!(", {not_started} not started (the next run does them)")
        } else {
            String::new()
        },
        reprovisioned_sets(provisioned)
    );
    for o in report
        .operations
        .iter()
        .filter(|o| !matches!(o.outcome, Outcome::Succeeded | Outcome::NotStarted))
    {
        let why = match &o.outcome {
            Outcome::Failed { reason } => format!("FAILED: {reason}"),
            Outcome::Error { message } => message.clone(),
            Outcome::TimedOut => "no final status before the timeout".to_owned(),
            Outcome::Succeeded | Outcome::NotStarted => String::new(),
        };
        eprintln!(
            "  ! {} {} {} in {} ({}): {why}",
            o.change.action,
            o.change.permission_set_name,
            o.change.principal_label(),
            o.change.account_id,
            o.change.account_name
        );
    }
    for p in provisioned
        .iter()
        .filter(|p| p.outcome != Outcome::Succeeded)
    {
        eprintln!(
            "  ! reprovision {} on {}: {:?}",
            p.permission_set_name, p.target, p.outcome
        );
    }
}

/// Permission sets every provisioning of which succeeded (a set may be
/// provisioned account by account).
fn reprovisioned_sets(provisioned: &[ProvisionReport]) -> usize {
    let mut sets: BTreeMap<&PermissionSetArn, bool> = BTreeMap::new();
    for p in provisioned {
        *sets.entry(&p.permission_set_arn).or_insert(true) &= p.outcome == Outcome::Succeeded;
    }
    sets.values().filter(|ok| **ok).count()
}

pub async fn reprovision_only(args: ReprovisionArgs) -> anyhow::Result<ExitCode> {
    let config = load_config(&args.config)?;
    let source = Source::open(&args.source).await?;
    let live = read_live(&source, &args.source, &config).await?;
    let owned = owned_names(&config, &live);
    let budget = source.budget(&args.source);
    let provisioned = with_client!(&source, budget, |client| {
        reprovision::reprovision(
            &client,
            &live.instance_arn,
            &owned,
            &AccountFacts::from_live(&live),
            &ApplyOptions::default(),
        )
        .await?
    });
    source.save()?;
    summarise(&ApplyReport::default(), &provisioned);
    let ok = provisioned.iter().all(|p| p.outcome == Outcome::Succeeded);
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
