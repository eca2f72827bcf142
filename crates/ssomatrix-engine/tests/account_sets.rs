//! How the per-account read (`--account`) names permission sets: it
//! describes the sets of the named accounts and of a few of their siblings
//! and stops once the file's names for those accounts are found, so a new
//! account in a large instance costs a handful of describes, not one per
//! set; what it keeps does not depend on the order describes finish; and
//! the checks that need every set (an unknown name, an exclude pattern that
//! matches nothing) still give the full plan's answer.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use ssomatrix_core::config::{Config, Located};
use ssomatrix_core::ids::{AccountId, AccountState, PermissionSetArn};
use ssomatrix_core::live::LiveState;
use ssomatrix_core::org::NodeId;
use ssomatrix_core::partial::{AccountSelector, permission_sets_needed};
use ssomatrix_core::plan::{Change, PlanError, fingerprint, plan};
use ssomatrix_core::ports::Operation;
use ssomatrix_core::snapshot::SnapshotAccount;
use ssomatrix_engine::accounts::read_accounts_live_state;
use ssomatrix_engine::inventory::Progress;
use ssomatrix_engine::{Budget, InventoryStrategy};
use ssomatrix_sim::Simulator;
use ssomatrix_testkit::org::Size;
use support::{Org, OrgSpec, SimClient, client_with, generate, options, read_by, today};

const NEW: &str = "999999999999";
/// Permission sets in the instance: many more than the file names.
const SETS: usize = 40;

/// Scattered assignments, nested OUs, tags, users, deleted principals.
fn scattered() -> Org {
    generate(OrgSpec::scattered(90, SETS, 24, 4, 7))
}

/// An organisation whose live state is what its file wants (less a few
/// assignments, plus click-ops): accounts beside each other hold the same
/// sets, as in a real organisation.
fn as_filed() -> (Org, Config) {
    let size = Size {
        name: "sets",
        accounts: 120,
        permission_sets: SETS,
        groups: 30,
    };
    let org = generate(OrgSpec::sized(size, 7));
    let config = org.file.as_ref().unwrap().config.clone();
    (org, config)
}

/// `org` with an ACTIVE account `NEW`, holding nothing, under `parent` (by
/// default beside the account that holds the most).
fn with_new_account(mut org: Org, parent: Option<NodeId>) -> Org {
    let s = &org.snapshot;
    let busiest = s
        .organization
        .accounts
        .iter()
        .filter(|a| matches!(a.parent, NodeId::Ou(_)))
        .max_by_key(|a| {
            s.assignments
                .iter()
                .filter(|x| x.account_id == a.id)
                .count()
        })
        .unwrap()
        .clone();
    org.snapshot.organization.accounts.push(SnapshotAccount {
        id: AccountId::new(NEW).unwrap(),
        name: "new-team-account".to_owned(),
        state: AccountState::Active,
        parent: parent.unwrap_or(busiest.parent),
        tags: busiest.tags,
    });
    org
}

fn simulator(org: &Org, budget: Budget) -> (Simulator, SimClient) {
    let sim = Simulator::from_snapshot(org.snapshot.clone()).unwrap();
    let client = client_with(&sim, budget);
    (sim, client)
}

async fn read_new(client: &SimClient, config: &Config) -> LiveState {
    read_accounts_live_state(
        client,
        config,
        &[AccountSelector::Id(AccountId::new(NEW).unwrap())],
        &options(InventoryStrategy::Provisioned),
        false,
        &Progress::default(),
    )
    .await
    .unwrap()
}

/// The full plan's changes in `NEW`, and the partial plan's.
async fn both_plans(org: &Org, config: &Config) -> (Vec<Change>, Vec<Change>) {
    let (_, client) = simulator(org, Budget::unlimited());
    let full = plan(
        config,
        &read_by(&client, config, InventoryStrategy::Provisioned).await,
        today(),
    )
    .unwrap();
    let want = full
        .changes
        .into_iter()
        .filter(|c| c.account_id.as_str() == NEW)
        .collect();
    let partial = plan(config, &read_new(&client, config).await, today()).unwrap();
    (want, partial.changes)
}

