//! The typed model of one `environments/<name>.toml` file.
//!
//! Every struct rejects unknown keys, so a typo in a spec is an error with a location instead
//! of a silently ignored setting. The JSON Schema in `schemas/environment.schema.json` is
//! generated from these types (`daactl schema`) and a test keeps the two equal.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::pattern;

/// One deployment environment of the DAA platform.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Environment {
    /// Environment name; must equal the file name without `.toml`.
    #[schemars(pattern(pattern::DNS_LABEL))]
    pub name: String,
    /// One line saying what this environment is for.
    #[serde(default)]
    pub description: String,
    /// The Kubernetes cluster the environment runs on.
    pub cluster: Cluster,
    /// The namespaces daactl creates, by role.
    pub namespaces: Namespaces,
    /// Namespaces of platform components that the DAA workloads talk to.
    #[serde(default)]
    pub platform: Platform,
    /// The Istio service mesh the DAA services run in (REQ-T203).
    #[serde(default)]
    pub mesh: Mesh,
    /// The public entry point through the mesh ingress gateway (REQ-T203, REQ-T232);
    /// required when a service is `public`.
    #[serde(default)]
    pub ingress: Option<Ingress>,
    /// Where service images come from.
    pub images: Images,
    /// The StorageClass that stateful workloads use.
    pub storage_class: StorageClass,
    /// Where ExternalSecrets read secret values from; values never live in the spec.
    pub secret_store: SecretStore,
    /// The DAA services, keyed by service name. Adding a service is one table here.
    pub services: BTreeMap<String, Service>,
    /// The PostgreSQL cluster (CloudNativePG) in the data namespace.
    pub postgres: Postgres,
    /// The Redis cache in the data namespace.
    pub redis: Redis,
    /// Groups of people given namespace-level access.
    #[serde(default)]
    pub access_groups: Vec<AccessGroup>,
    /// How Argo CD deploys the environment from this repository (REQ-T217, T219, T244).
    pub gitops: Gitops,
    /// How a new release of a service replaces the running one (REQ-T218).
    pub delivery: Delivery,
    /// The cloud account around the cluster, written as Terraform
    /// (`rendered/terraform/<env>/main.tf.json`); required for `eks`, refused for `kind`.
    #[serde(default)]
    pub cloud: Option<Cloud>,
    /// Tracing, and where alerts go (REQ-T224, T225).
    pub observability: Observability,
}

/// Tracing and alert routing of an environment (REQ-T221..T228).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Observability {
    /// Fraction of traces the services sample, from 0 to 1 (`OTEL_TRACES_SAMPLER_ARG`; a
    /// parent's decision is kept).
    pub trace_sampling_ratio: f64,
    /// Where Alertmanager sends alerts, by severity.
    pub alerting: Alerting,
}

/// Alertmanager's receivers by alert severity (REQ-T224).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Alerting {
    /// Where `critical` alerts go.
    pub critical: AlertReceiver,
    /// Where `warning` alerts go; `info` alerts are never sent.
    pub warning: AlertReceiver,
    /// The PagerDuty Events API v2 routing key in the secret store; required when a
    /// severity goes to `pagerduty`.
    #[serde(default)]
    pub pagerduty_routing_key: Option<SecretRef>,
    /// The chat (Slack-compatible) incoming webhook URL in the secret store; required when a
    /// severity goes to `chat`.
    #[serde(default)]
    pub chat_webhook: Option<SecretRef>,
    /// The chat channel alerts are posted to, for example `#daa-alerts`.
    #[serde(default)]
    pub chat_channel: Option<String>,
}

/// A kind of alert receiver.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum AlertReceiver {
    /// Page the on-call engineer through PagerDuty.
    Pagerduty,
    /// Post to the chat channel.
    Chat,
    /// Drop the alert (development).
    None,
}

impl AlertReceiver {
    /// The spelling in the spec.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pagerduty => "pagerduty",
            Self::Chat => "chat",
            Self::None => "none",
        }
    }
}

