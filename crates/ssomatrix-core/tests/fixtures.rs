//! Fixture-driven planner tests. Each folder in `tests/fixtures/` holds a
//! `config.yaml` and a `snapshot.yaml` (the live state) and a `README.md`
//! saying what it checks; `check_plan()` plans it as of 2026-06-15 and compares
//! the rendered plan with the snapshots beside it: `plan.snap` (text),
//! `plan.md.snap` (Markdown) and `plan.json.snap` (JSON). Folders in
//! `tests/error_fixtures/` must fail to plan; their errors are compared with
//! `errors.snap`. Each folder is a test of its own (`fixture_tests!`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[macro_use]
mod support;

use std::fs;
use std::path::{Path, PathBuf};

use ssomatrix_core::config::Config;
use ssomatrix_core::date::Date;
use ssomatrix_core::drift;
use ssomatrix_core::live::LiveState;
use ssomatrix_core::plan::{EXPIRY_WARNING_DAYS, Plan, plan};
use ssomatrix_core::render::{self, TextStyle};
use ssomatrix_core::snapshot::Snapshot;

fn today() -> Date {
    Date::parse("2026-06-15").unwrap()
}

/// Plans one fixture folder; `Err(text)` holds the errors.
fn run(dir: &Path) -> Result<(Config, Plan, LiveState), String> {
    let read = |f: &str| {
        fs::read_to_string(dir.join(f)).unwrap_or_else(|e| panic!("{}: {e}", dir.join(f).display()))
    };
    let snapshot =
        Snapshot::parse("snapshot.yaml", &read("snapshot.yaml")).map_err(|e| e.to_string())?;
    let live = snapshot.to_live_state().map_err(|e| e.to_string())?;
    let config = Config::parse("config.yaml", &read("config.yaml")).map_err(|e| e.to_string())?;
    let plan = plan(&config, &live, today()).map_err(|e| e.to_string())?;
    Ok((config, plan, live))
}

fn snapshots(dir: &Path, f: impl FnOnce()) {
    insta::with_settings!({
        snapshot_path => dir,
        prepend_module_to_snapshot => false,
        omit_expression => true,
    }, {
        f();
    });
}

fn plans() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn errors() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/error_fixtures")
}

fn check_plan(name: &str) {
    let dir = plans().join(name);
    let (config, plan, live) =
        run(&dir).unwrap_or_else(|e| panic!("{name}: expected a plan, got errors:\n{e}"));
    let text = render::text(&plan, TextStyle::default());
    let md = render::markdown(&plan, &live);
    let json = render::json(&plan);
    let parsed: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(parsed["summary"]["create"], plan.creates().count());
    assert!(md.len() <= render::GITHUB_COMMENT_LIMIT);
    let report = drift::drift(&config, &live, today(), EXPIRY_WARNING_DAYS);
    support::assert_drift_agrees(name, &plan, &report);
    snapshots(&dir, || {
        insta::assert_snapshot!("plan", text);
        insta::assert_snapshot!("plan.md", md);
        insta::assert_snapshot!("plan.json", json);
    });
}

fn check_errors(name: &str) {
    let dir = errors().join(name);
    let errors = match run(&dir) {
        Err(errors) => errors,
        Ok((_, plan, _)) => panic!(
            "{name}: expected errors, got a plan:\n{}",
            render::text(&plan, TextStyle::default())
        ),
    };
    snapshots(&dir, || insta::assert_snapshot!("errors", errors));
}

mod plan_fixtures {
    use super::check_plan;

