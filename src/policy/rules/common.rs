//! What the rule families share: JSON pointer tokens, label selectors as text, the pods a
//! set runs (including those the CloudNativePG operator creates from a `Cluster` rather
//! than from a pod template) and which selectors reach them, which workloads serve, which
//! autoscalers scale them and how few pods they run (following an Argo Rollouts `Rollout`
//! that runs a Deployment's pods through `workloadRef`), and which role a namespace has.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::policy::manifest::{Manifest, ManifestSet, string_map};
use crate::policy::workload::{PodTemplate, expression_values, pod_templates, selects};

/// One JSON pointer reference token (RFC 6901): `~` and `/` escaped.
pub fn token(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// Whether a label selector constrains nothing (`{}`, or empty `matchLabels` and
/// `matchExpressions`), so it selects every pod or namespace.
pub fn is_empty_selector(selector: &Value) -> bool {
    match selector.as_object() {
        None => true,
        Some(map) => map.iter().all(|(key, value)| match key.as_str() {
            "matchLabels" => value.as_object().is_none_or(|m| m.is_empty()),
            "matchExpressions" => value.as_array().is_none_or(Vec::is_empty),
            _ => false,
        }),
    }
}

/// A label selector as text: `app=api, tier in (web, worker), !canary`.
pub fn describe_selector(selector: &Value) -> String {
    let mut parts: Vec<String> = string_map(&selector["matchLabels"])
        .into_iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    for expression in selector["matchExpressions"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let key = expression["key"].as_str().unwrap_or("?");
        let values = expression_values(expression);
        parts.push(match expression["operator"].as_str() {
            Some("In") => format!("{key} in ({})", values.join(", ")),
            Some("NotIn") => format!("{key} notin ({})", values.join(", ")),
            Some("Exists") => key.to_owned(),
            Some("DoesNotExist") => format!("!{key}"),
            other => format!("{key} {}", other.unwrap_or("?")),
        });
    }
    parts.join(", ")
}

/// The pods one object makes: a workload's pod template, or the instances of a CloudNativePG
/// `Cluster`.
#[derive(Debug, Clone)]
pub struct Pods<'a> {
    /// Index of the object in the set.
    pub index: usize,
    /// The object.
    pub owner: &'a Manifest,
    /// Where the pods' labels are decided: the template's `metadata/labels`, or a Cluster's
    /// `metadata/name`.
    pub labels_pointer: String,
    /// The labels of each kind of pod it makes. A pod template makes one kind; a Cluster
    /// makes a primary and, with more than one instance, replicas.
    pub label_sets: Vec<BTreeMap<String, String>>,
    /// The ports its serving containers declare: `(name, number)`.
    pub ports: Vec<(Option<&'a str>, i64)>,
}

impl Pods<'_> {
    /// The namespace the pods run in.
    pub fn namespace(&self) -> Option<&str> {
        self.owner.namespace.as_deref()
    }

    /// ``pods of Deployment `ns/name` ``.
    pub fn describe(&self) -> String {
        format!("pods of {}", self.owner.subject())
    }

    /// Whether `selector` selects any of its pods.
    pub fn selected_by(&self, selector: &Value) -> bool {
        self.label_sets.iter().any(|labels| {
            let labels: BTreeMap<&str, &str> = labels
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            selects(selector, &labels)
        })
    }
}

