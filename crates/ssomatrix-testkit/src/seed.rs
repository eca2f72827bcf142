//! Seeds a moto server from a core `Snapshot` through the SDK, and returns the
//! same snapshot with moto's ids in place of the placeholders.
//!
//! moto makes up every id (accounts, OUs, groups, permission set ARNs, the
//! instance), so a test cannot choose them; it compares against the returned
//! snapshot instead. Deleted principals are made as real ones, assigned, and
//! deleted afterwards, which is how they arise in AWS too.

use std::collections::{BTreeMap, BTreeSet};

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_identitystore as identitystore;
use aws_sdk_organizations as organizations;
use aws_sdk_ssoadmin as ssoadmin;
use aws_sdk_ssoadmin::config::{Credentials, SharedCredentialsProvider};
use ssomatrix_core::ids::{
    AccountId, AccountState, IdentityStoreId, InstanceArn, OuId, PermissionSetArn, PrincipalId,
    PrincipalType, RootId,
};
use ssomatrix_core::org::NodeId;
use ssomatrix_core::snapshot::Snapshot;

/// Static test credentials, us-east-1, every service at `endpoint`.
pub fn sdk_config(endpoint: &str) -> SdkConfig {
    SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
            "testing", "testing", None, None, "moto",
        )))
        .build()
}

fn principal_type(kind: PrincipalType) -> ssoadmin::types::PrincipalType {
    match kind {
        PrincipalType::Group => ssoadmin::types::PrincipalType::Group,
        PrincipalType::User => ssoadmin::types::PrincipalType::User,
    }
}

