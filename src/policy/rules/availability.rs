//! REQ-T231 Multi-AZ Deployment, REQ-T232 Load Balancing and REQ-T233 Auto-Scaling: pods
//! spread over zones and hosts, enough replicas, Services that reach pods and expose nothing
//! by themselves, and autoscalers that really own their workloads' replica counts.
//!
//! All of these compare objects with each other or read environment parameters, so they are
//! code rather than shape rules.

use serde_json::Value;

use super::common::{
    autoscalers_of, controllers, declares_ports, max_replicas, min_replicas, namespace_role,
    owners, pods_in, replica_owner, selected, template_of,
};
use crate::policy::rule::{Check, Context, Rule, RuleMeta};
use crate::policy::workload::{PodTemplate, selects};

const ZONE_KEY: &str = "topology.kubernetes.io/zone";
const HOST_KEY: &str = "kubernetes.io/hostname";

/// ## What it does
/// Checks that the pods of every Deployment or StatefulSet that can run more than one pod
/// spread over hosts (a `kubernetes.io/hostname` topology spread constraint or pod
/// anti-affinity on that key, preferred is enough) and, in environments with more than one
/// zone, over zones: a topology spread constraint with `topologyKey:
/// topology.kubernetes.io/zone`, `maxSkew: 1`, `whenUnsatisfiable: DoNotSchedule`, a
/// `labelSelector` that selects the pod's own labels, and `minDomains` (if set) of at least
/// the environment's zones.
///
/// ## Why is this bad?
/// Without a hard zone constraint the scheduler may place every replica in one availability
/// zone, and one zone outage takes the service down. Without host spreading, several
/// replicas share a node, and one node failure or drain takes them together.
///
/// In a single-zone environment (development on kind) only the host spread is required: a
/// zone constraint cannot be met or broken there. A workload that never runs more than one
/// pod has nothing to spread; whether it should is `K231-2`'s question.
pub struct UnspreadReplicas;

static UNSPREAD_REPLICAS: RuleMeta = RuleMeta {
    code: "K231-1",
    name: "zone-spread",
    requirement: "REQ-T231",
    summary: "Replicated pods spread over hosts, and over the environment's zones with a hard `maxSkew: 1` constraint",
    rationale: "Services must survive the loss of an availability zone (REQ-T231): only `whenUnsatisfiable: DoNotSchedule` with `maxSkew: 1` on `topology.kubernetes.io/zone` guarantees the replicas are in different zones, and `minDomains` below the zone count would let them crowd into fewer. Spreading over hosts (preferred, so the HPA is not capped at the node count) keeps one node failure from taking several replicas. Single-zone environments (development) need only the host spread; single-pod workloads have nothing to spread and are `K231-2`'s concern.",
    remediation: "Add to the pod template `topologySpreadConstraints: [{maxSkew: 1, topologyKey: topology.kubernetes.io/zone, whenUnsatisfiable: DoNotSchedule, minDomains: <zones>, labelSelector: {matchLabels: <pod selector>}}, {maxSkew: 1, topologyKey: kubernetes.io/hostname, whenUnsatisfiable: ScheduleAnyway, labelSelector: ...}]`, or a preferred pod anti-affinity on `kubernetes.io/hostname`.",
    peers: &[
        "polaris:topologySpreadConstraint",
        "kube-score:deployment-has-host-podantiaffinity",
        "kube-score:statefulset-has-host-podantiaffinity",
        "kube-linter:no-anti-affinity",
        "Datree:EKS_MISSING_KEY_TOPOLOGYKEY",
        "Datree:EKS_INVALID_VALUE_DONOOTSCHEDULE",
    ],
};

impl Rule for UnspreadReplicas {
    fn meta(&self) -> &RuleMeta {
        &UNSPREAD_REPLICAS
    }

