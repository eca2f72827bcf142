//! Validated identifiers of the AWS objects ssomatrix works with.
//!
//! Each newtype checks its shape at construction, so code that holds an
//! `AccountId` never has to wonder whether it is twelve digits.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Why a string is not a valid identifier of some kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{value}` is not a valid {kind}: {expected}")]
pub struct IdError {
    pub kind: &'static str,
    pub value: String,
    pub expected: &'static str,
}

macro_rules! string_id {
    ($(#[$doc:meta])* $name:ident, $kind:literal, $expected:literal, $check:expr) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(String);

        impl $name {
            /// Validates `value` and wraps it.
            pub fn new(value: impl Into<String>) -> Result<Self, IdError> {
                let value = value.into();
                let check: fn(&str) -> bool = $check;
                if check(&value) {
                    Ok(Self(value))
                } else {
                    Err(IdError { kind: $kind, value, expected: $expected })
                }
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({:?})", stringify!($name), self.0)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let raw = String::deserialize(d)?;
                Self::new(raw).map_err(serde::de::Error::custom)
            }
        }

        impl schemars::JsonSchema for $name {
            fn schema_name() -> std::borrow::Cow<'static, str> {
                stringify!($name).into()
            }

            fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
                schemars::json_schema!({ "type": "string", "description": $expected })
            }
        }
    };
}

fn is_digits(s: &str, n: usize) -> bool {
    s.len() == n && s.bytes().all(|b| b.is_ascii_digit())
}

fn is_lower_alnum(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
}

string_id!(
    /// A 12-digit AWS account id. Kept as a string: leading zeros matter.
    AccountId,
    "account id",
    "12 digits, e.g. \"012345678901\"",
    |s| is_digits(s, 12)
);

string_id!(
    /// An organizational unit id such as `ou-ab12-cdefgh34`.
    OuId,
    "OU id",
    "`ou-` followed by the root's 4-32 characters, `-` and 8-32 more, e.g. `ou-ab12-cdefgh34`",
    |s| {
        let Some(rest) = s.strip_prefix("ou-") else { return false };
        let mut parts = rest.split('-');
        matches!(
            (parts.next(), parts.next(), parts.next()),
            (Some(a), Some(b), None)
                if (4..=32).contains(&a.len()) && (8..=32).contains(&b.len())
                    && is_lower_alnum(a) && is_lower_alnum(b)
        )
    }
);

string_id!(
    /// The id of an organization root such as `r-ab12`.
    RootId,
    "root id",
    "`r-` followed by 4-32 lower-case letters or digits, e.g. `r-ab12`",
    |s| s.strip_prefix("r-").is_some_and(|r| (4..=32).contains(&r.len()) && is_lower_alnum(r))
);

string_id!(
    /// The ARN of a permission set.
    PermissionSetArn,
    "permission set ARN",
    "an ARN of the form `arn:aws:sso:::permissionSet/ssoins-…/ps-…`",
    |s| s.starts_with("arn:") && s.contains(":permissionSet/") && s.contains("/ps-")
);

string_id!(
    /// The ARN of an IAM Identity Center instance.
    InstanceArn,
    "instance ARN",
    "an ARN of the form `arn:aws:sso:::instance/ssoins-…`",
    |s| s.starts_with("arn:") && s.contains(":instance/ssoins-")
);

string_id!(
    /// The id of an Identity Store such as `d-1234567890`.
    IdentityStoreId,
    "identity store id",
    "an id such as `d-1234567890`",
    |s| (1..=64).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
);

string_id!(
    /// The id of a user or group in the Identity Store.
    PrincipalId,
    "principal id",
    "1-47 characters of letters, digits and `-`",
    |s| (1..=47).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
);

/// Whether a principal is a group or a user, as the assignment APIs spell it.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "UPPERCASE")]
pub enum PrincipalType {
    Group,
    User,
}

impl PrincipalType {
    pub fn as_str(self) -> &'static str {
        match self {
            PrincipalType::Group => "GROUP",
            PrincipalType::User => "USER",
        }
    }

    /// The lower-case word used in prose ("group", "user").
    pub fn noun(self) -> &'static str {
        match self {
            PrincipalType::Group => "group",
            PrincipalType::User => "user",
        }
    }
}

impl fmt::Display for PrincipalType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The lifecycle state of an account, from Organizations' `State` field.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AccountState {
    PendingActivation,
    Active,
    Suspended,
    PendingClosure,
    Closed,
}

impl AccountState {
    pub fn as_str(self) -> &'static str {
        match self {
            AccountState::PendingActivation => "PENDING_ACTIVATION",
            AccountState::Active => "ACTIVE",
            AccountState::Suspended => "SUSPENDED",
            AccountState::PendingClosure => "PENDING_CLOSURE",
            AccountState::Closed => "CLOSED",
        }
    }

    /// Maps Organizations' `State`, or the retired `Status` field where `State`
    /// is absent (`SUSPENDED` there means what `SUSPENDED` means in `State`).
    pub fn from_aws(value: &str) -> Option<Self> {
        Some(match value {
            "PENDING_ACTIVATION" => AccountState::PendingActivation,
            "ACTIVE" => AccountState::Active,
            "SUSPENDED" => AccountState::Suspended,
            "PENDING_CLOSURE" => AccountState::PendingClosure,
            "CLOSED" => AccountState::Closed,
            _ => return None,
        })
    }
}

impl fmt::Display for AccountState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_ids_are_twelve_digits() {
        assert!(AccountId::new("012345678901").is_ok());
        assert!(AccountId::new("12345678901").is_err());
        assert!(AccountId::new("1234567890123").is_err());
        assert!(AccountId::new("12345678901a").is_err());
    }

    #[test]
    fn ou_ids_have_root_and_suffix_parts() {
        assert!(OuId::new("ou-ab12-cdefgh34").is_ok());
        assert!(OuId::new("ou-ab12-cd").is_err());
        assert!(OuId::new("ou-AB12-cdefgh34").is_err());
        assert!(OuId::new("r-ab12").is_err());
    }

    #[test]
    fn id_errors_name_the_kind_and_the_expected_shape() {
        let err = AccountId::new("123").unwrap_err().to_string();
        assert_eq!(
            err,
            "`123` is not a valid account id: 12 digits, e.g. \"012345678901\""
        );
    }
}
