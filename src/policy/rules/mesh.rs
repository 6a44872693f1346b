//! REQ-T203 Service Mesh and the mesh half of REQ-T232 Load Balancing: application
//! namespaces get Istio sidecars and nothing opts out, mutual TLS is STRICT (a plain-text
//! exception only on a pod's `metrics` port), every meshed namespace denies by default and
//! each workload admits exactly its declared callers and the ingress gateway, every Service
//! of a meshed namespace has a DestinationRule choosing a load-balancing algorithm, and every
//! public Service is routed by a VirtualService bound to a rendered Gateway.
//!
//! What a workload may be called by comes from the manifests themselves: a Deployment
//! declares the services it calls in its `daa.dev/depends-on` annotation (comma-separated
//! Service names of its namespace) and a Service served through the ingress gateway carries
//! `daa.dev/public: "true"`. daactl renders both from the spec's `depends_on` and `public`.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::common::{Pods, is_empty_selector, namespace_role, pods_in, selected, token};
use crate::policy::manifest::{Manifest, ManifestSet};
use crate::policy::rule::{Check, Context, Rule, RuleMeta};
use crate::policy::workload::{PodTemplate, pod_templates};

/// The namespace label that turns Istio's sidecar injection on (`enabled`) or off.
pub const INJECTION_LABEL: &str = "istio-injection";
/// The namespace label that selects an Istio revision's injector, which injects too.
pub const REVISION_LABEL: &str = "istio.io/rev";
/// The pod label (or the older, still honoured annotation) that opts one pod in or out.
pub const INJECT_POD_KEY: &str = "sidecar.istio.io/inject";
/// The Deployment annotation listing the Services it calls.
pub const DEPENDS_ON_ANNOTATION: &str = "daa.dev/depends-on";
/// The Service annotation saying the ingress gateway serves it.
pub const PUBLIC_ANNOTATION: &str = "daa.dev/public";
/// Istio's root namespace, whose selector-less PeerAuthentication applies mesh-wide.
const ROOT_NAMESPACE: &str = "istio-system";
/// The ServiceAccount of the ingress gateway (the `gateway` chart's release
/// `istio-ingressgateway`).
const GATEWAY_ACCOUNT: &str = "istio-ingressgateway";
/// The port name of the endpoint Prometheus scrapes.
const METRICS_PORT_NAME: &str = "metrics";

/// The pod-template annotations that size the injected `istio-proxy` container, each with
/// where in the container's `resources` Istio's injection template puts it.
const PROXY_ANNOTATIONS: &[(&str, &str, &str)] = &[
    ("sidecar.istio.io/proxyCPU", "requests", "cpu"),
    ("sidecar.istio.io/proxyMemory", "requests", "memory"),
    ("sidecar.istio.io/proxyCPULimit", "limits", "cpu"),
    ("sidecar.istio.io/proxyMemoryLimit", "limits", "memory"),
];

/// The `metadata` of a pod template (`/spec/template/metadata` for a Deployment).
fn template_metadata<'a>(pod: &PodTemplate<'a>) -> (String, &'a Value) {
    let pointer = format!(
        "{}/metadata",
        pod.pointer.strip_suffix("/spec").unwrap_or("")
    );
    let value = pod.owner.value.pointer(&pointer).unwrap_or(&Value::Null);
    (pointer, value)
}

/// Whether Istio injects a sidecar into the pods of `pod`: their namespace (a Namespace of
/// the set) turns injection on and the template does not opt out, or the template opts in
/// with the `sidecar.istio.io/inject: "true"` label.
pub fn gets_sidecar(set: &ManifestSet, pod: &PodTemplate<'_>) -> bool {
    let (_, metadata) = template_metadata(pod);
    let opt = |value: &str| {
        ["labels", "annotations"]
            .iter()
            .any(|field| metadata[*field][INJECT_POD_KEY].as_str() == Some(value))
    };
    let namespace_injects = pod
        .namespace()
        .and_then(|ns| set.find("Namespace", None, ns))
        .is_some_and(|(_, ns)| injects(ns));
    (namespace_injects && !opt("false")) || metadata["labels"][INJECT_POD_KEY] == "true"
}

