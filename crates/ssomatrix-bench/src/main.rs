//! ssomatrix-bench: plans and applies synthetic organisations of S, M, L and
//! XL size against the simulated sso-admin service (quotas and latency on,
//! in paused tokio time), next to the lower bounds of docs/BENCHMARKS.md
//! (the service limits behind them: docs/aws-behaviour.md) and to peer
//! algorithms (Terraform, aws-sso-util) over the same simulator, and a
//! restore of every desired assignment (`restore`), the file `import`
//! writes for the organisation (`import`), `apply --account` for one
//! new account (`account`), and the access report with users in groups
//! (`access`).
//!
//! `cargo run --release -p ssomatrix-bench -- --size s|m|l|xl [--json]`

mod access;
mod account;
mod apply_bound;
mod import;
mod management;
mod measure;
mod peers;
mod restore;

use std::fmt::Write;

use anyhow::{Context, anyhow};
use clap::Parser;
use serde::Serialize;
use ssomatrix_testkit::org::{Generated, SIZES, Size, sized, sized_with_users};

use access::AccessRun;
use account::AccountRun;
use import::ImportRun;
use management::ManagementPlanRun;
use measure::{ApplyRun, PlanRun};
use peers::PeerRun;
use restore::RestoreRun;

/// The seed of every generated organisation.
const SEED: u64 = 2026;

#[derive(Debug, Parser)]
#[command(about = "Benchmark ssomatrix's plan and apply against the simulated service")]
struct Args {
    /// Organisation size: s (50 accounts), m (500), l (2,000) or xl (7,000).
    #[arg(long, value_parser = ["s", "m", "l", "xl"])]
    size: String,
    /// Print one JSON object instead of a table.
    #[arg(long)]
    json: bool,
    /// Assign about a tenth of the wanted assignments to users directly
    /// (three users for every ten accounts), not only to groups.
    #[arg(long)]
    users: bool,
    /// Also write the organisation (`snapshot.yaml`, for `--snapshot`) and
    /// the file (`assignments.yaml`) into this directory.
    #[arg(long, value_name = "DIR")]
    write: Option<std::path::PathBuf>,
    /// Run only the access report entry (the others take minutes at XL)
    /// and print its JSON.
    #[arg(long)]
    access_only: bool,
}

#[derive(Debug, Serialize)]
struct Report {
    size: String,
    accounts: usize,
    permission_sets: usize,
    groups: usize,
    users: usize,
    desired_assignments: usize,
    live_assignments: usize,
    /// The plan read per pair, as a delegated administrator must (one call
    /// fewer than its: the listing of what is provisioned to the management
    /// account).
    plan: PlanRun,
    /// The plan of the management account, which weighs reading per pair
    /// against reading by principal (`--inventory auto`).
    plan_management: ManagementPlanRun,
    apply: ApplyRun,
    /// Every desired assignment missing (an identity source switched):
    /// the restore, creates only.
    restore: RestoreRun,
    /// The file `ssomatrix import` writes for the live state.
    import: ImportRun,
    /// One new account given its access by `apply --account`.
    account: AccountRun,
    /// The access report, with users in groups.
    access: AccessRun,
    baselines: Baselines,
}

#[derive(Debug, Serialize)]
struct Baselines {
    terraform: Terraform,
    aws_sso_util: AwsSsoUtil,
}

#[derive(Debug, Serialize)]
struct Terraform {
    plan: PeerRun,
    apply: PeerRun,
}

#[derive(Debug, Serialize)]
struct AwsSsoUtil {
    plan: PeerRun,
}

/// Generates the organisation of `size` and runs everything on it, in one
/// paused runtime: virtual time advances only while every task waits.
fn run(size: Size, users: bool) -> anyhow::Result<Report> {
    let generated = organisation(size, users)?;
    // First, while the process is small: its peak RSS is import's own.
    let import = import::measure_import(&generated)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .context("building the tokio runtime")?;
    // Next, on an organisation of its own: users in groups.
    let access = runtime.block_on(access::measure_access(&access::organisation(size, SEED)?))?;
    runtime.block_on(async {
        let (plan, apply, the_plan) = measure::ours(&generated).await?;
        let plan_management = management::plan_management(&generated).await?;
        let terraform = Terraform {
            plan: peers::terraform_plan(&generated).await?,
            apply: peers::terraform_apply(&generated, &the_plan).await?,
        };
        let aws_sso_util = AwsSsoUtil {
            plan: peers::aws_sso_util_plan(&generated).await?,
        };
        let restore = restore::restore(&generated).await?;
        let account = account::new_account(&generated, plan.calls).await?;
        Ok(Report {
            size: size.name.to_owned(),
            accounts: size.accounts,
            permission_sets: size.permission_sets,
            groups: size.groups,
            users: generated.snapshot.users.len(),
            desired_assignments: generated.desired.len(),
            live_assignments: generated.snapshot.assignments.len(),
            plan,
            plan_management,
            apply,
            restore,
            import,
            account,
            access,
            baselines: Baselines {
                terraform,
                aws_sso_util,
            },
        })
    })
}

