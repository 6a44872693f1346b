//! Turns the validator's errors into violations a person reads: one per problem, naming the
//! field, with the noise of `oneOf`/`anyOf` (IntOrString, Quantity) collapsed into one line.

use jsonschema::error::{TypeKind, ValidationErrorKind};
use jsonschema::{JsonType, ValidationError, Validator};
use serde_json::Value;

use super::crd::escape;
use super::verdict::Violation;

/// Every violation of `object`, sorted by pointer then message, without duplicates.
pub(super) fn violations(validator: &Validator, object: &Value) -> Vec<Violation> {
    let mut out = Vec::new();
    for error in validator.iter_errors(object) {
        translate(&error, &mut out);
    }
    out.sort();
    out.dedup();
    out
}

/// The JSON type of a value as messages name it; a number without a fraction is an integer.
pub(crate) fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn translate(error: &ValidationError<'_>, out: &mut Vec<Violation>) {
    let pointer = error.instance_path().as_str();
    let field = field(pointer);
    let instance: &Value = error.instance();
    let mut push = |pointer: String, message: String| out.push(Violation { pointer, message });
    match error.kind() {
        ValidationErrorKind::AdditionalProperties { unexpected }
        | ValidationErrorKind::UnevaluatedProperties { unexpected } => {
            for name in unexpected {
                push(
                    format!("{pointer}/{}", escape(name)),
                    format!("unknown field `{name}`"),
                );
            }
        }
        ValidationErrorKind::FalseSchema => {
            push(pointer.to_owned(), format!("{field} is not allowed here"));
        }
        ValidationErrorKind::Required { property } => {
            let name = property
                .as_str()
                .map_or_else(|| property.to_string(), str::to_owned);
            push(
                pointer.to_owned(),
                format!("missing required field `{name}`"),
            );
        }
        ValidationErrorKind::Type { kind } => {
            let expected: Vec<JsonType> = match kind {
                TypeKind::Single(one) => vec![*one],
                TypeKind::Multiple(set) => set.iter().collect(),
            };
            push(
                pointer.to_owned(),
                format!(
                    "{field} must be {}, found {}",
                    expected_types(&expected),
                    type_name(instance)
                ),
            );
        }
        ValidationErrorKind::Enum { options } => {
            push(
                pointer.to_owned(),
                format!(
                    "{field} must be {}, found {}",
                    one_of_values(options),
                    show(instance)
                ),
            );
        }
        ValidationErrorKind::Constant { expected_value } => {
            push(
                pointer.to_owned(),
                format!(
                    "{field} must be {}, found {}",
                    show(expected_value),
                    show(instance)
                ),
            );
        }
        ValidationErrorKind::OneOfNotValid { context } | ValidationErrorKind::AnyOf { context } => {
            alternatives(error, context, out);
        }
        ValidationErrorKind::OneOfMultipleValid { .. } if instance.is_null() => {
            push(pointer.to_owned(), format!("{field} must not be null"));
        }
        ValidationErrorKind::OneOfMultipleValid { .. } => {
            push(
                pointer.to_owned(),
                format!("{field} must match exactly one of its allowed forms, matches several"),
            );
        }
        ValidationErrorKind::Pattern { pattern } => {
            push(
                pointer.to_owned(),
                format!("{field} must match `{pattern}`, found {}", show(instance)),
            );
        }
        ValidationErrorKind::MinLength { limit } => {
            push(
                pointer.to_owned(),
                format!("{field} must have at least {limit} characters"),
            );
        }
        ValidationErrorKind::MaxLength { limit } => {
            push(
                pointer.to_owned(),
                format!("{field} must have at most {limit} characters"),
            );
        }
        ValidationErrorKind::MinItems { limit } => {
            push(
                pointer.to_owned(),
                format!("{field} must have at least {limit} items"),
            );
        }
        ValidationErrorKind::MaxItems { limit } => {
            push(
                pointer.to_owned(),
                format!("{field} must have at most {limit} items"),
            );
        }
        ValidationErrorKind::MinProperties { limit } => {
            push(
                pointer.to_owned(),
                format!("{field} must have at least {limit} fields"),
            );
        }
        ValidationErrorKind::MaxProperties { limit } => {
            push(
                pointer.to_owned(),
                format!("{field} must have at most {limit} fields"),
            );
        }
        ValidationErrorKind::Minimum { limit } => {
            push(
                pointer.to_owned(),
                format!("{field} must be at least {limit}, found {instance}"),
            );
        }
        ValidationErrorKind::Maximum { limit } => {
            push(
                pointer.to_owned(),
                format!("{field} must be at most {limit}, found {instance}"),
            );
        }
        ValidationErrorKind::ExclusiveMinimum { limit } => {
            push(
                pointer.to_owned(),
                format!("{field} must be more than {limit}, found {instance}"),
            );
        }
        ValidationErrorKind::ExclusiveMaximum { limit } => {
            push(
                pointer.to_owned(),
                format!("{field} must be less than {limit}, found {instance}"),
            );
        }
        ValidationErrorKind::UniqueItems => {
            push(
                pointer.to_owned(),
                format!("{field} must not repeat an item"),
            );
        }
        _ => {
            // Keywords the vendored schemas do not use; the validator's own words.
            push(pointer.to_owned(), format!("{field}: {}", error.masked()));
        }
    }
}

