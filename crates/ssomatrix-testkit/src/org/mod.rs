//! Synthetic organisations, deterministic for a seed, for the engine's
//! tests and the benchmark: an OU tree in the shape AWS recommends
//! (Security, Infrastructure, Sandbox, Suspended and
//! Workloads/{Prod,NonProd}/team-NNN), accounts spread over it, permission
//! sets, groups and users, and live assignments made one of two ways:
//!
//! - `Live::AsFiled`: what a generated file wants (platform rules on the
//!   top-level OUs, two rules a team OU), with drift both ways. The
//!   benchmark's sizes (`SIZES`) are organisations of this kind.
//! - `Live::Scattered`: assignments at a realistic density with no file in
//!   mind, principals deleted after they were assigned, an expired user
//!   exception, and (with `out_of_sync`) permission sets left OUT_OF_SYNC in
//!   some accounts: what the engine's tests need to exercise the reader, the
//!   executor and reprovisioning.
//!
//! Needs no AWS SDK (it is built without the `moto` feature).

mod file;
mod live;
mod members;
mod tree;

pub use members::with_members;

use std::collections::BTreeSet;

use ssomatrix_core::config::Config;
use ssomatrix_core::date::Date;
use ssomatrix_core::ids::{AccountId, IdError, PermissionSetArn, PrincipalId, PrincipalType};
use ssomatrix_core::import::ImportOptions;
use ssomatrix_core::live::Assignment;
use ssomatrix_core::snapshot::{Snapshot, SnapshotPrincipal};

pub const INSTANCE: &str = "arn:aws:sso:::instance/ssoins-0123456789abcdef";
const STORE: &str = "d-1234567890";
const ROOT: &str = "r-ab12";

/// An organisation size of the benchmark.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Size {
    pub name: &'static str,
    pub accounts: usize,
    pub permission_sets: usize,
    pub groups: usize,
}

pub const SIZES: [Size; 4] = [
    Size {
        name: "s",
        accounts: 50,
        permission_sets: 10,
        groups: 30,
    },
    Size {
        name: "m",
        accounts: 500,
        permission_sets: 30,
        groups: 150,
    },
    Size {
        name: "l",
        accounts: 2_000,
        permission_sets: 60,
        groups: 500,
    },
    Size {
        name: "xl",
        accounts: 7_000,
        permission_sets: 200,
        groups: 2_000,
    },
];

impl Size {
    pub fn named(name: &str) -> Option<Size> {
        SIZES
            .into_iter()
            .find(|s| s.name.eq_ignore_ascii_case(name))
    }
}

/// Where accounts go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    /// The management account at the root; 5% each in Security,
    /// Infrastructure and Sandbox, 1% suspended in Suspended, the rest in
    /// the teams' OUs.
    Weighted,
    /// Every OU but Suspended and Workloads alike; every 37th account
    /// suspended in Suspended and about 2% suspended where they are.
    Even,
}

/// How the live assignments are made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Live {
    /// What the generated file wants, less 3%, plus a click-ops assignment
    /// in 2% of the accounts and three of a deleted group.
    AsFiled,
    /// 1–3 principals in each (account, permission set) pair drawn: the
    /// first set in 90% of the accounts, the second in half, the others at
    /// four sets an account in all; 2% of the principals deleted, 4% users.
    Scattered,
}

/// What to generate.
#[derive(Debug, Clone, Copy)]
pub struct OrgSpec {
    pub accounts: usize,
    pub permission_sets: usize,
    pub groups: usize,
    pub users: usize,
    pub seed: u64,
    /// Team OUs under each of Workloads/Prod and Workloads/NonProd.
    pub teams: usize,
    /// A `Critical` OU under every other Prod team: four levels deep.
    pub nested: bool,
    pub placement: Placement,
    /// `env` and `cost-center` tags on every account.
    pub tags: bool,
    pub live: Live,
    /// Every third permission set OUT_OF_SYNC in a few accounts that hold it
    /// and in one that holds nothing of it (provisioned, then emptied).
    pub out_of_sync: bool,
}

