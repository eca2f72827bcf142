//! `schema`: the JSON Schema of the assignments file or of a snapshot.

use std::process::ExitCode;

use crate::cli::SchemaArgs;
use crate::output;

pub fn schema(args: &SchemaArgs) -> anyhow::Result<ExitCode> {
    let schema = if args.snapshot {
        ssomatrix_core::schema::snapshot_schema_json()
    } else {
        ssomatrix_core::schema::config_schema_json()
    };
    output::stdout(&schema)?;
    Ok(ExitCode::SUCCESS)
}