/// Where the environment runs.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Cluster {
    /// `kind` for a local cluster, `eks` for Amazon EKS.
    pub provider: ClusterProvider,
    /// Kubernetes minor version, for example `1.33` (REQ-T202 asks for 1.28 or later).
    #[schemars(pattern(pattern::KUBERNETES_VERSION))]
    pub kubernetes_version: String,
    /// Cloud region; required for `eks`.
    #[serde(default)]
    pub region: Option<String>,
    /// Availability zones workloads spread over (REQ-T231).
    pub zones: Vec<String>,
}

/// The kind of cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ClusterProvider {
    /// A local kind cluster (REQ-T241).
    Kind,
    /// Amazon Elastic Kubernetes Service.
    Eks,
}

/// The namespaces of an environment, by role.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Namespaces {
    /// Where the DAA services run; named after the environment.
    pub app: Namespace,
    /// Where PostgreSQL and Redis run.
    pub data: Namespace,
}

impl Namespaces {
    /// The namespaces with their role names, in a fixed order.
    pub fn by_role(&self) -> [(&'static str, &Namespace); 2] {
        [("app", &self.app), ("data", &self.data)]
    }
}

/// One namespace with its quota and container defaults (REQ-T205).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Namespace {
    /// Namespace name.
    #[schemars(pattern(pattern::DNS_LABEL))]
    pub name: String,
    /// The namespace's ResourceQuota.
    pub quota: Quota,
    /// Defaults and bounds for containers, rendered as a LimitRange.
    pub container_limits: ContainerLimits,
}

/// Hard limits of a ResourceQuota.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Quota {
    /// Sum of all container requests.
    pub requests: ResourceSet,
    /// Sum of all container limits.
    pub limits: ResourceSet,
    /// Sum of all PersistentVolumeClaim requests.
    #[schemars(pattern(pattern::QUANTITY))]
    pub storage: String,
    /// Number of PersistentVolumeClaims.
    pub persistent_volume_claims: u32,
    /// Number of pods.
    pub pods: u32,
}

/// LimitRange settings for containers.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ContainerLimits {
    /// Requests given to a container that sets none.
    pub default_request: ResourceSet,
    /// Limits given to a container that sets none.
    pub default_limit: ResourceSet,
    /// The largest limits a container may set.
    pub max: ResourceSet,
}

/// CPU, memory and ephemeral storage, as Kubernetes quantities.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ResourceSet {
    /// CPU, for example `250m` or `2`.
    #[schemars(pattern(pattern::QUANTITY))]
    pub cpu: String,
    /// Memory, for example `512Mi`.
    #[schemars(pattern(pattern::QUANTITY))]
    pub memory: String,
    /// Ephemeral storage (writable layers, logs, emptyDir), for example `1Gi`.
    #[schemars(pattern(pattern::QUANTITY))]
    pub ephemeral_storage: String,
}

/// Requests and limits of one container.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Resources {
    /// What the scheduler reserves.
    pub requests: ResourceSet,
    /// What the container may use at most.
    pub limits: ResourceSet,
}

/// Namespaces of platform components outside the DAA deployment.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Platform {
    /// Where Prometheus runs; it may scrape metrics ports.
    #[schemars(pattern(pattern::DNS_LABEL))]
    pub monitoring_namespace: String,
    /// Where the CloudNativePG operator runs; it may reach PostgreSQL pods.
    #[schemars(pattern(pattern::DNS_LABEL))]
    pub postgres_operator_namespace: String,
    /// Where the ingress gateway runs; it may reach services marked `public`.
    #[schemars(pattern(pattern::DNS_LABEL))]
    pub ingress_namespace: String,
    /// Where istiod runs; every sidecar fetches its configuration and certificate there.
    #[serde(default = "default_istio_namespace")]
    #[schemars(pattern(pattern::DNS_LABEL))]
    pub istio_namespace: String,
}

fn default_istio_namespace() -> String {
    "istio-system".to_owned()
}

impl Default for Platform {
    fn default() -> Self {
        Self {
            monitoring_namespace: "monitoring".to_owned(),
            postgres_operator_namespace: "cnpg-system".to_owned(),
            ingress_namespace: "istio-ingress".to_owned(),
            istio_namespace: default_istio_namespace(),
        }
    }
}

