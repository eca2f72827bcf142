//! `drift` says how it read the live assignments, in every format, and
//! `--help` says what the default read assumes.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ssomatrix"))
        .args(args)
        .current_dir(repo())
        .env("SSOMATRIX_TODAY", "2026-11-24")
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn drift(inventory: Option<&str>, format: &str) -> String {
    let mut args = vec![
        "drift",
        "-c",
        "assignments.example.yaml",
        "--snapshot",
        "examples/org.snapshot.yaml",
        "--format",
        format,
    ];
    if let Some(i) = inventory {
        args.extend(["--inventory", i]);
    }
    let o = run(&args);
    assert!(
        matches!(o.status.code(), Some(0 | 2)),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap()
}

#[test]
fn drift_reports_the_read_strategy_in_every_format() {
    for (flag, word) in [
        (None, "provisioned"),
        (Some("provisioned"), "provisioned"),
        (Some("exhaustive"), "exhaustive"),
    ] {
        let json: serde_json::Value = serde_json::from_str(&drift(flag, "json")).unwrap();
        assert_eq!(json["read_strategy"], word, "{flag:?}");
        for format in ["text", "markdown"] {
            let out = drift(flag, format);
            assert!(
                out.contains(&format!("--inventory {word}")),
                "{format} {flag:?}: {out}"
            );
        }
    }
    // The default's assumption is spelled out where the report is read.
    let text = drift(None, "text");
    assert!(
        text.contains("successful creates") && text.contains("--inventory exhaustive"),
        "{text}"
    );
}

#[test]
fn help_states_what_the_default_inventory_assumes() {
    let o = run(&["plan", "--help"]);
    let help = String::from_utf8(o.stdout).unwrap();
    let flat = help.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        flat.contains("ListAccountsForProvisionedPermissionSet")
            && flat.contains("successful creates"),
        "{help}"
    );
}
