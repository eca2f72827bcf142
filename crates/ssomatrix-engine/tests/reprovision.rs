//! Reprovisioning against the simulator's service model, in paused tokio
//! time: out-of-sync permission sets are provisioned three at a time and a
//! hopeless one once; a provisioning status not visible yet is pending; a
//! suspended holder is skipped (the service fails a provisioning that
//! reaches one); and an apply tells which (permission set, account) pairs it
//! emptied.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use ssomatrix_core::ids::{AccountId, AccountState, PermissionSetArn};
use ssomatrix_core::plan::plan;
use ssomatrix_core::ports::{ProvisioningFilter, SsoAdmin};
use ssomatrix_engine::executor::{ApplyOptions, Outcome};
use ssomatrix_engine::reprovision::{
    AccountFacts, PROVISION_CONCURRENCY, ProvisionReport, reprovision,
};
use ssomatrix_sim::{ServiceModel, Simulator};
use support::{
    Org, OrgSpec, SimClient, apply, assert_all_succeeded, client, generate, instance, one_rule,
    read, today,
};

/// Reprovisions what is stale of `owned` with the default options; the run
/// must not fail.
async fn reprovision_now(
    client: &SimClient,
    owned: &BTreeMap<PermissionSetArn, String>,
    facts: &AccountFacts,
) -> Vec<ProvisionReport> {
    reprovision(client, &instance(), owned, facts, &ApplyOptions::default())
        .await
        .unwrap()
}

/// `set` as the one permission set a file owns.
fn only(set: &PermissionSetArn) -> BTreeMap<PermissionSetArn, String> {
    [(set.clone(), "set".to_owned())].into()
}

