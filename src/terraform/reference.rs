//! Every reference in a Terraform JSON document resolves to something it declares.
//!
//! Terraform's configuration loader (what runs offline, without providers) accepts a
//! document whose `${aws_s3_bucket.logs.arn}` names a bucket that does not exist: that is
//! only found by `terraform validate` with every provider installed, or at plan time. This
//! module finds it without either. It reads the `${...}` templates in every string, the
//! `depends_on` addresses and the `provider` meta-arguments, and checks each against the
//! document's resources, data sources, locals, variables, modules and provider
//! configurations (`aws.dr`).

use std::collections::BTreeSet;

use serde_json::Value;

/// A reference that does not resolve, or a template that does not parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dangling {
    /// JSON pointer to the string holding it.
    pub pointer: String,
    /// What is wrong, names in backticks.
    pub message: String,
}

/// What a document declares, as the addresses references use.
#[derive(Debug, Default)]
pub struct Declared {
    /// `aws_vpc.main`, `data.aws_iam_policy_document.x`, `local.x`, `var.x`, `module.x`.
    pub addresses: BTreeSet<String>,
    /// `aws`, `aws.dr`, `kubernetes`, ...
    pub providers: BTreeSet<String>,
}

impl Declared {
    /// Reads the declarations of `document`.
    pub fn of(document: &Value) -> Self {
        let mut declared = Declared::default();
        let blocks = |key: &str| document[key].as_object().into_iter().flatten();
        for (kind, of_kind) in blocks("resource") {
            for name in of_kind.as_object().into_iter().flatten().map(|(n, _)| n) {
                declared.addresses.insert(format!("{kind}.{name}"));
            }
        }
        for (kind, of_kind) in blocks("data") {
            for name in of_kind.as_object().into_iter().flatten().map(|(n, _)| n) {
                declared.addresses.insert(format!("data.{kind}.{name}"));
            }
        }
        for (prefix, key) in [
            ("local", "locals"),
            ("var", "variable"),
            ("module", "module"),
        ] {
            for (name, _) in blocks(key) {
                declared.addresses.insert(format!("{prefix}.{name}"));
            }
        }
        for (name, configs) in blocks("provider") {
            // One configuration is an object; several are an array of objects.
            let configs: Vec<&Value> = match configs {
                Value::Array(items) => items.iter().collect(),
                other => vec![other],
            };
            for config in configs {
                match config["alias"].as_str() {
                    Some(alias) => declared.providers.insert(format!("{name}.{alias}")),
                    None => declared.providers.insert(name.clone()),
                };
            }
        }
        declared
    }
}

/// Every reference in `document` that does not resolve, in document order.
pub fn dangling(document: &Value) -> Vec<Dangling> {
    let declared = Declared::of(document);
    let mut out = Vec::new();
    walk(document, "", &declared, &mut out);
    out
}

