//! The executor and reprovisioning against the service as AWS behaves and
//! the emulators do not (docs/aws-behaviour.md): the quota of 10 outstanding
//! operations shared with other callers, provisioning that fails for
//! accounts that are not ACTIVE, statuses that are not visible yet, deletes
//! that end FAILED although the assignment is gone, and status listings with
//! a bad second. All in paused tokio time against the simulator.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use ssomatrix_core::config::Config;
use ssomatrix_core::date::Date;
use ssomatrix_core::ids::{AccountId, AccountState, InstanceArn, PermissionSetArn};
use ssomatrix_core::live::LiveState;
use ssomatrix_core::plan::{Action, Plan, plan};
use ssomatrix_core::ports::{ProvisioningFilter, SsoAdmin};
use ssomatrix_engine::executor::{
    self, ApplyControl, ApplyOptions, ApplyReport, OperationReport, Outcome, STATUS_GRACE,
};
use ssomatrix_engine::inventory::{Progress, read_live_state};
use ssomatrix_engine::reprovision::{AccountFacts, reprovision};
use ssomatrix_engine::{Budget, Client, InventoryStrategy, Ports, ReadOptions};
use ssomatrix_sim::{Calls, FailedDelete, Fault, FaultPlan, ServiceModel, Simulator};
use support::{Org, OrgSpec, generate};

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

async fn read(client: &SimClient, config: &Config) -> LiveState {
    let options = ReadOptions {
        strategy: InventoryStrategy::Provisioned,
        provisioning_status: true,
    };
    read_live_state(client, config, &options, &Progress::default())
        .await
        .unwrap()
}

async fn plan_now(client: &SimClient, config: &Config) -> Plan {
    plan(
        config,
        &read(client, config).await,
        Date::new(2026, 3, 1).unwrap(),
    )
    .unwrap()
}

async fn apply(client: &SimClient, plan: &Plan) -> ApplyReport {
    executor::apply(
        client,
        &instance(),
        plan,
        &ApplyOptions::default(),
        &ApplyControl::default(),
    )
    .await
}

/// Several creates in each of many accounts, and deletes.
fn busy() -> (Org, Config) {
    let org = generate(OrgSpec {
        accounts: 60,
        permission_sets: 6,
        groups: 10,
        users: 2,
        seed: 11,
    });
    let text = format!(
        "safety:\n  max_deletes: 100000\nassignments:\n\
         - groups: [{}, {}]\n  permission_sets: [{}, {}]\n  ous: [_root_]\n",
        org.groups[0], org.groups[1], org.permission_sets[0], org.permission_sets[3],
    );
    let config = Config::parse("busy.yaml", &text).unwrap();
    (org, config)
}

async fn busy_run(model: ServiceModel) -> (Simulator, SimClient, Config, Plan) {
    let (org, config) = busy();
    let sim = Simulator::from_snapshot(org.snapshot)
        .unwrap()
        .with_service(model);
    let client = client(&sim);
    let plan = plan_now(&client, &config).await;
    assert!(plan.creates().count() > 50 && plan.deletes().count() > 10);
    (sim, client, config, plan)
}

