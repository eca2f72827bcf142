//! AWS behaviours that the engine must follow, against the simulator in
//! paused tokio time: a not-found that blames the KMS key is an error, not
//! "already gone"; an identity source without `GetGroupId` is read by
//! listing; only ACTIVE instances are discovered; an account state this
//! build does not know is not ACTIVE. Each test fails on an engine that
//! takes the emulators' shortcuts.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use ssomatrix_core::config::Config;
use ssomatrix_core::date::Date;
use ssomatrix_core::ids::{AccountState, InstanceArn, PrincipalType};
use ssomatrix_core::live::LiveState;
use ssomatrix_core::plan::{Plan, WarningKind, plan};
use ssomatrix_core::snapshot::Snapshot;
use ssomatrix_engine::executor::{self, ApplyControl, ApplyOptions, Outcome};
use ssomatrix_engine::inventory::{Progress, discover_instance, read_live_state};
use ssomatrix_engine::{Budget, Client, EngineError, InventoryStrategy, Ports, ReadOptions};
use ssomatrix_sim::{Calls, Fault, FaultPlan, Simulator};
use support::{OrgSpec, generate};

type SimClient = Client<Simulator, Simulator, Simulator>;

fn client(sim: &Simulator) -> SimClient {
    Client::new(
        Ports {
            sso: sim.clone(),
            ids: sim.clone(),
            org: sim.clone(),
        },
        Budget::default(),
    )
}

fn instance() -> InstanceArn {
    InstanceArn::new(support::INSTANCE).unwrap()
}

async fn read(client: &SimClient, config: &Config) -> Result<LiveState, EngineError> {
    let options = ReadOptions {
        strategy: InventoryStrategy::Provisioned,
        provisioning_status: false,
    };
    read_live_state(client, config, &options, &Progress::default()).await
}

async fn plan_now(client: &SimClient, config: &Config) -> Plan {
    let live = read(client, config).await.unwrap();
    plan(config, &live, Date::new(2026, 3, 1).unwrap()).unwrap()
}

/// A file that owns one permission set and wants it nowhere the org has it,
/// so that its plan deletes.
fn deleting_config(org: &support::Org) -> Config {
    Config::parse(
        "kms.yaml",
        &format!(
            "assignments:\n- group: {}\n  permission_set: {}\n  ous: [Sandbox]\n",
            org.groups[0], org.permission_sets[0]
        ),
    )
    .unwrap()
}

#[tokio::test(start_paused = true)]
async fn a_kms_not_found_on_delete_is_a_failure_not_already_gone() {
    let org = generate(OrgSpec::small());
    let config = deleting_config(&org);
    let sim = Simulator::from_snapshot(org.snapshot).unwrap();
    let client = client(&sim);
    let plan = plan_now(&client, &config).await;
    assert!(plan.deletes().count() > 0, "the plan must delete something");

    sim.set_faults(FaultPlan::new().inject(
        "sso:DeleteAccountAssignment",
        Calls::All,
        Fault::KmsKeyNotFound,
    ));
    let report = executor::apply(
        &client,
        &instance(),
        &plan,
        &ApplyOptions::default(),
        &ApplyControl::default(),
    )
    .await;
    assert!(!report.all_succeeded());
    let deletes: Vec<_> = report
        .operations
        .iter()
        .filter(|o| {
            plan.deletes()
                .any(|d| d.assignment() == o.change.assignment())
        })
        .collect();
    assert!(!deletes.is_empty());
    for o in deletes {
        match &o.outcome {
            Outcome::Error { message } => {
                assert!(message.contains("KMS_NotFoundException"), "{message}");
                assert!(message.contains("kms:Decrypt"), "{message}");
            }
            other => panic!("a KMS not-found must not count as deleted: {other:?}"),
        }
    }
    // Nothing was deleted, so the plan still deletes the same.
    sim.set_faults(FaultPlan::new());
    assert_eq!(
        plan_now(&client, &config).await.deletes().count(),
        plan.deletes().count()
    );
}

