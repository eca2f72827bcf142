//! Fixture-driven tests of the people a plan gives or takes access. Each
//! folder in `tests/people_fixtures/` holds a `config.yaml`, a
//! `snapshot.yaml` (the live state, with the groups' `members`) and a
//! `README.md` saying what it checks; `check()` plans as of 2026-06-15,
//! counts the people with the snapshot's members, checks the counts the
//! README states, and compares the plan's text and Markdown and the people's
//! JSON with the snapshots beside it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[macro_use]
mod support;

use std::fs;
use std::path::{Path, PathBuf};

use ssomatrix_core::config::Config;
use ssomatrix_core::date::Date;
use ssomatrix_core::members::Memberships;
use ssomatrix_core::plan::{self, People, Plan, people};
use ssomatrix_core::policy::{self, Now, Refusal, Stale};
use ssomatrix_core::render::{self, TextStyle};
use ssomatrix_core::snapshot::Snapshot;

const TODAY: &str = "2026-06-15";

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/people_fixtures")
}

/// What each fixture's README says the plan does to people: who gains and
/// loses (user names, per permission set), and the groups left uncounted.
struct Expected {
    gain: &'static [(&'static str, &'static [&'static str])],
    lose: &'static [(&'static str, &'static [&'static str])],
    unknown: &'static [&'static str],
}

fn expected(name: &str) -> Expected {
    const ALICE: &str = "alice.nguyen@example.com";
    const CAROL: &str = "carol.diaz@contractor.example";
    match name {
        "01-move-between-groups" => Expected {
            gain: &[("PowerUser", &[CAROL])],
            lose: &[],
            unknown: &[],
        },
        "02-user-in-two-changed-groups" => Expected {
            gain: &[("ReadOnly", &[ALICE, "bob.martins@example.com", CAROL])],
            lose: &[],
            unknown: &[],
        },
        "03-direct-and-group" => Expected {
            gain: &[],
            lose: &[("PowerUser", &["dave.okafor@example.com"])],
            unknown: &[],
        },
        "04-empty-group" => Expected {
            gain: &[],
            lose: &[],
            unknown: &[],
        },
        "05-unknown-members" => Expected {
            gain: &[("Admin", &[ALICE, CAROL])],
            lose: &[],
            unknown: &["aws-platform-admins"],
        },
        other => panic!("{other}: say what the fixture expects in `expected`"),
    }
}

fn plan_with_people(dir: &Path) -> (Plan, ssomatrix_core::live::LiveState) {
    let read = |f: &str| {
        fs::read_to_string(dir.join(f)).unwrap_or_else(|e| panic!("{}: {e}", dir.join(f).display()))
    };
    let snapshot = Snapshot::parse("snapshot.yaml", &read("snapshot.yaml")).unwrap();
    let live = snapshot.to_live_state().unwrap();
    let config = Config::parse("config.yaml", &read("config.yaml")).unwrap();
    let mut plan = plan::plan(&config, &live, Date::parse(TODAY).unwrap()).unwrap();
    assert!(
        !plan.is_empty(),
        "{}: the fixture must change something",
        dir.display()
    );
    let members = Memberships::of_snapshot(&snapshot);
    plan.people = Some(people::people(&plan, &live, &members));
    (plan, live)
}

/// The user names of each permission set's gains (or losses).
fn moved(people: &People, gain: bool) -> Vec<(String, Vec<String>)> {
    people
        .permission_sets
        .iter()
        .filter_map(|s| {
            let reach = if gain { &s.gain } else { &s.lose };
            reach
                .as_ref()
                .map(|r| (s.permission_set.clone(), r.users.clone()))
        })
        .collect()
}

fn owned(list: &[(&str, &[&str])]) -> Vec<(String, Vec<String>)> {
    list.iter()
        .map(|(set, users)| {
            (
                (*set).to_owned(),
                users.iter().map(|u| (*u).to_owned()).collect(),
            )
        })
        .collect()
}

