//! The command line: what a user can type, and the help that explains it.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use ssomatrix_core::partial::AccountSelector;

/// AWS IAM Identity Center account assignments as code.
///
/// Write the access matrix (group × permission set × OU) in one YAML file;
/// ssomatrix expands OUs into accounts, diffs that against the live
/// assignments and shows the plan. Every command can run offline against a
/// snapshot file (`--snapshot`) instead of AWS.
#[derive(Debug, Parser)]
#[command(
    name = "ssomatrix",
    version,
    propagate_version = true,
    max_term_width = 100
)]
#[command(
    after_help = "Exit codes: 0 success (and no changes with --detailed-exitcode), 1 error, \
2 changes present (only with --detailed-exitcode).\n\nStart here:\n  ssomatrix plan -c assignments.example.yaml --snapshot examples/org.snapshot.yaml"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,

    /// More logs on stderr (-v: info and API call counts, -vv: debug). RUST_LOG overrides.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,

    /// Never colour the output (NO_COLOR in the environment does the same).
    #[arg(long, global = true)]
    pub no_color: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check an assignments file; with --snapshot or --live, also resolve
    /// every OU, account, group, user and permission set it names.
    Validate(ValidateArgs),
    /// Show what apply would create and delete, and how many people gain or
    /// lose which permission set where (from the members of the groups on
    /// the pairs it changes; members that cannot be read are reported).
    Plan(PlanArgs),
    /// Create and delete assignments as planned, then reprovision the
    /// permission sets left OUT_OF_SYNC.
    Apply(ApplyArgs),
    /// Only reprovision the file's permission sets that are OUT_OF_SYNC.
    Reprovision(ReprovisionArgs),
    /// Report how the live instance differs from the file: click-ops,
    /// missing and expired assignments, deleted principals, OUT_OF_SYNC
    /// permission sets, inactive accounts, references that no longer resolve.
    Drift(DriftArgs),
    /// List who can reach which account with which permission set, and
    /// why: every live assignment expanded to the people in its group, with
    /// the rule of the file that grants it (CSV, JSON or an HTML report).
    Access(AccessArgs),
    /// Say why a user (or group) can reach an account with a permission set:
    /// every path (directly or through which group), the rule and line that
    /// grants it, its owner and expiry, or that nothing grants it and the
    /// next apply removes it; and the access the file declares that is not
    /// live yet, which the next apply creates.
    Explain(ExplainArgs),
    /// Write the live instance as a snapshot file, for offline plans.
    Export(ExportArgs),
    /// Write an assignments file that reproduces the live assignments in few
    /// rules, checked by planning it against the same live state.
    Import(ImportArgs),
    /// Print the JSON Schema of the assignments file (or of snapshots).
    Schema(SchemaArgs),
    /// Print a shell completion script.
    ///
    /// For example `ssomatrix completions bash > /etc/bash_completion.d/ssomatrix`,
    /// `ssomatrix completions zsh > "${fpath[1]}/_ssomatrix"` or
    /// `ssomatrix completions fish > ~/.config/fish/completions/ssomatrix.fish`.
    Completions(CompletionsArgs),
    /// Print the manual page (roff).
    ///
    /// For example `ssomatrix man > ssomatrix.1 && man ./ssomatrix.1`; a
    /// command's own page with `ssomatrix man plan > ssomatrix-plan.1`.
    Man(ManArgs),
}

#[derive(Debug, Args)]
pub struct ManArgs {
    /// The command whose page to print (default: the page of ssomatrix itself).
    #[arg(value_name = "COMMAND")]
    pub command: Option<String>,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete in.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// Where the live state comes from.
#[derive(Debug, Clone, Args)]
pub struct SourceArgs {
    /// Plan against this snapshot file instead of AWS (see docs/snapshot.md).
    #[arg(long, value_name = "FILE")]
    pub snapshot: Option<PathBuf>,

    /// AWS profile to use (default: `AWS_PROFILE`, then the standard
    /// credential chain).
    #[arg(long, conflicts_with = "snapshot")]
    pub profile: Option<String>,

