//! Install order and file names of rendered objects.
//!
//! Objects are ordered the way Helm installs them (`helm template` prints the same order),
//! so a stream applied top to bottom creates namespaces before what lives in them and
//! services before the workloads that resolve them.

/// Helm's install order (`pkg/release/util/kind_sorter.go`). Kinds not listed come after,
/// sorted by kind.
const INSTALL_ORDER: &[&str] = &[
    "PriorityClass",
    "Namespace",
    "NetworkPolicy",
    "ResourceQuota",
    "LimitRange",
    "PodSecurityPolicy",
    "PodDisruptionBudget",
    "ServiceAccount",
    "Secret",
    "SecretList",
    "ConfigMap",
    "StorageClass",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "CustomResourceDefinition",
    "ClusterRole",
    "ClusterRoleList",
    "ClusterRoleBinding",
    "ClusterRoleBindingList",
    "Role",
    "RoleList",
    "RoleBinding",
    "RoleBindingList",
    "Service",
    "DaemonSet",
    "Pod",
    "ReplicationController",
    "ReplicaSet",
    "Deployment",
    "HorizontalPodAutoscaler",
    "StatefulSet",
    "Job",
    "CronJob",
    "IngressClass",
    "Ingress",
    "APIService",
    "MutatingWebhookConfiguration",
    "ValidatingWebhookConfiguration",
];

/// Kinds that exist outside namespaces, among those daactl renders or may render.
const CLUSTER_SCOPED: &[&str] = &[
    "APIService",
    "ClusterRole",
    "ClusterRoleBinding",
    "ClusterSecretStore",
    "CustomResourceDefinition",
    "IngressClass",
    "MutatingWebhookConfiguration",
    "Namespace",
    "PersistentVolume",
    "PriorityClass",
    "StorageClass",
    "ValidatingWebhookConfiguration",
];

/// The folder that holds cluster-scoped objects in `rendered/<env>/`.
pub const CLUSTER_FOLDER: &str = "_cluster";

/// A sort key placing `kind` in install order.
pub fn install_rank(kind: &str) -> (usize, &str) {
    match INSTALL_ORDER.iter().position(|k| *k == kind) {
        Some(rank) => (rank, ""),
        None => (INSTALL_ORDER.len(), kind),
    }
}

/// Whether objects of `kind` live outside namespaces.
pub fn is_cluster_scoped(kind: &str) -> bool {
    CLUSTER_SCOPED.contains(&kind)
}

/// The file of one object inside `rendered/<env>/`: `<namespace>/<kind>-<name>.yaml`, with
/// cluster-scoped objects under `_cluster/`.
pub fn file_name(kind: &str, namespace: Option<&str>, name: &str) -> String {
    format!(
        "{}/{}",
        namespace.unwrap_or(CLUSTER_FOLDER),
        object_file(kind, name)
    )
}

/// An object's file inside its folder, `<kind>-<name>.yaml`, as `rendered/<env>/`, the
/// Kustomize tree and the chart's templates all name it.
pub fn object_file(kind: &str, name: &str) -> String {
    format!("{}-{name}.yaml", kind.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespaces_first_and_custom_resources_last() {
        let mut kinds = vec![
            "Deployment",
            "Cluster",
            "Namespace",
            "Service",
            "ExternalSecret",
            "NetworkPolicy",
        ];
        kinds.sort_by_key(|k| install_rank(k));
        assert_eq!(
            kinds,
            [
                "Namespace",
                "NetworkPolicy",
                "Service",
                "Deployment",
                "Cluster",
                "ExternalSecret"
            ]
        );
    }

    #[test]
    fn file_names() {
        assert_eq!(
            file_name("Deployment", Some("production"), "api"),
            "production/deployment-api.yaml"
        );
        assert_eq!(
            file_name("StorageClass", None, "ssd"),
            "_cluster/storageclass-ssd.yaml"
        );
    }
}
