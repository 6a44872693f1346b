//! A chart template for one object: its shared structure as daactl's canonical YAML, and a
//! Go template action wherever a value comes from the values files.
//!
//! Every value is printed with `toJson`: JSON is YAML flow syntax, so a string stays a string
//! (`"80"`), a number a number, and characters YAML or Go templates treat specially arrive
//! quoted and escaped. A value some environment lacks is written only when the values hold
//! it (`hasKey`, never truthiness: `0`, `false` and `""` are real values). Literal text that
//! holds `{{` is printed through an action, so Helm writes it back unchanged.

use serde_json::{Value, json};

use crate::yaml;

use super::naming::{self, ENVIRONMENT, NAMESPACES};
use super::shape::{Shape, Source};

/// The variable holding an object's values group.
const GROUP: &str = "$v";

/// How one object's template starts.
pub(super) struct Header<'a> {
    /// A comment saying what the object is and which daactl template makes it.
    pub comment: String,
    /// The object's values group, when it has values.
    pub group: Option<&'a [String]>,
    /// The key of its flag, when only some environments render it.
    pub flag: Option<&'a str>,
}

/// The template text of one object.
pub(super) fn object(header: &Header<'_>, shape: &Shape) -> String {
    let mut writer = Writer { out: String::new() };
    let comment = header.comment.replace("*/", "* /");
    writer
        .out
        .push_str(&format!("{{{{- /* {comment} */ -}}}}\n"));
    if let Some(group) = header.group {
        let group = naming::access(".Values", group);
        writer
            .out
            .push_str(&format!("{{{{- {GROUP} := {group} -}}}}\n"));
    }
    if let Some(flag) = header.flag {
        let flag = naming::access(GROUP, &[flag.to_owned()]);
        writer.out.push_str(&format!("{{{{- if {flag} -}}}}\n"));
    }
    writer.document(shape);
    if header.flag.is_some() {
        writer.out.push_str("{{- end }}\n");
    }
    writer.out
}

struct Writer {
    out: String,
}

impl Writer {
    fn document(&mut self, shape: &Shape) {
        match shape {
            Shape::Map(entries) if !entries.is_empty() => self.map(entries, 0),
            Shape::List(items) if !items.is_empty() => self.list(items, 0),
            Shape::Literal(value) => self.literal(&yaml::emit(value), 0),
            Shape::Map(_) => self.out.push_str("{}\n"),
            Shape::List(_) => self.out.push_str("[]\n"),
            Shape::Read { source, .. } => {
                let read = read(source);
                self.out.push_str(&format!("{{{{ {read} | toJson }}}}\n"));
            }
        }
    }

    fn indent(&mut self, width: usize) {
        self.out.extend(std::iter::repeat_n(' ', width));
    }

    /// Writes map entries; the cursor is at column `width`.
    fn map(&mut self, entries: &[(String, Shape)], width: usize) {
        for (index, (key, shape)) in entries.iter().enumerate() {
            if index > 0 {
                self.indent(width);
            }
            self.entry(key, shape, width);
        }
    }

    /// Writes one map entry and its newline; the cursor is at column `width`.
    fn entry(&mut self, key: &str, shape: &Shape, width: usize) {
        match shape {
            Shape::Literal(value) => {
                let mut map = serde_json::Map::new();
                map.insert(key.to_owned(), value.clone());
                self.literal(&yaml::emit(&Value::Object(map)), width);
            }
            Shape::Map(entries) if !entries.is_empty() => {
                self.key(key);
                self.out.push_str(":\n");
                self.indent(width + 2);
                self.map(entries, width + 2);
            }
            Shape::List(items) if !items.is_empty() => {
                self.key(key);
                self.out.push_str(":\n");
                self.indent(width + 2);
                self.list(items, width + 2);
            }
            Shape::Map(_) => {
                self.key(key);
                self.out.push_str(": {}\n");
            }
            Shape::List(_) => {
                self.key(key);
                self.out.push_str(": []\n");
            }
            Shape::Read {
                source,
                optional: true,
            } => {
                let guard = guard(source);
                // `{{-` takes back the newline and indentation before it, so the entry and
                // the `end` leave exactly one line each, or nothing.
                self.out.push_str(&format!("{{{{- if {guard} }}}}\n"));
                self.indent(width);
                self.key(key);
                self.out
                    .push_str(&format!(": {{{{ {} | toJson }}}}\n", read(source)));
                self.indent(width);
                self.out.push_str("{{- end }}\n");
            }
            Shape::Read { source, .. } => {
                self.key(key);
                self.out
                    .push_str(&format!(": {{{{ {} | toJson }}}}\n", read(source)));
            }
        }
    }