/// How Argo CD deploys an environment: an `Application` syncing the environment's Kustomize
/// overlay from `main`, and optionally per-pull-request previews built from that overlay.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Gitops {
    /// `automated`: every commit on `main` is applied, with pruning and self-heal (REQ-T217);
    /// `manual`: a person presses sync, the approval gate of production (REQ-T219).
    pub sync: SyncMode,
    /// Build an ephemeral environment from this environment's overlay for every open pull
    /// request labelled `preview`, in namespaces `pr-<number>` and `pr-<number>-<role>`,
    /// deleted when the pull request closes (REQ-T244).
    #[serde(default)]
    pub previews: bool,
}

/// How a new release of a service replaces the running one (REQ-T218).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Delivery {
    /// `rolling`: the Deployment's rolling update replaces pods one at a time, with no
    /// analysis; `canary`: an Argo Rollouts `Rollout` takes over the Deployment's pods and
    /// shifts replicas to the new release step by step while Prometheus's error ratio of
    /// the canary is analysed, aborting (scaling the canary away) when it exceeds the
    /// threshold. `canary` needs the Argo Rollouts controller, which Terraform installs on
    /// `eks` clusters only.
    pub strategy: DeliveryStrategy,
    /// The canary's steps and analysis; required with `strategy = "canary"`.
    #[serde(default)]
    pub canary: Option<Canary>,
}

/// How releases are delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum DeliveryStrategy {
    /// The Deployment's own rolling update.
    Rolling,
    /// An Argo Rollouts canary with analysis and automatic rollback.
    Canary,
}

/// An Argo Rollouts canary: the steps and the analysis that aborts it.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Canary {
    /// The share of replicas, in percent, the new release gets at each step before it gets
    /// all of them; increasing, each from 1 to 99, for example `[20, 50]`.
    pub weights: Vec<u32>,
    /// How long each step holds before the next, for example `5m`.
    #[schemars(pattern(pattern::DURATION))]
    pub pause: String,
    /// The 5xx ratio of the canary's requests above which a measurement fails, for example
    /// `0.01` (1%); between 0 and 1.
    pub max_error_ratio: f64,
    /// How often the error ratio is measured, for example `1m`.
    #[serde(default = "default_canary_interval")]
    #[schemars(pattern(pattern::DURATION))]
    pub interval: String,
    /// How many failed measurements are tolerated; one more aborts the canary.
    #[serde(default = "default_canary_failure_limit")]
    pub failure_limit: u32,
}

fn default_canary_interval() -> String {
    "1m".to_owned()
}

fn default_canary_failure_limit() -> u32 {
    1
}

/// When Argo CD applies a new commit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum SyncMode {
    /// On every commit, pruning removed objects and reverting drift.
    Automated,
    /// Only when a person syncs.
    Manual,
}

/// The Istio service mesh (REQ-T203): the application namespace is meshed, each pod gets
/// an `istio-proxy` sidecar sized here.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Mesh {
    /// Requests and limits of the injected `istio-proxy` container of every meshed pod;
    /// they count against the namespace's quota.
    #[serde(default)]
    pub proxy: ProxyResources,
}

/// Requests and limits of the `istio-proxy` sidecar, set through Istio's
/// `sidecar.istio.io/proxy*` pod annotations (which know CPU and memory only).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProxyResources {
    /// What the scheduler reserves for the sidecar.
    pub requests: ProxyResourceSet,
    /// What the sidecar may use at most.
    pub limits: ProxyResourceSet,
}

impl Default for ProxyResources {
    /// Istio's own default requests (`100m`, `128Mi`), with limits far below its `2` CPUs
    /// and `1Gi`: a proxy of a handful of services needs little, and every pod pays it.
    fn default() -> Self {
        Self {
            requests: ProxyResourceSet {
                cpu: "100m".to_owned(),
                memory: "128Mi".to_owned(),
            },
            limits: ProxyResourceSet {
                cpu: "500m".to_owned(),
                memory: "256Mi".to_owned(),
            },
        }
    }
}

/// CPU and memory, as Kubernetes quantities.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProxyResourceSet {
    /// CPU, for example `100m`.
    #[schemars(pattern(pattern::QUANTITY))]
    pub cpu: String,
    /// Memory, for example `128Mi`.
    #[schemars(pattern(pattern::QUANTITY))]
    pub memory: String,
}

