//! The values files: `values.yaml` holds the reference environment's values,
//! `values-<env>.yaml` only what differs from it, and `values.schema.json` the types.
//!
//! Each environment's values are built whole first (its *tree*); its file is then what
//! Helm needs on top of `values.yaml` to arrive at that tree. Helm merges maps key by key and
//! deletes a key set to `null`, so a file sets what changed, `null`s what the environment
//! lacks, and leaves everything else out.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::error::{HelmError, HelmErrorKind};
use super::naming::{ENVIRONMENT, NAMESPACES};
use super::shape::Leaf;
use crate::variance::Variance;

/// One object's place in the values.
pub(super) struct Group<'a> {
    /// Its key below `.Values`.
    pub keys: &'a [String],
    /// Its flag's key, when only some environments render it.
    pub flag: Option<&'a str>,
    /// Whether each environment renders it.
    pub present: &'a [bool],
    /// Its values.
    pub leaves: &'a [Leaf],
    /// What the object is, for the schema.
    pub description: String,
}

/// Every environment's values, whole, in the order of [`Variance::environments`].
pub(super) fn trees(
    variance: &Variance,
    groups: &[Group<'_>],
    reference: usize,
) -> Result<Vec<Map<String, Value>>, HelmError> {
    let reference_tree = tree(variance, groups, reference, None)?;
    (0..variance.environments.len())
        .map(|env| {
            if env == reference {
                Ok(reference_tree.clone())
            } else {
                tree(variance, groups, env, Some(&reference_tree))
            }
        })
        .collect()
}

/// Environment `env`'s values. An object the environment does not render keeps the
/// reference environment's values (unused) with its flag off, so the file says only that.
fn tree(
    variance: &Variance,
    groups: &[Group<'_>],
    env: usize,
    reference: Option<&Map<String, Value>>,
) -> Result<Map<String, Value>, HelmError> {
    let mut root = Map::new();
    root.insert(
        ENVIRONMENT.to_owned(),
        Value::String(variance.environments[env].clone()),
    );
    let namespaces: Map<String, Value> = variance.namespaces[env]
        .iter()
        .map(|(role, name)| (role.clone(), Value::String(name.clone())))
        .collect();
    root.insert(NAMESPACES.to_owned(), Value::Object(namespaces));
    for group in groups {
        let map = descend(&mut root, group.keys)?;
        if group.present[env] {
            if let Some(flag) = group.flag {
                map.insert(flag.to_owned(), Value::Bool(true));
            }
            for leaf in group.leaves {
                let Some((last, parents)) = leaf.keys.split_last() else {
                    continue;
                };
                // Every map on the way exists even when this environment lacks the value:
                // the template looks into it with `hasKey`.
                let parent = descend(map, parents)?;
                if let Some(value) = &leaf.values[env] {
                    parent.insert(last.clone(), value.clone());
                }
            }
        } else {
            if let Some(Value::Object(kept)) = reference.and_then(|r| lookup(r, group.keys)) {
                *map = kept.clone();
            }
            if let Some(flag) = group.flag {
                map.insert(flag.to_owned(), Value::Bool(false));
            }
        }
    }
    Ok(root)
}

/// The map at `keys` below `map`, created empty where missing.
fn descend<'m>(
    mut map: &'m mut Map<String, Value>,
    keys: &[String],
) -> Result<&'m mut Map<String, Value>, HelmError> {
    for (depth, key) in keys.iter().enumerate() {
        let entry = map
            .entry(key.clone())
            .or_insert_with(|| Value::Object(Map::new()));
        map = match entry {
            Value::Object(next) => next,
            _ => {
                let key = keys[..=depth].join(".");
                return Err(HelmError::chart(HelmErrorKind::Collision {
                    first: key.clone(),
                    second: keys.join("."),
                    key,
                }));
            }
        };
    }
    Ok(map)
}

fn lookup<'m>(map: &'m Map<String, Value>, keys: &[String]) -> Option<&'m Value> {
    let (first, rest) = keys.split_first()?;
    let value = map.get(first)?;
    if rest.is_empty() {
        Some(value)
    } else {
        lookup(value.as_object()?, rest)
    }
}

/// What a values file must set on top of `base` for Helm to arrive at `target`: changed
/// keys, maps only where something inside them changed, and `null` for keys `target`
/// lacks (Helm deletes those).
pub(super) fn difference(
    base: &Map<String, Value>,
    target: &Map<String, Value>,
) -> Map<String, Value> {
    let mut out = Map::new();
    for (key, was) in base {
        match (was, target.get(key)) {
            (_, None) => {
                out.insert(key.clone(), Value::Null);
            }
            (was, Some(now)) if was == now => {}
            (Value::Object(was), Some(Value::Object(now))) => {
                let inner = difference(was, now);
                if !inner.is_empty() {
                    out.insert(key.clone(), Value::Object(inner));
                }
            }
            (_, Some(now)) => {
                out.insert(key.clone(), now.clone());
            }
        }
    }
    for (key, now) in target {
        if !base.contains_key(key) {
            out.insert(key.clone(), now.clone());
        }
    }
    out
}

