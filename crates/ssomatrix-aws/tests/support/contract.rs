//! The port contract as generic checks: each calls port methods and compares
//! the answers with the `Snapshot` the ports were seeded or loaded from.
//!
//! The same functions run against the AWS adapter over moto
//! (`contract_moto.rs`) and against the simulator (`contract_sim.rs`), so
//! the two implementations cannot drift apart unnoticed. Checks of behaviour
//! moto does not model are marked and run only where it is modelled.

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::time::Duration;

use ssomatrix_core::ids::{AccountId, AccountState, PermissionSetArn, PrincipalId, PrincipalType};
use ssomatrix_core::live::Assignment;
use ssomatrix_core::org::NodeId;
use ssomatrix_core::ports::Operation;
use ssomatrix_core::ports::{
    AccountInfo, AssignmentOperation, ErrorKind, IdentityStore, InstanceInfo, OperationState,
    OrgChild, Organizations, OuInfo, Page, PortResult, PrincipalRef, ProvisionTarget,
    ProvisioningFilter, SsoAdmin,
};
use ssomatrix_core::snapshot::Snapshot;

/// A listing that needs more pages than this has a token that repeats.
const MAX_PAGES: usize = 1000;
/// Status polls before an asynchronous operation counts as stuck.
const MAX_POLLS: usize = 100;
const POLL_INTERVAL: Duration = Duration::from_millis(50);
/// Organizations' page size: listings longer than this must take pages.
const ORG_PAGE: usize = 20;

/// Follows `next_token` to the end; returns the items and the page count.
pub async fn collect<T, F, Fut>(what: &str, mut call: F) -> (Vec<T>, usize)
where
    F: FnMut(Option<String>) -> Fut,
    Fut: Future<Output = PortResult<Page<T>>>,
{
    let mut items = Vec::new();
    let mut token = None;
    for pages in 1..=MAX_PAGES {
        let page = call(token.take())
            .await
            .unwrap_or_else(|e| panic!("{what}: {e}"));
        items.extend(page.items);
        match page.next_token {
            None => return (items, pages),
            Some(t) => token = Some(t),
        }
    }
    panic!("{what}: more than {MAX_PAGES} pages; is a next token repeating?")
}

fn sorted<T: Ord>(mut v: Vec<T>) -> Vec<T> {
    v.sort();
    v
}

fn min_pages(items: usize, page: usize) -> usize {
    items.div_ceil(page).max(1)
}

pub fn group_id(expected: &Snapshot, name: &str) -> PrincipalId {
    expected
        .groups
        .iter()
        .find(|g| g.name == name)
        .map(|g| g.id.clone())
        .unwrap_or_else(|| panic!("no group `{name}` in the snapshot"))
}

pub fn permission_set(expected: &Snapshot, name: &str) -> PermissionSetArn {
    expected
        .permission_sets
        .iter()
        .find(|p| p.name == name)
        .map(|p| p.arn.clone())
        .unwrap_or_else(|| panic!("no permission set `{name}` in the snapshot"))
}

pub fn account(expected: &Snapshot, name: &str) -> AccountId {
    expected
        .organization
        .accounts
        .iter()
        .find(|a| a.name == name)
        .map(|a| a.id.clone())
        .unwrap_or_else(|| panic!("no account `{name}` in the snapshot"))
}

/// Principals that assignments name but the store no longer has.
pub fn deleted_principals(expected: &Snapshot) -> BTreeSet<(PrincipalType, PrincipalId)> {
    let known: BTreeSet<_> = expected
        .groups
        .iter()
        .chain(&expected.users)
        .map(|p| &p.id)
        .collect();
    expected
        .assignments
        .iter()
        .filter(|a| !known.contains(&a.principal_id))
        .map(|a| (a.principal_type, a.principal_id.clone()))
        .collect()
}

