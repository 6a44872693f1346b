//! `manifest.json`, the bundle's table of contents: every file with its SHA-256 and size, and
//! what the files were made from and how they fared in validation.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::policy::catalogue::Severity;
use crate::policy::report::Report;

/// The manifest's path inside a bundle.
pub const MANIFEST_FILE: &str = "manifest.json";

/// The manifest's format; a reader refuses any other.
pub const MANIFEST_SCHEMA: &str = "daactl.bundle/v1";

/// The manifest of one bundle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Always [`MANIFEST_SCHEMA`].
    pub schema: String,
    /// The environment bundled.
    pub environment: String,
    /// The daactl version that rendered it.
    pub daactl_version: String,
    /// The git commit of the project, when it is a git checkout.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_commit: Option<String>,
    /// What the files were rendered from.
    pub inputs: Inputs,
    /// How the environment fared in `daactl validate`.
    pub validation: ValidationSummary,
    /// Every other file of the bundle, in path order.
    pub files: Vec<FileDigest>,
}

/// The sources of a render, each with its digest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Inputs {
    /// Every environment spec (the shared Kustomize base and the chart's defaults are built
    /// from all of them).
    pub specs: Vec<InputDigest>,
    /// Every template, as `templates/<name>`.
    pub templates: Vec<InputDigest>,
    /// `--templates DIR` instead of the built-in templates.
    pub custom_templates: bool,
    /// The project's waiver file, when it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waivers: Option<InputDigest>,
}

impl Inputs {
    /// Every input, specs first.
    pub fn all(&self) -> impl Iterator<Item = &InputDigest> {
        self.specs
            .iter()
            .chain(&self.templates)
            .chain(self.waivers.as_ref())
    }
}

/// One input file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InputDigest {
    /// Its project-relative path.
    pub path: String,
    /// Its SHA-256, hex.
    pub sha256: String,
}

impl InputDigest {
    /// The digest of `bytes`, named `path`.
    pub fn of(path: impl Into<String>, bytes: &[u8]) -> InputDigest {
        InputDigest {
            path: path.into(),
            sha256: super::sha256_hex(bytes),
        }
    }
}

/// One file of the bundle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileDigest {
    /// Its path in the bundle.
    pub path: String,
    /// Its SHA-256, hex.
    pub sha256: String,
    /// Its size in bytes.
    pub size: u64,
}

/// The outcome of validating the bundled environment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ValidationSummary {
    /// Whether no unwaived finding is at or above `fail_on`.
    pub passed: bool,
    /// The lowest severity that fails.
    pub fail_on: String,
    /// How many objects were checked.
    pub objects: usize,
    /// Unwaived findings by severity (every severity listed, 0 included).
    pub findings: BTreeMap<String, usize>,
    /// Waived findings.
    pub waived: usize,
    /// Objects some rule could not evaluate.
    pub unknown: usize,
    /// How many requirements had each outcome (`pass`, `waived`, `generated`, ...).
    pub requirements: BTreeMap<String, usize>,
}

impl ValidationSummary {
    /// Summarizes a report of one environment, judged at `fail_on`.
    pub fn of(report: &Report, fail_on: Severity) -> ValidationSummary {
        let mut findings: BTreeMap<String, usize> = [
            Severity::Critical,
            Severity::High,
            Severity::Medium,
            Severity::Low,
        ]
        .iter()
        .map(|s| (s.as_str().to_owned(), 0))
        .collect();
        let mut waived = 0;
        for finding in report.findings() {
            if finding.is_waived() {
                waived += 1;
            } else {
                *findings
                    .entry(finding.severity.as_str().to_owned())
                    .or_default() += 1;
            }
        }
        let mut requirements = BTreeMap::new();
        for result in report.environments.iter().flat_map(|e| &e.requirements) {
            *requirements
                .entry(result.outcome.as_str().to_owned())
                .or_default() += 1;
        }
        ValidationSummary {
            passed: !report.fails(Some(fail_on), false),
            fail_on: fail_on.as_str().to_owned(),
            objects: report.environments.iter().map(|e| e.objects).sum(),
            findings,
            waived,
            unknown: report.environments.iter().map(|e| e.unknown.len()).sum(),
            requirements,
        }
    }
}

impl Manifest {
    /// The manifest as the bundle stores it: pretty JSON with a final line break.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut bytes = serde_json::to_vec_pretty(self).expect("a manifest serializes");
        bytes.push(b'\n');
        bytes
    }

    /// Reads a stored manifest.
    pub fn from_bytes(bytes: &[u8]) -> Result<Manifest, String> {
        let manifest: Manifest = serde_json::from_slice(bytes).map_err(|err| err.to_string())?;
        if manifest.schema != MANIFEST_SCHEMA {
            return Err(format!(
                "schema `{}` is not `{MANIFEST_SCHEMA}` (made by another daactl version?)",
                manifest.schema
            ));
        }
        Ok(manifest)
    }
}
