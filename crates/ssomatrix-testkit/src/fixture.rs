//! The organization the contract tests describe, as a core `Snapshot`: what
//! moto is seeded with and what the simulator is loaded from.
//!
//! Its ids are placeholders: moto makes up its own, and the seeder returns
//! the snapshot with moto's ids in their place.

use std::collections::BTreeMap;

use ssomatrix_core::ids::{
    AccountId, AccountState, IdentityStoreId, InstanceArn, OuId, PermissionSetArn, PrincipalId,
    PrincipalType, RootId,
};
use ssomatrix_core::live::Assignment;
use ssomatrix_core::org::NodeId;
use ssomatrix_core::snapshot::{
    SNAPSHOT_FORMAT_VERSION, Snapshot, SnapshotAccount, SnapshotOrganization, SnapshotOu,
    SnapshotPermissionSet, SnapshotPrincipal,
};

pub const ROOT: &str = "r-ab12";
/// moto names the management account `master`; the fixture does the same so
/// that the seeded snapshot differs from this one in ids only.
pub const MANAGEMENT_NAME: &str = "master";
/// More than one page (20) of accounts in one OU.
pub const NONPROD_ACCOUNTS: usize = 23;
/// More than one page (20) of OUs under one parent.
pub const TEAM_OUS: usize = 21;

pub const GROUP_TEAM_A: &str = "aws-team-a-engineers";
pub const GROUP_FINOPS: &str = "aws-finops";
pub const GROUP_ADMINS: &str = "aws-platform-admins";
pub const USER_ALICE: &str = "alice";
pub const USER_BOB: &str = "bob";

/// Principal ids that assignments name but that are in neither `groups` nor
/// `users`: principals deleted after they were assigned.
pub const DELETED_GROUP: &str = "deleted-group-0001";
pub const DELETED_USER: &str = "deleted-user-0001";

/// A placeholder OU id, numbered.
pub fn ou_id(n: usize) -> OuId {
    OuId::new(format!("ou-ab12-{n:08}")).unwrap()
}

/// A placeholder account id, numbered.
pub fn account_id(n: usize) -> AccountId {
    AccountId::new(format!("{n:012}")).unwrap()
}

/// A placeholder permission set ARN, numbered.
pub fn ps_arn(n: usize) -> PermissionSetArn {
    PermissionSetArn::new(format!(
        "arn:aws:sso:::permissionSet/ssoins-0000000000000001/ps-{n:016}"
    ))
    .unwrap()
}

/// A group or user with a placeholder id.
pub fn principal(id: &str, name: &str) -> SnapshotPrincipal {
    SnapshotPrincipal::new(PrincipalId::new(id).unwrap(), name)
}

/// OU number `n` (id from [`ou_id`]) under `parent`.
pub fn ou(n: usize, name: &str, parent: NodeId) -> SnapshotOu {
    SnapshotOu {
        id: ou_id(n),
        name: name.to_owned(),
        parent,
    }
}

/// Account number `n` (id from [`account_id`]) under `parent`, untagged.
pub fn account(n: usize, name: &str, parent: &NodeId, state: AccountState) -> SnapshotAccount {
    SnapshotAccount {
        id: account_id(n),
        name: name.to_owned(),
        state,
        parent: parent.clone(),
        tags: BTreeMap::new(),
    }
}