    fn check(&self, cx: &Context<'_>, out: &mut Check) {
        for pod in controllers(cx.set) {
            if max_replicas(cx.set, pod.owner) < 2 {
                continue;
            }
            out.saw();
            let labels = pod.labels();
            let constraints: Vec<(usize, &Value)> = pod.spec["topologySpreadConstraints"]
                .as_array()
                .into_iter()
                .flatten()
                .enumerate()
                .collect();
            let constraints_pointer = if constraints.is_empty() {
                pod.pointer.to_owned()
            } else {
                pod.at("/topologySpreadConstraints")
            };
            let own = |selector: &Value| selector.is_object() && selects(selector, &labels);

            if cx.env.zones > 1 {
                let zone: Vec<&(usize, &Value)> = constraints
                    .iter()
                    .filter(|(_, c)| c["topologyKey"].as_str() == Some(ZONE_KEY))
                    .collect();
                let problems: Vec<Vec<(String, String)>> = zone
                    .iter()
                    .map(|(i, c)| zone_problems(&pod, *i, c, cx.env.zones, &own))
                    .collect();
                match problems.iter().find(|p| p.is_empty()) {
                    Some(_) => {}
                    None if zone.is_empty() => out.fail(
                        pod.index,
                        constraints_pointer.clone(),
                        format!(
                            "pods of {} have no topology spread constraint on `{ZONE_KEY}`, which environment `{}` ({} zones) requires",
                            pod.owner.subject(),
                            cx.env.name,
                            cx.env.zones
                        ),
                    ),
                    None => {
                        for (pointer, message) in problems.into_iter().next().unwrap_or_default()
                        {
                            out.fail(pod.index, pointer, message);
                        }
                    }
                }
            }

            let host_constraint = constraints.iter().any(|(_, c)| {
                c["topologyKey"].as_str() == Some(HOST_KEY) && own(&c["labelSelector"])
            });
            let anti_affinity = &pod.spec["affinity"]["podAntiAffinity"];
            let required = anti_affinity["requiredDuringSchedulingIgnoredDuringExecution"]
                .as_array()
                .into_iter()
                .flatten();
            let preferred = anti_affinity["preferredDuringSchedulingIgnoredDuringExecution"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|weighted| &weighted["podAffinityTerm"]);
            let host_affinity = required.chain(preferred).any(|term| {
                term["topologyKey"].as_str() == Some(HOST_KEY) && own(&term["labelSelector"])
            });
            if !host_constraint && !host_affinity {
                out.fail(
                    pod.index,
                    constraints_pointer,
                    format!(
                        "pods of {} neither spread over `{HOST_KEY}` nor have pod anti-affinity on it, so replicas may share a node",
                        pod.owner.subject()
                    ),
                );
            }
        }
    }
}

/// What keeps zone constraint `i` from guaranteeing a spread over `zones` zones: pointers and
/// messages, empty when it does.
fn zone_problems(
    pod: &PodTemplate<'_>,
    i: usize,
    constraint: &Value,
    zones: u64,
    own: &dyn Fn(&Value) -> bool,
) -> Vec<(String, String)> {
    let at = |field: &str| pod.at(&format!("/topologySpreadConstraints/{i}{field}"));
    let who = pod.owner.subject();
    let mut problems = Vec::new();
    match constraint["maxSkew"].as_u64() {
        Some(1) => {}
        Some(skew) => problems.push((
            at("/maxSkew"),
            format!("zone spread constraint of {who} has `maxSkew: {skew}`; it must be 1"),
        )),
        None => problems.push((
            at(""),
            format!("zone spread constraint of {who} has no `maxSkew`; it must be 1"),
        )),
    }
    // An absent `whenUnsatisfiable` is `DoNotSchedule`.
    if let Some(when) = constraint["whenUnsatisfiable"].as_str()
        && when != "DoNotSchedule"
    {
        problems.push((
            at("/whenUnsatisfiable"),
            format!(
                "zone spread constraint of {who} is `{when}`, so the scheduler may still put every replica in one zone"
            ),
        ));
    }
    if !own(&constraint["labelSelector"]) {
        problems.push((
            if constraint["labelSelector"].is_object() {
                at("/labelSelector")
            } else {
                at("")
            },
            format!("zone spread constraint of {who} has a `labelSelector` that does not select its own pods"),
        ));
    }
    if let Some(min) = constraint["minDomains"].as_u64()
        && min < zones
    {
        problems.push((
            at("/minDomains"),
            format!(
                "zone spread constraint of {who} has `minDomains: {min}`, fewer than the environment's {zones} zones"
            ),
        ));
    }
    problems
}

