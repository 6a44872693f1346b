//! Why a Kustomize tree could not be written.

/// A variance the Kustomize tree cannot express.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{subject}: {kind}")]
pub struct KustomizeError {
    /// What could not be written: an environment, a namespace role or an object, in words
    /// (`environment `prod``, `Deployment <app>/api`).
    pub subject: String,
    /// What is wrong with it.
    pub kind: KustomizeErrorKind,
}

/// What keeps a variance from becoming a Kustomize tree.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KustomizeErrorKind {
    /// An environment or namespace role name cannot be a folder name (empty, `.`, `..`, or
    /// holding `/` or `\`), or a role is named like the folder of objects outside roles.
    #[error("`{name}` cannot name a folder of the Kustomize tree")]
    FolderName {
        /// The name.
        name: String,
    },
    /// Two objects would be written to the same file (same folder, kind and name, differing
    /// only in API group or version).
    #[error("`{path}` would hold two objects; the other is {other}")]
    SameFile {
        /// The file, relative to the tree.
        path: String,
        /// The object already written there.
        other: String,
    },
    /// An environment renders objects in a namespace role it has no namespace for.
    #[error("environment `{environment}` has no namespace for role `{role}`")]
    NoNamespace {
        /// The environment.
        environment: String,
        /// The role.
        role: String,
    },
    /// A difference sits at a list index, which a JSON patch `add` would insert rather than
    /// set. The variance model never produces one; a hand-built [`Node`](crate::variance::Node)
    /// can.
    #[error("the difference at `{pointer}` is a list item, which a JSON patch cannot set")]
    ListItem {
        /// The difference's JSON pointer.
        pointer: String,
    },
    /// Base has no map to hold a value at this place. The variance model always leaves the
    /// map of a differing entry in base; a hand-built [`Node`](crate::variance::Node) may not.
    #[error("base has no map to hold the value at `{pointer}`")]
    NoPlace {
        /// The value's JSON pointer.
        pointer: String,
    },
}
