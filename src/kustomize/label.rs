//! The `labels` transformer: a label whose value is one per environment (`environment:
//! production`) is set by the overlay instead of a patch per object, where that lands on
//! exactly the places daactl has it.
//!
//! Kustomize's transformer sets the label on every object of the overlay, creating the map
//! where it is missing, and with `includeTemplates` also on pod templates and on a
//! StatefulSet's `volumeClaimTemplates` (kustomize
//! `api/internal/konfig/builtinpluginconsts/metadatalabels.go`). So an environment uses it
//! only if every object it renders has the label with that value at every such place; with
//! `includeTemplates` where templates agree too, without where only `metadata.labels` does.
//! Everywhere else the label is an ordinary difference and gets a patch.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::variance::{Path, Segment, Variance};

/// One `labels:` entry of an overlay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct LabelEntry {
    /// The labels and their values.
    pub pairs: BTreeMap<String, String>,
    /// Whether pod templates (and volume claim templates) get them too.
    pub include_templates: bool,
}

impl LabelEntry {
    /// The entry as a kustomization's `labels:` item.
    pub fn to_value(&self) -> Value {
        serde_json::json!({
            "pairs": self.pairs,
            "includeTemplates": self.include_templates,
        })
    }
}

/// What the `labels` transformer takes over.
#[derive(Debug, Default)]
pub(super) struct Labels {
    /// Each environment's `labels:` entries.
    pub entries: Vec<Vec<LabelEntry>>,
    /// The differing labels each environment's entries set, by resource index and path.
    pub covered: Vec<BTreeSet<(usize, Path)>>,
}

/// A field the transformer writes labels to, for objects it selects.
#[derive(Clone, Copy)]
struct Place {
    /// API group; `None` selects any.
    group: Option<&'static str>,
    /// API version; `None` selects any.
    version: Option<&'static str>,
    /// Kind; `None` selects any.
    kind: Option<&'static str>,
    /// The path of the labels map; `[]` steps into every item of a list (and creates none).
    path: &'static [&'static str],
}

const TEMPLATE: &[&str] = &["spec", "template", "metadata", "labels"];

/// The transformer's places without `includeTemplates`.
const METADATA: &[Place] = &[Place {
    group: None,
    version: None,
    kind: None,
    path: &["metadata", "labels"],
}];

/// The transformer's places with `includeTemplates`, as Kustomize v5.6.0 lists them.
const WITH_TEMPLATES: &[Place] = &[
    METADATA[0],
    Place {
        group: None,
        version: Some("v1"),
        kind: Some("ReplicationController"),
        path: TEMPLATE,
    },
    Place {
        group: None,
        version: None,
        kind: Some("Deployment"),
        path: TEMPLATE,
    },
    Place {
        group: None,
        version: None,
        kind: Some("ReplicaSet"),
        path: TEMPLATE,
    },
    Place {
        group: None,
        version: None,
        kind: Some("DaemonSet"),
        path: TEMPLATE,
    },
    Place {
        group: Some("apps"),
        version: None,
        kind: Some("StatefulSet"),
        path: TEMPLATE,
    },
    Place {
        group: Some("apps"),
        version: None,
        kind: Some("StatefulSet"),
        path: &["spec", "volumeClaimTemplates", "[]", "metadata", "labels"],
    },
    Place {
        group: Some("batch"),
        version: None,
        kind: Some("Job"),
        path: TEMPLATE,
    },
    Place {
        group: Some("batch"),
        version: None,
        kind: Some("CronJob"),
        path: &["spec", "jobTemplate", "metadata", "labels"],
    },
    Place {
        group: Some("batch"),
        version: None,
        kind: Some("CronJob"),
        path: &[
            "spec",
            "jobTemplate",
            "spec",
            "template",
            "metadata",
            "labels",
        ],
    },
];

/// The labels maps the transformer writes to in `object`, or `None` if it would create one
/// that `object` lacks (or meet something that is not a map or list on the way).
fn places(object: &Value, include_templates: bool) -> Option<Vec<Path>> {
    let api_version = object
        .get("apiVersion")
        .and_then(Value::as_str)
        .unwrap_or("");
    let (group, version) = api_version.rsplit_once('/').unwrap_or(("", api_version));
    let kind = object.get("kind").and_then(Value::as_str).unwrap_or("");
    let selected = |place: &&Place| {
        place.group.is_none_or(|g| g == group)
            && place.version.is_none_or(|v| v == version)
            && place.kind.is_none_or(|k| k == kind)
    };
    let table = if include_templates {
        WITH_TEMPLATES
    } else {
        METADATA
    };
    let mut found = Vec::new();
    for place in table.iter().filter(selected) {
        resolve(object, place.path, Path::root(), &mut found)?;
    }
    Some(found)
}

fn resolve(value: &Value, steps: &[&str], at: Path, found: &mut Vec<Path>) -> Option<()> {
    let Some((step, rest)) = steps.split_first() else {
        value.is_object().then(|| found.push(at))?;
        return Some(());
    };
    if *step == "[]" {
        for (index, item) in value.as_array()?.iter().enumerate() {
            resolve(item, rest, at.index(index), found)?;
        }
        return Some(());
    }
    let next = value.as_object()?.get(*step);
    match next {
        Some(next) => resolve(next, rest, at.key(step), found),
        // A list to step into that is absent is left alone; anything else is created.
        None if rest.first() == Some(&"[]") => Some(()),
        None => None,
    }
}

