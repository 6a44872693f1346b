//! REQ-T207 Network Policies: every namespace denies by default, every pod is let through
//! by a policy of its own (DNS included), and no policy points at pods or namespaces that
//! do not exist.
//!
//! Pods are the pod templates of workloads and the instances CloudNativePG creates from a
//! `Cluster` (see [`super::common::pods`]).

use std::collections::BTreeMap;

use serde_json::Value;

use super::common::{Pods, describe_selector, is_empty_selector, pods};
use crate::policy::manifest::{Manifest, ManifestSet};
use crate::policy::rule::{Check, Context, Rule, RuleMeta};
use crate::policy::workload::selects;

/// The label the API server puts on every Namespace, naming it.
const NAME_LABEL: &str = "kubernetes.io/metadata.name";

/// Which directions a NetworkPolicy isolates: `policyTypes`, or when absent `Ingress` plus
/// `Egress` if it has egress rules, as the API server defaults it.
fn isolates(policy: &Manifest) -> (bool, bool) {
    let spec = &policy.value["spec"];
    match spec["policyTypes"].as_array() {
        Some(types) => (
            types.iter().any(|t| t == "Ingress"),
            types.iter().any(|t| t == "Egress"),
        ),
        None => (true, spec.get("egress").is_some()),
    }
}

/// Whether the NetworkPolicy has at least one `field` (`ingress` or `egress`) rule.
fn has_rules(policy: &Manifest, field: &str) -> bool {
    policy.value["spec"][field]
        .as_array()
        .is_some_and(|rules| !rules.is_empty())
}

fn network_policies<'a>(
    set: &'a ManifestSet,
    namespace: Option<&'a str>,
) -> impl Iterator<Item = (usize, &'a Manifest)> {
    set.of_kind("NetworkPolicy")
        .filter(move |(_, p)| p.namespace.as_deref() == namespace)
}

/// ## What it does
/// Checks that every Namespace has a default-deny NetworkPolicy: `podSelector: {}`,
/// `policyTypes` listing both `Ingress` and `Egress`, and no `ingress` or `egress` rules.
///
/// ## Why is this bad?
/// Pods not selected by any policy accept and send any traffic. A default deny makes every
/// allowed flow an explicit, reviewed policy; without `Egress` in `policyTypes` (which the
/// API server does not add to a policy without egress rules) egress stays wide open.
pub struct MissingDefaultDeny;

static DEFAULT_DENY_META: RuleMeta = RuleMeta {
    code: "K207-1",
    name: "namespace-default-deny",
    requirement: "REQ-T207",
    summary: "Every namespace has a default-deny NetworkPolicy for ingress and egress",
    rationale: "REQ-T207 asks for default deny with explicit allows: a policy selecting every pod (`podSelector: {}`) that isolates both directions and allows nothing makes every other flow an explicit rule. `policyTypes` must name `Egress` itself, since a policy without egress rules defaults to ingress only.",
    remediation: "Render a NetworkPolicy in each namespace with `podSelector: {}`, `policyTypes: [Ingress, Egress]` and no `ingress` or `egress` rules.",
    peers: &[
        "CKV2_K8S_6",
        "kube-linter:non-isolated-pod",
        "kyverno:add-network-policy",
    ],
};

impl Rule for MissingDefaultDeny {
    fn meta(&self) -> &RuleMeta {
        &DEFAULT_DENY_META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Check) {
        for (ns_index, namespace) in cx.set.of_kind("Namespace") {
            out.saw();
            // Policies that select every pod and allow nothing: default-deny candidates.
            let candidates: Vec<(usize, &Manifest)> =
                network_policies(cx.set, Some(namespace.name.as_str()))
                    .filter(|(_, p)| {
                        is_empty_selector(&p.value["spec"]["podSelector"])
                            && !has_rules(p, "ingress")
                            && !has_rules(p, "egress")
                    })
                    .collect();
            if candidates.iter().any(|(_, p)| isolates(p) == (true, true)) {
                continue;
            }
            match candidates.first() {
                Some((index, policy)) => {
                    let (ingress, egress) = isolates(policy);
                    let missing: Vec<&str> = [("Ingress", ingress), ("Egress", egress)]
                        .into_iter()
                        .filter(|(_, isolated)| !isolated)
                        .map(|(direction, _)| direction)
                        .collect();
                    out.fail(
                        *index,
                        "/spec/policyTypes",
                        format!(
                            "{} selects every pod but does not list `{}` in `policyTypes`, so that direction stays open",
                            policy.subject(),
                            missing.join("` and `")
                        ),
                    );
                }
                None => out.fail(
                    ns_index,
                    "",
                    format!(
                        "namespace `{}` has no default-deny NetworkPolicy (`podSelector: {{}}`, `policyTypes: [Ingress, Egress]`, no rules)",
                        namespace.name
                    ),
                ),
            }
        }
    }
}

