//! `apply --plan` applies a saved plan only when the file, the live state and
//! today give exactly that plan; otherwise it refuses, names which of them
//! differs, and writes nothing. Offline (`--snapshot`) throughout.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[macro_use]
mod support;

use std::path::{Path, PathBuf};

use proptest::prelude::*;
use serde_json::Value;
use support::{CONFIG, Run, TODAY, repo, run_on, snapshot_copy};

/// A private copy of the example snapshot and a plan saved against it.
struct Setup {
    dir: tempfile::TempDir,
    snap: String,
    plan: PathBuf,
}

fn setup(today: &str, config: &str) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let snap = snapshot_copy(dir.path());
    let plan = dir.path().join("plan.json");
    let o = run_on(
        today,
        &[
            "plan",
            "-c",
            config,
            "--snapshot",
            &snap,
            "--out",
            plan.to_str().unwrap(),
        ],
    );
    assert_eq!(o.code, Some(0), "{o}");
    Setup { dir, snap, plan }
}

impl Setup {
    fn apply(&self, today: &str, config: &str, plan: &Path) -> Run {
        run_on(
            today,
            &[
                "apply",
                "-c",
                config,
                "--snapshot",
                &self.snap,
                "--plan",
                plan.to_str().unwrap(),
                "--auto-approve",
            ],
        )
    }

    fn saved(&self) -> Value {
        serde_json::from_str(&std::fs::read_to_string(&self.plan).unwrap()).unwrap()
    }

    fn snapshot_bytes(&self) -> Vec<u8> {
        std::fs::read(&self.snap).unwrap()
    }
}

/// Refused (pinned as snapshot `name`: exit 1, the cause and the fix), and
/// nothing written.
fn assert_refused(name: &str, o: &Run, before: &[u8], setup: &Setup) {
    assert_run!(name, o.in_dir(setup.dir.path()));
    assert_eq!(
        setup.snapshot_bytes(),
        before,
        "the snapshot was not written"
    );
}

#[test]
fn an_untouched_saved_plan_applies_and_reports_todays_names() {
    let s = setup(TODAY, CONFIG);
    let saved = s.saved();
    for key in [
        "config_sha256",
        "changes_sha256",
        "planned_on",
        "fingerprint",
    ] {
        assert!(saved.get(key).is_some(), "saved plan has {key}: {saved}");
    }
    let o = s.apply(TODAY, CONFIG, &s.plan);
    assert_run!("applies", o.without_progress().in_dir(s.dir.path()));
}

#[test]
fn a_plan_from_another_file_naming_the_same_principals_is_refused_naming_the_file() {
    let s = setup(TODAY, CONFIG);
    let before = s.snapshot_bytes();
    // Only a comment differs: same principals, same changes, another file.
    let other = s.dir.path().join("other.yaml");
    let text = std::fs::read_to_string(repo().join(CONFIG)).unwrap();
    std::fs::write(&other, format!("# reviewed elsewhere\n{text}")).unwrap();
    let o = s.apply(TODAY, other.to_str().unwrap(), &s.plan);
    assert_refused("other_file_same_changes", &o, &before, &s);

    // A file that names the same principals and sets but targets more
    // accounts: the changes differ, and the cause is the file.
    let wider = s.dir.path().join("wider.yaml");
    let cut = text.replacen("    exclude_ous: [Workloads/Prod/PCI]\n", "", 1);
    assert_ne!(cut, text);
    std::fs::write(&wider, cut).unwrap();
    let o = s.apply(TODAY, wider.to_str().unwrap(), &s.plan);
    assert_refused("other_file_other_changes", &o, &before, &s);
}

#[test]
fn a_changed_live_state_is_refused_naming_the_live_state() {
    let s = setup(TODAY, CONFIG);
    // Someone removes a live assignment after the review.
    let text = std::fs::read_to_string(&s.snap).unwrap();
    let start = text.find("\nassignments:\n").unwrap();
    let item = text[start + 1..].find("\n- ").unwrap() + start + 1;
    let next = text[item + 1..].find("\n- ").unwrap() + item + 1;
    let changed = format!("{}{}", &text[..item], &text[next..]);
    std::fs::write(&s.snap, &changed).unwrap();
    let before = s.snapshot_bytes();
    let o = s.apply(TODAY, CONFIG, &s.plan);
    assert_refused("live_state_changed", &o, &before, &s);
}