/// The public entry point: the Istio ingress gateway (installed by Terraform, behind the
/// AWS NLB that terminates TLS) serves this host and routes `/<service>/` to each public
/// service.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Ingress {
    /// The public host name, for example `api.daa.example.com`.
    #[schemars(pattern(pattern::HOST_NAME))]
    pub host: String,
    /// How long the gateway waits for a whole request, retries included, for example `15s`.
    #[serde(default = "default_ingress_timeout")]
    #[schemars(pattern(pattern::PROTO_DURATION))]
    pub timeout: String,
    /// How many times the gateway retries a request that never reached the service
    /// (connection failures, refused streams, resets).
    #[serde(default = "default_ingress_retries")]
    pub retries: u32,
    /// How long each attempt may take, for example `5s`.
    #[serde(default = "default_ingress_per_try_timeout")]
    #[schemars(pattern(pattern::PROTO_DURATION))]
    pub per_try_timeout: String,
}

fn default_ingress_timeout() -> String {
    "15s".to_owned()
}

fn default_ingress_retries() -> u32 {
    2
}

fn default_ingress_per_try_timeout() -> String {
    "5s".to_owned()
}

/// Image registry settings.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Images {
    /// Registry and path prefix for service images, for example `ghcr.io/daa-platform`.
    pub registry: String,
}

/// The SSD StorageClass (REQ-T208).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StorageClass {
    /// StorageClass name; the same in every environment so workloads stay identical.
    #[schemars(pattern(pattern::DNS_LABEL))]
    pub name: String,
    /// CSI provisioner, for example `ebs.csi.aws.com` or kind's `rancher.io/local-path`.
    pub provisioner: String,
    /// Provisioner parameters, for example `type = "gp3"`.
    #[serde(default)]
    pub parameters: BTreeMap<String, String>,
    /// What happens to a volume when its claim is deleted.
    pub reclaim_policy: ReclaimPolicy,
    /// Whether claims can grow after creation.
    pub allow_volume_expansion: bool,
}

/// StorageClass reclaim policy.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema)]
pub enum ReclaimPolicy {
    /// Keep the volume after the claim is deleted.
    Retain,
    /// Delete the volume with its claim.
    Delete,
}

/// The External Secrets store that holds secret values (REQ-T209, REQ-T247).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SecretStore {
    /// `ClusterSecretStore` or `SecretStore`.
    pub kind: SecretStoreKind,
    /// Name of the store.
    pub name: String,
    /// How often ExternalSecrets re-read values, for example `1h`.
    #[schemars(pattern(pattern::DURATION))]
    pub refresh_interval: String,
}

/// Kind of External Secrets store.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema)]
pub enum SecretStoreKind {
    /// A store usable from every namespace.
    ClusterSecretStore,
    /// A store in the same namespace as the ExternalSecret.
    SecretStore,
}

/// A reference to one secret value in the secret store; never the value itself.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SecretRef {
    /// Key of the secret in the store, for example `production/daa-service/database`.
    pub remote_key: String,
    /// Property inside that secret, for JSON secrets.
    #[serde(default)]
    pub property: Option<String>,
}

/// A secret a service receives as an environment variable.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ServiceSecret {
    /// Environment variable name.
    #[schemars(pattern(pattern::ENV_NAME))]
    pub env: String,
    /// Key of the secret in the store.
    pub remote_key: String,
    /// Property inside that secret, for JSON secrets.
    #[serde(default)]
    pub property: Option<String>,
}

/// Replica bounds, used by the HorizontalPodAutoscaler (REQ-T233).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Replicas {
    /// Fewest replicas.
    pub min: u32,
    /// Most replicas.
    pub max: u32,
}

/// Autoscaling targets.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Autoscaling {
    /// Target average CPU utilization, percent of requests.
    pub cpu_utilization: u32,
    /// Target average memory utilization, percent of requests.
    pub memory_utilization: u32,
}

impl Default for Autoscaling {
    fn default() -> Self {
        Self {
            cpu_utilization: 70,
            memory_utilization: 80,
        }
    }
}

