//! daactl: renders the DAA platform's Kubernetes deployment from per-environment TOML specs,
//! and keeps the committed output honest.
//!
//! The binary is a thin shell over this library: `spec` reads environments, `render` turns
//! them into canonical manifests, `output` writes and reads the committed `rendered/` tree,
//! and `diff` compares the two.

pub mod diff;
pub mod helm;
pub mod kubeschema;
pub mod location;
pub mod output;
pub mod parallel;
pub mod policy;
pub mod project;
pub mod render;
pub mod spec;
pub mod variance;
pub mod yaml;
