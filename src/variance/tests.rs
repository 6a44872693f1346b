use serde_json::{Value, json};

use super::*;
use crate::render::Resource;
use crate::testing::render;

fn resource(kind: &str, namespace: Option<&str>, name: &str, value: Value) -> Resource {
    Resource {
        api_version: "v1".into(),
        kind: kind.into(),
        namespace: namespace.map(str::to_owned),
        name: name.into(),
        template: "t.yaml.j2".into(),
        value,
    }
}

fn config(env: &str, data: Value) -> Resource {
    resource(
        "ConfigMap",
        Some(env),
        "settings",
        json!({"kind": "ConfigMap", "metadata": {"name": "settings", "namespace": env}, "data": data}),
    )
}

fn differences(resource: &VariedResource) -> Vec<(String, Vec<Option<Value>>)> {
    resource
        .node
        .differences()
        .into_iter()
        .map(|(path, values)| (path.to_string(), values.to_vec()))
        .collect()
}

#[test]
fn a_field_differing_in_one_environment_is_the_only_difference() {
    let renders = [
        render(
            "dev",
            vec![config("dev", json!({"level": "debug", "port": "80"}))],
        ),
        render(
            "prod",
            vec![config("prod", json!({"level": "info", "port": "80"}))],
        ),
        render(
            "stage",
            vec![config("stage", json!({"level": "info", "port": "80"}))],
        ),
    ];
    let variance = Variance::of(&renders);
    assert_eq!(variance.resources.len(), 1, "matched by namespace role");
    let settings = &variance.resources[0];
    assert_eq!(settings.key.scope, Scope::Role("app".into()));
    assert!(settings.in_every_environment());
    assert_eq!(
        differences(settings),
        [
            (
                "metadata.namespace".to_owned(),
                vec![
                    Some(json!("dev")),
                    Some(json!("prod")),
                    Some(json!("stage"))
                ]
            ),
            (
                "data.level".to_owned(),
                vec![
                    Some(json!("debug")),
                    Some(json!("info")),
                    Some(json!("info"))
                ]
            ),
        ]
    );
    assert_eq!(
        settings.node.shared().unwrap(),
        json!({"kind": "ConfigMap", "metadata": {"name": "settings"}, "data": {"port": "80"}})
    );
    for (index, render) in renders.iter().enumerate() {
        assert_eq!(
            settings.value_in(index).as_ref(),
            Some(&render.resources[0].value)
        );
    }
}

#[test]
fn a_resource_in_one_environment_only_is_absent_elsewhere() {
    let budget = |env: &str| {
        resource(
            "PodDisruptionBudget",
            Some(env),
            "api",
            json!({"kind": "PodDisruptionBudget", "metadata": {"name": "api"}, "spec": {"maxUnavailable": 1}}),
        )
    };
    let renders = [render("dev", vec![]), render("prod", vec![budget("prod")])];
    let variance = Variance::of(&renders);
    let pdb = &variance.resources[0];
    assert_eq!(pdb.present, [false, true]);
    assert!(!pdb.in_every_environment());
    assert!(
        pdb.node.is_same(),
        "compared only where it exists: {:?}",
        pdb.node
    );
    assert_eq!(pdb.value_in(0), None);
    assert_eq!(
        pdb.value_in(1).as_ref(),
        Some(&renders[1].resources[0].value)
    );
}

#[test]
fn a_list_differing_in_length_differs_as_a_whole() {
    let renders = [
        render(
            "dev",
            vec![config("app", json!({"hosts": ["a"], "port": "80"}))],
        ),
        render(
            "prod",
            vec![config("app", json!({"hosts": ["a", "b"], "port": "80"}))],
        ),
    ];
    // Neither environment's namespace is named `app`, so the object keeps its literal one.
    let variance = Variance::of(&renders);
    assert_eq!(
        variance.resources[0].key.scope,
        Scope::Namespace("app".into())
    );
    assert_eq!(
        differences(&variance.resources[0]),
        [(
            "data.hosts".to_owned(),
            vec![Some(json!(["a"])), Some(json!(["a", "b"]))]
        )]
    );
}

