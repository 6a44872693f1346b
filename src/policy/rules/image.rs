//! REQ-T216 Artifact Registry: images are immutable references.

use crate::policy::rule::{Check, Context, Rule, RuleMeta};
use crate::policy::workload::pod_templates;

/// ## What it does
/// Checks every container image: it names a tag other than `latest`, and in environments
/// whose policy sets `image_digest` it is pinned by `@sha256:` digest.
///
/// ## Why is this bad?
/// A tag can be moved to other bytes; only a digest names one image. An untagged or
/// `latest` image changes under a running Deployment at the next pull.
pub struct MutableImageReference;

static META: RuleMeta = RuleMeta {
    code: "K216-1",
    name: "image-pinning",
    requirement: "REQ-T216",
    summary: "Images name a version tag, never `latest`, and are pinned by digest where the environment requires it",
    rationale: "Immutable references make what was tested exactly what runs: a digest names one image, a tag can be moved. Staging and production pin digests (GHCR cannot enforce immutable tags); development may use tags for locally loaded images.",
    remediation: "Reference images as `registry/name:version@sha256:<digest>`; set `digest` on the service's image in the environment spec.",
    peers: &[
        "CKV_K8S_14",
        "CKV_K8S_43",
        "kube-score:container-image-tag",
        "polaris:tagNotSpecified",
        "kube-linter:latest-tag",
    ],
};

impl Rule for MutableImageReference {
    fn meta(&self) -> &RuleMeta {
        &META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Check) {
        for pod in pod_templates(cx.set) {
            for container in pod.containers() {
                out.saw();
                let pointer = container.at("/image");
                let Some(image) = container.value["image"].as_str() else {
                    out.fail(
                        pod.index,
                        pointer,
                        format!("container `{}` names no image", container.name),
                    );
                    continue;
                };
                let (name, digest) = match image.split_once('@') {
                    Some((name, digest)) => (name, Some(digest)),
                    None => (image, None),
                };
                // The tag follows the last `:` after the last `/` (a registry may have a port).
                let last_segment = name.rsplit('/').next().unwrap_or(name);
                let tag = last_segment.split_once(':').map(|(_, tag)| tag);
                match tag {
                    None if digest.is_none() => out.fail(
                        pod.index,
                        pointer.clone(),
                        format!(
                            "container `{}` image `{image}` has no tag, so it means `latest`",
                            container.name
                        ),
                    ),
                    Some("latest") => out.fail(
                        pod.index,
                        pointer.clone(),
                        format!(
                            "container `{}` image `{image}` uses the mutable tag `latest`",
                            container.name
                        ),
                    ),
                    _ => {}
                }
                if cx.env.image_digest && !digest.is_some_and(is_sha256_digest) {
                    out.fail(
                        pod.index,
                        pointer,
                        format!(
                            "container `{}` image `{image}` is not pinned by `@sha256:` digest, which environment `{}` requires",
                            container.name, cx.env.name
                        ),
                    );
                }
            }
        }
    }
}

fn is_sha256_digest(digest: &str) -> bool {
    digest.strip_prefix("sha256:").is_some_and(|hex| {
        hex.len() == 64
            && hex
                .bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
    })
}
