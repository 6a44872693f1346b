//! A daactl project: the folder holding `environments/`, and the specs in it.

use std::path::{Path, PathBuf};

use crate::spec::{Spec, SpecErrors};

/// The project's public repository, as a macro so that other constants can `concat!` it.
#[macro_export]
macro_rules! repository_url {
    () => {
        "https://github.com/daa-platform/daactl"
    };
}

/// Where each alert's runbook lives: this prefix, the alert's name and `.md`
/// (`docs/runbooks/<AlertName>.md`).
pub const RUNBOOK_URL_PREFIX: &str = concat!(repository_url!(), "/blob/main/docs/runbooks/");

/// The folder of environment specs inside a project.
pub const ENVIRONMENTS_DIR: &str = "environments";
/// The folder of committed rendered output inside a project.
pub const RENDERED_DIR: &str = "rendered";
/// Folders of `rendered/` built from every environment together (the Kustomize tree, the
/// Helm chart, the GitHub Actions workflows and the Argo CD objects); no environment may take their names.
pub const SHARED_TREES: &[&str] = &["kustomize", "helm", "workflows", "gitops"];
/// The folder of `rendered/` holding each cloud environment's Terraform,
/// `rendered/terraform/<env>/main.tf.json`; no environment may take its name either.
pub const TERRAFORM_DIR: &str = "terraform";
/// Folder names of `rendered/` that are not environments: no environment may take them.
pub const RESERVED_NAMES: &[&str] = &["kustomize", "helm", "workflows", "gitops", TERRAFORM_DIR];
/// The GitHub owner of this repository, which is both the tool and the deployment it manages.
pub const REPOSITORY_OWNER: &str = "daa-platform";
/// The GitHub name of this repository.
pub const REPOSITORY_NAME: &str = "daactl";
/// This repository's public address: where Argo CD reads the committed output, and where
/// the documentation that reports link to lives.
pub const REPOSITORY_URL: &str = repository_url!();

/// The public address of `path` (relative to the repository root) on the `main` branch:
/// what reports and alerts link to, so the links read the committed documents.
pub fn main_branch_url(path: &str) -> String {
    format!("{REPOSITORY_URL}/blob/main/{path}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repository_url_is_owner_and_name() {
        assert_eq!(
            REPOSITORY_URL,
            format!("https://github.com/{REPOSITORY_OWNER}/{REPOSITORY_NAME}")
        );
    }
}

/// Why a project or its environments could not be opened.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProjectError {
    /// No folder from the start upward holds `environments/`.
    #[error(
        "no `environments/` folder in {0} or any folder above it\n  hint: run daactl inside a daactl project, or pass `--project DIR`"
    )]
    NotFound(String),
    /// `--project` names a folder without `environments/`.
    #[error(
        "{0} has no `environments/` folder\n  hint: `--project` takes the folder that holds `environments/`"
    )]
    NoEnvironments(String),
    /// `environments/` holds no spec.
    #[error("{0}: error: no `*.toml` environment spec here")]
    Empty(String),
    /// `--env` names an environment without a spec.
    #[error(
        "{dir}/{name}.toml: error: unknown environment `{name}`\n  hint: known environments: {known}"
    )]
    UnknownEnvironment {
        /// The `environments/` folder, as shown.
        dir: String,
        /// The name asked for.
        name: String,
        /// The names there are, comma-separated.
        known: String,
    },
    /// A folder could not be listed.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The folder.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// One or more specs are invalid.
    #[error(transparent)]
    Spec(#[from] SpecErrors),
}

/// An opened project.
#[derive(Debug, Clone)]
pub struct Project {
    /// The project folder.
    pub root: PathBuf,
}

impl Project {
    /// Opens `explicit`, or else the nearest folder from `start` upward that holds
    /// `environments/`.
    pub fn discover(explicit: Option<&Path>, start: &Path) -> Result<Project, ProjectError> {
        if let Some(root) = explicit {
            if !root.join(ENVIRONMENTS_DIR).is_dir() {
                return Err(ProjectError::NoEnvironments(root.display().to_string()));
            }
            return Ok(Project {
                root: root.to_path_buf(),
            });
        }
        start
            .ancestors()
            .find(|dir| dir.join(ENVIRONMENTS_DIR).is_dir())
            .map(|root| Project {
                root: root.to_path_buf(),
            })
            .ok_or_else(|| ProjectError::NotFound(start.display().to_string()))
    }

    /// The folder of committed output.
    pub fn rendered_dir(&self) -> PathBuf {
        self.root.join(RENDERED_DIR)
    }

    /// The names of all environments, sorted.
    pub fn environment_names(&self) -> Result<Vec<String>, ProjectError> {
        let dir = self.root.join(ENVIRONMENTS_DIR);
        let read_error = |source| ProjectError::Read {
            path: ENVIRONMENTS_DIR.to_owned(),
            source,
        };
        let mut names = Vec::new();
        for entry in std::fs::read_dir(&dir).map_err(read_error)? {
            let path = entry.map_err(read_error)?.path();
            if path.extension().is_some_and(|e| e == "toml")
                && let Some(stem) = path.file_stem().and_then(|s| s.to_str())
            {
                names.push(stem.to_owned());
            }
        }
        if names.is_empty() {
            return Err(ProjectError::Empty(format!("{ENVIRONMENTS_DIR}/")));
        }
        names.sort();
        Ok(names)
    }

    /// Loads the specs named in `selected` (all when empty), reporting every invalid one.
    pub fn load_specs(&self, selected: &[String]) -> Result<Vec<Spec>, ProjectError> {
        let known = self.environment_names()?;
        let names = if selected.is_empty() {
            known.clone()
        } else {
            let mut names = Vec::new();
            for name in selected {
                if !known.contains(name) {
                    return Err(ProjectError::UnknownEnvironment {
                        dir: ENVIRONMENTS_DIR.to_owned(),
                        name: name.clone(),
                        known: known
                            .iter()
                            .map(|k| format!("`{k}`"))
                            .collect::<Vec<_>>()
                            .join(", "),
                    });
                }
                if !names.contains(name) {
                    names.push(name.clone());
                }
            }
            names
        };
        let mut specs = Vec::new();
        let mut errors = Vec::new();
        for name in names {
            let file = format!("{ENVIRONMENTS_DIR}/{name}.toml");
            match Spec::load(&self.root.join(&file), &file) {
                Ok(spec) => specs.push(spec),
                Err(SpecErrors(found)) => errors.extend(found),
            }
        }
        if errors.is_empty() {
            Ok(specs)
        } else {
            Err(SpecErrors(errors).into())
        }
    }
}
