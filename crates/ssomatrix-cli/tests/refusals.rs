//! Inputs that must be refused (or warned about) before anything is planned,
//! end to end: a snapshot cut short or contradicting itself, a `scope` whose
//! typo would delete, a reference that could mean more than one thing. Each
//! test checks that the message names the file, the line, the cause and the
//! fix (with the candidates where there are several).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn ssomatrix(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ssomatrix"))
        .args(args)
        .current_dir(repo())
        .env("SSOMATRIX_TODAY", "2026-11-24")
        .env_remove("RUST_LOG")
        .env_remove("AWS_PROFILE")
        .output()
        .unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn example_snapshot() -> String {
    std::fs::read_to_string(repo().join("examples/org.snapshot.yaml")).unwrap()
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.to_str().unwrap().to_owned()
}

/// `text` with the first `old` replaced by `new`.
fn edit(text: &str, old: &str, new: &str) -> String {
    assert!(text.contains(old), "`{old}` is not in the text");
    text.replacen(old, new, 1)
}

/// The 1-based line of the first line of `text` that contains `needle`.
fn line_of(text: &str, needle: &str) -> usize {
    text.lines().position(|l| l.contains(needle)).unwrap() + 1
}

/// Runs `plan` on `config` against `snapshot` and expects a refusal (exit
/// 1, nothing on stdout); returns stderr.
fn refused(config: &str, snapshot: &str) -> String {
    let o = ssomatrix(&["plan", "-c", config, "--snapshot", snapshot]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(stdout(&o).is_empty(), "no plan on stdout: {}", stdout(&o));
    err
}

const EXAMPLE_CONFIG: &str = "assignments.example.yaml";

#[test]
fn a_snapshot_cut_short_is_refused_with_its_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let text = example_snapshot();
    // Cut inside the last list, at a line boundary: still valid YAML.
    let lines: Vec<&str> = text.lines().collect();
    let kept = lines[..lines.len() - 10].join("\n") + "\n";
    let snap = write(dir.path(), "cut.snapshot.yaml", &kept);
    let err = refused(EXAMPLE_CONFIG, &snap);
    let last = kept.lines().count();
    assert!(
        err.contains(&format!(
            "{snap}:{last}: the snapshot does not end with the line `...`"
        )),
        "{err}"
    );
    assert!(
        err.contains("cut short") && err.contains("export it again"),
        "{err}"
    );
    // Without the `assignments` key at all.
    let start = text.find("\nassignments:").unwrap();
    let snap = write(
        dir.path(),
        "no-assignments.snapshot.yaml",
        &format!("{}\n...\n", &text[..start]),
    );
    let err = refused(EXAMPLE_CONFIG, &snap);
    assert!(
        err.contains(&format!("{snap}: the snapshot has no `assignments` key")),
        "{err}"
    );
    assert!(err.contains("`assignments: []`"), "{err}");
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
    let err = refused(EXAMPLE_CONFIG, &snap);
    let admin = line_of(&text, "  name: Admin");
    assert!(
        err.contains("permission set name `Admin` appears 2 times"),
        "{err}"
    );
    assert!(err.contains(&format!("line {admin}")), "{err}");
    assert!(err.contains("remove or rename the extra entries"), "{err}");
    // The edits keep every line where it was.
    let user_line = line_of(&example_snapshot(), "- id: b1c40f73");
    assert!(
        err.contains(&format!(
            "{snap}:{user_line}: id `{group_id}` is both a group"
        )),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "{snap}:{}: management_account_id `999999999999` is not in `organization.accounts`",
            line_of(&text, "management_account_id")
        )),
        "{err}"
    );
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
    let err = refused(&all, "examples/org.snapshot.yaml");
    assert!(
        err.contains(&format!(
            "{all}:{line}: `scope.exclude` pattern `AWSControlTwer*` matches no permission set"
        )),
        "{err}"
    );
    assert!(err.contains("did you mean `AWSControlTower*`?"), "{err}");
    assert!(err.contains("correct the pattern or remove it"), "{err}");

    // Under the default scope the exclusion protects nothing the file owns:
    // plan and validate warn, and validate still exits 0.
    let declared = write(dir.path(), "declared.yaml", &typo);
    let o = ssomatrix(&[
        "plan",
        "-c",
        &declared,
        "--snapshot",
        "examples/org.snapshot.yaml",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("`AWSControlTwer*`"), "{}", stdout(&o));
    let o = ssomatrix(&[
        "validate",
        "-c",
        &declared,
        "--snapshot",
        "examples/org.snapshot.yaml",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains(&format!("{declared}: warning: `scope.exclude` pattern `AWSControlTwer*` (line {line}) matches no permission set")),
        "{err}"
    );
    assert!(err.contains("did you mean `AWSControlTower*`?"), "{err}");
}

#[test]
fn an_unknown_name_in_a_scope_list_is_an_error_with_a_suggestion() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "scope.yaml",
        "scope:\n  permission_sets: [AppDeveloper, BillingViewr]\nassignments:\n  - group: aws-finops\n    permission_set: BillingViewer\n    ous: [_root_]\n",
    );
    let err = refused(&file, "examples/org.snapshot.yaml");
    assert!(
        err.contains(&format!("{file}:2: unknown permission set `BillingViewr` in the instance; did you mean `BillingViewer`?")),
        "{err}"
    );
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
        ("quoted.yaml", "[\"110744558486\"]"),
        ("plain.yaml", "[110744558486]"),
    ] {
        let file = write(dir.path(), name, &rule(&format!("accounts: {value}")));
        let err = refused(&file, &snap);
        assert!(
            err.contains(&format!("{file}:4: account `110744558486` is ambiguous")),
            "{err}"
        );
        assert!(err.contains("\"110744558486\" (`ci-cd`"), "{err}");
        assert!(err.contains("\"187316756836\" (`110744558486`"), "{err}");
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
    let err = refused(&file, &snap);
    assert!(
        err.contains(&format!(
            "{file}:4: no account has the id `123456789012`, but \"187316756836\" (`123456789012`"
        )),
        "{err}"
    );
    assert!(
        err.contains("write the id of the account you mean"),
        "{err}"
    );
}

