use serde_json::{Value, json};

use super::naming::{access, camel, groups, item_keys};
use super::*;
use crate::render::{Rendered, Resource};
use crate::testing::render;
use crate::variance::{Name, Scope};

fn key(kind: &str, scope: Scope, name: &str) -> Key {
    Key {
        api_version: "v1".into(),
        kind: kind.into(),
        scope,
        name: Name::Literal(name.into()),
    }
}

fn role(role: &str) -> Scope {
    Scope::Role(role.into())
}

fn joined(groups: Vec<Vec<String>>) -> Vec<String> {
    groups.into_iter().map(|g| g.join(".")).collect()
}

#[test]
fn objects_are_named_by_role_kind_and_camel_cased_name() {
    let keys = [
        key("Deployment", role("app"), "daa-service"),
        key("HorizontalPodAutoscaler", role("app"), "daa-service"),
        key("NetworkPolicy", role("data"), "default-deny"),
        key("StorageClass", Scope::Cluster, "ssd"),
        key("Secret", Scope::Namespace("kube-system".into()), "x.y"),
        Key {
            name: Name::NamespaceRole("app".into()),
            ..key("Namespace", Scope::Cluster, "")
        },
    ];
    let refs: Vec<&Key> = keys.iter().collect();
    assert_eq!(
        joined(groups(&refs).unwrap()),
        [
            "app.deployment.daaService",
            "app.horizontalPodAutoscaler.daaService",
            "data.networkPolicy.defaultDeny",
            "clusterScoped.storageClass.ssd",
            "otherNamespaces.kubeSystem.secret.xY",
            "clusterScoped.namespace.app",
        ]
    );
}

#[test]
fn names_that_camel_case_alike_keep_their_own_spelling() {
    let keys = [
        key("ConfigMap", role("app"), "daa-service"),
        key("ConfigMap", role("app"), "daa.service"),
        key("ConfigMap", role("app"), "other-one"),
        // The same name in another role or kind is no collision.
        key("ConfigMap", role("data"), "daa-service"),
        key("Secret", role("app"), "daa-service"),
        // Kinds that camel-case alike keep theirs too.
        key("Cluster", role("app"), "a"),
        key("cluster", role("app"), "a"),
    ];
    let refs: Vec<&Key> = keys.iter().collect();
    let names = joined(groups(&refs).unwrap());
    assert_eq!(
        names,
        [
            "app.configMap.daa-service",
            "app.configMap.daa.service",
            "app.configMap.otherOne",
            "data.configMap.daaService",
            "app.secret.daaService",
            "app.Cluster.a",
            "app.cluster.a",
        ]
    );
    // Keys are compared as segment lists: `daa.service` is one segment, not two.
    let distinct: std::collections::BTreeSet<Vec<String>> =
        groups(&refs).unwrap().into_iter().collect();
    assert_eq!(distinct.len(), keys.len());
}

#[test]
fn one_name_in_two_api_versions_is_told_apart_by_version() {
    let mut v2 = key("HorizontalPodAutoscaler", role("app"), "api");
    v2.api_version = "autoscaling/v2".into();
    let v1 = key("HorizontalPodAutoscaler", role("app"), "api");
    let names = joined(groups(&[&v1, &v2]).unwrap());
    assert_eq!(
        names,
        [
            "app.horizontalPodAutoscaler.api@v1",
            "app.horizontalPodAutoscaler.api@autoscaling/v2"
        ]
    );
}

#[test]
fn list_items_are_named_by_distinct_names_else_by_index() {
    assert_eq!(
        item_keys(&[Some("daa-service"), Some("istio-proxy")]),
        ["daaService", "istioProxy"]
    );
    assert_eq!(item_keys(&[Some("a-b"), Some("a.b")]), ["a-b", "a.b"]);
    assert_eq!(item_keys(&[Some("a"), None]), ["0", "1"]);
    assert_eq!(item_keys(&[Some("a"), Some("a")]), ["0", "1"]);
    assert_eq!(camel("app.kubernetes.io"), "appKubernetesIo");
    assert_eq!(camel("DATABASE_URL"), "DATABASE_URL");
}

#[test]
fn values_are_read_by_field_or_through_index() {
    let keys = |k: &[&str]| k.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    assert_eq!(
        access("$v", &keys(&["spec", "replicas"])),
        "$v.spec.replicas"
    );
    assert_eq!(
        access("$v", &keys(&["spec", "hard", "requests.cpu"])),
        "index $v.spec.hard \"requests.cpu\""
    );
    assert_eq!(
        access("$v", &keys(&["containers", "0", "image"])),
        "index $v.containers \"0\" \"image\""
    );
    assert_eq!(
        access(".Values", &keys(&["a", "say \"hi\"\n"])),
        r#"index .Values.a "say \"hi\"\n""#
    );
}

#[test]
fn nested_or_equal_values_keys_are_refused() {
    let place = |k: &[&str], what: &str| {
        (
            k.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>(),
            what.to_owned(),
        )
    };
    assert!(naming::check_distinct(&[place(&["a", "b"], "x"), place(&["a", "c"], "y")]).is_ok());
    let error = naming::check_distinct(&[
        place(&["a", "b", "c"], "inner"),
        place(&["a", "b"], "outer"),
    ])
    .unwrap_err();
    assert!(
        matches!(&error.kind, HelmErrorKind::Collision { first, second, .. } if first == "outer" && second == "inner"),
        "{error}"
    );
    assert!(naming::check_distinct(&[place(&["a"], "x"), place(&["a"], "y")]).is_err());
}

