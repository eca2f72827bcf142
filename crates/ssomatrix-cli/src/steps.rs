//! The steps the commands share: today's date, the assignments file, the
//! live state, the plan made from them, and what apply may reprovision.
//! Every command uses these; this module uses no command.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use anyhow::Context;
use ssomatrix_core::config::Config;
use ssomatrix_core::date::Date;
use ssomatrix_core::ids::{PermissionSetArn, PrincipalId};
use ssomatrix_core::live::LiveState;
use ssomatrix_core::members::Memberships;
use ssomatrix_core::partial::AccountSelector;
use ssomatrix_core::plan::{self, People, Plan, people};
use ssomatrix_core::scope::Scope;
use ssomatrix_engine::accounts::read_accounts_live_state;
use ssomatrix_engine::inventory::{self, Progress};
use ssomatrix_engine::members;
use ssomatrix_engine::{Client, ReadOptions};

use crate::cli::SourceArgs;
use crate::output;
use crate::source::{Source, strategy, with_client};

/// Today's date in UTC, or `SSOMATRIX_TODAY` (YYYY-MM-DD) for reproducible
/// runs and tests.
pub fn today() -> anyhow::Result<Date> {
    if let Ok(s) = std::env::var("SSOMATRIX_TODAY") {
        return Date::parse(&s).map_err(|e| anyhow::anyhow!("SSOMATRIX_TODAY: {e}"));
    }
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .context("the system clock is before 1970")?
        .as_secs();
    Ok(Date::from_days_since_epoch(
        i64::try_from(secs / 86_400).unwrap_or(0),
    ))
}

/// The assignments file, parsed, and the SHA-256 of the bytes it was parsed
/// from (what a saved plan is bound to).
#[derive(Debug)]
pub struct LoadedConfig {
    pub config: Config,
    pub sha256: String,
}

pub fn load_config(path: &Path) -> anyhow::Result<Config> {
    Ok(load_config_bound(path)?.config)
}

/// Reads the file once, so that the digest is of exactly the bytes parsed.
pub fn load_config_bound(path: &Path) -> anyhow::Result<LoadedConfig> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let sha256 = ssomatrix_core::policy::sha256_hex(&bytes);
    let text = String::from_utf8(bytes).map_err(|e| {
        anyhow::anyhow!(
            "{} is not UTF-8 text (invalid byte at offset {}); save the assignments file as UTF-8",
            path.display(),
            e.utf8_error().valid_up_to()
        )
    })?;
    let config = Config::parse(&path.display().to_string(), &text)
        .map_err(|e| problems(&path.display().to_string(), &e.0))?;
    Ok(LoadedConfig { config, sha256 })
}

/// The problems of a file that cannot be planned, every one with its line.
pub fn problems(file: &str, diagnostics: &[ssomatrix_core::yaml::Diagnostic]) -> anyhow::Error {
    let n = diagnostics.len();
    let list = diagnostics
        .iter()
        .map(|d| format!("  {d}"))
        .collect::<Vec<_>>()
        .join("\n");
    anyhow::anyhow!(
        "{n} problem{} in {file}; nothing was planned:\n{list}",
        if n == 1 { "" } else { "s" }
    )
}

/// Reads the live state the file needs, with progress on a terminal and call
/// counts at `-v`.
pub async fn read_live(
    source: &Source,
    args: &SourceArgs,
    config: &Config,
) -> anyhow::Result<LiveState> {
    read_live_sets(source, args, config, false).await
}

/// [`read_live`], and with `all_sets` the assignments of every permission
/// set, not only those the file needs (drift counts those outside the scope).
pub async fn read_live_sets(
    source: &Source,
    args: &SourceArgs,
    config: &Config,
    all_sets: bool,
) -> anyhow::Result<LiveState> {
    read_live_of(source, args, config, &[], all_sets).await
}

/// [`read_live_sets`] of the `accounts` only (`--account`), or of the whole
/// organization when there are none.
pub async fn read_live_of(
    source: &Source,
    args: &SourceArgs,
    config: &Config,
    accounts: &[AccountSelector],
    all_sets: bool,
) -> anyhow::Result<LiveState> {
    let options = ReadOptions {
        strategy: strategy(args),
        provisioning_status: true,
    };
    let progress = Progress::default();
    let budget = source.budget(args);
    with_client!(source, budget, |client| {
        let read = async {
            if !accounts.is_empty() {
                read_accounts_live_state(&client, config, accounts, &options, all_sets, &progress)
                    .await
            } else if all_sets {
                inventory::read_live_state_all_sets(&client, config, &options, &progress).await
            } else {
                inventory::read_live_state(&client, config, &options, &progress).await
            }
        };
        let live = output::with_progress(&progress, read).await;
        report_calls(&client);
        if let Ok(read) = &live
            && let Some(how) = &read.assignment_read
        {
            tracing::info!("{}", how.describe());
        }
        live.map_err(|e| source.explain(e.into()))
    })
}

