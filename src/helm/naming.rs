//! Values keys: readable names for objects and list items, and the Go template expressions
//! that read them.
//!
//! An object's values sit under `<scope>.<kind>.<name>`: the scope is its namespace role
//! (`app`, `data`), `clusterScoped`, or `otherNamespaces.<namespace>`; the kind and name are
//! camel-cased (`horizontalPodAutoscaler`, `daaService`). Inside an object, map keys are kept
//! as they are (`LOG_LEVEL`, `requests.cpu`) and list items are named by their `name` field
//! when every item has a distinct one (containers by container name), else by index. A
//! camel-cased name that two objects or items would share falls back to the names as
//! written, so two places never share a key.

use std::collections::{BTreeMap, BTreeSet};

use crate::variance::{Key, Scope};

use super::error::{HelmError, HelmErrorKind};

/// The values key of the environment's name.
pub(super) const ENVIRONMENT: &str = "environment";
/// The values key of the namespace names, by role.
pub(super) const NAMESPACES: &str = "namespaces";
/// The scope key of cluster-scoped objects.
const CLUSTER_SCOPED: &str = "clusterScoped";
/// The scope key of objects in namespaces daactl does not create.
const OTHER_NAMESPACES: &str = "otherNamespaces";

/// `daa-service` → `daaService`, `app.kubernetes.io` → `appKubernetesIo`: words split at `-`
/// and `.`, each after the first starting upper-case.
pub(super) fn camel(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for word in text.split(['-', '.']).filter(|w| !w.is_empty()) {
        let mut chars = word.chars();
        if out.is_empty() {
            out.push_str(word);
        } else if let Some(first) = chars.next() {
            out.extend(first.to_uppercase());
            out.push_str(chars.as_str());
        }
    }
    out
}

