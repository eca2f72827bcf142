//! `AwsPorts::load` honours `AWS_ENDPOINT_URL` and the service-specific
//! `AWS_ENDPOINT_URL_SSO_ADMIN`, `…_IDENTITYSTORE` and `…_ORGANIZATIONS`.
//!
//! The environment is process-wide, so each case runs this test binary again
//! in a child process with the variables set there (`--exact` on the ignored
//! `child_reads_all_three_services`); nothing here mutates the environment of
//! the running tests.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::Command;

use aws_sdk_organizations as organizations;
use ssomatrix_aws::{AwsOptions, AwsPorts};
use ssomatrix_core::ids::{IdentityStoreId, InstanceArn};
use ssomatrix_core::ports::{IdentityStore, Organizations, SsoAdmin};

const CHILD: &str = "child_reads_all_three_services";
/// What the child must find: `instance_arn|identity_store_id|root_id`.
const EXPECT: &str = "SSOMATRIX_TEST_EXPECT";
/// Nothing listens on the discard port of loopback.
const DEAD_ENDPOINT: &str = "http://127.0.0.1:9";

/// Every AWS variable that could point the child elsewhere.
const CLEARED: &[&str] = &[
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_SESSION_TOKEN",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_SSO_ADMIN",
    "AWS_ENDPOINT_URL_IDENTITYSTORE",
    "AWS_ENDPOINT_URL_ORGANIZATIONS",
    "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_ROLE_ARN",
];

/// Seeds an organization (moto answers ListRoots only inside one) and
/// returns what the child must find.
async fn expectation(endpoint: &str) -> String {
    let config = ssomatrix_testkit::sdk_config(endpoint);
    let org = organizations::Client::new(&config);
    org.create_organization()
        .feature_set(organizations::types::OrganizationFeatureSet::All)
        .send()
        .await
        .unwrap();
    let root = org.list_roots().send().await.unwrap().roots()[0]
        .id()
        .unwrap()
        .to_owned();
    let sso = aws_sdk_ssoadmin::Client::new(&config);
    let instances = sso.list_instances().send().await.unwrap();
    let instance = &instances.instances()[0];
    format!(
        "{}|{}|{root}",
        instance.instance_arn().unwrap(),
        instance.identity_store_id().unwrap()
    )
}

/// Runs the child with `vars` on top of a cleaned environment: no profile,
/// no shared files, no instance metadata, static test credentials.
fn child(expect: &str, vars: &[(&str, &str)]) -> (bool, String) {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args([CHILD, "--exact", "--ignored", "--test-threads=1"]);
    for var in CLEARED {
        cmd.env_remove(var);
    }
    cmd.env("AWS_CONFIG_FILE", "/nonexistent/ssomatrix-test-config")
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            "/nonexistent/ssomatrix-test-credentials",
        )
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env(EXPECT, expect)
        .envs(vars.iter().copied());
    let out = cmd.output().unwrap();
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

/// The child must have run its one test, and passed.
fn run_child(expect: &str, vars: &[(&str, &str)]) {
    let (ok, output) = child(expect, vars);
    assert!(
        ok && output.contains("1 passed"),
        "child with {vars:?} failed:\n{output}"
    );
}

#[tokio::test]
async fn aws_endpoint_url_points_all_three_services_at_moto() {
    let Some(moto) =
        ssomatrix_testkit::moto::start("aws_endpoint_url_points_all_three_services_at_moto")
    else {
        return;
    };
    let endpoint = moto.endpoint();
    let expect = expectation(&endpoint).await;
    run_child(&expect, &[("AWS_ENDPOINT_URL", &endpoint)]);
}

#[tokio::test]
async fn service_specific_endpoint_urls_win_over_the_global_one() {
    let Some(moto) =
        ssomatrix_testkit::moto::start("service_specific_endpoint_urls_win_over_the_global_one")
    else {
        return;
    };
    let endpoint = moto.endpoint();
    let expect = expectation(&endpoint).await;
    run_child(
        &expect,
        &[
            ("AWS_ENDPOINT_URL", DEAD_ENDPOINT),
            ("AWS_ENDPOINT_URL_SSO_ADMIN", &endpoint),
            ("AWS_ENDPOINT_URL_IDENTITYSTORE", &endpoint),
            ("AWS_ENDPOINT_URL_ORGANIZATIONS", &endpoint),
        ],
    );
}

#[tokio::test]
async fn without_an_override_the_dead_endpoint_is_really_used() {
    // The control for the two tests above: the same child with every
    // service at the dead endpoint must fail, so their passing means the
    // variables were read, not that something else answered.
    let Some(moto) =
        ssomatrix_testkit::moto::start("without_an_override_the_dead_endpoint_is_really_used")
    else {
        return;
    };
    let expect = expectation(&moto.endpoint()).await;
    let (ok, output) = child(&expect, &[("AWS_ENDPOINT_URL", DEAD_ENDPOINT)]);
    assert!(!ok, "the child passed against {DEAD_ENDPOINT}:\n{output}");
    assert!(output.contains("1 failed"), "{output}");
}

/// Run only as a child of the tests above, which set its environment.
#[tokio::test]
#[ignore = "run in a subprocess by the endpoint tests of this file"]
async fn child_reads_all_three_services() {
    let expect =
        std::env::var(EXPECT).expect("run by the endpoint tests with SSOMATRIX_TEST_EXPECT");
    let mut parts = expect.split('|');
    let (instance, store, root) = (
        parts.next().unwrap(),
        parts.next().unwrap(),
        parts.next().unwrap(),
    );
    // The region comes through the options, the endpoints from the
    // environment only.
    let ports = AwsPorts::load(&AwsOptions {
        profile: None,
        region: Some("us-east-1".into()),
    })
    .await;
    let instances = ports.list_instances(None).await.unwrap();
    assert_eq!(
        instances.items[0].instance_arn,
        InstanceArn::new(instance).unwrap()
    );
    let store = IdentityStoreId::new(store).unwrap();
    assert_eq!(instances.items[0].identity_store_id, store);
    let groups = ports.list_groups(&store, None).await.unwrap();
    assert!(groups.items.is_empty());
    let roots = ports.list_roots(None).await.unwrap();
    assert_eq!(roots.items[0].as_str(), root);
}
