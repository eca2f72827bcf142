//! The end of a write run on stderr: what `apply` and `reprovision` did,
//! and a line for each operation or provisioning that did not succeed.

use std::collections::BTreeMap;

use ssomatrix_core::ids::PermissionSetArn;
use ssomatrix_core::live::LiveState;
use ssomatrix_core::plan::Action;
use ssomatrix_engine::executor::{ApplyReport, Outcome};
use ssomatrix_engine::reprovision::ProvisionReport;

use crate::delegated;

pub fn summarise(report: &ApplyReport, provisioned: &[ProvisionReport], live: &LiveState) {
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
    let withheld = report.count(|o| *o == Outcome::NeedsManagementAccount);
    let failed = report.operations.len() - created - deleted - not_started - withheld;
    errln!(
        "{}: {created} created, {deleted} deleted, {failed} failed{}{}; {} permission set(s) reprovisioned",
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
        if withheld > 0 {
            format!(
                ", {withheld} not done (they need the management account's credentials: the caller is a delegated administrator)"
            )
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
            Outcome::Error { message, .. } => message.clone(),
            Outcome::TimedOut => "no final status before the timeout".to_owned(),
            Outcome::NeedsManagementAccount => {
                delegated::why_not_done(live, &o.change.permission_set_name)
            }
            Outcome::Succeeded | Outcome::NotStarted => String::new(),
        };
        errln!(
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
        if p.outcome == Outcome::NeedsManagementAccount {
            errln!(
                "  ! reprovision {}: {}",
                p.permission_set_name,
                delegated::why_not_done(live, &p.permission_set_name)
            );
            continue;
        }
        errln!(
            "  ! reprovision {} on {}: {:?}",
            p.permission_set_name,
            p.target,
            p.outcome
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
