//! A snapshot is checked like a config: one cut short is refused, and one
//! that contradicts itself is refused with every problem, its file and line.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

use proptest::prelude::*;
use ssomatrix_core::snapshot::Snapshot;

fn example() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/org.snapshot.yaml");
    std::fs::read_to_string(path).unwrap()
}

/// The errors of `text` as lines, or a panic when it parses.
fn errors(text: &str) -> Vec<String> {
    match Snapshot::parse("s.yaml", text) {
        Ok(_) => panic!("expected the snapshot to be refused:\n{text}"),
        Err(e) => e.0.iter().map(ToString::to_string).collect(),
    }
}

/// `text` with the first occurrence of `old` replaced.
fn edit(text: &str, old: &str, new: &str) -> String {
    assert!(text.contains(old), "`{old}` is not in the text");
    text.replacen(old, new, 1)
}

/// The 1-based line of the first occurrence of `needle`.
fn line_of(text: &str, needle: &str) -> usize {
    text.lines().position(|l| l.contains(needle)).unwrap() + 1
}

/// A small snapshot written as `export` writes it, assembled from parts.
fn small(groups: &str, users: &str, sets: &str, assignments: &str) -> String {
    let list = |key: &str, items: &str| {
        if items.is_empty() {
            format!("{key}: []\n")
        } else {
            format!("{key}:\n{items}")
        }
    };
    let (groups, users, sets, assignments) = (
        list("groups", groups),
        list("users", users),
        list("permission_sets", sets),
        list("assignments", assignments),
    );
    format!(
        "format_version: 1\n\
         instance_arn: arn:aws:sso:::instance/ssoins-0000000000000001\n\
         identity_store_id: d-1234567890\n\
         organization:\n  root_id: r-ab12\n  management_account_id: '100000000001'\n  accounts:\n\
         \x20 - {{id: '100000000001', name: mgmt, state: ACTIVE, parent: r-ab12}}\n\
         \x20 - {{id: '100000000002', name: dev, state: ACTIVE, parent: r-ab12}}\n\
         {groups}{users}{sets}{assignments}...\n"
    )
}

const SET_A: &str =
    "- arn: arn:aws:sso:::permissionSet/ssoins-0000000000000001/ps-000000000000000a\n  name: A\n";
const SET_B: &str =
    "- arn: arn:aws:sso:::permissionSet/ssoins-0000000000000001/ps-000000000000000b\n  name: B\n";

#[test]
fn the_shipped_example_and_an_export_of_it_load() {
    let text = example();
    let s = Snapshot::parse("org.snapshot.yaml", &text).unwrap();
    let exported = s.to_yaml();
    assert!(
        exported.ends_with("\n...\n"),
        "export writes the end marker last"
    );
    assert_eq!(Snapshot::parse("e.yaml", &exported).unwrap(), s);
    assert_eq!(Snapshot::parse("e.json", &s.to_json()).unwrap(), s);
}

#[test]
fn a_snapshot_without_its_end_marker_is_refused_with_its_last_line() {
    let text = example();
    let cut = text.strip_suffix("...\n").unwrap();
    let errs = errors(cut);
    assert_eq!(errs.len(), 1, "{errs:?}");
    let last = cut.lines().count();
    assert!(
        errs[0].starts_with(&format!(
            "s.yaml:{last}: the snapshot does not end with the line `...`"
        )),
        "{errs:?}"
    );
    assert!(errs[0].contains("export it again"), "{errs:?}");
    // A marker followed by blank lines or a comment still ends the file.
    assert!(Snapshot::parse("s.yaml", &format!("{text}\n# exported by hand\n\n")).is_ok());
    // A marker anywhere but at the end is not the end.
    let moved = format!("...\n{cut}");
    assert!(Snapshot::parse("s.yaml", &moved).is_err());
}

