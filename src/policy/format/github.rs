//! GitHub Actions workflow commands: one annotation per finding, shown on the pull
//! request's files without code scanning. Waived findings stay visible as notices that
//! carry the waiver's reason.

use std::fmt::Write as _;

use crate::policy::catalogue::Severity;
use crate::policy::report::Report;

/// Renders `::error`/`::warning`/`::notice` lines.
pub fn render(report: &Report) -> String {
    let mut out = String::new();
    for finding in report.findings() {
        let level = match (&finding.waiver, finding.severity) {
            (Some(_), _) | (None, Severity::Low) => "notice",
            (None, Severity::Critical | Severity::High) => "error",
            (None, Severity::Medium) => "warning",
        };
        let state = if finding.is_waived() { ", waived" } else { "" };
        let mut properties = Vec::new();
        if let Some(file) = &finding.file {
            properties.push(format!("file={}", escape_property(file)));
            if finding.line > 0 {
                properties.push(format!("line={}", finding.line));
                properties.push(format!("col={}", finding.column.max(1)));
            }
        }
        properties.push(format!(
            "title={}",
            escape_property(&format!(
                "{} {} ({}{state})",
                finding.code,
                finding.name,
                finding.severity.as_str()
            ))
        ));
        let mut message = finding.message.clone();
        if !finding.environment.is_empty() {
            message = format!("[{}] {message}", finding.environment);
        }
        match &finding.waiver {
            Some(waiver) => {
                message.push_str("\nwaived: ");
                message.push_str(&waiver.reason);
            }
            None => {
                message.push_str("\nhint: ");
                message.push_str(finding.remediation);
            }
        }
        let _ = writeln!(
            out,
            "::{level} {}::{}",
            properties.join(","),
            escape_data(&message)
        );
    }
    out
}

/// Escapes a workflow command's message (`%`, CR and LF), as `@actions/core` does.
fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a workflow command's property value (also `:` and `,`).
fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_like_actions_core() {
        assert_eq!(escape_data("50%\nnext"), "50%25%0Anext");
        assert_eq!(escape_property("a:b,c"), "a%3Ab%2Cc");
    }
}
