//! The rules, one file per requirement family. Each rule is a unit struct (or a static
//! shape rule) named after the problem it finds; [`super::registry`] lists them all.
//! [`common`] holds what several families share (selectors, the pods CloudNativePG
//! creates, autoscalers and minimum replicas through Argo Rollouts' `workloadRef`, namespace
//! roles).

pub mod api;
pub mod availability;
pub mod common;
pub mod database;
pub mod delivery;
pub mod environment;
pub mod gitops;
pub mod image;
pub mod mesh;
pub mod namespace;
pub mod network;
pub mod observability;
pub mod parity;
pub mod pod_security;
pub mod recovery;
pub mod resources;
pub mod secrets;
pub mod storage;
pub mod terraform;
pub mod waivers;
pub mod workload;
