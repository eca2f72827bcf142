//! The simulator's service model, in paused tokio time: the shared TPS
//! bucket, asynchronous assignment operations, the 10-outstanding cap, one
//! write per account, injected FAILED operations and provisioning.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use ssomatrix_core::ids::{AccountId, InstanceArn, PermissionSetArn, PrincipalId, PrincipalType};
use ssomatrix_core::live::Assignment;
use ssomatrix_core::ports::{
    ErrorKind, OperationState, ProvisionTarget, ProvisioningFilter, SsoAdmin,
};
use ssomatrix_sim::{Latency, ServiceModel, Simulator};

const INSTANCE: &str = "arn:aws:sso:::instance/ssoins-0123456789abcdef";
const PS: &str = "arn:aws:sso:::permissionSet/ssoins-0123456789abcdef/ps-0000000000000001";

/// 30 accounts at the root, one permission set, assigned in account 0.
fn simulator() -> Simulator {
    let mut text = format!(
        "format_version: 1\n\
         instance_arn: {INSTANCE}\n\
         identity_store_id: d-1234567890\n\
         organization:\n  root_id: r-ab12\n  management_account_id: '100000000000'\n  accounts:\n"
    );
    for i in 0..30 {
        text += &format!(
            "  - {{id: '{:012}', name: a{i}, state: ACTIVE, parent: r-ab12}}\n",
            100_000_000_000u64 + i
        );
    }
    text += &format!(
        "groups:\n  - {{id: g-1, name: team}}\n\
         permission_sets:\n  - {{arn: '{PS}', name: ReadOnly}}\n\
         assignments:\n  - {{account_id: '100000000000', permission_set_arn: '{PS}', principal_type: GROUP, principal_id: g-1}}\n...\n"
    );
    Simulator::from_snapshot_text("test.yaml", &text).unwrap()
}

fn model(latency: Duration) -> ServiceModel {
    ServiceModel {
        assignment_latency: Latency::fixed(latency),
        provision_latency: Latency::fixed(latency),
        ..ServiceModel::default()
    }
}

fn instance() -> InstanceArn {
    InstanceArn::new(INSTANCE).unwrap()
}

fn ps() -> PermissionSetArn {
    PermissionSetArn::new(PS).unwrap()
}

fn account(i: u64) -> AccountId {
    AccountId::new(format!("{:012}", 100_000_000_000u64 + i)).unwrap()
}

fn assignment(i: u64) -> Assignment {
    Assignment {
        account_id: account(i),
        permission_set_arn: ps(),
        principal_type: PrincipalType::Group,
        principal_id: PrincipalId::new("g-1").unwrap(),
    }
}

#[tokio::test(start_paused = true)]
async fn without_the_model_writes_succeed_at_once_and_nothing_is_throttled() {
    let sim = simulator();
    for i in 1..=25 {
        let op = sim
            .create_account_assignment(&instance(), &assignment(i))
            .await
            .unwrap();
        assert_eq!(op.state, OperationState::Succeeded);
    }
    assert_eq!(sim.snapshot().assignments.len(), 26);
    assert_eq!(sim.service_stats(), Default::default());
}

#[tokio::test(start_paused = true)]
async fn the_bucket_allows_one_second_of_burst_then_the_rate() {
    let sim = simulator().with_service(ServiceModel::default());
    let mut throttled = 0;
    for _ in 0..25 {
        if let Err(e) = sim.describe_permission_set(&instance(), &ps()).await {
            assert_eq!(e.kind, ErrorKind::Throttled);
            assert_eq!(e.message, "Rate exceeded");
            throttled += 1;
        }
    }
    assert_eq!(throttled, 5);
    // After 100 ms two more tokens have come in.
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(
        sim.describe_permission_set(&instance(), &ps())
            .await
            .is_ok()
    );
    assert!(
        sim.describe_permission_set(&instance(), &ps())
            .await
            .is_ok()
    );
    assert!(
        sim.describe_permission_set(&instance(), &ps())
            .await
            .is_err()
    );
    assert_eq!(sim.service_stats().rate_throttles, 6);
}

#[tokio::test(start_paused = true)]
async fn assignment_operations_complete_after_their_latency() {
    let sim = simulator().with_service(model(Duration::from_secs(3)));
    let op = sim
        .create_account_assignment(&instance(), &assignment(1))
        .await
        .unwrap();
    assert_eq!(op.state, OperationState::InProgress);
    assert_eq!(sim.snapshot().assignments.len(), 1);
    tokio::time::sleep(Duration::from_millis(2_900)).await;
    let s = sim
        .describe_account_assignment_creation_status(&instance(), &op.request_id)
        .await
        .unwrap();
    assert_eq!(s.state, OperationState::InProgress);
    let listed = sim
        .list_account_assignment_creation_status(
            &instance(),
            Some(OperationState::InProgress),
            None,
        )
        .await
        .unwrap();
    assert_eq!(listed.items, std::slice::from_ref(&s));
    tokio::time::sleep(Duration::from_millis(100)).await;
    let s = sim
        .describe_account_assignment_creation_status(&instance(), &op.request_id)
        .await
        .unwrap();
    assert_eq!(s.state, OperationState::Succeeded);
    assert!(sim.snapshot().assignments.contains(&assignment(1)));

    // Deleting what is already gone succeeds too.
    let del = sim
        .delete_account_assignment(&instance(), &assignment(7))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_secs(3)).await;
    let s = sim
        .describe_account_assignment_deletion_status(&instance(), &del.request_id)
        .await
        .unwrap();
    assert_eq!(s.state, OperationState::Succeeded);
}

