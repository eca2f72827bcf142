//! Plans rendered for people and machines: Terraform-like text for a
//! terminal, Markdown for a pull-request comment, JSON for tools.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

use similar::{ChangeTag, TextDiff};

use crate::escape::{MdContext, fence_for, md_message, md_text, visible};
use crate::ids::AccountId;
use crate::live::LiveState;
use crate::plan::{Action, Change, Plan};

use super::{
    GITHUB_COMMENT_LIMIT, TextStyle, json_document, list_within, partial_sentence, plan_shorten,
};

/// The hidden marker that lets a workflow find and update its own comment.
pub const MARKDOWN_MARKER: &str = "<!-- ssomatrix-plan -->";

/// The mark of a change only the management account can make (the caller
/// is a delegated administrator).
pub const MANAGEMENT_ONLY_MARK: &str = "[management account only]";

fn summary_line(plan: &Plan) -> String {
    let s = plan.summary;
    let marked = plan.management_only().count();
    let management = if marked > 0 {
        format!("; {marked} need the management account (the caller is a delegated administrator)")
    } else {
        String::new()
    };
    let orphans = if s.delete_orphans > 0 {
        format!(
            " ({} of them orphaned, not counted against the delete budget)",
            s.delete_orphans
        )
    } else {
        String::new()
    };
    format!(
        "{} to create, {} to delete{orphans}, {} unchanged{management}",
        s.create, s.delete, s.unchanged
    )
}

/// The changes listed per account: all but the orphan deletes (listed
/// apart) and the changes of recreated principals (one line each).
fn listed(plan: &Plan) -> Vec<Change> {
    plan.changes
        .iter()
        .filter(|c| !c.is_orphan_delete() && !plan.recreated.iter().any(|r| r.covers(c)))
        .cloned()
        .collect()
}

/// The orphan deletes no recreated principal accounts for.
fn lone_orphans(plan: &Plan) -> impl Iterator<Item = &Change> {
    plan.orphan_deletes()
        .filter(|c| !plan.recreated.iter().any(|r| r.covers(c)))
}

/// The text sections of recreated principals and of the other orphaned
/// assignments, after the accounts.
fn text_recovery(plan: &Plan, style: TextStyle) -> String {
    let mut out = String::new();
    if !plan.recreated.is_empty() {
        let _ = writeln!(
            out,
            "\n  recreated principals (their assignments move to the new id):"
        );
        for r in &plan.recreated {
            let _ = writeln!(
                out,
                "    {}",
                style.paint("36", &format!("~ {}", visible(&r.sentence())))
            );
        }
    }
    let orphans: Vec<&Change> = lone_orphans(plan).collect();
    if !orphans.is_empty() {
        let _ = writeln!(
            out,
            "\n  orphaned assignments of deleted principals (not counted against the delete budget; deleted after every create):"
        );
        for c in orphans {
            let body = format!(
                "- {} {}  {}  {}",
                c.account_id,
                visible(&c.account_name),
                visible(&c.permission_set_name),
                visible(&c.principal_label())
            );
            let _ = writeln!(out, "    {}", style.paint("31", &body));
        }
    }
    out
}

/// Terraform-like text: changes grouped by account, then warnings. Names
/// are shown with their control characters escaped (`escape::visible`), so
/// that nothing a name holds can move the cursor, recolour or add a line.
pub fn text(plan: &Plan, style: TextStyle) -> String {
    let mut out = String::new();
    if let Some(accounts) = &plan.partial {
        let line = format!(
            "Partial plan (--account): {}.",
            partial_sentence(accounts, "read, and none is changed")
        );
        let _ = writeln!(out, "{}\n", style.paint("33", &visible(&line)));
    }
    if plan.is_empty() {
        let _ = writeln!(
            out,
            "No changes: the live assignments match the file ({} unchanged).",
            plan.summary.unchanged
        );
    } else {
        let _ = writeln!(out, "Plan: {}.", summary_line(plan));
        if let Some(people) = &plan.people {
            out.push('\n');
            out.push_str(&super::people::text(people, style));
        }
        let listed = listed(plan);
        for (account, changes) in by_account(&listed) {
            let first = changes[0];
            let _ = writeln!(
                out,
                "\n  account {account} {} ({})",
                style.paint("1", &visible(&first.account_name)),
                visible(&first.account_ou_path)
            );
            let rows: Vec<[String; 3]> = changes
                .iter()
                .map(|c| {
                    [
                        visible(&c.permission_set_name).into_owned(),
                        visible(&c.principal_label()).into_owned(),
                        visible(&c.reason).into_owned(),
                    ]
                })
                .collect();
            let width_of = |i: usize| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0);
            let (width, pwidth) = (width_of(0), width_of(1));
            for (c, [ps, principal, reason]) in changes.iter().zip(&rows) {
                let (sign, code) = match c.action {
                    Action::Create => ("+", "32"),
                    Action::Delete => ("-", "31"),
                };
                let body = format!("{sign} {ps:<width$}  {principal:<pwidth$}");
                let mark = if c.needs_management_account {
                    format!("  {}", style.paint("33", MANAGEMENT_ONLY_MARK))
                } else {
                    String::new()
                };
                let _ = writeln!(
                    out,
                    "    {}  {}{mark}",
                    style.paint(code, &body),
                    style.paint("2", reason)
                );
            }
        }
        out.push_str(&text_recovery(plan, style));
    }
    if !plan.warnings.is_empty() {
        let _ = writeln!(out, "\nWarnings:");
        for w in &plan.warnings {
            let _ = writeln!(out, "  {} {}", style.paint("33", "!"), visible(&w.message));
        }
    }
    out
}

