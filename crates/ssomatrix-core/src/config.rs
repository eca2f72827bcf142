//! The assignments file (format version 1): its wire form, which is what the
//! JSON Schema describes, and the validated model the planner uses.
//!
//! Parsing is two steps: serde reads the wire form (`deny_unknown_fields`), then
//! [`Config::from_raw`] checks everything serde cannot and collects every
//! problem with its line instead of stopping at the first.

use std::collections::BTreeMap;
use std::fmt;

use crate::date::Date;
use crate::ids::{AccountId, IdentityStoreId, InstanceArn, OuId, PrincipalType, RootId};
use crate::yaml::{self, Diagnostic, LineIndex};

mod raw;
mod validate;

pub use raw::{AccountRefRaw, RawConfig, RawRule, RawSafety, RawScope, StringOrList};
use validate::Validator;

/// The file format version this build reads.
pub const CONFIG_VERSION: u32 = 1;
/// `safety.max_deletes` when the file does not set it.
pub const DEFAULT_MAX_DELETES: u32 = 10;
/// The OU reference that means every account of the organization.
pub const ROOT_REF: &str = "_root_";

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
