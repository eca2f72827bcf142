use std::collections::BTreeSet;

use ssomatrix_core::ids::{AccountState, PrincipalType};

use super::*;

#[test]
fn generation_is_deterministic_and_has_the_stated_size() {
    let s = Size::named("s").unwrap();
    let a = sized(s, 1).unwrap();
    let b = sized(s, 1).unwrap();
    assert_eq!(a.snapshot, b.snapshot);
    assert_eq!(a.config_text, b.config_text);
    assert_ne!(sized(s, 2).unwrap().snapshot, a.snapshot);
    assert_eq!(a.snapshot.organization.accounts.len(), 50);
    assert_eq!(a.snapshot.permission_sets.len(), 10);
    assert_eq!(a.snapshot.groups.len(), 30);
    // Drift both ways: some of what the file wants is missing, and
    // something it does not want is there.
    let live: BTreeSet<_> = a.snapshot.assignments.iter().cloned().collect();
    assert!(a.desired.difference(&live).count() > 0);
    assert!(live.difference(&a.desired).count() > 0);
    // Every workload account holds 3–4 pairs: the density is realistic.
    assert!(a.desired.len() > 4 * 40, "{}", a.desired.len());
}

#[test]
fn every_size_has_its_stated_shape() {
    for (name, accounts, sets, groups) in [
        ("m", 500, 30, 150),
        ("l", 2_000, 60, 500),
        ("xl", 7_000, 200, 2_000),
    ] {
        let s = Size::named(name).unwrap();
        assert_eq!(
            (s.accounts, s.permission_sets, s.groups),
            (accounts, sets, groups)
        );
    }
}

#[test]
fn a_scattered_organisation_has_what_the_engine_tests_exercise() {
    let org = generate(&OrgSpec::small()).unwrap();
    let s = &org.snapshot;
    assert_eq!(s.organization.accounts.len(), 90);
    assert_eq!(
        (s.permission_sets.len(), s.groups.len(), s.users.len()),
        (9, 24, 4)
    );
    // Four levels deep: Workloads/Prod/team-000/Critical.
    assert!(
        org.ou_paths
            .iter()
            .any(|p| p == "Workloads/Prod/team-000/Critical")
    );
    assert!(
        s.organization
            .accounts
            .iter()
            .all(|a| a.tags.contains_key("env"))
    );
    let deleted: BTreeSet<_> = org.deleted.iter().map(|(_, id)| id).collect();
    assert!(
        s.assignments
            .iter()
            .any(|a| deleted.contains(&a.principal_id))
    );
    let suspended: BTreeSet<_> = s
        .organization
        .accounts
        .iter()
        .filter(|a| a.state == AccountState::Suspended)
        .map(|a| &a.id)
        .collect();
    assert!(
        s.assignments
            .iter()
            .any(|a| suspended.contains(&a.account_id))
    );
    let stale: Vec<usize> = (0..9)
        .filter(|i| {
            let set = s.permission_sets.iter().find(|p| p.arn == ps_arn(*i));
            !set.unwrap().not_provisioned_accounts.is_empty()
        })
        .collect();
    assert_eq!(stale, [1, 4, 7]);
    // The file over it parses and names what the organisation has.
    assert_eq!(org.config("all", true).rules.len(), 7);
    assert!(org.file.is_none());
}

#[test]
fn an_organisation_as_filed_needs_the_platform_sets_and_groups() {
    let spec = OrgSpec {
        permission_sets: 3,
        ..OrgSpec::sized(SIZES[0], 1)
    };
    let err = generate(&spec).unwrap_err().to_string();
    assert!(err.contains("at least 4 permission sets"), "{err}");
}

#[test]
fn users_are_an_option_that_leaves_the_default_as_it_was() {
    let s = Size::named("m").unwrap();
    let plain = sized(s, 3).unwrap();
    let with = sized_with_users(s, 3).unwrap();
    // Without users nothing changed: no user, no user rule.
    assert!(plain.snapshot.users.is_empty());
    assert!(!plain.config_text.contains("- user:"));
    // With users, the groups' part is the same organisation and file...
    assert_eq!(plain.snapshot.organization, with.snapshot.organization);
    assert_eq!(plain.snapshot.groups, with.snapshot.groups);
    assert!(with.config_text.starts_with(&plain.config_text));
    let group_wanted: BTreeSet<_> = with
        .desired
        .iter()
        .filter(|a| a.principal_type == PrincipalType::Group)
        .cloned()
        .collect();
    assert_eq!(group_wanted, plain.desired);
    // ...and about a tenth of what is wanted goes to users directly.
    assert_eq!(with.snapshot.users.len(), 150);
    let to_users = with.desired.len() - plain.desired.len();
    let share = to_users as f64 / with.desired.len() as f64;
    assert!(
        (0.07..0.13).contains(&share),
        "{to_users} of {}",
        with.desired.len()
    );
}
