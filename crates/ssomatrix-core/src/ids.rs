//! Validated identifiers of the AWS objects ssomatrix works with.
//!
//! Each newtype checks its shape at construction, so code that holds an
//! `AccountId` never has to wonder whether it is twelve digits.

use std::collections::BTreeSet;
use std::fmt;
use std::sync::{Mutex, OnceLock};

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

/// Whether `s` can be an identifier the service returned: one line of
/// visible characters. What the service returns is opaque to ssomatrix:
/// emulators shape their ARNs differently from AWS (moto names permission
/// sets `…:instance/ssoins-…/ps-…`), and AWS may extend its own shapes.
fn is_opaque(s: &str) -> bool {
    (1..=2048).contains(&s.len()) && !s.chars().any(|c| c.is_control() || c.is_whitespace())
}

/// The partitions of the sso-admin model's ARN patterns
/// (`arn:(aws|aws-us-gov|aws-cn|aws-iso|aws-iso-b):sso:::…`).
const PARTITIONS: [&str; 5] = ["aws", "aws-us-gov", "aws-cn", "aws-iso", "aws-iso-b"];

/// Whether `s` is `(sso)?ins-` and 16 of `[a-zA-Z0-9-.]`, the instance part
/// of the sso-admin model's `InstanceArn` and `PermissionSetArn` patterns.
fn is_instance_id(s: &str) -> bool {
    let rest = s.strip_prefix("sso").unwrap_or(s);
    rest.strip_prefix("ins-").is_some_and(|id| {
        id.len() == 16
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
    })
}

/// The instance id of an ARN a person typed, checked against the sso-admin
/// model's `InstanceArn` pattern:
/// `arn:(aws|aws-us-gov|aws-cn|aws-iso|aws-iso-b):sso:::instance/(sso)?ins-[a-zA-Z0-9-.]{16}`.
fn is_typed_instance_arn(s: &str) -> bool {
    let Some(rest) = s.strip_prefix("arn:") else {
        return false;
    };
    let Some((partition, rest)) = rest.split_once(':') else {
        return false;
    };
    PARTITIONS.contains(&partition)
        && rest
            .strip_prefix("sso:::instance/")
            .is_some_and(is_instance_id)
}

string_id!(
    /// The ARN of a permission set, as the service returned it (opaque).
    PermissionSetArn,
    "permission set ARN",
    "the ARN of a permission set, one line without spaces",
    is_opaque
);

string_id!(
    /// The ARN of an IAM Identity Center instance, as the service returned it
    /// (opaque); [`InstanceArn::typed`] checks one a person typed.
    InstanceArn,
    "instance ARN",
    "the ARN of an IAM Identity Center instance, one line without spaces",
    is_opaque
);

impl InstanceArn {
    /// Validates an ARN a person typed (a file's `instance_arn`,
    /// `--instance-arn`) strictly, against the pattern of the API model, so
    /// that a typo is caught before any call.
    pub fn typed(value: impl Into<String>) -> Result<Self, IdError> {
        let value = value.into();
        if is_typed_instance_arn(&value) {
            Ok(InstanceArn(value))
        } else {
            Err(IdError {
                kind: "instance ARN",
                value,
                expected: "`arn:aws:sso:::instance/ssoins-` and 16 letters, digits, `-` or `.` \
                           (the partition may also be aws-us-gov, aws-cn, aws-iso or aws-iso-b, \
                           and the id may start `ins-`), e.g. `arn:aws:sso:::instance/ssoins-1234567890abcdef`",
            })
        }
    }
}

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
///
/// AWS adds states from time to time (`State` itself replaced `Status`): a
/// state this build does not know is kept as AWS spelled it, in
/// [`AccountState::Unknown`], and is "not ACTIVE". A read never fails on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AccountState {
    PendingActivation,
    Active,
    Suspended,
    PendingClosure,
    Closed,
    /// A state this build does not know, as AWS spelled it.
    Unknown(&'static str),
}

/// The longest unknown state name kept as it is; longer ones are cut there.
const MAX_STATE_NAME: usize = 64;

/// Keeps one copy of each unknown state name for the life of the process,
/// so that [`AccountState`] stays `Copy`. The names come from AWS or from a
/// snapshot, are at most [`MAX_STATE_NAME`] bytes and few in practice (AWS
/// has added one state in years).
fn intern_state(name: &str) -> &'static str {
    static NAMES: OnceLock<Mutex<BTreeSet<&'static str>>> = OnceLock::new();
    let mut names = NAMES
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    if let Some(known) = names.get(name) {
        return known;
    }
    let leaked: &'static str = Box::leak(name.to_owned().into_boxed_str());
    names.insert(leaked);
    leaked
}

