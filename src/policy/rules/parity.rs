//! Environment parity (REQ-T245): the judgement of `daactl parity`, as a rule of
//! `daactl validate`.

use crate::policy::rule::{Check, Context, Rule, RuleMeta};

/// ## What it does
/// Compares the environment with the reference environment of `schemas/parity.toml`
/// (production), object by object and field by field, as `daactl parity` does: every field
/// that differs must be on the allow-list (scale, data, release, derived, platform), or differ
/// only in the environment's own namespace names and name; every object that exists in only
/// one of the two must be an allowed adapter.
///
/// ## Why is this bad?
/// A staging or development environment that differs from production in anything but scale
/// and data does not test what production runs: a security setting relaxed in development,
/// or an object only staging has, hides exactly the failures the environments exist to catch.
pub struct EnvironmentParity;

static ENVIRONMENT_PARITY: RuleMeta = RuleMeta {
    code: "E245-1",
    name: "environment-parity",
    requirement: "REQ-T245",
    summary: "The environment differs from production only in scale and data (schemas/parity.toml)",
    rationale: "REQ-T245 asks for environments that differ only in scale and data. The variance model that also writes the Kustomize overlays and the Helm chart lists every difference; the allow-list in schemas/parity.toml, with a reason per entry, says which paths are scale (replicas, sizes, quotas), data (configuration values marked as data), release (image tags and digests while promoting), derived (checksums) or platform (what development's kind cluster lacks). Anything else is a finding on the object and field that differ. It needs the reference environment rendered in the same run; checking manifest PATHS, it evaluates nothing (the requirement reads `unknown`).",
    remediation: "Make the environment match production at that path; if the difference really is scale or data, add the path to schemas/parity.toml with its category and reason. `daactl parity` lists every difference with each environment's value.",
    peers: &[],
};

impl Rule for EnvironmentParity {
    fn meta(&self) -> &RuleMeta {
        &ENVIRONMENT_PARITY
    }

    fn check(&self, cx: &Context<'_>, out: &mut Check) {
        let Some(parity) = cx.parity else {
            return;
        };
        for _ in 0..parity.compared {
            out.saw();
        }
        for violation in &parity.violations {
            let index = violation.here.then(|| {
                cx.set.manifests.iter().position(|m| {
                    m.api_version == violation.api_version
                        && m.kind == violation.kind
                        && m.namespace == violation.namespace
                        && m.name == violation.name
                })
            });
            match index.flatten() {
                Some(index) => {
                    out.fail(index, violation.pointer.clone(), violation.message.clone())
                }
                None => out.fail_environment(violation.message.clone()),
            }
        }
    }
}
