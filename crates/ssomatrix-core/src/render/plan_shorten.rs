//! Plans too large for one GitHub comment, shortened without hiding a
//! delete: every delete is listed one by one (grouped by reason), creates
//! are listed when they fit and otherwise counted by permission set and OU,
//! and the access-matrix diff is left out. When even the deletes do not fit,
//! the comment says so at the top, counts every delete by permission set and
//! OU, lists as many as fit and says how many it does not list, so that no
//! delete is ever dropped silently; the JSON plan lists every change.
//!
//! Lines go in ```diff code blocks, where nothing is markup: names need only
//! their control characters escaped (`escape::visible`), and the fence is
//! longer than any backtick run they hold.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::GITHUB_COMMENT_LIMIT;
use super::plan::{markdown_head, markdown_warnings};
use super::tally::{TallyLevel, count, diff_block, tally, thousands};
use crate::escape::visible;
use crate::plan::{Change, Plan};

/// Room kept for the note at the top, whose counts are known last.
const NOTE_RESERVE: usize = 1_200;
/// At most this much of a comment that cannot list every delete goes to
/// warnings.
const WARNINGS_CAP: usize = 8_000;
/// Where the JSON plan is, said wherever the comment leaves something out.
pub(crate) const JSON_PLAN: &str = "the JSON plan (`ssomatrix plan --format json`, or the file `--out` wrote; \
the CI workflows in docs/ci save it as the artifact `ssomatrix-plan`)";

/// One change in a code block: `- app-dev (123456789012)  AppDeveloper  group x`.
fn change_line(sign: char, c: &Change) -> String {
    format!(
        "{sign} {} ({})  {}  {}{}",
        visible(&c.account_name),
        c.account_id,
        visible(&c.permission_set_name),
        visible(&c.principal_label()),
        if c.needs_management_account {
            format!("  {}", super::MANAGEMENT_ONLY_MARK)
        } else {
            String::new()
        }
    )
}

/// Changes as code-block lines grouped under one `@@ reason (n) @@` line per
/// reason, which is said once instead of on every line.
fn by_reason(sign: char, changes: &[&Change]) -> Vec<String> {
    let mut groups: BTreeMap<&str, Vec<&Change>> = BTreeMap::new();
    for c in changes {
        groups.entry(c.reason.as_str()).or_default().push(c);
    }
    let mut lines = Vec::with_capacity(changes.len() + groups.len());
    for (reason, cs) in groups {
        lines.push(format!(
            "@@ {} ({}) @@",
            visible(reason),
            thousands(cs.len())
        ));
        lines.extend(cs.iter().map(|c| change_line(sign, c)));
    }
    lines
}

/// The deletes section; `None` when not every delete fits in `room` bytes.
fn all_deletes(deletes: &[&Change], room: usize) -> Option<String> {
    if deletes.is_empty() {
        return Some(String::new());
    }
    let lines = by_reason('-', deletes);
    let head = format!(
        "#### Deletes ({}): every one, grouped by reason\n\n",
        thousands(deletes.len())
    );
    let section = format!("{head}{}\n", diff_block(&lines));
    (section.len() <= room).then_some(section)
}

/// The deletes section when not every delete fits in `room`: all counted,
/// as many listed as fit, and how many are not listed; with that number.
fn some_deletes(deletes: &[&Change], room: usize) -> (String, usize) {
    let items = deletes
        .iter()
        .map(|c| (c.permission_set_name.as_str(), c.account_ou_path.as_str()));
    let line = |n: usize, what: &str| format!("- {} of {what}", count(n, "delete", "deletes"));
    let (level, counts) = tally(items, line, room / 2);
    let mut out = format!(
        "#### Deletes ({}): NOT every one is listed\n\nEvery delete, counted {}:\n\n{}\n",
        thousands(deletes.len()),
        level.by(),
        diff_block(&counts)
    );
    let lines = by_reason('-', deletes);
    // The listed lines, the note of what is left out and the fences.
    let budget = room.saturating_sub(out.len() + 400);
    let mut used = 0;
    let mut shown = Vec::new();
    let mut listed = 0;
    for l in &lines {
        if used + l.len() + 1 > budget {
            break;
        }
        used += l.len() + 1;
        if !l.starts_with("@@ ") {
            listed += 1;
        }
        shown.push(l.clone());
    }
    while shown.last().is_some_and(|l| l.starts_with("@@ ")) {
        shown.pop();
    }
    let missing = deletes.len() - listed;
    let _ = write!(
        out,
        "The first {} one by one; **{} not listed here**, {JSON_PLAN} lists them:\n\n{}\n",
        thousands(listed),
        count(missing, "delete is", "deletes are"),
        diff_block(&shown)
    );
    (out, missing)
}