#[test]
fn a_snapshot_without_assignments_is_refused_like_a_config() {
    let text = small("", "", SET_A, "");
    let without = edit(&text, "assignments: []\n", "");
    let errs = errors(&without);
    assert!(
        errs.iter()
            .any(|e| e.contains("has no `assignments` key") && e.contains("`assignments: []`")),
        "{errs:?}"
    );
    assert!(Snapshot::parse("s.yaml", &text).is_ok());
    // A key without a list reads as an empty list to serde: refused too,
    // and so are the explicit nulls (serde refuses those itself).
    let line = line_of(&text, "assignments: []");
    let errs = errors(&edit(&text, "assignments: []\n", "assignments:\n"));
    assert_eq!(
        errs,
        [format!(
            "s.yaml:{line}: `assignments` is empty, so the snapshot may have been cut short after it; export it again (a snapshot of an instance without assignments says `assignments: []`)"
        )]
    );
    for null in ["assignments: ~\n", "assignments: null\n"] {
        let errs = errors(&edit(&text, "assignments: []\n", null));
        assert_eq!(errs.len(), 1, "{errs:?}");
        assert!(
            errs[0].starts_with(&format!("s.yaml:{line}: assignments")),
            "{errs:?}"
        );
    }
    // JSON without the key, too.
    let json = Snapshot::parse("s.yaml", &text).unwrap().to_json();
    let json = edit(&json, ",\n  \"assignments\": []", "");
    assert!(
        errors(&json)
            .iter()
            .any(|e| e.contains("no `assignments` key"))
    );
}

#[test]
fn duplicate_permission_sets_by_name_or_arn_name_both_lines() {
    let same_name = small(
        "",
        "",
        &format!("{SET_A}{}", SET_B.replace("name: B", "name: A")),
        "",
    );
    let errs = errors(&same_name);
    let first = line_of(&same_name, "name: A");
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(
        errs[0].contains(&format!(
            "permission set name `A` appears 2 times (line {first}, line {})",
            first + 2
        )),
        "{errs:?}"
    );
    let same_arn = small(
        "",
        "",
        &format!("{SET_A}{}", SET_A.replace("name: A", "name: C")),
        "",
    );
    let errs = errors(&same_arn);
    assert!(errs.iter().any(|e| e.contains("permission set ARN `arn:aws:sso:::permissionSet/ssoins-0000000000000001/ps-000000000000000a` appears 2 times")), "{errs:?}");
}

#[test]
fn principals_that_collide_are_refused() {
    let g = |id: &str, name: &str| format!("- id: {id}\n  name: {name}\n");
    let dup_group_id = small(
        &format!("{}{}", g("g-1", "one"), g("g-1", "two")),
        "",
        SET_A,
        "",
    );
    assert!(
        errors(&dup_group_id)
            .iter()
            .any(|e| e.starts_with("s.yaml:13: group id `g-1` appears 2 times (line 11, line 13)")),
        "{:?}",
        errors(&dup_group_id)
    );
    let dup_group_name = small(
        &format!("{}{}", g("g-1", "ops"), g("g-2", "ops")),
        "",
        SET_A,
        "",
    );
    assert!(
        errors(&dup_group_name)
            .iter()
            .any(|e| e.contains("group name `ops` appears 2 times"))
    );
    let dup_user_name = small(
        "",
        &format!("{}{}", g("u-1", "bob"), g("u-2", "bob")),
        SET_A,
        "",
    );
    assert!(
        errors(&dup_user_name)
            .iter()
            .any(|e| e.contains("user name `bob` appears 2 times"))
    );
    let both = small(&g("x-1", "ops"), &g("x-1", "bob"), SET_A, "");
    let errs = errors(&both);
    assert!(
        errs.iter()
            .any(|e| e
                .starts_with("s.yaml:14: id `x-1` is both a group (line 11) and a user (line 14)")),
        "{errs:?}"
    );
}

