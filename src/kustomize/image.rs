//! The `images` transformer: where a container image differs between environments only in
//! its tag or digest, base keeps the bare repository and each overlay's `images:` entry sets
//! the tag and digest.
//!
//! Kustomize's transformer rewrites *every* `image` in any `containers` or `initContainers`
//! list of any object (kustomize `api/filters/imagetag/legacy.go`), so an entry is used in an
//! environment only when every image it would match there is already exactly what that
//! environment renders. Elsewhere the image is an ordinary difference and gets a patch.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::image::{Reference, is_tag_char, parse};
use crate::variance::{Path, Segment, Variance};

/// One `images:` entry of an overlay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct ImageEntry {
    /// The repository the entry matches (`name:`).
    pub name: String,
    /// `newTag:`.
    pub tag: Option<String>,
    /// `digest:`.
    pub digest: Option<String>,
}

impl ImageEntry {
    /// The entry as a kustomization's `images:` item.
    pub fn to_value(&self) -> Value {
        let mut entry = serde_json::Map::new();
        entry.insert("name".into(), Value::String(self.name.clone()));
        if let Some(tag) = &self.tag {
            entry.insert("newTag".into(), Value::String(tag.clone()));
        }
        if let Some(digest) = &self.digest {
            entry.insert("digest".into(), Value::String(digest.clone()));
        }
        Value::Object(entry)
    }
}

/// What the `images` transformer takes over.
#[derive(Debug, Default)]
pub(super) struct Images {
    /// The bare repository base holds at a differing image, by resource index and path.
    pub base: BTreeMap<(usize, Path), String>,
    /// Each environment's `images:` entries, by repository.
    pub entries: Vec<Vec<ImageEntry>>,
    /// The differing images each environment's entries (or base's bare repository) set.
    pub covered: Vec<BTreeSet<(usize, Path)>>,
}

/// Whether Kustomize's entry `name` matches `image`: the regular expression
/// `^name(:[a-zA-Z0-9_.{}-]*)?(@sha256:[a-zA-Z0-9_.{}-]*)?$`, where `.` in the name matches
/// any character.
fn matches(image: &str, name: &str) -> bool {
    let mut chars = image.char_indices();
    for wanted in name.chars() {
        match chars.next() {
            Some((_, c)) if wanted == '.' && c != '\n' || wanted == c => {}
            _ => return false,
        }
    }
    let rest = chars.next().map_or("", |(at, _)| &image[at..]);
    let rest = match rest.strip_prefix(':') {
        Some(tag) => tag.trim_start_matches(is_tag_char),
        None => rest,
    };
    match rest.strip_prefix("@sha256:") {
        Some(digest) => digest.chars().all(is_tag_char),
        None => rest.is_empty(),
    }
}

/// Whether `path` is an `image` of a `containers` or `initContainers` item, the places the
/// transformer rewrites.
fn is_container_image(path: &Path) -> bool {
    matches!(
        path.0.as_slice(),
        [.., Segment::Key(list), Segment::Index(_), Segment::Key(image)]
            if image == "image" && (list == "containers" || list == "initContainers")
    )
}

