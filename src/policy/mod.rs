//! The REQ-T policy engine behind `daactl validate`, `rules` and `explain`.
//!
//! - [`manifest`]: the objects of one environment, from a render or from files;
//! - [`terraform`]: the environment's Terraform document, for the `T` rules;
//! - [`catalogue`]: the policy as data (`schemas/policy.toml`): requirements and
//!   per-environment parameters;
//! - [`rule`], [`shape`], [`rules`], [`registry`]: what a rule is, rules written as JSON
//!   Schema fragments, the rules by family, and the one table listing them;
//! - [`waiver`]: accepted findings, by annotation or waiver file;
//! - [`engine`]: runs the rules, applies waivers, computes each requirement's result;
//! - [`report`]: the result every output format renders.

pub mod catalogue;
pub mod engine;
pub mod explain;
pub mod format;
pub mod manifest;
pub mod registry;
pub mod report;
pub mod rule;
pub mod rules;
pub mod shape;
pub mod terraform;
pub mod waiver;
pub mod workload;
