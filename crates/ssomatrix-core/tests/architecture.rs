//! Checks the architecture invariants of ARCHITECTURE.md that can be read off
//! the manifests: which crate may depend on what.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

/// The names in a manifest's `[dependencies]` table (not dev-dependencies).
fn dependencies(krate: &str) -> Vec<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(krate)
        .join("Cargo.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let mut in_deps = false;
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_deps = line == "[dependencies]";
            continue;
        }
        if in_deps && let Some((name, _)) = line.split_once('=') {
            let name = name.trim().trim_end_matches(".workspace").to_owned();
            if !name.is_empty() && !name.starts_with('#') {
                out.push(name);
            }
        }
    }
    assert!(!out.is_empty(), "{krate} has no [dependencies]?");
    out
}

fn assert_none(krate: &str, forbidden: &[&str]) {
    for dep in dependencies(krate) {
        assert!(
            !forbidden.iter().any(
                |f| dep == *f || (f.ends_with('*') && dep.starts_with(f.trim_end_matches('*')))
            ),
            "{krate} must not depend on {dep} (ARCHITECTURE.md)"
        );
    }
}

#[test]
fn core_does_no_io_and_has_no_tokio_aws_or_clap() {
    assert_none(
        "ssomatrix-core",
        &[
            "tokio",
            "futures",
            "aws-*",
            "clap",
            "ssomatrix-*",
            "reqwest",
            "hyper",
        ],
    );
}

#[test]
fn only_the_aws_adapter_names_the_sdk() {
    for krate in ["ssomatrix-engine", "ssomatrix-sim", "ssomatrix-cli"] {
        assert_none(krate, &["aws-sdk-*", "aws-smithy-*", "aws-config"]);
    }
}

#[test]
fn dependencies_point_inward() {
    assert_none(
        "ssomatrix-engine",
        &["ssomatrix-sim", "ssomatrix-aws", "ssomatrix-cli", "clap"],
    );
    assert_none(
        "ssomatrix-sim",
        &["ssomatrix-engine", "ssomatrix-aws", "ssomatrix-cli", "clap"],
    );
    assert_none(
        "ssomatrix-aws",
        &[
            "ssomatrix-engine",
            "ssomatrix-sim",
            "ssomatrix-cli",
            "clap",
            "tokio",
        ],
    );
}

/// The crates of the workspace (`crates/*`), by directory name.
fn workspace_crates() -> Vec<String> {
    let crates = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut names: Vec<String> = std::fs::read_dir(&crates)
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.path().join("Cargo.toml").is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Whether `krate`'s manifest says `publish = false`.
fn unpublished(krate: &str) -> bool {
    let manifest = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../{krate}/Cargo.toml")),
    )
    .unwrap();
    manifest.lines().any(|l| l.trim() == "publish = false")
}

/// Nothing that ships links the testkit: only crates that are not published
/// themselves (the benchmark, for its organisations) may take it as a normal
/// dependency.
#[test]
fn the_testkit_is_dev_only() {
    let crates = workspace_crates();
    assert!(
        crates.iter().any(|c| c == "ssomatrix-testkit"),
        "crates/ssomatrix-testkit not found in {crates:?}"
    );
    assert!(
        unpublished("ssomatrix-testkit"),
        "ssomatrix-testkit must say `publish = false`"
    );
    assert!(
        unpublished("ssomatrix-bench"),
        "ssomatrix-bench must say `publish = false`"
    );
    for krate in crates.iter().filter(|c| !unpublished(c)) {
        assert_none(krate, &["ssomatrix-testkit"]);
    }
    for krate in [
        "ssomatrix-core",
        "ssomatrix-engine",
        "ssomatrix-sim",
        "ssomatrix-aws",
        "ssomatrix-cli",
    ] {
        assert!(
            !unpublished(krate),
            "{krate} ships and must not say `publish = false`"
        );
    }
}