/// Every object that makes pods, in set order: each pod template (see
/// [`crate::policy::workload::pod_templates`]) and each CloudNativePG `Cluster`.
///
/// The operator creates a Cluster's instance pods itself, labelled `cnpg.io/cluster=<name>`,
/// `cnpg.io/podRole=instance` and `cnpg.io/instanceRole` (with the legacy `role`) `primary`
/// or `replica`, plus `spec.inheritedMetadata.labels`; NetworkPolicies for PostgreSQL select
/// those labels, so rules about which pods exist must count them.
pub fn pods(set: &ManifestSet) -> Vec<Pods<'_>> {
    let mut all: Vec<Pods<'_>> = pod_templates(set)
        .into_iter()
        .map(|pod| {
            let labels = pod
                .labels()
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect();
            let ports = pod
                .containers()
                .into_iter()
                .filter(|container| !container.init)
                .flat_map(|container| container.value["ports"].as_array().into_iter().flatten())
                .filter_map(|port| Some((port["name"].as_str(), port["containerPort"].as_i64()?)))
                .collect();
            Pods {
                index: pod.index,
                owner: pod.owner,
                ports,
                labels_pointer: format!(
                    "{}/metadata/labels",
                    pod.pointer.strip_suffix("/spec").unwrap_or("")
                ),
                label_sets: vec![labels],
            }
        })
        .collect();
    for (index, cluster) in set.manifests.iter().enumerate() {
        if !cluster.is_cnpg_cluster() {
            continue;
        }
        let mut base: BTreeMap<String, String> =
            string_map(&cluster.value["spec"]["inheritedMetadata"]["labels"])
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect();
        base.insert("cnpg.io/cluster".into(), cluster.name.clone());
        base.insert("cnpg.io/podRole".into(), "instance".into());
        let instances = cluster.value["spec"]["instances"].as_u64().unwrap_or(1);
        let roles: &[&str] = if instances > 1 {
            &["primary", "replica"]
        } else {
            &["primary"]
        };
        let label_sets = roles
            .iter()
            .map(|role| {
                let mut labels = base.clone();
                labels.insert("cnpg.io/instanceRole".into(), (*role).into());
                labels.insert("role".into(), (*role).into());
                labels
            })
            .collect();
        all.push(Pods {
            index,
            owner: cluster,
            labels_pointer: "/metadata/name".into(),
            label_sets,
            ports: CNPG_PORTS
                .iter()
                .map(|(name, number)| (Some(*name), *number))
                .collect(),
        });
    }
    all.sort_by_key(|pods| pods.index);
    all
}

/// The namespace label naming what a namespace holds: `app`, `data`, ...
pub const NAMESPACE_ROLE_LABEL: &str = "daa.dev/namespace-role";

/// The pod templates of Deployments and StatefulSets, the controllers that run long-lived
/// replicated pods.
pub fn controllers(set: &ManifestSet) -> Vec<PodTemplate<'_>> {
    pod_templates(set)
        .into_iter()
        .filter(|pod| matches!(pod.owner.kind.as_str(), "Deployment" | "StatefulSet"))
        .collect()
}

/// Whether a serving (non-init) container of the pod declares a port: the pod takes traffic.
pub fn declares_ports(pod: &PodTemplate<'_>) -> bool {
    pod.containers().iter().any(|container| {
        !container.init
            && container.value["ports"]
                .as_array()
                .is_some_and(|ports| !ports.is_empty())
    })
}

/// The Argo Rollouts `Rollout` (same namespace) whose `workloadRef` names `workload`: it runs
/// the pods of the workload's template and owns their replica count, so questions about
/// how many pods the template makes are asked of it.
pub fn rollout_of<'a>(set: &'a ManifestSet, workload: &Manifest) -> Option<(usize, &'a Manifest)> {
    set.of_kind("Rollout").find(|(_, rollout)| {
        let reference = &rollout.value["spec"]["workloadRef"];
        rollout.api_version.starts_with("argoproj.io/")
            && rollout.namespace == workload.namespace
            && reference["kind"].as_str() == Some(workload.kind.as_str())
            && reference["name"].as_str() == Some(workload.name.as_str())
            && reference["apiVersion"]
                .as_str()
                .is_none_or(|version| version == workload.api_version)
    })
}

/// The object whose replica count decides how many pods `workload`'s template runs: the
/// Rollout that refers to it ([`rollout_of`]), else the workload itself.
pub fn replica_owner<'a>(set: &'a ManifestSet, workload: &'a Manifest) -> &'a Manifest {
    rollout_of(set, workload).map_or(workload, |(_, rollout)| rollout)
}

/// The pod template a workload runs: its own, or for a Rollout with a `workloadRef` the
/// referenced workload's (same namespace).
pub fn template_of<'a>(set: &'a ManifestSet, workload: &Manifest) -> Option<PodTemplate<'a>> {
    let reference = &workload.value["spec"]["workloadRef"];
    let (kind, name) = if workload.kind == "Rollout" && reference.is_object() {
        (reference["kind"].as_str()?, reference["name"].as_str()?)
    } else {
        (workload.kind.as_str(), workload.name.as_str())
    };
    pod_templates(set).into_iter().find(|pod| {
        pod.owner.kind == kind
            && pod.owner.name == name
            && pod.owner.namespace == workload.namespace
    })
}

/// The HorizontalPodAutoscalers whose `scaleTargetRef` names `target` (same namespace).
pub fn autoscalers_of<'a>(set: &'a ManifestSet, target: &Manifest) -> Vec<(usize, &'a Manifest)> {
    set.of_kind("HorizontalPodAutoscaler")
        .filter(|(_, hpa)| {
            let reference = &hpa.value["spec"]["scaleTargetRef"];
            hpa.namespace == target.namespace
                && reference["kind"].as_str() == Some(target.kind.as_str())
                && reference["name"].as_str() == Some(target.name.as_str())
        })
        .collect()
}

