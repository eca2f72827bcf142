//! A delegated administrator end to end, offline: a snapshot exported with a
//! member account's credentials (`caller_account_id`) gives a plan that
//! names the changes only the management account can make; `apply` does the
//! others, reports those not done and exits 1; a run as the management
//! account (no `caller_account_id`) finishes the job.
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
        .env("NO_COLOR", "1")
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

const CONFIG: &str = "assignments.example.yaml";
/// security-tooling, a member account of the example organisation.
const DELEGATED: &str = "056988977980";
const MANAGEMENT: &str = "006130415929";

/// A copy of the example snapshot as the delegated administrator exported
/// it. In the example, BreakGlass is assigned in the management account, so
/// the plan's delete of BreakGlass in network-hub is the delegated
/// administrator's to skip.
fn delegated_snapshot(dir: &Path) -> String {
    let text = std::fs::read_to_string(repo().join("examples/org.snapshot.yaml")).unwrap();
    let text = text.replacen(
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

    let o = run(&["plan", "-c", CONFIG, "--snapshot", &snap]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(
        text.starts_with(
            "Plan: 6 to create, 5 to delete, 119 unchanged; 1 need the management account (the caller is a delegated administrator)."
        ),
        "{text}"
    );
    let marked: Vec<&str> = text
        .lines()
        .filter(|l| {
            (l.starts_with("    + ") || l.starts_with("    - "))
                && l.ends_with("[management account only]")
        })
        .collect();
    assert_eq!(marked.len(), 1, "{text}");
    assert!(
        marked[0].contains("- BreakGlass  group aws-breakglass"),
        "{text}"
    );
    let warning = text
        .lines()
        .find(|l| l.contains("delegated administrator,"))
        .unwrap_or_else(|| panic!("no delegated administrator warning:\n{text}"));
    for needle in [
        DELEGATED,
        MANAGEMENT,
        "permission set BreakGlass",
        "run apply again with the management account's credentials",
    ] {
        assert!(warning.contains(needle), "{needle}: {warning}");
    }

    let o = run(&[
        "plan",
        "-c",
        CONFIG,
        "--snapshot",
        &snap,
        "--format",
        "json",
    ]);
    let plan: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
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

    let o = run(&[
        "plan",
        "-c",
        CONFIG,
        "--snapshot",
        &snap,
        "--format",
        "markdown",
    ]);
    let md = stdout(&o);
    let row = md
        .lines()
        .find(|l| l.contains("| BreakGlass |"))
        .unwrap_or_else(|| panic!("{md}"));
    assert!(row.contains("**[management account only]**"), "{row}");
    assert!(md.contains("delegated administrator"), "{md}");

    // The same instance as the management account sees it: no marks at all.
    let o = run(&[
        "plan",
        "-c",
        CONFIG,
        "--snapshot",
        "examples/org.snapshot.yaml",
        "--format",
        "json",
    ]);
    assert!(!stdout(&o).contains("needs_management_account"));
    assert!(!stdout(&o).contains("delegated_administrator"));
}

#[test]
fn apply_does_the_rest_and_the_management_account_finishes_the_job() {
    let dir = tempfile::tempdir().unwrap();
    let snap = delegated_snapshot(dir.path());
    let report = dir.path().join("report.json");
    let report = report.to_str().unwrap();

    let o = run(&[
        "apply",
        "-c",
        CONFIG,
        "--snapshot",
        &snap,
        "--auto-approve",
        "--report",
        report,
    ]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("Apply complete: 6 created, 4 deleted, 0 failed, 1 not done (they need the management account's credentials"),
        "{err}"
    );
    let line = err
        .lines()
        .find(|l| l.contains("! delete BreakGlass"))
        .unwrap_or_else(|| panic!("{err}"));
    assert!(line.contains("delegated administrator"), "{line}");
    assert!(!line.contains("IAM policy"), "{line}");

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
    let o = run(&[
        "plan",
        "-c",
        CONFIG,
        "--snapshot",
        &snap,
        "--format",
        "json",
    ]);
    let plan: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let left: Vec<_> = plan["changes"]
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
    let o = run(&["apply", "-c", CONFIG, "--snapshot", &snap, "--auto-approve"]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(0), "{err}");
    assert!(
        err.contains("Apply complete: 0 created, 1 deleted, 0 failed;"),
        "{err}"
    );
    let o = run(&["plan", "-c", CONFIG, "--snapshot", &snap]);
    assert!(stdout(&o).starts_with("No changes"), "{}", stdout(&o));
}
