//! Policy: what `apply` decides before it changes anything, kept beside the
//! planner so that its tests can exercise it without a binary. Two gates:
//! the delete budget (`safety.max_deletes`, `--allow-deletes`), and the
//! staleness of a saved plan (`plan --out`), which apply accepts only while
//! the file, the live state and today still give exactly that plan.
//!
//! A saved plan is a gate, never a script: apply executes its own
//! recomputation, so nothing the JSON says (names included) is acted on or
//! shown; a value quoted from it in a message is shortened and escaped.

use std::collections::BTreeSet;
use std::fmt;

use serde::Serialize;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::config::Config;
use crate::date::Date;
use crate::live::LiveState;
use crate::plan::people::without_people;
use crate::plan::{self, Change, PLAN_FORMAT_VERSION, Plan, PlanError};

/// Who set the delete budget of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BudgetSource {
    /// `safety.max_deletes` in the file (or its default).
    File,
    /// `--allow-deletes`, which replaces the file's budget for one run.
    Flag,
}

/// How many deletes a run may make.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeleteBudget {
    pub limit: u32,
    pub source: BudgetSource,
}

impl DeleteBudget {
    /// The budget of a run: `--allow-deletes` when given, else the file's.
    pub fn new(max_deletes: u32, allow_deletes: Option<u32>) -> DeleteBudget {
        match allow_deletes {
            Some(limit) => DeleteBudget {
                limit,
                source: BudgetSource::Flag,
            },
            None => DeleteBudget {
                limit: max_deletes,
                source: BudgetSource::File,
            },
        }
    }

    /// Whether `deletes` deletes fit.
    pub fn allows(self, deletes: usize) -> bool {
        u64::try_from(deletes).is_ok_and(|d| d <= u64::from(self.limit))
    }

    /// Refuses a plan that deletes more than the budget. Deletes of
    /// assignments of principals that no longer exist remove nobody's
    /// access and are not counted: otherwise the budget would block the
    /// restore after a group is recreated, the very lockout it exists to
    /// prevent.
    pub fn check(self, plan: &Plan) -> Result<(), OverBudget> {
        let deletes = plan.access_deletes().count();
        if self.allows(deletes) {
            Ok(())
        } else {
            Err(OverBudget {
                deletes,
                orphans: plan.orphan_deletes().count(),
                budget: self,
            })
        }
    }
}

/// A plan that deletes more than its run's budget: apply refuses it whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OverBudget {
    /// The deletes that remove someone's access.
    pub deletes: usize,
    /// The deletes of orphaned assignments, which were not counted.
    pub orphans: usize,
    pub budget: DeleteBudget,
}

impl fmt::Display for OverBudget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let deletes = self.deletes;
        write!(
            f,
            "the plan deletes {deletes} assignments{}, more than the {} of {}; nothing was applied: \
             review the plan and re-run with `--allow-deletes {deletes}` if it is right",
            crate::plan::orphans_not_counted(self.orphans),
            match self.budget.source {
                BudgetSource::Flag => "--allow-deletes budget",
                BudgetSource::File => "`safety.max_deletes` budget",
            },
            self.budget.limit
        )
    }
}

impl std::error::Error for OverBudget {}

/// Lower-case hex SHA-256 of `bytes`: what a saved plan is bound to.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    digest.iter().fold(String::with_capacity(64), |mut s, b| {
        use std::fmt::Write;
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// SHA-256 of the changes' canonical encoding: compact JSON, fields in their
/// declaration order, changes in plan order.
pub fn changes_sha256(changes: &[Change]) -> String {
    // Changes are plain data; serialising them cannot fail.
    sha256_hex(
        serde_json::to_string(changes)
            .unwrap_or_default()
            .as_bytes(),
    )
}

/// The document `plan --out` writes and `plan --format json` prints.
#[derive(Debug, Serialize)]
struct SavedPlan<'a> {
    #[serde(flatten)]
    plan: &'a Plan,
    /// The day the plan was computed for (expiry depends on it).
    planned_on: Date,
    /// SHA-256 of the bytes of the assignments file.
    config_sha256: &'a str,
    /// SHA-256 of the canonical encoding of `changes` ([`changes_sha256`]).
    changes_sha256: String,
}