/// The live state with every permission set's assignments (as drift reads
/// it) and the members of the groups that hold them, named: what the
/// commands about people (`access`, `explain`) need.
pub async fn read_live_with_members(
    source: &Source,
    args: &SourceArgs,
    config: &Config,
) -> anyhow::Result<(LiveState, Memberships)> {
    let options = ReadOptions {
        strategy: strategy(args),
        provisioning_status: false,
    };
    let progress = Progress::default();
    let budget = source.budget(args);
    with_client!(source, budget, |client| {
        let read = async {
            let live =
                inventory::read_live_state_all_sets(&client, config, &options, &progress).await?;
            let members = members::read_memberships(&client, &live).await?;
            Ok::<_, ssomatrix_engine::EngineError>((live, members))
        };
        let read = output::with_progress(&progress, read).await;
        report_calls(&client);
        read.map_err(|e| source.explain(e.into()))
    })
    .map(|(live, mut members)| {
        forget_unrecorded(source, &mut members);
        (live, members)
    })
}

/// Offline, the groups the snapshot records no `members` for are unknown,
/// not empty (the simulator answers for them as for empty groups).
fn forget_unrecorded(source: &Source, members: &mut Memberships) {
    if let Source::Snapshot(sim, _) = source {
        members.forget_unrecorded(&sim.snapshot());
    }
}

/// The members of `groups`, named, from the source; a refused listing,
/// or offline a group the snapshot records no `members` for, is unread.
async fn members_of(
    source: &Source,
    args: &SourceArgs,
    live: &LiveState,
    groups: &BTreeSet<PrincipalId>,
) -> anyhow::Result<Memberships> {
    let budget = source.budget(args);
    let mut members = with_client!(source, budget, |client| {
        let read = members::read_members_of(&client, live, groups).await;
        read.map_err(|e| source.explain(e.into()))
    })?;
    forget_unrecorded(source, &mut members);
    Ok(members)
}

/// Adds to `members` those of `groups` it does not have (`explain`: the
/// groups that the next apply gives their first assignment).
pub async fn read_more_members(
    source: &Source,
    args: &SourceArgs,
    live: &LiveState,
    groups: BTreeSet<PrincipalId>,
    members: &mut Memberships,
) -> anyhow::Result<()> {
    let groups: BTreeSet<PrincipalId> = (groups.into_iter())
        .filter(|g| !members.groups.contains_key(g) && !members.unread.contains_key(g))
        .collect();
    if groups.is_empty() {
        return Ok(());
    }
    let mut more = members_of(source, args, live, &groups).await?;
    members.groups.append(&mut more.groups);
    members.unread.append(&mut more.unread);
    for (user, name) in more.users {
        members.users.entry(user).or_insert(name);
    }
    Ok(())
}

/// The people `plan` gives or takes access: the members of the groups on
/// the (account, permission set) pairs it changes, read from the source.
/// Nothing is read for a plan without changes; a group whose members are
/// unknown is a warning, never an error.
pub async fn plan_people(
    source: &Source,
    args: &SourceArgs,
    live: &LiveState,
    plan: &Plan,
) -> anyhow::Result<Option<People>> {
    if plan.is_empty() {
        return Ok(None);
    }
    let groups = people::groups_to_read(plan, live);
    let members = members_of(source, args, live, &groups).await?;
    tracing::info!(
        "read the members of {} group(s) for the people of the plan",
        groups.len()
    );
    let people = people::people(plan, live, &members);
    for g in &people.unknown_groups {
        tracing::warn!(
            "the people of group {} are unknown, so the plan does not count them: {}",
            g.label(),
            g.reason
        );
    }
    Ok(Some(people))
}

pub fn report_calls<S, I, O>(client: &Client<S, I, O>) {
    let stats = client.stats.snapshot();
    let total: u64 = stats.calls.values().sum();
    tracing::info!("{total} API calls");
    for (op, n) in &stats.calls {
        tracing::info!("  {n:>6}  {op}");
    }
    for (kind, n) in &stats.retries {
        tracing::info!("  {n:>6}  retries after {kind}");
    }
}

/// The plan as of today.
pub fn make_plan(config: &Config, live: &LiveState) -> anyhow::Result<Plan> {
    plan_on(config, live, today()?)
}

/// The plan as of `date`.
pub fn plan_on(config: &Config, live: &LiveState, date: Date) -> anyhow::Result<Plan> {
    plan::plan(config, live, date).map_err(|e| problems(&config.file, &e.0))
}

/// The owned permission sets, ARN → name: what apply may reprovision.
pub fn owned_names(config: &Config, live: &LiveState) -> BTreeMap<PermissionSetArn, String> {
    Scope::of(config, &live.permission_sets)
        .owned
        .into_iter()
        .map(|arn| {
            let name = live.permission_set_name(&arn).to_owned();
            (arn, name)
        })
        .collect()
}
