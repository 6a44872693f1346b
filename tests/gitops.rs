//! The Argo CD objects of `rendered/gitops/` (REQ-T217, T219, T244): committed and current,
//! valid for the vendored Argo CD 2.10 schemas (strictly), pointing at overlays that exist,
//! production gated; and the per-pull-request preview, built the way Argo CD builds it (the
//! development overlay plus the ApplicationSet's patches, `{{number}}` filled in) with the
//! real `kubectl kustomize`, lands in its own namespaces with every reference renamed.

mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use serde_json::{Value, json};

use daactl::gitops;
use daactl::kubeschema::{Catalog, Verdict};
use daactl::project::Project;
use daactl::render::{Renderer, TemplateSet};
use daactl::shared::Tree;
use daactl::spec::Spec;

/// The repository's specs and the gitops tree built from them.
fn repo_tree() -> (Vec<Spec>, Tree) {
    let project = Project::discover(Some(&common::repo()), &common::repo()).unwrap();
    let specs = project.load_specs(&[]).unwrap();
    let renderer = Renderer::new(TemplateSet::embedded().unwrap()).unwrap();
    let renders: Vec<_> = specs.iter().map(|s| renderer.render(s).unwrap()).collect();
    let pairs: Vec<_> = specs.iter().map(|s| &s.environment).zip(&renders).collect();
    let tree = gitops::tree(&pairs);
    (specs, tree)
}

/// Every object of the tree, with its file.
fn objects(tree: &Tree) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    for (path, text) in &tree.files {
        for document in daactl::yaml::parse_stream(text).unwrap() {
            out.push((path.clone(), document.value));
        }
    }
    out
}

#[test]
fn the_committed_tree_is_current() {
    let (_, tree) = repo_tree();
    common::assert_committed(gitops::TREE, &tree.files);
}

#[test]
fn every_object_is_valid_for_argo_cd_strictly() {
    let (_, tree) = repo_tree();
    let schemas = Catalog::embedded().version("1.33").unwrap();
    let all = objects(&tree);
    assert_eq!(
        all.len(),
        8,
        "an AppProject and an Application per environment, and the preview pair"
    );
    for (path, object) in &all {
        match schemas.check(object) {
            Verdict::Valid => {}
            other => panic!("{path}: {other:?}"),
        }
    }
    // The schema check is strict: a misspelt field is refused, so the pass above means something.
    let mut wrong = all[0].1.clone();
    wrong["spec"]["sourceRepo"] = json!(["x"]);
    assert!(matches!(schemas.check(&wrong), Verdict::Invalid(_)));
}

