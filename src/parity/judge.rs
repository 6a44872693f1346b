//! Judging differences: each environment's value against the reference's, leaf by leaf.

use serde_json::Value;

use super::allow::{AllowList, Category};
use super::{Difference, ObjectParity, Verdict};
use crate::variance::{Path, Segment, Variance, VariedResource};

/// Keys whose whole value may be an environment's own name (`metadata.namespace: staging`,
/// `labels.environment: staging`); elsewhere only names inside longer strings count as
/// naming (`postgres-rw.staging-data.svc`), so `NODE_ENV: staging` is a real difference.
const NAMING_KEYS: &[&str] = &[
    "namespace",
    "name",
    "environment",
    "kubernetes.io/metadata.name",
];

/// Everything a judgement needs, prepared once.
pub(super) struct Judge<'a> {
    allow: &'a AllowList,
    environments: &'a [String],
    reference: usize,
    /// Each environment's own names with their placeholders, longest first.
    names: Vec<Vec<(String, String)>>,
}

impl<'a> Judge<'a> {
    pub fn new(variance: &'a Variance, allow: &'a AllowList, reference: usize) -> Self {
        let names = (0..variance.environments.len())
            .map(|env| {
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
            })
            .collect();
        Judge {
            allow,
            environments: &variance.environments,
            reference,
            names,
        }
    }

    /// Judges one object; `None` when it is the same everywhere.
    pub fn object(&self, resource: &VariedResource) -> Option<ObjectParity> {
        let kind = resource.key.kind.as_str();
        let name = resource.key.name_or_role();
        let count = self.environments.len();
        let mut presence_violates = vec![false; count];
        let presence = (!resource.in_every_environment()).then(|| {
            // Each environment that has or lacks it where the reference does not needs an
            // adapter; without a reference copy, every environment lacking it does.
            let reference_has = resource.present[self.reference];
            let mut allowed_by = None;
            let mut violation = false;
            for (env, (violates, &present)) in presence_violates
                .iter_mut()
                .zip(&resource.present)
                .enumerate()
            {
                let odd = if reference_has { !present } else { present };
                if env == self.reference || !odd {
                    continue;
                }
                let environment = &self.environments[env];
                match self
                    .allow
                    .adapters
                    .iter()
                    .find(|a| a.covers(kind, name, environment))
                {
                    Some(adapter) => allowed_by = allowed_by.or(Some(adapter)),
                    None => {
                        *violates = true;
                        violation = true;
                    }
                }
            }
            match (violation, allowed_by) {
                (false, Some(adapter)) => Verdict::Allowed {
                    category: adapter.category,
                    reason: adapter.reason.clone(),
                    pattern: None,
                },
                _ => Verdict::Violation,
            }
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
                let (verdict, violates) =
                    self.field(kind, name, &steps, &leaf_values, &resource.present);
                differences.push(Difference {
                    named: named_text(&steps),
                    path: leaf,
                    values: leaf_values,
                    verdict,
                    violates,
                });
            }
        }
        Some(ObjectParity {
            key: resource.key.clone(),
            present: resource.present.clone(),
            presence,
            presence_violates,
            differences,
        })
    }

    /// Judges one leaf: each environment whose value differs from the reference's, against
    /// the reference. Where the reference lacks the object, the environments holding it are
    /// judged against the first of them.
    fn field(
        &self,
        kind: &str,
        name: &str,
        steps: &[(Segment, Option<String>)],
        values: &[Option<Value>],
        present: &[bool],
    ) -> (Verdict, Vec<bool>) {
        let base = if present[self.reference] {
            self.reference
        } else {
            present.iter().position(|p| *p).unwrap_or(self.reference)
        };
        let mut violates = vec![false; values.len()];
        let mut verdict: Option<Verdict> = None;
        for env in (0..values.len()).filter(|e| present[*e] && *e != base) {
            if values[env] == values[base] {
                continue;
            }
            let pair = self.pair(
                kind,
                name,
                steps,
                (env, &values[env]),
                (base, &values[base]),
            );
            if pair.is_violation() {
                violates[env] = true;
                verdict = Some(Verdict::Violation);
            } else if verdict.as_ref().is_none_or(|v| {
                matches!(
                    v,
                    Verdict::Allowed {
                        category: Category::Naming,
                        ..
                    }
                )
            }) {
                verdict = Some(pair);
            }
        }
        (verdict.unwrap_or(Verdict::Violation), violates)
    }

