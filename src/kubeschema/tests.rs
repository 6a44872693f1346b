//! The schema layer's behaviour on small objects: each kind of violation gives exactly the
//! expected pointer and message.

use serde_json::{Value, json};

use super::decide;
use super::*;

fn v133() -> &'static VersionSchemas {
    Catalog::embedded().version("1.33").unwrap()
}

fn deployment() -> Value {
    json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "api", "namespace": "production", "labels": {"app": "api"}},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": "api"}},
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": "25%"}},
            "template": {
                "metadata": {"labels": {"app": "api"}},
                "spec": {
                    "containers": [{
                        "name": "api",
                        "image": "registry.example/api:1.0.0",
                        "ports": [{"containerPort": 8080, "name": "http"}],
                        "resources": {"limits": {"cpu": "500m", "memory": "256Mi"}, "requests": {"cpu": 0.1}},
                        "securityContext": {"allowPrivilegeEscalation": false, "runAsNonRoot": true},
                    }],
                },
            },
        },
    })
}

fn violation(pointer: &str, message: &str) -> Violation {
    Violation {
        pointer: pointer.into(),
        message: message.into(),
    }
}

fn invalid(object: &Value) -> Vec<Violation> {
    match v133().check(object) {
        Verdict::Invalid(violations) => violations,
        other => panic!("expected Invalid, got {other:?}"),
    }
}

#[test]
fn a_valid_deployment_passes_on_every_version() {
    for version in Catalog::embedded().versions() {
        let schemas = Catalog::embedded().version(version).unwrap();
        assert_eq!(schemas.check(&deployment()), Verdict::Valid, "{version}");
    }
}

#[test]
fn an_unknown_field_is_named_at_its_pointer() {
    let mut object = deployment();
    object["spec"]["template"]["spec"]["containers"][0]["securityContext"]["foo"] = json!(true);
    assert_eq!(
        invalid(&object),
        [violation(
            "/spec/template/spec/containers/0/securityContext/foo",
            "unknown field `foo`"
        )]
    );
}

#[test]
fn a_wrong_type_names_the_field_and_both_types() {
    let mut object = deployment();
    object["spec"]["replicas"] = json!("2");
    assert_eq!(
        invalid(&object),
        [violation(
            "/spec/replicas",
            "`replicas` must be an integer, found string"
        )]
    );
}

#[test]
fn a_missing_required_field_is_named_at_the_object_lacking_it() {
    let mut object = deployment();
    object["spec"]["template"]["spec"]
        .as_object_mut()
        .unwrap()
        .remove("containers");
    assert_eq!(
        invalid(&object),
        [violation(
            "/spec/template/spec",
            "missing required field `containers`"
        )]
    );
}