/// The creates section at the finest level that fits in `room`: every
/// create, or counts by permission set and OU, by permission set, in total.
fn creates_section(creates: &[&Change], room: usize) -> (String, Option<TallyLevel>) {
    if creates.is_empty() {
        return (String::new(), None);
    }
    let n = thousands(creates.len());
    let lines = by_reason('+', creates);
    let all = format!(
        "#### Creates ({n}): every one, grouped by reason\n\n{}\n",
        diff_block(&lines)
    );
    if all.len() <= room {
        return (all, None);
    }
    let items = creates
        .iter()
        .map(|c| (c.permission_set_name.as_str(), c.account_ou_path.as_str()));
    let line = |n: usize, what: &str| format!("+ {} of {what}", count(n, "create", "creates"));
    let (level, counts) = tally(items, line, room.saturating_sub(200));
    let section = format!(
        "#### Creates ({n}): counted {}\n\n{}\n",
        level.by(),
        diff_block(&counts)
    );
    (section, Some(level))
}

/// The plan comment when the full one is over GitHub's limit.
pub(super) fn markdown(plan: &Plan) -> String {
    let head = markdown_head(plan);
    let footer = format!("<sub>fingerprint `{}`</sub>\n", plan.fingerprint);
    let deletes: Vec<&Change> = plan.deletes().collect();
    let creates: Vec<&Change> = plan.creates().collect();
    let mut room = GITHUB_COMMENT_LIMIT.saturating_sub(head.len() + footer.len() + NOTE_RESERVE);
    let creates_min = creates_section(&creates, 0).0.len();

    let (deletes_md, not_listed) = match all_deletes(&deletes, room.saturating_sub(creates_min)) {
        Some(s) => (s, 0),
        None => {
            let warnings = markdown_warnings(plan, WARNINGS_CAP).len();
            some_deletes(&deletes, room.saturating_sub(creates_min + warnings))
        }
    };
    room = room.saturating_sub(deletes_md.len());
    let warnings = markdown_warnings(plan, room.saturating_sub(creates_min));
    room = room.saturating_sub(warnings.len());
    let (creates_md, level) = creates_section(&creates, room);

    let note = if not_listed > 0 {
        format!(
            "> [!CAUTION]\n> **Not every delete is listed.** This plan deletes {} assignments, more than a comment \
             can list: all of them are counted below, and **{} not listed** one by one. \
             Do not approve from this comment alone: {JSON_PLAN} lists every change.\n\n",
            thousands(deletes.len()),
            count(not_listed, "delete is", "deletes are"),
        )
    } else {
        let deletes_said = if deletes.is_empty() {
            "This plan deletes nothing"
        } else {
            "Every delete is listed below"
        };
        let creates_said = match level {
            None => "every create too".to_owned(),
            Some(l) => format!("the creates are counted {}", l.by()),
        };
        format!(
            "> [!NOTE]\n> **Shortened to fit a comment.** {deletes_said}, {creates_said}; the \
             access-matrix diff is left out. {} lists every change.\n\n",
            upper_first(JSON_PLAN)
        )
    };
    let mut out = head;
    out.push_str(&note);
    out.push_str(&warnings);
    out.push_str(&deletes_md);
    out.push_str(&creates_md);
    out.push_str(&footer);
    out
}

fn upper_first(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}
