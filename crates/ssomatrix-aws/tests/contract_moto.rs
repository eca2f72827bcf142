//! The port contract of the AWS adapter: the real SDK over real HTTP against
//! a moto server on 127.0.0.1, seeded from the fixture snapshot.
//!
//! Needs `scripts/setup-moto.sh` first; `SSOMATRIX_SKIP_MOTO=1` skips.
//!
//! moto does not implement ListAccountAssignmentCreationStatus,
//! ListAccountAssignmentDeletionStatus and
//! DescribePermissionSetProvisioningStatus, and models provisioning only as
//! "provisioned to the caller's account"; those checks run against the
//! simulator only, and `moto_still_lacks_…` below notices when moto catches up.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use ssomatrix_aws::AwsPorts;
use ssomatrix_core::ports::{ErrorKind, OperationState, ProvisioningFilter, SsoAdmin};
use ssomatrix_core::snapshot::Snapshot;
use ssomatrix_testkit::{Moto, fixture, seed};
use support::contract;

/// A fresh moto seeded with the fixture, the ports pointed at it, and the
/// fixture with moto's ids. `None` when moto tests are skipped.
async fn seeded(test: &str) -> Option<(Moto, AwsPorts, Snapshot)> {
    let moto = ssomatrix_testkit::moto::start(test)?;
    let expected = seed::seed_moto(&moto.endpoint(), &fixture::spec()).await;
    let ports = AwsPorts::from_sdk_config(&seed::sdk_config(&moto.endpoint()));
    Some((moto, ports, expected))
}

#[tokio::test]
async fn the_seeded_snapshot_differs_from_the_fixture_in_ids_only() {
    let Some((_moto, _ports, expected)) =
        seeded("the_seeded_snapshot_differs_from_the_fixture_in_ids_only").await
    else {
        return;
    };
    let spec = fixture::spec();
    let names = |s: &Snapshot| {
        let mut accounts: Vec<_> = s
            .organization
            .accounts
            .iter()
            .map(|a| (a.name.clone(), a.state, a.tags.clone()))
            .collect();
        accounts.sort();
        let mut ous: Vec<_> = s
            .organization
            .organizational_units
            .iter()
            .map(|o| o.name.clone())
            .collect();
        ous.sort();
        (accounts, ous, s.assignments.len())
    };
    assert_eq!(names(&expected), names(&spec));
    assert_ne!(
        expected.instance_arn, spec.instance_arn,
        "ids come from moto"
    );
}

#[tokio::test]
async fn organizations_reads_match_the_snapshot() {
    let Some((_moto, ports, expected)) = seeded("organizations_reads_match_the_snapshot").await
    else {
        return;
    };
    contract::check_organization(&ports, &expected).await;
}

/// The four reads `--account` climbs the tree with (DescribeAccount,
/// ListAccounts, ListParents, DescribeOrganizationalUnit), through the SDK.
#[tokio::test]
async fn account_lookups_match_the_snapshot() {
    let Some((_moto, ports, expected)) = seeded("account_lookups_match_the_snapshot").await else {
        return;
    };
    contract::check_account_lookups(&ports, &expected).await;
}

#[tokio::test]
async fn the_caller_is_the_management_account() {
    let Some((_moto, ports, expected)) = seeded("the_caller_is_the_management_account").await
    else {
        return;
    };
    contract::check_caller(&ports, &expected).await;
}

#[tokio::test]
async fn identity_store_reads_match_the_snapshot() {
    let Some((_moto, ports, expected)) = seeded("identity_store_reads_match_the_snapshot").await
    else {
        return;
    };
    contract::check_identity_store(&ports, &expected).await;
}

#[tokio::test]
async fn sso_admin_reads_match_the_snapshot() {
    let Some((_moto, ports, expected)) = seeded("sso_admin_reads_match_the_snapshot").await else {
        return;
    };
    contract::check_instance(&ports, &expected).await;
    contract::check_permission_sets(&ports, &expected).await;
    contract::check_account_assignments(&ports, &expected).await;
    contract::check_assignments_for_principal(&ports, &expected).await;
}

#[tokio::test]
async fn assignments_are_created_and_deleted() {
    let Some((_moto, ports, expected)) = seeded("assignments_are_created_and_deleted").await else {
        return;
    };
    let done = contract::check_assignment_lifecycle(&ports, &expected).await;
    contract::check_provision(&ports, &expected).await;
    // Everything else is as seeded.
    let mut remaining = expected.clone();
    remaining.assignments.retain(|a| *a != done.orphan);
    contract::check_account_assignments(&ports, &remaining).await;
}