/// The JSON Schema (draft 7) of the values: every map closed to keys no environment has,
/// each key required when every environment has it, each value typed by what the
/// environments hold.
pub(super) fn schema(trees: &[Map<String, Value>], groups: &[Group<'_>], reference: &str) -> Value {
    let mut notes: Vec<(Vec<String>, Note)> = vec![
        (
            vec![ENVIRONMENT.to_owned()],
            Note::Leaf("The environment's name, wherever an object carries it".into()),
        ),
        (
            vec![NAMESPACES.to_owned()],
            Note::Group("The name of the namespace playing each role".into()),
        ),
    ];
    let roles: Vec<String> = trees
        .iter()
        .filter_map(|t| t.get(NAMESPACES).and_then(Value::as_object))
        .flat_map(|m| m.keys().cloned())
        .collect();
    for role in roles {
        notes.push((
            vec![NAMESPACES.to_owned(), role.clone()],
            Note::Leaf(format!("The namespace playing the `{role}` role")),
        ));
    }
    for group in groups {
        notes.push((group.keys.to_vec(), Note::Group(group.description.clone())));
        if let Some(flag) = group.flag {
            let mut keys = group.keys.to_vec();
            keys.push(flag.to_owned());
            notes.push((
                keys,
                Note::Leaf("Whether the chart renders this object".into()),
            ));
        }
        for leaf in group.leaves {
            let mut keys = group.keys.to_vec();
            keys.extend(leaf.keys.iter().cloned());
            notes.push((keys, Note::Leaf(format!("`{}`", leaf.path))));
        }
    }
    let roots: Vec<Value> = trees.iter().map(|t| Value::Object(t.clone())).collect();
    let roots: Vec<&Value> = roots.iter().collect();
    // The first note of a key path is its note.
    let mut by_keys: BTreeMap<&[String], &Note> = BTreeMap::new();
    for (keys, note) in &notes {
        by_keys.entry(keys.as_slice()).or_insert(note);
    }
    let mut root = node_schema(&mut Vec::new(), &roots, &by_keys);
    if let Value::Object(map) = &mut root {
        let mut head = Map::new();
        head.insert(
            "$schema".into(),
            json!("http://json-schema.org/draft-07/schema#"),
        );
        head.insert("title".into(), json!("Values of the daa chart"));
        head.insert(
            "description".into(),
            json!(format!(
                "Written by daactl. values.yaml holds the {reference} environment's values; values-<env>.yaml what differs in <env>."
            )),
        );
        head.extend(std::mem::take(map));
        *map = head;
    }
    root
}

/// What the schema says about a place.
enum Note {
    /// A map of the layout (a scope, a kind, an object): described, closed.
    Group(String),
    /// A value: described, typed, open inside.
    Leaf(String),
}

/// The schema of the values at `keys` (a path grown and cut back as the walk descends).
fn node_schema(
    keys: &mut Vec<String>,
    values: &[&Value],
    notes: &BTreeMap<&[String], &Note>,
) -> Value {
    let note = notes.get(keys.as_slice()).copied();
    let mut out = Map::new();
    match note {
        Some(Note::Leaf(description)) => {
            out.insert("description".into(), json!(description));
            out.insert("type".into(), types(values));
            return Value::Object(out);
        }
        Some(Note::Group(description)) => {
            out.insert("description".into(), json!(description));
        }
        None => {}
    }
    let maps: Vec<&Map<String, Value>> = values.iter().filter_map(|v| v.as_object()).collect();
    let mut properties = Map::new();
    let mut required = Vec::new();
    for key in crate::variance::keys_in_order(maps.iter().copied()) {
        let children: Vec<&Value> = maps.iter().filter_map(|m| m.get(key)).collect();
        if children.len() == maps.len() {
            required.push(json!(key));
        }
        keys.push(key.clone());
        let schema = node_schema(keys, &children, notes);
        keys.pop();
        properties.insert(key.clone(), schema);
    }
    out.insert("type".into(), json!("object"));
    out.insert("properties".into(), Value::Object(properties));
    if !required.is_empty() {
        out.insert("required".into(), Value::Array(required));
    }
    out.insert("additionalProperties".into(), json!(false));
    Value::Object(out)
}

/// The JSON types of `values`: one name, or a list when they differ.
fn types(values: &[&Value]) -> Value {
    let mut names: Vec<&str> = Vec::new();
    for value in values {
        let name = crate::kubeschema::type_name(value);
        if !names.contains(&name) {
            names.push(name);
        }
    }
    if names.contains(&"number") {
        names.retain(|n| *n != "integer");
    }
    names.sort_unstable();
    match names.as_slice() {
        [one] => json!(one),
        _ => json!(names),
    }
}
