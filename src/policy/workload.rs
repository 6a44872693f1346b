//! Views of the pods a set of manifests would run: every pod template of every workload kind
//! and every container in it, each with its JSON pointer, so rules about pods are written
//! once whatever the owning kind.

use std::collections::BTreeMap;

use serde_json::Value;

use super::manifest::{Manifest, ManifestSet, string_map};

/// Where each workload kind keeps its pod template.
const POD_SPEC_POINTERS: &[(&str, &str)] = &[
    ("Pod", "/spec"),
    ("Deployment", "/spec/template/spec"),
    ("StatefulSet", "/spec/template/spec"),
    ("DaemonSet", "/spec/template/spec"),
    ("ReplicaSet", "/spec/template/spec"),
    ("ReplicationController", "/spec/template/spec"),
    ("Job", "/spec/template/spec"),
    ("CronJob", "/spec/jobTemplate/spec/template/spec"),
    ("Rollout", "/spec/template/spec"),
];

/// One pod template (or bare Pod).
#[derive(Debug, Clone, Copy)]
pub struct PodTemplate<'a> {
    /// Index of the owning object in the set.
    pub index: usize,
    /// The owning object.
    pub owner: &'a Manifest,
    /// JSON pointer of the pod spec inside the owner.
    pub pointer: &'static str,
    /// The pod spec.
    pub spec: &'a Value,
}

impl<'a> PodTemplate<'a> {
    /// The pod's labels (the template's, or a bare Pod's own).
    pub fn labels(&self) -> BTreeMap<&'a str, &'a str> {
        let metadata_pointer = self.pointer.strip_suffix("/spec").unwrap_or("");
        let metadata = self
            .owner
            .value
            .pointer(&format!("{metadata_pointer}/metadata/labels"));
        metadata.map(string_map).unwrap_or_default()
    }

    /// The namespace the pods run in.
    pub fn namespace(&self) -> Option<&'a str> {
        self.owner.namespace.as_deref()
    }

    /// A pointer below the pod spec.
    pub fn at(&self, suffix: &str) -> String {
        format!("{}{suffix}", self.pointer)
    }

    /// Every container and init container, in order.
    pub fn containers(&self) -> Vec<Container<'a>> {
        let mut all = Vec::new();
        for (field, init) in [
            ("initContainers", true),
            ("containers", false),
            ("ephemeralContainers", true),
        ] {
            for (i, value) in self.spec[field]
                .as_array()
                .into_iter()
                .flatten()
                .enumerate()
            {
                all.push(Container {
                    pointer: format!("{}/{field}/{i}", self.pointer),
                    name: value["name"].as_str().unwrap_or("?"),
                    value,
                    init,
                });
            }
        }
        all
    }
}

/// One container of a pod template.
#[derive(Debug, Clone)]
pub struct Container<'a> {
    /// JSON pointer of the container inside the owner.
    pub pointer: String,
    /// Its name.
    pub name: &'a str,
    /// The container.
    pub value: &'a Value,
    /// An init or ephemeral container (not serving).
    pub init: bool,
}

impl Container<'_> {
    /// A pointer below the container.
    pub fn at(&self, suffix: &str) -> String {
        format!("{}{suffix}", self.pointer)
    }
}

/// Every pod template in the set, in set order.
pub fn pod_templates(set: &ManifestSet) -> Vec<PodTemplate<'_>> {
    set.manifests
        .iter()
        .enumerate()
        .filter_map(|(index, owner)| {
            let (_, pointer) = POD_SPEC_POINTERS.iter().find(|(k, _)| *k == owner.kind)?;
            let spec = owner.value.pointer(pointer)?;
            Some(PodTemplate {
                index,
                owner,
                pointer,
                spec,
            })
        })
        .collect()
}

/// Whether a label selector (`matchLabels` and `matchExpressions`, or a plain map as
/// Services use) selects `labels`. An empty selector selects everything.
pub fn selects(selector: &Value, labels: &BTreeMap<&str, &str>) -> bool {
    let Some(selector) = selector.as_object() else {
        return true;
    };
    let is_label_selector =
        selector.contains_key("matchLabels") || selector.contains_key("matchExpressions");
    let match_labels: BTreeMap<&str, &str> = if is_label_selector {
        // `Map`'s index panics on a missing key, and a selector may have only expressions.
        selector
            .get("matchLabels")
            .map(string_map)
            .unwrap_or_default()
    } else {
        selector
            .iter()
            .filter_map(|(k, v)| Some((k.as_str(), v.as_str()?)))
            .collect()
    };
    if !match_labels
        .iter()
        .all(|(k, v)| labels.get(k).is_some_and(|have| have == v))
    {
        return false;
    }
    selector
        .get("matchExpressions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .all(|expression| {
            let key = expression["key"].as_str().unwrap_or_default();
            let values = expression_values(expression);
            let have = labels.get(key);
            match expression["operator"].as_str() {
                Some("In") => have.is_some_and(|v| values.contains(v)),
                Some("NotIn") => have.is_none_or(|v| !values.contains(v)),
                Some("Exists") => have.is_some(),
                Some("DoesNotExist") => have.is_none(),
                _ => false,
            }
        })
}

/// The `values` of one `matchExpressions` entry.
pub fn expression_values(expression: &Value) -> Vec<&str> {
    expression["values"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn selectors_match_labels_and_expressions() {
        let labels: BTreeMap<&str, &str> = [("app", "a"), ("tier", "web")].into();
        assert!(selects(&json!({"app": "a"}), &labels));
        assert!(!selects(&json!({"app": "b"}), &labels));
        assert!(selects(&json!({}), &labels));
        assert!(selects(&json!({"matchLabels": {"tier": "web"}}), &labels));
        assert!(selects(
            &json!({"matchExpressions": [{"key": "app", "operator": "In", "values": ["a", "b"]}]}),
            &labels
        ));
        assert!(!selects(
            &json!({"matchExpressions": [{"key": "zone", "operator": "Exists"}]}),
            &labels
        ));
    }
}
