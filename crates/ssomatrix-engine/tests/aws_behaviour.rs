//! The engine against AWS as it behaves and the emulators do not
//! (docs/aws-behaviour.md), on the simulator in paused tokio time: the quota
//! of 10 outstanding operations shared with other callers, statuses that are
//! not visible yet, deletes that end FAILED although the assignment is gone,
//! status listings with a bad second, a not-found that blames the KMS key
//! (an error, not "already gone"), an identity source without `GetGroupId`
//! (read by listing), instances that are not ACTIVE, and account states this
//! build does not know. Each test fails on an engine that takes the
//! emulators' shortcuts.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::time::Duration;

use ssomatrix_core::config::Config;
use ssomatrix_core::ids::{AccountId, AccountState, InstanceArn, PrincipalType};
use ssomatrix_core::plan::{Action, Plan, WarningKind, plan};
use ssomatrix_core::ports::{ErrorKind, Operation};
use ssomatrix_core::snapshot::Snapshot;
use ssomatrix_engine::EngineError;
use ssomatrix_engine::executor::{Outcome, STATUS_GRACE};
use ssomatrix_engine::inventory::discover_instance;
use ssomatrix_sim::{Calls, FailedDelete, Fault, FaultPlan, ServiceModel, Simulator};
use support::{
    OrgSpec, SimClient, apply, assert_all_succeeded, client, generate, instance, one_rule,
    plan_now, read, today,
};

/// `busy(60, 2)` on the service `model`: creates and deletes enough for the
/// limits to bite.
async fn busy_run(model: ServiceModel) -> (Simulator, SimClient, Config, Plan) {
    let (sim, client, config, plan) = support::busy_run(60, 2, model).await;
    assert!(plan.creates().count() > 50 && plan.deletes().count() > 10);
    (sim, client, config, plan)
}

#[tokio::test(start_paused = true)]
async fn when_other_callers_hold_most_of_the_quota_creates_wait_and_all_succeed() {
    // Other automation holds 7 of the 10: the service takes 3 of ours.
    let (sim, client, config, plan) = busy_run(ServiceModel {
        max_outstanding: 3,
        ..ServiceModel::default()
    })
    .await;
    let report = apply(&client, &plan).await;
    assert_all_succeeded(&report);
    let stats = sim.service_stats();
    // The quota did answer, and was waited out, not reported.
    assert!(stats.quota_throttles > 0, "{stats:?}");
    assert!(
        client
            .stats
            .snapshot()
            .retries
            .contains_key(&ErrorKind::QuotaExceeded),
        "{:?}",
        client.stats.snapshot()
    );
    assert_eq!(stats.max_in_progress, 3, "{stats:?}");
    assert_eq!(stats.max_writes_per_account, 1, "{stats:?}");
    assert!(plan_now(&client, &config).await.is_empty());
}

#[tokio::test(start_paused = true)]
async fn a_status_not_visible_yet_is_pending_not_an_error() {
    let (sim, client, config, plan) = busy_run(ServiceModel {
        status_visible_after: Duration::from_secs(4),
        ..ServiceModel::default()
    })
    .await;
    let report = apply(&client, &plan).await;
    assert_all_succeeded(&report);
    // The service did answer not-found (the test would prove nothing else).
    let calls = sim.calls();
    let describes = calls[&Operation::DescribeAccountAssignmentCreationStatus];
    assert!(
        describes > plan.creates().count() as u64,
        "{describes} describes for {} creates",
        plan.creates().count()
    );
    assert!(plan_now(&client, &config).await.is_empty());
    assert!(Duration::from_secs(4) < STATUS_GRACE);
}

