//! Why the schemas of a Kubernetes version could not be had.

/// A Kubernetes version [`Catalog::version`](super::Catalog::version) cannot serve.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Kubernetes version `{version}`: {kind}")]
pub struct KubeSchemaError {
    /// The version asked for, as given.
    pub version: String,
    /// What is wrong with it.
    pub kind: KubeSchemaErrorKind,
}

/// What is wrong with a requested Kubernetes version.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KubeSchemaErrorKind {
    /// Not written like `1.33` or `1.33.0`.
    #[error("not a version like `1.33` or `1.33.0`; vendored: {}", .vendored.join(", "))]
    Malformed {
        /// The versions that are vendored.
        vendored: Vec<&'static str>,
    },
    /// No schemas are vendored for this minor version.
    #[error("no schemas are vendored for it; vendored: {}", .vendored.join(", "))]
    NotVendored {
        /// The versions that are vendored.
        vendored: Vec<&'static str>,
    },
    /// The embedded data of the version does not load: a bug in daactl's vendored files,
    /// which the tests rule out.
    #[error("the vendored schemas do not load: {reason}")]
    Corrupt {
        /// What failed to load.
        reason: String,
    },
}