/// ListInstances finds the one instance with its identity store.
pub async fn check_instance<S: SsoAdmin>(sso: &S, expected: &Snapshot) {
    let (instances, _) = collect("ListInstances", |t| sso.list_instances(t)).await;
    let found: Vec<_> = instances
        .iter()
        .map(|i: &InstanceInfo| (&i.instance_arn, &i.identity_store_id))
        .collect();
    assert_eq!(
        found,
        vec![(&expected.instance_arn, &expected.identity_store_id)]
    );
}

/// ListPermissionSets lists every set, DescribePermissionSet names each, and
/// an unknown ARN is NotFound.
pub async fn check_permission_sets<S: SsoAdmin>(sso: &S, expected: &Snapshot) {
    let instance = &expected.instance_arn;
    let (arns, _) = collect("ListPermissionSets", |t| {
        sso.list_permission_sets(instance, t)
    })
    .await;
    let want: Vec<_> = sorted(
        expected
            .permission_sets
            .iter()
            .map(|p| p.arn.clone())
            .collect(),
    );
    assert_eq!(sorted(arns), want);
    for p in &expected.permission_sets {
        let info = sso.describe_permission_set(instance, &p.arn).await.unwrap();
        assert_eq!((info.arn, info.name), (p.arn.clone(), p.name.clone()));
    }
    let unknown = PermissionSetArn::new(format!(
        "{}/ps-ffffffffffffffff",
        instance.as_str().replace(":instance/", ":permissionSet/")
    ))
    .unwrap();
    let err = sso
        .describe_permission_set(instance, &unknown)
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::NotFound, "{err}");
    assert_eq!(err.operation, Operation::DescribePermissionSet);
}

/// ListAccountAssignments returns, for every (account, permission set), the
/// principals the snapshot assigns there, deleted principals included.
pub async fn check_account_assignments<S: SsoAdmin>(sso: &S, expected: &Snapshot) {
    let instance = &expected.instance_arn;
    let mut want: BTreeMap<(&AccountId, &PermissionSetArn), Vec<PrincipalRef>> = BTreeMap::new();
    for a in &expected.assignments {
        want.entry((&a.account_id, &a.permission_set_arn))
            .or_default()
            .push(PrincipalRef {
                principal_type: a.principal_type,
                principal_id: a.principal_id.clone(),
            });
    }
    for account in &expected.organization.accounts {
        for p in &expected.permission_sets {
            let (principals, _) = collect("ListAccountAssignments", |t| {
                sso.list_account_assignments(instance, &account.id, &p.arn, t)
            })
            .await;
            let want = sorted(want.remove(&(&account.id, &p.arn)).unwrap_or_default());
            assert_eq!(
                sorted(principals),
                want,
                "assignments of {} in {}",
                p.name,
                account.name
            );
        }
    }
    assert!(
        want.is_empty(),
        "assignments outside the accounts: {want:?}"
    );
}

/// ListAccountAssignmentsForPrincipal returns every assignment of each
/// principal, of deleted ones too (asked by id), naming that principal; with
/// an account filter, only those in that account.
pub async fn check_assignments_for_principal<S: SsoAdmin>(sso: &S, expected: &Snapshot) {
    let instance = &expected.instance_arn;
    let mut principals: BTreeSet<(PrincipalType, PrincipalId)> = deleted_principals(expected);
    principals.extend(
        expected
            .groups
            .iter()
            .map(|g| (PrincipalType::Group, g.id.clone())),
    );
    principals.extend(
        expected
            .users
            .iter()
            .map(|u| (PrincipalType::User, u.id.clone())),
    );
    let mut filtered = 0;
    for (kind, id) in principals {
        let principal = PrincipalRef {
            principal_type: kind,
            principal_id: id.clone(),
        };
        let (found, _) = collect("ListAccountAssignmentsForPrincipal", |t| {
            sso.list_account_assignments_for_principal(instance, &principal, None, t)
        })
        .await;
        let want: Vec<Assignment> = expected
            .assignments
            .iter()
            .filter(|a| a.principal_type == kind && a.principal_id == id)
            .cloned()
            .collect();
        assert_eq!(
            sorted(found),
            sorted(want.clone()),
            "assignments of {kind} {id}"
        );
        if let Some(account) = want.first().map(|a| a.account_id.clone()) {
            let account = &account;
            let (in_account, _) = collect("ListAccountAssignmentsForPrincipal", |t| {
                sso.list_account_assignments_for_principal(instance, &principal, Some(account), t)
            })
            .await;
            let want_there: Vec<Assignment> = want
                .into_iter()
                .filter(|a| a.account_id == *account)
                .collect();
            assert_eq!(
                sorted(in_account),
                sorted(want_there),
                "assignments of {kind} {id} in {account}"
            );
            filtered += 1;
        }
    }
    assert!(
        filtered > 0,
        "no principal with an assignment to filter by account"
    );
}