/// The fewest pods a workload runs, and what says so.
#[derive(Debug, Clone, Copy)]
pub struct MinReplicas {
    /// The count.
    pub count: u64,
    /// The HorizontalPodAutoscaler that sets it (its index), if one targets the workload;
    /// otherwise the workload's own `spec.replicas` (default 1) sets it.
    pub autoscaler: Option<usize>,
}

/// A workload's effective minimum replicas, asked of its [`replica_owner`]: the first
/// targeting autoscaler's `minReplicas` (default 1), else `spec.replicas` (default 1).
pub fn min_replicas(set: &ManifestSet, workload: &Manifest) -> MinReplicas {
    let workload = replica_owner(set, workload);
    match autoscalers_of(set, workload).first() {
        Some((index, hpa)) => MinReplicas {
            count: hpa.value["spec"]["minReplicas"].as_u64().unwrap_or(1),
            autoscaler: Some(*index),
        },
        None => MinReplicas {
            count: workload.value["spec"]["replicas"].as_u64().unwrap_or(1),
            autoscaler: None,
        },
    }
}

/// A workload's most pods, asked of its [`replica_owner`]: the first targeting autoscaler's
/// `maxReplicas`, else `spec.replicas` (default 1).
pub fn max_replicas(set: &ManifestSet, workload: &Manifest) -> u64 {
    let workload = replica_owner(set, workload);
    match autoscalers_of(set, workload).first() {
        Some((_, hpa)) => hpa.value["spec"]["maxReplicas"].as_u64().unwrap_or(1),
        None => workload.value["spec"]["replicas"].as_u64().unwrap_or(1),
    }
}

/// The `daa.dev/namespace-role` label of namespace `name`, when its Namespace is in the set.
pub fn namespace_role<'a>(set: &'a ManifestSet, name: Option<&str>) -> Option<&'a str> {
    let name = name?;
    let (_, namespace) = set.find("Namespace", None, name)?;
    namespace.value["metadata"]["labels"][NAMESPACE_ROLE_LABEL].as_str()
}

/// The CloudNativePG `Cluster`s of the set, with their index.
pub fn cnpg_clusters(set: &ManifestSet) -> impl Iterator<Item = (usize, &Manifest)> {
    set.manifests
        .iter()
        .enumerate()
        .filter(|(_, m)| m.is_cnpg_cluster())
}

/// The container ports of a CloudNativePG instance pod (the operator's `pkg/specs/pods.go`).
const CNPG_PORTS: &[(&str, i64)] = &[("postgresql", 5432), ("metrics", 9187), ("status", 8000)];

/// The pods of [`pods`] that run in `namespace`.
pub fn pods_in<'a>(set: &'a ManifestSet, namespace: Option<&str>) -> Vec<Pods<'a>> {
    pods(set)
        .into_iter()
        .filter(|pods| pods.namespace() == namespace)
        .collect()
}

/// The pods of `pods` a selector reaches. A missing or empty selector reaches none here:
/// Services without one have hand-made endpoints, and rules ask what a selector names.
pub fn selected<'p, 'a>(selector: &Value, pods: &'p [Pods<'a>]) -> Vec<&'p Pods<'a>> {
    if selector.as_object().is_none_or(|s| s.is_empty()) {
        return Vec::new();
    }
    pods.iter()
        .filter(|pod| pod.selected_by(selector))
        .collect()
}

/// The owners of `pods`, each once, in order.
pub fn owners<'a>(pods: &[&Pods<'a>]) -> Vec<&'a Manifest> {
    let mut seen: Vec<usize> = Vec::new();
    let mut owners = Vec::new();
    for pod in pods {
        if !seen.contains(&pod.index) {
            seen.push(pod.index);
            owners.push(pod.owner);
        }
    }
    owners
}

/// A Kubernetes int-or-string that is a count or a percentage: `Some((value, is_percent))`.
pub fn int_or_percent(value: &Value) -> Option<(u64, bool)> {
    if let Some(n) = value.as_u64() {
        return Some((n, false));
    }
    let text = value.as_str()?;
    let digits = text.strip_suffix('%')?;
    digits.parse().ok().map(|n| (n, true))
}

/// An int-or-string value as written: `0`, `25%`.
pub fn shown(value: &Value) -> String {
    value
        .as_str()
        .map_or_else(|| value.to_string(), str::to_owned)
}
