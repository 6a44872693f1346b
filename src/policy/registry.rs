//! Every rule, in one explicit table: reviewable, greppable, and the single place a new
//! rule is registered. Codes are stable and never reused; the tests check the table is
//! sorted, codes are unique, every rule has passing and failing fixtures, and every
//! requirement of `schemas/policy.toml` lists exactly the rules registered for it.

use super::rule::{Rule, RuleMeta};
use super::rules::{
    api, availability, database, delivery, environment, gitops, image, mesh, namespace, network,
    observability, parity, pod_security, recovery, resources, secrets, storage, terraform, waivers,
    workload,
};

/// The rules that check manifests, sorted by code.
pub static RULES: &[&dyn Rule] = &[
    &observability::UnloadableDashboard,
    &observability::MissingRunbook,
    &parity::EnvironmentParity,
    &gitops::UnsyncedEnvironment,
    &gitops::LingeringPreview,
    &api::InvalidKubernetesObject,
    &api::RemovedApiVersion,
    &workload::WorkloadWithoutService,
    &mesh::UnmeshedApplicationWorkload,
    &mesh::PermissiveMutualTls,
    &mesh::MeshAuthorizationMismatch,
    &namespace::ObjectOutsideEnvironmentNamespace,
    &namespace::RbacWildcard,
    &namespace::ClusterAdminBinding,
    &resources::MISSING_CONTAINER_RESOURCES,
    &resources::MissingNamespaceQuota,
    &resources::QuotaTooSmallForWorkloads,
    &pod_security::NAMESPACE_NOT_RESTRICTED,
    &pod_security::POD_SECURITY_CONTEXT,
    &pod_security::HOST_ACCESS,
    &pod_security::CONTAINER_SECURITY_CONTEXT,
    &pod_security::SERVICE_ACCOUNT_TOKEN_MOUNTED,
    &network::MissingDefaultDeny,
    &network::PodWithoutNetworkPolicy,
    &network::DanglingNetworkPolicyPeer,
    &storage::StorageClassNotSsd,
    &storage::StaticOrUnclassifiedStorage,
    &secrets::LiteralSecretEnv,
    &secrets::DanglingConfigReference,
    &image::MutableImageReference,
    &workload::DOWNTIME_ROLLOUT,
    &workload::MissingProbe,
    &workload::AbruptShutdown,
    &workload::MissingDisruptionBudget,
    &delivery::UnanalysedRelease,
    &observability::UnscrapedWorkload,
    &observability::MissingRedRecordingRules,
    &observability::UnroutableAlert,
    &observability::MissingTraceExport,
    &observability::NonJsonLogs,
    &availability::UnspreadReplicas,
    &availability::TooFewReplicas,
    &availability::ExposedServiceType,
    &availability::DanglingService,
    &mesh::MissingLoadBalancingAlgorithm,
    &mesh::UnroutedPublicService,
    &availability::MisconfiguredAutoscaler,
    &availability::UnscaledWorkload,
    &database::TooFewDatabaseInstances,
    &database::MissingDatabaseBackup,
    &database::NoPointInTimeRecovery,
    &recovery::UnverifiedBackups,
    &environment::CloudDependency,
    &environment::ProductionReference,
    &environment::BroadAccess,
    &secrets::PlaintextSecret,
    &secrets::SecretNotRefreshed,
    &terraform::OutdatedEksVersion,
    &terraform::IncompleteIstioInstall,
    &terraform::PlatformNamespaceNotRestricted,
    &terraform::UnencryptedClusterSecrets,
    &terraform::UnsafeImageRepository,
    &terraform::IncompleteMetricsStack,
    &terraform::UnmanagedLogArchive,
    &terraform::NodeGroupsInTooFewZones,
    &terraform::NoAutoscalingSupport,
    &terraform::NoDisasterRecoveryCopy,
    &terraform::UnauditedOpenCluster,
    &terraform::UnpinnedTerraform,
    &terraform::UnpinnedHelmRelease,
    &terraform::DanglingTerraformReference,
    &terraform::UnsafeTerraformState,
];

/// The rules about waivers, applied by the engine itself.
pub static WAIVER_RULES: &[&RuleMeta] = &[
    &waivers::INVALID_WAIVER,
    &waivers::EXPIRED_WAIVER,
    &waivers::UNUSED_WAIVER,
];

fn every() -> impl Iterator<Item = &'static RuleMeta> {
    RULES
        .iter()
        .map(|&rule| rule.meta())
        .chain(WAIVER_RULES.iter().copied())
}

/// Every rule's metadata, manifest rules first, each group sorted by code.
pub fn all() -> Vec<&'static RuleMeta> {
    every().collect()
}

/// Every rule code.
pub fn codes() -> Vec<&'static str> {
    every().map(|meta| meta.code).collect()
}

/// The metadata of rule `code` (found without building the whole list: report formats ask
/// once per finding).
pub fn meta(code: &str) -> Option<&'static RuleMeta> {
    every().find(|meta| meta.code == code)
}

/// Each rule's first failing and passing fixture, `(code, fail, pass)`, embedded by
/// `build.rs` from `tests/fixtures/policy/`.
static EXAMPLES: &[(&str, &str, &str)] = include!(concat!(env!("OUT_DIR"), "/rule_examples.rs"));

/// The failing and passing example of rule `code` (its first fixtures).
pub fn examples(code: &str) -> Option<(&'static str, &'static str)> {
    EXAMPLES
        .iter()
        .find(|(c, _, _)| *c == code)
        .map(|(_, fail, pass)| (*fail, *pass))
}
