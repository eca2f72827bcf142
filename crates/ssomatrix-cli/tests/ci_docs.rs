//! The CI and IAM docs cannot drift from the code: every workflow in
//! `docs/ci/` parses as YAML and runs only `ssomatrix` commands and flags the
//! binary's `--help` lists, and the IAM policies in `docs/iam/` grant exactly
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

#[test]
fn ci_workflows_parse_and_use_only_real_commands_and_flags() {
    let dir = repo().join("docs/ci");
    let workflows = files(&dir, &[".yml", ".yaml"]);
    let top = help(&[]);
    let mut per_file: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for path in &workflows {
        let text = std::fs::read_to_string(path).unwrap();
        let doc: serde_norway::Value = serde_norway::from_str(&text)
            .unwrap_or_else(|e| panic!("{} is not YAML: {e}", path.display()));
        let mut all = Vec::new();
        strings(&doc, &mut all);
        let name = path.strip_prefix(&dir).unwrap().display().to_string();
        for s in &all {
            for (sub, flags) in invocations(s) {
                assert!(
                    top.contains(&format!("\n  {sub} ")),
                    "{name}: `ssomatrix {sub}` is not a command of `ssomatrix --help`"
                );
                let sub_help = help(&[&sub]);
                for f in flags {
                    assert!(
                        sub_help.contains(&format!("{f} ")) || sub_help.contains(&format!("{f},")),
                        "{name}: `ssomatrix {sub} {f}` is not in `ssomatrix {sub} --help`"
                    );
                }
                per_file.entry(name.clone()).or_default().insert(sub);
            }
        }
    }
    // Both CI systems cover the three uses.
    let used = |prefix: &str| -> BTreeSet<String> {
        per_file
            .iter()
            .filter(|(f, _)| f.starts_with(prefix))
            .flat_map(|(_, s)| s.iter().cloned())
            .collect()
    };
    for ci in ["github/", "gitlab/"] {
        let subs = used(ci);
        for want in ["plan", "apply", "drift"] {
            assert!(
                subs.contains(want),
                "{ci}: no `ssomatrix {want}` ({subs:?})"
            );
        }
    }
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