#[test]
fn int_or_string_and_quantity_give_one_message() {
    let mut object = deployment();
    object["spec"]["strategy"]["rollingUpdate"]["maxSurge"] = json!(true);
    object["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]["cpu"] = json!([1]);
    assert_eq!(
        invalid(&object),
        [
            violation(
                "/spec/strategy/rollingUpdate/maxSurge",
                "`maxSurge` must be an integer or a string, found boolean"
            ),
            violation(
                "/spec/template/spec/containers/0/resources/limits/cpu",
                "`cpu` must be a number or a string, found array"
            ),
        ]
    );
}

#[test]
fn every_violation_is_reported_in_pointer_order() {
    let mut object = deployment();
    object["spec"]["replicas"] = json!(1.5);
    object["spec"]["paused"] = json!("no");
    object["metadata"]["labelz"] = json!({});
    object["spec"]["template"]["spec"]["containers"][0]
        .as_object_mut()
        .unwrap()
        .remove("name");
    assert_eq!(
        invalid(&object),
        [
            violation("/metadata/labelz", "unknown field `labelz`"),
            violation("/spec/paused", "`paused` must be a boolean, found string"),
            violation(
                "/spec/replicas",
                "`replicas` must be an integer, found number"
            ),
            violation(
                "/spec/template/spec/containers/0",
                "missing required field `name`"
            ),
        ]
    );
}

#[test]
fn an_enum_lists_the_allowed_values() {
    // The built-in schemas carry no enums but apiVersion and kind; Istio's do.
    let policy = json!({
        "apiVersion": "security.istio.io/v1",
        "kind": "AuthorizationPolicy",
        "metadata": {"name": "deny-all", "namespace": "production"},
        "spec": {"action": "DENIED"},
    });
    assert_eq!(
        invalid(&policy),
        [violation(
            "/spec/action",
            "`action` must be one of `ALLOW`, `DENY`, `AUDIT`, `CUSTOM`, found `DENIED`"
        )]
    );
}

#[test]
fn a_nested_alternative_collapses_to_one_message() {
    // Prometheus Operator's targetPort: oneOf [anyOf [integer, string], null].
    let mut object = service_monitor();
    object["spec"]["endpoints"][0]["targetPort"] = json!(true);
    assert_eq!(
        invalid(&object),
        [violation(
            "/spec/endpoints/0/targetPort",
            "`targetPort` must be an integer or a string, found boolean"
        )]
    );
    object["spec"]["endpoints"][0]["targetPort"] = json!("http");
    assert_eq!(v133().check(&object), Verdict::Valid);
}

#[test]
fn an_object_without_api_version_or_kind_is_invalid() {
    assert_eq!(
        invalid(&json!({"metadata": {"name": "a"}, "kind": 3})),
        [
            violation("", "missing required field `apiVersion`"),
            violation("/kind", "`kind` must be a string, found integer"),
        ]
    );
    assert_eq!(
        invalid(&json!([])),
        [violation(
            "",
            "a Kubernetes object must be an object, found array"
        )]
    );
}

#[test]
fn a_removed_api_is_removed_at_and_after_its_removal() {
    let pdb = json!({
        "apiVersion": "policy/v1beta1",
        "kind": "PodDisruptionBudget",
        "metadata": {"name": "api"},
        "spec": {"maxUnavailable": 1},
    });
    assert_eq!(
        v133().check(&pdb),
        Verdict::Removed {
            api_version: "policy/v1beta1".into(),
            kind: "PodDisruptionBudget".into(),
            removed_in: "1.25".into(),
            replacement: Some("policy/v1".into()),
        }
    );
    let flow = json!({
        "apiVersion": "flowcontrol.apiserver.k8s.io/v1beta3",
        "kind": "FlowSchema",
        "metadata": {"name": "a"},
    });
    let v131 = Catalog::embedded().version("1.31").unwrap();
    assert_eq!(v131.check(&flow), Verdict::Valid);
    let v132 = Catalog::embedded().version("1.32").unwrap();
    assert!(
        matches!(v132.check(&flow), Verdict::Removed { ref removed_in, .. } if removed_in == "1.32")
    );
}

#[test]
fn no_vendored_version_serves_a_kind_after_its_removal() {
    let removals = removed::table().unwrap();
    for version in Catalog::embedded().versions() {
        let schemas = Catalog::embedded().version(version).unwrap();
        let minor = version::parse(version).unwrap();
        let kinds = schemas.kinds();
        for removal in &removals {
            let served = kinds.contains(&(removal.api_version.as_str(), removal.kind.as_str()));
            assert!(
                !(served && removal.minor <= minor),
                "{version} still serves {} {}, removed in {}",
                removal.api_version,
                removal.kind,
                removal.removed_in
            );
        }
    }
}

#[test]
fn a_custom_resource_without_a_vendored_schema_is_unknown() {
    let certificate = json!({
        "apiVersion": "cert-manager.io/v1",
        "kind": "Certificate",
        "metadata": {"name": "api"},
        "spec": {"secretName": "api-tls"},
    });
    assert_eq!(
        v133().check(&certificate),
        Verdict::Unknown {
            reason: "no published schema for cert-manager.io/v1 Certificate is vendored".into()
        }
    );
    let typo = json!({"apiVersion": "apps/v1", "kind": "Deploymnet", "metadata": {"name": "a"}});
    assert_eq!(
        v133().check(&typo),
        Verdict::Unknown {
            reason: "Kubernetes 1.33 serves no Deploymnet in apps/v1".into()
        }
    );
}

fn cnpg_cluster() -> Value {
    json!({
        "apiVersion": "postgresql.cnpg.io/v1",
        "kind": "Cluster",
        "metadata": {"name": "db", "namespace": "production-data", "labels": {"app": "db"}},
        "spec": {
            "instances": 3,
            "storage": {"size": "10Gi", "storageClass": "ssd"},
            "backup": {"retentionPolicy": "30d", "barmanObjectStore": {
                "destinationPath": "s3://backups/db",
                "wal": {"compression": "gzip"},
            }},
        },
    })
}

#[test]
fn a_typed_custom_resource_is_checked_strictly() {
    assert_eq!(v133().check(&cnpg_cluster()), Verdict::Valid);
    let mut object = cnpg_cluster();
    object["spec"]["storage"]["sise"] = json!("10Gi");
    object["metadata"]["label"] = json!({});
    object["spec"]["backup"]["barmanObjectStore"]["wal"]["compression"] = json!("zip");
    // A closed set of values is an enum in the bindings.
    assert_eq!(
        invalid(&object),
        [
            violation("/metadata/label", "unknown field `label`"),
            violation(
                "/spec/backup/barmanObjectStore/wal/compression",
                "unknown variant `zip`, expected one of `bzip2`, `gzip`, `lz4`, `snappy`, `xz`, `zstd`"
            ),
            violation("/spec/storage/sise", "unknown field `sise`"),
        ]
    );

    let mut object = cnpg_cluster();
    object["spec"]["instances"] = json!("three");
    let violations = invalid(&object);
    assert_eq!(violations.len(), 1, "{violations:?}");
    assert_eq!(violations[0].pointer, "/spec/instances");
    assert!(
        violations[0].message.contains("invalid type: string"),
        "{}",
        violations[0].message
    );

    let external_secret = json!({
        "apiVersion": "external-secrets.io/v1",
        "kind": "ExternalSecret",
        "metadata": {"name": "api", "namespace": "production"},
        "spec": {
            "refreshInterval": "1h",
            "secretStoreRef": {"kind": "ClusterSecretStore", "name": "aws"},
            "data": [{"secretKey": "url", "remoteRef": {"key": "production/api", "property": "url"}}],
        },
    });
    assert_eq!(v133().check(&external_secret), Verdict::Valid);
    let mut object = external_secret.clone();
    object["spec"]["data"][0]["remoteRef"]["propery"] = json!("url");
    assert_eq!(
        invalid(&object),
        [violation(
            "/spec/data/0/remoteRef/propery",
            "unknown field `propery`"
        )]
    );
    // `secretKey` is required.
    let mut object = external_secret;
    object["spec"]["data"][0]
        .as_object_mut()
        .unwrap()
        .remove("secretKey");
    let violations = invalid(&object);
    assert_eq!(violations.len(), 1, "{violations:?}");
    assert_eq!(violations[0].pointer, "/spec/data/0");
    assert!(
        violations[0].message.contains("missing field `secretKey`"),
        "{}",
        violations[0].message
    );
}

fn service_monitor() -> Value {
    json!({
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "ServiceMonitor",
        "metadata": {"name": "api", "namespace": "production", "labels": {"app": "api"}},
        "spec": {
            "selector": {"matchLabels": {"app": "api"}},
            "endpoints": [{"port": "http", "path": "/metrics", "interval": "30s"}],
        },
    })
}

#[test]
fn a_vendored_custom_resource_is_checked_strictly() {
    assert_eq!(v133().check(&service_monitor()), Verdict::Valid);
    let mut object = service_monitor();
    object["spec"]["endpoints"][0]["intervall"] = json!("30s");
    object["spec"]["endpoints"][0]["port"] = json!(8080);
    assert_eq!(
        invalid(&object),
        [
            violation("/spec/endpoints/0/intervall", "unknown field `intervall`"),
            violation(
                "/spec/endpoints/0/port",
                "`port` must be a string, found integer"
            ),
        ]
    );
}

#[test]
fn a_custom_resource_s_metadata_is_checked_as_object_meta() {
    let mut object = service_monitor();
    object["metadata"]["label"] = json!({"app": "api"});
    object["metadata"]["annotations"] = json!({"a": 1});
    assert_eq!(
        invalid(&object),
        [
            violation(
                "/metadata/annotations/a",
                "`a` must be a string, found integer"
            ),
            violation("/metadata/label", "unknown field `label`"),
        ]
    );
}

#[test]
fn an_open_object_in_a_custom_resource_takes_any_field() {
    // Argo CD's `helm.valuesObject` preserves unknown fields.
    let application = json!({
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {"name": "daa", "namespace": "argocd"},
        "spec": {
            "project": "default",
            "destination": {"server": "https://kubernetes.default.svc", "namespace": "production"},
            "source": {
                "repoURL": "https://git.example/daa.git",
                "path": "rendered/production",
                "targetRevision": "main",
                "helm": {"valuesObject": {"anything": {"goes": [1, "two"]}}},
            },
        },
    });
    assert_eq!(v133().check(&application), Verdict::Valid);
}

#[test]
fn an_unknown_version_names_the_vendored_ones() {
    let catalog = Catalog::embedded();
    assert_eq!(
        catalog.versions(),
        ["1.28", "1.29", "1.30", "1.31", "1.32", "1.33"]
    );
    assert!(catalog.version("1.33.0").is_ok());
    assert!(catalog.version("v1.28.3").is_ok());
    let err = catalog.version("1.34").unwrap_err();
    assert_eq!(
        err.to_string(),
        "Kubernetes version `1.34`: no schemas are vendored for it; \
         vendored: 1.28, 1.29, 1.30, 1.31, 1.32, 1.33"
    );
    let err = catalog.version("latest").unwrap_err();
    assert!(
        matches!(err.kind, KubeSchemaErrorKind::Malformed { .. }),
        "{err}"
    );
}

#[test]
fn every_vendored_schema_compiles() {
    // All of them for the oldest and newest version, so a broken vendored file fails here
    // and never as an `Unknown` verdict at run time.
    for version in ["1.28", "1.33"] {
        let schemas = Catalog::embedded().version(version).unwrap();
        for (api_version, kind) in schemas.kinds() {
            if let Err(reason) = schemas.compiles(api_version, kind) {
                panic!("{version} {api_version} {kind}: {reason}");
            }
        }
    }
}

#[test]
fn every_vendored_file_is_embedded() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas");
    let names = |dir: &str, prefix: &str| -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(root.join(dir))
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter_map(|n| {
                n.strip_prefix(prefix)?
                    .strip_suffix(".json")
                    .map(str::to_owned)
            })
            .filter(|n| n != "index")
            .collect();
        names.sort();
        names
    };
    assert_eq!(names("kubernetes", "v"), Catalog::embedded().versions());
    assert_eq!(names("crds", ""), crd::file_names());
}

