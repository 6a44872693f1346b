//! The variance model: what the environments' renders share and where they differ.
//!
//! Kustomize overlays, the Helm chart and `daactl parity` are all written from one
//! [`Variance`], so they can never disagree about what differs. Objects are matched across
//! environments by [`Key`]: API version, kind, namespace *role* (`app`, `data`) rather than
//! namespace name, and name (a Namespace object is matched by the role it plays).
//!
//! Within a matched object, [`Node`] records the shared structure and, at the shallowest
//! place that keeps the rest shared, the value each environment holds.

mod node;
mod path;

use std::collections::BTreeMap;

use serde_json::Value;

pub use node::Node;
pub use path::{Path, Segment};

use crate::render::Rendered;

/// How an object is matched across environments.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Key {
    /// `apiVersion`.
    pub api_version: String,
    /// `kind`.
    pub kind: String,
    /// Where the object lives.
    pub scope: Scope,
    /// `metadata.name`, or for a Namespace daactl creates, its role.
    pub name: Name,
}

/// The namespace of a matched object.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scope {
    /// Cluster-scoped.
    Cluster,
    /// In the namespace playing this role (`app`, `data`).
    Role(String),
    /// In a namespace daactl does not create, by its literal name.
    Namespace(String),
}

/// The name of a matched object.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Name {
    /// The same literal name in every environment.
    Literal(String),
    /// A Namespace object daactl creates for this role; its name differs per environment.
    NamespaceRole(String),
}

impl Key {
    /// `Kind name` or `Kind <role>/name`, with roles in angle brackets.
    pub fn display(&self) -> String {
        let name = match &self.name {
            Name::Literal(name) => name.clone(),
            Name::NamespaceRole(role) => format!("<{role}>"),
        };
        match &self.scope {
            Scope::Cluster => format!("{} {name}", self.kind),
            Scope::Role(role) => format!("{} <{role}>/{name}", self.kind),
            Scope::Namespace(namespace) => format!("{} {namespace}/{name}", self.kind),
        }
    }

    /// The literal name, or the role of a Namespace object.
    pub fn name_or_role(&self) -> &str {
        match &self.name {
            Name::Literal(name) | Name::NamespaceRole(name) => name,
        }
    }
}

/// One object as it is across environments.
#[derive(Debug, Clone, PartialEq)]
pub struct VariedResource {
    /// How it is matched.
    pub key: Key,
    /// The template that renders it.
    pub template: String,
    /// Whether each environment (in [`Variance::environments`] order) renders it.
    pub present: Vec<bool>,
    /// The object's shared structure and differing values. Environments that do not render
    /// the object hold `None` wherever a value differs.
    pub node: Node,
}

impl VariedResource {
    /// Whether every environment renders it.
    pub fn in_every_environment(&self) -> bool {
        self.present.iter().all(|p| *p)
    }

    /// The whole object as environment `env` (an index) renders it.
    pub fn value_in(&self, env: usize) -> Option<Value> {
        if self.present[env] {
            self.node.value_in(env)
        } else {
            None
        }
    }
}

/// The environments' renders, matched and compared.
#[derive(Debug, Clone, PartialEq)]
pub struct Variance {
    /// The environments, in the order the renders were given.
    pub environments: Vec<String>,
    /// Each environment's namespaces as `(role, name)`, same order.
    pub namespaces: Vec<Vec<(String, String)>>,
    /// Every object of any environment, ordered by the first environment that renders it
    /// and that environment's install order.
    pub resources: Vec<VariedResource>,
}

impl Variance {
    /// Matches and compares `renders`, in the order given.
    pub fn of<'r>(renders: impl IntoIterator<Item = &'r Rendered>) -> Variance {
        let renders: Vec<&Rendered> = renders.into_iter().collect();
        let environments: Vec<String> = renders.iter().map(|r| r.environment.clone()).collect();
        let count = renders.len();
        let mut order: Vec<Key> = Vec::new();
        let mut found: BTreeMap<Key, (String, Vec<Option<&Value>>)> = BTreeMap::new();
        for (index, render) in renders.iter().enumerate() {
            let roles: BTreeMap<&str, &str> = render
                .namespaces
                .iter()
                .map(|(role, name)| (name.as_str(), role.as_str()))
                .collect();
            for resource in &render.resources {
                let scope = match &resource.namespace {
                    None => Scope::Cluster,
                    Some(namespace) => match roles.get(namespace.as_str()) {
                        Some(role) => Scope::Role((*role).to_owned()),
                        None => Scope::Namespace(namespace.clone()),
                    },
                };
                let name = match roles.get(resource.name.as_str()) {
                    Some(role) if resource.kind == "Namespace" && scope == Scope::Cluster => {
                        Name::NamespaceRole((*role).to_owned())
                    }
                    _ => Name::Literal(resource.name.clone()),
                };
                let key = Key {
                    api_version: resource.api_version.clone(),
                    kind: resource.kind.clone(),
                    scope,
                    name,
                };
                let entry = found.entry(key.clone()).or_insert_with(|| {
                    order.push(key);
                    (resource.template.clone(), vec![None; count])
                });
                entry.1[index] = Some(&resource.value);
            }
        }
        let resources = order
            .into_iter()
            .map(|key| {
                let (template, values) = found.remove(&key).expect("every key was found");
                VariedResource {
                    present: values.iter().map(Option::is_some).collect(),
                    node: Node::compare(&values),
                    key,
                    template,
                }
            })
            .collect();
        Variance {
            environments,
            namespaces: renders.iter().map(|r| r.namespaces.clone()).collect(),
            resources,
        }
    }

    /// The index of environment `name`.
    pub fn index(&self, name: &str) -> Option<usize> {
        self.environments.iter().position(|e| e == name)
    }

    /// The name of the namespace playing `role` in environment `env`.
    pub fn namespace(&self, env: usize, role: &str) -> Option<&str> {
        self.namespaces[env]
            .iter()
            .find(|(r, _)| r == role)
            .map(|(_, name)| name.as_str())
    }
}

/// Whether `a` equals `b`, as `==` decides, comparing maps entry by entry in order first.
///
/// `==` on a `serde_json` map ignores order, so it looks every key up by hash; the renders
/// of one template hold their keys in the same order, so pairing entries answers almost
/// every comparison without hashing, and `==` decides only maps whose orders differ.
pub fn same_value(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            if x.len() != y.len() {
                return false;
            }
            for ((key_x, value_x), (key_y, value_y)) in x.iter().zip(y) {
                if key_x != key_y {
                    return a == b;
                }
                if !same_value(value_x, value_y) {
                    return false;
                }
            }
            true
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same_value(p, q))
        }
        _ => a == b,
    }
}

/// The keys of `maps`, each once, in the order they are first seen: how a map compared
/// across environments orders its entries.
pub fn keys_in_order<'v>(
    maps: impl IntoIterator<Item = &'v serde_json::Map<String, Value>>,
) -> Vec<&'v String> {
    let mut keys: Vec<&String> = Vec::new();
    for map in maps {
        for key in map.keys() {
            if !keys.contains(&key) {
                keys.push(key);
            }
        }
    }
    keys
}

#[cfg(test)]
mod tests;
