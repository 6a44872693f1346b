//! Which rendered files make up one environment's bundle, at the paths they have under
//! `rendered/`, so an extracted bundle is a slice of `rendered/` and its relative references
//! (an overlay's `../../base`) still resolve.

use std::collections::BTreeMap;

use crate::helm::CHART_NAME;
use crate::project::TERRAFORM_DIR;
use crate::shared::Tree;

/// The bundle's files for `environment`: its objects, its Terraform, the Kustomize base with
/// its overlay, and the Helm chart with only its values file. `objects` and `terraform` are
/// keyed relative to `rendered/<env>/` and `rendered/terraform/<env>/`; `trees` are the shared
/// trees built from every environment.
pub fn environment_files(
    environment: &str,
    objects: &BTreeMap<String, String>,
    terraform: &BTreeMap<String, String>,
    trees: &[Tree],
) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    for (path, text) in objects {
        files.insert(format!("{environment}/{path}"), text.clone().into_bytes());
    }
    for (path, text) in terraform {
        files.insert(
            format!("{TERRAFORM_DIR}/{environment}/{path}"),
            text.clone().into_bytes(),
        );
    }
    let overlay = format!("overlays/{environment}/");
    let chart_values = format!("{CHART_NAME}/values-");
    let own_values = format!("{CHART_NAME}/values-{environment}.yaml");
    for tree in trees {
        let keep = |path: &str| match tree.name {
            "kustomize" => path.starts_with("base/") || path.starts_with(&overlay),
            "helm" => !path.starts_with(&chart_values) || path == own_values,
            _ => false,
        };
        for (path, text) in tree.files.iter().filter(|(p, _)| keep(p)) {
            files.insert(format!("{}/{path}", tree.name), text.clone().into_bytes());
        }
    }
    files
}
