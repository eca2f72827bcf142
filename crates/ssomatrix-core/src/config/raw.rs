//! The wire form of the assignments file: what serde reads
//! (`deny_unknown_fields`) and what the JSON Schema describes.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Deserializer, Serialize};

/// An ssomatrix assignments file: which groups (and, by exception, users) get
/// which permission sets in which accounts.
#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "ssomatrix assignments file")]
pub struct RawConfig {
    /// Format version of this file. Only 1 exists; it is the default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<u32>,
    /// The IAM Identity Center instance to manage. Needed only when the
    /// account can see more than one instance.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_arn: Option<String>,
    /// The Identity Store of the instance. Discovered from the instance when
    /// absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity_store_id: Option<String>,
    /// What the file owns, that is, which live assignments `apply` may delete.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<RawScope>,
    /// Guard rails for `apply`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub safety: Option<RawSafety>,
    /// The access matrix: each entry gives principals a permission set in the
    /// accounts its targets select. Write `assignments: []` to declare none.
    // `Option` so that a missing or null list gets our own error (a truncated
    // file must not plan as an empty one); the schema still requires a list.
    #[schemars(required, with = "Vec<RawRule>")]
    pub assignments: Option<Vec<RawRule>>,
}

/// Which live assignments the file owns.
#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawScope {
    /// `declared` (the default): the permission sets the file names; every
    /// live assignment of those that the file does not declare is deleted.
    /// `all`: every permission set of the instance. Or a list of permission
    /// set names: only those.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permission_sets: Option<StringOrList>,
    /// Permission set names (globs with `*` and `?`) that are never touched,
    /// e.g. `AWSControlTower*`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exclude: Vec<String>,
}

/// Guard rails for `apply`.
#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawSafety {
    /// `apply` refuses a plan that deletes more assignments than this, unless
    /// run with `--allow-deletes N`. Default 10.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_deletes: Option<u32>,
}

/// One rule of the matrix: principals × permission sets × target accounts.
#[derive(Debug, Clone, Default, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawRule {
    /// An Identity Store group, by display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// Several groups, by display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub groups: Option<Vec<String>>,
    /// An Identity Store user, by user name. An exception: needs `owner` and
    /// `expires`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// Several users, by user name. Needs `owner` and `expires`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub users: Option<Vec<String>>,
    /// A permission set, by name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permission_set: Option<String>,
    /// Several permission sets, by name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permission_sets: Option<Vec<String>>,
    /// OUs, each with all the OUs nested in it: a path of names from the root
    /// (`Workloads/NonProd`), an OU id (`ou-ab12-cdefgh34`), or `_root_` for
    /// every account, the management account too.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ous: Option<Vec<String>>,
    /// Accounts by 12-digit id (quoted) or exact name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accounts: Option<Vec<AccountRefRaw>>,
    /// Accounts whose tags include every one of these key/value pairs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_tags: Option<BTreeMap<String, String>>,
    /// Accounts (id or name) removed from the targets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exclude_accounts: Option<Vec<AccountRefRaw>>,
    /// OUs (path or id) whose accounts are removed from the targets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exclude_ous: Option<Vec<String>>,
    /// Who answers for this exception (required for user rules).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// Last day the rule is in force (YYYY-MM-DD); from the day after, its
    /// assignments are deleted. Required for user rules.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^\d{4}-\d{2}-\d{2}$"))]
    pub expires: Option<String>,
    /// Free text, e.g. the ticket that asked for it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// A single string or a list of strings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(untagged)]
pub enum StringOrList {
    One(String),
    Many(Vec<String>),
}

impl<'de> Deserialize<'de> for StringOrList {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = StringOrList;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string or a list of strings")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<StringOrList, E> {
                Ok(StringOrList::One(v.to_owned()))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<StringOrList, A::Error> {
                let mut out = Vec::new();
                while let Some(s) = seq.next_element::<String>()? {
                    out.push(s);
                }
                Ok(StringOrList::Many(out))
            }
        }
        d.deserialize_any(V)
    }
}

/// An account reference as written. A value YAML reads as something other
/// than a string (an unquoted `123456789012`, `0o17`, `true`) is kept apart:
/// the validator replaces it with its text as written, so that an id means
/// the same quoted or not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(untagged)]
pub enum AccountRefRaw {
    /// A 12-digit account id (quoted) or an exact account name.
    Text(String),
    /// A number or boolean, as serde saw it.
    #[schemars(skip)]
    Unquoted(String),
}

impl<'de> Deserialize<'de> for AccountRefRaw {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = AccountRefRaw;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an account id (a quoted 12-digit string) or an account name")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<AccountRefRaw, E> {
                Ok(AccountRefRaw::Text(v.to_owned()))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<AccountRefRaw, E> {
                Ok(AccountRefRaw::Unquoted(v.to_string()))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<AccountRefRaw, E> {
                Ok(AccountRefRaw::Unquoted(v.to_string()))
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<AccountRefRaw, E> {
                Ok(AccountRefRaw::Unquoted(v.to_string()))
            }
            fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<AccountRefRaw, E> {
                Ok(AccountRefRaw::Unquoted(v.to_string()))
            }
        }
        d.deserialize_any(V)
    }
}
