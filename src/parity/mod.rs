//! Environment parity (REQ-T245): every difference between environments, each either allowed
//! by `schemas/parity.toml` (scale and data) or a violation.
//!
//! It reads the same [`Variance`] the Kustomize overlays and the Helm chart are written from,
//! and compares leaf by leaf: a quota whose every limit differs is one difference in the
//! variance model but several here, each judged on its own.

pub mod allow;
pub mod report;

use serde_json::Value;

pub use allow::{AllowList, AllowListError, Category};

use crate::policy::manifest::ManifestSet;
use crate::render::{Rendered, Resource};
use crate::variance::{Key, Name, Path, Scope, Segment, Variance, VariedResource};

/// How a difference is judged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// On the allow-list (or only the environments' own names differ).
    Allowed {
        /// Why it may differ.
        category: Category,
        /// The allow-list's reason.
        reason: String,
        /// The allow-list path that covers it, if one did.
        pattern: Option<String>,
    },
    /// Not allowed: the environments are not alike here.
    Violation,
}

impl Verdict {
    /// Whether it is a violation.
    pub fn is_violation(&self) -> bool {
        matches!(self, Verdict::Violation)
    }
}

/// One field that differs between environments.
#[derive(Debug, Clone, PartialEq)]
pub struct Difference {
    /// Where, in the object.
    pub path: Path,
    /// The path as users read it, list items by name: `spec.containers[web].image`.
    pub named: String,
    /// Each environment's value (`None`: absent, or the environment lacks the object).
    pub values: Vec<Option<Value>>,
    /// Allowed or not.
    pub verdict: Verdict,
}

/// An object that differs between environments, or exists in only some.
#[derive(Debug, Clone, PartialEq)]
pub struct ObjectParity {
    /// The object.
    pub key: Key,
    /// Which environments render it.
    pub present: Vec<bool>,
    /// How its absence from some environments is judged; `None` when all render it.
    pub presence: Option<Verdict>,
    /// Its differing fields.
    pub differences: Vec<Difference>,
}

/// The parity of a set of environments.
#[derive(Debug, Clone, PartialEq)]
pub struct Parity {
    /// The environments compared.
    pub environments: Vec<String>,
    /// The environment the others are compared with (the allow-list's reference when it is
    /// among them, else the first).
    pub reference: usize,
    /// Every object with a difference, in the variance's order.
    pub objects: Vec<ObjectParity>,
}

impl Parity {
    /// Judges every difference of `variance` against `allow`.
    pub fn of(variance: &Variance, allow: &AllowList) -> Parity {
        let reference = variance.index(&allow.reference).unwrap_or(0);
        let names: Vec<Vec<(String, String)>> = (0..variance.environments.len())
            .map(|env| own_names(variance, env))
            .collect();
        let objects = variance
            .resources
            .iter()
            .filter_map(|resource| judge_object(resource, allow, &names))
            .collect();
        Parity {
            environments: variance.environments.clone(),
            reference,
            objects,
        }
    }

    /// The number of violations (fields and objects).
    pub fn violations(&self) -> usize {
        self.objects
            .iter()
            .map(|o| {
                usize::from(o.presence.as_ref().is_some_and(Verdict::is_violation))
                    + o.differences
                        .iter()
                        .filter(|d| d.verdict.is_violation())
                        .count()
            })
            .sum()
    }

    /// The violations that concern environment `env`: where it differs from the reference,
    /// or lacks or adds an object. Empty for the reference itself.
    pub fn violations_in(&self, env: usize) -> Vec<EnvironmentViolation<'_>> {
        let mut out = Vec::new();
        if env == self.reference {
            return out;
        }
        for object in &self.objects {
            let (here, there) = (object.present[env], object.present[self.reference]);
            if here != there && object.presence.as_ref().is_some_and(Verdict::is_violation) {
                out.push(EnvironmentViolation {
                    object,
                    difference: None,
                });
            }
            if !(here && there) {
                continue;
            }
            for difference in &object.differences {
                if difference.verdict.is_violation()
                    && difference.values[env] != difference.values[self.reference]
                {
                    out.push(EnvironmentViolation {
                        object,
                        difference: Some(difference),
                    });
                }
            }
        }
        out
    }
}