#[test]
fn version_schemas_are_shared_across_threads() {
    fn is_sync<T: Sync + Send>() {}
    is_sync::<VersionSchemas>();
    is_sync::<Catalog>();
    let schemas = v133();
    std::thread::scope(|scope| {
        for _ in 0..4 {
            scope.spawn(|| assert_eq!(schemas.check(&deployment()), Verdict::Valid));
        }
    });
}

/// Every object the repository's environments render, once per apiVersion, kind, namespace
/// and name.
fn rendered_objects() -> Vec<Value> {
    let specs = crate::testing::repository_specs();
    let renderer = crate::testing::repository_renderer();
    let mut seen = std::collections::BTreeSet::new();
    let mut objects = Vec::new();
    for environment in renderer
        .render_all(&specs)
        .expect("the environments render")
    {
        for resource in environment.resources {
            let v = &resource.value;
            let identity = [
                &v["apiVersion"],
                &v["kind"],
                &v["metadata"]["namespace"],
                &v["metadata"]["name"],
            ]
            .map(|part| {
                part.as_str()
                    .unwrap_or_default()
                    .replace(&environment.environment, "_")
            });
            if seen.insert(identity) {
                objects.push(resource.value);
            }
        }
    }
    objects
}

/// The JSON pointer of every value in `value`, the root included.
fn pointers(value: &Value, at: String, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, sub) in map {
                pointers(sub, format!("{at}/{}", crd::escape(key)), out);
            }
        }
        Value::Array(items) => {
            for (index, sub) in items.iter().enumerate() {
                pointers(sub, format!("{at}/{index}"), out);
            }
        }
        _ => {}
    }
    out.push(at);
}

