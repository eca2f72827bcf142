//! `apply`: the write path, with its safety gates (delete budget,
//! confirmation, stale saved plans), signal handling, progress and the
//! final report.

use std::collections::BTreeMap;
use std::io::{BufRead, IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;
use std::sync::atomic::Ordering;
use std::time::Duration;

use anyhow::bail;
use serde::Serialize;
use ssomatrix_core::ids::PermissionSetArn;
use ssomatrix_core::live::LiveState;
use ssomatrix_core::plan::{Action, Change, Plan, WarningKind};
use ssomatrix_core::policy::{DeleteBudget, Now};
use ssomatrix_core::render::{self, TextStyle};
use ssomatrix_engine::client::UNREACHABLE_STOP_AFTER;
use ssomatrix_engine::executor::{self, ApplyControl, ApplyOptions, ApplyReport, Outcome};
use ssomatrix_engine::reprovision::{self, AccountFacts, ProvisionReport};

use crate::cli::ApplyArgs;
use crate::delegated;
use crate::files::{Named, check_outputs, write_atomic};
use crate::output;
use crate::saved_plan;
use crate::source::{Source, with_client};
use crate::steps::{
    LoadedConfig, load_config_bound, owned_names, plan_on, read_live_of, report_calls, today,
};
use crate::summary::summarise;

#[derive(Debug, Serialize)]
struct Report<'a> {
    instance_arn: &'a str,
    interrupted: bool,
    /// The run stopped submitting because the endpoint stopped answering.
    endpoint_unreachable: bool,
    operations: &'a [executor::OperationReport],
    reprovisioning: &'a [ProvisionReport],
    /// With `--no-deletes`: the deletes the plan had and this run left for
    /// a reviewed apply (absent without the flag).
    #[serde(skip_serializing_if = "Option::is_none")]
    deletes_left: Option<&'a [Change]>,
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
/// is in flight. A second Ctrl-C exits at once.
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
        errln!(
            "\nstopping: no new operations are submitted; waiting for those in flight (press Ctrl-C again to exit at once)"
        );
        control.request_stop();
        if tokio::signal::ctrl_c().await.is_ok() {
            errln!(
                "exiting at once: operations in flight go on at the service; `ssomatrix plan` shows where things stand"
            );
            std::process::exit(1);
        }
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
            err!("\r\x1b[2K{line}");
        } else {
            errln!("{line}");
        }
    }
}

