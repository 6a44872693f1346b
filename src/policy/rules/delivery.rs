//! REQ-T218 Deployment Strategies, the progressive half: canaries with analysis and
//! automatic rollback (Argo Rollouts). The rolling-update half (strategy, probes, shutdown,
//! disruption budgets) is in [`super::workload`].

use serde_json::Value;

use super::common::{autoscalers_of, controllers, declares_ports, namespace_role, rollout_of};
use crate::policy::manifest::{Manifest, ManifestSet};
use crate::policy::rule::{Check, Context, Rule, RuleMeta};

/// ## What it does
/// Checks that every Deployment that serves (declares container ports) in an application
/// namespace (labelled `daa.dev/namespace-role: app`) is run by an Argo Rollouts `Rollout`
/// (`workloadRef` naming it) with a canary strategy: a `setWeight` step below 100 and a
/// background `analysis` whose templates exist and include a Prometheus metric that
/// measures an error ratio (a query dividing by something, selecting 5xx statuses) with a
/// `failureCondition` or `successCondition`. The Deployment itself must be held at
/// `spec.replicas: 0` and no HorizontalPodAutoscaler may scale it (the Rollout's does).
///
/// Required where the environment's policy says `canary = true` (staging, production); in
/// other environments a Rollout that is there is checked all the same.
///
/// ## Why is this bad?
/// A rolling update replaces every pod whatever the new release does, and Argo CD only
/// re-syncs what Git says: nothing rolls a failing release back. A canary with analysis
/// exposes a share of the replicas first and aborts, scaling the canary away, when its
/// error ratio crosses the threshold. A Deployment left above 0 replicas runs a second,
/// unanalysed copy of every pod beside the Rollout's, and an autoscaler on the Deployment
/// scales pods nobody serves from.
///
/// ## Example
/// A serving Deployment with an autoscaler and no Rollout.
///
/// Use instead: the Deployment at `replicas: 0`, a Rollout with `workloadRef` to it, canary
/// steps and `analysis.templates` naming an AnalysisTemplate that queries Prometheus, and
/// the autoscaler's `scaleTargetRef` on the Rollout.
pub struct UnanalysedRelease;

static UNANALYSED_RELEASE: RuleMeta = RuleMeta {
    code: "K218-5",
    name: "canary-analysis",
    requirement: "REQ-T218",
    summary: "Serving Deployments are released by an Argo Rollouts canary whose analysis reads an error ratio from Prometheus and aborts on failure",
    rationale: "REQ-T218 asks for canary releases with automatic rollback. A Rollout that refers to the Deployment (`workloadRef`) runs its pods; its background analysis must measure the canary's error ratio in Prometheus with a failing condition, or a bad release is promoted anyway. The Deployment must stay at `spec.replicas: 0` (Argo Rollouts 1.5 never scales it down) and the autoscaler must scale the Rollout, or pods run twice. Required where `schemas/policy.toml` says `canary = true`; development's kind cluster has no Argo Rollouts controller.",
    remediation: "Set `[delivery] strategy = \"canary\"` with `[delivery.canary]` in the environment's spec; by hand: a Rollout with `workloadRef` to the Deployment, `strategy.canary.steps` with `setWeight` and `pause`, `strategy.canary.analysis.templates` naming an AnalysisTemplate with a Prometheus error-ratio query and a `failureCondition`; `replicas: 0` on the Deployment; the HorizontalPodAutoscaler's `scaleTargetRef` on the Rollout.",
    peers: &[],
};

impl Rule for UnanalysedRelease {
    fn meta(&self) -> &RuleMeta {
        &UNANALYSED_RELEASE
    }

    fn check(&self, cx: &Context<'_>, out: &mut Check) {
        for pod in controllers(cx.set) {
            let deployment = pod.owner;
            if deployment.kind != "Deployment"
                || !declares_ports(&pod)
                || namespace_role(cx.set, pod.namespace()) != Some("app")
            {
                continue;
            }
            let Some((rollout_index, rollout)) = rollout_of(cx.set, deployment) else {
                if cx.env.canary {
                    out.saw();
                    out.fail(
                        pod.index,
                        "",
                        format!(
                            "no Argo Rollouts `Rollout` runs {} (`workloadRef`), so its releases have no canary analysis and no automatic rollback, which environment `{}` requires",
                            deployment.subject(),
                            cx.env.name
                        ),
                    );
                }
                continue;
            };
            out.saw();
            if deployment.value["spec"]["replicas"].as_u64() != Some(0) {
                let pointer = if deployment.value["spec"].get("replicas").is_some() {
                    "/spec/replicas"
                } else {
                    "/spec"
                };
                out.fail(
                    pod.index,
                    pointer,
                    format!(
                        "{} is not held at `replicas: 0` although {} runs its pods, so they run twice",
                        deployment.subject(),
                        rollout.subject()
                    ),
                );
            }
            for (index, hpa) in autoscalers_of(cx.set, deployment) {
                out.fail(
                    index,
                    "/spec/scaleTargetRef",
                    format!(
                        "{} scales {}, whose pods {} runs; scale the Rollout",
                        hpa.subject(),
                        deployment.subject(),
                        rollout.subject()
                    ),
                );
            }
            check_canary(cx.set, rollout_index, rollout, out);
        }
    }
}

