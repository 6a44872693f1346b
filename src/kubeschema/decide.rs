//! Deciding whether an object conforms to its schema by walking both together, with nothing
//! compiled.
//!
//! Compiling a kind's validator is most of a cold check (Deployment alone takes milliseconds),
//! while nearly every object this tool checks is valid. So [`decide`] walks the object and
//! the vendored schema side by side, for the few keywords those schemas use, and answers
//! [`Decision::Valid`] or [`Decision::Invalid`] only where JSON Schema 2020-12 leaves no
//! doubt. Anything else (a keyword it does not know, a regular expression whose meaning could
//! differ from ECMA 262's, a number it would have to compare inexactly) is
//! [`Decision::Undecided`], and the caller compiles the real validator, which also words the
//! violations. A differential test holds this walk to the compiled validator on every rendered
//! object and on thousands of broken copies of them.

use std::collections::BTreeMap;
use std::sync::{Mutex, OnceLock};

use serde_json::{Map, Number, Value};

/// What walking an object against its schema decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Decision {
    /// Conforms: the compiled validator would report nothing.
    Valid,
    /// Breaks the schema somewhere: the compiled validator would report something.
    Invalid,
    /// The walk cannot tell without the compiled validator.
    Undecided,
}

/// References nest deeper than this only in a cycle that consumes no input, which the
/// vendored schemas do not have; the walk gives up rather than loop.
const MAX_DEPTH: usize = 256;

/// Decides whether `instance` conforms to `schema`, resolving `#/$defs/<name>` references
/// through `definition`.
pub(super) fn decide<'s>(
    schema: &'s Value,
    instance: &Value,
    definition: &dyn Fn(&str) -> Option<&'s Value>,
) -> Decision {
    Walk { definition }.schema(schema, instance, 0)
}

struct Walk<'s, 'd> {
    definition: &'d dyn Fn(&str) -> Option<&'s Value>,
}

impl<'s> Walk<'s, '_> {
    fn schema(&self, schema: &'s Value, instance: &Value, depth: usize) -> Decision {
        if depth > MAX_DEPTH {
            return Decision::Undecided;
        }
        match schema {
            Value::Bool(true) => Decision::Valid,
            Value::Bool(false) => Decision::Invalid,
            Value::Object(keywords) => {
                let mut decision = Decision::Valid;
                for (keyword, value) in keywords {
                    match self.keyword(keywords, keyword, value, instance, depth) {
                        Decision::Invalid => return Decision::Invalid,
                        Decision::Undecided => decision = Decision::Undecided,
                        Decision::Valid => {}
                    }
                }
                decision
            }
            _ => Decision::Undecided,
        }
    }

    fn keyword(
        &self,
        keywords: &'s Map<String, Value>,
        keyword: &str,
        value: &'s Value,
        instance: &Value,
        depth: usize,
    ) -> Decision {
        let depth = depth + 1;
        match keyword {
            "type" => of_type(value, instance),
            "properties" => match (value, instance) {
                (Value::Object(properties), Value::Object(fields)) => {
                    all(fields.iter().filter_map(|(name, field)| {
                        let schema = properties.get(name)?;
                        Some(self.schema(schema, field, depth))
                    }))
                }
                (Value::Object(_), _) => Decision::Valid,
                _ => Decision::Undecided,
            },
            "additionalProperties" => {
                if keywords.contains_key("patternProperties") {
                    return Decision::Undecided;
                }
                let listed = match keywords.get("properties") {
                    Some(Value::Object(properties)) => Some(properties),
                    None => None,
                    Some(_) => return Decision::Undecided,
                };
                match instance {
                    Value::Object(fields) => all(fields
                        .iter()
                        .filter(|(name, _)| !listed.is_some_and(|p| p.contains_key(*name)))
                        .map(|(_, field)| self.schema(value, field, depth))),
                    _ => Decision::Valid,
                }
            }
            "required" => match (value, instance) {
                (Value::Array(names), Value::Object(fields)) => {
                    all(names.iter().map(|name| match name {
                        Value::String(name) => verdict(fields.contains_key(name)),
                        _ => Decision::Undecided,
                    }))
                }
                (Value::Array(_), _) => Decision::Valid,
                _ => Decision::Undecided,
            },
            "items" => match (value, instance) {
                (Value::Array(_), _) => Decision::Undecided, // the tuple form of older drafts
                (_, Value::Array(items)) => {
                    all(items.iter().map(|item| self.schema(value, item, depth)))
                }
                _ => Decision::Valid,
            },
            "enum" => one_of_values(value, instance),
            "allOf" => match value {
                Value::Array(schemas) => {
                    all(schemas.iter().map(|s| self.schema(s, instance, depth)))
                }
                _ => Decision::Undecided,
            },
            "anyOf" => match value {
                Value::Array(schemas) => {
                    any(schemas.iter().map(|s| self.schema(s, instance, depth)))
                }
                _ => Decision::Undecided,
            },
            "oneOf" => match value {
                Value::Array(schemas) => {
                    exactly_one(schemas.iter().map(|s| self.schema(s, instance, depth)))
                }
                _ => Decision::Undecided,
            },
            "not" => match self.schema(value, instance, depth) {
                Decision::Valid => Decision::Invalid,
                Decision::Invalid => Decision::Valid,
                Decision::Undecided => Decision::Undecided,
            },
            "$ref" => {
                let target = value
                    .as_str()
                    .and_then(|r| r.strip_prefix("#/$defs/"))
                    .filter(|name| !name.contains(['~', '/', '%']))
                    .and_then(|name| (self.definition)(name));
                match target {
                    Some(schema) => self.schema(schema, instance, depth),
                    None => Decision::Undecided,
                }
            }
            // Definitions only matter through a reference.
            "$defs" => Decision::Valid,
            "pattern" => match (value, instance) {
                (Value::String(pattern), Value::String(text)) => matches(pattern, text),
                (Value::String(_), _) => Decision::Valid,
                _ => Decision::Undecided,
            },
            "minLength" | "maxLength" => match (value.as_u64(), instance) {
                (Some(limit), Value::String(text)) => {
                    let length = text.chars().count() as u64;
                    verdict(if keyword == "minLength" {
                        length >= limit
                    } else {
                        length <= limit
                    })
                }
                (Some(_), _) => Decision::Valid,
                (None, _) => Decision::Undecided,
            },
            "minimum" | "maximum" => match (value, instance) {
                (Value::Number(limit), Value::Number(number)) => {
                    match (exact(limit), exact(number)) {
                        (Some(limit), Some(number)) => verdict(if keyword == "minimum" {
                            number >= limit
                        } else {
                            number <= limit
                        }),
                        _ => Decision::Undecided,
                    }
                }
                (Value::Number(_), _) => Decision::Valid,
                _ => Decision::Undecided,
            },
            // Any other keyword may assert something this walk does not know.
            _ => Decision::Undecided,
        }
    }
}

