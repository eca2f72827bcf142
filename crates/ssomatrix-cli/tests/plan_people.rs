//! The people in a plan, end to end offline: a group whose members the
//! snapshot does not record is said to be unknown and does not fail the
//! plan, and a saved plan still applies after the members changed (the
//! people are for review, not part of what apply checks).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[macro_use]
mod support;

use support::{CONFIG, TODAY, edit, example_snapshot, run_on, write};

/// The members of aws-team-a-leads, who gain ReadOnlyAuditor in the
/// example's plan.
const LEADS_MEMBERS: &str = "  members:\n  - 70a8a6e6-21d9-70ea-3d4c-40c70c51226c  # dave.okafor@example.com\n  - deeda8b2-3927-70d6-4375-d0341e4f6f2a  # kate.wilson@example.com\n";
const LEADS: &str = "  name: aws-team-a-leads\n";

/// The example's JSON plan against the snapshot `snap`.
fn json_plan(snap: &str) -> serde_json::Value {
    run_on(
        TODAY,
        &["plan", "-c", CONFIG, "--snapshot", snap, "--format", "json"],
    )
    .json()
}

#[test]
fn a_group_without_recorded_members_is_unknown_not_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let text = edit(
        &example_snapshot(),
        &format!("{LEADS}{LEADS_MEMBERS}"),
        LEADS,
    );
    let snap = write(dir.path(), "org.snapshot.yaml", &text);
    let text_run = run_on(TODAY, &["plan", "-c", CONFIG, "--snapshot", &snap]);
    assert_eq!(text_run.code, Some(0), "{text_run}");
    assert!(
        text_run.stdout.contains(
            "? the people of group aws-team-a-leads are unknown and not counted: the snapshot does not record its members"
        ),
        "{text_run}"
    );
    assert!(
        !text_run.stdout.contains("gain ReadOnlyAuditor"),
        "nobody is counted out of a group of unknown people: {text_run}"
    );
    assert!(
        text_run
            .stderr
            .contains("the people of group aws-team-a-leads are unknown"),
        "{text_run}"
    );
    let json = json_plan(&snap);
    assert_eq!(
        json["people"]["unknown_groups"][0]["name"],
        "aws-team-a-leads"
    );
    assert_eq!(json["people"]["gain"], 0);
    assert_eq!(json["people"]["lose"], 3);
}

#[test]
fn a_saved_plan_applies_after_the_members_changed() {
    let dir = tempfile::tempdir().unwrap();
    let snap = write(dir.path(), "org.snapshot.yaml", &example_snapshot());
    let plan = dir.path().join("plan.json");
    let plan_path = plan.to_str().unwrap();
    let saved = run_on(
        TODAY,
        &[
            "plan",
            "-c",
            CONFIG,
            "--snapshot",
            &snap,
            "--out",
            plan_path,
        ],
    );
    assert_eq!(saved.code, Some(0), "{saved}");
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&plan).unwrap()).unwrap();
    assert_eq!(doc["people"]["gain"], 2, "{doc}");
    // Kate leaves aws-team-a-leads between plan and apply.
    let changed = edit(
        &std::fs::read_to_string(&snap).unwrap(),
        "  - deeda8b2-3927-70d6-4375-d0341e4f6f2a  # kate.wilson@example.com\n- id: b557733c",
        "- id: b557733c",
    );
    std::fs::write(&snap, changed).unwrap();
    let now = json_plan(&snap);
    assert_eq!(now["people"]["gain"], 1, "the members did change");
    let applied = run_on(
        TODAY,
        &[
            "apply",
            "-c",
            CONFIG,
            "--snapshot",
            &snap,
            "--plan",
            plan_path,
            "--auto-approve",
        ],
    );
    assert_eq!(applied.code, Some(0), "{applied}");
}