    /// Writes list items; the cursor is at column `width`.
    fn list(&mut self, items: &[Shape], width: usize) {
        for (index, item) in items.iter().enumerate() {
            if index > 0 {
                self.indent(width);
            }
            match item {
                Shape::Literal(value) => {
                    self.literal(&yaml::emit(&Value::Array(vec![value.clone()])), width);
                }
                Shape::Map(entries) if !entries.is_empty() => {
                    let guarded_first = matches!(
                        entries.first(),
                        Some((_, Shape::Read { optional: true, .. }))
                    );
                    if guarded_first {
                        // A guard cannot follow `- ` on its line: the item starts below.
                        self.out.push_str("-\n");
                        self.indent(width + 2);
                    } else {
                        self.out.push_str("- ");
                    }
                    self.map(entries, width + 2);
                }
                Shape::List(inner) if !inner.is_empty() => {
                    self.out.push_str("-\n");
                    self.indent(width + 2);
                    self.list(inner, width + 2);
                }
                Shape::Map(_) => self.out.push_str("- {}\n"),
                Shape::List(_) => self.out.push_str("- []\n"),
                Shape::Read { source, .. } => {
                    self.out
                        .push_str(&format!("- {{{{ {} | toJson }}}}\n", read(source)));
                }
            }
        }
    }

    /// Writes a map key as daactl's YAML writes it.
    fn key(&mut self, key: &str) {
        let text = yaml::emit(&json!({ key: null }));
        let text = text.strip_suffix(": null\n").unwrap_or(&text);
        self.out.push_str(&escape(text));
    }

    /// Writes canonical YAML text placed at column `width`: its first line at the cursor, the
    /// rest indented by `width` (empty lines of literal blocks stay empty).
    fn literal(&mut self, text: &str, width: usize) {
        let text = escape(text);
        for (index, line) in text.split_inclusive('\n').enumerate() {
            if index > 0 && line != "\n" {
                self.indent(width);
            }
            self.out.push_str(line);
        }
    }
}

/// Text that Go templates print as it is: every `{{` becomes an action printing `{{`.
fn escape(text: &str) -> String {
    text.replace("{{", "{{ \"{{\" }}")
}

/// The expression reading `source`.
fn read(source: &Source) -> String {
    match source {
        Source::Own(keys) => naming::access(GROUP, keys),
        Source::Environment => naming::access(".Values", &[ENVIRONMENT.to_owned()]),
        Source::Namespace(role) => {
            naming::access(".Values", &[NAMESPACES.to_owned(), role.clone()])
        }
    }
}

/// The condition under which an optional value is written: its key is in its map.
fn guard(source: &Source) -> String {
    match source {
        Source::Own(keys) => match keys.split_last() {
            Some((last, parent)) => format!(
                "hasKey {} {}",
                naming::argument(GROUP, parent),
                naming::quote(last)
            ),
            None => "true".to_owned(),
        },
        // Names are never optional; this keeps the template valid if one were.
        Source::Environment | Source::Namespace(_) => "true".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn own(keys: &[&str], optional: bool) -> Shape {
        Shape::Read {
            source: Source::Own(keys.iter().map(|k| (*k).to_owned()).collect()),
            optional,
        }
    }

    #[test]
    fn shared_parts_are_canonical_yaml_and_values_are_read_as_json() {
        let shape = Shape::Map(vec![
            ("apiVersion".into(), Shape::Literal(json!("v1"))),
            (
                "metadata".into(),
                Shape::Map(vec![
                    ("name".into(), Shape::Literal(json!("a"))),
                    (
                        "namespace".into(),
                        Shape::Read {
                            source: Source::Namespace("app".into()),
                            optional: false,
                        },
                    ),
                ]),
            ),
            (
                "data".into(),
                Shape::Map(vec![
                    ("text".into(), Shape::Literal(json!("{{ x }}\nline two\n"))),
                    ("requests.cpu".into(), own(&["data", "requests.cpu"], false)),
                    ("on".into(), own(&["data", "on"], true)),
                ]),
            ),
            (
                "list".into(),
                Shape::List(vec![
                    Shape::Map(vec![
                        ("min".into(), own(&["list", "0", "min"], true)),
                        ("name".into(), Shape::Literal(json!("x"))),
                    ]),
                    Shape::Literal(json!({"name": "y", "port": 80})),
                ]),
            ),
        ]);
        let header = Header {
            comment: "ConfigMap <app>/a".into(),
            group: Some(&["app".to_owned(), "configMap".to_owned(), "a".to_owned()]),
            flag: None,
        };
        assert_eq!(
            object(&header, &shape),
            r#"{{- /* ConfigMap <app>/a */ -}}
{{- $v := .Values.app.configMap.a -}}
apiVersion: v1
metadata:
  name: a
  namespace: {{ .Values.namespaces.app | toJson }}
data:
  text: |
    {{ "{{" }} x }}
    line two
  requests.cpu: {{ index $v.data "requests.cpu" | toJson }}
  {{- if hasKey $v.data "on" }}
  "on": {{ $v.data.on | toJson }}
  {{- end }}
list:
  -
    {{- if hasKey (index $v.list "0") "min" }}
    min: {{ index $v.list "0" "min" | toJson }}
    {{- end }}
    name: x
  - name: "y"
    port: 80
"#
        );
    }
}
