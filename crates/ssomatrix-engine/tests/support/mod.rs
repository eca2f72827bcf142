//! What the engine × simulator tests share: synthetic organisations (from
//! `ssomatrix_testkit::org`, the generator the benchmark uses too), a client
//! on the simulator, and the read → plan → apply steps every test takes,
//! with the options most of them use. Each test binary uses some of it,
//! hence `dead_code` is allowed.

#![allow(dead_code)]

// Each test binary uses some of these.
#[allow(unused_imports)]
pub use ssomatrix_testkit::org::{INSTANCE, Org, OrgSpec, account_id, account_name, ps_arn};

use std::collections::{BTreeMap, BTreeSet};

use ssomatrix_core::config::Config;
use ssomatrix_core::date::Date;
use ssomatrix_core::ids::InstanceArn;
use ssomatrix_core::live::{Assignment, LiveState};
use ssomatrix_core::plan::{Action, Plan, plan};
use ssomatrix_engine::executor::{
    self, ApplyControl, ApplyOptions, ApplyReport, OperationReport, Outcome,
};
use ssomatrix_engine::inventory::{Progress, read_live_state};
use ssomatrix_engine::{Budget, Client, EngineError, InventoryStrategy, Ports, ReadOptions};
use ssomatrix_sim::{AppliedWrite, ServiceModel, Simulator};

pub type SimClient = Client<Simulator, Simulator, Simulator>;

/// A client on `sim` with the default budget.
pub fn client(sim: &Simulator) -> SimClient {
    client_with(sim, Budget::default())
}

pub fn client_with(sim: &Simulator, budget: Budget) -> SimClient {
    Client::new(Ports::all(sim.clone()), budget)
}

/// The organisation `spec` describes; the spec must be one the generator
/// can honour.
pub fn generate(spec: OrgSpec) -> Org {
    ssomatrix_testkit::org::generate(&spec).unwrap()
}

/// The instance every generated organisation has.
pub fn instance() -> InstanceArn {
    InstanceArn::new(INSTANCE).unwrap()
}

/// The date the tests plan on.
pub fn today() -> Date {
    Date::new(2026, 3, 1).unwrap()
}

/// Reading with `strategy`, provisioning status included.
pub fn options(strategy: InventoryStrategy) -> ReadOptions {
    ReadOptions {
        strategy,
        provisioning_status: true,
    }
}

pub async fn try_read(
    client: &SimClient,
    config: &Config,
    options: &ReadOptions,
) -> Result<LiveState, EngineError> {
    read_live_state(client, config, options, &Progress::default()).await
}

/// What `config` reads with `strategy`; the read must succeed.
pub async fn read_by(
    client: &SimClient,
    config: &Config,
    strategy: InventoryStrategy,
) -> LiveState {
    try_read(client, config, &options(strategy)).await.unwrap()
}

/// What `config` reads with the default strategy; the read must succeed.
pub async fn read(client: &SimClient, config: &Config) -> LiveState {
    read_by(client, config, InventoryStrategy::Provisioned).await
}

/// Reads and plans `config` as of `today()`.
pub async fn plan_now(client: &SimClient, config: &Config) -> Plan {
    plan(config, &read(client, config).await, today()).unwrap()
}

/// Applies `plan` with the default options, never stopped.
pub async fn apply(client: &SimClient, plan: &Plan) -> ApplyReport {
    executor::apply(
        client,
        &instance(),
        plan,
        &ApplyOptions::default(),
        &ApplyControl::default(),
    )
    .await
}

/// A file of one rule: `org`'s group `group` with its permission set `set`
/// on the OU `ou`, after `head` (a `safety:` block, say).
pub fn one_rule(org: &Org, file: &str, head: &str, group: usize, set: usize, ou: &str) -> Config {
    let text = format!(
        "{head}assignments:\n- group: {}\n  permission_set: {}\n  ous: [{ou}]\n",
        org.groups[group], org.permission_sets[set]
    );
    Config::parse(file, &text).unwrap()
}

/// Asserts that every operation of `report` succeeded, naming those that
/// did not.
#[track_caller]
pub fn assert_all_succeeded(report: &ApplyReport) {
    let unsucceeded = unsucceeded(report);
    assert!(unsucceeded.is_empty(), "{unsucceeded:?}");
}

/// The operations of `report` that did not succeed.
fn unsucceeded(report: &ApplyReport) -> Vec<&OperationReport> {
    report
        .operations
        .iter()
        .filter(|o| o.outcome != Outcome::Succeeded)
        .collect()
}

