//! `ssomatrix import` end to end on the example snapshot: the file it
//! writes plans to nothing but the deletes of deleted principals, an
//! existing file is never replaced unasked, and the report is JSON.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[macro_use]
mod support;

use support::{SNAPSHOT, run, write};

#[test]
fn the_example_imports_and_its_plan_deletes_only_orphans() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("imported.yaml");
    let report = dir.path().join("report.json");
    let (out_s, report_s) = (out.to_str().unwrap(), report.to_str().unwrap());
    let o = run(&[
        "import",
        "--snapshot",
        SNAPSHOT,
        "--exclude",
        "AWSControlTower*",
        "--out",
        out_s,
        "--report",
        report_s,
    ])
    .in_dir(dir.path());
    assert_run!("import_example", o);
    let imported = std::fs::read_to_string(&out).unwrap();
    insta::assert_snapshot!("import_example_file", imported);
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(json["rules"], 15);
    assert_eq!(json["deleted_principal_assignments"], 2);

    let plan = run(&[
        "plan",
        "-c",
        out_s,
        "--snapshot",
        SNAPSHOT,
        "--format",
        "json",
    ]);
    assert_eq!(plan.code, Some(0), "{plan}");
    let changes = plan.json()["changes"].as_array().unwrap().clone();
    assert_eq!(changes.len(), 2, "{plan}");
    for c in changes {
        assert_eq!(c["action"], "delete");
        assert_eq!(c["reason_kind"], "principal_deleted");
    }
    let validate = run(&["validate", "-c", out_s, "--snapshot", SNAPSHOT]);
    assert_eq!(validate.code, Some(0), "{validate}");
}

#[test]
fn an_existing_out_file_is_kept_unless_forced() {
    let dir = tempfile::tempdir().unwrap();
    let out = write(dir.path(), "assignments.yaml", "hand-written\n");
    let refused = run(&["import", "--snapshot", SNAPSHOT, "--out", &out]).in_dir(dir.path());
    assert_run!("import_refuses_existing_out", refused);
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "hand-written\n");
    let forced = run(&["import", "--snapshot", SNAPSHOT, "--out", &out, "--force"]);
    assert_eq!(forced.code, Some(0), "{forced}");
    assert!(
        std::fs::read_to_string(&out)
            .unwrap()
            .starts_with("# Imported by")
    );
}

#[test]
fn an_expiry_in_the_past_is_refused_and_nothing_is_written() {
    let o = run(&["import", "--snapshot", SNAPSHOT, "--expires", "2020-01-01"]);
    assert_eq!(o.code, Some(1), "{o}");
    assert!(o.stdout.is_empty());
    assert!(o.stderr.contains("pass a later --expires"), "{o}");
}

#[test]
fn instance_arn_must_name_the_instance_read() {
    // The snapshot's own instance: the same file as without the flag.
    let plain = run(&["import", "--snapshot", SNAPSHOT]);
    let pinned = run(&[
        "import",
        "--snapshot",
        SNAPSHOT,
        "--instance-arn",
        "arn:aws:sso:::instance/ssoins-7ad5ba514d395dd7",
    ]);
    assert_eq!(pinned.code, Some(0), "{pinned}");
    assert_eq!(pinned.stdout, plain.stdout);

    // Another instance: refused by name, nothing written.
    let other = run(&[
        "import",
        "--snapshot",
        SNAPSHOT,
        "--instance-arn",
        "arn:aws:sso:::instance/ssoins-0000000000000000",
    ]);
    assert_ne!(other.code, Some(0), "{other}");
    assert!(other.stdout.is_empty(), "{other}");
    assert!(other.stderr.contains("ssoins-0000000000000000"), "{other}");

    // A typo is named as the flag's before anything is read.
    let typo = run(&[
        "import",
        "--snapshot",
        SNAPSHOT,
        "--instance-arn",
        "ssoins-1",
    ]);
    assert_eq!(typo.code, Some(1), "{typo}");
    assert!(typo.stderr.contains("--instance-arn"), "{typo}");
}
