//! The binary end to end against snapshot files: exit codes, output formats,
//! saved plans, export round trips, and the messages of bad files.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn fixture(case: &str) -> PathBuf {
    repo()
        .join("crates/ssomatrix-core/tests/fixtures")
        .join(case)
}

fn ssomatrix(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ssomatrix"))
        .args(args)
        .current_dir(repo())
        .env("SSOMATRIX_TODAY", "2026-11-24")
        .env_remove("RUST_LOG")
        .env_remove("AWS_PROFILE")
        .output()
        .unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

const EXAMPLE: [&str; 4] = [
    "-c",
    "assignments.example.yaml",
    "--snapshot",
    "examples/org.snapshot.yaml",
];

fn plan(extra: &[&str]) -> Output {
    let mut args = vec!["plan"];
    args.extend(EXAMPLE);
    args.extend(extra);
    ssomatrix(&args)
}

#[test]
fn plan_on_the_example_succeeds_and_exits_2_with_detailed_exitcode() {
    let o = plan(&[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(
        text.starts_with("Plan: 6 to create, 5 to delete, 119 unchanged."),
        "{text}"
    );
    assert!(
        !text.contains('\x1b'),
        "no colour when stdout is not a terminal"
    );
    let o = plan(&["--detailed-exitcode"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn aws_settings_in_the_environment_do_not_conflict_with_a_snapshot() {
    let mut args = vec!["plan"];
    args.extend(EXAMPLE);
    let o = Command::new(env!("CARGO_BIN_EXE_ssomatrix"))
        .args(&args)
        .current_dir(repo())
        .env("AWS_PROFILE", "some-profile")
        .env("AWS_REGION", "eu-west-1")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

#[test]
fn detailed_exitcode_is_0_without_changes() {
    let dir = fixture("28-no-changes");
    let o = ssomatrix(&[
        "plan",
        "-c",
        dir.join("config.yaml").to_str().unwrap(),
        "--snapshot",
        dir.join("snapshot.yaml").to_str().unwrap(),
        "--detailed-exitcode",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).starts_with("No changes"));
}

#[test]
fn json_plan_has_the_documented_shape_and_out_saves_it() {
    let dir = tempfile::tempdir().unwrap();
    let saved = dir.path().join("plan.json");
    let o = plan(&["--format", "json", "--out", saved.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
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
    let a = stdout(&plan(&["--format", "json"]));
    let b = stdout(&plan(&["--format", "json"]));
    assert_eq!(a, b);
}

#[test]
fn markdown_plan_is_a_pr_comment() {
    let o = plan(&["--format", "markdown"]);
    assert_eq!(o.status.code(), Some(0));
    let md = stdout(&o);
    assert!(md.starts_with("<!-- ssomatrix-plan -->"));
    assert!(md.contains("| 6 | 5 | 119 |"), "{md}");
    assert!(md.contains("```diff\n"));
    assert!(
        md.contains("\n+ team-a-prod (203892407343)  ReadOnlyAuditor  group aws-team-a-leads\n"),
        "{md}"
    );
    assert!(
        md.contains(
            "\n- payments-dev (372998747195)  AppDeveloper  user carol.diaz@contractor.example\n"
        ),
        "{md}"
    );
    assert!(md.len() <= 65_536);
}

#[test]
fn validate_checks_names_against_a_snapshot() {
    let mut args = vec!["validate"];
    args.extend(EXAMPLE);
    let o = ssomatrix(&args);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stderr(&o).contains("every name resolves"));
    let o = ssomatrix(&["validate", "-c", "assignments.example.yaml"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stderr(&o).contains("names were not checked"));
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.to_str().unwrap().to_owned()
}

#[test]
fn bad_files_exit_1_with_every_problem_and_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "bad.yaml",
        "assignments:\n  - group: aws-team-a-engineer\n    permission_set: AppDeveloper\n    ous: [Workloads/Nonprod]\n  - group: aws-finops\n    permission_set: BillingViewr\n    ous: [_root_]\n",
    );
    let o = ssomatrix(&[
        "plan",
        "-c",
        &file,
        "--snapshot",
        "examples/org.snapshot.yaml",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.contains("3 problems in"), "{err}");
    assert!(err.contains("bad.yaml:2: unknown group `aws-team-a-engineer` in the identity store; did you mean `aws-team-a-engineers`?"), "{err}");
    assert!(
        err.contains(
            "bad.yaml:4: unknown OU path `Workloads/Nonprod`; did you mean `Workloads/NonProd`?"
        ),
        "{err}"
    );
    assert!(err.contains("bad.yaml:6: unknown permission set `BillingViewr` in the instance; did you mean `BillingViewer`?"), "{err}");
    assert!(stdout(&o).is_empty(), "no partial plan on stdout");
}

#[test]
fn structural_errors_are_reported_before_any_instance_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        ("empty.yaml", "", "the file is empty"),
        (
            "truncated.yaml",
            "assignments:\n",
            "`assignments` is missing or empty",
        ),
        (
            "unknown-key.yaml",
            "assignments:\n  - group: g\n    permission_set: P\n    ou: [X]\n",
            ":4: assignments[0]: unknown field `ou`",
        ),
        (
            "dup-key.yaml",
            "assignments:\n  - group: g\n    group: h\n    permission_set: P\n    ous: [X]\n",
            ":3: duplicate key `group`",
        ),
        (
            "bad-id.yaml",
            "assignments:\n  - group: g\n    permission_set: P\n    accounts: [\"1234\"]\n",
            ":4: `1234` is not a valid account id",
        ),
        (
            "bad-date.yaml",
            "assignments:\n  - user: u\n    owner: o\n    expires: 2026-13-01\n    permission_set: P\n    ous: [X]\n",
            ":4: `2026-13-01` is not a date",
        ),
        (
            "no-target.yaml",
            "assignments:\n  - group: g\n    permission_set: P\n",
            ":2: rule #1 (line 2) has no target",
        ),
    ];
    for (name, text, expected) in cases {
        let file = write(dir.path(), name, text);
        // No --snapshot: were AWS read, this would fail differently.
        let o = ssomatrix(&["validate", "-c", &file]);
        assert_eq!(o.status.code(), Some(1), "{name}: {}", stderr(&o));
        assert!(stderr(&o).contains(expected), "{name}: {}", stderr(&o));
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
    let o = ssomatrix(&["validate", "-c", &file]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("alias bomb"), "{}", stderr(&o));
}

#[test]
fn usage_errors_exit_1_not_2() {
    let o = ssomatrix(&["plan", "--no-such-flag"]);
    assert_eq!(o.status.code(), Some(1));
    let o = ssomatrix(&["--help"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).contains("Exit codes"));
}

#[test]
fn missing_files_are_named() {
    let o = ssomatrix(&[
        "plan",
        "-c",
        "nope.yaml",
        "--snapshot",
        "examples/org.snapshot.yaml",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("cannot read nope.yaml"),
        "{}",
        stderr(&o)
    );
    let o = ssomatrix(&[
        "plan",
        "-c",
        "assignments.example.yaml",
        "--snapshot",
        "nope.snapshot.yaml",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("cannot read snapshot nope.snapshot.yaml"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn export_round_trips_a_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let exported = dir.path().join("exported.yaml");
    let o = ssomatrix(&[
        "export",
        "--snapshot",
        "examples/org.snapshot.yaml",
        "--out",
        exported.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let original = stdout(&plan(&["--format", "json"]));
    let again = ssomatrix(&[
        "plan",
        "-c",
        "assignments.example.yaml",
        "--snapshot",
        exported.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(again.status.code(), Some(0), "{}", stderr(&again));
    assert_eq!(
        stdout(&again),
        original,
        "a plan on the exported snapshot equals the plan on the original"
    );
}

#[test]
fn schema_command_prints_the_committed_schema() {
    let o = ssomatrix(&["schema"]);
    assert_eq!(o.status.code(), Some(0));
    let committed = std::fs::read_to_string(repo().join("schemas/ssomatrix.schema.json")).unwrap();
    assert_eq!(stdout(&o), committed);
}