fn verdict(holds: bool) -> Decision {
    if holds {
        Decision::Valid
    } else {
        Decision::Invalid
    }
}

/// Every decision holds: invalid as soon as one fails.
fn all(decisions: impl Iterator<Item = Decision>) -> Decision {
    let mut out = Decision::Valid;
    for decision in decisions {
        match decision {
            Decision::Invalid => return Decision::Invalid,
            Decision::Undecided => out = Decision::Undecided,
            Decision::Valid => {}
        }
    }
    out
}

/// At least one decision holds: valid as soon as one does.
fn any(decisions: impl Iterator<Item = Decision>) -> Decision {
    let mut out = Decision::Invalid;
    for decision in decisions {
        match decision {
            Decision::Valid => return Decision::Valid,
            Decision::Undecided => out = Decision::Undecided,
            Decision::Invalid => {}
        }
    }
    out
}

/// Exactly one decision holds, which needs every other one decided.
fn exactly_one(decisions: impl Iterator<Item = Decision>) -> Decision {
    let (mut valid, mut undecided) = (0, 0);
    for decision in decisions {
        match decision {
            Decision::Valid => valid += 1,
            Decision::Undecided => undecided += 1,
            Decision::Invalid => {}
        }
    }
    match (valid, undecided) {
        (1, 0) => Decision::Valid,
        (0, 0) => Decision::Invalid,
        (v, _) if v > 1 => Decision::Invalid,
        _ => Decision::Undecided,
    }
}

/// `type`: one name or a list of names.
fn of_type(expected: &Value, instance: &Value) -> Decision {
    match expected {
        Value::String(name) => is_type(name, instance),
        Value::Array(names) => any(names.iter().map(|name| match name {
            Value::String(name) => is_type(name, instance),
            _ => Decision::Undecided,
        })),
        _ => Decision::Undecided,
    }
}

