//! Custom resources that no package publishes a JSON Schema of (CloudNativePG and External
//! Secrets), checked by deserializing them into the typed bindings that
//! kube-custom-resources-rs generates with kopium from the operators' own CRDs.
//!
//! The bindings carry the CRDs' structure: every field's name and type, which fields are
//! required, and the values of closed string sets. Deserializing reports the first field of
//! the wrong type (or a missing required one) at its path, and every field the bindings do
//! not know is collected on the way, so an object is held to the same strictness as the
//! vendored JSON Schemas: unknown fields, wrong types and missing required fields. Formats
//! and numeric bounds, which the bindings do not carry, are not checked (ADR 0005).
//!
//! The bindings are pinned exactly in `Cargo.toml` (kcr_postgresql_cnpg_io 3.20260607.103612,
//! kcr_external_secrets_io 3.20260613.112915), which fixes the CRD release they were
//! generated from.

use serde::de::DeserializeOwned;
use serde_json::Value;

use kcr_external_secrets_io::v1 as external_secrets;
use kcr_postgresql_cnpg_io::v1 as cnpg;

use super::crd::escape;
use super::verdict::Violation;

/// Checks one object of a typed kind: every violation found, sorted.
pub(super) type Check = fn(&Value) -> Vec<Violation>;

/// Every typed kind: `(apiVersion, kind, check)`.
pub(super) const KINDS: &[(&str, &str, Check)] = &[
    (
        "postgresql.cnpg.io/v1",
        "Backup",
        check::<cnpg::backups::Backup>,
    ),
    (
        "postgresql.cnpg.io/v1",
        "Cluster",
        check::<cnpg::clusters::Cluster>,
    ),
    (
        "postgresql.cnpg.io/v1",
        "Pooler",
        check::<cnpg::poolers::Pooler>,
    ),
    (
        "postgresql.cnpg.io/v1",
        "ScheduledBackup",
        check::<cnpg::scheduledbackups::ScheduledBackup>,
    ),
    (
        "external-secrets.io/v1",
        "ClusterExternalSecret",
        check::<external_secrets::clusterexternalsecrets::ClusterExternalSecret>,
    ),
    (
        "external-secrets.io/v1",
        "ClusterSecretStore",
        check::<external_secrets::clustersecretstores::ClusterSecretStore>,
    ),
    (
        "external-secrets.io/v1",
        "ExternalSecret",
        check::<external_secrets::externalsecrets::ExternalSecret>,
    ),
    (
        "external-secrets.io/v1",
        "SecretStore",
        check::<external_secrets::secretstores::SecretStore>,
    ),
];

/// Deserializes `object` as a `T`, collecting the fields `T` does not know on the way.
fn check<T: DeserializeOwned>(object: &Value) -> Vec<Violation> {
    let mut violations = Vec::new();
    let mut unknown = |path: serde_ignored::Path<'_>| {
        let mut segments = Vec::new();
        segments_of(&path, &mut segments);
        // `apiVersion` and `kind` are the object's identity, checked before any schema.
        if let [top] = segments.as_slice()
            && (top == "apiVersion" || top == "kind")
        {
            return;
        }
        let field = segments.last().cloned().unwrap_or_default();
        violations.push(Violation {
            pointer: pointer(&segments),
            message: format!("unknown field `{field}`"),
        });
    };
    let deserializer = serde_ignored::Deserializer::new(object, &mut unknown);
    let result: Result<T, _> = serde_path_to_error::deserialize(deserializer);
    if let Err(err) = result {
        let segments: Vec<String> = err
            .path()
            .iter()
            .filter_map(|segment| match segment {
                serde_path_to_error::Segment::Seq { index } => Some(index.to_string()),
                serde_path_to_error::Segment::Map { key } => Some(key.clone()),
                serde_path_to_error::Segment::Enum { .. }
                | serde_path_to_error::Segment::Unknown => None,
            })
            .collect();
        violations.push(Violation {
            pointer: pointer(&segments),
            message: err.into_inner().to_string(),
        });
    }
    violations.sort();
    violations.dedup();
    violations
}

/// The map keys and list indexes leading to an ignored field, outermost first.
fn segments_of(path: &serde_ignored::Path<'_>, out: &mut Vec<String>) {
    use serde_ignored::Path;
    match path {
        Path::Root => {}
        Path::Seq { parent, index } => {
            segments_of(parent, out);
            out.push(index.to_string());
        }
        Path::Map { parent, key } => {
            segments_of(parent, out);
            out.push(key.clone());
        }
        Path::Some { parent }
        | Path::NewtypeStruct { parent }
        | Path::NewtypeVariant { parent } => {
            segments_of(parent, out);
        }
    }
}

/// A JSON pointer of `segments`.
fn pointer(segments: &[String]) -> String {
    segments
        .iter()
        .map(|segment| format!("/{}", escape(segment)))
        .collect()
}
