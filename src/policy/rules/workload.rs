//! REQ-T202 Kubernetes Deployment (every serving workload has a Service) and REQ-T218
//! Deployment Strategies: zero-downtime rolling updates, probes, graceful shutdown and
//! disruption budgets that let nodes drain.
//!
//! `K218-1` is a shape rule (`schemas/policy/K218-1.json`); the others compare objects or
//! containers with each other, so they are code.

use std::sync::OnceLock;

use serde_json::Value;

use super::common::{
    controllers, declares_ports, int_or_percent, min_replicas, pods_in, selected, shown,
};
use crate::policy::manifest::Manifest;
use crate::policy::rule::{Check, Context, Rule, RuleMeta};
use crate::policy::shape::{Scope, ShapeRule};
use crate::policy::workload::{Container, pod_templates, selects};

/// ## What it does
/// Checks that every Deployment or StatefulSet whose containers declare ports is selected by
/// at least one Service in its namespace.
///
/// ## Why is this bad?
/// A workload that listens but has no Service is reachable only by pod IP: nothing balances
/// traffic over its replicas, and clients break at every rollout. Usually the Service's
/// selector and the pod labels have drifted apart.
///
/// ## Example
/// A Deployment with `containerPort: 3000` and pod labels `app: api`, and no Service whose
/// `selector` matches `app: api`.
///
/// Use instead: a ClusterIP Service with `selector: {app: api}`.
pub struct WorkloadWithoutService;

static WORKLOAD_WITHOUT_SERVICE: RuleMeta = RuleMeta {
    code: "K202-3",
    name: "workload-without-service",
    requirement: "REQ-T202",
    summary: "Every Deployment or StatefulSet that declares container ports is selected by a Service",
    rationale: "Each DAA service is deployed as a workload plus a Service (REQ-T202); a listening workload no Service selects cannot be reached through the cluster's load balancing, which usually means the Service selector and the pod labels drifted apart.",
    remediation: "Render a Service in the workload's namespace whose `spec.selector` matches the pod template's labels, or remove the container ports if the workload serves nothing.",
    peers: &[
        "kube-linter:dangling-service",
        "kube-score:service-targets-pod",
    ],
};

impl Rule for WorkloadWithoutService {
    fn meta(&self) -> &RuleMeta {
        &WORKLOAD_WITHOUT_SERVICE
    }

    fn check(&self, cx: &Context<'_>, out: &mut Check) {
        for pod in controllers(cx.set) {
            if !declares_ports(&pod) {
                continue;
            }
            out.saw();
            let labels = pod.labels();
            let served = cx.set.of_kind("Service").any(|(_, service)| {
                let selector = &service.value["spec"]["selector"];
                service.namespace.as_deref() == pod.namespace()
                    && selector.as_object().is_some_and(|s| !s.is_empty())
                    && selects(selector, &labels)
            });
            if !served {
                out.fail(
                    pod.index,
                    "/spec/template/metadata/labels",
                    format!(
                        "{} declares container ports but no Service in namespace `{}` selects its pods",
                        pod.owner.subject(),
                        pod.namespace().unwrap_or("default")
                    ),
                );
            }
        }
    }
}

