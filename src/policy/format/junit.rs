//! JUnit XML for CI test reports: one test suite per environment, one test case per rule
//! that found nothing and one per finding. Findings fail, waived findings are skipped with
//! their reason, and rules that evaluated nothing are skipped as `unknown`.

use std::fmt::Write as _;

use crate::policy::registry;
use crate::policy::report::Report;

/// Renders the XML document.
pub fn render(report: &Report) -> String {
    let mut suites = String::new();
    let (mut all_tests, mut all_failures, mut all_skipped) = (0, 0, 0);
    let waiver_suite =
        (!report.waiver_findings.is_empty()).then_some(("waivers", &report.waiver_findings));
    for env in &report.environments {
        let mut cases = String::new();
        let (mut tests, mut failures, mut skipped) = (0, 0, 0);
        for rule in &env.rules {
            let meta = registry::meta(rule.code).expect("report rules are registered");
            let classname = format!("{}.{}", env.name, meta.requirement);
            let findings: Vec<_> = env
                .findings
                .iter()
                .filter(|f| f.code == rule.code)
                .collect();
            if findings.is_empty() {
                tests += 1;
                let _ = write!(
                    cases,
                    "    <testcase classname=\"{}\" name=\"{}\"",
                    xml(&classname),
                    xml(&format!("{} {}", meta.code, meta.name))
                );
                if rule.evaluated == 0 {
                    skipped += 1;
                    let _ = writeln!(
                        cases,
                        ">\n      <skipped message=\"unknown: nothing to evaluate in this environment\"/>\n    </testcase>"
                    );
                } else {
                    let _ = writeln!(cases, "/>");
                }
                continue;
            }
            for finding in findings {
                tests += 1;
                let object = finding
                    .object
                    .as_ref()
                    .map_or_else(|| "environment".to_owned(), |o| o.identity());
                let _ = writeln!(
                    cases,
                    "    <testcase classname=\"{}\" name=\"{}\" file=\"{}\" line=\"{}\">",
                    xml(&classname),
                    xml(&format!("{} {} {object}", meta.code, meta.name)),
                    xml(finding.file.as_deref().unwrap_or("")),
                    finding.line
                );
                match &finding.waiver {
                    Some(waiver) => {
                        skipped += 1;
                        let _ = writeln!(
                            cases,
                            "      <skipped message=\"waived: {}\"/>",
                            xml(&waiver.reason)
                        );
                    }
                    None => {
                        failures += 1;
                        let _ = writeln!(
                            cases,
                            "      <failure message=\"{}\" type=\"{}\">{}: {}&#10;hint: {}</failure>",
                            xml(&finding.message),
                            finding.severity.as_str(),
                            xml(&finding.location()),
                            xml(&finding.message),
                            xml(finding.remediation)
                        );
                    }
                }
                let _ = writeln!(cases, "    </testcase>");
            }
        }
        let _ = write!(
            suites,
            "  <testsuite name=\"daactl validate {}\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\" skipped=\"{skipped}\">\n{cases}  </testsuite>\n",
            xml(&env.name)
        );
        all_tests += tests;
        all_failures += failures;
        all_skipped += skipped;
    }
    if let Some((name, findings)) = waiver_suite {
        let mut cases = String::new();
        for finding in findings {
            let _ = writeln!(
                cases,
                "    <testcase classname=\"waivers\" name=\"{}\" file=\"{}\" line=\"{}\">\n      <failure message=\"{}\" type=\"{}\"/>\n    </testcase>",
                xml(&format!("{} {}", finding.code, finding.name)),
                xml(finding.file.as_deref().unwrap_or("")),
                finding.line,
                xml(&finding.message),
                finding.severity.as_str()
            );
        }
        let _ = write!(
            suites,
            "  <testsuite name=\"daactl validate {name}\" tests=\"{0}\" failures=\"{0}\" errors=\"0\" skipped=\"0\">\n{cases}  </testsuite>\n",
            findings.len()
        );
        all_tests += findings.len();
        all_failures += findings.len();
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"daactl validate\" tests=\"{all_tests}\" failures=\"{all_failures}\" errors=\"0\" skipped=\"{all_skipped}\">\n{suites}</testsuites>\n"
    )
}

/// Escapes text for an XML attribute or element.
fn xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            c if (c as u32) < 0x20 && c != '\t' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}
