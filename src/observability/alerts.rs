//! The alert catalogue and each environment's Prometheus rules (REQ-T222, T224, T234, T235,
//! T250).
//!
//! Alerts are data: `schemas/alerts.toml` holds each alert's expression, severity, `for`,
//! annotations and runbook text, so an alert added there gets its rule, its runbook and
//! its checks without code. Expressions name the environment's namespaces through
//! placeholders, filled here. The RED recording rules are generated per service, so a
//! service added to a spec is recorded without an edit here.

use std::sync::LazyLock;

use serde::Deserialize;
use serde_json::{Value, json};

use crate::project::main_branch_url;
use crate::spec::model::Environment;

/// The catalogue's text, compiled in.
pub const CATALOGUE_TOML: &str = include_str!("../../schemas/alerts.toml");

/// Where runbooks live in the repository.
pub const RUNBOOKS_DIR: &str = "docs/runbooks";

/// How often every rule group is evaluated. Critical alerts must reach Alertmanager within
/// a minute (REQ-T224): `for` plus this interval plus Alertmanager's `group_wait`.
pub const GROUP_INTERVAL_SECONDS: u64 = 15;

/// The RED recording rules every service gets: (record, what it measures).
pub const RED_RECORDS: [(&str, &str); 4] = [
    ("service:http_requests:rate5m", "request rate"),
    ("service:http_request_errors:ratio_rate5m", "error ratio"),
    (
        "service:http_request_duration_seconds:p95_rate5m",
        "p95 latency",
    ),
    (
        "service:http_request_duration_seconds:p99_rate5m",
        "p99 latency",
    ),
];

/// An alert's severity label, which Alertmanager routes on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Pages in production; must fire within a minute.
    Critical,
    /// Goes to the team's channel.
    Warning,
    /// Shown in Alertmanager only.
    Info,
}

impl Severity {
    /// The label value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Critical => "critical",
            Self::Warning => "warning",
            Self::Info => "info",
        }
    }
}

/// Where an alert is evaluated, which picks the PrometheusRule holding it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// Every DAA service.
    Service,
    /// The environment's Argo CD applications.
    Gitops,
    /// The PostgreSQL cluster.
    Postgres,
    /// PostgreSQL backups; only where the spec configures them.
    Backup,
}

/// One alert of the catalogue.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Alert {
    /// The alert's name, also its runbook's file name.
    pub name: String,
    /// Where it is evaluated.
    pub scope: Scope,
    /// Its `severity` label.
    pub severity: Severity,
    /// How long the condition must hold, as a Prometheus duration.
    #[serde(rename = "for")]
    pub for_: String,
    /// PromQL with `${...}` placeholders.
    pub expr: String,
    /// The `summary` annotation.
    pub summary: String,
    /// The `description` annotation.
    pub description: String,
    /// The runbook's sections.
    pub runbook: Runbook,
}

/// The sections of an alert's runbook (REQ-T240); the summary is the alert's.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Runbook {
    /// Who or what is affected.
    pub impact: String,
    /// How to find the cause.
    pub diagnosis: String,
    /// How to stop the damage.
    pub mitigation: String,
    /// Whom to call, and when.
    pub escalation: String,
    /// How to undo the change that caused it.
    pub rollback: String,
}

impl Alert {
    /// The runbook's path in the repository.
    pub fn runbook_path(&self) -> String {
        runbook_path(&self.name)
    }

    /// The `runbook_url` annotation.
    pub fn runbook_url(&self) -> String {
        main_branch_url(&self.runbook_path())
    }
}

/// The path in the repository of alert `name`'s runbook.
pub fn runbook_path(name: &str) -> String {
    format!("{RUNBOOKS_DIR}/{name}.md")
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Catalogue {
    alert: Vec<Alert>,
}

static CATALOGUE: LazyLock<Vec<Alert>> = LazyLock::new(|| {
    // The file is compiled in and parsed by the tests, so a mistake in it cannot ship.
    toml::from_str::<Catalogue>(CATALOGUE_TOML)
        .unwrap_or_else(|e| panic!("schemas/alerts.toml: {e}"))
        .alert
});

/// Every alert of the catalogue, in file order.
pub fn catalogue() -> &'static [Alert] {
    &CATALOGUE
}

/// Parses `seconds` from a Prometheus duration made of `<n>h`, `<n>m`, `<n>s` parts (as
/// `1h30m`); `None` for anything else.
pub fn duration_seconds(text: &str) -> Option<u64> {
    let mut total = 0u64;
    let mut number = String::new();
    let mut chars = text.chars().peekable();
    if text.is_empty() {
        return None;
    }
    while let Some(c) = chars.next() {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        let unit = match (c, chars.peek()) {
            ('m', Some('s')) => {
                chars.next();
                return None;
            }
            ('d', _) => 86_400,
            ('h', _) => 3600,
            ('m', _) => 60,
            ('s', _) => 1,
            _ => return None,
        };
        let n: u64 = number.parse().ok()?;
        total += n * unit;
        number.clear();
    }
    number.is_empty().then_some(total)
}

