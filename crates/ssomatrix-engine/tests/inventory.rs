//! The inventory reader against the simulator, in paused tokio time: both
//! strategies read the same state as the snapshot holds, at the calls the
//! performance model counts, inside the TPS budget, through throttling, 500s
//! and empty pages.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use ssomatrix_core::config::Config;
use ssomatrix_core::ids::{InstanceArn, PermissionSetArn, PrincipalType};
use ssomatrix_core::live::LiveState;
use ssomatrix_core::org::NodeId;
use ssomatrix_core::plan::plan;
use ssomatrix_core::ports::{ErrorKind, Operation, Service};
use ssomatrix_core::snapshot::Snapshot;
use ssomatrix_engine::inventory::{Progress, discover_instance, read_live_state};
use ssomatrix_engine::{Budget, EngineError, InventoryStrategy, ReadOptions};
use ssomatrix_sim::{Calls, Fault, FaultPlan, Operations, Simulator, page_size};
use support::{Org, OrgSpec, SimClient, client, client_with, generate, one_rule, options, today};
use tokio::time::Instant;

async fn read(
    sim: &Simulator,
    config: &Config,
    strategy: InventoryStrategy,
) -> (LiveState, SimClient) {
    read_with(sim, config, &options(strategy), Budget::default()).await
}

async fn read_with(
    sim: &Simulator,
    config: &Config,
    options: &ReadOptions,
    budget: Budget,
) -> (LiveState, SimClient) {
    let client = client_with(sim, budget);
    let live = read_live_state(&client, config, options, &Progress::default())
        .await
        .unwrap();
    (live, client)
}

/// The snapshot's live state as a reader of `read` would see it.
fn expected(snapshot: &Snapshot, read: &BTreeSet<PermissionSetArn>) -> LiveState {
    let mut live = snapshot.to_live_state().unwrap();
    live.assignments
        .retain(|a| read.contains(&a.permission_set_arn));
    live.not_provisioned.retain(|ps, _| read.contains(ps));
    live.read_permission_sets = read.clone();
    live
}

/// Checks what the reader read against the snapshot: the org (tags only when
/// the file uses them), the permission sets, the assignments and the stale
/// provisioning of the read permission sets, and the principals.
fn assert_matches_snapshot(live: &LiveState, snapshot: &Snapshot, with_tags: bool) {
    let want = expected(snapshot, &live.read_permission_sets);
    assert!(!live.read_permission_sets.is_empty());
    if with_tags {
        assert_eq!(live.org, want.org);
    } else {
        assert_eq!(live.org.accounts().count(), want.org.accounts().count());
        assert!(live.org.accounts().all(|a| a.tags.is_empty()));
        assert_eq!(
            live.org.ous().collect::<Vec<_>>(),
            want.org.ous().collect::<Vec<_>>()
        );
    }
    assert_eq!(live.permission_sets, want.permission_sets);
    assert!(
        live.assignments == want.assignments,
        "assignments differ from the snapshot's"
    );
    assert_eq!(live.not_provisioned, want.not_provisioned);
    // Every principal a read assignment names is known, by name or as
    // deleted, exactly as the snapshot has it.
    for a in &live.assignments {
        let key = (a.principal_type, a.principal_id.clone());
        assert_eq!(
            live.principals.by_id.get(&key),
            want.principals.by_id.get(&key),
            "{key:?}"
        );
    }
    for ((kind, name), id) in &live.principals.by_name {
        assert_eq!(
            want.principals.by_name.get(&(*kind, name.clone())),
            Some(id)
        );
    }
}

/// `assert_eq!` for live states, naming the assignments only one side has
/// instead of printing both states whole.
#[track_caller]
fn assert_same_live(got: &LiveState, want: &LiveState, what: &str) {
    let only = |a: &LiveState, b: &LiveState| {
        a.assignments
            .difference(&b.assignments)
            .take(5)
            .cloned()
            .collect::<Vec<_>>()
    };
    assert!(
        got.assignments == want.assignments,
        "{what}: {} vs {} assignments; only got: {:?}; only wanted: {:?}",
        got.assignments.len(),
        want.assignments.len(),
        only(got, want),
        only(want, got)
    );
    assert!(got.org == want.org, "{what}: org differs");
    assert!(
        got.principals == want.principals,
        "{what}: principals differ"
    );
    assert!(got == want, "{what}: live states differ");
}

