//! Output formats of `daactl validate`: one module each, all rendering the same
//! [`Report`](super::report::Report).

pub mod github;
pub mod human;
pub mod junit;
pub mod matrix;
pub mod sarif;

use super::report::Report;

/// The output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// For people: grouped by environment and object, with hints.
    Human,
    /// The versioned report (`daactl.report/v1`).
    Json,
    /// SARIF 2.1.0, for GitHub code scanning.
    Sarif,
    /// JUnit XML, for CI test reports.
    Junit,
    /// GitHub Actions workflow annotations.
    Github,
    /// The compliance matrix (`docs/requirements.md`).
    Markdown,
}

/// Renders `report` in `format`.
pub fn render(report: &Report, format: Format) -> String {
    match format {
        Format::Human => human::render(report),
        Format::Json => serde_json::to_string_pretty(report).expect("reports serialize") + "\n",
        Format::Sarif => sarif::render(report),
        Format::Junit => junit::render(report),
        Format::Github => github::render(report),
        Format::Markdown => matrix::render(report),
    }
}
