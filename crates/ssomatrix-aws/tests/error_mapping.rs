//! The error mapping and response translation of the adapter, through the
//! port methods, with the SDK's HTTP layer replaced by aws-smithy-mocks.
//!
//! Errors are given as raw HTTP responses (status + JSON body with `__type`),
//! not as modeled error values, so that the SDK's own deserializer extracts
//! the code, as it does with the real services.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use aws_sdk_identitystore as identitystore;
use aws_sdk_organizations as organizations;
use aws_sdk_ssoadmin as ssoadmin;
use aws_smithy_mocks::{Rule, RuleMode, mock, mock_client};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::retry::RetryConfig;
use ssomatrix_aws::AwsPorts;
use ssomatrix_core::ids::{
    AccountId, IdentityStoreId, InstanceArn, PermissionSetArn, PrincipalId, PrincipalType,
};
use ssomatrix_core::live::Assignment;
use ssomatrix_core::org::NodeId;
use ssomatrix_core::ports::Operation;
use ssomatrix_core::ports::{AccountInfo, ErrorKind, IdentityStore, Organizations, SsoAdmin};

fn instance() -> InstanceArn {
    InstanceArn::new("arn:aws:sso:::instance/ssoins-1111111111111111").unwrap()
}

fn permission_set() -> PermissionSetArn {
    PermissionSetArn::new("arn:aws:sso:::permissionSet/ssoins-1111111111111111/ps-2222222222222222")
        .unwrap()
}

fn account() -> AccountId {
    AccountId::new("111111111111").unwrap()
}

fn store() -> IdentityStoreId {
    IdentityStoreId::new("d-1234567890").unwrap()
}

/// An error response as the awsJson services send it.
fn error_response(status: u16, code: &str, message: &str) -> HttpResponse {
    HttpResponse::new(
        StatusCode::try_from(status).unwrap(),
        SdkBody::from(format!(r#"{{"__type":"{code}","message":"{message}"}}"#)),
    )
}

/// Ports whose three clients answer with `sso`, `ids` and `org` rules. The
/// SDK's retries are off, as in `AwsPorts::load`, so each rule is used once.
fn ports(sso: &[&Rule], ids: &[&Rule], org: &[&Rule]) -> AwsPorts {
    let sso = mock_client!(ssoadmin, RuleMode::MatchAny, sso, |c| c
        .retry_config(RetryConfig::disabled()));
    let ids = mock_client!(identitystore, RuleMode::MatchAny, ids, |c| c
        .retry_config(RetryConfig::disabled()));
    let org = mock_client!(organizations, RuleMode::MatchAny, org, |c| c
        .retry_config(RetryConfig::disabled()));
    AwsPorts::from_clients(sso, ids, org)
}

#[tokio::test]
async fn throttling_is_recognised_by_its_error_code() {
    let rule = mock!(ssoadmin::Client::list_account_assignments)
        .then_http_response(|| error_response(400, "ThrottlingException", "Rate exceeded"));
    let ports = ports(&[&rule], &[], &[]);
    let err = ports
        .list_account_assignments(&instance(), &account(), &permission_set(), None)
        .await
        .unwrap_err();
    assert_eq!(err.operation, Operation::ListAccountAssignments);
    assert_eq!(err.kind, ErrorKind::Throttled);
    assert!(
        err.message.contains("ThrottlingException: Rate exceeded"),
        "{err:?}"
    );
    assert_eq!(rule.num_calls(), 1, "the SDK must not retry on its own");
}

#[tokio::test]
async fn organizations_throttling_uses_its_own_code() {
    let rule = mock!(organizations::Client::list_accounts_for_parent).then_http_response(|| {
        error_response(
            400,
            "TooManyRequestsException",
            "AWS Organizations can't complete your request",
        )
    });
    let ports = ports(&[], &[], &[&rule]);
    let parent = NodeId::parse("r-ab12").unwrap();
    let err = ports
        .list_accounts_for_parent(&parent, None)
        .await
        .unwrap_err();
    assert_eq!(err.operation, Operation::ListAccountsForParent);
    assert_eq!(err.kind, ErrorKind::Throttled);
}

#[tokio::test]
async fn conflict_on_create_is_a_conflict() {
    let rule = mock!(ssoadmin::Client::create_account_assignment).then_http_response(|| {
        error_response(
            400,
            "ConflictException",
            "Another operation is in progress for the account",
        )
    });
    let ports = ports(&[&rule], &[], &[]);
    let assignment = Assignment {
        account_id: account(),
        permission_set_arn: permission_set(),
        principal_type: PrincipalType::Group,
        principal_id: PrincipalId::new("g-1").unwrap(),
    };
    let err = ports
        .create_account_assignment(&instance(), &assignment)
        .await
        .unwrap_err();
    assert_eq!(err.operation, Operation::CreateAccountAssignment);
    assert_eq!(err.kind, ErrorKind::Conflict);
    assert!(err.kind.is_retryable());
}

#[tokio::test]
async fn access_denied_names_the_iam_action_to_grant() {
    let rule = mock!(identitystore::Client::list_groups).then_http_response(|| {
        error_response(
            400,
            "AccessDeniedException",
            "User is not authorized to perform identitystore:ListGroups",
        )
    });
    let ports = ports(&[], &[&rule], &[]);
    let err = ports.list_groups(&store(), None).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::AccessDenied);
    assert_eq!(err.operation, Operation::ListGroups);
    let shown = err.to_string();
    assert!(
        shown.contains("allow the IAM action `identitystore:ListGroups`"),
        "{shown}"
    );
}

#[tokio::test]
async fn a_500_is_transient_with_or_without_a_readable_body() {
    let modeled = mock!(ssoadmin::Client::list_permission_sets)
        .then_http_response(|| error_response(500, "InternalServerException", "oops"));
    let ports_a = ports(&[&modeled], &[], &[]);
    let err = ports_a
        .list_permission_sets(&instance(), None)
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Transient);
    assert_eq!(err.operation, Operation::ListPermissionSets);

    // A load balancer's HTML page: no code at all, only the status.
    let html = mock!(ssoadmin::Client::list_permission_sets).then_http_response(|| {
        HttpResponse::new(
            StatusCode::try_from(502).unwrap(),
            SdkBody::from("<html>bad gateway</html>"),
        )
    });
    let ports_b = ports(&[&html], &[], &[]);
    let err = ports_b
        .list_permission_sets(&instance(), None)
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Transient, "{err:?}");
    assert!(err.message.contains("502"), "{err:?}");
}

