//! Test support shared by the crates whose tests talk to moto: a moto server
//! of the test's own on 127.0.0.1 (`moto`), the organization the adapter's
//! contract tests describe (`fixture`), and a seeder that builds any core
//! `Snapshot` in moto through the AWS SDK and returns it with moto's ids
//! (`seed`).
//!
//! Dev-only (`publish = false`): crates take it as a `[dev-dependency]`,
//! never a normal one, so nothing shipped links it
//! (`crates/ssomatrix-core/tests/architecture.rs` checks). It names SDK types
//! because seeding needs operations the ports leave out (CreateAccount,
//! CreateGroup, CreatePermissionSet…).
//!
//! A failure here is a failure of the test that called it, hence the panics.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod fixture;
pub mod moto;
pub mod seed;

pub use moto::Moto;
pub use seed::{sdk_config, seed_moto, seed_moto_blocking};

/// The adapter's ports pointed at `endpoint` with the seeder's static test
/// credentials.
pub fn aws_ports(endpoint: &str) -> ssomatrix_aws::AwsPorts {
    ssomatrix_aws::AwsPorts::from_sdk_config(&sdk_config(endpoint))
}
