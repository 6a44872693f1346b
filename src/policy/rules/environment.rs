//! REQ-T241 Development, REQ-T242 Staging and REQ-T243 Production environments: what each
//! environment's render may depend on, refer to, and grant.

use serde_json::Value;

use crate::policy::manifest::Manifest;
use crate::policy::rule::{Check, Context, Rule, RuleMeta};

/// Calls `visit(pointer, key, value)` for every string in `value`, with its JSON pointer
/// (below the text already in `pointer`) and the object key it is under (for array items,
/// the array's key). `pointer` is one buffer grown and cut back, so the walk allocates only
/// when a path is longer than any before it.
fn walk_strings<'a>(
    value: &'a Value,
    pointer: &mut String,
    key: &str,
    visit: &mut dyn FnMut(&str, &str, &'a str),
) {
    match value {
        Value::String(text) => visit(pointer, key, text),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let depth = push_index(pointer, i);
                walk_strings(item, pointer, key, visit);
                pointer.truncate(depth);
            }
        }
        Value::Object(map) => {
            for (k, v) in map {
                let depth = push_key(pointer, k);
                walk_strings(v, pointer, k, visit);
                pointer.truncate(depth);
            }
        }
        _ => {}
    }
}

/// Calls `visit(pointer, key)` for every object key in `value`; `pointer` as for
/// [`walk_strings`].
fn walk_keys(value: &Value, pointer: &mut String, visit: &mut dyn FnMut(&str, &str)) {
    match value {
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let depth = push_index(pointer, i);
                walk_keys(item, pointer, visit);
                pointer.truncate(depth);
            }
        }
        Value::Object(map) => {
            for (k, v) in map {
                let depth = push_key(pointer, k);
                visit(pointer, k);
                walk_keys(v, pointer, visit);
                pointer.truncate(depth);
            }
        }
        _ => {}
    }
}

/// Appends `/key` as an RFC 6901 token; returns the length to cut back to.
fn push_key(pointer: &mut String, key: &str) -> usize {
    let depth = pointer.len();
    pointer.push('/');
    if key.contains(['~', '/']) {
        pointer.push_str(&super::common::token(key));
    } else {
        pointer.push_str(key);
    }
    depth
}

/// Appends `/index`; returns the length to cut back to.
fn push_index(pointer: &mut String, index: usize) -> usize {
    use std::fmt::Write as _;
    let depth = pointer.len();
    let _ = write!(pointer, "/{index}");
    depth
}

/// Annotation keys that bind a workload or Service to a cloud provider.
const CLOUD_KEYS: &[&str] = &[
    "eks.amazonaws.com/role-arn",
    "iam.gke.io/gcp-service-account",
    "azure.workload.identity/client-id",
    "cloud.google.com/load-balancer-type",
];

/// Prefixes of cloud load balancer annotation keys.
const CLOUD_KEY_PREFIXES: &[&str] = &[
    "service.beta.kubernetes.io/aws-load-balancer-",
    "service.beta.kubernetes.io/azure-load-balancer-",
    "networking.gke.io/",
];

/// Storage provisioners that exist only in a cloud.
const CLOUD_PROVISIONERS: &[&str] = &[
    "ebs.csi.aws.com",
    "efs.csi.aws.com",
    "kubernetes.io/aws-ebs",
    "pd.csi.storage.gke.io",
    "kubernetes.io/gce-pd",
    "disk.csi.azure.com",
    "file.csi.azure.com",
    "kubernetes.io/azure-disk",
];

/// ## What it does
/// In environments without a cloud (`cloud = false`, development on kind), checks that
/// nothing needs one: no cloud identity annotations (`eks.amazonaws.com/role-arn`, GKE and
/// Azure workload identity), no cloud load balancer annotations, no cloud StorageClass
/// provisioner, no `LoadBalancer` Service, and no CloudNativePG object store in a cloud bucket
/// (`s3://` without an `endpointURL`, `gs://`, Azure Blob).
///
/// In cloud environments it evaluates nothing.
///
/// ## Why is this bad?
/// Such an object never works on a laptop: the volume stays `Pending`, the load balancer
/// never gets an address, the IAM role cannot be assumed, backups fail; developers stop
/// running the stack locally, or point it at real cloud resources.
pub struct CloudDependency;

