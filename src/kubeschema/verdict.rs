//! What checking one object found.

use std::fmt;

/// The outcome of checking one object against its kind's schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The object conforms to its kind's schema.
    Valid,
    /// Every violation, in a deterministic order (by pointer, then message).
    Invalid(Vec<Violation>),
    /// The apiVersion/kind was removed from Kubernetes at or before this version.
    Removed {
        /// The object's `apiVersion`.
        api_version: String,
        /// The object's `kind`.
        kind: String,
        /// The Kubernetes minor version that removed it, e.g. `1.25`.
        removed_in: String,
        /// The `apiVersion` serving the same kind instead, if there is one.
        replacement: Option<String>,
    },
    /// No schema is vendored for this apiVersion/kind (e.g. a custom resource nobody
    /// publishes a schema for).
    Unknown {
        /// Why, for humans.
        reason: String,
    },
}

/// One way an object breaks its schema.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Violation {
    /// JSON pointer into the object, e.g. `/spec/template/spec/containers/0/securityContext/foo`:
    /// the offending field itself for an unknown field or a wrong value, the object that
    /// lacks it for a missing required field (`""` is the whole object).
    pub pointer: String,
    /// Human message: what is wrong, naming the field and the expected type/value, no
    /// trailing period.
    pub message: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let pointer = if self.pointer.is_empty() {
            "/"
        } else {
            &self.pointer
        };
        write!(f, "{pointer}: {}", self.message)
    }
}
