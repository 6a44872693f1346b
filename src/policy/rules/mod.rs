//! The rules, one file per requirement family. Each rule is a unit struct (or a static
//! shape rule) named after the problem it finds; [`super::registry`] lists them all.
//! [`common`] holds what several families share (object names in messages, selectors,
//! the pods CloudNativePG creates).

pub mod availability;
pub mod common;
pub mod database;
pub mod environment;
pub mod image;
// Cross-object lookups the rule families share; not rules themselves.
mod lookup;
pub mod namespace;
pub mod network;
pub mod pod_security;
pub mod resources;
pub mod secrets;
pub mod storage;
pub mod waivers;
pub mod workload;
