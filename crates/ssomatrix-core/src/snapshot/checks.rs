//! What a snapshot must say consistently, checked after it is read: a
//! snapshot stands in for AWS, so a contradiction in it (two permission sets
//! with one name, an id that is both a user and a group, an assignment of an
//! account the organization does not have) would otherwise become a plan
//! that AWS itself could never produce.

use std::collections::{BTreeMap, BTreeSet};

use super::{SNAPSHOT_FORMAT_VERSION, Snapshot};
use crate::ids::{OuId, PrincipalType};
use crate::org::{NodeId, OrgError};
use crate::yaml::{Diagnostic, LineIndex};

struct Checker<'a> {
    file: &'a str,
    lines: &'a LineIndex,
    errors: Vec<Diagnostic>,
}

impl Checker<'_> {
    fn err(&mut self, path: &str, message: String) {
        self.errors
            .push(Diagnostic::new(self.file, self.lines.line(path), message));
    }

    /// `line 12`, or `an unknown line`.
    fn at(&self, path: &str) -> String {
        match self.lines.line(path) {
            Some(l) => format!("line {l}"),
            None => "an unknown line".to_owned(),
        }
    }

    /// Reports every key that occurs more than once in `items` (given with
    /// their paths), naming the lines of all occurrences.
    fn duplicates<'k>(
        &mut self,
        items: impl IntoIterator<Item = (String, &'k str)>,
        what: &str,
        why: &str,
    ) {
        let mut seen: BTreeMap<&str, Vec<String>> = BTreeMap::new();
        for (path, key) in items {
            seen.entry(key).or_default().push(path);
        }
        for (key, paths) in seen {
            if paths.len() < 2 {
                continue;
            }
            let lines = paths
                .iter()
                .map(|p| self.at(p))
                .collect::<Vec<_>>()
                .join(", ");
            self.err(
                &paths[1],
                format!(
                    "{what} `{key}` appears {} times ({lines}); {why}",
                    paths.len()
                ),
            );
        }
    }
}

/// Every inconsistency of `s`, each with its line.
pub(super) fn check(file: &str, s: &Snapshot, lines: &LineIndex) -> Vec<Diagnostic> {
    let mut c = Checker {
        file,
        lines,
        errors: Vec::new(),
    };
    if s.format_version != SNAPSHOT_FORMAT_VERSION {
        c.err(
            "format_version",
            format!(
                "snapshot format_version {} is not supported; this build reads version {SNAPSHOT_FORMAT_VERSION}",
                s.format_version
            ),
        );
    }
    if !lines.contains("assignments") {
        c.errors.push(Diagnostic::new(
            file,
            None,
            "the snapshot has no `assignments` key, so it may have been cut short; export it again \
             (a snapshot of an instance without assignments says `assignments: []`)",
        ));
    } else if lines.is_null("assignments") {
        c.err(
            "assignments",
            "`assignments` is empty, so the snapshot may have been cut short after it; export it again \
             (a snapshot of an instance without assignments says `assignments: []`)"
                .to_owned(),
        );
    }
    organization(&mut c, s);
    permission_sets(&mut c, s);
    principals(&mut c, s);
    members(&mut c, s);
    assignments(&mut c, s);
    c.errors
}

