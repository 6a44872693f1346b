//! Text generated from the registry and the catalogue: `daactl explain`, `daactl rules`
//! and the rule reference `docs/rules.md`.

use std::fmt::Write as _;

use super::catalogue::{Policy, Status};
use super::engine::severity;
use super::registry;
use super::report::tally;
use super::rule::RuleMeta;

/// What `daactl explain <CODE>` prints, or `None` for an unknown code.
pub fn rule(code: &str) -> Option<String> {
    let meta = registry::meta(&code.to_uppercase())?;
    let policy = Policy::embedded();
    let mut out = String::new();
    let _ = writeln!(out, "{} {}: {}", meta.code, meta.name, meta.summary);
    let _ = writeln!(out, "\nseverity: {}", severity(policy, meta).as_str());
    if let Some(requirement) = policy.requirement(meta.requirement) {
        let _ = writeln!(
            out,
            "requirement: {} {} ({})",
            requirement.id,
            requirement.title,
            requirement.priority.as_str()
        );
    }
    let _ = writeln!(out, "\nWhy: {}", meta.rationale);
    let _ = writeln!(out, "\nFix: {}", meta.remediation);
    if !meta.peers.is_empty() {
        let _ = writeln!(out, "\nPeer checks: {}", meta.peers.join(", "));
    }
    let _ = writeln!(
        out,
        "\nWaive one object with the annotation `skip.daactl.dev/{}: \"<reason>\"`.",
        meta.code
    );
    if let Some((fail, pass)) = registry::examples(meta.code) {
        let _ = writeln!(out, "\nFails:\n\n{}", indent(fail));
        let _ = writeln!(out, "Passes:\n\n{}", indent(pass));
    }
    Some(out)
}

/// What `daactl explain <REQ-T2xx>` prints, or `None` for an unknown requirement.
pub fn requirement(id: &str) -> Option<String> {
    let policy = Policy::embedded();
    let requirement = policy.requirement(&id.to_uppercase())?;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} {}: {}",
        requirement.id, requirement.title, requirement.summary
    );
    let _ = writeln!(
        out,
        "\npriority: {}\nstatus: {}",
        requirement.priority.as_str(),
        requirement.status.as_str()
    );
    let _ = writeln!(out, "\n{}", requirement.note);
    let rules: Vec<&RuleMeta> = registry::all()
        .into_iter()
        .filter(|m| m.requirement == requirement.id)
        .collect();
    if !rules.is_empty() {
        let _ = writeln!(out, "\nRules:");
        for meta in rules {
            let _ = writeln!(out, "  {} {:<34} {}", meta.code, meta.name, meta.summary);
        }
        let _ = writeln!(out, "\nParameters per environment:");
        for env in policy.environments.values() {
            let _ = writeln!(
                out,
                "  {:<12} min_replicas={} zones={} image_digest={} database_instances={} backups={} cloud={}",
                env.name,
                env.min_replicas,
                env.zones,
                env.image_digest,
                env.database_instances,
                env.backups,
                env.cloud
            );
        }
        let _ = writeln!(out, "\nRun `daactl explain <CODE>` for a rule's examples.");
    } else if requirement.status == Status::Enforced {
        let _ = writeln!(out, "\nNo rule is registered for it yet.");
    }
    Some(out)
}

/// `daactl rules`: every rule, then every requirement with its status.
pub fn rules_table() -> String {
    let policy = Policy::embedded();
    let mut out = String::from("Rules:\n");
    for meta in registry::all() {
        let _ = writeln!(
            out,
            "  {:<7} {:<8} {:<9} {:<34} {}",
            meta.code,
            if meta.requirement.is_empty() {
                "-"
            } else {
                meta.requirement
            },
            severity(policy, meta).as_str(),
            meta.name,
            meta.summary
        );
    }
    let _ = writeln!(out, "\nRequirements:");
    for requirement in &policy.requirements {
        let _ = writeln!(
            out,
            "  {} {:<9} {:<13} {:<40} {}",
            requirement.id,
            requirement.priority.as_str(),
            requirement.status.as_str(),
            requirement.title,
            requirement.rules.join(" ")
        );
    }
    let counts = tally(policy.requirements.iter().map(|r| r.status.as_str()));
    let _ = writeln!(
        out,
        "\n{} rules; {} requirements: {}",
        registry::all().len(),
        policy.requirements.len(),
        counts
    );
    out
}

/// Every rule and requirement as JSON, for scripts.
pub fn rules_json() -> String {
    let policy = Policy::embedded();
    let rules: Vec<serde_json::Value> = registry::all()
        .into_iter()
        .map(|meta| {
            serde_json::json!({
                "code": meta.code,
                "name": meta.name,
                "requirement": meta.requirement,
                "severity": severity(policy, meta).as_str(),
                "summary": meta.summary,
                "rationale": meta.rationale,
                "remediation": meta.remediation,
                "peers": meta.peers,
            })
        })
        .collect();
    let requirements: Vec<serde_json::Value> = policy
        .requirements
        .iter()
        .map(|r| {
            serde_json::json!({
                "id": r.id,
                "title": r.title,
                "priority": r.priority.as_str(),
                "status": r.status.as_str(),
                "rules": r.rules,
                "summary": r.summary,
                "note": r.note,
            })
        })
        .collect();
    serde_json::to_string_pretty(&serde_json::json!({
        "schema": "daactl.rules/v1",
        "rules": rules,
        "requirements": requirements,
    }))
    .expect("rules serialize")
        + "\n"
}

/// The rule reference, `docs/rules.md`: one section per rule with an anchor per code
/// (SARIF `helpUri` points there).
pub fn rules_markdown() -> String {
    let policy = Policy::embedded();
    let mut out = String::from(
        "# Policy rules\n\n<!-- Generated by `daactl rules --format markdown`; a test keeps it current. -->\n\nEvery rule `daactl validate` runs, from the registry (`src/policy/registry.rs`). Severity is the priority of the requirement a rule enforces. The examples are the rule's first failing and passing test fixtures (`tests/fixtures/policy/<CODE>/`). The compliance matrix is [requirements.md](requirements.md).\n\n",
    );
    for meta in registry::all() {
        let _ = writeln!(out, "<a id=\"{}\"></a>\n", meta.code.to_lowercase());
        let _ = writeln!(out, "## {} {}\n", meta.code, meta.name);
        let _ = writeln!(out, "{}\n", meta.summary);
        let requirement = policy
            .requirement(meta.requirement)
            .map_or_else(|| "waivers".to_owned(), |r| format!("{} {}", r.id, r.title));
        let _ = writeln!(
            out,
            "- Requirement: {requirement}\n- Severity: {}\n- Peers: {}\n",
            severity(policy, meta).as_str(),
            if meta.peers.is_empty() {
                "none".to_owned()
            } else {
                meta.peers.join(", ")
            }
        );
        let _ = writeln!(out, "**Why.** {}\n", meta.rationale);
        let _ = writeln!(out, "**Fix.** {}\n", meta.remediation);
        if let Some((fail, pass)) = registry::examples(meta.code) {
            let _ = writeln!(out, "Fails:\n\n```yaml\n{}```\n", fail);
            let _ = writeln!(out, "Passes:\n\n```yaml\n{}```\n", pass);
        }
    }
    out
}

fn indent(text: &str) -> String {
    text.lines().map(|line| format!("    {line}\n")).collect()
}