/// ## What it does
/// Checks that every Deployment rolls out without taking a pod down first:
/// `strategy.type: RollingUpdate` with `maxUnavailable: 0` and `maxSurge` of at least one
/// pod, and an explicit `progressDeadlineSeconds`.
///
/// ## Why is this bad?
/// `Recreate` stops every pod before starting new ones. The default rolling update allows
/// 25% of the pods to be unavailable, so a three-replica service loses a third of its
/// capacity during each rollout; with `maxUnavailable: 0` a new pod must be ready before an
/// old one goes. Without a progress deadline a stuck rollout is not reported as failed.
///
/// ## Example
/// `strategy: {type: Recreate}`, or no `strategy` at all.
///
/// Use instead:
/// `strategy: {type: RollingUpdate, rollingUpdate: {maxSurge: 1, maxUnavailable: 0}}` and
/// `progressDeadlineSeconds: 600`.
pub static DOWNTIME_ROLLOUT: ShapeRule = ShapeRule {
    meta: RuleMeta {
        code: "K218-1",
        name: "rolling-update",
        requirement: "REQ-T218",
        summary: "Deployments roll out with `maxUnavailable: 0`, a surge of at least one pod and a progress deadline",
        rationale: "Zero-downtime deployment (REQ-T218) needs every old pod to serve until a new one is ready: `RollingUpdate` with `maxUnavailable: 0` and `maxSurge` >= 1. An absent strategy means `maxUnavailable: 25%`, and `Recreate` stops everything first. `progressDeadlineSeconds` makes a stuck rollout fail visibly (the condition Argo CD and `kubectl rollout status` report) instead of hanging.",
        remediation: "Set `spec.strategy: {type: RollingUpdate, rollingUpdate: {maxSurge: 1, maxUnavailable: 0}}` and `spec.progressDeadlineSeconds` (e.g. 600).",
        peers: &[
            "kube-score:deployment-strategy",
            "kube-linter:no-rolling-update-strategy",
        ],
    },
    scope: Scope::Kinds(&["Deployment"]),
    schema: include_str!("../../../schemas/policy/K218-1.json"),
    compiled: OnceLock::new(),
};

/// ## What it does
/// Checks that every serving container (not init containers) of Deployments, StatefulSets
/// and DaemonSets has a `readinessProbe` and a `livenessProbe`, and that a probe naming its
/// port names a port the container declares.
///
/// ## Why is this bad?
/// Without a readiness probe a pod receives traffic, and a rollout proceeds, before the
/// process can answer; without a liveness probe a hung process is never restarted. A probe
/// on a port name the container does not declare fails forever, so the pod never becomes
/// ready or is restarted in a loop.
pub struct MissingProbe;

static MISSING_PROBE: RuleMeta = RuleMeta {
    code: "K218-2",
    name: "probes",
    requirement: "REQ-T218",
    summary: "Serving containers have readiness and liveness probes on ports they declare",
    rationale: "Rolling updates are only zero-downtime if the readiness probe holds traffic back until a pod can answer; the liveness probe restarts hung processes; both are the health endpoints external uptime checks (REQ-T230) rely on. A probe on an undeclared port name never succeeds.",
    remediation: "Give each container a `readinessProbe` and a `livenessProbe` (e.g. `httpGet` on `/health/ready` and `/health/live`), using a port name from the container's `ports`.",
    peers: &[
        "CKV_K8S_8",
        "CKV_K8S_9",
        "kube-score:pod-probes",
        "polaris:readinessProbeMissing",
        "polaris:livenessProbeMissing",
        "kube-linter:no-readiness-probe",
        "kube-linter:no-liveness-probe",
        "kube-linter:readiness-port",
        "kube-linter:liveness-port",
    ],
};

impl Rule for MissingProbe {
    fn meta(&self) -> &RuleMeta {
        &MISSING_PROBE
    }

    fn check(&self, cx: &Context<'_>, out: &mut Check) {
        for pod in pod_templates(cx.set) {
            if !matches!(
                pod.owner.kind.as_str(),
                "Deployment" | "StatefulSet" | "DaemonSet"
            ) {
                continue;
            }
            for container in pod.containers().iter().filter(|c| !c.init) {
                out.saw();
                for probe in ["readinessProbe", "livenessProbe"] {
                    let Some(value) = container.value.get(probe).filter(|v| v.is_object()) else {
                        out.fail(
                            pod.index,
                            container.pointer.clone(),
                            format!(
                                "container `{}` of {} has no `{probe}`",
                                container.name,
                                pod.owner.subject()
                            ),
                        );
                        continue;
                    };
                    for handler in ["httpGet", "tcpSocket"] {
                        let Some(port) = value[handler]["port"].as_str() else {
                            continue;
                        };
                        if !port_names(container).contains(&port) {
                            out.fail(
                                pod.index,
                                container.at(&format!("/{probe}/{handler}/port")),
                                format!(
                                    "`{probe}` of container `{}` of {} uses port `{port}`, which the container does not declare",
                                    container.name,
                                    pod.owner.subject()
                                ),
                            );
                        }
                    }
                }
            }
        }
    }
}

