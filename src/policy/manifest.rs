//! The objects a validation looks at: one environment's manifests, each with the file and
//! document it came from, so findings can point at a line.
//!
//! A set comes either from a fresh render (each object is the file daactl commits under
//! `rendered/<env>/`) or from YAML files and folders a user names.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use serde_json::Value;

use crate::render::{Rendered, Resource};
use crate::yaml;

/// A file holding manifests.
#[derive(Debug)]
pub struct SourceFile {
    /// The path as shown to users: relative to the project (or as given) with `/`.
    pub path: String,
    /// Its text, to find lines in when a finding needs one. A rendered object's file is
    /// written out only then, from the object and [`Self::template`]: most objects have no
    /// finding, so emitting every file up front would be wasted work.
    text: OnceLock<String>,
    /// The template that rendered the file's one object, for a file not read from disk.
    template: Option<String>,
}

impl SourceFile {
    /// A file read from disk.
    fn read(path: String, text: String) -> Self {
        Self {
            path,
            text: OnceLock::from(text),
            template: None,
        }
    }
}

/// One Kubernetes object.
#[derive(Debug, Clone)]
pub struct Manifest {
    /// `apiVersion`.
    pub api_version: String,
    /// `kind`.
    pub kind: String,
    /// `metadata.namespace`, if set.
    pub namespace: Option<String>,
    /// `metadata.name`.
    pub name: String,
    /// The whole object.
    pub value: Value,
    /// The file it came from.
    pub file: Arc<SourceFile>,
    /// Which non-empty document of the file it is, from 0.
    pub document: usize,
}

impl Manifest {
    /// A rendered object as the file daactl writes for it in folder `dir`; the text is
    /// emitted only when a finding needs a line.
    fn rendered(dir: &str, resource: Resource) -> Self {
        Manifest {
            file: Arc::new(SourceFile {
                path: format!("{dir}/{}", resource.file_name()),
                text: OnceLock::new(),
                template: Some(resource.template),
            }),
            api_version: resource.api_version,
            kind: resource.kind,
            namespace: resource.namespace,
            name: resource.name,
            value: resource.value,
            document: 0,
        }
    }

    /// `Kind namespace/name`, or `Kind name` without a namespace.
    pub fn identity(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("{} {ns}/{}", self.kind, self.name),
            None => format!("{} {}", self.kind, self.name),
        }
    }

    /// ``Kind `namespace/name` ``, or ``Kind `name` `` without a namespace: how findings
    /// name objects.
    pub fn subject(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("{} `{ns}/{}`", self.kind, self.name),
            None => format!("{} `{}`", self.kind, self.name),
        }
    }

    /// Whether it is a CloudNativePG `Cluster` (`postgresql.cnpg.io/*`), which makes pods
    /// without a pod template.
    pub fn is_cnpg_cluster(&self) -> bool {
        self.kind == "Cluster" && self.api_version.starts_with("postgresql.cnpg.io/")
    }

    /// The 1-based line and column of the value at `pointer`, or of its deepest present
    /// ancestor.
    pub fn locate(&self, pointer: &str) -> (usize, usize) {
        yaml::locate(self.text(), self.document, pointer).unwrap_or((1, 1))
    }

    /// The text of its file: as read, or for a rendered object the file daactl writes for it.
    pub fn text(&self) -> &str {
        self.file.text.get_or_init(|| {
            let template = self.file.template.as_deref().unwrap_or_default();
            crate::render::document(template, &self.value)
        })
    }

    /// `metadata.labels`, empty when absent.
    pub fn labels(&self) -> BTreeMap<&str, &str> {
        string_map(&self.value["metadata"]["labels"])
    }

    /// `metadata.annotations`, empty when absent.
    pub fn annotations(&self) -> BTreeMap<&str, &str> {
        string_map(&self.value["metadata"]["annotations"])
    }
}

/// The string entries of a JSON object (labels, selectors, annotations).
pub fn string_map(value: &Value) -> BTreeMap<&str, &str> {
    value
        .as_object()
        .into_iter()
        .flatten()
        .filter_map(|(k, v)| Some((k.as_str(), v.as_str()?)))
        .collect()
}

/// Why manifests could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ManifestError {
    /// A file or folder could not be read.
    #[error("{path}: error: cannot read: {source}")]
    Read {
        /// The path, as given.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// A file is not YAML daactl accepts.
    #[error("{path}:{line}:{col}: error: {message}")]
    Yaml {
        /// The file.
        path: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        col: usize,
        /// What is wrong.
        message: String,
    },
    /// A document is not a Kubernetes object.
    #[error(
        "{path}:{line}:1: error: {message}\n  hint: every document must be a Kubernetes object with `apiVersion`, `kind` and `metadata.name`"
    )]
    NotAnObject {
        /// The file.
        path: String,
        /// 1-based line of the document.
        line: usize,
        /// What is missing.
        message: String,
    },
    /// Nothing to validate.
    #[error("{0}: error: no `*.yaml` or `*.yml` file here")]
    Empty(String),
}

