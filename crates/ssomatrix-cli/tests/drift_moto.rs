//! `drift` end to end against moto: the real binary and SDK over HTTP on
//! 127.0.0.1. After an apply, `drift --detailed-exitcode` exits 0; after an
//! assignment is made out of band through the SDK (as in the console), it
//! exits 2 and names it.
//!
//! `--inventory exhaustive` because moto does not model provisioning (see
//! moto.rs). Needs `scripts/setup-moto.sh`; fails without it unless
//! `SSOMATRIX_SKIP_MOTO=1`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::path::Path;

use ssomatrix_core::ids::PrincipalType;
use ssomatrix_testkit::fixture::{self, GROUP_ADMINS};
use ssomatrix_testkit::seed::sdk_config;
use ssomatrix_testkit::seed_moto_blocking;
use support::{Run, fixture_assignments, run_against};

fn run(endpoint: &str, dir: &Path, args: &[&str]) -> Run {
    run_against(endpoint, dir, "2026-06-15", args)
}

#[test]
fn drift_is_clean_after_apply_and_names_an_out_of_band_assignment() {
    let Some(moto) = ssomatrix_testkit::moto::start(
        "drift_is_clean_after_apply_and_names_an_out_of_band_assignment",
    ) else {
        return;
    };
    let endpoint = moto.endpoint();
    let seeded = seed_moto_blocking(&endpoint, &fixture::spec());
    let dir = tempfile::tempdir().unwrap();
    let config = fixture_assignments(dir.path());
    let config = config.as_str();
    let common = ["-c", config, "--inventory", "exhaustive"];
    let with = |first: &[&'static str]| {
        let mut v: Vec<&str> = first.to_vec();
        v.extend(common);
        v
    };

    let o = run(&endpoint, dir.path(), &with(&["apply", "--auto-approve"]));
    assert_eq!(o.code, Some(0), "{o}");
    let o = run(
        &endpoint,
        dir.path(),
        &with(&["drift", "--detailed-exitcode"]),
    );
    assert_eq!(o.code, Some(0), "clean after apply: {o}");
    assert!(o.stdout.contains("No drift"), "{}", o);

    // Click-ops: aws-platform-admins get BillingViewer in nonprod-02.
    let account = seeded
        .organization
        .accounts
        .iter()
        .find(|a| a.name == "nonprod-02")
        .unwrap()
        .id
        .clone();
    let ps = seeded
        .permission_sets
        .iter()
        .find(|p| p.name == "BillingViewer")
        .unwrap()
        .arn
        .clone();
    let admins = seeded
        .principals(PrincipalType::Group)
        .iter()
        .find(|p| p.name == GROUP_ADMINS)
        .unwrap()
        .id
        .clone();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let sso = aws_sdk_ssoadmin::Client::new(&sdk_config(&endpoint));
        sso.create_account_assignment()
            .instance_arn(seeded.instance_arn.as_str())
            .target_id(account.as_str())
            .target_type(aws_sdk_ssoadmin::types::TargetType::AwsAccount)
            .permission_set_arn(ps.as_str())
            .principal_type(aws_sdk_ssoadmin::types::PrincipalType::Group)
            .principal_id(admins.as_str())
            .send()
            .await
            .unwrap();
    });

    let o = run(
        &endpoint,
        dir.path(),
        &with(&["drift", "--detailed-exitcode", "--format", "json"]),
    );
    assert_eq!(o.code, Some(2), "drift found: {o}");
    let report = o.json();
    let undeclared = report["undeclared"].as_array().unwrap();
    assert_eq!(undeclared.len(), 1, "{o}");
    assert_eq!(undeclared[0]["account_id"], account.as_str());
    assert_eq!(undeclared[0]["permission_set_name"], "BillingViewer");
    assert_eq!(undeclared[0]["principal_name"], GROUP_ADMINS);
    assert_eq!(report["summary"]["missing"], 0);

    let o = run(
        &endpoint,
        dir.path(),
        &with(&["drift", "--detailed-exitcode", "--format", "markdown"]),
    );
    assert_eq!(o.code, Some(2), "{o}");
    let md = &o.stdout;
    assert!(md.starts_with("<!-- ssomatrix-drift -->"), "{md}");
    assert!(
        md.contains("| nonprod-02 (") && md.contains("group aws-platform-admins"),
        "{md}"
    );
}