/// ## What it does
/// Checks that every Deployment or StatefulSet that serves (declares container ports) runs
/// at least the environment's `min_replicas` pods: its autoscaler's `minReplicas`, else its
/// `spec.replicas` (default 1).
///
/// ## Why is this bad?
/// Fewer replicas than zones means a zone (or, with one replica, any node) failure takes the
/// service down; production requires 3, staging 2, development 1.
pub struct TooFewReplicas;

static TOO_FEW_REPLICAS: RuleMeta = RuleMeta {
    code: "K231-2",
    name: "min-replicas",
    requirement: "REQ-T231",
    summary: "Serving workloads run at least the environment's `min_replicas` pods",
    rationale: "Multi-AZ deployment (REQ-T231) is only real with at least one replica per zone: `min_replicas` is 3 in production and 2 in staging, 1 in development. The effective minimum is the autoscaler's `minReplicas` when one scales the workload (kube-score), else `spec.replicas`. Single-replica data services are findings too: a lost zone takes them down, so they need replication or a waiver that says why not.",
    remediation: "Raise the HorizontalPodAutoscaler's `minReplicas` (or `spec.replicas` without one) to the environment's `min_replicas`, or run the component replicated.",
    peers: &[
        "kube-score:deployment-replicas",
        "polaris:deploymentMissingReplicas",
        "polaris:hpaMinAvailability",
        "kube-linter:minimum-three-replicas",
        "kube-linter:hpa-minimum-three-replicas",
    ],
};

impl Rule for TooFewReplicas {
    fn meta(&self) -> &RuleMeta {
        &TOO_FEW_REPLICAS
    }

    fn check(&self, cx: &Context<'_>, out: &mut Check) {
        for pod in controllers(cx.set) {
            if !declares_ports(&pod) {
                continue;
            }
            out.saw();
            let min = min_replicas(cx.set, pod.owner);
            if min.count >= cx.env.min_replicas {
                continue;
            }
            let owner = replica_owner(cx.set, pod.owner);
            let owner_index = cx
                .set
                .manifests
                .iter()
                .position(|m| std::ptr::eq(m, owner))
                .unwrap_or(pod.index);
            let of = if std::ptr::eq(owner, pod.owner) {
                String::new()
            } else {
                format!(" of {}", owner.subject())
            };
            let (index, pointer, source) = match min.autoscaler {
                Some(hpa) => (
                    hpa,
                    "/spec/minReplicas",
                    format!("`minReplicas` of {}", cx.set.manifests[hpa].subject()),
                ),
                None if owner.value["spec"]["replicas"].is_u64() => (
                    owner_index,
                    "/spec/replicas",
                    format!("`spec.replicas`{of}"),
                ),
                None => (
                    owner_index,
                    "/spec",
                    format!("the default of `spec.replicas`{of}"),
                ),
            };
            out.fail(
                index,
                pointer,
                format!(
                    "{} runs at least {} {} ({source}), fewer than the {} environment `{}` requires",
                    pod.owner.subject(),
                    min.count,
                    if min.count == 1 { "pod" } else { "pods" },
                    cx.env.min_replicas,
                    cx.env.name
                ),
            );
        }
    }
}

/// ## What it does
/// Checks Service types: never `NodePort`; only `ClusterIP` in application namespaces
/// (labelled `daa.dev/namespace-role: app`); and at most one `LoadBalancer` Service in the
/// environment, outside application namespaces (the mesh ingress gateway's).
///
/// ## Why is this bad?
/// A `NodePort` opens the port on every node, past the mesh and its mTLS and authorization.
/// Every `LoadBalancer` Service is a separate cloud load balancer reachable from outside;
/// application traffic must enter through the one mesh ingress gateway, which routes to
/// `ClusterIP` Services.
pub struct ExposedServiceType;