fn by_account(changes: &[Change]) -> BTreeMap<&AccountId, Vec<&Change>> {
    let mut map: BTreeMap<&AccountId, Vec<&Change>> = BTreeMap::new();
    for c in changes {
        map.entry(&c.account_id).or_default().push(c);
    }
    map
}

/// The JSON document of `plan --format json` and `plan --out`.
pub fn json(plan: &Plan) -> String {
    json_document(plan)
}

/// Lines of the access matrix (`account  permission set  principal`) of the
/// accounts the plan touches, before and after the plan; names escaped for a
/// code block.
fn matrix(plan: &Plan, live: &LiveState) -> (String, String) {
    let touched: BTreeSet<&AccountId> = plan.changes.iter().map(|c| &c.account_id).collect();
    let line = |account: &AccountId, ps: &str, principal: &str| {
        let name = live
            .org
            .account(account)
            .map(|a| a.name.as_str())
            .unwrap_or("");
        format!(
            "{} ({account})  {}  {}",
            visible(name),
            visible(ps),
            visible(principal)
        )
    };
    let mut before = BTreeSet::new();
    for a in &live.assignments {
        if !touched.contains(&a.account_id) {
            continue;
        }
        let ps = live
            .permission_sets
            .get(&a.permission_set_arn)
            .map(String::as_str)
            .unwrap_or("");
        let who = match live.principals.name_of(a.principal_type, &a.principal_id) {
            Some(n) => format!("{} {n}", a.principal_type.noun()),
            None => format!("{} <deleted {}>", a.principal_type.noun(), a.principal_id),
        };
        before.insert(line(&a.account_id, ps, &who));
    }
    let mut after = before.clone();
    for c in &plan.changes {
        let l = line(&c.account_id, &c.permission_set_name, &c.principal_label());
        match c.action {
            Action::Create => after.insert(l),
            Action::Delete => after.remove(&l),
        };
    }
    let join = |s: BTreeSet<String>| s.into_iter().map(|l| l + "\n").collect::<String>();
    (join(before), join(after))
}

/// The top of the plan comment: the hidden marker, the title and the counts.
pub(super) fn markdown_head(plan: &Plan) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{MARKDOWN_MARKER}\n### ssomatrix plan\n");
    if let Some(accounts) = &plan.partial {
        let line = partial_sentence(accounts, "read, and none is changed");
        let _ = writeln!(
            out,
            "**Partial plan** (`--account`): {}.\n",
            md_message(&line, MdContext::Line)
        );
    }
    let s = plan.summary;
    let _ = writeln!(
        out,
        "| to create | to delete | unchanged |\n|---:|---:|---:|\n| {} | {} | {} |\n",
        s.create, s.delete, s.unchanged
    );
    if s.delete_orphans > 0 {
        let _ = writeln!(
            out,
            "Orphaned assignments of deleted principals: {}. Deleting them removes nobody's access: they are not \
             counted against the delete budget and are deleted after every create.\n",
            s.delete_orphans
        );
    }
    if let Some(people) = plan.people.as_ref().filter(|_| !plan.is_empty()) {
        out.push_str(&super::people::markdown(people));
    }
    if !plan.recreated.is_empty() {
        let _ = writeln!(out, "**Recreated principals**\n");
        for r in &plan.recreated {
            let _ = writeln!(out, "- {}", md_message(&r.sentence(), MdContext::Line));
        }
        out.push('\n');
    }
    if plan.is_empty() {
        let _ = writeln!(out, "No changes: the live assignments match the file.\n");
    }
    out
}