static CLOUD_DEPENDENCY: RuleMeta = RuleMeta {
    code: "K241-1",
    name: "development-cloud-free",
    requirement: "REQ-T241",
    summary: "Environments without a cloud render nothing that needs one",
    rationale: "REQ-T241 asks for a development environment on kind or minikube with synthetic data: its render must not depend on a cloud account (IRSA or workload identity, cloud load balancers and their annotations, EBS/PD/Azure disk provisioners, backups to cloud buckets). Cloud environments are not checked by this rule.",
    remediation: "Leave cloud settings out of the environment spec of local environments: a local-path StorageClass, `ClusterIP` Services, no backup destination (or a local MinIO with `endpointURL`), no IAM role annotations.",
    peers: &[],
};

impl Rule for CloudDependency {
    fn meta(&self) -> &RuleMeta {
        &CLOUD_DEPENDENCY
    }

    fn check(&self, cx: &Context<'_>, out: &mut Check) {
        if cx.env.cloud {
            return;
        }
        for (index, manifest) in cx.set.manifests.iter().enumerate() {
            out.saw();
            let who = manifest.subject();
            walk_keys(&manifest.value, &mut String::new(), &mut |pointer, key| {
                if CLOUD_KEYS.contains(&key)
                    || CLOUD_KEY_PREFIXES.iter().any(|p| key.starts_with(p))
                {
                    out.fail(
                        index,
                        pointer,
                        format!(
                            "{who} carries the cloud annotation `{key}` in environment `{}`, which has no cloud",
                            cx.env.name
                        ),
                    );
                }
            });
            if manifest.kind == "StorageClass"
                && let Some(provisioner) = manifest.value["provisioner"].as_str()
                && CLOUD_PROVISIONERS.contains(&provisioner)
            {
                out.fail(
                    index,
                    "/provisioner",
                    format!("{who} uses the cloud provisioner `{provisioner}`"),
                );
            }
            if manifest.kind == "Service"
                && manifest.value["spec"]["type"].as_str() == Some("LoadBalancer")
            {
                out.fail(
                    index,
                    "/spec/type",
                    format!("{who} is a `LoadBalancer`, which needs a cloud load balancer"),
                );
            }
            if manifest.is_cnpg_cluster() {
                let store = &manifest.value["spec"]["backup"]["barmanObjectStore"];
                if let Some(path) = store["destinationPath"].as_str()
                    && cloud_bucket(path, store["endpointURL"].as_str())
                {
                    out.fail(
                        index,
                        "/spec/backup/barmanObjectStore/destinationPath",
                        format!("{who} backs up to the cloud bucket `{path}`"),
                    );
                }
            }
        }
    }
}

/// Whether an object store path is a cloud bucket: `s3://` without an endpoint of its own
/// (which would be a local MinIO), `gs://`, or Azure Blob storage.
fn cloud_bucket(path: &str, endpoint: Option<&str>) -> bool {
    (path.starts_with("s3://") && endpoint.is_none())
        || path.starts_with("gs://")
        || path.contains(".blob.core.windows.net")
}

/// Keys whose string values name another object, namespace, host or secret.
const REFERENCE_KEYS: &[&str] = &[
    "namespace",
    "host",
    "hosts",
    "externalName",
    "destinationPath",
    "endpointURL",
    "server",
    "environment",
    "kubernetes.io/metadata.name",
];

/// ## What it does
/// In every environment not named `production`, checks that no object refers to
/// production: no namespace, host, DNS name, URL, ARN, ExternalSecret key or store, secret
/// store path, backup destination or `environment` label containing the word `production`
/// (a segment between non-alphanumeric characters, in any case).
///
/// ## Why is this bad?
/// A staging object that reads production secrets, writes to production's bucket or talks
/// to production's database turns a test into an incident, and puts production data where
/// staging's weaker access rules apply.
pub struct ProductionReference;

static PRODUCTION_REFERENCE: RuleMeta = RuleMeta {
    code: "K242-1",
    name: "staging-isolated-from-production",
    requirement: "REQ-T242",
    summary: "Non-production environments refer to no production namespace, host, secret or bucket",
    rationale: "Staging is production-like but must never reach production (REQ-T242): its ExternalSecrets must read staging's secret paths, its backups go to staging's bucket, its IAM roles and DNS names are its own. The check looks at references only (namespaces, hosts, URLs, DNS names, ARNs, secret keys and stores, object store paths, the `environment` label), for the word `production` as a whole segment, so prose such as a description or `NODE_ENV` values are not findings.",
    remediation: "Use the environment's own names in its spec: `<env>/...` secret keys, `daa-<env>-backups` buckets, `<env>` namespaces and hosts.",
    peers: &[],
};

