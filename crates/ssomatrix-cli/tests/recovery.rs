//! Recovery end to end on the example: a SCIM sync recreated
//! aws-platform-admins under a new id, so its Admin assignments in 27
//! ACTIVE accounts stay behind on the old id. `apply` restores them without
//! `--allow-deletes` (the 28 orphan deletes are not counted against the
//! budget), still refuses a plan whose other deletes exceed the budget, and
//! a saved plan of the restore applies.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[macro_use]
mod support;

use std::path::Path;

use support::{edit, example, example_snapshot, write};

/// aws-platform-admins' id in the example snapshot, and the id SCIM gave it
/// when it recreated the group.
const OLD_ID: &str = "d6d66277-39c6-7089-cfce-f42eb04dbbc5";
const NEW_ID: &str = "5e1a7c40-2b9d-70e3-a8f6-0c4d9e2b7a31";

/// A copy of the example snapshot in `dir` where aws-platform-admins was
/// deleted and recreated: the group has a new id, its assignments still
/// name the old one.
fn recreated_snapshot(dir: &Path) -> String {
    let text = edit(
        &example_snapshot(),
        &format!("- id: {OLD_ID}\n  name: aws-platform-admins\n"),
        &format!("- id: {NEW_ID}\n  name: aws-platform-admins\n"),
    );
    write(dir, "org.snapshot.yaml", &text)
}

#[test]
fn apply_restores_a_recreated_group_without_allow_deletes() {
    let dir = tempfile::tempdir().unwrap();
    let snap = recreated_snapshot(dir.path());
    let plan = example("plan", &snap, &["--format", "json"]).json();
    assert_eq!(plan["summary"]["delete"], 32);
    assert_eq!(plan["summary"]["delete_orphans"], 28);
    assert_eq!(plan["max_deletes"], 8);
    assert_eq!(plan["recreated"][0]["old_principal_id"], OLD_ID);
    assert_eq!(plan["recreated"][0]["new_principal_id"], NEW_ID);
    assert_eq!(plan["recreated"][0]["assignments"], 27);

    let held_by = |text: &str, id: &str| text.matches(&format!("principal_id: {id}")).count();
    let before = std::fs::read_to_string(&snap).unwrap();
    let o = example("apply", &snap, &["--auto-approve"]).without_progress();
    assert_run!("recreated_group_apply", o.in_dir(dir.path()));
    let after = std::fs::read_to_string(&snap).unwrap();
    assert_eq!(
        held_by(&after, OLD_ID),
        held_by(&before, OLD_ID) - 27,
        "the old id's assignments in ACTIVE accounts were deleted (those in accounts \
         that are not ACTIVE are left alone, as every assignment there)"
    );
    assert_eq!(
        held_by(&after, NEW_ID),
        27,
        "the group holds Admin again in the 27 ACTIVE accounts"
    );
    let again = example("plan", &snap, &["--detailed-exitcode"]);
    assert_eq!(again.code, Some(0), "the restore converged: {again}");
}

#[test]
fn a_restore_whose_other_deletes_exceed_the_budget_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let snap = recreated_snapshot(dir.path());
    let before = std::fs::read_to_string(&snap).unwrap();
    let o = example("apply", &snap, &["--auto-approve", "--allow-deletes", "3"]);
    assert_run!("recreated_group_over_budget", o.in_dir(dir.path()));
    assert_eq!(
        std::fs::read_to_string(&snap).unwrap(),
        before,
        "nothing was written"
    );
}

#[test]
fn a_saved_plan_of_the_restore_applies() {
    let dir = tempfile::tempdir().unwrap();
    let snap = recreated_snapshot(dir.path());
    let saved = dir.path().join("plan.json");
    let o = example("plan", &snap, &["--out", saved.to_str().unwrap()]);
    assert_eq!(o.code, Some(0), "{o}");
    let o = example(
        "apply",
        &snap,
        &["--plan", saved.to_str().unwrap(), "--auto-approve"],
    );
    assert_eq!(o.code, Some(0), "{o}");
    assert!(o.stderr.contains("33 created, 32 deleted, 0 failed"), "{o}");
}