/// The warnings as a Markdown list: at most 50, and only as many as fit in
/// `budget` bytes; the rest are counted.
pub(super) fn markdown_warnings(plan: &Plan, budget: usize) -> String {
    const WARNINGS_SHOWN: usize = 50;
    if plan.warnings.is_empty() {
        return String::new();
    }
    let n = plan.warnings.len();
    let mut out = format!("**Warnings ({n})**\n\n");
    let items = (plan.warnings.iter().take(WARNINGS_SHOWN))
        .map(|w| format!("- {}\n", md_message(&w.message, MdContext::Line)));
    list_within(&mut out, items, n, budget);
    out.push('\n');
    out
}

/// Markdown for a pull-request comment: the hidden marker, summary counts,
/// warnings, a ```diff of the access matrix before → after, and the changes
/// with their reasons folded in `<details>`. Names are escaped so that they
/// are shown as written and never read as markup (`crate::escape`). A plan
/// too large for GitHub's limit is shortened instead: every delete is still
/// listed, and creates are counted by permission set and OU (`shorten`).
pub fn markdown(plan: &Plan, live: &LiveState) -> String {
    // The rows of the changes table alone take at least this much (escaping
    // only adds): past the limit, the access-matrix diff of a huge plan is
    // not worth computing.
    let table_at_least: usize = plan
        .changes
        .iter()
        .map(|c| 30 + c.account_name.len() + c.permission_set_name.len() + c.reason.len())
        .sum();
    if table_at_least <= GITHUB_COMMENT_LIMIT {
        let full = markdown_full(plan, live);
        if full.len() <= GITHUB_COMMENT_LIMIT {
            return full;
        }
    }
    plan_shorten::markdown(plan)
}

fn markdown_full(plan: &Plan, live: &LiveState) -> String {
    let mut out = markdown_head(plan);
    out.push_str(&markdown_warnings(plan, usize::MAX));
    if !plan.is_empty() {
        let (before, after) = matrix(plan, live);
        let diff = TextDiff::from_lines(&before, &after);
        let mut body = String::new();
        let mut lines = 0;
        for (i, group) in diff.grouped_ops(2).iter().enumerate() {
            if i > 0 {
                body.push_str("@@ … @@\n");
                lines += 1;
            }
            for op in group {
                for change in diff.iter_changes(op) {
                    let sign = match change.tag() {
                        ChangeTag::Delete => '-',
                        ChangeTag::Insert => '+',
                        ChangeTag::Equal => ' ',
                    };
                    let _ = writeln!(body, "{sign} {}", change.value().trim_end_matches('\n'));
                    lines += 1;
                }
            }
        }
        let open = if lines <= 40 { " open" } else { "" };
        let fence = fence_for(&body);
        let _ = writeln!(
            out,
            "<details{open}><summary>Access matrix of the {} changed account(s): before → after</summary>\n\n{fence}diff",
            by_account(&plan.changes).len()
        );
        out.push_str(&body);
        let _ = writeln!(out, "{fence}\n</details>\n");

        let listed = listed(plan);
        let orphans: Vec<Change> = lone_orphans(plan).cloned().collect();
        changes_table(&mut out, "Changes with reasons", &listed);
        changes_table(
            &mut out,
            "Orphaned assignments of deleted principals, not counted against the delete budget",
            &orphans,
        );
    }
    let _ = writeln!(out, "<sub>fingerprint `{}`</sub>", plan.fingerprint);
    out
}

/// A folded Markdown table of `changes` under `title`, nothing when empty.
fn changes_table(out: &mut String, title: &str, changes: &[Change]) {
    if changes.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "<details><summary>{title} ({})</summary>\n\n| | account | permission set | principal | reason |\n|---|---|---|---|---|",
        changes.len()
    );
    for c in changes {
        let _ = writeln!(
            out,
            "| {} | {} ({}) | {} | {} | {} |",
            if c.action == Action::Create {
                "+"
            } else {
                "−"
            },
            md_text(&c.account_name),
            c.account_id,
            md_text(&c.permission_set_name),
            md_text(&c.principal_label()),
            reason_cell(c)
        );
    }
    let _ = writeln!(out, "\n</details>\n");
}

/// The reason of a change in a Markdown table, with the management-account
/// mark when it has one.
fn reason_cell(c: &Change) -> String {
    let reason = md_message(&c.reason, MdContext::TableCell);
    if c.needs_management_account {
        format!("{reason} **{MANAGEMENT_ONLY_MARK}** (not for a delegated administrator)")
    } else {
        reason
    }
}