#[tokio::test]
async fn validation_and_unknown_codes_are_not_retryable() {
    let validation = mock!(ssoadmin::Client::describe_permission_set)
        .then_http_response(|| error_response(400, "ValidationException", "bad arn"));
    let unknown = mock!(ssoadmin::Client::list_instances)
        .then_http_response(|| error_response(400, "UnheardOfException", "what"));
    let ports = ports(&[&validation, &unknown], &[], &[]);
    let err = ports
        .describe_permission_set(&instance(), &permission_set())
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Validation);
    let err = ports.list_instances(None).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::Other);
    assert!(!err.kind.is_retryable());
}

#[tokio::test]
async fn a_quota_answer_means_slow_down() {
    let quota = mock!(ssoadmin::Client::create_account_assignment).then_http_response(|| {
        error_response(400, "ServiceQuotaExceededException", "too many in progress")
    });
    let ports = ports(&[&quota], &[], &[]);
    let assignment = Assignment {
        account_id: account(),
        permission_set_arn: permission_set(),
        principal_type: PrincipalType::Group,
        principal_id: PrincipalId::new("g-1").unwrap(),
    };
    let err = ports
        .create_account_assignment(&instance(), &assignment)
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::QuotaExceeded, "{err:?}");
    assert!(err.kind.is_retryable());
}

#[tokio::test]
async fn missing_principals_are_none_and_other_errors_stay_errors() {
    let not_found = mock!(identitystore::Client::get_group_id).then_http_response(|| {
        error_response(400, "ResourceNotFoundException", "GROUP not found.")
    });
    let user_gone = mock!(identitystore::Client::describe_user)
        .then_http_response(|| error_response(400, "ResourceNotFoundException", "USER not found."));
    let throttled = mock!(identitystore::Client::describe_group)
        .then_http_response(|| error_response(400, "ThrottlingException", "slow down"));
    let ports = ports(&[], &[&not_found, &user_gone, &throttled], &[]);
    assert_eq!(ports.get_group_id(&store(), "nobody").await, Ok(None));
    let id = PrincipalId::new("u-1").unwrap();
    assert_eq!(ports.describe_user(&store(), &id).await, Ok(None));
    let err = ports.describe_group(&store(), &id).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::Throttled);
    assert_eq!(err.operation, Operation::DescribeGroup);
}

