//! The executor against the simulator's service model, in paused tokio
//! time: plan → apply → plan converges (through throttling, conflicts, 500s
//! and FAILED operations, and from a restore where every desired assignment
//! is missing), the service's limits are never exceeded, an
//! interrupted apply resumes without doing anything twice, and deleting what
//! is already gone succeeds. Reprovisioning has `tests/reprovision.rs`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::Ordering;
use std::time::Duration;

use proptest::prelude::*;
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use ssomatrix_core::config::Config;
use ssomatrix_core::ids::{AccountState, PrincipalId};
use ssomatrix_core::live::Assignment;
use ssomatrix_core::plan::{Action, Plan};
use ssomatrix_core::policy::DeleteBudget;
use ssomatrix_core::ports::{ErrorKind, Operation, Service, SsoAdmin};
use ssomatrix_engine::Budget;
use ssomatrix_engine::executor::{
    self, ApplyControl, ApplyOptions, Outcome, SERVICE_MAX_IN_FLIGHT,
};
use ssomatrix_sim::{Calls, Fault, FaultPlan, Operations, ServiceModel, Simulator};
use support::{Org, OrgSpec, apply, busy, client, generate, instance, one_rule, plan_now};
use tokio::time::Instant;

/// `busy(120, 3)` on the service model.
async fn busy_run() -> (Simulator, support::SimClient, Config, Plan) {
    support::busy_run(120, 3, ServiceModel::default()).await
}

/// The plan's changes as (action, assignment), for comparing plans.
fn changes(plan: &Plan) -> BTreeSet<(Action, Assignment)> {
    plan.changes
        .iter()
        .map(|c| (c.action, c.assignment()))
        .collect()
}

/// A random file over `org`: group rules on OUs, the root, accounts by id or
/// name and tags, with exclusions, owning the sets it names or all of them.
fn random_config(org: &Org, seed: u64) -> Config {
    let mut rng = StdRng::seed_from_u64(seed);
    let sets = &org.permission_sets;
    let mut text = String::new();
    if rng.random_bool(0.2) {
        text += "scope:\n  permission_sets: all\n";
    }
    text += "safety:\n  max_deletes: 100000\nassignments:\n";
    for _ in 0..rng.random_range(1..=5) {
        let (ng, np) = (rng.random_range(1..=2), rng.random_range(1..=2));
        let groups: Vec<&String> = org.groups.choose_multiple(&mut rng, ng).collect();
        let ps: Vec<&String> = sets.choose_multiple(&mut rng, np).collect();
        let join = |v: &[&String]| v.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ");
        text += &format!(
            "- groups: [{}]\n  permission_sets: [{}]\n",
            join(&groups),
            join(&ps)
        );
        text += &match rng.random_range(0..4) {
            0 => "  ous: [_root_]\n".to_owned(),
            1 => format!("  ous: [{}]\n", org.ou_paths.choose(&mut rng).unwrap()),
            2 => format!(
                "  accounts: [\"{}\", {}]\n",
                support::account_id(rng.random_range(0..org.snapshot.organization.accounts.len())),
                support::account_name(
                    rng.random_range(1..org.snapshot.organization.accounts.len())
                )
            ),
            _ => "  account_tags: {env: nonprod}\n".to_owned(),
        };
        if rng.random_bool(0.3) {
            text += "  exclude_ous: [Sandbox]\n";
        }
    }
    Config::parse("random.yaml", &text).unwrap_or_else(|e| panic!("{text}\n{e:?}"))
}

#[derive(Debug, Clone, Copy)]
enum Storm {
    None,
    Throttling,
    Conflicts,
    ServerErrors,
    FailedOperations,
}

fn storm() -> impl Strategy<Value = Storm> {
    prop_oneof![
        Just(Storm::None),
        Just(Storm::Throttling),
        Just(Storm::Conflicts),
        Just(Storm::ServerErrors),
        Just(Storm::FailedOperations),
    ]
}