impl OrgSpec {
    /// The organisation the benchmark runs at `size`: three groups a team,
    /// no users, live state as filed.
    pub fn sized(size: Size, seed: u64) -> Self {
        let team_groups = size.groups.saturating_sub(file::PLATFORM_GROUPS.len());
        OrgSpec {
            accounts: size.accounts,
            permission_sets: size.permission_sets,
            groups: size.groups,
            users: 0,
            seed,
            // Half the teams' OUs in Prod, half in NonProd.
            teams: (team_groups / 3 / 2).max(1),
            nested: false,
            placement: Placement::Weighted,
            tags: false,
            live: Live::AsFiled,
            out_of_sync: false,
        }
    }

    /// [`OrgSpec::sized`] with users as well as groups: about a tenth of the
    /// wanted assignments go to users directly, each user in two accounts of
    /// a team's OU (three users for every ten accounts).
    pub fn sized_with_users(size: Size, seed: u64) -> Self {
        OrgSpec {
            users: size.accounts * 3 / 10,
            ..OrgSpec::sized(size, seed)
        }
    }

    /// A small organisation with everything the engine's tests exercise:
    /// nested OUs, tags, users, deleted principals, stale provisioning.
    pub fn small() -> Self {
        OrgSpec::scattered(90, 9, 24, 4, 7)
    }

    /// An organisation with scattered assignments, a team OU an environment
    /// for every 60 accounts, and all the options on.
    pub fn scattered(
        accounts: usize,
        permission_sets: usize,
        groups: usize,
        users: usize,
        seed: u64,
    ) -> Self {
        OrgSpec {
            accounts,
            permission_sets,
            groups,
            users,
            seed,
            teams: (accounts / 60).max(1),
            nested: true,
            placement: Placement::Even,
            tags: true,
            live: Live::Scattered,
            out_of_sync: true,
        }
    }
}

/// A generated organisation and the names a file can use.
#[derive(Debug, Clone)]
pub struct Org {
    pub snapshot: Snapshot,
    /// OU paths from the root (`Workloads/Prod/team-001`).
    pub ou_paths: Vec<String>,
    pub groups: Vec<String>,
    pub users: Vec<String>,
    pub permission_sets: Vec<String>,
    /// Ids of principals that assignments name but the store no longer has.
    pub deleted: Vec<(PrincipalType, PrincipalId)>,
    /// With `Live::AsFiled`, the file the live state was made from.
    pub file: Option<Filed>,
}

/// The file an `AsFiled` organisation was made from, and what it wants
/// (the planner's own expansion of it).
#[derive(Debug, Clone)]
pub struct Filed {
    pub text: String,
    pub config: Config,
    pub desired: BTreeSet<Assignment>,
}

/// An organisation of the benchmark and its file.
#[derive(Debug, Clone)]
pub struct Generated {
    pub snapshot: Snapshot,
    pub config_text: String,
    pub config: Config,
    pub desired: BTreeSet<Assignment>,
}

/// What stopped a generation: a spec the generator cannot honour.
#[derive(Debug)]
pub struct GenerateError(String);

impl std::fmt::Display for GenerateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "generating an organisation: {}", self.0)
    }
}

impl std::error::Error for GenerateError {}

impl From<IdError> for GenerateError {
    fn from(e: IdError) -> Self {
        GenerateError(e.to_string())
    }
}

type Result<T> = std::result::Result<T, GenerateError>;

/// The date `AsFiled` files are planned on (nothing in them expires).
pub fn today() -> Result<Date> {
    Date::parse("2026-11-24").map_err(|e| GenerateError(e.to_string()))
}