#[tokio::test]
async fn accounts_fall_back_to_the_retired_status_field() {
    let rule = mock!(organizations::Client::list_accounts_for_parent).then_http_response(|| {
        HttpResponse::new(
            StatusCode::try_from(200).unwrap(),
            SdkBody::from(
                r#"{"Accounts":[
                    {"Id":"111111111111","Name":"new","State":"PENDING_CLOSURE","Status":"ACTIVE"},
                    {"Id":"222222222222","Name":"old","Status":"SUSPENDED"}
                ],"NextToken":"t2"}"#,
            ),
        )
    });
    let ports = ports(&[], &[], &[&rule]);
    let page = ports
        .list_accounts_for_parent(&NodeId::parse("r-ab12").unwrap(), None)
        .await
        .unwrap();
    assert_eq!(
        page.items,
        vec![
            AccountInfo {
                id: AccountId::new("111111111111").unwrap(),
                name: "new".into(),
                state: ssomatrix_core::ids::AccountState::PendingClosure,
            },
            AccountInfo {
                id: AccountId::new("222222222222").unwrap(),
                name: "old".into(),
                state: ssomatrix_core::ids::AccountState::Suspended,
            },
        ]
    );
    assert_eq!(page.next_token.as_deref(), Some("t2"));
}

#[tokio::test]
async fn a_malformed_id_in_a_response_is_an_error_not_a_panic() {
    let rule = mock!(ssoadmin::Client::list_accounts_for_provisioned_permission_set)
        .then_http_response(|| {
            HttpResponse::new(
                StatusCode::try_from(200).unwrap(),
                SdkBody::from(r#"{"AccountIds":["not-an-account"]}"#),
            )
        });
    let ports = ports(&[&rule], &[], &[]);
    let err = ports
        .list_accounts_for_provisioned_permission_set(&instance(), &permission_set(), None, None)
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Other);
    assert_eq!(
        err.operation,
        Operation::ListAccountsForProvisionedPermissionSet
    );
    assert!(err.message.contains("not-an-account"), "{err:?}");
}

#[tokio::test]
async fn a_refused_connection_is_unreachable_not_transient() {
    // Port 9 (discard) on loopback: nothing listens there in a test sandbox.
    let config = aws_config::SdkConfig::builder()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .endpoint_url("http://127.0.0.1:9")
        .credentials_provider(ssoadmin::config::SharedCredentialsProvider::new(
            ssoadmin::config::Credentials::new("testing", "testing", None, None, "tests"),
        ))
        .build();
    let ports = AwsPorts::from_sdk_config(&config);
    let err = ports.list_instances(None).await.unwrap_err();
    // Not `Transient`: the engine retries that nine times with backoff.
    assert_eq!(err.kind, ErrorKind::Unreachable, "{err:?}");
    assert_eq!(err.operation, Operation::ListInstances);
    let endpoint = ports.endpoint_of(err.operation).unwrap();
    assert_eq!(
        endpoint.url.as_deref(),
        Some("http://127.0.0.1:9"),
        "{endpoint:?}"
    );
}

#[tokio::test]
async fn a_missing_region_is_reported_and_not_retried() {
    let config = aws_config::SdkConfig::builder()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .credentials_provider(ssoadmin::config::SharedCredentialsProvider::new(
            ssoadmin::config::Credentials::new("testing", "testing", None, None, "tests"),
        ))
        .build();
    let ports = AwsPorts::from_sdk_config(&config);
    let err = ports.list_instances(None).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::Configuration, "{err:?}");
    assert!(err.message.to_lowercase().contains("region"), "{err:?}");
    assert!(
        err.to_string().contains("--region"),
        "the message names the fix: {err}"
    );
}

#[tokio::test]
async fn missing_credentials_are_reported_and_not_retried() {
    let config = aws_config::SdkConfig::builder()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .endpoint_url("http://127.0.0.1:9")
        .build();
    let ports = AwsPorts::from_sdk_config(&config);
    let err = ports.list_instances(None).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::Configuration, "{err:?}");
    assert!(err.message.contains("credentials"), "{err:?}");
}

/// An error response with the members of a modelled exception besides the
/// code and message (`Reason`, `ResourceType`), as JSON.
fn error_with(status: u16, code: &str, members: &str) -> HttpResponse {
    HttpResponse::new(
        StatusCode::try_from(status).unwrap(),
        SdkBody::from(format!(
            r#"{{"__type":"{code}","Message":"it failed",{members}}}"#
        )),
    )
}