fn escape(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

fn walk(value: &Value, pointer: &str, declared: &Declared, out: &mut Vec<Dangling>) {
    match value {
        Value::Object(map) => {
            for (key, item) in map {
                let at = format!("{pointer}/{}", escape(key));
                match (key.as_str(), item) {
                    ("depends_on", Value::Array(addresses)) => {
                        for (i, address) in addresses.iter().enumerate() {
                            let at = format!("{at}/{i}");
                            match address.as_str() {
                                Some(address) => check_address(address, &at, declared, out),
                                None => out.push(Dangling {
                                    pointer: at,
                                    message: "a `depends_on` entry must be an address".into(),
                                }),
                            }
                        }
                    }
                    // Only a resource or data block's `provider` is a meta-argument; the
                    // `provider` block of `encryption_config` holds attributes.
                    ("provider", Value::String(name)) => {
                        if !declared.providers.contains(name) {
                            out.push(Dangling {
                                pointer: at,
                                message: format!("provider configuration `{name}` is not declared"),
                            });
                        }
                    }
                    _ => walk(item, &at, declared, out),
                }
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                walk(item, &format!("{pointer}/{i}"), declared, out);
            }
        }
        Value::String(text) => {
            for problem in check_templates(text, declared) {
                out.push(Dangling {
                    pointer: pointer.to_owned(),
                    message: problem,
                });
            }
        }
        _ => {}
    }
}

/// Checks an address as `depends_on` writes it: `aws_vpc.main`, `data.x.y`, `module.m`.
fn check_address(address: &str, pointer: &str, declared: &Declared, out: &mut Vec<Dangling>) {
    let parts: Vec<&str> = address.split('.').collect();
    let key = match parts.as_slice() {
        ["data", kind, name, ..] => format!("data.{kind}.{name}"),
        ["module", name, ..] => format!("module.{name}"),
        [kind, name, ..] => format!("{kind}.{name}"),
        _ => address.to_owned(),
    };
    if !declared.addresses.contains(&key) {
        out.push(Dangling {
            pointer: pointer.to_owned(),
            message: format!("`depends_on` names `{address}`, which is not declared"),
        });
    }
}

/// The problems of the `${...}` templates in one string.
fn check_templates(text: &str, declared: &Declared) -> Vec<String> {
    let mut problems = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while i + 1 < bytes.len() {
        // `$${` and `%%{` are escapes for a literal `${` and `%{`.
        if (bytes[i] == b'$' || bytes[i] == b'%') && bytes[i + 1] == bytes[i] {
            i += 2;
            continue;
        }
        if bytes[i] == b'$' && bytes[i + 1] == b'{' {
            match expression_end(text, i + 2) {
                Some(end) => {
                    check_expression(&text[i + 2..end], declared, &mut problems);
                    i = end + 1;
                }
                None => {
                    problems.push(format!(
                        "the template `{}` is not closed",
                        &text[i..text.len().min(i + 40)]
                    ));
                    return problems;
                }
            }
        } else {
            i += 1;
        }
    }
    problems
}

/// The index of the `}` closing an expression that starts at `start`, skipping strings and
/// nested braces.
fn expression_end(text: &str, start: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for (offset, c) in text[start..].char_indices() {
        if in_string {
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => in_string = true,
            '{' => depth += 1,
            '}' if depth == 0 => return Some(start + offset),
            '}' => depth -= 1,
            _ => {}
        }
    }
    None
}

/// Names valid in any expression without a declaration.
const BUILTIN_ROOTS: &[&str] = &[
    "path",
    "terraform",
    "count",
    "each",
    "self",
    "true",
    "false",
    "null",
];

/// Checks every traversal (`a.b.c`, `a.b[0].c`) in one expression.
fn check_expression(expression: &str, declared: &Declared, problems: &mut Vec<String>) {
    let chars: Vec<char> = expression.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '"' {
            // Skip a string literal; templates nested in it are rare and not produced here.
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                if chars[i] == '\\' {
                    i += 1;
                }
                i += 1;
            }
            i += 1;
            continue;
        }
        if c.is_ascii_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len()
                && (chars[i].is_ascii_alphanumeric()
                    || chars[i] == '_'
                    || chars[i] == '-'
                    || chars[i] == '.')
            {
                i += 1;
            }
            // The rest of a traversal after an index (`x[0].data`) is an attribute name.
            if start > 0 && chars[start - 1] == '.' {
                continue;
            }
            let traversal: String = chars[start..i].iter().collect();
            let traversal = traversal.trim_end_matches('.');
            // A function call (`cidrsubnet(`), or a provider-namespaced one (`provider::`).
            if chars.get(i) == Some(&'(') || chars.get(i) == Some(&':') {
                continue;
            }
            let parts: Vec<&str> = traversal.split('.').collect();
            let root = parts[0];
            if BUILTIN_ROOTS.contains(&root) {
                continue;
            }
            let key = match parts.as_slice() {
                ["data", kind, name, ..] => format!("data.{kind}.{name}"),
                [prefix @ ("local" | "var" | "module"), name, ..] => format!("{prefix}.{name}"),
                [kind, name, ..] => format!("{kind}.{name}"),
                // A bare name is a for-expression variable or a keyword such as `for`/`in`.
                _ => continue,
            };
            if !declared.addresses.contains(&key) {
                problems.push(format!(
                    "`${{{expression}}}` refers to `{key}`, which is not declared"
                ));
            }
            continue;
        }
        // Numbers, operators, brackets: skip, including digits of an index such as `[0]`.
        i += 1;
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn document() -> Value {
        json!({
            "provider": { "aws": [{ "region": "us-east-1" }, { "alias": "dr", "region": "us-west-2" }] },
            "locals": { "name": "x" },
            "data": { "aws_iam_policy_document": { "trust": { "statement": [] } } },
            "resource": {
                "aws_s3_bucket": {
                    "a": { "bucket": "${local.name}-a" },
                    "b": { "provider": "aws.dr", "bucket": "b", "depends_on": ["aws_s3_bucket.a"] },
                },
                "aws_iam_role": {
                    "r": {
                        "assume_role_policy": "${data.aws_iam_policy_document.trust.json}",
                        "name": "${replace(aws_s3_bucket.a.bucket, \"-\", \"_\")}",
                        "description": "cost $${literal} and ${cidrsubnet(\"10.0.0.0/16\", 4, 0)}",
                    },
                },
            },
            "output": { "o": { "value": "${aws_s3_bucket.b.arn}" } },
        })
    }

    #[test]
    fn a_document_whose_references_resolve_has_no_dangling_reference() {
        assert_eq!(dangling(&document()), Vec::new());
    }

    #[test]
    fn every_kind_of_dangling_reference_is_found_with_its_pointer() {
        let mut doc = document();
        doc["resource"]["aws_s3_bucket"]["a"]["bucket"] = json!("${local.missing}");
        doc["resource"]["aws_s3_bucket"]["b"]["provider"] = json!("aws.backup");
        doc["resource"]["aws_s3_bucket"]["b"]["depends_on"] = json!(["aws_s3_bucket.c"]);
        doc["resource"]["aws_iam_role"]["r"]["assume_role_policy"] =
            json!("${data.aws_iam_policy_document.other.json}");
        doc["output"]["o"]["value"] = json!("${aws_s3_bucket.z.arn");
        let found: Vec<(String, String)> = dangling(&doc)
            .into_iter()
            .map(|d| (d.pointer, d.message))
            .collect();
        let pointers: Vec<&str> = found.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(
            pointers,
            [
                "/resource/aws_s3_bucket/a/bucket",
                "/resource/aws_s3_bucket/b/provider",
                "/resource/aws_s3_bucket/b/depends_on/0",
                "/resource/aws_iam_role/r/assume_role_policy",
                "/output/o/value",
            ],
            "{found:#?}"
        );
        assert!(found[0].1.contains("`local.missing`"), "{}", found[0].1);
        assert!(found[4].1.contains("not closed"), "{}", found[4].1);
    }
}
