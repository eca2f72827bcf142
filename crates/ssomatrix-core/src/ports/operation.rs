//! The AWS operations ssomatrix calls, as one closed set: each names its
//! service, its API name and the IAM action a policy has to allow. Every
//! other crate names operations through this type, so a misspelt operation
//! is a compile error rather than a fault plan that injects nothing or a
//! policy check that checks nothing.

use std::fmt;
use std::str::FromStr;

/// The AWS services behind the ports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Service {
    /// IAM Identity Center administration (`sso-admin`).
    SsoAdmin,
    /// The Identity Store (`identitystore`).
    IdentityStore,
    /// AWS Organizations (`organizations`).
    Organizations,
    /// AWS Security Token Service (`sts`).
    Sts,
}

impl Service {
    pub const ALL: [Service; 4] = [
        Service::SsoAdmin,
        Service::IdentityStore,
        Service::Organizations,
        Service::Sts,
    ];

    /// The prefix of the service's IAM actions (the Service Authorization
    /// Reference's "service prefix"). sso-admin's is `sso`, not its SDK name.
    pub fn iam_prefix(self) -> &'static str {
        match self {
            Service::SsoAdmin => "sso",
            Service::IdentityStore => "identitystore",
            Service::Organizations => "organizations",
            Service::Sts => "sts",
        }
    }
}

impl fmt::Display for Service {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.iam_prefix())
    }
}

