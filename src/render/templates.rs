//! The template set: the templates embedded in the binary, or a folder given with
//! `--templates`.
//!
//! Each `*.j2` file renders one component. Its first line may say what it repeats over:
//!
//! ```text
//! {#- daactl: each=services -#}
//! ```
//!
//! `services` renders the template once per service with `service` set, `namespaces` once
//! per namespace with `namespace` set; without the line it renders once. Files whose names
//! start with `_` hold macros for the others and are not rendered themselves.

use std::path::Path;
use std::sync::LazyLock;

use regex_lite::Regex;

use super::error::{RenderError, RenderErrorKind};

/// The templates compiled into the binary: `(file name, source)`.
const EMBEDDED: &[(&str, &str)] = include!(concat!(env!("OUT_DIR"), "/embedded_templates.rs"));

/// What a template repeats over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Each {
    /// Rendered once per environment.
    Once,
    /// Rendered once per service, with `service` in the context.
    Service,
    /// Rendered once per namespace, with `namespace` in the context.
    Namespace,
}

/// One template file.
#[derive(Debug, Clone)]
pub struct Template {
    /// File name, which is also its name for `{% import %}`.
    pub name: String,
    /// The path shown to users, such as `templates/deployment.yaml.j2`.
    pub display: String,
    /// The template text.
    pub source: String,
    /// What it repeats over.
    pub each: Each,
}

impl Template {
    /// Whether this file holds macros only.
    pub fn is_helper(&self) -> bool {
        self.name.starts_with('_')
    }
}

/// All templates of one render, sorted by name.
#[derive(Debug, Clone)]
pub struct TemplateSet {
    /// The templates.
    pub templates: Vec<Template>,
}

static EACH_LINE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\{#-?\s*daactl:\s*each\s*=\s*([A-Za-z_]+)\s*-?#\}").expect("valid pattern")
});

impl TemplateSet {
    /// The templates compiled into this binary.
    pub fn embedded() -> Result<Self, RenderError> {
        let files = EMBEDDED.iter().map(|(name, source)| {
            (
                (*name).to_owned(),
                format!("templates/{name}"),
                (*source).to_owned(),
            )
        });
        Self::from_files(files)
    }

    /// The `*.j2` files of `dir`; `display_dir` is how messages name the folder.
    pub fn from_dir(dir: &Path, display_dir: &str) -> Result<Self, RenderError> {
        let read_error = |err: std::io::Error| RenderError {
            template: display_dir.to_owned(),
            line: 0,
            col: 0,
            fed_by: None,
            kind: RenderErrorKind::Read(err),
        };
        let mut files = Vec::new();
        for entry in std::fs::read_dir(dir).map_err(read_error)? {
            let path = entry.map_err(read_error)?.path();
            let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
                continue;
            };
            if !name.ends_with(".j2") {
                continue;
            }
            let display = format!("{}/{name}", display_dir.trim_end_matches('/'));
            let source = std::fs::read_to_string(&path).map_err(|err| RenderError {
                template: display.clone(),
                line: 0,
                col: 0,
                fed_by: None,
                kind: RenderErrorKind::Read(err),
            })?;
            files.push((name.to_owned(), display, source));
        }
        if files.is_empty() {
            return Err(RenderError {
                template: display_dir.to_owned(),
                line: 0,
                col: 0,
                fed_by: None,
                kind: RenderErrorKind::NoTemplates,
            });
        }
        Self::from_files(files)
    }

    fn from_files(
        files: impl IntoIterator<Item = (String, String, String)>,
    ) -> Result<Self, RenderError> {
        let mut templates = files
            .into_iter()
            .map(|(name, display, source)| {
                let each = match EACH_LINE.captures(&source) {
                    None => Each::Once,
                    Some(found) => match &found[1] {
                        "services" => Each::Service,
                        "namespaces" => Each::Namespace,
                        other => {
                            return Err(RenderError {
                                template: display,
                                line: 1,
                                col: 1,
                                fed_by: None,
                                kind: RenderErrorKind::UnknownEach(other.to_owned()),
                            });
                        }
                    },
                };
                Ok(Template {
                    name,
                    display,
                    source,
                    each,
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        templates.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(Self { templates })
    }
}
