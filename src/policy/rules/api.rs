//! REQ-T202 Kubernetes Deployment: every object is a valid object of the Kubernetes version
//! its environment runs, strictly, and uses no API version Kubernetes has removed.
//!
//! The schemas are the vendored ones of [`crate::kubeschema`]; a kind with no published
//! schema (CloudNativePG, External Secrets) is reported as not evaluated, never as passing.

use crate::kubeschema::{Catalog, Verdict};
use crate::policy::rule::{Check, Context, Rule, RuleMeta};

/// The oldest Kubernetes minor REQ-T202 accepts.
const MINIMUM_MINOR: u32 = 28;

/// ## What it does
/// Validates every object against the Kubernetes API schema (or the published CRD schema)
/// of the environment's Kubernetes version: unknown fields, wrong types and missing required
/// fields are findings at the offending field.
///
/// ## Why is this bad?
/// The API server rejects invalid objects at apply time, or silently drops unknown fields
/// (a misspelt `securityContext` key is a hardening that never happened).
pub struct InvalidKubernetesObject;

static INVALID_KUBERNETES_OBJECT: RuleMeta = RuleMeta {
    code: "K202-1",
    name: "kubernetes-schema",
    requirement: "REQ-T202",
    summary: "Every object validates strictly against the schema of its kind for the environment's Kubernetes version",
    rationale: "Kubernetes drops unknown fields of built-in kinds with only a warning, so a misspelt field is a setting that silently does not exist; wrong types and missing required fields fail at apply time, in the middle of a rollout. Checking against the exact version's OpenAPI schema (kubernetes-validate's strict schemas, vendored) finds both before merge. Kinds whose operators publish no schema in a reachable package are listed as not evaluated.",
    remediation: "Fix the field the finding points at: remove or rename unknown fields, give values the type the schema asks for, and add required fields.",
    peers: &[
        "kubeconform:-strict",
        "kube-linter:schema-validation",
        "kubernetes-validate --strict",
    ],
};

impl Rule for InvalidKubernetesObject {
    fn meta(&self) -> &RuleMeta {
        &INVALID_KUBERNETES_OBJECT
    }

    fn check(&self, cx: &Context<'_>, out: &mut Check) {
        let schemas = match Catalog::embedded().version(cx.kubernetes_version) {
            Ok(schemas) => schemas,
            Err(err) => {
                for index in 0..cx.set.manifests.len() {
                    out.unknown(index, err.to_string());
                }
                return;
            }
        };
        for (index, manifest) in cx.set.manifests.iter().enumerate() {
            match schemas.check(&manifest.value) {
                Verdict::Valid | Verdict::Removed { .. } => out.saw(),
                Verdict::Invalid(violations) => {
                    out.saw();
                    for violation in violations {
                        let at = violation
                            .pointer
                            .trim_start_matches('/')
                            .split('/')
                            .map(|token| token.replace("~1", "/").replace("~0", "~"))
                            .collect::<Vec<_>>()
                            .join(".");
                        let message = if at.is_empty() {
                            format!("{}: {}", manifest.subject(), violation.message)
                        } else {
                            format!("{}: {} at `{at}`", manifest.subject(), violation.message)
                        };
                        out.fail(index, violation.pointer, message);
                    }
                }
                Verdict::Unknown { reason } => out.unknown(index, reason),
            }
        }
    }
}

/// ## What it does
/// Checks that no object uses an API version removed at or before the environment's
/// Kubernetes version, and that the environment runs Kubernetes 1.28 or later.
///
/// ## Why is this bad?
/// A removed API version is refused by the API server: the apply fails, often only when the
/// cluster is upgraded under a manifest nobody touched.
pub struct RemovedApiVersion;

static REMOVED_API_VERSION: RuleMeta = RuleMeta {
    code: "K202-2",
    name: "removed-api-version",
    requirement: "REQ-T202",
    summary: "No object uses an API version removed from the environment's Kubernetes, which is 1.28 or later",
    rationale: "REQ-T202 asks for Kubernetes 1.28+. APIs such as `policy/v1beta1` PodDisruptionBudget, `batch/v1beta1` CronJob or `autoscaling/v2beta2` HorizontalPodAutoscaler are gone from it; manifests that still use them fail to apply (Kubernetes deprecated-API migration guide).",
    remediation: "Use the replacement API version the finding names (for example `policy/v1` for PodDisruptionBudget) and adjust the fields it renamed; run clusters on Kubernetes 1.28 or later.",
    peers: &[
        "kube-score:stable-version",
        "kube-linter:no-extensions-v1beta",
        "Datree:K8S_DEPRECATED_APIVERSION_*",
    ],
};

impl Rule for RemovedApiVersion {
    fn meta(&self) -> &RuleMeta {
        &REMOVED_API_VERSION
    }

    fn check(&self, cx: &Context<'_>, out: &mut Check) {
        let minor = cx
            .kubernetes_version
            .trim_start_matches('v')
            .strip_prefix("1.")
            .and_then(|rest| rest.split('.').next())
            .and_then(|minor| minor.parse::<u32>().ok());
        out.saw();
        if minor.is_none_or(|minor| minor < MINIMUM_MINOR) {
            out.fail_environment(format!(
                "environment `{}` runs Kubernetes `{}`; REQ-T202 requires 1.{MINIMUM_MINOR} or later",
                cx.env.name, cx.kubernetes_version
            ));
        }
        let Ok(schemas) = Catalog::embedded().version(cx.kubernetes_version) else {
            return;
        };
        for (index, manifest) in cx.set.manifests.iter().enumerate() {
            out.saw();
            if let Some(Verdict::Removed {
                api_version,
                kind,
                removed_in,
                replacement,
            }) = schemas.removal(&manifest.api_version, &manifest.kind)
            {
                let instead = replacement
                    .map(|r| format!("; use `{r}`"))
                    .unwrap_or_default();
                out.fail(
                    index,
                    "/apiVersion",
                    format!(
                        "{} uses `{api_version}` {kind}, removed in Kubernetes {removed_in}{instead}",
                        manifest.subject()
                    ),
                );
            }
        }
    }
}
