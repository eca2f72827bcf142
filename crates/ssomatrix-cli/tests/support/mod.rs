//! What the binary's end-to-end tests share: running `ssomatrix` on a fixed
//! day with nothing of the developer's environment, private copies of the
//! example files, and a run's exit code, stdout and stderr as one text that
//! a snapshot pins (`assert_run!`).
//!
//! Each test file compiles this module on its own (`#[macro_use] mod
//! support;`) and uses a part of it.
#![allow(
    dead_code,
    unused_macros,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use std::fmt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The day the offline tests plan on: dave.okafor's exception in the
/// example ends ten days later.
pub const TODAY: &str = "2026-11-24";
/// The example assignments file, relative to the repository.
pub const CONFIG: &str = "assignments.example.yaml";
/// The example snapshot, relative to the repository.
pub const SNAPSHOT: &str = "examples/org.snapshot.yaml";

pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `ssomatrix ARGS` in the repository on [`TODAY`], stdin closed. AWS
/// settings point at a dead local port and files that do not exist, so that
/// a run that reaches for AWS by mistake fails instead of using the
/// developer's credentials; colour and logging are as a pipe sees them.
pub fn command(args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_ssomatrix"));
    c.args(args)
        .current_dir(repo())
        .env("SSOMATRIX_TODAY", TODAY)
        .env_remove("RUST_LOG")
        .env_remove("NO_COLOR")
        .env_remove("AWS_PROFILE")
        .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_CONFIG_FILE", "/nonexistent/ssomatrix-test-config")
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            "/nonexistent/ssomatrix-test-credentials",
        )
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .stdin(Stdio::null());
    c
}

/// Runs `ssomatrix ARGS` (see [`command`]).
pub fn run(args: &[&str]) -> Run {
    Run::from(command(args).output().unwrap())
}

/// Runs `ssomatrix ARGS` on another day.
pub fn run_on(today: &str, args: &[&str]) -> Run {
    Run::from(
        command(args)
            .env("SSOMATRIX_TODAY", today)
            .output()
            .unwrap(),
    )
}

/// Runs the binary against a moto server with the environment the testkit
/// gives it (dummy credentials, that endpoint, no `~/.aws`), in `dir`.
pub fn run_against(endpoint: &str, dir: &Path, today: &str, args: &[&str]) -> Run {
    Run::from(
        ssomatrix_testkit::binary_against_moto(
            env!("CARGO_BIN_EXE_ssomatrix"),
            endpoint,
            dir,
            today,
        )
        .args(args)
        .output()
        .unwrap(),
    )
}

/// What a run of the binary left: its exit code and both streams.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Run {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl From<Output> for Run {
    fn from(o: Output) -> Run {
        Run {
            code: o.status.code(),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
}

impl Run {
    /// Both streams with every `text` (a temporary folder, a port) written
    /// as `with`, so that the snapshot is the same on every machine.
    pub fn redact(&self, text: &str, with: &str) -> Run {
        Run {
            code: self.code,
            stdout: self.stdout.replace(text, with),
            stderr: self.stderr.replace(text, with),
        }
    }

    /// [`Run::redact`] of a folder, as `[DIR]`.
    pub fn in_dir(&self, dir: &Path) -> Run {
        self.redact(dir.to_str().unwrap(), "[DIR]")
    }

    /// Without the progress lines an apply logs every 10 s when stderr is
    /// not a terminal: how many a run prints depends on the machine's speed.
    pub fn without_progress(&self) -> Run {
        let stderr = self
            .stderr
            .split_inclusive('\n')
            .filter(|l| !(l.starts_with("applied ") && l.contains(" in flight")))
            .collect();
        Run {
            stderr,
            ..self.clone()
        }
    }

    /// The stdout as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{self}"))
    }
}

/// `exit: N`, then each stream under its own heading, as a snapshot shows
/// it; a stream that does not end its last line says so.
impl fmt::Display for Run {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.code {
            Some(code) => writeln!(f, "exit: {code}")?,
            None => writeln!(f, "exit: killed by a signal")?,
        }
        for (name, text) in [("stdout", &self.stdout), ("stderr", &self.stderr)] {
            writeln!(f, "--- {name}")?;
            f.write_str(text)?;
            if !text.is_empty() && !text.ends_with('\n') {
                writeln!(f, "\n[no newline at the end of {name}]")?;
            }
        }
        Ok(())
    }
}

/// Pins a [`Run`] (exit code, stdout and stderr together) as the insta
/// snapshot `NAME` of the calling test file.
macro_rules! assert_run {
    ($name:expr, $run:expr $(,)?) => {
        insta::with_settings!({ omit_expression => true }, {
            insta::assert_snapshot!($name, $run.to_string());
        })
    };
}

/// `ssomatrix COMMAND -c CONFIG --snapshot SNAP EXTRA…`: the example file
/// against a snapshot.
pub fn example(command: &str, snap: &str, extra: &[&str]) -> Run {
    let mut args = vec![command, "-c", CONFIG, "--snapshot", snap];
    args.extend(extra);
    run(&args)
}

/// A private copy of the example snapshot in `dir` (apply writes it back).
pub fn snapshot_copy(dir: &Path) -> String {
    let path = dir.join("org.snapshot.yaml");
    std::fs::copy(repo().join(SNAPSHOT), &path).unwrap();
    path.to_str().unwrap().to_owned()
}

/// The example snapshot's text.
pub fn example_snapshot() -> String {
    std::fs::read_to_string(repo().join(SNAPSHOT)).unwrap()
}

/// Writes `text` to `dir/name` and returns the path.
pub fn write(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.to_str().unwrap().to_owned()
}

/// `text` with the first `old` replaced by `new`.
pub fn edit(text: &str, old: &str, new: &str) -> String {
    assert!(text.contains(old), "`{old}` is not in the text");
    text.replacen(old, new, 1)
}

/// The 1-based line of the first line of `text` that contains `needle`.
pub fn line_of(text: &str, needle: &str) -> usize {
    text.lines().position(|l| l.contains(needle)).unwrap() + 1
}

/// The moto end-to-end tests' file for the testkit's fixture organisation
/// (three rules: an OU, the root and an account by name), in `dir`.
pub fn fixture_assignments(dir: &Path) -> String {
    use ssomatrix_testkit::fixture::{GROUP_ADMINS, GROUP_FINOPS, GROUP_TEAM_A};
    write(
        dir,
        "assignments.yaml",
        &format!(
            "assignments:\n  - group: {GROUP_TEAM_A}\n    permission_set: AppDeveloper\n    ous: [Workloads/NonProd]\n  \
             - group: {GROUP_FINOPS}\n    permission_set: BillingViewer\n    ous: [_root_]\n  \
             - group: {GROUP_ADMINS}\n    permission_set: AdministratorAccess\n    accounts: [audit]\n"
        ),
    )
}
