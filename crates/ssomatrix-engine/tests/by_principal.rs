//! Reading live assignments by principal and the cost-based choice between
//! that and the per-pair read, against the simulator in paused tokio time:
//! both ways read the same state except the assignments of deleted
//! principals, the cheaper way is chosen from the counts, and only the
//! management account may read by principal.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::collections::BTreeSet;

use proptest::prelude::*;
use ssomatrix_core::ids::{AccountId, PrincipalType};
use ssomatrix_core::live::{LiveState, ReadWay};
use ssomatrix_core::plan::{WarningKind, plan};
use ssomatrix_core::ports::{ErrorKind, Operation, PrincipalRef, SsoAdmin};
use ssomatrix_core::snapshot::{Snapshot, SnapshotPrincipal};
use ssomatrix_engine::inventory::{Progress, read_live_state_all_sets};
use ssomatrix_engine::{EngineError, InventoryStrategy};
use ssomatrix_sim::Simulator;
use support::{
    OrgSpec, client, generate, instance, options, paused_runtime, read_by, today, try_read,
};

/// `live` without the assignments of principals it found deleted, and
/// without those principals: what a read by principal can see.
fn without_orphans(live: &LiveState) -> LiveState {
    let mut seen = live.clone();
    seen.assignments.retain(|a| {
        !live
            .principals
            .is_deleted(a.principal_type, &a.principal_id)
    });
    seen.principals.by_id.retain(|_, name| name.is_some());
    seen.assignment_read = None;
    seen
}

/// Reads `spec`'s organisation both ways and checks that they differ by
/// exactly the assignments of the principals the generator deleted.
async fn same_but_orphans(spec: OrgSpec, scope: &str) {
    let org = generate(spec);
    let config = org.config(scope, spec.tags);
    let sim = Simulator::from_snapshot(org.snapshot.clone()).unwrap();
    let per_pair = read_by(&client(&sim), &config, InventoryStrategy::Provisioned).await;
    let by_principal = read_by(&client(&sim), &config, InventoryStrategy::ByPrincipal).await;

    assert_eq!(per_pair.assignment_read, None);
    let read = by_principal.assignment_read.clone().unwrap();
    assert_eq!(read.used, ReadWay::ByPrincipal);
    assert_eq!(without_orphans(&per_pair), without_orphans(&by_principal));
    assert!(
        by_principal.assignments.iter().all(|a| !by_principal
            .principals
            .is_deleted(a.principal_type, &a.principal_id)),
        "a read by principal found an assignment of a deleted principal"
    );

    // The difference is exactly the read assignments of deleted principals.
    let deleted: BTreeSet<_> = org.deleted.iter().cloned().collect();
    let missed: BTreeSet<_> = per_pair
        .assignments
        .difference(&by_principal.assignments)
        .cloned()
        .collect();
    let orphans: BTreeSet<_> = org
        .snapshot
        .assignments
        .iter()
        .filter(|a| deleted.contains(&(a.principal_type, a.principal_id.clone())))
        .filter(|a| {
            per_pair
                .read_permission_sets
                .contains(&a.permission_set_arn)
        })
        .cloned()
        .collect();
    assert_eq!(missed, orphans);
    assert!(by_principal.assignments.is_subset(&per_pair.assignments));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn by_principal_reads_what_per_pair_reads_but_the_orphans_of_deleted_principals(
        seed in 0u64..1_000_000,
        accounts in 6usize..60,
        permission_sets in 3usize..8,
        groups in 6usize..20,
        users in 0usize..12,
        all in any::<bool>(),
    ) {
        let spec = OrgSpec::scattered(accounts, permission_sets, groups, users, seed);
        let scope = if all { "all" } else { "declared" };
        paused_runtime().block_on(same_but_orphans(spec, scope));
    }
}

#[tokio::test(start_paused = true)]
async fn the_small_organisation_has_orphans_for_the_property_to_miss() {
    // The property above is only worth something if deleted principals
    // hold read assignments in the organisations it draws.
    let spec = OrgSpec::small();
    let org = generate(spec);
    assert!(!org.deleted.is_empty());
    same_but_orphans(spec, "all").await;
}

/// Calls of `op` the simulator answered.
fn calls(sim: &Simulator, op: Operation) -> u64 {
    sim.calls().get(&op).copied().unwrap_or(0)
}

#[tokio::test(start_paused = true)]
async fn with_few_principals_and_many_pairs_the_read_is_by_principal() {
    // 200 accounts, few groups: far more pairs than principals.
    let spec = OrgSpec::scattered(200, 8, 6, 2, 11);
    let org = generate(spec);
    let config = org.config("all", false);
    let sim = Simulator::from_snapshot(org.snapshot.clone()).unwrap();
    let live = read_by(&client(&sim), &config, InventoryStrategy::Cheapest).await;
    let read = live.assignment_read.clone().unwrap();
    assert_eq!(read.used, ReadWay::ByPrincipal, "{read:?}");
    let principals = (org.snapshot.groups.len() + org.snapshot.users.len()) as u64;
    let by_principal = read.by_principal_calls.unwrap();
    assert!(
        by_principal >= principals && by_principal < read.per_pair_calls,
        "{read:?}"
    );
    // No pair was listed; the provisioned listing stopped once the pairs it
    // had found outnumbered the principals, well before every set was done.
    assert_eq!(calls(&sim, Operation::ListAccountAssignments), 0);
    assert_eq!(
        calls(&sim, Operation::ListAccountAssignmentsForPrincipal),
        by_principal
    );
    // One listing per set is the provisioning status; the count stopped
    // after the first few listings.
    let sets = spec.permission_sets as u64;
    let listings = calls(&sim, Operation::ListAccountsForProvisionedPermissionSet);
    assert!(listings - sets <= sets / 2, "{listings}");
    // Principals were named from the store's listing, not one by one, except
    // the deleted ones, which no listing has.
    let deleted_read = live
        .principals
        .by_id
        .values()
        .filter(|n| n.is_none())
        .count() as u64;
    assert_eq!(
        calls(&sim, Operation::DescribeGroup) + calls(&sim, Operation::DescribeUser),
        deleted_read
    );
    // The plan says what it cannot see, and who can.
    let the_plan = plan(&config, &live, today()).unwrap();
    let warning = the_plan
        .warnings
        .iter()
        .find(|w| w.kind == WarningKind::ReadByPrincipal)
        .unwrap();
    assert!(
        warning.message.contains("ssomatrix drift"),
        "{}",
        warning.message
    );
    assert_eq!(the_plan.read, live.assignment_read);
}

