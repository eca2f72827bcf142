//! The CI and IAM docs cannot drift from the code: every workflow in
//! `docs/ci/`, the setup action and the release workflow parse as YAML and
//! run only `ssomatrix` commands and flags the binary's `--help` lists; the
//! action downloads the archives the release builds, and the IAM policies in `docs/iam/` grant exactly
//! the AWS actions of the operations the adapter (`crates/ssomatrix-aws/src`)
//! can call.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use ssomatrix_core::ports::Operation;
use support::{command, repo};

fn files(dir: &Path, exts: &[&str]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(files(&p, exts));
        } else if exts.iter().any(|x| p.to_string_lossy().ends_with(x)) {
            out.push(p);
        }
    }
    out.sort();
    out
}

fn help(args: &[&str]) -> String {
    let o = command(args).arg("--help").output().unwrap();
    assert!(o.status.success(), "ssomatrix {args:?} --help failed");
    String::from_utf8(o.stdout).unwrap()
}

fn strings(v: &serde_norway::Value, out: &mut Vec<String>) {
    match v {
        serde_norway::Value::String(s) => out.push(s.clone()),
        serde_norway::Value::Sequence(seq) => seq.iter().for_each(|x| strings(x, out)),
        serde_norway::Value::Mapping(m) => m.iter().for_each(|(_, x)| strings(x, out)),
        serde_norway::Value::Tagged(t) => strings(&t.value, out),
        _ => {}
    }
}

/// Every `ssomatrix SUBCOMMAND --flag …` invocation in a script: the
/// subcommand and the flags on its (backslash-joined) line.
fn invocations(script: &str) -> Vec<(String, Vec<String>)> {
    let joined = script.replace("\\\n", " ");
    let mut out = Vec::new();
    for line in joined.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        for (i, w) in words.iter().enumerate() {
            if *w != "ssomatrix" {
                continue;
            }
            let Some(sub) = words.get(i + 1) else {
                continue;
            };
            // Flags up to the end of this command (a pipe, `;`, `&&`, `||`, `>`).
            let mut flags = Vec::new();
            for w in &words[i + 2..] {
                if ["|", "||", "&&", ">", ">>", "2>"].contains(w) || w.starts_with('>') {
                    break;
                }
                let end = w.ends_with(';');
                let w = w.trim_end_matches(';');
                if let Some(flag) = w.strip_prefix("--") {
                    flags.push(format!("--{}", flag.split('=').next().unwrap()));
                } else if w.starts_with('-') && w.len() == 2 {
                    flags.push(w.to_owned());
                }
                if end {
                    break;
                }
            }
            out.push(((*sub).to_owned(), flags));
        }
    }
    out
}

/// `path` parsed as YAML.
fn yaml(path: &Path) -> serde_norway::Value {
    let text = std::fs::read_to_string(path).unwrap();
    serde_norway::from_str(&text).unwrap_or_else(|e| panic!("{} is not YAML: {e}", path.display()))
}

/// The `ssomatrix` commands `doc` runs, each checked against `--help`:
/// the command exists and so does every flag it is given.
fn checked_commands(name: &str, doc: &serde_norway::Value) -> BTreeSet<String> {
    let top = help(&[]);
    let mut all = Vec::new();
    strings(doc, &mut all);
    let mut used = BTreeSet::new();
    for s in &all {
        for (sub, flags) in invocations(s) {
            assert!(
                top.contains(&format!("\n  {sub} ")),
                "{name}: `ssomatrix {sub}` is not a command of `ssomatrix --help`"
            );
            let sub_help = help(&[&sub]);
            for f in &flags {
                assert!(
                    sub_help.contains(&format!("{f} ")) || sub_help.contains(&format!("{f},")),
                    "{name}: `ssomatrix {sub} {f}` is not in `ssomatrix {sub} --help`"
                );
            }
            used.insert(format!("{sub} {}", flags.join(" ")).trim_end().to_owned());
            used.insert(sub);
        }
    }
    used
}

