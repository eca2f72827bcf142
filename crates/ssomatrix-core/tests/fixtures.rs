//! Fixture-driven planner tests. Each folder in `tests/fixtures/` holds a
//! `config.yaml` and a `snapshot.yaml` (the live state) and a `README.md`
//! saying what it checks; `check()` plans it as of 2026-06-15 and compares the
//! rendered plan with `plan.snap` beside it. Folders in `tests/fixtures/errors/`
//! must fail to plan; their errors are compared with `errors.snap`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::fs;
use std::path::{Path, PathBuf};

use ssomatrix_core::config::Config;
use ssomatrix_core::date::Date;
use ssomatrix_core::plan::plan;
use ssomatrix_core::render::{self, TextStyle};
use ssomatrix_core::snapshot::Snapshot;

const TODAY: &str = "2026-06-15";

fn cases(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("config.yaml").is_file())
        .collect();
    out.sort();
    out
}

/// Plans one fixture folder; `Ok(text)` is the rendered plan, `Err(text)` the
/// errors.
fn run(dir: &Path) -> Result<String, String> {
    let read = |f: &str| {
        fs::read_to_string(dir.join(f)).unwrap_or_else(|e| panic!("{}: {e}", dir.join(f).display()))
    };
    let snapshot =
        Snapshot::parse("snapshot.yaml", &read("snapshot.yaml")).map_err(|e| e.to_string())?;
    let live = snapshot.to_live_state().map_err(|e| e.to_string())?;
    let config = Config::parse("config.yaml", &read("config.yaml")).map_err(|e| e.to_string())?;
    let plan = plan(&config, &live, Date::parse(TODAY).unwrap()).map_err(|e| e.to_string())?;
    let json: serde_json::Value = serde_json::from_str(&render::json(&plan)).unwrap();
    assert_eq!(json["summary"]["create"], plan.creates().count());
    let md = render::markdown(&plan, &live);
    assert!(md.len() <= render::GITHUB_COMMENT_LIMIT);
    Ok(render::text(&plan, TextStyle::default()))
}

fn check(dir: &Path, expect_ok: bool) {
    let name = dir.file_name().unwrap().to_string_lossy().into_owned();
    let (snap, body) = match (run(dir), expect_ok) {
        (Ok(text), true) => ("plan", text),
        (Err(errors), false) => ("errors", errors),
        (Ok(text), false) => panic!("{name}: expected errors, got a plan:\n{text}"),
        (Err(errors), true) => panic!("{name}: expected a plan, got errors:\n{errors}"),
    };
    insta::with_settings!({
        snapshot_path => dir,
        prepend_module_to_snapshot => false,
        omit_expression => true,
    }, {
        insta::assert_snapshot!(snap, body);
    });
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

#[test]
fn planner_fixtures() {
    let cases = cases(&root());
    assert!(
        cases.len() >= 20,
        "expected at least 20 planner fixtures, found {}",
        cases.len()
    );
    for dir in cases {
        check(&dir, true);
    }
}

#[test]
fn error_fixtures() {
    let cases = cases(&root().join("errors"));
    assert!(
        cases.len() >= 5,
        "expected at least 5 error fixtures, found {}",
        cases.len()
    );
    for dir in cases {
        check(&dir, false);
    }
}