/// Names resolve to ids and back; unknown names and deleted ids are `None`;
/// the listings hold every principal.
pub async fn check_identity_store<I: IdentityStore>(ids: &I, expected: &Snapshot) {
    let store = &expected.identity_store_id;
    for g in &expected.groups {
        assert_eq!(
            ids.get_group_id(store, &g.name).await.unwrap(),
            Some(g.id.clone()),
            "GetGroupId {}",
            g.name
        );
        assert_eq!(
            ids.describe_group(store, &g.id).await.unwrap(),
            Some(g.name.clone())
        );
    }
    for u in &expected.users {
        assert_eq!(
            ids.get_user_id(store, &u.name).await.unwrap(),
            Some(u.id.clone()),
            "GetUserId {}",
            u.name
        );
        assert_eq!(
            ids.describe_user(store, &u.id).await.unwrap(),
            Some(u.name.clone())
        );
    }
    assert_eq!(
        ids.get_group_id(store, "no-such-group").await.unwrap(),
        None
    );
    assert_eq!(ids.get_user_id(store, "no-such-user").await.unwrap(), None);
    let deleted = deleted_principals(expected);
    assert!(
        !deleted.is_empty(),
        "the snapshot has no deleted principal to check"
    );
    for (kind, id) in &deleted {
        let name = match kind {
            PrincipalType::Group => ids.describe_group(store, id).await.unwrap(),
            PrincipalType::User => ids.describe_user(store, id).await.unwrap(),
        };
        assert_eq!(name, None, "deleted {kind} {id} still has a name");
    }

    let (groups, _) = collect("ListGroups", |t| ids.list_groups(store, t)).await;
    let want: Vec<_> = expected
        .groups
        .iter()
        .map(|g| (g.id.clone(), g.name.clone()))
        .collect();
    assert_eq!(sorted(groups), sorted(want));
    let (users, _) = collect("ListUsers", |t| ids.list_users(store, t)).await;
    let want: Vec<_> = expected
        .users
        .iter()
        .map(|u| (u.id.clone(), u.name.clone()))
        .collect();
    assert_eq!(sorted(users), sorted(want));
    check_group_memberships(ids, expected).await;
}

/// `ListGroupMemberships` lists every group's member user ids, an empty
/// group none; the fixture has a user in two groups and an empty group.
async fn check_group_memberships<I: IdentityStore>(ids: &I, expected: &Snapshot) {
    let store = &expected.identity_store_id;
    let mut empty_seen = false;
    let mut in_two = BTreeMap::new();
    for g in &expected.groups {
        let Some(want) = &g.members else { continue };
        let (members, _) = collect("ListGroupMemberships", |t| {
            ids.list_group_memberships(store, &g.id, t)
        })
        .await;
        let got: BTreeSet<PrincipalId> = members.into_iter().collect();
        assert_eq!(&got, want, "members of {}", g.name);
        empty_seen |= got.is_empty();
        for m in got {
            *in_two.entry(m).or_insert(0) += 1;
        }
    }
    assert!(empty_seen, "the fixture has no empty group to check");
    assert!(
        in_two.values().any(|&n| n > 1),
        "the fixture has no user in two groups to check"
    );
}

