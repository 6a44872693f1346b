//! REQ-T204 Namespace Isolation: every object lives in a namespace of its own environment,
//! and RBAC stays inside namespaces, without wildcards or cluster-admin.

use crate::policy::rule::{Check, Context, Rule, RuleMeta};
use crate::policy::rules::gitops::is_argo_cd;
use crate::render::order::is_cluster_scoped;

/// ## What it does
/// Checks that every Namespace is labelled `environment=<env>` for the environment being
/// validated, and that every namespaced object names a namespace (never `default`) that is
/// rendered in the same set and labelled for the same environment.
///
/// Cluster-scoped kinds are the ones daactl renders outside namespaces (`Namespace`,
/// `StorageClass`, `ClusterRole`, `ClusterRoleBinding`, `PriorityClass`, `PersistentVolume`,
/// `CustomResourceDefinition`, `ClusterSecretStore`, ...; see `src/render/order.rs`). Argo
/// CD's `Application`, `AppProject` and `ApplicationSet` live in Argo CD's namespace and are
/// not checked.
///
/// ## Why is this bad?
/// An object without a namespace lands wherever the applying context points, often
/// `default`, where no quota, network policy or Pod Security label applies. An object in
/// another environment's namespace (staging's Deployment in `production`) breaks the
/// isolation the namespaces exist for.
pub struct ObjectOutsideEnvironmentNamespace;

static NAMESPACE_META: RuleMeta = RuleMeta {
    code: "K204-1",
    name: "namespace-of-environment",
    requirement: "REQ-T204",
    summary: "Namespaces are labelled with their environment, and every namespaced object lives in one of them",
    rationale: "Quotas, default-deny policies, Pod Security labels and RBAC are all per namespace: an object without a namespace, in `default`, or in another environment's namespace escapes every one of them, and a namespace without its `environment` label cannot be told apart from another environment's.",
    remediation: "Label each Namespace `environment: <env>`; set `metadata.namespace` on every namespaced object to one of the environment's rendered namespaces (`<env>` or `<env>-<tier>`).",
    peers: &[
        "CKV_K8S_21",
        "kube-linter:use-namespace",
        "datree:WORKLOAD_INCORRECT_NAMESPACE_VALUE_DEFAULT",
    ],
};

impl Rule for ObjectOutsideEnvironmentNamespace {
    fn meta(&self) -> &RuleMeta {
        &NAMESPACE_META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Check) {
        let env = cx.env.name.as_str();
        let environment_of = |namespace: &str| {
            cx.set
                .find("Namespace", None, namespace)
                .map(|(_, ns)| ns.labels().get("environment").map(|v| (*v).to_owned()))
        };
        for (index, manifest) in cx.set.manifests.iter().enumerate() {
            if manifest.kind == "Namespace" {
                out.saw();
                match manifest.labels().get("environment") {
                    Some(&label) if label == env => {}
                    Some(&label) => out.fail(
                        index,
                        "/metadata/labels/environment",
                        format!(
                            "Namespace `{}` is labelled `environment={label}`, not `environment={env}`",
                            manifest.name
                        ),
                    ),
                    None => out.fail(
                        index,
                        "/metadata/labels/environment",
                        format!(
                            "Namespace `{}` has no `environment` label; label it `environment={env}`",
                            manifest.name
                        ),
                    ),
                }
                continue;
            }
            // Argo CD reads its Applications and projects only in its own namespace; they
            // deploy the environment rather than run in it.
            if is_cluster_scoped(&manifest.kind) || is_argo_cd(manifest) {
                continue;
            }
            out.saw();
            let who = manifest.subject();
            let Some(namespace) = manifest.namespace.as_deref() else {
                out.fail(
                    index,
                    "/metadata/namespace",
                    format!(
                        "{who} sets no `metadata.namespace`, so it lands in whatever namespace the applying context names"
                    ),
                );
                continue;
            };
            if namespace == "default" {
                out.fail(
                    index,
                    "/metadata/namespace",
                    format!("{who} lives in the `default` namespace"),
                );
                continue;
            }
            match environment_of(namespace) {
                None => out.fail(
                    index,
                    "/metadata/namespace",
                    format!(
                        "{who} lives in namespace `{namespace}`, which is not rendered for environment `{env}`"
                    ),
                ),
                Some(Some(label)) if label == env => {}
                Some(Some(label)) => out.fail(
                    index,
                    "/metadata/namespace",
                    format!(
                        "{who} lives in namespace `{namespace}`, which belongs to environment `{label}`, not `{env}`"
                    ),
                ),
                Some(None) => out.fail(
                    index,
                    "/metadata/namespace",
                    format!(
                        "{who} lives in namespace `{namespace}`, which is not labelled `environment={env}`"
                    ),
                ),
            }
        }
    }
}

/// ## What it does
/// Checks that no rule of a Role or ClusterRole grants `*` in `verbs`, `resources` or
/// `apiGroups` (a resource such as `pods/*` or `*/scale` counts as a wildcard too).
///
/// ## Why is this bad?
/// A wildcard grants everything that exists now and everything added later (new resources,
/// CRDs, subresources such as `pods/exec`), so what a Role allows can no longer be read
/// from it.
pub struct RbacWildcard;

