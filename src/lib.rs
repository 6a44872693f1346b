//! daactl: renders the DAA platform's Kubernetes deployment from per-environment TOML specs,
//! and keeps the committed output honest.
//!
//! The binary is a thin shell over this library: `spec` reads environments, `render` turns
//! them into canonical manifests, `output` writes and reads the committed `rendered/` tree,
//! and `diff` compares the two. `variance` compares the environments' renders, and
//! `kustomize` writes them as a Kustomize base with one overlay per environment; `workflow`
//! writes the services' CI/CD workflows and the drift workflow from the specs. `oci` pushes
//! signed release bundles to an OCI registry as Flux artifacts and pulls them back.

pub mod bundle;
pub mod delivery;
pub mod diff;
pub mod gitops;
pub mod helm;
pub mod image;
pub mod kubeschema;
pub mod kustomize;
pub mod location;
pub mod observability;
pub mod oci;
pub mod output;
pub mod parallel;
pub mod parity;
pub mod policy;
pub mod project;
pub mod render;
pub mod shared;
pub mod spec;
pub mod terraform;
#[doc(hidden)]
pub mod testing;
pub mod variance;
pub mod workflow;
pub mod yaml;
