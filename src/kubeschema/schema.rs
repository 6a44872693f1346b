//! Walking the vendored JSON Schemas: the definitions a schema reaches, and the one document
//! a kind's validator is compiled from.

use std::collections::BTreeSet;

use serde_json::{Map, Value};

const DEFS: &str = "#/$defs/";

/// Keywords whose value is a map of names to schemas.
const SCHEMA_MAPS: [&str; 3] = ["properties", "patternProperties", "$defs"];
/// Keywords whose value is one schema.
const SCHEMA_VALUES: [&str; 3] = ["items", "additionalProperties", "not"];
/// Keywords whose value is a list of schemas.
const SCHEMA_LISTS: [&str; 3] = ["oneOf", "anyOf", "allOf"];

/// Appends the definition names `schema` refers to. Walks schema positions only: a property
/// may itself be named `$ref` (CustomResourceDefinition's JSONSchemaProps has one).
fn refs<'a>(schema: &'a Value, out: &mut Vec<&'a str>) {
    let Value::Object(map) = schema else {
        return;
    };
    for (key, value) in map {
        let key = key.as_str();
        if key == "$ref" {
            if let Some(name) = value.as_str().and_then(|r| r.strip_prefix(DEFS)) {
                out.push(name);
            }
        } else if SCHEMA_MAPS.contains(&key) {
            if let Value::Object(subs) = value {
                subs.values().for_each(|sub| refs(sub, out));
            }
        } else if SCHEMA_VALUES.contains(&key) {
            refs(value, out);
        } else if SCHEMA_LISTS.contains(&key)
            && let Value::Array(subs) = value
        {
            subs.iter().for_each(|sub| refs(sub, out));
        }
    }
}

/// The definitions `roots` reach in `defs`, themselves included, as a `$defs` map. A name
/// that `defs` lacks is an error.
pub(super) fn closure(
    defs: &Map<String, Value>,
    roots: Vec<&str>,
) -> Result<Map<String, Value>, String> {
    let mut seen = BTreeSet::new();
    let mut todo = roots;
    let mut out = Map::new();
    while let Some(name) = todo.pop() {
        if !seen.insert(name) {
            continue;
        }
        let (name, schema) = defs
            .get_key_value(name)
            .ok_or_else(|| format!("no definition `{name}`"))?;
        refs(schema, &mut todo);
        out.insert(name.clone(), schema.clone());
    }
    // Sorted, so the compiled document is the same whatever order the walk took.
    out.sort_keys();
    Ok(out)
}

/// The document validating a built-in kind: a reference to its definition, with every
/// definition it reaches.
pub(super) fn builtin_document(
    defs: &Map<String, Value>,
    definition: &str,
) -> Result<Value, String> {
    let mut document = Map::new();
    document.insert("$ref".into(), Value::String(format!("{DEFS}{definition}")));
    document.insert(
        "$defs".into(),
        Value::Object(closure(defs, vec![definition])?),
    );
    Ok(Value::Object(document))
}

/// The document validating a custom resource: its schema, with the definitions it refers to
/// (ObjectMeta, for `metadata`) taken from the Kubernetes version's.
pub(super) fn crd_document(defs: &Map<String, Value>, schema: &Value) -> Result<Value, String> {
    let Value::Object(map) = schema else {
        return Err("the schema is not an object".into());
    };
    let mut roots = Vec::new();
    refs(schema, &mut roots);
    let mut document = map.clone();
    document.insert("$defs".into(), Value::Object(closure(defs, roots)?));
    Ok(Value::Object(document))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn closure_follows_references_but_not_properties_named_ref() {
        let defs = json!({
            "a": {"properties": {"b": {"$ref": "#/$defs/b"}, "$ref": {"type": "string"}}},
            "b": {"items": {"$ref": "#/$defs/c"}},
            "c": {"type": "string"},
            "d": {"type": "string"},
        });
        let Value::Object(defs) = defs else {
            unreachable!()
        };
        let reached = closure(&defs, vec!["a"]).unwrap();
        assert_eq!(reached.keys().collect::<Vec<_>>(), ["a", "b", "c"]);
        assert_eq!(closure(&defs, vec!["x"]).unwrap_err(), "no definition `x`");
    }
}