#[test]
fn a_shared_account_name_lists_every_account_that_has_it() {
    let dir = tempfile::tempdir().unwrap();
    let text = edit(&example_snapshot(), "    name: dns\n", "    name: ci-cd\n");
    let snap = write(dir.path(), "shared.snapshot.yaml", &text);
    let file = write(dir.path(), "name.yaml", &rule("accounts: [ci-cd]"));
    let err = refused(&file, &snap);
    assert!(
        err.contains(&format!(
            "{file}:4: account name `ci-cd` is used by 2 accounts: \"110744558486\" (`ci-cd`, in "
        )),
        "{err}"
    );
    assert!(err.contains("\"187316756836\" (`ci-cd`, in "), "{err}");
    assert!(err.contains("write the id of the one you mean"), "{err}");
}

#[test]
fn an_ou_name_with_a_slash_is_refused_with_its_id() {
    let dir = tempfile::tempdir().unwrap();
    // `Policy-staging` (in Suspended) becomes `Prod/PCI`, next to nothing
    // called Prod at the root: a path can only reach it by splitting its name.
    let text = edit(
        &example_snapshot(),
        "    name: Policy-staging\n",
        "    name: Staging/Old\n",
    );
    let snap = write(dir.path(), "slash.snapshot.yaml", &text);
    let file = write(dir.path(), "ou.yaml", &rule("ous: [Suspended/Staging/Old]"));
    let err = refused(&file, &snap);
    assert!(
        err.contains(&format!("{file}:4: OU path `Suspended/Staging/Old` can only mean OU `ou-x7k2-gtmpixb0` (`Suspended` → `Staging/Old`")),
        "{err}"
    );
    assert!(err.contains("use its id `ou-x7k2-gtmpixb0`"), "{err}");
    // A name with `/` that equals another OU's path: both are candidates.
    let text = edit(
        &example_snapshot(),
        "    name: Sandbox\n",
        "    name: Workloads/Prod\n",
    );
    let snap = write(dir.path(), "clash.snapshot.yaml", &text);
    let file = write(dir.path(), "clash.yaml", &rule("ous: [Workloads/Prod]"));
    let err = refused(&file, &snap);
    assert!(
        err.contains("OU path `Workloads/Prod` matches 2 OUs"),
        "{err}"
    );
    assert!(
        err.contains("`ou-x7k2-4dotbrdd` (`Workloads` → `Prod`"),
        "{err}"
    );
    assert!(
        err.contains("`ou-x7k2-csnjaea5` (`Workloads/Prod`"),
        "{err}"
    );
    assert!(err.contains("name the one you mean by its id"), "{err}");
}

#[test]
fn validate_warns_about_a_rule_that_selects_no_account_and_exits_0() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "empty.yaml",
        &rule("account_tags: {env: nowhere}"),
    );
    let o = ssomatrix(&[
        "validate",
        "-c",
        &file,
        "--snapshot",
        "examples/org.snapshot.yaml",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains(&format!(
            "{file}: warning: rule #1 (line 2): account_tags env=nowhere selects no account"
        )),
        "{err}"
    );
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
        let o = ssomatrix(&[
            "plan",
            "-c",
            &file,
            "--snapshot",
            "examples/org.snapshot.yaml",
            "--format",
            "json",
        ]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        // The files' bytes differ, and so does the digest that binds a
        // saved plan to its file; everything else must be the same.
        let plan: String = stdout(&o)
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
    let err = refused(&file, "examples/org.snapshot.yaml");
    assert!(
        err.contains(&format!(
            "{file}:4: `r-zz99` is not the root of this organization, whose root is `r-x7k2`"
        )),
        "{err}"
    );
    let file = write(dir.path(), "ok.yaml", &rule("ous: [r-x7k2]"));
    let o = ssomatrix(&[
        "plan",
        "-c",
        &file,
        "--snapshot",
        "examples/org.snapshot.yaml",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}