#[tokio::test(start_paused = true)]
async fn both_strategies_read_what_the_snapshot_holds() {
    let org = generate(OrgSpec::small());
    for (scope, with_tags) in [("all", true), ("declared", false)] {
        let config = org.config(scope, with_tags);
        let sim = Simulator::from_snapshot(org.snapshot.clone()).unwrap();
        let (provisioned, _) = read(&sim, &config, InventoryStrategy::Provisioned).await;
        let (exhaustive, _) = read(&sim, &config, InventoryStrategy::Exhaustive).await;
        assert_same_live(&provisioned, &exhaustive, scope);
        assert_matches_snapshot(&provisioned, &org.snapshot, with_tags);
        // The file must exercise what is hard: deleted principals, stale
        // provisioning and suspended accounts with assignments.
        assert!(provisioned.assignments.iter().any(|a| {
            provisioned
                .principals
                .is_deleted(a.principal_type, &a.principal_id)
        }));
        assert!(!provisioned.not_provisioned.is_empty());
    }
    let read_all = org.config("all", true);
    let (live, _) = read(
        &Simulator::from_snapshot(org.snapshot.clone()).unwrap(),
        &read_all,
        InventoryStrategy::Provisioned,
    )
    .await;
    assert_eq!(
        live.read_permission_sets.len(),
        org.snapshot.permission_sets.len()
    );
    assert_eq!(live.assignments.len(), org.snapshot.assignments.len());
}

#[tokio::test(start_paused = true)]
async fn plans_from_either_strategy_equal_the_plan_from_the_snapshot() {
    let org = generate(OrgSpec::small());
    let config = org.config("all", true);
    let sim = Simulator::from_snapshot(org.snapshot.clone()).unwrap();
    let want = plan(&config, &org.snapshot.to_live_state().unwrap(), today()).unwrap();
    // A plan that says something: creates, deletes (undeclared, expired,
    // deleted principals) and warnings (inactive accounts, out of sync).
    assert!(
        want.summary.create > 0 && want.summary.delete > 0,
        "{:?}",
        want.summary
    );
    assert!(want.changes.iter().any(|c| c.reason.starts_with("expired")));
    assert!(want.changes.iter().any(|c| c.principal_name.is_none()));
    assert!(want.warnings.len() >= 3, "{:#?}", want.warnings);
    for strategy in [
        InventoryStrategy::Provisioned,
        InventoryStrategy::Exhaustive,
    ] {
        let (live, _) = read(&sim, &config, strategy).await;
        assert_eq!(plan(&config, &live, today()).unwrap(), want, "{strategy:?}");
    }
}

fn pages(items: usize, size: usize) -> u64 {
    items.div_ceil(size).max(1) as u64
}