fn port_names<'a>(container: &Container<'a>) -> Vec<&'a str> {
    container.value["ports"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|port| port["name"].as_str())
        .collect()
}

/// ## What it does
/// Checks that every serving container of a Deployment or StatefulSet has a
/// `lifecycle.preStop` hook (`exec`, `httpGet` or `sleep`), and that when the hook sleeps a
/// known time (`exec` of `sleep N`, or `sleep.seconds`) the pod's
/// `terminationGracePeriodSeconds` (default 30) is longer than that sleep.
///
/// ## Why is this bad?
/// When a pod is deleted, the kubelet sends SIGTERM while Services, the mesh and load
/// balancers are still removing the pod from their endpoints; requests keep arriving for a
/// few seconds and fail. A `preStop` sleep keeps the process serving until they stop. If the
/// grace period is not longer than the sleep, the process is killed before it can drain.
pub struct AbruptShutdown;

static ABRUPT_SHUTDOWN: RuleMeta = RuleMeta {
    code: "K218-3",
    name: "graceful-shutdown",
    requirement: "REQ-T218",
    summary: "Serving containers have a preStop hook and a grace period longer than its sleep",
    rationale: "Endpoint removal is asynchronous: after SIGTERM a pod still receives traffic for a few seconds, so a rollout or node drain without a `preStop` delay drops requests, which breaks zero-downtime deployment (REQ-T218). The grace period must outlast the delay, or SIGKILL arrives before the process has drained.",
    remediation: "Add `lifecycle.preStop` (e.g. `exec: {command: [sleep, \"5\"]}` or `sleep: {seconds: 5}`) to each serving container and set `terminationGracePeriodSeconds` above the sleep plus the time the process needs to finish its requests.",
    peers: &["Datree:CONTAINERS_MISSING_PRESTOP_KEY"],
};

impl Rule for AbruptShutdown {
    fn meta(&self) -> &RuleMeta {
        &ABRUPT_SHUTDOWN
    }

    fn check(&self, cx: &Context<'_>, out: &mut Check) {
        for pod in controllers(cx.set) {
            let grace = pod.spec["terminationGracePeriodSeconds"].as_u64();
            let (grace_seconds, grace_shown, grace_pointer) = match grace {
                Some(seconds) => (
                    seconds,
                    format!("`terminationGracePeriodSeconds` of {seconds}"),
                    pod.at("/terminationGracePeriodSeconds"),
                ),
                None => (
                    30,
                    "the default `terminationGracePeriodSeconds` of 30".to_owned(),
                    pod.pointer.to_owned(),
                ),
            };
            for container in pod.containers().iter().filter(|c| !c.init) {
                out.saw();
                let pre_stop = &container.value["lifecycle"]["preStop"];
                if !pre_stop.is_object() {
                    out.fail(
                        pod.index,
                        container.pointer.clone(),
                        format!(
                            "container `{}` of {} has no `lifecycle.preStop` hook, so it stops while still receiving traffic",
                            container.name,
                            pod.owner.subject()
                        ),
                    );
                    continue;
                }
                if !["exec", "httpGet", "sleep"]
                    .iter()
                    .any(|action| pre_stop[action].is_object())
                {
                    out.fail(
                        pod.index,
                        container.at("/lifecycle/preStop"),
                        format!(
                            "`preStop` of container `{}` of {} has no `exec`, `httpGet` or `sleep` action",
                            container.name,
                            pod.owner.subject()
                        ),
                    );
                    continue;
                }
                if let Some(sleep) = pre_stop_sleep(pre_stop)
                    && grace_seconds <= sleep
                {
                    out.fail(
                        pod.index,
                        grace_pointer.clone(),
                        format!(
                            "pods of {} have {grace_shown}, not longer than the {sleep}-second `preStop` sleep of container `{}`, so they are killed before draining",
                            pod.owner.subject(),
                            container.name
                        ),
                    );
                }
            }
        }
    }
}

