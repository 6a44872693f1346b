//! The policy data, the registry and the generated documents agree with each other.

use std::collections::BTreeSet;

use daactl::policy::catalogue::{Policy, Status};
use daactl::policy::{explain, registry};

mod common;

#[test]
fn every_requirement_t201_to_t250_is_listed_once_in_order() {
    let policy = Policy::embedded();
    let ids: Vec<&str> = policy.requirements.iter().map(|r| r.id.as_str()).collect();
    let expected: Vec<String> = (201..=250).map(|n| format!("REQ-T{n}")).collect();
    assert_eq!(ids, expected);
}

#[test]
fn requirement_rule_lists_equal_the_registry() {
    let policy = Policy::embedded();
    for requirement in &policy.requirements {
        let listed: BTreeSet<&str> = requirement.rules.iter().map(String::as_str).collect();
        let registered: BTreeSet<&str> = registry::RULES
            .iter()
            .map(|rule| rule.meta())
            .filter(|meta| meta.requirement == requirement.id)
            .map(|meta| meta.code)
            .collect();
        assert_eq!(
            listed, registered,
            "{}: schemas/policy.toml lists {listed:?}, the registry has {registered:?}",
            requirement.id
        );
        assert_eq!(
            requirement.status == Status::Enforced,
            !listed.is_empty(),
            "{}: `enforced` exactly when rules enforce it",
            requirement.id
        );
    }
    for &rule in registry::RULES {
        let meta = rule.meta();
        assert!(
            policy.requirement(meta.requirement).is_some(),
            "{}: unknown requirement {}",
            meta.code,
            meta.requirement
        );
    }
}

#[test]
fn registry_codes_are_sorted_unique_and_well_formed() {
    let code = regex_lite::Regex::new(r"^[DEGKTX][0-9]{3}-[0-9]+$|^X[0-9]{3}$").unwrap();
    let name = regex_lite::Regex::new(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$").unwrap();
    let metas = registry::all();
    let mut seen = BTreeSet::new();
    for meta in &metas {
        assert!(code.is_match(meta.code), "bad code {}", meta.code);
        assert!(
            name.is_match(meta.name),
            "{}: bad name {}",
            meta.code,
            meta.name
        );
        assert!(seen.insert(meta.code), "duplicate code {}", meta.code);
        for (field, text) in [
            ("summary", meta.summary),
            ("rationale", meta.rationale),
            ("remediation", meta.remediation),
        ] {
            assert!(
                text.len() > 20,
                "{}: {field} is too short to help",
                meta.code
            );
        }
    }
    let manifest_codes: Vec<&str> = registry::RULES.iter().map(|r| r.meta().code).collect();
    let mut sorted = manifest_codes.clone();
    sorted.sort_by_key(|c| {
        let (req, n) = c.split_once('-').unwrap();
        (req.to_owned(), n.parse::<u32>().unwrap())
    });
    assert_eq!(manifest_codes, sorted, "RULES must be sorted by code");
}

#[test]
fn every_shape_fragment_belongs_to_a_rule() {
    let codes = registry::codes();
    for entry in std::fs::read_dir(common::repo().join("schemas/policy")).unwrap() {
        let path = entry.unwrap().path();
        let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
        assert!(
            codes.contains(&stem.as_str()),
            "schemas/policy/{stem}.json belongs to no registered rule"
        );
        let text = std::fs::read_to_string(&path).unwrap();
        let schema: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert!(
            jsonschema::meta::is_valid(&schema),
            "{stem}: not a valid JSON Schema"
        );
    }
}

#[test]
fn the_rule_reference_is_current() {
    let committed =
        std::fs::read_to_string(common::repo().join("docs/rules.md")).unwrap_or_default();
    assert!(
        committed == explain::rules_markdown(),
        "docs/rules.md is stale; run `cargo run -- rules --format markdown > docs/rules.md`"
    );
}

#[test]
fn the_compliance_matrix_is_current() {
    let output = common::daactl(&common::repo(), &["validate", "--format", "markdown"]);
    let (code, stdout, stderr) = common::outcome(&output);
    assert_eq!(code, 0, "{stderr}");
    let committed =
        std::fs::read_to_string(common::repo().join("docs/requirements.md")).unwrap_or_default();
    assert!(
        committed == stdout,
        "docs/requirements.md is stale; run `cargo run -- validate --format markdown > docs/requirements.md`"
    );
}

#[test]
fn explain_covers_every_rule_and_requirement() {
    for meta in registry::all() {
        let text = explain::rule(meta.code).unwrap();
        assert!(text.contains(meta.rationale), "{}", meta.code);
        let (fail, pass) = registry::examples(meta.code).expect("every rule has fixtures");
        assert!(
            text.contains(fail.lines().last().unwrap())
                && text.contains(pass.lines().last().unwrap()),
            "{}: explain does not show its fixtures",
            meta.code
        );
    }
    for requirement in &Policy::embedded().requirements {
        let text = explain::requirement(&requirement.id).unwrap();
        assert!(text.contains(&requirement.note));
    }
    assert!(explain::rule("K999-1").is_none());
}
