//! The Kustomize tree builds, with the real `kubectl kustomize` (Kustomize v5.6.0), into
//! exactly daactl's objects for every environment: the repository's, a scaled project's, and
//! one synthetic case per known trap of overlays.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use serde_json::{Value, json};

use daactl::render::{Rendered, Resource};
use daactl::variance::Variance;

/// Writes `files` under `dir`.
fn write_tree(dir: &Path, files: &BTreeMap<String, String>) {
    for (path, text) in files {
        let path = dir.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
}

/// `kubectl kustomize dir`: its output, or a message with the exit status and kubectl's
/// stderr.
fn kustomize(kubectl: &Path, dir: &Path) -> Result<String, String> {
    let output = Command::new(kubectl)
        .arg("kustomize")
        .arg(dir)
        .output()
        .map_err(|err| format!("`{} kustomize` does not start: {err}", kubectl.display()))?;
    if !output.status.success() {
        return Err(format!(
            "`kubectl kustomize {}` failed ({}):\n{}",
            dir.display(),
            output.status,
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    String::from_utf8(output.stdout).map_err(|err| format!("kubectl printed non-UTF-8: {err}"))
}

/// The Kustomize tree of `renders`; asserts that each overlay builds into exactly that
/// environment's objects. `None` where kubectl is missing outside CI.
fn assert_overlays_build(renders: &[Rendered]) -> Option<BTreeMap<String, String>> {
    let kubectl = common::tool("kube/kubectl")?;
    let files = daactl::kustomize::files(&Variance::of(renders)).expect("the tree is written");
    assert_tree_builds(&kubectl, &files, renders);
    Some(files)
}

/// Asserts that each overlay of `files` builds into exactly its environment's objects;
/// a failing build fails with kubectl's stderr.
fn assert_tree_builds(kubectl: &Path, files: &BTreeMap<String, String>, renders: &[Rendered]) {
    let dir = tempfile::tempdir().unwrap();
    write_tree(dir.path(), files);
    for render in renders {
        let overlay = dir.path().join("overlays").join(&render.environment);
        let output = kustomize(kubectl, &overlay).unwrap_or_else(|message| panic!("{message}"));
        let Some(documents) = common::pyyaml(&output) else {
            return;
        };
        common::equivalence::assert_same_objects("kubectl kustomize", render, &documents);
    }
}

/// One environment's kustomization, parsed.
fn overlay(files: &BTreeMap<String, String>, env: &str) -> Value {
    kustomization(files, &format!("overlays/{env}"))
}

fn kustomization(files: &BTreeMap<String, String>, folder: &str) -> Value {
    let text = &files[&format!("{folder}/kustomization.yaml")];
    daactl::yaml::parse_stream(text).unwrap().remove(0).value
}

/// Each patch's target name and operation paths.
fn patched(kustomization: &Value) -> Vec<(String, Vec<String>)> {
    let patches = kustomization["patches"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    patches
        .iter()
        .map(|patch| {
            let operations = daactl::yaml::parse_stream(patch["patch"].as_str().unwrap())
                .unwrap()
                .remove(0)
                .value;
            let paths = operations
                .as_array()
                .unwrap()
                .iter()
                .map(|op| op["path"].as_str().unwrap().to_owned())
                .collect();
            (patch["target"]["name"].as_str().unwrap().to_owned(), paths)
        })
        .collect()
}

fn object(value: Value) -> Resource {
    Resource::from_object("synthetic", value).expect("a test object has an identity")
}

/// An environment with namespaces `<env>` (role `app`) and `<env>-data` (role `data`),
/// their Namespace objects, and `objects`.
fn render(env: &str, objects: Vec<Value>) -> Rendered {
    let namespace = |name: String, role: &str| {
        object(json!({
            "apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": name, "labels": {"environment": env, "daa.dev/namespace-role": role}}
        }))
    };
    let mut resources = vec![
        namespace(env.to_owned(), "app"),
        namespace(format!("{env}-data"), "data"),
    ];
    resources.extend(objects.into_iter().map(object));
    daactl::testing::render(env, resources)
}

const ENVIRONMENTS: [&str; 3] = ["development", "production", "staging"];

/// A Deployment named `api` in `env`'s app namespace, with `spec` merged over a minimal one.
fn deployment(env: &str, pod: Value) -> Value {
    let mut spec = json!({
        "containers": [{"name": "api", "image": "ghcr.io/daa/api:1.0"}]
    });
    merge(&mut spec, pod);
    json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "api", "namespace": env, "labels": {"environment": env}},
        "spec": {
            "selector": {"matchLabels": {"app": "api"}},
            "template": {
                "metadata": {"labels": {"app": "api", "environment": env}},
                "spec": spec
            }
        }
    })
}

fn merge(into: &mut Value, from: Value) {
    match (into, from) {
        (Value::Object(into), Value::Object(from)) => {
            for (key, value) in from {
                match into.get_mut(&key) {
                    Some(existing) => merge(existing, value),
                    None => {
                        into.insert(key, value);
                    }
                }
            }
        }
        (into, from) => *into = from,
    }
}

#[test]
fn every_environment_of_the_repository_builds_into_its_objects() {
    let renders = common::render_repo();
    let Some(files) = assert_overlays_build(&renders) else {
        return;
    };
    // Base carries no environment's name or namespace (REQ-T209, REQ-T246).
    for (path, text) in files.iter().filter(|(path, _)| path.starts_with("base/")) {
        for render in &renders {
            let names = std::iter::once(&render.environment)
                .chain(render.namespaces.iter().map(|(_, name)| name));
            for name in names {
                assert!(
                    !text.contains(name.as_str()),
                    "{path} holds `{name}`:\n{text}"
                );
            }
        }
    }
    let production = overlay(&files, "production");
    assert_eq!(
        production["labels"],
        json!([{"pairs": {"environment": "production"}, "includeTemplates": true}])
    );
    assert!(
        production["images"]
            .as_array()
            .unwrap()
            .iter()
            .any(|image| image["name"] == "ghcr.io/daa-platform/daa-service"
                && image["digest"].as_str().unwrap().starts_with("sha256:")),
        "{production:#}"
    );
}

#[test]
fn the_committed_overlays_build_into_what_daactl_renders() {
    // What the README promises: `kubectl kustomize rendered/kustomize/overlays/<env>` equals
    // `daactl render --env <env> --stdout`, on the committed files.
    let Some(kubectl) = common::tool("kube/kubectl") else {
        return;
    };
    for render in common::render_repo() {
        let env = render.environment.as_str();
        let overlay = common::repo().join("rendered/kustomize/overlays").join(env);
        let built = kustomize(&kubectl, &overlay).unwrap_or_else(|message| panic!("{message}"));
        let (code, stdout, stderr) = common::outcome(&common::daactl(
            &common::repo(),
            &["render", "--env", env, "--stdout"],
        ));
        assert_eq!(code, 0, "{stderr}");
        let (Some(built), Some(printed)) = (common::pyyaml(&built), common::pyyaml(&stdout)) else {
            return;
        };
        let printed = Rendered {
            environment: env.to_owned(),
            namespaces: render.namespaces.clone(),
            resources: printed.into_iter().map(object).collect(),
        };
        common::equivalence::assert_same_objects("kubectl kustomize", &printed, &built);
    }
}

#[test]
fn a_scaled_project_builds_into_its_objects() {
    let project = common::scaled_project(30);
    let renders = common::render_project(project.path());
    assert_overlays_build(&renders);
}

#[test]
fn one_field_of_one_topology_spread_constraint_differing_is_patched_by_index() {
    let constraint = |key: &str| json!({"maxSkew": 1, "topologyKey": key, "labelSelector": {"matchLabels": {"app": "api"}}});
    let renders: Vec<Rendered> = ENVIRONMENTS
        .iter()
        .map(|env| {
            let (zone, host) = match *env {
                "development" => (
                    json!({"whenUnsatisfiable": "ScheduleAnyway"}),
                    json!({"whenUnsatisfiable": "ScheduleAnyway"}),
                ),
                _ => (
                    json!({"whenUnsatisfiable": "DoNotSchedule", "minDomains": 3}),
                    json!({"whenUnsatisfiable": "ScheduleAnyway"}),
                ),
            };
            let mut zone_constraint = constraint("topology.kubernetes.io/zone");
            merge(&mut zone_constraint, zone);
            let mut host_constraint = constraint("kubernetes.io/hostname");
            merge(&mut host_constraint, host);
            render(
                env,
                vec![deployment(
                    env,
                    json!({"topologySpreadConstraints": [zone_constraint, host_constraint]}),
                )],
            )
        })
        .collect();
    let Some(files) = assert_overlays_build(&renders) else {
        return;
    };
    let production = patched(&overlay(&files, "production"));
    assert!(
        production.contains(&(
            "api".to_owned(),
            vec![
                "/spec/template/spec/topologySpreadConstraints/0/whenUnsatisfiable".to_owned(),
                "/spec/template/spec/topologySpreadConstraints/0/minDomains".to_owned(),
            ]
        )),
        "{production:?}"
    );
}

#[test]
fn affinity_switching_between_required_and_preferred_builds() {
    let term = json!({"topologyKey": "kubernetes.io/hostname", "labelSelector": {"matchLabels": {"app": "api"}}});
    let required = json!({"requiredDuringSchedulingIgnoredDuringExecution": [term]});
    let preferred = json!({"preferredDuringSchedulingIgnoredDuringExecution": [{"weight": 100, "podAffinityTerm": term}]});
    let renders: Vec<Rendered> = ENVIRONMENTS
        .iter()
        .map(|env| {
            let affinity = match *env {
                "development" => json!({"podAntiAffinity": preferred, "podAffinity": required}),
                "production" => json!({"podAntiAffinity": required, "podAffinity": preferred}),
                _ => json!({"podAntiAffinity": preferred}),
            };
            render(env, vec![deployment(env, json!({"affinity": affinity}))])
        })
        .collect();
    assert_overlays_build(&renders);
}

/// A StatefulSet whose volume claim template carries `claim_labels` in `env`.
fn stateful_set(env: &str, claim_labels: Option<Value>) -> Value {
    let mut claim = json!({
        "metadata": {"name": "data"},
        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}
    });
    if let Some(labels) = claim_labels {
        claim["metadata"]["labels"] = labels;
    }
    json!({
        "apiVersion": "apps/v1", "kind": "StatefulSet",
        "metadata": {"name": "db", "namespace": format!("{env}-data"), "labels": {"environment": env}},
        "spec": {
            "serviceName": "db",
            "selector": {"matchLabels": {"app": "db"}},
            "template": {
                "metadata": {"labels": {"app": "db", "environment": env}},
                "spec": {"containers": [{"name": "db", "image": "postgres:16"}]}
            },
            "volumeClaimTemplates": [claim]
        }
    })
}

