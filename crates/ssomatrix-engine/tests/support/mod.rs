//! What the engine × simulator tests share: synthetic organisations (from
//! `ssomatrix_testkit::org`, the generator the benchmark uses too), a client
//! on the simulator, and the read → plan → apply steps every test takes,
//! with the options most of them use. Each test binary uses some of it,
//! hence `dead_code` is allowed.

#![allow(dead_code)]

// Each test binary uses some of these.
#[allow(unused_imports)]
pub use ssomatrix_testkit::org::{INSTANCE, Org, OrgSpec, account_id, account_name, ps_arn};

use ssomatrix_core::config::Config;
use ssomatrix_core::date::Date;
use ssomatrix_core::ids::InstanceArn;
use ssomatrix_core::live::LiveState;
use ssomatrix_core::plan::{Plan, plan};
use ssomatrix_engine::executor::{
    self, ApplyControl, ApplyOptions, ApplyReport, OperationReport, Outcome,
};
use ssomatrix_engine::inventory::{Progress, read_live_state};
use ssomatrix_engine::{Budget, Client, EngineError, InventoryStrategy, Ports, ReadOptions};
use ssomatrix_sim::{ServiceModel, Simulator};

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
