//! Errors of reading a spec: each names `file:line:col` and, where one helps, a hint.

use std::fmt;

use crate::location::Location;

/// One thing wrong with a spec file.
#[derive(Debug, thiserror::Error)]
#[error("{location}: error: {kind}")]
pub struct SpecError {
    /// Where the problem is.
    pub location: Location,
    /// What the problem is.
    pub kind: SpecErrorKind,
}

/// The classes of spec errors.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SpecErrorKind {
    /// The file could not be read.
    #[error("cannot read the spec: {0}")]
    Read(#[source] std::io::Error),
    /// The file is not valid TOML.
    #[error("invalid TOML: {0}")]
    Syntax(String),
    /// The TOML does not fit the model: an unknown key, a wrong type or a missing key.
    #[error("{0}")]
    Shape(String),
    /// A value has the right type but breaks a rule of the model.
    #[error("`{key}`: {message}")]
    Invalid {
        /// The key path, as a TOML dotted key.
        key: String,
        /// What is wrong.
        message: String,
        /// How to fix it.
        hint: Option<String>,
    },
}

impl SpecError {
    /// A one-line suggestion of how to fix the problem.
    pub fn hint(&self) -> Option<String> {
        match &self.kind {
            SpecErrorKind::Read(_) => None,
            SpecErrorKind::Syntax(_) => {
                Some("the spec must be TOML 1.0; check quotes, brackets and `=` here".to_owned())
            }
            SpecErrorKind::Shape(message) if message.starts_with("unknown field") => Some(
                "remove or rename the key; `daactl schema` prints every key a spec accepts"
                    .to_owned(),
            ),
            SpecErrorKind::Shape(message) if message.starts_with("missing field") => {
                Some("add the key; `schemas/environment.schema.json` says what it holds".to_owned())
            }
            SpecErrorKind::Shape(_) => {
                Some("`schemas/environment.schema.json` gives the type of every key".to_owned())
            }
            SpecErrorKind::Invalid { hint, .. } => hint.clone(),
        }
    }
}

/// All the errors found in one or more spec files.
#[derive(Debug)]
pub struct SpecErrors(pub Vec<SpecError>);

impl std::error::Error for SpecErrors {}

impl fmt::Display for SpecErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, error) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{error}")?;
            if let Some(hint) = error.hint() {
                write!(f, "\n  hint: {hint}")?;
            }
        }
        Ok(())
    }
}
