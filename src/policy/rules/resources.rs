//! REQ-T205 Resource Quotas: every container states what it needs, every namespace is
//! capped by a ResourceQuota and defaulted by a LimitRange, and each quota fits the
//! workloads of its namespace at their largest.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use serde_json::Value;

use super::common::{rollout_of, token};
use super::mesh;
use crate::policy::manifest::{Manifest, ManifestSet};
use crate::policy::rule::{Check, Context, Rule, RuleMeta};
use crate::policy::shape::{Scope, ShapeRule};
use crate::policy::workload::pod_templates;
use crate::spec::quantity::parse_milli;

/// ## What it does
/// Checks that every container and init container requests and limits `cpu`, `memory` and
/// `ephemeral-storage`.
///
/// ## Why is this bad?
/// Without requests the scheduler packs pods blindly; without limits one pod can starve
/// its node. Ephemeral storage (logs, emptyDir, writable layers) fills a node's disk and
/// gets every pod on it evicted just as memory exhaustion does.
pub static MISSING_CONTAINER_RESOURCES: ShapeRule = ShapeRule {
    meta: RuleMeta {
        code: "K205-1",
        name: "container-resources",
        requirement: "REQ-T205",
        summary: "Containers request and limit cpu, memory and ephemeral-storage",
        rationale: "Requests let the scheduler place pods and the quota count them (a namespace with a cpu or memory quota refuses pods without them); limits keep one pod from starving its node. Ephemeral storage is a node resource like memory: an unbounded writer gets every pod of the node evicted (kube-score `container-ephemeral-storage-request-and-limit`).",
        remediation: "Set `resources.requests` and `resources.limits` with `cpu`, `memory` and `ephemeral-storage` on every container and init container.",
        peers: &[
            "CKV_K8S_10",
            "CKV_K8S_11",
            "CKV_K8S_12",
            "CKV_K8S_13",
            "kube-score:container-resources",
            "kube-score:container-ephemeral-storage-request-and-limit",
            "polaris:cpuRequestsMissing",
            "polaris:memoryLimitsMissing",
            "kube-linter:unset-cpu-requirements",
            "kube-linter:unset-memory-requirements",
        ],
    },
    scope: Scope::Container,
    schema: include_str!("../../../schemas/policy/K205-1.json"),
    compiled: OnceLock::new(),
};

/// Keys every namespace's ResourceQuota must cap, with the short forms Kubernetes accepts
/// for the same resource (`cpu` means `requests.cpu`).
const REQUIRED_QUOTA_KEYS: &[(&str, &[&str])] = &[
    ("requests.cpu", &["cpu"]),
    ("requests.memory", &["memory"]),
    ("limits.cpu", &[]),
    ("limits.memory", &[]),
    ("requests.storage", &[]),
    ("persistentvolumeclaims", &["count/persistentvolumeclaims"]),
];

/// ## What it does
/// Checks that each Namespace of the set has exactly one ResourceQuota, whose `spec.hard`
/// caps `requests.cpu`, `requests.memory`, `limits.cpu`, `limits.memory`,
/// `requests.storage` and `persistentvolumeclaims`, and a LimitRange with a `type: Container`
/// item giving `default` and `defaultRequest` for `cpu` and `memory`.
///
/// ## Why is this bad?
/// Without a quota one namespace can take a whole cluster (a runaway HPA, a replica typo);
/// without `requests.storage` and a claim count it can provision unbounded paid volumes.
/// Two quotas in one namespace both apply, so the tighter silently wins. The LimitRange
/// gives containers that state nothing a bounded default instead of none.
pub struct MissingNamespaceQuota;

static QUOTA_META: RuleMeta = RuleMeta {
    code: "K205-2",
    name: "namespace-quota",
    requirement: "REQ-T205",
    summary: "Each namespace has one ResourceQuota (cpu, memory, storage, claims) and a Container LimitRange with defaults",
    rationale: "The quota is what REQ-T205 asks for: it caps cpu, memory and storage per namespace so one environment or tier cannot exhaust the cluster or the cloud bill. One quota per namespace keeps the effective cap readable; the LimitRange defaults keep containers that forget their resources inside the quota's accounting.",
    remediation: "Render one ResourceQuota per namespace with `requests.cpu`, `requests.memory`, `limits.cpu`, `limits.memory`, `requests.storage` and `persistentvolumeclaims` in `spec.hard`, and a LimitRange with a `type: Container` item setting `default` and `defaultRequest` for `cpu` and `memory`.",
    peers: &["kyverno:add-ns-quota"],
};

