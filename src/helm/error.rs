//! Errors of writing the Helm chart: each names the object (and the place in it) that could
//! not be expressed.

use std::fmt;

/// A chart that could not be written.
#[derive(Debug, thiserror::Error)]
pub struct HelmError {
    /// The object that could not be expressed, as `Kind <role>/name`; `None` when the
    /// problem is not one object's.
    pub object: Option<String>,
    /// What went wrong.
    pub kind: HelmErrorKind,
}

/// The classes of chart errors.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HelmErrorKind {
    /// The environment whose values become `values.yaml` is not among those rendered.
    #[error("the reference environment `{reference}` is not one of {}", list(.environments))]
    UnknownReference {
        /// The environment asked for.
        reference: String,
        /// The environments rendered.
        environments: Vec<String>,
    },
    /// A value that differs between environments cannot pass through Helm unchanged.
    #[error("the value at `{path}` cannot pass through Helm unchanged: {reason}")]
    Unrepresentable {
        /// The place in the object, such as `spec.replicas`.
        path: String,
        /// Why not.
        reason: String,
    },
    /// Two places would share one values key, or one would sit inside the other.
    #[error("`{first}` and `{second}` would share the values key `{key}`")]
    Collision {
        /// The first place.
        first: String,
        /// The second place.
        second: String,
        /// The values key, dot-joined.
        key: String,
    },
    /// A namespace role cannot name a folder of the chart.
    #[error("the namespace role `{0}` cannot name a chart folder")]
    Role(String),
    /// The chart version is not SemVer 2.0.0.
    #[error("the chart version `{0}` is not SemVer 2.0.0 (`MAJOR.MINOR.PATCH`)")]
    Version(String),
}

fn list(items: &[String]) -> String {
    items
        .iter()
        .map(|item| format!("`{item}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl HelmError {
    /// An error about no particular object.
    pub(super) fn chart(kind: HelmErrorKind) -> HelmError {
        HelmError { object: None, kind }
    }

    /// An error about `object`.
    pub(super) fn object(object: String, kind: HelmErrorKind) -> HelmError {
        HelmError {
            object: Some(object),
            kind,
        }
    }

    /// A one-line suggestion of how to fix the problem.
    pub fn hint(&self) -> Option<&'static str> {
        match self.kind {
            HelmErrorKind::UnknownReference { .. } => {
                Some("the chart's defaults come from one environment that every render includes")
            }
            HelmErrorKind::Unrepresentable { .. } => Some(
                "Helm reads values as JSON numbers (64-bit floats) and deletes nulls; write the value as a string or make it equal in every environment",
            ),
            HelmErrorKind::Collision { .. } => {
                Some("rename one of the two objects, or one of their namespace roles")
            }
            _ => None,
        }
    }
}

impl fmt::Display for HelmError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.object {
            Some(object) => write!(f, "Helm chart: {object}: {}", self.kind)?,
            None => write!(f, "Helm chart: {}", self.kind)?,
        }
        if let Some(hint) = self.hint() {
            write!(f, "\n  hint: {hint}")?;
        }
        Ok(())
    }
}
