//! Errors of rendering: each names the template file and line and, when a spec value was
//! being rendered, the spec key and where it is written.

use std::fmt;

use crate::location::Location;

/// The spec entry a template was rendering when it failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FedBy {
    /// The spec key, such as `services.daa-service`, or `environment <name>` for templates
    /// rendered once per environment.
    pub key: String,
    /// Where that key is written.
    pub location: Location,
}

/// A template that could not be loaded or rendered, or rendered something invalid.
#[derive(Debug, thiserror::Error)]
pub struct RenderError {
    /// The template as shown to users, such as `templates/deployment.yaml.j2`.
    pub template: String,
    /// 1-based line in the template; 0 when unknown.
    pub line: usize,
    /// 1-based column in that line; 0 when unknown.
    pub col: usize,
    /// What the template was rendering.
    pub fed_by: Option<Box<FedBy>>,
    /// What went wrong.
    pub kind: RenderErrorKind,
}

/// The classes of render errors.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RenderErrorKind {
    /// A template or the template folder could not be read.
    #[error("cannot read templates: {0}")]
    Read(#[source] std::io::Error),
    /// The template folder holds no `*.j2` file.
    #[error("no `*.j2` template in this folder")]
    NoTemplates,
    /// The `daactl: each=` line names something templates cannot repeat over.
    #[error("`each={0}` is not `services` or `namespaces`")]
    UnknownEach(String),
    /// The template engine failed: bad syntax, an undefined value, a failing filter.
    #[error("{0}")]
    Template(String),
    /// The template's output is not strict YAML.
    #[error(
        "the output is not valid YAML at output line {output_line}, column {output_col}: {message}\n  output line {output_line}: {text}"
    )]
    Output {
        /// 1-based line of the rendered text.
        output_line: usize,
        /// 1-based column in that line.
        output_col: usize,
        /// What the YAML parser refused.
        message: String,
        /// That line of output.
        text: String,
    },
    /// A rendered document is not a Kubernetes object.
    #[error("a rendered document is not a Kubernetes object: {0}")]
    NotAnObject(String),
    /// Two templates (or one, twice) rendered the same object.
    #[error("`{identity}` is also rendered by {first}")]
    Duplicate {
        /// `kind namespace/name`.
        identity: String,
        /// The other template.
        first: String,
    },
}

impl RenderError {
    /// A one-line suggestion of how to fix the problem.
    pub fn hint(&self) -> Option<&'static str> {
        match self.kind {
            RenderErrorKind::Template(_) => Some(
                "templates see `env` and, per `each=`, `service` or `namespace`; `daactl render --stdout` shows what renders",
            ),
            RenderErrorKind::Output { .. } => Some(
                "write spec values as `{{ value }}`: daactl prints them as JSON, which YAML reads back exactly",
            ),
            RenderErrorKind::NotAnObject(_) => {
                Some("every document needs `apiVersion`, `kind` and `metadata.name` strings")
            }
            RenderErrorKind::Duplicate { .. } => {
                Some("give each object a distinct kind, namespace and name")
            }
            RenderErrorKind::UnknownEach(_) => {
                Some("use `{#- daactl: each=services -#}` or `each=namespaces`")
            }
            _ => None,
        }
    }
}

impl fmt::Display for RenderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, self.col) {
            (0, _) => write!(f, "{}: error: {}", self.template, self.kind)?,
            (line, 0) => write!(f, "{}:{line}: error: {}", self.template, self.kind)?,
            (line, col) => write!(f, "{}:{line}:{col}: error: {}", self.template, self.kind)?,
        }
        if let Some(fed_by) = &self.fed_by {
            write!(
                f,
                "\n  note: while rendering `{}` ({})",
                fed_by.key, fed_by.location
            )?;
        }
        if let Some(hint) = self.hint() {
            write!(f, "\n  hint: {hint}")?;
        }
        Ok(())
    }
}
