//! The JSON Schemas in `schemas/` are generated from the Rust types (one
//! source of truth). This test fails when a committed schema differs from the
//! generated one (`SSOMATRIX_BLESS=1 cargo test -p ssomatrix-core --test schema`
//! rewrites them), and checks that the schema accepts the example file and
//! rejects what the parser rejects.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

use ssomatrix_core::snapshot::Snapshot;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn check_committed(file: &str, generated: &str) -> serde_json::Value {
    let path = repo().join("schemas").join(file);
    if std::env::var_os("SSOMATRIX_BLESS").is_some() {
        std::fs::write(&path, generated).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "schemas/{file} is not what the Rust types generate; run `SSOMATRIX_BLESS=1 cargo test -p ssomatrix-core --test schema` and commit it"
    );
    serde_json::from_str(generated).unwrap()
}

fn yaml_to_json(text: &str) -> serde_json::Value {
    serde_norway::from_str(text).unwrap()
}

#[test]
fn assignments_schema_is_committed_and_validates_the_example() {
    let schema = check_committed(
        "ssomatrix.schema.json",
        &ssomatrix_core::schema::config_schema_json(),
    );
    let validator = jsonschema::validator_for(&schema).unwrap();
    let example = std::fs::read_to_string(repo().join("assignments.example.yaml")).unwrap();
    assert!(
        example.starts_with("# yaml-language-server: $schema="),
        "assignments.example.yaml must start with the yaml-language-server schema line"
    );
    let doc = yaml_to_json(&example);
    let errors: Vec<String> = validator.iter_errors(&doc).map(|e| e.to_string()).collect();
    assert!(
        errors.is_empty(),
        "the example does not validate: {errors:?}"
    );

    let misspelt = yaml_to_json("assignments:\n  - group: g\n    permission_set: P\n    ou: [X]\n");
    assert!(
        !validator.is_valid(&misspelt),
        "an unknown key must not validate"
    );
    let no_list =
        yaml_to_json("assignments:\n  - group: g\n    permission_set: P\n    ous: Workloads\n");
    assert!(!validator.is_valid(&no_list), "`ous` must be a list");
}

#[test]
fn snapshot_schema_is_committed_and_validates_the_example_snapshot() {
    let schema = check_committed(
        "snapshot.schema.json",
        &ssomatrix_core::schema::snapshot_schema_json(),
    );
    let validator = jsonschema::validator_for(&schema).unwrap();
    let text = std::fs::read_to_string(repo().join("examples/org.snapshot.yaml")).unwrap();
    let doc = yaml_to_json(&text);
    let errors: Vec<String> = validator.iter_errors(&doc).map(|e| e.to_string()).collect();
    assert!(
        errors.is_empty(),
        "the example snapshot does not validate: {errors:?}"
    );
    Snapshot::parse("org.snapshot.yaml", &text).unwrap();
}