/// The calls the performance model says a read of `config` costs: one
/// listing per page everywhere, one `ListAccountAssignments` page per
/// (account, permission set) pair the strategy visits.
fn expected_calls(
    org: &Org,
    config: &Config,
    live: &LiveState,
    strategy: InventoryStrategy,
) -> BTreeMap<Operation, u64> {
    let s = &org.snapshot;
    let tree = s.org_tree().unwrap();
    let read = &live.read_permission_sets;
    let mut nodes = vec![NodeId::Root(s.organization.root_id.clone())];
    nodes.extend(
        s.organization
            .organizational_units
            .iter()
            .map(|o| NodeId::Ou(o.id.clone())),
    );
    let o = &s.organization;
    let children = |node: &NodeId| {
        let ous = o.organizational_units.iter().filter(|x| x.parent == *node);
        (
            ous.count(),
            o.accounts.iter().filter(|a| a.parent == *node).count(),
        )
    };
    let provisioned: BTreeMap<&PermissionSetArn, BTreeSet<_>> = s
        .permission_sets
        .iter()
        .map(|p| {
            let mut accounts: BTreeSet<_> = p.not_provisioned_accounts.clone();
            accounts.extend(
                s.assignments
                    .iter()
                    .filter(|a| a.permission_set_arn == p.arn)
                    .map(|a| a.account_id.clone()),
            );
            (&p.arn, accounts)
        })
        .collect();
    let principals_of = |account: &ssomatrix_core::ids::AccountId, ps: &PermissionSetArn| {
        s.assignments
            .iter()
            .filter(|a| a.account_id == *account && a.permission_set_arn == *ps)
            .count()
    };
    let pairs: Vec<_> = match strategy {
        InventoryStrategy::Provisioned => read
            .iter()
            .flat_map(|ps| provisioned[ps].iter().map(move |a| (a.clone(), ps)))
            .collect(),
        InventoryStrategy::Exhaustive => tree
            .accounts()
            .flat_map(|a| read.iter().map(move |ps| (a.id.clone(), ps)))
            .collect(),
        other => panic!("this counts the per-pair reads only, not {other:?}"),
    };
    let unknown: BTreeSet<_> = live
        .assignments
        .iter()
        .map(|a| (a.principal_type, a.principal_id.clone()))
        .filter(|(k, id)| {
            !config
                .rules
                .iter()
                .flat_map(|r| r.principals.iter())
                .any(|p| p.value.kind == *k && live.principals.id_of(*k, &p.value.name) == Some(id))
        })
        .collect();
    let names = ssomatrix_core::scope::principal_names(config);
    let mut calls = BTreeMap::new();
    let mut add = |op, n: u64| {
        if n > 0 {
            *calls.entry(op).or_default() += n;
        }
    };
    add(Operation::ListInstances, 1);
    add(
        Operation::ListPermissionSets,
        pages(s.permission_sets.len(), page_size::SSO_ADMIN),
    );
    add(
        Operation::DescribePermissionSet,
        s.permission_sets.len() as u64,
    );
    add(Operation::DescribeOrganization, 1);
    // Who the caller is; the management account here, so no listing of what
    // is provisioned to it.
    add(Operation::GetCallerIdentity, 1);
    add(Operation::ListRoots, 1);
    for node in &nodes {
        let (ous, accounts) = children(node);
        add(
            Operation::ListOrganizationalUnitsForParent,
            pages(ous, page_size::ORGANIZATIONS),
        );
        add(
            Operation::ListAccountsForParent,
            pages(accounts, page_size::ORGANIZATIONS),
        );
    }
    if config.uses_account_tags() {
        for a in &s.organization.accounts {
            add(
                Operation::ListTagsForResource,
                pages(a.tags.len(), page_size::ORGANIZATIONS),
            );
        }
    }
    let kind_count = |set: &BTreeSet<(PrincipalType, String)>, k| {
        set.iter().filter(|(x, _)| *x == k).count() as u64
    };
    add(
        Operation::GetGroupId,
        kind_count(&names, PrincipalType::Group),
    );
    add(
        Operation::GetUserId,
        kind_count(&names, PrincipalType::User),
    );
    add(
        Operation::DescribeGroup,
        unknown
            .iter()
            .filter(|(k, _)| *k == PrincipalType::Group)
            .count() as u64,
    );
    add(
        Operation::DescribeUser,
        unknown
            .iter()
            .filter(|(k, _)| *k == PrincipalType::User)
            .count() as u64,
    );
    if strategy == InventoryStrategy::Provisioned {
        for ps in read {
            add(
                Operation::ListAccountsForProvisionedPermissionSet,
                pages(provisioned[ps].len(), page_size::SSO_ADMIN),
            );
        }
    }
    // The stale-provisioning read (provisioning_status).
    for ps in read {
        let stale = s.permission_sets.iter().find(|p| p.arn == *ps).unwrap();
        add(
            Operation::ListAccountsForProvisionedPermissionSet,
            pages(stale.not_provisioned_accounts.len(), page_size::SSO_ADMIN),
        );
    }
    for (account, ps) in pairs {
        add(
            Operation::ListAccountAssignments,
            pages(principals_of(&account, ps), page_size::SSO_ADMIN),
        );
    }
    calls
}

