//! `--account` on `plan`, `apply` and `drift` against a snapshot file: the
//! plan of one account is the full plan's changes there and says it is
//! partial, apply changes nothing elsewhere, a saved partial plan applies to
//! exactly its accounts, drift reports only them, and an `--account` that
//! names no account or several is refused with the fix.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[macro_use]
mod support;

use serde_json::Value;
use ssomatrix_core::snapshot::Snapshot;
use support::{SNAPSHOT, edit, example, example_snapshot, snapshot_copy, write};

/// web-prod: one create and one delete in the example plan.
const WEB_PROD: &str = "263665753971";

/// The plan's changes as (action, account, permission set, principal).
fn changes(plan: &Value) -> Vec<(String, String, String, String)> {
    plan["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let s = |k: &str| c[k].as_str().unwrap().to_owned();
            (
                s("action"),
                s("account_id"),
                s("permission_set_name"),
                s("principal_id"),
            )
        })
        .collect()
}

fn plan_json(snap: &str, extra: &[&str]) -> Value {
    let mut args = vec!["--format", "json"];
    args.extend(extra);
    let o = example("plan", snap, &args);
    assert_eq!(o.code, Some(0), "{o}");
    o.json()
}

fn outside(
    changes: Vec<(String, String, String, String)>,
    account: &str,
) -> Vec<(String, String, String, String)> {
    changes.into_iter().filter(|c| c.1 != account).collect()
}

#[test]
fn plan_account_lists_only_that_accounts_changes_and_says_it_is_partial() {
    let full = changes(&plan_json(SNAPSHOT, &[]));
    let want: Vec<_> = full.iter().filter(|c| c.1 == WEB_PROD).cloned().collect();
    assert_eq!(want.len(), 2, "{full:?}");
    assert!(full.len() > want.len());
    for account in ["web-prod", WEB_PROD] {
        let partial = plan_json(SNAPSHOT, &["--account", account]);
        assert_eq!(changes(&partial), want, "--account {account}");
        assert_eq!(
            partial["partial"],
            serde_json::json!([{"id": WEB_PROD, "name": "web-prod", "ou_path": "Workloads/Prod"}])
        );
    }
    for (name, format) in [
        ("plan_account_text", "text"),
        ("plan_account_markdown", "markdown"),
        ("plan_account_json", "json"),
    ] {
        assert_run!(
            name,
            example(
                "plan",
                SNAPSHOT,
                &["--account", "web-prod", "--format", format]
            )
        );
    }
}

#[test]
fn apply_account_makes_that_accounts_changes_and_touches_nothing_elsewhere() {
    let dir = tempfile::tempdir().unwrap();
    let snap = snapshot_copy(dir.path());
    let before = changes(&plan_json(&snap, &[]));
    let text_before = std::fs::read_to_string(&snap).unwrap();

    let o = example("apply", &snap, &["--account", WEB_PROD, "--auto-approve"]);
    assert_run!("apply_account", o.without_progress().in_dir(dir.path()));

    let after = changes(&plan_json(&snap, &[]));
    assert_eq!(
        after,
        outside(before, WEB_PROD),
        "only web-prod's changes were made"
    );
    let parse = |t: &str| Snapshot::parse("snap", t).unwrap();
    let (old, new) = (
        parse(&text_before),
        parse(&std::fs::read_to_string(&snap).unwrap()),
    );
    let elsewhere = |s: &Snapshot| -> Vec<_> {
        s.assignments
            .iter()
            .filter(|a| a.account_id.as_str() != WEB_PROD)
            .cloned()
            .collect()
    };
    assert_eq!(elsewhere(&old), elsewhere(&new));
    assert_ne!(old.assignments, new.assignments);
}

#[test]
fn a_saved_partial_plan_applies_only_to_the_accounts_it_was_made_for() {
    let dir = tempfile::tempdir().unwrap();
    let snap = snapshot_copy(dir.path());
    let saved = dir.path().join("plan.json").to_str().unwrap().to_owned();
    let o = example("plan", &snap, &["--account", "web-prod", "--out", &saved]);
    assert_eq!(o.code, Some(0), "{o}");

    let apply = |extra: &[&str]| {
        let mut args = vec!["--plan", saved.as_str(), "--auto-approve"];
        args.extend(extra);
        example("apply", &snap, &args).in_dir(dir.path())
    };
    assert_run!("saved_partial_plan_without_account", apply(&[]));
    assert_run!(
        "saved_partial_plan_other_account",
        apply(&["--account", "audit"])
    );
    let o = apply(&["--account", "web-prod"]);
    assert_eq!(o.code, Some(0), "{o}");
    assert_eq!(changes(&plan_json(&snap, &["--account", WEB_PROD])), []);

    // A plan of the whole organization is not applied to one account either.
    let whole = dir.path().join("whole.json").to_str().unwrap().to_owned();
    let o = example("plan", &snap, &["--out", &whole]);
    assert_eq!(o.code, Some(0), "{o}");
    let o = example(
        "apply",
        &snap,
        &["--plan", &whole, "--account", "audit", "--auto-approve"],
    );
    assert_eq!(o.code, Some(1), "{o}");
    assert!(
        o.stderr
            .contains("was made with no --account (the whole organization)"),
        "{o}"
    );
}

#[test]
fn drift_account_reports_only_that_account() {
    let full = example("drift", SNAPSHOT, &["--format", "json"]).json();
    let partial = example(
        "drift",
        SNAPSHOT,
        &["--format", "json", "--account", "web-prod"],
    )
    .json();
    assert_eq!(partial["partial"][0]["id"], WEB_PROD);
    let in_web_prod = |report: &Value, section: &str| -> Vec<Value> {
        report[section]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["account_id"] == WEB_PROD)
            .cloned()
            .collect()
    };
    for section in ["undeclared", "missing", "expired", "deleted_principals"] {
        assert_eq!(
            partial[section].as_array().unwrap(),
            &in_web_prod(&full, section),
            "{section}"
        );
    }
    assert!(!partial["undeclared"].as_array().unwrap().is_empty());
    for (name, format) in [
        ("drift_account_text", "text"),
        ("drift_account_markdown", "markdown"),
    ] {
        assert_run!(
            name,
            example(
                "drift",
                SNAPSHOT,
                &["--account", "web-prod", "--format", format]
            )
        );
    }
}

#[test]
fn an_account_that_names_no_account_or_several_is_refused_with_the_fix() {
    assert_run!(
        "account_unknown_name",
        example("plan", SNAPSHOT, &["--account", "web-prd"])
    );
    assert_run!(
        "account_unknown_id",
        example("plan", SNAPSHOT, &["--account", "123456789012"])
    );
    let dir = tempfile::tempdir().unwrap();
    let snap = write(
        dir.path(),
        "shared.snapshot.yaml",
        &edit(
            &example_snapshot(),
            "name: team-b-prod\n",
            "name: web-prod\n",
        ),
    );
    assert_run!(
        "account_shared_name",
        example("plan", &snap, &["--account", "web-prod"]).in_dir(dir.path())
    );
}
