//! A delegated administrator against the simulator, in paused tokio time:
//! the reader finds out who the caller is and what is provisioned to the
//! management account, the plan marks exactly what AWS refuses a delegated
//! administrator, the simulator refuses exactly that (so an apply that
//! ignored the marks fails the way AWS would), and a second run with the
//! management account's credentials finishes the job.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::collections::{BTreeMap, BTreeSet};

use ssomatrix_core::config::Config;
use ssomatrix_core::ids::{AccountId, PermissionSetArn};
use ssomatrix_core::live::Assignment;
use ssomatrix_core::plan::{Action, Plan, WarningKind, plan};
use ssomatrix_core::ports::{ErrorKind, Operation};
use ssomatrix_core::snapshot::Snapshot;
use ssomatrix_engine::InventoryStrategy;
use ssomatrix_engine::executor::{ApplyOptions, Outcome};
use ssomatrix_engine::reprovision::{AccountFacts, reprovision};
use ssomatrix_sim::{ServiceModel, Simulator};
use support::{OrgSpec, account_id, apply, client, generate, instance, read_by, today};

/// An organisation whose management account holds the root rule's
/// permission set, with one more permission set OUT_OF_SYNC there, as the
/// delegated administrator `caller` sees it.
fn delegated_org(caller: Option<AccountId>) -> (Snapshot, Config) {
    let org = generate(OrgSpec::small());
    let config = org.config("all", false);
    let mut snapshot = org.snapshot;
    let mgmt = account_id(0);
    let group = snapshot.groups[0].id.clone();
    snapshot.assignments.push(Assignment {
        account_id: mgmt.clone(),
        permission_set_arn: snapshot.permission_sets[0].arn.clone(),
        principal_type: ssomatrix_core::ids::PrincipalType::Group,
        principal_id: group,
    });
    snapshot.permission_sets[1]
        .not_provisioned_accounts
        .insert(mgmt);
    snapshot.caller_account_id = caller;
    snapshot.sort();
    (snapshot, config)
}

/// What AWS refuses a delegated administrator, worked out from the snapshot
/// alone: the permission sets assigned or out of sync in the management
/// account.
fn provisioned_to_management(snapshot: &Snapshot) -> BTreeSet<PermissionSetArn> {
    let mgmt = &snapshot.organization.management_account_id;
    let mut sets: BTreeSet<PermissionSetArn> = snapshot
        .assignments
        .iter()
        .filter(|a| a.account_id == *mgmt)
        .map(|a| a.permission_set_arn.clone())
        .collect();
    sets.extend(
        snapshot
            .permission_sets
            .iter()
            .filter(|p| p.not_provisioned_accounts.contains(mgmt))
            .map(|p| p.arn.clone()),
    );
    sets
}

fn marked(plan: &Plan) -> BTreeSet<(Action, Assignment)> {
    plan.management_only()
        .map(|c| (c.action, c.assignment()))
        .collect()
}

