//! The Helm values of each pinned chart, as data.
//!
//! Values are built as JSON values and written into `helm_release.values` as one JSON
//! document each (JSON is YAML, which Helm reads), never assembled from text. What only
//! exists once Terraform has run (role ARNs, the certificate ARN) is not in these values:
//! it is passed with `set` entries whose value is a Terraform reference, so the values
//! documents hold no `${...}` interpolation at all (a test checks it).

use serde_json::{Value, json};

use crate::observability;
use crate::spec::model::Environment;

/// The pod label the ingress gateway's pods carry, which Istio `Gateway` objects select.
pub const GATEWAY_SELECTOR: (&str, &str) = ("istio", "ingressgateway");

/// The plain HTTP port of the ingress gateway: its Service's `http2` port, the pods'
/// target port behind both Service ports (the NLB terminates TLS on 443 and forwards plain
/// HTTP), and the port of the Istio `Gateway` server (templates/gateway.yaml.j2). The
/// `gateway` chart (1.24) maps Service port 80 to target port 80 by default and lets its
/// pods bind ports below 1024 (the `net.ipv4.ip_unprivileged_port_start` sysctl). istiod
/// matches a Gateway server's number against the Service's ports and listens on the
/// target port, so one number for all three cannot leave the listener on a port no Service
/// port reaches.
pub const GATEWAY_HTTP_PORT: u16 = 80;

/// The name of Istio's OpenTelemetry extension provider that exports spans to Jaeger.
pub const ISTIO_TRACING_PROVIDER: &str = "jaeger";

/// Loki keeps logs searchable for 30 days (REQ-T227's hot tier).
pub const LOKI_RETENTION: &str = "720h";

/// Istio's control plane: the CNI node agent replaces the privileged `istio-init`
/// container, so application pods stay within the `restricted` Pod Security profile.
pub fn istiod(env: &Environment) -> Value {
    json!({
        "pilot": {
            "cni": { "enabled": true },
            "autoscaleMin": 2,
        },
        "meshConfig": {
            "accessLogFile": "/dev/stdout",
            "accessLogEncoding": "JSON",
            "enableTracing": true,
            "extensionProviders": [{
                "name": ISTIO_TRACING_PROVIDER,
                "opentelemetry": {
                    "service": observability::collector_host(env),
                    "port": observability::OTLP_GRPC_PORT,
                },
            }],
            // A provider only exports spans once something selects it: as the mesh's
            // default, every sidecar and the gateway export without a Telemetry resource.
            "defaultProviders": { "tracing": [ISTIO_TRACING_PROVIDER] },
        },
    })
}

/// The Istio CNI node agent (a privileged DaemonSet in `istio-system`).
pub fn istio_cni() -> Value {
    json!({
        "cni": {
            "excludeNamespaces": ["kube-system"],
        },
    })
}

/// The one ingress gateway: a `LoadBalancer` Service fronted by an AWS NLB that terminates
/// TLS with the ACM certificate (its ARN is set by reference) and forwards plain HTTP.
pub fn ingress_gateway() -> Value {
    let (label, value) = GATEWAY_SELECTOR;
    json!({
        "labels": { label: value },
        "serviceAccount": { "name": "istio-ingressgateway" },
        "autoscaling": { "enabled": true, "minReplicas": 2, "maxReplicas": 5 },
        "service": {
            "type": "LoadBalancer",
            "annotations": {
                "service.beta.kubernetes.io/aws-load-balancer-type": "nlb",
                "service.beta.kubernetes.io/aws-load-balancer-scheme": "internet-facing",
                "service.beta.kubernetes.io/aws-load-balancer-backend-protocol": "tcp",
                "service.beta.kubernetes.io/aws-load-balancer-ssl-ports": "https",
                "service.beta.kubernetes.io/aws-load-balancer-cross-zone-load-balancing-enabled": "true",
            },
            "ports": [
                { "name": "status-port", "port": 15021, "protocol": "TCP", "targetPort": 15021 },
                { "name": "http2", "port": GATEWAY_HTTP_PORT, "protocol": "TCP", "targetPort": GATEWAY_HTTP_PORT },
                { "name": "https", "port": 443, "protocol": "TCP", "targetPort": GATEWAY_HTTP_PORT },
            ],
        },
    })
}