/// The workflows of `docs/ci/`, by path under it, and the commands each runs.
fn ci_commands() -> BTreeMap<String, (String, BTreeSet<String>)> {
    let dir = repo().join("docs/ci");
    let mut out = BTreeMap::new();
    for path in files(&dir, &[".yml", ".yaml"]) {
        let name = path.strip_prefix(&dir).unwrap().display().to_string();
        let used = checked_commands(&name, &yaml(&path));
        out.insert(name, (std::fs::read_to_string(&path).unwrap(), used));
    }
    out
}

#[test]
fn ci_workflows_parse_and_use_only_real_commands_and_flags() {
    let per_file = ci_commands();
    // Both CI systems cover the four uses, and install without compiling.
    for ci in ["github/", "gitlab/"] {
        let files: Vec<_> = per_file.iter().filter(|(f, _)| f.starts_with(ci)).collect();
        let subs: BTreeSet<&String> = files.iter().flat_map(|(_, (_, s))| s).collect();
        for want in ["plan", "apply", "drift", "export"] {
            assert!(
                subs.iter().any(|s| *s == want),
                "{ci}: no `ssomatrix {want}` ({subs:?})"
            );
        }
        assert!(
            subs.iter()
                .any(|s| s.starts_with("apply ") && s.contains("--no-deletes")),
            "{ci}: no scheduled `apply --no-deletes` ({subs:?})"
        );
        for (f, (text, _)) in &files {
            assert!(
                !text.contains("cargo install"),
                "{f}: compiles ssomatrix; use a release binary"
            );
        }
    }
    for (f, (text, _)) in per_file.iter().filter(|(f, _)| f.starts_with("github/")) {
        assert!(
            text.contains("uses: OWNER/ssomatrix@v1"),
            "{f}: not set up by action.yml"
        );
    }
}

/// A job's (or workflow's) value at `path`, as a string.
fn at<'a>(doc: &'a serde_norway::Value, path: &[&str]) -> Option<&'a str> {
    path.iter().try_fold(doc, |v, key| v.get(*key))?.as_str()
}

/// The scheduled apply runs one at a time with the apply on merge: GitHub's
/// concurrency group and GitLab's resource_group are shared, never cancelled.
#[test]
fn the_scheduled_apply_waits_for_the_apply_on_merge() {
    let dir = repo().join("docs/ci");
    let merge = yaml(&dir.join("github/ssomatrix-apply.yml"));
    let scheduled = yaml(&dir.join("github/ssomatrix-scheduled-apply.yml"));
    let group = at(&merge, &["concurrency", "group"]).unwrap();
    assert_eq!(at(&scheduled, &["concurrency", "group"]), Some(group));
    for doc in [&merge, &scheduled] {
        assert_eq!(
            doc["concurrency"]["cancel-in-progress"],
            serde_norway::Value::Bool(false)
        );
    }
    let on = &scheduled["on"];
    assert!(
        on.get("schedule").is_some() && on.get("repository_dispatch").is_some(),
        "{on:?}"
    );

    let gitlab = yaml(&dir.join("gitlab/ssomatrix.gitlab-ci.yml"));
    let merge = at(&gitlab, &["ssomatrix-apply", "resource_group"]).unwrap();
    assert_eq!(
        at(&gitlab, &["ssomatrix-scheduled-apply", "resource_group"]),
        Some(merge)
    );
}

