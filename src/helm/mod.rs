//! The Helm chart (REQ-T210): `rendered/helm/daa/`, one chart that renders every
//! environment's objects exactly, given that environment's values file.
//!
//! The chart is written from the [`Variance`] of the environments' renders, so it cannot
//! disagree with them. Each object gets one template, `templates/<role>/<kind>-<name>.yaml`
//! (`templates/cluster/` for cluster-scoped objects), holding its shared structure as
//! daactl's canonical YAML and reading from the values only what differs between
//! environments, under readable names (`app.deployment.daaService.spec.template.spec.
//! containers.daaService.image`). `values.yaml` holds the reference environment's values,
//! `values-<env>.yaml` only what differs from them, and `values.schema.json` their types.
//! An object only some environments render sits behind an `enabled` flag. See
//! `docs/decisions/0008-helm-chart.md`.

mod error;
mod naming;
mod shape;
mod template;
mod values;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use serde_json::{Value, json};

pub use error::{HelmError, HelmErrorKind};

use crate::variance::{Key, Variance};
use crate::yaml;

/// The chart's name, and its folder under `rendered/helm/`.
pub const CHART_NAME: &str = "daa";

/// The Kubernetes versions the chart declares it supports: 1.28 and later, as the
/// requirements ask (REQ-T202); `-0` admits providers' pre-release suffixes (`v1.33.1-eks-…`).
pub const KUBE_VERSION: &str = ">=1.28.0-0";

/// The versions `Chart.yaml` declares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChartVersion {
    /// `version`: SemVer 2.0.0.
    pub version: String,
    /// `appVersion`.
    pub app_version: String,
}

impl Default for ChartVersion {
    /// daactl's own version for both: the chart's shape is daactl's, and the specs name no
    /// release of the platform as a whole (each service carries its own version).
    fn default() -> Self {
        ChartVersion {
            version: env!("CARGO_PKG_VERSION").to_owned(),
            app_version: env!("CARGO_PKG_VERSION").to_owned(),
        }
    }
}

/// Every file of the chart, keyed by `/`-separated path relative to the chart folder, with
/// `reference`'s values as the defaults and [`ChartVersion::default`]'s versions.
pub fn chart(variance: &Variance, reference: &str) -> Result<BTreeMap<String, String>, HelmError> {
    chart_with(variance, reference, &ChartVersion::default())
}

/// [`chart`] with the versions `Chart.yaml` declares.
pub fn chart_with(
    variance: &Variance,
    reference: &str,
    version: &ChartVersion,
) -> Result<BTreeMap<String, String>, HelmError> {
    if !is_semver(&version.version) {
        return Err(HelmError::chart(HelmErrorKind::Version(
            version.version.clone(),
        )));
    }
    let reference_index = variance.index(reference).ok_or_else(|| {
        HelmError::chart(HelmErrorKind::UnknownReference {
            reference: reference.to_owned(),
            environments: variance.environments.clone(),
        })
    })?;
    let built = variance
        .resources
        .iter()
        .map(|resource| shape::build(variance, resource))
        .collect::<Result<Vec<_>, _>>()?;
    let keys: Vec<&Key> = variance.resources.iter().map(|r| &r.key).collect();
    let group_keys = naming::groups(&keys)?;
    let flags: Vec<Option<String>> = variance
        .resources
        .iter()
        .zip(&built)
        .map(|(resource, built)| {
            (!resource.in_every_environment()).then(|| {
                // `enabled`, unless the object itself has a top-level `enabled` that differs.
                let mut flag = "enabled".to_owned();
                while built.leaves.iter().any(|l| l.keys.first() == Some(&flag)) {
                    flag.insert(0, '_');
                }
                flag
            })
        })
        .collect();
    check_keys(variance, &built, &group_keys, &flags)?;

    let mut files = BTreeMap::new();
    let mut groups = Vec::new();
    for (index, resource) in variance.resources.iter().enumerate() {
        let (built, flag) = (&built[index], flags[index].as_deref());
        let has_group = flag.is_some() || !built.leaves.is_empty();
        let header = template::Header {
            comment: format!(
                "{}, from daactl's {}",
                resource.key.display(),
                resource.template
            ),
            group: has_group.then_some(group_keys[index].as_slice()),
            flag,
        };
        let path = free_path(
            &files,
            &format!(
                "templates/{}/{}",
                naming::folder(&resource.key)?,
                naming::file(&resource.key)
            ),
        );
        files.insert(path, template::object(&header, &built.shape));
        if has_group {
            groups.push(values::Group {
                keys: &group_keys[index],
                flag,
                present: &resource.present,
                leaves: &built.leaves,
                description: format!(
                    "{} (daactl's {})",
                    resource.key.display(),
                    resource.template
                ),
            });
        }
    }

    let trees = values::trees(variance, &groups, reference_index)?;
    let chart_folder = format!("rendered/helm/{CHART_NAME}");
    files.insert(
        "values.yaml".to_owned(),
        format!(
            "# Values of the {CHART_NAME} chart, written by daactl from environments/*.toml:\n\
             # the {reference} environment's. values-<env>.yaml holds what differs in <env>.\n---\n{}",
            yaml::emit(&Value::Object(trees[reference_index].clone()))
        ),
    );
    for (env, tree) in trees.iter().enumerate() {
        let name = &variance.environments[env];
        let difference = values::difference(&trees[reference_index], tree);
        files.insert(
            format!("values-{name}.yaml"),
            format!(
                "# What the {name} environment's values differ in from values.yaml\n\
                 # (null deletes a key), written by daactl. Render the environment with\n\
                 #   helm template {CHART_NAME} {chart_folder} --namespace {name} \\\n\
                 #     -f {chart_folder}/values-{name}.yaml\n---\n{}",
                yaml::emit(&Value::Object(difference))
            ),
        );
    }
    let schema = values::schema(&trees, &groups, reference);
    files.insert(
        "values.schema.json".to_owned(),
        format!(
            "{}\n",
            serde_json::to_string_pretty(&schema).unwrap_or_default()
        ),
    );
    files.insert("Chart.yaml".to_owned(), chart_yaml(variance, version));
    Ok(files)
}