#[test]
fn an_exception_that_expired_since_the_plan_is_refused_naming_expiry() {
    // dave.okafor's exception is in force until 2026-12-04 inclusive.
    let s = setup("2026-12-04", CONFIG);
    let before = s.snapshot_bytes();
    let o = s.apply("2026-12-05", CONFIG, &s.plan);
    assert_refused("expired_since", &o, &before, &s);
    // The day it was made, it applies.
    let o = s.apply("2026-12-04", CONFIG, &s.plan);
    assert_eq!(o.code, Some(0), "{o}");
}

#[test]
fn unknown_format_versions_other_instances_and_unbound_plans_are_refused() {
    let s = setup(TODAY, CONFIG);
    let before = s.snapshot_bytes();
    let edited = s.dir.path().join("edited.json");
    // A null value removes the key.
    let cases: [(&str, Value); 4] = [
        ("format_version", Value::from(2)),
        (
            "instance_arn",
            Value::from("arn:aws:sso:::instance/ssoins-1111111111111111"),
        ),
        ("planned_on", Value::Null),
        ("config_sha256", Value::Null),
    ];
    for (key, value) in cases {
        let name = format!(
            "edited_{key}_{}",
            if value.is_null() {
                "removed"
            } else {
                "changed"
            }
        );
        let mut v = s.saved();
        if value.is_null() {
            v.as_object_mut().unwrap().remove(key);
        } else {
            v[key] = value;
        }
        std::fs::write(&edited, serde_json::to_string_pretty(&v).unwrap()).unwrap();
        let o = s.apply(TODAY, CONFIG, &edited);
        assert_refused(&name, &o, &before, &s);
    }
    std::fs::write(&edited, "not json at all é").unwrap();
    let o = s.apply(TODAY, CONFIG, &edited);
    assert_refused("not_json", &o, &before, &s);
}

/// An edit of the saved plan: where, and what the new value is made from.
#[derive(Debug, Clone)]
enum Edit {
    /// Change field `field` of change `index`, using `seed` for the new value.
    Field {
        index: usize,
        field: usize,
        seed: u32,
    },
    /// Remove change `index`.
    Remove { index: usize },
    /// Add a copy of change `index` with field `field` changed.
    Add {
        index: usize,
        field: usize,
        seed: u32,
    },
    /// Change a top-level key (`summary.*`, digests, fingerprint, max_deletes).
    Top { key: usize, seed: u32 },
}

const FIELDS: &[&str] = &[
    "action",
    "principal_type",
    "principal_id",
    "principal_name",
    "permission_set_arn",
    "permission_set_name",
    "account_id",
    "account_name",
    "account_ou_path",
    "reason",
    "reason_kind",
    "rule",
];

const TOP: &[&str] = &[
    "summary.create",
    "summary.delete",
    "summary.unchanged",
    "summary.delete_orphans",
    "fingerprint",
    "config_sha256",
    "changes_sha256",
    "max_deletes",
];

fn edit() -> impl Strategy<Value = (Edit, bool)> {
    let i = 0usize..64;
    let f = 0..FIELDS.len();
    let edit = prop_oneof![
        (i.clone(), f.clone(), any::<u32>()).prop_map(|(index, field, seed)| Edit::Field {
            index,
            field,
            seed
        }),
        i.clone().prop_map(|index| Edit::Remove { index }),
        (i, f, any::<u32>()).prop_map(|(index, field, seed)| Edit::Add { index, field, seed }),
        (0..TOP.len(), any::<u32>()).prop_map(|(key, seed)| Edit::Top { key, seed }),
    ];
    // Whether the editor also recomputes changes_sha256 to cover the edit.
    (edit, any::<bool>())
}

