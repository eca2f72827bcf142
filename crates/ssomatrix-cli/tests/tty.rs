//! The binary on a real terminal: `script` (util-linux) runs it on a pseudo
//! terminal, so the confirmation prompt, colour and the progress line are
//! the ones a person sees.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::io::Write;
use std::process::{Command, Output, Stdio};

use support::{TODAY, repo, snapshot_copy};

/// Runs `ssomatrix ARGS` on a pseudo terminal, typing `input`.
fn on_terminal(args: &str, input: &str, env: &[(&str, &str)]) -> Output {
    let command = format!("{} {args}", env!("CARGO_BIN_EXE_ssomatrix"));
    let mut cmd = Command::new("script");
    cmd.args(["-q", "-e", "-c", &command, "/dev/null"])
        .current_dir(repo())
        .env("SSOMATRIX_TODAY", TODAY)
        .env_remove("NO_COLOR")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd
        .spawn()
        .expect("`script` (util-linux) runs the terminal tests; install util-linux");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn apply_asks_on_a_terminal_and_applies_on_yes() {
    let dir = tempfile::tempdir().unwrap();
    let snap = snapshot_copy(dir.path());
    let o = on_terminal(
        &format!("apply -c assignments.example.yaml --snapshot {snap}"),
        "yes\n",
        &[],
    );
    let screen = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(0), "{screen}");
    assert!(screen.contains("Apply 11 change(s) to arn:aws:sso:::instance/ssoins-7ad5ba514d395dd7? Only `yes` is accepted:"), "{screen}");
    assert!(
        screen.contains("Apply complete: 6 created, 5 deleted, 0 failed"),
        "{screen}"
    );
    assert!(
        screen.contains("\x1b[32m+ "),
        "creates are green on a terminal: {screen}"
    );
}

#[test]
fn apply_changes_nothing_unless_the_answer_is_yes() {
    let dir = tempfile::tempdir().unwrap();
    let snap = snapshot_copy(dir.path());
    let before = std::fs::read_to_string(&snap).unwrap();
    let o = on_terminal(
        &format!("apply -c assignments.example.yaml --snapshot {snap}"),
        "y\n",
        &[],
    );
    let screen = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "{screen}");
    assert!(
        screen.contains("apply cancelled; nothing was changed"),
        "{screen}"
    );
    assert_eq!(std::fs::read_to_string(&snap).unwrap(), before);
}

#[test]
fn no_color_turns_colour_off_on_a_terminal() {
    let o = on_terminal(
        "plan -c assignments.example.yaml --snapshot examples/org.snapshot.yaml",
        "",
        &[("NO_COLOR", "1")],
    );
    let screen = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(0), "{screen}");
    assert!(screen.contains("+ ReadOnlyAuditor"), "{screen}");
    assert!(
        !screen.contains("\x1b[3"),
        "no colour with NO_COLOR: {screen}"
    );
}
