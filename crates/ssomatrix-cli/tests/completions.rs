//! `completions` and `man`: generated from the command line, for every
//! shell the release ships, naming the commands a user types.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[macro_use]
mod support;

use support::run;

/// Every command `ssomatrix --help` lists.
const COMMANDS: &[&str] = &[
    "validate",
    "plan",
    "apply",
    "reprovision",
    "drift",
    "export",
    "import",
    "schema",
    "completions",
    "man",
];

#[test]
fn each_shells_completion_script_names_every_command() {
    for shell in ["bash", "zsh", "fish"] {
        let o = run(&["completions", shell]);
        assert_eq!(o.code, Some(0), "{shell}: {o}");
        assert!(o.stderr.is_empty(), "{shell}: {o}");
        for command in COMMANDS {
            assert!(o.stdout.contains(command), "{shell} lacks {command}");
        }
        // Options of a command are completed too.
        assert!(
            o.stdout.contains("no-deletes"),
            "{shell} lacks --no-deletes"
        );
    }
}

#[test]
fn an_unknown_shell_is_refused() {
    let o = run(&["completions", "cmd.exe"]);
    assert_eq!(o.code, Some(1), "{o}");
    assert!(o.stdout.is_empty(), "{o}");
}

#[test]
fn the_manual_page_is_roff_and_lists_every_command() {
    let o = run(&["man"]);
    assert_eq!(o.code, Some(0), "{o}");
    assert!(
        o.stdout.starts_with(".ie "),
        "{}",
        &o.stdout[..80.min(o.stdout.len())]
    );
    assert!(o.stdout.contains("\n.TH ssomatrix 1"), "{o}");
    let subcommands = o
        .stdout
        .split("\n.SH SUBCOMMANDS\n")
        .nth(1)
        .unwrap_or_default();
    for command in COMMANDS {
        assert!(
            subcommands.contains(&format!("ssomatrix\\-{command}(1)")),
            "the manual lacks {command}"
        );
    }
}

/// Each page the top-level page refers to exists: `ssomatrix man COMMAND`
/// prints `ssomatrix-COMMAND(1)` with the command's own options.
#[test]
fn each_command_has_its_manual_page() {
    for command in COMMANDS {
        let o = run(&["man", command]);
        assert_eq!(o.code, Some(0), "{command}: {o}");
        assert!(
            o.stdout.contains(&format!("\n.TH ssomatrix-{command} 1")),
            "{command}: {}",
            o.stdout.lines().take(4).collect::<Vec<_>>().join("\n")
        );
    }
    let o = run(&["man", "apply"]);
    assert!(o.stdout.contains("no\\-deletes"), "{o}");
    let o = run(&["man", "nonsense"]);
    assert_eq!(o.code, Some(1), "{o}");
    assert!(o.stderr.contains("`nonsense` is not a command"), "{o}");
}