/// The organisation of `size`, with users when asked.
fn organisation(size: Size, users: bool) -> anyhow::Result<Generated> {
    Ok(if users {
        sized_with_users(size, SEED)?
    } else {
        sized(size, SEED)?
    })
}

fn table(r: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "size {}: {} accounts, {} permission sets, {} groups, {} users; {} assignments wanted, {} live",
        r.size.to_uppercase(),
        r.accounts,
        r.permission_sets,
        r.groups,
        r.users,
        r.desired_assignments,
        r.live_assignments
    );
    let p = &r.plan;
    let _ = writeln!(
        out,
        "plan: {} calls ({} sso-admin; bound {} = {} pairs + {} permission sets), {:.1} s virtual, \
         bound {:.1} s ({:.2}x), cpu {:.2} s ({:.2} s reading, of which the simulator ~{:.2} s), peak rss {:.0} MB; {} to create, {} to delete",
        p.calls,
        p.sso_calls,
        p.lower_bound_calls,
        p.pairs,
        p.permission_sets_read,
        p.virtual_seconds,
        p.lower_bound_seconds,
        ratio(p.virtual_seconds, p.lower_bound_seconds),
        p.cpu_seconds,
        p.read_cpu_seconds,
        p.simulator_cpu_seconds,
        p.peak_rss_mb,
        p.creates,
        p.deletes
    );
    let m = &r.plan_management;
    let _ = writeln!(
        out,
        "plan (management account): read {}, {} calls ({} sso-admin; bound {}, {:.2}x), {:.1} s virtual, \
         bound {:.1} s ({:.2}x; sso-admin {:.1} s, organizations {:.1} s); estimated sso-admin calls per pair {}, by principal {}; {} principals",
        m.strategy.as_str(),
        m.calls,
        m.sso_calls,
        m.lower_bound_calls,
        ratio(m.sso_calls as f64, m.lower_bound_calls as f64),
        m.virtual_seconds,
        m.lower_bound_seconds,
        ratio(m.virtual_seconds, m.lower_bound_seconds),
        m.sso_bound_seconds,
        m.organizations_bound_seconds,
        m.per_pair_calls_estimate,
        m.by_principal_calls_estimate
            .map_or_else(|| "-".to_owned(), |n| n.to_string()),
        m.principals
    );
    let a = &r.apply;
    let _ = writeln!(
        out,
        "apply: {} ops ({} succeeded), {} calls ({:.2} an op), {:.1} s virtual, bound {:.1} s \
         ({:.0}% of the limit; rate bound {:.1} s, {:.0}%); service throttles {}, conflicts {}, most outstanding {}",
        a.ops,
        a.succeeded,
        a.calls,
        a.calls_per_op,
        a.virtual_seconds,
        a.lower_bound_seconds,
        100.0 * a.efficiency,
        a.rate_bound_seconds,
        100.0 * a.rate_efficiency,
        a.service_throttles,
        a.service_conflicts,
        a.max_outstanding
    );
    let rs = &r.restore;
    let _ = writeln!(
        out,
        "restore (every desired assignment missing): {} creates, plan {:.1} s virtual, apply {:.1} s virtual, \
         bound {:.1} s ({:.0}% of the limit; rate bound {:.1} s, {:.0}%); service throttles {}, most outstanding {}",
        rs.creates,
        rs.plan_virtual_seconds,
        rs.apply.virtual_seconds,
        rs.apply.lower_bound_seconds,
        100.0 * rs.apply.efficiency,
        rs.apply.rate_bound_seconds,
        100.0 * rs.apply.rate_efficiency,
        rs.apply.service_throttles,
        rs.apply.max_outstanding
    );
    let im = &r.import;
    let _ = writeln!(
        out,
        "import: {} rules for {} live assignments ({:.3} a rule an assignment; the generator's file has {}, \
         import of the state it wants {}), {} changes beyond orphans, cpu {:.2} s, peak rss {:.0} MB",
        im.rules,
        im.live_assignments,
        im.rules_per_assignment,
        im.file_rules,
        im.converged_rules,
        im.changes_beyond_orphans,
        im.cpu_seconds,
        im.peak_rss_mb
    );
    let ac = &r.account;
    let _ = writeln!(
        out,
        "apply --account (one new account in {}): {} creates, {} calls ({} reading, {:.2}% of a full plan's), \
         {:.1} s virtual ({:.1} s reading and planning)",
        ac.ou_path,
        ac.creates,
        ac.calls,
        ac.read_calls,
        100.0 * ac.share_of_full_plan_calls,
        ac.virtual_seconds,
        ac.read_virtual_seconds
    );
    let x = &r.access;
    let _ = writeln!(
        out,
        "access report ({} users in groups, {} memberships): {} rows ({} expected), {} people; {} calls \
         ({} ListGroupMemberships, {} naming users), {:.1} s virtual ({:.1} s members); build cpu {:.2} s, \
         csv cpu {:.2} s ({:.0} MB), peak rss {:.0} MB beyond the read ({:.0} MB)",
        x.users,
        x.memberships,
        x.rows,
        x.expected_rows,
        x.people,
        x.calls,
        x.membership_calls,
        x.naming_calls,
        x.virtual_seconds,
        x.members_virtual_seconds,
        x.build_cpu_seconds,
        x.csv_cpu_seconds,
        x.csv_mb,
        x.peak_rss_beyond_read_mb,
        x.rss_before_mb
    );
    let pp = &x.plan_people;
    let _ = writeln!(
        out,
        "plan people (same organisation; read after planning): members of {} group(s), {} calls, \
         {:.1} s virtual; {} people gain, {} lose",
        pp.groups_read, pp.calls, pp.virtual_seconds, pp.gain, pp.lose
    );
    for (name, run) in [
        ("terraform plan", &r.baselines.terraform.plan),
        ("terraform apply", &r.baselines.terraform.apply),
        ("aws-sso-util plan", &r.baselines.aws_sso_util.plan),
    ] {
        let _ = writeln!(
            out,
            "{name}: {} calls, {:.1} s virtual{}",
            run.calls,
            run.virtual_seconds,
            run.unsuccessful
                .map(|n| format!(", {n} not succeeded"))
                .unwrap_or_default()
        );
    }
    let _ = writeln!(
        out,
        "plan calls: terraform {:.2}x ours, aws-sso-util {:.2}x ours; terraform {:.2}x ours from the management account",
        ratio(r.baselines.terraform.plan.calls as f64, p.calls as f64),
        ratio(r.baselines.aws_sso_util.plan.calls as f64, p.calls as f64),
        ratio(r.baselines.terraform.plan.calls as f64, m.calls as f64)
    );
    let _ = writeln!(out, "calls by operation (plan / apply):");
    let ops: std::collections::BTreeSet<&String> = p
        .calls_by_operation
        .keys()
        .chain(a.calls_by_operation.keys())
        .collect();
    for op in ops {
        let _ = writeln!(
            out,
            "  {op:<50} {:>7} {:>7}",
            p.calls_by_operation.get(op).copied().unwrap_or(0),
            a.calls_by_operation.get(op).copied().unwrap_or(0)
        );
    }
    out
}

