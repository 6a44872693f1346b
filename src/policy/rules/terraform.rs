//! The `T` rules: what an environment's Terraform (`rendered/terraform/<env>/main.tf.json`)
//! must declare for REQ-T202, T203, T206, T209, T216, T221, T227, T231, T233, T237, T243,
//! T248 and T249.
//!
//! A local environment (`cloud = false`) has no cloud to provision: each rule counts that as
//! evaluated (it holds: nothing is needed), and T248-1 fails if such an environment has a
//! Terraform document after all. A cloud environment validated without its Terraform (only
//! manifest files were given) evaluates nothing, so those requirements read `unknown`.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::policy::rule::{Check, Context, Rule, RuleMeta};
use crate::policy::terraform::{Block, TerraformSource};
use crate::terraform::reference;

/// The document the rule checks: `Some` in a cloud environment that has one. A local
/// environment needs none, which the rule counts as evaluated.
fn cloud_document<'a>(cx: &Context<'a>, out: &mut Check) -> Option<&'a TerraformSource> {
    if !cx.env.cloud {
        out.saw();
        return None;
    }
    cx.terraform
}

/// A JSON value's string, or `""`.
fn text(value: &Value) -> &str {
    value.as_str().unwrap_or_default()
}

/// A block's attribute that may be written as one object or a list of objects (Terraform
/// JSON allows both for nested blocks).
fn nested(value: &Value) -> Vec<&Value> {
    match value {
        Value::Array(items) => items.iter().collect(),
        Value::Null => Vec::new(),
        other => vec![other],
    }
}

/// An exact version: `1.2.3` or `v1.2.3`, optionally after `=`, with no range operator.
fn is_exact_version(version: &str) -> bool {
    let version = version.trim().trim_start_matches('=').trim();
    let version = version.strip_prefix('v').unwrap_or(version);
    let core = version.split(['-', '+']).next().unwrap_or_default();
    core.split('.').count() == 3 && core.split('.').all(|p| p.parse::<u64>().is_ok())
}

/// `(major, minor)` of a version such as `1.24.2` or `v1.28`.
fn major_minor(version: &str) -> Option<(u64, u64)> {
    let version = version.trim().trim_start_matches('v');
    let mut parts = version.split('.');
    Some((parts.next()?.parse().ok()?, parts.next()?.parse().ok()?))
}

/// Fails when the document declares no resource of `kind`.
fn require_some(doc: &TerraformSource, kind: &str, what: &str, out: &mut Check) -> bool {
    if doc.resources(kind).next().is_none() {
        out.fail_terraform(
            "terraform",
            "/resource",
            format!("the Terraform declares no `{kind}` ({what})"),
        );
        return false;
    }
    true
}

// ------------------------------------------------------------------------- REQ-T202

/// ## What it does
/// Checks that every `aws_eks_cluster` sets `version` to Kubernetes 1.28 or later.
///
/// ## Why is this bad?
/// Without a version EKS picks its current default, so two applies a month apart build
/// different clusters; versions before 1.28 lack the APIs the manifests use and are out of
/// standard support.
pub struct OutdatedEksVersion;

static EKS_VERSION: RuleMeta = RuleMeta {
    code: "T202-1",
    name: "eks-version",
    requirement: "REQ-T202",
    summary: "The EKS cluster pins Kubernetes 1.28 or later",
    rationale: "REQ-T202 asks for Kubernetes 1.28+. An unset `version` lets EKS choose, so the cluster's version is not in the code; older versions miss APIs the rendered manifests use.",
    remediation: "Set `cluster.kubernetes_version` in the spec to `1.28` or later; daactl writes it to `aws_eks_cluster.version`.",
    peers: &["CKV_AWS_339"],
};

impl Rule for OutdatedEksVersion {
    fn meta(&self) -> &RuleMeta {
        &EKS_VERSION
    }

    fn check(&self, cx: &Context<'_>, out: &mut Check) {
        let Some(doc) = cloud_document(cx, out) else {
            return;
        };
        if !require_some(doc, "aws_eks_cluster", "the Kubernetes cluster", out) {
            return;
        }
        for cluster in doc.resources("aws_eks_cluster") {
            out.saw();
            let version = text(&cluster.body["version"]);
            match major_minor(version) {
                Some((1, minor)) if minor >= 28 => {}
                _ => out.fail_terraform(
                    cluster.address(),
                    cluster.pointer("version"),
                    format!(
                        "`{}` runs Kubernetes `{version}`; REQ-T202 needs 1.28 or later, pinned",
                        cluster.address()
                    ),
                ),
            }
        }
    }
}

// ------------------------------------------------------------------------- REQ-T203

/// The Istio charts a mesh with the CNI plugin needs.
const ISTIO_CHARTS: &[&str] = &["base", "istiod", "cni", "gateway"];

/// ## What it does
/// Checks that the Terraform installs Istio's `base`, `istiod`, `cni` and `gateway` charts
/// from Istio's repository, all at one version of 1.20 or later.
///
/// ## Why is this bad?
/// Without `cni` the sidecar's `istio-init` container needs NET_ADMIN, which the
/// `restricted` Pod Security profile of the application namespaces refuses; charts at
/// different versions run a control plane and data plane Istio does not support together.
pub struct IncompleteIstioInstall;

static ISTIO: RuleMeta = RuleMeta {
    code: "T203-1",
    name: "istio-install",
    requirement: "REQ-T203",
    summary: "Istio 1.20+ is installed with base, istiod, cni and gateway at one version",
    rationale: "REQ-T203 asks for Istio 1.20+. Restricted Pod Security in the application namespaces needs the Istio CNI plugin instead of the privileged `istio-init` container, and Istio supports its components only at matching versions.",
    remediation: "Install the `base`, `istiod`, `cni` and `gateway` charts as `helm_release`s with the same exact `version` (1.20 or later): daactl takes it from `ISTIO_VERSION` in src/terraform/charts.rs.",
    peers: &[],
};

