//! Environment specs: the TOML model, loading with located errors, and validation.

pub mod error;
pub mod key_path;
pub mod model;
pub mod pattern;
pub mod quantity;
pub mod reference;
pub mod schedule;
pub mod validate;

use std::path::Path;

use serde::Deserialize as _;

pub use error::{SpecError, SpecErrorKind, SpecErrors};
pub use key_path::KeyPath;
pub use model::Environment;

use crate::location::Location;

/// The JSON Schema of a spec, generated from [`Environment`].
pub fn json_schema() -> serde_json::Value {
    serde_json::to_value(schemars::schema_for!(Environment)).expect("schemas serialize")
}

/// A loaded and validated spec, with its source kept for locating keys.
#[derive(Debug, Clone)]
pub struct Spec {
    /// The file as shown in messages, for example `environments/production.toml`.
    pub file: String,
    /// The file's text.
    pub source: String,
    /// The typed model.
    pub environment: Environment,
}

impl Spec {
    /// Reads and validates the spec at `path`, naming it `file` in messages.
    pub fn load(path: &Path, file: &str) -> Result<Spec, SpecErrors> {
        let source = std::fs::read_to_string(path).map_err(|err| {
            SpecErrors(vec![SpecError {
                location: Location::file(file),
                kind: SpecErrorKind::Read(err),
            }])
        })?;
        let stem = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default();
        Self::parse(file, stem, source)
    }

    /// Parses and validates `source`, a spec that should be named `stem`.
    pub fn parse(file: &str, stem: &str, source: String) -> Result<Spec, SpecErrors> {
        let at = |span: Option<std::ops::Range<usize>>| match span {
            Some(span) => Location::at_offset(file, &source, span.start),
            None => Location::file(file),
        };
        // Parse once: syntax errors come from the parse, shape errors from deserializing
        // the parsed table.
        let table = toml::de::DeTable::parse(&source).map_err(|err| {
            let kind = SpecErrorKind::Syntax(err.message().trim().to_owned());
            SpecErrors(vec![SpecError {
                location: at(err.span()),
                kind,
            }])
        })?;
        let deserializer = toml::de::Deserializer::from(table);
        let environment = Environment::deserialize(deserializer).map_err(|err| {
            let kind = SpecErrorKind::Shape(err.message().trim().to_owned());
            SpecErrors(vec![SpecError {
                location: at(err.span()),
                kind,
            }])
        })?;
        let problems = validate::validate(&environment, stem);
        let spec = Spec {
            file: file.to_owned(),
            source,
            environment,
        };
        if problems.is_empty() {
            return Ok(spec);
        }
        let mut errors: Vec<SpecError> = problems
            .into_iter()
            .map(|problem| SpecError {
                location: spec.locate(&problem.path),
                kind: SpecErrorKind::Invalid {
                    key: problem.path.to_string(),
                    message: problem.message,
                    hint: problem.hint,
                },
            })
            .collect();
        // Report in the order a reader meets them in the file.
        errors.sort_by_key(|e| (e.location.line, e.location.col));
        Err(SpecErrors(errors))
    }

    /// Where `path` is spelled out in this spec's file.
    pub fn locate(&self, path: &KeyPath) -> Location {
        match path.span_in(&self.source) {
            Some(span) => Location::at_offset(&self.file, &self.source, span.start),
            None => Location::file(&self.file),
        }
    }
}
