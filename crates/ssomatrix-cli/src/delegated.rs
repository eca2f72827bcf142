//! The delegated administrator's share of `apply` and `reprovision`: AWS
//! refuses a delegated administrator every create, delete and provisioning
//! of a permission set provisioned to the management account, in any
//! account, and any change in the management account. Those are withheld
//! before anything is sent, reported as not done (exit 1), and left for a
//! run with the management account's credentials.

use std::collections::BTreeMap;

use ssomatrix_core::ids::PermissionSetArn;
use ssomatrix_core::live::LiveState;
use ssomatrix_core::plan::{Plan, mark_management_only};
use ssomatrix_core::ports::{ErrorKind, PortError, Service};
use ssomatrix_engine::executor::{ApplyReport, OperationReport, Outcome};
use ssomatrix_engine::reprovision::ProvisionReport;

/// Takes the changes only the management account can make out of `plan`,
/// marked again against the live state just read (the credentials in use
/// decide, not those a saved plan was made with), and returns them as
/// reports of operations not done.
pub fn withhold_changes(plan: &mut Plan, live: &LiveState) -> Vec<OperationReport> {
    mark_management_only(live, &mut plan.changes);
    let (withheld, runnable): (Vec<_>, Vec<_>) = std::mem::take(&mut plan.changes)
        .into_iter()
        .partition(|c| c.needs_management_account);
    plan.changes = runnable;
    withheld
        .into_iter()
        .map(|change| OperationReport {
            change,
            outcome: Outcome::NeedsManagementAccount,
            request_id: None,
            duration_seconds: 0.0,
        })
        .collect()
}

/// Takes out of `owned` (ARN → name, what reprovisioning may touch) the
/// permission sets a delegated administrator may not provision, and returns
/// a report for each of those that is out of sync somewhere.
pub fn withhold_reprovisioning(
    owned: &mut BTreeMap<PermissionSetArn, String>,
    live: &LiveState,
) -> Vec<ProvisionReport> {
    let mut withheld = Vec::new();
    for arn in live.management_only_sets() {
        let Some(name) = owned.remove(&arn) else {
            continue;
        };
        if let Some(accounts) = live.not_provisioned.get(&arn).filter(|a| !a.is_empty()) {
            withheld.push(ProvisionReport {
                permission_set_arn: arn.clone(),
                permission_set_name: name,
                accounts: accounts.clone(),
                target: "none: needs the management account".to_owned(),
                outcome: Outcome::NeedsManagementAccount,
                request_id: None,
                skipped: BTreeMap::new(),
            });
        }
    }
    withheld
}

/// Why a withheld change or reprovisioning was not done.
pub fn why_not_done(live: &LiveState, permission_set: &str) -> String {
    let caller = live
        .delegated_administrator()
        .map(|c| c.to_string())
        .unwrap_or_default();
    let mgmt = live
        .org
        .management_account()
        .map(|m| m.to_string())
        .unwrap_or_default();
    format!(
        "not done: these credentials belong to {caller}, a delegated administrator, and only the management account ({mgmt}) \
         may manage permission set {permission_set} or anything in the management account; run apply again with the management \
         account's credentials"
    )
}

/// Rewrites the AccessDenied errors of writes when the caller is a delegated
/// administrator: the likely cause is then not the IAM policy but a
/// permission set provisioned to the management account since the plan was
/// read, which only the management account can manage.
pub fn explain_access_denied(
    live: &LiveState,
    report: &mut ApplyReport,
    provisioned: &mut [ProvisionReport],
) {
    let Some(caller) = live.delegated_administrator() else {
        return;
    };
    let mgmt = live
        .org
        .management_account()
        .map(|m| m.to_string())
        .unwrap_or_default();
    // An sso-admin AccessDenied that does not blame the KMS key: the
    // caller's permissions, or the management account's permission sets.
    let denied = |error: &PortError| {
        error.kind == ErrorKind::AccessDenied
            && !error.is_kms()
            && error.operation.service() == Service::SsoAdmin
    };
    let explain = |error: &PortError, message: &mut String, permission_set: &str| {
        if denied(error) {
            *message = format!(
                "{message}\n      these credentials belong to {caller}, a delegated administrator: if permission set {permission_set} \
                 is now provisioned to the management account ({mgmt}), only the management account's credentials can change it \
                 (in any account), and no IAM policy of yours can allow it"
            );
        }
    };
    for o in &mut report.operations {
        if let Outcome::Error { error, message } = &mut o.outcome {
            explain(error, message, &o.change.permission_set_name);
        }
    }
    for p in provisioned {
        if let Outcome::Error { error, message } = &mut p.outcome {
            explain(error, message, &p.permission_set_name);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ssomatrix_core::ports::Operation;
    use ssomatrix_core::snapshot::Snapshot;

    /// The example organisation as its delegated administrator sees it.
    fn delegated_live() -> LiveState {
        let text = include_str!("../../../examples/org.snapshot.yaml").replacen(
            "\norganization:\n",
            "\ncaller_account_id: '056988977980'\norganization:\n",
            1,
        );
        let live = Snapshot::parse("org.snapshot.yaml", &text)
            .unwrap()
            .to_live_state()
            .unwrap();
        assert!(live.delegated_administrator().is_some());
        live
    }

    fn provisioning_that_failed(error: PortError) -> ProvisionReport {
        ProvisionReport {
            permission_set_arn: PermissionSetArn::new(
                "arn:aws:sso:::permissionSet/ssoins-7ad5ba514d395dd7/ps-995bddfce486539b",
            )
            .unwrap(),
            permission_set_name: "AWSAdministratorAccess".to_owned(),
            accounts: Default::default(),
            target: "ALL_PROVISIONED_ACCOUNTS".to_owned(),
            skipped: Default::default(),
            outcome: Outcome::error(error),
            request_id: None,
        }
    }

    /// Only an sso-admin AccessDenied that does not blame the KMS key can be
    /// the management account's permission set; the explanation is chosen by
    /// the error's kind, operation and reason, not by its wording.
    #[test]
    fn only_sso_admin_access_denied_is_explained() {
        let denied = |op| PortError::new(op, ErrorKind::AccessDenied, "User is not authorized");
        let mut reports = [
            provisioning_that_failed(denied(Operation::ProvisionPermissionSet)),
            provisioning_that_failed(
                denied(Operation::ProvisionPermissionSet).with_reason("KMS_AccessDeniedException"),
            ),
            provisioning_that_failed(denied(Operation::ListUsers)),
            provisioning_that_failed(PortError::new(
                Operation::ProvisionPermissionSet,
                ErrorKind::Conflict,
                "access denied calling sso: lookalike",
            )),
        ];
        explain_access_denied(&delegated_live(), &mut ApplyReport::default(), &mut reports);
        let explained: Vec<bool> = reports
            .iter()
            .map(|r| match &r.outcome {
                Outcome::Error { message, .. } => message.contains("a delegated administrator"),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(explained, [true, false, false, false]);
    }
}