#[test]
fn labels_do_not_leak_into_volume_claim_templates() {
    let renders: Vec<Rendered> = ENVIRONMENTS
        .iter()
        .map(|env| render(env, vec![stateful_set(env, None)]))
        .collect();
    let Some(files) = assert_overlays_build(&renders) else {
        return;
    };
    // `includeTemplates` would label the claims, so only metadata gets the transformer.
    assert_eq!(
        overlay(&files, "staging")["labels"],
        json!([{"pairs": {"environment": "staging"}, "includeTemplates": false}])
    );
}

#[test]
fn labels_reach_volume_claim_templates_that_have_them() {
    let renders: Vec<Rendered> = ENVIRONMENTS
        .iter()
        .map(|env| {
            let labels = json!({"app": "db", "environment": env});
            render(env, vec![stateful_set(env, Some(labels))])
        })
        .collect();
    let Some(files) = assert_overlays_build(&renders) else {
        return;
    };
    assert_eq!(
        overlay(&files, "staging")["labels"],
        json!([{"pairs": {"environment": "staging"}, "includeTemplates": true}])
    );
    assert_eq!(patched(&overlay(&files, "staging")), []);
}

#[test]
fn an_image_by_tag_in_one_environment_and_by_digest_in_another_builds() {
    let digest = "sha256:927adcf47c1194c0bc3c88f5ca03242954c5a785f128e48e95896b71c2545be7";
    let renders: Vec<Rendered> = ENVIRONMENTS
        .iter()
        .map(|env| {
            let image = match *env {
                "development" => "ghcr.io/daa/api:1.1-dev".to_owned(),
                "production" => format!("ghcr.io/daa/api@{digest}"),
                _ => format!("ghcr.io/daa/api:1.1@{digest}"),
            };
            let mut api = deployment(env, json!({}));
            api["spec"]["template"]["spec"] = json!({"containers": [
                {"name": "api", "image": image},
                {"name": "worker", "image": image}
            ]});
            let mut objects = vec![api];
            // Staging also runs a migration from another tag of the same repository, which
            // the transformer would rewrite too: staging patches its images instead.
            if *env == "staging" {
                objects.push(json!({
                    "apiVersion": "batch/v1", "kind": "Job",
                    "metadata": {"name": "migrate", "namespace": env, "labels": {"environment": env}},
                    "spec": {"template": {
                        "metadata": {"labels": {"environment": env}},
                        "spec": {
                            "restartPolicy": "Never",
                            "containers": [{"name": "migrate", "image": "ghcr.io/daa/api:1.0"}]
                        }
                    }}
                }));
            }
            render(env, objects)
        })
        .collect();
    let Some(files) = assert_overlays_build(&renders) else {
        return;
    };
    assert_eq!(
        overlay(&files, "production")["images"],
        json!([{"name": "ghcr.io/daa/api", "digest": digest}])
    );
    assert_eq!(
        overlay(&files, "development")["images"],
        json!([{"name": "ghcr.io/daa/api", "newTag": "1.1-dev"}])
    );
    let staging = overlay(&files, "staging");
    assert_eq!(staging.get("images"), None);
    assert_eq!(
        patched(&staging),
        [(
            "api".to_owned(),
            vec![
                "/spec/template/spec/containers/0/image".to_owned(),
                "/spec/template/spec/containers/1/image".to_owned()
            ]
        )]
    );
    let base = &files["base/app/deployment-api.yaml"];
    assert_eq!(
        base.matches("image: ghcr.io/daa/api\n").count(),
        2,
        "{base}"
    );
}

