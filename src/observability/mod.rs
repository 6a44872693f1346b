//! Observability of the DAA platform (REQ-T221..T228, T240): what Prometheus scrapes, the
//! recording and alerting rules, Grafana dashboards, OpenTelemetry settings, the
//! Alertmanager configuration and the runbooks, all built from data here so templates,
//! policy rules, tests and generated documents share one definition.
//!
//! - [`alerts`]: the alert catalogue (`schemas/alerts.toml`) and each environment's rule
//!   groups, with the RED recording rules per service;
//! - [`dashboards`]: the Grafana dashboard models, identical in every environment;
//! - [`alertmanager`]: the Alertmanager configuration per environment, as data;
//! - [`runbooks`]: one Markdown runbook per alert and their index.

pub mod alertmanager;
pub mod alerts;
pub mod dashboards;
pub mod runbooks;

use serde_json::{Value, json};

use crate::spec::model::Environment;

/// Port of the Jaeger collector's OTLP gRPC receiver.
pub const OTLP_GRPC_PORT: u16 = 4317;

/// Where services send traces: the Jaeger collector Terraform installs in the monitoring
/// namespace (release `jaeger`), over OTLP gRPC.
pub fn otlp_endpoint(env: &Environment) -> String {
    format!(
        "http://jaeger-collector.{}.svc.cluster.local:{OTLP_GRPC_PORT}",
        env.platform.monitoring_namespace
    )
}

/// The OpenTelemetry SDK settings of one service (REQ-T225) and the JSON log format
/// (REQ-T226), as environment variables of its ConfigMap.
pub fn service_settings(env: &Environment, name: &str, version: &str) -> Vec<(String, String)> {
    [
        ("OTEL_SERVICE_NAME", name.to_owned()),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", otlp_endpoint(env)),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc".to_owned()),
        // A child follows its parent's decision, so a trace is never sampled in halves.
        ("OTEL_TRACES_SAMPLER", "parentbased_traceidratio".to_owned()),
        (
            "OTEL_TRACES_SAMPLER_ARG",
            env.observability.trace_sampling_ratio.to_string(),
        ),
        (
            "OTEL_RESOURCE_ATTRIBUTES",
            format!(
                "deployment.environment={},service.namespace=daa,service.version={version}",
                env.name
            ),
        ),
        ("LOG_FORMAT", "json".to_owned()),
    ]
    .into_iter()
    .map(|(key, value)| (key.to_owned(), value))
    .collect()
}

/// What templates see as `env.observability`.
pub fn context(env: &Environment) -> Value {
    json!({
        "prometheus_rules": alerts::prometheus_rules(env),
        "dashboards": dashboards::config_maps(),
        "collector": {
            "namespace": env.platform.monitoring_namespace,
            "port": OTLP_GRPC_PORT,
            // The labels the jaegertracing/jaeger chart gives its collector pods.
            "selector": {
                "app.kubernetes.io/instance": "jaeger",
                "app.kubernetes.io/component": "collector",
            },
        },
    })
}
