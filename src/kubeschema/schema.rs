//! Walking the vendored JSON Schemas: the definitions a schema reaches, and the one document
//! a kind's validator is compiled from.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde_json::value::RawValue;
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

/// A schema kept as JSON text, parsed on first use, once, for every thread: most of the 700
/// definitions of a version, and most kinds of a vendored CRD file, are never needed.
pub(super) struct LazySchema {
    text: &'static RawValue,
    parsed: OnceLock<Result<Value, String>>,
}

impl LazySchema {
    pub(super) fn new(text: &'static RawValue) -> Self {
        Self {
            text,
            parsed: OnceLock::new(),
        }
    }

    /// The schema, parsed; the parser's message if its text is not JSON.
    pub(super) fn get(&self) -> Result<&Value, String> {
        self.parsed
            .get_or_init(|| serde_json::from_str(self.text.get()).map_err(|err| err.to_string()))
            .as_ref()
            .map_err(Clone::clone)
    }
}

/// A version's definitions, by name, each parsed only when a kind reaches it.
pub(super) type Definitions = BTreeMap<&'static str, LazySchema>;

/// The definitions `roots` reach in `defs`, themselves included, as a `$defs` map. A name
/// that `defs` lacks is an error.
pub(super) fn closure(
    defs: &Definitions,
    roots: Vec<String>,
) -> Result<Map<String, Value>, String> {
    let mut out = Map::new();
    let mut todo = roots;
    while let Some(name) = todo.pop() {
        if out.contains_key(&name) {
            continue;
        }
        let schema = defs
            .get(name.as_str())
            .ok_or_else(|| format!("no definition `{name}`"))?
            .get()
            .map_err(|err| format!("definition `{name}`: {err}"))?
            .clone();
        let mut reached = Vec::new();
        refs(&schema, &mut reached);
        todo.extend(reached.into_iter().map(str::to_owned));
        out.insert(name, schema);
    }
    // Sorted, so the compiled document is the same whatever order the walk took.
    out.sort_keys();
    Ok(out)
}

/// The document validating a built-in kind: a reference to its definition, with every
/// definition it reaches.
pub(super) fn builtin_document(defs: &Definitions, definition: &str) -> Result<Value, String> {
    let mut document = Map::new();
    document.insert("$ref".into(), Value::String(format!("{DEFS}{definition}")));
    document.insert(
        "$defs".into(),
        Value::Object(closure(defs, vec![definition.to_owned()])?),
    );
    Ok(Value::Object(document))
}

/// The document validating a custom resource: its schema, with the definitions it refers to
/// (ObjectMeta, for `metadata`) taken from the Kubernetes version's.
pub(super) fn crd_document(defs: &Definitions, schema: &Value) -> Result<Value, String> {
    let Value::Object(map) = schema else {
        return Err("the schema is not an object".into());
    };
    let mut roots = Vec::new();
    refs(schema, &mut roots);
    let roots = roots.into_iter().map(str::to_owned).collect();
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
        let text: &'static str = Box::leak(
            json!({
                "a": {"properties": {"b": {"$ref": "#/$defs/b"}, "$ref": {"type": "string"}}},
                "b": {"items": {"$ref": "#/$defs/c"}},
                "c": {"type": "string"},
                "d": {"type": "string"},
            })
            .to_string()
            .into_boxed_str(),
        );
        let texts: BTreeMap<&'static str, &'static RawValue> = serde_json::from_str(text).unwrap();
        let defs: Definitions = texts
            .into_iter()
            .map(|(name, text)| (name, LazySchema::new(text)))
            .collect();
        let reached = closure(&defs, vec!["a".into()]).unwrap();
        assert_eq!(reached.keys().collect::<Vec<_>>(), ["a", "b", "c"]);
        assert_eq!(
            closure(&defs, vec!["x".into()]).unwrap_err(),
            "no definition `x`"
        );
    }
}
