//! Canonical YAML output: block style, two-space indentation with indented sequences, LF
//! line ends, keys in the order given, and strings quoted whenever any YAML reader could
//! take them for something else.

use std::fmt::Write as _;

use serde_json::Value;

use super::scalar::is_plain_safe_string;

/// Writes `value` as one YAML document body (no `---`), ending in a newline.
pub fn emit(value: &Value) -> String {
    let mut out = String::new();
    match value {
        Value::Object(map) if !map.is_empty() => mapping(&mut out, map, 0),
        Value::Array(items) if !items.is_empty() => sequence(&mut out, items, 0),
        scalar => {
            inline(&mut out, scalar, 0);
            out.push('\n');
        }
    }
    out
}

fn is_block(value: &Value) -> bool {
    match value {
        Value::Object(map) => !map.is_empty(),
        Value::Array(items) => !items.is_empty(),
        _ => false,
    }
}

fn indent(out: &mut String, width: usize) {
    out.extend(std::iter::repeat_n(' ', width));
}

fn mapping(out: &mut String, map: &serde_json::Map<String, Value>, width: usize) {
    for (i, (key, value)) in map.iter().enumerate() {
        if i > 0 {
            indent(out, width);
        }
        key_string(out, key);
        out.push(':');
        nested(out, value, width);
    }
}

fn sequence(out: &mut String, items: &[Value], width: usize) {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            indent(out, width);
        }
        match item {
            Value::Object(map) if !map.is_empty() => {
                out.push_str("- ");
                mapping(out, map, width + 2);
            }
            Value::Array(inner) if !inner.is_empty() => {
                out.push_str("-\n");
                indent(out, width + 2);
                sequence(out, inner, width + 2);
            }
            scalar => {
                out.push_str("- ");
                inline(out, scalar, width + 2);
                out.push('\n');
            }
        }
    }
}

/// Writes what follows `key:` or `-`: a nested block on the next lines, or a scalar.
fn nested(out: &mut String, value: &Value, width: usize) {
    if is_block(value) {
        out.push('\n');
        indent(out, width + 2);
        match value {
            Value::Object(map) => mapping(out, map, width + 2),
            Value::Array(items) => sequence(out, items, width + 2),
            _ => unreachable!("is_block holds only for non-empty collections"),
        }
    } else {
        out.push(' ');
        inline(out, value, width + 2);
        out.push('\n');
    }
}

/// Writes a scalar or an empty collection. `content_width` is the indentation a literal
/// block's lines would get.
fn inline(out: &mut String, value: &Value, content_width: usize) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => number(out, n),
        Value::String(s) => string(out, s, content_width),
        Value::Array(_) => out.push_str("[]"),
        Value::Object(_) => out.push_str("{}"),
    }
}

/// Integers as they are; floats always with a `.` and, in exponent form, a signed exponent
/// (`1.0e-6` rather than `1e-6`), which YAML 1.1 readers need to see a float.
fn number(out: &mut String, n: &serde_json::Number) {
    let text = n.to_string();
    if !n.is_f64() {
        out.push_str(&text);
        return;
    }
    let (mantissa, exponent) = match text.split_once(['e', 'E']) {
        Some((m, e)) => (m, Some(e)),
        None => (text.as_str(), None),
    };
    out.push_str(mantissa);
    if !mantissa.contains('.') {
        out.push_str(".0");
    }
    if let Some(exponent) = exponent {
        out.push('e');
        if !exponent.starts_with(['-', '+']) {
            out.push('+');
        }
        out.push_str(exponent);
    }
}

fn string(out: &mut String, text: &str, content_width: usize) {
    if is_plain_safe_string(text) {
        out.push_str(text);
    } else if fits_literal_block(text) {
        literal_block(out, text, content_width);
    } else {
        double_quoted(out, text);
    }
}

/// Keys are plain only without `:`: `a:b: c` reads as the key `a:b`, but daactl's reader
/// refuses plain keys holding `:` because a template that writes one has almost always
/// joined two lines.
fn key_string(out: &mut String, key: &str) {
    if is_plain_safe_string(key) && !key.contains(':') {
        out.push_str(key);
    } else {
        double_quoted(out, key);
    }
}