/// `Chart.yaml`.
fn chart_yaml(variance: &Variance, version: &ChartVersion) -> String {
    let environments = variance.environments.join(", ");
    let chart = json!({
        "apiVersion": "v2",
        "name": CHART_NAME,
        "description": format!("The DAA platform on Kubernetes: {environments}"),
        "type": "application",
        "version": version.version,
        "appVersion": version.app_version,
        "kubeVersion": KUBE_VERSION,
    });
    format!(
        "# Written by daactl from environments/*.toml; change the specs, not this chart.\n---\n{}",
        yaml::emit(&chart)
    )
}

/// Checks that no two values keys coincide or nest: each object's group is its own (apart
/// from the environment's and the namespaces' names), and so is each value in it.
fn check_keys(
    variance: &Variance,
    built: &[shape::Built],
    group_keys: &[Vec<String>],
    flags: &[Option<String>],
) -> Result<(), HelmError> {
    let names = [
        (naming::ENVIRONMENT, "the environment's name"),
        (naming::NAMESPACES, "the namespaces' names"),
    ];
    let mut groups: Vec<(Vec<String>, String)> = names
        .iter()
        .map(|(key, what)| (vec![(*key).to_owned()], (*what).to_owned()))
        .collect();
    let mut values: Vec<(Vec<String>, String)> = Vec::new();
    for ((resource, built), (group, flag)) in variance
        .resources
        .iter()
        .zip(built)
        .zip(group_keys.iter().zip(flags))
    {
        let display = resource.key.display();
        if flag.is_none() && built.leaves.is_empty() {
            continue;
        }
        groups.push((group.clone(), display.clone()));
        if let Some(flag) = flag {
            let mut keys = group.clone();
            keys.push(flag.clone());
            values.push((keys, format!("{display} flag")));
        }
        for leaf in &built.leaves {
            let mut keys = group.clone();
            keys.extend(leaf.keys.iter().cloned());
            values.push((keys, format!("{display} `{}`", leaf.path)));
        }
    }
    naming::check_distinct(&groups)?;
    naming::check_distinct(&values)
}

/// `wanted`, or `wanted` with `-2`, `-3`, ... before `.yaml` when a file already has it.
fn free_path(files: &BTreeMap<String, String>, wanted: &str) -> String {
    if !files.contains_key(wanted) {
        return wanted.to_owned();
    }
    let stem = wanted.strip_suffix(".yaml").unwrap_or(wanted);
    (2..)
        .map(|n| format!("{stem}-{n}.yaml"))
        .find(|path| !files.contains_key(path))
        .unwrap_or_else(|| wanted.to_owned())
}

/// Whether `text` is a SemVer 2.0.0 version: `MAJOR.MINOR.PATCH`, an optional `-pre.release`
/// and `+build` metadata.
fn is_semver(text: &str) -> bool {
    let (text, build) = match text.split_once('+') {
        Some((text, build)) => (text, Some(build)),
        None => (text, None),
    };
    let (core, pre) = match text.split_once('-') {
        Some((core, pre)) => (core, Some(pre)),
        None => (text, None),
    };
    let numeric = |part: &str| {
        !part.is_empty()
            && part.chars().all(|c| c.is_ascii_digit())
            && (part == "0" || !part.starts_with('0'))
    };
    let identifier = |part: &str| {
        !part.is_empty() && part.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    };
    let parts: Vec<&str> = core.split('.').collect();
    parts.len() == 3
        && parts.iter().all(|p| numeric(p))
        && pre.is_none_or(|pre| {
            pre.split('.')
                .all(|p| identifier(p) && (!p.chars().all(|c| c.is_ascii_digit()) || numeric(p)))
        })
        && build.is_none_or(|build| build.split('.').all(identifier))
}