/// Pull requests from forks, which get no AWS access, are planned offline
/// against the drift job's snapshot in both systems, and the online plan
/// skips them: each system has exactly one plan job for each kind.
#[test]
fn fork_pull_requests_are_planned_offline_against_the_drift_snapshot() {
    let dir = repo().join("docs/ci");
    let fork = std::fs::read_to_string(dir.join("github/ssomatrix-plan-fork.yml")).unwrap();
    let online = yaml(&dir.join("github/ssomatrix-plan.yml"));
    assert!(fork.contains("--snapshot org.snapshot.yaml") && fork.contains("ssomatrix-snapshot"));
    assert_eq!(
        at(&online, &["jobs", "plan", "if"])
            .map(|c| c.contains("!github.event.pull_request.head.repo.fork")),
        Some(true),
        "the online plan must skip forks"
    );

    let gitlab = yaml(&dir.join("gitlab/ssomatrix.gitlab-ci.yml"));
    let rule = |job: &str| {
        gitlab[job]["rules"][0]["if"]
            .as_str()
            .unwrap_or_else(|| panic!("{job}: no rule"))
            .to_owned()
    };
    let same = "$CI_MERGE_REQUEST_SOURCE_PROJECT_ID == $CI_MERGE_REQUEST_PROJECT_ID";
    let other = "$CI_MERGE_REQUEST_SOURCE_PROJECT_ID != $CI_MERGE_REQUEST_PROJECT_ID";
    assert!(rule("ssomatrix-plan").contains(same));
    assert!(rule("ssomatrix-plan-fork").contains(other));
    let fork_job = &gitlab["ssomatrix-plan-fork"];
    let mut script = Vec::new();
    strings(&fork_job["script"], &mut script);
    let script = script.join("\n");
    assert!(script.contains("--snapshot org.snapshot.yaml"), "{script}");
    assert!(script.contains("job=ssomatrix-drift"), "{script}");
    // The drift job exports what the fork job downloads.
    let mut drift = Vec::new();
    strings(&gitlab["ssomatrix-drift"]["artifacts"]["paths"], &mut drift);
    assert!(drift.iter().any(|p| p == "org.snapshot.yaml"), "{drift:?}");
    // No AWS credentials: the template without the OIDC token.
    assert_eq!(fork_job["extends"].as_str(), Some(".ssomatrix-install"));
    assert!(
        fork_job.get("id_tokens").is_none()
            && gitlab[".ssomatrix-install"].get("id_tokens").is_none()
    );
}

/// The EventBridge example sends the dispatch type the scheduled apply
/// listens for, on the two Organizations events, through a role that may
/// invoke that API destination only.
#[test]
fn the_account_events_reach_the_scheduled_apply() {
    let dir = repo().join("docs/ci");
    let stack = yaml(&dir.join("eventbridge/account-events.yml"));
    let scheduled = yaml(&dir.join("github/ssomatrix-scheduled-apply.yml"));
    let types = &scheduled["on"]["repository_dispatch"]["types"];
    let r = &stack["Resources"];
    let mut events = BTreeSet::new();
    for rule in ["AccountMoved", "AccountCreated"] {
        let p = &r[rule]["Properties"];
        assert_eq!(
            p["EventPattern"]["source"][0].as_str(),
            Some("aws.organizations")
        );
        events.insert(
            p["EventPattern"]["detail"]["eventName"][0]
                .as_str()
                .unwrap()
                .to_owned(),
        );
        let template = p["Targets"][0]["InputTransformer"]["InputTemplate"]
            .as_str()
            .unwrap();
        let body: serde_json::Value =
            serde_json::from_str(&template.replace("<account>", "111122223333")).unwrap();
        assert_eq!(body["event_type"].as_str(), types[0].as_str(), "{rule}");
        assert_eq!(
            body["client_payload"]["account_id"], "111122223333",
            "{rule}"
        );
    }
    assert_eq!(
        events,
        BTreeSet::from(["CreateAccountResult".to_owned(), "MoveAccount".to_owned()])
    );
    let statement = &r["InvokeRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"];
    assert_eq!(statement.as_sequence().unwrap().len(), 1);
    assert_eq!(
        statement[0]["Action"].as_str(),
        Some("events:InvokeApiDestination")
    );
}

/// Every `${{ inputs.NAME }}` of a composite action's steps.
fn inputs_used(text: &str) -> BTreeSet<String> {
    text.match_indices("inputs.")
        .map(|(i, _)| {
            let rest = &text[i + "inputs.".len()..];
            let end = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
                .unwrap_or(rest.len());
            rest[..end].to_owned()
        })
        .collect()
}

/// Rust target triples a text names (`x86_64-unknown-linux-gnu`).
fn targets(text: &str) -> BTreeSet<String> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
        .filter(|w| w.ends_with("-unknown-linux-gnu") || w.ends_with("-apple-darwin"))
        .map(str::to_owned)
        .collect()
}

/// How both the release and the action name an archive.
const ARCHIVE: &str = "ssomatrix-${VERSION}-${TARGET}.tar.gz";