impl Rule for ProductionReference {
    fn meta(&self) -> &RuleMeta {
        &PRODUCTION_REFERENCE
    }

    fn check(&self, cx: &Context<'_>, out: &mut Check) {
        if cx.env.name == "production" {
            return;
        }
        for (index, manifest) in cx.set.manifests.iter().enumerate() {
            out.saw();
            let who = manifest.subject();
            walk_strings(
                &manifest.value,
                &mut String::new(),
                "",
                &mut |pointer, key, text| {
                    let reference = REFERENCE_KEYS.contains(&key)
                        || secret_reference(manifest, pointer)
                        || looks_like_address(text);
                    if reference && has_segment(text, "production") {
                        out.fail(
                            index,
                            pointer,
                            format!(
                                "{who} in environment `{}` refers to production: `{}` is `{text}`",
                                cx.env.name,
                                dotted(pointer)
                            ),
                        );
                    }
                },
            );
        }
    }
}

/// A JSON pointer as a dotted path: `/spec/data/0/remoteRef/key` is `spec.data.0.remoteRef.key`.
fn dotted(pointer: &str) -> String {
    pointer
        .trim_start_matches('/')
        .split('/')
        .map(|token| token.replace("~1", "/").replace("~0", "~"))
        .collect::<Vec<_>>()
        .join(".")
}

/// Whether `pointer` is a secret reference: anything under an ExternalSecret's `data`,
/// `dataFrom` or `secretStoreRef`, or a secret store's `provider`.
fn secret_reference(manifest: &Manifest, pointer: &str) -> bool {
    match manifest.kind.as_str() {
        "ExternalSecret" | "ClusterExternalSecret" => {
            ["/spec/data/", "/spec/dataFrom/", "/spec/secretStoreRef/"]
                .iter()
                .any(|p| pointer.starts_with(p))
        }
        "SecretStore" | "ClusterSecretStore" => pointer.starts_with("/spec/provider/"),
        _ => false,
    }
}

