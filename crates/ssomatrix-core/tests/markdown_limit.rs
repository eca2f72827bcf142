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
            rule: Some(i % 40 + 1),
        })
        .collect();
    Plan {
        format_version: 1,
        instance_arn: live.instance_arn.clone(),
        summary: Summary {
            create: changes.len() * 2 / 3,
            delete: changes.len() / 3,
            unchanged: 0,
        },
        changes,
        warnings: vec![],
        max_deletes: 10,
        fingerprint: "0".repeat(64),
    }
}

#[test]
fn a_huge_plan_is_truncated_to_the_comment_limit_with_a_note() {
    let md = render::markdown(&plan_with(20_000), &live());
    assert!(md.len() <= GITHUB_COMMENT_LIMIT, "{} bytes", md.len());
    assert!(md.starts_with(MARKDOWN_MARKER));
    assert!(md.contains("**Truncated:**"), "a truncated comment says so");
    assert!(
        md.contains("```diff\n") && md.contains("```\n</details>"),
        "the diff block is closed"
    );
    assert!(
        md.trim_end().ends_with("</sub>"),
        "the footer survives truncation"
    );
}

#[test]
fn a_small_plan_is_not_truncated() {
    let md = render::markdown(&plan_with(30), &live());
    assert!(!md.contains("Truncated"));
    assert_eq!(
        md.matches("\n+ ").count(),
        20,
        "every create is in the diff"
    );
}