#[tokio::test(start_paused = true)]
async fn the_plan_marks_exactly_what_the_service_refuses_a_delegated_administrator() {
    let delegated = account_id(1);
    let (snapshot, config) = delegated_org(Some(delegated.clone()));
    let mgmt = account_id(0);
    let forbidden = provisioned_to_management(&snapshot);
    assert!(forbidden.len() >= 2, "{forbidden:?}");
    for strategy in [
        InventoryStrategy::Provisioned,
        InventoryStrategy::Exhaustive,
    ] {
        let sim = Simulator::from_snapshot(snapshot.clone())
            .unwrap()
            .with_service(ServiceModel::default());
        let c = client(&sim);
        let live = read_by(&c, &config, strategy).await;
        assert_eq!(live.caller_account_id, Some(delegated.clone()));
        assert_eq!(live.delegated_administrator(), Some(&delegated));
        // The whole list from the service, not only the sets the file reads.
        assert_eq!(live.provisioned_to_management, forbidden, "{strategy:?}");
        assert_eq!(sim.calls()[&Operation::GetCallerIdentity], 1);
        assert_eq!(
            sim.calls()[&Operation::ListPermissionSetsProvisionedToAccount],
            1
        );

        let p = plan(&config, &live, today()).unwrap();
        let want: BTreeSet<_> = p
            .changes
            .iter()
            .filter(|c| c.account_id == mgmt || forbidden.contains(&c.permission_set_arn))
            .map(|c| (c.action, c.assignment()))
            .collect();
        assert!(
            !want.is_empty() && want.len() < p.changes.len(),
            "{strategy:?}"
        );
        assert_eq!(marked(&p), want, "{strategy:?}");
        for ps in &forbidden {
            let name = live.permission_set_name(ps);
            assert!(
                p.warnings
                    .iter()
                    .any(|w| w.message.contains("delegated administrator")
                        && w.message.contains(&format!("permission set {name}"))),
                "{strategy:?}: no warning names {name}: {:#?}",
                p.warnings
            );
        }

        // Applied regardless of the marks, exactly the marked changes fail,
        // with AccessDenied, and everything else is done.
        let report = apply(&c, &p).await;
        assert_eq!(report.operations.len(), p.changes.len());
        for o in &report.operations {
            let key = (o.change.action, o.change.assignment());
            match &o.outcome {
                Outcome::Error { error, message } if want.contains(&key) => {
                    assert_eq!(error.kind, ErrorKind::AccessDenied, "{message}");
                    assert!(message.starts_with("access denied"), "{message}");
                }
                Outcome::Succeeded if !want.contains(&key) => {}
                other => panic!("{strategy:?}: {key:?}: {other:?}"),
            }
        }

        // Reprovisioning: refused for the management account's sets only.
        let owned: BTreeMap<PermissionSetArn, String> = live.permission_sets.clone();
        let facts = AccountFacts::from_live(&live);
        let reports = reprovision(&c, &instance(), &owned, &facts, &ApplyOptions::default())
            .await
            .unwrap();
        assert!(
            reports
                .iter()
                .any(|r| forbidden.contains(&r.permission_set_arn))
        );
        for r in &reports {
            let denied = matches!(&r.outcome, Outcome::Error { error, .. } if error.kind == ErrorKind::AccessDenied);
            assert_eq!(
                denied,
                forbidden.contains(&r.permission_set_arn),
                "{strategy:?}: {r:?}"
            );
        }
    }
}

#[tokio::test(start_paused = true)]
async fn the_management_account_finishes_what_the_delegated_administrator_could_not() {
    let (snapshot, config) = delegated_org(Some(account_id(1)));
    let sim = Simulator::from_snapshot(snapshot)
        .unwrap()
        .with_service(ServiceModel::default());
    let c = client(&sim);
    let live = read_by(&c, &config, InventoryStrategy::Provisioned).await;
    let first = plan(&config, &live, today()).unwrap();
    let withheld = marked(&first);
    let mut rest = first.clone();
    rest.changes.retain(|c| !c.needs_management_account);
    let report = apply(&c, &rest).await;
    assert!(report.all_succeeded());

    // What is left is exactly what was withheld; nothing of it is marked for
    // the management account's own credentials.
    let mut after = sim.snapshot();
    after.caller_account_id = None;
    let sim = Simulator::from_snapshot(after)
        .unwrap()
        .with_service(ServiceModel::default());
    let c = client(&sim);
    let live = read_by(&c, &config, InventoryStrategy::Provisioned).await;
    assert_eq!(live.delegated_administrator(), None);
    assert!(live.provisioned_to_management.is_empty());
    assert!(
        !sim.calls()
            .contains_key(&Operation::ListPermissionSetsProvisionedToAccount)
    );
    let second = plan(&config, &live, today()).unwrap();
    let left: BTreeSet<_> = second
        .changes
        .iter()
        .map(|c| (c.action, c.assignment()))
        .collect();
    assert_eq!(left, withheld);
    assert_eq!(second.management_only().count(), 0);
    assert!(
        !second
            .warnings
            .iter()
            .any(|w| w.kind == WarningKind::DelegatedAdministrator),
        "{:#?}",
        second.warnings
    );
    assert!(apply(&c, &second).await.all_succeeded());
    let live = read_by(&c, &config, InventoryStrategy::Provisioned).await;
    assert!(plan(&config, &live, today()).unwrap().is_empty());
}
