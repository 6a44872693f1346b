//! REQ-T206 Pod Security: namespaces enforce the `restricted` Pod Security Standard, and
//! every pod and container is hardened beyond it.
//!
//! All five rules are shape rules: their predicates are the JSON Schema fragments
//! `schemas/policy/K206-<n>.json`.

use std::sync::OnceLock;

use crate::policy::rule::RuleMeta;
use crate::policy::shape::{Scope, ShapeRule};

/// ## What it does
/// Checks that every Namespace enforces, audits and warns on the `restricted` Pod Security
/// Standard, with the enforced version pinned.
///
/// ## Why is this bad?
/// Without `enforce=restricted` the API server admits privileged pods; an unpinned version
/// changes what is enforced whenever the cluster is upgraded.
pub static NAMESPACE_NOT_RESTRICTED: ShapeRule = ShapeRule {
    meta: RuleMeta {
        code: "K206-1",
        name: "namespace-pod-security",
        requirement: "REQ-T206",
        summary: "Namespaces enforce, audit and warn on `restricted` Pod Security, version pinned",
        rationale: "Pod Security admission is the API server's own guard: with `enforce=restricted` no privileged, root or host-sharing pod is admitted, whatever a manifest says. Pinning `enforce-version` keeps an upgrade from changing the rules silently.",
        remediation: "Label the Namespace `pod-security.kubernetes.io/enforce: restricted`, `enforce-version: v1.<minor>`, `audit: restricted` and `warn: restricted`.",
        peers: &["kyverno:pod-security", "PSA:restricted"],
    },
    scope: Scope::Kinds(&["Namespace"]),
    schema: include_str!("../../../schemas/policy/K206-1.json"),
    compiled: OnceLock::new(),
};

/// ## What it does
/// Checks the pod-level security context: non-root, user and group IDs of 10000 or more,
/// and a `RuntimeDefault` or `Localhost` seccomp profile.
///
/// ## Why is this bad?
/// Root in a container is root on the node after one kernel bug; low IDs collide with host
/// users; without seccomp every system call is open.
pub static POD_SECURITY_CONTEXT: ShapeRule = ShapeRule {
    meta: RuleMeta {
        code: "K206-2",
        name: "pod-security-context",
        requirement: "REQ-T206",
        summary: "Pods run as non-root with UID/GID >= 10000 and a RuntimeDefault seccomp profile",
        rationale: "`restricted` Pod Security rejects pods without `runAsNonRoot` and a seccomp profile; IDs of 10000 and more cannot collide with users of the node (Checkov CKV_K8S_40, kube-score).",
        remediation: "Set the pod's `securityContext`: `runAsNonRoot: true`, `runAsUser: 10001`, `runAsGroup: 10001`, `fsGroup: 10001`, `seccompProfile: {type: RuntimeDefault}`.",
        peers: &[
            "CKV_K8S_23",
            "CKV_K8S_31",
            "CKV_K8S_40",
            "kube-score:container-security-context-user-group-id",
            "polaris:runAsRootAllowed",
            "kube-linter:run-as-non-root",
        ],
    },
    scope: Scope::PodSpec,
    schema: include_str!("../../../schemas/policy/K206-2.json"),
    compiled: OnceLock::new(),
};

/// ## What it does
/// Checks that pods share nothing with their node: no host network, PID or IPC namespace,
/// no `hostPath` or other volume types outside the restricted list, no `hostPort`.
///
/// ## Why is this bad?
/// Each of these gives a pod a view of, or a hand on, the node and every other pod on it.
pub static HOST_ACCESS: ShapeRule = ShapeRule {
    meta: RuleMeta {
        code: "K206-3",
        name: "host-isolation",
        requirement: "REQ-T206",
        summary: "Pods use no host namespaces, host ports or volume types outside the restricted list",
        rationale: "Host namespaces, host ports and `hostPath` volumes break the container boundary; `restricted` Pod Security allows only configMap, secret, emptyDir, projected, downwardAPI, persistentVolumeClaim, csi and ephemeral volumes.",
        remediation: "Remove `hostNetwork`, `hostPID`, `hostIPC`, `hostPort` and `hostPath`; use a Service for networking and a PersistentVolumeClaim or emptyDir for storage.",
        peers: &[
            "CKV_K8S_17",
            "CKV_K8S_18",
            "CKV_K8S_19",
            "polaris:hostNetworkSet",
            "polaris:hostPathSet",
            "kube-linter:host-network",
        ],
    },
    scope: Scope::PodSpec,
    schema: include_str!("../../../schemas/policy/K206-3.json"),
    compiled: OnceLock::new(),
};

/// ## What it does
/// Checks every container's security context: no privilege escalation, read-only root
/// filesystem, not privileged, all capabilities dropped (only `NET_BIND_SERVICE` may be
/// added back).
///
/// ## Why is this bad?
/// A writable root filesystem lets an intruder install tools; capabilities and privilege
/// escalation turn a compromised process into a compromised node.
pub static CONTAINER_SECURITY_CONTEXT: ShapeRule = ShapeRule {
    meta: RuleMeta {
        code: "K206-4",
        name: "container-security-context",
        requirement: "REQ-T206",
        summary: "Containers drop ALL capabilities, cannot escalate, and have a read-only root filesystem",
        rationale: "`restricted` Pod Security requires `allowPrivilegeEscalation: false` and dropping ALL capabilities; a read-only root filesystem (writable paths as emptyDir mounts) keeps an intruder from changing the image.",
        remediation: "Set each container's `securityContext`: `allowPrivilegeEscalation: false`, `readOnlyRootFilesystem: true`, `capabilities: {drop: [ALL]}`; mount an emptyDir where the process must write.",
        peers: &[
            "CKV_K8S_16",
            "CKV_K8S_20",
            "CKV_K8S_22",
            "CKV_K8S_28",
            "CKV_K8S_37",
            "polaris:privilegeEscalationAllowed",
            "polaris:notReadOnlyRootFilesystem",
            "kube-linter:no-read-only-root-fs",
        ],
    },
    scope: Scope::Container,
    schema: include_str!("../../../schemas/policy/K206-4.json"),
    compiled: OnceLock::new(),
};

/// ## What it does
/// Checks that pods do not mount a Kubernetes API token.
///
/// ## Why is this bad?
/// The DAA services never call the Kubernetes API; a mounted token is only useful to an
/// intruder.
pub static SERVICE_ACCOUNT_TOKEN_MOUNTED: ShapeRule = ShapeRule {
    meta: RuleMeta {
        code: "K206-5",
        name: "service-account-token-mounted",
        requirement: "REQ-T206",
        summary: "Pods set `automountServiceAccountToken: false`",
        rationale: "A token in every pod hands the API server's attack surface to whoever compromises the pod; workloads that need the API should opt in explicitly, with a waiver saying why.",
        remediation: "Set `automountServiceAccountToken: false` on the pod spec (and on its ServiceAccount).",
        peers: &["CKV_K8S_38", "polaris:automountServiceAccountToken"],
    },
    scope: Scope::PodSpec,
    schema: include_str!("../../../schemas/policy/K206-5.json"),
    compiled: OnceLock::new(),
};
