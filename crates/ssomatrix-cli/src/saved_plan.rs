//! Saved plans (`plan --out`, `apply --plan`): the plan bound to the file
//! and the day it was made from, and the check at apply time that `-c` and
//! the live state still give exactly that plan.
//!
//! A saved plan is a gate, never a script: apply recomputes the plan and
//! executes the recomputation, so nothing the JSON says (names included) is
//! ever acted on or shown. The JSON must equal the recomputation as of the
//! day it names, and that plan's changes must equal today's.

use std::collections::BTreeSet;
use std::path::Path;

use anyhow::{Context, bail};
use serde::Serialize;
use serde_json::Value;
use ssomatrix_core::date::Date;
use ssomatrix_core::live::LiveState;
use ssomatrix_core::plan::{Change, PLAN_FORMAT_VERSION, Plan};

use crate::load::{LoadedConfig, plan_on, sha256_hex};

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

fn saved<'a>(plan: &'a Plan, planned_on: Date, config_sha256: &'a str) -> SavedPlan<'a> {
    SavedPlan {
        plan,
        planned_on,
        config_sha256,
        changes_sha256: changes_sha256(&plan.changes),
    }
}

/// The saved plan as pretty JSON with a final newline.
pub fn render(plan: &Plan, planned_on: Date, config_sha256: &str) -> String {
    // A plan is plain data; serialising it cannot fail.
    serde_json::to_string_pretty(&saved(plan, planned_on, config_sha256)).unwrap_or_default() + "\n"
}

fn to_value(plan: &Plan, planned_on: Date, config_sha256: &str) -> Value {
    serde_json::to_value(saved(plan, planned_on, config_sha256)).unwrap_or_default()
}

/// What apply checks a saved plan against: the file as read now, the live
/// state as read now, today, and today's plan of the two.
#[derive(Debug)]
pub struct Now<'a> {
    pub config: &'a LoadedConfig,
    pub live: &'a LiveState,
    pub today: Date,
    pub plan: &'a Plan,
}

/// Accepts the saved plan at `path` only when it is exactly what `now`
/// gives; otherwise says which of the file, the live state, the day or the
/// plan itself differs, and how to fix it.
pub fn verify(path: &Path, now: &Now<'_>) -> anyhow::Result<()> {
    let shown = path.display();
    let fix = format!(
        "nothing was applied: run `ssomatrix plan --out {shown}` again and review the new plan"
    );
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read saved plan {shown}"))?;
    let raw: Value = serde_json::from_str(&text).map_err(|e| {
        anyhow::anyhow!("{shown} is not a plan written by `ssomatrix plan --out` ({e}); {fix}")
    })?;
    let Some(doc) = raw.as_object() else {
        bail!("{shown} is not a plan written by `ssomatrix plan --out` (not a JSON object); {fix}");
    };
    let version = doc.get("format_version");
    if version != Some(&Value::from(PLAN_FORMAT_VERSION)) {
        bail!(
            "{shown} has format_version {}, which this ssomatrix does not know (it reads {PLAN_FORMAT_VERSION}); {fix} with this version",
            short(version)
        );
    }
    let instance = now.plan.instance_arn.as_str();
    if doc.get("instance_arn").and_then(Value::as_str) != Some(instance) {
        bail!(
            "{shown} was made for instance {}, not {instance}; {fix} against this instance",
            short_to(doc.get("instance_arn"), 100)
        );
    }
    let Some(planned_on) = doc
        .get("planned_on")
        .and_then(Value::as_str)
        .and_then(|s| Date::parse(s).ok())
    else {
        bail!(
            "{shown} has no valid `planned_on` date, so it is not bound to the file and day it was made from \
             (older ssomatrix versions did not bind plans); {fix}"
        );
    };
    let then = if planned_on == now.today {
        now.plan.clone()
    } else {
        plan_on(&now.config.config, now.live, planned_on)?
    };
    let expected = to_value(&then, planned_on, &now.config.sha256);
    if raw == expected {
        if then.changes == now.plan.changes && then.summary == now.plan.summary {
            return Ok(());
        }
        bail!("{}; {fix}", expired(&then, now.plan, planned_on, now.today));
    }
    bail!("{}; {fix}", mismatch(path, doc, &expected, now));
}

/// The reason for a plan that matches its day but not today's.
fn expired(then: &Plan, today_plan: &Plan, planned_on: Date, today: Date) -> String {
    let before: BTreeSet<_> = then
        .changes
        .iter()
        .map(|c| (c.action, c.assignment()))
        .collect();
    let after: BTreeSet<_> = today_plan
        .changes
        .iter()
        .map(|c| (c.action, c.assignment()))
        .collect();
    let added = after.difference(&before).count();
    let dropped = before.difference(&after).count();
    format!(
        "a user exception expired between {planned_on}, when the plan was made, and today ({today}): \
         today's plan has {added} change(s) the saved plan lacks and lacks {dropped} it has, and an expired \
         exception is never created"
    )
}

/// Says which of the file, the live state or the plan itself differs.
fn mismatch(
    path: &Path,
    doc: &serde_json::Map<String, Value>,
    expected: &Value,
    now: &Now<'_>,
) -> String {
    let shown = path.display();
    let file = &now.config.config.file;
    let saved_config = doc.get("config_sha256");
    if saved_config != expected.get("config_sha256") {
        return format!(
            "{shown} was made from a different assignments file than {file} (SHA-256 {} in the plan, {} now): \
             the plan is bound to the exact bytes of the file it was made from",
            short(saved_config),
            prefix(&now.config.sha256)
        );
    }
    let saved_fingerprint = doc.get("fingerprint");
    if saved_fingerprint != expected.get("fingerprint") {
        return format!(
            "the live state changed since {shown} was made (fingerprint {} is now {})",
            short(saved_fingerprint),
            prefix(&now.plan.fingerprint)
        );
    }
    let mut keys: BTreeSet<&str> = doc.keys().map(String::as_str).collect();
    if let Some(e) = expected.as_object() {
        keys.extend(e.keys().map(String::as_str));
    }
    let differ: Vec<String> = keys
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
        (Some(d), Some(s)) if d == s => "",
        _ => {
            " (its changes do not match its own changes_sha256: it was edited after `plan --out` wrote it)"
        }
    };
    format!(
        "{shown} is not the plan that {file} and the live state give: {} differ{}{tampered}",
        differ.join(", "),
        if differ.len() == 1 { "s" } else { "" }
    )
}

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