    /// AWS region of the Identity Center instance.
    #[arg(long, conflicts_with = "snapshot")]
    pub region: Option<String>,

    /// Highest request rate per service, in calls per second; lower it when
    /// other automation shares the quota (0.1 to 1000; defaults: sso-admin
    /// 15, identitystore 15, organizations 4). Checked but not applied with
    /// --snapshot: an offline run calls no service.
    #[arg(long, value_name = "TPS", value_parser = parse_tps, allow_hyphen_values = true)]
    pub max_tps: Option<f64>,

    /// How live assignments are found. `provisioned` lists assignments only
    /// in the accounts ListAccountsForProvisionedPermissionSet gives for each
    /// permission set; it assumes every account holding an assignment is
    /// listed there, which AWS states only for successful creates (not for
    /// creates in progress or failed provisioning). `exhaustive` lists every
    /// account × permission set: slower, and makes no such assumption.
    /// `principal` lists each group and user's assignments
    /// (ListAccountAssignmentsForPrincipal): management account only, and it
    /// cannot see assignments of principals deleted from the identity store
    /// (`drift` lists those). `auto` reads by principal where that costs
    /// fewer calls than `provisioned` and the caller is the management
    /// account, else as `provisioned`; `-v` and the JSON plan say which read
    /// was used and what each would have cost. Default: `auto` against AWS;
    /// `provisioned` with --snapshot, where reading costs nothing. `drift`
    /// and `export` read `auto` as `provisioned` and refuse `principal`.
    #[arg(long, value_enum)]
    pub inventory: Option<Inventory>,
}

/// Which accounts a run covers.
#[derive(Debug, Clone, Default, Args)]
pub struct AccountArgs {
    /// Only this account: its id (12 digits) or its exact name; repeat for
    /// several. Reads only what these accounts need (their place in the
    /// organization, their tags when rules use tags, their assignments, the
    /// principals of the rules that select them) and changes nothing
    /// elsewhere; the plan says it is partial. Rules whose targets miss
    /// these accounts yield nothing, unchecked: a full plan checks the whole
    /// file. An id costs one call; a name costs a listing of every account.
    #[arg(long = "account", value_name = "ID|NAME", value_parser = parse_account)]
    pub accounts: Vec<AccountSelector>,
}

/// `--account`: an id or a name.
fn parse_account(s: &str) -> Result<AccountSelector, String> {
    AccountSelector::parse(s).map_err(|e| e.to_string())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Inventory {
    Auto,
    Provisioned,
    Exhaustive,
    Principal,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// The assignments file.
    #[arg(short, long, value_name = "FILE")]
    pub config: PathBuf,

    /// Also resolve names against the live AWS instance.
    #[arg(long, conflicts_with = "snapshot")]
    pub live: bool,

    #[command(flatten)]
    pub source: SourceArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PlanFormat {
    Text,
    Markdown,
    Json,
}

#[derive(Debug, Args)]
pub struct PlanArgs {
    /// The assignments file.
    #[arg(short, long, value_name = "FILE")]
    pub config: PathBuf,

    #[command(flatten)]
    pub source: SourceArgs,

    #[command(flatten)]
    pub accounts: AccountArgs,

    /// Output format: `text` for a terminal, `markdown` for a pull-request
    /// comment, `json` for tools.
    #[arg(long, value_enum, default_value_t = PlanFormat::Text)]
    pub format: PlanFormat,

    /// Also save the plan as JSON, for `apply --plan` to apply exactly it.
    #[arg(long, value_name = "PLAN.json")]
    pub out: Option<PathBuf>,

    /// Exit 2 when the plan has changes (0 when none, 1 on error).
    #[arg(long)]
    pub detailed_exitcode: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SnapshotFormat {
    Yaml,
    Json,
}

/// Output formats of `access`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AccessFormat {
    /// One line per access (RFC 4180), for spreadsheets; a cell that begins
    /// with =, +, -, @, a tab or a carriage return gets a leading ' so that
    /// no spreadsheet runs it as a formula.
    Csv,
    /// The rows and their counts, for tools.
    Json,
    /// One self-contained page to open in a browser: counts, a table that
    /// filters as you type and sorts by column, and an account × permission
    /// set view.
    Html,
}

/// Which accesses to list: each flag may be repeated (any of its values
/// matches); different flags must all match.
#[derive(Debug, Clone, Args)]
pub struct AccessFilterArgs {
    /// Only this user (user name or id).
    #[arg(long, value_name = "NAME")]
    pub user: Vec<String>,

    /// Only access that comes through this group (display name or id).
    #[arg(long, value_name = "NAME")]
    pub group: Vec<String>,

    /// Only this account (12-digit id or account name).
    #[arg(long, value_name = "ID|NAME")]
    pub account: Vec<String>,

    /// Only this permission set (name or ARN).
    #[arg(long, value_name = "NAME")]
    pub permission_set: Vec<String>,
}

#[derive(Debug, Args)]
#[command(
    after_help = "One row per (user, account, permission set, path): the path is `direct` or the \
group the access comes through. `rule` is the rule of the file that grants it (`#10 line 96`), empty \
when none does. `status`: declared; undeclared (the next apply removes it); expired; account_not_active; \
outside_scope (a permission set the file does not own); principal_deleted; user_deleted (a group lists a \
user that no longer exists); unresolved (a rule that no longer resolves may declare it).\n\nGroup \
members are read with identitystore:ListGroupMemberships, one listing per group that holds an assignment."
)]
pub struct AccessArgs {
    /// The assignments file.
    #[arg(short, long, value_name = "FILE")]
    pub config: PathBuf,

