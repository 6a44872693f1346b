//! Per-pull-request previews (REQ-T244): an `ApplicationSet` whose GitHub pull-request
//! generator makes one Application per open pull request labelled `preview`, syncing the
//! source environment's Kustomize overlay at the pull request's head commit into its own
//! namespaces.
//!
//! The overlay names the source environment's namespaces everywhere: in `metadata`, in
//! NetworkPolicy namespace selectors, in the service addresses of ConfigMaps. Argo CD's
//! `kustomize.namespace` would move every object into one namespace, where the roles'
//! objects of the same name (`quota`, `default-deny`, ...) collide. So daactl writes one
//! JSON 6902 patch per object into the template, renaming each role's namespace to
//! `pr-{{number}}` (the app role) or `pr-{{number}}-<role>` and rewriting each reference to
//! it (service addresses, Istio principals, PromQL namespace matchers), and giving its
//! ingress hosts a `pr-{{number}}.` subdomain; the generator fills in `{{number}}`. Cluster-scoped objects other than the
//! Namespaces (the StorageClass) are the host cluster's and are deleted from the preview.

use serde_json::{Value, json};

use super::{
    ARGOCD_NAMESPACE, IN_CLUSTER, REPOSITORY_URL, RESOURCES_FINALIZER, app_project, github, labels,
    overlay_path, resource, sync_policy,
};
use crate::render::order::is_cluster_scoped;
use crate::render::{Rendered, Resource};
use crate::spec::model::SyncMode;
use crate::yaml;

/// The placeholder the pull-request generator replaces with the pull request's number.
pub const PREVIEW_NUMBER: &str = "{{number}}";

/// The name the preview gives to the namespace of `role`: `pr-<number>` for the app role,
/// `pr-<number>-<role>` for the others.
pub fn preview_namespace(role: &str, number: &str) -> String {
    if role == "app" {
        format!("pr-{number}")
    } else {
        format!("pr-{number}-{role}")
    }
}

/// The preview `AppProject` and `ApplicationSet` built from `environment`'s render.
pub fn resources(environment: &str, rendered: &Rendered) -> Vec<Resource> {
    let name = "daa-previews";
    let project = app_project(
        name,
        environment,
        vec![json!({ "server": IN_CLUSTER, "namespace": "pr-*" })],
        rendered,
        true,
    );
    let mut template_labels = labels(environment);
    template_labels["daa.dev/pull-request"] = json!(PREVIEW_NUMBER);
    let application_set = resource(json!({
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "ApplicationSet",
        "metadata": {
            "name": name,
            "namespace": ARGOCD_NAMESPACE,
            "labels": labels(environment),
        },
        "spec": {
            "generators": [{
                "pullRequest": {
                    "github": github(),
                    "requeueAfterSeconds": 300,
                },
            }],
            // When the pull request closes or loses its label, the generator drops it and
            // the ApplicationSet deletes its Application; the finalizer below then deletes
            // everything the Application created.
            "syncPolicy": { "preserveResourcesOnDeletion": false },
            "template": {
                "metadata": {
                    "name": format!("daa-pr-{PREVIEW_NUMBER}"),
                    "labels": template_labels,
                    "finalizers": [RESOURCES_FINALIZER],
                },
                "spec": {
                    "project": name,
                    "source": {
                        "repoURL": REPOSITORY_URL,
                        "targetRevision": "{{head_sha}}",
                        "path": overlay_path(environment),
                        "kustomize": { "patches": patches(rendered) },
                    },
                    "destination": {
                        "server": IN_CLUSTER,
                        "namespace": preview_namespace("app", PREVIEW_NUMBER),
                    },
                    "syncPolicy": sync_policy(SyncMode::Automated),
                },
            },
        },
    }));
    vec![project, application_set]
}

