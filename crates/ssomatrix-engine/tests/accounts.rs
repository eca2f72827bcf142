//! The per-account read (`--account`) against the simulator: a partial plan
//! is exactly the full plan's changes in the named accounts, it reads those
//! accounts' pairs and nothing of the others, and an `--account` that names
//! no account or several is refused with the fix.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::collections::BTreeSet;

use ssomatrix_core::config::Config;
use ssomatrix_core::ids::{AccountId, PermissionSetArn};
use ssomatrix_core::live::LiveState;
use ssomatrix_core::org::NodeId;
use ssomatrix_core::partial::{AccountSelector, SelectError};
use ssomatrix_core::plan::{Change, Plan, plan};
use ssomatrix_core::ports::Operation;
use ssomatrix_core::scope::Scope;
use ssomatrix_engine::accounts::read_accounts_live_state;
use ssomatrix_engine::inventory::Progress;
use ssomatrix_engine::{Budget, EngineError, InventoryStrategy};
use ssomatrix_sim::Simulator;
use support::{Org, OrgSpec, SimClient, client_with, generate, options, read_by, today};

async fn read_accounts(
    client: &SimClient,
    config: &Config,
    accounts: &[AccountSelector],
    strategy: InventoryStrategy,
) -> Result<LiveState, EngineError> {
    read_accounts_live_state(
        client,
        config,
        accounts,
        &options(strategy),
        false,
        &Progress::default(),
    )
    .await
}

fn id(account: &AccountId) -> AccountSelector {
    AccountSelector::Id(account.clone())
}

fn changes_in<'a>(plan: &'a Plan, accounts: &BTreeSet<&AccountId>) -> Vec<&'a Change> {
    plan.changes
        .iter()
        .filter(|c| accounts.contains(&c.account_id))
        .collect()
}

fn simulator(org: &Org) -> (Simulator, SimClient) {
    let sim = Simulator::from_snapshot(org.snapshot.clone()).unwrap();
    let client = client_with(&sim, Budget::unlimited());
    (sim, client)
}

/// Every account of the small organisation (nested OUs, tags, users, deleted
/// principals, an expired exception, rules by OU, account, name and tag, with
/// exclusions), planned alone, for both scopes and both strategies.
#[tokio::test(start_paused = true)]
async fn the_partial_plan_of_each_account_is_the_full_plans_changes_there() {
    let org = generate(OrgSpec::small());
    for (scope, strategy) in [
        ("declared", InventoryStrategy::Provisioned),
        ("all", InventoryStrategy::Exhaustive),
    ] {
        let config = org.config(scope, true);
        let (_, client) = simulator(&org);
        let full = plan(&config, &read_by(&client, &config, strategy).await, today()).unwrap();
        assert!(
            full.creates().count() > 5 && full.deletes().count() > 5,
            "{:?}",
            full.summary
        );
        let mut seen = 0;
        for account in &org.snapshot.organization.accounts {
            let live = read_accounts(&client, &config, &[id(&account.id)], strategy)
                .await
                .unwrap();
            let partial = plan(&config, &live, today()).unwrap();
            let want = changes_in(&full, &[&account.id].into());
            assert_eq!(
                partial.changes.iter().collect::<Vec<_>>(),
                want,
                "{scope}: account {}",
                account.id
            );
            let covered: Vec<_> = partial.partial.iter().flatten().map(|a| &a.id).collect();
            assert_eq!(covered, [&account.id]);
            seen += want.len();
        }
        assert_eq!(seen, full.changes.len(), "every change is in some account");
    }
}