fn organization(c: &mut Checker<'_>, s: &Snapshot) {
    let org = &s.organization;
    let fix = "each id may be listed once: remove the extra entries";
    c.duplicates(
        org.organizational_units.iter().enumerate().map(|(i, o)| {
            (
                format!("organization.organizational_units[{i}].id"),
                o.id.as_str(),
            )
        }),
        "OU id",
        fix,
    );
    c.duplicates(
        org.accounts
            .iter()
            .enumerate()
            .map(|(i, a)| (format!("organization.accounts[{i}].id"), a.id.as_str())),
        "account id",
        fix,
    );
    let ou_ids: BTreeSet<&OuId> = org.organizational_units.iter().map(|o| &o.id).collect();
    let parent_known = |p: &NodeId| match p {
        NodeId::Root(r) => *r == org.root_id,
        NodeId::Ou(o) => ou_ids.contains(o),
    };
    let parents = org
        .organizational_units
        .iter()
        .enumerate()
        .map(|(i, o)| {
            (
                format!("organization.organizational_units[{i}].parent"),
                "OU",
                o.id.as_str(),
                &o.name,
                &o.parent,
            )
        })
        .chain(org.accounts.iter().enumerate().map(|(i, a)| {
            (
                format!("organization.accounts[{i}].parent"),
                "account",
                a.id.as_str(),
                &a.name,
                &a.parent,
            )
        }));
    for (path, kind, id, name, parent) in parents {
        if !parent_known(parent) {
            c.err(
                &path,
                format!(
                    "{kind} `{id}` (`{name}`) names parent `{parent}`, which is neither the root `{}` nor an OU of \
                     the snapshot; correct the parent or add the OU",
                    org.root_id
                ),
            );
        }
    }
    if let Err(OrgError::Cycle(id)) = s.org_tree() {
        let i = org.organizational_units.iter().position(|o| o.id == id);
        c.err(
            &i.map_or_else(|| "organization".to_owned(), |i| format!("organization.organizational_units[{i}].parent")),
            format!("OU `{id}` is its own ancestor: its parents form a cycle; correct the `parent` of one of them"),
        );
    }
    if !org
        .accounts
        .iter()
        .any(|a| a.id == org.management_account_id)
    {
        c.err(
            "organization.management_account_id",
            format!(
                "management_account_id `{}` is not in `organization.accounts`; the management account is an account \
                 of the organization: add it to the list or correct the id",
                org.management_account_id
            ),
        );
    }
    if let Some(caller) = &s.caller_account_id
        && !org.accounts.iter().any(|a| a.id == *caller)
    {
        c.err(
            "caller_account_id",
            format!(
                "caller_account_id `{caller}` is not in `organization.accounts`; a delegated administrator is a member account \
                 of the organization: correct the id, or remove the key for the management account"
            ),
        );
    }
}