#[tokio::test(start_paused = true)]
async fn each_strategy_makes_exactly_the_calls_of_the_performance_model() {
    let org = generate(OrgSpec::scattered(130, 20, 24, 4, 7));
    for (scope, with_tags) in [("all", true), ("declared", false)] {
        let config = org.config(scope, with_tags);
        for strategy in [
            InventoryStrategy::Provisioned,
            InventoryStrategy::Exhaustive,
        ] {
            let sim = Simulator::from_snapshot(org.snapshot.clone()).unwrap();
            let (live, client) = read(&sim, &config, strategy).await;
            let want = expected_calls(&org, &config, &live, strategy);
            assert_eq!(sim.calls(), want, "{scope} {strategy:?}");
            // The engine counts what the service counts; nothing was retried.
            assert_eq!(client.stats.snapshot().calls, want);
            assert!(client.stats.snapshot().retries.is_empty());
        }
    }
    // The default strategy visits only provisioned pairs: far fewer than
    // every account × permission set.
    let config = org.config("all", false);
    let sim = Simulator::from_snapshot(org.snapshot.clone()).unwrap();
    let (live, _) = read(&sim, &config, InventoryStrategy::Provisioned).await;
    let listed = sim.calls()[&Operation::ListAccountAssignments];
    let pairs_with_assignments: BTreeSet<_> = live
        .assignments
        .iter()
        .map(|a| (&a.account_id, &a.permission_set_arn))
        .collect();
    let stale_without: usize = org
        .snapshot
        .permission_sets
        .iter()
        .flat_map(|p| p.not_provisioned_accounts.iter().map(move |a| (a, &p.arn)))
        .filter(|pair| !pairs_with_assignments.contains(pair))
        .count();
    assert_eq!(
        listed,
        (pairs_with_assignments.len() + stale_without) as u64
    );
    assert!(
        listed * 2
            < (org.snapshot.organization.accounts.len() * org.snapshot.permission_sets.len())
                as u64
    );
}

/// Asserts the client-side budgets as the services would measure them.
fn assert_within_budget(sim: &Simulator, budget: &Budget) {
    let second = Duration::from_secs(1);
    for (service, tps) in [
        (Service::SsoAdmin, budget.sso_tps),
        (Service::IdentityStore, budget.identity_store_tps),
        (Service::Organizations, budget.organizations_tps),
    ] {
        let most = sim.max_calls_in_window(service, second);
        assert!(
            most as f64 <= tps.ceil(),
            "{service} {most} calls in one second, budget {tps}"
        );
        assert!(most > 0, "{service}");
    }
}

#[tokio::test(start_paused = true)]
async fn the_default_budget_holds_in_every_second() {
    let org = generate(OrgSpec::scattered(200, 9, 24, 4, 7));
    let config = org.config("all", true);
    let budget = Budget::default();
    for strategy in [
        InventoryStrategy::Provisioned,
        InventoryStrategy::Exhaustive,
    ] {
        // With no latency calls are as dense as the limiter lets them; with
        // latency and throttling the concurrent callers and retries must
        // still share one budget.
        for plan in [
            FaultPlan::new(),
            FaultPlan::new()
                .latency(Operations::All, Duration::from_millis(120))
                .inject(Service::SsoAdmin, Calls::Every(9), Fault::Throttle),
        ] {
            let sim = Simulator::from_snapshot(org.snapshot.clone())
                .unwrap()
                .with_faults(plan);
            let (live, _) = read_with(&sim, &config, &options(strategy), budget.clone()).await;
            assert_matches_snapshot(&live, &org.snapshot, true);
            assert_within_budget(&sim, &budget);
            assert_eq!(
                sim.max_calls_in_window(Service::SsoAdmin, Duration::from_secs(1)),
                15
            );
        }
    }
}

