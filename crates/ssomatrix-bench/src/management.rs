//! The management account's plan: the reader weighs reading per pair
//! against reading by principal and reads the cheaper way, measured against
//! the lower bound of the way it chose.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::{Context, anyhow};
use serde::Serialize;
use ssomatrix_core::ids::{PermissionSetArn, PrincipalId};
use ssomatrix_core::live::ReadWay;
use ssomatrix_core::org::NodeId;
use ssomatrix_core::plan::plan;
use ssomatrix_engine::inventory::{Progress, read_live_state};
use ssomatrix_engine::{Budget, InventoryStrategy, ReadOptions};
use ssomatrix_testkit::org::{Generated, today};
use tokio::time::Instant;

use crate::measure::{by_action, calls_since, client, simulator, sso_calls};

/// The plan a management account makes by default (`--inventory auto`): the
/// reader weighs reading per pair against reading by principal and reads the
/// cheaper way.
#[derive(Debug, Clone, Serialize)]
pub struct ManagementPlanRun {
    pub calls: u64,
    /// sso-admin calls, which the lower bound counts.
    pub sso_calls: u64,
    pub calls_by_operation: BTreeMap<String, u64>,
    pub virtual_seconds: f64,
    /// The read chosen: `per_pair` or `by_principal`.
    pub strategy: ReadWay,
    /// The reader's estimates of each read's sso-admin calls.
    pub per_pair_calls_estimate: u64,
    pub by_principal_calls_estimate: Option<u64>,
    /// The lower bound of the read chosen: per pair, (pairs + permission
    /// sets); by principal, a page of `ListAccountAssignmentsForPrincipal`
    /// for each principal of the store and each further 100 assignments it
    /// holds, plus the permission sets (as per pair).
    pub lower_bound_calls: u64,
    /// The larger of `sso_bound_seconds` and `organizations_bound_seconds`:
    /// a read by principal is quick enough for the organization's walk to
    /// be the slower of the two.
    pub lower_bound_seconds: f64,
    /// `lower_bound_calls` / sso-admin TPS budget.
    pub sso_bound_seconds: f64,
    /// The organization's walk (a listing page of child OUs and one of
    /// accounts for the root and each OU, `ListRoots`, `DescribeOrganization`
    /// and `GetCallerIdentity`) at the Organizations budget, whose limiter
    /// allows no burst: (calls - 1) / TPS.
    pub organizations_bound_seconds: f64,
    /// Groups and users of the identity store.
    pub principals: u64,
    pub creates: usize,
    pub deletes: usize,
}

/// The management account's plan on a fresh instance of `generated`.
pub async fn plan_management(generated: &Generated) -> anyhow::Result<ManagementPlanRun> {
    let sim = simulator(generated)?;
    let budget = Budget::default();
    let client = client(&sim, budget.clone());
    let start = Instant::now();
    let options = ReadOptions {
        strategy: InventoryStrategy::Cheapest,
        ..ReadOptions::default()
    };
    let live = read_live_state(&client, &generated.config, &options, &Progress::default())
        .await
        .context("reading the live state")?;
    let the_plan =
        plan(&generated.config, &live, today()?).map_err(|e| anyhow!("planning: {e}"))?;
    let virtual_seconds = start.elapsed().as_secs_f64();
    let by_op = calls_since(&sim, &BTreeMap::new());
    let read = live
        .assignment_read
        .clone()
        .ok_or_else(|| anyhow!("a weighed read reports how it read"))?;
    let s = &generated.snapshot;
    let sets = live.read_permission_sets.len() as u64;
    let lower_bound_calls = match read.used {
        ReadWay::PerPair => pairs_read(generated, &live.read_permission_sets) + sets,
        ReadWay::ByPrincipal => principal_pages(generated) + sets,
    };
    let sso_bound = lower_bound_calls as f64 / budget.sso_tps;
    let org_bound = org_walk_calls(generated).saturating_sub(1) as f64 / budget.organizations_tps;
    Ok(ManagementPlanRun {
        calls: by_op.values().sum(),
        sso_calls: sso_calls(&by_op),
        calls_by_operation: by_action(&by_op),
        virtual_seconds,
        strategy: read.used,
        per_pair_calls_estimate: read.per_pair_calls,
        by_principal_calls_estimate: read.by_principal_calls,
        lower_bound_calls,
        lower_bound_seconds: sso_bound.max(org_bound),
        sso_bound_seconds: sso_bound,
        organizations_bound_seconds: org_bound,
        principals: (s.groups.len() + s.users.len()) as u64,
        creates: the_plan.summary.create,
        deletes: the_plan.summary.delete,
    })
}

/// The pairs that hold assignments, of the permission sets `read`.
fn pairs_read(generated: &Generated, read: &BTreeSet<PermissionSetArn>) -> u64 {
    let pairs: BTreeSet<_> = generated
        .snapshot
        .assignments
        .iter()
        .filter(|a| read.contains(&a.permission_set_arn))
        .map(|a| (&a.account_id, &a.permission_set_arn))
        .collect();
    pairs.len() as u64
}

/// One page of `ListAccountAssignmentsForPrincipal` for each principal of
/// the store, and one more for each further 100 assignments it holds (of any
/// permission set: the listing returns them all).
fn principal_pages(generated: &Generated) -> u64 {
    let mut held: BTreeMap<&PrincipalId, usize> = BTreeMap::new();
    for a in &generated.snapshot.assignments {
        *held.entry(&a.principal_id).or_default() += 1;
    }
    let s = &generated.snapshot;
    s.groups
        .iter()
        .chain(&s.users)
        .map(|p| {
            let n = held.get(&p.id).copied().unwrap_or(0);
            n.div_ceil(ssomatrix_sim::page_size::SSO_ADMIN).max(1) as u64
        })
        .sum()
}

/// The Organizations calls of walking the organization once (see
/// [`ManagementPlanRun::organizations_bound_seconds`]).
fn org_walk_calls(generated: &Generated) -> u64 {
    let o = &generated.snapshot.organization;
    let pages = |n: usize| n.div_ceil(ssomatrix_sim::page_size::ORGANIZATIONS).max(1) as u64;
    let nodes = std::iter::once(NodeId::Root(o.root_id.clone())).chain(
        o.organizational_units
            .iter()
            .map(|ou| NodeId::Ou(ou.id.clone())),
    );
    let per_node: u64 = nodes
        .map(|node| {
            let ous = o.organizational_units.iter().filter(|x| x.parent == node);
            let accounts = o.accounts.iter().filter(|a| a.parent == node);
            pages(ous.count()) + pages(accounts.count())
        })
        .sum();
    // ListRoots, DescribeOrganization, GetCallerIdentity.
    per_node + 3
}
