//! The Alertmanager configuration of an environment's cluster, as data in
//! `alertmanager.yml`'s shape (REQ-T224): routed by the `severity` label, `critical` to the
//! spec's critical receiver (PagerDuty in production, chat in staging, nowhere in
//! development), `warning` to the warning receiver, `info` nowhere.
//!
//! Terraform puts it into kube-prometheus-stack's values (`alertmanager.config`) and mounts
//! the Secrets [`external_secrets`] makes (`alertmanager.alertmanagerSpec.secrets`), so
//! keys are read from files (`routing_key_file`, `api_url_file`) and no key value is ever in
//! the configuration, the values or the repository.

use serde_json::{Value, json};

use crate::spec::model::{AlertReceiver, Environment, SecretRef};

/// How long Alertmanager waits to group a new critical alert before sending it. With a
/// rule's `for` and its group's evaluation interval it bounds how late a page is (REQ-T224).
pub const CRITICAL_GROUP_WAIT_SECONDS: u64 = 10;

/// Where the operator mounts a Secret listed in `alertmanagerSpec.secrets`.
const SECRETS_DIR: &str = "/etc/alertmanager/secrets";
/// The Secret holding the PagerDuty routing key, and its key.
const PAGERDUTY_SECRET: (&str, &str) = ("alertmanager-pagerduty", "routing_key");
/// The Secret holding the chat webhook URL, and its key.
const CHAT_SECRET: (&str, &str) = ("alertmanager-chat", "webhook_url");

fn secret_file((secret, key): (&str, &str)) -> String {
    format!("{SECRETS_DIR}/{secret}/{key}")
}

fn receiver_name(receiver: AlertReceiver, severity: &str) -> String {
    match receiver {
        AlertReceiver::None => "null".to_owned(),
        other => format!("{}-{severity}", other.as_str()),
    }
}

fn receiver(env: &Environment, receiver: AlertReceiver, severity: &str) -> Value {
    let name = receiver_name(receiver, severity);
    match receiver {
        AlertReceiver::None => json!({"name": name}),
        AlertReceiver::Pagerduty => json!({
            "name": name,
            "pagerduty_configs": [{
                "routing_key_file": secret_file(PAGERDUTY_SECRET),
                "severity": severity,
                "send_resolved": true,
                "details": {"environment": env.name, "runbook": "{{ .CommonAnnotations.runbook_url }}"},
            }],
        }),
        AlertReceiver::Chat => json!({
            "name": name,
            "slack_configs": [{
                "api_url_file": secret_file(CHAT_SECRET),
                "channel": env.observability.alerting.chat_channel.clone().unwrap_or_default(),
                "send_resolved": true,
                "title": format!("[{}] [{severity}] {{{{ .CommonLabels.alertname }}}}", env.name),
                "text": "{{ range .Alerts }}{{ .Annotations.summary }}\n{{ .Annotations.runbook_url }}\n{{ end }}",
            }],
        }),
    }
}

/// The `alertmanager.yml` of environment `env`.
pub fn config(env: &Environment) -> Value {
    let alerting = &env.observability.alerting;
    let mut receivers = vec![json!({"name": "null"})];
    for (severity, kind) in [
        ("critical", alerting.critical),
        ("warning", alerting.warning),
    ] {
        if kind != AlertReceiver::None {
            receivers.push(receiver(env, kind, severity));
        }
    }
    json!({
        "global": {"resolve_timeout": "5m"},
        "route": {
            "receiver": "null",
            "group_by": ["alertname", "namespace", "service"],
            "group_wait": "30s",
            "group_interval": "5m",
            "repeat_interval": "4h",
            "routes": [
                {
                    "receiver": receiver_name(alerting.critical, "critical"),
                    "matchers": ["severity=\"critical\""],
                    "group_wait": format!("{CRITICAL_GROUP_WAIT_SECONDS}s"),
                    "group_interval": "1m",
                    "repeat_interval": "1h",
                },
                {
                    "receiver": receiver_name(alerting.warning, "warning"),
                    "matchers": ["severity=\"warning\""],
                },
                {"receiver": "null", "matchers": ["severity=\"info\""]},
            ],
        },
        // A critical alert already says what its warning twin would.
        "inhibit_rules": [{
            "source_matchers": ["severity=\"critical\""],
            "target_matchers": ["severity=\"warning\""],
            "equal": ["namespace", "service"],
        }],
        "receivers": receivers,
    })
}

/// The Secrets the configuration reads keys from, as `(secret name, its one key, where the
/// value lives in the environment's store)`.
pub fn secrets(env: &Environment) -> Vec<(&'static str, &'static str, SecretRef)> {
    let alerting = &env.observability.alerting;
    let uses = |kind| alerting.critical == kind || alerting.warning == kind;
    let mut out = Vec::new();
    if let (true, Some(key)) = (
        uses(AlertReceiver::Pagerduty),
        &alerting.pagerduty_routing_key,
    ) {
        out.push((PAGERDUTY_SECRET.0, PAGERDUTY_SECRET.1, key.clone()));
    }
    if let (true, Some(key)) = (uses(AlertReceiver::Chat), &alerting.chat_webhook) {
        out.push((CHAT_SECRET.0, CHAT_SECRET.1, key.clone()));
    }
    out
}

/// ExternalSecrets (external-secrets.io/v1) in the monitoring namespace that make the
/// Secrets of [`secrets`] from the environment's store; Terraform applies them with the
/// kube-prometheus-stack release that mounts them.
pub fn external_secrets(env: &Environment) -> Vec<Value> {
    secrets(env)
        .into_iter()
        .map(|(name, key, remote)| {
            let mut remote_ref = json!({"key": remote.remote_key});
            if let Some(property) = remote.property {
                remote_ref["property"] = json!(property);
            }
            json!({
                "apiVersion": crate::terraform::charts::EXTERNAL_SECRETS_API,
                "kind": "ExternalSecret",
                "metadata": {"name": name, "namespace": env.platform.monitoring_namespace},
                "spec": {
                    "refreshInterval": env.secret_store.refresh_interval,
                    "secretStoreRef": {"kind": env.secret_store.kind, "name": env.secret_store.name},
                    "target": {"name": name, "creationPolicy": "Owner"},
                    "data": [{"secretKey": key, "remoteRef": remote_ref}],
                },
            })
        })
        .collect()
}

/// The `group_wait` that applies to alerts of `severity` in `config`: the first matching
/// child route's, else the root's; `None` when the configuration does not say.
pub fn group_wait_seconds(config: &Value, severity: &str) -> Option<u64> {
    let route = &config["route"];
    let matcher = format!("severity=\"{severity}\"");
    let child = route["routes"].as_array().into_iter().flatten().find(|r| {
        r["matchers"]
            .as_array()
            .is_some_and(|m| m.iter().any(|m| m.as_str() == Some(matcher.as_str())))
    });
    let wait = child
        .and_then(|c| c["group_wait"].as_str())
        .or_else(|| route["group_wait"].as_str())?;
    super::alerts::duration_seconds(wait)
}
