//! The executor's one phase of writes, checked at every moment rather than
//! at the end, by what the simulator itself saw: a principal that moves
//! between permission sets in an account (a delete and a create of one
//! principal there) never goes without access, and a permission set that
//! keeps holders in an account never loses its last one; no account ever
//! has two writes in flight and the 10-operation cap holds (the simulator
//! counts both at every arrival); and a run stopped at any moment resumes
//! without repeating what succeeded, and converges.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::collections::BTreeMap;
use std::time::Duration;

use proptest::prelude::*;
use ssomatrix_core::config::Config;
use ssomatrix_core::ids::{AccountState, PrincipalId, PrincipalType};
use ssomatrix_core::live::Assignment;
use ssomatrix_core::plan::{Action, Plan};
use ssomatrix_engine::executor::{
    self, ApplyControl, ApplyOptions, Outcome, SERVICE_MAX_IN_FLIGHT,
};
use ssomatrix_sim::{ServiceModel, Simulator};
use support::{
    Org, OrgSpec, SimClient, apply, assert_never_without_access, client, generate, instance,
    plan_now,
};
use tokio::time::Instant;

/// The id of a group that was deleted from the identity store, whose
/// assignments stay behind as orphans.
const DELETED_GROUP: &str = "90000000-dead-4000-8000-000000000000";

/// An organisation of `accounts` ACTIVE accounts where, in every account,
/// group 0 moves from permission set 1 to set 0 and group 1 from set 2 to
/// set 3 (each a create and a delete of one principal in one account),
/// group 2 takes set 4 where only a deleted group's orphan holds it (the
/// orphan's delete must not empty the pair first), and group 3 keeps set 5:
/// six writes an account, five of them changes.
fn moves(accounts: usize, seed: u64) -> (Org, Config) {
    let mut org = generate(OrgSpec::scattered(accounts, 6, 10, 2, seed));
    for a in &mut org.snapshot.organization.accounts {
        a.state = AccountState::Active;
    }
    let group = |i: usize| {
        let name = &org.groups[i];
        let g = org.snapshot.groups.iter().find(|g| g.name == *name);
        g.unwrap().id.clone()
    };
    let held = [
        (group(0), 1),
        (group(1), 2),
        (PrincipalId::new(DELETED_GROUP).unwrap(), 4),
        (group(3), 5),
    ];
    org.snapshot.assignments = org
        .snapshot
        .organization
        .accounts
        .iter()
        .flat_map(|account| {
            held.iter().map(|(principal, set)| Assignment {
                account_id: account.id.clone(),
                permission_set_arn: set_arn(&org, *set),
                principal_type: PrincipalType::Group,
                principal_id: principal.clone(),
            })
        })
        .collect();
    let rule = |g: usize, s: usize| {
        format!(
            "- group: {}\n  permission_set: {}\n  ous: [_root_]\n",
            org.groups[g], org.permission_sets[s]
        )
    };
    let text = format!(
        "scope:\n  permission_sets: all\nsafety:\n  max_deletes: 100000\nassignments:\n{}{}{}{}",
        rule(0, 0),
        rule(1, 3),
        rule(2, 4),
        rule(3, 5)
    );
    let config = Config::parse("moves.yaml", &text).unwrap();
    (org, config)
}

/// The ARN of `org`'s permission set `i` (as `org.permission_sets` names it).
fn set_arn(org: &Org, i: usize) -> ssomatrix_core::ids::PermissionSetArn {
    let name = &org.permission_sets[i];
    let ps = org
        .snapshot
        .permission_sets
        .iter()
        .find(|p| p.name == *name);
    ps.unwrap().arn.clone()
}

/// `moves(accounts, seed)` on a simulator with the service model, a client
/// and the plan.
async fn moves_run(accounts: usize, seed: u64) -> (Simulator, SimClient, Config, Plan) {
    let (org, config) = moves(accounts, seed);
    let sim = Simulator::from_snapshot(org.snapshot)
        .unwrap()
        .with_service(ServiceModel {
            seed,
            ..ServiceModel::default()
        });
    let client = client(&sim);
    let plan = plan_now(&client, &config).await;
    (sim, client, config, plan)
}

/// How many accounts of `plan` hold a move: a create and a delete of one
/// principal.
fn accounts_with_a_move(plan: &Plan) -> usize {
    let mut by_principal: BTreeMap<_, (bool, bool)> = BTreeMap::new();
    for c in &plan.changes {
        let e = by_principal
            .entry((&c.account_id, &c.principal_id))
            .or_default();
        match c.action {
            Action::Create => e.0 = true,
            Action::Delete => e.1 = true,
        }
    }
    let moved: std::collections::BTreeSet<_> = by_principal
        .iter()
        .filter(|(_, (created, deleted))| *created && *deleted)
        .map(|((account, _), _)| *account)
        .collect();
    moved.len()
}