impl Rule for IncompleteIstioInstall {
    fn meta(&self) -> &RuleMeta {
        &ISTIO
    }

    fn check(&self, cx: &Context<'_>, out: &mut Check) {
        let Some(doc) = cloud_document(cx, out) else {
            return;
        };
        let istio: Vec<Block<'_>> = doc
            .resources("helm_release")
            .filter(|r| text(&r.body["repository"]).contains("istio"))
            .collect();
        out.saw();
        for chart in ISTIO_CHARTS {
            if !istio.iter().any(|r| text(&r.body["chart"]) == *chart) {
                out.fail_terraform(
                    "terraform",
                    "/resource",
                    format!("no `helm_release` installs Istio's `{chart}` chart"),
                );
            }
        }
        let versions: BTreeSet<&str> = istio.iter().map(|r| text(&r.body["version"])).collect();
        if versions.len() > 1 {
            let release = istio[0];
            out.fail_terraform(
                release.address(),
                release.pointer("version"),
                format!(
                    "Istio's charts are installed at different versions ({})",
                    versions.into_iter().collect::<Vec<_>>().join(", ")
                ),
            );
        }
        for release in &istio {
            let version = text(&release.body["version"]);
            if !matches!(major_minor(version), Some((1, minor)) if minor >= 20) {
                out.fail_terraform(
                    release.address(),
                    release.pointer("version"),
                    format!(
                        "`{}` installs Istio `{version}`; REQ-T203 needs 1.20 or later",
                        release.address()
                    ),
                );
            }
        }
    }
}

// ------------------------------------------------------------------------- REQ-T206

/// ## What it does
/// Checks that every namespace the Terraform creates (`kubernetes_namespace_v1`,
/// `kubernetes_namespace`) enforces the `restricted` Pod Security Standard.
///
/// ## Why is this bad?
/// Platform namespaces run third-party charts; without `restricted` any of them may start
/// privileged or host-mounting pods unnoticed. A namespace that truly needs host access
/// (Istio's CNI node agent) is an exception recorded as a waiver with its reason.
pub struct PlatformNamespaceNotRestricted;

static NAMESPACES: RuleMeta = RuleMeta {
    code: "T206-1",
    name: "terraform-namespace-restricted",
    requirement: "REQ-T206",
    summary: "Namespaces created by Terraform enforce the restricted Pod Security Standard",
    rationale: "REQ-T206 asks for restricted pod security everywhere. Namespaces created by Terraform for platform charts are held to the same label; the few that need host access are waived one by one with the reason.",
    remediation: "Label the namespace `pod-security.kubernetes.io/enforce: restricted`, or record why it cannot be in daactl-waivers.toml (kind = the resource type, name = the block name).",
    peers: &[],
};

impl Rule for PlatformNamespaceNotRestricted {
    fn meta(&self) -> &RuleMeta {
        &NAMESPACES
    }

    fn check(&self, cx: &Context<'_>, out: &mut Check) {
        let Some(doc) = cloud_document(cx, out) else {
            return;
        };
        let blocks = doc
            .resources("kubernetes_namespace_v1")
            .chain(doc.resources("kubernetes_namespace"));
        out.saw();
        for block in blocks {
            out.saw();
            for metadata in nested(&block.body["metadata"]) {
                let level = text(&metadata["labels"]["pod-security.kubernetes.io/enforce"]);
                if level != "restricted" {
                    let shown = if level.is_empty() { "no level" } else { level };
                    out.fail_terraform(
                        block.address(),
                        block.pointer("metadata"),
                        format!(
                            "namespace `{}` ({}) enforces {shown}, not `restricted`",
                            text(&metadata["name"]),
                            block.address()
                        ),
                    );
                }
            }
        }
    }
}

// ------------------------------------------------------------------------- REQ-T209

/// ## What it does
/// Checks that every `aws_eks_cluster` encrypts Kubernetes Secrets with a KMS key
/// (`encryption_config` with `resources = ["secrets"]` and a `provider.key_arn`).
///
/// ## Why is this bad?
/// Without envelope encryption Secrets sit in etcd protected only by the disk encryption
/// AWS applies to everything; a KMS key adds access control and an audit trail per use.
pub struct UnencryptedClusterSecrets;

static SECRETS: RuleMeta = RuleMeta {
    code: "T209-1",
    name: "eks-secrets-encryption",
    requirement: "REQ-T209",
    summary: "EKS encrypts Kubernetes Secrets with a KMS key",
    rationale: "REQ-T209 asks for secrets encrypted at rest. EKS envelope encryption with a customer-managed KMS key puts every Secret read behind a key policy and CloudTrail.",
    remediation: "Give `aws_eks_cluster` an `encryption_config` with `resources = [\"secrets\"]` and `provider.key_arn` naming an `aws_kms_key` with rotation on.",
    peers: &["CKV_AWS_58"],
};

impl Rule for UnencryptedClusterSecrets {
    fn meta(&self) -> &RuleMeta {
        &SECRETS
    }

    fn check(&self, cx: &Context<'_>, out: &mut Check) {
        let Some(doc) = cloud_document(cx, out) else {
            return;
        };
        if !require_some(doc, "aws_eks_cluster", "the Kubernetes cluster", out) {
            return;
        }
        for cluster in doc.resources("aws_eks_cluster") {
            out.saw();
            let encrypted = nested(&cluster.body["encryption_config"])
                .into_iter()
                .any(|config| {
                    nested(&config["resources"]).iter().any(|r| {
                        r.as_array().map_or(text(r) == "secrets", |a| {
                            a.iter().any(|x| text(x) == "secrets")
                        })
                    }) && nested(&config["provider"])
                        .iter()
                        .any(|p| !text(&p["key_arn"]).is_empty())
                });
            if !encrypted {
                out.fail_terraform(
                    cluster.address(),
                    cluster.pointer("encryption_config"),
                    format!(
                        "`{}` does not encrypt Secrets with a KMS key",
                        cluster.address()
                    ),
                );
            }
        }
        for key in doc.resources("aws_kms_key") {
            if key.body["enable_key_rotation"] != Value::Bool(true) {
                out.fail_terraform(
                    key.address(),
                    key.pointer("enable_key_rotation"),
                    format!("KMS key `{}` does not rotate", key.address()),
                );
            }
        }
    }
}

