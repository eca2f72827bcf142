//! Fixture-driven drift report tests. Each folder in `tests/drift_fixtures/`
//! holds a `config.yaml`, a `snapshot.yaml` (the live state) and a `README.md`
//! saying what it checks and whether it needs action (`Needs action: yes.`);
//! `check()` computes the report as of 2026-06-15 and compares its text,
//! Markdown and JSON renderings with the snapshots beside it. Each folder is
//! a test of its own (`fixture_tests!`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[macro_use]
mod support;

use std::fs;
use std::path::{Path, PathBuf};

use ssomatrix_core::config::Config;
use ssomatrix_core::date::Date;
use ssomatrix_core::drift;
use ssomatrix_core::ids::{AccountId, PermissionSetArn, PrincipalId, PrincipalType};
use ssomatrix_core::live::Assignment;
use ssomatrix_core::plan::{EXPIRY_WARNING_DAYS, plan};
use ssomatrix_core::render::drift::DRIFT_MARKER;
use ssomatrix_core::render::{self, GITHUB_COMMENT_LIMIT, TextStyle};
use ssomatrix_core::snapshot::Snapshot;

const TODAY: &str = "2026-06-15";

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/drift_fixtures")
}

fn load(dir: &Path) -> (Config, ssomatrix_core::live::LiveState) {
    let read = |f: &str| {
        fs::read_to_string(dir.join(f)).unwrap_or_else(|e| panic!("{}: {e}", dir.join(f).display()))
    };
    let snapshot = Snapshot::parse("snapshot.yaml", &read("snapshot.yaml")).unwrap();
    let live = snapshot.to_live_state().unwrap();
    let config = Config::parse("config.yaml", &read("config.yaml")).unwrap();
    (config, live)
}

fn check(name: &str) {
    let dir = &root().join(name);
    let readme = fs::read_to_string(dir.join("README.md")).unwrap();
    let expect_action = if readme.contains("Needs action: yes.") {
        true
    } else if readme.contains("Needs action: no.") {
        false
    } else {
        panic!("{name}: README.md must say `Needs action: yes.` or `Needs action: no.`");
    };
    let (config, live) = load(dir);
    let report = drift::drift(
        &config,
        &live,
        Date::parse(TODAY).unwrap(),
        EXPIRY_WARNING_DAYS,
    );
    assert_eq!(report.needs_action(), expect_action, "{name}: needs action");
    if let Ok(plan) = plan(&config, &live, Date::parse(TODAY).unwrap()) {
        support::assert_drift_agrees(name, &plan, &report);
    }

    let text = render::drift::text(&report, TextStyle::default());
    let md = render::drift::markdown(&report);
    let json = render::drift::json(&report);
    assert!(md.starts_with(DRIFT_MARKER), "{name}: marker first");
    assert!(md.len() <= GITHUB_COMMENT_LIMIT);
    let parsed: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(
        parsed["summary"]["undeclared"],
        parsed["undeclared"].as_array().unwrap().len()
    );
    assert_eq!(parsed["summary"]["needs_action"], expect_action);

    insta::with_settings!({
        snapshot_path => dir,
        prepend_module_to_snapshot => false,
        omit_expression => true,
    }, {
        insta::assert_snapshot!("drift_text", text);
        insta::assert_snapshot!("drift_markdown", md);
        insta::assert_snapshot!("drift_json", json);
    });
}

fixture_tests!(check;
    drift_01_clean => "01-clean",
    drift_02_undeclared_click_ops => "02-undeclared-click-ops",
    drift_03_missing_live => "03-missing-live",
    drift_04_expired_exception_still_live => "04-expired-exception-still-live",
    drift_05_expiring_soon => "05-expiring-soon",
    drift_06_deleted_principal => "06-deleted-principal",
    drift_07_out_of_sync => "07-out-of-sync",
    drift_08_inactive_account => "08-inactive-account",
    drift_09_unresolved_references => "09-unresolved-references",
    drift_10_outside_scope_counts => "10-outside-scope-counts",
    drift_11_hostile_names => "11-hostile-names",
    drift_12_left_alone_as_apply_leaves_it => "12-left-alone-as-apply-leaves-it",
);

/// A drift fixture per section plus a clean one, each a test of its own.
#[test]
fn every_folder_is_a_test() {
    support::assert_all_listed(&root(), LISTED, 10);
}

/// Thousands of findings still give an issue body within GitHub's limit,
/// which says loudly that it could not list every one and counts them.
#[test]
fn drift_markdown_stays_within_the_issue_limit() {
    let (config, mut live) = load(&root().join("01-clean"));
    let account = AccountId::new("134534670757").unwrap();
    let ps = live.permission_set_named("AppDeveloper").unwrap().clone();
    for i in 0..3000u32 {
        let id = PrincipalId::new(format!("9a1f0e55-3b2c-70d1-8e44-{i:012}")).unwrap();
        live.principals
            .by_id
            .insert((PrincipalType::Group, id.clone()), None);
        live.assignments.insert(Assignment {
            account_id: account.clone(),
            permission_set_arn: PermissionSetArn::clone(&ps),
            principal_type: PrincipalType::Group,
            principal_id: id,
        });
    }
    let report = drift::drift(
        &config,
        &live,
        Date::parse(TODAY).unwrap(),
        EXPIRY_WARNING_DAYS,
    );
    assert_eq!(report.deleted_principals.len(), 3000);
    let md = render::drift::markdown(&report);
    assert!(md.len() <= GITHUB_COMMENT_LIMIT, "{} chars", md.len());
    assert!(md.starts_with(DRIFT_MARKER));
    assert!(
        md.contains("> [!CAUTION]\n> **Not every finding that `apply` would delete is listed.**"),
        "a body that cannot list every delete says so first"
    );
    assert!(
        md.contains("\n- 3,000 assignments of AppDeveloper in Workloads/NonProd/Dev\n"),
        "{md}"
    );
}
