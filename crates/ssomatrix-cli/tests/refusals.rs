//! Inputs that must be refused (or warned about) before anything is planned,
//! end to end: a snapshot cut short or contradicting itself, a `scope` whose
//! typo would delete, a reference that could mean more than one thing. Each
//! test checks that the message names the file, the line, the cause and the
//! fix (with the candidates where there are several).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[macro_use]
mod support;

use support::{
    CONFIG as EXAMPLE_CONFIG, Run, SNAPSHOT, edit, example_snapshot, line_of, repo, run, write,
};

/// Runs `plan` on `config` against `snapshot` and expects a refusal (exit
/// 1, nothing on stdout).
fn refused(config: &str, snapshot: &str) -> Run {
    let o = run(&["plan", "-c", config, "--snapshot", snapshot]);
    assert_eq!(o.code, Some(1), "{o}");
    assert!(o.stdout.is_empty(), "no plan on stdout: {o}");
    o
}

#[test]
fn a_snapshot_cut_short_is_refused_with_its_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let text = example_snapshot();
    // Cut inside the last list, at a line boundary: still valid YAML.
    let lines: Vec<&str> = text.lines().collect();
    let kept = lines[..lines.len() - 10].join("\n") + "\n";
    let snap = write(dir.path(), "cut.snapshot.yaml", &kept);
    let o = refused(EXAMPLE_CONFIG, &snap);
    // The line is the file's last.
    let last = kept.lines().count();
    assert!(o.stderr.contains(&format!("{snap}:{last}: ")), "{o}");
    assert_run!("cut_short", o.in_dir(dir.path()));
    // Without the `assignments` key at all.
    let start = text.find("\nassignments:").unwrap();
    let snap = write(
        dir.path(),
        "no-assignments.snapshot.yaml",
        &format!("{}\n...\n", &text[..start]),
    );
    let o = refused(EXAMPLE_CONFIG, &snap);
    assert_run!("no_assignments_key", o.in_dir(dir.path()));
}

#[test]
fn a_snapshot_that_contradicts_itself_is_refused_with_every_problem() {
    let dir = tempfile::tempdir().unwrap();
    let text = example_snapshot();
    // A second permission set named Admin, an id that is a group and a user,
    // and a management account that is not an account.
    let text = edit(&text, "  name: BillingViewer\n", "  name: Admin\n");
    let group_id = "eacd5878-6ef2-70cc-3cf6-25774ebdd89f";
    let text = edit(
        &text,
        "- id: b1c40f73-141b-7047-c782-f2bf4763e07e",
        &format!("- id: {group_id}"),
    );
    let text = edit(
        &text,
        "management_account_id: '006130415929'",
        "management_account_id: '999999999999'",
    );
    let snap = write(dir.path(), "bad.snapshot.yaml", &text);
    let o = refused(EXAMPLE_CONFIG, &snap);
    // The lines named are those of the edits, which keep every line where
    // it was.
    let admin = line_of(&text, "  name: Admin");
    assert!(o.stderr.contains(&format!("line {admin}")), "{o}");
    let user_line = line_of(&example_snapshot(), "- id: b1c40f73");
    assert!(
        o.stderr
            .contains(&format!("{snap}:{user_line}: id `{group_id}`")),
        "{o}"
    );
    let management = line_of(&text, "management_account_id");
    assert!(
        o.stderr
            .contains(&format!("{snap}:{management}: management_account_id")),
        "{o}"
    );
    assert_run!("contradictions", o.in_dir(dir.path()));
}

#[test]
fn a_misspelt_exclusion_is_an_error_under_scope_all_and_a_warning_otherwise() {
    let dir = tempfile::tempdir().unwrap();
    let example = std::fs::read_to_string(repo().join(EXAMPLE_CONFIG)).unwrap();
    let typo = edit(&example, "    - AWSControlTower*", "    - AWSControlTwer*");
    let line = line_of(&typo, "AWSControlTwer*");
    let all = write(
        dir.path(),
        "all.yaml",
        &edit(&typo, "permission_sets: declared", "permission_sets: all"),
    );
    let o = refused(&all, SNAPSHOT);
    assert!(o.stderr.contains(&format!("{all}:{line}: ")), "{o}");
    assert_run!("misspelt_exclude_scope_all", o.in_dir(dir.path()));

    // Under the default scope the exclusion protects nothing the file owns:
    // plan and validate warn, and validate still exits 0.
    let declared = write(dir.path(), "declared.yaml", &typo);
    let o = run(&["plan", "-c", &declared, "--snapshot", SNAPSHOT]);
    assert_run!("misspelt_exclude_plan", o.in_dir(dir.path()));
    let o = run(&["validate", "-c", &declared, "--snapshot", SNAPSHOT]);
    assert!(o.stderr.contains(&format!("(line {line})")), "{o}");
    assert_run!("misspelt_exclude_validate", o.in_dir(dir.path()));
}

#[test]
fn an_unknown_name_in_a_scope_list_is_an_error_with_a_suggestion() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "scope.yaml",
        "scope:\n  permission_sets: [AppDeveloper, BillingViewr]\nassignments:\n  - group: aws-finops\n    permission_set: BillingViewer\n    ous: [_root_]\n",
    );
    let o = refused(&file, SNAPSHOT);
    assert_run!("unknown_scope_name", o.in_dir(dir.path()));
}