fn check(name: &str) {
    let dir = &root().join(name);
    let (plan, live) = plan_with_people(dir);
    let people = plan.people.clone().unwrap();
    let want = expected(name);
    assert_eq!(moved(&people, true), owned(want.gain), "{name}: gains");
    assert_eq!(moved(&people, false), owned(want.lose), "{name}: losses");
    let unknown: Vec<&str> = people.unknown_groups.iter().map(|g| g.label()).collect();
    assert_eq!(unknown, want.unknown, "{name}: groups of unknown people");
    for s in &people.permission_sets {
        for r in s.gain.iter().chain(&s.lose) {
            assert_eq!(r.people, r.users.len(), "{name}: one name per person");
            let per_account: usize = r.accounts.iter().map(|a| a.people).sum();
            assert!(per_account >= r.people, "{name}: accounts count everyone");
        }
    }
    let text = render::text(&plan, TextStyle::default());
    let markdown = render::markdown(&plan, &live);
    let json = serde_json::to_string_pretty(&people).unwrap() + "\n";
    insta::with_settings!({
        snapshot_path => dir,
        prepend_module_to_snapshot => false,
        omit_expression => true,
    }, {
        insta::assert_snapshot!("plan_text", text);
        insta::assert_snapshot!("plan_markdown", markdown);
        insta::assert_snapshot!("people_json", json);
    });
}

fixture_tests!(check;
    people_01_move_between_groups => "01-move-between-groups",
    people_02_user_in_two_changed_groups => "02-user-in-two-changed-groups",
    people_03_direct_and_group => "03-direct-and-group",
    people_04_empty_group => "04-empty-group",
    people_05_unknown_members => "05-unknown-members",
);

#[test]
fn every_folder_is_a_test() {
    support::assert_all_listed(&root(), LISTED, 5);
}

/// The groups read are those on the pairs the plan changes, the ones that
/// keep their assignment there included (so that a move is net), and none
/// elsewhere.
#[test]
fn the_groups_read_are_those_on_the_changed_pairs() {
    let dir = root().join("01-move-between-groups");
    let (plan, live) = plan_with_people(&dir);
    let mut names: Vec<&str> = people::groups_to_read(&plan, &live)
        .iter()
        .map(|id| {
            live.principals
                .name_of(ssomatrix_core::ids::PrincipalType::Group, id)
                .unwrap()
        })
        .collect();
    names.sort_unstable();
    assert_eq!(names, ["aws-team-a-engineers", "aws-team-a-leads"]);
    let mut unchanged = plan.clone();
    unchanged.changes.clear();
    assert!(people::groups_to_read(&unchanged, &live).is_empty());
}

/// A JSON plan saved before plans had people still reads, without them.
#[test]
fn a_plan_without_people_still_reads() {
    let (mut plan, _) = plan_with_people(&root().join("02-user-in-two-changed-groups"));
    plan.people = None;
    let json = serde_json::to_string(&plan).unwrap();
    assert!(!json.contains("\"people\""));
    let back: Plan = serde_json::from_str(&json).unwrap();
    assert_eq!(back, plan);
}

/// The people are for review: a saved plan that has them, with any counts
/// (the members may have changed since), is still the plan of now, while
/// an edited change is still refused.
#[test]
fn the_people_of_a_saved_plan_are_not_checked() {
    let dir = root().join("02-user-in-two-changed-groups");
    let (mut plan, live) = plan_with_people(&dir);
    let config = Config::parse(
        "config.yaml",
        &fs::read_to_string(dir.join("config.yaml")).unwrap(),
    )
    .unwrap();
    let today = Date::parse(TODAY).unwrap();
    let now_plan = plan::plan(&config, &live, today).unwrap();
    let sha = "0".repeat(64);
    let now = Now {
        config: &config,
        config_sha256: &sha,
        live: &live,
        today,
        plan: &now_plan,
    };
    let check = |p: &Plan| {
        policy::check_saved_plan("plan.json", &policy::saved_plan_json(p, today, &sha), &now)
    };
    assert!(policy::saved_plan_json(&plan, today, &sha).contains("\"people\""));
    assert_eq!(check(&plan), Ok(()));
    if let Some(p) = plan.people.as_mut() {
        p.gain += 100;
        p.permission_sets.clear();
    }
    assert_eq!(check(&plan), Ok(()));
    plan.changes.pop();
    match check(&plan) {
        Err(Refusal::Stale(s)) => assert!(matches!(s.cause, Stale::Differs { .. }), "{s:?}"),
        other => panic!("an edited change must be refused: {other:?}"),
    }
}
