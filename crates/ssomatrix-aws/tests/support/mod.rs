//! Shared by the integration tests: the fixture organization, the generic
//! contract checks, the moto harness and the moto seeder. Each test binary
//! uses a part of it, hence the `dead_code` allowance.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod contract;
pub mod fixture;
pub mod moto;
pub mod seed;