// ------------------------------------------------------------------------- REQ-T216

/// ## What it does
/// Checks that every `aws_ecr_repository` has immutable tags and scans on push, and has an
/// `aws_ecr_lifecycle_policy` that expires images after at most 30 days in a rule that
/// applies to non-release images. An environment that only reads the registry of record
/// (`data "aws_ecr_repository"`) is evaluated by what it reads.
///
/// ## Why is this bad?
/// A mutable tag can be pushed over, so the image a digest-less reference runs changes
/// under it; unscanned images ship known vulnerabilities; without expiry, build images pile
/// up without bound.
pub struct UnsafeImageRepository;

static REGISTRY: RuleMeta = RuleMeta {
    code: "T216-1",
    name: "ecr-repository",
    requirement: "REQ-T216",
    summary: "ECR repositories: immutable tags, scan on push, non-production images expire within 30 days",
    rationale: "REQ-T216 asks for immutable tags and 30-day retention of non-production images. ECR enforces immutability itself; the lifecycle policy keeps release images and expires the rest.",
    remediation: "Set `image_tag_mutability = \"IMMUTABLE\"` and `image_scanning_configuration.scan_on_push = true`, and attach an `aws_ecr_lifecycle_policy` whose last rule expires `tagStatus: any` images `sinceImagePushed` 30 days.",
    peers: &["CKV_AWS_51", "CKV_AWS_163"],
};

/// Whether an ECR lifecycle policy document expires images within 30 days.
fn expires_within_30_days(policy: &Value) -> bool {
    nested(&policy["rules"]).iter().any(|rule| {
        let selection = &rule["selection"];
        text(&rule["action"]["type"]) == "expire"
            && text(&selection["countType"]) == "sinceImagePushed"
            && text(&selection["countUnit"]) == "days"
            && selection["countNumber"].as_u64().is_some_and(|d| d <= 30)
    })
}

impl Rule for UnsafeImageRepository {
    fn meta(&self) -> &RuleMeta {
        &REGISTRY
    }

    fn check(&self, cx: &Context<'_>, out: &mut Check) {
        let Some(doc) = cloud_document(cx, out) else {
            return;
        };
        let owned: Vec<Block<'_>> = doc.resources("aws_ecr_repository").collect();
        let read = doc.data("aws_ecr_repository").count();
        if owned.is_empty() && read == 0 {
            out.fail_terraform(
                "terraform",
                "/resource",
                "the Terraform neither declares nor reads an `aws_ecr_repository`",
            );
            return;
        }
        out.evaluated += read;
        let policies: Vec<Block<'_>> = doc.resources("aws_ecr_lifecycle_policy").collect();
        for repo in owned {
            out.saw();
            let who = repo.address();
            if text(&repo.body["image_tag_mutability"]) != "IMMUTABLE" {
                out.fail_terraform(
                    &who,
                    repo.pointer("image_tag_mutability"),
                    format!("`{who}` lets tags be overwritten (`image_tag_mutability` is not `IMMUTABLE`)"),
                );
            }
            let scans = nested(&repo.body["image_scanning_configuration"])
                .iter()
                .any(|c| c["scan_on_push"] == Value::Bool(true));
            if !scans {
                out.fail_terraform(
                    &who,
                    repo.pointer("image_scanning_configuration"),
                    format!("`{who}` does not scan images on push"),
                );
            }
            let reference = format!("${{{who}.name}}");
            let policy = policies
                .iter()
                .find(|p| text(&p.body["repository"]) == reference);
            match policy {
                None => out.fail_terraform(
                    &who,
                    repo.pointer(""),
                    format!(
                        "`{who}` has no `aws_ecr_lifecycle_policy`, so old images never expire"
                    ),
                ),
                Some(policy) => {
                    let parsed: Value =
                        serde_json::from_str(text(&policy.body["policy"])).unwrap_or(Value::Null);
                    if !expires_within_30_days(&parsed) {
                        out.fail_terraform(
                            policy.address(),
                            policy.pointer("policy"),
                            format!(
                                "`{}` expires no image within 30 days of its push",
                                policy.address()
                            ),
                        );
                    }
                }
            }
        }
    }
}

// ------------------------------------------------------------------------- REQ-T221

/// ## What it does
/// Checks that the Terraform installs kube-prometheus-stack with node-exporter,
/// kube-state-metrics and the kubelet's cAdvisor metrics on, and Prometheus selecting
/// ServiceMonitors, PodMonitors and rules from every release (the `*NilUsesHelmValues`
/// settings false).
///
/// ## Why is this bad?
/// With the chart's default selectors Prometheus only reads monitors labelled with its own
/// release, so the ServiceMonitors daactl renders would be ignored; without the exporters
/// there are no node or cluster metrics.
pub struct IncompleteMetricsStack;

static METRICS: RuleMeta = RuleMeta {
    code: "T221-1",
    name: "metrics-stack",
    requirement: "REQ-T221",
    summary: "kube-prometheus-stack runs node-exporter, kube-state-metrics and cAdvisor and reads every namespace's monitors",
    rationale: "REQ-T221 asks for Prometheus and Grafana with node and application exporters. The chart ignores monitors of other releases unless its `*SelectorNilUsesHelmValues` settings are false.",
    remediation: "Install the `kube-prometheus-stack` chart with `nodeExporter.enabled`, `kubeStateMetrics.enabled`, `kubelet.serviceMonitor.cAdvisor` true and `prometheus.prometheusSpec.{serviceMonitor,podMonitor,rule}SelectorNilUsesHelmValues` false.",
    peers: &[],
};

