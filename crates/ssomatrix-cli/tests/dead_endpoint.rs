//! Failures end clean and fast: a refused connection names the endpoint and
//! where it came from and fails after two retries, not nine; an endpoint
//! that stops answering in the middle of an apply stops the submissions, and
//! the summary and `--report` (with what was not attempted) still come out
//! before exit 1.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ssomatrix_testkit::fixture::{self, GROUP_FINOPS};
use ssomatrix_testkit::seed_moto_blocking;
use support::{Run, run_against, write};

fn run(endpoint: &str, dir: &Path, args: &[&str]) -> Run {
    run_against(endpoint, dir, "2026-06-15", args)
}

/// A file with one rule, for aws-finops.
fn assignments(dir: &Path) -> String {
    write(
        dir,
        "assignments.yaml",
        &format!(
            "assignments:\n  - group: {GROUP_FINOPS}\n    permission_set: BillingViewer\n    ous: [_root_]\n"
        ),
    )
}

/// A port on loopback that nothing listens on.
fn dead_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

#[test]
fn a_refused_connection_names_the_endpoint_and_its_origin_and_gives_up_quickly() {
    let dir = tempfile::tempdir().unwrap();
    let config = assignments(dir.path());
    let endpoint = format!("http://127.0.0.1:{}", dead_port());
    for command in ["plan", "apply", "drift", "validate", "export"] {
        let mut args = vec![command, "-v"];
        if command != "export" {
            args.extend(["-c", &config]);
        }
        if command == "validate" {
            args.push("--live");
        }
        if command == "apply" {
            args.push("--auto-approve");
        }
        let o = run(&endpoint, dir.path(), &args);
        let err = &o.stderr;
        assert_eq!(o.code, Some(1), "{command}: {err}");
        assert!(
            err.contains(&format!("{endpoint} (from AWS_ENDPOINT_URL)")),
            "{command} names the endpoint and where it came from: {err}"
        );
        assert!(err.contains("could not connect"), "{command}: {err}");
        // Two retries per call at most (the budget allows eight).
        let retries: u64 = err
            .lines()
            .filter(|l| l.contains("retries after Unreachable"))
            .filter_map(|l| l.split_whitespace().next()?.parse::<u64>().ok())
            .sum();
        assert!(retries <= 2, "{command} retried {retries} times: {err}");
    }
}

/// A TCP proxy to `upstream` that forwards until it has seen `creates`
/// CreateAccountAssignment requests, then cuts: it drops every connection
/// and stops listening, as an endpoint that goes away does.
struct Cutter {
    port: u16,
    cut: Arc<AtomicBool>,
}

fn cutter(upstream: String, creates: usize) -> Cutter {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port();
    let cut = Arc::new(AtomicBool::new(false));
    let seen = Arc::new(AtomicUsize::new(0));
    let open: Arc<Mutex<Vec<TcpStream>>> = Arc::default();
    let flag = cut.clone();
    std::thread::spawn(move || {
        // Bounded: the test ends long before; the thread dies with it.
        for _ in 0..120_000 {
            if flag.load(Ordering::SeqCst) {
                for s in open.lock().unwrap().drain(..) {
                    let _ = s.shutdown(Shutdown::Both);
                }
                return; // drops the listener: connections are refused now
            }
            let Ok((client, _)) = listener.accept() else {
                std::thread::sleep(Duration::from_millis(5));
                continue;
            };
            client.set_nonblocking(false).unwrap();
            let server = TcpStream::connect(&upstream).unwrap();
            open.lock()
                .unwrap()
                .extend([client.try_clone().unwrap(), server.try_clone().unwrap()]);
            let (c2, s2) = (client.try_clone().unwrap(), server.try_clone().unwrap());
            let (flag, seen) = (flag.clone(), seen.clone());
            std::thread::spawn(move || pump_requests(client, server, &flag, &seen, creates));
            std::thread::spawn(move || pump(s2, c2));
        }
    });
    Cutter { port, cut }
}

fn pump_requests(
    mut from: TcpStream,
    mut to: TcpStream,
    cut: &AtomicBool,
    seen: &AtomicUsize,
    creates: usize,
) {
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let chunk = &buf[..n];
        if chunk.windows(23).any(|w| w == b"CreateAccountAssignment")
            && seen.fetch_add(1, Ordering::SeqCst) >= creates
        {
            cut.store(true, Ordering::SeqCst);
        }
        if cut.load(Ordering::SeqCst) || to.write_all(chunk).is_err() {
            break;
        }
    }
    let _ = to.shutdown(Shutdown::Both);
    let _ = from.shutdown(Shutdown::Both);
}

fn pump(mut from: TcpStream, mut to: TcpStream) {
    let _ = std::io::copy(&mut from, &mut to);
    let _ = to.shutdown(Shutdown::Both);
}

#[test]
fn an_endpoint_that_goes_away_mid_apply_still_gets_a_summary_and_a_report() {
    let Some(moto) = ssomatrix_testkit::moto::start(
        "an_endpoint_that_goes_away_mid_apply_still_gets_a_summary_and_a_report",
    ) else {
        return;
    };
    let endpoint = moto.endpoint();
    seed_moto_blocking(&endpoint, &fixture::spec());
    let upstream = endpoint.trim_start_matches("http://").to_owned();
    let proxy = cutter(upstream, 5);
    let via = format!("http://127.0.0.1:{}", proxy.port);

    let dir = tempfile::tempdir().unwrap();
    let config = assignments(dir.path());
    let report = dir.path().join("report.json");
    let o = run(
        &via,
        dir.path(),
        &[
            "apply",
            "-c",
            &config,
            "--inventory",
            "exhaustive",
            "--auto-approve",
            "--max-in-flight",
            "1",
            "--report",
            report.to_str().unwrap(),
        ],
    );
    let err = &o.stderr;
    assert!(
        proxy.cut.load(Ordering::SeqCst),
        "the endpoint went away: {err}"
    );
    assert_eq!(o.code, Some(1), "{err}");
    assert!(err.contains("Apply interrupted"), "the summary: {err}");
    assert!(err.contains("not started"), "{err}");
    assert!(
        err.contains("stopped submitting after 3 calls in a row could not connect"),
        "{err}"
    );
    assert!(
        err.contains(&format!("{via} (from AWS_ENDPOINT_URL)")),
        "{err}"
    );
    let r: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(r["endpoint_unreachable"], true, "{r}");
    let ops = r["operations"].as_array().unwrap();
    let count = |result: &str| ops.iter().filter(|o| o["result"] == result).count();
    // 26 creates were planned (see apply_moto.rs); 5 went through, three
    // failed to connect, and the rest was never attempted.
    assert!(ops.len() >= 26, "{r}");
    assert_eq!(count("succeeded"), 5, "{r}");
    let failed = ops.len() - count("succeeded") - count("not_started");
    assert!((1..=4).contains(&failed), "{failed} failed: {r}");
}
