//! The rules, one file per requirement family. Each rule is a unit struct (or a static
//! shape rule) named after the problem it finds; [`super::registry`] lists them all.

pub mod availability;
pub mod database;
pub mod environment;
pub mod image;
// Cross-object lookups the rule families share; not rules themselves.
mod lookup;
pub mod pod_security;
pub mod waivers;
pub mod workload;