/// The caller is the snapshot's `caller_account_id`, or the management
/// account when it has none (the fixture's organisation belongs to the
/// caller's own account).
pub async fn check_caller<C: ssomatrix_core::ports::Sts>(sts: &C, expected: &Snapshot) {
    let want = expected
        .caller_account_id
        .as_ref()
        .unwrap_or(&expected.organization.management_account_id);
    assert_eq!(sts.get_caller_identity().await.unwrap(), *want);
}

/// The tree read top-down (the way the engine reads it) equals the snapshot's:
/// the management account, the root, every OU and account with names and
/// states, pagination followed, and every account's tags.
pub async fn check_organization<O: Organizations>(org: &O, expected: &Snapshot) {
    let want_org = &expected.organization;
    assert_eq!(
        org.describe_organization().await.unwrap(),
        want_org.management_account_id
    );
    let (roots, _) = collect("ListRoots", |t| org.list_roots(t)).await;
    assert_eq!(roots, vec![want_org.root_id.clone()]);

    let mut frontier = vec![NodeId::Root(want_org.root_id.clone())];
    let mut visited = 0;
    while let Some(node) = frontier.pop() {
        visited += 1;
        assert!(
            visited <= want_org.organizational_units.len() + 1,
            "the walk visits more nodes than the tree has"
        );
        let (ous, ou_pages) = collect("ListOrganizationalUnitsForParent", |t| {
            org.list_organizational_units_for_parent(&node, t)
        })
        .await;
        let want_ous: Vec<_> = want_org
            .organizational_units
            .iter()
            .filter(|o| o.parent == node)
            .map(|o| OuInfo {
                id: o.id.clone(),
                name: o.name.clone(),
            })
            .collect();
        assert!(
            ou_pages >= min_pages(want_ous.len(), ORG_PAGE),
            "{} OUs under {node} came in {ou_pages} page(s)",
            want_ous.len()
        );
        let by_id = |v: &[OuInfo]| -> Vec<(String, String)> {
            sorted(
                v.iter()
                    .map(|o| (o.id.to_string(), o.name.clone()))
                    .collect(),
            )
        };
        assert_eq!(by_id(&ous), by_id(&want_ous), "OUs under {node}");
        frontier.extend(ous.into_iter().map(|o| NodeId::Ou(o.id)));

        let (accounts, account_pages) = collect("ListAccountsForParent", |t| {
            org.list_accounts_for_parent(&node, t)
        })
        .await;
        let want_accounts: Vec<_> = want_org
            .accounts
            .iter()
            .filter(|a| a.parent == node)
            .map(|a| (a.id.clone(), a.name.clone(), a.state))
            .collect();
        assert!(
            account_pages >= min_pages(want_accounts.len(), ORG_PAGE),
            "{} accounts in {node} came in {account_pages} page(s)",
            want_accounts.len()
        );
        let got: Vec<_> = accounts
            .into_iter()
            .map(|a: AccountInfo| (a.id, a.name, a.state))
            .collect();
        assert_eq!(sorted(got), sorted(want_accounts), "accounts in {node}");
    }
    assert_eq!(visited, want_org.organizational_units.len() + 1);

    for a in &want_org.accounts {
        let (tags, _) = collect("ListTagsForResource", |t| {
            org.list_tags_for_resource(&a.id, t)
        })
        .await;
        let tags: BTreeMap<_, _> = tags.into_iter().collect();
        assert_eq!(tags, a.tags, "tags of {}", a.name);
    }
}

