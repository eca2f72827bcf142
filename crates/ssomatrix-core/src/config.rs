//! The assignments file (format version 1): its wire form, which is what the
//! JSON Schema describes, and the validated model the planner uses.
//!
//! Parsing is two steps: serde reads the wire form (`deny_unknown_fields`), then
//! [`Config::from_raw`] checks everything serde cannot and collects every
//! problem with its line instead of stopping at the first.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Deserializer, Serialize};

use crate::date::Date;
use crate::ids::{AccountId, IdentityStoreId, InstanceArn, OuId, PrincipalType, RootId};
use crate::yaml::{self, Diagnostic, LineIndex};

/// The file format version this build reads.
pub const CONFIG_VERSION: u32 = 1;
/// `safety.max_deletes` when the file does not set it.
pub const DEFAULT_MAX_DELETES: u32 = 10;
/// The OU reference that means every account of the organization.
pub const ROOT_REF: &str = "_root_";

// ---------------------------------------------------------------------------
// Wire form
// ---------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------
// Validated model
// ---------------------------------------------------------------------------

/// A value with the line it came from.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Located<T> {
    pub value: T,
    pub line: Option<usize>,
}

/// How a rule names OUs.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum OuRef {
    /// `_root_`: every account.
    Root,
    /// A root id (`r-ab12`): every account, once it is the organization's
    /// root (a mistyped root id must not select the whole organization).
    RootId(RootId),
    Id(OuId),
    /// Names from the root, e.g. `["Workloads", "NonProd"]`.
    Path(String),
}

impl fmt::Display for OuRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OuRef::Root => f.write_str(ROOT_REF),
            OuRef::RootId(id) => write!(f, "{id}"),
            OuRef::Id(id) => write!(f, "{id}"),
            OuRef::Path(p) => f.write_str(p),
        }
    }
}

/// How a rule names accounts.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum AccountRef {
    Id(AccountId),
    Name(String),
}

impl fmt::Display for AccountRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AccountRef::Id(id) => write!(f, "{id}"),
            AccountRef::Name(n) => f.write_str(n),
        }
    }
}

/// A principal named by a rule.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct NamedPrincipal {
    pub kind: PrincipalType,
    pub name: String,
}

/// The owner and end date of a rule that is an exception.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expiry {
    pub owner: Option<String>,
    pub expires: Date,
}

/// One validated rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// 1-based position in `assignments`.
    pub number: usize,
    pub line: Option<usize>,
    pub principals: Vec<Located<NamedPrincipal>>,
    pub permission_sets: Vec<Located<String>>,
    pub ous: Vec<Located<OuRef>>,
    pub accounts: Vec<Located<AccountRef>>,
    pub account_tags: BTreeMap<String, String>,
    pub exclude_accounts: Vec<Located<AccountRef>>,
    pub exclude_ous: Vec<Located<OuRef>>,
    pub expiry: Option<Expiry>,
    pub description: Option<String>,
}

impl Rule {
    /// How plans and errors name the rule: `rule #3 (line 12)`.
    pub fn label(&self) -> String {
        match self.line {
            Some(line) => format!("rule #{} (line {line})", self.number),
            None => format!("rule #{}", self.number),
        }
    }
}

/// Which permission sets the file owns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScopeSets {
    Declared,
    All,
    Named(Vec<Located<String>>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    pub permission_sets: ScopeSets,
    /// Globs of permission set names never touched, with their lines.
    pub exclude: Vec<Located<String>>,
}

impl Scope {
    pub fn is_excluded(&self, permission_set_name: &str) -> bool {
        self.exclude
            .iter()
            .any(|g| glob_match(&g.value, permission_set_name))
    }
}

/// A validated assignments file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// The file name, for messages.
    pub file: String,
    pub instance_arn: Option<InstanceArn>,
    pub identity_store_id: Option<IdentityStoreId>,
    pub scope: Scope,
    pub max_deletes: u32,
    pub rules: Vec<Rule>,
}

/// Every problem of a file that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", .0.iter().map(|d| d.to_string()).collect::<Vec<_>>().join("\n"))]
pub struct ConfigError(pub Vec<Diagnostic>);

impl Config {
    /// Parses and validates the text of an assignments file.
    pub fn parse(file: &str, text: &str) -> Result<Self, ConfigError> {
        let doc = yaml::parse::<RawConfig>(file, text).map_err(ConfigError)?;
        Config::from_raw(file, doc.value, &doc.lines)
    }