/// Every image the transformer would look at in `object`.
fn container_images<'a>(object: &'a Value, out: &mut Vec<&'a str>) {
    match object {
        Value::Object(map) => {
            for (key, value) in map {
                container_images(value, out);
                if key == "containers" || key == "initContainers" {
                    let items = value.as_array().into_iter().flatten();
                    out.extend(items.filter_map(|item| item.get("image")?.as_str()));
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| container_images(item, out)),
        _ => {}
    }
}

/// Decides which differing images the transformer sets. `base[i]` tells whether resource `i`
/// is written to base; `values[env][i]` is resource `i` as environment `env` renders it.
pub(super) fn decide(variance: &Variance, base: &[bool], values: &[Vec<Option<Value>>]) -> Images {
    let count = variance.environments.len();
    // Each repository's differing images: where, and the tag and digest in each environment.
    type Occurrence = ((usize, Path), Vec<(Option<String>, Option<String>)>);
    let mut candidates: BTreeMap<String, Vec<Occurrence>> = BTreeMap::new();
    for (index, resource) in variance.resources.iter().enumerate() {
        if !base[index] || resource.key.kind == "CustomResourceDefinition" {
            continue;
        }
        for (path, per_env) in resource.node.differences() {
            if !is_container_image(&path) {
                continue;
            }
            let parsed: Option<Vec<Reference>> = per_env
                .iter()
                .map(|value| parse(value.as_ref()?.as_str()?))
                .collect();
            let Some(parsed) = parsed else { continue };
            let repository = parsed[0].repository;
            if parsed.iter().any(|r| r.repository != repository) {
                continue;
            }
            let wanted = parsed
                .iter()
                .map(|r| (r.tag.map(str::to_owned), r.digest.map(str::to_owned)))
                .collect();
            candidates
                .entry(repository.to_owned())
                .or_default()
                .push(((index, path), wanted));
        }
    }
    let mut images = Images {
        entries: vec![Vec::new(); count],
        covered: vec![BTreeSet::new(); count],
        ..Images::default()
    };
    let every_image: Vec<Vec<&str>> = values
        .iter()
        .map(|objects| {
            let mut out = Vec::new();
            for object in objects.iter().flatten() {
                if object.get("kind").and_then(Value::as_str) != Some("CustomResourceDefinition") {
                    container_images(object, &mut out);
                }
            }
            out
        })
        .collect();
    for (repository, occurrences) in candidates {
        for env in 0..count {
            let (tag, digest) = &occurrences[0].1[env];
            if occurrences
                .iter()
                .any(|(_, w)| (&w[env].0, &w[env].1) != (tag, digest))
            {
                continue;
            }
            if tag.is_some() || digest.is_some() {
                let mut expected = repository.clone();
                if let Some(tag) = tag {
                    expected.push(':');
                    expected.push_str(tag);
                }
                if let Some(digest) = digest {
                    expected.push('@');
                    expected.push_str(digest);
                }
                let consistent = every_image[env]
                    .iter()
                    .all(|image| !matches(image, &repository) || *image == expected);
                if !consistent {
                    continue;
                }
                images.entries[env].push(ImageEntry {
                    name: repository.clone(),
                    tag: tag.clone(),
                    digest: digest.clone(),
                });
            }
            images.covered[env].extend(occurrences.iter().map(|(at, _)| at.clone()));
        }
        for (at, _) in occurrences {
            images.base.insert(at, repository.clone());
        }
    }
    images
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_split_as_kustomize_splits_them() {
        let digest = "sha256:927adcf47c1194c0bc3c88f5ca03242954c5a785f128e48e95896b71c2545be7";
        let both = format!("ghcr.io/cloudnative-pg/postgresql:15.10@{digest}");
        assert_eq!(
            parse(&both),
            Some(Reference {
                repository: "ghcr.io/cloudnative-pg/postgresql",
                tag: Some("15.10"),
                digest: Some(digest),
            })
        );
        assert_eq!(
            parse("localhost:5000/api").map(|r| (r.repository, r.tag)),
            Some(("localhost:5000/api", None)),
            "a registry port is not a tag"
        );
        assert_eq!(
            parse("api@md5:abc"),
            None,
            "only sha256 digests are matched"
        );
        assert_eq!(parse("api:"), None);
        assert_eq!(
            parse("a+b:1"),
            None,
            "regular expression syntax in the name"
        );
    }

    #[test]
    fn matching_follows_kustomizes_regular_expression() {
        assert!(matches("ghcr.io/x/api", "ghcr.io/x/api"));
        assert!(matches("ghcr.io/x/api:1.0", "ghcr.io/x/api"));
        assert!(matches("ghcr.io/x/api@sha256:ab", "ghcr.io/x/api"));
        assert!(matches("ghcr.io/x/api:1@sha256:ab", "ghcr.io/x/api"));
        assert!(!matches("ghcr.io/x/api-worker:1", "ghcr.io/x/api"));
        assert!(!matches("ghcr.io/x/ap", "ghcr.io/x/api"));
        assert!(
            matches("ghcrXio/x/api", "ghcr.io/x/api"),
            "`.` matches anything"
        );
    }
}