/// What parity says about one environment, in that environment's own names: what rule
/// K245-1 of `daactl validate` reports.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EnvironmentParity {
    /// The environment compared with.
    pub reference: String,
    /// How many of the environment's objects were compared with the reference.
    pub compared: usize,
    /// Each violation.
    pub violations: Vec<ParityViolation>,
}

/// One parity violation of an environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParityViolation {
    /// The object's kind.
    pub kind: String,
    /// Its namespace in this environment.
    pub namespace: Option<String>,
    /// Its name in this environment.
    pub name: String,
    /// Whether the environment has the object (else it is missing here).
    pub here: bool,
    /// Where in it (`""` for the whole object).
    pub pointer: String,
    /// What differs, one sentence.
    pub message: String,
}

impl Parity {
    /// What parity says about environment `env` of `variance` (the variance this parity was
    /// judged from).
    pub fn environment(&self, variance: &Variance, env: usize) -> EnvironmentParity {
        let reference = &self.environments[self.reference];
        let here = &self.environments[env];
        let literal = |key: &Key| -> (Option<String>, String) {
            let namespace = match &key.scope {
                Scope::Cluster => None,
                Scope::Role(role) => variance.namespace(env, role).map(str::to_owned),
                Scope::Namespace(namespace) => Some(namespace.clone()),
            };
            let name = match &key.name {
                Name::Literal(name) => name.clone(),
                Name::NamespaceRole(role) => variance
                    .namespace(env, role)
                    .unwrap_or(role.as_str())
                    .to_owned(),
            };
            (namespace, name)
        };
        let violations = self
            .violations_in(env)
            .into_iter()
            .map(|violation| {
                let key = &violation.object.key;
                let (namespace, name) = literal(key);
                let shown = key.display();
                let present_here = violation.object.present[env];
                let (pointer, message) = match violation.difference {
                    Some(difference) => (
                        difference.path.pointer(),
                        format!(
                            "`{}` of `{shown}` is {} here but {} in {reference}, and schemas/parity.toml does not let it differ",
                            difference.named,
                            shown_value(difference.values[env].as_ref()),
                            shown_value(difference.values[self.reference].as_ref()),
                        ),
                    ),
                    None if present_here => (
                        String::new(),
                        format!("`{shown}` exists in {here} but not in {reference}, and schemas/parity.toml does not list it as an adapter"),
                    ),
                    None => (
                        String::new(),
                        format!("{reference} renders `{shown}` but {here} does not, and schemas/parity.toml does not list it as an adapter"),
                    ),
                };
                ParityViolation {
                    kind: key.kind.clone(),
                    namespace,
                    name,
                    here: present_here,
                    pointer,
                    message,
                }
            })
            .collect();
        EnvironmentParity {
            reference: reference.clone(),
            compared: variance
                .resources
                .iter()
                .filter(|r| r.present[env] && r.present[self.reference])
                .count(),
            violations,
        }
    }
}

fn shown_value(value: Option<&Value>) -> String {
    match value {
        Some(value) => format!("`{value}`"),
        None => "absent".to_owned(),
    }
}

/// A violation as one environment sees it.
#[derive(Debug, Clone, Copy)]
pub struct EnvironmentViolation<'a> {
    /// The object.
    pub object: &'a ObjectParity,
    /// The differing field; `None` when the object exists in only one of the environment
    /// and the reference.
    pub difference: Option<&'a Difference>,
}

/// One environment's manifests as a render: its namespaces are its Namespace objects, the
/// one named like the environment playing the `app` role and one named `<environment>-<role>`
/// that role.
pub fn as_render(environment: &str, set: &ManifestSet) -> Rendered {
    let mut namespaces = Vec::new();
    for manifest in set.manifests.iter().filter(|m| m.kind == "Namespace") {
        let role = if manifest.name == environment {
            Some("app")
        } else {
            manifest
                .name
                .strip_prefix(environment)
                .and_then(|rest| rest.strip_prefix('-'))
        };
        if let Some(role) = role {
            namespaces.push((role.to_owned(), manifest.name.clone()));
        }
    }
    Rendered {
        environment: environment.to_owned(),
        namespaces,
        resources: set
            .manifests
            .iter()
            .map(|m| Resource {
                api_version: m.api_version.clone(),
                kind: m.kind.clone(),
                namespace: m.namespace.clone(),
                name: m.name.clone(),
                template: m.file.path.clone(),
                value: m.value.clone(),
            })
            .collect(),
    }
}

