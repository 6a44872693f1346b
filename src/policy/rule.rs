//! What a rule is: its metadata, and the check it runs over one environment's manifests.

use super::catalogue::EnvironmentPolicy;
use super::manifest::ManifestSet;
use super::terraform::TerraformSource;
use crate::parity::EnvironmentParity;

/// Everything `daactl rules` and `daactl explain` print about a rule. Codes are stable and
/// never reused: `E` rules compare environments, `G` rules read the Argo CD objects that
/// deploy an environment, `K` rules read one environment's Kubernetes manifests, `T` rules
/// read its Terraform, `X` rules are about waivers.
#[derive(Debug)]
pub struct RuleMeta {
    /// Stable code, `<artifact letter><requirement number>-<n>`, e.g. `K206-2`.
    pub code: &'static str,
    /// Kebab-case name, e.g. `pod-security-context`.
    pub name: &'static str,
    /// The requirement it enforces, e.g. `REQ-T206`.
    pub requirement: &'static str,
    /// What it checks, one line.
    pub summary: &'static str,
    /// Why a violation matters.
    pub rationale: &'static str,
    /// How to fix a finding.
    pub remediation: &'static str,
    /// Equivalent checks of peer tools (Checkov, kube-score, Polaris, kube-linter).
    pub peers: &'static [&'static str],
}

/// Where a rule looks: the manifests of one environment and its policy parameters.
pub struct Context<'a> {
    /// The objects.
    pub set: &'a ManifestSet,
    /// The environment's parameters.
    pub env: &'a EnvironmentPolicy,
    /// The Kubernetes minor version the objects are meant for, e.g. `1.33`.
    pub kubernetes_version: &'a str,
    /// How the environment compares with the reference environment; `None` when no other
    /// environment was rendered alongside it.
    pub parity: Option<&'a EnvironmentParity>,
    /// The environment's Terraform (`rendered/terraform/<env>/main.tf.json`); `None` for a
    /// local environment, or when only manifests were given.
    pub terraform: Option<&'a TerraformSource>,
}

/// A finding as a rule reports it: which object, where in it, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawFinding {
    /// Index of the object in the set; `None` for a finding about the environment as a
    /// whole (something missing everywhere).
    pub manifest: Option<usize>,
    /// The Terraform block it is about (`aws_eks_cluster.main`, or `terraform` for the
    /// document as a whole): the finding points into the environment's Terraform, at
    /// `pointer` from the document's root. `None` for a finding about a manifest.
    pub terraform: Option<String>,
    /// JSON pointer inside the object (`""` for the whole object).
    pub pointer: String,
    /// What is wrong: one sentence, names in backticks, no trailing period.
    pub message: String,
}

/// What a rule collects while it runs.
#[derive(Debug, Default)]
pub struct Check {
    /// How many things it evaluated. A rule that found nothing to evaluate did not show
    /// that its requirement holds: its result is `unknown`, not `pass`.
    pub evaluated: usize,
    /// What it found.
    pub findings: Vec<RawFinding>,
    /// Objects it could not evaluate, and why.
    pub unknown: Vec<(usize, String)>,
}

impl Check {
    /// Counts one evaluated thing.
    pub fn saw(&mut self) {
        self.evaluated += 1;
    }

    /// Reports a problem at `pointer` inside object `manifest`.
    pub fn fail(
        &mut self,
        manifest: usize,
        pointer: impl Into<String>,
        message: impl Into<String>,
    ) {
        self.findings.push(RawFinding {
            manifest: Some(manifest),
            terraform: None,
            pointer: pointer.into(),
            message: message.into(),
        });
    }

    /// Reports that object `manifest` could not be evaluated: its result is `unknown`.
    pub fn unknown(&mut self, manifest: usize, reason: impl Into<String>) {
        self.unknown.push((manifest, reason.into()));
    }

    /// Reports a problem of the environment as a whole.
    pub fn fail_environment(&mut self, message: impl Into<String>) {
        self.findings.push(RawFinding {
            manifest: None,
            terraform: None,
            pointer: String::new(),
            message: message.into(),
        });
    }

    /// Reports a problem in the environment's Terraform: in block `address` (`type.name`,
    /// or `terraform` for the document), at `pointer` from the document's root.
    pub fn fail_terraform(
        &mut self,
        address: impl Into<String>,
        pointer: impl Into<String>,
        message: impl Into<String>,
    ) {
        self.findings.push(RawFinding {
            manifest: None,
            terraform: Some(address.into()),
            pointer: pointer.into(),
            message: message.into(),
        });
    }
}

/// A policy rule. Implementations are unit structs named after the problem they find,
/// documented with what they check and why, and registered in [`super::registry`].
pub trait Rule: Sync {
    /// Its metadata.
    fn meta(&self) -> &RuleMeta;
    /// Checks one environment.
    fn check(&self, cx: &Context<'_>, out: &mut Check);
}