/// What happened to the live state before the run.
#[derive(Debug, Clone, Copy)]
enum Before {
    /// Nothing: the generated assignments.
    Nothing,
    /// Every assignment was deleted (a mass delete in the console): every
    /// desired assignment is missing.
    Emptied,
    /// Every user and group was deleted and provisioned again with a new id
    /// (an identity source switch): every assignment is an orphan, and
    /// every desired assignment is missing.
    Recreated,
}

fn before() -> impl Strategy<Value = Before> {
    prop_oneof![
        2 => Just(Before::Nothing),
        1 => Just(Before::Emptied),
        1 => Just(Before::Recreated),
    ]
}

/// `org` after `before` happened to it.
fn happened(mut org: Org, before: Before) -> Org {
    match before {
        Before::Nothing => {}
        Before::Emptied => org.snapshot.assignments.clear(),
        Before::Recreated => {
            let principals = org.snapshot.groups.iter_mut();
            for p in principals.chain(org.snapshot.users.iter_mut()) {
                p.id = PrincipalId::new(format!("new-{}", &p.id.as_str()[4..])).unwrap();
            }
        }
    }
    org
}

const WRITES: [Operation; 2] = [
    Operation::CreateAccountAssignment,
    Operation::DeleteAccountAssignment,
];

/// Random org, file and live state, with the service model on and a storm
/// during apply: a second plan is empty, or holds exactly the creates that
/// ended FAILED.
async fn converges(spec: OrgSpec, file_seed: u64, storm: Storm, before: Before) {
    let org = happened(generate(spec), before);
    let config = random_config(&org, file_seed);
    let sim = Simulator::from_snapshot(org.snapshot.clone())
        .unwrap()
        .with_service(ServiceModel {
            seed: file_seed,
            ..ServiceModel::default()
        });
    let client = client(&sim);
    let first = plan_now(&client, &config).await;
    if !matches!(before, Before::Nothing) {
        // A restore removes nobody's access: it needs no delete budget.
        assert_eq!(first.access_deletes().count(), 0, "{before:?}");
        assert_eq!(DeleteBudget::new(0, None).check(&first), Ok(()));
    }

    let mut faults = FaultPlan::new();
    let mut doomed = BTreeSet::new();
    // A burst at the start (shorter than the client's eight retries, as one
    // change may take all of it), then every fifth call: unlikely to beat
    // the retries of any one call (5^-9 a call) as the backoff's jitter
    // makes call numbers land at random.
    let storm_of = |faults: FaultPlan, ops: &[Operations], fault| {
        ops.iter().fold(faults, |f, op| {
            f.inject(*op, Calls::First(5), fault)
                .inject(*op, Calls::Every(5), fault)
        })
    };
    match storm {
        Storm::None => {}
        Storm::Throttling => {
            faults = storm_of(faults, &[Service::SsoAdmin.into()], Fault::Throttle)
        }
        Storm::Conflicts => {
            faults = storm_of(faults, &WRITES.map(Operations::from), Fault::Conflict)
        }
        Storm::ServerErrors => faults = storm_of(faults, &[Operations::All], Fault::Transient),
        Storm::FailedOperations => {
            let accounts: BTreeSet<_> = first.creates().map(|c| c.account_id.clone()).collect();
            let mut rng = StdRng::seed_from_u64(file_seed);
            for account in accounts
                .iter()
                .collect::<Vec<_>>()
                .choose_multiple(&mut rng, 2)
            {
                sim.fail_creates_in(account, None, "Customer managed policy Boundary not found");
                doomed.insert((*account).clone());
            }
        }
    }
    sim.set_faults(faults);
    let held_before = sim.snapshot().assignments;
    let report = apply(&client, &first).await;
    sim.set_faults(FaultPlan::new());
    // Whatever failed, nobody who keeps access lost it for a moment.
    let history = sim.write_history();
    support::assert_never_without_access(&held_before, &history, &sim.snapshot().assignments);

    let failed: BTreeSet<(Action, Assignment)> = report
        .operations
        .iter()
        .filter(|o| matches!(o.outcome, Outcome::Failed { .. }))
        .map(|o| (o.change.action, o.change.assignment()))
        .collect();
    for o in &report.operations {
        match &o.outcome {
            Outcome::Succeeded => {}
            Outcome::Failed { reason } => {
                assert_eq!(o.change.action, Action::Create);
                assert!(doomed.contains(&o.change.account_id), "{o:?}");
                assert_eq!(reason, "Customer managed policy Boundary not found");
            }
            other => panic!(
                "{storm:?}: {} ended {other:?}",
                o.change.assignment().account_id
            ),
        }
    }
    let expected_failures: BTreeSet<_> = first
        .creates()
        .filter(|c| doomed.contains(&c.account_id))
        .map(|c| (c.action, c.assignment()))
        .collect();
    assert_eq!(failed, expected_failures);
    // The storm did reach the executor (the test would prove nothing else).
    if first.creates().next().is_some() {
        let retries = client.stats.snapshot().retries;
        match storm {
            Storm::None => assert!(retries.is_empty(), "{retries:?}"),
            Storm::Throttling => assert!(retries.contains_key(&ErrorKind::Throttled)),
            Storm::Conflicts => assert!(retries.contains_key(&ErrorKind::Conflict)),
            Storm::ServerErrors => assert!(retries.contains_key(&ErrorKind::Transient)),
            Storm::FailedOperations => assert!(!failed.is_empty()),
        }
    }

    let second = plan_now(&client, &config).await;
    assert_eq!(changes(&second), failed, "{storm:?}");
    // Whatever the storm, the service's own limits were respected.
    let stats = sim.service_stats();
    assert!(stats.max_outstanding <= SERVICE_MAX_IN_FLIGHT, "{stats:?}");
    assert!(stats.max_writes_per_account <= 1, "{stats:?}");
    assert_eq!(stats.throttles(), 0, "{stats:?}");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    #[test]
    fn plan_apply_plan_converges(
        seed in 0u64..1_000_000,
        file_seed in 0u64..1_000_000,
        accounts in 8usize..50,
        permission_sets in 3usize..7,
        storm in storm(),
        before in before(),
    ) {
        let spec = OrgSpec::scattered(accounts, permission_sets, 8, 2, seed);
        support::paused_runtime().block_on(converges(spec, file_seed, storm, before));
    }
}

