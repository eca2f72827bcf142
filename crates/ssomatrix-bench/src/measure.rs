//! Runs ssomatrix's own plan (inventory + planner) and apply (executor)
//! against the simulator with the service model on, and the lower bounds of
//! the performance model (docs/BENCHMARKS.md, "What the bounds mean"; the
//! service limits behind them are in docs/aws-behaviour.md) they are
//! measured against.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use anyhow::{Context, anyhow};
use serde::Serialize;
use ssomatrix_core::ids::{AccountId, InstanceArn, PermissionSetArn, PrincipalId};
use ssomatrix_core::live::LiveState;
use ssomatrix_core::plan::{Plan, people, plan};
use ssomatrix_core::ports::{Operation, Service, SsoAdmin};
use ssomatrix_engine::executor::{self, ApplyControl, ApplyOptions, Outcome};
use ssomatrix_engine::inventory::{Progress, read_live_state};
use ssomatrix_engine::members::read_members_of;
use ssomatrix_engine::{Budget, Client, Ports, ReadOptions};
use ssomatrix_sim::{FaultPlan, Operations, ServiceModel, Simulator};
use ssomatrix_testkit::org::{Generated, INSTANCE, today};
use tokio::time::Instant;

use crate::apply_bound::{apply_lower_bound, rate_bound};

/// The round trip every call takes, for every strategy alike: a sequential
/// client pays it on every call, a concurrent one hides it.
pub const ROUND_TRIP: Duration = Duration::from_millis(50);

pub type SimClient = Client<Simulator, Simulator, Simulator>;

/// A fresh instance of `generated` with AWS's quotas and latencies.
pub fn simulator(generated: &Generated) -> anyhow::Result<Simulator> {
    Ok(Simulator::from_snapshot(generated.snapshot.clone())?
        .with_service(ServiceModel::default())
        .with_faults(FaultPlan::new().latency(Operations::All, ROUND_TRIP)))
}

pub fn client(sim: &Simulator, budget: Budget) -> SimClient {
    Client::new(Ports::all(sim.clone()), budget)
}

pub fn instance() -> anyhow::Result<InstanceArn> {
    Ok(InstanceArn::new(INSTANCE)?)
}

/// Calls the simulator saw since `before`, by operation.
pub fn calls_since(sim: &Simulator, before: &BTreeMap<Operation, u64>) -> BTreeMap<Operation, u64> {
    sim.calls()
        .into_iter()
        .map(|(op, n)| (op, n - before.get(&op).copied().unwrap_or(0)))
        .filter(|(_, n)| *n > 0)
        .collect()
}

/// The sso-admin calls among `calls`.
pub fn sso_calls(calls: &BTreeMap<Operation, u64>) -> u64 {
    calls
        .iter()
        .filter(|(op, _)| op.service() == Service::SsoAdmin)
        .map(|(_, n)| n)
        .sum()
}

/// Calls by IAM action, as the report names them.
pub fn by_action(calls: &BTreeMap<Operation, u64>) -> BTreeMap<String, u64> {
    calls.iter().map(|(op, n)| (op.to_string(), *n)).collect()
}

/// User + system CPU seconds of this process, from /proc (Linux; 0 elsewhere).
pub fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // utime and stime are fields 14 and 15 of stat, 12 and 13 after the name.
    (ticks(11) + ticks(12)) / 100.0
}

/// Peak resident set size in MB, from /proc (Linux; 0 elsewhere).
pub fn peak_rss_mb() -> f64 {
    status_mb("VmHWM:")
}

/// Resident set size now in MB, from /proc (Linux; 0 elsewhere).
pub fn current_rss_mb() -> f64 {
    status_mb("VmRSS:")
}

/// A size of /proc/self/status (`field` with its colon) in MB.
fn status_mb(field: &str) -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

/// Restarts the peak RSS from the current RSS, so that the peak measured
/// next is the planning's, not the generator's. Best effort: where
/// /proc/self/clear_refs cannot be written, the peak covers the whole run.
pub fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

#[derive(Debug, Clone, Serialize)]
pub struct PlanRun {
    pub calls: u64,
    pub calls_by_operation: BTreeMap<String, u64>,
    pub virtual_seconds: f64,
    /// (pairs + permission sets) / sso-admin TPS budget.
    pub lower_bound_seconds: f64,
    pub lower_bound_calls: u64,
    /// sso-admin calls, which the lower bound counts.
    pub sso_calls: u64,
    pub pairs: u64,
    pub permission_sets_read: u64,
    pub cpu_seconds: f64,
    /// Of `cpu_seconds`, the inventory read, the simulator answering it
    /// included (it runs in this process); the rest is the planner.
    pub read_cpu_seconds: f64,
    /// Of `read_cpu_seconds`, an estimate of the simulator's share: the CPU
    /// of answering the same `ListAccountAssignments` calls again, directly.
    /// Against AWS this work is the service's, not ours.
    pub simulator_cpu_seconds: f64,
    pub peak_rss_mb: f64,
    pub creates: usize,
    pub deletes: usize,
    pub unchanged: usize,
    /// Not run, counted: the sso-admin and identitystore calls of reading by
    /// principal instead of by pair (list every group and user, then one
    /// paginated `ListAccountAssignmentsForPrincipal` each). It cannot see
    /// assignments of deleted principals.
    pub principal_first_calls_estimate: u64,
}