/// The values documents of a `helm_release`, merged shallowly in order.
fn release_values(release: &Block<'_>) -> Vec<Value> {
    nested(&release.body["values"])
        .into_iter()
        .filter_map(|v| serde_json::from_str(text(v)).ok())
        .collect()
}

/// The first value at `pointer` in any of `values`.
fn value_at<'v>(values: &'v [Value], pointer: &str) -> Option<&'v Value> {
    values.iter().rev().find_map(|v| v.pointer(pointer))
}

impl Rule for IncompleteMetricsStack {
    fn meta(&self) -> &RuleMeta {
        &METRICS
    }

    fn check(&self, cx: &Context<'_>, out: &mut Check) {
        let Some(doc) = cloud_document(cx, out) else {
            return;
        };
        let Some(release) = doc
            .resources("helm_release")
            .find(|r| text(&r.body["chart"]) == "kube-prometheus-stack")
        else {
            out.fail_terraform(
                "terraform",
                "/resource",
                "no `helm_release` installs the `kube-prometheus-stack` chart",
            );
            return;
        };
        out.saw();
        let values = release_values(&release);
        let expect = [
            ("/nodeExporter/enabled", true),
            ("/kubeStateMetrics/enabled", true),
            ("/kubelet/serviceMonitor/cAdvisor", true),
            (
                "/prometheus/prometheusSpec/serviceMonitorSelectorNilUsesHelmValues",
                false,
            ),
            (
                "/prometheus/prometheusSpec/podMonitorSelectorNilUsesHelmValues",
                false,
            ),
            (
                "/prometheus/prometheusSpec/ruleSelectorNilUsesHelmValues",
                false,
            ),
        ];
        for (pointer, wanted) in expect {
            if value_at(&values, pointer) != Some(&Value::Bool(wanted)) {
                out.fail_terraform(
                    release.address(),
                    release.pointer("values"),
                    format!(
                        "`{}` does not set `{}` to `{wanted}` in its values",
                        release.address(),
                        pointer.trim_start_matches('/').replace('/', ".")
                    ),
                );
            }
        }
    }
}

// ------------------------------------------------------------------------- REQ-T227

/// ## What it does
/// Checks the buckets the Terraform creates: each has versioning enabled, KMS encryption,
/// all four public access blocks on, and a lifecycle rule that moves objects to
/// STANDARD_IA by day 30, to GLACIER by day 90 and expires them by day 365. Checks that Loki,
/// when installed, keeps logs 720h with compactor retention on.
///
/// ## Why is this bad?
/// Log archives and backups hold customer data: a public or unencrypted bucket leaks it, an
/// unversioned one loses it to one bad delete, and without a lifecycle cost grows forever
/// and retention promises are not kept.
pub struct UnmanagedLogArchive;

static ARCHIVE: RuleMeta = RuleMeta {
    code: "T227-1",
    name: "bucket-lifecycle",
    requirement: "REQ-T227",
    summary: "Buckets are versioned, KMS-encrypted, private and tiered 30/90/365 days; Loki keeps 30 days",
    rationale: "REQ-T227 asks for 30 days hot, 90 warm and 365 cold, archived to object storage. The tiers are S3 lifecycle transitions (cumulative days); versioning, KMS and the public access block keep the archive intact and private.",
    remediation: "For each `aws_s3_bucket` add `aws_s3_bucket_versioning` (Enabled), `aws_s3_bucket_server_side_encryption_configuration` (`aws:kms`), `aws_s3_bucket_public_access_block` (all four true) and `aws_s3_bucket_lifecycle_configuration` with transitions at 30 (STANDARD_IA) and 90 (GLACIER) days and expiration at 365.",
    peers: &["CKV_AWS_21", "CKV_AWS_145", "CKV2_AWS_6", "CKV2_AWS_61"],
};

/// The companion resource of `kind` whose `bucket` is `${aws_s3_bucket.<name>.id}`.
fn companion<'a>(doc: &'a TerraformSource, kind: &'a str, bucket: &str) -> Option<Block<'a>> {
    let wanted = format!("${{aws_s3_bucket.{bucket}.id}}");
    doc.resources(kind)
        .find(|r| text(&r.body["bucket"]) == wanted)
}

/// What is missing from a bucket's lifecycle rules.
fn lifecycle_gaps(lifecycle: &Value) -> Vec<&'static str> {
    let rules: Vec<&Value> = nested(&lifecycle["rule"])
        .into_iter()
        .filter(|r| text(&r["status"]) == "Enabled")
        .collect();
    let transition = |class: &str, days: u64| {
        rules.iter().any(|r| {
            nested(&r["transition"]).iter().any(|t| {
                text(&t["storage_class"]) == class && t["days"].as_u64().is_some_and(|d| d <= days)
            })
        })
    };
    let mut gaps = Vec::new();
    if !transition("STANDARD_IA", 30) {
        gaps.push("a transition to STANDARD_IA by day 30");
    }
    if !transition("GLACIER", 90) && !transition("DEEP_ARCHIVE", 90) {
        gaps.push("a transition to GLACIER by day 90");
    }
    let expires = rules.iter().any(|r| {
        nested(&r["expiration"])
            .iter()
            .any(|e| e["days"].as_u64().is_some_and(|d| (90..=365).contains(&d)))
    });
    if !expires {
        gaps.push("an expiration by day 365");
    }
    gaps
}

impl Rule for UnmanagedLogArchive {
    fn meta(&self) -> &RuleMeta {
        &ARCHIVE
    }

