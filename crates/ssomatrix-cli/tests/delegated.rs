//! A delegated administrator end to end, offline: a snapshot exported with a
//! member account's credentials (`caller_account_id`) gives a plan that
//! names the changes only the management account can make; `apply` does the
//! others, reports those not done and exits 1; a run as the management
//! account (no `caller_account_id`) finishes the job.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[macro_use]
mod support;

use std::path::Path;

use support::{SNAPSHOT, example, example_snapshot};

/// security-tooling, a member account of the example organisation.
const DELEGATED: &str = "056988977980";

/// A copy of the example snapshot as the delegated administrator exported
/// it. In the example, BreakGlass is assigned in the management account, so
/// the plan's delete of BreakGlass in network-hub is the delegated
/// administrator's to skip.
fn delegated_snapshot(dir: &Path) -> String {
    let text = example_snapshot().replacen(
        "\norganization:\n",
        &format!("\ncaller_account_id: '{DELEGATED}'\norganization:\n"),
        1,
    );
    assert!(text.contains("caller_account_id"));
    let path = dir.join("org.snapshot.yaml");
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_owned()
}

/// (action, permission set, account) of each change in a JSON plan or report.
fn key(c: &serde_json::Value) -> (String, String, String) {
    (
        c["action"].as_str().unwrap().to_owned(),
        c["permission_set_name"].as_str().unwrap().to_owned(),
        c["account_name"].as_str().unwrap().to_owned(),
    )
}

fn breakglass_delete() -> (String, String, String) {
    ("delete".into(), "BreakGlass".into(), "network-hub".into())
}

#[test]
fn the_plan_names_the_changes_that_need_the_management_account() {
    let dir = tempfile::tempdir().unwrap();
    let snap = delegated_snapshot(dir.path());

    // One change marked, and a warning that names both accounts, the
    // permission set and the fix.
    let o = example("plan", &snap, &[]);
    assert_run!("plan_text", o.in_dir(dir.path()));

    let o = example("plan", &snap, &["--format", "json"]);
    let plan = o.json();
    let changes = plan["changes"].as_array().unwrap();
    assert_eq!(changes.len(), 11);
    for c in changes {
        let flagged = c.get("needs_management_account");
        if key(c) == breakglass_delete() {
            assert_eq!(flagged, Some(&serde_json::Value::Bool(true)), "{c}");
        } else {
            // Omitted when false: plans of a management account are unchanged.
            assert_eq!(flagged, None, "{c}");
        }
    }
    assert!(
        plan["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w["kind"] == "delegated_administrator"),
        "{plan}"
    );

    let o = example("plan", &snap, &["--format", "markdown"]);
    assert_run!("plan_markdown", o.in_dir(dir.path()));

    // The same instance as the management account sees it: no marks at all.
    let o = example("plan", SNAPSHOT, &["--format", "json"]);
    assert!(!o.stdout.contains("needs_management_account"), "{o}");
    assert!(!o.stdout.contains("delegated_administrator"), "{o}");
}

#[test]
fn apply_does_the_rest_and_the_management_account_finishes_the_job() {
    let dir = tempfile::tempdir().unwrap();
    let snap = delegated_snapshot(dir.path());
    let report = dir.path().join("report.json");
    let report = report.to_str().unwrap();

    // Exit 1: one change not done, and why (not the IAM policy).
    let o = example("apply", &snap, &["--auto-approve", "--report", report]);
    assert_run!("apply_delegated", o.without_progress().in_dir(dir.path()));

    let r: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(report).unwrap()).unwrap();
    let ops = r["operations"].as_array().unwrap();
    assert_eq!(ops.len(), 11);
    for op in ops {
        let want = if key(op) == breakglass_delete() {
            "needs_management_account"
        } else {
            "succeeded"
        };
        assert_eq!(op["result"], want, "{op}");
    }

    // The delegated administrator's second run has nothing more it can do.
    let o = example("plan", &snap, &["--format", "json"]);
    let left: Vec<_> = o.json()["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(key)
        .collect();
    assert_eq!(left, [breakglass_delete()]);

    // The management account's run (the same file without
    // caller_account_id) finishes it.
    let text = std::fs::read_to_string(&snap).unwrap();
    let as_management: String = text
        .lines()
        .filter(|l| !l.starts_with("caller_account_id:"))
        .map(|l| format!("{l}\n"))
        .collect();
    assert_ne!(as_management, text);
    std::fs::write(&snap, as_management).unwrap();
    let o = example("apply", &snap, &["--auto-approve"]);
    assert_run!("apply_management", o.without_progress().in_dir(dir.path()));
    let o = example("plan", &snap, &[]);
    assert_run!("plan_after_both", o.in_dir(dir.path()));
}