/// The seconds a `preStop` hook sleeps, when it is a `sleep` action or an `exec` of
/// `sleep N` (directly or as the first command of a shell script).
fn pre_stop_sleep(pre_stop: &Value) -> Option<u64> {
    if let Some(seconds) = pre_stop["sleep"]["seconds"].as_u64() {
        return Some(seconds);
    }
    let command: Vec<&str> = pre_stop["exec"]["command"]
        .as_array()?
        .iter()
        .filter_map(Value::as_str)
        .collect();
    match command.as_slice() {
        [program, seconds] if program.rsplit('/').next() == Some("sleep") => seconds.parse().ok(),
        [shell, "-c", script] if shell.ends_with("sh") => {
            let mut words = script.split_whitespace();
            (words.next() == Some("sleep"))
                .then(|| words.next()?.trim_end_matches(';').parse().ok())
                .flatten()
        }
        _ => None,
    }
}

/// ## What it does
/// Checks that every Deployment or StatefulSet running at least two pods (its autoscaler's
/// `minReplicas`, else `spec.replicas`) is selected by a PodDisruptionBudget in its
/// namespace, that no budget blocks evictions (`maxUnavailable: 0`, or `minAvailable` not
/// below the workload's minimum replicas), and that every budget selects some pod.
///
/// ## Why is this bad?
/// Without a budget a node drain may evict every replica at once. A budget that allows no
/// disruption blocks node drains and cluster upgrades until someone deletes it by hand. A
/// budget that selects nothing protects nothing and hides a label drift.
pub struct MissingDisruptionBudget;

static MISSING_DISRUPTION_BUDGET: RuleMeta = RuleMeta {
    code: "K218-4",
    name: "disruption-budget",
    requirement: "REQ-T218",
    summary: "Multi-replica workloads have a PodDisruptionBudget that allows at least one eviction, and no budget is dangling",
    rationale: "Node drains and upgrades must not take a service down (REQ-T218): a PodDisruptionBudget limits voluntary evictions. It must still allow one (`maxUnavailable` >= 1, or `minAvailable` below the minimum replicas), or drains hang; development, with one replica, needs none, because `minAvailable: 1` over one pod blocks every drain.",
    remediation: "Render a PodDisruptionBudget with `maxUnavailable: 1` and the workload's pod selector for every workload with an effective minimum of two or more replicas; fix or remove budgets that select no pods.",
    peers: &[
        "kube-score:deployment-has-poddisruptionbudget",
        "kube-score:poddisruptionbudget-has-policy",
        "polaris:missingPodDisruptionBudget",
        "polaris:pdbDisruptionsIsZero",
        "polaris:pdbMinAvailableGreaterThanHPAMinReplicas",
        "kube-linter:pdb-max-unavailable",
        "kube-linter:pdb-min-available",
        "kube-linter:dangling-poddisruptionbudget",
    ],
};

impl Rule for MissingDisruptionBudget {
    fn meta(&self) -> &RuleMeta {
        &MISSING_DISRUPTION_BUDGET
    }

    fn check(&self, cx: &Context<'_>, out: &mut Check) {
        let budgets: Vec<(usize, &Manifest)> = cx.set.of_kind("PodDisruptionBudget").collect();
        for pod in controllers(cx.set) {
            let min = min_replicas(cx.set, pod.owner).count;
            if min < 2 {
                continue;
            }
            out.saw();
            let labels = pod.labels();
            let covered = budgets.iter().any(|(_, pdb)| {
                pdb.namespace.as_deref() == pod.namespace()
                    && budget_selects(&pdb.value["spec"]["selector"], &labels)
            });
            if !covered {
                out.fail(
                    pod.index,
                    "/spec/template/metadata/labels",
                    format!(
                        "{} runs at least {min} pods but no PodDisruptionBudget in namespace `{}` selects them",
                        pod.owner.subject(),
                        pod.namespace().unwrap_or("default")
                    ),
                );
            }
        }
        for &(index, pdb) in &budgets {
            out.saw();
            let selector = &pdb.value["spec"]["selector"];
            let pods = pods_in(cx.set, pdb.namespace.as_deref());
            let covered: Vec<_> = if selector.as_object().is_some_and(|s| s.is_empty()) {
                pods.iter().collect()
            } else {
                selected(selector, &pods)
            };
            if covered.is_empty() {
                out.fail(
                    index,
                    "/spec/selector",
                    format!("{} selects no pods", pdb.subject()),
                );
                continue;
            }
            let spec = &pdb.value["spec"];
            for workload in covered
                .iter()
                .filter(|p| matches!(p.owner.kind.as_str(), "Deployment" | "StatefulSet"))
            {
                let min = min_replicas(cx.set, workload.owner).count;
                if let Some(problem) = blocks_evictions(spec, min) {
                    let (field, detail) = problem;
                    out.fail(
                        index,
                        format!("/spec/{field}"),
                        format!(
                            "{} sets {detail}, which lets no pod of {} (at least {min}) be evicted, so it blocks node drains",
                            pdb.subject(),
                            workload.owner.subject()
                        ),
                    );
                    break;
                }
            }
            if spec.get("maxUnavailable").is_none() && spec.get("minAvailable").is_none() {
                out.fail(
                    index,
                    "/spec",
                    format!(
                        "{} sets neither `maxUnavailable` nor `minAvailable`",
                        pdb.subject()
                    ),
                );
            }
        }
    }
}

