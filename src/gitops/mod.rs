//! The Argo CD objects that deploy each environment from this repository (REQ-T217, T219,
//! T244), written to `rendered/gitops/`: per environment (its spec's `[gitops]`), an
//! `AppProject` and an `Application` syncing the environment's Kustomize overlay from
//! `main`; for an environment with `previews = true`, an `ApplicationSet` whose pull-request
//! generator makes an ephemeral copy of that overlay per labelled pull request, and its
//! `AppProject`. Why the overlay, why these objects live apart from the environments' own
//! trees, and how previews are renamed: `docs/decisions/0013-gitops-and-progressive-delivery.md`.

mod preview;

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};

use crate::project::{REPOSITORY_NAME, REPOSITORY_OWNER, REPOSITORY_URL};
use crate::render::order::is_cluster_scoped;
use crate::render::{Rendered, Resource};
use crate::shared::Tree;
use crate::spec::model::{Environment, SyncMode};

pub use preview::{PREVIEW_NUMBER, preview_namespace};

/// The tree's folder under `rendered/`.
pub const TREE: &str = "gitops";
/// Where Argo CD runs and reads Applications (installed by Terraform, release `argo-cd`).
pub const ARGOCD_NAMESPACE: &str = "argocd";
/// The cluster Argo CD runs in: each environment's cluster runs its own Argo CD.
pub const IN_CLUSTER: &str = "https://kubernetes.default.svc";
/// The branch every environment follows; promotion is a commit to it.
pub const TARGET_REVISION: &str = "main";
/// The label a pull request needs to get a preview environment.
pub const PREVIEW_LABEL: &str = "preview";
/// Folder of the preview objects inside the tree.
pub const PREVIEWS_FOLDER: &str = "previews";
/// The finalizer that makes Argo CD delete an Application's resources with it.
pub const RESOURCES_FINALIZER: &str = "resources-finalizer.argocd.argoproj.io";
/// What the `# Source:` line of each file names.
const SOURCE: &str = "daactl gitops";

/// The path of an environment's Kustomize overlay inside the repository.
pub fn overlay_path(environment: &str) -> String {
    format!("rendered/kustomize/overlays/{environment}")
}

/// The Argo CD objects of one environment, each with the folder of the tree it goes to
/// (the environment's name, or [`PREVIEWS_FOLDER`]).
pub fn resources(spec: &Environment, rendered: &Rendered) -> Vec<(String, Resource)> {
    let gitops = &spec.gitops;
    let env = spec.name.as_str();
    let project = format!("daa-{env}");
    let destinations: Vec<Value> = rendered
        .namespaces
        .iter()
        .map(|(_, namespace)| json!({ "server": IN_CLUSTER, "namespace": namespace }))
        .collect();
    let app_namespace = rendered
        .namespaces
        .first()
        .map(|(_, name)| name.clone())
        .unwrap_or_else(|| env.to_owned());
    let mut out = vec![
        (
            env.to_owned(),
            app_project(&project, env, destinations, rendered, false),
        ),
        (
            env.to_owned(),
            resource(json!({
                "apiVersion": "argoproj.io/v1alpha1",
                "kind": "Application",
                "metadata": {
                    "name": project,
                    "namespace": ARGOCD_NAMESPACE,
                    "labels": labels(env),
                },
                "spec": {
                    "project": project,
                    "source": {
                        "repoURL": REPOSITORY_URL,
                        "targetRevision": TARGET_REVISION,
                        "path": overlay_path(env),
                    },
                    "destination": { "server": IN_CLUSTER, "namespace": app_namespace },
                    "syncPolicy": sync_policy(gitops.sync),
                    "revisionHistoryLimit": 10,
                },
            })),
        ),
    ];
    if gitops.previews {
        out.extend(
            preview::resources(env, rendered)
                .into_iter()
                .map(|r| (PREVIEWS_FOLDER.to_owned(), r)),
        );
    }
    out
}

/// The whole `rendered/gitops/` tree from every environment's spec and render.
pub fn tree(environments: &[(&Environment, &Rendered)]) -> Tree {
    let mut files = BTreeMap::new();
    for (spec, rendered) in environments {
        for (folder, resource) in resources(spec, rendered) {
            files.insert(
                format!("{folder}/{}", resource.file_name()),
                resource.to_yaml(),
            );
        }
    }
    Tree { name: TREE, files }
}

/// The labels of every Argo CD object daactl writes for `environment`.
fn labels(environment: &str) -> Value {
    json!({
        "app.kubernetes.io/managed-by": "daactl",
        "app.kubernetes.io/part-of": "daa",
        "environment": environment,
    })
}

/// An Argo CD object as a resource; its identity is taken from the object itself.
fn resource(value: Value) -> Resource {
    Resource::from_object(SOURCE, value).expect("Argo CD objects carry apiVersion, kind and name")
}

/// The sync policy: automated with prune and self-heal, or none (manual sync) for the
/// gated environment. Both retry and apply with the same options.
fn sync_policy(mode: SyncMode) -> Value {
    let mut policy = json!({
        // Prune only after every other object is applied and healthy; never take over an
        // object another Application owns (a preview next to development, say).
        "syncOptions": ["PruneLast=true", "FailOnSharedResource=true", "ApplyOutOfSyncOnly=true"],
        "retry": {
            "limit": 5,
            "backoff": { "duration": "10s", "factor": 2, "maxDuration": "3m" },
        },
    });
    if mode == SyncMode::Automated {
        policy["automated"] = json!({ "prune": true, "selfHeal": true, "allowEmpty": false });
    }
    policy
}

/// An `AppProject` allowing this repository, `destinations`, and exactly the kinds
/// `rendered` holds: cluster-scoped ones (only `Namespace` when `namespaces_only`, as
/// previews share the cluster's other cluster-scoped objects) and namespaced ones.
fn app_project(
    name: &str,
    environment: &str,
    destinations: Vec<Value>,
    rendered: &Rendered,
    namespaces_only: bool,
) -> Resource {
    let mut cluster = BTreeSet::new();
    let mut namespaced = BTreeSet::new();
    for object in &rendered.resources {
        let group = group_of(&object.api_version);
        if is_cluster_scoped(&object.kind) {
            if !namespaces_only || object.kind == "Namespace" {
                cluster.insert((group, object.kind.as_str()));
            }
        } else {
            namespaced.insert((group, object.kind.as_str()));
        }
    }
    let kinds = |set: BTreeSet<(&str, &str)>| -> Vec<Value> {
        set.into_iter()
            .map(|(group, kind)| json!({ "group": group, "kind": kind }))
            .collect()
    };
    resource(json!({
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "AppProject",
        "metadata": {
            "name": name,
            "namespace": ARGOCD_NAMESPACE,
            "labels": labels(environment),
        },
        "spec": {
            "sourceRepos": [REPOSITORY_URL],
            "destinations": destinations,
            "clusterResourceWhitelist": kinds(cluster),
            "namespaceResourceWhitelist": kinds(namespaced),
            "orphanedResources": { "warn": true },
        },
    }))
}

/// The API group of an `apiVersion` (`""` for the core group).
fn group_of(api_version: &str) -> &str {
    api_version
        .rsplit_once('/')
        .map_or("", |(group, _version)| group)
}

/// The pull-request generator's repository: this one.
fn github() -> Value {
    json!({
        "owner": REPOSITORY_OWNER,
        "repo": REPOSITORY_NAME,
        "labels": [PREVIEW_LABEL],
    })
}