/// Broken (and some still valid) copies of `object`: each value replaced by one of every
/// type and by boundary values, each field removed, an unknown field added to each object.
fn mutations(object: &Value) -> Vec<Value> {
    let replacements = [
        Value::Null,
        json!(true),
        json!(-1),
        json!(0),
        json!(2.5),
        json!(""),
        json!("x"),
        json!({}),
        json!([]),
        json!(["x"]),
    ];
    let mut at = Vec::new();
    pointers(object, String::new(), &mut at);
    let mut out = Vec::new();
    for pointer in at.iter().filter(|p| !p.is_empty()) {
        for replacement in &replacements {
            let mut copy = object.clone();
            let slot = copy.pointer_mut(pointer).unwrap();
            if slot != replacement {
                *slot = replacement.clone();
                out.push(copy);
            }
        }
    }
    for pointer in &at {
        let mut copy = object.clone();
        match copy.pointer_mut(pointer).unwrap() {
            Value::Object(map) => {
                let keys: Vec<String> = map.keys().cloned().collect();
                map.insert("unknownField".into(), json!("x"));
                out.push(copy);
                for key in keys {
                    let mut copy = object.clone();
                    copy.pointer_mut(pointer)
                        .unwrap()
                        .as_object_mut()
                        .unwrap()
                        .remove(&key);
                    out.push(copy);
                }
            }
            Value::Array(items) if !items.is_empty() => {
                items.push(items[0].clone());
                out.push(copy);
            }
            _ => {}
        }
    }
    out
}