#[tokio::test(start_paused = true)]
async fn without_get_group_id_names_are_matched_in_one_listing_per_kind() {
    let org = generate(OrgSpec::small());
    let text = format!(
        "assignments:\n\
         - groups: [{g0}, {g1}, {g2}]\n  permission_set: {ps}\n  ous: [Sandbox]\n\
         - user: {u0}\n  owner: ops\n  expires: 2027-01-01\n  permission_set: {ps}\n  ous: [Sandbox]\n",
        g0 = org.groups[0],
        g1 = org.groups[1],
        g2 = org.groups[2],
        u0 = org.users[0],
        ps = org.permission_sets[0],
    );
    let config = Config::parse("ad.yaml", &text).unwrap();
    let sim = Simulator::from_snapshot(org.snapshot.clone()).unwrap();
    let expected = plan_now(&client(&sim), &config).await;

    // An AD Connector source: neither lookup by name is offered.
    let sim = Simulator::from_snapshot(org.snapshot.clone())
        .unwrap()
        .with_faults(
            FaultPlan::new()
                .inject(
                    "identitystore:GetGroupId",
                    Calls::All,
                    Fault::UnknownOperation,
                )
                .inject(
                    "identitystore:GetUserId",
                    Calls::All,
                    Fault::UnknownOperation,
                ),
        );
    let got = plan_now(&client(&sim), &config).await;
    assert_eq!(got.changes, expected.changes);
    let calls = sim.calls();
    assert_eq!(calls.get("identitystore:ListGroups"), Some(&1), "{calls:?}");
    assert_eq!(calls.get("identitystore:ListUsers"), Some(&1), "{calls:?}");

    // A name that is in neither: the listing gives the planner its
    // suggestions, without a second listing.
    let typo = text.replace(&org.groups[1], &format!("{}x", org.groups[1]));
    let config = Config::parse("ad.yaml", &typo).unwrap();
    sim.set_faults(FaultPlan::new().inject(
        "identitystore:GetGroupId",
        Calls::All,
        Fault::UnknownOperation,
    ));
    let before = sim.calls().get("identitystore:ListGroups").copied();
    let live = read(&client(&sim), &config).await.unwrap();
    assert_eq!(
        sim.calls().get("identitystore:ListGroups").copied(),
        before.map(|n| n + 1)
    );
    assert!(live.principals.all_names[&PrincipalType::Group].contains(&org.groups[1]));
    let err = plan(&config, &live, Date::new(2026, 3, 1).unwrap()).unwrap_err();
    assert!(err.to_string().contains(&org.groups[1]), "{err}");
}

#[tokio::test(start_paused = true)]
async fn only_an_active_instance_is_discovered() {
    let org = generate(OrgSpec::small());
    let sim = Simulator::from_snapshot(org.snapshot).unwrap();
    let creating = InstanceArn::new("arn:aws:sso:::instance/ssoins-2222222222222222").unwrap();
    let deleting = InstanceArn::new("arn:aws:sso:::instance/ssoins-3333333333333333").unwrap();
    sim.add_instance(creating.clone(), "CREATE_IN_PROGRESS");
    sim.add_instance(deleting, "DELETE_IN_PROGRESS");
    let client = client(&sim);

    let found = discover_instance(&client, None).await.unwrap();
    assert_eq!(found.instance_arn, instance());

    match discover_instance(&client, Some(&creating)).await {
        Err(e @ EngineError::InstanceNotActive { .. }) => {
            let shown = e.to_string();
            assert!(shown.contains("CREATE_IN_PROGRESS"), "{shown}");
        }
        other => panic!("a named instance that is not ACTIVE is an error: {other:?}"),
    }

    let second = InstanceArn::new("arn:aws:sso:::instance/ins-4444444444444444").unwrap();
    sim.add_instance(second.clone(), "ACTIVE");
    match discover_instance(&client, None).await {
        Err(EngineError::SeveralInstances(arns)) => assert_eq!(arns, [instance(), second]),
        other => panic!("two ACTIVE instances need a choice: {other:?}"),
    }
}

#[tokio::test(start_paused = true)]
async fn an_account_state_this_build_does_not_know_is_not_active() {
    let org = generate(OrgSpec::small());
    let mut snapshot = org.snapshot.clone();
    let account = snapshot
        .organization
        .accounts
        .iter_mut()
        .find(|a| a.state == AccountState::Active)
        .unwrap();
    account.state = AccountState::from_aws("PENDING_MIGRATION");
    let id = account.id.clone();
    // The snapshot keeps the state as written, through its own format.
    let snapshot = Snapshot::parse("new-state.yaml", &snapshot.to_yaml()).unwrap();
    let sim = Simulator::from_snapshot(snapshot).unwrap();
    let config = Config::parse(
        "root.yaml",
        &format!(
            "assignments:\n- group: {}\n  permission_set: {}\n  ous: [_root_]\n",
            org.groups[5], org.permission_sets[3]
        ),
    )
    .unwrap();
    let live = read(&client(&sim), &config).await.unwrap();
    assert_eq!(
        live.org.account(&id).unwrap().state.as_str(),
        "PENDING_MIGRATION"
    );
    let plan = plan(&config, &live, Date::new(2026, 3, 1).unwrap()).unwrap();
    assert!(plan.creates().count() > 0);
    assert!(plan.changes.iter().all(|c| c.account_id != id));
    let warning = plan
        .warnings
        .iter()
        .find(|w| w.kind == WarningKind::InactiveAccount && w.message.contains(id.as_str()))
        .unwrap();
    assert!(
        warning.message.contains("PENDING_MIGRATION") && warning.message.contains("does not know"),
        "{}",
        warning.message
    );
}
