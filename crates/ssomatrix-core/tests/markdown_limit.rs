//! The Markdown plan must fit in a GitHub comment however large the plan.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use ssomatrix_core::ids::{AccountId, PermissionSetArn, PrincipalId, PrincipalType};
use ssomatrix_core::plan::{Action, Change, Plan, Summary};
use ssomatrix_core::render::{self, GITHUB_COMMENT_LIMIT, MARKDOWN_MARKER};
use ssomatrix_core::snapshot::Snapshot;

fn live() -> ssomatrix_core::live::LiveState {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/org.snapshot.yaml"
    ))
    .unwrap();
    Snapshot::parse("org.snapshot.yaml", &text)
        .unwrap()
        .to_live_state()
        .unwrap()
}

fn plan_with(changes: usize) -> Plan {
    let live = live();
    let ps = live.permission_sets.keys().next().unwrap().clone();
    let changes: Vec<Change> = (0..changes)
        .map(|i| Change {
            action: if i % 3 == 0 {
                Action::Delete
            } else {
                Action::Create
            },
            principal_type: PrincipalType::Group,
            principal_id: PrincipalId::new(format!("group-{i:06}")).unwrap(),
            principal_name: Some(format!("a-rather-long-group-name-for-team-{i:06}")),
            permission_set_arn: PermissionSetArn::new(ps.as_str()).unwrap(),
            permission_set_name: "AdministratorAccess".into(),
            account_id: AccountId::new(format!("{:012}", 100_000_000_000u64 + (i as u64 % 700)))
                .unwrap(),
            account_name: format!("workload-account-{}", i % 700),
            account_ou_path: "Workloads/Prod".into(),
            reason: format!(
                "rule #{} (line {}): ou Workloads/Prod",
                i % 40 + 1,
                i % 40 * 4 + 2
            ),
            reason_kind: None,
            rule: Some(i % 40 + 1),
            needs_management_account: false,
        })
        .collect();
    Plan {
        format_version: 1,
        instance_arn: live.instance_arn.clone(),
        partial: None,
        summary: Summary {
            create: changes.len() * 2 / 3,
            delete: changes.len() / 3,
            unchanged: 0,
            delete_orphans: 0,
        },
        changes,
        warnings: vec![],
        recreated: vec![],
        max_deletes: 10,
        fingerprint: "0".repeat(64),
        read: None,
        people: None,
    }
}

/// `plan_with(creates + deletes)` with the first `deletes` changes deletes
/// and the others creates.
fn plan_of(creates: usize, deletes: usize) -> Plan {
    let mut plan = plan_with(creates + deletes);
    for (i, c) in plan.changes.iter_mut().enumerate() {
        c.action = if i < deletes {
            Action::Delete
        } else {
            Action::Create
        };
    }
    plan.summary.create = creates;
    plan.summary.delete = deletes;
    plan
}

/// A delete as the shortened comment lists it, on a line of its own.
fn delete_line(c: &Change) -> String {
    format!(
        "- {} ({})  {}  {}",
        c.account_name,
        c.account_id,
        c.permission_set_name,
        c.principal_label()
    )
}

/// The sum of `N` over the lines `{prefix}N creates of …` (or deletes) of `md`.
fn counted(md: &str, prefix: &str) -> usize {
    md.lines()
        .filter_map(|l| l.strip_prefix(prefix))
        .filter_map(|l| l.split_once(' '))
        .filter(|(_, rest)| {
            ["create of ", "creates of ", "delete of ", "deletes of "]
                .iter()
                .any(|p| rest.starts_with(p))
        })
        .map(|(n, _)| n.replace(',', "").parse::<usize>().unwrap())
        .sum()
}

#[test]
fn a_huge_plan_lists_every_delete_and_counts_the_creates() {
    let plan = plan_of(20_000, 500);
    let md = render::markdown(&plan, &live());
    assert!(md.len() <= GITHUB_COMMENT_LIMIT, "{} bytes", md.len());
    assert!(md.starts_with(MARKDOWN_MARKER));
    assert!(
        md.contains("> [!NOTE]\n> **Shortened to fit a comment.** Every delete is listed below")
    );
    let lines: std::collections::HashSet<&str> = md.lines().collect();
    for c in plan.deletes() {
        assert!(
            lines.contains(delete_line(c).as_str()),
            "a delete is missing: {c:?}"
        );
    }
    assert!(
        md.contains("\n+ 20,000 creates of AdministratorAccess in Workloads/Prod\n"),
        "the creates are counted by permission set and OU:\n{md}"
    );
    assert_eq!(
        md.matches("```").count() % 2,
        0,
        "every code block is closed"
    );
    assert!(md.trim_end().ends_with("</sub>"), "the footer survives");
}

#[test]
fn creates_are_counted_per_permission_set_and_ou() {
    let mut plan = plan_of(20_000, 100);
    for (i, c) in plan.changes.iter_mut().enumerate() {
        c.permission_set_name = ["AppDeveloper", "ReadOnly", "Billing"][i % 3].to_owned();
        c.account_ou_path = ["Workloads/NonProd", "Workloads/Prod"][i % 2].to_owned();
    }
    let md = render::markdown(&plan, &live());
    assert!(md.len() <= GITHUB_COMMENT_LIMIT);
    assert_eq!(
        md.matches("\n+ ").count(),
        6,
        "3 permission sets × 2 OUs:\n{md}"
    );
    assert!(md.contains("creates of AppDeveloper in Workloads/NonProd\n"));
    assert_eq!(counted(&md, "+ "), 20_000, "every create is counted");
    let lines: std::collections::HashSet<&str> = md.lines().collect();
    for c in plan.deletes() {
        assert!(
            lines.contains(delete_line(c).as_str()),
            "a delete is missing: {c:?}"
        );
    }
}