#[tokio::test]
async fn kms_reasons_are_read_printed_and_never_a_missing_principal() {
    let id = PrincipalId::new("g-1").unwrap();
    // identitystore: the same exception as a missing group, but the key is
    // what is missing.
    let kms = mock!(identitystore::Client::describe_group).then_http_response(|| {
        error_with(
            400,
            "ResourceNotFoundException",
            r#""Reason":"KMS_KEY_NOT_FOUND","ResourceType":null"#,
        )
    });
    let store_gone = mock!(identitystore::Client::get_group_id).then_http_response(|| {
        error_with(
            400,
            "ResourceNotFoundException",
            r#""ResourceType":"IDENTITY_STORE","ResourceId":"d-1234567890""#,
        )
    });
    let group_gone = mock!(identitystore::Client::describe_user).then_http_response(|| {
        error_with(400, "ResourceNotFoundException", r#""ResourceType":"USER""#)
    });
    let denied = mock!(identitystore::Client::list_users).then_http_response(|| {
        error_with(
            400,
            "AccessDeniedException",
            r#""Reason":"KMS_ACCESS_DENIED""#,
        )
    });
    let ports_ids = ports(&[], &[&kms, &store_gone, &group_gone, &denied], &[]);

    let err = ports_ids.describe_group(&store(), &id).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::NotFound);
    assert_eq!(err.reason.as_deref(), Some("KMS_KEY_NOT_FOUND"));
    assert!(err.is_kms() && !err.is_missing_principal());
    let shown = err.to_string();
    assert!(shown.contains("KMS_KEY_NOT_FOUND"), "{shown}");
    assert!(shown.contains("kms:Decrypt"), "{shown}");

    let err = ports_ids
        .get_group_id(&store(), "admins")
        .await
        .unwrap_err();
    assert_eq!(err.resource_type.as_deref(), Some("IDENTITY_STORE"));

    assert_eq!(ports_ids.describe_user(&store(), &id).await, Ok(None));

    let err = ports_ids.list_users(&store(), None).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::AccessDenied);
    let shown = err.to_string();
    assert!(
        shown.contains("KMS_ACCESS_DENIED") && shown.contains("docs/iam/kms-key-access.json"),
        "{shown}"
    );

    // sso-admin spells its reasons after the KMS exception's name; a delete
    // answered so must not pass for "already gone".
    let delete = mock!(ssoadmin::Client::delete_account_assignment).then_http_response(|| {
        error_with(
            400,
            "ResourceNotFoundException",
            r#""Reason":"KMS_NotFoundException""#,
        )
    });
    let ports_sso = ports(&[&delete], &[], &[]);
    let assignment = Assignment {
        account_id: account(),
        permission_set_arn: permission_set(),
        principal_type: PrincipalType::Group,
        principal_id: id,
    };
    let err = ports_sso
        .delete_account_assignment(&instance(), &assignment)
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::NotFound);
    assert_eq!(err.reason.as_deref(), Some("KMS_NotFoundException"));
    assert!(!err.is_absent());
}

#[tokio::test]
async fn unknown_operation_is_its_own_kind() {
    let rule = mock!(identitystore::Client::get_group_id).then_http_response(|| {
        error_with(400, "UnknownOperationException", r#""RequestId":"r-1""#)
    });
    let ports = ports(&[], &[&rule], &[]);
    let err = ports.get_group_id(&store(), "admins").await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::UnknownOperation);
    assert!(!err.kind.is_retryable());
}

#[tokio::test]
async fn an_account_state_this_build_does_not_know_is_read_not_refused() {
    let rule = mock!(organizations::Client::list_accounts_for_parent).then_http_response(|| {
        HttpResponse::new(
            StatusCode::try_from(200).unwrap(),
            SdkBody::from(
                r#"{"Accounts":[
                    {"Id":"111111111111","Name":"moving","State":"PENDING_MIGRATION"},
                    {"Id":"222222222222","Name":"old","Status":"ARCHIVED"}
                ]}"#,
            ),
        )
    });
    let ports = ports(&[], &[], &[&rule]);
    let page = ports
        .list_accounts_for_parent(&NodeId::parse("r-ab12").unwrap(), None)
        .await
        .unwrap();
    let states: Vec<_> = page.items.iter().map(|a| a.state).collect();
    assert_eq!(
        states,
        [
            ssomatrix_core::ids::AccountState::Unknown("PENDING_MIGRATION"),
            ssomatrix_core::ids::AccountState::Unknown("ARCHIVED"),
        ]
    );
    assert!(states.iter().all(|s| !s.is_known()));
}