#[test]
fn the_setup_action_uses_every_input_and_downloads_what_the_release_builds() {
    let action_path = repo().join("action.yml");
    let action_text = std::fs::read_to_string(&action_path).unwrap();
    let action = yaml(&action_path);
    checked_commands("action.yml", &action);
    let declared: BTreeSet<String> = action["inputs"]
        .as_mapping()
        .unwrap()
        .keys()
        .map(|k| k.as_str().unwrap().to_owned())
        .collect();
    let steps = serde_norway::to_string(&action["runs"]).unwrap();
    assert_eq!(
        inputs_used(&steps),
        declared,
        "every input is used, and only those"
    );

    let release_path = repo().join(".github/workflows/release.yml");
    let release = yaml(&release_path);
    let used = checked_commands("release.yml", &release);
    assert!(
        used.contains("completions") && used.contains("man"),
        "{used:?}"
    );
    let release_text = std::fs::read_to_string(&release_path).unwrap();
    for shell in ["bash", "zsh", "fish"] {
        assert!(
            release_text.contains(&format!("ssomatrix completions {shell} > dist/")),
            "the release ships {shell} completions"
        );
    }
    assert!(
        release_text.contains("ssomatrix man \"$command\" > \"dist/ssomatrix-$command.1\""),
        "the release ships every command's man page"
    );
    let built: BTreeSet<String> = release["jobs"]["build"]["strategy"]["matrix"]["include"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|t| t["target"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        targets(&action_text),
        built,
        "the action downloads what the release builds"
    );
    assert_eq!(built.len(), 4, "{built:?}");
    for (name, text) in [("action.yml", &action_text), ("release.yml", &release_text)] {
        assert!(text.contains(ARCHIVE), "{name} names archives `{ARCHIVE}`");
        assert!(
            text.contains("SHA256SUMS"),
            "{name}: checksums in SHA256SUMS"
        );
    }
    // The fallback builds the action's own source, not whatever is checked out.
    assert!(action_text.contains("cargo install --locked --path \"$SOURCE/crates/ssomatrix-cli\""));
    assert!(action_text.contains("SOURCE: ${{ github.action_path }}"));
}

/// The operations the adapter names (`Operation::ListAccountAssignments`),
/// one per port method: the vocabulary must hold no operation the adapter
/// never calls, or the policies would be checked against it.
fn adapter_operations() -> BTreeSet<Operation> {
    let mut out = BTreeSet::new();
    for path in files(&repo().join("crates/ssomatrix-aws/src"), &[".rs"]) {
        let text = std::fs::read_to_string(path).unwrap();
        for (i, _) in text.match_indices("Operation::") {
            let rest = &text[i + "Operation::".len()..];
            let end = rest
                .find(|c: char| !c.is_ascii_alphanumeric())
                .unwrap_or(rest.len());
            let named = Operation::ALL
                .iter()
                .find(|op| op.api_name() == &rest[..end])
                .unwrap_or_else(|| {
                    panic!("the adapter names unknown `Operation::{}`", &rest[..end])
                });
            out.insert(*named);
        }
    }
    out
}

/// The IAM actions of `ops` that a policy has to allow.
fn actions<'a>(ops: impl IntoIterator<Item = &'a Operation>) -> BTreeSet<String> {
    ops.into_iter()
        .filter(|op| op.needs_permission())
        .map(|op| op.iam_action().to_owned())
        .collect()
}

/// (Sid, actions) of every Allow statement of a policy file.
fn policy(name: &str) -> Vec<(String, BTreeSet<String>)> {
    let path = repo().join("docs/iam").join(name);
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    doc["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            assert_eq!(s["Effect"], "Allow", "{name}");
            let actions = match &s["Action"] {
                serde_json::Value::String(a) => vec![a.clone()],
                serde_json::Value::Array(v) => {
                    v.iter().map(|a| a.as_str().unwrap().to_owned()).collect()
                }
                other => panic!("{name}: Action {other}"),
            };
            (
                s["Sid"].as_str().unwrap().to_owned(),
                actions.into_iter().collect(),
            )
        })
        .collect()
}