/// ## What it does
/// Checks that the pods of every workload (and every CloudNativePG Cluster) are selected, by
/// their labels, by at least one NetworkPolicy of their namespace other than the default
/// deny, one with `ingress` or `egress` rules; and that, when their egress is isolated, some
/// policy selecting them allows egress to port 53, so they can resolve names.
///
/// An egress rule allows DNS when it lists port `53` (or kube-dns's port names `dns`,
/// `dns-tcp`, or a range covering 53), or allows every port to every destination.
///
/// ## Why is this bad?
/// A pod covered only by the default deny cannot serve or call anything; one covered by no
/// policy at all is open. A pod whose egress is isolated without a DNS allow fails every
/// lookup of a Service name, which looks like an outage of whatever it calls.
pub struct PodWithoutNetworkPolicy;

static POD_POLICY_META: RuleMeta = RuleMeta {
    code: "K207-2",
    name: "pod-network-policy",
    requirement: "REQ-T207",
    summary: "Every pod is selected by a NetworkPolicy of its own with allow rules, and may reach DNS",
    rationale: "Explicit allows are the other half of default deny: each workload needs a policy selecting its pods by label that states what may reach them and what they may reach (Polaris `missingNetworkPolicy`, kube-score `pod-networkpolicy`). With egress denied by default, a pod also needs an egress allow to kube-dns on port 53, or no Service name resolves.",
    remediation: "Render a NetworkPolicy per workload whose `podSelector.matchLabels` matches the pod template's labels, with the ingress and egress it needs, including egress to `kube-system` kube-dns on UDP and TCP port 53.",
    peers: &[
        "polaris:missingNetworkPolicy",
        "kube-score:pod-networkpolicy",
        "kube-linter:non-isolated-pod",
        "CKV2_K8S_6",
    ],
};

/// Whether an egress rule lets traffic reach DNS servers on port 53.
fn allows_dns(rule: &Value) -> bool {
    let ports = rule["ports"].as_array().filter(|p| !p.is_empty());
    let Some(ports) = ports else {
        // No ports: every port, to the rule's destinations; DNS only if those are everything.
        return rule["to"].as_array().is_none_or(Vec::is_empty);
    };
    ports.iter().any(|port| match &port["port"] {
        Value::Null => true,
        Value::Number(n) => {
            let start = n.as_u64().unwrap_or(0);
            let end = port["endPort"].as_u64().unwrap_or(start);
            (start..=end).contains(&53)
        }
        Value::String(s) => matches!(s.as_str(), "53" | "dns" | "dns-tcp"),
        _ => false,
    })
}