/// How the benchmark and the tests import a generated organisation: owner
/// `imported`, user exceptions expiring 90 days after [`today`].
pub fn import_options(source: &str) -> Result<ImportOptions> {
    let today = today()?;
    Ok(ImportOptions {
        exclude: Vec::new(),
        owner: "imported".to_owned(),
        expires: Date::from_days_since_epoch(today.days_since_epoch() + 90),
        today,
        source: source.to_owned(),
    })
}

pub fn account_id(i: usize) -> AccountId {
    // Twelve digits for every index below 900 billion.
    AccountId::new(format!("{:012}", 100_000_000_000 + i)).unwrap_or_else(|_| unreachable!())
}

/// The name of the `i`th account (`acct-00003`).
pub fn account_name(i: usize) -> String {
    format!("acct-{i:05}")
}

pub fn ps_arn(i: usize) -> PermissionSetArn {
    PermissionSetArn::new(format!(
        "arn:aws:sso:::permissionSet/ssoins-0123456789abcdef/ps-{:016x}",
        i + 1
    ))
    .unwrap_or_else(|_| unreachable!())
}

/// Kinds of principal ids, so that no two principals share one.
const GROUP: u32 = 1;
const USER: u32 = 2;
const DELETED_GROUP: u32 = 0xdead;
const DELETED_USER: u32 = 0xdeae;

fn principal_id(kind: u32, i: usize) -> PrincipalId {
    PrincipalId::new(format!(
        "9067{kind:04x}-{:04x}-4000-8000-{i:012x}",
        i % 0xffff
    ))
    .unwrap_or_else(|_| unreachable!())
}

/// Builds the organisation `spec` describes.
pub fn generate(spec: &OrgSpec) -> Result<Org> {
    let mut rng = <rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(spec.seed);
    let tree = tree::Tree::build(spec)?;
    let accounts = tree.accounts(spec, &mut rng);
    let permission_sets = file::set_names(spec.permission_sets);
    let groups = file::group_names(spec.groups);
    let users: Vec<String> = (0..spec.users)
        .map(|i| format!("user{i}@example.com"))
        .collect();
    let principals = |kind, names: &[String]| -> Vec<SnapshotPrincipal> {
        names
            .iter()
            .enumerate()
            .map(|(i, name)| SnapshotPrincipal::new(principal_id(kind, i), name.clone()))
            .collect()
    };
    let mut snapshot = tree.snapshot(accounts)?;
    snapshot.permission_sets = file::permission_sets(&permission_sets);
    snapshot.groups = principals(GROUP, &groups);
    snapshot.users = principals(USER, &users);
    let mut org = Org {
        snapshot,
        ou_paths: tree.paths(),
        groups,
        users,
        permission_sets,
        deleted: Vec::new(),
        file: None,
    };
    match spec.live {
        Live::AsFiled => live::as_filed(&mut org, &tree, &mut rng)?,
        Live::Scattered => live::scattered(&mut org, &mut rng),
    }
    if spec.out_of_sync {
        live::out_of_sync(&mut org.snapshot, &mut rng);
    }
    org.snapshot.sort();
    org.snapshot
        .org_tree()
        .map_err(|e| GenerateError(e.to_string()))?;
    Ok(org)
}

/// The benchmark's organisation of `size` and its file.
pub fn sized(size: Size, seed: u64) -> Result<Generated> {
    generated(&OrgSpec::sized(size, seed))
}

/// The benchmark's organisation of `size` with users as well as groups
/// ([`OrgSpec::sized_with_users`]) and its file.
pub fn sized_with_users(size: Size, seed: u64) -> Result<Generated> {
    generated(&OrgSpec::sized_with_users(size, seed))
}

/// An organisation as filed, and its file.
pub fn generated(spec: &OrgSpec) -> Result<Generated> {
    let org = generate(spec)?;
    let filed = org
        .file
        .ok_or_else(|| GenerateError("an organisation as filed comes with its file".into()))?;
    Ok(Generated {
        snapshot: org.snapshot,
        config_text: filed.text,
        config: filed.config,
        desired: filed.desired,
    })
}

#[cfg(test)]
mod tests;
