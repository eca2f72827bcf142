//! The command line: what a user can type, and the help that explains it.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

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
    /// Show what apply would create and delete.
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

    /// Write a JSON report of every operation (result, duration, failure reason).
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