/// Whether a string looks like an address: a URL, an ARN, or a dotted DNS name (no spaces).
fn looks_like_address(text: &str) -> bool {
    if text.contains("://") || text.starts_with("arn:") {
        return true;
    }
    let host = text.split([':', '/']).next().unwrap_or_default();
    host.contains('.')
        && host.split('.').all(|label| {
            !label.is_empty()
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
        && host.bytes().any(|b| b.is_ascii_alphabetic())
}

/// Whether `word` occurs in `text` (any case) between non-alphanumeric characters or the
/// ends.
fn has_segment(text: &str, word: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    let bytes = lower.as_bytes();
    lower.match_indices(word).any(|(start, _)| {
        let end = start + word.len();
        (start == 0 || !bytes[start - 1].is_ascii_alphanumeric())
            && (end == bytes.len() || !bytes[end].is_ascii_alphanumeric())
    })
}

/// Who a wide-open subject stands for, or `None` for a named subject: the groups of every
/// (anonymous, authenticated or service) account, and wildcards.
fn wide_open(kind: &str, name: &str) -> Option<String> {
    if name.contains('*') {
        return Some("a wildcard".to_owned());
    }
    match (kind, name) {
        ("Group", "system:authenticated") => {
            Some("every authenticated user and service account".to_owned())
        }
        ("Group", "system:unauthenticated") | ("User", "system:anonymous") => {
            Some("every anonymous request".to_owned())
        }
        ("Group", "system:serviceaccounts") => Some("every service account".to_owned()),
        ("Group", _) => name
            .strip_prefix("system:serviceaccounts:")
            .map(|ns| format!("every service account of namespace `{ns}`")),
        _ => None,
    }
}

/// What a group may do in production beyond reading: the `operate` role's restarts and
/// scaling, and aborting, promoting or restarting an Argo Rollouts canary, which patches the
/// Rollout and its status (`(apiGroup, resource, verb)`).
const OPERATE: &[(&str, &str, &str)] = &[
    ("", "pods", "delete"),
    ("argoproj.io", "rollouts", "patch"),
    ("argoproj.io", "rollouts/status", "patch"),
    ("apps", "deployments", "patch"),
    ("apps", "statefulsets", "patch"),
    ("apps", "deployments/scale", "update"),
    ("apps", "deployments/scale", "patch"),
    ("apps", "statefulsets/scale", "update"),
    ("apps", "statefulsets/scale", "patch"),
];

/// ClusterRoles Kubernetes ships that grant writes or Secrets.
const BROAD_CLUSTER_ROLES: &[&str] = &["cluster-admin", "admin", "edit"];

/// The first grant of a role's `rules` a production group may not have: read (`get`,
/// `list`, `watch`) on anything but Secrets, and the [`OPERATE`] actions, are allowed.
fn excess_grant(rules: &Value) -> Option<(usize, String)> {
    let strings = |value: &Value| -> Vec<String> {
        value
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect()
    };
    for (i, rule) in rules.as_array().into_iter().flatten().enumerate() {
        if rule.get("nonResourceURLs").is_some() {
            continue;
        }
        let groups = strings(&rule["apiGroups"]);
        let resources = strings(&rule["resources"]);
        let verbs = strings(&rule["verbs"]);
        for group in &groups {
            for resource in &resources {
                for verb in &verbs {
                    let read = matches!(verb.as_str(), "get" | "list" | "watch");
                    let allowed = if group == "*" || resource == "*" || verb == "*" {
                        false
                    } else if read {
                        resource != "secrets"
                    } else {
                        OPERATE.contains(&(group.as_str(), resource.as_str(), verb.as_str()))
                    };
                    if !allowed {
                        let shown = if group.is_empty() {
                            resource.clone()
                        } else {
                            format!("{group}/{resource}")
                        };
                        return Some((i, format!("`{verb}` on `{shown}`")));
                    }
                }
            }
        }
    }
    None
}

/// ## What it does
/// Checks every RoleBinding and ClusterRoleBinding: none binds `system:authenticated`,
/// `system:unauthenticated`, `system:serviceaccounts[:<namespace>]`, `system:anonymous` or
/// a wildcard. In the environment named `production`, people are bound only as groups, and
/// a group is bound only to the `view` ClusterRole or to a rendered role that reads
/// (`get`, `list`, `watch`) anything but Secrets and otherwise only operates: deletes pods,
/// patches Deployments and StatefulSets, and updates their `scale`.
///
/// ## Why is this bad?
/// The `system:` groups include every account (or everyone at all); one binding to them
/// opens the namespace to the whole cluster. In production, `edit`, `admin`, Secret reads,
/// `pods/exec` or creating objects by hand bypass GitOps, review and the audit trail that
/// restricted access is for.
pub struct BroadAccess;

static BROAD_ACCESS: RuleMeta = RuleMeta {
    code: "K243-1",
    name: "production-access",
    requirement: "REQ-T243",
    summary: "No binding to wide-open groups; in production, groups may only read and operate (restart, scale)",
    rationale: "REQ-T243 asks for restricted production access. No environment may bind the `system:` groups that contain every (service) account, or a wildcard. In production, people get access through named groups only (no User subjects), and a group's role may read everything but Secrets (`view`, or the rendered `daa-read`) and at most operate (`daa-operate`: delete pods, patch Deployments and StatefulSets, update their `scale`, patch Argo Rollouts `rollouts` and `rollouts/status` to abort or promote a canary). `edit`, `admin`, `cluster-admin`, Secret reads, `pods/exec` and any other write are findings: changes reach production through GitOps, not `kubectl`. This is the access the rendered production output grants (`daa-oncall` operates, `daa-developers` reads); a role not in the set that is not a known ClusterRole is `unknown`.",
    remediation: "Bind production groups to the `daa-read` role (`access = \"read\"` in the environment's `access_groups`) or to `daa-operate` for on-call; never bind `system:` groups or wildcards; remove writes and Secret access from custom roles.",
    peers: &[
        "CKV_K8S_155",
        "CKV_K8S_156",
        "CKV_K8S_157",
        "CKV_K8S_158",
        "polaris:clusterrolebindingClusterAdmin",
        "polaris:rolebindingClusterAdminClusterRole",
        "kube-linter:cluster-admin-role-binding",
    ],
};

impl Rule for BroadAccess {
    fn meta(&self) -> &RuleMeta {
        &BROAD_ACCESS
    }

    fn check(&self, cx: &Context<'_>, out: &mut Check) {
        let production = cx.env.name == "production";
        for (index, binding) in cx.set.manifests.iter().enumerate() {
            if !matches!(binding.kind.as_str(), "RoleBinding" | "ClusterRoleBinding") {
                continue;
            }
            out.saw();
            let who = binding.subject();
            let mut groups = Vec::new();
            for (i, subject) in binding.value["subjects"]
                .as_array()
                .into_iter()
                .flatten()
                .enumerate()
            {
                let kind = subject["kind"].as_str().unwrap_or_default();
                let name = subject["name"].as_str().unwrap_or_default();
                let pointer = format!("/subjects/{i}/name");
                if let Some(everyone) = wide_open(kind, name) {
                    out.fail(
                        index,
                        pointer,
                        format!("{who} binds `{name}`, which is {everyone}"),
                    );
                } else if production && kind == "User" {
                    out.fail(
                        index,
                        pointer,
                        format!(
                            "{who} binds the user `{name}`; production access is granted to groups"
                        ),
                    );
                } else if kind == "Group" {
                    groups.push(name);
                }
            }
            if !production || groups.is_empty() {
                continue;
            }
            let groups = groups
                .iter()
                .map(|g| format!("`{g}`"))
                .collect::<Vec<_>>()
                .join(", ");
            let role_kind = binding.value["roleRef"]["kind"]
                .as_str()
                .unwrap_or_default();
            let role_name = binding.value["roleRef"]["name"]
                .as_str()
                .unwrap_or_default();
            let role = match role_kind {
                "Role" => cx.set.find("Role", binding.namespace.as_deref(), role_name),
                _ => cx.set.find("ClusterRole", None, role_name),
            };
            match role {
                Some((_, role)) => {
                    if let Some((_, grant)) = excess_grant(&role.value["rules"]) {
                        out.fail(
                            index,
                            "/roleRef/name",
                            format!(
                                "{who} gives group {groups} {}, which grants {grant} in production",
                                role.subject()
                            ),
                        );
                    }
                }
                None if role_kind == "ClusterRole" && role_name == "view" => {}
                None if role_kind == "ClusterRole" && BROAD_CLUSTER_ROLES.contains(&role_name) => {
                    out.fail(
                        index,
                        "/roleRef/name",
                        format!(
                            "{who} gives group {groups} the ClusterRole `{role_name}` in production"
                        ),
                    );
                }
                None => out.unknown(
                    index,
                    format!(
                        "{role_kind} `{role_name}` is not in the set, so what it grants is unknown"
                    ),
                ),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn production_is_found_as_a_word_in_addresses() {
        assert!(has_segment("production/redis", "production"));
        assert!(has_segment("s3://daa-production-backups", "production"));
        assert!(has_segment("Production", "production"));
        assert!(!has_segment("preproduction", "production"));
        assert!(!has_segment("productions", "production"));
        assert!(looks_like_address(
            "daa-postgres-rw.production-data.svc:5432"
        ));
        assert!(looks_like_address("https://api.production.example.com/v1"));
        assert!(!looks_like_address("production"));
        assert!(!looks_like_address("Production-like pre-release testing"));
        assert!(!looks_like_address("1.4.0"));
    }

    #[test]
    fn operate_and_read_are_the_only_production_grants() {
        let operate = json!([
            {"apiGroups": [""], "resources": ["pods", "pods/log"], "verbs": ["get", "list"]},
            {"apiGroups": [""], "resources": ["pods"], "verbs": ["delete"]},
            {"apiGroups": ["apps"], "resources": ["deployments/scale"], "verbs": ["update", "patch"]}
        ]);
        assert_eq!(excess_grant(&operate), None);
        let secrets = json!([{"apiGroups": [""], "resources": ["secrets"], "verbs": ["get"]}]);
        assert_eq!(
            excess_grant(&secrets),
            Some((0, "`get` on `secrets`".to_owned()))
        );
        let exec = json!([{"apiGroups": [""], "resources": ["pods/exec"], "verbs": ["create"]}]);
        assert!(excess_grant(&exec).is_some());
        let wildcard = json!([{"apiGroups": ["*"], "resources": ["*"], "verbs": ["get"]}]);
        assert!(excess_grant(&wildcard).is_some());
    }
}
