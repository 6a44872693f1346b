//! JSON 6902 patches: one per object and environment, an `add` for every value that
//! environment holds where the object differs.
//!
//! Base leaves every differing field out, so each operation adds a field to a map that base
//! already has (the variance model puts differences on map entries, never on list items).
//! `add` sets the member whether or not it exists, so it also serves where base holds a
//! placeholder, such as a bare image repository or the caller that matches nobody which
//! base's AuthorizationPolicies name where every environment names its own callers. An environment that lacks a differing
//! field gets no operation: base does not have it either. Patches address list items by
//! index, so nothing depends on Kustomize's strategic merge of lists.

use serde_json::{Value, json};

use super::error::{KustomizeError, KustomizeErrorKind};
use crate::variance::{Path, Segment, VariedResource};

/// The operations that turn base's `resource` into environment `env`'s. `leave` gets each
/// difference and the environment's value and returns what the patch must set: the value,
/// less what something else sets, or `None` when something else sets all of it.
pub(super) fn operations(
    resource: &VariedResource,
    env: usize,
    leave: impl Fn(&Path, &Value) -> Option<Value>,
) -> Result<Vec<Value>, KustomizeError> {
    let mut out = Vec::new();
    for (path, values) in resource.node.differences() {
        let Some(value) = values[env].as_ref().and_then(|value| leave(&path, value)) else {
            continue;
        };
        if !matches!(path.0.last(), Some(Segment::Key(_))) {
            return Err(KustomizeError {
                subject: resource.key.display(),
                kind: KustomizeErrorKind::ListItem {
                    pointer: path.pointer(),
                },
            });
        }
        out.push(json!({"op": "add", "path": path.pointer(), "value": value}));
    }
    Ok(out)
}

/// The `target:` selecting one object. Kustomize reads `name` and `namespace` as anchored
/// regular expressions, so they are escaped.
pub(super) fn target(api_version: &str, kind: &str, name: &str, namespace: Option<&str>) -> Value {
    let mut target = serde_json::Map::new();
    let (group, version) = api_version.rsplit_once('/').unwrap_or(("", api_version));
    if !group.is_empty() {
        target.insert("group".into(), Value::String(group.into()));
    }
    target.insert("version".into(), Value::String(version.into()));
    target.insert("kind".into(), Value::String(kind.into()));
    target.insert("name".into(), Value::String(escape(name)));
    if let Some(namespace) = namespace {
        target.insert("namespace".into(), Value::String(escape(namespace)));
    }
    Value::Object(target)
}

/// `text` as a regular expression matching only itself.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if "\\.+*?()|[]{}^$".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_escape_names() {
        assert_eq!(
            target("apps/v1", "Deployment", "api.v2", Some("prod")),
            json!({"group": "apps", "version": "v1", "kind": "Deployment", "name": "api\\.v2", "namespace": "prod"})
        );
        assert_eq!(
            target("v1", "Namespace", "prod", None),
            json!({"version": "v1", "kind": "Namespace", "name": "prod"})
        );
    }
}