/// The `istio-proxy` container Istio injects into the pods of `pod`, as far as resources go:
/// with any `sidecar.istio.io/proxy*` annotation, exactly the requests and limits those
/// annotations give (the rest is left to the namespace's LimitRange, which the API server
/// applies again after the injection webhook); without any, Istio's global defaults.
pub fn proxy_container(pod: &PodTemplate<'_>) -> Value {
    let (_, metadata) = template_metadata(pod);
    let mut resources = serde_json::json!({"requests": {}, "limits": {}});
    let mut any = false;
    for (annotation, kind, resource) in PROXY_ANNOTATIONS {
        if let Some(value) = metadata["annotations"][*annotation].as_str() {
            resources[*kind][*resource] = Value::String(value.to_owned());
            any = true;
        }
    }
    if !any {
        // `global.proxy.resources` of Istio's charts.
        resources = serde_json::json!({
            "requests": {"cpu": "100m", "memory": "128Mi"},
            "limits": {"cpu": "2000m", "memory": "1024Mi"},
        });
    }
    serde_json::json!({"name": "istio-proxy", "resources": resources})
}

/// Whether Namespace `namespace` turns sidecar injection on.
fn injects(namespace: &Manifest) -> bool {
    let labels = namespace.labels();
    match labels.get(INJECTION_LABEL) {
        Some(&"enabled") => true,
        Some(_) => false,
        None => labels.contains_key(REVISION_LABEL),
    }
}

/// The names of the set's Namespaces that inject sidecars.
fn meshed_namespaces(set: &ManifestSet) -> BTreeSet<&str> {
    set.of_kind("Namespace")
        .filter(|(_, ns)| injects(ns))
        .map(|(_, ns)| ns.name.as_str())
        .collect()
}

/// The objects of `kind` whose namespace is one of `namespaces`.
fn in_namespaces<'a>(
    set: &'a ManifestSet,
    kind: &'a str,
    namespaces: &'a BTreeSet<&str>,
) -> impl Iterator<Item = (usize, &'a Manifest)> {
    set.of_kind(kind).filter(|(_, m)| {
        m.namespace
            .as_deref()
            .is_some_and(|ns| namespaces.contains(ns))
    })
}

