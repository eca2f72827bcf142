//! Drift issue bodies too large for GitHub, shortened without hiding what
//! `apply` would delete: the undeclared, expired and orphaned findings are
//! listed one by one, missing assignments (which `apply` creates) are
//! counted by permission set and OU when they do not fit, and the other
//! sections (information, or what only a person can fix) show the rows that
//! fit and say how many they leave out. When even the findings that lead to
//! deletes do not fit, the body says so at the top, counts all of them and
//! lists as many as fit; none is ever dropped silently.

use super::GITHUB_COMMENT_LIMIT;
use super::drift::{
    Effect, Section, markdown_rows, markdown_section, markdown_section_head, markdown_table,
};
use super::tally::{TallyLevel, count, diff_block, tally, thousands};
use crate::drift::Finding;

/// Room kept for the note at the top, whose counts are known last.
const NOTE_RESERVE: usize = 1_200;
/// Room kept in each section for the note of what it leaves out.
const CUT_NOTE: usize = 400;
const JSON_REPORT: &str = "`ssomatrix drift --format json` lists every finding";

/// Rows of `rows` that fit in `budget` bytes.
fn fitting(rows: &[String], budget: usize) -> &[String] {
    let mut used = 0;
    for (i, r) in rows.iter().enumerate() {
        used += r.len();
        if used > budget {
            return &rows[..i];
        }
    }
    rows
}

/// A section with the rows that fit in `room` and a note of the others;
/// with how many rows it leaves out.
fn cut(s: &Section<'_>, rows: &[String], room: usize) -> (String, usize) {
    let head = markdown_section_head(s);
    let shown = fitting(rows, room.saturating_sub(head.len() + CUT_NOTE));
    let left = rows.len() - shown.len();
    let note = if left == 0 {
        String::new()
    } else {
        format!(
            "… **{} not shown here**; {JSON_REPORT}.\n\n",
            count(left, "row is", "rows are")
        )
    };
    (head + &markdown_table(s, shown, &note), left)
}

/// Findings as tally lines: `- 1,234 assignments of AppDeveloper in Workloads/NonProd`.
fn counted(findings: &[Finding], sign: char, budget: usize) -> (TallyLevel, String) {
    let items = findings
        .iter()
        .map(|f| (f.permission_set_name.as_str(), f.account_ou_path.as_str()));
    let line = |n: usize, what: &str| {
        format!("{sign} {} of {what}", count(n, "assignment", "assignments"))
    };
    let (level, lines) = tally(items, line, budget);
    (level, diff_block(&lines))
}

/// A section of findings `apply` would delete that does not fit in `room`:
/// all counted, as many listed as fit; with how many are not listed.
fn deletes_cut(
    s: &Section<'_>,
    findings: &[Finding],
    rows: &[String],
    room: usize,
) -> (String, usize) {
    let (level, block) = counted(findings, '-', room / 2);
    let intro = format!(
        "**Not every one is listed.** All {}, counted {}:\n\n{block}\n",
        thousands(findings.len()),
        level.by()
    );
    let (body, left) = cut(s, rows, room.saturating_sub(intro.len()));
    let head = markdown_section_head(s);
    (format!("{head}{intro}{}", &body[head.len()..]), left)
}

/// The missing assignments, counted, when they cannot all be listed.
fn creates_counted(s: &Section<'_>, findings: &[Finding], room: usize) -> (String, TallyLevel) {
    let head = markdown_section_head(s);
    let (level, block) = counted(findings, '+', room.saturating_sub(head.len() + 200));
    let body = format!("{head}Counted {} ({JSON_REPORT}):\n\n{block}\n", level.by());
    (body, level)
}

/// The issue body when the full one is over GitHub's limit.
pub(super) fn markdown(sections: &[Section<'_>], head: &str, tail: &str) -> String {
    let shown: Vec<&Section<'_>> = sections.iter().filter(|s| !s.rows.is_empty()).collect();
    let rows: Vec<Vec<String>> = shown.iter().map(|s| markdown_rows(s)).collect();
    let full: Vec<String> = shown
        .iter()
        .zip(&rows)
        .map(|(s, r)| markdown_section(s, r))
        .collect();
    // Each section keeps at least its heading and a note.
    let least: Vec<usize> = shown
        .iter()
        .map(|s| markdown_section_head(s).len() + CUT_NOTE)
        .collect();
    let is_delete = |i: usize| matches!(shown[i].effect, Effect::Deletes(_));
    let mut room = GITHUB_COMMENT_LIMIT.saturating_sub(head.len() + tail.len() + NOTE_RESERVE);
    let mut bodies: Vec<String> = vec![String::new(); shown.len()];

    let deletes: Vec<usize> = (0..shown.len()).filter(|&i| is_delete(i)).collect();
    let others_least: usize = (0..shown.len())
        .filter(|&i| !is_delete(i))
        .map(|i| least[i])
        .sum();
    let all_deletes: usize = deletes.iter().map(|&i| full[i].len()).sum();
    let mut not_listed = 0;
    if all_deletes + others_least <= room {
        for &i in &deletes {
            bodies[i] = full[i].clone();
        }
        room -= all_deletes;
    } else {
        let mut avail = room.saturating_sub(others_least);
        for (k, &i) in deletes.iter().enumerate() {
            let Effect::Deletes(findings) = shown[i].effect else {
                continue;
            };
            // An equal share of what is left for this and the later ones.
            let share = avail / (deletes.len() - k);
            let (body, left) = deletes_cut(shown[i], findings, &rows[i], share);
            not_listed += left;
            avail = avail.saturating_sub(body.len());
            room = room.saturating_sub(body.len());
            bodies[i] = body;
        }
    }

    let mut others_left = others_least;
    let mut counted_level = None;
    let mut cut_rows = 0;
    for i in (0..shown.len()).filter(|&i| !is_delete(i)) {
        others_left -= least[i];
        let budget = room.saturating_sub(others_left);
        bodies[i] = if full[i].len() <= budget {
            full[i].clone()
        } else if let Effect::Creates(findings) = shown[i].effect {
            let (body, level) = creates_counted(shown[i], findings, budget);
            counted_level = Some(level);
            body
        } else {
            let (body, left) = cut(shown[i], &rows[i], budget);
            cut_rows += left;
            body
        };
        room = room.saturating_sub(bodies[i].len());
    }

    let note = if not_listed > 0 {
        format!(
            "> [!CAUTION]\n> **Not every finding that `apply` would delete is listed.** {} counted \
             below but not listed one by one; {JSON_REPORT}.\n\n",
            count(not_listed, "is", "are")
        )
    } else {
        let mut said = vec!["every finding that `apply` would delete is listed".to_owned()];
        if let Some(level) = counted_level {
            said.push(format!("missing assignments are counted {}", level.by()));
        }
        if cut_rows > 0 {
            said.push(format!(
                "{} of the other sections are not shown",
                count(cut_rows, "row", "rows")
            ));
        }
        format!(
            "> [!NOTE]\n> **Shortened to fit an issue:** {}; {JSON_REPORT}.\n\n",
            said.join(", ")
        )
    };
    let mut out = head.to_owned();
    out.push_str(&note);
    for b in bodies {
        out.push_str(&b);
    }
    out.push_str(tail);
    out
}
