//! `access` end to end on the example: who reaches what, in each format,
//! filtered, and refusing names that mean nothing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[macro_use]
mod support;

use support::{CONFIG, Run, SNAPSHOT, run};

fn access(extra: &[&str]) -> Run {
    let mut args = vec!["access", "-c", CONFIG, "--snapshot", SNAPSHOT];
    args.extend(extra);
    run(&args)
}

#[test]
fn the_example_as_csv() {
    let o = access(&[]);
    assert_eq!(o.code, Some(0), "{o}");
    let lines: Vec<&str> = o.stdout.split("\r\n").collect();
    assert_eq!(
        lines[0],
        "user,user_id,via,account_id,account_name,ou_path,permission_set,rule,owner,expires,status"
    );
    // The click-ops Admin of the contractors group reaches both contractors
    // and is undeclared; the deleted user the group still lists cannot sign in.
    let web_prod_admin: Vec<&&str> = lines
        .iter()
        .filter(|l| l.contains(",aws-legacy-contractors,") && l.contains(",web-prod,"))
        .collect();
    assert_eq!(web_prod_admin.len(), 3, "{web_prod_admin:#?}");
    assert_eq!(
        web_prod_admin
            .iter()
            .filter(|l| l.ends_with(",undeclared"))
            .count(),
        2
    );
    assert!(
        web_prod_admin[2].ends_with(",user_deleted"),
        "{web_prod_admin:#?}"
    );
    assert_run!("access_csv", o);
}

#[test]
fn json_and_html_filtered_to_one_account() {
    let o = access(&["--format", "json", "--account", "web-prod"]);
    assert_eq!(o.code, Some(0), "{o}");
    let doc = o.json();
    let rows = doc["rows"].as_array().unwrap();
    assert!(!rows.is_empty());
    assert!(
        rows.iter().all(|r| r["account_name"] == "web-prod"),
        "{doc}"
    );
    assert_eq!(doc["summary"]["rows"], rows.len());
    assert_run!("access_json_web_prod", o);
    let o = access(&["--format", "html", "--account", "web-prod"]);
    assert_eq!(o.code, Some(0), "{o}");
    assert!(
        !o.stdout.contains("http://") && !o.stdout.contains("https://"),
        "no network"
    );
    assert_run!("access_html_web_prod", o);
}

#[test]
fn filters_combine_and_a_user_without_access_is_a_note() {
    let o = access(&[
        "--user",
        "alice.nguyen@example.com",
        "--permission-set",
        "Admin",
    ]);
    assert_eq!(o.code, Some(0), "{o}");
    let rows: Vec<&str> = o
        .stdout
        .split("\r\n")
        .skip(1)
        .filter(|l| !l.is_empty())
        .collect();
    assert!(!rows.is_empty());
    assert!(
        rows.iter()
            .all(|l| l.starts_with("alice.nguyen@example.com,") && l.contains(",Admin,")),
        "{o}"
    );
    assert_run!("access_alice_admin", o);
    assert_run!(
        "access_user_without_access",
        access(&["--user", "alice.nguyen@exampel.com"])
    );
}

#[test]
fn an_unknown_account_or_permission_set_is_refused_with_the_closest_name() {
    assert_run!(
        "access_unknown_names",
        access(&["--account", "web-prd", "--permission-set", "Admn"])
    );
}

#[test]
fn out_writes_the_report_and_refuses_an_input() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("access.html");
    let o = access(&["--format", "html", "--out", out.to_str().unwrap()]);
    assert_eq!(o.code, Some(0), "{o}");
    let html = std::fs::read_to_string(&out).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>") && html.ends_with("</html>\n"));
    assert!(o.stderr.contains("wrote "), "{o}");
    let o = access(&["--out", SNAPSHOT]);
    assert_eq!(o.code, Some(1), "{o}");
}

fn explain(extra: &[&str]) -> Run {
    let mut args = vec!["explain", "-c", CONFIG, "--snapshot", SNAPSHOT];
    args.extend(extra);
    run(&args)
}

#[test]
fn explain_names_every_path_its_rule_or_that_apply_removes_it() {
    // Carol reaches web-prod as Admin only through the contractors group,
    // which no rule grants: the next apply removes it.
    let o = explain(&[
        "--user",
        "carol.diaz@contractor.example",
        "--account",
        "web-prod",
        "--permission-set",
        "Admin",
    ]);
    assert_eq!(o.code, Some(0), "{o}");
    assert!(
        o.stdout.contains(
            "through group aws-legacy-contractors: no rule; nothing in the file grants it; the next apply removes it"
        ),
        "{o}"
    );
    assert_run!("explain_carol_web_prod_admin", o);
    // Dave reaches team-a-prod directly by his exception: its rule, owner
    // and end date.
    let o = explain(&[
        "--user",
        "dave.okafor@example.com",
        "--account",
        "team-a-prod",
    ]);
    assert!(o.stdout.contains("directly: rule #"), "{o}");
    assert!(o.stdout.contains("expires 2026-12-04"), "{o}");
    assert_run!("explain_dave_team_a_prod", o);
    assert_run!(
        "explain_nothing_grants",
        explain(&["--user", "bob.martins@example.com", "--account", "web-prod"])
    );
    assert_run!(
        "explain_group_contractors",
        explain(&["--group", "aws-legacy-contractors"])
    );
    assert_run!(
        "explain_group_empty",
        explain(&["--group", "aws-breakglass"])
    );
}

/// What the file declares but is not live yet is said, with its rule: the
/// next apply creates it (the plan's creates), for the group and for each
/// of its members.
#[test]
fn explain_says_what_the_next_apply_creates() {
    let o = explain(&[
        "--group",
        "aws-team-a-leads",
        "--permission-set",
        "ReadOnlyAuditor",
    ]);
    assert_eq!(o.code, Some(0), "{o}");
    assert!(
        o.stdout
            .contains("holds no assignment with ReadOnlyAuditor"),
        "{o}"
    );
    assert!(
        o.stdout.contains(
            "not live yet: 6 assignment(s) the file declares, which the next apply creates"
        ),
        "{o}"
    );
    assert_run!("explain_group_not_live_yet", o);
    let o = explain(&[
        "--user",
        "kate.wilson@example.com",
        "--account",
        "web-prod",
        "--permission-set",
        "ReadOnlyAuditor",
    ]);
    assert_eq!(o.code, Some(0), "{o}");
    assert!(o.stdout.contains("has no access in web-prod"), "{o}");
    assert!(
        o.stdout.contains(
            "through group aws-team-a-leads: rule #10 (line 96) (CHG-2291 team A leads review production incidents); \
             declared, not live yet: the next apply creates it"
        ),
        "{o}"
    );
    // Bob is in no group the file gives ReadOnlyAuditor: nothing pending.
    let o = explain(&[
        "--user",
        "bob.martins@example.com",
        "--permission-set",
        "ReadOnlyAuditor",
    ]);
    assert!(!o.stdout.contains("not live yet"), "{o}");
}

#[test]
fn explain_needs_a_user_or_a_group() {
    let o = explain(&["--account", "web-prod"]);
    assert_eq!(o.code, Some(1), "a usage error exits 1: {o}");
    assert!(o.stderr.contains("--user"), "{o}");
}