/// The numbers of the ports its pods name `metrics`.
fn metrics_ports(pods: &[&Pods<'_>]) -> BTreeSet<i64> {
    pods.iter()
        .flat_map(|pod| pod.ports.iter())
        .filter(|(name, _)| *name == Some(METRICS_PORT_NAME))
        .map(|(_, number)| *number)
        .collect()
}

/// Whether Istio `host`, written in an object of namespace `from`, names `service`: its
/// fully qualified name, `name.ns.svc`, `name.ns`, or the short name from its own namespace.
fn names_service(host: &str, from: Option<&str>, service: &Manifest) -> bool {
    let name = &service.name;
    let Some(ns) = service.namespace.as_deref() else {
        return false;
    };
    host == format!("{name}.{ns}.svc.cluster.local")
        || host == format!("{name}.{ns}.svc")
        || host == format!("{name}.{ns}")
        || (host == name && from == Some(ns))
}

/// ## What it does
/// Checks that every Namespace labelled `daa.dev/namespace-role: app` turns Istio sidecar
/// injection on (`istio-injection: enabled`, or an `istio.io/rev` revision label without
/// `istio-injection`), and that no pod template in a namespace that injects opts out with
/// `sidecar.istio.io/inject: "false"` as a label or an annotation.
///
/// ## Why is this bad?
/// A pod without a sidecar sends and receives plain text: it cannot satisfy STRICT mutual
/// TLS, has no identity for AuthorizationPolicies, and escapes the mesh's retries, load
/// balancing and telemetry. REQ-T203 asks that all inter-service traffic go through the mesh.
pub struct UnmeshedApplicationWorkload;

static INJECTION_META: RuleMeta = RuleMeta {
    code: "K203-1",
    name: "mesh-sidecar-injection",
    requirement: "REQ-T203",
    summary: "Application namespaces inject Istio sidecars and no pod template in a meshed namespace opts out",
    rationale: "REQ-T203 routes all inter-service traffic through Istio. Injection is decided per namespace (`istio-injection: enabled` or `istio.io/rev`) and per pod (`sidecar.istio.io/inject`); an application namespace without the label, or a pod that opts out, talks plain text outside mutual TLS and authorization.",
    remediation: "Label each application Namespace `istio-injection: enabled` and remove `sidecar.istio.io/inject: \"false\"` from pod templates in it (move a workload that cannot run a sidecar to a namespace that is not meshed).",
    peers: &["istioctl analyze:IST0102 NamespaceNotInjected"],
};

impl Rule for UnmeshedApplicationWorkload {
    fn meta(&self) -> &RuleMeta {
        &INJECTION_META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Check) {
        for (index, namespace) in cx.set.of_kind("Namespace") {
            if namespace_role(cx.set, Some(&namespace.name)) != Some("app") {
                continue;
            }
            out.saw();
            if !injects(namespace) {
                out.fail(
                    index,
                    "/metadata/labels",
                    format!(
                        "application namespace `{}` is not labelled `{INJECTION_LABEL}: enabled`, so its pods run without Istio sidecars",
                        namespace.name
                    ),
                );
            }
        }
        let meshed = meshed_namespaces(cx.set);
        for pod in pod_templates(cx.set) {
            if !pod.namespace().is_some_and(|ns| meshed.contains(ns)) {
                continue;
            }
            out.saw();
            let (metadata, template) = template_metadata(&pod);
            for field in ["labels", "annotations"] {
                if template[field][INJECT_POD_KEY].as_str() == Some("false") {
                    out.fail(
                        pod.index,
                        format!("{metadata}/{field}/{}", token(INJECT_POD_KEY)),
                        format!(
                            "the pods of {} opt out of the mesh with `{INJECT_POD_KEY}: \"false\"` in meshed namespace `{}`",
                            pod.owner.subject(),
                            pod.namespace().unwrap_or_default()
                        ),
                    );
                }
            }
        }
    }
}

/// ## What it does
/// Checks that every namespace that injects sidecars is covered by a STRICT
/// `PeerAuthentication`: one without a selector in the namespace with `mtls.mode: STRICT`,
/// or, when the namespace has none, one without a selector in `istio-system` (mesh-wide)
/// with `mtls.mode: STRICT`. A workload `PeerAuthentication` in such a namespace may not set
/// a mode other than `STRICT` (or `UNSET`), and may relax `portLevelMtls` only on a port its
/// selected pods name `metrics`, the one Prometheus (outside the mesh) scrapes.
///
/// ## Why is this bad?
/// Istio's default is PERMISSIVE: sidecars accept plain text as well as mutual TLS, so any
/// pod in the cluster, meshed or not, can call the services without an identity, and
/// AuthorizationPolicies on principals no longer mean anything.
pub struct PermissiveMutualTls;

static MTLS_META: RuleMeta = RuleMeta {
    code: "K203-2",
    name: "mesh-strict-mtls",
    requirement: "REQ-T203",
    summary: "Every meshed namespace is covered by a STRICT PeerAuthentication; only `metrics` ports may be PERMISSIVE",
    rationale: "REQ-T203 asks for mutual TLS between services. Istio accepts plain text too (PERMISSIVE) unless a PeerAuthentication says STRICT, mesh-wide or for the namespace. Prometheus scrapes from outside the mesh, so a workload may relax exactly its `metrics` port; anything wider lets unauthenticated traffic in.",
    remediation: "Render a PeerAuthentication `default` in each meshed namespace with `spec.mtls.mode: STRICT` (no selector), and give workload PeerAuthentications `mode: STRICT` with `portLevelMtls` PERMISSIVE only for the container port named `metrics`.",
    peers: &["istioctl analyze"],
};

/// A PeerAuthentication's `mtls.mode` is at least as strict as its parent's: `STRICT`, or
/// absent / `UNSET` (inherit).
fn inherits_or_strict(mode: &Value) -> bool {
    matches!(mode.as_str(), None | Some("STRICT" | "UNSET"))
}

impl Rule for PermissiveMutualTls {
    fn meta(&self) -> &RuleMeta {
        &MTLS_META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Check) {
        let meshed = meshed_namespaces(cx.set);
        let namespace_wide = |ns: &str| {
            cx.set.of_kind("PeerAuthentication").find(|(_, pa)| {
                pa.namespace.as_deref() == Some(ns)
                    && is_empty_selector(&pa.value["spec"]["selector"])
            })
        };
        let mesh_wide_strict = namespace_wide(ROOT_NAMESPACE)
            .is_some_and(|(_, pa)| pa.value["spec"]["mtls"]["mode"] == "STRICT");
        for (index, namespace) in cx.set.of_kind("Namespace") {
            if !meshed.contains(namespace.name.as_str()) {
                continue;
            }
            out.saw();
            match namespace_wide(&namespace.name) {
                Some((_, pa)) if pa.value["spec"]["mtls"]["mode"] == "STRICT" => {}
                Some((_, pa)) if mesh_wide_strict && inherits_or_strict(&pa.value["spec"]["mtls"]["mode"]) => {}
                Some((pa_index, pa)) => out.fail(
                    pa_index,
                    "/spec/mtls",
                    format!(
                        "{} covers meshed namespace `{}` without `mtls.mode: STRICT`, so its workloads accept plain text",
                        pa.subject(),
                        namespace.name
                    ),
                ),
                None if mesh_wide_strict => {}
                None => out.fail(
                    index,
                    "",
                    format!(
                        "meshed namespace `{}` has no PeerAuthentication with `mtls.mode: STRICT` (neither its own nor a mesh-wide one in `{ROOT_NAMESPACE}`), so Istio's PERMISSIVE default accepts plain text",
                        namespace.name
                    ),
                ),
            }
        }
        for (index, pa) in in_namespaces(cx.set, "PeerAuthentication", &meshed) {
            let spec = &pa.value["spec"];
            if is_empty_selector(&spec["selector"]) {
                continue;
            }
            out.saw();
            if !inherits_or_strict(&spec["mtls"]["mode"]) {
                out.fail(
                    index,
                    "/spec/mtls/mode",
                    format!(
                        "{} sets `mtls.mode: {}` for its workloads in a meshed namespace; only `STRICT` keeps them on mutual TLS",
                        pa.subject(),
                        spec["mtls"]["mode"].as_str().unwrap_or("?")
                    ),
                );
            }
            let pods = pods_in(cx.set, pa.namespace.as_deref());
            let chosen: Vec<&Pods<'_>> = pods
                .iter()
                .filter(|pod| pod.selected_by(&spec["selector"]))
                .collect();
            let metrics = metrics_ports(&chosen);
            for (port, setting) in spec["portLevelMtls"].as_object().into_iter().flatten() {
                if inherits_or_strict(&setting["mode"]) {
                    continue;
                }
                let number: Option<i64> = port.parse().ok();
                if !number.is_some_and(|n| metrics.contains(&n)) {
                    out.fail(
                        index,
                        format!("/spec/portLevelMtls/{}", token(port)),
                        format!(
                            "{} relaxes mutual TLS on port `{port}`, which is not a port its pods name `{METRICS_PORT_NAME}`",
                            pa.subject()
                        ),
                    );
                }
            }
        }
    }
}

/// ## What it does
/// Checks, in every namespace that injects sidecars:
/// - a default-deny `AuthorizationPolicy`: no selector, action `ALLOW` (or none), no rules
///   (`spec: {}`);
/// - every `ALLOW` policy selects workloads (a namespace-wide policy with rules allows every
///   workload at once);
/// - each of its rules admits sources only by `principals`, each principal being the
///   ServiceAccount identity (`cluster.local/ns/<ns>/sa/<account>`) of a workload whose
///   `daa.dev/depends-on` names a Service of the selected pods, or the ingress gateway's
///   (`cluster.local/ns/<ingress namespace>/sa/istio-ingressgateway`, the namespace the
///   environment's policy names, `istio-ingress` by default) when such a Service is
///   `daa.dev/public: "true"`; a rule without sources may only name ports the selected pods
///   call `metrics` (Prometheus scrapes from outside the mesh, without an identity);
/// - every declared dependency is admitted (the caller's principal appears in an ALLOW
///   policy selecting the callee's pods), and every public Service admits the gateway.
///
/// ## Why is this bad?
/// Without a default deny, any meshed workload can call any other; allows broader than the
/// declared dependencies (another namespace, `*`, an IP range) undo the mesh's
/// least-privilege. An allow missing for a declared dependency is an outage: the caller gets
/// `403 RBAC: access denied`.
pub struct MeshAuthorizationMismatch;

static AUTHZ_META: RuleMeta = RuleMeta {
    code: "K203-3",
    name: "mesh-authorization",
    requirement: "REQ-T203",
    summary: "Meshed namespaces deny by default; ALLOW policies admit exactly the declared callers, the gateway for public services, and the metrics port",
    rationale: "REQ-T203's mesh is only a security boundary if identities are checked: a default-deny AuthorizationPolicy per namespace plus one ALLOW per workload listing the ServiceAccounts of the services that declare they call it (and the ingress gateway for public services). Broader sources defeat it; missing ones break the declared calls.",
    remediation: "Render `AuthorizationPolicy` `default-deny` (`spec: {}`) in each meshed namespace and one ALLOW per service whose rules list `principals` of its declared callers (`cluster.local/ns/<ns>/sa/<caller>`), the gateway's for public services, and a source-less rule limited to the `metrics` port.",
    peers: &["istioctl analyze"],
};

/// The caller principals each Service may be called by, and which Services are public.
struct Callers<'a> {
    /// Service (namespace, name) → (principal, the caller workload's index).
    by_service: BTreeMap<(&'a str, &'a str), Vec<(String, usize)>>,
}