#[test]
fn objects_in_one_environment_only_build() {
    let renders: Vec<Rendered> = ENVIRONMENTS
        .iter()
        .map(|env| {
            let mut objects = vec![deployment(env, json!({}))];
            if *env == "production" {
                objects.push(json!({
                    "apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
                    "metadata": {"name": "api", "namespace": env, "labels": {"environment": env}},
                    "spec": {"maxUnavailable": 1, "selector": {"matchLabels": {"app": "api"}}}
                }));
                objects.push(json!({
                    "apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass",
                    "metadata": {"name": "critical", "labels": {"environment": env}},
                    "value": 1000000
                }));
            }
            render(env, objects)
        })
        .collect();
    let Some(files) = assert_overlays_build(&renders) else {
        return;
    };
    assert!(files.contains_key("overlays/production/app/poddisruptionbudget-api.yaml"));
    assert!(files.contains_key("overlays/production/priorityclass-critical.yaml"));
    assert!(
        !files
            .keys()
            .any(|path| path.starts_with("base/") && path.contains("critical"))
    );
}

#[test]
fn a_key_in_one_environment_only_builds() {
    let renders: Vec<Rendered> = ENVIRONMENTS
        .iter()
        .map(|env| {
            let extra = match *env {
                "production" => json!({"priorityClassName": "critical"}),
                "development" => json!({"containers": [{"name": "api", "image": "ghcr.io/daa/api:1.0", "args": ["--debug"]}]}),
                _ => json!({}),
            };
            let mut api = deployment(env, extra);
            if *env == "development" {
                api["metadata"]["annotations"] = json!({"daa.dev/debug": "true"});
            }
            render(env, vec![api])
        })
        .collect();
    let Some(files) = assert_overlays_build(&renders) else {
        return;
    };
    assert_eq!(
        patched(&overlay(&files, "staging")),
        [],
        "staging has none of the keys"
    );
    assert_eq!(
        patched(&overlay(&files, "production")),
        [(
            "api".to_owned(),
            vec!["/spec/template/spec/priorityClassName".to_owned()]
        )]
    );
}

