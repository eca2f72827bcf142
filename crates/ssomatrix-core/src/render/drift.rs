//! Drift reports rendered: text for a terminal, Markdown for a GitHub issue
//! body, JSON for tools.

use std::fmt::Write;

use super::{GITHUB_COMMENT_LIMIT, TextStyle, drift_shorten, json_document, partial_sentence};
use crate::drift::{DriftReport, Finding};
use crate::escape::{MdContext, md_message, md_text, visible};
use crate::expand::{days_in_words, owner_suffix};

/// The hidden marker that lets a workflow find and update its drift issue.
pub const DRIFT_MARKER: &str = "<!-- ssomatrix-drift -->";

/// What `apply` does about a section's findings, which decides what an
/// issue body too long for GitHub may count instead of listing.
#[derive(Debug, Clone, Copy)]
pub(super) enum Effect<'a> {
    /// `apply` deletes them: never left out.
    Deletes(&'a [Finding]),
    /// `apply` creates them: counted by permission set and OU if need be.
    Creates(&'a [Finding]),
    Other,
}

/// One section as the text and Markdown renderers show it.
pub(super) struct Section<'a> {
    pub(super) title: &'static str,
    /// One sentence: what the rows are and what to do about them.
    pub(super) blurb: &'static str,
    pub(super) needs_action: bool,
    pub(super) headers: &'static [&'static str],
    pub(super) rows: Vec<Vec<String>>,
    /// The column that holds a message of ours, which may quote names in
    /// backticks (code spans in Markdown); the other cells are plain data.
    pub(super) message_column: Option<usize>,
    pub(super) effect: Effect<'a>,
}

fn finding_rows(findings: &[Finding]) -> Vec<Vec<String>> {
    findings
        .iter()
        .map(|f| {
            vec![
                format!("{} ({})", f.account_name, f.account_id),
                f.permission_set_name.clone(),
                f.principal_label(),
                f.detail.clone(),
            ]
        })
        .collect()
}

const FINDING_HEADERS: &[&str] = &["account", "permission set", "principal", "detail"];

/// A section of findings (account, permission set, principal, detail).
fn findings<'a>(
    title: &'static str,
    blurb: &'static str,
    rows: &'a [Finding],
    effect: Effect<'a>,
) -> Section<'a> {
    Section {
        title,
        blurb,
        needs_action: true,
        headers: FINDING_HEADERS,
        rows: finding_rows(rows),
        message_column: Some(3),
        effect,
    }
}

/// Every section, in the order the report shows them.
fn sections(r: &DriftReport) -> Vec<Section<'_>> {
    vec![
        findings(
            "Undeclared live assignments (click-ops)",
            "Live assignments of permission sets the file owns that no rule declares. `apply` deletes them; declare them in the file to keep them.",
            &r.undeclared,
            Effect::Deletes(&r.undeclared),
        ),
        findings(
            "Declared assignments missing live",
            "The file declares them, but they are not in the instance. `apply` creates them.",
            &r.missing,
            Effect::Creates(&r.missing),
        ),
        findings(
            "Expired exceptions still live",
            "User exceptions past their `expires` date whose assignments still exist. `apply` deletes them; extend `expires` to keep them.",
            &r.expired,
            Effect::Deletes(&r.expired),
        ),
        expiring(r),
        findings(
            "Assignments of principals that no longer exist",
            "The group or user was deleted from the identity store; the assignment is useless. `apply` deletes them.",
            &r.deleted_principals,
            Effect::Deletes(&r.deleted_principals),
        ),
        out_of_sync(r),
        findings(
            "Assignments in accounts that are not ACTIVE",
            "Suspended or pending accounts keep their assignments; ssomatrix never writes there. Remove them by hand or close the accounts.",
            &r.inactive_accounts,
            Effect::Other,
        ),
        unresolved(r),
    ]
}

fn expiring(r: &DriftReport) -> Section<'_> {
    Section {
        title: "Exceptions expiring soon",
        blurb: "For information: their assignments are deleted from the day after `expires`.",
        needs_action: false,
        headers: &["rule", "principals", "expires", "live assignments"],
        rows: r
            .expiring
            .iter()
            .map(|e| {
                vec![
                    e.rule_label.clone(),
                    e.principals.join(", "),
                    format!(
                        "{} ({}{})",
                        e.expires,
                        days_in_words(e.days_left),
                        owner_suffix(e.owner.as_deref())
                    ),
                    e.live_assignments.to_string(),
                ]
            })
            .collect(),
        message_column: None,
        effect: Effect::Other,
    }
}

