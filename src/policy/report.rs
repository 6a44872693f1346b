//! The result of a validation, as every output format sees it.

use serde::Serialize;

use super::catalogue::Severity;

/// Version of the JSON report format.
pub const REPORT_SCHEMA: &str = "daactl.report/v1";

/// The Kubernetes object a finding is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ObjectRef {
    /// `apiVersion`.
    #[serde(rename = "apiVersion")]
    pub api_version: String,
    /// `kind`.
    pub kind: String,
    /// `metadata.namespace`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// `metadata.name`.
    pub name: String,
}

impl ObjectRef {
    /// `Kind namespace/name`, or `Kind name` without a namespace.
    pub fn identity(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("{} {ns}/{}", self.kind, self.name),
            None => format!("{} {}", self.kind, self.name),
        }
    }
}

/// How a waiver that applied was written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AppliedWaiver {
    /// Why the finding is accepted.
    pub reason: String,
    /// `annotation` or `file`.
    pub source: &'static str,
    /// `file:line` of a file waiver.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// Who owns it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// When it ends.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
}

/// One finding, located and classified.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// Rule code.
    pub code: &'static str,
    /// Rule name.
    pub name: &'static str,
    /// The requirement the rule enforces (empty for waiver rules).
    pub requirement: &'static str,
    /// From the requirement's priority.
    pub severity: Severity,
    /// The environment validated (empty for findings about the waiver file).
    pub environment: String,
    /// The object, when the finding is about one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub object: Option<ObjectRef>,
    /// JSON pointer inside the object.
    pub pointer: String,
    /// The file to look at, relative to the project.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// 1-based line (0 when unknown).
    pub line: usize,
    /// 1-based column (0 when unknown).
    pub column: usize,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub remediation: &'static str,
    /// `fail` or `waived`.
    pub status: &'static str,
    /// The waiver that applied.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub waiver: Option<AppliedWaiver>,
}

impl Finding {
    /// Whether a waiver accepted it.
    pub fn is_waived(&self) -> bool {
        self.waiver.is_some()
    }

    /// `file:line:col`, `file`, or the environment's name.
    pub fn location(&self) -> String {
        match (&self.file, self.line) {
            (Some(file), 0) => file.clone(),
            (Some(file), line) => format!("{file}:{line}:{}", self.column.max(1)),
            (None, _) => format!("environment `{}`", self.environment),
        }
    }
}

/// An object a rule could not evaluate (for example, no published schema for its kind).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Unknown {
    /// The rule.
    pub code: &'static str,
    /// The object.
    pub object: ObjectRef,
    /// Its file.
    pub file: String,
    /// Why it could not be evaluated.
    pub reason: String,
}

/// The result of one requirement in one environment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// Its rules evaluated something and found nothing.
    Pass,
    /// An unwaived finding.
    Fail,
    /// Findings, all waived.
    Waived,
    /// Its rules found nothing to evaluate here, or an object could not be evaluated.
    Unknown,
    /// Shown by a generated artifact, not by rules.
    Generated,
    /// Needs evidence people record.
    Attested,
    /// Not a property of anything daactl renders.
    OutOfScope,
    /// Its rules come with an artifact not rendered yet.
    Planned,
}

impl Outcome {
    /// Kebab-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pass => "pass",
            Self::Fail => "fail",
            Self::Waived => "waived",
            Self::Unknown => "unknown",
            Self::Generated => "generated",
            Self::Attested => "attested",
            Self::OutOfScope => "out-of-scope",
            Self::Planned => "planned",
        }
    }
}

/// One requirement's result in one environment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RequirementResult {
    /// `REQ-T2xx`.
    pub id: String,
    /// The result.
    pub outcome: Outcome,
    /// How many things its rules evaluated.
    pub evaluated: usize,
}

/// The validation of one environment.
#[derive(Debug, Clone, Serialize)]
pub struct EnvironmentReport {
    /// Its name.
    pub name: String,
    /// Kubernetes version its objects were checked against.
    pub kubernetes_version: String,
    /// How many objects were validated.
    pub objects: usize,
    /// Every finding, sorted by file, line and code.
    pub findings: Vec<Finding>,
    /// Objects some rule could not evaluate.
    pub unknown: Vec<Unknown>,
    /// Every requirement's result, in requirement order.
    pub requirements: Vec<RequirementResult>,
    /// How many things each rule evaluated, in registry order.
    pub rules: Vec<RuleResult>,
}

/// What one rule did in one environment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleResult {
    /// The rule's code.
    pub code: &'static str,
    /// How many things it evaluated.
    pub evaluated: usize,
}

/// A whole validation run.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Always [`REPORT_SCHEMA`].
    pub schema: &'static str,
    /// daactl's version.
    pub version: &'static str,
    /// Each environment validated.
    pub environments: Vec<EnvironmentReport>,
    /// Findings about the waiver file itself (invalid, expired or unused entries).
    pub waiver_findings: Vec<Finding>,
}

impl Report {
    /// Every finding of the run.
    pub fn findings(&self) -> impl Iterator<Item = &Finding> {
        self.environments
            .iter()
            .flat_map(|e| &e.findings)
            .chain(&self.waiver_findings)
    }

    /// Whether any unwaived finding is at or above `threshold` (`None`: nothing fails).
    pub fn fails(&self, threshold: Option<Severity>, deny_unknown: bool) -> bool {
        let failing = threshold.is_some_and(|threshold| {
            self.findings()
                .any(|f| !f.is_waived() && f.severity >= threshold)
        });
        failing || (deny_unknown && self.environments.iter().any(|e| !e.unknown.is_empty()))
    }
}

/// How many of each label, in the order labels first appear: `3 pass, 2 unknown`.
pub fn tally<'a>(labels: impl IntoIterator<Item = &'a str>) -> String {
    let mut counts: Vec<(&str, usize)> = Vec::new();
    for label in labels {
        match counts.iter_mut().find(|(l, _)| *l == label) {
            Some((_, n)) => *n += 1,
            None => counts.push((label, 1)),
        }
    }
    counts
        .iter()
        .map(|(label, n)| format!("{n} {label}"))
        .collect::<Vec<_>>()
        .join(", ")
}
