//! `ssomatrix_core::import` on generated organisations: whatever the tree and
//! the live assignments, the imported file plans to nothing but the deletes
//! of deleted principals. (Here rather than in core's tests because the
//! generator lives in this crate, which depends on core.)
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use proptest::prelude::*;
use ssomatrix_core::classify::ReasonKind;
use ssomatrix_core::config::Config;
use ssomatrix_core::import::import;
use ssomatrix_core::live::LiveState;
use ssomatrix_core::plan::{Action, plan};
use ssomatrix_testkit::org::{self, OrgSpec, SIZES};

/// Imports `live` and checks the plan of the result; the rule count and
/// the time import took (with its own verifying plan).
fn round_trip(live: &LiveState) -> (usize, std::time::Duration) {
    let today = org::today().unwrap();
    let start = std::time::Instant::now();
    let options = org::import_options("a generated organisation").unwrap();
    let imported = import(live, &options).unwrap_or_else(|e| panic!("{e}"));
    let took = start.elapsed();
    let config = Config::parse("imported", &imported.text).unwrap();
    let plan = plan(&config, live, today).unwrap();
    let unexpected: Vec<_> = plan
        .changes
        .iter()
        .filter(|c| {
            !(c.action == Action::Delete && c.reason_kind == Some(ReasonKind::PrincipalDeleted))
        })
        .collect();
    assert!(unexpected.is_empty(), "{unexpected:#?}\n{}", imported.text);
    assert_eq!(
        plan.changes.len(),
        imported.report.deleted_principal_assignments
    );
    (imported.report.rules, took)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn scattered_organisations_import_to_no_change_but_orphans(
        accounts in 3usize..150,
        permission_sets in 1usize..8,
        groups in 1usize..20,
        users in 0usize..6,
        seed in any::<u64>(),
    ) {
        let spec = OrgSpec::scattered(accounts, permission_sets, groups, users, seed);
        let generated = org::generate(&spec).unwrap();
        round_trip(&generated.snapshot.to_live_state().unwrap());
    }
}

/// The benchmark's organisations: the target is at most one rule
/// for ten live assignments.
#[test]
fn benchmark_organisations_import_to_few_rules() {
    for size in SIZES.iter().filter(|s| s.accounts <= 500) {
        let generated = org::sized(*size, 1).unwrap();
        let live = generated.snapshot.to_live_state().unwrap();
        let (rules, _) = round_trip(&live);
        let assignments = live.assignments.len();
        assert!(
            rules * 10 <= assignments,
            "{}: {rules} rules for {assignments} assignments",
            size.name
        );
    }
}

/// Every size with timings, for docs/BENCHMARKS.md:
/// `cargo test -p ssomatrix-testkit --test import -- --ignored --nocapture`.
#[test]
#[ignore = "measures every benchmark size; slow in debug builds"]
fn measure_import() {
    for size in SIZES {
        let generated = org::sized(size, 1).unwrap();
        let live = generated.snapshot.to_live_state().unwrap();
        let (rules, took) = round_trip(&live);
        println!(
            "{}: {rules} rules for {} assignments (hand-written file: {} rules), import {took:?} with its verifying plan",
            size.name,
            live.assignments.len(),
            generated.config.rules.len(),
        );
    }
}
