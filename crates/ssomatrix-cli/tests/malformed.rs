//! No input makes ssomatrix panic: every command, fed missing files,
//! directories, empty files, binary garbage, invalid UTF-8, huge numbers and
//! non-ASCII text cut at every length, exits 0, 1 or 2 with a message; and
//! a reader that goes away (`| head -1`) ends the run quietly.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[macro_use]
mod support;

use std::process::{Output, Stdio};

use support::{CONFIG, SNAPSHOT, command as cmd, example, repo};

fn assert_clean(args: &[&str], o: &Output) {
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        matches!(o.status.code(), Some(0..=2)),
        "{args:?} exited {:?}: {err}",
        o.status
    );
    assert!(!err.contains("panicked"), "{args:?} panicked: {err}");
}

/// Bad contents for any input file.
fn bad_contents() -> Vec<(&'static str, Vec<u8>)> {
    let mut v: Vec<(&'static str, Vec<u8>)> = vec![
        ("empty", Vec::new()),
        ("garbage", (0..=255u8).cycle().take(4096).collect()),
        ("invalid utf-8", b"assignments:\n  - group: \xff\xfe\n".to_vec()),
        ("nul", b"\0\0\0".to_vec()),
        ("json null", b"null".to_vec()),
        ("json array", b"[1, 2, 3]".to_vec()),
        (
            "huge numbers",
            b"format_version: 99999999999999999999999999\nmax_deletes: 1e400\nassignments: []\n"
                .to_vec(),
        ),
        ("negative", b"safety:\n  max_deletes: -1\nassignments: []\n".to_vec()),
        ("bom", b"\xef\xbb\xbfassignments: []\n".to_vec()),
        (
            "plan-ish",
            br#"{"format_version": 1, "fingerprint": "a\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9", "planned_on": "2026-11-2\u00e9"}"#
                .to_vec(),
        ),
    ];
    // Non-ASCII cut at every length: multi-byte characters end anywhere.
    let unicode = "é🙂ü\u{202e}\u{1b}[2K名前".repeat(4);
    for n in [1, 2, 3, 5, 7, 11, 12, 13, 17, 40] {
        let cut: String = unicode.chars().take(n).collect();
        v.push((
            "non-ascii",
            format!(
                "assignments:\n  - group: {cut}\n    permission_set: {cut}\n    ous: [{cut}]\n"
            )
            .into_bytes(),
        ));
    }
    v
}

