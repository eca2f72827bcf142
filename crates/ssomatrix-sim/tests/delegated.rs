//! The simulator as a delegated administrator sees IAM Identity Center: a
//! snapshot whose `caller_account_id` is a member account gets AccessDenied
//! for every create, delete and provisioning of a permission set
//! provisioned to the management account, in any account, and for anything
//! in the management account itself ("Register a member account", IAM
//! Identity Center user guide).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use ssomatrix_core::ids::{AccountId, InstanceArn, PermissionSetArn, PrincipalId, PrincipalType};
use ssomatrix_core::live::Assignment;
use ssomatrix_core::ports::{
    ErrorKind, OperationState, PortResult, PrincipalRef, ProvisionTarget, SsoAdmin, Sts,
};
use ssomatrix_sim::{ServiceModel, Simulator};

const INSTANCE: &str = "arn:aws:sso:::instance/ssoins-0123456789abcdef";
const MGMT: &str = "100000000000";
const DELEGATED: &str = "200000000000";
const MEMBER: &str = "300000000000";
const GROUP: &str = "11111111-1111-1111-1111-111111111111";

/// Assigned in the management account.
fn mgmt_set() -> PermissionSetArn {
    arn("1111111111111111")
}
/// OUT_OF_SYNC in the management account (so provisioned there), assigned nowhere.
fn stale_set() -> PermissionSetArn {
    arn("3333333333333333")
}
/// Assigned in a member account only.
fn member_set() -> PermissionSetArn {
    arn("2222222222222222")
}

fn arn(id: &str) -> PermissionSetArn {
    PermissionSetArn::new(format!(
        "arn:aws:sso:::permissionSet/ssoins-0123456789abcdef/ps-{id}"
    ))
    .unwrap()
}

fn account(id: &str) -> AccountId {
    AccountId::new(id).unwrap()
}

fn snapshot(caller: Option<&str>) -> String {
    let caller = caller
        .map(|c| format!("caller_account_id: '{c}'\n"))
        .unwrap_or_default();
    format!(
        "format_version: 1
instance_arn: {INSTANCE}
identity_store_id: d-1234567890
{caller}organization:
  root_id: r-ab12
  management_account_id: '{MGMT}'
  accounts:
  - {{id: '{MGMT}', name: management, state: ACTIVE, parent: r-ab12}}
  - {{id: '{DELEGATED}', name: security-tooling, state: ACTIVE, parent: r-ab12}}
  - {{id: '{MEMBER}', name: workload, state: ACTIVE, parent: r-ab12}}
groups:
- {{id: {GROUP}, name: admins}}
permission_sets:
- {{arn: '{}', name: MgmtSet}}
- {{arn: '{}', name: MemberSet}}
- {{arn: '{}', name: StaleSet, not_provisioned_accounts: ['{MGMT}']}}
assignments:
- {{account_id: '{MGMT}', permission_set_arn: '{}', principal_type: GROUP, principal_id: {GROUP}}}
- {{account_id: '{MEMBER}', permission_set_arn: '{}', principal_type: GROUP, principal_id: {GROUP}}}
...
",
        mgmt_set(),
        member_set(),
        stale_set(),
        mgmt_set(),
        member_set()
    )
}

fn sim(caller: Option<&str>) -> Simulator {
    Simulator::from_snapshot_text("delegated.yaml", &snapshot(caller)).unwrap()
}

fn instance() -> InstanceArn {
    InstanceArn::new(INSTANCE).unwrap()
}

fn assignment(account_id: &str, ps: PermissionSetArn) -> Assignment {
    Assignment {
        account_id: account(account_id),
        permission_set_arn: ps,
        principal_type: PrincipalType::Group,
        principal_id: PrincipalId::new(GROUP).unwrap(),
    }
}

fn denied<T: std::fmt::Debug>(r: PortResult<T>, what: &str) {
    match r {
        Err(e) => {
            assert_eq!(e.kind, ErrorKind::AccessDenied, "{what}: {e}");
            assert!(e.message.contains("delegated administrator"), "{what}: {e}");
        }
        Ok(v) => panic!("{what}: expected AccessDenied, got {v:?}"),
    }
}

async fn principals(sim: &Simulator, account_id: &str, ps: &PermissionSetArn) -> Vec<PrincipalRef> {
    sim.list_account_assignments(&instance(), &account(account_id), ps, None)
        .await
        .unwrap()
        .items
}