#[test]
fn every_rendered_object_is_decided_valid_without_compiling() {
    let schemas = v133();
    for object in rendered_objects() {
        let (decision, compiled) = schemas.decision_and_validator(&object);
        if compiled.is_some() {
            assert_eq!(
                decision,
                decide::Decision::Valid,
                "{} {}",
                object["kind"],
                object["metadata"]["name"]
            );
        }
    }
}

#[test]
fn the_walk_agrees_with_the_compiled_validator_wherever_it_decides() {
    use decide::Decision;
    let schemas = v133();
    let (mut valid, mut invalid, mut undecided) = (0, 0, 0);
    for object in rendered_objects() {
        for mutant in mutations(&object) {
            // Another apiVersion or kind is another schema, or none.
            if mutant["apiVersion"] != object["apiVersion"] || mutant["kind"] != object["kind"] {
                continue;
            }
            let (decision, Some(compiled)) = schemas.decision_and_validator(&mutant) else {
                continue;
            };
            match decision {
                Decision::Valid => valid += 1,
                Decision::Invalid => invalid += 1,
                Decision::Undecided => {
                    undecided += 1;
                    continue;
                }
            }
            assert_eq!(
                decision == Decision::Valid,
                compiled,
                "the walk says {decision:?}, the validator {compiled} on {mutant:#}"
            );
        }
    }
    // The walk must settle nearly every case, broken or not, to be worth having.
    assert!(
        valid > 1_000 && invalid > 10_000 && undecided * 20 < valid + invalid,
        "valid {valid}, invalid {invalid}, undecided {undecided}"
    );
}