/// Declares [`Operation`] from one table, so that a variant, its service
/// and its IAM action cannot be listed in one place and forgotten in another.
macro_rules! operations {
    ($($service:ident => { $($(#[$doc:meta])* $op:ident = $action:literal,)* })*) => {
        /// An AWS API operation ssomatrix calls. Its text form
        /// ([`fmt::Display`], [`FromStr`]) is the IAM action
        /// (`sso:CreateAccountAssignment`).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Operation {
            $($($(#[$doc])* $op,)*)*
        }

        impl Operation {
            /// Every operation, grouped by service.
            pub const ALL: &'static [Operation] = &[$($(Operation::$op,)*)*];

            pub fn service(self) -> Service {
                match self {
                    $($(Operation::$op => Service::$service,)*)*
                }
            }

            /// The API name (`CreateAccountAssignment`).
            pub fn api_name(self) -> &'static str {
                match self {
                    $($(Operation::$op => stringify!($op),)*)*
                }
            }

            /// The IAM action that allows the operation
            /// (`sso:CreateAccountAssignment`).
            pub fn iam_action(self) -> &'static str {
                match self {
                    $($(Operation::$op => $action,)*)*
                }
            }
        }
    };
}

operations! {
    SsoAdmin => {
        ListInstances = "sso:ListInstances",
        ListPermissionSets = "sso:ListPermissionSets",
        DescribePermissionSet = "sso:DescribePermissionSet",
        ListAccountsForProvisionedPermissionSet = "sso:ListAccountsForProvisionedPermissionSet",
        ListPermissionSetsProvisionedToAccount = "sso:ListPermissionSetsProvisionedToAccount",
        ListAccountAssignments = "sso:ListAccountAssignments",
        ListAccountAssignmentsForPrincipal = "sso:ListAccountAssignmentsForPrincipal",
        CreateAccountAssignment = "sso:CreateAccountAssignment",
        DeleteAccountAssignment = "sso:DeleteAccountAssignment",
        DescribeAccountAssignmentCreationStatus = "sso:DescribeAccountAssignmentCreationStatus",
        DescribeAccountAssignmentDeletionStatus = "sso:DescribeAccountAssignmentDeletionStatus",
        ListAccountAssignmentCreationStatus = "sso:ListAccountAssignmentCreationStatus",
        ListAccountAssignmentDeletionStatus = "sso:ListAccountAssignmentDeletionStatus",
        ProvisionPermissionSet = "sso:ProvisionPermissionSet",
        DescribePermissionSetProvisioningStatus = "sso:DescribePermissionSetProvisioningStatus",
    }
    IdentityStore => {
        GetGroupId = "identitystore:GetGroupId",
        GetUserId = "identitystore:GetUserId",
        DescribeGroup = "identitystore:DescribeGroup",
        DescribeUser = "identitystore:DescribeUser",
        ListGroups = "identitystore:ListGroups",
        ListUsers = "identitystore:ListUsers",
        ListGroupMemberships = "identitystore:ListGroupMemberships",
    }
    Organizations => {
        DescribeOrganization = "organizations:DescribeOrganization",
        ListRoots = "organizations:ListRoots",
        ListOrganizationalUnitsForParent = "organizations:ListOrganizationalUnitsForParent",
        ListAccountsForParent = "organizations:ListAccountsForParent",
        ListTagsForResource = "organizations:ListTagsForResource",
        ListParents = "organizations:ListParents",
        DescribeOrganizationalUnit = "organizations:DescribeOrganizationalUnit",
        DescribeAccount = "organizations:DescribeAccount",
        ListAccounts = "organizations:ListAccounts",
    }
    Sts => {
        GetCallerIdentity = "sts:GetCallerIdentity",
    }
}

impl Operation {
    /// Whether the operation changes the instance: what a read-only role
    /// (plan, drift) must not be allowed.
    pub fn is_write(self) -> bool {
        matches!(
            self,
            Operation::CreateAccountAssignment
                | Operation::DeleteAccountAssignment
                | Operation::ProvisionPermissionSet
        )
    }

    /// Whether an IAM policy has to allow the operation. STS answers
    /// `GetCallerIdentity` whatever the policies say, even when one denies it.
    pub fn needs_permission(self) -> bool {
        self != Operation::GetCallerIdentity
    }

    /// The operations of `service`.
    pub fn of(service: Service) -> impl Iterator<Item = Operation> {
        Operation::ALL
            .iter()
            .copied()
            .filter(move |op| op.service() == service)
    }
}

impl From<Operation> for Service {
    fn from(op: Operation) -> Self {
        op.service()
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.iam_action())
    }
}

/// A text that names no [`Operation`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown AWS operation `{0}`; name one by its IAM action, such as `sso:ListAccountAssignments`"
)]
pub struct UnknownOperation(pub String);

impl FromStr for Operation {
    type Err = UnknownOperation;

    /// Parses an IAM action (`sso:ListAccountAssignments`), exactly as
    /// [`Operation::iam_action`] spells it.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Operation::ALL
            .iter()
            .copied()
            .find(|op| op.iam_action() == s)
            .ok_or_else(|| UnknownOperation(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_is_its_service_prefix_and_api_name() {
        for op in Operation::ALL {
            let want = format!("{}:{}", op.service().iam_prefix(), op.api_name());
            assert_eq!(op.iam_action(), want);
        }
    }

    #[test]
    fn the_text_form_of_every_operation_round_trips() {
        for op in Operation::ALL {
            assert_eq!(op.to_string().parse::<Operation>(), Ok(*op));
        }
        let mut seen: Vec<_> = Operation::ALL.iter().map(|o| o.iam_action()).collect();
        seen.sort_unstable();
        seen.dedup();
        assert_eq!(
            seen.len(),
            Operation::ALL.len(),
            "two operations share an action"
        );
    }

    #[test]
    fn an_unknown_or_misspelt_name_is_rejected() {
        for bad in [
            "sso:ListAccountAssignment",
            "sso-admin:ListInstances",
            "ListInstances",
            "sso:",
            "*",
            "SSO:ListInstances",
            "",
        ] {
            let err = bad.parse::<Operation>().unwrap_err();
            assert_eq!(err, UnknownOperation(bad.to_owned()));
            assert!(err.to_string().contains("unknown AWS operation"), "{err}");
        }
    }

    #[test]
    fn every_service_has_operations_and_every_operation_one_service() {
        let total: usize = Service::ALL.iter().map(|s| Operation::of(*s).count()).sum();
        assert_eq!(total, Operation::ALL.len());
        assert!(
            Service::ALL
                .iter()
                .all(|s| Operation::of(*s).next().is_some())
        );
    }
}