#[test]
fn organization_and_cross_references_are_checked_with_lines() {
    let text = small("", "", SET_A, "");
    let mgmt = edit(
        &text,
        "management_account_id: '100000000001'",
        "management_account_id: '100000000009'",
    );
    assert!(errors(&mgmt).iter().any(|e| e.starts_with(
        "s.yaml:6: management_account_id `100000000009` is not in `organization.accounts`"
    )));
    let dup_account = edit(&text, "id: '100000000002'", "id: '100000000001'");
    assert!(
        errors(&dup_account)
            .iter()
            .any(|e| e.contains("account id `100000000001` appears 2 times (line 8, line 9)")),
        "{:?}",
        errors(&dup_account)
    );
    let orphan = edit(
        &text,
        "name: dev, state: ACTIVE, parent: r-ab12",
        "name: dev, state: ACTIVE, parent: ou-ab12-00000009",
    );
    let errs = errors(&orphan);
    assert!(
        errs.iter().any(|e| e.starts_with(
            "s.yaml:9: account `100000000002` (`dev`) names parent `ou-ab12-00000009`"
        )),
        "{errs:?}"
    );
    let wrong_root = edit(
        &text,
        "name: dev, state: ACTIVE, parent: r-ab12",
        "name: dev, state: ACTIVE, parent: r-zz99",
    );
    assert!(
        errors(&wrong_root)
            .iter()
            .any(|e| e.contains("neither the root `r-ab12`"))
    );
    let cycle = edit(
        &text,
        "  accounts:\n",
        "  organizational_units:\n  - {id: ou-ab12-00000001, name: a, parent: ou-ab12-00000002}\n  - {id: ou-ab12-00000002, name: b, parent: ou-ab12-00000001}\n  accounts:\n",
    );
    let errs = errors(&cycle);
    assert!(
        errs.iter()
            .any(|e| e.starts_with("s.yaml:8: OU `ou-ab12-00000001` is its own ancestor")),
        "{errs:?}"
    );
    let not_prov = edit(
        &text,
        "  name: A\n",
        "  name: A\n  not_provisioned_accounts: ['100000000007']\n",
    );
    assert!(
        errors(&not_prov)
            .iter()
            .any(|e| e.contains("lists account `100000000007` in `not_provisioned_accounts`"))
    );
    let other_instance = edit(
        &text,
        "permissionSet/ssoins-0000000000000001/",
        "permissionSet/ssoins-0000000000000002/",
    );
    let errs = errors(&other_instance);
    assert!(
        errs.iter()
            .any(|e| e.starts_with("s.yaml:13: permission set `A` has ARN")
                && e.contains("belongs to instance `ssoins-0000000000000002`")),
        "{errs:?}"
    );
    let other_partition = edit(
        &text,
        "arn:aws:sso:::permissionSet",
        "arn:aws-cn:sso:::permissionSet",
    );
    assert!(
        errors(&other_partition)
            .iter()
            .any(|e| e.contains("(aws-cn)"))
    );
    let assignment = "- account_id: '100000000003'\n  permission_set_arn: arn:aws:sso:::permissionSet/ssoins-0000000000000001/ps-000000000000000f\n  principal_type: GROUP\n  principal_id: g-1\n";
    let errs = errors(&small("", "", SET_A, assignment));
    assert_eq!(errs.len(), 2, "{errs:?}");
    assert!(
        errs[0].contains("account `100000000003`") && errs[1].contains("permission set `arn:"),
        "{errs:?}"
    );
}

#[test]
fn every_problem_is_reported_at_once() {
    let text = small(
        "- id: x-1\n  name: ops\n- id: x-1\n  name: ops\n",
        "- id: x-1\n  name: bob\n",
        &format!("{SET_A}{SET_A}"),
        "",
    );
    let text = edit(
        &text,
        "management_account_id: '100000000001'",
        "management_account_id: '100000000009'",
    );
    let errs = errors(text.strip_suffix("...\n").unwrap());
    // end marker, management account, group id, group name, user/group id, ARN, name
    assert_eq!(errs.len(), 7, "{errs:#?}");
}

/// Whether a cut of the example is refused or reads as exactly the example.
fn refused_or_whole(cut: &str, whole: &Snapshot) -> Result<(), String> {
    match Snapshot::parse("s.yaml", cut) {
        Err(_) => Ok(()),
        Ok(s) if s == *whole => Ok(()),
        Ok(s) => Err(format!(
            "a cut of {} bytes read as a smaller instance ({} accounts, {} assignments)",
            cut.len(),
            s.organization.accounts.len(),
            s.assignments.len()
        )),
    }
}

#[test]
fn every_truncation_at_a_line_boundary_is_refused_or_whole() {
    let text = example();
    let whole = Snapshot::parse("s.yaml", &text).unwrap();
    let mut ends: Vec<usize> = text.match_indices('\n').map(|(i, _)| i + 1).collect();
    ends.insert(0, 0);
    for end in ends {
        refused_or_whole(&text[..end], &whole).unwrap();
    }
    refused_or_whole(text.trim_end_matches('\n'), &whole).unwrap();
    // The JSON form too (every third line: each cut parses the whole rest).
    let json = whole.to_json();
    for end in json.match_indices('\n').map(|(i, _)| i + 1).step_by(3) {
        refused_or_whole(&json[..end], &whole).unwrap();
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn truncations_at_any_char_boundary_are_refused_or_whole(at in 0.0f64..1.0) {
        let text = example();
        let whole = Snapshot::parse("s.yaml", &text).unwrap();
        let mut end = (text.len() as f64 * at) as usize;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        prop_assert_eq!(refused_or_whole(&text[..end], &whole), Ok(()));
        let json = whole.to_json();
        let mut end = (json.len() as f64 * at) as usize;
        while !json.is_char_boundary(end) {
            end -= 1;
        }
        prop_assert_eq!(refused_or_whole(&json[..end], &whole), Ok(()));
    }
}