/// Every write a delegated administrator may not make, in any account.
async fn forbidden_writes(sim: &Simulator) -> Vec<(String, PortResult<OperationState>)> {
    let i = instance();
    let mut out = Vec::new();
    for (account_id, ps) in [
        (MEMBER, mgmt_set()),
        (DELEGATED, mgmt_set()),
        (MGMT, mgmt_set()),
        (MEMBER, stale_set()),
        (MGMT, member_set()),
    ] {
        let a = assignment(account_id, ps.clone());
        let created = sim.create_account_assignment(&i, &a).await;
        out.push((
            format!("create {ps} in {account_id}"),
            created.map(|s| s.state),
        ));
        let deleted = sim.delete_account_assignment(&i, &a).await;
        out.push((
            format!("delete {ps} in {account_id}"),
            deleted.map(|s| s.state),
        ));
    }
    for (ps, target) in [
        (mgmt_set(), ProvisionTarget::AllProvisionedAccounts),
        (mgmt_set(), ProvisionTarget::Account(account(MEMBER))),
        (stale_set(), ProvisionTarget::AllProvisionedAccounts),
        (stale_set(), ProvisionTarget::Account(account(MGMT))),
        (member_set(), ProvisionTarget::Account(account(MGMT))),
    ] {
        let r = sim.provision_permission_set(&i, &ps, &target).await;
        out.push((format!("provision {ps} to {target:?}"), r.map(|s| s.state)));
    }
    out
}

#[tokio::test(start_paused = true)]
async fn a_delegated_administrator_is_refused_the_management_accounts_permission_sets_everywhere() {
    let sim = sim(Some(DELEGATED));
    assert_eq!(sim.get_caller_identity().await.unwrap(), account(DELEGATED));
    for (what, r) in forbidden_writes(&sim).await {
        denied(r, &what);
    }
    // Nothing changed.
    assert_eq!(principals(&sim, MGMT, &mgmt_set()).await.len(), 1);
    assert!(principals(&sim, MEMBER, &mgmt_set()).await.is_empty());
    assert!(principals(&sim, MGMT, &member_set()).await.is_empty());
    assert_eq!(
        sim.snapshot().permission_sets[2].not_provisioned_accounts,
        [account(MGMT)].into()
    );

    // A permission set not provisioned to the management account is the
    // delegated administrator's to manage, in member accounts.
    let i = instance();
    let other = assignment(DELEGATED, member_set());
    let op = sim.create_account_assignment(&i, &other).await.unwrap();
    assert_eq!(op.state, OperationState::Succeeded);
    let op = sim
        .provision_permission_set(&i, &member_set(), &ProvisionTarget::AllProvisionedAccounts)
        .await
        .unwrap();
    assert_eq!(op.state, OperationState::Succeeded);
    let op = sim
        .delete_account_assignment(&i, &assignment(MEMBER, member_set()))
        .await
        .unwrap();
    assert_eq!(op.state, OperationState::Succeeded);
    assert!(principals(&sim, MEMBER, &member_set()).await.is_empty());
    assert_eq!(principals(&sim, DELEGATED, &member_set()).await.len(), 1);
}

#[tokio::test(start_paused = true)]
async fn with_the_service_model_the_refusal_is_immediate_not_a_failed_operation() {
    let sim = sim(Some(DELEGATED)).with_service(ServiceModel::default());
    for (what, r) in forbidden_writes(&sim).await {
        denied(r, &what);
    }
    assert_eq!(sim.service_stats().creates.len(), 0);
}

#[tokio::test(start_paused = true)]
async fn the_management_account_may_do_all_of_it() {
    for caller in [None, Some(MGMT)] {
        let sim = sim(caller);
        assert_eq!(sim.get_caller_identity().await.unwrap(), account(MGMT));
        for (what, r) in forbidden_writes(&sim).await {
            let state = r.unwrap_or_else(|e| panic!("{caller:?}: {what}: {e}"));
            assert_eq!(state, OperationState::Succeeded, "{caller:?}: {what}");
        }
        assert!(principals(&sim, MGMT, &mgmt_set()).await.is_empty());
    }
}

#[tokio::test(start_paused = true)]
async fn a_caller_outside_the_organization_is_refused_on_load() {
    let text = snapshot(Some("999999999999"));
    let err = Simulator::from_snapshot_text("delegated.yaml", &text).unwrap_err();
    let err = err.to_string();
    assert!(err.contains("caller_account_id `999999999999`"), "{err}");
    assert!(err.contains("delegated.yaml:4"), "{err}");
}