/// Each of environment `env`'s own names with its placeholder, longest first.
fn own_names(variance: &Variance, env: usize) -> Vec<(String, String)> {
    let mut names: Vec<(String, String)> = variance.namespaces[env]
        .iter()
        .map(|(role, name)| (name.clone(), format!("<{role} namespace>")))
        .collect();
    names.push((
        variance.environments[env].clone(),
        "<environment>".to_owned(),
    ));
    names.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then_with(|| a.0.cmp(&b.0)));
    names
}

fn judge_object(
    resource: &VariedResource,
    allow: &AllowList,
    names: &[Vec<(String, String)>],
) -> Option<ObjectParity> {
    let kind = resource.key.kind.as_str();
    let name = resource.key.name_or_role();
    let presence = (!resource.in_every_environment()).then(|| {
        allow
            .adapters
            .iter()
            .find(|a| a.covers(kind, name))
            .map_or(Verdict::Violation, |a| Verdict::Allowed {
                category: a.category,
                reason: a.reason.clone(),
                pattern: None,
            })
    });
    let lifted = resource.node.differences();
    if lifted.is_empty() && presence.is_none() {
        return None;
    }
    // Item names come from the object as the first environment holding it renders it.
    let sample = resource
        .present
        .iter()
        .position(|p| *p)
        .and_then(|env| resource.value_in(env))
        .unwrap_or(Value::Null);
    let mut differences = Vec::new();
    for (path, values) in lifted {
        let values: Vec<Option<&Value>> = values.iter().map(Option::as_ref).collect();
        for (leaf, leaf_values) in explode(path, &values, &resource.present) {
            let steps = named_steps(&leaf, &sample);
            let verdict = judge_field(
                kind,
                name,
                &steps,
                &leaf_values,
                &resource.present,
                allow,
                names,
            );
            differences.push(Difference {
                named: named_text(&steps),
                path: leaf,
                values: leaf_values,
                verdict,
            });
        }
    }
    Some(ObjectParity {
        key: resource.key.clone(),
        present: resource.present.clone(),
        presence,
        differences,
    })
}

/// Splits a difference into its leaves: maps key by key, lists of one length item by item.
fn explode(
    path: Path,
    values: &[Option<&Value>],
    present: &[bool],
) -> Vec<(Path, Vec<Option<Value>>)> {
    let live: Vec<&Value> = values
        .iter()
        .zip(present)
        .filter(|(_, p)| **p)
        .filter_map(|(v, _)| *v)
        .collect();
    let complete = live.len() == present.iter().filter(|p| **p).count();
    let owned = || values.iter().map(|v| v.cloned()).collect();
    if !complete
        || live
            .iter()
            .skip(1)
            .all(|v| Some(*v) == live.first().copied())
    {
        return vec![(path, owned())];
    }
    if live.iter().all(|v| v.is_object()) {
        let mut keys: Vec<&String> = Vec::new();
        for value in &live {
            for key in value.as_object().into_iter().flat_map(|m| m.keys()) {
                if !keys.contains(&key) {
                    keys.push(key);
                }
            }
        }
        return keys
            .into_iter()
            .flat_map(|key| {
                let child: Vec<Option<&Value>> =
                    values.iter().map(|v| v.and_then(|v| v.get(key))).collect();
                if same_where_present(&child, present) {
                    Vec::new()
                } else {
                    explode(path.key(key), &child, present)
                }
            })
            .collect();
    }
    let length = live[0].as_array().map(Vec::len);
    if length.is_some() && live.iter().all(|v| v.as_array().map(Vec::len) == length) {
        return (0..length.unwrap_or_default())
            .flat_map(|index| {
                let child: Vec<Option<&Value>> = values
                    .iter()
                    .map(|v| v.and_then(|v| v.get(index)))
                    .collect();
                if same_where_present(&child, present) {
                    Vec::new()
                } else {
                    explode(path.index(index), &child, present)
                }
            })
            .collect();
    }
    vec![(path, owned())]
}