/// The reads `--account` climbs the tree with equal the snapshot's: every
/// account found by `DescribeAccount` (name, state) and by `ListAccounts`
/// (pagination followed), the parent of every account and OU by
/// `ListParents`, every OU's name by `DescribeOrganizationalUnit`, and an
/// unknown account id answered as absent.
pub async fn check_account_lookups<O: Organizations>(org: &O, expected: &Snapshot) {
    let want_org = &expected.organization;
    let want: Vec<(AccountId, String, AccountState)> = want_org
        .accounts
        .iter()
        .map(|a| (a.id.clone(), a.name.clone(), a.state))
        .collect();
    let triple = |a: AccountInfo| (a.id, a.name, a.state);
    let (listed, pages) = collect("ListAccounts", |t| org.list_accounts(t)).await;
    assert!(
        pages >= min_pages(want.len(), ORG_PAGE),
        "{} accounts came in {pages} page(s)",
        want.len()
    );
    assert_eq!(
        sorted(listed.into_iter().map(triple).collect()),
        sorted(want.clone()),
        "ListAccounts"
    );
    for a in &want_org.accounts {
        let described = org.describe_account(&a.id).await.unwrap();
        assert_eq!(triple(described), (a.id.clone(), a.name.clone(), a.state));
        let child = OrgChild::Account(a.id.clone());
        let (parents, _) = collect("ListParents", |t| org.list_parents(&child, t)).await;
        assert_eq!(parents, vec![a.parent.clone()], "parent of {}", a.name);
    }
    for ou in &want_org.organizational_units {
        let described = org.describe_organizational_unit(&ou.id).await.unwrap();
        assert_eq!(
            (described.id, described.name),
            (ou.id.clone(), ou.name.clone())
        );
        let child = OrgChild::Ou(ou.id.clone());
        let (parents, _) = collect("ListParents", |t| org.list_parents(&child, t)).await;
        assert_eq!(parents, vec![ou.parent.clone()], "parent of {}", ou.name);
    }
    // One more candidate than there are accounts: one of them is free.
    let unknown = (0..=want_org.accounts.len() as u64)
        .map(|n| AccountId::new((100_000_000_000 + n).to_string()).unwrap())
        .find(|id| want_org.accounts.iter().all(|a| a.id != *id))
        .unwrap();
    let e = org.describe_account(&unknown).await.unwrap_err();
    assert!(e.is_absent(), "DescribeAccount {unknown}: {e:?}");
}

/// Polls a Describe…Status call until the operation leaves IN_PROGRESS.
async fn settle<F, Fut>(what: &str, mut describe: F) -> AssignmentOperation
where
    F: FnMut() -> Fut,
    Fut: Future<Output = PortResult<AssignmentOperation>>,
{
    for _ in 0..MAX_POLLS {
        let op = describe().await.unwrap_or_else(|e| panic!("{what}: {e}"));
        if op.state != OperationState::InProgress {
            return op;
        }
        tokio::time::sleep(POLL_INTERVAL).await;
    }
    panic!("{what}: still IN_PROGRESS after {MAX_POLLS} polls")
}

async fn principals_in<S: SsoAdmin>(
    sso: &S,
    expected: &Snapshot,
    account: &AccountId,
    ps: &PermissionSetArn,
) -> Vec<PrincipalRef> {
    let (principals, _) = collect("ListAccountAssignments", |t| {
        sso.list_account_assignments(&expected.instance_arn, account, ps, t)
    })
    .await;
    principals
}

/// The request ids of what `check_assignment_lifecycle` did.
#[derive(Debug)]
pub struct Lifecycle {
    pub created: String,
    pub deleted: Vec<String>,
    /// The seeded assignment of a deleted principal that was deleted.
    pub orphan: Assignment,
}