#[test]
fn a_failing_kubectl_is_reported_with_its_stderr() {
    let Some(kubectl) = common::tool("kube/kubectl") else {
        return;
    };
    let renders: Vec<Rendered> = ENVIRONMENTS
        .iter()
        .map(|env| render(env, vec![deployment(env, json!({}))]))
        .collect();
    let mut files = daactl::kustomize::files(&Variance::of(&renders)).unwrap();
    files.remove("base/app/deployment-api.yaml");
    let dir = tempfile::tempdir().unwrap();
    write_tree(dir.path(), &files);
    let overlay = dir.path().join("overlays/production");
    let message = kustomize(&kubectl, &overlay).expect_err("a missing resource fails the build");
    assert!(
        message.starts_with(&format!(
            "`kubectl kustomize {}` failed (exit status: 1):\n",
            overlay.display()
        )),
        "{message}"
    );
    assert!(
        message.contains("deployment-api.yaml"),
        "kubectl's stderr is kept: {message}"
    );
    // The helper every test above goes through fails on it, with the same message.
    let caught = std::panic::catch_unwind(|| assert_tree_builds(&kubectl, &files, &renders))
        .expect_err("a failing build fails the test");
    let panic = caught
        .downcast_ref::<String>()
        .expect("the failure is a message");
    assert!(
        panic.contains("failed (exit status: 1)") && panic.contains("deployment-api.yaml"),
        "{panic}"
    );
}

