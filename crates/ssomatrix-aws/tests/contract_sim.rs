//! The port contract of the simulator: the checks of `contract_moto.rs`, and
//! those of operations moto lacks, run against
//! `ssomatrix_sim::Simulator` loaded from the same fixture snapshot.
//!
//! The simulator keeps the snapshot's ids, so the fixture is the expectation
//! as it is. Time is paused: status polls cost no real time.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use ssomatrix_sim::Simulator;
use ssomatrix_testkit::fixture;
use support::contract;

fn simulator() -> Simulator {
    Simulator::from_snapshot(fixture::spec()).unwrap()
}

#[tokio::test(start_paused = true)]
async fn organizations_reads_match_the_snapshot() {
    contract::check_organization(&simulator(), &fixture::spec()).await;
}

#[tokio::test(start_paused = true)]
async fn account_lookups_match_the_snapshot() {
    contract::check_account_lookups(&simulator(), &fixture::spec()).await;
}

#[tokio::test(start_paused = true)]
async fn the_caller_is_the_management_account_or_the_snapshots_caller() {
    contract::check_caller(&simulator(), &fixture::spec()).await;
    let mut delegated = fixture::spec();
    let org = &delegated.organization;
    let member = org
        .accounts
        .iter()
        .find(|a| a.id != org.management_account_id)
        .unwrap()
        .id
        .clone();
    delegated.caller_account_id = Some(member);
    let sim = Simulator::from_snapshot(delegated.clone()).unwrap();
    contract::check_caller(&sim, &delegated).await;
}

#[tokio::test(start_paused = true)]
async fn identity_store_reads_match_the_snapshot() {
    contract::check_identity_store(&simulator(), &fixture::spec()).await;
}

#[tokio::test(start_paused = true)]
async fn sso_admin_reads_match_the_snapshot() {
    let (sim, expected) = (simulator(), fixture::spec());
    contract::check_instance(&sim, &expected).await;
    contract::check_permission_sets(&sim, &expected).await;
    contract::check_account_assignments(&sim, &expected).await;
    contract::check_assignments_for_principal(&sim, &expected).await;
}

#[tokio::test(start_paused = true)]
async fn assignments_are_created_and_deleted_and_listed_by_status() {
    let (sim, expected) = (simulator(), fixture::spec());
    let done = contract::check_assignment_lifecycle(&sim, &expected).await;
    contract::check_status_lists(&sim, &expected, &done).await;
    let mut remaining = expected.clone();
    remaining.assignments.retain(|a| *a != done.orphan);
    contract::check_account_assignments(&sim, &remaining).await;
}

#[tokio::test(start_paused = true)]
async fn provisioning_settles_and_the_provisioned_listings_follow_assignments() {
    let (sim, expected) = (simulator(), fixture::spec());
    contract::check_provisioned_listings(&sim, &expected).await;
    let request = contract::check_provision(&sim, &expected).await;
    contract::check_provisioning_status(&sim, &expected, &request).await;
}
