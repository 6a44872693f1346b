//! Whether a real tool's output holds exactly daactl's objects.

use std::collections::BTreeMap;

use serde_json::Value;

use daactl::render::Rendered;

/// `apiVersion kind namespace/name` of an object.
fn identity(value: &Value) -> String {
    let text = |pointer: &str| value.pointer(pointer).and_then(Value::as_str).unwrap_or("");
    format!(
        "{} {} {}/{}",
        text("/apiVersion"),
        text("/kind"),
        text("/metadata/namespace"),
        text("/metadata/name")
    )
}

/// The first place where `expected` and `actual` differ, as a JSON pointer with both values.
pub fn first_difference(expected: &Value, actual: &Value, at: &str) -> Option<String> {
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => {
            for (key, value) in e {
                let here = format!("{at}/{}", key.replace('~', "~0").replace('/', "~1"));
                match a.get(key) {
                    Some(other) => {
                        if let Some(found) = first_difference(value, other, &here) {
                            return Some(found);
                        }
                    }
                    None => return Some(format!("{here}: expected {value}, missing")),
                }
            }
            let extra: Vec<&String> = a.keys().filter(|k| !e.contains_key(*k)).collect();
            (!extra.is_empty()).then(|| format!("{at}: unexpected keys {extra:?}"))
        }
        (Value::Array(e), Value::Array(a)) if e.len() == a.len() => e
            .iter()
            .zip(a)
            .enumerate()
            .find_map(|(i, (e, a))| first_difference(e, a, &format!("{at}/{i}"))),
        _ if expected == actual => None,
        _ => Some(format!("{at}: expected {expected}, got {actual}")),
    }
}

/// Asserts that `documents` (a tool's output, parsed) are exactly `expected`'s objects, field
/// for field, naming each missing or extra object and each object's first differing path.
/// Order is not compared: each tool sorts by its own rules.
pub fn assert_same_objects(tool: &str, expected: &Rendered, documents: &[Value]) {
    let want: BTreeMap<String, &Value> = expected
        .resources
        .iter()
        .map(|r| (identity(&r.value), &r.value))
        .collect();
    let mut got: BTreeMap<String, &Value> = BTreeMap::new();
    let mut problems = Vec::new();
    for document in documents.iter().filter(|d| !d.is_null()) {
        if got.insert(identity(document), document).is_some() {
            problems.push(format!("twice: {}", identity(document)));
        }
    }
    for (id, value) in &want {
        match got.get(id) {
            None => problems.push(format!("missing: {id}")),
            Some(actual) => {
                if let Some(difference) = first_difference(value, actual, "") {
                    problems.push(format!("differs: {id} at {difference}"));
                }
            }
        }
    }
    problems.extend(
        got.keys()
            .filter(|id| !want.contains_key(*id))
            .map(|id| format!("extra: {id}")),
    );
    assert!(
        problems.is_empty(),
        "{tool} does not produce daactl's {} objects of {}:\n  {}",
        want.len(),
        expected.environment,
        problems.join("\n  ")
    );
}
