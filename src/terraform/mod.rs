//! The Terraform of a cloud environment: `rendered/terraform/<env>/main.tf.json`, built as
//! data from the spec and serialized with serde_json (2-space indent, final newline, keys in
//! the fixed order this code inserts them), never concatenated from text.
//!
//! One document per `eks` environment holds the cloud side of the platform (REQ-T248): the
//! remote state (REQ-T249), the providers (the DR region as the aliased provider `aws.dr`),
//! the VPC and the EKS cluster with its node groups (REQ-T202, T209, T231, T243), the
//! buckets for PostgreSQL backups with replication to the DR region (REQ-T235, T237) and for
//! the log archive (REQ-T227), ECR repositories (REQ-T216), the IAM roles the workloads
//! assume, the platform namespaces with their Pod Security labels, and the pinned Helm
//! releases of the platform charts ([`charts`], values in [`values`]). Local (`kind`)
//! environments have no Terraform. [`reference`] checks that every `${...}` reference in a
//! document resolves to something it declares.

pub mod charts;
pub mod reference;
pub mod values;

mod build;

use std::collections::BTreeMap;

use serde_json::Value;

use crate::spec::Spec;

pub use build::document;

/// The file name of an environment's Terraform inside `rendered/terraform/<env>/`.
pub const FILE_NAME: &str = "main.tf.json";

/// The Terraform CLI versions the documents are written for: `use_lockfile` locking of the
/// S3 backend is generally available from 1.11.
pub const REQUIRED_VERSION: &str = ">= 1.11.0, < 2.0.0";

/// The providers, pinned exactly: `(local name, source, version)`.
pub const PROVIDERS: &[(&str, &str, &str)] = &[
    ("aws", "hashicorp/aws", "5.100.0"),
    ("helm", "hashicorp/helm", "2.17.0"),
    ("kubernetes", "hashicorp/kubernetes", "2.37.1"),
];

/// The recovery point objective the backups are built for: WAL is archived at least every
/// `archive_timeout` (one minute in the cloud specs) and the replica follows within S3
/// Replication Time Control's window, usually seconds (docs/disaster-recovery.md).
pub const RECOVERY_POINT_OBJECTIVE: &str = "5m";

/// The recovery time objective: rebuilding the cluster in the DR region from this Terraform
/// and restoring the latest base backup plus WAL from the replica bucket.
pub const RECOVERY_TIME_OBJECTIVE: &str = "1h";

/// An environment's Terraform, as the text committed at
/// `rendered/terraform/<env>/main.tf.json`; `None` for an environment without a cloud.
pub fn render(spec: &Spec) -> Option<String> {
    document(&spec.environment).map(|doc| to_text(&doc))
}

/// The files of `rendered/terraform/<env>/` for `spec`: `main.tf.json`, or none for an
/// environment without a cloud.
pub fn files(spec: &Spec) -> BTreeMap<String, String> {
    render(spec)
        .map(|text| (FILE_NAME.to_owned(), text))
        .into_iter()
        .collect()
}

/// The canonical text of a Terraform JSON document.
pub fn to_text(document: &Value) -> String {
    let mut text = serde_json::to_string_pretty(document).expect("JSON values serialize");
    text.push('\n');
    text
}

/// Where an environment's Terraform is committed, relative to the project.
pub fn path(rendered_dir: &str, environment: &str) -> String {
    format!(
        "{rendered_dir}/{}/{environment}/{FILE_NAME}",
        crate::project::TERRAFORM_DIR
    )
}
