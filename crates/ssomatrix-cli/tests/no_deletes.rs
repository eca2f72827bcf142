//! `apply --no-deletes` against a snapshot file: creates and
//! reprovisioning only, every delete left for a reviewed apply, the delete
//! budget never in the way, and a saved plan still verified whole.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[macro_use]
mod support;

use serde_json::Value;
use support::{CONFIG, edit, example, repo, snapshot_copy, write};

/// The JSON plan of the example file against `snap`.
fn plan_json(snap: &str) -> Value {
    let o = example("plan", snap, &["--format", "json"]);
    assert_eq!(o.code, Some(0), "{o}");
    o.json()
}

/// The plan's changes with `action`, as (account, permission set, principal).
fn changes(plan: &Value, action: &str) -> Vec<(String, String, String)> {
    plan["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["action"] == action)
        .map(|c| {
            (
                c["account_id"].as_str().unwrap().to_owned(),
                c["permission_set_name"].as_str().unwrap().to_owned(),
                c["principal_id"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn apply_no_deletes_makes_the_creates_and_leaves_every_delete_in_the_next_plan() {
    let dir = tempfile::tempdir().unwrap();
    let snap = snapshot_copy(dir.path());
    let before = plan_json(&snap);
    assert!(!changes(&before, "create").is_empty());
    assert!(!changes(&before, "delete").is_empty());

    let o = example("apply", &snap, &["--auto-approve", "--no-deletes"]);
    assert_run!("apply_no_deletes", o.without_progress().in_dir(dir.path()));

    let after = plan_json(&snap);
    assert_eq!(changes(&after, "create"), [], "every create was made");
    assert_eq!(
        changes(&after, "delete"),
        changes(&before, "delete"),
        "every delete is left, and only those"
    );
}

/// The report of an unattended apply names every delete it left, so that
/// whoever reads it knows what still waits for a reviewed apply; a plain
/// apply's report has no such list.
#[test]
fn the_report_of_apply_no_deletes_lists_the_deletes_left() {
    let dir = tempfile::tempdir().unwrap();
    let snap = snapshot_copy(dir.path());
    let before = plan_json(&snap);
    let report = dir.path().join("report.json");
    let report = report.to_str().unwrap();
    let o = example(
        "apply",
        &snap,
        &["--auto-approve", "--no-deletes", "--report", report],
    );
    assert_eq!(o.code, Some(0), "{o}");
    assert!(
        o.stderr
            .contains("the report lists them under `deletes_left`"),
        "{o}"
    );
    let written: Value = serde_json::from_str(&std::fs::read_to_string(report).unwrap()).unwrap();
    let left = serde_json::json!({ "changes": written["deletes_left"] });
    assert_eq!(changes(&left, "delete"), changes(&before, "delete"));
    assert!(!changes(&before, "delete").is_empty());
    assert_eq!(
        written["operations"].as_array().unwrap().len(),
        changes(&before, "create").len(),
        "only the creates ran"
    );

    let o = example("apply", &snap, &["--auto-approve", "--report", report]);
    assert_eq!(o.code, Some(0), "{o}");
    let written: Value = serde_json::from_str(&std::fs::read_to_string(report).unwrap()).unwrap();
    assert!(written.get("deletes_left").is_none(), "{written}");
}

/// The example plan deletes 5; a budget of 0 refuses a plain apply and not
/// an apply that deletes nothing.
#[test]
fn apply_no_deletes_is_not_refused_by_a_delete_budget_it_cannot_exceed() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(repo().join(CONFIG)).unwrap();
    let config = write(
        dir.path(),
        "assignments.yaml",
        &edit(&text, "  max_deletes: 8\n", "  max_deletes: 0\n"),
    );
    let snap = snapshot_copy(dir.path());
    let apply = |extra: &[&str]| {
        let mut args = vec![
            "apply",
            "-c",
            &config,
            "--snapshot",
            &snap,
            "--auto-approve",
        ];
        args.extend(extra);
        support::run(&args)
    };
    let refused = apply(&[]);
    assert_eq!(refused.code, Some(1), "{refused}");
    assert!(refused.stderr.contains("nothing was applied"), "{refused}");

    let o = apply(&["--no-deletes"]);
    assert_eq!(o.code, Some(0), "{o}");
    assert!(
        o.stderr
            .contains("--no-deletes: 5 delete(s) left for a reviewed apply"),
        "{o}"
    );
    assert!(o.stderr.contains("6 created, 0 deleted, 0 failed"), "{o}");
}

/// A saved plan with deletes applies its creates only; one edited after the
/// review is refused before anything runs, deletes or not.
#[test]
fn apply_no_deletes_with_a_saved_plan_skips_its_deletes_and_still_verifies_it() {
    let dir = tempfile::tempdir().unwrap();
    let snap = snapshot_copy(dir.path());
    let saved = dir.path().join("plan.json");
    let saved = saved.to_str().unwrap();
    let o = example("plan", &snap, &["--out", saved]);
    assert_eq!(o.code, Some(0), "{o}");

    // Dropping a delete from the saved plan is an edit the review did not see.
    let mut edited: Value = serde_json::from_str(&std::fs::read_to_string(saved).unwrap()).unwrap();
    edited["changes"].as_array_mut().unwrap().pop();
    let edited_path = write(dir.path(), "edited.json", &edited.to_string());
    let untouched = std::fs::read_to_string(&snap).unwrap();
    let o = example(
        "apply",
        &snap,
        &["--plan", &edited_path, "--no-deletes", "--auto-approve"],
    );
    assert_eq!(o.code, Some(1), "{o}");
    assert_eq!(std::fs::read_to_string(&snap).unwrap(), untouched);

    let before = plan_json(&snap);
    let o = example(
        "apply",
        &snap,
        &["--plan", saved, "--no-deletes", "--auto-approve"],
    );
    assert_eq!(o.code, Some(0), "{o}");
    let after = plan_json(&snap);
    assert_eq!(changes(&after, "create"), []);
    assert_eq!(changes(&after, "delete"), changes(&before, "delete"));
}