static EXPOSED_SERVICE_TYPE: RuleMeta = RuleMeta {
    code: "K232-1",
    name: "service-type",
    requirement: "REQ-T232",
    summary: "Application Services are ClusterIP; no NodePort; at most one LoadBalancer, outside application namespaces",
    rationale: "REQ-T232 asks for load-balanced Services, and the architecture puts one cloud load balancer in front of the Istio ingress gateway, which balances over `ClusterIP` application Services. A `NodePort`, or a `LoadBalancer` per service, bypasses the gateway's TLS, routing and authorization and multiplies public endpoints. The predicate: `NodePort` is always a finding; in a namespace labelled `daa.dev/namespace-role: app` only `ClusterIP` is allowed; an environment has at most one `LoadBalancer`.",
    remediation: "Make application Services `type: ClusterIP` (or omit `type`) and route external traffic through the mesh ingress gateway's single `LoadBalancer` Service.",
    peers: &[
        "kube-score:service-type",
        "kube-linter:exposed-services",
        "Datree:SERVICE_INCORRECT_TYPE_VALUE_NODEPORT",
    ],
};

impl Rule for ExposedServiceType {
    fn meta(&self) -> &RuleMeta {
        &EXPOSED_SERVICE_TYPE
    }

    fn check(&self, cx: &Context<'_>, out: &mut Check) {
        let mut load_balancer: Option<String> = None;
        for (index, service) in cx.set.of_kind("Service") {
            out.saw();
            let kind = service.value["spec"]["type"]
                .as_str()
                .unwrap_or("ClusterIP");
            let app = namespace_role(cx.set, service.namespace.as_deref()) == Some("app");
            if kind == "NodePort" {
                out.fail(
                    index,
                    "/spec/type",
                    format!(
                        "{} is `NodePort`, which opens its port on every node",
                        service.subject()
                    ),
                );
            } else if app && kind != "ClusterIP" {
                out.fail(
                    index,
                    "/spec/type",
                    format!(
                        "{} is `{kind}` in application namespace `{}`, which holds `ClusterIP` Services only",
                        service.subject(),
                        service.namespace.as_deref().unwrap_or_default()
                    ),
                );
            } else if kind == "LoadBalancer" {
                match &load_balancer {
                    Some(first) => out.fail(
                        index,
                        "/spec/type",
                        format!(
                            "{} is a second `LoadBalancer` Service in environment `{}` after {first}; only the ingress gateway gets one",
                            service.subject(),
                            cx.env.name
                        ),
                    ),
                    None => load_balancer = Some(service.subject()),
                }
            }
        }
    }
}

/// ## What it does
/// Checks that every Service with a selector selects pods in its namespace (workload pod
/// templates, or the instances of a CloudNativePG `Cluster`), that every `targetPort` given by
/// name is a container port name of each selected workload, and that a numeric `targetPort`
/// is a `containerPort` of some selected pod.
///
/// ## Why is this bad?
/// A Service that selects nothing has no endpoints: clients get connection refused. A
/// `targetPort` name that a selected pod does not declare gets that pod no traffic on that
/// port.
pub struct DanglingService;

static DANGLING_SERVICE: RuleMeta = RuleMeta {
    code: "K232-2",
    name: "service-selects-pods",
    requirement: "REQ-T232",
    summary: "Every Service selector selects pods, and every `targetPort` is a port those pods declare",
    rationale: "A Service balances only over the pods its selector matches and only to ports they expose (REQ-T232). A selector that matches nothing, or a `targetPort` name no selected container declares, leaves the Service without endpoints, which only shows at run time. CloudNativePG `Cluster`s count as pods labelled `cnpg.io/cluster: <name>` (plus `cnpg.io/podRole`, the role labels and `inheritedMetadata.labels`) with ports `postgresql`, `metrics` and `status`.",
    remediation: "Make the Service's `spec.selector` equal the pod template's labels and its `targetPort`s name ports the containers declare.",
    peers: &[
        "kube-score:service-targets-pod",
        "kube-linter:dangling-service",
        "kube-linter:invalid-target-ports",
    ],
};

