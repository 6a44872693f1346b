//! The human format: findings grouped by environment and object, each with its location,
//! code, severity and message, and the rule's remediation as a hint.

use std::fmt::Write as _;

use crate::policy::report::{Finding, Outcome, Report, tally};

/// Renders the report for a terminal or a log.
pub fn render(report: &Report) -> String {
    let mut out = String::new();
    for env in &report.environments {
        let failing = env.findings.iter().filter(|f| !f.is_waived()).count();
        let waived = env.findings.len() - failing;
        let _ = writeln!(
            out,
            "{}: {} objects checked against Kubernetes {}: {failing} failing, {waived} waived, {} unknown",
            env.name,
            env.objects,
            env.kubernetes_version,
            env.unknown.len()
        );
        let mut last_object = None;
        let mut last_code = "";
        for finding in &env.findings {
            let object = finding
                .object
                .as_ref()
                .map_or_else(|| format!("environment {}", env.name), |o| o.identity());
            if last_object.as_ref() != Some(&object) {
                let _ = writeln!(out, "\n  {object}");
                last_object = Some(object);
                last_code = "";
            }
            // One hint per rule and object: repeated hints drown the findings.
            write_finding(&mut out, finding, last_code != finding.code);
            last_code = finding.code;
        }
        if !env.unknown.is_empty() {
            let _ = writeln!(out, "\n  not evaluated (unknown, never counted as pass):");
            for unknown in &env.unknown {
                let _ = writeln!(
                    out,
                    "    {}: {} ({}): {}",
                    unknown.file,
                    unknown.object.identity(),
                    unknown.code,
                    unknown.reason
                );
            }
        }
        let mut outcomes: Vec<Outcome> = env.requirements.iter().map(|r| r.outcome).collect();
        outcomes.sort_by_key(|o| *o as u8);
        let _ = writeln!(
            out,
            "\n  requirements: {}\n",
            tally(outcomes.iter().map(|o| o.as_str()))
        );
    }
    if !report.waiver_findings.is_empty() {
        let _ = writeln!(out, "waiver file:");
        for finding in &report.waiver_findings {
            write_finding(&mut out, finding, true);
        }
        out.push('\n');
    }
    out
}

fn write_finding(out: &mut String, finding: &Finding, with_hint: bool) {
    let label = if finding.is_waived() {
        "waived"
    } else {
        "error"
    };
    let _ = writeln!(
        out,
        "    {}: {label}[{}] {}: {}",
        finding.location(),
        finding.code,
        finding.severity.as_str(),
        finding.message
    );
    match &finding.waiver {
        Some(waiver) => {
            let _ = writeln!(out, "      reason: {}", waiver.reason);
        }
        None if with_hint => {
            let _ = writeln!(out, "      hint: {}", finding.remediation);
        }
        None => {}
    }
}