#[tokio::test(start_paused = true)]
async fn the_executor_alone_never_exceeds_the_service_limits() {
    let (sim, client, config, plan) = busy_run().await;
    let per_account = plan.changes.iter().fold(BTreeMap::new(), |mut m, c| {
        *m.entry(&c.account_id).or_insert(0) += 1;
        m
    });
    assert!(plan.creates().count() > 300 && plan.deletes().count() > 100);
    assert!(per_account.values().any(|n| *n >= 4));

    let report = apply(&client, &plan).await;
    assert!(report.all_succeeded());
    let stats = sim.service_stats();
    // At its default the executor fills the service's 10 and never sends
    // an 11th (the high-water mark counts refused arrivals too).
    assert_eq!(SERVICE_MAX_IN_FLIGHT, 10);
    assert_eq!(stats.max_outstanding, SERVICE_MAX_IN_FLIGHT, "{stats:?}");
    assert_eq!(stats.max_writes_per_account, 1, "{stats:?}");
    assert_eq!((stats.throttles(), stats.conflicts), (0, 0), "{stats:?}");
    let budget = Budget::default().sso_tps;
    let most = sim.max_calls_in_window(Service::SsoAdmin, Duration::from_secs(1));
    assert!(
        most as f64 <= budget.ceil(),
        "{most} sso-admin calls in one second"
    );
    assert_eq!(client.stats.snapshot().retries, BTreeMap::new());
    assert!(plan_now(&client, &config).await.is_empty());
}