/// Whether every object holds `key: value` at every place the transformer would write.
fn lands_exactly(objects: &[Option<Value>], key: &str, value: &str, templates: bool) -> bool {
    objects.iter().flatten().all(|object| {
        places(object, templates).is_some_and(|found| {
            found.iter().all(|place| {
                let map = place_value(object, place);
                map.and_then(|m| m.get(key)).and_then(Value::as_str) == Some(value)
            })
        })
    })
}

fn place_value<'a>(object: &'a Value, place: &Path) -> Option<&'a Value> {
    object.pointer(&place.pointer())
}

/// Decides which differing labels the transformer sets. `base[i]` tells whether resource
/// `i` is written to base; `values[env][i]` is resource `i` as environment `env` renders it.
pub(super) fn decide(variance: &Variance, base: &[bool], values: &[Vec<Option<Value>>]) -> Labels {
    let count = variance.environments.len();
    // Labels that differ at a place the transformer writes, with each environment's value
    // at the first such difference.
    let mut candidates: BTreeMap<String, Vec<Option<String>>> = BTreeMap::new();
    for (index, resource) in variance.resources.iter().enumerate() {
        if !base[index] {
            continue;
        }
        let is_place = |at: &[Segment]| {
            (0..count).any(|env| {
                values[env][index].as_ref().is_some_and(|object| {
                    places(object, true)
                        .is_some_and(|found| found.iter().any(|p| p.0.as_slice() == at))
                })
            })
        };
        for (path, per_env) in resource.node.differences() {
            let mut found: Vec<(&String, Vec<Option<&Value>>)> = Vec::new();
            if let [parent @ .., Segment::Key(key)] = path.0.as_slice()
                && is_place(parent)
            {
                found.push((key, per_env.iter().map(Option::as_ref).collect()));
            }
            // A labels map that differs as a whole.
            if is_place(&path.0) {
                for map in per_env.iter().flatten().filter_map(Value::as_object) {
                    for key in map.keys() {
                        let each = per_env.iter().map(|v| v.as_ref()?.get(key)).collect();
                        found.push((key, each));
                    }
                }
            }
            for (key, each) in found {
                candidates.entry(key.clone()).or_insert_with(|| {
                    each.iter()
                        .map(|v| v.and_then(Value::as_str).map(str::to_owned))
                        .collect()
                });
            }
        }
    }
    let mut labels = Labels {
        entries: vec![Vec::new(); count],
        covered: vec![BTreeSet::new(); count],
    };
    for env in 0..count {
        let mut pairs: [BTreeMap<String, String>; 2] = Default::default();
        for (key, per_env) in &candidates {
            let Some(value) = &per_env[env] else { continue };
            let choice = [true, false]
                .into_iter()
                .find(|templates| lands_exactly(&values[env], key, value, *templates));
            let Some(templates) = choice else { continue };
            pairs[usize::from(templates)].insert(key.clone(), value.clone());
            for (index, object) in values[env].iter().enumerate() {
                let Some(object) = object.as_ref().filter(|_| base[index]) else {
                    continue;
                };
                for place in places(object, templates).into_iter().flatten() {
                    labels.covered[env].insert((index, place.key(key)));
                }
            }
        }
        for (templates, pairs) in [(true, &pairs[1]), (false, &pairs[0])] {
            if !pairs.is_empty() {
                labels.entries[env].push(LabelEntry {
                    pairs: pairs.clone(),
                    include_templates: templates,
                });
            }
        }
    }
    labels
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn pointers(object: &Value, templates: bool) -> Option<Vec<String>> {
        places(object, templates).map(|found| found.iter().map(Path::pointer).collect())
    }

    #[test]
    fn templates_include_volume_claim_templates() {
        let set = json!({
            "apiVersion": "apps/v1", "kind": "StatefulSet",
            "metadata": {"name": "db", "labels": {}},
            "spec": {
                "template": {"metadata": {"labels": {}}},
                "volumeClaimTemplates": [{"metadata": {"name": "data", "labels": {}}}]
            }
        });
        assert_eq!(
            pointers(&set, true).unwrap(),
            [
                "/metadata/labels",
                "/spec/template/metadata/labels",
                "/spec/volumeClaimTemplates/0/metadata/labels"
            ]
        );
        assert_eq!(pointers(&set, false).unwrap(), ["/metadata/labels"]);
        let bare_claim = json!({
            "apiVersion": "apps/v1", "kind": "StatefulSet",
            "metadata": {"name": "db", "labels": {}},
            "spec": {
                "template": {"metadata": {"labels": {}}},
                "volumeClaimTemplates": [{"metadata": {"name": "data"}}]
            }
        });
        assert_eq!(pointers(&bare_claim, true), None, "would create labels");
    }

    #[test]
    fn an_absent_list_is_not_created() {
        let set = json!({
            "apiVersion": "apps/v1", "kind": "StatefulSet",
            "metadata": {"labels": {}},
            "spec": {"template": {"metadata": {"labels": {}}}}
        });
        assert_eq!(pointers(&set, true).unwrap().len(), 2);
        let cluster = json!({
            "apiVersion": "postgresql.cnpg.io/v1", "kind": "Cluster",
            "metadata": {"labels": {}},
            "spec": {"inheritedMetadata": {"labels": {}}}
        });
        assert_eq!(
            pointers(&cluster, true).unwrap(),
            ["/metadata/labels"],
            "a custom resource's templates are its own business"
        );
        let unlabelled = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {}});
        assert_eq!(pointers(&unlabelled, false), None);
    }
}
