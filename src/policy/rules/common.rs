//! Helpers shared by the rule families: how findings name objects, JSON pointer tokens,
//! label selectors as text, and the pods a set runs, including those the CloudNativePG
//! operator creates from a `Cluster` rather than from a pod template.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::policy::manifest::{Manifest, ManifestSet, string_map};
use crate::policy::workload::{pod_templates, selects};

/// ``Kind `namespace/name` ``, or ``Kind `name` `` without a namespace, as findings name
/// objects.
pub fn subject(manifest: &Manifest) -> String {
    match &manifest.namespace {
        Some(ns) => format!("{} `{ns}/{}`", manifest.kind, manifest.name),
        None => format!("{} `{}`", manifest.kind, manifest.name),
    }
}

/// One JSON pointer reference token (RFC 6901): `~` and `/` escaped.
pub fn token(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// Whether `manifest` is a CloudNativePG `Cluster` (`postgresql.cnpg.io/*`).
pub fn is_cnpg_cluster(manifest: &Manifest) -> bool {
    manifest.kind == "Cluster" && manifest.api_version.starts_with("postgresql.cnpg.io/")
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
        let values: Vec<&str> = expression["values"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
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
}

impl Pods<'_> {
    /// The namespace the pods run in.
    pub fn namespace(&self) -> Option<&str> {
        self.owner.namespace.as_deref()
    }

    /// ``pods of Deployment `ns/name` ``.
    pub fn describe(&self) -> String {
        format!("pods of {}", subject(self.owner))
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
            Pods {
                index: pod.index,
                owner: pod.owner,
                labels_pointer: format!(
                    "{}/metadata/labels",
                    pod.pointer.strip_suffix("/spec").unwrap_or("")
                ),
                label_sets: vec![labels],
            }
        })
        .collect();
    for (index, cluster) in set.manifests.iter().enumerate() {
        if !is_cnpg_cluster(cluster) {
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
        });
    }
    all.sort_by_key(|pods| pods.index);
    all
}
