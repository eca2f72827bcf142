//! The simulator's injected faults and call log, in paused tokio time.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use ssomatrix_core::org::NodeId;
use ssomatrix_core::ports::{ErrorKind, Operation, Organizations, Service, SsoAdmin};
use ssomatrix_sim::{Calls, Fault, FaultPlan, Operations, Simulator, page_size};
use tokio::time::Instant;

/// An organisation with 45 accounts at the root: three Organizations pages.
fn simulator() -> Simulator {
    let mut text = String::from(
        "format_version: 1\n\
         instance_arn: arn:aws:sso:::instance/ssoins-0123456789abcdef\n\
         identity_store_id: d-1234567890\n\
         organization:\n  root_id: r-ab12\n  management_account_id: '100000000000'\n  accounts:\n",
    );
    for i in 0..45 {
        text += &format!(
            "  - {{id: '{:012}', name: a{i}, state: ACTIVE, parent: r-ab12}}\n",
            100_000_000_000u64 + i
        );
    }
    text += "assignments: []\n...\n";
    Simulator::from_snapshot_text("test.yaml", &text).unwrap()
}

fn root() -> NodeId {
    NodeId::parse("r-ab12").unwrap()
}

/// Follows a listing to the end, returning the items and the page count.
async fn list_all(sim: &Simulator) -> (usize, usize) {
    let (mut items, mut pages, mut token) = (0, 0, None);
    for _ in 0..100 {
        let page = sim.list_accounts_for_parent(&root(), token).await.unwrap();
        items += page.items.len();
        pages += 1;
        match page.next_token {
            Some(t) => token = Some(t),
            None => return (items, pages),
        }
    }
    panic!("the listing did not end");
}

#[tokio::test(start_paused = true)]
async fn no_plan_changes_nothing() {
    let sim = simulator();
    assert_eq!(
        list_all(&sim).await,
        (45, 45usize.div_ceil(page_size::ORGANIZATIONS))
    );
    assert_eq!(sim.total_calls(), 3);
}

#[tokio::test(start_paused = true)]
async fn empty_pages_carry_a_fresh_token_to_the_same_place() {
    let sim = simulator().with_faults(FaultPlan::new().inject(
        Operation::ListAccountsForParent,
        Calls::Every(2),
        Fault::EmptyPage,
    ));
    // Calls 2 and 4 answer empty pages: two extra pages, no item lost.
    assert_eq!(list_all(&sim).await, (45, 5));
    // The first call of a listing can be empty too, and tokens never repeat.
    sim.set_faults(FaultPlan::new().inject(Service::Organizations, Calls::All, Fault::EmptyPage));
    let first = sim.list_accounts_for_parent(&root(), None).await.unwrap();
    assert!(first.items.is_empty());
    let second = sim
        .list_accounts_for_parent(&root(), first.next_token.clone())
        .await
        .unwrap();
    assert!(second.items.is_empty());
    assert_ne!(first.next_token, second.next_token);
    sim.set_faults(FaultPlan::new());
    let page = sim
        .list_accounts_for_parent(&root(), second.next_token)
        .await
        .unwrap();
    assert_eq!(page.items.len(), page_size::ORGANIZATIONS);
    // Operations that are not listings ignore empty-page rules.
    sim.set_faults(FaultPlan::new().inject(Operations::All, Calls::All, Fault::EmptyPage));
    assert!(sim.describe_organization().await.is_ok());
}

#[tokio::test(start_paused = true)]
async fn throttles_and_500s_hit_the_chosen_calls_and_are_counted() {
    let sim = simulator().with_faults(
        FaultPlan::new()
            .inject(Operation::ListInstances, Calls::First(2), Fault::Throttle)
            .inject(Service::Organizations, Calls::Every(2), Fault::Transient),
    );
    let kinds = outcomes(&sim).await;
    assert_eq!(
        kinds,
        [
            Some(ErrorKind::Throttled),
            Some(ErrorKind::Throttled),
            None,
            None,
            Some(ErrorKind::Transient),
            None,
        ]
    );
    assert!(sim.list_instances(None).await.is_ok());
    assert_eq!(sim.calls()[&Operation::ListInstances], 4);
    assert_eq!(sim.calls()[&Operation::DescribeOrganization], 3);
}

/// The error kinds of three ListInstances then three DescribeOrganization calls.
async fn outcomes(sim: &Simulator) -> Vec<Option<ErrorKind>> {
    let mut kinds = Vec::new();
    for _ in 0..3 {
        kinds.push(sim.list_instances(None).await.err().map(|e| e.kind));
    }
    for _ in 0..3 {
        kinds.push(sim.describe_organization().await.err().map(|e| e.kind));
    }
    kinds
}

#[tokio::test(start_paused = true)]
async fn latency_costs_tokio_time_and_calls_are_logged_on_arrival() {
    let sim = simulator().with_faults(
        FaultPlan::new()
            .latency(Operation::ListRoots, Duration::from_millis(500))
            .latency(Service::Organizations, Duration::from_millis(100)),
    );
    let start = Instant::now();
    sim.list_roots(None).await.unwrap();
    assert_eq!(start.elapsed(), Duration::from_millis(500));
    sim.describe_organization().await.unwrap();
    assert_eq!(start.elapsed(), Duration::from_millis(600));
    sim.list_instances(None).await.unwrap();
    assert_eq!(start.elapsed(), Duration::from_millis(600));
    assert_eq!(
        sim.call_times(Service::Organizations),
        [start, start + Duration::from_millis(500)]
    );
    assert_eq!(sim.call_times(Operations::All).len(), 3);
}

#[tokio::test(start_paused = true)]
async fn the_busiest_window_is_counted_half_open() {
    let sim = simulator();
    // Calls at 0, 0.5, 0.9, 1.0 and 1.2 s: [0, 1) holds three, [0.5, 1.5) four.
    for gap in [0, 500, 400, 100, 200] {
        tokio::time::sleep(Duration::from_millis(gap)).await;
        sim.list_instances(None).await.unwrap();
    }
    sim.describe_organization().await.unwrap();
    assert_eq!(
        sim.max_calls_in_window(Service::SsoAdmin, Duration::from_secs(1)),
        4
    );
    assert_eq!(
        sim.max_calls_in_window(Service::SsoAdmin, Duration::from_millis(500)),
        3
    );
    assert_eq!(
        sim.max_calls_in_window(Service::Organizations, Duration::from_secs(1)),
        1
    );
    assert_eq!(
        sim.max_calls_in_window(Service::IdentityStore, Duration::from_secs(1)),
        0
    );
}