/// One patch per object of `rendered`, moving it to the preview's namespaces.
fn patches(rendered: &Rendered) -> Vec<Value> {
    let renames: Vec<(&str, String)> = rendered
        .namespaces
        .iter()
        .map(|(role, name)| (name.as_str(), preview_namespace(role, PREVIEW_NUMBER)))
        .collect();
    let renamed = |namespace: &str| {
        renames
            .iter()
            .find(|(from, _)| *from == namespace)
            .map(|(_, to)| to.clone())
    };
    let mut out = Vec::new();
    for object in &rendered.resources {
        let (group, version) = match object.api_version.rsplit_once('/') {
            Some((group, version)) => (group, version),
            None => ("", object.api_version.as_str()),
        };
        let mut target = json!({ "version": version, "kind": object.kind, "name": object.name });
        if !group.is_empty() {
            target["group"] = json!(group);
        }
        if let Some(namespace) = &object.namespace {
            target["namespace"] = json!(namespace);
        }
        if is_cluster_scoped(&object.kind) && object.kind != "Namespace" {
            // The host cluster's own object (the StorageClass `ssd`): the preview uses it.
            out.push(json!({
                "target": target,
                "patch": yaml::emit(&json!({
                    "$patch": "delete",
                    "apiVersion": object.api_version,
                    "kind": object.kind,
                    "metadata": { "name": object.name },
                })),
            }));
            continue;
        }
        let mut ops = Vec::new();
        references(&object.value, "", "", &renamed, &mut ops);
        let moved = if object.kind == "Namespace" {
            renamed(&object.name).map(|to| ("/metadata/name", to))
        } else {
            object
                .namespace
                .as_deref()
                .and_then(renamed)
                .map(|to| ("/metadata/namespace", to))
        };
        if let Some((path, to)) = moved {
            ops.push(json!({ "op": "replace", "path": path, "value": to }));
        }
        if !ops.is_empty() {
            out.push(json!({ "target": target, "patch": yaml::emit(&Value::Array(ops)) }));
        }
    }
    out
}

/// Adds a `replace` for every string below `value` (at JSON pointer `base`, under object
/// key `key`) that refers to a renamed namespace, except the object's own name and namespace.
fn references(
    value: &Value,
    base: &str,
    key: &str,
    renamed: &dyn Fn(&str) -> Option<String>,
    ops: &mut Vec<Value>,
) {
    match value {
        Value::String(text) => {
            if base == "/metadata/name" || base == "/metadata/namespace" {
                return;
            }
            if let Some(to) = retarget(text, key, renamed) {
                ops.push(json!({ "op": "replace", "path": base, "value": to }));
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                references(item, &format!("{base}/{i}"), key, renamed, ops);
            }
        }
        Value::Object(map) => {
            for (k, v) in map {
                let token = k.replace('~', "~0").replace('/', "~1");
                references(v, &format!("{base}/{token}"), k, renamed, ops);
            }
        }
        _ => {}
    }
}

/// The text with its namespace references renamed, if it has any: the whole value of a
/// `namespace` or `kubernetes.io/metadata.name` key; the namespace label of a cluster DNS
/// name (`<service>.<namespace>.svc`, also inside a URL); the namespace of an Istio
/// principal (`cluster.local/ns/<namespace>/sa/<account>`); and the value of a PromQL
/// `namespace="<namespace>"` matcher (also JSON-escaped, inside a dashboard). An ingress
/// host (`hosts` of a Gateway or VirtualService) gets the preview's own subdomain, so that
/// previews do not claim the same host. Other values that happen to equal a namespace's
/// name (the `environment` label) are not references.
fn retarget(text: &str, key: &str, renamed: &dyn Fn(&str) -> Option<String>) -> Option<String> {
    if matches!(key, "namespace" | "kubernetes.io/metadata.name") {
        return renamed(text);
    }
    if key == "hosts" {
        return Some(preview_host(text));
    }
    let mut out = text.to_owned();
    for rewrite in [dns_names, principals, label_matchers] {
        if let Some(changed) = rewrite(&out, renamed) {
            out = changed;
        }
    }
    (out != text).then_some(out)
}

/// `api.example.com` as `pr-<number>.api.example.com`, keeping a Gateway host's namespace
/// prefix (`./`, `<namespace>/`).
fn preview_host(host: &str) -> String {
    match host.rsplit_once('/') {
        Some((scope, name)) => format!("{scope}/pr-{PREVIEW_NUMBER}.{name}"),
        None => format!("pr-{PREVIEW_NUMBER}.{host}"),
    }
}

/// Cluster DNS names: the label before `svc`.
fn dns_names(text: &str, renamed: &dyn Fn(&str) -> Option<String>) -> Option<String> {
    rename_segments(text, '.', renamed, |labels, i| {
        i > 0
            && labels.get(i + 1).is_some_and(|next| {
                next.strip_prefix("svc")
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with([':', '/']))
            })
    })
}

/// Istio principals: the segment between `ns` and `sa`.
fn principals(text: &str, renamed: &dyn Fn(&str) -> Option<String>) -> Option<String> {
    rename_segments(text, '/', renamed, |segments, i| {
        i > 0 && segments[i - 1] == "ns" && segments.get(i + 1) == Some(&"sa")
    })
}