fn deployment(env: &str, image: &str, cpu: &str) -> Resource {
    Resource {
        api_version: "apps/v1".into(),
        kind: "Deployment".into(),
        namespace: Some(env.into()),
        name: "daa-service".into(),
        template: "templates/deployment.yaml.j2".into(),
        value: json!({
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "daa-service", "namespace": env, "labels": {"environment": env}},
            "spec": {"template": {"spec": {"containers": [
                {"name": "daa-service", "image": image, "resources": {"limits": {"cpu": cpu, "ephemeral-storage": "1Gi"}}},
                {"name": "sidecar", "image": "s"},
            ]}}},
        }),
    }
}

fn repository_like() -> Variance {
    Variance::of(&[
        render(
            "development",
            vec![deployment("development", "a:1-dev", "500m")],
        ),
        render(
            "production",
            vec![deployment("production", "a@sha256:1", "1")],
        ),
    ])
}

#[test]
fn a_deployment_reads_its_differences_by_readable_names() {
    let files = chart(&repository_like(), "production").unwrap();
    let template = &files["templates/app/deployment-daa-service.yaml"];
    assert_eq!(
        template,
        r#"{{- /* Deployment <app>/daa-service, from daactl's templates/deployment.yaml.j2 */ -}}
{{- $v := .Values.app.deployment.daaService -}}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: daa-service
  namespace: {{ .Values.namespaces.app | toJson }}
  labels:
    environment: {{ .Values.environment | toJson }}
spec:
  template:
    spec:
      containers:
        - name: daa-service
          image: {{ $v.spec.template.spec.containers.daaService.image | toJson }}
          resources:
            limits:
              cpu: {{ $v.spec.template.spec.containers.daaService.resources.limits.cpu | toJson }}
              ephemeral-storage: 1Gi
        - name: sidecar
          image: s
"#
    );
    assert_eq!(
        files["values.yaml"]
            .lines()
            .skip(3)
            .collect::<Vec<_>>()
            .join("\n"),
        r#"environment: production
namespaces:
  app: production
  data: production-data
app:
  deployment:
    daaService:
      spec:
        template:
          spec:
            containers:
              daaService:
                image: a@sha256:1
                resources:
                  limits:
                    cpu: "1""#
    );
    assert!(
        files["values-development.yaml"].ends_with(
            "environment: development\nnamespaces:\n  app: development\n  data: development-data\napp:\n  deployment:\n    daaService:\n      spec:\n        template:\n          spec:\n            containers:\n              daaService:\n                image: a:1-dev\n                resources:\n                  limits:\n                    cpu: 500m\n"
        ),
        "{}",
        files["values-development.yaml"]
    );
}

#[test]
fn the_chart_is_the_same_bytes_every_time_and_declares_its_versions() {
    let variance = repository_like();
    let first = chart(&variance, "production").unwrap();
    assert_eq!(first, chart(&variance, "production").unwrap());
    let chart_yaml = &first["Chart.yaml"];
    for line in [
        "apiVersion: v2\n",
        "name: daa\n",
        "type: application\n",
        &format!("version: \"{}\"\n", env!("CARGO_PKG_VERSION")),
        "kubeVersion: \">=1.28.0-0\"\n",
    ] {
        assert!(chart_yaml.contains(line), "{line:?} in\n{chart_yaml}");
    }
    let schema: Value = serde_json::from_str(&first["values.schema.json"]).unwrap();
    assert_eq!(schema["$schema"], "http://json-schema.org/draft-07/schema#");
    assert_eq!(schema["additionalProperties"], false);
}

#[test]
fn versions_must_be_semver_and_the_reference_must_be_rendered() {
    let variance = repository_like();
    for bad in ["1.0", "01.0.0", "1.0.0-", "v1.0.0", "1.0.0+"] {
        let version = ChartVersion {
            version: bad.into(),
            app_version: "x".into(),
        };
        let error = chart_with(&variance, "production", &version).unwrap_err();
        assert!(matches!(error.kind, HelmErrorKind::Version(_)), "{bad}");
    }
    for good in ["0.1.0", "1.0.0-rc.1", "1.2.3+build.5", "1.0.0-0.3.7"] {
        assert!(is_semver(good), "{good}");
    }
    let error = chart(&variance, "staging").unwrap_err();
    assert_eq!(
        error.to_string(),
        "Helm chart: the reference environment `staging` is not one of `development`, `production`\n  hint: the chart's defaults come from one environment that every render includes"
    );
}

#[test]
fn roles_that_camel_case_alike_stay_apart_and_a_role_named_like_a_values_key_is_refused() {
    let with_roles = |env: &str, first: &str, second: &str| Rendered {
        environment: env.into(),
        namespaces: vec![
            (first.into(), format!("{env}-a")),
            (second.into(), format!("{env}-b")),
        ],
        resources: vec![
            deployment(&format!("{env}-a"), &format!("img:{env}"), "1"),
            deployment(&format!("{env}-b"), &format!("img:{env}"), "1"),
        ],
    };
    let variance = |first: &str, second: &str| {
        Variance::of(&[
            with_roles("development", first, second),
            with_roles("production", first, second),
        ])
    };
    let files = chart(&variance("my-role", "myRole"), "production").unwrap();
    let values = &files["values.yaml"];
    assert!(
        values.contains("\nmy-role:\n  deployment:\n    daaService:\n")
            && values.contains("\nmyRole:\n  deployment:\n    daaService:\n"),
        "{values}"
    );
    // A role named like the environment's name would put objects inside it.
    let error = chart(&variance("environment", "app"), "production").unwrap_err();
    assert!(
        matches!(&error.kind, HelmErrorKind::Collision { key, .. } if key == "environment"),
        "{error}"
    );
}