/// Several accounts at once, by id and by name: their changes, no others.
#[tokio::test(start_paused = true)]
async fn several_accounts_by_id_and_name_plan_their_changes_together() {
    let org = generate(OrgSpec::small());
    let config = org.config("declared", true);
    let (sim, client) = simulator(&org);
    let full = plan(
        &config,
        &read_by(&client, &config, InventoryStrategy::Provisioned).await,
        today(),
    )
    .unwrap();
    let changed: Vec<&AccountId> = full.changes.iter().map(|c| &c.account_id).collect();
    let (a, b) = (
        changed[0],
        *changed.iter().rev().find(|x| **x != changed[0]).unwrap(),
    );
    let b_name = org
        .snapshot
        .organization
        .accounts
        .iter()
        .find(|x| x.id == *b)
        .unwrap()
        .name
        .clone();
    let before = sim.calls_of(Operation::ListAccounts);
    let live = read_accounts(
        &client,
        &config,
        &[id(a), AccountSelector::Name(b_name)],
        InventoryStrategy::Provisioned,
    )
    .await
    .unwrap();
    // A name is found in one listing of the organization's accounts (pages of 20).
    let pages = org.snapshot.organization.accounts.len().div_ceil(20) as u64;
    assert_eq!(sim.calls_of(Operation::ListAccounts) - before, pages);
    let partial = plan(&config, &live, today()).unwrap();
    assert_eq!(
        partial.changes.iter().collect::<Vec<_>>(),
        changes_in(&full, &[a, b].into())
    );
    let mut covered: Vec<_> = partial.partial.iter().flatten().map(|x| &x.id).collect();
    covered.sort();
    let mut want = vec![a, b];
    want.sort();
    assert_eq!(covered, want);
}

/// The operations a full read calls that walk the whole organization or
/// list a permission set's accounts: a partial read calls none of them.
const WHOLE_ORGANIZATION: [Operation; 5] = [
    Operation::ListRoots,
    Operation::ListOrganizationalUnitsForParent,
    Operation::ListAccountsForParent,
    Operation::ListAccountsForProvisionedPermissionSet,
    Operation::ListAccounts,
];

/// The OUs between `account` and the root.
fn depth(org: &Org, account: &AccountId) -> u64 {
    let o = &org.snapshot.organization;
    let mut node = o
        .accounts
        .iter()
        .find(|a| a.id == *account)
        .unwrap()
        .parent
        .clone();
    let mut n = 0;
    while let NodeId::Ou(ou) = node {
        n += 1;
        node = o
            .organizational_units
            .iter()
            .find(|x| x.id == ou)
            .unwrap()
            .parent
            .clone();
        assert!(n < 10, "the generator's OUs form a tree");
    }
    n
}

/// The permission sets the simulator counts as provisioned to `account`:
/// assigned there, or out of sync there.
fn provisioned(org: &Org, account: &AccountId) -> BTreeSet<PermissionSetArn> {
    let s = &org.snapshot;
    s.assignments
        .iter()
        .filter(|a| a.account_id == *account)
        .map(|a| a.permission_set_arn.clone())
        .chain(
            s.permission_sets
                .iter()
                .filter(|p| p.not_provisioned_accounts.contains(account))
                .map(|p| p.arn.clone()),
        )
        .collect()
}