fn saved<'a>(plan: &'a Plan, planned_on: Date, config_sha256: &'a str) -> SavedPlan<'a> {
    SavedPlan {
        plan,
        planned_on,
        config_sha256,
        changes_sha256: changes_sha256(&plan.changes),
    }
}

/// The saved plan as pretty JSON with a final newline.
pub fn saved_plan_json(plan: &Plan, planned_on: Date, config_sha256: &str) -> String {
    // A plan is plain data; serialising it cannot fail.
    serde_json::to_string_pretty(&saved(plan, planned_on, config_sha256)).unwrap_or_default() + "\n"
}

fn to_value(plan: &Plan, planned_on: Date, config_sha256: &str) -> Value {
    without_people(serde_json::to_value(saved(plan, planned_on, config_sha256)).unwrap_or_default())
}

/// What a saved plan is checked against: the file as read now (and the
/// SHA-256 of its bytes), the live state as read now, today, and today's
/// plan of the two.
#[derive(Debug, Clone, Copy)]
pub struct Now<'a> {
    pub config: &'a Config,
    pub config_sha256: &'a str,
    pub live: &'a LiveState,
    pub today: Date,
    pub plan: &'a Plan,
}

/// Why a saved plan is not the plan of now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stale {
    /// Not JSON, or not an object: `why` says which.
    NotAPlan { why: String },
    /// A `format_version` this ssomatrix does not read (as quoted).
    UnknownFormat { version: String },
    /// Made for another instance (as quoted).
    OtherInstance { saved: String },
    /// No `planned_on` day to recompute it for.
    Unbound,
    /// It is the plan of its day, but an exception expired since.
    Expired {
        planned_on: Date,
        added: usize,
        dropped: usize,
    },
    /// Made from other bytes of the assignments file (digests as quoted).
    OtherFile { saved: String, now: String },
    /// Made for other accounts than this run's `--account` name: the ids on
    /// each side, `None` for the whole organization.
    OtherAccounts {
        saved: Option<Vec<String>>,
        now: Option<Vec<String>>,
    },
    /// Made from another live state (fingerprints as quoted).
    LiveStateChanged { saved: String, now: String },
    /// Anything else differs: the keys, and whether its changes no longer
    /// match its own `changes_sha256` (it was edited after it was written).
    Differs { keys: Vec<String>, tampered: bool },
}

/// A saved plan that apply refuses, with what to name in the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StalePlan {
    /// The saved plan as the user named it (its path).
    pub name: String,
    /// The assignments file as the user named it.
    pub file: String,
    pub instance: String,
    pub today: Date,
    pub cause: Stale,
}

/// Why a saved plan was not accepted: it is stale, or the plan of the day it
/// names cannot be made (the file's names do not resolve on that day).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    Stale(Box<StalePlan>),
    Plan(PlanError),
}

