//! The `--account` scenario: an account just created in a team's Prod OU,
//! with no assignment yet, gets its access from `apply --account` (what the
//! event-driven workflow runs): the per-account read, the plan, and the
//! apply of its creates, on the simulator with the service model on.

use std::collections::BTreeMap;

use anyhow::{Context, anyhow, ensure};
use serde::Serialize;
use ssomatrix_core::ids::{AccountId, AccountState};
use ssomatrix_core::org::NodeId;
use ssomatrix_core::partial::AccountSelector;
use ssomatrix_core::plan::plan;
use ssomatrix_core::snapshot::SnapshotAccount;
use ssomatrix_engine::accounts::read_accounts_live_state;
use ssomatrix_engine::inventory::Progress;
use ssomatrix_engine::{Budget, ReadOptions};
use ssomatrix_testkit::org::{Generated, today};
use tokio::time::Instant;

use crate::measure::{ApplyRun, by_action, calls_since, client, measure_apply, simulator};

/// The new account's id: not one the generator hands out.
const NEW_ACCOUNT: &str = "999999999999";

#[derive(Debug, Clone, Serialize)]
pub struct AccountRun {
    /// Where the new account sits.
    pub ou_path: String,
    pub creates: usize,
    /// Calls of the read and plan, by IAM action.
    pub read_calls_by_operation: BTreeMap<String, u64>,
    pub read_calls: u64,
    pub read_virtual_seconds: f64,
    pub apply: ApplyRun,
    /// Read, plan and apply.
    pub calls: u64,
    pub virtual_seconds: f64,
    /// `calls` against the calls of a full plan of the organisation.
    pub share_of_full_plan_calls: f64,
}

/// `generated` with an ACTIVE account, no assignment, in the OU of its
/// first account under Workloads/Prod; and that OU's path.
fn with_new_account(generated: &Generated) -> anyhow::Result<(Generated, String)> {
    let mut g = generated.clone();
    let org = &g.snapshot.organization;
    let path_of = |ou: &NodeId| -> String {
        let mut names = Vec::new();
        let mut node = ou.clone();
        // The generator nests OUs a few levels deep: bounded by their number.
        for _ in 0..=org.organizational_units.len() {
            let NodeId::Ou(id) = &node else { break };
            let Some(o) = org.organizational_units.iter().find(|o| o.id == *id) else {
                break;
            };
            names.push(o.name.clone());
            node = o.parent.clone();
        }
        names.reverse();
        names.join("/")
    };
    let neighbour = org
        .accounts
        .iter()
        .find(|a| path_of(&a.parent).starts_with("Workloads/Prod/"))
        .ok_or_else(|| anyhow!("the organisation has no account in a Prod team OU"))?
        .clone();
    let path = path_of(&neighbour.parent);
    g.snapshot.organization.accounts.push(SnapshotAccount {
        id: AccountId::new(NEW_ACCOUNT)?,
        name: "new-team-account".to_owned(),
        state: AccountState::Active,
        parent: neighbour.parent,
        tags: neighbour.tags,
    });
    Ok((g, path))
}

/// `apply --account` for a new account of `generated`; `full_plan_calls`
/// is what planning the whole organisation costs.
pub async fn new_account(
    generated: &Generated,
    full_plan_calls: u64,
) -> anyhow::Result<AccountRun> {
    let (g, ou_path) = with_new_account(generated)?;
    let sim = simulator(&g)?;
    let budget = Budget::default();
    let client = client(&sim, budget.clone());
    let before = sim.calls();
    let start = Instant::now();
    // As `apply` reads: with the provisioning status, for reprovisioning.
    let options = ReadOptions {
        provisioning_status: true,
        ..ReadOptions::default()
    };
    let live = read_accounts_live_state(
        &client,
        &g.config,
        &[AccountSelector::Id(AccountId::new(NEW_ACCOUNT)?)],
        &options,
        false,
        &Progress::default(),
    )
    .await
    .context("reading the new account")?;
    let the_plan = plan(&g.config, &live, today()?).map_err(|e| anyhow!("planning: {e}"))?;
    let read_virtual_seconds = start.elapsed().as_secs_f64();
    let read = calls_since(&sim, &before);
    ensure!(
        the_plan.deletes().next().is_none() && the_plan.creates().next().is_some(),
        "a new account should get creates only, got {:?}",
        the_plan.summary
    );
    ensure!(
        the_plan
            .changes
            .iter()
            .all(|c| c.account_id.as_str() == NEW_ACCOUNT),
        "the plan changes another account"
    );
    let apply = measure_apply(&sim, &client, &budget, &the_plan).await?;
    ensure!(apply.succeeded == apply.ops, "some creates did not succeed");
    let read_calls: u64 = read.values().sum();
    let calls = read_calls + apply.calls;
    Ok(AccountRun {
        ou_path,
        creates: the_plan.summary.create,
        read_calls_by_operation: by_action(&read),
        read_calls,
        read_virtual_seconds,
        virtual_seconds: read_virtual_seconds + apply.virtual_seconds,
        apply,
        calls,
        share_of_full_plan_calls: if full_plan_calls > 0 {
            calls as f64 / full_plan_calls as f64
        } else {
            0.0
        },
    })
}
