//! REQ-T221 Metrics Collection, T222 Application Metrics, T224 Alerting, T225 Distributed
//! Tracing, T226 Logging, T228 Dashboards and T240 Incident Response, on the Prometheus
//! Operator objects (`ServiceMonitor`, `PodMonitor`, `PrometheusRule`), the services' pod
//! templates and configuration, and the dashboard ConfigMaps.
//!
//! Instrumented workloads are those whose serving containers declare a port named
//! `metrics` (the DAA services; Redis declares none); Services are instrumented when they
//! expose a port named `metrics`.

use std::collections::BTreeMap;

use serde_json::Value;

use super::common::cnpg_clusters;
use crate::observability::alertmanager::CRITICAL_GROUP_WAIT_SECONDS;
use crate::observability::alerts::{RED_RECORDS, duration_seconds, runbook_path};
use crate::observability::dashboards::SIDECAR_LABEL;
use crate::observability::runbooks;
use crate::policy::manifest::{Manifest, ManifestSet, string_map};
use crate::policy::rule::{Check, Context, Rule, RuleMeta};
use crate::policy::workload::{Container, PodTemplate, pod_templates, selects};
use crate::project::main_branch_url;

/// Prometheus's rule evaluation interval where a group sets none (kube-prometheus-stack's
/// default `evaluationInterval`).
const DEFAULT_EVALUATION_SECONDS: u64 = 30;
/// REQ-T224: a critical alert reaches Alertmanager's receivers within a minute.
const CRITICAL_BOUND_SECONDS: u64 = 60;

/// The severities Alertmanager routes.
const SEVERITIES: [&str; 3] = ["critical", "warning", "info"];

/// Whether a Service exposes a port named `metrics`.
fn metrics_port(service: &Manifest) -> Option<&Value> {
    service.value["spec"]["ports"]
        .as_array()?
        .iter()
        .find(|p| p["name"].as_str() == Some("metrics"))
}

/// Whether a monitor in `monitor_ns` with `namespaceSelector` looks at `namespace`
/// (Prometheus Operator: no selector means the monitor's own namespace).
fn watches_namespace(monitor: &Manifest, namespace: Option<&str>) -> bool {
    let selector = &monitor.value["spec"]["namespaceSelector"];
    if selector["any"].as_bool() == Some(true) {
        return true;
    }
    match selector["matchNames"].as_array() {
        Some(names) => names.iter().any(|n| n.as_str() == namespace),
        None => monitor.namespace.as_deref() == namespace,
    }
}

/// ## What it does
/// Checks that every Service exposing a port named `metrics` is selected by a
/// `ServiceMonitor` (monitoring.coreos.com/v1) whose `endpoints[].port` names one of the
/// Service's ports, and that every CloudNativePG `Cluster` is scraped by a `PodMonitor`
/// selecting `cnpg.io/cluster: <name>` on port `metrics`.
///
/// ## Why is this bad?
/// kube-prometheus-stack scrapes only what ServiceMonitors and PodMonitors select; the
/// `prometheus.io/scrape` annotations are ignored. A monitor whose selector or port matches
/// nothing scrapes nothing, silently: dashboards stay empty and alerts never fire.
///
/// ## Example
/// A Service with a `metrics` port and no ServiceMonitor.
///
/// Use instead:
/// A ServiceMonitor with `selector.matchLabels` equal to the Service's labels and
/// `endpoints: [{port: metrics}]`.
pub struct UnscrapedWorkload;

static UNSCRAPED_WORKLOAD: RuleMeta = RuleMeta {
    code: "K221-1",
    name: "unscraped-workload",
    requirement: "REQ-T221",
    summary: "Every Service with a `metrics` port has a matching ServiceMonitor, every PostgreSQL cluster a PodMonitor",
    rationale: "REQ-T221 asks for metrics collection with Prometheus. The Prometheus Operator discovers targets only through ServiceMonitor and PodMonitor objects; their label selector must match the Service (or the PostgreSQL pods, labelled `cnpg.io/cluster` by CloudNativePG) and their endpoint must name a port that exists, or the target is never scraped.",
    remediation: "Render a ServiceMonitor per service selecting the Service's labels with `endpoints: [{port: metrics}]`, and a PodMonitor selecting `cnpg.io/cluster: <cluster>` with `podMetricsEndpoints: [{port: metrics}]`.",
    peers: &["kube-linter dangling-servicemonitor"],
};

