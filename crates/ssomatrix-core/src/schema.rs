//! The JSON Schemas of the assignments file and of snapshots, generated from
//! the Rust types (one source of truth) and printed with sorted keys, so the
//! text does not depend on whether serde_json keeps insertion order (a
//! feature some dependencies of other crates switch on).

use serde_json::{Map, Value};

use crate::config::RawConfig;
use crate::snapshot::Snapshot;

/// `schemas/ssomatrix.schema.json`.
pub fn config_schema_json() -> String {
    render(schemars::schema_for!(RawConfig))
}

/// `schemas/snapshot.schema.json`.
pub fn snapshot_schema_json() -> String {
    render(schemars::schema_for!(Snapshot))
}

fn render(schema: schemars::Schema) -> String {
    let sorted = sort_keys(schema.to_value());
    // Serialising a `Value` cannot fail.
    serde_json::to_string_pretty(&sorted).unwrap_or_default() + "\n"
}

fn sort_keys(value: Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(String, Value)> = map.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Object(
                entries
                    .into_iter()
                    .map(|(k, v)| (k, sort_keys(v)))
                    .collect::<Map<_, _>>(),
            )
        }
        Value::Array(items) => Value::Array(items.into_iter().map(sort_keys).collect()),
        other => other,
    }
}