#[tokio::test(start_paused = true)]
async fn throttling_500s_and_empty_pages_do_not_change_what_is_read() {
    let org = generate(OrgSpec::small());
    let config = org.config("all", true);
    let clean = Simulator::from_snapshot(org.snapshot.clone()).unwrap();
    let (want, _) = read(&clean, &config, InventoryStrategy::Provisioned).await;
    let plan = FaultPlan::new()
        .inject(
            Operation::ListAccountAssignments,
            Calls::First(3),
            Fault::Transient,
        )
        .inject(Service::SsoAdmin, Calls::Every(7), Fault::Throttle)
        .inject(Service::IdentityStore, Calls::Every(4), Fault::Transient)
        .inject(Operation::ListRoots, Calls::First(1), Fault::Throttle)
        .inject(Service::Organizations, Calls::Every(3), Fault::EmptyPage)
        .inject(Operation::ListInstances, Calls::First(2), Fault::EmptyPage)
        .inject(
            Operation::ListAccountAssignments,
            Calls::Every(5),
            Fault::EmptyPage,
        );
    for strategy in [
        InventoryStrategy::Provisioned,
        InventoryStrategy::Exhaustive,
    ] {
        let sim = Simulator::from_snapshot(org.snapshot.clone())
            .unwrap()
            .with_faults(plan.clone());
        let (live, client) = read(&sim, &config, strategy).await;
        assert_same_live(&live, &want, &format!("{strategy:?}"));
        let stats = client.stats.snapshot();
        assert!(
            stats
                .retries
                .get(&ErrorKind::Throttled)
                .copied()
                .unwrap_or(0)
                > 0,
            "{stats:?}"
        );
        assert!(
            stats
                .retries
                .get(&ErrorKind::Transient)
                .copied()
                .unwrap_or(0)
                > 0,
            "{stats:?}"
        );
        // Every call the service saw was made by the engine, and each
        // failed one was retried.
        assert_eq!(stats.calls, sim.calls());
        let clean_sim = Simulator::from_snapshot(org.snapshot.clone()).unwrap();
        read(&clean_sim, &config, strategy).await;
        let empty_pages =
            sim.total_calls() - clean_sim.total_calls() - stats.retries.values().sum::<u64>();
        assert!(empty_pages > 0, "no empty page was followed");
        assert_eq!(sim.calls()[&Operation::ListInstances], 3);
    }
}

fn faulty(snapshot: &Snapshot, plan: FaultPlan) -> Simulator {
    Simulator::from_snapshot(snapshot.clone())
        .unwrap()
        .with_faults(plan)
}

async fn read_error(sim: &Simulator, config: &Config, budget: Budget) -> EngineError {
    let c = client_with(sim, budget);
    read_live_state(
        &c,
        config,
        &options(InventoryStrategy::Provisioned),
        &Progress::default(),
    )
    .await
    .unwrap_err()
}

#[tokio::test(start_paused = true)]
async fn retries_stop_after_max_retries() {
    let org = generate(OrgSpec::small());
    let config = org.config("declared", false);
    let budget = Budget {
        max_retries: 3,
        ..Budget::default()
    };
    // As many consecutive failures as retries: the call still succeeds.
    let sim = Simulator::from_snapshot(org.snapshot.clone())
        .unwrap()
        .with_faults(FaultPlan::new().inject(
            Operation::DescribeOrganization,
            Calls::First(3),
            Fault::Transient,
        ));
    let (live, stats_client) = read_with(
        &sim,
        &config,
        &options(InventoryStrategy::Provisioned),
        budget.clone(),
    )
    .await;
    assert_matches_snapshot(&live, &org.snapshot, false);
    assert_eq!(sim.calls()[&Operation::DescribeOrganization], 4);
    assert_eq!(
        stats_client.stats.snapshot().retries[&ErrorKind::Transient],
        3
    );

    // One more, and the read fails with that error after 1 + max_retries
    // attempts, in bounded (virtual) time.
    let sim = faulty(
        &org.snapshot,
        FaultPlan::new().inject(
            Operation::DescribeOrganization,
            Calls::First(4),
            Fault::Transient,
        ),
    );
    let start = Instant::now();
    let err = read_error(&sim, &config, budget.clone()).await;
    match err {
        EngineError::Port(e) => {
            assert_eq!(e.kind, ErrorKind::Transient);
            assert_eq!(e.operation, Operation::DescribeOrganization);
        }
        other => panic!("{other}"),
    }
    assert_eq!(sim.calls()[&Operation::DescribeOrganization], 4);
    assert!(start.elapsed() <= budget.base_backoff * (1 + 2 + 4) + Duration::from_secs(1));

    // Throttled forever, with concurrent callers: each stops after
    // 1 + max_retries attempts, and the error is the throttling.
    let sim = faulty(
        &org.snapshot,
        FaultPlan::new().inject(
            Operation::DescribePermissionSet,
            Calls::All,
            Fault::Throttle,
        ),
    );
    let err = read_error(&sim, &config, budget.clone()).await;
    assert!(
        matches!(&err, EngineError::Port(e) if e.kind == ErrorKind::Throttled),
        "{err}"
    );
    assert!(err.to_string().contains("Rate exceeded"), "{err}");
    let described = sim.calls()[&Operation::DescribePermissionSet];
    let sets = org.snapshot.permission_sets.len() as u64;
    assert!((4..=4 * sets).contains(&described), "{described}");

    // Not retryable: fails at once.
    let sim = Simulator::from_snapshot(org.snapshot.clone()).unwrap();
    let c = client_with(&sim, budget);
    let err = discover_instance(
        &c,
        Some(&InstanceArn::new("arn:aws:sso:::instance/ssoins-ffffffffffffffff").unwrap()),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, EngineError::InstanceNotFound { .. }));
    assert_eq!(sim.total_calls(), 1);
}