/// All objects of one environment.
#[derive(Debug, Default)]
pub struct ManifestSet {
    /// The objects, in input order.
    pub manifests: Vec<Manifest>,
}

impl ManifestSet {
    /// The objects of a fresh render, each in the file it is committed as:
    /// `<rendered_dir>/<env>/<file>`.
    pub fn from_rendered(rendered: Rendered, rendered_dir: &str) -> Self {
        let environment = rendered.environment;
        let manifests = rendered
            .resources
            .into_iter()
            .map(|resource| Manifest::rendered(&format!("{rendered_dir}/{environment}"), resource))
            .collect();
        Self { manifests }
    }

    /// Adds objects daactl writes into another tree of `rendered/` (the Argo CD objects that
    /// deploy the environment, `rendered/gitops/<folder>/`), each as its file `dir/<folder>/...`.
    pub fn extend_rendered(&mut self, dir: &str, resources: Vec<(String, Resource)>) {
        self.manifests.extend(
            resources
                .into_iter()
                .map(|(folder, resource)| Manifest::rendered(&format!("{dir}/{folder}"), resource)),
        );
    }

    /// The objects in YAML files and folders (searched recursively for `*.yaml` and
    /// `*.yml`, in sorted order). Paths are shown relative to `base` when inside it.
    pub fn load(paths: &[PathBuf], base: &Path) -> Result<Self, ManifestError> {
        let mut files = Vec::new();
        for path in paths {
            let shown = shown(path, base);
            if path.is_dir() {
                let before = files.len();
                collect_yaml(path, &mut files).map_err(|source| ManifestError::Read {
                    path: shown.clone(),
                    source,
                })?;
                if files.len() == before {
                    return Err(ManifestError::Empty(shown));
                }
            } else {
                files.push(path.clone());
            }
        }
        let mut set = Self::default();
        for path in files {
            let shown = shown(&path, base);
            let text = std::fs::read_to_string(&path).map_err(|source| ManifestError::Read {
                path: shown.clone(),
                source,
            })?;
            set.add_text(shown, text)?;
        }
        Ok(set)
    }

    /// Adds every object of one YAML text.
    pub fn add_text(&mut self, path: String, text: String) -> Result<(), ManifestError> {
        let documents = yaml::parse_stream(&text).map_err(|err| ManifestError::Yaml {
            path: path.clone(),
            line: err.line,
            col: err.col,
            message: err.message,
        })?;
        let file = Arc::new(SourceFile::read(path, text));
        for (index, document) in documents.into_iter().enumerate() {
            let not_an_object = |message: &str| ManifestError::NotAnObject {
                path: file.path.clone(),
                line: document.line,
                message: message.to_owned(),
            };
            let text_at = |pointer: &str| document.value.pointer(pointer).and_then(Value::as_str);
            let api_version =
                text_at("/apiVersion").ok_or_else(|| not_an_object("no `apiVersion`"))?;
            let kind = text_at("/kind").ok_or_else(|| not_an_object("no `kind`"))?;
            let name =
                text_at("/metadata/name").ok_or_else(|| not_an_object("no `metadata.name`"))?;
            self.manifests.push(Manifest {
                api_version: api_version.to_owned(),
                kind: kind.to_owned(),
                namespace: text_at("/metadata/namespace").map(str::to_owned),
                name: name.to_owned(),
                value: document.value.clone(),
                file: Arc::clone(&file),
                document: index,
            });
        }
        Ok(())
    }

    /// The objects of one kind, with their index in the set.
    pub fn of_kind<'a>(&'a self, kind: &'a str) -> impl Iterator<Item = (usize, &'a Manifest)> {
        self.manifests
            .iter()
            .enumerate()
            .filter(move |(_, m)| m.kind == kind)
    }

    /// The object of `kind` named `name` in `namespace`.
    pub fn find(
        &self,
        kind: &str,
        namespace: Option<&str>,
        name: &str,
    ) -> Option<(usize, &Manifest)> {
        self.manifests
            .iter()
            .enumerate()
            .find(|(_, m)| m.kind == kind && m.name == name && m.namespace.as_deref() == namespace)
    }
}

fn shown(path: &Path, base: &Path) -> String {
    let relative = path.strip_prefix(base).unwrap_or(path);
    relative.to_string_lossy().replace('\\', "/")
}

fn collect_yaml(dir: &Path, files: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)?
        .map(|entry| entry.map(|e| e.path()))
        .collect::<Result<_, _>>()?;
    entries.sort();
    for path in entries {
        if path.is_dir() {
            collect_yaml(&path, files)?;
        } else if path
            .extension()
            .is_some_and(|ext| ext == "yaml" || ext == "yml")
        {
            files.push(path);
        }
    }
    Ok(())
}