fn rule(target: &str) -> String {
    format!(
        "assignments:\n  - group: aws-finops\n    permission_set: BillingViewer\n    {target}\n"
    )
}

#[test]
fn an_account_value_that_is_an_id_and_another_accounts_name_lists_both() {
    let dir = tempfile::tempdir().unwrap();
    // Rename `dns` to the id of `ci-cd`.
    let text = edit(
        &example_snapshot(),
        "    name: dns\n",
        "    name: '110744558486'\n",
    );
    let snap = write(dir.path(), "renamed.snapshot.yaml", &text);
    for (name, value) in [
        ("quoted", "[\"110744558486\"]"),
        ("plain", "[110744558486]"),
    ] {
        let file = write(
            dir.path(),
            &format!("{name}.yaml"),
            &rule(&format!("accounts: {value}")),
        );
        let o = refused(&file, &snap);
        assert_run!(format!("ambiguous_account_{name}"), o.in_dir(dir.path()));
    }
    // An id no account has, but that is an account's name: said, not guessed.
    let text = edit(
        &example_snapshot(),
        "    name: dns\n",
        "    name: '123456789012'\n",
    );
    let snap = write(dir.path(), "named.snapshot.yaml", &text);
    let file = write(
        dir.path(),
        "id.yaml",
        &rule("exclude_accounts: [\"123456789012\"]\n    ous: [_root_]"),
    );
    let o = refused(&file, &snap);
    assert_run!("id_that_is_a_name", o.in_dir(dir.path()));
}

#[test]
fn a_shared_account_name_lists_every_account_that_has_it() {
    let dir = tempfile::tempdir().unwrap();
    let text = edit(&example_snapshot(), "    name: dns\n", "    name: ci-cd\n");
    let snap = write(dir.path(), "shared.snapshot.yaml", &text);
    let file = write(dir.path(), "name.yaml", &rule("accounts: [ci-cd]"));
    let o = refused(&file, &snap);
    assert_run!("shared_account_name", o.in_dir(dir.path()));
}

#[test]
fn an_ou_name_with_a_slash_is_refused_with_its_id() {
    let dir = tempfile::tempdir().unwrap();
    // `Policy-staging` (in Suspended) becomes `Staging/Old`: a path can only
    // reach it by splitting its name.
    let text = edit(
        &example_snapshot(),
        "    name: Policy-staging\n",
        "    name: Staging/Old\n",
    );
    let snap = write(dir.path(), "slash.snapshot.yaml", &text);
    let file = write(dir.path(), "ou.yaml", &rule("ous: [Suspended/Staging/Old]"));
    let o = refused(&file, &snap);
    assert_run!("ou_name_with_a_slash", o.in_dir(dir.path()));
    // A name with `/` that equals another OU's path: both are candidates.
    let text = edit(
        &example_snapshot(),
        "    name: Sandbox\n",
        "    name: Workloads/Prod\n",
    );
    let snap = write(dir.path(), "clash.snapshot.yaml", &text);
    let file = write(dir.path(), "clash.yaml", &rule("ous: [Workloads/Prod]"));
    let o = refused(&file, &snap);
    assert_run!("ou_name_that_is_a_path", o.in_dir(dir.path()));
}

#[test]
fn validate_warns_about_a_rule_that_selects_no_account_and_exits_0() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "empty.yaml",
        &rule("account_tags: {env: nowhere}"),
    );
    let o = run(&["validate", "-c", &file, "--snapshot", SNAPSHOT]);
    assert_run!("rule_selects_no_account", o.in_dir(dir.path()));
}

#[test]
fn account_ids_plan_the_same_quoted_or_not() {
    let dir = tempfile::tempdir().unwrap();
    let mut outputs = Vec::new();
    for (name, value) in [
        ("plain.yaml", "[110744558486, 016087694254]"),
        ("quoted.yaml", "[\"110744558486\", '016087694254']"),
    ] {
        let file = write(dir.path(), name, &rule(&format!("accounts: {value}")));
        let o = run(&[
            "plan",
            "-c",
            &file,
            "--snapshot",
            SNAPSHOT,
            "--format",
            "json",
        ]);
        assert_eq!(o.code, Some(0), "{o}");
        // The files' bytes differ, and so does the digest that binds a
        // saved plan to its file; everything else must be the same.
        let plan: String = o
            .stdout
            .lines()
            .filter(|l| !l.contains("\"config_sha256\""))
            .map(|l| format!("{l}\n"))
            .collect();
        outputs.push(plan);
    }
    assert_eq!(outputs[0], outputs[1]);
    assert!(outputs[0].contains("\"unchanged\": 2"), "{}", outputs[0]);
}

#[test]
fn a_root_id_of_another_organization_selects_nothing_and_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "root.yaml", &rule("ous: [r-zz99]"));
    let o = refused(&file, SNAPSHOT);
    assert_run!("root_of_another_organization", o.in_dir(dir.path()));
    let file = write(dir.path(), "ok.yaml", &rule("ous: [r-x7k2]"));
    let o = run(&["plan", "-c", &file, "--snapshot", SNAPSHOT]);
    assert_run!("root_of_this_organization", o.in_dir(dir.path()));
}