/// Workloads/{NonProd (23 accounts), Prod/Critical}, Sandbox (one account
/// suspended), Teams/{21 empty OUs}, the management account and an audit
/// account at the root; three groups, two users, three permission sets, and
/// assignments including two for deleted principals.
pub fn spec() -> Snapshot {
    let root = NodeId::Root(RootId::new(ROOT).unwrap());
    let workloads = NodeId::Ou(ou_id(1));
    let nonprod = NodeId::Ou(ou_id(2));
    let prod = NodeId::Ou(ou_id(3));
    let critical = NodeId::Ou(ou_id(4));
    let sandbox = NodeId::Ou(ou_id(5));
    let teams = NodeId::Ou(ou_id(6));

    let mut ous = vec![
        ou(1, "Workloads", root.clone()),
        ou(2, "NonProd", workloads.clone()),
        ou(3, "Prod", workloads.clone()),
        ou(4, "Critical", prod.clone()),
        ou(5, "Sandbox", root.clone()),
        ou(6, "Teams", root.clone()),
    ];
    for t in 1..=TEAM_OUS {
        ous.push(ou(100 + t, &format!("team-{t:02}"), teams.clone()));
    }

    let management = account(1, MANAGEMENT_NAME, &root, AccountState::Active);
    let mut audit = account(2, "audit", &root, AccountState::Active);
    audit.tags.insert("owner".into(), "security".into());
    let mut accounts = vec![management, audit];
    for n in 1..=NONPROD_ACCOUNTS {
        accounts.push(account(
            100 + n,
            &format!("nonprod-{n:02}"),
            &nonprod,
            AccountState::Active,
        ));
    }
    for n in 1..=2 {
        let mut a = account(
            200 + n,
            &format!("prod-{n:02}"),
            &prod,
            AccountState::Active,
        );
        a.tags.insert("env".into(), "prod".into());
        a.tags.insert("team".into(), "a".into());
        accounts.push(a);
    }
    accounts.push(account(301, "critical-01", &critical, AccountState::Active));
    accounts.push(account(401, "sandbox-01", &sandbox, AccountState::Active));
    accounts.push(account(
        402,
        "sandbox-02",
        &sandbox,
        AccountState::Suspended,
    ));

    let users = vec![
        principal("00000000-0000-0000-0000-0000000000a1", USER_ALICE),
        principal("00000000-0000-0000-0000-0000000000b1", USER_BOB),
    ];
    // Alice is in two groups, bob in one, and the admins group is empty.
    let with_members = |mut g: SnapshotPrincipal, members: &[&SnapshotPrincipal]| {
        g.members = Some(members.iter().map(|u| u.id.clone()).collect());
        g
    };
    let groups = vec![
        with_members(
            principal("00000000-0000-0000-0000-00000000000a", GROUP_TEAM_A),
            &[&users[0], &users[1]],
        ),
        with_members(
            principal("00000000-0000-0000-0000-00000000000b", GROUP_FINOPS),
            &[&users[0]],
        ),
        with_members(
            principal("00000000-0000-0000-0000-00000000000c", GROUP_ADMINS),
            &[],
        ),
    ];
    let (app_dev, billing, admin) = (ps_arn(1), ps_arn(2), ps_arn(3));
    let permission_sets = vec![
        SnapshotPermissionSet {
            arn: app_dev.clone(),
            name: "AppDeveloper".into(),
            not_provisioned_accounts: Default::default(),
        },
        SnapshotPermissionSet {
            arn: billing.clone(),
            name: "BillingViewer".into(),
            not_provisioned_accounts: Default::default(),
        },
        SnapshotPermissionSet {
            arn: admin.clone(),
            name: "AdministratorAccess".into(),
            not_provisioned_accounts: Default::default(),
        },
    ];

    let assign =
        |account: usize, ps: &PermissionSetArn, kind: PrincipalType, id: &PrincipalId| Assignment {
            account_id: account_id(account),
            permission_set_arn: ps.clone(),
            principal_type: kind,
            principal_id: id.clone(),
        };
    let (team_a, finops, admins) = (&groups[0].id, &groups[1].id, &groups[2].id);
    let alice = &users[0].id;
    let deleted_group = PrincipalId::new(DELETED_GROUP).unwrap();
    let deleted_user = PrincipalId::new(DELETED_USER).unwrap();
    let mut assignments = Vec::new();
    for n in 1..=NONPROD_ACCOUNTS {
        assignments.push(assign(100 + n, &app_dev, PrincipalType::Group, team_a));
    }
    for a in [1, 201, 202] {
        assignments.push(assign(a, &billing, PrincipalType::Group, finops));
    }
    for a in [2, 301] {
        assignments.push(assign(a, &admin, PrincipalType::Group, admins));
    }
    assignments.push(assign(101, &app_dev, PrincipalType::Group, admins));
    assignments.push(assign(401, &admin, PrincipalType::User, alice));
    assignments.push(assign(201, &app_dev, PrincipalType::Group, &deleted_group));
    assignments.push(assign(101, &billing, PrincipalType::User, &deleted_user));

    let mut snapshot = Snapshot {
        format_version: SNAPSHOT_FORMAT_VERSION,
        instance_arn: InstanceArn::new("arn:aws:sso:::instance/ssoins-0000000000000001").unwrap(),
        identity_store_id: IdentityStoreId::new("d-0000000001").unwrap(),
        caller_account_id: None,
        organization: SnapshotOrganization {
            root_id: RootId::new(ROOT).unwrap(),
            management_account_id: account_id(1),
            organizational_units: ous,
            accounts,
        },
        groups,
        users,
        permission_sets,
        assignments,
    };
    snapshot.sort();
    snapshot
}