fn same_where_present(values: &[Option<&Value>], present: &[bool]) -> bool {
    let mut live = values
        .iter()
        .zip(present)
        .filter(|(_, p)| **p)
        .map(|(v, _)| v);
    match live.next() {
        Some(first) => live.all(|v| v == first),
        None => true,
    }
}

/// The path's steps, each list step with the item's `name` in `sample` when it has one.
fn named_steps(path: &Path, sample: &Value) -> Vec<(Segment, Option<String>)> {
    let mut at = Some(sample);
    path.0
        .iter()
        .map(|segment| {
            let item = match segment {
                Segment::Key(key) => at.and_then(|v| v.get(key)),
                Segment::Index(index) => at.and_then(|v| v.get(index)),
            };
            let name = match segment {
                Segment::Index(_) => item
                    .and_then(|i| i.get("name"))
                    .and_then(Value::as_str)
                    .map(str::to_owned),
                Segment::Key(_) => None,
            };
            at = item;
            (segment.clone(), name)
        })
        .collect()
}

/// `spec.containers[web].image`: keys dot-joined (quoted when they hold a dot), list items
/// by name when they have one.
fn named_text(steps: &[(Segment, Option<String>)]) -> String {
    let mut out = String::new();
    for (segment, name) in steps {
        match (segment, name) {
            (Segment::Key(key), _) => {
                if !out.is_empty() {
                    out.push('.');
                }
                if key.contains(['.', '[', ']', '"']) {
                    out.push_str(&format!("{key:?}"));
                } else {
                    out.push_str(key);
                }
            }
            (Segment::Index(_), Some(name)) => out.push_str(&format!("[{name}]")),
            (Segment::Index(index), None) => out.push_str(&format!("[{index}]")),
        }
    }
    out
}

fn judge_field(
    kind: &str,
    name: &str,
    steps: &[(Segment, Option<String>)],
    values: &[Option<Value>],
    present: &[bool],
    allow: &AllowList,
    names: &[Vec<(String, String)>],
) -> Verdict {
    let normalized: Vec<Option<Value>> = values
        .iter()
        .zip(names)
        .zip(present)
        .filter(|(_, p)| **p)
        .map(|((value, names), _)| value.as_ref().map(|v| replace_names(v, names)))
        .collect();
    if normalized.iter().all(|v| v == &normalized[0]) {
        return Verdict::Allowed {
            category: Category::Naming,
            reason: "only the environments' own namespace names or name differ".to_owned(),
            pattern: None,
        };
    }
    for allowance in &allow.allow {
        if let Some(pattern) = allowance.covering(kind, name, steps) {
            return Verdict::Allowed {
                category: allowance.category,
                reason: allowance.reason.clone(),
                pattern: Some(pattern.text.clone()),
            };
        }
    }
    Verdict::Violation
}

/// `value` with every whole-word occurrence of an environment's own name replaced by its
/// placeholder, in every string.
fn replace_names(value: &Value, names: &[(String, String)]) -> Value {
    match value {
        Value::String(text) => Value::String(replace_words(text, names)),
        Value::Array(items) => {
            Value::Array(items.iter().map(|v| replace_names(v, names)).collect())
        }
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), replace_names(v, names)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Replaces occurrences of each name that are not part of a longer word (letters and digits
/// on either side), trying longer names first.
fn replace_words(text: &str, names: &[(String, String)]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    let mut previous: Option<char> = None;
    'scan: while let Some(next) = rest.chars().next() {
        let at_boundary = previous.is_none_or(|c| !c.is_ascii_alphanumeric());
        if at_boundary {
            for (name, placeholder) in names {
                if let Some(after) = rest.strip_prefix(name.as_str())
                    && after
                        .chars()
                        .next()
                        .is_none_or(|c| !c.is_ascii_alphanumeric())
                {
                    out.push_str(placeholder);
                    previous = name.chars().last();
                    rest = after;
                    continue 'scan;
                }
            }
        }
        out.push(next);
        previous = Some(next);
        rest = &rest[next.len_utf8()..];
    }
    out
}

#[cfg(test)]
mod tests;