impl<'a> Callers<'a> {
    fn of(set: &'a ManifestSet, meshed: &BTreeSet<&str>) -> Self {
        let mut by_service: BTreeMap<(&str, &str), Vec<(String, usize)>> = BTreeMap::new();
        for pod in pod_templates(set) {
            let Some(ns) = pod.namespace().filter(|ns| meshed.contains(ns)) else {
                continue;
            };
            let Some(list) = pod.owner.annotations().get(DEPENDS_ON_ANNOTATION).copied() else {
                continue;
            };
            let account = pod.spec["serviceAccountName"].as_str().unwrap_or("default");
            let principal = format!("cluster.local/ns/{ns}/sa/{account}");
            for callee in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                by_service
                    .entry((ns, callee))
                    .or_default()
                    .push((principal.clone(), pod.index));
            }
        }
        Self { by_service }
    }
}

/// Whether `principal` is the ingress gateway's identity: its ServiceAccount in the
/// gateway's namespace `gateway_ns`. The same account name in any other namespace is a
/// workload anyone with that namespace can run, not the gateway.
fn is_gateway(principal: &str, gateway_ns: &str) -> bool {
    principal
        .strip_prefix("cluster.local/ns/")
        .and_then(|rest| rest.split_once("/sa/"))
        .is_some_and(|(ns, account)| ns == gateway_ns && account == GATEWAY_ACCOUNT)
}