/// The plan's people, which the CLI reads after planning a plan with
/// changes: the members of the groups on the changed pairs, and their
/// users' names.

#[derive(Debug, Clone, Serialize)]
pub struct PeopleRun {
    pub groups_read: usize,
    pub calls: u64,
    pub calls_by_operation: BTreeMap<String, u64>,
    pub virtual_seconds: f64,
    /// Distinct people who gain and who lose access.
    pub gain: usize,
    pub lose: usize,
}

/// Reads and counts the people of `the_plan` as `ssomatrix plan` does.
pub async fn measure_people(
    sim: &Simulator,
    client: &Client<Simulator, Simulator, Simulator>,
    live: &LiveState,
    the_plan: &Plan,
) -> anyhow::Result<PeopleRun> {
    let before = sim.calls();
    let start = Instant::now();
    let groups = people::groups_to_read(the_plan, live);
    let members = read_members_of(client, live, &groups)
        .await
        .context("reading the plan's people")?;
    let counted = people::people(the_plan, live, &members);
    let by_op = calls_since(sim, &before);
    Ok(PeopleRun {
        groups_read: groups.len(),
        calls: by_op.values().sum(),
        calls_by_operation: by_action(&by_op),
        virtual_seconds: start.elapsed().as_secs_f64(),
        gain: counted.gain,
        lose: counted.lose,
    })
}

#[derive(Debug, Clone, Serialize)]
pub struct ApplyRun {
    pub ops: usize,
    pub succeeded: usize,
    pub calls: u64,
    pub calls_by_operation: BTreeMap<String, u64>,
    pub virtual_seconds: f64,
    /// What an ideal executor would take on this run's latencies
    /// (`apply_bound`): fill and drain included.
    pub lower_bound_seconds: f64,
    /// The rate bound of earlier measurements, N / min(TPS budget / calls
    /// per operation, 10 / the model's mean latency): no fill, no drain.
    pub rate_bound_seconds: f64,
    pub calls_per_op: f64,
    /// The model's mean latency, which the rate bound uses.
    pub mean_latency_seconds: f64,
    /// The mean and the longest of the latencies this run's operations
    /// drew, which the lower bound uses.
    pub drawn_mean_latency_seconds: f64,
    pub slowest_latency_seconds: f64,
    /// Share of the limit reached: lower bound / virtual seconds.
    pub efficiency: f64,
    /// The same against the rate bound, for comparison with earlier runs.
    pub rate_efficiency: f64,
    pub service_throttles: u64,
    pub service_conflicts: u64,
    /// The most assignment operations the simulated service held in
    /// progress at once during the apply (its cap is 10).
    pub max_outstanding: usize,
}

/// ssomatrix's plan then apply, on one simulator; returns the plan too.
pub async fn ours(generated: &Generated) -> anyhow::Result<(PlanRun, ApplyRun, Plan)> {
    let sim = simulator(generated)?;
    let budget = Budget::default();
    let client = client(&sim, budget.clone());

    reset_peak_rss();
    let cpu0 = cpu_seconds();
    let start = Instant::now();
    let live = read_live_state(
        &client,
        &generated.config,
        &ReadOptions::default(),
        &Progress::default(),
    )
    .await
    .context("reading the live state")?;
    let read_cpu = cpu_seconds() - cpu0;
    let the_plan =
        plan(&generated.config, &live, today()?).map_err(|e| anyhow!("planning: {e}"))?;
    let virtual_seconds = start.elapsed().as_secs_f64();
    let cpu = cpu_seconds() - cpu0;
    let rss = peak_rss_mb();
    let by_op = calls_since(&sim, &BTreeMap::new());

    // The pairs that hold assignments, of the permission sets the file reads.
    let pairs: BTreeSet<_> = generated
        .snapshot
        .assignments
        .iter()
        .filter(|a| live.read_permission_sets.contains(&a.permission_set_arn))
        .map(|a| (&a.account_id, &a.permission_set_arn))
        .collect();
    let simulator_cpu = simulator_read_cpu(generated, &pairs).await?;
    let principal_first = principal_first_calls(generated);
    let sets = live.read_permission_sets.len() as u64;
    let bound_calls = pairs.len() as u64 + sets;
    let plan_run = PlanRun {
        calls: by_op.values().sum(),
        sso_calls: sso_calls(&by_op),
        calls_by_operation: by_action(&by_op),
        virtual_seconds,
        lower_bound_seconds: bound_calls as f64 / budget.sso_tps,
        lower_bound_calls: bound_calls,
        pairs: pairs.len() as u64,
        permission_sets_read: sets,
        cpu_seconds: cpu,
        read_cpu_seconds: read_cpu,
        simulator_cpu_seconds: simulator_cpu,
        peak_rss_mb: rss,
        creates: the_plan.summary.create,
        deletes: the_plan.summary.delete,
        unchanged: the_plan.summary.unchanged,
        principal_first_calls_estimate: principal_first,
    };

    let apply_run = measure_apply(&sim, &client, &budget, &the_plan).await?;
    Ok((plan_run, apply_run, the_plan))
}