/// kube-prometheus-stack: Prometheus, Alertmanager, Grafana, node-exporter,
/// kube-state-metrics and the kubelet's cAdvisor metrics (REQ-T221). Prometheus picks up
/// ServiceMonitor, PodMonitor and PrometheusRule objects of every namespace, and Grafana's
/// sidecar loads dashboards from ConfigMaps labelled `grafana_dashboard` in every namespace.
///
/// Alertmanager runs the environment's routing ([`crate::observability::alertmanager::config`],
/// REQ-T224) and mounts the Secrets its receivers read keys from
/// (`/etc/alertmanager/secrets/<name>/<key>`); the chart's `extraManifests` apply the
/// ExternalSecrets that make those Secrets from the environment's store, so no key is ever
/// in the configuration.
pub fn kube_prometheus_stack(env: &Environment) -> Value {
    use crate::observability::alertmanager;
    let secrets: Vec<&str> = alertmanager::secrets(env)
        .into_iter()
        .map(|(name, _, _)| name)
        .collect();
    let mut values = json!({
        "nodeExporter": { "enabled": true },
        "kubeStateMetrics": { "enabled": true },
        "kubelet": {
            "enabled": true,
            "serviceMonitor": { "cAdvisor": true },
        },
        "prometheus": {
            "prometheusSpec": {
                "serviceMonitorSelectorNilUsesHelmValues": false,
                "podMonitorSelectorNilUsesHelmValues": false,
                "ruleSelectorNilUsesHelmValues": false,
                "retention": prometheus_retention(),
                // Alerts and federated series say which environment they come from.
                "externalLabels": { "environment": env.name },
            },
        },
        "alertmanager": {
            "enabled": true,
            "alertmanagerSpec": { "secrets": secrets },
        },
        "extraManifests": alertmanager::external_secrets(env),
        "grafana": {
            "enabled": true,
            "sidecar": {
                "dashboards": {
                    "enabled": true,
                    "label": "grafana_dashboard",
                    "searchNamespace": "ALL",
                },
            },
        },
    });
    values = with_alertmanager_config(values, alertmanager::config(env));
    values
}

/// How long Prometheus keeps samples: the SLO dashboard's window plus a day, so its
/// `avg_over_time(...[30d])` panels see the whole window (with 15 days they silently
/// averaged over half of it).
pub fn prometheus_retention() -> String {
    format!("{}d", crate::observability::dashboards::SLO_WINDOW_DAYS + 1)
}

/// `values` with `config` (an `alertmanager.yml` document) as Alertmanager's configuration.
fn with_alertmanager_config(mut values: Value, config: Value) -> Value {
    values["alertmanager"]["config"] = config;
    values
}

/// Loki in single-binary mode, storing chunks in the log bucket, with retention applied by
/// the compactor (REQ-T227).
pub fn loki(region: &str, log_bucket: &str) -> Value {
    json!({
        "deploymentMode": "SingleBinary",
        "loki": {
            "auth_enabled": false,
            "commonConfig": { "replication_factor": 1 },
            "schemaConfig": {
                "configs": [{
                    "from": "2024-01-01",
                    "store": "tsdb",
                    "object_store": "s3",
                    "schema": "v13",
                    "index": { "prefix": "loki_index_", "period": "24h" },
                }],
            },
            "storage": {
                "type": "s3",
                "bucketNames": { "chunks": log_bucket, "ruler": log_bucket, "admin": log_bucket },
                "s3": { "region": region },
            },
            "limits_config": { "retention_period": LOKI_RETENTION },
            "compactor": {
                "retention_enabled": true,
                "delete_request_store": "s3",
            },
        },
        "singleBinary": { "replicas": 1 },
        "read": { "replicas": 0 },
        "write": { "replicas": 0 },
        "backend": { "replicas": 0 },
        "chunksCache": { "enabled": false },
        "resultsCache": { "enabled": false },
    })
}

/// Promtail, shipping every pod's logs to Loki's gateway.
pub fn promtail(env: &Environment) -> Value {
    json!({
        "config": {
            "clients": [{
                "url": format!(
                    "http://loki-gateway.{}.svc.cluster.local/loki/api/v1/push",
                    env.platform.monitoring_namespace
                ),
            }],
        },
    })
}

/// Jaeger all-in-one with its OTLP receiver; the services export to
/// [`observability::otlp_endpoint`], and their egress NetworkPolicy selects the all-in-one
/// pod by [`observability::jaeger_pod_selector`].
pub fn jaeger() -> Value {
    json!({
        "provisionDataStore": { "cassandra": false },
        "storage": { "type": "memory" },
        "allInOne": {
            "enabled": true,
            "extraEnv": [{ "name": "COLLECTOR_OTLP_ENABLED", "value": "true" }],
        },
        "agent": { "enabled": false },
        "collector": { "enabled": false },
        "query": { "enabled": false },
    })
}

/// cert-manager with its CRDs.
pub fn cert_manager() -> Value {
    json!({ "crds": { "enabled": true } })
}

/// External Secrets with its CRDs; its service account's IAM role is set by reference.
pub fn external_secrets() -> Value {
    json!({ "installCRDs": true, "serviceAccount": { "create": true, "name": "external-secrets" } })
}

/// The CloudNativePG operator with its CRDs.
pub fn cloudnative_pg() -> Value {
    json!({ "crds": { "create": true } })
}

/// metrics-server, which HorizontalPodAutoscalers read CPU and memory from (REQ-T233).
pub fn metrics_server() -> Value {
    json!({ "replicas": 2, "podDisruptionBudget": { "enabled": true, "minAvailable": 1 } })
}

/// Argo CD; the Applications it syncs are rendered by daactl. The application controller
/// serves its metrics (`argocd_app_info`, which alert `DaaConfigurationDrift` reads) with a
/// ServiceMonitor, which kube-prometheus-stack's Prometheus selects in every namespace.
pub fn argo_cd() -> Value {
    json!({
        "dex": { "enabled": false },
        "configs": { "params": { "server.insecure": false } },
        "controller": {
            "metrics": {
                "enabled": true,
                "serviceMonitor": { "enabled": true },
            },
        },
    })
}

/// Argo Rollouts, for canary releases with automatic rollback.
pub fn argo_rollouts() -> Value {
    json!({ "dashboard": { "enabled": false } })
}
