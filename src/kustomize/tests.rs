use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};

use super::*;
use crate::render::Rendered;
use crate::testing::object;

/// An environment like the repository's: namespaces `<env>` and `<env>-data`, a service
/// whose image, resources, labels and config differ, a database namespace object, a cluster
/// object, and (in production) a PodDisruptionBudget of its own.
fn render(env: &str) -> Rendered {
    let data = format!("{env}-data");
    let image = match env {
        "development" => "ghcr.io/daa/api:1.1-dev".to_owned(),
        _ => "ghcr.io/daa/api@sha256:927adcf47c1194c0bc3c88f5ca03242954c5a785f128e48e95896b71c2545be7".to_owned(),
    };
    let cpu = if env == "production" { "1" } else { "250m" };
    let mut objects = vec![
        json!({"apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": env, "labels": {"environment": env, "role": "app"}}}),
        json!({"apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": data, "labels": {"environment": env, "role": "data"}}}),
        json!({"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
            "metadata": {"name": "ssd", "labels": {"environment": env}},
            "provisioner": if env == "development" { "local" } else { "ebs.csi.aws.com" }}),
        json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "api-config", "namespace": env, "labels": {"environment": env}},
            "data": {"PORT": "3000", "DB_HOST": format!("db.{data}.svc")}}),
        json!({"apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "api", "namespace": env, "labels": {"environment": env, "app": "api"}},
        "spec": {
            "selector": {"matchLabels": {"app": "api"}},
            "template": {
                "metadata": {"labels": {"environment": env, "app": "api"}},
                "spec": {"containers": [{
                    "name": "api", "image": image,
                    "resources": {"requests": {"cpu": cpu, "memory": "512Mi"}}
                }]}
            }
        }}),
    ];
    if env == "production" {
        objects.push(
            json!({"apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
            "metadata": {"name": "api", "namespace": env, "labels": {"environment": env}},
            "spec": {"maxUnavailable": 1}}),
        );
    }
    Rendered {
        environment: env.into(),
        namespaces: vec![("app".into(), env.into()), ("data".into(), data)],
        resources: objects.into_iter().map(object).collect(),
    }
}

fn renders() -> Vec<Rendered> {
    ["development", "production", "staging"]
        .into_iter()
        .map(render)
        .collect()
}

fn parse(text: &str) -> Value {
    crate::yaml::parse_stream(text).unwrap().remove(0).value
}

/// The folders a kustomization reaches through `resources`, recursively, from `folder`.
fn reached(files: &BTreeMap<String, String>, folder: &str, out: &mut BTreeSet<String>) {
    let kustomization = parse(&files[&format!("{folder}/kustomization.yaml")]);
    for entry in kustomization["resources"].as_array().unwrap() {
        let mut parts: Vec<&str> = folder.split('/').collect();
        for step in entry.as_str().unwrap().split('/') {
            match step {
                ".." => {
                    parts.pop();
                }
                step => parts.push(step),
            }
        }
        let target = parts.join("/");
        if files.contains_key(&format!("{target}/kustomization.yaml")) {
            out.insert(target.clone());
            reached(files, &target, out);
        } else {
            assert!(
                files.contains_key(&target),
                "{folder} lists a missing `{target}`"
            );
        }
    }
}

#[test]
fn base_has_no_namespace_and_no_value_that_differs() {
    let renders = renders();
    let variance = Variance::of(&renders);
    let files = files(&variance).unwrap();
    let base: Vec<(&String, Value)> = files
        .iter()
        .filter(|(path, _)| path.starts_with("base/"))
        .map(|(path, text)| (path, parse(text)))
        .collect();
    assert!(base.len() > 5, "{:?}", files.keys());
    for (path, value) in &base {
        assert_eq!(value.get("namespace"), None, "{path}");
        assert_eq!(value.pointer("/metadata/namespace"), None, "{path}");
    }
    // Every difference is left out of base, but for two placeholders that are no
    // environment's value: the bare repository of an image and a Namespace's role.
    for resource in &variance.resources {
        let Some((path, value)) = base.iter().find(|(_, value)| {
            value["kind"] == resource.key.kind.as_str()
                && resource.key.name_or_role() == value["metadata"]["name"]
        }) else {
            assert!(
                !resource.in_every_environment(),
                "{} is in base",
                resource.key.display()
            );
            continue;
        };
        for (at, values) in resource.node.differences() {
            match value.pointer(&at.pointer()) {
                None => {}
                Some(Value::String(repository)) if at.pointer().ends_with("/image") => {
                    assert_eq!(repository, "ghcr.io/daa/api");
                    assert!(!values.contains(&Some(json!(repository))));
                }
                Some(Value::String(role)) if at.pointer() == "/metadata/name" => {
                    assert_eq!(value["kind"], "Namespace");
                    assert_eq!(role, resource.key.name_or_role());
                    assert!(!values.contains(&Some(json!(role))));
                }
                Some(found) => panic!("{path} holds `{found}` at {at}, which differs"),
            }
        }
    }
    for (path, text) in files.iter().filter(|(path, _)| path.starts_with("base/")) {
        for render in &renders {
            for (_, namespace) in &render.namespaces {
                assert!(
                    !text.contains(namespace.as_str()),
                    "{path} names `{namespace}`"
                );
            }
        }
    }
}

