//! The binary end to end against snapshot files: exit codes, output formats,
//! saved plans, export round trips, and the messages of bad files.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[macro_use]
mod support;

use support::{CONFIG, Run, SNAPSHOT, command, example, repo, run, write};

const EXAMPLE: [&str; 4] = ["-c", CONFIG, "--snapshot", SNAPSHOT];

fn plan(extra: &[&str]) -> Run {
    example("plan", SNAPSHOT, extra)
}

#[test]
fn plan_on_the_example_succeeds_and_exits_2_with_detailed_exitcode() {
    let o = plan(&[]);
    assert!(
        !o.stdout.contains('\x1b'),
        "no colour when stdout is not a terminal"
    );
    assert_run!("plan_text", o);
    let detailed = plan(&["--detailed-exitcode"]);
    assert_eq!(detailed.code, Some(2));
    assert_eq!(detailed.stdout, o.stdout);
}

#[test]
fn aws_settings_in_the_environment_do_not_conflict_with_a_snapshot() {
    let mut args = vec!["plan"];
    args.extend(EXAMPLE);
    let o = Run::from(
        command(&args)
            .env("AWS_PROFILE", "some-profile")
            .env("AWS_REGION", "eu-west-1")
            .output()
            .unwrap(),
    );
    assert_eq!(o, plan(&[]));
}

#[test]
fn detailed_exitcode_is_0_without_changes() {
    let dir = repo().join("crates/ssomatrix-core/tests/fixtures/28-no-changes");
    let o = run(&[
        "plan",
        "-c",
        dir.join("config.yaml").to_str().unwrap(),
        "--snapshot",
        dir.join("snapshot.yaml").to_str().unwrap(),
        "--detailed-exitcode",
    ]);
    assert_run!("no_changes", o);
}

#[test]
fn json_plan_has_the_documented_shape_and_out_saves_it() {
    let dir = tempfile::tempdir().unwrap();
    let saved = dir.path().join("plan.json");
    let o = plan(&["--format", "json", "--out", saved.to_str().unwrap()]);
    assert_eq!(o.code, Some(0), "{o}");
    assert_eq!(
        o.in_dir(dir.path()).stderr,
        "saved the plan to [DIR]/plan.json; `ssomatrix apply --plan [DIR]/plan.json` applies exactly it\n"
    );
    let v = o.json();
    assert_eq!(v["format_version"], 1);
    assert_eq!(v["summary"]["create"], 6);
    assert_eq!(v["summary"]["delete"], 5);
    assert_eq!(v["summary"]["unchanged"], 119);
    let first = &v["changes"][0];
    for key in [
        "action",
        "principal_type",
        "principal_id",
        "principal_name",
        "permission_set_arn",
        "permission_set_name",
        "account_id",
        "account_name",
        "reason",
        "reason_kind",
    ] {
        assert!(first.get(key).is_some(), "change lacks {key}: {first}");
    }
    assert_eq!(v["fingerprint"].as_str().unwrap().len(), 64);
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&saved).unwrap()).unwrap();
    assert_eq!(
        saved, v,
        "--out saves the same plan as --format json prints"
    );
}

#[test]
fn plans_are_byte_stable() {
    let a = plan(&["--format", "json"]).stdout;
    let b = plan(&["--format", "json"]).stdout;
    assert_eq!(a, b);
}

#[test]
fn markdown_plan_is_a_pr_comment() {
    let o = plan(&["--format", "markdown"]);
    assert!(o.stdout.len() <= 65_536);
    assert_run!("plan_markdown", o);
}

#[test]
fn validate_checks_names_against_a_snapshot() {
    let mut args = vec!["validate"];
    args.extend(EXAMPLE);
    assert_run!("validate_snapshot", run(&args));
    assert_run!("validate_offline", run(&["validate", "-c", CONFIG]));
}

#[test]
fn bad_files_exit_1_with_every_problem_and_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "bad.yaml",
        "assignments:\n  - group: aws-team-a-engineer\n    permission_set: AppDeveloper\n    ous: [Workloads/Nonprod]\n  - group: aws-finops\n    permission_set: BillingViewr\n    ous: [_root_]\n",
    );
    let o = run(&["plan", "-c", &file, "--snapshot", SNAPSHOT]);
    assert_run!("bad_names", o.in_dir(dir.path()));
}

/// Each case is checked with `validate` and no `--snapshot`: were AWS read,
/// it would fail differently.
#[test]
fn structural_errors_are_reported_before_any_instance_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        ("empty", ""),
        ("truncated", "assignments:\n"),
        (
            "unknown-key",
            "assignments:\n  - group: g\n    permission_set: P\n    ou: [X]\n",
        ),
        (
            "dup-key",
            "assignments:\n  - group: g\n    group: h\n    permission_set: P\n    ous: [X]\n",
        ),
        (
            "bad-id",
            "assignments:\n  - group: g\n    permission_set: P\n    accounts: [\"1234\"]\n",
        ),
        (
            "bad-date",
            "assignments:\n  - user: u\n    owner: o\n    expires: 2026-13-01\n    permission_set: P\n    ous: [X]\n",
        ),
        (
            "no-target",
            "assignments:\n  - group: g\n    permission_set: P\n",
        ),
    ];
    for (name, text) in cases {
        let file = write(dir.path(), &format!("{name}.yaml"), text);
        let o = run(&["validate", "-c", &file]);
        assert_run!(format!("structural_{name}"), o.in_dir(dir.path()));
    }
}

#[test]
fn alias_bombs_fail_fast() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..15 {
        let p = i - 1;
        text.push_str(&format!(
            "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
        ));
    }
    text.push_str("assignments: []\n");
    let file = write(dir.path(), "bomb.yaml", &text);
    let o = run(&["validate", "-c", &file]);
    assert_run!("alias_bomb", o.in_dir(dir.path()));
}

#[test]
fn usage_errors_exit_1_not_2() {
    assert_run!("usage_error", run(&["plan", "--no-such-flag"]));
    assert_run!("help", run(&["--help"]));
}

#[test]
fn missing_files_are_named() {
    let o = run(&["plan", "-c", "nope.yaml", "--snapshot", SNAPSHOT]);
    assert_run!("missing_config", o);
    let o = run(&["plan", "-c", CONFIG, "--snapshot", "nope.snapshot.yaml"]);
    assert_run!("missing_snapshot", o);
}

#[test]
fn export_round_trips_a_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let exported = dir.path().join("exported.yaml");
    let o = run(&[
        "export",
        "--snapshot",
        SNAPSHOT,
        "--out",
        exported.to_str().unwrap(),
    ]);
    assert_run!("export_out", o.in_dir(dir.path()));
    let original = plan(&["--format", "json"]).stdout;
    let again = run(&[
        "plan",
        "-c",
        CONFIG,
        "--snapshot",
        exported.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(again.code, Some(0), "{again}");
    assert_eq!(
        again.stdout, original,
        "a plan on the exported snapshot equals the plan on the original"
    );
}

#[test]
fn schema_command_prints_the_committed_schema() {
    let o = run(&["schema"]);
    assert_eq!(o.code, Some(0), "{o}");
    let committed = std::fs::read_to_string(repo().join("schemas/ssomatrix.schema.json")).unwrap();
    assert_eq!(o.stdout, committed);
}
