//! `daactl parity`'s output: a human listing and `daactl.parity/v1` JSON.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde_json::{Map, Value, json};

use super::{ObjectParity, Parity, Verdict};
use crate::variance::{Key, Name, Scope};

/// The JSON report's schema name.
pub const PARITY_SCHEMA: &str = "daactl.parity/v1";

/// Longest value shown in the human listing before it is shortened.
const SHOWN_VALUE: usize = 48;

/// Counts of allowed differences per category, and of violations.
pub fn tally(parity: &Parity) -> (BTreeMap<&'static str, usize>, usize) {
    let mut allowed: BTreeMap<&'static str, usize> = BTreeMap::new();
    for object in &parity.objects {
        let verdicts = object
            .presence
            .iter()
            .chain(object.differences.iter().map(|d| &d.verdict));
        for verdict in verdicts {
            if let Verdict::Allowed { category, .. } = verdict {
                *allowed.entry(category.as_str()).or_default() += 1;
            }
        }
    }
    (allowed, parity.violations())
}

/// The listing: every object with a difference, one line per difference, then a summary.
/// With `violations_only`, allowed differences are counted but not listed.
pub fn human(parity: &Parity, violations_only: bool) -> String {
    let mut out = String::new();
    let reference = &parity.environments[parity.reference];
    let _ = writeln!(
        out,
        "parity of {} (compared with {reference})",
        parity.environments.join(", ")
    );
    for object in &parity.objects {
        let mut lines = Vec::new();
        if let Some(verdict) = &object.presence
            && (!violations_only || verdict.is_violation())
        {
            let only: Vec<&str> = parity
                .environments
                .iter()
                .zip(&object.present)
                .filter(|(_, p)| **p)
                .map(|(e, _)| e.as_str())
                .collect();
            lines.push(format!(
                "  {:<9}  (whole object) only in {}{}",
                label(verdict),
                only.join(", "),
                reason(verdict)
            ));
        }
        for difference in &object.differences {
            if violations_only && !difference.verdict.is_violation() {
                continue;
            }
            let values: Vec<String> = parity
                .environments
                .iter()
                .zip(&difference.values)
                .zip(&object.present)
                .filter(|(_, p)| **p)
                .map(|((env, value), _)| format!("{env} {}", shown(value.as_ref())))
                .collect();
            lines.push(format!(
                "  {:<9}  {}  {}",
                label(&difference.verdict),
                difference.named,
                values.join(" · ")
            ));
        }
        if !lines.is_empty() {
            let _ = writeln!(out, "\n{}", object.key.display());
            for line in lines {
                let _ = writeln!(out, "{line}");
            }
        }
    }
    let (allowed, violations) = tally(parity);
    let total: usize = allowed.values().sum();
    let by_category: Vec<String> = allowed.iter().map(|(c, n)| format!("{c} {n}")).collect();
    let _ = writeln!(
        out,
        "\n{total} allowed difference{} ({}), {violations} violation{}",
        plural(total),
        if by_category.is_empty() {
            "none".to_owned()
        } else {
            by_category.join(", ")
        },
        plural(violations)
    );
    if violations > 0 {
        let _ = writeln!(
            out,
            "  hint: make the environments alike there, or, if the difference is scale or data, allow its path in schemas/parity.toml with a reason"
        );
    }
    out
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn label(verdict: &Verdict) -> &'static str {
    match verdict {
        Verdict::Allowed { category, .. } => category.as_str(),
        Verdict::Violation => "VIOLATION",
    }
}

fn reason(verdict: &Verdict) -> String {
    match verdict {
        Verdict::Allowed { reason, .. } => format!(" ({reason})"),
        Verdict::Violation => String::new(),
    }
}

fn shown(value: Option<&Value>) -> String {
    let Some(value) = value else {
        return "(absent)".to_owned();
    };
    let text = value.to_string();
    if text.chars().count() <= SHOWN_VALUE {
        text
    } else {
        let cut: String = text.chars().take(SHOWN_VALUE - 1).collect();
        format!("{cut}…")
    }
}

/// The `daactl.parity/v1` JSON report.
pub fn json(parity: &Parity) -> Value {
    let (allowed, violations) = tally(parity);
    json!({
        "schema": PARITY_SCHEMA,
        "version": env!("CARGO_PKG_VERSION"),
        "environments": parity.environments,
        "reference": parity.environments[parity.reference],
        "objects": parity.objects.iter().map(|o| object_json(parity, o)).collect::<Vec<_>>(),
        "summary": {
            "allowed": allowed,
            "violations": violations,
        },
    })
}

fn object_json(parity: &Parity, object: &ObjectParity) -> Value {
    let present: Vec<&String> = parity
        .environments
        .iter()
        .zip(&object.present)
        .filter(|(_, p)| **p)
        .map(|(e, _)| e)
        .collect();
    let mut out = Map::new();
    out.insert("object".into(), key_json(&object.key));
    out.insert("display".into(), Value::String(object.key.display()));
    out.insert("present".into(), json!(present));
    if let Some(verdict) = &object.presence {
        out.insert("presence".into(), verdict_json(verdict));
    }
    out.insert(
        "differences".into(),
        Value::Array(
            object
                .differences
                .iter()
                .map(|d| {
                    let values: Map<String, Value> = parity
                        .environments
                        .iter()
                        .zip(&d.values)
                        .zip(&object.present)
                        .filter(|(_, p)| **p)
                        .map(|((env, value), _)| {
                            (env.clone(), value.clone().unwrap_or(Value::Null))
                        })
                        .collect();
                    let mut entry = Map::new();
                    entry.insert("path".into(), Value::String(d.named.clone()));
                    entry.insert("pointer".into(), Value::String(d.path.pointer()));
                    entry.insert("values".into(), Value::Object(values));
                    if let Value::Object(verdict) = verdict_json(&d.verdict) {
                        entry.extend(verdict);
                    }
                    Value::Object(entry)
                })
                .collect(),
        ),
    );
    Value::Object(out)
}

fn key_json(key: &Key) -> Value {
    let mut out = Map::new();
    out.insert("apiVersion".into(), Value::String(key.api_version.clone()));
    out.insert("kind".into(), Value::String(key.kind.clone()));
    match &key.scope {
        Scope::Cluster => {}
        Scope::Role(role) => {
            out.insert("namespaceRole".into(), Value::String(role.clone()));
        }
        Scope::Namespace(namespace) => {
            out.insert("namespace".into(), Value::String(namespace.clone()));
        }
    }
    match &key.name {
        Name::Literal(name) => out.insert("name".into(), Value::String(name.clone())),
        Name::NamespaceRole(role) => out.insert("nameRole".into(), Value::String(role.clone())),
    };
    Value::Object(out)
}

fn verdict_json(verdict: &Verdict) -> Value {
    match verdict {
        Verdict::Allowed {
            category,
            reason,
            pattern,
        } => {
            let mut out =
                json!({"verdict": "allowed", "category": category.as_str(), "reason": reason});
            if let Some(pattern) = pattern {
                out["allowedBy"] = Value::String(pattern.clone());
            }
            out
        }
        Verdict::Violation => json!({"verdict": "violation"}),
    }
}
