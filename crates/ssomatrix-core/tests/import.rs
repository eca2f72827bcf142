//! Import fixtures: each folder in `tests/import_fixtures/` holds a
//! `snapshot.yaml` (the live state), optionally `exclude.txt` (one glob a
//! line) and a `README.md`; the imported file and its report are compared
//! with `imported.snap` and `report.snap`. Every imported file must also
//! validate against the schema and plan to no change but orphan deletes
//! (import checks the latter itself; the test checks it again).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::fs;
use std::path::{Path, PathBuf};

use ssomatrix_core::classify::ReasonKind;
use ssomatrix_core::config::Config;
use ssomatrix_core::date::Date;
use ssomatrix_core::import::{ImportOptions, Imported, import};
use ssomatrix_core::live::LiveState;
use ssomatrix_core::plan::{Action, plan};
use ssomatrix_core::snapshot::Snapshot;

fn today() -> Date {
    Date::parse("2026-06-15").unwrap()
}

fn options(exclude: Vec<String>) -> ImportOptions {
    ImportOptions {
        exclude,
        owner: "imported".to_owned(),
        expires: Date::parse("2026-09-13").unwrap(),
        today: today(),
        source: "snapshot.yaml".to_owned(),
    }
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The shipped example organisation's live state.
fn example() -> LiveState {
    let text = fs::read_to_string(repo().join("examples/org.snapshot.yaml")).unwrap();
    Snapshot::parse("org.snapshot.yaml", &text)
        .unwrap()
        .to_live_state()
        .unwrap()
}

fn yaml_to_json(text: &str) -> serde_json::Value {
    serde_norway::from_str(text).unwrap()
}

/// The checks every imported file passes, whatever its content.
fn check_valid(imported: &Imported, live: &LiveState) {
    let schema: serde_json::Value =
        serde_json::from_str(&ssomatrix_core::schema::config_schema_json()).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let doc = yaml_to_json(&imported.text);
    let errors: Vec<String> = validator.iter_errors(&doc).map(|e| e.to_string()).collect();
    assert!(
        errors.is_empty(),
        "the imported file does not validate: {errors:?}"
    );
    let config = Config::parse("imported", &imported.text).unwrap();
    let plan = plan(&config, live, today()).unwrap();
    for change in &plan.changes {
        assert!(
            change.action == Action::Delete
                && change.reason_kind == Some(ReasonKind::PrincipalDeleted),
            "the imported file changes {change:?}"
        );
    }
    assert_eq!(
        plan.changes.len(),
        imported.report.deleted_principal_assignments,
        "the plan deletes exactly the assignments of deleted principals"
    );
}

fn run_fixture(dir: &Path) -> Imported {
    let text = fs::read_to_string(dir.join("snapshot.yaml")).unwrap();
    let live = Snapshot::parse("snapshot.yaml", &text)
        .unwrap()
        .to_live_state()
        .unwrap();
    let exclude = fs::read_to_string(dir.join("exclude.txt"))
        .map(|t| t.lines().map(str::to_owned).collect())
        .unwrap_or_default();
    let imported = import(&live, &options(exclude)).unwrap_or_else(|e| panic!("{e}"));
    check_valid(&imported, &live);
    imported
}

#[test]
fn import_fixtures() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/import_fixtures");
    let mut dirs: Vec<PathBuf> = fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("snapshot.yaml").exists())
        .collect();
    dirs.sort();
    assert!(dirs.len() >= 5, "the import fixtures are missing");
    for dir in dirs {
        let imported = run_fixture(&dir);
        let report = serde_json::to_string_pretty(&imported.report).unwrap();
        insta::with_settings!({
            snapshot_path => &dir,
            prepend_module_to_snapshot => false,
            omit_expression => true,
        }, {
            insta::assert_snapshot!("imported", imported.text);
            insta::assert_snapshot!("report", report);
        });
    }
}

#[test]
fn the_example_organisation_imports_to_no_change_but_orphans() {
    let live = example();
    let imported = import(&live, &options(vec!["AWSControlTower*".to_owned()])).unwrap();
    check_valid(&imported, &live);
    assert!(imported.report.deleted_principal_assignments > 0);
    assert!(imported.report.inactive_account_assignments > 0);
    assert!(imported.report.rules < imported.report.assignments_covered);
}

#[test]
fn an_expiry_before_today_is_refused() {
    let live = example();
    let mut past = options(Vec::new());
    past.expires = Date::parse("2026-06-14").unwrap();
    let err = import(&live, &past).unwrap_err().to_string();
    assert!(err.contains("pass a later --expires"), "{err}");
}

#[test]
fn an_instance_without_assignments_imports_to_a_file_that_plans() {
    let mut live = example();
    live.assignments.clear();
    let imported = import(&live, &options(Vec::new())).unwrap();
    check_valid(&imported, &live);
    assert_eq!(imported.report.rules, 0);
    assert!(imported.text.contains("assignments: []"));
}