/// Creates a new assignment, waits for SUCCEEDED, sees it listed, deletes it
/// and an assignment of a deleted principal, and sees both gone.
pub async fn check_assignment_lifecycle<S: SsoAdmin>(sso: &S, expected: &Snapshot) -> Lifecycle {
    let instance = &expected.instance_arn;
    let new = Assignment {
        account_id: account(expected, "nonprod-02"),
        permission_set_arn: permission_set(expected, "BillingViewer"),
        principal_type: PrincipalType::Group,
        principal_id: group_id(expected, ssomatrix_testkit::fixture::GROUP_FINOPS),
    };
    let principal = PrincipalRef {
        principal_type: new.principal_type,
        principal_id: new.principal_id.clone(),
    };
    assert!(
        !principals_in(sso, expected, &new.account_id, &new.permission_set_arn)
            .await
            .contains(&principal)
    );

    let created = sso.create_account_assignment(instance, &new).await.unwrap();
    assert!(!created.request_id.is_empty());
    assert_ne!(created.state, OperationState::Failed, "{created:?}");
    let done = settle("DescribeAccountAssignmentCreationStatus", || {
        sso.describe_account_assignment_creation_status(instance, &created.request_id)
    })
    .await;
    assert_eq!(done.state, OperationState::Succeeded, "{done:?}");
    assert_eq!(done.request_id, created.request_id);
    assert!(
        principals_in(sso, expected, &new.account_id, &new.permission_set_arn)
            .await
            .contains(&principal)
    );

    let orphan = expected
        .assignments
        .iter()
        .find(|a| {
            deleted_principals(expected).contains(&(a.principal_type, a.principal_id.clone()))
        })
        .expect("the snapshot assigns a deleted principal")
        .clone();
    let mut deleted = Vec::new();
    for gone in [&new, &orphan] {
        let op = sso.delete_account_assignment(instance, gone).await.unwrap();
        assert!(!op.request_id.is_empty());
        assert_ne!(op.state, OperationState::Failed, "{op:?}");
        let done = settle("DescribeAccountAssignmentDeletionStatus", || {
            sso.describe_account_assignment_deletion_status(instance, &op.request_id)
        })
        .await;
        assert_eq!(done.state, OperationState::Succeeded, "{done:?}");
        let left = principals_in(sso, expected, &gone.account_id, &gone.permission_set_arn).await;
        assert!(
            !left.iter().any(|p| p.principal_id == gone.principal_id),
            "{gone:?} is still listed after its deletion succeeded"
        );
        deleted.push(op.request_id);
    }
    Lifecycle {
        created: created.request_id,
        deleted,
        orphan,
    }
}

/// List…Status report the lifecycle's requests as SUCCEEDED, and filters
/// select by state. (moto does not implement these two operations.)
pub async fn check_status_lists<S: SsoAdmin>(sso: &S, expected: &Snapshot, done: &Lifecycle) {
    let instance = &expected.instance_arn;
    let (all, _) = collect("ListAccountAssignmentCreationStatus", |t| {
        sso.list_account_assignment_creation_status(instance, None, t)
    })
    .await;
    assert!(
        all.iter()
            .any(|o| o.request_id == done.created && o.state == OperationState::Succeeded),
        "creation {} not listed as SUCCEEDED: {all:?}",
        done.created
    );
    let (failed, _) = collect("ListAccountAssignmentCreationStatus", |t| {
        sso.list_account_assignment_creation_status(instance, Some(OperationState::Failed), t)
    })
    .await;
    assert!(failed.iter().all(|o| o.state == OperationState::Failed));
    assert!(!failed.iter().any(|o| o.request_id == done.created));

    let (succeeded, _) = collect("ListAccountAssignmentDeletionStatus", |t| {
        sso.list_account_assignment_deletion_status(instance, Some(OperationState::Succeeded), t)
    })
    .await;
    assert!(
        succeeded
            .iter()
            .all(|o| o.state == OperationState::Succeeded)
    );
    for id in &done.deleted {
        assert!(
            succeeded.iter().any(|o| &o.request_id == id),
            "deletion {id} not listed as SUCCEEDED"
        );
    }
}

