//! Cross-object lookups the workload, availability and database rules share: which
//! workloads serve, which autoscalers scale them, how few pods they can run, which pods a
//! selector reaches (CloudNativePG instances included), and which role a namespace has.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::policy::manifest::{Manifest, ManifestSet};
use crate::policy::workload::{PodTemplate, pod_templates, selects};

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

/// A workload's effective minimum replicas: the first targeting autoscaler's `minReplicas`
/// (default 1), else `spec.replicas` (default 1).
pub fn min_replicas(set: &ManifestSet, workload: &Manifest) -> MinReplicas {
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

/// A workload's most pods: the first targeting autoscaler's `maxReplicas`, else
/// `spec.replicas` (default 1).
pub fn max_replicas(set: &ManifestSet, workload: &Manifest) -> u64 {
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

/// Whether an object is a CloudNativePG `Cluster`.
pub fn is_cnpg_cluster(manifest: &Manifest) -> bool {
    manifest.kind == "Cluster" && manifest.api_version.starts_with("postgresql.cnpg.io/")
}

/// The CloudNativePG `Cluster`s of the set, with their index.
pub fn cnpg_clusters(set: &ManifestSet) -> impl Iterator<Item = (usize, &Manifest)> {
    set.manifests
        .iter()
        .enumerate()
        .filter(|(_, m)| is_cnpg_cluster(m))
}

/// A kind of pod some object in the set makes: its labels and declared container ports.
#[derive(Debug, Clone)]
pub struct Pods<'a> {
    /// Index of the object that makes them.
    pub index: usize,
    /// The object that makes them.
    pub owner: &'a Manifest,
    /// Their labels.
    pub labels: BTreeMap<&'a str, &'a str>,
    /// The ports serving containers declare: `(name, number)`.
    pub ports: Vec<(Option<&'a str>, i64)>,
}

/// The container ports of a CloudNativePG instance pod (the operator's `pkg/specs/pods.go`).
const CNPG_PORTS: &[(&str, i64)] = &[("postgresql", 5432), ("metrics", 9187), ("status", 8000)];

/// Every kind of pod the objects in `namespace` make: each workload's pod template, and for
/// each CloudNativePG `Cluster` its primary and its replicas (labelled `cnpg.io/cluster`,
/// `cnpg.io/podRole: instance`, the role labels, and `inheritedMetadata.labels`).
pub fn pods_in<'a>(set: &'a ManifestSet, namespace: Option<&str>) -> Vec<Pods<'a>> {
    let mut pods: Vec<Pods<'a>> = pod_templates(set)
        .into_iter()
        .filter(|pod| pod.namespace() == namespace)
        .map(|pod| {
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
                labels: pod.labels(),
                ports,
            }
        })
        .collect();
    for (index, cluster) in cnpg_clusters(set) {
        if cluster.namespace.as_deref() != namespace {
            continue;
        }
        for role in ["primary", "replica"] {
            let mut labels: BTreeMap<&str, &str> =
                cluster.value["spec"]["inheritedMetadata"]["labels"]
                    .as_object()
                    .into_iter()
                    .flatten()
                    .filter_map(|(k, v)| Some((k.as_str(), v.as_str()?)))
                    .collect();
            labels.insert("cnpg.io/cluster", cluster.name.as_str());
            labels.insert("cnpg.io/podRole", "instance");
            labels.insert("cnpg.io/instanceRole", role);
            labels.insert("role", role);
            pods.push(Pods {
                index,
                owner: cluster,
                labels,
                ports: CNPG_PORTS
                    .iter()
                    .map(|(name, number)| (Some(*name), *number))
                    .collect(),
            });
        }
    }
    pods
}

/// The pods of `pods` a selector reaches. A missing or empty selector reaches none here:
/// Services without one have hand-made endpoints, and rules ask what a selector names.
pub fn selected<'p, 'a>(selector: &Value, pods: &'p [Pods<'a>]) -> Vec<&'p Pods<'a>> {
    if selector.as_object().is_none_or(|s| s.is_empty()) {
        return Vec::new();
    }
    pods.iter()
        .filter(|pod| selects(selector, &pod.labels))
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

/// An object as messages name it: `` Kind `namespace/name` ``.
pub fn named(manifest: &Manifest) -> String {
    match &manifest.namespace {
        Some(ns) => format!("{} `{ns}/{}`", manifest.kind, manifest.name),
        None => format!("{} `{}`", manifest.kind, manifest.name),
    }
}

/// An int-or-string value as written: `0`, `25%`.
pub fn shown(value: &Value) -> String {
    value
        .as_str()
        .map_or_else(|| value.to_string(), str::to_owned)
}