/// The statement of `iam:` actions that Identity Center checks against the
/// caller of its writes when they reach the management account (its
/// service-linked role manages the `AWSReservedSSO_*` roles everywhere else):
/// allowed in the apply policy only, and only there.
const SERVICE_SIDE_IAM: &str = "ManagementAccountIdentityCenterRoles";

#[test]
fn iam_policies_grant_exactly_what_the_adapter_calls() {
    let called = adapter_operations();
    assert_eq!(
        called,
        Operation::ALL.iter().copied().collect::<BTreeSet<_>>(),
        "the adapter calls every operation of the vocabulary, and no other"
    );
    let reads = actions(called.iter().filter(|op| !op.is_write()));
    let writes = actions(called.iter().filter(|op| op.is_write()));
    assert!(
        writes.contains(Operation::CreateAccountAssignment.iam_action()),
        "{writes:?}"
    );
    let called = actions(&called);

    for (file, want) in [
        ("plan-drift-role.json", reads.clone()),
        ("apply-role.json", called.clone()),
    ] {
        let statements = policy(file);
        let mut granted = BTreeSet::new();
        let mut iam = BTreeSet::new();
        for (sid, actions) in statements {
            if sid == SERVICE_SIDE_IAM {
                assert_eq!(
                    file, "apply-role.json",
                    "{file}: {sid} belongs to apply only"
                );
                assert!(
                    actions.iter().all(|a| a.starts_with("iam:")),
                    "{sid}: {actions:?}"
                );
                iam.extend(actions);
            } else {
                granted.extend(actions);
            }
        }
        for a in &granted {
            assert!(!a.contains('*'), "{file}: no wildcard actions ({a})");
        }
        let missing: Vec<_> = want.difference(&granted).collect();
        let extra: Vec<_> = granted.difference(&want).collect();
        assert!(
            missing.is_empty(),
            "{file} misses actions the code calls: {missing:?}"
        );
        assert!(
            extra.is_empty(),
            "{file} grants actions the code never calls: {extra:?}"
        );
        if file == "apply-role.json" {
            for a in [
                "iam:CreateRole",
                "iam:AttachRolePolicy",
                "iam:PutRolePolicy",
                "iam:UpdateAssumeRolePolicy",
                "iam:DeleteRole",
                "iam:CreateSAMLProvider",
            ] {
                assert!(iam.contains(a), "{file}: {SERVICE_SIDE_IAM} lacks {a}");
            }
        }
    }
}

/// The optional KMS policy grants `kms:Decrypt` only, on one key, and only
/// through the two services whose every action depends on it; the README
/// points to it, and the two role policies stay free of `kms:`.
#[test]
fn the_kms_policy_is_decrypt_only_and_scoped_to_identity_center() {
    let path = repo().join("docs/iam/kms-key-access.json");
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let mut via = BTreeSet::new();
    for s in doc["Statement"].as_array().unwrap() {
        assert_eq!(s["Effect"], "Allow");
        assert_eq!(s["Action"], "kms:Decrypt", "{s}");
        let resource = s["Resource"].as_str().unwrap();
        assert!(
            resource.starts_with("arn:aws:kms:") && resource.contains(":key/"),
            "{resource}: one key, not `*`"
        );
        let service = s["Condition"]["StringLike"]["kms:ViaService"]
            .as_str()
            .unwrap_or_else(|| panic!("{s}: no kms:ViaService condition"));
        via.insert(service.to_owned());
    }
    assert_eq!(
        via,
        BTreeSet::from([
            "identitystore.*.amazonaws.com".to_owned(),
            "sso.*.amazonaws.com".to_owned()
        ])
    );
    let readme = std::fs::read_to_string(repo().join("docs/iam/README.md")).unwrap();
    assert!(readme.contains("kms-key-access.json"), "docs/iam/README.md");
    for file in ["plan-drift-role.json", "apply-role.json"] {
        for (sid, actions) in policy(file) {
            assert!(
                actions.iter().all(|a| !a.starts_with("kms:")),
                "{file}: {sid} grants kms:; that belongs in kms-key-access.json"
            );
        }
    }
}
