//! An endpoint that stops answering ends an apply clean and fast: calls that
//! cannot connect are retried briefly, a few in a row stop new submissions,
//! and the report says what succeeded, failed and was not attempted. In
//! paused tokio time against the simulator's service model.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::time::Duration;

use ssomatrix_core::plan::Plan;
use ssomatrix_core::ports::{ErrorKind, Operation, PortError};

use ssomatrix_engine::client::{UNREACHABLE_RETRIES, UNREACHABLE_STOP_AFTER};
use ssomatrix_engine::executor::{self, ApplyControl, ApplyOptions, Outcome};
use ssomatrix_sim::{Calls, Fault, FaultPlan, Operations, ServiceModel, Simulator};
use support::{SimClient, instance};
use tokio::time::Instant;

/// Many creates over many accounts, on the service model.
async fn busy() -> (Simulator, SimClient, Plan) {
    let (sim, client, _config, plan) = support::busy_run(120, 3, ServiceModel::default()).await;
    assert!(plan.changes.len() > 200, "{}", plan.changes.len());
    (sim, client, plan)
}

#[tokio::test(start_paused = true)]
async fn a_call_that_cannot_connect_is_retried_twice_not_eight_times() {
    let (_sim, client, _plan) = busy().await;
    let attempts = std::sync::atomic::AtomicU32::new(0);
    let started = Instant::now();
    let err = client
        .call(Operation::ListInstances, || {
            attempts.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            async {
                Err::<(), _>(PortError::new(
                    Operation::ListInstances,
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
        later.set_faults(FaultPlan::new().inject(Operations::All, Calls::All, Fault::Unreachable));
    });
    let started = Instant::now();
    let control = ApplyControl::default();
    let report = executor::apply(
        &client,
        &instance(),
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