#[tokio::test(start_paused = true)]
async fn when_the_status_listing_fails_each_operation_describes_itself() {
    let (sim, client, config, plan) = busy_run().await;
    sim.set_faults(
        FaultPlan::new()
            .inject(
                Operation::ListAccountAssignmentCreationStatus,
                Calls::All,
                Fault::Transient,
            )
            .inject(
                Operation::ListAccountAssignmentDeletionStatus,
                Calls::All,
                Fault::Transient,
            ),
    );
    let report = apply(&client, &plan).await;
    sim.set_faults(FaultPlan::new());
    assert!(report.all_succeeded());
    let calls = sim.calls();
    assert!(calls[&Operation::ListAccountAssignmentCreationStatus] > 0);
    assert!(
        calls[&Operation::DescribeAccountAssignmentCreationStatus] >= plan.creates().count() as u64
    );
    let stats = sim.service_stats();
    assert!(stats.max_outstanding <= SERVICE_MAX_IN_FLIGHT, "{stats:?}");
    assert_eq!(stats.max_writes_per_account, 1, "{stats:?}");
    assert_eq!((stats.throttles(), stats.conflicts), (0, 0), "{stats:?}");
    assert!(plan_now(&client, &config).await.is_empty());
}

#[tokio::test(start_paused = true)]
async fn an_interrupted_apply_resumes_without_doing_anything_twice() {
    for stop_after in [1, 37, 200, 410] {
        let (org, config) = busy(120, 3);
        let sim = Simulator::from_snapshot(org.snapshot)
            .unwrap()
            .with_service(ServiceModel::default());
        let client = client(&sim);
        let first = plan_now(&client, &config).await;
        assert!(first.changes.len() > stop_after + 50);
        let control = ApplyControl::default();
        let (instance, options) = (instance(), ApplyOptions::default());
        let stop = async {
            for _ in 0..1_000_000 {
                let done = control.done.load(Ordering::SeqCst);
                if done >= stop_after {
                    let in_flight = control.in_flight.load(Ordering::SeqCst);
                    control.request_stop();
                    return (done, in_flight);
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            panic!("the executor never reached {stop_after} completions");
        };
        let (report, (done_at_stop, in_flight_at_stop)) = tokio::join!(
            executor::apply(&client, &instance, &first, &options, &control),
            stop
        );
        assert!(report.interrupted);
        let done = report.count(|o| *o == Outcome::Succeeded);
        let not_started = report.count(|o| *o == Outcome::NotStarted);
        // What was in flight when the stop came was waited for, and nothing
        // else was started: at most 10 at the service, and a few whose
        // final status was being described.
        assert!(in_flight_at_stop <= 20, "{in_flight_at_stop}");
        assert!(
            (done_at_stop..=done_at_stop + in_flight_at_stop).contains(&done),
            "{done} done, {done_at_stop} + {in_flight_at_stop} in flight at the stop"
        );
        assert_eq!(done + not_started, first.changes.len());

        let second = plan_now(&client, &config).await;
        assert_eq!(second.changes.len(), not_started);
        assert!(apply(&client, &second).await.all_succeeded());
        assert!(plan_now(&client, &config).await.is_empty());
        support::assert_each_write_accepted_once(&sim, first.changes.len());
    }
}

#[tokio::test(start_paused = true)]
async fn deleting_an_assignment_already_gone_succeeds() {
    let org = generate(OrgSpec::small());
    let config = one_rule(&org, "gone.yaml", "", 0, 0, "Sandbox");
    let sim = Simulator::from_snapshot(org.snapshot)
        .unwrap()
        .with_service(ServiceModel::default());
    let client = client(&sim);
    let plan = plan_now(&client, &config).await;
    let deletes: Vec<_> = plan.deletes().take(3).map(|c| c.assignment()).collect();
    assert_eq!(deletes.len(), 3);
    // Someone else deletes them between plan and apply, one at a time.
    for a in &deletes {
        sim.delete_account_assignment(&instance(), a).await.unwrap();
        tokio::time::sleep(Duration::from_secs(60)).await;
    }
    assert!(
        deletes
            .iter()
            .all(|a| !sim.snapshot().assignments.contains(a))
    );

    let report = apply(&client, &plan).await;
    for o in report
        .operations
        .iter()
        .filter(|o| deletes.contains(&o.change.assignment()))
    {
        assert_eq!(o.outcome, Outcome::Succeeded);
    }
    assert!(report.all_succeeded());
    assert!(plan_now(&client, &config).await.is_empty());
}

/// 2,000 creates over 400 accounts with the service model on and the
/// default budget: prints the virtual time, the calls, and the fraction of
/// the physical limit reached. Run with
/// `cargo test -p ssomatrix-engine --test apply -- --ignored --nocapture`.
#[tokio::test(start_paused = true)]
#[ignore = "benchmark: prints numbers, asserts nothing about speed"]
async fn benchmark_2000_creates_over_400_accounts() {
    let mut org = generate(OrgSpec::scattered(400, 4, 5, 1, 3));
    org.snapshot.assignments.clear();
    for a in &mut org.snapshot.organization.accounts {
        a.state = AccountState::Active;
    }
    for p in &mut org.snapshot.permission_sets {
        p.not_provisioned_accounts.clear();
    }
    let config = Config::parse(
        "bench.yaml",
        &format!(
            "assignments:\n- groups: [{}]\n  permission_set: {}\n  ous: [_root_]\n",
            org.groups.join(", "),
            org.permission_sets[0]
        ),
    )
    .unwrap();
    let model = ServiceModel::default();
    let mean_latency = model.assignment_latency.mean().as_secs_f64();
    let sim = Simulator::from_snapshot(org.snapshot)
        .unwrap()
        .with_service(model);
    let client = client(&sim);
    let plan = plan_now(&client, &config).await;
    assert_eq!(plan.creates().count(), 2000);
    let before = sim.calls();

    let start = Instant::now();
    let report = apply(&client, &plan).await;
    let seconds = start.elapsed().as_secs_f64();
    assert!(report.all_succeeded());

    let mut calls: BTreeMap<Operation, u64> = sim.calls();
    for (op, n) in before {
        *calls.entry(op).or_default() -= n;
    }
    calls.retain(|_, n| *n > 0);
    let total: u64 = calls.values().sum();
    let per_op = total as f64 / 2000.0;
    let tps = Budget::default().sso_tps;
    let stats = sim.service_stats();
    let drawn = stats.mean_assignment_latency().as_secs_f64();
    println!("mean latency: model {mean_latency:.2} s, drawn {drawn:.2} s");
    let mean_latency = drawn;
    let cap = SERVICE_MAX_IN_FLIGHT as f64;
    let limit = (tps / per_op).min(cap / mean_latency);
    let busy: f64 = report
        .operations
        .iter()
        .map(|o| o.duration_seconds)
        .sum::<f64>()
        / 2000.0;
    println!("mean submission-to-final-status {busy:.2} s");
    let achieved = 2000.0 / seconds;
    let stats = sim.service_stats();
    println!("apply 2,000 creates over 400 accounts: {seconds:.1} s virtual");
    for (op, n) in &calls {
        println!("  {op:<50} {n:>6}");
    }
    println!(
        "calls per operation {per_op:.2}; limit min({tps}/{per_op:.2}, {cap}/{mean_latency:.2} s) = {limit:.2} ops/s; \
         achieved {achieved:.2} ops/s = {:.1}% of the limit",
        100.0 * achieved / limit
    );
    println!(
        "throttles {} (rate {}, quota {}), conflicts {}, max outstanding {}, client retries {:?}, max sso calls in 1 s {}",
        stats.throttles(),
        stats.rate_throttles,
        stats.quota_throttles,
        stats.conflicts,
        stats.max_outstanding,
        client.stats.snapshot().retries,
        sim.max_calls_in_window(Service::SsoAdmin, Duration::from_secs(1))
    );
}