/// ProvisionPermissionSet accepts a request and returns its id. Returns the
/// request id for the status check where that is modelled.
pub async fn check_provision<S: SsoAdmin>(sso: &S, expected: &Snapshot) -> String {
    let ps = permission_set(expected, "AppDeveloper");
    let target = ProvisionTarget::Account(account(expected, "nonprod-01"));
    let op = sso
        .provision_permission_set(&expected.instance_arn, &ps, &target)
        .await
        .unwrap();
    assert!(!op.request_id.is_empty());
    assert_ne!(op.state, OperationState::Failed, "{op:?}");
    let all = sso
        .provision_permission_set(
            &expected.instance_arn,
            &ps,
            &ProvisionTarget::AllProvisionedAccounts,
        )
        .await
        .unwrap();
    assert!(!all.request_id.is_empty());
    op.request_id
}

/// DescribePermissionSetProvisioningStatus settles on SUCCEEDED. (moto does
/// not implement it.)
pub async fn check_provisioning_status<S: SsoAdmin>(sso: &S, expected: &Snapshot, request: &str) {
    for _ in 0..MAX_POLLS {
        let op = sso
            .describe_permission_set_provisioning_status(&expected.instance_arn, request)
            .await
            .unwrap();
        assert_eq!(op.request_id, request);
        match op.state {
            OperationState::InProgress => tokio::time::sleep(POLL_INTERVAL).await,
            OperationState::Succeeded => return,
            OperationState::Failed => panic!("provisioning failed: {op:?}"),
        }
    }
    panic!("provisioning {request} still IN_PROGRESS after {MAX_POLLS} polls")
}

/// AWS semantics of the provisioned listings: a permission set assigned in
/// an account is provisioned there, and both listings say so; accounts where
/// it is out of date are listed by the NOT_PROVISIONED filter. (moto answers
/// with the caller's account only; see contract_moto.rs.)
pub async fn check_provisioned_listings<S: SsoAdmin>(sso: &S, expected: &Snapshot) {
    let instance = &expected.instance_arn;
    let mut by_ps: BTreeMap<&PermissionSetArn, BTreeSet<AccountId>> = BTreeMap::new();
    let mut by_account: BTreeMap<&AccountId, BTreeSet<PermissionSetArn>> = BTreeMap::new();
    for a in &expected.assignments {
        by_ps
            .entry(&a.permission_set_arn)
            .or_default()
            .insert(a.account_id.clone());
        by_account
            .entry(&a.account_id)
            .or_default()
            .insert(a.permission_set_arn.clone());
    }
    for (ps, accounts) in &by_ps {
        let (listed, _) = collect("ListAccountsForProvisionedPermissionSet", |t| {
            sso.list_accounts_for_provisioned_permission_set(instance, ps, None, t)
        })
        .await;
        let listed: BTreeSet<_> = listed.into_iter().collect();
        assert!(
            listed.is_superset(accounts),
            "{ps}: {listed:?} lacks some of {accounts:?}"
        );
    }
    for (account, sets) in &by_account {
        let (listed, _) = collect("ListPermissionSetsProvisionedToAccount", |t| {
            sso.list_permission_sets_provisioned_to_account(instance, account, None, t)
        })
        .await;
        let listed: BTreeSet<_> = listed.into_iter().collect();
        assert!(
            listed.is_superset(sets),
            "{account}: {listed:?} lacks some of {sets:?}"
        );
    }
    for p in &expected.permission_sets {
        if p.not_provisioned_accounts.is_empty() {
            continue;
        }
        let (listed, _) = collect("ListAccountsForProvisionedPermissionSet", |t| {
            sso.list_accounts_for_provisioned_permission_set(
                instance,
                &p.arn,
                Some(ProvisioningFilter::LatestNotProvisioned),
                t,
            )
        })
        .await;
        let listed: BTreeSet<_> = listed.into_iter().collect();
        assert_eq!(
            listed, p.not_provisioned_accounts,
            "{} not provisioned",
            p.name
        );
    }
}