#[tokio::test(start_paused = true)]
async fn with_many_principals_and_few_pairs_the_read_is_per_pair() {
    // 300 users nobody assigned directly: more principals than pairs.
    let spec = OrgSpec::scattered(30, 4, 6, 0, 12);
    let mut org = generate(spec);
    org.snapshot.users.extend((0..300).map(|i| {
        SnapshotPrincipal {
            id: ssomatrix_core::ids::PrincipalId::new(format!("90670003-0000-4000-8000-{i:012x}"))
                .unwrap(),
            name: format!("idle{i}@example.com"),
            members: None,
        }
    }));
    let config = org.config("all", false);
    let sim = Simulator::from_snapshot(org.snapshot.clone()).unwrap();
    let live = read_by(&client(&sim), &config, InventoryStrategy::Cheapest).await;
    let read = live.assignment_read.clone().unwrap();
    assert_eq!(read.used, ReadWay::PerPair, "{read:?}");
    assert!(read.by_principal_calls.unwrap() >= 300, "{read:?}");
    assert!(read.per_pair_calls < 300, "{read:?}");
    assert_eq!(
        calls(&sim, Operation::ListAccountAssignmentsForPrincipal),
        0
    );
    // Per pair reads what it always read, orphans included.
    let plain = read_by(&client(&sim), &config, InventoryStrategy::Provisioned).await;
    assert_eq!(
        LiveState {
            assignment_read: None,
            ..live.clone()
        },
        plain
    );
    let the_plan = plan(&config, &live, today()).unwrap();
    assert!(
        the_plan
            .warnings
            .iter()
            .all(|w| w.kind != WarningKind::ReadByPrincipal)
    );
}

/// The small organisation as a delegated administrator sees it.
fn delegated() -> (Snapshot, AccountId) {
    let org = generate(OrgSpec::small());
    let mut snapshot = org.snapshot;
    let member = snapshot
        .organization
        .accounts
        .iter()
        .map(|a| a.id.clone())
        .find(|a| *a != snapshot.organization.management_account_id)
        .unwrap();
    snapshot.caller_account_id = Some(member.clone());
    (snapshot, member)
}

#[tokio::test(start_paused = true)]
async fn only_the_management_account_may_read_by_principal() {
    let (snapshot, member) = delegated();
    let sim = Simulator::from_snapshot(snapshot.clone()).unwrap();
    // The service refuses a delegated administrator, as AWS documents.
    let group = PrincipalRef {
        principal_type: PrincipalType::Group,
        principal_id: snapshot.groups[0].id.clone(),
    };
    let err = sim
        .list_account_assignments_for_principal(&instance(), &group, None, None)
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::AccessDenied, "{err}");
    assert!(err.message.contains("management account"), "{err}");

    let org = generate(OrgSpec::small());
    let config = org.config("all", true);
    // Weighing reads per pair and says by principal was not an option.
    let live = read_by(&client(&sim), &config, InventoryStrategy::Cheapest).await;
    let read = live.assignment_read.clone().unwrap();
    assert_eq!(
        (read.used, read.by_principal_calls),
        (ReadWay::PerPair, None)
    );
    assert!(
        read.describe().contains("only the management account"),
        "{}",
        read.describe()
    );
    let plain = read_by(&client(&sim), &config, InventoryStrategy::Provisioned).await;
    assert_eq!(live.assignments, plain.assignments);
    // Asked to read by principal, the reader refuses before trying.
    let before = calls(&sim, Operation::ListAccountAssignmentsForPrincipal);
    let err = try_read(
        &client(&sim),
        &config,
        &options(InventoryStrategy::ByPrincipal),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(err, EngineError::ByPrincipalImpossible(_)),
        "{err}"
    );
    let text = err.to_string();
    assert!(
        text.contains(member.as_str()) && text.contains("--inventory provisioned"),
        "{text}"
    );
    assert_eq!(
        calls(&sim, Operation::ListAccountAssignmentsForPrincipal),
        before
    );
}

#[tokio::test(start_paused = true)]
async fn drift_reads_per_pair_whatever_it_is_asked() {
    let org = generate(OrgSpec::small());
    let config = org.config("declared", true);
    let sim = Simulator::from_snapshot(org.snapshot.clone()).unwrap();
    let c = client(&sim);
    let live = read_live_state_all_sets(
        &c,
        &config,
        &options(InventoryStrategy::Cheapest),
        &Progress::default(),
    )
    .await
    .unwrap();
    assert_eq!(live.assignment_read, None);
    assert_eq!(
        calls(&sim, Operation::ListAccountAssignmentsForPrincipal),
        0
    );
    assert_eq!(
        live.assignments,
        org.snapshot.assignments.iter().cloned().collect()
    );
    let err = read_live_state_all_sets(
        &c,
        &config,
        &options(InventoryStrategy::ByPrincipal),
        &Progress::default(),
    )
    .await
    .unwrap_err();
    assert!(err.to_string().contains("deleted principals"), "{err}");
}