    fn check(&self, cx: &Context<'_>, out: &mut Check) {
        let Some(doc) = cloud_document(cx, out) else {
            return;
        };
        if !require_some(doc, "aws_s3_bucket", "the log archive", out) {
            return;
        }
        for bucket in doc.resources("aws_s3_bucket") {
            out.saw();
            let who = bucket.address();
            let versioned =
                companion(doc, "aws_s3_bucket_versioning", bucket.name).is_some_and(|v| {
                    nested(&v.body["versioning_configuration"])
                        .iter()
                        .any(|c| text(&c["status"]) == "Enabled")
                });
            if !versioned {
                out.fail_terraform(
                    &who,
                    bucket.pointer(""),
                    format!("`{who}` is not versioned"),
                );
            }
            let encrypted = companion(
                doc,
                "aws_s3_bucket_server_side_encryption_configuration",
                bucket.name,
            )
            .is_some_and(|e| {
                nested(&e.body["rule"]).iter().any(|r| {
                    nested(&r["apply_server_side_encryption_by_default"])
                        .iter()
                        .any(|d| text(&d["sse_algorithm"]).starts_with("aws:kms"))
                })
            });
            if !encrypted {
                out.fail_terraform(
                    &who,
                    bucket.pointer(""),
                    format!("`{who}` is not encrypted with KMS"),
                );
            }
            let private = companion(doc, "aws_s3_bucket_public_access_block", bucket.name)
                .is_some_and(|b| {
                    [
                        "block_public_acls",
                        "block_public_policy",
                        "ignore_public_acls",
                        "restrict_public_buckets",
                    ]
                    .iter()
                    .all(|k| b.body[*k] == Value::Bool(true))
                });
            if !private {
                out.fail_terraform(
                    &who,
                    bucket.pointer(""),
                    format!("`{who}` does not block every kind of public access"),
                );
            }
            match companion(doc, "aws_s3_bucket_lifecycle_configuration", bucket.name) {
                None => out.fail_terraform(
                    &who,
                    bucket.pointer(""),
                    format!("`{who}` has no lifecycle configuration (30/90/365 days)"),
                ),
                Some(lifecycle) => {
                    let gaps = lifecycle_gaps(lifecycle.body);
                    if !gaps.is_empty() {
                        out.fail_terraform(
                            lifecycle.address(),
                            lifecycle.pointer("rule"),
                            format!("`{}` lacks {}", lifecycle.address(), gaps.join(", ")),
                        );
                    }
                }
            }
        }
        for loki in doc
            .resources("helm_release")
            .filter(|r| text(&r.body["chart"]) == "loki")
        {
            let values = release_values(&loki);
            let retention = value_at(&values, "/loki/limits_config/retention_period");
            let compactor = value_at(&values, "/loki/compactor/retention_enabled");
            if retention.map(text) != Some("720h") || compactor != Some(&Value::Bool(true)) {
                out.fail_terraform(
                    loki.address(),
                    loki.pointer("values"),
                    format!(
                        "`{}` does not keep logs 720h with compactor retention on",
                        loki.address()
                    ),
                );
            }
        }
    }
}

// ------------------------------------------------------------------------- REQ-T231

/// ## What it does
/// Checks that the EKS node groups together place nodes in every availability zone the
/// environment's policy asks for (`zones`), judged by the zones of the subnets they use.
///
/// ## Why is this bad?
/// Pods can only spread over zones that have nodes: topology spread constraints on the
/// workloads mean nothing if every node sits in one zone.
pub struct NodeGroupsInTooFewZones;

static ZONES: RuleMeta = RuleMeta {
    code: "T231-1",
    name: "node-group-zones",
    requirement: "REQ-T231",
    summary: "EKS node groups span the environment's availability zones",
    rationale: "REQ-T231 asks for workloads across availability zones; that needs nodes in each zone, which the node groups' subnets decide.",
    remediation: "Give the cluster one `aws_eks_node_group` per zone (or one spanning subnets in every zone); list the zones in the spec's `cluster.zones`.",
    peers: &[],
};

impl Rule for NodeGroupsInTooFewZones {
    fn meta(&self) -> &RuleMeta {
        &ZONES
    }

    fn check(&self, cx: &Context<'_>, out: &mut Check) {
        let Some(doc) = cloud_document(cx, out) else {
            return;
        };
        if !require_some(doc, "aws_eks_node_group", "the cluster's nodes", out) {
            return;
        }
        let mut zones = BTreeSet::new();
        for group in doc.resources("aws_eks_node_group") {
            out.saw();
            for subnet in nested(&group.body["subnet_ids"]) {
                // `${aws_subnet.<name>.id}` -> the subnet's `availability_zone`.
                let address = text(subnet)
                    .strip_prefix("${")
                    .and_then(|s| s.strip_suffix(".id}"))
                    .unwrap_or_default();
                if let Some(zone) = doc
                    .resource(address)
                    .and_then(|s| s.body["availability_zone"].as_str())
                {
                    zones.insert(zone);
                }
            }
        }
        let wanted = cx.env.zones as usize;
        if zones.len() < wanted {
            out.fail_terraform(
                "terraform",
                "/resource/aws_eks_node_group",
                format!(
                    "the node groups place nodes in {} zone(s) ({}); environment `{}` needs {wanted}",
                    zones.len(),
                    zones.into_iter().collect::<Vec<_>>().join(", "),
                    cx.env.name
                ),
            );
        }
    }
}

// ------------------------------------------------------------------------- REQ-T233

/// ## What it does
/// Checks that the Terraform installs metrics-server, which HorizontalPodAutoscalers read
/// CPU and memory use from, and that every EKS node group can grow (`max_size` above
/// `min_size`).
///
/// ## Why is this bad?
/// Without metrics-server every autoscaler reports `unknown` metrics and never scales; node
/// groups that cannot grow leave scaled-out pods pending.
pub struct NoAutoscalingSupport;

