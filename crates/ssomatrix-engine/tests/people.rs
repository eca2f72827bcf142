//! The members a plan's people counts read, counted on the simulator:
//! none for a plan without changes, exactly the groups on the changed
//! (account, permission set) pairs otherwise, and a refused listing is a
//! group of unknown people, not an error.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::path::{Path, PathBuf};

use ssomatrix_core::config::Config;
use ssomatrix_core::ids::PrincipalType;
use ssomatrix_core::live::LiveState;
use ssomatrix_core::plan::{People, Plan, people, plan};
use ssomatrix_core::ports::Operation;
use ssomatrix_engine::InventoryStrategy;
use ssomatrix_engine::inventory::{Progress, read_live_state};
use ssomatrix_engine::members::read_members_of;
use ssomatrix_sim::{Calls, Fault, FaultPlan, Simulator};
use support::{client, options, today};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../ssomatrix-core/tests/people_fixtures")
        .join(name)
}

fn simulator(dir: &Path) -> Simulator {
    let text = std::fs::read_to_string(dir.join("snapshot.yaml")).unwrap();
    Simulator::from_snapshot_text("snapshot.yaml", &text).unwrap()
}

/// Reads the live state `config` needs and plans it, then reads the
/// members the plan's people need and counts them: the plan, the people,
/// and how many `ListGroupMemberships` calls the people took.
async fn plan_people(sim: &Simulator, config: &str) -> (Plan, LiveState, People, u64) {
    let config = Config::parse("config.yaml", config).unwrap();
    let client = client(sim);
    let live = read_live_state(
        &client,
        &config,
        &options(InventoryStrategy::Provisioned),
        &Progress::default(),
    )
    .await
    .unwrap();
    assert_eq!(
        sim.calls_of(Operation::ListGroupMemberships),
        0,
        "reading the live state for a plan lists no members"
    );
    let plan = plan(&config, &live, today()).unwrap();
    let groups = people::groups_to_read(&plan, &live);
    let members = read_members_of(&client, &live, &groups).await.unwrap();
    let counted = people::people(&plan, &live, &members);
    let calls = sim.calls_of(Operation::ListGroupMemberships);
    (plan, live, counted, calls)
}

fn config_of(name: &str) -> String {
    std::fs::read_to_string(fixture(name).join("config.yaml")).unwrap()
}

#[tokio::test(start_paused = true)]
async fn a_plan_without_changes_reads_no_members() {
    let sim = simulator(&fixture("04-empty-group"));
    // The file says what the instance has: nothing to change.
    let config = "assignments:\n  - group: aws-breakglass\n    permission_set: Admin\n    accounts: [app-dev]\n";
    let (plan, _, people, calls) = plan_people(&sim, config).await;
    assert!(plan.is_empty());
    assert_eq!(people, People::default());
    assert_eq!(calls, 0);
    assert_eq!(sim.calls_of(Operation::DescribeUser), 0);
}

#[tokio::test(start_paused = true)]
async fn exactly_the_changed_groups_are_read() {
    let name = "02-user-in-two-changed-groups";
    let sim = simulator(&fixture(name));
    let (plan, _, people, calls) = plan_people(&sim, &config_of(name)).await;
    let changed: std::collections::BTreeSet<_> = plan
        .changes
        .iter()
        .filter(|c| c.principal_type == PrincipalType::Group)
        .map(|c| c.principal_id.clone())
        .collect();
    assert_eq!(changed.len(), 2);
    // One page each: the groups are small.
    assert_eq!(calls, 2);
    assert_eq!(people.gain, 3);
}

/// A pair whose direct user assignments change while a group keeps its
/// own there: that group is read (and only it), so that a user who keeps
/// the access through it is not counted as losing it.
#[tokio::test(start_paused = true)]
async fn the_groups_that_keep_a_changed_pair_are_read_for_a_net_count() {
    let name = "03-direct-and-group";
    let sim = simulator(&fixture(name));
    let (plan, _, people, calls) = plan_people(&sim, &config_of(name)).await;
    assert!(
        plan.changes
            .iter()
            .all(|c| c.principal_type == PrincipalType::User)
    );
    assert_eq!(calls, 1);
    assert_eq!((people.gain, people.lose), (0, 1));
}

#[tokio::test(start_paused = true)]
async fn a_refused_listing_leaves_the_group_unknown_and_the_rest_counted() {
    let name = "02-user-in-two-changed-groups";
    let sim = simulator(&fixture(name)).with_faults(FaultPlan::new().inject(
        Operation::ListGroupMemberships,
        Calls::First(1),
        Fault::KmsAccessDenied,
    ));
    let (_, _, people, calls) = plan_people(&sim, &config_of(name)).await;
    // The refusal is not retried: AccessDenied is not transient.
    assert_eq!(calls, 2);
    assert_eq!(people.unknown_groups.len(), 1, "{people:?}");
    assert!(
        people.unknown_groups[0].reason.contains("AccessDenied")
            || people.unknown_groups[0].reason.contains("denied"),
        "{:?}",
        people.unknown_groups[0]
    );
    // The other group's two members are counted.
    assert_eq!(people.gain, 2);
}