/// A literal block (`|`) keeps multi-line text readable. It is used only where it reads
/// back as exactly the same string: no leading or trailing blanks on a line, no characters
/// that some reader takes as a line break, at most one final newline.
fn fits_literal_block(text: &str) -> bool {
    let body = text.strip_suffix('\n').unwrap_or(text);
    body.contains('\n')
        && !body.starts_with([' ', '\t', '\n'])
        && !body.ends_with('\n')
        && body.split('\n').all(|line| {
            !line.ends_with([' ', '\t']) && line.chars().all(|c| c == '\t' || !needs_escape(c))
        })
}

fn literal_block(out: &mut String, text: &str, width: usize) {
    let (body, chomp) = match text.strip_suffix('\n') {
        Some(body) => (body, ""),
        None => (text, "-"),
    };
    out.push('|');
    out.push_str(chomp);
    for line in body.split('\n') {
        out.push('\n');
        if !line.is_empty() {
            indent(out, width);
            out.push_str(line);
        }
    }
}

/// Characters that must be escaped: those outside YAML's printable set (C0 and C1 controls,
/// DEL, U+FFFE, U+FFFF), the BOM, and the characters YAML 1.1 reads as line breaks (NEL,
/// LS, PS). Tab, LF and CR are escaped by name where needed.
fn needs_escape(c: char) -> bool {
    matches!(
        c,
        '\u{0}'..='\u{8}'
            | '\u{b}'..='\u{1f}'
            | '\u{7f}'..='\u{9f}'
            | '\u{2028}'
            | '\u{2029}'
            | '\u{feff}'
            | '\u{fffe}'
            | '\u{ffff}'
    )
}

fn double_quoted(out: &mut String, text: &str) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if needs_escape(c) => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn block_style_with_indented_sequences() {
        let value = json!({
            "kind": "Deployment",
            "spec": {"ports": [{"name": "http", "port": 80}, {"name": "metrics", "port": 9090}], "args": ["a", "on"]},
            "empty": {}, "none": [], "nested": [["x"]],
        });
        assert_eq!(
            emit(&value),
            "kind: Deployment\nspec:\n  ports:\n    - name: http\n      port: 80\n    - name: metrics\n      port: 9090\n  args:\n    - a\n    - \"on\"\nempty: {}\nnone: []\nnested:\n  -\n    - x\n"
        );
    }

    #[test]
    fn keys_holding_a_colon_are_quoted() {
        let value = json!({"A:a": "x:y", "app.kubernetes.io/name": "x"});
        assert_eq!(emit(&value), "\"A:a\": x:y\napp.kubernetes.io/name: x\n");
        assert_eq!(
            crate::yaml::parse_stream(&emit(&value)).unwrap()[0].value,
            value
        );
    }

    #[test]
    fn floats_read_as_floats_in_yaml_1_1() {
        let value = json!({"a": 0.000001, "b": 1e20, "c": 0.5, "d": -2.0, "e": 3});
        assert_eq!(
            emit(&value),
            "a: 1.0e-6\nb: 1.0e+20\nc: 0.5\nd: -2.0\ne: 3\n"
        );
        assert_eq!(
            crate::yaml::parse_stream(&emit(&value)).unwrap()[0].value,
            value
        );
    }

    #[test]
    fn multi_line_text_becomes_a_literal_block() {
        let value = json!({"data": {"a.conf": "x = 1\n\ny = 2\n", "b": "one\ntwo"}});
        assert_eq!(
            emit(&value),
            "data:\n  a.conf: |\n    x = 1\n\n    y = 2\n  b: |-\n    one\n    two\n"
        );
    }

    #[test]
    fn awkward_text_is_double_quoted_and_escaped() {
        let value = json!({"k": " lead\ntrail ", "c": "tab\there\u{7f}\u{2028}\"q\"\\"});
        assert_eq!(
            emit(&value),
            "k: \" lead\\ntrail \"\nc: \"tab\\there\\u007f\\u2028\\\"q\\\"\\\\\"\n"
        );
    }
}