    /// Validates the wire form, collecting every problem.
    pub fn from_raw(file: &str, raw: RawConfig, lines: &LineIndex) -> Result<Self, ConfigError> {
        let mut v = Validator {
            file,
            lines,
            errors: Vec::new(),
        };
        let config = v.config(raw);
        if v.errors.is_empty() {
            Ok(config)
        } else {
            v.errors.sort_by_key(|d| d.line.unwrap_or(0));
            Err(ConfigError(v.errors))
        }
    }

    /// Permission set names the rules name, in file order, without repeats.
    pub fn declared_permission_sets(&self) -> Vec<&str> {
        let mut seen = std::collections::BTreeSet::new();
        self.rules
            .iter()
            .flat_map(|r| r.permission_sets.iter())
            .map(|p| p.value.as_str())
            .filter(|n| seen.insert(*n))
            .collect()
    }

    /// Whether any rule selects accounts by tag (tags are then read).
    pub fn uses_account_tags(&self) -> bool {
        self.rules.iter().any(|r| !r.account_tags.is_empty())
    }
}

struct Validator<'a> {
    file: &'a str,
    lines: &'a LineIndex,
    errors: Vec<Diagnostic>,
}

impl Validator<'_> {
    fn err(&mut self, path: &str, message: impl Into<String>) {
        self.errors
            .push(Diagnostic::new(self.file, self.lines.line(path), message));
    }

    fn config(&mut self, raw: RawConfig) -> Config {
        if let Some(version) = raw.version
            && version != CONFIG_VERSION
        {
            self.err(
                "version",
                format!("file format version {version} is not supported; this build reads `version: {CONFIG_VERSION}`"),
            );
        }
        let instance_arn = raw.instance_arn.and_then(|s| match InstanceArn::typed(s) {
            Ok(a) => Some(a),
            Err(e) => {
                self.err("instance_arn", e.to_string());
                None
            }
        });
        let identity_store_id = raw
            .identity_store_id
            .and_then(|s| match IdentityStoreId::new(s) {
                Ok(a) => Some(a),
                Err(e) => {
                    self.err("identity_store_id", e.to_string());
                    None
                }
            });
        let scope = self.scope(raw.scope);
        let max_deletes = raw
            .safety
            .and_then(|s| s.max_deletes)
            .unwrap_or(DEFAULT_MAX_DELETES);
        let rules = match raw.assignments {
            Some(list) => list
                .into_iter()
                .enumerate()
                .map(|(i, r)| self.rule(i, r, &scope))
                .collect(),
            None => {
                self.err(
                    "assignments",
                    "`assignments` is missing or empty; list the rules under it, or write `assignments: []` \
                     to declare none (a truncated file must not look like an empty one)",
                );
                Vec::new()
            }
        };
        if rules.is_empty() && scope.permission_sets == ScopeSets::All {
            self.err(
                "scope.permission_sets",
                "`scope.permission_sets: all` with no assignments would delete every assignment of the instance; \
                 declare the assignments to keep, or narrow the scope",
            );
        }
        Config {
            file: self.file.to_owned(),
            instance_arn,
            identity_store_id,
            scope,
            max_deletes,
            rules,
        }
    }

    fn scope(&mut self, raw: Option<RawScope>) -> Scope {
        let Some(raw) = raw else {
            return Scope {
                permission_sets: ScopeSets::Declared,
                exclude: Vec::new(),
            };
        };
        let permission_sets = match raw.permission_sets {
            None => ScopeSets::Declared,
            Some(StringOrList::One(s)) if s == "declared" => ScopeSets::Declared,
            Some(StringOrList::One(s)) if s == "all" => ScopeSets::All,
            Some(StringOrList::One(s)) => {
                self.err(
                    "scope.permission_sets",
                    format!(
                        "`scope.permission_sets: {s}` is not a scope; write `declared` (the default), `all`, \
                         or a list of permission set names"
                    ),
                );
                ScopeSets::Declared
            }
            Some(StringOrList::Many(names)) => ScopeSets::Named(
                names
                    .into_iter()
                    .enumerate()
                    .map(|(i, value)| {
                        let path = format!("scope.permission_sets[{i}]");
                        if value.trim().is_empty() {
                            self.err(
                                &path,
                                "empty permission set name in `scope.permission_sets`",
                            );
                        }
                        Located {
                            value,
                            line: self.lines.line(&path),
                        }
                    })
                    .collect(),
            ),
        };
        let mut exclude = Vec::new();
        for (i, g) in raw.exclude.into_iter().enumerate() {
            let path = format!("scope.exclude[{i}]");
            if g.trim().is_empty() {
                self.err(&path, "empty pattern in `scope.exclude`");
                continue;
            }
            exclude.push(Located {
                value: g,
                line: self.lines.line(&path),
            });
        }
        Scope {
            permission_sets,
            exclude,
        }
    }

    fn names(
        &mut self,
        base: &str,
        one_key: &str,
        one: Option<String>,
        many_key: &str,
        many: Option<Vec<String>>,
    ) -> Vec<Located<String>> {
        let mut out = Vec::new();
        if one.is_some() && many.is_some() {
            self.err(
                &format!("{base}.{many_key}"),
                format!("use either `{one_key}` or `{many_key}` in one rule, not both"),
            );
        }
        if let Some(v) = one {
            out.push((format!("{base}.{one_key}"), v));
        }
        for (i, v) in many.into_iter().flatten().enumerate() {
            out.push((format!("{base}.{many_key}[{i}]"), v));
        }
        let mut located = Vec::new();
        for (path, value) in out {
            if value.trim().is_empty() {
                self.err(
                    &path,
                    format!(
                        "empty name in `{}`",
                        path.rsplit('.').next().unwrap_or(&path)
                    ),
                );
                continue;
            }
            let line = self.lines.line(&path);
            if located.iter().any(|l: &Located<String>| l.value == value) {
                self.err(&path, format!("`{value}` is listed twice in one rule"));
                continue;
            }
            located.push(Located { value, line });
        }
        located
    }

    fn ou_refs(&mut self, base: &str, key: &str, raw: Option<Vec<String>>) -> Vec<Located<OuRef>> {
        let mut out = Vec::new();
        for (i, s) in raw.into_iter().flatten().enumerate() {
            let path = format!("{base}.{key}[{i}]");
            let line = self.lines.line(&path);
            let value = if s == ROOT_REF {
                OuRef::Root
            } else if let Some(id) = s
                .starts_with("r-")
                .then(|| RootId::new(s.as_str()).ok())
                .flatten()
            {
                OuRef::RootId(id)
            } else if s.starts_with("ou-") {
                match OuId::new(s.as_str()) {
                    Ok(id) => OuRef::Id(id),
                    Err(e) => {
                        self.err(&path, e.to_string());
                        continue;
                    }
                }
            } else if s.is_empty() || s.split('/').any(|seg| seg.trim().is_empty()) {
                self.err(
                    &path,
                    format!(
                        "`{s}` is not an OU reference; write a path of OU names from the root \
                         (`Workloads/NonProd`), an OU id (`ou-ab12-cdefgh34`) or `{ROOT_REF}`"
                    ),
                );
                continue;
            } else {
                OuRef::Path(s)
            };
            out.push(Located { value, line });
        }
        out
    }

    fn account_refs(
        &mut self,
        base: &str,
        key: &str,
        raw: Option<Vec<AccountRefRaw>>,
    ) -> Vec<Located<AccountRef>> {
        let mut out = Vec::new();
        for (i, r) in raw.into_iter().flatten().enumerate() {
            let path = format!("{base}.{key}[{i}]");
            let line = self.lines.line(&path);
            // An unquoted value means what its text says: YAML's number
            // conversion (which reads `0o17` as 15) must not change which
            // account is meant, so quoted and unquoted behave the same.
            let text = match r {
                AccountRefRaw::Text(s) => s,
                AccountRefRaw::Unquoted(n) => {
                    self.lines.plain_number(&path).map_or(n, str::to_owned)
                }
            };
            let value = if text.trim().is_empty() {
                self.err(&path, format!("empty account reference in `{key}`"));
                continue;
            } else if text.bytes().all(|b| b.is_ascii_digit()) {
                match AccountId::new(text) {
                    Ok(id) => AccountRef::Id(id),
                    Err(e) => {
                        self.err(&path, e.to_string());
                        continue;
                    }
                }
            } else {
                AccountRef::Name(text)
            };
            out.push(Located { value, line });
        }
        out
    }

    fn rule(&mut self, index: usize, raw: RawRule, scope: &Scope) -> Rule {
        let base = format!("assignments[{index}]");
        let number = index + 1;
        let line = self.lines.line(&base);
        let label = match line {
            Some(l) => format!("rule #{number} (line {l})"),
            None => format!("rule #{number}"),
        };
        let groups = self.names(&base, "group", raw.group, "groups", raw.groups);
        let users = self.names(&base, "user", raw.user, "users", raw.users);
        let permission_sets = self.names(
            &base,
            "permission_set",
            raw.permission_set,
            "permission_sets",
            raw.permission_sets,
        );
        if groups.is_empty() && users.is_empty() {
            self.err(
                &base,
                format!(
                    "{label} has no principal; add `group: NAME` (or `groups`, `user`, `users`)"
                ),
            );
        }
        if permission_sets.is_empty() {
            self.err(&base, format!("{label} has no permission set; add `permission_set: NAME` (or `permission_sets`)"));
        }
        for ps in &permission_sets {
            if let Some(glob) = scope
                .exclude
                .iter()
                .find(|g| glob_match(&g.value, &ps.value))
            {
                let glob = &glob.value;
                self.errors.push(Diagnostic::new(
                    self.file,
                    ps.line,
                    format!(
                        "permission set `{}` matches `scope.exclude` pattern `{glob}`, which ssomatrix never touches; \
                         remove the rule or the pattern",
                        ps.value
                    ),
                ));
            }
        }
        let wrote_targets = raw.ous.as_ref().is_some_and(|v| !v.is_empty())
            || raw.accounts.as_ref().is_some_and(|v| !v.is_empty())
            || raw.account_tags.as_ref().is_some_and(|v| !v.is_empty());
        let ous = self.ou_refs(&base, "ous", raw.ous);
        let accounts = self.account_refs(&base, "accounts", raw.accounts);
        let account_tags = raw.account_tags.unwrap_or_default();
        let exclude_accounts = self.account_refs(&base, "exclude_accounts", raw.exclude_accounts);
        let exclude_ous = self.ou_refs(&base, "exclude_ous", raw.exclude_ous);
        if !wrote_targets {
            self.err(
                &base,
                format!("{label} has no target; add `ous`, `accounts` or `account_tags`"),
            );
        }
        let expires = raw.expires.as_deref().and_then(|s| match Date::parse(s) {
            Ok(d) => Some(d),
            Err(e) => {
                self.err(&format!("{base}.expires"), e.to_string());
                None
            }
        });
        if !users.is_empty() {
            let who = users
                .iter()
                .map(|u| format!("`{}`", u.value))
                .collect::<Vec<_>>()
                .join(", ");
            if raw.owner.as_deref().is_none_or(|o| o.trim().is_empty()) {
                self.err(
                    &base,
                    format!(
                        "{label} assigns user {who} but has no `owner`; user assignments are exceptions: \
                         add `owner: <who answers for it>` and `expires: YYYY-MM-DD`"
                    ),
                );
            }
            if raw.expires.is_none() {
                self.err(
                    &base,
                    format!(
                        "{label} assigns user {who} but has no `expires`; user assignments are exceptions: \
                         add `expires: YYYY-MM-DD` (the last day they are in force)"
                    ),
                );
            }
        }
        let principals = groups
            .into_iter()
            .map(|l| Located {
                value: NamedPrincipal {
                    kind: PrincipalType::Group,
                    name: l.value,
                },
                line: l.line,
            })
            .chain(users.into_iter().map(|l| Located {
                value: NamedPrincipal {
                    kind: PrincipalType::User,
                    name: l.value,
                },
                line: l.line,
            }))
            .collect();
        Rule {
            number,
            line,
            principals,
            permission_sets,
            ous,
            accounts,
            account_tags,
            exclude_accounts,
            exclude_ous,
            expiry: expires.map(|expires| Expiry {
                owner: raw.owner,
                expires,
            }),
            description: raw.description,
        }
    }
}

