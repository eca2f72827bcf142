//! An endpoint that stops answering ends an apply clean and fast: calls that
//! cannot connect are retried briefly, a few in a row stop new submissions,
//! and the report says what succeeded, failed and was not attempted. In
//! paused tokio time against the simulator's service model.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::time::Duration;

use ssomatrix_core::config::Config;
use ssomatrix_core::date::Date;
use ssomatrix_core::ids::InstanceArn;
use ssomatrix_core::plan::{Plan, plan};
use ssomatrix_core::ports::{ErrorKind, PortError};
use ssomatrix_engine::client::{UNREACHABLE_RETRIES, UNREACHABLE_STOP_AFTER};
use ssomatrix_engine::executor::{self, ApplyControl, ApplyOptions, Outcome};
use ssomatrix_engine::inventory::{Progress, read_live_state};
use ssomatrix_engine::{Budget, Client, InventoryStrategy, Ports, ReadOptions, Service};
use ssomatrix_sim::{Calls, Fault, FaultPlan, ServiceModel, Simulator};
use support::{OrgSpec, generate};
use tokio::time::Instant;

type SimClient = Client<Simulator, Simulator, Simulator>;

fn client(sim: &Simulator) -> SimClient {
    Client::new(
        Ports {
            sso: sim.clone(),
            ids: sim.clone(),
            org: sim.clone(),
        },
        Budget::default(),
    )
}

/// Many creates over many accounts, on the service model.
async fn busy() -> (Simulator, SimClient, Plan) {
    let org = generate(OrgSpec {
        accounts: 120,
        permission_sets: 6,
        groups: 10,
        users: 2,
        seed: 11,
    });
    let text = format!(
        "safety:\n  max_deletes: 100000\nassignments:\n\
         - groups: [{}, {}, {}]\n  permission_sets: [{}, {}]\n  ous: [_root_]\n",
        org.groups[0], org.groups[1], org.groups[2], org.permission_sets[0], org.permission_sets[3],
    );
    let config = Config::parse("busy.yaml", &text).unwrap();
    let sim = Simulator::from_snapshot(org.snapshot)
        .unwrap()
        .with_service(ServiceModel::default());
    let client = client(&sim);
    let options = ReadOptions {
        strategy: InventoryStrategy::Provisioned,
        provisioning_status: true,
    };
    let live = read_live_state(&client, &config, &options, &Progress::default())
        .await
        .unwrap();
    let plan = plan(&config, &live, Date::new(2026, 3, 1).unwrap()).unwrap();
    assert!(plan.changes.len() > 200, "{}", plan.changes.len());
    (sim, client, plan)
}

#[tokio::test(start_paused = true)]
async fn a_call_that_cannot_connect_is_retried_twice_not_eight_times() {
    let (_sim, client, _plan) = busy().await;
    let attempts = std::sync::atomic::AtomicU32::new(0);
    let started = Instant::now();
    let err = client
        .call(Service::SsoAdmin, "sso:ListInstances", || {
            attempts.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            async {
                Err::<(), _>(PortError::new(
                    "sso:ListInstances",
                    ErrorKind::Unreachable,
                    "tcp connect error: Connection refused (os error 111)",
                ))
            }
        })
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Unreachable);
    assert_eq!(attempts.into_inner(), 1 + UNREACHABLE_RETRIES);
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert!(!client.stats.endpoint_down(), "one call is not a streak");
}

#[tokio::test(start_paused = true)]
async fn an_endpoint_that_stops_answering_mid_apply_stops_submissions() {
    let (sim, client, plan) = busy().await;
    // The endpoint answers for a while, then refuses every connection.
    let later = sim.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_secs(20)).await;
        later.set_faults(FaultPlan::new().inject("*", Calls::All, Fault::Unreachable));
    });
    let started = Instant::now();
    let control = ApplyControl::default();
    let report = executor::apply(
        &client,
        &InstanceArn::new(support::INSTANCE).unwrap(),
        &plan,
        &ApplyOptions::default(),
        &control,
    )
    .await;
    let elapsed = started.elapsed();
    sim.set_faults(FaultPlan::new());

    assert_eq!(
        report.operations.len(),
        plan.changes.len(),
        "every change is reported"
    );
    let succeeded = report.count(|o| *o == Outcome::Succeeded);
    let not_started = report.count(|o| *o == Outcome::NotStarted);
    let failed = report.operations.len() - succeeded - not_started;
    assert!(succeeded > 0, "some finished before the endpoint went away");
    assert!(failed > 0, "some failed when it did");
    assert!(
        not_started > plan.changes.len() / 2,
        "the rest were never submitted: {succeeded} ok, {failed} failed, {not_started} not started"
    );
    assert!(report.interrupted);
    assert!(client.stats.endpoint_down());
    // Failures are bounded by what was in flight when the streak began, not
    // by the size of the plan.
    let in_flight = ApplyOptions::default().max_in_flight;
    assert!(
        failed <= in_flight + UNREACHABLE_STOP_AFTER as usize,
        "{failed} failed"
    );
    // It ends within the operations' own timeout rather than running on.
    assert!(
        elapsed < Duration::from_secs(20) + ApplyOptions::default().operation_timeout,
        "{elapsed:?}"
    );
}