    #[command(flatten)]
    pub source: SourceArgs,

    #[arg(long, value_enum, default_value_t = AccessFormat::Csv)]
    pub format: AccessFormat,

    /// Write to this file (atomically) instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,

    #[command(flatten)]
    pub filter: AccessFilterArgs,
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("who").required(true).args(["user", "group"])))]
pub struct ExplainArgs {
    /// The assignments file.
    #[arg(short, long, value_name = "FILE")]
    pub config: PathBuf,

    #[command(flatten)]
    pub source: SourceArgs,

    /// The user to explain (user name or id).
    #[arg(long, value_name = "NAME")]
    pub user: Option<String>,

    /// The group to explain (display name or id): what it holds, by which
    /// rule, and whom it reaches.
    #[arg(long, value_name = "NAME")]
    pub group: Option<String>,

    /// Only this account (12-digit id or account name).
    #[arg(long, value_name = "ID|NAME")]
    pub account: Option<String>,

    /// Only this permission set (name or ARN).
    #[arg(long, value_name = "NAME")]
    pub permission_set: Option<String>,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    #[command(flatten)]
    pub source: SourceArgs,

    /// The instance to export when the credentials see several.
    #[arg(long, value_name = "ARN")]
    pub instance_arn: Option<String>,

    #[arg(long, value_enum, default_value_t = SnapshotFormat::Yaml)]
    pub format: SnapshotFormat,

    /// Write to this file (atomically) instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    #[command(flatten)]
    pub source: SourceArgs,

    /// The instance to import when the credentials see several (with
    /// --snapshot, it must be the snapshot's). The file names it either way.
    #[arg(long, value_name = "ARN")]
    pub instance_arn: Option<String>,

    /// Write the assignments file here (atomically) instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,

    /// Replace an existing --out file.
    #[arg(long)]
    pub force: bool,

    /// Globs (`*`, `?`) of permission set names to leave out, written to
    /// `scope.exclude` (e.g. `AWSControlTower*`).
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,

    /// The owner written on user exceptions.
    #[arg(long, value_name = "TEXT", default_value = "imported")]
    pub owner: String,

    /// The expiry date (YYYY-MM-DD) of user exceptions; default 90 days
    /// after today.
    #[arg(long, value_name = "DATE")]
    pub expires: Option<String>,

    /// Also write the import report as JSON to this file.
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct SchemaArgs {
    /// The schema of snapshot files instead of assignments files.
    #[arg(long)]
    pub snapshot: bool,
}

#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// The assignments file.
    #[arg(short, long, value_name = "FILE")]
    pub config: PathBuf,