impl AccountState {
    /// The states this build knows, in lifecycle order.
    pub const KNOWN: [AccountState; 5] = [
        AccountState::PendingActivation,
        AccountState::Active,
        AccountState::Suspended,
        AccountState::PendingClosure,
        AccountState::Closed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AccountState::PendingActivation => "PENDING_ACTIVATION",
            AccountState::Active => "ACTIVE",
            AccountState::Suspended => "SUSPENDED",
            AccountState::PendingClosure => "PENDING_CLOSURE",
            AccountState::Closed => "CLOSED",
            AccountState::Unknown(name) => name,
        }
    }

    /// Whether this build knows the state.
    pub fn is_known(self) -> bool {
        !matches!(self, AccountState::Unknown(_))
    }

    /// Maps Organizations' `State`, or the retired `Status` field where `State`
    /// is absent (`SUSPENDED` there means what `SUSPENDED` means in `State`).
    /// Any other value is [`AccountState::Unknown`]: never an error.
    pub fn from_aws(value: &str) -> Self {
        AccountState::KNOWN
            .into_iter()
            .find(|s| s.as_str() == value)
            .unwrap_or_else(|| {
                let cut = value
                    .char_indices()
                    .map(|(i, c)| i + c.len_utf8())
                    .take_while(|end| *end <= MAX_STATE_NAME)
                    .last()
                    .unwrap_or(0);
                AccountState::Unknown(intern_state(&value[..cut]))
            })
    }
}

impl Serialize for AccountState {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for AccountState {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        // A snapshot may hold a state a newer build wrote; it must still
        // look like one, so that a typo of a known state is not taken for it.
        let plausible = !raw.is_empty()
            && raw.len() <= MAX_STATE_NAME
            && raw
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_');
        let state = AccountState::from_aws(&raw);
        if state.is_known() || plausible {
            Ok(state)
        } else {
            Err(serde::de::Error::custom(format!(
                "`{raw}` is not an account state: expected one of {} or another name in capitals and `_`",
                AccountState::KNOWN.map(AccountState::as_str).join(", ")
            )))
        }
    }
}

impl schemars::JsonSchema for AccountState {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "AccountState".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "The lifecycle state of an account, from Organizations' `State` field; a state this version does not know is kept as written and is not ACTIVE.",
            "anyOf": [
                {
                    "enum": ["PENDING_ACTIVATION", "ACTIVE", "SUSPENDED", "PENDING_CLOSURE", "CLOSED"],
                    "type": "string"
                },
                { "type": "string", "pattern": "^[A-Z0-9_]{1,64}$" }
            ]
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
    fn typed_instance_arns_follow_the_api_model_pattern() {
        for ok in [
            "arn:aws:sso:::instance/ssoins-1234567890abcdef",
            "arn:aws:sso:::instance/ins-1234567890abcdef",
            "arn:aws-us-gov:sso:::instance/ssoins-12345678.0-bcdef",
            "arn:aws-iso-b:sso:::instance/ssoins-ABCDEF7890abcdef",
        ] {
            assert!(InstanceArn::typed(ok).is_ok(), "{ok}");
        }
        for bad in [
            "arn:aws:sso:::instance/ssoins-123",
            "arn:aws:sso:::instance/ssoins-1234567890abcdefg",
            "arn:aws:sso:::instance/xins-1234567890abcdef",
            "arn:aws-mars:sso:::instance/ssoins-1234567890abcdef",
            "arn:aws:sso::123456789012:instance/ssoins-1234567890abcdef",
            "arn:aws:sso:::permissionSet/ssoins-1234567890abcdef",
            "arn:aws:sso:::instance/ssoins-1234567890abcde_",
            "ssoins-1234567890abcdef",
        ] {
            assert!(InstanceArn::typed(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn arns_the_service_returns_are_opaque() {
        // moto's shape, LocalStack's, and AWS's: all accepted as returned.
        for arn in [
            "arn:aws:sso:::instance/ssoins-1234567890abcdef/ps-abcdefabcdefabcd",
            "arn:aws:sso:::permissionSet/ssoins-1234567890abcdef/ps-abcdefabcdefabcd",
            "arn:aws:sso:::permissionSet/ins-1/ps-2",
        ] {
            assert!(PermissionSetArn::new(arn).is_ok(), "{arn}");
            assert!(InstanceArn::new(arn).is_ok(), "{arn}");
        }
        for bad in ["", "arn:aws:sso:::x y", "arn\n"] {
            assert!(PermissionSetArn::new(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn unknown_account_states_are_kept_and_not_active() {
        assert_eq!(AccountState::from_aws("SUSPENDED"), AccountState::Suspended);
        let new = AccountState::from_aws("PENDING_MIGRATION");
        assert_eq!(new, AccountState::Unknown("PENDING_MIGRATION"));
        assert!(!new.is_known() && new != AccountState::Active);
        assert_eq!(new.as_str(), "PENDING_MIGRATION");
        // One copy per name, however often it is read.
        let again = AccountState::from_aws(&String::from("PENDING_MIGRATION"));
        assert!(std::ptr::eq(new.as_str(), again.as_str()));
        // A name longer than any state is cut on a character boundary.
        let long = "É".repeat(40);
        assert!(AccountState::from_aws(&long).as_str().len() <= MAX_STATE_NAME);

        let yaml: AccountState = serde_json::from_str("\"PENDING_MIGRATION\"").unwrap();
        assert_eq!(yaml, new);
        assert_eq!(
            serde_json::to_string(&yaml).unwrap(),
            "\"PENDING_MIGRATION\""
        );
        assert!(serde_json::from_str::<AccountState>("\"active\"").is_err());
        assert!(serde_json::from_str::<AccountState>("\"\"").is_err());
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