static SCALING: RuleMeta = RuleMeta {
    code: "T233-1",
    name: "autoscaling-support",
    requirement: "REQ-T233",
    summary: "metrics-server is installed and node groups can grow",
    rationale: "REQ-T233 asks for metric-driven autoscaling: HorizontalPodAutoscalers need metrics-server, and added pods need room on nodes the group can add.",
    remediation: "Install the `metrics-server` chart as a `helm_release` and give each `aws_eks_node_group` a `scaling_config.max_size` above `min_size`.",
    peers: &[],
};

impl Rule for NoAutoscalingSupport {
    fn meta(&self) -> &RuleMeta {
        &SCALING
    }

    fn check(&self, cx: &Context<'_>, out: &mut Check) {
        let Some(doc) = cloud_document(cx, out) else {
            return;
        };
        out.saw();
        if !doc
            .resources("helm_release")
            .any(|r| text(&r.body["chart"]) == "metrics-server")
        {
            out.fail_terraform(
                "terraform",
                "/resource",
                "no `helm_release` installs `metrics-server`, so autoscalers get no metrics",
            );
        }
        for group in doc.resources("aws_eks_node_group") {
            out.saw();
            let growable = nested(&group.body["scaling_config"])
                .iter()
                .any(|s| s["max_size"].as_u64().unwrap_or(0) > s["min_size"].as_u64().unwrap_or(0));
            if !growable {
                out.fail_terraform(
                    group.address(),
                    group.pointer("scaling_config"),
                    format!("`{}` cannot grow beyond its minimum size", group.address()),
                );
            }
        }
    }
}

// ------------------------------------------------------------------------- REQ-T237

/// ## What it does
/// Checks that the Terraform configures an aliased `aws` provider for a second region, and
/// that the bucket holding PostgreSQL backups replicates (`aws_s3_bucket_replication_configuration`,
/// enabled) to a bucket created through that provider.
///
/// ## Why is this bad?
/// Backups in the primary region die with it: the disaster-recovery site needs its own copy,
/// made continuously, to meet a recovery point objective of minutes.
pub struct NoDisasterRecoveryCopy;

static DR: RuleMeta = RuleMeta {
    code: "T237-1",
    name: "dr-region-replication",
    requirement: "REQ-T237",
    summary: "A second-region provider exists and backups replicate to a bucket there",
    rationale: "REQ-T237 asks for a secondary region with RPO under 5 minutes. Replicating the backup bucket continuously (S3 Replication Time Control) to a bucket in the DR region keeps base backups and WAL there.",
    remediation: "Add an `aws` provider with `alias = \"dr\"` in the DR region, a bucket with `provider = \"aws.dr\"`, and an `aws_s3_bucket_replication_configuration` from the backup bucket to it.",
    peers: &["CKV_AWS_144"],
};

impl Rule for NoDisasterRecoveryCopy {
    fn meta(&self) -> &RuleMeta {
        &DR
    }

    fn check(&self, cx: &Context<'_>, out: &mut Check) {
        let Some(doc) = cloud_document(cx, out) else {
            return;
        };
        out.saw();
        let providers = nested(&doc.value["provider"]["aws"]);
        let primary = providers
            .iter()
            .find(|p| p["alias"].is_null())
            .map(|p| text(&p["region"]));
        let dr: Vec<String> = providers
            .iter()
            .filter(|p| p["alias"].is_string() && Some(text(&p["region"])) != primary)
            .map(|p| format!("aws.{}", text(&p["alias"])))
            .collect();
        if dr.is_empty() {
            out.fail_terraform(
                "terraform",
                "/provider",
                "no aliased `aws` provider configures a second region for disaster recovery",
            );
            return;
        }
        let replications: Vec<Block<'_>> = doc
            .resources("aws_s3_bucket_replication_configuration")
            .collect();
        let replicated = replications.iter().any(|replication| {
            nested(&replication.body["rule"]).iter().any(|rule| {
                text(&rule["status"]) == "Enabled"
                    && nested(&rule["destination"]).iter().any(|d| {
                        let target = text(&d["bucket"])
                            .strip_prefix("${")
                            .and_then(|s| s.strip_suffix(".arn}"))
                            .unwrap_or_default();
                        doc.resource(target)
                            .is_some_and(|b| dr.iter().any(|p| text(&b.body["provider"]) == p))
                    })
            })
        });
        if !replicated {
            out.fail_terraform(
                "terraform",
                "/resource",
                format!(
                    "no bucket replicates to a bucket of the disaster-recovery provider ({})",
                    dr.join(", ")
                ),
            );
        }
    }
}

// ------------------------------------------------------------------------- REQ-T243

/// The control plane logs REQ-T243's audit trail needs.
const AUDIT_LOG_TYPES: &[&str] = &["api", "audit", "authenticator"];

/// ## What it does
/// Checks that every `aws_eks_cluster` sends the `api`, `audit` and `authenticator` control
/// plane logs, and that its API endpoint is private or public only to listed networks (no
/// `0.0.0.0/0`).
///
/// ## Why is this bad?
/// Without audit logs nobody can tell who changed what in production; an API endpoint open
/// to the internet is one leaked credential away from the cluster.
pub struct UnauditedOpenCluster;

static AUDIT: RuleMeta = RuleMeta {
    code: "T243-1",
    name: "eks-audit-and-endpoint",
    requirement: "REQ-T243",
    summary: "EKS logs api, audit and authenticator and restricts its API endpoint",
    rationale: "REQ-T243 asks for restricted access and audit logging in production. EKS writes audit logs only for the log types enabled; a public endpoint without CIDR limits is reachable from anywhere.",
    remediation: "Set `enabled_cluster_log_types` to include `api`, `audit` and `authenticator`, and `vpc_config.endpoint_public_access = false` or `public_access_cidrs` to the operators' networks.",
    peers: &["CKV_AWS_37", "CKV_AWS_38", "CKV_AWS_39"],
};