/// `text` split at `separator`, with each segment that `is_namespace` picks (given all
/// segments and its index) renamed; `None` when nothing was renamed.
fn rename_segments(
    text: &str,
    separator: char,
    renamed: &dyn Fn(&str) -> Option<String>,
    is_namespace: impl Fn(&[&str], usize) -> bool,
) -> Option<String> {
    let segments: Vec<&str> = text.split(separator).collect();
    let mut changed = false;
    let out: Vec<String> = segments
        .iter()
        .enumerate()
        .map(
            |(i, segment)| match renamed(segment).filter(|_| is_namespace(&segments, i)) {
                Some(to) => {
                    changed = true;
                    to
                }
                None => (*segment).to_owned(),
            },
        )
        .collect();
    changed.then(|| out.join(&separator.to_string()))
}

/// PromQL `namespace="<namespace>"` matchers, plain or JSON-escaped (`namespace=\"...\"`).
fn label_matchers(text: &str, renamed: &dyn Fn(&str) -> Option<String>) -> Option<String> {
    const MATCHER: &str = "namespace=";
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    let mut changed = false;
    while let Some(at) = rest.find(MATCHER) {
        let (before, after) = rest.split_at(at + MATCHER.len());
        out.push_str(before);
        let quote = if after.starts_with("\\\"") {
            "\\\""
        } else if after.starts_with('"') {
            "\""
        } else {
            rest = after;
            continue;
        };
        let value = &after[quote.len()..];
        let end = value.find(quote).unwrap_or(value.len());
        match renamed(&value[..end]) {
            Some(to) => {
                changed = true;
                out.push_str(quote);
                out.push_str(&to);
            }
            None => {
                out.push_str(quote);
                out.push_str(&value[..end]);
            }
        }
        rest = &value[end..];
    }
    out.push_str(rest);
    changed.then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dev(namespace: &str) -> Option<String> {
        match namespace {
            "development" => Some("pr-{{number}}".to_owned()),
            "development-data" => Some("pr-{{number}}-data".to_owned()),
            _ => None,
        }
    }

    #[test]
    fn service_addresses_and_selectors_are_references() {
        assert_eq!(
            retarget("redis.development-data.svc", "REDIS_HOST", &dev).as_deref(),
            Some("redis.pr-{{number}}-data.svc")
        );
        assert_eq!(
            retarget(
                "http://knowledge-service.development.svc:3000/x",
                "URL",
                &dev
            )
            .as_deref(),
            Some("http://knowledge-service.pr-{{number}}.svc:3000/x")
        );
        assert_eq!(
            retarget("development-data", "kubernetes.io/metadata.name", &dev).as_deref(),
            Some("pr-{{number}}-data")
        );
    }

    #[test]
    fn values_that_only_equal_a_namespace_name_are_kept() {
        assert_eq!(retarget("development", "environment", &dev), None);
        assert_eq!(retarget("development", "NODE_ENV", &dev), None);
        assert_eq!(retarget("development.svc", "HOST", &dev), None);
        assert_eq!(retarget("a.development.local", "HOST", &dev), None);
    }

    #[test]
    fn principals_promql_matchers_and_hosts_are_references() {
        assert_eq!(
            retarget(
                "cluster.local/ns/development/sa/daa-service",
                "principals",
                &dev
            )
            .as_deref(),
            Some("cluster.local/ns/pr-{{number}}/sa/daa-service")
        );
        assert_eq!(
            retarget("cluster.local/ns/istio-ingress/sa/gw", "principals", &dev),
            None
        );
        assert_eq!(
            retarget(
                r#"rate(x{namespace="development", service="a"}[5m]) / y{namespace="other"}"#,
                "expr",
                &dev
            )
            .as_deref(),
            Some(r#"rate(x{namespace="pr-{{number}}", service="a"}[5m]) / y{namespace="other"}"#)
        );
        assert_eq!(
            retarget(
                r#"{"expr": "x{namespace=\"development-data\"}"}"#,
                "json",
                &dev
            )
            .as_deref(),
            Some(r#"{"expr": "x{namespace=\"pr-{{number}}-data\"}"}"#)
        );
        assert_eq!(retarget("namespace=~\"development\"", "expr", &dev), None);
        assert_eq!(
            retarget("./api.daa.localhost", "hosts", &dev).as_deref(),
            Some("./pr-{{number}}.api.daa.localhost")
        );
        assert_eq!(
            retarget("api.daa.localhost", "hosts", &dev).as_deref(),
            Some("pr-{{number}}.api.daa.localhost")
        );
    }

    #[test]
    fn preview_namespaces_by_role() {
        assert_eq!(preview_namespace("app", "7"), "pr-7");
        assert_eq!(preview_namespace("data", "7"), "pr-7-data");
    }
}
