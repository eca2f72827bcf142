//! Fixture-driven access report tests. Each folder in `tests/access_fixtures/`
//! holds a `config.yaml`, a `snapshot.yaml` (the live state, with the groups'
//! `members`) and a `README.md` saying what it checks; `check()` computes
//! the report as of 2026-06-15 and compares its CSV and JSON with the
//! snapshots beside it. Each folder is a test of its own (`fixture_tests!`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[macro_use]
mod support;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use ssomatrix_core::access::{self, AccessFilter, render};
use ssomatrix_core::config::Config;
use ssomatrix_core::date::Date;
use ssomatrix_core::ids::PrincipalType;
use ssomatrix_core::members::Memberships;
use ssomatrix_core::snapshot::Snapshot;

const TODAY: &str = "2026-06-15";

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/access_fixtures")
}

fn report(dir: &Path) -> access::AccessReport {
    let read = |f: &str| {
        fs::read_to_string(dir.join(f)).unwrap_or_else(|e| panic!("{}: {e}", dir.join(f).display()))
    };
    let snapshot = Snapshot::parse("snapshot.yaml", &read("snapshot.yaml")).unwrap();
    let live = snapshot.to_live_state().unwrap();
    let members = Memberships::of_snapshot(&snapshot);
    let config = Config::parse("config.yaml", &read("config.yaml")).unwrap();
    access::access(&config, &live, &members, Date::parse(TODAY).unwrap())
}

/// Every group assignment gives one row per member and every user
/// assignment one row, whatever the status: no access is left out.
fn assert_every_access_listed(name: &str, dir: &Path, report: &access::AccessReport) {
    let text = fs::read_to_string(dir.join("snapshot.yaml")).unwrap();
    let snapshot = Snapshot::parse("snapshot.yaml", &text).unwrap();
    let members: BTreeMap<_, _> = snapshot
        .groups
        .iter()
        .map(|g| (&g.id, g.members.as_ref().map_or(0, |m| m.len())))
        .collect();
    let want: usize = snapshot
        .assignments
        .iter()
        .map(|a| match a.principal_type {
            PrincipalType::User => 1,
            PrincipalType::Group => members.get(&a.principal_id).copied().unwrap_or(0),
        })
        .sum();
    assert_eq!(report.rows.len(), want, "{name}: rows");
}

fn check(name: &str) {
    let dir = &root().join(name);
    let report = report(dir);
    assert_every_access_listed(name, dir, &report);
    let csv = render::csv(&report);
    let json = render::json(&report);
    assert_eq!(
        csv.matches("\r\n").count(),
        report.rows.len() + 1,
        "{name}: CSV lines"
    );
    let parsed: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(
        parsed["summary"]["rows"],
        parsed["rows"].as_array().unwrap().len()
    );
    insta::with_settings!({
        snapshot_path => dir,
        prepend_module_to_snapshot => false,
        omit_expression => true,
    }, {
        insta::assert_snapshot!("access_csv", csv);
        insta::assert_snapshot!("access_json", json);
    });
}

fixture_tests!(check;
    access_01_user_in_two_groups_same_set => "01-user-in-two-groups-same-set",
    access_02_direct_and_group => "02-direct-and-group",
    access_03_empty_group => "03-empty-group",
    access_04_deleted_user_in_group => "04-deleted-user-in-group",
    access_05_expired_rule => "05-expired-rule",
);

#[test]
fn every_folder_is_a_test() {
    support::assert_all_listed(&root(), LISTED, 5);
}

/// A field with a comma, a quote or a line break is quoted, quotes doubled
/// (RFC 4180), so that a spreadsheet reads one cell, not several.
#[test]
fn csv_quotes_what_rfc_4180_asks() {
    let mut report = report(&root().join("01-user-in-two-groups-same-set"));
    report.rows.truncate(1);
    report.rows[0].account_name = "a, \"b\"\nc".into();
    let csv = render::csv(&report);
    let line = csv.split("\r\n").nth(1).unwrap();
    assert!(
        line.contains(",\"a, \"\"b\"\"\nc\","),
        "the field is quoted and its quotes doubled: {line:?}"
    );
}

/// A cell that begins with what a spreadsheet reads as a formula gets a
/// leading `'` (OWASP's advice against CSV injection), and is still quoted
/// as RFC 4180 asks; other cells, and the JSON, keep the text as it is.
#[test]
fn csv_cells_that_would_be_formulas_are_text() {
    let mut report = report(&root().join("01-user-in-two-groups-same-set"));
    report.rows.truncate(1);
    let cases = [
        (
            "=HYPERLINK(\"http://x\")",
            "\"'=HYPERLINK(\"\"http://x\"\")\"",
        ),
        ("+1", "'+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("\r=1", "\"'\r=1\""),
        ("a=b", "a=b"),
    ];
    for (name, cell) in cases {
        report.rows[0].account_name = name.into();
        let csv = render::csv(&report);
        let line = csv.split("\r\n").nth(1).unwrap();
        assert!(line.contains(&format!(",{cell},")), "{name:?} → {line:?}");
        assert!(render::json(&report).contains(&serde_json::to_string(name).unwrap()));
    }
}

/// Filters keep the rows that match every flag, by name or id.
#[test]
fn filters_keep_the_rows_every_flag_matches() {
    let dir = root().join("01-user-in-two-groups-same-set");
    let all = report(&dir);
    let only = |f: AccessFilter| all.clone().filtered(&f);
    let alice = only(AccessFilter {
        users: vec!["alice.nguyen@example.com".to_owned()],
        ..AccessFilter::default()
    });
    assert_eq!(alice.rows.len(), 3);
    assert!(
        alice
            .rows
            .iter()
            .all(|r| r.user.as_deref() == Some("alice.nguyen@example.com"))
    );
    assert_eq!(alice.summary.people, 1);
    let leads_in_dev = only(AccessFilter {
        groups: vec!["aws-team-a-leads".to_owned()],
        accounts: vec!["134534670757".to_owned()],
        ..AccessFilter::default()
    });
    assert_eq!(leads_in_dev.rows.len(), 1);
    assert_eq!(leads_in_dev.rows[0].via, "aws-team-a-leads");
    let nobody = only(AccessFilter {
        users: vec!["bob.martins@example.com".to_owned()],
        groups: vec!["aws-team-a-leads".to_owned()],
        ..AccessFilter::default()
    });
    assert!(nobody.rows.is_empty());
}

/// An account or permission set the instance does not have is an error
/// with the closest name; a user with no access is only a note.
#[test]
fn unknown_filter_values_are_named_with_the_closest_name() {
    let dir = root().join("01-user-in-two-groups-same-set");
    let text = fs::read_to_string(dir.join("snapshot.yaml")).unwrap();
    let live = Snapshot::parse("s", &text)
        .unwrap()
        .to_live_state()
        .unwrap();
    let filter = AccessFilter {
        accounts: vec!["app-devv".to_owned()],
        permission_sets: vec!["AppDevloper".to_owned()],
        users: vec!["alice.nguyen@example.co".to_owned()],
        ..AccessFilter::default()
    };
    let errors = filter.unknown(&live);
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(errors[0].contains("did you mean `app-dev`?"), "{errors:?}");
    assert!(
        errors[1].contains("did you mean `AppDeveloper`?"),
        "{errors:?}"
    );
    let notes = filter.without_access(&report(&dir));
    assert_eq!(notes.len(), 1);
    assert!(
        notes[0].contains("did you mean `alice.nguyen@example.com`?"),
        "{notes:?}"
    );
}