/// Accepts the saved plan `text` (named `name`) only when it is exactly
/// what `now` gives; otherwise says which of the file, the live state, the
/// day or the plan itself differs.
pub fn check_saved_plan(name: &str, text: &str, now: &Now<'_>) -> Result<(), Refusal> {
    let stale = |cause| {
        Refusal::Stale(Box::new(StalePlan {
            name: name.to_owned(),
            file: now.config.file.clone(),
            instance: now.plan.instance_arn.as_str().to_owned(),
            today: now.today,
            cause,
        }))
    };
    let raw = without_people(
        serde_json::from_str(text).map_err(|e| stale(Stale::NotAPlan { why: e.to_string() }))?,
    );
    let Some(doc) = raw.as_object() else {
        return Err(stale(Stale::NotAPlan {
            why: "not a JSON object".to_owned(),
        }));
    };
    let version = doc.get("format_version");
    if version != Some(&Value::from(PLAN_FORMAT_VERSION)) {
        return Err(stale(Stale::UnknownFormat {
            version: short(version),
        }));
    }
    if doc.get("instance_arn").and_then(Value::as_str) != Some(now.plan.instance_arn.as_str()) {
        return Err(stale(Stale::OtherInstance {
            saved: short_to(doc.get("instance_arn"), 100),
        }));
    }
    let Some(planned_on) = doc
        .get("planned_on")
        .and_then(Value::as_str)
        .and_then(|s| Date::parse(s).ok())
    else {
        return Err(stale(Stale::Unbound));
    };
    let then = if planned_on == now.today {
        now.plan.clone()
    } else {
        plan::plan(now.config, now.live, planned_on).map_err(Refusal::Plan)?
    };
    let expected = to_value(&then, planned_on, now.config_sha256);
    if raw != expected {
        return Err(stale(mismatch(doc, &expected, now)));
    }
    if then.changes == now.plan.changes && then.summary == now.plan.summary {
        return Ok(());
    }
    let (added, dropped) = difference(&then, now.plan);
    Err(stale(Stale::Expired {
        planned_on,
        added,
        dropped,
    }))
}

/// How many changes `now` has that `then` lacks, and the other way round.
fn difference(then: &Plan, now: &Plan) -> (usize, usize) {
    let keys = |p: &Plan| -> BTreeSet<_> {
        p.changes
            .iter()
            .map(|c| (c.action, c.assignment()))
            .collect()
    };
    let (before, after) = (keys(then), keys(now));
    (
        after.difference(&before).count(),
        before.difference(&after).count(),
    )
}

/// When the saved plan covers other accounts than today's plan: a saved
/// plan is never applied to more accounts, or fewer, than it was made for.
fn other_accounts(doc: &Map<String, Value>, now: &Now<'_>) -> Option<Stale> {
    let ids = |v: &Value| -> Vec<String> {
        v.as_array()
            .into_iter()
            .flatten()
            .map(|a| short_to(a.get("id"), 12))
            .collect()
    };
    let saved = doc.get("partial").filter(|v| !v.is_null()).map(ids);
    let ids_now = (now.plan.partial.as_ref()).map(|p| p.iter().map(|a| a.id.to_string()).collect());
    (saved != ids_now).then_some(Stale::OtherAccounts {
        saved,
        now: ids_now,
    })
}

/// Which of the file, the live state or the plan itself differs.
fn mismatch(doc: &Map<String, Value>, expected: &Value, now: &Now<'_>) -> Stale {
    let saved_config = doc.get("config_sha256");
    if saved_config != expected.get("config_sha256") {
        return Stale::OtherFile {
            saved: short(saved_config),
            now: prefix(now.config_sha256),
        };
    }
    if let Some(other) = other_accounts(doc, now) {
        return other;
    }
    let saved_fingerprint = doc.get("fingerprint");
    if saved_fingerprint != expected.get("fingerprint") {
        return Stale::LiveStateChanged {
            saved: short(saved_fingerprint),
            now: prefix(&now.plan.fingerprint),
        };
    }
    let mut keys: BTreeSet<&str> = doc.keys().map(String::as_str).collect();
    if let Some(e) = expected.as_object() {
        keys.extend(e.keys().map(String::as_str));
    }
    let keys = keys
        .into_iter()
        .filter(|k| doc.get(*k) != expected.get(*k))
        .map(|k| format!("`{}`", k.escape_debug()))
        .collect();
    let own_digest = doc
        .get("changes")
        .and_then(|c| serde_json::from_value::<Vec<Change>>(c.clone()).ok())
        .map(|c| changes_sha256(&c));
    let tampered = match (
        own_digest,
        doc.get("changes_sha256").and_then(Value::as_str),
    ) {
        (Some(d), Some(s)) => d != s,
        _ => true,
    };
    Stale::Differs { keys, tampered }
}