#[test]
fn a_list_of_maps_of_one_length_differs_item_by_item() {
    let pod =
        |cpu: &str| json!({"containers": [{"name": "a", "cpu": cpu}, {"name": "b", "cpu": "1"}]});
    let node = Node::compare(&[Some(&pod("1")), Some(&pod("2"))]);
    let found: Vec<String> = node
        .differences()
        .iter()
        .map(|(p, _)| p.pointer())
        .collect();
    assert_eq!(found, ["/containers/0/cpu"]);
    assert_eq!(
        node.shared().unwrap(),
        json!({"containers": [{"name": "a"}, {"name": "b", "cpu": "1"}]})
    );
}

#[test]
fn a_value_differing_only_in_type_differs() {
    let node = Node::compare(&[Some(&json!({"port": 80})), Some(&json!({"port": "80"}))]);
    assert_eq!(
        node,
        Node::Differs(vec![Some(json!({"port": 80})), Some(json!({"port": "80"}))]),
        "a map whose every entry differs is one difference"
    );
    let node = Node::compare(&[
        Some(&json!({"port": 80, "name": "web"})),
        Some(&json!({"port": "80", "name": "web"})),
    ]);
    let found: Vec<String> = node
        .differences()
        .iter()
        .map(|(p, _)| p.to_string())
        .collect();
    assert_eq!(found, ["port"]);
}

#[test]
fn a_key_missing_in_one_environment_is_a_difference_with_an_absent_side() {
    let node = Node::compare(&[Some(&json!({"a": 1, "b": 2})), Some(&json!({"a": 1}))]);
    assert_eq!(
        node.differences()
            .into_iter()
            .map(|(p, v)| (p.to_string(), v.to_vec()))
            .collect::<Vec<_>>(),
        [("b".to_owned(), vec![Some(json!(2)), None])]
    );
    assert_eq!(node.value_in(1), Some(json!({"a": 1})));
}

#[test]
fn namespace_objects_match_by_role() {
    let namespace = |name: &str| {
        resource(
            "Namespace",
            None,
            name,
            json!({"kind": "Namespace", "metadata": {"name": name}}),
        )
    };
    let variance = Variance::of(&[
        render("dev", vec![namespace("dev"), namespace("dev-data")]),
        render("prod", vec![namespace("prod"), namespace("prod-data")]),
    ]);
    let keys: Vec<String> = variance.resources.iter().map(|r| r.key.display()).collect();
    assert_eq!(keys, ["Namespace <app>", "Namespace <data>"]);
    assert_eq!(variance.namespace(1, "data"), Some("prod-data"));
}

#[test]
fn paths_print_as_pointers_and_text() {
    let path = Path::root()
        .key("metadata")
        .key("labels")
        .key("app.kubernetes.io/name");
    assert_eq!(path.pointer(), "/metadata/labels/app.kubernetes.io~1name");
    assert_eq!(
        path.to_string(),
        "metadata.labels.\"app.kubernetes.io/name\""
    );
    let list = Path::root()
        .key("spec")
        .key("containers")
        .index(2)
        .key("image");
    assert_eq!(list.to_string(), "spec.containers[2].image");
}

#[test]
fn same_value_is_equality_whatever_the_key_order() {
    let pairs = [
        (
            json!({"a": 1, "b": [1, {"c": 2}]}),
            json!({"a": 1, "b": [1, {"c": 2}]}),
            true,
        ),
        (json!({"a": 1, "b": 2}), json!({"b": 2, "a": 1}), true),
        (
            json!({"x": {"a": 1, "b": 2}}),
            json!({"x": {"b": 2, "a": 1}}),
            true,
        ),
        (json!({"a": 1, "b": 2}), json!({"b": 2, "a": 3}), false),
        (json!({"a": 1}), json!({"a": 1, "b": 2}), false),
        (json!([1, 2]), json!([2, 1]), false),
        (json!({"a": [1, 2]}), json!({"a": [1, 2, 3]}), false),
        (json!(1), json!(1.0), false),
        (json!("1"), json!(1), false),
    ];
    for (a, b, equal) in pairs {
        assert_eq!(same_value(&a, &b), equal, "{a} {b}");
        assert_eq!(same_value(&a, &b), a == b, "{a} {b}");
        assert_eq!(same_value(&b, &a), equal, "{b} {a}");
    }
}