impl Rule for DanglingService {
    fn meta(&self) -> &RuleMeta {
        &DANGLING_SERVICE
    }

    fn check(&self, cx: &Context<'_>, out: &mut Check) {
        for (index, service) in cx.set.of_kind("Service") {
            let selector = &service.value["spec"]["selector"];
            if selector.as_object().is_none_or(|s| s.is_empty()) {
                continue;
            }
            out.saw();
            let pods = pods_in(cx.set, service.namespace.as_deref());
            let chosen = selected(selector, &pods);
            if chosen.is_empty() {
                out.fail(
                    index,
                    "/spec/selector",
                    format!(
                        "{} selects no pods in namespace `{}`",
                        service.subject(),
                        service.namespace.as_deref().unwrap_or("default")
                    ),
                );
                continue;
            }
            for (i, port) in service.value["spec"]["ports"]
                .as_array()
                .into_iter()
                .flatten()
                .enumerate()
            {
                // An absent `targetPort` is the `port`.
                let (target, pointer, field) = match port.get("targetPort") {
                    Some(target) => (target, format!("/spec/ports/{i}/targetPort"), "targetPort"),
                    None => (&port["port"], format!("/spec/ports/{i}/port"), "port"),
                };
                if let Some(name) = target.as_str() {
                    let mut reported = Vec::new();
                    for pod in &chosen {
                        if reported.contains(&pod.index)
                            || pod.ports.iter().any(|(n, _)| *n == Some(name))
                        {
                            continue;
                        }
                        reported.push(pod.index);
                        out.fail(
                            index,
                            pointer.clone(),
                            format!(
                                "`{field}` `{name}` of {} is not a container port name of {}",
                                service.subject(),
                                pod.owner.subject()
                            ),
                        );
                    }
                } else if let Some(number) = target.as_i64()
                    && !chosen
                        .iter()
                        .any(|pod| pod.ports.iter().any(|(_, n)| *n == number))
                {
                    let selected_owners: Vec<String> = owners(&chosen)
                        .into_iter()
                        .map(|owner| owner.subject())
                        .collect();
                    out.fail(
                        index,
                        pointer.clone(),
                        format!(
                            "`{field}` {number} of {} is not a `containerPort` of the pods it selects ({})",
                            service.subject(),
                            selected_owners.join(", ")
                        ),
                    );
                }
            }
        }
    }
}

/// ## What it does
/// Checks every HorizontalPodAutoscaler: it is `autoscaling/v2`; its `scaleTargetRef` names
/// a Deployment, StatefulSet or Argo Rollouts `Rollout` in its namespace; `minReplicas` <=
/// `maxReplicas`; `metrics` is not empty; the target sets no `spec.replicas`; and for each
/// `cpu` or `memory` utilization metric, the containers of the pods the target runs (a
/// Rollout with `workloadRef`: the referenced Deployment's) request that resource.
///
/// ## Why is this bad?
/// An autoscaler on a missing target does nothing. A target with `spec.replicas` is reset
/// to that count by every apply (kube-score: critical). Utilization is a percentage of the
/// request: without one the autoscaler cannot compute it and does not scale.
pub struct MisconfiguredAutoscaler;

