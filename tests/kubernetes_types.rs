//! Every rendered object of a built-in Kubernetes kind deserializes into the `k8s-openapi`
//! type of its kind (Kubernetes 1.33) with no field left over: a misspelt or misplaced
//! field, or a value of the wrong type, fails here before any cluster sees it.

mod common;

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::api::batch::v1::CronJob;
use k8s_openapi::api::core::v1::{
    ConfigMap, LimitRange, Namespace, ResourceQuota, Service, ServiceAccount,
};
use k8s_openapi::api::networking::v1::NetworkPolicy;
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use k8s_openapi::api::rbac::v1::{Role, RoleBinding};
use k8s_openapi::api::storage::v1::StorageClass;
use serde_json::Value;

/// Custom resources: checked against their operators' schemas by `daactl validate`.
const CUSTOM_KINDS: &[(&str, &str)] = &[
    ("postgresql.cnpg.io/v1", "Cluster"),
    ("postgresql.cnpg.io/v1", "ScheduledBackup"),
    ("external-secrets.io/v1", "ExternalSecret"),
    ("external-secrets.io/v1", "ClusterSecretStore"),
    ("security.istio.io/v1beta1", "AuthorizationPolicy"),
    ("security.istio.io/v1beta1", "PeerAuthentication"),
    ("networking.istio.io/v1beta1", "DestinationRule"),
    ("networking.istio.io/v1beta1", "Gateway"),
    ("networking.istio.io/v1beta1", "VirtualService"),
    ("monitoring.coreos.com/v1", "PrometheusRule"),
    ("monitoring.coreos.com/v1", "ServiceMonitor"),
    ("monitoring.coreos.com/v1", "PodMonitor"),
    ("argoproj.io/v1alpha1", "Rollout"),
    ("argoproj.io/v1alpha1", "AnalysisTemplate"),
];

/// Deserializes `value` as `T`, returning the paths of fields `T` does not have.
fn leftover_fields<T: serde::de::DeserializeOwned + k8s_openapi::Resource>(
    value: &Value,
) -> Result<Vec<String>, String> {
    let api_version = value["apiVersion"].as_str().unwrap_or_default();
    if api_version != T::API_VERSION {
        return Err(format!(
            "apiVersion `{api_version}` is not `{}`",
            T::API_VERSION
        ));
    }
    let mut leftovers = Vec::new();
    serde_ignored::deserialize::<_, _, T>(value, |path| {
        // serde_ignored marks each `Option` it passes through with `?`.
        leftovers.push(path.to_string().replace(".?", "").replace("?.", ""))
    })
    .map_err(|err| err.to_string())?;
    Ok(leftovers)
}

fn check(value: &Value) -> Option<Result<Vec<String>, String>> {
    let kind = value["kind"].as_str().unwrap_or_default();
    Some(match kind {
        "Namespace" => leftover_fields::<Namespace>(value),
        "ResourceQuota" => leftover_fields::<ResourceQuota>(value),
        "LimitRange" => leftover_fields::<LimitRange>(value),
        "NetworkPolicy" => leftover_fields::<NetworkPolicy>(value),
        "ServiceAccount" => leftover_fields::<ServiceAccount>(value),
        "Role" => leftover_fields::<Role>(value),
        "RoleBinding" => leftover_fields::<RoleBinding>(value),
        "ConfigMap" => leftover_fields::<ConfigMap>(value),
        "StorageClass" => leftover_fields::<StorageClass>(value),
        "Service" => leftover_fields::<Service>(value),
        "Deployment" => leftover_fields::<Deployment>(value),
        "HorizontalPodAutoscaler" => leftover_fields::<HorizontalPodAutoscaler>(value),
        "PodDisruptionBudget" => leftover_fields::<PodDisruptionBudget>(value),
        "CronJob" => leftover_fields::<CronJob>(value),
        _ => return None,
    })
}

#[test]
fn built_in_objects_have_no_unknown_or_mistyped_field() {
    let mut checked = 0;
    for environment in common::render_repo() {
        for resource in &environment.resources {
            let at = format!(
                "rendered/{}/{}",
                environment.environment,
                resource.file_name()
            );
            match check(&resource.value) {
                Some(Ok(leftovers)) => {
                    assert!(
                        leftovers.is_empty(),
                        "{at}: fields unknown to Kubernetes 1.33: {leftovers:?}"
                    );
                    checked += 1;
                }
                Some(Err(err)) => panic!("{at}: not a valid {}: {err}", resource.kind),
                None => assert!(
                    CUSTOM_KINDS.contains(&(resource.api_version.as_str(), resource.kind.as_str())),
                    "{at}: {} {} is neither a checked built-in kind nor a known custom resource",
                    resource.api_version,
                    resource.kind
                ),
            }
        }
    }
    assert!(checked > 100, "only {checked} objects were checked");
}

#[test]
fn the_check_catches_a_misspelt_field_and_a_wrong_type() {
    let mut deployment = common::render_repo()[0]
        .resources
        .iter()
        .find(|r| r.kind == "Deployment")
        .unwrap()
        .value
        .clone();
    deployment["spec"]["template"]["spec"]["securityContext"]["runAsNonroot"] = Value::Bool(true);
    assert_eq!(
        check(&deployment).unwrap().unwrap(),
        ["spec.template.spec.securityContext.runAsNonroot"]
    );
    deployment["spec"]["revisionHistoryLimit"] = Value::String("five".into());
    assert!(check(&deployment).unwrap().is_err());
}