#[tokio::test(start_paused = true)]
async fn an_eleventh_operation_exceeds_the_quota_and_a_second_write_to_an_account_conflicts() {
    let sim = simulator().with_service(model(Duration::from_secs(5)));
    for i in 1..=10 {
        let op = if i % 2 == 0 {
            sim.delete_account_assignment(&instance(), &assignment(i))
                .await
        } else {
            sim.create_account_assignment(&instance(), &assignment(i))
                .await
        };
        assert_eq!(op.unwrap().state, OperationState::InProgress);
    }
    // The 11th create is refused as the API model says it may be; a delete
    // (whose model has no quota error) is throttled.
    let e = sim
        .create_account_assignment(&instance(), &assignment(11))
        .await
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::QuotaExceeded, "{e:?}");
    assert!(e.message.contains("ServiceQuotaExceededException"), "{e:?}");
    let e = sim
        .delete_account_assignment(&instance(), &assignment(12))
        .await
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Throttled, "{e:?}");
    let e = sim
        .delete_account_assignment(&instance(), &assignment(3))
        .await
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Conflict);
    let stats = sim.service_stats();
    assert_eq!(
        (
            stats.max_outstanding,
            stats.max_writes_per_account,
            stats.quota_throttles,
            stats.conflicts
        ),
        (11, 2, 2, 1)
    );
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert!(
        sim.create_account_assignment(&instance(), &assignment(11))
            .await
            .is_ok()
    );
    assert_eq!(sim.service_stats().creates.len(), 6);
}

#[tokio::test(start_paused = true)]
async fn injected_failures_end_failed_with_their_reason_and_assign_nothing() {
    let sim = simulator().with_service(model(Duration::from_secs(2)));
    sim.fail_creates_in(
        &account(4),
        Some(&ps()),
        "Customer managed policy Boundary not found in account 100000000004",
    );
    let op = sim
        .create_account_assignment(&instance(), &assignment(4))
        .await
        .unwrap();
    assert_eq!(op.failure_reason, None);
    tokio::time::sleep(Duration::from_secs(2)).await;
    let s = sim
        .describe_account_assignment_creation_status(&instance(), &op.request_id)
        .await
        .unwrap();
    assert_eq!(s.state, OperationState::Failed);
    assert_eq!(
        s.failure_reason.as_deref(),
        Some("Customer managed policy Boundary not found in account 100000000004")
    );
    assert!(!sim.snapshot().assignments.contains(&assignment(4)));
    assert_eq!(sim.service_stats().failed, 1);
}

#[tokio::test(start_paused = true)]
async fn a_changed_permission_set_is_out_of_sync_until_provisioned() {
    let sim = simulator().with_service(model(Duration::from_secs(4)));
    let stale = || async {
        sim.list_accounts_for_provisioned_permission_set(
            &instance(),
            &ps(),
            Some(ProvisioningFilter::LatestNotProvisioned),
            None,
        )
        .await
        .unwrap()
        .items
    };
    assert!(stale().await.is_empty());
    sim.mark_permission_set_changed(&ps());
    assert_eq!(stale().await, [account(0)]);
    let op = sim
        .provision_permission_set(&instance(), &ps(), &ProvisionTarget::AllProvisionedAccounts)
        .await
        .unwrap();
    assert_eq!(op.state, OperationState::InProgress);
    let e = sim
        .provision_permission_set(&instance(), &ps(), &ProvisionTarget::AllProvisionedAccounts)
        .await
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Conflict);
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert!(stale().await.is_empty());
    let s = sim
        .describe_permission_set_provisioning_status(&instance(), &op.request_id)
        .await
        .unwrap();
    assert_eq!(s.state, OperationState::Succeeded);

    sim.mark_permission_set_changed(&ps());
    sim.never_in_sync(&ps(), "policy document too large");
    let op = sim
        .provision_permission_set(&instance(), &ps(), &ProvisionTarget::Account(account(0)))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_secs(4)).await;
    let s = sim
        .describe_permission_set_provisioning_status(&instance(), &op.request_id)
        .await
        .unwrap();
    assert_eq!(s.state, OperationState::Failed);
    assert_eq!(stale().await, [account(0)]);
    assert_eq!(sim.service_stats().max_provisioning, 2);
}