/// `expr` with the environment's placeholders filled.
fn fill(expr: &str, env: &Environment) -> String {
    let services: Vec<&str> = env.services.keys().map(String::as_str).collect();
    // `absent` keeps only the equality matchers' labels, so one term per service names it.
    let absent_up: Vec<String> = services
        .iter()
        .map(|service| {
            format!(
                "absent(up{{namespace=\"{}\", service=\"{service}\"}})",
                env.namespaces.app.name
            )
        })
        .collect();
    expr.replace("${app_namespace}", &env.namespaces.app.name)
        .replace("${data_namespace}", &env.namespaces.data.name)
        .replace("${postgres_cluster}", &env.postgres.name)
        .replace("${services}", &services.join("|"))
        .replace("${absent_up}", &absent_up.join(" or "))
}

fn alert_rule(alert: &Alert, env: &Environment) -> Value {
    json!({
        "alert": alert.name,
        "expr": fill(&alert.expr, env),
        "for": alert.for_,
        "labels": {"severity": alert.severity.as_str()},
        "annotations": {
            "summary": alert.summary,
            "description": alert.description,
            "runbook_url": alert.runbook_url(),
        },
    })
}

/// The RED recording rules of one service: request rate, error ratio, p95 and p99 latency
/// over 5 minutes, keeping `namespace` and `service` (the labels the ServiceMonitor's
/// targets carry).
fn red_rules(namespace: &str, service: &str) -> Vec<Value> {
    let select = format!("namespace=\"{namespace}\", service=\"{service}\"");
    let rate = |extra: &str| {
        format!("sum by (namespace, service) (rate(http_requests_total{{{select}{extra}}}[5m]))")
    };
    let quantile = |q: &str| {
        format!(
            "histogram_quantile({q}, sum by (namespace, service, le) (rate(http_request_duration_seconds_bucket{{{select}}}[5m])))"
        )
    };
    let exprs = [
        rate(""),
        format!("{} / {}", rate(", status=~\"5..\""), rate("")),
        quantile("0.95"),
        quantile("0.99"),
    ];
    RED_RECORDS
        .iter()
        .zip(exprs)
        // The label keeps the records of different services distinct rules (promtool
        // refuses one record name with one label set twice); the series carry it already.
        .map(|((record, _), expr)| json!({"record": record, "expr": expr, "labels": {"service": service}}))
        .collect()
}

fn group(name: &str, rules: Vec<Value>) -> Value {
    json!({"name": name, "interval": format!("{GROUP_INTERVAL_SECONDS}s"), "rules": rules})
}

fn alerts_of(scope: Scope, env: &Environment) -> Vec<Value> {
    catalogue()
        .iter()
        .filter(|alert| alert.scope == scope)
        .map(|alert| alert_rule(alert, env))
        .collect()
}

/// The environment's PrometheusRule objects, each `{name, role, groups}` (`role` is the
/// namespace role it lives in). Recording rules share their group with the alerts that read
/// them: a group evaluates in order, so the alerts see this round's values.
pub fn prometheus_rules(env: &Environment) -> Vec<Value> {
    let app = &env.namespaces.app.name;
    let mut services: Vec<Value> = env
        .services
        .keys()
        .flat_map(|service| red_rules(app, service))
        .collect();
    services.extend(alerts_of(Scope::Service, env));
    let mut objects = vec![
        json!({
            "name": "daa-services",
            "role": "app",
            "groups": [
                group("daa-services", services),
                group("daa-gitops", alerts_of(Scope::Gitops, env)),
            ],
        }),
        json!({
            "name": "daa-postgres",
            "role": "data",
            "groups": [group("daa-postgres", alerts_of(Scope::Postgres, env))],
        }),
    ];
    if env.postgres.backup.is_some() {
        objects.push(json!({
            "name": "daa-backups",
            "role": "data",
            "groups": [group("daa-backups", alerts_of(Scope::Backup, env))],
        }));
    }
    objects
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogue_parses_with_unique_names() {
        let names: std::collections::BTreeSet<&str> =
            catalogue().iter().map(|a| a.name.as_str()).collect();
        assert_eq!(names.len(), catalogue().len());
        assert!(names.contains("PostgresReplicationLagHigh"));
    }

    #[test]
    fn durations() {
        assert_eq!(duration_seconds("30s"), Some(30));
        assert_eq!(duration_seconds("1h30m"), Some(5400));
        assert_eq!(duration_seconds("5m"), Some(300));
        assert_eq!(duration_seconds("10"), None);
        assert_eq!(duration_seconds("100ms"), None);
        assert_eq!(duration_seconds(""), None);
        assert_eq!(duration_seconds("1x"), None);
    }

    #[test]
    fn runbook_urls_point_at_the_main_branch() {
        let alert = &catalogue()[0];
        assert_eq!(
            alert.runbook_url(),
            format!(
                "https://github.com/daa-platform/daactl/blob/main/docs/runbooks/{}.md",
                alert.name
            )
        );
    }
}