/// 20,000 deletes cannot be listed in 65,536 characters: the comment says so
/// before anything else, counts every delete, lists as many as fit and says
/// how many it does not list; no delete is left out silently.
#[test]
fn too_many_deletes_are_counted_and_said_loudly() {
    let plan = plan_of(1_000, 20_000);
    let md = render::markdown(&plan, &live());
    assert!(md.len() <= GITHUB_COMMENT_LIMIT, "{} bytes", md.len());
    let caution = md.find("> [!CAUTION]").expect("a caution");
    assert!(
        caution < md.find("####").unwrap(),
        "the caution comes first"
    );
    assert!(md.contains("**Not every delete is listed.** This plan deletes 20,000 assignments"));
    assert_eq!(counted(&md, "- "), 20_000, "every delete is counted");
    let lines: std::collections::HashSet<&str> = md.lines().collect();
    let listed = plan
        .deletes()
        .filter(|c| lines.contains(delete_line(c).as_str()))
        .count();
    assert!(listed > 100, "as many as fit are listed: {listed}");
    // "**19,871 deletes are not listed here**" under the listed ones.
    let stated = md
        .split("**")
        .find_map(|s| s.strip_suffix(" deletes are not listed here"))
        .expect("the number not listed is stated");
    let n: usize = stated.replace(',', "").parse().unwrap();
    assert_eq!(n + listed, 20_000);
    assert_eq!(counted(&md, "+ "), 1_000, "every create is counted");
}

#[test]
fn a_small_plan_is_not_truncated() {
    let md = render::markdown(&plan_with(30), &live());
    assert!(!md.contains("Truncated") && !md.contains("[!NOTE]"));
    assert_eq!(
        md.matches("\n+ ").count(),
        20,
        "every create is in the diff"
    );
}

/// The drift report of the `01-clean` drift fixture with `deleted` live
/// assignments of deleted groups in app-dev and `missing` declared
/// assignments that are not live.
fn drift_with(deleted: usize, missing: usize) -> ssomatrix_core::drift::DriftReport {
    use ssomatrix_core::config::Config;
    use ssomatrix_core::date::Date;
    use ssomatrix_core::live::Assignment;
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/drift_fixtures/01-clean");
    let read = |f: &str| std::fs::read_to_string(format!("{dir}/{f}")).unwrap();
    let mut live = Snapshot::parse("snapshot.yaml", &read("snapshot.yaml"))
        .unwrap()
        .to_live_state()
        .unwrap();
    let config = Config::parse("config.yaml", &read("config.yaml")).unwrap();
    let account = AccountId::new("134534670757").unwrap();
    let ps = live.permission_set_named("AppDeveloper").unwrap().clone();
    for i in 0..deleted {
        let id = PrincipalId::new(format!("9a1f0e55-3b2c-70d1-8e44-{i:012}")).unwrap();
        live.principals
            .by_id
            .insert((PrincipalType::Group, id.clone()), None);
        live.assignments.insert(Assignment {
            account_id: account.clone(),
            permission_set_arn: ps.clone(),
            principal_type: PrincipalType::Group,
            principal_id: id,
        });
    }
    let mut report =
        ssomatrix_core::drift::drift(&config, &live, Date::parse("2026-06-15").unwrap(), 14);
    let template = report.deleted_principals[0].clone();
    for i in 0..missing {
        let mut f = template.clone();
        f.principal_name = Some(format!("a-rather-long-group-name-for-team-{i:06}"));
        f.permission_set_name = ["AppDeveloper", "ReadOnly"][i % 2].to_owned();
        f.detail = "rule #1 (line 2): ou Workloads/NonProd".to_owned();
        report.missing.push(f);
    }
    report.summary.missing = missing;
    report
}

#[test]
fn a_huge_drift_report_lists_every_finding_that_leads_to_a_delete() {
    let report = drift_with(300, 20_000);
    let md = ssomatrix_core::render::drift::markdown(&report);
    assert!(md.len() <= GITHUB_COMMENT_LIMIT, "{} bytes", md.len());
    assert!(md.contains("> [!NOTE]\n> **Shortened to fit an issue:** every finding that `apply` would delete is listed, missing assignments are counted by permission set and OU"), "{md}");
    for f in &report.deleted_principals {
        assert!(
            md.contains(&format!("| group &lt;deleted {}&gt; |", f.principal_id)),
            "a finding is missing: {f:?}"
        );
    }
    assert!(
        md.contains("\n+ 10,000 assignments of AppDeveloper in Workloads/NonProd/Dev\n"),
        "{md}"
    );
    assert!(
        md.contains("\n+ 10,000 assignments of ReadOnly in Workloads/NonProd/Dev\n"),
        "{md}"
    );
    assert!(md.trim_end().ends_with("</sub>"), "the footer survives");
}

#[test]
fn a_drift_report_that_fits_is_not_shortened() {
    let md = ssomatrix_core::render::drift::markdown(&drift_with(300, 0));
    assert!(!md.contains("[!NOTE]") && !md.contains("[!CAUTION]"));
    assert_eq!(md.matches("| group &lt;deleted ").count(), 300);
}