/// moto's model of provisioning: ProvisionPermissionSet provisions to the
/// caller's (management) account whatever the target, and both listings
/// answer from that. This checks that the adapter reads those answers; the
/// AWS semantics are `contract::check_provisioned_listings`, run on the
/// simulator.
#[tokio::test]
async fn provisioned_listings_read_what_moto_models() {
    let Some((_moto, ports, expected)) = seeded("provisioned_listings_read_what_moto_models").await
    else {
        return;
    };
    let instance = &expected.instance_arn;
    let ps = contract::permission_set(&expected, "AppDeveloper");
    let before = ports
        .list_accounts_for_provisioned_permission_set(instance, &ps, None, None)
        .await
        .unwrap();
    assert!(before.items.is_empty());
    contract::check_provision(&ports, &expected).await;
    let accounts = ports
        .list_accounts_for_provisioned_permission_set(
            instance,
            &ps,
            Some(ProvisioningFilter::LatestProvisioned),
            None,
        )
        .await
        .unwrap();
    assert_eq!(
        accounts.items,
        vec![expected.organization.management_account_id.clone()]
    );
    assert_eq!(accounts.next_token, None);
    let any_account = contract::account(&expected, "nonprod-05");
    let sets = ports
        .list_permission_sets_provisioned_to_account(instance, &any_account, None, None)
        .await
        .unwrap();
    // Provisioned twice (one account, then all), listed once per provisioning.
    assert!(sets.items.iter().all(|p| *p == ps), "{:?}", sets.items);
    assert!(!sets.items.is_empty());
}

/// When moto implements these, their checks can run here too: move
/// `check_status_lists` and `check_provisioning_status` into the tests above.
#[tokio::test]
async fn moto_still_lacks_the_status_listings_and_provisioning_status() {
    let Some((_moto, ports, expected)) =
        seeded("moto_still_lacks_the_status_listings_and_provisioning_status").await
    else {
        return;
    };
    let instance = &expected.instance_arn;
    let lacks = |what: &str, err: ssomatrix_core::ports::PortError| {
        // moto answers an action it does not know with an HTML 500 page.
        assert_eq!(err.kind, ErrorKind::Transient, "{what}: {err}");
        assert!(
            err.message.contains("unrecognised response"),
            "{what}: {err}"
        );
        eprintln!("moto lacks {what}: {err}");
    };
    match ports
        .list_account_assignment_creation_status(instance, Some(OperationState::Succeeded), None)
        .await
    {
        Ok(page) => panic!("moto now answers ListAccountAssignmentCreationStatus: {page:?}"),
        Err(e) => lacks("ListAccountAssignmentCreationStatus", e),
    }
    match ports
        .list_account_assignment_deletion_status(instance, None, None)
        .await
    {
        Ok(page) => panic!("moto now answers ListAccountAssignmentDeletionStatus: {page:?}"),
        Err(e) => lacks("ListAccountAssignmentDeletionStatus", e),
    }
    let request = contract::check_provision(&ports, &expected).await;
    match ports
        .describe_permission_set_provisioning_status(instance, &request)
        .await
    {
        Ok(op) => panic!("moto now answers DescribePermissionSetProvisioningStatus: {op:?}"),
        Err(e) => lacks("DescribePermissionSetProvisioningStatus", e),
    }
}

/// The checks are not vacuous: the suspended account reported as active, or
/// a group that lost an assignment, must fail them.
#[tokio::test]
async fn the_checks_fail_on_a_wrong_expectation() {
    let Some((_moto, ports, expected)) = seeded("the_checks_fail_on_a_wrong_expectation").await
    else {
        return;
    };
    let mut wrong_state = expected.clone();
    for a in &mut wrong_state.organization.accounts {
        a.state = ssomatrix_core::ids::AccountState::Active;
    }
    let p = ports.clone();
    let run = tokio::spawn(async move { contract::check_organization(&p, &wrong_state).await });
    assert!(run.await.is_err_and(|e| e.is_panic()));

    // An OU renamed in the expectation: DescribeOrganizationalUnit disagrees.
    let mut renamed = expected.clone();
    renamed.organization.organizational_units[0].name.push('x');
    let p = ports.clone();
    let run = tokio::spawn(async move { contract::check_account_lookups(&p, &renamed).await });
    assert!(run.await.is_err_and(|e| e.is_panic()));

    let mut missing = expected.clone();
    missing.assignments.pop();
    let run =
        tokio::spawn(async move { contract::check_account_assignments(&ports, &missing).await });
    assert!(run.await.is_err_and(|e| e.is_panic()));
}

/// Without `scripts/setup-moto.sh` the moto tests fail, naming the script,
/// rather than passing without having run.
#[test]
fn a_missing_moto_fails_with_the_setup_command() {
    let missing = std::path::Path::new("/nonexistent/.venv/bin");
    let err =
        std::panic::catch_unwind(|| ssomatrix_testkit::moto::start_from(missing)).unwrap_err();
    let message = err.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(message.contains("run `scripts/setup-moto.sh`"), "{message}");
    assert!(message.contains("SSOMATRIX_SKIP_MOTO=1"), "{message}");
}