/// The deepest account with the most provisioned pairs among those the
/// full plan creates nothing in (so every permission set its rules name is
/// provisioned to it, and none other need be described): the read below
/// counts its calls. Every count is exact, so that a call about another
/// account would show as one too many (or, taking the place of one of this
/// account's, as an assignment missing from a plan the test above proves
/// complete). `account_sets.rs` covers accounts that need more sets.
#[tokio::test(start_paused = true)]
async fn a_partial_read_lists_the_named_accounts_pairs_and_nothing_of_the_others() {
    let org = generate(OrgSpec::small());
    let config = org.config("declared", true);
    let (sim, client) = simulator(&org);
    let full = plan(
        &config,
        &read_by(&client, &config, InventoryStrategy::Provisioned).await,
        today(),
    )
    .unwrap();
    let account = org
        .snapshot
        .organization
        .accounts
        .iter()
        .map(|a| &a.id)
        .filter(|a| !full.creates().any(|c| c.account_id == **a))
        .max_by_key(|a| (depth(&org, a), provisioned(&org, a).len()))
        .unwrap()
        .clone();
    let before = sim.calls();
    let live = read_accounts(
        &client,
        &config,
        &[id(&account)],
        InventoryStrategy::Provisioned,
    )
    .await
    .unwrap();
    let to_read = Scope::of(&config, &live.permission_sets).to_read;
    let pairs = provisioned(&org, &account).intersection(&to_read).count() as u64;
    let levels = depth(&org, &account);
    assert!(levels >= 3 && pairs >= 2, "{levels} {pairs}");
    // Only the sets provisioned to the account are described.
    let sets = provisioned(&org, &account).len() as u64;
    let expected = [
        (Operation::ListInstances, 1),
        (Operation::ListPermissionSets, 1),
        (Operation::DescribePermissionSet, sets),
        // Once for the sets provisioned, once for those out of sync.
        (Operation::ListPermissionSetsProvisionedToAccount, 2),
        (Operation::ListAccountAssignments, pairs),
        (Operation::DescribeOrganization, 1),
        (Operation::DescribeAccount, 1),
        (Operation::ListParents, levels + 1),
        (Operation::DescribeOrganizationalUnit, levels),
        // The file has a rule by tag.
        (Operation::ListTagsForResource, 1),
        (Operation::GetCallerIdentity, 1),
    ];
    let calls: std::collections::BTreeMap<Operation, u64> = sim
        .calls()
        .into_iter()
        .map(|(op, n)| (op, n - before.get(&op).copied().unwrap_or(0)))
        .filter(|(_, n)| *n > 0)
        .collect();
    for (op, n) in expected {
        assert_eq!(calls.get(&op).copied().unwrap_or(0), n, "{op}");
    }
    for op in WHOLE_ORGANIZATION {
        assert_eq!(calls.get(&op), None, "{op}");
    }
    let principals = calls.get(&Operation::GetGroupId).copied().unwrap_or(0)
        + calls.get(&Operation::GetUserId).copied().unwrap_or(0);
    let names = ssomatrix_core::partial::principals_needed(&config, &live).len() as u64;
    assert!(
        principals == names && names < ssomatrix_core::scope::principal_names(&config).len() as u64,
        "{principals} lookups for {names} names"
    );
    assert!(live.assignments.iter().all(|a| a.account_id == account));
    assert!(live.org.accounts().map(|a| &a.id).eq([&account]));
}

#[tokio::test(start_paused = true)]
async fn an_account_that_is_not_there_or_a_name_shared_is_refused_with_the_fix() {
    let mut org = generate(OrgSpec::small());
    let shared = org.snapshot.organization.accounts[6].name.clone();
    org.snapshot.organization.accounts[5].name = shared.clone();
    let config = org.config("declared", true);
    let (_, client) = simulator(&org);
    let refusal = |accounts: Vec<AccountSelector>| {
        let client = &client;
        let config = &config;
        async move {
            match read_accounts(client, config, &accounts, InventoryStrategy::Provisioned).await {
                Err(EngineError::Select(e)) => e,
                other => panic!("{accounts:?} was not refused: {other:?}"),
            }
        }
    };
    let missing = AccountId::new("999999999999").unwrap();
    let e = refusal(vec![id(&missing)]).await;
    assert_eq!(e, SelectError::NoSuchId(missing));
    assert!(e.to_string().contains("check the id"), "{e}");

    let typo = format!("{}x", org.snapshot.organization.accounts[3].name);
    let e = refusal(vec![AccountSelector::Name(typo)]).await;
    let text = e.to_string();
    assert!(
        text.contains(&format!(
            "did you mean `{}`",
            org.snapshot.organization.accounts[3].name
        )),
        "{text}"
    );

    let e = refusal(vec![AccountSelector::Name(shared.clone())]).await;
    let SelectError::SharedName { name, ids } = &e else {
        panic!("{e:?}")
    };
    assert_eq!(name, &shared);
    let want: Vec<_> = org.snapshot.organization.accounts[5..7]
        .iter()
        .map(|a| a.id.clone())
        .collect();
    assert_eq!(ids, &want);
    assert!(e.to_string().contains("give the id"), "{e}");
}