#[tokio::test(start_paused = true)]
async fn a_new_account_names_its_sets_from_its_siblings_not_from_every_set() {
    let (org, config) = as_filed();
    let org = with_new_account(org, None);
    let (want, got) = both_plans(&org, &config).await;
    assert!(!want.is_empty(), "the new account should get access");
    assert_eq!(got, want);

    let (sim, client) = simulator(&org, Budget::unlimited());
    let live = read_new(&client, &config).await;
    let needed = permission_sets_needed(&config, &live);
    let described = sim.calls_of(Operation::DescribePermissionSet) as usize;
    assert!(!needed.is_empty());
    // Each needed name once, plus what the siblings hold that the file
    // does not name for this account: far from one per set.
    assert!(
        described >= needed.len() && described <= SETS / 4,
        "{described} describes for {} names among {SETS} sets: {needed:?} {:?}",
        needed.len(),
        sim.calls()
    );
    // One page of the parent's accounts; the organization is not walked.
    assert_eq!(sim.calls_of(Operation::ListAccountsForParent), 1);
    assert_eq!(sim.calls_of(Operation::ListOrganizationalUnitsForParent), 0);
    let found: Vec<&String> = live.permission_sets.values().collect();
    assert!(needed.iter().all(|n| found.contains(&n)), "{needed:?}");
}

#[tokio::test(start_paused = true)]
async fn an_account_with_no_siblings_still_finds_every_set_it_needs() {
    // Under the root, beside the management account: no sibling holds the
    // sets the file gives it, so the read must look further.
    let org = scattered();
    let root = NodeId::Root(org.snapshot.organization.root_id.clone());
    let org = with_new_account(org, Some(root));
    let config = org.config("declared", true);
    let (want, got) = both_plans(&org, &config).await;
    assert!(
        !want.is_empty(),
        "the root rule gives the new account access"
    );
    assert_eq!(got, want);
}

/// `config` with `scope.exclude` patterns.
fn excluding(mut config: Config, patterns: &[&str]) -> Config {
    config.scope.exclude = patterns
        .iter()
        .map(|p| Located {
            value: (*p).to_owned(),
            line: None,
        })
        .collect();
    config
}

#[tokio::test(start_paused = true)]
async fn what_the_read_keeps_does_not_depend_on_the_order_describes_finish() {
    let org = with_new_account(scattered(), None);
    // A pattern that only the instance's last set matches: the read must
    // describe past every name the account needs to find it.
    let last = org.snapshot.permission_sets.last().unwrap().name.clone();
    let config = excluding(org.config("all", true), &[&last]);
    let mut seen: Vec<(Vec<(PermissionSetArn, String)>, String)> = Vec::new();
    for concurrency in [1, 3, 10, 64] {
        let budget = Budget {
            concurrency,
            ..Budget::unlimited()
        };
        let (_, client) = simulator(&org, budget);
        let live = read_new(&client, &config).await;
        assert!(
            live.permission_sets.values().any(|n| *n == last),
            "the pattern's set is kept"
        );
        assert!(live.permission_sets.len() < SETS);
        let sets = live.permission_sets.clone().into_iter().collect();
        seen.push((sets, fingerprint(&config, &live)));
    }
    // Nor on what the siblings hold: with every sibling emptied, the names
    // are found in the windows instead, and the same sets are kept.
    let mut bare = org.clone();
    let parent = |id: &AccountId| {
        org.snapshot
            .organization
            .accounts
            .iter()
            .find(|a| a.id == *id)
            .map(|a| a.parent.clone())
    };
    let new_parent = parent(&AccountId::new(NEW).unwrap());
    bare.snapshot
        .assignments
        .retain(|a| parent(&a.account_id) != new_parent);
    let (_, client) = simulator(&bare, Budget::unlimited());
    let live = read_new(&client, &config).await;
    let sets = live.permission_sets.clone().into_iter().collect();
    seen.push((sets, fingerprint(&config, &live)));
    assert!(seen.windows(2).all(|w| w[0] == w[1]), "{seen:#?}");
    let (want, got) = both_plans(&org, &config).await;
    assert_eq!(got, want);
}