/// Applies `the_plan` with `client` on `sim` and measures the run against
/// the apply's lower bound.
pub async fn measure_apply(
    sim: &Simulator,
    client: &SimClient,
    budget: &Budget,
    the_plan: &Plan,
) -> anyhow::Result<ApplyRun> {
    let before = sim.calls();
    let stats_before = sim.service_stats();
    let start = Instant::now();
    let report = executor::apply(
        client,
        &instance()?,
        the_plan,
        &ApplyOptions::default(),
        &ApplyControl::default(),
    )
    .await;
    let virtual_seconds = start.elapsed().as_secs_f64();
    let by_op = calls_since(sim, &before);
    let stats = sim.service_stats();
    let ops = the_plan.changes.len();
    let calls: u64 = by_op.values().sum();
    let mean_latency = ServiceModel::default()
        .assignment_latency
        .mean()
        .as_secs_f64();
    let latencies = &stats.assignment_latencies[stats_before.assignment_latencies.len()..];
    let bound = apply_lower_bound(latencies, budget.sso_tps, ROUND_TRIP);
    let rate_bound = rate_bound(ops, calls, budget.sso_tps, mean_latency);
    let drawn: Vec<f64> = latencies.iter().map(Duration::as_secs_f64).collect();
    let share = |bound: f64| {
        if virtual_seconds > 0.0 {
            bound / virtual_seconds
        } else {
            1.0
        }
    };
    let apply_run = ApplyRun {
        ops,
        succeeded: report.count(|o| *o == Outcome::Succeeded),
        calls,
        calls_by_operation: by_action(&by_op),
        virtual_seconds,
        lower_bound_seconds: bound,
        rate_bound_seconds: rate_bound,
        calls_per_op: if ops == 0 {
            0.0
        } else {
            calls as f64 / ops as f64
        },
        mean_latency_seconds: mean_latency,
        drawn_mean_latency_seconds: drawn.iter().sum::<f64>() / drawn.len().max(1) as f64,
        slowest_latency_seconds: drawn.iter().copied().fold(0.0, f64::max),
        efficiency: share(bound),
        rate_efficiency: share(rate_bound),
        service_throttles: stats.throttles() - stats_before.throttles(),
        service_conflicts: stats.conflicts - stats_before.conflicts,
        // The plan's read is over before the apply, and reads hold no
        // operation, so the high-water mark is the apply's.
        max_outstanding: stats.max_in_progress,
    };
    Ok(apply_run)
}

/// See [`PlanRun::principal_first_calls_estimate`].
fn principal_first_calls(generated: &Generated) -> u64 {
    let pages = |n: usize| n.div_ceil(ssomatrix_sim::page_size::SSO_ADMIN).max(1) as u64;
    let mut per_principal: BTreeMap<&PrincipalId, usize> = BTreeMap::new();
    for a in &generated.snapshot.assignments {
        *per_principal.entry(&a.principal_id).or_default() += 1;
    }
    let s = &generated.snapshot;
    let listing = |n: usize| n.div_ceil(ssomatrix_sim::page_size::IDENTITY_STORE).max(1) as u64;
    listing(s.groups.len())
        + listing(s.users.len())
        + s.groups
            .iter()
            .chain(&s.users)
            .map(|p| pages(per_principal.get(&p.id).copied().unwrap_or(0)))
            .sum::<u64>()
}

/// The CPU the simulator spends answering one `ListAccountAssignments`
/// for each of `pairs`, without the engine, quotas or latency.
async fn simulator_read_cpu(
    generated: &Generated,
    pairs: &BTreeSet<(&AccountId, &PermissionSetArn)>,
) -> anyhow::Result<f64> {
    let sim = Simulator::from_snapshot(generated.snapshot.clone())?;
    let instance = instance()?;
    let cpu0 = cpu_seconds();
    for (account, ps) in pairs {
        sim.list_account_assignments(&instance, account, ps, None)
            .await?;
    }
    Ok(cpu_seconds() - cpu0)
}
