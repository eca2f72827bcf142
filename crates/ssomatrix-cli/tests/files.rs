//! Files are never lost: outputs that name an input (or another output) are
//! refused, and `apply --snapshot` keeps the file's format, mode and symlink,
//! refuses a read-only file up front, and holds a lock for the whole run.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[macro_use]
mod support;

use std::io::BufRead;
use std::os::unix::fs::PermissionsExt;
use std::process::Stdio;
use std::time::Duration;

use support::{CONFIG, Run, command, repo, run, snapshot_copy};

struct Files {
    dir: tempfile::TempDir,
    config: String,
    snap: String,
}

fn files() -> Files {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("assignments.yaml");
    std::fs::copy(repo().join(CONFIG), &config).unwrap();
    let snap = snapshot_copy(dir.path());
    Files {
        config: config.to_str().unwrap().to_owned(),
        snap,
        dir,
    }
}

impl Files {
    fn path(&self, name: &str) -> String {
        self.dir.path().join(name).to_str().unwrap().to_owned()
    }
}

/// Refused (pinned as snapshot `name`), and every input as it was.
fn assert_clash(name: &str, o: &Run, f: &Files, unchanged: &[(&str, Vec<u8>)]) {
    assert_run!(format!("clash_{name}"), o.in_dir(f.dir.path()));
    for (path, before) in unchanged {
        assert_eq!(&std::fs::read(path).unwrap(), before, "{path} is untouched");
    }
}

#[test]
fn an_out_or_report_that_names_an_input_is_refused_however_it_is_spelled() {
    let f = files();
    let dir = f.dir.path();
    let keep = |p: &str| (p.to_owned(), std::fs::read(p).unwrap());
    let config_before = keep(&f.config);
    let snap_before = keep(&f.snap);
    let unchanged: Vec<(&str, Vec<u8>)> = vec![
        (config_before.0.as_str(), config_before.1.clone()),
        (snap_before.0.as_str(), snap_before.1.clone()),
    ];
    // The same file as `./x`, through `..`, through a symlink, and as a hard link.
    std::os::unix::fs::symlink(&f.config, dir.join("link.yaml")).unwrap();
    std::fs::hard_link(&f.config, dir.join("hard.yaml")).unwrap();
    std::fs::create_dir(dir.join("sub")).unwrap();
    let spellings = [
        f.config.clone(),
        format!("{}/./assignments.yaml", dir.display()),
        format!("{}/sub/../assignments.yaml", dir.display()),
        f.path("link.yaml"),
        f.path("hard.yaml"),
    ];
    let names = [
        "out_config",
        "out_dot",
        "out_dotdot",
        "out_symlink",
        "out_hard_link",
    ];
    for (out, name) in spellings.iter().zip(names) {
        let o = run(&["plan", "-c", &f.config, "--snapshot", &f.snap, "--out", out]);
        assert_clash(name, &o, &f, &unchanged);
    }
    let o = run(&[
        "plan",
        "-c",
        &f.config,
        "--snapshot",
        &f.snap,
        "--out",
        &f.snap,
    ]);
    assert_clash("out_snapshot", &o, &f, &unchanged);
    let o = run(&["export", "--snapshot", &f.snap, "--out", &f.snap]);
    assert_clash("export_out_snapshot", &o, &f, &unchanged);

    let plan = f.path("plan.json");
    let o = run(&[
        "plan",
        "-c",
        &f.config,
        "--snapshot",
        &f.snap,
        "--out",
        &plan,
    ]);
    assert_eq!(o.code, Some(0), "{o}");
    let plan_before = std::fs::read(&plan).unwrap();
    let mut unchanged = unchanged;
    unchanged.push((plan.as_str(), plan_before));
    for (report, name) in [
        (f.config.as_str(), "report_config"),
        (f.snap.as_str(), "report_snapshot"),
        (plan.as_str(), "report_plan"),
        (spellings[3].as_str(), "report_symlink"),
    ] {
        let o = run(&[
            "apply",
            "-c",
            &f.config,
            "--snapshot",
            &f.snap,
            "--plan",
            &plan,
            "--auto-approve",
            "--report",
            report,
        ]);
        assert_clash(name, &o, &f, &unchanged);
    }
}

fn apply(f: &Files, snap: &str) -> Run {
    run(&[
        "apply",
        "-c",
        &f.config,
        "--snapshot",
        snap,
        "--auto-approve",
    ])
}