    /// Whether environment `env`'s value may differ from environment `base`'s: an allow-list
    /// entry covers it, or only the environments' own names differ.
    fn pair(
        &self,
        kind: &str,
        name: &str,
        steps: &[(Segment, Option<String>)],
        (env, value): (usize, &Option<Value>),
        (base, base_value): (usize, &Option<Value>),
    ) -> Verdict {
        let environment = &self.environments[env];
        let key = steps.iter().rev().find_map(|(segment, _)| match segment {
            Segment::Key(key) => Some(key.as_str()),
            Segment::Index(_) => None,
        });
        let is_image = matches!(key, Some("image" | "imageName"));
        for allowance in &self.allow.allow {
            let Some(pattern) = allowance.covering(kind, name, environment, steps) else {
                continue;
            };
            if allowance.category == Category::Release
                && is_image
                && !same_repository(value, base_value)
            {
                continue;
            }
            return Verdict::Allowed {
                category: allowance.category,
                reason: allowance.reason.clone(),
                pattern: Some(pattern.text.clone()),
            };
        }
        let normalized = |env: usize, value: &Option<Value>| {
            value
                .as_ref()
                .map(|v| replace_names(v, key, &self.names[env]))
        };
        if normalized(env, value) == normalized(base, base_value) {
            return Verdict::Allowed {
                category: Category::Naming,
                reason: "only the environments' own namespace names or name differ".to_owned(),
                pattern: None,
            };
        }
        Verdict::Violation
    }
}

/// Whether two image references name the same repository (a release changes only the tag
/// or digest). References Kustomize's rules cannot split count as different.
fn same_repository(a: &Option<Value>, b: &Option<Value>) -> bool {
    let repository = |value: &Option<Value>| {
        value
            .as_ref()
            .and_then(Value::as_str)
            .and_then(crate::image::parse)
            .map(|r| r.repository.to_owned())
    };
    match (repository(a), repository(b)) {
        (Some(a), Some(b)) => a == b,
        _ => false,
    }
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
        let maps = live.iter().filter_map(|v| v.as_object());
        return crate::variance::keys_in_order(maps)
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

/// `spec.containers[web].image`: keys as [`Path`] prints them, list items by name when they
/// have one.
fn named_text(steps: &[(Segment, Option<String>)]) -> String {
    if steps.is_empty() {
        return Path::root().to_string();
    }
    let mut text = String::new();
    for (segment, name) in steps {
        match (segment, name) {
            (Segment::Index(_), Some(name)) => text.push_str(&format!("[{name}]")),
            (Segment::Index(_), None) => text.push_str(&Path(vec![segment.clone()]).to_string()),
            (Segment::Key(_), _) => {
                if !text.is_empty() {
                    text.push('.');
                }
                text.push_str(&Path(vec![segment.clone()]).to_string());
            }
        }
    }
    text
}

/// `value` with each environment's own names replaced by placeholders: inside longer strings
/// as whole words, and as a whole value only under a key of [`NAMING_KEYS`].
pub(super) fn replace_names(value: &Value, key: Option<&str>, names: &[(String, String)]) -> Value {
    match value {
        Value::String(text) => {
            if let Some((_, placeholder)) = names.iter().find(|(name, _)| name == text) {
                return Value::String(if key.is_some_and(|k| NAMING_KEYS.contains(&k)) {
                    placeholder.clone()
                } else {
                    text.clone()
                });
            }
            Value::String(replace_words(text, names))
        }
        Value::Array(items) => {
            Value::Array(items.iter().map(|v| replace_names(v, key, names)).collect())
        }
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), replace_names(v, Some(k), names)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Replaces occurrences of each name that are not part of a longer word (letters and digits
/// on either side), trying longer names first.
pub(super) fn replace_words(text: &str, names: &[(String, String)]) -> String {
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