fn is_type(name: &str, instance: &Value) -> Decision {
    match (name, instance) {
        ("null", Value::Null)
        | ("boolean", Value::Bool(_))
        | ("string", Value::String(_))
        | ("array", Value::Array(_))
        | ("object", Value::Object(_))
        | ("number", Value::Number(_)) => Decision::Valid,
        // 2020-12 counts 2.0 as an integer; leave such numbers to the validator.
        ("integer", Value::Number(n)) if n.is_f64() => Decision::Undecided,
        ("integer", Value::Number(_)) => Decision::Valid,
        ("null" | "boolean" | "string" | "array" | "object" | "number" | "integer", _) => {
            Decision::Invalid
        }
        _ => Decision::Undecided,
    }
}

/// `enum`: JSON Schema compares numbers by value (1 equals 1.0), so a number, or a
/// structure that may hold one, is left to the validator.
fn one_of_values(options: &Value, instance: &Value) -> Decision {
    let Value::Array(options) = options else {
        return Decision::Undecided;
    };
    match instance {
        Value::Null | Value::Bool(_) | Value::String(_) => {
            verdict(options.iter().any(|option| option == instance))
        }
        _ => Decision::Undecided,
    }
}

/// An integer as an exact value, or `None` for a float.
fn exact(number: &Number) -> Option<i128> {
    number
        .as_i64()
        .map(i128::from)
        .or_else(|| number.as_u64().map(i128::from))
}

/// `pattern`: an unanchored search, with ECMA 262 regular expressions. Only patterns that
/// mean the same to regex-lite are run here (see [`same_in_ecma_and_regex_lite`]); the
/// compiled form of each is kept for the process.
fn matches(pattern: &str, text: &str) -> Decision {
    static COMPILED: OnceLock<Mutex<BTreeMap<String, Option<regex_lite::Regex>>>> = OnceLock::new();
    let mut compiled = COMPILED
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let regex = compiled.entry(pattern.to_owned()).or_insert_with(|| {
        same_in_ecma_and_regex_lite(pattern)
            .then(|| regex_lite::Regex::new(pattern).ok())
            .flatten()
    });
    match regex {
        Some(regex) => verdict(regex.is_match(text)),
        None => Decision::Undecided,
    }
}

