//! `drift` says how it read the live assignments, in every format, and
//! `--help` says what the default read assumes.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[macro_use]
mod support;

use support::{CONFIG, Run, SNAPSHOT, run};

fn drift(inventory: Option<&str>, format: &str) -> Run {
    let mut args = vec![
        "drift",
        "-c",
        CONFIG,
        "--snapshot",
        SNAPSHOT,
        "--format",
        format,
    ];
    if let Some(i) = inventory {
        args.extend(["--inventory", i]);
    }
    run(&args)
}

#[test]
fn drift_reports_the_read_strategy_in_every_format() {
    for (flag, word) in [
        (None, "provisioned"),
        (Some("provisioned"), "provisioned"),
        (Some("exhaustive"), "exhaustive"),
    ] {
        let o = drift(flag, "json");
        assert_eq!(o.code, Some(0), "{o}");
        assert_eq!(o.json()["read_strategy"], word, "{flag:?}");
        for format in ["text", "markdown"] {
            let o = drift(flag, format);
            assert!(
                o.stdout.contains(&format!("--inventory {word}")),
                "{format} {flag:?}: {o}"
            );
        }
    }
    // The default's assumption is spelled out where the report is read.
    assert_run!("drift_text", drift(None, "text"));
    assert_run!("drift_markdown", drift(None, "markdown"));
    assert_run!("drift_text_exhaustive", drift(Some("exhaustive"), "text"));
}

#[test]
fn help_states_what_the_default_inventory_assumes() {
    let o = run(&["plan", "--help"]);
    let flat = o.stdout.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        flat.contains("ListAccountsForProvisionedPermissionSet")
            && flat.contains("successful creates"),
        "{o}"
    );
}