impl fmt::Display for StalePlan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (name, file) = (&self.name, &self.file);
        let fix = format!(
            "nothing was applied: run `ssomatrix plan --out {name}` again and review the new plan"
        );
        match &self.cause {
            Stale::NotAPlan { why } => write!(
                f,
                "{name} is not a plan written by `ssomatrix plan --out` ({why}); {fix}"
            ),
            Stale::UnknownFormat { version } => write!(
                f,
                "{name} has format_version {version}, which this ssomatrix does not know \
                 (it reads {PLAN_FORMAT_VERSION}); {fix} with this version"
            ),
            Stale::OtherInstance { saved } => write!(
                f,
                "{name} was made for instance {saved}, not {}; {fix} against this instance",
                self.instance
            ),
            Stale::Unbound => write!(
                f,
                "{name} has no valid `planned_on` date, so it is not bound to the file and day it was made from \
                 (older ssomatrix versions did not bind plans); {fix}"
            ),
            Stale::Expired {
                planned_on,
                added,
                dropped,
            } => write!(
                f,
                "a user exception expired between {planned_on}, when the plan was made, and today ({}): \
                 today's plan has {added} change(s) the saved plan lacks and lacks {dropped} it has, and an expired \
                 exception is never created; {fix}",
                self.today
            ),
            Stale::OtherFile { saved, now } => write!(
                f,
                "{name} was made from a different assignments file than {file} (SHA-256 {saved} in the plan, {now} now): \
                 the plan is bound to the exact bytes of the file it was made from; {fix}"
            ),
            Stale::OtherAccounts { saved, now } => {
                let flags = |ids: &Option<Vec<String>>| match ids {
                    None => "no --account (the whole organization)".to_owned(),
                    Some(ids) => ids
                        .iter()
                        .map(|id| format!("--account {id}"))
                        .collect::<Vec<_>>()
                        .join(" "),
                };
                write!(
                    f,
                    "{name} was made with {}, but this run has {}: a saved plan applies to exactly the accounts it \
                     was made for; nothing was applied: run apply with the plan's --account flags, or run \
                     `ssomatrix plan --out {name}` again with the accounts you mean and review the new plan",
                    flags(saved),
                    flags(now)
                )
            }
            Stale::LiveStateChanged { saved, now } => write!(
                f,
                "the live state changed since {name} was made (fingerprint {saved} is now {now}); {fix}"
            ),
            Stale::Differs { keys, tampered } => write!(
                f,
                "{name} is not the plan that {file} and the live state give: {} differ{}{}; {fix}",
                keys.join(", "),
                if keys.len() == 1 { "s" } else { "" },
                if *tampered {
                    " (its changes do not match its own changes_sha256: it was edited after `plan --out` wrote it)"
                } else {
                    ""
                }
            ),
        }
    }
}

impl std::error::Error for StalePlan {}

/// The first 12 characters of a digest we computed.
fn prefix(digest: &str) -> String {
    format!("{}…", digest.chars().take(12).collect::<String>())
}

/// A value from the saved plan, shortened and escaped for a message: it came
/// from a file anyone may have edited.
fn short(value: Option<&Value>) -> String {
    short_to(value, 12)
}

