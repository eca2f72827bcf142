//! ssomatrix-core: the pure heart of ssomatrix. Domain types, the assignments
//! file, the organization tree, desired-state expansion, the diff, plans and
//! their rendering, and the ports the adapters implement.
//!
//! Architecture invariant: this crate does no I/O and depends on neither tokio,
//! the AWS SDK nor clap. Everything here is a function of its inputs (even
//! "today" is a parameter), which is what makes plans reproducible.

pub mod access;
mod ambiguity;
pub mod classify;
pub mod config;
pub mod date;
pub mod drift;
pub mod escape;
pub mod expand;
pub mod ids;
pub mod import;
pub mod live;
pub mod members;
pub mod org;
pub mod partial;
pub mod plan;
pub mod policy;
pub mod ports;
pub mod render;
pub mod resolve;
pub mod schema;
pub mod scope;
pub mod snapshot;
pub mod suggest;
pub mod yaml;