#[test]
fn every_overlay_reaches_all_of_base_through_its_namespaces() {
    let files = files(&Variance::of(&renders())).unwrap();
    let base_folders: BTreeSet<String> = files
        .keys()
        .filter_map(|path| path.strip_suffix("/kustomization.yaml"))
        .filter(|folder| folder.starts_with("base/"))
        .map(str::to_owned)
        .collect();
    assert_eq!(
        base_folders,
        BTreeSet::from(["base/app".into(), "base/cluster".into(), "base/data".into()])
    );
    for env in ["development", "production", "staging"] {
        let mut found = BTreeSet::new();
        reached(&files, &format!("overlays/{env}"), &mut found);
        assert!(found.is_superset(&base_folders), "{env} reaches {found:?}");
        let app = parse(&files[&format!("overlays/{env}/app/kustomization.yaml")]);
        assert_eq!(app["namespace"], env);
        let data = parse(&files[&format!("overlays/{env}/data/kustomization.yaml")]);
        assert_eq!(data["namespace"], format!("{env}-data"));
    }
}

#[test]
fn patches_touch_only_differing_paths_with_the_environments_values() {
    let renders = renders();
    let variance = Variance::of(&renders);
    let files = files(&variance).unwrap();
    let mut operations = 0;
    for (env, environment) in variance.environments.iter().enumerate() {
        let overlay = parse(&files[&format!("overlays/{environment}/kustomization.yaml")]);
        for patch in overlay["patches"].as_array().into_iter().flatten() {
            let target = &patch["target"];
            let resource = variance
                .resources
                .iter()
                .find(|r| {
                    let value = r.value_in(env);
                    let value = value.as_ref();
                    r.key.kind == target["kind"]
                        && value.and_then(|v| v.pointer("/metadata/name")) == Some(&target["name"])
                        && value.and_then(|v| v.pointer("/metadata/namespace"))
                            == target.get("namespace")
                })
                .unwrap_or_else(|| panic!("{environment}: no object is {target}"));
            let differences: BTreeMap<String, Option<Value>> = resource
                .node
                .differences()
                .into_iter()
                .map(|(path, values)| (path.pointer(), values[env].clone()))
                .collect();
            let labels = &overlay["labels"][0]["pairs"];
            for op in parse(patch["patch"].as_str().unwrap()).as_array().unwrap() {
                assert_eq!(op["op"], "add");
                let path = op["path"].as_str().unwrap();
                let Some(Some(wanted)) = differences.get(path) else {
                    panic!("{environment} {target}: {path} does not differ");
                };
                // A labels map the transformer creates holds the rest of the labels.
                let mut value = op["value"].clone();
                if path.ends_with("/labels") && wanted != &value {
                    merge_into(&mut value, labels);
                }
                assert_eq!(&value, wanted, "{environment} {target}: {path}");
                assert!(path != "/metadata/namespace" && !path.ends_with("/labels/environment"));
                operations += 1;
            }
        }
    }
    assert!(operations > 5);
}

fn merge_into(value: &mut Value, labels: &Value) {
    for (key, label) in labels.as_object().unwrap() {
        value[key] = label.clone();
    }
}

#[test]
fn transformers_take_what_is_one_value_per_environment() {
    let files = files(&Variance::of(&renders())).unwrap();
    let production = parse(&files["overlays/production/kustomization.yaml"]);
    assert_eq!(
        production["resources"],
        json!(["../../base/cluster", "app", "data"])
    );
    assert_eq!(
        production["labels"],
        json!([{"pairs": {"environment": "production"}, "includeTemplates": true}])
    );
    assert_eq!(
        production["images"],
        json!([{"name": "ghcr.io/daa/api", "digest": "sha256:927adcf47c1194c0bc3c88f5ca03242954c5a785f128e48e95896b71c2545be7"}])
    );
    let development = parse(&files["overlays/development/kustomization.yaml"]);
    assert_eq!(
        development["images"],
        json!([{"name": "ghcr.io/daa/api", "newTag": "1.1-dev"}])
    );
    // Objects only some environments have are written whole into those overlays.
    let budget = parse(&files["overlays/production/app/poddisruptionbudget-api.yaml"]);
    assert_eq!(budget["metadata"]["namespace"], "production");
    assert!(!files.contains_key("overlays/staging/app/poddisruptionbudget-api.yaml"));
    let app = parse(&files["overlays/production/app/kustomization.yaml"]);
    assert_eq!(
        app["resources"],
        json!(["../../../base/app", "poddisruptionbudget-api.yaml"])
    );
    // The Namespace object is named after its role; the overlay's namespace renames it.
    let namespace = parse(&files["base/data/namespace-data.yaml"]);
    assert_eq!(
        namespace["metadata"],
        json!({"name": "data", "labels": {"role": "data"}})
    );
}

#[test]
fn the_same_variance_gives_the_same_bytes() {
    let variance = Variance::of(&renders());
    assert_eq!(files(&variance).unwrap(), files(&variance).unwrap());
}

#[test]
fn a_role_that_cannot_be_a_folder_is_refused() {
    let mut renders = renders();
    for render in &mut renders {
        render.namespaces[1].0 = OUTSIDE.into();
    }
    let error = files(&Variance::of(&renders)).unwrap_err();
    assert_eq!(
        error.kind,
        KustomizeErrorKind::FolderName {
            name: OUTSIDE.into()
        }
    );
    assert_eq!(
        error.to_string(),
        "namespace role `cluster`: `cluster` cannot name a folder of the Kustomize tree"
    );
}

#[test]
fn two_objects_for_one_file_are_refused() {
    let mut renders = renders();
    for render in &mut renders {
        let mut other = render.resources[3].clone();
        other.api_version = "v2".into();
        other.value["apiVersion"] = json!("v2");
        render.resources.push(other);
    }
    let error = files(&Variance::of(&renders)).unwrap_err();
    assert!(
        matches!(&error.kind, KustomizeErrorKind::SameFile { path, .. } if path == "base/app/configmap-api-config.yaml"),
        "{error}"
    );
}
