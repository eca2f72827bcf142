//! Plans rendered for people and machines: Terraform-like text for a
//! terminal, Markdown for a pull-request comment, JSON for tools.
//!
//! Rendering is pure (strings in, strings out) so that fixture tests can
//! snapshot it; the CLI decides where output goes and whether to colour it.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

use similar::{ChangeTag, TextDiff};

use crate::ids::AccountId;
use crate::live::LiveState;
use crate::plan::{Action, Change, Plan};

/// GitHub's limit on the body of a comment, in characters.
pub const GITHUB_COMMENT_LIMIT: usize = 65_536;
/// The hidden marker that lets a workflow find and update its own comment.
pub const MARKDOWN_MARKER: &str = "<!-- ssomatrix-plan -->";

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TextStyle {
    /// ANSI colours (only on a terminal, never with `NO_COLOR`).
    pub color: bool,
}

impl TextStyle {
    fn paint(self, code: &str, s: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_owned()
        }
    }
}

fn summary_line(plan: &Plan) -> String {
    let s = plan.summary;
    format!(
        "{} to create, {} to delete, {} unchanged",
        s.create, s.delete, s.unchanged
    )
}

/// Terraform-like text: changes grouped by account, then warnings.
pub fn text(plan: &Plan, style: TextStyle) -> String {
    let mut out = String::new();
    if plan.is_empty() {
        let _ = writeln!(
            out,
            "No changes: the live assignments match the file ({} unchanged).",
            plan.summary.unchanged
        );
    } else {
        let _ = writeln!(out, "Plan: {}.", summary_line(plan));
        for (account, changes) in by_account(&plan.changes) {
            let first = changes[0];
            let _ = writeln!(
                out,
                "\n  account {account} {} ({})",
                style.paint("1", &first.account_name),
                first.account_ou_path
            );
            let width = changes
                .iter()
                .map(|c| c.permission_set_name.len())
                .max()
                .unwrap_or(0);
            let pwidth = changes
                .iter()
                .map(|c| c.principal_label().len())
                .max()
                .unwrap_or(0);
            for c in changes {
                let (sign, code) = match c.action {
                    Action::Create => ("+", "32"),
                    Action::Delete => ("-", "31"),
                };
                let body = format!(
                    "{sign} {:<width$}  {:<pwidth$}",
                    c.permission_set_name,
                    c.principal_label(),
                );
                let _ = writeln!(
                    out,
                    "    {}  {}",
                    style.paint(code, &body),
                    style.paint("2", &c.reason)
                );
            }
        }
    }
    if !plan.warnings.is_empty() {
        let _ = writeln!(out, "\nWarnings:");
        for w in &plan.warnings {
            let _ = writeln!(out, "  {} {}", style.paint("33", "!"), w.message);
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
    // A plan is plain data; serialising it cannot fail.
    serde_json::to_string_pretty(plan).unwrap_or_default() + "\n"
}

/// Lines of the access matrix (`account  permission set  principal`) of the
/// accounts the plan touches, before and after the plan.
fn matrix(plan: &Plan, live: &LiveState) -> (String, String) {
    let touched: BTreeSet<&AccountId> = plan.changes.iter().map(|c| &c.account_id).collect();
    let line = |account: &AccountId, ps: &str, principal: &str| {
        let name = live
            .org
            .account(account)
            .map(|a| a.name.as_str())
            .unwrap_or("");
        format!("{name} ({account})  {ps}  {principal}")
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

/// Appends `lines` to `out` while the total stays within `budget` bytes;
/// returns how many lines did not fit.
pub(crate) fn push_within(out: &mut String, lines: &[String], budget: usize) -> usize {
    for (i, l) in lines.iter().enumerate() {
        if out.len() + l.len() + 1 > budget {
            return lines.len() - i;
        }
        out.push_str(l);
        out.push('\n');
    }
    0
}

/// Markdown for a pull-request comment: the hidden marker, summary counts,
/// warnings, a ```diff of the access matrix before → after, and the changes
/// with their reasons folded in `<details>`; never over GitHub's limit.
pub fn markdown(plan: &Plan, live: &LiveState) -> String {
    const WARNINGS_SHOWN: usize = 50;
    const TAIL_RESERVE: usize = 600;
    let limit = GITHUB_COMMENT_LIMIT - TAIL_RESERVE;
    let mut out = String::new();
    let _ = writeln!(out, "{MARKDOWN_MARKER}\n### ssomatrix plan\n");
    let s = plan.summary;
    let _ = writeln!(
        out,
        "| to create | to delete | unchanged |\n|---:|---:|---:|\n| {} | {} | {} |\n",
        s.create, s.delete, s.unchanged
    );
    if plan.is_empty() {
        let _ = writeln!(out, "No changes: the live assignments match the file.\n");
    }
    if !plan.warnings.is_empty() {
        let _ = writeln!(out, "**Warnings ({})**\n", plan.warnings.len());
        for w in plan.warnings.iter().take(WARNINGS_SHOWN) {
            let _ = writeln!(out, "- {}", escape(&w.message));
        }
        if plan.warnings.len() > WARNINGS_SHOWN {
            let _ = writeln!(
                out,
                "- … and {} more (see the JSON plan)",
                plan.warnings.len() - WARNINGS_SHOWN
            );
        }
        out.push('\n');
    }
    let mut cut = 0;
    if !plan.is_empty() {
        let (before, after) = matrix(plan, live);
        let diff = TextDiff::from_lines(&before, &after);
        let mut lines = Vec::new();
        for (i, group) in diff.grouped_ops(2).iter().enumerate() {
            if i > 0 {
                lines.push("@@ … @@".to_owned());
            }
            for op in group {
                for change in diff.iter_changes(op) {
                    let sign = match change.tag() {
                        ChangeTag::Delete => '-',
                        ChangeTag::Insert => '+',
                        ChangeTag::Equal => ' ',
                    };
                    lines.push(format!("{sign} {}", change.value().trim_end_matches('\n')));
                }
            }
        }
        let open = if lines.len() <= 40 { " open" } else { "" };
        let _ = writeln!(
            out,
            "<details{open}><summary>Access matrix of the {} changed account(s): before → after</summary>\n\n```diff",
            by_account(&plan.changes).len()
        );
        let diff_budget = out.len() + (limit - out.len()) * 3 / 5;
        cut += push_within(&mut out, &lines, diff_budget);
        let _ = writeln!(out, "```\n</details>\n");

        let rows: Vec<String> = plan
            .changes
            .iter()
            .map(|c| {
                format!(
                    "| {} | {} ({}) | {} | {} | {} |",
                    if c.action == Action::Create {
                        "+"
                    } else {
                        "−"
                    },
                    escape(&c.account_name),
                    c.account_id,
                    escape(&c.permission_set_name),
                    escape(&c.principal_label()),
                    escape(&c.reason)
                )
            })
            .collect();
        let _ = writeln!(
            out,
            "<details><summary>Changes with reasons ({})</summary>\n\n| | account | permission set | principal | reason |\n|---|---|---|---|---|",
            rows.len()
        );
        cut += push_within(&mut out, &rows, limit);
        let _ = writeln!(out, "\n</details>\n");
    }
    if cut > 0 {
        let _ = writeln!(
            out,
            "> **Truncated:** {cut} line(s) did not fit in a comment; the JSON plan (`plan --format json`) has every change.\n"
        );
    }
    let _ = writeln!(out, "<sub>fingerprint `{}`</sub>", plan.fingerprint);
    out
}

/// Escapes what would break a Markdown table cell or start HTML.
pub(crate) fn escape(s: &str) -> String {
    s.replace('|', "\\|")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}