/// The Rollout's strategy: a canary with a partial step and a background analysis whose
/// templates exist and measure an error ratio with a failing condition.
fn check_canary(set: &ManifestSet, index: usize, rollout: &Manifest, out: &mut Check) {
    let who = rollout.subject();
    let canary = &rollout.value["spec"]["strategy"]["canary"];
    if !canary.is_object() {
        out.fail(
            index,
            "/spec/strategy",
            format!("{who} has no canary strategy"),
        );
        return;
    }
    let partial = canary["steps"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|step| step["setWeight"].as_u64())
        .any(|weight| (1..100).contains(&weight));
    if !partial {
        out.fail(
            index,
            "/spec/strategy/canary",
            format!("{who} has no `setWeight` step below 100, so no release is ever a canary"),
        );
    }
    let references: Vec<&Value> = canary["analysis"]["templates"]
        .as_array()
        .into_iter()
        .flatten()
        .collect();
    if references.is_empty() {
        out.fail(
            index,
            "/spec/strategy/canary",
            format!("{who} runs no background `analysis`, so nothing aborts a failing canary"),
        );
        return;
    }
    let (mut found, mut measured) = (false, false);
    for (i, reference) in references.iter().enumerate() {
        let name = reference["templateName"].as_str().unwrap_or_default();
        let template = if reference["clusterScope"].as_bool() == Some(true) {
            set.find("ClusterAnalysisTemplate", None, name)
        } else {
            set.find("AnalysisTemplate", rollout.namespace.as_deref(), name)
        };
        let Some((_, template)) = template else {
            out.fail(
                index,
                format!("/spec/strategy/canary/analysis/templates/{i}/templateName"),
                format!("{who} analyses with `{name}`, which is not rendered"),
            );
            continue;
        };
        found = true;
        measured |= template.value["spec"]["metrics"]
            .as_array()
            .into_iter()
            .flatten()
            .any(measures_error_ratio);
    }
    // Templates that are missing are reported above; what exists must measure.
    if found && !measured {
        out.fail(
            index,
            "/spec/strategy/canary/analysis/templates",
            format!(
                "no analysis template of {who} queries Prometheus for an error ratio (5xx over all requests) with a `failureCondition` or `successCondition`"
            ),
        );
    }
}

/// Whether an analysis metric reads an error ratio from Prometheus and can fail: a query
/// that divides and selects 5xx statuses, and a condition.
fn measures_error_ratio(metric: &Value) -> bool {
    let prometheus = &metric["provider"]["prometheus"];
    let query = prometheus["query"].as_str().unwrap_or_default();
    let has_address = prometheus["address"]
        .as_str()
        .is_some_and(|address| !address.is_empty());
    let ratio = query.contains('/') && (query.contains("5..") || query.contains("5xx"));
    let condition = ["failureCondition", "successCondition"]
        .iter()
        .any(|key| metric[*key].as_str().is_some_and(|c| !c.trim().is_empty()));
    has_address && ratio && condition
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_error_ratio_needs_prometheus_a_division_over_5xx_and_a_condition() {
        let metric = json!({
            "failureCondition": "result[0] > 0.01",
            "provider": {"prometheus": {
                "address": "http://prometheus:9090",
                "query": "sum(rate(x{status=~\"5..\"}[2m])) / sum(rate(x[2m]))",
            }},
        });
        assert!(measures_error_ratio(&metric));
        let mut no_condition = metric.clone();
        no_condition
            .as_object_mut()
            .unwrap()
            .remove("failureCondition");
        assert!(!measures_error_ratio(&no_condition));
        let mut a_rate = metric.clone();
        a_rate["provider"]["prometheus"]["query"] = json!("sum(rate(x[2m]))");
        assert!(!measures_error_ratio(&a_rate));
        assert!(!measures_error_ratio(
            &json!({"successCondition": "true", "provider": {"job": {}}})
        ));
    }
}
