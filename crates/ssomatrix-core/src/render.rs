//! Plans and drift reports rendered for people and machines: text for a
//! terminal, Markdown for GitHub (a pull-request comment, an issue body),
//! JSON for tools. Plan rendering is re-exported here (`render::text`, …);
//! drift reports are in [`drift`].
//!
//! Rendering is pure (strings in, strings out) so that fixture tests can
//! snapshot it; the CLI decides where output goes and whether to colour it.
//! What both renderers share is here once: the text style and its ANSI
//! painting, GitHub's length limit, the JSON document, and the counting of
//! bodies too long for GitHub (`tally`).

use serde::Serialize;

pub mod drift;
mod drift_shorten;
mod people;
mod plan;
mod plan_shorten;
mod tally;

pub use plan::{MANAGEMENT_ONLY_MARK, MARKDOWN_MARKER, json, markdown, text};

/// GitHub's limit on the body of a comment, in characters.
pub const GITHUB_COMMENT_LIMIT: usize = 65_536;
/// How text for a terminal looks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TextStyle {
    /// ANSI colours (only on a terminal, never with `NO_COLOR`).
    pub color: bool,
}

impl TextStyle {
    pub(crate) fn paint(self, code: &str, s: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_owned()
        }
    }
}

/// What a partial plan or drift report (`--account`) covers: `only account
/// 111111111111 app (Workloads/Prod); no other account was read, and none is
/// changed`. Names come from outside: callers escape the sentence.
fn partial_sentence(accounts: &[crate::plan::PlannedAccount], what: &str) -> String {
    let list = accounts
        .iter()
        .map(|a| format!("{} {} ({})", a.id, a.name, a.ou_path))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "only account{} {list}; no other account was {what}",
        if accounts.len() == 1 { "" } else { "s" }
    )
}

/// `value` as pretty JSON with a final newline: plans and reports are plain
/// data, so serialising them cannot fail.
fn json_document(value: &impl Serialize) -> String {
    serde_json::to_string_pretty(value).unwrap_or_default() + "\n"
}

/// Pushes the Markdown list items `items` (`n` in all) onto `out` while
/// they fit in `budget` bytes with the item that counts the rest, and then
/// that item when some were left out.
fn list_within(out: &mut String, items: impl Iterator<Item = String>, n: usize, budget: usize) {
    let more = |shown: usize| format!("- … and {} more (see the JSON plan)\n", n - shown);
    let mut shown = 0;
    for item in items {
        if out.len() + item.len() + more(shown + 1).len() + 1 > budget {
            break;
        }
        out.push_str(&item);
        shown += 1;
    }
    if shown < n {
        out.push_str(&more(shown));
    }
}