#[tokio::test(start_paused = true)]
async fn a_status_still_unknown_after_the_grace_is_an_error() {
    let (_sim, client, _config, plan) = busy_run(ServiceModel {
        status_visible_after: STATUS_GRACE + Duration::from_secs(60),
        ..ServiceModel::default()
    })
    .await;
    let one = Plan {
        changes: plan.changes[..1].to_vec(),
        ..plan.clone()
    };
    let report = apply(&client, &one).await;
    match &report.operations[0].outcome {
        Outcome::Error { error, message } => {
            assert_eq!(error.kind, ErrorKind::NotFound, "{message}");
            assert!(message.contains("not found"), "{message}");
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test(start_paused = true)]
async fn a_failed_delete_of_an_assignment_that_is_gone_succeeded() {
    let (sim, client, config, plan) = busy_run(ServiceModel::default()).await;
    let mut deleted_in: Vec<AccountId> = plan.deletes().map(|c| c.account_id.clone()).collect();
    deleted_in.dedup();
    assert!(deleted_in.len() >= 2);
    let (gone, kept) = (&deleted_in[0], &deleted_in[1]);
    sim.fail_deletes_in(
        gone,
        "Failed to delete the role: NoSuchEntity",
        FailedDelete::AssignmentGone,
    );
    sim.fail_deletes_in(
        kept,
        "Failed to update the role: LimitExceeded",
        FailedDelete::AssignmentKept,
    );
    let listings = || {
        sim.calls()
            .get(&Operation::ListAccountAssignments)
            .copied()
            .unwrap_or(0)
    };
    let listed_before = listings();
    let report = apply(&client, &plan).await;
    let mut checked = 0;
    for o in &report.operations {
        if o.change.action != Action::Delete {
            assert_eq!(o.outcome, Outcome::Succeeded);
        } else if o.change.account_id == *kept {
            // Still assigned: the failure is real and reported as such.
            assert_eq!(
                o.outcome,
                Outcome::Failed {
                    reason: "Failed to update the role: LimitExceeded".to_owned()
                }
            );
            checked += 1;
        } else {
            assert_eq!(o.outcome, Outcome::Succeeded, "{o:?}");
        }
    }
    assert!(checked > 0);
    let failed = sim.service_stats().failed;
    assert!(failed >= 2);
    // The listing was asked once per delete that ended FAILED.
    assert_eq!(listings() - listed_before, failed);
    // What is left is exactly the deletes that really failed.
    let next = plan_now(&client, &config).await;
    assert!(next.changes.iter().all(|c| c.account_id == *kept));
    assert_eq!(next.changes.len(), checked);
}

#[tokio::test(start_paused = true)]
async fn a_status_listing_that_fails_twice_is_listed_again() {
    let (sim, client, config, plan) = busy_run(ServiceModel::default()).await;
    sim.set_faults(
        FaultPlan::new()
            .inject(
                Operation::ListAccountAssignmentCreationStatus,
                Calls::First(2),
                Fault::Transient,
            )
            .inject(
                Operation::ListAccountAssignmentDeletionStatus,
                Calls::First(2),
                Fault::Transient,
            ),
    );
    let report = apply(&client, &plan).await;
    sim.set_faults(FaultPlan::new());
    assert_all_succeeded(&report);
    let calls = sim.calls();
    // Listing went on after the two failures, and each operation was
    // described once, when the listing told it had finished.
    assert!(calls[&Operation::ListAccountAssignmentCreationStatus] > 3);
    assert!(calls[&Operation::ListAccountAssignmentDeletionStatus] > 3);
    assert_eq!(
        calls[&Operation::DescribeAccountAssignmentCreationStatus],
        plan.creates().count() as u64
    );
    assert_eq!(
        calls[&Operation::DescribeAccountAssignmentDeletionStatus],
        plan.deletes().count() as u64
    );
    assert!(plan_now(&client, &config).await.is_empty());
}

#[tokio::test(start_paused = true)]
async fn a_kms_not_found_on_delete_is_a_failure_not_already_gone() {
    let org = generate(OrgSpec::small());
    let config = one_rule(&org, "kms.yaml", "", 0, 0, "Sandbox");
    let sim = Simulator::from_snapshot(org.snapshot).unwrap();
    let client = client(&sim);
    let plan = plan_now(&client, &config).await;
    assert!(plan.deletes().count() > 0, "the plan must delete something");

    sim.set_faults(FaultPlan::new().inject(
        Operation::DeleteAccountAssignment,
        Calls::All,
        Fault::KmsKeyNotFound,
    ));
    let report = apply(&client, &plan).await;
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
            Outcome::Error { error, message } => {
                assert!(error.is_kms() && !error.is_absent(), "{error:?}");
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
                .inject(Operation::GetGroupId, Calls::All, Fault::UnknownOperation)
                .inject(Operation::GetUserId, Calls::All, Fault::UnknownOperation),
        );
    let got = plan_now(&client(&sim), &config).await;
    assert_eq!(got.changes, expected.changes);
    let calls = sim.calls();
    assert_eq!(calls.get(&Operation::ListGroups), Some(&1), "{calls:?}");
    assert_eq!(calls.get(&Operation::ListUsers), Some(&1), "{calls:?}");

    // A name that is in neither: the listing gives the planner its
    // suggestions, without a second listing.
    let typo = text.replace(&org.groups[1], &format!("{}x", org.groups[1]));
    let config = Config::parse("ad.yaml", &typo).unwrap();
    sim.set_faults(FaultPlan::new().inject(
        Operation::GetGroupId,
        Calls::All,
        Fault::UnknownOperation,
    ));
    let before = sim.calls().get(&Operation::ListGroups).copied();
    let live = read(&client(&sim), &config).await;
    assert_eq!(
        sim.calls().get(&Operation::ListGroups).copied(),
        before.map(|n| n + 1)
    );
    assert!(live.principals.all_names[&PrincipalType::Group].contains(&org.groups[1]));
    let err = plan(&config, &live, today()).unwrap_err();
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
    let config = one_rule(&org, "root.yaml", "", 5, 3, "_root_");
    let live = read(&client(&sim), &config).await;
    assert_eq!(
        live.org.account(&id).unwrap().state.as_str(),
        "PENDING_MIGRATION"
    );
    let plan = plan(&config, &live, today()).unwrap();
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