fn out_of_sync(r: &DriftReport) -> Section<'_> {
    Section {
        title: "Permission sets OUT_OF_SYNC",
        blurb: "The permission set was changed but its latest version is not provisioned to these accounts. `apply` or `reprovision` provisions it.",
        needs_action: true,
        headers: &["permission set", "account"],
        rows: r
            .out_of_sync
            .iter()
            .map(|o| {
                vec![
                    o.permission_set_name.clone(),
                    format!("{} ({})", o.account_name, o.account_id),
                ]
            })
            .collect(),
        message_column: None,
        effect: Effect::Other,
    }
}

fn unresolved(r: &DriftReport) -> Section<'_> {
    Section {
        title: "References in the file that no longer resolve",
        blurb: "An OU, account, group, user or permission set the file names is gone or renamed. `plan` and `apply` refuse to run until the file is fixed.",
        needs_action: true,
        headers: &["where", "problem", "live assignments not judged"],
        rows: r
            .unresolved
            .iter()
            .map(|u| {
                let at = match (u.rule, u.line) {
                    (Some(n), Some(l)) => format!("rule #{n}, line {l}"),
                    (Some(n), None) => format!("rule #{n}"),
                    (None, Some(l)) => format!("line {l}"),
                    (None, None) => "scope".to_owned(),
                };
                vec![
                    at,
                    u.message.clone(),
                    u.unjudged_live_assignments.to_string(),
                ]
            })
            .collect(),
        message_column: Some(1),
        effect: Effect::Other,
    }
}

fn outside_scope_line(r: &DriftReport) -> String {
    let o = &r.outside_scope;
    let mut s = format!(
        "{} live assignment(s) of permission sets outside the file's scope (not judged)",
        o.assignments
    );
    if !o.by_permission_set.is_empty() {
        let list = o
            .by_permission_set
            .iter()
            .map(|(n, c)| format!("{n} {c}"))
            .collect::<Vec<_>>()
            .join(", ");
        let _ = write!(s, ": {list}");
    }
    if !o.complete {
        s.push_str("; only the permission sets the file names were read");
    }
    s
}

fn headline(r: &DriftReport) -> String {
    let n = r.summary.undeclared
        + r.summary.missing
        + r.summary.expired
        + r.summary.deleted_principals
        + r.summary.out_of_sync
        + r.summary.inactive_accounts
        + r.summary.unresolved;
    if n == 0 {
        "No drift: the live assignments match the file.".to_owned()
    } else {
        format!("{n} finding(s) need action.")
    }
}