    /// With --snapshot, the snapshot file is updated in place (atomically).
    #[command(flatten)]
    pub source: SourceArgs,

    /// With --plan, the same accounts as the saved plan's.
    #[command(flatten)]
    pub accounts: AccountArgs,

    /// Apply exactly this saved plan (`plan --out`); refused when the live
    /// state changed since it was made.
    #[arg(long, value_name = "PLAN.json")]
    pub plan: Option<PathBuf>,

    /// Apply without asking (required when stdin is not a terminal).
    #[arg(long)]
    pub auto_approve: bool,

    /// Allow up to N deletes, overriding `safety.max_deletes` for this run.
    #[arg(long, value_name = "N")]
    pub allow_deletes: Option<u32>,

    /// Assignment operations outstanding at once, 1 to 10 (the service
    /// allows 10 per instance, shared with other callers).
    #[arg(long, value_name = "N", default_value_t = 10, value_parser = clap::value_parser!(u16).range(1..=10))]
    pub max_in_flight: u16,

    /// Skip reprovisioning OUT_OF_SYNC permission sets after the assignments.
    #[arg(long)]
    pub no_reprovision: bool,

    /// Create and reprovision only: the plan's deletes are left for a
    /// reviewed apply (plan and drift keep showing them), so the delete
    /// budget cannot refuse the run. Meant for scheduled, unattended applies;
    /// with --plan, the saved plan is still verified whole, then applied
    /// without its deletes.
    #[arg(long)]
    pub no_deletes: bool,

    /// Write a JSON report of every operation (result, duration, failure
    /// reason); with --no-deletes it also lists the deletes left
    /// (`deletes_left`).
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ReprovisionArgs {
    /// The assignments file (its scope says which permission sets).
    #[arg(short, long, value_name = "FILE")]
    pub config: PathBuf,

    #[command(flatten)]
    pub source: SourceArgs,
}

#[derive(Debug, Args)]
pub struct DriftArgs {
    /// The assignments file.
    #[arg(short, long, value_name = "FILE")]
    pub config: PathBuf,

    #[command(flatten)]
    pub source: SourceArgs,

    #[command(flatten)]
    pub accounts: AccountArgs,

    /// Output format: `text` for a terminal, `markdown` for a GitHub issue
    /// body (with the hidden marker `<!-- ssomatrix-drift -->`), `json` for
    /// tools.
    #[arg(long, value_enum, default_value_t = PlanFormat::Text)]
    pub format: PlanFormat,

    /// Exit 2 when anything needs action (0 when clean, 1 on error).
    #[arg(long)]
    pub detailed_exitcode: bool,

    /// List user exceptions that expire within this many days (`14d` or `14`).
    #[arg(long, value_name = "DAYS", default_value = "14d", value_parser = parse_days)]
    pub warn_expiring: i64,
}

/// `14d` or `14` → 14.
fn parse_days(s: &str) -> Result<i64, String> {
    let digits = s.strip_suffix('d').unwrap_or(s);
    match digits.parse::<i64>() {
        Ok(n) if (0..=3660).contains(&n) => Ok(n),
        _ => Err(format!(
            "`{s}` is not a number of days; write e.g. `14d` or `14`"
        )),
    }
}

/// The range `--max-tps` accepts: below 0.1 a read of a small organisation
/// takes hours; above 1000 it caps nothing (AWS allows about 20).
const MAX_TPS_RANGE: std::ops::RangeInclusive<f64> = 0.1..=1000.0;

/// A positive, finite number of calls per second within [`MAX_TPS_RANGE`].
fn parse_tps(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(tps) if MAX_TPS_RANGE.contains(&tps) => Ok(tps),
        _ => Err(format!(
            "`{}` is not a rate ssomatrix accepts; give calls per second between {} and {}, e.g. `--max-tps 5`",
            s.escape_debug(),
            MAX_TPS_RANGE.start(),
            MAX_TPS_RANGE.end()
        )),
    }
}