/// `HorizontalPodAutoscaler` → `horizontalPodAutoscaler`.
fn lower_first(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Whether Go templates can read `text` as a field (`.text`) rather than through `index`.
pub(super) fn is_identifier(text: &str) -> bool {
    text.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && text.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// A Go string literal (Go reads JSON's string escapes).
pub(super) fn quote(text: &str) -> String {
    serde_json::Value::String(text.to_owned()).to_string()
}

/// The Go template expression reading `keys` below `base`: `$v.spec.replicas`, or through
/// `index` from the first key that is not an identifier: `index $v.spec.hard "requests.cpu"`.
pub(super) fn access(base: &str, keys: &[String]) -> String {
    let mut expression = base.to_owned();
    let mut rest = keys;
    while let Some((first, tail)) = rest.split_first() {
        if !is_identifier(first) {
            break;
        }
        expression.push('.');
        expression.push_str(first);
        rest = tail;
    }
    if rest.is_empty() {
        expression
    } else {
        let keys: Vec<String> = rest.iter().map(|k| quote(k)).collect();
        format!("index {expression} {}", keys.join(" "))
    }
}

/// `access` as one argument of a function call: in parentheses when it calls `index`.
pub(super) fn argument(base: &str, keys: &[String]) -> String {
    let expression = access(base, keys);
    if expression.starts_with("index ") {
        format!("({expression})")
    } else {
        expression
    }
}

/// The keys of a list's items: their `name` fields, camel-cased, when every item has one and
/// they are distinct; as written when camel-casing would merge two; else the indexes.
pub(super) fn item_keys(names: &[Option<&str>]) -> Vec<String> {
    let indexes = || (0..names.len()).map(|i| i.to_string()).collect();
    let Some(names) = names.iter().copied().collect::<Option<Vec<&str>>>() else {
        return indexes();
    };
    if !distinct(names.iter().copied()) {
        return indexes();
    }
    let camels: Vec<String> = names.iter().map(|n| camel(n)).collect();
    if distinct(camels.iter().map(String::as_str)) && camels.iter().all(|c| !c.is_empty()) {
        camels
    } else {
        names.iter().map(|n| (*n).to_owned()).collect()
    }
}

fn distinct<'a>(items: impl Iterator<Item = &'a str>) -> bool {
    let mut seen = BTreeSet::new();
    items.into_iter().all(|item| seen.insert(item))
}

/// Each object's values key (`["app", "deployment", "daaService"]`), in the order given.
pub(super) fn groups(keys: &[&Key]) -> Result<Vec<Vec<String>>, HelmError> {
    // Scopes: roles and namespaces camel-cased unless two would share the key.
    let mut scopes_seen: Vec<(&Scope, usize)> = Vec::new();
    for (i, key) in keys.iter().enumerate() {
        if !scopes_seen.iter().any(|(scope, _)| **scope == key.scope) {
            scopes_seen.push((&key.scope, i));
        }
    }
    let scope_within = |s: usize| match scopes_seen[s].0 {
        Scope::Namespace(_) => vec![OTHER_NAMESPACES.to_owned()],
        _ => Vec::new(),
    };
    let scope_keys = resolve(scopes_seen.len(), scope_within, |s, level| {
        match (scopes_seen[s].0, level) {
            (Scope::Cluster, 0) => Some(CLUSTER_SCOPED.to_owned()),
            (Scope::Role(name) | Scope::Namespace(name), 0) => Some(camel(name))
                .filter(|c| !c.is_empty())
                .or_else(|| Some(name.clone())),
            (Scope::Role(name) | Scope::Namespace(name), 1) => Some(name.clone()),
            _ => None,
        }
    })
    .map_err(|(a, b)| {
        collision(
            keys[scopes_seen[a].1],
            keys[scopes_seen[b].1],
            &scope_within(a),
        )
    })?;
    let scopes: Vec<Vec<String>> = keys
        .iter()
        .map(|key| {
            let s = scopes_seen
                .iter()
                .position(|(scope, _)| **scope == key.scope)
                .unwrap_or_default();
            let mut scope = scope_within(s);
            scope.push(scope_keys[s].clone());
            scope
        })
        .collect();
    // Kinds: camel-cased unless two kinds of one scope would share the key.
    let mut kinds_seen: Vec<(&[String], &str, usize)> = Vec::new();
    for (i, key) in keys.iter().enumerate() {
        if !kinds_seen
            .iter()
            .any(|(scope, kind, _)| *scope == scopes[i].as_slice() && *kind == key.kind)
        {
            kinds_seen.push((&scopes[i], &key.kind, i));
        }
    }
    let kind_keys = resolve(
        kinds_seen.len(),
        |k| kinds_seen[k].0.to_vec(),
        |k, level| match level {
            0 => Some(lower_first(kinds_seen[k].1)),
            1 => Some(kinds_seen[k].1.to_owned()),
            _ => None,
        },
    )
    .map_err(|(a, b)| {
        let (a, b) = (kinds_seen[a].2, kinds_seen[b].2);
        collision(keys[a], keys[b], &scopes[a])
    })?;
    let kinds: Vec<String> = (0..keys.len())
        .map(|i| {
            kinds_seen
                .iter()
                .zip(&kind_keys)
                .find(|((scope, kind, _), _)| {
                    *scope == scopes[i].as_slice() && *kind == keys[i].kind
                })
                .map(|(_, key)| key.clone())
                .unwrap_or_default()
        })
        .collect();
    // Names: camel-cased unless two objects of one kind would share the key; then as
    // written; then with their API version (the same kind and name in two API versions).
    let within = |i: usize| {
        let mut prefix = scopes[i].clone();
        prefix.push(kinds[i].clone());
        prefix
    };
    let names = resolve(keys.len(), within, |i, level| {
        let name = keys[i].name_or_role();
        match level {
            0 => Some(camel(name))
                .filter(|c| !c.is_empty())
                .or_else(|| Some(name.to_owned())),
            1 => Some(name.to_owned()),
            2 => Some(format!("{name}@{}", keys[i].api_version)),
            _ => None,
        }
    })
    .map_err(|(a, b)| collision(keys[a], keys[b], &within(a)))?;
    Ok((0..keys.len())
        .map(|i| {
            let mut group = within(i);
            group.push(names[i].clone());
            group
        })
        .collect())
}

/// Picks, for each of `count` items, the first candidate (by level) that no other item in
/// the same `within` prefix shares. `Err` names two items that share every candidate.
fn resolve(
    count: usize,
    within: impl Fn(usize) -> Vec<String>,
    candidate: impl Fn(usize, usize) -> Option<String>,
) -> Result<Vec<String>, (usize, usize)> {
    let mut levels = vec![0usize; count];
    // Every pass that does not return raises a level, and levels are bounded.
    loop {
        let chosen: Vec<String> = (0..count)
            .map(|i| candidate(i, levels[i]).unwrap_or_default())
            .collect();
        let mut seen: BTreeMap<(Vec<String>, &str), usize> = BTreeMap::new();
        let mut raise: BTreeSet<usize> = BTreeSet::new();
        let mut first_clash = None;
        for (i, key) in chosen.iter().enumerate() {
            if let Some(first) = seen.get(&(within(i), key.as_str())) {
                raise.extend([*first, i]);
                first_clash.get_or_insert((*first, i));
            } else {
                seen.insert((within(i), key.as_str()), i);
            }
        }
        let Some(clash) = first_clash else {
            return Ok(chosen);
        };
        for i in raise {
            if candidate(i, levels[i] + 1).is_none() {
                return Err(clash);
            }
            levels[i] += 1;
        }
    }
}

fn collision(a: &Key, b: &Key, prefix: &[String]) -> HelmError {
    HelmError::chart(HelmErrorKind::Collision {
        first: a.display(),
        second: b.display(),
        key: prefix.join("."),
    })
}

/// Checks that no values key equals another or lies inside it. `places` pairs each key with
/// what it holds, for the message.
pub(super) fn check_distinct(places: &[(Vec<String>, String)]) -> Result<(), HelmError> {
    let mut sorted: Vec<&(Vec<String>, String)> = places.iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    // After sorting, a key that another starts with comes right before it or before a key
    // that also starts with it.
    for pair in sorted.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        if b.0.starts_with(&a.0) {
            return Err(HelmError::chart(HelmErrorKind::Collision {
                first: a.1.clone(),
                second: b.1.clone(),
                key: a.0.join("."),
            }));
        }
    }
    Ok(())
}

/// The folder of an object's template inside `templates/`: its role, `cluster`, or
/// `namespace-<name>`.
pub(super) fn folder(key: &Key) -> Result<String, HelmError> {
    let safe = |text: &str| {
        !text.is_empty()
            && text != "."
            && text != ".."
            && text
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    };
    match &key.scope {
        Scope::Cluster => Ok("cluster".to_owned()),
        Scope::Role(role) if safe(role) => Ok(role.clone()),
        Scope::Role(role) => Err(HelmError::chart(HelmErrorKind::Role(role.clone()))),
        Scope::Namespace(namespace) => Ok(format!("namespace-{namespace}")),
    }
}

/// The file of an object's template below its folder: `deployment-daa-service.yaml`, as
/// `rendered/<env>/` names it; a Namespace object by its role.
pub(super) fn file(key: &Key) -> String {
    crate::render::order::object_file(&key.kind, key.name_or_role())
}
