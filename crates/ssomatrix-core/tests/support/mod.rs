//! One test case per fixture folder, so that the first failure hides no other:
//! `fixture_tests!` writes a `#[test]` for each folder it lists, and
//! [`assert_all_listed`] fails when a folder on disk has no test of its own
//! (or a listed folder is gone).
#![allow(dead_code)]

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

use ssomatrix_core::drift::{DriftReport, Finding};
use ssomatrix_core::live::Assignment;
use ssomatrix_core::plan::{Change, Plan};

/// The folders of `dir` that hold a `config.yaml`, by name, sorted.
pub fn folders(dir: &Path) -> Vec<String> {
    let mut out: Vec<String> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("config.yaml").is_file())
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    out.sort();
    out
}

/// Fails unless `listed` names exactly the fixture folders of `dir`, and
/// there are at least `at_least` of them.
pub fn assert_all_listed(dir: &Path, listed: &[&str], at_least: usize) {
    let on_disk = folders(dir);
    let mut listed: Vec<String> = listed.iter().map(|s| (*s).to_owned()).collect();
    listed.sort();
    assert_eq!(
        on_disk,
        listed,
        "every folder of {} needs its own line in the test file's `fixture_tests!`",
        dir.display()
    );
    assert!(
        on_disk.len() >= at_least,
        "expected at least {at_least} fixtures in {}, found {}",
        dir.display(),
        on_disk.len()
    );
}

/// Fails unless the drift report's sections say what the plan does: the
/// sections whose findings `apply` deletes list exactly the plan's deletes,
/// and the missing assignments exactly its creates.
pub fn assert_drift_agrees(name: &str, plan: &Plan, report: &DriftReport) {
    let of = |f: &Finding| Assignment {
        account_id: f.account_id.clone(),
        permission_set_arn: f.permission_set_arn.clone(),
        principal_type: f.principal_type,
        principal_id: f.principal_id.clone(),
    };
    let deleted: BTreeSet<Assignment> = report
        .undeclared
        .iter()
        .chain(&report.expired)
        .chain(&report.deleted_principals)
        .map(of)
        .collect();
    let deletes: BTreeSet<Assignment> = plan.deletes().map(Change::assignment).collect();
    assert_eq!(
        deleted, deletes,
        "{name}: drift's deleting sections vs the plan's deletes"
    );
    let missing: BTreeSet<Assignment> = report.missing.iter().map(of).collect();
    let creates: BTreeSet<Assignment> = plan.creates().map(Change::assignment).collect();
    assert_eq!(
        missing, creates,
        "{name}: drift's missing vs the plan's creates"
    );
}

/// `fixture_tests!(check; name => "folder", …)` writes `#[test] fn name()`
/// calling `check("folder")` for each pair, and `const LISTED` with the folders.
macro_rules! fixture_tests {
    ($check:path; $($name:ident => $dir:literal),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                $check($dir);
            }
        )*
        const LISTED: &[&str] = &[$($dir),*];
    };
}