impl Rule for UnauditedOpenCluster {
    fn meta(&self) -> &RuleMeta {
        &AUDIT
    }

    fn check(&self, cx: &Context<'_>, out: &mut Check) {
        let Some(doc) = cloud_document(cx, out) else {
            return;
        };
        if !require_some(doc, "aws_eks_cluster", "the Kubernetes cluster", out) {
            return;
        }
        for cluster in doc.resources("aws_eks_cluster") {
            out.saw();
            let who = cluster.address();
            let logged: Vec<&str> = nested(&cluster.body["enabled_cluster_log_types"])
                .into_iter()
                .map(text)
                .collect();
            let missing: Vec<&str> = AUDIT_LOG_TYPES
                .iter()
                .copied()
                .filter(|t| !logged.contains(t))
                .collect();
            if !missing.is_empty() {
                out.fail_terraform(
                    &who,
                    cluster.pointer("enabled_cluster_log_types"),
                    format!("`{who}` does not log {}", missing.join(", ")),
                );
            }
            for vpc in nested(&cluster.body["vpc_config"]) {
                // EKS's defaults: a public endpoint, open to 0.0.0.0/0.
                let public = vpc["endpoint_public_access"].as_bool().unwrap_or(true);
                let cidrs: Vec<&str> = nested(&vpc["public_access_cidrs"])
                    .into_iter()
                    .map(text)
                    .collect();
                if public && (cidrs.is_empty() || cidrs.contains(&"0.0.0.0/0")) {
                    out.fail_terraform(
                        &who,
                        cluster.pointer("vpc_config"),
                        format!("`{who}` exposes its API endpoint to the whole internet"),
                    );
                }
            }
        }
    }
}

// ------------------------------------------------------------------------- REQ-T248

/// ## What it does
/// Checks the `terraform` block sets `required_version` and pins every
/// `required_providers` entry to an exact version, and that no `kubernetes` or `helm`
/// provider reads a kubeconfig file (`config_path`, `config_paths`, `config_context`).
/// In a local environment, fails when there is a Terraform document at all.
///
/// ## Why is this bad?
/// A provider range upgrades itself on the next `init`, so the same code plans differently
/// next month; a kubeconfig path makes the apply depend on whoever runs it and which cluster
/// their file points at.
pub struct UnpinnedTerraform;

static PINS: RuleMeta = RuleMeta {
    code: "T248-1",
    name: "terraform-pins",
    requirement: "REQ-T248",
    summary: "Terraform pins its CLI range and exact provider versions and never reads a kubeconfig",
    rationale: "REQ-T248 asks for all cloud resources in code: the code must give the same plan wherever it runs. Exact provider pins and a connection from the cluster's own attributes make it so.",
    remediation: "Set `terraform.required_version`, give each `required_providers` entry an exact `version` such as `5.100.0`, and configure the `kubernetes`/`helm` providers with `host`, `cluster_ca_certificate` and `exec` (`aws eks get-token`) from the `aws_eks_cluster`.",
    peers: &[],
};

/// Provider settings that read a kubeconfig file.
const KUBECONFIG_KEYS: &[&str] = &["config_path", "config_paths", "config_context"];

impl Rule for UnpinnedTerraform {
    fn meta(&self) -> &RuleMeta {
        &PINS
    }

    fn check(&self, cx: &Context<'_>, out: &mut Check) {
        if !cx.env.cloud {
            out.saw();
            if cx.terraform.is_some() {
                out.fail_terraform(
                    "terraform",
                    "",
                    format!(
                        "environment `{}` runs on a local cluster but has Terraform",
                        cx.env.name
                    ),
                );
            }
            return;
        }
        let Some(doc) = cx.terraform else {
            return;
        };
        out.saw();
        let terraform = &doc.value["terraform"];
        if text(&terraform["required_version"]).is_empty() {
            out.fail_terraform(
                "terraform",
                "/terraform",
                "`terraform.required_version` is not set",
            );
        }
        let providers = terraform["required_providers"].as_object();
        if providers.is_none_or(|p| p.is_empty()) {
            out.fail_terraform(
                "terraform",
                "/terraform",
                "`terraform.required_providers` is empty",
            );
        }
        for (name, requirement) in providers.into_iter().flatten() {
            let version = text(&requirement["version"]);
            if !is_exact_version(version) {
                out.fail_terraform(
                    "terraform",
                    format!("/terraform/required_providers/{name}/version"),
                    format!("provider `{name}` is not pinned to an exact version (`{version}`)"),
                );
            }
        }
        for name in ["kubernetes", "helm"] {
            for (i, config) in nested(&doc.value["provider"][name]).into_iter().enumerate() {
                let connection = if name == "helm" {
                    &config["kubernetes"]
                } else {
                    config
                };
                for key in KUBECONFIG_KEYS {
                    if !connection[*key].is_null() {
                        let pointer = if doc.value["provider"][name].is_array() {
                            format!("/provider/{name}/{i}")
                        } else {
                            format!("/provider/{name}")
                        };
                        out.fail_terraform(
                            "terraform",
                            pointer,
                            format!("provider `{name}` reads a kubeconfig file (`{key}`)"),
                        );
                    }
                }
            }
        }
    }
}

/// ## What it does
/// Checks that every `helm_release` pins its chart to one exact version.
///
/// ## Why is this bad?
/// Without `version` (or with a range) Helm installs whatever the repository has newest on
/// the day of the apply: staging and production drift apart and an upgrade happens without
/// a review.
pub struct UnpinnedHelmRelease;