impl Rule for UnscrapedWorkload {
    fn meta(&self) -> &RuleMeta {
        &UNSCRAPED_WORKLOAD
    }

    fn check(&self, cx: &Context<'_>, out: &mut Check) {
        let monitors: Vec<&Manifest> = cx.set.of_kind("ServiceMonitor").map(|(_, m)| m).collect();
        for (index, service) in cx.set.of_kind("Service") {
            let Some(_) = metrics_port(service) else {
                continue;
            };
            out.saw();
            let labels = service.labels();
            let port_names: Vec<&str> = service.value["spec"]["ports"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|p| p["name"].as_str())
                .collect();
            let selecting: Vec<&&Manifest> = monitors
                .iter()
                .filter(|m| {
                    watches_namespace(m, service.namespace.as_deref())
                        && selects(&m.value["spec"]["selector"], &labels)
                })
                .collect();
            if selecting.is_empty() {
                out.fail(
                    index,
                    "/metadata/labels",
                    format!(
                        "{} exposes a `metrics` port but no ServiceMonitor selects it",
                        service.subject()
                    ),
                );
                continue;
            }
            let scraped = selecting.iter().any(|m| {
                m.value["spec"]["endpoints"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .any(|e| e["port"].as_str().is_some_and(|p| port_names.contains(&p)))
            });
            if !scraped {
                out.fail(
                    index,
                    "/spec/ports",
                    format!(
                        "{} is selected by {}, but no endpoint names one of its ports ({})",
                        service.subject(),
                        selecting[0].subject(),
                        port_names.join(", ")
                    ),
                );
            }
        }
        for (index, cluster) in cnpg_clusters(cx.set) {
            out.saw();
            let pod_labels = BTreeMap::from([("cnpg.io/cluster", cluster.name.as_str())]);
            let scraped = cx.set.of_kind("PodMonitor").any(|(_, m)| {
                watches_namespace(m, cluster.namespace.as_deref())
                    && !m.value["spec"]["selector"]
                        .as_object()
                        .is_none_or(|s| s.is_empty())
                    && selects(&m.value["spec"]["selector"], &pod_labels)
                    && m.value["spec"]["podMetricsEndpoints"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .any(|e| e["port"].as_str() == Some("metrics"))
            });
            if !scraped {
                out.fail(
                    index,
                    "",
                    format!(
                        "{} has no PodMonitor selecting `cnpg.io/cluster: {}` on port `metrics`, so PostgreSQL's metrics are not collected",
                        cluster.subject(),
                        cluster.name
                    ),
                );
            }
        }
    }
}

/// Every rule of every group of every PrometheusRule: `(object index, object, pointer of
/// the rule, the group's interval in seconds, the rule)`.
fn prometheus_rules(set: &ManifestSet) -> Vec<(usize, &Manifest, String, Option<u64>, &Value)> {
    let mut out = Vec::new();
    for (index, object) in set.of_kind("PrometheusRule") {
        for (g, group) in object.value["spec"]["groups"]
            .as_array()
            .into_iter()
            .flatten()
            .enumerate()
        {
            let interval = group["interval"].as_str().and_then(duration_seconds);
            for (r, rule) in group["rules"].as_array().into_iter().flatten().enumerate() {
                out.push((
                    index,
                    object,
                    format!("/spec/groups/{g}/rules/{r}"),
                    interval,
                    rule,
                ));
            }
        }
    }
    out
}

/// ## What it does
/// Checks that for every Service with a `metrics` port, some PrometheusRule records the
/// RED signals of that service: `service:http_requests:rate5m` from `http_requests_total`,
/// `service:http_request_errors:ratio_rate5m` from `http_requests_total` with
/// `status=~"5.."`, and the p95 and p99 latency from `http_request_duration_seconds_bucket`,
/// each selecting `service="<name>"`.
///
/// ## Why is this bad?
/// Without the recording rules, dashboards and alerts compute rates over raw series on every
/// query, and a service added later has no error-rate or latency alert at all.
///
/// ## Example
/// A PrometheusRule recording the request rate only.
///
/// Use instead:
/// All four records per service, as daactl renders them in `daa-services`.
pub struct MissingRedRecordingRules;

static MISSING_RED_RECORDING_RULES: RuleMeta = RuleMeta {
    code: "K222-1",
    name: "missing-red-recording-rules",
    requirement: "REQ-T222",
    summary: "Every service has RED recording rules: request rate, error ratio, p95 and p99 latency",
    rationale: "REQ-T222 asks for request rate, error rate and duration metrics per service. The services export `http_requests_total` and `http_request_duration_seconds` (whether they really do is run time); the PrometheusRule must turn them into per-service rate, 5xx ratio and latency quantiles that the dashboards and alerts read.",
    remediation: "Add recording rules `service:http_requests:rate5m`, `service:http_request_errors:ratio_rate5m`, `service:http_request_duration_seconds:p95_rate5m` and `service:http_request_duration_seconds:p99_rate5m` with `service=\"<name>\"` in their selectors.",
    peers: &[],
};

/// What a RED record's expression must read, by record.
fn red_source(record: &str) -> &'static [&'static str] {
    match record {
        "service:http_requests:rate5m" => &["http_requests_total"],
        "service:http_request_errors:ratio_rate5m" => &["http_requests_total", "status=~\"5..\""],
        _ => &["http_request_duration_seconds_bucket", "histogram_quantile"],
    }
}

impl Rule for MissingRedRecordingRules {
    fn meta(&self) -> &RuleMeta {
        &MISSING_RED_RECORDING_RULES
    }