fn unsucceeded(report: &ApplyReport) -> Vec<&OperationReport> {
    report
        .operations
        .iter()
        .filter(|o| o.outcome != Outcome::Succeeded)
        .collect()
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
    assert!(
        unsucceeded(&report).is_empty(),
        "{:?}",
        unsucceeded(&report)
    );
    let stats = sim.service_stats();
    // The quota did answer, and was waited out, not reported.
    assert!(stats.quota_throttles > 0, "{stats:?}");
    assert!(
        client
            .stats
            .snapshot()
            .retries
            .contains_key("QuotaExceeded"),
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
    assert!(
        unsucceeded(&report).is_empty(),
        "{:?}",
        unsucceeded(&report)
    );
    // The service did answer not-found (the test would prove nothing else).
    let calls = sim.calls();
    let describes = calls["sso:DescribeAccountAssignmentCreationStatus"];
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
        Outcome::Error { message } => assert!(message.contains("not found"), "{message}"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test(start_paused = true)]
async fn a_provisioning_status_not_visible_yet_is_pending() {
    let org = generate(OrgSpec::small());
    let sim = Simulator::from_snapshot(org.snapshot.clone())
        .unwrap()
        .with_service(ServiceModel {
            status_visible_after: Duration::from_secs(8),
            ..ServiceModel::default()
        });
    let set = support::ps_arn(2);
    sim.mark_permission_set_changed(&set);
    let owned: BTreeMap<PermissionSetArn, String> = [(set.clone(), "set".to_owned())].into();
    let reports = reprovision(
        &client(&sim),
        &instance(),
        &owned,
        &facts_of(&org),
        &ApplyOptions::default(),
    )
    .await
    .unwrap();
    assert!(!reports.is_empty());
    for r in &reports {
        assert_eq!(r.outcome, Outcome::Succeeded, "{r:?}");
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
            .get("sso:ListAccountAssignments")
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
                "sso:ListAccountAssignmentCreationStatus",
                Calls::First(2),
                Fault::Transient,
            )
            .inject(
                "sso:ListAccountAssignmentDeletionStatus",
                Calls::First(2),
                Fault::Transient,
            ),
    );
    let report = apply(&client, &plan).await;
    sim.set_faults(FaultPlan::new());
    assert!(unsucceeded(&report).is_empty());
    let calls = sim.calls();
    // Listing went on after the two failures, and each operation was
    // described once, when the listing told it had finished.
    assert!(calls["sso:ListAccountAssignmentCreationStatus"] > 3);
    assert!(calls["sso:ListAccountAssignmentDeletionStatus"] > 3);
    assert_eq!(
        calls["sso:DescribeAccountAssignmentCreationStatus"],
        plan.creates().count() as u64
    );
    assert_eq!(
        calls["sso:DescribeAccountAssignmentDeletionStatus"],
        plan.deletes().count() as u64
    );
    assert!(plan_now(&client, &config).await.is_empty());
}

fn facts_of(org: &Org) -> AccountFacts {
    AccountFacts {
        states: org
            .snapshot
            .organization
            .accounts
            .iter()
            .map(|a| (a.id.clone(), a.state))
            .collect(),
        emptied: BTreeSet::new(),
    }
}

#[tokio::test(start_paused = true)]
async fn a_suspended_holder_gets_no_all_provisioned_accounts_and_is_skipped() {
    let mut org = generate(OrgSpec::small());
    // Pick a set held by at least three accounts and suspend one of them.
    let set = support::ps_arn(1);
    let holders: BTreeSet<AccountId> = org
        .snapshot
        .assignments
        .iter()
        .filter(|a| a.permission_set_arn == set)
        .map(|a| a.account_id.clone())
        .collect();
    assert!(holders.len() >= 3, "{holders:?}");
    for a in &mut org.snapshot.organization.accounts {
        if holders.contains(&a.id) && a.id != support::account_id(0) {
            a.state = AccountState::Active;
        }
    }
    let suspended = holders.iter().next().unwrap().clone();
    org.snapshot
        .organization
        .accounts
        .iter_mut()
        .find(|a| a.id == suspended)
        .unwrap()
        .state = AccountState::Suspended;
    for p in &mut org.snapshot.permission_sets {
        p.not_provisioned_accounts.clear();
    }
    let sim = Simulator::from_snapshot(org.snapshot.clone())
        .unwrap()
        .with_service(ServiceModel::default());
    sim.mark_permission_set_changed(&set);
    let owned: BTreeMap<PermissionSetArn, String> = [(set.clone(), "set".to_owned())].into();
    let reports = reprovision(
        &client(&sim),
        &instance(),
        &owned,
        &facts_of(&org),
        &ApplyOptions::default(),
    )
    .await
    .unwrap();
    let targets: BTreeSet<String> = reports.iter().map(|r| r.target.clone()).collect();
    let expected: BTreeSet<String> = holders
        .iter()
        .filter(|a| **a != suspended)
        .map(ToString::to_string)
        .collect();
    assert_eq!(targets, expected);
    for r in &reports {
        assert_eq!(r.outcome, Outcome::Succeeded, "{r:?}");
        assert_eq!(r.skipped.keys().collect::<Vec<_>>(), [&suspended]);
        assert!(r.skipped[&suspended].contains("SUSPENDED"));
    }
    // Only the suspended account stays out of sync.
    let stale = sim
        .list_accounts_for_provisioned_permission_set(
            &instance(),
            &set,
            Some(ProvisioningFilter::LatestNotProvisioned),
            None,
        )
        .await
        .unwrap()
        .items;
    assert_eq!(stale, std::slice::from_ref(&suspended));

    // With every holder ACTIVE, one ALL_PROVISIONED_ACCOUNTS does it.
    let mut facts = facts_of(&org);
    facts.states.insert(suspended.clone(), AccountState::Active);
    let sim = Simulator::from_snapshot({
        let mut s = org.snapshot.clone();
        for a in &mut s.organization.accounts {
            if a.id == suspended {
                a.state = AccountState::Active;
            }
        }
        s
    })
    .unwrap()
    .with_service(ServiceModel::default());
    sim.mark_permission_set_changed(&set);
    let reports = reprovision(
        &client(&sim),
        &instance(),
        &owned,
        &facts,
        &ApplyOptions::default(),
    )
    .await
    .unwrap();
    assert_eq!(reports.len(), 1);
    assert_eq!(reports[0].target, "ALL_PROVISIONED_ACCOUNTS");
    assert_eq!(reports[0].outcome, Outcome::Succeeded);
}

#[tokio::test(start_paused = true)]
async fn the_simulator_fails_provisioning_that_reaches_a_suspended_account() {
    let org = generate(OrgSpec::small());
    let (suspended, set) = org
        .snapshot
        .assignments
        .iter()
        .find_map(|a| {
            let acc = org
                .snapshot
                .organization
                .accounts
                .iter()
                .find(|x| x.id == a.account_id)?;
            (acc.state == AccountState::Suspended)
                .then(|| (a.account_id.clone(), a.permission_set_arn.clone()))
        })
        .unwrap();
    let sim = Simulator::from_snapshot(org.snapshot.clone()).unwrap();
    for target in [
        ssomatrix_core::ports::ProvisionTarget::Account(suspended.clone()),
        ssomatrix_core::ports::ProvisionTarget::AllProvisionedAccounts,
    ] {
        let op = sim
            .provision_permission_set(&instance(), &set, &target)
            .await
            .unwrap();
        assert_eq!(
            op.state,
            ssomatrix_core::ports::OperationState::Failed,
            "{target:?}"
        );
        assert!(
            op.failure_reason.as_deref().unwrap().contains("SUSPENDED"),
            "{op:?}"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn deleting_the_last_assignment_of_a_set_in_an_account_marks_it_emptied() {
    // The file keeps one set in Sandbox only: everywhere else its
    // assignments go, and with them the set's last assignment of many
    // accounts; some accounts keep others.
    let org = generate(OrgSpec::small());
    let config = Config::parse(
        "narrow.yaml",
        &format!(
            "safety:\n  max_deletes: 100000\nassignments:\n- group: {}\n  permission_set: {}\n  ous: [Sandbox]\n",
            org.groups[0], org.permission_sets[0]
        ),
    )
    .unwrap();
    let sim = Simulator::from_snapshot(org.snapshot)
        .unwrap()
        .with_service(ServiceModel::default());
    let client = client(&sim);
    let live = read(&client, &config).await;
    let plan = plan(&config, &live, Date::new(2026, 3, 1).unwrap()).unwrap();
    let report = apply(&client, &plan).await;
    assert!(unsucceeded(&report).is_empty());
    let facts = AccountFacts::after_apply(&live, &report);
    // Every pair the apply emptied holds nothing now, and every pair it
    // touched that still holds something is not marked.
    let after = sim.snapshot();
    let touched: BTreeSet<(PermissionSetArn, AccountId)> = plan
        .deletes()
        .map(|c| (c.permission_set_arn.clone(), c.account_id.clone()))
        .collect();
    let mut kept = 0;
    for pair in &touched {
        let holds = after
            .assignments
            .iter()
            .any(|a| a.permission_set_arn == pair.0 && a.account_id == pair.1);
        kept += usize::from(holds);
        assert_eq!(facts.emptied.contains(pair), !holds, "{pair:?}");
    }
    assert!(!facts.emptied.is_empty() && kept > 0, "{kept} kept");
    assert!(facts.emptied.is_subset(&touched));
}