/// Matches `name` against a glob where `*` is any run of characters and `?`
/// any one character.
pub fn glob_match(pattern: &str, name: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    let (mut pi, mut ni) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while ni < n.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == n[ni]) {
            pi += 1;
            ni += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ni;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ni = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errors(text: &str) -> Vec<String> {
        Config::parse("a.yaml", text)
            .unwrap_err()
            .0
            .iter()
            .map(|d| d.to_string())
            .collect()
    }

    #[test]
    fn the_seed_format_parses_unchanged() {
        let text = "assignments:\n- group: aws-team-a-engineers\n  permission_set: AppDeveloper\n  ous: [Workloads/NonProd]\n- group: aws-finops\n  permission_set: BillingViewer\n  ous: [_root_]\n";
        let c = Config::parse("seed.yaml", text).unwrap();
        assert_eq!(c.rules.len(), 2);
        assert_eq!(
            c.rules[0].ous[0].value,
            OuRef::Path("Workloads/NonProd".into())
        );
        assert_eq!(c.rules[1].ous[0].value, OuRef::Root);
        assert_eq!(c.rules[1].line, Some(5));
        assert_eq!(c.max_deletes, DEFAULT_MAX_DELETES);
    }

    #[test]
    fn every_error_is_reported_at_once_with_lines() {
        let text = "assignments:\n  - group: g\n    permission_set: P\n  - user: bob\n    permission_set: P\n    accounts: [\"123\"]\n  - group: g\n    permission_set: P\n    ous: [ou-bad]\n    expires: 2026-02-30\n";
        let errs = errors(text);
        assert_eq!(
            errs,
            vec![
                "a.yaml:2: rule #1 (line 2) has no target; add `ous`, `accounts` or `account_tags`",
                "a.yaml:4: rule #2 (line 4) assigns user `bob` but has no `owner`; user assignments are exceptions: add `owner: <who answers for it>` and `expires: YYYY-MM-DD`",
                "a.yaml:4: rule #2 (line 4) assigns user `bob` but has no `expires`; user assignments are exceptions: add `expires: YYYY-MM-DD` (the last day they are in force)",
                "a.yaml:6: `123` is not a valid account id: 12 digits, e.g. \"012345678901\"",
                "a.yaml:9: `ou-bad` is not a valid OU id: `ou-` followed by the root's 4-32 characters, `-` and 8-32 more, e.g. `ou-ab12-cdefgh34`",
                "a.yaml:10: `2026-02-30` is not a date; write it as YYYY-MM-DD, e.g. 2026-12-31",
            ]
        );
    }

    #[test]
    fn unknown_keys_name_the_key_and_the_line() {
        let errs = errors("assignments:\n  - group: g\n    permission_sets: [P]\n    ou: [X]\n");
        assert_eq!(errs.len(), 1);
        assert!(
            errs[0].starts_with("a.yaml:4: assignments[0]: unknown field `ou`"),
            "{errs:?}"
        );
    }

    #[test]
    fn account_ids_mean_the_same_quoted_or_not() {
        let refs = |list: &str| {
            let text = format!(
                "assignments:\n  - group: g\n    permission_set: P\n    accounts: {list}\n    exclude_accounts: {list}\n"
            );
            match Config::parse("a.yaml", &text) {
                Ok(c) => Ok((
                    c.rules[0].accounts.clone(),
                    c.rules[0].exclude_accounts.clone(),
                )),
                Err(e) => Err(e.to_string()),
            }
        };
        let pairs = [
            ("[123456789012]", "[\"123456789012\"]"),
            ("[012345678901]", "['012345678901']"),
            ("[012345670123]", "[\"012345670123\"]"),
            ("[0o17]", "[\"0o17\"]"),
            ("[0x1F]", "[\"0x1F\"]"),
            ("[12345678901]", "[\"12345678901\"]"),
            ("[1.5e3]", "[\"1.5e3\"]"),
            ("[true]", "[\"true\"]"),
            ("[-123456789012]", "[\"-123456789012\"]"),
        ];
        for (plain, quoted) in pairs {
            assert_eq!(refs(plain), refs(quoted), "{plain} vs {quoted}");
        }
        let (accounts, _) = refs("[012345678901, 123456789012]").unwrap();
        assert_eq!(
            accounts
                .iter()
                .map(|a| a.value.to_string())
                .collect::<Vec<_>>(),
            ["012345678901", "123456789012"]
        );
        assert!(matches!(accounts[1].value, AccountRef::Id(_)));
    }

    #[test]
    fn a_missing_assignment_list_is_an_error_but_an_empty_one_is_not() {
        assert!(errors("assignments:\n")[0].contains("`assignments` is missing or empty"));
        assert!(errors("scope:\n  exclude: [X]\n")[0].contains("`assignments` is missing"));
        assert!(Config::parse("a.yaml", "assignments: []\n").is_ok());
        assert!(
            errors("scope:\n  permission_sets: all\nassignments: []\n")[0]
                .contains("would delete every assignment")
        );
    }

    #[test]
    fn globs_match_like_shells_do() {
        assert!(glob_match("AWSControlTower*", "AWSControlTowerAdmin"));
        assert!(glob_match("*Admin", "AWSControlTowerAdmin"));
        assert!(glob_match("A?S*", "AWSReadOnly"));
        assert!(!glob_match("AWSControlTower*", "Admin"));
        assert!(glob_match("*", ""));
        assert!(!glob_match("a", ""));
    }
}