/// One DAA service: a Deployment with its Service, autoscaler, budget, config and secrets.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Service {
    /// What the service does.
    #[serde(default)]
    pub description: String,
    /// Image name under `images.registry`, or a full repository when it contains `/`.
    pub image: String,
    /// Image tag; give a tag, a digest or both (`name:tag@digest`).
    #[serde(default)]
    #[schemars(pattern(pattern::IMAGE_TAG))]
    pub tag: Option<String>,
    /// Image digest, `sha256:` and 64 hex digits; staging and production pin by digest.
    #[serde(default)]
    #[schemars(pattern(pattern::IMAGE_DIGEST))]
    pub digest: Option<String>,
    /// Application version, for the `app.kubernetes.io/version` label.
    #[schemars(pattern(pattern::LABEL_VALUE))]
    pub version: String,
    /// Port the application serves HTTP on.
    pub port: u16,
    /// Port the application serves Prometheus metrics on.
    pub metrics_port: u16,
    /// Replica bounds.
    pub replicas: Replicas,
    /// Autoscaling targets.
    #[serde(default)]
    pub autoscaling: Autoscaling,
    /// Container requests and limits.
    pub resources: Resources,
    /// Whether the ingress gateway may send it traffic from outside the cluster.
    #[serde(default)]
    pub public: bool,
    /// Other services this one calls.
    #[serde(default)]
    pub depends_on: Vec<String>,
    /// Whether the service uses PostgreSQL.
    #[serde(default)]
    pub postgres: bool,
    /// Whether the service uses Redis.
    #[serde(default)]
    pub redis: bool,
    /// Plain configuration, rendered into the service's ConfigMap.
    #[serde(default)]
    pub config: BTreeMap<String, String>,
    /// Secrets, rendered as an ExternalSecret and `secretKeyRef` environment variables.
    #[serde(default)]
    pub secrets: Vec<ServiceSecret>,
}

/// The PostgreSQL cluster, run by the CloudNativePG operator (REQ-T208, REQ-T234).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Postgres {
    /// Name of the CloudNativePG `Cluster`.
    #[schemars(pattern(pattern::DNS_LABEL))]
    pub name: String,
    /// Number of instances: one primary, the rest replicas.
    pub instances: u32,
    /// Image repository.
    pub image: String,
    /// Image tag, such as `15.10`; required, because CloudNativePG reads the PostgreSQL
    /// version from it.
    #[serde(default)]
    #[schemars(pattern(pattern::IMAGE_TAG))]
    pub tag: Option<String>,
    /// Image digest, `sha256:` and 64 hex digits; rendered after the tag.
    #[serde(default)]
    #[schemars(pattern(pattern::IMAGE_DIGEST))]
    pub digest: Option<String>,
    /// Database created at bootstrap.
    pub database: String,
    /// Owner of that database.
    pub owner: String,
    /// Size of each instance's data volume.
    #[schemars(pattern(pattern::QUANTITY))]
    pub storage_size: String,
    /// Size of each instance's WAL volume.
    #[schemars(pattern(pattern::QUANTITY))]
    pub wal_storage_size: String,
    /// Requests and limits of each instance.
    pub resources: Resources,
    /// PostgreSQL settings (`postgresql.conf`), except those CloudNativePG manages.
    #[serde(default)]
    pub parameters: BTreeMap<String, String>,
    /// Extensions loaded at server start, such as `pg_stat_statements`.
    #[serde(default)]
    pub shared_preload_libraries: Vec<String>,
    /// Store entry holding `username` and `password` of the database owner.
    pub credentials: SecretRef,
    /// Backups; none means no backups (development).
    #[serde(default)]
    pub backup: Option<PostgresBackup>,
}

/// Base backups and WAL archiving to object storage (REQ-T235, REQ-T236).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PostgresBackup {
    /// Object store path, for example `s3://daa-production-backups/postgres`.
    pub destination: String,
    /// Six-field cron schedule (with seconds) of base backups.
    pub schedule: String,
    /// How long backups and WAL are kept, for example `30d`.
    #[schemars(pattern(pattern::RETENTION))]
    pub retention: String,
    /// IAM role the instances assume to reach the object store (EKS IAM roles for service
    /// accounts); required on `eks`.
    #[serde(default)]
    pub role_arn: Option<String>,
    /// The weekly restore test of these backups (REQ-T239).
    pub verify: RestoreVerification,
}