static MISCONFIGURED_AUTOSCALER: RuleMeta = RuleMeta {
    code: "K233-1",
    name: "hpa-target",
    requirement: "REQ-T233",
    summary: "Autoscalers are `autoscaling/v2`, target a rendered workload without `spec.replicas`, and have metrics its containers can report",
    rationale: "Auto-scaling (REQ-T233) only works if the HPA finds its target, the target does not fight it (`spec.replicas` makes every GitOps sync reset the replica count; kube-score `deployment-targeted-by-hpa-does-not-have-replicas-configured` is critical), the replica bounds are consistent, and utilization metrics have requests to be measured against. `autoscaling/v2beta2` was removed in Kubernetes 1.26.",
    remediation: "Use `apiVersion: autoscaling/v2`, point `scaleTargetRef` at the rendered Deployment (or the Rollout that runs its pods), keep `minReplicas` <= `maxReplicas`, list `metrics`, remove `spec.replicas` from the target, and give its containers `resources.requests` for each utilization metric.",
    peers: &[
        "kube-score:horizontalpodautoscaler-has-target",
        "kube-score:horizontalpodautoscaler-replicas",
        "kube-score:deployment-targeted-by-hpa-does-not-have-replicas-configured",
        "kube-linter:dangling-horizontalpodautoscaler",
        "Datree:HPA_MISSING_MINREPLICAS_KEY",
        "Datree:HPA_MISSING_MAXREPLICAS_KEY",
    ],
};

impl Rule for MisconfiguredAutoscaler {
    fn meta(&self) -> &RuleMeta {
        &MISCONFIGURED_AUTOSCALER
    }

    fn check(&self, cx: &Context<'_>, out: &mut Check) {
        for (index, hpa) in cx.set.of_kind("HorizontalPodAutoscaler") {
            out.saw();
            let who = hpa.subject();
            let spec = &hpa.value["spec"];
            if hpa.api_version != "autoscaling/v2" {
                out.fail(
                    index,
                    "/apiVersion",
                    format!("{who} uses `{}`; use `autoscaling/v2`", hpa.api_version),
                );
            }
            let min = spec["minReplicas"].as_u64().unwrap_or(1);
            match spec["maxReplicas"].as_u64() {
                None => out.fail(index, "/spec", format!("{who} sets no `maxReplicas`")),
                Some(max) if min > max => out.fail(
                    index,
                    "/spec/minReplicas",
                    format!("{who} has `minReplicas: {min}` above `maxReplicas: {max}`"),
                ),
                Some(_) => {}
            }
            // `autoscaling/v1` has no `metrics` (only `targetCPUUtilizationPercentage`).
            if hpa.api_version == "autoscaling/v2"
                && spec["metrics"].as_array().is_none_or(Vec::is_empty)
            {
                let pointer = if spec["metrics"].is_array() {
                    "/spec/metrics"
                } else {
                    "/spec"
                };
                out.fail(index, pointer, format!("{who} lists no `metrics`"));
            }

            let reference = &spec["scaleTargetRef"];
            let kind = reference["kind"].as_str().unwrap_or_default();
            let name = reference["name"].as_str().unwrap_or_default();
            if !matches!(kind, "Deployment" | "StatefulSet" | "Rollout") {
                out.fail(
                    index,
                    "/spec/scaleTargetRef/kind",
                    format!("{who} scales a `{kind}`, not a Deployment, StatefulSet or Rollout"),
                );
                continue;
            }
            let Some((target_index, target)) = cx.set.find(kind, hpa.namespace.as_deref(), name)
            else {
                out.fail(
                    index,
                    "/spec/scaleTargetRef/name",
                    format!(
                        "{who} scales {kind} `{name}`, which is not in namespace `{}`",
                        hpa.namespace.as_deref().unwrap_or("default")
                    ),
                );
                continue;
            };
            if target.value["spec"].get("replicas").is_some() {
                out.fail(
                    target_index,
                    "/spec/replicas",
                    format!(
                        "{} sets `spec.replicas` although {who} scales it, so every apply resets its replica count",
                        target.subject()
                    ),
                );
            }
            // A Rollout with a `workloadRef` runs the referenced Deployment's template.
            let Some(pod) = template_of(cx.set, target) else {
                continue;
            };
            let target_index = pod.index;
            let target = pod.owner;
            for metric in spec["metrics"].as_array().into_iter().flatten() {
                let (source, only) = match metric["type"].as_str() {
                    Some("Resource") => (&metric["resource"], None),
                    Some("ContainerResource") => (
                        &metric["containerResource"],
                        metric["containerResource"]["container"].as_str(),
                    ),
                    _ => continue,
                };
                // Only utilization is a percentage of the request; averages are absolute.
                if source["target"]["type"].as_str() != Some("Utilization") {
                    continue;
                }
                let Some(resource) = source["name"].as_str() else {
                    continue;
                };
                for container in pod.containers().iter().filter(|c| !c.init) {
                    if only.is_some_and(|only| only != container.name) {
                        continue;
                    }
                    if container.value["resources"]["requests"]
                        .get(resource)
                        .is_none()
                    {
                        out.fail(
                            target_index,
                            container.at("/resources"),
                            format!(
                                "container `{}` of {} requests no `{resource}`, which the `{resource}` utilization target of {who} is measured against",
                                container.name,
                                target.subject()
                            ),
                        );
                    }
                }
            }
        }
    }
}

