//! Progressive delivery (REQ-T218): what the Argo Rollouts canary of each service is made
//! of, derived from the spec's `[delivery]` section, so the templates, the policy rule that
//! checks the result (K218-5) and the tests share one definition.
//!
//! A `Rollout` refers to the service's Deployment (`workloadRef`) instead of replacing it,
//! and a background analysis runs the service's `AnalysisTemplate`: the 5xx ratio of the
//! canary's own pods, from the same `http_requests_total` series the RED recording rules
//! read (`observability::alerts`). The canary's pods are told apart by name: Argo Rollouts
//! names a ReplicaSet `<rollout>-<pod template hash>`, and the Rollout passes the newest
//! hash to the analysis as an argument.

use serde_json::{Value, json};

use crate::spec::model::{Canary, DeliveryStrategy, Environment};

/// Port of the Prometheus kube-prometheus-stack runs (release `kube-prometheus-stack`).
pub const PROMETHEUS_PORT: u16 = 9090;

/// The metric of every analysis: the canary's share of 5xx answers.
pub const ERROR_RATIO_METRIC: &str = "error-ratio";

/// The analysis argument carrying the canary's pod template hash.
pub const CANARY_HASH_ARG: &str = "canary-hash";

/// The request counter the services expose and the RED recording rules read.
pub const REQUESTS_METRIC: &str = "http_requests_total";

/// The window of the `rate()` in the query: two scrape intervals of margin over a minute.
const RATE_WINDOW: &str = "2m";

/// Where analyses query Prometheus: the kube-prometheus-stack's Service in the monitoring
/// namespace.
pub fn prometheus_address(env: &Environment) -> String {
    format!(
        "http://kube-prometheus-stack-prometheus.{}.svc.cluster.local:{PROMETHEUS_PORT}",
        env.platform.monitoring_namespace
    )
}

/// The name of a service's AnalysisTemplate.
pub fn template_name(service: &str) -> String {
    format!("{service}-{ERROR_RATIO_METRIC}")
}

/// The PromQL of one service's canary error ratio: its 5xx answers over all its answers,
/// counting only the pods of the canary's ReplicaSet. No 5xx series means no errors (`or
/// vector(0)` on the numerator); no requests at all means nothing to judge, so 0 rather than
/// an empty result that would count as a measurement error.
pub fn error_ratio_query(namespace: &str, service: &str) -> String {
    let select = format!(
        "namespace=\"{namespace}\", service=\"{service}\", pod=~\"{service}-{{{{args.{CANARY_HASH_ARG}}}}}-.+\""
    );
    let rate =
        |extra: &str| format!("sum(rate({REQUESTS_METRIC}{{{select}{extra}}}[{RATE_WINDOW}]))");
    format!(
        "({} or vector(0)) / ({} > 0) or vector(0)",
        rate(", status=~\"5..\""),
        rate("")
    )
}

/// What templates see as `env.delivery`: `null` for rolling updates, else the canary's
/// settings and, per service, its AnalysisTemplate's name and query.
pub fn context(env: &Environment) -> Value {
    let (DeliveryStrategy::Canary, Some(canary)) = (env.delivery.strategy, &env.delivery.canary)
    else {
        return Value::Null;
    };
    let app = &env.namespaces.app.name;
    let analyses: serde_json::Map<String, Value> = env
        .services
        .keys()
        .map(|service| {
            (
                service.clone(),
                json!({
                    "template": template_name(service),
                    "query": error_ratio_query(app, service),
                }),
            )
        })
        .collect();
    json!({
        "steps": steps(canary),
        "interval": canary.interval,
        "failure_limit": canary.failure_limit,
        "success_condition": format!("result[0] <= {}", canary.max_error_ratio),
        "failure_condition": format!("result[0] > {}", canary.max_error_ratio),
        "prometheus": prometheus_address(env),
        "metric": ERROR_RATIO_METRIC,
        "hash_arg": CANARY_HASH_ARG,
        "analyses": analyses,
    })
}

/// The canary's steps: each weight followed by the pause, then all replicas.
fn steps(canary: &Canary) -> Vec<Value> {
    let mut steps: Vec<Value> = canary
        .weights
        .iter()
        .flat_map(|weight| {
            [
                json!({"setWeight": weight}),
                json!({"pause": {"duration": canary.pause}}),
            ]
        })
        .collect();
    steps.push(json!({"setWeight": 100}));
    steps
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_query_selects_the_canary_pods_and_never_comes_back_empty() {
        let query = error_ratio_query("production", "daa-service");
        assert_eq!(
            query,
            "(sum(rate(http_requests_total{namespace=\"production\", service=\"daa-service\", pod=~\"daa-service-{{args.canary-hash}}-.+\", status=~\"5..\"}[2m])) or vector(0)) / (sum(rate(http_requests_total{namespace=\"production\", service=\"daa-service\", pod=~\"daa-service-{{args.canary-hash}}-.+\"}[2m])) > 0) or vector(0)"
        );
    }
}