#[tokio::test(start_paused = true)]
async fn an_instance_the_file_names_must_exist() {
    let org = generate(OrgSpec::small());
    let sim = Simulator::from_snapshot(org.snapshot.clone()).unwrap();
    let other = InstanceArn::new("arn:aws:sso:::instance/ssoins-aaaaaaaaaaaaaaaa").unwrap();
    let c = client(&sim);
    match discover_instance(&c, Some(&other)).await {
        Err(EngineError::InstanceNotFound { wanted, found }) => {
            assert_eq!(wanted, other);
            assert_eq!(found, vec![org.snapshot.instance_arn.clone()]);
        }
        other => panic!("{other:?}"),
    }
    let info = discover_instance(&c, Some(&org.snapshot.instance_arn))
        .await
        .unwrap();
    assert_eq!(info.identity_store_id, org.snapshot.identity_store_id);
    assert_eq!(discover_instance(&c, None).await.unwrap(), info);

    // Through the reader: the file's instance, and nothing else is read.
    let head = format!("instance_arn: {other}\n");
    let config = one_rule(&org, "other.yaml", &head, 0, 0, "_root_");
    let sim = Simulator::from_snapshot(org.snapshot.clone()).unwrap();
    let c = client(&sim);
    let err = read_live_state(&c, &config, &ReadOptions::default(), &Progress::default())
        .await
        .unwrap_err();
    assert!(matches!(err, EngineError::InstanceNotFound { .. }), "{err}");
    assert!(err.to_string().contains(other.as_str()), "{err}");
    assert_eq!(
        sim.calls().into_keys().collect::<Vec<_>>(),
        [Operation::ListInstances]
    );
}

/// Measures a read of a 1,000-account organisation with the default budget:
/// `cargo test -p ssomatrix-engine --test inventory -- --ignored --nocapture`.
#[tokio::test(start_paused = true)]
#[ignore = "a measurement, not a test"]
async fn measure_reads_at_1000_accounts() {
    let org = generate(OrgSpec::scattered(1_000, 30, 150, 10, 1));
    let config = org.config("all", false);
    let s = &org.snapshot;
    let pairs: BTreeSet<_> = s
        .assignments
        .iter()
        .map(|a| (&a.account_id, &a.permission_set_arn))
        .collect();
    println!(
        "organisation: {} accounts, {} OUs, {} permission sets, {} groups, {} assignments in {} (account, permission set) pairs",
        s.organization.accounts.len(),
        s.organization.organizational_units.len(),
        s.permission_sets.len(),
        s.groups.len(),
        s.assignments.len(),
        pairs.len()
    );
    let budget = Budget::default();
    println!(
        "lower bound at {} sso-admin TPS: (pairs + permission sets) / TPS = {:.0} s",
        budget.sso_tps,
        (pairs.len() + s.permission_sets.len()) as f64 / budget.sso_tps
    );
    for latency in [Duration::ZERO, Duration::from_millis(100)] {
        for strategy in [
            InventoryStrategy::Provisioned,
            InventoryStrategy::Exhaustive,
        ] {
            let sim = Simulator::from_snapshot(s.clone())
                .unwrap()
                .with_faults(FaultPlan::new().latency(Operations::All, latency));
            let start = Instant::now();
            let (live, client) = read_with(&sim, &config, &options(strategy), budget.clone()).await;
            let elapsed = start.elapsed();
            assert_eq!(live.assignments.len(), s.assignments.len());
            println!(
                "\n{strategy:?}, latency {latency:?}: {} calls, {:.1} virtual s, max sso-admin calls in 1 s: {}",
                client.stats.total_calls(),
                elapsed.as_secs_f64(),
                sim.max_calls_in_window(Service::SsoAdmin, Duration::from_secs(1))
            );
            for (op, n) in sim.calls() {
                println!("  {op:<50} {n:>6}");
            }
        }
    }
}
