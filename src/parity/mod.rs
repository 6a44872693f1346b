//! Environment parity (REQ-T245): every difference between environments, each either allowed
//! by `schemas/parity.toml` (scale and data) or a violation.
//!
//! It reads the same [`Variance`] the Kustomize overlays and the Helm chart are written from,
//! and compares leaf by leaf: a quota whose every limit differs is one difference in the
//! variance model but several here, each judged on its own.

pub mod allow;
mod judge;
pub mod report;

use serde_json::Value;

pub use allow::{AllowList, AllowListError, Category};

use crate::policy::manifest::ManifestSet;
use crate::render::{Rendered, Resource};
use crate::variance::{Key, Name, Path, Scope, Variance};

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
    /// Allowed or not, across every environment: a violation when any environment's value
    /// is not allowed to differ from the reference's.
    pub verdict: Verdict,
    /// Per environment, whether its value is a violation against the reference's (always
    /// `false` for the reference and where the values are equal).
    pub violates: Vec<bool>,
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
    /// Per environment, whether having or lacking it where the reference does not is a
    /// violation.
    pub presence_violates: Vec<bool>,
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
        let judge = judge::Judge::new(variance, allow, reference);
        let objects = variance
            .resources
            .iter()
            .filter_map(|resource| judge.object(resource))
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
            if object.presence_violates[env] {
                out.push(EnvironmentViolation {
                    object,
                    difference: None,
                });
            }
            for difference in object.differences.iter().filter(|d| d.violates[env]) {
                out.push(EnvironmentViolation {
                    object,
                    difference: Some(difference),
                });
            }
        }
        out
    }
}

/// What parity says about one environment, in that environment's own names: what rule
/// E245-1 of `daactl validate` reports.
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
    /// The object's API version.
    pub api_version: String,
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
                    api_version: key.api_version.clone(),
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

/// What parity says about each of `renders`, in their order, judged against the committed
/// allow-list: what `daactl validate` hands rule E245-1.
pub fn environment_views(renders: &[Rendered]) -> Result<Vec<EnvironmentParity>, AllowListError> {
    let variance = Variance::of(renders);
    let parity = Parity::of(&variance, &AllowList::embedded()?);
    Ok((0..renders.len())
        .map(|env| parity.environment(&variance, env))
        .collect())
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

#[cfg(test)]
mod tests;