#[test]
fn each_environment_syncs_its_overlay_and_production_waits_for_a_person() {
    let (specs, tree) = repo_tree();
    let all = objects(&tree);
    for spec in &specs {
        let env = &spec.environment.name;
        let (_, app) = all
            .iter()
            .find(|(_, o)| {
                o["kind"] == "Application" && o["metadata"]["name"] == format!("daa-{env}")
            })
            .unwrap_or_else(|| panic!("no Application for {env}"));
        let source = &app["spec"]["source"];
        assert_eq!(source["repoURL"], daactl::project::REPOSITORY_URL);
        assert_eq!(source["targetRevision"], "main");
        let path = source["path"].as_str().unwrap();
        assert!(
            common::repo()
                .join(path)
                .join("kustomization.yaml")
                .is_file(),
            "{env}: {path} is not a committed overlay"
        );
        let automated = &app["spec"]["syncPolicy"]["automated"];
        if env == "production" {
            assert!(automated.is_null(), "production must sync manually");
        } else {
            assert_eq!(automated["prune"], true, "{env}");
            assert_eq!(automated["selfHeal"], true, "{env}");
        }
        // The project admits exactly the kinds the environment renders.
        let (_, project) = all
            .iter()
            .find(|(_, o)| {
                o["kind"] == "AppProject" && o["metadata"]["name"] == format!("daa-{env}")
            })
            .unwrap();
        let destinations: BTreeSet<&str> = project["spec"]["destinations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["namespace"].as_str().unwrap())
            .collect();
        assert_eq!(
            destinations,
            BTreeSet::from([env.as_str(), &format!("{env}-data")[..]])
        );
    }
}

/// `kubectl kustomize dir`, or a panic with kubectl's stderr.
fn kustomize(kubectl: &Path, dir: &Path) -> String {
    let output = Command::new(kubectl)
        .arg("kustomize")
        .arg(dir)
        .output()
        .expect("kubectl starts");
    assert!(
        output.status.success(),
        "kubectl kustomize {} failed:\n{}",
        dir.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// Calls `visit(key, text)` for every string below `value`.
fn strings<'a>(value: &'a Value, key: &str, visit: &mut dyn FnMut(&str, &'a str)) {
    match value {
        Value::String(text) => visit(key, text),
        Value::Array(items) => items.iter().for_each(|v| strings(v, key, visit)),
        Value::Object(map) => map.iter().for_each(|(k, v)| strings(v, k, visit)),
        _ => {}
    }
}

#[test]
fn a_preview_builds_with_kubectl_into_its_own_namespaces() {
    let Some(kubectl) = common::tool("kube/kubectl") else {
        return;
    };
    let (_, tree) = repo_tree();
    let (_, set) = objects(&tree)
        .into_iter()
        .find(|(_, o)| o["kind"] == "ApplicationSet")
        .expect("the development spec asks for previews");
    let source = &set["spec"]["template"]["spec"]["source"];
    // What Argo CD does for pull request 42: fill in the generator's parameters, then build
    // the overlay with the Application's kustomize patches.
    let patches = serde_json::to_string(&source["kustomize"]["patches"])
        .unwrap()
        .replace("{{number}}", "42");
    let dir = tempfile::tempdir().unwrap();
    let kustomize_tree = dir.path().join("rendered/kustomize");
    common::copy_dir(&common::repo().join("rendered/kustomize"), &kustomize_tree);
    let preview = dir.path().join("preview");
    std::fs::create_dir_all(&preview).unwrap();
    let overlay = source["path"].as_str().unwrap();
    let kustomization = json!({
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "resources": [format!("../{overlay}")],
        "patches": serde_json::from_str::<Value>(&patches).unwrap(),
    });
    std::fs::write(
        preview.join("kustomization.yaml"),
        daactl::yaml::emit(&kustomization),
    )
    .unwrap();
    let built = kustomize(&kubectl, &preview);
    let Some(documents) = common::pyyaml(&built) else {
        return;
    };

    let development = common::render_repo()
        .into_iter()
        .find(|r| r.environment == "development")
        .unwrap();
    // Every object but the host cluster's StorageClass, under the same kind and name, in
    // the preview's namespace of the same role.
    let preview = |namespace: &str| match namespace {
        "development" => "pr-42".to_owned(),
        "development-data" => "pr-42-data".to_owned(),
        other => panic!("development renders into namespace {other}"),
    };
    let expected: BTreeSet<(String, Option<String>, String)> = development
        .resources
        .iter()
        .filter(|r| r.kind != "StorageClass")
        .map(|r| {
            let name = if r.kind == "Namespace" {
                preview(&r.name)
            } else {
                r.name.clone()
            };
            (r.kind.clone(), r.namespace.as_deref().map(preview), name)
        })
        .collect();
    let got: BTreeSet<(String, Option<String>, String)> = documents
        .iter()
        .map(|d| {
            (
                d["kind"].as_str().unwrap().to_owned(),
                d["metadata"]["namespace"].as_str().map(str::to_owned),
                d["metadata"]["name"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(got, expected);
    assert_eq!(documents.len(), development.resources.len() - 1);
    for document in &documents {
        let who = format!("{} {}", document["kind"], document["metadata"]["name"]);
        // No reference to development's namespaces is left: only the `environment` label
        // and settings like NODE_ENV name the environment the preview was built from.
        strings(document, "", &mut |key, text| {
            let names_development = text == "development-data"
                || text.contains(".development.")
                || text.contains(".development-data.")
                || text.contains("/ns/development/")
                || text.contains("/ns/development-data/")
                || text.contains("namespace=\"development")
                || text.contains("namespace=\\\"development")
                || (text == "development" && key != "environment" && key != "NODE_ENV");
            assert!(
                !names_development,
                "{who}: `{key}: {text}` still names development"
            );
        });
    }
    // Each preview answers on its own ingress host, and its services admit each other.
    for document in &documents {
        if document["kind"] == "VirtualService" {
            for host in document["spec"]["hosts"].as_array().unwrap() {
                assert!(host.as_str().unwrap().starts_with("pr-42."), "{host}");
            }
        }
    }
    let knowledge = documents
        .iter()
        .find(|d| {
            d["kind"] == "AuthorizationPolicy" && d["metadata"]["name"] == "knowledge-service"
        })
        .unwrap();
    assert!(
        knowledge
            .to_string()
            .contains("cluster.local/ns/pr-42/sa/daa-service"),
        "{knowledge}"
    );
    // The services reach the preview's own data namespace.
    let config = documents
        .iter()
        .find(|d| d["kind"] == "ConfigMap" && d["metadata"]["name"] == "daa-service-config")
        .unwrap();
    assert_eq!(config["data"]["REDIS_HOST"], "redis.pr-42-data.svc");
    assert_eq!(config["data"]["PGHOST"], "daa-postgres-rw.pr-42-data.svc");
}
