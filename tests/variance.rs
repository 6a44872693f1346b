//! The variance model on whole environments: every environment's objects come back exactly
//! from it, and what it calls shared is shared.

mod common;

use daactl::render::Rendered;
use daactl::variance::{Scope, Variance};

fn assert_rebuilds(renders: &[Rendered]) {
    let variance = Variance::of(renders);
    for (env, render) in renders.iter().enumerate() {
        let rebuilt: Vec<_> = variance
            .resources
            .iter()
            .filter_map(|r| r.value_in(env))
            .collect();
        assert_eq!(
            rebuilt.len(),
            render.resources.len(),
            "{}: every object and no other",
            render.environment
        );
        for resource in &render.resources {
            assert!(
                rebuilt.contains(&resource.value),
                "{}: {} does not come back from the model",
                render.environment,
                resource.identity()
            );
        }
    }
    for resource in &variance.resources {
        // What the model calls shared holds in every environment that has the object.
        let Some(shared) = resource.node.shared() else {
            continue;
        };
        for env in (0..renders.len()).filter(|e| resource.present[*e]) {
            let value = resource.value_in(env).unwrap();
            assert!(
                contained(&shared, &value),
                "{}: shared part is not in {}",
                resource.key.display(),
                renders[env].environment
            );
        }
    }
}

/// Whether every map entry and list item of `part` is in `whole` at the same place (list
/// items of `part` may lack map entries, as shared parts do).
fn contained(part: &serde_json::Value, whole: &serde_json::Value) -> bool {
    use serde_json::Value;
    match (part, whole) {
        (Value::Object(p), Value::Object(w)) => p
            .iter()
            .all(|(k, v)| w.get(k).is_some_and(|wv| contained(v, wv))),
        (Value::Array(p), Value::Array(w)) => {
            p.len() == w.len() && p.iter().zip(w).all(|(p, w)| contained(p, w))
        }
        _ => part == whole,
    }
}

#[test]
fn every_object_of_the_repository_comes_back_from_the_model() {
    let renders = common::render_repo();
    assert_rebuilds(&renders);
    let variance = Variance::of(&renders);
    // Objects match across environments by namespace role, not name.
    assert!(
        variance
            .resources
            .iter()
            .all(|r| !matches!(r.key.scope, Scope::Namespace(_))),
        "every namespaced object lives in a namespace daactl creates"
    );
    let everywhere = variance
        .resources
        .iter()
        .filter(|r| r.in_every_environment())
        .count();
    assert!(
        everywhere > 40,
        "{everywhere} objects are in every environment"
    );
}

#[test]
fn the_scaled_case_comes_back_from_the_model() {
    let project = common::scaled_project(30);
    assert_rebuilds(&common::render_project(project.path()));
}