/// An organisation of `accounts` accounts and a file that gives the first
/// `groups` groups two permission sets on the root: several creates in each
/// of many accounts, and deletes of what other groups hold there, the
/// changes the service's limits bite on.
pub fn busy(accounts: usize, groups: usize) -> (Org, Config) {
    let org = generate(OrgSpec::scattered(accounts, 6, 10, 2, 11));
    let text = format!(
        "safety:\n  max_deletes: 100000\nassignments:\n\
         - groups: [{}]\n  permission_sets: [{}, {}]\n  ous: [_root_]\n",
        org.groups[..groups].join(", "),
        org.permission_sets[0],
        org.permission_sets[3],
    );
    let config = Config::parse("busy.yaml", &text).unwrap();
    (org, config)
}

/// `busy(accounts, groups)` on a simulator with `model`, and its plan.
pub async fn busy_run(
    accounts: usize,
    groups: usize,
    model: ServiceModel,
) -> (Simulator, SimClient, Config, Plan) {
    let (org, config) = busy(accounts, groups);
    let sim = Simulator::from_snapshot(org.snapshot)
        .unwrap()
        .with_service(model);
    let client = client(&sim);
    let plan = plan_now(&client, &config).await;
    (sim, client, config, plan)
}

/// Replays the simulator's `history` of writes over the assignments held
/// `before` and asserts, at every state it went through: no principal with
/// access to an account before and `after` was without any there (a move
/// between permission sets, a recreated group's new assignment), and no
/// (account, permission set) pair that holds assignments before and after
/// was empty (its IAM role would be deleted and made again). The replay
/// must end in `after`, the simulator's final assignments, so the history
/// left nothing out.
#[track_caller]
pub fn assert_never_without_access(
    before: &[Assignment],
    history: &[AppliedWrite],
    after: &[Assignment],
) {
    let principal = |a: &Assignment| {
        (
            a.account_id.clone(),
            a.principal_type,
            a.principal_id.clone(),
        )
    };
    let pair = |a: &Assignment| (a.account_id.clone(), a.permission_set_arn.clone());
    let mut principals = Holders::new(before, after, principal);
    let mut pairs = Holders::new(before, after, pair);
    let mut held: BTreeSet<Assignment> = before.iter().cloned().collect();
    let mut last = None;
    for w in history {
        assert!(
            last.is_none_or(|t| t <= w.at),
            "history out of order at {w:?}"
        );
        last = Some(w.at);
        let a = &w.assignment;
        let (changed, step) = match w.action {
            Action::Create => (held.insert(a.clone()), 1),
            Action::Delete => (held.remove(a), -1),
        };
        if !changed {
            continue;
        }
        assert!(
            principals.step(principal(a), step),
            "{:?} {} had no access to {} after {w:?}",
            a.principal_type,
            a.principal_id,
            a.account_id
        );
        assert!(
            pairs.step(pair(a), step),
            "permission set {} was held by nobody in {} after {w:?}",
            a.permission_set_arn,
            a.account_id
        );
    }
    let after: BTreeSet<Assignment> = after.iter().cloned().collect();
    assert_eq!(held, after, "the history does not lead to the final state");
}

/// How many assignments each key (a principal in an account, a pair)
/// holds, and the keys that hold some before and after.
struct Holders<K> {
    now: BTreeMap<K, usize>,
    guarded: BTreeSet<K>,
}

impl<K: Ord + Clone> Holders<K> {
    fn new(before: &[Assignment], after: &[Assignment], key: impl Fn(&Assignment) -> K) -> Self {
        let mut now: BTreeMap<K, usize> = BTreeMap::new();
        for a in before {
            *now.entry(key(a)).or_default() += 1;
        }
        let after: BTreeSet<K> = after.iter().map(key).collect();
        let guarded = now.keys().filter(|k| after.contains(*k)).cloned().collect();
        Holders { now, guarded }
    }

    /// Adds `by` to `key`'s count; false when a guarded key is left empty.
    fn step(&mut self, key: K, by: isize) -> bool {
        let n = self.now.entry(key.clone()).or_default();
        *n = n.saturating_add_signed(by);
        *n > 0 || !self.guarded.contains(&key)
    }
}

/// Asserts that the simulator accepted each of `changes` writes once:
/// nothing done twice, nothing left out.
#[track_caller]
pub fn assert_each_write_accepted_once(sim: &Simulator, changes: usize) {
    let stats = sim.service_stats();
    let twice: Vec<_> = stats
        .creates
        .iter()
        .chain(&stats.deletes)
        .filter(|(_, n)| **n > 1)
        .collect();
    assert!(twice.is_empty(), "done twice: {twice:?}");
    assert_eq!(stats.creates.len() + stats.deletes.len(), changes);
}

/// A runtime on paused tokio time, as `#[tokio::test(start_paused = true)]`
/// makes, for proptest bodies.
pub fn paused_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .unwrap()
}
