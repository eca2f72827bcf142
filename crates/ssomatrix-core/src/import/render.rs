//! The imported file as text: a header, the scope, then one rule after
//! another ordered by their first OU and permission set.

use std::fmt::Write as _;

use super::{ImportOptions, ImportReport, ImportRule};
use crate::ids::{AccountId, PrincipalType};
use crate::live::LiveState;
use crate::org::NodeId;

pub(super) fn render(
    live: &LiveState,
    options: &ImportOptions,
    rules: &[ImportRule],
    report: &ImportReport,
) -> String {
    let mut out = String::new();
    let users = rules
        .iter()
        .filter(|r| r.kind == PrincipalType::User)
        .count();
    let _ = writeln!(
        out,
        "# Imported by `ssomatrix import` from {} on {}.\n\
         # {} rules ({} user exceptions) reproduce {} of {} live assignments.",
        one_line(&options.source),
        options.today,
        rules.len(),
        users,
        report.assignments_covered,
        report.live_assignments,
    );
    let _ = writeln!(
        out,
        "# Not written: {} assignments of deleted principals (the first plan deletes them),\n\
         # {} in accounts that are not ACTIVE (left alone), {} of excluded permission sets.",
        report.deleted_principal_assignments,
        report.inactive_account_assignments,
        report.excluded_assignments,
    );
    let _ = writeln!(
        out,
        "version: 1\ninstance_arn: {}\nidentity_store_id: {}\n\n\
         scope:",
        live.instance_arn, live.identity_store_id
    );
    // `all` with no rule is refused (it would delete everything), and with
    // no rule there is nothing to own.
    if rules.is_empty() {
        out.push_str("  permission_sets: declared\n");
    } else {
        out.push_str("  # Every permission set of the instance but the excluded ones.\n  permission_sets: all\n");
    }
    if !options.exclude.is_empty() {
        let _ = writeln!(out, "  exclude: {}", list(&options.exclude));
    }
    if rules.is_empty() {
        out.push_str("\nassignments: []\n");
        return out;
    }
    out.push_str("\nassignments:\n");
    let mut ordered: Vec<(String, &ImportRule)> =
        rules.iter().map(|r| (sort_key(live, r), r)).collect();
    ordered.sort_by(|a, b| a.0.cmp(&b.0));
    for (_, rule) in ordered {
        write_rule(&mut out, live, options, rule);
    }
    out
}

/// By first OU (`_root_` first, accounts-only rules last), then permission
/// sets, then groups before users, then principals.
fn sort_key(live: &LiveState, rule: &ImportRule) -> String {
    let place = match rule.cover.nodes.first() {
        Some(NodeId::Root(_)) => "0".to_owned(),
        Some(node) => format!("1{}", live.org.path_of(node)),
        None => "2".to_owned(),
    };
    format!(
        "{place}\u{0}{}\u{0}{}\u{0}{}",
        rule.permission_sets.join("\u{1}"),
        u8::from(rule.kind == PrincipalType::User),
        rule.principals.join("\u{1}")
    )
}

fn write_rule(out: &mut String, live: &LiveState, options: &ImportOptions, rule: &ImportRule) {
    let plural = if rule.wanted == 1 { "" } else { "s" };
    let _ = writeln!(out, "  # covers {} account{plural}", rule.wanted);
    let (one, many) = match rule.kind {
        PrincipalType::Group => ("group", "groups"),
        PrincipalType::User => ("user", "users"),
    };
    field(out, "-", one, many, &rule.principals);
    field(
        out,
        " ",
        "permission_set",
        "permission_sets",
        &rule.permission_sets,
    );
    let ous: Vec<String> = rule.cover.nodes.iter().map(|n| ou_ref(live, n)).collect();
    if !ous.is_empty() {
        let _ = writeln!(out, "    ous: {}", list_raw(&ous));
    }
    accounts(out, live, "accounts", &rule.cover.accounts);
    accounts(out, live, "exclude_accounts", &rule.cover.exclude);
    if rule.kind == PrincipalType::User {
        let _ = writeln!(out, "    owner: {}", scalar(&options.owner));
        let _ = writeln!(out, "    expires: {}", options.expires);
    }
}

fn field(out: &mut String, lead: &str, one: &str, many: &str, values: &[String]) {
    match values {
        [single] => {
            let _ = writeln!(out, "  {lead} {one}: {}", scalar(single));
        }
        _ => {
            let _ = writeln!(out, "  {lead} {many}: {}", list(values));
        }
    }
}

fn accounts(out: &mut String, live: &LiveState, key: &str, ids: &[AccountId]) {
    if ids.is_empty() {
        return;
    }
    let refs: Vec<String> = ids.iter().map(|id| account_ref(live, id)).collect();
    let _ = writeln!(out, "    {key}: {}", list_raw(&refs));
}

/// `_root_`, the OU's path, or its id when the path names several OUs.
fn ou_ref(live: &LiveState, node: &NodeId) -> String {
    match node {
        NodeId::Root(_) => "_root_".to_owned(),
        NodeId::Ou(id) => {
            let path = live.org.path_of(node);
            if live.org.ous_at_path(&path).len() == 1 {
                scalar(&path)
            } else {
                id.to_string()
            }
        }
    }
}

/// The account's name when it names only it, else its quoted id.
fn account_ref(live: &LiveState, id: &AccountId) -> String {
    let unique = live.org.account(id).and_then(|a| {
        let digits = a.name.len() == 12 && a.name.bytes().all(|b| b.is_ascii_digit());
        (!digits && live.org.accounts_named(&a.name).count() == 1).then_some(&a.name)
    });
    match unique {
        Some(name) => scalar(name),
        None => format!("\"{id}\""),
    }
}

fn list(values: &[String]) -> String {
    list_raw(&values.iter().map(|v| scalar(v)).collect::<Vec<_>>())
}

fn list_raw(values: &[String]) -> String {
    format!("[{}]", values.join(", "))
}

/// `s` plain when YAML reads it back as this string, else double-quoted.
fn scalar(s: &str) -> String {
    let plain = s.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "._@+/-".contains(c))
        && !matches!(
            s.to_ascii_lowercase().as_str(),
            "true" | "false" | "yes" | "no" | "on" | "off" | "null" | "y" | "n"
        );
    if plain {
        s.to_owned()
    } else {
        serde_json::to_string(s).unwrap_or_default()
    }
}

/// Header text on one line, whatever the path holds.
fn one_line(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}
