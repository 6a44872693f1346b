//! SARIF 2.1.0 for GitHub code scanning.
//!
//! Rule ids are the stable rule codes; locations are project-relative (`%SRCROOT%`), so
//! alerts match across runs; `partialFingerprints` hash the rule, environment, object and
//! JSON pointer, so an alert survives lines moving. Waived findings stay in the log with a
//! suppression carrying their reason; objects a rule could not evaluate become tool
//! notifications, never results that look like a pass.

use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

use crate::policy::catalogue::{Policy, Severity};
use crate::policy::engine::severity;
use crate::policy::registry;
use crate::policy::report::{Finding, Report};
use crate::project::{REPOSITORY_URL, main_branch_url};

/// Where each rule's documentation lives in the repository: `docs/rules.md`, one anchor per
/// code.
pub const RULES_DOC: &str = "docs/rules.md";

/// The SARIF level of a severity (GitHub: error, warning or note).
fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low => "note",
    }
}

/// GitHub's `security-severity`, the scores Checkov uses for the same levels.
fn security_severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "10.0",
        Severity::High => "8.9",
        Severity::Medium => "6.9",
        Severity::Low => "3.9",
    }
}

/// Renders the SARIF log.
pub fn render(report: &Report) -> String {
    let policy = Policy::embedded();
    let rules = registry::all();
    let descriptors: Vec<Value> = rules
        .iter()
        .map(|meta| {
            let severity = severity(policy, meta);
            let mut tags = vec!["security".to_owned(), "kubernetes".to_owned()];
            if !meta.requirement.is_empty() {
                tags.push(meta.requirement.to_owned());
            }
            json!({
                "id": meta.code,
                "name": meta.name,
                "shortDescription": { "text": meta.summary },
                "fullDescription": { "text": meta.rationale },
                "help": {
                    "text": format!("{}\n\nFix: {}", meta.rationale, meta.remediation),
                    "markdown": format!(
                        "**{}** ({})\n\n{}\n\n**Fix:** {}\n\nRun `daactl explain {}` for examples.",
                        meta.summary,
                        if meta.requirement.is_empty() { "waivers" } else { meta.requirement },
                        meta.rationale,
                        meta.remediation,
                        meta.code
                    ),
                },
                "helpUri": format!("{}#{}", main_branch_url(RULES_DOC), meta.code.to_lowercase()),
                "defaultConfiguration": { "level": level(severity) },
                "properties": {
                    "tags": tags,
                    "security-severity": security_severity(severity),
                    "precision": "very-high",
                },
            })
        })
        .collect();
    let results: Vec<Value> = report
        .findings()
        .map(|finding| result(finding, rules.iter().position(|m| m.code == finding.code)))
        .collect();
    let notifications: Vec<Value> = report
        .environments
        .iter()
        .flat_map(|env| {
            env.unknown.iter().map(move |unknown| {
                json!({
                    "level": "warning",
                    "message": { "text": format!(
                        "[{}] {} not evaluated by {} (unknown, not a pass): {}",
                        env.name, unknown.object.identity(), unknown.code, unknown.reason
                    ) },
                    "locations": [{ "physicalLocation": {
                        "artifactLocation": { "uri": unknown.file, "uriBaseId": "%SRCROOT%" }
                    } }],
                })
            })
        })
        .collect();
    let log = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "daactl",
                "semanticVersion": report.version,
                "informationUri": REPOSITORY_URL,
                "rules": descriptors,
            } },
            "invocations": [{
                "executionSuccessful": true,
                "toolExecutionNotifications": notifications,
            }],
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    });
    serde_json::to_string_pretty(&log).expect("SARIF serializes") + "\n"
}

fn result(finding: &Finding, rule_index: Option<usize>) -> Value {
    let mut message = finding.message.clone();
    if !finding.environment.is_empty() {
        message = format!("[{}] {message}", finding.environment);
    }
    let mut result = json!({
        "ruleId": finding.code,
        "level": level(finding.severity),
        "message": { "text": message },
        "partialFingerprints": { "daactlFinding/v1": fingerprint(finding) },
        "properties": {
            "environment": finding.environment,
            "requirement": finding.requirement,
            "severity": finding.severity.as_str(),
            "jsonPointer": finding.pointer,
        },
    });
    if let Some(index) = rule_index {
        result["ruleIndex"] = json!(index);
    }
    if let Some(file) = &finding.file {
        let mut location = json!({
            "physicalLocation": {
                "artifactLocation": { "uri": file, "uriBaseId": "%SRCROOT%" },
            }
        });
        if finding.line > 0 {
            location["physicalLocation"]["region"] = json!({
                "startLine": finding.line,
                "startColumn": finding.column.max(1),
            });
        }
        if let Some(object) = &finding.object {
            location["logicalLocations"] = json!([{
                "fullyQualifiedName": object.identity(),
                "kind": "resource",
            }]);
        }
        result["locations"] = json!([location]);
    }
    if let Some(waiver) = &finding.waiver {
        result["suppressions"] = json!([{
            "kind": if waiver.source == "annotation" { "inSource" } else { "external" },
            "status": "accepted",
            "justification": waiver.reason,
        }]);
    }
    result
}

/// A stable identity of a finding that ignores lines: rule, environment, object, pointer.
fn fingerprint(finding: &Finding) -> String {
    let object = finding
        .object
        .as_ref()
        .map(|o| o.identity())
        .unwrap_or_default();
    let digest = Sha256::digest(
        format!(
            "{}\0{}\0{object}\0{}\0{}",
            finding.code,
            finding.environment,
            finding.pointer,
            if finding.object.is_none() {
                finding.message.as_str()
            } else {
                ""
            }
        )
        .as_bytes(),
    );
    digest.iter().take(16).map(|b| format!("{b:02x}")).collect()
}