static WILDCARD_META: RuleMeta = RuleMeta {
    code: "K204-2",
    name: "rbac-wildcard",
    requirement: "REQ-T204",
    summary: "Roles and ClusterRoles grant no `*` verbs, resources or API groups",
    rationale: "Least privilege needs rules that can be read: `*` also grants resources and verbs that do not exist yet (CRDs installed later, `escalate`, `impersonate`, `pods/exec`), so a reviewer cannot know what a wildcard Role allows.",
    remediation: "List the verbs, resources and API groups the Role needs explicitly.",
    peers: &[
        "CKV_K8S_49",
        "CKV_K8S_155",
        "CKV_K8S_156",
        "CKV_K8S_157",
        "CKV_K8S_158",
        "kube-linter:wildcard-in-rules",
    ],
};

impl Rule for RbacWildcard {
    fn meta(&self) -> &RuleMeta {
        &WILDCARD_META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Check) {
        for (index, role) in cx.set.manifests.iter().enumerate() {
            if role.kind != "Role" && role.kind != "ClusterRole" {
                continue;
            }
            out.saw();
            let rules = role.value["rules"].as_array().into_iter().flatten();
            for (r, rule) in rules.enumerate() {
                for field in ["apiGroups", "resources", "verbs"] {
                    let entries = rule[field].as_array().into_iter().flatten();
                    for (e, entry) in entries.enumerate() {
                        let Some(entry) = entry.as_str() else {
                            continue;
                        };
                        let wildcard = if field == "resources" {
                            entry.contains('*')
                        } else {
                            entry == "*"
                        };
                        if wildcard {
                            out.fail(
                                index,
                                format!("/rules/{r}/{field}/{e}"),
                                format!(
                                    "{} grants the wildcard `{entry}` in `rules[{r}].{field}`",
                                    role.subject()
                                ),
                            );
                        }
                    }
                }
            }
        }
    }
}

/// ## What it does
/// Checks every RoleBinding and ClusterRoleBinding: none binds the ClusterRole
/// `cluster-admin`, no ClusterRoleBinding binds `admin`, and a RoleBinding binds either a
/// Role rendered in its own namespace or one of the built-in `view` and `edit` ClusterRoles.
///
/// ## Why is this bad?
/// `cluster-admin` is every permission on every namespace; `admin` bound cluster-wide is
/// every permission on every namespace's contents. A RoleBinding to a Role that is not
/// rendered grants whatever a later object of that name says, or nothing at all.
pub struct ClusterAdminBinding;

static BINDING_META: RuleMeta = RuleMeta {
    code: "K204-3",
    name: "cluster-admin-binding",
    requirement: "REQ-T204",
    summary: "Nothing binds `cluster-admin`; RoleBindings bind a rendered Role of their namespace or `view`/`edit`",
    rationale: "Namespace-level RBAC means every grant ends at a namespace: `cluster-admin` (or `admin` through a ClusterRoleBinding) grants every namespace, including other environments'. Binding a Role that is not rendered beside the binding makes the grant depend on something nobody reviewed.",
    remediation: "Bind a namespaced Role rendered in the binding's namespace, or the `view`/`edit` ClusterRole through a RoleBinding; never `cluster-admin`.",
    peers: &[
        "polaris:clusterrolebindingClusterAdmin",
        "polaris:rolebindingClusterAdminClusterRole",
        "polaris:rolebindingClusterAdminRole",
        "kube-linter:cluster-admin-role-binding",
        "CKV2_K8S_1",
    ],
};

/// ClusterRoles a RoleBinding may grant inside its namespace.
const BINDABLE_CLUSTER_ROLES: &[&str] = &["view", "edit"];

impl Rule for ClusterAdminBinding {
    fn meta(&self) -> &RuleMeta {
        &BINDING_META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Check) {
        for (index, binding) in cx.set.manifests.iter().enumerate() {
            let cluster_wide = match binding.kind.as_str() {
                "ClusterRoleBinding" => true,
                "RoleBinding" => false,
                _ => continue,
            };
            out.saw();
            let who = binding.subject();
            let role_kind = binding.value["roleRef"]["kind"].as_str().unwrap_or("");
            let Some(role) = binding.value["roleRef"]["name"].as_str() else {
                out.fail(index, "/roleRef", format!("{who} names no role"));
                continue;
            };
            let name_pointer = "/roleRef/name";
            match role_kind {
                "ClusterRole" if role == "cluster-admin" => out.fail(
                    index,
                    name_pointer,
                    format!("{who} binds ClusterRole `cluster-admin`"),
                ),
                "ClusterRole" if cluster_wide && role == "admin" => out.fail(
                    index,
                    name_pointer,
                    format!("{who} binds ClusterRole `admin` in every namespace"),
                ),
                "ClusterRole" if !cluster_wide && !BINDABLE_CLUSTER_ROLES.contains(&role) => {
                    out.fail(
                        index,
                        name_pointer,
                        format!(
                            "{who} binds ClusterRole `{role}`; a RoleBinding may bind only a Role of its namespace or the `view` and `edit` ClusterRoles"
                        ),
                    );
                }
                "Role" if cluster_wide => out.fail(
                    index,
                    "/roleRef/kind",
                    format!("{who} refers to a Role, which a ClusterRoleBinding cannot bind"),
                ),
                "Role" => {
                    let namespace = binding.namespace.as_deref();
                    if cx.set.find("Role", namespace, role).is_none() {
                        out.fail(
                            index,
                            name_pointer,
                            format!(
                                "{who} binds Role `{role}`, which is not rendered in namespace `{}`",
                                namespace.unwrap_or("")
                            ),
                        );
                    }
                }
                "ClusterRole" => {}
                other => out.fail(
                    index,
                    "/roleRef/kind",
                    format!("{who} binds a `{other}`, which is neither a Role nor a ClusterRole"),
                ),
            }
        }
    }
}
