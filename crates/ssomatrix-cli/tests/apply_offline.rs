//! `apply` end to end against a snapshot file: safety gates, convergence,
//! saved plans and stale-plan refusal, reports.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[macro_use]
mod support;

use std::path::Path;

use support::{CONFIG, Run, SNAPSHOT, edit, example, repo, run, snapshot_copy, write};

/// Runs `apply -c CONFIG EXTRA…` on a private copy of the example
/// snapshot, pins the run as snapshot `name`, and checks that the snapshot
/// was not written.
fn apply_writes_nothing(name: &str, config: &str, extra: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let snap = snapshot_copy(dir.path());
    let before = std::fs::read_to_string(&snap).unwrap();
    let mut args = vec!["apply", "-c", config, "--snapshot", &snap];
    args.extend(extra);
    assert_run!(name, run(&args).in_dir(dir.path()));
    assert_eq!(
        std::fs::read_to_string(&snap).unwrap(),
        before,
        "nothing was written"
    );
}

#[test]
fn apply_without_a_terminal_needs_auto_approve_and_changes_nothing() {
    apply_writes_nothing("no_terminal", CONFIG, &[]);
}

#[test]
fn apply_refuses_more_deletes_than_the_budget() {
    apply_writes_nothing(
        "over_the_allow_deletes_budget",
        CONFIG,
        &["--auto-approve", "--allow-deletes", "3"],
    );
}

/// The file's own budget, without `--allow-deletes`, is named as the file's.
#[test]
fn apply_refuses_more_deletes_than_the_files_budget() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(repo().join(CONFIG)).unwrap();
    let config = write(
        dir.path(),
        "assignments.yaml",
        &edit(&text, "  max_deletes: 8\n", "  max_deletes: 3\n"),
    );
    apply_writes_nothing("over_the_max_deletes_budget", &config, &["--auto-approve"]);
}

/// `apply --auto-approve --report` on a private copy of the example
/// snapshot in `dir`: the run, the copy, and the report.
fn apply_with_report(dir: &Path) -> (Run, String, serde_json::Value) {
    let snap = snapshot_copy(dir);
    let report = dir.join("report.json");
    let o = example(
        "apply",
        &snap,
        &["--auto-approve", "--report", report.to_str().unwrap()],
    );
    let r = serde_json::from_str(&std::fs::read_to_string(&report).unwrap_or_default())
        .unwrap_or(serde_json::Value::Null);
    (o, snap, r)
}

/// The example's suspended legacy-monolith holds AppDeveloper, which is
/// OUT_OF_SYNC in two ACTIVE accounts: ALL_PROVISIONED_ACCOUNTS would fail
/// there, so each ACTIVE account is provisioned on its own.
#[test]
fn apply_reprovisions_past_a_suspended_holder_account_by_account() {
    let dir = tempfile::tempdir().unwrap();
    let (o, _, r) = apply_with_report(dir.path());
    assert_eq!(o.code, Some(0), "{o}");
    assert!(
        o.stderr.contains("2 permission set(s) reprovisioned"),
        "{o}"
    );
    let app: Vec<&serde_json::Value> = r["reprovisioning"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["permission_set_name"] == "AppDeveloper")
        .collect();
    let targets: Vec<&str> = app.iter().map(|p| p["target"].as_str().unwrap()).collect();
    // team-a-dev and payments-staging, never ALL_PROVISIONED_ACCOUNTS.
    assert_eq!(targets, ["348388037361", "505785082989"], "{r:#}");
    assert!(app.iter().all(|p| p["result"] == "succeeded"), "{r:#}");
}

#[test]
fn apply_converges_and_a_second_apply_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (o, snap, r) = apply_with_report(dir.path());
    assert_run!("apply", o.without_progress().in_dir(dir.path()));
    assert_eq!(r["operations"].as_array().unwrap().len(), 11);
    assert!(
        r["operations"]
            .as_array()
            .unwrap()
            .iter()
            .all(|op| op["result"] == "succeeded")
    );
    // AppDeveloper account by account (2), SecOpsResponder in its one.
    assert_eq!(r["reprovisioning"].as_array().unwrap().len(), 3);

    // The plan after apply is empty, and reprovisioning cleared OUT_OF_SYNC.
    let o = example("plan", &snap, &["--detailed-exitcode"]);
    assert_run!("plan_after_apply", o);

    // -v lists the calls by operation: no write among them.
    let o = example("apply", &snap, &["--auto-approve", "-v"]);
    assert_eq!(o.code, Some(0), "{o}");
    assert!(
        o.stderr.contains(
            "Apply complete: 0 created, 0 deleted, 0 failed; 0 permission set(s) reprovisioned"
        ),
        "{o}"
    );
    assert!(o.stderr.contains("API calls"), "{o}");
    for write in [
        "CreateAccountAssignment",
        "DeleteAccountAssignment",
        "ProvisionPermissionSet",
    ] {
        assert!(
            !o.stderr.contains(write),
            "a second apply calls no {write}: {o}"
        );
    }
}

#[test]
fn a_saved_plan_is_applied_exactly_and_refused_once_stale() {
    let dir = tempfile::tempdir().unwrap();
    let snap = snapshot_copy(dir.path());
    let saved = dir.path().join("plan.json");
    let o = example("plan", &snap, &["--out", saved.to_str().unwrap()]);
    assert_eq!(o.code, Some(0), "{o}");

    // Someone changes the instance after the review: drop one live assignment.
    let text = std::fs::read_to_string(&snap).unwrap();
    let mut snapshot: serde_json::Value = snapshot_as_json(&text);
    snapshot["assignments"].as_array_mut().unwrap().remove(0);
    let changed = dir.path().join("changed.snapshot.json");
    std::fs::write(&changed, serde_json::to_string(&snapshot).unwrap()).unwrap();
    let o = example(
        "apply",
        changed.to_str().unwrap(),
        &["--plan", saved.to_str().unwrap(), "--auto-approve"],
    );
    assert_run!("stale_live_state", o.in_dir(dir.path()));

    // Unchanged: the saved plan applies.
    let o = example(
        "apply",
        &snap,
        &["--plan", saved.to_str().unwrap(), "--auto-approve"],
    );
    assert_run!(
        "saved_plan_applies",
        o.without_progress().in_dir(dir.path())
    );
}

/// Snapshots are YAML; the export command turns one into JSON for editing.
fn snapshot_as_json(yaml: &str) -> serde_json::Value {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("in.yaml");
    std::fs::write(&src, yaml).unwrap();
    let o = run(&[
        "export",
        "--snapshot",
        src.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(o.code, Some(0), "{o}");
    o.json()
}

#[test]
fn reprovision_alone_brings_out_of_sync_sets_back_and_touches_no_assignment() {
    let dir = tempfile::tempdir().unwrap();
    let snap = snapshot_copy(dir.path());
    let o = example("reprovision", &snap, &[]);
    assert_run!("reprovision", o.in_dir(dir.path()));
    // The assignments are as they were, and nothing is OUT_OF_SYNC.
    let o = example("plan", &snap, &[]);
    assert_run!("plan_after_reprovision", o);
}

#[test]
fn drift_warns_about_exceptions_within_the_chosen_window() {
    // dave.okafor's exception ends on 2026-12-04, 10 days after 2026-11-24:
    // within 14 days, not within 5.
    for window in ["14d", "5d"] {
        let o = example("drift", SNAPSHOT, &["--warn-expiring", window]);
        assert_run!(format!("drift_warn_expiring_{window}"), o);
    }
}