fn set_state(org: &mut Org, account: &AccountId, state: AccountState) {
    let accounts = &mut org.snapshot.organization.accounts;
    accounts
        .iter_mut()
        .find(|a| a.id == *account)
        .unwrap()
        .state = state;
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
async fn out_of_sync_sets_are_reprovisioned_three_at_a_time_and_a_hopeless_one_once() {
    let mut org = generate(OrgSpec::scattered(60, 8, 8, 2, 5));
    // Set 0 is stale in one account only; the generator makes 1, 4, 7 stale
    // in several; 2 and 5 are edited below, and 5 never gets in sync.
    let one = org
        .snapshot
        .assignments
        .iter()
        .find(|a| a.permission_set_arn == support::ps_arn(0))
        .unwrap()
        .account_id
        .clone();
    org.snapshot
        .permission_sets
        .iter_mut()
        .find(|p| p.arn == support::ps_arn(0))
        .unwrap()
        .not_provisioned_accounts = [one.clone()].into();
    // The set's one stale account is ACTIVE (so it is provisioned).
    set_state(&mut org, &one, AccountState::Active);
    let sim = Simulator::from_snapshot(org.snapshot.clone())
        .unwrap()
        .with_service(ServiceModel::default());
    sim.mark_permission_set_changed(&support::ps_arn(2));
    sim.mark_permission_set_changed(&support::ps_arn(5));
    sim.never_in_sync(
        &support::ps_arn(5),
        "policy document exceeds the size limit",
    );
    let client = client(&sim);
    let owned: BTreeMap<PermissionSetArn, String> = org
        .snapshot
        .permission_sets
        .iter()
        .map(|p| (p.arn.clone(), p.name.clone()))
        .collect();
    let facts = facts_of(&org);
    let active = |a: &ssomatrix_core::ids::AccountId| facts.states[a] == AccountState::Active;

    let stale = || async {
        let mut out = BTreeMap::new();
        for arn in owned.keys() {
            let page = sim
                .list_accounts_for_provisioned_permission_set(
                    &instance(),
                    arn,
                    Some(ProvisioningFilter::LatestNotProvisioned),
                    None,
                )
                .await
                .unwrap();
            if !page.items.is_empty() {
                out.insert(arn.clone(), page.items.into_iter().collect::<BTreeSet<_>>());
            }
        }
        out
    };
    let before = stale().await;
    let expected: BTreeSet<PermissionSetArn> = [0, 1, 2, 4, 5, 7]
        .into_iter()
        .map(support::ps_arn)
        .collect();
    assert_eq!(before.keys().cloned().collect::<BTreeSet<_>>(), expected);

    let reports = reprovision_now(&client, &owned, &facts).await;
    let mut per_set: BTreeMap<&PermissionSetArn, u32> = BTreeMap::new();
    for r in &reports {
        *per_set.entry(&r.permission_set_arn).or_default() += 1;
        let stale_here = &before[&r.permission_set_arn];
        if r.permission_set_arn == support::ps_arn(0) {
            assert_eq!(r.target, one.to_string());
        } else if r.target != "ALL_PROVISIONED_ACCOUNTS" {
            // Account by account: only where a holder is not ACTIVE.
            let account = ssomatrix_core::ids::AccountId::new(r.target.clone()).unwrap();
            assert!(stale_here.contains(&account) && active(&account), "{r:?}");
        }
        let outcome = if r.permission_set_arn == support::ps_arn(5) {
            Outcome::Failed {
                reason: "policy document exceeds the size limit".to_owned(),
            }
        } else {
            Outcome::Succeeded
        };
        assert_eq!(r.outcome, outcome, "{}", r.permission_set_name);
        // The accounts left out are exactly the stale ones not ACTIVE.
        let skipped: BTreeSet<_> = r.skipped.keys().cloned().collect();
        let inactive: BTreeSet<_> = stale_here.iter().filter(|a| !active(a)).cloned().collect();
        assert_eq!(skipped, inactive, "{}", r.permission_set_name);
    }
    assert_eq!(per_set.len(), 6);
    let stats = sim.service_stats();
    assert_eq!(stats.max_provisioning, PROVISION_CONCURRENCY);
    assert_eq!((stats.throttles(), stats.conflicts), (0, 0));
    // One provisioning a target, the hopeless one included: not looped on.
    let provisionings: BTreeMap<&PermissionSetArn, u32> =
        stats.provisionings.iter().map(|(k, v)| (k, *v)).collect();
    assert_eq!(provisionings, per_set);
    // What stays stale: the hopeless set, and accounts that are not ACTIVE.
    let after = stale().await;
    for (arn, accounts) in &before {
        let left: BTreeSet<_> = if *arn == support::ps_arn(5) {
            accounts.clone()
        } else {
            accounts.iter().filter(|a| !active(a)).cloned().collect()
        };
        assert_eq!(after.get(arn).cloned().unwrap_or_default(), left, "{arn}");
    }

    // A second pass reports the hopeless set again, once a target, and
    // then stops too.
    let again = reprovision_now(&client, &owned, &facts).await;
    let hopeless = per_set[&support::ps_arn(5)];
    assert_eq!(
        again
            .iter()
            .filter(|r| r.outcome != Outcome::Succeeded)
            .count() as u32,
        hopeless
    );
    assert_eq!(
        sim.service_stats().provisionings[&support::ps_arn(5)],
        2 * hopeless
    );
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
    let owned = only(&set);
    let reports = reprovision_now(&client(&sim), &owned, &facts_of(&org)).await;
    assert!(!reports.is_empty());
    for r in &reports {
        assert_eq!(r.outcome, Outcome::Succeeded, "{r:?}");
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
    set_state(&mut org, &suspended, AccountState::Suspended);
    for p in &mut org.snapshot.permission_sets {
        p.not_provisioned_accounts.clear();
    }
    let sim = Simulator::from_snapshot(org.snapshot.clone())
        .unwrap()
        .with_service(ServiceModel::default());
    sim.mark_permission_set_changed(&set);
    let owned = only(&set);
    let reports = reprovision_now(&client(&sim), &owned, &facts_of(&org)).await;
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
    let reports = reprovision_now(&client(&sim), &owned, &facts).await;
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
    let safety = "safety:\n  max_deletes: 100000\n";
    let config = one_rule(&org, "narrow.yaml", safety, 0, 0, "Sandbox");
    let sim = Simulator::from_snapshot(org.snapshot)
        .unwrap()
        .with_service(ServiceModel::default());
    let client = client(&sim);
    let live = read(&client, &config).await;
    let plan = plan(&config, &live, today()).unwrap();
    let report = apply(&client, &plan).await;
    assert_all_succeeded(&report);
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
