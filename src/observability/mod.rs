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

/// The Helm release of the jaegertracing/jaeger chart Terraform installs.
pub const JAEGER_RELEASE: &str = "jaeger";

/// Port of the Jaeger collector's OTLP gRPC receiver.
pub const OTLP_GRPC_PORT: u16 = 4317;

/// Port of the Jaeger collector's OTLP HTTP receiver.
pub const OTLP_HTTP_PORT: u16 = 4318;

/// The labels of the pod that receives traces. The chart runs in all-in-one mode
/// ([`crate::terraform::values::jaeger`]: `allInOne.enabled`, no separate collector), where
/// its one pod carries the chart's selector labels plus `app.kubernetes.io/component:
/// all-in-one` (chart 3.3.1, `allinone-deploy.yaml`); the `jaeger-collector` Service, a
/// headless one, selects that pod too. A `component: collector` selector matches nothing.
pub fn jaeger_pod_selector() -> Value {
    json!({
        "app.kubernetes.io/name": "jaeger",
        "app.kubernetes.io/instance": JAEGER_RELEASE,
        "app.kubernetes.io/component": "all-in-one",
    })
}

/// The host name of the `jaeger-collector` Service in the monitoring namespace.
pub fn collector_host(env: &Environment) -> String {
    format!(
        "{JAEGER_RELEASE}-collector.{}.svc.cluster.local",
        env.platform.monitoring_namespace
    )
}

/// Where services send traces: the Jaeger collector Terraform installs in the monitoring
/// namespace, over OTLP gRPC.
pub fn otlp_endpoint(env: &Environment) -> String {
    format!("http://{}:{OTLP_GRPC_PORT}", collector_host(env))
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
            // Services export over gRPC; the pod's HTTP receiver is allowed alongside.
            "ports": [OTLP_GRPC_PORT, OTLP_HTTP_PORT],
            "selector": jaeger_pod_selector(),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::terraform::charts::chart;
    use crate::terraform::values;

    /// Review finding 2: the trace egress selected `component: collector`, a label no pod of
    /// the all-in-one Jaeger carries.
    #[test]
    fn the_trace_egress_selects_the_pod_the_jaeger_values_deploy() {
        let values = values::jaeger();
        assert_eq!(values["allInOne"]["enabled"], json!(true));
        assert_eq!(values["collector"]["enabled"], json!(false));
        let selector = jaeger_pod_selector();
        assert_eq!(selector["app.kubernetes.io/component"], json!("all-in-one"));
        assert_eq!(
            selector["app.kubernetes.io/instance"],
            json!(chart("jaeger").release)
        );
        // The all-in-one container's OTLP receivers.
        assert_eq!([OTLP_GRPC_PORT, OTLP_HTTP_PORT], [4317, 4318]);
    }
}