/// A value unlike `old` of the same general kind, taken from other changes
/// where one exists (a real principal, a real permission set).
fn other_value(old: &Value, field: &str, changes: &[Value], seed: u32) -> Value {
    let others: Vec<&Value> = changes
        .iter()
        .filter_map(|c| c.get(field))
        .filter(|v| *v != old)
        .collect();
    if !others.is_empty() && seed.is_multiple_of(2) {
        return others[seed as usize / 2 % others.len()].clone();
    }
    match (field, old) {
        ("action", Value::String(s)) => {
            Value::from(if s == "create" { "delete" } else { "create" })
        }
        ("principal_type", Value::String(s)) => {
            Value::from(if s == "GROUP" { "USER" } else { "GROUP" })
        }
        ("account_id", Value::String(s)) => {
            let mut digits: Vec<char> = s.chars().collect();
            let last = digits.len() - 1;
            digits[last] = if digits[last] == '9' { '0' } else { '9' };
            Value::from(digits.into_iter().collect::<String>())
        }
        (_, Value::String(s)) => Value::from(format!(
            "{s}{}",
            ["x", "é", " ", "\u{202e}"][seed as usize % 4]
        )),
        (_, Value::Number(n)) => Value::from(n.as_u64().unwrap_or(0) + 1 + u64::from(seed % 5)),
        (_, Value::Null) => Value::from("someone-else"),
        _ => Value::Null,
    }
}

fn apply_edit(v: &mut Value, e: &Edit) {
    let changes = v["changes"].as_array().unwrap().clone();
    let n = changes.len();
    match e {
        Edit::Field { index, field, seed } => {
            let f = FIELDS[*field];
            let c = &mut v["changes"][index % n];
            let old = c.get(f).cloned().unwrap_or(Value::Null);
            let new = match (f, &old) {
                // `rule` is absent on deletes not caused by an expired rule.
                ("rule", Value::Null) => Value::from(1 + seed % 20),
                _ => other_value(&old, f, &changes, *seed),
            };
            c[f] = new;
        }
        Edit::Remove { index } => {
            v["changes"].as_array_mut().unwrap().remove(index % n);
        }
        Edit::Add { index, field, seed } => {
            let f = FIELDS[*field];
            let mut c = changes[index % n].clone();
            let old = c.get(f).cloned().unwrap_or(Value::Null);
            c[f] = other_value(&old, f, &changes, *seed);
            v["changes"]
                .as_array_mut()
                .unwrap()
                .insert(index % (n + 1), c);
        }
        Edit::Top { key, seed } => {
            let path: Vec<&str> = TOP[*key].split('.').collect();
            let slot = path.iter().fold(&mut *v, |v, k| &mut v[*k]);
            let new = match &*slot {
                Value::String(s) => {
                    // A digest stays a digest: change one hex digit.
                    let mut chars: Vec<char> = s.chars().collect();
                    let i = *seed as usize % chars.len();
                    chars[i] = if chars[i] == '0' { '1' } else { '0' };
                    Value::from(chars.into_iter().collect::<String>())
                }
                other => other_value(other, "", &[], *seed),
            };
            *slot = new;
        }
    }
}

/// The digest an editor who read the source would write to cover an edit.
fn recompute_digest(v: &mut Value) {
    let Ok(changes) =
        serde_json::from_value::<Vec<ssomatrix_core::plan::Change>>(v["changes"].clone())
    else {
        return;
    };
    let text = serde_json::to_string(&changes).unwrap();
    use sha2::Digest;
    let digest = sha2::Sha256::digest(text.as_bytes());
    v["changes_sha256"] = Value::from(
        digest
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>(),
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn any_edit_of_a_saved_plan_is_refused_and_writes_nothing((e, redigest) in edit()) {
        let s = setup(TODAY, CONFIG);
        let before = s.snapshot_bytes();
        let original = s.saved();
        let mut v = original.clone();
        apply_edit(&mut v, &e);
        if redigest {
            recompute_digest(&mut v);
        }
        prop_assume!(v != original);
        let edited = s.dir.path().join("edited.json");
        std::fs::write(&edited, serde_json::to_string_pretty(&v).unwrap()).unwrap();
        let o = s.apply(TODAY, CONFIG, &edited);
        let err = &o.stderr;
        prop_assert_eq!(o.code, Some(1), "{:?}: {}", e, err);
        prop_assert!(err.contains("nothing was applied"), "{:?}: {}", e, err);
        prop_assert!(!err.contains("panicked"), "{}", err);
        prop_assert!(s.snapshot_bytes() == before, "{:?}: the snapshot was written", e);
    }
}