/// A PodDisruptionBudget's selector: an empty one selects every pod of its namespace, a
/// missing one none (policy/v1).
fn budget_selects(selector: &Value, labels: &std::collections::BTreeMap<&str, &str>) -> bool {
    selector.is_object() && selects(selector, labels)
}

/// Why a budget allows no eviction of a workload running `min` pods: the field and what it
/// says, or `None` when at least one pod may be evicted.
fn blocks_evictions(spec: &Value, min: u64) -> Option<(&'static str, String)> {
    if let Some(value) = spec.get("maxUnavailable") {
        let allowed = match int_or_percent(value) {
            Some((n, false)) => n,
            // Percentages of maxUnavailable round up.
            Some((p, true)) => (p * min).div_ceil(100),
            None => 0,
        };
        return (allowed == 0).then(|| {
            (
                "maxUnavailable",
                format!("`maxUnavailable: {}`", shown(value)),
            )
        });
    }
    let value = spec.get("minAvailable")?;
    let kept = match int_or_percent(value) {
        Some((n, false)) => n,
        // Percentages of minAvailable round up.
        Some((p, true)) => (p * min).div_ceil(100),
        None => min,
    };
    (kept >= min).then(|| ("minAvailable", format!("`minAvailable: {}`", shown(value))))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn pre_stop_sleeps_are_read_from_actions_and_commands() {
        assert_eq!(pre_stop_sleep(&json!({"sleep": {"seconds": 7}})), Some(7));
        assert_eq!(
            pre_stop_sleep(&json!({"exec": {"command": ["sleep", "5"]}})),
            Some(5)
        );
        assert_eq!(
            pre_stop_sleep(&json!({"exec": {"command": ["/bin/sleep", "10"]}})),
            Some(10)
        );
        assert_eq!(
            pre_stop_sleep(
                &json!({"exec": {"command": ["/bin/sh", "-c", "sleep 15; nginx -s quit"]}})
            ),
            Some(15)
        );
        assert_eq!(
            pre_stop_sleep(&json!({"exec": {"command": ["/app/drain"]}})),
            None
        );
        assert_eq!(
            pre_stop_sleep(&json!({"httpGet": {"path": "/drain"}})),
            None
        );
    }

    #[test]
    fn budgets_block_when_no_pod_may_go() {
        assert!(blocks_evictions(&json!({"maxUnavailable": 1}), 3).is_none());
        assert!(blocks_evictions(&json!({"maxUnavailable": "10%"}), 3).is_none());
        assert!(blocks_evictions(&json!({"maxUnavailable": 0}), 3).is_some());
        assert!(blocks_evictions(&json!({"maxUnavailable": "0%"}), 3).is_some());
        assert!(blocks_evictions(&json!({"minAvailable": 2}), 3).is_none());
        assert!(blocks_evictions(&json!({"minAvailable": 3}), 3).is_some());
        assert!(blocks_evictions(&json!({"minAvailable": 1}), 1).is_some());
        assert!(blocks_evictions(&json!({"minAvailable": "50%"}), 3).is_none());
        assert!(blocks_evictions(&json!({"minAvailable": "100%"}), 3).is_some());
    }
}