/// A CronJob that restores the latest base backup and its WAL into a scratch PostgreSQL and
/// checks it (REQ-T239).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RestoreVerification {
    /// Five-field Kubernetes cron schedule that fires once a week, for example
    /// `0 4 * * 0` (Sundays 04:00 in the controller's time zone).
    pub schedule: String,
    /// IAM role the restore job assumes to read the backups (EKS IAM roles for service
    /// accounts); it should only read. Required on `eks`.
    #[serde(default)]
    pub role_arn: Option<String>,
    /// How long one verification may run before it is stopped and counts as failed, in
    /// seconds (the Job's `activeDeadlineSeconds`).
    pub deadline_seconds: u32,
    /// Requests and limits of the restore container.
    pub resources: Resources,
}

/// The Redis cache.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Redis {
    /// Image repository.
    pub image: String,
    /// Image tag; give a tag, a digest or both (`name:tag@digest`).
    #[serde(default)]
    #[schemars(pattern(pattern::IMAGE_TAG))]
    pub tag: Option<String>,
    /// Image digest, `sha256:` and 64 hex digits; staging and production pin by digest.
    #[serde(default)]
    #[schemars(pattern(pattern::IMAGE_DIGEST))]
    pub digest: Option<String>,
    /// Redis version, for the `app.kubernetes.io/version` label.
    #[schemars(pattern(pattern::LABEL_VALUE))]
    pub version: String,
    /// Redis `maxmemory`, for example `512mb`.
    pub max_memory: String,
    /// Requests and limits of the container.
    pub resources: Resources,
    /// Store entry holding the Redis password (property `password`).
    pub password: SecretRef,
}

/// A group given access to some of the environment's namespaces (REQ-T204).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AccessGroup {
    /// Group name as the cluster's authenticator reports it.
    pub group: String,
    /// What the group may do.
    pub access: Access,
    /// Namespace roles (`app`, `data`) the access applies to.
    pub namespaces: Vec<NamespaceRole>,
}

/// Access levels, each rendered as a namespaced Role.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Access {
    /// Read workloads, logs and events; never Secrets.
    Read,
    /// Read, plus restart and scale workloads and delete pods.
    Operate,
}

/// A namespace role.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum NamespaceRole {
    /// The application namespace.
    App,
    /// The data namespace.
    Data,
}

impl NamespaceRole {
    /// The role's key in `[namespaces]`.
    pub fn as_str(self) -> &'static str {
        match self {
            NamespaceRole::App => "app",
            NamespaceRole::Data => "data",
        }
    }
}

/// The AWS account, network and services around an `eks` cluster, which daactl writes as
/// Terraform JSON (REQ-T248). Local clusters have none.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Cloud {
    /// The AWS account id, twelve digits.
    #[schemars(pattern(pattern::AWS_ACCOUNT_ID))]
    pub account_id: String,
    /// The disaster-recovery region backups are replicated to (REQ-T237); not the
    /// cluster's region.
    pub dr_region: String,
    /// The S3 bucket holding Terraform state (REQ-T249); each environment has its own key.
    pub state_bucket: String,
    /// The S3 bucket the log shipper archives logs to (REQ-T227).
    pub log_bucket: String,
    /// The VPC's IPv4 range; one private and one public subnet per zone are cut from it.
    #[schemars(pattern(pattern::IPV4_CIDR))]
    pub vpc_cidr: String,
    /// Networks that may reach the public Kubernetes API endpoint (REQ-T243); never
    /// `0.0.0.0/0`.
    pub api_allowed_cidrs: Vec<String>,
    /// The DNS name the ingress gateway's TLS certificate (ACM) is issued for.
    pub domain: String,
    /// Whether this environment's Terraform owns the ECR repositories (the registry of
    /// record, REQ-T216); the others only read them.
    #[serde(default)]
    pub owns_registry: bool,
    /// The managed node group, spread over the cluster's zones (REQ-T231).
    pub node_group: NodeGroup,
}

/// An EKS managed node group.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NodeGroup {
    /// EC2 instance types, for example `m6i.xlarge`.
    pub instance_types: Vec<String>,
    /// Fewest nodes; at least one per zone.
    pub min_size: u32,
    /// Nodes at creation.
    pub desired_size: u32,
    /// Most nodes the cluster autoscaler may add up to (REQ-T233).
    pub max_size: u32,
}
