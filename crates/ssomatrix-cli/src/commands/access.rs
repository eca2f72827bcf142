//! `access`: who can reach which account with which permission set, and
//! through which group and rule, as CSV, JSON or an HTML report.

use std::process::ExitCode;

use ssomatrix_core::access::{self, AccessFilter, AccessReport, render};

use crate::cli::{AccessArgs, AccessFilterArgs, AccessFormat};
use crate::files::{Named, check_outputs, write_atomic};
use crate::output;
use crate::source::Source;
use crate::steps::{load_config, read_live_with_members, today};

/// The filter the flags ask for.
pub fn filter_of(args: &AccessFilterArgs) -> AccessFilter {
    AccessFilter {
        users: args.user.clone(),
        groups: args.group.clone(),
        accounts: args.account.clone(),
        permission_sets: args.permission_set.clone(),
    }
}

pub async fn access(args: AccessArgs) -> anyhow::Result<ExitCode> {
    let mut inputs = vec![Named::new("the assignments file (-c)", &args.config)];
    inputs.extend(
        args.source
            .snapshot
            .iter()
            .map(|p| Named::new("the snapshot (--snapshot)", p)),
    );
    let outputs: Vec<Named<'_>> = args.out.iter().map(|p| Named::new("--out", p)).collect();
    check_outputs(&inputs, &outputs)?;
    let config = load_config(&args.config)?;
    let source = Source::open(&args.source).await?;
    let (live, members) = read_live_with_members(&source, &args.source, &config).await?;
    let filter = filter_of(&args.filter);
    let unknown = filter.unknown(&live);
    if !unknown.is_empty() {
        anyhow::bail!("{}", unknown.join("\n"));
    }
    let report = access::access(&config, &live, &members, today()?);
    for note in filter.without_access(&report) {
        tracing::warn!("{note}");
    }
    warn_unread(&report);
    let report = report.filtered(&filter);
    let text = match args.format {
        AccessFormat::Csv => render::csv(&report),
        AccessFormat::Json => render::json(&report),
        AccessFormat::Html => render::html(&report),
    };
    match &args.out {
        Some(path) => {
            write_atomic(path, &text)?;
            errln!(
                "wrote {} accesses of {} people to {}",
                report.summary.rows,
                report.summary.people,
                path.display()
            );
        }
        None => output::stdout(&text)?,
    }
    Ok(ExitCode::SUCCESS)
}

/// Groups whose members the source did not give: their people are missing.
fn warn_unread(report: &AccessReport) {
    let unread = &report.summary.groups_without_members;
    if !unread.is_empty() {
        tracing::warn!(
            "the members of {} group(s) holding assignments are unknown ({}), so their people are not listed; \
             export the snapshot again with this version to record `members`",
            unread.len(),
            unread.join(", ")
        );
    }
}