fn short_to(value: Option<&Value>, max: usize) -> String {
    let text = match value {
        None => return "(none)".to_owned(),
        Some(Value::String(s)) => s.clone(),
        Some(v) => v.to_string(),
    };
    let mut out: String = text
        .chars()
        .take(max)
        .collect::<String>()
        .escape_debug()
        .to_string();
    if text.chars().count() > max {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;
    use crate::snapshot::Snapshot;

    const CONFIG: &str = include_str!("../../../assignments.example.yaml");
    const SNAPSHOT: &str = include_str!("../../../examples/org.snapshot.yaml");

    fn day(s: &str) -> Date {
        Date::parse(s).unwrap()
    }

    fn config() -> Config {
        Config::parse("assignments.example.yaml", CONFIG).unwrap()
    }

    fn snapshot() -> Snapshot {
        Snapshot::parse("org.snapshot.yaml", SNAPSHOT).unwrap()
    }

    fn live(s: &Snapshot) -> LiveState {
        s.to_live_state().unwrap()
    }

    /// The example's plan: 6 creates and 5 deletes.
    fn example_plan(on: &str) -> Plan {
        plan::plan(&config(), &live(&snapshot()), day(on)).unwrap()
    }

    #[test]
    fn the_flag_replaces_the_files_budget_for_one_run() {
        let file = DeleteBudget::new(5, None);
        assert_eq!((file.limit, file.source), (5, BudgetSource::File));
        let flag = DeleteBudget::new(5, Some(0));
        assert_eq!((flag.limit, flag.source), (0, BudgetSource::Flag));
        assert!(file.allows(5) && !file.allows(6));
        assert!(flag.allows(0) && !flag.allows(1));
    }

    #[test]
    fn a_plan_over_the_budget_is_refused_naming_the_budget_and_the_fix() {
        let plan = example_plan("2026-11-24");
        assert_eq!(plan.deletes().count(), 5);
        assert_eq!(plan.access_deletes().count(), 4);
        assert_eq!(DeleteBudget::new(4, None).check(&plan), Ok(()));
        assert_eq!(DeleteBudget::new(0, Some(4)).check(&plan), Ok(()));
        let flag = DeleteBudget::new(100, Some(3)).check(&plan).unwrap_err();
        assert_eq!((flag.deletes, flag.orphans), (4, 1));
        assert_eq!(
            flag.to_string(),
            "the plan deletes 4 assignments (not counting 1 orphaned assignment(s) of deleted principals), \
             more than the --allow-deletes budget of 3; nothing was applied: \
             review the plan and re-run with `--allow-deletes 4` if it is right"
        );
        let file = DeleteBudget::new(2, None).check(&plan).unwrap_err();
        assert!(
            file.to_string().starts_with(
                "the plan deletes 4 assignments (not counting 1 orphaned assignment(s) of deleted principals), \
                 more than the `safety.max_deletes` budget of 2;"
            ),
            "{file}"
        );
    }

    /// The example's one delete of a deleted group's assignment removes
    /// nobody's access: a budget of 0 lets a plan of only that delete pass,
    /// and the message of a refused plan counts only the others.
    #[test]
    fn orphan_deletes_are_not_counted_against_the_budget() {
        let mut plan = example_plan("2026-11-24");
        let orphan = plan.orphan_deletes().count();
        assert_eq!(orphan, 1);
        plan.changes.retain(|c| c.is_orphan_delete());
        assert_eq!(DeleteBudget::new(0, None).check(&plan), Ok(()));
        assert_eq!(DeleteBudget::new(0, Some(0)).check(&plan), Ok(()));
    }

    /// The plan warns about the budget exactly when apply would refuse it
    /// without `--allow-deletes`: the planner and the gate share one rule.
    #[test]
    fn the_plans_budget_warning_agrees_with_the_gate() {
        for max_deletes in [3, 4] {
            let text = CONFIG.replacen(
                "  max_deletes: 8\n",
                &format!("  max_deletes: {max_deletes}\n"),
                1,
            );
            assert_ne!(text, CONFIG);
            let config = Config::parse("assignments.example.yaml", &text).unwrap();
            let plan = plan::plan(&config, &live(&snapshot()), day("2026-11-24")).unwrap();
            let warned = plan
                .warnings
                .iter()
                .any(|w| w.kind == plan::WarningKind::DeleteBudget);
            let refused = DeleteBudget::new(config.max_deletes, None)
                .check(&plan)
                .is_err();
            assert_eq!((warned, refused), (max_deletes == 3, max_deletes == 3));
        }
    }

    /// Checks `saved` against the example as of `today`, with `snapshot` as
    /// the live state and `sha` as the file's digest.
    fn check(saved: &str, snapshot: &Snapshot, sha: &str, today: &str) -> Result<(), Refusal> {
        let (config, live) = (config(), live(snapshot));
        let plan = plan::plan(&config, &live, day(today)).unwrap();
        let now = Now {
            config: &config,
            config_sha256: sha,
            live: &live,
            today: day(today),
            plan: &plan,
        };
        check_saved_plan("plan.json", saved, &now)
    }

    fn cause(r: Result<(), Refusal>) -> Stale {
        match r {
            Err(Refusal::Stale(s)) => s.cause,
            other => panic!("not stale: {other:?}"),
        }
    }

    const SHA: &str = "4d566e1a19fc0000000000000000000000000000000000000000000000000000";

    #[test]
    fn a_saved_plan_is_accepted_while_file_live_state_and_day_give_it() {
        let saved = saved_plan_json(&example_plan("2026-11-24"), day("2026-11-24"), SHA);
        assert_eq!(check(&saved, &snapshot(), SHA, "2026-11-24"), Ok(()));
        // A later day that expires nothing gives the same plan.
        assert_eq!(check(&saved, &snapshot(), SHA, "2026-11-30"), Ok(()));
    }

    #[test]
    fn another_file_or_live_state_is_named_as_the_cause() {
        let saved = saved_plan_json(&example_plan("2026-11-24"), day("2026-11-24"), SHA);
        let other = "ecb3f7f9f911".repeat(5) + "abcd";
        assert_eq!(
            cause(check(&saved, &snapshot(), &other, "2026-11-24")),
            Stale::OtherFile {
                saved: "4d566e1a19fc…".into(),
                now: "ecb3f7f9f911…".into()
            }
        );
        let mut changed = snapshot();
        changed.assignments.remove(0);
        assert!(matches!(
            cause(check(&saved, &changed, SHA, "2026-11-24")),
            Stale::LiveStateChanged { .. }
        ));
    }

    /// dave.okafor's exception is in force until 2026-12-04 inclusive.
    #[test]
    fn an_exception_that_expired_since_the_plan_makes_it_stale() {
        let saved = saved_plan_json(&example_plan("2026-12-04"), day("2026-12-04"), SHA);
        assert_eq!(check(&saved, &snapshot(), SHA, "2026-12-04"), Ok(()));
        let refused = check(&saved, &snapshot(), SHA, "2026-12-05");
        assert_eq!(
            cause(refused.clone()),
            Stale::Expired {
                planned_on: day("2026-12-04"),
                added: 1,
                dropped: 0
            }
        );
        let Err(Refusal::Stale(s)) = refused else {
            unreachable!()
        };
        assert!(
            s.to_string().starts_with(
                "a user exception expired between 2026-12-04, when the plan was made, and today (2026-12-05)"
            ),
            "{s}"
        );
    }

    #[test]
    fn an_edited_plan_is_refused_and_a_stale_digest_is_called_an_edit() {
        let plan = example_plan("2026-11-24");
        let saved: Value =
            serde_json::from_str(&saved_plan_json(&plan, day("2026-11-24"), SHA)).unwrap();
        let edit = |f: &dyn Fn(&mut Value)| {
            let mut v = saved.clone();
            f(&mut v);
            cause(check(&v.to_string(), &snapshot(), SHA, "2026-11-24"))
        };
        assert_eq!(
            edit(&|v| v["format_version"] = Value::from(2)),
            Stale::UnknownFormat {
                version: "2".into()
            }
        );
        assert_eq!(
            edit(&|v| {
                v.as_object_mut().unwrap().remove("planned_on");
            }),
            Stale::Unbound
        );
        // One change dropped: the digest no longer covers the changes…
        assert_eq!(
            edit(&|v| {
                v["changes"].as_array_mut().unwrap().pop();
            }),
            Stale::Differs {
                keys: vec!["`changes`".into()],
                tampered: true
            }
        );
        // …unless the editor recomputed it, which still differs from today's.
        assert_eq!(
            edit(&|v| {
                let mut changes = plan.changes.clone();
                changes.pop();
                v["changes"] = serde_json::to_value(&changes).unwrap();
                v["changes_sha256"] = Value::from(changes_sha256(&changes));
            }),
            Stale::Differs {
                keys: vec!["`changes`".into(), "`changes_sha256`".into()],
                tampered: false
            }
        );
        assert!(matches!(
            cause(check("not json", &snapshot(), SHA, "2026-11-24")),
            Stale::NotAPlan { .. }
        ));
    }
}
