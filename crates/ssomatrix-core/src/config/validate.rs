//! The second step of reading the file: the wire form checked for
//! everything serde cannot check, every problem collected with its line
//! instead of stopping at the first.

use super::{
    AccountRef, AccountRefRaw, CONFIG_VERSION, Config, DEFAULT_MAX_DELETES, Expiry, Located,
    NamedPrincipal, OuRef, ROOT_REF, RawConfig, RawRule, RawScope, Rule, Scope, ScopeSets,
    StringOrList, glob_match,
};
use crate::date::Date;
use crate::ids::{AccountId, IdentityStoreId, InstanceArn, OuId, PrincipalType, RootId};
use crate::yaml::{Diagnostic, LineIndex};

/// A rule's names, checked.
struct Names {
    groups: Vec<Located<String>>,
    users: Vec<Located<String>>,
    permission_sets: Vec<Located<String>>,
}

/// A rule's targets and exclusions, checked.
struct Targets {
    ous: Vec<Located<OuRef>>,
    accounts: Vec<Located<AccountRef>>,
    account_tags: std::collections::BTreeMap<String, String>,
    exclude_accounts: Vec<Located<AccountRef>>,
    exclude_ous: Vec<Located<OuRef>>,
}

pub(super) struct Validator<'a> {
    pub(super) file: &'a str,
    pub(super) lines: &'a LineIndex,
    pub(super) errors: Vec<Diagnostic>,
}

impl Validator<'_> {
    fn err(&mut self, path: &str, message: impl Into<String>) {
        self.errors
            .push(Diagnostic::new(self.file, self.lines.line(path), message));
    }

    pub(super) fn config(&mut self, raw: RawConfig) -> Config {
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

    fn rule(&mut self, index: usize, mut raw: RawRule, scope: &Scope) -> Rule {
        let base = format!("assignments[{index}]");
        let number = index + 1;
        let line = self.lines.line(&base);
        let label = match line {
            Some(l) => format!("rule #{number} (line {l})"),
            None => format!("rule #{number}"),
        };
        let names = self.rule_names(&base, &label, &mut raw, scope);
        let targets = self.targets(&base, &label, &mut raw);
        let expiry = self.expiry(&base, &label, &names.users, &raw);
        let principals = names
            .groups
            .into_iter()
            .map(|l| (PrincipalType::Group, l))
            .chain(names.users.into_iter().map(|l| (PrincipalType::User, l)))
            .map(|(kind, l)| Located {
                value: NamedPrincipal {
                    kind,
                    name: l.value,
                },
                line: l.line,
            })
            .collect();
        Rule {
            number,
            line,
            principals,
            permission_sets: names.permission_sets,
            ous: targets.ous,
            accounts: targets.accounts,
            account_tags: targets.account_tags,
            exclude_accounts: targets.exclude_accounts,
            exclude_ous: targets.exclude_ous,
            expiry,
            description: raw.description,
        }
    }

    /// A rule's groups, users and permission sets: at least one principal
    /// and one permission set, none of them excluded by the scope.
    fn rule_names(&mut self, base: &str, label: &str, raw: &mut RawRule, scope: &Scope) -> Names {
        let groups = self.names(base, "group", raw.group.take(), "groups", raw.groups.take());
        let users = self.names(base, "user", raw.user.take(), "users", raw.users.take());
        let permission_sets = self.names(
            base,
            "permission_set",
            raw.permission_set.take(),
            "permission_sets",
            raw.permission_sets.take(),
        );
        if groups.is_empty() && users.is_empty() {
            self.err(
                base,
                format!(
                    "{label} has no principal; add `group: NAME` (or `groups`, `user`, `users`)"
                ),
            );
        }
        if permission_sets.is_empty() {
            self.err(base, format!("{label} has no permission set; add `permission_set: NAME` (or `permission_sets`)"));
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
        Names {
            groups,
            users,
            permission_sets,
        }
    }

    /// A rule's targets and exclusions: at least one target.
    fn targets(&mut self, base: &str, label: &str, raw: &mut RawRule) -> Targets {
        let wrote_targets = raw.ous.as_ref().is_some_and(|v| !v.is_empty())
            || raw.accounts.as_ref().is_some_and(|v| !v.is_empty())
            || raw.account_tags.as_ref().is_some_and(|v| !v.is_empty());
        let targets = Targets {
            ous: self.ou_refs(base, "ous", raw.ous.take()),
            accounts: self.account_refs(base, "accounts", raw.accounts.take()),
            account_tags: raw.account_tags.take().unwrap_or_default(),
            exclude_accounts: self.account_refs(
                base,
                "exclude_accounts",
                raw.exclude_accounts.take(),
            ),
            exclude_ous: self.ou_refs(base, "exclude_ous", raw.exclude_ous.take()),
        };
        if !wrote_targets {
            self.err(
                base,
                format!("{label} has no target; add `ous`, `accounts` or `account_tags`"),
            );
        }
        targets
    }

    /// A rule's end date, which a rule that assigns users must have, with
    /// an owner.
    fn expiry(
        &mut self,
        base: &str,
        label: &str,
        users: &[Located<String>],
        raw: &RawRule,
    ) -> Option<Expiry> {
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
                    base,
                    format!(
                        "{label} assigns user {who} but has no `owner`; user assignments are exceptions: \
                         add `owner: <who answers for it>` and `expires: YYYY-MM-DD`"
                    ),
                );
            }
            if raw.expires.is_none() {
                self.err(
                    base,
                    format!(
                        "{label} assigns user {who} but has no `expires`; user assignments are exceptions: \
                         add `expires: YYYY-MM-DD` (the last day they are in force)"
                    ),
                );
            }
        }
        expires.map(|expires| Expiry {
            owner: raw.owner.clone(),
            expires,
        })
    }
}