    fn check(&self, cx: &Context<'_>, out: &mut Check) {
        let rules = prometheus_rules(cx.set);
        for (index, service) in cx.set.of_kind("Service") {
            if metrics_port(service).is_none() {
                continue;
            }
            out.saw();
            let selector = format!("service=\"{}\"", service.name);
            let missing: Vec<&str> = RED_RECORDS
                .iter()
                .map(|(record, _)| *record)
                .filter(|record| {
                    !rules.iter().any(|(_, object, _, _, rule)| {
                        let expr = rule["expr"].as_str().unwrap_or_default();
                        object.namespace == service.namespace
                            && rule["record"].as_str() == Some(record)
                            && expr.contains(&selector)
                            && red_source(record).iter().all(|s| expr.contains(s))
                    })
                })
                .collect();
            if !missing.is_empty() {
                out.fail(
                    index,
                    "",
                    format!(
                        "{} has no recording rule for {} in a PrometheusRule of its namespace",
                        service.subject(),
                        missing
                            .iter()
                            .map(|r| format!("`{r}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                );
            }
        }
    }
}

/// ## What it does
/// Checks every alerting rule of every PrometheusRule: a `severity` label of `critical`,
/// `warning` or `info`, `summary` and `runbook_url` annotations, and for critical alerts
/// that `for` plus the group's evaluation `interval` (30s when unset) plus Alertmanager's
/// critical `group_wait` (10s, from daactl's Alertmanager configuration) is at most 60s.
///
/// ## Why is this bad?
/// Alertmanager routes on `severity`: an alert without it, or with another value, reaches
/// nobody or the wrong receiver. A page that needs minutes before it is even sent misses
/// the one-minute bound, and an alert without a runbook leaves the responder guessing.
///
/// ## Example
/// A critical alert with `for: 5m`, or an alert without `labels.severity`.
///
/// Use instead:
/// `for: 30s` in a group with `interval: 15s`, `labels: {severity: critical}`, and
/// `annotations: {summary: ..., runbook_url: ...}`.
pub struct UnroutableAlert;

static UNROUTABLE_ALERT: RuleMeta = RuleMeta {
    code: "K224-1",
    name: "unroutable-alert",
    requirement: "REQ-T224",
    summary: "Alerts carry a routable severity, a summary and a runbook; critical ones fire within 60 s",
    rationale: "REQ-T224 routes alerts by severity (critical to PagerDuty in production) and asks that critical alerts arrive within a minute. Statically that is the conservative bound `for` + rule-group `interval` + Alertmanager `group_wait` <= 60s; real delivery time is run time.",
    remediation: "Set `labels.severity` to `critical`, `warning` or `info`, add `annotations.summary` and `annotations.runbook_url`, and for critical alerts keep `for` + the group's `interval` + 10s at most 60s (for example `for: 30s`, `interval: 15s`).",
    peers: &[],
};

impl Rule for UnroutableAlert {
    fn meta(&self) -> &RuleMeta {
        &UNROUTABLE_ALERT
    }

    fn check(&self, cx: &Context<'_>, out: &mut Check) {
        for (index, _, pointer, interval, rule) in prometheus_rules(cx.set) {
            let Some(name) = rule["alert"].as_str() else {
                continue;
            };
            out.saw();
            let severity = rule["labels"]["severity"].as_str();
            if !severity.is_some_and(|s| SEVERITIES.contains(&s)) {
                out.fail(
                    index,
                    format!("{pointer}/labels"),
                    format!(
                        "alert `{name}` has severity {}, not one of `critical`, `warning`, `info`",
                        severity.map_or("none".to_owned(), |s| format!("`{s}`"))
                    ),
                );
            }
            for key in ["summary", "runbook_url"] {
                if rule["annotations"][key].as_str().is_none_or(str::is_empty) {
                    out.fail(
                        index,
                        format!("{pointer}/annotations"),
                        format!("alert `{name}` has no `{key}` annotation"),
                    );
                }
            }
            if severity == Some("critical") {
                let for_ = match rule.get("for") {
                    None => Some(0),
                    Some(v) => v.as_str().and_then(duration_seconds),
                };
                let Some(for_) = for_ else {
                    out.fail(
                        index,
                        format!("{pointer}/for"),
                        format!("alert `{name}` has a `for` daactl cannot read as a duration"),
                    );
                    continue;
                };
                let interval = interval.unwrap_or(DEFAULT_EVALUATION_SECONDS);
                let total = for_ + interval + CRITICAL_GROUP_WAIT_SECONDS;
                if total > CRITICAL_BOUND_SECONDS {
                    out.fail(
                        index,
                        format!("{pointer}/for"),
                        format!(
                            "critical alert `{name}` may reach Alertmanager's receiver only after {total}s (`for` {for_}s + interval {interval}s + group_wait {CRITICAL_GROUP_WAIT_SECONDS}s), more than {CRITICAL_BOUND_SECONDS}s"
                        ),
                    );
                }
            }
        }
    }
}

/// The pod templates whose serving containers declare a port named `metrics`, with those
/// containers.
fn instrumented(set: &ManifestSet) -> Vec<(PodTemplate<'_>, Vec<Container<'_>>)> {
    pod_templates(set)
        .into_iter()
        .filter(|pod| {
            matches!(
                pod.owner.kind.as_str(),
                "Deployment" | "StatefulSet" | "Rollout"
            )
        })
        .filter_map(|pod| {
            let containers: Vec<Container<'_>> = pod
                .containers()
                .into_iter()
                .filter(|c| {
                    !c.init
                        && c.value["ports"]
                            .as_array()
                            .into_iter()
                            .flatten()
                            .any(|p| p["name"].as_str() == Some("metrics"))
                })
                .collect();
            (!containers.is_empty()).then_some((pod, containers))
        })
        .collect()
}

/// A container's environment as the kubelet builds it: `envFrom` ConfigMaps (in order) then
/// `env`, which wins. `None` values come from Secrets or fields (not known statically).
fn environment<'a>(
    set: &'a ManifestSet,
    namespace: Option<&str>,
    container: &Container<'a>,
) -> BTreeMap<&'a str, Option<&'a str>> {
    let mut vars = BTreeMap::new();
    for source in container.value["envFrom"].as_array().into_iter().flatten() {
        let prefix = source["prefix"].as_str().unwrap_or_default();
        if let Some(name) = source["configMapRef"]["name"].as_str()
            && prefix.is_empty()
            && let Some((_, map)) = set.find("ConfigMap", namespace, name)
        {
            for (key, value) in string_map(&map.value["data"]) {
                vars.insert(key, Some(value));
            }
        }
    }
    for var in container.value["env"].as_array().into_iter().flatten() {
        if let Some(name) = var["name"].as_str() {
            vars.insert(name, var["value"].as_str());
        }
    }
    vars
}

/// ## What it does
/// Checks that every container serving a `metrics` port gets `OTEL_SERVICE_NAME` and an
/// `OTEL_EXPORTER_OTLP_ENDPOINT` (from `env` or an `envFrom` ConfigMap), and a trace sampler
/// ratio between 0 and 1 when it sets `OTEL_TRACES_SAMPLER_ARG`.
///
/// ## Why is this bad?
/// Without an exporter endpoint the OpenTelemetry SDK sends traces nowhere (or to
/// `localhost`), and without a service name every span reads `unknown_service`: requests
/// cannot be followed across services.
///
/// ## Example
/// A Deployment whose ConfigMap has no `OTEL_*` keys.
///
/// Use instead:
/// `OTEL_SERVICE_NAME: daa-service`, `OTEL_EXPORTER_OTLP_ENDPOINT:
/// http://jaeger-collector.monitoring.svc.cluster.local:4317`.
pub struct MissingTraceExport;

static MISSING_TRACE_EXPORT: RuleMeta = RuleMeta {
    code: "K225-1",
    name: "missing-trace-export",
    requirement: "REQ-T225",
    summary: "Instrumented containers export traces over OTLP with a service name",
    rationale: "REQ-T225 asks for distributed tracing with OpenTelemetry and Jaeger. The SDK reads its settings from the environment: `OTEL_SERVICE_NAME` names the spans' service and `OTEL_EXPORTER_OTLP_ENDPOINT` where they go. Jaeger itself is a Terraform release; that traces really propagate is run time.",
    remediation: "Set `OTEL_SERVICE_NAME` and `OTEL_EXPORTER_OTLP_ENDPOINT` (daactl derives both into each service's ConfigMap) and keep `OTEL_TRACES_SAMPLER_ARG` between 0 and 1.",
    peers: &[],
};

impl Rule for MissingTraceExport {
    fn meta(&self) -> &RuleMeta {
        &MISSING_TRACE_EXPORT
    }

    fn check(&self, cx: &Context<'_>, out: &mut Check) {
        for (pod, containers) in instrumented(cx.set) {
            for container in containers {
                out.saw();
                let vars = environment(cx.set, pod.namespace(), &container);
                for key in ["OTEL_SERVICE_NAME", "OTEL_EXPORTER_OTLP_ENDPOINT"] {
                    if !vars.contains_key(key) || vars[key] == Some("") {
                        out.fail(
                            pod.index,
                            container.pointer.clone(),
                            format!(
                                "container `{}` of {} gets no `{key}`, so its traces are not exported",
                                container.name,
                                pod.owner.subject()
                            ),
                        );
                    }
                }
                if let Some(Some(ratio)) = vars.get("OTEL_TRACES_SAMPLER_ARG")
                    && !ratio.parse::<f64>().is_ok_and(|r| (0.0..=1.0).contains(&r))
                {
                    out.fail(
                        pod.index,
                        container.pointer.clone(),
                        format!(
                            "container `{}` of {} samples traces at `{ratio}`, not a ratio between 0 and 1",
                            container.name,
                            pod.owner.subject()
                        ),
                    );
                }
            }
        }
    }
}

/// ## What it does
/// Checks that every container serving a `metrics` port gets `LOG_FORMAT=json` (from `env`
/// or an `envFrom` ConfigMap).
///
/// ## Why is this bad?
/// Loki and Elasticsearch index JSON fields (level, trace id, request id); plain text logs
/// need per-service parsing rules and lose the link to traces.
///
/// ## Example
/// `LOG_FORMAT: text`, or no `LOG_FORMAT`.
///
/// Use instead:
/// `LOG_FORMAT: json` (daactl derives it into each service's ConfigMap).
pub struct NonJsonLogs;

static NON_JSON_LOGS: RuleMeta = RuleMeta {
    code: "K226-1",
    name: "non-json-logs",
    requirement: "REQ-T226",
    summary: "Instrumented containers log JSON (`LOG_FORMAT=json`)",
    rationale: "REQ-T226 asks for centralised, structured (JSON) logs. The DAA services choose their log format from `LOG_FORMAT`; the log shipper and Loki are Terraform releases, and that the output really is JSON is run time.",
    remediation: "Set `LOG_FORMAT=json` (daactl derives it into each service's ConfigMap; remove any other value from the service's `config` in the spec).",
    peers: &[],
};

impl Rule for NonJsonLogs {
    fn meta(&self) -> &RuleMeta {
        &NON_JSON_LOGS
    }

    fn check(&self, cx: &Context<'_>, out: &mut Check) {
        for (pod, containers) in instrumented(cx.set) {
            for container in containers {
                out.saw();
                let vars = environment(cx.set, pod.namespace(), &container);
                match vars.get("LOG_FORMAT") {
                    Some(Some("json")) => {}
                    Some(None) => out.unknown(
                        pod.index,
                        format!(
                            "`LOG_FORMAT` of container `{}` comes from a Secret or field",
                            container.name
                        ),
                    ),
                    other => out.fail(
                        pod.index,
                        container.pointer.clone(),
                        format!(
                            "container `{}` of {} logs {}, not JSON",
                            container.name,
                            pod.owner.subject(),
                            match other {
                                Some(Some(v)) => format!("with `LOG_FORMAT={v}`"),
                                _ => "without `LOG_FORMAT`".to_owned(),
                            }
                        ),
                    ),
                }
            }
        }
    }
}

/// ## What it does
/// Checks that the environment has Grafana dashboards as ConfigMaps labelled
/// `grafana_dashboard: "1"`, that each value is a bare dashboard model (a JSON object with
/// `title` and `panels`, not the HTTP API's `{"dashboard": ...}` wrapper), and that every
/// panel has at least one target with a non-empty `expr`.
///
/// ## Why is this bad?
/// The Grafana sidecar loads only labelled ConfigMaps and provisions files as bare models:
/// a wrapped or broken model is skipped with a log line, and a panel without a query shows
/// nothing.
///
/// ## Example
/// A ConfigMap holding `{"dashboard": {...}}`, or no label.
///
/// Use instead:
/// `metadata.labels: {grafana_dashboard: "1"}` and `data: {name.json: <the model>}`.
pub struct UnloadableDashboard;

static UNLOADABLE_DASHBOARD: RuleMeta = RuleMeta {
    code: "D228-1",
    name: "unloadable-dashboard",
    requirement: "REQ-T228",
    summary: "Dashboards are labelled for the Grafana sidecar, bare models, and every panel queries something",
    rationale: "REQ-T228 asks for service health, business and SLI/SLO dashboards. kube-prometheus-stack's sidecar provisions ConfigMaps labelled `grafana_dashboard: \"1\"` as dashboard files, which must hold the bare model. That each `expr` parses as PromQL is checked with promtool in the test suite (tests/observability.rs), not here.",
    remediation: "Label the ConfigMap `grafana_dashboard: \"1\"`, store the model itself (unwrap `{\"dashboard\": ...}`), and give every panel a target with an `expr`.",
    peers: &[],
};

impl Rule for UnloadableDashboard {
    fn meta(&self) -> &RuleMeta {
        &UNLOADABLE_DASHBOARD
    }

    fn check(&self, cx: &Context<'_>, out: &mut Check) {
        let mut dashboards = 0;
        for (index, map) in cx.set.of_kind("ConfigMap") {
            let labelled = map.labels().get(SIDECAR_LABEL.0) == Some(&SIDECAR_LABEL.1);
            let data = string_map(&map.value["data"]);
            let holds_json = data.keys().any(|k| k.ends_with(".json"));
            if !labelled {
                if holds_json && map.name.contains("dashboard") {
                    out.saw();
                    out.fail(
                        index,
                        "/metadata",
                        format!(
                            "{} holds a dashboard but is not labelled `{}: \"{}\"`, so Grafana never loads it",
                            map.subject(),
                            SIDECAR_LABEL.0,
                            SIDECAR_LABEL.1
                        ),
                    );
                }
                continue;
            }
            for (key, text) in data {
                out.saw();
                dashboards += 1;
                let pointer = format!("/data/{}", super::common::token(key));
                let model: Value = match serde_json::from_str(text) {
                    Ok(model) => model,
                    Err(e) => {
                        out.fail(index, pointer, format!("`{key}` is not JSON: {e}"));
                        continue;
                    }
                };
                if model.get("dashboard").is_some() {
                    out.fail(
                        index,
                        pointer,
                        format!("`{key}` wraps the model in `{{\"dashboard\": ...}}` (the HTTP API's form); the sidecar needs the bare model"),
                    );
                    continue;
                }
                let Some(panels) = model["panels"]
                    .as_array()
                    .filter(|_| model["title"].is_string())
                else {
                    out.fail(
                        index,
                        pointer,
                        format!("`{key}` has no `title` and `panels`"),
                    );
                    continue;
                };
                for panel in panels.iter().filter(|p| p["type"].as_str() != Some("row")) {
                    let queries = panel["targets"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .any(|t| t["expr"].as_str().is_some_and(|e| !e.trim().is_empty()));
                    if !queries {
                        out.fail(
                            index,
                            pointer.clone(),
                            format!(
                                "panel `{}` of `{key}` has no target with an `expr`",
                                panel["title"].as_str().unwrap_or("?")
                            ),
                        );
                    }
                }
            }
        }
        if dashboards == 0 {
            out.fail_environment(format!(
                "no ConfigMap labelled `{}: \"{}\"`: the environment has no dashboards",
                SIDECAR_LABEL.0, SIDECAR_LABEL.1
            ));
        }
    }
}

/// ## What it does
/// Checks that every alerting rule's `annotations.runbook_url` is the address of
/// `docs/runbooks/<alert>.md` on the project's main branch, and that daactl generates that
/// runbook (the alert is in `schemas/alerts.toml`).
///
/// ## Why is this bad?
/// A responder paged at night follows the runbook link; a link to nothing, or to another
/// alert's page, costs the minutes the runbook should save.
///
/// ## Example
/// An alert `ApiDown` with `runbook_url: https://wiki.example.com/api`.
///
/// Use instead:
/// Add the alert to `schemas/alerts.toml` with its runbook sections and render.
pub struct MissingRunbook;

static MISSING_RUNBOOK: RuleMeta = RuleMeta {
    code: "D240-1",
    name: "missing-runbook",
    requirement: "REQ-T240",
    summary: "Every alert links to its generated runbook",
    rationale: "REQ-T240 asks for an incident response plan with runbooks. daactl generates one runbook per alert under `docs/runbooks/` (Summary, Impact, Diagnosis, Mitigation, Escalation, Rollback) from `schemas/alerts.toml`; each alert's `runbook_url` must point at its own. Quarterly drills are a human process (attested, not checked).",
    remediation: "Add the alert with its runbook text to `schemas/alerts.toml`, run `daactl runbooks` and `daactl render`.",
    peers: &[],
};

impl Rule for MissingRunbook {
    fn meta(&self) -> &RuleMeta {
        &MISSING_RUNBOOK
    }

    fn check(&self, cx: &Context<'_>, out: &mut Check) {
        let files = runbooks::files();
        for (index, _, pointer, _, rule) in prometheus_rules(cx.set) {
            let Some(name) = rule["alert"].as_str() else {
                continue;
            };
            out.saw();
            let expected = main_branch_url(&runbook_path(name));
            let url = rule["annotations"]["runbook_url"].as_str();
            if url != Some(expected.as_str()) {
                out.fail(
                    index,
                    format!("{pointer}/annotations"),
                    format!(
                        "alert `{name}` links its runbook as {}, not `{expected}`",
                        url.map_or("nothing".to_owned(), |u| format!("`{u}`"))
                    ),
                );
            } else if !files.contains_key(&format!("{name}.md")) {
                out.fail(
                    index,
                    format!("{pointer}/annotations/runbook_url"),
                    format!(
                        "alert `{name}` has no runbook: it is not in `schemas/alerts.toml`, so `{}` is not generated",
                        runbook_path(name)
                    ),
                );
            }
        }
    }
}