#[test]
fn every_command_survives_malformed_inputs() {
    let dir = tempfile::tempdir().unwrap();
    let good_config = repo().join(CONFIG);
    let good_config = good_config.to_str().unwrap();
    let good_snap = dir.path().join("good.snapshot.yaml");
    std::fs::copy(repo().join(SNAPSHOT), &good_snap).unwrap();
    let good_snap = good_snap.to_str().unwrap().to_owned();
    let missing = dir.path().join("missing.yaml");
    let missing = missing.to_str().unwrap();
    let a_dir = dir.path().to_str().unwrap();

    let mut bad: Vec<String> = vec![missing.to_owned(), a_dir.to_owned()];
    for (i, (_, bytes)) in bad_contents().into_iter().enumerate() {
        let p = dir.path().join(format!("bad-{i}.yaml"));
        std::fs::write(&p, bytes).unwrap();
        bad.push(p.to_str().unwrap().to_owned());
    }
    for b in &bad {
        let b = b.as_str();
        let cases: Vec<Vec<&str>> = vec![
            vec!["validate", "-c", b],
            vec!["validate", "-c", b, "--snapshot", &good_snap],
            vec!["validate", "-c", good_config, "--snapshot", b],
            vec!["plan", "-c", b, "--snapshot", &good_snap],
            vec![
                "plan",
                "-c",
                good_config,
                "--snapshot",
                b,
                "--format",
                "markdown",
            ],
            vec!["drift", "-c", b, "--snapshot", &good_snap],
            vec![
                "drift",
                "-c",
                good_config,
                "--snapshot",
                b,
                "--format",
                "json",
            ],
            vec!["apply", "-c", b, "--snapshot", &good_snap, "--auto-approve"],
            vec![
                "apply",
                "-c",
                good_config,
                "--snapshot",
                b,
                "--auto-approve",
            ],
            vec![
                "apply",
                "-c",
                good_config,
                "--snapshot",
                &good_snap,
                "--plan",
                b,
                "--auto-approve",
            ],
            vec!["reprovision", "-c", b, "--snapshot", &good_snap],
            vec!["reprovision", "-c", good_config, "--snapshot", b],
            vec!["export", "--snapshot", b],
        ];
        for args in cases {
            let o = cmd(&args).output().unwrap();
            assert_clean(&args, &o);
        }
    }
    for args in [
        vec!["schema"],
        vec!["schema", "--snapshot"],
        vec![
            "plan",
            "-c",
            good_config,
            "--snapshot",
            &good_snap,
            "--max-tps",
            "1e999",
        ],
        vec![
            "drift",
            "-c",
            good_config,
            "--snapshot",
            &good_snap,
            "--warn-expiring",
            "99999999999999999999d",
        ],
        vec![
            "apply",
            "-c",
            good_config,
            "--snapshot",
            &good_snap,
            "--allow-deletes",
            "-5",
        ],
        vec!["plan", "-c", "\u{1b}[2Jé🙂"],
    ] {
        let o = cmd(&args).output().unwrap();
        assert_clean(&args, &o);
    }
}

#[test]
fn max_tps_accepts_only_a_sane_positive_rate() {
    for (bad, name) in [
        ("0", "zero"),
        ("-1", "negative"),
        ("nan", "nan"),
        ("NaN", "nan_capitals"),
        ("inf", "infinite"),
        ("-inf", "negative_infinite"),
        ("0.01", "too_small"),
        ("1001", "too_large"),
        ("1e9", "exponent"),
        ("five", "word"),
        ("", "empty"),
    ] {
        let o = example("plan", SNAPSHOT, &["--max-tps", bad]);
        assert_run!(format!("max_tps_{name}"), o);
    }
    let plain = example("plan", SNAPSHOT, &[]);
    for good in ["0.1", "5", "20", "1000"] {
        let o = example("plan", SNAPSHOT, &["--max-tps", good]);
        assert_eq!(o, plain, "--max-tps {good}");
    }
}

/// Runs `args` with stdout a pipe whose reader is already gone.
fn with_closed_stdout(args: &[&str]) -> Output {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    cmd(args)
        .stdout(writer)
        .stderr(Stdio::piped())
        .output()
        .unwrap()
}

#[test]
fn a_closed_stdout_ends_quietly_with_the_usual_exit_code() {
    let (snap, config) = (SNAPSHOT, CONFIG);
    for (args, code) in [
        (vec!["plan", "-c", config, "--snapshot", snap], 0),
        (
            vec![
                "plan",
                "-c",
                config,
                "--snapshot",
                snap,
                "--detailed-exitcode",
            ],
            2,
        ),
        (
            vec![
                "plan",
                "-c",
                config,
                "--snapshot",
                snap,
                "--format",
                "markdown",
            ],
            0,
        ),
        (
            vec!["plan", "-c", config, "--snapshot", snap, "--format", "json"],
            0,
        ),
        (vec!["drift", "-c", config, "--snapshot", snap], 0),
        (vec!["export", "--snapshot", snap], 0),
        (vec!["schema"], 0),
        (vec!["schema", "--snapshot"], 0),
        (vec!["--help"], 0),
        (vec!["validate", "-c", config], 0),
    ] {
        let o = with_closed_stdout(&args);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(code), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        assert!(
            !err.to_lowercase().contains("broken pipe"),
            "{args:?}: {err}"
        );
    }
}