/// A pattern that matches a set the account needs and others: whether the
/// siblings held the needed set (found first) or not (found in a window
/// after others that match), the same sets are kept.
#[tokio::test(start_paused = true)]
async fn a_pattern_that_also_matches_a_needed_set_keeps_the_same_sets_either_way() {
    let (org, config) = as_filed();
    let org = with_new_account(org, None);
    let (_, client) = simulator(&org, Budget::unlimited());
    let needed = permission_sets_needed(&config, &read_new(&client, &config).await);
    // The needed set with the highest ARN, so that others matching the
    // pattern come in windows before it.
    let (_, name) = org
        .snapshot
        .permission_sets
        .iter()
        .filter(|p| needed.contains(&p.name))
        .map(|p| (p.arn.clone(), p.name.clone()))
        .max()
        .unwrap();
    let pattern = format!("{}*", &name[..1]);
    let matching = org
        .snapshot
        .permission_sets
        .iter()
        .filter(|p| p.name.starts_with(&name[..1]))
        .count();
    assert!(matching > 1, "`{pattern}` should match more than `{name}`");
    let config = excluding(config, &[&pattern]);
    let mut bare = org.clone();
    let new_parent = org
        .snapshot
        .organization
        .accounts
        .last()
        .unwrap()
        .parent
        .clone();
    let parents: std::collections::BTreeMap<_, _> = org
        .snapshot
        .organization
        .accounts
        .iter()
        .map(|a| (a.id.clone(), a.parent.clone()))
        .collect();
    bare.snapshot
        .assignments
        .retain(|a| parents.get(&a.account_id) != Some(&new_parent));
    let mut seen = Vec::new();
    for o in [&org, &bare] {
        let (_, client) = simulator(o, Budget::unlimited());
        let live = read_new(&client, &config).await;
        seen.push((live.permission_sets.clone(), fingerprint(&config, &live)));
    }
    assert_eq!(seen[0], seen[1]);
}

#[tokio::test(start_paused = true)]
async fn an_exclude_pattern_that_matches_no_set_is_refused_as_the_full_plan_refuses_it() {
    let org = with_new_account(scattered(), None);
    let config = excluding(org.config("all", true), &["NoSuchSet*"]);
    let (_, client) = simulator(&org, Budget::unlimited());
    let full = plan(
        &config,
        &read_by(&client, &config, InventoryStrategy::Provisioned).await,
        today(),
    );
    let partial = plan(&config, &read_new(&client, &config).await, today());
    let message = |r: Result<_, PlanError>| match r {
        Err(e) => e.to_string(),
        Ok(_) => panic!("a pattern that matches nothing must be refused with scope: all"),
    };
    let (full, partial) = (message(full), message(partial));
    assert!(
        full.contains("`NoSuchSet*` matches no permission set"),
        "{full}"
    );
    assert_eq!(partial, full);
}

#[tokio::test(start_paused = true)]
async fn an_unknown_set_in_a_rule_of_the_account_is_refused_with_a_suggestion() {
    let org = with_new_account(scattered(), None);
    let mut config = org.config("declared", true);
    // The root rule selects every account, the new one included.
    let name = &mut config.rules[0].permission_sets[0].value;
    let typo = format!("{name}x");
    *name = typo.clone();
    let (_, client) = simulator(&org, Budget::unlimited());
    let text = match plan(&config, &read_new(&client, &config).await, today()) {
        Err(e) => e.to_string(),
        Ok(_) => panic!("`{typo}` is no permission set of the instance"),
    };
    assert!(
        text.contains(&typo) && text.contains("did you mean"),
        "{text}"
    );
}