impl Rule for PodWithoutNetworkPolicy {
    fn meta(&self) -> &RuleMeta {
        &POD_POLICY_META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Check) {
        for pod in pods(cx.set) {
            out.saw();
            let selecting: Vec<&Manifest> = network_policies(cx.set, pod.namespace())
                .map(|(_, p)| p)
                .filter(|p| pod.selected_by(&p.value["spec"]["podSelector"]))
                .collect();
            let own = selecting.iter().any(|p| {
                !is_empty_selector(&p.value["spec"]["podSelector"])
                    && (has_rules(p, "ingress") || has_rules(p, "egress"))
            });
            if !own {
                out.fail(
                    pod.index,
                    pod.labels_pointer.clone(),
                    format!(
                        "no NetworkPolicy with allow rules selects the {} by their labels, so only namespace-wide policies apply",
                        pod.describe()
                    ),
                );
            }
            let egress_isolated = selecting.iter().any(|p| isolates(p).1);
            let dns = selecting.iter().any(|p| {
                isolates(p).1
                    && p.value["spec"]["egress"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .any(allows_dns)
            });
            if egress_isolated && !dns {
                out.fail(
                    pod.index,
                    pod.labels_pointer.clone(),
                    format!(
                        "no NetworkPolicy selecting the {} allows egress to DNS on port `53`",
                        pod.describe()
                    ),
                );
            }
        }
    }
}

/// ## What it does
/// Checks that every `podSelector` of every NetworkPolicy selects at least one pod: the
/// policy's own (in its namespace) and each `from`/`to` peer's (in the namespaces its
/// `namespaceSelector` selects, else the policy's namespace); and that every
/// `namespaceSelector` with labels selects at least one namespace.
///
/// Namespaces are resolved against the Namespaces of the set, each carrying its implicit
/// `kubernetes.io/metadata.name` label. A selector naming namespaces outside the set by
/// `kubernetes.io/metadata.name` (`kube-system`, `monitoring`, `istio-ingress`,
/// `cnpg-system`, ...) is not resolvable here and is skipped, unless the name follows this
/// environment's own naming (`<env>` or `<env>-<tier>`), whose namespaces are all rendered.
/// A selector on other labels is resolved only when every label key it uses is one the set's
/// Namespaces carry; otherwise it may mean namespaces outside the set and is skipped.
/// CloudNativePG pods count as described in [`super::common::pods`].
///
/// ## Why is this bad?
/// A selector that matches nothing is a policy that does nothing: usually a renamed label
/// or a typo, which leaves the intended pods either without their allow (an outage) or
/// without the isolation the policy was meant to add.
pub struct DanglingNetworkPolicyPeer;

static DANGLING_META: RuleMeta = RuleMeta {
    code: "K207-3",
    name: "dangling-network-policy-peer",
    requirement: "REQ-T207",
    summary: "NetworkPolicy pod and namespace selectors, own and in peers, match something rendered",
    rationale: "A NetworkPolicy selector that matches no pod or namespace is silently inert: the allow it was written for never applies (the client times out), or the pods it meant to isolate stay open. Labels drift as templates change; checking every selector against the rendered pods catches it at review time (kube-linter `dangling-networkpolicy`, `dangling-networkpolicypeer-podselector`; kube-score `networkpolicy-targets-pod`).",
    remediation: "Fix the selector to match the labels the pod templates (or CloudNativePG's `cnpg.io/cluster`) actually carry, or the namespace's labels; remove a policy or peer that no longer has a target.",
    peers: &[
        "kube-linter:dangling-networkpolicy",
        "kube-linter:dangling-networkpolicypeer-podselector",
        "kube-score:networkpolicy-targets-pod",
    ],
};

/// What a `namespaceSelector` selects, as far as the set can tell.
enum Selected<'a> {
    /// Only these namespaces of the set (empty: nothing at all).
    Set(Vec<&'a str>),
    /// Namespaces outside the set too, or possibly: not resolvable here.
    Unresolvable,
}

/// The Namespaces of the set with their labels, including the implicit name label.
fn namespace_labels(set: &ManifestSet) -> Vec<(&str, BTreeMap<&str, &str>)> {
    set.of_kind("Namespace")
        .map(|(_, ns)| {
            let mut labels = ns.labels();
            labels.insert(NAME_LABEL, ns.name.as_str());
            (ns.name.as_str(), labels)
        })
        .collect()
}

/// The namespace names a selector pins with `kubernetes.io/metadata.name`, if it does.
fn pinned_names(selector: &Value) -> Option<Vec<&str>> {
    if let Some(name) = selector["matchLabels"][NAME_LABEL].as_str() {
        return Some(vec![name]);
    }
    selector["matchExpressions"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|e| e["key"] == NAME_LABEL && e["operator"] == "In")
        .map(|e| {
            e["values"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect()
        })
}

fn resolve<'a>(
    selector: &Value,
    namespaces: &[(&'a str, BTreeMap<&'a str, &'a str>)],
    env: &str,
) -> Selected<'a> {
    if is_empty_selector(selector) {
        return Selected::Unresolvable;
    }
    let matching: Vec<&str> = namespaces
        .iter()
        .filter(|(_, labels)| selects(selector, labels))
        .map(|(name, _)| *name)
        .collect();
    if let Some(names) = pinned_names(selector) {
        let outside_unknown = names.iter().any(|name| {
            !namespaces.iter().any(|(n, _)| n == name)
                && *name != env
                && !name.starts_with(&format!("{env}-"))
        });
        return if outside_unknown {
            Selected::Unresolvable
        } else {
            Selected::Set(matching)
        };
    }
    let keys = string_keys(selector);
    let all_known = keys.iter().all(|key| {
        namespaces
            .iter()
            .any(|(_, labels)| labels.contains_key(key))
    });
    if all_known {
        Selected::Set(matching)
    } else {
        Selected::Unresolvable
    }
}

/// The label keys a selector tests.
fn string_keys(selector: &Value) -> Vec<&str> {
    let mut keys: Vec<&str> = selector["matchLabels"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, _)| k.as_str())
        .collect();
    keys.extend(
        selector["matchExpressions"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|e| e["key"].as_str()),
    );
    keys
}

impl Rule for DanglingNetworkPolicyPeer {
    fn meta(&self) -> &RuleMeta {
        &DANGLING_META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Check) {
        let all_pods = pods(cx.set);
        let namespaces = namespace_labels(cx.set);
        let env = cx.env.name.as_str();
        let any_pod = |in_namespaces: &[&str], selector: &Value| {
            all_pods.iter().any(|pod: &Pods<'_>| {
                pod.namespace()
                    .is_some_and(|ns| in_namespaces.contains(&ns))
                    && pod.selected_by(selector)
            })
        };
        for (index, policy) in cx.set.of_kind("NetworkPolicy") {
            out.saw();
            let who = policy.subject();
            let own_namespace = policy.namespace.as_deref().unwrap_or("default");
            let spec = &policy.value["spec"];
            let selector = &spec["podSelector"];
            if !is_empty_selector(selector) && !any_pod(&[own_namespace], selector) {
                out.fail(
                    index,
                    "/spec/podSelector",
                    format!(
                        "{who} applies to no pod: nothing in namespace `{own_namespace}` matches `{}`",
                        describe_selector(selector)
                    ),
                );
            }
            for (field, peers_field, direction) in [
                ("ingress", "from", "ingress from"),
                ("egress", "to", "egress to"),
            ] {
                let rules = spec[field].as_array().into_iter().flatten();
                for (r, rule) in rules.enumerate() {
                    let peers = rule[peers_field].as_array().into_iter().flatten();
                    for (p, peer) in peers.enumerate() {
                        let at = format!("/spec/{field}/{r}/{peers_field}/{p}");
                        let in_namespaces: Vec<&str> = match peer.get("namespaceSelector") {
                            None => vec![own_namespace],
                            Some(ns_selector) => match resolve(ns_selector, &namespaces, env) {
                                Selected::Unresolvable => continue,
                                Selected::Set(found) if found.is_empty() => {
                                    let message = format!(
                                        "{who} allows {direction} no namespace: no Namespace of environment `{env}` matches `{}`",
                                        describe_selector(ns_selector)
                                    );
                                    out.fail(index, format!("{at}/namespaceSelector"), message);
                                    continue;
                                }
                                Selected::Set(found) => found,
                            },
                        };
                        let Some(pod_selector) = peer.get("podSelector") else {
                            continue;
                        };
                        if !is_empty_selector(pod_selector)
                            && !any_pod(&in_namespaces, pod_selector)
                        {
                            out.fail(
                                index,
                                format!("{at}/podSelector"),
                                format!(
                                    "{who} allows {direction} no pod: nothing in namespace `{}` matches `{}`",
                                    in_namespaces.join("`, `"),
                                    describe_selector(pod_selector)
                                ),
                            );
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn dns_allows() {
        assert!(allows_dns(
            &json!({"ports": [{"port": 53, "protocol": "UDP"}]})
        ));
        assert!(allows_dns(&json!({"ports": [{"port": 1, "endPort": 100}]})));
        assert!(allows_dns(&json!({"ports": [{"port": "dns"}]})));
        assert!(allows_dns(&json!({})));
        assert!(!allows_dns(
            &json!({"to": [{"podSelector": {"matchLabels": {"app": "db"}}}]})
        ));
        assert!(!allows_dns(&json!({"ports": [{"port": 5432}]})));
    }
}
