//! The people a plan gives or takes access, as a few lines of text after
//! the plan's summary and a short Markdown section under its counts:
//! "2 people gain ReadOnlyAuditor in 6 accounts (6 in Workloads/Prod)".
//! The JSON plan carries every name; Markdown lists a few per line.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::{TextStyle, list_within};
use crate::escape::{md_text, visible};
use crate::plan::People;
use crate::plan::people::{AccountPeople, Reach};

/// Names listed per line in Markdown; the others are counted.
const NAMES_SHOWN: usize = 10;
/// At most this many bytes of a plan comment go to its people section, so
/// that it never crowds out the changes.
const MARKDOWN_BUDGET: usize = 4_000;
/// OUs named in a sentence; the other accounts are counted together.
const OUS_SHOWN: usize = 3;

#[derive(Clone, Copy)]
enum Way {
    Gain,
    Lose,
}

/// `2 people gain`, `1 person loses`.
fn subject(n: usize, way: Way) -> String {
    let (one, many) = match way {
        Way::Gain => ("gains", "gain"),
        Way::Lose => ("loses", "lose"),
    };
    if n == 1 {
        format!("1 person {one}")
    } else {
        format!("{n} people {many}")
    }
}

/// `in web-prod (Workloads/Prod)`, or `in 6 accounts (4 in Workloads/Prod,
/// 2 in Root)`: where, by OU. Names are as read; callers escape.
fn where_(accounts: &[AccountPeople]) -> String {
    if let [one] = accounts {
        return format!("in {} ({})", one.name, one.ou_path);
    }
    let mut by_ou: BTreeMap<&str, usize> = BTreeMap::new();
    for a in accounts {
        *by_ou.entry(&a.ou_path).or_default() += 1;
    }
    let mut ous: Vec<(&str, usize)> = by_ou.into_iter().collect();
    ous.sort_by(|x, y| y.1.cmp(&x.1).then(x.0.cmp(y.0)));
    let mut parts: Vec<String> = ous
        .iter()
        .take(OUS_SHOWN)
        .map(|(ou, n)| format!("{n} in {ou}"))
        .collect();
    let rest: usize = ous.iter().skip(OUS_SHOWN).map(|(_, n)| n).sum();
    if rest > 0 {
        parts.push(format!("{rest} elsewhere"));
    }
    format!("in {} accounts ({})", accounts.len(), parts.join(", "))
}

/// The gains, permission set by permission set, then the losses: the way,
/// the permission set's name and how far it reaches.
fn moves(people: &People) -> impl Iterator<Item = (Way, &str, &Reach)> {
    let of = |way: Way| {
        people.permission_sets.iter().filter_map(move |s| {
            let reach = match way {
                Way::Gain => s.gain.as_ref(),
                Way::Lose => s.lose.as_ref(),
            };
            reach.map(|r| (way, s.permission_set.as_str(), r))
        })
    };
    of(Way::Gain).chain(of(Way::Lose))
}

/// `3 gaining, 4 losing`, or that nobody's access changes.
fn totals(people: &People) -> String {
    if people.gain == 0 && people.lose == 0 {
        return "nobody gains or loses access".to_owned();
    }
    format!("{} gaining, {} losing", people.gain, people.lose)
}

/// A few lines for a terminal, names with their control characters escaped.
pub fn text(people: &People, style: TextStyle) -> String {
    let mut out = format!(
        "People (net, per account and permission set): {}.\n",
        totals(people)
    );
    for (way, set, reach) in moves(people) {
        let (sign, code) = match way {
            Way::Gain => ("+", "32"),
            Way::Lose => ("-", "31"),
        };
        let line = format!(
            "{sign} {} {} {}",
            subject(reach.people, way),
            visible(set),
            visible(&where_(&reach.accounts))
        );
        let _ = writeln!(out, "  {}", style.paint(code, &line));
    }
    for g in &people.unknown_groups {
        let line = format!(
            "? the people of group {} are unknown and not counted: {}",
            visible(g.label()),
            visible(&g.reason)
        );
        let _ = writeln!(out, "  {}", style.paint("33", &line));
    }
    out
}

/// `alice, bob and 3 more`, escaped for Markdown.
fn names(users: &[String]) -> String {
    let shown: Vec<String> = users.iter().take(NAMES_SHOWN).map(|u| md_text(u)).collect();
    let more = users.len().saturating_sub(NAMES_SHOWN);
    if more > 0 {
        format!("{} and {more} more", shown.join(", "))
    } else {
        shown.join(", ")
    }
}

/// The Markdown section under the plan's counts: one item per gain or loss
/// with a few names, at most [`MARKDOWN_BUDGET`] bytes; the rest counted.
pub fn markdown(people: &People) -> String {
    let mut out = format!(
        "**People** (group members and users, net per account and permission set): {}.\n\n",
        totals(people)
    );
    let mut items: Vec<String> = moves(people)
        .map(|(way, set, reach)| {
            let sign = match way {
                Way::Gain => "+",
                Way::Lose => "−",
            };
            format!(
                "- {sign} **{}** {} {}: {}\n",
                subject(reach.people, way),
                md_text(set),
                md_text(&where_(&reach.accounts)),
                names(&reach.users)
            )
        })
        .collect();
    items.extend(people.unknown_groups.iter().map(|g| {
        format!(
            "- the people of group {} are unknown and not counted: {}\n",
            md_text(g.label()),
            md_text(&g.reason)
        )
    }));
    let n = items.len();
    list_within(&mut out, items.into_iter(), n, MARKDOWN_BUDGET);
    out.push('\n');
    out
}
