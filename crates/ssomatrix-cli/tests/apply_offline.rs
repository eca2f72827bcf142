//! `apply` end to end against a snapshot file: safety gates, convergence,
//! saved plans and stale-plan refusal, reports.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ssomatrix"))
        .args(args)
        .current_dir(repo())
        .env("SSOMATRIX_TODAY", "2026-11-24")
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A private copy of the example snapshot: apply writes it back.
fn snapshot_copy(dir: &Path) -> String {
    let path = dir.join("org.snapshot.yaml");
    std::fs::copy(repo().join("examples/org.snapshot.yaml"), &path).unwrap();
    path.to_str().unwrap().to_owned()
}

const CONFIG: &str = "assignments.example.yaml";

#[test]
fn apply_without_a_terminal_needs_auto_approve_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let snap = snapshot_copy(dir.path());
    let before = std::fs::read_to_string(&snap).unwrap();
    let o = run(&["apply", "-c", CONFIG, "--snapshot", &snap]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("pass --auto-approve"), "{}", stderr(&o));
    assert_eq!(
        std::fs::read_to_string(&snap).unwrap(),
        before,
        "nothing was written"
    );
}

#[test]
fn apply_refuses_more_deletes_than_the_budget() {
    let dir = tempfile::tempdir().unwrap();
    let snap = snapshot_copy(dir.path());
    let before = std::fs::read_to_string(&snap).unwrap();
    let o = run(&[
        "apply",
        "-c",
        CONFIG,
        "--snapshot",
        &snap,
        "--auto-approve",
        "--allow-deletes",
        "4",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("the plan deletes 5 assignments"),
        "{}",
        stderr(&o)
    );
    assert!(stderr(&o).contains("--allow-deletes 5"), "{}", stderr(&o));
    assert_eq!(
        std::fs::read_to_string(&snap).unwrap(),
        before,
        "nothing was written"
    );
}

/// The example's suspended legacy-monolith holds AppDeveloper, which is
/// OUT_OF_SYNC in two ACTIVE accounts: ALL_PROVISIONED_ACCOUNTS would fail
/// there, so each ACTIVE account is provisioned on its own.
#[test]
fn apply_reprovisions_past_a_suspended_holder_account_by_account() {
    let dir = tempfile::tempdir().unwrap();
    let snap = snapshot_copy(dir.path());
    let report = dir.path().join("report.json");
    let o = run(&[
        "apply",
        "-c",
        CONFIG,
        "--snapshot",
        &snap,
        "--auto-approve",
        "--report",
        report.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let r: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
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
    assert!(
        stderr(&o).contains("2 permission set(s) reprovisioned"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn apply_converges_and_a_second_apply_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let snap = snapshot_copy(dir.path());
    let report = dir.path().join("report.json");
    let o = run(&[
        "apply",
        "-c",
        CONFIG,
        "--snapshot",
        &snap,
        "--auto-approve",
        "--report",
        report.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stderr(&o).contains(
            "Apply complete: 6 created, 5 deleted, 0 failed; 2 permission set(s) reprovisioned"
        ),
        "{}",
        stderr(&o)
    );
    let r: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
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

    let o = run(&[
        "plan",
        "-c",
        CONFIG,
        "--snapshot",
        &snap,
        "--detailed-exitcode",
    ]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "the plan after apply is empty: {}",
        String::from_utf8_lossy(&o.stdout)
    );
    assert!(
        !String::from_utf8_lossy(&o.stdout).contains("OUT_OF_SYNC"),
        "reprovisioning cleared OUT_OF_SYNC"
    );

    let o = run(&[
        "apply",
        "-c",
        CONFIG,
        "--snapshot",
        &snap,
        "--auto-approve",
        "-v",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains(
            "Apply complete: 0 created, 0 deleted, 0 failed; 0 permission set(s) reprovisioned"
        ),
        "{err}"
    );
    for write in [
        "CreateAccountAssignment",
        "DeleteAccountAssignment",
        "ProvisionPermissionSet",
    ] {
        assert!(
            !err.contains(write),
            "a second apply calls no {write}: {err}"
        );
    }
}

#[test]
fn a_saved_plan_is_applied_exactly_and_refused_once_stale() {
    let dir = tempfile::tempdir().unwrap();
    let snap = snapshot_copy(dir.path());
    let saved = dir.path().join("plan.json");
    let o = run(&[
        "plan",
        "-c",
        CONFIG,
        "--snapshot",
        &snap,
        "--out",
        saved.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));

    // Someone changes the instance after the review: drop one live assignment.
    let text = std::fs::read_to_string(&snap).unwrap();
    let mut snapshot: serde_json::Value = snapshot_as_json(&text);
    snapshot["assignments"].as_array_mut().unwrap().remove(0);
    let changed = dir.path().join("changed.snapshot.json");
    std::fs::write(&changed, serde_json::to_string(&snapshot).unwrap()).unwrap();
    let o = run(&[
        "apply",
        "-c",
        CONFIG,
        "--snapshot",
        changed.to_str().unwrap(),
        "--plan",
        saved.to_str().unwrap(),
        "--auto-approve",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("the live state changed since"),
        "{}",
        stderr(&o)
    );
    assert!(
        stderr(&o).contains("run `ssomatrix plan --out"),
        "{}",
        stderr(&o)
    );

    // Unchanged: the saved plan applies.
    let o = run(&[
        "apply",
        "-c",
        CONFIG,
        "--snapshot",
        &snap,
        "--plan",
        saved.to_str().unwrap(),
        "--auto-approve",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("6 created, 5 deleted"),
        "{}",
        stderr(&o)
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
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    serde_json::from_slice(&o.stdout).unwrap()
}

#[test]
fn reprovision_alone_brings_out_of_sync_sets_back_and_touches_no_assignment() {
    let dir = tempfile::tempdir().unwrap();
    let snap = snapshot_copy(dir.path());
    let o = run(&["reprovision", "-c", CONFIG, "--snapshot", &snap]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("0 created, 0 deleted, 0 failed; 2 permission set(s) reprovisioned"),
        "{}",
        stderr(&o)
    );
    let o = run(&["plan", "-c", CONFIG, "--snapshot", &snap]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.starts_with("Plan: 6 to create, 5 to delete"),
        "the assignments are as they were: {out}"
    );
    assert!(!out.contains("OUT_OF_SYNC"), "{out}");
}

#[test]
fn drift_warns_about_exceptions_within_the_chosen_window() {
    let drift = |window: &str| {
        let o = run(&[
            "drift",
            "-c",
            CONFIG,
            "--snapshot",
            "examples/org.snapshot.yaml",
            "--warn-expiring",
            window,
        ]);
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    // dave.okafor's exception ends on 2026-12-04, 10 days after 2026-11-24.
    assert!(
        drift("14d").contains("dave.okafor@example.com  2026-12-04"),
        "{}",
        drift("14d")
    );
    assert!(
        !drift("5d").contains("dave.okafor@example.com  2026-12-04"),
        "{}",
        drift("5d")
    );
}