    fixture_tests!(check_plan;
        plan_01_seed_format_unchanged => "01-seed-format-unchanged",
        plan_02_nested_ou_includes_children => "02-nested-ou-includes-children",
        plan_03_root_includes_management_account => "03-root-includes-management-account",
        plan_04_ou_by_id => "04-ou-by-id",
        plan_05_account_by_id => "05-account-by-id",
        plan_06_account_by_name => "06-account-by-name",
        plan_07_account_tags_all_pairs => "07-account-tags-all-pairs",
        plan_08_exclude_accounts => "08-exclude-accounts",
        plan_09_exclude_ous => "09-exclude-ous",
        plan_10_suspended_account_targeted => "10-suspended-account-targeted",
        plan_11_suspended_account_stale_assignment => "11-suspended-account-stale-assignment",
        plan_12_user_rule_expired => "12-user-rule-expired",
        plan_13_user_rule_future => "13-user-rule-future",
        plan_14_user_rule_expiring_soon => "14-user-rule-expiring-soon",
        plan_15_scope_declared_default => "15-scope-declared-default",
        plan_16_scope_all => "16-scope-all",
        plan_17_scope_list => "17-scope-list",
        plan_18_scope_exclude_globs => "18-scope-exclude-globs",
        plan_19_undeclared_group_on_managed_permission_set => "19-undeclared-group-on-managed-permission-set",
        plan_20_deleted_principal => "20-deleted-principal",
        plan_21_deleted_principal_unmanaged_permission_set => "21-deleted-principal-unmanaged-permission-set",
        plan_22_duplicate_rules => "22-duplicate-rules",
        plan_23_empty_assignments => "23-empty-assignments",
        plan_24_groups_permission_sets_product => "24-groups-permission-sets-product",
        plan_25_last_assignment_of_permission_set => "25-last-assignment-of-permission-set",
        plan_26_move_between_permission_sets => "26-move-between-permission-sets",
        plan_27_move_to_unnamed_permission_set_keeps_old => "27-move-to-unnamed-permission-set-keeps-old",
        plan_28_no_changes => "28-no-changes",
        plan_29_user_rule_expires_today => "29-user-rule-expires-today",
        plan_30_undeclared_user_assignment => "30-undeclared-user-assignment",
        plan_31_union_of_targets_minus_exclusions => "31-union-of-targets-minus-exclusions",
        plan_32_out_of_sync_permission_set => "32-out-of-sync-permission-set",
        plan_33_rule_outside_narrowed_scope => "33-rule-outside-narrowed-scope",
        plan_34_suspended_account_declared_assignment => "34-suspended-account-declared-assignment",
        plan_35_delegated_administrator => "35-delegated-administrator",
        plan_36_recreated_group => "36-recreated-group",
        plan_37_recreated_user => "37-recreated-user",
        plan_38_recreated_user_over_budget => "38-recreated-user-over-budget",
        plan_39_identity_store_refilled => "39-identity-store-refilled",
        plan_40_orphans_match_nobody => "40-orphans-match-nobody",
    );

    #[test]
    fn every_folder_is_a_test() {
        super::support::assert_all_listed(&super::plans(), LISTED, 20);
    }
}

mod error_fixtures {
    use super::check_errors;

    fixture_tests!(check_errors;
        errors_01_unknown_ou_path_near_miss => "01-unknown-ou-path-near-miss",
        errors_02_unknown_group_near_miss => "02-unknown-group-near-miss",
        errors_03_unknown_permission_set => "03-unknown-permission-set",
        errors_04_unknown_account_name => "04-unknown-account-name",
        errors_05_ambiguous_ou_path => "05-ambiguous-ou-path",
        errors_06_several_errors_at_once => "06-several-errors-at-once",
        errors_07_unknown_ou_id => "07-unknown-ou-id",
        errors_08_unknown_user_near_miss => "08-unknown-user-near-miss",
        errors_09_user_rule_without_owner_and_expires => "09-user-rule-without-owner-and-expires",
        errors_10_account_id_is_another_accounts_name => "10-account-id-is-another-accounts-name",
        errors_11_ou_name_with_slash => "11-ou-name-with-slash",
        errors_12_account_name_shared => "12-account-name-shared",
        errors_13_scope_exclude_typo_with_scope_all => "13-scope-exclude-typo-with-scope-all",
        errors_14_scope_list_unknown_name => "14-scope-list-unknown-name",
        errors_15_root_references => "15-root-references",
    );

    #[test]
    fn every_folder_is_a_test() {
        super::support::assert_all_listed(&super::errors(), LISTED, 5);
    }
}
