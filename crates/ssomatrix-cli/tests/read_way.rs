//! `--inventory auto` and `principal`: the plan says which read was used and
//! what each would have cost, in JSON and at `-v`; a plan read by principal
//! says what it cannot see; `drift` refuses to read by principal; offline the
//! default read is per pair, as before.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use support::{CONFIG, SNAPSHOT, run};

fn plan(extra: &[&str]) -> support::Run {
    let mut args = vec!["plan", "-c", CONFIG, "--snapshot", SNAPSHOT];
    args.extend(extra);
    run(&args)
}

#[test]
fn offline_the_default_read_is_per_pair_and_the_plan_says_nothing_of_it() {
    let o = plan(&["--format", "json"]);
    assert_eq!(o.code, Some(0), "{o}");
    let json = o.json();
    assert!(json.get("read").is_none(), "{o}");
    // The example holds assignments of deleted principals: a read per pair
    // finds them, and the plan deletes them.
    assert!(
        json["summary"]["delete_orphans"].as_u64().unwrap() > 0,
        "{o}"
    );
}

#[test]
fn a_plan_read_by_principal_says_so_and_what_it_cannot_see() {
    let o = plan(&["--inventory", "principal", "--format", "json"]);
    assert_eq!(o.code, Some(0), "{o}");
    let json = o.json();
    assert_eq!(json["read"]["used"], "by_principal", "{o}");
    let by_principal = json["read"]["by_principal_calls"].as_u64().unwrap();
    let per_pair = json["read"]["per_pair_calls"].as_u64().unwrap();
    assert!(by_principal > 0 && per_pair > 0, "{o}");
    // No orphan is seen, so none is deleted, and a warning says who finds them.
    assert!(json["summary"].get("delete_orphans").is_none(), "{o}");
    let warnings = json["warnings"].as_array().unwrap();
    assert!(
        warnings.iter().any(|w| w["kind"] == "read_by_principal"
            && w["message"].as_str().unwrap().contains("ssomatrix drift")),
        "{o}"
    );
    for format in ["text", "markdown"] {
        let o = plan(&["--inventory", "principal", "--format", format]);
        assert_eq!(o.code, Some(0), "{o}");
        assert!(o.stdout.contains("read by principal"), "{format}: {o}");
    }
}

#[test]
fn auto_weighs_the_reads_and_verbose_says_which_and_at_what_cost() {
    let o = plan(&["--inventory", "auto", "--format", "json", "-v"]);
    assert_eq!(o.code, Some(0), "{o}");
    let read = &o.json()["read"];
    let used = read["used"].as_str().unwrap();
    let per_pair = read["per_pair_calls"].as_u64().unwrap();
    let by_principal = read["by_principal_calls"].as_u64().unwrap();
    // The way used is the one estimated cheaper (a tie reads per pair, which
    // also sees orphans).
    let cheaper = if by_principal < per_pair {
        "by_principal"
    } else {
        "per_pair"
    };
    assert_eq!(used, cheaper, "{o}");
    assert!(
        o.stderr.contains(&format!("about {per_pair} per pair"))
            && o.stderr
                .contains(&format!("about {by_principal} by principal")),
        "{o}"
    );
}

#[test]
fn drift_refuses_to_read_by_principal_and_names_the_fix() {
    let o = run(&[
        "drift",
        "-c",
        CONFIG,
        "--snapshot",
        SNAPSHOT,
        "--inventory",
        "principal",
    ]);
    assert_eq!(o.code, Some(1), "{o}");
    assert!(
        o.stderr.contains("deleted principals") && o.stderr.contains("--inventory provisioned"),
        "{o}"
    );
}