fn is_public(service: &Manifest) -> bool {
    service.annotations().get(PUBLIC_ANNOTATION) == Some(&"true")
}

/// The principals an ALLOW policy's rules list, each once.
fn allowed_principals(policy: &Manifest) -> BTreeSet<&str> {
    policy.value["spec"]["rules"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|rule| rule["from"].as_array().into_iter().flatten())
        .flat_map(|from| {
            from["source"]["principals"]
                .as_array()
                .into_iter()
                .flatten()
        })
        .filter_map(Value::as_str)
        .collect()
}

fn is_allow(policy: &Manifest) -> bool {
    matches!(
        policy.value["spec"]["action"].as_str(),
        None | Some("ALLOW")
    )
}

/// The source fields other than `principals`: each admits by something other than a
/// workload identity, or excludes, which a least-privilege allow does not need.
const OTHER_SOURCES: &[&str] = &[
    "notPrincipals",
    "requestPrincipals",
    "notRequestPrincipals",
    "namespaces",
    "notNamespaces",
    "ipBlocks",
    "notIpBlocks",
    "remoteIpBlocks",
    "notRemoteIpBlocks",
];

impl Rule for MeshAuthorizationMismatch {
    fn meta(&self) -> &RuleMeta {
        &AUTHZ_META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Check) {
        let meshed = meshed_namespaces(cx.set);
        for (index, namespace) in cx.set.of_kind("Namespace") {
            if !meshed.contains(namespace.name.as_str()) {
                continue;
            }
            out.saw();
            let deny = in_namespaces(cx.set, "AuthorizationPolicy", &meshed).any(|(_, p)| {
                p.namespace.as_deref() == Some(namespace.name.as_str())
                    && is_allow(p)
                    && is_empty_selector(&p.value["spec"]["selector"])
                    && p.value["spec"]["rules"]
                        .as_array()
                        .is_none_or(Vec::is_empty)
            });
            if !deny {
                out.fail(
                    index,
                    "",
                    format!(
                        "meshed namespace `{}` has no default-deny AuthorizationPolicy (no selector, no rules: `spec: {{}}`), so every workload accepts every caller",
                        namespace.name
                    ),
                );
            }
        }
        let callers = Callers::of(cx.set, &meshed);
        let services: Vec<(usize, &Manifest)> = in_namespaces(cx.set, "Service", &meshed).collect();
        let policies: Vec<(usize, &Manifest)> =
            in_namespaces(cx.set, "AuthorizationPolicy", &meshed)
                .filter(|(_, p)| is_allow(p))
                .collect();
        for &(index, policy) in &policies {
            let spec = &policy.value["spec"];
            let rules = spec["rules"]
                .as_array()
                .map(Vec::as_slice)
                .unwrap_or_default();
            if rules.is_empty() {
                continue;
            }
            out.saw();
            if is_empty_selector(&spec["selector"]) {
                out.fail(
                    index,
                    "/spec/rules",
                    format!(
                        "{} has rules but no selector, so it allows them for every workload of the namespace",
                        policy.subject()
                    ),
                );
                continue;
            }
            let ns = policy.namespace.as_deref();
            let pods = pods_in(cx.set, ns);
            let chosen: Vec<&Pods<'_>> = pods
                .iter()
                .filter(|pod| pod.selected_by(&spec["selector"]))
                .collect();
            let metrics = metrics_ports(&chosen);
            // Who may call the selected pods: the callers of every Service that sends to them.
            let mut allowed: BTreeSet<String> = BTreeSet::new();
            let mut public = false;
            for (_, service) in services
                .iter()
                .filter(|(_, s)| s.namespace.as_deref() == ns)
            {
                let backs = selected(&service.value["spec"]["selector"], &pods)
                    .iter()
                    .any(|pod| chosen.iter().any(|c| c.index == pod.index));
                if !backs {
                    continue;
                }
                public |= is_public(service);
                let key = (ns.unwrap_or_default(), service.name.as_str());
                for (principal, _) in callers.by_service.get(&key).into_iter().flatten() {
                    allowed.insert(principal.clone());
                }
            }
            for (r, rule) in rules.iter().enumerate() {
                let sources = rule["from"]
                    .as_array()
                    .map(Vec::as_slice)
                    .unwrap_or_default();
                if sources.is_empty() {
                    let ports: Vec<&Value> = rule["to"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .map(|to| &to["operation"]["ports"])
                        .collect();
                    let metrics_only = !ports.is_empty()
                        && ports.iter().all(|list| {
                            list.as_array().is_some_and(|l| {
                                !l.is_empty()
                                    && l.iter().all(|p| {
                                        p.as_str()
                                            .and_then(|p| p.parse::<i64>().ok())
                                            .is_some_and(|n| metrics.contains(&n))
                                    })
                            })
                        });
                    if !metrics_only {
                        out.fail(
                            index,
                            format!("/spec/rules/{r}"),
                            format!(
                                "rule {r} of {} admits any source on ports other than its pods' `{METRICS_PORT_NAME}` port",
                                policy.subject()
                            ),
                        );
                    }
                    continue;
                }
                for (f, from) in sources.iter().enumerate() {
                    let source = &from["source"];
                    for field in OTHER_SOURCES {
                        if source.get(*field).is_some() {
                            out.fail(
                                index,
                                format!("/spec/rules/{r}/from/{f}/source/{field}"),
                                format!(
                                    "{} admits sources by `{field}`; only the principals of declared callers and the ingress gateway are allowed",
                                    policy.subject()
                                ),
                            );
                        }
                    }
                    for (k, principal) in source["principals"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .enumerate()
                    {
                        let text = principal.as_str().unwrap_or_default();
                        let ok = allowed.contains(text)
                            || (public && is_gateway(text, &cx.env.ingress_namespace));
                        if !ok {
                            out.fail(
                                index,
                                format!("/spec/rules/{r}/from/{f}/source/principals/{k}"),
                                format!(
                                    "{} admits `{text}`, which is neither a workload declaring (`{DEPENDS_ON_ANNOTATION}`) that it calls the selected pods{}",
                                    policy.subject(),
                                    if public { " nor the ingress gateway" } else { " nor, for a public service, the ingress gateway" }
                                ),
                            );
                        }
                    }
                }
            }
        }
        // The other direction: every declared call and every public service is admitted.
        for &(index, service) in &services {
            out.saw();
            let ns = service.namespace.as_deref();
            let pods = pods_in(cx.set, ns);
            let backing = selected(&service.value["spec"]["selector"], &pods);
            if backing.is_empty() {
                continue;
            }
            let admitted: BTreeSet<&str> = policies
                .iter()
                .filter(|(_, p)| {
                    p.namespace.as_deref() == ns
                        && !is_empty_selector(&p.value["spec"]["selector"])
                        && backing
                            .iter()
                            .all(|pod| pod.selected_by(&p.value["spec"]["selector"]))
                })
                .flat_map(|(_, p)| allowed_principals(p))
                .collect();
            let key = (ns.unwrap_or_default(), service.name.as_str());
            for (principal, caller) in callers.by_service.get(&key).into_iter().flatten() {
                if !admitted.contains(principal.as_str()) {
                    out.fail(
                        *caller,
                        format!("/metadata/annotations/{}", token(DEPENDS_ON_ANNOTATION)),
                        format!(
                            "{} declares it calls {}, but no ALLOW AuthorizationPolicy selecting its pods admits `{principal}`",
                            cx.set.manifests[*caller].subject(),
                            service.subject()
                        ),
                    );
                }
            }
            if is_public(service)
                && !admitted
                    .iter()
                    .any(|p| is_gateway(p, &cx.env.ingress_namespace))
            {
                out.fail(
                    index,
                    format!("/metadata/annotations/{}", token(PUBLIC_ANNOTATION)),
                    format!(
                        "{} is public, but no ALLOW AuthorizationPolicy selecting its pods admits the ingress gateway (`cluster.local/ns/{}/sa/{GATEWAY_ACCOUNT}`)",
                        service.subject(),
                        cx.env.ingress_namespace
                    ),
                );
            }
        }
    }
}

/// ## What it does
/// Checks that every Service in a namespace that injects sidecars has a `DestinationRule`
/// (of any namespace of the set) whose `host` names it (`name`, from its own namespace, or
/// `name.ns`, `name.ns.svc`, `name.ns.svc.cluster.local`), and that the rule sets
/// `trafficPolicy.loadBalancer.simple` to `ROUND_ROBIN` or `LEAST_REQUEST`.
///
/// ## Why is this bad?
/// REQ-T232 names the algorithm: round robin or least connections. Inside the mesh the
/// sidecar balances, not kube-proxy, and the algorithm is only stated where a DestinationRule
/// says so; without one the service depends on the mesh-wide default, which anyone can change.
pub struct MissingLoadBalancingAlgorithm;

static LB_META: RuleMeta = RuleMeta {
    code: "K232-3",
    name: "destination-rule-load-balancer",
    requirement: "REQ-T232",
    summary: "Every Service of a meshed namespace has a DestinationRule with `loadBalancer.simple` ROUND_ROBIN or LEAST_REQUEST",
    rationale: "In the mesh, the calling sidecar picks the endpoint; the algorithm REQ-T232 asks for (round robin or least connections) is set by a DestinationRule's `trafficPolicy.loadBalancer.simple`. `LEAST_REQUEST` is Envoy's least-connections equivalent; `RANDOM`, `PASSTHROUGH` and consistent hashing are not what the requirement names.",
    remediation: "Render one DestinationRule per Service with `host: <name>.<namespace>.svc.cluster.local` and `trafficPolicy.loadBalancer.simple: LEAST_REQUEST` (or `ROUND_ROBIN`).",
    peers: &[],
};

impl Rule for MissingLoadBalancingAlgorithm {
    fn meta(&self) -> &RuleMeta {
        &LB_META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Check) {
        let meshed = meshed_namespaces(cx.set);
        for (index, service) in in_namespaces(cx.set, "Service", &meshed) {
            out.saw();
            let rules: Vec<(usize, &Manifest)> = cx
                .set
                .of_kind("DestinationRule")
                .filter(|(_, dr)| {
                    dr.value["spec"]["host"]
                        .as_str()
                        .is_some_and(|host| names_service(host, dr.namespace.as_deref(), service))
                })
                .collect();
            if rules.is_empty() {
                out.fail(
                    index,
                    "",
                    format!(
                        "{} has no DestinationRule, so no load-balancing algorithm is stated for it",
                        service.subject()
                    ),
                );
                continue;
            }
            for (dr_index, dr) in rules {
                let balancer = &dr.value["spec"]["trafficPolicy"]["loadBalancer"];
                let simple = balancer["simple"].as_str();
                if !matches!(simple, Some("ROUND_ROBIN" | "LEAST_REQUEST")) {
                    out.fail(
                        dr_index,
                        "/spec/trafficPolicy/loadBalancer",
                        format!(
                            "{} balances {} with {}, not `ROUND_ROBIN` or `LEAST_REQUEST`",
                            dr.subject(),
                            service.subject(),
                            simple.map_or_else(
                                || "no `simple` algorithm".to_owned(),
                                |s| format!("`{s}`")
                            )
                        ),
                    );
                }
            }
        }
    }
}

/// ## What it does
/// Checks that every Service annotated `daa.dev/public: "true"` is the destination of an
/// HTTP route of a `VirtualService` that is bound (`gateways`: `name` of its own namespace,
/// or `namespace/name`) to a `Gateway` of the set and whose `hosts` include a host that
/// Gateway serves (`host`, `*`, `*.suffix`, with an optional `namespace/` or `./` prefix
/// that must admit the VirtualService's namespace).
///
/// ## Why is this bad?
/// A public service without a route through the gateway is unreachable from outside (the
/// gateway returns 404), and one routed by a VirtualService whose gateway is not rendered, or
/// whose host the gateway does not serve, is silently inert.
pub struct UnroutedPublicService;

static ROUTE_META: RuleMeta = RuleMeta {
    code: "K232-4",
    name: "public-service-route",
    requirement: "REQ-T232",
    summary: "Every public Service is routed by a VirtualService bound to a rendered Gateway serving its host",
    rationale: "External traffic enters through the one load balancer in front of the Istio ingress gateway; a public Service is reachable only through a VirtualService bound to a Gateway that serves the VirtualService's host. A missing or mismatched link is a 404 at the edge, found here before deployment.",
    remediation: "Render a Gateway selecting `istio: ingressgateway` with the public host, and per public Service a VirtualService with that host, `gateways: [<gateway>]` and an `http` route to the Service.",
    peers: &["istioctl analyze:IST0101 ReferencedResourceNotFound"],
};

/// Whether a Gateway server host entry (`[ns/]host`) admits `host` of a VirtualService in
/// namespace `vs_ns`, the Gateway being in `gw_ns`.
fn gateway_host_admits(entry: &str, gw_ns: Option<&str>, vs_ns: Option<&str>, host: &str) -> bool {
    let (scope, pattern) = entry.split_once('/').unwrap_or(("*", entry));
    let scope_ok = match scope {
        "*" => true,
        "." => gw_ns == vs_ns,
        ns => Some(ns) == vs_ns,
    };
    let host_ok = pattern == "*"
        || pattern == host
        || pattern
            .strip_prefix('*')
            .is_some_and(|suffix| host.ends_with(suffix) && host.len() > suffix.len());
    scope_ok && host_ok
}

impl Rule for UnroutedPublicService {
    fn meta(&self) -> &RuleMeta {
        &ROUTE_META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Check) {
        for (index, service) in cx.set.of_kind("Service") {
            if !is_public(service) {
                continue;
            }
            out.saw();
            let routed = cx.set.of_kind("VirtualService").any(|(_, vs)| {
                let spec = &vs.value["spec"];
                let vs_ns = vs.namespace.as_deref();
                let to_service = spec["http"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .flat_map(|route| route["route"].as_array().into_iter().flatten())
                    .filter_map(|r| r["destination"]["host"].as_str())
                    .any(|host| names_service(host, vs_ns, service));
                if !to_service {
                    return false;
                }
                let hosts: Vec<&str> = spec["hosts"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .collect();
                spec["gateways"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .filter_map(|reference| {
                        let (ns, name) = reference.split_once('/').unwrap_or((vs_ns?, reference));
                        cx.set.find("Gateway", Some(ns), name).map(|(_, gw)| gw)
                    })
                    .any(|gateway| {
                        gateway.value["spec"]["servers"]
                            .as_array()
                            .into_iter()
                            .flatten()
                            .flat_map(|server| server["hosts"].as_array().into_iter().flatten())
                            .filter_map(Value::as_str)
                            .any(|entry| {
                                hosts.iter().any(|host| {
                                    gateway_host_admits(
                                        entry,
                                        gateway.namespace.as_deref(),
                                        vs_ns,
                                        host,
                                    )
                                })
                            })
                    })
            });
            if !routed {
                out.fail(
                    index,
                    format!("/metadata/annotations/{}", token(PUBLIC_ANNOTATION)),
                    format!(
                        "{} is public, but no VirtualService bound to a rendered Gateway serving its host routes to it",
                        service.subject()
                    ),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gateway_hosts_admit_by_scope_and_pattern() {
        let (gw, vs) = (Some("app"), Some("app"));
        assert!(gateway_host_admits(
            "./api.example.com",
            gw,
            vs,
            "api.example.com"
        ));
        assert!(!gateway_host_admits(
            "./api.example.com",
            gw,
            Some("other"),
            "api.example.com"
        ));
        assert!(gateway_host_admits(
            "*.example.com",
            gw,
            Some("other"),
            "api.example.com"
        ));
        assert!(!gateway_host_admits("*.example.com", gw, vs, "example.com"));
        assert!(gateway_host_admits("other/*", gw, Some("other"), "x.y"));
        assert!(!gateway_host_admits(
            "api.example.com",
            gw,
            vs,
            "www.example.com"
        ));
    }

    #[test]
    fn gateway_principal_needs_its_account_and_one_namespace() {
        let ns = "istio-ingress";
        assert!(is_gateway(
            "cluster.local/ns/istio-ingress/sa/istio-ingressgateway",
            ns
        ));
        assert!(!is_gateway("cluster.local/ns/istio-ingress/sa/default", ns));
        assert!(!is_gateway("cluster.local/ns//sa/istio-ingressgateway", ns));
        // Review finding 9: the account name alone, in another namespace, is not the gateway.
        assert!(!is_gateway(
            "cluster.local/ns/production/sa/istio-ingressgateway",
            ns
        ));
        assert!(!is_gateway("*", ns));
    }
}