impl Rule for MissingNamespaceQuota {
    fn meta(&self) -> &RuleMeta {
        &QUOTA_META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Check) {
        for (ns_index, namespace) in cx.set.of_kind("Namespace") {
            out.saw();
            let name = namespace.name.as_str();
            let quotas: Vec<(usize, &Manifest)> = in_namespace(cx.set, "ResourceQuota", name);
            match quotas.as_slice() {
                [] => out.fail(
                    ns_index,
                    "",
                    format!("namespace `{name}` has no ResourceQuota"),
                ),
                [(index, quota), rest @ ..] => {
                    for (extra, other) in rest {
                        out.fail(
                            *extra,
                            "",
                            format!(
                                "{} is one of {} ResourceQuotas in namespace `{name}`; keep one",
                                other.subject(),
                                quotas.len()
                            ),
                        );
                    }
                    // Every quota of a namespace applies, so what they cap together counts.
                    let capped = |key: &str| {
                        quotas.iter().any(|(_, q)| {
                            q.value["spec"]["hard"]
                                .get(key)
                                .is_some_and(|v| !v.is_null())
                        })
                    };
                    for (key, aliases) in REQUIRED_QUOTA_KEYS {
                        if !std::iter::once(key)
                            .chain(aliases.iter())
                            .any(|k| capped(k))
                        {
                            let message = if rest.is_empty() {
                                format!("{} does not cap `{key}`", quota.subject())
                            } else {
                                format!("no ResourceQuota of namespace `{name}` caps `{key}`")
                            };
                            out.fail(*index, "/spec/hard", message);
                        }
                    }
                }
            }

            let limit_ranges = in_namespace(cx.set, "LimitRange", name);
            let mut container_item = None;
            for (index, range) in &limit_ranges {
                let items = range.value["spec"]["limits"]
                    .as_array()
                    .into_iter()
                    .flatten();
                for (i, item) in items.enumerate() {
                    if item["type"].as_str() == Some("Container") {
                        container_item.get_or_insert((*index, *range, i, item));
                    }
                }
            }
            match container_item {
                None if limit_ranges.is_empty() => out.fail(
                    ns_index,
                    "",
                    format!("namespace `{name}` has no LimitRange"),
                ),
                None => {
                    let (index, range) = limit_ranges[0];
                    out.fail(
                        index,
                        "/spec/limits",
                        format!("{} has no `type: Container` item", range.subject()),
                    );
                }
                Some((index, range, i, item)) => {
                    for field in ["default", "defaultRequest"] {
                        let missing: Vec<&str> = ["cpu", "memory"]
                            .into_iter()
                            .filter(|r| item[field].get(*r).is_none_or(Value::is_null))
                            .collect();
                        if !missing.is_empty() {
                            out.fail(
                                index,
                                format!("/spec/limits/{i}/{field}"),
                                format!(
                                    "{} gives containers no `{field}` for `{}`",
                                    range.subject(),
                                    missing.join("` and `")
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
/// Checks, for every ResourceQuota, that the workloads of its namespace fit it at their
/// largest: each workload at its maximum replica count (the `maxReplicas` of an HPA that
/// targets it, else `spec.replicas`, default 1) plus the extra pods a rolling update
/// surges (`maxSurge`, default 25% rounded up; none for `Recreate`, StatefulSets,
/// ReplicaSets and CloudNativePG Clusters), times each pod's requests and limits.
///
/// A pod counts as the quota counts it: its containers' sum or its largest init container,
/// whichever is more (sidecar init containers add to the sum), plus `spec.overhead`. A
/// container's missing request falls back to its limit, then to the namespace's LimitRange
/// `defaultRequest`; a missing limit to the LimitRange `default`, as the API server fills
/// them in. Caps checked: `requests.*`/`limits.*` of `cpu`, `memory` and
/// `ephemeral-storage` (with the short forms `cpu`, `memory`), `pods`, and, from
/// PersistentVolumeClaims, StatefulSet `volumeClaimTemplates` and CloudNativePG storage,
/// `requests.storage` and `persistentvolumeclaims`. A CloudNativePG Cluster counts as
/// `spec.instances` pods with `spec.resources`, each with a data volume (and a WAL volume).
/// DaemonSets (one pod per node) and quotas with `scopes` cannot be sized here and are
/// reported as not evaluated.
///
/// A pod Istio injects a sidecar into (its Namespace in the set is labelled
/// `istio-injection: enabled` or `istio.io/rev` and the template does not opt out, or the
/// template opts in) counts one more container, `istio-proxy`, sized by the template's
/// `sidecar.istio.io/proxyCPU`, `proxyCPULimit`, `proxyMemory` and `proxyMemoryLimit`
/// annotations (what they leave out falls to the LimitRange, ephemeral storage included),
/// or by Istio's defaults (`100m`/`128Mi` requested, `2`/`1Gi` limits) without any.
///
/// ## Why is this bad?
/// A quota smaller than what its workloads may scale to is a latent outage: the HPA scales
/// up under load, or a rollout surges a new pod, and the API server refuses the pod
/// exactly when capacity is needed.
pub struct QuotaTooSmallForWorkloads;

static FIT_META: RuleMeta = RuleMeta {
    code: "K205-3",
    name: "quota-fits-workloads",
    requirement: "REQ-T205",
    summary: "Each ResourceQuota fits its namespace's workloads at maximum replicas plus rollout surge",
    rationale: "The quota is enforced at pod creation: if the workloads' maximum scale plus the pods a rolling update adds exceeds it, scale-ups and rollouts are refused under load, when they matter most. Summing exact quantities at render time finds this before a deployment does.",
    remediation: "Raise the quota's `spec.hard` value, or lower `maxReplicas`, `maxSurge` or the containers' requests and limits until the sum fits.",
    peers: &[],
};

/// The resource names a quota caps, each with the canonical key the demand is kept under.
fn canonical_quota_key(key: &str) -> Option<&'static str> {
    Some(match key {
        "requests.cpu" | "cpu" => "requests.cpu",
        "limits.cpu" => "limits.cpu",
        "requests.memory" | "memory" => "requests.memory",
        "limits.memory" => "limits.memory",
        "requests.ephemeral-storage" | "ephemeral-storage" => "requests.ephemeral-storage",
        "limits.ephemeral-storage" => "limits.ephemeral-storage",
        "pods" | "count/pods" => "pods",
        "requests.storage" => "requests.storage",
        "persistentvolumeclaims" | "count/persistentvolumeclaims" => "persistentvolumeclaims",
        _ => return None,
    })
}

/// Container resources the pod demand is computed for.
const CONTAINER_RESOURCES: &[&str] = &["cpu", "memory", "ephemeral-storage"];

/// Amounts in thousandths (see [`parse_milli`]), keyed by canonical quota key.
type Amounts = BTreeMap<&'static str, i128>;

/// What one object adds to its namespace's demand.
struct Contribution {
    /// ``Deployment `api` ``.
    who: String,
    /// How many pods (or claims) at most.
    count: i128,
    /// What each adds, by canonical key.
    each: Amounts,
}

impl Rule for QuotaTooSmallForWorkloads {
    fn meta(&self) -> &RuleMeta {
        &FIT_META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Check) {
        let mut by_namespace: BTreeMap<&str, Vec<Contribution>> = BTreeMap::new();
        let mut not_sized: BTreeMap<&str, Vec<(usize, String)>> = BTreeMap::new();
        for (namespace, result) in contributions(cx.set) {
            match result {
                Ok(contribution) => by_namespace
                    .entry(namespace)
                    .or_default()
                    .push(contribution),
                Err(unsized_object) => not_sized.entry(namespace).or_default().push(unsized_object),
            }
        }
        let mut reported = BTreeSet::new();
        for (index, quota) in cx.set.of_kind("ResourceQuota") {
            let Some(namespace) = quota.namespace.as_deref() else {
                continue;
            };
            let spec = &quota.value["spec"];
            if spec.get("scopes").is_some() || spec.get("scopeSelector").is_some() {
                out.unknown(
                    index,
                    "a quota with `scopes` applies to a subset of pods, which is not sized",
                );
                continue;
            }
            out.saw();
            for (object, reason) in not_sized.get(namespace).into_iter().flatten() {
                if reported.insert(*object) {
                    out.unknown(*object, reason.clone());
                }
            }
            let contributions = by_namespace
                .get(namespace)
                .map(Vec::as_slice)
                .unwrap_or_default();
            let hard = spec["hard"].as_object().into_iter().flatten();
            for (key, limit) in hard {
                let Some(canonical) = canonical_quota_key(key) else {
                    continue;
                };
                let pointer = format!("/spec/hard/{}", token(key));
                let Some(allowed) = quantity(limit) else {
                    out.fail(
                        index,
                        pointer,
                        format!(
                            "{} caps `{key}` with `{limit}`, which is not a quantity",
                            quota.subject()
                        ),
                    );
                    continue;
                };
                let mut needed: i128 = 0;
                let mut parts = Vec::new();
                for contribution in contributions {
                    let each = contribution.each.get(canonical).copied().unwrap_or(0);
                    if each == 0 || contribution.count == 0 {
                        continue;
                    }
                    needed += contribution.count * each;
                    parts.push(format!(
                        "{}: {} × `{}`",
                        contribution.who,
                        contribution.count,
                        show(canonical, each)
                    ));
                }
                if needed > allowed {
                    out.fail(
                        index,
                        pointer,
                        format!(
                            "`{key}` needs `{}` for the workloads of namespace `{namespace}` at maximum scale plus surge ({}), but the quota allows `{}`",
                            show(canonical, needed),
                            parts.join("; "),
                            show(canonical, allowed)
                        ),
                    );
                }
            }
        }
    }
}

/// An object's contribution to its namespace's demand, or the object's index and why it
/// cannot be sized.
type Sizing = Result<Contribution, (usize, String)>;

/// Every object's contribution, with its namespace.
fn contributions(set: &ManifestSet) -> Vec<(&str, Sizing)> {
    let mut all = Vec::new();
    for pod in pod_templates(set) {
        let Some(namespace) = pod.namespace() else {
            continue;
        };
        let owner = pod.owner;
        let defaults = LimitDefaults::of(set, namespace);
        let result = match replicas_at_most(set, owner) {
            Ok(count) => {
                let mut each = pod_amounts(pod.spec, &defaults);
                // The sidecar Istio injects at admission is in every pod the quota counts
                // (REQ-T203): its size comes from the template's `sidecar.istio.io/proxy*`
                // annotations, which the manifest states but no container shows.
                let sidecar = mesh::gets_sidecar(set, &pod);
                if sidecar {
                    add(
                        &mut each,
                        &container_amounts(&mesh::proxy_container(&pod), &defaults),
                    );
                }
                each.insert("pods", 1000);
                Ok(Contribution {
                    who: if sidecar {
                        format!("{} with its istio-proxy", who(owner))
                    } else {
                        who(owner)
                    },
                    count: i128::from(count),
                    each,
                })
            }
            Err(reason) => Err((pod.index, reason)),
        };
        all.push((namespace, result));
        if owner.kind == "StatefulSet" {
            let mut each = Amounts::new();
            for template in owner.value["spec"]["volumeClaimTemplates"]
                .as_array()
                .into_iter()
                .flatten()
            {
                add_claim(
                    &mut each,
                    &template["spec"]["resources"]["requests"]["storage"],
                );
            }
            if !each.is_empty() {
                let count = replicas_at_most(set, owner).unwrap_or(1);
                all.push((
                    namespace,
                    Ok(Contribution {
                        who: format!("volume claims of {}", who(owner)),
                        count: i128::from(count),
                        each,
                    }),
                ));
            }
        }
    }
    for (_, claim) in set.of_kind("PersistentVolumeClaim") {
        let Some(namespace) = claim.namespace.as_deref() else {
            continue;
        };
        let mut each = Amounts::new();
        add_claim(
            &mut each,
            &claim.value["spec"]["resources"]["requests"]["storage"],
        );
        all.push((
            namespace,
            Ok(Contribution {
                who: who(claim),
                count: 1,
                each,
            }),
        ));
    }
    for cluster in set.manifests.iter().filter(|m| m.is_cnpg_cluster()) {
        let Some(namespace) = cluster.namespace.as_deref() else {
            continue;
        };
        let spec = &cluster.value["spec"];
        let defaults = LimitDefaults::of(set, namespace);
        let mut each = container_amounts(spec, &defaults);
        each.insert("pods", 1000);
        for storage in [&spec["storage"], &spec["walStorage"]] {
            if storage.is_object() {
                let size = storage
                    .get("size")
                    .unwrap_or(&storage["pvcTemplate"]["resources"]["requests"]["storage"]);
                add_claim(&mut each, size);
            }
        }
        let count = hpa_max(set, cluster)
            .or_else(|| spec["instances"].as_u64())
            .unwrap_or(1);
        all.push((
            namespace,
            Ok(Contribution {
                who: who(cluster),
                count: i128::from(count),
                each,
            }),
        ));
    }
    all
}

/// ``Kind `name` ``, the namespace being the quota's.
fn who(manifest: &Manifest) -> String {
    format!("{} `{}`", manifest.kind, manifest.name)
}

/// Adds one claim of `size` to `each`.
fn add_claim(each: &mut Amounts, size: &Value) {
    *each.entry("persistentvolumeclaims").or_default() += 1000;
    *each.entry("requests.storage").or_default() += quantity(size).unwrap_or(0);
}

/// The most pods a workload's template runs at once: its maximum replica count plus rollout
/// surge, plus those of an Argo Rollouts `Rollout` that runs the same template through
/// `workloadRef` (a Deployment held at `replicas: 0` adds none of its own).
fn replicas_at_most(set: &ManifestSet, owner: &Manifest) -> Result<u64, String> {
    let own = own_replicas_at_most(set, owner)?;
    match rollout_of(set, owner) {
        Some((_, rollout)) => Ok(own + own_replicas_at_most(set, rollout)?),
        None => Ok(own),
    }
}

/// [`replicas_at_most`] of the object alone.
fn own_replicas_at_most(set: &ManifestSet, owner: &Manifest) -> Result<u64, String> {
    let spec = &owner.value["spec"];
    let replicas = || {
        hpa_max(set, owner)
            .or_else(|| spec["replicas"].as_u64())
            .unwrap_or(1)
    };
    Ok(match owner.kind.as_str() {
        "Deployment" => {
            let base = replicas();
            // A rolling update never surges past a desired count of 0.
            let surge = if base == 0 || spec["strategy"]["type"].as_str() == Some("Recreate") {
                0
            } else {
                surge(&spec["strategy"]["rollingUpdate"]["maxSurge"], base)?
            };
            base + surge
        }
        "Rollout" => {
            let base = replicas();
            let strategy = &spec["strategy"];
            if strategy.get("blueGreen").is_some() {
                // The preview ReplicaSet runs at full size beside the active one.
                base * 2
            } else {
                base + surge(&strategy["canary"]["maxSurge"], base)?
            }
        }
        "StatefulSet" | "ReplicaSet" | "ReplicationController" => replicas(),
        "Job" => spec["parallelism"].as_u64().unwrap_or(1),
        "CronJob" => spec["jobTemplate"]["spec"]["parallelism"]
            .as_u64()
            .unwrap_or(1),
        "Pod" => 1,
        "DaemonSet" => {
            return Err(
                "a DaemonSet runs one pod per node, so its quota demand depends on the cluster"
                    .into(),
            );
        }
        other => return Err(format!("pods of a `{other}` cannot be counted")),
    })
}

/// `maxReplicas` of a HorizontalPodAutoscaler in the same namespace that targets `owner`.
fn hpa_max(set: &ManifestSet, owner: &Manifest) -> Option<u64> {
    set.of_kind("HorizontalPodAutoscaler")
        .find(|(_, hpa)| {
            let target = &hpa.value["spec"]["scaleTargetRef"];
            hpa.namespace == owner.namespace
                && target["kind"].as_str() == Some(owner.kind.as_str())
                && target["name"].as_str() == Some(owner.name.as_str())
        })
        .and_then(|(_, hpa)| hpa.value["spec"]["maxReplicas"].as_u64())
}

/// Extra pods a rolling update may add: an integer, or a percentage of `replicas` rounded
/// up; 25% when unset, as for Deployments.
fn surge(value: &Value, replicas: u64) -> Result<u64, String> {
    let percent = |p: u64| (replicas * p).div_ceil(100);
    match value {
        Value::Null => Ok(percent(25)),
        Value::Number(n) => n
            .as_u64()
            .ok_or_else(|| format!("`maxSurge` `{n}` is not a count")),
        Value::String(s) => match s.strip_suffix('%') {
            Some(p) => p
                .parse()
                .map(percent)
                .map_err(|_| format!("`maxSurge` `{s}` is not a percentage")),
            None => s
                .parse()
                .map_err(|_| format!("`maxSurge` `{s}` is not a count")),
        },
        other => Err(format!("`maxSurge` `{other}` is not a count")),
    }
}

/// The container defaults of a namespace's first LimitRange, completed as the API server
/// completes them: `default` falls back to `max`, `defaultRequest` to `default`, then `min`.
#[derive(Default)]
struct LimitDefaults {
    request: BTreeMap<&'static str, i128>,
    limit: BTreeMap<&'static str, i128>,
}

impl LimitDefaults {
    fn of(set: &ManifestSet, namespace: &str) -> Self {
        let mut ranges = in_namespace(set, "LimitRange", namespace);
        ranges.sort_by(|a, b| a.1.name.cmp(&b.1.name));
        let item = ranges.iter().find_map(|(_, range)| {
            range.value["spec"]["limits"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|item| item["type"].as_str() == Some("Container"))
        });
        let mut defaults = Self::default();
        let Some(item) = item else {
            return defaults;
        };
        for resource in CONTAINER_RESOURCES {
            let get = |field: &str| quantity(&item[field][*resource]);
            let limit = get("default").or_else(|| get("max"));
            let request = get("defaultRequest").or(limit).or_else(|| get("min"));
            if let Some(limit) = limit {
                defaults.limit.insert(resource, limit);
            }
            if let Some(request) = request {
                defaults.request.insert(resource, request);
            }
        }
        defaults
    }
}

/// One container's requests and limits after defaulting, by canonical quota key. A value
/// still missing counts as zero: the quota would refuse the pod outright, which K205-1
/// reports.
fn container_amounts(container: &Value, defaults: &LimitDefaults) -> Amounts {
    let mut amounts = Amounts::new();
    let resources = &container["resources"];
    for resource in CONTAINER_RESOURCES {
        let explicit_limit = quantity(&resources["limits"][*resource]);
        let limit = explicit_limit.or_else(|| defaults.limit.get(resource).copied());
        let request = quantity(&resources["requests"][*resource])
            .or(explicit_limit)
            .or_else(|| defaults.request.get(resource).copied());
        let (request_key, limit_key) = quota_keys(resource);
        amounts.insert(request_key, request.unwrap_or(0));
        amounts.insert(limit_key, limit.unwrap_or(0));
    }
    amounts
}

/// A pod's requests and limits as the quota counts them (`PodRequests`/`PodLimits` of
/// `k8s.io/component-helpers`): the larger of the containers' sum and each init container
/// with the sidecars started before it, plus the pod overhead.
fn pod_amounts(spec: &Value, defaults: &LimitDefaults) -> Amounts {
    let mut sum = Amounts::new();
    let mut init_peak = Amounts::new();
    let mut sidecars = Amounts::new();
    for init in spec["initContainers"].as_array().into_iter().flatten() {
        let amounts = container_amounts(init, defaults);
        if init["restartPolicy"].as_str() == Some("Always") {
            add(&mut sum, &amounts);
            add(&mut sidecars, &amounts);
        } else {
            let mut with_sidecars = sidecars.clone();
            add(&mut with_sidecars, &amounts);
            for (key, value) in with_sidecars {
                let peak = init_peak.entry(key).or_default();
                *peak = (*peak).max(value);
            }
        }
    }
    for container in spec["containers"].as_array().into_iter().flatten() {
        add(&mut sum, &container_amounts(container, defaults));
    }
    for (key, value) in init_peak {
        let total = sum.entry(key).or_default();
        *total = (*total).max(value);
    }
    for resource in CONTAINER_RESOURCES {
        if let Some(overhead) = quantity(&spec["overhead"][*resource]) {
            let (request_key, limit_key) = quota_keys(resource);
            *sum.entry(request_key).or_default() += overhead;
            *sum.entry(limit_key).or_default() += overhead;
        }
    }
    sum
}

/// The quota keys counting a container resource's requests and limits.
fn quota_keys(resource: &str) -> (&'static str, &'static str) {
    match resource {
        "cpu" => ("requests.cpu", "limits.cpu"),
        "memory" => ("requests.memory", "limits.memory"),
        _ => ("requests.ephemeral-storage", "limits.ephemeral-storage"),
    }
}

fn add(into: &mut Amounts, amounts: &Amounts) {
    for (key, value) in amounts {
        *into.entry(key).or_default() += value;
    }
}

/// The objects of `kind` in `namespace`.
fn in_namespace<'a>(
    set: &'a ManifestSet,
    kind: &'a str,
    namespace: &str,
) -> Vec<(usize, &'a Manifest)> {
    set.of_kind(kind)
        .filter(|(_, m)| m.namespace.as_deref() == Some(namespace))
        .collect()
}

/// A quantity written as a string or a YAML number, in thousandths.
fn quantity(value: &Value) -> Option<i128> {
    match value {
        Value::String(s) => parse_milli(s),
        Value::Number(n) => parse_milli(&n.to_string()),
        _ => None,
    }
}

/// An amount in thousandths as a quantity for messages: millicores or cores for cpu,
/// a count for `pods` and claims, and the shortest exact suffix form for bytes.
fn show(key: &str, milli: i128) -> String {
    if key.ends_with("cpu") {
        return if milli % 1000 == 0 {
            (milli / 1000).to_string()
        } else {
            format!("{milli}m")
        };
    }
    let units = milli.div_euclid(1000) + i128::from(milli.rem_euclid(1000) != 0);
    if matches!(key, "pods" | "persistentvolumeclaims") || units == 0 {
        return units.to_string();
    }
    let mut best = units.to_string();
    for (suffix, scale) in [
        ("Ki", 1i128 << 10),
        ("Mi", 1 << 20),
        ("Gi", 1 << 30),
        ("Ti", 1 << 40),
        ("Pi", 1 << 50),
        ("k", 1_000),
        ("M", 1_000_000),
        ("G", 1_000_000_000),
        ("T", 1_000_000_000_000),
        ("P", 1_000_000_000_000_000),
    ] {
        if units % scale == 0 {
            let candidate = format!("{}{suffix}", units / scale);
            if candidate.len() < best.len() {
                best = candidate;
            }
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn shows_amounts_in_their_units() {
        assert_eq!(show("limits.cpu", 25_250), "25250m");
        assert_eq!(show("requests.cpu", 8_000), "8");
        assert_eq!(show("pods", 27_000), "27");
        assert_eq!(show("limits.memory", 34_304 * (1 << 20) * 1000), "34304Mi");
        assert_eq!(show("limits.memory", 32 * (1 << 30) * 1000), "32Gi");
        assert_eq!(show("requests.storage", 2_000_000_000_000), "2G");
        assert_eq!(show("requests.memory", 1500), "2");
    }

    #[test]
    fn surge_counts_and_percentages() {
        assert_eq!(surge(&Value::Null, 10), Ok(3));
        assert_eq!(surge(&json!(1), 10), Ok(1));
        assert_eq!(surge(&json!("50%"), 3), Ok(2));
        assert_eq!(surge(&json!("0%"), 3), Ok(0));
        assert!(surge(&json!("lots"), 3).is_err());
    }

    #[test]
    fn pods_count_init_containers_and_sidecars_as_the_quota_does() {
        let spec = json!({
            "initContainers": [
                {"name": "migrate", "resources": {"limits": {"cpu": "2", "memory": "1Gi"}}},
                {"name": "proxy", "restartPolicy": "Always",
                 "resources": {"requests": {"cpu": "100m"}, "limits": {"cpu": "200m"}}}
            ],
            "containers": [
                {"name": "app", "resources": {"requests": {"cpu": "250m"}, "limits": {"cpu": "500m"}}}
            ],
            "overhead": {"cpu": "10m"}
        });
        let amounts = pod_amounts(&spec, &LimitDefaults::default());
        // limits: max(500m + 200m, 2000m) + 10m; requests: max(250m + 100m, 2000m) + 10m
        // (the migration's request defaults to its limit).
        assert_eq!(amounts["limits.cpu"], 2010);
        assert_eq!(amounts["requests.cpu"], 2010);
        assert_eq!(amounts["limits.memory"], (1i128 << 30) * 1000);
        assert_eq!(amounts["requests.memory"], (1i128 << 30) * 1000);
    }
}