/// Whether `pattern` matches the same strings as an ECMA 262 expression and as a regex-lite
/// one. Kept to what the vendored schemas use: ASCII literals, bracket classes, groups
/// (plain and `(?:`), alternation, quantifiers, anchors, `\d`, `\D`, `\w`, `\W` (ASCII in both)
/// and escaped punctuation (jsonschema translates the same way, in `jsonschema-regex`). Not allowed: `.` outside a class (ECMA's excludes `\r` and
/// U+2028/9), `\s` (ECMA's includes Unicode spaces), inline flags such as `(?i)` (not ECMA),
/// lookaround, back-references, and any other escape.
fn same_in_ecma_and_regex_lite(pattern: &str) -> bool {
    let mut chars = pattern.chars().peekable();
    let mut in_class = false;
    while let Some(c) = chars.next() {
        match c {
            _ if !c.is_ascii() || c.is_ascii_control() => return false,
            '\\' => match chars.next() {
                Some('d' | 'D' | 'w' | 'W') => {}
                Some(escaped) if escaped.is_ascii_punctuation() => {}
                _ => return false,
            },
            // Nested classes and the set operations `--`, `&&`, `~~` exist only in Rust's.
            '[' if in_class => return false,
            '-' | '&' | '~' if in_class && chars.peek() == Some(&c) => return false,
            // `[]` and `[^]` are empty classes to ECMA, the start of a longer one to Rust.
            '[' => {
                chars.next_if_eq(&'^');
                if chars.peek() == Some(&']') {
                    return false;
                }
                in_class = true;
            }
            ']' if in_class => in_class = false,
            '.' if !in_class => return false,
            // A counted repetition, `{2}`, `{2,}` or `{2,5}`; ECMA reads other braces as
            // literals where Rust's syntax may not.
            '{' if !in_class => {
                let mut digits = 0;
                while chars.next_if(char::is_ascii_digit).is_some() {
                    digits += 1;
                }
                if digits == 0 {
                    return false;
                }
                if chars.next_if_eq(&',').is_some() {
                    while chars.next_if(char::is_ascii_digit).is_some() {}
                }
                if chars.next() != Some('}') {
                    return false;
                }
            }
            '(' if !in_class && chars.peek() == Some(&'?') => {
                chars.next();
                if chars.next() != Some(':') {
                    return false;
                }
            }
            _ => {}
        }
    }
    !in_class
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn walk(schema: &Value, instance: &Value) -> Decision {
        let defs = json!({
            "name": {"type": "string", "minLength": 1},
            "loop": {"$ref": "#/$defs/loop"},
        });
        decide(schema, instance, &|name| defs.get(name))
    }

    #[test]
    fn objects_are_decided_field_by_field() {
        let schema = json!({
            "type": "object",
            "required": ["name"],
            "properties": {"name": {"$ref": "#/$defs/name"}, "size": {"type": "integer", "minimum": 1}},
            "additionalProperties": false,
        });
        assert_eq!(
            walk(&schema, &json!({"name": "a", "size": 2})),
            Decision::Valid
        );
        assert_eq!(walk(&schema, &json!({"size": 2})), Decision::Invalid);
        assert_eq!(walk(&schema, &json!({"name": ""})), Decision::Invalid);
        assert_eq!(
            walk(&schema, &json!({"name": "a", "extra": 1})),
            Decision::Invalid
        );
        assert_eq!(
            walk(&schema, &json!({"name": "a", "size": 0})),
            Decision::Invalid
        );
        assert_eq!(
            walk(&schema, &json!({"name": "a", "size": "2"})),
            Decision::Invalid
        );
        assert_eq!(walk(&schema, &json!([])), Decision::Invalid);
    }

    #[test]
    fn what_the_walk_cannot_be_sure_of_is_left_to_the_validator() {
        let integer = json!({"type": "integer"});
        assert_eq!(walk(&integer, &json!(2.0)), Decision::Undecided);
        assert_eq!(walk(&integer, &json!(2)), Decision::Valid);
        assert_eq!(
            walk(&json!({"enum": [1]}), &json!(1.0)),
            Decision::Undecided
        );
        assert_eq!(
            walk(&json!({"minimum": 1.5}), &json!(2)),
            Decision::Undecided
        );
        assert_eq!(
            walk(&json!({"format": "date"}), &json!("x")),
            Decision::Undecided
        );
        assert_eq!(
            walk(&json!({"$ref": "#/$defs/none"}), &json!(1)),
            Decision::Undecided
        );
        assert_eq!(
            walk(&json!({"$ref": "#/$defs/loop"}), &json!(1)),
            Decision::Undecided
        );
        assert_eq!(
            walk(&json!({"items": [true]}), &json!([1])),
            Decision::Undecided
        );
        // Undecided never hides a definite failure elsewhere in the same schema.
        let mixed = json!({"format": "date", "type": "integer"});
        assert_eq!(walk(&mixed, &json!("x")), Decision::Invalid);
    }

    #[test]
    fn alternatives_need_every_branch_decided_only_when_it_matters() {
        let int_or_string = json!({"oneOf": [{"type": "integer"}, {"type": "string"}]});
        assert_eq!(walk(&int_or_string, &json!("80")), Decision::Valid);
        assert_eq!(walk(&int_or_string, &json!(true)), Decision::Invalid);
        let overlapping = json!({"oneOf": [{"type": "integer"}, {"type": "number"}]});
        assert_eq!(walk(&overlapping, &json!(1)), Decision::Invalid);
        let unsure = json!({"anyOf": [{"format": "x"}, {"type": "string"}]});
        assert_eq!(walk(&unsure, &json!("a")), Decision::Valid);
        assert_eq!(walk(&unsure, &json!(1)), Decision::Undecided);
        assert_eq!(
            walk(&json!({"not": {"type": "null"}}), &json!(1)),
            Decision::Valid
        );
    }

    #[test]
    fn patterns_run_only_where_ecma_and_regex_lite_agree() {
        let duration = json!({"pattern": "^(0|(([0-9]+)h)?(([0-9]+)m)?)$"});
        assert_eq!(walk(&duration, &json!("1h30m")), Decision::Valid);
        assert_eq!(walk(&duration, &json!("90 minutes")), Decision::Invalid);
        assert_eq!(walk(&duration, &json!(5)), Decision::Valid);
        for pattern in [
            "^a.b$", "\\s", "(?i)abc", "(?=a)", "\\1", "é", "[a", "[a--b]", "[[a]]", "a{,3}", "a{",
            "[]a]", "[^]a]",
        ] {
            let schema = json!({"pattern": pattern});
            assert_eq!(walk(&schema, &json!("a")), Decision::Undecided, "{pattern}");
        }
        for pattern in ["^2\\d{3}(?::2\\d{3}|$)", "[.]", "^[a-zA-Z_][a-zA-Z0-9_]*$"] {
            assert!(same_in_ecma_and_regex_lite(pattern), "{pattern}");
        }
    }
}