#[tokio::test(start_paused = true)]
async fn a_move_never_leaves_a_moment_without_either_assignment() {
    let (sim, client, config, plan) = moves_run(40, 5).await;
    let before = sim.snapshot().assignments;
    // Every account moves two groups and empties a pair's orphan; the
    // management account too, for the management account's caller.
    assert_eq!(accounts_with_a_move(&plan), 40);
    assert_eq!(plan.creates().count(), 3 * 40);
    assert_eq!(plan.deletes().count(), 3 * 40);

    let report = apply(&client, &plan).await;
    support::assert_all_succeeded(&report);
    assert!(plan_now(&client, &config).await.is_empty());
    let history = sim.write_history();
    assert_eq!(history.len(), plan.changes.len());
    assert_never_without_access(&before, &history, &sim.snapshot().assignments);

    // The run was one phase: deletes started while creates of other
    // accounts were still in progress, not after the last of them.
    let first_delete = history.iter().position(|w| w.action == Action::Delete);
    let last_create = history.iter().rposition(|w| w.action == Action::Create);
    assert!(
        first_delete < last_create,
        "{first_delete:?} {last_create:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn no_account_ever_has_two_writes_in_flight_and_the_cap_holds() {
    // Three accounts of six writes each, where one worker too many per
    // account would show at once; then sixty, which fill the places.
    for (accounts, most) in [(3, 3), (60, SERVICE_MAX_IN_FLIGHT)] {
        let (sim, client, _, plan) = moves_run(accounts, 9).await;
        let report = apply(&client, &plan).await;
        support::assert_all_succeeded(&report);
        let stats = sim.service_stats();
        let seen = (
            stats.max_outstanding,
            stats.max_writes_per_account,
            stats.conflicts,
            stats.quota_throttles,
            stats.rate_throttles,
        );
        // The simulator counts what arrived, refused or not, at each
        // arrival: the most outstanding at any instant, the most in one
        // account, and the writes it refused.
        assert_eq!(seen, (most, 1, 0, 0, 0), "{accounts} accounts");
        // Every change was submitted once: nothing was refused and sent again.
        let accepted = stats.creates.values().chain(stats.deletes.values());
        assert!(accepted.clone().all(|n| *n == 1));
        assert_eq!(accepted.count(), plan.changes.len());
    }
}

/// Stops a run of `moves` after `cut` of virtual time, then plans again and
/// applies the rest: nothing accepted twice, the end state is the file's,
/// and no moment of either run left a moved principal without access.
async fn interrupted_then_resumed(cut: Duration, seed: u64) {
    let (sim, client, config, first) = moves_run(12, seed).await;
    let before = sim.snapshot().assignments;
    let control = ApplyControl::default();
    let (instance, options) = (instance(), ApplyOptions::default());
    let started = Instant::now();
    let stop = async {
        tokio::time::sleep(cut).await;
        control.request_stop();
    };
    let (report, ()) = tokio::join!(
        executor::apply(&client, &instance, &first, &options, &control),
        stop
    );
    let stopped_after = started.elapsed();
    let succeeded = report.count(|o| *o == Outcome::Succeeded);
    let not_started = report.count(|o| *o == Outcome::NotStarted);
    assert_eq!(succeeded + not_started, first.changes.len(), "{report:?}");
    // A stop after the end interrupts nothing.
    assert_eq!(report.interrupted, not_started > 0 || cut < stopped_after);

    let second = plan_now(&client, &config).await;
    // The second plan is exactly what the first run did not start.
    let rest: Vec<_> = report
        .operations
        .iter()
        .filter(|o| o.outcome == Outcome::NotStarted)
        .map(|o| (o.change.action, o.change.assignment()))
        .collect();
    let planned: Vec<_> = second
        .changes
        .iter()
        .map(|c| (c.action, c.assignment()))
        .collect();
    assert_eq!(
        rest.iter().collect::<std::collections::BTreeSet<_>>(),
        planned.iter().collect(),
        "cut at {cut:?}, stopped after {stopped_after:?}"
    );
    support::assert_all_succeeded(&apply(&client, &second).await);
    assert!(plan_now(&client, &config).await.is_empty());

    support::assert_each_write_accepted_once(&sim, first.changes.len());
    assert_eq!(sim.service_stats().max_writes_per_account, 1);
    let history = sim.write_history();
    assert_never_without_access(&before, &history, &sim.snapshot().assignments);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// 12 accounts of six writes each take about 25 s of virtual time: cuts
    /// from the first instant to past the end.
    #[test]
    fn a_run_stopped_at_any_moment_resumes_without_repeating_anything(
        cut_ms in 0u64..30_000,
        seed in 0u64..1_000,
    ) {
        support::paused_runtime().block_on(interrupted_then_resumed(Duration::from_millis(cut_ms), seed));
    }
}

#[tokio::test(start_paused = true)]
async fn cuts_at_the_start_in_the_middle_and_after_the_end_resume() {
    // The edges the random cuts may miss: before the first write, while
    // the first operations are in flight, and after the run ended.
    for cut_ms in [0, 1, 60, 3_000, 60_000] {
        interrupted_then_resumed(Duration::from_millis(cut_ms), 3).await;
    }
}
