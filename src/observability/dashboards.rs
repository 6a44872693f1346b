//! Grafana dashboards (REQ-T228) as ConfigMaps for kube-prometheus-stack's dashboard
//! sidecar, which loads every ConfigMap labelled `grafana_dashboard: "1"` in any namespace.
//!
//! Each ConfigMap holds the bare dashboard model (what file provisioning reads), not the
//! HTTP API's `{"dashboard": ...}` wrapper the requirements' example shows. The namespace is
//! a Grafana template variable, so the JSON is byte-identical in every environment (no
//! parity difference) and one dashboard serves all of them.

use serde_json::{Value, json};

/// The label and value the Grafana sidecar selects dashboards by.
pub const SIDECAR_LABEL: (&str, &str) = ("grafana_dashboard", "1");

/// The SLO window, in days, the availability and error-budget panels average over.
/// Prometheus keeps a day more than this ([`crate::terraform::values::prometheus_retention`]),
/// so the window never reaches past the oldest sample.
pub const SLO_WINDOW_DAYS: u32 = 30;

/// The availability objective the SLO dashboard and the burn-rate alert measure against.
pub const AVAILABILITY_OBJECTIVE: f64 = 0.999;

/// One panel: a time series of `targets`, each `(expr, legend)`.
fn panel(id: u64, title: &str, unit: &str, targets: &[(&str, &str)], x: u64, y: u64) -> Value {
    let targets: Vec<Value> = targets
        .iter()
        .zip(["A", "B", "C", "D"])
        .map(|((expr, legend), ref_id)| {
            json!({
                "datasource": {"type": "prometheus", "uid": "${datasource}"},
                "expr": expr,
                "legendFormat": legend,
                "refId": ref_id,
            })
        })
        .collect();
    json!({
        "id": id,
        "type": "timeseries",
        "title": title,
        "datasource": {"type": "prometheus", "uid": "${datasource}"},
        "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
        "gridPos": {"h": 8, "w": 12, "x": x, "y": y},
        "targets": targets,
    })
}

/// A panel as written below: title, unit, and its targets as `(expr, legend)`.
type PanelSpec<'a> = (&'a str, &'a str, Vec<(&'a str, &'a str)>);

/// A dashboard with the datasource and namespace variables, its panels laid out two a row.
fn dashboard(uid: &str, title: &str, panels: Vec<PanelSpec<'_>>) -> Value {
    let panels: Vec<Value> = panels
        .into_iter()
        .enumerate()
        .map(|(i, (title, unit, targets))| {
            let i = i as u64;
            panel(i + 1, title, unit, &targets, (i % 2) * 12, (i / 2) * 8)
        })
        .collect();
    json!({
        "uid": uid,
        "title": title,
        "tags": ["daa"],
        "timezone": "utc",
        "schemaVersion": 39,
        "editable": false,
        "refresh": "30s",
        "time": {"from": "now-6h", "to": "now"},
        "templating": {"list": [
            {
                "name": "datasource",
                "label": "Data source",
                "type": "datasource",
                "query": "prometheus",
            },
            {
                "name": "namespace",
                "label": "Namespace",
                "type": "query",
                "datasource": {"type": "prometheus", "uid": "${datasource}"},
                "query": {"query": "label_values(service:http_requests:rate5m, namespace)", "refId": "namespace"},
                "refresh": 2,
                "sort": 1,
            },
        ]},
        "panels": panels,
    })
}

/// Every dashboard as `(name, model)`, in a fixed order.
pub fn dashboards() -> Vec<(&'static str, Value)> {
    let budget = format!("{:.3}", 1.0 - AVAILABILITY_OBJECTIVE);
    let availability = format!(
        "1 - avg_over_time(service:http_request_errors:ratio_rate5m{{namespace=\"$namespace\"}}[{SLO_WINDOW_DAYS}d])"
    );
    let budget_left = format!(
        "1 - avg_over_time(service:http_request_errors:ratio_rate5m{{namespace=\"$namespace\"}}[{SLO_WINDOW_DAYS}d]) / {budget}"
    );
    let burn = format!(
        "avg_over_time(service:http_request_errors:ratio_rate5m{{namespace=\"$namespace\"}}[1h]) / {budget}"
    );
    vec![
        (
            "daa-service-health",
            dashboard(
                "daa-service-health",
                "DAA service health",
                vec![
                    (
                        "Request rate",
                        "reqps",
                        vec![(
                            "sum by (service) (service:http_requests:rate5m{namespace=\"$namespace\"})",
                            "{{service}}",
                        )],
                    ),
                    (
                        "Error rate (5xx)",
                        "percentunit",
                        vec![(
                            "max by (service) (service:http_request_errors:ratio_rate5m{namespace=\"$namespace\"})",
                            "{{service}}",
                        )],
                    ),
                    (
                        "Latency p95",
                        "s",
                        vec![(
                            "max by (service) (service:http_request_duration_seconds:p95_rate5m{namespace=\"$namespace\"})",
                            "{{service}}",
                        )],
                    ),
                    (
                        "Latency p99",
                        "s",
                        vec![(
                            "max by (service) (service:http_request_duration_seconds:p99_rate5m{namespace=\"$namespace\"})",
                            "{{service}}",
                        )],
                    ),
                ],
            ),
        ),
        (
            "daa-business",
            dashboard(
                "daa-business",
                "DAA business metrics",
                vec![
                    (
                        "Active agents",
                        "short",
                        vec![("sum(agent_count{namespace=\"$namespace\"})", "agents")],
                    ),
                    (
                        "Requests by service",
                        "reqps",
                        vec![(
                            "sum by (service) (service:http_requests:rate5m{namespace=\"$namespace\"})",
                            "{{service}}",
                        )],
                    ),
                ],
            ),
        ),
        (
            "daa-slo",
            dashboard(
                "daa-slo",
                "DAA SLI / SLO",
                vec![
                    (
                        "Availability over 30 days (objective 99.9%)",
                        "percentunit",
                        vec![(availability.as_str(), "{{service}}")],
                    ),
                    (
                        "Error budget left (30 days)",
                        "percentunit",
                        vec![(budget_left.as_str(), "{{service}}")],
                    ),
                    (
                        "Error budget burn rate (1 hour)",
                        "short",
                        vec![(burn.as_str(), "{{service}}")],
                    ),
                    (
                        "Requests faster than 1 s",
                        "percentunit",
                        vec![(
                            "sum by (service) (rate(http_request_duration_seconds_bucket{namespace=\"$namespace\", le=\"1\"}[5m])) / sum by (service) (rate(http_request_duration_seconds_count{namespace=\"$namespace\"}[5m]))",
                            "{{service}}",
                        )],
                    ),
                ],
            ),
        ),
    ]
}

/// The dashboards as templates see them: `{name, file, json}` per ConfigMap.
pub fn config_maps() -> Vec<Value> {
    dashboards()
        .into_iter()
        .map(|(name, model)| {
            let mut text = serde_json::to_string_pretty(&model).expect("JSON values serialize");
            text.push('\n');
            json!({"name": format!("{name}-dashboard"), "file": format!("{name}.json"), "json": text})
        })
        .collect()
}

/// Every PromQL expression of a dashboard model: each panel target's `expr`.
pub fn expressions(model: &Value) -> Vec<&str> {
    model["panels"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|panel| panel["targets"].as_array().into_iter().flatten())
        .filter_map(|target| target["expr"].as_str())
        .collect()
}
