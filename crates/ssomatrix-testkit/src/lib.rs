//! Test support: synthetic organisations for the engine's tests and the
//! benchmark (`org`), the organization the adapter's contract tests describe
//! (`fixture`), and, with the `moto` feature, a moto server of the test's own
//! on 127.0.0.1 (`moto`) and a seeder that builds any core `Snapshot` in moto
//! through the AWS SDK and returns it with moto's ids (`seed`).
//!
//! Dev-only (`publish = false`): crates that ship take it as a
//! `[dev-dependency]`, never a normal one, so nothing shipped links it
//! (`crates/ssomatrix-core/tests/architecture.rs` checks); the benchmark,
//! which does not ship, takes it for its organisations, without `moto`. With
//! `moto` it names SDK types because seeding needs operations the ports
//! leave out (CreateAccount, CreateGroup, CreatePermissionSet…).
//!
//! A failure here is a failure of the test that called it, hence the panics;
//! the generator, which the benchmark runs, returns its errors instead.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod fixture;
#[cfg(feature = "moto")]
pub mod moto;
pub mod org;
#[cfg(feature = "moto")]
pub mod seed;

#[cfg(feature = "moto")]
pub use moto::Moto;
#[cfg(feature = "moto")]
pub use seed::{sdk_config, seed_moto, seed_moto_blocking};

/// The adapter's ports pointed at `endpoint` with the seeder's static test
/// credentials.
#[cfg(feature = "moto")]
pub fn aws_ports(endpoint: &str) -> ssomatrix_aws::AwsPorts {
    ssomatrix_aws::AwsPorts::from_sdk_config(&sdk_config(endpoint))
}

/// A command running the `ssomatrix` binary `bin` in `dir` that can reach
/// nothing but moto at `endpoint`: the environment is cleared, the
/// credentials are dummies, the AWS config and credentials files point at
/// paths in `dir` that do not exist (so `~/.aws` cannot leak in), instance
/// metadata is off, and `SSOMATRIX_TODAY` fixes the date plans are made on.
#[cfg(feature = "moto")]
pub fn binary_against_moto(
    bin: &str,
    endpoint: &str,
    dir: &std::path::Path,
    today: &str,
) -> std::process::Command {
    let mut cmd = std::process::Command::new(bin);
    cmd.current_dir(dir)
        .env_clear()
        .env("AWS_ENDPOINT_URL", endpoint)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_CONFIG_FILE", dir.join("no-such-aws-config"))
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            dir.join("no-such-aws-credentials"),
        )
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("SSOMATRIX_TODAY", today);
    cmd
}
