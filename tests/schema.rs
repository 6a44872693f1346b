//! `schemas/environment.schema.json` is the model, spelled for editors: it must equal what
//! `daactl schema` generates, every spec must point at it, and it must accept exactly what
//! daactl accepts on the cases that matter.

mod common;

use daactl::spec::Environment;
use serde_json::Value;

fn committed_schema() -> Value {
    let text =
        std::fs::read_to_string(common::repo().join("schemas/environment.schema.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

#[test]
fn committed_schema_equals_the_model() {
    let generated = daactl::spec::json_schema();
    assert!(
        committed_schema() == generated,
        "schemas/environment.schema.json is stale; run `cargo run -- schema > schemas/environment.schema.json`"
    );
}

#[test]
fn every_spec_points_editors_at_the_schema() {
    for entry in std::fs::read_dir(common::repo().join("environments")).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.starts_with("#:schema ../schemas/environment.schema.json\n"),
            "{} must start with the `#:schema` line editors read",
            path.display()
        );
    }
}

fn spec_as_json(text: &str) -> Value {
    let table: toml::Table = toml::from_str(text).unwrap();
    serde_json::to_value(table).unwrap()
}

#[test]
fn the_schema_accepts_every_spec_and_rejects_what_daactl_rejects() {
    let validator = jsonschema::validator_for(&committed_schema()).expect("the schema compiles");
    for name in ["development", "staging", "production"] {
        let text =
            std::fs::read_to_string(common::repo().join(format!("environments/{name}.toml")))
                .unwrap();
        let errors: Vec<String> = validator
            .iter_errors(&spec_as_json(&text))
            .map(|e| e.to_string())
            .collect();
        assert!(errors.is_empty(), "{name}: {errors:?}");
    }
    let production =
        std::fs::read_to_string(common::repo().join("environments/production.toml")).unwrap();
    for (from, to) in [
        ("metrics_port = 9090", "metric_port = 9090"),
        ("instances = 4", "instances = \"4\""),
        (
            "kubernetes_version = \"1.33\"",
            "kubernetes_version = \"v1.33\"",
        ),
        ("provider = \"eks\"", "provider = \"gke\""),
    ] {
        let bad = production.replacen(from, to, 1);
        assert!(
            !validator.is_valid(&spec_as_json(&bad)),
            "the schema accepts `{to}`"
        );
        assert!(
            toml::from_str::<Environment>(&bad).is_err()
                || daactl::spec::Spec::parse("p.toml", "production", bad).is_err()
        );
    }
}

#[test]
fn the_spec_reference_is_current() {
    let committed = std::fs::read_to_string(common::repo().join("docs/spec.md")).unwrap();
    let generated = daactl::spec::reference::markdown(&daactl::spec::json_schema());
    assert!(
        committed == generated,
        "docs/spec.md is stale; run `cargo run -- schema --markdown > docs/spec.md`"
    );
}