static HELM_PINS: RuleMeta = RuleMeta {
    code: "T248-2",
    name: "helm-release-pinned",
    requirement: "REQ-T248",
    summary: "Every helm_release pins an exact chart version",
    rationale: "REQ-T248's infrastructure as code includes the platform charts: a missing or ranged chart version upgrades the platform outside review and lets environments drift.",
    remediation: "Set `version` on each `helm_release` to an exact chart version; daactl takes them from src/terraform/charts.rs, shared by every environment.",
    peers: &[],
};

impl Rule for UnpinnedHelmRelease {
    fn meta(&self) -> &RuleMeta {
        &HELM_PINS
    }

    fn check(&self, cx: &Context<'_>, out: &mut Check) {
        let Some(doc) = cloud_document(cx, out) else {
            return;
        };
        out.saw();
        for release in doc.resources("helm_release") {
            out.saw();
            let version = text(&release.body["version"]);
            if !is_exact_version(version) {
                out.fail_terraform(
                    release.address(),
                    release.pointer("version"),
                    format!(
                        "`{}` does not pin an exact chart version (`{version}`)",
                        release.address()
                    ),
                );
            }
        }
    }
}

/// ## What it does
/// Checks that every reference in the Terraform (`${...}` expressions, `depends_on`
/// addresses, `provider` meta-arguments such as `aws.dr`) names a resource, data source,
/// local, variable, module or provider configuration the document declares.
///
/// ## Why is this bad?
/// Terraform's configuration loader accepts a dangling reference; it fails only at
/// `terraform validate` with every provider installed, or at plan time in CI.
pub struct DanglingTerraformReference;

static REFERENCES: RuleMeta = RuleMeta {
    code: "T248-3",
    name: "terraform-references",
    requirement: "REQ-T248",
    summary: "Every Terraform reference resolves to something declared",
    rationale: "A dangling reference breaks the plan of the environment's infrastructure; finding it at render time keeps `rendered/terraform` applicable.",
    remediation: "Declare what the reference names, or correct the reference (for example `aws_s3_bucket.logs.arn`, `data.aws_iam_policy_document.x.json`, `aws.dr`).",
    peers: &[],
};

impl Rule for DanglingTerraformReference {
    fn meta(&self) -> &RuleMeta {
        &REFERENCES
    }

    fn check(&self, cx: &Context<'_>, out: &mut Check) {
        let Some(doc) = cloud_document(cx, out) else {
            return;
        };
        out.saw();
        for dangling in reference::dangling(&doc.value) {
            let mut parts = dangling.pointer.split('/').skip(1);
            let address = match (parts.next(), parts.next(), parts.next()) {
                (Some("resource"), Some(kind), Some(name)) => format!("{kind}.{name}"),
                _ => "terraform".to_owned(),
            };
            out.fail_terraform(address, dangling.pointer, dangling.message);
        }
    }
}

// ------------------------------------------------------------------------- REQ-T249

/// ## What it does
/// Checks the S3 backend: `bucket`, `region`, a `key` that contains the environment's name,
/// `encrypt = true`, and locking through `use_lockfile = true` or a `dynamodb_table`.
///
/// ## Why is this bad?
/// Local state is lost with a laptop and cannot be shared; unencrypted state exposes every
/// secret Terraform reads; without locking two applies corrupt it; one key for two
/// environments lets staging's apply destroy production.
pub struct UnsafeTerraformState;

static STATE: RuleMeta = RuleMeta {
    code: "T249-1",
    name: "s3-backend-locking",
    requirement: "REQ-T249",
    summary: "Remote S3 state, encrypted, locked, with a key per environment",
    rationale: "REQ-T249 asks for remote state with locking. HashiCorp deprecates DynamoDB locking in favour of `use_lockfile`, so either is accepted.",
    remediation: "Configure `terraform.backend.s3` with `bucket`, `region`, `key` containing the environment name, `encrypt = true` and `use_lockfile = true`.",
    peers: &["CKV_AWS_21", "CKV_AWS_19", "CKV2_AWS_6"],
};

impl Rule for UnsafeTerraformState {
    fn meta(&self) -> &RuleMeta {
        &STATE
    }

    fn check(&self, cx: &Context<'_>, out: &mut Check) {
        let Some(doc) = cloud_document(cx, out) else {
            return;
        };
        out.saw();
        let backend = nested(&doc.value["terraform"]["backend"]["s3"]);
        let Some(s3) = backend.first() else {
            out.fail_terraform(
                "terraform",
                "/terraform",
                "the Terraform has no `backend \"s3\"`: its state would stay on one machine",
            );
            return;
        };
        let at = |key: &str| format!("/terraform/backend/s3/{key}");
        for key in ["bucket", "region"] {
            if text(&s3[key]).is_empty() {
                out.fail_terraform(
                    "terraform",
                    at(key),
                    format!("the S3 backend sets no `{key}`"),
                );
            }
        }
        let key = text(&s3["key"]);
        if !key.contains(cx.env.name.as_str()) {
            out.fail_terraform(
                "terraform",
                at("key"),
                format!(
                    "the state key `{key}` does not name environment `{}`, so environments could share state",
                    cx.env.name
                ),
            );
        }
        if s3["encrypt"] != Value::Bool(true) {
            out.fail_terraform(
                "terraform",
                at("encrypt"),
                "the state is not encrypted (`encrypt = true`)",
            );
        }
        let locked =
            s3["use_lockfile"] == Value::Bool(true) || !text(&s3["dynamodb_table"]).is_empty();
        if !locked {
            out.fail_terraform(
                "terraform",
                at("use_lockfile"),
                "the state is not locked (`use_lockfile = true` or a `dynamodb_table`)",
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_versions_are_told_from_ranges() {
        for exact in ["5.100.0", "=5.100.0", "v1.16.2", "1.24.2"] {
            assert!(is_exact_version(exact), "{exact}");
        }
        for range in ["", "~> 5.0", ">= 1.2.3", "5.x", "^1.2.3", "5.100", "*"] {
            assert!(!is_exact_version(range), "{range}");
        }
    }
}