/// Creates everything `spec` describes in the moto server at `endpoint` and
/// returns `spec` with moto's ids. Panics on what moto cannot model.
pub async fn seed_moto(endpoint: &str, spec: &Snapshot) -> Snapshot {
    let config = sdk_config(endpoint);
    let org = organizations::Client::new(&config);
    let sso = ssoadmin::Client::new(&config);
    let ids = identitystore::Client::new(&config);
    let mut actual = spec.clone();

    // Organization: moto's management account is the caller's, named
    // `master`, in the root.
    let created = org
        .create_organization()
        .feature_set(organizations::types::OrganizationFeatureSet::All)
        .send()
        .await
        .unwrap();
    let management = created
        .organization()
        .and_then(|o| o.master_account_id())
        .unwrap()
        .to_owned();
    let roots = org.list_roots().send().await.unwrap();
    let root = roots.roots()[0].id().unwrap().to_owned();
    let spec_org = &spec.organization;
    let spec_management = spec_org
        .accounts
        .iter()
        .find(|a| a.id == spec_org.management_account_id)
        .expect("the spec names its management account among its accounts");
    assert_eq!(spec_management.name, crate::fixture::MANAGEMENT_NAME);
    assert!(matches!(spec_management.parent, NodeId::Root(_)));

    let mut node_ids: BTreeMap<NodeId, NodeId> = BTreeMap::new();
    node_ids.insert(
        NodeId::Root(spec_org.root_id.clone()),
        NodeId::Root(RootId::new(&root).unwrap()),
    );
    // Parents before children: each round creates the OUs whose parent
    // exists; a tree needs at most as many rounds as it has OUs.
    let mut pending: Vec<_> = spec_org.organizational_units.iter().collect();
    for _ in 0..=spec_org.organizational_units.len() {
        if pending.is_empty() {
            break;
        }
        let (ready, waiting): (Vec<_>, Vec<_>) = pending
            .into_iter()
            .partition(|o| node_ids.contains_key(&o.parent));
        for o in ready {
            let out = org
                .create_organizational_unit()
                .parent_id(node_ids[&o.parent].as_str())
                .name(&o.name)
                .send()
                .await
                .unwrap();
            let id = out.organizational_unit().unwrap().id().unwrap();
            node_ids.insert(NodeId::Ou(o.id.clone()), NodeId::Ou(OuId::new(id).unwrap()));
        }
        pending = waiting;
    }
    assert!(pending.is_empty(), "the spec's OUs do not form a tree");

    let mut account_ids: BTreeMap<AccountId, AccountId> = BTreeMap::new();
    account_ids.insert(
        spec_org.management_account_id.clone(),
        AccountId::new(&management).unwrap(),
    );
    for a in &spec_org.accounts {
        if a.id == spec_org.management_account_id {
            for (k, v) in &a.tags {
                org.tag_resource()
                    .resource_id(&management)
                    .tags(
                        organizations::types::Tag::builder()
                            .key(k)
                            .value(v)
                            .build()
                            .unwrap(),
                    )
                    .send()
                    .await
                    .unwrap();
            }
            continue;
        }
        let mut request = org
            .create_account()
            .account_name(&a.name)
            .email(format!("{}@example.com", a.name));
        for (k, v) in &a.tags {
            request = request.tags(
                organizations::types::Tag::builder()
                    .key(k)
                    .value(v)
                    .build()
                    .unwrap(),
            );
        }
        let out = request.send().await.unwrap();
        // moto creates accounts at once (SUCCEEDED); AWS would need polling.
        let id = out
            .create_account_status()
            .unwrap()
            .account_id()
            .unwrap()
            .to_owned();
        let parent = &node_ids[&a.parent];
        if !matches!(parent, NodeId::Root(_)) {
            org.move_account()
                .account_id(&id)
                .source_parent_id(&root)
                .destination_parent_id(parent.as_str())
                .send()
                .await
                .unwrap();
        }
        match a.state {
            AccountState::Active => {}
            // CloseAccount is the only way moto has to change a state, and it
            // goes straight to SUSPENDED (no PENDING_CLOSURE).
            AccountState::Suspended => {
                org.close_account().account_id(&id).send().await.unwrap();
            }
            other => panic!("moto cannot put account `{}` in state {other}", a.name),
        }
        account_ids.insert(a.id.clone(), AccountId::new(id).unwrap());
    }

    // The instance moto made for the caller's account.
    let instances = sso.list_instances().send().await.unwrap();
    let instance = &instances.instances()[0];
    let instance_arn = instance.instance_arn().unwrap().to_owned();
    let store = instance.identity_store_id().unwrap().to_owned();

    let mut ps_arns: BTreeMap<PermissionSetArn, PermissionSetArn> = BTreeMap::new();
    for p in &spec.permission_sets {
        assert!(
            p.not_provisioned_accounts.is_empty(),
            "moto does not model provisioning status per account"
        );
        let out = sso
            .create_permission_set()
            .instance_arn(&instance_arn)
            .name(&p.name)
            // moto answers with an integer SessionDuration unless one is
            // given, which the SDK cannot read.
            .session_duration("PT1H")
            .send()
            .await
            .unwrap();
        let arn = out.permission_set().unwrap().permission_set_arn().unwrap();
        ps_arns.insert(p.arn.clone(), PermissionSetArn::new(arn).unwrap());
    }

    let mut principal_ids: BTreeMap<PrincipalId, PrincipalId> = BTreeMap::new();
    for g in &spec.groups {
        let id = create_group(&ids, &store, &g.name).await;
        principal_ids.insert(g.id.clone(), id);
    }
    for u in &spec.users {
        let id = create_user(&ids, &store, &u.name).await;
        principal_ids.insert(u.id.clone(), id);
    }
    for g in &spec.groups {
        for m in g.members.iter().flatten() {
            let user = principal_ids
                .get(m)
                .filter(|_| spec.users.iter().any(|u| u.id == *m))
                .unwrap_or_else(|| {
                    panic!(
                        "seed: member {m} of group {} is not a user of the snapshot",
                        g.name
                    )
                });
            ids.create_group_membership()
                .identity_store_id(&store)
                .group_id(principal_ids[&g.id].as_str())
                .member_id(identitystore::types::MemberId::UserId(user.to_string()))
                .send()
                .await
                .unwrap();
        }
    }
    let mut deleted: BTreeSet<(PrincipalType, PrincipalId)> = BTreeSet::new();
    for a in &spec.assignments {
        if principal_ids.contains_key(&a.principal_id) {
            continue;
        }
        let name = format!("to-be-deleted-{}", a.principal_id);
        let id = match a.principal_type {
            PrincipalType::Group => create_group(&ids, &store, &name).await,
            PrincipalType::User => create_user(&ids, &store, &name).await,
        };
        deleted.insert((a.principal_type, id.clone()));
        principal_ids.insert(a.principal_id.clone(), id);
    }

    for a in &spec.assignments {
        sso.create_account_assignment()
            .instance_arn(&instance_arn)
            .target_id(account_ids[&a.account_id].as_str())
            .target_type(ssoadmin::types::TargetType::AwsAccount)
            .permission_set_arn(ps_arns[&a.permission_set_arn].as_str())
            .principal_type(principal_type(a.principal_type))
            .principal_id(principal_ids[&a.principal_id].as_str())
            .send()
            .await
            .unwrap();
    }
    for (kind, id) in &deleted {
        match kind {
            PrincipalType::Group => {
                ids.delete_group()
                    .identity_store_id(&store)
                    .group_id(id.as_str())
                    .send()
                    .await
                    .unwrap();
            }
            PrincipalType::User => {
                ids.delete_user()
                    .identity_store_id(&store)
                    .user_id(id.as_str())
                    .send()
                    .await
                    .unwrap();
            }
        }
    }

    // The spec with moto's ids.
    actual.instance_arn = InstanceArn::new(instance_arn).unwrap();
    actual.identity_store_id = IdentityStoreId::new(store).unwrap();
    let o = &mut actual.organization;
    o.root_id = RootId::new(&root).unwrap();
    o.management_account_id = account_ids[&o.management_account_id].clone();
    for ou in &mut o.organizational_units {
        let NodeId::Ou(id) = &node_ids[&NodeId::Ou(ou.id.clone())] else {
            unreachable!("OUs map to OUs")
        };
        ou.id = id.clone();
        ou.parent = node_ids[&ou.parent].clone();
    }
    for a in &mut o.accounts {
        a.id = account_ids[&a.id].clone();
        a.parent = node_ids[&a.parent].clone();
    }
    for p in actual.groups.iter_mut().chain(actual.users.iter_mut()) {
        p.id = principal_ids[&p.id].clone();
        if let Some(members) = &mut p.members {
            *members = members.iter().map(|m| principal_ids[m].clone()).collect();
        }
    }
    for p in &mut actual.permission_sets {
        p.arn = ps_arns[&p.arn].clone();
    }
    for a in &mut actual.assignments {
        a.account_id = account_ids[&a.account_id].clone();
        a.permission_set_arn = ps_arns[&a.permission_set_arn].clone();
        a.principal_id = principal_ids[&a.principal_id].clone();
    }
    actual.sort();
    actual
}

async fn create_group(ids: &identitystore::Client, store: &str, name: &str) -> PrincipalId {
    let out = ids
        .create_group()
        .identity_store_id(store)
        .display_name(name)
        .send()
        .await
        .unwrap();
    PrincipalId::new(out.group_id()).unwrap()
}

async fn create_user(ids: &identitystore::Client, store: &str, name: &str) -> PrincipalId {
    let out = ids
        .create_user()
        .identity_store_id(store)
        .user_name(name)
        .display_name(name)
        .name(
            identitystore::types::Name::builder()
                .given_name(name)
                .family_name("Test")
                .build(),
        )
        .send()
        .await
        .unwrap();
    PrincipalId::new(out.user_id()).unwrap()
}

/// [`seed_moto`] for synchronous tests (those that run the binary): on a
/// runtime of its own, which is gone when it returns.
pub fn seed_moto_blocking(endpoint: &str, spec: &Snapshot) -> Snapshot {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(seed_moto(endpoint, spec))
}