fn ratio(a: f64, b: f64) -> f64 {
    if b > 0.0 { a / b } else { 0.0 }
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let size = Size::named(&args.size).ok_or_else(|| {
        anyhow!(
            "unknown size `{}`; use one of {}",
            args.size,
            SIZES.map(|s| s.name).join(", ")
        )
    })?;
    if let Some(dir) = &args.write {
        let generated = organisation(size, args.users)?;
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        // JSON is YAML, so the snapshot loads as a snapshot file.
        let snapshot = serde_json::to_string_pretty(&generated.snapshot)?;
        for (name, text) in [
            ("snapshot.yaml", snapshot.as_str()),
            ("assignments.yaml", generated.config_text.as_str()),
        ] {
            let path = dir.join(name);
            std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
        }
    }
    if args.access_only {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .build()
            .context("building the tokio runtime")?;
        let generated = access::organisation(size, SEED)?;
        let run = runtime.block_on(access::measure_access(&generated))?;
        println!("{}", serde_json::to_string_pretty(&run)?);
        return Ok(());
    }
    let report = run(size, args.users)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", table(&report));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_small_benchmark_runs_within_its_bounds() {
        let r = run(Size::named("s").unwrap(), false).unwrap();
        // Reading can do no better than one listing per pair and set.
        assert!(r.plan.sso_calls >= r.plan.lower_bound_calls);
        assert!(r.plan.virtual_seconds >= r.plan.lower_bound_seconds);
        assert!(r.apply.ops > 0);
        assert_eq!(r.apply.succeeded, r.apply.ops);
        assert!(r.apply.calls >= r.apply.ops as u64);
        assert!(r.apply.virtual_seconds >= r.apply.lower_bound_seconds);
        // The peers did their work without errors.
        assert_eq!(r.baselines.terraform.apply.unsuccessful, Some(0));
        assert!(r.baselines.terraform.plan.calls >= r.desired_assignments as u64);
        let json = serde_json::to_value(&r).unwrap();
        for key in [
            "calls",
            "virtual_seconds",
            "lower_bound_seconds",
            "cpu_seconds",
            "peak_rss_mb",
        ] {
            assert!(json["plan"][key].is_number(), "plan.{key}");
        }
        // The management account's plan read the cheaper way, within the
        // bound of that way, and planned what the per-pair plan planned but
        // the deletes of deleted principals' assignments.
        let m = &r.plan_management;
        let estimates = (
            m.per_pair_calls_estimate,
            m.by_principal_calls_estimate.unwrap(),
        );
        assert_eq!(
            m.strategy,
            ssomatrix_core::live::ReadWay::ByPrincipal,
            "{m:?}"
        );
        assert!(estimates.1 < estimates.0, "{m:?}");
        assert!(m.sso_calls >= m.lower_bound_calls, "{m:?}");
        assert!(m.virtual_seconds >= m.lower_bound_seconds, "{m:?}");
        assert_eq!(m.creates, r.plan.creates);
        assert_eq!(json["plan_management"]["strategy"], "by_principal");
        // The service's cap of 10 outstanding operations held, and was used.
        let most = json["apply"]["max_outstanding"].as_u64().unwrap();
        assert!((1..=10).contains(&most), "{most}");
        // The restore creates every desired assignment, all of them
        // succeeded, within the service's limits and above the bound.
        let restore = &r.restore;
        assert_eq!(restore.creates, r.desired_assignments);
        assert_eq!(restore.apply.ops, restore.creates);
        assert_eq!(restore.apply.succeeded, restore.apply.ops);
        assert!(restore.apply.virtual_seconds >= restore.apply.lower_bound_seconds);
        assert_eq!(restore.apply.service_throttles, 0);
        assert!((1..=10).contains(&restore.apply.max_outstanding));
        // The imported file reproduces the live state, and for the state
        // the generator's file wants it writes no more rules than that
        // hand-written file. (The live state's own rule count is over 10% of
        // its assignments at S: its missing assignments and click-ops each
        // cost a rule; docs/BENCHMARKS.md.)
        assert_eq!(r.import.changes_beyond_orphans, 0);
        assert!(r.import.rules >= r.import.converged_rules, "{:?}", r.import);
        assert!(
            r.import.converged_rules <= r.import.file_rules,
            "{:?}",
            r.import
        );
        // The new account got every create, alone, reading a fraction of
        // what a full plan reads (S is the smallest organisation: the share
        // falls as the organisation grows; the apply's own calls do not).
        let account = &r.account;
        assert!(account.creates > 0);
        assert_eq!(account.apply.succeeded, account.creates);
        assert!(account.read_calls < r.plan.calls / 4, "{account:?}");
        let calls = |op: &str| {
            account
                .read_calls_by_operation
                .get(op)
                .copied()
                .unwrap_or(0)
        };
        for op in [
            "sso:ListAccountsForProvisionedPermissionSet",
            "organizations:ListOrganizationalUnitsForParent",
            "organizations:ListRoots",
        ] {
            assert_eq!(calls(op), 0, "{op}");
        }
        // One page of the new account's parent, to find its siblings.
        assert_eq!(calls("organizations:ListAccountsForParent"), 1);
        // The sets its rules name, found among its siblings': not every set.
        assert!(
            calls("sso:DescribePermissionSet") < r.permission_sets as u64 / 2,
            "{account:?}"
        );
    }
}