/// Collapses a failed `oneOf`/`anyOf`. When the value's type fits no alternative, one line
/// lists the types they accept (IntOrString: "must be an integer or a string, found
/// boolean"). When it fits exactly one, that alternative's own violations are what is wrong.
fn alternatives(
    error: &ValidationError<'_>,
    context: &[Vec<ValidationError<'static>>],
    out: &mut Vec<Violation>,
) {
    let pointer = error.instance_path().as_str();
    let is_type_mismatch = |e: &ValidationError<'_>| {
        e.instance_path().as_str() == pointer
            && matches!(e.kind(), ValidationErrorKind::Type { .. })
    };
    let fitting: Vec<&Vec<ValidationError<'static>>> = context
        .iter()
        .filter(|branch| !branch.iter().any(is_type_mismatch))
        .collect();
    match fitting.as_slice() {
        [] => {
            let mut expected = Vec::new();
            for branch in context {
                for e in branch {
                    if let ValidationErrorKind::Type { kind } = e.kind() {
                        match kind {
                            TypeKind::Single(one) => expected.push(*one),
                            TypeKind::Multiple(set) => expected.extend(set.iter()),
                        }
                    }
                }
            }
            expected.sort();
            expected.dedup();
            out.push(Violation {
                pointer: pointer.to_owned(),
                message: format!(
                    "{} must be {}, found {}",
                    field(pointer),
                    expected_types(&expected),
                    type_name(error.instance())
                ),
            });
        }
        [only] => only.iter().for_each(|e| translate(e, out)),
        _ => out.push(Violation {
            pointer: pointer.to_owned(),
            message: format!("{} matches none of its allowed forms", field(pointer)),
        }),
    }
}

/// "an integer", "an integer or a string", "an object, an array or a string". `null`, which
/// the Kubernetes schemas accept for every optional field, is named only when it is all
/// that is accepted.
fn expected_types(types: &[JsonType]) -> String {
    let mut named: Vec<&str> = types
        .iter()
        .filter(|t| **t != JsonType::Null)
        .map(|t| match t {
            JsonType::Integer => "an integer",
            JsonType::Object => "an object",
            JsonType::Array => "an array",
            JsonType::String => "a string",
            JsonType::Number => "a number",
            JsonType::Boolean => "a boolean",
            JsonType::Null => "null",
        })
        .collect();
    if named.is_empty() {
        named.push("null");
    }
    join_or(&named)
}

fn one_of_values(options: &Value) -> String {
    match options {
        Value::Array(values) if values.len() == 1 => show(&values[0]),
        Value::Array(values) => {
            let shown: Vec<String> = values.iter().map(show).collect();
            format!("one of {}", shown.join(", "))
        }
        other => show(other),
    }
}

fn join_or<S: AsRef<str>>(items: &[S]) -> String {
    match items {
        [] => String::new(),
        [one] => one.as_ref().to_owned(),
        [init @ .., last] => {
            let init: Vec<&str> = init.iter().map(AsRef::as_ref).collect();
            format!("{} or {}", init.join(", "), last.as_ref())
        }
    }
}

/// A value in a message: strings bare in backticks, anything else as JSON in backticks,
/// cut short when long.
fn show(value: &Value) -> String {
    let text = match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    if text.chars().count() > 60 {
        format!("`{}...`", text.chars().take(57).collect::<String>())
    } else {
        format!("`{text}`")
    }
}

/// The field a pointer ends at, in backticks: `replicas` for `/spec/replicas`,
/// `containers[0]` for `/spec/containers/0`; the whole object is "the object".
fn field(pointer: &str) -> String {
    let segments: Vec<String> = pointer
        .split('/')
        .skip(1)
        .map(|s| s.replace("~1", "/").replace("~0", "~"))
        .collect();
    let mut end = segments.len();
    let mut indices = String::new();
    while end > 0 && segments[end - 1].bytes().all(|b| b.is_ascii_digit()) && end > 1 {
        indices.insert_str(0, &format!("[{}]", segments[end - 1]));
        end -= 1;
    }
    match segments.get(end.wrapping_sub(1)) {
        Some(name) if end > 0 => format!("`{name}{indices}`"),
        _ => "the object".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_named_by_their_last_key_and_indices() {
        assert_eq!(field(""), "the object");
        assert_eq!(field("/spec/replicas"), "`replicas`");
        assert_eq!(field("/spec/containers/0"), "`containers[0]`");
        assert_eq!(field("/a/0/1"), "`a[0][1]`");
        assert_eq!(field("/metadata/labels/a~1b"), "`a/b`");
        assert_eq!(field("/0"), "`0`");
    }

    #[test]
    fn types_read_as_english() {
        assert_eq!(
            expected_types(&[JsonType::Integer, JsonType::Null]),
            "an integer"
        );
        assert_eq!(
            expected_types(&[JsonType::Integer, JsonType::String]),
            "an integer or a string"
        );
        assert_eq!(
            expected_types(&[JsonType::Array, JsonType::Object, JsonType::String]),
            "an array, an object or a string"
        );
        assert_eq!(expected_types(&[JsonType::Null]), "null");
    }
}
