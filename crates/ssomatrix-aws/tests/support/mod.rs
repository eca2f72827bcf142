//! Shared by the integration tests: the generic contract checks. The moto
//! harness, the fixture organization and the seeder are in
//! `ssomatrix-testkit`, shared with the binary's tests.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod contract;