/// The partition and instance id an ARN of the sso service names
/// (`arn:aws:sso:::permissionSet/ssoins-…/ps-…` → `aws`, `ssoins-…`), when it
/// has that shape: the sso-admin API reference gives instance ARNs as
/// `arn:PARTITION:sso:::instance/(sso)?ins-…` and permission set ARNs as
/// `arn:PARTITION:sso:::permissionSet/(sso)?ins-…/ps-…` (some emulators write
/// `instance/` there, with the same instance segment). Service ids are
/// otherwise opaque to us, so another shape is not judged.
fn instance_of(arn: &str) -> Option<(&str, &str)> {
    let mut parts = arn.splitn(6, ':');
    let (Some("arn"), Some(partition), Some("sso")) = (parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    let resource = parts.nth(2)?;
    let instance = resource.split('/').nth(1)?;
    (!instance.is_empty()).then_some((partition, instance))
}

fn permission_sets(c: &mut Checker<'_>, s: &Snapshot) {
    let sets = &s.permission_sets;
    c.duplicates(
        sets.iter()
            .enumerate()
            .map(|(i, p)| (format!("permission_sets[{i}].arn"), p.arn.as_str())),
        "permission set ARN",
        "each permission set may be listed once: remove the extra entries",
    );
    c.duplicates(
        sets.iter()
            .enumerate()
            .map(|(i, p)| (format!("permission_sets[{i}].name"), p.name.as_str())),
        "permission set name",
        "a name that means two permission sets cannot be planned: remove or rename the extra entries",
    );
    let instance = instance_of(s.instance_arn.as_str());
    let accounts: BTreeSet<_> = s.organization.accounts.iter().map(|a| &a.id).collect();
    for (i, p) in sets.iter().enumerate() {
        if let (Some(own @ (partition, id)), Some(theirs)) = (instance, instance_of(p.arn.as_str()))
            && own != theirs
        {
            c.err(
                &format!("permission_sets[{i}].arn"),
                format!(
                    "permission set `{}` has ARN `{}`, which belongs to instance `{}` ({}), not to this snapshot's \
                     `instance_arn` (`{id}`, {partition}); a snapshot holds one instance: export it again",
                    p.name, p.arn, theirs.1, theirs.0
                ),
            );
        }
        for account in &p.not_provisioned_accounts {
            if !accounts.contains(account) {
                c.err(
                    &format!("permission_sets[{i}].not_provisioned_accounts"),
                    format!(
                        "permission set `{}` lists account `{account}` in `not_provisioned_accounts`, which is not in \
                         `organization.accounts`; remove it there or add the account",
                        p.name
                    ),
                );
            }
        }
    }
}

fn principals(c: &mut Checker<'_>, s: &Snapshot) {
    let mut first_path: BTreeMap<&str, (PrincipalType, String)> = BTreeMap::new();
    for kind in [PrincipalType::Group, PrincipalType::User] {
        let key = match kind {
            PrincipalType::Group => "groups",
            PrincipalType::User => "users",
        };
        let list = s.principals(kind);
        c.duplicates(
            list.iter()
                .enumerate()
                .map(|(i, p)| (format!("{key}[{i}].id"), p.id.as_str())),
            &format!("{} id", kind.noun()),
            "each principal may be listed once: remove the extra entries",
        );
        c.duplicates(
            list.iter()
                .enumerate()
                .map(|(i, p)| (format!("{key}[{i}].name"), p.name.as_str())),
            &format!("{} name", kind.noun()),
            "a name that means two principals cannot be resolved: remove or rename the extra entries",
        );
        for (i, p) in list.iter().enumerate() {
            let path = format!("{key}[{i}].id");
            match first_path.get(p.id.as_str()) {
                Some((other, other_path)) if *other != kind => {
                    let message = format!(
                        "id `{}` is both a {} ({}) and a {} ({}); an id names one principal: remove the wrong entry",
                        p.id,
                        other.noun(),
                        c.at(other_path),
                        kind.noun(),
                        c.at(&path)
                    );
                    c.err(&path, message);
                }
                Some(_) => {}
                None => {
                    first_path.insert(p.id.as_str(), (kind, path));
                }
            }
        }
    }
}

/// Only groups have members, and members are users: the identity store's
/// `MemberId` holds a `UserId` and nothing else. A member id that is in no
/// list is a user deleted after the listing was read, which can happen.
fn members(c: &mut Checker<'_>, s: &Snapshot) {
    for (i, u) in s.users.iter().enumerate() {
        if u.members.is_some() {
            c.err(
                &format!("users[{i}].members"),
                format!(
                    "user `{}` has `members`, but only groups have members; remove the key",
                    u.name
                ),
            );
        }
    }
    let groups: BTreeSet<&str> = s.groups.iter().map(|g| g.id.as_str()).collect();
    for (i, g) in s.groups.iter().enumerate() {
        for m in g.members.iter().flatten() {
            if groups.contains(m.as_str()) {
                c.err(
                    &format!("groups[{i}].members"),
                    format!(
                        "group `{}` lists group `{m}` as a member, but the identity store's members are users; \
                         list the group's users instead",
                        g.name
                    ),
                );
            }
        }
    }
}

fn assignments(c: &mut Checker<'_>, s: &Snapshot) {
    let accounts: BTreeSet<_> = s.organization.accounts.iter().map(|a| &a.id).collect();
    let sets: BTreeSet<_> = s.permission_sets.iter().map(|p| &p.arn).collect();
    for (i, a) in s.assignments.iter().enumerate() {
        if !accounts.contains(&a.account_id) {
            c.err(
                &format!("assignments[{i}].account_id"),
                format!(
                    "assignment names account `{}`, which is not in `organization.accounts`; add the account or remove \
                     the assignment",
                    a.account_id
                ),
            );
        }
        if !sets.contains(&a.permission_set_arn) {
            c.err(
                &format!("assignments[{i}].permission_set_arn"),
                format!(
                    "assignment names permission set `{}`, which is not in `permission_sets`; add the permission set \
                     or remove the assignment",
                    a.permission_set_arn
                ),
            );
        }
    }
}
