//! The REQ-T policy as data: `schemas/policy.toml`, built into the binary.
//!
//! It holds, for each of the 50 requirements, its title, priority, status and the rule
//! codes that enforce it, and per environment the parameters rules read (minimum replicas,
//! zones, whether images must be pinned by digest, ...). A test keeps its rule lists equal
//! to the registry's.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::Deserialize;

/// The policy file, as committed.
pub const POLICY_TOML: &str = include_str!("../../schemas/policy.toml");

/// How important a requirement is; findings inherit it as their severity.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, serde::Serialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Nice to have.
    Low,
    /// Should hold.
    Medium,
    /// Must hold.
    High,
    /// Must hold; the platform is unsafe or down without it.
    Critical,
}

impl Severity {
    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Low => "low",
            Self::Medium => "medium",
            Self::High => "high",
            Self::Critical => "critical",
        }
    }
}

/// How a requirement is shown to hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// Rules check it on every validation.
    Enforced,
    /// daactl generates an artifact that carries it; its effect happens elsewhere.
    Generated,
    /// Only evidence recorded by people can show it.
    Attested,
    /// Not a property of anything daactl renders.
    OutOfScope,
    /// Rules will come with the artifact that carries it (not rendered yet).
    Planned,
}

impl Status {
    /// Kebab-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Enforced => "enforced",
            Self::Generated => "generated",
            Self::Attested => "attested",
            Self::OutOfScope => "out-of-scope",
            Self::Planned => "planned",
        }
    }
}

/// One requirement of `requirements/deployment-infrastructure.md`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Requirement {
    /// `REQ-T2xx`.
    pub id: String,
    /// Its title.
    pub title: String,
    /// Its priority, which is the severity of its findings.
    pub priority: Severity,
    /// How it is shown to hold.
    pub status: Status,
    /// The codes of the rules that enforce it.
    #[serde(default)]
    pub rules: Vec<String>,
    /// What the requirement asks, in a sentence.
    pub summary: String,
    /// Why it has this status, and what is not checked.
    pub note: String,
}

/// The parameters rules read for one environment.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnvironmentPolicy {
    /// The environment's name (the table's key).
    #[serde(skip)]
    pub name: String,
    /// Fewest pods any serving workload may run (REQ-T231, T233).
    pub min_replicas: u64,
    /// Availability zones workloads must spread over (REQ-T231).
    pub zones: u64,
    /// Every image must be pinned by digest (REQ-T216).
    pub image_digest: bool,
    /// PostgreSQL instances: 1 primary plus replicas (REQ-T234).
    pub database_instances: u64,
    /// Database backups and point-in-time recovery are required (REQ-T235, T236).
    pub backups: bool,
    /// Runs in a cloud (an SSD StorageClass, load balancer, ...); false for a local cluster.
    pub cloud: bool,
    /// Deploys only when a person syncs: its Argo CD Application must not sync
    /// automatically (REQ-T219's approval gate).
    #[serde(default)]
    pub manual_sync: bool,
    /// Per-pull-request previews are built from this environment (REQ-T244).
    #[serde(default)]
    pub previews: bool,
    /// Releases go out as Argo Rollouts canaries with analysis (REQ-T218); false where the
    /// cluster has no Argo Rollouts controller (development's kind).
    #[serde(default)]
    pub canary: bool,
    /// Where the Istio ingress gateway runs (the spec's `platform.ingress_namespace`): the
    /// only namespace whose `istio-ingressgateway` ServiceAccount is the gateway.
    #[serde(default = "default_ingress_namespace")]
    pub ingress_namespace: String,
}

fn default_ingress_namespace() -> String {
    crate::spec::model::Platform::default().ingress_namespace
}

/// The whole policy file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// Format version of the file.
    pub version: u32,
    /// Per-environment parameters, by name.
    pub environments: BTreeMap<String, EnvironmentPolicy>,
    /// Every requirement, in order.
    pub requirements: Vec<Requirement>,
}

/// Why the policy or an environment's parameters are unusable.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PolicyError {
    /// `--env` names an environment the policy has no parameters for.
    #[error(
        "schemas/policy.toml: error: no policy parameters for environment `{name}`\n  hint: known: {known}"
    )]
    UnknownEnvironment {
        /// The name asked for.
        name: String,
        /// The names there are.
        known: String,
    },
}

impl Policy {
    /// The policy built into this binary. A broken policy file fails the build's tests,
    /// never a user's run.
    pub fn embedded() -> &'static Policy {
        static POLICY: OnceLock<Policy> = OnceLock::new();
        POLICY.get_or_init(|| Self::parse(POLICY_TOML).expect("schemas/policy.toml is valid"))
    }

    /// Parses a policy file.
    pub fn parse(text: &str) -> Result<Self, toml::de::Error> {
        let mut policy: Policy = toml::from_str(text)?;
        for (name, env) in &mut policy.environments {
            env.name.clone_from(name);
        }
        Ok(policy)
    }

    /// The parameters of environment `name`.
    pub fn environment(&self, name: &str) -> Result<&EnvironmentPolicy, PolicyError> {
        self.environments
            .get(name)
            .ok_or_else(|| PolicyError::UnknownEnvironment {
                name: name.to_owned(),
                known: self
                    .environments
                    .keys()
                    .map(String::as_str)
                    .collect::<Vec<_>>()
                    .join(", "),
            })
    }

    /// The requirement `id`.
    pub fn requirement(&self, id: &str) -> Option<&Requirement> {
        self.requirements.iter().find(|r| r.id == id)
    }
}