/// The report for a terminal: a headline, then each non-empty section.
/// Names are shown with their control characters escaped
/// (`escape::visible`), so that nothing a name holds can move the cursor,
/// recolour or add a line.
pub fn text(r: &DriftReport, style: TextStyle) -> String {
    let paint = |code: &str, s: &str| style.paint(code, s);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Drift report for {} as of {}: {}",
        r.instance_arn,
        r.today,
        headline(r)
    );
    if let Some(strategy) = r.read_strategy {
        let _ = writeln!(out, "Assignments {}.", strategy.describe());
    }
    if let Some(accounts) = &r.partial {
        let line = format!(
            "Partial report (--account): {}.",
            partial_sentence(accounts, "read")
        );
        let _ = writeln!(out, "{}", paint("33", &visible(&line)));
    }
    for s in sections(r) {
        if s.rows.is_empty() {
            continue;
        }
        let mark = if s.needs_action {
            paint("31", "!")
        } else {
            paint("33", "i")
        };
        let _ = writeln!(out, "\n{mark} {} ({})", paint("1", s.title), s.rows.len());
        let rows: Vec<Vec<String>> = s
            .rows
            .iter()
            .map(|row| row.iter().map(|c| visible(c).into_owned()).collect())
            .collect();
        let widths: Vec<usize> = (0..s.headers.len())
            .map(|i| {
                rows.iter()
                    .map(|row| row[i].chars().count())
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        for row in &rows {
            let last = row.len() - 1;
            let mut line = String::from("   ");
            for (i, cell) in row.iter().enumerate() {
                if i == last {
                    let _ = write!(line, "  {}", paint("2", cell));
                } else {
                    let _ = write!(line, "  {cell:<w$}", w = widths[i]);
                }
            }
            let _ = writeln!(out, "{}", line.trim_end());
        }
    }
    let _ = writeln!(out, "\n{}.", visible(&outside_scope_line(r)));
    out
}

/// The JSON document of `drift --format json`.
pub fn json(r: &DriftReport) -> String {
    json_document(r)
}

/// Markdown for a GitHub issue body: the hidden marker, a summary table,
/// then one section per kind of finding (long ones folded in `<details>`).
/// Names are escaped so that they are shown as written and never read as
/// markup (`crate::escape`). A report too large for GitHub's 65,536
/// characters is shortened instead (`shorten`): the findings `apply` would
/// delete are all listed, missing assignments are counted by permission set
/// and OU if need be, and only information is cut, with a note.
pub fn markdown(r: &DriftReport) -> String {
    let sections = sections(r);
    let head = markdown_head(r, &sections);
    let tail = markdown_tail(r);
    let mut out = head.clone();
    for s in &sections {
        if !s.rows.is_empty() {
            out.push_str(&markdown_section(s, &markdown_rows(s)));
        }
    }
    out.push_str(&tail);
    if out.len() <= GITHUB_COMMENT_LIMIT {
        out
    } else {
        drift_shorten::markdown(&sections, &head, &tail)
    }
}

/// The hidden marker, the headline and the table of sections.
fn markdown_head(r: &DriftReport, sections: &[Section<'_>]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{DRIFT_MARKER}\n### ssomatrix drift report\n");
    let _ = writeln!(
        out,
        "Instance `{}`, as of {}. **{}**\n",
        r.instance_arn,
        r.today,
        headline(r)
    );
    if let Some(accounts) = &r.partial {
        let line = partial_sentence(accounts, "read");
        let _ = writeln!(
            out,
            "**Partial report** (`--account`): {}.\n",
            md_message(&line, MdContext::Line)
        );
    }
    let _ = writeln!(out, "| section | count | |\n|---|---:|---|");
    for s in sections {
        let status = match (s.rows.is_empty(), s.needs_action) {
            (true, _) => "✅",
            (false, true) => "⚠️ needs action",
            (false, false) => "ℹ️ information",
        };
        let _ = writeln!(out, "| {} | {} | {status} |", s.title, s.rows.len());
    }
    let _ = writeln!(
        out,
        "| Outside the file's scope (not judged) | {} | ℹ️ information |\n",
        r.outside_scope.assignments
    );
    out
}

/// The counts outside the scope and the footer.
fn markdown_tail(r: &DriftReport) -> String {
    // Text of ssomatrix's own, not from outside: no escaping needed.
    let read = r
        .read_strategy
        .map(|s| format!(" Assignments {}.", s.describe()))
        .unwrap_or_default();
    format!(
        "{}.\n\n<sub>`ssomatrix drift` as of {}; exceptions expiring within {} days are listed.{read}</sub>\n",
        md_text(&outside_scope_line(r)),
        r.today,
        r.warn_expiring_days
    )
}

/// A section's rows as Markdown table rows, every cell escaped.
pub(super) fn markdown_rows(s: &Section<'_>) -> Vec<String> {
    s.rows
        .iter()
        .map(|row| {
            let cells: Vec<String> = row
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    if s.message_column == Some(i) {
                        md_message(c, MdContext::TableCell)
                    } else {
                        md_text(c)
                    }
                })
                .collect();
            format!("| {} |\n", cells.join(" | "))
        })
        .collect()
}

/// The heading and blurb of a section.
pub(super) fn markdown_section_head(s: &Section<'_>) -> String {
    format!("#### {} ({})\n\n{}\n\n", s.title, s.rows.len(), s.blurb)
}

/// A section with the table `rows` (long ones folded), then `after` (a note
/// of what was left out, or nothing).
pub(super) fn markdown_table(s: &Section<'_>, rows: &[String], after: &str) -> String {
    const FOLD_OVER: usize = 20;
    let mut out = String::new();
    let fold = rows.len() > FOLD_OVER;
    if fold {
        let _ = writeln!(out, "<details><summary>{} rows</summary>\n", rows.len());
    }
    let _ = writeln!(
        out,
        "| {} |\n|{}",
        s.headers.join(" | "),
        "---|".repeat(s.headers.len())
    );
    for row in rows {
        out.push_str(row);
    }
    if fold {
        out.push_str("\n</details>\n");
    }
    out.push('\n');
    out.push_str(after);
    out
}

/// A whole section, every row listed.
pub(super) fn markdown_section(s: &Section<'_>, rows: &[String]) -> String {
    markdown_section_head(s) + &markdown_table(s, rows, "")
}
