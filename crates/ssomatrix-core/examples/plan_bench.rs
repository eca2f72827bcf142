//! Benchmark of the pure planner: expansion and diff of a large organisation
//! (default: 5,000 accounts, 200 rules, about 100,000 desired against 100,000
//! live assignments). Prints CPU seconds and peak RSS; it asserts nothing.
//!
//! `cargo run --release -p ssomatrix-core --example plan_bench -- [ACCOUNTS] [RULES]`

use std::collections::BTreeMap;
use std::fmt::Write;
use std::time::Instant;

use ssomatrix_core::config::Config;
use ssomatrix_core::date::Date;
use ssomatrix_core::ids::{
    AccountId, AccountState, IdentityStoreId, InstanceArn, OuId, PermissionSetArn, PrincipalId,
    PrincipalType, RootId,
};
use ssomatrix_core::live::Assignment;
use ssomatrix_core::org::NodeId;
use ssomatrix_core::plan::plan;
use ssomatrix_core::snapshot::{
    Snapshot, SnapshotAccount, SnapshotOrganization, SnapshotOu, SnapshotPermissionSet,
    SnapshotPrincipal,
};

const TOP_OUS: usize = 10;
const CHILD_OUS: usize = 5;
const PERMISSION_SETS: usize = 40;

/// User + system CPU seconds of this process, from /proc (Linux).
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // utime and stime are fields 14 and 15 of stat, 12 and 13 after the name.
    (ticks(11) + ticks(12)) / 100.0
}

/// Peak resident set size in MB, from /proc (Linux).
fn peak_rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

fn id(kind: &str, n: usize) -> String {
    format!("{n:08x}-{kind}-4000-8000-{n:012x}")
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let accounts = args.first().copied().unwrap_or(5_000);
    let rules = args.get(1).copied().unwrap_or(200);
    let instance = "arn:aws:sso:::instance/ssoins-0000000000000001";
    let ps_arn =
        |i: usize| format!("arn:aws:sso:::permissionSet/ssoins-0000000000000001/ps-{i:016x}");

    let mut ous = Vec::new();
    for t in 0..TOP_OUS {
        ous.push(SnapshotOu {
            id: OuId::new(format!("ou-root-a{t:07}"))?,
            name: format!("Top{t}"),
            parent: NodeId::parse("r-root")?,
        });
        for c in 0..CHILD_OUS {
            ous.push(SnapshotOu {
                id: OuId::new(format!("ou-root-b{t:03}{c:04}"))?,
                name: format!("Child{c}"),
                parent: NodeId::parse(&format!("ou-root-a{t:07}"))?,
            });
        }
    }
    let per_child = accounts.div_ceil(TOP_OUS * CHILD_OUS);
    let mut accts = Vec::new();
    for a in 0..accounts {
        let (t, c) = (
            (a / per_child) / CHILD_OUS % TOP_OUS,
            (a / per_child) % CHILD_OUS,
        );
        accts.push(SnapshotAccount {
            id: AccountId::new(format!("{:012}", 100_000_000_000u64 + a as u64))?,
            name: format!("account-{a}"),
            state: if a % 500 == 499 {
                AccountState::Suspended
            } else {
                AccountState::Active
            },
            parent: NodeId::parse(&format!("ou-root-b{t:03}{c:04}"))?,
            tags: BTreeMap::from([(
                "env".to_owned(),
                if a % 2 == 0 { "prod" } else { "dev" }.to_owned(),
            )]),
        });
    }
    let groups: Vec<SnapshotPrincipal> = (0..rules + 50)
        .map(|g| {
            Ok(SnapshotPrincipal::new(
                PrincipalId::new(id("0001", g))?,
                format!("group-{g}"),
            ))
        })
        .collect::<Result<_, Box<dyn std::error::Error>>>()?;
    let permission_sets: Vec<SnapshotPermissionSet> = (0..PERMISSION_SETS)
        .map(|p| {
            Ok(SnapshotPermissionSet {
                arn: PermissionSetArn::new(ps_arn(p))?,
                name: format!("Set{p}"),
                not_provisioned_accounts: Default::default(),
            })
        })
        .collect::<Result<_, Box<dyn std::error::Error>>>()?;

    // Rule i: group-i gets Set(i % 40) in Top(i % 10), i.e. its 500 accounts.
    let mut yaml = String::from("assignments:\n");
    let mut live = Vec::new();
    for (r, group) in groups.iter().enumerate().take(rules) {
        let (ps, top) = (r % PERMISSION_SETS, r % TOP_OUS);
        let _ = writeln!(
            yaml,
            "  - group: group-{r}\n    permission_set: Set{ps}\n    ous: [Top{top}]"
        );
        for (n, a) in accts
            .iter()
            .enumerate()
            .filter(|(_, a)| a.parent.as_str().starts_with(&format!("ou-root-b{top:03}")))
        {
            // 5% of what the file wants is missing live (creates).
            if n % 20 == r % 20 {
                continue;
            }
            live.push(Assignment {
                account_id: a.id.clone(),
                permission_set_arn: permission_sets[ps].arn.clone(),
                principal_type: PrincipalType::Group,
                principal_id: group.id.clone(),
            });
        }
    }
    // Click-ops drift: 5,000 undeclared assignments on owned permission sets.
    for d in 0..5_000 {
        let a = &accts[(d * 7) % accounts];
        live.push(Assignment {
            account_id: a.id.clone(),
            permission_set_arn: permission_sets[d % PERMISSION_SETS].arn.clone(),
            principal_type: PrincipalType::Group,
            principal_id: groups[rules + d % 50].id.clone(),
        });
    }
    let snapshot = Snapshot {
        format_version: 1,
        instance_arn: InstanceArn::new(instance)?,
        identity_store_id: IdentityStoreId::new("d-0000000001")?,
        caller_account_id: None,
        organization: SnapshotOrganization {
            root_id: RootId::new("r-root")?,
            management_account_id: accts[0].id.clone(),
            organizational_units: ous,
            accounts: accts,
        },
        groups,
        users: vec![],
        permission_sets,
        assignments: live,
    };
    let live_count = snapshot.assignments.len();

    let cpu0 = cpu_seconds();
    let t0 = Instant::now();
    let config = Config::parse("bench.yaml", &yaml).map_err(|e| e.to_string())?;
    let t_parse = t0.elapsed();
    let state = snapshot.to_live_state()?;
    let t_live = t0.elapsed() - t_parse;
    let t1 = Instant::now();
    let plan = plan(&config, &state, Date::parse("2026-11-24")?).map_err(|e| e.to_string())?;
    let t_plan = t1.elapsed();
    let cpu = cpu_seconds() - cpu0;
    println!(
        "{{\"accounts\": {accounts}, \"rules\": {rules}, \"live\": {live_count}, \"desired\": {}, \"create\": {}, \"delete\": {}, \
         \"parse_ms\": {:.1}, \"live_state_ms\": {:.1}, \"plan_ms\": {:.1}, \"cpu_seconds\": {cpu:.2}, \"peak_rss_mb\": {:.1}}}",
        plan.summary.create + plan.summary.unchanged,
        plan.summary.create,
        plan.summary.delete,
        t_parse.as_secs_f64() * 1e3,
        t_live.as_secs_f64() * 1e3,
        t_plan.as_secs_f64() * 1e3,
        peak_rss_mb()
    );
    Ok(())
}