#[test]
fn apply_keeps_a_json_snapshot_json_and_its_mode() {
    let f = files();
    let o = run(&["export", "--snapshot", &f.snap, "--format", "json"]);
    assert_eq!(o.code, Some(0), "{o}");
    let json = f.path("org.snapshot.json");
    std::fs::write(&json, &o.stdout).unwrap();
    std::fs::set_permissions(&json, std::fs::Permissions::from_mode(0o640)).unwrap();
    let o = apply(&f, &json);
    assert_eq!(o.code, Some(0), "{o}");
    let after = std::fs::read_to_string(&json).unwrap();
    let parsed: serde_json::Value = serde_json::from_str(&after).expect("still JSON");
    assert!(parsed["assignments"].is_array(), "{after}");
    assert_ne!(after, o.stdout);
    let mode = std::fs::metadata(&json).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o640, "the mode is kept");
    // The state moved: a second apply has nothing to do.
    let o = apply(&f, &json);
    assert!(o.stderr.contains("0 created, 0 deleted"), "{o}");
}

#[test]
fn apply_writes_through_a_symlink_and_leaves_it_a_symlink() {
    let f = files();
    let link = f.path("current.yaml");
    std::os::unix::fs::symlink(&f.snap, &link).unwrap();
    let before = std::fs::read(&f.snap).unwrap();
    let o = apply(&f, &link);
    assert_eq!(o.code, Some(0), "{o}");
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink(),
        "still a symlink"
    );
    assert_ne!(
        std::fs::read(&f.snap).unwrap(),
        before,
        "the target was written"
    );
}

#[test]
fn apply_refuses_a_read_only_snapshot_before_applying_anything() {
    let f = files();
    std::fs::set_permissions(&f.snap, std::fs::Permissions::from_mode(0o444)).unwrap();
    let before = std::fs::read(&f.snap).unwrap();
    let o = apply(&f, &f.snap);
    // Names the file and the fix, and nothing ran.
    assert_run!("read_only_snapshot", o.in_dir(f.dir.path()));
    assert_eq!(std::fs::read(&f.snap).unwrap(), before);
}

/// The assignments of a permission set the example file does not manage.
const UNMANAGED: &str = "ps-d7e7b6485147ebe5";

/// The snapshot without the items of its `assignments` list that mention
/// `needle`.
fn without_assignments_of(text: &str, needle: &str) -> String {
    let start = text.find("\nassignments:\n").unwrap() + "\nassignments:\n".len();
    let (head, list) = text.split_at(start);
    let items: Vec<&str> = list.split_inclusive('\n').collect();
    let mut out = head.to_owned();
    let mut item = String::new();
    let flush = |item: &mut String, out: &mut String| {
        if !item.contains(needle) {
            out.push_str(item);
        }
        item.clear();
    };
    for line in items {
        if line.starts_with("- ") {
            flush(&mut item, &mut out);
        }
        item.push_str(line);
    }
    flush(&mut item, &mut out);
    out
}

#[test]
fn an_apply_waits_for_the_lock_and_keeps_what_the_holder_wrote() {
    let f = files();
    // Another run holds the snapshot's lock.
    let held = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(&f.snap)
        .unwrap();
    held.lock().unwrap();
    let mut child = command(&[
        "apply",
        "-c",
        &f.config,
        "--snapshot",
        &f.snap,
        "--auto-approve",
    ])
    .stdout(Stdio::null())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let err = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(err).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let first = rx.recv_timeout(Duration::from_secs(60)).unwrap();
    assert!(
        first.contains("waiting for another ssomatrix run"),
        "{first}"
    );
    assert!(child.try_wait().unwrap().is_none(), "it waits for the lock");

    // The holder writes its update the way ssomatrix does (a rename over
    // the file) and lets go.
    let text = std::fs::read_to_string(&f.snap).unwrap();
    let updated = without_assignments_of(&text, UNMANAGED);
    assert_ne!(updated, text);
    let tmp = f.path(".org.snapshot.yaml.tmp-test");
    std::fs::write(&tmp, &updated).unwrap();
    std::fs::rename(&tmp, &f.snap).unwrap();
    drop(held);

    let status = child.wait().unwrap();
    let rest: Vec<String> = rx.try_iter().collect();
    assert_eq!(status.code(), Some(0), "{}", rest.join("\n"));
    let after = std::fs::read_to_string(&f.snap).unwrap();
    let assignments = &after[after.find("\nassignments:").unwrap()..];
    assert!(
        !assignments.contains(UNMANAGED),
        "the holder's update survived the apply that waited: {assignments}"
    );
}
