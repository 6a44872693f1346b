//! Output formats of `daactl validate`: one module each, all rendering the same
//! [`Report`](super::report::Report) to a string. The JSON format is the report itself,
//! serialized ([`json`]).

pub mod github;
pub mod human;
pub mod junit;
pub mod matrix;
pub mod sarif;

use super::report::Report;

/// The versioned JSON report (`daactl.report/v1`).
pub fn json(report: &Report) -> String {
    serde_json::to_string_pretty(report).expect("reports serialize") + "\n"
}