/// ## What it does
/// Checks that every Deployment that serves (declares container ports) in an application
/// namespace (labelled `daa.dev/namespace-role: app`) is scaled by exactly one
/// HorizontalPodAutoscaler: the Deployment's own, or, when an Argo Rollouts `Rollout` runs
/// its pods through `workloadRef`, the Rollout's.
///
/// ## Why is this bad?
/// Without an autoscaler a service cannot absorb load peaks; with two, they overwrite each
/// other's replica count.
///
/// Data namespaces are out of scope: their Redis is a single-replica cache without
/// persistence (`--save ""`, `--appendonly no`), and copies made by an autoscaler would be
/// independent caches, not a larger one; scaling it means replication, not an HPA.
pub struct UnscaledWorkload;

static UNSCALED_WORKLOAD: RuleMeta = RuleMeta {
    code: "K233-2",
    name: "workload-autoscaled",
    requirement: "REQ-T233",
    summary: "Every serving Deployment in an application namespace has exactly one HorizontalPodAutoscaler",
    rationale: "REQ-T233 asks for autoscaling of the stateless services: each serving Deployment in a namespace labelled `daa.dev/namespace-role: app` needs one HPA (two would overwrite each other's decisions). Data namespaces are excluded on purpose: the rendered Redis is a single-replica, non-persistent cache (`--save \"\"`, `--appendonly no`), which an HPA would split into independent caches, and PostgreSQL is scaled by the CloudNativePG operator (`K234-1`).",
    remediation: "Render one `autoscaling/v2` HorizontalPodAutoscaler per serving Deployment in the application namespace, and delete duplicates.",
    peers: &["polaris:hpaMinAvailability"],
};

impl Rule for UnscaledWorkload {
    fn meta(&self) -> &RuleMeta {
        &UNSCALED_WORKLOAD
    }

    fn check(&self, cx: &Context<'_>, out: &mut Check) {
        for pod in controllers(cx.set) {
            if pod.owner.kind != "Deployment"
                || !declares_ports(&pod)
                || namespace_role(cx.set, pod.namespace()) != Some("app")
            {
                continue;
            }
            out.saw();
            // With a canary the HPA scales the Rollout that runs the Deployment's pods.
            let scaled = replica_owner(cx.set, pod.owner);
            let autoscalers = autoscalers_of(cx.set, scaled);
            match autoscalers.as_slice() {
                [] => out.fail(
                    pod.index,
                    "",
                    format!(
                        "{} serves in application namespace `{}` but no HorizontalPodAutoscaler scales it",
                        scaled.subject(),
                        pod.namespace().unwrap_or_default()
                    ),
                ),
                [_] => {}
                [_, extra @ ..] => {
                    for (index, hpa) in extra {
                        out.fail(
                            *index,
                            "/spec/scaleTargetRef",
                            format!(
                                "{} scales {}, which {} already scales",
                                hpa.subject(),
                                scaled.subject(),
                                autoscalers[0].1.subject()
                            ),
                        );
                    }
                }
            }
        }
    }
}