pub async fn apply(args: ApplyArgs, no_color: bool) -> anyhow::Result<ExitCode> {
    check_files(&args)?;
    let loaded = load_config_bound(&args.config)?;
    let source = Source::open_writable(&args.source).await?;
    let live = read_live_of(
        &source,
        &args.source,
        &loaded.config,
        &args.accounts.accounts,
        false,
    )
    .await?;
    let (mut plan, deletes_left) = approved_plan(&args, &loaded, &live, no_color)?;
    // A delegated administrator may not touch what is provisioned to the
    // management account: those changes are held back and reported.
    let mut owned = owned_names(&loaded.config, &live);
    if live.org.is_partial() {
        // With --account, only the sets out of sync in those accounts: the
        // reader looked nowhere else.
        owned.retain(|arn, _| live.not_provisioned.contains_key(arn));
    }
    let withheld = delegated::withhold_changes(&mut plan, &live);
    let withheld_provisioning = delegated::withhold_reprovisioning(&mut owned, &live);
    let mut run = execute(&args, &source, &live, &plan, &owned).await;
    // Whatever went wrong, what was done is saved, said and reported before
    // the error: the next run starts from it.
    let saved = source.save();
    delegated::explain_access_denied(&live, &mut run.report, &mut run.provisioned);
    run.report.operations.extend(withheld);
    run.provisioned.extend(withheld_provisioning);
    summarise(&run.report, &run.provisioned, &live);
    if let Some(note) = &run.unreachable {
        errln!(
            "stopped submitting after {UNREACHABLE_STOP_AFTER} calls in a row could not connect to the endpoint \
             ({note}); nothing more was attempted: once it answers again, plan and apply again to do the rest"
        );
    }
    let reported = match &args.report {
        Some(path) => write_report(path, &plan, &run, deletes_left.as_deref()),
        None => Ok(()),
    };
    saved?;
    reported?;
    if let Some(e) = run.error {
        return Err(e);
    }
    let ok = run.report.all_succeeded()
        && run
            .provisioned
            .iter()
            .all(|p| p.outcome == Outcome::Succeeded);
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Refuses a `--report` that would replace an input of the run.
fn check_files(args: &ApplyArgs) -> anyhow::Result<()> {
    let mut inputs = vec![Named::new("the assignments file (-c)", &args.config)];
    if let Some(path) = &args.source.snapshot {
        inputs.push(Named::new("the snapshot (--snapshot)", path));
    }
    if let Some(path) = &args.plan {
        inputs.push(Named::new("the saved plan (--plan)", path));
    }
    let outputs: Vec<Named<'_>> = args
        .report
        .iter()
        .map(|p| Named::new("--report", p))
        .collect();
    check_outputs(&inputs, &outputs)
}

/// Today's plan of the file and the live state, once every gate passed: the
/// saved plan (if any) matches it, the delete budget holds, and someone
/// said yes. A saved plan only decides whether today's plan may run.
fn approved_plan(
    args: &ApplyArgs,
    loaded: &LoadedConfig,
    live: &LiveState,
    no_color: bool,
) -> anyhow::Result<(Plan, Option<Vec<Change>>)> {
    let today = today()?;
    let mut plan = plan_on(&loaded.config, live, today)?;
    if let Some(path) = &args.plan {
        saved_plan::verify(
            path,
            &Now {
                config: &loaded.config,
                config_sha256: &loaded.sha256,
                live,
                today,
                plan: &plan,
            },
        )?;
    }
    // Deletes are dropped after the saved plan was verified whole, so that
    // a tampered plan is refused even when its deletes would not run.
    let left = args.no_deletes.then(|| without_deletes(&mut plan));
    DeleteBudget::new(loaded.config.max_deletes, args.allow_deletes).check(&plan)?;
    output::stdout(&render::text(
        &plan,
        TextStyle {
            color: output::stdout_colour(no_color),
        },
    ))?;
    if let Some(left) = &left {
        errln!(
            "--no-deletes: {} delete(s) left for a reviewed apply; `ssomatrix plan` and `ssomatrix drift` still show them{}",
            left.len(),
            if args.report.is_some() && !left.is_empty() {
                " (the report lists them under `deletes_left`)"
            } else {
                ""
            }
        );
    }
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
    Ok((plan, left))
}

/// Removes the plan's deletes, and the warnings only deletes cause; returns
/// the deletes removed.
fn without_deletes(plan: &mut Plan) -> Vec<Change> {
    let (deletes, kept) = std::mem::take(&mut plan.changes)
        .into_iter()
        .partition(|c| c.action == Action::Delete);
    plan.changes = kept;
    plan.summary.delete = 0;
    plan.summary.delete_orphans = 0;
    plan.warnings
        .retain(|w| !matches!(w.kind, WarningKind::RoleDeleted | WarningKind::DeleteBudget));
    deletes
}

/// What a run did, and the error that ended it early, if any.
struct Run {
    report: ApplyReport,
    provisioned: Vec<ProvisionReport>,
    error: Option<anyhow::Error>,
    /// Set when calls in a row could not connect and the run stopped
    /// submitting: where the requests went.
    unreachable: Option<String>,
}

async fn execute(
    args: &ApplyArgs,
    source: &Source,
    live: &LiveState,
    plan: &Plan,
    owned: &BTreeMap<PermissionSetArn, String>,
) -> Run {
    let control = std::sync::Arc::new(ApplyControl::default());
    watch_signals(control.clone());
    let options = ApplyOptions {
        max_in_flight: usize::from(args.max_in_flight),
        ..ApplyOptions::default()
    };
    let instance = &plan.instance_arn;
    let budget = source.budget(&args.source);
    with_client!(source, budget, |client| {
        let report = tokio::select! {
            report = executor::apply(&client, instance, plan, &options, &control) => report,
            () = show_progress(&control) => unreachable_progress(),
        };
        if std::io::stderr().is_terminal() {
            err!("\r\x1b[2K");
        }
        let unreachable = client.stats.endpoint_down().then(|| {
            source
                .endpoint_note(ssomatrix_core::ports::Service::SsoAdmin)
                .unwrap_or_default()
        });
        let (provisioned, error) = if args.no_reprovision || report.interrupted {
            (Vec::new(), None)
        } else {
            let facts = AccountFacts::after_apply(live, &report);
            match reprovision::reprovision(&client, instance, owned, &facts, &options).await {
                Ok(p) => (p, None),
                Err(e) => (Vec::new(), Some(anyhow::Error::from(e))),
            }
        };
        report_calls(&client);
        Run {
            report,
            provisioned,
            error,
            unreachable,
        }
    })
}

fn write_report(
    path: &Path,
    plan: &Plan,
    run: &Run,
    deletes_left: Option<&[Change]>,
) -> anyhow::Result<()> {
    let r = Report {
        instance_arn: plan.instance_arn.as_str(),
        interrupted: run.report.interrupted,
        endpoint_unreachable: run.unreachable.is_some(),
        operations: &run.report.operations,
        reprovisioning: &run.provisioned,
        deletes_left,
    };
    write_atomic(path, &(serde_json::to_string_pretty(&r)? + "\n"))
}

/// `show_progress` loops until the executor's arm of the select wins.
fn unreachable_progress() -> ApplyReport {
    ApplyReport::default()
}