/// An AuthorizationPolicy in `env`'s app namespace: rule 0 admits `callers` (none: any
/// caller), rule 1 admits anyone to the metrics port.
fn authorization_policy(env: &str, callers: Option<Value>) -> Value {
    let mut first = json!({"to": [{"operation": {"ports": ["3000"]}}]});
    if let Some(callers) = callers {
        first["from"] = callers;
    }
    json!({
        "apiVersion": "security.istio.io/v1beta1", "kind": "AuthorizationPolicy",
        "metadata": {"name": "api", "namespace": env},
        "spec": {
            "action": "ALLOW",
            "rules": [first, {"to": [{"operation": {"ports": ["9090"]}}]}],
        },
    })
}

fn principal(env: &str) -> Value {
    json!([{"source": {"principals": [format!("cluster.local/ns/{env}/sa/web")]}}])
}

#[test]
fn base_admits_no_caller_where_every_environment_names_its_callers() {
    let renders: Vec<Rendered> = ["development", "production"]
        .into_iter()
        .map(|env| render(env, vec![authorization_policy(env, Some(principal(env)))]))
        .collect();
    let Some(files) = assert_overlays_build(&renders) else {
        return;
    };
    let base = daactl::yaml::parse_stream(&files["base/app/authorizationpolicy-api.yaml"])
        .unwrap()
        .remove(0)
        .value;
    assert_eq!(
        base["spec"]["rules"][0]["from"],
        json!([{"source": {"principals": [daactl::kustomize::NO_CALLER]}}])
    );
    // The metrics rule is open in every environment and stays so.
    assert_eq!(base["spec"]["rules"][1].get("from"), None);

    // Where one environment admits any caller, base cannot name one: its overlay would
    // have nothing to remove it with.
    let renders = vec![
        render(
            "development",
            vec![authorization_policy("development", None)],
        ),
        render(
            "production",
            vec![authorization_policy(
                "production",
                Some(principal("production")),
            )],
        ),
    ];
    let Some(files) = assert_overlays_build(&renders) else {
        return;
    };
    assert!(!files["base/app/authorizationpolicy-api.yaml"].contains(daactl::kustomize::NO_CALLER));
}
